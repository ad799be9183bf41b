/*
 * mood_row.c — a bounds-checked msgpack reader for the two kinds of values
 * of mood_row.h: never reads past the input, never allocates.
 */
#include "serve/mood_row.h"

#include <string.h>

struct mp {
    const unsigned char *p, *end;
};

/* Reads an n-byte big-endian unsigned integer. */
static bool be(struct mp *m, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if ((size_t)(m->end - m->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | m->p[i];
    m->p += n;
    *out = v;
    return true;
}

static bool read_str(struct mp *m, const char **s, size_t *n)
{
    uint64_t len;
    if (m->p >= m->end)
        return false;
    unsigned c = *m->p++;
    if ((c & 0xe0) == 0xa0)
        len = c & 0x1f;
    else if (c < 0xd9 || c > 0xdb || !be(m, (size_t)1 << (c - 0xd9), &len))
        return false;
    if (len > (uint64_t)(m->end - m->p))
        return false;
    *s = (const char *)m->p;
    *n = (size_t)len;
    m->p += len;
    return true;
}

/* Reads the header of one value: *len payload bytes follow it, then *items
 * values (container elements; a map counts keys and values). */
static bool head(struct mp *m, uint64_t *len, uint64_t *items)
{
    *len = *items = 0;
    if (m->p >= m->end)
        return false;
    unsigned c = *m->p++;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return true; /* fixint, nil, bool */
    if (c <= 0x8f)
        *items = 2 * (c & 0x0f); /* fixmap */
    else if (c <= 0x9f)
        *items = c & 0x0f; /* fixarray */
    else if (c <= 0xbf)
        *len = c & 0x1f; /* fixstr */
    else if (c >= 0xc4 && c <= 0xc6)
        return be(m, (size_t)1 << (c - 0xc4), len); /* bin */
    else if (c >= 0xc7 && c <= 0xc9) {
        bool ok = be(m, (size_t)1 << (c - 0xc7), len); /* ext: a type byte, then data */
        *len += 1;
        return ok;
    } else if (c == 0xca || c == 0xcb)
        *len = c == 0xca ? 4 : 8; /* float */
    else if (c >= 0xcc && c <= 0xd3)
        *len = (uint64_t)1 << (c & 3); /* uint, int */
    else if (c >= 0xd4 && c <= 0xd8)
        *len = 1 + ((uint64_t)1 << (c - 0xd4)); /* fixext */
    else if (c >= 0xd9 && c <= 0xdb)
        return be(m, (size_t)1 << (c - 0xd9), len); /* str */
    else if (c == 0xdc || c == 0xdd)
        return be(m, (size_t)2 << (c - 0xdc), items); /* array */
    else if (c == 0xde || c == 0xdf) {
        bool ok = be(m, (size_t)2 << (c - 0xde), items); /* map */
        *items *= 2;
        return ok;
    } else
        return false; /* 0xc1, never used */
    return true;
}

/* Skips one value, with containers nested at most `depth` levels. */
static bool skip(struct mp *m, int depth)
{
    uint64_t len, items;
    if (depth <= 0 || !head(m, &len, &items) || len > (uint64_t)(m->end - m->p))
        return false;
    m->p += len;
    for (uint64_t i = 0; i < items; i++)
        if (!skip(m, depth - 1))
            return false;
    return true;
}

/* Reads an integer (nil: *has false). */
static bool read_int(struct mp *m, bool *has, int64_t *out)
{
    uint64_t u;
    if (m->p >= m->end)
        return false;
    unsigned c = *m->p++;
    *has = c != 0xc0;
    if (c == 0xc0)
        return true;
    if (c <= 0x7f || c >= 0xe0) {
        *out = (int8_t)c;
        return true;
    }
    if (c < 0xcc || c > 0xd3 || !be(m, (size_t)1 << (c & 3), &u))
        return false;
    if (c <= 0xcf) {
        *out = u > INT64_MAX ? INT64_MAX : (int64_t)u;
        return true;
    }
    unsigned shift = 64 - (8u << (c & 3));
    *out = (int64_t)(u << shift) >> shift;
    return true;
}

/* Skips one number (float or integer), remembering where it lies. */
static bool read_number(struct mp *m, const void **at, size_t *len)
{
    const unsigned char *start = m->p;
    bool ok, has;
    int64_t ignored;
    if (m->p < m->end && (*m->p == 0xca || *m->p == 0xcb))
        ok = skip(m, 1);
    else
        ok = read_int(m, &has, &ignored) && has;
    *at = start;
    *len = (size_t)(m->p - start);
    return ok;
}

mm_err mm_mood_row_read(const void *data, size_t len, struct mm_mood_row_view *out)
{
    struct mp m = {data, (const unsigned char *)data + len};
    uint64_t n = 0;
    const char *k;
    size_t kl;
    bool ok = true;
    *out = (struct mm_mood_row_view){0};
    if (m.p < m.end && (*m.p & 0xf0) == 0x80) {
        n = *m.p++ & 0x0f; /* fixmap */
    } else if (m.p < m.end && *m.p == 0xde) {
        m.p++; /* map16 */
        ok = be(&m, 2, &n);
    } else {
        ok = false;
    }
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = read_str(&m, &k, &kl);
        if (ok && kl == 5 && memcmp(k, "track", 5) == 0)
            ok = read_str(&m, &out->track, &out->track_len);
        else if (ok && kl == 3 && memcmp(k, "fit", 3) == 0)
            ok = read_number(&m, &out->fit, &out->fit_len);
        else if (ok && kl == 10 && memcmp(k, "popularity", 10) == 0)
            ok = read_int(&m, &out->has_popularity, &out->popularity);
        else if (ok)
            ok = skip(&m, MM_MOOD_ROW_MAX_DEPTH);
    }
    return ok && m.p == m.end && out->track && out->fit ? MM_OK : MM_ECORRUPT;
}

mm_err mm_mood_row_name_read(const void *data, size_t len, const char **name, size_t *name_len)
{
    struct mp m = {data, (const unsigned char *)data + len};
    return read_str(&m, name, name_len) && m.p == m.end ? MM_OK : MM_ECORRUPT;
}
