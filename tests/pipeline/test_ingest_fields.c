/* Tests of pipeline/ingest_fields.c: every reject reason, every
 * normalisation, and the timestamp grammar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "pipeline/ingest.h"

static const struct mm__ingest_limits lim = {.max_query_chars = 20,
                                             .max_emojis = 3,
                                             .min_songs_requested = 5,
                                             .max_songs_requested = 50,
                                             .max_position = 100};

static struct mm_arena arena;

static int setup(void **state)
{
    (void)state;
    mm_arena_init(&arena, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mm_arena_cleanup(&arena);
    return 0;
}

static struct mm__ingest_value text(const char *s)
{
    if (!s)
        return (struct mm__ingest_value){.kind = MM__INGEST_NULL};
    return (struct mm__ingest_value){MM__INGEST_TEXT, s, strlen(s), NULL};
}

/* A valid request row: id, user_id, text, emojis, num_songs, analysis, created_at. */
static const char *const good_request[MM__RQ_N] = {
    "42",
    "7",
    "  rainy  night ",
    "[\"🌧\",\"📚\"]",
    "12",
    "{\"mood\": \"calm\", \"matched_criteria\": [\"genre: lofi\", 3, \"activity: study\"]}",
    "2025-11-20 14:03:12.123456+00"};

static mm_err parse_request(const char *const cols[MM__RQ_N], struct mm_request *r, bool *norm,
                            struct mm__ingest_problem *why)
{
    struct mm__ingest_value v[MM__RQ_N];
    for (int i = 0; i < MM__RQ_N; i++)
        v[i] = text(cols[i]);
    return mm__ingest_request_parse(v, &lim, &arena, r, norm, why);
}

/* Parses good_request with column `col` replaced by `value`. */
static mm_err request_with(int col, const char *value, struct mm_request *r, bool *norm,
                           struct mm__ingest_problem *why)
{
    const char *cols[MM__RQ_N];
    memcpy(cols, good_request, sizeof(cols));
    cols[col] = value;
    return parse_request(cols, r, norm, why);
}

static void assert_rejected(int col, const char *value, int want_col, const char *want_reason)
{
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(request_with(col, value, &r, &norm, &why), MM_EPARSE);
    assert_int_equal(why.col, want_col);
    if (!strstr(why.reason, want_reason))
        fail_msg("reason \"%s\" lacks \"%s\"", why.reason, want_reason);
}

static void test_request_valid(void **state)
{
    (void)state;
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(parse_request(good_request, &r, &norm, &why), MM_OK);
    assert_int_equal(r.id, 42);
    assert_int_equal(r.user_id, 7);
    assert_string_equal(r.text, "rainy  night");
    assert_true(norm); /* trimmed */
    assert_int_equal(r.n_emojis, 2);
    assert_string_equal(r.emojis[0], "🌧");
    assert_int_equal(r.num_songs, 12);
    assert_non_null(r.analysis);
    assert_string_equal(r.analysis->mood, "calm");
    assert_int_equal(r.analysis->n_matched_criteria, 2);
    assert_string_equal(r.analysis->matched_criteria[1], "activity: study");
    assert_string_equal(r.analysis->raw, "{\"mood\":\"calm\",\"matched_criteria\":"
                                         "[\"genre: lofi\",3,\"activity: study\"]}");
    assert_int_equal(r.created_at_us, 1763647392123456LL);
}

static void test_request_nulls_and_defaults(void **state)
{
    (void)state;
    const char *cols[MM__RQ_N] = {"1", NULL, NULL, "[\"x\"]", NULL, NULL, "2025-01-01T00:00:00Z"};
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(parse_request(cols, &r, &norm, &why), MM_OK);
    assert_int_equal(r.user_id, MM_NULL_INT);
    assert_string_equal(r.text, "");
    assert_int_equal(r.num_songs, 10);
    assert_true(norm); /* num_songs_requested defaulted */
    assert_null(r.analysis);

    cols[MM__RQ_USER_ID] = "";      /* empty user_id = NULL */
    cols[MM__RQ_ANALYSIS] = "null"; /* JSON null = no analysis */
    cols[MM__RQ_NUM_SONGS] = "5";
    cols[MM__RQ_TEXT] = "ok";
    cols[MM__RQ_EMOJIS] = NULL; /* NULL emojis = [] */
    assert_int_equal(parse_request(cols, &r, &norm, &why), MM_OK);
    assert_false(norm);
    assert_int_equal(r.user_id, MM_NULL_INT);
    assert_int_equal(r.n_emojis, 0);
    assert_null(r.analysis);
    assert_int_equal(r.user_id, MM_NULL_INT);
}

