/* Tests of the enrich stage (pipeline/enrich.c, enrich_walk.c, enrich_scan.c,
 * enrich_list.c) against the API simulator: statuses and counts that
 * reconcile, fall-through to later providers, a warm rerun without any HTTP
 * request, a provider disabled after FAILED and one skipped for a missing
 * secret, TTL expiry, retryable mentions listed and resolved by the next run,
 * max_mentions, the stop flag with a resumed run, MusicBrainz's rate, and
 * the circuit breaker of an unreachable provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "tests/pipeline/enrich_fixture.h"

/* Songs of the simulator's catalog by where they can be found. */
static const struct song_spec catalog_songs[] = {
    {"Aruarian Dance", "Nujabes"},      /* every provider */
    {"aruarian dance", "nujabes"},      /* the same mention */
    {"Aruarian Dance", "Nujabes"},      /* and a third song of it */
    {"harbor", "violet horizon."},      /* MusicBrainz only */
    {"Strange Signal", "Nadia Sharma"}, /* Last.fm only */
    {"Falling Apart", "Ana Reyes"},     /* iTunes only */
    {"Desert", "Léa Rossi"},            /* nowhere */
    {"???", "Nujabes"},                 /* nothing to search for */
};
#define N_CATALOG (sizeof(catalog_songs) / sizeof(catalog_songs[0]))

static void assert_status(struct mm_store *st, const char *title, const char *artist,
                          enum mm_mention_status want, int source)
{
    struct mm_arena a;
    struct mm_mention_record m;
    mm_arena_init(&a, 4096);
    assert_true(get_mention(st, title, artist, &a, &m));
    if (m.status != want)
        fail_msg("\"%s\": status %s, want %s", title, mm_mention_status_name(m.status),
                 mm_mention_status_name(want));
    if (want == MM_MENTION_RESOLVED) {
        assert_int_equal(m.source, source);
        assert_non_null(m.track);
    }
    mm_arena_cleanup(&a);
}

static void test_resolves_falls_through_and_caches(void **state)
{
    (void)state;
    json_t *c;
    sim_configure(SIM_QUIET);
    struct mm_config *cfg = enrich_config("resolve", NULL, 0);
    struct mm_store *st = state_with_songs(cfg, catalog_songs, N_CATALOG, 1);
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "songs_scanned"), N_CATALOG);
    assert_int_equal(count_of(c, "mentions_total"), 6);
    assert_int_equal(count_of(c, "looked_up"), 6);
    assert_int_equal(count_of(c, "resolved"), 4);
    assert_int_equal(count_of(c, "unresolved"), 2);
    assert_int_equal(count_of(c, "pending"), 0);
    assert_reconciles(c);
    assert_true(count_of(c, "http_requests") > 0);
    json_t *by = json_object_get(c, "by_source");
    assert_int_equal(json_integer_value(json_object_get(by, "spotify")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "musicbrainz")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "lastfm")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "itunes")), 1);
    json_decref(c);

    assert_status(st, "Aruarian Dance", "Nujabes", MM_MENTION_RESOLVED, MM_SOURCE_SPOTIFY);
    assert_status(st, "harbor", "violet horizon.", MM_MENTION_RESOLVED, MM_SOURCE_MUSICBRAINZ);
    assert_status(st, "Strange Signal", "Nadia Sharma", MM_MENTION_RESOLVED, MM_SOURCE_LASTFM);
    assert_status(st, "Falling Apart", "Ana Reyes", MM_MENTION_RESOLVED, MM_SOURCE_ITUNES);
    assert_status(st, "Desert", "Léa Rossi", MM_MENTION_UNRESOLVED, 0);
    assert_status(st, "???", "Nujabes", MM_MENTION_UNRESOLVED, 0);

    struct mm_arena a;
    struct mm_mention_record m;
    mm_arena_init(&a, 4096);
    assert_true(get_mention(st, "Aruarian Dance", "Nujabes", &a, &m));
    assert_int_equal(m.songs, 3);
    assert_string_equal(m.title, "Aruarian Dance");
    assert_string_equal(m.counted_run, "r1");
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.providers[MM_SOURCE_SPOTIFY].outcome, MM_OUTCOME_FOUND);
    assert_int_equal(m.providers[MM_SOURCE_MUSICBRAINZ].outcome, MM_OUTCOME_NONE);
    /* Every provider answered for the song nobody has, each with its reason. */
    assert_true(get_mention(st, "Desert", "Léa Rossi", &a, &m));
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        assert_int_equal(m.providers[s].outcome, MM_OUTCOME_NOT_FOUND);
        assert_non_null(m.providers[s].reason);
    }
    mm_arena_cleanup(&a);

    /* A warm rerun, incremental then --full, asks nothing over HTTP. */
    sim_configure(SIM_QUIET);
    assert_int_equal(run_enrich(cfg, st, "r2", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "http_requests"), 0);
    assert_int_equal(count_of(c, "looked_up"), 0);
    assert_int_equal(count_of(c, "resolved"), 4);
    assert_reconciles(c);
    json_decref(c);
    assert_int_equal(run_enrich(cfg, st, "r3", true, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "http_requests"), 0);
    assert_int_equal(count_of(c, "looked_up"), 6);
    assert_true(count_of(c, "cache_hits") >= 10);
    assert_int_equal(count_of(c, "resolved"), 4);
    assert_int_equal(count_of(c, "unresolved"), 2);
    json_decref(c);
    assert_int_equal(sim_requests("spotify") + sim_requests("musicbrainz") +
                         sim_requests("lastfm") + sim_requests("itunes") +
                         sim_requests("spotify-accounts"),
                     0);
    assert_status(st, "harbor", "violet horizon.", MM_MENTION_RESOLVED, MM_SOURCE_MUSICBRAINZ);
    mm_store_close(st);
    mm_config_free(cfg);
}

