/* Tests of serve/http.c: the incremental request-head parser (valid forms,
 * pipelining, arbitrary splits, limits, malformed input, keep-alive rules),
 * percent-decoding and query parameters, the response head and JSON output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "serve/http.h"

/* Parses `text` in one call with a fresh parser. */
static mm_err parse_all(const char *text, size_t len, struct mm_http_request *req, size_t *consumed,
                        const char **why)
{
    struct mm_http_parser p;
    mm_http_parser_init(&p);
    mm_err e = mm_http_parse(&p, text, len, req, consumed);
    if (why)
        *why = p.error;
    return e;
}

static bool str_is(struct mm_http_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void test_simple_get(void **state)
{
    (void)state;
    static const char req_text[] = "GET /v1/requests/42?x=1&y=2 HTTP/1.1\r\n"
                                   "Host: localhost\r\n"
                                   "Accept:   application/json  \r\n"
                                   "\r\n";
    struct mm_http_request req;
    size_t used;
    assert_int_equal(parse_all(req_text, sizeof(req_text) - 1, &req, &used, NULL), MM_OK);
    assert_int_equal(used, sizeof(req_text) - 1);
    assert_int_equal(req.method, MM_HTTP_GET);
    assert_true(str_is(req.method_name, "GET"));
    assert_true(str_is(req.target, "/v1/requests/42?x=1&y=2"));
    assert_true(str_is(req.path, "/v1/requests/42"));
    assert_true(str_is(req.query, "x=1&y=2"));
    assert_int_equal(req.minor, 1);
    assert_true(req.keep_alive);
    assert_false(req.has_content_length);
    assert_false(req.chunked);
    assert_int_equal(req.n_headers, 2);
    const struct mm_http_header *h = mm_http_request_header(&req, "ACCEPT");
    assert_non_null(h);
    assert_true(str_is(h->value, "application/json"));
    assert_null(mm_http_request_header(&req, "Accept-Encoding"));
}

struct valid_case {
    const char *text;
    enum mm_http_method method;
    const char *path, *query;
    int minor;
    bool keep_alive;
};

static void test_valid_table(void **state)
{
    (void)state;
    static const struct valid_case cases[] = {
        {"HEAD /healthz HTTP/1.1\r\n\r\n", MM_HTTP_HEAD, "/healthz", "", 1, true},
        {"POST /v1/search/similar HTTP/1.1\r\nContent-Length: 0\r\n\r\n", MM_HTTP_POST,
         "/v1/search/similar", "", 1, true},
        {"DELETE /x HTTP/1.1\r\n\r\n", MM_HTTP_OTHER, "/x", "", 1, true},
        {"get /x HTTP/1.1\r\n\r\n", MM_HTTP_OTHER, "/x", "", 1, true},
        {"GET /x HTTP/1.0\r\n\r\n", MM_HTTP_GET, "/x", "", 0, false},
        {"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", MM_HTTP_GET, "/x", "", 0, true},
        {"GET /x HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", MM_HTTP_GET, "/x", "", 0, true},
        {"GET /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", MM_HTTP_GET, "/x", "", 0,
         false},
        {"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n", MM_HTTP_GET, "/x", "", 1, false},
        {"GET /x HTTP/1.1\r\nCONNECTION: Upgrade, CLOSE\r\n\r\n", MM_HTTP_GET, "/x", "", 1, false},
        {"GET /x HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", MM_HTTP_GET, "/x", "", 1, true},
        {"GET /x? HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/x", "", 1, true},
        {"GET /?q=a%20b HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/", "q=a%20b", 1, true},
        {"GET http://example.org/a/b?c=d HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/a/b", "c=d", 1, true},
        {"GET HTTPS://example.org HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/", "", 1, true},
        {"GET http://example.org?k=1 HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/", "k=1", 1, true},
        {"\r\n\r\nGET /lead HTTP/1.1\r\n\r\n", MM_HTTP_GET, "/lead", "", 1, true},
        {"GET /lf HTTP/1.1\nHost: a\n\n", MM_HTTP_GET, "/lf", "", 1, true},
        {"GET /x HTTP/1.1\r\nX-Empty:\r\n\r\n", MM_HTTP_GET, "/x", "", 1, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct valid_case *c = &cases[i];
        struct mm_http_request req;
        size_t used;
        const char *why;
        mm_err e = parse_all(c->text, strlen(c->text), &req, &used, &why);
        if (e != MM_OK)
            fail_msg("case %zu (%s): %s", i, c->text, why);
        assert_int_equal(used, strlen(c->text));
        assert_int_equal(req.method, c->method);
        assert_true(str_is(req.path, c->path));
        assert_true(str_is(req.query, c->query));
        assert_int_equal(req.minor, c->minor);
        if (req.keep_alive != c->keep_alive)
            fail_msg("case %zu (%s): keep_alive %d", i, c->text, req.keep_alive);
    }
}

static void test_header_case_insensitive(void **state)
{
    (void)state;
    static const char text[] =
        "GET / HTTP/1.1\r\ncontent-LENGTH: 0\r\nTRANSFER-encoding: x\r\n\r\n";
    struct mm_http_request req;
    size_t used;
    /* both framing headers are recognised whatever their case, hence the conflict */
    assert_int_equal(parse_all(text, sizeof(text) - 1, &req, &used, NULL), MM_EPARSE);
    static const char cl[] = "GET / HTTP/1.1\r\ncOnTeNt-LeNgTh: 12\r\n\r\n";
    assert_int_equal(parse_all(cl, sizeof(cl) - 1, &req, &used, NULL), MM_OK);
    assert_true(req.has_content_length);
    assert_int_equal(req.content_length, 12);
    static const char te[] = "GET / HTTP/1.1\r\ntransfer-ENCODING: chunked\r\n\r\n";
    assert_int_equal(parse_all(te, sizeof(te) - 1, &req, &used, NULL), MM_OK);
    assert_true(req.chunked);
}

static void test_pipelined(void **state)
{
    (void)state;
    static const char text[] = "GET /a HTTP/1.1\r\n\r\n"
                               "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n"
                               "GET /d HT";
    static const char *const paths[] = {"/a", "/b", "/c"};
    size_t off = 0, len = sizeof(text) - 1;
    for (int i = 0; i < 3; i++) {
        struct mm_http_parser p;
        struct mm_http_request req;
        size_t used;
        mm_http_parser_init(&p);
        assert_int_equal(mm_http_parse(&p, text + off, len - off, &req, &used), MM_OK);
        assert_true(used > 0);
        assert_true(str_is(req.path, paths[i]));
        assert_int_equal(req.keep_alive, i != 2);
        off += used;
    }
    struct mm_http_parser p;
    struct mm_http_request req;
    size_t used;
    mm_http_parser_init(&p);
    assert_int_equal(mm_http_parse(&p, text + off, len - off, &req, &used), MM_OK);
    assert_int_equal(used, 0); /* the fourth is incomplete */
}

/* Feeding a request in two parts split at every byte, and byte by byte,
 * gives the same result as one call. */
static void test_split_everywhere(void **state)
{
    (void)state;
    static const char text[] = "GET /v1/requests/7?k=3 HTTP/1.1\r\n"
                               "Host: 127.0.0.1:8080\r\n"
                               "User-Agent: test\r\n"
                               "Connection: close\r\n"
                               "\r\n";
    size_t len = sizeof(text) - 1;
    for (size_t k = 0; k < len; k++) {
        struct mm_http_parser p;
        struct mm_http_request req;
        size_t used;
        mm_http_parser_init(&p);
        assert_int_equal(mm_http_parse(&p, text, k, &req, &used), MM_OK);
        assert_int_equal(used, 0);
        assert_int_equal(mm_http_parse(&p, text, len, &req, &used), MM_OK);
        assert_int_equal(used, len);
        assert_true(str_is(req.path, "/v1/requests/7"));
        assert_true(str_is(req.query, "k=3"));
        assert_int_equal(req.n_headers, 3);
        assert_false(req.keep_alive);
    }
    struct mm_http_parser p;
    struct mm_http_request req;
    size_t used = 0;
    mm_http_parser_init(&p);
    for (size_t n = 1; n <= len; n++) {
        assert_int_equal(mm_http_parse(&p, text, n, &req, &used), MM_OK);
        assert_int_equal(used, n == len ? len : 0);
    }
    assert_true(str_is(req.method_name, "GET"));
}

/* A request whose request line has exactly `line` bytes before its CRLF. */
static char *request_with_line(size_t line, size_t *len)
{
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_buf_appends(&b, "GET /"), MM_OK);
    while (b.len < line - strlen(" HTTP/1.1"))
        assert_int_equal(mm_buf_appendc(&b, 'a'), MM_OK);
    assert_int_equal(mm_buf_appends(&b, " HTTP/1.1\r\n\r\n"), MM_OK);
    *len = b.len;
    return mm_buf_take(&b);
}

static void test_request_line_limit(void **state)
{
    (void)state;
    struct mm_http_request req;
    size_t len, used;
    const char *why;
    char *ok = request_with_line(MM_HTTP_MAX_REQUEST_LINE, &len);
    assert_int_equal(parse_all(ok, len, &req, &used, &why), MM_OK);
    assert_int_equal(used, len);
    free(ok);
    char *big = request_with_line(MM_HTTP_MAX_REQUEST_LINE + 1, &len);
    assert_int_equal(parse_all(big, len, &req, &used, &why), MM_EURITOOLONG);
    assert_non_null(why);
    /* also detected before the line end arrives, at every length past the cap */
    for (size_t n = MM_HTTP_MAX_REQUEST_LINE; n < MM_HTTP_MAX_REQUEST_LINE + 3; n++) {
        mm_err e = parse_all(big, n, &req, &used, NULL);
        assert_int_equal(e, n > MM_HTTP_MAX_REQUEST_LINE ? MM_EURITOOLONG : MM_OK);
    }
    free(big);
    assert_int_equal(mm_err_http_status(MM_EURITOOLONG), 414);
}

/* A request with `n` header lines whose header section (lines, line ends and
 * the final blank line) is exactly `bytes` long: the last value is padded. */
static char *request_with_headers(size_t n, size_t bytes, size_t *len)
{
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_buf_appends(&b, "GET / HTTP/1.1\r\n"), MM_OK);
    size_t start = b.len;
    for (size_t i = 0; i + 1 < n; i++)
        assert_int_equal(mm_buf_printf(&b, "X-H%zu: v\r\n", i), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "X-Last: "), MM_OK);
    while (b.len - start + 4 < bytes)
        assert_int_equal(mm_buf_appendc(&b, 'v'), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "\r\n\r\n"), MM_OK);
    assert_int_equal(b.len - start, bytes);
    *len = b.len;
    return mm_buf_take(&b);
}

