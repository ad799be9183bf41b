/* Tests of common/match.c: the title and artist keys rule by rule, a table of
 * tricky mention/candidate pairs that must or must not match, the score's
 * properties (caps, penalties, bounds) and the scoring caps on long input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/match.h"
#include "common/mem.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- keys --- */

struct key_case {
    const char *in, *key;
};

static void check_keys(const struct key_case *cases, size_t n,
                       mm_err (*fn)(const char *, struct mm_buf *))
{
    for (size_t i = 0; i < n; i++) {
        struct mm_buf b;
        mm_buf_init(&b, 4096);
        assert_int_equal(fn(cases[i].in, &b), MM_OK);
        if (strcmp(b.data ? b.data : "", cases[i].key) != 0)
            fail_msg("key of \"%s\": got \"%s\", want \"%s\"", cases[i].in, b.data ? b.data : "",
                     cases[i].key);
        mm_buf_cleanup(&b);
    }
}

static const struct key_case title_keys[] = {
    /* decorations after " - " */
    {"Under Pressure - Remastered 2011", "under pressure"},
    {"Heroes - 2017 Remaster", "heroes"},
    {"Blinding Lights - Radio Edit", "blinding lights"},
    {"Dancing Queen - Single Version", "dancing queen"},
    {"Hotel California - Live", "hotel california"},
    {"Song \xE2\x80\x93 Remastered", "song"},
    {"Let It Go - From \"Frozen\"/Soundtrack Version", "let it go"},
    {"Symphony No. 9 - II. Molto vivace - Remastered", "symphony no 9 ii molto vivace"},
    {"Song - Part 2", "song part 2"},
    {"Jay-Z", "jay z"},
    /* decorations in brackets */
    {"Get Lucky (feat. Pharrell Williams)", "get lucky"},
    {"Lost (with Miguel)", "lost"},
    {"Hotel California (Live at the Forum, 1976)", "hotel california"},
    {"Help! (Mono)", "help"},
    {"Come Together (Deluxe)", "come together"},
    {"Song [Bonus Track]", "song"},
    {"Wonderwall (Remastered)", "wonderwall"},
    {"Song (25th Anniversary Edition)", "song"},
    {"Song (feat. X", "song"},
    {"Nested (feat. A [B]) Tail", "nested tail"},
    /* inline credits, as whole words only */
    {"Get Lucky feat. Pharrell Williams", "get lucky"},
    {"Uptown Funk ft. Bruno Mars", "uptown funk"},
    {"Song featuring X (Remix)", "song remix"},
    {"Left Behind", "left behind"},
    {"Without You", "without you"},
    {"Stay With Me", "stay with me"},
    {"Sweet Defeat", "sweet defeat"},
    {"Defeat feat. X", "defeat"},
    {"Lefty ft", "lefty ft"},
    /* kept: not decorations, or nothing before them */
    {"(I Can't Get No) Satisfaction", "i cant get no satisfaction"},
    {"(Remastered)", "remastered"},
    {"Live Forever", "live forever"},
    {"Live and Let Die - Live", "live and let die"},
    {"Blinding Lights - Major Lazer Remix", "blinding lights major lazer remix"},
    {"Song (Extended Mix)", "song extended mix"},
    {"Wonderwall - Acoustic", "wonderwall acoustic"},
    {"Song (2011)", "song 2011"},
    {"Song -", "song"},
    {"Don't Stop Me Now", "dont stop me now"},
    {"", ""},
};

static void test_title_key(void **state)
{
    (void)state;
    check_keys(title_keys, ARRAY_LEN(title_keys), mm_match_title_key);
}

