#include "common/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define INTERVAL_TTY 0.25
#define INTERVAL_LOG 5.0

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void mm_progress_init(struct mm_progress *p, const char *label, const char *unit, uint64_t total)
{
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->done = p->items = 0;
    p->started = p->last = now();
    p->calls = 0;
    p->tty = isatty(STDERR_FILENO) == 1;
}

static void report(struct mm_progress *p, double t)
{
    double elapsed = t - p->started;
    double rate = elapsed > 0 ? (double)p->items / elapsed : 0;
    double frac = p->total ? (double)p->done / (double)p->total : 0;
    double eta = frac > 0 ? elapsed * (1 - frac) / frac : -1;
    if (p->tty) {
        fprintf(stderr, "\r%s: %llu %s, %.0f/s", p->label, (unsigned long long)p->items, p->unit,
                rate);
        if (p->total)
            fprintf(stderr, ", %.1f%%, ETA %.0fs   ", frac * 100, eta);
        fflush(stderr);
        return;
    }
    json_t *f = json_pack("{s:s, s:I, s:s, s:f}", "label", p->label, "items", (json_int_t)p->items,
                          "unit", p->unit, "rate_per_s", rate);
    if (p->total) {
        json_object_set_new(f, "percent", json_real(frac * 100));
        json_object_set_new(f, "eta_s", json_real(eta));
    }
    mm_log_fields(MM_LOG_INFO, f, "progress %s", p->label);
}

void mm_progress_update(struct mm_progress *p, uint64_t items, uint64_t done)
{
    p->items += items;
    p->done = done;
    if (++p->calls % 1024 != 0)
        return;
    double t = now();
    if (t - p->last < (p->tty ? INTERVAL_TTY : INTERVAL_LOG))
        return;
    p->last = t;
    report(p, t);
}

void mm_progress_finish(struct mm_progress *p)
{
    if (p->tty) {
        report(p, now());
        fputc('\n', stderr);
    }
}
