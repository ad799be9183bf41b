/*
 * ingest_jsonl.c — JSONL sources: one request object per line, its songs
 * nested in `songs: [...]`, plain or gzip-compressed (zlib's gzread reads
 * both, telling them apart by content).
 *
 * Lines are read in 64 KiB chunks into a buffer capped at max_field_bytes; a
 * longer line keeps only its first bytes (for the reject's excerpt) and the
 * rest is skipped up to its newline. A gzip stream that is damaged or ends
 * early is reported after the lines read before the damage, so those are
 * still ingested.
 *
 * Values: JSON null or an absent key is NULL; strings are text; numbers and
 * booleans are validated from their JSON text; emojis, gemini_analysis and
 * matched_criteria may be JSON values or strings holding JSON text.
 */
#include "pipeline/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/config.h"

#define CHUNK (64 * 1024)

struct mm__ingest_jsonl {
    gzFile gz;
    unsigned char *chunk;
    size_t chunk_len, chunk_pos;
    bool eof;
    mm_err error; /* found at the end of the stream, reported after the last line */
    char error_text[MM_ERRLEN];
    struct mm_buf line; /* capped at max_line_bytes */
    bool too_long, handed;
    uint64_t next_line; /* number of the line being assembled */
};

mm_err mm__ingest_jsonl_open(const char *path, size_t max_line_bytes, struct mm__ingest_jsonl **out,
                             char err[MM_ERRLEN])
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        int e = errno;
        snprintf(err, MM_ERRLEN, "%s: %s", path, e ? strerror(e) : "cannot open");
        return e == ENOENT ? MM_ENOTFOUND : MM_EIO;
    }
    gzbuffer(gz, 128 * 1024);
    struct mm__ingest_jsonl *r = mm_xcalloc(1, sizeof(*r));
    r->gz = gz;
    r->chunk = mm_xmalloc(CHUNK);
    r->next_line = 1;
    mm_buf_init(&r->line, max_line_bytes);
    *out = r;
    return MM_OK;
}

void mm__ingest_jsonl_close(struct mm__ingest_jsonl *r)
{
    if (!r)
        return;
    gzclose(r->gz);
    free(r->chunk);
    mm_buf_cleanup(&r->line);
    free(r);
}

uint64_t mm__ingest_jsonl_offset(const struct mm__ingest_jsonl *r)
{
    return (uint64_t)gzoffset(r->gz);
}

static void refill(struct mm__ingest_jsonl *r)
{
    int zerr = Z_OK;
    int n = gzread(r->gz, r->chunk, CHUNK);
    r->chunk_pos = 0;
    r->chunk_len = n > 0 ? (size_t)n : 0;
    if (n > 0)
        return;
    r->eof = true;
    const char *msg = gzerror(r->gz, &zerr);
    if (n < 0 || zerr != Z_OK) {
        r->error = MM_EIO;
        snprintf(r->error_text, sizeof(r->error_text),
                 "damaged or truncated gzip stream after line %llu: %s",
                 (unsigned long long)r->next_line - 1, zerr == Z_ERRNO ? strerror(errno) : msg);
    }
}

/* Appends to the line, keeping only what fits under the cap. */
static void append(struct mm__ingest_jsonl *r, const unsigned char *s, size_t n)
{
    if (r->too_long)
        return;
    if (mm_buf_append(&r->line, s, n) != MM_OK) {
        size_t room = r->line.max - r->line.len;
        r->too_long = true;
        (void)!mm_buf_append(&r->line, s, room);
    }
}

static bool blank(const struct mm_buf *b)
{
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] != ' ' && b->data[i] != '\t' && b->data[i] != '\r')
            return false;
    }
    return true;
}

/* Completes the line being assembled; false when it is blank. */
static bool finish_line(struct mm__ingest_jsonl *r, struct mm__ingest_line *out)
{
    out->line = r->next_line++;
    if (!r->too_long && blank(&r->line)) {
        mm_buf_reset(&r->line);
        return false;
    }
    if (!r->too_long && r->line.len && r->line.data[r->line.len - 1] == '\r')
        r->line.data[--r->line.len] = '\0';
    out->data = r->line.data ? r->line.data : "";
    out->len = r->line.len;
    out->too_long = r->too_long;
    r->handed = true;
    return true;
}

