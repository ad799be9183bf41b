/*
 * snapshot.c — loading, verifying and listing published snapshots.
 *
 * Read-only: nothing here creates, renames or removes a file (the pipeline's
 * snapshot_write.c does that). A manifest is trusted for nothing until it
 * passes the checks of manifest_check(): its file names may not leave the
 * snapshot directory, its sizes and hashes have their exact types.
 */
#include "common/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/mem.h"

#define MANIFEST_MAX_BYTES (1u << 20) /* a manifest is a few hundred bytes */
#define LIST_MAX 4096                 /* snapshot directories list_ids accepts */

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, MM_ERRLEN, fmt, ap);
    va_end(ap);
}

/* <dir>/<name>[/<file>] into out; MM_ETOOBIG past PATH_MAX. */
static mm_err join(char out[PATH_MAX], const char *dir, const char *name, const char *file)
{
    int n = file ? snprintf(out, PATH_MAX, "%s/%s/%s", dir, name, file)
                 : snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return n < 0 || n >= PATH_MAX ? MM_ETOOBIG : MM_OK;
}

bool mm_snapshot_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > MM_SNAPSHOT_ID_MAX || id[0] == '.' || strcmp(id, MM_SNAPSHOT_CURRENT) == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool is_sha256_hex(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

enum { T_STR = 1, T_INT = 2, T_NULL = 4, T_OBJ = 8 };

static bool has_type(const json_t *v, int types)
{
    return ((types & T_STR) && json_is_string(v)) || ((types & T_INT) && json_is_integer(v)) ||
           ((types & T_NULL) && json_is_null(v)) || ((types & T_OBJ) && json_is_object(v));
}

/* Checks the entries of "files": names that stay inside the directory, a
 * 64-digit lower-case sha256 and a non-negative byte count each. */
static mm_err files_check(const json_t *files, char *err)
{
    const char *name;
    json_t *entry;
    if (json_object_size(files) == 0) {
        seterr(err, "files: empty");
        return MM_ECORRUPT;
    }
    json_object_foreach((json_t *)files, name, entry)
    {
        json_t *sha = json_object_get(entry, "sha256");
        json_t *bytes = json_object_get(entry, "bytes");
        if (!mm_snapshot_id_valid(name) || strcmp(name, MM_SNAPSHOT_MANIFEST) == 0) {
            seterr(err, "files: invalid file name \"%s\"", name);
            return MM_ECORRUPT;
        }
        if (!json_is_string(sha) || !is_sha256_hex(json_string_value(sha))) {
            seterr(err, "files.%s.sha256: expected 64 lower-case hex digits", name);
            return MM_ECORRUPT;
        }
        if (!json_is_integer(bytes) || json_integer_value(bytes) < 0) {
            seterr(err, "files.%s.bytes: expected a non-negative integer", name);
            return MM_ECORRUPT;
        }
    }
    return MM_OK;
}

/* Validates the manifest of snapshot `id` against the schema in snapshot.h. */
static mm_err manifest_check(const json_t *m, const char *id, char *err)
{
    static const struct {
        const char *key;
        int types;
    } keys[] = {
        {"schema_version", T_INT},       {"id", T_STR},
        {"created_at", T_STR},           {"run_id", T_STR},
        {"program_version", T_STR},      {"config_hash", T_STR},
        {"previous_id", T_STR | T_NULL}, {"counts", T_OBJ},
        {"embedder", T_OBJ | T_NULL},    {"index", T_OBJ | T_NULL},
        {"prompt_versions", T_OBJ},      {"files", T_OBJ},
    };
    if (!json_is_object(m)) {
        seterr(err, "manifest: expected a JSON object");
        return MM_ECORRUPT;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(m, keys[i].key);
        if (!v || !has_type(v, keys[i].types)) {
            seterr(err, "%s: %s", keys[i].key, v ? "wrong type" : "missing");
            return MM_ECORRUPT;
        }
    }
    json_int_t version = json_integer_value(json_object_get(m, "schema_version"));
    if (version > MM_SNAPSHOT_SCHEMA_VERSION) {
        seterr(err, "schema_version: %lld is newer than %d", (long long)version,
               MM_SNAPSHOT_SCHEMA_VERSION);
        return MM_ESCHEMA;
    }
    if (version < 1) {
        seterr(err, "schema_version: %lld is not a version", (long long)version);
        return MM_ECORRUPT;
    }
    if (strcmp(json_string_value(json_object_get(m, "id")), id) != 0) {
        seterr(err, "id: \"%s\" differs from the directory name \"%s\"",
               json_string_value(json_object_get(m, "id")), id);
        return MM_ECORRUPT;
    }
    json_t *counts = json_object_get(m, "counts");
    const char *const count_keys[] = {"requests", "songs"};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_object_get(counts, count_keys[i]);
        if (!json_is_integer(c) || json_integer_value(c) < 0) {
            seterr(err, "counts.%s: expected a non-negative integer", count_keys[i]);
            return MM_ECORRUPT;
        }
    }
    return files_check(json_object_get(m, "files"), err);
}

