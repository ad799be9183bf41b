/* Test fixture shared by test_http.c, test_http_xfer.c and the provider
 * tests: the scriptable server tests/data/http/server.py (127.0.0.1, random
 * port, started once per group; it exits when its stdin closes), a fake
 * clock whose sleep advances time so that backoff and rate-limit waits cost
 * nothing, and request helpers. Included by the tests only. */
#ifndef MM_TEST_HTTP_FIXTURE_H
#define MM_TEST_HTTP_FIXTURE_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/http.h"
#include "common/log.h"

#define UA "moodmusic-test/0.1 ( ops@example.org )"
#define FAKE_T0 1000000
#define FAKE_WALL 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */

static pid_t server_pid;
static int server_stdin = -1;
static int server_port;

/* --- the test server --- */

/* Starts the server; with `canned` (a directory under the repo, e.g.
 * "tests/data/providers") it also serves that directory's canned answers
 * (server.py --canned). */
static inline int spawn_server(const char *canned)
{
    const char *src = getenv("MM_SOURCE_DIR");
    int in[2], out[2];
    char line[32] = "";
    if (!src || pipe(in) != 0 || pipe(out) != 0) {
        fprintf(stderr, "test_http: MM_SOURCE_DIR unset or pipe failed\n");
        return -1;
    }
    char *script = mm_xasprintf("%s/tests/data/http/server.py", src);
    char *dir = canned ? mm_xasprintf("%s/%s", src, canned) : NULL;
    char *argv[] = {"python3", script, dir ? "--canned" : NULL, dir, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawnp(&server_pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(script);
    free(dir);
    close(in[0]);
    close(out[1]);
    server_stdin = in[1];
    FILE *f = fdopen(out[0], "r");
    if (rc != 0 || !f || !fgets(line, sizeof(line), f)) {
        fprintf(stderr, "test_http: the test server did not start\n");
        return -1;
    }
    fclose(f);
    server_port = (int)strtol(line, NULL, 10);
    /* Keep the test output to failures; the redaction test reads its own log. */
    return mm_log_open(NULL, MM_LOG_ERROR, NULL) == MM_OK && server_port > 0 ? 0 : -1;
}

static inline int start_server(void **state)
{
    (void)state;
    return spawn_server(NULL);
}

static inline int stop_server(void **state)
{
    (void)state;
    int status;
    close(server_stdin); /* the server exits when its stdin closes */
    waitpid(server_pid, &status, 0);
    return 0;
}

/* --- helpers --- */

struct fake_clock {
    uint64_t now;
    int64_t wall;
    uint64_t slept;
};

static struct fake_clock fake;

static inline uint64_t fake_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->now;
}

static inline int64_t fake_wall(void *ctx)
{
    struct fake_clock *f = ctx;
    return f->wall + (int64_t)(f->now - FAKE_T0) / 1000;
}

static inline void fake_sleep(void *ctx, uint64_t ms)
{
    struct fake_clock *f = ctx;
    f->now += ms;
    f->slept += ms;
}

static const struct mm_http_clock fake_ops = {fake_now, fake_wall, fake_sleep, &fake};

static inline uint64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Options of most tests: fake time, short waits, 4 attempts, a fixed seed. */
static inline struct mm_http_options options(bool fake_time)
{
    struct mm_http_options o;
    mm_http_options_init(&o);
    o.user_agent = UA;
    o.min_wait_ms = 100;
    o.max_wait_ms = 10000;
    o.max_attempts = 4;
    o.connect_timeout_ms = 2000;
    o.timeout_ms = 5000;
    o.seed = 1;
    if (fake_time) {
        fake = (struct fake_clock){.now = FAKE_T0, .wall = FAKE_WALL};
        o.clock = &fake_ops;
    }
    return o;
}

static inline struct mm_http_client *client(const struct mm_http_options *o)
{
    struct mm_http_client *c = NULL;
    char err[MM_ERRLEN] = "";
    assert_int_equal(mm_http_client_new(o, &c, err), MM_OK);
    assert_non_null(c);
    return c;
}

/* "http://127.0.0.1:PORT" + path. Caller frees. */
static inline char *url(const char *path)
{
    return mm_xasprintf("http://127.0.0.1:%d%s", server_port, path);
}

static inline mm_err get(struct mm_http_client *c, const char *path, struct mm_http_response *r)
{
    char *u = url(path);
    struct mm_http_request req = {.url = u};
    mm_err err = mm_http_fetch(c, &req, r);
    free(u);
    return err;
}

static inline mm_err get_with(struct mm_http_client *c, const char *path, mm_http_classify_fn hook,
                              struct mm_http_response *r)
{
    char *u = url(path);
    struct mm_http_request req = {.url = u, .classify = hook};
    mm_err err = mm_http_fetch(c, &req, r);
    free(u);
    return err;
}

static inline struct mm_http_host_stats stats(struct mm_http_client *c, const char *host)
{
    struct mm_http_host_stats s;
    assert_int_equal(mm_http_stats_get(c, host, &s), MM_OK);
    return s;
}

/* A port on 127.0.0.1 where nothing listens. */
static inline int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

#endif
