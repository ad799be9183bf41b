/*
 * match.c — comparison keys of titles and artist credits, and the match
 * score of a catalog candidate (match.h; rules and examples in
 * docs/matching.md).
 *
 * Title decorations are found on the raw text, because brackets and " - "
 * are exactly what mm_text_normalize turns into plain word boundaries; the
 * pieces that stay are then normalised one by one. Scoring keeps every key in
 * fixed stack buffers (no heap) and compares keys by a Levenshtein ratio over
 * code points.
 */
#include "common/match.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Caps of the scoring path (documented in match.h). */
#define INPUT_MAX 1024      /* raw bytes of a title or credit that are scored */
#define KEY_MAX 1024        /* bytes of one key */
#define CP_MAX 256          /* code points of a key that are compared */
#define SEGMENT_MAX 256     /* raw bytes of a decoration candidate that are classified */
#define KEYS_MAX 8          /* keys of one credit: the whole credit and its artists */
#define CAND_ARTISTS_MAX 16 /* credited artists of a candidate that are compared */

#define LIVE_PENALTY 0.06  /* live vs studio: accepted, never an early exit */
/* a match on a featured artist only: accepted, never an early exit */
#define FEATURED_CAP 0.9
#define NO_ARTIST_CAP 0.90 /* title alone never counts as certain */
#define NUMBER_CAP 0.50    /* "Song 2" is not "Song 3" */

/* --- fixed buffers and input lengths --- */

/* An mm_buf over caller memory: max stays below the size, so an append never
 * reallocates; it fails with MM_ETOOBIG instead. Never cleaned up. */
static struct mm_buf fixed_buf(char *mem, size_t size)
{
    struct mm_buf b = {mem, 0, size, size - 1};
    mem[0] = '\0';
    return b;
}

