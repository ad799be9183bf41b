/*
 * enrich_int.h — internals shared by the files of the enrich stage and by
 * nothing else:
 *
 *   enrich.c         the stage: providers, feeding mentions to walks in a
 *                    window of lookups in flight, counts
 *   enrich_walk.c    the walk of one mention through the cache and the
 *                    providers
 *   enrich_scan.c    songs → mention records (counts per run, checkpointed)
 *   enrich_batch.c   pending writes committed in one transaction, with the
 *                    track merge rule
 *   enrich_list.c    the retryable listing (CSV report and log lines)
 *   enrich_record.c  the records of enrich.h
 *
 * Thread safety: everything runs on the stage's thread.
 */
#ifndef MM_ENRICH_INT_H
#define MM_ENRICH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/http.h"
#include "common/progress.h"
#include "common/track.h"
#include "pipeline/enrich.h"
#include "pipeline/provider.h"
#include "pipeline/stage.h"

#define MM__ENRICH_CHECKPOINT "enrich/scan" /* key in the state `checkpoints` db */

/* --- the song scan (enrich_scan.c) --- */

struct mm__enrich_scan_counts {
    uint64_t songs;        /* song records read this run */
    uint64_t new_mentions; /* mention records created */
    uint64_t too_long;     /* songs past MM_MENTION_TEXT_MAX or MM_MENTION_KEY_MAX */
};

/* Counts every song of the state into its mention record (creating pending
 * ones), in batches that commit their records and a checkpoint together; a
 * resumed run continues after the checkpoint, any other run recounts from the
 * start. MM_EINTERRUPTED when ctx->stop is raised between batches. */
MM_MUST_CHECK mm_err mm__enrich_scan(struct mm_stage_ctx *ctx, struct mm__enrich_scan_counts *out);

/* --- pending writes (enrich_batch.c) --- */

struct mm__enrich_put;

struct mm__enrich_batch {
    struct mm_store *state; /* borrowed */
    unsigned db_mentions, db_resolutions, db_tracks;
    int rank[MM_SOURCE__COUNT]; /* position of each source in providers.order */
    struct mm_buf bytes;        /* keys and values of the puts */
    struct mm__enrich_put *puts;
    size_t n_puts, alloc;
    size_t n_mentions;     /* mention records among the puts */
    struct mm_arena arena; /* track merges, per commit */
    struct mm_buf merged;
};

void mm__enrich_batch_init(struct mm__enrich_batch *b, struct mm_store *state,
                           const int rank[MM_SOURCE__COUNT]);
void mm__enrich_batch_cleanup(struct mm__enrich_batch *b);
/* Queues a put of val under key in db. A `track` put is merged with the
 * record already stored under its key (mm__enrich_track_merge). MM_ETOOBIG
 * when the batch holds too many bytes: commit first. */
MM_MUST_CHECK mm_err mm__enrich_batch_put(struct mm__enrich_batch *b, unsigned db, const void *key,
                                          size_t klen, const void *val, size_t vlen, bool track);
/* True when the batch should be committed before more is added. */
bool mm__enrich_batch_full(const struct mm__enrich_batch *b, size_t batch_size);
/* Writes every queued put in one transaction, in queue order, and empties
 * the batch (also on error). */
MM_MUST_CHECK mm_err mm__enrich_batch_commit(struct mm__enrich_batch *b);

/* The merge of a stored track `old` and a newly found `found` with the same
 * key (docs/enrich.md): the record of the source ranked first in `rank`
 * (ties: `found`, the fresher one) gives the descriptive fields and the
 * provenance, the other fills what it lacks; ids and urls are united (the
 * first-ranked record's wins per source); tags are united (first-ranked
 * first, no duplicates, at most MM__ENRICH_TAGS_MAX); popularity and listeners
 * are the newest known. *out borrows strings from both and from `arena`. */
#define MM__ENRICH_TAGS_MAX 32
void mm__enrich_track_merge(const struct mm_track *old, const struct mm_track *found,
                            const int rank[MM_SOURCE__COUNT], struct mm_arena *arena,
                            struct mm_track *out);

/* --- the retryable listing (enrich_list.c) --- */

struct mm__enrich_list;

/* Opens <reports>/<run_id>/enrich_retryable.csv.tmp; caller closes. */
MM_MUST_CHECK mm_err mm__enrich_list_open(const char *reports_dir, const char *run_id,
                                          struct mm__enrich_list **out);
/* Adds a retryable mention: a CSV row, and a warn log line for the first
 * MM__ENRICH_LIST_LOGGED of them. */
