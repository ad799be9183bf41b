/*
 * provider_lastfm.c — Last.fm API 2.0: track.search, then track.getInfo of
 * the best candidate for listeners, duration, album, mbid and top tags
 * (docs/providers.md).
 *
 * Last.fm reports errors as {"error":N,"message":...} whatever the HTTP
 * status, 200 included: mm_http_classify_lastfm retries 29/8/11/16 and ends
 * 6 as "not found"; the other codes (10 bad key, 26 suspended, 4 auth) stop
 * the provider. All numbers come as strings. getInfo may answer a stub (no
 * mbid, few listeners, no tags) for a track someone once scrobbled: it still
 * counts when the search candidate matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "pipeline/provider_impl.h"

#define LIMIT_DEFAULT 10
#define LIMIT_MAX 100
#define MBID_LEN 36                 /* 8-4-4-4-12 */
#define MUSIC_PATH "last.fm/music/" /* track pages: .../music/<artist>/_/<title> */

struct lastfm {
    struct mm__provider_base base;
    char *api_key;
};

struct search {
    struct mm__lookup lk; /* first: release casts back */
    struct lastfm *lf;
};

static void names_of(const json_t *item, struct mm__names *out)
{
    out->title = mm__json_str(item, "name");
    out->artists[0] = mm__json_str(item, "artist");
    out->n = out->artists[0] != NULL;
}

/* The lookup status of a Last.fm request that did not succeed: the error
 * code of its body decides when there is one. */
static enum mm_lookup_status outcome_of(const struct mm_http_response *resp)
{
    json_t *doc = mm__provider_parse(resp);
    json_t *code = json_object_get(doc, "error");
    enum mm_lookup_status st = mm__provider_outcome(resp);
    if (json_is_integer(code)) {
        json_int_t c = json_integer_value(code);
        st = c == 6                                    ? MM_LOOKUP_NOT_FOUND
             : c == 29 || c == 8 || c == 11 || c == 16 ? MM_LOOKUP_RETRYABLE
                                                       : MM_LOOKUP_FAILED;
    }
    json_decref(doc);
    return st;
}

static void fail(struct search *op, const struct mm_http_response *resp)
{
    char why[sizeof(op->lk.result.reason)];
    mm__provider_describe(resp, why, sizeof(why));
    mm__lookup_fail(&op->lk, outcome_of(resp), "%s", why);
}

static void classify(const struct mm_http_response *resp, void *ctx, struct mm_http_verdict *v)
{
    mm_http_classify_lastfm(resp, ctx, v);
    mm__provider_classify_json(resp, ctx, v);
}

/* Sends `method` with name/value pairs (NULL values skipped), the key and format. */
static mm_err submit(struct search *op, const char *method, const char *const *params, size_t n,
                     mm_http_done_fn done)
{
    struct mm__provider_base *b = &op->lf->base;
    struct mm_buf url;
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    mm_err err = mm__provider_url(b, "/2.0/", &url);
    err = err ? err : mm_http_query_append(&url, "method", method);
    for (size_t i = 0; i + 1 < n && !err; i += 2)
        err = params[i + 1] ? mm_http_query_append(&url, params[i], params[i + 1]) : MM_OK;
    err = err ? err : mm_http_query_append(&url, "api_key", op->lf->api_key);
    err = err ? err : mm_http_query_append(&url, "format", "json");
    struct mm_http_request req = {.url = url.data, .rate_key = b->rate_key, .classify = classify};
    err = err ? err : mm_http_submit(b->http, &req, done, op);
    op->lk.result.requests += err == MM_OK;
    mm_buf_cleanup(&url);
    return err;
}

/* --- the track record --- */

/* "Artist/_/Title" of a track page URL, or NULL. */
static char *page_id(struct mm_arena *arena, const char *url)
{
    const char *p = url ? strstr(url, MUSIC_PATH) : NULL;
    return p && p[strlen(MUSIC_PATH)] ? mm_arena_strdup(arena, p + strlen(MUSIC_PATH)) : NULL;
}

static bool mbid_valid(const char *s)
{
    size_t n = 0;
    while (s && n < MBID_LEN &&
           ((n == 8 || n == 13 || n == 18 || n == 23)
                ? s[n] == '-'
                : ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))))
        n++;
    return s && n == MBID_LEN && s[n] == '\0';
}

/* Top tags, lower-cased, without duplicates, at most MM__PROVIDER_TAGS_MAX. */
static void tags_of(const json_t *info, struct mm_arena *arena, struct mm_track *t)
{
    const json_t *tags = json_object_get(json_object_get(info, "toptags"), "tag");
    const json_t *one = json_is_object(tags) ? tags : NULL;
    size_t count = one ? 1 : json_array_size(tags);
    t->tags = mm_arena_alloc(arena, (MM__PROVIDER_TAGS_MAX + 1) * sizeof(char *));
    t->n_tags = 0;
    for (size_t i = 0; i < count && t->n_tags < MM__PROVIDER_TAGS_MAX; i++) {
        const char *name = mm__json_str(one ? one : json_array_get(tags, i), "name");
        char *lower = name ? mm_arena_strdup(arena, name) : NULL;
        bool dup = lower == NULL;
        for (char *c = lower; c && *c; c++)
            *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
        for (size_t k = 0; k < t->n_tags && !dup; k++)
            dup = strcmp(t->tags[k], lower) == 0;
        if (!dup)
            t->tags[t->n_tags++] = lower;
    }
}

/* The last non-empty image URL (Last.fm lists them small to extralarge). */
static const char *image_of(const json_t *album)
{
    const char *url = NULL;
    size_t i;
    json_t *image;
    json_array_foreach(json_object_get(album, "image"), i, image)
    {
        const char *u = mm__json_str(image, "#text");
        url = u ? u : url;
    }
    return url;
}

