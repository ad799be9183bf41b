#include "serve/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One segment of a compiled pattern: a literal or a {name} parameter. */
struct segment {
    const char *text; /* literal text or parameter name, borrowed from the pattern */
    size_t len;
    bool param;
};

struct compiled_route {
    const struct mm_route *route;
    size_t n_segments;
    struct segment segments[MM_ROUTE_MAX_SEGMENTS];
};

struct mm_router {
    size_t n;
    struct compiled_route *routes;
};

/* ------------------------------------------------------------ compilation */

static mm_err compile(const struct mm_route *route, struct compiled_route *out, char err[MM_ERRLEN])
{
    const char *p = route->pattern;
    size_t n_params = 0;
    out->route = route;
    out->n_segments = 0;
    if (!p || *p != '/' || !route->handler || !route->handler->handle) {
        snprintf(err, MM_ERRLEN, "route %s: pattern must start with '/' and have a handler",
                 p ? p : "(null)");
        return MM_EINVAL;
    }
    while (*p == '/') {
        const char *s = ++p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - s);
        bool param = len >= 2 && s[0] == '{' && s[len - 1] == '}';
        bool braces = memchr(s, '{', len) || memchr(s, '}', len);
        if (out->n_segments == MM_ROUTE_MAX_SEGMENTS || (braces && !param) ||
            (param && (len == 2 || memchr(s + 1, '{', len - 2) || memchr(s + 1, '}', len - 2))) ||
            (param && ++n_params > MM_ROUTE_MAX_PARAMS)) {
            snprintf(err, MM_ERRLEN,
                     "route %s: malformed segment \"%.*s\" (at most %d segments, %d {name} "
                     "parameters)",
                     route->pattern, (int)len, s, MM_ROUTE_MAX_SEGMENTS, MM_ROUTE_MAX_PARAMS);
            return MM_EINVAL;
        }
        out->segments[out->n_segments++] =
            param ? (struct segment){s + 1, len - 2, true} : (struct segment){s, len, false};
    }
    return MM_OK;
}

mm_err mm_router_new(const struct mm_route *routes, size_t n, struct mm_router **out,
                     char err[MM_ERRLEN])
{
    struct mm_router *r = mm_xcalloc(1, sizeof(*r));
    r->routes = mm_xcalloc(n, sizeof(*r->routes));
    r->n = n;
    mm_err e = MM_OK;
    for (size_t i = 0; !e && i < n; i++)
        e = compile(&routes[i], &r->routes[i], err);
    if (e)
        goto out_free_router;
    *out = r;
    return MM_OK;

out_free_router:
    mm_router_free(r);
    return e;
}

void mm_router_free(struct mm_router *r)
{
    if (!r)
        return;
    free(r->routes);
    free(r);
}

/* --------------------------------------------------------------- matching */

/* The path split at '/' and decoded into out->storage, each segment NUL-terminated. */
struct split_path {
    size_t n;
    struct mm_http_str segments[MM_ROUTE_MAX_SEGMENTS];
};

static mm_err split(struct mm_http_str path, struct mm_route_match *m, struct split_path *sp)
{
    const char *p = path.p, *end = path.p + path.len;
    size_t used = 0;
    sp->n = 0;
    if (path.len == 0 || *p != '/' || path.len > MM_HTTP_MAX_REQUEST_LINE)
        return MM_ENOTFOUND;
    while (p < end && *p == '/') {
        const char *s = ++p;
        while (p < end && *p != '/')
            p++;
        if (sp->n == MM_ROUTE_MAX_SEGMENTS)
            return MM_ENOTFOUND;
        size_t n;
        if (mm_http_percent_decode(s, (size_t)(p - s), false, m->storage + used, &n))
            return MM_EPARSE;
        sp->segments[sp->n++] = (struct mm_http_str){m->storage + used, n};
        m->storage[used + n] = '\0';
        used += n + 1;
    }
    return MM_OK;
}

