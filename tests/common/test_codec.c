/* Tests for common/codec.c: record round trips, strict decoding, JSON rendering, time format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"

/* --- fixtures --- */

static char *criteria[] = {"genre: lo-fi", "activity: studying"};
static char *emojis[] = {"😴", "👩‍💻", "👍🏽", "📚"};

static struct mm_analysis analysis = {
    .mood = "calm focus",
    .matched_criteria = criteria,
    .n_matched_criteria = 2,
    .raw =
        "{\"mood\":\"calm focus\",\"matched_criteria\":[\"genre: lo-fi\",\"activity: studying\"]}",
};

static struct mm_request full_request(void)
{
    struct mm_request r = {
        .id = 123456789012ull,
        .user_id = 42,
        .text = "late night \"study\" session\n with \\ backslash",
        .emojis = emojis,
        .n_emojis = 4,
        .num_songs = 10,
        .analysis = &analysis,
        .created_at_us = 1763647392123456,
        .src = "user_requests.csv:2",
    };
    return r;
}

static struct mm_song full_song(int64_t position, uint64_t id)
{
    struct mm_song s = {
        .id = id,
        .request_id = 123456789012ull,
        .user_id = 42,
        .position = position,
        .track_id = "1440833010",
        .title = "Clair de Lune",
        .artist = "Debussy",
        .album = "Suite bergamasque",
        .album_art = "https://img.example/600x600bb.jpg",
        .preview_url = "https://audio.example/p.m4a",
        .track_url = "https://music.example/t",
        .release_year = "1905",
        .duration_formatted = "5:03",
        .why = "soft piano 🎹",
        .duration_ms = 303000,
        .matched_criteria = criteria,
        .n_matched_criteria = 2,
        .has_matched_criteria = true,
        .created_at_us = 1763647392123456,
        .src = "recommended_songs.csv:7",
    };
    return s;
}

static struct mm_song null_song(void)
{
    struct mm_song s = {
        .id = 9,
        .request_id = 1,
        .user_id = MM_NULL_INT,
        .position = 1,
        .title = "Untitled",
        .duration_ms = MM_NULL_INT,
        .created_at_us = -5,
        .src = "x:1",
    };
    return s;
}

struct ctx {
    struct mm_arena arena;
    struct mm_buf buf;
};

static int setup(void **state)
{
    struct ctx *c = mm_xcalloc(1, sizeof(*c));
    mm_arena_init(&c->arena, 1024);
    mm_buf_init(&c->buf, 1 << 20);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    mm_arena_cleanup(&c->arena);
    mm_buf_cleanup(&c->buf);
    free(c);
    return 0;
}

/* --- round trips --- */

static void request_round_trip(struct ctx *c, const struct mm_request *in)
{
    struct mm_request out;
    mm_buf_reset(&c->buf);
    assert_int_equal(mm_codec_request_encode(in, &c->buf), MM_OK);
    assert_int_equal(mm_codec_request_decode(c->buf.data, c->buf.len, &c->arena, &out), MM_OK);
    assert_true(mm_codec_request_same(in, &out));
    assert_int_equal(out.id, in->id);
    assert_int_equal(out.user_id, in->user_id);
    assert_string_equal(out.text, in->text);
    assert_string_equal(out.src, in->src);
    assert_int_equal(out.n_emojis, in->n_emojis);
    for (size_t i = 0; i < in->n_emojis; i++)
        assert_string_equal(out.emojis[i], in->emojis[i]);
    assert_int_equal(out.created_at_us, in->created_at_us);
    assert_int_equal(!out.analysis, !in->analysis);
    if (in->analysis) {
        assert_int_equal(!out.analysis->mood, !in->analysis->mood);
        if (in->analysis->mood)
            assert_string_equal(out.analysis->mood, in->analysis->mood);
        assert_int_equal(!out.analysis->raw, !in->analysis->raw);
        if (in->analysis->raw)
            assert_string_equal(out.analysis->raw, in->analysis->raw);
    }
}

