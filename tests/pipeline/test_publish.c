/* Tests of pipeline/publish.c: the records and meta of a snapshot, the
 * manifest, the `current` switch, retention, crash leftovers, kill -9 at any
 * moment, interruption, and the empty state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "common/codec.h"
#include "pipeline/snapshot_write.h"
#include "publish_fixture.h"

/* --- building the state --- */

struct records {
    const struct mm_request *request; /* may be NULL: songs only */
    struct mm_song *songs;
    size_t n_songs;
};

static mm_err put_records(struct mm_txn *txn, void *ctx)
{
    const struct records *r = ctx;
    struct mm_buf buf;
    unsigned char key[16];
    mm_err rc = MM_OK;
    mm_buf_init(&buf, 1 << 20);
    if (r->request) {
        mm_store_u64_key(r->request->id, key);
        assert_int_equal(mm_codec_request_encode(r->request, &buf), MM_OK);
        rc = mm_store_put(txn, 0, key, 8, buf.data, buf.len);
    }
    for (size_t i = 0; i < r->n_songs && !rc; i++) {
        mm_buf_reset(&buf);
        mm_store_u64_key(r->songs[i].request_id, key);
        mm_store_u64_key(r->songs[i].id, key + 8);
        assert_int_equal(mm_codec_song_encode(&r->songs[i], &buf), MM_OK);
        rc = mm_store_put(txn, 1, key, 16, buf.data, buf.len);
    }
    mm_buf_cleanup(&buf);
    return rc;
}

static void add(struct pub_fixture *f, const struct mm_request *req, struct mm_song *songs,
                size_t n_songs)
{
    struct records r = {req, songs, n_songs};
    assert_int_equal(mm_store_db(f->state, "requests"), 0);
    assert_int_equal(mm_store_db(f->state, "songs"), 1);
    assert_int_equal(mm_store_write(f->state, put_records, &r), MM_OK);
}

static struct mm_request plain_request(uint64_t id);
static struct mm_song song(uint64_t id, uint64_t request_id, int64_t position, char *title);

/* Requests first..first+n-1, each with `songs` songs, in one transaction. */
struct range {
    uint64_t first, n;
    int songs;
};

static mm_err put_range(struct mm_txn *txn, void *ctx)
{
    const struct range *g = ctx;
    mm_err rc = MM_OK;
    for (uint64_t id = g->first; id < g->first + g->n && !rc; id++) {
        struct mm_request req = plain_request(id);
        struct mm_song songs[4];
        req.text = "a request text long enough to make the snapshot outgrow its first map";
        for (int i = 0; i < g->songs; i++)
            songs[i] = song(id * 10 + (uint64_t)i, id, i + 1, "Song");
        struct records r = {&req, songs, (size_t)g->songs};
        rc = put_records(txn, &r);
    }
    return rc;
}

static void add_range(struct pub_fixture *f, uint64_t first, uint64_t n, int songs)
{
    struct range g = {first, n, songs};
    assert_true(songs <= 4);
    assert_int_equal(mm_store_write(f->state, put_range, &g), MM_OK);
}

static struct mm_request plain_request(uint64_t id)
{
    static char *none[1];
    return (struct mm_request){.id = id,
                               .user_id = MM_NULL_INT,
                               .text = "",
                               .emojis = none,
                               .num_songs = 10,
                               .created_at_us = 1763647392000000,
                               .src = "t:1"};
}

static struct mm_song song(uint64_t id, uint64_t request_id, int64_t position, char *title)
{
    return (struct mm_song){.id = id,
                            .request_id = request_id,
                            .user_id = MM_NULL_INT,
                            .position = position,
                            .title = title,
                            .duration_ms = MM_NULL_INT,
                            .created_at_us = 1763647392000000,
                            .src = "t:2"};
}

/* Requests 9 (empty) and 7 (three songs stored out of position order), and
 * an orphan song of a request that does not exist. */
