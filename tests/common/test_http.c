/* Tests for common/http.c: plain requests, methods and auth, keep-alive
 * reuse, concurrency, callbacks, rate limiting (fake and real clock), host
 * pauses, redaction in a captured log, the stop flag, refused submissions,
 * options and counters. Attempt outcomes are in test_http_xfer.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_fixture.h"

/* --- plain requests --- */

/* The echo server's JSON answer. Caller json_decrefs. */
static json_t *echo_of(const struct mm_http_response *r)
{
    json_t *doc = json_loadb(r->body, r->body_len, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static const char *echo_header(json_t *doc, const char *name)
{
    return json_string_value(json_object_get(json_object_get(doc, "headers"), name));
}

static void test_get_success(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/echo?x=1", &r), MM_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.content_type, "application/json");
    assert_null(r.retry_after);
    assert_string_equal(r.detail, "");
    json_t *doc = echo_of(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(doc, "path")), "/echo?x=1");
    assert_string_equal(echo_header(doc, "user-agent"), UA);
    assert_null(echo_header(doc, "authorization"));
    json_decref(doc);
    char *body = mm_http_response_take_body(&r);
    assert_true(strlen(body) > 10);
    assert_string_equal(r.body, "");
    free(body);
    mm_http_response_cleanup(&r);
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.requests, 1);
    assert_int_equal(s.responses[2], 1);
    assert_int_equal(s.retries, 0);
    assert_int_equal(s.failures, 0);
    assert_true(s.bytes_received > 10);
    mm_http_client_free(c);
}

static void test_post_put_bodies_and_auth(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    char *u = url("/echo");
    const char *json_headers[] = {"Content-Type: application/json", "X-Trace: t1"};
    const char *json_body = "{\"model\":\"gemini-2.5-flash\",\"messages\":[]}";
    struct mm_http_request req = {.url = u,
                                  .headers = json_headers,
                                  .n_headers = 2,
                                  .body = json_body,
                                  .body_len = strlen(json_body),
                                  .bearer_token = "tok-123"};
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_OK);
    json_t *doc = echo_of(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(doc, "body")), json_body);
    assert_string_equal(echo_header(doc, "content-type"), "application/json");
    assert_string_equal(echo_header(doc, "x-trace"), "t1");
    assert_string_equal(echo_header(doc, "authorization"), "Bearer tok-123");
    assert_null(echo_header(doc, "expect"));
    json_decref(doc);
    mm_http_response_cleanup(&r);

    /* An OAuth token request: form body with Basic auth. */
    struct mm_buf form;
    mm_buf_init(&form, 1024);
    assert_int_equal(mm_http_form_append(&form, "grant_type", "client_credentials"), MM_OK);
    const char *form_headers[] = {"Content-Type: application/x-www-form-urlencoded"};
    struct mm_http_request token = {.url = u,
                                    .headers = form_headers,
                                    .n_headers = 1,
                                    .body = form.data,
                                    .body_len = form.len,
                                    .basic_user = "user",
                                    .basic_password = "pass"};
    assert_int_equal(mm_http_fetch(c, &token, &r), MM_OK);
    doc = echo_of(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "body")),
                        "grant_type=client_credentials");
    assert_string_equal(echo_header(doc, "authorization"), "Basic dXNlcjpwYXNz");
    json_decref(doc);
    mm_http_response_cleanup(&r);
    size_t sent = strlen(json_body) + form.len + 3;
    mm_buf_cleanup(&form);

    struct mm_http_request put = {.method = "PUT", .url = u, .body = "abc", .body_len = 3};
    assert_int_equal(mm_http_fetch(c, &put, &r), MM_OK);
    doc = echo_of(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(doc, "body")), "abc");
    json_decref(doc);
    mm_http_response_cleanup(&r);
    assert_int_equal(stats(c, "127.0.0.1").bytes_sent, sent);
    free(u);
    mm_http_client_free(c);
}

