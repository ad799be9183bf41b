#include "serve/http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- helpers */

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive equality of s[0..len) and the NUL-terminated `lit`. */
static bool ieq(const char *s, size_t len, const char *lit)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
            return false;
    }
    return lit[i] == '\0';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Length of the content of the line ending with the LF at `lf`, without its CR. */
static size_t line_len(const char *buf, size_t start, size_t lf)
{
    return lf > start && buf[lf - 1] == '\r' ? lf - 1 - start : lf - start;
}

/* ------------------------------------------------------------ head parsing */

void mm_http_parser_init(struct mm_http_parser *p)
{
    memset(p, 0, sizeof(*p));
}

static mm_err fail(struct mm_http_parser *p, mm_err err, const char *why)
{
    p->error = why;
    return err;
}

/* Splits the origin-form or absolute-form target into path and query. */
static mm_err parse_target(struct mm_http_parser *p, struct mm_http_request *req)
{
    const char *t = req->target.p, *end = t + req->target.len;
    for (const char *c = t; c < end; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return fail(p, MM_EPARSE, "invalid character in request target");
    }
    if (*t != '/') {
        size_t skip = req->target.len >= 7 && ieq(t, 7, "http://")    ? 7
                      : req->target.len >= 8 && ieq(t, 8, "https://") ? 8
                                                                      : 0;
        if (skip == 0)
            return fail(p, MM_EPARSE, "malformed request target");
        t += skip;
        while (t < end && *t != '/' && *t != '?')
            t++;
        if (t == end || *t != '/') {
            req->path = (struct mm_http_str){"/", 1};
            req->query = t < end ? (struct mm_http_str){t + 1, (size_t)(end - t - 1)}
                                 : (struct mm_http_str){"", 0};
            return MM_OK;
        }
    }
    const char *q = memchr(t, '?', (size_t)(end - t));
    req->path = (struct mm_http_str){t, (size_t)((q ? q : end) - t)};
    req->query =
        q ? (struct mm_http_str){q + 1, (size_t)(end - q - 1)} : (struct mm_http_str){"", 0};
    return MM_OK;
}

static mm_err parse_request_line(struct mm_http_parser *p, const char *s, size_t len,
                                 struct mm_http_request *req)
{
    const char *end = s + len, *c = s;
    while (c < end && is_tchar((unsigned char)*c))
        c++;
    if (c == s || c == end || *c != ' ')
        return fail(p, MM_EPARSE, "malformed request line: bad method");
    req->method_name = (struct mm_http_str){s, (size_t)(c - s)};
    if (c - s == 3 && memcmp(s, "GET", 3) == 0)
        req->method = MM_HTTP_GET;
    else if (c - s == 4 && memcmp(s, "HEAD", 4) == 0)
        req->method = MM_HTTP_HEAD;
    else if (c - s == 4 && memcmp(s, "POST", 4) == 0)
        req->method = MM_HTTP_POST;
    else
        req->method = MM_HTTP_OTHER;
    const char *t = ++c;
    while (c < end && *c != ' ')
        c++;
    if (c == t || c == end)
        return fail(p, MM_EPARSE, "malformed request line: bad target");
    req->target = (struct mm_http_str){t, (size_t)(c - t)};
    c++;
    if (end - c != 8 || memcmp(c, "HTTP/1.", 7) != 0 || (c[7] != '0' && c[7] != '1'))
        return fail(p, MM_EPARSE, "unsupported HTTP version (HTTP/1.0 or HTTP/1.1 expected)");
    req->minor = c[7] - '0';
    return parse_target(p, req);
}

static mm_err parse_content_length(struct mm_http_parser *p, struct mm_http_str v,
                                   struct mm_http_request *req)
{
    uint64_t n = 0;
    if (v.len == 0 || v.len > 19)
        return fail(p, MM_EPARSE, "invalid Content-Length");
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return fail(p, MM_EPARSE, "invalid Content-Length");
        n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (req->has_content_length && req->content_length != n)
        return fail(p, MM_EPARSE, "conflicting Content-Length headers");
    req->has_content_length = true;
    req->content_length = n;
    return MM_OK;
}

/* Applies the comma-separated tokens of a Connection header. */
static void parse_connection(struct mm_http_str v, bool *close, bool *keep_alive)
{
    const char *c = v.p, *end = v.p + v.len;
    while (c < end) {
        while (c < end && (*c == ' ' || *c == '\t' || *c == ','))
            c++;
        const char *tok = c;
        while (c < end && *c != ',' && *c != ' ' && *c != '\t')
            c++;
        if (ieq(tok, (size_t)(c - tok), "close"))
            *close = true;
        else if (ieq(tok, (size_t)(c - tok), "keep-alive"))
            *keep_alive = true;
    }
}

