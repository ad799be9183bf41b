/*
 * publish.c — the publish stage: state/ → an immutable snapshot, then the
 * atomic switch of `current` (DESIGN.md §5, docs/snapshots.md).
 *
 * Steps, each logged: lock the snapshots directory; remove leftovers of
 * crashed publishes; build <snapshots>/.tmp-<id>/data.mdb from one read
 * transaction of the state store, in write transactions of BATCH_RECORDS
 * requests, then the tracks, track names and mood rankings (publish_tracks.h);
 * sync; write manifest.json (tmp + fsync + rename); rename the directory to
 * <id>; verify it; switch `current`; apply retention.
 * A kill at any point leaves `current` on a complete, verified snapshot:
 * nothing a reader can reach changes before the switch, and the switch is
 * one rename(2).
 *
 * Memory does not grow with the number of requests: one request's decoded
 * fields live in an arena reset per request, its songs in a buffer capped at
 * MAX_SONGS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/progress.h"
#include "common/snapshot.h"
#include "pipeline/publish_tracks.h"
#include "pipeline/snapshot_write.h"
#include "pipeline/stage.h"

#define BATCH_RECORDS 10000    /* requests per snapshot write transaction */
#define MAX_SONGS 1000         /* songs of one request (the app asks for at most 100) */
#define RECORD_MAX (16u << 20) /* bytes of one encoded snapshot request */
#define ARENA_BLOCK (64u << 10)
#define MAX_ID_SUFFIX 1000 /* -2 ... -999 for ids taken in the same second */

/* What the new snapshot is; filled before the build starts. */
struct snap {
    char id[MM_SNAPSHOT_ID_MAX + 1];
    char tmp[MM_SNAPSHOT_ID_MAX + sizeof(MM_SNAPSHOT_TMP_PREFIX)];
    char prev[MM_SNAPSHOT_ID_MAX + 1]; /* "" when there was no current snapshot */
    char created_at[32];
    uint64_t requests, songs, bytes;
    struct mm_publish_tracks_counts tracks;
    char sha256[65];
};

/* One pass over the state's requests. The try_* fields belong to the write
 * transaction in flight (mm_store_write may run it again on a full map);
 * they are folded into the committed fields only after it commits. */
struct build {
    struct mm_cursor *requests, *songs; /* over one state read transaction */
    unsigned out_db;                    /* `requests` of the snapshot */
    struct mm_arena arena;
    struct mm_buf record;
    struct mm_song *song_buf;
    size_t song_alloc;
    uint64_t next_id, n_requests, n_songs;
    bool done;
    uint64_t try_next_id, try_requests, try_songs;
    bool try_done;
};

/* Decodes the songs of request `id` (a range scan over the u64 prefix). */
static mm_err gather_songs(struct build *b, uint64_t id, size_t *out)
{
    unsigned char prefix[8];
    const void *k, *v;
    size_t kl, vl, n = 0;
    mm_store_u64_key(id, prefix);
    mm_err rc = mm_store_cursor_seek(b->songs, prefix, 8, &k, &kl, &v, &vl);
    while (rc == MM_OK && kl == 16 && memcmp(k, prefix, 8) == 0) {
        if (n == MAX_SONGS) {
            mm_log_error("publish: request %llu has more than %d songs", (unsigned long long)id,
                         MAX_SONGS);
            return MM_ETOOBIG;
        }
        if (n == b->song_alloc) {
            b->song_alloc = b->song_alloc ? b->song_alloc * 2 : 16;
            b->song_buf = mm_xrealloc(b->song_buf, b->song_alloc * sizeof(*b->song_buf));
        }
        if ((rc = mm_codec_song_decode(v, vl, &b->arena, &b->song_buf[n])) != MM_OK) {
            mm_log_error("publish: state songs record %llu/%llu: %s", (unsigned long long)id,
                         (unsigned long long)mm_store_u64_from_key((const char *)k + 8),
                         mm_strerror(rc));
            return rc;
        }
        n++;
        rc = mm_store_cursor_next(b->songs, &k, &kl, &v, &vl);
    }
    *out = n;
    return rc == MM_ENOTFOUND ? MM_OK : rc;
}

