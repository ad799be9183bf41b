/*
 * provider_spotify.c — the Spotify Web API: client-credentials token, track
 * search and audio features (docs/providers.md).
 *
 * The token is fetched on first need and cached until expires_in minus a
 * margin; requests needing it meanwhile wait in a queue, so one fetch serves
 * every lookup started at once. A 401 on a request drops the token it
 * carried, fetches a new one and sends the request again, once.
 *
 * Search: `track:"T" artist:"A"`, then `"T" "A"`, then `"T"` (without an
 * artist: `track:"T"`, then `"T"`), stopping at the early-exit score.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/codec.h"
#include "pipeline/provider_impl.h"

#define LIMIT_DEFAULT 5
#define LIMIT_MAX 10          /* the API's cap since 2026 */
#define TOKEN_MARGIN_MS 60000 /* a token is renewed this long before it expires */
#define TOKEN_LIFETIME_S 3600 /* when the answer has no expires_in */
#define TOKEN_LIFETIME_MAX_S 86400
#define FEATURES_MAX 100     /* ids per audio-features request */
#define ID_MAX 64            /* bytes of a Spotify id (base62, 22 in practice) */
#define URL_ALLOC (8 * 1024) /* query building before the URL cap applies */

/* Something waiting for a token: a search or a features request. */
struct waiter {
    struct waiter *next;
    /* `failed` NULL: the token is ready; else the token request's response. */
    void (*ready)(struct waiter *w, const struct mm_http_response *failed);
};

struct spotify {
    struct mm__provider_base base;
    char *accounts_url, *client_id, *client_secret;
    char *token;             /* NULL until fetched or after a 401 */
    uint64_t token_gen;      /* bumped with each new token */
    uint64_t token_until_ms; /* monotonic time the cached token stops being used */
    bool fetching;
    struct waiter *waiters, **waiters_tail; /* FIFO */
};

struct search {
    struct mm__lookup lk; /* first: release casts back */
    struct spotify *sp;
    struct waiter w;
    int step;           /* query in flight */
    uint64_t token_gen; /* the token it carries */
    bool refreshed;     /* a 401 already renewed the token once */
};

struct features {
    struct spotify *sp;
    struct waiter w;
    char **ids;
    size_t n;
    mm_features_fn each;
    mm_features_done_fn finished;
    void *ctx;
    uint64_t token_gen;
    bool refreshed;
};

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- token --- */

static bool token_fresh(const struct spotify *sp)
{
    return sp->token && now_ms() < sp->token_until_ms;
}

/* Drops the token a request carried, unless a newer one replaced it. */
static void token_drop(struct spotify *sp, uint64_t gen)
{
    if (gen == sp->token_gen) {
        free(sp->token);
        sp->token = NULL;
    }
}

static void token_classify(const struct mm_http_response *resp, void *ctx,
                           struct mm_http_verdict *v)
{
    mm__provider_classify_json(resp, ctx, v);
    if (v->action == MM_HTTP_ACCEPT && resp->status >= 200 && resp->status < 300) {
        json_t *doc = mm__provider_parse(resp);
        if (!mm__json_str(doc, "access_token")) {
            v->action = MM_HTTP_RETRY;
            v->err = MM_EPARSE;
            snprintf(v->detail, sizeof(v->detail), "token answer without access_token");
        }
        json_decref(doc);
    }
}

static void token_done(struct mm_http_response *resp, void *ctx)
{
    struct spotify *sp = ctx;
    json_t *doc = resp->err == MM_OK ? mm__provider_parse(resp) : NULL;
    const char *token = mm__json_str(doc, "access_token");
    int64_t expires_in = mm__json_int(json_object_get(doc, "expires_in"));
    if (expires_in == MM_NULL_INT || expires_in < 0)
        expires_in = TOKEN_LIFETIME_S;
    else if (expires_in > TOKEN_LIFETIME_MAX_S)
        expires_in = TOKEN_LIFETIME_MAX_S;
    sp->fetching = false;
    if (token) {
        free(sp->token);
        sp->token = mm_xstrdup(token);
        sp->token_gen++;
        uint64_t life = (uint64_t)expires_in * 1000;
        sp->token_until_ms = now_ms() + (life > TOKEN_MARGIN_MS ? life - TOKEN_MARGIN_MS : 0);
    } else if (resp->err == MM_OK) {
        resp->err = MM_EPARSE;
    }
    struct waiter *w = sp->waiters;
    sp->waiters = NULL;
    sp->waiters_tail = &sp->waiters;
    while (w) {
        struct waiter *next = w->next;
        w->ready(w, token ? NULL : resp);
        w = next;
    }
    json_decref(doc);
}

