#include "serve/handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"
#include "common/log.h"
#include "serve/handlers_tracks.h"
#include "serve/snap_holder.h"

#define ECHO_MAX 64 /* bytes of a bad parameter value quoted in an error */

/* ---------------------------------------------------------------- helpers */

/* Reads path parameter `name` as a decimal integer in 1..UINT64_MAX. */
static mm_err param_positive_u64(struct mm_handler_ctx *ctx, const char *name, uint64_t *out)
{
    const struct mm_http_str *v = mm_route_param(ctx->match, name);
    uint64_t n = 0;
    bool ok = v && v->len > 0;
    for (size_t i = 0; ok && i < v->len; i++) {
        unsigned d = (unsigned)(unsigned char)v->p[i] - '0';
        ok = d <= 9 && n <= (UINT64_MAX - d) / 10;
        n = n * 10 + d;
    }
    if (ok && n > 0) {
        *out = n;
        return MM_OK;
    }
    size_t shown = v ? (v->len > ECHO_MAX ? ECHO_MAX : v->len) : 0;
    snprintf(ctx->error, MM_ERRLEN,
             "path parameter %s: expected a positive integer, got \"%.*s%s\"", name, (int)shown,
             v ? v->p : "", v && v->len > ECHO_MAX ? "..." : "");
    return MM_EINVAL;
}

static mm_err no_snapshot(struct mm_handler_ctx *ctx)
{
    snprintf(ctx->error, MM_ERRLEN, "no snapshot is loaded");
    return MM_ENOSNAPSHOT;
}

/* Logs an unexpected failure reading the snapshot, whose message is in ctx->error. */
static void log_read_error(const struct mm_handler_ctx *ctx)
{
    const char *id = ctx->snap->snap->id;
    mm_log_fields(MM_LOG_ERROR, json_pack("{s:s?, s:s}", "snapshot", id, "error", ctx->error),
                  "snapshot %s: %s", id ? id : "(none)", ctx->error);
}

/* --------------------------------------------------------------- handlers */

static mm_err healthz(struct mm_handler_ctx *ctx)
{
    const struct mm_snap *s = ctx->snap->snap;
    return mm_buf_append(ctx->body, s->healthz_body, s->healthz_len);
}

static mm_err snapshot_summary(struct mm_handler_ctx *ctx)
{
    const struct mm_snap *s = ctx->snap->snap;
    if (!s->summary_body)
        return no_snapshot(ctx);
    return mm_buf_append(ctx->body, s->summary_body, s->summary_len);
}

static mm_err request_render(struct mm_handler_ctx *ctx, struct mm_txn *txn, uint64_t id)
{
    unsigned char key[8];
    const void *val;
    size_t vlen;
    mm_store_u64_key(id, key);
    mm_err e = mm_store_get(txn, ctx->snap->snap->db_requests, key, sizeof(key), &val, &vlen);
    if (e == MM_ENOTFOUND) {
        snprintf(ctx->error, MM_ERRLEN, "request %" PRIu64 " not found", id);
        return e;
    }
    if (!e)
        e = mm_buf_appends(ctx->body, "{\"success\":true,\"request\":");
    if (!e)
        e = mm_codec_render_json(val, vlen, ctx->body);
    if (!e)
        e = mm_buf_appendc(ctx->body, '}');
    if (e) {
        snprintf(ctx->error, MM_ERRLEN, "request %" PRIu64 ": %s", id, mm_strerror(e));
        log_read_error(ctx);
    }
    return e;
}

static mm_err request_get(struct mm_handler_ctx *ctx)
{
    uint64_t id;
    struct mm_txn *txn;
    mm_err e = param_positive_u64(ctx, "id", &id);
    if (e)
        return e;
    e = mm_snap_view_begin(ctx->snap, &txn);
    if (e == MM_ENOSNAPSHOT)
        return no_snapshot(ctx);
    if (e) {
        snprintf(ctx->error, MM_ERRLEN, "cannot begin a read: %s", mm_strerror(e));
        log_read_error(ctx);
        return e;
    }
    e = request_render(ctx, txn, id);
    mm_snap_view_end(ctx->snap);
    return e;
}

/* ------------------------------------------------------------ route table */

static const struct mm_handler healthz_handler = {"healthz", healthz};
static const struct mm_handler snapshot_handler = {"snapshot", snapshot_summary};
static const struct mm_handler request_handler = {"request", request_get};

const struct mm_route mm_handlers_routes[] = {
    {MM_HTTP_GET, "/healthz", &healthz_handler},
    {MM_HTTP_GET, "/v1/snapshot", &snapshot_handler},
    {MM_HTTP_GET, "/v1/requests/{id}", &request_handler},
    {MM_HTTP_GET, "/v1/tracks/lookup", &mm_handlers_track_lookup},
    {MM_HTTP_GET, "/v1/tracks/{key}", &mm_handlers_track_get},
    {MM_HTTP_GET, "/v1/moods/{mood}/tracks", &mm_handlers_mood_tracks},
};
const size_t mm_handlers_n_routes = sizeof(mm_handlers_routes) / sizeof(mm_handlers_routes[0]);
