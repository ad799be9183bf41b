/*
 * ingest_batch.c — what happens to a validated record: it is compared with
 * what the state (or the current batch) already holds under its id, queued
 * encoded in the batch when it is new or an update, and the batch is
 * committed in one write transaction together with the watermarks and the
 * file's checkpoint.
 *
 * Lookups run in a read transaction that spans the batch's parsing; records
 * of the batch itself are found through two small open-addressing tables
 * (request id → entry, song id → entry), so a JSONL request and its songs,
 * or an id repeated inside a batch, are judged exactly as if every earlier
 * record had been committed. The write callback only puts pre-encoded bytes,
 * so mm_store_write may rerun it after growing the map.
 */
#include "pipeline/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/store.h"

struct entry {
    uint64_t id;  /* request id, or song id */
    uint64_t rid; /* request id (songs) */
    uint64_t line;
    size_t off, len; /* encoded value in vals */
    bool song;
};

struct slot {
    uint64_t id;
    size_t entry; /* entry index + 1; 0 = empty */
};

struct mm__ingest_batch {
    size_t batch_size; /* records per batch (ingest.batch_size) */
    size_t max_bytes;  /* encoded bytes that also close a batch */
    struct entry *e;
    size_t n, max;
    struct mm_buf vals;
    struct slot *requests, *songs;
    size_t mask;                    /* table size - 1 */
    uint64_t max_request, max_song; /* highest ids queued */
};

struct mm__ingest_batch *mm__ingest_batch_new(size_t batch_size, size_t max_records,
                                              size_t max_bytes, size_t max_record_bytes)
{
    struct mm__ingest_batch *b = mm_xcalloc(1, sizeof(*b));
    b->batch_size = batch_size;
    b->max_bytes = max_bytes;
    b->max = max_records;
    b->e = mm_xcalloc(max_records, sizeof(*b->e));
    mm_buf_init(&b->vals, max_bytes + max_record_bytes);
    size_t size = 16;
    while (size < 2 * max_records)
        size *= 2;
    b->mask = size - 1;
    b->requests = mm_xcalloc(size, sizeof(struct slot));
    b->songs = mm_xcalloc(size, sizeof(struct slot));
    return b;
}

void mm__ingest_batch_free(struct mm__ingest_batch *b)
{
    if (!b)
        return;
    free(b->e);
    mm_buf_cleanup(&b->vals);
    free(b->requests);
    free(b->songs);
    free(b);
}

static void batch_reset(struct mm__ingest_batch *b)
{
    b->n = 0;
    mm_buf_reset(&b->vals);
    memset(b->requests, 0, (b->mask + 1) * sizeof(struct slot));
    memset(b->songs, 0, (b->mask + 1) * sizeof(struct slot));
    b->max_request = b->max_song = 0;
}

