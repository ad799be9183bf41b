/*
 * enrich.c — the enrich stage: song mentions → catalog tracks (docs/enrich.md).
 *
 * After the song scan (enrich_scan.c) every mention record of this run is
 * read in key order; the mentions that need it are walked through the cache
 * and the providers (enrich_walk.c), the others are counted as they are.
 *
 * Up to http.max_in_flight walks wait on lookups at once: the first ones are
 * started here, the others from the lookup callbacks as walks finish, all
 * inside mm_http_run(). Finished walks are committed in batches
 * (enrich_batch.c); a mention's records and cache entries go in one
 * transaction, so an interrupted run loses no finished work and a mention
 * whose walk was cut keeps its previous record for the next run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pipeline/enrich_int.h"

#define RECORD_MAX (256u << 10) /* one encoded mention or cache entry */

static const struct mm_provider_config *provider_cfg(const struct mm_config *cfg, enum mm_source s)
{
    const struct mm_provider_config *c[MM_SOURCE__COUNT] = {
        &cfg->providers.spotify, &cfg->providers.musicbrainz, &cfg->providers.lastfm,
        &cfg->providers.itunes};
    return c[s];
}

/* --- feeding walks --- */

/* Loads into w the next mention of this run that needs a walk, counting the
 * others on the way; sets e->fed_all past the last one. */
static mm_err feed(struct mm__enrich *e, struct mm__enrich_walk *w, bool *got)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    *got = false;
    mm_err err = mm_store_reader_begin(e->reader, &txn);
    if (err)
        return err;
    if ((err = mm_store_cursor_open(txn, e->db_mentions, &cur)) != MM_OK)
        goto out_end_txn;
    err = mm_store_cursor_seek(cur, e->after.len ? e->after.data : NULL, e->after.len, &k, &kl, &v,
                               &vl);
    if (!err && e->after.len && kl == e->after.len && memcmp(k, e->after.data, kl) == 0)
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    while (!err && !*got) {
        mm_buf_reset(&e->after);
        if ((err = mm_buf_append(&e->after, k, kl)) != MM_OK) {
            mm_log_error("enrich: state mention key of %zu bytes, at most %d expected", kl,
                         MM_MENTION_KEY_MAX);
            err = MM_ECORRUPT;
            break;
        }
        mm_arena_reset(&w->arena);
        if ((err = mm_enrich_mention_decode(v, vl, &w->arena, &w->rec)) != MM_OK) {
            mm_log_error("enrich: state mentions record \"%s\": %s", e->after.data,
                         mm_strerror(err));
            break;
        }
        if (w->rec.counted_run && strcmp(w->rec.counted_run, e->ctx->run_id) == 0) {
            if ((!e->max_walks || e->walks_started < e->max_walks) &&
                mm__enrich_needs_walk(e, &w->rec)) {
                err = mm_buf_append(&w->key, k, kl);
                *got = !err;
                break;
            }
            mm__enrich_tally(e, k, kl, &w->rec);
        }
        err = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    if (err == MM_ENOTFOUND) {
        e->fed_all = true;
        err = MM_OK;
    }
    mm_store_cursor_close(cur);
out_end_txn:
    mm_store_reader_end(e->reader);
    return err;
}

/* Starts walks until http.max_in_flight of them wait on lookups. */
void mm__enrich_fill(struct mm__enrich *e)
{
    while (!e->err && !*e->ctx->stop && !e->fed_all && e->n_flying < e->window) {
        struct mm__enrich_walk *w = mm__enrich_walk_take(e);
        bool got = false;
        mm__enrich_fail(e, feed(e, w, &got));
        if (!got) {
            mm__enrich_walk_retire(e, w);
            break;
        }
        e->walks_started++;
        mm__enrich_advance(w);
    }
}

/* --- set-up --- */

static mm_err client_open(struct mm__enrich *e)
{
    const struct mm_config *cfg = e->cfg;
    struct mm_ratelimit_rule rules[MM_SOURCE__COUNT];
    struct mm_http_options o;
    char why[MM_ERRLEN] = "";
    mm_http_options_init(&o);
    for (size_t i = 0; i < e->n_order; i++) {
        const struct mm_provider_config *c = provider_cfg(cfg, e->order[i]);
        rules[i] = (struct mm_ratelimit_rule){mm_source_name(e->order[i]), c->rate_per_s, c->burst};
    }
    o.user_agent = cfg->http.user_agent;
    o.connect_timeout_ms = cfg->http.connect_timeout_ms;
    o.timeout_ms = cfg->http.timeout_ms;
    o.max_response_bytes = (size_t)cfg->http.max_response_bytes;
    o.max_in_flight = cfg->http.max_in_flight;
    o.max_attempts = cfg->http.max_attempts;
    o.min_wait_ms = (uint64_t)cfg->http.min_wait_ms;
    o.max_wait_ms = (uint64_t)cfg->http.max_wait_ms;
    o.rate_rules = rules;
    o.n_rate_rules = e->n_order;
    o.stop = e->ctx->stop;
    mm_err err = mm_http_client_new(&o, &e->http, why);
    if (err)
        mm_log_error("enrich: cannot create the HTTP client: %s", why);
    return err;
}

