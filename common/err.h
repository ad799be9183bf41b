/*
 * err.h — the one error type of moodmusic.
 *
 * Every fallible function returns `mm_err` (MM_OK == 0). The list below is the
 * single source of the enum, of mm_strerror()/mm_err_name(), and of the HTTP
 * status and `error_code` the server answers with. Library codes (LMDB, errno,
 * CURLcode, jansson) are translated at the boundary of the module that calls
 * the library; nothing outside that module sees them. Codes are never
 * renumbered: append new ones at the end.
 *
 * "Not found" (MM_ENOTFOUND) is an ordinary result, not a logged error.
 * Thread safety: everything here is pure and reentrant.
 */
#ifndef MM_ERR_H
#define MM_ERR_H

#define MM_MUST_CHECK __attribute__((warn_unused_result))

/* X(name, message, http status, error_code) */
#define MM_ERR_LIST(X)                                                               \
    X(MM_OK, "success", 200, "OK")                                                   \
    X(MM_ENOMEM, "out of memory", 500, "INTERNAL")                                   \
    X(MM_EINVAL, "invalid argument", 400, "BAD_PARAMETER")                           \
    X(MM_EIO, "input/output error", 500, "IO_ERROR")                                 \
    X(MM_ENOTFOUND, "not found", 404, "NOT_FOUND")                                   \
    X(MM_EPARSE, "malformed input", 400, "PARSE_ERROR")                              \
    X(MM_ETOOBIG, "too large", 413, "TOO_LARGE")                                     \
    X(MM_ECONFIG, "configuration error", 500, "CONFIG_ERROR")                        \
    X(MM_ESTORE, "store error", 500, "STORE_ERROR")                                  \
    X(MM_EMAPFULL, "store map full", 500, "STORE_FULL")                              \
    X(MM_ELOCKED, "locked by another process", 409, "LOCKED")                        \
    X(MM_ECORRUPT, "corrupt data or checksum mismatch", 500, "CORRUPT")              \
    X(MM_ESCHEMA, "unsupported record schema version", 500, "SCHEMA_VERSION")        \
    X(MM_ENOSNAPSHOT, "no snapshot available", 503, "NO_SNAPSHOT")                   \
    X(MM_EMETHOD, "method not allowed", 405, "METHOD_NOT_ALLOWED")                   \
    X(MM_EURITOOLONG, "request line too long", 414, "URI_TOO_LONG")                  \
    X(MM_EHDRTOOBIG, "request headers too large", 431, "HEADERS_TOO_LARGE")          \
    X(MM_EHTTP, "upstream HTTP error", 502, "UPSTREAM_ERROR")                        \
    X(MM_ETIMEOUT, "timed out", 504, "TIMEOUT")                                      \
    X(MM_EINTERRUPTED, "interrupted", 500, "INTERRUPTED")                            \
    X(MM_EEXIST, "already exists", 409, "EXISTS")                                    \
    X(MM_EUNSUPPORTED, "not supported", 501, "NOT_IMPLEMENTED")

typedef enum {
#define MM_ERR_ENUM(name, msg, status, code) name,
    MM_ERR_LIST(MM_ERR_ENUM)
#undef MM_ERR_ENUM
    MM_ERR__COUNT
} mm_err;

/* Human-readable message; never NULL (unknown codes give "unknown error"). */
const char *mm_strerror(mm_err err);
/* The enum name as text, e.g. "MM_ENOTFOUND". */
const char *mm_err_name(mm_err err);
/* HTTP status the server answers with for this error (500 for unknown). */
int mm_err_http_status(mm_err err);
/* The JSON `error_code` string of the HTTP error contract. */
const char *mm_err_code(mm_err err);
/* Translates an errno value (ENOENT → MM_ENOTFOUND, ENOMEM, ENOSPC/EIO → MM_EIO, ...). */
mm_err mm_err_from_errno(int errnum);

/* Size of the optional `char err[MM_ERRLEN]` context buffers of outward-facing modules. */
#define MM_ERRLEN 512

/* Assertions on programmer errors, enabled in every build. */
#define MM_ASSERT(cond)                                                               \
    ((cond) ? (void)0 : mm_assert_fail(#cond, __FILE__, __LINE__))
_Noreturn void mm_assert_fail(const char *expr, const char *file, int line);

#endif
