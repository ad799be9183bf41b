#!/usr/bin/env python3
"""Scriptable HTTP/1.1 test server for tests/common/test_http*.c and the
provider tests (tests/pipeline/test_provider_*.c).

Listens on 127.0.0.1 at a random port, prints the port on stdout, and exits
when its stdin closes (so it never outlives the test). Routes:

  /echo           200 JSON: method, path, headers, body and connection number
  /stats          200 JSON: connections accepted, requests, hits per key
  /seq/KEY?s=STEP,STEP,...
                  the n-th request to KEY plays STEP n (the last one repeats).
                  STEP is STATUS[;OPTION]... with options
                    ra=V        Retry-After: V (delta-seconds, as given)
                    date=EPOCH  Retry-After: the HTTP-date of EPOCH
                    sleep=MS    wait before answering
                    trunc       announce 100 bytes, send 10, close
                    bytes=N     a body of N bytes (with Content-Length)
                    stream=N    N bytes without Content-Length, then close
                    body=NAME   a canned body (BODIES below)
                    delay=D     the retryDelay of the gemini bodies ("2s")

With `--canned DIR` (provider tests) it also serves canned answers:

  /canned/SET/SCENARIO/PATH?QUERY
                  answered by the first rule of SCENARIO in DIR/SET/routes.json
                  whose method, path and query match; the n-th request matching
                  a rule gets its n-th reply (the last one repeats). 501 when
                  no rule matches.
  /canned-log     200 JSON: every canned request since the last reset, in order
                  (method, set, scenario, path, decoded query, authorization,
                  user_agent, body)
  /canned-reset   forgets the log and the per-rule counters

routes.json maps a scenario to its rules:
  {"SCENARIO": [
     {"method": "GET", "path": "/v1/search",
      "query": {"q": "track:\"T\"", "artist": null},   # null: must be absent
      "reply": [{"status": 429, "headers": {"Retry-After": "1"}, "file": "e.json"},
                {"status": 200, "file": "search.json"}]},
     {"use": "OTHER_SCENARIO"}]}                       # splices its rules
A reply body is "file" (relative to DIR/SET) or "raw" (text as is).
"""
import email.utils
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {"connections": 0, "requests": 0, "hits": {}}
CANNED = {"dir": None, "hits": {}, "log": []}


def gemini(quota_id, delay):
    return [{"error": {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaMetric": "generativelanguage.googleapis.com/requests",
                             "quotaId": quota_id}]},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
        ]}}]