static void test_request_round_trip(void **state)
{
    struct ctx *c = *state;
    struct mm_request r = full_request();
    request_round_trip(c, &r);

    r.analysis = NULL;
    r.user_id = MM_NULL_INT;
    r.text = "";
    r.n_emojis = 0;
    r.emojis = NULL;
    r.created_at_us = -1;
    request_round_trip(c, &r);

    struct mm_analysis bare = {.mood = NULL, .matched_criteria = NULL, .raw = NULL};
    r.analysis = &bare;
    request_round_trip(c, &r);
}

static void song_round_trip(struct ctx *c, const struct mm_song *in)
{
    struct mm_song out;
    mm_buf_reset(&c->buf);
    assert_int_equal(mm_codec_song_encode(in, &c->buf), MM_OK);
    assert_int_equal(mm_codec_song_decode(c->buf.data, c->buf.len, &c->arena, &out), MM_OK);
    assert_true(mm_codec_song_same(in, &out));
    assert_string_equal(out.title, in->title);
    assert_string_equal(out.src, in->src);
    assert_int_equal(out.has_matched_criteria, in->has_matched_criteria);
    assert_int_equal(out.duration_ms, in->duration_ms);
    assert_int_equal(out.user_id, in->user_id);
}

static void test_song_round_trip(void **state)
{
    struct ctx *c = *state;
    struct mm_song s = full_song(3, 77);
    song_round_trip(c, &s);

    s = null_song();
    song_round_trip(c, &s);
    struct mm_song out;
    assert_int_equal(mm_codec_song_decode(c->buf.data, c->buf.len, &c->arena, &out), MM_OK);
    assert_null(out.track_id);
    assert_null(out.artist);
    assert_null(out.album);
    assert_null(out.album_art);
    assert_null(out.preview_url);
    assert_null(out.track_url);
    assert_null(out.release_year);
    assert_null(out.duration_formatted);
    assert_null(out.why);
    assert_null(out.matched_criteria);

    s.has_matched_criteria = true; /* an empty list is not NULL */
    song_round_trip(c, &s);
}

static void test_same_ignores_src_only(void **state)
{
    (void)state;
    struct mm_request a = full_request(), b = full_request();
    b.src = "other.csv:9";
    assert_true(mm_codec_request_same(&a, &b));
    b.user_id = MM_NULL_INT;
    assert_false(mm_codec_request_same(&a, &b));
    b = full_request();
    char *others[] = {"😴", "👩‍💻", "👍🏽", "📙"};
    b.emojis = others;
    assert_false(mm_codec_request_same(&a, &b));
    b = full_request();
    struct mm_analysis other = analysis;
    other.mood = "calm";
    b.analysis = &other;
    assert_false(mm_codec_request_same(&a, &b));
    b.analysis = NULL;
    assert_false(mm_codec_request_same(&a, &b));

    struct mm_song x = full_song(1, 5), y = full_song(1, 5);
    y.src = "elsewhere:1";
    assert_true(mm_codec_song_same(&x, &y));
    y.why = NULL;
    assert_false(mm_codec_song_same(&x, &y));
    y = full_song(1, 5);
    y.n_matched_criteria = 0;
    x.n_matched_criteria = 0;
    y.has_matched_criteria = false;
    assert_false(mm_codec_song_same(&x, &y));
    y = full_song(1, 5);
    y.duration_ms = MM_NULL_INT;
    x = full_song(1, 5);
    assert_false(mm_codec_song_same(&x, &y));
}

static void test_encode_errors(void **state)
{
    struct ctx *c = *state;
    struct mm_song s = full_song(1, 1);
    s.title = NULL;
    mm_buf_reset(&c->buf);
    assert_int_equal(mm_codec_song_encode(&s, &c->buf), MM_EINVAL);
    assert_int_equal(c->buf.len, 0);

    struct mm_request r = full_request();
    struct mm_buf small;
    mm_buf_init(&small, 16);
    assert_int_equal(mm_buf_appends(&small, "keep"), MM_OK);
    assert_int_equal(mm_codec_request_encode(&r, &small), MM_ETOOBIG);
    assert_int_equal(small.len, 4);
    assert_string_equal(small.data, "keep");
    mm_buf_cleanup(&small);
}