static void add_sample(struct pub_fixture *f)
{
    char *emojis[] = {"🌧️", "📚"}, *criteria[] = {"genre: ambient"}, *song_criteria[] = {"a"};
    struct mm_analysis analysis = {
        .mood = "calm",
        .matched_criteria = criteria,
        .n_matched_criteria = 1,
        .raw = "{\"mood\":\"calm\",\"matched_criteria\":[\"genre: ambient\"]}"};
    struct mm_request r7 = plain_request(7), r9 = plain_request(9);
    r7.user_id = 42;
    r7.text = "rainy day";
    r7.emojis = emojis;
    r7.n_emojis = 2;
    r7.analysis = &analysis;
    r7.created_at_us = 1763647392123456;
    struct mm_song songs[] = {song(100, 7, 3, "Third"), song(101, 7, 2, "Second"),
                              song(102, 7, 1, "First")};
    songs[2].track_id = "t102";
    songs[2].artist = "Artist";
    songs[2].track_url = "https://x/102";
    songs[2].release_year = "1999";
    songs[2].duration_ms = 200000;
    songs[2].duration_formatted = "3:20";
    songs[2].why = "because";
    songs[2].matched_criteria = song_criteria;
    songs[2].n_matched_criteria = 1;
    songs[2].has_matched_criteria = true;
    struct mm_song orphan = song(200, 8, 1, "Orphan");
    add(f, &r9, NULL, 0);
    add(f, &r7, songs, 3);
    add(f, NULL, &orphan, 1);
}

/* --- reading a snapshot --- */

static struct mm_store *open_snapshot(const struct pub_fixture *f, const char *id)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = dbs};
    struct mm_store *s;
    char *path = mm_xasprintf("%s/%s/%s", f->cfg->paths.snapshots, id, MM_SNAPSHOT_DATA);
    assert_int_equal(mm_store_open(path, &opt, &s), MM_OK);
    free(path);
    return s;
}

/* The value under `key` in `db`, rendered as JSON; NULL when absent. */
static json_t *get_json(struct mm_store *s, const char *db, const void *key, size_t klen)
{
    struct mm_txn *txn;
    struct mm_buf out;
    const void *v;
    size_t vl;
    json_t *j = NULL;
    mm_buf_init(&out, 1 << 20);
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    mm_err rc = mm_store_get(txn, mm_store_db(s, db), key, klen, &v, &vl);
    if (rc == MM_OK) {
        assert_int_equal(mm_codec_render_json(v, vl, &out), MM_OK);
        j = json_loads(out.data, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
    } else {
        assert_int_equal(rc, MM_ENOTFOUND);
    }
    mm_store_read_end(txn);
    mm_buf_cleanup(&out);
    return j;
}

static json_t *get_request(struct mm_store *s, uint64_t id)
{
    unsigned char key[8];
    mm_store_u64_key(id, key);
    return get_json(s, "requests", key, 8);
}

static uint64_t count(struct mm_store *s, const char *db)
{
    struct mm_txn *txn;
    uint64_t n;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    assert_int_equal(mm_store_count(txn, mm_store_db(s, db), &n), MM_OK);
    mm_store_read_end(txn);
    return n;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_error_t jerr;
    json_t *want = json_loads(want_text, 0, &jerr);
    if (!want)
        fail_msg("bad expected JSON: %s", jerr.text);
    if (!json_equal(got, want)) {
        char *g = got ? json_dumps(got, JSON_SORT_KEYS) : NULL;
        fail_msg("got %s\nwant %s", g ? g : "(null)", want_text);
    }
    json_decref(want);
}

static json_t *manifest(const struct pub_fixture *f, const char *id)
{
    json_t *m = NULL;
    char err[MM_ERRLEN] = "";
    assert_int_equal(mm_snapshot_manifest_load(f->cfg->paths.snapshots, id, &m, err), MM_OK);
    return m;
}

/* Names in the snapshots directory other than . and .., sorted, joined by ' '. */
static char *entries(const struct pub_fixture *f)
{
    json_t *names = json_array();
    DIR *d = opendir(f->cfg->paths.snapshots);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            json_array_append_new(names, json_string(e->d_name));
    closedir(d);
    struct mm_buf b;
    mm_buf_init(&b, 1 << 16);
    size_t n = json_array_size(names);
    for (size_t i = 0; i < n; i++) {
        size_t min = i;
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(json_string_value(json_array_get(names, j)),
                       json_string_value(json_array_get(names, min))) < 0)
                min = j;
        json_t *t = json_incref(json_array_get(names, i));
        json_array_set(names, i, json_array_get(names, min));
        json_array_set_new(names, min, t);
        assert_int_equal(
            mm_buf_printf(&b, "%s%s", i ? " " : "", json_string_value(json_array_get(names, i))),
            MM_OK);
    }
    json_decref(names);
    return mm_buf_take(&b);
}

