/*
 * http.h — HTTP/1.1 request-head parser and response writer of moodmusic-serve.
 *
 * The parser is incremental and allocation-free: it is called on the bytes of
 * one connection's input buffer every time more arrive, remembers how far it
 * has scanned (so a request trickling in byte by byte costs O(n) in total),
 * and fills a struct mm_http_request whose slices point into that buffer once
 * the head is complete. Limits (contract, docs/http-api.md):
 *   - request line (with any leading blank lines) ≤ MM_HTTP_MAX_REQUEST_LINE
 *     bytes before its CRLF, else MM_EURITOOLONG (414);
 *   - header section (every header line with its line end, plus the final
 *     blank line) ≤ MM_HTTP_MAX_HEADER_BYTES bytes and ≤ MM_HTTP_MAX_HEADERS
 *     lines, else MM_EHDRTOOBIG (431);
 *   - anything malformed (bad token, control character, obs-fold, unknown
 *     version, bad or conflicting Content-Length, Content-Length together with
 *     Transfer-Encoding) is MM_EPARSE (400).
 * Lines may end in CRLF or a bare LF. The method is any token: deciding
 * which ones a resource allows is the router's job.
 *
 * The writer renders a response head (status line, Date, Content-Type,
 * Content-Length, Connection, Allow) and the JSON error bodies of the API
 * contract; the body itself is the handler's.
 *
 * Does not: read sockets, parse request bodies or chunked encoding.
 * Thread safety: pure functions over caller-owned memory.
 * Ownership: every struct mm_http_str borrows the buffer that was parsed; it
 * is valid until that buffer changes.
 */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"

#define MM_HTTP_MAX_REQUEST_LINE 8192
#define MM_HTTP_MAX_HEADER_BYTES 16384
#define MM_HTTP_MAX_HEADERS 64
/* The longest request head the limits allow (leading blank lines included). */
#define MM_HTTP_MAX_HEAD (MM_HTTP_MAX_REQUEST_LINE + 2 + MM_HTTP_MAX_HEADER_BYTES)

/* Method bits: a route allows a set of them. */
enum mm_http_method {
    MM_HTTP_GET = 1 << 0,
    MM_HTTP_HEAD = 1 << 1,
    MM_HTTP_POST = 1 << 2,
    MM_HTTP_OTHER = 1 << 3, /* any other token: never allowed */
};

/* A byte slice, not NUL-terminated unless said otherwise. */
struct mm_http_str {
    const char *p;
    size_t len;
};

struct mm_http_header {
    struct mm_http_str name, value; /* value without surrounding white space */
};

struct mm_http_request {
    enum mm_http_method method;
    struct mm_http_str method_name; /* as sent, e.g. "DELETE" */
    struct mm_http_str target;      /* request-target as sent */
    struct mm_http_str path;        /* raw (still percent-encoded) path, starts with '/' */
    struct mm_http_str query;       /* raw query after '?', empty when none */
    int minor;                      /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive;                /* after this request, per version and Connection */
    bool has_content_length;
    uint64_t content_length;
    bool chunked; /* a Transfer-Encoding header was present */
    size_t n_headers;
    struct mm_http_header headers[MM_HTTP_MAX_HEADERS];
};

/* Scanning state of one request head; caller storage, one per connection. */
struct mm_http_parser {
    size_t pos;        /* bytes already scanned */
    size_t line_start; /* start of the line being scanned */
    size_t rl_start;   /* start of the request line (after leading blank lines) */
    size_t rl_end;     /* just past the request line's LF; 0 while not seen */
    unsigned n_headers;
    const char *error; /* static text saying why the last parse failed */
};

void mm_http_parser_init(struct mm_http_parser *p);

/*
 * Parses the request head at the start of buf[0..len). `buf` must start at
 * the same request on every call until it completes, and may only grow.
 * MM_OK with *consumed == 0: incomplete, call again with more bytes.
 * MM_OK with *consumed > 0: `req` is filled (slices borrow buf) and the head
 * took *consumed bytes; call mm_http_parser_init() before the next request.
 * MM_EURITOOLONG, MM_EHDRTOOBIG, MM_EPARSE: p->error says why; the
 * connection cannot be resynchronised.
 */
MM_MUST_CHECK mm_err mm_http_parse(struct mm_http_parser *p, const char *buf, size_t len,
                                   struct mm_http_request *req, size_t *consumed);

/* The first header called `name` (case-insensitive), or NULL. */
const struct mm_http_header *mm_http_request_header(const struct mm_http_request *req,
                                                    const char *name);

/*
 * Percent-decodes s[0..len) into `out` (room for len bytes; decoding never
 * grows). `plus_is_space` decodes '+' as ' ' (query strings). MM_EPARSE on a
 * '%' not followed by two hex digits, or on %00.
 */
MM_MUST_CHECK mm_err mm_http_percent_decode(const char *s, size_t len, bool plus_is_space,
                                            char *out, size_t *out_len);

/*
 * Appends the decoded value of the first parameter `name` of the raw query
 * string (names compared as sent) to `out`. MM_ENOTFOUND when absent,
 * MM_EPARSE on bad percent-encoding, MM_ETOOBIG past out->max.
 */
MM_MUST_CHECK mm_err mm_http_query_param(struct mm_http_str query, const char *name,
                                         struct mm_buf *out);

/* What the writer needs to render a response head. */
struct mm_http_response {
    int status;
    const char *content_type; /* NULL: application/json */
    size_t content_length;    /* of the body a GET would carry (also for HEAD) */
    bool keep_alive;
    int minor;      /* of the request: 1.0 clients need "Connection: keep-alive" */
    unsigned allow; /* method bits for an Allow header; 0: none */
};

/* Reason phrase of a status code ("Unknown" for codes it does not know). */
const char *mm_http_reason(int status);

/* Appends the response head, ending with the blank line. `date` is an
 * IMF-fixdate (see mm_http_date). MM_ETOOBIG past out->max. */
MM_MUST_CHECK mm_err mm_http_response_head(struct mm_buf *out, const struct mm_http_response *res,
                                           const char *date);

/* Formats the Unix time `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void mm_http_date(long long t, char out[32]);

/* Appends s[0..len) as a JSON string with its quotes; invalid UTF-8 becomes
 * U+FFFD. MM_ETOOBIG past out->max. */
MM_MUST_CHECK mm_err mm_http_json_string(struct mm_buf *out, const char *s, size_t len);

/* Appends {"success":false,"error":<msg>,"error_code":<mm_err_code(err)>}.
 * `msg` NULL or empty: mm_strerror(err). */
MM_MUST_CHECK mm_err mm_http_error_body(struct mm_buf *out, mm_err err, const char *msg);

#endif
