/* Tests of serve/server.c and serve/worker.c with the real handlers: a
 * server on 127.0.0.1 port 0 answering real socket requests — keep-alive,
 * pipelining, HEAD, the error bodies, snapshot pick-up, limits, timeouts,
 * the connection cap and draining on stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "common/log.h"
#include "serve/handlers.h"
#include "serve/server.h"
#include "snap_fixture.h"

#define CLIENT_BUF (1 << 20)

struct env {
    char dir[64];
    struct mm_snap_holder *holder;
    struct mm_router *router;
    struct mm_server *server;
    int port;
};

struct client {
    int fd;
    size_t len;
    char buf[CLIENT_BUF];
};

struct response {
    int status;
    char head[4096];
    char body[65536];
    size_t body_len;
};

static struct env *env_new(int idle_ms, int header_ms, int max_conns)
{
    struct env *e = mm_xcalloc(1, sizeof(*e));
    char err[MM_ERRLEN];
    snprintf(e->dir, sizeof(e->dir), "/tmp/mm-server-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    mm_log_set_level(MM_LOG_ERROR);
    mm_snap_holder_open(e->dir, 2, &e->holder);
    assert_int_equal(mm_router_new(mm_handlers_routes, mm_handlers_n_routes, &e->router, err),
                     MM_OK);
    struct mm_server_options opt = {.listen = "127.0.0.1:0",
                                    .threads = 2,
                                    .max_connections = max_conns,
                                    .idle_timeout_ms = idle_ms,
                                    .header_timeout_ms = header_ms};
    assert_int_equal(mm_server_open(&opt, e->router, e->holder, &e->server, err), MM_OK);
    const char *addr = mm_server_address(e->server);
    assert_true(strncmp(addr, "127.0.0.1:", 10) == 0);
    e->port = (int)strtol(addr + 10, NULL, 10);
    assert_true(e->port > 0);
    assert_int_equal(mm_server_start(e->server), MM_OK);
    return e;
}

static void env_free(struct env *e)
{
    mm_snap_holder_stop(e->holder);
    mm_server_stop(e->server);
    mm_server_wait(e->server);
    mm_server_close(e->server);
    mm_router_free(e->router);
    mm_snap_holder_close(e->holder);
    fx_rmtree(e->dir);
    free(e);
}

static int setup(void **state)
{
    *state = env_new(5000, 5000, 64);
    return 0;
}

static int teardown(void **state)
{
    env_free(*state);
    return 0;
}

static struct client *client_open(int port)
{
    struct client *c = mm_xcalloc(1, sizeof(*c));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {5, 0};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return c;
}

static void client_close(struct client *c)
{
    close(c->fd);
    free(c);
}

static void client_send(struct client *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

static void client_sends(struct client *c, const char *s)
{
    client_send(c, s, strlen(s));
}

/* Reads more bytes; 0 on EOF (or reset), -1 on timeout. */
static int client_fill(struct client *c)
{
    ssize_t n = recv(c->fd, c->buf + c->len, CLIENT_BUF - c->len, 0);
    if (n > 0) {
        c->len += (size_t)n;
        return 1;
    }
    return n == 0 || errno == ECONNRESET ? 0 : -1;
}

