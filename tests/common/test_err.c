/* Tests for common/err.c: the error table, errno translation and MM_ASSERT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"

/* Every code has a message, a unique MM_ name, an HTTP status and an error_code. */
static void test_table_complete(void **state)
{
    (void)state;
    for (int i = 0; i < MM_ERR__COUNT; i++) {
        mm_err e = (mm_err)i;
        assert_true(strlen(mm_strerror(e)) > 0);
        assert_string_not_equal(mm_strerror(e), "unknown error");
        assert_int_equal(strncmp(mm_err_name(e), "MM_", 3), 0);
        assert_true(mm_err_http_status(e) >= 200 && mm_err_http_status(e) <= 599);
        assert_true(strlen(mm_err_code(e)) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(mm_err_name(e), mm_err_name((mm_err)j));
    }
}

static void test_known_rows(void **state)
{
    (void)state;
    assert_int_equal(MM_OK, 0);
    assert_string_equal(mm_strerror(MM_OK), "success");
    assert_string_equal(mm_err_name(MM_ENOTFOUND), "MM_ENOTFOUND");
    assert_string_equal(mm_strerror(MM_ENOTFOUND), "not found");
    assert_int_equal(mm_err_http_status(MM_ENOTFOUND), 404);
    assert_string_equal(mm_err_code(MM_ENOTFOUND), "NOT_FOUND");
    assert_int_equal(mm_err_http_status(MM_EINVAL), 400);
    assert_string_equal(mm_err_code(MM_EINVAL), "BAD_PARAMETER");
    assert_int_equal(mm_err_http_status(MM_ENOSNAPSHOT), 503);
    assert_string_equal(mm_err_code(MM_ENOSNAPSHOT), "NO_SNAPSHOT");
    assert_int_equal(mm_err_http_status(MM_EMETHOD), 405);
    assert_int_equal(mm_err_http_status(MM_ETOOBIG), 413);
    assert_int_equal(mm_err_http_status(MM_EHDRTOOBIG), 431);
    assert_string_equal(mm_err_code(MM_EHDRTOOBIG), "HEADERS_TOO_LARGE");
}

static void test_unknown_codes(void **state)
{
    (void)state;
    mm_err bad[] = {MM_ERR__COUNT, (mm_err)(MM_ERR__COUNT + 7), (mm_err)-1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_string_equal(mm_strerror(bad[i]), "unknown error");
        assert_string_equal(mm_err_name(bad[i]), "MM_EUNKNOWN");
        assert_int_equal(mm_err_http_status(bad[i]), 500);
        assert_string_equal(mm_err_code(bad[i]), "INTERNAL");
    }
}

static void test_from_errno(void **state)
{
    (void)state;
    assert_int_equal(mm_err_from_errno(0), MM_OK);
    assert_int_equal(mm_err_from_errno(ENOENT), MM_ENOTFOUND);
    assert_int_equal(mm_err_from_errno(ENOMEM), MM_ENOMEM);
    assert_int_equal(mm_err_from_errno(EINVAL), MM_EINVAL);
    assert_int_equal(mm_err_from_errno(EEXIST), MM_EEXIST);
    assert_int_equal(mm_err_from_errno(EINTR), MM_EINTERRUPTED);
    assert_int_equal(mm_err_from_errno(ETIMEDOUT), MM_ETIMEOUT);
    assert_int_equal(mm_err_from_errno(EFBIG), MM_ETOOBIG);
    assert_int_equal(mm_err_from_errno(EWOULDBLOCK), MM_ELOCKED);
    assert_int_equal(mm_err_from_errno(ENOSPC), MM_EIO);
    assert_int_equal(mm_err_from_errno(EIO), MM_EIO);
    assert_int_equal(mm_err_from_errno(EACCES), MM_EIO);
}

/* MM_ASSERT is live in every build: a false condition aborts, a true one does nothing. */
static void test_assert(void **state)
{
    (void)state;
    MM_ASSERT(1 + 1 == 2);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDERR_FILENO);
        MM_ASSERT(1 + 1 == 3);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete), cmocka_unit_test(test_known_rows),
        cmocka_unit_test(test_unknown_codes),  cmocka_unit_test(test_from_errno),
        cmocka_unit_test(test_assert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