mm_err mm__ingest_jsonl_next(struct mm__ingest_jsonl *r, struct mm__ingest_line *out,
                             char err[MM_ERRLEN])
{
    if (r->handed) {
        mm_buf_reset(&r->line);
        r->too_long = r->handed = false;
    }
    for (;;) {
        if (r->chunk_pos == r->chunk_len) {
            if (!r->eof) {
                refill(r);
                continue;
            }
            if ((r->line.len || r->too_long) && finish_line(r, out))
                return MM_OK;
            if (r->error)
                snprintf(err, MM_ERRLEN, "%s", r->error_text);
            return r->error ? r->error : MM_ENOTFOUND;
        }
        const unsigned char *s = r->chunk + r->chunk_pos;
        size_t n = r->chunk_len - r->chunk_pos;
        const unsigned char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        append(r, s, len);
        r->chunk_pos += nl ? len + 1 : len;
        if (nl && finish_line(r, out))
            return MM_OK;
    }
}

/* --- lines to records --- */

/* The value of a JSON member (NULL for an absent key); numbers and booleans
 * become their JSON text, allocated in `a`. */
static struct mm__ingest_value value_of(const json_t *j, struct mm_arena *a)
{
    struct mm__ingest_value v = {.kind = MM__INGEST_TEXT};
    char num[40];
    switch (j ? json_typeof(j) : JSON_NULL) {
    case JSON_STRING:
        v.text = json_string_value(j);
        v.len = json_string_length(j);
        return v;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_REAL: snprintf(num, sizeof(num), "%.17g", json_real_value(j)); break;
    case JSON_TRUE: snprintf(num, sizeof(num), "true"); break;
    case JSON_FALSE: snprintf(num, sizeof(num), "false"); break;
    case JSON_NULL: return (struct mm__ingest_value){.kind = MM__INGEST_NULL};
    default: return (struct mm__ingest_value){.kind = MM__INGEST_JSON, .json = j};
    }
    v.len = strlen(num);
    v.text = mm_arena_strndup(a, num, v.len);
    return v;
}

/* Adds `prefix``name` to the file's list of unknown keys once. */
static void note_unknown(struct mm__ingest_file *f, const char *prefix, const char *name)
{
    char *item = mm_xasprintf("%s%s", prefix, name);
    size_t n = strlen(item);
    const char *at = f->unknown.data;
    bool seen = false;
    while (at && !seen && (at = strstr(at, item)) != NULL) {
        seen = (at == f->unknown.data || at[-1] == ' ') && (at[n] == ',' || at[n] == '\0');
        at += n;
    }
    if (!seen && mm_buf_printf(&f->unknown, "%s%s", f->unknown.len ? ", " : "", item) != MM_OK)
        f->unknown.max = f->unknown.len;
    free(item);
}

/* Fills v[] from the members of `obj` named in `cols`; `songs` receives the
 * "songs" member when asked for. */
static void members(struct mm__ingest_file *f, const json_t *obj,
                    const struct mm__ingest_column *cols, int n_cols, struct mm__ingest_value *v,
                    const json_t **songs)
{
    const char *key;
    json_t *val;
    for (int i = 0; i < n_cols; i++)
        v[i] = (struct mm__ingest_value){.kind = MM__INGEST_NULL};
    json_object_foreach((json_t *)obj, key, val)
    {
        int i = 0;
        while (i < n_cols && strcmp(cols[i].name, key) != 0)
            i++;
        if (i < n_cols)
            v[i] = value_of(val, &f->in->arena);
        else if (songs && strcmp(key, "songs") == 0)
            *songs = val;
        else
            note_unknown(f, songs ? "" : "songs[].", key);
    }
}

/* An id from its value without validating the rest (0 when it is not one). */
static uint64_t quick_id(const struct mm__ingest_value *v)
{
    uint64_t id = 0;
    if (v->kind != MM__INGEST_TEXT || mm__ingest_parse_id(v->text, v->len, &id) != MM_OK)
        return 0;
    return id;
}

