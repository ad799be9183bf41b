/*
 * stage.h — the plug-in point for pipeline stages.
 *
 * A stage is a `struct mm_stage`; the runner (runner.h) calls them in the
 * order of mm_stages[] and records each one's status, counts and duration in
 * the run manifest. A stage must be safe to interrupt at any moment (kill -9)
 * and to run again: it either commits its effects in LMDB transactions that
 * carry their own progress checkpoint, or it produces its output under a
 * temporary name and renames it at the end.
 *
 * Thread safety: stages run one at a time on the runner's thread.
 */
#ifndef MM_STAGE_H
#define MM_STAGE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>

#include "common/config.h"
#include "common/err.h"
#include "common/store.h"

/* Databases of the state environment (store.h lists their key layouts). */
#define MM_STATE_DBS                                                                      \
    {"requests", "songs", "song_ids", "meta", "runs", "checkpoints", "mentions", "resolutions", \
     "tracks", "features", "moods", "song_fit", NULL}

struct mm_stage_ctx {
    const struct mm_config *cfg;
    struct mm_store *state;   /* the state/ environment, opened with MM_STATE_DBS */
    const char *run_id;       /* e.g. "r42" */
    bool full;                /* --full: ignore watermarks and caches */
    bool resumed;             /* this stage was interrupted in this run before */
    json_t *counts;           /* the stage sets its counters here (an object) */
    volatile sig_atomic_t *stop; /* becomes non-zero on SIGINT/SIGTERM: stop at a safe point
                                    and return MM_EINTERRUPTED */
};

struct mm_stage {
    const char *name;
    const char *summary;      /* one line for --help */
    /* Does the work. Returns MM_OK, or an error after logging what failed. */
    mm_err (*run)(struct mm_stage_ctx *ctx);
};

extern const struct mm_stage mm_stage_ingest;
extern const struct mm_stage mm_stage_enrich;
extern const struct mm_stage mm_stage_score;
extern const struct mm_stage mm_stage_publish;

#endif
