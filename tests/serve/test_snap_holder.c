/* Tests of serve/snap_holder.c: starting without a snapshot, switching to
 * new ones, refusing corrupt ones (and not retrying them until `current`
 * changes), reclamation once every view has left a snapshot, and the
 * watcher thread with its notification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <time.h>

#include "common/log.h"
#include "serve/snap_holder.h"
#include "snap_fixture.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = mm_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/mm-snap-holder-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    mm_log_set_level(MM_LOG_ERROR);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_rmtree(f->dir);
    free(f);
    return 0;
}

static struct mm_snap_holder_stats stats_of(struct mm_snap_holder *h)
{
    struct mm_snap_holder_stats st;
    mm_snap_holder_stats(h, &st);
    return st;
}

/* Looks request `id` up through the view: MM_OK with its JSON in `json`. */
static mm_err lookup(struct mm_snap_view *v, uint64_t id, struct mm_buf *json)
{
    struct mm_txn *txn;
    unsigned char key[8];
    const void *val;
    size_t len;
    mm_err e = mm_snap_view_begin(v, &txn);
    if (e)
        return e;
    mm_store_u64_key(id, key);
    e = mm_store_get(txn, v->snap->db_requests, key, sizeof(key), &val, &len);
    mm_buf_reset(json);
    if (!e)
        e = mm_codec_render_json(val, len, json);
    mm_snap_view_end(v);
    return e;
}

static void corrupt_data(const char *dir, const char *id)
{
    char *path = mm_xasprintf("%s/%s/%s", dir, id, MM_SNAPSHOT_DATA);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 100, SEEK_SET), 0);
    int c = fgetc(fp);
    assert_int_equal(fseek(fp, 100, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0xff, fp), c ^ 0xff);
    assert_int_equal(fclose(fp), 0);
    free(path);
}

static void test_starts_empty_then_loads(void **state)
{
    struct fixture *f = *state;
    struct mm_snap_holder *h;
    struct mm_snap_view v;
    struct mm_txn *txn;
    char err[MM_ERRLEN];
    struct mm_buf json;
    mm_buf_init(&json, 1 << 20);
    mm_snap_holder_open(f->dir, 1, &h);
    assert_int_equal(mm_snap_holder_poll(h, err), MM_ENOTFOUND);
    assert_null(mm_snap_holder_active_id(h));
    mm_snap_view_init(&v, h);
    assert_null(v.snap->id);
    assert_null(v.snap->summary_body);
    assert_string_equal(v.snap->healthz_body,
                        "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":null}");
    assert_int_equal(mm_snap_view_begin(&v, &txn), MM_ENOSNAPSHOT);

    static const uint64_t ids[] = {1, 2};
    fx_snapshot(f->dir, "s1", ids, 2);
    fx_point_current(f->dir, "s1");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    assert_string_equal(mm_snap_holder_active_id(h), "s1");
    assert_null(v.snap->id); /* the view moves only at its quiescent point */
    mm_snap_view_refresh(&v);
    assert_string_equal(v.snap->id, "s1");
    assert_string_equal(v.snap->healthz_body,
                        "{\"success\":true,\"status\":\"ok\",\"snapshot_id\":\"s1\"}");
    assert_int_equal(v.snap->healthz_len, strlen(v.snap->healthz_body));
    assert_non_null(
        strstr(v.snap->summary_body, "{\"success\":true,\"snapshot\":{\"schema_version\":1,"));
    assert_non_null(strstr(v.snap->summary_body, "\"counts\":{\"requests\":2,\"songs\":2}"));
    assert_null(strstr(v.snap->summary_body, "\"files\""));
    assert_non_null(strstr(v.snap->summary_body, "\"id\":\"s1\""));
    assert_int_equal(lookup(&v, 2, &json), MM_OK);
    assert_non_null(strstr(json.data, "\"request_id\":2"));
    assert_non_null(strstr(json.data, "\"text_description\":\"request number 2\""));
    assert_null(strstr(json.data, "\"v\":"));
    assert_int_equal(lookup(&v, 3, &json), MM_ENOTFOUND);
    assert_int_equal(stats_of(h).loaded, 1);
    mm_snap_view_cleanup(&v);
    mm_snap_holder_close(h);
    mm_buf_cleanup(&json);
}

