/* Tests of common/track.c: source names, the canonical key rules in priority
 * order, record round trips, the record rendered as JSON by the server's
 * generic renderer, and strict decoding (every truncated prefix, every field
 * with a wrong type, missing / repeated / unknown keys, versions, ranges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/mem.h"
#include "common/track.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MBID "32c8a7d5-0ef6-4c1c-9b1e-2b4e5f6a7b8c"

/* --- fixtures --- */

static char *artists[] = {"Queen", "David Bowie"};
static char *tags[] = {"rock", "classic rock"};

static struct mm_track full_track(void)
{
    struct mm_track t = {
        .key = "isrc:GBUM71029604",
        .title = "Under Pressure",
        .artists = artists,
        .n_artists = 2,
        .album = "Hot Space",
        .release_year = 1982,
        .duration_ms = 248000,
        .isrc = "GBUM71029604",
        .ids = {[MM_SOURCE_SPOTIFY] = "2fuCquhmrzHpu5xcA1ci9x",
                [MM_SOURCE_MUSICBRAINZ] = MBID,
                [MM_SOURCE_LASTFM] = "queen-under-pressure",
                [MM_SOURCE_ITUNES] = "1440650711"},
        .urls = {[MM_SOURCE_SPOTIFY] = "https://open.spotify.com/track/2fuCquhmrzHpu5xcA1ci9x",
                 [MM_SOURCE_LASTFM] = "https://www.last.fm/music/Queen/_/Under+Pressure"},
        .artwork_url = "https://img.example/600.jpg",
        .preview_url = "https://audio.example/p.mp3",
        .popularity = 78,
        .listeners = 1234567,
        .tags = tags,
        .n_tags = 2,
        .features = {.present = true,
                     .source = "spotify",
                     .energy = 0.5,
                     .has_energy = true,
                     .valence = 0.25,
                     .has_valence = true,
                     .tempo = 113.5,
                     .has_tempo = true,
                     .loudness = -8.75,
                     .has_loudness = true},
        .source = MM_SOURCE_SPOTIFY,
        .score = 92.5,
        .fetched_at_us = 1763647392123456,
    };
    return t;
}

static const char full_json[] =
    "{\"key\":\"isrc:GBUM71029604\",\"title\":\"Under Pressure\","
    "\"artists\":[\"Queen\",\"David Bowie\"],\"album\":\"Hot Space\",\"release_year\":1982,"
    "\"duration_ms\":248000,\"isrc\":\"GBUM71029604\","
    "\"ids\":{\"spotify\":\"2fuCquhmrzHpu5xcA1ci9x\",\"musicbrainz\":\"" MBID "\","
    "\"lastfm\":\"queen-under-pressure\",\"itunes\":\"1440650711\"},"
    "\"urls\":{\"spotify\":\"https://open.spotify.com/track/2fuCquhmrzHpu5xcA1ci9x\","
    "\"lastfm\":\"https://www.last.fm/music/Queen/_/Under+Pressure\"},"
    "\"artwork_url\":\"https://img.example/600.jpg\",\"preview_url\":\"https://audio.example/"
    "p.mp3\","
    "\"popularity\":78,\"listeners\":1234567,\"tags\":[\"rock\",\"classic rock\"],"
    "\"features\":{\"source\":\"spotify\",\"energy\":0.5,\"valence\":0.25,\"tempo\":113.5,"
    "\"loudness\":-8.75},"
    "\"provenance\":{\"source\":\"spotify\",\"score\":92.5,"
    "\"fetched_at\":\"2025-11-20T14:03:12.123456Z\"}}";

/* Every field unknown; the fallback key. */
static struct mm_track minimal_track(void)
{
    struct mm_track t = {
        .key = "lastfm:queen|under pressure",
        .title = "Under Pressure",
        .release_year = MM_NULL_INT,
        .duration_ms = MM_NULL_INT,
        .popularity = MM_NULL_INT,
        .listeners = MM_NULL_INT,
        .source = MM_SOURCE_LASTFM,
        .score = 80.0,
        .fetched_at_us = 0,
    };
    return t;
}

