/* Tests for common/store.c: LMDB open policy, map growth, readers, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/store.h"

static const char *const DBS[] = {"nums", "names", NULL};

struct fixture {
    char dir[64];
    char *path; /* <dir>/env */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fixture *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->path = mm_xasprintf("%s/env", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->path);
    free(f);
    return 0;
}

static struct mm_store *open_rw(const char *path, uint64_t map, uint64_t max)
{
    struct mm_store_options opt = {.map_size = map, .max_map_size = max, .dbs = DBS};
    struct mm_store *s = NULL;
    assert_int_equal(mm_store_open(path, &opt, &s), MM_OK);
    return s;
}

/* --- write callbacks --- */

struct put_ctx {
    const uint64_t *keys;
    size_t n;
    size_t value_size;
    int calls;
    mm_err result; /* returned after the puts */
};

static mm_err put_keys(struct mm_txn *txn, void *arg)
{
    struct put_ctx *c = arg;
    c->calls++;
    char *val = mm_xcalloc(1, c->value_size);
    mm_err err = MM_OK;
    for (size_t i = 0; i < c->n && !err; i++) {
        unsigned char k[8];
        mm_store_u64_key(c->keys[i], k);
        snprintf(val, c->value_size, "value-%llu", (unsigned long long)c->keys[i]);
        err = mm_store_put(txn, 0, k, sizeof(k), val, c->value_size);
    }
    free(val);
    return err ? err : c->result;
}

static mm_err put_name(struct mm_txn *txn, void *arg)
{
    const char *name = arg;
    return mm_store_put(txn, 1, name, strlen(name), "1", 1);
}

static void check_value(struct mm_txn *txn, uint64_t key)
{
    unsigned char k[8];
    const void *v;
    size_t vl;
    char want[32];
    mm_store_u64_key(key, k);
    assert_int_equal(mm_store_get(txn, 0, k, 8, &v, &vl), MM_OK);
    snprintf(want, sizeof(want), "value-%llu", (unsigned long long)key);
    assert_string_equal((const char *)v, want);
}

static uint64_t count(struct mm_store *s, unsigned db)
{
    struct mm_txn *txn;
    uint64_t n = 0;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    assert_int_equal(mm_store_count(txn, db, &n), MM_OK);
    mm_store_read_end(txn);
    return n;
}

/* --- tests --- */

static void test_put_get_del_cursor(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 0, 0);
    assert_int_equal(mm_store_db(s, "nums"), 0);
    assert_int_equal(mm_store_db(s, "names"), 1);
    assert_int_equal(mm_store_map_size(s), 64u << 20);

    /* inserted out of order; byte order of little-endian keys would differ */
    const uint64_t keys[] = {65536, 1, 1ull << 40, 256, 255, 2};
    const uint64_t sorted[] = {1, 2, 255, 256, 65536, 1ull << 40};
    struct put_ctx c = {keys, 6, 32, 0, MM_OK};
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
    assert_int_equal(mm_store_write(s, put_name, "alpha"), MM_OK);

    struct mm_txn *txn;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    for (size_t i = 0; i < 6; i++)
        check_value(txn, keys[i]);
    uint64_t n;
    assert_int_equal(mm_store_count(txn, 0, &n), MM_OK);
    assert_int_equal(n, 6);
    assert_int_equal(mm_store_count(txn, 1, &n), MM_OK);
    assert_int_equal(n, 1);
    const void *v, *k;
    size_t vl, kl;
    assert_int_equal(mm_store_get(txn, 1, "beta", 4, &v, &vl), MM_ENOTFOUND);

    struct mm_cursor *cur;
    assert_int_equal(mm_store_cursor_open(txn, 0, &cur), MM_OK);
    mm_err err = mm_store_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(err, MM_OK);
        assert_int_equal(kl, 8);
        assert_int_equal(mm_store_u64_from_key(k), sorted[i]);
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    assert_int_equal(err, MM_ENOTFOUND);
    unsigned char probe[8];
    mm_store_u64_key(300, probe);
    assert_int_equal(mm_store_cursor_seek(cur, probe, 8, &k, &kl, &v, &vl), MM_OK);
    assert_int_equal(mm_store_u64_from_key(k), 65536);
    mm_store_u64_key(1ull << 41, probe);
    assert_int_equal(mm_store_cursor_seek(cur, probe, 8, &k, &kl, &v, &vl), MM_ENOTFOUND);
    assert_int_equal(mm_store_cursor_last(cur, &k, &kl, &v, &vl), MM_OK);
    assert_int_equal(mm_store_u64_from_key(k), 1ull << 40);
    mm_store_cursor_close(cur);
    mm_store_read_end(txn);
    mm_store_close(s);
}

