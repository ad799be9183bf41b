/*
 * http.c — the client: options, lifetime, request records, the pending
 * queue, the event loop over one curl multi handle, synchronous fetch and
 * per-host counters (one attempt is http_xfer.c's business).
 *
 * A request (struct mm_http_xfer) is always in exactly one place: the
 * pending queue (waiting for its due time or a rate-limiter token), the
 * in-flight table (attached to the multi handle), or being finished. The loop starts what is
 * due, lets curl work, completes what curl finished, and sleeps in
 * curl_multi_poll() — or in the clock's sleep when nothing is in flight —
 * until the next due time. libcurl codes end in this module (as mm_err).
 */
#include "common/http_xfer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define POLL_SLICE_MS 1000 /* longest single wait: bounds how late a stop flag is seen... */
#define STOP_SLICE_MS 100  /* ...and with a stop flag, this */

/* --- clock, options, global init --- */

static uint64_t real_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t real_wall_s(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

/* One nanosleep; a signal cuts it short so that the loop sees a stop flag. */
static void real_sleep_ms(void *ctx, uint64_t ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void mm_http_options_init(struct mm_http_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->user_agent = "moodmusic/" MM_VERSION;
    opt->connect_timeout_ms = 10000;
    opt->timeout_ms = 60000;
    opt->max_response_bytes = 16 << 20;
    opt->max_in_flight = 8;
    opt->max_attempts = 5;
    opt->min_wait_ms = 500;
    opt->max_wait_ms = 60000;
    opt->default_burst = 1;
}

/* *opt with its zero fields replaced by the defaults. */
static struct mm_http_options with_defaults(const struct mm_http_options *opt)
{
    struct mm_http_options d, o = *opt;
    mm_http_options_init(&d);
    o.user_agent = o.user_agent ? o.user_agent : d.user_agent;
    o.connect_timeout_ms = o.connect_timeout_ms ? o.connect_timeout_ms : d.connect_timeout_ms;
    o.timeout_ms = o.timeout_ms ? o.timeout_ms : d.timeout_ms;
    o.max_response_bytes = o.max_response_bytes ? o.max_response_bytes : d.max_response_bytes;
    o.max_in_flight = o.max_in_flight ? o.max_in_flight : d.max_in_flight;
    o.max_attempts = o.max_attempts ? o.max_attempts : d.max_attempts;
    o.min_wait_ms = o.min_wait_ms ? o.min_wait_ms : d.min_wait_ms;
    o.max_wait_ms = o.max_wait_ms ? o.max_wait_ms : d.max_wait_ms;
    o.default_burst = o.default_burst != 0 ? o.default_burst : d.default_burst;
    return o;
}

static bool has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* MM_EINVAL with `err` naming the first bad option. */
static mm_err check_options(const struct mm_http_options *o, char err[MM_ERRLEN])
{
    const char *what = NULL;
    struct mm_ratelimit_rule fallback = {"default", o->default_rate, o->default_burst};
    mm_err ret = MM_OK;
    if (!o->user_agent[0] || has_crlf(o->user_agent))
        what = "user_agent: expected a non-empty single line";
    else if (o->connect_timeout_ms < 0 || o->timeout_ms < 0)
        what = "connect_timeout_ms/timeout_ms: expected milliseconds > 0";
    else if (o->max_in_flight < 1 || o->max_in_flight > 1024)
        what = "max_in_flight: expected 1..1024";
    else if (o->max_attempts < 1 || o->max_attempts > 100)
        what = "max_attempts: expected 1..100";
    else if (o->min_wait_ms > o->max_wait_ms)
        what = "min_wait_ms: expected at most max_wait_ms";
    if (what) {
        ret = MM_EINVAL;
        if (err)
            snprintf(err, MM_ERRLEN, "http options: %s", what);
    }
    for (size_t i = 0; i < o->n_rate_rules && !ret; i++)
        ret = mm_ratelimit_rule_check(&o->rate_rules[i], err);
    return ret ? ret : mm_ratelimit_rule_check(&fallback, err);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

/* libcurl's global state lives as long as the process (curl_global_cleanup is
 * never called: another client may start at any time). */
static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- client lifetime --- */

static void copy_rules(struct mm_http_client *c, const struct mm_http_options *o)
{
    c->n_rules = o->n_rate_rules;
    c->rules = mm_xcalloc(o->n_rate_rules + 1, sizeof(*c->rules));
    for (size_t i = 0; i < o->n_rate_rules; i++) {
        c->rules[i] = o->rate_rules[i];
        c->rules[i].key = mm_xstrdup(o->rate_rules[i].key);
    }
    c->default_rate = o->default_rate;
    c->default_burst = o->default_burst;
}

static void init_clock(struct mm_http_client *c, const struct mm_http_options *o)
{
    static const struct mm_http_clock real = {real_now_ms, real_wall_s, real_sleep_ms, NULL};
    c->clock = o->clock ? *o->clock : real;
    c->clock.now_ms = c->clock.now_ms ? c->clock.now_ms : real_now_ms;
    c->clock.wall_s = c->clock.wall_s ? c->clock.wall_s : real_wall_s;
    c->clock.sleep_ms = c->clock.sleep_ms ? c->clock.sleep_ms : real_sleep_ms;
    c->rng = o->seed ? o->seed : real_now_ms(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)c;
}

mm_err mm_http_client_new(const struct mm_http_options *opt, struct mm_http_client **out,
                          char err[MM_ERRLEN])
{
    struct mm_http_options o = with_defaults(opt);
    struct mm_http_client *c = NULL;
    mm_err ret = check_options(&o, err);
    *out = NULL;
    if (ret)
        goto out;
    pthread_once(&curl_once, curl_init);
    CURLM *multi = curl_init_result == CURLE_OK ? curl_multi_init() : NULL;
    if (!multi) {
        ret = MM_EIO;
        if (err)
            snprintf(err, MM_ERRLEN, "http: libcurl initialisation failed");
        goto out;
    }
    c = mm_xcalloc(1, sizeof(*c));
    c->multi = multi;
    c->max_in_flight = (size_t)o.max_in_flight;
    c->idle = mm_xcalloc(c->max_in_flight, sizeof(*c->idle));
    c->flying = mm_xcalloc(c->max_in_flight, sizeof(*c->flying));
    c->hosts = mm_xcalloc(MM_HTTP_HOSTS_MAX, sizeof(*c->hosts));
    c->user_agent = mm_xstrdup(o.user_agent);
    c->connect_timeout_ms = o.connect_timeout_ms;
    c->timeout_ms = o.timeout_ms;
    c->max_bytes = o.max_response_bytes;
    c->backoff = (struct mm_backoff){o.max_attempts, o.min_wait_ms, o.max_wait_ms};
    c->stop = o.stop;
    copy_rules(c, &o);
    init_clock(c, &o);
    /* Idle connections kept: one per possible transfer, for keep-alive reuse. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)c->max_in_flight);
    *out = c;
out:
    return ret;
}

void mm_http_client_free(struct mm_http_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_flying; i++) {
        curl_multi_remove_handle(c->multi, c->flying[i]->easy);
        curl_easy_cleanup(c->flying[i]->easy);
        mm_http_xfer_free(c->flying[i]);
    }
    while (c->pending) {
        struct mm_http_xfer *x = c->pending;
        c->pending = x->next;
        mm_http_xfer_free(x);
    }
    for (size_t i = 0; i < c->n_idle; i++)
        curl_easy_cleanup(c->idle[i]);
    curl_multi_cleanup(c->multi);
    for (size_t i = 0; i < c->n_hosts; i++) {
        free(c->hosts[i]->key);
        free(c->hosts[i]);
    }
    for (size_t i = 0; i < c->n_rules; i++)
        free((char *)c->rules[i].key);
    free(c->rules);
    free(c->hosts);
    free(c->flying);
    free(c->idle);
    free(c->user_agent);
    free(c);
}

/* --- submitting --- */

/* The lowercased host of an http(s) URL: caller frees. MM_EINVAL otherwise. */
static mm_err url_host(const char *url, char **out)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    mm_err err = MM_EINVAL;
    MM_ASSERT(u != NULL);
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0]) {
        *out = mm_xstrdup(host);
        for (char *p = *out; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        err = MM_OK;
    }
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return err;
}

/* The host record of `key`, created on first use. MM_ETOOBIG past MM_HTTP_HOSTS_MAX. */
static mm_err find_host(struct mm_http_client *c, const char *key, struct mm_http_host **out)
{
    mm_err err = MM_OK;
    *out = NULL;
    for (size_t i = 0; i < c->n_hosts && !*out; i++) {
        if (strcasecmp(c->hosts[i]->key, key) == 0)
            *out = c->hosts[i];
    }
    if (!*out && c->n_hosts == MM_HTTP_HOSTS_MAX) {
        err = MM_ETOOBIG;
    } else if (!*out) {
        const struct mm_ratelimit_rule *rule = mm_ratelimit_rule_find(c->rules, c->n_rules, key);
        struct mm_http_host *h = mm_xcalloc(1, sizeof(*h));
        h->key = mm_xstrdup(key);
        h->stats.host = h->key;
        mm_ratelimit_init(&h->bucket, rule ? rule->rate : c->default_rate,
                          rule ? rule->burst : c->default_burst, mm_http_client_now(c));
        c->hosts[c->n_hosts++] = h;
        *out = h;
    }
    return err;
}

static struct curl_slist *slist_add(struct curl_slist *list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(list, line);
    MM_ASSERT(grown != NULL); /* fails only on out-of-memory: abort, as mm_xmalloc does */
    return grown;
}

static struct curl_slist *build_headers(const struct mm_http_request *req)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < req->n_headers; i++)
        list = slist_add(list, req->headers[i]);
    if (req->bearer_token) {
        char *line = mm_xasprintf("Authorization: Bearer %s", req->bearer_token);
        list = slist_add(list, line);
        free(line);
    }
    /* A body is sent at once: no 1 s stall waiting for "100 Continue". */
    if (req->body)
        list = slist_add(list, "Expect:");
    return list;
}

