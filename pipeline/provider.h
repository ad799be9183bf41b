/*
 * provider.h — music catalog providers for the enrich and score stages.
 *
 * A provider resolves a song mention (title + artist as the LLM wrote them)
 * into the best matching catalog track, asynchronously over the shared HTTP
 * client (common/http.h): lookup() submits the provider's first query and
 * returns; the provider chains further queries from its HTTP callbacks; `done`
 * is called exactly once from inside mm_http_run() — never when lookup()
 * itself returns an error. Matching uses common/match.h: the title must match
 * on its own and the artist must match too; the best candidate over all
 * queries wins, with an early exit at a confident score.
 *
 * Providers (one file each): spotify (client-credentials token fetched and
 * refreshed lazily; search `track:"T" artist:"A"`, then `"T" "A"`, limit
 * <= 10), musicbrainz (recording search, Lucene-escaped query), lastfm
 * (track.search then track.getInfo for tags/listeners; errors inside 200 via
 * mm_http_classify_lastfm), itunes (term search).
 *
 * Does not: cache (the enrich stage owns the resolution cache), read config
 * (the stage fills struct mm_provider_options), or log per mention below
 * debug level.
 * Thread safety: a provider state is used by the thread running mm_http_run.
 */
#ifndef MM_PROVIDER_H
#define MM_PROVIDER_H

#include <stdbool.h>

#include "common/err.h"
#include "common/http.h"
#include "common/mem.h"
#include "common/track.h"

struct mm_provider_options {
    const char *base_url;      /* API base, e.g. https://api.spotify.com (no trailing /) */
    const char *accounts_url;  /* spotify: https://accounts.spotify.com */
    const char *client_id;     /* spotify: from SPOTIPY_CLIENT_ID */
    const char *client_secret; /* spotify: from SPOTIPY_CLIENT_SECRET */
    const char *api_key;       /* lastfm: from LASTFM_API_KEY */
    const char *market;        /* spotify market / itunes country, e.g. "US" */
    int search_limit;          /* candidates per query (spotify <= 10) */
    double min_score;          /* a best candidate below this (0–100) is "not found" */
    double early_exit_score;   /* stop querying once the best reaches this */
    const char *rate_key;      /* rate limiter key for this provider's requests */
};

struct mm_mention {
    const char *key;    /* normalised "artist\x1ftitle" (common/text.h) */
    const char *title;  /* as written in the export */
    const char *artist; /* may be NULL */
};

enum mm_lookup_status {
    MM_LOOKUP_FOUND,     /* result.track holds the match */
    MM_LOOKUP_NOT_FOUND, /* definitive: the catalog has no acceptable match */
    MM_LOOKUP_RETRYABLE, /* transient failure (retries exhausted, timeout): try next run */
    MM_LOOKUP_FAILED,    /* the provider cannot work (bad credentials, quota): stop using it */
};

struct mm_lookup_result {
    enum mm_lookup_status status;
    struct mm_track track; /* FOUND: strings in the arena given to lookup() */
    char reason[320];      /* other statuses: why, e.g. "best 'Yesterday' by 'X' scored 42 < 80" */
    int requests;          /* HTTP requests this lookup made */
};

typedef void (*mm_lookup_done_fn)(struct mm_lookup_result *result, void *ctx);

struct mm_provider {
    enum mm_source source;
    /* Creates the provider's state over `http` (borrowed until close). */
    MM_MUST_CHECK mm_err (*open)(const struct mm_provider_options *opt,
                                 struct mm_http_client *http, void **state, char err[MM_ERRLEN]);
    void (*close)(void *state); /* accepts NULL */
    /* Starts resolving `m` (copied as needed); result strings go to `arena`,
     * which must live until `done` has returned. */
    MM_MUST_CHECK mm_err (*lookup)(void *state, const struct mm_mention *m, struct mm_arena *arena,
                                   mm_lookup_done_fn done, void *ctx);
};

extern const struct mm_provider mm_provider_spotify;
extern const struct mm_provider mm_provider_musicbrainz;
extern const struct mm_provider mm_provider_lastfm;
extern const struct mm_provider mm_provider_itunes;

/* The provider for a source. */
const struct mm_provider *mm_provider_for(enum mm_source source);

/* Spotify audio features for up to 100 track ids in one request.
 * done(ctx, i, features) is called for each id (features NULL when Spotify has
 * none), then finished(ctx, err) once: MM_OK; MM_EUNSUPPORTED when Spotify
 * answers 403 (apps created since Nov 2024: features unavailable, not an
 * error); other errors when retries ran out. */
typedef void (*mm_features_fn)(void *ctx, size_t index, const struct mm_features *features);
typedef void (*mm_features_done_fn)(void *ctx, mm_err err);
MM_MUST_CHECK mm_err mm_spotify_audio_features(void *spotify_state, const char *const *ids,
                                               size_t n, mm_features_fn each,
                                               mm_features_done_fn finished, void *ctx);

#endif
