/* Tests of pipeline/enrich_record.c: mention keys, and the mention and
 * resolution records — round trips, what the encoders refuse, and the
 * decoders on corrupt bytes and newer versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <msgpack.h>
#include <string.h>

#include "pipeline/enrich.h"

static void test_keys(void **state)
{
    (void)state;
    struct mm_buf a, b;
    mm_buf_init(&a, MM_MENTION_KEY_MAX);
    mm_buf_init(&b, MM_MENTION_KEY_MAX);
    assert_int_equal(mm_enrich_mention_key("Aruarian Dance", "Nujabes", &a), MM_OK);
    assert_string_equal(a.data, "nujabes\x1f"
                                "aruarian dance");
    assert_int_equal(mm_enrich_mention_key("ARUARIAN DANCE (Remastered)", "nujabes", &b), MM_OK);
    assert_string_equal(a.data, b.data);
    mm_buf_reset(&a);
    assert_int_equal(mm_enrich_mention_key("Yesterday", NULL, &a), MM_OK);
    assert_string_equal(a.data, "\x1fyesterday");
    mm_buf_reset(&a);
    assert_int_equal(mm_enrich_mention_key("???", "Someone", &a), MM_OK);
    assert_string_equal(a.data, "someone\x1f");

    /* Too long for the cap: MM_ETOOBIG, the buffer as it was. */
    char title[600];
    memset(title, 'x', sizeof(title) - 1);
    title[sizeof(title) - 1] = '\0';
    mm_buf_reset(&a);
    assert_int_equal(mm_buf_appends(&a, "kept"), MM_OK);
    assert_int_equal(mm_enrich_mention_key(title, "A", &a), MM_ETOOBIG);
    assert_string_equal(a.data, "kept");

    mm_buf_reset(&b);
    assert_int_equal(mm_enrich_resolution_key(MM_SOURCE_LASTFM,
                                              "ab\x1f"
                                              "cd",
                                              5, &b),
                     MM_OK);
    assert_int_equal(b.len, 6);
    assert_int_equal(b.data[0], MM_SOURCE_LASTFM);
    assert_memory_equal(b.data + 1,
                        "ab\x1f"
                        "cd",
                        5);
    mm_buf_cleanup(&a);
    mm_buf_cleanup(&b);
}

static void test_mention_round_trip(void **state)
{
    (void)state;
    struct mm_mention_record m = {.title = "Aruarian Dance",
                                  .artist = "Nujabes",
                                  .songs = 3,
                                  .counted_run = "r7",
                                  .status = MM_MENTION_RESOLVED,
                                  .track = "isrc:GBG170473357",
                                  .source = MM_SOURCE_MUSICBRAINZ,
                                  .score = 97.5,
                                  .attempts = 4,
                                  .last_run = "r7"};
    m.providers[MM_SOURCE_SPOTIFY] =
        (struct mm_mention_outcome){MM_OUTCOME_NOT_FOUND, "best scored 42 < 80", 1700000000000001};
    m.providers[MM_SOURCE_MUSICBRAINZ] =
        (struct mm_mention_outcome){MM_OUTCOME_FOUND, NULL, 1700000000000002};
    struct mm_buf b;
    struct mm_arena a;
    struct mm_mention_record d;
    mm_buf_init(&b, 1 << 16);
    mm_arena_init(&a, 4096);
    assert_int_equal(mm_enrich_mention_encode(&m, &b), MM_OK);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &d), MM_OK);
    assert_string_equal(d.title, "Aruarian Dance");
    assert_string_equal(d.artist, "Nujabes");
    assert_int_equal(d.songs, 3);
    assert_string_equal(d.counted_run, "r7");
    assert_int_equal(d.status, MM_MENTION_RESOLVED);
    assert_string_equal(d.track, "isrc:GBG170473357");
    assert_int_equal(d.source, MM_SOURCE_MUSICBRAINZ);
    assert_true(d.score == 97.5);
    assert_int_equal(d.attempts, 4);
    assert_string_equal(d.last_run, "r7");
    assert_int_equal(d.providers[MM_SOURCE_SPOTIFY].outcome, MM_OUTCOME_NOT_FOUND);
    assert_string_equal(d.providers[MM_SOURCE_SPOTIFY].reason, "best scored 42 < 80");
    assert_int_equal(d.providers[MM_SOURCE_SPOTIFY].at_us, 1700000000000001);
    assert_int_equal(d.providers[MM_SOURCE_MUSICBRAINZ].outcome, MM_OUTCOME_FOUND);
    assert_null(d.providers[MM_SOURCE_MUSICBRAINZ].reason);
    assert_int_equal(d.providers[MM_SOURCE_LASTFM].outcome, MM_OUTCOME_NONE);
    assert_int_equal(d.providers[MM_SOURCE_ITUNES].outcome, MM_OUTCOME_NONE);

    /* A pending mention has no track, whatever the struct holds. */
    mm_buf_reset(&b);
    m.status = MM_MENTION_PENDING;
    m.artist = NULL;
    m.last_run = NULL;
    assert_int_equal(mm_enrich_mention_encode(&m, &b), MM_OK);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &d), MM_OK);
    assert_int_equal(d.status, MM_MENTION_PENDING);
    assert_null(d.track);
    assert_null(d.artist);
    assert_null(d.last_run);
    assert_string_equal(mm_mention_status_name(d.status), "pending");
    assert_string_equal(mm_outcome_name(MM_OUTCOME_NOT_FOUND), "not_found");

    /* Refused: no title; resolved without a track. The buffer stays. */
    mm_buf_reset(&b);
    m.title = NULL;
    assert_int_equal(mm_enrich_mention_encode(&m, &b), MM_EINVAL);
    m.title = "T";
    m.status = MM_MENTION_RESOLVED;
    m.track = NULL;
    assert_int_equal(mm_enrich_mention_encode(&m, &b), MM_EINVAL);
    assert_int_equal(b.len, 0);
    /* A cap too small: MM_ETOOBIG. */
    struct mm_buf tiny;
    mm_buf_init(&tiny, 8);
    m.track = "k";
    assert_int_equal(mm_enrich_mention_encode(&m, &tiny), MM_ETOOBIG);
    assert_int_equal(tiny.len, 0);
    mm_buf_cleanup(&tiny);
    mm_buf_cleanup(&b);
    mm_arena_cleanup(&a);
}