static void test_failed_provider_is_disabled(void **state)
{
    (void)state;
    static const struct song_spec songs[] = {
        {"Aruarian Dance", "Nujabes"}, {"Luv(sic.) Part 3", "Nujabes"}, {"Desert", "Léa Rossi"}};
    json_t *c;
    sim_configure(SIM_QUIET);
    setenv("SPOTIPY_CLIENT_SECRET", "not-the-secret", 1);
    unsetenv("LASTFM_API_KEY");
    struct mm_config *cfg = enrich_config("failed", NULL, 0);
    struct mm_store *st = state_with_songs(cfg, songs, 3, 1);
    log_clear();
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    /* One line each: the skipped provider, the disabled one. */
    assert_int_equal(log_lines_with("provider lastfm skipped: LASTFM_API_KEY is not set"), 1);
    assert_int_equal(log_lines_with("provider spotify cannot work and is disabled"), 1);
    assert_int_equal(log_lines_with("not-the-secret"), 0);
    json_t *disabled = json_object_get(c, "providers_disabled");
    json_t *unavailable = json_object_get(c, "providers_unavailable");
    assert_int_equal(json_array_size(disabled), 1);
    assert_string_equal(json_string_value(json_array_get(disabled, 0)), "spotify");
    assert_int_equal(json_array_size(unavailable), 1);
    assert_string_equal(json_string_value(json_array_get(unavailable, 0)), "lastfm");
    assert_int_equal(count_of(c, "resolved"), 2);
    assert_int_equal(count_of(c, "unresolved"), 1);
    assert_reconciles(c);
    json_decref(c);
    assert_status(st, "Aruarian Dance", "Nujabes", MM_MENTION_RESOLVED, MM_SOURCE_MUSICBRAINZ);
    struct mm_arena a;
    struct mm_mention_record m;
    mm_arena_init(&a, 4096);
    assert_true(get_mention(st, "Desert", "Léa Rossi", &a, &m));
    assert_int_equal(m.providers[MM_SOURCE_SPOTIFY].outcome, MM_OUTCOME_FAILED);
    assert_int_equal(m.providers[MM_SOURCE_MUSICBRAINZ].outcome, MM_OUTCOME_NOT_FOUND);
    assert_int_equal(m.providers[MM_SOURCE_LASTFM].outcome, MM_OUTCOME_NONE);
    assert_int_equal(m.providers[MM_SOURCE_ITUNES].outcome, MM_OUTCOME_NOT_FOUND);

    /* With its secret back, Spotify is asked what it could not answer. */
    setenv("SPOTIPY_CLIENT_SECRET", SIM_CLIENT_SECRET, 1);
    assert_int_equal(run_enrich(cfg, st, "r2", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "looked_up"), 3);
    assert_int_equal(json_array_size(json_object_get(c, "providers_disabled")), 0);
    assert_reconciles(c);
    json_decref(c);
    assert_status(st, "Aruarian Dance", "Nujabes", MM_MENTION_RESOLVED, MM_SOURCE_SPOTIFY);
    assert_true(get_mention(st, "Desert", "Léa Rossi", &a, &m));
    assert_int_equal(m.providers[MM_SOURCE_SPOTIFY].outcome, MM_OUTCOME_NOT_FOUND);
    mm_arena_cleanup(&a);
    setenv("LASTFM_API_KEY", SIM_LASTFM_KEY, 1);
    mm_store_close(st);
    mm_config_free(cfg);
}

