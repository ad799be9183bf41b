/*
 * ingest_fields.c — validation and normalisation of one user_requests or
 * recommended_songs record, from raw values (CSV text or JSONL members) to
 * struct mm_request / mm_song. Every rule, reject or normalisation, is listed
 * in docs/ingest.md; the reasons written here are what rejects.csv shows.
 *
 * JSON columns (emojis, gemini_analysis, matched_criteria) are parsed in
 * ingest_json.c.
 */
#include "pipeline/ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"
#include "common/config.h"
#include "common/text.h"

/* Bytes of an offending value quoted in a reason. */
#define SHOWN 40

const struct mm__ingest_column mm__ingest_request_cols[MM__RQ_N] = {
    [MM__RQ_ID] = {"id", true},
    [MM__RQ_USER_ID] = {"user_id", false},
    [MM__RQ_TEXT] = {"text_description", true},
    [MM__RQ_EMOJIS] = {"emojis", true},
    [MM__RQ_NUM_SONGS] = {"num_songs_requested", false},
    [MM__RQ_ANALYSIS] = {"gemini_analysis", false},
    [MM__RQ_CREATED_AT] = {"created_at", true},
};

const struct mm__ingest_column mm__ingest_song_cols[MM__SG_N] = {
    [MM__SG_ID] = {"id", true},
    [MM__SG_REQUEST_ID] = {"request_id", true},
    [MM__SG_USER_ID] = {"user_id", false},
    [MM__SG_POSITION] = {"position", true},
    [MM__SG_TRACK_ID] = {"spotify_track_id", false},
    [MM__SG_TITLE] = {"title", true},
    [MM__SG_ARTIST] = {"artist", false},
    [MM__SG_ALBUM] = {"album", false},
    [MM__SG_ALBUM_ART] = {"album_art", false},
    [MM__SG_PREVIEW_URL] = {"preview_url", false},
    [MM__SG_TRACK_URL] = {"spotify_url", false},
    [MM__SG_RELEASE_YEAR] = {"release_year", false},
    [MM__SG_DURATION_MS] = {"duration_ms", false},
    [MM__SG_DURATION_FORMATTED] = {"duration_formatted", false},
    [MM__SG_WHY] = {"why_gemini_chose", false},
    [MM__SG_MATCHED_CRITERIA] = {"matched_criteria", false},
    [MM__SG_CREATED_AT] = {"created_at", true},
};

void mm__ingest_limits_init(struct mm__ingest_limits *lim, const struct mm_config *cfg)
{
    lim->max_query_chars = (size_t)cfg->ingest.max_query_chars;
    lim->max_emojis = (size_t)cfg->ingest.max_emojis;
    lim->min_songs_requested = cfg->ingest.min_songs_requested;
    lim->max_songs_requested = cfg->ingest.max_songs_requested;
    lim->max_position = cfg->ingest.max_songs_per_request;
}

/* --- reasons --- */

mm_err mm__ingest_fail(struct mm__ingest_problem *why, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
    va_end(ap);
    why->col = col;
    return MM_EPARSE;
}

/* Up to SHOWN bytes of a value for a reason: cut on a character boundary,
 * control characters shown as '?', "..." when cut. */
