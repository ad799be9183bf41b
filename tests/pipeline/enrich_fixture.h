/* Test fixture of the enrich stage tests (test_enrich.c): the API simulator
 * tools/apisim.py on 127.0.0.1 (started once per group, killed with the test
 * process), its control endpoints, a config whose providers point at it, a
 * state filled with song records, and a helper running the stage once.
 * Included by the tests only. */
#ifndef MM_TEST_ENRICH_FIXTURE_H
#define MM_TEST_ENRICH_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/config.h"
#include "common/http.h"
#include "common/log.h"
#include "pipeline/enrich.h"
#include "pipeline/runner.h"
#include "pipeline/stage.h"

/* The simulator's credentials (tools/apisim/faults.py). */
#define SIM_CLIENT_ID "sim-client-id"
#define SIM_CLIENT_SECRET "sim-client-secret"
#define SIM_LASTFM_KEY "sim-lastfm-key"
/* Faults off, no Retry-After waits, provider limits off (tests set fast rates). */
#define SIM_QUIET                                                                                  \
    "{\"seed\": 7, \"retry_after_seconds\": 0, \"limits\": {\"musicbrainz\": {\"requests\": 0}, "  \
    "\"lastfm\": {\"requests\": 0}}}"

static pid_t sim_pid;
static int sim_port;
static char work_dir[] = "/tmp/mm-test-enrich-XXXXXX";

static inline int start_sim(void **state)
{
    (void)state;
    const char *src = getenv("MM_SOURCE_DIR");
    int out[2];
    char line[256] = "";
    if (!src || !mkdtemp(work_dir) || pipe(out) != 0)
        return -1;
    char *script = mm_xasprintf("%s/tools/apisim.py", src);
    sim_pid = fork();
    if (sim_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlives the test */
        dup2(out[1], 1);
        close(out[0]);
        execlp("python3", "python3", script, "--port", "0", (char *)NULL);
        _exit(127);
    }
    free(script);
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    if (sim_pid < 0 || !f || !fgets(line, sizeof(line), f)) {
        fprintf(stderr, "test_enrich: the API simulator did not start\n");
        return -1;
    }
    fclose(f);
    const char *port = strstr(line, "127.0.0.1:");
    sim_port = port ? (int)strtol(port + 10, NULL, 10) : 0;
    setenv("SPOTIPY_CLIENT_ID", SIM_CLIENT_ID, 1);
    setenv("SPOTIPY_CLIENT_SECRET", SIM_CLIENT_SECRET, 1);
    setenv("LASTFM_API_KEY", SIM_LASTFM_KEY, 1);
    char *log = mm_xasprintf("%s/enrich.log", work_dir);
    mm_err err = mm_log_open(log, MM_LOG_WARN, NULL);
    free(log);
    return err == MM_OK && sim_port > 0 ? 0 : -1;
}

/* Empties the captured log (warnings and errors of the stage). */
static inline void log_clear(void)
{
    char *path = mm_xasprintf("%s/enrich.log", work_dir);
    assert_int_equal(truncate(path, 0), 0);
    free(path);
}

/* Lines of the captured log that contain `text`. */
static inline int log_lines_with(const char *text)
{
    char *path = mm_xasprintf("%s/enrich.log", work_dir);
    FILE *f = fopen(path, "r");
    char line[8192];
    int n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        n += strstr(line, text) != NULL;
    fclose(f);
    free(path);
    return n;
}

