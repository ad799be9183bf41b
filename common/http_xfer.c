/*
 * http_xfer.c — one attempt of a request: the curl easy handle is set up from
 * the request record, headers and body are captured (the body under its
 * cap), and the outcome is judged — transport error, status, method safety,
 * the request's classify hook — to retry with backoff or finish, with a log
 * line for each retry and each failure.
 */
#include "common/http_xfer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

#define MAX_REDIRS 5L

static char empty_string[1];

void mm_http_xfer_free(struct mm_http_xfer *x)
{
    free(x->method);
    free(x->url);
    free(x->url_redacted);
    free(x->body);
    curl_slist_free_all(x->headers);
    free(x->basic_user);
    free(x->basic_password);
    mm_buf_cleanup(&x->resp_body);
    free(x);
}

/* Copies the value of header `name` from a raw header line into out, trimmed. */
static void capture_header(const char *line, size_t len, const char *name,
                           char out[MM_HTTP_HEADER_VALUE_MAX])
{
    size_t n = strlen(name);
    if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
        const char *v = line + n + 1;
        size_t vlen = len - n - 1;
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && strchr(" \t\r\n", v[vlen - 1]))
            vlen--;
        /* Longer values of these two headers are never valid: keep a prefix. */
        vlen = vlen < MM_HTTP_HEADER_VALUE_MAX ? vlen : MM_HTTP_HEADER_VALUE_MAX - 1;
        memcpy(out, v, vlen);
        out[vlen] = '\0';
    }
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct mm_http_xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or a 100): forget the previous one's. */
        x->content_type[0] = x->retry_after[0] = '\0';
    } else {
        capture_header(line, len, "content-type", x->content_type);
        capture_header(line, len, "retry-after", x->retry_after);
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct mm_http_xfer *x = ud;
    size_t len = size * n;
    if (mm_buf_append(&x->resp_body, data, len) != MM_OK) {
        x->too_big = true;
        len = 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return len;
}

#define SET(opt, val) (rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, opt, val))

static CURLcode setup_method(CURL *e, const struct mm_http_xfer *x)
{
    CURLcode rc = CURLE_OK;
    bool post = strcmp(x->method, "POST") == 0;
    if (x->body || post) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        SET(CURLOPT_POSTFIELDS, x->body ? x->body : empty_string);
    }
    if (strcmp(x->method, "HEAD") == 0)
        SET(CURLOPT_NOBODY, 1L);
    else if (!post && strcmp(x->method, "GET") != 0)
        SET(CURLOPT_CUSTOMREQUEST, x->method);
    else if (!post && x->body)
        SET(CURLOPT_CUSTOMREQUEST, "GET");
    return rc;
}

static CURLcode setup_easy(const struct mm_http_client *c, struct mm_http_xfer *x, CURL *e)
{
    CURLcode rc = CURLE_OK;
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRS);
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, x->timeout_ms);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_HTTPHEADER, x->headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_ERRORBUFFER, x->curl_error);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes);
    if (x->basic_user) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, x->basic_user);
        SET(CURLOPT_PASSWORD, x->basic_password ? x->basic_password : empty_string);
    }
    return rc != CURLE_OK ? rc : setup_method(e, x);
}

#undef SET

static CURL *take_easy(struct mm_http_client *c)
{
    CURL *e = NULL;
    if (c->n_idle) {
        e = c->idle[--c->n_idle];
        curl_easy_reset(e);
    } else {
        e = curl_easy_init();
    }
    return e;
}

static void release_easy(struct mm_http_client *c, CURL *e)
{
    if (c->n_idle < c->max_in_flight)
        c->idle[c->n_idle++] = e;
    else
        curl_easy_cleanup(e);
}

/* --- finishing --- */

static json_t *log_fields(const struct mm_http_xfer *x, int status, mm_err err, const char *detail)
{
    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:s}", "method", x->method, "url",
                     x->url_redacted, "status", status, "attempt", x->attempts, "max_attempts",
                     x->max_attempts, "error", mm_err_name(err), "detail", detail);
}

static char *dup_header(const char *value)
{
    return value[0] ? mm_xstrdup(value) : NULL;
}

