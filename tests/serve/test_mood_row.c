/* Tests of serve/mood_row.c: rows written by the score stage's encoder read
 * back in place, other value shapes (float32, integer fit, map16, extra keys
 * with nested values, no popularity), mood names, and refusal of everything
 * malformed — every truncation included — without reading past the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <msgpack.h>
#include <string.h>

#include "common/codec.h"
#include "pipeline/score.h"
#include "serve/mood_row.h"

/* The heap copy the last read_copy() read from; the row views borrow it. */
static void *last_copy;

/* Reads `len` bytes copied to the heap, so that ASan sees any read past them. */
static mm_err read_copy(const void *data, size_t len, struct mm_mood_row_view *row)
{
    free(last_copy);
    last_copy = mm_xmalloc(len);
    memcpy(last_copy, data, len);
    return mm_mood_row_read(last_copy, len, row);
}

static int free_copy(void **state)
{
    (void)state;
    free(last_copy);
    last_copy = NULL;
    return 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* The fit of a row rendered as JSON. */
static char *fit_json(const struct mm_mood_row_view *row)
{
    struct mm_buf b;
    mm_buf_init(&b, 256);
    assert_int_equal(mm_codec_render_json(row->fit, row->fit_len, &b), MM_OK);
    return mm_buf_take(&b);
}

static void test_score_rows(void **state)
{
    (void)state;
    struct mm_mood_row in[] = {{"spotify:abc", 0.9312, 64},
                               {"itunes:1", 0.5, MM_NULL_INT},
                               {"isrc:X", 1.0, 0},
                               {"k", 0.0, 100}};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        struct mm_buf b;
        struct mm_mood_row_view row;
        mm_buf_init(&b, 4096);
        assert_int_equal(mm_score_mood_row_encode(&in[i], &b), MM_OK);
        assert_int_equal(read_copy(b.data, b.len, &row), MM_OK);
        assert_int_equal(row.track_len, strlen(in[i].track));
        assert_memory_equal(row.track, in[i].track, row.track_len);
        assert_int_equal(row.has_popularity, in[i].popularity != MM_NULL_INT);
        if (row.has_popularity)
            assert_int_equal(row.popularity, in[i].popularity);
        char *fit = fit_json(&row);
        assert_true(strtod(fit, NULL) == in[i].fit);
        free(fit);
        /* every truncation is refused */
        for (size_t cut = 0; cut < b.len; cut++)
            if (read_copy(b.data, cut, &row) != MM_ECORRUPT)
                fail_msg("row %zu cut at %zu of %zu bytes was accepted", i, cut, b.len);
        mm_buf_cleanup(&b);
    }
}

static void test_other_shapes(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct mm_mood_row_view row;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* map16 with extra keys of every kind, float32 fit, negative popularity */
    msgpack_pack_map(&pk, 17);
    for (int i = 0; i < 5; i++) {
        char k[8];
        snprintf(k, sizeof(k), "x%d", i);
        pack_str(&pk, k);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_map(&pk, 1);
        pack_str(&pk, "deep");
        msgpack_pack_bin_with_body(&pk, "\x01\x02", 2);
        msgpack_pack_ext_with_body(&pk, "abc", 3, 7);
    }
    for (int i = 0; i < 9; i++) {
        char k[8];
        snprintf(k, sizeof(k), "y%d", i);
        pack_str(&pk, k);
        if (i % 3 == 0)
            msgpack_pack_double(&pk, 1.5);
        else if (i % 3 == 1)
            msgpack_pack_true(&pk);
        else
            msgpack_pack_int64(&pk, -123456789012LL);
    }
    pack_str(&pk, "popularity");
    msgpack_pack_int8(&pk, -3);
    pack_str(&pk, "fit");
    msgpack_pack_float(&pk, 0.25f);
    pack_str(&pk, "track");
    pack_str(&pk, "spotify:zz");
    assert_int_equal(read_copy(sb.data, sb.size, &row), MM_OK);
    assert_int_equal(row.track_len, 10);
    assert_true(row.has_popularity);
    assert_int_equal(row.popularity, -3);
    char *fit = fit_json(&row);
    assert_string_equal(fit, "0.25");
    free(fit);
    msgpack_sbuffer_clear(&sb);

    /* integer fit, no popularity: unknown */
    msgpack_pack_map(&pk, 2);
    pack_str(&pk, "track");
    pack_str(&pk, "a");
    pack_str(&pk, "fit");
    msgpack_pack_uint64(&pk, 1);
    assert_int_equal(read_copy(sb.data, sb.size, &row), MM_OK);
    assert_false(row.has_popularity);
    fit = fit_json(&row);
    assert_string_equal(fit, "1");
    free(fit);
    msgpack_sbuffer_destroy(&sb);
}

static void test_refused(void **state)
{
    (void)state;
#define B(s)                                                                                       \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        B(""),
        B("\x80"),               /* no track, no fit */
        B("\x81\xa5track\xa1k"), /* no fit */
        B("\x81\xa3"
          "fit\xcb\x3f\xe0\0\0\0\0\0\0"), /* no track */
        B("\x82\xa5track\x01\xa3"
          "fit\x01"), /* track not a str */
        B("\x82\xa5track\xa1k\xa3"
          "fit\xa1x"), /* fit not a number */
        B("\x82\xa5track\xa1k\xa3"
          "fit\xc0"), /* fit nil */
        B("\x83\xa5track\xa1k\xa3"
          "fit\x01\xaapopularity\xa1x"), /* popularity a str */
        B("\x82\xa5track\xa1k\xa3"
          "fit\x01\x00"),                                       /* a trailing byte */
        B("\x92\xa1k\x01"),                                     /* an array */
        B("\x82\xa5track\xa1k\x01\x01"),                        /* a key that is not a str */
        B("\x82\xa5track\xa1k\xa1z\xc1"),                       /* 0xc1 */
        B("\x81\xa1z\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0"), /* nested too deep */
        B("\x81\xa1z\xdf\xff\xff\xff\xff"),                     /* a map claiming 2^32 entries */
        B("\xdf\0\0\0\1\xa1z\xc0"),                             /* map32 at the top */
    };
#undef B
    struct mm_mood_row_view row;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (read_copy(bad[i].bytes, bad[i].len, &row) != MM_ECORRUPT)
            fail_msg("bad row %zu was accepted", i);
}

static void test_names(void **state)
{
    (void)state;
    const char *name;
    size_t n;
    char big[300];
    unsigned char buf[400];
    assert_int_equal(mm_mood_row_name_read("\xa5"
                                           "chill",
                                           6, &name, &n),
                     MM_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(name, "chill", 5);
    assert_int_equal(mm_mood_row_name_read("\xd9\x03"
                                           "sad",
                                           5, &name, &n),
                     MM_OK);
    assert_int_equal(n, 3);
    memset(big, 'm', sizeof(big));
    buf[0] = 0xda, buf[1] = 1, buf[2] = 44;
    memcpy(buf + 3, big, 300);
    assert_int_equal(mm_mood_row_name_read(buf, 303, &name, &n), MM_OK);
    assert_int_equal(n, 300);
    assert_int_equal(mm_mood_row_name_read(buf, 302, &name, &n), MM_ECORRUPT);
    assert_int_equal(mm_mood_row_name_read("\xa5"
                                           "chill!",
                                           7, &name, &n),
                     MM_ECORRUPT);
    assert_int_equal(mm_mood_row_name_read("\x01", 1, &name, &n), MM_ECORRUPT);
    assert_int_equal(mm_mood_row_name_read("", 0, &name, &n), MM_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_rows),
        cmocka_unit_test(test_other_shapes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, free_copy);
}