static bool request_has_crlf(const struct mm_http_request *req)
{
    bool bad = has_crlf(req->bearer_token) || has_crlf(req->basic_user) ||
               has_crlf(req->basic_password) || has_crlf(req->method);
    for (size_t i = 0; i < req->n_headers && !bad; i++)
        bad = !req->headers[i] || has_crlf(req->headers[i]);
    return bad;
}

void mm_http_client_enqueue(struct mm_http_client *c, struct mm_http_xfer *x)
{
    x->next = NULL;
    if (c->pending_tail)
        c->pending_tail->next = x;
    else
        c->pending = x;
    c->pending_tail = x;
}

static struct mm_http_xfer *xfer_new(struct mm_http_client *c, const struct mm_http_request *req,
                                     struct mm_http_host *host, mm_http_done_fn done, void *ctx)
{
    struct mm_http_xfer *x = mm_xcalloc(1, sizeof(*x));
    x->host = host;
    x->method = mm_xstrdup(req->method ? req->method : req->body ? "POST" : "GET");
    x->url = mm_xstrdup(req->url);
    x->url_redacted = mm_http_redact_url(req->url);
    if (req->body) {
        x->body = mm_xmalloc(req->body_len + 1);
        memcpy(x->body, req->body, req->body_len);
        x->body[req->body_len] = '\0';
        x->body_len = req->body_len;
    }
    x->headers = build_headers(req);
    x->basic_user = mm_xstrdup(req->basic_user);
    x->basic_password = mm_xstrdup(req->basic_user ? req->basic_password : NULL);
    x->classify = req->classify;
    x->classify_ctx = req->classify_ctx;
    x->done = done;
    x->done_ctx = ctx;
    x->non_idempotent = req->non_idempotent;
    x->max_attempts = req->max_attempts > 0 ? req->max_attempts : c->backoff.max_attempts;
    x->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
    x->max_bytes = req->max_response_bytes ? req->max_response_bytes : c->max_bytes;
    mm_buf_init(&x->resp_body, x->max_bytes);
    x->submitted_ms = x->due_ms = mm_http_client_now(c);
    return x;
}

