"""End to end against the API simulator: enrich and score resolve the songs of
a generated export, a warm rerun makes no HTTP request, MusicBrainz is never
pushed past 1 request/s, injected faults change nothing in the end, and the
server answers track lookups and mood rankings."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import unittest

from mmtest import SOURCE_DIR, Server, Workdir, generate, main

APISIM = os.path.join(SOURCE_DIR, "tools", "apisim.py")
SECRETS = {"SPOTIPY_CLIENT_ID": "sim-client-id", "SPOTIPY_CLIENT_SECRET": "sim-client-secret",
           "LASTFM_API_KEY": "sim-lastfm-key"}


class Simulator:
    def __init__(self, test, *args):
        self.proc = subprocess.Popen([sys.executable, APISIM, "--port", "0", *args],
                                     stdout=subprocess.PIPE, text=True)
        test.addCleanup(self.stop)
        line = self.proc.stdout.readline()
        m = re.match(r"apisim: listening on (http://127\.0\.0\.1:\d+)$", line.strip())
        if not m:
            raise AssertionError("simulator did not start: %r" % line)
        self.base = m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def stats(self):
        with urllib.request.urlopen(self.base + "/_sim/stats", timeout=10) as r:
            return json.load(r)

    def provider_settings(self):
        return {"providers": {
            # the simulator does not rate-limit Spotify and iTunes: go faster there;
            # MusicBrainz keeps its real 1 request/s, which the tests check
            "spotify": {"base_url": self.base + "/spotify",
                        "accounts_url": self.base + "/spotify-accounts",
                        "rate_per_s": 50, "burst": 10},
            "musicbrainz": {"base_url": self.base + "/musicbrainz"},
            "lastfm": {"base_url": self.base + "/lastfm"},
            "itunes": {"base_url": self.base + "/itunes", "rate_per_s": 20, "burst": 5}}}


def stage_counts(run, name):
    for stage in run["stages"]:
        if stage["name"] == name:
            return stage["counts"]
    raise AssertionError("no %s stage in run %s" % (name, run["run_id"]))


def sim_requests(stats):
    """Total requests the simulator answered, all providers."""
    return stats["totals"]["requests"]


class Catalogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mm-e2e-catalogs-")
        cls.data = os.path.join(cls.tmp, "data")
        generate(cls.data, 150, "--seed", 3)
        cls.truth = os.path.join(cls.tmp, "truth.jsonl")
        subprocess.run([sys.executable, APISIM, "--dump-catalog", cls.truth], check=True,
                       capture_output=True, timeout=300)
        cls.expected = {}
        with open(cls.truth) as f:
            for line in f:
                rec = json.loads(line)
                if rec["type"] != "track":
                    continue
                ids = set(rec.get("spotify_ids") or []) | set(rec.get("itunes_ids") or [])
                if rec.get("musicbrainz_id"):
                    ids.add(rec["musicbrainz_id"])
                # Last.fm has no ids: its tracks are known by their canonical names.
                ids.add(("name", rec["title"].lower(), rec["artist"].lower()))
                for mention in rec["mentions"]:
                    key = (mention["title"], mention["artist"])
                    cls.expected.setdefault(key, set()).update(ids)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def workdir(self, sim, **extra):
        sources = [{"kind": "pg_csv", "name": "app",
                    "requests": os.path.join(self.data, "user_requests.csv"),
                    "songs": os.path.join(self.data, "recommended_songs.csv")}]
        w = Workdir(self, sources, secrets=SECRETS, **extra)
        with open(w.config) as f:
            doc = json.load(f)
        doc.update(sim.provider_settings())
        doc["http"] = {"timeout_ms": 2000, "max_attempts": 6, "min_wait_ms": 50,
                       "max_wait_ms": 2000}
        with open(w.config, "w") as f:
            json.dump(doc, f, indent=2)
        return w

    def songs(self):
        with open(os.path.join(self.data, "recommended_songs.csv"), newline="") as f:
            return {(r["title"], r["artist"]) for r in csv.DictReader(f)}

    def resolutions(self, srv):
        """mention → the ids of the track the server resolves it to (None: no track)."""
        out = {}
        conn = srv.connect()
        for title, artist in sorted(self.songs()):
            q = urllib.parse.urlencode({"artist": artist, "title": title})
            status, _, body = srv.request("GET", "/v1/tracks/lookup?" + q, conn=conn)
            self.assertIn(status, (200, 404), body)
            if status == 200:
                track = body["track"]
                ids = set(track["ids"].values())
                ids.update(("name", track["title"].lower(), a.lower()) for a in track["artists"])
                out[(title, artist)] = ids
            else:
                out[(title, artist)] = None
        conn.close()
        return out

    def test_resolve_rerun_and_serve(self):
        sim = Simulator(self)
        w = self.workdir(sim)
        w.run("run")
        run = w.status()[0]
        enrich = stage_counts(run, "enrich")
        total = enrich["mentions_total"]
        self.assertEqual(total, enrich["resolved"] + enrich["unresolved"] + enrich["retryable"])
        self.assertGreaterEqual(enrich["resolved"] / total, 0.95, enrich)
        self.assertEqual(sim.stats()["providers"]["musicbrainz"].get("rate_limited", 0), 0)

        srv = Server(self, w)
        got = self.resolutions(srv)
        false = [(m, ids) for m, ids in got.items()
                 if ids is not None and m in self.expected and not ids & self.expected[m]]
        self.assertEqual(false, [], "mentions resolved to the wrong track")

        status, body = srv.get("/v1/moods/chill/tracks?limit=5")
        self.assertEqual(status, 200, body)
        self.assertLessEqual(len(body["tracks"]), 5)
        fits = [t["fit"] for t in body["tracks"]]
        self.assertEqual(fits, sorted(fits, reverse=True))
        status, body = srv.get("/v1/moods/chill/tracks?popularity=nonsense")
        self.assertEqual((status, body["error_code"]), (400, "BAD_PARAMETER"))
        srv.stop()

        before = sim_requests(sim.stats())
        w.run("run")
        self.assertEqual(stage_counts(w.status()[0], "enrich")["http_requests"], 0)
        self.assertEqual(stage_counts(w.status()[0], "score")["http_requests"], 0)
        self.assertEqual(sim_requests(sim.stats()), before)

    def test_faults_change_nothing_in_the_end(self):
        clean_sim = Simulator(self)
        clean = self.workdir(clean_sim)
        clean.run("run")
        srv = Server(self, clean)
        want = self.resolutions(srv)
        srv.stop()

        faulty_sim = Simulator(self, "--fault-rate", "0.2", "--seed", "9")
        w = self.workdir(faulty_sim)
        w.run("run")
        first = stage_counts(w.status()[0], "enrich")
        listed = set()
        path = w.path("reports", w.status()[0]["run_id"], "enrich_retryable.csv")
        if os.path.exists(path):
            with open(path, newline="") as f:
                listed = {(r["title"], r["artist"]) for r in csv.DictReader(f)}
        self.assertEqual(len(listed), first["retryable"])
        srv = Server(self, w)
        got = self.resolutions(srv)
        srv.stop()
        for mention, ids in got.items():
            if mention in listed:
                continue
            self.assertEqual(ids, want[mention], mention)

        w.run("run")  # the retryable ones are looked up again
        self.assertEqual(stage_counts(w.status()[0], "enrich")["retryable"], 0)
        srv = Server(self, w)
        self.assertEqual(self.resolutions(srv), want)


if __name__ == "__main__":
    main()