/* An integral float renders without a fraction (the renderer's shortest form). */
static const char minimal_json[] =
    "{\"key\":\"lastfm:queen|under pressure\",\"title\":\"Under Pressure\",\"artists\":[],"
    "\"album\":null,\"release_year\":null,\"duration_ms\":null,\"isrc\":null,\"ids\":{},"
    "\"urls\":{},\"artwork_url\":null,\"preview_url\":null,\"popularity\":null,"
    "\"listeners\":null,\"tags\":[],\"features\":null,"
    "\"provenance\":{\"source\":\"lastfm\",\"score\":80,"
    "\"fetched_at\":\"1970-01-01T00:00:00.000000Z\"}}";

static void encode(const struct mm_track *t, struct mm_buf *out)
{
    mm_buf_init(out, 1 << 16);
    assert_int_equal(mm_track_encode(t, out), MM_OK);
}

/* Decodes from an exact-size heap copy, so ASan sees any read past len. */
static mm_err decode_copy(const void *data, size_t len, struct mm_arena *a, struct mm_track *t)
{
    void *copy = mm_xmalloc(len);
    memcpy(copy, data, len);
    mm_err err = mm_track_decode(copy, len, a, t);
    free(copy);
    return err;
}

static void str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void strs_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        str_eq(a[i], b[i]);
}

static void track_eq(const struct mm_track *a, const struct mm_track *b)
{
    str_eq(a->key, b->key);
    str_eq(a->title, b->title);
    strs_eq(a->artists, a->n_artists, b->artists, b->n_artists);
    str_eq(a->album, b->album);
    assert_true(a->release_year == b->release_year && a->duration_ms == b->duration_ms);
    str_eq(a->isrc, b->isrc);
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        str_eq(a->ids[s], b->ids[s]);
        str_eq(a->urls[s], b->urls[s]);
    }
    str_eq(a->artwork_url, b->artwork_url);
    str_eq(a->preview_url, b->preview_url);
    assert_true(a->popularity == b->popularity && a->listeners == b->listeners);
    strs_eq(a->tags, a->n_tags, b->tags, b->n_tags);
    assert_int_equal(a->features.present, b->features.present);
    if (a->features.present) {
        str_eq(a->features.source, b->features.source);
#define X(name)                                                                                    \
    assert_int_equal(a->features.has_##name, b->features.has_##name);                              \
    assert_true(!a->features.has_##name || a->features.name == b->features.name);
        MM_FEATURE_NAMES
#undef X
    }
    assert_int_equal(a->source, b->source);
    assert_true(a->score == b->score);
    assert_true(a->fetched_at_us == b->fetched_at_us);
}

/* --- sources --- */

static void test_sources(void **state)
{
    (void)state;
    static const char *const names[] = {"spotify", "musicbrainz", "lastfm", "itunes"};
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        enum mm_source back = MM_SOURCE__COUNT;
        assert_string_equal(mm_source_name((enum mm_source)s), names[s]);
        assert_int_equal(mm_source_parse(names[s], &back), MM_OK);
        assert_int_equal(back, s);
    }
    enum mm_source out = MM_SOURCE_ITUNES;
    assert_int_equal(mm_source_parse("Spotify", &out), MM_EINVAL);
    assert_int_equal(mm_source_parse("", &out), MM_EINVAL);
    assert_int_equal(mm_source_parse("spotifyx", &out), MM_EINVAL);
    assert_int_equal(mm_source_parse(NULL, &out), MM_EINVAL);
    assert_int_equal(out, MM_SOURCE_ITUNES);
}

/* --- canonical keys --- */

static mm_err key_of(struct mm_track *t, struct mm_arena *a)
{
    t->key = NULL;
    return mm_track_make_key(t, a);
}

