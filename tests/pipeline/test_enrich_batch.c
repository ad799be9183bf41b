/* Tests of pipeline/enrich_batch.c: the track merge rule, and batches
 * committed in one transaction with track puts merged into the stored
 * record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pipeline/enrich_int.h"

static char dir[] = "/tmp/mm-test-enrich-batch-XXXXXX";
static const int default_rank[MM_SOURCE__COUNT] = {0, 1, 2, 3};

static void blank(struct mm_track *t)
{
    memset(t, 0, sizeof(*t));
    t->release_year = t->duration_ms = t->popularity = t->listeners = MM_NULL_INT;
}

/* A Spotify find: title, album, ISRC, popularity, its id and URL. */
static void spotify_track(struct mm_track *t)
{
    static char *artists[] = {"Nujabes"};
    blank(t);
    t->key = "isrc:GBG170473357";
    t->title = "Aruarian Dance";
    t->artists = artists;
    t->n_artists = 1;
    t->album = "Samurai Champloo Music Record: Departure";
    t->isrc = "GBG170473357";
    t->ids[MM_SOURCE_SPOTIFY] = "sp1";
    t->urls[MM_SOURCE_SPOTIFY] = "https://open.spotify.com/track/sp1";
    t->popularity = 85;
    t->source = MM_SOURCE_SPOTIFY;
    t->score = 100;
    t->fetched_at_us = 1700000000000000;
}

/* A MusicBrainz find of the same recording: an MBID, a year, tags. */
static void musicbrainz_track(struct mm_track *t)
{
    static char *artists[] = {"Nujabes"};
    static char *tags[] = {"lo-fi", "chill"};
    blank(t);
    t->key = "isrc:GBG170473357";
    t->title = "Aruarian dance";
    t->artists = artists;
    t->n_artists = 1;
    t->release_year = 2004;
    t->isrc = "GBG170473357";
    t->ids[MM_SOURCE_MUSICBRAINZ] = "989f07d9-6de2-4bfb-8e51-00c15e7a27d5";
    t->ids[MM_SOURCE_SPOTIFY] = "sp-other";
    t->tags = tags;
    t->n_tags = 2;
    t->source = MM_SOURCE_MUSICBRAINZ;
    t->score = 96;
    t->fetched_at_us = 1700000100000000;
}

static void test_merge_rule(void **state)
{
    (void)state;
    struct mm_track sp, mb, out;
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    spotify_track(&sp);
    musicbrainz_track(&mb);

    /* Spotify ranks first: its descriptive fields and provenance win,
     * MusicBrainz fills the gaps, ids unite (Spotify's own id wins). */
    mm__enrich_track_merge(&sp, &mb, default_rank, &a, &out);
    assert_string_equal(out.key, "isrc:GBG170473357");
    assert_string_equal(out.title, "Aruarian Dance");
    assert_string_equal(out.album, "Samurai Champloo Music Record: Departure");
    assert_int_equal(out.release_year, 2004);
    assert_string_equal(out.ids[MM_SOURCE_SPOTIFY], "sp1");
    assert_string_equal(out.ids[MM_SOURCE_MUSICBRAINZ], "989f07d9-6de2-4bfb-8e51-00c15e7a27d5");
    assert_string_equal(out.urls[MM_SOURCE_SPOTIFY], "https://open.spotify.com/track/sp1");
    assert_int_equal(out.popularity, 85);
    assert_int_equal(out.n_tags, 2);
    assert_int_equal(out.source, MM_SOURCE_SPOTIFY);
    assert_true(out.score == 100);
    assert_int_equal(out.fetched_at_us, 1700000000000000);

    /* The same with MusicBrainz ranked first. */
    const int mb_first[MM_SOURCE__COUNT] = {1, 0, 2, 3};
    mm__enrich_track_merge(&sp, &mb, mb_first, &a, &out);
    assert_string_equal(out.title, "Aruarian dance");
    assert_string_equal(out.album, "Samurai Champloo Music Record: Departure");
    assert_string_equal(out.ids[MM_SOURCE_SPOTIFY], "sp-other");
    assert_int_equal(out.source, MM_SOURCE_MUSICBRAINZ);
    assert_int_equal(out.popularity, 85); /* only Spotify knows it */

    /* Tags unite without repeats; the newest listeners count wins. */
    static char *more[] = {"chill", "late night"};
    struct mm_track lf;
    musicbrainz_track(&lf);
    lf.source = MM_SOURCE_LASTFM;
    lf.tags = more;
    lf.listeners = 667125;
    mb.listeners = 12;
    mm__enrich_track_merge(&mb, &lf, default_rank, &a, &out);
    assert_int_equal(out.n_tags, 3);
    assert_string_equal(out.tags[0], "lo-fi");
    assert_string_equal(out.tags[1], "chill");
    assert_string_equal(out.tags[2], "late night");
    assert_int_equal(out.listeners, 667125);
    assert_int_equal(out.source, MM_SOURCE_MUSICBRAINZ);

    /* A refresh by the same source takes the fresh record. */
    struct mm_track sp2;
    spotify_track(&sp2);
    sp2.popularity = 90;
    sp2.fetched_at_us = 1800000000000000;
    mm__enrich_track_merge(&sp, &sp2, default_rank, &a, &out);
    assert_int_equal(out.popularity, 90);
    assert_int_equal(out.fetched_at_us, 1800000000000000);
    mm_arena_cleanup(&a);
}

