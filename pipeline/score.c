/*
 * score.c — the score stage (docs/score.md): audio features for every
 * track, written into its record, and the ranked tracks of every mood.
 *
 * Phases: Spotify features into the cache (score_features.c); then the
 * tracks in batches of BATCH, each batch committed with the features chosen
 * for its tracks (Spotify's when cached, else derived from Last.fm tags)
 * and, once committed, its tracks offered to a bounded heap per mood; then
 * `moods` rebuilt in one transaction; then each request's songs ranked
 * (score_requests.c). Rankings are recomputed from the state on every run:
 * only the features cache makes HTTP requests rare.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/codec.h"
#include "common/log.h"
#include "common/progress.h"
#include "pipeline/score_int.h"
#include "pipeline/tagmap.h"

#define BATCH 1000              /* tracks per write transaction */
#define BATCH_BYTES (32u << 20) /* a batch ends early past this many bytes of updates */
#define RANK_MAX 4000000u       /* ranked entries over all moods (~300 MB) */

/* A track offered to the mood rankings. */
struct entry {
    char *key;
    double fit;
    int64_t popularity; /* MM_NULL_INT when unknown */
};

/* The best `cap` entries of one mood: a heap whose root ranks last. */
struct heap {
    struct entry *e;
    size_t n, alloc;
};

struct staged {
    const char *key;
    int64_t popularity;
    struct mm_features features;
};

struct put {
    size_t koff, klen, voff, vlen;
};

/* One assign transaction: input `after`, everything else output (reset at
 * the start of every attempt, as mm_store_write may run it again). */
struct assign {
    struct mm__score *s;
    struct mm_buf after;   /* last key of the previous batch */
    bool started;          /* `after` holds a key */
    struct mm_buf next;    /* last key of this batch */
    bool done;             /* the db ended in this batch */
    struct mm_arena arena; /* one decoded track */
    struct mm_arena stage; /* keys of the staged tracks */
    struct staged staged[BATCH];
    size_t n_staged;
    struct mm_buf bytes; /* keys and values of the puts */
    struct put puts[BATCH];
    size_t n_puts;
    uint64_t spotify, tags, none;
};

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- rankings --- */

/* < 0 when a ranks before b: fit descending, popularity descending (unknown
 * last), key ascending. */
static int entry_cmp(const struct entry *a, const struct entry *b)
{
    int64_t pa = a->popularity == MM_NULL_INT ? -1 : a->popularity;
    int64_t pb = b->popularity == MM_NULL_INT ? -1 : b->popularity;
    int c = (a->fit < b->fit) - (a->fit > b->fit);
    c = c ? c : (pa < pb) - (pa > pb);
    return c ? c : strcmp(a->key, b->key);
}

static int entry_qsort(const void *a, const void *b)
{
    return entry_cmp(a, b);
}

static void heap_swap(struct heap *h, size_t i, size_t j)
{
    struct entry t = h->e[i];
    h->e[i] = h->e[j];
    h->e[j] = t;
}

static void heap_down(struct heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < h->n && entry_cmp(&h->e[l], &h->e[worst]) > 0)
            worst = l;
        if (r < h->n && entry_cmp(&h->e[r], &h->e[worst]) > 0)
            worst = r;
        if (worst == i)
            break;
        heap_swap(h, i, worst);
        i = worst;
    }
}

