/*
 * codec_mp.h — a bounds-checked reader of msgpack bytes, private to the codec
 * module (codec.c decodes records with it, codec_render.c renders JSON).
 *
 * Reads one value header at a time straight from the input: no allocation,
 * no object tree, never a byte past `end`. Other modules decode records
 * through codec.h, not through this header.
 * Thread safety: a reader is a cursor over caller memory, used by one thread.
 */
#ifndef MM_CODEC_MP_H
#define MM_CODEC_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Deepest container nesting accepted when skipping or rendering (the root
 * value is level 1); bounds the recursion on untrusted input. */
#define MM_MP_MAX_DEPTH 64

struct mm_mp_reader {
    const unsigned char *p, *end; /* borrowed input; p advances */
};

enum mm_mp_kind {
    MM_MP_NIL,
    MM_MP_BOOL,
    MM_MP_INT,
    MM_MP_UINT,
    MM_MP_FLOAT,
    MM_MP_STR,
    MM_MP_BIN,
    MM_MP_EXT,
    MM_MP_ARRAY,
    MM_MP_MAP,
};

/* The header of one value: scalars are complete, str/bin/ext point at their
 * bytes (bounds checked, borrowed from the input), arrays and maps carry
 * their element count (checked against the bytes left). */
struct mm_mp_item {
    enum mm_mp_kind kind;
    bool b;     /* MM_MP_BOOL */
    bool f32;   /* MM_MP_FLOAT read from a float32 */
    int64_t i;  /* MM_MP_INT: always negative */
    uint64_t u; /* MM_MP_UINT */
    double f;   /* MM_MP_FLOAT */
    uint32_t n; /* MM_MP_ARRAY, MM_MP_MAP: number of elements / entries */
    const unsigned char *data;
    size_t len; /* MM_MP_STR, MM_MP_BIN, MM_MP_EXT */
};

/* Reads the header of the next value; MM_ECORRUPT when malformed or truncated. */
MM_MUST_CHECK mm_err mm_mp_head(struct mm_mp_reader *r, struct mm_mp_item *it);
/* Skips one whole value found at nesting `level`; MM_ECORRUPT when malformed,
 * truncated or nested deeper than MM_MP_MAX_DEPTH. */
MM_MUST_CHECK mm_err mm_mp_skip(struct mm_mp_reader *r, int level);

#endif
