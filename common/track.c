/*
 * track.c — source names, canonical track keys and the msgpack track record
 * (track.h).
 *
 * One table of top-level keys (track_keys) gives the encoder its order and
 * the decoder its names. Encoding goes through msgpack-c's packer into the
 * caller's mm_buf; decoding walks the bytes with the codec's bounds-checked
 * reader (codec_mp.h): no object tree, nothing read past `len`, strings
 * copied into the caller's arena.
 */
#include "common/codec.h"
#include "common/track.h"

#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "common/codec_mp.h"
#include "common/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- sources --- */

static const char *const source_names[MM_SOURCE__COUNT] = {"spotify", "musicbrainz", "lastfm",
                                                           "itunes"};

const char *mm_source_name(enum mm_source s)
{
    MM_ASSERT((unsigned)s < MM_SOURCE__COUNT);
    return source_names[s];
}

/* The source named by n bytes at `name`, or MM_SOURCE__COUNT. */
static enum mm_source source_find(const char *name, size_t n)
{
    enum mm_source s = 0;
    while (s < MM_SOURCE__COUNT &&
           !(strlen(source_names[s]) == n && memcmp(source_names[s], name, n) == 0))
        s++;
    return s;
}

mm_err mm_source_parse(const char *name, enum mm_source *out)
{
    enum mm_source s = name ? source_find(name, strlen(name)) : MM_SOURCE__COUNT;
    if (s == MM_SOURCE__COUNT)
        return MM_EINVAL;
    *out = s;
    return MM_OK;
}

/* The static string of a features source name, or NULL when unknown. */
static const char *features_source(const char *name, size_t n)
{
    static const char *const names[] = {"spotify", "lastfm_tags"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
            return names[i];
    return NULL;
}

/* --- canonical key --- */

static bool present(const char *s)
{
    return s && *s;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - ('a' - 'A')) : c;
}

/* The ISRC of `s` as 12 upper-case characters (hyphens and spaces removed)
 * when it has the ISO 3901 shape CC-XXX-YY-NNNNN; false otherwise. */
static bool isrc_canonical(const char *s, char out[13])
{
    size_t n = 0;
    for (; s && *s; s++) {
        if (*s == '-' || *s == ' ')
            continue;
        if (n == 12)
            return false;
        out[n++] = upper(*s);
    }
    out[n] = '\0';
    bool ok = n == 12;
    for (size_t i = 0; i < n && ok; i++) {
        char c = out[i];
        bool digit = c >= '0' && c <= '9', letter = c >= 'A' && c <= 'Z';
        ok = i < 2 ? letter : i < 5 ? digit || letter : digit;
    }
    return ok;
}

/* A MusicBrainz id lower-cased when it is a UUID (8-4-4-4-12 hex digits). */
static bool mbid_canonical(const char *s, char out[37])
{
    size_t n = 0;
    bool ok = s != NULL;
    for (; ok && s[n] && n < 36; n++) {
        char c = s[n] >= 'A' && s[n] <= 'F' ? (char)(s[n] + ('a' - 'A')) : s[n];
        bool dash = n == 8 || n == 13 || n == 18 || n == 23;
        ok = dash ? c == '-' : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        out[n] = c;
    }
    out[n] = '\0';
    return ok && n == 36 && s[n] == '\0';
}

/* "lastfm:<norm artist>|<norm title>"; MM_EINVAL when either key is empty. */
static mm_err lastfm_key(const struct mm_track *t, struct mm_buf *key)
{
    const char *artist = t->n_artists ? t->artists[0] : NULL;
    mm_err err = artist && t->title ? mm_buf_appends(key, "lastfm:") : MM_EINVAL;
    size_t mark = key->len;
    if (!err)
        err = mm_text_normalize(artist, strlen(artist), key);
    if (!err && key->len == mark)
        err = MM_EINVAL;
    if (!err)
        err = mm_buf_appendc(key, '|');
    mark = key->len;
    if (!err)
        err = mm_text_normalize(t->title, strlen(t->title), key);
    if (!err && key->len == mark)
        err = MM_EINVAL;
    return err;
}

