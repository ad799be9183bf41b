/*
 * config.c — the schema table and everything derived from it.
 *
 * `schema[]` below is the only description of the configuration: validation,
 * defaults, the typed struct fill, mm_config_free() and the markdown doc all
 * walk it. To add a key, add one row (and, if it lands in struct mm_config,
 * the member in config.h). A document is processed in three passes: --set
 * overrides are applied to the parsed file, the result is resolved against the
 * schema into a fresh document (keys in schema order, defaults filled, paths
 * absolute, every problem reported), and the resolved document is copied into
 * the struct.
 */
#include "common/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config_moods.h"
#include "common/hash.h"

#define FILE_MAX (1024 * 1024) /* a config file is small; a bigger one is a mistake */
#define GOT_MAX 60             /* offending values are shown up to this many bytes */
#define LINE_MAX_CHARS 1024    /* one error line, truncated past this */
#define DOC_MAX (256 * 1024)   /* the generated markdown table */

/* --- the schema --- */

enum ktype { K_OBJECT, K_ARRAY, K_STRING, K_PATH, K_INT, K_ENUM, K_BOOL, K_LISTEN, K_NUMBER,
             K_ENUM_LIST, K_STRINGS, K_MAP };

enum {
    K_REQUIRED = 1 << 0,   /* no default: absence is an error */
    K_NULLABLE = 1 << 1,   /* null is accepted (and kept as NULL in the struct) */
    K_KIND_INDEX = 1 << 2, /* default is "<kind>:<index>" of the enclosing array element */
};

/* A member of struct mm_config, or of the element struct for keys under "[]". */
struct field {
    size_t off, size;
};

struct key {
    const char *path; /* dotted JSON path; "a[]" stands for each element of array a,
                         "m{}" for each entry of map m */
    enum ktype type;
    const char *def; /* default as JSON text (paths resolve like file values); NULL: none */
    unsigned flags;
    long long min, max;        /* K_INT; K_ENUM_LIST: number of items */
    double fmin, fmax;         /* K_NUMBER */
    const char *const *values; /* K_ENUM, K_ENUM_LIST, NULL-terminated; the struct gets the
                                  index (K_ENUM_LIST: an int array of indexes) */
    const char *only;          /* allowed only when the sibling "kind" has this value */
    struct field at;           /* where the value lands; size 0: nowhere (objects) */
    struct field count;        /* K_ARRAY, K_ENUM_LIST, K_STRINGS, K_MAP: the size_t count */
    size_t elem_size;          /* K_ARRAY, K_MAP: size of one element struct */
    struct field name_at;      /* K_MAP: where an entry's name (char *) lands in its element */
    struct field has;          /* optional: a bool set when the value is present and not null */
    const char *meaning;
};