/* --- tests --- */

static void test_publish_records(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char err[MM_ERRLEN] = "", hash[65];
    add_sample(f);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    const char *id = fixture_current(f);
    assert_non_null(strstr(id, "Z-r1"));
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, id, err), MM_OK);

    struct mm_store *s = open_snapshot(f, id);
    assert_int_equal(count(s, "requests"), 2);
    json_t *r7 = get_request(s, 7), *r9 = get_request(s, 9);
    assert_json(r7,
                "{\"request_id\": 7, \"user_id\": 42, \"text_description\": \"rainy day\","
                " \"emojis\": [\"🌧️\", \"📚\"], \"num_songs_requested\": 10,"
                " \"analysis\": {\"mood\": \"calm\", \"matched_criteria\": [\"genre: ambient\"]},"
                " \"created_at\": \"2025-11-20T14:03:12.123456Z\", \"songs\": ["
                "{\"position\": 1, \"track_id\": \"t102\", \"title\": \"First\","
                " \"artist\": \"Artist\", \"album\": null, \"album_art\": null,"
                " \"preview_url\": null, \"track_url\": \"https://x/102\","
                " \"release_year\": \"1999\", \"duration_ms\": 200000,"
                " \"duration_formatted\": \"3:20\", \"why\": \"because\","
                " \"matched_criteria\": [\"a\"]},"
                "{\"position\": 2, \"track_id\": null, \"title\": \"Second\", \"artist\": null,"
                " \"album\": null, \"album_art\": null, \"preview_url\": null,"
                " \"track_url\": null, \"release_year\": null, \"duration_ms\": null,"
                " \"duration_formatted\": null, \"why\": null, \"matched_criteria\": null},"
                "{\"position\": 3, \"track_id\": null, \"title\": \"Third\", \"artist\": null,"
                " \"album\": null, \"album_art\": null, \"preview_url\": null,"
                " \"track_url\": null, \"release_year\": null, \"duration_ms\": null,"
                " \"duration_formatted\": null, \"why\": null, \"matched_criteria\": null}]}");
    assert_json(r9, "{\"request_id\": 9, \"user_id\": null, \"text_description\": \"\","
                    " \"emojis\": [], \"num_songs_requested\": 10, \"analysis\": null,"
                    " \"created_at\": \"2025-11-20T14:03:12.000000Z\", \"songs\": []}");
    assert_null(get_request(s, 8));
    json_t *m = manifest(f, id);
    json_t *meta_counts = get_json(s, "meta", "counts", 6);
    json_t *meta_id = get_json(s, "meta", "snapshot_id", 11);
    json_t *meta_run = get_json(s, "meta", "run_id", 6);
    json_t *meta_version = get_json(s, "meta", "schema_version", 14);
    json_t *meta_created = get_json(s, "meta", "created_at", 10);
    assert_json(meta_counts, "{\"requests\": 2, \"songs\": 3, \"tracks\": 0,"
                             " \"track_names\": 0, \"moods\": 0}");
    assert_string_equal(json_string_value(meta_id), id);
    assert_string_equal(json_string_value(meta_run), "r1");
    assert_int_equal(json_integer_value(meta_version), 1);
    assert_string_equal(json_string_value(meta_created),
                        json_string_value(json_object_get(m, "created_at")));
    mm_store_close(s);

    mm_config_hash(f->cfg, hash);
    assert_string_equal(json_string_value(json_object_get(m, "config_hash")), hash);
    assert_string_equal(json_string_value(json_object_get(m, "program_version")), MM_VERSION);
    assert_string_equal(json_string_value(json_object_get(m, "run_id")), "r1");
    assert_true(json_is_null(json_object_get(m, "previous_id")));
    assert_json(json_object_get(m, "counts"), "{\"requests\": 2, \"songs\": 3, \"tracks\": 0,"
                                              " \"track_names\": 0, \"moods\": 0}");
    json_t *data = json_object_get(json_object_get(m, "files"), "data.mdb");
    assert_int_equal(json_object_size(json_object_get(m, "files")), 1);
    assert_int_equal(json_integer_value(json_object_get(f->counts, "requests")), 2);
    assert_int_equal(json_integer_value(json_object_get(f->counts, "songs")), 3);
    assert_string_equal(json_string_value(json_object_get(f->counts, "snapshot_id")), id);
    assert_int_equal(json_integer_value(json_object_get(f->counts, "bytes")),
                     json_integer_value(json_object_get(data, "bytes")));
    char *names = entries(f), *want = mm_xasprintf("%s current", id);
    assert_string_equal(names, want);
    free(names);
    free(want);
    json_decref(m);
    json_decref(r7);
    json_decref(r9);
    json_decref(meta_counts);
    json_decref(meta_id);
    json_decref(meta_run);
    json_decref(meta_version);
    json_decref(meta_created);
    fixture_free(f);
}