static mm_err del_keys(struct mm_txn *txn, void *arg)
{
    mm_err *missing = arg;
    unsigned char k[8];
    mm_store_u64_key(2, k);
    mm_err err = mm_store_del(txn, 0, k, 8);
    mm_store_u64_key(3, k);
    *missing = mm_store_del(txn, 0, k, 8);
    return err;
}

static void test_del_and_reopen(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 0, 0);
    const uint64_t keys[] = {1, 2};
    struct put_ctx c = {keys, 2, 32, 0, MM_OK};
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
    mm_err missing = MM_OK;
    assert_int_equal(mm_store_write(s, del_keys, &missing), MM_OK);
    assert_int_equal(missing, MM_ENOTFOUND);
    mm_store_close(s);

    s = open_rw(f->path, 0, 0);
    struct mm_txn *txn;
    const void *v;
    size_t vl;
    unsigned char k[8];
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    check_value(txn, 1);
    mm_store_u64_key(2, k);
    assert_int_equal(mm_store_get(txn, 0, k, 8, &v, &vl), MM_ENOTFOUND);
    mm_store_read_end(txn);
    assert_int_equal(count(s, 0), 1);
    mm_store_close(s);
}

static void test_map_growth(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 1u << 20, 0);
    uint64_t keys[2048];
    for (size_t i = 0; i < 2048; i++)
        keys[i] = i;
    struct put_ctx c = {keys, 2048, 4000, 0, MM_OK}; /* 8 MB of values, a page each */
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
    assert_true(c.calls > 1);
    assert_true(mm_store_map_size(s) >= 16u << 20);
    assert_int_equal(count(s, 0), 2048);
    struct mm_txn *txn;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    check_value(txn, 0);
    check_value(txn, 2047);
    mm_store_read_end(txn);
    mm_store_close(s);
}

/* RssFile of this process in KiB: the mapped file pages it holds resident. */
static long rss_file_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "RssFile: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void test_release_pages(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 64u << 20, 0);
    uint64_t keys[4096];
    for (size_t i = 0; i < 4096; i++)
        keys[i] = i;
    struct put_ctx c = {keys, 4096, 4000, 0, MM_OK}; /* 16 MB, a page per value */
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
    struct mm_txn *txn;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    for (uint64_t k = 0; k < 4096; k++)
        check_value(txn, k); /* faults every page in */
    mm_store_read_end(txn);
    long before = rss_file_kb();
    assert_int_equal(mm_store_release_pages(s), MM_OK);
    long after = rss_file_kb();
    print_message("RssFile %ld kB -> %ld kB\n", before, after);
    assert_true(before - after >= 12 * 1024);
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    check_value(txn, 4095); /* still readable: faulted back from the page cache */
    mm_store_read_end(txn);
    mm_store_close(s);
}

static void test_map_cap(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 1u << 20, 2u << 20);
    assert_int_equal(mm_store_write(s, put_name, "before"), MM_OK);
    uint64_t keys[2048];
    for (size_t i = 0; i < 2048; i++)
        keys[i] = i;
    struct put_ctx c = {keys, 2048, 4096, 0, MM_OK};
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_EMAPFULL);
    assert_int_equal(c.calls, 2); /* at 1 MiB, then once more at the 2 MiB cap */
    assert_int_equal(mm_store_map_size(s), 2u << 20);
    assert_int_equal(count(s, 0), 0);
    assert_int_equal(mm_store_write(s, put_name, "after"), MM_OK);
    assert_int_equal(count(s, 1), 2);
    mm_store_close(s);
}

static void test_fn_error_aborts(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 0, 0);
    const uint64_t keys[] = {7, 8, 9};
    struct put_ctx c = {keys, 3, 32, 0, MM_EINVAL};
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_EINVAL);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count(s, 0), 0);
    mm_store_close(s);
}

static void test_reader_reuse(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 0, 0);
    struct mm_store_reader *r;
    assert_int_equal(mm_store_reader_open(s, &r), MM_OK);
    for (uint64_t i = 0; i < 200; i++) {
        struct put_ctx c = {&i, 1, 32, 0, MM_OK};
        assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
        struct mm_txn *txn, *other;
        uint64_t n;
        assert_int_equal(mm_store_reader_begin(r, &txn), MM_OK);
        check_value(txn, i);
        assert_int_equal(mm_store_count(txn, 0, &n), MM_OK);
        assert_int_equal(n, i + 1);
        /* a one-shot read on the same thread while the reader is active */
        assert_int_equal(mm_store_read_begin(s, &other), MM_OK);
        check_value(other, i);
        mm_store_read_end(other);
        mm_store_reader_end(r);
    }
    mm_store_reader_close(r);
    mm_store_reader_close(NULL);
    mm_store_close(s);
}