/* Writes the snapshot record of one state request into `txn`. */
static mm_err put_request(struct build *b, struct mm_txn *txn, const void *key, const void *val,
                          size_t vlen)
{
    struct mm_request r;
    size_t n_songs;
    uint64_t id = mm_store_u64_from_key(key);
    mm_arena_reset(&b->arena);
    mm_buf_reset(&b->record);
    mm_err rc = mm_codec_request_decode(val, vlen, &b->arena, &r);
    if (rc) {
        mm_log_error("publish: state requests record %llu: %s", (unsigned long long)id,
                     mm_strerror(rc));
        return rc;
    }
    if ((rc = gather_songs(b, id, &n_songs)) != MM_OK)
        return rc;
    rc = mm_codec_snapshot_request_encode(&r, b->song_buf, n_songs, &b->record);
    if (rc) {
        mm_log_error("publish: request %llu: encoding its snapshot record: %s",
                     (unsigned long long)id, mm_strerror(rc));
        return rc;
    }
    if ((rc = mm_store_put(txn, b->out_db, key, 8, b->record.data, b->record.len)) != MM_OK)
        return rc;
    b->try_songs += n_songs;
    return MM_OK;
}

/* mm_store_write callback: up to BATCH_RECORDS requests from b->next_id on. */
static mm_err write_batch(struct mm_txn *txn, void *ctx)
{
    struct build *b = ctx;
    unsigned char start[8];
    const void *k, *v;
    size_t kl, vl;
    b->try_requests = b->try_songs = 0;
    b->try_next_id = b->next_id;
    b->try_done = false;
    mm_store_u64_key(b->next_id, start);
    mm_err rc = mm_store_cursor_seek(b->requests, start, 8, &k, &kl, &v, &vl);
    while (rc == MM_OK && b->try_requests < BATCH_RECORDS) {
        if (kl != 8) {
            mm_log_error("publish: state requests key of %zu bytes, expected 8", kl);
            return MM_ECORRUPT;
        }
        if ((rc = put_request(b, txn, k, v, vl)) != MM_OK)
            return rc;
        b->try_requests++;
        uint64_t id = mm_store_u64_from_key(k);
        if (id == UINT64_MAX) {
            rc = MM_ENOTFOUND;
            break;
        }
        b->try_next_id = id + 1;
        rc = mm_store_cursor_next(b->requests, &k, &kl, &v, &vl);
    }
    if (rc == MM_ENOTFOUND) {
        b->try_done = true;
        rc = MM_OK;
    }
    return rc;
}