mm_err mm_http_submit(struct mm_http_client *c, const struct mm_http_request *req,
                      mm_http_done_fn done, void *ctx)
{
    char *hostname = NULL;
    struct mm_http_host *host = NULL;
    mm_err err = MM_EINVAL;
    if (!done || !req->url || request_has_crlf(req))
        goto out;
    err = strlen(req->url) > MM_HTTP_URL_MAX ? MM_ETOOBIG : url_host(req->url, &hostname);
    if (err)
        goto out;
    err = find_host(c, req->rate_key ? req->rate_key : hostname, &host);
    if (err)
        goto out_free_hostname;
    mm_http_client_enqueue(c, xfer_new(c, req, host, done, ctx));
out_free_hostname:
    free(hostname);
out:
    return err;
}

/* --- the event loop --- */

/* Starts, in queue order, every pending request that is due and gets a token
 * of its host. Returns the milliseconds until the next one may start
 * (UINT64_MAX when none waits, or every slot is busy). */
static uint64_t start_due(struct mm_http_client *c)
{
    uint64_t t = mm_http_client_now(c), next = UINT64_MAX;
    struct mm_http_xfer **link = &c->pending, *prev = NULL;
    while (*link && c->n_flying < c->max_in_flight) {
        struct mm_http_xfer *x = *link;
        struct mm_http_host_stats *st = &x->host->stats;
        uint64_t wait = x->due_ms > t ? x->due_ms - t : mm_ratelimit_take(&x->host->bucket, t);
        if (wait == 0) {
            *link = x->next;
            c->pending_tail = c->pending_tail == x ? prev : c->pending_tail;
            st->ratelimit_wait_ms += x->waited ? t - x->due_ms : 0;
            mm_http_xfer_start(c, x);
        } else {
            if (x->due_ms <= t && !x->waited) {
                x->waited = true;
                st->ratelimit_waits++;
            }
            next = wait < next ? wait : next;
            prev = x;
            link = &x->next;
        }
    }
    return next;
}