#define MM__ENRICH_LIST_LOGGED 20
MM_MUST_CHECK mm_err mm__enrich_list_add(struct mm__enrich_list *l, const char *key, size_t key_len,
                                         const struct mm_mention_record *m);
/* Completes the file under its final name (`keep`), or removes it; frees
 * the list either way (accepts NULL). Returns the error of the completion. */
MM_MUST_CHECK mm_err mm__enrich_list_close(struct mm__enrich_list *l, bool keep);
/* Number of rows added. */
uint64_t mm__enrich_list_count(const struct mm__enrich_list *l);

/* --- the stage and its walks (enrich.c, enrich_walk.c) --- */

/* A provider of providers.order in this run. */
struct mm__enrich_provider {
    const struct mm_provider *impl;
    const struct mm_provider_config *cfg;
    void *state; /* NULL: unavailable this run (no secret, cannot open) */
    bool failed; /* answered FAILED: disabled for the rest of the run */
    char why[400];
    int streak;        /* RETRYABLE answers since its last definitive one */
    bool breaker_open; /* streak reached enrich.breaker_failures: not asked again */
    char breaker_why[160];
};

struct mm__enrich;

/* One mention on its way through the providers. */
struct mm__enrich_walk {
    struct mm__enrich *e;
    struct mm__enrich_walk *next; /* on the free or retired list */
    struct mm_arena arena;        /* the record, reasons, provider results */
    struct mm_buf key;            /* mention key */
    struct mm_buf track;          /* the found track, encoded, when found over HTTP */
    struct mm_mention_record rec;
    struct mm_mention_outcome out[MM_SOURCE__COUNT]; /* this walk's outcomes */
    struct mm_resolution fresh[MM_SOURCE__COUNT];    /* answers fetched this walk */
    bool has_fresh[MM_SOURCE__COUNT];
    size_t pos;       /* index into providers.order */
    unsigned lookups; /* HTTP lookups started this walk */
    bool found, retryable;
    enum mm_source found_source;
    char *found_track;
    double found_score;
};

/* The stage's state. */
struct mm__enrich {
    struct mm_stage_ctx *ctx;
    const struct mm_config *cfg;
    struct mm_http_client *http;
    struct mm__enrich_provider prov[MM_SOURCE__COUNT];
    enum mm_source order[MM_SOURCE__COUNT];
    size_t n_order, n_available;
    struct mm__enrich_batch batch;
    struct mm__enrich_list *list;
    struct mm_store_reader *reader;
    unsigned db_mentions, db_resolutions, db_tracks;
    struct mm__enrich_walk *free, *retired;
    size_t n_flying, window;
    struct mm_buf after, rec; /* last mention key read; record encoding */
    bool fed_all;
    uint64_t max_walks;
    int64_t now_us; /* the run's clock for TTLs */
    mm_err err;     /* first store or report failure */
    struct mm_progress progress;
    uint64_t walks_started, abandoned;
    uint64_t breaker_skipped; /* walks ended retryable at an open breaker */
    uint64_t total, walks, cache_hits, status[4], by_source[MM_SOURCE__COUNT];
};

/* Wall clock, µs since the epoch. */
int64_t mm__enrich_now_us(void);
/* Whether a walk could change what the mention record says (docs/enrich.md). */
bool mm__enrich_needs_walk(const struct mm__enrich *e, const struct mm_mention_record *m);
/* A walk from the free list (or a new one), emptied; caller hands it back
 * with mm__enrich_walk_retire(). */
struct mm__enrich_walk *mm__enrich_walk_take(struct mm__enrich *e);
/* A walk that a provider called back may be referenced by it until the
 * callback returns: such walks wait on the retired list until
 * mm__enrich_walks_recycle() is called from a later point. */
void mm__enrich_walk_retire(struct mm__enrich *e, struct mm__enrich_walk *w);
void mm__enrich_walks_recycle(struct mm__enrich *e);
/* Frees a list of walks. */
void mm__enrich_walks_free(struct mm__enrich_walk *w);
/* Keeps the first fatal error; MM_OK is ignored. */
void mm__enrich_fail(struct mm__enrich *e, mm_err err);
/* Counts a mention in its final state for this run (and lists it when retryable). */
void mm__enrich_tally(struct mm__enrich *e, const char *key, size_t klen,
                      const struct mm_mention_record *m);
/* Walks on from w->pos until a lookup is in flight or the walk ends. */
void mm__enrich_advance(struct mm__enrich_walk *w);
/* Starts walks until http.max_in_flight of them wait on lookups (enrich.c). */
void mm__enrich_fill(struct mm__enrich *e);

#endif
