/*
 * snap_holder.h — the snapshot moodmusic-serve answers from, and its switch.
 *
 * The holder follows <paths.snapshots>/current. poll() (called by the
 * watcher thread every reload_poll_ms, or directly) reads the link; when it
 * names a new id, the snapshot is verified (mm_snapshot_verify), its
 * data.mdb opened read-only, its manifest loaded and the /healthz and
 * /v1/snapshot bodies rendered once. Only when all of that succeeds is it
 * published; otherwise the error is logged with the id and the old snapshot
 * stays active, and that id is not tried again until `current` changes.
 *
 * Publication and reclamation are lock-free on the read path (quiescent-state
 * reclamation): published snapshots form a chain through `next`; each one
 * starts with one reference per view (worker) plus one for the holder. A
 * worker owns a struct mm_snap_view and calls mm_snap_view_refresh() at a
 * quiescent point (between events, never inside a request): it walks `next`
 * to the newest snapshot, closing its own reader and dropping one reference
 * on each it leaves. The holder drops its reference on the old snapshot right
 * after publishing the new one. The last reference closes the store and frees
 * the snapshot. "No snapshot" is itself a node of the chain (id NULL, store
 * NULL), so views that start before any snapshot exists need no special case.
 *
 * Does not: write or switch snapshots (pipeline), know HTTP.
 * Thread safety: poll() runs on one thread at a time (the watcher once
 * started). A view belongs to one thread. mm_snap_holder_stats() may be read
 * from any thread.
 * Ownership: the caller opens the holder, then at most n_views views; it
 * stops the watcher, cleans up every view, then closes the holder.
 */
#ifndef MM_SNAP_HOLDER_H
#define MM_SNAP_HOLDER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/store.h"

struct mm_snap_holder;

/* One published snapshot; handlers only read its fields, through a view. */
struct mm_snap {
    char *id;               /* NULL: no snapshot is loaded */
    struct mm_store *store; /* NULL with id */
    unsigned db_requests;   /* store db indices (MM_SNAPSHOT_DBS) */
    unsigned db_meta;
    unsigned db_tracks;
    unsigned db_track_names;
    unsigned db_mood_tracks;
    json_t *manifest;   /* the whole manifest.json; NULL with id */
    char *healthz_body; /* {"success":true,"status":"ok","snapshot_id":...} */
    size_t healthz_len;
    char *summary_body; /* {"success":true,"snapshot":{manifest without "files"}};
                           NULL with id */
    size_t summary_len;
    /* private to snap_holder.c */
    struct mm_snap_holder *holder;
    atomic_uint refs;
    _Atomic(struct mm_snap *) next;
};

/* A worker's hold on the active snapshot; caller storage, one per thread. */
struct mm_snap_view {
    struct mm_snap_holder *holder;
    struct mm_snap *snap;           /* never NULL once initialised */
    struct mm_store_reader *reader; /* on snap->store, opened on first use */
};

struct mm_snap_holder_stats {
    uint64_t loaded;  /* snapshots published */
    uint64_t refused; /* ids that failed verification or opening */
    uint64_t closed;  /* snapshot stores closed after their last reference */
};

/* Creates a holder for `snapshots_dir` (copied) serving up to `n_views`
 * views, with no snapshot loaded. Caller closes with mm_snap_holder_close. */
void mm_snap_holder_open(const char *snapshots_dir, unsigned n_views, struct mm_snap_holder **out);
/* Stops the watcher if running, drops the holder's references (and those of
 * views never initialised) and frees it. Every initialised view must have
 * been cleaned up. Accepts NULL. */
void mm_snap_holder_close(struct mm_snap_holder *h);

/*
 * Checks `current` once and switches to it when it names a new, valid
 * snapshot. MM_OK when nothing changed or the switch happened; the error of
 * the refused snapshot otherwise (already logged, with `err` saying what).
 * MM_ENOTFOUND when there is no `current`: the active snapshot stays.
 */
MM_MUST_CHECK mm_err mm_snap_holder_poll(struct mm_snap_holder *h, char err[MM_ERRLEN]);

/* Starts the watcher thread: poll() every `poll_ms`; after each switch it
 * calls notify(ctx) (may be NULL) so that idle workers reach a quiescent
 * point promptly. MM_EIO when the thread cannot start. */
MM_MUST_CHECK mm_err mm_snap_holder_start(struct mm_snap_holder *h, int poll_ms,
                                          void (*notify)(void *ctx), void *ctx);
/* Stops and joins the watcher; no-op when it is not running. */
void mm_snap_holder_stop(struct mm_snap_holder *h);

/* Id of the active snapshot (NULL: none), borrowed until the next switch:
 * call it only from the polling thread, or while the watcher is stopped. */
const char *mm_snap_holder_active_id(struct mm_snap_holder *h);
void mm_snap_holder_stats(struct mm_snap_holder *h, struct mm_snap_holder_stats *out);

/* Takes one of the holder's n_views slots (MM_ASSERT past n_views). */
void mm_snap_view_init(struct mm_snap_view *v, struct mm_snap_holder *h);
/* Quiescent point: moves to the newest snapshot, releasing the ones left. */
void mm_snap_view_refresh(struct mm_snap_view *v);
/* Releases everything the view holds; call once, after the watcher stopped. */
void mm_snap_view_cleanup(struct mm_snap_view *v);

/* Begins a read on the view's snapshot (renewing its reader). MM_ENOSNAPSHOT
 * when none is loaded, MM_ESTORE. The txn is valid until mm_snap_view_end(). */
MM_MUST_CHECK mm_err mm_snap_view_begin(struct mm_snap_view *v, struct mm_txn **txn);
void mm_snap_view_end(struct mm_snap_view *v);

#endif