/* Completes every attempt curl finished; returns how many. */
static int drain(struct mm_http_client *c)
{
    int n = 0, left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            char *priv = NULL;
            CURLcode result = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            mm_http_xfer_complete(c, (struct mm_http_xfer *)(void *)priv, result);
            n++;
        }
    }
    return n;
}

/* Finishes everything, including what the done callbacks submit meanwhile. */
static void abort_all(struct mm_http_client *c, mm_err err, const char *why)
{
    while (c->n_flying || c->pending) {
        struct mm_http_xfer *x = c->n_flying ? c->flying[c->n_flying - 1] : c->pending;
        if (x->easy) {
            mm_http_xfer_untrack(c, x);
        } else {
            c->pending = x->next;
            c->pending_tail = c->pending ? c->pending_tail : NULL;
        }
        mm_buf_reset(&x->resp_body);
        mm_http_xfer_finish(c, x, err, 0, why);
    }
}

/* Waits for network activity or until `wait` ms pass, whichever is first. */
static mm_err wait_for_work(struct mm_http_client *c, uint64_t wait)
{
    uint64_t slice = c->stop ? STOP_SLICE_MS : POLL_SLICE_MS;
    mm_err err = MM_OK;
    wait = wait < slice ? wait : slice;
    if (c->n_flying)
        err = curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL) == CURLM_OK ? MM_OK : MM_EIO;
    else
        c->clock.sleep_ms(c->clock.ctx, wait);
    return err;
}

mm_err mm_http_run(struct mm_http_client *c)
{
    mm_err err = MM_OK;
    if (c->running) {
        err = MM_EINVAL;
        goto out;
    }
    c->running = true;
    for (;;) {
        if (c->stop && *c->stop) {
            err = MM_EINTERRUPTED;
            abort_all(c, err, "interrupted");
            break;
        }
        uint64_t wait = start_due(c);
        int still = 0;
        if (c->n_flying && curl_multi_perform(c->multi, &still) != CURLM_OK)
            err = MM_EIO;
        if (!err && c->n_flying && drain(c) > 0)
            continue;
        if (!err && !c->n_flying && !c->pending)
            break;
        err = err ? err : wait_for_work(c, wait);
        if (err) {
            abort_all(c, err, "libcurl event loop failed");
            break;
        }
    }
    c->running = false;
out:
    return err;
}

/* --- synchronous use, responses, counters --- */

static void fetch_done(struct mm_http_response *resp, void *ctx)
{
    struct mm_http_response *out = ctx;
    *out = *resp;
    memset(resp, 0, sizeof(*resp));
}

mm_err mm_http_fetch(struct mm_http_client *c, const struct mm_http_request *req,
                     struct mm_http_response *out)
{
    memset(out, 0, sizeof(*out));
    mm_err err = c->running ? MM_EINVAL : mm_http_submit(c, req, fetch_done, out);
    if (err) {
        out->err = err;
        out->body = mm_xstrdup("");
        goto out;
    }
    /* Whatever the loop's fate, every request has finished and called done by
     * now: the outcome of this one is what the caller asked for. */
    mm_err run_err = mm_http_run(c);
    MM_ASSERT(run_err != MM_EINVAL);
    err = out->err;
out:
    return err;
}

char *mm_http_response_take_body(struct mm_http_response *resp)
{
    char *body = resp->body;
    resp->body = mm_xstrdup("");
    resp->body_len = 0;
    return body;
}

void mm_http_response_cleanup(struct mm_http_response *resp)
{
    free(resp->body);
    free(resp->content_type);
    free(resp->retry_after);
    free(resp->url);
    free(resp->detail);
    memset(resp, 0, sizeof(*resp));
}

mm_err mm_http_stats_get(const struct mm_http_client *c, const char *host,
                         struct mm_http_host_stats *out)
{
    mm_err err = MM_ENOTFOUND;
    for (size_t i = 0; i < c->n_hosts && err; i++) {
        if (strcasecmp(c->hosts[i]->key, host) == 0) {
            *out = c->hosts[i]->stats;
            err = MM_OK;
        }
    }
    return err;
}

size_t mm_http_stats_count(const struct mm_http_client *c)
{
    return c->n_hosts;
}

void mm_http_stats_at(const struct mm_http_client *c, size_t i, struct mm_http_host_stats *out)
{
    MM_ASSERT(i < c->n_hosts);
    *out = c->hosts[i]->stats;
}