static const struct key_case artist_keys[] = {
    {"Queen & David Bowie", "queen"},
    {"The Beatles", "beatles"},
    {"Beyonc\xC3\xA9", "beyonce"},
    {"Simon and Garfunkel", "simon"},
    {"Macklemore, Ryan Lewis & Wanz", "macklemore"},
    {"Daft Punk feat. Pharrell Williams", "daft punk"},
    {"Mark Ronson ft. Bruno Mars", "mark ronson"},
    {"Bad Bunny x Jhay Cortez", "bad bunny"},
    {"Lil Nas X", "lil nas x"},
    {"Calvin Harris with Dua Lipa", "calvin harris"},
    {"Sigur R\xC3\xB3s", "sigur ros"},
    {", Foo; Bar", "foo"},
    {"The", "the"},
    {"", ""},
};

static void test_artist_key(void **state)
{
    (void)state;
    check_keys(artist_keys, ARRAY_LEN(artist_keys), mm_match_artist_key);
}

static void test_key_errors(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 8);
    assert_int_equal(mm_match_title_key(NULL, &b), MM_EINVAL);
    assert_int_equal(mm_match_artist_key(NULL, &b), MM_EINVAL);
    /* keys append; past the cap the buffer is left as it was */
    assert_int_equal(mm_match_title_key("Ab (Live)", &b), MM_OK);
    assert_string_equal(b.data, "ab");
    assert_int_equal(mm_match_title_key("Long Title (feat. X)", &b), MM_ETOOBIG);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    assert_int_equal(mm_match_artist_key("The Verylongname", &b), MM_ETOOBIG);
    assert_string_equal(b.data, "ab");
    mm_buf_cleanup(&b);
}

/* --- the table of pairs --- */

struct pair {
    const char *want_title, *want_artist;
    const char *cand_title;
    const char *cand_artists[4]; /* NULL-terminated */
    bool match;
};