/* Largest n' <= n that does not cut a UTF-8 sequence of s (s[n] readable). */
static size_t char_floor(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Bytes of s that the scoring path reads: at most INPUT_MAX, whole characters. */
static size_t input_len(const char *s)
{
    size_t n = strnlen(s, INPUT_MAX);
    return n == INPUT_MAX ? char_floor(s, n) : n;
}

/* Normalises into `b` the longest prefix of s[0..n) (halving n) whose key
 * fits; returns the bytes of s used. */
static size_t fit_normalize(const char *s, size_t n, struct mm_buf *b)
{
    mm_buf_reset(b);
    while (mm_text_normalize(s, n, b) == MM_ETOOBIG)
        n = char_floor(s, n / 2);
    return n;
}

/* --- title decorations --- */

enum { W_LEAD = 1, W_VOCAB = 2, W_LIVE = 4 };
enum { KEEP = 0, DROP = 1, DROP_LIVE = 3 };

/* Words of version decorations. W_LEAD: a bracket or dash segment starting
 * with it is dropped; W_VOCAB: a segment made only of such words (and
 * numbers) is dropped; W_LIVE: the dropped segment marks a live recording. */
/* clang-format off */
static const struct {
    const char *word;
    unsigned flags;
} decor_words[] = {
    {"feat", W_LEAD},              {"ft", W_LEAD},                  {"featuring", W_LEAD},
    {"with", W_LEAD},              {"from", W_LEAD},
    {"live", W_LEAD | W_VOCAB | W_LIVE},
    {"remaster", W_LEAD | W_VOCAB}, {"remastered", W_LEAD | W_VOCAB}, {"deluxe", W_LEAD | W_VOCAB},
    {"remasters", W_VOCAB},        {"digital", W_VOCAB},            {"digitally", W_VOCAB},
    {"radio", W_VOCAB},            {"edit", W_VOCAB},               {"single", W_VOCAB},
    {"album", W_VOCAB},            {"version", W_VOCAB},            {"mono", W_VOCAB},
    {"stereo", W_VOCAB},           {"mix", W_VOCAB},                {"edition", W_VOCAB},
    {"expanded", W_VOCAB},         {"anniversary", W_VOCAB},        {"special", W_VOCAB},
    {"bonus", W_VOCAB},            {"track", W_VOCAB},              {"original", W_VOCAB},
    {"explicit", W_VOCAB},         {"clean", W_VOCAB},
};
/* clang-format on */

static unsigned decor_flags(const char *w, size_t n)
{
    for (size_t i = 0; i < ARRAY_LEN(decor_words); i++)
        if (strlen(decor_words[i].word) == n && memcmp(decor_words[i].word, w, n) == 0)
            return decor_words[i].flags;
    return 0;
}

/* A number or an ordinal: "2011", "25th". */
static bool is_number(const char *w, size_t n)
{
    size_t d = 0;
    while (d < n && w[d] >= '0' && w[d] <= '9')
        d++;
    return d > 0 &&
           (d == n || (n - d == 2 && (memcmp(w + d, "st", 2) == 0 || memcmp(w + d, "nd", 2) == 0 ||
                                      memcmp(w + d, "rd", 2) == 0 || memcmp(w + d, "th", 2) == 0)));
}

/* KEEP, DROP or DROP_LIVE for the raw text of a bracket or dash segment. */
static int classify(const char *s, size_t n)
{
    char mem[4 * SEGMENT_MAX + 1];
    struct mm_buf b = fixed_buf(mem, sizeof(mem));
    size_t used = fit_normalize(s, n < SEGMENT_MAX ? n : char_floor(s, SEGMENT_MAX), &b);
    unsigned first = 0, all = W_VOCAB, any_live = 0;
    bool vocab = false;
    for (size_t w = 0; w < b.len;) {
        size_t e = w;
        while (e < b.len && b.data[e] != ' ')
            e++;
        unsigned f = decor_flags(b.data + w, e - w);
        if (w == 0)
            first = f;
        if (!is_number(b.data + w, e - w)) {
            all &= f;
            vocab |= (f & W_VOCAB) != 0;
        }
        any_live |= f & W_LIVE;
        w = e + 1;
    }
    /* the all-vocabulary rule needs the whole segment */
    bool drop = (first & W_LEAD) || (all && vocab && used == n);
    return !drop ? KEEP : any_live ? DROP_LIVE : DROP;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_open(char c)
{
    return c == '(' || c == '[';
}

static bool is_close(char c)
{
    return c == ')' || c == ']';
}

/* The end of a dash separator (white space, '-' '–' or '—', white space)
 * starting at s[i], or 0. Only the first space of a run starts one, so a
 * scan stays linear. */
static size_t dash_at(const char *s, size_t len, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!is_space(s[i]) || (i > 0 && is_space(s[i - 1])))
        return 0;
    size_t j = i;
    while (j < len && is_space(s[j]))
        j++;
    size_t d = 0;
    if (j < len && s[j] == '-')
        d = 1;
    else if (len - j >= 3 && u[j] == 0xE2 && u[j + 1] == 0x80 &&
             (u[j + 2] == 0x93 || u[j + 2] == 0x94))
        d = 3;
    j += d;
    if (d == 0 || (j < len && !is_space(s[j])))
        return 0;
    while (j < len && is_space(s[j]))
        j++;
    return j;
}

/* The end of the bracket group opening at s[i] (nesting counted), or len. */
static size_t group_end(const char *s, size_t len, size_t i)
{
    size_t depth = 0;
    for (; i < len; i++) {
        if (is_open(s[i]))
            depth++;
        else if (is_close(s[i]) && depth > 0 && --depth == 0)
            return i + 1;
    }
    return len;
}

/* The end of a segment starting at s[i]: the next dash separator outside
 * brackets, or the next opening bracket when `at_bracket`, or len. */
static size_t segment_end(const char *s, size_t len, size_t i, bool at_bracket)
{
    while (i < len) {
        if (is_open(s[i]) && at_bracket)
            return i;
        if (is_open(s[i]))
            i = group_end(s, len, i);
        else if (dash_at(s, len, i))
            return i;
        else
            i++;
    }
    return len;
}

static bool prefix_ci(const char *s, size_t len, size_t i, const char *p)
{
    size_t n = strlen(p);
    if (len - i < n)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = s[i + k];
        if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != p[k])
            return false;
    }
    return true;
}

/* Length of an inline credit marker at s[i] (" feat." " feat " " ft."
 * " featuring "), or 0. "with" is not one: "Stay With Me". */
static size_t credit_at(const char *s, size_t len, size_t i)
{
    static const char *const markers[] = {" feat.", " feat ", " ft.", " featuring "};
    for (size_t k = 0; k < ARRAY_LEN(markers); k++)
        if (prefix_ci(s, len, i, markers[k]))
            return strlen(markers[k]);
    return 0;
}

