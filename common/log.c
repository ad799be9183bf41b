/*
 * log.c — JSON-lines logging with per-thread context and secret redaction.
 *
 * The sink (fd 2 or an O_APPEND file) and the secret values are shared state
 * behind a read-write lock: loggers hold it for reading while they redact and
 * write, so mm_log_open() can swap the sink without closing an fd under a
 * writer. The level is an atomic read on the fast path.
 */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/mem.h"

#define MSG_MAX (64 * 1024)      /* a longer message is truncated */
#define LINE_MAX_BYTES (1 << 20) /* a longer line is replaced by a note saying so */
#define CONTEXT_MAX 128          /* context values are truncated to fit */
#define SECRET_MIN_LEN 4         /* shorter values would redact ordinary text */
#define REDACTED "[REDACTED]"

static const char *const secret_names[] = {MM_SECRET_ENV_VARS};
#define N_SECRET_NAMES (sizeof(secret_names) / sizeof(secret_names[0]))

static const char *const level_names[] = {"debug", "info", "warn", "error"};

struct secret {
    char *text;
    size_t len;
};

static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_once_t secrets_once = PTHREAD_ONCE_INIT;
static int sink_fd = STDERR_FILENO;               /* guarded by sink_lock */
static struct secret secrets[2 * N_SECRET_NAMES]; /* guarded by sink_lock; longest first */
static size_t n_secrets;                          /* guarded by sink_lock */
static atomic_int min_level = MM_LOG_INFO;

static _Thread_local char ctx_run[CONTEXT_MAX];
static _Thread_local char ctx_stage[CONTEXT_MAX];
static _Thread_local char ctx_request[CONTEXT_MAX];

/* --- UTF-8 hygiene: jansson refuses invalid strings, a log line must not --- */

/* Length of the valid UTF-8 sequence at s (as jansson accepts it), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
    size_t n = 0;
    unsigned cp = 0;
    if (s[0] < 0x80)
        n = 1, cp = s[0];
    else if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07;
    size_t i = 1;
    while (i < n && (s[i] & 0xC0) == 0x80)
        cp = (cp << 6) | (s[i++] & 0x3F);
    bool bad = i < n || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
               (cp >= 0xD800 && cp <= 0xDFFF);
    return bad ? 0 : n;
}

/* Replaces every byte that does not start a valid sequence with '?'. */
static void utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            *p = '?';
            n = 1;
        }
        p += n;
    }
}

/* Copies src into dst[CONTEXT_MAX], or clears dst for NULL. */
static void context_copy(char dst[CONTEXT_MAX], const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= CONTEXT_MAX)
        n = CONTEXT_MAX - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    utf8_sanitize(dst);
}

/* --- sink and secrets --- */

static int by_length_desc(const void *a, const void *b)
{
    const struct secret *x = a, *y = b;
    return (x->len < y->len) - (x->len > y->len);
}

static void add_secret(char *text)
{
    if (strlen(text) < SECRET_MIN_LEN) {
        free(text);
    } else {
        secrets[n_secrets].text = text;
        secrets[n_secrets].len = strlen(text);
        n_secrets++;
    }
}

/* Reads the secret values, raw and as they appear inside a JSON string. Caller
 * holds sink_lock for writing. */
static void load_secrets(void)
{
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i].text);
    n_secrets = 0;
    for (size_t i = 0; i < N_SECRET_NAMES; i++) {
        const char *value = getenv(secret_names[i]);
        json_t *js = value ? json_string(value) : NULL;
        char *escaped = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
        if (value)
            add_secret(mm_xstrdup(value));
        if (escaped && strlen(escaped) - 2 != strlen(value))
            add_secret(mm_xstrndup(escaped + 1, strlen(escaped) - 2));
        free(escaped);
        json_decref(js);
    }
    qsort(secrets, n_secrets, sizeof(secrets[0]), by_length_desc);
}

static void load_secrets_locked(void)
{
    pthread_rwlock_wrlock(&sink_lock);
    load_secrets();
    pthread_rwlock_unlock(&sink_lock);
}

mm_err mm_log_open(const char *path, enum mm_log_level level, char err[MM_ERRLEN])
{
    mm_err ret = MM_OK;
    int fd = STDERR_FILENO;
    if (path) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            if (err)
                snprintf(err, MM_ERRLEN, "cannot open log file %s: %s", path, strerror(e));
            ret = mm_err_from_errno(e);
            goto out;
        }
    }
    pthread_once(&secrets_once, load_secrets_locked);
    pthread_rwlock_wrlock(&sink_lock);
    int old = sink_fd;
    sink_fd = fd;
    load_secrets();
    pthread_rwlock_unlock(&sink_lock);
    if (old != STDERR_FILENO)
        close(old);
    mm_log_set_level(level);
out:
    return ret;
}

