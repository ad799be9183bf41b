/* Tests for pipeline/provider_spotify.c through the real HTTP client against
 * canned Spotify answers (tests/data/providers/spotify): the token request
 * and its cache, the three query forms, matching (name variants, a same-title
 * trap), deprecated fields, error bodies (401 expired, 403, 429 with
 * Retry-After, 503, malformed JSON, invalid_client), wrong-typed fields, and
 * audio features (null entries, 403, 401 refresh, bad arguments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "tests/pipeline/provider_fixture.h"

#define DSMN_ID "5T8EDUDqKcs6OSOwEsfqG7"
#define CASH_ID "28cnXtME493VX9NOw9cIUh"

static struct fixture *setup(const char *scenario)
{
    struct fixture *f = fixture_new(&mm_provider_spotify, "spotify", scenario);
    f->opt.accounts_url = f->base;
    f->opt.client_id = "cid";
    f->opt.client_secret = "secret";
    return f;
}

/* --- search --- */

static void test_happy_path(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    lookup(f, "Don’t Stop Me Now", "QUEEN");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_int_equal(r->requests, 2);
    assert_string_equal(r->track.title, "Don't Stop Me Now - Remastered 2011");
    assert_int_equal(r->track.n_artists, 1);
    assert_string_equal(r->track.artists[0], "Queen");
    assert_string_equal(r->track.album, "Jazz (2011 Remaster)");
    assert_int_equal(r->track.release_year, 1978);
    assert_int_equal(r->track.duration_ms, 209413);
    assert_string_equal(r->track.isrc, "GBUM71029604");
    assert_string_equal(r->track.key, "isrc:GBUM71029604");
    assert_string_equal(r->track.ids[MM_SOURCE_SPOTIFY], DSMN_ID);
    assert_string_equal(r->track.urls[MM_SOURCE_SPOTIFY],
                        "https://open.spotify.com/track/" DSMN_ID);
    assert_string_equal(r->track.artwork_url,
                        "https://i.scdn.co/image/ab67616d0000b273008b06ec71019afd70153889");
    assert_null(r->track.preview_url); /* deprecated: null */
    assert_int_equal(r->track.popularity, 86);
    assert_int_equal(r->track.source, MM_SOURCE_SPOTIFY);
    assert_true(r->track.score >= 95 && r->track.score <= 100);
    assert_true(r->track.fetched_at_us > 0);

    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(logged(log, 0, "method"), "POST");
    assert_string_equal(logged(log, 0, "path"), "/api/token");
    assert_string_equal(logged(log, 0, "authorization"), "Basic Y2lkOnNlY3JldA==");
    assert_string_equal(logged(log, 0, "body"), "grant_type=client_credentials");
    assert_string_equal(logged(log, 1, "path"), "/v1/search");
    assert_string_equal(logged(log, 1, "authorization"), "Bearer BQC-token-one");
    assert_string_equal(logged_query(log, 1, "q"), "track:\"Don’t Stop Me Now\" artist:\"QUEEN\"");
    assert_string_equal(logged_query(log, 1, "type"), "track");
    assert_string_equal(logged_query(log, 1, "limit"), "5");
    assert_string_equal(logged_query(log, 1, "market"), "US");
    json_decref(log);
    teardown(f);
}

static void test_not_found_tries_each_query(void **state)
{
    (void)state;
    struct fixture *f = setup("notfound");
    lookup(f, "Nonexistent \"Song\"", "Nobody");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 4);
    assert_string_equal(f->out.r.reason, "no candidates (3 queries)");
    assert_null(f->out.r.track.title);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 4);
    assert_string_equal(logged_query(log, 1, "q"), "track:\"Nonexistent Song\" artist:\"Nobody\"");
    assert_string_equal(logged_query(log, 2, "q"), "\"Nonexistent Song\" \"Nobody\"");
    assert_string_equal(logged_query(log, 3, "q"), "\"Nonexistent Song\"");
    json_decref(log);

    /* Without an artist: track:"T", then "T". */
    struct mm_http_response r;
    assert_int_equal(get(f->http, "/canned-reset", &r), MM_OK);
    mm_http_response_cleanup(&r);
    lookup(f, "Nonexistent Song", NULL);
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 3);
    assert_string_equal(logged_query(log, 1, "q"), "track:\"Nonexistent Song\"");
    assert_string_equal(logged_query(log, 2, "q"), "\"Nonexistent Song\"");
    json_decref(log);
    teardown(f);
}

