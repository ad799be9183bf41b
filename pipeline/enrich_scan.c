/*
 * enrich_scan.c — the first step of enrich: every song of the state `songs`
 * db is counted into the mention record of its (title, artist).
 *
 * Songs are read in key order, SCAN_BATCH at a time (or SCAN_BYTES of
 * records), in a short read transaction; their mention keys are sorted so
 * that each distinct mention of the batch is read and written once; then one
 * write transaction updates the mention records and the checkpoint
 * MM__ENRICH_CHECKPOINT {run_id, after, done, counts}. A record counted by an
 * older run starts over at this batch's count (counted_run), so a full scan
 * leaves exact counts however often the songs were scanned before.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/log.h"
#include "common/progress.h"
#include "pipeline/enrich_int.h"

#define SCAN_BATCH 2000        /* songs per write transaction */
#define SCAN_BYTES (16u << 20) /* song record bytes per batch */
#define SONG_KEY_LEN 16        /* u64 request id, u64 song id */
#define ARENA_BLOCK (256u << 10)
#define KEYS_MAX (SCAN_BATCH * MM_MENTION_KEY_MAX)
#define RECORD_MAX (1u << 20)

struct item {
    size_t key_off, key_len;
    const char *title, *artist; /* in the scan's arena */
    size_t seq;                 /* scan order: the first song gives the example */
};

struct scan {
    struct mm_stage_ctx *ctx;
    unsigned db_songs, db_mentions, db_checkpoints;
    struct mm_arena songs_arena, rec_arena;
    struct mm_buf key, keys, record;
    struct item *items; /* SCAN_BATCH */
    size_t n_items;
    unsigned char after[SONG_KEY_LEN]; /* last song key scanned, when started */
    bool started, done;
    struct mm__enrich_scan_counts c;
    /* The batch in hand, folded into the fields above once committed. */
    unsigned char try_after[SONG_KEY_LEN];
    bool try_done;
    struct mm__enrich_scan_counts try_c;
};

static int item_cmp(const void *pa, const void *pb, void *keys)
{
    const struct item *a = pa, *b = pb;
    const char *base = keys;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int d = memcmp(base + a->key_off, base + b->key_off, n);
    if (d == 0)
        d = a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
    if (d == 0)
        d = a->seq < b->seq ? -1 : a->seq > b->seq;
    return d;
}

static bool same_key(const struct scan *s, const struct item *a, const struct item *b)
{
    return a->key_len == b->key_len &&
           memcmp(s->keys.data + a->key_off, s->keys.data + b->key_off, a->key_len) == 0;
}

/* The checkpoint after the batch in hand, as JSON text; caller frees. */
static char *checkpoint_render(const struct scan *s)
{
    char hex[2 * SONG_KEY_LEN + 1];
    for (size_t i = 0; i < SONG_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", s->try_after[i]);
    json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I}", "run_id", s->ctx->run_id, "after", hex,
                          "done", s->try_done, "songs", (json_int_t)(s->c.songs + s->try_c.songs),
                          "new_mentions", (json_int_t)(s->c.new_mentions + s->try_c.new_mentions),
                          "too_long", (json_int_t)(s->c.too_long + s->try_c.too_long));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    MM_ASSERT(text);
    return text;
}

