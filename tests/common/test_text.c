/* Tests of common/text.c: the normalisation rules one by one (a table of
 * input → key), equivalences the matcher relies on, emoji sequences, invalid
 * UTF-8, the mm_buf cap, idempotence (over the table, every code point and
 * generated strings), UTF-8 validation, length and trimming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_MAX 4096

/* Normalised form of s[0..len); caller frees with free(). */
static char *norm_n(const char *s, size_t len)
{
    struct mm_buf b;
    mm_buf_init(&b, KEY_MAX);
    assert_int_equal(mm_text_normalize(s, len, &b), MM_OK);
    return mm_buf_take(&b);
}

static char *norm(const char *s) { return norm_n(s, strlen(s)); }

/* The invariants of every key: valid UTF-8, no leading, trailing or double
 * space, and normalising it again changes nothing. */
static void check_key(const char *key)
{
    size_t n = strlen(key);
    assert_true(mm_text_utf8_valid(key, n));
    if (n) {
        assert_int_not_equal(key[0], ' ');
        assert_int_not_equal(key[n - 1], ' ');
    }
    assert_null(strstr(key, "  "));
    char *again = norm(key);
    assert_string_equal(again, key);
    free(again);
}

struct norm_case {
    const char *in, *key;
};

static const struct norm_case CASES[] = {
    /* rule 2: Latin case and diacritics, special letters, ligatures */
    {"Beyoncé", "beyonce"},
    {"MOTÖRHEAD", "motorhead"},
    {"Straße", "strasse"},
    {"STRAẞE", "strasse"},
    {"Sigur Rós", "sigur ros"},
    {"Tiësto", "tiesto"},
    {"Björk Guðmundsdóttir", "bjork gudmundsdottir"},
    {"Mø", "mo"},
    {"Æ Œ Ł Đ Þ ı", "ae oe l d th i"},
    {"ﬁre", "fire"},
    {"Ǆ", "dz"},
    {"Beyonce\xCC\x81", "beyonce"},
    /* Vietnamese (Latin Extended Additional) */
    {"Sơn Tùng M-TP", "son tung m tp"},
    {"Đen Vâu", "den vau"},
    {"Mỹ Tâm – Ước Gì", "my tam uoc gi"},
    {"Nguyễn Thị Ngọc", "nguyen thi ngoc"},
    /* rule 3: Greek and Cyrillic lower case, diacritics kept, NFD composed */
    {"ΣΩΚΡΆΤΗΣ", "σωκράτησ"},
    {"Σωκράτης", "σωκράτησ"},
    {"Ελλα\xCC\x81δα", "ελλάδα"},
    {"ϐ ϴ", "β θ"},
    {"КИНО", "кино"},
    {"Ёлка", "ёлка"},
    {"И\xCC\x86", "й"},
    {"мо\xCC\x81ре", "море"},
    {"ҚАЗАҚ", "қазақ"},
    /* rule 3: other scripts kept as they are */
    {"東京事変", "東京事変"},
    {"दिल से", "दिल से"},
    /* rule 4: fullwidth ASCII */
    {"Ｈｅｌｌｏ　Ｗｏｒｌｄ０１", "hello world01"},
    {"Ｒ＆Ｂ！", "r and b"},
    /* rule 5: punctuation and symbols */
    {"AC/DC", "ac dc"},
    {"Jay-Z", "jay z"},
    {"P!nk", "p nk"},
    {"Ke$ha", "ke ha"},
    {"L'Arc~en~Ciel", "larc en ciel"},
    {"«Hello» — “world”…", "hello world"},
    {"Pokémon™ ©2020 ®", "pokemon 2020"},
    {"½", "1 2"},
    {"x\xC2\xB7y\xE2\x80\xA2z", "x y z"},
    /* rule 6: apostrophes */
    {"Don't Stop Me Now", "dont stop me now"},
    {"Don’t Stop Me Now", "dont stop me now"},
    {"Donʼt Don´t Don`t", "dont dont dont"},
    {"O’Brien", "obrien"},
    {"Guns N' Roses", "guns n roses"},
    {"rock 'n' roll", "rock n roll"},
    {"80's", "80s"},
    {"'quoted'", "quoted"},
    {"a''b", "a b"},
    /* rule 7: ampersand */
    {"Simon & Garfunkel", "simon and garfunkel"},
    {"Simon&Garfunkel", "simon and garfunkel"},
    {"R&B", "r and b"},
    {"&", "and"},
    /* rule 8: emoji sequences */
    {"😴📚", "😴 📚"},
    {"👩🏽‍💻 coding", "👩🏽‍💻 coding"},
    {"❤️", "❤"},
    {"❤︎", "❤"},
    {"I❤️NY", "i ❤ ny"},
    {"love❤you", "love ❤ you"},
    {"❤️‍🔥", "❤‍🔥"},
    {"👍🏽👍", "👍🏽 👍"},
    {"🏽", "🏽"},
    {"🇯🇵🇫🇷", "🇯🇵 🇫🇷"},
    {"🇯🇵🇫", "🇯🇵 🇫"},
    {"1️⃣", "1⃣"},
    {"#️⃣ *⃣", "#⃣ *⃣"},
    {"a1⃣b", "a 1⃣ b"},
    {"12⃣", "1 2⃣"},
    {"🏴󠁧󠁢󠁥󠁮󠁧󠁿 football", "🏴󠁧󠁢󠁥󠁮󠁧󠁿 football"},
    {"Wait‼", "wait ‼"},
    {"♪ Song ♪", "♪ song ♪"},
    /* format characters, selectors and stray emoji parts outside emoji */
    {"Beyon\xC2\xAD" "cé", "beyonce"},
    {"a\xE2\x80\x8B" "b", "a b"},
    {"x\xE2\x80\x8Dy", "xy"},
    {"\xE2\x80\x8E" "abc\xEF\xBB\xBF", "abc"},
    {"1\xEF\xB8\x8F" "2", "12"},
    {"q\xE2\x83\xA3", "q"},
    /* rule 1: invalid UTF-8 becomes U+FFFD, a symbol */
    {"abc\xFF" "def", "abc def"},
    {"caf\xC3", "caf"},
    {"a\xC0\xAF" "b", "a b"},
    {"a\xED\xA0\x80" "b", "a b"},
    {"a\xF4\x90\x80\x80" "b", "a b"},
    {"a\xE2\x82" "b", "a b"},
    {"\xEF\xBF\xBD", ""},
    /* rule 9: white space */
    {"  Hello,\tWorld!  \n", "hello world"},
    {"a\xC2\xA0\xE3\x80\x80\xE2\x80\x83" "b", "a b"},
    {"", ""},
    {"   ", ""},
    {"!!! ... ???", ""},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(CASES); i++) {
        char *key = norm(CASES[i].in);
        if (strcmp(key, CASES[i].key) != 0)
            fail_msg("case %zu: \"%s\" gave \"%s\", expected \"%s\"", i, CASES[i].in, key,
                     CASES[i].key);
        check_key(key);
        free(key);
    }
}

