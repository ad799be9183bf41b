/*
 * score_record.c — the msgpack records of score.h: cached features, mood
 * rows, request song rankings.
 *
 * Encoding goes through msgpack-c's packer into an mm_buf (capped);
 * decoding unpacks one msgpack object tree (msgpack-c zone, freed before
 * returning) and copies what it keeps into the caller's arena. "v" must be
 * the first key; unknown keys are skipped.
 */
#include "pipeline/score.h"

#include <msgpack.h>
#include <string.h>

#include "common/codec.h"
#include "common/store.h"

/* --- encoding --- */

struct enc {
    struct mm_buf *out;
    size_t start;
    mm_err err; /* the first append error; later writes are refused */
    msgpack_packer pk;
};

static int enc_write(void *data, const char *buf, size_t len)
{
    struct enc *e = data;
    if (!e->err)
        e->err = mm_buf_append(e->out, buf, len);
    return e->err ? -1 : 0;
}

static void enc_init(struct enc *e, struct mm_buf *out)
{
    e->out = out;
    e->start = out->len;
    e->err = MM_OK;
    msgpack_packer_init(&e->pk, e, enc_write);
}

static mm_err enc_finish(struct enc *e)
{
    if (e->err && e->out->data) {
        e->out->len = e->start;
        e->out->data[e->start] = '\0';
    }
    return e->err;
}

static void pk_str(struct enc *e, const char *s)
{
    if (s)
        msgpack_pack_str_with_body(&e->pk, s, strlen(s));
    else
        msgpack_pack_nil(&e->pk);
}

static void pk_version(struct enc *e, uint32_t n_keys, int version)
{
    msgpack_pack_map(&e->pk, n_keys);
    pk_str(e, "v");
    msgpack_pack_int(&e->pk, version);
}

static uint32_t n_features(const struct mm_features *f)
{
    uint32_t n = 0;
#define X(name) n += f->has_##name;
    MM_FEATURE_NAMES
#undef X
    return n;
}