/* --- strict decoding --- */

struct pk {
    msgpack_sbuffer sb;
    msgpack_packer p;
};

static void pk_init(struct pk *k)
{
    msgpack_sbuffer_init(&k->sb);
    msgpack_packer_init(&k->p, &k->sb, msgpack_sbuffer_write);
}

static void pk_s(struct pk *k, const char *s)
{
    msgpack_pack_str_with_body(&k->p, s, strlen(s));
}

/* A request map with the required keys; `bad` names a key whose value is
 * replaced by the wrong type, `version` is the value of "v". */
static void pack_request(struct pk *k, int version, const char *bad, bool with_v_first)
{
    pk_init(k);
    msgpack_pack_map(&k->p, 7);
    if (with_v_first) {
        pk_s(k, "v");
        msgpack_pack_int(&k->p, version);
    }
    pk_s(k, "id");
    strcmp(bad, "id") ? msgpack_pack_uint64(&k->p, 5) : msgpack_pack_int(&k->p, -5);
    pk_s(k, "text");
    strcmp(bad, "text") ? pk_s(k, "hello") : msgpack_pack_int(&k->p, 1);
    pk_s(k, "emojis");
    msgpack_pack_array(&k->p, 1);
    strcmp(bad, "emojis") ? pk_s(k, "🔥") : msgpack_pack_nil(&k->p);
    pk_s(k, "num_songs");
    strcmp(bad, "num_songs") ? msgpack_pack_int(&k->p, 10) : msgpack_pack_double(&k->p, 10.0);
    pk_s(k, "created_at");
    msgpack_pack_int64(&k->p, 1000);
    pk_s(k, strcmp(bad, "src") ? "src" : "unknown_key");
    pk_s(k, "f:1");
    if (!with_v_first) {
        pk_s(k, "v");
        msgpack_pack_int(&k->p, version);
    }
}

static mm_err decode_packed(struct ctx *c, int version, const char *bad, bool v_first)
{
    struct pk k;
    struct mm_request out;
    pack_request(&k, version, bad, v_first);
    mm_err err = mm_codec_request_decode(k.sb.data, k.sb.size, &c->arena, &out);
    if (!err) {
        assert_int_equal(out.user_id, MM_NULL_INT);
        assert_null(out.analysis);
        assert_string_equal(out.emojis[0], "🔥");
    }
    msgpack_sbuffer_destroy(&k.sb);
    return err;
}

static void test_decode_strict(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(decode_packed(c, 1, "", true), MM_OK); /* optional keys missing */
    assert_int_equal(decode_packed(c, 1, "id", true), MM_ECORRUPT);
    assert_int_equal(decode_packed(c, 1, "text", true), MM_ECORRUPT);
    assert_int_equal(decode_packed(c, 1, "emojis", true), MM_ECORRUPT);
    assert_int_equal(decode_packed(c, 1, "num_songs", true), MM_ECORRUPT);
    assert_int_equal(decode_packed(c, 1, "src", true), MM_ECORRUPT); /* required key missing */
    assert_int_equal(decode_packed(c, 2, "", true), MM_ESCHEMA);
    assert_int_equal(decode_packed(c, 0, "", true), MM_ECORRUPT);
    assert_int_equal(decode_packed(c, 1, "", false), MM_ECORRUPT);

    struct mm_song song;
    const unsigned char not_a_map[] = {0x93, 0x01, 0x02, 0x03};
    assert_int_equal(mm_codec_song_decode(not_a_map, sizeof(not_a_map), &c->arena, &song),
                     MM_ECORRUPT);
    assert_int_equal(mm_codec_song_decode(NULL, 0, &c->arena, &song), MM_ECORRUPT);
}

