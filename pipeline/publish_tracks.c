/*
 * publish_tracks.c — tracks, track names, mood rankings and the mood
 * vocabulary of a snapshot (publish_tracks.h).
 *
 * Each state db is walked by one cursor of the stage's read transaction, in
 * write transactions of BATCH records that resume after the last key written.
 * Like publish.c, the try_* fields belong to the write transaction in flight
 * (mm_store_write may run it again after growing the map) and are folded into
 * the committed fields only after it commits.
 */
#include "pipeline/publish_tracks.h"

#include <msgpack.h>
#include <string.h>

#include "common/log.h"
#include "common/match.h"
#include "common/mem.h"
#include "common/progress.h"
#include "common/track.h"
#include "pipeline/enrich.h"

#define BATCH 10000          /* records per snapshot write transaction */
#define KEY_MAX 511          /* bytes of the longest LMDB key */
#define NAME_MAX_BYTES 65536 /* bytes of one normalised name while it is built */
#define ARENA_BLOCK (64u << 10)
#define RANK_BYTES 5 /* NUL + u32 rank after the mood name */

struct tally {
    uint64_t moods;    /* distinct moods seen in `moods` */
    uint64_t too_long; /* track names longer than KEY_MAX */
    uint64_t dangling; /* resolved mentions whose track is not in the state */
};

struct walk;
typedef mm_err (*record_fn)(struct walk *w, struct mm_txn *out, const unsigned char *k, size_t kl,
                            const void *v, size_t vl);

struct walk {
    struct mm_txn *state;
    unsigned state_tracks;
    unsigned out_tracks, out_names, out_moods, out_meta;
    struct mm_arena arena;
    struct mm_buf name, title; /* a track name being built; the title key of a track */
    /* the walk of one db */
    const char *db;
    struct mm_cursor *cur;
    record_fn each;
    unsigned char last[KEY_MAX];
    size_t last_len;
    bool started, done;
    uint64_t n;
    struct tally t;
    unsigned char try_last[KEY_MAX];
    size_t try_last_len;
    bool try_started, try_done;
    uint64_t try_n;
    struct tally try_t;
};

