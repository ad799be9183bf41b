/*
 * enrich_batch.c — the enrich stage's pending writes and the track merge rule.
 *
 * Finished mentions queue their records here already encoded (cache entries,
 * found tracks, the mention record last); one write transaction stores them
 * all, so a mention's cache entries and its record are committed together or
 * not at all. Track puts are merged with the record already stored under the
 * same key inside the transaction, which makes a commit that mm_store_write
 * runs again (map full) produce the same result.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pipeline/enrich_int.h"

#define BATCH_BYTES_MAX (64u << 20)    /* hard cap on queued bytes */
#define BATCH_BYTES_COMMIT (16u << 20) /* a batch this big is committed early */
#define TRACK_MAX (4u << 20)           /* one merged track record */
#define ARENA_BLOCK (64u << 10)

struct mm__enrich_put {
    unsigned db;
    size_t key_off, key_len, val_off, val_len;
    bool track;
};

void mm__enrich_batch_init(struct mm__enrich_batch *b, struct mm_store *state,
                           const int rank[MM_SOURCE__COUNT])
{
    memset(b, 0, sizeof(*b));
    b->state = state;
    b->db_mentions = mm_store_db(state, "mentions");
    b->db_resolutions = mm_store_db(state, "resolutions");
    b->db_tracks = mm_store_db(state, "tracks");
    memcpy(b->rank, rank, sizeof(b->rank));
    mm_buf_init(&b->bytes, BATCH_BYTES_MAX);
    mm_buf_init(&b->merged, TRACK_MAX);
    mm_arena_init(&b->arena, ARENA_BLOCK);
}

void mm__enrich_batch_cleanup(struct mm__enrich_batch *b)
{
    mm_buf_cleanup(&b->bytes);
    mm_buf_cleanup(&b->merged);
    mm_arena_cleanup(&b->arena);
    free(b->puts);
    memset(b, 0, sizeof(*b));
}

mm_err mm__enrich_batch_put(struct mm__enrich_batch *b, unsigned db, const void *key, size_t klen,
                            const void *val, size_t vlen, bool track)
{
    size_t start = b->bytes.len;
    mm_err err = mm_buf_append(&b->bytes, key, klen);
    if (!err && (err = mm_buf_append(&b->bytes, val, vlen)) != MM_OK && b->bytes.data) {
        b->bytes.len = start;
        b->bytes.data[start] = '\0';
    }
    if (err)
        return err;
    if (b->n_puts == b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 64;
        b->puts = mm_xrealloc(b->puts, b->alloc * sizeof(*b->puts));
    }
    b->puts[b->n_puts++] = (struct mm__enrich_put){db, start, klen, start + klen, vlen, track};
    b->n_mentions += db == b->db_mentions;
    return MM_OK;
}

bool mm__enrich_batch_full(const struct mm__enrich_batch *b, size_t batch_size)
{
    return b->n_mentions >= batch_size || b->bytes.len >= BATCH_BYTES_COMMIT;
}

/* --- the merge rule --- */

static const char *either(const char *first, const char *second)
{
    return first ? first : second;
}

static int64_t either_int(int64_t first, int64_t second)
{
    return first != MM_NULL_INT ? first : second;
}

/* first's tags, then second's not seen yet, at most MM__ENRICH_TAGS_MAX. */
static void merge_tags(const struct mm_track *first, const struct mm_track *second,
                       struct mm_arena *arena, struct mm_track *out)
{
    char **tags = mm_arena_alloc(arena, MM__ENRICH_TAGS_MAX * sizeof(char *));
    size_t n = 0;
    const struct mm_track *from[2] = {first, second};
    for (size_t f = 0; f < 2; f++) {
        for (size_t i = 0; i < from[f]->n_tags && n < MM__ENRICH_TAGS_MAX; i++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = strcmp(tags[j], from[f]->tags[i]) == 0;
            if (!seen)
                tags[n++] = from[f]->tags[i];
        }
    }
    out->tags = tags;
    out->n_tags = n;
}