/* Copies every state request into `out`, batch by batch. */
static mm_err copy_requests(struct mm_stage_ctx *ctx, struct build *b, struct mm_store *out,
                            uint64_t total)
{
    struct mm_progress progress;
    mm_err rc = MM_OK;
    mm_progress_init(&progress, "publish", "requests", total);
    while (!b->done) {
        if (ctx->stop && *ctx->stop) {
            rc = MM_EINTERRUPTED;
            break;
        }
        if ((rc = mm_store_write(out, write_batch, b)) != MM_OK)
            break;
        b->next_id = b->try_next_id;
        b->done = b->try_done;
        b->n_requests += b->try_requests;
        b->n_songs += b->try_songs;
        mm_progress_update(&progress, b->try_requests, b->n_requests);
    }
    mm_progress_finish(&progress);
    return rc;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

struct meta {
    const struct snap *snap;
    const char *run_id;
    unsigned db;
};

/* Puts the packed bytes of `sb` under `key` and empties `sb`. */
static mm_err put_packed(struct mm_txn *txn, unsigned db, const char *key, msgpack_sbuffer *sb)
{
    mm_err rc = mm_store_put(txn, db, key, strlen(key), sb->data, sb->size);
    msgpack_sbuffer_clear(sb);
    return rc;
}

/* mm_store_write callback: the `meta` db of the snapshot. */
static mm_err write_meta(struct mm_txn *txn, void *ctx)
{
    const struct meta *m = ctx;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_int(&pk, MM_SNAPSHOT_SCHEMA_VERSION);
    mm_err rc = put_packed(txn, m->db, "schema_version", &sb);
    pack_str(&pk, m->snap->id);
    rc = rc ? rc : put_packed(txn, m->db, "snapshot_id", &sb);
    pack_str(&pk, m->snap->created_at);
    rc = rc ? rc : put_packed(txn, m->db, "created_at", &sb);
    pack_str(&pk, m->run_id);
    rc = rc ? rc : put_packed(txn, m->db, "run_id", &sb);
    msgpack_pack_map(&pk, 5);
    pack_str(&pk, "requests");
    msgpack_pack_uint64(&pk, m->snap->requests);
    pack_str(&pk, "songs");
    msgpack_pack_uint64(&pk, m->snap->songs);
    pack_str(&pk, "tracks");
    msgpack_pack_uint64(&pk, m->snap->tracks.tracks);
    pack_str(&pk, "track_names");
    msgpack_pack_uint64(&pk, m->snap->tracks.track_names);
    pack_str(&pk, "moods");
    msgpack_pack_uint64(&pk, m->snap->tracks.moods);
    rc = rc ? rc : put_packed(txn, m->db, "counts", &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* Builds the LMDB file `data_path` from the state store; sets the counts of s. */
static mm_err build_data(struct mm_stage_ctx *ctx, const char *data_path, struct snap *s)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    const struct mm_config *cfg = ctx->cfg;
    struct mm_store_options opt = {
        .flags = MM_STORE_NOSUBDIR | MM_STORE_NOSYNC | MM_STORE_NOLOCK,
        .map_size = cfg->store.map_size_mb << 20,
        .max_map_size = cfg->store.max_map_size_mb << 20,
        .dbs = dbs,
    };
    struct mm_store *out;
    struct mm_txn *txn;
    struct build b = {0};
    struct meta meta;
    uint64_t total;
    unsigned requests_db = mm_store_db(ctx->state, "requests");
    mm_err rc = mm_store_open(data_path, &opt, &out);
    if (rc)
        goto out;
    if ((rc = mm_store_read_begin(ctx->state, &txn)) != MM_OK)
        goto out_close_store;
    if ((rc = mm_store_count(txn, requests_db, &total)) != MM_OK ||
        (rc = mm_store_cursor_open(txn, requests_db, &b.requests)) != MM_OK)
        goto out_end_read;
    if ((rc = mm_store_cursor_open(txn, mm_store_db(ctx->state, "songs"), &b.songs)) != MM_OK)
        goto out_close_requests;
    b.out_db = mm_store_db(out, "requests");
    mm_arena_init(&b.arena, ARENA_BLOCK);
    mm_buf_init(&b.record, RECORD_MAX);
    rc = copy_requests(ctx, &b, out, total);
    mm_arena_cleanup(&b.arena);
    mm_buf_cleanup(&b.record);
    free(b.song_buf);
    if (rc)
        goto out_close_songs;
    s->requests = b.n_requests;
    s->songs = b.n_songs;
    mm_log_info("publish: wrote %llu requests with %llu songs", (unsigned long long)s->requests,
                (unsigned long long)s->songs);
    if ((rc = mm_publish_tracks(ctx, txn, out, &s->tracks)) != MM_OK)
        goto out_close_songs;
    meta = (struct meta){.snap = s, .run_id = ctx->run_id, .db = mm_store_db(out, "meta")};
    if ((rc = mm_store_write(out, write_meta, &meta)) == MM_OK)
        rc = mm_store_sync(out);
out_close_songs:
    mm_store_cursor_close(b.songs);
out_close_requests:
    mm_store_cursor_close(b.requests);
out_end_read:
    mm_store_read_end(txn);
out_close_store:
    mm_store_close(out);
out:
    return rc;
}

static mm_err write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mm_err_from_errno(errno);
        data += n;
        len -= (size_t)n;
    }
    return MM_OK;
}

