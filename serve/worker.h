/*
 * worker.h — one worker of moodmusic-serve: an epoll loop over its own
 * listening socket and the connections it accepted (internal to serve/,
 * used by server.c; server.h describes the behaviour).
 *
 * Does not: bind sockets or decide their number (server.c).
 * Thread safety: a worker runs on its own thread; mm_worker_wake() may be
 * called from any thread or signal handler, the rest from the controlling
 * thread while the worker is not running.
 * Ownership: a worker owns its listening socket from mm_worker_new() on.
 */
#ifndef MM_WORKER_H
#define MM_WORKER_H

#include <stdatomic.h>

#include "common/err.h"
#include "serve/router.h"
#include "serve/snap_holder.h"

struct mm_worker_config {
    const struct mm_router *router; /* borrowed */
    struct mm_snap_holder *holder;  /* borrowed; the worker takes one view */
    atomic_bool *stopping;          /* shared: true asks every worker to drain */
    atomic_int *n_conns;            /* shared: open connections of the process */
    int max_connections;
    int idle_timeout_ms;
    int header_timeout_ms;
};

struct mm_worker;

/* Creates a worker around listening socket `listen_fd` (closed on failure
 * too). MM_EIO when its epoll or eventfd cannot be created (`err` says so).
 * Caller frees with mm_worker_free(). */
MM_MUST_CHECK mm_err mm_worker_new(const struct mm_worker_config *cfg, int listen_fd,
                                   struct mm_worker **out, char err[MM_ERRLEN]);
/* Starts its thread. MM_EIO when it cannot start. */
MM_MUST_CHECK mm_err mm_worker_start(struct mm_worker *w);
/* Makes the worker's loop come round (quiescent point, stop check). */
void mm_worker_wake(struct mm_worker *w);
/* Waits until the worker has drained and exited (after *stopping is set). */
void mm_worker_join(struct mm_worker *w);
/* Closes its sockets, cleans up its snapshot view, frees. Accepts NULL. */
void mm_worker_free(struct mm_worker *w);

#endif
