/*
 * store.c — LMDB environments: open policy, write retry on map growth,
 * reusable readers and translation of LMDB codes to mm_err.
 *
 * Environments are opened with MDB_NOTLS so that a read transaction belongs to
 * its mm_txn rather than to the calling thread: a thread may hold a reusable
 * reader and a one-shot read transaction at the same time.
 *
 * Growing the map remaps it, which LMDB allows only while no transaction of
 * this process is active: a process that writes a store must not hold read
 * transactions on it in other threads during mm_store_write(), and writers
 * of one process take turns on write_lock.
 */
#include "common/store.h"

#include <errno.h>
#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/mem.h"

#define DEFAULT_MAP_SIZE (64ull << 20)
#define DEFAULT_MAX_MAP_SIZE (64ull << 30)

struct mm_store {
    MDB_env *env;
    pthread_mutex_t write_lock; /* serialises mm_store_write so map growth never races a writer */
    char *path;
    unsigned flags;
    uint64_t max_map_size;
    unsigned n_dbs;
    char **names;
    MDB_dbi *dbis;
};

struct mm_txn {
    MDB_txn *txn;
    struct mm_store *s;
    bool map_full; /* a put hit MDB_MAP_FULL: the write must be retried */
};

struct mm_store_reader {
    struct mm_txn txn;
};

struct mm_cursor {
    MDB_cursor *cur;
    const struct mm_store *s;
};

/* Translates an LMDB or errno code; `what` names the failing call for the log. */
static mm_err translate(const struct mm_store *s, int rc, const char *what)
{
    mm_err err;
    switch (rc) {
    case MDB_SUCCESS: err = MM_OK; break;
    case MDB_NOTFOUND:
    case ENOENT: err = MM_ENOTFOUND; break;
    case MDB_MAP_FULL: err = MM_EMAPFULL; break;
    case EACCES:
    case EIO:
    case ENOSPC: err = MM_EIO; break;
    default: err = MM_ESTORE; break;
    }
    if (err == MM_EIO || err == MM_ESTORE)
        mm_log_error("store %s: %s: %s", s->path, what, mdb_strerror(rc));
    return err;
}

/* Creates the directory that will hold the environment's files: `path`
 * itself, or its parent when `path` names the data file. */
static mm_err make_home(const char *path, unsigned flags)
{
    size_t len = strlen(path);
    if (flags & MM_STORE_NOSUBDIR) {
        const char *slash = strrchr(path, '/');
        len = slash ? (size_t)(slash - path) : 0;
    }
    char err[MM_ERRLEN];
    mm_err rc = len ? mm_fs_mkdir_p(path, len, err) : MM_OK;
    if (rc)
        mm_log_error("store: cannot create the directory of %s: %s", path, err);
    return rc;
}

/* Begins a transaction, remapping once when another process grew the map. */
static int begin_txn(struct mm_store *s, unsigned flags, MDB_txn **out)
{
    int rc = mdb_txn_begin(s->env, NULL, flags, out);
    if (rc == MDB_MAP_RESIZED) {
        rc = mdb_env_set_mapsize(s->env, 0);
        if (rc == MDB_SUCCESS)
            rc = mdb_txn_begin(s->env, NULL, flags, out);
    }
    return rc;
}

/* Opens every named database in one transaction; a database missing from a
 * read-only store is MM_ECORRUPT (the file is not what the caller expects). */
static mm_err open_dbs(struct mm_store *s)
{
    bool ro = s->flags & MM_STORE_READONLY;
    MDB_txn *txn;
    mm_err err = translate(s, begin_txn(s, ro ? MDB_RDONLY : 0, &txn), "mdb_txn_begin");
    if (err)
        return err;
    for (unsigned i = 0; i < s->n_dbs && !err; i++) {
        int rc = mdb_dbi_open(txn, s->names[i], ro ? 0 : MDB_CREATE, &s->dbis[i]);
        if (rc == MDB_NOTFOUND) {
            mm_log_error("store %s: database \"%s\" is missing", s->path, s->names[i]);
            err = MM_ECORRUPT;
        } else {
            err = translate(s, rc, "mdb_dbi_open");
        }
    }
    if (err)
        goto out_abort;
    return translate(s, mdb_txn_commit(txn), "mdb_txn_commit");
out_abort:
    mdb_txn_abort(txn);
    return err;
}

static unsigned env_flags(unsigned flags)
{
    unsigned f = MDB_NOTLS;
    if (flags & MM_STORE_READONLY)
        f |= MDB_RDONLY;
    if (flags & MM_STORE_NOSUBDIR)
        f |= MDB_NOSUBDIR;
    if (flags & MM_STORE_NOLOCK)
        f |= MDB_NOLOCK;
    if (flags & MM_STORE_NOSYNC)
        f |= MDB_NOSYNC;
    return f;
}

