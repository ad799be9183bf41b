/*
 * http.h — the outbound HTTP client of the pipeline (libcurl multi interface).
 *
 * Used by the stages that call external services: enrich (Spotify,
 * MusicBrainz, Last.fm, iTunes), analyze (LLM chat/completions), embed
 * (embeddings). One client drives many requests at once over one curl multi
 * handle: connections are kept alive (HTTP/1.1) and reused, easy handles are
 * pooled. For every request it
 *   - waits for a token of its host's rate limiter (token bucket, ratelimit.h),
 *     queued in the event loop, never in a busy loop;
 *   - retries 408, 429, 500, 502, 503, 504, timeouts and connection errors
 *     with jittered exponential backoff (backoff.h), honouring Retry-After
 *     and delays found in error bodies by a per-request classify hook;
 *   - caps the response size (MM_ETOOBIG) and bounds connect and total time;
 *   - logs each retry (warn) and each final failure (error; "not found" is a
 *     result and is not logged as an error) with method, URL, status,
 *     attempt and wait, secrets redacted from the URL (mm_http_redact_url);
 *     headers and bodies are never logged;
 *   - counts requests, retries, responses by status class, bytes and rate
 *     limiter waits per host (mm_http_stats_*).
 *
 * Outcomes (struct mm_http_response.err):
 *   MM_OK          2xx, or whatever a classify hook accepted
 *   MM_ENOTFOUND   404, or a definitive "not found" in the body (Last.fm 6)
 *   MM_EHTTP       other statuses, retries exhausted, connection failures
 *   MM_ETIMEOUT    the last attempt timed out
 *   MM_ETOOBIG     the body exceeded max_response_bytes (never retried)
 *   MM_EINVAL      a URL curl refuses (bad scheme, malformed)
 *   MM_EINTERRUPTED the stop flag was raised before the request finished
 *   MM_EIO         libcurl itself failed (setup, out of memory)
 *
 * Does not: parse response bodies (beyond the classify helpers), cache,
 * follow more than 5 redirects, speak anything but http/https, or read the
 * configuration (the caller fills struct mm_http_options).
 *
 * Thread safety: a client belongs to one thread; done and classify callbacks
 * run on it, inside mm_http_run()/mm_http_fetch(). Different clients may run
 * in different threads.
 *
 * Ownership: the client copies everything it needs from options and requests
 * at the call; responses belong to the client until the done callback returns
 * (mm_http_response_take_body() keeps the body), except those returned by
 * mm_http_fetch(), which the caller releases with mm_http_response_cleanup().
 */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/ratelimit.h"

#define MM_HTTP_URL_MAX (16 * 1024) /* longer URLs are refused with MM_ETOOBIG */
#define MM_HTTP_HOSTS_MAX 256       /* distinct hosts (rate keys) per client */

struct mm_http_client;

/* The client's sense of time; the defaults use CLOCK_MONOTONIC, time() and
 * nanosleep(). Tests replace them to drive waits without sleeping. */
struct mm_http_clock {
    uint64_t (*now_ms)(void *ctx);            /* monotonic milliseconds */
    int64_t (*wall_s)(void *ctx);             /* seconds since the epoch (HTTP-dates) */
    void (*sleep_ms)(void *ctx, uint64_t ms); /* waits while nothing is in flight */
    void *ctx;
};

/* Zero fields take the default written after them. */
struct mm_http_options {
    const char *user_agent;    /* "moodmusic/<version>"; MusicBrainz wants a contact:
                                  "moodmusic/0.1 ( ops@example.org )" */
    long connect_timeout_ms;   /* 10000, per attempt */
    long timeout_ms;           /* 60000, whole attempt */
    size_t max_response_bytes; /* 16 MiB of (decoded) body */
    int max_in_flight;         /* 8 transfers at once (1..1024) */
    int max_attempts;          /* 5, the first included (1..100) */
    uint64_t min_wait_ms;      /* 500: shortest computed retry wait */
    uint64_t max_wait_ms;      /* 60000: longest wait, computed or asked by the server */
    const struct mm_ratelimit_rule *rate_rules; /* per host; copied */
    size_t n_rate_rules;
    double default_rate;               /* 0 (unlimited): hosts without a rule */
    double default_burst;              /* 1 */
    const struct mm_http_clock *clock; /* NULL: the real clock; copied */
    uint64_t seed;                     /* jitter generator seed; 0: from the clock and pid */
    /* NULL, or a flag (e.g. mm_stage_ctx.stop) that, once non-zero, makes
     * mm_http_run finish everything with MM_EINTERRUPTED within 100 ms. */
    const volatile sig_atomic_t *stop;
};

