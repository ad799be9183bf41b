#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void oom(size_t n)
{
    fprintf(stderr, "moodmusic: out of memory allocating %zu bytes\n", n);
    abort();
}

void *mm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *mm_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *mm_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *mm_xstrdup(const char *s) { return s ? mm_xstrndup(s, strlen(s)) : NULL; }

char *mm_xstrndup(const char *s, size_t n)
{
    char *p = mm_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mm_xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = mm_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* --- mm_buf --- */

void mm_buf_init(struct mm_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->max = max;
}

void mm_buf_cleanup(struct mm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void mm_buf_reset(struct mm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static mm_err reserve(struct mm_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return MM_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc)
        return MM_OK;
    size_t alloc = b->alloc ? b->alloc : 64;
    while (alloc < need)
        alloc *= 2;
    b->data = mm_xrealloc(b->data, alloc);
    b->alloc = alloc;
    return MM_OK;
}

mm_err mm_buf_append(struct mm_buf *b, const void *data, size_t len)
{
    mm_err err = reserve(b, len);
    if (err)
        return err;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return MM_OK;
}

mm_err mm_buf_appends(struct mm_buf *b, const char *s) { return mm_buf_append(b, s, strlen(s)); }
mm_err mm_buf_appendc(struct mm_buf *b, char c) { return mm_buf_append(b, &c, 1); }

mm_err mm_buf_vprintf(struct mm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    mm_err err = n < 0 ? MM_EINVAL : reserve(b, (size_t)n);
    if (!err) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return err;
}

mm_err mm_buf_printf(struct mm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mm_err err = mm_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

char *mm_buf_take(struct mm_buf *b)
{
    char *p = b->data ? b->data : mm_xstrdup("");
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

/* --- mm_arena --- */

struct mm_arena_block {
    struct mm_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char mem[];
};

static struct mm_arena_block *block_new(size_t size)
{
    struct mm_arena_block *blk = mm_xmalloc(sizeof(*blk) + size);
    blk->next = NULL;
    blk->used = 0;
    blk->size = size;
    return blk;
}

void mm_arena_init(struct mm_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
}

void mm_arena_cleanup(struct mm_arena *a)
{
    struct mm_arena_block *blk = a->head;
    while (blk) {
        struct mm_arena_block *next = blk->next;
        free(blk);
        blk = next;
    }
    a->head = NULL;
}

void mm_arena_reset(struct mm_arena *a)
{
    if (!a->head)
        return;
    /* keep the oldest (last in the chain), which has the configured size */
    struct mm_arena_block *blk = a->head, *last = NULL;
    while (blk) {
        struct mm_arena_block *next = blk->next;
        if (next)
            free(blk);
        else
            last = blk;
        blk = next;
    }
    last->used = 0;
    a->head = last;
}

void *mm_arena_alloc(struct mm_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct mm_arena_block *blk = a->head;
    if (!blk || blk->size - blk->used < n) {
        blk = block_new(n > a->block_size ? n : a->block_size);
        blk->next = a->head;
        a->head = blk;
    }
    void *p = blk->mem + blk->used;
    blk->used += n;
    return p;
}

char *mm_arena_strndup(struct mm_arena *a, const char *s, size_t n)
{
    char *p = mm_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mm_arena_strdup(struct mm_arena *a, const char *s) { return mm_arena_strndup(a, s, strlen(s)); }