/* <tmp>/manifest.json, written under a temporary name, fsync'd and renamed. */
static mm_err write_manifest(const struct mm_stage_ctx *ctx, const struct mm_snapshot_dir *dir,
                             const struct snap *s, char *err)
{
    char hash[65], tmp_name[PATH_MAX], name[PATH_MAX];
    mm_config_hash(ctx->cfg, hash);
    json_t *m = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I},s:n,s:n,s:{},"
                          "s:{s:{s:s,s:I}}}",
                          "schema_version", MM_SNAPSHOT_SCHEMA_VERSION, "id", s->id, "created_at",
                          s->created_at, "run_id", ctx->run_id, "program_version", MM_VERSION,
                          "config_hash", hash, "previous_id",
                          s->prev[0] ? json_string(s->prev) : json_null(), "counts", "requests",
                          (json_int_t)s->requests, "songs", (json_int_t)s->songs, "tracks",
                          (json_int_t)s->tracks.tracks, "track_names",
                          (json_int_t)s->tracks.track_names, "moods", (json_int_t)s->tracks.moods,
                          "embedder", "index", "prompt_versions", "files", MM_SNAPSHOT_DATA,
                          "sha256", s->sha256, "bytes", (json_int_t)s->bytes);
    MM_ASSERT(m != NULL);
    char *text = json_dumps(m, JSON_INDENT(2));
    json_decref(m);
    snprintf(tmp_name, sizeof(tmp_name), "%s/%s.tmp", s->tmp, MM_SNAPSHOT_MANIFEST);
    snprintf(name, sizeof(name), "%s/%s", s->tmp, MM_SNAPSHOT_MANIFEST);
    mm_err rc = MM_OK;
    int fd = openat(dir->fd, tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = mm_err_from_errno(errno);
        mm_snapshot_write_errf(err, "create %s/%s: %s", dir->path, tmp_name, strerror(errno));
        goto out_free_text;
    }
    if ((rc = write_all(fd, text, strlen(text))) != MM_OK ||
        (rc = write_all(fd, "\n", 1)) != MM_OK || fsync(fd) != 0) {
        rc = rc ? rc : MM_EIO;
        mm_snapshot_write_errf(err, "write %s/%s: %s", dir->path, tmp_name, strerror(errno));
        goto out_close;
    }
    if (renameat(dir->fd, tmp_name, dir->fd, name) != 0) {
        rc = mm_err_from_errno(errno);
        mm_snapshot_write_errf(err, "rename %s/%s: %s", dir->path, tmp_name, strerror(errno));
        goto out_close;
    }
    rc = mm_snapshot_write_fsync(dir, s->tmp, err);
out_close:
    close(fd);
out_free_text:
    free(text);
    return rc;
}

/* Fills <tmp>/ completely: data.mdb (synced), its size and hash, the manifest. */
static mm_err build_tmp(struct mm_stage_ctx *ctx, const struct mm_snapshot_dir *dir, struct snap *s,
                        char *err)
{
    char rel[PATH_MAX], path[PATH_MAX];
    struct stat st;
    snprintf(rel, sizeof(rel), "%s/%s", s->tmp, MM_SNAPSHOT_DATA);
    int n = snprintf(path, sizeof(path), "%s/%s", dir->path, rel);
    if (n < 0 || n >= (int)sizeof(path)) {
        mm_snapshot_write_errf(err, "%s: path too long", dir->path);
        return MM_ETOOBIG;
    }
    mm_err rc = build_data(ctx, path, s);
    if (rc)
        return rc;
    if ((rc = mm_snapshot_write_fsync(dir, rel, err)) != MM_OK)
        return rc;
    if (fstatat(dir->fd, rel, &st, 0) != 0) {
        mm_snapshot_write_errf(err, "stat %s: %s", path, strerror(errno));
        return mm_err_from_errno(errno);
    }
    s->bytes = (uint64_t)st.st_size;
    if ((rc = mm_hash_sha256_file(path, s->sha256)) != MM_OK) {
        mm_snapshot_write_errf(err, "sha256 of %s: %s", path, mm_strerror(rc));
        return rc;
    }
    mm_log_info("publish: %s synced (%llu bytes, sha256 %s)", path, (unsigned long long)s->bytes,
                s->sha256);
    if ((rc = write_manifest(ctx, dir, s, err)) == MM_OK)
        mm_log_info("publish: %s/%s/%s written", dir->path, s->tmp, MM_SNAPSHOT_MANIFEST);
    return rc;
}