/* Calls done with the outcome and frees x (which is in no queue any more). */
void mm_http_xfer_finish(struct mm_http_client *c, struct mm_http_xfer *x, mm_err err, int status,
                         const char *detail)
{
    struct mm_http_response r = {.err = err, .status = status, .attempts = x->attempts};
    if (err != MM_OK) {
        x->host->stats.failures++;
        enum mm_log_level level =
            err == MM_ENOTFOUND || err == MM_EINTERRUPTED ? MM_LOG_DEBUG : MM_LOG_ERROR;
        mm_log_fields(level, log_fields(x, status, err, detail), "http %s %s failed: %s", x->method,
                      x->url_redacted, detail);
    }
    r.body_len = x->resp_body.len;
    r.body = mm_buf_take(&x->resp_body);
    r.body = r.body ? r.body : mm_xstrdup("");
    r.content_type = dup_header(x->content_type);
    r.retry_after = dup_header(x->retry_after);
    r.url = x->url_redacted;
    x->url_redacted = NULL;
    r.detail = mm_xstrdup(detail);
    r.total_ms = mm_http_client_now(c) - x->submitted_ms;
    x->done(&r, x->done_ctx);
    mm_http_response_cleanup(&r);
    mm_http_xfer_free(x);
}

/* The verdict on an attempt that ended without a complete response. */
static void transport_verdict(const struct mm_http_xfer *x, CURLcode rc, struct mm_http_verdict *v)
{
    v->action = MM_HTTP_FAIL;
    v->err = MM_EHTTP;
    v->retry_after_ms = -1;
    v->rate_limited = false;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        v->action = MM_HTTP_RETRY; /* nothing reached the server: safe for any method */
        break;
    case CURLE_OPERATION_TIMEDOUT:
        v->err = MM_ETIMEOUT;
        v->action = x->non_idempotent ? MM_HTTP_FAIL : MM_HTTP_RETRY;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        v->action = x->non_idempotent ? MM_HTTP_FAIL : MM_HTTP_RETRY;
        break;
    case CURLE_WRITE_ERROR: v->err = x->too_big ? MM_ETOOBIG : MM_EIO; break;
    case CURLE_FILESIZE_EXCEEDED: v->err = MM_ETOOBIG; break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: v->err = MM_EINVAL; break;
    case CURLE_OUT_OF_MEMORY: v->err = MM_EIO; break;
    default: break;
    }
    if (v->err == MM_ETOOBIG)
        snprintf(v->detail, sizeof(v->detail), "response body over %zu bytes", x->max_bytes);
    else
        snprintf(v->detail, sizeof(v->detail), "%s",
                 x->curl_error[0] ? x->curl_error : curl_easy_strerror(rc));
}

/* The verdict on a complete response: status, method safety, then the hook. */
static void response_verdict(const struct mm_http_client *c, const struct mm_http_xfer *x,
                             int status, struct mm_http_verdict *v)
{
    struct mm_http_response view = {
        .status = status,
        .body = x->resp_body.data ? x->resp_body.data : empty_string,
        .body_len = x->resp_body.len,
        .content_type = x->content_type[0] ? (char *)x->content_type : NULL,
        .retry_after = x->retry_after[0] ? (char *)x->retry_after : NULL,
        .url = x->url_redacted,
        .detail = empty_string,
        .attempts = x->attempts,
        .total_ms = mm_http_client_now(c) - x->submitted_ms,
    };
    mm_http_classify_status(&view, c->clock.wall_s(c->clock.ctx), v);
    if (x->non_idempotent && v->action == MM_HTTP_RETRY && status != 429 && status != 503)
        v->action = MM_HTTP_FAIL;
    if (x->classify)
        x->classify(&view, x->classify_ctx, v);
    if (v->action != MM_HTTP_ACCEPT && v->err == MM_OK)
        v->err = MM_EHTTP;
}

