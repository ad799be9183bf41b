/*
 * ingest_csv.c — a streaming RFC 4180 reader over libcsv that knows where
 * each record starts and never buffers a field beyond the cap.
 *
 * The file, plain or gzip (zlib's gzread tells them apart by content), is
 * read in 64 KiB chunks and handed to libcsv one physical line at a time (a
 * bare CR also ends a piece), so at most one record ends per piece and the
 * reader always knows the line it is on. Options: empty unquoted fields are
 * reported as NULL (CSV_EMPTY_IS_NULL: a quoted "" stays an empty string, as
 * in PostgreSQL's CSV), and no character counts as white space, so spaces
 * around and inside fields are kept.
 *
 * Field cap: a piece is never longer than what the field being built may
 * still grow by, so libcsv's buffer (entry_pos, a public member of struct
 * csv_parser) holds at most cap + 2 bytes (the field, plus a closing quote
 * libcsv keeps until it sees what follows). Past that the field is
 * oversize: its bytes are dropped after every piece by setting entry_pos
 * back to 1 (one byte stays: libcsv removes a pending closing quote by
 * decrementing it), and the record comes back marked oversize; the next
 * record is read normally.
 */
#include "pipeline/ingest.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK (64 * 1024)

struct pos {
    size_t off, len;
    bool null, kept;
};

