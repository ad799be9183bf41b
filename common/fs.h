/*
 * fs.h — small file-system helpers shared by the pipeline, the store and the
 * server.
 *
 * Does not: log. Errors come back as mm_err plus an optional message naming
 * the path and the errno text.
 * Thread safety: reentrant.
 */
#ifndef MM_FS_H
#define MM_FS_H

#include <stddef.h>

#include "common/err.h"

/* mkdir -p of the first `len` bytes of `path` (len 0: the whole string).
 * `err` (may be NULL) receives "mkdir PATH: REASON" on failure. */
MM_MUST_CHECK mm_err mm_fs_mkdir_p(const char *path, size_t len, char err[MM_ERRLEN]);

#endif
