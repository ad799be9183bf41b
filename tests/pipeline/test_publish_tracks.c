/* Tests of pipeline/publish_tracks.c through the publish stage: tracks copied
 * byte for byte, track names from resolved mentions and from each track's
 * credited artists (mentions first, then key order), names too long or
 * without their track skipped, mood rankings copied with the mood
 * vocabulary, counts in the manifest, meta and stage counts, batches, and
 * corrupt state records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "pipeline/publish_tracks.h"
#include "publish_fixture.h"
#include "tracks_fixture.h"

/* --- reading the snapshot --- */

static struct mm_store *open_snapshot(const struct pub_fixture *f)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = dbs};
    struct mm_store *s;
    char *path =
        mm_xasprintf("%s/%s/%s", f->cfg->paths.snapshots, fixture_current(f), MM_SNAPSHOT_DATA);
    assert_int_equal(mm_store_open(path, &opt, &s), MM_OK);
    free(path);
    return s;
}

/* The raw value under `key` in `db` as a fresh string (caller frees), or NULL. */
static char *get_raw(struct mm_store *s, const char *db, const void *key, size_t klen, size_t *vlen)
{
    struct mm_txn *txn;
    const void *v;
    char *out = NULL;
    assert_int_equal(mm_store_read_begin(s, &txn), MM_OK);
    mm_err rc = mm_store_get(txn, mm_store_db(s, db), key, klen, &v, vlen);
    if (rc == MM_OK)
        out = mm_xstrndup(v, *vlen);
    else
        assert_int_equal(rc, MM_ENOTFOUND);
    mm_store_read_end(txn);
    return out;
}

/* Asserts that track name artist \x1f title maps to `track` (NULL: absent). */
static void assert_name(struct mm_store *s, const char *artist, const char *title,
                        const char *track)
{
    char key[1024];
    size_t vlen;
    int n = snprintf(key, sizeof(key), "%s\x1f%s", artist, title);
    char *got = get_raw(s, "track_names", key, (size_t)n, &vlen);
    if (!track && got)
        fail_msg("name \"%s\" / \"%s\" maps to %s", artist, title, got);
    if (track && (!got || strcmp(got, track) != 0))
        fail_msg("name \"%s\" / \"%s\" maps to %s, want %s", artist, title, got ? got : "(nothing)",
                 track);
    free(got);
}

/* Asserts that snapshot db `db` holds exactly the bytes of state db `db2` under `key`. */
static void assert_same(struct pub_fixture *f, struct mm_store *s, const char *db,
                        const char *state_db, const void *key, size_t klen)
{
    size_t a_len, b_len;
    char *a = get_raw(s, db, key, klen, &a_len),
         *b = get_raw(f->state, state_db, key, klen, &b_len);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);
}

