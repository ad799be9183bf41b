/* Tests for common/hash.c: sha256 of buffers and files, FNV-1a 64, against published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/mem.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2 test vector: one million 'a'. */
#define SHA_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char dir[] = "/tmp/mm-test-hash-XXXXXX";

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = mm_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_sha256_buffer(void **state)
{
    (void)state;
    char out[65];
    mm_hash_sha256_hex("", 0, out);
    assert_string_equal(out, SHA_EMPTY);
    mm_hash_sha256_hex("abc", 3, out);
    assert_string_equal(out, SHA_ABC);
}

static void test_sha256_file(void **state)
{
    (void)state;
    char out[65];
    char *path = write_file("abc.txt", "abc", 3);
    assert_int_equal(mm_hash_sha256_file(path, out), MM_OK);
    assert_string_equal(out, SHA_ABC);
    free(path);

    path = write_file("empty.txt", "", 0);
    assert_int_equal(mm_hash_sha256_file(path, out), MM_OK);
    assert_string_equal(out, SHA_EMPTY);
    free(path);
}

/* A file spanning many 64 KiB reads, with a partial last read, hashes like the buffer. */
static void test_sha256_file_streamed(void **state)
{
    (void)state;
    size_t len = 1000000;
    char *data = mm_xmalloc(len), out[65];
    memset(data, 'a', len);
    char *path = write_file("million.txt", data, len);
    assert_int_equal(mm_hash_sha256_file(path, out), MM_OK);
    assert_string_equal(out, SHA_MILLION_A);
    mm_hash_sha256_hex(data, len, out);
    assert_string_equal(out, SHA_MILLION_A);
    free(path);
    free(data);
}

static void test_sha256_file_errors(void **state)
{
    (void)state;
    char out[65] = "untouched";
    char *path = mm_xasprintf("%s/missing.txt", dir);
    assert_int_equal(mm_hash_sha256_file(path, out), MM_ENOTFOUND);
    assert_string_equal(out, "untouched");
    /* A directory opens but cannot be read. */
    assert_int_equal(mm_hash_sha256_file(dir, out), MM_EIO);
    free(path);
}

static void test_fnv1a64(void **state)
{
    (void)state;
    assert_true(mm_hash_fnv1a64("", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(mm_hash_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(mm_hash_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));
    /* Length-bounded: bytes past len do not count. */
    assert_true(mm_hash_fnv1a64("foobarbaz", 6) == mm_hash_fnv1a64("foobar", 6));
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"abc.txt", "empty.txt", "million.txt"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *path = mm_xasprintf("%s/%s", dir, names[i]);
        unlink(path);
        free(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_buffer),
        cmocka_unit_test(test_sha256_file),
        cmocka_unit_test(test_sha256_file_streamed),
        cmocka_unit_test(test_sha256_file_errors),
        cmocka_unit_test(test_fnv1a64),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
