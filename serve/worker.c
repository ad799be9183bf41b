#include "serve/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "serve/http.h"

#define IN_CAP 32768 /* > MM_HTTP_MAX_HEAD: a request head still being read always fits */
#define HEAD_CAP 4096
#define BODY_CAP (8u << 20)
#define OUT_HIGH (64u << 10) /* pipelined requests wait while this much output is pending */
#define OUT_CAP (OUT_HIGH + HEAD_CAP + BODY_CAP)
#define OUT_KEEP (256u << 10) /* output memory an idle connection keeps */
#define READ_CHUNK 16384
#define MAX_EVENTS 256
#define ACCEPTS_PER_EVENT 64
#define FREE_CONNS_MAX 256
#define LINGER_MS 2000 /* reading what a closed-for-writing peer still sends */
#define LINGER_READS 16
#define READS_PER_RUN 16 /* then other connections get their turn */
#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

enum source_kind { SRC_LISTEN, SRC_WAKE, SRC_CONN };
enum timer_list { LIST_IDLE, LIST_HEADER, LIST_NONE };

/* The epoll data of every registered fd points to one of these. */
struct source {
    enum source_kind kind;
};

struct conn {
    struct source src; /* first: the epoll data */
    int fd;
    struct mm_worker *w;
    struct mm_buf in, out; /* input from in_off on is unparsed; output from out_off is unsent */
    size_t in_off, out_off;
    struct mm_http_parser parser;
    bool readable, writable; /* edge-triggered readiness not yet used up */
    bool closing;            /* close once the output is sent */
    bool lingering;          /* write side shut: discarding input until EOF */
    enum timer_list list;
    long long deadline;
    struct conn *prev, *next; /* in its timer list, or the free list */
};

struct conn_list {
    struct conn *head, *tail;
};

struct mm_worker {
    struct mm_worker_config cfg;
    pthread_t thread;
    int epfd, lfd, efd, reserve_fd;
    struct source listen_src, wake_src;
    struct mm_snap_view view;
    struct conn_list lists[2];
    struct conn *free_conns;
    size_t n_free, n_conns;
    bool draining;
    long long now; /* CLOCK_MONOTONIC ms at the last wake-up */
    long long date_sec;
    char date[32];
    struct mm_http_request req;
    struct mm_route_match match;
    struct mm_buf head, body;
    char rbuf[READ_CHUNK];
};

/* ------------------------------------------------------------ timer lists */

static void list_unlink(struct mm_worker *w, struct conn *c)
{
    if (c->list == LIST_NONE)
        return;
    struct conn_list *l = &w->lists[c->list];
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    c->list = LIST_NONE;
}

/* Deadlines of one list share one timeout, so appending keeps it sorted. */
static void list_push(struct mm_worker *w, struct conn *c, enum timer_list list, long long deadline)
{
    list_unlink(w, c);
    struct conn_list *l = &w->lists[list];
    c->list = list;
    c->deadline = deadline;
    c->prev = l->tail;
    c->next = NULL;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void tick(struct mm_worker *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    w->now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long sec = (long long)time(NULL);
    if (sec != w->date_sec) {
        w->date_sec = sec;
        mm_http_date(sec, w->date);
    }
}

static int next_timeout(const struct mm_worker *w)
{
    long long t = -1;
    for (int l = LIST_IDLE; l <= LIST_HEADER; l++) {
        if (!w->lists[l].head)
            continue;
        long long d = w->lists[l].head->deadline - w->now;
        d = d < 0 ? 0 : d;
        t = t < 0 || d < t ? d : t;
    }
    return t > INT_MAX ? INT_MAX : (int)t;
}

/* ------------------------------------------------------------ connections */

static size_t pending(const struct conn *c)
{
    return c->out.len - c->out_off;
}

static struct conn *conn_new(struct mm_worker *w, int fd)
{
    struct conn *c = w->free_conns;
    if (c) {
        w->free_conns = c->next;
        w->n_free--;
    } else {
        c = mm_xcalloc(1, sizeof(*c));
        mm_buf_init(&c->in, IN_CAP);
        mm_buf_init(&c->out, OUT_CAP);
    }
    c->src.kind = SRC_CONN;
    c->fd = fd;
    c->w = w;
    mm_buf_reset(&c->in);
    mm_buf_reset(&c->out);
    c->in_off = c->out_off = 0;
    mm_http_parser_init(&c->parser);
    c->readable = c->closing = c->lingering = false;
    c->writable = true;
    c->list = LIST_NONE;
    c->prev = c->next = NULL;
    w->n_conns++;
    return c;
}

static void conn_close(struct conn *c)
{
    struct mm_worker *w = c->w;
    list_unlink(w, c);
    close(c->fd);
    atomic_fetch_sub(w->cfg.n_conns, 1);
    w->n_conns--;
    if (w->n_free < FREE_CONNS_MAX) {
        if (c->out.alloc > OUT_KEEP)
            mm_buf_cleanup(&c->out);
        c->next = w->free_conns;
        w->free_conns = c;
        w->n_free++;
        return;
    }
    mm_buf_cleanup(&c->in);
    mm_buf_cleanup(&c->out);
    free(c);
}

/* Sends pending output. -1 when the connection is broken. */
static int conn_flush(struct conn *c)
{
    while (pending(c)) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, pending(c), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->writable = false;
            return 0;
        }
        if (n < 0)
            return -1;
        c->out_off += (size_t)n;
    }
    mm_buf_reset(&c->out);
    c->out_off = 0;
    if (c->out.alloc > OUT_KEEP)
        mm_buf_cleanup(&c->out);
    return 0;
}

