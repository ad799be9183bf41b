/*
 * codec_render.c — the generic msgpack → JSON renderer of the server and the
 * timestamp format of the records (codec.h).
 *
 * The renderer walks the msgpack bytes once (codec_mp.h) and writes JSON
 * through a stack chunk into the caller's buffer: no other allocation, no
 * object tree, recursion bounded by MM_MP_MAX_DEPTH.
 */
#include "common/codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec_mp.h"

/* Writes `v` in decimal, zero-padded to at least `width` digits; returns the end. */
static char *put_num(char *p, uint64_t v, int width)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* JSON output staged in a stack chunk and appended to the caller's buffer in
 * large pieces: the renderer's only memory is that buffer. */
struct out {
    struct mm_buf *buf;
    size_t n;
    char chunk[4096];
};

static mm_err flush(struct out *o)
{
    mm_err err = mm_buf_append(o->buf, o->chunk, o->n);
    o->n = 0;
    return err;
}

static mm_err put(struct out *o, const void *p, size_t len)
{
    mm_err err = MM_OK;
    if (len > sizeof(o->chunk) - o->n)
        err = flush(o);
    if (!err && len > sizeof(o->chunk))
        err = mm_buf_append(o->buf, p, len);
    else if (!err) {
        memcpy(o->chunk + o->n, p, len);
        o->n += len;
    }
    return err;
}

static mm_err putc_(struct out *o, char c)
{
    mm_err err = o->n < sizeof(o->chunk) ? MM_OK : flush(o);
    if (!err)
        o->chunk[o->n++] = c;
    return err;
}

/* Length of the valid UTF-8 sequence at s (a non-ASCII lead byte), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || n < len)
        return 0;
    unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* The JSON text standing for byte `c`, which cannot be copied as is. */
static mm_err escape(unsigned c, struct out *o)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xf], hex[c & 0xf]};
    const char *seq = u;
    size_t len = 2;
    switch (c) {
    case '"': seq = "\\\""; break;
    case '\\': seq = "\\\\"; break;
    case '\n': seq = "\\n"; break;
    case '\r': seq = "\\r"; break;
    case '\t': seq = "\\t"; break;
    case '\b': seq = "\\b"; break;
    case '\f': seq = "\\f"; break;
    default:
        seq = c >= 0x80 ? "\xef\xbf\xbd" : u; /* U+FFFD for a byte of invalid UTF-8 */
        len = c >= 0x80 ? 3 : 6;
    }
    return put(o, seq, len);
}

/* Number of leading bytes of s that are printable ASCII other than '"' and
 * '\\' (copied as is), eight at a time. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if (((x - ones * 0x20) | (q - ones) | (b - ones) | x) & high)
            break;
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

static mm_err render_str(const unsigned char *s, size_t n, struct out *o)
{
    mm_err err = putc_(o, '"');
    size_t start = 0, i = 0;
    while (i < n && !err) {
        i += plain_run(s + i, n - i);
        size_t l = i < n && s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (l) {
            i += l;
            continue;
        }
        if (i == n)
            break;
        err = put(o, s + start, i - start);
        if (!err)
            err = escape(s[i++], o);
        start = i;
    }
    if (!err)
        err = put(o, s + start, n - start);
    if (!err)
        err = putc_(o, '"');
    return err;
}

/* The shortest of %.15g..%.17g (%.6g..%.9g for float32) that reads back as the same value. */
static mm_err render_float(const struct mm_mp_item *it, struct out *o)
{
    char tmp[40];
    int prec = it->f32 ? 6 : 15, last = it->f32 ? 9 : 17;
    if (!isfinite(it->f))
        return put(o, "null", 4);
    double a = fabs(it->f);
    if (!it->f32 && a >= 1e-4 && a < 1e9) {
        /* exact at <= 6 decimals: the digits of round(f * 1e6) read back as f */
        double scaled = a * 1e6;
        int64_t i = (int64_t)(scaled + 0.5);
        if ((double)i / 1e6 == a) {
            char *p = tmp, *q;
            int64_t ip = i / 1000000, fp = i % 1000000;
            if (it->f < 0)
                *p++ = '-';
            p = put_num(p, (uint64_t)ip, 1);
            if (fp) {
                *p++ = '.';
                q = put_num(p, (uint64_t)fp, 6);
                while (q[-1] == '0')
                    q--;
                p = q;
            }
            return put(o, tmp, (size_t)(p - tmp));
        }
    }
    for (;; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, it->f);
        double back = strtod(tmp, NULL);
        if (prec == last || (it->f32 ? (float)back == (float)it->f : back == it->f))
            break;
    }
    return put(o, tmp, strlen(tmp));
}

