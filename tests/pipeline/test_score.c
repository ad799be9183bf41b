/* Tests of the score stage (pipeline/score.c, score_features.c,
 * score_requests.c, score_record.c) on hand-built states, with Spotify
 * played by the canned server of tests/data/score: features from Spotify
 * and from Last.fm tags with their source, the 403 switch to tags, the
 * features cache (a rerun makes no request; TTL; --full), mood rankings
 * ordered and capped, each request's songs ranked by fit, the records'
 * round trips, and the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "pipeline/runner.h"
#include "pipeline/score.h"
#include "pipeline/stage.h"
#include "tests/common/http_fixture.h"
#include "tests/pipeline/tracks_fixture.h"

#define ID_ROCK "5T8EDUDqKcs6OSOwEsfqG7" /* Spotify describes it */
#define ID_NONE "0000000000000000000000" /* Spotify has no features for it */
#define ID_SAD "28cnXtME493VX9NOw9cIUh"  /* Spotify describes it */

struct fx {
    char dir[64];
    struct mm_config *cfg;
    struct mm_store *state;
    json_t *counts;
    volatile sig_atomic_t stop;
};

/* A fresh state whose Spotify is the canned `scenario`, with more --set
 * overrides in `sets` (NULL-terminated). */
static struct fx *fx_open(const char *scenario, const char *const *sets)
{
    struct fx *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-test-score-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char *path = mm_xasprintf("%s/moodmusic.json", f->dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("{\"http\": {\"max_attempts\": 1, \"min_wait_ms\": 1, \"max_wait_ms\": 10}}", file);
    assert_int_equal(fclose(file), 0);
    char *url = mm_xasprintf("http://127.0.0.1:%d/canned/spotify/%s", server_port, scenario);
    char *base = mm_xasprintf("providers.spotify.base_url=%s", url);
    char *accounts = mm_xasprintf("providers.spotify.accounts_url=%s", url);
    const char *all[16] = {base, accounts};
    size_t n = 2;
    for (size_t i = 0; sets && sets[i]; i++)
        all[n++] = sets[i];
    struct mm_buf errors;
    mm_buf_init(&errors, 1 << 16);
    if (mm_config_load(path, all, n, &f->cfg, &errors) != MM_OK)
        fail_msg("config: %s", errors.data ? errors.data : "");
    mm_buf_cleanup(&errors);
    assert_int_equal(mm_runner_open_state(f->cfg, &f->state), MM_OK);
    free(accounts);
    free(base);
    free(url);
    free(path);
    return f;
}

static void fx_close(struct fx *f)
{
    char *files[] = {"state/data.mdb", "state/lock.mdb", "state", "moodmusic.json"};
    mm_store_close(f->state);
    mm_config_free(f->cfg);
    json_decref(f->counts);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = mm_xasprintf("%s/%s", f->dir, files[i]);
        if (unlink(p) != 0)
            assert_int_equal(rmdir(p), 0);
        free(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
}

static mm_err fx_run(struct fx *f, bool full)
{
    json_decref(f->counts);
    f->counts = json_object();
    struct mm_stage_ctx ctx = {.cfg = f->cfg,
                               .state = f->state,
                               .run_id = "r1",
                               .full = full,
                               .counts = f->counts,
                               .stop = &f->stop};
    return mm_stage_score.run(&ctx);
}

static json_int_t count(const struct fx *f, const char *name)
{
    json_t *v = json_object_get(f->counts, name);
    if (!json_is_integer(v))
        fail_msg("no count %s", name);
    return json_integer_value(v);
}

/* --- the state --- */

static void put_track(struct fx *f, const char *key, const char *spotify, const char **tags,
                      size_t n_tags, int64_t popularity)
{
    char *artists[] = {"Someone"};
    struct mm_track t = tf_track(key, key, artists, 1, popularity);
    t.ids[MM_SOURCE_SPOTIFY] = (char *)spotify;
    t.tags = (char **)tags;
    t.n_tags = n_tags;
    tf_put_track(f->state, &t);
}

/* Five tracks: two Spotify describes, one it has nothing for (tags: chill,
 * lo-fi), one without a Spotify id (tags: sad, piano), one with nothing. */
static void put_tracks(struct fx *f)
{
    static const char *rock[] = {"rock"}, *chill[] = {"chill", "Lo-Fi"}, *sad[] = {"sad", "piano"};
    put_track(f, "isrc:AAA1", ID_ROCK, rock, 1, 80);
    put_track(f, "isrc:AAA2", ID_NONE, chill, 2, 40);
    put_track(f, "isrc:AAA3", ID_SAD, NULL, 0, MM_NULL_INT);
    put_track(f, "lastfm:x|y", NULL, sad, 2, MM_NULL_INT);
    put_track(f, "mbid:0f1e", NULL, NULL, 0, 12);
}

/* Track `key` decoded into `a`. */
static struct mm_track get_track(struct fx *f, const char *key, struct mm_arena *a)
{
    struct mm_txn *txn;
    const void *v;
    size_t vl;
    struct mm_track t;
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    assert_int_equal(mm_store_get(txn, mm_store_db(f->state, "tracks"), key, strlen(key), &v, &vl),
                     MM_OK);
    assert_int_equal(mm_track_decode(v, vl, a, &t), MM_OK);
    mm_store_read_end(txn);
    return t;
}

static uint64_t db_count(struct fx *f, const char *db)
{
    struct mm_txn *txn;
    uint64_t n;
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    assert_int_equal(mm_store_count(txn, mm_store_db(f->state, db), &n), MM_OK);
    mm_store_read_end(txn);
    return n;
}

#define ROWS_MAX 16

/* The rows of `mood` in rank order (checked gap-free and ordered); returns
 * how many. Strings in `a`. */
static size_t mood_rows(struct fx *f, const char *mood, struct mm_arena *a,
                        struct mm_mood_row rows[ROWS_MAX])
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl, n = 0, ml = strlen(mood) + 1;
    unsigned char want[600];
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    assert_int_equal(mm_store_cursor_open(txn, mm_store_db(f->state, "moods"), &cur), MM_OK);
    mm_err err = mm_store_cursor_seek(cur, mood, ml, &k, &kl, &v, &vl);
    while (err == MM_OK && kl == ml + 4 && memcmp(k, mood, ml) == 0) {
        assert_true(n < ROWS_MAX);
        assert_int_equal(tf_mood_key(mood, (uint32_t)n, want), kl);
        assert_memory_equal(k, want, kl);
        assert_int_equal(mm_score_mood_row_decode(v, vl, a, &rows[n]), MM_OK);
        if (n > 0) {
            const struct mm_mood_row *p = &rows[n - 1], *r = &rows[n];
            assert_true(p->fit >= r->fit);
            if (p->fit == r->fit)
                assert_true(p->popularity != MM_NULL_INT &&
                            (r->popularity == MM_NULL_INT || p->popularity >= r->popularity));
        }
        n++;
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    mm_store_cursor_close(cur);
    mm_store_read_end(txn);
    return n;
}

/* --- tests --- */

/* Spotify features where Spotify has them, tag features elsewhere, each
 * marked with its source; mood rankings ordered; a rerun asks nothing. */
static void test_features_and_rankings(void **state)
{
    (void)state;
    struct fx *f = fx_open("features", NULL);
    put_tracks(f);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "tracks"), 5);
    assert_int_equal(count(f, "with_spotify_features"), 2);
    assert_int_equal(count(f, "with_tag_features"), 2);
    assert_int_equal(count(f, "without_features"), 1);
    assert_int_equal(count(f, "features_requested"), 3);
    assert_int_equal(count(f, "features_found"), 2);
    assert_int_equal(count(f, "features_none"), 1);
    assert_int_equal(count(f, "spotify_unavailable"), 0);
    assert_int_equal(count(f, "http_requests"), 2); /* token + one features request */
    assert_int_equal(count(f, "moods"), 44);
    assert_int_equal(count(f, "mood_rows"), 44 * 4);
    assert_int_equal(db_count(f, "features"), 3);

    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_track t = get_track(f, "isrc:AAA1", &a);
    assert_true(t.features.present);
    assert_string_equal(t.features.source, "spotify");
    assert_float_equal(t.features.energy, 0.868, 1e-9);
    assert_float_equal(t.features.tempo, 156.295, 1e-9);
    assert_string_equal(t.title, "isrc:AAA1");
    t = get_track(f, "isrc:AAA2", &a);
    assert_string_equal(t.features.source, "lastfm_tags");
    assert_float_equal(t.features.energy, (0.3 + 0.35 / 2) / 1.5, 1e-9);
    t = get_track(f, "lastfm:x|y", &a);
    assert_string_equal(t.features.source, "lastfm_tags");
    assert_false(t.features.has_tempo);
    t = get_track(f, "mbid:0f1e", &a);
    assert_false(t.features.present);

