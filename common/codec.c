/*
 * codec.c — msgpack encoding and decoding of the stored records.
 *
 * State records are described once, as field tables (request_fields,
 * song_fields, analysis_fields): encoder, decoder and equality all walk the
 * same table, so they cannot disagree about a field. Encoding goes through
 * msgpack-c's packer; decoding walks the bytes with codec_mp.h (no
 * msgpack_object tree, no allocation outside the caller's arena).
 *
 * Decoders require "v" as the first key (encoders always write it first), so
 * the schema version is known before any other field is interpreted. Keys a
 * decoder does not know are skipped.
 */
#include "common/codec.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec_mp.h"

/* --- field tables of the state records --- */

enum ftype { F_U64, F_I64, F_OPT_I64, F_STR, F_OPT_STR, F_STRS, F_OPT_STRS, F_ANALYSIS };

struct field {
    const char *name;
    size_t name_len;
    enum ftype type;
    bool required;              /* decoding fails when the key is absent */
    bool compared;              /* part of the record's identity (src is not) */
    size_t off, off_n, off_has; /* member, its item count, its has_ flag */
};

/* A field of struct T stored under `key`; LIST adds the item count member `n`
 * and the offset of the has_ flag (0 when the list is never NULL). */
/* clang-format off */
#define FIELD(T, key, m, type, req) {key, sizeof(key) - 1, type, req, true, offsetof(T, m), 0, 0}
#define LIST(T, key, m, type, req, n, has) \
    {key, sizeof(key) - 1, type, req, true, offsetof(T, m), offsetof(T, n), has}
#define SRC(T) {"src", 3, F_STR, true, false, offsetof(T, src), 0, 0}
/* clang-format on */

static const struct field request_fields[] = {
    FIELD(struct mm_request, "id", id, F_U64, true),
    FIELD(struct mm_request, "user_id", user_id, F_OPT_I64, false),
    FIELD(struct mm_request, "text", text, F_STR, true),
    LIST(struct mm_request, "emojis", emojis, F_STRS, true, n_emojis, 0),
    FIELD(struct mm_request, "num_songs", num_songs, F_I64, true),
    FIELD(struct mm_request, "analysis", analysis, F_ANALYSIS, false),
    FIELD(struct mm_request, "created_at", created_at_us, F_I64, true),
    SRC(struct mm_request),
};

static const struct field song_fields[] = {
    FIELD(struct mm_song, "id", id, F_U64, true),
    FIELD(struct mm_song, "request_id", request_id, F_U64, true),
    FIELD(struct mm_song, "user_id", user_id, F_OPT_I64, false),
    FIELD(struct mm_song, "position", position, F_I64, true),
    FIELD(struct mm_song, "track_id", track_id, F_OPT_STR, false),
    FIELD(struct mm_song, "title", title, F_STR, true),
    FIELD(struct mm_song, "artist", artist, F_OPT_STR, false),
    FIELD(struct mm_song, "album", album, F_OPT_STR, false),
    FIELD(struct mm_song, "album_art", album_art, F_OPT_STR, false),
    FIELD(struct mm_song, "preview_url", preview_url, F_OPT_STR, false),
    FIELD(struct mm_song, "track_url", track_url, F_OPT_STR, false),
    FIELD(struct mm_song, "release_year", release_year, F_OPT_STR, false),
    FIELD(struct mm_song, "duration_ms", duration_ms, F_OPT_I64, false),
    FIELD(struct mm_song, "duration_formatted", duration_formatted, F_OPT_STR, false),
    FIELD(struct mm_song, "why", why, F_OPT_STR, false),
    LIST(struct mm_song, "matched_criteria", matched_criteria, F_OPT_STRS, false,
         n_matched_criteria, offsetof(struct mm_song, has_matched_criteria)),
    FIELD(struct mm_song, "created_at", created_at_us, F_I64, true),
    SRC(struct mm_song),
};

