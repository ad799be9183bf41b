/* Tests of the ingest stage (pipeline/ingest.c, ingest_batch.c, rejects.c)
 * on the pg_csv files of tests/data/ingest and generated ones: counts and
 * reconciliation, rejects.csv rows, duplicates, conflicts and updates,
 * watermarks, whole-file failures, and resume after an interruption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "pipeline/ingest.h"
#include "tests/pipeline/ingest_fixture.h"

static const char *const data_dbs[] = {"requests", "songs", "song_ids", NULL};
static const char *const state_dbs[] = {"requests", "songs", "song_ids", "meta", NULL};

#define PG_SOURCE                                                                                  \
    "[{\"kind\": \"pg_csv\", \"name\": \"app\", \"requests\": \"user_requests.csv\", "             \
    "\"songs\": \"recommended_songs.csv\"}]"

static struct ing_fixture *mixed_fixture(const char *const *sets, size_t n_sets)
{
    struct ing_fixture *f = ing_new();
    ing_copy_data(f, "user_requests.csv", "user_requests.csv", false);
    ing_copy_data(f, "recommended_songs.csv", "recommended_songs.csv", false);
    ing_config(f, PG_SOURCE, sets, n_sets);
    return f;
}

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing \"%s\" in:\n%s", want, text);
}

/* Decodes request `id` from the state into `a`; false when absent. */
static bool get_request(struct ing_fixture *f, uint64_t id, struct mm_arena *a,
                        struct mm_request *out)
{
    struct mm_txn *txn;
    unsigned char key[8];
    const void *val;
    size_t len;
    mm_store_u64_key(id, key);
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    mm_err err = mm_store_get(txn, mm_store_db(f->state, "requests"), key, 8, &val, &len);
    if (!err)
        assert_int_equal(mm_codec_request_decode(val, len, a, out), MM_OK);
    mm_store_read_end(txn);
    return err == MM_OK;
}

static bool get_song(struct ing_fixture *f, uint64_t rid, uint64_t sid, struct mm_arena *a,
                     struct mm_song *out)
{
    struct mm_txn *txn;
    unsigned char key[16];
    const void *val;
    size_t len;
    mm_store_u64_key(rid, key);
    mm_store_u64_key(sid, key + 8);
    assert_int_equal(mm_store_read_begin(f->state, &txn), MM_OK);
    mm_err err = mm_store_get(txn, mm_store_db(f->state, "songs"), key, 16, &val, &len);
    if (!err)
        assert_int_equal(mm_codec_song_decode(val, len, a, out), MM_OK);
    mm_store_read_end(txn);
    return err == MM_OK;
}

static void assert_reconciled(const struct ing_fixture *f)
{
    assert_int_equal(ing_count(f, "read"), ing_count(f, "accepted") + ing_count(f, "rejected") +
                                               ing_count(f, "duplicates"));
}