/* The track from the search candidate, completed by getInfo's `info` (may be NULL). */
static void to_track(const json_t *item, const json_t *info, struct mm_arena *arena,
                     struct mm_track *t)
{
    const json_t *album = json_object_get(info, "album");
    const char *title = mm__json_str(info, "name");
    const char *artist = mm__json_str(json_object_get(info, "artist"), "name");
    const char *url = mm__json_str(info, "url");
    const char *mbid = mm__json_str(info, "mbid");
    int64_t duration = mm__json_int(json_object_get(info, "duration"));
    int64_t listeners = mm__json_int(json_object_get(info, "listeners"));
    mm__track_init(t);
    t->title = mm__provider_strdup(arena, title ? title : mm__json_str(item, "name"));
    mm__track_set_artist(t, arena, artist ? artist : mm__json_str(item, "artist"));
    t->album = mm__provider_strdup(arena, mm__json_str(album, "title"));
    t->duration_ms = duration > 0 ? duration : MM_NULL_INT;
    if (listeners == MM_NULL_INT)
        listeners = mm__json_int(json_object_get(item, "listeners"));
    t->listeners = listeners >= 0 ? listeners : MM_NULL_INT;
    mbid = mbid ? mbid : mm__json_str(item, "mbid");
    t->ids[MM_SOURCE_MUSICBRAINZ] = mbid_valid(mbid) ? mm_arena_strdup(arena, mbid) : NULL;
    url = url ? url : mm__json_str(item, "url");
    t->urls[MM_SOURCE_LASTFM] = mm__provider_strdup(arena, url);
    t->ids[MM_SOURCE_LASTFM] = page_id(arena, url);
    t->artwork_url = mm__provider_strdup(arena, image_of(album));
    tags_of(info, arena, t);
}

/* --- requests --- */

static void info_done(struct mm_http_response *resp, void *ctx)
{
    struct search *op = ctx;
    json_t *doc = resp->err == MM_OK ? mm__provider_parse(resp) : NULL;
    struct mm_track t;
    if (resp->err == MM_OK || outcome_of(resp) == MM_LOOKUP_NOT_FOUND) {
        to_track(op->lk.best, json_object_get(doc, "track"), op->lk.arena, &t);
        mm__lookup_found(&op->lk, &t);
    } else {
        fail(op, resp);
    }
    json_decref(doc);
}

static void search_done(struct mm_http_response *resp, void *ctx)
{
    struct search *op = ctx;
    json_t *doc = resp->err == MM_OK ? mm__provider_parse(resp) : NULL;
    mm_err err = MM_OK;
    if (resp->err != MM_OK) {
        fail(op, resp);
        goto out;
    }
    mm__lookup_consider(
        &op->lk,
        json_object_get(json_object_get(json_object_get(doc, "results"), "trackmatches"), "track"));
    if (mm__lookup_acceptable(&op->lk)) {
        const char *params[] = {"artist",      mm__json_str(op->lk.best, "artist"),
                                "track",       mm__json_str(op->lk.best, "name"),
                                "autocorrect", "0"};
        if ((err = submit(op, "track.getInfo", params, 6, info_done)) != MM_OK)
            mm__lookup_submit_fail(&op->lk, err);
    } else {
        mm__lookup_not_found(&op->lk);
    }
out:
    json_decref(doc);
}

static void search_release(struct mm__lookup *lk)
{
    mm__lookup_cleanup(lk);
    free(lk);
}

static mm_err lastfm_lookup(void *state, const struct mm_mention *m, struct mm_arena *arena,
                            mm_lookup_done_fn done, void *ctx)
{
    struct lastfm *lf = state;
    struct search *op = mm_xcalloc(1, sizeof(*op));
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", lf->base.limit);
    mm_err err = mm__lookup_init(&op->lk, &lf->base, m, arena, done, ctx, names_of, search_release);
    if (err == MM_OK) {
        const char *params[] = {"track", op->lk.title, "artist", op->lk.artist, "limit", limit};
        op->lf = lf;
        err = submit(op, "track.search", params, 6, search_done);
        if (err)
            mm__lookup_cleanup(&op->lk);
    }
    if (err)
        free(op);
    return err;
}

static mm_err lastfm_open(const struct mm_provider_options *opt, struct mm_http_client *http,
                          void **state, char err[MM_ERRLEN])
{
    struct lastfm *lf = mm_xcalloc(1, sizeof(*lf));
    mm_err rc = mm__provider_base_init(&lf->base, MM_SOURCE_LASTFM, opt, http, LIMIT_DEFAULT,
                                       LIMIT_MAX, err);
    if (rc == MM_OK && (!opt->api_key || !*opt->api_key)) {
        rc = MM_EINVAL;
        if (err)
            snprintf(err, MM_ERRLEN, "lastfm provider: api_key: missing (LASTFM_API_KEY)");
        mm__provider_base_cleanup(&lf->base);
    }
    if (rc == MM_OK) {
        lf->api_key = mm_xstrdup(opt->api_key);
        *state = lf;
    } else {
        free(lf);
    }
    return rc;
}

static void lastfm_close(void *state)
{
    struct lastfm *lf = state;
    if (lf) {
        mm__provider_base_cleanup(&lf->base);
        free(lf->api_key);
        free(lf);
    }
}

const struct mm_provider mm_provider_lastfm = {
    .source = MM_SOURCE_LASTFM,
    .open = lastfm_open,
    .close = lastfm_close,
    .lookup = lastfm_lookup,
};