static void test_key_priority(void **state)
{
    (void)state;
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_track t = full_track();
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_string_equal(t.key, "isrc:GBUM71029604");
    t.isrc = "gb-um7-10-29604";
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_string_equal(t.key, "isrc:GBUM71029604");
    /* a malformed ISRC is ignored: the Spotify id decides */
    static const char *const bad_isrcs[] = {"GBUM7102960",  "GBUM710296045", "1BUM71029604",
                                            "GBUM7102960X", "GB_M71029604",  ""};
    for (size_t i = 0; i < ARRAY_LEN(bad_isrcs); i++) {
        t.isrc = (char *)bad_isrcs[i];
        assert_int_equal(key_of(&t, &a), MM_OK);
        assert_string_equal(t.key, "spotify:2fuCquhmrzHpu5xcA1ci9x");
    }
    t.isrc = NULL;
    t.ids[MM_SOURCE_SPOTIFY] = "";
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_string_equal(t.key, "mbid:" MBID);
    t.ids[MM_SOURCE_MUSICBRAINZ] = "32C8A7D5-0EF6-4C1C-9B1E-2B4E5F6A7B8C";
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_string_equal(t.key, "mbid:" MBID);
    /* a malformed MBID is ignored: the iTunes id decides */
    static const char *const bad_mbids[] = {"32c8a7d5-0ef6-4c1c-9b1e-2b4e5f6a7b8", MBID "0",
                                            "32c8a7d5x0ef6-4c1c-9b1e-2b4e5f6a7b8c",
                                            "g2c8a7d5-0ef6-4c1c-9b1e-2b4e5f6a7b8c", ""};
    for (size_t i = 0; i < ARRAY_LEN(bad_mbids); i++) {
        t.ids[MM_SOURCE_MUSICBRAINZ] = (char *)bad_mbids[i];
        assert_int_equal(key_of(&t, &a), MM_OK);
        assert_string_equal(t.key, "itunes:1440650711");
    }
    /* the Last.fm fallback: normalised artist and title */
    t.ids[MM_SOURCE_ITUNES] = NULL;
    t.artists[0] = "Beyonc\xC3\xA9";
    t.title = "Halo (Live)";
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_string_equal(t.key, "lastfm:beyonce|halo live");
    t.artists[0] = "Queen";
    mm_arena_cleanup(&a);
}

static void test_key_errors(void **state)
{
    (void)state;
    struct mm_arena a;
    mm_arena_init(&a, 4096);
    struct mm_track t = minimal_track();
    char *only[] = {"Queen"};
    /* no id and no artist, or no title, or keys that normalise to nothing */
    assert_int_equal(key_of(&t, &a), MM_EINVAL);
    assert_null(t.key);
    t.artists = only;
    t.n_artists = 1;
    t.title = NULL;
    assert_int_equal(key_of(&t, &a), MM_EINVAL);
    t.title = "!!!";
    assert_int_equal(key_of(&t, &a), MM_EINVAL);
    only[0] = "...";
    t.title = "Song";
    assert_int_equal(key_of(&t, &a), MM_EINVAL);
    /* keys are capped at MM_TRACK_KEY_MAX bytes */
    char *id = mm_xmalloc(MM_TRACK_KEY_MAX + 1);
    memset(id, 'a', MM_TRACK_KEY_MAX);
    id[MM_TRACK_KEY_MAX - strlen("spotify:")] = '\0';
    t.ids[MM_SOURCE_SPOTIFY] = id;
    assert_int_equal(key_of(&t, &a), MM_OK);
    assert_int_equal(strlen(t.key), MM_TRACK_KEY_MAX);
    id[MM_TRACK_KEY_MAX - strlen("spotify:")] = 'a';
    id[MM_TRACK_KEY_MAX] = '\0';
    assert_int_equal(key_of(&t, &a), MM_ETOOBIG);
    assert_null(t.key);
    t.ids[MM_SOURCE_SPOTIFY] = NULL;
    only[0] = "Queen";
    t.title = id;
    assert_int_equal(key_of(&t, &a), MM_ETOOBIG);
    free(id);
    mm_arena_cleanup(&a);
}

/* --- round trips and JSON --- */

static void round_trip(const struct mm_track *t)
{
    struct mm_buf b;
    struct mm_arena a;
    struct mm_track back;
    encode(t, &b);
    mm_arena_init(&a, 1024);
    assert_int_equal(decode_copy(b.data, b.len, &a, &back), MM_OK);
    track_eq(t, &back);
    mm_arena_cleanup(&a);
    mm_buf_cleanup(&b);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct mm_track t = full_track();
    round_trip(&t);
    t = minimal_track();
    round_trip(&t);
    /* every feature, the other features source, extreme values, empty strings */
    t = full_track();
    t.features = (struct mm_features){.present = true, .source = "lastfm_tags"};
#define X(name)                                                                                    \
    t.features.name = -1.0 / 3.0;                                                                  \
    t.features.has_##name = true;
    MM_FEATURE_NAMES
#undef X
    t.release_year = -5;
    t.duration_ms = INT64_MAX;
    t.listeners = 0;
    t.album = "";
    t.score = 100.0;
    t.fetched_at_us = INT64_C(253402300799999999); /* 9999-12-31T23:59:59.999999Z */
    round_trip(&t);
    t.score = 0.0;
    t.fetched_at_us = INT64_C(-62167219200000000); /* 0000-01-01T00:00:00.000000Z */
    round_trip(&t);
}