/* Parses one header line s[0..len) (no line end) into req->headers. */
static mm_err parse_header(struct mm_http_parser *p, const char *s, size_t len,
                           struct mm_http_request *req)
{
    const char *end = s + len, *c = s;
    if (*s == ' ' || *s == '\t')
        return fail(p, MM_EPARSE, "obsolete header line folding");
    while (c < end && is_tchar((unsigned char)*c))
        c++;
    if (c == s || c == end || *c != ':')
        return fail(p, MM_EPARSE, "malformed header line");
    struct mm_http_header *h = &req->headers[req->n_headers++];
    h->name = (struct mm_http_str){s, (size_t)(c - s)};
    c++;
    while (c < end && (*c == ' ' || *c == '\t'))
        c++;
    while (end > c && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *v = c; v < end; v++) {
        unsigned char u = (unsigned char)*v;
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return fail(p, MM_EPARSE, "invalid character in header value");
    }
    h->value = (struct mm_http_str){c, (size_t)(end - c)};
    return MM_OK;
}

/* Parses the complete head buf[0..head_end). */
static mm_err parse_head(struct mm_http_parser *p, const char *buf, size_t head_end,
                         struct mm_http_request *req)
{
    bool close = false, keep_alive = false;
    memset(req, 0, offsetof(struct mm_http_request, headers));
    mm_err err =
        parse_request_line(p, buf + p->rl_start, line_len(buf, p->rl_start, p->rl_end - 1), req);
    size_t start = p->rl_end;
    while (!err && start < head_end) {
        size_t lf = (size_t)((const char *)memchr(buf + start, '\n', head_end - start) - buf);
        size_t n = line_len(buf, start, lf);
        if (n == 0)
            break;
        err = parse_header(p, buf + start, n, req);
        if (err)
            break;
        const struct mm_http_header *h = &req->headers[req->n_headers - 1];
        if (ieq(h->name.p, h->name.len, "content-length"))
            err = parse_content_length(p, h->value, req);
        else if (ieq(h->name.p, h->name.len, "transfer-encoding"))
            req->chunked = true;
        else if (ieq(h->name.p, h->name.len, "connection"))
            parse_connection(h->value, &close, &keep_alive);
        start = lf + 1;
    }
    if (!err && req->chunked && req->has_content_length)
        err = fail(p, MM_EPARSE, "both Content-Length and Transfer-Encoding");
    req->keep_alive = !close && (req->minor == 1 || keep_alive);
    return err;
}

mm_err mm_http_parse(struct mm_http_parser *p, const char *buf, size_t len,
                     struct mm_http_request *req, size_t *consumed)
{
    *consumed = 0;
    for (size_t i = p->pos; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        size_t n = line_len(buf, p->line_start, i);
        if (p->rl_end == 0) {
            if (n > 0 && p->line_start + n > MM_HTTP_MAX_REQUEST_LINE)
                return fail(p, MM_EURITOOLONG, "request line too long");
            if (n > 0) {
                p->rl_start = p->line_start;
                p->rl_end = i + 1;
            }
        } else if (i + 1 - p->rl_end > MM_HTTP_MAX_HEADER_BYTES) {
            return fail(p, MM_EHDRTOOBIG, "request header section too large");
        } else if (n == 0) {
            p->pos = i + 1;
            *consumed = i + 1;
            return parse_head(p, buf, i + 1, req);
        } else if (++p->n_headers > MM_HTTP_MAX_HEADERS) {
            return fail(p, MM_EHDRTOOBIG, "too many request header lines");
        }
        p->line_start = i + 1;
    }
    p->pos = len;
    if (p->rl_end == 0) {
        size_t content = len > 0 && buf[len - 1] == '\r' ? len - 1 : len;
        if (content > MM_HTTP_MAX_REQUEST_LINE)
            return fail(p, MM_EURITOOLONG, "request line too long");
    } else if (len - p->rl_end > MM_HTTP_MAX_HEADER_BYTES) {
        return fail(p, MM_EHDRTOOBIG, "request header section too large");
    }
    return MM_OK;
}

const struct mm_http_header *mm_http_request_header(const struct mm_http_request *req,
                                                    const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (ieq(req->headers[i].name.p, req->headers[i].name.len, name))
            return &req->headers[i];
    }
    return NULL;
}

/* ------------------------------------------------------ percent-decoding */

mm_err mm_http_percent_decode(const char *s, size_t len, bool plus_is_space, char *out,
                              size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = len - i >= 3 ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return MM_EPARSE;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = c;
    }
    *out_len = o;
    return MM_OK;
}

