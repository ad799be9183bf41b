/* Test fixture shared by tests/pipeline/test_publish_tracks.c and
 * tests/serve/test_handlers_tracks.c: puts tracks (common/track.h),
 * mentions (pipeline/enrich.h) and mood rows (pipeline/score.h) into a state
 * store, each with the codec of the stage that owns it. Included by the
 * tests only; assertions on every step. */
#ifndef MM_TEST_TRACKS_FIXTURE_H
#define MM_TEST_TRACKS_FIXTURE_H

#include <string.h>

#include "common/codec.h"
#include "common/store.h"
#include "common/track.h"
#include "pipeline/enrich.h"
#include "pipeline/score.h"

/* A track with the given key, title, artists and popularity (MM_NULL_INT:
 * unknown); everything else unknown. Strings are borrowed. */
static inline struct mm_track tf_track(const char *key, const char *title, char **artists,
                                       size_t n_artists, int64_t popularity)
{
    return (struct mm_track){.key = (char *)key,
                             .title = (char *)title,
                             .artists = artists,
                             .n_artists = n_artists,
                             .release_year = MM_NULL_INT,
                             .duration_ms = MM_NULL_INT,
                             .popularity = popularity,
                             .listeners = MM_NULL_INT,
                             .source = MM_SOURCE_SPOTIFY,
                             .score = 97.5,
                             .fetched_at_us = 1763647392000000};
}

struct tf_put {
    const char *db;
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
    struct mm_store *s;
};

static inline mm_err tf_put_cb(struct mm_txn *txn, void *ctx)
{
    const struct tf_put *p = ctx;
    return mm_store_put(txn, mm_store_db(p->s, p->db), p->key, p->klen, p->val, p->vlen);
}

/* Puts one raw record into state db `db` in its own transaction. */
static inline void tf_put_raw(struct mm_store *s, const char *db, const void *key, size_t klen,
                              const void *val, size_t vlen)
{
    struct tf_put p = {db, key, klen, val, vlen, s};
    assert_int_equal(mm_store_write(s, tf_put_cb, &p), MM_OK);
}

static inline void tf_put_track(struct mm_store *s, const struct mm_track *t)
{
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_track_encode(t, &b), MM_OK);
    tf_put_raw(s, "tracks", t->key, strlen(t->key), b.data, b.len);
    mm_buf_cleanup(&b);
}

/* A mention of (title, artist) with `status`, resolved to `track` (may be
 * NULL), keyed as the enrich stage keys it. */
static inline void tf_put_mention(struct mm_store *s, const char *title, const char *artist,
                                  enum mm_mention_status status, const char *track)
{
    struct mm_mention_record m = {.title = (char *)title,
                                  .artist = (char *)artist,
                                  .songs = 1,
                                  .counted_run = "r1",
                                  .status = status,
                                  .track = (char *)track,
                                  .source = MM_SOURCE_SPOTIFY,
                                  .score = 96.0};
    struct mm_buf key, val;
    mm_buf_init(&key, 4096);
    mm_buf_init(&val, 1 << 16);
    assert_int_equal(mm_enrich_mention_key(title, artist, &key), MM_OK);
    assert_int_equal(mm_enrich_mention_encode(&m, &val), MM_OK);
    tf_put_raw(s, "mentions", key.data, key.len, val.data, val.len);
    mm_buf_cleanup(&key);
    mm_buf_cleanup(&val);
}

/* The key of a mood ranking entry (pipeline/score.h): mood, NUL, u32 rank. */
static inline size_t tf_mood_key(const char *mood, uint32_t rank, unsigned char key[600])
{
    struct mm_buf b;
    mm_buf_init(&b, 600);
    assert_int_equal(mm_score_mood_key(mood, rank, &b), MM_OK);
    memcpy(key, b.data, b.len);
    size_t n = b.len;
    mm_buf_cleanup(&b);
    return n;
}

/* Mood row `rank` (0 = best) of `mood`: track, fit, popularity (MM_NULL_INT: nil). */
static inline void tf_put_mood(struct mm_store *s, const char *mood, uint32_t rank,
                               const char *track, double fit, int64_t popularity)
{
    unsigned char key[600];
    size_t klen = tf_mood_key(mood, rank, key);
    struct mm_mood_row row = {(char *)track, fit, popularity};
    struct mm_buf val;
    mm_buf_init(&val, 4096);
    assert_int_equal(mm_score_mood_row_encode(&row, &val), MM_OK);
    tf_put_raw(s, "moods", key, klen, val.data, val.len);
    mm_buf_cleanup(&val);
}

#endif