/* Sequential requests reuse one kept-alive connection. */
static void test_keepalive_reuse(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    json_int_t first = 0;
    for (int i = 0; i < 5; i++) {
        struct mm_http_response r;
        assert_int_equal(get(c, "/echo", &r), MM_OK);
        json_t *doc = echo_of(&r);
        json_int_t conn = json_integer_value(json_object_get(doc, "connection"));
        first = i == 0 ? conn : first;
        assert_int_equal(conn, first);
        json_decref(doc);
        mm_http_response_cleanup(&r);
    }
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.requests, 5);
    assert_int_equal(s.connections, 1);
    mm_http_client_free(c);
}

struct tally {
    int done;
    int ok;
    mm_err last_err;
    uint64_t last_total_ms;
    struct mm_http_client *client;
    int chain_left;
    volatile sig_atomic_t *stop;
};

static void count_done(struct mm_http_response *r, void *ctx)
{
    struct tally *t = ctx;
    t->done++;
    t->ok += r->err == MM_OK;
    t->last_err = r->err;
    t->last_total_ms = r->total_ms;
}

static void test_many_in_flight(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    struct tally t = {0};
    char *u = url("/seq/parallel?s=200;sleep=300");
    struct mm_http_request req = {.url = u};
    for (int i = 0; i < 6; i++)
        assert_int_equal(mm_http_submit(c, &req, count_done, &t), MM_OK);
    free(u);
    uint64_t t0 = real_ms();
    assert_int_equal(mm_http_run(c), MM_OK);
    uint64_t elapsed = real_ms() - t0;
    assert_int_equal(t.done, 6);
    assert_int_equal(t.ok, 6);
    assert_true(elapsed >= 300 && elapsed < 1200); /* 6 x 300 ms one after the other: 1800 */
    assert_int_equal(stats(c, "127.0.0.1").connections, 6);
    mm_http_client_free(c);
}

static void chain_done(struct mm_http_response *r, void *ctx)
{
    struct tally *t = ctx;
    count_done(r, ctx);
    if (t->chain_left-- > 0) {
        char *u = url("/echo");
        struct mm_http_request req = {.url = u};
        assert_int_equal(mm_http_submit(t->client, &req, chain_done, t), MM_OK);
        struct mm_http_response nested;
        assert_int_equal(mm_http_fetch(t->client, &req, &nested), MM_EINVAL);
        assert_int_equal(nested.err, MM_EINVAL);
        mm_http_response_cleanup(&nested);
        assert_int_equal(mm_http_run(t->client), MM_EINVAL);
        free(u);
    }
}

/* Callbacks may submit more; mm_http_run drives those too. */
static void test_callbacks_submit_more(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    struct tally t = {.client = c, .chain_left = 3};
    char *u = url("/echo");
    struct mm_http_request req = {.url = u};
    assert_int_equal(mm_http_submit(c, &req, chain_done, &t), MM_OK);
    free(u);
    assert_int_equal(mm_http_run(c), MM_OK);
    assert_int_equal(t.done, 4);
    assert_int_equal(t.ok, 4);
    assert_int_equal(mm_http_run(c), MM_OK); /* nothing left: returns at once */
    mm_http_client_free(c);
}

/* --- rate limiting --- */

static void test_rate_limit_one_per_second(void **state)
{
    (void)state;
    const struct mm_ratelimit_rule rules[] = {{"127.0.0.1", 1.0, 1.0}};
    struct mm_http_options o = options(true);
    o.rate_rules = rules;
    o.n_rate_rules = 1;
    struct mm_http_client *c = client(&o);
    struct tally t = {0};
    char *u = url("/echo");
    struct mm_http_request req = {.url = u};
    for (int i = 0; i < 5; i++)
        assert_int_equal(mm_http_submit(c, &req, count_done, &t), MM_OK);
    assert_int_equal(mm_http_run(c), MM_OK);
    assert_int_equal(t.ok, 5);
    assert_int_equal(fake.now - FAKE_T0, 4000);
    assert_int_equal(t.last_total_ms, 4000);
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.ratelimit_waits, 4);
    assert_int_equal(s.ratelimit_wait_ms, 1000 + 2000 + 3000 + 4000);

    /* A rate key separates a provider from others on the same host. */
    const struct mm_ratelimit_rule keyed[] = {{"musicbrainz", 2.0, 1.0}};
    o = options(true);
    o.rate_rules = keyed;
    o.n_rate_rules = 1;
    mm_http_client_free(c);
    c = client(&o);
    struct mm_http_request mb = {.url = u, .rate_key = "musicbrainz"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mm_http_submit(c, &mb, count_done, &t), MM_OK);
        assert_int_equal(mm_http_submit(c, &req, count_done, &t), MM_OK);
    }
    assert_int_equal(mm_http_run(c), MM_OK);
    assert_int_equal(fake.now - FAKE_T0, 1000);
    assert_int_equal(stats(c, "musicbrainz").requests, 3);
    assert_int_equal(stats(c, "musicbrainz").ratelimit_waits, 2);
    assert_int_equal(stats(c, "127.0.0.1").requests, 3);
    assert_int_equal(stats(c, "127.0.0.1").ratelimit_waits, 0);
    free(u);
    mm_http_client_free(c);
}