static void test_emoji_normalisation(void **state)
{
    (void)state;
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    /* trimmed, empty dropped, repeats dropped, first max_emojis (3) kept */
    assert_int_equal(
        request_with(MM__RQ_EMOJIS, "[\" 😴 \", \"\", \"😴\", \"📚\", \"🔥\", \"🌙\"]", &r, &norm, &why),
        MM_OK);
    assert_true(norm);
    assert_int_equal(r.n_emojis, 3);
    assert_string_equal(r.emojis[0], "😴");
    assert_string_equal(r.emojis[1], "📚");
    assert_string_equal(r.emojis[2], "🔥");
    /* escapes take the jansson path and give the same strings */
    assert_int_equal(request_with(MM__RQ_EMOJIS, "[\"a\\\"b\", \"\\u00e9\"]", &r, &norm, &why),
                     MM_OK);
    assert_int_equal(r.n_emojis, 2);
    assert_string_equal(r.emojis[0], "a\"b");
    assert_string_equal(r.emojis[1], "é");
    assert_int_equal(request_with(MM__RQ_EMOJIS, " [ ] ", &r, &norm, &why), MM_OK);
    assert_int_equal(r.n_emojis, 0);
}

static void test_request_rejects(void **state)
{
    (void)state;
    assert_rejected(MM__RQ_ID, NULL, MM__RQ_ID, "id is NULL");
    assert_rejected(MM__RQ_ID, "0", MM__RQ_ID, "not a positive integer");
    assert_rejected(MM__RQ_ID, "-3", MM__RQ_ID, "not a positive integer");
    assert_rejected(MM__RQ_ID, "12a", MM__RQ_ID, "\"12a\" is not a positive integer");
    assert_rejected(MM__RQ_ID, "99999999999999999999", MM__RQ_ID, "not a positive integer");
    assert_rejected(MM__RQ_USER_ID, "x1", MM__RQ_USER_ID, "user_id \"x1\" is not an integer");
    assert_rejected(MM__RQ_TEXT, "123456789012345678901", MM__RQ_TEXT,
                    "21 characters after trimming, more than ingest.max_query_chars (20)");
    assert_rejected(MM__RQ_TEXT, "bad \xff utf8", MM__RQ_TEXT, "invalid UTF-8");
    assert_rejected(MM__RQ_EMOJIS, "[\"a\",", MM__RQ_EMOJIS, "emojis: invalid JSON at column");
    assert_rejected(MM__RQ_EMOJIS, "{\"a\": 1}", MM__RQ_EMOJIS,
                    "expected a JSON array of strings, got an object");
    assert_rejected(MM__RQ_EMOJIS, "[\"a\", 5]", MM__RQ_EMOJIS,
                    "emojis[1]: expected a string, got a number");
    assert_rejected(MM__RQ_NUM_SONGS, "4", MM__RQ_NUM_SONGS, "num_songs_requested 4 outside");
    assert_rejected(MM__RQ_NUM_SONGS, "51", MM__RQ_NUM_SONGS, "(5..50)");
    assert_rejected(MM__RQ_NUM_SONGS, "ten", MM__RQ_NUM_SONGS, "is not an integer");
    assert_rejected(MM__RQ_ANALYSIS, "{\"mood\": ", MM__RQ_ANALYSIS,
                    "gemini_analysis: invalid JSON at column");
    assert_rejected(MM__RQ_ANALYSIS, "[1]", MM__RQ_ANALYSIS,
                    "expected a JSON object, got an array");
    assert_rejected(MM__RQ_CREATED_AT, NULL, MM__RQ_CREATED_AT, "created_at is NULL");
    assert_rejected(MM__RQ_CREATED_AT, "2025-02-30 00:00:00+00", MM__RQ_CREATED_AT,
                    "not a valid timestamp with time zone");

    /* neither text nor emojis */
    const char *cols[MM__RQ_N];
    memcpy(cols, good_request, sizeof(cols));
    cols[MM__RQ_TEXT] = "   ";
    cols[MM__RQ_EMOJIS] = "[\" \"]";
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(parse_request(cols, &r, &norm, &why), MM_EPARSE);
    assert_int_equal(why.col, MM__RQ_TEXT);
    assert_non_null(strstr(why.reason, "neither text_description nor emojis"));
}

