/*
 * enrich_walk.c — the walk of one mention through the providers of
 * providers.order.
 *
 * Each step asks the resolution cache first and the provider over HTTP only
 * when the cache has no valid entry. The walk ends at the first "found", at
 * a transient failure (retryable: the next run continues from there, so its
 * result is the one an undisturbed run would give), or after the last
 * provider (unresolved). A provider answering FAILED is disabled for the rest
 * of the run and the walk goes on with the next one; a provider answering
 * RETRYABLE enrich.breaker_failures times in a row (likely unreachable) ends
 * every later walk that reaches it as retryable, without a request. A
 * finished walk queues the answers it fetched (cache entries, the track) and
 * the new mention record in the stage's batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "pipeline/enrich_int.h"

#define WALK_ARENA (32u << 10)
#define TRACK_MAX (1u << 20) /* one encoded track */
#define US_PER_DAY (86400LL * 1000000)
#define STORE_KEY_MAX 511 /* LMDB's largest key */

int64_t mm__enrich_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool available(const struct mm__enrich *e, enum mm_source s)
{
    return e->prov[s].state && !e->prov[s].failed;
}

static bool expired(const struct mm__enrich *e, enum mm_source s, bool found, int64_t at_us)
{
    const struct mm_provider_config *c = e->prov[s].cfg;
    int64_t ttl = (int64_t)(found ? c->ttl_days : c->negative_ttl_days) * US_PER_DAY;
    return e->now_us - at_us >= ttl;
}

/* Whether a walk could change what the record says (docs/enrich.md). */
bool mm__enrich_needs_walk(const struct mm__enrich *e, const struct mm_mention_record *m)
{
    if (e->ctx->full || m->status == MM_MENTION_PENDING || m->status == MM_MENTION_RETRYABLE)
        return true;
    for (size_t i = 0; i < e->n_order; i++) {
        enum mm_source s = e->order[i];
        const struct mm_mention_outcome *o = &m->providers[s];
        bool found = o->outcome == MM_OUTCOME_FOUND;
        bool definitive = found || o->outcome == MM_OUTCOME_NOT_FOUND;
        if (definitive && expired(e, s, found, o->at_us))
            return true;
        if (found)
            return m->status != MM_MENTION_RESOLVED || m->source != s;
        if (!definitive && available(e, s))
            return true;
    }
    return m->status != MM_MENTION_UNRESOLVED;
}

/* --- walks: allocation, tallies, endings --- */

struct mm__enrich_walk *mm__enrich_walk_take(struct mm__enrich *e)
{
    struct mm__enrich_walk *w = e->free;
    if (w) {
        e->free = w->next;
    } else {
        w = mm_xcalloc(1, sizeof(*w));
        w->e = e;
        mm_arena_init(&w->arena, WALK_ARENA);
        mm_buf_init(&w->key, MM_MENTION_KEY_MAX);
        mm_buf_init(&w->track, TRACK_MAX);
    }
    mm_arena_reset(&w->arena);
    mm_buf_reset(&w->key);
    mm_buf_reset(&w->track);
    memset(w->out, 0, sizeof(w->out));
    memset(w->has_fresh, 0, sizeof(w->has_fresh));
    w->pos = 0;
    w->lookups = 0;
    w->found = w->retryable = false;
    w->next = NULL;
    return w;
}

/* A walk that a provider called back may still be referenced by it until
 * the callback returns: it is reused only from the next callback on. */
void mm__enrich_walk_retire(struct mm__enrich *e, struct mm__enrich_walk *w)
{
    struct mm__enrich_walk **list = w->lookups ? &e->retired : &e->free;
    w->next = *list;
    *list = w;
}

void mm__enrich_walks_recycle(struct mm__enrich *e)
{
    while (e->retired) {
        struct mm__enrich_walk *w = e->retired;
        e->retired = w->next;
        w->next = e->free;
        e->free = w;
    }
}