static void test_rate_limit_real_clock(void **state)
{
    (void)state;
    const struct mm_ratelimit_rule rules[] = {{"127.0.0.1", 20.0, 1.0}};
    struct mm_http_options o = options(false);
    o.rate_rules = rules;
    o.n_rate_rules = 1;
    struct mm_http_client *c = client(&o);
    struct tally t = {0};
    char *u = url("/echo");
    struct mm_http_request req = {.url = u};
    for (int i = 0; i < 5; i++)
        assert_int_equal(mm_http_submit(c, &req, count_done, &t), MM_OK);
    uint64_t t0 = real_ms();
    assert_int_equal(mm_http_run(c), MM_OK);
    uint64_t elapsed = real_ms() - t0;
    assert_int_equal(t.ok, 5);
    assert_true(elapsed >= 195 && elapsed < 2000);
    free(u);
    mm_http_client_free(c);
}

/* A 429 pauses its host: requests queued behind it wait for the hint too. */
static void test_429_pauses_the_host(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    o.max_in_flight = 1;
    struct mm_http_client *c = client(&o);
    struct tally a = {0}, b = {0};
    char *ua = url("/seq/pause-a?s=429;ra=2,200"), *ub = url("/echo");
    struct mm_http_request ra = {.url = ua}, rb = {.url = ub};
    assert_int_equal(mm_http_submit(c, &ra, count_done, &a), MM_OK);
    assert_int_equal(mm_http_submit(c, &rb, count_done, &b), MM_OK);
    assert_int_equal(mm_http_run(c), MM_OK);
    assert_int_equal(a.ok + b.ok, 2);
    assert_int_equal(b.last_total_ms, 2000);
    assert_int_equal(stats(c, "127.0.0.1").ratelimit_waits, 1);
    free(ua);
    free(ub);
    mm_http_client_free(c);
}

/* --- logging and redaction --- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct mm_buf b;
    char chunk[4096];
    size_t n;
    assert_non_null(f);
    mm_buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(f);
    char *text = mm_buf_take(&b);
    return text ? text : mm_xstrdup("");
}

static void test_secrets_never_logged(void **state)
{
    (void)state;
    char dir[] = "/tmp/mm-test-http-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *log_path = mm_xasprintf("%s/log.jsonl", dir);
    assert_int_equal(mm_log_open(log_path, MM_LOG_DEBUG, NULL), MM_OK);
    struct mm_http_options o = options(true);
    o.max_attempts = 2;
    struct mm_http_client *c = client(&o);
    char *u = url("/seq/secret?s=503&api_key=S3CRET-A&q=moody&token=S3CRET-B&Access_Token="
                  "S3CRET-C&client_secret=S3CRET-D&refresh_token=S3CRET-E&key=S3CRET-F");
    struct mm_http_request req = {.url = u,
                                  .bearer_token = "S3CRET-G",
                                  .basic_user = "S3CRET-H",
                                  .basic_password = "S3CRET-I"};
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_EHTTP);
    assert_null(strstr(r.url, "S3CRET"));
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
    assert_int_equal(mm_log_open(NULL, MM_LOG_ERROR, NULL), MM_OK);

    char *text = slurp(log_path);
    assert_null(strstr(text, "S3CRET"));
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    json_t *warn = json_loadb(text, (size_t)(nl - text), 0, NULL);
    json_t *error = json_loads(nl + 1, 0, NULL);
    assert_non_null(warn);
    assert_non_null(error);
    assert_string_equal(json_string_value(json_object_get(warn, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(warn, "method")), "GET");
    assert_int_equal(json_integer_value(json_object_get(warn, "status")), 503);
    assert_int_equal(json_integer_value(json_object_get(warn, "attempt")), 1);
    assert_true(json_is_integer(json_object_get(warn, "wait_ms")));
    const char *logged_url = json_string_value(json_object_get(warn, "url"));
    assert_non_null(strstr(logged_url, "api_key=[REDACTED]&q=moody&token=[REDACTED]"));
    assert_non_null(strstr(logged_url, "key=[REDACTED]"));
    assert_string_equal(json_string_value(json_object_get(error, "level")), "error");
    assert_int_equal(json_integer_value(json_object_get(error, "attempt")), 2);
    assert_string_equal(json_string_value(json_object_get(error, "error")), "MM_EHTTP");
    json_decref(warn);
    json_decref(error);
    free(text);
    free(u);
    unlink(log_path);
    rmdir(dir);
    free(log_path);
}

/* --- stop flag, misuse, counters --- */