static void test_resolution_round_trip(void **state)
{
    (void)state;
    struct mm_resolution found = {
        .found = true, .track = "spotify:abc", .score = 91, .fetched_at_us = 1700000000123456};
    struct mm_resolution missing = {.reason = "no candidate", .fetched_at_us = 5};
    struct mm_buf b;
    struct mm_arena a;
    struct mm_resolution d;
    mm_buf_init(&b, 1 << 16);
    mm_arena_init(&a, 4096);
    assert_int_equal(mm_enrich_resolution_encode(&found, &b), MM_OK);
    assert_int_equal(mm_enrich_resolution_decode(b.data, b.len, &a, &d), MM_OK);
    assert_true(d.found);
    assert_string_equal(d.track, "spotify:abc");
    assert_true(d.score == 91);
    assert_int_equal(d.fetched_at_us, 1700000000123456);
    assert_null(d.reason);
    mm_buf_reset(&b);
    assert_int_equal(mm_enrich_resolution_encode(&missing, &b), MM_OK);
    assert_int_equal(mm_enrich_resolution_decode(b.data, b.len, &a, &d), MM_OK);
    assert_false(d.found);
    assert_null(d.track);
    assert_string_equal(d.reason, "no candidate");
    assert_int_equal(d.fetched_at_us, 5);
    found.track = NULL;
    assert_int_equal(mm_enrich_resolution_encode(&found, &b), MM_EINVAL);
    mm_buf_cleanup(&b);
    mm_arena_cleanup(&a);
}

/* msgpack of a map built by `fill` (pairs of key, value already packed). */
static void pack_map(struct mm_buf *out, void (*fill)(msgpack_packer *pk))
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fill(&pk);
    mm_buf_reset(out);
    assert_int_equal(mm_buf_append(out, sb.data, sb.size), MM_OK);
    msgpack_sbuffer_destroy(&sb);
}

static void key(msgpack_packer *pk, const char *k)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
}

static void newer_version(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    key(pk, "v");
    msgpack_pack_int(pk, 2);
    key(pk, "title");
    key(pk, "T");
}

static void v_not_first(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    key(pk, "title");
    key(pk, "T");
    key(pk, "v");
    msgpack_pack_int(pk, 1);
}

static void bad_status(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    key(pk, "v");
    msgpack_pack_int(pk, 1);
    key(pk, "title");
    key(pk, "T");
    key(pk, "status");
    key(pk, "lost");
}

static void resolved_without_track(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    key(pk, "v");
    msgpack_pack_int(pk, 1);
    key(pk, "title");
    key(pk, "T");
    key(pk, "status");
    key(pk, "resolved");
    key(pk, "future_field");
    msgpack_pack_int(pk, 9);
}

static void resolution_without_time(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    key(pk, "v");
    msgpack_pack_int(pk, 1);
    key(pk, "outcome");
    key(pk, "not_found");
}

static void test_decode_errors(void **state)
{
    (void)state;
    struct mm_buf b;
    struct mm_arena a;
    struct mm_mention_record m;
    struct mm_resolution r;
    mm_buf_init(&b, 1 << 16);
    mm_arena_init(&a, 4096);
    pack_map(&b, newer_version);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &m), MM_ESCHEMA);
    assert_int_equal(mm_enrich_resolution_decode(b.data, b.len, &a, &r), MM_ESCHEMA);
    pack_map(&b, v_not_first);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &m), MM_ECORRUPT);
    pack_map(&b, bad_status);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &m), MM_ECORRUPT);
    pack_map(&b, resolved_without_track);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &m), MM_ECORRUPT);
    pack_map(&b, resolution_without_time);
    assert_int_equal(mm_enrich_resolution_decode(b.data, b.len, &a, &r), MM_ECORRUPT);
    assert_int_equal(mm_enrich_mention_decode("\xc1", 1, &a, &m), MM_ECORRUPT);
    assert_int_equal(mm_enrich_mention_decode("", 0, &a, &m), MM_ECORRUPT);

    /* Truncated and trailing bytes. */
    struct mm_mention_record ok = {.title = "T", .status = MM_MENTION_UNRESOLVED};
    mm_buf_reset(&b);
    assert_int_equal(mm_enrich_mention_encode(&ok, &b), MM_OK);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len - 1, &a, &m), MM_ECORRUPT);
    assert_int_equal(mm_buf_appendc(&b, 0), MM_OK);
    assert_int_equal(mm_enrich_mention_decode(b.data, b.len, &a, &m), MM_ECORRUPT);
    mm_buf_cleanup(&b);
    mm_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_mention_round_trip),
        cmocka_unit_test(test_resolution_round_trip),
        cmocka_unit_test(test_decode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
