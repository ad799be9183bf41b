/* Tests of pipeline/snapshot_cmd.c: list, verify, rollback and gc on
 * snapshots made by the publish stage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipeline/snapshot_cmd.h"
#include "pipeline/snapshot_write.h"
#include "publish_fixture.h"

/* Output of one command, captured. */
struct capture {
    char *text;
    size_t len;
    FILE *fp;
};

static FILE *capture_begin(struct capture *c)
{
    free(c->text);
    c->text = NULL;
    c->fp = open_memstream(&c->text, &c->len);
    assert_non_null(c->fp);
    return c->fp;
}

static const char *capture_end(struct capture *c)
{
    assert_int_equal(fclose(c->fp), 0);
    return c->text;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("output \"%s\" does not contain \"%s\"", text, needle);
}

/* The line of `text` that contains `id`, copied into line. */
static void line_of(const char *text, const char *id, char *line, size_t cap)
{
    const char *p = strstr(text, id);
    assert_non_null(p);
    while (p > text && p[-1] != '\n')
        p--;
    size_t n = strcspn(p, "\n");
    assert_true(n < cap);
    memcpy(line, p, n);
    line[n] = '\0';
}

static void publish_into(struct pub_fixture *f, char id[MM_SNAPSHOT_ID_MAX + 1])
{
    assert_int_equal(fixture_publish(f, "r1"), MM_OK);
    snprintf(id, MM_SNAPSHOT_ID_MAX + 1, "%s", fixture_current(f));
}

static void damage(const struct pub_fixture *f, const char *id)
{
    char *path = mm_xasprintf("%s/%s/%s", f->cfg->paths.snapshots, id, MM_SNAPSHOT_DATA);
    assert_int_equal(truncate(path, 100), 0);
    free(path);
}

static void test_list(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct capture c = {0};
    char ids[3][MM_SNAPSHOT_ID_MAX + 1], line[512];
    assert_int_equal(mm_snapshot_cmd_list(f->cfg, capture_begin(&c)), MM_OK);
    assert_contains(capture_end(&c), "no snapshots in");
    for (int i = 0; i < 3; i++)
        publish_into(f, ids[i]);
    char *broken = mm_xasprintf("%s/%s/manifest.json", f->cfg->paths.snapshots, ids[0]);
    FILE *fp = fopen(broken, "w");
    assert_non_null(fp);
    fputs("{", fp);
    fclose(fp);
    assert_int_equal(mm_snapshot_cmd_list(f->cfg, capture_begin(&c)), MM_OK);
    const char *out = capture_end(&c);
    assert_contains(out, "REQUESTS");
    line_of(out, ids[0], line, sizeof(line));
    assert_contains(line, "unreadable manifest");
    line_of(out, ids[1], line, sizeof(line));
    assert_true(strncmp(line, "prev ", 5) == 0);
    assert_contains(line, " r1 ");
    assert_contains(line, " KiB");
    line_of(out, ids[2], line, sizeof(line));
    assert_true(strncmp(line, "*    ", 5) == 0);
    assert_true(strstr(out, ids[1]) < strstr(out, ids[2]));
    free(broken);
    free(c.text);
    fixture_free(f);
}

static void test_verify(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct capture c = {0};
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1];
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, NULL, capture_begin(&c)), MM_ENOTFOUND);
    assert_contains(capture_end(&c), "no current snapshot");
    publish_into(f, first);
    publish_into(f, second);
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, NULL, capture_begin(&c)), MM_OK);
    char *want = mm_xasprintf("OK %s\n", second);
    assert_string_equal(capture_end(&c), want);
    free(want);
    damage(f, first);
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, first, capture_begin(&c)), MM_ECORRUPT);
    assert_contains(capture_end(&c), "FAILED");
    assert_contains(c.text, "expected");
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, "20000101T000000Z-r1", capture_begin(&c)),
                     MM_ENOTFOUND);
    capture_end(&c);
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, "../x", capture_begin(&c)), MM_EINVAL);
    assert_contains(capture_end(&c), "invalid snapshot id");
    free(c.text);
    fixture_free(f);
}

static void test_rollback_to_predecessor(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct capture c = {0};
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN] = "";
    publish_into(f, first);
    publish_into(f, second);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, first, capture_begin(&c)), MM_OK);
    char *want = mm_xasprintf("current: %s -> %s\n", second, first);
    assert_string_equal(capture_end(&c), want);
    assert_string_equal(fixture_current(f), first);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, second, err), MM_OK);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, first, capture_begin(&c)), MM_OK);
    assert_contains(capture_end(&c), "already current");
    char *link_tmp = mm_xasprintf("%s/current.tmp-%ld", f->cfg->paths.snapshots, (long)getpid());
    assert_int_equal(access(link_tmp, F_OK), -1);
    free(link_tmp);
    free(want);
    free(c.text);
    fixture_free(f);
}

