#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
    const char *name, *msg, *code;
    int status;
} errs[] = {
#define MM_ERR_ROW(name, msg, status, code) {#name, msg, code, status},
    MM_ERR_LIST(MM_ERR_ROW)
#undef MM_ERR_ROW
};

static int known(mm_err err) { return (int)err >= 0 && err < MM_ERR__COUNT; }

const char *mm_strerror(mm_err err) { return known(err) ? errs[err].msg : "unknown error"; }
const char *mm_err_name(mm_err err) { return known(err) ? errs[err].name : "MM_EUNKNOWN"; }
int mm_err_http_status(mm_err err) { return known(err) ? errs[err].status : 500; }
const char *mm_err_code(mm_err err) { return known(err) ? errs[err].code : "INTERNAL"; }

mm_err mm_err_from_errno(int errnum)
{
    switch (errnum) {
    case 0: return MM_OK;
    case ENOENT: return MM_ENOTFOUND;
    case ENOMEM: return MM_ENOMEM;
    case EINVAL: return MM_EINVAL;
    case EEXIST: return MM_EEXIST;
    case EINTR: return MM_EINTERRUPTED;
    case ETIMEDOUT: return MM_ETIMEOUT;
    case EFBIG: case E2BIG: return MM_ETOOBIG;
    case EWOULDBLOCK: return MM_ELOCKED;
    default: return MM_EIO;
    }
}

void mm_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "moodmusic: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
