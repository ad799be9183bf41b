#include "common/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mem.h"

mm_err mm_fs_mkdir_p(const char *path, size_t len, char err[MM_ERRLEN])
{
    mm_err rc = MM_OK;
    char *p = mm_xstrndup(path, len ? len : strlen(path));
    size_t n = strlen(p);
    for (size_t i = 1; i <= n && !rc; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            if (err)
                snprintf(err, MM_ERRLEN, "mkdir %s: %s", p, strerror(errno));
            rc = mm_err_from_errno(errno);
        }
        p[i] = saved;
    }
    free(p);
    return rc;
}
