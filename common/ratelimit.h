/*
 * ratelimit.h — token buckets for outbound requests, and the rules that size them.
 *
 * A bucket holds up to `burst` tokens and gains `rate` tokens per second; a
 * request spends one. When none is left the caller is told how long to wait
 * and queues the request until then (the HTTP client waits in its event loop,
 * never in a busy loop). A bucket can also be paused until a given time, when
 * the server itself asked to slow down (429, 503 with Retry-After).
 *
 * Rules are matched by exact key, case-insensitively: the HTTP client keys
 * them by the URL's host name (or the request's rate key), e.g.
 * {"musicbrainz.org", 1.0, 1.0} for MusicBrainz's 1 request/s.
 *
 * Time is whatever monotonic millisecond clock the caller passes in, so tests
 * drive it by hand.
 *
 * Does not: sleep, keep a clock, or own the table of buckets (http.c does).
 * Thread safety: a bucket belongs to one thread; rules are read-only.
 */
#ifndef MM_RATELIMIT_H
#define MM_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct mm_ratelimit_rule {
    const char *key; /* host name (or rate key) the rule applies to */
    double rate;     /* tokens per second; 0 means unlimited */
    double burst;    /* bucket size (>= 1 when rate > 0): requests allowed at once */
};

struct mm_token_bucket {
    double rate;              /* tokens per second; 0: unlimited */
    double burst;             /* capacity */
    double tokens;            /* available now (as of last_ms) */
    uint64_t last_ms;         /* time of the last refill */
    uint64_t paused_until_ms; /* no token is given before this time */
};

/* Checks a rule: MM_EINVAL (with `err` naming the field, `err` may be NULL)
 * for a negative or non-finite rate, a burst below 1 with a rate, an empty key. */
MM_MUST_CHECK mm_err mm_ratelimit_rule_check(const struct mm_ratelimit_rule *rule,
                                             char err[MM_ERRLEN]);

/* The rule for `key` among rules[0..n), or NULL. Borrowed from `rules`. */
const struct mm_ratelimit_rule *mm_ratelimit_rule_find(const struct mm_ratelimit_rule *rules,
                                                       size_t n, const char *key);

/* A full bucket at `now_ms`. */
void mm_ratelimit_init(struct mm_token_bucket *b, double rate, double burst, uint64_t now_ms);

/* Spends one token at now_ms and returns 0, or, when none is available,
 * spends nothing and returns the milliseconds until one will be (>= 1). */
uint64_t mm_ratelimit_take(struct mm_token_bucket *b, uint64_t now_ms);

/* Gives no token before until_ms (an earlier pause is never shortened). */
void mm_ratelimit_pause(struct mm_token_bucket *b, uint64_t until_ms);

#endif