static const struct field analysis_fields[] = {
    FIELD(struct mm_analysis, "mood", mood, F_OPT_STR, false),
    LIST(struct mm_analysis, "matched_criteria", matched_criteria, F_STRS, false,
         n_matched_criteria, 0),
    FIELD(struct mm_analysis, "raw", raw, F_OPT_STR, false),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
/* decode_entries tracks the fields seen in a 32-bit mask */
_Static_assert(NFIELDS(song_fields) <= 32 && NFIELDS(request_fields) <= 32, "field mask");
#define AT(base, off, T) ((T *)((char *)(base) + (off)))
#define CAT(base, off, T) ((T const *)((const char *)(base) + (off)))

/* --- encoding --- */

static void encode_entries(struct mm_mp_writer *e, const struct field *fs, size_t nf, const void *rec);

static void encode_field(struct mm_mp_writer *e, const struct field *f, const void *rec)
{
    char *const *str = CAT(rec, f->off, char *);
    switch (f->type) {
    case F_U64: msgpack_pack_uint64(&e->pk, *CAT(rec, f->off, uint64_t)); break;
    case F_I64: msgpack_pack_int64(&e->pk, *CAT(rec, f->off, int64_t)); break;
    case F_OPT_I64: mm_mp_pack_i64(e, *CAT(rec, f->off, int64_t)); break;
    case F_STR:
        if (!*str)
            mm_mp_writer_fail(e, MM_EINVAL);
        mm_mp_pack_str(e, *str);
        break;
    case F_OPT_STR: mm_mp_pack_str(e, *str); break;
    case F_OPT_STRS:
    case F_STRS:
        if (f->type == F_OPT_STRS && !*CAT(rec, f->off_has, bool))
            msgpack_pack_nil(&e->pk);
        else
            mm_mp_pack_strs(e, *CAT(rec, f->off, char **), *CAT(rec, f->off_n, size_t));
        break;
    case F_ANALYSIS: {
        const struct mm_analysis *a = *CAT(rec, f->off, struct mm_analysis *);
        if (a) {
            msgpack_pack_map(&e->pk, NFIELDS(analysis_fields));
            encode_entries(e, analysis_fields, NFIELDS(analysis_fields), a);
        } else {
            msgpack_pack_nil(&e->pk);
        }
        break;
    }
    }
}

static void encode_entries(struct mm_mp_writer *e, const struct field *fs, size_t nf, const void *rec)
{
    for (size_t i = 0; i < nf; i++) {
        msgpack_pack_str_with_body(&e->pk, fs[i].name, fs[i].name_len);
        encode_field(e, &fs[i], rec);
    }
}

static mm_err encode_record(int version, const struct field *fs, size_t nf, const void *rec,
                            struct mm_buf *out)
{
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    msgpack_pack_map(&e.pk, nf + 1);
    mm_mp_pack_str(&e, "v");
    msgpack_pack_int(&e.pk, version);
    encode_entries(&e, fs, nf, rec);
    return mm_mp_writer_finish(&e);
}

mm_err mm_codec_request_encode(const struct mm_request *r, struct mm_buf *out)
{
    return encode_record(MM_CODEC_REQUEST_VERSION, request_fields, NFIELDS(request_fields), r, out);
}

mm_err mm_codec_song_encode(const struct mm_song *s, struct mm_buf *out)
{
    return encode_record(MM_CODEC_SONG_VERSION, song_fields, NFIELDS(song_fields), s, out);
}

/* --- decoding --- */

static mm_err rd_uint(struct mm_mp_reader *r, uint64_t *out)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_head(r, &it);
    if (!err && it.kind != MM_MP_UINT)
        err = MM_ECORRUPT;
    if (!err)
        *out = it.u;
    return err;
}

static mm_err decode_entries(struct mm_mp_reader *r, const struct field *fs, size_t nf, uint32_t n,
                             int level, struct mm_arena *a, void *rec);

static mm_err rd_analysis(struct mm_mp_reader *r, struct mm_arena *a, struct mm_analysis **out)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_head(r, &it);
    if (!err && it.kind != MM_MP_MAP)
        err = MM_ECORRUPT;
    if (err)
        return err;
    *out = mm_arena_alloc(a, sizeof(**out));
    memset(*out, 0, sizeof(**out));
    return decode_entries(r, analysis_fields, NFIELDS(analysis_fields), it.n, 2, a, *out);
}