static void test_mixed_export(void **state)
{
    (void)state;
    struct ing_fixture *f = mixed_fixture(NULL, 0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "read"), 11);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "accepted"), 4);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "rejected"), 6);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "duplicates"), 1);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "read"), 10);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "accepted"), 4);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "rejected"), 5);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "duplicates"), 1);
    assert_int_equal(ing_count(f, "read"), 21);
    assert_int_equal(ing_count(f, "updated"), 0);
    assert_int_equal(ing_count(f, "below_watermark"), 0);
    assert_int_equal(ing_count(f, "normalised"), 1);
    assert_int_equal(ing_count(f, "files_failed"), 0);
    assert_reconciled(f);

    char *rej = ing_rejects(f, "r1");
    assert_true(strncmp(rej, "source,file,line,column,field,reason,excerpt\n", 45) == 0);
    assert_int_equal(ing_rows(rej), 11);
    assert_has(rej, "user_requests.csv,5,4,text_description,neither text_description nor emojis");
    assert_has(rej, "user_requests.csv,6,2,id,\"id \"\"x4\"\" is not a positive integer\"");
    assert_has(rej, "user_requests.csv,7,1,created_at,");
    assert_has(rej,
               "user_requests.csv,9,9,,\"expected 8 fields, got 9\",\"2025-11-20 14:09:00+00,7,9");
    assert_has(rej, "user_requests.csv,10,5,emojis,emojis: invalid JSON at column");
    assert_has(rej, "user_requests.csv,12,2,id,duplicate id 2 conflicts with line 3,");
    assert_has(rej, "recommended_songs.csv,4,2,request_id,request_id 3: no such request "
                    "(missing from the export or rejected),\"102,3,8");
    assert_has(rej, "recommended_songs.csv,6,2,request_id,request_id 999: no such request");
    assert_has(rej, "recommended_songs.csv,7,4,position,");
    assert_has(rej, "recommended_songs.csv,8,6,title,title is empty");
    assert_has(rej, "recommended_songs.csv,9,1,id,song id 100 already belongs to request 1");
    assert_has(rej, "\napp,");
    free(rej);

    struct mm_arena a;
    struct mm_request r;
    struct mm_song s;
    mm_arena_init(&a, 4096);
    assert_true(get_request(f, 2, &a, &r));
    assert_string_equal(r.text, "multi\nline text");
    assert_int_equal(r.n_emojis, 0);
    assert_true(strncmp(r.src, "r1:app/user_requests.csv@", 25) == 0);
    assert_string_equal(r.src + strlen(r.src) - 2, ":3");
    assert_true(get_request(f, 6, &a, &r));
    assert_string_equal(r.text, "padded");
    assert_int_equal(r.n_emojis, 1);
    assert_int_equal(r.num_songs, 10);
    assert_string_equal(r.analysis->mood, "hype");
    assert_false(get_request(f, 3, &a, &r));
    assert_true(get_song(f, 2, 103, &a, &s));
    assert_string_equal(s.title, "Song \"D\"");
    assert_true(get_song(f, 1, 100, &a, &s));
    assert_false(get_song(f, 9, 100, &a, &s));
    mm_arena_cleanup(&a);
    ing_free(f);
}

/* Re-ingesting the same export changes nothing: incrementally everything is
 * below the watermarks, with --full everything is a duplicate again and the
 * same records are rejected for the same reasons. */