static void check_json(const struct mm_track *t, const char *expected)
{
    struct mm_buf b, js;
    encode(t, &b);
    mm_buf_init(&js, 1 << 16);
    assert_int_equal(mm_codec_render_json(b.data, b.len, &js), MM_OK);
    json_error_t jerr;
    json_t *got = json_loads(js.data, 0, &jerr), *want = json_loads(expected, 0, &jerr);
    assert_non_null(got);
    assert_non_null(want);
    if (!json_equal(got, want))
        fail_msg("rendered %s\nexpected %s", js.data, expected);
    /* keys come in the documented order */
    json_t *ordered = json_loads(js.data, JSON_PRESERVE_ORDER, &jerr);
    json_t *want_ordered = json_loads(expected, JSON_PRESERVE_ORDER, &jerr);
    char *x = json_dumps(ordered, JSON_PRESERVE_ORDER | JSON_COMPACT);
    char *y = json_dumps(want_ordered, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_string_equal(x, y);
    free(x);
    free(y);
    json_decref(ordered);
    json_decref(want_ordered);
    json_decref(got);
    json_decref(want);
    mm_buf_cleanup(&js);
    mm_buf_cleanup(&b);
}

static void test_render_json(void **state)
{
    (void)state;
    struct mm_track t = full_track();
    check_json(&t, full_json);
    t = minimal_track();
    check_json(&t, minimal_json);
}

static void test_encode_errors(void **state)
{
    (void)state;
    struct mm_buf b;
    struct mm_track t;
    char *with_null[] = {"Queen", NULL};
    mm_buf_init(&b, 1 << 16);
    assert_int_equal(mm_buf_appends(&b, "prefix"), MM_OK);
    for (int i = 0; i < 11; i++) {
        t = full_track();
        switch (i) {
        case 0: t.key = NULL; break;
        case 1: t.title = NULL; break;
        case 2: t.artists = with_null; break;
        case 3: t.tags = with_null; break;
        case 4: t.features.source = "deezer"; break;
        case 5: t.features.source = NULL; break;
        case 6: t.features.tempo = NAN; break;
        case 7: t.score = 100.5; break;
        case 8: t.score = NAN; break;
        case 9: t.source = MM_SOURCE__COUNT; break;
        case 10: t.fetched_at_us = INT64_C(253402300800000000); break;
        }
        assert_int_equal(mm_track_encode(&t, &b), MM_EINVAL);
        assert_int_equal(b.len, 6);
        assert_string_equal(b.data, "prefix");
    }
    /* features that are not present are not checked */
    t = full_track();
    t.features.present = false;
    t.features.source = "deezer";
    assert_int_equal(mm_track_encode(&t, &b), MM_OK);
    mm_buf_cleanup(&b);
    /* past the cap: MM_ETOOBIG, the buffer left as it was */
    mm_buf_init(&b, 64);
    t = full_track();
    assert_int_equal(mm_buf_appends(&b, "prefix"), MM_OK);
    assert_int_equal(mm_track_encode(&t, &b), MM_ETOOBIG);
    assert_string_equal(b.data, "prefix");
    mm_buf_cleanup(&b);
}

/* --- strict decoding --- */

static void test_truncated(void **state)
{
    (void)state;
    struct mm_track tracks[2] = {full_track(), minimal_track()}, out;
    struct mm_arena a;
    mm_arena_init(&a, 1024);
    for (size_t k = 0; k < 2; k++) {
        struct mm_buf b;
        encode(&tracks[k], &b);
        for (size_t n = 0; n < b.len; n++)
            assert_int_equal(decode_copy(b.data, n, &a, &out), MM_ECORRUPT);
        /* and one byte too many */
        assert_int_equal(mm_buf_appendc(&b, '\0'), MM_OK);
        assert_int_equal(decode_copy(b.data, b.len, &a, &out), MM_ECORRUPT);
        mm_buf_cleanup(&b);
    }
    mm_arena_cleanup(&a);
}

/* A record as a msgpack_object that tests edit, then pack and decode. */
struct rec {
    struct mm_buf enc;
    msgpack_unpacked up;
    msgpack_object root;
};

static void rec_init(struct rec *r, const struct mm_track *t)
{
    encode(t, &r->enc);
    msgpack_unpacked_init(&r->up);
    assert_int_equal(msgpack_unpack_next(&r->up, r->enc.data, r->enc.len, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    r->root = r->up.data;
}

static void rec_cleanup(struct rec *r)
{
    msgpack_unpacked_destroy(&r->up);
    mm_buf_cleanup(&r->enc);
}

static mm_err decode_obj(msgpack_object o)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct mm_arena a;
    struct mm_track t;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, o);
    mm_arena_init(&a, 1024);
    mm_err err = decode_copy(sb.data, sb.size, &a, &t);
    mm_arena_cleanup(&a);
    msgpack_sbuffer_destroy(&sb);
    return err;
}

static msgpack_object o_nil(void)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_NIL};
}
static msgpack_object o_bool(void)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true};
}
static msgpack_object o_uint(uint64_t u)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = u};
}
static msgpack_object o_int(int64_t i)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = i};
}
static msgpack_object o_f64(double f)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = f};
}
static msgpack_object o_strn(const char *s, size_t n)
{
    return (msgpack_object){.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)n, s}};
}
static msgpack_object o_str(const char *s)
{
    return o_strn(s, strlen(s));
}