struct mm__ingest_csv {
    gzFile gz;
    struct csv_parser p;
    size_t cap; /* max_field_bytes */
    unsigned char *chunk;
    size_t chunk_len, chunk_pos;
    uint64_t line; /* line of the next byte */
    bool started, eof;
    bool *keep; /* NULL: keep every column */
    size_t n_keep;
    /* the record being assembled */
    bool in_record, ready;
    uint64_t rec_line;
    size_t n_fields, oversize_col;
    struct mm_buf data; /* kept fields, each followed by a NUL */
    struct pos pos[MM__INGEST_CSV_MAX_COLUMNS];
    struct mm__ingest_field fields[MM__INGEST_CSV_MAX_COLUMNS];
    char excerpt[MM__INGEST_EXCERPT];
    size_t excerpt_len;
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static bool kept(const struct mm__ingest_csv *r, size_t col)
{
    return col < MM__INGEST_CSV_MAX_COLUMNS && (!r->keep || (col < r->n_keep && r->keep[col]));
}

static void on_field(void *s, size_t len, void *data)
{
    struct mm__ingest_csv *r = data;
    size_t col = r->n_fields++;
    if (len > r->cap && !r->oversize_col)
        r->oversize_col = col + 1;
    if (col >= MM__INGEST_CSV_MAX_COLUMNS)
        return;
    struct pos *p = &r->pos[col];
    p->null = s == NULL;
    p->kept = kept(r, col) && col + 1 != r->oversize_col && s && len <= r->cap;
    p->off = r->data.len;
    p->len = len;
    /* With its NUL (CSV_APPEND_NULL). Cannot fail: a kept field is within the
     * cap and the buffer's cap holds every kept column at its largest. */
    if (p->kept && mm_buf_append(&r->data, s, len + 1) != MM_OK)
        MM_ASSERT(!"CSV record buffer cap too small");
}

static void on_row(int c, void *data)
{
    (void)c;
    struct mm__ingest_csv *r = data;
    r->ready = true;
    r->in_record = false;
}

static void data_cap(struct mm__ingest_csv *r)
{
    size_t n = 0;
    for (size_t i = 0; i < MM__INGEST_CSV_MAX_COLUMNS; i++)
        n += kept(r, i);
    mm_buf_cleanup(&r->data);
    mm_buf_init(&r->data, n * (r->cap + 1));
}

mm_err mm__ingest_csv_open(const char *path, size_t max_field_bytes, struct mm__ingest_csv **out,
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
    struct mm__ingest_csv *r = mm_xcalloc(1, sizeof(*r));
    r->gz = gz;
    r->cap = max_field_bytes;
    r->chunk = mm_xmalloc(CHUNK);
    r->line = 1;
    csv_init(&r->p, CSV_EMPTY_IS_NULL | CSV_APPEND_NULL);
    csv_set_space_func(&r->p, no_space);
    csv_set_realloc_func(&r->p, mm_xrealloc);
    csv_set_free_func(&r->p, free);
    csv_set_blk_size(&r->p, 4096);
    data_cap(r);
    *out = r;
    return MM_OK;
}

void mm__ingest_csv_close(struct mm__ingest_csv *r)
{
    if (!r)
        return;
    csv_free(&r->p);
    gzclose(r->gz);
    free(r->chunk);
    free(r->keep);
    mm_buf_cleanup(&r->data);
    free(r);
}

void mm__ingest_csv_keep(struct mm__ingest_csv *r, const bool *keep, size_t n)
{
    free(r->keep);
    r->keep = mm_xmalloc((n ? n : 1) * sizeof(bool));
    memcpy(r->keep, keep, n * sizeof(bool));
    r->n_keep = n;
    data_cap(r);
}

uint64_t mm__ingest_csv_offset(const struct mm__ingest_csv *r)
{
    return (uint64_t)gzoffset(r->gz);
}

/* Refills the chunk; skips a UTF-8 BOM at the start of the file. A read
 * error or a damaged gzip stream is MM_EIO. */
static mm_err refill(struct mm__ingest_csv *r, char err[MM_ERRLEN])
{
    int zerr = Z_OK;
    int n = gzread(r->gz, r->chunk, CHUNK);
    r->chunk_pos = 0;
    r->chunk_len = n > 0 ? (size_t)n : 0;
    if (n <= 0) {
        const char *msg = gzerror(r->gz, &zerr);
        if (n < 0 || zerr != Z_OK) {
            snprintf(err, MM_ERRLEN, "read error or damaged gzip stream at line %llu: %s",
                     (unsigned long long)r->line, zerr == Z_ERRNO ? strerror(errno) : msg);
            return MM_EIO;
        }
        r->eof = true;
    }
    if (!r->started && r->chunk_len >= 3 && memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0)
        r->chunk_pos = 3;
    r->started = true;
    return MM_OK;
}

static void reset_record(struct mm__ingest_csv *r)
{
    r->ready = false;
    r->n_fields = r->oversize_col = 0;
    r->excerpt_len = 0;
    mm_buf_reset(&r->data);
}

/* Length of the next piece: up to and including the next LF, or a bare CR,
 * and no longer than the current field may still grow. */
static size_t piece_len(const struct mm__ingest_csv *r)
{
    const unsigned char *s = r->chunk + r->chunk_pos;
    size_t n = r->chunk_len - r->chunk_pos;
    const unsigned char *lf = memchr(s, '\n', n);
    size_t len = lf ? (size_t)(lf - s) + 1 : n;
    const unsigned char *cr = memchr(s, '\r', len);
    if (cr && (size_t)(cr - s) + 1 < len && cr[1] != '\n')
        len = (size_t)(cr - s) + 1;
    size_t room = r->cap + 2 - (r->p.entry_pos <= r->cap ? r->p.entry_pos : r->cap + 1);
    return len < room ? len : room;
}

/* Feeds one piece of the chunk to libcsv. */
static void feed(struct mm__ingest_csv *r)
{
    const unsigned char *s = r->chunk + r->chunk_pos;
    if (!r->in_record) {
        /* Line ends between records: libcsv skips them, the reader counts them. */
        while (r->chunk_pos < r->chunk_len && (*s == '\n' || *s == '\r')) {
            r->line += *s == '\n';
            r->chunk_pos++, s++;
        }
        if (r->chunk_pos == r->chunk_len)
            return;
        reset_record(r);
        r->in_record = true;
        r->rec_line = r->line;
    }
    size_t len = piece_len(r);
    size_t take = MM__INGEST_EXCERPT - r->excerpt_len;
    memcpy(r->excerpt + r->excerpt_len, s, take < len ? take : len);
    r->excerpt_len += take < len ? take : len;
    csv_parse(&r->p, s, len, on_field, on_row, r);
    r->chunk_pos += len;
    r->line += s[len - 1] == '\n';
    if (r->in_record && r->p.entry_pos > r->cap + 1) {
        if (!r->oversize_col)
            r->oversize_col = r->n_fields + 1;
        r->p.entry_pos = 1;
    }
}

static void hand_out(struct mm__ingest_csv *r, struct mm__ingest_csv_record *out)
{
    size_t n = r->n_fields < MM__INGEST_CSV_MAX_COLUMNS ? r->n_fields : MM__INGEST_CSV_MAX_COLUMNS;
    for (size_t i = 0; i < n; i++) {
        const struct pos *p = &r->pos[i];
        r->fields[i].data = p->kept ? r->data.data + p->off : NULL;
        r->fields[i].len = p->kept ? p->len : 0;
        r->fields[i].null = p->null;
    }
    out->line = r->rec_line;
    out->n_fields = r->n_fields;
    out->fields = r->fields;
    out->oversize_col = r->oversize_col;
    out->unterminated = false;
    out->excerpt = r->excerpt;
    out->excerpt_len = r->excerpt_len;
    while (out->excerpt_len &&
           (r->excerpt[out->excerpt_len - 1] == '\n' || r->excerpt[out->excerpt_len - 1] == '\r'))
        out->excerpt_len--;
    r->ready = false;
}

mm_err mm__ingest_csv_next(struct mm__ingest_csv *r, struct mm__ingest_csv_record *out,
                           char err[MM_ERRLEN])
{
    while (!r->ready) {
        if (r->chunk_pos == r->chunk_len && !r->eof) {
            mm_err e = refill(r, err);
            if (e)
                return e;
            continue;
        }
        if (r->chunk_pos < r->chunk_len) {
            feed(r);
            continue;
        }
        if (!r->in_record)
            return MM_ENOTFOUND;
        /* The file ends inside a record: a newline ends it, unless a quoted
         * field is still open. */
        csv_parse(&r->p, "\n", 1, on_field, on_row, r);
        bool unterminated = !r->ready;
        if (unterminated)
            csv_fini(&r->p, on_field, on_row, r);
        hand_out(r, out);
        out->unterminated = unterminated;
        return MM_OK;
    }
    hand_out(r, out);
    return MM_OK;
}
