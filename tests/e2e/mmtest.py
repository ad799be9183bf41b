"""Shared helpers of the end-to-end tests: run the real binaries, start the
server, speak HTTP to it. Standard library only."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get(
    "MM_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN_DIR = os.environ.get("MM_BIN_DIR", os.path.join(SOURCE_DIR, "build"))
MOODMUSIC = os.path.join(BIN_DIR, "moodmusic")
SERVE = os.path.join(BIN_DIR, "moodmusic-serve")
GEN_SAMPLE = os.path.join(SOURCE_DIR, "tools", "gen_sample.py")


SECRET_VARS = ("GEMINI_API_KEY", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET",
               "SPOTIFY_REFRESH_TOKEN", "LASTFM_API_KEY")


class Workdir:
    """A temporary folder with a config whose paths live inside it.

    Without `secrets`, moodmusic runs with no provider credentials and only
    Spotify in the provider order, so the enrich stage makes no request and
    leaves its mentions pending: the backbone tests need no simulator."""

    def __init__(self, test, sources=None, secrets=None, **overrides):
        self.secrets = secrets
        self.dir = tempfile.mkdtemp(prefix="mm-e2e-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.config = os.path.join(self.dir, "moodmusic.json")
        doc = {
            "paths": {"state": "state", "snapshots": "snapshots", "reports": "reports"},
            "log": {"level": "info", "file": "moodmusic.log"},
            "ingest": {"sources": sources or []},
            "serve": {"listen": "127.0.0.1:0", "threads": 2, "reload_poll_ms": 100},
        }
        if secrets is None:
            doc["providers"] = {"order": ["spotify"]}
        for dotted, value in overrides.items():
            node = doc
            keys = dotted.split("__")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = value
        with open(self.config, "w") as f:
            json.dump(doc, f, indent=2)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
        env.update(self.secrets or {})
        return env

    def run(self, *args, check=True, timeout=600):
        """Runs `moodmusic -c CONFIG ARGS`; returns the CompletedProcess."""
        proc = subprocess.run([MOODMUSIC, "-c", self.config, *args], capture_output=True,
                              text=True, timeout=timeout, env=self.env())
        if check and proc.returncode != 0:
            raise AssertionError("moodmusic %s exited %d\nstdout:\n%s\nstderr:\n%s\nlog:\n%s" % (
                " ".join(args), proc.returncode, proc.stdout, proc.stderr[-4000:],
                self.log_tail()))
        return proc

    def log_tail(self, n=40):
        try:
            with open(self.path("moodmusic.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def log_events(self):
        with open(self.path("moodmusic.log")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def status(self):
        """Run manifests, newest first."""
        out = self.run("status", "--json").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def current_snapshot(self):
        return os.readlink(self.path("snapshots", "current"))


def generate(out_dir, requests, *extra):
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([sys.executable, GEN_SAMPLE, "--out", out_dir, "--requests", str(requests),
                    *map(str, extra)], check=True, capture_output=True, timeout=600)


class Server:
    """moodmusic-serve on an ephemeral port; stopped with SIGTERM at cleanup."""

    def __init__(self, test, workdir, *args):
        self.proc = subprocess.Popen([SERVE, "-c", workdir.config, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        test.addCleanup(self.stop)
        line = self.proc.stdout.readline()
        if "listening on http://" not in line:
            self.stop()
            raise AssertionError("server did not start: %r %s" % (line, self.proc.stderr.read()))
        self.banner = line.strip()
        hostport = line.split("http://", 1)[1].split()[0]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return self.proc.returncode

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def request(self, method, path, conn=None, body=None, headers=None):
        """Returns (status, headers dict, parsed JSON or None for HEAD)."""
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, (json.loads(raw) if raw else None)
        finally:
            if own:
                conn.close()

    def get(self, path):
        status, _, body = self.request("GET", path)
        return status, body

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


def main():
    unittest.main(verbosity=2)
