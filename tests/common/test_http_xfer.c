/* Tests for common/http_xfer.c: the outcome of each attempt against the
 * scriptable server — Retry-After (seconds, HTTP-date, real wait), 5xx,
 * timeouts, refused connections, truncated bodies, the size cap, definitive
 * statuses, non-idempotent requests, Last.fm and Gemini error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_fixture.h"

/* --- retries --- */

static void test_429_retry_after_seconds(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/seq/ra-sec?s=429;ra=2,200", &r), MM_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(fake.slept, 2000); /* the hint, exactly: no jitter */
    assert_int_equal(r.total_ms, 2000);
    mm_http_response_cleanup(&r);
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.requests, 2);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.responses[4], 1);
    assert_int_equal(s.responses[2], 1);
    assert_int_equal(s.failures, 0);
    mm_http_client_free(c);
}

static void test_429_retry_after_http_date(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    char path[96];
    snprintf(path, sizeof(path), "/seq/ra-date?s=429;date=%d,200", FAKE_WALL + 5);
    struct mm_http_response r;
    assert_int_equal(get(c, path, &r), MM_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(fake.slept, 5000);
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
}

/* With the real clock the wait really happens. */
static void test_retry_after_real_clock(void **state)
{
    (void)state;
    struct mm_http_options o = options(false);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    uint64_t t0 = real_ms();
    assert_int_equal(get(c, "/seq/ra-real?s=429;ra=1,200", &r), MM_OK);
    uint64_t elapsed = real_ms() - t0;
    assert_int_equal(r.attempts, 2);
    assert_true(elapsed >= 1000 && elapsed < 3000);
    assert_true(r.total_ms >= 1000);
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
}

static void test_503_then_success(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/seq/s503?s=503,502,200", &r), MM_OK);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.body, "{\"hit\": 2, \"status\": 200}");
    /* Jittered waits: [100, 200] then [100, 400]. */
    assert_true(fake.slept >= 200 && fake.slept <= 600);
    mm_http_response_cleanup(&r);
    assert_int_equal(stats(c, "127.0.0.1").responses[5], 2);
    mm_http_client_free(c);
}

static void test_timeout_then_success(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    o.timeout_ms = 300;
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    uint64_t t0 = real_ms();
    assert_int_equal(get(c, "/seq/slow?s=200;sleep=900,200", &r), MM_OK);
    assert_int_equal(r.attempts, 2);
    assert_true(real_ms() - t0 < 900);
    mm_http_response_cleanup(&r);
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.responses[0], 1);
    assert_int_equal(s.responses[2], 1);

    /* Every attempt too slow: MM_ETIMEOUT after max_attempts. */
    char *u = url("/seq/slower?s=200;sleep=900");
    struct mm_http_request req = {.url = u, .max_attempts = 2, .timeout_ms = 200};
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_ETIMEOUT);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.detail, "gave up after 2 attempts"));
    mm_http_response_cleanup(&r);
    free(u);
    mm_http_client_free(c);
}

static void test_connection_refused_gives_up(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    o.max_attempts = 3;
    struct mm_http_client *c = client(&o);
    char *u = mm_xasprintf("http://127.0.0.1:%d/x?api_key=abc", closed_port());
    struct mm_http_request req = {.url = u};
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_EHTTP);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.body, "");
    assert_non_null(strstr(r.url, "api_key=[REDACTED]"));
    assert_true(fake.slept >= 200 && fake.slept <= 600);
    mm_http_response_cleanup(&r);
    struct mm_http_host_stats s = stats(c, "127.0.0.1");
    assert_int_equal(s.requests, 3);
    assert_int_equal(s.retries, 2);
    assert_int_equal(s.responses[0], 3);
    assert_int_equal(s.failures, 1);
    free(u);
    mm_http_client_free(c);
}

static void test_truncated_body(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/seq/trunc1?s=200;trunc,200", &r), MM_OK);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.body, "{\"hit\": 1, \"status\": 200}");
    mm_http_response_cleanup(&r);

    /* A partial body is never handed over as a response. */
    o.max_attempts = 2;
    mm_http_client_free(c);
    c = client(&o);
    assert_int_equal(get(c, "/seq/trunc2?s=200;trunc", &r), MM_EHTTP);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.body, "");
    assert_int_equal(r.body_len, 0);
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
}

