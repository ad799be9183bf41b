/* Tests of common/snapshot.c: manifest loading and validation, verification
 * of file sizes and hashes, the `current` link, listing order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/mem.h"
#include "common/snapshot.h"

static const char DATA[] = "pretend this is an LMDB file\n";

struct fixture {
    char dir[64];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static char *path_of(const struct fixture *f, const char *id, const char *file)
{
    return file ? mm_xasprintf("%s/%s/%s", f->dir, id, file) : mm_xasprintf("%s/%s", f->dir, id);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static json_t *manifest_for(const char *id, const char *created_at)
{
    char sha[65];
    mm_hash_sha256_hex(DATA, sizeof(DATA) - 1, sha);
    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:n,s:{s:i,s:i},s:n,s:n,s:{},s:{s:{s:s,s:i}}}",
                     "schema_version", 1, "id", id, "created_at", created_at, "run_id", "r1",
                     "program_version", "0.1.0", "config_hash", "abc", "previous_id", "counts",
                     "requests", 3, "songs", 7, "embedder", "index", "prompt_versions", "files",
                     "data.mdb", "sha256", sha, "bytes", (int)(sizeof(DATA) - 1));
}

static void write_manifest(const struct fixture *f, const char *id, const json_t *m)
{
    char *path = path_of(f, id, "manifest.json");
    assert_int_equal(json_dump_file(m, path, JSON_INDENT(2)), 0);
    free(path);
}

/* A complete, valid snapshot directory <dir>/<id>. */
static void make_snapshot(const struct fixture *f, const char *id, const char *created_at)
{
    char *dir = path_of(f, id, NULL), *data = path_of(f, id, "data.mdb");
    assert_int_equal(mkdir(dir, 0755), 0);
    write_file(data, DATA, sizeof(DATA) - 1);
    json_t *m = manifest_for(id, created_at);
    write_manifest(f, id, m);
    json_decref(m);
    free(dir);
    free(data);
}

static int setup(void **state)
{
    struct fixture *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-test-snapshot-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void test_id_valid(void **state)
{
    (void)state;
    char longest[MM_SNAPSHOT_ID_MAX + 2];
    memset(longest, 'a', sizeof(longest));
    longest[MM_SNAPSHOT_ID_MAX] = '\0';
    assert_true(mm_snapshot_id_valid("20261125T023000Z-r12"));
    assert_true(mm_snapshot_id_valid("a.b_c-2"));
    assert_true(mm_snapshot_id_valid(longest));
    longest[MM_SNAPSHOT_ID_MAX] = 'a';
    longest[MM_SNAPSHOT_ID_MAX + 1] = '\0';
    assert_false(mm_snapshot_id_valid(longest));
    assert_false(mm_snapshot_id_valid(""));
    assert_false(mm_snapshot_id_valid(NULL));
    assert_false(mm_snapshot_id_valid(".tmp-x"));
    assert_false(mm_snapshot_id_valid(".."));
    assert_false(mm_snapshot_id_valid("a/b"));
    assert_false(mm_snapshot_id_valid("a b"));
    assert_false(mm_snapshot_id_valid("current"));
}

static void test_manifest_round_trip(void **state)
{
    struct fixture *f = *state;
    char err[MM_ERRLEN] = "";
    json_t *loaded = NULL;
    make_snapshot(f, "s1", "2026-11-25T02:30:00.000000Z");
    json_t *want = manifest_for("s1", "2026-11-25T02:30:00.000000Z");
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "s1", &loaded, err), MM_OK);
    assert_true(json_equal(want, loaded));
    json_decref(want);
    json_decref(loaded);
}

static void test_manifest_missing(void **state)
{
    struct fixture *f = *state;
    char err[MM_ERRLEN] = "";
    json_t *m = (json_t *)1;
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "nope", &m, err), MM_ENOTFOUND);
    assert_null(m);
    char *dir = path_of(f, "empty", NULL);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "empty", &m, err), MM_ENOTFOUND);
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "../x", &m, err), MM_EINVAL);
    free(dir);
}

