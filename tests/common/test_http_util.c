/* Tests for common/http_util.c: the default status verdicts, the Gemini /
 * OpenAI and Last.fm body classifiers, URL redaction, form and query
 * encoding. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"

#define NOW_S 1445412480 /* Wed, 21 Oct 2015 07:28:00 GMT */

/* A response view as the client hands it to classifiers. */
static struct mm_http_response resp(int status, const char *body, const char *retry_after)
{
    struct mm_http_response r = {.status = status,
                                 .body = (char *)body,
                                 .body_len = strlen(body),
                                 .retry_after = (char *)retry_after};
    return r;
}

/* The verdict of the status rules followed by `hook` (may be NULL). */
static struct mm_http_verdict judge(int status, const char *body, const char *retry_after,
                                    mm_http_classify_fn hook)
{
    struct mm_http_response r = resp(status, body, retry_after);
    struct mm_http_verdict v;
    memset(&v, 0x55, sizeof(v));
    mm_http_classify_status(&r, NOW_S, &v);
    if (hook)
        hook(&r, NULL, &v);
    return v;
}

static void test_status_verdicts(void **state)
{
    (void)state;
    static const struct {
        int status;
        enum mm_http_action action;
        mm_err err;
        bool rate_limited;
    } cases[] = {
        {200, MM_HTTP_ACCEPT, MM_OK, false},   {201, MM_HTTP_ACCEPT, MM_OK, false},
        {204, MM_HTTP_ACCEPT, MM_OK, false},   {404, MM_HTTP_FAIL, MM_ENOTFOUND, false},
        {400, MM_HTTP_FAIL, MM_EHTTP, false},  {401, MM_HTTP_FAIL, MM_EHTTP, false},
        {403, MM_HTTP_FAIL, MM_EHTTP, false},  {302, MM_HTTP_FAIL, MM_EHTTP, false},
        {408, MM_HTTP_RETRY, MM_EHTTP, false}, {429, MM_HTTP_RETRY, MM_EHTTP, true},
        {500, MM_HTTP_RETRY, MM_EHTTP, false}, {502, MM_HTTP_RETRY, MM_EHTTP, false},
        {503, MM_HTTP_RETRY, MM_EHTTP, true},  {504, MM_HTTP_RETRY, MM_EHTTP, false},
        {501, MM_HTTP_FAIL, MM_EHTTP, false},  {505, MM_HTTP_FAIL, MM_EHTTP, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mm_http_verdict v = judge(cases[i].status, "{\"error\":\"x\"}", NULL, NULL);
        assert_int_equal(v.action, cases[i].action);
        assert_int_equal(v.err, cases[i].err);
        assert_int_equal(v.rate_limited, cases[i].rate_limited);
        assert_int_equal(v.retry_after_ms, -1);
        if (cases[i].action != MM_HTTP_ACCEPT)
            assert_non_null(strstr(v.detail, "{\"error\":\"x\"}"));
        else
            assert_string_equal(v.detail, "");
    }
}

static void test_status_retry_after(void **state)
{
    (void)state;
    struct mm_http_verdict v = judge(429, "", "7", NULL);
    assert_int_equal(v.retry_after_ms, 7000);
    assert_string_equal(v.detail, "HTTP 429");
    v = judge(503, "", "Wed, 21 Oct 2015 07:28:03 GMT", NULL);
    assert_int_equal(v.retry_after_ms, 3000);
    v = judge(503, "", "whenever", NULL);
    assert_int_equal(v.retry_after_ms, -1);
    /* Binary bodies are shown safely and briefly. */
    char body[300];
    memset(body, 'b', sizeof(body) - 1);
    body[0] = '\n';
    body[sizeof(body) - 1] = '\0';
    v = judge(500, body, NULL, NULL);
    assert_true(strncmp(v.detail, "HTTP 500: .bbb", 14) == 0);
    assert_true(strlen(v.detail) < 120);
}

static const char gemini_wrapped[] =
    "[{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\","
    "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/"
    "google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":\"GenerateRequestsPerMinute\"}]},"
    "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"32s\"}]}}]";

static void test_gemini_retry_delay(void **state)
{
    (void)state;
    struct mm_http_verdict v = judge(429, gemini_wrapped, NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_RETRY);
    assert_int_equal(v.retry_after_ms, 32000);
    assert_true(v.rate_limited);
    assert_string_equal(v.detail, "HTTP 429: Resource has been exhausted (e.g. check quota).");

    const char *plain = "{\"error\":{\"code\":429,\"details\":[{\"@type\":\"type.googleapis.com/"
                        "google.rpc.RetryInfo\",\"retryDelay\":\"1.2504s\"}]}}";
    v = judge(429, plain, NULL, mm_http_classify_gemini);
    assert_int_equal(v.retry_after_ms, 1251);
    /* The longer of header and body wins. */
    v = judge(429, plain, "5", mm_http_classify_gemini);
    assert_int_equal(v.retry_after_ms, 5000);
    /* Malformed delays and foreign types are ignored. */
    const char *odd = "{\"error\":{\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."
                      "RetryInfo\",\"retryDelay\":\"soon\"},{\"@type\":\"x.Other\","
                      "\"retryDelay\":\"9s\"}]}}";
    v = judge(503, odd, NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_RETRY);
    assert_int_equal(v.retry_after_ms, -1);
}

static void test_gemini_daily_quota_fails(void **state)
{
    (void)state;
    const char *day = "[{\"error\":{\"code\":429,\"details\":[{\"@type\":\"type.googleapis.com/"
                      "google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":\"Generate"
                      "RequestsPerDayPerProjectPerModel-FreeTier\"}]},{\"@type\":\"type."
                      "googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"3s\"}]}}]";
    struct mm_http_verdict v = judge(429, day, NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_FAIL);
    assert_int_equal(v.err, MM_EHTTP);
    assert_non_null(strstr(v.detail, "GenerateRequestsPerDayPerProjectPerModel-FreeTier"));

    const char *openai = "{\"error\":{\"message\":\"You exceeded your current quota\","
                         "\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}";
    v = judge(429, openai, NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_FAIL);
    assert_non_null(strstr(v.detail, "insufficient_quota"));
}

static void test_gemini_leaves_other_bodies(void **state)
{
    (void)state;
    struct mm_http_verdict v =
        judge(200, "{\"error\":{\"code\":\"insufficient_quota\"}}", NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_ACCEPT);
    v = judge(503, "<html>overloaded</html>", NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_RETRY);
    assert_string_equal(v.detail, "HTTP 503: <html>overloaded</html>");
    v = judge(400, "[]", NULL, mm_http_classify_gemini);
    assert_int_equal(v.action, MM_HTTP_FAIL);
}

static void test_lastfm_codes(void **state)
{
    (void)state;
    static const struct {
        int code;
        enum mm_http_action action;
        mm_err err;
        bool rate_limited;
    } cases[] = {
        {29, MM_HTTP_RETRY, MM_EHTTP, true},    {8, MM_HTTP_RETRY, MM_EHTTP, false},
        {11, MM_HTTP_RETRY, MM_EHTTP, false},   {16, MM_HTTP_RETRY, MM_EHTTP, false},
        {6, MM_HTTP_FAIL, MM_ENOTFOUND, false}, {10, MM_HTTP_FAIL, MM_EHTTP, false},
        {26, MM_HTTP_FAIL, MM_EHTTP, false},    {4, MM_HTTP_FAIL, MM_EHTTP, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[96];
        snprintf(body, sizeof(body), "{\"error\":%d,\"message\":\"m%d\"}", cases[i].code,
                 cases[i].code);
        for (int status = 200; status <= 400; status += 200) {
            struct mm_http_verdict v = judge(status, body, NULL, mm_http_classify_lastfm);
            assert_int_equal(v.action, cases[i].action);
            assert_int_equal(v.err, cases[i].err);
            assert_int_equal(v.rate_limited, cases[i].rate_limited);
            char want[64];
            snprintf(want, sizeof(want), "Last.fm error %d: m%d", cases[i].code, cases[i].code);
            assert_string_equal(v.detail, want);
        }
    }
    struct mm_http_verdict v =
        judge(200, "{\"track\":{\"name\":\"x\"}}", NULL, mm_http_classify_lastfm);
    assert_int_equal(v.action, MM_HTTP_ACCEPT);
    v = judge(200, "{\"error\":\"29\"}", NULL, mm_http_classify_lastfm);
    assert_int_equal(v.action, MM_HTTP_ACCEPT);
    v = judge(502, "bad gateway", NULL, mm_http_classify_lastfm);
    assert_int_equal(v.action, MM_HTTP_RETRY);
}

/* A long message is cut on a character boundary: details go into JSON logs. */
static void test_detail_stays_utf8(void **state)
{
    (void)state;
    for (size_t shift = 0; shift < 4; shift++) {
        struct mm_buf body;
        mm_buf_init(&body, 4096);
        assert_int_equal(
            mm_buf_printf(&body, "{\"error\":29,\"message\":\"%.*s", (int)shift, "abc"), MM_OK);
        for (int i = 0; i < 200; i++)
            assert_int_equal(mm_buf_appends(&body, i % 2 ? "\xc3\xa9" : "\xe2\x82\xac"), MM_OK);
        assert_int_equal(mm_buf_appends(&body, "\"}"), MM_OK);
        struct mm_http_verdict v = judge(200, body.data, NULL, mm_http_classify_lastfm);
        assert_true(strlen(v.detail) > 300);
        json_t *js = json_string(v.detail);
        assert_non_null(js);
        json_decref(js);
        mm_buf_cleanup(&body);
    }
}

static void check_redact(const char *url, const char *want)
{
    char *got = mm_http_redact_url(url);
    assert_string_equal(got, want);
    free(got);
}

static void test_redact_url(void **state)
{
    (void)state;
    check_redact("https://ws.audioscrobbler.com/2.0/?method=track.getInfo&api_key=abc123&"
                 "format=json",
                 "https://ws.audioscrobbler.com/2.0/?method=track.getInfo&api_key=[REDACTED]&"
                 "format=json");
    check_redact("http://h/p?key=1&token=2&access_token=3&client_secret=4&refresh_token=5",
                 "http://h/p?key=[REDACTED]&token=[REDACTED]&access_token=[REDACTED]&"
                 "client_secret=[REDACTED]&refresh_token=[REDACTED]");
    check_redact("http://h/p?API_KEY=s&Api%5Fkey=t&monkey=ok&key2=ok&tokens=ok",
                 "http://h/p?API_KEY=[REDACTED]&Api%5Fkey=[REDACTED]&monkey=ok&key2=ok&"
                 "tokens=ok");
    check_redact("https://user:pa55@h.example/x?q=1", "https://[REDACTED]@h.example/x?q=1");
    check_redact("http://h/p#access_token=s&x=1", "http://h/p#access_token=[REDACTED]&x=1");
    check_redact("http://h/p?key=&key", "http://h/p?key=[REDACTED]&key");
    check_redact("http://h/path/key=notaparam", "http://h/path/key=notaparam");
    check_redact("http://h/p?q=a@b/key=c", "http://h/p?q=a@b/key=c");
    check_redact("", "");
}

static void test_form_and_query(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 1024);
    assert_int_equal(mm_http_form_append(&b, "grant_type", "refresh_token"), MM_OK);
    assert_int_equal(mm_http_form_append(&b, "refresh_token", "a/b+c=d&e f~"), MM_OK);
    assert_string_equal(b.data, "grant_type=refresh_token&refresh_token=a%2Fb%2Bc%3Dd%26e%20f~");
    mm_buf_reset(&b);

    assert_int_equal(mm_buf_appends(&b, "https://musicbrainz.org/ws/2/recording"), MM_OK);
    assert_int_equal(mm_http_query_append(&b, "query", "recording:\"Say \\\"Hi\\\"\" AND é"),
                     MM_OK);
    assert_int_equal(mm_http_query_append(&b, "fmt", "json"), MM_OK);
    assert_string_equal(b.data, "https://musicbrainz.org/ws/2/recording?query=recording%3A%22Say"
                                "%20%5C%22Hi%5C%22%22%20AND%20%C3%A9&fmt=json");
    mm_buf_reset(&b);
    assert_int_equal(mm_buf_appends(&b, "http://h/?"), MM_OK);
    assert_int_equal(mm_http_query_append(&b, "a", ""), MM_OK);
    assert_string_equal(b.data, "http://h/?a=");
    mm_buf_cleanup(&b);

    /* Past the cap nothing is half-appended. */
    mm_buf_init(&b, 12);
    assert_int_equal(mm_http_form_append(&b, "a", "1"), MM_OK);
    assert_int_equal(mm_http_form_append(&b, "long", "valuevalue"), MM_ETOOBIG);
    assert_string_equal(b.data, "a=1");
    assert_int_equal(b.len, 3);
    mm_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_verdicts),
        cmocka_unit_test(test_status_retry_after),
        cmocka_unit_test(test_gemini_retry_delay),
        cmocka_unit_test(test_gemini_daily_quota_fails),
        cmocka_unit_test(test_gemini_leaves_other_bodies),
        cmocka_unit_test(test_lastfm_codes),
        cmocka_unit_test(test_detail_stays_utf8),
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_form_and_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