struct age_ctx {
    struct mm_store *st;
    struct mm_buf key; /* the mention key */
    enum mm_source source;
    int64_t at_us;
};

/* Moves the cached answer of one provider for one mention back in time, in
 * its cache entry and in the mention record alike. */
static mm_err age_answer(struct mm_txn *txn, void *arg)
{
    struct age_ctx *c = arg;
    unsigned db_res = mm_store_db(c->st, "resolutions"), db_men = mm_store_db(c->st, "mentions");
    struct mm_arena a;
    struct mm_buf rk, val;
    struct mm_resolution r;
    struct mm_mention_record m;
    const void *v;
    size_t vl;
    mm_arena_init(&a, 4096);
    mm_buf_init(&rk, 1024);
    mm_buf_init(&val, 1 << 20);
    mm_err err = mm_enrich_resolution_key(c->source, c->key.data, c->key.len, &rk);
    if (!err)
        err = mm_store_get(txn, db_res, rk.data, rk.len, &v, &vl);
    if (!err)
        err = mm_enrich_resolution_decode(v, vl, &a, &r);
    r.fetched_at_us = c->at_us;
    if (!err)
        err = mm_enrich_resolution_encode(&r, &val);
    if (!err)
        err = mm_store_put(txn, db_res, rk.data, rk.len, val.data, val.len);
    if (!err)
        err = mm_store_get(txn, db_men, c->key.data, c->key.len, &v, &vl);
    if (!err)
        err = mm_enrich_mention_decode(v, vl, &a, &m);
    m.providers[c->source].at_us = c->at_us;
    mm_buf_reset(&val);
    if (!err)
        err = mm_enrich_mention_encode(&m, &val);
    if (!err)
        err = mm_store_put(txn, db_men, c->key.data, c->key.len, val.data, val.len);
    mm_buf_cleanup(&val);
    mm_buf_cleanup(&rk);
    mm_arena_cleanup(&a);
    return err;
}

static void age(struct mm_store *st, const char *title, const char *artist, enum mm_source s,
                int64_t days)
{
    struct age_ctx c = {.st = st, .source = s};
    c.at_us = (int64_t)time(NULL) * 1000000 - days * 86400 * 1000000;
    mm_buf_init(&c.key, MM_MENTION_KEY_MAX);
    assert_int_equal(mm_enrich_mention_key(title, artist, &c.key), MM_OK);
    assert_int_equal(mm_store_write(st, age_answer, &c), MM_OK);
    mm_buf_cleanup(&c.key);
}