static struct slot *find(const struct mm__ingest_batch *b, struct slot *table, uint64_t id)
{
    size_t i = (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & b->mask;
    while (table[i].entry && table[i].id != id)
        i = (i + 1) & b->mask;
    return &table[i];
}

mm_err mm__ingest_batch_begin(struct mm__ingest_file *f)
{
    return f->txn ? MM_OK : mm_store_reader_begin(f->in->reader, &f->txn);
}

bool mm__ingest_batch_full(const struct mm__ingest_file *f)
{
    const struct mm__ingest_batch *b = f->in->batch;
    return f->batch_inputs >= b->batch_size || b->n >= b->batch_size || b->vals.len >= b->max_bytes;
}

mm_err mm__ingest_reject(struct mm__ingest_file *f, uint64_t line, const char *column,
                         const char *field, const char *reason, const char *excerpt,
                         size_t excerpt_len)
{
    const struct mm__ingest_reject row = {f->source, f->path, line,    column,
                                          field,     reason,  excerpt, excerpt_len};
    mm_err err = mm__ingest_rejects_add(f->in->rejects, &row);
    if (err)
        return err;
    f->c.rejected++;
    if (f->logged < MM__INGEST_LOGGED_REJECTS) {
        f->logged++;
        mm_log_fields(MM_LOG_WARN,
                      json_pack("{s:s, s:I, s:s, s:s, s:s}", "file", f->path, "line",
                                (json_int_t)line, "column", column, "field", field, "reason",
                                reason),
                      "rejected %s:%llu:%s: %s", f->path, (unsigned long long)line, column, reason);
    }
    return MM_OK;
}

/* True when a stored record came from this very file version (in this run
 * or an earlier one): a second, different version of its id in the same
 * export is a conflict, not an update. *line is the line it came from. */
static bool from_this_export(const struct mm__ingest_file *f, const char *src, uint64_t *line)
{
    const char *at = strchr(src, ':'), *last = strrchr(src, ':');
    const char *file = strchr(f->src_prefix, ':'); /* ":<label>@<version>:" */
    size_t n = strlen(file);
    if (!at || last == at || (size_t)(last - at + 1) != n || memcmp(at, file, n) != 0)
        return false;
    *line = strtoull(last + 1, NULL, 10);
    return true;
}

/* Appends an encoded record to the batch and indexes it. */
static mm_err queue(struct mm__ingest_file *f, const void *rec, bool song, uint64_t id,
                    uint64_t rid, uint64_t line)
{
    struct mm__ingest_batch *b = f->in->batch;
    size_t off = b->vals.len;
    mm_err err =
        song ? mm_codec_song_encode(rec, &b->vals) : mm_codec_request_encode(rec, &b->vals);
    if (err) {
        mm_log_error("ingest %s:%llu: cannot encode the record: %s", f->path,
                     (unsigned long long)line, mm_strerror(err));
        return err;
    }
    MM_ASSERT(b->n < b->max);
    b->e[b->n] = (struct entry){id, rid, line, off, b->vals.len - off, song};
    struct slot *s = find(b, song ? b->songs : b->requests, id);
    s->id = id;
    s->entry = ++b->n;
    uint64_t *max = song ? &b->max_song : &b->max_request;
    *max = id > *max ? id : *max;
    return MM_OK;
}

/* Judges a record against the version already stored or queued under its
 * id (prev, or NULL) and queues it when it is new or an update. */
static mm_err judge(struct mm__ingest_file *f, const void *rec, const void *prev, bool song,
                    bool normalised, uint64_t line, const char *excerpt, size_t excerpt_len)
{
    const struct mm_request *r = rec;
    const struct mm_song *s = rec;
    uint64_t id = song ? s->id : r->id, prev_line;
    if (prev && (song ? mm_codec_song_same(prev, rec) : mm_codec_request_same(prev, rec))) {
        f->c.duplicates++;
        return MM_OK;
    }
    if (prev && from_this_export(f,
                                 song ? ((const struct mm_song *)prev)->src
                                      : ((const struct mm_request *)prev)->src,
                                 &prev_line)) {
        char reason[96], where[96];
        snprintf(reason, sizeof(reason), "duplicate id %llu conflicts with line %llu",
                 (unsigned long long)id, (unsigned long long)prev_line);
        mm__ingest_where(f, song, 0, where);
        return mm__ingest_reject(f, line, where, "id", reason, excerpt, excerpt_len);
    }
    mm_err err = queue(f, rec, song, id, song ? s->request_id : id, line);
    if (err)
        return err;
    f->c.accepted++;
    f->c.updated += prev != NULL;
    f->c.normalised += normalised;
    return MM_OK;
}

/* Decodes a stored or queued value; a bad one stops the stage. */
static mm_err decode(const struct mm__ingest_file *f, bool song, uint64_t id, const void *val,
                     size_t len, void *out)
{
    struct mm_arena *a = &f->in->arena;
    mm_err err =
        song ? mm_codec_song_decode(val, len, a, out) : mm_codec_request_decode(val, len, a, out);
    if (err)
        mm_log_error("ingest %s: the stored %s %llu cannot be decoded: %s", f->path,
                     song ? "song" : "request", (unsigned long long)id, mm_strerror(err));
    return err;
}

/* "<src_prefix><line>", per record: no printf on this path. */
static char *make_src(struct mm__ingest_file *f, uint64_t line)
{
    char digits[20];
    size_t nd = 0, np = strlen(f->src_prefix);
    do {
        digits[nd++] = (char)('0' + line % 10);
        line /= 10;
    } while (line);
    char *src = mm_arena_alloc(&f->in->arena, np + nd + 1);
    memcpy(src, f->src_prefix, np);
    for (size_t i = 0; i < nd; i++)
        src[np + i] = digits[nd - 1 - i];
    src[np + nd] = '\0';
    return src;
}

mm_err mm__ingest_add_request(struct mm__ingest_file *f, struct mm_request *r, bool normalised,
                              uint64_t line, const char *excerpt, size_t excerpt_len)
{
    struct mm__ingest_batch *b = f->in->batch;
    struct mm_request prev;
    const void *val;
    size_t len;
    unsigned char key[8];
    r->src = make_src(f, line);
    struct slot *s = find(b, b->requests, r->id);
    mm_err err = MM_ENOTFOUND;
    if (s->entry) {
        const struct entry *e = &b->e[s->entry - 1];
        err = decode(f, false, r->id, b->vals.data + e->off, e->len, &prev);
    } else {
        mm_store_u64_key(r->id, key);
        err = mm_store_get(f->txn, f->in->db_requests, key, 8, &val, &len);
        if (!err)
            err = decode(f, false, r->id, val, len, &prev);
    }
    if (err && err != MM_ENOTFOUND)
        return err;
    return judge(f, r, err ? NULL : &prev, false, normalised, line, excerpt, excerpt_len);
}

/* True when request `rid` is accepted (in the state or in this batch). */
static mm_err request_exists(struct mm__ingest_file *f, uint64_t rid, bool *yes)
{
    const void *val;
    size_t len;
    unsigned char key[8];
    *yes = f->known_request == rid || find(f->in->batch, f->in->batch->requests, rid)->entry;
    if (*yes)
        return MM_OK;
    mm_store_u64_key(rid, key);
    mm_err err = mm_store_get(f->txn, f->in->db_requests, key, 8, &val, &len);
    if (err == MM_ENOTFOUND)
        return MM_OK;
    if (!err) {
        *yes = true;
        f->known_request = rid;
    }
    return err;
}

/* The stored or queued version of song `s` under the request that owns its
 * id: MM_ENOTFOUND when the id is new; *owner is that request's id. */
static mm_err song_prev(struct mm__ingest_file *f, const struct mm_song *s, uint64_t *owner,
                        struct mm_song *prev)
{
    struct mm__ingest_batch *b = f->in->batch;
    const void *val;
    size_t len;
    unsigned char key[16];
    struct slot *slot = find(b, b->songs, s->id);
    if (slot->entry) {
        const struct entry *e = &b->e[slot->entry - 1];
        *owner = e->rid;
        return decode(f, true, s->id, b->vals.data + e->off, e->len, prev);
    }
    mm_store_u64_key(s->id, key);
    mm_err err = mm_store_get(f->txn, f->in->db_song_ids, key, 8, &val, &len);
    if (err)
        return err;
    *owner = len == 8 ? mm_store_u64_from_key(val) : 0;
    if (*owner != s->request_id)
        return MM_OK;
    mm_store_u64_key(s->request_id, key);
    mm_store_u64_key(s->id, key + 8);
    err = mm_store_get(f->txn, f->in->db_songs, key, 16, &val, &len);
    return err ? err : decode(f, true, s->id, val, len, prev);
}

mm_err mm__ingest_add_song(struct mm__ingest_file *f, struct mm_song *s, bool normalised,
                           uint64_t line, const char *excerpt, size_t excerpt_len)
{
    char reason[128], where[96];
    bool exists;
    uint64_t owner = 0;
    struct mm_song prev;
    s->src = make_src(f, line);
    mm_err err = request_exists(f, s->request_id, &exists);
    if (err)
        return err;
    if (!exists) {
        snprintf(reason, sizeof(reason),
                 "request_id %llu: no such request (missing from the export or rejected)",
                 (unsigned long long)s->request_id);
        mm__ingest_where(f, true, MM__SG_REQUEST_ID, where);
        return mm__ingest_reject(f, line, where, "request_id", reason, excerpt, excerpt_len);
    }
    err = song_prev(f, s, &owner, &prev);
    if (err && err != MM_ENOTFOUND)
        return err;
    if (!err && owner != s->request_id) {
        snprintf(reason, sizeof(reason), "song id %llu already belongs to request %llu",
                 (unsigned long long)s->id, (unsigned long long)owner);
        mm__ingest_where(f, true, MM__SG_ID, where);
        return mm__ingest_reject(f, line, where, "id", reason, excerpt, excerpt_len);
    }
    return judge(f, s, err ? NULL : &prev, true, normalised, line, excerpt, excerpt_len);
}

/* --- the write --- */

/* Encoded bytes committed between two releases of the map's resident pages:
 * lookups fault in pages all over the state (every request page while its
 * songs are joined), and without a release the RSS would grow with it. */
#define RELEASE_BYTES (64u << 20)

struct write {
    const struct mm__ingest *in;
    const struct mm__ingest_batch *b;
    const char *ckpt_key, *ckpt;
    char wm_requests[24], wm_songs[24];
};

static mm_err put_text(struct mm_txn *txn, unsigned db, const char *key, const char *val)
{
    return mm_store_put(txn, db, key, strlen(key), val, strlen(val));
}

static mm_err write_batch(struct mm_txn *txn, void *arg)
{
    const struct write *w = arg;
    const struct mm__ingest *in = w->in;
    unsigned char key[16], rid[8];
    mm_err err = MM_OK;
    for (size_t i = 0; i < w->b->n && !err; i++) {
        const struct entry *e = &w->b->e[i];
        const char *val = w->b->vals.data + e->off;
        if (!e->song) {
            mm_store_u64_key(e->id, key);
            err = mm_store_put(txn, in->db_requests, key, 8, val, e->len);
            continue;
        }
        mm_store_u64_key(e->rid, key);
        mm_store_u64_key(e->id, key + 8);
        err = mm_store_put(txn, in->db_songs, key, 16, val, e->len);
        memcpy(rid, key, 8);
        if (!err)
            err = mm_store_put(txn, in->db_song_ids, key + 8, 8, rid, 8);
    }
    if (!err)
        err = put_text(txn, in->db_meta, "watermark/requests", w->wm_requests);
    if (!err)
        err = put_text(txn, in->db_meta, "watermark/songs", w->wm_songs);
    if (!err)
        err = put_text(txn, in->db_checkpoints, w->ckpt_key, w->ckpt);
    return err;
}

mm_err mm__ingest_batch_commit(struct mm__ingest_file *f, bool complete, const char *error)
{
    struct mm__ingest *in = f->in;
    struct mm__ingest_batch *b = in->batch;
    uint64_t rejects_bytes;
    if (f->txn) {
        mm_store_reader_end(in->reader);
        f->txn = NULL;
    }
    mm_err err = mm__ingest_rejects_sync(in->rejects, &rejects_bytes);
    if (err)
        return err;
    uint64_t wm_requests = b->max_request > in->wm_requests ? b->max_request : in->wm_requests;
    uint64_t wm_songs = b->max_song > in->wm_songs ? b->max_song : in->wm_songs;
    struct write w = {.in = in, .b = b};
    snprintf(w.wm_requests, sizeof(w.wm_requests), "%llu", (unsigned long long)wm_requests);
    snprintf(w.wm_songs, sizeof(w.wm_songs), "%llu", (unsigned long long)wm_songs);
    char *key = mm_xasprintf("ingest/%s", f->label);
    char *ckpt = mm__ingest_checkpoint_render(f, complete, error, rejects_bytes);
    w.ckpt_key = key;
    w.ckpt = ckpt;
    err = mm_store_write(in->ctx->state, write_batch, &w);
    if (!err) {
        in->rejects_committed = rejects_bytes;
        in->commits++;
        in->unreleased += b->vals.len;
        in->wm_requests = wm_requests;
        in->wm_songs = wm_songs;
        batch_reset(b);
        f->batch_inputs = 0;
    }
    if (!err && in->unreleased >= RELEASE_BYTES) {
        mm_store_reader_close(in->reader);
        in->reader = NULL;
        in->unreleased = 0;
        err = mm_store_release_pages(in->ctx->state);
        if (!err)
            err = mm_store_reader_open(in->ctx->state, &in->reader);
    }
    free(ckpt);
    free(key);
    return err;
}
