/*
 * config.h — the moodmusic configuration: load, validate, override, explain.
 *
 * One JSON file (jansson) validated against a schema declared once, in
 * config.c: every key has a type, a range or enum, a default, and a line of
 * documentation. Unknown keys are errors (typos must not pass silently).
 * All problems are reported at once, one line each, naming the JSON path and
 * what was expected:
 *     config error: serve.threads: expected integer 1..256, got "8x"
 * `--set KEY.PATH=VALUE` overrides are applied before validation (VALUE read
 * as JSON when it parses, else as a string); array elements are addressed by
 * index (ingest.sources.0.requests=...).
 *
 * Relative paths in the file resolve against the folder of that file;
 * relative paths given with --set resolve against the current directory.
 *
 * Secrets never live in the file: they come only from the environment
 * (MM_SECRET_ENV_VARS) and are shown as "[REDACTED]" by mm_config_dump().
 *
 * Thread safety: a loaded config is immutable and may be shared freely.
 * Ownership: mm_config_load() returns a config the caller frees with
 * mm_config_free().
 */
#ifndef MM_CONFIG_H
#define MM_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/track.h"

#define MM_SECRET_ENV_VARS                                                       \
    "GEMINI_API_KEY", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET",                \
        "SPOTIFY_REFRESH_TOKEN", "LASTFM_API_KEY"

enum mm_source_kind { MM_SOURCE_PG_CSV, MM_SOURCE_JSONL };

struct mm_source_config {
    enum mm_source_kind kind;
    char *name;          /* label in logs/rejects; default: "pg_csv:<n>"/"jsonl:<n>" */
    char *requests_path; /* pg_csv: user_requests.csv (absolute after load) */
    char *songs_path;    /* pg_csv: recommended_songs.csv, or NULL when absent */
    char *path;          /* jsonl: requests.jsonl or requests.jsonl.gz */
};

/* One catalog provider (providers.<name>.*). */
struct mm_provider_config {
    char *base_url;         /* API base URL */
    char *accounts_url;     /* spotify: OAuth token endpoint base; NULL for the others */
    char *market;           /* spotify market / itunes country; NULL for the others */
    double rate_per_s;      /* token bucket rate */
    int burst;              /* token bucket size */
    int search_limit;       /* candidates per query */
    int ttl_days;           /* a cached "found" lives this long */
    int negative_ttl_days;  /* a cached "not found" lives this long */
};

/* One mood profile (score.moods.<name>): target audio features (has_* false
 * when the mood does not constrain a feature) and the words that name it. */
struct mm_mood_config {
    char *name;
    struct mm_features target; /* present and source unset */
    char **aliases;
    size_t n_aliases;
};

struct mm_config {
    char *file;          /* absolute path of the loaded file */
    struct {
        char *state;     /* LMDB work environment of the pipeline */
        char *snapshots; /* snapshots/<id>/ and the `current` symlink */
        char *reports;   /* CSV reports and per-run rejects */
    } paths;
    struct {
        enum mm_log_level level;
        char *file;      /* NULL: stderr */
    } log;
    struct {
        struct mm_source_config *sources;
        size_t n_sources;
        int batch_size;            /* records per LMDB write transaction */
        int max_field_bytes;       /* a longer CSV field or JSONL line is rejected */
        int max_query_chars;       /* app limit: 500 */
        int max_emojis;            /* app limit: 12 (extra ones dropped, as the app does) */
        int max_songs_per_request;
        int min_songs_requested, max_songs_requested;
    } ingest;
    struct {
        char *user_agent;
        int connect_timeout_ms, timeout_ms; /* per attempt */
        int max_attempts;          /* the first included */
        int min_wait_ms, max_wait_ms; /* retry backoff bounds */
        int max_response_bytes;
        int max_in_flight;         /* transfers at once; also enrich's lookups in flight */
    } http;
    struct {
        int *order;                /* enum mm_source values (common/track.h), lookup order */
        size_t n_order;
        struct mm_provider_config spotify, musicbrainz, lastfm, itunes;
    } providers;
    struct {
        int min_score;             /* 0–100: a weaker best candidate is "not found" */
        int early_exit_score;      /* 0–100: a provider stops querying at this score */
        int max_mentions;          /* lookups per run, 0: unlimited */
        int batch_size;            /* finished mentions per LMDB write transaction */
        int breaker_failures;      /* retryable lookups in a row that open a breaker */
    } enrich;
    struct {
        struct mm_mood_config *moods; /* score.moods, in file order (defaults first) */
        size_t n_moods;
        char *default_mood;        /* a name in moods: for moods that match none */
        int max_tracks_per_mood;
        int features_ttl_days;     /* cached Spotify features are asked again after this */
        double min_fit;            /* 0–1: tracks fitting a mood less are not ranked for it */
    } score;
    struct {
        uint64_t map_size_mb;      /* initial LMDB map size */
        uint64_t max_map_size_mb;  /* growth stops here with MM_EMAPFULL */
    } store;
    struct {
        int keep;                  /* snapshots kept besides current and its predecessor */
    } publish;
    struct {
        char *listen;              /* "ADDR:PORT" */
        int threads;
        int max_connections;
        int idle_timeout_ms;
        int header_timeout_ms;
        int reload_poll_ms;        /* how often `current` is checked */
    } serve;
    json_t *resolved;              /* the validated document with defaults filled in */
};

/*
 * Loads `path` (NULL: $MOODMUSIC_CONFIG, else ./moodmusic.json), applies the
 * `n_sets` overrides "KEY.PATH=VALUE", validates, fills defaults.
 * On MM_ECONFIG, `errors` (caller-owned, may be NULL) receives one
 * "config error: PATH: expected ..., got ..." line per problem.
 * Returns MM_OK, MM_ECONFIG, MM_ENOTFOUND (no such file), MM_EPARSE (not JSON;
 * the line says file:line:column).
 */
MM_MUST_CHECK mm_err mm_config_load(const char *path, const char *const *sets, size_t n_sets,
                                    struct mm_config **out, struct mm_buf *errors);
void mm_config_free(struct mm_config *cfg);

/* The resolved config as indented JSON, secrets listed as set/unset and
 * redacted. Caller frees with free(). */
char *mm_config_dump(const struct mm_config *cfg);
/* sha256 (hex, 64 chars + NUL) of the canonical resolved JSON. */
void mm_config_hash(const struct mm_config *cfg, char out[65]);
/* Markdown table of every key (path, type, default, meaning): docs/config.md
 * is generated from it. Caller frees with free(). */
char *mm_config_doc_markdown(void);
/* Value of a secret environment variable, or NULL when unset/empty. */
const char *mm_config_secret(const char *env_name);

#endif
