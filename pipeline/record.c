#include "pipeline/record.h"

#include <string.h>

bool mm_record_key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

bool mm_record_get_str(const msgpack_object *v, bool nullable, struct mm_arena *a, char **out)
{
    bool ok = v->type == MSGPACK_OBJECT_STR || (nullable && v->type == MSGPACK_OBJECT_NIL);
    *out = ok && v->type == MSGPACK_OBJECT_STR
               ? mm_arena_strndup(a, v->via.str.ptr, v->via.str.size)
               : NULL;
    return ok;
}

bool mm_record_get_i64(const msgpack_object *v, int64_t *out)
{
    bool ok = (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX) ||
              v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    *out = !ok ? 0 : v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? v->via.i64 : (int64_t)v->via.u64;
    return ok;
}

bool mm_record_get_u64(const msgpack_object *v, uint64_t *out)
{
    *out = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
    return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
}

bool mm_record_get_num(const msgpack_object *v, bool nullable, double *out)
{
    int64_t i = 0;
    bool ok = true;
    *out = 0;
    if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
        *out = v->via.f64;
    else if (mm_record_get_i64(v, &i))
        *out = (double)i;
    else
        ok = nullable && v->type == MSGPACK_OBJECT_NIL;
    return ok;
}

int mm_record_get_enum(const msgpack_object *v, const char *const *names, size_t n)
{
    int found = -1;
    for (size_t i = 0; i < n && found < 0 && v->type == MSGPACK_OBJECT_STR; i++)
        if (mm_record_key_is(v, names[i]))
            found = (int)i;
    return found;
}

mm_err mm_record_unpack_root(const void *data, size_t len, int version, msgpack_unpacked *u,
                             const msgpack_object_map **out)
{
    size_t off = 0;
    int64_t v = 0;
    mm_err err = MM_ECORRUPT;
    if (msgpack_unpack_next(u, data, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len) {
        const msgpack_object *root = &u->data;
        if (root->type == MSGPACK_OBJECT_MAP && root->via.map.size > 0 &&
            mm_record_key_is(&root->via.map.ptr[0].key, "v") &&
            mm_record_get_i64(&root->via.map.ptr[0].val, &v) && v >= 1) {
            err = v > version ? MM_ESCHEMA : MM_OK;
            *out = &root->via.map;
        }
    }
    return err;
}
