/* Tests of pipeline/ingest_csv.c: the streaming RFC 4180 reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pipeline/ingest.h"
#include "tests/pipeline/ingest_fixture.h"

#define CAP 1024

struct reader {
    struct ing_fixture *fx;
    struct mm__ingest_csv *r;
    struct mm__ingest_csv_record rec;
    char err[MM_ERRLEN];
};

static void open_text(struct reader *t, const char *text, size_t len, size_t cap)
{
    t->fx = ing_new();
    ing_write(t->fx, "in.csv", text, len);
    char *path = ing_path(t->fx, "in.csv");
    assert_int_equal(mm__ingest_csv_open(path, cap, &t->r, t->err), MM_OK);
    free(path);
}

static void close_reader(struct reader *t)
{
    mm__ingest_csv_close(t->r);
    ing_free(t->fx);
}

static void next_ok(struct reader *t)
{
    mm_err err = mm__ingest_csv_next(t->r, &t->rec, t->err);
    if (err)
        fail_msg("next: %s %s", mm_strerror(err), t->err);
}

static void assert_end(struct reader *t)
{
    assert_int_equal(mm__ingest_csv_next(t->r, &t->rec, t->err), MM_ENOTFOUND);
    assert_int_equal(mm__ingest_csv_next(t->r, &t->rec, t->err), MM_ENOTFOUND);
}

static void assert_field(const struct reader *t, size_t i, const char *want)
{
    assert_true(i < t->rec.n_fields);
    if (!want) {
        assert_true(t->rec.fields[i].null);
        assert_null(t->rec.fields[i].data);
        return;
    }
    assert_false(t->rec.fields[i].null);
    assert_non_null(t->rec.fields[i].data);
    assert_int_equal(t->rec.fields[i].len, strlen(want));
    assert_memory_equal(t->rec.fields[i].data, want, strlen(want));
}

static void test_quotes_newlines_and_lines(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t,
              "id,text,n\n"
              "1,\"say \"\"hi\"\", ok\",3\n"
              "2,\"two\nlines\n\nand a blank\",4\n"
              "3,plain,5\n",
              0, CAP);
    next_ok(&t);
    assert_int_equal(t.rec.line, 1);
    assert_int_equal(t.rec.n_fields, 3);
    assert_field(&t, 1, "text");
    next_ok(&t);
    assert_int_equal(t.rec.line, 2);
    assert_field(&t, 1, "say \"hi\", ok");
    next_ok(&t);
    assert_int_equal(t.rec.line, 3);
    assert_field(&t, 1, "two\nlines\n\nand a blank");
    assert_field(&t, 2, "4");
    next_ok(&t);
    assert_int_equal(t.rec.line, 7); /* the embedded newlines are counted */
    assert_field(&t, 0, "3");
    assert_field(&t, 1, "plain");
    assert_end(&t);
    close_reader(&t);
}

static void test_null_empty_and_spaces(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "a,b,c,d\n,\"\", x ,\n", 0, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_int_equal(t.rec.n_fields, 4);
    assert_field(&t, 0, NULL);  /* unquoted empty = NULL */
    assert_field(&t, 1, "");    /* quoted empty = empty string */
    assert_field(&t, 2, " x "); /* spaces are data */
    assert_field(&t, 3, NULL);  /* trailing comma: a last NULL field */
    assert_end(&t);
    close_reader(&t);
}

static void test_crlf_bom_blank_lines(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "\xEF\xBB\xBFid,t\r\n1,\"a\r\nb\"\r\n\r\n\r\n2,c\r\n", 0, CAP);
    next_ok(&t);
    assert_field(&t, 0, "id"); /* BOM skipped */
    next_ok(&t);
    assert_int_equal(t.rec.line, 2);
    assert_field(&t, 1, "a\r\nb");
    next_ok(&t);
    assert_int_equal(t.rec.line, 6);
    assert_field(&t, 0, "2");
    assert_field(&t, 1, "c"); /* CR not part of the field */
    assert_end(&t);
    close_reader(&t);
}

