/* Test fixture of the provider tests (test_provider_*.c): the HTTP test
 * server of tests/common/http_fixture.h in canned mode, serving the answers
 * of tests/data/providers/<set>/routes.json under
 * http://127.0.0.1:PORT/canned/<set>/<scenario>, a client on the fake clock
 * (retry and Retry-After waits cost nothing), the server's request log, and
 * a helper running one lookup to its end, and the per-scenario fixture
 * (struct fixture) every provider test builds on. Included by the tests
 * only. */
#ifndef MM_TEST_PROVIDER_FIXTURE_H
#define MM_TEST_PROVIDER_FIXTURE_H

#include "pipeline/provider.h"
#include "tests/common/http_fixture.h"

static inline int start_canned(void **state)
{
    (void)state;
    return spawn_server("tests/data/providers");
}

/* The base URL of a scenario. Caller frees. */
static inline char *canned_url(const char *set, const char *scenario)
{
    return mm_xasprintf("http://127.0.0.1:%d/canned/%s/%s", server_port, set, scenario);
}

/* A client on the fake clock; the server forgets earlier requests. */
static inline struct mm_http_client *canned_client(void)
{
    struct mm_http_options o = options(true);
    struct mm_http_client *c = client(&o);
    struct mm_http_response r;
    assert_int_equal(get(c, "/canned-reset", &r), MM_OK);
    mm_http_response_cleanup(&r);
    return c;
}

/* The canned requests since the reset, oldest first. Caller json_decrefs. */
static inline json_t *canned_log(struct mm_http_client *c)
{
    struct mm_http_response r;
    assert_int_equal(get(c, "/canned-log", &r), MM_OK);
    json_t *log = json_loadb(r.body, r.body_len, 0, NULL);
    assert_true(json_is_array(log));
    mm_http_response_cleanup(&r);
    return log;
}

/* Field `field` of the i-th logged request (borrowed from log), or NULL. */
static inline const char *logged(const json_t *log, size_t i, const char *field)
{
    return json_string_value(json_object_get(json_array_get(log, i), field));
}

/* Query parameter `name` of the i-th logged request, or NULL. */
static inline const char *logged_query(const json_t *log, size_t i, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_array_get(log, i), "query"), name));
}

struct lookup_out {
    int calls;
    struct mm_lookup_result r;
};

static inline void lookup_done(struct mm_lookup_result *r, void *ctx)
{
    struct lookup_out *out = ctx;
    out->calls++;
    out->r = *r;
}

/* Opens `p` over `c`, resolves title/artist, runs the client and closes.
 * Track strings live in `arena`. */
static inline void run_lookup(struct mm_http_client *c, const struct mm_provider *p,
                              const struct mm_provider_options *opt, const char *title,
                              const char *artist, struct mm_arena *arena, struct lookup_out *out)
{
    void *state = NULL;
    char err[MM_ERRLEN] = "";
    struct mm_mention m = {.key = "", .title = title, .artist = artist};
    memset(out, 0, sizeof(*out));
    assert_int_equal(p->open(opt, c, &state, err), MM_OK);
    assert_int_equal(p->lookup(state, &m, arena, lookup_done, out), MM_OK);
    assert_int_equal(mm_http_run(c), MM_OK);
    assert_int_equal(out->calls, 1);
    p->close(state);
}

/* One scenario of one provider: its base URL, options, client, arena and the
 * last lookup's result. */
struct fixture {
    const struct mm_provider *provider;
    char *base;
    struct mm_provider_options opt;
    struct mm_http_client *http;
    struct mm_arena arena;
    struct lookup_out out;
};

/* A fixture for scenario `scenario` of canned set `set`, whose options name
 * the scenario's URL as base_url and `set` as rate_key; the caller adds what
 * else its provider needs. Free with teardown. */
static inline struct fixture *fixture_new(const struct mm_provider *p, const char *set,
                                          const char *scenario)
{
    struct fixture *f = mm_xcalloc(1, sizeof(*f));
    f->provider = p;
    f->base = canned_url(set, scenario);
    f->opt = (struct mm_provider_options){.base_url = f->base, .rate_key = set};
    f->http = canned_client();
    mm_arena_init(&f->arena, 4096);
    return f;
}

static inline void teardown(struct fixture *f)
{
    mm_http_client_free(f->http);
    mm_arena_cleanup(&f->arena);
    free(f->base);
    free(f);
}

/* One lookup through the fixture's provider; the result lands in f->out. */
static inline void lookup(struct fixture *f, const char *title, const char *artist)
{
    run_lookup(f->http, f->provider, &f->opt, title, artist, &f->arena, &f->out);
}

/* Whole text of a file. Caller frees. */
static inline char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct mm_buf b;
    char chunk[4096];
    size_t n;
    mm_buf_init(&b, 16u << 20);
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(mm_buf_append(&b, chunk, n), MM_OK);
    fclose(f);
    char *text = mm_buf_take(&b);
    return text ? text : mm_xstrdup("");
}

#endif