/* Queues `w` until a token arrives, starting the fetch unless one is under
 * way. On error nothing is queued. *requests counts a fetch started. */
static mm_err token_await(struct spotify *sp, struct waiter *w, int *requests)
{
    mm_err err = MM_OK;
    struct mm_buf url, form;
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    mm_buf_init(&form, 256);
    if (!sp->fetching) {
        static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded"};
        err = mm_buf_printf(&url, "%s/api/token", sp->accounts_url);
        err = err ? err : mm_http_form_append(&form, "grant_type", "client_credentials");
        struct mm_http_request req = {.method = "POST",
                                      .url = url.data,
                                      .headers = headers,
                                      .n_headers = 1,
                                      .body = form.data,
                                      .body_len = form.len,
                                      .basic_user = sp->client_id,
                                      .basic_password = sp->client_secret,
                                      .rate_key = sp->base.rate_key,
                                      .classify = token_classify};
        err = err ? err : mm_http_submit(sp->base.http, &req, token_done, sp);
        sp->fetching = err == MM_OK;
        *requests += err == MM_OK;
    }
    if (err == MM_OK) {
        w->next = NULL;
        *sp->waiters_tail = w;
        sp->waiters_tail = &w->next;
    }
    mm_buf_cleanup(&form);
    mm_buf_cleanup(&url);
    return err;
}

/* Classify hook of token-carrying requests: a 401 (and a 403 when `ctx` is
 * non-NULL: audio features) is an answer for the done callback, not a failure. */
static void bearer_classify(const struct mm_http_response *resp, void *ctx,
                            struct mm_http_verdict *v)
{
    if (resp->status == 401 || (ctx && resp->status == 403)) {
        v->action = MM_HTTP_ACCEPT;
        v->err = MM_OK;
        v->detail[0] = '\0';
    }
    mm__provider_classify_json(resp, NULL, v);
}

/* The "message" of a Spotify error body, or "". */
static void error_message(const struct mm_http_response *resp, char *out, size_t size)
{
    json_t *doc = mm__provider_parse(resp);
    const char *msg = mm__json_str(json_object_get(doc, "error"), "message");
    snprintf(out, size, "%s", msg ? msg : "");
    json_decref(doc);
}

/* --- search --- */

static void names_of(const json_t *item, struct mm__names *out)
{
    size_t i;
    json_t *a;
    out->title = mm__json_str(item, "name");
    json_array_foreach(json_object_get(item, "artists"), i, a)
    {
        const char *name = mm__json_str(a, "name");
        if (name && out->n < MM__PROVIDER_NAMES_MAX)
            out->artists[out->n++] = name;
    }
}

static void to_track(const json_t *item, struct mm_arena *arena, struct mm_track *t)
{
    struct mm__names nm = {0};
    const json_t *album = json_object_get(item, "album");
    const json_t *image = json_array_get(json_object_get(album, "images"), 0);
    int64_t duration = mm__json_int(json_object_get(item, "duration_ms"));
    int64_t popularity = mm__json_int(json_object_get(item, "popularity"));
    mm__track_init(t);
    names_of(item, &nm);
    t->title = mm__provider_strdup(arena, nm.title);
    t->artists = mm_arena_alloc(arena, (nm.n + 1) * sizeof(char *));
    for (size_t i = 0; i < nm.n; i++)
        t->artists[i] = mm_arena_strdup(arena, nm.artists[i]);
    t->n_artists = nm.n;
    t->album = mm__provider_strdup(arena, mm__json_str(album, "name"));
    t->release_year = mm__provider_year(mm__json_str(album, "release_date"));
    t->duration_ms = duration > 0 ? duration : MM_NULL_INT;
    t->isrc =
        mm__provider_strdup(arena, mm__json_str(json_object_get(item, "external_ids"), "isrc"));
    t->ids[MM_SOURCE_SPOTIFY] = mm__provider_strdup(arena, mm__json_str(item, "id"));
    t->urls[MM_SOURCE_SPOTIFY] =
        mm__provider_strdup(arena, mm__json_str(json_object_get(item, "external_urls"), "spotify"));
    t->artwork_url = mm__provider_strdup(arena, mm__json_str(image, "url"));
    t->preview_url = mm__provider_strdup(arena, mm__json_str(item, "preview_url"));
    t->popularity = popularity >= 0 && popularity <= 100 ? popularity : MM_NULL_INT;
}

