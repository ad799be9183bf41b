/*
 * store.h — LMDB environments with named databases.
 *
 * A thin wrapper that owns the LMDB policies of the project:
 *   - writes go through mm_store_write(): the callback runs in one write
 *     transaction; on MDB_MAP_FULL the transaction is aborted, the map doubled
 *     (up to max_map_size) and the callback run again, so callbacks must only
 *     depend on their ctx (no side effects outside the transaction);
 *   - read transactions on hot paths are reused: a caller-owned reader
 *     (mm_store_reader_*) keeps one LMDB read transaction that is renewed
 *     per use and reset after it (mdb_txn_renew/mdb_txn_reset);
 *   - LMDB codes are translated to mm_err here (MDB_NOTFOUND → MM_ENOTFOUND,
 *     MDB_MAP_FULL past the cap → MM_EMAPFULL, others → MM_ESTORE with the
 *     LMDB message logged once).
 *
 * Read-only snapshots are opened with MM_STORE_READONLY | MM_STORE_NOSUBDIR on
 * the data.mdb file itself and MDB_NOLOCK (no lock file: the file never
 * changes), so a snapshot directory holds exactly the files its manifest lists.
 *
 * Key layouts used across the project (all integers big-endian so that LMDB
 * order is numeric order):
 *
 *   | env      | db          | key                           | value                     |
 *   |----------|-------------|-------------------------------|---------------------------|
 *   | state    | requests    | u64 request id                | msgpack request (codec.h) |
 *   | state    | songs       | u64 request id, u64 song id   | msgpack song (codec.h)    |
 *   | state    | song_ids    | u64 song id                   | u64 request id            |
 *   | state    | meta        | text key (watermarks, ...)    | msgpack or text           |
 *   | state    | runs        | u64 run number                | JSON run manifest (text)  |
 *   | state    | checkpoints | text "<stage>/<source>"       | JSON checkpoint (text)    |
 *   | state    | mentions    | text mention key (match.h)    | msgpack mention (enrich.h)|
 *   | state    | resolutions | u8 source, mention key        | msgpack cached lookup     |
 *   | state    | tracks      | text track key (track.h)      | msgpack track (track.h)   |
 *   | state    | features    | text spotify id               | msgpack cached features   |
 *   | state    | moods       | text mood, NUL, u32 rank      | msgpack {track, fit, popularity} (score) |
 *   | state    | song_fit    | u64 request id                | msgpack songs ranked by mood fit (score.h) |
 *   | snapshot | requests    | u64 request id                | msgpack snapshot request  |
 *   | snapshot | meta        | text key                      | msgpack value             |
 *   | snapshot | tracks      | text track key                | msgpack track (track.h)   |
 *   | snapshot | track_names | text "<artist key>\x1f<title key>" | text track key      |
 *   | snapshot | mood_tracks | text mood, NUL, u32 rank      | msgpack {track, fit, popularity} |
 *
 * Thread safety: a store may be shared by threads; a transaction belongs to
 * the thread that began it. Ownership: values returned by get/cursor calls
 * are borrowed from the map and valid until the transaction ends.
 */
#ifndef MM_STORE_H
#define MM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct mm_store;
struct mm_txn;
struct mm_cursor;

enum {
    MM_STORE_READONLY = 1 << 0,
    MM_STORE_NOSUBDIR = 1 << 1, /* `path` is the data file itself */
    MM_STORE_NOLOCK = 1 << 2,   /* immutable snapshots only */
    MM_STORE_NOSYNC = 1 << 3,   /* bulk builds: caller calls mm_store_sync() */
};

struct mm_store_options {
    unsigned flags;
    uint64_t map_size;      /* bytes; 0 = 64 MiB (read-only: the file size) */
    uint64_t max_map_size;  /* bytes; 0 = 64 GiB */
    const char *const *dbs; /* names of the named databases, NULL-terminated */
};

/* Opens (creating the directory for writable stores) and opens every named db
 * in opt->dbs. Caller closes with mm_store_close(). */
MM_MUST_CHECK mm_err mm_store_open(const char *path, const struct mm_store_options *opt,
                                   struct mm_store **out);