/* Every required key, removed in turn, is named in the error. */
static void test_manifest_missing_keys(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {
        "schema_version", "id",     "created_at", "run_id", "program_version", "config_hash",
        "previous_id",    "counts", "embedder",   "index",  "prompt_versions", "files"};
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char err[MM_ERRLEN] = "";
        json_t *m = manifest_for("s1", "2026-01-01T00:00:00.000000Z"), *out = NULL;
        json_object_del(m, keys[i]);
        write_manifest(f, "s1", m);
        assert_int_equal(mm_snapshot_manifest_load(f->dir, "s1", &out, err), MM_ECORRUPT);
        assert_null(out);
        assert_non_null(strstr(err, keys[i]));
        json_decref(m);
    }
}

/* One malformed manifest and the text its error must contain. */
static void expect_bad(const struct fixture *f, json_t *m, mm_err want, const char *needle)
{
    char err[MM_ERRLEN] = "";
    json_t *out = NULL;
    write_manifest(f, "s1", m);
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "s1", &out, err), want);
    assert_null(out);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not contain \"%s\"", err, needle);
    json_decref(m);
}

static void test_manifest_bad_values(void **state)
{
    struct fixture *f = *state;
    const char *t = "2026-01-01T00:00:00.000000Z";
    make_snapshot(f, "s1", t);
    json_t *m = manifest_for("s1", t);
    json_object_set_new(m, "run_id", json_integer(3));
    expect_bad(f, m, MM_ECORRUPT, "run_id");
    m = manifest_for("s1", t);
    json_object_set_new(m, "id", json_string("s2"));
    expect_bad(f, m, MM_ECORRUPT, "differs from the directory name");
    m = manifest_for("s1", t);
    json_object_set_new(m, "schema_version", json_integer(2));
    expect_bad(f, m, MM_ESCHEMA, "schema_version");
    m = manifest_for("s1", t);
    json_object_set_new(json_object_get(m, "counts"), "songs", json_integer(-1));
    expect_bad(f, m, MM_ECORRUPT, "counts.songs");
    m = manifest_for("s1", t);
    json_object_set_new(json_object_get(m, "files"), "../evil",
                        json_pack("{s:s,s:i}", "sha256", "00", "bytes", 1));
    expect_bad(f, m, MM_ECORRUPT, "../evil");
    m = manifest_for("s1", t);
    json_object_set_new(json_object_get(json_object_get(m, "files"), "data.mdb"), "sha256",
                        json_string("XYZ"));
    expect_bad(f, m, MM_ECORRUPT, "files.data.mdb.sha256");
    m = manifest_for("s1", t);
    json_object_clear(json_object_get(m, "files"));
    expect_bad(f, m, MM_ECORRUPT, "files: empty");
}

static void test_manifest_not_json(void **state)
{
    struct fixture *f = *state;
    char err[MM_ERRLEN] = "";
    json_t *out = NULL;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *path = path_of(f, "s1", "manifest.json");
    write_file(path, "{\"id\":\n  oops}", 14);
    assert_int_equal(mm_snapshot_manifest_load(f->dir, "s1", &out, err), MM_ECORRUPT);
    assert_non_null(strstr(err, "manifest.json:2:"));
    free(path);
}

static void test_verify_ok(void **state)
{
    struct fixture *f = *state;
    char err[MM_ERRLEN] = "";
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    assert_int_equal(mm_snapshot_verify(f->dir, "s1", err), MM_OK);
    assert_int_equal(mm_snapshot_verify(f->dir, "absent", err), MM_ENOTFOUND);
}

static void expect_corrupt(const struct fixture *f, const char *needle)
{
    char err[MM_ERRLEN] = "";
    assert_int_equal(mm_snapshot_verify(f->dir, "s1", err), MM_ECORRUPT);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not contain \"%s\"", err, needle);
}

