/*
 * score.h — the score stage's records: cached audio features, mood
 * rankings and the per-request ranking of songs by mood fit.
 *
 * The score stage (mm_stage_score, stage.h; docs/score.md) gives every
 * track of the state `tracks` db mood-relevant audio features — from Spotify
 * (GET /v1/audio-features, 100 ids a request, cached in `features`), else
 * derived from its Last.fm tags (tagmap.h) — writes them into the track
 * record (features map with its source), ranks the tracks of every
 * configured mood (moods.h) into `moods`, and ranks the songs of every
 * request by their fit to the request's mood into `song_fit`.
 *
 * State record "features", v1 — key: text Spotify track id
 *   | key        | type         | meaning                                        |
 *   |------------|--------------|------------------------------------------------|
 *   | v          | int          | 1                                              |
 *   | fetched_at | int          | µs since the epoch of Spotify's answer         |
 *   | features   | map or nil   | {energy, valence, danceability, acousticness,  |
 *   |            |              |  instrumentalness, speechiness, liveness,      |
 *   |            |              |  tempo, loudness} floats, the ones Spotify gave; |
 *   |            |              |  nil: Spotify has no features for the id       |
 * An entry is used for score.features_ttl_days, then asked for again.
 *
 * Mood row, v1 — state `moods` and snapshot `mood_tracks`;
 * key: text mood name, NUL, u32 big-endian rank (0 = best)
 *   | key        | type         | meaning                                        |
 *   |------------|--------------|------------------------------------------------|
 *   | v          | int          | 1                                              |
 *   | track      | str          | track key (`tracks` db)                        |
 *   | fit        | float        | 0–1, rounded to 4 decimals                     |
 *   | popularity | int or nil   | Spotify popularity 0–100 of the track          |
 * Ranks run 0..n-1 without gaps: fit descending, then popularity descending
 * (nil last), then track key ascending.
 *
 * State record "song fit", v1 — state `song_fit`; key: u64 request id
 *   | key        | type          | meaning                                       |
 *   |------------|---------------|-----------------------------------------------|
 *   | v          | int           | 1                                             |
 *   | mood       | str           | the configured mood the request maps to       |
 *   | match      | str           | exact / words / default (moods.h)             |
 *   | songs      | array of map  | every song of the request: {song_id: uint,    |
 *   |            |               |  position: int, track: str or nil, fit: float |
 *   |            |               |  or nil}, fit descending (nil last), then     |
 *   |            |               |  position                                     |
 * Written for the requests with at least one song resolved to a track.
 *
 * Thread safety: pure functions over caller memory.
 * Ownership: decoded strings live in the caller's arena.
 */
#ifndef MM_SCORE_H
#define MM_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/track.h"
#include "pipeline/moods.h"

#define MM_SCORE_FEATURES_VERSION 1
#define MM_SCORE_MOOD_ROW_VERSION 1
#define MM_SCORE_SONG_FIT_VERSION 1

struct mm_mood_row {
    char *track;
    double fit;
    int64_t popularity; /* MM_NULL_INT when unknown */
};

struct mm_song_fit {
    uint64_t song_id;
    int64_t position;
    char *track; /* NULL: the song resolved to no track */
    bool has_fit;
    double fit;
};

struct mm_request_fit {
    char *mood;
    enum mm_mood_match match;
    struct mm_song_fit *songs;
    size_t n_songs;
};

/* Append the encodings to `out` (MM_ETOOBIG past out->max; `out` unchanged
 * on error). `f` NULL or absent records "Spotify has none". */
MM_MUST_CHECK mm_err mm_score_features_encode(const struct mm_features *f, int64_t fetched_at_us,
                                              struct mm_buf *out);
MM_MUST_CHECK mm_err mm_score_mood_row_encode(const struct mm_mood_row *r, struct mm_buf *out);
MM_MUST_CHECK mm_err mm_score_request_fit_encode(const struct mm_request_fit *r,
                                                 struct mm_buf *out);
/* Appends the `moods` key of (mood, rank). */
MM_MUST_CHECK mm_err mm_score_mood_key(const char *mood, uint32_t rank, struct mm_buf *out);

/* Decode into *out (features: present false when Spotify has none; source
 * "spotify"). MM_ECORRUPT on bytes that are not such a record, MM_ESCHEMA on
 * a newer version. */
MM_MUST_CHECK mm_err mm_score_features_decode(const void *data, size_t len, struct mm_features *out,
                                              int64_t *fetched_at_us);
MM_MUST_CHECK mm_err mm_score_mood_row_decode(const void *data, size_t len, struct mm_arena *arena,
                                              struct mm_mood_row *out);
MM_MUST_CHECK mm_err mm_score_request_fit_decode(const void *data, size_t len,
                                                 struct mm_arena *arena,
                                                 struct mm_request_fit *out);

#endif
