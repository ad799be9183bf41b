/* Tests of pipeline/ingest_jsonl.c: the line reader (plain, gzip, damaged
 * gzip) and JSONL records through the stage, with JSON paths in rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipeline/ingest.h"
#include "tests/pipeline/ingest_fixture.h"

#define CAP 1024

struct lines {
    struct ing_fixture *fx;
    struct mm__ingest_jsonl *r;
    struct mm__ingest_line line;
    char err[MM_ERRLEN];
};

static void open_lines(struct lines *t, struct ing_fixture *fx, const char *name)
{
    t->fx = fx;
    char *path = ing_path(fx, name);
    assert_int_equal(mm__ingest_jsonl_open(path, CAP, &t->r, t->err), MM_OK);
    free(path);
}

static void expect_line(struct lines *t, uint64_t number, const char *text)
{
    mm_err err = mm__ingest_jsonl_next(t->r, &t->line, t->err);
    if (err)
        fail_msg("next: %s %s", mm_strerror(err), t->err);
    assert_int_equal(t->line.line, number);
    assert_false(t->line.too_long);
    assert_string_equal(t->line.data, text);
    assert_int_equal(t->line.len, strlen(text));
}

static void test_plain_lines(void **state)
{
    (void)state;
    struct ing_fixture *fx = ing_new();
    char longer[CAP + 100];
    memset(longer, 'q', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    char *text = mm_xasprintf("{\"a\":1}\n\n  \r\n{\"b\":2}\r\n%s\n{\"c\":3}", longer);
    ing_write(fx, "in.jsonl", text, 0);
    struct lines t;
    open_lines(&t, fx, "in.jsonl");
    expect_line(&t, 1, "{\"a\":1}");
    expect_line(&t, 4, "{\"b\":2}");
    assert_int_equal(mm__ingest_jsonl_next(t.r, &t.line, t.err), MM_OK);
    assert_int_equal(t.line.line, 5);
    assert_true(t.line.too_long);
    assert_int_equal(t.line.len, CAP);
    expect_line(&t, 6, "{\"c\":3}"); /* no final newline */
    assert_int_equal(mm__ingest_jsonl_next(t.r, &t.line, t.err), MM_ENOTFOUND);
    mm__ingest_jsonl_close(t.r);
    free(text);
    ing_free(fx);
}

static void test_gzip_lines(void **state)
{
    (void)state;
    struct ing_fixture *fx = ing_new();
    const char *text = "{\"a\":1}\n{\"b\":2}\n";
    ing_write_gz(fx, "in.jsonl.gz", text, strlen(text));
    struct lines t;
    open_lines(&t, fx, "in.jsonl.gz");
    expect_line(&t, 1, "{\"a\":1}");
    expect_line(&t, 2, "{\"b\":2}");
    assert_int_equal(mm__ingest_jsonl_next(t.r, &t.line, t.err), MM_ENOTFOUND);
    mm__ingest_jsonl_close(t.r);
    ing_free(fx);
}

/* Many lines compressed, the file cut in the middle of the stream. */
static size_t write_truncated_gz(struct ing_fixture *fx, const char *name, int lines)
{
    struct mm_buf b;
    mm_buf_init(&b, 16 << 20);
    for (int i = 1; i <= lines; i++)
        assert_int_equal(mm_buf_printf(&b,
                                       "{\"id\": %d, \"text_description\": \"request number %d "
                                       "with %x\", \"created_at\": \"2025-11-20T10:00:00Z\"}\n",
                                       i, i, (unsigned)(i * 2654435761u)),
                         MM_OK);
    ing_write_gz(fx, name, b.data, b.len);
    char *path = ing_path(fx, name);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    free(path);
    mm_buf_cleanup(&b);
    return (size_t)lines;
}

static void test_truncated_gzip(void **state)
{
    (void)state;
    struct ing_fixture *fx = ing_new();
    size_t total = write_truncated_gz(fx, "in.jsonl.gz", 4000);
    struct lines t;
    open_lines(&t, fx, "in.jsonl.gz");
    size_t n = 0;
    mm_err err;
    while ((err = mm__ingest_jsonl_next(t.r, &t.line, t.err)) == MM_OK)
        n++;
    assert_int_equal(err, MM_EIO);
    assert_non_null(strstr(t.err, "damaged or truncated gzip stream"));
    assert_true(n > 100 && n < total);
    mm__ingest_jsonl_close(t.r);
    ing_free(fx);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct mm__ingest_jsonl *r = NULL;
    char err[MM_ERRLEN];
    assert_int_equal(mm__ingest_jsonl_open("/nonexistent/x.jsonl", CAP, &r, err), MM_ENOTFOUND);
    assert_null(r);
}

