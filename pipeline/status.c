/* `moodmusic status`: recent runs from the state store, newest first. */
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/store.h"
#include "pipeline/runner.h"

static mm_err collect(struct mm_store *state, size_t limit, json_t *out)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl;
    mm_err err = mm_store_read_begin(state, &txn);
    if (err)
        return err;
    err = mm_store_cursor_open(txn, mm_store_db(state, "runs"), &cur);
    if (err)
        goto out_end_txn;
    /* Run numbers are dense from 1: walk back from the last one. */
    err = mm_store_cursor_last(cur, &k, &kl, &v, &vl);
    uint64_t number = err ? 0 : mm_store_u64_from_key(k);
    if (err == MM_ENOTFOUND)
        err = MM_OK;
    mm_store_cursor_close(cur);
    for (; !err && number > 0 && json_array_size(out) < limit; number--) {
        unsigned char key[8];
        mm_store_u64_key(number, key);
        err = mm_store_get(txn, mm_store_db(state, "runs"), key, 8, &v, &vl);
        if (err == MM_ENOTFOUND) {
            err = MM_OK;
            continue;
        }
        json_t *m = err ? NULL : json_loadb(v, vl, 0, NULL);
        if (!err && !m)
            err = MM_ECORRUPT;
        if (m)
            json_array_append_new(out, m);
    }
out_end_txn:
    mm_store_read_end(txn);
    return err;
}

mm_err mm_runner_recent(const struct mm_config *cfg, size_t limit, json_t **out)
{
    struct stat st;
    if (stat(cfg->paths.state, &st) != 0)
        return MM_ENOTFOUND;
    struct mm_store *state;
    mm_err err = mm_runner_open_state(cfg, &state);
    if (err)
        return err;
    json_t *runs = json_array();
    err = collect(state, limit, runs);
    mm_store_close(state);
    if (err)
        json_decref(runs);
    else
        *out = runs;
    return err;
}

/* "ingest: read 300 accepted 280 ..." — the top-level numeric counts of a stage. */
static void print_counts(json_t *counts, FILE *out)
{
    const char *key;
    json_t *val;
    json_object_foreach(counts, key, val) {
        if (json_is_integer(val))
            fprintf(out, " %s=%lld", key, (long long)json_integer_value(val));
        else if (json_is_string(val))
            fprintf(out, " %s=%s", key, json_string_value(val));
    }
}

static void print_run(json_t *m, FILE *out)
{
    const char *ended = json_string_value(json_object_get(m, "ended_at"));
    fprintf(out, "run %s  %s  started %s  ended %s  attempts %lld\n",
            json_string_value(json_object_get(m, "run_id")),
            json_string_value(json_object_get(m, "status")),
            json_string_value(json_object_get(m, "started_at")), ended ? ended : "-",
            (long long)json_integer_value(json_object_get(m, "attempts")));
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(m, "stages"), i, st) {
        json_t *ms = json_object_get(st, "duration_ms");
        const char *error = json_string_value(json_object_get(st, "error"));
        fprintf(out, "  %-10s %-11s", json_string_value(json_object_get(st, "name")),
                json_string_value(json_object_get(st, "status")));
        if (json_is_integer(ms))
            fprintf(out, " %8.1fs", (double)json_integer_value(ms) / 1000.0);
        print_counts(json_object_get(st, "counts"), out);
        if (error)
            fprintf(out, "  error: %s", error);
        fputc('\n', out);
    }
}

mm_err mm_runner_print_status(const struct mm_config *cfg, size_t limit, bool json, FILE *out)
{
    json_t *runs;
    mm_err err = mm_runner_recent(cfg, limit, &runs);
    if (err == MM_ENOTFOUND) {
        if (!json)
            fprintf(out, "no runs yet (state %s does not exist)\n", cfg->paths.state);
        return MM_OK;
    }
    if (err)
        return err;
    if (json_array_size(runs) == 0 && !json)
        fprintf(out, "no runs yet\n");
    size_t i;
    json_t *m;
    json_array_foreach(runs, i, m) {
        if (json) {
            char *line = json_dumps(m, JSON_COMPACT);
            fprintf(out, "%s\n", line);
            free(line);
        } else {
            print_run(m, out);
        }
    }
    json_decref(runs);
    return MM_OK;
}