static void test_decode_every_prefix(void **state)
{
    struct ctx *c = *state;
    struct mm_request r = full_request();
    struct mm_song s = full_song(2, 8);
    struct mm_buf rb, sb;
    mm_buf_init(&rb, 1 << 16);
    mm_buf_init(&sb, 1 << 16);
    assert_int_equal(mm_codec_request_encode(&r, &rb), MM_OK);
    assert_int_equal(mm_codec_song_encode(&s, &sb), MM_OK);
    for (size_t n = 0; n < rb.len; n++) {
        struct mm_request out;
        char *copy = mm_xmalloc(n); /* exact-size copy so ASan catches over-reads */
        memcpy(copy, rb.data, n);
        assert_int_equal(mm_codec_request_decode(copy, n, &c->arena, &out), MM_ECORRUPT);
        free(copy);
        mm_arena_reset(&c->arena);
    }
    for (size_t n = 0; n < sb.len; n++) {
        struct mm_song out;
        char *copy = mm_xmalloc(n);
        memcpy(copy, sb.data, n);
        assert_int_equal(mm_codec_song_decode(copy, n, &c->arena, &out), MM_ECORRUPT);
        free(copy);
        mm_arena_reset(&c->arena);
    }
    /* trailing bytes after the record */
    struct mm_request out;
    assert_int_equal(mm_buf_appendc(&rb, 0), MM_OK);
    assert_int_equal(mm_codec_request_decode(rb.data, rb.len, &c->arena, &out), MM_ECORRUPT);
    mm_buf_cleanup(&rb);
    mm_buf_cleanup(&sb);
}

/* --- snapshot record and JSON rendering --- */

static json_t *render_parsed(struct ctx *c, const void *data, size_t len)
{
    mm_buf_reset(&c->buf);
    assert_int_equal(mm_codec_render_json(data, len, &c->buf), MM_OK);
    json_error_t jerr;
    json_t *j = json_loads(c->buf.data, 0, &jerr);
    if (!j)
        fail_msg("render output is not JSON (%s): %s", jerr.text, c->buf.data);
    return j;
}

/* {"a": [[...]]} with `arrays` nested arrays. */
static void nested_dict(char out[200], int arrays)
{
    size_t n = 5;
    memcpy(out, "{\"a\":", n);
    for (int i = 0; i < arrays; i++)
        out[n++] = '[';
    for (int i = 0; i < arrays; i++)
        out[n++] = ']';
    out[n++] = '}';
    out[n] = '\0';
}

