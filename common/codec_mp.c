/*
 * codec_mp.c — the bounds-checked msgpack reader of the codec module (codec_mp.h).
 */
#include "common/codec_mp.h"
#include "common/codec.h"

#include <string.h>

static uint64_t be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Takes `n` bytes from the input. */
static bool take(struct mm_mp_reader *r, size_t n, const unsigned char **out)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    *out = r->p;
    r->p += n;
    return true;
}

/* Reads a big-endian length of `width` bytes, then that many bytes (plus `extra`). */
static bool take_sized(struct mm_mp_reader *r, unsigned width, size_t extra, struct mm_mp_item *it)
{
    const unsigned char *lp;
    if (!take(r, width, &lp))
        return false;
    it->len = (size_t)be(lp, width);
    if (!take(r, it->len + extra, &it->data))
        return false;
    it->data += extra;
    return true;
}

/* Containers cannot hold more elements than there are bytes left. */
static bool container(struct mm_mp_reader *r, enum mm_mp_kind kind, uint64_t n,
                      struct mm_mp_item *it)
{
    it->kind = kind;
    it->n = (uint32_t)n;
    return n * (kind == MM_MP_MAP ? 2 : 1) <= (uint64_t)(r->end - r->p);
}

static bool scalar_int(struct mm_mp_reader *r, unsigned width, bool sign, struct mm_mp_item *it)
{
    const unsigned char *p;
    if (!take(r, width, &p))
        return false;
    uint64_t v = be(p, width);
    if (sign && width < 8 && (v >> (width * 8 - 1)))
        v |= ~(uint64_t)0 << (width * 8);
    if (sign && (int64_t)v < 0) {
        it->kind = MM_MP_INT;
        it->i = (int64_t)v;
    } else {
        it->kind = MM_MP_UINT;
        it->u = v;
    }
    return true;
}

static bool scalar_float(struct mm_mp_reader *r, bool f32, struct mm_mp_item *it)
{
    const unsigned char *p;
    if (!take(r, f32 ? 4 : 8, &p))
        return false;
    it->kind = MM_MP_FLOAT;
    it->f32 = f32;
    if (f32) {
        uint32_t bits = (uint32_t)be(p, 4);
        float f;
        memcpy(&f, &bits, 4);
        it->f = f;
    } else {
        uint64_t bits = be(p, 8);
        memcpy(&it->f, &bits, 8);
    }
    return true;
}

static bool head_ok(struct mm_mp_reader *r, unsigned c, struct mm_mp_item *it)
{
    if (c <= 0x7f || c >= 0xe0) {
        it->kind = c <= 0x7f ? MM_MP_UINT : MM_MP_INT;
        it->u = c;
        it->i = (int8_t)c;
        return true;
    }
    if (c >= 0x80 && c <= 0x8f)
        return container(r, MM_MP_MAP, c & 0x0f, it);
    if (c >= 0x90 && c <= 0x9f)
        return container(r, MM_MP_ARRAY, c & 0x0f, it);
    if (c >= 0xa0 && c <= 0xbf) {
        it->kind = MM_MP_STR;
        it->len = c & 0x1f;
        return take(r, it->len, &it->data);
    }
    const unsigned char *p;
    switch (c) {
    case 0xc0: it->kind = MM_MP_NIL; return true;
    case 0xc2:
    case 0xc3:
        it->kind = MM_MP_BOOL;
        it->b = c == 0xc3;
        return true;
    case 0xc4:
    case 0xc5:
    case 0xc6: it->kind = MM_MP_BIN; return take_sized(r, 1u << (c - 0xc4), 0, it);
    case 0xc7:
    case 0xc8:
    case 0xc9: it->kind = MM_MP_EXT; return take_sized(r, 1u << (c - 0xc7), 1, it);
    case 0xca:
    case 0xcb: return scalar_float(r, c == 0xca, it);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: return scalar_int(r, 1u << (c - 0xcc), false, it);
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: return scalar_int(r, 1u << (c - 0xd0), true, it);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        it->kind = MM_MP_EXT;
        it->len = 1u << (c - 0xd4);
        return take(r, it->len + 1, &it->data);
    case 0xd9:
    case 0xda:
    case 0xdb: it->kind = MM_MP_STR; return take_sized(r, 1u << (c - 0xd9), 0, it);
    case 0xdc:
    case 0xdd:
        return take(r, c == 0xdc ? 2 : 4, &p) &&
               container(r, MM_MP_ARRAY, be(p, c == 0xdc ? 2 : 4), it);
    case 0xde:
    case 0xdf:
        return take(r, c == 0xde ? 2 : 4, &p) &&
               container(r, MM_MP_MAP, be(p, c == 0xde ? 2 : 4), it);
    default: return false; /* 0xc1 is never used */
    }
}