/* The response of a finished request, or of one attempt (classify hooks).
 * All strings are NUL-terminated and owned by the struct. */
struct mm_http_response {
    mm_err err; /* outcome (table above); MM_OK in a classify hook */
    int status; /* HTTP status of the last response (even one cut short);
                   0 when none arrived */
    char *body; /* body of the last response, "" when none (never NULL) */
    size_t body_len;
    char *content_type; /* Content-Type header, or NULL */
    char *retry_after;  /* Retry-After header as sent, or NULL */
    char *url;          /* the request URL, secrets redacted: safe to log */
    char *detail;       /* why it failed, e.g. "Last.fm error 29: Rate limit exceeded",
                           "" on success */
    int attempts;       /* attempts made (in a hook: this attempt's number) */
    uint64_t total_ms;  /* from submit to finish, on the client's clock */
};

enum mm_http_action {
    MM_HTTP_ACCEPT, /* finish with err (normally MM_OK) */
    MM_HTTP_RETRY,  /* try again after the backoff or hint; err if attempts run out */
    MM_HTTP_FAIL,   /* finish now with err */
};

struct mm_http_verdict {
    enum mm_http_action action;
    mm_err err;
    int64_t retry_after_ms; /* server's wait hint, -1 for none */
    bool rate_limited;      /* the host asked to slow down: pause its bucket for the wait */
    char detail[320];       /* reason shown in logs and in response.detail */
};

/* Called for every attempt that got a complete HTTP response, after the
 * default verdict (mm_http_classify_status) was written to *v; may rewrite
 * it (v->detail must stay UTF-8: it goes into JSON log lines). `resp` is
 * borrowed for the call. */
typedef void (*mm_http_classify_fn)(const struct mm_http_response *resp, void *ctx,
                                    struct mm_http_verdict *v);

/* Called once per submitted request when it finished, whatever the outcome.
 * `resp` belongs to the client and is released when the call returns. The
 * callback may submit further requests. */
typedef void (*mm_http_done_fn)(struct mm_http_response *resp, void *ctx);

struct mm_http_request {
    const char *method;         /* NULL: GET, or POST when there is a body */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* n_headers "Name: value" lines */
    size_t n_headers;
    const char *body; /* request body (JSON, form), or NULL */
    size_t body_len;
    const char *bearer_token; /* sent as "Authorization: Bearer ..." when set */
    const char *basic_user;   /* HTTP Basic auth when set (OAuth token requests) */
    const char *basic_password;
    const char *rate_key;         /* rate limiter and counters key; NULL: the URL's host */
    mm_http_classify_fn classify; /* NULL: status only */
    void *classify_ctx;
    bool non_idempotent;       /* retry only what the server surely did not process:
                                  429, 503, refused connections */
    int max_attempts;          /* 0: the client's */
    long timeout_ms;           /* 0: the client's */
    size_t max_response_bytes; /* 0: the client's */
};

/* Fills *opt with the defaults above. */
void mm_http_options_init(struct mm_http_options *opt);

/* A new client; caller frees with mm_http_client_free() (never from one of
 * its callbacks). MM_EINVAL with `err` (may be NULL) naming the bad option;
 * MM_EIO if libcurl fails. */
MM_MUST_CHECK mm_err mm_http_client_new(const struct mm_http_options *opt,
                                        struct mm_http_client **out, char err[MM_ERRLEN]);
/* Requests not finished yet are dropped without their done callback. NULL ok. */
void mm_http_client_free(struct mm_http_client *client);

/* Queues a request; `done` is called from mm_http_run() with its outcome.
 * MM_EINVAL (no done, no URL, no host, header with CR/LF) or MM_ETOOBIG
 * (URL over MM_HTTP_URL_MAX, too many hosts): the request is not queued and
 * done will not be called. */
MM_MUST_CHECK mm_err mm_http_submit(struct mm_http_client *client,
                                    const struct mm_http_request *req, mm_http_done_fn done,
                                    void *ctx);