/* Creates and opens s->env with its named databases. */
static mm_err open_env(struct mm_store *s, uint64_t map_size)
{
    mm_err err = translate(s, mdb_env_create(&s->env), "mdb_env_create");
    if (!err)
        err = translate(s, mdb_env_set_maxdbs(s->env, s->n_dbs), "mdb_env_set_maxdbs");
    if (!err && map_size)
        err = translate(s, mdb_env_set_mapsize(s->env, (size_t)map_size), "mdb_env_set_mapsize");
    if (!err)
        err = translate(s, mdb_env_open(s->env, s->path, env_flags(s->flags), 0644),
                        "mdb_env_open");
    if (!err)
        err = open_dbs(s);
    return err;
}

mm_err mm_store_open(const char *path, const struct mm_store_options *opt, struct mm_store **out)
{
    struct mm_store *s = mm_xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->write_lock, NULL);
    s->path = mm_xstrdup(path);
    s->flags = opt->flags;
    s->max_map_size = opt->max_map_size ? opt->max_map_size : DEFAULT_MAX_MAP_SIZE;
    while (opt->dbs && opt->dbs[s->n_dbs])
        s->n_dbs++;
    s->names = mm_xcalloc(s->n_dbs ? s->n_dbs : 1, sizeof(*s->names));
    s->dbis = mm_xcalloc(s->n_dbs ? s->n_dbs : 1, sizeof(*s->dbis));
    for (unsigned i = 0; i < s->n_dbs; i++)
        s->names[i] = mm_xstrdup(opt->dbs[i]);

    bool ro = s->flags & MM_STORE_READONLY;
    mm_err err = ro ? MM_OK : make_home(path, s->flags);
    /* read-only: LMDB takes the size recorded in the file */
    if (!err)
        err = open_env(s, opt->map_size ? opt->map_size : (ro ? 0 : DEFAULT_MAP_SIZE));
    if (err)
        goto out_close_store;
    *out = s;
    return MM_OK;
out_close_store:
    mm_store_close(s);
    return err;
}

void mm_store_close(struct mm_store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    for (unsigned i = 0; i < s->n_dbs; i++)
        free(s->names[i]);
    free(s->names);
    free(s->dbis);
    free(s->path);
    pthread_mutex_destroy(&s->write_lock);
    free(s);
}

unsigned mm_store_db(const struct mm_store *s, const char *name)
{
    unsigned i = 0;
    while (i < s->n_dbs && strcmp(s->names[i], name) != 0)
        i++;
    MM_ASSERT(i < s->n_dbs);
    return i;
}

mm_err mm_store_sync(struct mm_store *s)
{
    return translate(s, mdb_env_sync(s->env, 1), "mdb_env_sync");
}

uint64_t mm_store_map_size(const struct mm_store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_mapsize;
}

/* LMDB does not expose its map address, so the map is dropped by closing and
 * reopening the environment (munmap + mmap); the dbi numbers stay the same. */
mm_err mm_store_release_pages(struct mm_store *s)
{
    uint64_t map_size = mm_store_map_size(s);
    mdb_env_close(s->env);
    s->env = NULL;
    return open_env(s, map_size);
}

/* Doubles the map up to the cap; MM_EMAPFULL when it is already there.
 * Remapping is only safe with no transaction active in this process. */
static mm_err grow_map(struct mm_store *s)
{
    uint64_t old = mm_store_map_size(s);
    uint64_t size = old * 2 < s->max_map_size ? old * 2 : s->max_map_size;
    mm_err err = MM_EMAPFULL;
    if (old >= s->max_map_size)
        mm_log_error("store %s: map full at its cap of %llu bytes (store.max_map_size_mb)", s->path,
                     (unsigned long long)s->max_map_size);
    else
        err = translate(s, mdb_env_set_mapsize(s->env, (size_t)size), "mdb_env_set_mapsize");
    if (!err)
        mm_log_fields(MM_LOG_INFO,
                      json_pack("{s:s,s:I,s:I}", "path", s->path, "old_map_size", (json_int_t)old,
                                "new_map_size", (json_int_t)size),
                      "store map grown");
    return err;
}

/* One attempt: MM_EMAPFULL when a put or the commit ran out of map. */
static mm_err write_once(struct mm_store *s, mm_store_write_fn fn, void *ctx)
{
    struct mm_txn t = {.s = s};
    mm_err err = translate(s, begin_txn(s, 0, &t.txn), "mdb_txn_begin");
    if (err)
        return err;
    err = fn(&t, ctx);
    if (t.map_full)
        err = MM_EMAPFULL;
    if (err)
        mdb_txn_abort(t.txn);
    else
        err = translate(s, mdb_txn_commit(t.txn), "mdb_txn_commit");
    return err;
}

mm_err mm_store_write(struct mm_store *s, mm_store_write_fn fn, void *ctx)
{
    mm_err err;
    pthread_mutex_lock(&s->write_lock);
    do
        err = write_once(s, fn, ctx);
    while (err == MM_EMAPFULL && (err = grow_map(s)) == MM_OK);
    pthread_mutex_unlock(&s->write_lock);
    return err;
}

mm_err mm_store_read_begin(struct mm_store *s, struct mm_txn **out)
{
    struct mm_txn *t = mm_xcalloc(1, sizeof(*t));
    t->s = s;
    mm_err err = translate(s, begin_txn(s, MDB_RDONLY, &t->txn), "mdb_txn_begin");
    if (err)
        goto out_free_txn;
    *out = t;
    return MM_OK;
out_free_txn:
    free(t);
    return err;
}

