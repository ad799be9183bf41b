/* Tests for common/backoff.c: the exponential ceiling, jitter bounds and
 * spread, max wait, attempts, server hints overriding the backoff, and
 * Retry-After parsing (delta-seconds and the three HTTP-date forms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/backoff.h"

/* 2015-10-21T07:28:00Z, the Retry-After example of MDN. */
#define NOW_S 1445412480

static const struct mm_backoff policy = {
    .max_attempts = 5, .min_wait_ms = 100, .max_wait_ms = 1000};

static void test_ceiling_doubles_until_max(void **state)
{
    (void)state;
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 1), 200);
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 2), 400);
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 3), 800);
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 4), 1000);
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 62), 1000);
    assert_int_equal(mm_backoff_ceiling_ms(&policy, 100), 1000);
    struct mm_backoff huge = {3, UINT64_MAX / 2, UINT64_MAX};
    assert_int_equal(mm_backoff_ceiling_ms(&huge, 1), UINT64_MAX - 1);
    assert_int_equal(mm_backoff_ceiling_ms(&huge, 2), UINT64_MAX);
}

/* Every wait lies in [min, ceiling] and the draws cover the whole window. */
static void test_jitter_bounds_and_spread(void **state)
{
    (void)state;
    uint64_t rng = 42;
    for (int retry = 1; retry <= 6; retry++) {
        uint64_t lo = UINT64_MAX, hi = 0, ceiling = mm_backoff_ceiling_ms(&policy, retry);
        for (int i = 0; i < 20000; i++) {
            uint64_t w = mm_backoff_wait_ms(&policy, retry, &rng);
            assert_true(w >= policy.min_wait_ms && w <= ceiling);
            lo = w < lo ? w : lo;
            hi = w > hi ? w : hi;
        }
        assert_true(lo <= policy.min_wait_ms + (ceiling - policy.min_wait_ms) / 50);
        assert_true(hi >= ceiling - (ceiling - policy.min_wait_ms) / 50);
    }
}

static void test_jitter_is_seeded(void **state)
{
    (void)state;
    uint64_t a = 7, b = 7, c = 8;
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t wa = mm_backoff_wait_ms(&policy, 3, &a);
        assert_int_equal(wa, mm_backoff_wait_ms(&policy, 3, &b));
        differ += wa != mm_backoff_wait_ms(&policy, 3, &c);
    }
    assert_true(differ > 50);
}

static void test_next_gives_up_after_max_attempts(void **state)
{
    (void)state;
    uint64_t rng = 1, wait = 99;
    for (int done = 1; done < policy.max_attempts; done++) {
        assert_int_equal(mm_backoff_next(&policy, done, -1, &rng, &wait), MM_BACKOFF_RETRY);
        assert_true(wait >= 100 && wait <= mm_backoff_ceiling_ms(&policy, done));
    }
    assert_int_equal(mm_backoff_next(&policy, 5, -1, &rng, &wait), MM_BACKOFF_GIVE_UP);
    assert_int_equal(wait, 0);
    assert_int_equal(mm_backoff_next(&policy, 5, 10, &rng, &wait), MM_BACKOFF_GIVE_UP);
}

/* A hint replaces the jitter exactly, below min_wait too; past max_wait it ends the retries. */
static void test_hint_overrides_backoff(void **state)
{
    (void)state;
    uint64_t rng = 1, wait = 0;
    assert_int_equal(mm_backoff_next(&policy, 1, 750, &rng, &wait), MM_BACKOFF_RETRY);
    assert_int_equal(wait, 750);
    assert_int_equal(mm_backoff_next(&policy, 4, 0, &rng, &wait), MM_BACKOFF_RETRY);
    assert_int_equal(wait, 0);
    assert_int_equal(mm_backoff_next(&policy, 1, 1000, &rng, &wait), MM_BACKOFF_RETRY);
    assert_int_equal(wait, 1000);
    assert_int_equal(mm_backoff_next(&policy, 1, 1001, &rng, &wait), MM_BACKOFF_HINT_TOO_LONG);
    assert_int_equal(wait, 0);
}

static void test_retry_after_seconds(void **state)
{
    (void)state;
    uint64_t ms = 1;
    assert_int_equal(mm_backoff_parse_retry_after("120", NOW_S, &ms), MM_OK);
    assert_int_equal(ms, 120000);
    assert_int_equal(mm_backoff_parse_retry_after(" 0 ", NOW_S, &ms), MM_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(mm_backoff_parse_retry_after("99999999999999999999", NOW_S, &ms), MM_OK);
    assert_int_equal(ms, 1000000000ULL * 1000);
}

static void test_retry_after_dates(void **state)
{
    (void)state;
    uint64_t ms = 0;
    assert_int_equal(mm_backoff_parse_retry_after("Wed, 21 Oct 2015 07:28:32 GMT", NOW_S, &ms),
                     MM_OK);
    assert_int_equal(ms, 32000);
    assert_int_equal(mm_backoff_parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", NOW_S, &ms),
                     MM_OK);
    assert_int_equal(ms, 60000);
    assert_int_equal(mm_backoff_parse_retry_after("Wed Oct 21 07:28:05 2015", NOW_S, &ms), MM_OK);
    assert_int_equal(ms, 5000);
    assert_int_equal(mm_backoff_parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", NOW_S, &ms),
                     MM_OK);
    assert_int_equal(ms, 0);
}

static void test_retry_after_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"", "  ", "-5", "12s", "1.5", "soon", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ms = 77;
        assert_int_equal(mm_backoff_parse_retry_after(bad[i], NOW_S, &ms), MM_EPARSE);
        assert_int_equal(ms, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_doubles_until_max),
        cmocka_unit_test(test_jitter_bounds_and_spread),
        cmocka_unit_test(test_jitter_is_seeded),
        cmocka_unit_test(test_next_gives_up_after_max_attempts),
        cmocka_unit_test(test_hint_overrides_backoff),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_dates),
        cmocka_unit_test(test_retry_after_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
