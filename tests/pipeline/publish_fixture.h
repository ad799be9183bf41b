/* Test fixture shared by test_publish.c and test_snapshot_cmd.c: a temporary
 * directory with a config, a state store and a snapshots directory, and a
 * helper that runs the publish stage on them. Included by the tests only. */
#ifndef MM_TEST_PUBLISH_FIXTURE_H
#define MM_TEST_PUBLISH_FIXTURE_H

#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/snapshot.h"
#include "common/store.h"
#include "pipeline/stage.h"

struct pub_fixture {
    char dir[64];
    struct mm_config *cfg;
    struct mm_store *state;
    volatile sig_atomic_t stop;
    json_t *counts; /* counts of the last publish */
};

static inline int fixture_rm_entry(const char *path, const struct stat *st, int flag,
                                   struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void fixture_load_config(struct pub_fixture *f, const char *const *sets,
                                       size_t n_sets)
{
    struct mm_buf errors;
    char *path = mm_xasprintf("%s/moodmusic.json", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"paths\": {\"state\": \"state\", \"snapshots\": \"snapshots\"},\n"
          " \"store\": {\"map_size_mb\": 1}}\n",
          fp);
    assert_int_equal(fclose(fp), 0);
    mm_buf_init(&errors, 1 << 16);
    mm_err rc = mm_config_load(path, sets, n_sets, &f->cfg, &errors);
    if (rc)
        fail_msg("config: %s %s", mm_strerror(rc), errors.data ? errors.data : "");
    mm_buf_cleanup(&errors);
    free(path);
}

static inline void fixture_open_state(struct pub_fixture *f)
{
    static const char *const dbs[] = MM_STATE_DBS;
    struct mm_store_options opt = {.dbs = dbs};
    assert_int_equal(mm_store_open(f->cfg->paths.state, &opt, &f->state), MM_OK);
}

/* A fresh fixture; `sets` are config overrides such as "publish.keep=1". */
static inline struct pub_fixture *fixture_new(const char *const *sets, size_t n_sets)
{
    struct pub_fixture *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-test-publish-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mm_log_set_level(MM_LOG_ERROR);
    fixture_load_config(f, sets, n_sets);
    fixture_open_state(f);
    return f;
}

static inline void fixture_free(struct pub_fixture *f)
{
    mm_store_close(f->state);
    mm_config_free(f->cfg);
    json_decref(f->counts);
    nftw(f->dir, fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
}

/* Runs the publish stage as the runner would, keeping its counts. */
static inline mm_err fixture_publish(struct pub_fixture *f, const char *run_id)
{
    json_decref(f->counts);
    f->counts = json_object();
    struct mm_stage_ctx ctx = {
        .cfg = f->cfg, .state = f->state, .run_id = run_id, .counts = f->counts, .stop = &f->stop};
    return mm_stage_publish.run(&ctx);
}

/* The id `current` points to; fails the test when there is none. */
static inline const char *fixture_current(const struct pub_fixture *f)
{
    static char id[MM_SNAPSHOT_ID_MAX + 1];
    assert_int_equal(mm_snapshot_current(f->cfg->paths.snapshots, id, sizeof(id)), MM_OK);
    return id;
}

/* <snapshots>/<name>, caller frees. */
static inline char *fixture_path(const struct pub_fixture *f, const char *name)
{
    return mm_xasprintf("%s/%s", f->cfg->paths.snapshots, name);
}

#endif