static mm_err jsonl_song(struct mm__ingest_file *f, const json_t *obj, uint64_t parent,
                         uint64_t line)
{
    struct mm__ingest *in = f->in;
    struct mm__ingest_value v[MM__SG_N];
    struct mm__ingest_problem why;
    struct mm_song s;
    char excerpt[MM__INGEST_EXCERPT], where[96];
    bool normalised;
    size_t excerpt_len = json_dumpb(obj, excerpt, sizeof(excerpt), JSON_COMPACT | JSON_ENCODE_ANY);
    excerpt_len = excerpt_len < sizeof(excerpt) ? excerpt_len : sizeof(excerpt);
    f->c.read++;
    if (!json_is_object(obj)) {
        snprintf(where, sizeof(where), "$.songs[%zu]", f->song_index);
        return mm__ingest_reject(f, line, where, "", "expected a JSON object", excerpt,
                                 excerpt_len);
    }
    members(f, obj, mm__ingest_song_cols, MM__SG_N, v, NULL);
    uint64_t id = quick_id(&v[MM__SG_ID]);
    if (id && id <= in->skip_songs) {
        f->c.below_watermark++;
        f->c.duplicates++;
        return MM_OK;
    }
    mm_err err = mm__ingest_song_parse(v, parent, &in->lim, &in->arena, &s, &normalised, &why);
    if (!err && s.request_id != parent) {
        why.col = MM__SG_REQUEST_ID;
        snprintf(why.reason, sizeof(why.reason),
                 "request_id %llu differs from the id of the request it is nested in",
                 (unsigned long long)s.request_id);
        err = MM_EPARSE;
    }
    if (err) {
        mm__ingest_where(f, true, why.col, where);
        return mm__ingest_reject(f, line, where, mm__ingest_song_cols[why.col].name, why.reason,
                                 excerpt, excerpt_len);
    }
    return mm__ingest_add_song(f, &s, normalised, line, excerpt, excerpt_len);
}

static mm_err jsonl_request(struct mm__ingest_file *f, const struct mm__ingest_value *v,
                            const struct mm__ingest_line *line)
{
    struct mm__ingest *in = f->in;
    struct mm__ingest_problem why;
    struct mm_request r;
    char where[96];
    bool normalised;
    size_t excerpt_len = line->len < MM__INGEST_EXCERPT ? line->len : MM__INGEST_EXCERPT;
    f->c.read++;
    uint64_t id = quick_id(&v[MM__RQ_ID]);
    if (id && id <= in->skip_requests) {
        f->c.below_watermark++;
        f->c.duplicates++;
        return MM_OK;
    }
    mm_err err = mm__ingest_request_parse(v, &in->lim, &in->arena, &r, &normalised, &why);
    if (err) {
        mm__ingest_where(f, false, why.col, where);
        return mm__ingest_reject(f, line->line, where, mm__ingest_request_cols[why.col].name,
                                 why.reason, line->data, excerpt_len);
    }
    return mm__ingest_add_request(f, &r, normalised, line->line, line->data, excerpt_len);
}

/* Rejects the whole line as one record. */
static mm_err reject_line(struct mm__ingest_file *f, const struct mm__ingest_line *line,
                          const char *where, const char *reason)
{
    size_t excerpt_len = line->len < MM__INGEST_EXCERPT ? line->len : MM__INGEST_EXCERPT;
    f->c.read++;
    return mm__ingest_reject(f, line->line, where, "", reason, line->data, excerpt_len);
}

mm_err mm__ingest_jsonl_record(struct mm__ingest_file *f, const struct mm__ingest_line *line)
{
    const struct mm_config *cfg = f->in->ctx->cfg;
    struct mm__ingest_value v[MM__RQ_N];
    const json_t *songs = NULL, *song;
    char reason[MM__INGEST_REASON_MAX];
    json_error_t e;
    size_t i;
    if (line->too_long) {
        snprintf(reason, sizeof(reason), "line longer than ingest.max_field_bytes (%d bytes)",
                 cfg->ingest.max_field_bytes);
        return reject_line(f, line, "$", reason);
    }
    json_t *root = json_loadb(line->data, line->len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        snprintf(reason, sizeof(reason), "invalid JSON at column %d: %s", e.column, e.text);
        return reject_line(f, line, "$", reason);
    }
    mm_err err = MM_OK;
    if (!json_is_object(root)) {
        err = reject_line(f, line, "$", "expected a JSON object");
        goto out_decref;
    }
    members(f, root, mm__ingest_request_cols, MM__RQ_N, v, &songs);
    if (songs && !json_is_array(songs) && !json_is_null(songs)) {
        err = reject_line(f, line, "$.songs", "songs: expected a JSON array");
        goto out_decref;
    }
    if (json_array_size(songs) > (size_t)cfg->ingest.max_songs_per_request) {
        snprintf(reason, sizeof(reason), "%zu songs, more than ingest.max_songs_per_request (%d)",
                 json_array_size(songs), cfg->ingest.max_songs_per_request);
        err = reject_line(f, line, "$.songs", reason);
        goto out_decref;
    }
    err = jsonl_request(f, v, line);
    uint64_t parent = quick_id(&v[MM__RQ_ID]);
    json_array_foreach(songs, i, song)
    {
        if (err)
            break;
        f->song_index = i;
        err = jsonl_song(f, song, parent, line->line);
    }
out_decref:
    json_decref(root);
    return err;
}