    struct mm_mood_row rows[ROWS_MAX];
    assert_int_equal(mood_rows(f, "energetic", &a, rows), 4);
    assert_string_equal(rows[0].track, "isrc:AAA1");
    assert_int_equal(rows[0].popularity, 80);
    assert_true(rows[0].fit > 0.85 && rows[0].fit <= 1.0);
    assert_float_equal(rows[0].fit * 1e4, (double)(int64_t)(rows[0].fit * 1e4 + 0.5), 1e-6);
    assert_int_equal(mood_rows(f, "sad", &a, rows), 4);
    assert_string_equal(rows[0].track, "isrc:AAA3");
    assert_int_equal(rows[0].popularity, MM_NULL_INT);
    assert_string_equal(rows[3].track, "isrc:AAA1");

    /* The rerun is served by the cache and writes the same rankings. */
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "features_requested"), 0);
    assert_int_equal(count(f, "http_requests"), 0);
    assert_int_equal(count(f, "with_spotify_features"), 2);
    assert_int_equal(count(f, "mood_rows"), 44 * 4);
    assert_int_equal(db_count(f, "moods"), 44 * 4);
    struct mm_mood_row again[ROWS_MAX];
    assert_int_equal(mood_rows(f, "sad", &a, again), 4);
    assert_string_equal(again[0].track, "isrc:AAA3");
    assert_float_equal(again[0].fit, rows[0].fit, 0);

    /* --full asks again (once per id), still with the same answers. */
    assert_int_equal(fx_run(f, true), MM_OK);
    assert_int_equal(count(f, "features_requested"), 3);
    assert_int_equal(count(f, "with_spotify_features"), 2);
    mm_arena_cleanup(&a);
    fx_close(f);
}