static void test_swap_refuse_and_reclaim(void **state)
{
    struct fixture *f = *state;
    struct mm_snap_holder *h;
    struct mm_snap_view a, b;
    struct mm_txn *txn;
    char err[MM_ERRLEN];
    struct mm_buf json;
    mm_buf_init(&json, 1 << 20);
    static const uint64_t ids1[] = {1}, ids2[] = {2, 3}, ids3[] = {4};
    fx_snapshot(f->dir, "s1", ids1, 1);
    fx_point_current(f->dir, "s1");
    mm_snap_holder_open(f->dir, 2, &h);
    mm_snap_view_init(&a, h);
    mm_snap_view_init(&b, h);
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    mm_snap_view_refresh(&a);
    mm_snap_view_refresh(&b);
    assert_string_equal(a.snap->id, "s1");

    /* a read in flight on s1 while s2 is published */
    assert_int_equal(mm_snap_view_begin(&a, &txn), MM_OK);
    fx_snapshot(f->dir, "s2", ids2, 2);
    fx_point_current(f->dir, "s2");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    assert_string_equal(mm_snap_holder_active_id(h), "s2");
    unsigned char key[8];
    const void *val;
    size_t len;
    mm_store_u64_key(1, key);
    assert_int_equal(mm_store_get(txn, a.snap->db_requests, key, sizeof(key), &val, &len), MM_OK);
    mm_snap_view_end(&a);

    /* s1 is closed only when the last view has left it */
    assert_int_equal(stats_of(h).closed, 0);
    mm_snap_view_refresh(&a);
    assert_string_equal(a.snap->id, "s2");
    assert_int_equal(stats_of(h).closed, 0);
    mm_snap_view_refresh(&b);
    assert_int_equal(stats_of(h).closed, 1);
    assert_int_equal(lookup(&b, 3, &json), MM_OK);
    assert_int_equal(lookup(&b, 1, &json), MM_ENOTFOUND);

    /* a corrupt snapshot is refused, s2 stays, and the id is not retried */
    fx_snapshot(f->dir, "s3", ids3, 1);
    corrupt_data(f->dir, "s3");
    fx_point_current(f->dir, "s3");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_ECORRUPT);
    assert_non_null(strstr(err, MM_SNAPSHOT_DATA));
    assert_string_equal(mm_snap_holder_active_id(h), "s2");
    assert_int_equal(stats_of(h).refused, 1);
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    assert_int_equal(stats_of(h).refused, 1);
    mm_snap_view_refresh(&a);
    assert_string_equal(a.snap->id, "s2");
    assert_int_equal(lookup(&a, 2, &json), MM_OK);

    /* `current` changing again makes it eligible again */
    fx_point_current(f->dir, "s2");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    fx_point_current(f->dir, "s3");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_ECORRUPT);
    assert_int_equal(stats_of(h).refused, 2);

    /* a link to a missing snapshot is refused too; `current` vanishing keeps s2 */
    fx_point_current(f->dir, "missing");
    assert_int_not_equal(mm_snap_holder_poll(h, err), MM_OK);
    assert_int_equal(stats_of(h).refused, 3);
    char *cur = mm_xasprintf("%s/%s", f->dir, MM_SNAPSHOT_CURRENT);
    assert_int_equal(unlink(cur), 0);
    free(cur);
    assert_int_equal(mm_snap_holder_poll(h, err), MM_ENOTFOUND);
    assert_string_equal(mm_snap_holder_active_id(h), "s2");
    assert_int_equal(stats_of(h).loaded, 2);

    mm_snap_view_cleanup(&a);
    mm_snap_view_cleanup(&b);
    assert_int_equal(stats_of(h).closed, 1);
    mm_snap_holder_close(h);
    mm_buf_cleanup(&json);
}

/* Views never initialised must not keep snapshots alive past close (ASan
 * reports the leak otherwise), and hold back those they have not left. */
static void test_unused_view_slots(void **state)
{
    struct fixture *f = *state;
    struct mm_snap_holder *h;
    struct mm_snap_view v;
    char err[MM_ERRLEN];
    static const uint64_t ids[] = {1};
    mm_snap_holder_open(f->dir, 3, &h);
    mm_snap_view_init(&v, h);
    fx_snapshot(f->dir, "s1", ids, 1);
    fx_point_current(f->dir, "s1");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    fx_snapshot(f->dir, "s2", ids, 1);
    fx_point_current(f->dir, "s2");
    assert_int_equal(mm_snap_holder_poll(h, err), MM_OK);
    mm_snap_view_refresh(&v);
    assert_string_equal(v.snap->id, "s2");
    assert_int_equal(stats_of(h).closed, 0); /* two slots have not left s1 */
    mm_snap_view_cleanup(&v);
    mm_snap_holder_close(h);
}

static atomic_int notified;

/* Runs on the watcher thread, where cmocka assertions must not be used. */
static void on_switch(void *ctx)
{
    atomic_fetch_add((atomic_int *)ctx, 1);
}

static void test_watcher(void **state)
{
    struct fixture *f = *state;
    struct mm_snap_holder *h;
    struct mm_snap_view v;
    static const uint64_t ids[] = {5};
    mm_snap_holder_open(f->dir, 1, &h);
    mm_snap_view_init(&v, h);
    atomic_store(&notified, 0);
    assert_int_equal(mm_snap_holder_start(h, 20, on_switch, &notified), MM_OK);
    fx_snapshot(f->dir, "w1", ids, 1);
    fx_point_current(f->dir, "w1");
    struct timespec pause = {0, 10 * 1000000L};
    for (int i = 0; i < 300 && stats_of(h).loaded == 0; i++)
        nanosleep(&pause, NULL);
    assert_int_equal(stats_of(h).loaded, 1);
    for (int i = 0; i < 300 && atomic_load(&notified) == 0; i++)
        nanosleep(&pause, NULL);
    assert_int_equal(atomic_load(&notified), 1);
    mm_snap_view_refresh(&v);
    assert_string_equal(v.snap->id, "w1");
    mm_snap_holder_stop(h);
    mm_snap_holder_stop(h);
    mm_snap_view_cleanup(&v);
    mm_snap_holder_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_starts_empty_then_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap_refuse_and_reclaim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_view_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watcher, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
