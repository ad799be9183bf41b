/* Tests for pipeline/provider_lastfm.c through the real HTTP client against
 * canned Last.fm answers (tests/data/providers/lastfm): track.search then
 * track.getInfo with string numbers, tags lower-cased and capped, a getInfo
 * stub, a one-object trackmatches, a same-title trap, and the errors inside
 * 200s (6 not found, 29 and 16 retried, 10 and 26 fatal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "tests/pipeline/provider_fixture.h"

#define BELIEVE_MBID "32ca187e-ee25-4f18-b7d0-3b6713f24635"

static struct fixture *setup(const char *scenario)
{
    struct fixture *f = fixture_new(&mm_provider_lastfm, "lastfm", scenario);
    f->opt.api_key = "KEY123";
    return f;
}

static void test_happy_path(void **state)
{
    (void)state;
    static const char *const tags[] = {
        "pop",        "dance", "90s",       "female vocalists", "cher",
        "electronic", "disco", "auto-tune", "eurodance",        "singer-songwriter"};
    struct fixture *f = setup("happy");
    lookup(f, "believe", "CHER");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_int_equal(r->requests, 2);
    assert_string_equal(r->track.title, "Believe");
    assert_int_equal(r->track.n_artists, 1);
    assert_string_equal(r->track.artists[0], "Cher");
    assert_string_equal(r->track.album, "Believe");
    assert_int_equal(r->track.duration_ms, 240000);
    assert_int_equal(r->track.listeners, 1159283);
    assert_int_equal(r->track.release_year, MM_NULL_INT);
    assert_string_equal(r->track.ids[MM_SOURCE_MUSICBRAINZ], BELIEVE_MBID);
    assert_string_equal(r->track.ids[MM_SOURCE_LASTFM], "Cher/_/Believe");
    assert_string_equal(r->track.urls[MM_SOURCE_LASTFM],
                        "https://www.last.fm/music/Cher/_/Believe");
    assert_string_equal(r->track.artwork_url, "https://lastfm.freetls.fastly.net/i/u/300x300/"
                                              "3b54885952161aaea4ce2965b2db1638.png");
    assert_int_equal(r->track.n_tags, 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(r->track.tags[i], tags[i]);
    assert_string_equal(r->track.key, "mbid:" BELIEVE_MBID);
    assert_int_equal(r->track.source, MM_SOURCE_LASTFM);

    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(logged_query(log, 0, "method"), "track.search");
    assert_string_equal(logged_query(log, 0, "track"), "believe");
    assert_string_equal(logged_query(log, 0, "artist"), "CHER");
    assert_string_equal(logged_query(log, 0, "limit"), "10");
    assert_string_equal(logged_query(log, 1, "method"), "track.getInfo");
    assert_string_equal(logged_query(log, 1, "artist"), "Cher");
    assert_string_equal(logged_query(log, 1, "track"), "Believe");
    assert_string_equal(logged_query(log, 1, "autocorrect"), "0");
    assert_string_equal(logged_query(log, 1, "api_key"), "KEY123");
    assert_string_equal(logged_query(log, 1, "format"), "json");
    json_decref(log);
    teardown(f);
}

/* A stub (no mbid, 2 listeners, no tags, duration "0") still counts; the
 * search answered one object instead of an array. */
static void test_getinfo_stub_is_found(void **state)
{
    (void)state;
    struct fixture *f = setup("stub");
    lookup(f, "Bedroom Tapes 3", "Lo Fi Kid");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_int_equal(r->track.listeners, 2);
    assert_int_equal(r->track.n_tags, 0);
    assert_null(r->track.ids[MM_SOURCE_MUSICBRAINZ]);
    assert_null(r->track.album);
    assert_null(r->track.artwork_url);
    assert_int_equal(r->track.duration_ms, MM_NULL_INT);
    assert_string_equal(r->track.ids[MM_SOURCE_LASTFM], "Lo+Fi+Kid/_/Bedroom+Tapes+3");
    assert_non_null(r->track.key);
    assert_memory_equal(r->track.key, "lastfm:", 7);
    teardown(f);
}

