/*
 * tagmap.h — mood-relevant audio features derived from Last.fm tags, for
 * tracks Spotify cannot describe (403 for apps created since Nov 2024, or
 * tracks not on Spotify).
 *
 * A fixed table maps normalised tags (common/text.h: "Lo-Fi" → "lo fi",
 * "R&B" → "r and b") to feature targets, e.g. "chill" → energy 0.3, "dance"
 * → danceability 0.8, energy 0.75, tempo 124. A track's features are the
 * weighted mean, per feature, of the targets of its known tags among the
 * first MM_TAGMAP_TAGS_MAX, the i-th tag (0-based, in Last.fm's order, most
 * applied first) weighing 1 / (1 + i). Features no known tag sets stay
 * absent. The table is listed in docs/score.md (mm_tagmap_doc_markdown).
 *
 * Does not: fetch tags (enrich does), store anything, log.
 * Thread safety: pure functions over caller memory and the static table.
 */
#ifndef MM_TAGMAP_H
#define MM_TAGMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/track.h"

#define MM_TAGMAP_TAGS_MAX 20 /* tags of a track considered, most applied first */
#define MM_TAGMAP_TAG_MAX 256 /* bytes of a tag; longer tags are ignored */

/* Derives features from tags[0..n) into *out (source "lastfm_tags"). True
 * when at least one tag is in the table; else *out is absent (present false). */
bool mm_tagmap_features(const char *const *tags, size_t n, struct mm_features *out);

/* The targets of one normalised tag into *out (present, source
 * "lastfm_tags"); false when the tag is not in the table. */
bool mm_tagmap_lookup(const char *tag, struct mm_features *out);

/* Appends the table as markdown (tag, then one column per feature) to `out`.
 * MM_ETOOBIG past out->max. */
MM_MUST_CHECK mm_err mm_tagmap_doc_markdown(struct mm_buf *out);

#endif
