/*
 * http_util.c — the parts of the HTTP client that need no connection:
 * response classification (status, Gemini/OpenAI and Last.fm error bodies),
 * URL redaction for logs, form and query encoding.
 */
#include "common/http.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/backoff.h"

#define REDACTED "[REDACTED]"
#define EXCERPT_MAX 100   /* body bytes quoted in a failure detail */
#define PARAM_NAME_MAX 32 /* longer query parameter names are never secret names */

static const char *const secret_params[] = {"api_key",      "key",           "token",
                                            "access_token", "client_secret", "refresh_token"};

/* --- classification --- */

/* Drops a multi-byte UTF-8 sequence cut short at the end of s, as snprintf
 * truncation leaves it: details go into JSON log lines, which need valid UTF-8. */
static void utf8_trim_tail(char *s)
{
    size_t i = strlen(s), cont = 0;
    while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i > 0 && (unsigned char)s[i - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
        if (cont < need)
            s[i - 1] = '\0';
    }
}

/* "HTTP <status>: <first bytes of the body>", non-printable bytes shown as '.'. */
static void status_detail(const struct mm_http_response *resp, char *out, size_t size)
{
    char excerpt[EXCERPT_MAX + 1];
    size_t n = resp->body_len < EXCERPT_MAX ? resp->body_len : EXCERPT_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)resp->body[i];
        excerpt[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    excerpt[n] = '\0';
    snprintf(out, size, n ? "HTTP %d: %s" : "HTTP %d", resp->status, excerpt);
}

void mm_http_classify_status(const struct mm_http_response *resp, int64_t now_s,
                             struct mm_http_verdict *v)
{
    int s = resp->status;
    uint64_t hint = 0;
    v->retry_after_ms = -1;
    v->rate_limited = false;
    v->detail[0] = '\0';
    if (resp->retry_after && mm_backoff_parse_retry_after(resp->retry_after, now_s, &hint) == MM_OK)
        v->retry_after_ms = (int64_t)hint;
    if (s >= 200 && s < 300) {
        v->action = MM_HTTP_ACCEPT;
        v->err = MM_OK;
    } else if (s == 404) {
        v->action = MM_HTTP_FAIL;
        v->err = MM_ENOTFOUND;
    } else if (s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504) {
        v->action = MM_HTTP_RETRY;
        v->err = MM_EHTTP;
        v->rate_limited = s == 429 || s == 503;
    } else {
        v->action = MM_HTTP_FAIL;
        v->err = MM_EHTTP;
    }
    if (v->action != MM_HTTP_ACCEPT)
        status_detail(resp, v->detail, sizeof(v->detail));
}

/* A Google duration ("32s", "1.5s") in milliseconds, rounded up; -1 if malformed. */
static int64_t parse_duration_ms(const char *s)
{
    int64_t ms = 0, scale = 100;
    bool rest = false;
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9' && ms < INT64_MAX / 10000)
        ms = ms * 10 + (s[i++] - '0');
    bool digits = i > 0;
    ms *= 1000;
    if (s[i] == '.') {
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            ms += (s[i] - '0') * scale;
            rest = rest || (scale == 0 && s[i] != '0');
            scale /= 10;
        }
    }
    return digits && s[i] == 's' && s[i + 1] == '\0' ? ms + rest : -1;
}