static bool has_word_byte(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80)
            return true;
    }
    return false;
}

/* Appends the key of s[0..n) to the key begun at `start`, one space apart. */
static mm_err put_piece(struct mm_buf *out, size_t start, const char *s, size_t n)
{
    size_t before = out->len;
    mm_err err = out->len > start ? mm_buf_appendc(out, ' ') : MM_OK;
    if (!err)
        err = mm_text_normalize(s, n, out);
    if (!err && out->len == before + 1 && before > start) {
        out->len = before;
        out->data[before] = '\0';
    }
    return err;
}

/* Appends the title key of s[0..len) to `out` (left as it was on error);
 * *live tells whether a dropped decoration marked a live recording. A
 * decoration is dropped only after a word of the title proper. */
static mm_err title_key(const char *s, size_t len, struct mm_buf *out, bool *live)
{
    size_t start = out->len, keep = 0, i = 0;
    bool word_seen = false, dropped = false;
    mm_err err = MM_OK;
    *live = false;
    while (i < len && !err) {
        size_t next = i + 1, sep, mark;
        int cls = KEEP;
        if (is_open(s[i])) {
            next = group_end(s, len, i);
            cls = word_seen ? classify(s + i + 1, next - i - 1) : KEEP;
            word_seen = word_seen || has_word_byte(s + i, next - i);
        } else if ((sep = dash_at(s, len, i))) {
            next = segment_end(s, len, sep, false);
            cls = word_seen ? classify(s + sep, next - sep) : KEEP;
            next = cls ? next : sep;
        } else if (word_seen && (mark = credit_at(s, len, i))) {
            cls = DROP;
            next = segment_end(s, len, i + mark, true);
        } else {
            word_seen = word_seen || has_word_byte(s + i, 1);
        }
        if (cls) {
            err = put_piece(out, start, s + keep, i - keep);
            keep = next;
            dropped = true;
            *live = *live || cls == DROP_LIVE;
        }
        i = next;
    }
    if (!err)
        err = put_piece(out, start, s + keep, len - keep);
    if (!err && dropped && out->len == start)
        err = mm_text_normalize(s, len, out);
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

mm_err mm_match_title_key(const char *title, struct mm_buf *out)
{
    bool live;
    return title ? title_key(title, strlen(title), out, &live) : MM_EINVAL;
}

/* --- artist credits --- */

static bool is_sep_word(const char *w, size_t n)
{
    static const char *const seps[] = {"and", "x", "feat", "ft", "featuring", "with", "vs"};
    for (size_t i = 0; i < ARRAY_LEN(seps); i++)
        if (strlen(seps[i]) == n && memcmp(seps[i], w, n) == 0)
            return true;
    return false;
}

/* The end of the artist starting at word offset i of key k[0..n): the space
 * before the next separator word that has words on both sides, else n.
 * *next is where the following artist starts (n when none). */
static size_t part_end(const char *k, size_t n, size_t i, size_t *next)
{
    for (size_t w = i; w < n;) {
        size_t e = w;
        while (e < n && k[e] != ' ')
            e++;
        if (w > i && e < n && is_sep_word(k + w, e - w)) {
            *next = e + 1;
            return w - 1;
        }
        w = e + (e < n);
    }
    *next = n;
    return n;
}

/* Drops a leading "the " from key k[0..*n). */
static const char *drop_the(const char *k, size_t *n)
{
    if (*n > 4 && memcmp(k, "the ", 4) == 0) {
        *n -= 4;
        k += 4;
    }
    return k;
}

/* Raw separators between artists (before normalisation turns them into spaces). */
static size_t raw_sep(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != ',' && s[i] != ';')
        i++;
    return i;
}

mm_err mm_match_artist_key(const char *artist, struct mm_buf *out)
{
    size_t start = out->len, n = artist ? strlen(artist) : 0, at = 0, next;
    mm_err err = artist ? MM_OK : MM_EINVAL;
    while (!err && out->len == start && at < n) {
        size_t end = raw_sep(artist, n, at);
        err = mm_text_normalize(artist + at, end - at, out);
        at = end + 1;
    }
    if (!err && out->len > start) {
        size_t kn = part_end(out->data + start, out->len - start, 0, &next);
        const char *k = drop_the(out->data + start, &kn);
        memmove(out->data + start, k, kn);
        out->len = start + kn;
        out->data[out->len] = '\0';
    }
    return err;
}