/* 403: Spotify is not asked again in the run, tags stand in, nothing is cached. */
static void test_forbidden_falls_back_to_tags(void **state)
{
    (void)state;
    struct fx *f = fx_open("forbidden", NULL);
    put_tracks(f);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "spotify_unavailable"), 1);
    assert_int_equal(count(f, "features_requested"), 3);
    assert_int_equal(count(f, "features_found"), 0);
    assert_int_equal(count(f, "with_spotify_features"), 0);
    assert_int_equal(count(f, "with_tag_features"), 3); /* AAA1 has the tag "rock" */
    assert_int_equal(count(f, "without_features"), 2);
    assert_int_equal(db_count(f, "features"), 0);
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_track t = get_track(f, "isrc:AAA1", &a);
    assert_string_equal(t.features.source, "lastfm_tags");
    assert_float_equal(t.features.energy, 0.75, 1e-9);
    t = get_track(f, "isrc:AAA3", &a);
    assert_false(t.features.present);
    struct mm_mood_row rows[ROWS_MAX];
    assert_int_equal(mood_rows(f, "chill", &a, rows), 3);
    mm_arena_cleanup(&a);
    fx_close(f);
}

/* Other failures and missing credentials also end in tags, not in an error. */
static void test_spotify_failures(void **state)
{
    (void)state;
    struct fx *f = fx_open("broken", NULL);
    put_tracks(f);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "spotify_unavailable"), 1);
    assert_int_equal(count(f, "with_tag_features"), 3);
    assert_int_equal(db_count(f, "features"), 0);
    fx_close(f);

    f = fx_open("features", NULL);
    put_tracks(f);
    unsetenv("SPOTIPY_CLIENT_SECRET");
    assert_int_equal(fx_run(f, false), MM_OK);
    setenv("SPOTIPY_CLIENT_SECRET", "test-secret", 1);
    assert_int_equal(count(f, "spotify_unavailable"), 1);
    assert_int_equal(count(f, "http_requests"), 0);
    assert_int_equal(count(f, "features_requested"), 0);
    assert_int_equal(count(f, "with_tag_features"), 3);
    fx_close(f);
}

static void put_cached(struct fx *f, const char *id, const struct mm_features *features,
                       int64_t age_days)
{
    struct mm_buf b;
    mm_buf_init(&b, 4096);
    int64_t at = ((int64_t)time(NULL) - age_days * 86400) * 1000000;
    assert_int_equal(mm_score_features_encode(features, at, &b), MM_OK);
    tf_put_raw(f->state, "features", id, strlen(id), b.data, b.len);
    mm_buf_cleanup(&b);
}

