/*
 * lookup_inprocess.c — times the track lookup path of moodmusic-serve in
 * process (tools/bench/README.md, "Track lookup in process").
 *
 * For every name of a snapshot's `track_names` db, the name is split back
 * into its artist and title keys and looked up exactly as
 * GET /v1/tracks/lookup does it (mm_handlers_tracks_lookup: normalise,
 * `track_names` get, `tracks` get, render into a reused buffer). The same run
 * times the floor beside it: mm_store_get of the same name (mdb_get plus the
 * translation of its return code). Both are measured name by name,
 * interleaved, in one read transaction; a third line adds the per-request
 * renew/reset of the server's reusable reader. Prints median and p99 in ns.
 *
 * Usage: bench_lookup [--rounds N] [--target-ns N] PATH
 *        bench_lookup [--rounds N] [--target-ns N] --synthetic N DIR
 * PATH is a snapshot's data.mdb, a snapshot directory, or a snapshots
 * directory (its `current`). --synthetic writes DIR/data.mdb with N made-up
 * tracks and their names first (the shape of real track records).
 * Exit status: 0 median within the target, 1 over it, 2 usage or set-up error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/match.h"
#include "common/mem.h"
#include "common/snapshot.h"
#include "common/store.h"
#include "common/track.h"
#include "serve/handlers_tracks.h"

#define SAMPLES_MIN 200000 /* rounds are added until this many lookups are timed */
#define NAMES_MAX 10000000
#define TARGET_NS 2000

struct name {
    char *artist, *title; /* the keys the name is made of */
    char *key;
    size_t klen;
};

struct bench {
    struct mm_store *store;
    unsigned db_names, db_tracks;
    struct name *names;
    size_t n;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, long long *ns, size_t n, long long *median)
{
    qsort(ns, n, sizeof(*ns), cmp_ll);
    *median = ns[n / 2];
    printf("%-48s median %6lld ns   p99 %7lld ns\n", what, ns[n / 2], ns[n * 99 / 100]);
}

/* ------------------------------------------------------------- synthetic */

static mm_err put_synthetic(struct mm_txn *txn, void *ctx)
{
    const struct bench *b = ctx;
    static const char *const decor[] = {"", " - Remastered 2011", " (feat. Guest Singer)",
                                        " - Radio Edit"};
    char key[48], title[96], artist[64], album[64], url[128], id[32];
    struct mm_buf rec, name;
    mm_err rc = MM_OK;
    mm_buf_init(&rec, 1 << 16);
    mm_buf_init(&name, 4096);
    for (size_t i = 0; !rc && i < b->n; i++) {
        char *artists[] = {artist};
        char *tags[] = {"indie", "chill", "dream pop"};
        snprintf(id, sizeof(id), "%022zu", i * 7919);
        snprintf(key, sizeof(key), "spotify:%s", id);
        snprintf(title, sizeof(title), "Song Number %zu%s", i, decor[i % 4]);
        snprintf(artist, sizeof(artist), "The Artist %zu", i % 5000);
        snprintf(album, sizeof(album), "Album %zu", i / 12);
        snprintf(url, sizeof(url), "https://open.spotify.com/track/%s", id);
        struct mm_track t = {.key = key,
                             .title = title,
                             .artists = artists,
                             .n_artists = 1,
                             .album = album,
                             .release_year = 1990 + (int64_t)(i % 35),
                             .duration_ms = 180000 + (int64_t)(i % 60000),
                             .popularity = i % 101,
                             .listeners = MM_NULL_INT,
                             .tags = tags,
                             .n_tags = 3,
                             .source = MM_SOURCE_SPOTIFY,
                             .score = 97.5,
                             .fetched_at_us = 1763647392000000};
        t.ids[MM_SOURCE_SPOTIFY] = id;
        t.urls[MM_SOURCE_SPOTIFY] = url;
        t.artwork_url = url;
        t.preview_url = url;
        t.features = (struct mm_features){.present = true, .source = "spotify"};
        double f = (double)(i % 1000) / 1000;
#define X(feature) t.features.feature = f, t.features.has_##feature = true;
        MM_FEATURE_NAMES
#undef X
        t.features.tempo = 60 + (double)(i % 12000) / 100;
        t.features.loudness = -(double)(i % 3000) / 100;
        mm_buf_reset(&rec);
        mm_buf_reset(&name);
        rc = mm_track_encode(&t, &rec);
        if (!rc)
            rc = mm_store_put(txn, b->db_tracks, key, strlen(key), rec.data, rec.len);
        if (!rc)
            rc = mm_match_artist_key(artist, &name);
        if (!rc)
            rc = mm_buf_appendc(&name, '\x1f');
        if (!rc)
            rc = mm_match_title_key(title, &name);
        if (!rc)
            rc = mm_store_put(txn, b->db_names, name.data, name.len, key, strlen(key));
    }
    mm_buf_cleanup(&rec);
    mm_buf_cleanup(&name);
    return rc;
}