static void test_reingest_same_export(void **state)
{
    (void)state;
    struct ing_fixture *f = mixed_fixture(NULL, 0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    char *before = ing_dump(f, data_dbs);

    assert_int_equal(ing_run(f, "r2", false, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 0);
    assert_int_equal(ing_count(f, "below_watermark"), 20); /* all but the row with id x4 */
    assert_int_equal(ing_count(f, "rejected"), 1);
    assert_reconciled(f);

    assert_int_equal(ing_run(f, "r3", true, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 0);
    assert_int_equal(ing_count(f, "updated"), 0);
    assert_int_equal(ing_count(f, "below_watermark"), 0);
    assert_int_equal(ing_count(f, "rejected"), 11);
    assert_int_equal(ing_count(f, "duplicates"), 10);
    char *rej = ing_rejects(f, "r3");
    assert_has(rej, "user_requests.csv,12,2,id,duplicate id 2 conflicts with line 3,");
    free(rej);

    char *after = ing_dump(f, data_dbs);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ing_free(f);
}

/* A later export: new ids above the watermarks are accepted; changed old
 * rows are skipped incrementally and become updates with --full. */
static void test_incremental_and_update(void **state)
{
    (void)state;
    struct ing_fixture *f = mixed_fixture(NULL, 0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    char *dir = ing_path(f, "next");
    assert_int_equal(mkdir(dir, 0755), 0);
    free(dir);
    ing_write(f, "next/user_requests.csv",
              "id,user_id,text_description,emojis,num_songs_requested,gemini_analysis,created_at\n"
              "1,,rainy night study,\"[\"\"🌧\"\", \"\"📚\"\"]\",10,"
              "\"{\"\"mood\"\": \"\"calm\"\", \"\"matched_criteria\"\": [\"\"genre: lofi\"\"]}\","
              "2025-11-20 14:03:12.123456+00\n"
              "10,3,new one,,10,,2025-11-21 10:00:00+00\n"
              "11,3,another,,10,,2025-11-21 10:01:00+00\n",
              0);
    ing_write(f, "next/recommended_songs.csv",
              "id,request_id,position,title,created_at\n"
              "101,1,2,Song B,2025-11-20 14:03:13+00\n"
              "108,10,1,New song,2025-11-21 10:00:01+00\n"
              "109,11,1,Other,2025-11-21 10:01:01+00\n",
              0);
    ing_config(f,
               "[{\"kind\": \"pg_csv\", \"name\": \"app\", \"requests\": "
               "\"next/user_requests.csv\", \"songs\": \"next/recommended_songs.csv\"}]",
               NULL, 0);
    assert_int_equal(ing_run(f, "r2", false, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 4);
    assert_int_equal(ing_count(f, "below_watermark"), 2);
    assert_int_equal(ing_count(f, "updated"), 0);
    assert_reconciled(f);

    /* --full: request 1 lost its user_id (user deleted) → an update; song 101
     * now has NULL fields where it had values → an update too. */
    assert_int_equal(ing_run(f, "r3", true, false), MM_OK);
    assert_int_equal(ing_count(f, "updated"), 2);
    assert_int_equal(ing_count(f, "accepted"), 2);
    assert_int_equal(ing_count(f, "duplicates"), 4);
    struct mm_arena a;
    struct mm_request r;
    mm_arena_init(&a, 4096);
    assert_true(get_request(f, 1, &a, &r));
    assert_int_equal(r.user_id, MM_NULL_INT);
    assert_true(strncmp(r.src, "r3:app/user_requests.csv@", 25) == 0);
    mm_arena_cleanup(&a);
    ing_free(f);
}

/* A header without a required column rejects its file as a whole; the other
 * file is still ingested and the stage fails at the end. */
static void test_missing_required_column(void **state)
{
    (void)state;
    struct ing_fixture *f = ing_new();
    ing_write(f, "user_requests.csv", "id,text_description,emojis\n1,hi,\n", 0);
    ing_copy_data(f, "recommended_songs.csv", "recommended_songs.csv", false);
    ing_config(f, PG_SOURCE, NULL, 0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_EPARSE);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "read"), 1);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "rejected"), 1);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "read"), 10);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "rejected"), 10);
    assert_int_equal(ing_count(f, "files_failed"), 1);
    assert_reconciled(f);
    char *rej = ing_rejects(f, "r1");
    assert_has(rej, "user_requests.csv,1,created_at,created_at,missing required column(s): "
                    "created_at,\"id,text_description,emojis\"\n");
    free(rej);
    char *dump = ing_dump(f, data_dbs);
    assert_string_equal(dump, "[requests]\n[songs]\n[song_ids]\n");
    free(dump);
    ing_free(f);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct ing_fixture *f = ing_new();
    ing_copy_data(f, "recommended_songs.csv", "recommended_songs.csv", false);
    ing_config(
        f,
        "[{\"kind\": \"pg_csv\", \"name\": \"gone\", \"requests\": \"nope.csv\"}, "
        "{\"kind\": \"pg_csv\", \"name\": \"app\", \"requests\": \"recommended_songs.csv\"}]",
        NULL, 0);
    /* the second source has a songs file where requests are expected: its
     * header lacks the request columns */
    assert_int_equal(ing_run(f, "r1", false, false), MM_ENOTFOUND);
    assert_int_equal(ing_count(f, "files_failed"), 2);
    assert_int_equal(ing_file_count(f, "gone/nope.csv", "read"), 0);
    char *rej = ing_rejects(f, "r1");
    assert_has(rej, "missing required column(s): text_description, emojis");
    free(rej);
    ing_free(f);
}

