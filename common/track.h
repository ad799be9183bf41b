/*
 * track.h — the track record: one real recording resolved from a song
 * mention, with its ids per source, audio features and provenance.
 *
 * Canonical key (stable across runs, the key of the `tracks` dbs), the first
 * rule that applies; at most MM_TRACK_KEY_MAX bytes:
 *   "isrc:<ISRC>"        when an ISRC is known (Spotify, MusicBrainz): hyphens
 *                        and spaces removed, upper case, and only when it then
 *                        has the ISO 3901 shape (2 letters, 3 letters or
 *                        digits, 7 digits); a malformed ISRC is ignored,
 *   "spotify:<id>"       else a Spotify id,
 *   "mbid:<uuid>"        else a MusicBrainz recording id that is a UUID,
 *                        lower-cased (others are ignored),
 *   "itunes:<trackId>"   else an iTunes id,
 *   "lastfm:<norm artist>|<norm title>" else (Last.fm only): artists[0] and
 *                        the title through mm_text_normalize, both non-empty.
 * Empty id strings count as absent.
 *
 * State record "track" v1 and snapshot record "track" v1 share one msgpack
 * layout whose keys are the API field names (rendered as-is by the server):
 *   | key              | type               | meaning                                  |
 *   |------------------|--------------------|------------------------------------------|
 *   | v                | int                | 1                                        |
 *   | key              | str                | canonical key (above)                    |
 *   | title            | str                | canonical title from the source          |
 *   | artists          | array of str       | credited artists, primary first          |
 *   | album            | str or nil         |                                          |
 *   | release_year     | int or nil         |                                          |
 *   | duration_ms      | int or nil         |                                          |
 *   | isrc             | str or nil         |                                          |
 *   | ids              | map str→str        | {"spotify","musicbrainz","lastfm","itunes"} present ones |
 *   | urls             | map str→str        | per source page URL                      |
 *   | artwork_url      | str or nil         |                                          |
 *   | preview_url      | str or nil         |                                          |
 *   | popularity       | int or nil         | Spotify 0–100                            |
 *   | listeners        | int or nil         | Last.fm listeners                        |
 *   | tags             | array of str       | Last.fm top tags, lower-case             |
 *   | features         | map or nil         | {source: "spotify"|"lastfm_tags", energy, valence, danceability,
 *                                               acousticness, instrumentalness, speechiness, liveness,
 *                                               tempo, loudness} (floats; absent when unknown) |
 *   | provenance       | map                | {source, score (float: match score 0–100), fetched_at} |
 *
 * `ids` and `urls` hold only the sources with a value; `features` only its
 * source (required) and the known values, as float64. provenance.fetched_at
 * is ISO 8601 UTC with microseconds as mm_codec_format_time writes it
 * ("2025-11-20T14:03:12.123456Z", years 0000–9999), so the server renders the
 * record as it is; the decoder parses it back to fetched_at_us exactly.
 * Encoding: MM_EINVAL for a NULL key, title or array item, an unknown
 * features source, a non-finite float, a score outside 0–100, a source or
 * fetched_at out of range; MM_ETOOBIG past out->max; on error `out` is left
 * as it was. Decoding is strict: "v" first, every key above present once
 * (unknown keys are skipped, at any level), exact types (ints for ints,
 * floats for floats), no NUL inside strings, known sources, the same ranges
 * as the encoder, no trailing bytes — else MM_ECORRUPT; a newer "v" is
 * MM_ESCHEMA.
 *
 * Thread safety: pure functions over caller memory.
 */
#ifndef MM_TRACK_H
#define MM_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/mem.h"

#define MM_TRACK_VERSION 1
#define MM_TRACK_KEY_MAX 512

enum mm_source { MM_SOURCE_SPOTIFY, MM_SOURCE_MUSICBRAINZ, MM_SOURCE_LASTFM, MM_SOURCE_ITUNES,
                 MM_SOURCE__COUNT };

/* "spotify", "musicbrainz", "lastfm", "itunes"; MM_EINVAL for other names. */
const char *mm_source_name(enum mm_source s);
MM_MUST_CHECK mm_err mm_source_parse(const char *name, enum mm_source *out);

#define MM_FEATURE_NAMES                                                                  \
    X(energy) X(valence) X(danceability) X(acousticness) X(instrumentalness) X(speechiness) \
    X(liveness) X(tempo) X(loudness)

struct mm_features {
    bool present;
    const char *source; /* "spotify" or "lastfm_tags" (static strings) */
#define X(name) double name; bool has_##name;
    MM_FEATURE_NAMES
#undef X
};

struct mm_track {
    char *key;
    char *title;
    char **artists;
    size_t n_artists;
    char *album;              /* NULL when unknown, likewise below */
    int64_t release_year;     /* MM_NULL_INT when unknown */
    int64_t duration_ms;      /* MM_NULL_INT when unknown */
    char *isrc;
    char *ids[MM_SOURCE__COUNT];
    char *urls[MM_SOURCE__COUNT];
    char *artwork_url, *preview_url;
    int64_t popularity;       /* MM_NULL_INT when unknown */
    int64_t listeners;        /* MM_NULL_INT when unknown */
    char **tags;
    size_t n_tags;
    struct mm_features features;
    enum mm_source source;    /* provenance */
    double score;             /* match score 0–100 */
    int64_t fetched_at_us;
};

/* Sets t->key from its fields by the rules above (into the arena). MM_EINVAL
 * when no id and no title/artist is present; MM_ETOOBIG past MM_TRACK_KEY_MAX. */
MM_MUST_CHECK mm_err mm_track_make_key(struct mm_track *t, struct mm_arena *arena);
/* Appends the record of `t` (borrowed) to `out`, owned by the caller. */
MM_MUST_CHECK mm_err mm_track_encode(const struct mm_track *t, struct mm_buf *out);
/* Decodes data[0..len) into *out; strings and arrays live in `arena`.
 * MM_ECORRUPT, MM_ESCHEMA. */
MM_MUST_CHECK mm_err mm_track_decode(const void *data, size_t len, struct mm_arena *arena,
                                     struct mm_track *out);

#endif