/* Another process grows the map: our next transactions must adopt its size. */
static void test_map_resized_by_other_process(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 1u << 20, 0);
    assert_int_equal(mm_store_write(s, put_name, "parent"), MM_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mm_store_options opt = {.map_size = 1u << 20, .dbs = DBS};
        struct mm_store *child;
        uint64_t keys[1024];
        for (size_t i = 0; i < 1024; i++)
            keys[i] = i;
        struct put_ctx c = {keys, 1024, 4000, 0, MM_OK};
        int ok = mm_store_open(f->path, &opt, &child) == MM_OK &&
                 mm_store_write(child, put_keys, &c) == MM_OK;
        mm_store_close(child);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(mm_store_write(s, put_name, "after"), MM_OK);
    assert_true(mm_store_map_size(s) >= 4u << 20);
    struct mm_txn *txn;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    check_value(txn, 1023);
    mm_store_read_end(txn);
    assert_int_equal(count(s, 1), 2);
    mm_store_close(s);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static mm_err noop(struct mm_txn *txn, void *arg)
{
    (void)txn, (void)arg;
    return MM_OK;
}

static void test_readonly_snapshot_copy(void **state)
{
    struct fixture *f = *state;
    struct mm_store *s = open_rw(f->path, 0, 0);
    const uint64_t keys[] = {42, 43};
    struct put_ctx c = {keys, 2, 32, 0, MM_OK};
    assert_int_equal(mm_store_write(s, put_keys, &c), MM_OK);
    mm_store_close(s);

    char *snapdir = mm_xasprintf("%s/snap", f->dir);
    char *data = mm_xasprintf("%s/data.mdb", snapdir);
    char *src = mm_xasprintf("%s/data.mdb", f->path);
    assert_int_equal(mkdir(snapdir, 0755), 0);
    copy_file(src, data);

    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = DBS};
    assert_int_equal(mm_store_open(data, &opt, &s), MM_OK);
    assert_true(mm_store_map_size(s) > 0);
    struct mm_txn *txn;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    check_value(txn, 42);
    check_value(txn, 43);
    mm_store_read_end(txn);
    assert_int_equal(mm_store_write(s, noop, NULL), MM_EIO);
    mm_store_close(s);
    assert_int_equal(dir_entries(snapdir), 1); /* no data.mdb-lock */

    /* a database the file does not hold */
    const char *const more[] = {"nums", "absent", NULL};
    opt.dbs = more;
    s = NULL;
    assert_int_equal(mm_store_open(data, &opt, &s), MM_ECORRUPT);
    assert_null(s);
    free(src);
    free(data);
    free(snapdir);
}

static void test_readonly_missing(void **state)
{
    struct fixture *f = *state;
    char *missing = mm_xasprintf("%s/nope/data.mdb", f->dir);
    struct mm_store *s = NULL;
    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = DBS};
    assert_int_equal(mm_store_open(missing, &opt, &s), MM_ENOTFOUND);
    opt.flags = MM_STORE_READONLY;
    assert_int_equal(mm_store_open(f->path, &opt, &s), MM_ENOTFOUND);
    assert_null(s);
    assert_int_equal(dir_entries(f->dir), 0); /* read-only opens create nothing */
    free(missing);
}

static void test_writable_nosubdir_creates_parents(void **state)
{
    struct fixture *f = *state;
    char *path = mm_xasprintf("%s/a/b/state.mdb", f->dir);
    struct mm_store_options opt = {.flags = MM_STORE_NOSUBDIR | MM_STORE_NOSYNC, .dbs = DBS};
    struct mm_store *s;
    assert_int_equal(mm_store_open(path, &opt, &s), MM_OK);
    assert_int_equal(mm_store_write(s, put_name, "x"), MM_OK);
    assert_int_equal(mm_store_sync(s), MM_OK);
    mm_store_close(s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    mm_store_close(NULL);
    free(path);
}

static void test_unwritable_home(void **state)
{
    struct fixture *f = *state;
    char *file = mm_xasprintf("%s/file", f->dir);
    char *path = mm_xasprintf("%s/file/env", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    struct mm_store_options opt = {.dbs = DBS};
    struct mm_store *s = NULL;
    assert_int_equal(mm_store_open(path, &opt, &s), MM_EIO); /* ENOTDIR */
    assert_null(s);
    free(path);
    free(file);
}

static void test_u64_keys(void **state)
{
    (void)state;
    unsigned char k[8];
    mm_store_u64_key(0x0102030405060708ull, k);
    const unsigned char want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(k, want, 8);
    assert_int_equal(mm_store_u64_from_key(k), 0x0102030405060708ull);
    mm_store_u64_key(UINT64_MAX, k);
    assert_int_equal(mm_store_u64_from_key(k), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_del_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_del_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_error_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_resized_by_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_snapshot_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writable_nosubdir_creates_parents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_home, setup, teardown),
        cmocka_unit_test(test_u64_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