/* Writes <dir>/data.mdb with n tracks; returns its path (caller frees) or NULL. */
static char *make_synthetic(const char *dir, size_t n)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .map_size = (64u << 20) + (uint64_t)n * 2048,
                                   .max_map_size = 64ull << 30,
                                   .dbs = dbs};
    char *path = mm_xasprintf("%s/%s", dir, MM_SNAPSHOT_DATA);
    struct bench b = {.n = n};
    mm_err rc = mm_store_open(path, &opt, &b.store);
    if (!rc) {
        b.db_names = mm_store_db(b.store, "track_names");
        b.db_tracks = mm_store_db(b.store, "tracks");
        rc = mm_store_write(b.store, put_synthetic, &b);
        mm_store_close(b.store);
    }
    if (rc) {
        fprintf(stderr, "bench_lookup: writing %s: %s\n", path, mm_strerror(rc));
        free(path);
        return NULL;
    }
    return path;
}

/* ----------------------------------------------------------------- input */

/* The data.mdb that `path` names (a file, a snapshot dir, or a snapshots dir). */
static char *data_path(const char *path)
{
    struct stat st;
    char *p = mm_xasprintf("%s/%s/%s", path, MM_SNAPSHOT_CURRENT, MM_SNAPSHOT_DATA);
    if (stat(p, &st) == 0)
        return p;
    free(p);
    p = mm_xasprintf("%s/%s", path, MM_SNAPSHOT_DATA);
    if (stat(p, &st) == 0)
        return p;
    free(p);
    return mm_xstrdup(path);
}

/* Reads every name of `track_names` into b->names. */
static mm_err load_names(struct bench *b)
{
    struct mm_txn *txn;
    struct mm_cursor *cur;
    const void *k, *v;
    size_t kl, vl, alloc = 0;
    mm_err rc = mm_store_read_begin(b->store, &txn);
    if (rc)
        return rc;
    if ((rc = mm_store_cursor_open(txn, b->db_names, &cur)) != MM_OK)
        goto out_end;
    rc = mm_store_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    while (!rc && b->n < NAMES_MAX) {
        const char *sep = memchr(k, '\x1f', kl);
        if (sep) {
            if (b->n == alloc) {
                alloc = alloc ? alloc * 2 : 1024;
                b->names = mm_xrealloc(b->names, alloc * sizeof(*b->names));
            }
            struct name *nm = &b->names[b->n++];
            nm->key = mm_xstrndup(k, kl);
            nm->klen = kl;
            nm->artist = mm_xstrndup(k, (size_t)(sep - (const char *)k));
            nm->title = mm_xstrdup(nm->key + (sep - (const char *)k) + 1);
        }
        rc = mm_store_cursor_next(cur, &k, &kl, &v, &vl);
    }
    mm_store_cursor_close(cur);
out_end:
    mm_store_read_end(txn);
    return rc == MM_ENOTFOUND ? MM_OK : rc;
}

/* ----------------------------------------------------------------- timing */