static void test_snapshot_request_render(void **state)
{
    struct ctx *c = *state;
    struct mm_request r = full_request();
    struct mm_analysis raw = analysis;
    raw.raw =
        "{\"mood\":\"calm\",\"energy\":0.25,\"tags\":[1,-2,null,true,\"x\"],\"n\":{\"k\":{}}}";
    r.analysis = &raw;
    struct mm_song songs[3] = {full_song(2, 10), full_song(1, 12), null_song()};
    songs[2].position = 1; /* same position as songs[1]: the smaller id goes first */

    struct mm_buf rec;
    mm_buf_init(&rec, 1 << 16);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, songs, 3, &rec), MM_OK);
    assert_int_equal(songs[0].id, 9);
    json_t *got = render_parsed(c, rec.data, rec.len);

    json_t *want = json_pack("{s:I,s:i,s:s,s:[s,s,s,s],s:i,s:o,s:s,s:[]}", "request_id",
                             (json_int_t)123456789012ll, "user_id", 42, "text_description", r.text,
                             "emojis", "😴", "👩‍💻", "👍🏽", "📚", "num_songs_requested",
                             10, "analysis", json_loads(raw.raw, 0, NULL), "created_at",
                             "2025-11-20T14:03:12.123456Z", "songs");
    json_t *list = json_object_get(want, "songs");
    for (int i = 0; i < 3; i++) {
        const struct mm_song *s = &songs[i];
        json_t *m =
            json_pack("{s:I,s:s?,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "position",
                      (json_int_t)s->position, "track_id", s->track_id, "title", s->title, "artist",
                      s->artist, "album", s->album, "album_art", s->album_art, "preview_url",
                      s->preview_url, "track_url", s->track_url, "release_year", s->release_year,
                      "duration_formatted", s->duration_formatted, "why", s->why);
        json_object_set_new(m, "duration_ms",
                            s->duration_ms == MM_NULL_INT ? json_null()
                                                          : json_integer(s->duration_ms));
        json_object_set_new(m, "matched_criteria",
                            s->has_matched_criteria ? json_pack("[s,s]", criteria[0], criteria[1])
                                                    : json_null());
        json_array_append_new(list, m);
    }
    char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
    assert_string_equal(g, w);
    assert_null(strstr(c->buf.data, "\"v\""));
    assert_int_equal(strncmp(c->buf.data, "{\"request_id\":123456789012,", 27), 0);
    free(g);
    free(w);
    json_decref(got);
    json_decref(want);

    /* without raw: {mood, matched_criteria}; no analysis: null */
    raw.raw = NULL;
    mm_buf_reset(&rec);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, songs, 0, &rec), MM_OK);
    got = render_parsed(c, rec.data, rec.len);
    want = json_pack("{s:s,s:[s,s]}", "mood", "calm focus", "matched_criteria", criteria[0],
                     criteria[1]);
    assert_true(json_equal(json_object_get(got, "analysis"), want));
    assert_int_equal(json_array_size(json_object_get(got, "songs")), 0);
    json_decref(got);
    json_decref(want);
    r.analysis = NULL;
    r.user_id = MM_NULL_INT;
    mm_buf_reset(&rec);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, NULL, 0, &rec), MM_OK);
    got = render_parsed(c, rec.data, rec.len);
    assert_true(json_is_null(json_object_get(got, "analysis")));
    assert_true(json_is_null(json_object_get(got, "user_id")));
    json_decref(got);

    /* the stored dict (level 2 of the record) must fit under the depth limit */
    char deep[200];
    raw.raw = deep;
    r.analysis = &raw;
    nested_dict(deep, 63);
    mm_buf_reset(&rec);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, NULL, 0, &rec), MM_ETOOBIG);
    assert_int_equal(rec.len, 0);
    nested_dict(deep, 62);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, NULL, 0, &rec), MM_OK);
    json_decref(render_parsed(c, rec.data, rec.len));

    raw.raw = "{not json";
    r.analysis = &raw;
    mm_buf_reset(&rec);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, NULL, 0, &rec), MM_ECORRUPT);
    assert_int_equal(rec.len, 0);
    mm_buf_cleanup(&rec);
}

static void expect_render(struct ctx *c, struct pk *k, const char *want)
{
    mm_buf_reset(&c->buf);
    assert_int_equal(mm_codec_render_json(k->sb.data, k->sb.size, &c->buf), MM_OK);
    assert_string_equal(c->buf.data, want);
    msgpack_sbuffer_destroy(&k->sb);
}

static void test_render_strings(void **state)
{
    struct ctx *c = *state;
    struct pk k;
    static const char in[] = "q\"b\\n\n\t\r\b\f\x01\x1f\x7f é 👩‍💻 "
                             "bad:\xff|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80.";
    pk_init(&k);
    msgpack_pack_str_with_body(&k.p, in, sizeof(in) - 1);
    expect_render(c, &k,
                  "\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f\x7f é 👩‍💻 bad:\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.\"");
    /* embedded NUL */
    pk_init(&k);
    msgpack_pack_str_with_body(&k.p, "a\0b", 3);
    expect_render(c, &k, "\"a\\u0000b\"");
}

