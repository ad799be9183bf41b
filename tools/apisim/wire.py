"""Requests, responses and the provider interface shared by the simulated services.

A Provider owns one URL prefix (e.g. /spotify) and answers the real paths below
it. The server (server.py) applies what is common to all of them: injected
faults, rate limits and counters; a provider supplies the bodies in its own
service's shapes for those cases.
"""

import json
import urllib.parse

JSON = "application/json; charset=utf-8"
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n")


class Request:
    """One request as a provider sees it. `path` is below the provider's prefix;
    `base` is the absolute URL of that prefix on this server (for hrefs)."""

    def __init__(self, method, path, query, headers, body, client, base):
        self.method = method
        self.path = path
        self.query = query
        self.params = {}
        for k, v in query:
            self.params.setdefault(k, v)
        self.headers = headers
        self.body = body
        self.client = client
        self.base = base

    def header(self, name, default=""):
        value = self.headers.get(name)
        return default if value is None else value

    def json(self):
        """The body parsed as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """The body parsed as application/x-www-form-urlencoded (first value per key)."""
        out = {}
        for k, v in urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"),
                                           keep_blank_values=True):
            out.setdefault(k, v)
        return out


class Response:
    """What to send: status, body, content type, extra headers; `truncate` sends
    half the body under the full Content-Length and then closes the connection."""

    def __init__(self, status, body=b"", content_type=JSON, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])
        self.truncate = False


def json_response(status, obj, headers=None, content_type=JSON):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, content_type, headers)


def html_502():
    return Response(502, HTML_502, "text/html")


def malform(body, tag):
    """`body` made invalid as JSON in one of a few ways real outages produce: cut
    short, a broken token, or an HTML page where JSON was promised."""
    way = tag % 3
    if way == 0 or not body:
        return body[:max(1, len(body) * 2 // 3)]
    if way == 1:
        return body.replace(b":", b" ", 1) if b":" in body else b"{" + body
    return b"<!DOCTYPE html><html><body><h1>Upstream error</h1></body></html>"


def first_segment(path):
    """('spotify', '/v1/search') for '/spotify/v1/search'."""
    rest = path[1:] if path.startswith("/") else path
    seg, slash, tail = rest.partition("/")
    return seg, "/" + tail if slash else "/"


class Provider:
    """Base of the simulated services. Subclasses set name, prefix and limit, and
    implement route() and fault()."""
    name = ""
    prefix = ""
    limit = None
    kinds = ()

    def route(self, method, path):
        """(endpoint name, handler(req, ctx) -> Response) or None for an unknown path."""
        raise NotImplementedError

    def fault_kinds(self, endpoint):
        """The fault kinds that make sense for an endpoint."""
        return self.kinds

    def fault(self, kind, req, tag):
        """The response of an injected status fault of this kind."""
        raise NotImplementedError

    def rate_limited(self, req, wait, tag):
        """The response to a request over the provider's rate limit."""
        return json_response(429, {"error": "rate limited"})

    def not_found(self, req):
        return json_response(404, {"error": "Not found"})


class Context:
    """Per-request extras handed to a handler: the active config, the content
    fault to apply (LLM only) and the fault tag."""

    def __init__(self, cfg, content_fault, tag):
        self.cfg = cfg
        self.content_fault = content_fault
        self.tag = tag