/* An entry older than score.features_ttl_days is asked for again; a
 * younger one is not; a stale one still serves when Spotify cannot answer. */
static void test_cache_ttl(void **state)
{
    (void)state;
    const char *sets[] = {"score.features_ttl_days=30", NULL};
    struct mm_features old = {
        .present = true, .source = "spotify", .energy = 0.1, .has_energy = true};
    struct fx *f = fx_open("stale", sets); /* answers for ID_ROCK and ID_SAD only */
    put_tracks(f);
    put_cached(f, ID_ROCK, &old, 40);
    put_cached(f, ID_NONE, NULL, 10);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "features_requested"), 2);
    assert_int_equal(count(f, "spotify_unavailable"), 0);
    assert_int_equal(count(f, "with_spotify_features"), 2);
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_track t = get_track(f, "isrc:AAA1", &a);
    assert_float_equal(t.features.energy, 0.868, 1e-9);
    fx_close(f);

    f = fx_open("forbidden", sets);
    put_tracks(f);
    put_cached(f, ID_ROCK, &old, 40);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "spotify_unavailable"), 1);
    assert_int_equal(count(f, "with_spotify_features"), 1);
    t = get_track(f, "isrc:AAA1", &a);
    assert_string_equal(t.features.source, "spotify");
    assert_float_equal(t.features.energy, 0.1, 1e-12);
    mm_arena_cleanup(&a);
    fx_close(f);
}

/* The cap, the minimum fit, and a mood dropped from the config. */
static void test_rankings_capped(void **state)
{
    (void)state;
    const char *sets[] = {"score.max_tracks_per_mood=2", NULL};
    struct fx *f = fx_open("features", sets);
    put_tracks(f);
    tf_put_mood(f->state, "old mood", 0, "isrc:AAA1", 0.5, 80);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "mood_rows"), 44 * 2);
    assert_int_equal(db_count(f, "moods"), 44 * 2);
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_mood_row rows[ROWS_MAX];
    assert_int_equal(mood_rows(f, "old mood", &a, rows), 0);
    assert_int_equal(mood_rows(f, "energetic", &a, rows), 2);
    assert_string_equal(rows[0].track, "isrc:AAA1");
    double second = rows[1].fit;
    mm_store_close(f->state);
    mm_config_free(f->cfg);
    char *path = mm_xasprintf("%s/moodmusic.json", f->dir);
    char *min = mm_xasprintf("score.min_fit=%.6f", second + 0.00005);
    const char *more[] = {"score.moods.sad=null", min};
    assert_int_equal(mm_config_load(path, more, 2, &f->cfg, NULL), MM_OK);
    assert_int_equal(mm_runner_open_state(f->cfg, &f->state), MM_OK);
    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "http_requests"), 0);
    assert_int_equal(mood_rows(f, "sad", &a, rows), 0);
    assert_int_equal(mood_rows(f, "energetic", &a, rows), 1);
    assert_string_equal(rows[0].track, "isrc:AAA1");
    assert_int_equal(count(f, "mood_rows"), db_count(f, "moods"));
    assert_true(count(f, "moods") < 43);
    free(min);
    free(path);
    mm_arena_cleanup(&a);
    fx_close(f);
}

static void put_request(struct fx *f, uint64_t id, const char *text, const char *mood)
{
    struct mm_analysis an = {.mood = (char *)mood, .raw = "{}"};
    struct mm_request r = {.id = id,
                           .user_id = MM_NULL_INT,
                           .text = (char *)text,
                           .num_songs = 3,
                           .analysis = mood ? &an : NULL,
                           .created_at_us = 1,
                           .src = "t:1"};
    struct mm_buf b;
    unsigned char key[8];
    mm_buf_init(&b, 1 << 16);
    assert_int_equal(mm_codec_request_encode(&r, &b), MM_OK);
    mm_store_u64_key(id, key);
    tf_put_raw(f->state, "requests", key, 8, b.data, b.len);
    mm_buf_cleanup(&b);
}

