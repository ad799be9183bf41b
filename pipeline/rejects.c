/*
 * rejects.c — the run's rejects.csv: one row per rejected input record,
 * written with RFC 4180 quoting so that any CSV reader gets the fields back.
 *
 * Rows are buffered and written with pwrite at the offset the writer tracks;
 * mm__ingest_rejects_sync() makes them durable before the stage commits the
 * batch they belong to, and a resumed run cuts the file back to the size its
 * checkpoint recorded, so no row is ever lost or written twice.
 */
#include "pipeline/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"

#define HEADER "source,file,line,column,field,reason,excerpt\n"
/* Buffered bytes that trigger a write; the buffer's hard cap. */
#define FLUSH_AT (64 * 1024)
#define BUF_CAP (1024 * 1024)

struct mm__ingest_rejects {
    int fd;
    char *path;
    uint64_t size;     /* bytes written to the file */
    uint64_t synced;   /* size at the last fsync */
    struct mm_buf buf; /* rows not written yet */
};

uint64_t mm__ingest_rejects_header_size(void)
{
    return sizeof(HEADER) - 1;
}

static mm_err sys_fail(const struct mm__ingest_rejects *r, const char *what)
{
    int e = errno;
    mm_log_error("rejects %s: %s: %s", r->path, what, strerror(e));
    return e == ENOENT ? MM_EIO : mm_err_from_errno(e);
}

static mm_err write_all(struct mm__ingest_rejects *r, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = pwrite(r->fd, data, len, (off_t)r->size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sys_fail(r, "write");
        data += n;
        len -= (size_t)n;
        r->size += (uint64_t)n;
    }
    return MM_OK;
}

static mm_err write_out(struct mm__ingest_rejects *r)
{
    mm_err err = write_all(r, r->buf.data ? r->buf.data : "", r->buf.len);
    mm_buf_reset(&r->buf);
    return err;
}

mm_err mm__ingest_rejects_open(const char *reports_dir, const char *run_id, bool resume,
                               struct mm__ingest_rejects **out)
{
    char *dir = mm_xasprintf("%s/%s", reports_dir, run_id);
    struct mm__ingest_rejects *r = mm_xcalloc(1, sizeof(*r));
    r->path = mm_xasprintf("%s/rejects.csv", dir);
    r->fd = -1;
    mm_buf_init(&r->buf, BUF_CAP);
    char why[MM_ERRLEN];
    mm_err err = mm_fs_mkdir_p(dir, 0, why);
    if (err) {
        mm_log_error("rejects: %s", why);
        goto out_close;
    }
    r->fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        err = sys_fail(r, "open");
        goto out_close;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        err = sys_fail(r, "fstat");
        goto out_close;
    }
    r->size = (uint64_t)st.st_size;
    if (!resume || r->size < mm__ingest_rejects_header_size()) {
        if (ftruncate(r->fd, 0) != 0) {
            err = sys_fail(r, "truncate");
            goto out_close;
        }
        r->size = 0;
        err = write_all(r, HEADER, mm__ingest_rejects_header_size());
        if (err)
            goto out_close;
    }
    *out = r;
    goto out_free_dir;
out_close:
    mm__ingest_rejects_close(r);
out_free_dir:
    free(dir);
    return err;
}

void mm__ingest_rejects_close(struct mm__ingest_rejects *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    mm_buf_cleanup(&r->buf);
    free(r->path);
    free(r);
}

mm_err mm__ingest_rejects_truncate(struct mm__ingest_rejects *r, uint64_t size)
{
    mm_buf_reset(&r->buf);
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return sys_fail(r, "fstat");
    if ((uint64_t)st.st_size < size) {
        mm_log_warn("rejects %s: %llu bytes, shorter than the %llu its checkpoint recorded: "
                    "rows of the interrupted attempt are missing",
                    r->path, (unsigned long long)st.st_size, (unsigned long long)size);
        r->size = (uint64_t)st.st_size;
        return MM_OK;
    }
    if (ftruncate(r->fd, (off_t)size) != 0)
        return sys_fail(r, "truncate");
    r->size = size;
    r->synced = UINT64_MAX; /* the cut is made durable by the next sync */
    return MM_OK;
}

/* Appends one CSV field, quoted when it holds a comma, quote, CR or LF. */
static mm_err put_field(struct mm_buf *b, const char *s, size_t len, char sep)
{
    mm_err err = MM_OK;
    if (strcspn(s, ",\"\r\n") < len) {
        err = mm_buf_appendc(b, '"');
        for (size_t i = 0; i < len && !err; i++)
            err = s[i] == '"' ? mm_buf_append(b, "\"\"", 2) : mm_buf_appendc(b, s[i]);
        if (!err)
            err = mm_buf_appendc(b, '"');
    } else {
        err = mm_buf_append(b, s, len);
    }
    return err ? err : mm_buf_appendc(b, sep);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* The excerpt as text: valid UTF-8 (U+FFFD for bad bytes, a sequence cut by
 * the byte limit dropped), CR, LF and NUL written as \r, \n, \0. */
static void excerpt_text(const char *raw, size_t len, char out[MM__INGEST_EXCERPT * 3 + 1],
                         size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)raw;
    size_t o = 0, i = 0;
    if (len > MM__INGEST_EXCERPT)
        len = MM__INGEST_EXCERPT;
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);
        if (n == 0 && s[i] >= 0xC2 && len == MM__INGEST_EXCERPT && len - i < 4)
            break;
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\0') {
            out[o++] = '\\';
            out[o++] = s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : '0';
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    *out_len = o;
}

mm_err mm__ingest_rejects_add(struct mm__ingest_rejects *r, const struct mm__ingest_reject *row)
{
    char line[24], excerpt[MM__INGEST_EXCERPT * 3 + 1];
    size_t excerpt_len, mark = r->buf.len;
    snprintf(line, sizeof(line), "%llu", (unsigned long long)row->line);
    excerpt_text(row->excerpt ? row->excerpt : "", row->excerpt ? row->excerpt_len : 0, excerpt,
                 &excerpt_len);
    mm_err err = put_field(&r->buf, row->source, strlen(row->source), ',');
    if (!err)
        err = put_field(&r->buf, row->file, strlen(row->file), ',');
    if (!err)
        err = put_field(&r->buf, line, strlen(line), ',');
    if (!err)
        err = put_field(&r->buf, row->column, strlen(row->column), ',');
    if (!err)
        err = put_field(&r->buf, row->field, strlen(row->field), ',');
    if (!err)
        err = put_field(&r->buf, row->reason, strlen(row->reason), ',');
    if (!err)
        err = put_field(&r->buf, excerpt, excerpt_len, '\n');
    if (err) {
        r->buf.len = mark;
        mm_log_error("rejects %s: a row does not fit the %d-byte buffer", r->path, BUF_CAP);
        return err;
    }
    return r->buf.len >= FLUSH_AT ? write_out(r) : MM_OK;
}

mm_err mm__ingest_rejects_sync(struct mm__ingest_rejects *r, uint64_t *size)
{
    mm_err err = write_out(r);
    if (!err && r->size != r->synced && fsync(r->fd) != 0)
        err = sys_fail(r, "fsync");
    if (!err) {
        r->synced = r->size;
        *size = r->size;
    }
    return err;
}