static void stop_on_done(struct mm_http_response *r, void *ctx)
{
    struct tally *t = ctx;
    count_done(r, ctx);
    *t->stop = 1;
}

static void test_stop_flag_interrupts(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 0;
    struct mm_http_options o = options(false);
    o.stop = &stop;
    struct mm_http_client *c = client(&o);
    struct tally fast = {.stop = &stop}, slow = {0}, waiting = {0};
    char *uf = url("/echo"), *us = url("/seq/stop-slow?s=200;sleep=3000");
    char *uw = url("/seq/stop-retry?s=503;ra=5");
    struct mm_http_request rf = {.url = uf}, rs = {.url = us}, rw = {.url = uw};
    assert_int_equal(mm_http_submit(c, &rs, count_done, &slow), MM_OK);
    assert_int_equal(mm_http_submit(c, &rw, count_done, &waiting), MM_OK);
    assert_int_equal(mm_http_submit(c, &rf, stop_on_done, &fast), MM_OK);
    uint64_t t0 = real_ms();
    assert_int_equal(mm_http_run(c), MM_EINTERRUPTED);
    assert_true(real_ms() - t0 < 2000);
    assert_int_equal(fast.ok, 1);
    assert_int_equal(slow.done, 1);
    assert_int_equal(slow.last_err, MM_EINTERRUPTED);
    assert_int_equal(waiting.done, 1);
    assert_int_equal(waiting.last_err, MM_EINTERRUPTED);
    free(uf);
    free(us);
    free(uw);
    mm_http_client_free(c);
}

static void never_called(struct mm_http_response *r, void *ctx)
{
    (void)r;
    (void)ctx;
    fail_msg("done called for a refused request");
}