static void test_publish_twice(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char first[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN] = "";
    add_sample(f);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    snprintf(first, sizeof(first), "%s", fixture_current(f));
    struct mm_request r11 = plain_request(11);
    add(f, &r11, NULL, 0);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    const char *second = fixture_current(f);
    assert_string_not_equal(first, second);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, second, err), MM_OK);
    json_t *m = manifest(f, second);
    assert_string_equal(json_string_value(json_object_get(m, "previous_id")), first);
    assert_json(json_object_get(m, "counts"), "{\"requests\": 3, \"songs\": 3, \"tracks\": 0,"
                                              " \"track_names\": 0, \"moods\": 0}");
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, first, err), MM_OK);
    json_decref(m);
    fixture_free(f);
}

static void test_empty_state(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char err[MM_ERRLEN] = "";
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    const char *id = fixture_current(f);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, id, err), MM_OK);
    struct mm_store *s = open_snapshot(f, id);
    assert_int_equal(count(s, "requests"), 0);
    json_t *counts = get_json(s, "meta", "counts", 6);
    assert_json(counts, "{\"requests\": 0, \"songs\": 0, \"tracks\": 0,"
                        " \"track_names\": 0, \"moods\": 0}");
    json_decref(counts);
    mm_store_close(s);
    fixture_free(f);
}

/* More requests than one write transaction holds, with a 1 MiB initial map
 * that has to grow while batches are written. */
static void test_many_requests(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    enum { N = 10003 };
    add_range(f, 1, N, 1);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    struct mm_store *s = open_snapshot(f, fixture_current(f));
    assert_int_equal(count(s, "requests"), N);
    json_t *j = get_request(s, N);
    assert_int_equal(json_integer_value(json_object_get(j, "request_id")), N);
    json_t *songs = json_object_get(j, "songs");
    assert_int_equal(json_array_size(songs), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(songs, 0), "position")), 1);
    assert_int_equal(json_integer_value(json_object_get(f->counts, "requests")), N);
    assert_int_equal(json_integer_value(json_object_get(f->counts, "songs")), N);
    json_decref(j);
    mm_store_close(s);
    fixture_free(f);
}

