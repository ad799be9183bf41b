#include "serve/snap_holder.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/snapshot.h"
#include "serve/http.h"

#define BODY_MAX (1u << 20) /* cap of a pre-rendered /v1/snapshot body */
#define NO_SNAPSHOT_HEALTHZ "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":null}"

struct mm_snap_holder {
    char *dir;
    unsigned n_views;
    atomic_uint views_inited;
    struct mm_snap *first;                  /* where views start: the initial "no snapshot" node */
    _Atomic(struct mm_snap *) active;       /* newest published; written by the poller only */
    char failed_id[MM_SNAPSHOT_ID_MAX + 1]; /* refused; not retried while current names it */
    mm_err last_current_err;                /* of reading `current`, logged on change only */
    _Atomic uint64_t loaded, refused, closed;

    pthread_t thread;
    bool running, stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int poll_ms;
    void (*notify)(void *ctx);
    void *notify_ctx;
};

/* ------------------------------------------------------------ snapshots */

static struct mm_snap *snap_new(struct mm_snap_holder *h, unsigned refs)
{
    struct mm_snap *s = mm_xcalloc(1, sizeof(*s));
    s->holder = h;
    atomic_init(&s->refs, refs);
    atomic_init(&s->next, NULL);
    return s;
}

static void snap_free(struct mm_snap *s)
{
    if (s->store) {
        mm_store_close(s->store);
        atomic_fetch_add(&s->holder->closed, 1);
    }
    json_decref(s->manifest);
    free(s->id);
    free(s->healthz_body);
    free(s->summary_body);
    free(s);
}

static void snap_release(struct mm_snap *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snap_free(s);
}

/* Renders the /healthz and /v1/snapshot bodies of a loaded snapshot. */
static mm_err render_bodies(struct mm_snap *s, char err[MM_ERRLEN])
{
    struct mm_buf b;
    json_t *summary = json_deep_copy(s->manifest);
    json_object_del(summary, "files");
    char *text = json_dumps(summary, JSON_COMPACT | JSON_PRESERVE_ORDER);
    mm_buf_init(&b, BODY_MAX);
    mm_err e = text ? MM_OK : MM_ECORRUPT;
    if (!e)
        e = mm_buf_printf(&b, "{\"success\":true,\"snapshot\":%s}", text);
    if (e) {
        snprintf(err, MM_ERRLEN, "manifest summary: %s", mm_strerror(e));
        goto out_free_text;
    }
    s->summary_len = b.len;
    s->summary_body = mm_buf_take(&b);
    e = mm_buf_appends(&b, "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":");
    if (!e)
        e = mm_http_json_string(&b, s->id, strlen(s->id));
    if (!e)
        e = mm_buf_appendc(&b, '}');
    MM_ASSERT(e == MM_OK); /* an id is at most MM_SNAPSHOT_ID_MAX bytes */
    s->healthz_len = b.len;
    s->healthz_body = mm_buf_take(&b);

out_free_text:
    mm_buf_cleanup(&b);
    free(text);
    json_decref(summary);
    return e;
}

static mm_err open_store(struct mm_snap_holder *h, struct mm_snap *s, char err[MM_ERRLEN])
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = dbs};
    char *path = mm_xasprintf("%s/%s/%s", h->dir, s->id, MM_SNAPSHOT_DATA);
    mm_err e = mm_store_open(path, &opt, &s->store);
    if (e) {
        s->store = NULL;
        snprintf(err, MM_ERRLEN, "%s: cannot open: %s", path, mm_strerror(e));
    } else {
        s->db_requests = mm_store_db(s->store, "requests");
        s->db_meta = mm_store_db(s->store, "meta");
        s->db_tracks = mm_store_db(s->store, "tracks");
        s->db_track_names = mm_store_db(s->store, "track_names");
        s->db_mood_tracks = mm_store_db(s->store, "mood_tracks");
    }
    free(path);
    return e;
}

/* Verifies and opens snapshot `id`; on success *out has one reference per
 * view plus the holder's. */