static void test_ttl_expiry(void **state)
{
    (void)state;
    json_t *c;
    struct mm_arena a;
    struct mm_mention_record m;
    sim_configure(SIM_QUIET);
    const char *sets[] = {"providers.musicbrainz.negative_ttl_days=5"};
    struct mm_config *cfg = enrich_config("ttl", sets, 1);
    struct mm_store *st = state_with_songs(cfg, catalog_songs, N_CATALOG, 1);
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    json_decref(c);

    /* A found answer younger than ttl_days (30) and a "not found" younger
     * than negative_ttl_days stay; nothing is asked. */
    age(st, "Aruarian Dance", "Nujabes", MM_SOURCE_SPOTIFY, 29);
    age(st, "harbor", "violet horizon.", MM_SOURCE_SPOTIFY, 2);
    age(st, "Desert", "Léa Rossi", MM_SOURCE_MUSICBRAINZ, 4);
    assert_int_equal(run_enrich(cfg, st, "r2", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "http_requests"), 0);
    json_decref(c);

    /* Past them, exactly those answers are fetched again. */
    age(st, "Aruarian Dance", "Nujabes", MM_SOURCE_SPOTIFY, 31);
    age(st, "harbor", "violet horizon.", MM_SOURCE_SPOTIFY, 4);
    age(st, "Desert", "Léa Rossi", MM_SOURCE_MUSICBRAINZ, 6);
    sim_configure(SIM_QUIET);
    assert_int_equal(run_enrich(cfg, st, "r3", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "looked_up"), 3);
    assert_int_equal(count_of(c, "resolved"), 4);
    assert_reconciles(c);
    json_decref(c);
    assert_true(sim_requests("spotify") >= 2);
    assert_true(sim_requests("musicbrainz") >= 1);
    assert_int_equal(sim_requests("lastfm") + sim_requests("itunes"), 0);
    mm_arena_init(&a, 4096);
    assert_true(get_mention(st, "Aruarian Dance", "Nujabes", &a, &m));
    assert_true(m.providers[MM_SOURCE_SPOTIFY].at_us > (int64_t)(time(NULL) - 60) * 1000000);
    assert_int_equal(m.attempts, 2);
    mm_arena_cleanup(&a);
    assert_status(st, "harbor", "violet horizon.", MM_MENTION_RESOLVED, MM_SOURCE_MUSICBRAINZ);
    mm_store_close(st);
    mm_config_free(cfg);
}

/* Whole text of a file, or NULL. Caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct mm_buf b;
    char chunk[4096];
    size_t n;
    mm_buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(f);
    char *text = mm_buf_take(&b);
    return text ? text : mm_xstrdup("");
}

/* The track key a mention resolved to. Caller frees. */
static char *track_of(struct mm_store *st, const char *title, const char *artist)
{
    struct mm_arena a;
    struct mm_mention_record m;
    mm_arena_init(&a, 4096);
    assert_true(get_mention(st, title, artist, &a, &m));
    assert_int_equal(m.status, MM_MENTION_RESOLVED);
    char *key = mm_xstrdup(m.track);
    mm_arena_cleanup(&a);
    return key;
}

