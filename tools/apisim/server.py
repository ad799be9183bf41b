"""The HTTP server: one port, one path prefix per simulated provider, plus /_sim/.

Every request to a provider goes through the same steps: count its arrival,
decide its injected fault (faults.py), answer a status fault at once, else
check the provider's rate limit, run the provider's handler (after a delay for
"slow"), then spoil the body for "truncated" or "malformed". Responses always
carry Content-Length; connections are HTTP/1.1 keep-alive.

Control endpoints (never faulted): GET /_sim/stats, POST /_sim/reset,
GET|POST /_sim/config, GET /_sim/playlists.
"""

import http.server
import json
import sys
import threading
import traceback
import urllib.parse

from . import faults as faults_mod
from . import answers, itunes, lastfm, llm, musicbrainz, spotify, stats, wire

MAX_BODY = 8 * 1024 * 1024


class BodyError(ValueError):
    """A request body that cannot be read: its HTTP status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Sim:
    """Everything the handlers share: catalog, configuration, counters, state."""

    def __init__(self, catalog, cfg, verbose=False):
        self.catalog = catalog
        self.faults = faults_mod.Faults(cfg)
        self.limiter = faults_mod.Limiter()
        self.stats = stats.Stats()
        self.stop = threading.Event()
        self.verbose = verbose
        self.reader = answers.Reader(catalog)
        accounts = spotify.Accounts(self)
        providers = [accounts, spotify.Spotify(self, accounts), musicbrainz.MusicBrainz(self),
                     lastfm.LastFm(self), itunes.ITunes(self)]
        providers += [llm.Llm(self, dialect) for dialect in llm.DIALECTS]
        self.spotify = providers[1]
        self.providers = {p.prefix: p for p in providers}

    def reset(self):
        self.stats.reset()
        self.faults.reset()
        self.limiter.reset()

    def stats_doc(self):
        doc = self.stats.snapshot(self.limiter.max_rates())
        doc["seed"] = self.faults.config()["seed"]
        return doc


def handle_control(sim, method, path, body):
    """The /_sim/ endpoints: (status, JSON object)."""
    if path == "/stats" and method == "GET":
        return 200, sim.stats_doc()
    if path == "/reset" and method == "POST":
        sim.reset()
        return 200, {"ok": True}
    if path == "/config" and method == "GET":
        return 200, sim.faults.config()
    if path == "/config" and method == "POST":
        try:
            cfg = faults_mod.validate(json.loads(body.decode("utf-8") or "{}"))
        except ValueError as e:
            return 400, {"ok": False, "error": "config: %s" % e}
        sim.faults.replace(cfg)
        return 200, {"ok": True, "config": cfg}
    if path == "/playlists" and method == "GET":
        return 200, sim.spotify.playlists_doc()
    return 404, {"ok": False, "error": "unknown control endpoint %s %s" % (method, path)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "apisim/1.0"
    timeout = 120  # idle keep-alive connections are closed after this

    def log_message(self, fmt, *args):
        if self.server.sim.verbose:
            sys.stderr.write("apisim: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def read_body(self):
        """The request body (Content-Length or chunked), or BodyError."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise BodyError(400, "Content-Length: not a number: %r" % length)
        if int(length) > MAX_BODY:
            raise BodyError(413, "Content-Length %s over %d bytes" % (length, MAX_BODY))
        return self.rfile.read(int(length))

    def read_chunked(self):
        parts, total = [], 0
        while True:
            line = self.rfile.readline(64).split(b";")[0].strip()
            try:
                size = int(line or b"0", 16)
            except ValueError:
                raise BodyError(400, "chunked body: bad chunk size %r" % line) from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise BodyError(413, "chunked body over %d bytes" % MAX_BODY)
            parts.append(self.rfile.read(size))
            self.rfile.readline(64)

    def dispatch(self):
        sim = self.server.sim
        try:
            body = self.read_body()
        except BodyError as e:
            self.close_connection = True
            self.send(wire.json_response(e.status, {"error": str(e)}))
            return
        url = urllib.parse.urlsplit(self.path)
        prefix, sub = wire.first_segment(url.path)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        if prefix == "_sim":
            status, doc = handle_control(sim, self.command, sub, body)
            self.send(wire.json_response(status, doc))
            return
        provider = sim.providers.get(prefix)
        if provider is None:
            self.send(wire.json_response(404, {
                "error": "apisim: no provider at /%s; prefixes: %s" % (
                    prefix, ", ".join("/" + p for p in sorted(sim.providers)))}))
            return
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port
        req = wire.Request(self.command, sub, query, self.headers, body, self.client_address[0],
                           "http://%s/%s" % (host, prefix))
        try:
            resp = self.answer(sim, provider, req, url.path, query)
        except Exception as e:  # a simulator bug must show as such, not as a dropped connection
            traceback.print_exc(file=sys.stderr)
            sim.stats.served(provider.name, "internal error", 500)
            resp = wire.json_response(500, {"error": "apisim internal error: %r" % e})
        self.send(resp)

    def answer(self, sim, provider, req, full_path, query):
        sim.limiter.arrive(provider.name)
        routed = provider.route(req.method, req.path)
        if routed is None:
            resp = provider.not_found(req)
            sim.stats.served(provider.name, "unknown", resp.status)
            return resp
        endpoint, handler = routed
        canonical = faults_mod.canonical_request(req.method, full_path, query, req.body)
        kind, tag = sim.faults.decide(provider.name, provider.fault_kinds(endpoint), canonical)
        cfg = sim.faults.config()
        if kind:
            sim.stats.fault(provider.name, kind)
        if kind in faults_mod.STATUS_KINDS:
            resp = provider.fault(kind, req, tag)
        else:
            ok, wait = sim.limiter.admit(provider.name, req.client,
                                         cfg["limits"].get(provider.limit))
            if not ok:
                sim.stats.rate_limited(provider.name)
                resp = provider.rate_limited(req, wait, tag)
            else:
                if kind == "slow":
                    sim.stop.wait(cfg["slow_seconds"])
                content = kind if kind in faults_mod.CONTENT_KINDS else None
                resp = handler(req, wire.Context(cfg, content, tag))
                if kind == "malformed":
                    resp.body = wire.malform(resp.body, tag)
                resp.truncate = kind == "truncated"
        sim.stats.served(provider.name, endpoint, resp.status)
        return resp

    def send(self, resp):
        body = resp.body
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2] if resp.truncate else body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timeout) or went away
        if resp.truncate:
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, sim):
        super().__init__(("127.0.0.1", port), Handler)
        self.sim = sim

    def handle_error(self, request, client_address):
        """Clients that drop a connection are normal here; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start(sim, port):
    """A running server (its loop in a daemon thread); stop with stop(server)."""
    server = Server(port, sim)
    thread = threading.Thread(target=server.serve_forever, name="apisim", daemon=True)
    thread.start()
    return server


def stop(server):
    server.sim.stop.set()
    server.shutdown()
    server.server_close()