static void test_response_over_cap(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    o.max_response_bytes = 1000;
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/seq/cap-exact?s=200;bytes=1000", &r), MM_OK);
    assert_int_equal(r.body_len, 1000);
    mm_http_response_cleanup(&r);
    /* Announced by Content-Length, and streamed without one: never retried. */
    assert_int_equal(get(c, "/seq/cap-len?s=200;bytes=1001,200", &r), MM_ETOOBIG);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.body, "");
    assert_non_null(strstr(r.detail, "1000 bytes"));
    mm_http_response_cleanup(&r);
    assert_int_equal(get(c, "/seq/cap-stream?s=200;stream=50000,200", &r), MM_ETOOBIG);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.body_len, 0);
    mm_http_response_cleanup(&r);
    /* A per-request cap overrides the client's. */
    char *u = url("/seq/cap-req?s=200;bytes=1001");
    struct mm_http_request req = {.url = u, .max_response_bytes = 2000};
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_OK);
    mm_http_response_cleanup(&r);
    free(u);
    assert_int_equal(fake.slept, 0);
    mm_http_client_free(c);
}

static void test_status_outcomes(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/nowhere", &r), MM_ENOTFOUND);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.body, "{\"error\":\"Not Found\"}"); /* error bodies are delivered */
    mm_http_response_cleanup(&r);
    assert_int_equal(get(c, "/seq/s401?s=401,200", &r), MM_EHTTP);
    assert_int_equal(r.status, 401);
    assert_int_equal(r.attempts, 1);
    mm_http_response_cleanup(&r);
    /* A hint longer than max_wait_ms is not waited out. */
    assert_int_equal(get(c, "/seq/long?s=429;ra=120,200", &r), MM_EHTTP);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.retry_after, "120");
    assert_non_null(strstr(r.detail, "over max_wait_ms"));
    mm_http_response_cleanup(&r);
    assert_int_equal(fake.slept, 0);
    mm_http_client_free(c);
}

static void test_non_idempotent(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    char *u500 = url("/seq/ni500?s=500,200"), *u503 = url("/seq/ni503?s=503,200");
    struct mm_http_request req = {.url = u500, .body = "{}", .body_len = 2, .non_idempotent = true};
    struct mm_http_response r;
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_EHTTP);
    assert_int_equal(r.attempts, 1);
    mm_http_response_cleanup(&r);
    req.url = u503;
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_OK);
    assert_int_equal(r.attempts, 2);
    mm_http_response_cleanup(&r);
    free(u500);
    free(u503);
    mm_http_client_free(c);
}

/* --- provider bodies --- */

static void test_lastfm_errors_inside_200(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get_with(c, "/seq/lfm29?s=200;body=lastfm29,200", mm_http_classify_lastfm, &r),
                     MM_OK);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.body, "{\"hit\": 1, \"status\": 200}");
    mm_http_response_cleanup(&r);
    assert_int_equal(get_with(c, "/seq/lfm16?s=200;body=lastfm16,200", mm_http_classify_lastfm, &r),
                     MM_OK);
    assert_int_equal(r.attempts, 2);
    mm_http_response_cleanup(&r);
    assert_int_equal(get_with(c, "/seq/lfm6?s=200;body=lastfm6,200", mm_http_classify_lastfm, &r),
                     MM_ENOTFOUND);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.detail, "Last.fm error 6: Track not found");
    mm_http_response_cleanup(&r);
    assert_int_equal(get_with(c, "/seq/lfm10?s=200;body=lastfm10,200", mm_http_classify_lastfm, &r),
                     MM_EHTTP);
    assert_int_equal(r.attempts, 1);
    mm_http_response_cleanup(&r);
    /* Without the hook a 200 is a 200. */
    assert_int_equal(get(c, "/seq/lfm29b?s=200;body=lastfm29,200", &r), MM_OK);
    assert_int_equal(r.attempts, 1);
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
}

static void test_gemini_bodies(void **state)
{
    (void)state;
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(
        get_with(c, "/seq/gem?s=429;body=gemini_minute;delay=3s,200", mm_http_classify_gemini, &r),
        MM_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(fake.slept, 3000);
    mm_http_response_cleanup(&r);
    assert_int_equal(
        get_with(c, "/seq/gemday?s=429;body=gemini_day;delay=3s,200", mm_http_classify_gemini, &r),
        MM_EHTTP);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.detail, "PerDay"));
    mm_http_response_cleanup(&r);
    assert_int_equal(
        get_with(c, "/seq/oai?s=429;body=openai_quota,200", mm_http_classify_gemini, &r), MM_EHTTP);
    assert_int_equal(r.attempts, 1);
    mm_http_response_cleanup(&r);
    assert_int_equal(fake.slept, 3000);
    mm_http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_429_retry_after_seconds),
        cmocka_unit_test(test_429_retry_after_http_date),
        cmocka_unit_test(test_retry_after_real_clock),
        cmocka_unit_test(test_503_then_success),
        cmocka_unit_test(test_timeout_then_success),
        cmocka_unit_test(test_connection_refused_gives_up),
        cmocka_unit_test(test_truncated_body),
        cmocka_unit_test(test_response_over_cap),
        cmocka_unit_test(test_status_outcomes),
        cmocka_unit_test(test_non_idempotent),
        cmocka_unit_test(test_lastfm_errors_inside_200),
        cmocka_unit_test(test_gemini_bodies),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