mm_err mm_track_make_key(struct mm_track *t, struct mm_arena *arena)
{
    struct mm_buf key;
    char isrc[13], mbid[37];
    mm_err err;
    mm_buf_init(&key, MM_TRACK_KEY_MAX);
    if (isrc_canonical(t->isrc, isrc))
        err = mm_buf_printf(&key, "isrc:%s", isrc);
    else if (present(t->ids[MM_SOURCE_SPOTIFY]))
        err = mm_buf_printf(&key, "spotify:%s", t->ids[MM_SOURCE_SPOTIFY]);
    else if (mbid_canonical(t->ids[MM_SOURCE_MUSICBRAINZ], mbid))
        err = mm_buf_printf(&key, "mbid:%s", mbid);
    else if (present(t->ids[MM_SOURCE_ITUNES]))
        err = mm_buf_printf(&key, "itunes:%s", t->ids[MM_SOURCE_ITUNES]);
    else
        err = lastfm_key(t, &key);
    if (!err)
        t->key = mm_arena_strndup(arena, key.data, key.len);
    mm_buf_cleanup(&key);
    return err;
}

/* --- fetched_at: ISO 8601 text, years 0000–9999 --- */

#define US_PER_DAY INT64_C(86400000000)

static bool time_in_range(int64_t us)
{
    return us >= mm_codec_days_from_civil(0, 1, 1) * US_PER_DAY &&
           us < mm_codec_days_from_civil(10000, 1, 1) * US_PER_DAY;
}

static bool digits(const unsigned char *p, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Parses exactly what mm_codec_format_time writes ("2025-11-20T14:03:12.123456Z"):
 * the value is formatted back and must give the same text, which rejects
 * impossible dates such as 02-30. */
static bool parse_time(const unsigned char *p, size_t n, int64_t *us)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    int64_t y, mo, d, h, mi, s, f;
    char back[32];
    if (n != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (shape[i] != 'd' && p[i] != (unsigned char)shape[i])
            return false;
    if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) ||
        !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &s) ||
        !digits(p + 20, 6, &f) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    *us = (mm_codec_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000 + f;
    mm_codec_format_time(*us, back);
    return memcmp(back, p, n) == 0;
}

/* --- encoding --- */

/* The top-level keys, in encoding order. */
/* clang-format off */
enum tkey {
    K_V, K_KEY, K_TITLE, K_ARTISTS, K_ALBUM, K_RELEASE_YEAR, K_DURATION_MS, K_ISRC, K_IDS, K_URLS,
    K_ARTWORK_URL, K_PREVIEW_URL, K_POPULARITY, K_LISTENERS, K_TAGS, K_FEATURES, K_PROVENANCE,
    K__COUNT
};
/* clang-format on */

/* clang-format off */
static const char *const track_keys[K__COUNT] = {
    "v",           "key",         "title",      "artists",   "album", "release_year",
    "duration_ms", "isrc",        "ids",        "urls",      "artwork_url",
    "preview_url", "popularity",  "listeners",  "tags",      "features", "provenance",
};
/* clang-format on */
/* the decoder tracks the keys seen in a 32-bit mask */
_Static_assert(K__COUNT <= 32, "key mask");

static const char *const feature_names[] = {
#define X(name) #name,
    MM_FEATURE_NAMES
#undef X
};
#define N_FEATURES ARRAY_LEN(feature_names)

static void pk_double(struct mm_mp_writer *e, double v)
{
    if (!isfinite(v))
        mm_mp_writer_fail(e, MM_EINVAL);
    msgpack_pack_double(&e->pk, v);
}

/* A map of the sources that have a value in `v`. */
static void pk_source_map(struct mm_mp_writer *e, char *const v[MM_SOURCE__COUNT])
{
    size_t n = 0;
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        n += v[s] != NULL;
    msgpack_pack_map(&e->pk, n);
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        if (v[s]) {
            mm_mp_pack_str(e, source_names[s]);
            mm_mp_pack_str(e, v[s]);
        }
}

