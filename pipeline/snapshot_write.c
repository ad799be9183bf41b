/*
 * snapshot_write.c — lock, `current` switch, clean-up and retention of the
 * snapshots directory (see snapshot_write.h for the rules).
 */
#include "pipeline/snapshot_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/snapshot.h"

#define CURRENT_TMP_PREFIX MM_SNAPSHOT_CURRENT ".tmp-"
#define GC_PREFIX MM_SNAPSHOT_TMP_PREFIX "gc-"

void mm_snapshot_write_errf(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, MM_ERRLEN, fmt, ap);
    va_end(ap);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

mm_err mm_snapshot_write_lock(const char *path, struct mm_snapshot_dir *out, char err[MM_ERRLEN])
{
    int fd;
    out->path = path;
    out->fd = -1;
    mm_err rc = mm_fs_mkdir_p(path, 0, err);
    if (rc)
        goto out;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        mm_snapshot_write_errf(err, "open %s: %s", path, strerror(errno));
        rc = mm_err_from_errno(errno);
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? MM_ELOCKED : mm_err_from_errno(errno);
        mm_snapshot_write_errf(err, "%s: %s", path,
                               rc == MM_ELOCKED
                                   ? "another publish, rollback or gc is using this directory"
                                   : strerror(errno));
        goto out_close;
    }
    out->fd = fd;
    goto out;
out_close:
    close(fd);
out:
    return rc;
}

void mm_snapshot_write_unlock(struct mm_snapshot_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

mm_err mm_snapshot_write_fsync(const struct mm_snapshot_dir *d, const char *name,
                               char err[MM_ERRLEN])
{
    mm_err rc = MM_OK;
    int fd = name ? openat(d->fd, name, O_RDONLY | O_CLOEXEC) : d->fd;
    if (fd < 0) {
        mm_snapshot_write_errf(err, "open %s/%s: %s", d->path, name, strerror(errno));
        return mm_err_from_errno(errno);
    }
    if (fsync(fd) != 0) {
        mm_snapshot_write_errf(err, "fsync %s/%s: %s", d->path, name ? name : ".", strerror(errno));
        rc = MM_EIO;
    }
    if (name)
        close(fd);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

mm_err mm_snapshot_write_remove(const struct mm_snapshot_dir *d, const char *name,
                                char err[MM_ERRLEN])
{
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/%s", d->path, name);
    if (n < 0 || n >= (int)sizeof(path)) {
        mm_snapshot_write_errf(err, "%s/%s: path too long", d->path, name);
        return MM_ETOOBIG;
    }
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
        return MM_OK;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        mm_snapshot_write_errf(err, "remove %s: %s", path, strerror(errno));
        return mm_err_from_errno(errno);
    }
    return MM_OK;
}

mm_err mm_snapshot_write_switch(const struct mm_snapshot_dir *d, const char *id,
                                char err[MM_ERRLEN])
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), CURRENT_TMP_PREFIX "%ld", (long)getpid());
    if (!mm_snapshot_id_valid(id)) {
        mm_snapshot_write_errf(err, "invalid snapshot id \"%s\"", id);
        return MM_EINVAL;
    }
    if (unlinkat(d->fd, tmp, 0) != 0 && errno != ENOENT) {
        mm_snapshot_write_errf(err, "unlink %s/%s: %s", d->path, tmp, strerror(errno));
        return mm_err_from_errno(errno);
    }
    if (symlinkat(id, d->fd, tmp) != 0) {
        mm_snapshot_write_errf(err, "symlink %s/%s: %s", d->path, tmp, strerror(errno));
        return mm_err_from_errno(errno);
    }
    if (renameat(d->fd, tmp, d->fd, MM_SNAPSHOT_CURRENT) != 0) {
        mm_snapshot_write_errf(err, "rename %s/%s to %s: %s", d->path, tmp, MM_SNAPSHOT_CURRENT,
                               strerror(errno));
        mm_err rc = mm_err_from_errno(errno);
        unlinkat(d->fd, tmp, 0);
        return rc;
    }
    return mm_snapshot_write_fsync(d, NULL, err);
}