/* Puts `key` → msgpack str `name` into meta unless the key is taken. */
static mm_err put_mood_phrase(struct mm_txn *txn, unsigned meta, const char *phrase, size_t plen,
                              const char *name, size_t nlen)
{
    char key[KEY_MAX];
    const void *v;
    size_t vl, klen = sizeof(MM_PUBLISH_MOOD_PREFIX) - 1 + plen;
    if (klen > KEY_MAX)
        return MM_OK;
    memcpy(key, MM_PUBLISH_MOOD_PREFIX, sizeof(MM_PUBLISH_MOOD_PREFIX) - 1);
    memcpy(key + sizeof(MM_PUBLISH_MOOD_PREFIX) - 1, phrase, plen);
    mm_err rc = mm_store_get(txn, meta, key, klen, &v, &vl);
    if (rc != MM_ENOTFOUND)
        return rc;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_str(&pk, nlen);
    msgpack_pack_str_body(&pk, name, nlen);
    rc = mm_store_put(txn, meta, key, klen, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

struct vocabulary {
    const struct mm_config *cfg;
    unsigned meta;
};

/* mm_store_write callback: the configured moods' names and aliases. */
static mm_err write_vocabulary(struct mm_txn *txn, void *ctx)
{
    const struct vocabulary *voc = ctx;
    mm_err rc = MM_OK;
    for (size_t i = 0; !rc && i < voc->cfg->score.n_moods; i++) {
        const struct mm_mood_config *m = &voc->cfg->score.moods[i];
        size_t nlen = strlen(m->name);
        rc = put_mood_phrase(txn, voc->meta, m->name, nlen, m->name, nlen);
        for (size_t a = 0; !rc && a < m->n_aliases; a++)
            rc = put_mood_phrase(txn, voc->meta, m->aliases[a], strlen(m->aliases[a]), m->name,
                                 nlen);
    }
    return rc;
}

/* ------------------------------------------------------------- records */

static mm_err each_mention(struct walk *w, struct mm_txn *out, const unsigned char *k, size_t kl,
                           const void *v, size_t vl)
{
    struct mm_mention_record m;
    const void *tv;
    size_t tvl;
    mm_arena_reset(&w->arena);
    mm_err rc = mm_enrich_mention_decode(v, vl, &w->arena, &m);
    if (rc) {
        mm_log_error("publish: state mentions record \"%.*s\": %s", (int)kl, (const char *)k,
                     mm_strerror(rc));
        return rc;
    }
    if (m.status != MM_MENTION_RESOLVED || !m.track)
        return MM_OK;
    size_t tl = strlen(m.track);
    rc = tl && tl <= KEY_MAX ? mm_store_get(w->state, w->state_tracks, m.track, tl, &tv, &tvl)
                             : MM_ENOTFOUND;
    if (rc == MM_ENOTFOUND) {
        w->try_t.dangling++;
        return MM_OK;
    }
    return rc ? rc : mm_store_put(out, w->out_names, k, kl, m.track, tl);
}

/* Adds the name artist × title key (in w->title) → track `key` unless taken. */
static mm_err add_track_name(struct walk *w, struct mm_txn *out, const char *artist,
                             const unsigned char *key, size_t klen)
{
    const void *v;
    size_t vl;
    mm_buf_reset(&w->name);
    mm_err rc = mm_match_artist_key(artist, &w->name);
    if (!rc)
        rc = mm_buf_appendc(&w->name, '\x1f');
    if (!rc)
        rc = mm_buf_append(&w->name, w->title.data, w->title.len);
    if (rc == MM_ETOOBIG || (!rc && w->name.len > KEY_MAX)) {
        w->try_t.too_long++;
        return MM_OK;
    }
    if (!rc)
        rc = mm_store_get(out, w->out_names, w->name.data, w->name.len, &v, &vl);
    if (rc != MM_ENOTFOUND)
        return rc;
    return mm_store_put(out, w->out_names, w->name.data, w->name.len, key, klen);
}

static mm_err each_track(struct walk *w, struct mm_txn *out, const unsigned char *k, size_t kl,
                         const void *v, size_t vl)
{
    struct mm_track t;
    mm_arena_reset(&w->arena);
    mm_err rc = mm_track_decode(v, vl, &w->arena, &t);
    if (rc) {
        mm_log_error("publish: state tracks record \"%.*s\": %s", (int)kl, (const char *)k,
                     mm_strerror(rc));
        return rc;
    }
    if ((rc = mm_store_put(out, w->out_tracks, k, kl, v, vl)) != MM_OK)
        return rc;
    mm_buf_reset(&w->title);
    rc = mm_match_title_key(t.title, &w->title);
    if (rc == MM_ETOOBIG) {
        w->try_t.too_long += t.n_artists;
        return MM_OK;
    }
    for (size_t i = 0; !rc && i < t.n_artists; i++)
        rc = add_track_name(w, out, t.artists[i], k, kl);
    return rc;
}

static mm_err each_mood(struct walk *w, struct mm_txn *out, const unsigned char *k, size_t kl,
                        const void *v, size_t vl)
{
    size_t nlen = kl > RANK_BYTES ? kl - RANK_BYTES : 0;
    if (nlen == 0 || k[nlen] != '\0' || memchr(k, '\0', nlen) != NULL) {
        mm_log_error("publish: state moods key \"%.*s\" (%zu bytes) is not a mood name, NUL, "
                     "u32 rank",
                     (int)kl, (const char *)k, kl);
        return MM_ECORRUPT;
    }
    mm_err rc = mm_store_put(out, w->out_moods, k, kl, v, vl);
    bool same = w->try_started && w->try_last_len == kl && memcmp(w->try_last, k, nlen) == 0;
    if (rc || same)
        return rc;
    w->try_t.moods++;
    return put_mood_phrase(out, w->out_meta, (const char *)k, nlen, (const char *)k, nlen);
}

/* ---------------------------------------------------------------- walks */

/* mm_store_write callback: up to BATCH records after w->last. */
static mm_err write_batch(struct mm_txn *txn, void *ctx)
{
    struct walk *w = ctx;
    const void *k, *v;
    size_t kl, vl;
    w->try_t = (struct tally){0};
    w->try_n = 0;
    w->try_done = false;
    w->try_started = w->started;
    w->try_last_len = w->last_len;
    memcpy(w->try_last, w->last, w->last_len);
    mm_err rc =
        mm_store_cursor_seek(w->cur, w->started ? w->last : NULL, w->last_len, &k, &kl, &v, &vl);
    if (!rc && w->started && kl == w->last_len && memcmp(k, w->last, kl) == 0)
        rc = mm_store_cursor_next(w->cur, &k, &kl, &v, &vl);
    while (!rc && w->try_n < BATCH) {
        if (kl == 0 || kl > KEY_MAX) {
            mm_log_error("publish: state %s key of %zu bytes", w->db, kl);
            return MM_ECORRUPT;
        }
        if ((rc = w->each(w, txn, k, kl, v, vl)) != MM_OK)
            return rc;
        memcpy(w->try_last, k, kl);
        w->try_last_len = kl;
        w->try_started = true;
        w->try_n++;
        rc = mm_store_cursor_next(w->cur, &k, &kl, &v, &vl);
    }
    if (rc == MM_ENOTFOUND) {
        w->try_done = true;
        rc = MM_OK;
    }
    return rc;
}

/* Walks state db `db` with `each`, committing batch by batch into `out`. */
static mm_err walk_db(struct mm_stage_ctx *ctx, struct walk *w, struct mm_store *out,
                      const char *db, record_fn each)
{
    struct mm_progress progress;
    uint64_t total;
    unsigned dbi = mm_store_db(ctx->state, db);
    mm_err rc = mm_store_count(w->state, dbi, &total);
    if (!rc)
        rc = mm_store_cursor_open(w->state, dbi, &w->cur);
    if (rc)
        return rc;
    w->db = db;
    w->each = each;
    w->started = w->done = false;
    w->last_len = 0;
    w->n = 0;
    mm_progress_init(&progress, "publish", db, total);
    while (!w->done) {
        if (ctx->stop && *ctx->stop) {
            rc = MM_EINTERRUPTED;
            break;
        }
        if ((rc = mm_store_write(out, write_batch, w)) != MM_OK)
            break;
        memcpy(w->last, w->try_last, w->try_last_len);
        w->last_len = w->try_last_len;
        w->started = w->try_started;
        w->done = w->try_done;
        w->n += w->try_n;
        w->t.moods += w->try_t.moods;
        w->t.too_long += w->try_t.too_long;
        w->t.dangling += w->try_t.dangling;
        mm_progress_update(&progress, w->try_n, w->n);
    }
    mm_progress_finish(&progress);
    mm_store_cursor_close(w->cur);
    w->cur = NULL;
    return rc;
}

/* The entries of `db` in `out`. */
static mm_err count_out(struct mm_store *out, const char *db, uint64_t *n)
{
    struct mm_txn *txn;
    mm_err rc = mm_store_read_begin(out, &txn);
    if (!rc)
        rc = mm_store_count(txn, mm_store_db(out, db), n);
    mm_store_read_end(txn);
    return rc;
}

mm_err mm_publish_tracks(struct mm_stage_ctx *ctx, struct mm_txn *state_txn, struct mm_store *out,
                         struct mm_publish_tracks_counts *counts)
{
    struct walk w = {
        .state = state_txn,
        .state_tracks = mm_store_db(ctx->state, "tracks"),
        .out_tracks = mm_store_db(out, "tracks"),
        .out_names = mm_store_db(out, "track_names"),
        .out_moods = mm_store_db(out, "mood_tracks"),
        .out_meta = mm_store_db(out, "meta"),
    };
    struct vocabulary voc = {ctx->cfg, w.out_meta};
    mm_arena_init(&w.arena, ARENA_BLOCK);
    mm_buf_init(&w.name, NAME_MAX_BYTES);
    mm_buf_init(&w.title, NAME_MAX_BYTES);
    mm_err rc = walk_db(ctx, &w, out, "mentions", each_mention);
    if (!rc)
        rc = walk_db(ctx, &w, out, "tracks", each_track);
    if (!rc)
        rc = mm_store_write(out, write_vocabulary, &voc);
    if (!rc)
        rc = walk_db(ctx, &w, out, "moods", each_mood);
    if (!rc)
        rc = count_out(out, "tracks", &counts->tracks);
    if (!rc)
        rc = count_out(out, "track_names", &counts->track_names);
    if (!rc) {
        counts->moods = w.t.moods;
        mm_log_info("publish: wrote %llu tracks, %llu track names, %llu moods; skipped %llu "
                    "names longer than %d bytes and %llu resolved mentions without their track",
                    (unsigned long long)counts->tracks, (unsigned long long)counts->track_names,
                    (unsigned long long)counts->moods, (unsigned long long)w.t.too_long, KEY_MAX,
                    (unsigned long long)w.t.dangling);
    }
    mm_buf_cleanup(&w.title);
    mm_buf_cleanup(&w.name);
    mm_arena_cleanup(&w.arena);
    return rc;
}