static uint32_t find(msgpack_object m, const char *key)
{
    for (uint32_t i = 0; i < m.via.map.size; i++) {
        msgpack_object k = m.via.map.ptr[i].key;
        if (k.via.str.size == strlen(key) && memcmp(k.via.str.ptr, key, k.via.str.size) == 0)
            return i;
    }
    fail_msg("no key %s", key);
    return 0;
}

/* Decodes `root` with entry i replaced by key/value (i == size appends;
 * drop removes entry i instead). */
static mm_err decode_edit(msgpack_object m, uint32_t i, msgpack_object key, msgpack_object val,
                          bool drop)
{
    uint32_t n = m.via.map.size;
    msgpack_object_kv *kv = mm_xcalloc(n + 1, sizeof(*kv));
    memcpy(kv, m.via.map.ptr, n * sizeof(*kv));
    if (drop) {
        memmove(kv + i, kv + i + 1, (n - i - 1) * sizeof(*kv));
        n--;
    } else {
        kv[i].key = key;
        kv[i].val = val;
        n += i == m.via.map.size;
    }
    m.via.map.ptr = kv;
    m.via.map.size = n;
    mm_err err = decode_obj(m);
    free(kv);
    return err;
}

static mm_err set_top(msgpack_object root, const char *key, msgpack_object val)
{
    return decode_edit(root, find(root, key), o_str(key), val, false);
}

/* Decodes `root` with nested map `outer` edited: entry `inner` set to val
 * (NULL inner appends key `extra`). */
static mm_err set_nested(msgpack_object root, const char *outer, const char *inner,
                         const char *extra, msgpack_object val)
{
    uint32_t i = find(root, outer);
    msgpack_object m = root.via.map.ptr[i].val;
    uint32_t j = inner ? find(m, inner) : m.via.map.size;
    uint32_t n = m.via.map.size + (inner == NULL);
    msgpack_object_kv *kv = mm_xcalloc(n, sizeof(*kv));
    memcpy(kv, m.via.map.ptr, m.via.map.size * sizeof(*kv));
    kv[j].key = o_str(inner ? inner : extra);
    kv[j].val = val;
    m.via.map.ptr = kv;
    m.via.map.size = n;
    mm_err err = set_top(root, outer, m);
    free(kv);
    return err;
}

