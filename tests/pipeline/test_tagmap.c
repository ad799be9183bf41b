/* Tests of pipeline/tagmap.c: the table (sorted, normalised tags, every row
 * found), single lookups, the weighted mean over a track's tags, the limits
 * on tags, and that docs/score.md lists the table verbatim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "pipeline/tagmap.h"

static char *table_markdown(void)
{
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_tagmap_doc_markdown(&b), MM_OK);
    return mm_buf_take(&b);
}

/* Every row of the rendered table: its tag is normalised, rows are in byte
 * order (bsearch needs it) and each is found by a lookup. */
static void test_table(void **state)
{
    (void)state;
    char *md = table_markdown(), *prev = NULL;
    size_t rows = 0;
    const char *line = strstr(md, "|---|");
    assert_non_null(line);
    for (line = strchr(line, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        assert_true(line[0] == '|' && line[1] == ' ');
        size_t len = strcspn(line + 2, "|") - 1;
        char *tag = mm_xstrndup(line + 2, len);
        struct mm_buf norm;
        mm_buf_init(&norm, 1024);
        assert_int_equal(mm_text_normalize(tag, len, &norm), MM_OK);
        if (strcmp(norm.data, tag) != 0)
            fail_msg("tag \"%s\" is not normalised (\"%s\")", tag, norm.data);
        if (prev && strcmp(prev, tag) >= 0)
            fail_msg("tags out of order: \"%s\" before \"%s\"", prev, tag);
        struct mm_features f;
        if (!mm_tagmap_lookup(tag, &f) || !f.present)
            fail_msg("tag \"%s\" is listed but not found", tag);
        mm_buf_cleanup(&norm);
        free(prev);
        prev = tag;
        rows++;
    }
    free(prev);
    assert_true(rows >= 100);
    free(md);
}

static void test_lookup(void **state)
{
    (void)state;
    struct mm_features f;
    assert_true(mm_tagmap_lookup("chill", &f));
    assert_true(f.present);
    assert_string_equal(f.source, "lastfm_tags");
    assert_true(f.has_energy && f.has_valence);
    assert_float_equal(f.energy, 0.3, 1e-12);
    assert_false(f.has_danceability || f.has_tempo || f.has_loudness);
    assert_true(mm_tagmap_lookup("ambient", &f));
    assert_float_equal(f.energy, 0.15, 1e-12);
    assert_float_equal(f.instrumentalness, 0.85, 1e-12);
    assert_float_equal(f.tempo, 75, 1e-12);
    assert_float_equal(f.loudness, -20, 1e-12);
    assert_true(mm_tagmap_lookup("live", &f));
    assert_true(f.has_liveness && !f.has_energy);
    assert_false(mm_tagmap_lookup("Chill", &f)); /* lookups take normalised tags */
    assert_false(f.present);
    assert_false(mm_tagmap_lookup("seen live", &f));
    assert_false(mm_tagmap_lookup(NULL, &f));
}

/* The i-th tag weighs 1 / (1 + i); features no known tag sets stay absent. */
static void test_weighted_mean(void **state)
{
    (void)state;
    const char *tags[] = {"R&B", "seen live", "Chill", "Lo-Fi"};
    struct mm_features f;
    assert_true(mm_tagmap_features(tags, 4, &f));
    assert_true(f.present);
    assert_string_equal(f.source, "lastfm_tags");
    /* r and b (w 1): energy .5; chill (w 1/3): .3; lo fi (w 1/4): .35 */
    double w = 1 + 1.0 / 3 + 0.25;
    assert_float_equal(f.energy, (0.5 + 0.3 / 3 + 0.35 / 4) / w, 1e-12);
    assert_float_equal(f.valence, (0.5 + 0.55 / 3 + 0.45 / 4) / w, 1e-12);
    /* danceability: r and b and lo fi only */
    assert_float_equal(f.danceability, (0.68 + 0.65 / 4) / 1.25, 1e-12);
    assert_float_equal(f.tempo, (95 + 85.0 / 4) / 1.25, 1e-9);
    assert_false(f.has_liveness);
    /* The order matters: the first tag leads. */
    const char *sad_first[] = {"sad", "happy"};
    assert_true(mm_tagmap_features(sad_first, 2, &f));
    assert_float_equal(f.valence, (0.15 + 0.85 / 2) / 1.5, 1e-12);
    assert_true(f.valence < 0.5);
}

static void test_unknown_and_limits(void **state)
{
    (void)state;
    struct mm_features f;
    const char *unknown[] = {"seen live", "favorites", "00s"};
    assert_false(mm_tagmap_features(unknown, 3, &f));
    assert_false(f.present);
    assert_null(f.source);
    assert_false(mm_tagmap_features(NULL, 0, &f));
    /* Only the first MM_TAGMAP_TAGS_MAX tags count. */
    const char *many[MM_TAGMAP_TAGS_MAX + 1];
    for (size_t i = 0; i < MM_TAGMAP_TAGS_MAX; i++)
        many[i] = "favorites";
    many[MM_TAGMAP_TAGS_MAX] = "metal";
    assert_false(mm_tagmap_features(many, MM_TAGMAP_TAGS_MAX + 1, &f));
    many[MM_TAGMAP_TAGS_MAX - 1] = "metal";
    assert_true(mm_tagmap_features(many, MM_TAGMAP_TAGS_MAX + 1, &f));
    assert_float_equal(f.energy, 0.92, 1e-12);
    /* A tag longer than MM_TAGMAP_TAG_MAX bytes is ignored. */
    char *longtag = mm_xmalloc(MM_TAGMAP_TAG_MAX + 8);
    memset(longtag, ' ', MM_TAGMAP_TAG_MAX + 2);
    memcpy(longtag + MM_TAGMAP_TAG_MAX - 2, "sad", 4);
    const char *one[] = {longtag};
    assert_false(mm_tagmap_features(one, 1, &f));
    longtag[MM_TAGMAP_TAG_MAX - 3] = '\0';
    memcpy(longtag + MM_TAGMAP_TAG_MAX - 6, "sad", 3);
    assert_true(mm_tagmap_features(one, 1, &f));
    free(longtag);
}

static void test_doc_in_sync(void **state)
{
    (void)state;
    const char *src = getenv("MM_SOURCE_DIR");
    const char *begin = "<!-- BEGIN GENERATED: tag map -->\n", *end = "<!-- END GENERATED -->";
    if (!src)
        fail_msg("MM_SOURCE_DIR is not set (ctest sets it to the repository root)");
    char *path = mm_xasprintf("%s/docs/score.md", src);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(f);
    char *md = table_markdown();
    char *start = b.data ? strstr(b.data, begin) : NULL, *stop = start ? strstr(start, end) : NULL;
    if (!start || !stop)
        fail_msg("%s has no generated tag map section", path);
    start += strlen(begin);
    if ((size_t)(stop - start) != strlen(md) || memcmp(start, md, strlen(md)) != 0)
        fail_msg("%s is out of date; its tag map section must be:\n%s", path, md);
    assert_non_null(strstr(md, "| tag | energy | valence | danceability | acousticness | "));
    free(md);
    mm_buf_cleanup(&b);
    free(path);
    struct mm_buf tiny;
    mm_buf_init(&tiny, 100);
    assert_int_equal(mm_tagmap_doc_markdown(&tiny), MM_ETOOBIG);
    assert_int_equal(tiny.len, 0);
    mm_buf_cleanup(&tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_weighted_mean), cmocka_unit_test(test_unknown_and_limits),
        cmocka_unit_test(test_doc_in_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