static mm_err decode_field(struct mm_mp_reader *r, const struct field *f, struct mm_arena *a,
                           void *rec)
{
    mm_err err = MM_OK;
    switch (f->type) {
    case F_U64: err = rd_uint(r, AT(rec, f->off, uint64_t)); break;
    case F_OPT_I64:
        if (mm_mp_take_nil(r))
            break;
        /* fall through */
    case F_I64: err = mm_mp_read_int(r, AT(rec, f->off, int64_t)); break;
    case F_OPT_STR:
        if (mm_mp_take_nil(r))
            break;
        /* fall through */
    case F_STR: err = mm_mp_read_str(r, a, AT(rec, f->off, char *)); break;
    case F_OPT_STRS:
        if (mm_mp_take_nil(r))
            break;
        *AT(rec, f->off_has, bool) = true;
        /* fall through */
    case F_STRS: err = mm_mp_read_strs(r, a, AT(rec, f->off, char **), AT(rec, f->off_n, size_t)); break;
    case F_ANALYSIS:
        if (!mm_mp_take_nil(r))
            err = rd_analysis(r, a, AT(rec, f->off, struct mm_analysis *));
        break;
    }
    return err;
}

/* Index of the field named by `key`, searching from `hint` (fields usually
 * arrive in table order); nf when unknown. */
static size_t find_field(const struct field *fs, size_t nf, size_t hint,
                         const struct mm_mp_item *key)
{
    for (size_t j = 0; j < nf; j++) {
        size_t i = (hint + j) % nf;
        if (fs[i].name_len == key->len && memcmp(fs[i].name, key->data, key->len) == 0)
            return i;
    }
    return nf;
}

/* Decodes the `n` entries of a map found at nesting `level` into `rec`,
 * whose pointers are already NULL. */
static mm_err decode_entries(struct mm_mp_reader *r, const struct field *fs, size_t nf, uint32_t n,
                             int level, struct mm_arena *a, void *rec)
{
    mm_err err = MM_OK;
    uint32_t seen = 0;
    size_t hint = 0;
    for (size_t i = 0; i < nf; i++)
        if (fs[i].type == F_OPT_I64)
            *AT(rec, fs[i].off, int64_t) = MM_NULL_INT;
    for (uint32_t e = 0; e < n && !err; e++) {
        struct mm_mp_item key;
        err = mm_mp_head(r, &key);
        if (!err && key.kind != MM_MP_STR)
            err = MM_ECORRUPT;
        if (err)
            break;
        size_t i = find_field(fs, nf, hint, &key);
        if (i == nf) {
            err = mm_mp_skip(r, level + 1);
            continue;
        }
        err = decode_field(r, &fs[i], a, rec);
        seen |= UINT32_C(1) << i;
        hint = i + 1;
    }
    for (size_t i = 0; i < nf && !err; i++)
        if (fs[i].required && !(seen & (UINT32_C(1) << i)))
            err = MM_ECORRUPT;
    return err;
}

static mm_err decode_record(const void *data, size_t len, int version, const struct field *fs,
                            size_t nf, struct mm_arena *a, void *rec)
{
    struct mm_mp_reader r = {data, (const unsigned char *)data + len};
    struct mm_mp_item map, key;
    int64_t v;
    mm_err err = mm_mp_head(&r, &map);
    if (!err && (map.kind != MM_MP_MAP || map.n == 0))
        err = MM_ECORRUPT;
    if (!err)
        err = mm_mp_head(&r, &key);
    if (!err && (key.kind != MM_MP_STR || key.len != 1 || key.data[0] != 'v'))
        err = MM_ECORRUPT;
    if (!err)
        err = mm_mp_read_int(&r, &v);
    if (!err && v > version)
        err = MM_ESCHEMA;
    else if (!err && v < 1)
        err = MM_ECORRUPT;
    if (!err)
        err = decode_entries(&r, fs, nf, map.n - 1, 1, a, rec);
    if (!err && r.p != r.end)
        err = MM_ECORRUPT;
    return err;
}