static void test_truncated_last_line(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "id,t\n1,x\n2,\"last", 0, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_false(t.rec.unterminated);
    next_ok(&t);
    assert_int_equal(t.rec.line, 3);
    assert_true(t.rec.unterminated);
    assert_end(&t);
    close_reader(&t);

    open_text(&t, "id,t\n1,no newline", 0, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_false(t.rec.unterminated);
    assert_field(&t, 1, "no newline");
    assert_end(&t);
    close_reader(&t);
}

static void test_field_counts(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "a,b,c\n1,2\n1,2,3,4\n1,2,3\n", 0, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_int_equal(t.rec.n_fields, 2);
    next_ok(&t);
    assert_int_equal(t.rec.n_fields, 4);
    next_ok(&t);
    assert_int_equal(t.rec.n_fields, 3);
    assert_int_equal(t.rec.line, 4);
    close_reader(&t);
}

/* A field past the cap is flagged and never kept; the next record is fine,
 * whether the huge field is quoted (with newlines) or not. */
static void test_huge_field(void **state)
{
    (void)state;
    size_t huge = 1 << 20;
    struct mm_buf b;
    mm_buf_init(&b, 4 << 20);
    assert_int_equal(mm_buf_appends(&b, "id,t,n\n1,\""), MM_OK);
    for (size_t i = 0; i < huge; i++)
        assert_int_equal(mm_buf_appendc(&b, i % 1000 == 999 ? '\n' : 'x'), MM_OK);
    assert_int_equal(mm_buf_appends(&b, "\",5\n2,"), MM_OK);
    for (size_t i = 0; i < huge; i++)
        assert_int_equal(mm_buf_appendc(&b, 'y'), MM_OK);
    assert_int_equal(mm_buf_appends(&b, ",6\n3,ok,7\n"), MM_OK);
    struct reader t;
    open_text(&t, b.data, b.len, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_int_equal(t.rec.line, 2);
    assert_int_equal(t.rec.oversize_col, 2);
    assert_null(t.rec.fields[1].data);
    assert_int_equal(t.rec.n_fields, 3);
    assert_field(&t, 2, "5");
    next_ok(&t);
    assert_int_equal(t.rec.line, 3 + huge / 1000); /* after 2 + embedded newlines */
    assert_int_equal(t.rec.oversize_col, 2);
    assert_field(&t, 2, "6");
    next_ok(&t);
    assert_int_equal(t.rec.oversize_col, 0);
    assert_field(&t, 1, "ok");
    assert_end(&t);
    close_reader(&t);
    mm_buf_cleanup(&b);
}

/* Exactly the cap is fine, quoted or not; one byte more is not. */
static void test_cap_boundary(void **state)
{
    (void)state;
    struct mm_buf b;
    char cap_x[CAP + 2];
    memset(cap_x, 'x', CAP + 1);
    cap_x[CAP + 1] = '\0';
    mm_buf_init(&b, 1 << 16);
    assert_int_equal(mm_buf_printf(&b, "a,b\n%.*s,\"%.*s\"\n%s,1\n1,\"%s\"\n", CAP, cap_x, CAP,
                                   cap_x, cap_x, cap_x),
                     MM_OK);
    struct reader t;
    open_text(&t, b.data, b.len, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_int_equal(t.rec.oversize_col, 0);
    assert_int_equal(t.rec.fields[0].len, CAP);
    assert_int_equal(t.rec.fields[1].len, CAP);
    next_ok(&t);
    assert_int_equal(t.rec.oversize_col, 1);
    next_ok(&t);
    assert_int_equal(t.rec.oversize_col, 2);
    assert_end(&t);
    close_reader(&t);
    mm_buf_cleanup(&b);
}

static void test_keep_and_excerpt(void **state)
{
    (void)state;
    struct reader t;
    char line[400];
    memset(line, 'z', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    char *text = mm_xasprintf("a,b,c\n1,%s,3\n", line);
    open_text(&t, text, 0, CAP);
    next_ok(&t);
    bool keep[3] = {true, false, true};
    mm__ingest_csv_keep(t.r, keep, 3);
    next_ok(&t);
    assert_field(&t, 0, "1");
    assert_null(t.rec.fields[1].data);
    assert_false(t.rec.fields[1].null);
    assert_field(&t, 2, "3");
    assert_int_equal(t.rec.excerpt_len, MM__INGEST_EXCERPT);
    assert_memory_equal(t.rec.excerpt, "1,zzz", 5);
    close_reader(&t);
    free(text);
}

/* Many records across 64 KiB chunk boundaries keep their line numbers. */
static void test_many_records_across_chunks(void **state)
{
    (void)state;
    struct mm_buf b;
    mm_buf_init(&b, 8 << 20);
    assert_int_equal(mm_buf_appends(&b, "id,text\n"), MM_OK);
    for (int i = 1; i <= 20000; i++)
        assert_int_equal(mm_buf_printf(&b, "%d,\"row %d\nsecond line, \"\"q\"\"\"\r\n", i, i),
                         MM_OK);
    struct reader t;
    open_text(&t, b.data, b.len, CAP);
    next_ok(&t);
    for (int i = 1; i <= 20000; i++) {
        char want[64];
        next_ok(&t);
        assert_int_equal(t.rec.line, (uint64_t)(2 * i));
        snprintf(want, sizeof(want), "row %d\nsecond line, \"q\"", i);
        assert_field(&t, 1, want);
    }
    assert_end(&t);
    assert_int_equal(mm__ingest_csv_offset(t.r), b.len);
    close_reader(&t);
    mm_buf_cleanup(&b);
}

static void test_bare_cr_ends_a_record(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "a,b\r1,2\r3,4\n", 0, CAP);
    next_ok(&t);
    next_ok(&t);
    assert_field(&t, 0, "1");
    next_ok(&t);
    assert_field(&t, 0, "3");
    assert_end(&t);
    close_reader(&t);
}

static void open_gz(struct reader *t, const char *text, size_t len, long cut)
{
    t->fx = ing_new();
    ing_write_gz(t->fx, "in.csv.gz", text, len);
    char *path = ing_path(t->fx, "in.csv.gz");
    if (cut) {
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(truncate(path, st.st_size * cut / 100), 0);
    }
    assert_int_equal(mm__ingest_csv_open(path, CAP, &t->r, t->err), MM_OK);
    free(path);
}

/* A gzip export reads like the plain one; a damaged one fails after the
 * records before the damage. */
static void test_gzip(void **state)
{
    (void)state;
    struct reader t;
    const char *text = "id,t\n1,\"a\nb\"\n2,c\n";
    open_gz(&t, text, strlen(text), 0);
    next_ok(&t);
    next_ok(&t);
    assert_field(&t, 1, "a\nb");
    next_ok(&t);
    assert_int_equal(t.rec.line, 4);
    assert_end(&t);
    close_reader(&t);

    struct mm_buf b;
    mm_buf_init(&b, 8 << 20);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(mm_buf_printf(&b, "%d,%x\n", i, (unsigned)(i * 2654435761u)), MM_OK);
    open_gz(&t, b.data, b.len, 50);
    int n = 0;
    mm_err err;
    while ((err = mm__ingest_csv_next(t.r, &t.rec, t.err)) == MM_OK)
        n++;
    assert_int_equal(err, MM_EIO);
    assert_non_null(strstr(t.err, "damaged gzip stream at line"));
    assert_true(n > 1000 && n < 20000);
    close_reader(&t);
    mm_buf_cleanup(&b);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct mm__ingest_csv *r = NULL;
    char err[MM_ERRLEN];
    assert_int_equal(mm__ingest_csv_open("/nonexistent/in.csv", CAP, &r, err), MM_ENOTFOUND);
    assert_null(r);
    assert_non_null(strstr(err, "/nonexistent/in.csv"));
}

static void test_empty_file(void **state)
{
    (void)state;
    struct reader t;
    open_text(&t, "\n\n", 0, CAP);
    assert_end(&t);
    close_reader(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_newlines_and_lines),
        cmocka_unit_test(test_null_empty_and_spaces),
        cmocka_unit_test(test_crlf_bom_blank_lines),
        cmocka_unit_test(test_truncated_last_line),
        cmocka_unit_test(test_field_counts),
        cmocka_unit_test(test_huge_field),
        cmocka_unit_test(test_cap_boundary),
        cmocka_unit_test(test_keep_and_excerpt),
        cmocka_unit_test(test_many_records_across_chunks),
        cmocka_unit_test(test_bare_cr_ends_a_record),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_empty_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
