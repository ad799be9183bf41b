/*
 * snapshot_cmd.h — the `moodmusic snapshot list | verify [ID] | rollback ID |
 * gc` commands (DESIGN.md §3), as functions the CLI calls.
 *
 * Each prints what it did, or why it refused, as plain text on `out` and
 * returns the matching mm_err. rollback and gc take the lock of the snapshots
 * directory (snapshot_write.h), so they fail with MM_ELOCKED while a publish
 * runs; list and verify only read.
 *
 * Does not: publish (publish.c) or parse arguments (main.c).
 * Thread safety: one command at a time per process.
 * Ownership: nothing is retained; `cfg` and `out` are borrowed for the call.
 */
#ifndef MM_SNAPSHOT_CMD_H
#define MM_SNAPSHOT_CMD_H

#include <stdio.h>

#include "common/config.h"
#include "common/err.h"

/* A table of published snapshots, oldest first: id, created_at, run,
 * requests, songs, size, and a mark: `*` current, `prev` its predecessor. */
MM_MUST_CHECK mm_err mm_snapshot_cmd_list(const struct mm_config *cfg, FILE *out);
/* Verifies snapshot `id` (NULL: the current one) and prints "OK <id>" or
 * "FAILED <id>: <reason>". MM_ECORRUPT for a damaged snapshot, MM_ENOTFOUND
 * for an unknown id or no current snapshot, MM_EINVAL for an invalid id. */
MM_MUST_CHECK mm_err mm_snapshot_cmd_verify(const struct mm_config *cfg, const char *id, FILE *out);
/* Verifies `id`, then switches `current` to it atomically. Refuses (and
 * changes nothing) with the verification error for unknown or corrupt ids. */
MM_MUST_CHECK mm_err mm_snapshot_cmd_rollback(const struct mm_config *cfg, const char *id,
                                              FILE *out);
/* Applies retention (publish.keep) and removes leftovers of crashed
 * publishes; prints each removed name. */
MM_MUST_CHECK mm_err mm_snapshot_cmd_gc(const struct mm_config *cfg, FILE *out);

#endif