void mm__enrich_walks_free(struct mm__enrich_walk *w)
{
    while (w) {
        struct mm__enrich_walk *next = w->next;
        mm_arena_cleanup(&w->arena);
        mm_buf_cleanup(&w->key);
        mm_buf_cleanup(&w->track);
        free(w);
        w = next;
    }
}

void mm__enrich_fail(struct mm__enrich *e, mm_err err)
{
    if (!e->err)
        e->err = err;
}

/* Counts a mention in its final state for this run. */
void mm__enrich_tally(struct mm__enrich *e, const char *key, size_t klen,
                      const struct mm_mention_record *m)
{
    e->status[m->status]++;
    if (m->status == MM_MENTION_RESOLVED)
        e->by_source[m->source]++;
    if (m->status == MM_MENTION_RETRYABLE && e->list)
        mm__enrich_fail(e, mm__enrich_list_add(e->list, key, klen, m));
    mm_progress_update(&e->progress, 1, ++e->total);
}

/* Queues the cache entries, the track and the record of a finished walk. */
static mm_err queue_walk(struct mm__enrich *e, struct mm__enrich_walk *w)
{
    char key[MM_MENTION_KEY_MAX + 1];
    mm_err err = MM_OK;
    for (int s = 0; s < MM_SOURCE__COUNT && !err; s++) {
        if (!w->has_fresh[s])
            continue;
        mm_buf_reset(&e->rec);
        key[0] = (char)s;
        memcpy(key + 1, w->key.data, w->key.len);
        err = mm_enrich_resolution_encode(&w->fresh[s], &e->rec);
        if (!err)
            err = mm__enrich_batch_put(&e->batch, e->db_resolutions, key, w->key.len + 1,
                                       e->rec.data, e->rec.len, false);
    }
    if (!err && w->track.len)
        err = mm__enrich_batch_put(&e->batch, e->db_tracks, w->found_track, strlen(w->found_track),
                                   w->track.data, w->track.len, true);
    mm_buf_reset(&e->rec);
    if (!err)
        err = mm_enrich_mention_encode(&w->rec, &e->rec);
    if (!err)
        err = mm__enrich_batch_put(&e->batch, e->db_mentions, w->key.data, w->key.len, e->rec.data,
                                   e->rec.len, false);
    return err;
}

/* The walk's outcome becomes the mention's record; it is queued for the
 * next commit and counted. */
static void finish(struct mm__enrich_walk *w)
{
    struct mm__enrich *e = w->e;
    struct mm_mention_record *m = &w->rec;
    bool any = false;
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        any = any || w->out[s].outcome != MM_OUTCOME_NONE;
    m->status = w->found       ? MM_MENTION_RESOLVED
                : w->retryable ? MM_MENTION_RETRYABLE
                : any          ? MM_MENTION_UNRESOLVED
                               : MM_MENTION_PENDING;
    m->track = w->found ? w->found_track : NULL;
    m->source = w->found ? w->found_source : MM_SOURCE_SPOTIFY;
    m->score = w->found ? w->found_score : 0;
    memcpy(m->providers, w->out, sizeof(w->out));
    m->attempts += w->lookups;
    m->last_run = (char *)e->ctx->run_id;
    if (mm__enrich_batch_full(&e->batch, (size_t)e->cfg->enrich.batch_size))
        mm__enrich_fail(e, mm__enrich_batch_commit(&e->batch));
    mm_err err = e->err ? e->err : queue_walk(e, w);
    if (err == MM_ETOOBIG)
        mm_log_error("enrich: the records of mention \"%s\" are too large to store", m->title);
    mm__enrich_fail(e, err);
    if (!e->err)
        mm__enrich_tally(e, w->key.data, w->key.len, m);
    e->walks++;
    mm__enrich_walk_retire(e, w);
}

/* --- one step of a walk --- */

/* The cached answer of provider s for the walk's mention: 1 found, 0 not
 * found, -1 none (absent, expired, unreadable, or its track is gone). */