/* Keeps `e` when it ranks among the best `cap` (its key is copied). */
static void heap_offer(struct heap *h, size_t cap, const struct entry *e)
{
    if (h->n < cap) {
        if (h->n == h->alloc) {
            h->alloc = h->alloc ? 2 * h->alloc : 64;
            h->e = mm_xrealloc(h->e, h->alloc * sizeof(*h->e));
        }
        size_t i = h->n++;
        h->e[i] = (struct entry){mm_xstrdup(e->key), e->fit, e->popularity};
        while (i > 0 && entry_cmp(&h->e[(i - 1) / 2], &h->e[i]) < 0) {
            heap_swap(h, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    } else if (cap > 0 && entry_cmp(e, &h->e[0]) < 0) {
        free(h->e[0].key);
        h->e[0] = (struct entry){mm_xstrdup(e->key), e->fit, e->popularity};
        heap_down(h, 0);
    }
}

static void heaps_free(struct heap *heaps, size_t n)
{
    for (size_t m = 0; heaps && m < n; m++) {
        for (size_t i = 0; i < heaps[m].n; i++)
            free(heaps[m].e[i].key);
        free(heaps[m].e);
    }
    free(heaps);
}

/* Offers the staged tracks of a committed batch to every mood. */
static void rank_staged(struct mm__score *s, const struct assign *a, struct heap *heaps)
{
    size_t cap = (size_t)s->cfg->score.max_tracks_per_mood;
    for (size_t i = 0; i < a->n_staged; i++) {
        for (size_t m = 0; m < mm_moods_count(s->moods); m++) {
            double fit;
            if (!mm_moods_fit(mm_moods_at(s->moods, m), &a->staged[i].features, &fit))
                continue;
            struct entry e = {(char *)a->staged[i].key, round(fit * 1e4) / 1e4,
                              a->staged[i].popularity};
            if (e.fit >= s->cfg->score.min_fit)
                heap_offer(&heaps[m], cap, &e);
        }
    }
}

struct write_moods {
    struct mm__score *s;
    struct heap *heaps; /* sorted best first */
};

static mm_err clear_db(struct mm_txn *txn, unsigned db)
{
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    unsigned char key[512];
    mm_err err = MM_OK;
    while (!err) {
        err = mm_store_cursor_open(txn, db, &cur);
        if (!err) {
            err = mm_store_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
            if (!err && kl > sizeof(key))
                err = MM_ECORRUPT;
            if (!err)
                memcpy(key, k, kl);
            mm_store_cursor_close(cur);
        }
        err = err ? err : mm_store_del(txn, db, key, kl);
    }
    return err == MM_ENOTFOUND ? MM_OK : err;
}

static mm_err write_moods(struct mm_txn *txn, void *arg)
{
    struct write_moods *w = arg;
    struct mm__score *s = w->s;
    struct mm_buf key, val;
    mm_buf_init(&key, 1024);
    mm_buf_init(&val, MM__SCORE_RECORD_MAX);
    mm_err err = clear_db(txn, s->db_moods);
    for (size_t m = 0; m < mm_moods_count(s->moods) && !err; m++) {
        const char *name = mm_moods_at(s->moods, m)->name;
        for (size_t i = 0; i < w->heaps[m].n && !err; i++) {
            const struct entry *e = &w->heaps[m].e[i];
            struct mm_mood_row row = {e->key, e->fit, e->popularity};
            mm_buf_reset(&key);
            mm_buf_reset(&val);
            err = mm_score_mood_key(name, (uint32_t)i, &key);
            err = err ? err : mm_score_mood_row_encode(&row, &val);
            err = err ? err : mm_store_put(txn, s->db_moods, key.data, key.len, val.data, val.len);
        }
    }
    mm_buf_cleanup(&val);
    mm_buf_cleanup(&key);
    return err;
}

/* --- features of each track --- */

static bool same_features(const struct mm_features *a, const struct mm_features *b)
{
    bool same =
        a->present == b->present &&
        (a->source && b->source ? strcmp(a->source, b->source) == 0 : a->source == b->source);
#define X(name)                                                                                    \
    same = same && a->has_##name == b->has_##name && (!a->has_##name || a->name == b->name);
    MM_FEATURE_NAMES
#undef X
    return same || (!a->present && !b->present);
}

/* The features for track t: Spotify's from the cache, else from its tags. */
static mm_err choose(struct assign *a, struct mm_txn *txn, const struct mm_track *t,
                     struct mm_features *out)
{
    const char *id = t->ids[MM_SOURCE_SPOTIFY];
    const void *v;
    size_t vl;
    int64_t at;
    mm_err err =
        id && *id ? mm_store_get(txn, a->s->db_features, id, strlen(id), &v, &vl) : MM_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    if (!err && mm_score_features_decode(v, vl, out, &at) != MM_OK)
        memset(out, 0, sizeof(*out));
    if (err == MM_ENOTFOUND)
        err = MM_OK;
    if (!err && !out->present)
        mm_tagmap_features((const char *const *)t->tags, t->n_tags, out);
    a->spotify += out->present && strcmp(out->source, "spotify") == 0;
    a->tags += out->present && strcmp(out->source, "lastfm_tags") == 0;
    a->none += !out->present;
    return err;
}

/* Stages track t and queues its update when its features change. */
static mm_err assign_track(struct assign *a, struct mm_txn *txn, const void *k, size_t kl,
                           struct mm_track *t)
{
    struct mm_features f;
    mm_err err = choose(a, txn, t, &f);
    struct staged *st = &a->staged[a->n_staged++];
    st->key = mm_arena_strndup(&a->stage, k, kl);
    st->popularity = t->popularity;
    st->features = f;
    if (!err && !same_features(&t->features, &f)) {
        struct put *p = &a->puts[a->n_puts];
        t->features = f;
        p->koff = a->bytes.len;
        p->klen = kl;
        err = mm_buf_append(&a->bytes, k, kl);
        p->voff = a->bytes.len;
        err = err ? err : mm_track_encode(t, &a->bytes);
        p->vlen = a->bytes.len - p->voff;
        a->n_puts += !err;
    }
    return err;
}

static mm_err assign_batch(struct mm_txn *txn, void *arg)
{
    struct assign *a = arg;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    a->n_staged = a->n_puts = 0;
    a->spotify = a->tags = a->none = 0;
    a->done = false;
    mm_arena_reset(&a->stage);
    mm_buf_reset(&a->bytes);
    mm_buf_reset(&a->next);
    mm_err err = mm_store_cursor_open(txn, a->s->db_tracks, &cur);
    if (err)
        goto out;
    err = mm_store_cursor_seek(cur, a->started ? a->after.data : NULL, a->after.len, &k, &kl, &v,
                               &vl);
    if (!err && a->started && kl == a->after.len && memcmp(k, a->after.data, kl) == 0)
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    while (!err && a->n_staged < BATCH && a->bytes.len < BATCH_BYTES) {
        struct mm_track t;
        mm_arena_reset(&a->arena);
        err = mm_track_decode(v, vl, &a->arena, &t);
        if (err)
            mm_log_error("track %.*s does not decode: %s", (int)kl, (const char *)k,
                         mm_strerror(err));
        err = err ? err : assign_track(a, txn, k, kl, &t);
        mm_buf_reset(&a->next);
        err = err ? err : mm_buf_append(&a->next, k, kl);
        err = err ? err : mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    if (err == MM_ENOTFOUND) {
        a->done = true;
        err = MM_OK;
    }
    mm_store_cursor_close(cur);
    for (size_t i = 0; i < a->n_puts && !err; i++) {
        const struct put *p = &a->puts[i];
        err = mm_store_put(txn, a->s->db_tracks, a->bytes.data + p->koff, p->klen,
                           a->bytes.data + p->voff, p->vlen);
    }
out:
    return err;
}

/* Assigns features to every track and ranks the tracks of every mood. */
static mm_err assign_all(struct mm__score *s, struct heap *heaps)
{
    struct assign *a = mm_xcalloc(1, sizeof(*a));
    struct mm_progress progress;
    struct mm_txn *txn;
    uint64_t total = 0;
    mm_err err = mm_store_read_begin(s->ctx->state, &txn);
    if (!err) {
        err = mm_store_count(txn, s->db_tracks, &total);
        mm_store_read_end(txn);
    }
    a->s = s;
    mm_buf_init(&a->after, MM_TRACK_KEY_MAX * 4);
    mm_buf_init(&a->next, MM_TRACK_KEY_MAX * 4);
    mm_buf_init(&a->bytes, 2 * BATCH_BYTES + 2 * MM__SCORE_TRACK_MAX);
    mm_arena_init(&a->arena, 16384);
    mm_arena_init(&a->stage, 65536);
    mm_progress_init(&progress, "score", "tracks", total);
    while (!err && !a->done) {
        err = *s->ctx->stop ? MM_EINTERRUPTED : mm_store_write(s->ctx->state, assign_batch, a);
        if (err)
            break;
        rank_staged(s, a, heaps);
        s->tracks += a->n_staged;
        s->with_spotify += a->spotify;
        s->with_tags += a->tags;
        s->without += a->none;
        mm_progress_update(&progress, a->n_staged, s->tracks);
        mm_buf_reset(&a->after);
        err = mm_buf_append(&a->after, a->next.data ? a->next.data : "", a->next.len);
        a->started = a->started || a->next.len > 0;
    }
    mm_progress_finish(&progress);
    mm_arena_cleanup(&a->stage);
    mm_arena_cleanup(&a->arena);
    mm_buf_cleanup(&a->bytes);
    mm_buf_cleanup(&a->next);
    mm_buf_cleanup(&a->after);
    free(a);
    return err;
}

/* --- the stage --- */

static void set_counts(const struct mm__score *s, json_t *counts)
{
    const struct {
        const char *name;
        uint64_t value;
    } c[] = {
        {"tracks", s->tracks},
        {"with_spotify_features", s->with_spotify},
        {"with_tag_features", s->with_tags},
        {"without_features", s->without},
        {"features_requested", s->features_requested},
        {"features_found", s->features_found},
        {"features_none", s->features_none},
        {"spotify_unavailable", s->spotify_unavailable},
        {"http_requests", s->http_requests},
        {"moods", s->moods_ranked},
        {"mood_rows", s->mood_rows},
        {"requests_ranked", s->requests_ranked},
        {"requests_default_mood", s->requests_default},
        {"songs_fitted", s->songs_fitted},
        {"songs_too_many", s->songs_too_many},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        json_object_set_new(counts, c[i].name, json_integer((json_int_t)c[i].value));
}

static mm_err rank_moods(struct mm__score *s, struct heap *heaps)
{
    struct write_moods w = {s, heaps};
    for (size_t m = 0; m < mm_moods_count(s->moods); m++) {
        if (heaps[m].n)
            qsort(heaps[m].e, heaps[m].n, sizeof(heaps[m].e[0]), entry_qsort);
        s->moods_ranked += heaps[m].n > 0;
        s->mood_rows += heaps[m].n;
    }
    return mm_store_write(s->ctx->state, write_moods, &w);
}

static mm_err score_run(struct mm_stage_ctx *ctx)
{
    struct mm__score s = {.ctx = ctx, .cfg = ctx->cfg, .now_us = wall_us()};
    const struct mm_config *cfg = ctx->cfg;
    struct heap *heaps = NULL;
    char why[MM_ERRLEN] = "";
    mm_err err =
        mm_moods_new(cfg->score.moods, cfg->score.n_moods, cfg->score.default_mood, &s.moods, why);
    if (err) {
        mm_log_error("config error: %s", why);
        goto out;
    }
    if ((uint64_t)cfg->score.max_tracks_per_mood * mm_moods_count(s.moods) > RANK_MAX) {
        mm_log_error("config error: score.max_tracks_per_mood (%d) x %zu moods exceeds %u "
                     "ranked tracks",
                     cfg->score.max_tracks_per_mood, mm_moods_count(s.moods), RANK_MAX);
        err = MM_ECONFIG;
        goto out_free_moods;
    }
    s.db_tracks = mm_store_db(ctx->state, "tracks");
    s.db_features = mm_store_db(ctx->state, "features");
    s.db_moods = mm_store_db(ctx->state, "moods");
    s.db_requests = mm_store_db(ctx->state, "requests");
    s.db_songs = mm_store_db(ctx->state, "songs");
    s.db_mentions = mm_store_db(ctx->state, "mentions");
    s.db_song_fit = mm_store_db(ctx->state, "song_fit");
    heaps = mm_xcalloc(mm_moods_count(s.moods), sizeof(*heaps));
    err = mm__score_fetch_features(&s);
    err = err ? err : assign_all(&s, heaps);
    err = err ? err : rank_moods(&s, heaps);
    err = err ? err : mm__score_requests(&s);
    set_counts(&s, ctx->counts);
    heaps_free(heaps, mm_moods_count(s.moods));
out_free_moods:
    mm_moods_free(s.moods);
out:
    return err;
}

const struct mm_stage mm_stage_score = {
    .name = "score",
    .summary = "audio features (Spotify, else Last.fm tags) and mood rankings of the tracks",
    .run = score_run,
};