static void test_commit_merges_tracks(void **state)
{
    (void)state;
    static const char *const dbs[] = {"mentions", "resolutions", "tracks", NULL};
    struct mm_store_options opt = {.dbs = dbs};
    struct mm_store *st;
    struct mm__enrich_batch b;
    struct mm_track sp, mb, got;
    struct mm_buf enc;
    struct mm_arena a;
    assert_int_equal(mm_store_open(dir, &opt, &st), MM_OK);
    mm__enrich_batch_init(&b, st, default_rank);
    mm_buf_init(&enc, 1 << 20);
    mm_arena_init(&a, 4096);
    spotify_track(&sp);
    musicbrainz_track(&mb);
    unsigned db_tracks = mm_store_db(st, "tracks"), db_mentions = mm_store_db(st, "mentions");

    /* Two finds of one key in one batch: the second merges into the first. */
    assert_int_equal(mm_track_encode(&mb, &enc), MM_OK);
    assert_int_equal(
        mm__enrich_batch_put(&b, db_tracks, mb.key, strlen(mb.key), enc.data, enc.len, true),
        MM_OK);
    mm_buf_reset(&enc);
    assert_int_equal(mm_track_encode(&sp, &enc), MM_OK);
    assert_int_equal(
        mm__enrich_batch_put(&b, db_tracks, sp.key, strlen(sp.key), enc.data, enc.len, true),
        MM_OK);
    assert_int_equal(mm__enrich_batch_put(&b, db_mentions, "m1", 2, "v1", 2, false), MM_OK);
    assert_false(mm__enrich_batch_full(&b, 2));
    assert_true(mm__enrich_batch_full(&b, 1));
    assert_int_equal(mm__enrich_batch_commit(&b), MM_OK);
    assert_false(mm__enrich_batch_full(&b, 1));

    struct mm_txn *txn;
    const void *v;
    size_t vl;
    assert_int_equal(mm_store_read_begin(st, &txn), MM_OK);
    assert_int_equal(mm_store_get(txn, db_tracks, sp.key, strlen(sp.key), &v, &vl), MM_OK);
    assert_int_equal(mm_track_decode(v, vl, &a, &got), MM_OK);
    assert_string_equal(got.title, "Aruarian Dance");
    assert_int_equal(got.release_year, 2004);
    assert_string_equal(got.ids[MM_SOURCE_MUSICBRAINZ], "989f07d9-6de2-4bfb-8e51-00c15e7a27d5");
    assert_int_equal(got.source, MM_SOURCE_SPOTIFY);
    assert_int_equal(mm_store_get(txn, db_mentions, "m1", 2, &v, &vl), MM_OK);
    assert_memory_equal(v, "v1", 2);
    mm_store_read_end(txn);

    /* An empty batch commits nothing and succeeds. */
    assert_int_equal(mm__enrich_batch_commit(&b), MM_OK);
    mm_arena_cleanup(&a);
    mm_buf_cleanup(&enc);
    mm__enrich_batch_cleanup(&b);
    mm_store_close(st);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = mm_xasprintf("rm -rf %s", dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_rule),
        cmocka_unit_test(test_commit_merges_tracks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
