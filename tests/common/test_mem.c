/* Tests for common/mem.c: capped buffers (MM_ETOOBIG leaves them intact),
 * printf, take, the x-allocators and the arena (alignment, reset, big blocks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static void test_buf_append(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 1024);
    assert_null(b.data);
    assert_int_equal(mm_buf_append(&b, "ab", 2), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "cd"), MM_OK);
    assert_int_equal(mm_buf_appendc(&b, 'e'), MM_OK);
    assert_int_equal(mm_buf_append(&b, "", 0), MM_OK);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "abcde");
    assert_true(b.alloc > b.len);
    /* Growth past the first allocation keeps the content. */
    for (int i = 0; i < 200; i++)
        assert_int_equal(mm_buf_appendc(&b, 'x'), MM_OK);
    assert_int_equal(b.len, 205);
    assert_int_equal(strncmp(b.data, "abcdex", 6), 0);
    assert_int_equal(b.data[205], '\0');
    mm_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    mm_buf_cleanup(&b);
    assert_null(b.data);
}

/* The cap is on len: exactly max fits, one byte more fails and changes nothing. */
static void test_buf_cap(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 8);
    assert_int_equal(mm_buf_appends(&b, "12345"), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "6789"), MM_ETOOBIG);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(mm_buf_appends(&b, "678"), MM_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(mm_buf_appendc(&b, '9'), MM_ETOOBIG);
    assert_int_equal(mm_buf_printf(&b, "%d", 9), MM_ETOOBIG);
    assert_string_equal(b.data, "12345678");
    /* A huge length cannot wrap the cap check around. */
    assert_int_equal(mm_buf_append(&b, "x", SIZE_MAX), MM_ETOOBIG);
    assert_int_equal(b.len, 8);
    mm_buf_cleanup(&b);

    mm_buf_init(&b, 0);
    assert_int_equal(mm_buf_appendc(&b, 'a'), MM_ETOOBIG);
    assert_int_equal(mm_buf_append(&b, "", 0), MM_OK);
    assert_int_equal(b.len, 0);
    mm_buf_cleanup(&b);
}

static void test_buf_printf(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 64);
    assert_int_equal(mm_buf_printf(&b, "%s=%d", "n", 42), MM_OK);
    assert_int_equal(mm_buf_printf(&b, ",%05.1f", 2.5), MM_OK);
    assert_string_equal(b.data, "n=42,002.5");
    assert_int_equal(b.len, strlen("n=42,002.5"));
    /* Too long for the remaining room: the buffer stays as it was. */
    assert_int_equal(mm_buf_printf(&b, "%060d", 1), MM_ETOOBIG);
    assert_string_equal(b.data, "n=42,002.5");
    mm_buf_cleanup(&b);
}

static void test_buf_take(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 64);
    assert_int_equal(mm_buf_appends(&b, "hello"), MM_OK);
    char *s = mm_buf_take(&b);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    free(s);
    /* The emptied buffer is usable again, and taking nothing gives "". */
    s = mm_buf_take(&b);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(mm_buf_appends(&b, "again"), MM_OK);
    assert_string_equal(b.data, "again");
    mm_buf_cleanup(&b);
}

static void test_x_allocators(void **state)
{
    (void)state;
    assert_null(mm_xstrdup(NULL));
    char *s = mm_xstrdup("abc");
    assert_string_equal(s, "abc");
    free(s);
    s = mm_xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = mm_xasprintf("%s-%d", "x", 7);
    assert_string_equal(s, "x-7");
    free(s);
    int *z = mm_xcalloc(4, sizeof(int));
    assert_int_equal(z[0] | z[1] | z[2] | z[3], 0);
    z = mm_xrealloc(z, 100 * sizeof(int));
    z[99] = 1;
    free(z);
    free(mm_xmalloc(0));
}

static void test_arena_alignment(void **state)
{
    (void)state;
    struct mm_arena a;
    mm_arena_init(&a, 256);
    size_t sizes[] = {1, 3, 16, 17, 5, 100, 0, 33};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = mm_arena_alloc(&a, sizes[i]);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, sizes[i]);
    }
    char *s = mm_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    assert_int_equal((uintptr_t)s % 16, 0);
    s = mm_arena_strndup(&a, "hello", 2);
    assert_string_equal(s, "he");
    mm_arena_cleanup(&a);
    assert_null(a.head);
}

/* Allocations bigger than a block get their own block; earlier memory stays valid. */
static void test_arena_big(void **state)
{
    (void)state;
    struct mm_arena a;
    mm_arena_init(&a, 64);
    char *small = mm_arena_strdup(&a, "kept");
    unsigned char *big = mm_arena_alloc(&a, 10000);
    memset(big, 1, 10000);
    assert_int_equal((uintptr_t)big % 16, 0);
    char *after = mm_arena_strdup(&a, "after");
    assert_string_equal(small, "kept");
    assert_string_equal(after, "after");
    assert_int_equal(big[9999], 1);
    mm_arena_cleanup(&a);
}

/* Reset keeps the first block: the next allocation reuses its memory. */
static void test_arena_reset(void **state)
{
    (void)state;
    struct mm_arena a;
    mm_arena_init(&a, 128);
    mm_arena_reset(&a);
    void *first = mm_arena_alloc(&a, 32);
    for (int i = 0; i < 50; i++)
        mm_arena_alloc(&a, 48);
    mm_arena_alloc(&a, 4096);
    mm_arena_reset(&a);
    assert_non_null(a.head);
    assert_ptr_equal(mm_arena_alloc(&a, 32), first);
    mm_arena_reset(&a);
    assert_ptr_equal(mm_arena_alloc(&a, 8), first);
    mm_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append),   cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_printf),   cmocka_unit_test(test_buf_take),
        cmocka_unit_test(test_x_allocators), cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_big),    cmocka_unit_test(test_arena_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
