/* Tests of pipeline/moods.c: the default mood table of the config, the
 * free-text → mood mapping on a table of cases (exact, alias, word overlap,
 * stems, unknown → default), the checks made when a table is built, the fit
 * formula, and that docs/score.md lists the default profiles verbatim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "pipeline/moods.h"

static char dir[] = "/tmp/mm-test-moods-XXXXXX";
static struct mm_config *cfg;
static struct mm_moods *moods;

/* Loads a config of only defaults (plus `sets`) from a file in dir. */
static mm_err load_config(const char *const *sets, size_t n, struct mm_config **out)
{
    char *path = mm_xasprintf("%s/moodmusic.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{}", f);
    assert_int_equal(fclose(f), 0);
    mm_err err = mm_config_load(path, sets, n, out, NULL);
    unlink(path);
    free(path);
    return err;
}

static int setup(void **state)
{
    (void)state;
    char why[MM_ERRLEN] = "";
    if (!mkdtemp(dir) || load_config(NULL, 0, &cfg) != MM_OK)
        return -1;
    mm_err err =
        mm_moods_new(cfg->score.moods, cfg->score.n_moods, cfg->score.default_mood, &moods, why);
    if (err)
        fprintf(stderr, "default moods: %s\n", why);
    return err ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    mm_moods_free(moods);
    mm_config_free(cfg);
    return rmdir(dir);
}

/* The defaults cover the moods of the sample generator, in its order. */
static void test_default_table(void **state)
{
    (void)state;
    static const char *const some[] = {"chill",     "sad",         "happy",     "focused",
                                       "energetic", "melancholic", "romantic",  "nostalgic",
                                       "hype",      "sleepy",      "rainy day", "latin night"};
    assert_int_equal(mm_moods_count(moods), 44);
    assert_string_equal(mm_moods_at(moods, 0)->name, "chill");
    for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
        const struct mm_mood *m = mm_moods_find(moods, some[i]);
        assert_non_null(m);
        assert_true(m->target.present);
        assert_ptr_equal(mm_moods_at(moods, m->index), m);
    }
    const struct mm_mood *chill = mm_moods_find(moods, "chill");
    assert_true(chill->target.has_energy);
    assert_float_equal(chill->target.energy, 0.35, 1e-9);
    assert_true(chill->target.has_tempo);
    assert_false(chill->target.has_loudness);
    assert_null(mm_moods_find(moods, "Chill"));
}

struct map_case {
    const char *text;
    const char *mood;
    enum mm_mood_match how;
};