/* Query forms in order, with or without an artist: %T and %A stand for the
 * title and the artist as quoted phrases. */
static const char *const forms_artist[] = {"track:%T artist:%A", "%T %A", "%T"};
static const char *const forms_title[] = {"track:%T", "%T"};

static int query_count(const struct search *op)
{
    return op->lk.artist ? 3 : 2;
}

/* Appends `s` as a quoted phrase; its own double quotes are dropped. */
static mm_err append_phrase(struct mm_buf *q, const char *s)
{
    mm_err err = mm_buf_appendc(q, '"');
    for (; *s && !err; s++)
        err = *s == '"' ? MM_OK : mm_buf_appendc(q, *s);
    return err ? err : mm_buf_appendc(q, '"');
}

/* The `q` parameter of the query in flight. */
static mm_err query_of(const struct search *op, struct mm_buf *q)
{
    const char *form = (op->lk.artist ? forms_artist : forms_title)[op->step];
    mm_err err = MM_OK;
    for (; *form && !err; form++) {
        if (form[0] == '%' && (form[1] == 'T' || form[1] == 'A'))
            err = append_phrase(q, *++form == 'T' ? op->lk.title : op->lk.artist);
        else
            err = mm_buf_appendc(q, *form);
    }
    return err;
}

static void search_done(struct mm_http_response *resp, void *ctx);

static mm_err search_submit(struct search *op)
{
    struct spotify *sp = op->sp;
    mm_err err = MM_OK;
    struct mm_buf url, q;
    char limit[16];
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    mm_buf_init(&q, URL_ALLOC);
    snprintf(limit, sizeof(limit), "%d", sp->base.limit);
    err = query_of(op, &q);
    err = err ? err : mm__provider_url(&sp->base, "/v1/search", &url);
    err = err ? err : mm_http_query_append(&url, "q", q.data);
    err = err ? err : mm_http_query_append(&url, "type", "track");
    err = err ? err : mm_http_query_append(&url, "limit", limit);
    err = err ? err : mm_http_query_append(&url, "market", sp->base.market);
    struct mm_http_request req = {.url = url.data,
                                  .bearer_token = sp->token,
                                  .rate_key = sp->base.rate_key,
                                  .classify = bearer_classify};
    op->token_gen = sp->token_gen;
    err = err ? err : mm_http_submit(sp->base.http, &req, search_done, op);
    op->lk.result.requests += err == MM_OK;
    mm_buf_cleanup(&q);
    mm_buf_cleanup(&url);
    return err;
}

/* Sends the current query now, or once a token is there. */
static mm_err search_next(struct search *op)
{
    return token_fresh(op->sp) ? search_submit(op)
                               : token_await(op->sp, &op->w, &op->lk.result.requests);
}

static void search_token_ready(struct waiter *w, const struct mm_http_response *failed)
{
    struct search *op = CONTAINER(w, struct search, w);
    char why[200];
    mm_err err = MM_OK;
    if (failed) {
        mm__provider_describe(failed, why, sizeof(why));
        mm__lookup_fail(&op->lk, mm__provider_outcome(failed), "token request: %s", why);
    } else if ((err = search_submit(op)) != MM_OK) {
        mm__lookup_submit_fail(&op->lk, err);
    }
}

/* Considers one answer, then queries again or concludes. */
static void search_answer(struct search *op, const struct mm_http_response *resp)
{
    json_t *doc = mm__provider_parse(resp);
    mm_err err = MM_OK;
    mm__lookup_consider(&op->lk, json_object_get(json_object_get(doc, "tracks"), "items"));
    if (!mm__lookup_confident(&op->lk) && op->step + 1 < query_count(op)) {
        op->step++;
        op->refreshed = false;
        if ((err = search_next(op)) != MM_OK)
            mm__lookup_submit_fail(&op->lk, err);
    } else if (mm__lookup_acceptable(&op->lk)) {
        struct mm_track t;
        to_track(op->lk.best, op->lk.arena, &t);
        mm__lookup_found(&op->lk, &t);
    } else {
        mm__lookup_not_found(&op->lk);
    }
    json_decref(doc);
}

