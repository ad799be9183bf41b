#include "pipeline/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/store.h"

const struct mm_stage *const mm_stages[] = {&mm_stage_ingest, &mm_stage_enrich, &mm_stage_score,
                                             &mm_stage_publish};
const size_t mm_n_stages = sizeof(mm_stages) / sizeof(mm_stages[0]);

#define LOCK_FILE "run.lock"
#define MANIFEST_MAX (1u << 20)

struct run {
    struct mm_store *state;
    json_t *manifest;   /* owned */
    uint64_t number;
    char run_id[32];
};

int mm_runner_stage_index(const char *name)
{
    for (size_t i = 0; i < mm_n_stages; i++)
        if (strcmp(mm_stages[i]->name, name) == 0)
            return (int)i;
    return -1;
}

static void iso_now(char out[32])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void list_stage_names(FILE *out)
{
    for (size_t i = 0; i < mm_n_stages; i++)
        fprintf(out, "%s%s", i ? ", " : "", mm_stages[i]->name);
}

/* Resolves --from/--to/--only into a JSON array of stage names, in order. */
static mm_err select_stages(const struct mm_run_options *opt, json_t **out)
{
    const char *names[3] = {opt->from, opt->to, opt->only};
    for (size_t i = 0; i < 3; i++) {
        if (names[i] && mm_runner_stage_index(names[i]) < 0) {
            fprintf(stderr, "moodmusic: unknown stage '%s' (stages: ", names[i]);
            list_stage_names(stderr);
            fprintf(stderr, ")\n");
            return MM_EINVAL;
        }
    }
    int first = 0, last = (int)mm_n_stages - 1;
    if (opt->only)
        first = last = mm_runner_stage_index(opt->only);
    if (opt->from)
        first = mm_runner_stage_index(opt->from);
    if (opt->to)
        last = mm_runner_stage_index(opt->to);
    if (first > last) {
        fprintf(stderr, "moodmusic: --from %s comes after --to %s\n", opt->from, opt->to);
        return MM_EINVAL;
    }
    json_t *arr = json_array();
    for (int i = first; i <= last; i++)
        json_array_append_new(arr, json_string(mm_stages[i]->name));
    *out = arr;
    return MM_OK;
}

/* --- lock --- */

static mm_err lock_acquire(const char *state_dir, const char *run_hint, int *fd_out)
{
    char *path = mm_xasprintf("%s/%s", state_dir, LOCK_FILE);
    mm_err err = MM_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "moodmusic: cannot open lock %s: %s\n", path, strerror(errno));
        err = MM_EIO;
        goto out_free_path;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[256] = "";
        ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        fprintf(stderr, "moodmusic: another run holds the lock %s: %s\n", path,
                holder[0] ? holder : "(holder unknown)");
        close(fd);
        err = MM_ELOCKED;
        goto out_free_path;
    }
    char started[32], line[200];
    iso_now(started);
    int n = snprintf(line, sizeof(line), "pid %ld, %s, started %s\n", (long)getpid(), run_hint,
                     started);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
        mm_log_warn("cannot write lock holder to %s: %s", path, strerror(errno));
    *fd_out = fd;
out_free_path:
    free(path);
    return err;
}

/* --- manifests in the `runs` db --- */

struct put_ctx {
    unsigned db;
    unsigned char key[8];
    char *text;
};

static mm_err put_text(struct mm_txn *txn, void *arg)
{
    struct put_ctx *c = arg;
    return mm_store_put(txn, c->db, c->key, 8, c->text, strlen(c->text));
}

static mm_err manifest_save(struct run *r)
{
    struct put_ctx c = {.db = mm_store_db(r->state, "runs")};
    mm_store_u64_key(r->number, c.key);
    c.text = json_dumps(r->manifest, JSON_COMPACT);
    mm_err err = mm_store_write(r->state, put_text, &c);
    free(c.text);
    if (err)
        mm_log_error("cannot save the manifest of run %s: %s", r->run_id, mm_strerror(err));
    return err;
}

/* The newest run manifest, or NULL when there is none. */
static mm_err manifest_last(struct mm_store *state, json_t **out, uint64_t *number)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    *out = NULL;
    *number = 0;
    mm_err err = mm_store_read_begin(state, &txn);
    if (err)
        return err;
    err = mm_store_cursor_open(txn, mm_store_db(state, "runs"), &cur);
    if (err)
        goto out_end_txn;
    err = mm_store_cursor_last(cur, &k, &kl, &v, &vl);
    if (err == MM_ENOTFOUND) {
        err = MM_OK;
        goto out_close_cursor;
    }
    if (err)
        goto out_close_cursor;
    *number = mm_store_u64_from_key(k);
    *out = json_loadb(v, vl, 0, NULL);
    if (!*out)
        err = MM_ECORRUPT;
