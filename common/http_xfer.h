/*
 * http_xfer.h — the insides of the HTTP client, private to the http module:
 * http.c (client, queue, event loop) and http_xfer.c (one attempt: curl easy
 * handle set-up, response capture, verdict, retry or finish). Other modules
 * use http.h.
 *
 * Thread safety: as http.h (one thread per client).
 */
#ifndef MM_HTTP_XFER_H
#define MM_HTTP_XFER_H

#include <curl/curl.h>

#include "common/backoff.h"
#include "common/http.h"
#include "common/ratelimit.h"

#define MM_HTTP_HEADER_VALUE_MAX 256 /* longest Content-Type / Retry-After kept */

/* One host (or rate key): its token bucket and counters. */
struct mm_http_host {
    char *key; /* lowercased host name, or the request's rate key */
    struct mm_token_bucket bucket;
    struct mm_http_host_stats stats;
};

/* One submitted request, across its attempts; owns copies of everything. */
struct mm_http_xfer {
    struct mm_http_xfer *next; /* pending queue link */
    size_t slot;               /* index in the in-flight table while in flight */
    struct mm_http_host *host;
    char *method; /* as given, or GET/POST */
    char *url;
    char *url_redacted;
    char *body; /* NULL: none */
    size_t body_len;
    struct curl_slist *headers;
    char *basic_user, *basic_password;
    mm_http_classify_fn classify;
    void *classify_ctx;
    mm_http_done_fn done;
    void *done_ctx;
    bool non_idempotent;
    int max_attempts;
    long timeout_ms;
    size_t max_bytes;
    int attempts;
    uint64_t submitted_ms;
    uint64_t due_ms; /* earliest start of the next attempt */
    bool waited;     /* the coming attempt waited for a token */
    CURL *easy;      /* while in flight */
    struct mm_buf resp_body;
    char content_type[MM_HTTP_HEADER_VALUE_MAX];
    char retry_after[MM_HTTP_HEADER_VALUE_MAX];
    bool too_big;
    char curl_error[CURL_ERROR_SIZE];
};

struct mm_http_client {
    CURLM *multi; /* one for all transfers: its connection cache gives keep-alive reuse */
    CURL **idle;  /* pooled easy handles, at most max_in_flight */
    size_t n_idle;
    struct mm_http_xfer **flying; /* in-flight table, max_in_flight slots */
    size_t n_flying;
    struct mm_http_xfer *pending, *pending_tail;
    struct mm_http_host **hosts;
    size_t n_hosts;
    char *user_agent;
    long connect_timeout_ms, timeout_ms;
    size_t max_bytes;
    size_t max_in_flight;
    struct mm_backoff backoff;
    struct mm_ratelimit_rule *rules;
    size_t n_rules;
    double default_rate, default_burst;
    struct mm_http_clock clock;
    uint64_t rng;
    const volatile sig_atomic_t *stop;
    bool running;
};

static inline uint64_t mm_http_client_now(const struct mm_http_client *c)
{
    return c->clock.now_ms(c->clock.ctx);
}

/* Appends x to the pending queue (http.c). */
void mm_http_client_enqueue(struct mm_http_client *c, struct mm_http_xfer *x);

/* Starts the next attempt of x (taken off the queue by the caller); on a
 * libcurl set-up failure x is finished with MM_EIO instead. */
void mm_http_xfer_start(struct mm_http_client *c, struct mm_http_xfer *x);
/* Handles an attempt curl finished with `result`: counts it, then requeues
 * x for a retry or finishes it. */
void mm_http_xfer_complete(struct mm_http_client *c, struct mm_http_xfer *x, CURLcode result);
/* Detaches an in-flight x from the multi handle and the in-flight table. */
void mm_http_xfer_untrack(struct mm_http_client *c, struct mm_http_xfer *x);
/* Calls x's done callback with the outcome, logs a failure, frees x. x must
 * be in no queue. */
void mm_http_xfer_finish(struct mm_http_client *c, struct mm_http_xfer *x, mm_err err, int status,
                         const char *detail);
void mm_http_xfer_free(struct mm_http_xfer *x);

#endif