/* MM_OK when <dir>/<id> is a real directory (a symlink such as `current`
 * is not a snapshot). */
static mm_err snapshot_dir_check(const char *dir, const char *id, char *err)
{
    char path[PATH_MAX];
    struct stat st;
    if (!mm_snapshot_id_valid(id)) {
        seterr(err, "invalid snapshot id \"%s\"", id ? id : "");
        return MM_EINVAL;
    }
    if (join(path, dir, id, NULL) != MM_OK) {
        seterr(err, "%s/%s: path too long", dir, id);
        return MM_ETOOBIG;
    }
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        seterr(err, "%s: no such snapshot directory", path);
        return MM_ENOTFOUND;
    }
    return MM_OK;
}

mm_err mm_snapshot_manifest_load(const char *snapshots_dir, const char *id, json_t **out,
                                 char err[MM_ERRLEN])
{
    char path[PATH_MAX];
    struct stat st;
    json_error_t jerr;
    json_t *m;
    *out = NULL;
    mm_err rc = snapshot_dir_check(snapshots_dir, id, err);
    if (rc)
        goto out;
    if ((rc = join(path, snapshots_dir, id, MM_SNAPSHOT_MANIFEST)) != MM_OK) {
        seterr(err, "%s/%s: path too long", snapshots_dir, id);
        goto out;
    }
    if (lstat(path, &st) != 0) {
        rc = errno == ENOENT ? MM_ENOTFOUND : mm_err_from_errno(errno);
        seterr(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, "%s: not a regular file", path);
        rc = MM_ECORRUPT;
        goto out;
    }
    if (st.st_size > MANIFEST_MAX_BYTES) {
        seterr(err, "%s: %lld bytes, more than the %u a manifest may have", path,
               (long long)st.st_size, MANIFEST_MAX_BYTES);
        rc = MM_ECORRUPT;
        goto out;
    }
    m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!m) {
        seterr(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        rc = MM_ECORRUPT;
        goto out;
    }
    if ((rc = manifest_check(m, id, err)) != MM_OK) {
        json_decref(m);
        goto out;
    }
    *out = m;
out:
    return rc;
}

/* MM_ECORRUPT naming the first directory entry the manifest does not list. */
static mm_err unlisted_check(const char *dir, const char *id, const json_t *files, char *err)
{
    char path[PATH_MAX];
    mm_err rc = join(path, dir, id, NULL);
    if (rc)
        return rc;
    DIR *d = opendir(path);
    if (!d) {
        seterr(err, "%s: %s", path, strerror(errno));
        return mm_err_from_errno(errno);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, MM_SNAPSHOT_MANIFEST) == 0)
            continue;
        if (!json_object_get(files, n)) {
            seterr(err, "%s/%s: file not listed in the manifest", path, n);
            rc = MM_ECORRUPT;
            break;
        }
    }
    closedir(d);
    return rc;
}

/* Size then sha256 of one listed file. */
static mm_err file_check(const char *dir, const char *id, const char *name, const json_t *entry,
                         char *err)
{
    char path[PATH_MAX], sha[65];
    struct stat st;
    mm_err rc = join(path, dir, id, name);
    if (rc)
        return rc;
    long long want_bytes = (long long)json_integer_value(json_object_get(entry, "bytes"));
    const char *want_sha = json_string_value(json_object_get(entry, "sha256"));
    if (lstat(path, &st) != 0) {
        seterr(err, "%s: missing (%s)", path, strerror(errno));
        return MM_ECORRUPT;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, "%s: not a regular file", path);
        return MM_ECORRUPT;
    }
    if ((long long)st.st_size != want_bytes) {
        seterr(err, "%s: expected %lld bytes, found %lld", path, want_bytes, (long long)st.st_size);
        return MM_ECORRUPT;
    }
    rc = mm_hash_sha256_file(path, sha);
    if (rc) {
        seterr(err, "%s: cannot read: %s", path, mm_strerror(rc));
        return rc == MM_ENOTFOUND ? MM_ECORRUPT : rc;
    }
    if (strcmp(sha, want_sha) != 0) {
        seterr(err, "%s: expected sha256 %s, found %s", path, want_sha, sha);
        return MM_ECORRUPT;
    }
    return MM_OK;
}