mm_err mm_score_features_encode(const struct mm_features *f, int64_t fetched_at_us,
                                struct mm_buf *out)
{
    struct enc e;
    enc_init(&e, out);
    pk_version(&e, 3, MM_SCORE_FEATURES_VERSION);
    pk_str(&e, "fetched_at");
    msgpack_pack_int64(&e.pk, fetched_at_us);
    pk_str(&e, "features");
    if (f && f->present) {
        msgpack_pack_map(&e.pk, n_features(f));
#define X(name)                                                                                    \
    if (f->has_##name) {                                                                           \
        pk_str(&e, #name);                                                                         \
        msgpack_pack_double(&e.pk, f->name);                                                       \
    }
        MM_FEATURE_NAMES
#undef X
    } else {
        msgpack_pack_nil(&e.pk);
    }
    return enc_finish(&e);
}

mm_err mm_score_mood_row_encode(const struct mm_mood_row *r, struct mm_buf *out)
{
    struct enc e;
    enc_init(&e, out);
    pk_version(&e, 4, MM_SCORE_MOOD_ROW_VERSION);
    pk_str(&e, "track");
    pk_str(&e, r->track);
    pk_str(&e, "fit");
    msgpack_pack_double(&e.pk, r->fit);
    pk_str(&e, "popularity");
    if (r->popularity == MM_NULL_INT)
        msgpack_pack_nil(&e.pk);
    else
        msgpack_pack_int64(&e.pk, r->popularity);
    return enc_finish(&e);
}

mm_err mm_score_request_fit_encode(const struct mm_request_fit *r, struct mm_buf *out)
{
    struct enc e;
    enc_init(&e, out);
    pk_version(&e, 4, MM_SCORE_SONG_FIT_VERSION);
    pk_str(&e, "mood");
    pk_str(&e, r->mood);
    pk_str(&e, "match");
    pk_str(&e, mm_moods_match_name(r->match));
    pk_str(&e, "songs");
    msgpack_pack_array(&e.pk, (uint32_t)r->n_songs);
    for (size_t i = 0; i < r->n_songs; i++) {
        const struct mm_song_fit *s = &r->songs[i];
        msgpack_pack_map(&e.pk, 4);
        pk_str(&e, "song_id");
        msgpack_pack_uint64(&e.pk, s->song_id);
        pk_str(&e, "position");
        msgpack_pack_int64(&e.pk, s->position);
        pk_str(&e, "track");
        pk_str(&e, s->track);
        pk_str(&e, "fit");
        if (s->has_fit)
            msgpack_pack_double(&e.pk, s->fit);
        else
            msgpack_pack_nil(&e.pk);
    }
    return enc_finish(&e);
}

mm_err mm_score_mood_key(const char *mood, uint32_t rank, struct mm_buf *out)
{
    unsigned char be[4] = {(unsigned char)(rank >> 24), (unsigned char)(rank >> 16),
                           (unsigned char)(rank >> 8), (unsigned char)rank};
    size_t start = out->len;
    mm_err err = mm_buf_append(out, mood, strlen(mood) + 1);
    err = err ? err : mm_buf_append(out, be, sizeof(be));
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

/* --- decoding --- */

static bool key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

static bool get_i64(const msgpack_object *v, int64_t *out)
{
    bool ok = v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
              (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX);
    if (ok)
        *out = v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? v->via.i64 : (int64_t)v->via.u64;
    return ok;
}

static bool get_num(const msgpack_object *v, double *out)
{
    int64_t i;
    bool ok = true;
    if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
        *out = v->via.f64;
    else if ((ok = get_i64(v, &i)))
        *out = (double)i;
    return ok;
}

/* A string (or nil when `nullable`) copied into the arena. */
static bool get_str(const msgpack_object *v, bool nullable, struct mm_arena *a, char **out)
{
    bool ok = v->type == MSGPACK_OBJECT_STR || (nullable && v->type == MSGPACK_OBJECT_NIL);
    *out = ok && v->type == MSGPACK_OBJECT_STR
               ? mm_arena_strndup(a, v->via.str.ptr, v->via.str.size)
               : NULL;
    return ok;
}

/* Unpacks `data` into u; the root map when its first key "v" is 1..version. */
static mm_err unpack_root(const void *data, size_t len, int version, msgpack_unpacked *u,
                          const msgpack_object_map **out)
{
    size_t off = 0;
    int64_t v = 0;
    mm_err err = MM_ECORRUPT;
    if (msgpack_unpack_next(u, data, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len) {
        const msgpack_object *root = &u->data;
        if (root->type == MSGPACK_OBJECT_MAP && root->via.map.size > 0 &&
            key_is(&root->via.map.ptr[0].key, "v") && get_i64(&root->via.map.ptr[0].val, &v) &&
            v >= 1) {
            err = v > version ? MM_ESCHEMA : MM_OK;
            *out = &root->via.map;
        }
    }
    return err;
}

static bool decode_features(const msgpack_object *v, struct mm_features *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP || v->type == MSGPACK_OBJECT_NIL;
    memset(out, 0, sizeof(*out));
    out->source = "spotify";
    for (uint32_t i = 0; ok && v->type == MSGPACK_OBJECT_MAP && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
#define X(name)                                                                                    \
    if (key_is(k, #name)) {                                                                        \
        ok = get_num(x, &out->name);                                                               \
        out->has_##name = out->present = ok;                                                       \
    }
        MM_FEATURE_NAMES
#undef X
    }
    return ok;
}

mm_err mm_score_features_decode(const void *data, size_t len, struct mm_features *out,
                                int64_t *fetched_at_us)
{
    msgpack_unpacked u;
    const msgpack_object_map *map;
    bool has_at = false, has_features = false, ok = true;
    memset(out, 0, sizeof(*out));
    msgpack_unpacked_init(&u);
    mm_err err = unpack_root(data, len, MM_SCORE_FEATURES_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (key_is(k, "fetched_at"))
            ok = has_at = get_i64(v, fetched_at_us);
        else if (key_is(k, "features"))
            ok = has_features = decode_features(v, out);
    }
    if (!err && (!ok || !has_at || !has_features))
        err = MM_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    return err;
}

mm_err mm_score_mood_row_decode(const void *data, size_t len, struct mm_arena *arena,
                                struct mm_mood_row *out)
{
    msgpack_unpacked u;
    const msgpack_object_map *map;
    bool has_fit = false, ok = true;
    memset(out, 0, sizeof(*out));
    out->popularity = MM_NULL_INT;
    msgpack_unpacked_init(&u);
    mm_err err = unpack_root(data, len, MM_SCORE_MOOD_ROW_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (key_is(k, "track"))
            ok = get_str(v, false, arena, &out->track);
        else if (key_is(k, "fit"))
            ok = has_fit = get_num(v, &out->fit);
        else if (key_is(k, "popularity") && v->type != MSGPACK_OBJECT_NIL)
            ok = get_i64(v, &out->popularity);
    }
    if (!err && (!ok || !out->track || !has_fit))
        err = MM_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    return err;
}

static bool decode_song(const msgpack_object *v, struct mm_arena *a, struct mm_song_fit *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP, has_id = false;
    int64_t id = 0;
    memset(out, 0, sizeof(*out));
    for (uint32_t i = 0; ok && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
        if (key_is(k, "song_id"))
            ok = has_id = get_i64(x, &id) && id >= 0;
        else if (key_is(k, "position"))
            ok = get_i64(x, &out->position);
        else if (key_is(k, "track"))
            ok = get_str(x, true, a, &out->track);
        else if (key_is(k, "fit") && x->type != MSGPACK_OBJECT_NIL)
            ok = out->has_fit = get_num(x, &out->fit);
    }
    out->song_id = (uint64_t)id;
    return ok && has_id;
}

static bool decode_songs(const msgpack_object *v, struct mm_arena *a, struct mm_request_fit *out)
{
    bool ok = v->type == MSGPACK_OBJECT_ARRAY;
    size_t n = ok ? v->via.array.size : 0;
    out->songs = mm_arena_alloc(a, (n ? n : 1) * sizeof(*out->songs));
    for (size_t i = 0; ok && i < n; i++)
        ok = decode_song(&v->via.array.ptr[i], a, &out->songs[i]);
    out->n_songs = ok ? n : 0;
    return ok;
}

mm_err mm_score_request_fit_decode(const void *data, size_t len, struct mm_arena *arena,
                                   struct mm_request_fit *out)
{
    msgpack_unpacked u;
    const msgpack_object_map *map;
    char *match = NULL;
    bool has_songs = false, ok = true;
    memset(out, 0, sizeof(*out));
    msgpack_unpacked_init(&u);
    mm_err err = unpack_root(data, len, MM_SCORE_SONG_FIT_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (key_is(k, "mood"))
            ok = get_str(v, false, arena, &out->mood);
        else if (key_is(k, "match"))
            ok = get_str(v, false, arena, &match);
        else if (key_is(k, "songs"))
            ok = has_songs = decode_songs(v, arena, out);
    }
    out->match = MM_MOOD_DEFAULT;
    for (int m = MM_MOOD_EXACT; match && m < MM_MOOD_DEFAULT; m++)
        if (strcmp(match, mm_moods_match_name((enum mm_mood_match)m)) == 0)
            out->match = (enum mm_mood_match)m;
    if (!err && (!ok || !out->mood || !has_songs || !match ||
                 strcmp(match, mm_moods_match_name(out->match)) != 0))
        err = MM_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    return err;
}
