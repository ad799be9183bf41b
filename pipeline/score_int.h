/*
 * score_int.h — internals shared by the files of the score stage and by
 * nothing else:
 *
 *   score.c           the stage: features of every track, mood rankings
 *   score_features.c  Spotify audio features into the `features` cache
 *   score_requests.c  each request's songs ranked by fit (`song_fit`)
 *   score_record.c    the records of score.h
 *
 * Thread safety: everything runs on the stage's thread.
 */
#ifndef MM_SCORE_INT_H
#define MM_SCORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/track.h"
#include "pipeline/moods.h"
#include "pipeline/score.h"
#include "pipeline/stage.h"

#define MM__SCORE_TRACK_MAX (1u << 20)  /* bytes of one encoded track */
#define MM__SCORE_RECORD_MAX (1u << 20) /* bytes of one encoded score record */
#define MM__SCORE_US_PER_DAY (86400LL * 1000000)

struct mm__score {
    struct mm_stage_ctx *ctx;
    const struct mm_config *cfg;
    struct mm_moods *moods;
    unsigned db_tracks, db_features, db_moods, db_requests, db_songs, db_mentions, db_song_fit;
    int64_t now_us; /* the run's clock for the features TTL */
    /* counts */
    uint64_t tracks, with_spotify, with_tags, without, features_requested, features_found,
        features_none, http_requests, moods_ranked, mood_rows, requests_ranked, requests_default,
        songs_fitted, songs_too_many;
    bool spotify_unavailable; /* 403, or requests failing: not asked again in this run */
};

/* Asks Spotify for the audio features of every track with a Spotify id and
 * no fresh entry in `features` (all of them with --full), 100 ids a request,
 * and caches the answers. Spotify is opened only when some id needs asking.
 * Without Spotify credentials, or once Spotify answers 403 or a request
 * fails, nothing more is asked in this run (one warning) and
 * s->spotify_unavailable is set; that is not an error.
 * MM_EINTERRUPTED when ctx->stop is raised; store errors as they come. */
MM_MUST_CHECK mm_err mm__score_fetch_features(struct mm__score *s);

/* Writes `song_fit` for every request (score.h). MM_EINTERRUPTED when
 * ctx->stop is raised between batches; MM_ECORRUPT/MM_ESCHEMA on a record
 * that does not decode (logged with its key); store errors as they come. */
MM_MUST_CHECK mm_err mm__score_requests(struct mm__score *s);

/* True for a Spotify id the API can be asked about: 1..64 base62 characters. */
bool mm__score_spotify_id_ok(const char *id);

#endif
