/* Tests of serve/router.c: pattern compilation, matching with decoded path
 * parameters, 404/405 results, and dispatch into handlers with the error
 * contract. Also checks that the server's own route table compiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "serve/handlers.h"
#include "serve/http.h"
#include "serve/router.h"

/* Echoes the route's pattern and its parameters: {"p":"...","x":"..."}. */
static mm_err echo(struct mm_handler_ctx *ctx)
{
    mm_err e = mm_buf_printf(ctx->body, "{\"p\":\"%s\"", ctx->match->route->pattern);
    for (size_t i = 0; !e && i < ctx->match->n_params; i++) {
        const struct mm_route_param *p = &ctx->match->params[i];
        e = mm_buf_printf(ctx->body, ",\"%.*s\":", (int)p->name_len, p->name);
        if (!e)
            e = mm_http_json_string(ctx->body, p->value.p, p->value.len);
    }
    return e ? e : mm_buf_appendc(ctx->body, '}');
}

static mm_err refuse(struct mm_handler_ctx *ctx)
{
    assert_int_equal(mm_buf_appends(ctx->body, "partial output that must be discarded"), MM_OK);
    snprintf(ctx->error, MM_ERRLEN, "thing %s not found", mm_route_param(ctx->match, "id")->p);
    return MM_ENOTFOUND;
}

static mm_err silent_failure(struct mm_handler_ctx *ctx)
{
    (void)ctx;
    return MM_ECORRUPT;
}

static const struct mm_handler echo_handler = {"echo", echo};
static const struct mm_handler refuse_handler = {"refuse", refuse};
static const struct mm_handler silent_handler = {"silent", silent_failure};

static const struct mm_route routes[] = {
    {MM_HTTP_GET, "/healthz", &echo_handler},
    {MM_HTTP_GET, "/v1/tracks/lookup", &echo_handler},
    {MM_HTTP_GET, "/v1/tracks/{key}", &echo_handler},
    {MM_HTTP_GET, "/v1/requests/{id}/similar", &echo_handler},
    {MM_HTTP_GET, "/v1/a/{x}/b/{y}", &echo_handler},
    {MM_HTTP_GET, "/v1/search/similar", &echo_handler},
    {MM_HTTP_POST, "/v1/search/similar", &echo_handler},
    {MM_HTTP_POST, "/v1/post-only", &echo_handler},
    {MM_HTTP_GET, "/", &echo_handler},
    {MM_HTTP_GET, "/v1/things/{id}", &refuse_handler},
    {MM_HTTP_GET, "/v1/broken", &silent_handler},
};

static int setup(void **state)
{
    struct mm_router *r;
    char err[MM_ERRLEN];
    if (mm_router_new(routes, sizeof(routes) / sizeof(routes[0]), &r, err) != MM_OK)
        return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    mm_router_free(*state);
    return 0;
}

static struct mm_http_str str(const char *s)
{
    return (struct mm_http_str){s, strlen(s)};
}

static void test_bad_patterns(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "healthz",
        "/a/{",
        "/a/{}",
        "/a/{x}y",
        "/a/x}",
        "/a/{x{y}}",
        "/{a}/{b}/{c}/{d}/{e}",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mm_route route = {MM_HTTP_GET, bad[i], &echo_handler};
        struct mm_router *r = NULL;
        char err[MM_ERRLEN] = "";
        if (mm_router_new(&route, 1, &r, err) != MM_EINVAL)
            fail_msg("pattern %s was accepted", bad[i]);
        assert_null(r);
        assert_non_null(strstr(err, bad[i]));
    }
    struct mm_route no_handler = {MM_HTTP_GET, "/x", NULL};
    struct mm_router *r = NULL;
    char err[MM_ERRLEN];
    assert_int_equal(mm_router_new(&no_handler, 1, &r, err), MM_EINVAL);
    struct mm_route max = {MM_HTTP_GET, "/{a}/{b}/{c}/{d}/5/6/7/8/9/10/11/12/13/14/15/16",
                           &echo_handler};
    assert_int_equal(mm_router_new(&max, 1, &r, err), MM_OK);
    mm_router_free(r);
}