/* Removes one leftover entry: a directory tree or a single link/file. */
static mm_err remove_leftover(const struct mm_snapshot_dir *d, const char *name, char *err)
{
    struct stat st;
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? MM_OK : mm_err_from_errno(errno);
    if (S_ISDIR(st.st_mode))
        return mm_snapshot_write_remove(d, name, err);
    if (unlinkat(d->fd, name, 0) != 0 && errno != ENOENT) {
        mm_snapshot_write_errf(err, "unlink %s/%s: %s", d->path, name, strerror(errno));
        return mm_err_from_errno(errno);
    }
    return MM_OK;
}

mm_err mm_snapshot_write_clean(const struct mm_snapshot_dir *d, json_t *removed,
                               char err[MM_ERRLEN])
{
    mm_err rc = MM_OK;
    DIR *dir = opendir(d->path);
    if (!dir) {
        mm_snapshot_write_errf(err, "opendir %s: %s", d->path, strerror(errno));
        return mm_err_from_errno(errno);
    }
    struct dirent *e;
    while (!rc && (e = readdir(dir)) != NULL) {
        const char *n = e->d_name;
        if (!has_prefix(n, MM_SNAPSHOT_TMP_PREFIX) && !has_prefix(n, CURRENT_TMP_PREFIX))
            continue;
        rc = remove_leftover(d, n, err);
        if (!rc) {
            mm_log_info("snapshots: removed leftover %s/%s", d->path, n);
            if (removed)
                json_array_append_new(removed, json_string(n));
        }
    }
    closedir(dir);
    return rc;
}

/* Renames snapshot `id` out of the published names, then deletes it. */
static mm_err remove_snapshot(const struct mm_snapshot_dir *d, const char *id, char *err)
{
    char gone[MM_SNAPSHOT_ID_MAX + sizeof(GC_PREFIX)];
    snprintf(gone, sizeof(gone), GC_PREFIX "%s", id);
    mm_err rc = mm_snapshot_write_remove(d, gone, err);
    if (rc)
        return rc;
    if (renameat(d->fd, id, d->fd, gone) != 0) {
        mm_snapshot_write_errf(err, "rename %s/%s to %s: %s", d->path, id, gone, strerror(errno));
        return mm_err_from_errno(errno);
    }
    if ((rc = mm_snapshot_write_fsync(d, NULL, err)) != MM_OK)
        return rc;
    return mm_snapshot_write_remove(d, gone, err);
}

mm_err mm_snapshot_write_retain(const struct mm_snapshot_dir *d, int keep, json_t *removed,
                                char err[MM_ERRLEN])
{
    char cur[MM_SNAPSHOT_ID_MAX + 1], prev[MM_SNAPSHOT_ID_MAX + 1];
    json_t *ids = NULL;
    MM_ASSERT(keep >= 0);
    mm_err rc = mm_snapshot_write_clean(d, removed, err);
    if (rc)
        goto out;
    rc = mm_snapshot_current_pair(d->path, cur, prev, err);
    if (rc == MM_ENOTFOUND)
        rc = MM_OK;
    if (rc)
        goto out;
    if ((rc = mm_snapshot_list_ids(d->path, &ids)) != MM_OK) {
        mm_snapshot_write_errf(err, "listing %s: %s", d->path, mm_strerror(rc));
        goto out;
    }
    size_t n = json_array_size(ids);
    for (size_t i = 0; i + (size_t)keep < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        if (strcmp(id, cur) == 0 || strcmp(id, prev) == 0)
            continue;
        if ((rc = remove_snapshot(d, id, err)) != MM_OK)
            goto out_free_ids;
        mm_log_info("snapshots: removed %s/%s (retention keeps %d)", d->path, id, keep);
        if (removed)
            json_array_append_new(removed, json_string(id));
    }
out_free_ids:
    json_decref(ids);
out:
    return rc;
}
