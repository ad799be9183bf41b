/*
 * text.c — the key normaliser and the UTF-8 helpers of text.h.
 *
 * Every code point gets a class from the generated tables (text_tables.h,
 * made by tools/gen_text_tables.py); the normaliser dispatches on that class.
 * Word code points are folded through direct-indexed per-block tables, emoji
 * sequences are recognised by emoji_span(), shared with
 * mm_text_emoji_sequences() so both always agree on what a sequence is.
 *
 * Output is staged in a fixed buffer on the stack and appended to the
 * caller's mm_buf in chunks: no allocation besides the mm_buf's own growth,
 * one append for a typical key.
 */
#include "common/text.h"

#include <stdint.h>
#include <string.h>

#include "common/text_tables.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Returned by decode() for an ill-formed subsequence (read as U+FFFD). */
#define BAD_CP 0x110000u

/* --- decoding and classes --- */

/* Decodes the code point at s[0..len), len > 0, and sets *adv to the bytes it
 * takes. An ill-formed sequence gives BAD_CP and advances over its maximal
 * well-formed prefix (at least one byte), the W3C/Unicode replacement
 * practice: one U+FFFD per maximal subpart. */
static uint32_t decode(const unsigned char *s, size_t len, size_t *adv)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t cp;

    *adv = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80;   /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF;   /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80;   /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF;   /* > U+10FFFF */
    } else {
        return BAD_CP;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= len || s[k] < lo || s[k] > hi) {
            *adv = k;
            return BAD_CP;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *adv = need + 1;
    return cp;
}

static unsigned class_of(uint32_t cp)
{
    if (cp == BAD_CP)
        return TC_SEP;
    return class_pages[class_index[cp >> TEXT_PAGE_BITS]][cp & ((1u << TEXT_PAGE_BITS) - 1)];
}

/* Class of the code point at s[i..len); TC_SEP past the end. */
static unsigned class_at(const unsigned char *s, size_t len, size_t i, size_t *adv)
{
    *adv = 0;
    if (i >= len)
        return TC_SEP;
    return class_of(decode(s + i, len - i, adv));
}

static size_t encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The folded UTF-8 of a word code point (may hold spaces), or NULL when it
 * folds to itself. */
static const char *fold_lookup(uint32_t cp, size_t *n)
{
    for (size_t b = 0; b < ARRAY_LEN(fold_blocks) && cp >= fold_blocks[b].lo; b++) {
        if (cp >= fold_blocks[b].hi)
            continue;
        uint16_t e = fold_blocks[b].map[cp - fold_blocks[b].lo];
        if (!e)
            return NULL;
        *n = e & 7u;
        return fold_pool + (e >> 3);
    }
    return NULL;
}

/* The canonical composition of a folded Greek or Cyrillic base with a
 * combining mark, or 0. */
static uint32_t compose(uint32_t base, uint32_t mark)
{
    uint32_t key = (base << 16) | mark;
    size_t lo = 0, hi = ARRAY_LEN(compose_pairs);

    if (base > 0xFFFF || mark > 0xFFFF)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compose_pairs[mid].key < key)
            lo = mid + 1;
        else if (compose_pairs[mid].key > key)
            hi = mid;
        else
            return compose_pairs[mid].to;
    }
    return 0;
}

/* --- emoji sequences --- */

/* Skips what may follow an emoji inside its sequence: variation selectors,
 * skin-tone modifiers and tag characters. */
static size_t skip_emoji_extenders(const unsigned char *s, size_t len, size_t j)
{
    size_t adv;
    for (;;) {
        unsigned cls = class_at(s, len, j, &adv);
        if (cls != TC_VS && cls != TC_EMOD && cls != TC_TAG)
            return j;
        j += adv;
    }
}

/* End of the emoji sequence starting at s[i], or i when none starts there.
 * Sequences: a pictograph or modifier with its extenders, joined by ZWJ to
 * further pictographs; a pair (or a lone) regional indicator; a keycap
 * [0-9#*] VS? U+20E3. */