static mm_err snap_load(struct mm_snap_holder *h, const char *id, struct mm_snap **out,
                        char err[MM_ERRLEN])
{
    struct mm_snap *s = snap_new(h, h->n_views + 1);
    s->id = mm_xstrdup(id);
    mm_err e = mm_snapshot_verify(h->dir, id, err);
    if (!e)
        e = mm_snapshot_manifest_load(h->dir, id, &s->manifest, err);
    if (e)
        goto out_free_snap;
    e = open_store(h, s, err);
    if (!e)
        e = render_bodies(s, err);
    if (e)
        goto out_free_snap;
    *out = s;
    return MM_OK;

out_free_snap:
    snap_free(s);
    return e;
}

/* --------------------------------------------------------------- holder */

void mm_snap_holder_open(const char *snapshots_dir, unsigned n_views, struct mm_snap_holder **out)
{
    struct mm_snap_holder *h = mm_xcalloc(1, sizeof(*h));
    h->dir = mm_xstrdup(snapshots_dir);
    h->n_views = n_views;
    h->first = snap_new(h, n_views + 1);
    h->first->healthz_body = mm_xstrdup(NO_SNAPSHOT_HEALTHZ);
    h->first->healthz_len = strlen(NO_SNAPSHOT_HEALTHZ);
    atomic_init(&h->active, h->first);
    atomic_init(&h->views_inited, 0);
    h->last_current_err = MM_OK;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &attr);
    pthread_condattr_destroy(&attr);
    *out = h;
}

void mm_snap_holder_close(struct mm_snap_holder *h)
{
    if (!h)
        return;
    mm_snap_holder_stop(h);
    unsigned missing = h->n_views - atomic_load(&h->views_inited);
    for (unsigned i = 0; i < missing; i++) {
        struct mm_snap_view v = {.holder = h, .snap = h->first};
        mm_snap_view_cleanup(&v);
    }
    snap_release(atomic_load(&h->active));
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h->dir);
    free(h);
}

static void publish(struct mm_snap_holder *h, struct mm_snap *s)
{
    struct mm_snap *old = atomic_load_explicit(&h->active, memory_order_relaxed);
    atomic_store_explicit(&old->next, s, memory_order_release);
    atomic_store_explicit(&h->active, s, memory_order_release);
    atomic_fetch_add(&h->loaded, 1);
    mm_log_fields(MM_LOG_INFO, json_pack("{s:s, s:s?}", "snapshot", s->id, "previous", old->id),
                  "serving snapshot %s", s->id);
    snap_release(old);
    if (h->notify)
        h->notify(h->notify_ctx);
}

/* Logs a failure to read `current` once per distinct error. */
static void note_current_error(struct mm_snap_holder *h, mm_err e)
{
    const char *active = atomic_load_explicit(&h->active, memory_order_relaxed)->id;
    if (e == h->last_current_err)
        return;
    h->last_current_err = e;
    if (e == MM_ENOTFOUND)
        mm_log_fields(active ? MM_LOG_WARN : MM_LOG_INFO,
                      json_pack("{s:s, s:s?}", "dir", h->dir, "active", active),
                      "no current snapshot in %s%s%s", h->dir, active ? ": still serving " : "",
                      active ? active : "");
    else if (e)
        mm_log_fields(
            MM_LOG_ERROR,
            json_pack("{s:s, s:s, s:s?}", "dir", h->dir, "error", mm_strerror(e), "active", active),
            "cannot read %s/%s: %s", h->dir, MM_SNAPSHOT_CURRENT, mm_strerror(e));
}