/* clang-format off */
static const struct pair pairs[] = {
    /* must match */
    {"Under Pressure - Remastered 2011", "Queen & David Bowie", "Under Pressure",
     {"Queen", "David Bowie"}, true},
    {"Under Pressure", "Queen", "Under Pressure - Remastered 2011", {"Queen", "David Bowie"}, true},
    {"Under Pressure", "Queen", "Under Pressure", {"Queen & David Bowie"}, true},
    {"Halo", "Beyonc\xC3\xA9", "Halo", {"Beyonce"}, true},
    {"Let It Be", "The Beatles", "Let It Be", {"Beatles"}, true},
    {"Mrs. Robinson", "Simon and Garfunkel", "Mrs Robinson", {"Simon & Garfunkel"}, true},
    {"Get Lucky (feat. Pharrell Williams)", "Daft Punk", "Get Lucky",
     {"Daft Punk", "Pharrell Williams", "Nile Rodgers"}, true},
    {"Get Lucky", "Daft Punk feat. Pharrell Williams", "Get Lucky - Radio Edit",
     {"Daft Punk", "Pharrell Williams", "Nile Rodgers"}, true},
    {"Blinding Lights - Radio Edit", "The Weeknd", "Blinding Lights", {"The Weeknd"}, true},
    {"Hotel California - Live", "Eagles", "Hotel California", {"Eagles"}, true},
    {"Hotel California", "Eagles", "Hotel California (Live at the Forum)", {"Eagles"}, true},
    {"Don't Stop Me Now", "Queen", "Dont Stop Me Now", {"Queen"}, true},
    {"Hopp\xC3\xADpolla", "Sigur R\xC3\xB3s", "Hoppipolla", {"Sigur Ros"}, true},
    {"Left Behind", "Slipknot", "Left Behind", {"Slipknot"}, true},
    {"Without You", "Harry Nilsson", "Without You", {"Harry Nilsson"}, true},
    {"Stay With Me", "Sam Smith", "Stay With Me", {"Sam Smith"}, true},
    {"Sweet Defeat", "Some Band", "Sweet Defeat (Remastered)", {"Some Band"}, true},
    {"Can't Hold Us", "Macklemore, Ryan Lewis & Wanz", "Can't Hold Us", {"Macklemore"}, true},
    {"Se\xC3\xB1orita", "Shawn Mendes & Camila Cabello", "Senorita",
     {"Shawn Mendes", "Camila Cabello"}, true},
    {"September", "Earth, Wind & Fire", "September", {"Earth, Wind & Fire"}, true},
    {"September", "Earth Wind and Fire", "September", {"Earth, Wind & Fire"}, true},
    {"Bad Guy", "Billie Eilish", "bad guy", {"Billie Eilish"}, true},
    {"Lose Yourself", "Eminem", "Lose Yourself - From \"8 Mile\" Soundtrack", {"Eminem"}, true},
    {"Wonderwall", "Oasis", "Wonderwall (Remastered)", {"Oasis"}, true},
    {"Smells Like Teen Spirit", "Nirvana", "Smells Like Teen Spirit (2021 Remaster)", {"Nirvana"},
     true},
    {"Dancing Queen", "ABBA", "Dancing Queen - Single Version", {"ABBA"}, true},
    {"Rock and Roll", "Led Zeppelin", "Rock & Roll - Remaster", {"Led Zeppelin"}, true},
    {"Sweet Child O' Mine", "Guns N' Roses", "Sweet Child O Mine", {"Guns N Roses"}, true},
    {"Ace of Spades", "Motorhead", "Ace of Spades", {"Mot\xC3\xB6rhead"}, true},
    {"Uptown Funk", "Mark Ronson ft. Bruno Mars", "Uptown Funk (feat. Bruno Mars)",
     {"Mark Ronson", "Bruno Mars"}, true},
    {"Bohemian Rapsody", "Queen", "Bohemian Rhapsody", {"Queen"}, true},
    {"Yesterday - Remastered 2009", "The Beatles", "Yesterday", {"The Beatles"}, true},
    {"Old Town Road", "Lil Nas X", "Old Town Road", {"Lil Nas X", "Billy Ray Cyrus"}, true},
    {"Dog Days Are Over", "Florence and the Machine", "Dog Days Are Over",
     {"Florence + The Machine"}, true},
    {"Mr. Brightside", "The Killers", "Mr Brightside", {"Killers"}, true},
    {"Despacito", "Luis Fonsi", "Despacito (feat. Daddy Yankee)", {"Luis Fonsi", "Daddy Yankee"},
     true},
    {"Purple Rain", "Prince & The Revolution", "Purple Rain", {"Prince"}, true},
    {"Heroes", "David Bowie", "\"Heroes\" - 2017 Remaster", {"David Bowie"}, true},
    {"Summer of '69", "Bryan Adams", "Summer Of 69", {"Bryan Adams"}, true},
    {"Clair de Lune", NULL, "Clair de Lune", {"Claude Debussy"}, true},
    {"Clair de Lune", "", "Clair de Lune", {"Claude Debussy"}, true},
    {"!!!", "!!!", "!!!", {"!!!"}, true},
    /* must not match */
    {"Bohemian Rhapsody", "Queen", "Under Pressure", {"Queen"}, false},
    {"Yesterday", "The Beatles", "Yesterday", {"Leona Lewis"}, false},
    {"Hallelujah", "Leonard Cohen", "Hallelujah", {"Jeff Buckley"}, false},
    {"Hallelujah", "Jeff Buckley", "Hallelujah", {"Tim Buckley"}, false},
    {"Left Behind", "Slipknot", "Le", {"Slipknot"}, false},
    {"Love", "Taylor Swift", "Love Story", {"Taylor Swift"}, false},
    {"Love", NULL, "Love Story", {"Taylor Swift"}, false},
    {"Blinding Lights", "The Weeknd", "Blinding Lights - Major Lazer Remix",
     {"The Weeknd", "Major Lazer"}, false},
    {"Old Town Road", "Lil Nas X", "Old Town Road (feat. Billy Ray Cyrus) - Remix",
     {"Lil Nas X", "Billy Ray Cyrus"}, false},
    {"Wonderwall", "Oasis", "Wonderwall - Acoustic", {"Oasis"}, false},
    {"Without You", "Harry Nilsson", "With You", {"Harry Nilsson"}, false},
    {"Hey Jude", "The Beatles", "Hey Bulldog", {"The Beatles"}, false},
    {"Hello", "Adele", "Hello", {"Lionel Richie"}, false},
    {"Stay", "Rihanna", "Stay With Me", {"Sam Smith"}, false},
    {"Someone Like You", "Adele", "Someone You Loved", {"Lewis Capaldi"}, false},
    {"Song 2", "Blur", "Song 3", {"Blur"}, false},
    {"Symphony No. 5", "Beethoven", "Symphony No. 9", {"Beethoven"}, false},
    {"Yesterday", "The Beatles", "", {"The Beatles"}, false},
    {"Yesterday", "The Beatles", "Yesterday", {NULL}, false},
    {"", "The Beatles", "", {"The Beatles"}, false},
    {"!!!", "Band", "???", {"Band"}, false},
};
/* clang-format on */

