/*
 * score_features.c — Spotify audio features for the tracks of the state,
 * cached in `features` (score.h).
 *
 * The tracks are read in key order, a window at a time: the Spotify ids
 * that need asking (no fresh cache entry) fill up to WINDOW_BATCHES
 * requests of 100 ids, which run together over one HTTP client; their
 * answers are committed in one transaction, then the next window is read.
 * An interrupted run keeps every committed window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "pipeline/provider.h"
#include "pipeline/score_int.h"

#define BATCH_IDS 100    /* ids per audio-features request (Spotify's limit) */
#define WINDOW_BATCHES 4 /* requests in flight at once */
#define ID_MAX 64        /* bytes of a Spotify id */
#define SPOTIFY_RATE_KEY "spotify"

struct batch {
    char *ids[BATCH_IDS];
    size_t n;
    struct mm_features got[BATCH_IDS];
    bool has[BATCH_IDS];
    bool finished;
    mm_err err;
};

struct window {
    struct batch batches[WINDOW_BATCHES];
    size_t n_batches;
    struct mm_buf after; /* key of the last track read */
    bool started, done;  /* a key is in `after`; the scan reached the end */
};

bool mm__score_spotify_id_ok(const char *id)
{
    size_t n = 0;
    while (id && ((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
                  (id[n] >= 'A' && id[n] <= 'Z')))
        n++;
    return id && n > 0 && n <= ID_MAX && id[n] == '\0';
}

static void window_clear(struct window *w)
{
    for (size_t b = 0; b < w->n_batches; b++) {
        for (size_t i = 0; i < w->batches[b].n; i++)
            free(w->batches[b].ids[i]);
        memset(&w->batches[b], 0, sizeof(w->batches[b]));
    }
    w->n_batches = 0;
}

static bool window_has(const struct window *w, const char *id)
{
    bool found = false;
    for (size_t b = 0; b < w->n_batches && !found; b++)
        for (size_t i = 0; i < w->batches[b].n && !found; i++)
            found = strcmp(w->batches[b].ids[i], id) == 0;
    return found;
}

/* True when `id` has a cache entry fetched in this run, or, unless --full,
 * one younger than the TTL. */
static mm_err cached_fresh(struct mm__score *s, struct mm_txn *txn, const char *id, bool *fresh)
{
    const void *v;
    size_t vl;
    struct mm_features f;
    int64_t at = 0;
    int64_t ttl = (int64_t)s->cfg->score.features_ttl_days * MM__SCORE_US_PER_DAY;
    mm_err err = mm_store_get(txn, s->db_features, id, strlen(id), &v, &vl);
    *fresh = false;
    if (err == MM_ENOTFOUND) {
        err = MM_OK;
        goto out;
    }
    err = err ? err : mm_score_features_decode(v, vl, &f, &at);
    if (err == MM_ECORRUPT || err == MM_ESCHEMA) {
        mm_log_warn("features cache entry of Spotify id %s does not decode (%s): asked again", id,
                    mm_strerror(err));
        err = MM_OK;
    } else if (!err) {
        *fresh = at >= s->now_us || (!s->ctx->full && at + ttl > s->now_us);
    }
out:
    return err;
}

/* Considers one track: queues its Spotify id when it needs asking. */
static mm_err consider(struct mm__score *s, struct mm_txn *txn, struct window *w,
                       const struct mm_track *t)
{
    const char *id = t->ids[MM_SOURCE_SPOTIFY];
    bool fresh = true;
    mm_err err = mm__score_spotify_id_ok(id) && !window_has(w, id)
                     ? cached_fresh(s, txn, id, &fresh)
                     : MM_OK;
    if (!err && !fresh) {
        if (w->n_batches == 0 || w->batches[w->n_batches - 1].n == BATCH_IDS)
            w->n_batches++;
        struct batch *b = &w->batches[w->n_batches - 1];
        b->ids[b->n++] = mm_xstrdup(id);
    }
    return err;
}

static bool window_full(const struct window *w)
{
    return w->n_batches == WINDOW_BATCHES && w->batches[WINDOW_BATCHES - 1].n == BATCH_IDS;
}

/* Reads tracks after w->after until the window is full or the db ends. */
static mm_err window_fill(struct mm__score *s, struct window *w)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    struct mm_arena arena;
    const void *k, *v;
    size_t kl, vl;
    mm_err err = mm_store_read_begin(s->ctx->state, &txn);
    if (err)
        goto out;
    mm_arena_init(&arena, 16384);
    err = mm_store_cursor_open(txn, s->db_tracks, &cur);
    if (err)
        goto out_end_txn;
    err = mm_store_cursor_seek(cur, w->started ? w->after.data : NULL, w->after.len, &k, &kl, &v,
                               &vl);
    if (!err && w->started && kl == w->after.len && memcmp(k, w->after.data, kl) == 0)
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    while (!err && !window_full(w)) {
        struct mm_track t;
        mm_arena_reset(&arena);
        mm_buf_reset(&w->after);
        err = mm_buf_append(&w->after, k, kl);
        w->started = true;
        if (!err && mm_track_decode(v, vl, &arena, &t) == MM_OK)
            err = consider(s, txn, w, &t);
        err = err ? err : mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    if (err == MM_ENOTFOUND) {
        w->done = true;
        err = MM_OK;
    }
    mm_store_cursor_close(cur);
out_end_txn:
    mm_arena_cleanup(&arena);
    mm_store_read_end(txn);
out:
    return err;
}

static void on_features(void *ctx, size_t index, const struct mm_features *features)
{
    struct batch *b = ctx;
    if (index < b->n && features) {
        b->got[index] = *features;
        b->has[index] = features->present;
    }
}

static void on_finished(void *ctx, mm_err err)
{
    struct batch *b = ctx;
    b->finished = true;
    b->err = err;
}

struct store_ctx {
    struct mm__score *s;
    const struct window *w;
};

/* Caches the answers of the window's successful requests. */
static mm_err store_answers(struct mm_txn *txn, void *arg)
{
    struct store_ctx *c = arg;
    struct mm_buf rec;
    mm_err err = MM_OK;
    mm_buf_init(&rec, MM__SCORE_RECORD_MAX);
    for (size_t b = 0; b < c->w->n_batches && !err; b++) {
        const struct batch *bt = &c->w->batches[b];
        for (size_t i = 0; bt->err == MM_OK && i < bt->n && !err; i++) {
            mm_buf_reset(&rec);
            err = mm_score_features_encode(bt->has[i] ? &bt->got[i] : NULL, c->s->now_us, &rec);
            err = err ? err
                      : mm_store_put(txn, c->s->db_features, bt->ids[i], strlen(bt->ids[i]),
                                     rec.data, rec.len);
        }
    }
    mm_buf_cleanup(&rec);
    return err;
}

/* Sends the window's requests, runs them, caches the answers. */
static mm_err window_run(struct mm__score *s, void *spotify, struct mm_http_client *http,
                         struct window *w)
{
    mm_err err = MM_OK;
    for (size_t b = 0; b < w->n_batches; b++) {
        struct batch *bt = &w->batches[b];
        mm_err sub = mm_spotify_audio_features(spotify, (const char *const *)bt->ids, bt->n,
                                               on_features, on_finished, bt);
        if (sub)
            on_finished(bt, sub);
        s->features_requested += bt->n;
    }
    err = mm_http_run(http);
    for (size_t b = 0; b < w->n_batches && !err; b++) {
        struct batch *bt = &w->batches[b];
        if (!bt->finished)
            on_finished(bt, MM_EHTTP);
        for (size_t i = 0; bt->err == MM_OK && i < bt->n; i++) {
            s->features_found += bt->has[i];
            s->features_none += !bt->has[i];
        }
        if (bt->err && !s->spotify_unavailable) {
            if (bt->err == MM_EUNSUPPORTED)
                mm_log_warn("Spotify answers 403 to audio features (apps created since "
                            "November 2024 cannot use them): features come from Last.fm tags "
                            "for the rest of this run");
            else
                mm_log_warn("Spotify audio features failed (%s): not asked again in this run; "
                            "tracks without cached features use Last.fm tags",
                            mm_strerror(bt->err));
            s->spotify_unavailable = true;
        }
    }
    struct store_ctx c = {s, w};
    return err ? err : mm_store_write(s->ctx->state, store_answers, &c);
}

static void http_options(const struct mm__score *s, const struct mm_ratelimit_rule *rule,
                         struct mm_http_options *o)
{
    const struct mm_config *cfg = s->cfg;
    mm_http_options_init(o);
    o->user_agent = cfg->http.user_agent;
    o->connect_timeout_ms = cfg->http.connect_timeout_ms;
    o->timeout_ms = cfg->http.timeout_ms;
    o->max_attempts = cfg->http.max_attempts;
    o->min_wait_ms = (uint64_t)cfg->http.min_wait_ms;
    o->max_wait_ms = (uint64_t)cfg->http.max_wait_ms;
    o->max_response_bytes = (size_t)cfg->http.max_response_bytes;
    o->max_in_flight = cfg->http.max_in_flight;
    o->rate_rules = rule;
    o->n_rate_rules = 1;
    o->stop = s->ctx->stop;
}

/* Opens the HTTP client and the Spotify provider; *spotify stays NULL (with
 * the reason logged) when Spotify cannot be used in this run. */
static mm_err spotify_open(struct mm__score *s, struct mm_http_client **http, void **spotify)
{
    const struct mm_provider_config *c = &s->cfg->providers.spotify;
    const char *id = mm_config_secret("SPOTIPY_CLIENT_ID");
    const char *secret = mm_config_secret("SPOTIPY_CLIENT_SECRET");
    struct mm_ratelimit_rule rule = {SPOTIFY_RATE_KEY, c->rate_per_s, c->burst};
    struct mm_http_options o;
    char why[MM_ERRLEN] = "";
    mm_err err = MM_OK;
    *http = NULL;
    *spotify = NULL;
    if (!id || !secret) {
        mm_log_warn("SPOTIPY_CLIENT_ID or SPOTIPY_CLIENT_SECRET is not set: audio features come "
                    "from Last.fm tags and the features cache");
        s->spotify_unavailable = true;
        goto out;
    }
    http_options(s, &rule, &o);
    err = mm_http_client_new(&o, http, why);
    if (err) {
        mm_log_error("cannot create the HTTP client: %s", why);
        goto out;
    }
    struct mm_provider_options po = {.base_url = c->base_url,
                                     .accounts_url = c->accounts_url,
                                     .client_id = id,
                                     .client_secret = secret,
                                     .market = c->market,
                                     .search_limit = c->search_limit,
                                     .rate_key = SPOTIFY_RATE_KEY};
    if (mm_provider_spotify.open(&po, *http, spotify, why) != MM_OK) {
        mm_log_warn("Spotify is unavailable (%s): audio features come from Last.fm tags", why);
        *spotify = NULL;
        s->spotify_unavailable = true;
    }
out:
    return err;
}

mm_err mm__score_fetch_features(struct mm__score *s)
{
    struct mm_http_client *http = NULL;
    void *spotify = NULL;
    bool opened = false;
    struct window w = {0};
    mm_err err = MM_OK;
    mm_buf_init(&w.after, MM_TRACK_KEY_MAX * 4);
    while (!err && !w.done && !s->spotify_unavailable) {
        err = *s->ctx->stop ? MM_EINTERRUPTED : window_fill(s, &w);
        /* Spotify is opened once there is something to ask. */
        if (!err && w.n_batches && !opened) {
            err = spotify_open(s, &http, &spotify);
            opened = true;
        }
        err = err || !spotify || !w.n_batches ? err : window_run(s, spotify, http, &w);
        window_clear(&w);
    }
    for (size_t i = 0; http && i < mm_http_stats_count(http); i++) {
        struct mm_http_host_stats st;
        mm_http_stats_at(http, i, &st);
        s->http_requests += st.requests;
    }
    mm_buf_cleanup(&w.after);
    if (spotify)
        mm_provider_spotify.close(spotify);
    mm_http_client_free(http);
    return err;
}
