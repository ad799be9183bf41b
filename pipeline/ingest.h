/*
 * ingest.h — internals of the ingest stage (mm_stage_ingest, stage.h), shared
 * by its files and by nothing else:
 *
 *   ingest.c         the stage: sources in order, per-file checkpoints and
 *                    resume, pg_csv files, counts and reconciliation
 *   ingest_batch.c   classification of validated records (new, duplicate,
 *                    update, conflict, unjoined song) and the batched writes
 *   ingest_csv.c     streaming RFC 4180 reader over libcsv
 *   ingest_jsonl.c   JSONL files (plain or gzip): requests with nested songs
 *   ingest_fields.c  field validation and normalisation → mm_request/mm_song
 *   ingest_json.c    the JSON columns: emojis, gemini_analysis, matched_criteria
 *   rejects.c        the run's rejects.csv
 *
 * The input contract and every reject/normalisation rule: docs/ingest.md.
 * Memory: one input record (in a reset-per-record arena) plus one batch of at
 * most ingest.batch_size encoded records; nothing grows with the file.
 *
 * Thread safety: none; the stage runs on the runner's thread.
 */
#ifndef MM_INGEST_H
#define MM_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/mem.h"
#include "pipeline/stage.h"

/* Bytes of a raw record kept for the `excerpt` column of rejects.csv. */
#define MM__INGEST_EXCERPT 120
/* Rejects logged at warn level per file; the others are only in rejects.csv. */
#define MM__INGEST_LOGGED_REJECTS 10

/* ------------------------------------------------------------------------ */
/* Field values and validation (ingest_fields.c)                             */
/* ------------------------------------------------------------------------ */

enum mm__ingest_vkind {
    MM__INGEST_NULL, /* SQL NULL: unquoted empty CSV field, JSON null or absent key */
    MM__INGEST_TEXT, /* text: a CSV field, a JSON string, or a JSON scalar's text */
    MM__INGEST_JSON, /* a JSON array or object inside a JSONL line */
};

/* One input value before validation. Everything is borrowed for the
 * duration of the parse call. */
struct mm__ingest_value {
    enum mm__ingest_vkind kind;
    const char *text; /* TEXT: its bytes, with a NUL at text[len] */
    size_t len;
    const json_t *json; /* JSON */
};

struct mm__ingest_column {
    const char *name; /* CSV header name = JSONL key */
    bool required;    /* a CSV file whose header lacks it is rejected as a whole */
};

enum mm__ingest_request_col {
    MM__RQ_ID,
    MM__RQ_USER_ID,
    MM__RQ_TEXT,
    MM__RQ_EMOJIS,
    MM__RQ_NUM_SONGS,
    MM__RQ_ANALYSIS,
    MM__RQ_CREATED_AT,
    MM__RQ_N
};

enum mm__ingest_song_col {
    MM__SG_ID,
    MM__SG_REQUEST_ID,
    MM__SG_USER_ID,
    MM__SG_POSITION,
    MM__SG_TRACK_ID,
    MM__SG_TITLE,
    MM__SG_ARTIST,
    MM__SG_ALBUM,
    MM__SG_ALBUM_ART,
    MM__SG_PREVIEW_URL,
    MM__SG_TRACK_URL,
    MM__SG_RELEASE_YEAR,
    MM__SG_DURATION_MS,
    MM__SG_DURATION_FORMATTED,
    MM__SG_WHY,
    MM__SG_MATCHED_CRITERIA,
    MM__SG_CREATED_AT,
    MM__SG_N
};

/* The columns of user_requests and recommended_songs, indexed by the enums. */
extern const struct mm__ingest_column mm__ingest_request_cols[MM__RQ_N];
extern const struct mm__ingest_column mm__ingest_song_cols[MM__SG_N];

/* The app's limits, from cfg->ingest. */
struct mm__ingest_limits {
    size_t max_query_chars;
    size_t max_emojis;
    int64_t min_songs_requested, max_songs_requested;
    int64_t max_position; /* ingest.max_songs_per_request */
};