static void test_pairs(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
        const struct pair *p = &pairs[i];
        size_t n = 0;
        while (n < ARRAY_LEN(p->cand_artists) && p->cand_artists[n])
            n++;
        double s = mm_match_score(p->want_title, p->want_artist, p->cand_title, p->cand_artists, n);
        if ((s >= MM_MATCH_MIN_SCORE) != p->match || s < 0.0 || s > 100.0) {
            fprintf(stderr, "row %zu: \"%s\" / \"%s\" vs \"%s\" / \"%s\": %.1f, want %s\n", i,
                    p->want_title, p->want_artist ? p->want_artist : "(null)", p->cand_title,
                    p->cand_artists[0] ? p->cand_artists[0] : "(none)", s,
                    p->match ? "match" : "no match");
            failures++;
        }
    }
    assert_true(ARRAY_LEN(pairs) >= 40);
    assert_int_equal(failures, 0);
}

/* --- properties of the score --- */

static double score1(const char *wt, const char *wa, const char *ct, const char *ca)
{
    const char *artists[] = {ca};
    return mm_match_score(wt, wa, ct, artists, ca ? 1 : 0);
}

static void test_score_values(void **state)
{
    (void)state;
    /* identical or equal keys: 100 */
    assert_true(score1("Under Pressure", "Queen", "Under Pressure", "Queen") == 100.0);
    assert_true(score1("Halo", "Beyonc\xC3\xA9", "HALO", "beyonce") == 100.0);
    /* no wanted artist: the title alone, capped at 90 */
    assert_true(score1("Clair de Lune", NULL, "Clair de Lune", "Debussy") == 90.0);
    assert_true(score1("Clair de Lune", "  ", "Clair de Lune", "Debussy") == 90.0);
    /* a perfect artist never rescues a different title, nor the reverse */
    assert_true(score1("Love", "Taylor Swift", "Love Story", "Taylor Swift") <= 40.0 + 1e-9);
    assert_true(score1("Yesterday", "The Beatles", "Yesterday", "Leona Lewis") < 50.0);
    /* the score is min(title, artist): one typo in a 17-letter title */
    double s = score1("Bohemian Rapsody", "Queen", "Bohemian Rhapsody", "Queen");
    assert_true(s > 94.0 && s < 94.2);
    /* live vs studio: accepted but below the early exit, so the studio
     * recording wins when the search finds it; live vs live is perfect */
    s = score1("Hotel California", "Eagles", "Hotel California - Live", "Eagles");
    assert_true(s >= MM_MATCH_MIN_SCORE && s < MM_MATCH_EARLY_EXIT);
    assert_true(score1("Hotel California (Live)", "Eagles", "Hotel California - Live", "Eagles") ==
                100.0);
    /* a remaster is the same recording: no penalty */
    assert_true(score1("Under Pressure", "Queen", "Under Pressure - 2011 Remaster", "Queen") ==
                100.0);
    /* different numbers: capped at 50 */
    assert_true(score1("Song 2", "Blur", "Song 3", "Blur") == 50.0);
    assert_true(score1("Song 2", "Blur", "Song", "Blur") <= 50.0);
    /* NULL and empty inputs */
    assert_true(score1(NULL, "Queen", "Under Pressure", "Queen") == 0.0);
    assert_true(score1("Under Pressure", "Queen", NULL, "Queen") == 0.0);
    assert_true(mm_match_score("Under Pressure", "Queen", "Under Pressure", NULL, 3) == 0.0);
    assert_true(score1("Under Pressure", "Queen", "Under Pressure", "") == 0.0);
}