/*
 * Sends the response in w->head / w->body: straight from those buffers with
 * one sendmsg when nothing is queued before it and no pipelined request
 * follows; whatever is left (or everything) is queued. -1 when broken.
 */
static int respond(struct conn *c, const struct mm_http_response *res, bool with_body)
{
    struct mm_worker *w = c->w;
    mm_buf_reset(&w->head);
    if (mm_http_response_head(&w->head, res, w->date) != MM_OK)
        return -1;
    size_t hlen = w->head.len, blen = with_body ? w->body.len : 0, sent = 0;
    bool more = !c->closing && c->in_off < c->in.len;
    if (!pending(c) && !more && c->writable) {
        struct iovec iov[2] = {{w->head.data, hlen}, {w->body.data, blen}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        bool blocked = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        if (n < 0 && !blocked && errno != EINTR)
            return -1;
        c->writable = !blocked;
        sent = n < 0 ? 0 : (size_t)n;
    }
    mm_err e = MM_OK;
    if (sent < hlen)
        e = mm_buf_append(&c->out, w->head.data + sent, hlen - sent);
    if (!e && sent < hlen + blen) {
        size_t skip = sent > hlen ? sent - hlen : 0;
        e = mm_buf_append(&c->out, w->body.data + skip, blen - skip);
    }
    return e ? -1 : 0;
}

/* Answers a request head that cannot be parsed; the connection then closes. */
static void parse_error(struct conn *c, mm_err err, struct mm_http_response *res)
{
    struct mm_worker *w = c->w;
    mm_buf_reset(&w->body);
    mm_err e = mm_http_error_body(&w->body, err, c->parser.error);
    MM_ASSERT(e == MM_OK);
    *res = (struct mm_http_response){
        .status = mm_err_http_status(err), .minor = 1, .content_length = w->body.len};
}

/* Answers the complete requests buffered, in order. -1 when broken. */
static int conn_process(struct conn *c)
{
    struct mm_worker *w = c->w;
    while (!c->closing && pending(c) < OUT_HIGH && c->in_off < c->in.len) {
        struct mm_http_response res;
        size_t used;
        bool with_body = true;
        mm_err e = mm_http_parse(&c->parser, c->in.data + c->in_off, c->in.len - c->in_off, &w->req,
                                 &used);
        if (e) {
            parse_error(c, e, &res);
        } else if (used == 0) {
            break;
        } else {
            c->in_off += used;
            mm_http_parser_init(&c->parser);
            if (c->list == LIST_HEADER)
                list_unlink(w, c);
            mm_router_dispatch(w->cfg.router, &w->req, &w->view, &w->match, &w->body, &res);
            with_body = w->req.method != MM_HTTP_HEAD;
        }
        if (w->draining)
            res.keep_alive = false;
        c->closing = !res.keep_alive;
        if (respond(c, &res, with_body) != 0)
            return -1;
    }
    if (c->in_off == c->in.len) {
        mm_buf_reset(&c->in);
        c->in_off = 0;
    }
    return 0;
}

/* Reads once into the input buffer: 1 got bytes, 0 would block, -1 EOF or broken. */
static int conn_read(struct conn *c)
{
    struct mm_worker *w = c->w;
    if (c->in_off > 0) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    size_t room = c->in.max - c->in.len;
    MM_ASSERT(room > 0); /* the parser refuses heads longer than MM_HTTP_MAX_HEAD */
    ssize_t n = read(c->fd, w->rbuf, room < sizeof(w->rbuf) ? room : sizeof(w->rbuf));
    if (n > 0) {
        mm_err e = mm_buf_append(&c->in, w->rbuf, (size_t)n);
        MM_ASSERT(e == MM_OK);
        return 1;
    }
    if (n < 0 && errno == EINTR)
        return 1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->readable = false;
        return 0;
    }
    return -1;
}