/* Times every name `rounds` times; returns the exit status. */
static int run(struct bench *b, size_t rounds, long long target)
{
    struct mm_store_reader *reader;
    struct mm_txn *txn;
    struct mm_buf out;
    char err[MM_ERRLEN];
    const void *v;
    size_t vl, total = b->n * rounds, found = 0, i = 0;
    long long median, floor_median, renew_median;
    long long *t_lookup = mm_xmalloc(total * sizeof(long long));
    long long *t_floor = mm_xmalloc(total * sizeof(long long));
    long long *t_renew = mm_xmalloc(total * sizeof(long long));
    int status = 2;
    mm_buf_init(&out, 8u << 20);
    if (mm_store_reader_open(b->store, &reader) != MM_OK)
        goto out_free;
    if (mm_store_reader_begin(reader, &txn) != MM_OK)
        goto out_close_reader;
    for (size_t r = 0; r < rounds; r++) {
        for (size_t j = 0; j < b->n; j++, i++) {
            const struct name *nm = &b->names[j];
            long long t0 = now_ns();
            mm_err rc = mm_handlers_tracks_lookup(txn, b->db_names, b->db_tracks, nm->artist,
                                                  nm->title, &out, err);
            long long t1 = now_ns();
            mm_err frc = mm_store_get(txn, b->db_names, nm->key, nm->klen, &v, &vl);
            long long t2 = now_ns();
            if (frc != MM_OK) {
                fprintf(stderr, "bench_lookup: get of a listed name: %s\n", mm_strerror(frc));
                goto out_end_read;
            }
            t_lookup[i] = t1 - t0;
            t_floor[i] = t2 - t1;
            found += r == 0 && rc == MM_OK;
        }
    }
    mm_store_reader_end(reader);
    for (i = 0; i < total; i++) {
        const struct name *nm = &b->names[i % b->n];
        long long t0 = now_ns();
        mm_err rc = mm_store_reader_begin(reader, &txn);
        if (!rc)
            rc = mm_handlers_tracks_lookup(txn, b->db_names, b->db_tracks, nm->artist, nm->title,
                                           &out, err);
        mm_store_reader_end(reader);
        t_renew[i] = now_ns() - t0;
    }
    printf("%zu names (%zu found again from their keys), %zu rounds, %zu lookups of each kind\n",
           b->n, found, rounds, total);
    report("lookup: normalise + 2 gets + render", t_lookup, total, &median);
    report("floor: mm_store_get of the same name", t_floor, total, &floor_median);
    report("lookup with reader renew/reset (as served)", t_renew, total, &renew_median);
    printf("lookup / floor: %.1fx; target: lookup median <= %lld ns: %s\n",
           (double)median / (double)(floor_median ? floor_median : 1), target,
           median <= target ? "PASS" : "FAIL");
    status = median <= target ? 0 : 1;
    goto out_close_reader;
out_end_read:
    mm_store_reader_end(reader);
out_close_reader:
    mm_store_reader_close(reader);
out_free:
    free(t_lookup);
    free(t_floor);
    free(t_renew);
    mm_buf_cleanup(&out);
    return status;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_lookup [--rounds N] [--target-ns N] PATH\n"
                    "       bench_lookup [--rounds N] [--target-ns N] --synthetic N DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const char *const dbs[] = MM_SNAPSHOT_DBS;
    struct mm_store_options opt = {.flags = MM_STORE_READONLY | MM_STORE_NOSUBDIR | MM_STORE_NOLOCK,
                                   .dbs = dbs};
    struct bench b = {0};
    size_t rounds = 0, synthetic = 0;
    long long target = TARGET_NS;
    int a = 1, status = 2;
    for (; a + 1 < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
        char *end;
        unsigned long long v = strtoull(argv[a + 1], &end, 10);
        if (*end || v == 0)
            return usage();
        if (strcmp(argv[a], "--rounds") == 0)
            rounds = (size_t)v;
        else if (strcmp(argv[a], "--target-ns") == 0)
            target = (long long)v;
        else if (strcmp(argv[a], "--synthetic") == 0)
            synthetic = (size_t)v;
        else
            return usage();
    }
    if (a + 1 != argc)
        return usage();
    char *path = synthetic ? make_synthetic(argv[a], synthetic) : data_path(argv[a]);
    if (!path)
        return 2;
    mm_err rc = mm_store_open(path, &opt, &b.store);
    if (rc) {
        fprintf(stderr, "bench_lookup: cannot open %s: %s\n", path, mm_strerror(rc));
        goto out_free_path;
    }
    b.db_names = mm_store_db(b.store, "track_names");
    b.db_tracks = mm_store_db(b.store, "tracks");
    if ((rc = load_names(&b)) != MM_OK || b.n == 0) {
        fprintf(stderr, "bench_lookup: %s: %s\n", path,
                rc ? mm_strerror(rc) : "no track names in the snapshot");
        goto out_close;
    }
    if (!rounds)
        rounds = (SAMPLES_MIN + b.n - 1) / b.n;
    printf("bench_lookup: %s\n", path);
    status = run(&b, rounds, target);
out_close:
    for (size_t i = 0; i < b.n; i++) {
        free(b.names[i].key);
        free(b.names[i].artist);
        free(b.names[i].title);
    }
    free(b.names);
    mm_store_close(b.store);
out_free_path:
    free(path);
    return status;
}
