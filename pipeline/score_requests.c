/*
 * score_requests.c — each request's songs ranked by their fit to the
 * request's mood, into `song_fit` (score.h).
 *
 * The mood of a request is its analysis mood mapped onto the configured
 * moods (moods.h); when that falls to the default (no analysis, no mood, or
 * a mood matching nothing), the request's text is tried the same way before
 * the default is taken. A song's track is found through its mention
 * (enrich.h: mention key → `mentions` → track key) and its fit computed
 * from the features of the track record. Requests are processed in batches
 * of BATCH per write transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/log.h"
#include "common/progress.h"
#include "pipeline/enrich.h"
#include "pipeline/score_int.h"

#define BATCH 500       /* requests per write transaction */
#define SONGS_MAX 10000 /* songs of one request ranked; more are left out (counted) */

/* One batch: input `after`/`started`; outputs reset at every attempt. */
struct batch {
    struct mm__score *s;
    uint64_t after; /* last request id of the previous batch */
    bool started;
    uint64_t last; /* last request id of this batch */
    bool done;
    size_t n; /* requests read */
    uint64_t ranked, by_default, fitted, too_many;
    struct mm_arena arena; /* one request, its songs, their mentions and tracks */
    struct mm_buf key, rec;
    struct mm_song_fit *songs; /* SONGS_MAX */
};

/* The mood of request r. */
static const struct mm_mood *request_mood(const struct mm_moods *moods, const struct mm_request *r,
                                          enum mm_mood_match *how)
{
    const char *mood = r->analysis ? r->analysis->mood : NULL;
    const struct mm_mood *m = mm_moods_map(moods, mood, mood ? strlen(mood) : 0, how);
    if (*how == MM_MOOD_DEFAULT && r->text && *r->text) {
        enum mm_mood_match by_text;
        const struct mm_mood *t = mm_moods_map(moods, r->text, strlen(r->text), &by_text);
        if (by_text != MM_MOOD_DEFAULT) {
            m = t;
            *how = by_text;
        }
    }
    return m;
}

/* The track of song `sg` and its fit to `mood` into *out (track NULL when
 * the song resolved to no track). */
static mm_err song_fit(struct batch *b, struct mm_txn *txn, const struct mm_mood *mood,
                       const struct mm_song *sg, struct mm_song_fit *out)
{
    struct mm_mention_record m;
    struct mm_track t;
    const void *v;
    size_t vl;
    out->song_id = sg->id;
    out->position = sg->position;
    out->track = NULL;
    out->has_fit = false;
    mm_buf_reset(&b->key);
    /* A key too long for a mention was never enriched: MM_ETOOBIG ends as "no track". */
    mm_err err = mm_enrich_mention_key(sg->title, sg->artist, &b->key);
    err = err ? err : mm_store_get(txn, b->s->db_mentions, b->key.data, b->key.len, &v, &vl);
    err = err ? err : mm_enrich_mention_decode(v, vl, &b->arena, &m);
    if (!err && m.status == MM_MENTION_RESOLVED && m.track) {
        err = mm_store_get(txn, b->s->db_tracks, m.track, strlen(m.track), &v, &vl);
        err = err ? err : mm_track_decode(v, vl, &b->arena, &t);
        out->track = err ? NULL : m.track;
        out->has_fit = !err && mm_moods_fit(mood, &t.features, &out->fit);
    }
    if (err == MM_ECORRUPT || err == MM_ESCHEMA)
        mm_log_warn("song %llu: its mention or track record does not decode (%s): not ranked",
                    (unsigned long long)sg->id, mm_strerror(err));
    return err == MM_ENOTFOUND || err == MM_ETOOBIG || err == MM_ECORRUPT || err == MM_ESCHEMA
               ? MM_OK
               : err;
}

/* fit descending (none last), then position. */
static int song_cmp(const void *pa, const void *pb)
{
    const struct mm_song_fit *a = pa, *b = pb;
    int c = (int)b->has_fit - (int)a->has_fit;
    c = c ? c : a->has_fit ? (a->fit < b->fit) - (a->fit > b->fit) : 0;
    c = c ? c : (a->position > b->position) - (a->position < b->position);
    return c ? c : (a->song_id > b->song_id) - (a->song_id < b->song_id);
}