/* getInfo's 6 after a matching search: the search's own fields are kept. */
static void test_getinfo_not_found_keeps_search(void **state)
{
    (void)state;
    struct fixture *f = setup("info_error6");
    lookup(f, "Believe", "Cher");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_string_equal(r->track.title, "Believe");
    assert_string_equal(r->track.artists[0], "Cher");
    assert_int_equal(r->track.listeners, 1159283);
    assert_string_equal(r->track.ids[MM_SOURCE_MUSICBRAINZ], BELIEVE_MBID);
    assert_int_equal(r->track.n_tags, 0);
    assert_null(r->track.album);
    teardown(f);
}

static void test_not_found(void **state)
{
    (void)state;
    struct fixture *f = setup("notfound");
    lookup(f, "Nonexistent Song", "Nobody");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_string_equal(f->out.r.reason, "no candidates (1 query)");
    assert_int_equal(f->out.r.requests, 1);
    teardown(f);

    f = setup("search_error6");
    lookup(f, "Nonexistent Song", NULL);
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_non_null(strstr(f->out.r.reason, "Last.fm error 6: Track not found"));
    json_t *log = canned_log(f->http);
    assert_null(logged_query(log, 0, "artist"));
    json_decref(log);
    teardown(f);
}

static void test_same_title_other_artist_is_skipped(void **state)
{
    (void)state;
    struct fixture *f = setup("trap");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.artists[0], "Johnny Cash");
    assert_string_equal(f->out.r.track.album, "American IV: The Man Comes Around");
    assert_int_equal(f->out.r.track.n_tags, 1); /* toptags.tag as one object */
    assert_string_equal(f->out.r.track.tags[0], "country");
    teardown(f);

    f = setup("trap_only");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 1); /* no getInfo for a rejected candidate */
    assert_non_null(strstr(f->out.r.reason, "best 'Hurt' by 'Nine Inch Nails' scored"));
    teardown(f);
}

static void test_transient_errors_are_retried(void **state)
{
    (void)state;
    struct fixture *f = setup("rate");
    lookup(f, "Believe", "Cher");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(f->out.r.requests, 2);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 4);
    json_decref(log);
    assert_int_equal(stats(f->http, "lastfm").retries, 2);
    teardown(f);

    f = setup("rate_always");
    lookup(f, "Believe", "Cher");
    assert_int_equal(f->out.r.status, MM_LOOKUP_RETRYABLE);
    assert_non_null(strstr(f->out.r.reason, "Last.fm error 29"));
    teardown(f);

    f = setup("malformed");
    lookup(f, "Believe", "Cher");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    teardown(f);
}

static void test_key_errors_fail(void **state)
{
    (void)state;
    static const char *const scenarios[] = {"bad_key", "suspended", "info_bad_key"};
    static const char *const codes[] = {"Last.fm error 10", "Last.fm error 26", "Last.fm error 10"};
    for (size_t i = 0; i < 3; i++) {
        struct fixture *f = setup(scenarios[i]);
        lookup(f, "Believe", "Cher");
        assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
        assert_non_null(strstr(f->out.r.reason, codes[i]));
        assert_null(strstr(f->out.r.reason, "KEY123")); /* the URL is redacted */
        assert_int_equal(stats(f->http, "lastfm").retries, 0);
        teardown(f);
    }
}

static void test_open_needs_a_key(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    void *lf = NULL;
    char err[MM_ERRLEN] = "";
    struct mm_provider_options o = f->opt;
    o.api_key = NULL;
    assert_int_equal(mm_provider_lastfm.open(&o, f->http, &lf, err), MM_EINVAL);
    assert_string_equal(err, "lastfm provider: api_key: missing (LASTFM_API_KEY)");
    assert_ptr_equal(mm_provider_for(MM_SOURCE_LASTFM), &mm_provider_lastfm);
    mm_provider_lastfm.close(NULL);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_getinfo_stub_is_found),
        cmocka_unit_test(test_getinfo_not_found_keeps_search),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_same_title_other_artist_is_skipped),
        cmocka_unit_test(test_transient_errors_are_retried),
        cmocka_unit_test(test_key_errors_fail),
        cmocka_unit_test(test_open_needs_a_key),
    };
    return cmocka_run_group_tests(tests, start_canned, stop_server);
}
