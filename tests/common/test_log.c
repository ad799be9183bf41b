/* Tests for common/log.c: lines are written to a temp file, read back and
 * parsed with jansson; fields, context, levels, redaction, extra fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"

static char dir[] = "/tmp/mm-test-log-XXXXXX";
static char *log_path;
static int n_files;

/* The whole log file. Caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct mm_buf b;
    mm_buf_init(&b, 16 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(f);
    return mm_buf_take(&b);
}

/* Every line of the file parsed as a JSON object, in order. Caller json_decrefs. */
static json_t *read_lines(const char *path)
{
    char *text = slurp(path);
    json_t *lines = json_array();
    size_t len = strlen(text);
    assert_true(len == 0 || text[len - 1] == '\n');
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        json_error_t je;
        json_t *obj = json_loadb(line, (size_t)(nl - line), 0, &je);
        if (!obj)
            fail_msg("not JSON (%s): %.*s", je.text, (int)(nl - line), line);
        assert_true(json_is_object(obj));
        json_array_append_new(lines, obj);
        line = nl + 1;
    }
    free(text);
    return lines;
}

static const char *str(json_t *line, const char *key)
{
    return json_string_value(json_object_get(line, key));
}

static int open_log(void **state)
{
    (void)state;
    free(log_path);
    log_path = mm_xasprintf("%s/log-%d.jsonl", dir, n_files++);
    char err[MM_ERRLEN];
    return mm_log_open(log_path, MM_LOG_DEBUG, err) == MM_OK ? 0 : -1;
}

static int close_log(void **state)
{
    (void)state;
    mm_log_close();
    mm_log_context_set_run(NULL);
    mm_log_context_set_stage(NULL);
    mm_log_context_set_request(NULL);
    return unlink(log_path);
}

static void test_line_fields(void **state)
{
    (void)state;
    mm_log_info("hello %s %d", "world", 42);
    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 1);
    json_t *line = json_array_get(lines, 0);
    assert_string_equal(str(line, "msg"), "hello world 42");
    assert_string_equal(str(line, "level"), "info");
    const char *t = str(line, "time");
    assert_non_null(t);
    /* 2026-11-25T02:30:00.123Z */
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[4], '-');
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[19], '.');
    assert_int_equal(t[23], 'Z');
    assert_int_equal(strspn(t + 20, "0123456789"), 3);
    assert_null(json_object_get(line, "run_id"));
    assert_null(json_object_get(line, "stage"));
    assert_null(json_object_get(line, "request_id"));
    assert_int_equal(json_object_size(line), 3);
    json_decref(lines);
}

static void *log_from_thread(void *arg)
{
    (void)arg;
    mm_log_warn("from another thread");
    return NULL;
}

static void test_context(void **state)
{
    (void)state;
    mm_log_context_set_run("r42");
    mm_log_context_set_stage("ingest");
    mm_log_context_set_request("1234");
    mm_log_info("with context");
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, log_from_thread, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    mm_log_context_set_request(NULL);
    mm_log_info("request cleared");

    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 3);
    json_t *a = json_array_get(lines, 0), *b = json_array_get(lines, 1),
           *c = json_array_get(lines, 2);
    assert_string_equal(str(a, "run_id"), "r42");
    assert_string_equal(str(a, "stage"), "ingest");
    assert_string_equal(str(a, "request_id"), "1234");
    /* The context is thread-local: the other thread's line has none. */
    assert_string_equal(str(b, "msg"), "from another thread");
    assert_null(json_object_get(b, "run_id"));
    assert_null(json_object_get(b, "stage"));
    assert_string_equal(str(c, "run_id"), "r42");
    assert_null(json_object_get(c, "request_id"));
    json_decref(lines);
}

/* Context values are copied, not borrowed. */
static void test_context_copied(void **state)
{
    (void)state;
    char *run = mm_xstrdup("r7");
    mm_log_context_set_run(run);
    run[1] = '9';
    free(run);
    mm_log_info("x");
    json_t *lines = read_lines(log_path);
    assert_string_equal(str(json_array_get(lines, 0), "run_id"), "r7");
    json_decref(lines);
}

