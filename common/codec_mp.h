/*
 * codec_mp.h — msgpack primitives shared by the record codecs (codec.c,
 * codec_render.c, track.c): a bounds-checked reader and a writer into an
 * mm_buf.
 *
 * The reader takes one value header at a time straight from the input: no
 * allocation, no object tree, never a byte past `end`. The writer keeps the
 * first error and refuses later writes, so pack calls need no checks; finish
 * reports it and leaves the buffer as it was. The reader serves common/'s
 * codecs; the writer also serves the pipeline's own state records
 * (pipeline/record.h).
 * Thread safety: a reader is a cursor over caller memory, used by one thread.
 */
#ifndef MM_CODEC_MP_H
#define MM_CODEC_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "common/err.h"
#include "common/mem.h"

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

/* Typed reads: MM_ECORRUPT for another kind. Strings are copied into the
 * arena and may not hold NUL bytes. */
MM_MUST_CHECK mm_err mm_mp_read_kind(struct mm_mp_reader *r, enum mm_mp_kind kind,
                                     struct mm_mp_item *it);
/* Consumes a nil if one is next; true when it did. */
bool mm_mp_take_nil(struct mm_mp_reader *r);
MM_MUST_CHECK mm_err mm_mp_read_str(struct mm_mp_reader *r, struct mm_arena *a, char **out);
/* An int that fits int64 (from a msgpack int or uint). */
MM_MUST_CHECK mm_err mm_mp_read_int(struct mm_mp_reader *r, int64_t *out);
MM_MUST_CHECK mm_err mm_mp_read_strs(struct mm_mp_reader *r, struct mm_arena *a, char ***items,
                                     size_t *n);

struct mm_mp_writer {
    struct mm_buf *out; /* borrowed */
    size_t start;       /* out->len at init */
    mm_err err;         /* the first error */
    msgpack_packer pk;  /* for msgpack_pack_* calls */
};

void mm_mp_writer_init(struct mm_mp_writer *w, struct mm_buf *out);
/* Records err unless an earlier error is kept. */
void mm_mp_writer_fail(struct mm_mp_writer *w, mm_err err);
/* The first error (MM_ETOOBIG past out->max, or a fail); on error `out` is
 * truncated back to its length at init. */
MM_MUST_CHECK mm_err mm_mp_writer_finish(struct mm_mp_writer *w);
/* A string, or nil for NULL. */
void mm_mp_pack_str(struct mm_mp_writer *w, const char *s);
/* An int64, or nil for MM_NULL_INT. */
void mm_mp_pack_i64(struct mm_mp_writer *w, int64_t v);
/* An array of strings; a NULL item fails with MM_EINVAL. */
void mm_mp_pack_strs(struct mm_mp_writer *w, char *const *items, size_t n);

#endif
