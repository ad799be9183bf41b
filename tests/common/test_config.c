/* Tests for common/config.c: loading, defaults, every kind of error (all
 * reported at once), --set overrides, path resolution, dump/hash, and that
 * docs/config.md holds the generated key table verbatim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"

static char dir[] = "/tmp/mm-test-config-XXXXXX";

static char *path_in(const char *name)
{
    return mm_xasprintf("%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char *path = path_in(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    free(path);
}

/* Loads `json` written as <dir>/moodmusic.json; *errs gets the error text (caller frees). */
static mm_err load(const char *json, const char *const *sets, size_t n_sets, struct mm_config **cfg,
                   char **errs)
{
    struct mm_buf b;
    mm_buf_init(&b, 1 << 16);
    write_file("moodmusic.json", json);
    char *path = path_in("moodmusic.json");
    mm_err err = mm_config_load(path, sets, n_sets, cfg, &b);
    free(path);
    *errs = mm_buf_take(&b);
    return err;
}

/* The file must fail with exactly the one error line `want`. */
static void expect_one_error(const char *json, const char *want)
{
    struct mm_config *cfg = (struct mm_config *)1;
    char *errs;
    mm_err err = load(json, NULL, 0, &cfg, &errs);
    char *line = mm_xasprintf("config error: %s\n", want);
    if (err != MM_ECONFIG || strcmp(errs, line) != 0)
        fail_msg("for %s\nwant %sgot (%s) %s", json, line, mm_err_name(err), errs);
    assert_null(cfg);
    free(line);
    free(errs);
}

static void assert_in_dir(const char *got, const char *rel)
{
    char *want = mm_xasprintf("%s/%s", dir, rel);
    assert_string_equal(got, want);
    free(want);
}

static void test_defaults(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    assert_int_equal(load("{}", NULL, 0, &cfg, &errs), MM_OK);
    assert_string_equal(errs, "");
    assert_in_dir(cfg->file, "moodmusic.json");
    assert_in_dir(cfg->paths.state, "state");
    assert_in_dir(cfg->paths.snapshots, "snapshots");
    assert_in_dir(cfg->paths.reports, "reports");
    assert_int_equal(cfg->log.level, MM_LOG_INFO);
    assert_null(cfg->log.file);
    assert_int_equal(cfg->ingest.n_sources, 0);
    assert_int_equal(cfg->ingest.batch_size, 5000);
    assert_int_equal(cfg->ingest.max_field_bytes, 65536);
    assert_int_equal(cfg->ingest.max_query_chars, 500);
    assert_int_equal(cfg->ingest.max_emojis, 12);
    assert_int_equal(cfg->ingest.max_songs_per_request, 200);
    assert_int_equal(cfg->ingest.min_songs_requested, 1);
    assert_int_equal(cfg->ingest.max_songs_requested, 100);
    assert_true(cfg->store.map_size_mb == 256);
    assert_true(cfg->store.max_map_size_mb == 65536);
    assert_int_equal(cfg->publish.keep, 3);
    assert_string_equal(cfg->serve.listen, "127.0.0.1:8080");
    assert_int_equal(cfg->serve.threads, 2);
    assert_int_equal(cfg->serve.max_connections, 1024);
    assert_int_equal(cfg->serve.idle_timeout_ms, 30000);
    assert_int_equal(cfg->serve.header_timeout_ms, 10000);
    assert_int_equal(cfg->serve.reload_poll_ms, 1000);
    /* The resolved document carries the defaults too. */
    json_t *serve = json_object_get(cfg->resolved, "serve");
    assert_int_equal(json_integer_value(json_object_get(serve, "threads")), 2);
    assert_true(json_is_null(json_object_get(json_object_get(cfg->resolved, "log"), "file")));
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(cfg->resolved, "ingest"), "sources")), 0);
    mm_config_free(cfg);
    mm_config_free(NULL);
    free(errs);
}