/* clang-format off */
#define CFG(m) {offsetof(struct mm_config, m), sizeof(((struct mm_config *)0)->m)}
#define SRC(m) {offsetof(struct mm_source_config, m), sizeof(((struct mm_source_config *)0)->m)}
#define MOOD(m) {offsetof(struct mm_mood_config, m), sizeof(((struct mm_mood_config *)0)->m)}
/* A target feature of a mood profile: optional, null means "not constrained". */
#define MOOD_FEATURE(f, lo, hi, what)                                                       \
    {"score.moods{}." #f, K_NUMBER, NULL, K_NULLABLE, FRANGE(lo, hi), .at = MOOD(target.f), \
     .has = MOOD(target.has_##f), .meaning = "Target " what "; absent or null: not constrained."}
#define RANGE(lo, hi) .min = (lo), .max = (hi)
#define FRANGE(lo, hi) .fmin = (lo), .fmax = (hi)
/* The keys every catalog provider has (providers.<m>.*). */
#define PROVIDER_KEYS(m, url_def, rate_def, burst_def, limit_def, limit_max)                       \
    {"providers." #m, K_OBJECT, .meaning = "The " #m " catalog."},                                 \
    {"providers." #m ".base_url", K_STRING, "\"" url_def "\"", .at = CFG(providers.m.base_url),    \
     .meaning = "API base URL (the simulator's in tests and demos)."},                             \
    {"providers." #m ".rate_per_s", K_NUMBER, rate_def, FRANGE(0.001, 10000),                      \
     .at = CFG(providers.m.rate_per_s), .meaning = "Requests per second (token bucket rate)."},    \
    {"providers." #m ".burst", K_INT, burst_def, RANGE(1, 10000), .at = CFG(providers.m.burst),    \
     .meaning = "Requests allowed at once after an idle spell (token bucket size)."},              \
    {"providers." #m ".search_limit", K_INT, limit_def, RANGE(1, limit_max),                       \
     .at = CFG(providers.m.search_limit), .meaning = "Candidates asked for per search query."},    \
    {"providers." #m ".ttl_days", K_INT, "30", RANGE(0, 36500), .at = CFG(providers.m.ttl_days),   \
     .meaning = "Days a found track stays in the resolution cache."},                              \
    {"providers." #m ".negative_ttl_days", K_INT, "3", RANGE(0, 36500),                            \
     .at = CFG(providers.m.negative_ttl_days),                                                     \
     .meaning = "Days a \"not found\" answer stays in the resolution cache."}
/* clang-format on */

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const source_kinds[] = {"pg_csv", "jsonl", NULL};
/* In the order of enum mm_source (common/track.h). */
static const char *const provider_names[] = {"spotify", "musicbrainz", "lastfm", "itunes", NULL};

static const struct key schema[] = {
    {"paths", K_OBJECT, .meaning = "Where moodmusic keeps its files."},
    {"paths.state", K_PATH, "\"state\"", .at = CFG(paths.state),
     .meaning = "LMDB work environment of the pipeline: stage outputs, caches, runs."},
    {"paths.snapshots", K_PATH, "\"snapshots\"", .at = CFG(paths.snapshots),
     .meaning = "Published snapshots and the `current` symlink."},
    {"paths.reports", K_PATH, "\"reports\"", .at = CFG(paths.reports),
     .meaning = "CSV reports and per-run rejects."},
    {"log", K_OBJECT, .meaning = "Structured logging (JSON lines)."},
    {"log.level", K_ENUM, "\"info\"", .values = log_levels, .at = CFG(log.level),
     .meaning = "Lowest level written."},
    {"log.file", K_PATH, "null", K_NULLABLE, .at = CFG(log.file),
     .meaning = "File the log is appended to; null writes to stderr."},
    {"ingest", K_OBJECT, .meaning = "Reading the app's request history."},
    {"ingest.sources", K_ARRAY, "[]", .at = CFG(ingest.sources), .count = CFG(ingest.n_sources),
     .elem_size = sizeof(struct mm_source_config), .meaning = "Inputs, read in this order."},
    {"ingest.sources[].kind", K_ENUM, NULL, K_REQUIRED, .values = source_kinds, .at = SRC(kind),
     .meaning =
         "`pg_csv`: the two psql CSV exports; `jsonl`: one request per line (plain or .gz)."},
    {"ingest.sources[].name", K_STRING, "\"<kind>:<index>\"", K_KIND_INDEX, .at = SRC(name),
     .meaning = "Label of the source in logs and rejects."},
    {"ingest.sources[].requests", K_PATH, NULL, K_REQUIRED, .only = "pg_csv",
     .at = SRC(requests_path), .meaning = "The user_requests.csv export."},
    {"ingest.sources[].songs", K_PATH, NULL, 0, .only = "pg_csv", .at = SRC(songs_path),
     .meaning = "The recommended_songs.csv export; absent: requests only."},
    {"ingest.sources[].path", K_PATH, NULL, K_REQUIRED, .only = "jsonl", .at = SRC(path),
     .meaning = "The requests file, songs nested in each request."},
    {"ingest.batch_size", K_INT, "5000", RANGE(1, 1000000), .at = CFG(ingest.batch_size),
     .meaning = "Records per LMDB write transaction."},
    {"ingest.max_field_bytes", K_INT, "65536", RANGE(1024, 16777216),
     .at = CFG(ingest.max_field_bytes), .meaning = "A longer CSV field or JSONL line is rejected."},
    {"ingest.max_query_chars", K_INT, "500", RANGE(1, 100000), .at = CFG(ingest.max_query_chars),
     .meaning = "Longest accepted request text (the app's limit is 500)."},
    {"ingest.max_emojis", K_INT, "12", RANGE(1, 1000), .at = CFG(ingest.max_emojis),
     .meaning = "Emojis kept per request; extra ones are dropped, as the app does."},
    {"ingest.max_songs_per_request", K_INT, "200", RANGE(1, 100000),
     .at = CFG(ingest.max_songs_per_request), .meaning = "Most songs accepted for one request."},
    {"ingest.min_songs_requested", K_INT, "1", RANGE(1, 100000),
     .at = CFG(ingest.min_songs_requested),
     .meaning = "Lowest accepted num_songs_requested; at most ingest.max_songs_requested."},
    {"ingest.max_songs_requested", K_INT, "100", RANGE(1, 100000),
     .at = CFG(ingest.max_songs_requested), .meaning = "Highest accepted num_songs_requested."},
    {"http", K_OBJECT, .meaning = "Outbound HTTP client (catalog and LLM requests)."},
    {"http.user_agent", K_STRING, "\"moodmusic/" MM_VERSION " ( https://example.org/moodmusic )\"",
     .at = CFG(http.user_agent),
     .meaning = "User-Agent of every request; MusicBrainz blocks agents without a contact."},
    {"http.connect_timeout_ms", K_INT, "10000", RANGE(100, 600000),
     .at = CFG(http.connect_timeout_ms), .meaning = "Connect timeout of each attempt."},
    {"http.timeout_ms", K_INT, "30000", RANGE(100, 3600000), .at = CFG(http.timeout_ms),
     .meaning = "Total time allowed to each attempt."},
    {"http.max_attempts", K_INT, "5", RANGE(1, 100), .at = CFG(http.max_attempts),
     .meaning = "Attempts per request, the first included, before it counts as failed."},
    {"http.min_wait_ms", K_INT, "500", RANGE(1, 3600000), .at = CFG(http.min_wait_ms),
     .meaning = "Shortest retry wait (jittered exponential backoff); at most http.max_wait_ms."},
    {"http.max_wait_ms", K_INT, "60000", RANGE(1, 3600000), .at = CFG(http.max_wait_ms),
     .meaning = "Longest retry wait; a server asking for more makes the request fail."},
    {"http.max_response_bytes", K_INT, "16777216", RANGE(1024, 1073741824),
     .at = CFG(http.max_response_bytes), .meaning = "Largest response body accepted."},
    {"http.max_in_flight", K_INT, "8", RANGE(1, 1024), .at = CFG(http.max_in_flight),
     .meaning = "Requests (and enrich lookups) in flight at once."},
    {"providers", K_OBJECT, .meaning = "Music catalogs that resolve song mentions into tracks."},
    {"providers.order", K_ENUM_LIST, "[\"spotify\", \"musicbrainz\", \"lastfm\", \"itunes\"]",
     RANGE(1, 4), .values = provider_names, .at = CFG(providers.order),
     .count = CFG(providers.n_order),
     .meaning = "Catalogs asked, in this order, until one finds the song."},
    PROVIDER_KEYS(spotify, "https://api.spotify.com", "5", "5", "10", 10),
    {"providers.spotify.accounts_url", K_STRING, "\"https://accounts.spotify.com\"",
     .at = CFG(providers.spotify.accounts_url),
     .meaning = "Base URL of the OAuth token endpoint (client credentials)."},
    {"providers.spotify.market", K_STRING, "\"US\"", .at = CFG(providers.spotify.market),
     .meaning = "Market (ISO 3166-1 alpha-2) of searches."},
    PROVIDER_KEYS(musicbrainz, "https://musicbrainz.org", "0.99", "1", "10", 100),
    PROVIDER_KEYS(lastfm, "https://ws.audioscrobbler.com", "5", "5", "10", 100),
    PROVIDER_KEYS(itunes, "https://itunes.apple.com", "0.33", "1", "10", 200),
    {"providers.itunes.country", K_STRING, "\"US\"", .at = CFG(providers.itunes.market),
     .meaning = "Store country (ISO 3166-1 alpha-2) of searches."},
    {"enrich", K_OBJECT, .meaning = "Resolving song mentions into catalog tracks."},
    {"enrich.min_score", K_INT, "80", RANGE(1, 100), .at = CFG(enrich.min_score),
     .meaning = "Match score (0-100) a candidate needs; at most enrich.early_exit_score."},
    {"enrich.early_exit_score", K_INT, "95", RANGE(1, 100), .at = CFG(enrich.early_exit_score),
     .meaning = "A provider stops searching once its best candidate scores this."},
    {"enrich.max_mentions", K_INT, "0", RANGE(0, 1000000000), .at = CFG(enrich.max_mentions),
     .meaning = "Mentions looked up per run at most (0: all); the rest wait for the next run."},
    {"enrich.batch_size", K_INT, "500", RANGE(1, 100000), .at = CFG(enrich.batch_size),
     .meaning = "Finished mentions per LMDB write transaction."},
    {"enrich.breaker_failures", K_INT, "20", RANGE(1, 100000), .at = CFG(enrich.breaker_failures),
     .meaning = "Consecutive retryable lookups after which a provider is skipped for the run."},
    {"score", K_OBJECT,
     .meaning = "Audio features, mood profiles and mood rankings (docs/score.md)."},
    {"score.moods", K_MAP, MM_CONFIG_DEFAULT_MOODS, .at = CFG(score.moods),
     .count = CFG(score.n_moods), .elem_size = sizeof(struct mm_mood_config),
     .name_at = MOOD(name),
     .meaning = "Mood profiles by name (normalised text; the defaults are listed in docs/score.md). "
                "An entry updates the default of the same name key by key; null drops a default."},
    MOOD_FEATURE(energy, 0, 1, "energy (0-1)"),
    MOOD_FEATURE(valence, 0, 1, "valence, musical positiveness (0-1)"),
    MOOD_FEATURE(danceability, 0, 1, "danceability (0-1)"),
    MOOD_FEATURE(acousticness, 0, 1, "acousticness (0-1)"),
    MOOD_FEATURE(instrumentalness, 0, 1, "instrumentalness (0-1)"),
    MOOD_FEATURE(speechiness, 0, 1, "speechiness (0-1)"),
    MOOD_FEATURE(liveness, 0, 1, "liveness (0-1)"),
    MOOD_FEATURE(tempo, 0, 250, "tempo in BPM"),
    MOOD_FEATURE(loudness, -60, 0, "loudness in dB"),
    {"score.moods{}.aliases", K_STRINGS, "[]", .at = MOOD(aliases), .count = MOOD(n_aliases),
     .meaning = "Other words for the mood (normalised text, each naming one mood only)."},
    {"score.default_mood", K_STRING, "\"chill\"", .at = CFG(score.default_mood),
     .meaning = "Mood of requests whose mood text matches no configured mood; one of score.moods."},
    {"score.max_tracks_per_mood", K_INT, "500", RANGE(1, 100000),
     .at = CFG(score.max_tracks_per_mood), .meaning = "Length of each mood's ranked track list."},
    {"score.features_ttl_days", K_INT, "90", RANGE(0, 36500), .at = CFG(score.features_ttl_days),
     .meaning = "Days cached Spotify audio features (or their absence) serve before asking again."},
    {"score.min_fit", K_NUMBER, "0", FRANGE(0, 1), .at = CFG(score.min_fit),
     .meaning = "Tracks fitting a mood less than this (0-1) are left out of its ranking."},
    {"store", K_OBJECT, .meaning = "LMDB map sizes of the state environment."},
    {"store.map_size_mb", K_INT, "256", RANGE(1, 1048576), .at = CFG(store.map_size_mb),
     .meaning = "Initial map size in MiB; at most store.max_map_size_mb."},
    {"store.max_map_size_mb", K_INT, "65536", RANGE(1, 16777216), .at = CFG(store.max_map_size_mb),
     .meaning = "The map doubles when full up to this size, then writes fail."},
    {"publish", K_OBJECT, .meaning = "Snapshot publication."},
    {"publish.keep", K_INT, "3", RANGE(1, 1000), .at = CFG(publish.keep),
     .meaning = "Snapshots kept besides `current` and its predecessor."},
    {"serve", K_OBJECT, .meaning = "The moodmusic-serve HTTP server."},
    {"serve.listen", K_LISTEN, "\"127.0.0.1:8080\"", .at = CFG(serve.listen),
     .meaning = "Address and port to listen on."},
    {"serve.threads", K_INT, "2", RANGE(1, 256), .at = CFG(serve.threads),
     .meaning = "Worker threads."},
    {"serve.max_connections", K_INT, "1024", RANGE(1, 1000000), .at = CFG(serve.max_connections),
     .meaning = "Open connections beyond this are refused."},
    {"serve.idle_timeout_ms", K_INT, "30000", RANGE(100, 3600000), .at = CFG(serve.idle_timeout_ms),
     .meaning = "An idle keep-alive connection is closed after this."},
    {"serve.header_timeout_ms", K_INT, "10000", RANGE(100, 600000),
     .at = CFG(serve.header_timeout_ms), .meaning = "Time allowed to receive a request's headers."},
    {"serve.reload_poll_ms", K_INT, "1000", RANGE(50, 3600000), .at = CFG(serve.reload_poll_ms),
     .meaning = "How often `current` is checked for a new snapshot."},
};
#define N_KEYS (sizeof(schema) / sizeof(schema[0]))

/* Cross-field rules: the value at `lo` must not exceed the value at `hi`. */
static const struct {
    const char *lo, *hi;
} ordered[] = {
    {"ingest.min_songs_requested", "ingest.max_songs_requested"},
    {"store.map_size_mb", "store.max_map_size_mb"},
    {"http.min_wait_ms", "http.max_wait_ms"},
    {"enrich.min_score", "enrich.early_exit_score"},
};

static const char *const secret_names[] = {MM_SECRET_ENV_VARS};
#define N_SECRETS (sizeof(secret_names) / sizeof(secret_names[0]))

/* --- schema navigation --- */

static const char *leaf_of(const struct key *k)
{
    const char *dot = strrchr(k->path, '.');
    return dot ? dot + 1 : k->path;
}

/* True when k is a direct child of the schema node `node` ("" is the root). */
static bool is_child(const struct key *k, const char *node)
{
    size_t n = strlen(node);
    bool under = n == 0 || (strncmp(k->path, node, n) == 0 && k->path[n] == '.');
    return under && !strchr(n ? k->path + n + 1 : k->path, '.');
}

static const struct key *find_child(const char *node, const char *name)
{
    const struct key *found = NULL;
    for (const struct key *k = schema; k < schema + N_KEYS && !found; k++)
        if (is_child(k, node) && strcmp(leaf_of(k), name) == 0)
            found = k;
    return found;
}

static int enum_index(const struct key *k, const char *s)
{
    int found = -1;
    for (int i = 0; s && k->values[i] && found < 0; i++)
        if (strcmp(k->values[i], s) == 0)
            found = i;
    return found;
}

/* Edit distance, or SIZE_MAX for names too long to be typos worth fixing. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65], d = SIZE_MAX;
    if (la <= 64 && lb <= 64) {
        for (size_t j = 0; j <= lb; j++)
            row[j] = j;
        for (size_t i = 1; i <= la; i++) {
            size_t diag = row[0];
            row[0] = i;
            for (size_t j = 1; j <= lb; j++) {
                size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
                if (up + 1 < best)
                    best = up + 1;
                if (row[j - 1] + 1 < best)
                    best = row[j - 1] + 1;
                row[j] = best;
                diag = up;
            }
        }
        d = row[lb];
    }
    return d;
}

/* The sibling of node closest to `name`, if it is a plausible typo. */
static const char *closest(const char *node, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const struct key *k = schema; k < schema + N_KEYS; k++) {
        size_t d = is_child(k, node) ? distance(name, leaf_of(k)) : SIZE_MAX;
        if (d < best_d && d < strlen(name)) {
            best = leaf_of(k);
            best_d = d;
        }
    }
    return best;
}

/* --- text helpers --- */

/* Appends to a buffer whose content does not depend on input (schema text). */
__attribute__((format(printf, 2, 3))) static void put(struct mm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mm_err err = mm_buf_vprintf(b, fmt, ap);
    va_end(ap);
    MM_ASSERT(err == MM_OK);
}

/* What a key accepts, e.g. "integer 1..256". Caller frees. */
static char *describe(const struct key *k)
{
    struct mm_buf b;
    mm_buf_init(&b, 1024);
    switch (k->type) {
    case K_OBJECT: put(&b, "object"); break;
    case K_ARRAY: put(&b, "array of objects"); break;
    case K_STRING: put(&b, "string"); break;
    case K_PATH: put(&b, "path"); break;
    case K_INT: put(&b, "integer %lld..%lld", k->min, k->max); break;
    case K_ENUM:
        put(&b, "one of ");
        for (size_t i = 0; k->values[i]; i++)
            put(&b, "%s%s", i ? "/" : "", k->values[i]);
        break;
    case K_BOOL: put(&b, "boolean"); break;
    case K_LISTEN: put(&b, "ADDR:PORT (IPv4 or [IPv6], port 0..65535)"); break;
    case K_NUMBER: put(&b, "number %g..%g", k->fmin, k->fmax); break;
    case K_STRINGS: put(&b, "array of strings"); break;
    case K_MAP: put(&b, "object of named objects"); break;
    case K_ENUM_LIST:
        put(&b, "array of %lld..%lld distinct of ", k->min, k->max);
        for (size_t i = 0; k->values[i]; i++)
            put(&b, "%s%s", i ? "/" : "", k->values[i]);
        break;
    }
    if (k->flags & K_NULLABLE)
        put(&b, " or null");
    return mm_buf_take(&b);
}

/* A JSON value as compact text of at most GOT_MAX bytes. Caller frees. */
static char *compact(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    MM_ASSERT(s != NULL);
    if (strlen(s) > GOT_MAX) {
        size_t n = GOT_MAX - 3;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        memcpy(s + n, "...", 4);
    }
    return s;
}

/* base + "/" + p (p itself when absolute), without "." or empty segments. Caller frees. */
static char *absolutize(const char *base, const char *p)
{
    char *joined = p[0] == '/' ? mm_xstrdup(p) : mm_xasprintf("%s/%s", base, p);
    char *out = mm_xmalloc(strlen(joined) + 2);
    size_t n = 0;
    for (const char *seg = joined; *seg;) {
        size_t len = strcspn(seg, "/");
        if (len && !(len == 1 && seg[0] == '.')) {
            out[n++] = '/';
            memcpy(out + n, seg, len);
            n += len;
        }
        seg += len + (seg[len] == '/');
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    free(joined);
    return out;
}

static bool text_ok(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0 &&
           strlen(json_string_value(v)) == json_string_length(v);
}

/* "ADDR:PORT": an IPv4 dotted quad or a bracketed IPv6 address, port 0..65535. */
static bool listen_ok(const char *s)
{
    const char *colon = strrchr(s, ':');
    char host[INET6_ADDRSTRLEN + 2];
    unsigned char addr[16];
    size_t hlen = colon ? (size_t)(colon - s) : 0;
    bool ok = hlen > 0 && hlen < sizeof(host);
    if (ok) {
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
            host[hlen - 1] = '\0';
            ok = inet_pton(AF_INET6, host + 1, addr) == 1;
        } else {
            ok = inet_pton(AF_INET, host, addr) == 1;
        }
    }
    size_t digits = ok ? strlen(colon + 1) : 0;
    ok = ok && digits >= 1 && digits <= 5 && strspn(colon + 1, "0123456789") == digits;
    ok = ok && strtol(colon + 1, NULL, 10) <= 65535;
    return ok;
}

/* An array of min..max distinct values of k->values. */
static bool enum_list_ok(const struct key *k, const json_t *v)
{
    size_t n = json_array_size(v);
    bool ok = json_is_array(v) && (long long)n >= k->min && (long long)n <= k->max;
    for (size_t i = 0; ok && i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        ok = enum_index(k, s) >= 0;
        for (size_t j = 0; ok && j < i; j++)
            ok = strcmp(s, json_string_value(json_array_get(v, j))) != 0;
    }
    return ok;
}

static bool shape_ok(const struct key *k, const json_t *v)
{
    bool ok = false;
    switch (k->type) {
    case K_OBJECT: ok = json_is_object(v); break;
    case K_ARRAY: ok = json_is_array(v); break;
    case K_STRING:
    case K_PATH: ok = text_ok(v); break;
    case K_INT:
        ok = json_is_integer(v) && json_integer_value(v) >= k->min &&
             json_integer_value(v) <= k->max;
        break;
    case K_ENUM: ok = enum_index(k, json_string_value(v)) >= 0; break;
    case K_BOOL: ok = json_is_boolean(v); break;
    case K_LISTEN: ok = text_ok(v) && listen_ok(json_string_value(v)); break;
    case K_NUMBER:
        ok = json_is_number(v) && json_number_value(v) >= k->fmin &&
             json_number_value(v) <= k->fmax;
        break;
    case K_ENUM_LIST: ok = enum_list_ok(k, v); break;
    case K_STRINGS:
        ok = json_is_array(v);
        for (size_t i = 0; ok && i < json_array_size(v); i++)
            ok = text_ok(json_array_get(v, i));
        break;
    case K_MAP: ok = json_is_object(v); break;
    }
    return ok || (json_is_null(v) && (k->flags & K_NULLABLE));
}

/* --- loading context and error reporting --- */

struct ctx {
    struct mm_buf *errors; /* the caller's, may be NULL */
    size_t n_errors;
    const char *file_dir; /* base of relative paths from the file */
    const char *cwd;      /* base of relative paths from --set */
    json_t **set_values;  /* values placed by --set (referenced), to know where paths came from */
    size_t n_set_values;
};

__attribute__((format(printf, 2, 3))) static void report(struct ctx *c, const char *fmt, ...)
{
    char line[LINE_MAX_CHARS];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->n_errors++;
    /* A full error buffer loses the line; the count still fails the load. */
    mm_err err = c->errors ? mm_buf_printf(c->errors, "config error: %s\n", line) : MM_OK;
    MM_ASSERT(err == MM_OK || err == MM_ETOOBIG);
}

static void type_error(struct ctx *c, const struct key *k, const char *where, const json_t *v)
{
    char *want = describe(k), *got = compact(v);
    report(c, "%s: expected %s, got %s", where, want, got);
    free(got);
    free(want);
}

static bool is_set(const struct ctx *c, const json_t *v)
{
    bool found = false;
    for (size_t i = 0; i < c->n_set_values && !found; i++)
        found = c->set_values[i] == v;
    return found;
}

static char *child_where(const char *where, const char *leaf)
{
    return *where ? mm_xasprintf("%s.%s", where, leaf) : mm_xstrdup(leaf);
}

/* --- resolution: validate, fill defaults, make paths absolute --- */

static json_t *resolve_object(struct ctx *c, const char *node, const json_t *in, const char *where,
                              bool from_set, size_t index);

static json_t *resolve_array(struct ctx *c, const struct key *k, const json_t *v, const char *where,
                             bool from_set)
{
    json_t *out = json_array();
    char *node = mm_xasprintf("%s[]", k->path);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        char *at = mm_xasprintf("%s[%zu]", where, i);
        if (json_is_object(e)) {
            json_array_append_new(out, resolve_object(c, node, e, at, from_set || is_set(c, e), i));
        } else {
            char *got = compact(e);
            report(c, "%s: expected object, got %s", at, got);
            free(got);
        }
        free(at);
    }
    free(node);
    return out;
}

/* A map of named objects: the default entries, each updated key by key by the
 * entry of the same name in v (null drops the entry), then every entry
 * resolved against the schema node "<path>{}". */
static json_t *resolve_map(struct ctx *c, const struct key *k, const json_t *v, const char *where,
                           bool from_set)
{
    json_t *merged = k->def ? json_loads(k->def, 0, NULL) : json_object(), *out = json_object();
    char *node = mm_xasprintf("%s{}", k->path);
    const char *name;
    json_t *e;
    MM_ASSERT(json_is_object(merged));
    json_object_foreach((json_t *)v, name, e) {
        json_t *base = json_object_get(merged, name);
        if (json_is_null(e))
            json_object_del(merged, name);
        else if (json_is_object(base) && json_is_object(e) && base != e)
            json_object_update(base, e);
        else
            json_object_set(merged, name, e);
    }
    json_object_foreach(merged, name, e) {
        char *at = child_where(where, name);
        if (!*name) {
            report(c, "%s: entry names must not be empty", where);
        } else if (json_is_object(e)) {
            json_t *r = resolve_object(c, node, e, at, from_set || is_set(c, e), 0);
            json_object_set_new(out, name, r);
        } else {
            char *got = compact(e);
            report(c, "%s: expected object, got %s", at, got);
            free(got);
        }
        free(at);
    }
    free(node);
    json_decref(merged);
    return out;
}

/* The resolved value of key k, or NULL after reporting why v is wrong. */
static json_t *resolve_value(struct ctx *c, const struct key *k, const json_t *v, const char *where,
                             bool from_set)
{
    json_t *r = NULL;
    if (!shape_ok(k, v)) {
        type_error(c, k, where, v);
    } else if (json_is_null(v)) {
        r = json_null();
    } else if (k->type == K_OBJECT) {
        r = resolve_object(c, k->path, v, where, from_set, 0);
    } else if (k->type == K_ARRAY) {
        r = resolve_array(c, k, v, where, from_set);
    } else if (k->type == K_MAP) {
        r = resolve_map(c, k, v, where, from_set);
    } else if (k->type == K_PATH) {
        char *p = absolutize(from_set ? c->cwd : c->file_dir, json_string_value(v));
        r = json_string(p);
        free(p);
    } else {
        r = json_deep_copy(v);
    }
    return r;
}

/* The value of an absent key: its default, or NULL (reported if required). */
static json_t *resolve_missing(struct ctx *c, const struct key *k, const char *where,
                               const char *kind, size_t index)
{
    json_t *r = NULL;
    if (k->flags & K_REQUIRED) {
        if (k->only)
            report(c, "%s: missing (required for kind \"%s\")", where, k->only);
        else
            report(c, "%s: missing (required)", where);
    } else if (k->flags & K_KIND_INDEX) {
        r = kind ? json_sprintf("%s:%zu", kind, index) : NULL;
    } else if (k->type == K_OBJECT) {
        r = resolve_object(c, k->path, NULL, where, false, 0);
    } else if (k->def) {
        json_t *d = json_loads(k->def, JSON_DECODE_ANY, NULL);
        MM_ASSERT(d != NULL);
        r = resolve_value(c, k, d, where, false);
        json_decref(d);
    }
    return r;
}

/* The object's "kind" when node has a kind key and the value is valid, else NULL. */
static const char *valid_kind(const char *node, const json_t *in)
{
    const struct key *k = find_child(node, "kind");
    const char *s = json_string_value(json_object_get(in, "kind"));
    return k && k->type == K_ENUM && enum_index(k, s) >= 0 ? s : NULL;
}

static void report_unknown(struct ctx *c, const char *node, const json_t *in, const char *where,
                           const char *kind)
{
    for (void *it = json_object_iter((json_t *)in); it;
         it = json_object_iter_next((json_t *)in, it)) {
        const char *name = json_object_iter_key(it);
        const struct key *k = find_child(node, name);
        char *at = child_where(where, name);
        if (!k) {
            const char *hint = closest(node, name);
            report(c, "%s: unknown key%s%s%s", at, hint ? " (did you mean \"" : "",
                   hint ? hint : "", hint ? "\"?)" : "");
        } else if (k->only && kind && strcmp(kind, k->only) != 0) {
            report(c, "%s: not allowed for kind \"%s\"", at, kind);
        }
        free(at);
    }
}

/* A fresh object holding every key of schema node `node`, in schema order.
 * `in` may be NULL (absent: all defaults); `index` is the position of an
 * array element, for K_KIND_INDEX defaults. */
static json_t *resolve_object(struct ctx *c, const char *node, const json_t *in, const char *where,
                              bool from_set, size_t index)
{
    json_t *out = json_object();
    const char *kind = valid_kind(node, in);
    report_unknown(c, node, in, where, kind);
    for (const struct key *k = schema; k < schema + N_KEYS; k++) {
        if (!is_child(k, node) || (k->only && (!kind || strcmp(kind, k->only) != 0)))
            continue;
        char *at = child_where(where, leaf_of(k));
        json_t *v = json_object_get(in, leaf_of(k));
        json_t *r = v ? resolve_value(c, k, v, at, from_set || is_set(c, v))
                      : resolve_missing(c, k, at, kind, index);
        if (r)
            json_object_set_new(out, leaf_of(k), r);
        free(at);
    }
    return out;
}

/* The value at a dotted path of plain object keys, or NULL. */
static json_t *lookup(json_t *doc, const char *path)
{
    json_t *v = doc;
    for (const char *seg = path; v && *seg;) {
        size_t len = strcspn(seg, ".");
        v = json_object_getn(v, seg, len);
        seg += len + (seg[len] == '.');
    }
    return v;
}

static void check_order(struct ctx *c, json_t *doc)
{
    for (size_t i = 0; i < sizeof(ordered) / sizeof(ordered[0]); i++) {
        json_t *lo = lookup(doc, ordered[i].lo), *hi = lookup(doc, ordered[i].hi);
        if (json_is_integer(lo) && json_is_integer(hi) &&
            json_integer_value(lo) > json_integer_value(hi))
            report(c, "%s: must be <= %s (%" JSON_INTEGER_FORMAT " > %" JSON_INTEGER_FORMAT ")",
                   ordered[i].lo, ordered[i].hi, json_integer_value(lo), json_integer_value(hi));
    }
}

/* --- --set KEY.PATH=VALUE --- */

static bool key_path_ok(const char *spec, const char *eq)
{
    bool ok = eq && eq > spec && spec[0] != '.' && eq[-1] != '.';
    for (const char *p = spec; ok && p < eq - 1; p++)
        ok = !(p[0] == '.' && p[1] == '.');
    return ok;
}

static bool parse_index(const char *seg, size_t len, size_t *out)
{
    bool ok = len >= 1 && len <= 9;
    *out = 0;
    for (size_t i = 0; ok && i < len; i++) {
        ok = seg[i] >= '0' && seg[i] <= '9';
        *out = *out * 10 + (size_t)(seg[i] - '0');
    }
    return ok;
}

/* One step of a --set walk: the child `seg` of cur, created as an object when
 * missing, or, when value is given, value placed there. NULL after reporting. */
static json_t *set_step(struct ctx *c, const char *spec, json_t *cur, const char *seg, size_t len,
                        json_t *value)
{
    json_t *next = NULL;
    size_t i, n = json_array_size(cur);
    if (json_is_object(cur)) {
        char *key = mm_xstrndup(seg, len);
        next = value ? value : json_object_get(cur, key);
        if (!next) {
            next = json_object();
            json_object_set_new(cur, key, next);
        } else if (value) {
            json_object_set(cur, key, value);
        }
        free(key);
    } else if (!json_is_array(cur)) {
        report(c, "--set \"%s\": %.*s is not an object", spec, (int)(seg - 1 - spec), spec);
    } else if (!parse_index(seg, len, &i) || i > n) {
        report(c, "--set \"%s\": %.*s: no element %.*s (the array has %zu)", spec,
               (int)(seg - 1 - spec), spec, (int)len, seg, n);
    } else if (i == n) {
        json_array_append_new(cur, value ? json_incref(value) : json_object());
        next = json_array_get(cur, i);
    } else {
        if (value)
            json_array_set(cur, i, value);
        next = json_array_get(cur, i);
    }
    return next;
}

static void apply_set(struct ctx *c, json_t *doc, const char *spec)
{
    const char *eq = strchr(spec, '=');
    json_t *value = NULL;
    if (!key_path_ok(spec, eq)) {
        report(c, "--set \"%s\": expected KEY.PATH=VALUE", spec);
        goto out;
    }
    value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!value)
        value = json_string(eq + 1);
    if (!value) {
        report(c, "--set \"%s\": value is not valid UTF-8", spec);
        goto out;
    }
    json_t *cur = doc;
    for (const char *seg = spec; cur && seg < eq;) {
        size_t len = strcspn(seg, ".=");
        bool last = seg + len == eq;
        cur = set_step(c, spec, cur, seg, len, last ? value : NULL);
        if (cur && last)
            c->set_values[c->n_set_values++] = json_incref(value);
        seg += len + 1;
    }
out:
    json_decref(value);
}