static void pk_features(struct mm_mp_writer *e, const struct mm_features *f)
{
    const bool has[] = {
#define X(name) f->has_##name,
        MM_FEATURE_NAMES
#undef X
    };
    const double val[] = {
#define X(name) f->name,
        MM_FEATURE_NAMES
#undef X
    };
    size_t n = 1;
    for (size_t i = 0; i < N_FEATURES; i++)
        n += has[i];
    if (!f->present) {
        msgpack_pack_nil(&e->pk);
    } else {
        if (!f->source || !features_source(f->source, strlen(f->source)))
            mm_mp_writer_fail(e, MM_EINVAL);
        msgpack_pack_map(&e->pk, n);
        mm_mp_pack_str(e, "source");
        mm_mp_pack_str(e, f->source);
        for (size_t i = 0; i < N_FEATURES; i++)
            if (has[i]) {
                mm_mp_pack_str(e, feature_names[i]);
                pk_double(e, val[i]);
            }
    }
}

static void pk_provenance(struct mm_mp_writer *e, const struct mm_track *t)
{
    char when[32];
    bool ok = (unsigned)t->source < MM_SOURCE__COUNT && t->score >= 0.0 && t->score <= 100.0 &&
              time_in_range(t->fetched_at_us);
    if (!ok)
        mm_mp_writer_fail(e, MM_EINVAL);
    mm_codec_format_time(ok ? t->fetched_at_us : 0, when);
    msgpack_pack_map(&e->pk, 3);
    mm_mp_pack_str(e, "source");
    mm_mp_pack_str(e, source_names[ok ? t->source : 0]);
    mm_mp_pack_str(e, "score");
    pk_double(e, t->score);
    mm_mp_pack_str(e, "fetched_at");
    mm_mp_pack_str(e, when);
}

static void pk_value(struct mm_mp_writer *e, enum tkey k, const struct mm_track *t)
{
    switch (k) {
    case K_V: msgpack_pack_int(&e->pk, MM_TRACK_VERSION); break;
    case K_KEY: mm_mp_pack_str(e, t->key); break;
    case K_TITLE: mm_mp_pack_str(e, t->title); break;
    case K_ARTISTS: mm_mp_pack_strs(e, t->artists, t->n_artists); break;
    case K_ALBUM: mm_mp_pack_str(e, t->album); break;
    case K_RELEASE_YEAR: mm_mp_pack_i64(e, t->release_year); break;
    case K_DURATION_MS: mm_mp_pack_i64(e, t->duration_ms); break;
    case K_ISRC: mm_mp_pack_str(e, t->isrc); break;
    case K_IDS: pk_source_map(e, t->ids); break;
    case K_URLS: pk_source_map(e, t->urls); break;
    case K_ARTWORK_URL: mm_mp_pack_str(e, t->artwork_url); break;
    case K_PREVIEW_URL: mm_mp_pack_str(e, t->preview_url); break;
    case K_POPULARITY: mm_mp_pack_i64(e, t->popularity); break;
    case K_LISTENERS: mm_mp_pack_i64(e, t->listeners); break;
    case K_TAGS: mm_mp_pack_strs(e, t->tags, t->n_tags); break;
    case K_FEATURES: pk_features(e, &t->features); break;
    case K_PROVENANCE: pk_provenance(e, t); break;
    case K__COUNT: break;
    }
}

mm_err mm_track_encode(const struct mm_track *t, struct mm_buf *out)
{
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    if (!t->key || !t->title)
        mm_mp_writer_fail(&e, MM_EINVAL);
    msgpack_pack_map(&e.pk, K__COUNT);
    for (enum tkey k = 0; k < K__COUNT; k++) {
        mm_mp_pack_str(&e, track_keys[k]);
        pk_value(&e, k, t);
    }
    return mm_mp_writer_finish(&e);
}

/* --- decoding --- */

static mm_err rd_opt_str(struct mm_mp_reader *r, struct mm_arena *a, char **out)
{
    return mm_mp_take_nil(r) ? MM_OK : mm_mp_read_str(r, a, out);
}