void mm__enrich_track_merge(const struct mm_track *old, const struct mm_track *found,
                            const int rank[MM_SOURCE__COUNT], struct mm_arena *arena,
                            struct mm_track *out)
{
    bool found_first = rank[found->source] <= rank[old->source];
    const struct mm_track *first = found_first ? found : old, *second = found_first ? old : found;
    *out = *first;
    out->key = old->key;
    if (!out->n_artists) {
        out->artists = second->artists;
        out->n_artists = second->n_artists;
    }
    out->album = (char *)either(first->album, second->album);
    out->release_year = either_int(first->release_year, second->release_year);
    out->duration_ms = either_int(first->duration_ms, second->duration_ms);
    out->isrc = (char *)either(first->isrc, second->isrc);
    out->artwork_url = (char *)either(first->artwork_url, second->artwork_url);
    out->preview_url = (char *)either(first->preview_url, second->preview_url);
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        out->ids[s] = (char *)either(first->ids[s], second->ids[s]);
        out->urls[s] = (char *)either(first->urls[s], second->urls[s]);
    }
    out->popularity = either_int(found->popularity, old->popularity);
    out->listeners = either_int(found->listeners, old->listeners);
    merge_tags(first, second, arena, out);
    if (!first->features.present)
        out->features = second->features;
}

/* Puts the track of `p`, merged with the one stored under its key. */
static mm_err put_track(struct mm__enrich_batch *b, struct mm_txn *txn,
                        const struct mm__enrich_put *p)
{
    const char *key = b->bytes.data + p->key_off, *val = b->bytes.data + p->val_off;
    struct mm_track old, found, merged;
    const void *v;
    size_t vl;
    mm_err err = mm_store_get(txn, b->db_tracks, key, p->key_len, &v, &vl);
    if (err == MM_ENOTFOUND)
        return mm_store_put(txn, b->db_tracks, key, p->key_len, val, p->val_len);
    if (err)
        return err;
    mm_arena_reset(&b->arena);
    mm_buf_reset(&b->merged);
    err = mm_track_decode(v, vl, &b->arena, &old);
    if (err) {
        mm_log_warn("enrich: state track \"%.*s\" cannot be read (%s): %s", (int)p->key_len, key,
                    mm_strerror(err),
                    err == MM_ECORRUPT ? "replaced by the new one" : "kept as it is");
        return err == MM_ECORRUPT
                   ? mm_store_put(txn, b->db_tracks, key, p->key_len, val, p->val_len)
                   : MM_OK;
    }
    if ((err = mm_track_decode(val, p->val_len, &b->arena, &found)) != MM_OK)
        return err;
    mm__enrich_track_merge(&old, &found, b->rank, &b->arena, &merged);
    if ((err = mm_track_encode(&merged, &b->merged)) != MM_OK)
        return err;
    return mm_store_put(txn, b->db_tracks, key, p->key_len, b->merged.data, b->merged.len);
}

static mm_err write_puts(struct mm_txn *txn, void *arg)
{
    struct mm__enrich_batch *b = arg;
    mm_err err = MM_OK;
    for (size_t i = 0; i < b->n_puts && !err; i++) {
        const struct mm__enrich_put *p = &b->puts[i];
        err = p->track ? put_track(b, txn, p)
                       : mm_store_put(txn, p->db, b->bytes.data + p->key_off, p->key_len,
                                      b->bytes.data + p->val_off, p->val_len);
    }
    return err;
}

mm_err mm__enrich_batch_commit(struct mm__enrich_batch *b)
{
    mm_err err = b->n_puts ? mm_store_write(b->state, write_puts, b) : MM_OK;
    if (err)
        mm_log_error("enrich: cannot store %zu finished mentions: %s", b->n_mentions,
                     mm_strerror(err));
    mm_buf_reset(&b->bytes);
    b->n_puts = 0;
    b->n_mentions = 0;
    return err;
}
