/*
 * match.h — does a catalog candidate match a song mention?
 *
 * Better than the original app's matcher (reference/moodmusic2-app.md §4),
 * whose flaws were: an exact artist alone passed the threshold, and
 * "ft"/"with" were stripped without word boundaries ("left behind" → "le").
 * Here:
 *   - titles and artists are compared on keys built with mm_text_normalize
 *     (case, diacritics, punctuation, "&" = "and");
 *   - title keys drop version decorations as whole words only: "(feat. X)",
 *     "ft. X", "featuring X", "(with X)", "- Remastered 2011", "(Remastered)",
 *     "- Live", "(Live at ...)", "- Radio Edit", "- Single Version",
 *     "(Mono)", "(Deluxe ...)"; a leading "The" is ignored for artists;
 *   - artist keys use the primary artist (split on "," "&" "and" " x " "feat."
 *     "ft." "with" as whole words) and also accept any credited artist;
 *   - the score (0–100) needs BOTH: title similarity and artist similarity
 *     (edit-distance ratio of the keys); a perfect artist never rescues a
 *     different title, and a perfect title never rescues a different artist.
 *     score = 100 * min(title_sim, artist_sim); when `want_artist` is NULL the
 *     title similarity alone counts, capped at 90.
 *
 * Thread safety: pure functions (no allocation beyond the caller's buffers).
 */
#ifndef MM_MATCH_H
#define MM_MATCH_H

#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"

/* Appends the comparison key of a title / of an artist credit to `out`. */
MM_MUST_CHECK mm_err mm_match_title_key(const char *title, struct mm_buf *out);
MM_MUST_CHECK mm_err mm_match_artist_key(const char *artist, struct mm_buf *out);

/* Match score 0–100 of a candidate (title + credited artists) for a mention. */
double mm_match_score(const char *want_title, const char *want_artist, const char *cand_title,
                      const char *const *cand_artists, size_t n_cand_artists);

/* The default thresholds: accept at >= MM_MATCH_MIN_SCORE, stop searching at
 * >= MM_MATCH_EARLY_EXIT. */
#define MM_MATCH_MIN_SCORE 80.0
#define MM_MATCH_EARLY_EXIT 95.0

#endif
