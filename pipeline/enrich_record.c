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

#include "common/codec_mp.h"
#include "common/match.h"
#include "pipeline/record.h"

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

static void pk_key(struct mm_mp_writer *e, const char *name)
{
    msgpack_pack_str_with_body(&e->pk, name, strlen(name));
}

static void pk_outcomes(struct mm_mp_writer *e, const struct mm_mention_outcome *p)
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
        mm_mp_pack_str(e, mm_outcome_name(p[s].outcome));
        pk_key(e, "reason");
        mm_mp_pack_str(e, p[s].reason);
        pk_key(e, "at");
        msgpack_pack_int64(&e->pk, p[s].at_us);
    }
}

mm_err mm_enrich_mention_encode(const struct mm_mention_record *m, struct mm_buf *out)
{
    struct mm_mp_writer e;
    bool resolved = m->status == MM_MENTION_RESOLVED;
    mm_mp_writer_init(&e, out);
    if (!m->title || (resolved && !m->track) || (size_t)m->status >= N_STATUS)
        return MM_EINVAL;
    msgpack_pack_map(&e.pk, 12);
    pk_key(&e, "v");
    msgpack_pack_int(&e.pk, MM_MENTION_VERSION);
    pk_key(&e, "title");
    mm_mp_pack_str(&e, m->title);
    pk_key(&e, "artist");
    mm_mp_pack_str(&e, m->artist);
    pk_key(&e, "songs");
    msgpack_pack_uint64(&e.pk, m->songs);
    pk_key(&e, "counted_run");
    mm_mp_pack_str(&e, m->counted_run);
    pk_key(&e, "status");
    mm_mp_pack_str(&e, status_names[m->status]);
    pk_key(&e, "track");
    mm_mp_pack_str(&e, resolved ? m->track : NULL);
    pk_key(&e, "source");
    mm_mp_pack_str(&e, resolved ? mm_source_name(m->source) : NULL);
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
    mm_mp_pack_str(&e, m->last_run);
    return mm_mp_writer_finish(&e);
}

mm_err mm_enrich_resolution_encode(const struct mm_resolution *r, struct mm_buf *out)
{
    struct mm_mp_writer e;
    mm_mp_writer_init(&e, out);
    if (r->found && !r->track)
        return MM_EINVAL;
    msgpack_pack_map(&e.pk, 6);
    pk_key(&e, "v");
    msgpack_pack_int(&e.pk, MM_RESOLUTION_VERSION);
    pk_key(&e, "outcome");
    mm_mp_pack_str(&e, r->found ? "found" : "not_found");
    pk_key(&e, "track");
    mm_mp_pack_str(&e, r->found ? r->track : NULL);
    pk_key(&e, "score");
    if (r->found)
        msgpack_pack_double(&e.pk, r->score);
    else
        msgpack_pack_nil(&e.pk);
    pk_key(&e, "reason");
    mm_mp_pack_str(&e, r->found ? NULL : r->reason);
    pk_key(&e, "fetched_at");
    msgpack_pack_int64(&e.pk, r->fetched_at_us);
    return mm_mp_writer_finish(&e);
}

/* --- decoding --- */

static bool decode_outcome(const msgpack_object *v, struct mm_arena *a,
                           struct mm_mention_outcome *out)
{
    bool ok = v->type == MSGPACK_OBJECT_MAP;
    int outcome = -1;
    for (uint32_t i = 0; ok && i < v->via.map.size; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
        if (mm_record_key_is(k, "outcome"))
            ok = (outcome = mm_record_get_enum(x, outcome_names, N_OUTCOME)) > MM_OUTCOME_NONE;
        else if (mm_record_key_is(k, "reason"))
            ok = mm_record_get_str(x, true, a, &out->reason);
        else if (mm_record_key_is(k, "at"))
            ok = mm_record_get_i64(x, &out->at_us);
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
    if (mm_record_key_is(k, "title"))
        ok = mm_record_get_str(v, false, a, &m->title);
    else if (mm_record_key_is(k, "artist"))
        ok = mm_record_get_str(v, true, a, &m->artist);
    else if (mm_record_key_is(k, "songs"))
        ok = mm_record_get_u64(v, &m->songs);
    else if (mm_record_key_is(k, "counted_run"))
        ok = mm_record_get_str(v, true, a, &m->counted_run);
    else if (mm_record_key_is(k, "status"))
        ok = (*status = mm_record_get_enum(v, status_names, N_STATUS)) >= 0;
    else if (mm_record_key_is(k, "track"))
        ok = mm_record_get_str(v, true, a, &m->track);
    else if (mm_record_key_is(k, "source"))
        ok = mm_record_get_str(v, true, a, source);
    else if (mm_record_key_is(k, "score"))
        ok = mm_record_get_num(v, true, &m->score);
    else if (mm_record_key_is(k, "providers"))
        ok = decode_outcomes(v, a, m->providers);
    else if (mm_record_key_is(k, "attempts"))
        ok = mm_record_get_u64(v, &m->attempts);
    else if (mm_record_key_is(k, "last_run"))
        ok = mm_record_get_str(v, true, a, &m->last_run);
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
    mm_err err = mm_record_unpack_root(data, len, MM_MENTION_VERSION, &u, &map);
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
    mm_err err = mm_record_unpack_root(data, len, MM_RESOLUTION_VERSION, &u, &map);
    for (uint32_t i = 1; !err && ok && i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (mm_record_key_is(k, "outcome"))
            ok = (outcome = mm_record_get_enum(v, outcomes, 2)) >= 0;
        else if (mm_record_key_is(k, "track"))
            ok = mm_record_get_str(v, true, arena, &out->track);
        else if (mm_record_key_is(k, "score"))
            ok = mm_record_get_num(v, true, &out->score);
        else if (mm_record_key_is(k, "reason"))
            ok = mm_record_get_str(v, true, arena, &out->reason);
        else if (mm_record_key_is(k, "fetched_at"))
            ok = has_at = mm_record_get_i64(v, &out->fetched_at_us);
    }
    out->found = outcome == 1;
    if (!err && (!ok || outcome < 0 || !has_at || (out->found && !out->track)))
        err = MM_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    return err;
}
