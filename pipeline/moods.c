/*
 * moods.c — mood profiles, the free-text → mood mapping and the fit of a
 * track to a mood (rules in moods.h and docs/score.md).
 */
#include "pipeline/moods.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Normalisation may grow text (ß → ss, & → and): room for that. */
#define NORM_MAX (8 * MM_MOOD_TEXT_MAX)
/* Words sharing this many leading ASCII letters match (a crude stem). */
#define STEM 5

/* Words that carry no mood: they never count in a word match. */
static const char *const stop_words[] = {
    "a",     "an",     "and",    "at",   "bit",       "but",   "feel",     "feeling",
    "feels", "for",    "get",    "give", "i",         "im",    "in",       "just",
    "kind",  "like",   "little", "me",   "mood",      "more",  "music",    "my",
    "need",  "not",    "of",     "on",   "or",        "play",  "playlist", "please",
    "pls",   "really", "so",     "some", "something", "song",  "songs",    "style",
    "the",   "to",     "type",   "very", "vibe",      "vibes", "want",     "with",
};

enum {
#define X(name) F_##name,
    MM_FEATURE_NAMES
#undef X
};

struct word {
    const char *s;
    size_t len;
};

/* A mood name or alias. */
struct phrase {
    const char *text;
    size_t mood;
    struct word *words; /* content words */
    size_t n_words;
};

struct mm_moods {
    struct mm_mood *moods;
    size_t n, def;
    struct phrase *phrases;
    size_t n_phrases;
    struct mm_arena arena; /* names, aliases, words */
};

/* --- words --- */

static bool is_stop_word(const char *s, size_t len)
{
    bool found = false;
    for (size_t i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]) && !found; i++)
        found = strlen(stop_words[i]) == len && memcmp(stop_words[i], s, len) == 0;
    return found;
}