static void assert_same_key(const char *a, const char *b)
{
    char *ka = norm(a), *kb = norm(b);
    assert_string_equal(ka, kb);
    free(ka);
    free(kb);
}

static void test_equivalences(void **state)
{
    (void)state;
    assert_same_key("Simon & Garfunkel", "Simon and Garfunkel");
    assert_same_key("❤️", "❤");
    assert_same_key("Beyoncé", "Beyonce\xCC\x81");
    assert_same_key("Ελλάδα", "ΕΛΛΆΔΑ");
    assert_same_key("ΐ", "\xCE\xB9\xCC\x88\xCC\x81");
    assert_same_key("ᾄ", "\xCE\xB1\xCC\x93\xCC\x81\xCD\x85");
    assert_same_key("Guns N' Roses", "Guns N Roses");
    assert_same_key("Jay-Z", "Jay Z");
    assert_same_key("ＡＢＣ", "abc");
}

static void test_embedded_nul(void **state)
{
    (void)state;
    char *key = norm_n("ab\0cd", 5);
    assert_string_equal(key, "ab cd");
    free(key);
}

static void test_appends_to_buffer(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 64);
    assert_int_equal(mm_buf_appends(&b, "artist:"), MM_OK);
    assert_int_equal(mm_text_normalize("  Björk ", 8, &b), MM_OK);
    assert_string_equal(b.data, "artist:bjork");
    mm_buf_cleanup(&b);
}