static void test_match_literals_and_params(void **state)
{
    const struct mm_router *r = *state;
    static struct mm_route_match m;
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/healthz"), &m), MM_OK);
    assert_string_equal(m.route->pattern, "/healthz");
    assert_int_equal(m.n_params, 0);
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/"), &m), MM_OK);
    assert_string_equal(m.route->pattern, "/");
    /* the literal row comes first and wins over the parameter row */
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/tracks/lookup"), &m), MM_OK);
    assert_string_equal(m.route->pattern, "/v1/tracks/lookup");
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/tracks/abc%20d%2Fe"), &m), MM_OK);
    assert_string_equal(m.route->pattern, "/v1/tracks/{key}");
    const struct mm_http_str *key = mm_route_param(&m, "key");
    assert_non_null(key);
    assert_int_equal(key->len, 7);
    assert_string_equal(key->p, "abc d/e"); /* decoded, NUL-terminated, %2F kept in the segment */
    assert_null(mm_route_param(&m, "id"));
    assert_int_equal(mm_router_match(r, MM_HTTP_HEAD, str("/v1/a/1/b/%F0%9F%8E%B5"), &m), MM_OK);
    assert_string_equal(mm_route_param(&m, "x")->p, "1");
    assert_string_equal(mm_route_param(&m, "y")->p, "\xf0\x9f\x8e\xb5");
    /* an encoded literal still matches the literal */
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/%68ealthz"), &m), MM_OK);
    assert_string_equal(m.route->pattern, "/healthz");
    /* an empty parameter value matches */
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/tracks/"), &m), MM_OK);
    assert_int_equal(mm_route_param(&m, "key")->len, 0);
}

static void test_match_not_found(void **state)
{
    const struct mm_router *r = *state;
    static struct mm_route_match m;
    static const char *const missing[] = {
        "/x",         "/healthz/",
        "//healthz",  "/HEALTHZ",
        "/v1/tracks", "/v1/tracks/a/b",
        "healthz",    "",
        "/v1/a/1/b",  "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        if (mm_router_match(r, MM_HTTP_GET, str(missing[i]), &m) != MM_ENOTFOUND)
            fail_msg("path \"%s\" matched", missing[i]);
    }
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/tracks/%zz"), &m), MM_EPARSE);
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/tracks/%00"), &m), MM_EPARSE);
}

static void test_match_method(void **state)
{
    const struct mm_router *r = *state;
    static struct mm_route_match m;
    assert_int_equal(mm_router_match(r, MM_HTTP_POST, str("/healthz"), &m), MM_EMETHOD);
    assert_int_equal(m.allow, MM_HTTP_GET | MM_HTTP_HEAD);
    assert_int_equal(mm_router_match(r, MM_HTTP_OTHER, str("/v1/search/similar"), &m), MM_EMETHOD);
    assert_int_equal(m.allow, MM_HTTP_GET | MM_HTTP_HEAD | MM_HTTP_POST);
    assert_int_equal(mm_router_match(r, MM_HTTP_POST, str("/v1/search/similar"), &m), MM_OK);
    assert_ptr_equal(m.route, &routes[6]);
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/post-only"), &m), MM_EMETHOD);
    assert_int_equal(m.allow, MM_HTTP_POST);
    assert_int_equal(mm_router_match(r, MM_HTTP_HEAD, str("/v1/post-only"), &m), MM_EMETHOD);
}

/* Parses `text` and dispatches it; the body stays in `body`. */
static void dispatch(const struct mm_router *r, const char *text, struct mm_buf *body,
                     struct mm_http_response *res)
{
    static struct mm_http_request req;
    static struct mm_route_match m;
    struct mm_http_parser p;
    size_t used;
    mm_http_parser_init(&p);
    assert_int_equal(mm_http_parse(&p, text, strlen(text), &req, &used), MM_OK);
    assert_int_equal(used, strlen(text));
    mm_router_dispatch(r, &req, NULL, &m, body, res);
    assert_int_equal(res->content_length, body->len);
}