BODIES = {
    "lastfm29": lambda d: {"error": 29, "message": "Rate Limit Exceeded"},
    "lastfm6": lambda d: {"error": 6, "message": "Track not found", "links": []},
    "lastfm10": lambda d: {"error": 10, "message": "Invalid API key"},
    "lastfm16": lambda d: {"error": 16, "message": "Temporary error"},
    "gemini_minute": lambda d: gemini("GenerateRequestsPerMinutePerProjectPerModel", d),
    "gemini_day": lambda d: gemini("GenerateRequestsPerDayPerProjectPerModel-FreeTier", d),
    "openai_quota": lambda d: {"error": {"message": "You exceeded your current quota",
                                         "type": "insufficient_quota", "param": None,
                                         "code": "insufficient_quota"}},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

    def setup(self):
        super().setup()
        with LOCK:
            STATE["connections"] += 1
            self.conn_no = STATE["connections"]

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, headers=(), length=True):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        body = self.read_body()
        url = urlsplit(self.path)
        with LOCK:
            STATE["requests"] += 1
        if url.path == "/echo":
            doc = {"method": self.command, "path": self.path, "connection": self.conn_no,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("utf-8", "replace")}
            self.send(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])
        elif url.path == "/stats":
            with LOCK:
                doc = json.dumps(STATE).encode()
            self.send(200, doc, [("Content-Type", "application/json")])
        elif CANNED["dir"] and url.path == "/canned-reset":
            with LOCK:
                CANNED["hits"].clear()
                CANNED["log"].clear()
            self.send(200, b"{}", [("Content-Type", "application/json")])
        elif CANNED["dir"] and url.path == "/canned-log":
            with LOCK:
                doc = json.dumps(CANNED["log"]).encode()
            self.send(200, doc, [("Content-Type", "application/json")])
        elif CANNED["dir"] and url.path.startswith("/canned/"):
            self.canned(url, body)
        elif url.path.startswith("/seq/"):
            key = url.path[5:]
            steps = parse_qs(url.query).get("s", ["200"])[0].split(",")
            with LOCK:
                hit = STATE["hits"].get(key, 0)
                STATE["hits"][key] = hit + 1
            self.play(steps[min(hit, len(steps) - 1)], hit)
        else:
            self.send(404, b'{"error":"Not Found"}', [("Content-Type", "application/json")])

    def canned(self, url, body):
        parts = url.path.split("/", 4)  # "", "canned", SET, SCENARIO, PATH
        if len(parts) < 5 or ".." in parts[2]:
            self.send(400, b'{"error":"bad canned path"}', [("Content-Type", "application/json")])
            return
        cset, scenario, path = parts[2], parts[3], "/" + parts[4]
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        entry = {"method": self.command, "set": cset, "scenario": scenario, "path": path,
                 "query": query, "authorization": self.headers.get("Authorization"),
                 "user_agent": self.headers.get("User-Agent"),
                 "body": body.decode("utf-8", "replace")}
        base = os.path.join(CANNED["dir"], cset)
        with open(os.path.join(base, "routes.json"), encoding="utf-8") as f:
            routes = json.load(f)
        with LOCK:
            CANNED["log"].append(entry)
            found = None
            for key, rule in rules_of(routes, scenario):
                if rule_matches(rule, self.command, path, query):
                    hit = CANNED["hits"].get((cset, key), 0)
                    CANNED["hits"][(cset, key)] = hit + 1
                    found = rule["reply"][min(hit, len(rule["reply"]) - 1)]
                    break
        if found is None:
            msg = json.dumps({"error": "no canned route", "request": entry}).encode()
            self.send(501, msg, [("Content-Type", "application/json")])
            return
        headers = [("Content-Type", found.get("content_type", "application/json"))]
        headers += list(found.get("headers", {}).items())
        if "file" in found:
            with open(os.path.join(base, found["file"]), "rb") as f:
                payload = f.read()
        else:
            payload = found.get("raw", "").encode()
        self.send(found.get("status", 200), payload, headers)

    def play(self, step, hit):
        parts = step.split(";")
        status = int(parts[0])
        opts = dict(p.split("=", 1) if "=" in p else (p, "") for p in parts[1:])
        headers = [("Content-Type", "application/json")]
        if "ra" in opts:
            headers.append(("Retry-After", opts["ra"]))
        if "date" in opts:
            headers.append(("Retry-After", email.utils.formatdate(int(opts["date"]), usegmt=True)))
        if "sleep" in opts:
            time.sleep(int(opts["sleep"]) / 1000)
        body = json.dumps({"hit": hit, "status": status}).encode()
        if "body" in opts:
            body = json.dumps(BODIES[opts["body"]](opts.get("delay", "1s"))).encode()
        if "trunc" in opts:
            self.send_response(status)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
        elif "bytes" in opts:
            self.send(status, b"x" * int(opts["bytes"]), headers)
        elif "stream" in opts:
            self.send(status, b"y" * int(opts["stream"]), headers + [("Connection", "close")],
                      length=False)
            self.close_connection = True
        else:
            self.send(status, body, headers)

    def handle_one(self):
        try:
            self.route()
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = handle_one


def rules_of(routes, scenario, seen=()):
    """(key, rule) of a scenario in order, with {"use": ...} entries spliced."""
    if scenario in seen:
        return
    for i, rule in enumerate(routes.get(scenario, [])):
        if "use" in rule:
            yield from rules_of(routes, rule["use"], seen + (scenario,))
        else:
            yield (scenario, i), rule


def rule_matches(rule, method, path, query):
    if rule.get("method", "GET") != method or rule.get("path") != path:
        return False
    for name, want in rule.get("query", {}).items():
        if query.get(name) != want:
            return False
    return True


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--canned":
        CANNED["dir"] = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