static void test_cap(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 4 + 10);
    assert_int_equal(mm_buf_appends(&b, "key:"), MM_OK);
    assert_int_equal(mm_text_normalize("hello world", 11, &b), MM_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "key:");
    b.max = 4 + 11;
    assert_int_equal(mm_text_normalize("hello world", 11, &b), MM_OK);
    assert_string_equal(b.data, "key:hello world");
    mm_buf_cleanup(&b);
}

/* Long input goes through several staging flushes: the key is still whole,
 * and the cap applies to the total. */
static void test_cap_long_input(void **state)
{
    (void)state;
    struct mm_buf in, b;
    mm_buf_init(&in, 1 << 16);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mm_buf_appends(&in, "Ab, "), MM_OK);
    size_t want = 1000 * 3 - 1;

    mm_buf_init(&b, want - 1);
    assert_int_equal(mm_text_normalize(in.data, in.len, &b), MM_ETOOBIG);
    assert_int_equal(b.len, 0);
    b.max = want;
    assert_int_equal(mm_text_normalize(in.data, in.len, &b), MM_OK);
    assert_int_equal(b.len, want);
    for (size_t i = 0; i < want; i += 3)
        assert_memory_equal(b.data + i, i + 2 < want ? "ab " : "ab", i + 2 < want ? 3 : 2);
    mm_buf_cleanup(&b);
    mm_buf_cleanup(&in);
}

/* NFD Greek composes even when the base letter sits at a staging boundary. */
static void test_composition_across_flushes(void **state)
{
    (void)state;
    struct mm_buf nfd, nfc;
    mm_buf_init(&nfd, 1 << 16);
    mm_buf_init(&nfc, 1 << 16);
    for (int i = 0; i < 400; i++) {
        assert_int_equal(mm_buf_appends(&nfd, i % 7 ? "\xCE\x91\xCC\x81" : "x"), MM_OK);
        assert_int_equal(mm_buf_appends(&nfc, i % 7 ? "ά" : "x"), MM_OK);
    }
    char *a = norm_n(nfd.data, nfd.len), *c = norm_n(nfc.data, nfc.len);
    assert_string_equal(a, c);
    free(a);
    free(c);
    mm_buf_cleanup(&nfd);
    mm_buf_cleanup(&nfc);
}

static size_t put_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Every code point, alone, doubled and between letters, gives a key that is
 * a fixed point: this checks the generated tables as a whole. */
static void test_idempotent_every_code_point(void **state)
{
    (void)state;
    struct mm_buf k1, k2;
    mm_buf_init(&k1, KEY_MAX);
    mm_buf_init(&k2, KEY_MAX);
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char in[16];
        size_t n = 0;
        in[n++] = 'a';
        n += put_utf8(cp, in + n);
        n += put_utf8(cp, in + n);
        in[n++] = 'b';
        for (size_t from = 0; from < 2; from++) {
            mm_buf_reset(&k1);
            mm_buf_reset(&k2);
            assert_int_equal(mm_text_normalize(in + from, n - 2 * from, &k1), MM_OK);
            assert_int_equal(mm_text_normalize(k1.data ? k1.data : "", k1.len, &k2), MM_OK);
            if (k1.len != k2.len || memcmp(k1.data, k2.data, k1.len) != 0)
                fail_msg("U+%04X: key \"%s\" renormalises to \"%s\"", (unsigned)cp, k1.data,
                         k2.data);
        }
    }
    mm_buf_cleanup(&k1);
    mm_buf_cleanup(&k2);
}

