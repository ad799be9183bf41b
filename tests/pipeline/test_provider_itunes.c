/* Tests for pipeline/provider_itunes.c through the real HTTP client against
 * canned iTunes Search answers (tests/data/providers/itunes): the two terms
 * built from the clean title and primary artist, the field mapping (numeric
 * trackId, artwork 100x100bb → 600x600bb, releaseDate year), a music video
 * ranked first, a same-title trap, resultCount 0, 400, 503 and malformed
 * JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "tests/pipeline/provider_fixture.h"

static struct fixture *setup(const char *scenario)
{
    return fixture_new(&mm_provider_itunes, "itunes", scenario);
}

/* The music video listed first is not a song; the song matches "OutKast". */
static void test_happy_path_and_artwork(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    lookup(f, "Hey Ya", "OutKast");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_int_equal(r->requests, 1);
    assert_string_equal(r->track.title, "Hey Ya!");
    assert_int_equal(r->track.n_artists, 1);
    assert_string_equal(r->track.artists[0], "Outkast");
    assert_string_equal(r->track.album, "Speakerboxxx / The Love Below");
    assert_int_equal(r->track.release_year, 2003);
    assert_int_equal(r->track.duration_ms, 235213);
    assert_string_equal(r->track.ids[MM_SOURCE_ITUNES], "1147630446");
    assert_string_equal(r->track.key, "itunes:1147630446");
    assert_string_equal(r->track.urls[MM_SOURCE_ITUNES],
                        "https://music.apple.com/us/album/hey-ya/1147629862?i=1147630446&uo=4");
    assert_string_equal(r->track.artwork_url,
                        "https://is1-ssl.mzstatic.com/image/thumb/Music115/v4/a1/b2/c3/"
                        "a1b2c3d4e5f60718293a4b5c6d7e8f90/source/600x600bb.jpg");
    assert_non_null(strstr(r->track.preview_url, "mzaf_1147630446.plus.aac.p.m4a"));
    assert_int_equal(r->track.popularity, MM_NULL_INT);
    assert_null(r->track.isrc);
    assert_int_equal(r->track.source, MM_SOURCE_ITUNES);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 1);
    assert_string_equal(logged_query(log, 0, "term"), "hey ya outkast");
    assert_string_equal(logged_query(log, 0, "media"), "music");
    assert_string_equal(logged_query(log, 0, "entity"), "song");
    assert_string_equal(logged_query(log, 0, "limit"), "5");
    assert_string_equal(logged_query(log, 0, "country"), "US");
    json_decref(log);
    teardown(f);
}

static void test_terms_are_clean(void **state)
{
    (void)state;
    /* "(feat. X)" leaves the title; the primary artist of a credit is searched. */
    struct fixture *f = setup("feat");
    lookup(f, "Crazy in Love (feat. Jay-Z)", "Beyoncé & Jay-Z");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.title, "Crazy In Love (feat. JAY-Z)");
    assert_string_equal(f->out.r.track.artists[0], "Beyoncé");
    teardown(f);

    /* Without an artist: one term, the title alone. */
    f = setup("title_only");
    lookup(f, "Hey Ya!", NULL);
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(f->out.r.requests, 1);
    assert_string_equal(f->out.r.track.ids[MM_SOURCE_ITUNES], "1147630446");
    teardown(f);
}

static void test_result_count_zero(void **state)
{
    (void)state;
    struct fixture *f = setup("notfound");
    lookup(f, "Nonexistent Song", "Nobody");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 2);
    assert_string_equal(f->out.r.reason, "no candidates (2 queries)");
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(logged_query(log, 0, "term"), "nonexistent song nobody");
    assert_string_equal(logged_query(log, 1, "term"), "nonexistent song");
    json_decref(log);
    teardown(f);
}

static void test_same_title_other_artist_is_skipped(void **state)
{
    (void)state;
    struct fixture *f = setup("trap");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.ids[MM_SOURCE_ITUNES], "1440810380");
    assert_string_equal(f->out.r.track.artists[0], "Johnny Cash");
    teardown(f);

    f = setup("trap_only");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 2);
    assert_non_null(strstr(f->out.r.reason, "best 'Hurt' by 'Nine Inch Nails' scored"));
    teardown(f);
}

static void test_errors(void **state)
{
    (void)state;
    struct fixture *f = setup("malformed");
    lookup(f, "Hey Ya", "OutKast");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(stats(f->http, "itunes").retries, 1);
    teardown(f);

    f = setup("unavailable");
    lookup(f, "Hey Ya", "OutKast");
    assert_int_equal(f->out.r.status, MM_LOOKUP_RETRYABLE);
    assert_non_null(strstr(f->out.r.reason, "HTTP 503"));
    teardown(f);

    f = setup("bad_country");
    f->opt.market = "XX";
    lookup(f, "Hey Ya", "OutKast");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
    assert_non_null(strstr(f->out.r.reason, "HTTP 400"));
    json_t *log = canned_log(f->http);
    assert_string_equal(logged_query(log, 0, "country"), "XX");
    json_decref(log);
    teardown(f);
}

static void test_open_checks_options(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    void *it = NULL;
    char err[MM_ERRLEN] = "";
    struct mm_provider_options o = f->opt;
    o.search_limit = -1;
    assert_int_equal(mm_provider_itunes.open(&o, f->http, &it, err), MM_EINVAL);
    assert_string_equal(err, "itunes provider: search_limit: expected 1..200, got -1");
    o = f->opt;
    o.min_score = 101;
    assert_int_equal(mm_provider_itunes.open(&o, f->http, &it, err), MM_EINVAL);
    assert_non_null(strstr(err, "min_score"));
    assert_int_equal(mm_provider_itunes.open(&f->opt, NULL, &it, err), MM_EINVAL);
    assert_ptr_equal(mm_provider_for(MM_SOURCE_ITUNES), &mm_provider_itunes);
    mm_provider_itunes.close(NULL);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path_and_artwork),
        cmocka_unit_test(test_terms_are_clean),
        cmocka_unit_test(test_result_count_zero),
        cmocka_unit_test(test_same_title_other_artist_is_skipped),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_checks_options),
    };
    return cmocka_run_group_tests(tests, start_canned, stop_server);
}
