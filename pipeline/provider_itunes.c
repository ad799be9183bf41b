/*
 * provider_itunes.c — the iTunes Search API (docs/providers.md).
 *
 * Terms, as the original app searched: "<clean title> <primary artist>",
 * then "<clean title>" (only the latter without an artist), where the clean
 * forms are the matcher's keys (mm_match_title_key / mm_match_artist_key:
 * lower case, no punctuation, no "(feat. X)" or "- Remastered"). No key, no
 * documented rate limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/match.h"
#include "pipeline/provider_impl.h"

#define LIMIT_DEFAULT 5
#define LIMIT_MAX 200
#define TERM_MAX (4 * 1024)
#define ART_SMALL "100x100bb"
#define ART_LARGE "600x600bb" /* same length as ART_SMALL */

struct search {
    struct mm__lookup lk; /* first: release casts back */
    struct mm__provider_base *base;
    char *terms[2]; /* in order; terms[1] NULL without an artist */
    int step;       /* term in flight */
};

/* A song result: wrapperType "track" and kind "song" when they are given. */
static bool is_song(const json_t *item)
{
    const char *wrapper = mm__json_str(item, "wrapperType");
    const char *kind = mm__json_str(item, "kind");
    return (!wrapper || strcmp(wrapper, "track") == 0) && (!kind || strcmp(kind, "song") == 0);
}

static void names_of(const json_t *item, struct mm__names *out)
{
    out->title = is_song(item) ? mm__json_str(item, "trackName") : NULL;
    out->artists[0] = mm__json_str(item, "artistName");
    out->n = out->artists[0] != NULL;
}

/* artworkUrl100 with its 100x100 size asked as 600x600. */
static char *artwork_of(struct mm_arena *arena, const char *url)
{
    char *out = mm__provider_strdup(arena, url);
    char *size = out ? strstr(out, ART_SMALL) : NULL;
    if (size)
        memcpy(size, ART_LARGE, strlen(ART_LARGE));
    return out;
}

/* trackId as text: iTunes sends a number; a string is taken as it is. */
static char *id_of(struct mm_arena *arena, const json_t *v)
{
    int64_t id = mm__json_int(v);
    char text[32];
    char *out = NULL;
    if (id != MM_NULL_INT && id > 0) {
        snprintf(text, sizeof(text), "%lld", (long long)id);
        out = mm_arena_strdup(arena, text);
    }
    return out;
}

static void to_track(const json_t *item, struct mm_arena *arena, struct mm_track *t)
{
    int64_t duration = mm__json_int(json_object_get(item, "trackTimeMillis"));
    mm__track_init(t);
    t->title = mm__provider_strdup(arena, mm__json_str(item, "trackName"));
    mm__track_set_artist(t, arena, mm__json_str(item, "artistName"));
    t->album = mm__provider_strdup(arena, mm__json_str(item, "collectionName"));
    t->release_year = mm__provider_year(mm__json_str(item, "releaseDate"));
    t->duration_ms = duration > 0 ? duration : MM_NULL_INT;
    t->ids[MM_SOURCE_ITUNES] = id_of(arena, json_object_get(item, "trackId"));
    t->urls[MM_SOURCE_ITUNES] = mm__provider_strdup(arena, mm__json_str(item, "trackViewUrl"));
    t->artwork_url = artwork_of(arena, mm__json_str(item, "artworkUrl100"));
    t->preview_url = mm__provider_strdup(arena, mm__json_str(item, "previewUrl"));
}