/* The keys of one credit for scoring: the whole credit, then each artist. */
struct keyset {
    char full[KEY_MAX + 1], parts[KEY_MAX + 1];
    const char *key[KEYS_MAX];
    size_t len[KEYS_MAX], n;
};

static void keyset_add(struct keyset *ks, const char *k, size_t n)
{
    k = drop_the(k, &n);
    if (n == 0 || ks->n == KEYS_MAX)
        return;
    for (size_t i = 0; i < ks->n; i++)
        if (ks->len[i] == n && memcmp(ks->key[i], k, n) == 0)
            return;
    ks->key[ks->n] = k;
    ks->len[ks->n++] = n;
}

/* Key of a name with an empty key ("!!!"): its trimmed raw text. */
static void raw_key(const char *s, size_t n, const char **k, size_t *kn)
{
    *kn = n;
    *k = mm_text_trim(s, kn);
    *kn = *kn < KEY_MAX ? *kn : KEY_MAX;
}

static void keyset_build(struct keyset *ks, const char *credit)
{
    struct mm_buf full = fixed_buf(ks->full, sizeof(ks->full));
    struct mm_buf parts = fixed_buf(ks->parts, sizeof(ks->parts));
    size_t n = input_len(credit), at, end, next;
    ks->n = 0;
    fit_normalize(credit, n, &full);
    keyset_add(ks, full.data, full.len);
    /* artists listed with "," or ";": their keys joined by " and " */
    const struct mm_buf *words = &full;
    if (raw_sep(credit, n, 0) < n) {
        words = &parts;
        for (at = 0; at < n; at = end + 1) {
            size_t before = parts.len;
            end = raw_sep(credit, n, at);
            mm_err err = before ? mm_buf_appends(&parts, " and ") : MM_OK;
            if (!err)
                err = mm_text_normalize(credit + at, end - at, &parts);
            if (err || (before && parts.len == before + 5)) {
                parts.len = before;
                parts.data[before] = '\0';
            }
            if (err)
                break;
        }
    }
    for (at = 0; at < words->len; at = next) {
        end = part_end(words->data, words->len, at, &next);
        keyset_add(ks, words->data + at, end - at);
    }
    if (ks->n == 0) {
        raw_key(credit, n, &ks->key[0], &ks->len[0]);
        ks->n = ks->len[0] > 0;
    }
}

/* --- similarity --- */

/* Code points of s[0..n) (at most CP_MAX); robust to invalid UTF-8. */
static size_t to_cps(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t m = 0;
    for (size_t i = 0; i < n && m < CP_MAX;) {
        size_t k = u[i] < 0xC0 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
        uint32_t v = k == 1 ? u[i] : u[i] & (0x7Fu >> k);
        for (size_t j = 1; j < k && i + j < n; j++)
            v = v << 6 | (u[i + j] & 0x3Fu);
        cp[m++] = v;
        i += k;
    }
    return m;
}