static inline int stop_sim(void **state)
{
    (void)state;
    int status;
    mm_log_close();
    kill(sim_pid, SIGTERM);
    waitpid(sim_pid, &status, 0);
    char *cmd = mm_xasprintf("rm -rf %s", work_dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

/* A request to the simulator's control endpoints; the JSON answer (caller
 * json_decrefs). */
static inline json_t *sim_call(const char *method, const char *path, const char *body)
{
    struct mm_http_options o;
    struct mm_http_client *c = NULL;
    struct mm_http_response r;
    const char *const headers[] = {"Content-Type: application/json"};
    mm_http_options_init(&o);
    assert_int_equal(mm_http_client_new(&o, &c, NULL), MM_OK);
    char *url = mm_xasprintf("http://127.0.0.1:%d/_sim%s", sim_port, path);
    struct mm_http_request req = {.method = method,
                                  .url = url,
                                  .headers = headers,
                                  .n_headers = 1,
                                  .body = body,
                                  .body_len = body ? strlen(body) : 0};
    assert_int_equal(mm_http_fetch(c, &req, &r), MM_OK);
    json_t *doc = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(doc);
    mm_http_response_cleanup(&r);
    mm_http_client_free(c);
    free(url);
    return doc;
}

/* Replaces the simulator's configuration and zeroes its counters. */
static inline void sim_configure(const char *config)
{
    json_decref(sim_call("POST", "/config", config));
    json_decref(sim_call("POST", "/reset", NULL));
}

/* Requests the simulator served to `provider` since the last reset. */
static inline json_int_t sim_requests(const char *provider)
{
    json_t *doc = sim_call("GET", "/stats", NULL);
    json_t *p = json_object_get(json_object_get(doc, "providers"), provider);
    json_int_t n = json_integer_value(json_object_get(p, "requests"));
    json_decref(doc);
    return n;
}

/* A config for test `name` (its own state and reports under the work
 * directory), providers on the simulator with fast rates, then `sets`. */
static inline struct mm_config *enrich_config(const char *name, const char *const *sets,
                                              size_t n_sets)
{
    char *path = mm_xasprintf("%s/%s.json", work_dir, name);
    char *text = mm_xasprintf(
        "{\"paths\": {\"state\": \"%s/state\", \"snapshots\": \"%s/snapshots\","
        " \"reports\": \"%s/reports\"},"
        " \"http\": {\"min_wait_ms\": 1, \"max_wait_ms\": 1000, \"max_attempts\": 3,"
        " \"timeout_ms\": 10000},"
        " \"providers\": {"
        "  \"spotify\": {\"base_url\": \"http://127.0.0.1:%d/spotify\","
        "   \"accounts_url\": \"http://127.0.0.1:%d/spotify-accounts\", \"rate_per_s\": 500,"
        "   \"burst\": 50},"
        "  \"musicbrainz\": {\"base_url\": \"http://127.0.0.1:%d/musicbrainz\", \"rate_per_s\": "
        "500,"
        "   \"burst\": 50},"
        "  \"lastfm\": {\"base_url\": \"http://127.0.0.1:%d/lastfm\", \"rate_per_s\": 500,"
        "   \"burst\": 50},"
        "  \"itunes\": {\"base_url\": \"http://127.0.0.1:%d/itunes\", \"rate_per_s\": 500,"
        "   \"burst\": 50}}}",
        name, name, name, sim_port, sim_port, sim_port, sim_port, sim_port);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    struct mm_config *cfg = NULL;
    struct mm_buf errors;
    mm_buf_init(&errors, 1 << 16);
    mm_err err = mm_config_load(path, sets, n_sets, &cfg, &errors);
    if (err)
        fail_msg("config: %s", errors.data ? errors.data : mm_strerror(err));
    mm_buf_cleanup(&errors);
    free(text);
    free(path);
    return cfg;
}

struct song_spec {
    const char *title, *artist;
};

struct songs_ctx {
    const struct song_spec *songs;
    size_t n;
    uint64_t first_id;
    unsigned db;
};

static inline mm_err put_songs(struct mm_txn *txn, void *arg)
{
    struct songs_ctx *c = arg;
    struct mm_buf b;
    mm_err err = MM_OK;
    mm_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < c->n && !err; i++) {
        uint64_t id = c->first_id + i;
        struct mm_song s = {.id = id,
                            .request_id = id / 10 + 1,
                            .user_id = MM_NULL_INT,
                            .position = (int64_t)(id % 10) + 1,
                            .title = (char *)c->songs[i].title,
                            .artist = (char *)c->songs[i].artist,
                            .duration_ms = MM_NULL_INT,
                            .created_at_us = 1700000000000000,
                            .src = "test:1"};
        unsigned char key[16];
        mm_store_u64_key(s.request_id, key);
        mm_store_u64_key(id, key + 8);
        mm_buf_reset(&b);
        err = mm_codec_song_encode(&s, &b);
        if (!err)
            err = mm_store_put(txn, c->db, key, 16, b.data, b.len);
    }
    mm_buf_cleanup(&b);
    return err;
}

/* Opens the state of cfg and adds songs with ids first_id, first_id + 1, ... */
static inline struct mm_store *state_with_songs(const struct mm_config *cfg,
                                                const struct song_spec *songs, size_t n,
                                                uint64_t first_id)
{
    struct mm_store *st = NULL;
    assert_int_equal(mm_runner_open_state(cfg, &st), MM_OK);
    struct songs_ctx c = {songs, n, first_id, mm_store_db(st, "songs")};
    assert_int_equal(mm_store_write(st, put_songs, &c), MM_OK);
    return st;
}

static volatile sig_atomic_t no_stop;

/* Runs the enrich stage once; *counts (caller json_decrefs) gets its counts. */
static inline mm_err run_enrich(const struct mm_config *cfg, struct mm_store *st,
                                const char *run_id, bool full, bool resumed,
                                volatile sig_atomic_t *stop, json_t **counts)
{
    struct mm_stage_ctx ctx = {.cfg = cfg,
                               .state = st,
                               .run_id = run_id,
                               .full = full,
                               .resumed = resumed,
                               .counts = json_object(),
                               .stop = stop ? stop : &no_stop};
    mm_err err = mm_stage_enrich.run(&ctx);
    *counts = ctx.counts;
    return err;
}

static inline json_int_t count_of(const json_t *counts, const char *name)
{
    json_t *v = json_object_get(counts, name);
    if (!json_is_integer(v))
        fail_msg("counts: no integer \"%s\"", name);
    return json_integer_value(v);
}

/* resolved + unresolved + retryable + pending == mentions_total. */
static inline void assert_reconciles(const json_t *c)
{
    assert_int_equal(count_of(c, "resolved") + count_of(c, "unresolved") +
                         count_of(c, "retryable") + count_of(c, "pending"),
                     count_of(c, "mentions_total"));
}

/* The mention record of (title, artist); false when absent. */
static inline bool get_mention(struct mm_store *st, const char *title, const char *artist,
                               struct mm_arena *a, struct mm_mention_record *out)
{
    struct mm_buf key;
    struct mm_txn *txn;
    const void *v;
    size_t vl;
    mm_buf_init(&key, MM_MENTION_KEY_MAX);
    assert_int_equal(mm_enrich_mention_key(title, artist, &key), MM_OK);
    assert_int_equal(mm_store_read_begin(st, &txn), MM_OK);
    mm_err err = mm_store_get(txn, mm_store_db(st, "mentions"), key.data, key.len, &v, &vl);
    if (!err)
        assert_int_equal(mm_enrich_mention_decode(v, vl, a, out), MM_OK);
    mm_store_read_end(txn);
    mm_buf_cleanup(&key);
    return err == MM_OK;
}

#endif