static void test_wrong_types(void **state)
{
    (void)state;
    struct rec r;
    struct mm_track t = full_track();
    rec_init(&r, &t);
    msgpack_object root = r.root;
    assert_int_equal(decode_obj(root), MM_OK);
    /* no field of the record takes a boolean */
    for (uint32_t i = 0; i < root.via.map.size; i++)
        assert_int_equal(decode_edit(root, i, root.via.map.ptr[i].key, o_bool(), false),
                         MM_ECORRUPT);
    static const char *const nested[] = {"ids", "urls", "features", "provenance"};
    for (size_t k = 0; k < ARRAY_LEN(nested); k++) {
        msgpack_object m = root.via.map.ptr[find(root, nested[k])].val;
        for (uint32_t j = 0; j < m.via.map.size; j++) {
            char key[64];
            size_t kn = m.via.map.ptr[j].key.via.str.size;
            memcpy(key, m.via.map.ptr[j].key.via.str.ptr, kn);
            key[kn] = '\0';
            assert_int_equal(set_nested(root, nested[k], key, NULL, o_bool()), MM_ECORRUPT);
            assert_int_equal(set_nested(root, nested[k], key, NULL, o_nil()), MM_ECORRUPT);
        }
    }
    /* nil only where the table allows it */
    static const char *const no_nil[] = {"key",  "title", "artists",   "ids",
                                         "urls", "tags",  "provenance"};
    for (size_t k = 0; k < ARRAY_LEN(no_nil); k++)
        assert_int_equal(set_top(root, no_nil[k], o_nil()), MM_ECORRUPT);
    static const char *const nil_ok[] = {"album",      "release_year", "duration_ms",
                                         "isrc",       "artwork_url",  "preview_url",
                                         "popularity", "listeners",    "features"};
    for (size_t k = 0; k < ARRAY_LEN(nil_ok); k++)
        assert_int_equal(set_top(root, nil_ok[k], o_nil()), MM_OK);
    /* ints are not floats and floats are not ints */
    assert_int_equal(set_top(root, "release_year", o_f64(1982.0)), MM_ECORRUPT);
    assert_int_equal(set_top(root, "popularity", o_str("78")), MM_ECORRUPT);
    assert_int_equal(set_top(root, "listeners", o_int(INT64_MIN)), MM_ECORRUPT);
    assert_int_equal(set_top(root, "duration_ms", o_uint(UINT64_MAX)), MM_ECORRUPT);
    assert_int_equal(set_top(root, "release_year", o_int(-5)), MM_OK);
    assert_int_equal(set_nested(root, "features", "energy", NULL, o_uint(1)), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "provenance", "score", NULL, o_uint(92)), MM_ECORRUPT);
    /* array items are strings */
    msgpack_object items[2] = {o_str("Queen"), o_uint(7)};
    msgpack_object arr = {.type = MSGPACK_OBJECT_ARRAY, .via.array = {2, items}};
    assert_int_equal(set_top(root, "artists", arr), MM_ECORRUPT);
    assert_int_equal(set_top(root, "tags", arr), MM_ECORRUPT);
    assert_int_equal(set_top(root, "title", o_strn("a\0b", 3)), MM_ECORRUPT);
    rec_cleanup(&r);
}

static void test_bad_values(void **state)
{
    (void)state;
    struct rec r;
    struct mm_track t = full_track();
    rec_init(&r, &t);
    msgpack_object root = r.root;
    static const char *const bad_times[] = {
        "2025-02-30T00:00:00.000000Z", "2025-13-01T00:00:00.000000Z",
        "2025-11-20T24:00:00.000000Z", "2025-11-20T14:60:00.000000Z",
        "2025-11-20 14:03:12.123456Z", "2025-11-20T14:03:12Z",
        "2025-11-20T14:03:12.123456",  "2025-11-20T14:03:12.12345aZ",
        "+025-11-20T14:03:12.123456Z", "",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_times); i++)
        assert_int_equal(set_nested(root, "provenance", "fetched_at", NULL, o_str(bad_times[i])),
                         MM_ECORRUPT);
    assert_int_equal(
        set_nested(root, "provenance", "fetched_at", NULL, o_str("2024-02-29T23:59:59.999999Z")),
        MM_OK);
    assert_int_equal(set_nested(root, "provenance", "source", NULL, o_str("deezer")), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "provenance", "score", NULL, o_f64(100.5)), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "provenance", "score", NULL, o_f64(-0.5)), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "provenance", "score", NULL, o_f64(NAN)), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "features", "source", NULL, o_str("other")), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "features", "tempo", NULL, o_f64(INFINITY)), MM_ECORRUPT);
    /* unknown keys are skipped, at every level */
    assert_int_equal(set_nested(root, "ids", NULL, "deezer", o_str("1")), MM_OK);
    assert_int_equal(set_nested(root, "features", NULL, "key", o_uint(5)), MM_OK);
    assert_int_equal(set_nested(root, "provenance", NULL, "query", o_bool()), MM_OK);
    assert_int_equal(decode_edit(root, root.via.map.size, o_str("mood"), o_str("calm"), false),
                     MM_OK);
    rec_cleanup(&r);
}