static void test_render_scalars_and_v(void **state)
{
    struct ctx *c = *state;
    struct pk k;
    pk_init(&k);
    msgpack_pack_array(&k.p, 14);
    msgpack_pack_int64(&k.p, INT64_MIN);
    msgpack_pack_int8(&k.p, -100);
    msgpack_pack_int16(&k.p, -1000);
    msgpack_pack_int32(&k.p, -100000);
    msgpack_pack_uint64(&k.p, UINT64_MAX);
    msgpack_pack_int(&k.p, -1);
    msgpack_pack_double(&k.p, 0.1);
    msgpack_pack_double(&k.p, 1e300);
    msgpack_pack_double(&k.p, 1.0 / 3.0);
    msgpack_pack_float(&k.p, 0.1f);
    msgpack_pack_double(&k.p, NAN);
    msgpack_pack_double(&k.p, -INFINITY);
    msgpack_pack_true(&k.p);
    msgpack_pack_map(&k.p, 3);
    pk_s(&k, "v");
    msgpack_pack_map(&k.p, 1); /* a container under "v" is skipped whole */
    pk_s(&k, "x");
    msgpack_pack_array(&k.p, 2);
    msgpack_pack_nil(&k.p);
    msgpack_pack_nil(&k.p);
    pk_s(&k, "inner");
    msgpack_pack_map(&k.p, 2);
    pk_s(&k, "a");
    msgpack_pack_nil(&k.p);
    pk_s(&k, "v");
    msgpack_pack_int(&k.p, 3);
    pk_s(&k, "vv");
    msgpack_pack_false(&k.p);
    expect_render(c, &k,
                  "[-9223372036854775808,-100,-1000,-100000,18446744073709551615,-1,0.1,1e+300,0."
                  "3333333333333333,"
                  "0.1,null,null,true,{\"inner\":{\"a\":null},\"vv\":false}]");

    /* a round trip of the float text to the same double */
    pk_init(&k);
    msgpack_pack_double(&k.p, 5e-324);
    expect_render(c, &k, "4.94065645841247e-324");

    /* the six-decimal fast path and the fallback agree with strtod */
    pk_init(&k);
    msgpack_pack_array(&k.p, 6);
    msgpack_pack_double(&k.p, 0.731);
    msgpack_pack_double(&k.p, -120.5);
    msgpack_pack_double(&k.p, 80.0);
    msgpack_pack_double(&k.p, 0.0001234);
    msgpack_pack_double(&k.p, 0.1234567);
    msgpack_pack_double(&k.p, 123456789.25);
    expect_render(c, &k, "[0.731,-120.5,80,0.0001234,0.1234567,123456789.25]");
}

static void test_render_float_round_trip(void **state)
{
    (void)state;
    struct mm_buf out;
    mm_buf_init(&out, 1 << 16);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = (i % 2 ? (double)(x % 100000000) / 1e6 : (double)(x >> 11) / 9007199254740992.0)
                   * (i % 3 ? 1 : -250.0);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer p;
        msgpack_packer_init(&p, &sb, msgpack_sbuffer_write);
        msgpack_pack_double(&p, v);
        mm_buf_reset(&out);
        assert_int_equal(mm_codec_render_json(sb.data, sb.size, &out), MM_OK);
        assert_true(strtod(out.data, NULL) == v);
        msgpack_sbuffer_destroy(&sb);
    }
    mm_buf_cleanup(&out);
}