static void test_candidate_artists(void **state)
{
    (void)state;
    /* any credited artist counts, a featured one (not first) at most 90: accepted, but the
     * song by that artist wins when a provider also has it; NULL entries are skipped */
    const char *artists[] = {NULL, "Nile Rodgers", "Daft Punk"};
    assert_true(mm_match_score("Get Lucky", "Daft Punk", "Get Lucky", artists, 3) == 90.0);
    const char *first[] = {"Daft Punk", "Nile Rodgers"};
    assert_true(mm_match_score("Get Lucky", "Daft Punk", "Get Lucky", first, 2) == 100.0);
    const char *feat[] = {"Diego Peña", "Lucía Ibáñez"};
    assert_true(mm_match_score("Dime Que Sí", "Lucía Ibáñez", "Dime Que Sí (feat. Lucía Ibáñez)",
                               feat, 2) == 90.0);
    /* only the first 16 credited artists are compared */
    const char *many[17];
    for (size_t i = 0; i < 16; i++)
        many[i] = "Somebody Else";
    many[16] = "Daft Punk";
    assert_true(mm_match_score("Get Lucky", "Daft Punk", "Get Lucky", many, 17) < 50.0);
    many[15] = "Daft Punk";
    assert_true(mm_match_score("Get Lucky", "Daft Punk", "Get Lucky", many, 17) == 90.0);
    /* names of as many words compare word by word: a shared first name is not enough */
    const char *vega[] = {"Andrés Vega"};
    assert_true(mm_match_score("Fuego Lento", "Andrés Peña", "Fuego Lento", vega, 1) <
                MM_MATCH_MIN_SCORE);
    const char *pena[] = {"Andres Pena"};
    assert_true(mm_match_score("Fuego Lento", "Andrés Peña", "Fuego Lento", pena, 1) == 100.0);
}

/* Text of `n` bytes repeating `unit`; caller frees with free(). */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = mm_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = unit[i % u];
    s[n] = '\0';
    return s;
}

static void test_long_input(void **state)
{
    (void)state;
    /* identical long names still score 100 (compared within the caps) */
    char *t = repeat("Title words & more ", 5000);
    char *a = repeat("\xC3\xA9", 3000);
    assert_true(score1(t, a, t, a) == 100.0);
    /* the difference lies past the compared prefix: treated as equal */
    char *u = mm_xstrdup(t);
    u[4000] = 'X';
    assert_true(score1(t, "Queen", u, "Queen") == 100.0);
    /* a difference early in a long title counts */
    u[2] = 'X';
    u[5] = 'Y';
    assert_true(score1(t, "Queen", u, "Queen") < 100.0);
    /* keys of long names are whole */
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_match_title_key(t, &b), MM_OK);
    assert_true(b.len > 4000);
    mm_buf_cleanup(&b);
    free(u);
    free(a);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title_key),    cmocka_unit_test(test_artist_key),
        cmocka_unit_test(test_key_errors),   cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_score_values), cmocka_unit_test(test_candidate_artists),
        cmocka_unit_test(test_long_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