/* Spotify ranks Nine Inch Nails' "Hurt" first; the mention is Johnny Cash's. */
static void test_same_title_other_artist_is_skipped(void **state)
{
    (void)state;
    struct fixture *f = setup("trap");
    lookup(f, "Hurt", "Johnny Cash");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_string_equal(r->track.ids[MM_SOURCE_SPOTIFY], CASH_ID);
    assert_string_equal(r->track.artists[0], "Johnny Cash");
    /* No external_ids, popularity or preview_url in this item. */
    assert_null(r->track.isrc);
    assert_int_equal(r->track.popularity, MM_NULL_INT);
    assert_null(r->track.preview_url);
    assert_int_equal(r->track.release_year, 2002);
    assert_string_equal(r->track.key, "spotify:" CASH_ID);
    teardown(f);

    f = setup("trap_only");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_int_equal(f->out.r.requests, 4);
    assert_non_null(strstr(f->out.r.reason, "best 'Hurt' by 'Nine Inch Nails' scored"));
    assert_non_null(strstr(f->out.r.reason, "< 80 (3 queries)"));
    teardown(f);
}

/* --- token --- */

static void test_expired_token_is_renewed_once(void **state)
{
    (void)state;
    struct fixture *f = setup("expired");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(f->out.r.requests, 4);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 4);
    assert_string_equal(logged(log, 0, "path"), "/api/token");
    assert_string_equal(logged(log, 1, "authorization"), "Bearer BQC-token-one");
    assert_string_equal(logged(log, 2, "path"), "/api/token");
    assert_string_equal(logged(log, 3, "authorization"), "Bearer BQC-token-two");
    assert_string_equal(logged_query(log, 1, "q"), logged_query(log, 3, "q"));
    json_decref(log);
    teardown(f);

    f = setup("expired_always");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
    assert_string_equal(f->out.r.reason,
                        "HTTP 401 after a token refresh: The access token expired");
    log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 4);
    json_decref(log);
    teardown(f);
}

static void test_token_is_cached_and_shared(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    void *sp = NULL;
    char err[MM_ERRLEN];
    struct lookup_out outs[4] = {{0}};
    struct mm_mention m = {.key = "", .title = "Don’t Stop Me Now", .artist = "QUEEN"};
    assert_int_equal(mm_provider_spotify.open(&f->opt, f->http, &sp, err), MM_OK);
    /* Three lookups started at once wait for one token... */
    for (int i = 0; i < 3; i++)
        assert_int_equal(mm_provider_spotify.lookup(sp, &m, &f->arena, lookup_done, &outs[i]),
                         MM_OK);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    /* ...and a later one reuses it. */
    assert_int_equal(mm_provider_spotify.lookup(sp, &m, &f->arena, lookup_done, &outs[3]), MM_OK);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    int requests = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_int_equal(outs[i].r.status, MM_LOOKUP_FOUND);
        requests += outs[i].r.requests;
    }
    assert_int_equal(requests, 5);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 5);
    assert_string_equal(logged(log, 0, "path"), "/api/token");
    for (size_t i = 1; i < 5; i++)
        assert_string_equal(logged(log, i, "path"), "/v1/search");
    json_decref(log);
    mm_provider_spotify.close(sp);
    teardown(f);

    /* A token living less than the renewal margin is fetched again. */
    f = setup("token_short");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_int_equal(mm_provider_spotify.open(&f->opt, f->http, &sp, err), MM_OK);
    assert_int_equal(mm_provider_spotify.lookup(sp, &m, &f->arena, lookup_done, &outs[0]), MM_OK);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    assert_int_equal(mm_provider_spotify.lookup(sp, &m, &f->arena, lookup_done, &outs[1]), MM_OK);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    mm_provider_spotify.close(sp);
    log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 6);
    assert_string_equal(logged(log, 2, "path"), "/api/token");
    assert_string_equal(logged(log, 4, "path"), "/api/token");
    json_decref(log);
    teardown(f);
}