static void test_keys_and_versions(void **state)
{
    (void)state;
    struct rec r;
    struct mm_track t = full_track();
    rec_init(&r, &t);
    msgpack_object root = r.root;
    /* every key is required, once */
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        assert_int_equal(decode_edit(root, i, o_nil(), o_nil(), true), MM_ECORRUPT);
        assert_int_equal(decode_edit(root, root.via.map.size, root.via.map.ptr[i].key,
                                     root.via.map.ptr[i].val, false),
                         MM_ECORRUPT);
    }
    static const char *const provenance[] = {"source", "score", "fetched_at"};
    for (size_t k = 0; k < ARRAY_LEN(provenance); k++) {
        msgpack_object m = root.via.map.ptr[find(root, "provenance")].val;
        msgpack_object_kv kv[2];
        uint32_t n = 0;
        for (uint32_t j = 0; j < m.via.map.size; j++)
            if (j != find(m, provenance[k]))
                kv[n++] = m.via.map.ptr[j];
        msgpack_object part = {.type = MSGPACK_OBJECT_MAP, .via.map = {n, kv}};
        assert_int_equal(set_top(root, "provenance", part), MM_ECORRUPT);
    }
    msgpack_object_kv energy = {o_str("energy"), o_f64(0.5)};
    msgpack_object sourceless = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &energy}};
    assert_int_equal(set_top(root, "features", sourceless), MM_ECORRUPT);
    assert_int_equal(set_nested(root, "ids", NULL, "spotify", o_str("again")), MM_ECORRUPT);
    /* versions: "v" first, 1 known, newer is MM_ESCHEMA */
    assert_int_equal(decode_edit(root, 0, o_str("v"), o_uint(2), false), MM_ESCHEMA);
    assert_int_equal(decode_edit(root, 0, o_str("v"), o_uint(0), false), MM_ECORRUPT);
    assert_int_equal(decode_edit(root, 0, o_str("v"), o_int(-1), false), MM_ECORRUPT);
    assert_int_equal(decode_edit(root, 0, o_str("v"), o_f64(1.0), false), MM_ECORRUPT);
    assert_int_equal(decode_edit(root, 0, o_str("w"), o_uint(1), false), MM_ECORRUPT);
    msgpack_object_kv swapped[2] = {root.via.map.ptr[1], root.via.map.ptr[0]};
    msgpack_object_kv *all = mm_xmalloc(root.via.map.size * sizeof(*all));
    memcpy(all, root.via.map.ptr, root.via.map.size * sizeof(*all));
    memcpy(all, swapped, sizeof(swapped));
    msgpack_object reordered = {.type = MSGPACK_OBJECT_MAP, .via.map = {root.via.map.size, all}};
    assert_int_equal(decode_obj(reordered), MM_ECORRUPT);
    free(all);
    /* a newer version is reported before its fields are looked at */
    msgpack_object_kv v2 = {o_str("v"), o_uint(2)};
    msgpack_object only_v2 = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &v2}};
    assert_int_equal(decode_obj(only_v2), MM_ESCHEMA);
    msgpack_object empty = {.type = MSGPACK_OBJECT_MAP, .via.map = {0, NULL}};
    assert_int_equal(decode_obj(empty), MM_ECORRUPT);
    assert_int_equal(decode_obj(o_str("track")), MM_ECORRUPT);
    assert_int_equal(decode_obj(root), MM_OK);
    rec_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources),     cmocka_unit_test(test_key_priority),
        cmocka_unit_test(test_key_errors),  cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_render_json), cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_truncated),   cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_values),  cmocka_unit_test(test_keys_and_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
