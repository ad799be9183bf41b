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
#include "common/codec_mp.h"
#include "common/store.h"
#include "pipeline/record.h"

/* --- encoding --- */

static void pk_version(struct mm_mp_writer *e, uint32_t n_keys, int version)
{
    msgpack_pack_map(&e->pk, n_keys);
    mm_mp_pack_str(e, "v");
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
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    pk_version(&e, 3, MM_SCORE_FEATURES_VERSION);
    mm_mp_pack_str(&e, "fetched_at");
    msgpack_pack_int64(&e.pk, fetched_at_us);
    mm_mp_pack_str(&e, "features");
    if (f && f->present) {
        msgpack_pack_map(&e.pk, n_features(f));
#define X(name)                                                                                    \
    if (f->has_##name) {                                                                           \
        mm_mp_pack_str(&e, #name);                                                                         \
        msgpack_pack_double(&e.pk, f->name);                                                       \
    }
        MM_FEATURE_NAMES
#undef X
    } else {
        msgpack_pack_nil(&e.pk);
    }
    return mm_mp_writer_finish(&e);
}

mm_err mm_score_mood_row_encode(const struct mm_mood_row *r, struct mm_buf *out)
{
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    pk_version(&e, 4, MM_SCORE_MOOD_ROW_VERSION);
    mm_mp_pack_str(&e, "track");
    mm_mp_pack_str(&e, r->track);
    mm_mp_pack_str(&e, "fit");
    msgpack_pack_double(&e.pk, r->fit);
    mm_mp_pack_str(&e, "popularity");
    if (r->popularity == MM_NULL_INT)
        msgpack_pack_nil(&e.pk);
    else
        msgpack_pack_int64(&e.pk, r->popularity);
    return mm_mp_writer_finish(&e);
}

mm_err mm_score_request_fit_encode(const struct mm_request_fit *r, struct mm_buf *out)
{
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    pk_version(&e, 4, MM_SCORE_SONG_FIT_VERSION);
    mm_mp_pack_str(&e, "mood");
    mm_mp_pack_str(&e, r->mood);
    mm_mp_pack_str(&e, "match");
    mm_mp_pack_str(&e, mm_moods_match_name(r->match));
    mm_mp_pack_str(&e, "songs");
    msgpack_pack_array(&e.pk, (uint32_t)r->n_songs);
    for (size_t i = 0; i < r->n_songs; i++) {
        const struct mm_song_fit *s = &r->songs[i];
        msgpack_pack_map(&e.pk, 4);
        mm_mp_pack_str(&e, "song_id");
        msgpack_pack_uint64(&e.pk, s->song_id);
        mm_mp_pack_str(&e, "position");
        msgpack_pack_int64(&e.pk, s->position);
        mm_mp_pack_str(&e, "track");
        mm_mp_pack_str(&e, s->track);
        mm_mp_pack_str(&e, "fit");
        if (s->has_fit)
            msgpack_pack_double(&e.pk, s->fit);
        else
            msgpack_pack_nil(&e.pk);
    }
    return mm_mp_writer_finish(&e);
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

static bool decode_features(const msgpack_object *v, struct mm_features *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP || v->type == MSGPACK_OBJECT_NIL;
    memset(out, 0, sizeof(*out));
    out->source = "spotify";
    for (uint32_t i = 0; ok && v->type == MSGPACK_OBJECT_MAP && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
#define X(name)                                                                                    \
    if (mm_record_key_is(k, #name)) {                                                                        \
        ok = mm_record_get_num(x, false, &out->name);                                                               \
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
    mm_err err = mm_record_unpack_root(data, len, MM_SCORE_FEATURES_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (mm_record_key_is(k, "fetched_at"))
            ok = has_at = mm_record_get_i64(v, fetched_at_us);
        else if (mm_record_key_is(k, "features"))
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
    mm_err err = mm_record_unpack_root(data, len, MM_SCORE_MOOD_ROW_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (mm_record_key_is(k, "track"))
            ok = mm_record_get_str(v, false, arena, &out->track);
        else if (mm_record_key_is(k, "fit"))
            ok = has_fit = mm_record_get_num(v, false, &out->fit);
        else if (mm_record_key_is(k, "popularity") && v->type != MSGPACK_OBJECT_NIL)
            ok = mm_record_get_i64(v, &out->popularity);
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
        if (mm_record_key_is(k, "song_id"))
            ok = has_id = mm_record_get_i64(x, &id) && id >= 0;
        else if (mm_record_key_is(k, "position"))
            ok = mm_record_get_i64(x, &out->position);
        else if (mm_record_key_is(k, "track"))
            ok = mm_record_get_str(x, true, a, &out->track);
        else if (mm_record_key_is(k, "fit") && x->type != MSGPACK_OBJECT_NIL)
            ok = out->has_fit = mm_record_get_num(x, false, &out->fit);
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
    mm_err err = mm_record_unpack_root(data, len, MM_SCORE_SONG_FIT_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (mm_record_key_is(k, "mood"))
            ok = mm_record_get_str(v, false, arena, &out->mood);
        else if (mm_record_key_is(k, "match"))
            ok = mm_record_get_str(v, false, arena, &match);
        else if (mm_record_key_is(k, "songs"))
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