/* The "error" object of a Google/OpenAI error body, plain or array-wrapped. */
static json_t *error_object(json_t *root)
{
    if (json_is_array(root))
        root = json_array_get(root, 0);
    json_t *error = json_object_get(root, "error");
    return json_is_object(error) ? error : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The quotaId of a QuotaFailure violation that is a daily quota, or NULL. */
static const char *daily_quota(json_t *detail)
{
    const char *found = NULL;
    size_t i;
    json_t *violation;
    json_array_foreach(json_object_get(detail, "violations"), i, violation)
    {
        const char *id = json_string_value(json_object_get(violation, "quotaId"));
        if (!found && id && strstr(id, "PerDay"))
            found = id;
    }
    return found;
}

void mm_http_classify_gemini(const struct mm_http_response *resp, void *ctx,
                             struct mm_http_verdict *v)
{
    (void)ctx;
    json_t *root = resp->status >= 400 ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    json_t *error = error_object(root);
    const char *per_day = NULL;
    size_t i;
    json_t *detail;
    json_array_foreach(json_object_get(error, "details"), i, detail)
    {
        const char *type = json_string_value(json_object_get(detail, "@type"));
        const char *delay = json_string_value(json_object_get(detail, "retryDelay"));
        int64_t ms = delay ? parse_duration_ms(delay) : -1;
        if (type && ends_with(type, "google.rpc.RetryInfo") && ms > v->retry_after_ms)
            v->retry_after_ms = ms;
        if (type && ends_with(type, "google.rpc.QuotaFailure") && !per_day)
            per_day = daily_quota(detail);
    }
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    if (per_day || (code && strcmp(code, "insufficient_quota") == 0)) {
        v->action = MM_HTTP_FAIL;
        v->err = MM_EHTTP;
        snprintf(v->detail, sizeof(v->detail), "HTTP %d: quota exhausted (%s), not retried",
                 resp->status, per_day ? per_day : code);
    } else if (message && v->action != MM_HTTP_ACCEPT) {
        snprintf(v->detail, sizeof(v->detail), "HTTP %d: %s", resp->status, message);
    }
    utf8_trim_tail(v->detail);
    json_decref(root);
}

void mm_http_classify_lastfm(const struct mm_http_response *resp, void *ctx,
                             struct mm_http_verdict *v)
{
    (void)ctx;
    json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
    json_t *error = json_object_get(root, "error");
    if (json_is_integer(error)) {
        json_int_t code = json_integer_value(error);
        const char *message = json_string_value(json_object_get(root, "message"));
        v->action = MM_HTTP_FAIL;
        v->err = MM_EHTTP;
        v->rate_limited = code == 29;
        if (code == 29 || code == 8 || code == 11 || code == 16)
            v->action = MM_HTTP_RETRY;
        else if (code == 6)
            v->err = MM_ENOTFOUND;
        snprintf(v->detail, sizeof(v->detail), "Last.fm error %lld: %s", (long long)code,
                 message ? message : "(no message)");
        utf8_trim_tail(v->detail);
    }
    json_decref(root);
}

/* --- redaction --- */

static int hex_value(char c)
{
    int v = -1;
    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    return v;
}

/* Whether a raw (percent-encoded) parameter name is one of secret_params. */
static bool is_secret_name(const char *name, size_t len)
{
    char decoded[PARAM_NAME_MAX + 1];
    size_t n = 0;
    bool secret = false;
    for (size_t i = 0; i < len && n < PARAM_NAME_MAX; i++) {
        int hi = i + 2 < len ? hex_value(name[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(name[i + 2]) : -1;
        if (name[i] == '%' && lo >= 0) {
            decoded[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            decoded[n++] = name[i];
        }
    }
    decoded[n] = '\0';
    for (size_t k = 0; k < sizeof(secret_params) / sizeof(secret_params[0]) && !secret; k++)
        secret = strlen(decoded) == n && strcasecmp(decoded, secret_params[k]) == 0;
    return secret;
}

/* Appends the parameters in s[0..len) ('&' or '#' separated), secret values redacted. */
static mm_err redact_params(struct mm_buf *out, const char *s, size_t len)
{
    mm_err err = MM_OK;
    size_t i = 0;
    while (i < len && !err) {
        size_t end = i + strcspn(s + i, "&#");
        end = end < len ? end : len;
        const char *eq = memchr(s + i, '=', end - i);
        if (eq && is_secret_name(s + i, (size_t)(eq - (s + i)))) {
            err = mm_buf_append(out, s + i, (size_t)(eq - (s + i)) + 1);
            err = err ? err : mm_buf_appends(out, REDACTED);
        } else {
            err = mm_buf_append(out, s + i, end - i);
        }
        if (!err && end < len)
            err = mm_buf_appendc(out, s[end]);
        i = end + 1;
    }
    return err;
}

char *mm_http_redact_url(const char *url)
{
    struct mm_buf out;
    size_t len = strlen(url);
    /* Each redaction adds at most len(REDACTED) to a parameter of 2 or more bytes. */
    mm_buf_init(&out, 8 * len + 64);
    const char *p = url;
    const char *scheme_end = strstr(url, "://");
    mm_err err = MM_OK;
    if (scheme_end && scheme_end < url + strcspn(url, "/?#")) {
        const char *auth = scheme_end + 3;
        const char *at = memchr(auth, '@', strcspn(auth, "/?#"));
        if (at) {
            err = mm_buf_append(&out, url, (size_t)(auth - url));
            err = err ? err : mm_buf_appends(&out, REDACTED);
            p = at;
        }
    }
    size_t head = strcspn(p, "?#");
    err = err ? err : mm_buf_append(&out, p, head);
    if (p[head]) {
        err = err ? err : mm_buf_appendc(&out, p[head]);
        err = err ? err : redact_params(&out, p + head + 1, strlen(p + head + 1));
    }
    MM_ASSERT(err == MM_OK);
    char *text = mm_buf_take(&out);
    return text ? text : mm_xstrdup("");
}

/* --- form and query encoding --- */

static mm_err append_encoded(struct mm_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    mm_err err = MM_OK;
    for (; *s && !err; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        err = plain ? mm_buf_appendc(out, (char)c) : mm_buf_append(out, esc, 3);
    }
    return err;
}

/* Appends sep (unless 0), name, '=', value; on error `out` is left as it was. */
static mm_err append_pair(struct mm_buf *out, char sep, const char *name, const char *value)
{
    size_t old = out->len;
    mm_err err = sep ? mm_buf_appendc(out, sep) : MM_OK;
    err = err ? err : append_encoded(out, name);
    err = err ? err : mm_buf_appendc(out, '=');
    err = err ? err : append_encoded(out, value);
    if (err && out->data) {
        out->len = old;
        out->data[old] = '\0';
    }
    return err;
}

mm_err mm_http_form_append(struct mm_buf *out, const char *name, const char *value)
{
    return append_pair(out, out->len ? '&' : 0, name, value);
}

mm_err mm_http_query_append(struct mm_buf *url, const char *name, const char *value)
{
    char sep = '?';
    if (url->len && memchr(url->data, '?', url->len)) {
        char last = url->data[url->len - 1];
        sep = last == '?' || last == '&' ? 0 : '&';
    }
    return append_pair(url, sep, name, value);
}