/* Opens the providers of providers.order that can work in this run. */
static void providers_open(struct mm__enrich *e)
{
    for (size_t i = 0; i < e->n_order; i++) {
        enum mm_source s = e->order[i];
        struct mm__enrich_provider *p = &e->prov[s];
        struct mm_provider_options o = {.base_url = p->cfg->base_url,
                                        .accounts_url = p->cfg->accounts_url,
                                        .market = p->cfg->market,
                                        .search_limit = p->cfg->search_limit,
                                        .min_score = e->cfg->enrich.min_score,
                                        .early_exit_score = e->cfg->enrich.early_exit_score,
                                        .rate_key = mm_source_name(s)};
        const char *missing = NULL;
        if (s == MM_SOURCE_SPOTIFY) {
            o.client_id = mm_config_secret("SPOTIPY_CLIENT_ID");
            o.client_secret = mm_config_secret("SPOTIPY_CLIENT_SECRET");
            missing = !o.client_id       ? "SPOTIPY_CLIENT_ID"
                      : !o.client_secret ? "SPOTIPY_CLIENT_SECRET"
                                         : NULL;
        } else if (s == MM_SOURCE_LASTFM) {
            o.api_key = mm_config_secret("LASTFM_API_KEY");
            missing = !o.api_key ? "LASTFM_API_KEY" : NULL;
        }
        char why[MM_ERRLEN] = "";
        if (missing) {
            mm_log_warn("enrich: provider %s skipped: %s is not set in the environment",
                        mm_source_name(s), missing);
        } else if (p->impl->open(&o, e->http, &p->state, why) != MM_OK) {
            p->state = NULL;
            mm_log_error("enrich: provider %s cannot start and is skipped: %s", mm_source_name(s),
                         why);
        }
        e->n_available += p->state != NULL;
    }
    if (!e->n_available)
        mm_log_warn("enrich: no provider can work in this run: mentions not resolved from the "
                    "cache stay pending");
}

static void providers_close(struct mm__enrich *e)
{
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        if (e->prov[s].impl)
            e->prov[s].impl->close(e->prov[s].state);
}

/* --- counts --- */

static void set_counts(struct mm__enrich *e, const struct mm__enrich_scan_counts *scan)
{
    json_t *c = e->ctx->counts, *by_source = json_object(), *http_by = json_object();
    uint64_t requests = 0;
    for (size_t i = 0; e->http && i < mm_http_stats_count(e->http); i++) {
        struct mm_http_host_stats st;
        mm_http_stats_at(e->http, i, &st);
        requests += st.requests;
        json_object_set_new(http_by, st.host, json_integer((json_int_t)st.requests));
    }
    for (size_t i = 0; i < e->n_order; i++)
        json_object_set_new(by_source, mm_source_name(e->order[i]),
                            json_integer((json_int_t)e->by_source[e->order[i]]));
    double coverage = e->total ? (double)e->status[MM_MENTION_RESOLVED] / (double)e->total : 0;
    json_object_set_new(c, "songs_scanned", json_integer((json_int_t)scan->songs));
    json_object_set_new(c, "songs_too_long", json_integer((json_int_t)scan->too_long));
    json_object_set_new(c, "new_mentions", json_integer((json_int_t)scan->new_mentions));
    json_object_set_new(c, "mentions_total", json_integer((json_int_t)e->total));
    json_object_set_new(c, "looked_up", json_integer((json_int_t)e->walks));
    json_object_set_new(c, "cache_hits", json_integer((json_int_t)e->cache_hits));
    for (int st = 0; st < 4; st++)
        json_object_set_new(c, mm_mention_status_name((enum mm_mention_status)st),
                            json_integer((json_int_t)e->status[st]));
    json_object_set_new(c, "by_source", by_source);
    json_object_set_new(c, "http_requests", json_integer((json_int_t)requests));
    json_object_set_new(c, "http_requests_by_source", http_by);
    json_object_set_new(c, "coverage", json_real((double)(int64_t)(coverage * 10000 + 0.5) / 1e4));
    json_t *unavailable = json_array(), *disabled = json_array();
    for (size_t i = 0; i < e->n_order; i++) {
        const struct mm__enrich_provider *p = &e->prov[e->order[i]];
        if (!p->state || p->failed)
            json_array_append_new(p->state ? disabled : unavailable,
                                  json_string(mm_source_name(e->order[i])));
    }
    json_object_set_new(c, "providers_unavailable", unavailable);
    json_object_set_new(c, "providers_disabled", disabled);
    json_t *breakers = json_array();
    for (size_t i = 0; i < e->n_order; i++)
        if (e->prov[e->order[i]].breaker_open)
            json_array_append_new(breakers, json_string(mm_source_name(e->order[i])));
    json_object_set_new(c, "breakers_open", breakers);
    json_object_set_new(c, "breaker_skipped", json_integer((json_int_t)e->breaker_skipped));
}