static bool ascii_letters(const char *s, size_t len)
{
    bool ok = true;
    for (size_t i = 0; i < len && ok; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
    return ok;
}

static bool words_match(const struct word *a, const struct word *b)
{
    bool same = a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    return same || (a->len >= STEM && b->len >= STEM && memcmp(a->s, b->s, STEM) == 0 &&
                    ascii_letters(a->s, a->len) && ascii_letters(b->s, b->len));
}

/* The content words of normalised text s (words split on single spaces) into
 * out, which has room for every word; returns how many. */
static size_t content_words(const char *s, struct word *out)
{
    size_t n = 0;
    while (*s) {
        size_t len = strcspn(s, " ");
        if (len > 0 && !is_stop_word(s, len))
            out[n++] = (struct word){s, len};
        s += len + (s[len] == ' ');
    }
    return n;
}

static size_t count_words(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == ' ';
    return n;
}

/* --- building the table --- */

static mm_err normalize(const char *s, size_t len, struct mm_buf *b)
{
    mm_buf_reset(b);
    mm_err err = mm_text_normalize(s, len, b);
    return err ? err : mm_buf_appends(b, "");
}

/* The mood already named by `text`, or SIZE_MAX. */
static size_t phrase_owner(const struct mm_moods *m, const char *text)
{
    size_t owner = SIZE_MAX;
    for (size_t i = 0; i < m->n_phrases && owner == SIZE_MAX; i++)
        if (strcmp(m->phrases[i].text, text) == 0)
            owner = m->phrases[i].mood;
    return owner;
}

/* Adds a name or alias of mood i; `where` names it in errors. */
static mm_err add_phrase(struct mm_moods *m, size_t i, const char *text, const char *where,
                         struct mm_buf *norm, char err[MM_ERRLEN])
{
    mm_err rc = normalize(text, strlen(text), norm);
    size_t owner = rc ? SIZE_MAX : phrase_owner(m, norm->data);
    if (rc) {
        snprintf(err, MM_ERRLEN, "%s: longer than %d bytes", where, MM_MOOD_TEXT_MAX);
    } else if (!*norm->data || strcmp(norm->data, text) != 0) {
        snprintf(err, MM_ERRLEN, "%s: \"%s\" is not normalised text (expected \"%s\")", where, text,
                 norm->data);
        rc = MM_ECONFIG;
    } else if (owner != SIZE_MAX) {
        snprintf(err, MM_ERRLEN, "%s: \"%s\" already names the mood \"%s\"", where, text,
                 m->moods[owner].name);
        rc = MM_ECONFIG;
    } else {
        struct phrase *p = &m->phrases[m->n_phrases++];
        p->text = mm_arena_strdup(&m->arena, text);
        p->mood = i;
        p->words = mm_arena_alloc(&m->arena, count_words(p->text) * sizeof(struct word));
        p->n_words = content_words(p->text, p->words);
    }
    return rc ? MM_ECONFIG : MM_OK;
}

static bool constrains_any(const struct mm_features *t)
{
    bool any = false;
#define X(name) any = any || t->has_##name;
    MM_FEATURE_NAMES
#undef X
    return any;
}

static mm_err add_mood(struct mm_moods *m, const struct mm_mood_config *c, struct mm_buf *norm,
                       char err[MM_ERRLEN])
{
    size_t i = m->n, name = m->n_phrases;
    struct mm_mood *mood = &m->moods[i];
    char *where = mm_xasprintf("score.moods.%s", c->name);
    mm_err rc = add_phrase(m, i, c->name, where, norm, err);
    if (rc)
        goto out_free_where;
    if (!constrains_any(&c->target)) {
        snprintf(err, MM_ERRLEN, "%s: constrains no audio feature", where);
        rc = MM_ECONFIG;
        goto out_free_where;
    }
    const char **aliases = mm_arena_alloc(&m->arena, (c->n_aliases + 1) * sizeof(char *));
    for (size_t j = 0; j < c->n_aliases && !rc; j++) {
        char *at = mm_xasprintf("%s.aliases[%zu]", where, j);
        rc = add_phrase(m, i, c->aliases[j], at, norm, err);
        aliases[j] = rc ? NULL : m->phrases[m->n_phrases - 1].text;
        free(at);
    }
    if (rc)
        goto out_free_where;
    mood->name = m->phrases[name].text;
    mood->target = c->target;
    mood->target.present = true;
    mood->target.source = NULL;
    mood->aliases = aliases;
    mood->n_aliases = c->n_aliases;
    mood->index = i;
    m->n++;
out_free_where:
    free(where);
    return rc;
}

mm_err mm_moods_new(const struct mm_mood_config *moods, size_t n, const char *default_mood,
                    struct mm_moods **out, char err[MM_ERRLEN])
{
    struct mm_buf norm;
    mm_err rc = MM_OK;
    size_t n_phrases = 0;
    *out = NULL;
    if (n < 1 || n > MM_MOODS_MAX) {
        snprintf(err, MM_ERRLEN, "score.moods: expected 1..%d moods, got %zu", MM_MOODS_MAX, n);
        rc = MM_ECONFIG;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        n_phrases += 1 + moods[i].n_aliases;
    struct mm_moods *m = mm_xcalloc(1, sizeof(*m));
    mm_arena_init(&m->arena, 16384);
    m->moods = mm_xcalloc(n, sizeof(*m->moods));
    m->phrases = mm_xcalloc(n_phrases, sizeof(*m->phrases));
    mm_buf_init(&norm, NORM_MAX);
    for (size_t i = 0; i < n && !rc; i++)
        rc = add_mood(m, &moods[i], &norm, err);
    const struct mm_mood *def = rc ? NULL : mm_moods_find(m, default_mood ? default_mood : "");
    if (!rc && !def) {
        snprintf(err, MM_ERRLEN, "score.default_mood: \"%s\" is not a mood of score.moods",
                 default_mood ? default_mood : "");
        rc = MM_ECONFIG;
    }
    mm_buf_cleanup(&norm);
    if (rc) {
        mm_moods_free(m);
        goto out;
    }
    m->def = def->index;
    *out = m;
out:
    return rc;
}

void mm_moods_free(struct mm_moods *m)
{
    if (m) {
        mm_arena_cleanup(&m->arena);
        free(m->phrases);
        free(m->moods);
        free(m);
    }
}

size_t mm_moods_count(const struct mm_moods *m)
{
    return m->n;
}

const struct mm_mood *mm_moods_at(const struct mm_moods *m, size_t i)
{
    MM_ASSERT(i < m->n);
    return &m->moods[i];
}

const struct mm_mood *mm_moods_find(const struct mm_moods *m, const char *name)
{
    const struct mm_mood *found = NULL;
    for (size_t i = 0; i < m->n && !found; i++)
        if (strcmp(m->moods[i].name, name) == 0)
            found = &m->moods[i];
    return found;
}

/* --- mapping free text --- */

/* The phrase sharing the most content words with the query, or NULL. */
static const struct phrase *best_by_words(const struct mm_moods *m, const struct word *q, size_t nq)
{
    const struct phrase *best = NULL;
    size_t best_hits = 0;
    double best_cover = 0;
    for (size_t i = 0; i < m->n_phrases; i++) {
        const struct phrase *p = &m->phrases[i];
        size_t hits = 0;
        for (size_t w = 0; w < p->n_words; w++) {
            bool hit = false;
            for (size_t k = 0; k < nq && !hit; k++)
                hit = words_match(&p->words[w], &q[k]);
            hits += hit;
        }
        double cover = hits ? (double)hits / (double)p->n_words : 0;
        if (hits > best_hits || (hits > 0 && hits == best_hits && cover > best_cover)) {
            best = p;
            best_hits = hits;
            best_cover = cover;
        }
    }
    return best;
}

const struct mm_mood *mm_moods_map(const struct mm_moods *m, const char *s, size_t len,
                                   enum mm_mood_match *how)
{
    struct mm_buf norm;
    enum mm_mood_match kind = MM_MOOD_DEFAULT;
    size_t mood = m->def;
    mm_buf_init(&norm, NORM_MAX);
    if (!s || normalize(s, len < MM_MOOD_TEXT_MAX ? len : MM_MOOD_TEXT_MAX, &norm) != MM_OK ||
        !*norm.data)
        goto out;
    for (size_t i = 0; i < m->n_phrases && kind == MM_MOOD_DEFAULT; i++) {
        if (strcmp(m->phrases[i].text, norm.data) == 0) {
            kind = MM_MOOD_EXACT;
            mood = m->phrases[i].mood;
        }
    }
    if (kind == MM_MOOD_DEFAULT) {
        struct word *q = mm_xmalloc(count_words(norm.data) * sizeof(*q));
        const struct phrase *p = best_by_words(m, q, content_words(norm.data, q));
        if (p) {
            kind = MM_MOOD_WORDS;
            mood = p->mood;
        }
        free(q);
    }
out:
    mm_buf_cleanup(&norm);
    if (how)
        *how = kind;
    return &m->moods[mood];
}

const char *mm_moods_match_name(enum mm_mood_match how)
{
    return how == MM_MOOD_EXACT ? "exact" : how == MM_MOOD_WORDS ? "words" : "default";
}

/* --- fit --- */

/* A feature on the 0–1 scale. */
static double scaled(int feature, double v)
{
    double x = feature == F_tempo ? v / 200.0 : feature == F_loudness ? (v + 60.0) / 60.0 : v;
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

bool mm_moods_fit(const struct mm_mood *mood, const struct mm_features *f, double *fit)
{
    const struct mm_features *t = &mood->target;
    double sum = 0;
    int n = 0, common = 0;
    if (!f || !f->present)
        goto out;
#define X(name)                                                                                    \
    if (t->has_##name) {                                                                           \
        double d = 0.5;                                                                            \
        if (f->has_##name) {                                                                       \
            d = fabs(scaled(F_##name, f->name) - scaled(F_##name, t->name));                       \
            common++;                                                                              \
        }                                                                                          \
        sum += d * d;                                                                              \
        n++;                                                                                       \
    }
    MM_FEATURE_NAMES
#undef X
    if (common > 0)
        *fit = 1.0 - sqrt(sum / n);
out:
    return common > 0;
}

/* --- documentation --- */

mm_err mm_moods_doc_markdown(const struct mm_moods *m, struct mm_buf *out)
{
    size_t start = out->len;
    mm_err err = mm_buf_appends(out, "| mood |");
#define X(name) err = err ? err : mm_buf_appends(out, " " #name " |");
    MM_FEATURE_NAMES
#undef X
    err = err ? err : mm_buf_appends(out, " aliases |\n|---|");
#define X(name) err = err ? err : mm_buf_appends(out, "---|");
    MM_FEATURE_NAMES
#undef X
    err = err ? err : mm_buf_appends(out, "---|\n");
    for (size_t i = 0; i < m->n && !err; i++) {
        const struct mm_mood *mood = &m->moods[i];
        const struct mm_features *t = &mood->target;
        err = mm_buf_printf(out, "| %s |", mood->name);
#define X(name)                                                                                    \
    err = err             ? err                                                                    \
          : t->has_##name ? mm_buf_printf(out, " %g |", t->name)                                   \
                          : mm_buf_appends(out, " |");
        MM_FEATURE_NAMES
#undef X
        for (size_t j = 0; j < mood->n_aliases && !err; j++)
            err = mm_buf_printf(out, "%s%s", j ? ", " : " ", mood->aliases[j]);
        err = err ? err : mm_buf_appends(out, " |\n");
    }
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}