static size_t emoji_span(const unsigned char *s, size_t len, size_t i)
{
    size_t adv, adv2, j;
    unsigned cls = class_at(s, len, i, &adv);

    j = i + adv;
    switch (cls) {
    case TC_KEYBASE:
        if (class_at(s, len, j, &adv) == TC_VS)
            j += adv;
        return class_at(s, len, j, &adv) == TC_KEYCAP ? j + adv : i;
    case TC_RI:
        return class_at(s, len, j, &adv) == TC_RI ? j + adv : j;
    case TC_PICT:
    case TC_EMOD:
        for (;;) {
            j = skip_emoji_extenders(s, len, j);
            if (class_at(s, len, j, &adv) != TC_ZWJ ||
                class_at(s, len, j + adv, &adv2) != TC_PICT)
                return j;
            j += adv + adv2;
        }
    default:
        return i;
    }
}

size_t mm_text_emoji_sequences(const char *s, size_t len,
                               void (*fn)(void *ctx, const char *start, size_t n), void *ctx)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, count = 0, adv;

    while (i < len) {
        size_t end = emoji_span(p, len, i);
        if (end > i) {
            if (fn)
                fn(ctx, s + i, end - i);
            count++;
            i = end;
        } else {
            decode(p + i, len - i, &adv);
            i += adv;
        }
    }
    return count;
}

/* --- the normaliser's output --- */

#define STAGE_SIZE 256

/* Output under construction. Bytes are staged, then appended to `out`. */
struct sink {
    struct mm_buf *out;
    size_t start;      /* out->len on entry, restored on error */
    size_t n;          /* staged bytes */
    size_t base_at;    /* staged offset of base_cp's bytes */
    uint32_t base_cp;  /* last code point of a word, a composition base; 0 if none */
    bool any;          /* a token was written */
    bool space;        /* a word boundary is pending */
    bool word;         /* the last thing written is a word character */
    mm_err err;
    char stage[STAGE_SIZE];
};

/* Appends the staged bytes to out. Only put() flushes, and every put() is
 * followed by a new base_cp (or base_cp is 0), so the bytes of base_cp are
 * always staged when a combining mark comes to replace them. */
static void flush(struct sink *k)
{
    if (!k->err && k->n)
        k->err = mm_buf_append(k->out, k->stage, k->n);
    k->n = 0;
}

/* Stages n <= 8 bytes. */
static void put(struct sink *k, const char *p, size_t n)
{
    if (k->n + n > sizeof(k->stage))
        flush(k);
    memcpy(k->stage + k->n, p, n);
    k->n += n;
}

static void boundary(struct sink *k)
{
    k->space = true;
    k->word = false;
    k->base_cp = 0;
}

static void begin_token(struct sink *k)
{
    if (k->space && k->any)
        put(k, " ", 1);
    k->space = false;
    k->any = true;
}

/* Writes word bytes: one code point cp, a composition base, or several
 * (cp == 0). */
static void word(struct sink *k, const char *p, size_t n, uint32_t cp)
{
    begin_token(k);
    put(k, p, n);
    k->base_cp = cp;
    k->base_at = k->n - n;
    k->word = true;
}

/* Writes a fold mapping: words separated by single spaces. */
static void fold_word(struct sink *k, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != ' ')
            e++;
        if (e > i) {
            size_t adv;
            uint32_t cp = decode((const unsigned char *)p + i, e - i, &adv);
            word(k, p + i, e - i, adv == e - i ? cp : 0);
        }
        if (e < n)
            boundary(k);
        i = e + 1;
    }
}

/* A combining mark: composes with the preceding Greek or Cyrillic letter
 * when Unicode has the composition, else it is dropped. */
static void mark(struct sink *k, uint32_t cp)
{
    uint32_t to = k->base_cp ? compose(k->base_cp, cp) : 0;
    char buf[4];

    if (!to)
        return;
    k->n = k->base_at;
    word(k, buf, encode(to, buf), to);
}

/* Writes an emoji sequence as its own token, without variation selectors. */
static void emoji(struct sink *k, const unsigned char *p, size_t n)
{
    size_t i = 0, adv;

    boundary(k);
    begin_token(k);
    while (i < n) {
        if (class_of(decode(p + i, n - i, &adv)) != TC_VS)
            put(k, (const char *)p + i, adv);
        i += adv;
    }
    boundary(k);
}