static void log_summary(const struct mm__enrich *e)
{
    mm_log_info("enrich: %llu mentions: %llu resolved, %llu unresolved, %llu retryable, %llu "
                "pending; %llu walked, %llu cache hits",
                (unsigned long long)e->total, (unsigned long long)e->status[MM_MENTION_RESOLVED],
                (unsigned long long)e->status[MM_MENTION_UNRESOLVED],
                (unsigned long long)e->status[MM_MENTION_RETRYABLE],
                (unsigned long long)e->status[MM_MENTION_PENDING], (unsigned long long)e->walks,
                (unsigned long long)e->cache_hits);
}

/* --- the stage --- */

/* Drives every walk to its end (or to the stop flag). */
static mm_err walk_all(struct mm__enrich *e)
{
    uint64_t n_mentions = 0;
    struct mm_txn *txn;
    mm_err err = mm_store_read_begin(e->ctx->state, &txn);
    if (err)
        return err;
    err = mm_store_count(txn, e->db_mentions, &n_mentions);
    mm_store_read_end(txn);
    if (err)
        return err;
    mm_progress_init(&e->progress, "enrich", "mentions", n_mentions);
    for (;;) {
        mm__enrich_walks_recycle(e);
        mm__enrich_fill(e);
        if (!e->n_flying || (err = mm_http_run(e->http)) != MM_OK)
            break;
    }
    mm_progress_finish(&e->progress);
    mm__enrich_fail(e, mm__enrich_batch_commit(&e->batch));
    if (err == MM_EINTERRUPTED || (!e->err && (!e->fed_all || e->abandoned)))
        err = MM_EINTERRUPTED;
    return e->err ? e->err : err;
}

/* Sets e->order and the rank of every source from providers.order. */
static mm_err take_order(struct mm__enrich *e, int rank[MM_SOURCE__COUNT])
{
    for (int s = 0; s < MM_SOURCE__COUNT; s++)
        rank[s] = MM_SOURCE__COUNT;
    for (size_t i = 0; i < e->cfg->providers.n_order; i++) {
        int s = e->cfg->providers.order[i];
        if (s < 0 || s >= MM_SOURCE__COUNT || rank[s] != MM_SOURCE__COUNT) {
            mm_log_error("enrich: providers.order[%zu]: not a provider, or listed twice", i);
            return MM_ECONFIG;
        }
        rank[s] = (int)i;
        e->order[e->n_order++] = (enum mm_source)s;
        e->prov[s].impl = mm_provider_for((enum mm_source)s);
        e->prov[s].cfg = provider_cfg(e->cfg, (enum mm_source)s);
    }
    return MM_OK;
}

static mm_err enrich_run(struct mm_stage_ctx *ctx)
{
    struct mm__enrich e = {.ctx = ctx,
                           .cfg = ctx->cfg,
                           .db_mentions = mm_store_db(ctx->state, "mentions"),
                           .db_resolutions = mm_store_db(ctx->state, "resolutions"),
                           .db_tracks = mm_store_db(ctx->state, "tracks"),
                           .window = (size_t)ctx->cfg->http.max_in_flight,
                           .max_walks = (uint64_t)ctx->cfg->enrich.max_mentions,
                           .now_us = mm__enrich_now_us()};
    struct mm__enrich_scan_counts scan = {0};
    int rank[MM_SOURCE__COUNT];
    mm_buf_init(&e.after, MM_MENTION_KEY_MAX);
    mm_buf_init(&e.rec, RECORD_MAX);
    mm_err err = take_order(&e, rank);
    mm__enrich_batch_init(&e.batch, ctx->state, rank);
    if (!err)
        err = mm__enrich_scan(ctx, &scan);
    if (!err)
        err = mm_store_reader_open(ctx->state, &e.reader);
    if (!err)
        err = client_open(&e);
    if (err)
        goto out;
    providers_open(&e);
    if ((err = mm__enrich_list_open(ctx->cfg->paths.reports, ctx->run_id, &e.list)) != MM_OK)
        goto out_close_providers;
    err = walk_all(&e);
    mm_err list_err = mm__enrich_list_close(e.list, err == MM_OK);
    err = err ? err : list_err;
    log_summary(&e);
out_close_providers:
    providers_close(&e);
out:
    set_counts(&e, &scan);
    mm_http_client_free(e.http);
    mm_store_reader_close(e.reader);
    mm__enrich_walks_free(e.free);
    mm__enrich_walks_free(e.retired);
    mm__enrich_batch_cleanup(&e.batch);
    mm_buf_cleanup(&e.rec);
    mm_buf_cleanup(&e.after);
    return err;
}

const struct mm_stage mm_stage_enrich = {
    .name = "enrich",
    .summary = "resolve song mentions into catalog tracks (Spotify, MusicBrainz, Last.fm, iTunes)",
    .run = enrich_run,
};