/* --- reading the file --- */

static mm_err read_file(int fd, struct mm_buf *b, int *errnum)
{
    char chunk[8192];
    mm_err err = MM_OK;
    while (!err) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0 && errno != EINTR) {
            *errnum = errno;
            err = MM_EIO;
        } else if (n > 0) {
            err = mm_buf_append(b, chunk, (size_t)n);
        }
    }
    return err;
}

/* Parses `file` into an object. MM_ENOTFOUND, MM_EPARSE or MM_ECONFIG, reported. */
static mm_err read_document(struct ctx *c, const char *file, json_t **out)
{
    struct mm_buf b;
    json_error_t je;
    int e = 0;
    mm_err err = MM_OK;
    mm_buf_init(&b, FILE_MAX);
    *out = NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        err = e == ENOENT ? MM_ENOTFOUND : MM_ECONFIG;
        report(c, "cannot read %s: %s%s", file, strerror(e),
               e == ENOENT ? " (use -c FILE or set MOODMUSIC_CONFIG)" : "");
        goto out;
    }
    err = read_file(fd, &b, &e);
    if (err == MM_ETOOBIG)
        report(c, "%s: larger than %d bytes", file, FILE_MAX);
    else if (err)
        report(c, "cannot read %s: %s", file, strerror(e));
    if (err) {
        err = MM_ECONFIG;
        goto out_close;
    }
    *out = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        report(c, "%s:%d:%d: %s", file, je.line, je.column, je.text);
        err = MM_EPARSE;
    } else if (!json_is_object(*out)) {
        char *got = compact(*out);
        report(c, "%s: expected an object at the top level, got %s", file, got);
        free(got);
        json_decref(*out);
        *out = NULL;
        err = MM_ECONFIG;
    }