static bool parse_hex(const char *hex, unsigned char out[SONG_KEY_LEN])
{
    bool ok = hex && strlen(hex) == 2 * SONG_KEY_LEN &&
              strspn(hex, "0123456789abcdef") == 2 * SONG_KEY_LEN;
    for (size_t i = 0; ok && i < SONG_KEY_LEN; i++) {
        char pair[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        out[i] = (unsigned char)strtoul(pair, NULL, 16);
    }
    return ok;
}

/* Restores the position of this run's interrupted scan, if there is one. */
static mm_err checkpoint_load(struct scan *s)
{
    struct mm_txn *txn;
    const void *v;
    size_t vl;
    mm_err err = mm_store_read_begin(s->ctx->state, &txn);
    if (err)
        return err;
    err = mm_store_get(txn, s->db_checkpoints, MM__ENRICH_CHECKPOINT, strlen(MM__ENRICH_CHECKPOINT),
                       &v, &vl);
    json_t *o = err ? NULL : json_loadb(v, vl, 0, NULL);
    const char *run = json_string_value(json_object_get(o, "run_id"));
    bool done = json_is_true(json_object_get(o, "done"));
    if (run && s->ctx->resumed && strcmp(run, s->ctx->run_id) == 0 &&
        (done || parse_hex(json_string_value(json_object_get(o, "after")), s->after))) {
        s->started = !done;
        s->done = done;
        s->c.songs = (uint64_t)json_integer_value(json_object_get(o, "songs"));
        s->c.new_mentions = (uint64_t)json_integer_value(json_object_get(o, "new_mentions"));
        s->c.too_long = (uint64_t)json_integer_value(json_object_get(o, "too_long"));
        mm_log_info("enrich: the song scan of run %s %s", run, done ? "is complete" : "resumes");
    }
    json_decref(o);
    mm_store_read_end(txn);
    return err == MM_ENOTFOUND ? MM_OK : err;
}

/* Adds one song record to the batch (or counts it as too long). */
static mm_err take_song(struct scan *s, const void *k, const void *v, size_t vl)
{
    struct mm_song song;
    mm_err err = mm_codec_song_decode(v, vl, &s->songs_arena, &song);
    if (err) {
        mm_log_error("enrich: state songs record %llu/%llu: %s",
                     (unsigned long long)mm_store_u64_from_key(k),
                     (unsigned long long)mm_store_u64_from_key((const char *)k + 8),
                     mm_strerror(err));
        return err;
    }
    size_t off = s->keys.len;
    mm_buf_reset(&s->key);
    if (strlen(song.title) > MM_MENTION_TEXT_MAX ||
        (song.artist && strlen(song.artist) > MM_MENTION_TEXT_MAX))
        err = MM_ETOOBIG;
    else
        err = mm_enrich_mention_key(song.title, song.artist, &s->key);
    if (err == MM_ETOOBIG) {
        s->try_c.too_long++;
        return MM_OK;
    }
    if (!err)
        err = mm_buf_append(&s->keys, s->key.data, s->key.len);
    if (!err)
        s->items[s->n_items] = (struct item){off, s->key.len, song.title, song.artist, s->n_items};
    s->n_items += !err;
    return err;
}

/* Reads the next batch of songs into s->items and sorts them by mention key. */
static mm_err read_batch(struct scan *s)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl, bytes = 0;
    s->n_items = 0;
    mm_buf_reset(&s->keys);
    mm_arena_reset(&s->songs_arena);
    s->try_c = (struct mm__enrich_scan_counts){0};
    memcpy(s->try_after, s->after, SONG_KEY_LEN);
    mm_err err = mm_store_read_begin(s->ctx->state, &txn);
    if (err)
        return err;
    if ((err = mm_store_cursor_open(txn, s->db_songs, &cur)) != MM_OK)
        goto out_end_txn;
    err = mm_store_cursor_seek(cur, s->started ? s->after : NULL, s->started ? SONG_KEY_LEN : 0, &k,
                               &kl, &v, &vl);
    if (!err && s->started && kl == SONG_KEY_LEN && memcmp(k, s->after, SONG_KEY_LEN) == 0)
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    while (!err && s->try_c.songs < SCAN_BATCH && bytes < SCAN_BYTES) {
        if (kl != SONG_KEY_LEN) {
            mm_log_error("enrich: state songs key of %zu bytes, expected %d", kl, SONG_KEY_LEN);
            err = MM_ECORRUPT;
            break;
        }
        if ((err = take_song(s, k, v, vl)) != MM_OK)
            break;
        bytes += vl;
        s->try_c.songs++;
        memcpy(s->try_after, k, SONG_KEY_LEN);
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    s->try_done = err == MM_ENOTFOUND;
    if (s->try_done)
        err = MM_OK;
    mm_store_cursor_close(cur);
out_end_txn:
    mm_store_read_end(txn);
    if (!err)
        qsort_r(s->items, s->n_items, sizeof(s->items[0]), item_cmp, s->keys.data);
    return err;
}

/* The mention record for items[first..last) after this batch's count. */
static mm_err count_mention(struct scan *s, struct mm_txn *txn, size_t first, size_t last)
{
    const struct item *it = &s->items[first];
    const char *key = s->keys.data + it->key_off;
    struct mm_mention_record m;
    const void *v;
    size_t vl;
    mm_arena_reset(&s->rec_arena);
    mm_buf_reset(&s->record);
    mm_err err = mm_store_get(txn, s->db_mentions, key, it->key_len, &v, &vl);
    if (err == MM_ENOTFOUND) {
        m = (struct mm_mention_record){
            .title = (char *)it->title, .artist = (char *)it->artist, .status = MM_MENTION_PENDING};
        s->try_c.new_mentions++;
        err = MM_OK;
    } else if (!err && (err = mm_enrich_mention_decode(v, vl, &s->rec_arena, &m)) != MM_OK) {
        mm_log_error("enrich: state mentions record \"%.*s\": %s", (int)it->key_len, key,
                     mm_strerror(err));
    }
    if (err)
        return err;
    bool same_run = m.counted_run && strcmp(m.counted_run, s->ctx->run_id) == 0;
    m.songs = (same_run ? m.songs : 0) + (last - first);
    m.counted_run = (char *)s->ctx->run_id;
    if ((err = mm_enrich_mention_encode(&m, &s->record)) != MM_OK)
        return err;
    return mm_store_put(txn, s->db_mentions, key, it->key_len, s->record.data, s->record.len);
}

/* mm_store_write callback: the batch's mention records and the checkpoint. */
static mm_err write_batch(struct mm_txn *txn, void *arg)
{
    struct scan *s = arg;
    mm_err err = MM_OK;
    s->try_c.new_mentions = 0;
    for (size_t first = 0, last; !err && first < s->n_items; first = last) {
        for (last = first + 1; last < s->n_items && same_key(s, &s->items[first], &s->items[last]);
             last++)
            ;
        err = count_mention(s, txn, first, last);
    }
    if (err)
        return err;
    char *text = checkpoint_render(s);
    err = mm_store_put(txn, s->db_checkpoints, MM__ENRICH_CHECKPOINT, strlen(MM__ENRICH_CHECKPOINT),
                       text, strlen(text));
    free(text);
    return err;
}

static mm_err scan_all(struct scan *s, uint64_t total)
{
    struct mm_progress progress;
    mm_err err = MM_OK;
    mm_progress_init(&progress, "enrich: songs", "songs", total);
    while (!s->done) {
        if (*s->ctx->stop) {
            err = MM_EINTERRUPTED;
            break;
        }
        if ((err = read_batch(s)) != MM_OK || (err = mm_store_write(s->ctx->state, write_batch, s)))
            break;
        memcpy(s->after, s->try_after, SONG_KEY_LEN);
        s->started = true;
        s->done = s->try_done;
        s->c.songs += s->try_c.songs;
        s->c.new_mentions += s->try_c.new_mentions;
        s->c.too_long += s->try_c.too_long;
        mm_progress_update(&progress, s->try_c.songs, s->c.songs);
    }
    mm_progress_finish(&progress);
    return err;
}

mm_err mm__enrich_scan(struct mm_stage_ctx *ctx, struct mm__enrich_scan_counts *out)
{
    struct scan s = {.ctx = ctx,
                     .db_songs = mm_store_db(ctx->state, "songs"),
                     .db_mentions = mm_store_db(ctx->state, "mentions"),
                     .db_checkpoints = mm_store_db(ctx->state, "checkpoints")};
    struct mm_txn *txn;
    uint64_t total = 0;
    s.items = mm_xcalloc(SCAN_BATCH, sizeof(*s.items));
    mm_arena_init(&s.songs_arena, ARENA_BLOCK);
    mm_arena_init(&s.rec_arena, ARENA_BLOCK);
    mm_buf_init(&s.key, MM_MENTION_KEY_MAX);
    mm_buf_init(&s.keys, KEYS_MAX);
    mm_buf_init(&s.record, RECORD_MAX);
    mm_err err = checkpoint_load(&s);
    if (!err && (err = mm_store_read_begin(ctx->state, &txn)) == MM_OK) {
        err = mm_store_count(txn, s.db_songs, &total);
        mm_store_read_end(txn);
    }
    if (!err)
        err = scan_all(&s, total);
    if (s.c.too_long)
        mm_log_warn("enrich: %llu songs are not enriched: a title or artist longer than %d "
                    "bytes, or longer than %d together once normalised",
                    (unsigned long long)s.c.too_long, MM_MENTION_TEXT_MAX, MM_MENTION_KEY_MAX);
    *out = s.c;
    mm_buf_cleanup(&s.record);
    mm_buf_cleanup(&s.keys);
    mm_buf_cleanup(&s.key);
    mm_arena_cleanup(&s.rec_arena);
    mm_arena_cleanup(&s.songs_arena);
    free(s.items);
    return err;
}
