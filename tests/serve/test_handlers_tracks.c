/* Tests of serve/handlers_tracks.c through the server's route table: a
 * state with tracks, mentions and mood rankings is published by the real
 * publish stage, then requests are parsed and dispatched as a worker does.
 * Covers the mention lookup (by mention, by the catalog's spelling, without
 * an artist), one track by its percent-encoded key, mood rankings with
 * aliases, limits and every popularity band, HEAD, the error bodies, no
 * snapshot, and a ranking that names a missing track. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../pipeline/publish_fixture.h"
#include "../pipeline/tracks_fixture.h"
#include "serve/handlers.h"
#include "serve/handlers_tracks.h"
#include "serve/router.h"
#include "serve/snap_holder.h"

#define BODY_CAP (8u << 20)

struct env {
    struct pub_fixture *f;
    struct mm_snap_holder *holder;
    struct mm_snap_view view;
    struct mm_router *router;
    struct mm_buf body;
};

struct reply {
    int status;
    size_t content_length;
    json_t *json; /* the parsed body */
};

/* Popularity values of the "bands" mood, one track each, plus one unknown. */
static const int pops[] = {0,  9,  10, 34, 35, 41, 42, 44, 45, 64,
                           65, 69, 70, 79, 80, 84, 85, 94, 95, 100};
#define N_POPS (sizeof(pops) / sizeof(pops[0]))

static void add_state(struct pub_fixture *f)
{
    char *beatles[] = {"The Beatles"}, *cash[] = {"Johnny Cash"}, *band[] = {"Band"};
    struct mm_track yesterday =
        tf_track("isrc:GBAYE0601498", "Yesterday - Remastered 2009", beatles, 1, 80);
    struct mm_track hurt = tf_track("spotify:hurt", "Hurt", cash, 1, 60);
    struct mm_track odd = tf_track("itunes:a b/c", "Odd Key", band, 1, MM_NULL_INT);
    tf_put_track(f->state, &yesterday);
    tf_put_track(f->state, &hurt);
    tf_put_track(f->state, &odd);
    tf_put_mention(f->state, "Hurt", "Nine Inch Nails", MM_MENTION_RESOLVED, "spotify:hurt");
    tf_put_mention(f->state, "Untitled", NULL, MM_MENTION_RESOLVED, "itunes:a b/c");
    tf_put_mood(f->state, "chill", 0, "spotify:hurt", 0.93, 60);
    tf_put_mood(f->state, "chill", 1, "itunes:a b/c", 0.875, MM_NULL_INT);
    tf_put_mood(f->state, "chill", 2, "isrc:GBAYE0601498", 0.5, 80);
    tf_put_mood(f->state, "broken", 0, "spotify:hurt", 0.9, 60);
    tf_put_mood(f->state, "broken", 1, "spotify:missing", 0.8, 60);
    for (size_t i = 0; i <= N_POPS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "spotify:p%zu", i);
        int64_t pop = i < N_POPS ? pops[i] : MM_NULL_INT;
        struct mm_track t = tf_track(key, "Song", band, 1, pop);
        tf_put_track(f->state, &t);
        tf_put_mood(f->state, "bands", (uint32_t)i, key, 1.0 - (double)i / 100, pop);
    }
}

static int setup(void **state)
{
    struct env *e = mm_xcalloc(1, sizeof(*e));
    char err[MM_ERRLEN];
    e->f = fixture_new(NULL, 0);
    mm_log_set_level(MM_LOG_ERROR);
    mm_snap_holder_open(e->f->cfg->paths.snapshots, 1, &e->holder);
    mm_snap_view_init(&e->view, e->holder);
    assert_int_equal(mm_router_new(mm_handlers_routes, mm_handlers_n_routes, &e->router, err),
                     MM_OK);
    mm_buf_init(&e->body, BODY_CAP);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    mm_buf_cleanup(&e->body);
    mm_router_free(e->router);
    mm_snap_view_cleanup(&e->view);
    mm_snap_holder_close(e->holder);
    fixture_free(e->f);
    free(e);
    return 0;
}

