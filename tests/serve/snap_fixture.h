/*
 * snap_fixture.h — builds tiny published snapshots for the serve tests:
 * <dir>/<id>/data.mdb (the snapshot dbs, one snapshot request record per
 * given id, with one song) and a manifest.json with the real size and
 * sha256 of data.mdb, plus the `current` switch. Test-only; assertions on
 * every step.
 */
#ifndef MM_TEST_SNAP_FIXTURE_H
#define MM_TEST_SNAP_FIXTURE_H

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/snapshot.h"
#include "common/store.h"

struct fx_records {
    const uint64_t *ids;
    size_t n;
};

static int fx_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes `dir` and everything under it (symlinks are not followed). */
static void fx_rmtree(const char *dir)
{
    nftw(dir, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static mm_err fx_write_records(struct mm_txn *txn, void *ctx)
{
    const struct fx_records *recs = ctx;
    mm_err e = MM_OK;
    for (size_t i = 0; !e && i < recs->n; i++) {
        char text[64], title[64];
        char *emojis[] = {"\xf0\x9f\x8e\xb5"};
        char *criteria[] = {"calm"};
        snprintf(text, sizeof(text), "request number %llu", (unsigned long long)recs->ids[i]);
        snprintf(title, sizeof(title), "Song for %llu", (unsigned long long)recs->ids[i]);
        struct mm_analysis analysis = {.mood = "calm",
                                       .matched_criteria = criteria,
                                       .n_matched_criteria = 1,
                                       .raw =
                                           "{\"mood\":\"calm\",\"matched_criteria\":[\"calm\"]}"};
        struct mm_request r = {.id = recs->ids[i],
                               .user_id = 7,
                               .text = text,
                               .emojis = emojis,
                               .n_emojis = 1,
                               .num_songs = 1,
                               .analysis = &analysis,
                               .created_at_us = 1763647392123456LL,
                               .src = "fixture:1"};
        struct mm_song song = {.id = recs->ids[i] * 10,
                               .request_id = recs->ids[i],
                               .user_id = 7,
                               .position = 1,
                               .title = title,
                               .artist = "Artist",
                               .duration_ms = MM_NULL_INT,
                               .created_at_us = r.created_at_us,
                               .src = "fixture:2"};
        struct mm_buf val;
        unsigned char key[8];
        mm_buf_init(&val, 1 << 20);
        e = mm_codec_snapshot_request_encode(&r, &song, 1, &val);
        mm_store_u64_key(recs->ids[i], key);
        if (!e)
            e = mm_store_put(txn, 0, key, sizeof(key), val.data, val.len);
        mm_buf_cleanup(&val);
    }
    return e;
}

/* Builds snapshot `id` under `dir` holding requests `ids`. */
static void fx_snapshot(const char *dir, const char *id, const uint64_t *ids, size_t n)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_NOSUBDIR | MM_STORE_NOLOCK, .dbs = dbs};
    struct fx_records recs = {ids, n};
    struct mm_store *store;
    char sha[65];
    struct stat st;
    char *snap_dir = mm_xasprintf("%s/%s", dir, id);
    char *data = mm_xasprintf("%s/%s", snap_dir, MM_SNAPSHOT_DATA);
    char *manifest = mm_xasprintf("%s/%s", snap_dir, MM_SNAPSHOT_MANIFEST);
    assert_int_equal(mkdir(snap_dir, 0755), 0);
    assert_int_equal(mm_store_open(data, &opt, &store), MM_OK);
    assert_int_equal(mm_store_db(store, "requests"), 0);
    assert_int_equal(mm_store_write(store, fx_write_records, &recs), MM_OK);
    mm_store_close(store);
    assert_int_equal(mm_hash_sha256_file(data, sha), MM_OK);
    assert_int_equal(stat(data, &st), 0);
    json_t *m = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:n, s:{s:I, s:I}, s:n, s:n, s:{}, "
                          "s:{s:{s:s, s:I}}}",
                          "schema_version", 1, "id", id, "created_at", "2025-11-20T14:03:12Z",
                          "run_id", "r1", "program_version", "0.1.0", "config_hash", "abc",
                          "previous_id", "counts", "requests", (json_int_t)n, "songs",
                          (json_int_t)n, "embedder", "index", "prompt_versions", "files",
                          MM_SNAPSHOT_DATA, "sha256", sha, "bytes", (json_int_t)st.st_size);
    assert_non_null(m);
    assert_int_equal(json_dump_file(m, manifest, JSON_INDENT(2)), 0);
    json_decref(m);
    free(manifest);
    free(data);
    free(snap_dir);
}

/* Points <dir>/current at `id` with a rename, as the pipeline does. */
static void fx_point_current(const char *dir, const char *id)
{
    char *tmp = mm_xasprintf("%s/current.tmp", dir);
    char *cur = mm_xasprintf("%s/%s", dir, MM_SNAPSHOT_CURRENT);
    unlink(tmp);
    assert_int_equal(symlink(id, tmp), 0);
    assert_int_equal(rename(tmp, cur), 0);
    free(cur);
    free(tmp);
}

#endif