/* --- through the stage --- */

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void check_data_file(bool gz)
{
    struct ing_fixture *f = ing_new();
    ing_copy_data(f, "requests.jsonl", gz ? "requests.jsonl.gz" : "requests.jsonl", gz);
    ing_config(f,
               gz ? "[{\"kind\": \"jsonl\", \"name\": \"app\", \"path\": \"requests.jsonl.gz\"}]"
                  : "[{\"kind\": \"jsonl\", \"name\": \"app\", \"path\": \"requests.jsonl\"}]",
               NULL, 0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_OK);
    assert_int_equal(ing_count(f, "read"), 15);
    assert_int_equal(ing_count(f, "accepted"), 6);
    assert_int_equal(ing_count(f, "rejected"), 9);
    assert_int_equal(ing_count(f, "duplicates"), 0);
    char *rej = ing_rejects(f, "r1");
    assert_int_equal(ing_rows(rej), 9);
    assert_has(rej, ",3,$.songs[0].title,title,title is empty,");
    assert_has(rej, ",3,$.songs[1].position,position,position 0 outside");
    assert_has(rej, ",3,$.songs[2].request_id,request_id,request_id 5 differs from the id of "
                    "the request it is nested in,");
    assert_has(rej, ",4,$,,invalid JSON at column");
    assert_has(rej, ",5,$.text_description,text_description,neither text_description nor emojis");
    assert_has(rej, ",5,$.songs[0].request_id,request_id,request_id 4: no such request");
    assert_has(rej, ",6,$,,expected a JSON object,\"[1, 2]\"\n");
    assert_has(rej, ",7,$.songs,,songs: expected a JSON array,");
    assert_has(rej, ",8,$.songs[0],,expected a JSON object,7\n");
    free(rej);
    static const char *const dbs[] = {"songs", NULL};
    char *songs = ing_dump(f, dbs);
    /* songs 100, 101 under request 1 and 105 under request 2 */
    assert_has(songs, "00000000000000010000000000000064=");
    assert_has(songs, "00000000000000010000000000000065=");
    assert_has(songs, "00000000000000020000000000000069=");
    free(songs);

    /* the same file again with --full: duplicates and the same rejects */
    assert_int_equal(ing_run(f, "r2", true, false), MM_OK);
    assert_int_equal(ing_count(f, "accepted"), 0);
    assert_int_equal(ing_count(f, "duplicates"), 6);
    assert_int_equal(ing_count(f, "rejected"), 9);
    ing_free(f);
}

static void test_stage_plain(void **state)
{
    (void)state;
    check_data_file(false);
}

static void test_stage_gzip(void **state)
{
    (void)state;
    check_data_file(true);
}

/* A damaged gzip: the lines before the damage are committed, the stage
 * fails naming the file, and a resumed run fails the same way with the
 * same counts. */
static void test_stage_truncated_gzip(void **state)
{
    (void)state;
    struct ing_fixture *f = ing_new();
    write_truncated_gz(f, "cut.jsonl.gz", 4000);
    ing_config(f, "[{\"kind\": \"jsonl\", \"name\": \"app\", \"path\": \"cut.jsonl.gz\"}]", NULL,
               0);
    assert_int_equal(ing_run(f, "r1", false, false), MM_EIO);
    long long accepted = ing_count(f, "accepted");
    assert_true(accepted > 100);
    assert_int_equal(ing_count(f, "files_failed"), 1);
    assert_int_equal(ing_count(f, "read"),
                     accepted + ing_count(f, "rejected") + ing_count(f, "duplicates"));
    assert_int_equal(ing_run(f, "r1", false, true), MM_EIO);
    assert_int_equal(ing_count(f, "accepted"), accepted);
    ing_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines),          cmocka_unit_test(test_gzip_lines),
        cmocka_unit_test(test_truncated_gzip),       cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_stage_plain),          cmocka_unit_test(test_stage_gzip),
        cmocka_unit_test(test_stage_truncated_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