/* Publishes the state and makes the holder serve it. */
static void publish(struct env *e)
{
    char err[MM_ERRLEN];
    add_state(e->f);
    assert_int_equal(fixture_publish(e->f, "r1"), MM_OK);
    assert_int_equal(mm_snap_holder_poll(e->holder, err), MM_OK);
}

/* Answers `method target` as a worker does; r->json is the parsed body. */
static void request(struct env *e, const char *method, const char *target, struct reply *r)
{
    static struct mm_http_request req;
    static struct mm_route_match match;
    struct mm_http_parser p;
    struct mm_http_response res;
    size_t used;
    char *text = mm_xasprintf("%s %s HTTP/1.1\r\n\r\n", method, target);
    mm_http_parser_init(&p);
    assert_int_equal(mm_http_parse(&p, text, strlen(text), &req, &used), MM_OK);
    mm_snap_view_refresh(&e->view);
    mm_router_dispatch(e->router, &req, &e->view, &match, &e->body, &res);
    json_error_t jerr;
    r->status = res.status;
    r->content_length = res.content_length;
    r->json = json_loadb(e->body.data, e->body.len, 0, &jerr);
    if (!r->json)
        fail_msg("%s %s: body is not JSON (%s): %s", method, target, jerr.text, e->body.data);
    assert_int_equal(res.content_length, e->body.len);
    free(text);
}

static void reply_free(struct reply *r)
{
    json_decref(r->json);
}

/* Asserts an error reply with this status, error_code and message. */
static void expect_error(struct env *e, const char *target, int status, const char *code,
                         const char *message)
{
    struct reply r;
    request(e, "GET", target, &r);
    if (r.status != status)
        fail_msg("%s: status %d, want %d", target, r.status, status);
    assert_true(json_is_false(json_object_get(r.json, "success")));
    assert_string_equal(json_string_value(json_object_get(r.json, "error_code")), code);
    if (message)
        assert_string_equal(json_string_value(json_object_get(r.json, "error")), message);
    reply_free(&r);
}

/* Asserts a 200 lookup reply naming track `key` and mention key `match`. */
static void expect_lookup(struct env *e, const char *target, const char *key, const char *match)
{
    struct reply r;
    request(e, "GET", target, &r);
    if (r.status != 200)
        fail_msg("%s: status %d: %s", target, r.status, e->body.data);
    assert_true(json_is_true(json_object_get(r.json, "success")));
    json_t *track = json_object_get(r.json, "track");
    assert_string_equal(json_string_value(json_object_get(track, "key")), key);
    assert_null(json_object_get(track, "v"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "match"), "key")),
                        match);
    reply_free(&r);
}

static void test_lookup(void **state)
{
    struct env *e = *state;
    publish(e);
    /* a resolved mention */
    expect_lookup(e, "/v1/tracks/lookup?artist=Nine+Inch+Nails&title=Hurt", "spotify:hurt",
                  "nine inch nails\x1fhurt");
    /* the catalog's own spelling, normalised like a mention */
    expect_lookup(e, "/v1/tracks/lookup?title=YESTERDAY%20(Remastered)&artist=the%20beatles",
                  "isrc:GBAYE0601498", "beatles\x1fyesterday");
    expect_lookup(e, "/v1/tracks/lookup?artist=Johnny%20Cash%20feat.%20X&title=Hurt",
                  "spotify:hurt", "johnny cash\x1fhurt");
    /* no artist: the songs the app stored without one */
    expect_lookup(e, "/v1/tracks/lookup?title=Untitled", "itunes:a b/c", "\x1funtitled");
    expect_lookup(e, "/v1/tracks/lookup?artist=&title=untitled!", "itunes:a b/c", "\x1funtitled");

    struct reply r;
    request(e, "GET", "/v1/tracks/lookup?artist=Nine+Inch+Nails&title=Hurt", &r);
    json_t *track = json_object_get(r.json, "track");
    assert_string_equal(json_string_value(json_object_get(track, "title")), "Hurt");
    assert_string_equal(json_string_value(json_array_get(json_object_get(track, "artists"), 0)),
                        "Johnny Cash");
    assert_int_equal(json_integer_value(json_object_get(track, "popularity")), 60);
    size_t get_len = r.content_length;
    reply_free(&r);
    request(e, "HEAD", "/v1/tracks/lookup?artist=Nine+Inch+Nails&title=Hurt", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, get_len);
    reply_free(&r);
}