mm_err mm_http_query_param(struct mm_http_str query, const char *name, struct mm_buf *out)
{
    size_t name_len = strlen(name);
    const char *c = query.p, *end = query.p + query.len;
    while (c < end) {
        const char *amp = memchr(c, '&', (size_t)(end - c));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(c, '=', (size_t)(pair_end - c));
        const char *key_end = eq ? eq : pair_end;
        if ((size_t)(key_end - c) == name_len && memcmp(c, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : pair_end;
            size_t start = out->len, n;
            mm_err err = mm_buf_append(out, v, (size_t)(pair_end - v));
            if (err)
                return err;
            err = mm_http_percent_decode(out->data + start, out->len - start, true,
                                         out->data + start, &n);
            out->len = err ? start : start + n;
            out->data[out->len] = '\0';
            return err;
        }
        c = pair_end + 1;
    }
    return MM_ENOTFOUND;
}

/* ---------------------------------------------------------- response head */

const char *mm_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

/* Decimal digits of v into the end of `tmp`; returns the first digit. */
static const char *u64_digits(uint64_t v, char tmp[24])
{
    char *p = tmp + 23;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static mm_err append_allow(struct mm_buf *out, unsigned allow)
{
    static const struct {
        unsigned bit;
        const char *name;
    } methods[] = {{MM_HTTP_GET, "GET"}, {MM_HTTP_HEAD, "HEAD"}, {MM_HTTP_POST, "POST"}};
    const char *sep = "Allow: ";
    mm_err err = MM_OK;
    for (size_t i = 0; !err && i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (allow & methods[i].bit) {
            err = mm_buf_appends(out, sep);
            if (!err)
                err = mm_buf_appends(out, methods[i].name);
            sep = ", ";
        }
    }
    return err ? err : mm_buf_appends(out, "\r\n");
}

mm_err mm_http_response_head(struct mm_buf *out, const struct mm_http_response *res,
                             const char *date)
{
    char tmp[24];
    const char *connection = !res->keep_alive  ? "Connection: close\r\n"
                             : res->minor == 0 ? "Connection: keep-alive\r\n"
                                               : "";
    const char *parts[] = {"HTTP/1.1 ",
                           u64_digits((uint64_t)res->status, tmp),
                           " ",
                           mm_http_reason(res->status),
                           "\r\nServer: moodmusic-serve\r\nDate: ",
                           date,
                           "\r\nContent-Type: ",
                           res->content_type ? res->content_type : "application/json",
                           "\r\nContent-Length: "};
    mm_err err = MM_OK;
    for (size_t i = 0; !err && i < sizeof(parts) / sizeof(parts[0]); i++)
        err = mm_buf_appends(out, parts[i]);
    if (!err)
        err = mm_buf_appends(out, u64_digits(res->content_length, tmp));
    if (!err)
        err = mm_buf_appends(out, "\r\n");
    if (!err)
        err = mm_buf_appends(out, connection);
    if (!err && res->allow)
        err = append_allow(out, res->allow);
    return err ? err : mm_buf_appends(out, "\r\n");
}

void mm_http_date(long long t, char out[32])
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    /* the modulos only bound the widths for the compiler: gmtime_r ranges are smaller */
    snprintf(out, 32, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[tm.tm_wday],
             (unsigned)tm.tm_mday % 100, months[tm.tm_mon], (unsigned)(tm.tm_year + 1900) % 10000,
             (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

/* --------------------------------------------------------------- JSON out */

/* Length of the valid UTF-8 sequence at s[0..len) (first byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return n;
}

/* The escape for an ASCII byte, or NULL when it is copied as is. */
static const char *ascii_escape(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: break;
    }
    if (c >= 0x20)
        return NULL;
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

mm_err mm_http_json_string(struct mm_buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0;
    char tmp[8];
    mm_err err = mm_buf_appendc(out, '"');
    while (!err && i < len) {
        const char *esc = NULL;
        size_t n = 1;
        if (u[i] < 0x80)
            esc = ascii_escape(u[i], tmp);
        else if ((n = utf8_seq(u + i, len - i)) == 0)
            esc = "\xef\xbf\xbd";
        if (!esc) {
            i += n;
            continue;
        }
        err = mm_buf_append(out, s + run, i - run);
        if (!err)
            err = mm_buf_appends(out, esc);
        i += 1;
        run = i;
    }
    if (!err)
        err = mm_buf_append(out, s + run, i - run);
    return err ? err : mm_buf_appendc(out, '"');
}

mm_err mm_http_error_body(struct mm_buf *out, mm_err err, const char *msg)
{
    if (!msg || !*msg)
        msg = mm_strerror(err);
    mm_err e = mm_buf_appends(out, "{\"success\":false,\"error\":");
    if (!e)
        e = mm_http_json_string(out, msg, strlen(msg));
    if (!e)
        e = mm_buf_appends(out, ",\"error_code\":\"");
    if (!e)
        e = mm_buf_appends(out, mm_err_code(err));
    return e ? e : mm_buf_appends(out, "\"}");
}