static bool path_matches(const struct compiled_route *cr, const struct split_path *sp)
{
    if (cr->n_segments != sp->n)
        return false;
    for (size_t i = 0; i < sp->n; i++) {
        const struct segment *seg = &cr->segments[i];
        if (!seg->param && (seg->len != sp->segments[i].len ||
                            memcmp(seg->text, sp->segments[i].p, seg->len) != 0))
            return false;
    }
    return true;
}

static unsigned allowed(const struct mm_route *route)
{
    return route->methods & MM_HTTP_GET ? route->methods | MM_HTTP_HEAD : route->methods;
}

mm_err mm_router_match(const struct mm_router *r, enum mm_http_method method,
                       struct mm_http_str path, struct mm_route_match *out)
{
    struct split_path sp;
    out->route = NULL;
    out->n_params = 0;
    out->allow = 0;
    mm_err err = split(path, out, &sp);
    for (size_t i = 0; !err && i < r->n; i++) {
        const struct compiled_route *cr = &r->routes[i];
        if (!path_matches(cr, &sp))
            continue;
        if (!(allowed(cr->route) & (unsigned)method)) {
            out->allow |= allowed(cr->route);
            continue;
        }
        out->route = cr->route;
        for (size_t s = 0; s < cr->n_segments; s++) {
            if (cr->segments[s].param)
                out->params[out->n_params++] = (struct mm_route_param){
                    cr->segments[s].text, cr->segments[s].len, sp.segments[s]};
        }
        return MM_OK;
    }
    return err ? err : out->allow ? MM_EMETHOD : MM_ENOTFOUND;
}

const struct mm_http_str *mm_route_param(const struct mm_route_match *m, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < m->n_params; i++) {
        if (m->params[i].name_len == len && memcmp(m->params[i].name, name, len) == 0)
            return &m->params[i].value;
    }
    return NULL;
}

/* -------------------------------------------------------------- dispatch */

/* Routes and runs the handler; returns MM_OK or the error to answer with. */
static mm_err route(const struct mm_router *r, struct mm_handler_ctx *ctx,
                    struct mm_route_match *match, struct mm_http_response *res)
{
    const struct mm_http_request *req = ctx->req;
    if (req->chunked || req->content_length > 0) {
        res->keep_alive = false;
        snprintf(ctx->error, MM_ERRLEN, "request bodies are not supported (%.*s %.*s)",
                 (int)req->method_name.len, req->method_name.p, (int)req->path.len, req->path.p);
        return MM_EPARSE;
    }
    mm_err err = mm_router_match(r, req->method, req->path, match);
    switch (err) {
    case MM_OK: return match->route->handler->handle(ctx);
    case MM_EPARSE:
        snprintf(ctx->error, MM_ERRLEN, "bad percent-encoding in path %.*s", (int)req->path.len,
                 req->path.p);
        return MM_EPARSE;
    case MM_EMETHOD:
        res->allow = match->allow;
        snprintf(ctx->error, MM_ERRLEN, "method %.*s not allowed for %.*s",
                 (int)req->method_name.len, req->method_name.p, (int)req->path.len, req->path.p);
        return MM_EMETHOD;
    default:
        snprintf(ctx->error, MM_ERRLEN, "no route for %.*s %.*s", (int)req->method_name.len,
                 req->method_name.p, (int)req->path.len, req->path.p);
        return MM_ENOTFOUND;
    }
}

void mm_router_dispatch(const struct mm_router *r, const struct mm_http_request *req,
                        struct mm_snap_view *snap, struct mm_route_match *match,
                        struct mm_buf *body, struct mm_http_response *res)
{
    struct mm_handler_ctx ctx = {.req = req, .match = match, .snap = snap, .body = body};
    *res = (struct mm_http_response){
        .status = 200, .keep_alive = req->keep_alive, .minor = req->minor};
    mm_buf_reset(body);
    mm_err err = route(r, &ctx, match, res);
    if (err) {
        mm_buf_reset(body);
        res->status = mm_err_http_status(err);
        ctx.content_type = NULL;
        mm_err rendered = mm_http_error_body(body, err, ctx.error);
        MM_ASSERT(rendered == MM_OK); /* error bodies stay under 4 KiB */
    }
    res->content_type = ctx.content_type;
    res->content_length = body->len;
}
