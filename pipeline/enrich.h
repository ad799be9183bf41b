/*
 * enrich.h — the enrich stage's records: song mentions and cached lookups.
 *
 * The enrich stage (mm_stage_enrich, stage.h) turns the distinct song
 * mentions of the ingested requests into catalog tracks: it counts mentions
 * from the state `songs` db into `mentions`, walks the providers in the
 * configured order for the mentions that need it (new, retryable, expired,
 * or a provider not asked yet), caches every definitive answer in
 * `resolutions`, and writes found tracks into `tracks` (common/track.h).
 * docs/enrich.md describes the behaviour; this header owns the layouts that
 * the score and publish stages read.
 *
 * Mention key (state db `mentions`, and the snapshot `track_names` key):
 *   mm_match_artist_key(artist) "\x1f" mm_match_title_key(title)
 * (an absent artist gives an empty artist key).
 *
 * State record "mention", v1 — key: mention key
 *   | key         | type            | meaning                                       |
 *   |-------------|-----------------|-----------------------------------------------|
 *   | v           | int             | 1                                             |
 *   | title       | str             | example title as written (first song seen)    |
 *   | artist      | str or nil      | example artist as written                     |
 *   | songs       | uint            | songs that mention it (as of counted_run)     |
 *   | counted_run | str             | the run whose song scan set `songs`; a mention |
 *   |             |                 | last counted by an older run has no songs left |
 *   | status      | str             | pending / resolved / unresolved / retryable   |
 *   | track       | str or nil      | resolved: the track key (`tracks` db)         |
 *   | source      | str or nil      | resolved: the provider that found it          |
 *   | score       | float or nil    | resolved: its match score 0–100               |
 *   | providers   | map str → map   | per provider asked in the last walk, by name: |
 *   |             |                 | {outcome: found / not_found / retryable / failed, |
 *   |             |                 |  reason: str or nil, at: int µs since epoch}  |
 *   | attempts    | uint            | provider lookups made over HTTP, all runs     |
 *   | last_run    | str or nil      | run id of the last walk                       |
 *
 * State record "resolution", v1 — key: u8 enum mm_source, mention key
 *   | key        | type          | meaning                                         |
 *   |------------|---------------|-------------------------------------------------|
 *   | v          | int           | 1                                               |
 *   | outcome    | str           | found / not_found (nothing else is cached)      |
 *   | track      | str or nil    | found: the track key                            |
 *   | score      | float or nil  | found: the match score                          |
 *   | reason     | str or nil    | not_found: why (best candidate and its score)   |
 *   | fetched_at | int           | µs since the epoch of the answer                |
 * A found entry is valid for providers.<name>.ttl_days, a not_found one for
 * negative_ttl_days (read with the current config).
 *
 * Does not: read or write the store, or validate that a track key exists
 * (these functions only build keys and (de)serialise records).
 * Thread safety: pure functions over caller memory.
 * Ownership: decoded strings live in the caller's arena; encoders append to
 * the caller's buffer.
 */
#ifndef MM_ENRICH_H
#define MM_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/track.h"

#define MM_MENTION_VERSION 1
#define MM_RESOLUTION_VERSION 1
/* Bytes of a mention key: LMDB keys hold at most 511 bytes and a resolution
 * key adds one. Songs with a longer key are counted and not enriched. */
#define MM_MENTION_KEY_MAX 500
/* Bytes of a song's title or artist; longer ones are counted and not enriched. */
#define MM_MENTION_TEXT_MAX 4096

enum mm_mention_status {
    MM_MENTION_PENDING,    /* never walked to an end */
    MM_MENTION_RESOLVED,   /* a provider found it: `track` */
    MM_MENTION_UNRESOLVED, /* every available provider answered, none found it */
    MM_MENTION_RETRYABLE,  /* a transient failure stopped the walk: next run */
};

enum mm_outcome {
    MM_OUTCOME_NONE, /* the provider was not asked in the last walk */
    MM_OUTCOME_FOUND,
    MM_OUTCOME_NOT_FOUND,
    MM_OUTCOME_RETRYABLE, /* transient failure (retries ran out, timeout) */
    MM_OUTCOME_FAILED,    /* the provider could not work (credentials, quota, a bug) */
};

struct mm_mention_outcome {
    enum mm_outcome outcome;
    char *reason;  /* NULL when none */
    int64_t at_us; /* when the answer was fetched */
};

struct mm_mention_record {
    char *title;
    char *artist; /* NULL when the songs have none */
    uint64_t songs;
    char *counted_run;
    enum mm_mention_status status;
    char *track;                                           /* resolved only, else NULL */
    enum mm_source source;                                 /* resolved only */
    double score;                                          /* resolved only */
    struct mm_mention_outcome providers[MM_SOURCE__COUNT]; /* by enum mm_source */
    uint64_t attempts;
    char *last_run; /* NULL before the first walk */
};

struct mm_resolution {
    bool found;
    char *track;  /* found */
    double score; /* found */
    char *reason; /* not found; may be NULL */
    int64_t fetched_at_us;
};

/* "pending", "resolved", ... and "found", "not_found", ... (static strings). */
const char *mm_mention_status_name(enum mm_mention_status s);
const char *mm_outcome_name(enum mm_outcome o);

/* Appends the mention key of (title, artist) to `out`. MM_ETOOBIG past
 * out->max. The title key may come out empty (a title of symbols only). */
MM_MUST_CHECK mm_err mm_enrich_mention_key(const char *title, const char *artist,
                                           struct mm_buf *out);
/* Appends the `resolutions` key: one byte `source`, then the mention key. */
MM_MUST_CHECK mm_err mm_enrich_resolution_key(enum mm_source source, const char *mention_key,
                                              size_t key_len, struct mm_buf *out);

/* Append the encoding to `out` (MM_ETOOBIG past out->max; `out` unchanged on error). */
MM_MUST_CHECK mm_err mm_enrich_mention_encode(const struct mm_mention_record *m,
                                              struct mm_buf *out);
MM_MUST_CHECK mm_err mm_enrich_resolution_encode(const struct mm_resolution *r, struct mm_buf *out);
/* Decode into *out, strings in `arena`. MM_ECORRUPT on bytes that are not
 * such a record, MM_ESCHEMA on a newer version. */
MM_MUST_CHECK mm_err mm_enrich_mention_decode(const void *data, size_t len, struct mm_arena *arena,
                                              struct mm_mention_record *out);
MM_MUST_CHECK mm_err mm_enrich_resolution_decode(const void *data, size_t len,
                                                 struct mm_arena *arena, struct mm_resolution *out);

#endif
