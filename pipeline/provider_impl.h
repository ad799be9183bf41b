/*
 * provider_impl.h — internals shared by the providers (provider.h) and by
 * nothing else:
 *
 *   provider.c              mm_provider_for, option checks, the lookup record
 *                           and its best-candidate loop, the mapping of HTTP
 *                           outcomes to lookup statuses, JSON readers
 *   provider_spotify.c      token, search, audio features
 *   provider_musicbrainz.c  recording search (Lucene)
 *   provider_lastfm.c       track.search then track.getInfo
 *   provider_itunes.c       term search
 *
 * A lookup is a `struct mm__lookup` embedded in the provider's own record:
 * the provider parses each answer into candidate items, feeds them to
 * mm__lookup_consider(), decides whether to query again, and ends the lookup
 * with exactly one of mm__lookup_found / _not_found / _fail / _http_fail,
 * which call the caller's `done` and then the provider's `release` (which
 * frees the record: `lk` is gone when they return).
 *
 * Requests and what maps to which outcome: docs/providers.md.
 * Thread safety: as provider.h (the thread running mm_http_run).
 */
#ifndef MM_PROVIDER_IMPL_H
#define MM_PROVIDER_IMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline/provider.h"

#define MM__PROVIDER_NAMES_MAX 16 /* credited artists compared per candidate */
#define MM__PROVIDER_TAGS_MAX 10  /* Last.fm top tags kept */

/* What every provider keeps of its options (copies, freed by cleanup). */
struct mm__provider_base {
    enum mm_source source;
    struct mm_http_client *http; /* borrowed */
    char *base_url;              /* without a trailing '/' */
    char *rate_key;              /* NULL: the URL's host */
    char *market;                /* "US" unless given */
    int limit;                   /* candidates per query */
    double min_score, early_exit;
};

/* Copies and checks the options common to all providers: base_url required;
 * search_limit 0 → default_limit, else 1..max_limit; min_score 0 →
 * MM_MATCH_MIN_SCORE, early_exit_score 0 → MM_MATCH_EARLY_EXIT, both 0–100.
 * MM_EINVAL with `err` naming the provider and the option. */
MM_MUST_CHECK mm_err mm__provider_base_init(struct mm__provider_base *b, enum mm_source source,
                                            const struct mm_provider_options *opt,
                                            struct mm_http_client *http, int default_limit,
                                            int max_limit, char err[MM_ERRLEN]);
void mm__provider_base_cleanup(struct mm__provider_base *b);
/* open/close of the providers whose state is the base alone (iTunes,
 * MusicBrainz): a heap base initialised as above, freed by close. */
MM_MUST_CHECK mm_err mm__provider_base_open(enum mm_source source,
                                            const struct mm_provider_options *opt,
                                            struct mm_http_client *http, int default_limit,
                                            int max_limit, void **state, char err[MM_ERRLEN]);
void mm__provider_base_close(void *state);

/* Empties `url` (capped at MM_HTTP_URL_MAX) and writes base_url + path into it. */
MM_MUST_CHECK mm_err mm__provider_url(const struct mm__provider_base *b, const char *path,
                                      struct mm_buf *url);

/* A candidate's title and credited artists, borrowed from its JSON item. */
struct mm__names {
    const char *title; /* NULL: not a usable candidate */
    const char *artists[MM__PROVIDER_NAMES_MAX];
    size_t n;
};
typedef void (*mm__names_fn)(const json_t *item, struct mm__names *out);

struct mm__lookup;
typedef void (*mm__release_fn)(struct mm__lookup *lk);

struct mm__lookup {
    const struct mm__provider_base *base;
    char *title, *artist; /* copies of the mention (artist may be NULL) */
    struct mm_arena *arena;
    mm_lookup_done_fn done;
    void *ctx;
    mm__names_fn names;
    mm__release_fn release;
    json_t *best; /* reference to the best candidate item so far, or NULL */
    double best_score;
    int queries; /* answers considered */
    struct mm_lookup_result result;
};

/* MM_EINVAL when the mention has no title. Copies the mention. */
MM_MUST_CHECK mm_err mm__lookup_init(struct mm__lookup *lk, const struct mm__provider_base *b,
                                     const struct mm_mention *m, struct mm_arena *arena,
                                     mm_lookup_done_fn done, void *ctx, mm__names_fn names,
                                     mm__release_fn release);
/* Frees what init allocated (not the record itself). */
void mm__lookup_cleanup(struct mm__lookup *lk);

/* Scores each candidate of `items` (an array, or one object) with
 * mm_match_score and keeps the best; the first of equal scores wins. */
void mm__lookup_consider(struct mm__lookup *lk, const json_t *items);
/* Best score >= early_exit: no further query is worth it. */
bool mm__lookup_confident(const struct mm__lookup *lk);
/* Best score >= min_score. */
bool mm__lookup_acceptable(const struct mm__lookup *lk);

/* Each of these ends the lookup: done(), then release(). */
/* FOUND with `t` (strings in lk->arena): sets source, score, fetched_at, key. */
void mm__lookup_found(struct mm__lookup *lk, struct mm_track *t);
/* NOT_FOUND, the reason naming the best candidate and its score. */
void mm__lookup_not_found(struct mm__lookup *lk);
void mm__lookup_fail(struct mm__lookup *lk, enum mm_lookup_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The status of a request that did not succeed (mm__provider_outcome), with
 * a reason naming the request, its status and the client's detail. */
void mm__lookup_http_fail(struct mm__lookup *lk, const struct mm_http_response *resp);
/* An in-callback submit refused with `err`: a URL too long for this mention
 * is NOT_FOUND, anything else FAILED. */
void mm__lookup_submit_fail(struct mm__lookup *lk, mm_err err);

/* Lookup status of a finished request whose err is not MM_OK: transient
 * failures (timeouts, retries exhausted on 408/429/5xx or malformed bodies,
 * connection errors) RETRYABLE; MM_ENOTFOUND without a 404 (an error in a
 * body) NOT_FOUND; other statuses (400, 401, 403, a 404 endpoint) FAILED. */
enum mm_lookup_status mm__provider_outcome(const struct mm_http_response *resp);
/* Writes "HTTP <status>, <err name>: <client's detail>; <redacted URL>" to `out`. */
void mm__provider_describe(const struct mm_http_response *resp, char *out, size_t size);

/* Classify hook: a 2xx whose body is not a JSON object is retried (the
 * body was cut or mangled on the way) and ends as MM_EPARSE. */
void mm__provider_classify_json(const struct mm_http_response *resp, void *ctx,
                                struct mm_http_verdict *v);
/* The response body as a JSON object (caller json_decrefs), or NULL. */
json_t *mm__provider_parse(const struct mm_http_response *resp);

/* --- defensive JSON readers: absent or wrong-typed means absent --- */

/* obj[key] when it is a non-empty string, else NULL (borrowed). */
const char *mm__json_str(const json_t *obj, const char *key);
/* An integer, an integral real, or a decimal string ("123") as Last.fm
 * sends its numbers; MM_NULL_INT otherwise. */
int64_t mm__json_int(const json_t *v);
/* The year of an ISO date "YYYY[-MM[-DD...]]", MM_NULL_INT when it has none. */
int64_t mm__provider_year(const char *date);
/* Arena copy of s, NULL for NULL. */
char *mm__provider_strdup(struct mm_arena *arena, const char *s);
/* A track with every field unknown. */
void mm__track_init(struct mm_track *t);
/* Sets t->artists to one arena copy of `artist` (none when NULL). */
void mm__track_set_artist(struct mm_track *t, struct mm_arena *arena, const char *artist);

#endif
