/*
 * handlers_tracks.h — the track endpoints of moodmusic-serve
 * (docs/http-api.md): resolving a song mention, one track by its canonical
 * key, and the ranked tracks of a mood with the app's popularity bands.
 *
 * The handlers below are rows of the one route table (handlers.c). They read
 * the snapshot dbs `tracks`, `track_names` and `mood_tracks` (store.h) and
 * render the presentation-ready track records (track.h) as they are.
 * The mention lookup — the app's hot path — is also offered without HTTP,
 * as mm_handlers_tracks_lookup(), so that the benchmark
 * (tools/bench/lookup_inprocess.c) times exactly the code the server runs.
 *
 * Does not: route, parse HTTP, or write the snapshot.
 * Allocation: none per request besides the growth of the caller's body
 * buffer (reused from request to request); parameters, normalised keys and
 * mood names are copied to the stack.
 * Thread safety: pure functions of their context; the handler structs are
 * immutable.
 */
#ifndef MM_HANDLERS_TRACKS_H
#define MM_HANDLERS_TRACKS_H

#include "common/err.h"
#include "common/mem.h"
#include "common/store.h"
#include "serve/router.h"

/* GET /v1/tracks/lookup?artist=A&title=T */
extern const struct mm_handler mm_handlers_track_lookup;
/* GET /v1/tracks/{key} */
extern const struct mm_handler mm_handlers_track_get;
/* GET /v1/moods/{mood}/tracks?limit=N&popularity=LABEL */
extern const struct mm_handler mm_handlers_mood_tracks;

/*
 * The lookup path: normalises `artist` (NULL or "": none) and `title` into a
 * mention key (common/match.h), reads `track_names` then `tracks` in `txn`
 * (borrowed; db indices of a snapshot store), and renders
 * {"success":true,"track":{...},"match":{"key":"<mention key>"}} into `out`,
 * which is emptied first and also serves as scratch.
 * MM_ENOTFOUND with `err` saying `no track for artist "A" and title "T"`;
 * MM_ECORRUPT when a name points to a missing track or a record does not
 * render; MM_ETOOBIG past out->max; `err` says which.
 */
MM_MUST_CHECK mm_err mm_handlers_tracks_lookup(struct mm_txn *txn, unsigned db_track_names,
                                               unsigned db_tracks, const char *artist,
                                               const char *title, struct mm_buf *out,
                                               char err[MM_ERRLEN]);

#endif