static void test_lookup_errors(void **state)
{
    struct env *e = *state;
    char target[4096];
    publish(e);
    expect_error(e, "/v1/tracks/lookup?artist=Nobody&title=Hurt", 404, "NOT_FOUND",
                 "no track for artist \"Nobody\" and title \"Hurt\"");
    expect_error(e, "/v1/tracks/lookup?title=Hurt", 404, "NOT_FOUND",
                 "no track for title \"Hurt\" without an artist");
    expect_error(e, "/v1/tracks/lookup?artist=Johnny+Cash", 400, "BAD_PARAMETER",
                 "query parameter title: required");
    expect_error(e, "/v1/tracks/lookup?artist=Johnny+Cash&title=", 400, "BAD_PARAMETER",
                 "query parameter title: required");
    expect_error(e, "/v1/tracks/lookup", 400, "BAD_PARAMETER", "query parameter title: required");
    expect_error(e, "/v1/tracks/lookup?title=%zz", 400, "BAD_PARAMETER",
                 "query parameter title: bad percent-encoding");
    expect_error(e, "/v1/tracks/lookup?title=x&artist=%00", 400, "BAD_PARAMETER",
                 "query parameter artist: bad percent-encoding");
    /* a name longer than any stored key: not found, value cut in the message */
    int n = snprintf(target, sizeof(target), "/v1/tracks/lookup?artist=A&title=");
    memset(target + n, 'x', 3000);
    target[n + 3000] = '\0';
    expect_error(e, target, 404, "NOT_FOUND",
                 "no track for artist \"A\" and title "
                 "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
}

static void test_track_get(void **state)
{
    struct env *e = *state;
    struct reply r;
    char target[1024];
    publish(e);
    request(e, "GET", "/v1/tracks/isrc%3AGBAYE0601498", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "success")));
    json_t *t = json_object_get(r.json, "track");
    assert_string_equal(json_string_value(json_object_get(t, "key")), "isrc:GBAYE0601498");
    assert_string_equal(json_string_value(json_object_get(t, "title")),
                        "Yesterday - Remastered 2009");
    assert_int_equal(json_object_size(r.json), 2);
    reply_free(&r);
    request(e, "GET", "/v1/tracks/itunes:a%20b%2Fc", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(json_object_get(r.json, "track"), "popularity")));
    reply_free(&r);
    request(e, "HEAD", "/v1/tracks/spotify:hurt", &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    expect_error(e, "/v1/tracks/spotify:nope", 404, "NOT_FOUND",
                 "track \"spotify:nope\" not found");
    expect_error(e, "/v1/tracks/", 400, "BAD_PARAMETER", "path parameter key: required");
    int n = snprintf(target, sizeof(target), "/v1/tracks/");
    memset(target + n, 'k', 600);
    target[n + 600] = '\0';
    expect_error(e, target, 404, "NOT_FOUND", NULL);
    expect_error(e, "/v1/tracks/%zz", 400, "PARSE_ERROR", NULL);
}