/* Publishes once and copies the new current id into `id`. */
static void publish_into(struct pub_fixture *f, char id[MM_SNAPSHOT_ID_MAX + 1])
{
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    snprintf(id, MM_SNAPSHOT_ID_MAX + 1, "%s", fixture_current(f));
}

/* The names "<a> <b> current" in directory-listing order. */
static char *pair_listing(const char *a, const char *b)
{
    return strcmp(a, b) < 0 ? mm_xasprintf("%s %s current", a, b)
                            : mm_xasprintf("%s %s current", b, a);
}

static void test_retention_keep_one(void **state)
{
    (void)state;
    const char *sets[] = {"publish.keep=1"};
    struct pub_fixture *f = fixture_new(sets, 1);
    char ids[4][MM_SNAPSHOT_ID_MAX + 1];
    for (int i = 0; i < 4; i++)
        publish_into(f, ids[i]);
    assert_string_equal(fixture_current(f), ids[3]);
    json_t *m = manifest(f, ids[3]);
    assert_string_equal(json_string_value(json_object_get(m, "previous_id")), ids[2]);
    char *names = entries(f), *want = pair_listing(ids[2], ids[3]);
    assert_string_equal(names, want);
    free(names);
    free(want);
    json_decref(m);
    fixture_free(f);
}

static void test_retention_keep_three(void **state)
{
    (void)state;
    const char *sets[] = {"publish.keep=3"};
    struct pub_fixture *f = fixture_new(sets, 1);
    char ids[4][MM_SNAPSHOT_ID_MAX + 1];
    json_t *listed = NULL;
    for (int i = 0; i < 4; i++)
        publish_into(f, ids[i]);
    assert_int_equal(mm_snapshot_list_ids(f->cfg->paths.snapshots, &listed), MM_OK);
    assert_int_equal(json_array_size(listed), 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(json_string_value(json_array_get(listed, (size_t)i)), ids[i + 1]);
    json_decref(listed);
    fixture_free(f);
}

/* Leftovers of a publish killed before its switch: a half-built .tmp dir and
 * a current.tmp-<pid> link to it. */
static void test_crash_leftovers_cleaned(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1];
    publish_into(f, first);
    char *tmp = fixture_path(f, ".tmp-20990101T000000Z-r9");
    char *data = mm_xasprintf("%s/data.mdb", tmp), *link = fixture_path(f, "current.tmp-999999");
    assert_int_equal(mkdir(tmp, 0755), 0);
    FILE *fp = fopen(data, "w");
    assert_non_null(fp);
    fputs("half written", fp);
    fclose(fp);
    assert_int_equal(symlink(".tmp-20990101T000000Z-r9", link), 0);
    assert_string_equal(fixture_current(f), first);

    publish_into(f, second);
    assert_string_not_equal(second, first);
    assert_non_null(strstr(second, "-r1"));
    char *names = entries(f), *want = pair_listing(first, second);
    assert_string_equal(names, want);
    free(names);
    free(want);
    free(tmp);
    free(data);
    free(link);
    fixture_free(f);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* kill -9 of a publish at moments spread over its whole duration, densest
 * around its end (rename, verify, switch, retention): `current` always names
 * a snapshot that verifies, and the next publish succeeds and leaves no
 * leftover. */
static void test_kill_anywhere(void **state)
{
    (void)state;
    const char *sets[] = {"publish.keep=1"};
    struct pub_fixture *f = fixture_new(sets, 1);
    char err[MM_ERRLEN] = "";
    enum { KILLS = 16, EARLY = 6 };
    add_range(f, 1, 4000, 2);
    double t0 = now_us();
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    double duration = now_us() - t0;
    for (int i = 0; i < KILLS; i++) {
        mm_store_close(f->state);
        f->state = NULL;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            fixture_open_state(f);
            _exit(fixture_publish(f, "r2") == MM_OK ? 0 : 1);
        }
        double at = i < EARLY ? 0.15 * i : 0.9 + 0.04 * (i - EARLY);
        usleep((useconds_t)(duration * at));
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        fixture_open_state(f);
        const char *id = fixture_current(f);
        if (mm_snapshot_verify(f->cfg->paths.snapshots, id, err) != MM_OK)
            fail_msg("after a kill at %d/%d: current %s: %s", i, KILLS, id, err);
    }
    assert_int_equal(fixture_publish(f, "r3"), MM_OK);
    char *names = entries(f);
    assert_null(strstr(names, ".tmp-"));
    assert_null(strstr(names, "current.tmp-"));
    free(names);
    fixture_free(f);
}