/* Ranks the songs of request r and writes (or removes) its `song_fit` entry. */
static mm_err rank_request(struct batch *b, struct mm_txn *txn, const struct mm_request *r)
{
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl, n = 0, resolved = 0;
    unsigned char start[16], id[8];
    enum mm_mood_match how;
    const struct mm_mood *mood = request_mood(b->s->moods, r, &how);
    mm_store_u64_key(r->id, id);
    memcpy(start, id, 8);
    memset(start + 8, 0, 8);
    mm_err err = mm_store_cursor_open(txn, b->s->db_songs, &cur);
    if (err)
        goto out;
    err = mm_store_cursor_seek(cur, start, sizeof(start), &k, &kl, &v, &vl);
    while (!err && kl == 16 && memcmp(k, id, 8) == 0) {
        struct mm_song sg;
        err = mm_codec_song_decode(v, vl, &b->arena, &sg);
        if (!err && n < SONGS_MAX) {
            err = song_fit(b, txn, mood, &sg, &b->songs[n]);
            resolved += b->songs[n].track != NULL;
            b->fitted += b->songs[n++].has_fit;
        } else if (!err) {
            b->too_many++;
        }
        err = err ? err : mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    mm_store_cursor_close(cur);
    err = err == MM_ENOTFOUND ? MM_OK : err;
    if (!err && resolved > 0) {
        struct mm_request_fit rf = {(char *)mood->name, how, b->songs, n};
        qsort(b->songs, n, sizeof(b->songs[0]), song_cmp);
        mm_buf_reset(&b->rec);
        err = mm_score_request_fit_encode(&rf, &b->rec);
        err = err ? err : mm_store_put(txn, b->s->db_song_fit, id, 8, b->rec.data, b->rec.len);
        b->ranked++;
        b->by_default += how == MM_MOOD_DEFAULT;
    } else if (!err) {
        err = mm_store_del(txn, b->s->db_song_fit, id, 8);
        err = err == MM_ENOTFOUND ? MM_OK : err;
    }
out:
    return err;
}

static mm_err request_batch(struct mm_txn *txn, void *arg)
{
    struct batch *b = arg;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    unsigned char from[8];
    b->n = 0;
    b->ranked = b->by_default = b->fitted = b->too_many = 0;
    b->done = false;
    b->last = b->after;
    mm_store_u64_key(b->started ? b->after + 1 : 0, from);
    mm_err err = b->started && b->after == UINT64_MAX ? MM_ENOTFOUND : MM_OK;
    err = err ? err : mm_store_cursor_open(txn, b->s->db_requests, &cur);
    if (err)
        goto out;
    err = mm_store_cursor_seek(cur, from, 8, &k, &kl, &v, &vl);
    while (!err && b->n < BATCH) {
        struct mm_request r;
        mm_arena_reset(&b->arena);
        err = kl == 8 ? mm_codec_request_decode(v, vl, &b->arena, &r) : MM_ECORRUPT;
        if (err)
            mm_log_error("request record %llu does not decode: %s",
                         kl == 8 ? (unsigned long long)mm_store_u64_from_key(k) : 0ULL,
                         mm_strerror(err));
        err = err ? err : rank_request(b, txn, &r);
        b->last = kl == 8 ? mm_store_u64_from_key(k) : b->last;
        b->n++;
        err = err ? err : mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    mm_store_cursor_close(cur);
out:
    if (err == MM_ENOTFOUND) {
        b->done = true;
        err = MM_OK;
    }
    return err;
}

mm_err mm__score_requests(struct mm__score *s)
{
    struct batch b = {.s = s};
    struct mm_progress progress;
    struct mm_txn *txn;
    uint64_t total = 0, done = 0;
    mm_err err = mm_store_read_begin(s->ctx->state, &txn);
    if (!err) {
        err = mm_store_count(txn, s->db_requests, &total);
        mm_store_read_end(txn);
    }
    mm_arena_init(&b.arena, 65536);
    mm_buf_init(&b.key, MM_MENTION_KEY_MAX);
    mm_buf_init(&b.rec, MM__SCORE_RECORD_MAX);
    b.songs = mm_xcalloc(SONGS_MAX, sizeof(*b.songs));
    mm_progress_init(&progress, "score", "requests", total);
    while (!err && !b.done) {
        err = *s->ctx->stop ? MM_EINTERRUPTED : mm_store_write(s->ctx->state, request_batch, &b);
        if (err)
            break;
        s->requests_ranked += b.ranked;
        s->requests_default += b.by_default;
        s->songs_fitted += b.fitted;
        s->songs_too_many += b.too_many;
        done += b.n;
        b.started = b.started || b.n > 0;
        b.after = b.last;
        mm_progress_update(&progress, b.n, done);
    }
    mm_progress_finish(&progress);
    free(b.songs);
    mm_buf_cleanup(&b.rec);
    mm_buf_cleanup(&b.key);
    mm_arena_cleanup(&b.arena);
    return err;
}