static void search_done(struct mm_http_response *resp, void *ctx)
{
    struct search *op = ctx;
    char msg[200];
    mm_err err = MM_OK;
    if (resp->err != MM_OK) {
        mm__lookup_http_fail(&op->lk, resp);
    } else if (resp->status == 401 && op->refreshed) {
        error_message(resp, msg, sizeof(msg));
        mm__lookup_fail(&op->lk, MM_LOOKUP_FAILED, "HTTP 401 after a token refresh: %s", msg);
    } else if (resp->status == 401) {
        op->refreshed = true;
        token_drop(op->sp, op->token_gen);
        if ((err = search_next(op)) != MM_OK)
            mm__lookup_submit_fail(&op->lk, err);
    } else {
        search_answer(op, resp);
    }
}

static void search_release(struct mm__lookup *lk)
{
    mm__lookup_cleanup(lk);
    free(lk);
}

static mm_err spotify_lookup(void *state, const struct mm_mention *m, struct mm_arena *arena,
                             mm_lookup_done_fn done, void *ctx)
{
    struct spotify *sp = state;
    struct search *op = mm_xcalloc(1, sizeof(*op));
    mm_err err = mm__lookup_init(&op->lk, &sp->base, m, arena, done, ctx, names_of, search_release);
    if (err == MM_OK) {
        op->sp = sp;
        op->w.ready = search_token_ready;
        err = search_next(op);
        if (err)
            mm__lookup_cleanup(&op->lk);
    }
    if (err)
        free(op);
    return err;
}

/* --- audio features --- */

static void features_free(struct features *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->ids[i]);
    free(f->ids);
    free(f);
}

/* Calls finished, then frees the request. */
static void features_finish(struct features *f, mm_err err)
{
    f->finished(f->ctx, err);
    features_free(f);
}

/* The entry of audio_features for ids[i]: normally at index i; else the one
 * carrying that id; NULL when Spotify has none. */
static const json_t *features_entry(const json_t *list, const char *id, size_t i)
{
    const json_t *e = json_array_get(list, i);
    const char *eid = mm__json_str(e, "id");
    size_t k;
    json_t *other;
    if (!json_is_object(e) || (eid && strcmp(eid, id) != 0)) {
        e = NULL;
        json_array_foreach(list, k, other)
        {
            eid = mm__json_str(other, "id");
            if (!e && eid && strcmp(eid, id) == 0)
                e = other;
        }
    }
    return e;
}