/* A field over ingest.max_field_bytes is rejected; the next row is read. */
static void test_oversize_field(void **state)
{
    (void)state;
    struct ing_fixture *f = ing_new();
    struct mm_buf b;
    mm_buf_init(&b, 1 << 20);
    assert_int_equal(mm_buf_appends(&b, "id,text_description,emojis,created_at\n1,\""), MM_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(mm_buf_appends(&b, i % 100 ? "x" : "\n"), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "\",,2025-11-20 14:00:00+00\n"
                                        "2,fine,,2025-11-20 14:00:00+00\n"),
                     MM_OK);
    ing_write(f, "user_requests.csv", b.data, b.len);
    mm_buf_cleanup(&b);
    const char *sets[] = {"ingest.max_field_bytes=1024"};
    ing_config(f,
               "[{\"kind\": \"pg_csv\", \"name\": \"app\", \"requests\": \"user_requests.csv\"}]",
               sets, 1);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 1);
    assert_int_equal(ing_count(f, "rejected"), 1);
    char *rej = ing_rejects(f, "r1");
    assert_has(rej, "user_requests.csv,2,2,text_description,field longer than "
                    "ingest.max_field_bytes (1024 bytes),\"1,\"\"\\nxxxx");
    free(rej);
    ing_free(f);
}

/* Generated export: n requests, two songs each, some bad rows. */
static void write_generated(struct ing_fixture *f, int n)
{
    struct mm_buf r, s;
    mm_buf_init(&r, 64 << 20);
    mm_buf_init(&s, 64 << 20);
    assert_int_equal(mm_buf_appends(&r, "id,user_id,text_description,emojis,num_songs_requested,"
                                        "gemini_analysis,created_at\n"),
                     MM_OK);
    assert_int_equal(mm_buf_appends(&s, "id,request_id,user_id,position,title,artist,"
                                        "matched_criteria,created_at\n"),
                     MM_OK);
    for (int i = 1; i <= n; i++) {
        assert_int_equal(mm_buf_printf(&r,
                                       "%d,%d,\"mood %d, \"\"quoted\"\"\",\"[\"\"🎧\"\"]\",%d,"
                                       "\"{\"\"mood\"\": \"\"m%d\"\"}\",2025-11-%02d "
                                       "10:00:%02d+00\n",
                                       i, i % 50, i, i % 7 ? 10 : 500, i % 13, 1 + i % 28, i % 60),
                         MM_OK);
        for (int k = 1; k <= 2; k++)
            assert_int_equal(mm_buf_printf(&s,
                                           "%d,%d,,%d,Title %d,Artist,\"[\"\"g\"\"]\","
                                           "2025-11-01 10:00:00+00\n",
                                           2 * i + k, i, k, i),
                             MM_OK);
    }
    ing_write(f, "user_requests.csv", r.data, r.len);
    ing_write(f, "recommended_songs.csv", s.data, s.len);
    mm_buf_cleanup(&r);
    mm_buf_cleanup(&s);
}

/* Interrupted after every batch and resumed each time, the stage ends with
 * exactly the state, counts and rejects.csv of an uninterrupted run. */
