/*
 * progress.h — progress reports for long stages.
 *
 * On a terminal (stderr is a TTY) one line is redrawn in place with \r
 * showing items, rate and ETA; otherwise one info log line is written every
 * few seconds with the same fields. The
 * total may be unknown (0): then no ETA. Units are whatever the caller counts
 * (records, bytes); `done` is the caller's running position in those units.
 *
 * Does not: own the work or time it beyond the report. Cheap to call per
 * item: it reads the clock at most every 1024 calls.
 * Thread safety: one reporter per thread.
 */
#ifndef MM_PROGRESS_H
#define MM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct mm_progress {
    const char *label;     /* borrowed; e.g. the file name */
    const char *unit;      /* borrowed; e.g. "records" */
    uint64_t total;        /* 0 when unknown */
    uint64_t done;
    uint64_t items;        /* items processed, for the rate */
    double started, last;  /* monotonic seconds */
    unsigned calls;
    bool tty;
};

void mm_progress_init(struct mm_progress *p, const char *label, const char *unit, uint64_t total);
/* Adds `items` processed and sets the position to `done` (units of total). */
void mm_progress_update(struct mm_progress *p, uint64_t items, uint64_t done);
/* Final line (clears the TTY line). */
void mm_progress_finish(struct mm_progress *p);

#endif