static void test_submit_refusals(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    const char *bad_urls[] = {"ftp://127.0.0.1/x", "not a url", "http://", "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        struct mm_http_request req = {.url = bad_urls[i]};
        assert_int_equal(mm_http_submit(c, &req, never_called, NULL), MM_EINVAL);
    }
    struct mm_http_request none = {0};
    assert_int_equal(mm_http_submit(c, &none, never_called, NULL), MM_EINVAL);
    char *u = url("/echo");
    struct mm_http_request ok = {.url = u};
    assert_int_equal(mm_http_submit(c, &ok, NULL, NULL), MM_EINVAL);
    const char *split[] = {"X-A: 1\r\nX-Injected: 2"};
    struct mm_http_request crlf = {.url = u, .headers = split, .n_headers = 1};
    assert_int_equal(mm_http_submit(c, &crlf, never_called, NULL), MM_EINVAL);
    struct mm_http_request bearer = {.url = u, .bearer_token = "t\nX: y"};
    assert_int_equal(mm_http_submit(c, &bearer, never_called, NULL), MM_EINVAL);

    char *long_url = mm_xmalloc(MM_HTTP_URL_MAX + 32);
    int n = snprintf(long_url, 32, "http://127.0.0.1/?q=");
    memset(long_url + n, 'a', MM_HTTP_URL_MAX);
    long_url[n + MM_HTTP_URL_MAX] = '\0';
    struct mm_http_request big = {.url = long_url};
    assert_int_equal(mm_http_submit(c, &big, never_called, NULL), MM_ETOOBIG);
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &big, &r), MM_ETOOBIG);
    assert_string_equal(r.body, "");
    mm_http_response_cleanup(&r);
    free(long_url);

    /* The host table is capped. */
    mm_http_client_free(c);
    c = client(&o);
    for (int i = 0; i < MM_HTTP_HOSTS_MAX; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        struct mm_http_request keyed = {.url = u, .rate_key = key};
        assert_int_equal(mm_http_submit(c, &keyed, count_done, &(struct tally){0}), MM_OK);
    }
    struct mm_http_request one_more = {.url = u, .rate_key = "one-more"};
    assert_int_equal(mm_http_submit(c, &one_more, never_called, NULL), MM_ETOOBIG);
    mm_http_client_free(c); /* drops the queued requests without calling done */
    free(u);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct mm_http_client *c = (struct mm_http_client *)&c;
    char err[MM_ERRLEN];
    struct mm_http_options o = options(true);
    o.min_wait_ms = 5000;
    o.max_wait_ms = 1000;
    assert_int_equal(mm_http_client_new(&o, &c, err), MM_EINVAL);
    assert_null(c);
    assert_non_null(strstr(err, "min_wait_ms"));
    o = options(true);
    o.user_agent = "ua\r\nX-Evil: 1";
    assert_int_equal(mm_http_client_new(&o, &c, err), MM_EINVAL);
    assert_non_null(strstr(err, "user_agent"));
    o = options(true);
    o.max_attempts = 101;
    assert_int_equal(mm_http_client_new(&o, &c, NULL), MM_EINVAL);
    const struct mm_ratelimit_rule bad[] = {{"h", 1.0, 0.5}};
    o = options(true);
    o.rate_rules = bad;
    o.n_rate_rules = 1;
    assert_int_equal(mm_http_client_new(&o, &c, err), MM_EINVAL);
    assert_non_null(strstr(err, "burst"));
    o = options(true);
    o.default_rate = -1;
    assert_int_equal(mm_http_client_new(&o, &c, err), MM_EINVAL);
    assert_non_null(strstr(err, "default"));
    /* All zeros means all defaults. */
    struct mm_http_options zero = {0};
    assert_int_equal(mm_http_client_new(&zero, &c, err), MM_OK);
    mm_http_client_free(c);
    mm_http_client_free(NULL);
}

static void test_stats_listing(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_host_stats s;
    assert_int_equal(mm_http_stats_count(c), 0);
    assert_int_equal(mm_http_stats_get(c, "127.0.0.1", &s), MM_ENOTFOUND);
    char *u = url("/echo");
    struct mm_http_request keyed = {.url = u, .rate_key = "Spotify"}, plain = {.url = u};
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &keyed, &r), MM_OK);
    mm_http_response_cleanup(&r);
    assert_int_equal(mm_http_fetch(c, &plain, &r), MM_OK);
    mm_http_response_cleanup(&r);
    assert_int_equal(mm_http_fetch(c, &plain, &r), MM_OK);
    mm_http_response_cleanup(&r);
    assert_int_equal(mm_http_stats_count(c), 2);
    mm_http_stats_at(c, 0, &s);
    assert_string_equal(s.host, "Spotify");
    assert_int_equal(s.requests, 1);
    mm_http_stats_at(c, 1, &s);
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.requests, 2);
    assert_int_equal(mm_http_stats_get(c, "SPOTIFY", &s), MM_OK);
    assert_int_equal(s.responses[2], 1);
    free(u);
    mm_http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_success),
        cmocka_unit_test(test_post_put_bodies_and_auth),
        cmocka_unit_test(test_keepalive_reuse),
        cmocka_unit_test(test_many_in_flight),
        cmocka_unit_test(test_callbacks_submit_more),
        cmocka_unit_test(test_rate_limit_one_per_second),
        cmocka_unit_test(test_rate_limit_real_clock),
        cmocka_unit_test(test_429_pauses_the_host),
        cmocka_unit_test(test_secrets_never_logged),
        cmocka_unit_test(test_stop_flag_interrupts),
        cmocka_unit_test(test_submit_refusals),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_stats_listing),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