static void test_verify_flipped_byte(void **state)
{
    struct fixture *f = *state;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *data = path_of(f, "s1", "data.mdb"), copy[sizeof(DATA)];
    memcpy(copy, DATA, sizeof(DATA));
    copy[5] ^= 1;
    write_file(data, copy, sizeof(DATA) - 1);
    expect_corrupt(f, "expected sha256");
    expect_corrupt(f, "data.mdb");
    free(data);
}

static void test_verify_truncated(void **state)
{
    struct fixture *f = *state;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *data = path_of(f, "s1", "data.mdb");
    assert_int_equal(truncate(data, 4), 0);
    expect_corrupt(f, "expected 29 bytes, found 4");
    free(data);
}

static void test_verify_missing_file(void **state)
{
    struct fixture *f = *state;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *data = path_of(f, "s1", "data.mdb");
    assert_int_equal(unlink(data), 0);
    expect_corrupt(f, "data.mdb: missing");
    free(data);
}

static void test_verify_extra_file(void **state)
{
    struct fixture *f = *state;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *lock = path_of(f, "s1", "lock.mdb");
    write_file(lock, "x", 1);
    expect_corrupt(f, "lock.mdb");
    free(lock);
}

static void test_verify_bad_manifest(void **state)
{
    struct fixture *f = *state;
    make_snapshot(f, "s1", "2026-01-01T00:00:00.000000Z");
    char *path = path_of(f, "s1", "manifest.json");
    write_file(path, "[]", 2);
    expect_corrupt(f, "expected a JSON object");
    free(path);
}

static void test_current(void **state)
{
    struct fixture *f = *state;
    char id[MM_SNAPSHOT_ID_MAX + 1];
    char *link = path_of(f, "current", NULL);
    assert_int_equal(mm_snapshot_current(f->dir, id, sizeof(id)), MM_ENOTFOUND);
    assert_int_equal(symlink("s1", link), 0);
    assert_int_equal(mm_snapshot_current(f->dir, id, sizeof(id)), MM_OK);
    assert_string_equal(id, "s1");
    assert_int_equal(mm_snapshot_current(f->dir, id, 2), MM_ETOOBIG);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("../elsewhere", link), 0);
    assert_int_equal(mm_snapshot_current(f->dir, id, sizeof(id)), MM_ECORRUPT);
    assert_int_equal(unlink(link), 0);
    write_file(link, "s1", 2);
    assert_int_equal(mm_snapshot_current(f->dir, id, sizeof(id)), MM_ECORRUPT);
    assert_int_equal(mm_snapshot_current("/nonexistent/dir", id, sizeof(id)), MM_ENOTFOUND);
    free(link);
}

static void test_list_ids(void **state)
{
    struct fixture *f = *state;
    json_t *ids = NULL;
    make_snapshot(f, "b", "2026-01-01T00:00:00.000000Z");
    make_snapshot(f, "a", "2026-01-02T00:00:00.000000Z");
    make_snapshot(f, "c", "2026-01-01T00:00:00.000000Z");
    make_snapshot(f, "broken", "2026-01-03T00:00:00.000000Z");
    char *broken = path_of(f, "broken", "manifest.json");
    write_file(broken, "{", 1);
    make_snapshot(f, ".tmp-d", "2026-01-04T00:00:00.000000Z");
    char *bare = path_of(f, "bare", NULL), *link = path_of(f, "current", NULL);
    assert_int_equal(mkdir(bare, 0755), 0);
    assert_int_equal(symlink("a", link), 0);
    assert_int_equal(mm_snapshot_list_ids(f->dir, &ids), MM_OK);
    json_t *want = json_pack("[s,s,s,s]", "broken", "b", "c", "a");
    assert_true(json_equal(want, ids));
    json_decref(want);
    json_decref(ids);
    assert_int_equal(mm_snapshot_list_ids("/nonexistent/dir", &ids), MM_OK);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    free(broken);
    free(bare);
    free(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test_setup_teardown(test_manifest_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_missing_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_not_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_flipped_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_extra_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_bad_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
