/*
 * codec.h — msgpack records with a schema version per record type.
 *
 * Every stored value is a msgpack map whose key "v" holds the schema version
 * of its record type. Decoders accept every version they know and return
 * MM_ESCHEMA for newer ones; MM_ECORRUPT for bytes that are not a valid
 * record. Decoded strings live in the caller's arena (mem.h).
 *
 * State records (pipeline state/, written by ingest):
 *
 *   request, v1 — key u64 id (store.h)
 *   | key         | type                | meaning                                    |
 *   |-------------|---------------------|--------------------------------------------|
 *   | v           | int                 | 1                                          |
 *   | id          | uint                | user_requests.id                           |
 *   | user_id     | int or nil          | users.id (nil: anonymous / deleted user)   |
 *   | text        | str                 | text_description, trimmed ("" allowed)     |
 *   | emojis      | array of str        | trimmed, de-duplicated, at most 12         |
 *   | num_songs   | int                 | num_songs_requested                        |
 *   | analysis    | map or nil          | {mood: str|nil, matched_criteria: [str], raw: str} |
 *   | created_at  | int                 | microseconds since the Unix epoch, UTC     |
 *   | src         | str                 | provenance "file:line"                     |
 *
 *   song, v1 — key u64 request id, u64 song id
 *   | key                | type          | meaning                                 |
 *   |--------------------|---------------|-----------------------------------------|
 *   | v                  | int           | 1                                       |
 *   | id, request_id     | uint          | recommended_songs.id / .request_id      |
 *   | user_id            | int or nil    |                                         |
 *   | position           | int           | 1-based                                 |
 *   | track_id           | str or nil    | spotify_track_id (also iTunes ids)      |
 *   | title              | str           | never empty                             |
 *   | artist, album, album_art, preview_url, track_url, release_year,
 *     duration_formatted, why | str or nil | as exported (track_url = spotify_url, why = why_gemini_chose) |
 *   | duration_ms        | int or nil    |                                         |
 *   | matched_criteria   | array of str or nil |                                   |
 *   | created_at         | int           | microseconds since the Unix epoch, UTC  |
 *   | src                | str           | provenance "file:line"                  |
 *
 * Snapshot records (snapshots/<id>/data.mdb, read by the server) are
 * presentation-ready: their keys are the JSON field names of the HTTP API, so
 * the server renders them generically (mm_codec_render_json) without knowing
 * their schema. "v" is never rendered.
 *
 *   snapshot request, v1 — key u64 request id
 *   | key                 | type              | meaning                          |
 *   |---------------------|-------------------|----------------------------------|
 *   | v                   | int               | 1                                |
 *   | request_id          | uint              |                                  |
 *   | user_id             | int or nil        |                                  |
 *   | text_description    | str               |                                  |
 *   | emojis              | array of str      |                                  |
 *   | num_songs_requested | int               |                                  |
 *   | analysis            | map or nil        | {mood, matched_criteria}, or the stored dict |
 *   | created_at          | str               | ISO 8601 UTC, microseconds: 2025-11-20T14:03:12.123456Z |
 *   | songs               | array of map      | by position: {position, track_id, title, artist, album,
 *                                               album_art, preview_url, track_url, release_year,
 *                                               duration_ms, duration_formatted, why, matched_criteria} |
 *
 * Thread safety: pure functions over caller-owned memory.
 */
#ifndef MM_CODEC_H
#define MM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"

#define MM_CODEC_REQUEST_VERSION 1
#define MM_CODEC_SONG_VERSION 1
#define MM_CODEC_SNAPSHOT_REQUEST_VERSION 1
#define MM_NULL_INT INT64_MIN /* an integer field that is NULL */

struct mm_analysis {
    char *mood;                /* NULL when the stored dict has no string "mood" */
    char **matched_criteria;   /* the string items of "matched_criteria" */
    size_t n_matched_criteria;
    char *raw;                 /* the whole stored dict, compact JSON */
};

struct mm_request {
    uint64_t id;
    int64_t user_id;           /* MM_NULL_INT when NULL */
    char *text;
    char **emojis;
    size_t n_emojis;
    int64_t num_songs;
    struct mm_analysis *analysis; /* NULL when NULL */
    int64_t created_at_us;
    char *src;
};

struct mm_song {
    uint64_t id, request_id;
    int64_t user_id;           /* MM_NULL_INT when NULL */
    int64_t position;
    char *track_id, *title, *artist, *album, *album_art, *preview_url, *track_url,
        *release_year, *duration_formatted, *why; /* NULL when NULL (title never) */
    int64_t duration_ms;       /* MM_NULL_INT when NULL */
    char **matched_criteria;   /* NULL with has_matched_criteria false when NULL */
    size_t n_matched_criteria;
    bool has_matched_criteria;
    int64_t created_at_us;
    char *src;
};

/* Appends the encoding to `out` (MM_ETOOBIG when it passes out->max). */
MM_MUST_CHECK mm_err mm_codec_request_encode(const struct mm_request *r, struct mm_buf *out);
MM_MUST_CHECK mm_err mm_codec_song_encode(const struct mm_song *s, struct mm_buf *out);
/* Decodes into *out; strings and arrays live in `arena`. MM_ECORRUPT, MM_ESCHEMA. */
MM_MUST_CHECK mm_err mm_codec_request_decode(const void *data, size_t len, struct mm_arena *arena,
                                             struct mm_request *out);
MM_MUST_CHECK mm_err mm_codec_song_decode(const void *data, size_t len, struct mm_arena *arena,
                                          struct mm_song *out);
/* True when both records hold the same data (src ignored): how re-ingest
 * tells a duplicate from an update. */
bool mm_codec_request_same(const struct mm_request *a, const struct mm_request *b);
bool mm_codec_song_same(const struct mm_song *a, const struct mm_song *b);

/* The snapshot request record for `r` and its songs (sorted by position here). */
MM_MUST_CHECK mm_err mm_codec_snapshot_request_encode(const struct mm_request *r,
                                                      struct mm_song *songs, size_t n_songs,
                                                      struct mm_buf *out);

/* Renders any msgpack value as JSON into `out`, skipping map keys named "v".
 * Strings are escaped per RFC 8259 (invalid UTF-8 replaced by U+FFFD).
 * MM_ECORRUPT on malformed msgpack, MM_ETOOBIG past out->max.
 * Also MM_ECORRUPT: trailing bytes after the value, non-string map keys, bin
 * and ext values (no JSON form), nesting deeper than 64 levels. Floats use the
 * fewest of 15..17 significant digits that read back exactly; NaN/Inf → null.
 * On error `out` is left as it was. */
MM_MUST_CHECK mm_err mm_codec_render_json(const void *data, size_t len, struct mm_buf *out);

/* Formats microseconds since the epoch as 2025-11-20T14:03:12.123456Z into
 * `out` (28 bytes + NUL). */
void mm_codec_format_time(int64_t us, char out[32]);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1–12, day
 * 1–31; H. Hinnant's algorithm): the inverse of the calendar arithmetic of
 * mm_codec_format_time, used by the timestamp parsers. */
int64_t mm_codec_days_from_civil(int64_t y, int64_t m, int64_t d);

#endif