void mm__ingest_limits_init(struct mm__ingest_limits *lim, const struct mm_config *cfg);

#define MM__INGEST_REASON_MAX 256

/* Why a record was rejected: the column at fault (an index into the column
 * table) and a sentence naming the value and the rule. */
struct mm__ingest_problem {
    int col;
    char reason[MM__INGEST_REASON_MAX];
};

/* Validates and normalises one user_requests record. On MM_OK, *out holds
 * the record (strings in `arena` or borrowed from `v`, src left NULL for the
 * caller) and
 * *normalised tells whether a value had to be changed to be accepted (see
 * docs/ingest.md). MM_EPARSE: rejected, *why says where and why. */
MM_MUST_CHECK mm_err mm__ingest_request_parse(const struct mm__ingest_value v[MM__RQ_N],
                                              const struct mm__ingest_limits *lim,
                                              struct mm_arena *arena, struct mm_request *out,
                                              bool *normalised, struct mm__ingest_problem *why);

/* The same for one recommended_songs record. `default_request_id` (0: none)
 * stands for a NULL request_id: the parent request of a nested JSONL song. */
MM_MUST_CHECK mm_err mm__ingest_song_parse(const struct mm__ingest_value v[MM__SG_N],
                                           uint64_t default_request_id,
                                           const struct mm__ingest_limits *lim,
                                           struct mm_arena *arena, struct mm_song *out,
                                           bool *normalised, struct mm__ingest_problem *why);