static void test_retryable_listed_then_resolved(void **state)
{
    (void)state;
    static const struct song_spec songs[] = {
        {"Aruarian Dance", "Nujabes"}, {"harbor", "violet horizon."}, {"Desert", "Léa Rossi"}};
    json_t *c;
    /* The answers of an undisturbed run, for reference. */
    sim_configure(SIM_QUIET);
    struct mm_config *ref_cfg = enrich_config("retry-ref", NULL, 0);
    struct mm_store *ref = state_with_songs(ref_cfg, songs, 3, 1);
    assert_int_equal(run_enrich(ref_cfg, ref, "r1", false, false, NULL, &c), MM_OK);
    json_decref(c);

    /* Spotify answers 503 until the attempts run out. */
    sim_configure(
        "{\"seed\": 7, \"retry_after_seconds\": 0, \"max_faults_per_request\": 10,"
        " \"providers\": {\"spotify\": {\"rate\": 1, \"kinds\": {\"503\": 1}}},"
        " \"limits\": {\"musicbrainz\": {\"requests\": 0}, \"lastfm\": {\"requests\": 0}}}");
    struct mm_config *cfg = enrich_config("retry", NULL, 0);
    struct mm_store *st = state_with_songs(cfg, songs, 3, 1);
    log_clear();
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "retryable"), 3);
    /* (quotes are escaped in the JSON log lines) */
    assert_int_equal(log_lines_with("retryable mention \\\"Aruarian Dance\\\" by "
                                    "\\\"Nujabes\\\": spotify retryable: "),
                     1);
    assert_int_equal(log_lines_with("enrich: 3 retryable mentions are listed in "), 1);
    assert_reconciles(c);
    json_decref(c);
    assert_int_equal(sim_requests("musicbrainz"), 0); /* the walks stop at Spotify */
    char *path = mm_xasprintf("%s/retry/reports/r1/enrich_retryable.csv", work_dir);
    char *csv = slurp(path);
    assert_non_null(csv);
    assert_true(strncmp(csv, "mention,title,artist,reasons\n", 29) == 0);
    assert_non_null(strstr(csv, "nujabes|aruarian dance,Aruarian Dance,Nujabes,"));
    assert_non_null(strstr(csv, "spotify retryable: "));
    size_t rows = 0;
    for (const char *p = csv; *p; p++)
        rows += *p == '\n';
    assert_int_equal(rows, 4);
    free(csv);
    free(path);

    /* The next run resolves them as the undisturbed run did. */
    sim_configure(SIM_QUIET);
    assert_int_equal(run_enrich(cfg, st, "r2", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "retryable"), 0);
    assert_int_equal(count_of(c, "looked_up"), 3);
    json_decref(c);
    for (size_t i = 0; i < 2; i++) {
        char *want = track_of(ref, songs[i].title, songs[i].artist);
        char *got = track_of(st, songs[i].title, songs[i].artist);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    assert_status(st, "Desert", "Léa Rossi", MM_MENTION_UNRESOLVED, 0);
    path = mm_xasprintf("%s/retry/reports/r2/enrich_retryable.csv", work_dir);
    csv = slurp(path);
    assert_string_equal(csv, "mention,title,artist,reasons\n");
    free(csv);
    free(path);
    mm_store_close(st);
    mm_store_close(ref);
    mm_config_free(cfg);
    mm_config_free(ref_cfg);
}

static void test_max_mentions(void **state)
{
    (void)state;
    json_t *c;
    sim_configure(SIM_QUIET);
    const char *sets[] = {"enrich.max_mentions=4"};
    struct mm_config *cfg = enrich_config("max", sets, 1);
    struct mm_store *st = state_with_songs(cfg, catalog_songs, N_CATALOG, 1);
    /* A song too long to enrich is counted, not looked up. */
    char *long_title = mm_xmalloc(MM_MENTION_TEXT_MAX + 2);
    memset(long_title, 'a', MM_MENTION_TEXT_MAX + 1);
    long_title[MM_MENTION_TEXT_MAX + 1] = '\0';
    struct song_spec long_song = {long_title, "Nujabes"};
    struct songs_ctx more = {&long_song, 1, 100, mm_store_db(st, "songs")};
    assert_int_equal(mm_store_write(st, put_songs, &more), MM_OK);
    free(long_title);
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "songs_scanned"), N_CATALOG + 1);
    assert_int_equal(count_of(c, "songs_too_long"), 1);
    assert_int_equal(count_of(c, "mentions_total"), 6);
    assert_int_equal(count_of(c, "looked_up"), 4);
    assert_int_equal(count_of(c, "pending"), 2);
    assert_reconciles(c);
    json_decref(c);
    assert_int_equal(run_enrich(cfg, st, "r2", false, false, NULL, &c), MM_OK);
    assert_int_equal(count_of(c, "looked_up"), 2);
    assert_int_equal(count_of(c, "pending"), 0);
    assert_int_equal(count_of(c, "resolved") + count_of(c, "unresolved"), 6);
    json_decref(c);
    mm_store_close(st);
    mm_config_free(cfg);
}