/* The JSON error names the place inside the field. */
static void test_json_error_position(void **state)
{
    (void)state;
    assert_rejected(MM__RQ_ANALYSIS, "{\"mood\": \"x\",\n \"m\": tru}", MM__RQ_ANALYSIS,
                    "invalid JSON at line 2, column");
    assert_rejected(MM__RQ_EMOJIS, "[\"a\" \"b\"]", MM__RQ_EMOJIS, "invalid JSON at column 8");
}

static void test_analysis_depth(void **state)
{
    (void)state;
    char deep[200];
    size_t n = 0;
    deep[n++] = '{';
    deep[n++] = '"';
    deep[n++] = 'a';
    deep[n++] = '"';
    deep[n++] = ':';
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    for (int i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    assert_rejected(MM__RQ_ANALYSIS, deep, MM__RQ_ANALYSIS, "nested deeper than 32 levels");
}

/* JSONL gives JSON values directly, or JSON text inside a string. */
static void test_json_values(void **state)
{
    (void)state;
    struct mm__ingest_value v[MM__RQ_N];
    struct mm_request r;
    struct mm__ingest_problem why;
    bool norm;
    json_t *emojis = json_pack("[ss]", "🎧", "🎧");
    json_t *an = json_pack("{s:s}", "mood", "happy");
    for (int i = 0; i < MM__RQ_N; i++)
        v[i] = text(good_request[i]);
    v[MM__RQ_EMOJIS] = (struct mm__ingest_value){.kind = MM__INGEST_JSON, .json = emojis};
    v[MM__RQ_ANALYSIS] = (struct mm__ingest_value){.kind = MM__INGEST_JSON, .json = an};
    assert_int_equal(mm__ingest_request_parse(v, &lim, &arena, &r, &norm, &why), MM_OK);
    assert_int_equal(r.n_emojis, 1);
    assert_string_equal(r.analysis->raw, "{\"mood\":\"happy\"}");
    assert_int_equal(r.analysis->n_matched_criteria, 0);
    v[MM__RQ_TEXT] = (struct mm__ingest_value){.kind = MM__INGEST_JSON, .json = an};
    assert_int_equal(mm__ingest_request_parse(v, &lim, &arena, &r, &norm, &why), MM_EPARSE);
    assert_non_null(strstr(why.reason, "text_description: expected text, got an object"));
    json_decref(emojis);
    json_decref(an);
}

/* The no-parser path for the usual analysis shape gives exactly what the
 * jansson path gives for the same document. */
static void test_analysis_paths_agree(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"mood\": \"calm\", \"matched_criteria\": [\"genre: lofi\", \"artist: X\"]}",
        "{ }",
        "{\"matched_criteria\": [], \"mood\": \"é ✨\", \"other\": \"y\"}",
        " {\"mood\":\"a\",\"matched_criteria\":[ \"b\" ,\"c\" ]} ",
        "{\"mood\": \"x\", \"matched_criteria\": [\"a\", 1, \"b\"], \"n\": null}",
    };
    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        struct mm__ingest_value v[MM__RQ_N];
        struct mm_request fast, slow;
        struct mm__ingest_problem why;
        bool norm;
        json_t *j = json_loads(docs[d], 0, NULL);
        assert_non_null(j);
        for (int i = 0; i < MM__RQ_N; i++)
            v[i] = text(good_request[i]);
        v[MM__RQ_ANALYSIS] = text(docs[d]);
        assert_int_equal(mm__ingest_request_parse(v, &lim, &arena, &fast, &norm, &why), MM_OK);
        v[MM__RQ_ANALYSIS] = (struct mm__ingest_value){.kind = MM__INGEST_JSON, .json = j};
        assert_int_equal(mm__ingest_request_parse(v, &lim, &arena, &slow, &norm, &why), MM_OK);
        assert_string_equal(fast.analysis->raw, slow.analysis->raw);
        assert_true(mm_codec_request_same(&fast, &slow));
        json_decref(j);
    }
}