/* Fills *why (column `col`, a printf-formatted reason) and returns MM_EPARSE. */
mm_err mm__ingest_fail(struct mm__ingest_problem *why, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A positive id: decimal digits only, 1..INT64_MAX. MM_EPARSE otherwise. */
MM_MUST_CHECK mm_err mm__ingest_parse_id(const char *s, size_t len, uint64_t *out);

/* PostgreSQL timestamptz text or ISO 8601 (`2025-11-20 14:03:12.123456+00`,
 * `...T...Z`, offsets ±HH, ±HH:MM, ±HHMM, ±HH:MM:SS; fraction up to 6 digits;
 * years 0001..9999) → microseconds since the epoch, UTC. A zone is required.
 * MM_EPARSE for anything else, including impossible dates and times. */
MM_MUST_CHECK mm_err mm__ingest_parse_time(const char *s, size_t len, int64_t *us);

/* ------------------------------------------------------------------------ */
/* JSON columns (ingest_json.c)                                              */
/* ------------------------------------------------------------------------ */

/* "an object", "an array", "a string", "a number", "a boolean" or "null". */
const char *mm__ingest_json_kind(const json_t *j);

/* A JSON array of strings (emojis, matched_criteria), from JSON text or a
 * JSONL value: the items are copied to `arena`. NULL, "" and JSON null give
 * no items with *has false. MM_EPARSE (why names `name` and, for bad JSON,
 * the line and column inside the field) for anything else. */
MM_MUST_CHECK mm_err mm__ingest_json_strings(const struct mm__ingest_value *v, int col,
                                             const char *name, struct mm_arena *arena,
                                             char ***items, size_t *n, bool *has,
                                             struct mm__ingest_problem *why);

/* gemini_analysis: *out NULL for NULL, "" and JSON null; for an object, the
 * analysis in `arena` (raw = compact JSON, mood when a string, the string
 * items of matched_criteria). MM_EPARSE for invalid JSON, a non-object, or
 * nesting deeper than 32 levels. */
MM_MUST_CHECK mm_err mm__ingest_json_analysis(const struct mm__ingest_value *v,
                                              struct mm_arena *arena, struct mm_analysis **out,
                                              struct mm__ingest_problem *why);

/* ------------------------------------------------------------------------ */
/* CSV reader (ingest_csv.c)                                                 */
/* ------------------------------------------------------------------------ */

/* Most columns a CSV file may have; fields past it are counted, not kept. */
#define MM__INGEST_CSV_MAX_COLUMNS 256

struct mm__ingest_csv;

struct mm__ingest_field {
    const char *data; /* NUL-terminated; NULL when the field is NULL or not kept */
    size_t len;
    bool null; /* unquoted empty field (a quoted "" is an empty string) */
};

struct mm__ingest_csv_record {
    uint64_t line;                         /* physical line (1-based) where the record starts */
    size_t n_fields;                       /* fields in the record, whatever the header says */
    const struct mm__ingest_field *fields; /* min(n_fields, MAX_COLUMNS) entries */
    size_t oversize_col; /* 1-based column of the first field over the cap, or 0 */
    bool unterminated;   /* the file ended inside a quoted field */
    const char *excerpt; /* its first raw bytes, without the line end (no NUL) */
    size_t excerpt_len;  /* at most MM__INGEST_EXCERPT */
};

/* Opens `path`, plain or gzip, for streaming (64 KiB reads). Fields longer than
 * `max_field_bytes` are never buffered beyond that size: the record comes
 * back with oversize_col set. MM_ENOTFOUND, MM_EIO; `err` says why.
 * Caller closes with mm__ingest_csv_close(). */
MM_MUST_CHECK mm_err mm__ingest_csv_open(const char *path, size_t max_field_bytes,
                                         struct mm__ingest_csv **out, char err[MM_ERRLEN]);
void mm__ingest_csv_close(struct mm__ingest_csv *r); /* accepts NULL */

/* Keeps only the fields of columns i < n with keep[i] (the others are
 * counted but not copied), which bounds a record's memory. By default every
 * column is kept (for the header). `keep` is copied. */
void mm__ingest_csv_keep(struct mm__ingest_csv *r, const bool *keep, size_t n);

/* The next record; its memory is valid until the next call. A leading UTF-8
 * BOM is skipped, CRLF and LF both end records, blank lines between records
 * are skipped. MM_ENOTFOUND at the end of the file; MM_EIO on a read error or
 * a damaged gzip stream (`err` says why and at which line). */
MM_MUST_CHECK mm_err mm__ingest_csv_next(struct mm__ingest_csv *r,
                                         struct mm__ingest_csv_record *out, char err[MM_ERRLEN]);

/* Bytes of the file (compressed, for gzip) consumed so far (for progress). */
uint64_t mm__ingest_csv_offset(const struct mm__ingest_csv *r);

/* ------------------------------------------------------------------------ */
/* rejects.csv (rejects.c)                                                   */
/* ------------------------------------------------------------------------ */

struct mm__ingest_rejects;

/* One row of rejects.csv; all strings borrowed. `column` is the 1-based CSV
 * column number or a JSON path; `excerpt` raw bytes (made valid UTF-8, cut at
 * MM__INGEST_EXCERPT bytes, newlines escaped when written). */
struct mm__ingest_reject {
    const char *source, *file;
    uint64_t line;
    const char *column, *field, *reason;
    const char *excerpt;
    size_t excerpt_len;
};

/* Opens `<reports>/<run_id>/rejects.csv`, creating the folders. Not
 * `resume`: the file is emptied and gets its header. `resume`: its content
 * is kept (the stage truncates it to what its checkpoints committed).
 * Caller closes with mm__ingest_rejects_close(). MM_EIO with a logged reason. */
MM_MUST_CHECK mm_err mm__ingest_rejects_open(const char *reports_dir, const char *run_id,
                                             bool resume, struct mm__ingest_rejects **out);
void mm__ingest_rejects_close(struct mm__ingest_rejects *r); /* accepts NULL */

/* Size of the header line: what an empty rejects.csv holds. */
uint64_t mm__ingest_rejects_header_size(void);

/* Cuts the file to `size` bytes (what a checkpoint committed) and appends
 * from there. A file shorter than `size` is left as it is, with a warning. */
MM_MUST_CHECK mm_err mm__ingest_rejects_truncate(struct mm__ingest_rejects *r, uint64_t size);

/* Appends a row (buffered; written out every 64 KiB). */
MM_MUST_CHECK mm_err mm__ingest_rejects_add(struct mm__ingest_rejects *r,
                                            const struct mm__ingest_reject *row);

/* Writes out what is buffered and fsyncs; *size = the file size after it. */
MM_MUST_CHECK mm_err mm__ingest_rejects_sync(struct mm__ingest_rejects *r, uint64_t *size);

/* ------------------------------------------------------------------------ */
/* The stage's state (ingest.c) and batches (ingest_batch.c)                 */
/* ------------------------------------------------------------------------ */

struct mm__ingest_counts {
    uint64_t read, accepted, updated, rejected, duplicates, below_watermark, normalised;
};

struct mm__ingest_batch;

/* The stage during one run. */
struct mm__ingest {
    struct mm_stage_ctx *ctx;
    struct mm__ingest_limits lim;
    struct mm__ingest_rejects *rejects;
    struct mm_store_reader *reader;
    struct mm__ingest_batch *batch;
    unsigned db_requests, db_songs, db_song_ids, db_meta, db_checkpoints;
    uint64_t skip_requests, skip_songs; /* ids at or below are skipped (0 with --full) */
    uint64_t wm_requests, wm_songs;     /* the committed watermarks */
    uint64_t rejects_committed;         /* rejects.csv size at the last commit */
    uint64_t commits;                   /* batches committed by this run */
    uint64_t unreleased;                /* bytes committed since the map's pages were dropped */
    struct mm_arena arena;              /* one input record; reset after each */
};

enum mm__ingest_kind { MM__INGEST_CSV_REQUESTS, MM__INGEST_CSV_SONGS, MM__INGEST_JSONL };

/* One input file being ingested. */
struct mm__ingest_file {
    struct mm__ingest *in;
    const char *source; /* source name (borrowed from the config) */
    const char *path;   /* borrowed from the config */
    enum mm__ingest_kind kind;
    char *label;      /* "<source>/<basename>": counts and checkpoint key */
    char *src_prefix; /* "<run_id>:<label>@<version>:", version = hash of the
                         file's size and mtime: provenance of its records */
    uint64_t size;
    int64_t mtime_ns;
    struct mm__ingest_counts c;
    uint64_t records_done;  /* input records consumed: CSV rows or JSONL lines */
    uint64_t batch_inputs;  /* input records in the current batch */
    unsigned logged;        /* rejects logged at warn level so far */
    struct mm_txn *txn;     /* read transaction of the current batch, or NULL */
    uint64_t known_request; /* a request id known to exist */
    int col[MM__SG_N];      /* CSV: 0-based column of each table column, or -1 */
    size_t song_index;      /* JSONL: index in songs[] of the song being handled */
    struct mm_buf unknown;  /* JSONL: distinct unknown keys seen, ", "-separated */
};

/* The `column` of a reject for table column `col` of the record being
 * handled: its 1-based CSV column number, or its JSON path ($.emojis,
 * $.songs[2].title). `song` selects the song table. */
void mm__ingest_where(const struct mm__ingest_file *f, bool song, int col, char out[96]);

/* Builds the checkpoint JSON text of `f` (caller frees with free()). */
char *mm__ingest_checkpoint_render(const struct mm__ingest_file *f, bool complete,
                                   const char *error, uint64_t rejects_bytes);

/* A batch closes after `batch_size` input records, `batch_size` queued
 * records or `max_bytes` of encoded data, whichever comes first; one input
 * record adds at most `max_records - batch_size` records and
 * `max_record_bytes` bytes past that. Caller frees with
 * mm__ingest_batch_free(). */
struct mm__ingest_batch *mm__ingest_batch_new(size_t batch_size, size_t max_records,
                                              size_t max_bytes, size_t max_record_bytes);
void mm__ingest_batch_free(struct mm__ingest_batch *b); /* accepts NULL */

/* Opens the batch's read transaction when none is open. */
MM_MUST_CHECK mm_err mm__ingest_batch_begin(struct mm__ingest_file *f);

/* True when the batch must be committed before the next input record. */
bool mm__ingest_batch_full(const struct mm__ingest_file *f);

/* Classifies a validated request or song against the state and the current
 * batch: new (queued, accepted), same content (duplicate), different content
 * (update, or a conflict rejected when it came from this very file), and for
 * songs a missing request or a song id owned by another request (rejected).
 * Sets the record's src. `normalised` counts toward `normalised` when the
 * record is accepted. Errors are store failures only. */
MM_MUST_CHECK mm_err mm__ingest_add_request(struct mm__ingest_file *f, struct mm_request *r,
                                            bool normalised, uint64_t line, const char *excerpt,
                                            size_t excerpt_len);
MM_MUST_CHECK mm_err mm__ingest_add_song(struct mm__ingest_file *f, struct mm_song *s,
                                         bool normalised, uint64_t line, const char *excerpt,
                                         size_t excerpt_len);

/* Commits the batch: rejects written out and fsynced first, then ONE write
 * transaction with the records, the watermarks and the checkpoint of `f`
 * (marked `complete`, with `error` when the file failed as a whole). */
MM_MUST_CHECK mm_err mm__ingest_batch_commit(struct mm__ingest_file *f, bool complete,
                                             const char *error);

/* Writes one rejects.csv row for `f`, counts it, and logs the first
 * MM__INGEST_LOGGED_REJECTS of the file at warn level. */
MM_MUST_CHECK mm_err mm__ingest_reject(struct mm__ingest_file *f, uint64_t line, const char *column,
                                       const char *field, const char *reason, const char *excerpt,
                                       size_t excerpt_len);

/* ------------------------------------------------------------------------ */
/* JSONL files (ingest_jsonl.c)                                              */
/* ------------------------------------------------------------------------ */

struct mm__ingest_jsonl;

struct mm__ingest_line {
    const char *data; /* the line without its newline, NUL-terminated */
    size_t len;       /* for a too-long line: the bytes kept (its excerpt) */
    uint64_t line;    /* 1-based line number */
    bool too_long;    /* longer than max_line_bytes: only its first bytes are kept */
};

/* Opens a JSONL file, plain or gzip (detected from its content). Lines
 * longer than `max_line_bytes` are never buffered beyond that size.
 * MM_ENOTFOUND, MM_EIO; `err` says why. Caller closes. */
MM_MUST_CHECK mm_err mm__ingest_jsonl_open(const char *path, size_t max_line_bytes,
                                           struct mm__ingest_jsonl **out, char err[MM_ERRLEN]);
void mm__ingest_jsonl_close(struct mm__ingest_jsonl *r); /* accepts NULL */

/* The next non-blank line, valid until the next call. MM_ENOTFOUND at the
 * end; MM_EIO on a read error or a damaged/truncated gzip stream (`err`
 * says which, after the lines read before it were returned). */
MM_MUST_CHECK mm_err mm__ingest_jsonl_next(struct mm__ingest_jsonl *r, struct mm__ingest_line *out,
                                           char err[MM_ERRLEN]);

/* Compressed bytes consumed so far (for progress). */
uint64_t mm__ingest_jsonl_offset(const struct mm__ingest_jsonl *r);

/* Handles one JSONL line of `f`: the request and its songs are counted,
 * validated, classified and queued, or rejected with JSON paths; unknown
 * keys are collected in f->unknown. Errors are store or rejects failures. */
MM_MUST_CHECK mm_err mm__ingest_jsonl_record(struct mm__ingest_file *f,
                                             const struct mm__ingest_line *line);

#endif