/* Schedules another attempt, or finishes x when the policy says to stop. */
static void retry_or_finish(struct mm_http_client *c, struct mm_http_xfer *x, int status,
                            struct mm_http_verdict *v)
{
    struct mm_backoff policy = c->backoff;
    uint64_t wait = 0;
    policy.max_attempts = x->max_attempts;
    enum mm_backoff_step step =
        mm_backoff_next(&policy, x->attempts, v->retry_after_ms, &c->rng, &wait);
    char detail[sizeof(v->detail) + 96];
    if (step == MM_BACKOFF_RETRY) {
        x->due_ms = mm_http_client_now(c) + wait;
        if (v->rate_limited)
            mm_ratelimit_pause(&x->host->bucket, x->due_ms);
        x->host->stats.retries++;
        json_t *fields = log_fields(x, status, v->err, v->detail);
        json_object_set_new(fields, "wait_ms", json_integer((json_int_t)wait));
        mm_log_fields(MM_LOG_WARN, fields, "http %s %s: %s; attempt %d/%d, retrying in %llu ms",
                      x->method, x->url_redacted, v->detail, x->attempts, x->max_attempts,
                      (unsigned long long)wait);
        mm_http_client_enqueue(c, x);
    } else if (step == MM_BACKOFF_GIVE_UP) {
        snprintf(detail, sizeof(detail), "%s (gave up after %d attempts)", v->detail, x->attempts);
        mm_http_xfer_finish(c, x, v->err, status, detail);
    } else {
        snprintf(detail, sizeof(detail), "%s (server asks to wait %lld ms, over max_wait_ms %llu)",
                 v->detail, (long long)v->retry_after_ms,
                 (unsigned long long)c->backoff.max_wait_ms);
        mm_http_xfer_finish(c, x, v->err, status, detail);
    }
}

void mm_http_xfer_untrack(struct mm_http_client *c, struct mm_http_xfer *x)
{
    curl_multi_remove_handle(c->multi, x->easy);
    release_easy(c, x->easy);
    x->easy = NULL;
    c->flying[x->slot] = c->flying[--c->n_flying];
    c->flying[x->slot]->slot = x->slot;
}

/* An attempt curl finished with `result`: count it, judge it, act. */
void mm_http_xfer_complete(struct mm_http_client *c, struct mm_http_xfer *x, CURLcode result)
{
    long status = 0, connects = 0;
    struct mm_http_verdict v;
    struct mm_http_host_stats *st = &x->host->stats;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
    mm_http_xfer_untrack(c, x);
    st->connections += (uint64_t)connects;
    st->bytes_received += x->resp_body.len;
    st->responses[result == CURLE_OK && status >= 100 && status < 600 ? status / 100 : 0]++;
    if (result != CURLE_OK) {
        transport_verdict(x, result, &v);
        mm_buf_reset(&x->resp_body); /* a partial body must not pass for a response */
    } else {
        response_verdict(c, x, (int)status, &v);
    }
    if (v.action == MM_HTTP_RETRY)
        retry_or_finish(c, x, (int)status, &v);
    else
        mm_http_xfer_finish(c, x, v.err, (int)status, v.detail);
}

void mm_http_xfer_start(struct mm_http_client *c, struct mm_http_xfer *x)
{
    x->attempts++;
    x->waited = false;
    x->too_big = false;
    x->curl_error[0] = x->content_type[0] = x->retry_after[0] = '\0';
    mm_buf_reset(&x->resp_body);
    CURL *e = take_easy(c);
    CURLcode rc = e ? setup_easy(c, x, e) : CURLE_FAILED_INIT;
    CURLMcode mc = rc == CURLE_OK ? curl_multi_add_handle(c->multi, e) : CURLM_OK;
    if (rc != CURLE_OK || mc != CURLM_OK) {
        char detail[200];
        snprintf(detail, sizeof(detail), "libcurl setup failed: %s",
                 rc != CURLE_OK ? curl_easy_strerror(rc) : curl_multi_strerror(mc));
        if (e)
            release_easy(c, e);
        mm_http_xfer_finish(c, x, MM_EIO, 0, detail);
    } else {
        x->easy = e;
        x->slot = c->n_flying;
        c->flying[c->n_flying++] = x;
        x->host->stats.requests++;
        x->host->stats.bytes_sent += x->body_len;
    }
}