mm_err mm_codec_request_decode(const void *data, size_t len, struct mm_arena *arena,
                               struct mm_request *out)
{
    memset(out, 0, sizeof(*out));
    return decode_record(data, len, MM_CODEC_REQUEST_VERSION, request_fields,
                         NFIELDS(request_fields), arena, out);
}

mm_err mm_codec_song_decode(const void *data, size_t len, struct mm_arena *arena,
                            struct mm_song *out)
{
    memset(out, 0, sizeof(*out));
    return decode_record(data, len, MM_CODEC_SONG_VERSION, song_fields, NFIELDS(song_fields), arena,
                         out);
}

/* --- equality --- */

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strs_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    bool eq = na == nb;
    for (size_t i = 0; i < na && eq; i++)
        eq = str_eq(a[i], b[i]);
    return eq;
}

static bool fields_same(const struct field *fs, size_t nf, const void *a, const void *b)
{
    bool eq = true;
    for (size_t i = 0; i < nf && eq; i++) {
        const struct field *f = &fs[i];
        if (!f->compared)
            continue;
        switch (f->type) {
        case F_U64: eq = *CAT(a, f->off, uint64_t) == *CAT(b, f->off, uint64_t); break;
        case F_I64:
        case F_OPT_I64: eq = *CAT(a, f->off, int64_t) == *CAT(b, f->off, int64_t); break;
        case F_STR:
        case F_OPT_STR: eq = str_eq(*CAT(a, f->off, char *), *CAT(b, f->off, char *)); break;
        case F_OPT_STRS:
            eq = *CAT(a, f->off_has, bool) == *CAT(b, f->off_has, bool);
            /* fall through */
        case F_STRS:
            eq = eq && strs_eq(*CAT(a, f->off, char **), *CAT(a, f->off_n, size_t),
                               *CAT(b, f->off, char **), *CAT(b, f->off_n, size_t));
            break;
        case F_ANALYSIS: {
            const struct mm_analysis *x = *CAT(a, f->off, struct mm_analysis *);
            const struct mm_analysis *y = *CAT(b, f->off, struct mm_analysis *);
            eq = x == y || (x && y && fields_same(analysis_fields, NFIELDS(analysis_fields), x, y));
            break;
        }
        }
    }
    return eq;
}

bool mm_codec_request_same(const struct mm_request *a, const struct mm_request *b)
{
    return fields_same(request_fields, NFIELDS(request_fields), a, b);
}

bool mm_codec_song_same(const struct mm_song *a, const struct mm_song *b)
{
    return fields_same(song_fields, NFIELDS(song_fields), a, b);
}

/* --- snapshot records --- */