mm_err mm_mp_head(struct mm_mp_reader *r, struct mm_mp_item *it)
{
    if (r->p >= r->end)
        return MM_ECORRUPT;
    unsigned c = *r->p++;
    return head_ok(r, c, it) ? MM_OK : MM_ECORRUPT;
}

mm_err mm_mp_skip(struct mm_mp_reader *r, int level)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_head(r, &it);
    if (!err && (it.kind == MM_MP_ARRAY || it.kind == MM_MP_MAP) && level > MM_MP_MAX_DEPTH)
        err = MM_ECORRUPT;
    if (err || (it.kind != MM_MP_ARRAY && it.kind != MM_MP_MAP))
        return err;
    uint64_t n = (uint64_t)it.n * (it.kind == MM_MP_MAP ? 2 : 1);
    for (uint64_t i = 0; i < n && !err; i++)
        err = mm_mp_skip(r, level + 1);
    return err;
}

/* --- typed reads --- */

mm_err mm_mp_read_kind(struct mm_mp_reader *r, enum mm_mp_kind kind, struct mm_mp_item *it)
{
    mm_err err = mm_mp_head(r, it);
    if (!err && it->kind != kind)
        err = MM_ECORRUPT;
    return err;
}

bool mm_mp_take_nil(struct mm_mp_reader *r)
{
    bool nil = r->p < r->end && *r->p == 0xc0;
    r->p += nil;
    return nil;
}

mm_err mm_mp_read_str(struct mm_mp_reader *r, struct mm_arena *a, char **out)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_read_kind(r, MM_MP_STR, &it);
    if (!err && memchr(it.data, '\0', it.len))
        err = MM_ECORRUPT;
    if (!err)
        *out = mm_arena_strndup(a, (const char *)it.data, it.len);
    return err;
}

mm_err mm_mp_read_int(struct mm_mp_reader *r, int64_t *out)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_head(r, &it);
    if (!err && it.kind == MM_MP_INT)
        *out = it.i;
    else if (!err && it.kind == MM_MP_UINT && it.u <= INT64_MAX)
        *out = (int64_t)it.u;
    else if (!err)
        err = MM_ECORRUPT;
    return err;
}

mm_err mm_mp_read_strs(struct mm_mp_reader *r, struct mm_arena *a, char ***items, size_t *n)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_read_kind(r, MM_MP_ARRAY, &it);
    if (err)
        return err;
    *n = it.n;
    *items = it.n ? mm_arena_alloc(a, it.n * sizeof(char *)) : NULL;
    for (uint32_t i = 0; i < it.n && !err; i++)
        err = mm_mp_read_str(r, a, &(*items)[i]);
    return err;
}

/* --- writer --- */

static int writer_write(void *data, const char *buf, size_t len)
{
    struct mm_mp_writer *w = data;
    if (!w->err)
        w->err = mm_buf_append(w->out, buf, len);
    return w->err ? -1 : 0;
}

void mm_mp_writer_init(struct mm_mp_writer *w, struct mm_buf *out)
{
    w->out = out;
    w->start = out->len;
    w->err = MM_OK;
    msgpack_packer_init(&w->pk, w, writer_write);
}

void mm_mp_writer_fail(struct mm_mp_writer *w, mm_err err)
{
    if (!w->err)
        w->err = err;
}

mm_err mm_mp_writer_finish(struct mm_mp_writer *w)
{
    if (w->err && w->out->data) {
        w->out->len = w->start;
        w->out->data[w->start] = '\0';
    }
    return w->err;
}

void mm_mp_pack_str(struct mm_mp_writer *w, const char *s)
{
    if (s)
        msgpack_pack_str_with_body(&w->pk, s, strlen(s));
    else
        msgpack_pack_nil(&w->pk);
}

void mm_mp_pack_i64(struct mm_mp_writer *w, int64_t v)
{
    if (v == MM_NULL_INT)
        msgpack_pack_nil(&w->pk);
    else
        msgpack_pack_int64(&w->pk, v);
}

void mm_mp_pack_strs(struct mm_mp_writer *w, char *const *items, size_t n)
{
    msgpack_pack_array(&w->pk, n);
    for (size_t i = 0; i < n; i++) {
        if (!items[i])
            mm_mp_writer_fail(w, MM_EINVAL);
        mm_mp_pack_str(w, items[i]);
    }
}