/* An integer, or nil for MM_NULL_INT (which is never stored as a number). */
static mm_err rd_opt_int(struct mm_mp_reader *r, int64_t *out)
{
    struct mm_mp_item it;
    bool nil = mm_mp_take_nil(r);
    mm_err err = nil ? MM_OK : mm_mp_head(r, &it);
    if (err || nil)
        *out = MM_NULL_INT;
    else if (it.kind == MM_MP_INT && it.i != MM_NULL_INT)
        *out = it.i;
    else if (it.kind == MM_MP_UINT && it.u <= INT64_MAX)
        *out = (int64_t)it.u;
    else
        err = MM_ECORRUPT;
    return err;
}

static mm_err rd_double(struct mm_mp_reader *r, double *out)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_read_kind(r, MM_MP_FLOAT, &it);
    if (!err && !isfinite(it.f))
        err = MM_ECORRUPT;
    if (!err)
        *out = it.f;
    return err;
}

/* Reads the header of the next key of a map at nesting `level` and returns
 * its index in names[0..n); an unknown key's value is skipped and n
 * returned; a repeated key is MM_ECORRUPT (`seen` tracks them). */
static mm_err rd_key(struct mm_mp_reader *r, const char *const *names, size_t n, int level,
                     uint32_t *seen, size_t *index)
{
    struct mm_mp_item key;
    mm_err err = mm_mp_read_kind(r, MM_MP_STR, &key);
    size_t i = 0;
    while (!err && i < n &&
           !(strlen(names[i]) == key.len && memcmp(names[i], key.data, key.len) == 0))
        i++;
    if (!err && i == n)
        err = mm_mp_skip(r, level + 1);
    else if (!err && (*seen & (UINT32_C(1) << i)))
        err = MM_ECORRUPT;
    else if (!err)
        *seen |= UINT32_C(1) << i;
    *index = i;
    return err;
}

/* ids / urls: {source name: str}; unknown sources are skipped. */
static mm_err rd_source_map(struct mm_mp_reader *r, struct mm_arena *a, char *v[MM_SOURCE__COUNT])
{
    struct mm_mp_item map;
    uint32_t seen = 0;
    size_t s;
    mm_err err = mm_mp_read_kind(r, MM_MP_MAP, &map);
    for (uint32_t i = 0; !err && i < map.n; i++) {
        err = rd_key(r, source_names, MM_SOURCE__COUNT, 2, &seen, &s);
        if (!err && s < MM_SOURCE__COUNT)
            err = mm_mp_read_str(r, a, &v[s]);
    }
    return err;
}

static mm_err rd_features(struct mm_mp_reader *r, struct mm_features *f)
{
    static const char *const names[] = {"source",
#define X(name) #name,
                                        MM_FEATURE_NAMES
#undef X
    };
    double *val[] = {
#define X(name) &f->name,
        MM_FEATURE_NAMES
#undef X
    };
    bool *has[] = {
#define X(name) &f->has_##name,
        MM_FEATURE_NAMES
#undef X
    };
    struct mm_mp_item map, src;
    uint32_t seen = 1; /* "source" is required unless nil */
    size_t k;
    bool nil = mm_mp_take_nil(r);
    mm_err err = nil ? MM_OK : mm_mp_read_kind(r, MM_MP_MAP, &map);
    if (!err && !nil)
        seen = 0;
    for (uint32_t i = 0; !err && !nil && i < map.n; i++) {
        err = rd_key(r, names, ARRAY_LEN(names), 2, &seen, &k);
        if (!err && k == 0)
            err = mm_mp_read_kind(r, MM_MP_STR, &src);
        if (!err && k == 0 && !(f->source = features_source((const char *)src.data, src.len)))
            err = MM_ECORRUPT;
        if (!err && k > 0 && k < ARRAY_LEN(names)) {
            err = rd_double(r, val[k - 1]);
            *has[k - 1] = true;
        }
    }
    if (!err && !(seen & 1))
        err = MM_ECORRUPT;
    f->present = !err && !nil;
    return err;
}