static void test_rollback_refused(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct capture c = {0};
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1];
    publish_into(f, first);
    publish_into(f, second);
    damage(f, first);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, first, capture_begin(&c)), MM_ECORRUPT);
    assert_contains(capture_end(&c), "rollback refused");
    assert_contains(c.text, first);
    assert_string_equal(fixture_current(f), second);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, "20000101T000000Z-r1", capture_begin(&c)),
                     MM_ENOTFOUND);
    capture_end(&c);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, "../x", capture_begin(&c)), MM_EINVAL);
    capture_end(&c);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, "current", capture_begin(&c)), MM_EINVAL);
    capture_end(&c);
    assert_string_equal(fixture_current(f), second);
    free(c.text);
    fixture_free(f);
}

/* A publish after a rollback records the rolled-back-to snapshot as its
 * predecessor, and retention protects it. */
static void test_publish_after_rollback(void **state)
{
    (void)state;
    const char *sets[] = {"publish.keep=1"};
    struct pub_fixture *f = fixture_new(sets, 1);
    struct capture c = {0};
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1],
        third[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN];
    json_t *m = NULL;
    publish_into(f, first);
    publish_into(f, second);
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, first, capture_begin(&c)), MM_OK);
    capture_end(&c);
    publish_into(f, third);
    assert_int_equal(mm_snapshot_manifest_load(f->cfg->paths.snapshots, third, &m, err), MM_OK);
    assert_string_equal(json_string_value(json_object_get(m, "previous_id")), first);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, first, err), MM_OK);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, second, err), MM_ENOTFOUND);
    json_decref(m);
    free(c.text);
    fixture_free(f);
}

static void test_gc(void **state)
{
    (void)state;
    const char *keep3[] = {"publish.keep=3"}, *keep1[] = {"publish.keep=1"};
    struct pub_fixture *f = fixture_new(keep3, 1);
    struct capture c = {0};
    char ids[4][MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN];
    for (int i = 0; i < 4; i++)
        publish_into(f, ids[i]);
    char *tmp = fixture_path(f, ".tmp-x"), *link = fixture_path(f, "current.tmp-1");
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(symlink(ids[0], link), 0);
    mm_config_free(f->cfg);
    fixture_load_config(f, keep1, 1);
    assert_int_equal(mm_snapshot_cmd_gc(f->cfg, capture_begin(&c)), MM_OK);
    const char *out = capture_end(&c);
    assert_contains(out, "removed .tmp-x\n");
    assert_contains(out, "removed current.tmp-1\n");
    char *want = mm_xasprintf("removed %s\n", ids[1]);
    assert_contains(out, want);
    assert_null(strstr(out, ids[2]));
    assert_null(strstr(out, ids[3]));
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, ids[1], err), MM_ENOTFOUND);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, ids[2], err), MM_OK);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, ids[3], err), MM_OK);
    assert_int_equal(mm_snapshot_cmd_gc(f->cfg, capture_begin(&c)), MM_OK);
    assert_string_equal(capture_end(&c), "nothing to remove\n");
    free(want);
    free(tmp);
    free(link);
    free(c.text);
    fixture_free(f);
}

/* With `current` pointing at no snapshot, gc cannot tell what to protect. */
static void test_gc_broken_current(void **state)
{
    (void)state;
    const char *sets[] = {"publish.keep=1"};
    struct pub_fixture *f = fixture_new(sets, 1);
    struct capture c = {0};
    char first[MM_SNAPSHOT_ID_MAX + 1], second[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN];
    publish_into(f, first);
    publish_into(f, second);
    char *link = fixture_path(f, "current");
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("ghost", link), 0);
    assert_int_equal(mm_snapshot_cmd_gc(f->cfg, capture_begin(&c)), MM_ECORRUPT);
    assert_contains(capture_end(&c), "gc stopped");
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, first, err), MM_OK);
    assert_int_equal(mm_snapshot_verify(f->cfg->paths.snapshots, second, err), MM_OK);
    assert_int_equal(mm_snapshot_cmd_list(f->cfg, capture_begin(&c)), MM_OK);
    assert_contains(capture_end(&c), "is broken");
    free(link);
    free(c.text);
    fixture_free(f);
}

static void test_locked(void **state)
{
    (void)state;
    struct pub_fixture *f = fixture_new(NULL, 0);
    struct capture c = {0};
    struct mm_snapshot_dir dir;
    char first[MM_SNAPSHOT_ID_MAX + 1], err[MM_ERRLEN];
    publish_into(f, first);
    assert_int_equal(mm_snapshot_write_lock(f->cfg->paths.snapshots, &dir, err), MM_OK);
    assert_int_equal(mm_snapshot_cmd_gc(f->cfg, capture_begin(&c)), MM_ELOCKED);
    assert_contains(capture_end(&c), "another publish");
    assert_int_equal(mm_snapshot_cmd_rollback(f->cfg, first, capture_begin(&c)), MM_ELOCKED);
    capture_end(&c);
    assert_int_equal(mm_snapshot_cmd_verify(f->cfg, NULL, capture_begin(&c)), MM_OK);
    capture_end(&c);
    mm_snapshot_write_unlock(&dir);
    free(c.text);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_rollback_to_predecessor),
        cmocka_unit_test(test_rollback_refused),
        cmocka_unit_test(test_publish_after_rollback),
        cmocka_unit_test(test_gc),
        cmocka_unit_test(test_gc_broken_current),
        cmocka_unit_test(test_locked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