static void test_analysis_malformed(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"a\": \"b\" \"c\": \"d\"}",
        "{\"a\": \"b\",}",
        "{\"a\": \"b\"} x",
        "{\"a\" \"b\"}",
        "{\"a\": [\"b\",]}",
        "{\"a\": \"b\"",
        "{,}",
    };
    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++)
        assert_rejected(MM__RQ_ANALYSIS, docs[d], MM__RQ_ANALYSIS, "gemini_analysis: invalid JSON");
}

/* --- songs --- */

static const char *const good_song[MM__SG_N] = {"9",
                                                "42",
                                                NULL,
                                                "3",
                                                "sp:1",
                                                "  Clair de Lune ",
                                                "Debussy",
                                                "Suite",
                                                NULL,
                                                NULL,
                                                "u",
                                                "1905",
                                                "300000",
                                                "5:00",
                                                "calm piano",
                                                "[\"genre: classical\"]",
                                                "2025-11-20 14:03:13+05:30"};

static mm_err song_with(int col, const char *value, uint64_t dflt, struct mm_song *s,
                        struct mm__ingest_problem *why, bool *norm)
{
    struct mm__ingest_value v[MM__SG_N];
    for (int i = 0; i < MM__SG_N; i++)
        v[i] = text(good_song[i]);
    if (col >= 0)
        v[col] = text(value);
    return mm__ingest_song_parse(v, dflt, &lim, &arena, s, norm, why);
}

static void assert_song_rejected(int col, const char *value, const char *want)
{
    struct mm_song s;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(song_with(col, value, 0, &s, &why, &norm), MM_EPARSE);
    assert_int_equal(why.col, col);
    if (!strstr(why.reason, want))
        fail_msg("reason \"%s\" lacks \"%s\"", why.reason, want);
}

static void test_song_valid(void **state)
{
    (void)state;
    struct mm_song s;
    struct mm__ingest_problem why;
    bool norm;
    assert_int_equal(song_with(-1, NULL, 0, &s, &why, &norm), MM_OK);
    assert_int_equal(s.id, 9);
    assert_int_equal(s.request_id, 42);
    assert_int_equal(s.user_id, MM_NULL_INT);
    assert_int_equal(s.position, 3);
    assert_string_equal(s.title, "Clair de Lune");
    assert_true(norm);
    assert_string_equal(s.track_url, "u");
    assert_null(s.album_art);
    assert_string_equal(s.release_year, "1905");
    assert_int_equal(s.duration_ms, 300000);
    assert_true(s.has_matched_criteria);
    assert_int_equal(s.n_matched_criteria, 1);
    assert_int_equal(s.created_at_us, 1763627593000000LL);
    assert_int_equal(song_with(MM__SG_MATCHED_CRITERIA, NULL, 0, &s, &why, &norm), MM_OK);
    assert_false(s.has_matched_criteria);
    /* a NULL request_id takes the parent's id (JSONL) */
    assert_int_equal(song_with(MM__SG_REQUEST_ID, NULL, 77, &s, &why, &norm), MM_OK);
    assert_int_equal(s.request_id, 77);
}

static void test_song_rejects(void **state)
{
    (void)state;
    assert_song_rejected(MM__SG_ID, "x", "id \"x\" is not a positive integer");
    assert_song_rejected(MM__SG_REQUEST_ID, NULL, "request_id is NULL");
    assert_song_rejected(MM__SG_POSITION, "0",
                         "position 0 outside 1..ingest.max_songs_per_request");
    assert_song_rejected(MM__SG_POSITION, "101", "(100)");
    assert_song_rejected(MM__SG_POSITION, NULL, "position is NULL");
    assert_song_rejected(MM__SG_TITLE, "   ", "title is empty");
    assert_song_rejected(MM__SG_TITLE, NULL, "title is NULL");
    assert_song_rejected(MM__SG_ARTIST, "\xc3\x28", "artist: invalid UTF-8");
    assert_song_rejected(MM__SG_DURATION_MS, "-1", "duration_ms -1 is negative");
    assert_song_rejected(MM__SG_DURATION_MS, "3.5", "duration_ms \"3.5\" is not an integer");
    assert_song_rejected(MM__SG_MATCHED_CRITERIA, "\"x\"",
                         "matched_criteria: expected a JSON array of strings, got a string");
    assert_song_rejected(MM__SG_MATCHED_CRITERIA, "[null]",
                         "matched_criteria[0]: expected a string, got null");
    assert_song_rejected(MM__SG_CREATED_AT, "yesterday", "not a valid timestamp");
}