static bool exists_at(const struct mm_snapshot_dir *d, const char *name)
{
    struct stat st;
    return fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The new id (UTC time + run id, -2, -3 ... when taken) and created_at. */
static mm_err make_id(const struct mm_snapshot_dir *d, const char *run_id, struct snap *s,
                      char *err)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    mm_codec_format_time((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, s->created_at);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (int i = 1; i < MAX_ID_SUFFIX; i++) {
        int n = i == 1 ? snprintf(s->id, sizeof(s->id), "%s-%s", stamp, run_id)
                       : snprintf(s->id, sizeof(s->id), "%s-%s-%d", stamp, run_id, i);
        if (n < 0 || n >= (int)sizeof(s->id) || !mm_snapshot_id_valid(s->id)) {
            mm_snapshot_write_errf(err, "run id \"%s\" does not make a valid snapshot id", run_id);
            return MM_EINVAL;
        }
        snprintf(s->tmp, sizeof(s->tmp), MM_SNAPSHOT_TMP_PREFIX "%s", s->id);
        if (!exists_at(d, s->id) && !exists_at(d, s->tmp))
            return MM_OK;
    }
    mm_snapshot_write_errf(err, "%s/%s-%s: %d snapshot ids taken in one second", d->path, stamp,
                           run_id, MAX_ID_SUFFIX);
    return MM_EEXIST;
}

/* s->prev = the id `current` points to now ("" when none or unreadable). */
static void read_previous(const struct mm_snapshot_dir *d, struct snap *s)
{
    mm_err rc = mm_snapshot_current(d->path, s->prev, sizeof(s->prev));
    if (rc && rc != MM_ENOTFOUND)
        mm_log_warn("publish: %s/%s is not a link to a snapshot (%s); it will be replaced", d->path,
                    MM_SNAPSHOT_CURRENT, mm_strerror(rc));
    if (rc)
        s->prev[0] = '\0';
}

static void set_counts(json_t *counts, const struct snap *s)
{
    json_object_set_new(counts, "requests", json_integer((json_int_t)s->requests));
    json_object_set_new(counts, "songs", json_integer((json_int_t)s->songs));
    json_object_set_new(counts, "tracks", json_integer((json_int_t)s->tracks.tracks));
    json_object_set_new(counts, "track_names", json_integer((json_int_t)s->tracks.track_names));
    json_object_set_new(counts, "moods", json_integer((json_int_t)s->tracks.moods));
    json_object_set_new(counts, "snapshot_id", json_string(s->id));
    json_object_set_new(counts, "bytes", json_integer((json_int_t)s->bytes));
}

static mm_err publish_run(struct mm_stage_ctx *ctx)
{
    struct mm_snapshot_dir dir;
    struct snap s = {0};
    char err[MM_ERRLEN] = "", rm_err[MM_ERRLEN];
    mm_err rc = mm_snapshot_write_lock(ctx->cfg->paths.snapshots, &dir, err);
    if (rc)
        goto out_log;
    if ((rc = mm_snapshot_write_clean(&dir, NULL, err)) != MM_OK)
        goto out_unlock;
    read_previous(&dir, &s);
    if ((rc = make_id(&dir, ctx->run_id, &s, err)) != MM_OK)
        goto out_unlock;
    if (mkdirat(dir.fd, s.tmp, 0755) != 0) {
        rc = mm_err_from_errno(errno);
        mm_snapshot_write_errf(err, "mkdir %s/%s: %s", dir.path, s.tmp, strerror(errno));
        goto out_unlock;
    }
    mm_log_info("publish: building %s/%s (previous: %s)", dir.path, s.tmp,
                s.prev[0] ? s.prev : "none");
    if ((rc = build_tmp(ctx, &dir, &s, err)) != MM_OK)
        goto out_remove_tmp;
    if (renameat(dir.fd, s.tmp, dir.fd, s.id) != 0) {
        rc = mm_err_from_errno(errno);
        mm_snapshot_write_errf(err, "rename %s/%s: %s", dir.path, s.tmp, strerror(errno));
        goto out_remove_tmp;
    }
    if ((rc = mm_snapshot_write_fsync(&dir, NULL, err)) != MM_OK)
        goto out_unlock;
    mm_log_info("publish: %s/%s in place", dir.path, s.id);
    if ((rc = mm_snapshot_verify(dir.path, s.id, err)) != MM_OK)
        goto out_unlock;
    mm_log_info("publish: %s verified", s.id);
    if ((rc = mm_snapshot_write_switch(&dir, s.id, err)) != MM_OK)
        goto out_unlock;
    mm_log_info("publish: current -> %s", s.id);
    set_counts(ctx->counts, &s);
    rc = mm_snapshot_write_retain(&dir, ctx->cfg->publish.keep, NULL, err);
    goto out_unlock;
out_remove_tmp:
    if (mm_snapshot_write_remove(&dir, s.tmp, rm_err) != MM_OK)
        mm_log_warn("publish: %s (the next publish removes it)", rm_err);
out_unlock:
    mm_snapshot_write_unlock(&dir);
out_log:
    if (rc == MM_EINTERRUPTED)
        mm_log_warn("publish: interrupted; current is unchanged");
    else if (rc)
        mm_log_error("publish failed: %s", err[0] ? err : mm_strerror(rc));
    return rc;
}

const struct mm_stage mm_stage_publish = {
    .name = "publish",
    .summary = "write an immutable LMDB snapshot of the state and switch `current` to it",
    .run = publish_run,
};