static void put_song(struct fx *f, uint64_t request, uint64_t id, int64_t position,
                     const char *title, const char *artist)
{
    struct mm_song s = {.id = id,
                        .request_id = request,
                        .user_id = MM_NULL_INT,
                        .position = position,
                        .title = (char *)title,
                        .artist = (char *)artist,
                        .duration_ms = MM_NULL_INT,
                        .created_at_us = 1,
                        .src = "t:2"};
    struct mm_buf b;
    unsigned char key[16];
    mm_buf_init(&b, 1 << 16);
    assert_int_equal(mm_codec_song_encode(&s, &b), MM_OK);
    mm_store_u64_key(request, key);
    mm_store_u64_key(id, key + 8);
    tf_put_raw(f->state, "songs", key, 16, b.data, b.len);
    mm_buf_cleanup(&b);
}

static bool get_fit(struct fx *f, uint64_t id, struct mm_arena *a, struct mm_request_fit *out)
{
    struct mm_txn *txn;
    const void *v;
    size_t vl;
    unsigned char key[8];
    mm_store_u64_key(id, key);
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    mm_err err = mm_store_get(txn, mm_store_db(f->state, "song_fit"), key, 8, &v, &vl);
    if (err == MM_OK)
        assert_int_equal(mm_score_request_fit_decode(v, vl, a, out), MM_OK);
    else
        assert_int_equal(err, MM_ENOTFOUND);
    mm_store_read_end(txn);
    return err == MM_OK;
}

/* Each request's songs re-ranked by their fit to its mood. */
static void test_requests_ranked(void **state)
{
    (void)state;
    struct fx *f = fx_open("features", NULL);
    put_tracks(f);
    put_request(f, 1, "something to move to", "Energetic!!");
    put_song(f, 1, 10, 1, "Sad Song", "X");
    put_song(f, 1, 11, 2, "Rock Song", "Y");
    put_song(f, 1, 12, 3, "Nobody Knows", "Z");
    tf_put_mention(f->state, "Sad Song", "X", MM_MENTION_RESOLVED, "lastfm:x|y");
    tf_put_mention(f->state, "Rock Song", "Y", MM_MENTION_RESOLVED, "isrc:AAA1");
    tf_put_mention(f->state, "Nobody Knows", "Z", MM_MENTION_UNRESOLVED, NULL);
    put_request(f, 2, "sad rainy day songs", NULL);
    put_song(f, 2, 20, 1, "Silent", "Q");
    tf_put_mention(f->state, "Silent", "Q", MM_MENTION_RESOLVED, "mbid:0f1e");
    put_request(f, 3, "qqq", "zzz");
    put_song(f, 3, 30, 1, "Nobody Knows", "Z");
    struct mm_request_fit stale = {"chill", MM_MOOD_EXACT, NULL, 0};
    struct mm_buf b;
    unsigned char key[8];
    mm_buf_init(&b, 4096);
    assert_int_equal(mm_score_request_fit_encode(&stale, &b), MM_OK);
    mm_store_u64_key(3, key);
    tf_put_raw(f->state, "song_fit", key, 8, b.data, b.len);
    mm_buf_cleanup(&b);

    assert_int_equal(fx_run(f, false), MM_OK);
    assert_int_equal(count(f, "requests_ranked"), 2);
    assert_int_equal(count(f, "requests_default_mood"), 0);
    assert_int_equal(count(f, "songs_fitted"), 2);
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_request_fit rf;
    assert_true(get_fit(f, 1, &a, &rf));
    assert_string_equal(rf.mood, "energetic");
    assert_int_equal(rf.match, MM_MOOD_EXACT);
    assert_int_equal(rf.n_songs, 3);
    assert_int_equal(rf.songs[0].song_id, 11); /* the rock track fits best */
    assert_string_equal(rf.songs[0].track, "isrc:AAA1");
    assert_true(rf.songs[0].has_fit && rf.songs[1].has_fit);
    assert_true(rf.songs[0].fit > rf.songs[1].fit);
    assert_int_equal(rf.songs[1].song_id, 10);
    assert_int_equal(rf.songs[1].position, 1);
    assert_int_equal(rf.songs[2].song_id, 12);
    assert_null(rf.songs[2].track);
    assert_false(rf.songs[2].has_fit);
    /* No analysis: the text maps the mood; a track without features has no fit. */
    assert_true(get_fit(f, 2, &a, &rf));
    assert_string_equal(rf.mood, "rainy day");
    assert_int_equal(rf.match, MM_MOOD_WORDS);
    assert_int_equal(rf.n_songs, 1);
    assert_string_equal(rf.songs[0].track, "mbid:0f1e");
    assert_false(rf.songs[0].has_fit);
    /* No song resolved: no entry, and the stale one is gone. */
    assert_false(get_fit(f, 3, &a, &rf));
    mm_arena_cleanup(&a);
    fx_close(f);
}

