/*
 * log.h — structured logging as JSON lines.
 *
 * One line per event: {"time","level","msg","run_id","stage","request_id",...extra}
 * where run_id/stage/request_id appear only when set in the calling thread's
 * context. Output goes to stderr or to a file (appended, line-buffered) chosen
 * by mm_log_open(). Values of the secret environment variables (see config.h)
 * are replaced by "[REDACTED]" in every line, whatever field they appear in.
 *
 * Does not: rotate files, buffer across lines, or ever abort on a write error.
 * Thread safety: all functions may be called from any thread; each line is
 * written with one write(2). The context is thread-local.
 */
#ifndef MM_LOG_H
#define MM_LOG_H

#include <jansson.h>
#include <stdbool.h>

#include "common/err.h"

enum mm_log_level { MM_LOG_DEBUG, MM_LOG_INFO, MM_LOG_WARN, MM_LOG_ERROR };

/* Opens the sink: `path` NULL means stderr. Safe to call again (reopens).
 * Fills `err` with the path and errno text on failure. */
MM_MUST_CHECK mm_err mm_log_open(const char *path, enum mm_log_level level, char err[MM_ERRLEN]);
void mm_log_close(void);
void mm_log_set_level(enum mm_log_level level);
bool mm_log_enabled(enum mm_log_level level);
/* "debug"|"info"|"warn"|"error" → level; MM_EINVAL for anything else. */
MM_MUST_CHECK mm_err mm_log_level_parse(const char *name, enum mm_log_level *out);

/* Thread-local context, copied; NULL clears a field. */
void mm_log_context_set_run(const char *run_id);
void mm_log_context_set_stage(const char *stage);
void mm_log_context_set_request(const char *request_id);

/* Logs `msg` (printf-formatted) with no extra fields. */
void mm_log(enum mm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs `msg` with extra fields; takes ownership of `fields` (a JSON object, may be NULL). */
void mm_log_fields(enum mm_log_level level, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define mm_log_debug(...) mm_log(MM_LOG_DEBUG, __VA_ARGS__)
#define mm_log_info(...) mm_log(MM_LOG_INFO, __VA_ARGS__)
#define mm_log_warn(...) mm_log(MM_LOG_WARN, __VA_ARGS__)
#define mm_log_error(...) mm_log(MM_LOG_ERROR, __VA_ARGS__)

#endif