static char *meta_mood(struct mm_store *s, const char *phrase)
{
    char key[600];
    size_t vlen;
    int n = snprintf(key, sizeof(key), MM_PUBLISH_MOOD_PREFIX "%s", phrase);
    char *raw = get_raw(s, "meta", key, (size_t)n, &vlen);
    if (!raw)
        return NULL;
    struct mm_buf json;
    mm_buf_init(&json, 4096);
    assert_int_equal(mm_codec_render_json(raw, vlen, &json), MM_OK);
    free(raw);
    return mm_buf_take(&json);
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

static void assert_counts(const json_t *counts, json_int_t tracks, json_int_t names,
                          json_int_t moods)
{
    assert_int_equal(json_integer_value(json_object_get(counts, "tracks")), tracks);
    assert_int_equal(json_integer_value(json_object_get(counts, "track_names")), names);
    assert_int_equal(json_integer_value(json_object_get(counts, "moods")), moods);
}

/* --- tests --- */

static void add_catalog(struct pub_fixture *f)
{
    char *beatles[] = {"The Beatles"}, *beatles2[] = {"Beatles"}, *duo[] = {"Queen", "David Bowie"},
         *cash[] = {"Johnny Cash"};
    char long_title[601];
    memset(long_title, 'a', 600);
    long_title[600] = '\0';
    struct mm_track tracks[] = {
        tf_track("isrc:AAA", "Yesterday - Remastered 2009", beatles, 1, 80),
        tf_track("itunes:ccc", "Yesterday", beatles2, 1, MM_NULL_INT),
        tf_track("spotify:bbb", "Under Pressure", duo, 2, 77),
        tf_track("spotify:ddd", "Hurt", cash, 1, 60),
        tf_track("spotify:eee", "Hurt - Live", cash, 1, 40),
        tf_track("spotify:long", long_title, cash, 1, 10),
    };
    for (size_t i = 0; i < sizeof(tracks) / sizeof(tracks[0]); i++)
        tf_put_track(f->state, &tracks[i]);
    tf_put_mention(f->state, "Hurt (Live)", "Johnny Cash", MM_MENTION_RESOLVED, "spotify:eee");
    tf_put_mention(f->state, "Hurt", "Nine Inch Nails", MM_MENTION_RESOLVED, "spotify:ddd");
    tf_put_mention(f->state, "Untitled", NULL, MM_MENTION_RESOLVED, "spotify:ddd");
    tf_put_mention(f->state, "Song", "Nobody", MM_MENTION_UNRESOLVED, NULL);
    tf_put_mention(f->state, "Ghost", "Nobody", MM_MENTION_RESOLVED, "spotify:missing");
    tf_put_mood(f->state, "chill", 0, "spotify:ddd", 0.93, 60);
    tf_put_mood(f->state, "chill", 1, "itunes:ccc", 0.9, MM_NULL_INT);
    tf_put_mood(f->state, "chill", 2, "isrc:AAA", 0.5, 80);
    tf_put_mood(f->state, "weird mood", 0, "spotify:bbb", 0.7, 77);
}

static void test_publish_tracks(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    add_catalog(f);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    struct mm_store *s = open_snapshot(f);

    assert_int_equal(count(s, "tracks"), 6);
    static const char *const keys[] = {"isrc:AAA",    "itunes:ccc",  "spotify:bbb",
                                       "spotify:ddd", "spotify:eee", "spotify:long"};
    for (size_t i = 0; i < 6; i++)
        assert_same(f, s, "tracks", "tracks", keys[i], strlen(keys[i]));

    /* the catalog's spelling: each credited artist, "the" and decorations dropped;
     * the first track in key order keeps a shared name */
    assert_name(s, "beatles", "yesterday", "isrc:AAA");
    assert_name(s, "queen", "under pressure", "spotify:bbb");
    assert_name(s, "david bowie", "under pressure", "spotify:bbb");
    /* a mention's answer wins over a track's own name */
    assert_name(s, "johnny cash", "hurt", "spotify:eee");
    assert_name(s, "nine inch nails", "hurt", "spotify:ddd");
    assert_name(s, "", "untitled", "spotify:ddd");
    /* unresolved, dangling and too long: absent */
    assert_name(s, "nobody", "song", NULL);
    assert_name(s, "nobody", "ghost", NULL);
    assert_int_equal(count(s, "track_names"), 6);

    assert_int_equal(count(s, "mood_tracks"), 4);
    unsigned char key[600];
    assert_same(f, s, "mood_tracks", "moods", key, tf_mood_key("chill", 1, key));
    assert_same(f, s, "mood_tracks", "moods", key, tf_mood_key("weird mood", 0, key));
    char *chill = meta_mood(s, "chill"), *relaxed = meta_mood(s, "relaxed"),
         *weird = meta_mood(s, "weird mood"), *none = meta_mood(s, "nonexistent");
    assert_string_equal(chill, "\"chill\"");
    assert_string_equal(relaxed, "\"chill\"");
    assert_string_equal(weird, "\"weird mood\"");
    assert_null(none);
    free(chill);
    free(relaxed);
    free(weird);

    size_t vlen;
    char *raw = get_raw(s, "meta", "counts", 6, &vlen);
    struct mm_buf json;
    mm_buf_init(&json, 4096);
    assert_int_equal(mm_codec_render_json(raw, vlen, &json), MM_OK);
    json_t *meta_counts = json_loads(json.data, 0, NULL);
    assert_counts(meta_counts, 6, 6, 2);
    json_t *m = NULL;
    char err[MM_ERRLEN];
    assert_int_equal(
        mm_snapshot_manifest_load(f->cfg->paths.snapshots, fixture_current(f), &m, err), MM_OK);
    assert_counts(json_object_get(m, "counts"), 6, 6, 2);
    assert_counts(f->counts, 6, 6, 2);
    json_decref(m);
    json_decref(meta_counts);
    mm_buf_cleanup(&json);
    free(raw);
    mm_store_close(s);
    fixture_free(f);
}

struct bulk {
    struct mm_store *s;
    int n;
};

/* N tracks "spotify:NNNNN" by "Artist" and a ranking of all of them under "chill". */
static mm_err put_bulk(struct mm_txn *txn, void *ctx)
{
    const struct bulk *b = ctx;
    char *artists[] = {"Artist"};
    char key[32], title[32];
    unsigned char mkey[600];
    struct mm_buf val;
    mm_err rc = MM_OK;
    mm_buf_init(&val, 1 << 16);
    for (int i = 0; !rc && i < b->n; i++) {
        snprintf(key, sizeof(key), "spotify:%05d", i);
        snprintf(title, sizeof(title), "Song %d", i);
        struct mm_track t = tf_track(key, title, artists, 1, i % 101);
        mm_buf_reset(&val);
        assert_int_equal(mm_track_encode(&t, &val), MM_OK);
        rc = mm_store_put(txn, mm_store_db(b->s, "tracks"), key, strlen(key), val.data, val.len);
        if (!rc)
            rc = mm_store_put(txn, mm_store_db(b->s, "moods"), mkey,
                              tf_mood_key("chill", (uint32_t)i, mkey), "\x80", 1);
    }
    mm_buf_cleanup(&val);
    return rc;
}

/* More tracks and ranking entries than one write transaction holds: every
 * record once, one mood counted across batch boundaries. */
static void test_many_tracks(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct bulk b = {f->state, 10005};
    assert_int_equal(mm_store_write(f->state, put_bulk, &b), MM_OK);
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    struct mm_store *s = open_snapshot(f);
    assert_int_equal(count(s, "tracks"), 10005);
    assert_int_equal(count(s, "track_names"), 10005);
    assert_int_equal(count(s, "mood_tracks"), 10005);
    assert_name(s, "artist", "song 0", "spotify:00000");
    assert_name(s, "artist", "song 10004", "spotify:10004");
    assert_counts(f->counts, 10005, 10005, 1);
    mm_store_close(s);
    fixture_free(f);
}

/* A corrupt state record stops the publish and leaves no snapshot. */
static void expect_refused(const char *db, const void *key, size_t klen, const char *val,
                           size_t vlen)
{
    struct pub_fixture *f = fixture_new(NULL, 0);
    char id[MM_SNAPSHOT_ID_MAX + 1];
    add_catalog(f);
    tf_put_raw(f->state, db, key, klen, val, vlen);
    assert_int_equal(fixture_publish(f, "r1"), MM_ECORRUPT);
    assert_int_equal(mm_snapshot_current(f->cfg->paths.snapshots, id, sizeof(id)), MM_ENOTFOUND);
    fixture_free(f);
}

static void test_corrupt_records(void **state)
{
    (void)state;
    expect_refused("tracks", "spotify:zzz", 11, "\xc1garbage", 8);
    expect_refused("mentions", "x\x1fy", 3, "\xc1garbage", 8);
    /* mood keys must be a name, NUL, u32 rank */
    expect_refused("moods", "chill", 5, "\x80", 1);
    expect_refused("moods", "chill\0\0\0\0", 9, "\x80", 1);
    expect_refused("moods", "\0\0\0\0\1", 5, "\x80", 1);
    expect_refused("moods", "ch\0ll\0\0\0\0\1", 10, "\x80", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_tracks),
        cmocka_unit_test(test_many_tracks),
        cmocka_unit_test(test_corrupt_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