/* A non-ASCII word code point, folded (ASCII goes through ascii_run). */
static void word_cp(struct sink *k, uint32_t cp, const unsigned char *src, size_t adv)
{
    size_t n;
    const char *m = fold_lookup(cp, &n);

    if (m)
        fold_word(k, m, n);
    else
        word(k, (const char *)src, adv, cp);
}

static bool ascii_alnum(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u;
}

/* Writes the run of ASCII letters and digits at s[i..len) as one stretch of
 * a word and returns its end. A digit followed by a non-ASCII byte is left
 * out: it may start a keycap. */
static size_t ascii_run(struct sink *k, const unsigned char *s, size_t len, size_t i)
{
    size_t j = i;

    while (j < len && ascii_alnum(s[j]) &&
           !(s[j] <= '9' && j + 1 < len && s[j + 1] >= 0x80))
        j++;
    if (j == i)
        return i;
    begin_token(k);
    for (size_t at = i; at < j; at++) {
        if (k->n == sizeof(k->stage))
            flush(k);
        k->stage[k->n++] = (char)(s[at] <= 'Z' && s[at] >= 'A' ? s[at] + ('a' - 'A') : s[at]);
    }
    k->base_cp = 0;
    k->word = true;
    return j;
}

static bool starts_word(const unsigned char *s, size_t len, size_t i)
{
    size_t adv;
    unsigned cls = class_at(s, len, i, &adv);
    return cls == TC_WORD || (cls == TC_KEYBASE && s[i] >= '0' && s[i] <= '9');
}

/* Handles the code point cp (class cls, adv bytes) at s[i]; returns the
 * bytes consumed, more than adv for an emoji sequence. */
static size_t step(struct sink *k, const unsigned char *s, size_t len, size_t i,
                   uint32_t cp, unsigned cls, size_t adv)
{
    size_t end;

    switch (cls) {
    case TC_WORD:
        word_cp(k, cp, s + i, adv);
        break;
    case TC_KEYBASE:
    case TC_PICT:
    case TC_RI:
    case TC_EMOD:
        end = emoji_span(s, len, i);
        if (end > i) {
            emoji(k, s + i, end - i);
            return end - i;
        }
        if (cp >= '0' && cp <= '9')
            word(k, (const char *)s + i, 1, 0);
        else
            boundary(k);
        break;
    case TC_MARK:
        mark(k, cp);
        break;
    case TC_APOS:
        if (!k->word || !starts_word(s, len, i + adv))
            boundary(k);
        break;
    case TC_AMP:
        boundary(k);
        word(k, "and", 3, 0);
        boundary(k);
        break;
    case TC_SEP:
        boundary(k);
        break;
    default:
        break;
    }
    return adv;
}

mm_err mm_text_normalize(const char *s, size_t len, struct mm_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    struct sink k;
    size_t i = 0;

    k.out = out;
    k.start = out->len;
    k.n = k.base_at = 0;
    k.base_cp = 0;
    k.any = k.space = k.word = false;
    k.err = MM_OK;
    while (i < len && !k.err) {
        size_t adv, end = ascii_run(&k, p, len, i);
        if (end > i) {
            i = end;
            continue;
        }
        uint32_t cp = decode(p + i, len - i, &adv);
        i += step(&k, p, len, i, cp, class_of(cp), adv);
    }
    flush(&k);
    if (k.err) {
        out->len = k.start;
        if (out->data)
            out->data[out->len] = '\0';
    }
    return k.err;
}

/* --- UTF-8 helpers --- */

bool mm_text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, adv;

    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (decode(p + i, len - i, &adv) == BAD_CP)
            return false;
        i += adv;
    }
    return true;
}

size_t mm_text_utf8_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, count = 0, adv;

    while (i < len) {
        decode(p + i, len - i, &adv);
        i += adv;
        count++;
    }
    return count;
}

static bool is_space(uint32_t cp)
{
    switch (cp) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200B;
    }
}

const char *mm_text_trim(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = *len, adv;

    while (n > 0 && is_space(decode(p, n, &adv))) {
        p += adv;
        n -= adv;
    }
    while (n > 0) {
        size_t at = n - 1;
        while (at > 0 && n - at < 4 && (p[at] & 0xC0) == 0x80)
            at--;
        if (!is_space(decode(p + at, n - at, &adv)) || at + adv != n)
            break;
        n = at;
    }
    *len = n;
    return (const char *)p;
}