static volatile sig_atomic_t stop_flag;

static void *raise_stop(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    stop_flag = 1;
    return NULL;
}

static void test_stop_then_resume(void **state)
{
    (void)state;
    json_t *c;
    struct song_spec songs[40];
    char titles[40][32];
    for (size_t i = 0; i < 40; i++) {
        snprintf(titles[i], sizeof(titles[i]), "Nothing Like Song %zu", i);
        songs[i] = (struct song_spec){titles[i], "Nobody Known"};
    }
    sim_configure(SIM_QUIET);
    const char *slow[] = {"providers.order=[\"itunes\"]", "providers.itunes.rate_per_s=10",
                          "providers.itunes.burst=1", "enrich.batch_size=1"};
    struct mm_config *cfg = enrich_config("stop", slow, 4);
    struct mm_store *st = state_with_songs(cfg, songs, 40, 1);

    stop_flag = 1; /* raised before the stage starts: nothing happens */
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, &stop_flag, &c), MM_EINTERRUPTED);
    json_decref(c);

    stop_flag = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raise_stop, NULL), 0);
    mm_err err = run_enrich(cfg, st, "r1", false, true, &stop_flag, &c);
    pthread_join(t, NULL);
    assert_int_equal(err, MM_EINTERRUPTED);
    json_int_t first = count_of(c, "looked_up");
    assert_true(first < 40);
    json_decref(c);
    char *path = mm_xasprintf("%s/stop/reports/r1/enrich_retryable.csv", work_dir);
    assert_null(slurp(path)); /* no half report */

    stop_flag = 0;
    const char *fast[] = {"providers.order=[\"itunes\"]"};
    struct mm_config *fast_cfg = enrich_config("stop", fast, 1);
    assert_int_equal(run_enrich(fast_cfg, st, "r1", false, true, &stop_flag, &c), MM_OK);
    assert_int_equal(count_of(c, "mentions_total"), 40);
    assert_int_equal(count_of(c, "unresolved"), 40);
    assert_int_equal(count_of(c, "looked_up") + first, 40);
    assert_int_equal(count_of(c, "songs_scanned"), 40); /* the scan was not repeated */
    json_decref(c);
    char *csv = slurp(path);
    assert_string_equal(csv, "mention,title,artist,reasons\n");
    free(csv);
    free(path);
    mm_store_close(st);
    mm_config_free(fast_cfg);
    mm_config_free(cfg);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_musicbrainz_rate(void **state)
{
    (void)state;
    static const struct song_spec songs[] = {
        {"harbor", "violet horizon."}, {"Comet", "Lily Okafor"}, {"Distant Machine", "Léa Rossi"}};
    json_t *c;
    /* The simulator's own limit (1 request/s, 50 ms grace) is on: any excess
     * would be refused with 503. */
    sim_configure("{\"seed\": 7, \"retry_after_seconds\": 0}");
    const char *sets[] = {"providers.order=[\"musicbrainz\"]", "providers.musicbrainz.rate_per_s=1",
                          "providers.musicbrainz.burst=1", "http.max_attempts=1"};
    struct mm_config *cfg = enrich_config("mb", sets, 4);
    struct mm_store *st = state_with_songs(cfg, songs, 3, 1);
    double t0 = mono_s();
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    double elapsed = mono_s() - t0;
    assert_int_equal(count_of(c, "resolved"), 3);
    json_int_t n = count_of(c, "http_requests");
    json_decref(c);
    assert_true(n >= 3);
    assert_true(elapsed >= (double)(n - 1) * 0.95);
    json_t *stats = sim_call("GET", "/stats", NULL);
    json_t *mb = json_object_get(json_object_get(stats, "providers"), "musicbrainz");
    assert_int_equal(json_integer_value(json_object_get(mb, "requests")), n);
    assert_int_equal(json_integer_value(json_object_get(mb, "rate_limited")), 0);
    json_decref(stats);
    mm_store_close(st);
    mm_config_free(cfg);
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

#define BREAKER_MENTIONS 40

/* MusicBrainz refuses connections: after 3 retryable lookups its breaker
 * opens and the other mentions end retryable at once, without requests and
 * without asking iTunes (which would find the first one). */
static void test_breaker_opens_on_unreachable_provider(void **state)
{
    (void)state;
    static char titles[BREAKER_MENTIONS][32];
    struct song_spec songs[BREAKER_MENTIONS] = {{"Aruarian Dance", "Nujabes"}};
    for (int i = 1; i < BREAKER_MENTIONS; i++) {
        snprintf(titles[i], sizeof(titles[i]), "Song %d", i);
        songs[i] = (struct song_spec){titles[i], "Nobody"};
    }
    json_t *c;
    sim_configure(SIM_QUIET);
    char *base =
        mm_xasprintf("providers.musicbrainz.base_url=\"http://127.0.0.1:%d/mb\"", closed_port());
    const char *sets[] = {"providers.order=[\"musicbrainz\", \"itunes\"]", base,
                          "enrich.breaker_failures=3", "http.max_attempts=2",
                          "http.max_in_flight=2"};
    struct mm_config *cfg = enrich_config("breaker", sets, 5);
    struct mm_store *st = state_with_songs(cfg, songs, BREAKER_MENTIONS, 1);
    log_clear();
    double t0 = mono_s();
    assert_int_equal(run_enrich(cfg, st, "r1", false, false, NULL, &c), MM_OK);
    assert_true(mono_s() - t0 < 5);
    assert_int_equal(count_of(c, "retryable"), BREAKER_MENTIONS);
    assert_reconciles(c);
    json_t *open = json_object_get(c, "breakers_open");
    assert_int_equal(json_array_size(open), 1);
    assert_string_equal(json_string_value(json_array_get(open, 0)), "musicbrainz");
    /* Every lookup made runs out of its 2 attempts; at most one other was in
     * flight when the third failure opened the breaker. */
    json_int_t skipped = count_of(c, "breaker_skipped");
    json_int_t requests = count_of(c, "http_requests");
    assert_true(skipped >= BREAKER_MENTIONS - 4);
    assert_int_equal(requests, (BREAKER_MENTIONS - skipped) * 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(c, "http_requests_by_source"), "musicbrainz")),
                     requests);
    json_decref(c);
    assert_int_equal(sim_requests("itunes"), 0);
    assert_int_equal(log_lines_with("provider musicbrainz failed 3 lookups in a row"), 1);

    struct mm_arena a;
    struct mm_mention_record m;
    int with_reason = 0;
    mm_arena_init(&a, 4096);
    for (int i = 0; i < BREAKER_MENTIONS; i++) {
        assert_true(get_mention(st, songs[i].title, songs[i].artist, &a, &m));
        assert_int_equal(m.status, MM_MENTION_RETRYABLE);
        assert_int_equal(m.providers[MM_SOURCE_MUSICBRAINZ].outcome, MM_OUTCOME_RETRYABLE);
        assert_int_equal(m.providers[MM_SOURCE_ITUNES].outcome, MM_OUTCOME_NONE);
        const char *why = m.providers[MM_SOURCE_MUSICBRAINZ].reason;
        with_reason += why && strcmp(why, "musicbrainz unreachable this run (circuit open after "
                                          "3 consecutive failures)") == 0;
        mm_arena_reset(&a);
    }
    mm_arena_cleanup(&a);
    assert_int_equal(with_reason, skipped);
    mm_store_close(st);
    mm_config_free(cfg);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolves_falls_through_and_caches),
        cmocka_unit_test(test_failed_provider_is_disabled),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_retryable_listed_then_resolved),
        cmocka_unit_test(test_max_mentions),
        cmocka_unit_test(test_stop_then_resume),
        cmocka_unit_test(test_musicbrainz_rate),
        cmocka_unit_test(test_breaker_opens_on_unreachable_provider),
    };
    return cmocka_run_group_tests(tests, start_sim, stop_sim);
}
