/*
 * record.h — msgpack helpers for the pipeline's own state records (the
 * mention and resolution records of enrich.h, the feature, mood and fit
 * records of score.h), decoded through msgpack-c objects.
 *
 * Every record is a map whose first key "v" holds its schema version
 * (common/codec.h explains the convention); writing goes through the
 * mm_mp_writer of common/codec_mp.h.
 * Does not: own any record layout. Thread safety: pure functions.
 */
#ifndef MM_RECORD_H
#define MM_RECORD_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"

/* True when k is the string `name`. */
bool mm_record_key_is(const msgpack_object *k, const char *name);
/* A string (or nil when `nullable`, giving NULL) copied into the arena;
 * false on any other type. */
bool mm_record_get_str(const msgpack_object *v, bool nullable, struct mm_arena *a, char **out);
bool mm_record_get_i64(const msgpack_object *v, int64_t *out);
bool mm_record_get_u64(const msgpack_object *v, uint64_t *out);
/* A float or an integer (or nil, giving 0, when `nullable`). */
bool mm_record_get_num(const msgpack_object *v, bool nullable, double *out);
/* Index of the string v among names[0..n), or -1. */
int mm_record_get_enum(const msgpack_object *v, const char *const *names, size_t n);
/* Unpacks `data` (exactly `len` bytes) into u and returns its root map when
 * its first key "v" is 1..version: MM_ECORRUPT otherwise, MM_ESCHEMA for a
 * newer version. */
MM_MUST_CHECK mm_err mm_record_unpack_root(const void *data, size_t len, int version,
                                           msgpack_unpacked *u, const msgpack_object_map **out);

#endif