/* Pieces that interact: letters, marks, apostrophes, emoji parts, invalid
 * bytes. Random strings of them must give keys with all the invariants, and
 * keep every emoji sequence of the input as one token of the key. */
static const char *const PIECES[] = {
    "a", "Z", "é", "E\xCC\x81", "ß", "Ω", "\xCE\x91", "\xCC\x81", "\xCD\x85", "й", "\xD0\x98",
    "\xCC\x86", "1", "#", "*", "'", "’", "&", " ", "-", "\xE2\x80\x8D", "\xEF\xB8\x8F",
    "\xEF\xB8\x8E", "\xE2\x83\xA3", "❤", "👩", "💻", "🏽", "🇯", "🇵", "🏴", "\xF3\xA0\x81\xA7",
    "\xF3\xA0\x81\xBF", "\xFF", "\xC3", "\xE2\x82", "東", "ि", "½", "ŀ", "\xC2\xAD", "™",
};

static void test_idempotent_generated_strings(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    char in[256];
    for (int round = 0; round < 50000; round++) {
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        int pieces = 1 + (int)((seed >> 16) % 12);
        for (int p = 0; p < pieces; p++) {
            seed = seed * 1103515245u + 12345u;
            const char *piece = PIECES[(seed >> 16) % ARRAY_LEN(PIECES)];
            size_t len = strlen(piece);
            memcpy(in + n, piece, len);
            n += len;
        }
        char *key = norm_n(in, n);
        check_key(key);
        assert_int_equal(mm_text_emoji_sequences(key, strlen(key), NULL, NULL),
                         mm_text_emoji_sequences(in, n, NULL, NULL));
        free(key);
    }
}

/* --- emoji sequences --- */

struct seqs {
    size_t n;
    char seen[8][64];
};

static void collect(void *ctx, const char *start, size_t n)
{
    struct seqs *s = ctx;
    assert_true(s->n < 8 && n < 64);
    memcpy(s->seen[s->n], start, n);
    s->seen[s->n][n] = '\0';
    s->n++;
}

static void test_emoji_sequences(void **state)
{
    (void)state;
    struct seqs s = {0};
    const char *text = "👩🏽‍💻 coding ❤️ 🇯🇵🇫🇷 1️⃣ 🏴󠁧󠁢󠁥󠁮󠁧󠁿 12 # ©";
    assert_int_equal(mm_text_emoji_sequences(text, strlen(text), collect, &s), 6);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.seen[0], "👩🏽‍💻");
    assert_string_equal(s.seen[1], "❤️");
    assert_string_equal(s.seen[2], "🇯🇵");
    assert_string_equal(s.seen[3], "🇫🇷");
    assert_string_equal(s.seen[4], "1️⃣");
    assert_string_equal(s.seen[5], "🏴󠁧󠁢󠁥󠁮󠁧󠁿");

    assert_int_equal(mm_text_emoji_sequences("😴📚", strlen("😴📚"), NULL, NULL), 2);
    const char *plain = "no emoji, 123 # * \xFF";
    assert_int_equal(mm_text_emoji_sequences(plain, strlen(plain), NULL, NULL), 0);
    assert_int_equal(mm_text_emoji_sequences("", 0, NULL, NULL), 0);
}

/* The normaliser keeps exactly the sequences mm_text_emoji_sequences reports. */
static void test_emoji_sequences_match_normaliser(void **state)
{
    (void)state;
    const char *text = "x👩🏽‍💻y❤️‍🔥z🇯🇵🇫!1⃣";
    char *key = norm(text);
    assert_string_equal(key, "x 👩🏽‍💻 y ❤‍🔥 z 🇯🇵 🇫 1⃣");
    assert_int_equal(mm_text_emoji_sequences(text, strlen(text), NULL, NULL), 5);
    assert_int_equal(mm_text_emoji_sequences(key, strlen(key), NULL, NULL), 5);
    free(key);
}