static void test_render_errors(void **state)
{
    struct ctx *c = *state;
    struct pk k;
    const unsigned char bin[] = {0xc4, 0x01, 0x00};
    const unsigned char never_used[] = {0xc1};
    const unsigned char int_key[] = {0x81, 0x01, 0xc0};
    const unsigned char two_values[] = {0xc0, 0xc0};
    const unsigned char huge_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
    const struct {
        const unsigned char *p;
        size_t n;
    } bad[] = {
        {bin, sizeof(bin)},
        {never_used, 1},
        {int_key, sizeof(int_key)},
        {two_values, 2},
        {huge_array, sizeof(huge_array)},
    };
    assert_int_equal(mm_buf_appends(&c->buf, "prefix"), MM_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mm_codec_render_json(bad[i].p, bad[i].n, &c->buf), MM_ECORRUPT);
        assert_string_equal(c->buf.data, "prefix");
    }

    /* every prefix of a real record fails cleanly */
    struct mm_request r = full_request();
    struct mm_song songs[2] = {full_song(1, 1), null_song()};
    struct mm_buf rec;
    mm_buf_init(&rec, 1 << 16);
    assert_int_equal(mm_codec_snapshot_request_encode(&r, songs, 2, &rec), MM_OK);
    for (size_t n = 0; n < rec.len; n++) {
        char *copy = mm_xmalloc(n);
        memcpy(copy, rec.data, n);
        assert_int_equal(mm_codec_render_json(copy, n, &c->buf), MM_ECORRUPT);
        assert_string_equal(c->buf.data, "prefix");
        free(copy);
    }

    struct mm_buf small;
    mm_buf_init(&small, 64);
    assert_int_equal(mm_codec_render_json(rec.data, rec.len, &small), MM_ETOOBIG);
    assert_int_equal(small.len, 0);
    mm_buf_cleanup(&small);
    mm_buf_cleanup(&rec);

    for (size_t n = 2; n <= 3; n++) { /* fixext 2, ext 8 */
        pk_init(&k);
        msgpack_pack_ext_with_body(&k.p, "abc", n, 1);
        assert_int_equal(mm_codec_render_json(k.sb.data, k.sb.size, &c->buf), MM_ECORRUPT);
        msgpack_sbuffer_destroy(&k.sb);
    }
}

/* `levels` nested arrays, optionally under the skipped key "v" of a map. */
static mm_err render_nested(struct ctx *c, int levels, bool under_v)
{
    struct pk k;
    pk_init(&k);
    if (under_v) {
        msgpack_pack_map(&k.p, 1);
        pk_s(&k, "v");
        levels--;
    }
    for (int i = 0; i < levels; i++)
        msgpack_pack_array(&k.p, i + 1 < levels ? 1 : 0);
    mm_buf_reset(&c->buf);
    mm_err err = mm_codec_render_json(k.sb.data, k.sb.size, &c->buf);
    msgpack_sbuffer_destroy(&k.sb);
    return err;
}

static void test_render_depth_limit(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(render_nested(c, 64, false), MM_OK);
    assert_int_equal(strlen(c->buf.data), 128);
    assert_int_equal(render_nested(c, 65, false), MM_ECORRUPT);
    assert_int_equal(render_nested(c, 64, true), MM_OK);
    assert_string_equal(c->buf.data, "{}");
    assert_int_equal(render_nested(c, 65, true), MM_ECORRUPT);
    assert_int_equal(render_nested(c, 100000, false), MM_ECORRUPT);
}

static void test_format_time(void **state)
{
    (void)state;
    const struct {
        int64_t us;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000000Z"},
        {-1, "1969-12-31T23:59:59.999999Z"},
        {1763647392123456, "2025-11-20T14:03:12.123456Z"},
        {1709251199999999, "2024-02-29T23:59:59.999999Z"},
        {951782400000001, "2000-02-29T00:00:00.000001Z"},
        {-2203891200000000, "1900-03-01T00:00:00.000000Z"},
        {-14182939500000, "1969-07-20T20:17:40.500000Z"},
        {-62135596800000000, "0001-01-01T00:00:00.000000Z"},
        {253402300799999999, "9999-12-31T23:59:59.999999Z"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mm_codec_format_time(cases[i].us, out);
        assert_string_equal(out, cases[i].want);
    }
    mm_codec_format_time(INT64_MIN, out); /* must not overflow */
    assert_true(strlen(out) < 32);
    mm_codec_format_time(INT64_MAX, out);
    assert_true(strlen(out) < 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_float_round_trip),
        cmocka_unit_test_setup_teardown(test_request_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_song_round_trip, setup, teardown),
        cmocka_unit_test(test_same_ignores_src_only),
        cmocka_unit_test_setup_teardown(test_encode_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_every_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_request_render, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_scalars_and_v, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_depth_limit, setup, teardown),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