static void test_invalid_client_fails(void **state)
{
    (void)state;
    struct fixture *f = setup("bad_client");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
    assert_int_equal(f->out.r.requests, 1);
    assert_non_null(strstr(f->out.r.reason, "token request: HTTP 400"));
    teardown(f);
}

/* --- error bodies --- */

static void test_rate_limited_then_found(void **state)
{
    (void)state;
    struct fixture *f = setup("rate");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_true(fake.slept >= 1000); /* Retry-After: 1 */
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 3);
    json_decref(log);
    teardown(f);

    /* A wait longer than the client's max_wait_ms: try again next run. */
    f = setup("rate_long");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_RETRYABLE);
    assert_non_null(strstr(f->out.r.reason, "HTTP 429"));
    teardown(f);
}

static void test_error_statuses(void **state)
{
    (void)state;
    struct fixture *f = setup("forbidden");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FAILED);
    assert_non_null(strstr(f->out.r.reason, "HTTP 403"));
    teardown(f);

    f = setup("unavailable");
    lookup(f, "Hurt", "Johnny Cash");
    assert_int_equal(f->out.r.status, MM_LOOKUP_RETRYABLE);
    assert_non_null(strstr(f->out.r.reason, "HTTP 503"));
    assert_non_null(strstr(f->out.r.reason, "gave up after 4 attempts"));
    teardown(f);
}

static void test_malformed_body_is_retried(void **state)
{
    (void)state;
    struct fixture *f = setup("malformed");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_FOUND);
    assert_string_equal(f->out.r.track.ids[MM_SOURCE_SPOTIFY], DSMN_ID);
    assert_int_equal(f->out.r.requests, 2);
    json_t *log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 3);
    json_decref(log);
    teardown(f);
}

/* Wrong-typed or missing fields are absent: never a crash, never a failure. */
static void test_wrong_types_are_absent(void **state)
{
    (void)state;
    struct fixture *f = setup("wrong_types");
    lookup(f, "Don’t Stop Me Now", "Queen");
    struct mm_lookup_result *r = &f->out.r;
    assert_int_equal(r->status, MM_LOOKUP_FOUND);
    assert_string_equal(r->track.ids[MM_SOURCE_SPOTIFY], DSMN_ID);
    assert_int_equal(r->track.n_artists, 1);
    assert_string_equal(r->track.artists[0], "Queen");
    assert_null(r->track.album);
    assert_int_equal(r->track.release_year, MM_NULL_INT);
    assert_null(r->track.artwork_url);
    assert_int_equal(r->track.duration_ms, MM_NULL_INT);
    assert_null(r->track.isrc);
    assert_null(r->track.urls[MM_SOURCE_SPOTIFY]);
    assert_int_equal(r->track.popularity, MM_NULL_INT);
    assert_null(r->track.preview_url);
    teardown(f);

    f = setup("no_items");
    lookup(f, "Don’t Stop Me Now", "Queen");
    assert_int_equal(f->out.r.status, MM_LOOKUP_NOT_FOUND);
    assert_string_equal(f->out.r.reason, "no candidates (3 queries)");
    teardown(f);
}

/* --- audio features --- */

struct feats {
    int each, finished;
    mm_err err;
    bool present[3];
    struct mm_features got[3];
};

