/*
 * mem.h — allocation policy, growable byte buffers and arenas.
 *
 * mm_x* allocators abort with a message on out-of-memory, so small fixed-size
 * allocations need no NULL checks (Redis zmalloc policy). Anything whose size
 * depends on input goes through `struct mm_buf`, which has a hard cap and
 * returns MM_ETOOBIG past it (curl dynbuf policy).
 *
 * `struct mm_arena` is a bump allocator for objects sharing one lifetime (a
 * decoded record, an HTTP request): everything is released at once by
 * mm_arena_reset() or mm_arena_cleanup().
 *
 * Thread safety: none of these objects are shared; one owner thread each.
 */
#ifndef MM_MEM_H
#define MM_MEM_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

void *mm_xmalloc(size_t n);
void *mm_xcalloc(size_t count, size_t size);
void *mm_xrealloc(void *p, size_t n);
/* Caller frees with free(). mm_xstrdup(NULL) returns NULL. */
char *mm_xstrdup(const char *s);
char *mm_xstrndup(const char *s, size_t n);
/* printf into a fresh string; caller frees with free(). */
char *mm_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated after its `len` bytes.
 * Init with mm_buf_init(&b, cap); release with mm_buf_cleanup(). */
struct mm_buf {
    char *data;    /* NULL until the first append */
    size_t len;    /* bytes used, excluding the trailing NUL */
    size_t alloc;  /* bytes allocated */
    size_t max;    /* hard cap on len; appends past it fail with MM_ETOOBIG */
};

void mm_buf_init(struct mm_buf *b, size_t max);
void mm_buf_cleanup(struct mm_buf *b);
/* Empties the buffer but keeps its memory. */
void mm_buf_reset(struct mm_buf *b);
/* On MM_ETOOBIG the buffer is left as it was. */
MM_MUST_CHECK mm_err mm_buf_append(struct mm_buf *b, const void *data, size_t len);
MM_MUST_CHECK mm_err mm_buf_appends(struct mm_buf *b, const char *s);
MM_MUST_CHECK mm_err mm_buf_appendc(struct mm_buf *b, char c);
MM_MUST_CHECK mm_err mm_buf_printf(struct mm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
MM_MUST_CHECK mm_err mm_buf_vprintf(struct mm_buf *b, const char *fmt, va_list ap);
/* Hands the bytes over: caller frees with free(); the buffer is emptied. */
char *mm_buf_take(struct mm_buf *b);

/* Bump allocator in chained blocks. Init with mm_arena_init (caller storage). */
struct mm_arena_block;
struct mm_arena {
    struct mm_arena_block *head;
    size_t block_size;
};
void mm_arena_init(struct mm_arena *a, size_t block_size);
void mm_arena_cleanup(struct mm_arena *a);
/* Frees all blocks but the first, which is kept for reuse. */
void mm_arena_reset(struct mm_arena *a);
/* Memory is 16-byte aligned and lives until the next reset/cleanup. */
void *mm_arena_alloc(struct mm_arena *a, size_t n);
char *mm_arena_strndup(struct mm_arena *a, const char *s, size_t n);
char *mm_arena_strdup(struct mm_arena *a, const char *s);

#endif
