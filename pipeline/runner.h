/*
 * runner.h — runs pipeline stages in order, one run at a time, resumably.
 *
 * A run is a selection of stages (all, --from/--to, --only) executed in the
 * order of mm_stages[]. Each run has a manifest, stored as JSON text in the
 * state `runs` db under its number and updated before and after every stage:
 *
 *   { "run_id": "r12", "number": 12, "status": "running|succeeded|failed|
 *     interrupted|abandoned", "attempts": 1, "pid": 4242,
 *     "started_at": ISO, "ended_at": ISO|null, "config_hash": hex,
 *     "program_version": str, "selection": {"stages": [names], "full": bool},
 *     "stages": [ {"name", "status": "pending|running|succeeded|failed|
 *                  interrupted", "started_at", "ended_at", "duration_ms",
 *                  "counts": {...}, "error": str|null} ] }
 *
 * Exclusion: `<paths.state>/run.lock` is held with flock(2) for the whole run
 * (released by the kernel if the process dies); its content names the holder.
 *
 * Resume: when the newest run did not succeed (it failed, was interrupted, or
 * its process died mid-stage) and the new invocation selects the same stages
 * with the same config, the run continues under the same run id: succeeded
 * stages are skipped, the unfinished one runs with ctx.resumed set. Any other
 * invocation marks that run abandoned and starts a new one.
 *
 * Thread safety: single-threaded; one runner per process.
 */
#ifndef MM_RUNNER_H
#define MM_RUNNER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/config.h"
#include "common/err.h"
#include "pipeline/stage.h"

extern const struct mm_stage *const mm_stages[];
extern const size_t mm_n_stages;

struct mm_run_options {
    const char *from, *to, *only; /* stage names or NULL */
    bool full;
};

/* Index of the named stage in mm_stages, or -1. */
int mm_runner_stage_index(const char *name);

/* Runs the selected stages. Returns MM_OK; MM_EINVAL for an unknown stage
 * name (message on stderr lists the stages); MM_ELOCKED when another run holds
 * the lock (message names the holder); MM_EINTERRUPTED when *stop was set;
 * otherwise the failing stage's error. */
MM_MUST_CHECK mm_err mm_runner_run(const struct mm_config *cfg, const struct mm_run_options *opt,
                                   volatile sig_atomic_t *stop);

/* Opens the state store of cfg (creating it) with MM_STATE_DBS. Caller closes. */
MM_MUST_CHECK mm_err mm_runner_open_state(const struct mm_config *cfg, struct mm_store **out);

/* Recent runs, newest first (at most `limit`), as a JSON array of manifests.
 * Caller frees with json_decref(). MM_ENOTFOUND when the state does not exist. */
MM_MUST_CHECK mm_err mm_runner_recent(const struct mm_config *cfg, size_t limit, json_t **out);

/* Prints recent runs as a table (or JSON lines when `json`) to `out`. */
MM_MUST_CHECK mm_err mm_runner_print_status(const struct mm_config *cfg, size_t limit, bool json,
                                            FILE *out);

#endif
