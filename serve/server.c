#include "serve/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "serve/worker.h"

#define BACKLOG 1024

struct mm_server {
    struct mm_server_options opt;
    const struct mm_router *router;
    struct mm_snap_holder *holder;
    char address[INET6_ADDRSTRLEN + 16];
    unsigned n_workers, n_started;
    struct mm_worker **workers;
    atomic_bool stopping;
    atomic_int n_conns;
};

/* ---------------------------------------------------------------- binding */

/* Resolves "ADDR:PORT" / "[ADDR]:PORT" (ADDR may be empty: every address). */
static mm_err resolve(const char *address, struct addrinfo **out, char err[MM_ERRLEN])
{
    const char *colon = strrchr(address, ':');
    const char *host = address, *host_end = colon;
    char *h = NULL;
    mm_err e = MM_EINVAL;
    if (!colon || colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        strlen(colon + 1) > 5 || strtol(colon + 1, NULL, 10) > 65535)
        goto out_bad;
    if (*host == '[') {
        if (host_end - host < 2 || host_end[-1] != ']')
            goto out_bad;
        host++;
        host_end--;
    }
    h = mm_xstrndup(host, (size_t)(host_end - host));
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, out);
    free(h);
    if (rc != 0) {
        snprintf(err, MM_ERRLEN, "listen address %s: %s", address, gai_strerror(rc));
        return MM_EINVAL;
    }
    return MM_OK;

out_bad:
    snprintf(err, MM_ERRLEN, "listen address: expected ADDR:PORT (port 0..65535), got \"%s\"",
             address);
    return e;
}

/* A listening socket on `sa`; `reuseport` shares the port between workers. */
static mm_err bind_one(const struct sockaddr *sa, socklen_t salen, bool reuseport, int *out,
                       const char *address, char err[MM_ERRLEN])
{
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out_fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
        bind(fd, sa, salen) < 0 || listen(fd, BACKLOG) < 0)
        goto out_close_fd;
    *out = fd;
    return MM_OK;

out_close_fd:
    close(fd);
out_fail:
    snprintf(err, MM_ERRLEN, "cannot listen on %s: %s", address, strerror(errno));
    return MM_EIO;
}

/* The numeric form of the bound address, with the real port. */
static void describe(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN], port[8];
    getsockname(fd, (struct sockaddr *)&ss, &len);
    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/*
 * Binds one socket per worker. A first bind without SO_REUSEPORT finds the
 * port (port 0) and fails when another process holds it, which SO_REUSEPORT
 * would otherwise silently share; the workers' sockets then bind that port.
 */
static mm_err bind_all(struct mm_server *s, int *fds, char err[MM_ERRLEN])
{
    struct addrinfo *ai;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int probe;
    unsigned i = 0;
    mm_err e = resolve(s->opt.listen, &ai, err);
    if (e)
        return e;
    e = bind_one(ai->ai_addr, ai->ai_addrlen, false, &probe, s->opt.listen, err);
    if (e)
        goto out_free_ai;
    getsockname(probe, (struct sockaddr *)&ss, &len);
    close(probe);
    for (i = 0; i < s->n_workers; i++) {
        e = bind_one((struct sockaddr *)&ss, len, true, &fds[i], s->opt.listen, err);
        if (e)
            goto out_close_fds;
    }
    describe(fds[0], s->address, sizeof(s->address));
    goto out_free_ai;

out_close_fds:
    while (i > 0)
        close(fds[--i]);

out_free_ai:
    freeaddrinfo(ai);
    return e;
}

/* -------------------------------------------------------------- lifecycle */

mm_err mm_server_open(const struct mm_server_options *opt, const struct mm_router *router,
                      struct mm_snap_holder *holder, struct mm_server **out, char err[MM_ERRLEN])
{
    MM_ASSERT(opt->threads >= 1);
    struct mm_server *s = mm_xcalloc(1, sizeof(*s));
    int *fds = mm_xcalloc((size_t)opt->threads, sizeof(*fds));
    s->opt = *opt;
    s->router = router;
    s->holder = holder;
    s->n_workers = (unsigned)opt->threads;
    atomic_init(&s->stopping, false);
    atomic_init(&s->n_conns, 0);
    struct mm_worker_config wc = {
        .router = router,
        .holder = holder,
        .stopping = &s->stopping,
        .n_conns = &s->n_conns,
        .max_connections = opt->max_connections,
        .idle_timeout_ms = opt->idle_timeout_ms,
        .header_timeout_ms = opt->header_timeout_ms,
    };
    unsigned i = 0;
    mm_err e = bind_all(s, fds, err);
    if (e)
        goto out_free_fds;
    s->workers = mm_xcalloc(s->n_workers, sizeof(*s->workers));
    for (i = 0; i < s->n_workers; i++) {
        e = mm_worker_new(&wc, fds[i], &s->workers[i], err);
        if (e)
            goto out_close_server;
    }
    free(fds);
    *out = s;
    return MM_OK;

out_close_server:
    while (++i < s->n_workers)
        close(fds[i]);
    mm_server_close(s);
    s = NULL;
out_free_fds:
    free(fds);
    free(s);
    return e;
}

const char *mm_server_address(const struct mm_server *s)
{
    return s->address;
}

mm_err mm_server_start(struct mm_server *s)
{
    mm_err e = MM_OK;
    while (!e && s->n_started < s->n_workers) {
        e = mm_worker_start(s->workers[s->n_started]);
        if (!e)
            s->n_started++;
    }
    if (e) {
        mm_server_stop(s);
        mm_server_wait(s);
    }
    return e;
}

void mm_server_stop(struct mm_server *s)
{
    atomic_store(&s->stopping, true);
    mm_server_wake(s);
}

void mm_server_wake(void *server)
{
    struct mm_server *s = server;
    for (unsigned i = 0; i < s->n_workers; i++) {
        if (s->workers[i])
            mm_worker_wake(s->workers[i]);
    }
}

void mm_server_wait(struct mm_server *s)
{
    for (unsigned i = 0; i < s->n_started; i++)
        mm_worker_join(s->workers[i]);
    s->n_started = 0;
}

void mm_server_close(struct mm_server *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->n_workers; i++)
        mm_worker_free(s->workers[i]);
    free(s->workers);
    free(s);
}