static void test_resume_equals_uninterrupted(void **state)
{
    (void)state;
    static const char *const dbs[] = MM_STATE_DBS;
    const char *sets[] = {"ingest.batch_size=7"};
    struct ing_fixture *f = ing_new();
    write_generated(f, 40);
    ing_copy_data(f, "user_requests.csv", "mixed_requests.csv", false);
    ing_config(f,
               "[{\"kind\": \"pg_csv\", \"name\": \"gen\", \"requests\": \"user_requests.csv\", "
               "\"songs\": \"recommended_songs.csv\"}, {\"kind\": \"pg_csv\", \"name\": \"mixed\", "
               "\"requests\": \"mixed_requests.csv\"}]",
               sets, 1);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    char *want_state = ing_dump(f, state_dbs);
    char *want_counts = json_dumps(f->counts, JSON_COMPACT | JSON_SORT_KEYS);
    size_t want_len, got_len;
    char *want_rejects = ing_read(f, "reports/r1/rejects.csv", &want_len);
    /* 6 in the mixed file; requests 7, 14, ..., 35 ask for 500 songs, and their songs */
    assert_int_equal(ing_count(f, "rejected"), 6 + 5 + 10);

    /* start over from an empty state */
    mm_store_close(f->state);
    char *state_dir = ing_path(f, "state");
    nftw(state_dir, ing_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    struct mm_store_options opt = {.dbs = dbs};
    assert_int_equal(mm_store_open(state_dir, &opt, &f->state), MM_OK);
    free(state_dir);

    int interruptions = 0;
    bool resumed = false;
    mm_err err;
    f->stop = 1;
    while ((err = ing_run(f, "r1", false, resumed)) == MM_EINTERRUPTED) {
        interruptions++;
        resumed = true;
        /* rows flushed by a batch that never committed must not survive */
        char *path = ing_path(f, "reports/r1/rejects.csv");
        FILE *fp = fopen(path, "ab");
        fputs("junk,of,a,crashed,batch,,\n", fp);
        fclose(fp);
        free(path);
    }
    assert_int_equal(err, MM_OK);
    assert_true(interruptions > 10);
    char *got_state = ing_dump(f, state_dbs);
    char *got_counts = json_dumps(f->counts, JSON_COMPACT | JSON_SORT_KEYS);
    char *got_rejects = ing_read(f, "reports/r1/rejects.csv", &got_len);
    assert_string_equal(got_counts, want_counts);
    assert_string_equal(got_state, want_state);
    assert_int_equal(got_len, want_len);
    assert_string_equal(got_rejects, want_rejects);
    free(want_state), free(want_counts), free(want_rejects);
    free(got_state), free(got_counts), free(got_rejects);
    ing_free(f);
}

/* Many batches: bounded by batch_size, every record accounted for. */
static void test_generated_many_batches(void **state)
{
    (void)state;
    const char *sets[] = {"ingest.batch_size=1000"};
    struct ing_fixture *f = ing_new();
    write_generated(f, 6000);
    ing_config(f, PG_SOURCE, sets, 1);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "read"), 6000);
    assert_int_equal(ing_file_count(f, "app/user_requests.csv", "rejected"), 857);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "read"), 12000);
    assert_int_equal(ing_file_count(f, "app/recommended_songs.csv", "rejected"), 2 * 857);
    assert_int_equal(ing_count(f, "accepted"), 3 * (6000 - 857));
    assert_reconciled(f);
    ing_free(f);
}

/* More than 64 MiB committed: the map's pages are released between batches
 * (the reader is closed and reopened) and ingest carries on. */
static void test_release_pages_between_batches(void **state)
{
    (void)state;
    const char *sets[] = {"ingest.batch_size=50"};
    struct ing_fixture *f = ing_new();
    struct mm_buf s;
    char why[60001];
    memset(why, 'w', sizeof(why) - 1);
    why[sizeof(why) - 1] = '\0';
    mm_buf_init(&s, 128 << 20);
    assert_int_equal(mm_buf_appends(&s, "id,request_id,position,title,why_gemini_chose,"
                                        "created_at\n"),
                     MM_OK);
    for (int i = 1; i <= 1300; i++)
        assert_int_equal(mm_buf_printf(&s, "%d,1,1,T%d,%s,2025-11-01 10:00:00+00\n", i, i, why),
                         MM_OK);
    ing_write(f, "user_requests.csv",
              "id,text_description,emojis,created_at\n1,x,,2025-11-01 10:00:00+00\n", 0);
    ing_write(f, "recommended_songs.csv", s.data, s.len);
    mm_buf_cleanup(&s);
    ing_config(f, PG_SOURCE, sets, 1);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 1301);
    struct mm_arena a;
    struct mm_song song;
    mm_arena_init(&a, 1 << 16);
    assert_true(get_song(f, 1, 1300, &a, &song));
    assert_int_equal(strlen(song.why), 60000);
    mm_arena_cleanup(&a);
    ing_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_export),
        cmocka_unit_test(test_reingest_same_export),
        cmocka_unit_test(test_incremental_and_update),
        cmocka_unit_test(test_missing_required_column),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_oversize_field),
        cmocka_unit_test(test_resume_equals_uninterrupted),
        cmocka_unit_test(test_generated_many_batches),
        cmocka_unit_test(test_release_pages_between_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