static void test_header_limits(void **state)
{
    (void)state;
    struct mm_http_request req;
    size_t len, used;
    char *ok = request_with_headers(MM_HTTP_MAX_HEADERS, MM_HTTP_MAX_HEADER_BYTES, &len);
    assert_int_equal(parse_all(ok, len, &req, &used, NULL), MM_OK);
    assert_int_equal(used, len);
    assert_int_equal(req.n_headers, MM_HTTP_MAX_HEADERS);
    assert_true(str_is(req.headers[MM_HTTP_MAX_HEADERS - 1].name, "X-Last"));
    free(ok);
    char *big = request_with_headers(4, MM_HTTP_MAX_HEADER_BYTES + 1, &len);
    assert_int_equal(parse_all(big, len, &req, &used, NULL), MM_EHDRTOOBIG);
    free(big);
    /* detected before the line end arrives too, as soon as the cap is passed */
    static const size_t rl = sizeof("GET / HTTP/1.1\r\n") - 1;
    big = request_with_headers(4, MM_HTTP_MAX_HEADER_BYTES + 100, &len);
    assert_int_equal(parse_all(big, rl + MM_HTTP_MAX_HEADER_BYTES, &req, &used, NULL), MM_OK);
    assert_int_equal(used, 0);
    assert_int_equal(parse_all(big, rl + MM_HTTP_MAX_HEADER_BYTES + 1, &req, &used, NULL),
                     MM_EHDRTOOBIG);
    free(big);
    char *many = request_with_headers(MM_HTTP_MAX_HEADERS + 1, 2000, &len);
    const char *why;
    assert_int_equal(parse_all(many, len, &req, &used, &why), MM_EHDRTOOBIG);
    assert_non_null(strstr(why, "too many"));
    free(many);
    assert_int_equal(mm_err_http_status(MM_EHDRTOOBIG), 431);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET /\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.2\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET * HTTP/1.1\r\n\r\n",
        "GET ftp://x/ HTTP/1.1\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nName : v\r\n\r\n",
        "GET / HTTP/1.1\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01"
        "c\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: \r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mm_http_request req;
        size_t used;
        const char *why = NULL;
        mm_err e = parse_all(bad[i], strlen(bad[i]), &req, &used, &why);
        if (e != MM_EPARSE)
            fail_msg("case %zu (%s): got %s", i, bad[i], mm_err_name(e));
        assert_non_null(why);
    }
    static const char same_cl[] =
        "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n";
    struct mm_http_request req;
    size_t used;
    assert_int_equal(parse_all(same_cl, sizeof(same_cl) - 1, &req, &used, NULL), MM_OK);
    assert_int_equal(req.content_length, 3);
}