static void test_levels(void **state)
{
    (void)state;
    mm_log_debug("d1");
    mm_log_set_level(MM_LOG_WARN);
    assert_false(mm_log_enabled(MM_LOG_INFO));
    assert_true(mm_log_enabled(MM_LOG_WARN));
    assert_true(mm_log_enabled(MM_LOG_ERROR));
    mm_log_debug("d2");
    mm_log_info("i2");
    /* A filtered line still releases its fields (ASan checks the leak). */
    mm_log_fields(MM_LOG_INFO, json_pack("{s:i}", "n", 1), "i3");
    mm_log_warn("w2");
    mm_log_error("e2");
    mm_log_set_level(MM_LOG_DEBUG);

    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 3);
    assert_string_equal(str(json_array_get(lines, 0), "level"), "debug");
    assert_string_equal(str(json_array_get(lines, 0), "msg"), "d1");
    assert_string_equal(str(json_array_get(lines, 1), "level"), "warn");
    assert_string_equal(str(json_array_get(lines, 2), "level"), "error");
    assert_string_equal(str(json_array_get(lines, 2), "msg"), "e2");
    json_decref(lines);
}

static void test_level_parse(void **state)
{
    (void)state;
    enum mm_log_level lv = MM_LOG_ERROR;
    assert_int_equal(mm_log_level_parse("debug", &lv), MM_OK);
    assert_int_equal(lv, MM_LOG_DEBUG);
    assert_int_equal(mm_log_level_parse("warn", &lv), MM_OK);
    assert_int_equal(lv, MM_LOG_WARN);
    assert_int_equal(mm_log_level_parse("error", &lv), MM_OK);
    assert_int_equal(lv, MM_LOG_ERROR);
    assert_int_equal(mm_log_level_parse("info", &lv), MM_OK);
    assert_int_equal(lv, MM_LOG_INFO);
    assert_int_equal(mm_log_level_parse("INFO", &lv), MM_EINVAL);
    assert_int_equal(mm_log_level_parse("warning", &lv), MM_EINVAL);
    assert_int_equal(mm_log_level_parse(NULL, &lv), MM_EINVAL);
    assert_int_equal(lv, MM_LOG_INFO);
}

/* Extra fields are kept with their types; they never replace the standard ones. */
static void test_extra_fields(void **state)
{
    (void)state;
    mm_log_context_set_stage("publish");
    json_t *fields =
        json_pack("{s:i, s:s, s:[i,i], s:{s:b}, s:s, s:s}", "count", 17, "file", "a.csv", "ids", 1,
                  2, "nested", "ok", 1, "msg", "spoofed", "stage", "spoofed");
    mm_log_fields(MM_LOG_WARN, fields, "done %d", 3);
    mm_log_fields(MM_LOG_INFO, NULL, "no fields");

    json_t *lines = read_lines(log_path);
    json_t *line = json_array_get(lines, 0);
    assert_string_equal(str(line, "msg"), "done 3");
    assert_string_equal(str(line, "stage"), "publish");
    assert_string_equal(str(line, "level"), "warn");
    assert_int_equal(json_integer_value(json_object_get(line, "count")), 17);
    assert_string_equal(str(line, "file"), "a.csv");
    assert_int_equal(json_array_size(json_object_get(line, "ids")), 2);
    assert_true(json_is_true(json_object_get(json_object_get(line, "nested"), "ok")));
    assert_string_equal(str(json_array_get(lines, 1), "msg"), "no fields");
    json_decref(lines);
}