/* Drives every queued request, and those submitted by callbacks, to its end.
 * MM_OK when all finished (each with its own outcome), MM_EINTERRUPTED when
 * the stop flag ended them, MM_EIO if libcurl's event loop failed (remaining
 * requests finished with MM_EIO), MM_EINVAL when called from a callback. */
MM_MUST_CHECK mm_err mm_http_run(struct mm_http_client *client);

/* Submits `req` and runs the client (other queued requests progress too)
 * until everything finished. *out receives the response; caller releases it
 * with mm_http_response_cleanup(). Returns out->err, or MM_EINVAL/MM_ETOOBIG
 * as mm_http_submit (then *out is a zeroed response with body ""). */
MM_MUST_CHECK mm_err mm_http_fetch(struct mm_http_client *client, const struct mm_http_request *req,
                                   struct mm_http_response *out);

/* Hands the body over: caller frees with free(); the response keeps "". */
char *mm_http_response_take_body(struct mm_http_response *resp);
/* Frees the strings of a response obtained from mm_http_fetch(). */
void mm_http_response_cleanup(struct mm_http_response *resp);

/* Counters of one host (or rate key) since the client was created. */
struct mm_http_host_stats {
    const char *host;           /* borrowed from the client */
    uint64_t requests;          /* attempts sent */
    uint64_t retries;           /* attempts scheduled again after a failure */
    uint64_t connections;       /* new connections opened (the rest reused one) */
    uint64_t responses[6];      /* [0] no response (transport error), [1..5] by status class */
    uint64_t failures;          /* requests finished with an error */
    uint64_t bytes_sent;        /* request bodies */
    uint64_t bytes_received;    /* response bodies, decoded */
    uint64_t ratelimit_waits;   /* attempts that had to wait for a token */
    uint64_t ratelimit_wait_ms; /* total time those waited beyond their due time */
};

/* Copies the counters of `host` into *out: MM_OK, or MM_ENOTFOUND when no
 * request went to it. out->host is borrowed until the client is freed. */
MM_MUST_CHECK mm_err mm_http_stats_get(const struct mm_http_client *client, const char *host,
                                       struct mm_http_host_stats *out);
/* Number of hosts seen, and the counters of the i-th (in order of first use). */
size_t mm_http_stats_count(const struct mm_http_client *client);
void mm_http_stats_at(const struct mm_http_client *client, size_t i,
                      struct mm_http_host_stats *out);

/* --- helpers (http_util.c) --- */

/* The default verdict of a complete response: 2xx accept; 404 fail with
 * MM_ENOTFOUND; 408, 500, 502, 503, 504 retry (429 and 503 rate-limited)
 * with the Retry-After hint; anything else fail with MM_EHTTP.
 * `now_s` dates an HTTP-date Retry-After. */
void mm_http_classify_status(const struct mm_http_response *resp, int64_t now_s,
                             struct mm_http_verdict *v);

/* Classify hook for Google (Gemini) and OpenAI error bodies, plain or wrapped
 * in a JSON array: RetryInfo.retryDelay ("32s") becomes the hint when longer
 * than Retry-After; a QuotaFailure whose quotaId contains "PerDay", or an
 * OpenAI "insufficient_quota", fails at once (waiting does not help). */
void mm_http_classify_gemini(const struct mm_http_response *resp, void *ctx,
                             struct mm_http_verdict *v);

/* Classify hook for Last.fm, whose errors come as {"error":N,"message":...}
 * in any status, 200 included: 29 retry rate-limited; 8, 11, 16 retry; 6 fail
 * with MM_ENOTFOUND; every other code fails with MM_EHTTP. */
void mm_http_classify_lastfm(const struct mm_http_response *resp, void *ctx,
                             struct mm_http_verdict *v);

/* `url` with the values of the query parameters api_key, key, token,
 * access_token, client_secret, refresh_token (any case) and any user:password
 * replaced by "[REDACTED]". Caller frees with free(). */
char *mm_http_redact_url(const char *url);

/* Appends "name=value" to a form body, percent-encoded
 * (application/x-www-form-urlencoded), after a '&' unless `out` is empty. */
MM_MUST_CHECK mm_err mm_http_form_append(struct mm_buf *out, const char *name, const char *value);
/* Appends "name=value" to the query of the URL in `url`, after '?' or '&'. */
MM_MUST_CHECK mm_err mm_http_query_append(struct mm_buf *url, const char *name, const char *value);

#endif