static mm_err poll_once(struct mm_snap_holder *h, char err[MM_ERRLEN])
{
    char id[MM_SNAPSHOT_ID_MAX + 1];
    err[0] = '\0';
    mm_err e = mm_snapshot_current(h->dir, id, sizeof(id));
    note_current_error(h, e);
    if (e) {
        h->failed_id[0] = '\0';
        snprintf(err, MM_ERRLEN, "%s/%s: %s", h->dir, MM_SNAPSHOT_CURRENT, mm_strerror(e));
        return e;
    }
    struct mm_snap *active = atomic_load_explicit(&h->active, memory_order_relaxed);
    if (strcmp(id, h->failed_id) == 0)
        return MM_OK;
    h->failed_id[0] = '\0';
    if (active->id && strcmp(id, active->id) == 0)
        return MM_OK;
    struct mm_snap *s;
    e = snap_load(h, id, &s, err);
    if (e) {
        memcpy(h->failed_id, id, strlen(id) + 1);
        atomic_fetch_add(&h->refused, 1);
        mm_log_fields(
            MM_LOG_ERROR,
            json_pack("{s:s, s:s, s:s?}", "snapshot", id, "error", err, "active", active->id),
            "refusing snapshot %s: %s", id, err);
        return e;
    }
    publish(h, s);
    return MM_OK;
}

mm_err mm_snap_holder_poll(struct mm_snap_holder *h, char err[MM_ERRLEN])
{
    return poll_once(h, err);
}

/* -------------------------------------------------------------- watcher */

static void *watch(void *arg)
{
    struct mm_snap_holder *h = arg;
    char err[MM_ERRLEN];
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += h->poll_ms / 1000;
        deadline.tv_nsec += (long)(h->poll_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (!h->stop && pthread_cond_timedwait(&h->cond, &h->mu, &deadline) != ETIMEDOUT)
            continue;
        if (h->stop)
            break;
        pthread_mutex_unlock(&h->mu);
        poll_once(h, err);
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

mm_err mm_snap_holder_start(struct mm_snap_holder *h, int poll_ms, void (*notify)(void *ctx),
                            void *ctx)
{
    MM_ASSERT(!h->running && poll_ms > 0);
    h->poll_ms = poll_ms;
    h->notify = notify;
    h->notify_ctx = ctx;
    h->stop = false;
    int rc = pthread_create(&h->thread, NULL, watch, h);
    if (rc != 0) {
        mm_log_error("cannot start the snapshot watcher thread: %s", strerror(rc));
        return MM_EIO;
    }
    h->running = true;
    return MM_OK;
}

void mm_snap_holder_stop(struct mm_snap_holder *h)
{
    if (!h->running)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->running = false;
}

const char *mm_snap_holder_active_id(struct mm_snap_holder *h)
{
    return atomic_load_explicit(&h->active, memory_order_acquire)->id;
}

void mm_snap_holder_stats(struct mm_snap_holder *h, struct mm_snap_holder_stats *out)
{
    out->loaded = atomic_load(&h->loaded);
    out->refused = atomic_load(&h->refused);
    out->closed = atomic_load(&h->closed);
}

/* ----------------------------------------------------------------- views */

void mm_snap_view_init(struct mm_snap_view *v, struct mm_snap_holder *h)
{
    unsigned slot = atomic_fetch_add(&h->views_inited, 1);
    MM_ASSERT(slot < h->n_views);
    v->holder = h;
    v->snap = h->first;
    v->reader = NULL;
}

void mm_snap_view_refresh(struct mm_snap_view *v)
{
    struct mm_snap *next = atomic_load_explicit(&v->snap->next, memory_order_acquire);
    if (!next)
        return;
    mm_store_reader_close(v->reader);
    v->reader = NULL;
    while (next) {
        struct mm_snap *old = v->snap;
        v->snap = next;
        snap_release(old);
        next = atomic_load_explicit(&v->snap->next, memory_order_acquire);
    }
}

void mm_snap_view_cleanup(struct mm_snap_view *v)
{
    mm_snap_view_refresh(v);
    mm_store_reader_close(v->reader);
    v->reader = NULL;
    snap_release(v->snap);
    v->snap = NULL;
}

mm_err mm_snap_view_begin(struct mm_snap_view *v, struct mm_txn **txn)
{
    if (!v->snap->store)
        return MM_ENOSNAPSHOT;
    if (!v->reader) {
        mm_err e = mm_store_reader_open(v->snap->store, &v->reader);
        if (e) {
            v->reader = NULL;
            return e;
        }
    }
    return mm_store_reader_begin(v->reader, txn);
}

void mm_snap_view_end(struct mm_snap_view *v)
{
    mm_store_reader_end(v->reader);
}
