/*
 * ingest_json.c — the JSON columns of the app's tables: emojis and
 * matched_criteria (arrays of strings) and gemini_analysis (an object kept
 * whole as compact JSON, with its mood and matched_criteria).
 *
 * The usual shapes need no parser: NULL or empty text, flat arrays of plain
 * strings (no escapes), and analysis objects whose values are plain strings
 * or such arrays. Those are read here directly, producing byte for byte
 * what jansson would (tests/pipeline/test_ingest_fields.c holds both paths
 * to it); anything else goes through jansson, which also words the error
 * when the text is not JSON.
 */
#include "pipeline/ingest.h"

#include <string.h>

#include "common/text.h"

/* Deepest nesting accepted in gemini_analysis (the snapshot encoder's bound
 * is deeper: a stored analysis always fits a snapshot). */
#define MAX_ANALYSIS_DEPTH 32
/* Items the no-parser path of string arrays handles; longer arrays use jansson. */
#define FAST_ITEMS 64

const char *mm__ingest_json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the plain JSON string at p (no escapes, no control
 * characters, valid UTF-8), or NULL when p holds anything else. */
static const char *plain_string(const char *p, const char *end)
{
    if (p == end || *p != '"')
        return NULL;
    const char *q = ++p;
    while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q == end || *q != '"' || !mm_text_utf8_valid(p, (size_t)(q - p)))
        return NULL;
    return q + 1;
}

/* A flat array of up to FAST_ITEMS plain strings at p: the end, or NULL.
 * item[i] points at the opening quote, len[i] counts both quotes. */
static const char *plain_array(const char *p, const char *end, const char **item, size_t *len,
                               size_t *n)
{
    *n = 0;
    if (p == end || *p != '[')
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']')
        return p + 1;
    for (;;) {
        const char *q = *n < FAST_ITEMS ? plain_string(p, end) : NULL;
        if (!q)
            return NULL;
        item[*n] = p;
        len[(*n)++] = (size_t)(q - p);
        p = skip_ws(q, end);
        if (p < end && *p == ']')
            return p + 1;
        if (p == end || *p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

/* Copies the strings of a plain array (without their quotes) to the arena. */
static char **copy_items(struct mm_arena *a, const char *const *item, const size_t *len, size_t n)
{
    char **out = mm_arena_alloc(a, (n ? n : 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out[i] = mm_arena_strndup(a, item[i] + 1, len[i] - 2);
    return out;
}

/* A flat array of plain strings without jansson; false for any other text
 * (jansson then parses it and words the error when it is not JSON). */
static bool fast_strings(const char *s, size_t len, struct mm_arena *a, char ***items, size_t *n)
{
    const char *item[FAST_ITEMS], *end = s + len;
    size_t lens[FAST_ITEMS];
    const char *p = plain_array(skip_ws(s, end), end, item, lens, n);
    if (!p || skip_ws(p, end) != end)
        return false;
    *items = copy_items(a, item, lens, *n);
    return true;
}

/* Appends `len` bytes at *o. */
static void put(char **o, const char *s, size_t len)
{
    memcpy(*o, s, len);
    *o += len;
}

/* One member value of a plain analysis object: a plain string or a flat
 * array of them, written compactly at *o. NULL when it is anything else. */
static const char *fast_member(const char *p, const char *end, const char *key, size_t key_len,
                               struct mm_arena *a, struct mm_analysis *an, char **o)
{
    const char *item[FAST_ITEMS];
    size_t lens[FAST_ITEMS], n;
    const char *q = plain_string(p, end);
    bool mood = key_len == 6 && memcmp(key, "\"mood\"", 6) == 0;
    if (q) {
        put(o, p, (size_t)(q - p));
        if (mood)
            an->mood = mm_arena_strndup(a, p + 1, (size_t)(q - p) - 2);
        return q;
    }
    q = plain_array(p, end, item, lens, &n);
    if (!q)
        return NULL;
    put(o, "[", 1);
    for (size_t i = 0; i < n; i++) {
        put(o, ",", i > 0);
        put(o, item[i], lens[i]);
    }
    put(o, "]", 1);
    if (key_len == 18 && memcmp(key, "\"matched_criteria\"", 18) == 0) {
        an->matched_criteria = copy_items(a, item, lens, n);
        an->n_matched_criteria = n;
    }
    return q;
}

/* gemini_analysis in its usual shape — an object whose values are plain
 * strings or flat arrays of them, keys not repeated — without jansson. The
 * raw text is byte for byte what jansson's compact dump would give. */
static bool fast_analysis(const char *s, size_t len, struct mm_arena *a, struct mm_analysis **out)
{
    const char *end = s + len, *p = skip_ws(s, end), *keys[8];
    size_t key_lens[8], n_keys = 0;
    struct mm_analysis *an = mm_arena_alloc(a, sizeof(*an));
    char *raw = mm_arena_alloc(a, len + 1), *o = raw;
    memset(an, 0, sizeof(*an));
    if (p == end || *p != '{')
        return false;
    put(&o, "{", 1);
    p = skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        const char *q = plain_string(p, end);
        if (!q || n_keys == 8)
            return false;
        keys[n_keys] = p;
        key_lens[n_keys] = (size_t)(q - p);
        for (size_t i = 0; i < n_keys; i++) {
            if (key_lens[i] == key_lens[n_keys] && memcmp(keys[i], p, key_lens[i]) == 0)
                return false;
        }
        put(&o, ",", n_keys > 0);
        put(&o, p, key_lens[n_keys]);
        put(&o, ":", 1);
        p = skip_ws(q, end);
        if (p == end || *p != ':')
            return false;
        p = fast_member(skip_ws(p + 1, end), end, keys[n_keys], key_lens[n_keys], a, an, &o);
        if (!p)
            return false;
        n_keys++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            if (p == end || *p != '"')
                return false;
        } else if (p == end || *p != '}') {
            return false;
        }
    }
    if (p == end || skip_ws(p + 1, end) != end)
        return false;
    put(&o, "}", 1);
    *o = '\0';
    an->raw = raw;
    if (!an->matched_criteria)
        an->matched_criteria = mm_arena_alloc(a, sizeof(char *));
    *out = an;
    return true;
}

/* Parses a JSON column. *j is NULL for NULL, "" and JSON null; otherwise a
 * new reference the caller releases with json_decref(). */
static mm_err load_json(const struct mm__ingest_value *v, int col, const char *name, json_t **j,
                        struct mm__ingest_problem *why)
{
    *j = NULL;
    if (v->kind == MM__INGEST_JSON) {
        *j = json_incref((json_t *)v->json);
        return MM_OK;
    }
    if (v->kind == MM__INGEST_NULL || v->len == 0)
        return MM_OK;
    json_error_t e;
    *j = json_loadb(v->text, v->len, JSON_DECODE_ANY, &e);
    if (!*j) {
        if (e.line > 1)
            return mm__ingest_fail(why, col, "%s: invalid JSON at line %d, column %d: %s", name,
                                   e.line, e.column, e.text);
        return mm__ingest_fail(why, col, "%s: invalid JSON at column %d: %s", name, e.column,
                               e.text);
    }
    if (json_is_null(*j)) {
        json_decref(*j);
        *j = NULL;
    }
    return MM_OK;
}

/* An array of strings; *has false for NULL. Items are copied to the arena. */
mm_err mm__ingest_json_strings(const struct mm__ingest_value *v, int col, const char *name,
                               struct mm_arena *a, char ***items, size_t *n, bool *has,
                               struct mm__ingest_problem *why)
{
    *items = NULL;
    *n = 0;
    *has = v->kind != MM__INGEST_NULL;
    if (v->kind == MM__INGEST_TEXT && fast_strings(v->text, v->len, a, items, n))
        return MM_OK;
    json_t *j;
    mm_err err = load_json(v, col, name, &j, why);
    if (err || !j) {
        *has = false;
        return err;
    }
    if (!json_is_array(j)) {
        err = mm__ingest_fail(why, col, "%s: expected a JSON array of strings, got %s", name,
                              mm__ingest_json_kind(j));
        goto out_decref;
    }
    size_t i, count = json_array_size(j);
    json_t *item;
    *items = mm_arena_alloc(a, (count ? count : 1) * sizeof(char *));
    json_array_foreach(j, i, item)
    {
        if (!json_is_string(item)) {
            err = mm__ingest_fail(why, col, "%s[%zu]: expected a string, got %s", name, i,
                                  mm__ingest_json_kind(item));
            goto out_decref;
        }
        (*items)[i] = mm_arena_strndup(a, json_string_value(item), json_string_length(item));
    }
    *n = count;
out_decref:
    json_decref(j);
    return err;
}

/* Trims items, drops empty ones and repeats, keeps the first max_emojis. */
static int depth(const json_t *j)
{
    const char *key;
    json_t *val;
    size_t i;
    int d = 0, sub;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, val)
        {
            if ((sub = depth(val)) > d && (d = sub) > MAX_ANALYSIS_DEPTH)
                break;
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, val)
        {
            if ((sub = depth(val)) > d && (d = sub) > MAX_ANALYSIS_DEPTH)
                break;
        }
    } else {
        return 0;
    }
    return d + 1;
}

