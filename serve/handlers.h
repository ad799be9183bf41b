/*
 * handlers.h — the endpoints of moodmusic-serve (DESIGN §6, docs/http-api.md).
 *
 * mm_handlers_routes is the route table the server compiles with
 * mm_router_new(); each row names a static struct mm_handler in handlers.c.
 * Handlers read the snapshot through the worker's view (snap_holder.h) and
 * answer JSON; they never block, allocate only inside the response body
 * buffer, and log only unexpected failures ("not found" is a result).
 *
 * Does not: parse HTTP, route, or write sockets.
 * Thread safety: handlers are pure functions of their context; the table is
 * immutable.
 */
#ifndef MM_HANDLERS_H
#define MM_HANDLERS_H

#include <stddef.h>

#include "serve/router.h"

extern const struct mm_route mm_handlers_routes[];
extern const size_t mm_handlers_n_routes;

#endif
