/*
 * mood_row.h — reading the snapshot's mood rows and mood names in place, for
 * GET /v1/moods/{mood}/tracks.
 *
 * Mood rows (`mood_tracks`, layout in pipeline/score.h: {v, track, fit,
 * popularity}) are decoded by the pipeline with mm_score_mood_row_decode,
 * which copies into an arena; the server does not link the pipeline and
 * allocates nothing per request, so it reads the msgpack bytes where they lie
 * in the map. The mood vocabulary's values (`meta` "mood:<phrase>",
 * docs/snapshots.md) are one msgpack str.
 *
 * Does not: check the row's version or the ranges of its values; keys other
 * than track, fit and popularity are skipped (containers nested up to
 * MM_MOOD_ROW_MAX_DEPTH levels).
 * Thread safety: pure functions. Ownership: every pointer returned borrows
 * the input bytes.
 */
#ifndef MM_MOOD_ROW_H
#define MM_MOOD_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MM_MOOD_ROW_MAX_DEPTH 8

struct mm_mood_row_view {
    const char *track; /* the track key, not NUL-terminated */
    size_t track_len;
    const void *fit; /* the msgpack value of "fit", to render with mm_codec_render_json */
    size_t fit_len;
    bool has_popularity; /* false: nil */
    int64_t popularity;
};

/* Reads one mood row. MM_ECORRUPT unless the bytes are exactly one msgpack
 * map (fixmap or map16) with a str "track", a number "fit" and, when present,
 * an integer or nil "popularity" (absent: unknown). */
MM_MUST_CHECK mm_err mm_mood_row_read(const void *data, size_t len, struct mm_mood_row_view *out);

/* Reads a value that is exactly one msgpack str into name[0..*len). MM_ECORRUPT otherwise. */
MM_MUST_CHECK mm_err mm_mood_row_name_read(const void *data, size_t len, const char **name,
                                           size_t *name_len);

#endif