out_close_cursor:
    mm_store_cursor_close(cur);
out_end_txn:
    mm_store_read_end(txn);
    return err;
}

static bool resumable(json_t *last, json_t *stages, bool full, const char *config_hash)
{
    const char *status = json_string_value(json_object_get(last, "status"));
    json_t *sel = json_object_get(last, "selection");
    if (!status || strcmp(status, "succeeded") == 0 || strcmp(status, "abandoned") == 0)
        return false;
    const char *hash = json_string_value(json_object_get(last, "config_hash"));
    return json_equal(json_object_get(sel, "stages"), stages) &&
           json_is_true(json_object_get(sel, "full")) == full && hash &&
           strcmp(hash, config_hash) == 0;
}

static json_t *manifest_new(struct run *r, json_t *stages, bool full, const char *config_hash)
{
    char started[32];
    iso_now(started);
    json_t *st = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(stages, i, name) {
        json_array_append_new(st, json_pack("{s:O, s:s, s:n, s:n, s:n, s:{}, s:n}", "name", name,
                                            "status", "pending", "started_at", "ended_at",
                                            "duration_ms", "counts", "error"));
    }
    return json_pack("{s:s, s:I, s:s, s:i, s:I, s:s, s:n, s:s, s:s, s:{s:O, s:b}, s:o}",
                     "run_id", r->run_id, "number", (json_int_t)r->number, "status", "running",
                     "attempts", 1, "pid", (json_int_t)getpid(), "started_at", started,
                     "ended_at", "config_hash", config_hash, "program_version", MM_VERSION,
                     "selection", "stages", stages, "full", full, "stages", st);
}

/* Decides between resuming the newest run and starting a new one. */
static mm_err run_prepare(struct run *r, json_t *stages, bool full, const char *config_hash)
{
    json_t *last;
    uint64_t last_number;
    mm_err err = manifest_last(r->state, &last, &last_number);
    if (err)
        return err;
    if (last && resumable(last, stages, full, config_hash)) {
        r->number = last_number;
        r->manifest = last;
        json_int_t attempts = json_integer_value(json_object_get(last, "attempts"));
        json_object_set_new(last, "attempts", json_integer(attempts + 1));
        json_object_set_new(last, "status", json_string("running"));
        json_object_set_new(last, "pid", json_integer(getpid()));
        snprintf(r->run_id, sizeof(r->run_id), "%s",
                 json_string_value(json_object_get(last, "run_id")));
        mm_log_info("resuming run %s (attempt %lld)", r->run_id, (long long)attempts + 1);
        return manifest_save(r);
    }
    if (last && strcmp(json_string_value(json_object_get(last, "status")), "succeeded") != 0 &&
        strcmp(json_string_value(json_object_get(last, "status")), "abandoned") != 0) {
        struct run old = {.state = r->state, .manifest = last, .number = last_number};
        snprintf(old.run_id, sizeof(old.run_id), "%s",
                 json_string_value(json_object_get(last, "run_id")));
        json_object_set_new(last, "status", json_string("abandoned"));
        mm_log_warn("run %s did not finish and this run selects other stages or another config: "
                    "it is marked abandoned",
                    old.run_id);
        err = manifest_save(&old);
    }
    json_decref(last);
    if (err)
        return err;
    r->number = last_number + 1;
    snprintf(r->run_id, sizeof(r->run_id), "r%llu", (unsigned long long)r->number);
    r->manifest = manifest_new(r, stages, full, config_hash);
    mm_log_info("starting run %s", r->run_id);
    return manifest_save(r);
}

