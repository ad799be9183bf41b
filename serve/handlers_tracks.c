#include "serve/handlers_tracks.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"
#include "common/log.h"
#include "common/match.h"
#include "common/text.h"
#include "serve/mood_row.h"
#include "serve/snap_holder.h"

#define KEY_MAX 511 /* bytes of the longest LMDB key: longer names cannot be stored */
#define ECHO_MAX 64 /* bytes of a parameter value quoted in an error */
#define PARAMS_MAX (MM_HTTP_MAX_REQUEST_LINE + 2) /* decoded query values, NULs included */
#define RANK_BYTES 5                              /* NUL + u32 big-endian rank after a mood name */

/* ---------------------------------------------------------------- helpers */

/* Length of s[0..len) cut to ECHO_MAX bytes, not inside a UTF-8 sequence. */
static int echo_len(const char *s, size_t len)
{
    if (len <= ECHO_MAX)
        return (int)len;
    size_t n = ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

static const char *echo_more(size_t len)
{
    return len > ECHO_MAX ? "..." : "";
}

static mm_err no_snapshot(struct mm_handler_ctx *ctx)
{
    snprintf(ctx->error, MM_ERRLEN, "no snapshot is loaded");
    return MM_ENOSNAPSHOT;
}

/* Logs an unexpected failure reading the snapshot, whose message is in ctx->error. */
static void log_read_error(const struct mm_handler_ctx *ctx)
{
    const char *id = ctx->snap->snap->id;
    mm_log_fields(MM_LOG_ERROR, json_pack("{s:s?, s:s}", "snapshot", id, "error", ctx->error),
                  "snapshot %s: %s", id ? id : "(none)", ctx->error);
}

/* Begins the read on the worker's snapshot; errors are answered as they are. */
static mm_err begin_read(struct mm_handler_ctx *ctx, struct mm_txn **txn)
{
    mm_err e = mm_snap_view_begin(ctx->snap, txn);
    if (e == MM_ENOSNAPSHOT)
        return no_snapshot(ctx);
    if (e) {
        snprintf(ctx->error, MM_ERRLEN, "cannot begin a read: %s", mm_strerror(e));
        log_read_error(ctx);
    }
    return e;
}

/*
 * Copies the decoded value of query parameter `name` to text[*used..] with
 * its NUL and points *out at it (NULL when absent). ctx->body is the scratch
 * of the decoding and is left empty.
 */
static mm_err query_text(struct mm_handler_ctx *ctx, const char *name, char *text, size_t *used,
                         const char **out)
{
    struct mm_buf *b = ctx->body;
    mm_buf_reset(b);
    mm_err e = mm_http_query_param(ctx->req->query, name, b);
    *out = NULL;
    if (e == MM_ENOTFOUND)
        return MM_OK;
    if (e == MM_EPARSE) {
        snprintf(ctx->error, MM_ERRLEN, "query parameter %s: bad percent-encoding", name);
        return MM_EINVAL;
    }
    if (!e && b->len + 1 > PARAMS_MAX - *used)
        e = MM_ETOOBIG;
    if (e) {
        snprintf(ctx->error, MM_ERRLEN, "query parameter %s: %s", name, mm_strerror(e));
        return e;
    }
    memcpy(text + *used, b->data, b->len + 1);
    *out = text + *used;
    *used += b->len + 1;
    mm_buf_reset(b);
    return MM_OK;
}

/* Appends the track stored under key[0..klen) as JSON; MM_ENOTFOUND when absent. */
static mm_err render_track(struct mm_txn *txn, unsigned db_tracks, const void *key, size_t klen,
                           struct mm_buf *out)
{
    const void *val;
    size_t vlen;
    if (klen == 0 || klen > KEY_MAX)
        return MM_ENOTFOUND;
    mm_err e = mm_store_get(txn, db_tracks, key, klen, &val, &vlen);
    return e ? e : mm_codec_render_json(val, vlen, out);
}

/* ---------------------------------------------------------- mention lookup */

/* The mention key of artist × title into key[0..KEY_MAX], via `scratch`.
 * MM_ENOTFOUND when it is longer than any stored key can be. */
static mm_err mention_key(const char *artist, const char *title, struct mm_buf *scratch,
                          char key[KEY_MAX + 1], size_t *klen)
{
    mm_buf_reset(scratch);
    mm_err e = mm_match_artist_key(artist ? artist : "", scratch);
    if (!e)
        e = mm_buf_appendc(scratch, '\x1f');
    if (!e)
        e = mm_match_title_key(title, scratch);
    if (e == MM_ETOOBIG || (!e && scratch->len > KEY_MAX))
        e = MM_ENOTFOUND;
    if (!e) {
        *klen = scratch->len;
        memcpy(key, scratch->data, *klen);
    }
    mm_buf_reset(scratch);
    return e;
}

static void lookup_not_found(const char *artist, const char *title, char err[MM_ERRLEN])
{
    size_t tl = strlen(title), al = artist ? strlen(artist) : 0;
    if (al)
        snprintf(err, MM_ERRLEN, "no track for artist \"%.*s%s\" and title \"%.*s%s\"",
                 echo_len(artist, al), artist, echo_more(al), echo_len(title, tl), title,
                 echo_more(tl));
    else
        snprintf(err, MM_ERRLEN, "no track for title \"%.*s%s\" without an artist",
                 echo_len(title, tl), title, echo_more(tl));
}

mm_err mm_handlers_tracks_lookup(struct mm_txn *txn, unsigned db_track_names, unsigned db_tracks,
                                 const char *artist, const char *title, struct mm_buf *out,
                                 char err[MM_ERRLEN])
{
    char key[KEY_MAX + 1];
    size_t klen = 0, tlen;
    const void *track_key;
    mm_err e = mention_key(artist, title, out, key, &klen);
    if (!e)
        e = mm_store_get(txn, db_track_names, key, klen, &track_key, &tlen);
    if (e == MM_ENOTFOUND) {
        lookup_not_found(artist, title, err);
        return e;
    }
    if (!e)
        e = mm_buf_appends(out, "{\"success\":true,\"track\":");
    if (!e)
        e = render_track(txn, db_tracks, track_key, tlen, out);
    if (!e)
        e = mm_buf_appends(out, ",\"match\":{\"key\":");
    if (!e)
        e = mm_http_json_string(out, key, klen);
    if (!e)
        e = mm_buf_appends(out, "}}");
    if (e == MM_ENOTFOUND)
        e = MM_ECORRUPT; /* the name exists, its track does not */
    if (e)
        snprintf(err, MM_ERRLEN, "track_names \"%.*s\": %s", (int)klen, key, mm_strerror(e));
    return e;
}

static mm_err track_lookup(struct mm_handler_ctx *ctx)
{
    char text[PARAMS_MAX];
    size_t used = 0;
    const char *artist, *title;
    struct mm_txn *txn;
    mm_err e = query_text(ctx, "title", text, &used, &title);
    if (!e)
        e = query_text(ctx, "artist", text, &used, &artist);
    if (e)
        return e;
    if (!title || !*title) {
        snprintf(ctx->error, MM_ERRLEN, "query parameter title: required");
        return MM_EINVAL;
    }
    if ((e = begin_read(ctx, &txn)) != MM_OK)
        return e;
    const struct mm_snap *s = ctx->snap->snap;
    e = mm_handlers_tracks_lookup(txn, s->db_track_names, s->db_tracks, artist, title, ctx->body,
                                  ctx->error);
    if (e && e != MM_ENOTFOUND)
        log_read_error(ctx);
    mm_snap_view_end(ctx->snap);
    return e;
}

/* -------------------------------------------------------------- one track */

static mm_err track_get(struct mm_handler_ctx *ctx)
{
    const struct mm_http_str *key = mm_route_param(ctx->match, "key");
    struct mm_txn *txn;
    if (!key || key->len == 0) {
        snprintf(ctx->error, MM_ERRLEN, "path parameter key: required");
        return MM_EINVAL;
    }
    mm_err e = begin_read(ctx, &txn);
    if (e)
        return e;
    e = mm_buf_appends(ctx->body, "{\"success\":true,\"track\":");
    if (!e)
        e = render_track(txn, ctx->snap->snap->db_tracks, key->p, key->len, ctx->body);
    if (!e)
        e = mm_buf_appendc(ctx->body, '}');
    if (e == MM_ENOTFOUND) {
        snprintf(ctx->error, MM_ERRLEN, "track \"%.*s%s\" not found", echo_len(key->p, key->len),
                 key->p, echo_more(key->len));
    } else if (e) {
        snprintf(ctx->error, MM_ERRLEN, "track \"%.*s%s\": %s", echo_len(key->p, key->len), key->p,
                 echo_more(key->len), mm_strerror(e));
        log_read_error(ctx);
    }
    mm_snap_view_end(ctx->snap);
    return e;
}

/* ------------------------------------------------------------ mood ranking */

#define LIMIT_DEFAULT 20
#define LIMIT_MAX 100
#define MOOD_PREFIX "mood:"    /* meta keys of the mood vocabulary (publish_tracks.h) */
#define MOOD_MAX (KEY_MAX - 5) /* bytes of a mood name: NUL and u32 rank follow it */

/* The app's popularity bands with their effective bounds
 * (docs/http-api.md: the label's range widened by its tolerance, clamped to 0–100).
 * A label is accepted in any case as `first`, `second` or both; `first` and
 * `second` are normalised text (common/text.h). */
static const struct band {
    const char *label, *first, *second;
    int min, max; /* min < 0: no bounds (Any) */
} bands[] = {
    {"Any", "any", NULL, -1, -1},
    {"Global / Superstar", "global", "superstar", 85, 100},
    {"Hot / Established", "hot", "established", 70, 94},
    {"Buzzing / Moderate", "buzzing", "moderate", 45, 79},
    {"Growing", "growing", NULL, 10, 64},
    {"Rising", "rising", NULL, 0, 41},
    {"Under the Radar", "under the radar", NULL, 0, 34},
};

static bool band_named(const struct band *b, const char *s, size_t n)
{
    size_t f = strlen(b->first), l = b->second ? strlen(b->second) : 0;
    if (n == f && memcmp(s, b->first, f) == 0)
        return true;
    if (!b->second)
        return false;
    return (n == l && memcmp(s, b->second, l) == 0) ||
           (n == f + 1 + l && memcmp(s, b->first, f) == 0 && s[f] == ' ' &&
            memcmp(s + f + 1, b->second, l) == 0);
}

struct mood_query {
    const struct mm_http_str *raw; /* the path parameter, decoded */
    char key[KEY_MAX];             /* MOOD_PREFIX + the normalised parameter */
    size_t key_len;                /* 0: too long to be a mood */
    long limit;
    const struct band *band;
};

static mm_err parse_limit(struct mm_handler_ctx *ctx, const char *s, long *out)
{
    long n = 0;
    bool ok = *s != '\0';
    for (const char *p = s; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
        n = n * 10 + (*p - '0');
        ok = ok && n <= LIMIT_MAX;
    }
    if (ok && n >= 1) {
        *out = n;
        return MM_OK;
    }
    size_t len = strlen(s);
    snprintf(ctx->error, MM_ERRLEN,
             "query parameter limit: expected an integer in 1..%d, got \"%.*s%s\"", LIMIT_MAX,
             echo_len(s, len), s, echo_more(len));
    return MM_EINVAL;
}

/* Finds the band named by `s` after normalisation (ctx->body is scratch). */
static mm_err parse_band(struct mm_handler_ctx *ctx, const char *s, const struct band **out)
{
    size_t len = strlen(s);
    mm_buf_reset(ctx->body);
    mm_err e = mm_text_normalize(s, len, ctx->body);
    for (size_t i = 0; !e && i < sizeof(bands) / sizeof(bands[0]); i++) {
        if (band_named(&bands[i], ctx->body->data, ctx->body->len)) {
            *out = bands[i].min < 0 ? NULL : &bands[i];
            mm_buf_reset(ctx->body);
            return MM_OK;
        }
    }
    mm_buf_reset(ctx->body);
    snprintf(ctx->error, MM_ERRLEN,
             "query parameter popularity: expected one of Any, Global / Superstar, "
             "Hot / Established, Buzzing / Moderate, Growing, Rising, Under the Radar "
             "(either part of a two-part label will do), got \"%.*s%s\"",
             echo_len(s, len), s, echo_more(len));
    return MM_EINVAL;
}

/* Reads the path and query parameters of the mood endpoint into q. */
static mm_err parse_mood_query(struct mm_handler_ctx *ctx, struct mood_query *q)
{
    char text[PARAMS_MAX];
    size_t used = 0;
    const char *limit, *popularity;
    const struct mm_http_str *mood = mm_route_param(ctx->match, "mood");
    q->raw = mood;
    q->limit = LIMIT_DEFAULT;
    q->band = NULL;
    if (!mood || mood->len == 0) {
        snprintf(ctx->error, MM_ERRLEN, "path parameter mood: required");
        return MM_EINVAL;
    }
    mm_err e = query_text(ctx, "limit", text, &used, &limit);
    if (!e)
        e = query_text(ctx, "popularity", text, &used, &popularity);
    if (!e && limit)
        e = parse_limit(ctx, limit, &q->limit);
    if (!e && popularity)
        e = parse_band(ctx, popularity, &q->band);
    if (e)
        return e;
    mm_buf_reset(ctx->body);
    e = mm_buf_appends(ctx->body, MOOD_PREFIX);
    if (!e)
        e = mm_text_normalize(mood->p, mood->len, ctx->body);
    q->key_len = !e && ctx->body->len <= KEY_MAX ? ctx->body->len : 0;
    if (q->key_len)
        memcpy(q->key, ctx->body->data, q->key_len);
    mm_buf_reset(ctx->body);
    return MM_OK;
}

/* The mood named by q->key in the vocabulary, into name[0..*nlen).
 * MM_ENOTFOUND with ctx->error set when there is none. */
static mm_err mood_resolve(struct mm_handler_ctx *ctx, struct mm_txn *txn,
                           const struct mood_query *q, char name[KEY_MAX], size_t *nlen)
{
    const void *v;
    size_t vl;
    const char *s;
    mm_err e = q->key_len ? mm_store_get(txn, ctx->snap->snap->db_meta, q->key, q->key_len, &v, &vl)
                          : MM_ENOTFOUND;
    if (e == MM_ENOTFOUND) {
        snprintf(ctx->error, MM_ERRLEN, "unknown mood \"%.*s%s\"", echo_len(q->raw->p, q->raw->len),
                 q->raw->p, echo_more(q->raw->len));
        return e;
    }
    if (!e)
        e = mm_mood_row_name_read(v, vl, &s, nlen);
    if (!e && (*nlen == 0 || *nlen > MOOD_MAX))
        e = MM_ECORRUPT;
    if (e) {
        snprintf(ctx->error, MM_ERRLEN, "meta \"%.*s\": %s", (int)q->key_len, q->key,
                 mm_strerror(e));
        return e;
    }
    memcpy(name, s, *nlen);
    return MM_OK;
}

static mm_err render_mood_head(struct mm_buf *b, const char *name, size_t nlen,
                               const struct band *band)
{
    mm_err e = mm_buf_appends(b, "{\"success\":true,\"mood\":");
    if (!e)
        e = mm_http_json_string(b, name, nlen);
    if (!e && band)
        e = mm_buf_printf(b, ",\"popularity\":{\"label\":\"%s\",\"min\":%d,\"max\":%d}",
                          band->label, band->min, band->max);
    else if (!e)
        e = mm_buf_appends(b, ",\"popularity\":null");
    return e ? e : mm_buf_appends(b, ",\"tracks\":[");
}

/* Appends ranking entry `rank` (value v[0..vl)) when it passes the band, counting
 * it in *n. Stored ranks start at 0; the API's start at 1. */
static mm_err render_entry(struct mm_handler_ctx *ctx, struct mm_txn *txn, const void *v, size_t vl,
                           uint32_t rank, const struct band *band, long *n)
{
    struct mm_mood_row_view row;
    struct mm_buf *b = ctx->body;
    mm_err e = mm_mood_row_read(v, vl, &row);
    if (e)
        return e;
    if (band && (!row.has_popularity || row.popularity < band->min || row.popularity > band->max))
        return MM_OK;
    e = mm_buf_printf(b, "%s{\"rank\":%" PRIu64 ",\"fit\":", *n ? "," : "", (uint64_t)rank + 1);
    if (!e)
        e = mm_codec_render_json(row.fit, row.fit_len, b);
    if (!e)
        e = mm_buf_appends(b, ",\"track\":");
    if (!e)
        e = render_track(txn, ctx->snap->snap->db_tracks, row.track, row.track_len, b);
    if (e == MM_ENOTFOUND)
        e = MM_ECORRUPT; /* the ranking names a track the snapshot does not have */
    if (!e)
        e = mm_buf_appendc(b, '}');
    *n += !e;
    return e;
}

static mm_err mood_render(struct mm_handler_ctx *ctx, struct mm_txn *txn,
                          const struct mood_query *q)
{
    char key[KEY_MAX];
    size_t nlen;
    const void *v;
    size_t vl;
    long n = 0;
    uint32_t rank = 0;
    mm_err e = mood_resolve(ctx, txn, q, key, &nlen);
    if (e)
        return e;
    key[nlen] = '\0';
    unsigned char *r = (unsigned char *)key + nlen + 1;
    e = render_mood_head(ctx->body, key, nlen, q->band);
    while (!e && n < q->limit) {
        r[0] = (unsigned char)(rank >> 24), r[1] = (unsigned char)(rank >> 16);
        r[2] = (unsigned char)(rank >> 8), r[3] = (unsigned char)rank;
        e = mm_store_get(txn, ctx->snap->snap->db_mood_tracks, key, nlen + RANK_BYTES, &v, &vl);
        if (e == MM_ENOTFOUND) {
            e = MM_OK;
            break;
        }
        if (!e)
            e = render_entry(ctx, txn, v, vl, rank, q->band, &n);
        if (!e && rank++ == UINT32_MAX)
            break;
    }
    if (!e)
        return mm_buf_appends(ctx->body, "]}");
    if (e != MM_ETOOBIG)
        snprintf(ctx->error, MM_ERRLEN, "mood \"%.*s\" rank %" PRIu64 ": %s", (int)nlen, key,
                 (uint64_t)rank + 1, mm_strerror(e));
    return e;
}

static mm_err mood_tracks(struct mm_handler_ctx *ctx)
{
    struct mood_query q;
    struct mm_txn *txn;
    mm_err e = parse_mood_query(ctx, &q);
    if (!e)
        e = begin_read(ctx, &txn);
    if (e)
        return e;
    e = mood_render(ctx, txn, &q);
    if (e && e != MM_ENOTFOUND && e != MM_ETOOBIG)
        log_read_error(ctx);
    mm_snap_view_end(ctx->snap);
    return e;
}

/* ---------------------------------------------------------------- handlers */

const struct mm_handler mm_handlers_track_lookup = {"track_lookup", track_lookup};
const struct mm_handler mm_handlers_track_get = {"track", track_get};
const struct mm_handler mm_handlers_mood_tracks = {"mood_tracks", mood_tracks};