out_close:
    close(fd);
out:
    mm_buf_cleanup(&b);
    return err;
}

/* --- the typed struct --- */

static void store(char *base, struct field at, const void *src, size_t size)
{
    MM_ASSERT(at.size == size);
    memcpy(base + at.off, src, size);
}

static void fill_object(char *base, const char *node, const json_t *obj);

static void fill_value(char *base, const struct key *k, const json_t *v)
{
    if (k->has.size) {
        bool present = !json_is_null(v);
        store(base, k->has, &present, sizeof(present));
    }
    if (k->type == K_OBJECT) {
        fill_object(base, k->path, v);
    } else if (k->type == K_ARRAY) {
        size_t n = json_array_size(v);
        char *elems = mm_xcalloc(n, k->elem_size), *node = mm_xasprintf("%s[]", k->path);
        for (size_t i = 0; i < n; i++)
            fill_object(elems + i * k->elem_size, node, json_array_get(v, i));
        store(base, k->at, &elems, sizeof(elems));
        store(base, k->count, &n, sizeof(n));
        free(node);
    } else if (k->type == K_INT && k->at.size == sizeof(uint64_t)) {
        MM_ASSERT(k->min >= 0);
        uint64_t x = (uint64_t)json_integer_value(v);
        store(base, k->at, &x, sizeof(x));
    } else if (k->type == K_INT) {
        MM_ASSERT(k->min >= INT_MIN && k->max <= INT_MAX);
        int x = (int)json_integer_value(v);
        store(base, k->at, &x, sizeof(x));
    } else if (k->type == K_ENUM) {
        int x = enum_index(k, json_string_value(v));
        store(base, k->at, &x, sizeof(x));
    } else if (k->type == K_BOOL) {
        bool x = json_is_true(v);
        store(base, k->at, &x, sizeof(x));
    } else if (k->type == K_NUMBER) {
        double x = json_number_value(v);
        store(base, k->at, &x, sizeof(x));
    } else if (k->type == K_MAP) {
        size_t n = json_object_size(v), i = 0;
        char *elems = mm_xcalloc(n ? n : 1, k->elem_size), *node = mm_xasprintf("%s{}", k->path);
        const char *name;
        json_t *e;
        json_object_foreach((json_t *)v, name, e) {
            char *copy = mm_xstrdup(name);
            store(elems + i * k->elem_size, k->name_at, &copy, sizeof(copy));
            fill_object(elems + i++ * k->elem_size, node, e);
        }
        store(base, k->at, &elems, sizeof(elems));
        store(base, k->count, &n, sizeof(n));
        free(node);
    } else if (k->type == K_STRINGS) {
        size_t n = json_array_size(v);
        char **items = mm_xcalloc(n ? n : 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            items[i] = mm_xstrdup(json_string_value(json_array_get(v, i)));
        store(base, k->at, &items, sizeof(items));
        store(base, k->count, &n, sizeof(n));
    } else if (k->type == K_ENUM_LIST) {
        size_t n = json_array_size(v);
        int *items = mm_xcalloc(n ? n : 1, sizeof(int));
        for (size_t i = 0; i < n; i++)
            items[i] = enum_index(k, json_string_value(json_array_get(v, i)));
        store(base, k->at, &items, sizeof(items));
        store(base, k->count, &n, sizeof(n));
    } else {
        char *s = mm_xstrdup(json_string_value(v));
        store(base, k->at, &s, sizeof(s));
    }
}

static void fill_object(char *base, const char *node, const json_t *obj)
{
    for (const struct key *k = schema; k < schema + N_KEYS; k++) {
        const json_t *v = is_child(k, node) ? json_object_get(obj, leaf_of(k)) : NULL;
        if (v)
            fill_value(base, k, v);
    }
}

/* Frees what fill_object() allocated under node. */
static void free_fields(char *base, const char *node)
{
    for (const struct key *k = schema; k < schema + N_KEYS; k++) {
        if (!is_child(k, node))
            continue;
        if (k->type == K_OBJECT) {
            free_fields(base, k->path);
        } else if (k->type == K_ARRAY) {
            char *elems, *sub = mm_xasprintf("%s[]", k->path);
            size_t n;
            memcpy(&elems, base + k->at.off, sizeof(elems));
            memcpy(&n, base + k->count.off, sizeof(n));
            for (size_t i = 0; i < n; i++)
                free_fields(elems + i * k->elem_size, sub);
            free(elems);
            free(sub);
        } else if (k->type == K_MAP) {
            char *elems, *name, *sub = mm_xasprintf("%s{}", k->path);
            size_t n;
            memcpy(&elems, base + k->at.off, sizeof(elems));
            memcpy(&n, base + k->count.off, sizeof(n));
            for (size_t i = 0; i < n; i++) {
                memcpy(&name, elems + i * k->elem_size + k->name_at.off, sizeof(name));
                free(name);
                free_fields(elems + i * k->elem_size, sub);
            }
            free(elems);
            free(sub);
        } else if (k->type == K_STRINGS) {
            char **items;
            size_t n;
            memcpy(&items, base + k->at.off, sizeof(items));
            memcpy(&n, base + k->count.off, sizeof(n));
            for (size_t i = 0; i < n; i++)
                free(items[i]);
            free(items);
        } else if (k->type == K_ENUM_LIST) {
            int *items;
            memcpy(&items, base + k->at.off, sizeof(items));
            free(items);
        } else if (k->type == K_STRING || k->type == K_PATH || k->type == K_LISTEN) {
            char *s;
            memcpy(&s, base + k->at.off, sizeof(s));
            free(s);
        }
    }
}

/* --- public API --- */

mm_err mm_config_load(const char *path, const char *const *sets, size_t n_sets,
                      struct mm_config **out, struct mm_buf *errors)
{
    struct ctx c = {.errors = errors};
    char cwd[PATH_MAX];
    json_t *doc = NULL, *resolved = NULL;
    mm_err err = MM_OK;
    *out = NULL;
    if (!getcwd(cwd, sizeof(cwd))) {
        report(&c, "cannot determine the current directory: %s", strerror(errno));
        err = MM_ECONFIG;
        goto out;
    }
    const char *given = path ? path : getenv("MOODMUSIC_CONFIG");
    char *file = absolutize(cwd, given && *given ? given : "moodmusic.json");
    char *dir = mm_xstrndup(file, (size_t)(strrchr(file, '/') - file));
    c.file_dir = *dir ? dir : "/";
    c.cwd = cwd;
    c.set_values = mm_xcalloc(n_sets, sizeof(json_t *));
    err = read_document(&c, file, &doc);
    if (err)
        goto out_free_file;
    for (size_t i = 0; i < n_sets; i++)
        apply_set(&c, doc, sets[i]);
    resolved = resolve_object(&c, "", doc, "", false, 0);
    check_order(&c, resolved);
    if (c.n_errors) {
        err = MM_ECONFIG;
        goto out_free_resolved;
    }
    struct mm_config *cfg = mm_xcalloc(1, sizeof(*cfg));
    fill_object((char *)cfg, "", resolved);
    cfg->resolved = json_incref(resolved);
    cfg->file = mm_xstrdup(file);
    *out = cfg;
out_free_resolved:
    json_decref(resolved);
    json_decref(doc);
out_free_file:
    for (size_t i = 0; i < c.n_set_values; i++)
        json_decref(c.set_values[i]);
    free(c.set_values);
    free(dir);
    free(file);
out:
    return err;
}

void mm_config_free(struct mm_config *cfg)
{
    if (cfg) {
        free_fields((char *)cfg, "");
        json_decref(cfg->resolved);
        free(cfg->file);
        free(cfg);
    }
}

char *mm_config_dump(const struct mm_config *cfg)
{
    json_t *doc = json_copy(cfg->resolved), *secrets = json_object();
    for (size_t i = 0; i < N_SECRETS; i++)
        json_object_set_new(
            secrets, secret_names[i],
            json_string(mm_config_secret(secret_names[i]) ? "[REDACTED]" : "unset"));
    json_object_set_new(doc, "secrets", secrets);
    char *text = json_dumps(doc, JSON_INDENT(2));
    MM_ASSERT(text != NULL);
    json_decref(doc);
    return text;
}

void mm_config_hash(const struct mm_config *cfg, char out[65])
{
    char *text = json_dumps(cfg->resolved, JSON_SORT_KEYS | JSON_COMPACT);
    MM_ASSERT(text != NULL);
    mm_hash_sha256_hex(text, strlen(text), out);
    free(text);
}

/* Number of entries of a map default (JSON text of the schema). */
static size_t map_size(const char *def)
{
    json_t *d = json_loads(def, 0, NULL);
    MM_ASSERT(json_is_object(d));
    size_t n = json_object_size(d);
    json_decref(d);
    return n;
}

char *mm_config_doc_markdown(void)
{
    struct mm_buf b;
    mm_buf_init(&b, DOC_MAX);
    put(&b, "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (const struct key *k = schema; k < schema + N_KEYS; k++) {
        char *type = describe(k);
        put(&b, "| `%s` | %s | ", k->path, type);
        if (k->flags & K_REQUIRED)
            put(&b, "required");
        else if (k->type == K_MAP && k->def)
            put(&b, "%zu entries", map_size(k->def));
        else if (k->def)
            put(&b, "`%s`", k->def);
        else
            put(&b, "%s", k->type == K_OBJECT ? "`{}`" : "none");
        put(&b, " | %s%s%s%s |\n", k->meaning, k->only ? " Only for kind `" : "",
            k->only ? k->only : "", k->only ? "`." : "");
        free(type);
    }
    return mm_buf_take(&b);
}

const char *mm_config_secret(const char *env_name)
{
    bool listed = false;
    for (size_t i = 0; i < N_SECRETS && !listed; i++)
        listed = strcmp(secret_names[i], env_name) == 0;
    /* Only listed names are redacted by the log: reading another one is a bug. */
    MM_ASSERT(listed);
    const char *v = getenv(env_name);
    return v && *v ? v : NULL;
}