/* --- UTF-8 helpers --- */

struct utf8_case {
    const char *s;
    size_t len;
    bool valid;
};

#define U(lit, ok) {lit, sizeof(lit) - 1, ok}

static const struct utf8_case UTF8[] = {
    U("", true), U("abc", true), U("é", true), U("😀", true), U("a\0b", true),
    U("\xED\x9F\xBF", true), U("\xEE\x80\x80", true), U("\xEF\xBF\xBF", true),
    U("\xF4\x8F\xBF\xBF", true), U("\xC2\x80", true),
    /* overlongs */
    U("\xC0\x80", false), U("\xC1\xBF", false), U("\xE0\x80\x80", false),
    U("\xE0\x9F\xBF", false), U("\xF0\x8F\xBF\xBF", false),
    /* surrogates */
    U("\xED\xA0\x80", false), U("\xED\xBF\xBF", false),
    /* beyond U+10FFFF */
    U("\xF4\x90\x80\x80", false), U("\xF5\x80\x80\x80", false), U("\xFF", false),
    /* truncations and stray continuation bytes */
    U("\xC3", false), U("\xE2\x82", false), U("\xF0\x9F\x98", false), U("ab\xF0\x9F", false),
    U("\x80", false), U("a\xBF" "b", false), U("\xE2" "a\x82", false),
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(UTF8); i++)
        if (mm_text_utf8_valid(UTF8[i].s, UTF8[i].len) != UTF8[i].valid)
            fail_msg("case %zu: expected %s", i, UTF8[i].valid ? "valid" : "invalid");
}

static void test_utf8_length(void **state)
{
    (void)state;
    assert_int_equal(mm_text_utf8_length("", 0), 0);
    assert_int_equal(mm_text_utf8_length("héllo", strlen("héllo")), 5);
    assert_int_equal(mm_text_utf8_length("😀a", strlen("😀a")), 2);
    assert_int_equal(mm_text_utf8_length("👩🏽‍💻", strlen("👩🏽‍💻")), 4);
    /* ill-formed input: one per maximal subpart, as U+FFFD would replace it */
    assert_int_equal(mm_text_utf8_length("\xE2\x82", 2), 1);
    assert_int_equal(mm_text_utf8_length("\xC0\xAF", 2), 2);
}

static void assert_trim(const char *in, size_t len, const char *want)
{
    size_t n = len;
    const char *p = mm_text_trim(in, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
    assert_true(p >= in && p + n <= in + len);
}

static void test_trim(void **state)
{
    (void)state;
    assert_trim("  abc  ", 7, "abc");
    assert_trim(" a b ", 5, "a b");
    assert_trim("\t\r\nabc\v\f", 8, "abc");
    assert_trim("\xC2\xA0" "abc\xE3\x80\x80", 8, "abc");
    assert_trim("\xEF\xBB\xBF" "abc", 6, "abc");
    assert_trim("\xE2\x80\x83x\xE2\x80\x8A", 7, "x");
    assert_trim("\xE2\x80\x80\xE2\x80\x8B", 6, "");
    assert_trim("   ", 3, "");
    assert_trim("", 0, "");
    assert_trim("abé", 4, "abé");
    assert_trim("é ", 3, "é");
    assert_trim("abc\xA0", 4, "abc\xA0");
    assert_trim("\xA0" "abc", 4, "\xA0" "abc");
    assert_trim("abc\xE3\x80", 5, "abc\xE3\x80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_equivalences),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_appends_to_buffer),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_cap_long_input),
        cmocka_unit_test(test_composition_across_flushes),
        cmocka_unit_test(test_idempotent_every_code_point),
        cmocka_unit_test(test_idempotent_generated_strings),
        cmocka_unit_test(test_emoji_sequences),
        cmocka_unit_test(test_emoji_sequences_match_normaliser),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