void mm_store_read_end(struct mm_txn *txn)
{
    if (!txn)
        return;
    mdb_txn_abort(txn->txn);
    free(txn);
}

mm_err mm_store_reader_open(struct mm_store *s, struct mm_store_reader **out)
{
    struct mm_store_reader *r = mm_xcalloc(1, sizeof(*r));
    r->txn.s = s;
    mm_err err = translate(s, begin_txn(s, MDB_RDONLY, &r->txn.txn), "mdb_txn_begin");
    if (err)
        goto out_free_reader;
    mdb_txn_reset(r->txn.txn);
    *out = r;
    return MM_OK;
out_free_reader:
    free(r);
    return err;
}

void mm_store_reader_close(struct mm_store_reader *r)
{
    if (!r)
        return;
    mdb_txn_abort(r->txn.txn);
    free(r);
}

mm_err mm_store_reader_begin(struct mm_store_reader *r, struct mm_txn **out)
{
    mm_err err = translate(r->txn.s, mdb_txn_renew(r->txn.txn), "mdb_txn_renew");
    if (!err)
        *out = &r->txn;
    return err;
}

void mm_store_reader_end(struct mm_store_reader *r)
{
    mdb_txn_reset(r->txn.txn);
}

static MDB_dbi dbi_of(const struct mm_txn *t, unsigned db)
{
    MM_ASSERT(db < t->s->n_dbs);
    return t->s->dbis[db];
}

/* Translates the result of a change; remembers MDB_MAP_FULL so that
 * mm_store_write grows the map even when the callback swallows the error. */
static mm_err write_rc(struct mm_txn *txn, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        txn->map_full = true;
    return translate(txn->s, rc, what);
}

mm_err mm_store_get(struct mm_txn *txn, unsigned db, const void *key, size_t klen, const void **val,
                    size_t *vlen)
{
    MDB_val k = {klen, (void *)key}, v;
    mm_err err = translate(txn->s, mdb_get(txn->txn, dbi_of(txn, db), &k, &v), "mdb_get");
    if (!err) {
        *val = v.mv_data;
        *vlen = v.mv_size;
    }
    return err;
}

mm_err mm_store_put(struct mm_txn *txn, unsigned db, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    return write_rc(txn, mdb_put(txn->txn, dbi_of(txn, db), &k, &v, 0), "mdb_put");
}

mm_err mm_store_del(struct mm_txn *txn, unsigned db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    return write_rc(txn, mdb_del(txn->txn, dbi_of(txn, db), &k, NULL), "mdb_del");
}

mm_err mm_store_count(struct mm_txn *txn, unsigned db, uint64_t *out)
{
    MDB_stat st;
    mm_err err = translate(txn->s, mdb_stat(txn->txn, dbi_of(txn, db), &st), "mdb_stat");
    if (!err)
        *out = st.ms_entries;
    return err;
}

mm_err mm_store_cursor_open(struct mm_txn *txn, unsigned db, struct mm_cursor **out)
{
    MDB_cursor *cur;
    mm_err err =
        translate(txn->s, mdb_cursor_open(txn->txn, dbi_of(txn, db), &cur), "mdb_cursor_open");
    if (err)
        return err;
    struct mm_cursor *c = mm_xmalloc(sizeof(*c));
    c->cur = cur;
    c->s = txn->s;
    *out = c;
    return MM_OK;
}

void mm_store_cursor_close(struct mm_cursor *c)
{
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    free(c);
}

static mm_err cursor_get(struct mm_cursor *c, MDB_val *k, MDB_cursor_op op, const void **key,
                         size_t *kl, const void **v, size_t *vl)
{
    MDB_val val;
    mm_err err = translate(c->s, mdb_cursor_get(c->cur, k, &val, op), "mdb_cursor_get");
    if (!err) {
        *key = k->mv_data;
        *kl = k->mv_size;
        *v = val.mv_data;
        *vl = val.mv_size;
    }
    return err;
}

mm_err mm_store_cursor_seek(struct mm_cursor *c, const void *key, size_t klen, const void **k,
                            size_t *kl, const void **v, size_t *vl)
{
    MDB_val mk = {klen, (void *)key};
    return cursor_get(c, &mk, key ? MDB_SET_RANGE : MDB_FIRST, k, kl, v, vl);
}

mm_err mm_store_cursor_next(struct mm_cursor *c, const void **k, size_t *kl, const void **v,
                            size_t *vl)
{
    MDB_val mk;
    return cursor_get(c, &mk, MDB_NEXT, k, kl, v, vl);
}

mm_err mm_store_cursor_last(struct mm_cursor *c, const void **k, size_t *kl, const void **v,
                            size_t *vl)
{
    MDB_val mk;
    return cursor_get(c, &mk, MDB_LAST, k, kl, v, vl);
}

void mm_store_u64_key(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t mm_store_u64_from_key(const void *key)
{
    const unsigned char *p = key;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}