static int cached(struct mm__enrich_walk *w, enum mm_source s)
{
    struct mm__enrich *e = w->e;
    char key[MM_MENTION_KEY_MAX + 1];
    struct mm_txn *txn;
    struct mm_resolution r;
    const void *v, *tv;
    size_t vl, tvl;
    int answer = -1;
    key[0] = (char)s;
    memcpy(key + 1, w->key.data, w->key.len);
    mm_err err = mm_store_reader_begin(e->reader, &txn);
    if (err) {
        mm__enrich_fail(e, err);
        return -1;
    }
    err = mm_store_get(txn, e->db_resolutions, key, w->key.len + 1, &v, &vl);
    if (!err && (err = mm_enrich_resolution_decode(v, vl, &w->arena, &r)) != MM_OK)
        mm_log_warn("enrich: cached %s answer for \"%s\" is unreadable (%s): asked again",
                    mm_source_name(s), w->rec.title, mm_strerror(err));
    if (!err && !expired(e, s, r.found, r.fetched_at_us))
        answer = !r.found ? 0
                 : mm_store_get(txn, e->db_tracks, r.track, strlen(r.track), &tv, &tvl) == MM_OK
                     ? 1
                     : -1;
    mm_store_reader_end(e->reader);
    if (answer >= 0) {
        e->cache_hits++;
        w->out[s] = (struct mm_mention_outcome){answer ? MM_OUTCOME_FOUND : MM_OUTCOME_NOT_FOUND,
                                                r.reason, r.fetched_at_us};
    }
    if (answer == 1) {
        w->found = true;
        w->found_source = s;
        w->found_track = r.track;
        w->found_score = r.score;
    }
    return answer;
}

static void disable(struct mm__enrich *e, enum mm_source s, const char *reason)
{
    struct mm__enrich_provider *p = &e->prov[s];
    if (p->failed)
        return;
    p->failed = true;
    snprintf(p->why, sizeof(p->why), "disabled for this run: %s", reason);
    mm_log_error("enrich: provider %s cannot work and is disabled for the rest of this run: %s",
                 mm_source_name(s), reason);
}

/* Counts a lookup's answer towards provider s's circuit breaker: after
 * enrich.breaker_failures RETRYABLE answers in a row (the provider is most
 * likely unreachable) it opens for the rest of the run. */
static void breaker_note(struct mm__enrich *e, enum mm_source s, bool retryable)
{
    struct mm__enrich_provider *p = &e->prov[s];
    int n = e->cfg->enrich.breaker_failures;
    p->streak = retryable ? p->streak + 1 : 0;
    if (p->breaker_open || p->streak < n)
        return;
    p->breaker_open = true;
    snprintf(p->breaker_why, sizeof(p->breaker_why),
             "%s unreachable this run (circuit open after %d consecutive failures)",
             mm_source_name(s), n);
    mm_log_error("enrich: provider %s failed %d lookups in a row: mentions that reach it stay "
                 "retryable for the rest of this run, without requests",
                 mm_source_name(s), n);
}

/* Keeps what the walk needs of a FOUND result (strings are in w->arena). */
static void take_found(struct mm__enrich_walk *w, enum mm_source s, struct mm_lookup_result *r)
{
    struct mm_track *t = &r->track;
    t->source = s;
    if (!t->fetched_at_us)
        t->fetched_at_us = mm__enrich_now_us();
    mm_err err = t->key ? MM_OK : mm_track_make_key(t, &w->arena);
    if (!err && strlen(t->key) > STORE_KEY_MAX)
        err = MM_ETOOBIG;
    if (!err)
        err = mm_track_encode(t, &w->track);
    if (err) {
        mm_buf_reset(&w->track);
        w->out[s] = (struct mm_mention_outcome){
            MM_OUTCOME_FAILED,
            mm_arena_strdup(&w->arena, t->key ? "the track found cannot be stored"
                                              : "the track found has no key"),
            t->fetched_at_us};
        mm_log_error("enrich: %s found \"%s\" for \"%s\" but it cannot be stored: %s",
                     mm_source_name(s), t->title ? t->title : "", w->rec.title, mm_strerror(err));
        return;
    }
    w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_FOUND, NULL, t->fetched_at_us};
    w->fresh[s] = (struct mm_resolution){
        .found = true, .track = t->key, .score = t->score, .fetched_at_us = t->fetched_at_us};
    w->has_fresh[s] = true;
    w->found = true;
    w->found_source = s;
    w->found_track = t->key;
    w->found_score = t->score;
}