/* Accepts NULL. No transaction may be active. */
void mm_store_close(struct mm_store *s);
/* Index of a db given at open (its position in opt->dbs); MM_ASSERT on unknown names. */
unsigned mm_store_db(const struct mm_store *s, const char *name);
/* Flushes to disk (fsync); for stores opened with MM_STORE_NOSYNC. */
MM_MUST_CHECK mm_err mm_store_sync(struct mm_store *s);
/* Current map size in bytes. */
uint64_t mm_store_map_size(const struct mm_store *s);
/* Drops this process's resident pages of the map (the data stays in the page
 * cache and is faulted back in on the next access). Bulk writers call it
 * between transactions so that their RSS does not grow with the size of the
 * database. No transaction or reader of this store may exist in any thread.
 * On error the store is unusable except for mm_store_close(). */
MM_MUST_CHECK mm_err mm_store_release_pages(struct mm_store *s);

typedef mm_err (*mm_store_write_fn)(struct mm_txn *txn, void *ctx);
/* Runs fn in one write transaction and commits it if fn returns MM_OK; any
 * error from fn aborts the transaction and is returned. */
MM_MUST_CHECK mm_err mm_store_write(struct mm_store *s, mm_store_write_fn fn, void *ctx);

/* One-shot read transaction: begin allocates, end aborts and frees (accepts NULL). */
MM_MUST_CHECK mm_err mm_store_read_begin(struct mm_store *s, struct mm_txn **out);
void mm_store_read_end(struct mm_txn *txn);

/* A reusable read handle for hot paths (the server): one per thread and store,
 * owned by the caller. begin renews the cached LMDB read transaction (no
 * allocation), end resets it. Close every reader before mm_store_close(). */
struct mm_store_reader;
MM_MUST_CHECK mm_err mm_store_reader_open(struct mm_store *s, struct mm_store_reader **out);
void mm_store_reader_close(struct mm_store_reader *r); /* accepts NULL */
/* The returned txn is valid until mm_store_reader_end(). */
MM_MUST_CHECK mm_err mm_store_reader_begin(struct mm_store_reader *r, struct mm_txn **out);
void mm_store_reader_end(struct mm_store_reader *r);

MM_MUST_CHECK mm_err mm_store_get(struct mm_txn *txn, unsigned db, const void *key, size_t klen,
                                  const void **val, size_t *vlen);
MM_MUST_CHECK mm_err mm_store_put(struct mm_txn *txn, unsigned db, const void *key, size_t klen,
                                  const void *val, size_t vlen);
/* MM_ENOTFOUND when the key is absent. */
MM_MUST_CHECK mm_err mm_store_del(struct mm_txn *txn, unsigned db, const void *key, size_t klen);
/* Number of entries in db. */
MM_MUST_CHECK mm_err mm_store_count(struct mm_txn *txn, unsigned db, uint64_t *out);

/* Cursors: caller closes with mm_store_cursor_close() before the txn ends. */
MM_MUST_CHECK mm_err mm_store_cursor_open(struct mm_txn *txn, unsigned db, struct mm_cursor **out);
void mm_store_cursor_close(struct mm_cursor *c);
/* Positions at the first key >= `key` (key NULL: the first key); MM_ENOTFOUND past the end. */
MM_MUST_CHECK mm_err mm_store_cursor_seek(struct mm_cursor *c, const void *key, size_t klen,
                                          const void **k, size_t *kl, const void **v, size_t *vl);
MM_MUST_CHECK mm_err mm_store_cursor_next(struct mm_cursor *c, const void **k, size_t *kl,
                                          const void **v, size_t *vl);
/* Positions at the last key; MM_ENOTFOUND when the db is empty. */
MM_MUST_CHECK mm_err mm_store_cursor_last(struct mm_cursor *c, const void **k, size_t *kl,
                                          const void **v, size_t *vl);

/* Big-endian key helpers. */
void mm_store_u64_key(uint64_t v, unsigned char out[8]);
uint64_t mm_store_u64_from_key(const void *key);

#endif