static void feat_each(void *ctx, size_t i, const struct mm_features *ft)
{
    struct feats *fs = ctx;
    assert_true(i < 3);
    fs->each++;
    fs->present[i] = ft != NULL;
    if (ft)
        fs->got[i] = *ft;
}

static void feat_done(void *ctx, mm_err err)
{
    struct feats *fs = ctx;
    fs->finished++;
    fs->err = err;
}

static void features(struct fixture *f, struct feats *fs)
{
    static const char *const ids[] = {DSMN_ID, "0000000000000000000000", CASH_ID};
    void *sp = NULL;
    char err[MM_ERRLEN];
    memset(fs, 0, sizeof(*fs));
    assert_int_equal(mm_provider_spotify.open(&f->opt, f->http, &sp, err), MM_OK);
    assert_int_equal(mm_spotify_audio_features(sp, ids, 3, feat_each, feat_done, fs), MM_OK);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    assert_int_equal(fs->finished, 1);
    mm_provider_spotify.close(sp);
}

static void test_features_with_null_entry(void **state)
{
    (void)state;
    struct fixture *f = setup("features");
    struct feats fs;
    features(f, &fs);
    assert_int_equal(fs.err, MM_OK);
    assert_int_equal(fs.each, 3);
    assert_true(fs.present[0] && !fs.present[1] && fs.present[2]);
    assert_true(fs.got[0].present);
    assert_string_equal(fs.got[0].source, "spotify");
    assert_true(fs.got[0].has_energy && fs.got[0].has_tempo && fs.got[0].has_loudness);
    assert_float_equal(fs.got[0].energy, 0.868, 1e-9);
    assert_float_equal(fs.got[0].valence, 0.609, 1e-9);
    assert_float_equal(fs.got[0].tempo, 156.295, 1e-9);
    assert_float_equal(fs.got[0].loudness, -5.276, 1e-9);
    assert_float_equal(fs.got[2].acousticness, 0.832, 1e-9);
    json_t *log = canned_log(f->http);
    assert_string_equal(logged(log, 1, "path"), "/v1/audio-features");
    assert_string_equal(logged_query(log, 1, "ids"), DSMN_ID ",0000000000000000000000," CASH_ID);
    json_decref(log);
    teardown(f);

    f = setup("features_expired");
    features(f, &fs);
    assert_int_equal(fs.err, MM_OK);
    assert_int_equal(fs.each, 3);
    log = canned_log(f->http);
    assert_int_equal(json_array_size(log), 4);
    assert_string_equal(logged(log, 3, "authorization"), "Bearer BQC-token-two");
    json_decref(log);
    teardown(f);
}

/* 403 means "features unavailable to this app": no error, nothing logged. */
static void test_features_forbidden_is_unsupported(void **state)
{
    (void)state;
    char dir[] = "/tmp/mm-provider-spotify-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *log_path = mm_xasprintf("%s/log.jsonl", dir);
    assert_int_equal(mm_log_open(log_path, MM_LOG_WARN, NULL), MM_OK);
    struct fixture *f = setup("features_403");
    struct feats fs;
    features(f, &fs);
    assert_int_equal(mm_log_open(NULL, MM_LOG_ERROR, NULL), MM_OK);
    assert_int_equal(fs.err, MM_EUNSUPPORTED);
    assert_int_equal(fs.each, 0);
    char *text = slurp_file(log_path);
    assert_string_equal(text, "");
    free(text);
    unlink(log_path);
    rmdir(dir);
    free(log_path);
    teardown(f);
}

