/*
 * snapshot_write.h — the write side of the snapshots directory, shared by the
 * publish stage and the `snapshot rollback|gc` commands.
 *
 *   - exclusion: every writer holds flock(2) on the snapshots directory itself
 *     (released by the kernel when the process dies), so a gc never removes
 *     the .tmp-<id> of a publish in progress;
 *   - the `current` switch: symlink(<id>, "current.tmp-<pid>"), rename(2) over
 *     "current", fsync of the directory — a reader sees the old or the new
 *     link, never none;
 *   - retention: keep the newest `keep` snapshots plus current and its
 *     predecessor (the previous_id in current's manifest); remove the rest and
 *     the leftovers of crashed writers (.tmp-* directories, current.tmp-*
 *     links). A snapshot is renamed to .tmp-gc-<id> before it is deleted, so a
 *     crash mid-removal leaves only a .tmp-* directory for the next clean-up.
 *
 * Does not: build or verify snapshots (publish.c, common/snapshot.h).
 * Thread safety: one writer per snapshots directory, enforced by the lock.
 * Ownership: a struct mm_snapshot_dir is caller storage filled by
 * mm_snapshot_write_lock() and released by mm_snapshot_write_unlock().
 */
#ifndef MM_SNAPSHOT_WRITE_H
#define MM_SNAPSHOT_WRITE_H

#include <jansson.h>

#include "common/err.h"

#define MM_SNAPSHOT_TMP_PREFIX ".tmp-"

struct mm_snapshot_dir {
    const char *path; /* borrowed from the caller until unlock */
    int fd;           /* the directory, open and locked; -1 when not held */
};

/* Formats a message into `err` (NULL: does nothing); for the writers'
 * error contexts, which name paths longer than the buffer may hold. */
void mm_snapshot_write_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Creates `path` (and its parents) when missing, opens it and takes its lock.
 * MM_ELOCKED when another process holds it; `err` says what failed. */
MM_MUST_CHECK mm_err mm_snapshot_write_lock(const char *path, struct mm_snapshot_dir *out,
                                            char err[MM_ERRLEN]);
/* Releases the lock; accepts a dir whose lock is not held. */
void mm_snapshot_write_unlock(struct mm_snapshot_dir *d);

/* fsync(2) of <d>/<name> (a file or a directory); name NULL: d itself. */
MM_MUST_CHECK mm_err mm_snapshot_write_fsync(const struct mm_snapshot_dir *d, const char *name,
                                             char err[MM_ERRLEN]);
/* Removes the directory <d>/<name> and everything in it (symlinks are
 * removed, never followed). MM_OK when it does not exist. */
MM_MUST_CHECK mm_err mm_snapshot_write_remove(const struct mm_snapshot_dir *d, const char *name,
                                              char err[MM_ERRLEN]);

/* Atomically points `current` at snapshot `id` (which the caller verified)
 * and fsyncs the directory. */
MM_MUST_CHECK mm_err mm_snapshot_write_switch(const struct mm_snapshot_dir *d, const char *id,
                                              char err[MM_ERRLEN]);

/* Removes the leftovers of crashed writers: .tmp-* directories and
 * current.tmp-* links. Appends each removed name to `removed` (a JSON array,
 * may be NULL). */
MM_MUST_CHECK mm_err mm_snapshot_write_clean(const struct mm_snapshot_dir *d, json_t *removed,
                                             char err[MM_ERRLEN]);

/* Clean-up, then retention as described above (keep >= 0). Removes no
 * snapshot when `current` exists but is unreadable or its manifest does not
 * load (MM_ECORRUPT: what to protect is unknown). Appends removed names to
 * `removed` (may be NULL). */
MM_MUST_CHECK mm_err mm_snapshot_write_retain(const struct mm_snapshot_dir *d, int keep,
                                              json_t *removed, char err[MM_ERRLEN]);

#endif
