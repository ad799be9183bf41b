/*
 * ratelimit.c — token bucket arithmetic and rule lookup.
 *
 * Tokens are fractional so that slow rates (0.5/s) refill smoothly; a wait is
 * rounded up to the millisecond, and a token counts as available within a
 * tiny epsilon so that the rounding never asks for a second 1 ms wait.
 */
#include "common/ratelimit.h"

#include <math.h>
#include <stdio.h>
#include <strings.h>

#define TOKEN_EPSILON 1e-9

mm_err mm_ratelimit_rule_check(const struct mm_ratelimit_rule *rule, char err[MM_ERRLEN])
{
    mm_err ret = MM_OK;
    const char *what = NULL;
    if (!rule->key || !rule->key[0])
        what = "key: expected a non-empty host name";
    else if (!isfinite(rule->rate) || rule->rate < 0)
        what = "rate: expected a number of requests per second >= 0";
    else if (rule->rate > 0 && (!isfinite(rule->burst) || rule->burst < 1))
        what = "burst: expected a number >= 1";
    if (what) {
        ret = MM_EINVAL;
        if (err)
            snprintf(err, MM_ERRLEN, "rate rule %s: %s", rule->key ? rule->key : "(null)", what);
    }
    return ret;
}

const struct mm_ratelimit_rule *mm_ratelimit_rule_find(const struct mm_ratelimit_rule *rules,
                                                       size_t n, const char *key)
{
    const struct mm_ratelimit_rule *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        if (strcasecmp(rules[i].key, key) == 0)
            found = &rules[i];
    }
    return found;
}

void mm_ratelimit_init(struct mm_token_bucket *b, double rate, double burst, uint64_t now_ms)
{
    b->rate = rate;
    b->burst = rate > 0 ? burst : 0;
    b->tokens = b->burst;
    b->last_ms = now_ms;
    b->paused_until_ms = 0;
}

uint64_t mm_ratelimit_take(struct mm_token_bucket *b, uint64_t now_ms)
{
    uint64_t wait = 0;
    if (now_ms < b->paused_until_ms) {
        wait = b->paused_until_ms - now_ms;
    } else if (b->rate > 0) {
        if (now_ms > b->last_ms) {
            b->tokens = fmin(b->burst, b->tokens + (double)(now_ms - b->last_ms) * b->rate / 1000);
            b->last_ms = now_ms;
        }
        if (b->tokens >= 1 - TOKEN_EPSILON) {
            b->tokens -= 1;
        } else {
            wait = (uint64_t)ceil((1 - b->tokens) * 1000 / b->rate);
            wait = wait ? wait : 1;
        }
    }
    return wait;
}

void mm_ratelimit_pause(struct mm_token_bucket *b, uint64_t until_ms)
{
    if (until_ms > b->paused_until_ms)
        b->paused_until_ms = until_ms;
}
