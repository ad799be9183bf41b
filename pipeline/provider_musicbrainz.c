/*
 * provider_musicbrainz.c — MusicBrainz WS/2 recording search
 * (docs/providers.md).
 *
 * Queries `recording:"T" AND artist:"A"`, then `recording:"T"` when the
 * first found nothing confident (only the latter without an artist), with
 * Lucene specials escaped inside the phrases. MusicBrainz's own `score`
 * ranks by its index, not by our rules, so candidates are scored with
 * mm_match_score like every other provider. The 1 request/s limit is the
 * HTTP client's rate rule for this provider's rate key; 503 is retried there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "pipeline/provider_impl.h"

#define LIMIT_DEFAULT 10
#define LIMIT_MAX 100
#define QUERY_MAX (4 * 1024) /* bytes of a Lucene query */
#define PAGE_URL "https://musicbrainz.org/recording/"

struct search {
    struct mm__lookup lk; /* first: release casts back */
    struct mm__provider_base *base;
    int step; /* query in flight */
};

/* Characters with a meaning in Lucene query syntax; each gets a backslash. */
static bool lucene_special(char c)
{
    return c != '\0' && strchr("+-&|!(){}[]^\"~*?:\\/", c) != NULL;
}

/* Appends field:"s" with s escaped for Lucene. */
static mm_err append_field(struct mm_buf *q, const char *field, const char *s)
{
    mm_err err = mm_buf_printf(q, "%s:\"", field);
    for (; *s && !err; s++) {
        err = lucene_special(*s) ? mm_buf_appendc(q, '\\') : MM_OK;
        err = err ? err : mm_buf_appendc(q, *s);
    }
    return err ? err : mm_buf_appendc(q, '"');
}

static int query_count(const struct search *op)
{
    return op->lk.artist ? 2 : 1;
}

/* The Lucene query in flight: with the artist first, then the title alone. */
static mm_err query_of(const struct search *op, struct mm_buf *q)
{
    mm_err err = append_field(q, "recording", op->lk.title);
    if (op->lk.artist && op->step == 0) {
        err = err ? err : mm_buf_appends(q, " AND ");
        err = err ? err : append_field(q, "artist", op->lk.artist);
    }
    return err;
}

static void names_of(const json_t *item, struct mm__names *out)
{
    size_t i;
    json_t *credit;
    out->title = mm__json_str(item, "title");
    json_array_foreach(json_object_get(item, "artist-credit"), i, credit)
    {
        const char *credited = mm__json_str(credit, "name");
        const char *name = mm__json_str(json_object_get(credit, "artist"), "name");
        if (credited && out->n < MM__PROVIDER_NAMES_MAX)
            out->artists[out->n++] = credited;
        if (name && (!credited || strcmp(name, credited) != 0) && out->n < MM__PROVIDER_NAMES_MAX)
            out->artists[out->n++] = name;
    }
}

static void to_track(const json_t *item, struct mm_arena *arena, struct mm_track *t)
{
    const json_t *release = json_array_get(json_object_get(item, "releases"), 0);
    const char *id = mm__json_str(item, "id");
    int64_t length = mm__json_int(json_object_get(item, "length"));
    int64_t year = mm__provider_year(mm__json_str(item, "first-release-date"));
    size_t i, n = 0;
    json_t *credit;
    mm__track_init(t);
    t->title = mm__provider_strdup(arena, mm__json_str(item, "title"));
    const json_t *credits = json_object_get(item, "artist-credit");
    t->artists = mm_arena_alloc(arena, (json_array_size(credits) + 1) * sizeof(char *));
    json_array_foreach(credits, i, credit)
    {
        const char *name = mm__json_str(credit, "name");
        if (name)
            t->artists[n++] = mm_arena_strdup(arena, name);
    }
    t->n_artists = n;
    t->album = mm__provider_strdup(arena, mm__json_str(release, "title"));
    t->release_year = year != MM_NULL_INT ? year : mm__provider_year(mm__json_str(release, "date"));
    t->duration_ms = length > 0 ? length : MM_NULL_INT;
    t->isrc = mm__provider_strdup(
        arena, json_string_value(json_array_get(json_object_get(item, "isrcs"), 0)));
    t->ids[MM_SOURCE_MUSICBRAINZ] = mm__provider_strdup(arena, id);
    if (id) {
        size_t len = strlen(PAGE_URL) + strlen(id) + 1;
        t->urls[MM_SOURCE_MUSICBRAINZ] = mm_arena_alloc(arena, len);
        snprintf(t->urls[MM_SOURCE_MUSICBRAINZ], len, PAGE_URL "%s", id);
    }
}

static void search_done(struct mm_http_response *resp, void *ctx);

static mm_err search_submit(struct search *op)
{
    struct mm_buf url, q;
    char limit[16];
    mm_buf_init(&url, MM_HTTP_URL_MAX);
    mm_buf_init(&q, QUERY_MAX);
    snprintf(limit, sizeof(limit), "%d", op->base->limit);
    mm_err err = query_of(op, &q);
    err = err ? err : mm__provider_url(op->base, "/ws/2/recording", &url);
    err = err ? err : mm_http_query_append(&url, "query", q.data);
    err = err ? err : mm_http_query_append(&url, "fmt", "json");
    err = err ? err : mm_http_query_append(&url, "limit", limit);
    struct mm_http_request req = {
        .url = url.data, .rate_key = op->base->rate_key, .classify = mm__provider_classify_json};
    err = err ? err : mm_http_submit(op->base->http, &req, search_done, op);
    op->lk.result.requests += err == MM_OK;
    mm_buf_cleanup(&q);
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
    mm__lookup_consider(&op->lk, json_object_get(doc, "recordings"));
    if (!mm__lookup_confident(&op->lk) && op->step + 1 < query_count(op)) {
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
    mm__lookup_cleanup(lk);
    free(lk);
}

static mm_err musicbrainz_lookup(void *state, const struct mm_mention *m, struct mm_arena *arena,
                                 mm_lookup_done_fn done, void *ctx)
{
    struct mm__provider_base *base = state;
    struct search *op = mm_xcalloc(1, sizeof(*op));
    mm_err err = mm__lookup_init(&op->lk, base, m, arena, done, ctx, names_of, search_release);
    if (err == MM_OK) {
        op->base = base;
        err = search_submit(op);
        if (err)
            mm__lookup_cleanup(&op->lk);
    }
    if (err)
        free(op);
    return err;
}

static mm_err musicbrainz_open(const struct mm_provider_options *opt, struct mm_http_client *http,
                               void **state, char err[MM_ERRLEN])
{
    return mm__provider_base_open(MM_SOURCE_MUSICBRAINZ, opt, http, LIMIT_DEFAULT, LIMIT_MAX, state,
                                  err);
}

const struct mm_provider mm_provider_musicbrainz = {
    .source = MM_SOURCE_MUSICBRAINZ,
    .open = musicbrainz_open,
    .close = mm__provider_base_close,
    .lookup = musicbrainz_lookup,
};
