/*
 * moods.h — the mood vocabulary of the score stage: mood profiles, the
 * mapping of free-text moods onto them, and how well a track fits a mood.
 *
 * A table is built once from score.moods (config.h): each mood has a
 * normalised name, target audio features and aliases. It is checked when
 * built: names and aliases must be normalised text (common/text.h), each
 * phrase names one mood only, every mood constrains at least one feature,
 * and the default mood is one of them.
 *
 * Mapping free text (an analysis mood such as "Late-night drive", 1–4 words
 * in any case; or a request's text) onto a mood, after mm_text_normalize:
 *   1. exact: the text equals a mood name or alias;
 *   2. words: else the phrase (name or alias) sharing the most content words
 *      with the text wins, then the one whose words are most covered, then
 *      the first in table order. Content words are the words of a phrase
 *      that are not stop words ("and", "the", "songs", "vibes", ... see
 *      docs/score.md). Two words match when equal, or when both are ASCII,
 *      at least 5 letters long, and share their first 5 letters (a crude
 *      stem: relaxing ~ relaxed, nostalgia ~ nostalgic);
 *   3. default: nothing matched (or no text): the default mood.
 * Negations and context are not understood ("not sad" maps to sad).
 *
 * Fit of a track to a mood (0–1, higher is better): every feature is put on
 * a 0–1 scale (tempo / 200 BPM, loudness (dB + 60) / 60, clamped); over the
 * features the mood constrains, d_f = |track_f - target_f|, or 0.5 when the
 * track lacks f; fit = 1 - sqrt(mean(d_f^2)). A track that shares no feature
 * with the mood has no fit for it.
 *
 * Does not: read the store or the config file, log.
 * Thread safety: a built table is immutable; every function may be called
 * from any thread. Ownership: mm_moods_new() returns a table the caller frees
 * with mm_moods_free(); moods returned by the table are borrowed from it.
 */
#ifndef MM_MOODS_H
#define MM_MOODS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/err.h"
#include "common/track.h"

#define MM_MOODS_MAX 1024     /* moods in a table */
#define MM_MOOD_TEXT_MAX 1024 /* bytes of free text considered by mm_moods_map() */

struct mm_mood {
    const char *name;           /* normalised; the key of the `moods` db */
    struct mm_features target;  /* present; source NULL */
    const char *const *aliases; /* normalised */
    size_t n_aliases;
    size_t index; /* position in the table */
};

enum mm_mood_match { MM_MOOD_EXACT, MM_MOOD_WORDS, MM_MOOD_DEFAULT };

struct mm_moods;

/* Builds the table of moods[0..n) (config order) with `default_mood` as the
 * fallback. MM_ECONFIG with `err` naming the config path that is wrong, e.g.
 * score.moods.calm.aliases[1]: "relaxed" already names the mood "chill". */
MM_MUST_CHECK mm_err mm_moods_new(const struct mm_mood_config *moods, size_t n,
                                  const char *default_mood, struct mm_moods **out,
                                  char err[MM_ERRLEN]);
void mm_moods_free(struct mm_moods *m); /* accepts NULL */

size_t mm_moods_count(const struct mm_moods *m);
const struct mm_mood *mm_moods_at(const struct mm_moods *m, size_t i);
/* The mood named exactly `name` (normalised), or NULL. */
const struct mm_mood *mm_moods_find(const struct mm_moods *m, const char *name);

/* The mood for free text s[0..len) (only its first MM_MOOD_TEXT_MAX bytes;
 * s may be NULL) by the rules above; *how (may be NULL) says which rule. */
const struct mm_mood *mm_moods_map(const struct mm_moods *m, const char *s, size_t len,
                                   enum mm_mood_match *how);
/* "exact", "words", "default". */
const char *mm_moods_match_name(enum mm_mood_match how);

/* The fit of features `f` to `mood` into *fit; false when f is absent or
 * shares no feature with the mood. */
bool mm_moods_fit(const struct mm_mood *mood, const struct mm_features *f, double *fit);

/* Appends a markdown table of the moods (name, targets, aliases), as in
 * docs/score.md, to `out`. MM_ETOOBIG past out->max. */
MM_MUST_CHECK mm_err mm_moods_doc_markdown(const struct mm_moods *m, struct mm_buf *out);

#endif
