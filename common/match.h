/*
 * match.h — does a catalog candidate match a song mention?
 *
 * Better than the original app's matcher (reference/moodmusic2-app.md §4),
 * whose flaws were: an exact artist alone passed the threshold, and
 * "ft"/"with" were stripped without word boundaries ("left behind" → "le").
 * Rules with examples, the table of tricky pairs and the differences from the
 * app: docs/matching.md.
 *
 * Title key: mm_text_normalize of the title without its version decorations,
 * which are found on the raw text (normalisation erases brackets and dashes):
 *   - a bracket group "(...)" "[...]", or a segment after a dash separator
 *     (" - ", " – ", " — ", spaces on both sides), is dropped when its first
 *     word is feat, ft, featuring, with, from, live, remaster(ed) or deluxe,
 *     or when it is made only of version words (remaster, radio, edit, single,
 *     album, version, mono, stereo, mix, edition, bonus, track, original,
 *     explicit, clean, live, ...) and numbers ("2011", "25th"): "(feat. X)",
 *     "(with X)", "- Remastered 2011", "(2011 Remaster)", "- Live",
 *     "(Live at ...)", "- Radio Edit", "- Single Version", "(Mono)",
 *     "(Deluxe ...)", "- From \"Frozen\"";
 *   - inline credits " feat. X", " feat X", " ft. X", " featuring X" are
 *     dropped up to the next bracket or dash separator; "with" only inside
 *     brackets ("Stay With Me" stays);
 *   - all are whole words: "Left Behind", "Without You", "Defeat" stay, and a
 *     decoration is dropped only after a word of the title ("(Live)" stays);
 *   - remixes and acoustic, extended or instrumental versions are different
 *     recordings: they stay in the key.
 * Artist key: mm_text_normalize of the primary artist — the first of the
 * credit split on "," ";" and the whole words and (so "&"), x, feat, ft,
 * featuring, with, vs — without a leading "the". The split is lossy by design
 * ("Simon & Garfunkel" → "simon"); the score also compares whole credits.
 *
 * Score 0–100 = 100 * min(title similarity, artist similarity): BOTH must
 * match; a perfect artist never rescues a different title, and a perfect
 * title never rescues a different artist.
 *   - similarity = 1 - Levenshtein distance / longer length, over the code
 *     points of the two keys;
 *   - artist similarity: the best over the mention's whole credit and each
 *     artist in it, against each credited artist of the candidate (whole and
 *     split the same way); only the first 16 candidate artists count; a
 *     candidate without artists scores 0;
 *   - when `want_artist` is NULL or blank, the title similarity alone
 *     counts, capped at 90;
 *   - a live recording against a studio one (a live decoration on one side
 *     only) loses 6 points: accepted, but below MM_MATCH_EARLY_EXIT, so the
 *     studio recording wins when the search finds it;
 *   - titles whose numbers differ ("Song 2" / "Song 3") are capped at 50;
 *   - a name whose key is empty ("!!!") is compared by its trimmed raw text;
 *     NULL or empty titles score 0.
 * Caps of the scoring path, which allocates nothing: the first 1 KiB of each
 * title and credit is read, a key holds at most 1 KiB (else the longest input
 * prefix whose key fits is used) and the first 256 code points of each key
 * are compared. The key functions have no such caps.
 *
 * Thread safety: pure functions. mm_match_score uses about 10 KiB of stack
 * and no heap; the key functions only grow the caller's buffer.
 */
#ifndef MM_MATCH_H
#define MM_MATCH_H

#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"

/* Append the comparison key of a title / of the primary artist of a credit
 * to `out` (owned by the caller). MM_EINVAL for NULL; MM_ETOOBIG past
 * out->max, `out` then left as it was. */
MM_MUST_CHECK mm_err mm_match_title_key(const char *title, struct mm_buf *out);
MM_MUST_CHECK mm_err mm_match_artist_key(const char *artist, struct mm_buf *out);

/* Match score 0–100 of a candidate (title + credited artists, primary first;
 * NULL entries skipped) for a mention; all strings borrowed for the call. */
double mm_match_score(const char *want_title, const char *want_artist, const char *cand_title,
                      const char *const *cand_artists, size_t n_cand_artists);

/* The default thresholds: accept at >= MM_MATCH_MIN_SCORE, stop searching at
 * >= MM_MATCH_EARLY_EXIT. */
#define MM_MATCH_MIN_SCORE 80.0
#define MM_MATCH_EARLY_EXIT 95.0

#endif
