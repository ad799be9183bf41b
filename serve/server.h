/*
 * server.h — the network side of moodmusic-serve: listening sockets, one
 * epoll loop per worker thread, HTTP/1.1 connections.
 *
 * Each of the N workers owns a listening socket bound to the same address
 * with SO_REUSEPORT (the kernel spreads new connections), an epoll instance,
 * an eventfd to be woken, and its connections: non-blocking, TCP_NODELAY,
 * edge-triggered. A connection has a capped input buffer (one request head at
 * most, see http.h) and a capped output buffer; requests are answered in
 * order (pipelining), a response goes out with one sendmsg of head + body,
 * and what the socket does not take waits for EPOLLOUT — meanwhile no further
 * request of that connection is read (back-pressure).
 *
 * Timeouts, one list per kind and worker (deadlines are appended in order,
 * so the oldest is first): a connection with part of a request buffered is
 * closed header_timeout_ms after that request's first byte; any other
 * connection (new, between requests, or waiting for the peer to read) is
 * closed after idle_timeout_ms without progress. max_connections counts the
 * whole process: a connection past it is accepted and closed at once.
 *
 * Shutdown (mm_server_stop): each worker closes its listening socket, closes
 * idle connections, lets the others finish the request they are in (their
 * response carries Connection: close), and exits when none is left.
 *
 * Between events each worker passes a quiescent point of the snapshot holder
 * (mm_snap_view_refresh); mm_server_wake() makes idle workers pass it at once
 * and is meant as the holder's notify callback.
 *
 * Does not: parse HTTP (http.h), route (router.h), or own the snapshot.
 * Thread safety: open/start/wait/close from one controlling thread;
 * mm_server_stop() and mm_server_wake() from any thread, and are
 * async-signal-safe.
 * Ownership: the server borrows the router and the holder until
 * mm_server_close(), which also cleans up the workers' snapshot views — so
 * stop the holder's watcher before it (snap_holder.h).
 */
#ifndef MM_SERVER_H
#define MM_SERVER_H

#include "common/err.h"
#include "serve/router.h"
#include "serve/snap_holder.h"

struct mm_server_options {
    const char *listen;  /* "ADDR:PORT", "[v6]:PORT"; port 0 picks a free one */
    int threads;         /* workers, >= 1 */
    int max_connections; /* open connections, whole process */
    int idle_timeout_ms;
    int header_timeout_ms;
};

struct mm_server;

/*
 * Binds opt->threads listening sockets and takes one holder view per worker
 * (the holder must allow that many). MM_EINVAL when opt->listen is
 * malformed or does not resolve, MM_EIO when a socket cannot be bound or
 * listened on; `err` names the address and the system's reason. Caller
 * closes with mm_server_close().
 */
MM_MUST_CHECK mm_err mm_server_open(const struct mm_server_options *opt,
                                    const struct mm_router *router, struct mm_snap_holder *holder,
                                    struct mm_server **out, char err[MM_ERRLEN]);
/* The bound address with the real port, "127.0.0.1:8080" or "[::1]:8080";
 * borrowed until mm_server_close(). */
const char *mm_server_address(const struct mm_server *s);

/* Starts the worker threads. MM_EIO when one cannot start (those started
 * are stopped and joined). */
MM_MUST_CHECK mm_err mm_server_start(struct mm_server *s);
/* Asks every worker to drain and exit; returns at once. */
void mm_server_stop(struct mm_server *s);
/* Joins the workers (after mm_server_stop, or they run forever). */
void mm_server_wait(struct mm_server *s);
/* Closes the sockets, cleans up the views and frees. Accepts NULL. */
void mm_server_close(struct mm_server *s);

/* Wakes every worker so it passes a quiescent point; `server` is a struct
 * mm_server *. */
void mm_server_wake(void *server);

#endif