/* The search terms of the mention into op->terms. */
static mm_err make_terms(struct search *op)
{
    struct mm_buf title, artist;
    mm_buf_init(&title, TERM_MAX);
    mm_buf_init(&artist, TERM_MAX);
    mm_err err = mm_match_title_key(op->lk.title, &title);
    if (!err && title.len == 0)
        err = mm_buf_appends(&title, op->lk.title);
    if (!err && op->lk.artist)
        err = mm_match_artist_key(op->lk.artist, &artist);
    if (!err && op->lk.artist && artist.len == 0)
        err = mm_buf_appends(&artist, op->lk.artist);
    if (!err) {
        op->terms[0] =
            artist.len ? mm_xasprintf("%s %s", title.data, artist.data) : mm_xstrdup(title.data);
        op->terms[1] = artist.len ? mm_xstrdup(title.data) : NULL;
    }
    mm_buf_cleanup(&artist);
    mm_buf_cleanup(&title);
    return err;
}

static void search_done(struct mm_http_response *resp, void *ctx);

static mm_err search_submit(struct search *op)
{
    struct mm_buf url;
    char limit[16];
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    snprintf(limit, sizeof(limit), "%d", op->base->limit);
    mm_err err = mm__provider_url(op->base, "/search", &url);
    err = err ? err : mm_http_query_append(&url, "term", op->terms[op->step]);
    err = err ? err : mm_http_query_append(&url, "media", "music");
    err = err ? err : mm_http_query_append(&url, "entity", "song");
    err = err ? err : mm_http_query_append(&url, "limit", limit);
    err = err ? err : mm_http_query_append(&url, "country", op->base->market);
    struct mm_http_request req = {
        .url = url.data, .rate_key = op->base->rate_key, .classify = mm__provider_classify_json};
    err = err ? err : mm_http_submit(op->base->http, &req, search_done, op);
    op->lk.result.requests += err == MM_OK;
    mm_buf_cleanup(&url);
    return err;
}

static void search_done(struct mm_http_response *resp, void *ctx)
{
    struct search *op = ctx;
    json_t *doc = resp->err == MM_OK ? mm__provider_parse(resp) : NULL;
    mm_err err = MM_OK;
    if (resp->err != MM_OK) {
        mm__lookup_http_fail(&op->lk, resp);
        goto out;
    }
    mm__lookup_consider(&op->lk, json_object_get(doc, "results"));
    if (!mm__lookup_confident(&op->lk) && op->step == 0 && op->terms[1]) {
        op->step++;
        if ((err = search_submit(op)) != MM_OK)
            mm__lookup_submit_fail(&op->lk, err);
    } else if (mm__lookup_acceptable(&op->lk)) {
        struct mm_track t;
        to_track(op->lk.best, op->lk.arena, &t);
        mm__lookup_found(&op->lk, &t);
    } else {
        mm__lookup_not_found(&op->lk);
    }
out:
    json_decref(doc);
}

static void search_release(struct mm__lookup *lk)
{
    struct search *op = (struct search *)lk;
    mm__lookup_cleanup(lk);
    free(op->terms[0]);
    free(op->terms[1]);
    free(op);
}

static mm_err itunes_lookup(void *state, const struct mm_mention *m, struct mm_arena *arena,
                            mm_lookup_done_fn done, void *ctx)
{
    struct mm__provider_base *base = state;
    struct search *op = mm_xcalloc(1, sizeof(*op));
    mm_err err = mm__lookup_init(&op->lk, base, m, arena, done, ctx, names_of, search_release);
    bool inited = err == MM_OK;
    op->base = base;
    err = err ? err : make_terms(op);
    err = err ? err : search_submit(op);
    if (err && inited)
        mm__lookup_cleanup(&op->lk);
    if (err) {
        free(op->terms[0]);
        free(op->terms[1]);
        free(op);
    }
    return err;
}

static mm_err itunes_open(const struct mm_provider_options *opt, struct mm_http_client *http,
                          void **state, char err[MM_ERRLEN])
{
    return mm__provider_base_open(MM_SOURCE_ITUNES, opt, http, LIMIT_DEFAULT, LIMIT_MAX, state,
                                  err);
}

const struct mm_provider mm_provider_itunes = {
    .source = MM_SOURCE_ITUNES,
    .open = itunes_open,
    .close = mm__provider_base_close,
    .lookup = itunes_lookup,
};
