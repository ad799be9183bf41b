/*
 * ingest.c — the ingest stage: reads the configured sources in order
 * (pg_csv: user_requests.csv then recommended_songs.csv; jsonl: one file),
 * one file at a time, in batches that each commit their records, the
 * watermarks and the file's checkpoint in one LMDB write transaction.
 *
 * Checkpoints (state db `checkpoints`):
 *   "ingest"                    {run_id, skip_requests, skip_songs}: the
 *                               watermarks this run skips at or below
 *   "ingest/<source>/<basename>" {run_id, size, mtime_ns, records_done,
 *                               complete, error, counts, rejects_bytes}
 * A resumed run (same run id, same file size and mtime) cuts rejects.csv to
 * rejects_bytes, skips records_done records without judging them, restores
 * the counts and goes on; a complete file is skipped. Anything else starts
 * the file over, which watermarks and idempotence make safe.
 *
 * A file that cannot be read, has a bad header, or ends in a damaged gzip
 * stream is logged with its name; the other files are still ingested and the
 * stage returns the first such error at the end. Store and rejects.csv
 * failures stop the stage at once.
 */
#include "pipeline/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/store.h"

/* Encoded bytes that close a batch early (records can be up to
 * max_field_bytes per column, so batch_size alone does not bound memory). */
#define BATCH_BYTES (32u << 20)

static const char *const count_names[] = {"read",       "accepted",        "updated",   "rejected",
                                          "duplicates", "below_watermark", "normalised"};
#define N_COUNTS (sizeof(count_names) / sizeof(count_names[0]))

static uint64_t *count_at(struct mm__ingest_counts *c, size_t i)
{
    uint64_t *const at[N_COUNTS] = {&c->read,      &c->accepted,   &c->updated,
                                    &c->rejected,  &c->duplicates, &c->below_watermark,
                                    &c->normalised};
    return at[i];
}

static json_t *counts_json(const struct mm__ingest_counts *c)
{
    struct mm__ingest_counts copy = *c;
    json_t *o = json_object();
    for (size_t i = 0; i < N_COUNTS; i++)
        json_object_set_new(o, count_names[i], json_integer((json_int_t)*count_at(&copy, i)));
    return o;
}

static void counts_from_json(struct mm__ingest_counts *c, const json_t *o)
{
    for (size_t i = 0; i < N_COUNTS; i++)
        *count_at(c, i) = (uint64_t)json_integer_value(json_object_get(o, count_names[i]));
}

void mm__ingest_where(const struct mm__ingest_file *f, bool song, int col, char out[96])
{
    const char *name = song ? mm__ingest_song_cols[col].name : mm__ingest_request_cols[col].name;
    if (f->kind == MM__INGEST_JSONL && song)
        snprintf(out, 96, "$.songs[%zu].%s", f->song_index, name);
    else if (f->kind == MM__INGEST_JSONL)
        snprintf(out, 96, "$.%s", name);
    else if (f->col[col] >= 0)
        snprintf(out, 96, "%d", f->col[col] + 1);
    else
        out[0] = '\0';
}

/* --- checkpoints --- */

char *mm__ingest_checkpoint_render(const struct mm__ingest_file *f, bool complete,
                                   const char *error, uint64_t rejects_bytes)
{
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:I, s:b, s:s?, s:o, s:I}", "run_id", f->in->ctx->run_id, "size",
                  (json_int_t)f->size, "mtime_ns", (json_int_t)f->mtime_ns, "records_done",
                  (json_int_t)f->records_done, "complete", complete, "error", error, "counts",
                  counts_json(&f->c), "rejects_bytes", (json_int_t)rejects_bytes);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    MM_ASSERT(text);
    return text;
}

/* The stored JSON under `key`, or NULL when absent or unreadable (a bad
 * checkpoint only costs a restart of its file). */