/* The popularity of each track a mood reply lists, in order, as "a,b,..". */
static char *listed(const struct reply *r)
{
    struct mm_buf b;
    mm_buf_init(&b, 4096);
    json_t *tracks = json_object_get(r->json, "tracks");
    for (size_t i = 0; i < json_array_size(tracks); i++) {
        json_t *pop =
            json_object_get(json_object_get(json_array_get(tracks, i), "track"), "popularity");
        if (json_is_null(pop))
            assert_int_equal(mm_buf_printf(&b, "%snull", i ? "," : ""), MM_OK);
        else
            assert_int_equal(
                mm_buf_printf(&b, "%s%lld", i ? "," : "", (long long)json_integer_value(pop)),
                MM_OK);
    }
    return b.data ? mm_buf_take(&b) : mm_xstrdup("");
}

/* Asserts the popularity values listed for `target` and the band echoed back. */
static void expect_band(struct env *e, const char *target, const char *label, int min, int max,
                        const char *pops_listed)
{
    struct reply r;
    request(e, "GET", target, &r);
    if (r.status != 200)
        fail_msg("%s: status %d: %s", target, r.status, e->body.data);
    json_t *band = json_object_get(r.json, "popularity");
    if (label) {
        assert_string_equal(json_string_value(json_object_get(band, "label")), label);
        assert_int_equal(json_integer_value(json_object_get(band, "min")), min);
        assert_int_equal(json_integer_value(json_object_get(band, "max")), max);
    } else {
        assert_true(json_is_null(band));
    }
    char *got = listed(&r);
    if (strcmp(got, pops_listed) != 0)
        fail_msg("%s: listed %s, want %s", target, got, pops_listed);
    free(got);
    reply_free(&r);
}

static void test_mood_tracks(void **state)
{
    struct env *e = *state;
    struct reply r;
    publish(e);
    request(e, "GET", "/v1/moods/chill/tracks", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "success")));
    assert_string_equal(json_string_value(json_object_get(r.json, "mood")), "chill");
    assert_true(json_is_null(json_object_get(r.json, "popularity")));
    json_t *tracks = json_object_get(r.json, "tracks");
    assert_int_equal(json_array_size(tracks), 3);
    json_t *first = json_array_get(tracks, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "rank")), 1);
    assert_true(json_real_value(json_object_get(first, "fit")) == 0.93);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "track"), "key")),
                        "spotify:hurt");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tracks, 2), "rank")), 3);
    assert_non_null(strstr(e->body.data, "\"fit\":0.875,"));
    size_t get_len = r.content_length;
    reply_free(&r);
    request(e, "HEAD", "/v1/moods/chill/tracks", &r);
    assert_int_equal(r.content_length, get_len);
    reply_free(&r);

    /* aliases, case, punctuation and percent-encoding reach the mood's name */
    expect_band(e, "/v1/moods/Relaxed/tracks?limit=2", NULL, 0, 0, "60,null");
    expect_band(e, "/v1/moods/CHILL!/tracks?limit=1", NULL, 0, 0, "60");
    expect_band(e, "/v1/moods/Bands/tracks?limit=100&popularity=Any", NULL, 0, 0,
                "0,9,10,34,35,41,42,44,45,64,65,69,70,79,80,84,85,94,95,100,null");
    /* a configured mood without a ranking is known, and empty */
    expect_band(e, "/v1/moods/sad/tracks", NULL, 0, 0, "");
    request(e, "GET", "/v1/moods/melanc%C3%B3lico%20x/tracks", &r);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    expect_error(e, "/v1/moods/happy%20go%20lucky/tracks", 404, "NOT_FOUND",
                 "unknown mood \"happy go lucky\"");
    expect_error(e, "/v1/moods/%2F/tracks", 404, "NOT_FOUND", "unknown mood \"/\"");
}