static const char *shown(const struct mm__ingest_value *v, char out[SHOWN + 4])
{
    size_t n = v->len < SHOWN ? v->len : SHOWN;
    while (n < v->len && n > 0 && ((unsigned char)v->text[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)v->text[i] < 0x20 ? '?' : v->text[i];
    memcpy(out + n, n < v->len ? "..." : "", n < v->len ? 4 : 1);
    return out;
}

/* --- scalars --- */

mm_err mm__ingest_parse_id(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 19)
        return MM_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MM_EPARSE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return MM_EPARSE;
    *out = v;
    return MM_OK;
}

/* A decimal integer with an optional '-', within int64 (MM_NULL_INT excluded). */
static bool parse_int(const char *s, size_t len, int64_t *out)
{
    bool neg = len > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (len == i || len - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* The value as text: NULL stays NULL (*s = NULL); a JSON array or object is
 * rejected. The bytes must be valid UTF-8 without NUL. */
static mm_err text_of(const struct mm__ingest_value *v, int col, const char *name, const char **s,
                      struct mm__ingest_problem *why)
{
    *s = NULL;
    if (v->kind == MM__INGEST_NULL)
        return MM_OK;
    if (v->kind == MM__INGEST_JSON)
        return mm__ingest_fail(why, col, "%s: expected text, got %s", name,
                               mm__ingest_json_kind(v->json));
    if (memchr(v->text, '\0', v->len))
        return mm__ingest_fail(why, col, "%s: contains a NUL byte", name);
    if (!mm_text_utf8_valid(v->text, v->len))
        return mm__ingest_fail(why, col, "%s: invalid UTF-8", name);
    *s = v->text;
    return MM_OK;
}

/* A NUL-terminated copy of s[0..len) unless it already ends there. */
static char *term(struct mm_arena *a, const char *s, size_t len, size_t full_len)
{
    return len == full_len ? (char *)s : mm_arena_strndup(a, s, len);
}

static mm_err req_id(const struct mm__ingest_value *v, int col, const char *name, uint64_t dflt,
                     uint64_t *out, struct mm__ingest_problem *why)
{
    char buf[SHOWN + 4];
    if (v->kind == MM__INGEST_NULL) {
        *out = dflt;
        return dflt ? MM_OK : mm__ingest_fail(why, col, "%s is NULL", name);
    }
    if (v->kind == MM__INGEST_JSON)
        return mm__ingest_fail(why, col, "%s: expected a positive integer, got %s", name,
                               mm__ingest_json_kind(v->json));
    if (mm__ingest_parse_id(v->text, v->len, out) != MM_OK)
        return mm__ingest_fail(why, col, "%s \"%s\" is not a positive integer", name,
                               shown(v, buf));
    return MM_OK;
}

/* An optional integer: NULL (or an empty user_id) gives MM_NULL_INT. */
static mm_err opt_int(const struct mm__ingest_value *v, int col, const char *name, int64_t *out,
                      struct mm__ingest_problem *why)
{
    char buf[SHOWN + 4];
    *out = MM_NULL_INT;
    if (v->kind == MM__INGEST_NULL || (v->kind == MM__INGEST_TEXT && v->len == 0))
        return MM_OK;
    if (v->kind == MM__INGEST_JSON)
        return mm__ingest_fail(why, col, "%s: expected an integer, got %s", name,
                               mm__ingest_json_kind(v->json));
    if (!parse_int(v->text, v->len, out))
        return mm__ingest_fail(why, col, "%s \"%s\" is not an integer", name, shown(v, buf));
    return MM_OK;
}

static mm_err timestamp(const struct mm__ingest_value *v, int col, int64_t *out,
                        struct mm__ingest_problem *why)
{
    char buf[SHOWN + 4];
    if (v->kind == MM__INGEST_NULL)
        return mm__ingest_fail(why, col, "created_at is NULL");
    if (v->kind == MM__INGEST_JSON)
        return mm__ingest_fail(why, col, "created_at: expected a timestamp, got %s",
                               mm__ingest_json_kind(v->json));
    if (mm__ingest_parse_time(v->text, v->len, out) != MM_OK)
        return mm__ingest_fail(
            why, col, "created_at \"%s\" is not a valid timestamp with time zone", shown(v, buf));
    return MM_OK;
}

static bool normalise_emojis(char **items, size_t *n, size_t max, struct mm_arena *a)
{
    size_t kept = 0;
    bool changed = false;
    for (size_t i = 0; i < *n; i++) {
        size_t len = strlen(items[i]);
        const char *t = mm_text_trim(items[i], &len);
        bool dup = len == 0;
        for (size_t k = 0; k < kept && !dup; k++)
            dup = strlen(items[k]) == len && memcmp(items[k], t, len) == 0;
        changed = changed || dup || len != strlen(items[i]) || kept == max;
        if (dup || kept == max)
            continue;
        items[kept++] = term(a, t, len, strlen(t));
    }
    *n = kept;
    return changed;
}

/* --- records --- */

static mm_err request_text(const struct mm__ingest_value *v, const struct mm__ingest_limits *lim,
                           struct mm_arena *a, char **out, bool *normalised,
                           struct mm__ingest_problem *why)
{
    const char *s;
    mm_err err = text_of(v, MM__RQ_TEXT, "text_description", &s, why);
    if (err)
        return err;
    if (!s) {
        *out = "";
        return MM_OK;
    }
    size_t len = v->len;
    const char *t = mm_text_trim(s, &len);
    size_t chars = mm_text_utf8_length(t, len);
    if (chars > lim->max_query_chars)
        return mm__ingest_fail(why, MM__RQ_TEXT,
                               "text_description is %zu characters after trimming, more than "
                               "ingest.max_query_chars (%zu)",
                               chars, lim->max_query_chars);
    *normalised = *normalised || len != v->len;
    *out = term(a, t, len, strlen(t));
    return MM_OK;
}

static mm_err num_songs(const struct mm__ingest_value *v, const struct mm__ingest_limits *lim,
                        int64_t *out, bool *normalised, struct mm__ingest_problem *why)
{
    mm_err err = opt_int(v, MM__RQ_NUM_SONGS, "num_songs_requested", out, why);
    if (err)
        return err;
    if (*out == MM_NULL_INT) {
        *out = 10;
        *normalised = true;
    } else if (*out < lim->min_songs_requested || *out > lim->max_songs_requested) {
        return mm__ingest_fail(why, MM__RQ_NUM_SONGS,
                               "num_songs_requested %lld outside ingest.min_songs_requested.."
                               "max_songs_requested (%lld..%lld)",
                               (long long)*out, (long long)lim->min_songs_requested,
                               (long long)lim->max_songs_requested);
    }
    return MM_OK;
}

mm_err mm__ingest_request_parse(const struct mm__ingest_value v[MM__RQ_N],
                                const struct mm__ingest_limits *lim, struct mm_arena *arena,
                                struct mm_request *out, bool *normalised,
                                struct mm__ingest_problem *why)
{
    bool has_emojis;
    memset(out, 0, sizeof(*out));
    *normalised = false;
    mm_err err = req_id(&v[MM__RQ_ID], MM__RQ_ID, "id", 0, &out->id, why);
    if (!err)
        err = opt_int(&v[MM__RQ_USER_ID], MM__RQ_USER_ID, "user_id", &out->user_id, why);
    if (!err)
        err = request_text(&v[MM__RQ_TEXT], lim, arena, &out->text, normalised, why);
    if (!err)
        err = mm__ingest_json_strings(&v[MM__RQ_EMOJIS], MM__RQ_EMOJIS, "emojis", arena,
                                      &out->emojis, &out->n_emojis, &has_emojis, why);
    if (!err && normalise_emojis(out->emojis, &out->n_emojis, lim->max_emojis, arena))
        *normalised = true;
    if (!err && out->text[0] == '\0' && out->n_emojis == 0)
        err = mm__ingest_fail(why, MM__RQ_TEXT,
                              "neither text_description nor emojis: the app requires one of them");
    if (!err)
        err = num_songs(&v[MM__RQ_NUM_SONGS], lim, &out->num_songs, normalised, why);
    if (!err)
        err = mm__ingest_json_analysis(&v[MM__RQ_ANALYSIS], arena, &out->analysis, why);
    if (!err)
        err = timestamp(&v[MM__RQ_CREATED_AT], MM__RQ_CREATED_AT, &out->created_at_us, why);
    return err;
}

/* The optional text columns of a song, in struct order with their columns. */
static char **song_text(struct mm_song *s, int col)
{
    switch (col) {
    case MM__SG_TRACK_ID: return &s->track_id;
    case MM__SG_ARTIST: return &s->artist;
    case MM__SG_ALBUM: return &s->album;
    case MM__SG_ALBUM_ART: return &s->album_art;
    case MM__SG_PREVIEW_URL: return &s->preview_url;
    case MM__SG_TRACK_URL: return &s->track_url;
    case MM__SG_RELEASE_YEAR: return &s->release_year;
    case MM__SG_DURATION_FORMATTED: return &s->duration_formatted;
    case MM__SG_WHY: return &s->why;
    default: return NULL;
    }
}

static mm_err song_title(const struct mm__ingest_value *v, struct mm_arena *a, char **out,
                         bool *normalised, struct mm__ingest_problem *why)
{
    const char *s;
    mm_err err = text_of(v, MM__SG_TITLE, "title", &s, why);
    if (err)
        return err;
    size_t len = s ? v->len : 0;
    const char *t = s ? mm_text_trim(s, &len) : NULL;
    if (len == 0)
        return mm__ingest_fail(why, MM__SG_TITLE, "title is %s", s ? "empty" : "NULL");
    *normalised = *normalised || len != v->len;
    *out = term(a, t, len, strlen(t));
    return MM_OK;
}

static mm_err song_numbers(const struct mm__ingest_value v[MM__SG_N],
                           const struct mm__ingest_limits *lim, struct mm_song *out,
                           struct mm__ingest_problem *why)
{
    mm_err err = opt_int(&v[MM__SG_USER_ID], MM__SG_USER_ID, "user_id", &out->user_id, why);
    if (!err && v[MM__SG_POSITION].kind == MM__INGEST_NULL)
        err = mm__ingest_fail(why, MM__SG_POSITION, "position is NULL");
    if (!err)
        err = opt_int(&v[MM__SG_POSITION], MM__SG_POSITION, "position", &out->position, why);
    if (!err && out->position == MM_NULL_INT)
        err = mm__ingest_fail(why, MM__SG_POSITION, "position is empty");
    if (!err && (out->position < 1 || out->position > lim->max_position))
        err = mm__ingest_fail(why, MM__SG_POSITION,
                              "position %lld outside 1..ingest.max_songs_per_request (%lld)",
                              (long long)out->position, (long long)lim->max_position);
    if (!err)
        err = opt_int(&v[MM__SG_DURATION_MS], MM__SG_DURATION_MS, "duration_ms", &out->duration_ms,
                      why);
    if (!err && out->duration_ms != MM_NULL_INT && out->duration_ms < 0)
        err = mm__ingest_fail(why, MM__SG_DURATION_MS, "duration_ms %lld is negative",
                              (long long)out->duration_ms);
    return err;
}

mm_err mm__ingest_song_parse(const struct mm__ingest_value v[MM__SG_N], uint64_t default_request_id,
                             const struct mm__ingest_limits *lim, struct mm_arena *arena,
                             struct mm_song *out, bool *normalised, struct mm__ingest_problem *why)
{
    memset(out, 0, sizeof(*out));
    *normalised = false;
    mm_err err = req_id(&v[MM__SG_ID], MM__SG_ID, "id", 0, &out->id, why);
    if (!err)
        err = req_id(&v[MM__SG_REQUEST_ID], MM__SG_REQUEST_ID, "request_id", default_request_id,
                     &out->request_id, why);
    if (!err)
        err = song_numbers(v, lim, out, why);
    if (!err)
        err = song_title(&v[MM__SG_TITLE], arena, &out->title, normalised, why);
    for (int col = 0; col < MM__SG_N && !err; col++) {
        char **dst = song_text(out, col);
        const char *s;
        if (!dst)
            continue;
        err = text_of(&v[col], col, mm__ingest_song_cols[col].name, &s, why);
        *dst = s ? (char *)s : NULL;
    }
    if (!err)
        err = mm__ingest_json_strings(&v[MM__SG_MATCHED_CRITERIA], MM__SG_MATCHED_CRITERIA,
                                      "matched_criteria", arena, &out->matched_criteria,
                                      &out->n_matched_criteria, &out->has_matched_criteria, why);
    if (!err)
        err = timestamp(&v[MM__SG_CREATED_AT], MM__SG_CREATED_AT, &out->created_at_us, why);
    return err;
}

/* --- timestamps --- */

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The zone suffix: Z, or ±HH[[:]MM[[:]SS]] up to 15:59:59 (PostgreSQL's range). */
static bool zone(const char *p, const char *end, int *offset_s)
{
    if (end - p == 1 && (*p == 'Z' || *p == 'z')) {
        *offset_s = 0;
        return true;
    }
    if (end - p < 3 || (*p != '+' && *p != '-'))
        return false;
    int sign = *p++ == '-' ? -1 : 1, part[3] = {0, 0, 0};
    for (int i = 0; i < 3 && p < end; i++) {
        if (i > 0 && *p == ':')
            p++;
        if (end - p < 2 || !digits(p, 2, &part[i]))
            return false;
        p += 2;
    }
    if (p != end || part[0] > 15 || part[1] > 59 || part[2] > 59)
        return false;
    *offset_s = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return true;
}

mm_err mm__ingest_parse_time(const char *s, size_t len, int64_t *us)
{
    const char *p = s, *end = s + len;
    int y, mo, d, h, mi, sec, frac = 0, ndigits = 0, off;
    if (len < 20 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &d) || (p[10] != ' ' && p[10] != 'T') || !digits(p + 11, 2, &h) ||
        p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' || !digits(p + 17, 2, &sec))
        return MM_EPARSE;
    p += 19;
    if (*p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9' && ndigits < 7; p++, ndigits++)
            frac = frac * 10 + (*p - '0');
        if (ndigits == 0 || ndigits > 6)
            return MM_EPARSE;
        for (; ndigits < 6; ndigits++)
            frac *= 10;
    }
    if (!zone(p, end, &off) || y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || sec > 59)
        return MM_EPARSE;
    int64_t secs = mm_codec_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *us = secs * 1000000 + frac;
    return MM_OK;
}
