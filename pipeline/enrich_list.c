/*
 * enrich_list.c — the listing of retryable mentions: every mention whose
 * status is retryable at the end of the run is a row of
 * <paths.reports>/<run_id>/enrich_retryable.csv (RFC 4180), and the first
 * MM__ENRICH_LIST_LOGGED are also logged with their reasons.
 *
 * The file is written as enrich_retryable.csv.tmp and renamed when the stage
 * completes, so the report of a run is either whole or absent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "pipeline/enrich_int.h"

#define FILE_NAME "enrich_retryable.csv"
#define HEADER "mention,title,artist,reasons\n"
#define REASONS_MAX (16u << 10)

struct mm__enrich_list {
    FILE *f;
    char *path, *tmp;
    uint64_t n;
    struct mm_buf reasons;
};

mm_err mm__enrich_list_open(const char *reports_dir, const char *run_id,
                            struct mm__enrich_list **out)
{
    char why[MM_ERRLEN];
    char *dir = mm_xasprintf("%s/%s", reports_dir, run_id);
    struct mm__enrich_list *l = mm_xcalloc(1, sizeof(*l));
    l->path = mm_xasprintf("%s/%s", dir, FILE_NAME);
    l->tmp = mm_xasprintf("%s.tmp", l->path);
    mm_buf_init(&l->reasons, REASONS_MAX);
    mm_err err = mm_fs_mkdir_p(dir, 0, why);
    if (err) {
        mm_log_error("enrich: %s", why);
        goto out_free;
    }
    l->f = fopen(l->tmp, "we");
    if (!l->f || fputs(HEADER, l->f) == EOF) {
        err = mm_err_from_errno(errno);
        mm_log_error("enrich: cannot write %s: %s", l->tmp, strerror(errno));
        goto out_free;
    }
    *out = l;
    goto out_free_dir;
out_free:
    if (l->f)
        fclose(l->f);
    mm_buf_cleanup(&l->reasons);
    free(l->tmp);
    free(l->path);
    free(l);
out_free_dir:
    free(dir);
    return err;
}

/* One CSV field, quoted when it holds a comma, a quote or a line break. */
static void put_field(FILE *f, const char *s, size_t len, bool last)
{
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (quote)
        fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i] == '\x1f' ? '|' : s[i], f);
    }
    if (quote)
        fputc('"', f);
    fputc(last ? '\n' : ',', f);
}

/* "spotify not_found: ...; musicbrainz retryable: ..." into l->reasons. */
static void render_reasons(struct mm__enrich_list *l, const struct mm_mention_record *m)
{
    mm_buf_reset(&l->reasons);
    for (int s = 0; s < MM_SOURCE__COUNT; s++) {
        const struct mm_mention_outcome *o = &m->providers[s];
        if (o->outcome == MM_OUTCOME_NONE)
            continue;
        /* Past the cap the providers listed so far are kept. */
        if (mm_buf_printf(&l->reasons, "%s%s %s%s%s", l->reasons.len ? "; " : "",
                          mm_source_name((enum mm_source)s), mm_outcome_name(o->outcome),
                          o->reason ? ": " : "", o->reason ? o->reason : "") != MM_OK)
            break;
    }
}

mm_err mm__enrich_list_add(struct mm__enrich_list *l, const char *key, size_t key_len,
                           const struct mm_mention_record *m)
{
    render_reasons(l, m);
    const char *reasons = l->reasons.data ? l->reasons.data : "";
    put_field(l->f, key, key_len, false);
    put_field(l->f, m->title, strlen(m->title), false);
    put_field(l->f, m->artist ? m->artist : "", m->artist ? strlen(m->artist) : 0, false);
    put_field(l->f, reasons, strlen(reasons), true);
    if (l->n++ < MM__ENRICH_LIST_LOGGED)
        mm_log_fields(MM_LOG_WARN,
                      json_pack("{s:s, s:s?, s:s}", "title", m->title, "artist", m->artist,
                                "reasons", reasons),
                      "enrich: retryable mention \"%s\" by \"%s\": %s", m->title,
                      m->artist ? m->artist : "", reasons);
    if (ferror(l->f)) {
        mm_log_error("enrich: cannot write %s: %s", l->tmp, strerror(errno));
        return MM_EIO;
    }
    return MM_OK;
}

uint64_t mm__enrich_list_count(const struct mm__enrich_list *l)
{
    return l ? l->n : 0;
}

mm_err mm__enrich_list_close(struct mm__enrich_list *l, bool keep)
{
    mm_err err = MM_OK;
    if (!l)
        return MM_OK;
    bool failed = ferror(l->f) != 0;
    failed = fclose(l->f) != 0 || failed;
    if (keep && !failed && rename(l->tmp, l->path) != 0)
        failed = true;
    if (keep && failed) {
        err = MM_EIO;
        mm_log_error("enrich: cannot complete %s: %s", l->path, strerror(errno));
    }
    if (!keep || failed)
        unlink(l->tmp);
    else if (l->n)
        mm_log_warn("enrich: %llu retryable mentions are listed in %s", (unsigned long long)l->n,
                    l->path);
    mm_buf_cleanup(&l->reasons);
    free(l->tmp);
    free(l->path);
    free(l);
    return err;
}
