/*
 * provider.c — what the four providers share: the provider table, option
 * checks, the lookup record with its best-candidate loop and its endings,
 * the mapping of HTTP outcomes to lookup statuses, and JSON readers that
 * treat a missing or wrong-typed field as absent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/codec.h"
#include "common/match.h"
#include "pipeline/provider_impl.h"

/* Bytes of a candidate's title or artist quoted in a reason. */
#define SHOWN 80
/* Bytes of a URL quoted in a reason. */
#define SHOWN_URL 120

const struct mm_provider *mm_provider_for(enum mm_source source)
{
    const struct mm_provider *p = NULL;
    switch (source) {
    case MM_SOURCE_SPOTIFY: p = &mm_provider_spotify; break;
    case MM_SOURCE_MUSICBRAINZ: p = &mm_provider_musicbrainz; break;
    case MM_SOURCE_LASTFM: p = &mm_provider_lastfm; break;
    case MM_SOURCE_ITUNES: p = &mm_provider_itunes; break;
    case MM_SOURCE__COUNT: break;
    }
    return p;
}

/* --- text helpers --- */

/* Cuts an incomplete UTF-8 sequence left at the end of s by truncation. */
static void utf8_trim_tail(char *s)
{
    size_t len = strlen(s), p = len;
    while (p > 0 && len - p < 3 && ((unsigned char)s[p - 1] & 0xC0) == 0x80)
        p--;
    if (p > 0) {
        unsigned char lead = (unsigned char)s[p - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (len - (p - 1) < need)
            s[p - 1] = '\0';
    }
}

/* Bytes of s quoted in a reason: at most SHOWN, cut on a character boundary. */
static int shown(const char *s)
{
    size_t n = strlen(s);
    if (n > SHOWN) {
        n = SHOWN;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

static void vformat(char *out, size_t size, const char *fmt, va_list ap)
{
    vsnprintf(out, size, fmt, ap);
    utf8_trim_tail(out);
}

static void format(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(out, size, fmt, ap);
    va_end(ap);
}

/* --- options --- */

mm_err mm__provider_base_init(struct mm__provider_base *b, enum mm_source source,
                              const struct mm_provider_options *opt, struct mm_http_client *http,
                              int default_limit, int max_limit, char err[MM_ERRLEN])
{
    const char *name = mm_source_name(source);
    mm_err rc = MM_EINVAL;
    char why[200] = "";
    memset(b, 0, sizeof(*b));
    double min = opt->min_score > 0 ? opt->min_score : MM_MATCH_MIN_SCORE;
    double early = opt->early_exit_score > 0 ? opt->early_exit_score : MM_MATCH_EARLY_EXIT;
    size_t url_len = opt->base_url ? strlen(opt->base_url) : 0;
    if (!http)
        format(why, sizeof(why), "no HTTP client");
    else if (!opt->base_url || (strncmp(opt->base_url, "http://", 7) != 0 &&
                                strncmp(opt->base_url, "https://", 8) != 0))
        format(why, sizeof(why), "base_url: expected an http:// or https:// URL");
    else if (opt->search_limit < 0 || opt->search_limit > max_limit)
        format(why, sizeof(why), "search_limit: expected 1..%d, got %d", max_limit,
               opt->search_limit);
    else if (!(min >= 0 && min <= 100))
        format(why, sizeof(why), "min_score: expected 0..100");
    else if (!(early >= min && early <= 100))
        format(why, sizeof(why), "early_exit_score: expected min_score..100");
    else
        rc = MM_OK;
    if (rc != MM_OK) {
        if (err)
            format(err, MM_ERRLEN, "%s provider: %s", name, why);
        goto out;
    }
    while (url_len > 0 && opt->base_url[url_len - 1] == '/')
        url_len--;
    b->source = source;
    b->http = http;
    b->base_url = mm_xstrndup(opt->base_url, url_len);
    b->rate_key = opt->rate_key && *opt->rate_key ? mm_xstrdup(opt->rate_key) : NULL;
    b->market = mm_xstrdup(opt->market && *opt->market ? opt->market : "US");
    b->limit = opt->search_limit ? opt->search_limit : default_limit;
    b->min_score = min;
    b->early_exit = early;
out:
    return rc;
}

void mm__provider_base_cleanup(struct mm__provider_base *b)
{
    free(b->base_url);
    free(b->rate_key);
    free(b->market);
    memset(b, 0, sizeof(*b));
}

mm_err mm__provider_base_open(enum mm_source source, const struct mm_provider_options *opt,
                              struct mm_http_client *http, int default_limit, int max_limit,
                              void **state, char err[MM_ERRLEN])
{
    struct mm__provider_base *base = mm_xcalloc(1, sizeof(*base));
    mm_err rc = mm__provider_base_init(base, source, opt, http, default_limit, max_limit, err);
    if (rc)
        free(base);
    else
        *state = base;
    return rc;
}

void mm__provider_base_close(void *state)
{
    if (state)
        mm__provider_base_cleanup(state);
    free(state);
}

mm_err mm__provider_url(const struct mm__provider_base *b, const char *path, struct mm_buf *url)
{
    mm_buf_reset(url);
    url->max = MM_HTTP_URL_MAX;
    mm_err err = mm_buf_appends(url, b->base_url);
    return err ? err : mm_buf_appends(url, path);
}

/* --- the lookup record --- */

mm_err mm__lookup_init(struct mm__lookup *lk, const struct mm__provider_base *b,
                       const struct mm_mention *m, struct mm_arena *arena, mm_lookup_done_fn done,
                       void *ctx, mm__names_fn names, mm__release_fn release)
{
    mm_err err = MM_EINVAL;
    memset(lk, 0, sizeof(*lk));
    if (m && m->title && *m->title && arena && done) {
        lk->base = b;
        lk->title = mm_xstrdup(m->title);
        lk->artist = m->artist && *m->artist ? mm_xstrdup(m->artist) : NULL;
        lk->arena = arena;
        lk->done = done;
        lk->ctx = ctx;
        lk->names = names;
        lk->release = release;
        lk->best_score = -1;
        lk->result.status = MM_LOOKUP_NOT_FOUND;
        mm__track_init(&lk->result.track);
        err = MM_OK;
    }
    return err;
}

void mm__lookup_cleanup(struct mm__lookup *lk)
{
    free(lk->title);
    free(lk->artist);
    json_decref(lk->best);
    lk->title = lk->artist = NULL;
    lk->best = NULL;
}

static void consider_one(struct mm__lookup *lk, json_t *item)
{
    struct mm__names nm = {0};
    lk->names(item, &nm);
    double score =
        nm.title ? mm_match_score(lk->title, lk->artist, nm.title, nm.artists, nm.n) : -1;
    if (nm.title && (!lk->best || score > lk->best_score)) {
        json_decref(lk->best);
        lk->best = json_incref(item);
        lk->best_score = score;
    }
}

void mm__lookup_consider(struct mm__lookup *lk, const json_t *items)
{
    size_t i;
    json_t *item;
    lk->queries++;
    if (json_is_object(items))
        consider_one(lk, (json_t *)items);
    json_array_foreach(items, i, item)
    {
        if (json_is_object(item))
            consider_one(lk, item);
    }
}

bool mm__lookup_confident(const struct mm__lookup *lk)
{
    return lk->best && lk->best_score >= lk->base->early_exit;
}

bool mm__lookup_acceptable(const struct mm__lookup *lk)
{
    return lk->best && lk->best_score >= lk->base->min_score;
}

/* Calls done, then release: the record is gone afterwards. */
static void report(struct mm__lookup *lk, enum mm_lookup_status status)
{
    lk->result.status = status;
    if (status != MM_LOOKUP_FOUND)
        mm__track_init(&lk->result.track);
    lk->done(&lk->result, lk->ctx);
    lk->release(lk);
}

void mm__lookup_found(struct mm__lookup *lk, struct mm_track *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t->source = lk->base->source;
    t->score = lk->best_score;
    t->fetched_at_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (mm_track_make_key(t, lk->arena) != MM_OK) {
        mm__lookup_fail(lk, MM_LOOKUP_NOT_FOUND, "the best candidate has no id, title or artist");
    } else {
        lk->result.track = *t;
        lk->result.reason[0] = '\0';
        report(lk, MM_LOOKUP_FOUND);
    }
}

void mm__lookup_not_found(struct mm__lookup *lk)
{
    struct mm__names nm = {0};
    if (lk->best)
        lk->names(lk->best, &nm);
    const char *artist = nm.n ? nm.artists[0] : "";
    if (nm.title)
        format(lk->result.reason, sizeof(lk->result.reason),
               "best '%.*s' by '%.*s' scored %.1f < %g (%d quer%s)", shown(nm.title), nm.title,
               shown(artist), artist, lk->best_score, lk->base->min_score, lk->queries,
               lk->queries == 1 ? "y" : "ies");
    else
        format(lk->result.reason, sizeof(lk->result.reason), "no candidates (%d quer%s)",
               lk->queries, lk->queries == 1 ? "y" : "ies");
    report(lk, MM_LOOKUP_NOT_FOUND);
}

void mm__lookup_fail(struct mm__lookup *lk, enum mm_lookup_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(lk->result.reason, sizeof(lk->result.reason), fmt, ap);
    va_end(ap);
    report(lk, status);
}

void mm__lookup_http_fail(struct mm__lookup *lk, const struct mm_http_response *resp)
{
    char why[sizeof(lk->result.reason)];
    mm__provider_describe(resp, why, sizeof(why));
    mm__lookup_fail(lk, mm__provider_outcome(resp), "%s", why);
}

void mm__lookup_submit_fail(struct mm__lookup *lk, mm_err err)
{
    mm__lookup_fail(lk, err == MM_ETOOBIG ? MM_LOOKUP_NOT_FOUND : MM_LOOKUP_FAILED,
                    "request refused by the HTTP client: %s%s", mm_strerror(err),
                    err == MM_ETOOBIG ? " (URL too long for this mention)" : "");
}

/* --- HTTP outcomes --- */

enum mm_lookup_status mm__provider_outcome(const struct mm_http_response *resp)
{
    enum mm_lookup_status st = MM_LOOKUP_RETRYABLE;
    int s = resp->status;
    switch (resp->err) {
    case MM_ENOTFOUND: st = s == 404 ? MM_LOOKUP_FAILED : MM_LOOKUP_NOT_FOUND; break;
    case MM_EHTTP:
        if (s >= 400 && s < 500 && s != 408 && s != 429)
            st = MM_LOOKUP_FAILED;
        break;
    case MM_EINVAL: st = MM_LOOKUP_FAILED; break;
    default: break;
    }
    return st;
}

void mm__provider_describe(const struct mm_http_response *resp, char *out, size_t size)
{
    const char *detail = resp->detail && *resp->detail ? resp->detail : mm_strerror(resp->err);
    format(out, size, "HTTP %d, %s: %s; %.*s", resp->status, mm_err_name(resp->err), detail,
           SHOWN_URL, resp->url ? resp->url : "");
}

void mm__provider_classify_json(const struct mm_http_response *resp, void *ctx,
                                struct mm_http_verdict *v)
{
    (void)ctx;
    json_error_t jerr;
    json_t *doc = NULL;
    bool checked = v->action == MM_HTTP_ACCEPT && resp->status >= 200 && resp->status < 300;
    if (checked)
        doc = json_loadb(resp->body, resp->body_len, 0, &jerr);
    if (checked && !json_is_object(doc)) {
        v->action = MM_HTTP_RETRY;
        v->err = MM_EPARSE;
        if (doc)
            format(v->detail, sizeof(v->detail), "malformed body: expected a JSON object");
        else
            format(v->detail, sizeof(v->detail), "malformed JSON body at %d:%d: %s", jerr.line,
                   jerr.column, jerr.text);
    }
    json_decref(doc);
}

json_t *mm__provider_parse(const struct mm_http_response *resp)
{
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* --- JSON readers --- */

const char *mm__json_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : NULL;
}

int64_t mm__json_int(const json_t *v)
{
    int64_t out = MM_NULL_INT;
    if (json_is_integer(v)) {
        out = json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.0e15 && d <= 9.0e15 && d == (double)(int64_t)d)
            out = (int64_t)d;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0)
            out = n;
    }
    return out;
}

int64_t mm__provider_year(const char *date)
{
    int64_t year = 0;
    int i = 0;
    for (; date && i < 4 && date[i] >= '0' && date[i] <= '9'; i++)
        year = year * 10 + (date[i] - '0');
    return i == 4 && (date[4] == '\0' || date[4] == '-') && year > 0 ? year : MM_NULL_INT;
}

char *mm__provider_strdup(struct mm_arena *arena, const char *s)
{
    return s ? mm_arena_strdup(arena, s) : NULL;
}

void mm__track_init(struct mm_track *t)
{
    memset(t, 0, sizeof(*t));
    t->release_year = MM_NULL_INT;
    t->duration_ms = MM_NULL_INT;
    t->popularity = MM_NULL_INT;
    t->listeners = MM_NULL_INT;
}

void mm__track_set_artist(struct mm_track *t, struct mm_arena *arena, const char *artist)
{
    t->n_artists = 0;
    t->artists = NULL;
    if (artist) {
        t->artists = mm_arena_alloc(arena, sizeof(char *));
        t->artists[0] = mm_arena_strdup(arena, artist);
        t->n_artists = 1;
    }
}