static void test_redaction(void **state)
{
    (void)state;
    setenv("GEMINI_API_KEY", "AIzaSy-test-gemini-key", 1);
    setenv("SPOTIPY_CLIENT_SECRET", "sec\"ret/with\\quote", 1);
    setenv("LASTFM_API_KEY", "abc", 1); /* too short to redact */
    char err[MM_ERRLEN];
    assert_int_equal(mm_log_open(log_path, MM_LOG_DEBUG, err), MM_OK);

    mm_log_error("calling https://x/?key=AIzaSy-test-gemini-key&q=abc failed");
    mm_log_fields(MM_LOG_INFO,
                  json_pack("{s:s, s:s}", "header", "Bearer AIzaSy-test-gemini-key", "body",
                            "echo: sec\"ret/with\\quote."),
                  "twice AIzaSy-test-gemini-keyAIzaSy-test-gemini-key, %s", "sec\"ret/with\\quote");
    mm_log_context_set_request("AIzaSy-test-gemini-key");
    mm_log_info("in context");

    char *raw = slurp(log_path);
    assert_null(strstr(raw, "AIzaSy-test-gemini-key"));
    assert_null(strstr(raw, "ret/with"));
    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 3);
    assert_string_equal(str(json_array_get(lines, 0), "msg"),
                        "calling https://x/?key=[REDACTED]&q=abc failed");
    json_t *b = json_array_get(lines, 1);
    assert_string_equal(str(b, "msg"), "twice [REDACTED][REDACTED], [REDACTED]");
    assert_string_equal(str(b, "header"), "Bearer [REDACTED]");
    assert_string_equal(str(b, "body"), "echo: [REDACTED].");
    assert_string_equal(str(json_array_get(lines, 2), "request_id"), "[REDACTED]");
    json_decref(lines);
    free(raw);

    unsetenv("GEMINI_API_KEY");
    unsetenv("SPOTIPY_CLIENT_SECRET");
    unsetenv("LASTFM_API_KEY");
}

/* Invalid UTF-8 and oversized messages still give one parseable line each. */
static void test_hostile_messages(void **state)
{
    (void)state;
    mm_log_info("bad \xff\xfe utf8 \xe2\x82 and \xed\xa0\x80 ok \xe2\x82\xac");
    size_t big = 200 * 1024;
    char *huge = mm_xmalloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = '\0';
    mm_log_info("%s", huge);
    free(huge);
    mm_log_info("quote \" newline \n tab \t");

    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 3);
    const char *m = str(json_array_get(lines, 0), "msg");
    assert_non_null(m);
    assert_non_null(strstr(m, "ok \xe2\x82\xac"));
    assert_int_equal(strncmp(m, "bad ?? utf8 ", 12), 0);
    assert_int_equal(strlen(str(json_array_get(lines, 1), "msg")), 64 * 1024);
    assert_string_equal(str(json_array_get(lines, 2), "msg"), "quote \" newline \n tab \t");
    json_decref(lines);
}

/* Reopening switches the sink; an unopenable path leaves the old one in place. */
static void test_reopen(void **state)
{
    (void)state;
    char err[MM_ERRLEN] = "";
    char *second = mm_xasprintf("%s/second.jsonl", dir);
    char *bad = mm_xasprintf("%s/no/such/dir/x.log", dir);
    mm_log_info("first");
    assert_int_equal(mm_log_open(second, MM_LOG_INFO, err), MM_OK);
    mm_log_info("second");
    assert_int_equal(mm_log_open(bad, MM_LOG_INFO, err), MM_ENOTFOUND);
    assert_non_null(strstr(err, bad));
    assert_non_null(strstr(err, "No such file or directory"));
    mm_log_info("still second");

    json_t *a = read_lines(log_path), *b = read_lines(second);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(str(json_array_get(a, 0), "msg"), "first");
    assert_int_equal(json_array_size(b), 2);
    assert_string_equal(str(json_array_get(b, 1), "msg"), "still second");
    json_decref(a);
    json_decref(b);
    unlink(second);
    free(second);
    free(bad);
}

/* Lines from many threads never interleave: every line parses. */
static void *log_many(void *arg)
{
    for (int i = 0; i < 200; i++)
        mm_log_fields(MM_LOG_INFO, json_pack("{s:i, s:i}", "thread", *(int *)arg, "i", i),
                      "line %d from a thread that writes quite a long message to stress writes", i);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t th[4];
    int ids[4];
    for (int i = 0; i < 4; i++) {
        ids[i] = i;
        assert_int_equal(pthread_create(&th[i], NULL, log_many, &ids[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    json_t *lines = read_lines(log_path);
    assert_int_equal(json_array_size(lines), 800);
    json_decref(lines);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(log_path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_line_fields, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_context, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_context_copied, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_levels, open_log, close_log),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test_setup_teardown(test_extra_fields, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_redaction, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_hostile_messages, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_reopen, open_log, close_log),
        cmocka_unit_test_setup_teardown(test_threads, open_log, close_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
