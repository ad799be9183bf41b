/*
 * snapshot_cmd.c — `moodmusic snapshot list | verify | rollback | gc`.
 *
 * The commands are thin: reading goes through common/snapshot.h, every
 * change of the directory through pipeline/snapshot_write.h (the same switch
 * and retention code as the publish stage).
 */
#include "pipeline/snapshot_cmd.h"

#include <inttypes.h>
#include <string.h>

#include "common/snapshot.h"
#include "pipeline/snapshot_write.h"

/* 1234567 → "1.2 MiB". */
static void format_size(uint64_t bytes, char out[16])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(out, 16, "%" PRIu64 " B", bytes);
    else
        snprintf(out, 16, "%.1f %s", v, units[u]);
}

static uint64_t manifest_bytes(const json_t *m)
{
    const char *name;
    json_t *entry;
    uint64_t total = 0;
    json_object_foreach((json_t *)m, name, entry) total +=
        (uint64_t)json_integer_value(json_object_get(entry, "bytes"));
    return total;
}

static void print_row(FILE *out, const char *dir, const char *id, int idw, const char *mark)
{
    char err[MM_ERRLEN] = "", size[16];
    json_t *m = NULL;
    if (mm_snapshot_manifest_load(dir, id, &m, err) != MM_OK) {
        fprintf(out, "%-4s %-*s (unreadable manifest: %s)\n", mark, idw, id, err);
        return;
    }
    json_t *counts = json_object_get(m, "counts");
    format_size(manifest_bytes(json_object_get(m, "files")), size);
    fprintf(out,
            "%-4s %-*s %-27s %-8s %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT " %10s\n",
            mark, idw, id, json_string_value(json_object_get(m, "created_at")),
            json_string_value(json_object_get(m, "run_id")),
            json_integer_value(json_object_get(counts, "requests")),
            json_integer_value(json_object_get(counts, "songs")), size);
    json_decref(m);
}

mm_err mm_snapshot_cmd_list(const struct mm_config *cfg, FILE *out)
{
    const char *dir = cfg->paths.snapshots;
    char cur[MM_SNAPSHOT_ID_MAX + 1], prev[MM_SNAPSHOT_ID_MAX + 1];
    json_t *ids = NULL;
    mm_err rc = mm_snapshot_list_ids(dir, &ids);
    if (rc) {
        fprintf(out, "cannot list %s: %s\n", dir, mm_strerror(rc));
        return rc;
    }
    if (mm_snapshot_current_pair(dir, cur, prev, NULL) == MM_ECORRUPT)
        fprintf(out, "warning: %s/%s is broken (see `moodmusic snapshot verify`)\n", dir,
                MM_SNAPSHOT_CURRENT);
    size_t n = json_array_size(ids);
    int idw = 2;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(json_string_value(json_array_get(ids, i)));
        idw = len > idw ? len : idw;
    }
    if (n == 0)
        fprintf(out, "no snapshots in %s\n", dir);
    else
        fprintf(out, "%-4s %-*s %-27s %-8s %10s %10s %10s\n", "", idw, "ID", "CREATED", "RUN",
                "REQUESTS", "SONGS", "SIZE");
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        const char *mark = strcmp(id, cur) == 0 ? "*" : strcmp(id, prev) == 0 ? "prev" : "";
        print_row(out, dir, id, idw, mark);
    }
    json_decref(ids);
    return MM_OK;
}

mm_err mm_snapshot_cmd_verify(const struct mm_config *cfg, const char *id, FILE *out)
{
    const char *dir = cfg->paths.snapshots;
    char cur[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN] = "";
    mm_err rc = MM_OK;
    if (!id) {
        rc = mm_snapshot_current(dir, cur, sizeof(cur));
        if (rc) {
            fprintf(out, "FAILED %s/%s: %s\n", dir, MM_SNAPSHOT_CURRENT,
                    rc == MM_ENOTFOUND ? "no current snapshot" : "not a link to a snapshot");
            return rc;
        }
        id = cur;
    }
    rc = mm_snapshot_verify(dir, id, err);
    if (rc)
        fprintf(out, "FAILED %s: %s\n", id, err[0] ? err : mm_strerror(rc));
    else
        fprintf(out, "OK %s\n", id);
    return rc;
}

mm_err mm_snapshot_cmd_rollback(const struct mm_config *cfg, const char *id, FILE *out)
{
    struct mm_snapshot_dir dir;
    char cur[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN] = "";
    mm_err rc = mm_snapshot_write_lock(cfg->paths.snapshots, &dir, err);
    if (rc)
        goto out_print;
    if ((rc = mm_snapshot_verify(dir.path, id, err)) != MM_OK)
        goto out_unlock;
    if (mm_snapshot_current(dir.path, cur, sizeof(cur)) != MM_OK)
        cur[0] = '\0';
    if (strcmp(cur, id) == 0) {
        fprintf(out, "%s is already current\n", id);
        goto out_unlock;
    }
    if ((rc = mm_snapshot_write_switch(&dir, id, err)) == MM_OK)
        fprintf(out, "current: %s -> %s\n", cur[0] ? cur : "(none)", id);
out_unlock:
    mm_snapshot_write_unlock(&dir);
out_print:
    if (rc)
        fprintf(out, "rollback refused: %s\n", err[0] ? err : mm_strerror(rc));
    return rc;
}

mm_err mm_snapshot_cmd_gc(const struct mm_config *cfg, FILE *out)
{
    struct mm_snapshot_dir dir;
    char err[MM_ERRLEN] = "";
    json_t *removed = json_array();
    mm_err rc = mm_snapshot_write_lock(cfg->paths.snapshots, &dir, err);
    if (rc)
        goto out_print;
    rc = mm_snapshot_write_retain(&dir, cfg->publish.keep, removed, err);
    mm_snapshot_write_unlock(&dir);
out_print:
    for (size_t i = 0; i < json_array_size(removed); i++)
        fprintf(out, "removed %s\n", json_string_value(json_array_get(removed, i)));
    if (rc)
        fprintf(out, "gc stopped: %s\n", err[0] ? err : mm_strerror(rc));
    else if (json_array_size(removed) == 0)
        fprintf(out, "nothing to remove\n");
    json_decref(removed);
    return rc;
}