void mm_log_close(void)
{
    pthread_rwlock_wrlock(&sink_lock);
    int old = sink_fd;
    sink_fd = STDERR_FILENO;
    pthread_rwlock_unlock(&sink_lock);
    if (old != STDERR_FILENO)
        close(old);
}

void mm_log_set_level(enum mm_log_level level)
{
    atomic_store(&min_level, (int)level);
}

bool mm_log_enabled(enum mm_log_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed) &&
           level <= MM_LOG_ERROR;
}

mm_err mm_log_level_parse(const char *name, enum mm_log_level *out)
{
    mm_err err = MM_EINVAL;
    for (int i = MM_LOG_DEBUG; name && i <= MM_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum mm_log_level)i;
            err = MM_OK;
        }
    }
    return err;
}

void mm_log_context_set_run(const char *run_id)
{
    context_copy(ctx_run, run_id);
}
void mm_log_context_set_stage(const char *stage)
{
    context_copy(ctx_stage, stage);
}
void mm_log_context_set_request(const char *request_id)
{
    context_copy(ctx_request, request_id);
}

/* --- building and writing a line --- */

static void format_time(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* The message, truncated to MSG_MAX bytes and made valid UTF-8. Caller frees. */
static char *format_msg(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    size_t size = n < 0 ? 1 : (size_t)n + 1;
    if (size > MSG_MAX + 1)
        size = MSG_MAX + 1;
    char *msg = mm_xmalloc(size);
    msg[0] = '\0';
    if (n >= 0)
        vsnprintf(msg, size, fmt, ap2);
    va_end(ap2);
    utf8_sanitize(msg);
    return msg;
}

/* The JSON text of one line (without newline). Takes ownership of fields.
 * Extra fields never replace the standard ones. Caller frees. */
static char *build_line(enum mm_log_level level, const char *msg, json_t *fields)
{
    char ts[32];
    format_time(ts);
    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "msg", json_string(msg));
    if (ctx_run[0])
        json_object_set_new(line, "run_id", json_string(ctx_run));
    if (ctx_stage[0])
        json_object_set_new(line, "stage", json_string(ctx_stage));
    if (ctx_request[0])
        json_object_set_new(line, "request_id", json_string(ctx_request));
    if (json_is_object(fields))
        json_object_update_missing(line, fields);
    else if (fields)
        json_object_set(line, "fields", fields);
    char *text = json_dumps(line, JSON_COMPACT);
    MM_ASSERT(text != NULL);
    json_decref(line);
    json_decref(fields);
    return text;
}

/* Copies text into out with every secret value replaced. Caller holds sink_lock. */
static void redact(const char *text, struct mm_buf *out)
{
    size_t len = strlen(text), i = 0, done = 0;
    mm_err err = MM_OK;
    while (i < len && n_secrets) {
        size_t k = 0;
        while (k < n_secrets &&
               (secrets[k].len > len - i || memcmp(text + i, secrets[k].text, secrets[k].len) != 0))
            k++;
        if (k == n_secrets) {
            i++;
            continue;
        }
        err = err ? err : mm_buf_append(out, text + done, i - done);
        err = err ? err : mm_buf_appends(out, REDACTED);
        i += secrets[k].len;
        done = i;
    }
    err = err ? err : mm_buf_append(out, text + done, len - done);
    err = err ? err : mm_buf_appendc(out, '\n');
    /* Redaction at most multiplies the size by len(REDACTED)/SECRET_MIN_LEN. */
    MM_ASSERT(err == MM_OK);
}

static void write_line(const char *text)
{
    struct mm_buf out;
    mm_buf_init(&out, 3 * (size_t)LINE_MAX_BYTES);
    pthread_rwlock_rdlock(&sink_lock);
    redact(text, &out);
    /* A failed write is dropped: logging must never take the process down. */
    while (write(sink_fd, out.data, out.len) < 0 && errno == EINTR)
        ;
    pthread_rwlock_unlock(&sink_lock);
    mm_buf_cleanup(&out);
}

static void emit(enum mm_log_level level, json_t *fields, const char *fmt, va_list ap)
{
    pthread_once(&secrets_once, load_secrets_locked);
    char *msg = format_msg(fmt, ap);
    char *text = build_line(level, msg, fields);
    size_t len = strlen(text);
    if (len > LINE_MAX_BYTES) {
        free(text);
        char *note = mm_xasprintf("log line of %zu bytes dropped (limit %d)", len, LINE_MAX_BYTES);
        text = build_line(level, note, NULL);
        free(note);
    }
    write_line(text);
    free(text);
    free(msg);
}

void mm_log(enum mm_log_level level, const char *fmt, ...)
{
    va_list ap;
    if (mm_log_enabled(level)) {
        va_start(ap, fmt);
        emit(level, NULL, fmt, ap);
        va_end(ap);
    }
}

void mm_log_fields(enum mm_log_level level, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    if (mm_log_enabled(level)) {
        va_start(ap, fmt);
        emit(level, fields, fmt, ap);
        va_end(ap);
    } else {
        json_decref(fields);
    }
}
