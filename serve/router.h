/*
 * router.h — the route table of moodmusic-serve and the plug-in point for
 * HTTP handlers.
 *
 * A route is a row {methods, pattern, handler}: a pattern is a path made of
 * literal segments and {name} parameters ("/v1/requests/{id}"), a handler is
 * a struct of function pointers. Adding an endpoint is one row in the table
 * (handlers.c) and one handler. Matching compares the percent-decoded
 * segments of the request path with each row in table order; the first row
 * whose segments match and which allows the method wins, so literal rows go
 * before parameter rows with the same shape ("/v1/tracks/lookup" before
 * "/v1/tracks/{key}"). A row that allows GET also allows HEAD.
 *
 * mm_router_dispatch() turns one parsed request into a status and a JSON body:
 * 404 when no row matches the path, 405 with Allow when rows match the path
 * but none allows the method, 400 on a request body or bad percent-encoding,
 * else whatever the handler answers. Every error body follows the contract
 * {"success": false, "error": ..., "error_code": ...}.
 *
 * Does not: parse HTTP or touch sockets (server.c), know any endpoint.
 * Thread safety: a router is immutable after mm_router_new() and may be
 * shared by every worker; a struct mm_route_match belongs to one worker.
 * Ownership: the router borrows the route rows (static tables).
 */
#ifndef MM_ROUTER_H
#define MM_ROUTER_H

#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"
#include "serve/http.h"

#define MM_ROUTE_MAX_SEGMENTS 16
#define MM_ROUTE_MAX_PARAMS 4

struct mm_snap_view;
struct mm_route_match;

/* What a handler sees of one request; lives for that request only. */
struct mm_handler_ctx {
    const struct mm_http_request *req;
    const struct mm_route_match *match; /* path parameters: mm_route_param() */
    struct mm_snap_view *snap;          /* the worker's view of the active snapshot */
    struct mm_buf *body;                /* the handler appends its body here */
    const char *content_type;           /* NULL: application/json */
    char error[MM_ERRLEN];              /* message of an error result */
};

struct mm_handler {
    const char *name; /* for logs and metrics */
    /* Appends a 200 body to ctx->body and returns MM_OK, or returns the error
     * whose HTTP status and error_code answer the request, with its message
     * in ctx->error (empty: mm_strerror()); the body is discarded then. */
    mm_err (*handle)(struct mm_handler_ctx *ctx);
};

struct mm_route {
    unsigned methods;    /* enum mm_http_method bits */
    const char *pattern; /* "/v1/requests/{id}" */
    const struct mm_handler *handler;
};

struct mm_route_param {
    const char *name; /* borrowed from the route pattern, not NUL-terminated */
    size_t name_len;
    struct mm_http_str value; /* decoded, NUL-terminated, in the match storage */
};

/* Result of matching one path; caller storage reused from request to request. */
struct mm_route_match {
    const struct mm_route *route;
    size_t n_params;
    struct mm_route_param params[MM_ROUTE_MAX_PARAMS];
    unsigned allow; /* on MM_EMETHOD: the methods the path allows */
    char storage[MM_HTTP_MAX_REQUEST_LINE + 1];
};

struct mm_router;

/* Compiles `n` rows (borrowed until mm_router_free). MM_EINVAL when a
 * pattern is malformed (no leading '/', unbalanced braces, too many segments
 * or parameters); `err` names the pattern. Caller frees with mm_router_free. */
MM_MUST_CHECK mm_err mm_router_new(const struct mm_route *routes, size_t n, struct mm_router **out,
                                   char err[MM_ERRLEN]);
void mm_router_free(struct mm_router *r); /* accepts NULL */

/* Matches the raw path. MM_OK: out->route and out->params are set.
 * MM_ENOTFOUND: no row has this path. MM_EMETHOD: rows have it but none
 * allows `method` (out->allow lists theirs). MM_EPARSE: bad percent-encoding. */
MM_MUST_CHECK mm_err mm_router_match(const struct mm_router *r, enum mm_http_method method,
                                     struct mm_http_str path, struct mm_route_match *out);

/* The decoded value of path parameter `name`, or NULL when the route has none. */
const struct mm_http_str *mm_route_param(const struct mm_route_match *m, const char *name);

/*
 * Answers one request: fills `res` (status, content type and length, Allow,
 * keep_alive) and appends the body to `body` (emptied first; its cap must be
 * at least 4 KiB so that any error body fits). `match` is caller scratch.
 * A request that carries a body is refused with 400 and res->keep_alive
 * false, since its framing is not read.
 */
void mm_router_dispatch(const struct mm_router *r, const struct mm_http_request *req,
                        struct mm_snap_view *snap, struct mm_route_match *match,
                        struct mm_buf *body, struct mm_http_response *res);

#endif
