/*
 * enrich_record.c — mention keys and the msgpack mention and resolution
 * records of enrich.h.
 *
 * Encoding goes through msgpack-c's packer into an mm_buf (capped); decoding
 * unpacks one msgpack object tree (msgpack-c zone, freed before returning)
 * and copies what it keeps into the caller's arena. "v" must be the first
 * key, so the version is known before any other field is read; unknown keys
 * are skipped so that older binaries read newer minor additions.
 */
#include "pipeline/enrich.h"

#include <msgpack.h>
#include <string.h>

#include "common/match.h"

static const char *const status_names[] = {"pending", "resolved", "unresolved", "retryable"};
static const char *const outcome_names[] = {"none", "found", "not_found", "retryable", "failed"};
#define N_STATUS (sizeof(status_names) / sizeof(status_names[0]))
#define N_OUTCOME (sizeof(outcome_names) / sizeof(outcome_names[0]))

const char *mm_mention_status_name(enum mm_mention_status s)
{
    return (size_t)s < N_STATUS ? status_names[s] : "unknown";
}

const char *mm_outcome_name(enum mm_outcome o)
{
    return (size_t)o < N_OUTCOME ? outcome_names[o] : "unknown";
}

mm_err mm_enrich_mention_key(const char *title, const char *artist, struct mm_buf *out)
{
    size_t start = out->len;
    mm_err err = artist ? mm_match_artist_key(artist, out) : MM_OK;
    if (!err)
        err = mm_buf_appendc(out, '\x1f');
    if (!err)
        err = mm_match_title_key(title, out);
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

mm_err mm_enrich_resolution_key(enum mm_source source, const char *mention_key, size_t key_len,
                                struct mm_buf *out)
{
    size_t start = out->len;
    mm_err err = mm_buf_appendc(out, (char)(unsigned char)source);
    if (!err)
        err = mm_buf_append(out, mention_key, key_len);
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

/* --- encoding --- */

/* Packer state: the first append error is kept and later writes refused. */
struct enc {
    struct mm_buf *out;
    size_t start;
    mm_err err;
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

static void pk_key(struct enc *e, const char *name)
{
    msgpack_pack_str_with_body(&e->pk, name, strlen(name));
}

static void pk_outcomes(struct enc *e, const struct mm_mention_outcome *p)
{
    uint32_t n = 0;
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        n += p[s].outcome != MM_OUTCOME_NONE;
    msgpack_pack_map(&e->pk, n);
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        if (p[s].outcome == MM_OUTCOME_NONE)
            continue;
        pk_key(e, mm_source_name((enum mm_source)s));
        msgpack_pack_map(&e->pk, 3);
        pk_key(e, "outcome");
        pk_str(e, mm_outcome_name(p[s].outcome));
        pk_key(e, "reason");
        pk_str(e, p[s].reason);
        pk_key(e, "at");
        msgpack_pack_int64(&e->pk, p[s].at_us);
    }
}

mm_err mm_enrich_mention_encode(const struct mm_mention_record *m, struct mm_buf *out)
{
    struct enc e;
    bool resolved = m->status == MM_MENTION_RESOLVED;
    enc_init(&e, out);
    if (!m->title || (resolved && !m->track) || (size_t)m->status >= N_STATUS)
        return MM_EINVAL;
    msgpack_pack_map(&e.pk, 12);
    pk_key(&e, "v");
    msgpack_pack_int(&e.pk, MM_MENTION_VERSION);
    pk_key(&e, "title");
    pk_str(&e, m->title);
    pk_key(&e, "artist");
    pk_str(&e, m->artist);
    pk_key(&e, "songs");
    msgpack_pack_uint64(&e.pk, m->songs);
    pk_key(&e, "counted_run");
    pk_str(&e, m->counted_run);
    pk_key(&e, "status");
    pk_str(&e, status_names[m->status]);
    pk_key(&e, "track");
    pk_str(&e, resolved ? m->track : NULL);
    pk_key(&e, "source");
    pk_str(&e, resolved ? mm_source_name(m->source) : NULL);
    pk_key(&e, "score");
    if (resolved)
        msgpack_pack_double(&e.pk, m->score);
    else
        msgpack_pack_nil(&e.pk);
    pk_key(&e, "providers");
    pk_outcomes(&e, m->providers);
    pk_key(&e, "attempts");
    msgpack_pack_uint64(&e.pk, m->attempts);
    pk_key(&e, "last_run");
    pk_str(&e, m->last_run);
    return enc_finish(&e);
}

mm_err mm_enrich_resolution_encode(const struct mm_resolution *r, struct mm_buf *out)
{
    struct enc e;
    enc_init(&e, out);
    if (r->found && !r->track)
        return MM_EINVAL;
    msgpack_pack_map(&e.pk, 6);
    pk_key(&e, "v");
    msgpack_pack_int(&e.pk, MM_RESOLUTION_VERSION);
    pk_key(&e, "outcome");
    pk_str(&e, r->found ? "found" : "not_found");
    pk_key(&e, "track");
    pk_str(&e, r->found ? r->track : NULL);
    pk_key(&e, "score");
    if (r->found)
        msgpack_pack_double(&e.pk, r->score);
    else
        msgpack_pack_nil(&e.pk);
    pk_key(&e, "reason");
    pk_str(&e, r->found ? NULL : r->reason);
    pk_key(&e, "fetched_at");
    msgpack_pack_int64(&e.pk, r->fetched_at_us);
    return enc_finish(&e);
}

/* --- decoding --- */

static bool key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

/* A string (or nil when `nullable`) into *out; false on any other type. */
static bool get_str(const msgpack_object *v, bool nullable, struct mm_arena *a, char **out)
{
    *out =
        v->type == MSGPACK_OBJECT_STR ? mm_arena_strndup(a, v->via.str.ptr, v->via.str.size) : NULL;
    return v->type == MSGPACK_OBJECT_STR || (nullable && v->type == MSGPACK_OBJECT_NIL);
}

static bool get_i64(const msgpack_object *v, int64_t *out)
{
    bool ok = (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX) ||
              v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    *out = !ok ? 0 : v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? v->via.i64 : (int64_t)v->via.u64;
    return ok;
}

static bool get_u64(const msgpack_object *v, uint64_t *out)
{
    *out = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
    return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
}

/* A float or an integer (or nil, giving 0, when `nullable`). */
static bool get_num(const msgpack_object *v, bool nullable, double *out)
{
    int64_t i = 0;
    bool ok = true;
    *out = 0;
    if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
        *out = v->via.f64;
    else if (get_i64(v, &i))
        *out = (double)i;
    else
        ok = nullable && v->type == MSGPACK_OBJECT_NIL;
    return ok;
}

/* Index of the string v among names[0..n), or -1. */
static int get_enum(const msgpack_object *v, const char *const *names, size_t n)
{
    int found = -1;
    for (size_t i = 0; i < n && found < 0 && v->type == MSGPACK_OBJECT_STR; i++)
        if (key_is(v, names[i]))
            found = (int)i;
    return found;
}

/* Unpacks `data` into u; the root map when its first key "v" is 1..version. */
static mm_err unpack_root(const void *data, size_t len, int version, msgpack_unpacked *u,
                          const msgpack_object_map **out)
{
    size_t off = 0;
    int64_t v;
    if (msgpack_unpack_next(u, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        return MM_ECORRUPT;
    const msgpack_object *root = &u->data;
    if (root->type != MSGPACK_OBJECT_MAP || root->via.map.size == 0 ||
        !key_is(&root->via.map.ptr[0].key, "v") || !get_i64(&root->via.map.ptr[0].val, &v) || v < 1)
        return MM_ECORRUPT;
    if (v > version)
        return MM_ESCHEMA;
    *out = &root->via.map;
    return MM_OK;
}

static bool decode_outcome(const msgpack_object *v, struct mm_arena *a,
                           struct mm_mention_outcome *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP;
    int outcome = -1;
    for (uint32_t i = 0; ok && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
        if (key_is(k, "outcome"))
            ok = (outcome = get_enum(x, outcome_names, N_OUTCOME)) > MM_OUTCOME_NONE;
        else if (key_is(k, "reason"))
            ok = get_str(x, true, a, &out->reason);
        else if (key_is(k, "at"))
            ok = get_i64(x, &out->at_us);
    }
    out->outcome = ok && outcome > 0 ? (enum mm_outcome)outcome : MM_OUTCOME_NONE;
    return ok && outcome > 0;
}

static bool decode_outcomes(const msgpack_object *v, struct mm_arena *a,
                            struct mm_mention_outcome *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP;
    for (uint32_t i = 0; ok && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key;
        char name[16] = "";
        enum mm_source s;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size < sizeof(name))
            memcpy(name, k->via.str.ptr, k->via.str.size);
        if (mm_source_parse(name, &s) == MM_OK)
            ok = decode_outcome(&v->via.map.ptr[i].val, a, &out[s]);
    }
    return ok;
}

/* One field of a mention record; false when its value has the wrong type. */
static bool mention_field(const msgpack_object *k, const msgpack_object *v, struct mm_arena *a,
                          struct mm_mention_record *m, int *status, char **source)
{
    bool ok = true;
    if (key_is(k, "title"))
        ok = get_str(v, false, a, &m->title);
    else if (key_is(k, "artist"))
        ok = get_str(v, true, a, &m->artist);
    else if (key_is(k, "songs"))
        ok = get_u64(v, &m->songs);
    else if (key_is(k, "counted_run"))
        ok = get_str(v, true, a, &m->counted_run);
    else if (key_is(k, "status"))
        ok = (*status = get_enum(v, status_names, N_STATUS)) >= 0;
    else if (key_is(k, "track"))
        ok = get_str(v, true, a, &m->track);
    else if (key_is(k, "source"))
        ok = get_str(v, true, a, source);
    else if (key_is(k, "score"))
        ok = get_num(v, true, &m->score);
    else if (key_is(k, "providers"))
        ok = decode_outcomes(v, a, m->providers);
    else if (key_is(k, "attempts"))
        ok = get_u64(v, &m->attempts);
    else if (key_is(k, "last_run"))
        ok = get_str(v, true, a, &m->last_run);
    return ok;
}

mm_err mm_enrich_mention_decode(const void *data, size_t len, struct mm_arena *arena,
                                struct mm_mention_record *out)
{
    msgpack_unpacked u;
    const msgpack_object_map *map;
    int status = -1;
    char *source = NULL;
    memset(out, 0, sizeof(*out));
    msgpack_unpacked_init(&u);
    mm_err err = unpack_root(data, len, MM_MENTION_VERSION, &u, &map);
    for (uint32_t i = 1; !err && i < map->size; i++)
        if (!mention_field(&map->ptr[i].key, &map->ptr[i].val, arena, out, &status, &source))
            err = MM_ECORRUPT;
    if (!err && (!out->title || status < 0))
        err = MM_ECORRUPT;
    if (!err) {
        out->status = (enum mm_mention_status)status;
        if (status == MM_MENTION_RESOLVED &&
            (!out->track || !source || mm_source_parse(source, &out->source) != MM_OK))
            err = MM_ECORRUPT;
    }
    msgpack_unpacked_destroy(&u);
    return err;
}

mm_err mm_enrich_resolution_decode(const void *data, size_t len, struct mm_arena *arena,
                                   struct mm_resolution *out)
{
    static const char *const outcomes[] = {"not_found", "found"};
    msgpack_unpacked u;
    const msgpack_object_map *map;
    int outcome = -1;
    bool has_at = false, ok = true;
    memset(out, 0, sizeof(*out));
    msgpack_unpacked_init(&u);
    mm_err err = unpack_root(data, len, MM_RESOLUTION_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (key_is(k, "outcome"))
            ok = (outcome = get_enum(v, outcomes, 2)) >= 0;
        else if (key_is(k, "track"))
            ok = get_str(v, true, arena, &out->track);
        else if (key_is(k, "score"))
            ok = get_num(v, true, &out->score);
        else if (key_is(k, "reason"))
            ok = get_str(v, true, arena, &out->reason);
        else if (key_is(k, "fetched_at"))
            ok = has_at = get_i64(v, &out->fetched_at_us);
    }
    out->found = outcome == 1;
    if (!err && (!ok || outcome < 0 || !has_at || (out->found && !out->track)))
        err = MM_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    return err;
}