static void test_values_and_sources(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    const char *json =
        "{\"log\": {\"level\": \"debug\", \"file\": \"logs/mm.log\"},"
        " \"ingest\": {\"sources\": ["
        "   {\"kind\": \"pg_csv\", \"requests\": \"in/user_requests.csv\", \"songs\": "
        "\"in/s.csv\"},"
        "   {\"kind\": \"jsonl\", \"path\": \"/data/r.jsonl.gz\", \"name\": \"nightly\"},"
        "   {\"kind\": \"pg_csv\", \"requests\": \"r2.csv\"}],"
        "   \"batch_size\": 1, \"min_songs_requested\": 7, \"max_songs_requested\": 7},"
        " \"store\": {\"map_size_mb\": 1048576, \"max_map_size_mb\": 16777216},"
        " \"serve\": {\"listen\": \"[::1]:0\", \"threads\": 256}}";
    assert_int_equal(load(json, NULL, 0, &cfg, &errs), MM_OK);
    assert_int_equal(cfg->log.level, MM_LOG_DEBUG);
    assert_in_dir(cfg->log.file, "logs/mm.log");
    assert_int_equal(cfg->ingest.n_sources, 3);
    struct mm_source_config *s = cfg->ingest.sources;
    assert_int_equal(s[0].kind, MM_SOURCE_PG_CSV);
    assert_string_equal(s[0].name, "pg_csv:0");
    assert_in_dir(s[0].requests_path, "in/user_requests.csv");
    assert_in_dir(s[0].songs_path, "in/s.csv");
    assert_null(s[0].path);
    assert_int_equal(s[1].kind, MM_SOURCE_JSONL);
    assert_string_equal(s[1].name, "nightly");
    assert_string_equal(s[1].path, "/data/r.jsonl.gz");
    assert_null(s[1].requests_path);
    assert_string_equal(s[2].name, "pg_csv:2");
    assert_null(s[2].songs_path);
    assert_int_equal(cfg->ingest.batch_size, 1);
    assert_int_equal(cfg->ingest.min_songs_requested, 7);
    assert_true(cfg->store.max_map_size_mb == 16777216);
    assert_string_equal(cfg->serve.listen, "[::1]:0");
    assert_int_equal(cfg->serve.threads, 256);
    mm_config_free(cfg);
    free(errs);
}