static void test_mood_bands(void **state)
{
    struct env *e = *state;
    publish(e);
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=Global%20%2F%20Superstar",
                "Global / Superstar", 85, 100, "85,94,95,100");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=superstar", "Global / Superstar",
                85, 100, "85,94,95,100");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=GLOBAL", "Global / Superstar", 85,
                100, "85,94,95,100");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=Hot/Established",
                "Hot / Established", 70, 94, "70,79,80,84,85,94");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=established", "Hot / Established",
                70, 94, "70,79,80,84,85,94");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=Buzzing+%2F+Moderate",
                "Buzzing / Moderate", 45, 79, "45,64,65,69,70,79");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=moderate", "Buzzing / Moderate", 45,
                79, "45,64,65,69,70,79");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=growing", "Growing", 10, 64,
                "10,34,35,41,42,44,45,64");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=Rising", "Rising", 0, 41,
                "0,9,10,34,35,41");
    expect_band(e, "/v1/moods/bands/tracks?limit=100&popularity=under%20the%20radar",
                "Under the Radar", 0, 34, "0,9,10,34");
    expect_band(e, "/v1/moods/bands/tracks?popularity=Under-The-Radar&limit=2", "Under the Radar",
                0, 34, "0,9");
    expect_band(e, "/v1/moods/bands/tracks?popularity=any&limit=3", NULL, 0, 0, "0,9,10");
}

static void test_mood_errors(void **state)
{
    struct env *e = *state;
    static const char *const bad_limits[] = {"0", "101", "abc", "", "-1", "1e2", "99999999999"};
    char target[256];
    publish(e);
    for (size_t i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
        snprintf(target, sizeof(target), "/v1/moods/chill/tracks?limit=%s", bad_limits[i]);
        char *msg = mm_xasprintf("query parameter limit: expected an integer in 1..100, got \"%s\"",
                                 bad_limits[i]);
        expect_error(e, target, 400, "BAD_PARAMETER", msg);
        free(msg);
    }
    expect_band(e, "/v1/moods/bands/tracks?limit=1", NULL, 0, 0, "0");
    expect_band(e, "/v1/moods/bands/tracks", NULL, 0, 0,
                "0,9,10,34,35,41,42,44,45,64,65,69,70,79,80,84,85,94,95,100");
    expect_error(e, "/v1/moods/chill/tracks?popularity=famous", 400, "BAD_PARAMETER",
                 "query parameter popularity: expected one of Any, Global / Superstar, "
                 "Hot / Established, Buzzing / Moderate, Growing, Rising, Under the Radar "
                 "(either part of a two-part label will do), got \"famous\"");
    expect_error(e, "/v1/moods/chill/tracks?popularity=", 400, "BAD_PARAMETER", NULL);
    expect_error(e, "/v1/moods/chill/tracks?popularity=global+hot", 400, "BAD_PARAMETER", NULL);
    expect_error(e, "/v1/moods/chill/tracks?limit=%zz", 400, "BAD_PARAMETER",
                 "query parameter limit: bad percent-encoding");
    /* parameters are checked before the mood */
    expect_error(e, "/v1/moods/nope/tracks?limit=0", 400, "BAD_PARAMETER", NULL);
    /* a ranking that names a track the snapshot lacks fails once it gets there */
    expect_band(e, "/v1/moods/broken/tracks?limit=1", NULL, 0, 0, "60");
    expect_error(e, "/v1/moods/broken/tracks", 500, "CORRUPT",
                 "mood \"broken\" rank 2: corrupt data or checksum mismatch");
}

static void test_no_snapshot(void **state)
{
    struct env *e = *state;
    expect_error(e, "/v1/tracks/lookup?artist=A&title=T", 503, "NO_SNAPSHOT",
                 "no snapshot is loaded");
    expect_error(e, "/v1/tracks/isrc:X", 503, "NO_SNAPSHOT", NULL);
    expect_error(e, "/v1/moods/chill/tracks", 503, "NO_SNAPSHOT", NULL);
    /* parameters first */
    expect_error(e, "/v1/tracks/lookup?artist=A", 400, "BAD_PARAMETER", NULL);
    expect_error(e, "/v1/moods/chill/tracks?limit=0", 400, "BAD_PARAMETER", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_track_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mood_tracks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mood_bands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mood_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_snapshot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