static mm_err load_json_key(struct mm__ingest *in, const char *key, json_t **out)
{
    struct mm_txn *txn;
    const void *val;
    size_t len;
    *out = NULL;
    mm_err err = mm_store_reader_begin(in->reader, &txn);
    if (err)
        return err;
    err = mm_store_get(txn, in->db_checkpoints, key, strlen(key), &val, &len);
    if (!err) {
        *out = json_loadb(val, len, 0, NULL);
        if (!json_is_object(*out)) {
            mm_log_warn("ingest: checkpoint %s is not a JSON object; ignored", key);
            json_decref(*out);
            *out = NULL;
        }
    }
    mm_store_reader_end(in->reader);
    return err == MM_ENOTFOUND ? MM_OK : err;
}

static uint64_t json_u64(const json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static bool json_flag(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* --- watermarks --- */

static mm_err read_watermark(struct mm__ingest *in, struct mm_txn *txn, const char *key,
                             uint64_t *out)
{
    const void *val;
    size_t len;
    char text[24];
    *out = 0;
    mm_err err = mm_store_get(txn, in->db_meta, key, strlen(key), &val, &len);
    if (err)
        return err == MM_ENOTFOUND ? MM_OK : err;
    bool ok = len > 0 && len < sizeof(text);
    for (size_t i = 0; ok && i < len; i++)
        ok = ((const char *)val)[i] >= '0' && ((const char *)val)[i] <= '9';
    if (ok) {
        memcpy(text, val, len);
        text[len] = '\0';
        *out = strtoull(text, NULL, 10);
        ok = *out <= (uint64_t)INT64_MAX;
    }
    if (!ok) {
        mm_log_error("ingest: state meta %s is not an id: the state is damaged", key);
        return MM_ECORRUPT;
    }
    return MM_OK;
}

static mm_err put_run_record(struct mm_txn *txn, void *arg)
{
    const struct mm__ingest *in = arg;
    json_t *o = json_pack("{s:s, s:I, s:I}", "run_id", in->ctx->run_id, "skip_requests",
                          (json_int_t)in->skip_requests, "skip_songs", (json_int_t)in->skip_songs);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    mm_err err = mm_store_put(txn, in->db_checkpoints, "ingest", 6, text, strlen(text));
    free(text);
    return err;
}

/* Loads the committed watermarks and decides what this run skips: the
 * watermarks as they were when the run first started (kept in the "ingest"
 * checkpoint, so a resumed run skips exactly what the interrupted one did). */
static mm_err load_watermarks(struct mm__ingest *in)
{
    struct mm_txn *txn;
    json_t *run = NULL;
    mm_err err = mm_store_reader_begin(in->reader, &txn);
    if (err)
        return err;
    err = read_watermark(in, txn, "watermark/requests", &in->wm_requests);
    if (!err)
        err = read_watermark(in, txn, "watermark/songs", &in->wm_songs);
    mm_store_reader_end(in->reader);
    if (!err)
        err = load_json_key(in, "ingest", &run);
    if (err)
        return err;
    const char *run_id = json_string_value(json_object_get(run, "run_id"));
    if (in->ctx->resumed && run_id && strcmp(run_id, in->ctx->run_id) == 0) {
        in->skip_requests = json_u64(run, "skip_requests");
        in->skip_songs = json_u64(run, "skip_songs");
    } else {
        in->skip_requests = in->ctx->full ? 0 : in->wm_requests;
        in->skip_songs = in->ctx->full ? 0 : in->wm_songs;
        err = mm_store_write(in->ctx->state, put_run_record, in);
    }
    json_decref(run);
    return err;
}

/* --- pg_csv files --- */

struct csv_file {
    struct mm__ingest_csv *r;
    const struct mm__ingest_column *cols;
    int n_cols;
    size_t n_header;
    char *names[MM__INGEST_CSV_MAX_COLUMNS]; /* header names, for rejects */
};

/* Rejects the file as a whole at its header: one rejects row, one record
 * read and rejected, a complete checkpoint carrying the error. */
static mm_err reject_file(struct mm__ingest_file *f, const char *column, const char *excerpt,
                          size_t excerpt_len, const char *reason, mm_err *failed)
{
    mm_log_error("ingest %s: %s; file skipped", f->path, reason);
    f->c.read++;
    mm_err err = mm__ingest_reject(f, 1, column, column, reason, excerpt, excerpt_len);
    if (!err)
        err = mm__ingest_batch_commit(f, true, reason);
    *failed = MM_EPARSE;
    return err;
}

/* Maps the header's names to the table's columns. MM_EPARSE in *failed when
 * the file was rejected (required columns missing, a repeated column). */
static mm_err csv_header(struct mm__ingest_file *f, struct csv_file *c, mm_err *failed)
{
    struct mm__ingest_csv_record rec;
    char err_text[MM_ERRLEN];
    struct mm_buf unknown, missing;
    bool keep[MM__INGEST_CSV_MAX_COLUMNS] = {false};
    mm_err err = mm__ingest_csv_next(c->r, &rec, err_text);
    if (err == MM_ENOTFOUND)
        return reject_file(f, "", "", 0, "empty file: no header line", failed);
    if (err) {
        mm_log_error("ingest %s: %s", f->path, err_text);
        *failed = err;
        return MM_OK;
    }
    if (rec.oversize_col || rec.n_fields > MM__INGEST_CSV_MAX_COLUMNS)
        return reject_file(f, "", rec.excerpt, rec.excerpt_len,
                           "header: a column name is too long or there are too many columns",
                           failed);
    mm_buf_init(&unknown, 1024); /* names past the cap are left out of the warning */
    mm_buf_init(&missing, 1024);
    c->n_header = rec.n_fields;
    for (size_t i = 0; i < rec.n_fields; i++) {
        const char *name = rec.fields[i].data ? rec.fields[i].data : "";
        int col = 0;
        while (col < c->n_cols && strcmp(c->cols[col].name, name) != 0)
            col++;
        c->names[i] = mm_xstrdup(name);
        if (col == c->n_cols) {
            (void)!mm_buf_printf(&unknown, "%s%s", unknown.len ? ", " : "", name);
        } else if (f->col[col] >= 0) {
            char reason[MM__INGEST_REASON_MAX];
            snprintf(reason, sizeof(reason), "column %.64s appears twice in the header", name);
            err = reject_file(f, name, rec.excerpt, rec.excerpt_len, reason, failed);
            goto out_cleanup;
        } else {
            f->col[col] = (int)i;
            keep[i] = true;
        }
    }
    for (int col = 0; col < c->n_cols; col++) {
        if (c->cols[col].required && f->col[col] < 0)
            (void)!mm_buf_printf(&missing, "%s%s", missing.len ? ", " : "", c->cols[col].name);
    }
    if (missing.len) {
        char *reason = mm_xasprintf("missing required column(s): %s", missing.data);
        err = reject_file(f, missing.data, rec.excerpt, rec.excerpt_len, reason, failed);
        free(reason);
        goto out_cleanup;
    }
    if (unknown.len)
        mm_log_warn("ingest %s: ignoring unknown column(s): %s", f->path, unknown.data);
    mm__ingest_csv_keep(c->r, keep, rec.n_fields);
out_cleanup:
    mm_buf_cleanup(&unknown);
    mm_buf_cleanup(&missing);
    return err;
}

/* Rejects a CSV record for its shape (an oversize field, an unterminated
 * quote, a wrong number of fields); false when the shape is right. */
static bool csv_shape(struct mm__ingest_file *f, const struct csv_file *c,
                      const struct mm__ingest_csv_record *rec, size_t max_field, mm_err *err)
{
    char reason[MM__INGEST_REASON_MAX], where[24];
    size_t col;
    if (rec->oversize_col) {
        col = rec->oversize_col;
        snprintf(reason, sizeof(reason), "field longer than ingest.max_field_bytes (%zu bytes)",
                 max_field);
    } else if (rec->unterminated) {
        col = rec->n_fields;
        snprintf(reason, sizeof(reason), "unterminated quoted field at the end of the file");
    } else if (rec->n_fields != c->n_header) {
        col = (rec->n_fields < c->n_header ? rec->n_fields : c->n_header) + 1;
        snprintf(reason, sizeof(reason), "expected %zu fields, got %zu", c->n_header,
                 rec->n_fields);
    } else {
        return false;
    }
    snprintf(where, sizeof(where), "%zu", col);
    *err = mm__ingest_reject(f, rec->line, where, col <= c->n_header ? c->names[col - 1] : "",
                             reason, rec->excerpt, rec->excerpt_len);
    return true;
}

static void csv_values(const struct mm__ingest_file *f, const struct csv_file *c,
                       const struct mm__ingest_csv_record *rec, struct mm__ingest_value *v)
{
    for (int col = 0; col < c->n_cols; col++) {
        const struct mm__ingest_field *fld = f->col[col] >= 0 ? &rec->fields[f->col[col]] : NULL;
        if (!fld || fld->null)
            v[col] = (struct mm__ingest_value){.kind = MM__INGEST_NULL};
        else
            v[col] = (struct mm__ingest_value){MM__INGEST_TEXT, fld->data, fld->len, NULL};
    }
}

/* Counts, judges and queues or rejects one CSV record. */
static mm_err csv_record(struct mm__ingest_file *f, const struct csv_file *c,
                         const struct mm__ingest_csv_record *rec)
{
    struct mm__ingest *in = f->in;
    bool songs = f->kind == MM__INGEST_CSV_SONGS, normalised;
    struct mm__ingest_value v[MM__SG_N];
    struct mm__ingest_problem why;
    union {
        struct mm_request r;
        struct mm_song s;
    } out;
    char where[96];
    uint64_t id, skip = songs ? in->skip_songs : in->skip_requests;
    mm_err err = MM_OK;
    f->c.read++;
    int idcol = f->col[MM__RQ_ID]; /* = MM__SG_ID: `id` leads both tables */
    if (skip && (size_t)idcol < rec->n_fields && rec->fields[idcol].data &&
        mm__ingest_parse_id(rec->fields[idcol].data, rec->fields[idcol].len, &id) == MM_OK &&
        id <= skip) {
        f->c.below_watermark++;
        f->c.duplicates++;
        return MM_OK;
    }
    if (csv_shape(f, c, rec, (size_t)in->ctx->cfg->ingest.max_field_bytes, &err))
        return err;
    csv_values(f, c, rec, v);
    err = songs ? mm__ingest_song_parse(v, 0, &in->lim, &in->arena, &out.s, &normalised, &why)
                : mm__ingest_request_parse(v, &in->lim, &in->arena, &out.r, &normalised, &why);
    if (err) {
        mm__ingest_where(f, songs, why.col, where);
        return mm__ingest_reject(f, rec->line, where, c->cols[why.col].name, why.reason,
                                 rec->excerpt, rec->excerpt_len);
    }
    return songs ? mm__ingest_add_song(f, &out.s, normalised, rec->line, rec->excerpt,
                                       rec->excerpt_len)
                 : mm__ingest_add_request(f, &out.r, normalised, rec->line, rec->excerpt,
                                          rec->excerpt_len);
}

/* --- one file --- */

/* The reader of one file, whatever its kind. */
struct source {
    struct csv_file csv;
    struct mm__ingest_jsonl *jsonl;
};

static mm_err source_open(struct mm__ingest_file *f, struct source *src, mm_err *failed)
{
    size_t cap = (size_t)f->in->ctx->cfg->ingest.max_field_bytes;
    char err_text[MM_ERRLEN];
    mm_err err = f->kind == MM__INGEST_JSONL
                     ? mm__ingest_jsonl_open(f->path, cap, &src->jsonl, err_text)
                     : mm__ingest_csv_open(f->path, cap, &src->csv.r, err_text);
    if (err) {
        mm_log_error("ingest: cannot read %s", err_text);
        *failed = err;
        return MM_OK;
    }
    if (f->kind == MM__INGEST_JSONL)
        return MM_OK;
    bool songs = f->kind == MM__INGEST_CSV_SONGS;
    src->csv.cols = songs ? mm__ingest_song_cols : mm__ingest_request_cols;
    src->csv.n_cols = songs ? MM__SG_N : MM__RQ_N;
    return csv_header(f, &src->csv, failed);
}

static void source_close(struct source *src)
{
    mm__ingest_csv_close(src->csv.r);
    mm__ingest_jsonl_close(src->jsonl);
    for (size_t i = 0; i < MM__INGEST_CSV_MAX_COLUMNS; i++)
        free(src->csv.names[i]);
}

/* Reads the next input record and, unless `skip`, handles it.
 * MM_ENOTFOUND at the end of the file, or after a read error (which goes to
 * *failed); other errors come from handling the record. */
static mm_err source_step(struct mm__ingest_file *f, struct source *src, bool skip,
                          uint64_t *offset, mm_err *failed)
{
    char err_text[MM_ERRLEN];
    struct mm__ingest_line line;
    struct mm__ingest_csv_record rec;
    bool jsonl = f->kind == MM__INGEST_JSONL;
    mm_err err = jsonl ? mm__ingest_jsonl_next(src->jsonl, &line, err_text)
                       : mm__ingest_csv_next(src->csv.r, &rec, err_text);
    *offset = jsonl ? mm__ingest_jsonl_offset(src->jsonl) : mm__ingest_csv_offset(src->csv.r);
    if (err == MM_EIO) {
        mm_log_error("ingest %s: %s", f->path, err_text);
        *failed = err;
        return MM_ENOTFOUND;
    }
    if (!err && !skip)
        err = jsonl ? mm__ingest_jsonl_record(f, &line) : csv_record(f, &src->csv, &rec);
    mm_arena_reset(&f->in->arena);
    return err;
}

/* Skips the records a checkpoint of this run already committed. */
static mm_err skip_done(struct mm__ingest_file *f, struct source *src, mm_err *failed)
{
    uint64_t offset;
    mm_err err = MM_OK;
    for (uint64_t i = 0; i < f->records_done && !err && !*failed; i++)
        err = source_step(f, src, true, &offset, failed);
    if (err == MM_ENOTFOUND && !*failed) {
        mm_log_error("ingest %s: shorter than the %llu records its checkpoint says were done",
                     f->path, (unsigned long long)f->records_done);
        *failed = MM_EPARSE;
    }
    return err == MM_ENOTFOUND ? MM_OK : err;
}

/* Ingests the records of an open file from where its checkpoint left off. */
static mm_err ingest_records(struct mm__ingest_file *f, struct source *src, mm_err *failed)
{
    struct mm_progress progress;
    uint64_t offset = 0;
    mm_err err = skip_done(f, src, failed);
    mm_progress_init(&progress, f->label, "records", f->size);
    while (!err && !*failed) {
        if (mm__ingest_batch_full(f)) {
            err = mm__ingest_batch_commit(f, false, NULL);
            if (!err && *f->in->ctx->stop)
                err = MM_EINTERRUPTED;
            continue;
        }
        err = mm__ingest_batch_begin(f);
        if (!err)
            err = source_step(f, src, false, &offset, failed);
        if (err == MM_ENOTFOUND)
            break;
        f->records_done++;
        f->batch_inputs++;
        mm_progress_update(&progress, 1, offset);
    }
    mm_progress_finish(&progress);
    if (err == MM_ENOTFOUND)
        err = MM_OK;
    if (!err && f->unknown.len)
        mm_log_warn("ingest %s: ignoring unknown field(s): %s", f->path, f->unknown.data);
    if (!err)
        err = mm__ingest_batch_commit(f, !*failed, NULL);
    return err;
}

/* read = accepted + rejected + duplicates, logged with every count; a file
 * whose counts do not add up fails (a bug guard). */
static void reconcile(const struct mm__ingest_file *f, mm_err *failed)
{
    const struct mm__ingest_counts *c = &f->c;
    bool ok = c->read == c->accepted + c->rejected + c->duplicates;
    json_t *fields = counts_json(c);
    json_object_set_new(fields, "file", json_string(f->path));
    mm_log_fields(ok ? MM_LOG_INFO : MM_LOG_ERROR, fields,
                  ok ? "ingest %s: read = accepted + rejected + duplicates"
                     : "ingest %s: counts do not reconcile: read != accepted + rejected + "
                       "duplicates",
                  f->label);
    if (!ok && !*failed)
        *failed = MM_ECORRUPT;
}

/* Decides from the file's checkpoint whether this is a resume (restoring
 * its counts) or a fresh start, and cuts rejects.csv back to what was
 * committed before the file's next batch. *done is set when the checkpoint
 * says the file was completed in this run. */
static mm_err file_resume(struct mm__ingest_file *f, const json_t *ckpt, bool *done, mm_err *failed)
{
    struct mm__ingest *in = f->in;
    const char *run_id = json_string_value(json_object_get(ckpt, "run_id"));
    bool same_file = ckpt && json_u64(ckpt, "size") == f->size &&
                     (int64_t)json_u64(ckpt, "mtime_ns") == f->mtime_ns;
    const char *error = json_string_value(json_object_get(ckpt, "error"));
    *done = false;
    if (!in->ctx->resumed || !same_file || !run_id || strcmp(run_id, in->ctx->run_id) != 0)
        return mm__ingest_rejects_truncate(in->rejects, in->rejects_committed);
    counts_from_json(&f->c, json_object_get(ckpt, "counts"));
    f->records_done = json_u64(ckpt, "records_done");
    in->rejects_committed = json_u64(ckpt, "rejects_bytes");
    *done = json_flag(ckpt, "complete");
    if (*done && error) {
        mm_log_error("ingest %s: %s (as found before the interruption)", f->path, error);
        *failed = MM_EPARSE;
    }
    mm_log_info("ingest %s: resuming after %llu records%s", f->path,
                (unsigned long long)f->records_done, *done ? " (file complete)" : "");
    /* A complete file's rows are followed by those of the files after it. */
    return *done ? MM_OK : mm__ingest_rejects_truncate(in->rejects, in->rejects_committed);
}

static mm_err file_run(struct mm__ingest_file *f, mm_err *failed)
{
    struct stat st;
    struct source src;
    memset(&src, 0, sizeof(src));
    json_t *ckpt = NULL;
    bool done;
    if (stat(f->path, &st) != 0) {
        mm_log_error("ingest: cannot read %s: %s", f->path, strerror(errno));
        *failed = mm_err_from_errno(errno);
        return MM_OK;
    }
    f->size = (uint64_t)st.st_size;
    f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    uint64_t version[2] = {f->size, (uint64_t)f->mtime_ns};
    f->src_prefix = mm_xasprintf("%s:%s@%016llx:", f->in->ctx->run_id, f->label,
                                 (unsigned long long)mm_hash_fnv1a64(version, sizeof(version)));
    char *key = mm_xasprintf("ingest/%s", f->label);
    mm_err err = load_json_key(f->in, key, &ckpt);
    free(key);
    if (!err)
        err = file_resume(f, ckpt, &done, failed);
    json_decref(ckpt);
    if (err || done)
        goto out_reconcile;
    mm_log_info("ingest %s: reading %s", f->label, f->path);
    err = source_open(f, &src, failed);
    if (!err && !*failed)
        err = ingest_records(f, &src, failed);
    source_close(&src);
out_reconcile:
    if (!err)
        reconcile(f, failed);
    return err;
}

/* Ingests one file and adds its counts to `files` under its label. */
static mm_err ingest_file(struct mm__ingest *in, const struct mm_source_config *source,
                          const char *path, enum mm__ingest_kind kind, json_t *files,
                          mm_err *failed)
{
    const char *slash = strrchr(path, '/');
    struct mm__ingest_file f = {.in = in, .source = source->name, .path = path, .kind = kind};
    mm_err file_failed = MM_OK;
    for (int i = 0; i < MM__SG_N; i++)
        f.col[i] = -1;
    f.label = mm_xasprintf("%s/%s", source->name, slash ? slash + 1 : path);
    mm_buf_init(&f.unknown, 512);
    mm_err err = file_run(&f, &file_failed);
    if (f.txn)
        mm_store_reader_end(in->reader);
    json_t *counts = counts_json(&f.c);
    if (file_failed)
        json_object_set_new(counts, "error", json_string(mm_strerror(file_failed)));
    json_object_set_new(files, f.label, counts);
    if (file_failed && !*failed)
        *failed = file_failed;
    mm_buf_cleanup(&f.unknown);
    free(f.src_prefix);
    free(f.label);
    return err;
}

/* --- the stage --- */

static void set_totals(json_t *counts, json_t *files)
{
    struct mm__ingest_counts total = {0}, c;
    const char *label;
    json_t *fc;
    size_t failed = 0;
    json_object_foreach(files, label, fc)
    {
        counts_from_json(&c, fc);
        for (size_t i = 0; i < N_COUNTS; i++)
            *count_at(&total, i) += *count_at(&c, i);
        failed += json_object_get(fc, "error") != NULL;
    }
    json_t *totals = counts_json(&total);
    json_object_update(counts, totals);
    json_decref(totals);
    json_object_set_new(counts, "files_failed", json_integer((json_int_t)failed));
    json_object_set(counts, "files", files);
}

/* True when a stop was asked for and this run has committed something (a
 * resumed run always gets somewhere before it stops again). */
static bool stopping(const struct mm__ingest *in)
{
    return *in->ctx->stop && in->commits > 0;
}

static mm_err ingest_sources(struct mm__ingest *in, json_t *files, mm_err *failed)
{
    const struct mm_config *cfg = in->ctx->cfg;
    mm_err err = MM_OK;
    for (size_t i = 0; i < cfg->ingest.n_sources && !err; i++) {
        const struct mm_source_config *src = &cfg->ingest.sources[i];
        if (stopping(in))
            err = MM_EINTERRUPTED;
        else if (src->kind == MM_SOURCE_JSONL)
            err = ingest_file(in, src, src->path, MM__INGEST_JSONL, files, failed);
        else
            err = ingest_file(in, src, src->requests_path, MM__INGEST_CSV_REQUESTS, files, failed);
        if (!err && src->kind == MM_SOURCE_PG_CSV && src->songs_path)
            err = stopping(in)
                      ? MM_EINTERRUPTED
                      : ingest_file(in, src, src->songs_path, MM__INGEST_CSV_SONGS, files, failed);
    }
    return err;
}

static mm_err ingest_run(struct mm_stage_ctx *ctx)
{
    const struct mm_config *cfg = ctx->cfg;
    size_t cap = (size_t)cfg->ingest.max_field_bytes, batch = (size_t)cfg->ingest.batch_size;
    struct mm__ingest in = {.ctx = ctx};
    json_t *files = json_object();
    mm_err failed = MM_OK;
    mm__ingest_limits_init(&in.lim, cfg);
    in.db_requests = mm_store_db(ctx->state, "requests");
    in.db_songs = mm_store_db(ctx->state, "songs");
    in.db_song_ids = mm_store_db(ctx->state, "song_ids");
    in.db_meta = mm_store_db(ctx->state, "meta");
    in.db_checkpoints = mm_store_db(ctx->state, "checkpoints");
    in.rejects_committed = mm__ingest_rejects_header_size();
    mm_arena_init(&in.arena, 64 * 1024);
    /* One JSONL line adds a request and up to max_songs_per_request songs. */
    in.batch = mm__ingest_batch_new(batch, batch + (size_t)cfg->ingest.max_songs_per_request + 1,
                                    BATCH_BYTES, 32 * cap + (1u << 20));
    mm_err err = mm_store_reader_open(ctx->state, &in.reader);
    if (err)
        goto out_free;
    err = mm__ingest_rejects_open(cfg->paths.reports, ctx->run_id, ctx->resumed, &in.rejects);
    if (!err)
        err = load_watermarks(&in);
    if (!err)
        err = ingest_sources(&in, files, &failed);
    set_totals(ctx->counts, files);
    if (!err && failed) {
        mm_log_error("ingest: input files failed (see the errors above); the others were "
                     "ingested");
        err = failed;
    }
    mm__ingest_rejects_close(in.rejects);
    mm_store_reader_close(in.reader);
out_free:
    mm__ingest_batch_free(in.batch);
    mm_arena_cleanup(&in.arena);
    json_decref(files);
    return err;
}

const struct mm_stage mm_stage_ingest = {
    .name = "ingest",
    .summary = "read the app's request history (pg_csv, jsonl) into the state",
    .run = ingest_run,
};