/* 1 - levenshtein / longer length, over code points; 0 when a key is empty. */
static double similarity(const char *a, size_t an, const char *b, size_t bn)
{
    uint32_t x[CP_MAX], y[CP_MAX];
    uint16_t row[CP_MAX + 1];
    if (an == 0 || bn == 0)
        return 0.0;
    if (an == bn && memcmp(a, b, an) == 0)
        return 1.0;
    size_t n = to_cps(a, an, x), m = to_cps(b, bn, y);
    for (size_t j = 0; j <= m; j++)
        row[j] = (uint16_t)j;
    for (size_t i = 1; i <= n; i++) {
        uint16_t diag = row[0];
        row[0] = (uint16_t)i;
        for (size_t j = 1; j <= m; j++) {
            uint16_t up = row[j], best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return 1.0 - (double)row[m] / (double)(n > m ? n : m);
}

/* Finds the next number token of key k[0..n) from *at; false when none is left. */
static bool next_number(const char *k, size_t n, size_t *at, const char **w, size_t *wn)
{
    while (*at < n) {
        size_t b = *at, e = b;
        while (e < n && k[e] != ' ')
            e++;
        *at = e + 1;
        if (is_number(k + b, e - b)) {
            *w = k + b;
            *wn = e - b;
            return true;
        }
    }
    return false;
}

/* True when both keys hold the same numbers in the same order. */
static bool same_numbers(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0, xn, yn;
    const char *x, *y;
    for (;;) {
        bool hx = next_number(a, an, &i, &x, &xn), hy = next_number(b, bn, &j, &y, &yn);
        if (!hx || !hy)
            return hx == hy;
        if (xn != yn || memcmp(x, y, xn) != 0)
            return false;
    }
}

/* The title key used for scoring, within the caps. */
struct tkey {
    char mem[KEY_MAX + 1];
    const char *k;
    size_t n;
    bool live;
};

static void tkey_build(struct tkey *t, const char *title)
{
    struct mm_buf b = fixed_buf(t->mem, sizeof(t->mem));
    size_t n = input_len(title);
    while (title_key(title, n, &b, &t->live) == MM_ETOOBIG)
        n = char_floor(title, n / 2);
    t->k = b.data;
    t->n = b.len;
    if (t->n == 0)
        raw_key(title, n, &t->k, &t->n);
}

/* Title similarity with the live penalty and the number cap. */
static double title_similarity(const struct tkey *a, const struct tkey *b)
{
    double s = similarity(a->k, a->n, b->k, b->n);
    if (a->live != b->live)
        s -= LIVE_PENALTY;
    if (s > NUMBER_CAP && !same_numbers(a->k, a->n, b->k, b->n))
        s = NUMBER_CAP;
    return s;
}

/* Similarity of two artist names. Names of the same number of words are
 * compared word by word and the weakest word counts, so that one shared first
 * name never makes two people alike ("andres pena" vs "andres vega" is 0.5,
 * not the 0.82 of the whole strings). */
static double name_similarity(const char *a, size_t an, const char *b, size_t bn)
{
    size_t wa = 1, wb = 1;
    for (size_t i = 0; i < an; i++)
        wa += a[i] == ' ';
    for (size_t i = 0; i < bn; i++)
        wb += b[i] == ' ';
    if (wa != wb || wa == 1)
        return similarity(a, an, b, bn);
    double worst = 1.0;
    size_t i = 0, j = 0;
    while (i < an && j < bn && worst > 0.0) {
        size_t ie = i, je = j;
        while (ie < an && a[ie] != ' ')
            ie++;
        while (je < bn && b[je] != ' ')
            je++;
        double s = similarity(a + i, ie - i, b + j, je - j);
        worst = s < worst ? s : worst;
        i = ie + 1;
        j = je + 1;
    }
    return worst;
}

/* Best similarity between any key of the wanted credit and any key of a
 * candidate's credited artists. A match on a featured (not first) artist is
 * capped below the early exit, so that the song by that artist, when a
 * provider has it, wins over a song it only features on. */
static double artist_similarity(const struct keyset *want, const char *const *cand, size_t n_cand)
{
    struct keyset ks;
    double best = 0.0;
    n_cand = n_cand < CAND_ARTISTS_MAX ? n_cand : CAND_ARTISTS_MAX;
    for (size_t c = 0; c < n_cand && best < 1.0; c++) {
        if (!cand[c])
            continue;
        keyset_build(&ks, cand[c]);
        for (size_t i = 0; i < want->n && best < 1.0; i++)
            for (size_t j = 0; j < ks.n && best < 1.0; j++) {
                double s = name_similarity(want->key[i], want->len[i], ks.key[j], ks.len[j]);
                if (c > 0 && s > FEATURED_CAP)
                    s = FEATURED_CAP;
                best = s > best ? s : best;
            }
    }
    return best;
}

double mm_match_score(const char *want_title, const char *want_artist, const char *cand_title,
                      const char *const *cand_artists, size_t n_cand_artists)
{
    struct tkey want_t, cand_t;
    struct keyset want_a;
    double score = 0.0;
    if (want_title && cand_title) {
        tkey_build(&want_t, want_title);
        tkey_build(&cand_t, cand_title);
        score = title_similarity(&want_t, &cand_t);
    }
    if (score > 0.0) {
        want_a.n = 0;
        if (want_artist)
            keyset_build(&want_a, want_artist);
        double cap = want_a.n == 0  ? NO_ARTIST_CAP
                     : cand_artists ? artist_similarity(&want_a, cand_artists, n_cand_artists)
                                    : 0.0;
        score = score < cap ? score : cap;
    }
    return score > 0.0 ? 100.0 * score : 0.0;
}
