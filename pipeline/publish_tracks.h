/*
 * publish_tracks.h — the track part of the publish stage (publish.c): state
 * `tracks`, `mentions` and `moods` → snapshot `tracks`, `track_names`,
 * `mood_tracks` and the mood vocabulary in `meta` (docs/snapshots.md).
 *
 *   - tracks: every state track record, byte for byte (the record is
 *     presentation-ready, common/track.h);
 *   - track_names: first every resolved mention, mention key → track key
 *     (pipeline/enrich.h); then, for every track, the key of each credited
 *     artist × its title (the catalog's own spelling) → track key, unless
 *     that name is already taken (a mention's answer, or a track earlier in
 *     key order). Names longer than an LMDB key, and mentions whose track is
 *     not in the state, are skipped with a count in the log;
 *   - mood_tracks: the state `moods` db unchanged (keys checked: mood name,
 *     NUL, u32 rank);
 *   - meta "mood:<phrase>" → msgpack str mood name, for the name and every
 *     alias of each configured mood (score.moods) and for every mood that has
 *     a ranking, so that the server tells an unknown mood from an empty one.
 *
 * Memory does not grow with the number of records: one decoded record at a
 * time (an arena reset per record), BATCH records per write transaction.
 *
 * Does not: create or sync the snapshot store, write the manifest.
 * Thread safety: runs on the stage's thread; the state transaction and the
 * output store belong to it for the duration of the call.
 */
#ifndef MM_PUBLISH_TRACKS_H
#define MM_PUBLISH_TRACKS_H

#include <stdint.h>

#include "common/err.h"
#include "common/store.h"
#include "pipeline/stage.h"

#define MM_PUBLISH_MOOD_PREFIX "mood:" /* meta keys of the mood vocabulary */

struct mm_publish_tracks_counts {
    uint64_t tracks;      /* records in snapshot `tracks` */
    uint64_t track_names; /* entries in `track_names` */
    uint64_t moods;       /* moods with a ranking in `mood_tracks` */
};

/*
 * Fills the dbs above in `out` (opened with MM_SNAPSHOT_DBS) from the state
 * read transaction `state_txn` (borrowed; it must stay open for the whole
 * call). MM_EINTERRUPTED when *ctx->stop becomes non-zero between write
 * transactions; MM_ECORRUPT / MM_ESCHEMA on a state record that does not
 * decode (logged with its key); store errors as they come.
 */
MM_MUST_CHECK mm_err mm_publish_tracks(struct mm_stage_ctx *ctx, struct mm_txn *state_txn,
                                       struct mm_store *out,
                                       struct mm_publish_tracks_counts *counts);

#endif
