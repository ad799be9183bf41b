/*
 * text.h — text normalisation for keys and UTF-8 utilities.
 *
 * mm_text_normalize() turns free text (queries, titles, artist names) into a
 * key so that spellings a person would call "the same" compare equal:
 *   1. invalid UTF-8 sequences are replaced by U+FFFD;
 *   2. Latin letters are case-folded and stripped of diacritics (é → e,
 *      ß → ss, æ → ae, ø → o, ł → l, ...); other scripts are lower-cased
 *      where Unicode has a simple lower case (Greek, Cyrillic) and kept;
 *   3. punctuation and symbols become a space, except inside emoji
 *      sequences; apostrophes inside words are dropped ("don't" → "dont");
 *   4. emoji sequences are kept whole: base emoji with skin-tone modifiers,
 *      variation selectors (U+FE0F is dropped so that ❤ and ❤️ match),
 *      ZWJ sequences (👩‍💻), flags (regional-indicator pairs), keycaps;
 *      each emoji sequence becomes its own space-separated token;
 *   5. runs of white space collapse to one space, trimmed at both ends.
 * The full rules with examples: docs/text-normalisation.md.
 *
 * Does not: locale-dependent folding, transliteration of non-Latin scripts.
 * Thread safety: pure functions.
 */
#ifndef MM_TEXT_H
#define MM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"

/* Appends the normalised form of s[0..len) to `out`. MM_ETOOBIG past out->max. */
MM_MUST_CHECK mm_err mm_text_normalize(const char *s, size_t len, struct mm_buf *out);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool mm_text_utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 s[0..len). */
size_t mm_text_utf8_length(const char *s, size_t len);
/* Trims ASCII and Unicode white space from both ends: returns the start, sets *len. */
const char *mm_text_trim(const char *s, size_t *len);

/* Splits s[0..len) into grapheme-like emoji sequences as in rule 4.
 * Calls fn(ctx, start, n) for each sequence found, in order; other text is
 * skipped. Returns the number of sequences. */
size_t mm_text_emoji_sequences(const char *s, size_t len,
                               void (*fn)(void *ctx, const char *start, size_t n), void *ctx);

#endif
