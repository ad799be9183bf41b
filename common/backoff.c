/*
 * backoff.c — jittered exponential waits and Retry-After parsing.
 *
 * HTTP-dates are parsed by curl_getdate(), which knows the three forms of
 * RFC 9110 §5.6.7; delta-seconds are parsed here so that a bare number is
 * never mistaken for a date.
 */
#include "common/backoff.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define MAX_HINT_S 1000000000ULL /* saturation point of parsed hints, ~31 years */

uint64_t mm_backoff_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t mm_backoff_ceiling_ms(const struct mm_backoff *b, int retry)
{
    uint64_t ceiling = b->max_wait_ms;
    MM_ASSERT(retry >= 1 && b->min_wait_ms >= 1 && b->min_wait_ms <= b->max_wait_ms);
    if (retry < 63 && b->min_wait_ms <= (b->max_wait_ms >> retry))
        ceiling = b->min_wait_ms << retry;
    return ceiling;
}

uint64_t mm_backoff_wait_ms(const struct mm_backoff *b, int retry, uint64_t *rng)
{
    uint64_t span = mm_backoff_ceiling_ms(b, retry) - b->min_wait_ms;
    /* Modulo bias is below 2^-40 for any span a wait in milliseconds can have. */
    return b->min_wait_ms + mm_backoff_random(rng) % (span + 1);
}

enum mm_backoff_step mm_backoff_next(const struct mm_backoff *b, int attempts_done, int64_t hint_ms,
                                     uint64_t *rng, uint64_t *wait_ms)
{
    enum mm_backoff_step step = MM_BACKOFF_RETRY;
    *wait_ms = 0;
    if (attempts_done >= b->max_attempts)
        step = MM_BACKOFF_GIVE_UP;
    else if (hint_ms >= 0 && (uint64_t)hint_ms > b->max_wait_ms)
        step = MM_BACKOFF_HINT_TOO_LONG;
    else if (hint_ms >= 0)
        *wait_ms = (uint64_t)hint_ms;
    else
        *wait_ms = mm_backoff_wait_ms(b, attempts_done, rng);
    return step;
}

/* Parses a run of ASCII digits (the whole of s) with saturation. */
static bool parse_seconds(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    bool ok = len > 0;
    for (size_t i = 0; ok && i < len; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        if (ok && v < MAX_HINT_S)
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v < MAX_HINT_S ? v : MAX_HINT_S;
    return ok;
}

mm_err mm_backoff_parse_retry_after(const char *value, int64_t now_s, uint64_t *wait_ms)
{
    mm_err err = MM_OK;
    uint64_t seconds = 0;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strlen(value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    if (len > 0 && value[0] >= '0' && value[0] <= '9') {
        if (!parse_seconds(value, len, &seconds))
            err = MM_EPARSE;
    } else {
        time_t when = len > 0 ? curl_getdate(value, NULL) : -1;
        if (when < 0)
            err = MM_EPARSE;
        else if ((int64_t)when > now_s)
            seconds = (uint64_t)((int64_t)when - now_s);
        if (seconds > MAX_HINT_S)
            seconds = MAX_HINT_S;
    }
    *wait_ms = err ? 0 : seconds * 1000;
    return err;
}