static void test_interrupted(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char id[MM_SNAPSHOT_ID_MAX + 1];
    add_sample(f);
    f->stop = 1;
    assert_int_equal(fixture_publish(f, "r1"), MM_EINTERRUPTED);
    assert_int_equal(mm_snapshot_current(f->cfg->paths.snapshots, id, sizeof(id)), MM_ENOTFOUND);
    char *names = entries(f);
    assert_string_equal(names, "");
    free(names);
    fixture_free(f);
}

static void test_locked(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct mm_snapshot_dir dir;
    char err[MM_ERRLEN] = "", id[MM_SNAPSHOT_ID_MAX + 1];
    assert_int_equal(mm_snapshot_write_lock(f->cfg->paths.snapshots, &dir, err), MM_OK);
    assert_int_equal(fixture_publish(f, "r1"), MM_ELOCKED);
    mm_snapshot_write_unlock(&dir);
    assert_int_equal(mm_snapshot_current(f->cfg->paths.snapshots, id, sizeof(id)), MM_ENOTFOUND);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    fixture_free(f);
}

static mm_err put_garbage(struct mm_txn *txn, void *ctx)
{
    unsigned char key[8];
    (void)ctx;
    mm_store_u64_key(8, key);
    return mm_store_put(txn, 0, key, 8, "\xc1garbage", 8);
}

/* A state record that does not decode stops the publish; current stays. */
static void test_corrupt_state(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    char first[MM_SNAPSHOT_ID_MAX + 1];
    add_sample(f);
    publish_into(f, first);
    assert_int_equal(mm_store_write(f->state, put_garbage, NULL), MM_OK);
    assert_int_equal(fixture_publish(f, "r2"), MM_ECORRUPT);
    assert_string_equal(fixture_current(f), first);
    char *names = entries(f), *want = mm_xasprintf("%s current", first);
    assert_string_equal(names, want);
    free(names);
    free(want);
    fixture_free(f);
}

/* A request with more songs than the stage accepts fails it, naming the
 * request, and leaves nothing behind. */
static void test_too_many_songs(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    enum { N = 1001 };
    struct mm_request r = plain_request(3);
    struct mm_song *songs = mm_xcalloc(N, sizeof(*songs));
    for (int i = 0; i < N; i++)
        songs[i] = song((uint64_t)i + 1, 3, i + 1, "Song");
    add(f, &r, songs, N);
    assert_int_equal(fixture_publish(f, "r1"), MM_ETOOBIG);
    char *names = entries(f);
    assert_string_equal(names, "");
    free(names);
    free(songs);
    fixture_free(f);
}

static void test_bad_run_id(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    assert_int_equal(fixture_publish(f, "r/1"), MM_EINVAL);
    char *names = entries(f);
    assert_string_equal(names, "");
    free(names);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_records),
        cmocka_unit_test(test_publish_twice),
        cmocka_unit_test(test_empty_state),
        cmocka_unit_test(test_many_requests),
        cmocka_unit_test(test_retention_keep_one),
        cmocka_unit_test(test_retention_keep_three),
        cmocka_unit_test(test_crash_leftovers_cleaned),
        cmocka_unit_test(test_kill_anywhere),
        cmocka_unit_test(test_interrupted),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_corrupt_state),
        cmocka_unit_test(test_too_many_songs),
        cmocka_unit_test(test_bad_run_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