static void client_consume(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Reads one response; `head_only` for a HEAD request. False when the stream
 * ends or is malformed. No cmocka assertions: also used off the main thread. */
static bool client_next(struct client *c, bool head_only, struct response *r)
{
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        if (c->len == CLIENT_BUF || client_fill(c) != 1)
            return false;
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    if (head_len >= sizeof(r->head))
        return false;
    memcpy(r->head, c->buf, head_len);
    r->head[head_len] = '\0';
    const char *cl = strstr(r->head, "Content-Length: ");
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1 || !cl)
        return false;
    size_t body_len = head_only ? 0 : (size_t)strtoul(cl + 16, NULL, 10);
    if (body_len >= sizeof(r->body))
        return false;
    while (c->len < head_len + body_len) {
        if (client_fill(c) != 1)
            return false;
    }
    memcpy(r->body, c->buf + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    client_consume(c, head_len + body_len);
    return true;
}

static void client_response(struct client *c, bool head_only, struct response *r)
{
    assert_true(client_next(c, head_only, r));
}

/* Asserts that the server closed the connection with nothing more to read. */
static void client_expect_close(struct client *c)
{
    int rc;
    while ((rc = client_fill(c)) == 1)
        continue;
    assert_int_equal(rc, 0);
    assert_int_equal(c->len, 0);
}

/* One request on a fresh connection. */
static void request(struct env *e, const char *text, struct response *r)
{
    struct client *c = client_open(e->port);
    client_sends(c, text);
    client_response(c, strncmp(text, "HEAD ", 5) == 0, r);
    client_close(c);
}

static void publish(struct env *e, const char *id, const uint64_t *ids, size_t n)
{
    char err[MM_ERRLEN];
    fx_snapshot(e->dir, id, ids, n);
    fx_point_current(e->dir, id);
    assert_int_equal(mm_snap_holder_poll(e->holder, err), MM_OK);
    mm_server_wake(e->server);
}

static void test_no_snapshot(void **state)
{
    struct env *e = *state;
    static struct response r;
    request(e, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: application/json\r\n"));
    assert_string_equal(r.body, "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":null}");
    request(e, "GET /v1/snapshot HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "{\"success\":false,\"error\":\"no snapshot is loaded\","
                                "\"error_code\":\"NO_SNAPSHOT\"}");
    request(e, "GET /v1/requests/1 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"error_code\":\"NO_SNAPSHOT\""));
    /* parameter validation comes first */
    request(e, "GET /v1/requests/abc HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
}

static void test_snapshot_routes(void **state)
{
    struct env *e = *state;
    static struct response r;
    static const uint64_t ids[] = {1, 42};
    publish(e, "snap-1", ids, 2);
    request(e, "GET /healthz HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.body, "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":\"snap-1\"}");
    request(e, "GET /v1/snapshot HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    static const char summary[] = "{\"success\":true,\"snapshot\":{";
    assert_memory_equal(r.body, summary, sizeof(summary) - 1);
    assert_non_null(strstr(r.body, "\"id\":\"snap-1\""));
    assert_null(strstr(r.body, "sha256"));
    request(e, "GET /v1/requests/42 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    static const char prefix[] = "{\"success\":true,\"request\":{\"request_id\":42,";
    assert_memory_equal(r.body, prefix, sizeof(prefix) - 1);
    assert_non_null(strstr(r.body, "\"songs\":[{\"position\":1,"));
    json_error_t jerr;
    json_t *doc = json_loads(r.body, 0, &jerr);
    assert_non_null(doc);
    assert_true(json_is_true(json_object_get(doc, "success")));
    json_decref(doc);
    request(e, "GET /v1/requests/0042 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    request(e, "GET /v1/requests/43 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"success\":false,\"error\":\"request 43 not found\","
                                "\"error_code\":\"NOT_FOUND\"}");
    static const char *const bad[] = {"abc", "0", "-1", "18446744073709551616", "1x", "%20"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "GET /v1/requests/%s HTTP/1.1\r\n\r\n", bad[i]);
        request(e, text, &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "path parameter id: expected a positive integer, got"));
        assert_non_null(strstr(r.body, "\"error_code\":\"BAD_PARAMETER\""));
    }
    request(e, "GET /v1/requests/18446744073709551615 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
}

static void test_errors(void **state)
{
    struct env *e = *state;
    static struct response r;
    request(e, "GET /x?y=1 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"success\":false,\"error\":\"no route for GET /x\","
                                "\"error_code\":\"NOT_FOUND\"}");
    request(e, "PUT /healthz HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.head, "\r\nAllow: GET, HEAD\r\n"));
    assert_non_null(strstr(r.body, "\"error_code\":\"METHOD_NOT_ALLOWED\""));
    request(e, "GET /bad%zz HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
}

static void test_keep_alive_and_head(void **state)
{
    struct env *e = *state;
    static struct response r, g;
    struct client *c = client_open(e->port);
    for (int i = 0; i < 3; i++) {
        client_sends(c, "GET /healthz HTTP/1.1\r\n\r\n");
        client_response(c, false, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.head, "Connection:"));
    }
    client_sends(c, "HEAD /healthz HTTP/1.1\r\n\r\n");
    client_response(c, true, &r);
    client_sends(c, "GET /healthz HTTP/1.1\r\n\r\n");
    client_response(c, false, &g);
    assert_int_equal(r.status, 200);
    /* HEAD announces the GET body's length but sends none (the GET follows directly) */
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", g.body_len);
    assert_non_null(strstr(r.head, cl));
    client_sends(c, "GET /nope HTTP/1.1\r\n\r\n");
    client_response(c, false, &r);
    assert_int_equal(r.status, 404); /* an error answer keeps the connection */
    client_sends(c, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    client_response(c, false, &r);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    client_expect_close(c);
    client_close(c);

    c = client_open(e->port);
    client_sends(c, "GET /healthz HTTP/1.0\r\n\r\n");
    client_response(c, false, &r);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    client_expect_close(c);
    client_close(c);

    c = client_open(e->port);
    client_sends(c, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    client_response(c, false, &r);
    assert_non_null(strstr(r.head, "Connection: keep-alive\r\n"));
    client_sends(c, "GET /healthz HTTP/1.0\r\n\r\n");
    client_response(c, false, &r);
    client_expect_close(c);
    client_close(c);
}

#define PIPELINED 5000

struct sender {
    struct client *c;
    int n;
};

/* Sends n pipelined requests; runs on its own thread (no cmocka assertions). */
static void *send_many(void *arg)
{
    struct sender *s = arg;
    static const char req[] = "GET /v1/requests/7 HTTP/1.1\r\n\r\n";
    static char batch[100 * (sizeof(req) - 1)];
    for (size_t i = 0; i < 100; i++)
        memcpy(batch + i * (sizeof(req) - 1), req, sizeof(req) - 1);
    for (int i = 0; i < s->n; i += 100) {
        size_t off = 0;
        while (off < sizeof(batch)) {
            ssize_t n = send(s->c->fd, batch + off, sizeof(batch) - off, MSG_NOSIGNAL);
            if (n <= 0)
                return NULL;
            off += (size_t)n;
        }
    }
    return NULL;
}

static void test_pipelining(void **state)
{
    struct env *e = *state;
    static struct response r;
    static const uint64_t ids[] = {7};
    publish(e, "p1", ids, 1);
    struct client *c = client_open(e->port);
    /* three requests in one segment, answered in order */
    client_sends(c, "GET /v1/requests/7 HTTP/1.1\r\n\r\nHEAD /healthz HTTP/1.1\r\n\r\n"
                    "GET /nope HTTP/1.1\r\n\r\n");
    client_response(c, false, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"request_id\":7"));
    client_response(c, true, &r);
    assert_int_equal(r.status, 200);
    client_response(c, false, &r);
    assert_int_equal(r.status, 404);
    /* enough pipelined requests to pass the output high-water mark and the
     * per-round read budget, sent while the answers are being read */
    struct sender snd = {c, PIPELINED};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_many, &snd), 0);
    struct timespec fill = {0, 100 * 1000000L};
    nanosleep(&fill, NULL); /* let the requests pile up in the socket buffers */
    for (int i = 0; i < PIPELINED; i++) {
        client_response(c, false, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"request_id\":7"));
    }
    pthread_join(t, NULL);
    /* a request split across segments */
    client_sends(c, "GET /heal");
    struct timespec pause = {0, 20 * 1000000L};
    nanosleep(&pause, NULL);
    client_sends(c, "thz HTTP/1.1\r\n");
    nanosleep(&pause, NULL);
    client_sends(c, "\r\n");
    client_response(c, false, &r);
    assert_int_equal(r.status, 200);
    client_close(c);
}

static void test_limits(void **state)
{
    struct env *e = *state;
    static struct response r;
    struct mm_buf req;
    mm_buf_init(&req, 1 << 20);
    assert_int_equal(mm_buf_appends(&req, "GET /"), MM_OK);
    for (int i = 0; i < MM_HTTP_MAX_REQUEST_LINE; i++)
        assert_int_equal(mm_buf_appendc(&req, 'a'), MM_OK);
    assert_int_equal(mm_buf_appends(&req, " HTTP/1.1\r\n\r\n"), MM_OK);
    struct client *c = client_open(e->port);
    client_send(c, req.data, req.len);
    client_response(c, false, &r);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    assert_non_null(strstr(r.body, "\"error_code\":\"URI_TOO_LONG\""));
    client_expect_close(c);
    client_close(c);

    mm_buf_reset(&req);
    assert_int_equal(mm_buf_appends(&req, "GET /healthz HTTP/1.1\r\n"), MM_OK);
    for (int i = 0; i <= MM_HTTP_MAX_HEADERS; i++)
        assert_int_equal(mm_buf_printf(&req, "X-%d: y\r\n", i), MM_OK);
    assert_int_equal(mm_buf_appends(&req, "\r\n"), MM_OK);
    c = client_open(e->port);
    client_send(c, req.data, req.len);
    client_response(c, false, &r);
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"error_code\":\"HEADERS_TOO_LARGE\""));
    client_expect_close(c);
    client_close(c);
    mm_buf_cleanup(&req);

    c = client_open(e->port);
    client_sends(c, "GET /healthz HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
    client_response(c, false, &r);
    assert_int_equal(r.status, 400);
    client_expect_close(c);
    client_close(c);

    c = client_open(e->port);
    client_sends(
        c, "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
    client_response(c, false, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"error_code\":\"PARSE_ERROR\""));
    client_expect_close(c);
    client_close(c);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeouts_and_cap(void **state)
{
    (void)state;
    struct env *e = env_new(400, 200, 2);
    static struct response r;
    /* a request not complete within the header timeout is closed */
    struct client *c = client_open(e->port);
    long long t0 = now_ms();
    client_sends(c, "GET /healthz HTTP/1.1\r\n");
    client_expect_close(c);
    long long waited = now_ms() - t0;
    assert_true(waited >= 150 && waited < 2000);
    client_close(c);
    /* an idle connection is closed after the idle timeout */
    c = client_open(e->port);
    client_sends(c, "GET /healthz HTTP/1.1\r\n\r\n");
    client_response(c, false, &r);
    t0 = now_ms();
    client_expect_close(c);
    waited = now_ms() - t0;
    assert_true(waited >= 300 && waited < 2000);
    client_close(c);
    /* past max_connections a connection is accepted and closed at once */
    struct client *a = client_open(e->port), *b = client_open(e->port);
    client_sends(a, "GET /healthz HTTP/1.1\r\n\r\n");
    client_response(a, false, &r);
    client_sends(b, "GET /healthz HTTP/1.1\r\n\r\n");
    client_response(b, false, &r);
    c = client_open(e->port);
    client_expect_close(c);
    client_close(c);
    client_close(a);
    client_close(b);
    env_free(e);
}

static void test_stop_drains(void **state)
{
    (void)state;
    struct env *e = env_new(5000, 5000, 64);
    static struct response r;
    struct client *idle = client_open(e->port), *partial = client_open(e->port);
    client_sends(idle, "GET /healthz HTTP/1.1\r\n\r\n");
    client_response(idle, false, &r);
    client_sends(partial, "GET /healthz HTTP/1.1\r\n");
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    mm_server_stop(e->server);
    /* the idle connection is closed; the one mid-request gets its answer, then close */
    client_expect_close(idle);
    client_sends(partial, "\r\n");
    client_response(partial, false, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    client_expect_close(partial);
    client_close(idle);
    client_close(partial);
    mm_server_wait(e->server);
    env_free(e);
}

struct hammer {
    int port;
    atomic_bool stop;
    atomic_int ok, failed;
};

/* Keeps one connection busy with pipelined lookups of request 1 until told
 * to stop; counts the answers that are not 200 with that record. */
static void *hammer_main(void *arg)
{
    struct hammer *hm = arg;
    static const char req[] = "GET /v1/requests/1 HTTP/1.1\r\n\r\n";
    char batch[8 * (sizeof(req) - 1)];
    struct response *r = mm_xcalloc(1, sizeof(*r));
    for (size_t i = 0; i < 8; i++)
        memcpy(batch + i * (sizeof(req) - 1), req, sizeof(req) - 1);
    struct client *c = mm_xcalloc(1, sizeof(*c));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)hm->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        atomic_fetch_add(&hm->failed, 1);
    while (!atomic_load(&hm->stop) && atomic_load(&hm->failed) == 0) {
        if (send(c->fd, batch, sizeof(batch), MSG_NOSIGNAL) != (ssize_t)sizeof(batch))
            atomic_fetch_add(&hm->failed, 1);
        for (int i = 0; i < 8; i++) {
            bool good = client_next(c, false, r) && r->status == 200 &&
                        strstr(r->body, "\"request_id\":1,") != NULL;
            atomic_fetch_add(good ? &hm->ok : &hm->failed, 1);
        }
    }
    client_close(c);
    free(r);
    return NULL;
}

/* Snapshots published while requests stream in: no request fails, each
 * switch is picked up, and every replaced snapshot is closed. */
static void test_switch_under_load(void **state)
{
    struct env *e = *state;
    static struct response r;
    static const uint64_t ids[] = {1, 2};
    struct mm_snap_holder_stats st;
    publish(e, "v0", ids, 2);
    assert_int_equal(mm_snap_holder_start(e->holder, 5, mm_server_wake, e->server), MM_OK);
    struct hammer hm = {.port = e->port};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer_main, &hm), 0);
    struct timespec pause = {0, 5 * 1000000L};
    for (int v = 1; v <= 5; v++) {
        char id[8], want[64];
        snprintf(id, sizeof(id), "v%d", v);
        snprintf(want, sizeof(want), "\"snapshot_id\":\"%s\"", id);
        fx_snapshot(e->dir, id, ids, 2);
        fx_point_current(e->dir, id);
        int tries = 0;
        do {
            nanosleep(&pause, NULL);
            request(e, "GET /healthz HTTP/1.1\r\n\r\n", &r);
        } while (!strstr(r.body, want) && ++tries < 400);
        assert_non_null(strstr(r.body, want));
    }
    atomic_store(&hm.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&hm.failed), 0);
    assert_true(atomic_load(&hm.ok) > 0);
    mm_snap_holder_stop(e->holder);
    for (int tries = 0; tries < 400; tries++) {
        mm_snap_holder_stats(e->holder, &st);
        if (st.closed == 5)
            break;
        nanosleep(&pause, NULL);
    }
    assert_int_equal(st.loaded, 6);
    assert_int_equal(st.refused, 0);
    assert_int_equal(st.closed, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_and_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_under_load, setup, teardown),
        cmocka_unit_test(test_timeouts_and_cap),
        cmocka_unit_test(test_stop_drains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