/* gemini_analysis: an object kept as compact JSON, plus its mood and the
 * string items of its matched_criteria. */
mm_err mm__ingest_json_analysis(const struct mm__ingest_value *v, struct mm_arena *a,
                                struct mm_analysis **out, struct mm__ingest_problem *why)
{
    const int col = MM__RQ_ANALYSIS;
    json_t *j;
    *out = NULL;
    if (v->kind == MM__INGEST_TEXT && fast_analysis(v->text, v->len, a, out))
        return MM_OK;
    mm_err err = load_json(v, col, "gemini_analysis", &j, why);
    if (err || !j)
        return err;
    if (!json_is_object(j)) {
        err = mm__ingest_fail(why, col, "gemini_analysis: expected a JSON object, got %s",
                              mm__ingest_json_kind(j));
        goto out_decref;
    }
    if (depth(j) > MAX_ANALYSIS_DEPTH) {
        err = mm__ingest_fail(why, col, "gemini_analysis: nested deeper than %d levels",
                              MAX_ANALYSIS_DEPTH);
        goto out_decref;
    }
    struct mm_analysis *an = mm_arena_alloc(a, sizeof(*an));
    char small[1024];
    size_t size = json_dumpb(j, small, sizeof(small), JSON_COMPACT);
    an->raw = mm_arena_alloc(a, size + 1);
    if (size <= sizeof(small))
        memcpy(an->raw, small, size);
    else
        json_dumpb(j, an->raw, size, JSON_COMPACT);
    an->raw[size] = '\0';
    json_t *mood = json_object_get(j, "mood");
    an->mood = json_is_string(mood) ? mm_arena_strdup(a, json_string_value(mood)) : NULL;
    json_t *mc = json_object_get(j, "matched_criteria"), *item;
    size_t i;
    an->matched_criteria = mm_arena_alloc(a, (json_array_size(mc) + 1) * sizeof(char *));
    an->n_matched_criteria = 0;
    json_array_foreach(mc, i, item)
    {
        if (json_is_string(item))
            an->matched_criteria[an->n_matched_criteria++] =
                mm_arena_strdup(a, json_string_value(item));
    }
    *out = an;
out_decref:
    json_decref(j);
    return err;
}