static void test_map_table(void **state)
{
    (void)state;
    static const struct map_case cases[] = {
        {"chill", "chill", MM_MOOD_EXACT},
        {"Chill", "chill", MM_MOOD_EXACT},
        {"  MELLOW and Relaxed ", "chill", MM_MOOD_EXACT},
        {"laid-back", "chill", MM_MOOD_EXACT},
        {"Late Night", "late night", MM_MOOD_EXACT},
        {"heavy-hearted", "sad", MM_MOOD_EXACT},
        {"romántico", "romantic", MM_MOOD_EXACT},
        {"Post-Breakup", "heartbreak", MM_MOOD_EXACT},
        {"K-Pop Stan", "k pop", MM_MOOD_WORDS},
        {"late-night drive", "late night", MM_MOOD_WORDS},
        {"feeling sad today", "sad", MM_MOOD_WORDS},
        {"sad rainy day songs", "rainy day", MM_MOOD_WORDS},
        {"nostalgia trip", "nostalgic", MM_MOOD_WORDS},
        {"energizing", "energetic", MM_MOOD_WORDS},
        {"so relaxing", "chill", MM_MOOD_WORDS},
        {"not sad", "sad", MM_MOOD_WORDS},
        {"zzz qqq", "chill", MM_MOOD_DEFAULT},
        {"", "chill", MM_MOOD_DEFAULT},
        {"the songs", "chill", MM_MOOD_DEFAULT},
        {"\xF0\x9F\x98\xB4", "chill", MM_MOOD_DEFAULT},
        {"sa", "chill", MM_MOOD_DEFAULT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum mm_mood_match how = (enum mm_mood_match) - 1;
        const struct mm_mood *m = mm_moods_map(moods, cases[i].text, strlen(cases[i].text), &how);
        if (strcmp(m->name, cases[i].mood) != 0 || how != cases[i].how)
            fail_msg("\"%s\": want %s (%s), got %s (%s)", cases[i].text, cases[i].mood,
                     mm_moods_match_name(cases[i].how), m->name, mm_moods_match_name(how));
    }
    enum mm_mood_match how = MM_MOOD_EXACT;
    assert_string_equal(mm_moods_map(moods, NULL, 0, &how)->name, "chill");
    assert_int_equal(how, MM_MOOD_DEFAULT);
    /* Only the first MM_MOOD_TEXT_MAX bytes count. */
    char *long_text = mm_xmalloc(MM_MOOD_TEXT_MAX + 16);
    memset(long_text, 'x', MM_MOOD_TEXT_MAX);
    memcpy(long_text + MM_MOOD_TEXT_MAX, " sad", 5);
    assert_string_equal(mm_moods_map(moods, long_text, strlen(long_text), &how)->name, "chill");
    assert_int_equal(how, MM_MOOD_DEFAULT);
    memcpy(long_text, "sad ", 4);
    assert_string_equal(mm_moods_map(moods, long_text, strlen(long_text), &how)->name, "sad");
    free(long_text);
}

/* A configured default mood and an edited profile come from the config. */
static void test_config_overrides(void **state)
{
    (void)state;
    const char *sets[] = {"score.default_mood=sad", "score.moods.chill.energy=0.2",
                          "score.moods.hype=null",
                          "score.moods.zen garden={\"energy\": 0.1, \"aliases\": [\"koi\"]}"};
    struct mm_config *c;
    struct mm_moods *m;
    char why[MM_ERRLEN] = "";
    assert_int_equal(load_config(sets, 4, &c), MM_OK);
    assert_int_equal(mm_moods_new(c->score.moods, c->score.n_moods, c->score.default_mood, &m, why),
                     MM_OK);
    assert_int_equal(mm_moods_count(m), 44);
    assert_null(mm_moods_find(m, "hype"));
    const struct mm_mood *chill = mm_moods_find(m, "chill");
    assert_float_equal(chill->target.energy, 0.2, 1e-9);
    assert_float_equal(chill->target.valence, 0.55, 1e-9);
    assert_int_equal(chill->n_aliases, 11);
    enum mm_mood_match how;
    assert_string_equal(mm_moods_map(m, "Koi", 3, &how)->name, "zen garden");
    assert_int_equal(how, MM_MOOD_EXACT);
    assert_string_equal(mm_moods_map(m, "qqq", 3, &how)->name, "sad");
    assert_string_equal(mm_moods_map(m, "hyped", 5, &how)->name, "sad");
    mm_moods_free(m);
    mm_config_free(c);
}

static void expect_build_error(const struct mm_mood_config *mc, size_t n, const char *def,
                               const char *want)
{
    struct mm_moods *m = (struct mm_moods *)1;
    char why[MM_ERRLEN] = "";
    assert_int_equal(mm_moods_new(mc, n, def, &m, why), MM_ECONFIG);
    assert_null(m);
    if (strcmp(why, want) != 0)
        fail_msg("want: %s\ngot:  %s", want, why);
}

static void test_build_errors(void **state)
{
    (void)state;
    char *calm[] = {"calm"}, *loud[] = {"Loud"}, *calm_b[] = {"quiet", "calm"};
    struct mm_mood_config mc[2] = {
        {.name = "chill", .target = {.energy = 0.3, .has_energy = true}},
        {.name = "soft", .target = {.energy = 0.2, .has_energy = true}},
    };
    expect_build_error(mc, 0, "chill", "score.moods: expected 1..1024 moods, got 0");
    expect_build_error(mc, 2, "mellow",
                       "score.default_mood: \"mellow\" is not a mood of score.moods");
    mc[1].name = "Soft";
    expect_build_error(mc, 2, "chill",
                       "score.moods.Soft: \"Soft\" is not normalised text (expected \"soft\")");
    mc[1].name = "soft";
    mc[0].aliases = calm;
    mc[0].n_aliases = 1;
    mc[1].aliases = calm_b;
    mc[1].n_aliases = 2;
    expect_build_error(mc, 2, "chill",
                       "score.moods.soft.aliases[1]: \"calm\" already names the mood \"chill\"");
    mc[1].aliases = loud;
    mc[1].n_aliases = 1;
    expect_build_error(mc, 2, "chill",
                       "score.moods.soft.aliases[0]: \"Loud\" is not normalised text "
                       "(expected \"loud\")");
    mc[1].n_aliases = 0;
    mc[1].name = "calm";
    expect_build_error(mc, 2, "chill",
                       "score.moods.calm: \"calm\" already names the mood \"chill\"");
    mc[1].name = "soft";
    mc[1].target.has_energy = false;
    expect_build_error(mc, 2, "chill", "score.moods.soft: constrains no audio feature");
    mc[1].target.has_energy = true;
    struct mm_moods *m;
    char why[MM_ERRLEN] = "";
    assert_int_equal(mm_moods_new(mc, 2, "soft", &m, why), MM_OK);
    enum mm_mood_match how;
    assert_string_equal(mm_moods_map(m, "calm", 4, &how)->name, "chill");
    assert_string_equal(mm_moods_map(m, "nothing", 7, &how)->name, "soft");
    mm_moods_free(m);
}

static void test_fit(void **state)
{
    (void)state;
    struct mm_mood mood = {
        .name = "t",
        .target = {
            .present = true, .energy = 0.5, .has_energy = true, .tempo = 100, .has_tempo = true}};
    struct mm_features f = {.present = true,
                            .energy = 0.5,
                            .has_energy = true,
                            .tempo = 100,
                            .has_tempo = true,
                            .valence = 0.9,
                            .has_valence = true};
    double fit = -1;
    assert_true(mm_moods_fit(&mood, &f, &fit));
    assert_float_equal(fit, 1.0, 1e-12);
    f.energy = 0.7; /* d_energy 0.2, d_tempo 0 */
    assert_true(mm_moods_fit(&mood, &f, &fit));
    assert_float_equal(fit, 1.0 - sqrt(0.04 / 2), 1e-12);
    f.tempo = 140; /* tempo / 200: d_tempo 0.2 */
    assert_true(mm_moods_fit(&mood, &f, &fit));
    assert_float_equal(fit, 0.8, 1e-12);
    f.has_tempo = false; /* an unknown feature counts as 0.5 away */
    assert_true(mm_moods_fit(&mood, &f, &fit));
    assert_float_equal(fit, 1.0 - sqrt((0.04 + 0.25) / 2), 1e-12);
    f.has_energy = false; /* nothing in common: no fit */
    fit = -1;
    assert_false(mm_moods_fit(&mood, &f, &fit));
    assert_float_equal(fit, -1, 0);
    f.has_energy = true;
    f.present = false;
    assert_false(mm_moods_fit(&mood, &f, &fit));
    assert_false(mm_moods_fit(&mood, NULL, &fit));
    /* Loudness on (dB + 60) / 60, values clamped to the scale. */
    struct mm_mood loud = {.name = "l",
                           .target = {.present = true,
                                      .loudness = -10,
                                      .has_loudness = true,
                                      .tempo = 220,
                                      .has_tempo = true}};
    struct mm_features g = {
        .present = true, .loudness = -40, .has_loudness = true, .tempo = 400, .has_tempo = true};
    assert_true(mm_moods_fit(&loud, &g, &fit));
    assert_float_equal(fit, 1.0 - sqrt(0.25 / 2), 1e-12);
    g.loudness = -90; /* clamped to 0: d = 50/60 */
    assert_true(mm_moods_fit(&loud, &g, &fit));
    assert_float_equal(fit, 1.0 - sqrt((50.0 / 60) * (50.0 / 60) / 2), 1e-12);
    /* Worst case: every feature 1 apart. */
    struct mm_features far = {
        .present = true, .energy = 1.5, .has_energy = true, .tempo = 0, .has_tempo = true};
    mood.target.energy = 0;
    mood.target.tempo = 200;
    assert_true(mm_moods_fit(&mood, &far, &fit));
    assert_float_equal(fit, 0.0, 1e-12);
}

/* The text between `begin` and `end` in docs/score.md. Caller frees. */
static char *doc_section(const char *begin, const char *end)
{
    const char *src = getenv("MM_SOURCE_DIR");
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
    free(path);
    char *start = b.data ? strstr(b.data, begin) : NULL, *stop = start ? strstr(start, end) : NULL;
    if (!start || !stop)
        fail_msg("docs/score.md has no section %s ... %s", begin, end);
    start += strlen(begin);
    char *out = mm_xstrndup(start, (size_t)(stop - start));
    mm_buf_cleanup(&b);
    return out;
}

static void test_doc_in_sync(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_moods_doc_markdown(moods, &b), MM_OK);
    assert_non_null(strstr(b.data, "| chill | 0.35 | 0.55 | 0.6 | 0.5 | | | | 95 | | laid back, "));
    char *doc = doc_section("<!-- BEGIN GENERATED: mood profiles -->\n", "<!-- END GENERATED -->");
    if (strcmp(doc, b.data) != 0)
        fail_msg("docs/score.md is out of date; its mood profiles section must be:\n%s", b.data);
    free(doc);
    mm_buf_cleanup(&b);
    struct mm_buf tiny;
    mm_buf_init(&tiny, 64);
    assert_int_equal(mm_moods_doc_markdown(moods, &tiny), MM_ETOOBIG);
    assert_int_equal(tiny.len, 0);
    mm_buf_cleanup(&tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_table),
        cmocka_unit_test(test_map_table),
        cmocka_unit_test(test_config_overrides),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_doc_in_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
