/*
 * snapshot.h — reading and verifying published snapshots.
 *
 * Layout of the snapshots directory (paths.snapshots):
 *
 *   snapshots/
 *     current -> <id>          symlink, switched with rename(2) only
 *     <id>/data.mdb            LMDB, opened read-only, MDB_NOLOCK, NOSUBDIR
 *     <id>/manifest.json       written last; lists the sha256 of every other file
 *     .tmp-<id>/               a snapshot being built (never read, removed by gc)
 *
 * manifest.json (schema_version 1):
 *   { "schema_version": 1, "id": str, "created_at": ISO-8601 str, "run_id": str,
 *     "program_version": str, "config_hash": hex str, "previous_id": str|null,
 *     "counts": {"requests": n, "songs": n, ...},
 *     "embedder": {...}|null, "index": {...}|null, "prompt_versions": {...},
 *     "files": {"data.mdb": {"sha256": hex, "bytes": n}, ...} }
 *
 * Used by the pipeline (publish, snapshot list/verify/rollback/gc) and by the
 * server (which verifies a snapshot before it switches to it). Never writes.
 * Thread safety: pure functions over the file system.
 */
#ifndef MM_SNAPSHOT_H
#define MM_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>

#include "common/err.h"

#define MM_SNAPSHOT_SCHEMA_VERSION 1
#define MM_SNAPSHOT_CURRENT "current"
#define MM_SNAPSHOT_MANIFEST "manifest.json"
#define MM_SNAPSHOT_DATA "data.mdb"
/* clang-format off */
#define MM_SNAPSHOT_DBS {"requests", "meta", "tracks", "track_names", "mood_tracks", NULL}
/* clang-format on */
#define MM_SNAPSHOT_ID_MAX 64 /* bytes of an id, excluding the NUL */

/* Loads <dir>/<id>/manifest.json. Caller frees with json_decref().
 * MM_ENOTFOUND, MM_ECORRUPT (not JSON or missing keys; `err` says which). */
MM_MUST_CHECK mm_err mm_snapshot_manifest_load(const char *snapshots_dir, const char *id,
                                               json_t **out, char err[MM_ERRLEN]);
/* Checks that every file listed in the manifest exists with its size and
 * sha256, and that the directory holds no unlisted file. MM_ECORRUPT with
 * `err` naming the first bad file. */
MM_MUST_CHECK mm_err mm_snapshot_verify(const char *snapshots_dir, const char *id,
                                        char err[MM_ERRLEN]);
/* The id `current` points to, copied into out (NUL-terminated). MM_ENOTFOUND
 * when there is no current snapshot. */
MM_MUST_CHECK mm_err mm_snapshot_current(const char *snapshots_dir, char *out, size_t outlen);
/* The id `current` points to, into `cur`, and the previous_id of its
 * manifest (its predecessor), into `prev` ("" when null); both buffers hold
 * MM_SNAPSHOT_ID_MAX + 1 bytes. MM_ENOTFOUND when there is no current
 * snapshot (both ""); MM_ECORRUPT when `current` is not a link to a snapshot
 * id (cur "") or that snapshot's manifest does not load (prev ""), with `err`
 * (may be NULL) saying which. */
MM_MUST_CHECK mm_err mm_snapshot_current_pair(const char *snapshots_dir, char *cur, char *prev,
                                              char err[MM_ERRLEN]);
/* Ids of published snapshots (directories with a manifest.json), oldest
 * first by the manifest's created_at, then id; one whose manifest does not
 * load sorts before all others. An empty array when the directory does not
 * exist; MM_ETOOBIG past 4096 snapshots. Caller frees with json_decref(); a
 * JSON array of strings. */
MM_MUST_CHECK mm_err mm_snapshot_list_ids(const char *snapshots_dir, json_t **out);
/* True for ids of 1..MM_SNAPSHOT_ID_MAX bytes made of [A-Za-z0-9._-] that do
 * not start with '.' and are not "current". */
bool mm_snapshot_id_valid(const char *id);

#endif