static int song_cmp(const void *x, const void *y)
{
    const struct mm_song *a = x, *b = y;
    if (a->position != b->position)
        return a->position < b->position ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Packs a JSON value found at nesting `level` of the record. */
static void pack_json(struct mm_mp_writer *e, json_t *j, int level)
{
    const char *key;
    size_t key_len, i;
    json_t *val;
    if ((json_is_object(j) || json_is_array(j)) && level > MM_MP_MAX_DEPTH && !e->err)
        e->err = MM_ETOOBIG;
    if (e->err)
        return;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        msgpack_pack_map(&e->pk, json_object_size(j));
        json_object_keylen_foreach(j, key, key_len, val)
        {
            msgpack_pack_str_with_body(&e->pk, key, key_len);
            pack_json(e, val, level + 1);
        }
        break;
    case JSON_ARRAY:
        msgpack_pack_array(&e->pk, json_array_size(j));
        json_array_foreach(j, i, val)
        {
            pack_json(e, val, level + 1);
        }
        break;
    case JSON_STRING:
        msgpack_pack_str_with_body(&e->pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER: msgpack_pack_int64(&e->pk, json_integer_value(j)); break;
    case JSON_REAL: msgpack_pack_double(&e->pk, json_real_value(j)); break;
    case JSON_TRUE: msgpack_pack_true(&e->pk); break;
    case JSON_FALSE: msgpack_pack_false(&e->pk); break;
    case JSON_NULL: msgpack_pack_nil(&e->pk); break;
    }
}

/* The stored dict when `raw` is present (MM_ECORRUPT if it is not JSON),
 * else {mood, matched_criteria}. */
static void pack_analysis(struct mm_mp_writer *e, const struct mm_analysis *a)
{
    if (!a) {
        msgpack_pack_nil(&e->pk);
    } else if (a->raw) {
        json_t *j = json_loads(a->raw, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (j)
            pack_json(e, j, 2);
        else if (!e->err)
            e->err = MM_ECORRUPT;
        json_decref(j);
    } else {
        msgpack_pack_map(&e->pk, 2);
        mm_mp_pack_str(e, "mood");
        mm_mp_pack_str(e, a->mood);
        mm_mp_pack_str(e, "matched_criteria");
        mm_mp_pack_strs(e, a->matched_criteria, a->n_matched_criteria);
    }
}

static void pack_snapshot_song(struct mm_mp_writer *e, const struct mm_song *s)
{
    const struct {
        const char *key;
        const char *val;
    } strs[] = {
        {"track_id", s->track_id},   {"title", s->title},
        {"artist", s->artist},       {"album", s->album},
        {"album_art", s->album_art}, {"preview_url", s->preview_url},
        {"track_url", s->track_url}, {"release_year", s->release_year},
    };
    msgpack_pack_map(&e->pk, 13);
    mm_mp_pack_str(e, "position");
    msgpack_pack_int64(&e->pk, s->position);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        mm_mp_pack_str(e, strs[i].key);
        mm_mp_pack_str(e, strs[i].val);
    }
    mm_mp_pack_str(e, "duration_ms");
    mm_mp_pack_i64(e, s->duration_ms);
    mm_mp_pack_str(e, "duration_formatted");
    mm_mp_pack_str(e, s->duration_formatted);
    mm_mp_pack_str(e, "why");
    mm_mp_pack_str(e, s->why);
    mm_mp_pack_str(e, "matched_criteria");
    if (s->has_matched_criteria)
        mm_mp_pack_strs(e, s->matched_criteria, s->n_matched_criteria);
    else
        msgpack_pack_nil(&e->pk);
}

mm_err mm_codec_snapshot_request_encode(const struct mm_request *r, struct mm_song *songs,
                                        size_t n_songs, struct mm_buf *out)
{
    struct mm_mp_writer e;
    char created[32];
    if (n_songs)
        qsort(songs, n_songs, sizeof(*songs), song_cmp);
    mm_codec_format_time(r->created_at_us, created);
    mm_mp_writer_init(&e, out);
    if (!r->text)
        e.err = MM_EINVAL;
    msgpack_pack_map(&e.pk, 9);
    mm_mp_pack_str(&e, "v");
    msgpack_pack_int(&e.pk, MM_CODEC_SNAPSHOT_REQUEST_VERSION);
    mm_mp_pack_str(&e, "request_id");
    msgpack_pack_uint64(&e.pk, r->id);
    mm_mp_pack_str(&e, "user_id");
    mm_mp_pack_i64(&e, r->user_id);
    mm_mp_pack_str(&e, "text_description");
    mm_mp_pack_str(&e, r->text);
    mm_mp_pack_str(&e, "emojis");
    mm_mp_pack_strs(&e, r->emojis, r->n_emojis);
    mm_mp_pack_str(&e, "num_songs_requested");
    msgpack_pack_int64(&e.pk, r->num_songs);
    mm_mp_pack_str(&e, "analysis");
    pack_analysis(&e, r->analysis);
    mm_mp_pack_str(&e, "created_at");
    mm_mp_pack_str(&e, created);
    mm_mp_pack_str(&e, "songs");
    msgpack_pack_array(&e.pk, n_songs);
    for (size_t i = 0; i < n_songs; i++)
        pack_snapshot_song(&e, &songs[i]);
    return mm_mp_writer_finish(&e);
}