static void test_type_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{\"serve\": {\"threads\": \"8x\"}}",
         "serve.threads: expected integer 1..256, got \"8x\""},
        {"{\"serve\": {\"threads\": 0}}", "serve.threads: expected integer 1..256, got 0"},
        {"{\"serve\": {\"threads\": 257}}", "serve.threads: expected integer 1..256, got 257"},
        {"{\"serve\": {\"threads\": 2.0}}", "serve.threads: expected integer 1..256, got 2.0"},
        {"{\"serve\": {\"threads\": true}}", "serve.threads: expected integer 1..256, got true"},
        {"{\"serve\": {\"threads\": null}}", "serve.threads: expected integer 1..256, got null"},
        {"{\"ingest\": {\"max_field_bytes\": 1023}}",
         "ingest.max_field_bytes: expected integer 1024..16777216, got 1023"},
        {"{\"log\": {\"level\": \"verbose\"}}",
         "log.level: expected one of debug/info/warn/error, got \"verbose\""},
        {"{\"log\": {\"level\": 1}}", "log.level: expected one of debug/info/warn/error, got 1"},
        {"{\"log\": {\"file\": 3}}", "log.file: expected path or null, got 3"},
        {"{\"paths\": {\"state\": \"\"}}", "paths.state: expected path, got \"\""},
        {"{\"paths\": {\"state\": null}}", "paths.state: expected path, got null"},
        {"{\"paths\": {\"reports\": [\"a\"]}}", "paths.reports: expected path, got [\"a\"]"},
        {"{\"serve\": 3}", "serve: expected object, got 3"},
        {"{\"ingest\": {\"sources\": {}}}", "ingest.sources: expected array of objects, got {}"},
        {"{\"ingest\": {\"sources\": [\"a.csv\"]}}",
         "ingest.sources[0]: expected object, got \"a.csv\""},
        {"{\"ingest\": {\"sources\": [{\"kind\": \"csv\"}]}}",
         "ingest.sources[0].kind: expected one of pg_csv/jsonl, got \"csv\""},
        {"{\"ingest\": {\"sources\": [{\"path\": \"a\"}]}}",
         "ingest.sources[0].kind: missing (required)"},
        {"{\"ingest\": {\"sources\": [{\"kind\": \"pg_csv\", \"songs\": \"s.csv\"}]}}",
         "ingest.sources[0].requests: missing (required for kind \"pg_csv\")"},
        {"{\"ingest\": {\"sources\": [{\"kind\": \"jsonl\", \"path\": \"a\", \"name\": 5}]}}",
         "ingest.sources[0].name: expected string, got 5"},
        {"{\"ingest\": {\"sources\": [{\"kind\": \"jsonl\", \"path\": \"a\"},"
         " {\"kind\": \"jsonl\", \"requests\": \"r.csv\", \"path\": \"b\"}]}}",
         "ingest.sources[1].requests: not allowed for kind \"jsonl\""},
        {"{\"ingest\": {\"sources\": [{\"kind\": \"pg_csv\", \"requests\": \"r\", \"path\": "
         "\"p\"}]}}",
         "ingest.sources[0].path: not allowed for kind \"pg_csv\""},
        {"{\"serve\": {\"listen\": \"localhost:8080\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got "
         "\"localhost:8080\""},
        {"{\"serve\": {\"listen\": \"127.0.0.1:65536\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got "
         "\"127.0.0.1:65536\""},
        {"{\"serve\": {\"listen\": \"127.0.0.1\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got \"127.0.0.1\""},
        {"{\"serve\": {\"listen\": \"::1:80\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got \"::1:80\""},
        {"{\"serve\": {\"listen\": \"1.2.3:80\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got \"1.2.3:80\""},
        {"{\"serve\": {\"listen\": \"1.2.3.4:-1\"}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got \"1.2.3.4:-1\""},
        {"{\"serve\": {\"listen\": 8080}}",
         "serve.listen: expected ADDR:PORT (IPv4 or [IPv6], port 0..65535), got 8080"},
        {"{\"ingest\": {\"min_songs_requested\": 11, \"max_songs_requested\": 10}}",
         "ingest.min_songs_requested: must be <= ingest.max_songs_requested (11 > 10)"},
        {"{\"store\": {\"map_size_mb\": 2048, \"max_map_size_mb\": 1024}}",
         "store.map_size_mb: must be <= store.max_map_size_mb (2048 > 1024)"},
        /* The offending value is shown compactly and truncated. */
        {"{\"publish\": {\"keep\": "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
         "publish.keep: expected integer 1..1000, got "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_one_error(cases[i][0], cases[i][1]);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_one_error("{\"serv\": {\"threads\": 2}}", "serv: unknown key (did you mean \"serve\"?)");
    expect_one_error("{\"serve\": {\"thread\": 2}}",
                     "serve.thread: unknown key (did you mean \"threads\"?)");
    expect_one_error("{\"zzzzzz\": 1}", "zzzzzz: unknown key");
    expect_one_error(
        "{\"ingest\": {\"sources\": [{\"kind\": \"jsonl\", \"path\": \"a\", \"nmae\": \"x\"}]}}",
        "ingest.sources[0].nmae: unknown key (did you mean \"name\"?)");
    expect_one_error("{\"secrets\": {\"GEMINI_API_KEY\": \"x\"}}", "secrets: unknown key");
}

/* Every problem of a document is reported in one pass, one line each. */
static void test_multiple_errors(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    const char *json =
        "{\"serve\": {\"threads\": \"8x\", \"port\": 80}, \"log\": {\"level\": \"loud\"},"
        " \"ingest\": {\"sources\": [{\"kind\": \"jsonl\"}, 7]}, \"extra\": true}";
    assert_int_equal(load(json, NULL, 0, &cfg, &errs), MM_ECONFIG);
    assert_null(cfg);
    const char *want[] = {
        "config error: extra: unknown key\n",
        "config error: log.level: expected one of debug/info/warn/error, got \"loud\"\n",
        "config error: ingest.sources[0].path: missing (required for kind \"jsonl\")\n",
        "config error: ingest.sources[1]: expected object, got 7\n",
        "config error: serve.port: unknown key\n",
        "config error: serve.threads: expected integer 1..256, got \"8x\"\n",
    };
    size_t lines = 0;
    for (const char *p = errs; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(errs, want[i]))
            fail_msg("missing %sin %s", want[i], errs);
    free(errs);
}