static mm_err render_int(uint64_t magnitude, bool negative, struct out *o)
{
    char tmp[21];
    char *p = tmp;
    if (negative)
        *p++ = '-';
    p = put_num(p, magnitude, 1);
    return put(o, tmp, (size_t)(p - tmp));
}

static mm_err render(struct mm_mp_reader *r, struct out *o, int level);

static mm_err render_map(struct mm_mp_reader *r, uint32_t n, struct out *o, int level)
{
    mm_err err = putc_(o, '{');
    bool first = true;
    for (uint32_t i = 0; i < n && !err; i++) {
        struct mm_mp_item key;
        err = mm_mp_head(r, &key);
        if (!err && key.kind != MM_MP_STR)
            err = MM_ECORRUPT;
        if (!err && key.len == 1 && key.data[0] == 'v') {
            err = mm_mp_skip(r, level + 1);
            continue;
        }
        if (!err && !first)
            err = putc_(o, ',');
        first = false;
        if (!err)
            err = render_str(key.data, key.len, o);
        if (!err)
            err = putc_(o, ':');
        if (!err)
            err = render(r, o, level + 1);
    }
    if (!err)
        err = putc_(o, '}');
    return err;
}

static mm_err render_array(struct mm_mp_reader *r, uint32_t n, struct out *o, int level)
{
    mm_err err = putc_(o, '[');
    for (uint32_t i = 0; i < n && !err; i++) {
        if (i)
            err = putc_(o, ',');
        if (!err)
            err = render(r, o, level + 1);
    }
    if (!err)
        err = putc_(o, ']');
    return err;
}

/* Renders the value found at nesting `level`; bin and ext values have no
 * JSON form in our records and are MM_ECORRUPT. */
static mm_err render(struct mm_mp_reader *r, struct out *o, int level)
{
    struct mm_mp_item it;
    mm_err err = mm_mp_head(r, &it);
    if (!err && (it.kind == MM_MP_ARRAY || it.kind == MM_MP_MAP) && level > MM_MP_MAX_DEPTH)
        err = MM_ECORRUPT;
    if (err)
        return err;
    switch (it.kind) {
    case MM_MP_NIL: err = put(o, "null", 4); break;
    case MM_MP_BOOL: err = it.b ? put(o, "true", 4) : put(o, "false", 5); break;
    case MM_MP_UINT: err = render_int(it.u, false, o); break;
    case MM_MP_INT: err = render_int((uint64_t)0 - (uint64_t)it.i, true, o); break;
    case MM_MP_FLOAT: err = render_float(&it, o); break;
    case MM_MP_STR: err = render_str(it.data, it.len, o); break;
    case MM_MP_BIN:
    case MM_MP_EXT: err = MM_ECORRUPT; break;
    case MM_MP_ARRAY: err = render_array(r, it.n, o, level); break;
    case MM_MP_MAP: err = render_map(r, it.n, o, level); break;
    }
    return err;
}

mm_err mm_codec_render_json(const void *data, size_t len, struct mm_buf *out)
{
    struct mm_mp_reader r = {data, (const unsigned char *)data + len};
    struct out o;
    size_t start = out->len;
    o.buf = out;
    o.n = 0;
    mm_err err = render(&r, &o, 1);
    if (!err && r.p != r.end)
        err = MM_ECORRUPT;
    if (!err)
        err = flush(&o);
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

void mm_codec_format_time(int64_t us, char out[32])
{
    int64_t frac = us % 1000000, secs = us / 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    int64_t sod = secs % 86400, days = secs / 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    /* civil_from_days (H. Hinnant): proleptic Gregorian calendar in 400-year eras */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    char *p = out;
    if (year < 0)
        *p++ = '-';
    p = put_num(p, (uint64_t)(year < 0 ? -year : year), 4);
    *p++ = '-';
    p = put_num(p, (uint64_t)month, 2);
    *p++ = '-';
    p = put_num(p, (uint64_t)day, 2);
    *p++ = 'T';
    p = put_num(p, (uint64_t)(sod / 3600), 2);
    *p++ = ':';
    p = put_num(p, (uint64_t)(sod / 60 % 60), 2);
    *p++ = ':';
    p = put_num(p, (uint64_t)(sod % 60), 2);
    *p++ = '.';
    p = put_num(p, (uint64_t)frac, 6);
    *p++ = 'Z';
    *p = '\0';
}

int64_t mm_codec_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