static mm_err rd_provenance(struct mm_mp_reader *r, struct mm_track *t)
{
    static const char *const names[] = {"source", "score", "fetched_at"};
    struct mm_mp_item map, it;
    uint32_t seen = 0;
    size_t k;
    mm_err err = mm_mp_read_kind(r, MM_MP_MAP, &map);
    for (uint32_t i = 0; !err && i < map.n; i++) {
        err = rd_key(r, names, ARRAY_LEN(names), 2, &seen, &k);
        if (!err && k == 1)
            err = rd_double(r, &t->score);
        else if (!err && k != ARRAY_LEN(names))
            err = mm_mp_read_kind(r, MM_MP_STR, &it);
        if (!err && k == 0 &&
            (t->source = source_find((const char *)it.data, it.len)) == MM_SOURCE__COUNT)
            err = MM_ECORRUPT;
        if (!err && k == 1 && !(t->score >= 0.0 && t->score <= 100.0))
            err = MM_ECORRUPT;
        if (!err && k == 2 && !parse_time(it.data, it.len, &t->fetched_at_us))
            err = MM_ECORRUPT;
    }
    if (!err && seen != (UINT32_C(1) << ARRAY_LEN(names)) - 1)
        err = MM_ECORRUPT;
    return err;
}

static mm_err rd_value(struct mm_mp_reader *r, enum tkey k, struct mm_arena *a, struct mm_track *t)
{
    mm_err err = MM_ECORRUPT;
    switch (k) {
    case K_V: break; /* read by mm_track_decode before any other key */
    case K_KEY: err = mm_mp_read_str(r, a, &t->key); break;
    case K_TITLE: err = mm_mp_read_str(r, a, &t->title); break;
    case K_ARTISTS: err = mm_mp_read_strs(r, a, &t->artists, &t->n_artists); break;
    case K_ALBUM: err = rd_opt_str(r, a, &t->album); break;
    case K_RELEASE_YEAR: err = rd_opt_int(r, &t->release_year); break;
    case K_DURATION_MS: err = rd_opt_int(r, &t->duration_ms); break;
    case K_ISRC: err = rd_opt_str(r, a, &t->isrc); break;
    case K_IDS: err = rd_source_map(r, a, t->ids); break;
    case K_URLS: err = rd_source_map(r, a, t->urls); break;
    case K_ARTWORK_URL: err = rd_opt_str(r, a, &t->artwork_url); break;
    case K_PREVIEW_URL: err = rd_opt_str(r, a, &t->preview_url); break;
    case K_POPULARITY: err = rd_opt_int(r, &t->popularity); break;
    case K_LISTENERS: err = rd_opt_int(r, &t->listeners); break;
    case K_TAGS: err = mm_mp_read_strs(r, a, &t->tags, &t->n_tags); break;
    case K_FEATURES: err = rd_features(r, &t->features); break;
    case K_PROVENANCE: err = rd_provenance(r, t); break;
    case K__COUNT: break;
    }
    return err;
}

mm_err mm_track_decode(const void *data, size_t len, struct mm_arena *arena, struct mm_track *out)
{
    struct mm_mp_reader r = {data, (const unsigned char *)data + len};
    struct mm_mp_item map, v;
    uint32_t seen = 0;
    size_t k = K__COUNT;
    memset(out, 0, sizeof(*out));
    out->release_year = out->duration_ms = out->popularity = out->listeners = MM_NULL_INT;
    mm_err err = mm_mp_read_kind(&r, MM_MP_MAP, &map);
    /* "v" first, so the version is known before any other field is read */
    if (!err && map.n > 0)
        err = rd_key(&r, track_keys, K__COUNT, 1, &seen, &k);
    if (!err && k != K_V)
        err = MM_ECORRUPT;
    if (!err)
        err = mm_mp_head(&r, &v);
    if (!err && v.kind == MM_MP_UINT && v.u > MM_TRACK_VERSION)
        err = MM_ESCHEMA;
    else if (!err && (v.kind != MM_MP_UINT || v.u < 1))
        err = MM_ECORRUPT;
    for (uint32_t i = 1; !err && i < map.n; i++) {
        err = rd_key(&r, track_keys, K__COUNT, 1, &seen, &k);
        if (!err && k < K__COUNT)
            err = rd_value(&r, (enum tkey)k, arena, out);
    }
    if (!err && (seen != (UINT32_C(1) << K__COUNT) - 1 || r.p != r.end))
        err = MM_ECORRUPT;
    return err;
}