static void on_lookup(struct mm_lookup_result *r, void *ctx)
{
    struct mm__enrich_walk *w = ctx;
    struct mm__enrich *e = w->e;
    enum mm_source s = e->order[w->pos];
    int64_t now = mm__enrich_now_us();
    char *reason = mm_arena_strdup(&w->arena, r->reason);
    mm__enrich_walks_recycle(e);
    e->n_flying--;
    if (*e->ctx->stop || e->err) {
        e->abandoned++; /* its mention keeps its record for the next run */
        mm__enrich_walk_retire(e, w);
        return;
    }
    if (r->status != MM_LOOKUP_FAILED)
        breaker_note(e, s, r->status == MM_LOOKUP_RETRYABLE);
    switch (r->status) {
    case MM_LOOKUP_FOUND: take_found(w, s, r); break;
    case MM_LOOKUP_NOT_FOUND:
        w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_NOT_FOUND, reason, now};
        w->fresh[s] = (struct mm_resolution){.reason = reason, .fetched_at_us = now};
        w->has_fresh[s] = true;
        break;
    case MM_LOOKUP_RETRYABLE:
        w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_RETRYABLE, reason, now};
        w->retryable = true;
        break;
    case MM_LOOKUP_FAILED:
        w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_FAILED, reason, now};
        disable(e, s, r->reason);
        break;
    }
    if (w->found || w->retryable) {
        finish(w);
    } else {
        w->pos++;
        mm__enrich_advance(w);
    }
    mm__enrich_fill(e);
}

/* Starts the lookup of provider s; false (with the outcome recorded) when
 * it cannot start. */
static bool start_lookup(struct mm__enrich_walk *w, enum mm_source s)
{
    struct mm__enrich *e = w->e;
    struct mm__enrich_provider *p = &e->prov[s];
    struct mm_mention m = {.key = w->key.data, .title = w->rec.title, .artist = w->rec.artist};
    mm_err err = p->impl->lookup(p->state, &m, &w->arena, on_lookup, w);
    if (err) {
        char *why = mm_arena_strdup(&w->arena, mm_strerror(err));
        w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_FAILED, why, mm__enrich_now_us()};
        mm_log_warn("enrich: %s lookup of \"%s\" cannot start: %s", mm_source_name(s), w->rec.title,
                    why);
        return false;
    }
    w->lookups++;
    e->n_flying++;
    return true;
}

/* Walks on from w->pos until a lookup is in flight or the walk ends. */
void mm__enrich_advance(struct mm__enrich_walk *w)
{
    struct mm__enrich *e = w->e;
    bool symbols_only = w->key.data[w->key.len - 1] == '\x1f';
    for (; w->pos < e->n_order && !e->err; w->pos++) {
        enum mm_source s = e->order[w->pos];
        int answer = cached(w, s);
        if (answer == 1)
            break;
        if (answer == 0 || !e->prov[s].state)
            continue;
        if (e->prov[s].failed) {
            w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_FAILED, e->prov[s].why, e->now_us};
        } else if (symbols_only) {
            w->out[s] = (struct mm_mention_outcome){
                MM_OUTCOME_NOT_FOUND, "the title has no letters or digits to search for",
                e->now_us};
        } else if (e->prov[s].breaker_open) {
            w->out[s] = (struct mm_mention_outcome){MM_OUTCOME_RETRYABLE, e->prov[s].breaker_why,
                                                    mm__enrich_now_us()};
            w->retryable = true;
            e->breaker_skipped++;
            break;
        } else if (start_lookup(w, s)) {
            return;
        }
    }
    if (e->err) {
        e->abandoned++;
        mm__enrich_walk_retire(e, w);
    } else {
        finish(w);
    }
}