static void test_errors(void **state)
{
    (void)state;
    const char *bad[] = {"score.default_mood=nope", NULL};
    struct fx *f = fx_open("features", bad);
    assert_int_equal(fx_run(f, false), MM_ECONFIG);
    fx_close(f);
    const char *big[] = {"score.max_tracks_per_mood=100000", NULL}; /* x 44 moods */
    f = fx_open("features", big);
    assert_int_equal(fx_run(f, false), MM_ECONFIG);
    fx_close(f);
    f = fx_open("features", NULL);
    put_tracks(f);
    tf_put_raw(f->state, "tracks", "isrc:BAD", 8, "\x81\xa1v\x09", 4);
    assert_int_equal(fx_run(f, false), MM_ESCHEMA);
    f->stop = 1;
    assert_int_equal(fx_run(f, false), MM_EINTERRUPTED);
    fx_close(f);
}

static void test_records(void **state)
{
    (void)state;
    struct mm_arena a;
    struct mm_buf b;
    mm_arena_init(&a, 4096);
    mm_buf_init(&b, 4096);
    struct mm_features f = {.present = true,
                            .source = "spotify",
                            .valence = 0.25,
                            .has_valence = true,
                            .loudness = -7.5,
                            .has_loudness = true},
                       g;
    int64_t at = 0;
    assert_int_equal(mm_score_features_encode(&f, 123, &b), MM_OK);
    assert_int_equal(mm_score_features_decode(b.data, b.len, &g, &at), MM_OK);
    assert_int_equal(at, 123);
    assert_true(g.present && g.has_valence && g.has_loudness && !g.has_energy);
    assert_float_equal(g.loudness, -7.5, 0);
    assert_string_equal(g.source, "spotify");
    mm_buf_reset(&b);
    assert_int_equal(mm_score_features_encode(NULL, 5, &b), MM_OK);
    assert_int_equal(mm_score_features_decode(b.data, b.len, &g, &at), MM_OK);
    assert_false(g.present);
    assert_int_equal(mm_score_features_decode(b.data, b.len - 1, &g, &at), MM_ECORRUPT);
    assert_int_equal(mm_score_features_decode("\x81\xa1v\x02", 4, &g, &at), MM_ESCHEMA);
    assert_int_equal(mm_score_features_decode("\x81\xa1v\x01", 4, &g, &at), MM_ECORRUPT);

    mm_buf_reset(&b);
    struct mm_mood_row row = {"isrc:A", 0.75, MM_NULL_INT}, r2;
    assert_int_equal(mm_score_mood_row_encode(&row, &b), MM_OK);
    assert_int_equal(mm_score_mood_row_decode(b.data, b.len, &a, &r2), MM_OK);
    assert_string_equal(r2.track, "isrc:A");
    assert_int_equal(r2.popularity, MM_NULL_INT);
    struct mm_buf json;
    mm_buf_init(&json, 4096);
    assert_int_equal(mm_codec_render_json(b.data, b.len, &json), MM_OK);
    assert_string_equal(json.data, "{\"track\":\"isrc:A\",\"fit\":0.75,\"popularity\":null}");
    mm_buf_cleanup(&json);

    unsigned char key[600];
    assert_int_equal(tf_mood_key("rainy day", 258, key), 14);
    assert_memory_equal(key, "rainy day\0\0\0\x01\x02", 14);

    struct mm_buf tiny;
    mm_buf_init(&tiny, 8);
    assert_int_equal(mm_score_mood_row_encode(&row, &tiny), MM_ETOOBIG);
    assert_int_equal(tiny.len, 0);
    mm_buf_cleanup(&tiny);
    mm_buf_cleanup(&b);
    mm_arena_cleanup(&a);
}

static int setup(void **state)
{
    (void)state;
    setenv("SPOTIPY_CLIENT_ID", "test-id", 1);
    setenv("SPOTIPY_CLIENT_SECRET", "test-secret", 1);
    return spawn_server("tests/data/score");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_and_rankings),
        cmocka_unit_test(test_forbidden_falls_back_to_tags),
        cmocka_unit_test(test_spotify_failures),
        cmocka_unit_test(test_cache_ttl),
        cmocka_unit_test(test_rankings_capped),
        cmocka_unit_test(test_requests_ranked),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests(tests, setup, stop_server);
}