/* Fills *out from an entry; false when it carries no feature at all. */
static bool features_of(const json_t *e, struct mm_features *out)
{
    bool any = false;
    memset(out, 0, sizeof(*out));
    out->source = "spotify";
#define X(name)                                                                                    \
    if (json_is_number(json_object_get(e, #name))) {                                               \
        out->name = json_number_value(json_object_get(e, #name));                                  \
        out->has_##name = true;                                                                    \
        any = true;                                                                                \
    }
    MM_FEATURE_NAMES
#undef X
    out->present = any;
    return any;
}

static void features_answer(struct features *f, const struct mm_http_response *resp)
{
    json_t *doc = mm__provider_parse(resp);
    const json_t *list = json_object_get(doc, "audio_features");
    for (size_t i = 0; i < f->n; i++) {
        struct mm_features feat;
        bool has = features_of(features_entry(list, f->ids[i], i), &feat);
        f->each(f->ctx, i, has ? &feat : NULL);
    }
    json_decref(doc);
    features_finish(f, MM_OK);
}

static mm_err features_next(struct features *f);

static void features_done(struct mm_http_response *resp, void *ctx)
{
    struct features *f = ctx;
    mm_err err = MM_OK;
    if (resp->err != MM_OK) {
        features_finish(f, resp->err);
    } else if (resp->status == 403) {
        features_finish(f, MM_EUNSUPPORTED);
    } else if (resp->status == 401 && f->refreshed) {
        features_finish(f, MM_EHTTP);
    } else if (resp->status == 401) {
        f->refreshed = true;
        token_drop(f->sp, f->token_gen);
        if ((err = features_next(f)) != MM_OK)
            features_finish(f, err);
    } else {
        features_answer(f, resp);
    }
}

static mm_err features_submit(struct features *f)
{
    struct spotify *sp = f->sp;
    struct mm_buf url, ids;
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    mm_buf_init(&ids, FEATURES_MAX * (ID_MAX + 1));
    mm_err err = MM_OK;
    for (size_t i = 0; i < f->n && !err; i++) {
        err = i ? mm_buf_appendc(&ids, ',') : MM_OK;
        err = err ? err : mm_buf_appends(&ids, f->ids[i]);
    }
    err = err ? err : mm__provider_url(&sp->base, "/v1/audio-features", &url);
    err = err ? err : mm_http_query_append(&url, "ids", ids.data);
    struct mm_http_request req = {.url = url.data,
                                  .bearer_token = sp->token,
                                  .rate_key = sp->base.rate_key,
                                  .classify = bearer_classify,
                                  .classify_ctx = f};
    f->token_gen = sp->token_gen;
    err = err ? err : mm_http_submit(sp->base.http, &req, features_done, f);
    mm_buf_cleanup(&ids);
    mm_buf_cleanup(&url);
    return err;
}

static void features_token_ready(struct waiter *w, const struct mm_http_response *failed)
{
    struct features *f = CONTAINER(w, struct features, w);
    mm_err err = failed ? (failed->err ? failed->err : MM_EHTTP) : features_submit(f);
    if (err)
        features_finish(f, err);
}

static mm_err features_next(struct features *f)
{
    int unused = 0;
    return token_fresh(f->sp) ? features_submit(f) : token_await(f->sp, &f->w, &unused);
}

/* A Spotify id: 1..ID_MAX base62 characters. */
static bool id_valid(const char *id)
{
    size_t n = 0;
    while (id && ((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
                  (id[n] >= 'A' && id[n] <= 'Z')))
        n++;
    return id && n > 0 && n <= ID_MAX && id[n] == '\0';
}

mm_err mm_spotify_audio_features(void *spotify_state, const char *const *ids, size_t n,
                                 mm_features_fn each, mm_features_done_fn finished, void *ctx)
{
    struct spotify *sp = spotify_state;
    mm_err err = sp && ids && n > 0 && n <= FEATURES_MAX && each && finished ? MM_OK : MM_EINVAL;
    for (size_t i = 0; i < n && !err; i++)
        err = id_valid(ids[i]) ? MM_OK : MM_EINVAL;
    if (err == MM_OK) {
        struct features *f = mm_xcalloc(1, sizeof(*f));
        f->sp = sp;
        f->w.ready = features_token_ready;
        f->ids = mm_xcalloc(n, sizeof(char *));
        for (f->n = 0; f->n < n; f->n++)
            f->ids[f->n] = mm_xstrdup(ids[f->n]);
        f->each = each;
        f->finished = finished;
        f->ctx = ctx;
        err = features_next(f);
        if (err)
            features_free(f);
    }
    return err;
}

/* --- the provider --- */

static mm_err spotify_open(const struct mm_provider_options *opt, struct mm_http_client *http,
                           void **state, char err[MM_ERRLEN])
{
    struct spotify *sp = mm_xcalloc(1, sizeof(*sp));
    mm_err rc = mm__provider_base_init(&sp->base, MM_SOURCE_SPOTIFY, opt, http, LIMIT_DEFAULT,
                                       LIMIT_MAX, err);
    const char *missing = NULL;
    if (rc)
        goto out_free_sp;
    if (!opt->accounts_url || (strncmp(opt->accounts_url, "http://", 7) != 0 &&
                               strncmp(opt->accounts_url, "https://", 8) != 0))
        missing = "accounts_url: expected an http:// or https:// URL";
    else if (!opt->client_id || !*opt->client_id)
        missing = "client_id: missing (SPOTIPY_CLIENT_ID)";
    else if (!opt->client_secret || !*opt->client_secret)
        missing = "client_secret: missing (SPOTIPY_CLIENT_SECRET)";
    if (missing) {
        rc = MM_EINVAL;
        if (err)
            snprintf(err, MM_ERRLEN, "spotify provider: %s", missing);
        goto out_cleanup_base;
    }
    size_t n = strlen(opt->accounts_url);
    while (n > 0 && opt->accounts_url[n - 1] == '/')
        n--;
    sp->accounts_url = mm_xstrndup(opt->accounts_url, n);
    sp->client_id = mm_xstrdup(opt->client_id);
    sp->client_secret = mm_xstrdup(opt->client_secret);
    sp->waiters_tail = &sp->waiters;
    *state = sp;
    goto out;
out_cleanup_base:
    mm__provider_base_cleanup(&sp->base);
out_free_sp:
    free(sp);
out:
    return rc;
}

static void spotify_close(void *state)
{
    struct spotify *sp = state;
    if (sp) {
        mm__provider_base_cleanup(&sp->base);
        free(sp->accounts_url);
        free(sp->client_id);
        free(sp->client_secret);
        free(sp->token);
        free(sp);
    }
}

const struct mm_provider mm_provider_spotify = {
    .source = MM_SOURCE_SPOTIFY,
    .open = spotify_open,
    .close = spotify_close,
    .lookup = spotify_lookup,
};
