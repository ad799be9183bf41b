/*
 * text.h — text normalisation for keys and UTF-8 utilities.
 *
 * mm_text_normalize() turns free text (queries, titles, artist names) into a
 * key so that spellings a person would call "the same" compare equal:
 *   1. invalid UTF-8 sequences are replaced by U+FFFD (one per maximal
 *      ill-formed subpart), which is a symbol and so a word boundary (rule 5);
 *   2. Latin letters are case-folded and stripped of diacritics (é → e,
 *      ß → ss, æ → ae, ø → o, ł → l, ...); compatibility forms and ligatures
 *      unfold (ﬁ → fi, ² → 2); combining diacritics of decomposed input are
 *      dropped, so NFC and NFD spellings match;
 *   3. Greek and Cyrillic are lower-cased (simple lower case; final ς → σ)
 *      and keep their diacritics; decomposed input is composed so NFC and NFD
 *      match. Other scripts are kept as they are;
 *   4. fullwidth ASCII (U+FF01–FF5E) folds to ASCII;
 *   5. punctuation, symbols, controls and white space become a word boundary
 *      (© ® ™ included: they are symbols here, not emoji); format characters
 *      (soft hyphen, ZWJ/ZWNJ, bidi marks, BOM, variation selectors) outside
 *      emoji are removed without a boundary;
 *   6. apostrophes (' ’ ‘ ʼ ´ ` ＇) between two letters or digits are dropped
 *      ("don't" → "dont"), elsewhere they are a boundary;
 *   7. "&" becomes the word "and" ("Simon & Garfunkel" == "Simon and
 *      Garfunkel");
 *   8. emoji sequences are kept whole, each its own token: a pictograph with
 *      skin-tone modifiers, variation selectors and tags, ZWJ-joined to
 *      further pictographs (👩🏽‍💻), flags (regional-indicator pairs), keycaps
 *      ([0-9#*] U+FE0F? U+20E3). U+FE0F and U+FE0E are dropped from the key so
 *      that ❤ and ❤️ match;
 *   9. words and emoji are separated by exactly one space; no space at
 *      either end.
 * Digits are kept. The result is valid UTF-8 and a fixed point:
 * normalize(normalize(x)) == normalize(x). The full rules with examples and
 * what is deliberately not done: docs/text-normalisation.md. The Unicode
 * tables are generated (common/text_tables.h, tools/gen_text_tables.py).
 *
 * Does not: locale-dependent folding, transliteration of non-Latin scripts,
 * case folding of scripts other than Latin, Greek and Cyrillic.
 * Cost: no allocation besides the growth of the caller's mm_buf.
 * Thread safety: pure functions.
 */
#ifndef MM_TEXT_H
#define MM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"

/* Appends the normalised form of s[0..len) (any bytes) to `out`, which stays
 * owned by the caller. MM_ETOOBIG past out->max; on error `out` is left as it
 * was on entry. */
MM_MUST_CHECK mm_err mm_text_normalize(const char *s, size_t len, struct mm_buf *out);

/* True when s[0..len) is valid UTF-8: no overlongs, no surrogates, nothing
 * above U+10FFFF, no truncated sequence. */
bool mm_text_utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 s[0..len); for invalid input, each
 * ill-formed subpart counts as the one U+FFFD that would replace it. */
size_t mm_text_utf8_length(const char *s, size_t len);
/* Trims white space from both ends of s[0..*len): ASCII (space, \t \n \v \f \r),
 * U+0085, U+00A0, U+1680, U+2000–200B, U+2028, U+2029, U+202F, U+205F,
 * U+3000 and the BOM U+FEFF. Returns a pointer into s (borrowed) and sets
 * *len; ill-formed bytes at an end are not white space and stay. */
const char *mm_text_trim(const char *s, size_t *len);

/* Splits s[0..len) into emoji sequences as in rule 8: exactly those the
 * normaliser keeps as tokens. Calls fn(ctx, start, n) for each, in order, with
 * the original bytes (variation selectors included; start borrowed from s);
 * other text is skipped. fn may be NULL to only count. Returns the number of
 * sequences. */
size_t mm_text_emoji_sequences(const char *s, size_t len,
                               void (*fn)(void *ctx, const char *start, size_t n), void *ctx);

#endif