static void test_set_overrides(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs, cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    const char *json =
        "{\"paths\": {\"reports\": \"rep\"}, \"log\": {\"file\": \"a.log\"},"
        " \"ingest\": {\"sources\": [{\"kind\": \"pg_csv\", \"requests\": \"r.csv\"}]}}";
    const char *sets[] = {
        "serve.threads=8",                   /* JSON number */
        "serve.listen=0.0.0.0:9000",         /* not JSON: a string */
        "paths.state=other",                 /* a --set path is relative to the cwd */
        "log.file=null",                     /* JSON null */
        "ingest.sources.0.requests=new.csv", /* array element by index */
        "ingest.sources.1.kind=jsonl",       /* index == length appends an object */
        "ingest.sources.1.path=/abs/x.jsonl",
        "ingest.sources.2={\"kind\": \"jsonl\", \"path\": \"y.jsonl\"}",
        "publish={\"keep\": 9}",
        "log.level=\"warn\"", /* a JSON string works too */
    };
    assert_int_equal(load(json, sets, sizeof(sets) / sizeof(sets[0]), &cfg, &errs), MM_OK);
    assert_string_equal(errs, "");
    assert_int_equal(cfg->serve.threads, 8);
    assert_string_equal(cfg->serve.listen, "0.0.0.0:9000");
    char *want = mm_xasprintf("%s/other", cwd);
    assert_string_equal(cfg->paths.state, want);
    free(want);
    assert_in_dir(cfg->paths.reports, "rep");
    assert_null(cfg->log.file);
    assert_int_equal(cfg->log.level, MM_LOG_WARN);
    assert_int_equal(cfg->ingest.n_sources, 3);
    want = mm_xasprintf("%s/new.csv", cwd);
    assert_string_equal(cfg->ingest.sources[0].requests_path, want);
    free(want);
    assert_int_equal(cfg->ingest.sources[1].kind, MM_SOURCE_JSONL);
    assert_string_equal(cfg->ingest.sources[1].path, "/abs/x.jsonl");
    assert_string_equal(cfg->ingest.sources[1].name, "jsonl:1");
    want = mm_xasprintf("%s/y.jsonl", cwd);
    assert_string_equal(cfg->ingest.sources[2].path, want);
    free(want);
    assert_int_equal(cfg->publish.keep, 9);
    mm_config_free(cfg);
    free(errs);
}

static void test_set_errors(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    const char *sets[] = {
        "xyz",
        "=1",
        "serve..threads=1",
        "serve.threads.=1",
        "serve.threads=8x",            /* string fallback, then a type error */
        "serve.port=80",               /* new keys are unknown keys */
        "ingest.sources.5.kind=jsonl", /* past the end */
        "ingest.sources.x.kind=jsonl", /* not an index */
        "serve.threads.deeper=1",      /* through a scalar (after serve.threads=8x) */
    };
    assert_int_equal(
        load("{\"ingest\": {\"sources\": []}}", sets, sizeof(sets) / sizeof(sets[0]), &cfg, &errs),
        MM_ECONFIG);
    assert_null(cfg);
    assert_string_equal(
        errs, "config error: --set \"xyz\": expected KEY.PATH=VALUE\n"
              "config error: --set \"=1\": expected KEY.PATH=VALUE\n"
              "config error: --set \"serve..threads=1\": expected KEY.PATH=VALUE\n"
              "config error: --set \"serve.threads.=1\": expected KEY.PATH=VALUE\n"
              "config error: --set \"ingest.sources.5.kind=jsonl\": ingest.sources: no element 5 "
              "(the array has 0)\n"
              "config error: --set \"ingest.sources.x.kind=jsonl\": ingest.sources: no element x "
              "(the array has 0)\n"
              "config error: --set \"serve.threads.deeper=1\": serve.threads is not an object\n"
              "config error: serve.port: unknown key\n"
              "config error: serve.threads: expected integer 1..256, got \"8x\"\n");
    free(errs);
}

