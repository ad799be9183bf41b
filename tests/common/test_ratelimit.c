/* Tests for common/ratelimit.c with a hand-driven clock: token bucket
 * refill and burst, 1 request/s over N requests, fractional rates, pauses,
 * unlimited buckets, rule lookup and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/ratelimit.h"

#define T0 1000000 /* an arbitrary start: clocks do not start at 0 */

/* Plays n requests as a queue would: each one waits exactly what take() says. */
static uint64_t play(struct mm_token_bucket *b, uint64_t now, int n, uint64_t *starts)
{
    for (int i = 0; i < n; i++) {
        uint64_t wait;
        while ((wait = mm_ratelimit_take(b, now)) != 0)
            now += wait;
        starts[i] = now;
    }
    return now;
}

static void test_one_per_second_over_n_requests(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    uint64_t starts[10];
    mm_ratelimit_init(&b, 1.0, 1.0, T0);
    play(&b, T0, 10, starts);
    assert_int_equal(starts[0], T0);
    for (int i = 1; i < 10; i++)
        assert_int_equal(starts[i] - starts[i - 1], 1000);
}

static void test_burst_then_rate(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    uint64_t starts[8];
    mm_ratelimit_init(&b, 5.0, 3.0, T0);
    play(&b, T0, 8, starts);
    for (int i = 0; i < 3; i++)
        assert_int_equal(starts[i], T0);
    for (int i = 3; i < 8; i++)
        assert_int_equal(starts[i] - starts[i - 1], 200);
}

static void test_refill_is_capped_at_burst(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    mm_ratelimit_init(&b, 2.0, 2.0, T0);
    assert_int_equal(mm_ratelimit_take(&b, T0), 0);
    assert_int_equal(mm_ratelimit_take(&b, T0), 0);
    assert_int_equal(mm_ratelimit_take(&b, T0), 500);
    /* An hour idle gives back 2 tokens, not 7200. */
    uint64_t later = T0 + 3600 * 1000;
    assert_int_equal(mm_ratelimit_take(&b, later), 0);
    assert_int_equal(mm_ratelimit_take(&b, later), 0);
    assert_int_equal(mm_ratelimit_take(&b, later), 500);
    /* A partial refill shortens the wait accordingly. */
    assert_int_equal(mm_ratelimit_take(&b, later + 300), 200);
    assert_int_equal(mm_ratelimit_take(&b, later + 500), 0);
}

static void test_slow_fractional_rate(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    uint64_t starts[4];
    mm_ratelimit_init(&b, 0.3, 1.0, T0);
    play(&b, T0, 4, starts);
    for (int i = 1; i < 4; i++) {
        uint64_t gap = starts[i] - starts[i - 1];
        assert_true(gap >= 3333 && gap <= 3334);
    }
    /* A failed take spends nothing. */
    struct mm_token_bucket c;
    mm_ratelimit_init(&c, 1.0, 1.0, T0);
    assert_int_equal(mm_ratelimit_take(&c, T0), 0);
    assert_int_equal(mm_ratelimit_take(&c, T0 + 1), 999);
    assert_int_equal(mm_ratelimit_take(&c, T0 + 1), 999);
    assert_true(fabs(c.tokens - 0.001) < 1e-9);
}

static void test_pause_blocks_then_releases(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    mm_ratelimit_init(&b, 10.0, 5.0, T0);
    mm_ratelimit_pause(&b, T0 + 3000);
    assert_int_equal(mm_ratelimit_take(&b, T0), 3000);
    assert_int_equal(mm_ratelimit_take(&b, T0 + 2999), 1);
    mm_ratelimit_pause(&b, T0 + 1000); /* never shortens */
    assert_int_equal(mm_ratelimit_take(&b, T0 + 2000), 1000);
    assert_int_equal(mm_ratelimit_take(&b, T0 + 3000), 0);
}

static void test_unlimited_bucket(void **state)
{
    (void)state;
    struct mm_token_bucket b;
    mm_ratelimit_init(&b, 0, 1, T0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mm_ratelimit_take(&b, T0), 0);
    mm_ratelimit_pause(&b, T0 + 50);
    assert_int_equal(mm_ratelimit_take(&b, T0 + 10), 40);
    assert_int_equal(mm_ratelimit_take(&b, T0 + 50), 0);
}

static void test_rules(void **state)
{
    (void)state;
    const struct mm_ratelimit_rule rules[] = {{"musicbrainz.org", 1, 1},
                                              {"ws.audioscrobbler.com", 5, 5}};
    const struct mm_ratelimit_rule *r = mm_ratelimit_rule_find(rules, 2, "MusicBrainz.org");
    assert_ptr_equal(r, &rules[0]);
    assert_ptr_equal(mm_ratelimit_rule_find(rules, 2, "ws.audioscrobbler.com"), &rules[1]);
    assert_null(mm_ratelimit_rule_find(rules, 2, "musicbrainz.org.evil"));
    assert_null(mm_ratelimit_rule_find(rules, 0, "musicbrainz.org"));

    char err[MM_ERRLEN];
    assert_int_equal(mm_ratelimit_rule_check(&rules[0], err), MM_OK);
    const struct mm_ratelimit_rule unlimited = {"x", 0, 0};
    assert_int_equal(mm_ratelimit_rule_check(&unlimited, err), MM_OK);
    const struct mm_ratelimit_rule bad[] = {{"", 1, 1},    {NULL, 1, 1},  {"a", -1, 1},
                                            {"a", NAN, 1}, {"a", 1, 0.5}, {"a", 1, INFINITY}};
    const char *field[] = {"key", "key", "rate", "rate", "burst", "burst"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(mm_ratelimit_rule_check(&bad[i], err), MM_EINVAL);
        assert_non_null(strstr(err, field[i]));
    }
    assert_int_equal(mm_ratelimit_rule_check(&bad[2], NULL), MM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_per_second_over_n_requests),
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_refill_is_capped_at_burst),
        cmocka_unit_test(test_slow_fractional_rate),
        cmocka_unit_test(test_pause_blocks_then_releases),
        cmocka_unit_test(test_unlimited_bucket),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
