/*
 * track.h — the track record: one real recording resolved from a song
 * mention, with its ids per source, audio features and provenance.
 *
 * Canonical key (stable across runs, the key of the `tracks` dbs):
 *   "isrc:<ISRC>"        when an ISRC is known (Spotify, MusicBrainz),
 *   "spotify:<id>"       else a Spotify id,
 *   "mbid:<uuid>"        else a MusicBrainz recording id,
 *   "itunes:<trackId>"   else an iTunes id,
 *   "lastfm:<norm artist>|<norm title>" else (Last.fm only).
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
 *   | provenance       | map                | {source, score (0–100 match score), fetched_at (ISO)} |
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
 * when no id and no title/artist is present. */
MM_MUST_CHECK mm_err mm_track_make_key(struct mm_track *t, struct mm_arena *arena);
MM_MUST_CHECK mm_err mm_track_encode(const struct mm_track *t, struct mm_buf *out);
/* Strings live in `arena`. MM_ECORRUPT, MM_ESCHEMA. */
MM_MUST_CHECK mm_err mm_track_decode(const void *data, size_t len, struct mm_arena *arena,
                                     struct mm_track *out);

#endif
