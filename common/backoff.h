/*
 * backoff.h — retry waits: exponential backoff with full jitter, server hints.
 *
 * The policy of the outbound HTTP client (http.h), kept apart so that it can
 * be tested with a seeded generator and fixed clocks:
 *
 *   retry n (n = 1 after the first attempt) waits a uniform random time in
 *   [min_wait, ceiling(n)], ceiling(n) = min(max_wait, min_wait * 2^n).
 *
 * A server hint (Retry-After, or a delay found in an error body) replaces the
 * computed wait exactly, even below min_wait; a hint above max_wait is not
 * waited out: the request gives up (waiting longer than allowed would only
 * spend another attempt on a quota that is still exhausted).
 *
 * Does not: sleep, keep time, or know about HTTP beyond parsing Retry-After.
 * Thread safety: pure functions; a generator state belongs to one thread.
 */
#ifndef MM_BACKOFF_H
#define MM_BACKOFF_H

#include <stdint.h>

#include "common/err.h"

struct mm_backoff {
    int max_attempts;     /* attempts in all, the first one included (>= 1) */
    uint64_t min_wait_ms; /* lower bound and base of the computed waits (>= 1) */
    uint64_t max_wait_ms; /* upper bound of the computed waits; longest hint waited (>= min) */
};

enum mm_backoff_step {
    MM_BACKOFF_RETRY,         /* wait *wait_ms, then try again */
    MM_BACKOFF_GIVE_UP,       /* max_attempts reached */
    MM_BACKOFF_HINT_TOO_LONG, /* the server asks for a wait longer than max_wait */
};

/* Next value of a splitmix64 generator whose state is *state (any seed). */
uint64_t mm_backoff_random(uint64_t *state);

/* ceiling(retry) of the policy above; retry >= 1. */
uint64_t mm_backoff_ceiling_ms(const struct mm_backoff *b, int retry);

/* A jittered wait in [min_wait, ceiling(retry)], drawn from *rng. */
uint64_t mm_backoff_wait_ms(const struct mm_backoff *b, int retry, uint64_t *rng);

/*
 * What to do after `attempts_done` failed attempts (>= 1). `hint_ms` is the
 * server's wait, or -1 when it gave none. On MM_BACKOFF_RETRY, *wait_ms is the
 * hint when there is one, else a jittered wait; otherwise *wait_ms is 0.
 */
enum mm_backoff_step mm_backoff_next(const struct mm_backoff *b, int attempts_done, int64_t hint_ms,
                                     uint64_t *rng, uint64_t *wait_ms);

/*
 * Parses a Retry-After value: delta-seconds ("120") or an HTTP-date (IMF
 * fixdate, RFC 850 or asctime form), relative to `now_s` (seconds since the
 * epoch). A date in the past gives 0; huge values saturate at about 31
 * years. MM_EPARSE for anything else, negative numbers included.
 */
MM_MUST_CHECK mm_err mm_backoff_parse_retry_after(const char *value, int64_t now_s,
                                                  uint64_t *wait_ms);

#endif
