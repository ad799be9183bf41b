/*
 * hash.h — hashes: sha256 (OpenSSL libcrypto) for checksums and cache keys,
 * FNV-1a 64 for in-memory tables and stable A/B splits.
 *
 * Thread safety: pure functions.
 */
#ifndef MM_HASH_H
#define MM_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Lower-case hex sha256 of a buffer: 64 chars + NUL. */
void mm_hash_sha256_hex(const void *data, size_t len, char out[65]);
/* sha256 of a whole file, streamed. MM_ENOTFOUND, MM_EIO. */
MM_MUST_CHECK mm_err mm_hash_sha256_file(const char *path, char out[65]);
uint64_t mm_hash_fnv1a64(const void *data, size_t len);

#endif