static mm_err run_stage(struct run *r, const struct mm_config *cfg, json_t *entry, bool full,
                        volatile sig_atomic_t *stop)
{
    const char *name = json_string_value(json_object_get(entry, "name"));
    const struct mm_stage *stage = mm_stages[mm_runner_stage_index(name)];
    const char *prev = json_string_value(json_object_get(entry, "status"));
    bool resumed = strcmp(prev, "pending") != 0;
    char started[32], ended[32];
    iso_now(started);
    json_object_set_new(entry, "status", json_string("running"));
    json_object_set_new(entry, "started_at", json_string(started));
    mm_err err = manifest_save(r);
    if (err)
        return err;

    mm_log_context_set_stage(name);
    mm_log_info("stage %s %s", name, resumed ? "resumed" : "started");
    struct mm_stage_ctx ctx = {.cfg = cfg, .state = r->state, .run_id = r->run_id, .full = full,
                               .resumed = resumed, .counts = json_object(), .stop = stop};
    double t0 = mono_ms();
    err = stage->run(&ctx);
    double ms = mono_ms() - t0;
    iso_now(ended);
    const char *status = !err ? "succeeded" : err == MM_EINTERRUPTED ? "interrupted" : "failed";
    json_object_set_new(entry, "status", json_string(status));
    json_object_set_new(entry, "ended_at", json_string(ended));
    json_object_set_new(entry, "duration_ms", json_integer((json_int_t)ms));
    json_object_set_new(entry, "counts", ctx.counts);
    json_object_set_new(entry, "error", err ? json_string(mm_strerror(err)) : json_null());
    mm_log_fields(err ? MM_LOG_ERROR : MM_LOG_INFO,
                  json_pack("{s:I, s:O}", "duration_ms", (json_int_t)ms, "counts", ctx.counts),
                  "stage %s %s", name, status);
    mm_log_context_set_stage(NULL);
    mm_err save_err = manifest_save(r);
    return err ? err : save_err;
}

mm_err mm_runner_open_state(const struct mm_config *cfg, struct mm_store **out)
{
    static const char *const dbs[] = MM_STATE_DBS;
    struct mm_store_options opt = {.map_size = cfg->store.map_size_mb << 20,
                                   .max_map_size = cfg->store.max_map_size_mb << 20,
                                   .dbs = dbs};
    mm_err err = mm_store_open(cfg->paths.state, &opt, out);
    if (err)
        fprintf(stderr, "moodmusic: cannot open the state store %s: %s\n", cfg->paths.state,
                mm_strerror(err));
    return err;
}

mm_err mm_runner_run(const struct mm_config *cfg, const struct mm_run_options *opt,
                     volatile sig_atomic_t *stop)
{
    json_t *stages;
    int lock_fd = -1;
    char config_hash[65];
    struct run r = {0};
    mm_err err = select_stages(opt, &stages);
    if (err)
        return err;
    char fs_err[MM_ERRLEN];
    err = mm_fs_mkdir_p(cfg->paths.state, 0, fs_err);
    if (err) {
        fprintf(stderr, "moodmusic: cannot create the state directory: %s\n", fs_err);
        goto out_free_stages;
    }
    err = lock_acquire(cfg->paths.state, "moodmusic run", &lock_fd);
    if (err)
        goto out_free_stages;
    err = mm_runner_open_state(cfg, &r.state);
    if (err)
        goto out_unlock;
    mm_config_hash(cfg, config_hash);
    err = run_prepare(&r, stages, opt->full, config_hash);
    if (err)
        goto out_close_state;
    mm_log_context_set_run(r.run_id);

    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(r.manifest, "stages"), i, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "status")), "succeeded") == 0) {
            mm_log_info("stage %s already succeeded in run %s: skipped",
                        json_string_value(json_object_get(entry, "name")), r.run_id);
            continue;
        }
        err = *stop ? MM_EINTERRUPTED : run_stage(&r, cfg, entry, opt->full, stop);
        if (err)
            break;
    }
    char ended[32];
    iso_now(ended);
    json_object_set_new(r.manifest, "status",
                        json_string(!err                       ? "succeeded"
                                    : err == MM_EINTERRUPTED ? "interrupted"
                                                             : "failed"));
    json_object_set_new(r.manifest, "ended_at", json_string(ended));
    mm_err save_err = manifest_save(&r);
    if (!err)
        err = save_err;
    if (err == MM_EINTERRUPTED)
        mm_log_warn("run %s interrupted: run the same command again to resume", r.run_id);
    else if (err)
        mm_log_error("run %s failed: %s (run the same command again to resume)", r.run_id,
                     mm_strerror(err));
    else
        mm_log_info("run %s succeeded", r.run_id);
    mm_log_context_set_run(NULL);
    json_decref(r.manifest);
out_close_state:
    mm_store_close(r.state);
out_unlock:
    close(lock_fd);
out_free_stages:
    json_decref(stages);
    return err;
}