static void test_percent_decode(void **state)
{
    (void)state;
    char out[64];
    size_t n;
    assert_int_equal(mm_http_percent_decode("a%41%2f+b", 9, false, out, &n), MM_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "aA/+b", 5);
    assert_int_equal(mm_http_percent_decode("a+b%2B", 6, true, out, &n), MM_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "a b+", 4);
    assert_int_equal(mm_http_percent_decode("%e2%9C%a8", 9, false, out, &n), MM_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xe2\x9c\xa8", 3);
    static const char *const bad[] = {"%", "%4", "a%zz", "%g1", "%1g", "%00", "x%"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(mm_http_percent_decode(bad[i], strlen(bad[i]), false, out, &n), MM_EPARSE);
    /* in place */
    char inplace[] = "%41%42c";
    assert_int_equal(mm_http_percent_decode(inplace, 7, false, inplace, &n), MM_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(inplace, "ABc", 3);
}

static void test_query_param(void **state)
{
    (void)state;
    static const char q[] = "kk=1&k=a+b%21&empty=&flag&bad=%zz&k=second";
    struct mm_http_str query = {q, sizeof(q) - 1};
    struct mm_buf b;
    mm_buf_init(&b, 64);
    assert_int_equal(mm_http_query_param(query, "k", &b), MM_OK);
    assert_string_equal(b.data, "a b!");
    mm_buf_reset(&b);
    assert_int_equal(mm_http_query_param(query, "kk", &b), MM_OK);
    assert_string_equal(b.data, "1");
    mm_buf_reset(&b);
    assert_int_equal(mm_http_query_param(query, "empty", &b), MM_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(mm_http_query_param(query, "flag", &b), MM_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(mm_http_query_param(query, "missing", &b), MM_ENOTFOUND);
    assert_int_equal(mm_http_query_param(query, "bad", &b), MM_EPARSE);
    assert_int_equal(b.len, 0);
    mm_buf_cleanup(&b);
    mm_buf_init(&b, 2);
    assert_int_equal(mm_http_query_param(query, "k", &b), MM_ETOOBIG);
    mm_buf_cleanup(&b);
}

static void test_response_head(void **state)
{
    (void)state;
    char date[32];
    mm_http_date(784111777, date);
    assert_string_equal(date, "Sun, 06 Nov 1994 08:49:37 GMT");
    struct mm_buf b;
    mm_buf_init(&b, 4096);
    struct mm_http_response res = {
        .status = 200, .content_length = 42, .keep_alive = true, .minor = 1};
    assert_int_equal(mm_http_response_head(&b, &res, date), MM_OK);
    assert_string_equal(b.data, "HTTP/1.1 200 OK\r\nServer: moodmusic-serve\r\n"
                                "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n");
    mm_buf_reset(&b);
    res = (struct mm_http_response){.status = 405,
                                    .keep_alive = true,
                                    .minor = 0,
                                    .allow = MM_HTTP_GET | MM_HTTP_HEAD,
                                    .content_type = "text/plain"};
    assert_int_equal(mm_http_response_head(&b, &res, date), MM_OK);
    assert_non_null(strstr(b.data, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(b.data, "Content-Type: text/plain\r\nContent-Length: 0\r\n"
                                   "Connection: keep-alive\r\nAllow: GET, HEAD\r\n\r\n"));
    mm_buf_reset(&b);
    res = (struct mm_http_response){.status = 431, .keep_alive = false, .minor = 1};
    assert_int_equal(mm_http_response_head(&b, &res, date), MM_OK);
    assert_non_null(strstr(b.data, "431 Request Header Fields Too Large\r\n"));
    assert_non_null(strstr(b.data, "Connection: close\r\n\r\n"));
    mm_buf_cleanup(&b);
    mm_buf_init(&b, 16);
    assert_int_equal(mm_http_response_head(&b, &res, date), MM_ETOOBIG);
    mm_buf_cleanup(&b);
}

static void test_json_string(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
        {"\n\r\t\b\f\x01\x1f\x7f", 8, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\""},
        {"nul\0x", 5, "\"nul\\u0000x\""},
        {"caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x8e\xb5", 14,
         "\"caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x8e\xb5\""},
        {"bad\xff", 4, "\"bad\xef\xbf\xbd\""},
        {"\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\xe2\x9c", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mm_buf b;
        mm_buf_init(&b, 256);
        assert_int_equal(mm_http_json_string(&b, cases[i].in, cases[i].len), MM_OK);
        if (strcmp(b.data, cases[i].out) != 0)
            fail_msg("case %zu: got %s", i, b.data);
        mm_buf_cleanup(&b);
    }
}

static void test_error_body(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 4096);
    assert_int_equal(mm_http_error_body(&b, MM_ENOTFOUND, "request 42 not found"), MM_OK);
    assert_string_equal(b.data, "{\"success\":false,\"error\":\"request 42 not found\","
                                "\"error_code\":\"NOT_FOUND\"}");
    mm_buf_reset(&b);
    assert_int_equal(mm_http_error_body(&b, MM_ENOSNAPSHOT, NULL), MM_OK);
    assert_string_equal(b.data, "{\"success\":false,\"error\":\"no snapshot available\","
                                "\"error_code\":\"NO_SNAPSHOT\"}");
    mm_buf_reset(&b);
    assert_int_equal(mm_http_error_body(&b, MM_EINVAL, "got \"x\""), MM_OK);
    assert_string_equal(b.data, "{\"success\":false,\"error\":\"got \\\"x\\\"\","
                                "\"error_code\":\"BAD_PARAMETER\"}");
    mm_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_header_case_insensitive),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_request_line_limit),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_query_param),
        cmocka_unit_test(test_response_head),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
