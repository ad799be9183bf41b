/* Tests for pipeline/provider_musicbrainz.c through the real HTTP client
 * against canned MusicBrainz answers (tests/data/providers/musicbrainz): the
 * recording query and its Lucene escaping (quotes, colon, slash), matching
 * with a diacritics variant and a same-title trap ranked first by
 * MusicBrainz, count:0, the 503 rate-limit body, 400 and malformed JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "tests/pipeline/provider_fixture.h"

#define HALO_ID "0b0d3c4c-d4b2-4c3e-9a14-2b3a1d1e6a53"
#define CREEP_RH_ID "f0a1b2c3-4d5e-4f6a-8b7c-8d9e0f1a2b3c"

static struct fixture *setup(const char *scenario)
{
    return fixture_new(&mm_provider_musicbrainz, "musicbrainz", scenario);
}

static void test_happy_path(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    lookup(f, "Halo", "Beyonce");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_int_equal(r->requests, 1);
    assert_string_equal(r->track.title, "Halo");
    assert_int_equal(r->track.n_artists, 1);
    assert_string_equal(r->track.artists[0], "Beyoncé");
    assert_string_equal(r->track.album, "I Am… Sasha Fierce");
    assert_int_equal(r->track.release_year, 2008);
    assert_int_equal(r->track.duration_ms, 261640);
    assert_string_equal(r->track.isrc, "USSM10804554");
    assert_string_equal(r->track.ids[MM_SOURCE_MUSICBRAINZ], HALO_ID);
    assert_string_equal(r->track.urls[MM_SOURCE_MUSICBRAINZ],
                        "https://musicbrainz.org/recording/" HALO_ID);
    assert_null(r->track.ids[MM_SOURCE_SPOTIFY]);
    assert_null(r->track.artwork_url);
    assert_int_equal(r->track.popularity, MM_NULL_INT);
    assert_string_equal(r->track.key, "isrc:USSM10804554");
    assert_int_equal(r->track.source, MM_SOURCE_MUSICBRAINZ);
    assert_true(r->track.score >= 95);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 1);
    assert_string_equal(logged(log, 0, "path"), "/ws/2/recording");
    assert_string_equal(logged_query(log, 0, "fmt"), "json");
    assert_string_equal(logged_query(log, 0, "limit"), "10");
    assert_string_equal(logged(log, 0, "user_agent"), UA);
    json_decref(log);
    teardown(f);
}

/* Each route answers only the exactly escaped query; anything else gets 501. */
static void test_lucene_escaping(void **state)
{
    (void)state;
    struct fixture *f = setup("escaping");
    lookup(f, "\"Heroes\"", "David Bowie");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.title, "“Heroes”");
    lookup(f, "Re: Stacks", "Bon Iver");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.title, "Re: Stacks");
    assert_null(f->out.r.track.isrc);
    assert_string_equal(f->out.r.track.key, "mbid:2e6f8a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    lookup(f, "Back in Black", "AC/DC");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 3);
    assert_string_equal(logged_query(log, 0, "query"),
                        "recording:\"\\\"Heroes\\\"\" AND artist:\"David Bowie\"");
    assert_string_equal(logged_query(log, 1, "query"),
                        "recording:\"Re\\: Stacks\" AND artist:\"Bon Iver\"");
    assert_string_equal(logged_query(log, 2, "query"),
                        "recording:\"Back in Black\" AND artist:\"AC\\/DC\"");
    json_decref(log);
    teardown(f);
}

static void test_count_zero_is_not_found(void **state)
{
    (void)state;
    struct fixture *f = setup("notfound");
    lookup(f, "Song (Of) Nobody", "Nobody");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 2);
    assert_string_equal(f->out.r.reason, "no candidates (2 queries)");
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(logged_query(log, 0, "query"),
                        "recording:\"Song \\(Of\\) Nobody\" AND artist:\"Nobody\"");
    assert_string_equal(logged_query(log, 1, "query"), "recording:\"Song \\(Of\\) Nobody\"");
    json_decref(log);

    /* Without an artist there is only the title query. */
    lookup(f, "Song", NULL);
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 1);
    teardown(f);
}

/* MusicBrainz scores TLC's "Creep" 100 and ranks it first. */
static void test_same_title_other_artist_is_skipped(void **state)
{
    (void)state;
    struct fixture *f = setup("trap");
    lookup(f, "Creep", "Radiohead");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.ids[MM_SOURCE_MUSICBRAINZ], CREEP_RH_ID);
    assert_string_equal(f->out.r.track.isrc, "GBAYE9200070");
    assert_string_equal(f->out.r.track.album, "Pablo Honey");
    assert_int_equal(f->out.r.track.release_year, 1992); /* first-release-date */
    teardown(f);

    f = setup("trap_only");
    lookup(f, "Creep", "Radiohead");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 2);
    assert_non_null(strstr(f->out.r.reason, "best 'Creep' by 'TLC' scored"));
    teardown(f);
}

static void test_rate_limit_503(void **state)
{
    (void)state;
    struct fixture *f = setup("ratelimit");
    lookup(f, "Halo", "Beyonce");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_true(fake.slept >= 1000);
    struct mm_http_host_stats s = stats(f->http, "musicbrainz");
    assert_int_equal(s.requests, 2);
    assert_int_equal(s.retries, 1);
    teardown(f);

    f = setup("ratelimit_always");
    lookup(f, "Halo", "Beyonce");
    assert_int_equal(f->out.r.status, MM_LOOKUP_RETRYABLE);
    assert_non_null(strstr(f->out.r.reason, "HTTP 503"));
    teardown(f);
}

static void test_bad_request_and_malformed(void **state)
{
    (void)state;
    struct fixture *f = setup("bad_request");
    lookup(f, "Halo", "Beyonce");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
    assert_non_null(strstr(f->out.r.reason, "HTTP 400"));
    teardown(f);

    f = setup("malformed");
    lookup(f, "Halo", "Beyonce");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(stats(f->http, "musicbrainz").requests, 2);
    teardown(f);
}

static void test_open_checks_options(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    void *mb = NULL;
    char err[MM_ERRLEN] = "";
    struct mm_provider_options o = f->opt;
    o.search_limit = 101;
    assert_int_equal(mm_provider_musicbrainz.open(&o, f->http, &mb, err), MM_EINVAL);
    assert_string_equal(err, "musicbrainz provider: search_limit: expected 1..100, got 101");
    o.search_limit = 0;
    o.base_url = NULL;
    assert_int_equal(mm_provider_musicbrainz.open(&o, f->http, &mb, err), MM_EINVAL);
    assert_non_null(strstr(err, "base_url"));
    assert_ptr_equal(mm_provider_for(MM_SOURCE_MUSICBRAINZ), &mm_provider_musicbrainz);
    mm_provider_musicbrainz.close(NULL);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_lucene_escaping),
        cmocka_unit_test(test_count_zero_is_not_found),
        cmocka_unit_test(test_same_title_other_artist_is_skipped),
        cmocka_unit_test(test_rate_limit_503),
        cmocka_unit_test(test_bad_request_and_malformed),
        cmocka_unit_test(test_open_checks_options),
    };
    return cmocka_run_group_tests(tests, start_canned, stop_server);
}