static void test_relative_paths(void **state)
{
    (void)state;
    char *sub = path_in("sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file("sub/conf.json", "{\"paths\": {\"state\": \"./a//b/\", \"snapshots\": \"../snap\","
                                " \"reports\": \"/abs/./reports/\"}}");
    char *file = path_in("sub/conf.json");
    struct mm_config *cfg;
    assert_int_equal(mm_config_load(file, NULL, 0, &cfg, NULL), MM_OK);
    assert_string_equal(cfg->file, file);
    assert_in_dir(cfg->paths.state, "sub/a/b");
    assert_in_dir(cfg->paths.snapshots, "sub/../snap");
    assert_string_equal(cfg->paths.reports, "/abs/reports");
    mm_config_free(cfg);
    unlink(file);
    rmdir(sub);
    free(file);
    free(sub);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct mm_config *cfg = (struct mm_config *)1;
    struct mm_buf b;
    mm_buf_init(&b, 4096);
    char *missing = path_in("nope.json");
    assert_int_equal(mm_config_load(missing, NULL, 0, &cfg, &b), MM_ENOTFOUND);
    assert_null(cfg);
    char *want = mm_xasprintf("config error: cannot read %s: No such file or directory"
                              " (use -c FILE or set MOODMUSIC_CONFIG)\n",
                              missing);
    assert_string_equal(b.data, want);
    free(want);

    /* NULL path: $MOODMUSIC_CONFIG, else ./moodmusic.json. */
    mm_buf_reset(&b);
    setenv("MOODMUSIC_CONFIG", missing, 1);
    assert_int_equal(mm_config_load(NULL, NULL, 0, &cfg, &b), MM_ENOTFOUND);
    assert_non_null(strstr(b.data, missing));
    unsetenv("MOODMUSIC_CONFIG");
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    write_file("moodmusic.json", "{\"serve\": {\"threads\": 5}}");
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(mm_config_load(NULL, NULL, 0, &cfg, NULL), MM_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_in_dir(cfg->file, "moodmusic.json");
    assert_int_equal(cfg->serve.threads, 5);
    mm_config_free(cfg);

    /* A directory is not a config file. */
    mm_buf_reset(&b);
    assert_int_equal(mm_config_load(dir, NULL, 0, &cfg, &b), MM_ECONFIG);
    assert_non_null(strstr(b.data, "Is a directory"));
    mm_buf_cleanup(&b);
    free(missing);
}

static void test_bad_documents(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs, *file = path_in("moodmusic.json");

    assert_int_equal(load("{\n  \"serve\": {\n    \"threads\": x\n}", NULL, 0, &cfg, &errs),
                     MM_EPARSE);
    char *want = mm_xasprintf("config error: %s:3:16: ", file);
    assert_int_equal(strncmp(errs, want, strlen(want)), 0);
    free(want);
    free(errs);

    assert_int_equal(load("{\"serve\": {}, \"serve\": {}}", NULL, 0, &cfg, &errs), MM_EPARSE);
    assert_non_null(strstr(errs, "duplicate"));
    free(errs);

    assert_int_equal(load("[1, 2]", NULL, 0, &cfg, &errs), MM_ECONFIG);
    want = mm_xasprintf("config error: %s: expected an object at the top level, got [1,2]\n", file);
    assert_string_equal(errs, want);
    free(want);
    free(errs);

    char *big = mm_xmalloc(2 << 20);
    memset(big, ' ', (2 << 20) - 3);
    memcpy(big + (2 << 20) - 3, "{}", 3);
    assert_int_equal(load(big, NULL, 0, &cfg, &errs), MM_ECONFIG);
    assert_non_null(strstr(errs, "larger than"));
    free(errs);
    free(big);
    free(file);
}

static void test_dump_redacts(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    setenv("GEMINI_API_KEY", "gm-TOPSECRET-0123456789", 1);
    setenv("SPOTIPY_CLIENT_SECRET", "", 1);
    unsetenv("LASTFM_API_KEY");
    assert_int_equal(load("{\"serve\": {\"threads\": 3}}", NULL, 0, &cfg, &errs), MM_OK);
    assert_string_equal(mm_config_secret("GEMINI_API_KEY"), "gm-TOPSECRET-0123456789");
    assert_null(mm_config_secret("SPOTIPY_CLIENT_SECRET"));
    assert_null(mm_config_secret("LASTFM_API_KEY"));
    char *dump = mm_config_dump(cfg);
    assert_null(strstr(dump, "TOPSECRET"));
    assert_non_null(strstr(dump, "\n  \"serve\": {\n    \"listen\""));
    json_t *doc = json_loads(dump, 0, NULL);
    assert_non_null(doc);
    json_t *secrets = json_object_get(doc, "secrets");
    assert_string_equal(json_string_value(json_object_get(secrets, "GEMINI_API_KEY")),
                        "[REDACTED]");
    assert_string_equal(json_string_value(json_object_get(secrets, "SPOTIPY_CLIENT_SECRET")),
                        "unset");
    assert_string_equal(json_string_value(json_object_get(secrets, "LASTFM_API_KEY")), "unset");
    assert_int_equal(json_object_size(secrets), 5);
    /* Top-level keys in schema order, secrets last. */
    const char *order[] = {"paths", "log",   "ingest",  "http",  "providers", "enrich",
                           "score", "store", "publish", "serve", "secrets"};
    size_t i = 0;
    for (void *it = json_object_iter(doc); it; it = json_object_iter_next(doc, it))
        assert_string_equal(json_object_iter_key(it), order[i++]);
    assert_int_equal(i, 11);
    /* The dump is the resolved config plus secrets. */
    json_object_del(doc, "secrets");
    assert_true(json_equal(doc, cfg->resolved));
    json_decref(doc);
    free(dump);
    mm_config_free(cfg);
    free(errs);
    unsetenv("GEMINI_API_KEY");
    unsetenv("SPOTIPY_CLIENT_SECRET");
}

static void test_hash_stable(void **state)
{
    (void)state;
    struct mm_config *a, *b, *c;
    char *errs, ha[65], hb[65], hc[65];
    assert_int_equal(load("{\"serve\": {\"threads\": 4, \"listen\": \"127.0.0.1:1\"}, \"publish\": "
                          "{\"keep\": 2}}",
                          NULL, 0, &a, &errs),
                     MM_OK);
    free(errs);
    assert_int_equal(load("{\"publish\": {\"keep\": 2},\n \"serve\": {\"listen\": \"127.0.0.1:1\", "
                          "\"threads\": 4}}",
                          NULL, 0, &b, &errs),
                     MM_OK);
    free(errs);
    assert_int_equal(load("{\"publish\": {\"keep\": 2}}", NULL, 0, &c, &errs), MM_OK);
    free(errs);
    mm_config_hash(a, ha);
    mm_config_hash(b, hb);
    mm_config_hash(c, hc);
    assert_int_equal(strlen(ha), 64);
    assert_int_equal(strspn(ha, "0123456789abcdef"), 64);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
    mm_config_free(a);
    mm_config_free(b);
    mm_config_free(c);
}

/* docs/config.md must hold exactly the table the schema generates. */
static void test_doc_in_sync(void **state)
{
    (void)state;
    const char *src = getenv("MM_SOURCE_DIR");
    if (!src)
        fail_msg("MM_SOURCE_DIR is not set (ctest sets it to the repository root)");
    char *path = mm_xasprintf("%s/docs/config.md", src);
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
    const char *begin = "<!-- BEGIN GENERATED: moodmusic config doc -->\n",
               *end = "<!-- END GENERATED -->";
    char *start = strstr(b.data, begin), *stop = start ? strstr(start, end) : NULL;
    assert_non_null(start);
    assert_non_null(stop);
    start += strlen(begin);
    char *table = mm_config_doc_markdown();
    if ((size_t)(stop - start) != strlen(table) || memcmp(start, table, strlen(table)) != 0)
        fail_msg("%s is out of date; its generated section must be:\n%s", path, table);
    assert_int_equal(strncmp(table, "| key | type | default | meaning |\n|---|---|---|---|\n", 50),
                     0);
    assert_non_null(strstr(table, "| `serve.threads` | integer 1..256 | `2` | "));
    free(table);
    mm_buf_cleanup(&b);
    free(path);
}

/* Numbers and arrays of distinct enum values (providers.*, enrich.*). */
static void test_numbers_and_enum_lists(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    assert_int_equal(load("{}", NULL, 0, &cfg, &errs), MM_OK);
    assert_int_equal(cfg->providers.n_order, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cfg->providers.order[i], i);
    assert_true(cfg->providers.itunes.rate_per_s == 0.33);
    assert_string_equal(cfg->providers.itunes.market, "US");
    assert_null(cfg->providers.itunes.accounts_url);
    assert_int_equal(cfg->providers.musicbrainz.burst, 1);
    assert_int_equal(cfg->enrich.min_score, 80);
    assert_int_equal(cfg->http.max_in_flight, 8);
    mm_config_free(cfg);
    free(errs);

    const char *sets[] = {"providers.order=[\"lastfm\", \"spotify\"]",
                          "providers.spotify.rate_per_s=2.5"};
    assert_int_equal(load("{}", sets, 2, &cfg, &errs), MM_OK);
    assert_int_equal(cfg->providers.n_order, 2);
    assert_int_equal(cfg->providers.order[0], 2);
    assert_int_equal(cfg->providers.order[1], 0);
    assert_true(cfg->providers.spotify.rate_per_s == 2.5);
    mm_config_free(cfg);
    free(errs);

    expect_one_error("{\"providers\": {\"order\": [\"spotify\", \"spotify\"]}}",
                     "providers.order: expected array of 1..4 distinct of "
                     "spotify/musicbrainz/lastfm/itunes, got [\"spotify\",\"spotify\"]");
    expect_one_error("{\"providers\": {\"order\": []}}",
                     "providers.order: expected array of 1..4 distinct of "
                     "spotify/musicbrainz/lastfm/itunes, got []");
    expect_one_error("{\"providers\": {\"order\": [\"deezer\"]}}",
                     "providers.order: expected array of 1..4 distinct of "
                     "spotify/musicbrainz/lastfm/itunes, got [\"deezer\"]");
    expect_one_error("{\"providers\": {\"lastfm\": {\"rate_per_s\": 0}}}",
                     "providers.lastfm.rate_per_s: expected number 0.001..10000, got 0");
    expect_one_error("{\"providers\": {\"lastfm\": {\"rate_per_s\": \"5\"}}}",
                     "providers.lastfm.rate_per_s: expected number 0.001..10000, got \"5\"");
    expect_one_error("{\"providers\": {\"lastfm\": {\"market\": \"US\"}}}",
                     "providers.lastfm.market: unknown key");
    expect_one_error("{\"enrich\": {\"min_score\": 90, \"early_exit_score\": 85}}",
                     "enrich.min_score: must be <= enrich.early_exit_score (90 > 85)");
}

/* Maps of named objects, optional numbers and arrays of strings (score.*). */
static void test_maps_and_string_lists(void **state)
{
    (void)state;
    struct mm_config *cfg;
    char *errs;
    assert_int_equal(load("{}", NULL, 0, &cfg, &errs), MM_OK);
    assert_int_equal(cfg->score.n_moods, 44);
    const struct mm_mood_config *chill = &cfg->score.moods[0];
    assert_string_equal(chill->name, "chill");
    assert_true(chill->target.has_energy);
    assert_true(chill->target.energy == 0.35);
    assert_false(chill->target.has_loudness);
    assert_int_equal(chill->n_aliases, 11);
    assert_string_equal(chill->aliases[0], "laid back");
    assert_string_equal(cfg->score.moods[43].name, "latin night");
    assert_string_equal(cfg->score.default_mood, "chill");
    assert_int_equal(cfg->score.max_tracks_per_mood, 500);
    assert_int_equal(cfg->score.features_ttl_days, 90);
    assert_true(cfg->score.min_fit == 0);
    mm_config_free(cfg);
    free(errs);

    /* Entries update the default of the same name key by key; null drops. */
    const char *json = "{\"score\": {\"min_fit\": 0.25, \"moods\": {"
                       "\"chill\": {\"energy\": 0.2, \"tempo\": null},"
                       "\"sad\": null,"
                       "\"zen\": {\"valence\": 0.4, \"aliases\": [\"koi\", \"pond\"]}}}}";
    const char *sets[] = {"score.moods.happy.aliases=[\"glad\"]"};
    assert_int_equal(load(json, sets, 1, &cfg, &errs), MM_OK);
    assert_string_equal(errs, "");
    assert_int_equal(cfg->score.n_moods, 44);
    chill = &cfg->score.moods[0];
    assert_true(chill->target.energy == 0.2);
    assert_false(chill->target.has_tempo);
    assert_true(chill->target.has_valence && chill->target.valence == 0.55);
    assert_int_equal(chill->n_aliases, 11);
    assert_string_equal(cfg->score.moods[1].name, "happy");
    assert_int_equal(cfg->score.moods[1].n_aliases, 1);
    assert_string_equal(cfg->score.moods[1].aliases[0], "glad");
    const struct mm_mood_config *zen = &cfg->score.moods[43];
    assert_string_equal(zen->name, "zen");
    assert_true(zen->target.has_valence && !zen->target.has_energy);
    assert_int_equal(zen->n_aliases, 2);
    assert_string_equal(zen->aliases[1], "pond");
    assert_true(cfg->score.min_fit == 0.25);
    json_t *moods = json_object_get(json_object_get(cfg->resolved, "score"), "moods");
    assert_null(json_object_get(moods, "sad"));
    assert_true(json_is_null(json_object_get(json_object_get(moods, "chill"), "tempo")));
    mm_config_free(cfg);
    free(errs);

    expect_one_error("{\"score\": {\"moods\": []}}",
                     "score.moods: expected object of named objects, got []");
    expect_one_error("{\"score\": {\"moods\": {\"chill\": 3}}}",
                     "score.moods.chill: expected object, got 3");
    expect_one_error("{\"score\": {\"moods\": {\"new\": [1]}}}",
                     "score.moods.new: expected object, got [1]");
    expect_one_error("{\"score\": {\"moods\": {\"chill\": {\"energy\": 1.5}}}}",
                     "score.moods.chill.energy: expected number 0..1 or null, got 1.5");
    expect_one_error("{\"score\": {\"moods\": {\"chill\": {\"energyy\": 1}}}}",
                     "score.moods.chill.energyy: unknown key (did you mean \"energy\"?)");
    expect_one_error("{\"score\": {\"moods\": {\"chill\": {\"aliases\": [\"ok\", \"\"]}}}}",
                     "score.moods.chill.aliases: expected array of strings, got [\"ok\",\"\"]");
    expect_one_error("{\"score\": {\"moods\": {\"\": {\"energy\": 1}}}}",
                     "score.moods: entry names must not be empty");
    expect_one_error("{\"score\": {\"min_fit\": 2}}", "score.min_fit: expected number 0..1, got 2");
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *file = path_in("moodmusic.json");
    unlink(file);
    free(file);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_values_and_sources),
        cmocka_unit_test(test_type_errors),     cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_multiple_errors), cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_errors),      cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_missing_file),    cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_dump_redacts),    cmocka_unit_test(test_hash_stable),
        cmocka_unit_test(test_doc_in_sync),
        cmocka_unit_test(test_numbers_and_enum_lists),
        cmocka_unit_test(test_maps_and_string_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