static void test_features_bad_arguments(void **state)
{
    (void)state;
    struct fixture *f = setup("features");
    void *sp = NULL;
    char err[MM_ERRLEN];
    struct feats fs = {0};
    const char *ids[101];
    for (int i = 0; i < 101; i++)
        ids[i] = DSMN_ID;
    const char *comma[] = {DSMN_ID "," CASH_ID};
    const char *empty[] = {""};
    assert_int_equal(mm_provider_spotify.open(&f->opt, f->http, &sp, err), MM_OK);
    assert_int_equal(mm_spotify_audio_features(sp, ids, 0, feat_each, feat_done, &fs), MM_EINVAL);
    assert_int_equal(mm_spotify_audio_features(sp, ids, 101, feat_each, feat_done, &fs), MM_EINVAL);
    assert_int_equal(mm_spotify_audio_features(sp, comma, 1, feat_each, feat_done, &fs), MM_EINVAL);
    assert_int_equal(mm_spotify_audio_features(sp, empty, 1, feat_each, feat_done, &fs), MM_EINVAL);
    assert_int_equal(mm_spotify_audio_features(sp, ids, 100, feat_each, NULL, &fs), MM_EINVAL);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    assert_int_equal(fs.each + fs.finished, 0);
    mm_provider_spotify.close(sp);
    teardown(f);
}

/* --- options --- */

static void test_open_checks_options(void **state)
{
    (void)state;
    struct fixture *f = setup("happy");
    void *sp = NULL;
    char err[MM_ERRLEN] = "";
    struct mm_provider_options o = f->opt;
    o.search_limit = 11;
    assert_int_equal(mm_provider_spotify.open(&o, f->http, &sp, err), MM_EINVAL);
    assert_string_equal(err, "spotify provider: search_limit: expected 1..10, got 11");
    o = f->opt;
    o.client_secret = "";
    assert_int_equal(mm_provider_spotify.open(&o, f->http, &sp, err), MM_EINVAL);
    assert_string_equal(err, "spotify provider: client_secret: missing (SPOTIPY_CLIENT_SECRET)");
    o = f->opt;
    o.base_url = "ftp://example.org";
    assert_int_equal(mm_provider_spotify.open(&o, f->http, &sp, err), MM_EINVAL);
    assert_non_null(strstr(err, "base_url"));
    o = f->opt;
    o.min_score = 90;
    o.early_exit_score = 85;
    assert_int_equal(mm_provider_spotify.open(&o, f->http, &sp, err), MM_EINVAL);
    assert_non_null(strstr(err, "early_exit_score"));
    assert_ptr_equal(mm_provider_for(MM_SOURCE_SPOTIFY), &mm_provider_spotify);
    assert_null(mm_provider_for(MM_SOURCE__COUNT));

    /* A mention without a title is refused at once; done is never called. */
    struct mm_mention m = {.key = "", .title = "", .artist = "Queen"};
    struct lookup_out out = {0};
    assert_int_equal(mm_provider_spotify.open(&f->opt, f->http, &sp, err), MM_OK);
    assert_int_equal(mm_provider_spotify.lookup(sp, &m, &f->arena, lookup_done, &out), MM_EINVAL);
    assert_int_equal(mm_http_run(f->http), MM_OK);
    assert_int_equal(out.calls, 0);
    mm_provider_spotify.close(sp);
    mm_provider_spotify.close(NULL);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_not_found_tries_each_query),
        cmocka_unit_test(test_same_title_other_artist_is_skipped),
        cmocka_unit_test(test_expired_token_is_renewed_once),
        cmocka_unit_test(test_token_is_cached_and_shared),
        cmocka_unit_test(test_invalid_client_fails),
        cmocka_unit_test(test_rate_limited_then_found),
        cmocka_unit_test(test_error_statuses),
        cmocka_unit_test(test_malformed_body_is_retried),
        cmocka_unit_test(test_wrong_types_are_absent),
        cmocka_unit_test(test_features_with_null_entry),
        cmocka_unit_test(test_features_forbidden_is_unsupported),
        cmocka_unit_test(test_features_bad_arguments),
        cmocka_unit_test(test_open_checks_options),
    };
    return cmocka_run_group_tests(tests, start_canned, stop_server);
}