mm_err mm_snapshot_verify(const char *snapshots_dir, const char *id, char err[MM_ERRLEN])
{
    json_t *m = NULL;
    mm_err rc = mm_snapshot_manifest_load(snapshots_dir, id, &m, err);
    if (rc)
        goto out;
    json_t *files = json_object_get(m, "files");
    if ((rc = unlisted_check(snapshots_dir, id, files, err)) != MM_OK)
        goto out_free_manifest;
    const char *name;
    json_t *entry;
    json_object_foreach(files, name, entry)
    {
        if ((rc = file_check(snapshots_dir, id, name, entry, err)) != MM_OK)
            goto out_free_manifest;
    }
out_free_manifest:
    json_decref(m);
out:
    return rc;
}

mm_err mm_snapshot_current(const char *snapshots_dir, char *out, size_t outlen)
{
    char path[PATH_MAX], target[MM_SNAPSHOT_ID_MAX + 2];
    mm_err rc = join(path, snapshots_dir, MM_SNAPSHOT_CURRENT, NULL);
    if (rc)
        return rc;
    ssize_t n = readlink(path, target, sizeof(target));
    if (n < 0) {
        /* EINVAL: `current` exists but is not a symlink */
        return errno == ENOENT || errno == ENOTDIR ? MM_ENOTFOUND
               : errno == EINVAL                   ? MM_ECORRUPT
                                                   : mm_err_from_errno(errno);
    }
    if ((size_t)n >= sizeof(target))
        return MM_ECORRUPT;
    target[n] = '\0';
    if (!mm_snapshot_id_valid(target))
        return MM_ECORRUPT;
    if ((size_t)n >= outlen)
        return MM_ETOOBIG;
    memcpy(out, target, (size_t)n + 1);
    return MM_OK;
}

mm_err mm_snapshot_current_pair(const char *snapshots_dir, char *cur, char *prev,
                                char err[MM_ERRLEN])
{
    json_t *m = NULL;
    cur[0] = prev[0] = '\0';
    mm_err rc = mm_snapshot_current(snapshots_dir, cur, MM_SNAPSHOT_ID_MAX + 1);
    if (rc) {
        cur[0] = '\0';
        seterr(err, "%s/%s: %s", snapshots_dir, MM_SNAPSHOT_CURRENT,
               rc == MM_ENOTFOUND ? "no current snapshot" : "not a link to a snapshot id");
        return rc == MM_ENOTFOUND ? rc : MM_ECORRUPT;
    }
    if (mm_snapshot_manifest_load(snapshots_dir, cur, &m, err) != MM_OK)
        return MM_ECORRUPT;
    const char *p = json_string_value(json_object_get(m, "previous_id"));
    if (p && mm_snapshot_id_valid(p))
        memcpy(prev, p, strlen(p) + 1);
    json_decref(m);
    return MM_OK;
}

struct listed {
    char *created_at; /* "" when the manifest does not load: sorts oldest */
    char *id;
};

static int listed_cmp(const void *a, const void *b)
{
    const struct listed *x = a, *y = b;
    int c = strcmp(x->created_at, y->created_at);
    return c ? c : strcmp(x->id, y->id);
}

/* Adds <dir>/<name> to `items` (room for LIST_MAX) when it is a snapshot
 * directory with a manifest.json; created_at is read from the manifest when
 * it loads. MM_ETOOBIG when the list is full. */
static mm_err list_add(const char *dir, const char *name, struct listed *items, size_t *n)
{
    char path[PATH_MAX];
    struct stat st;
    json_t *m = NULL;
    if (snapshot_dir_check(dir, name, NULL) != MM_OK ||
        join(path, dir, name, MM_SNAPSHOT_MANIFEST) != MM_OK || lstat(path, &st) != 0)
        return MM_OK;
    if (*n == LIST_MAX)
        return MM_ETOOBIG;
    const char *created = "";
    if (mm_snapshot_manifest_load(dir, name, &m, NULL) == MM_OK)
        created = json_string_value(json_object_get(m, "created_at"));
    items[*n].created_at = mm_xstrdup(created);
    items[*n].id = mm_xstrdup(name);
    (*n)++;
    json_decref(m);
    return MM_OK;
}

mm_err mm_snapshot_list_ids(const char *snapshots_dir, json_t **out)
{
    mm_err rc = MM_OK;
    size_t n = 0;
    struct listed *items = mm_xcalloc(LIST_MAX, sizeof(*items));
    *out = NULL;
    DIR *d = opendir(snapshots_dir);
    if (!d) {
        if (errno != ENOENT)
            rc = mm_err_from_errno(errno);
        goto out_build;
    }
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL)
        rc = list_add(snapshots_dir, e->d_name, items, &n);
    closedir(d);
out_build:
    qsort(items, n, sizeof(*items), listed_cmp);
    if (!rc) {
        *out = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(*out, json_string(items[i].id));
    }
    for (size_t i = 0; i < n; i++) {
        free(items[i].created_at);
        free(items[i].id);
    }
    free(items);
    return rc;
}
