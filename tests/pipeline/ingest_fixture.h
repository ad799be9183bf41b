/* Test fixture shared by the ingest tests: a temporary folder holding the
 * input files, a config whose paths live inside it, and a state store; a
 * helper that runs the ingest stage as the runner would, and readers of its
 * outputs (rejects.csv, a text dump of the state). Included by tests only. */
#ifndef MM_TEST_INGEST_FIXTURE_H
#define MM_TEST_INGEST_FIXTURE_H

#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/config.h"
#include "common/log.h"
#include "common/store.h"
#include "pipeline/stage.h"

struct ing_fixture {
    char dir[64];
    struct mm_config *cfg;
    struct mm_store *state;
    volatile sig_atomic_t stop;
    json_t *counts; /* counts of the last run */
};

static inline int ing_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* <dir>/<name>; caller frees. */
static inline char *ing_path(const struct ing_fixture *f, const char *name)
{
    return mm_xasprintf("%s/%s", f->dir, name);
}

/* Writes `len` bytes (or strlen(text) when len is 0) to <dir>/<name>. */
static inline void ing_write(const struct ing_fixture *f, const char *name, const char *text,
                             size_t len)
{
    char *path = ing_path(f, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    size_t n = len ? len : strlen(text);
    assert_int_equal(fwrite(text, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    free(path);
}

/* Writes `len` bytes gzip-compressed to <dir>/<name>. */
static inline void ing_write_gz(const struct ing_fixture *f, const char *name, const char *text,
                                size_t len)
{
    char *path = ing_path(f, name);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    free(path);
}

/* The whole content of `path` (NUL-terminated); caller frees. */
static inline char *ing_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot read %s", path);
    struct mm_buf b;
    mm_buf_init(&b, 1 << 28);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(fp);
    if (len)
        *len = b.len;
    return mm_buf_take(&b);
}

/* The whole content of <dir>/<name>; caller frees. */
static inline char *ing_read(const struct ing_fixture *f, const char *name, size_t *len)
{
    char *path = ing_path(f, name);
    char *text = ing_slurp(path, len);
    free(path);
    return text;
}

/* tests/data/ingest/<name> (found through MM_TEST_DATA, else MM_SOURCE_DIR,
 * else the current folder) copied into the fixture as `as`, compressed when
 * `gz`. */
static inline void ing_copy_data(const struct ing_fixture *f, const char *name, const char *as,
                                 bool gz)
{
    const char *data = getenv("MM_TEST_DATA"), *src = getenv("MM_SOURCE_DIR");
    char *path = data ? mm_xasprintf("%s/ingest/%s", data, name)
                      : mm_xasprintf("%s/tests/data/ingest/%s", src ? src : ".", name);
    size_t len;
    char *text = ing_slurp(path, &len);
    if (gz)
        ing_write_gz(f, as, text, len);
    else
        ing_write(f, as, text, len);
    free(text);
    free(path);
}

/* (Re)loads the config: `sources` is the JSON array of ingest.sources,
 * `sets` further overrides such as "ingest.batch_size=2". */
static inline void ing_config(struct ing_fixture *f, const char *sources, const char *const *sets,
                              size_t n_sets)
{
    char *doc = mm_xasprintf("{\"paths\": {\"state\": \"state\", \"snapshots\": \"snapshots\", "
                             "\"reports\": \"reports\"},\n \"store\": {\"map_size_mb\": 1},\n"
                             " \"ingest\": {\"sources\": %s}}\n",
                             sources);
    ing_write(f, "moodmusic.json", doc, 0);
    free(doc);
    struct mm_buf errors;
    char *path = ing_path(f, "moodmusic.json");
    mm_buf_init(&errors, 1 << 16);
    mm_config_free(f->cfg);
    mm_err rc = mm_config_load(path, sets, n_sets, &f->cfg, &errors);
    if (rc)
        fail_msg("config: %s %s", mm_strerror(rc), errors.data ? errors.data : "");
    mm_buf_cleanup(&errors);
    free(path);
}

static inline struct ing_fixture *ing_new(void)
{
    static const char *const dbs[] = MM_STATE_DBS;
    struct ing_fixture *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-test-ingest-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mm_log_set_level(MM_LOG_ERROR);
    char *state = ing_path(f, "state");
    struct mm_store_options opt = {.dbs = dbs};
    assert_int_equal(mm_store_open(state, &opt, &f->state), MM_OK);
    free(state);
    return f;
}

static inline void ing_free(struct ing_fixture *f)
{
    mm_store_close(f->state);
    mm_config_free(f->cfg);
    json_decref(f->counts);
    nftw(f->dir, ing_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
}

/* Runs the ingest stage; its counts stay in f->counts. */
static inline mm_err ing_run(struct ing_fixture *f, const char *run_id, bool full, bool resumed)
{
    json_decref(f->counts);
    f->counts = json_object();
    struct mm_stage_ctx ctx = {.cfg = f->cfg,
                               .state = f->state,
                               .run_id = run_id,
                               .full = full,
                               .resumed = resumed,
                               .counts = f->counts,
                               .stop = &f->stop};
    return mm_stage_ingest.run(&ctx);
}

/* A total count of the last run (e.g. "accepted"). */
static inline long long ing_count(const struct ing_fixture *f, const char *name)
{
    json_t *v = json_object_get(f->counts, name);
    if (!json_is_integer(v))
        fail_msg("no count %s in %s", name, json_dumps(f->counts, JSON_COMPACT));
    return json_integer_value(v);
}

/* A count of one file of the last run ("<source>/<basename>"). */
static inline long long ing_file_count(const struct ing_fixture *f, const char *file,
                                       const char *name)
{
    json_t *v = json_object_get(json_object_get(json_object_get(f->counts, "files"), file), name);
    if (!json_is_integer(v))
        fail_msg("no count %s for %s in %s", name, file, json_dumps(f->counts, JSON_COMPACT));
    return json_integer_value(v);
}

/* rejects.csv of a run; caller frees. */
static inline char *ing_rejects(const struct ing_fixture *f, const char *run_id)
{
    char *name = mm_xasprintf("reports/%s/rejects.csv", run_id);
    char *text = ing_read(f, name, NULL);
    free(name);
    return text;
}

/* Number of rows (lines after the header) of a rejects.csv text without
 * embedded newlines. */
static inline int ing_rows(const char *rejects)
{
    int n = -1;
    for (const char *p = rejects; *p; p++)
        n += *p == '\n';
    return n;
}

/* Every key and value of the given state dbs, as hex text; caller frees. */
static inline char *ing_dump(const struct ing_fixture *f, const char *const *dbs)
{
    struct mm_buf b;
    struct mm_txn *txn;
    mm_buf_init(&b, 1 << 28);
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    for (size_t d = 0; dbs[d]; d++) {
        struct mm_cursor *c;
        const void *k, *v;
        size_t kl, vl;
        assert_int_equal(mm_store_cursor_open(txn, mm_store_db(f->state, dbs[d]), &c), MM_OK);
        assert_int_equal(mm_buf_printf(&b, "[%s]\n", dbs[d]), MM_OK);
        mm_err err = mm_store_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl);
        while (err == MM_OK) {
            for (size_t i = 0; i < kl; i++)
                assert_int_equal(mm_buf_printf(&b, "%02x", ((const unsigned char *)k)[i]), MM_OK);
            assert_int_equal(mm_buf_appendc(&b, '='), MM_OK);
            for (size_t i = 0; i < vl; i++)
                assert_int_equal(mm_buf_printf(&b, "%02x", ((const unsigned char *)v)[i]), MM_OK);
            assert_int_equal(mm_buf_appendc(&b, '\n'), MM_OK);
            err = mm_store_cursor_next(c, &k, &kl, &v, &vl);
        }
        assert_int_equal(err, MM_ENOTFOUND);
        mm_store_cursor_close(c);
    }
    mm_store_read_end(txn);
    return mm_buf_take(&b);
}

#endif