static void test_dispatch(void **state)
{
    const struct mm_router *r = *state;
    struct mm_buf body;
    struct mm_http_response res;
    mm_buf_init(&body, 1 << 16);

    dispatch(r, "GET /v1/tracks/a%20b HTTP/1.1\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 200);
    assert_true(res.keep_alive);
    assert_int_equal(res.allow, 0);
    assert_null(res.content_type);
    assert_string_equal(body.data, "{\"p\":\"/v1/tracks/{key}\",\"key\":\"a b\"}");

    dispatch(r, "GET /nope?x=1 HTTP/1.0\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 404);
    assert_false(res.keep_alive);
    assert_int_equal(res.minor, 0);
    assert_string_equal(body.data, "{\"success\":false,\"error\":\"no route for GET /nope\","
                                   "\"error_code\":\"NOT_FOUND\"}");

    dispatch(r, "DELETE /healthz HTTP/1.1\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 405);
    assert_int_equal(res.allow, MM_HTTP_GET | MM_HTTP_HEAD);
    assert_true(res.keep_alive);
    assert_string_equal(body.data,
                        "{\"success\":false,\"error\":\"method DELETE not allowed for /healthz\","
                        "\"error_code\":\"METHOD_NOT_ALLOWED\"}");

    dispatch(r, "GET /v1/things/7 HTTP/1.1\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 404);
    assert_string_equal(body.data, "{\"success\":false,\"error\":\"thing 7 not found\","
                                   "\"error_code\":\"NOT_FOUND\"}");

    dispatch(r, "GET /v1/broken HTTP/1.1\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 500);
    assert_string_equal(body.data, "{\"success\":false,\"error\":\"corrupt data or checksum "
                                   "mismatch\",\"error_code\":\"CORRUPT\"}");

    dispatch(r, "GET /v1/tracks/%zz HTTP/1.1\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(body.data, "bad percent-encoding in path /v1/tracks/%zz"));
    assert_true(res.keep_alive);

    mm_buf_cleanup(&body);
}

static void test_dispatch_refuses_bodies(void **state)
{
    const struct mm_router *r = *state;
    struct mm_buf body;
    struct mm_http_response res;
    mm_buf_init(&body, 1 << 16);
    dispatch(r, "GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 400);
    assert_false(res.keep_alive);
    assert_non_null(strstr(body.data, "\"error_code\":\"PARSE_ERROR\""));
    dispatch(r, "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 400);
    assert_false(res.keep_alive);
    dispatch(r, "GET /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &body, &res);
    assert_int_equal(res.status, 200);
    assert_true(res.keep_alive);
    mm_buf_cleanup(&body);
}

static void test_server_table_compiles(void **state)
{
    (void)state;
    struct mm_router *r;
    char err[MM_ERRLEN];
    static struct mm_route_match m;
    assert_int_equal(mm_router_new(mm_handlers_routes, mm_handlers_n_routes, &r, err), MM_OK);
    assert_int_equal(mm_router_match(r, MM_HTTP_HEAD, str("/healthz"), &m), MM_OK);
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/snapshot"), &m), MM_OK);
    assert_int_equal(mm_router_match(r, MM_HTTP_GET, str("/v1/requests/42"), &m), MM_OK);
    assert_string_equal(mm_route_param(&m, "id")->p, "42");
    assert_int_equal(mm_router_match(r, MM_HTTP_POST, str("/v1/requests/42"), &m), MM_EMETHOD);
    mm_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_match_literals_and_params),
        cmocka_unit_test(test_match_not_found),
        cmocka_unit_test(test_match_method),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_dispatch_refuses_bodies),
        cmocka_unit_test(test_server_table_compiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
