/*
 * hash.c — sha256 through OpenSSL EVP (buffers, and files streamed in 64 KiB
 * reads so that any file size costs constant memory), FNV-1a 64.
 */
#include "common/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "common/mem.h"

#define FILE_CHUNK (64 * 1024)

static void to_hex(const unsigned char *md, unsigned len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    MM_ASSERT(len == 32);
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
    out[64] = '\0';
}

void mm_hash_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    /* EVP_Digest only fails on allocation failure inside OpenSSL. */
    int ok = EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
    MM_ASSERT(ok == 1);
    to_hex(md, md_len, out);
}

/* Feeds the whole of fd into ctx; MM_EIO on a read error. */
static mm_err digest_fd(EVP_MD_CTX *ctx, int fd)
{
    unsigned char *chunk = mm_xmalloc(FILE_CHUNK);
    mm_err err = MM_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, FILE_CHUNK);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = MM_EIO;
            break;
        }
        MM_ASSERT(EVP_DigestUpdate(ctx, chunk, (size_t)n) == 1);
    }
    free(chunk);
    return err;
}

mm_err mm_hash_sha256_file(const char *path, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    mm_err err = MM_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno == ENOENT ? MM_ENOTFOUND : MM_EIO;
        goto out;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    MM_ASSERT(ctx != NULL);
    MM_ASSERT(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1);
    err = digest_fd(ctx, fd);
    if (err)
        goto out_free_ctx;
    MM_ASSERT(EVP_DigestFinal_ex(ctx, md, &md_len) == 1);
    to_hex(md, md_len, out);
out_free_ctx:
    EVP_MD_CTX_free(ctx);
    close(fd);
out:
    return err;
}

uint64_t mm_hash_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}