/* Discards input after the write side was shut, so that closing does not
 * reset the connection before the peer has read the last response. */
static void conn_linger(struct conn *c)
{
    for (int i = 0; i < LINGER_READS; i++) {
        ssize_t n = read(c->fd, c->w->rbuf, sizeof(c->w->rbuf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            break;
    }
    conn_close(c);
}

static void conn_start_linger(struct conn *c)
{
    struct mm_worker *w = c->w;
    int linger_ms = w->cfg.idle_timeout_ms < LINGER_MS ? w->cfg.idle_timeout_ms : LINGER_MS;
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    list_push(w, c, LIST_IDLE, w->now + linger_ms);
    conn_linger(c);
}

static void conn_arm_timer(struct conn *c)
{
    struct mm_worker *w = c->w;
    if (!pending(c) && c->in_off < c->in.len) {
        if (c->list != LIST_HEADER)
            list_push(w, c, LIST_HEADER, w->now + w->cfg.header_timeout_ms);
    } else {
        list_push(w, c, LIST_IDLE, w->now + w->cfg.idle_timeout_ms);
    }
}

/* Asks epoll to report the connection again on the next round: re-arming
 * an edge-triggered fd that is still readable queues a new event. */
static void conn_yield(struct conn *c)
{
    struct epoll_event ev = {.events = CONN_EVENTS, .data.ptr = c};
    epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Makes the progress the connection's readiness allows, within a budget of
 * reads so that one busy pipelining client cannot starve the others. */
static void conn_run(struct conn *c)
{
    struct mm_worker *w = c->w;
    int reads = 0;
    if (c->lingering) {
        conn_linger(c);
        return;
    }
    for (;;) {
        if (pending(c)) {
            if (!c->writable)
                break;
            if (conn_flush(c) != 0)
                goto out_close;
            if (pending(c))
                break;
        }
        if (c->closing) {
            conn_start_linger(c);
            return;
        }
        if (conn_process(c) != 0)
            goto out_close;
        if (pending(c) || c->closing)
            continue;
        if (w->draining && c->in_off == c->in.len)
            goto out_close;
        if (!c->readable)
            break;
        if (++reads > READS_PER_RUN) {
            conn_yield(c);
            break;
        }
        if (conn_read(c) < 0)
            goto out_close;
    }
    conn_arm_timer(c);
    return;

out_close:
    conn_close(c);
}

static void on_conn_event(struct conn *c, uint32_t events)
{
    if (events & EPOLLERR) {
        conn_close(c);
        return;
    }
    if (events & EPOLLOUT)
        c->writable = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        c->readable = true;
    conn_run(c);
}

/* ------------------------------------------------------------------ loop */

/* Out of descriptors: accept and drop one connection with the spare
 * descriptor, so that the listening socket stops reporting it. */
static void shed_one(struct mm_worker *w)
{
    close(w->reserve_fd);
    int fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    mm_log_warn("out of file descriptors: dropped a new connection");
}

static void on_accept(struct mm_worker *w)
{
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            shed_one(w);
            break;
        }
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                mm_log_error("accept: %s", strerror(errno));
            break;
        }
        if (atomic_fetch_add(w->cfg.n_conns, 1) >= w->cfg.max_connections) {
            atomic_fetch_sub(w->cfg.n_conns, 1);
            close(fd);
            mm_log_debug("refused a connection: %d open (serve.max_connections)",
                         w->cfg.max_connections);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = conn_new(w, fd);
        struct epoll_event ev = {.events = CONN_EVENTS, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            mm_log_error("epoll_ctl: %s", strerror(errno));
            conn_close(c);
            continue;
        }
        list_push(w, c, LIST_IDLE, w->now + w->cfg.idle_timeout_ms);
    }
}

static void expire(struct mm_worker *w)
{
    for (int l = LIST_IDLE; l <= LIST_HEADER; l++) {
        while (w->lists[l].head && w->lists[l].head->deadline <= w->now)
            conn_close(w->lists[l].head);
    }
}

/* Closes the connections with nothing in flight; run after a round's events,
 * which may still refer to them. */
static void close_idle(struct mm_worker *w)
{
    struct conn *c = w->lists[LIST_IDLE].head;
    while (c) {
        struct conn *next = c->next;
        if (!pending(c) && !c->lingering && c->in_off == c->in.len)
            conn_close(c);
        c = next;
    }
}

/* Consumes a wake-up first, so that a stop or a switch signalled after it is
 * seen now or wakes the next epoll_wait, never lost in between. */
static void consume_wake(struct mm_worker *w, const struct epoll_event *events, int n)
{
    for (int i = 0; i < n; i++) {
        if (((struct source *)events[i].data.ptr)->kind == SRC_WAKE) {
            uint64_t count;
            ssize_t r = read(w->efd, &count, sizeof(count));
            (void)r; /* only the wake-up matters */
        }
    }
}

static void *worker_main(void *arg)
{
    struct mm_worker *w = arg;
    struct epoll_event events[MAX_EVENTS];
    do {
        int n = epoll_wait(w->epfd, events, MAX_EVENTS, next_timeout(w));
        MM_ASSERT(n >= 0 || errno == EINTR);
        tick(w);
        consume_wake(w, events, n);
        /* quiescent point: no request is in progress on this thread */
        mm_snap_view_refresh(&w->view);
        /* draining starts before this round's requests, so they are answered
         * with Connection: close */
        bool drain_now = !w->draining && atomic_load(w->cfg.stopping);
        if (drain_now) {
            w->draining = true;
            close(w->lfd);
            w->lfd = -1;
        }
        for (int i = 0; i < n; i++) {
            struct source *src = events[i].data.ptr;
            if (src->kind == SRC_LISTEN && w->lfd >= 0)
                on_accept(w);
            else if (src->kind == SRC_CONN)
                on_conn_event((struct conn *)src, events[i].events);
        }
        expire(w);
        if (drain_now)
            close_idle(w);
    } while (!w->draining || w->n_conns > 0);
    return NULL;
}

/* ------------------------------------------------------------- lifecycle */

mm_err mm_worker_new(const struct mm_worker_config *cfg, int listen_fd, struct mm_worker **out,
                     char err[MM_ERRLEN])
{
    struct mm_worker *w = mm_xcalloc(1, sizeof(*w));
    w->cfg = *cfg;
    w->lfd = listen_fd;
    w->listen_src.kind = SRC_LISTEN;
    w->wake_src.kind = SRC_WAKE;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    w->date_sec = -1;
    for (int l = LIST_IDLE; l <= LIST_HEADER; l++)
        w->lists[l] = (struct conn_list){NULL, NULL};
    mm_buf_init(&w->head, HEAD_CAP);
    mm_buf_init(&w->body, BODY_CAP);
    mm_snap_view_init(&w->view, cfg->holder);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &w->listen_src};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &w->wake_src};
    if (w->epfd < 0 || w->efd < 0 || w->reserve_fd < 0 ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &lev) < 0 ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->efd, &wev) < 0) {
        snprintf(err, MM_ERRLEN, "cannot set up a worker's event loop: %s", strerror(errno));
        mm_worker_free(w);
        return MM_EIO;
    }
    tick(w);
    *out = w;
    return MM_OK;
}

mm_err mm_worker_start(struct mm_worker *w)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        mm_log_error("cannot start a worker thread: %s", strerror(rc));
        return MM_EIO;
    }
    return MM_OK;
}

void mm_worker_wake(struct mm_worker *w)
{
    uint64_t one = 1;
    ssize_t r = write(w->efd, &one, sizeof(one));
    (void)r; /* a full counter already means "wake up" */
}

void mm_worker_join(struct mm_worker *w)
{
    pthread_join(w->thread, NULL);
}

void mm_worker_free(struct mm_worker *w)
{
    if (!w)
        return;
    for (int l = LIST_IDLE; l <= LIST_HEADER; l++) {
        while (w->lists[l].head)
            conn_close(w->lists[l].head);
    }
    while (w->free_conns) {
        struct conn *c = w->free_conns;
        w->free_conns = c->next;
        mm_buf_cleanup(&c->in);
        mm_buf_cleanup(&c->out);
        free(c);
    }
    int fds[] = {w->lfd, w->efd, w->epfd, w->reserve_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    mm_snap_view_cleanup(&w->view);
    mm_buf_cleanup(&w->head);
    mm_buf_cleanup(&w->body);
    free(w);
}