/* --- timestamps --- */

static void test_timestamps_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
    } cases[] = {
        {"1970-01-01 00:00:00+00", 0},
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01 00:00:00.5+00", 500000},
        {"1970-01-01 00:00:00.000001+00", 1},
        {"1970-01-01 05:30:00+05:30", 0},
        {"1970-01-01 05:30:00+0530", 0},
        {"1969-12-31 16:00:00-08", 0},
        {"1970-01-01 00:53:28+00:53:28", 0},
        {"2025-11-20 14:03:12.123456+00", 1763647392123456LL},
        {"2024-02-29 12:00:00+00", 1709208000000000LL},
        {"2000-02-29 00:00:00z", 951782400000000LL},
        {"0001-01-01 00:00:00+00", -62135596800000000LL},
        {"9999-12-31 23:59:59.999999+00", 253402300799999999LL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t us = -1;
        if (mm__ingest_parse_time(cases[i].text, strlen(cases[i].text), &us) != MM_OK)
            fail_msg("rejected %s", cases[i].text);
        if (us != cases[i].us)
            fail_msg("%s: %lld, want %lld", cases[i].text, (long long)us, (long long)cases[i].us);
    }
}

static void test_timestamps_invalid(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "2025-13-01 00:00:00+00",         /* month 13 */
        "2025-02-29 00:00:00+00",         /* not a leap year */
        "1900-02-29 00:00:00+00",         /* century, not a leap year */
        "2025-04-31 00:00:00+00",         /* April has 30 days */
        "2025-01-01 24:00:00+00",         /* hour 24 */
        "2025-01-01 23:60:00+00",         /* minute 60 */
        "2025-01-01 23:59:60+00",         /* leap second */
        "2025-01-01 00:00:00",            /* no zone */
        "2025-01-01 00:00:00.+00",        /* empty fraction */
        "2025-01-01 00:00:00.1234567+00", /* 7 digits */
        "2025-01-01 00:00:00+16",         /* offset out of range */
        "2025-01-01 00:00:00+05:60",      /* offset minutes */
        "2025-01-01 00:00:00+5",          /* one-digit offset */
        "2025-01-01 00:00:00+00 BC",      /* trailing text */
        "0000-01-01 00:00:00+00",         /* year 0 */
        "2025-1-01 00:00:00+00",          /* short month */
        "2025/01/01 00:00:00+00",         /* wrong separators */
        "2025-01-01X00:00:00+00",
        "garbage",
        "",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t us;
        if (mm__ingest_parse_time(cases[i], strlen(cases[i]), &us) != MM_EPARSE)
            fail_msg("accepted %s", cases[i]);
    }
}

static void test_parse_id(void **state)
{
    (void)state;
    uint64_t id;
    assert_int_equal(mm__ingest_parse_id("9223372036854775807", 19, &id), MM_OK);
    assert_int_equal(id, INT64_MAX);
    assert_int_equal(mm__ingest_parse_id("9223372036854775808", 19, &id), MM_EPARSE);
    assert_int_equal(mm__ingest_parse_id("", 0, &id), MM_EPARSE);
    assert_int_equal(mm__ingest_parse_id(" 1", 2, &id), MM_EPARSE);
    assert_int_equal(mm__ingest_parse_id("+1", 2, &id), MM_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_valid),
        cmocka_unit_test(test_request_nulls_and_defaults),
        cmocka_unit_test(test_emoji_normalisation),
        cmocka_unit_test(test_request_rejects),
        cmocka_unit_test(test_json_error_position),
        cmocka_unit_test(test_analysis_depth),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_analysis_paths_agree),
        cmocka_unit_test(test_analysis_malformed),
        cmocka_unit_test(test_song_valid),
        cmocka_unit_test(test_song_rejects),
        cmocka_unit_test(test_timestamps_valid),
        cmocka_unit_test(test_timestamps_invalid),
        cmocka_unit_test(test_parse_id),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
