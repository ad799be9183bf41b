"""End-to-end checks of tools/apisim, the offline API simulator.

The simulator runs as a separate process on an ephemeral port, started and
stopped here through its launcher (tools/apisim.py), and is spoken to over HTTP
with http.client only. Shapes are checked against the documented fields and
types of the real services (shared reference external-apis.md, mirrored in
docs/apisim.md). The catalog's ground truth (--dump-catalog) is cross-checked
against what the endpoints serve and against the bundled sample export.
Standard library only.
"""

import base64
import csv
import http.client
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

SOURCE_DIR = os.environ.get(
    "MM_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
APISIM = os.path.join(SOURCE_DIR, "tools", "apisim.py")
SAMPLE_SONGS = os.path.join(SOURCE_DIR, "data", "sample", "recommended_songs.csv")
SAMPLE_REJECTS = os.path.join(SOURCE_DIR, "data", "sample", "expected_rejects.csv")
UA = "moodmusic-tests/1.0 ( tests@example.org )"
BASIC = "Basic " + base64.b64encode(b"sim-client-id:sim-client-secret").decode()
LFM_KEY = "sim-lastfm-key"
LLM_KEY = {"Authorization": "Bearer sim-gemini-key"}
LISTENING = re.compile(r"^apisim: listening on http://127\.0\.0\.1:(\d+)\n$")
CHAT = {"llm": "/llm/v1/chat/completions", "gemini": "/gemini/v1beta/openai/chat/completions",
        "openai": "/openai/v1/chat/completions"}
MODEL = {"llm": "llama3.2:3b", "gemini": "gemini-2.5-flash", "openai": "gpt-4o-mini"}
# Generous limits for the tests that are not about rate limiting.
NO_LIMITS = {"limits": {"musicbrainz": {"requests": 1000}, "lastfm": {"requests": 1000}}}


class Simulator:
    """One simulator process and a small HTTP helper around it."""

    def __init__(self, *args):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, APISIM, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        m = LISTENING.match(line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("apisim did not start: %r %s" % (line, self.errors()))
        self.port = int(m.group(1))

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self, sig=signal.SIGTERM):
        """(exit code, what it printed after the first line, what it printed on stderr)."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=15)
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        errors = self.errors()
        self.stderr.close()
        return code, rest, errors

    def call(self, method, path, body=None, headers=None, form=None, timeout=10, raw=None):
        """(status, headers dict (lower-case names), body bytes) over a fresh connection."""
        h = dict(headers or {})
        data = raw
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            conn.close()

    def json(self, method, path, **kw):
        status, headers, payload = self.call(method, path, **kw)
        return status, json.loads(payload.decode("utf-8")), headers

    def configure(self, doc):
        status, body, _ = self.json("POST", "/_sim/config", body=doc)
        assert status == 200, body
        return body

    def stats(self):
        return self.json("GET", "/_sim/stats")[1]

    def provider_stats(self, name):
        return self.stats()["providers"].get(name, {})


SIM = None
TMP = None
DUMP = None


def setUpModule():
    global SIM, TMP, DUMP
    TMP = tempfile.mkdtemp(prefix="mm-apisim-")
    path = os.path.join(TMP, "catalog.jsonl")
    proc = subprocess.run([sys.executable, APISIM, "--dump-catalog", path], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError("--dump-catalog failed: %s" % proc.stderr)
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    DUMP = {"summary": records[0], "tracks": [r for r in records if r["type"] == "track"],
            "pairs": [r for r in records if r["type"] == "must_not_match"]}
    SIM = Simulator()


def tearDownModule():
    code, rest, errors = SIM.stop()
    shutil.rmtree(TMP, True)
    if code != 0 or rest or errors:
        raise AssertionError("apisim exited %d after SIGTERM (stdout %r, stderr %r)"
                             % (code, rest, errors))


def sample_songs():
    """The valid rows of the bundled recommended_songs.csv (its bad rows, listed in
    expected_rejects.csv, left out)."""
    with open(SAMPLE_REJECTS, encoding="utf-8", newline="") as f:
        bad = {int(r["line"]) for r in csv.DictReader(f) if r["file"] == "recommended_songs.csv"}
    rows = []
    with open(SAMPLE_SONGS, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        start = reader.line_num + 1
        for record in reader:
            if start not in bad:
                rows.append(dict(zip(header, record)))
            start = reader.line_num + 1
    return rows


def tracks_of(coverage, real=None):
    return [t for t in DUMP["tracks"] if t["coverage"] == coverage
            and (real is None or t["real"] == real)]


def by_key(key):
    return next(t for t in DUMP["tracks"] if t["key"] == key)


def app_token(sim=None):
    status, body, _ = (sim or SIM).json("POST", "/spotify-accounts/api/token",
                                        form={"grant_type": "client_credentials"},
                                        headers={"Authorization": BASIC})
    assert status == 200, body
    return body["access_token"]


def user_token(sim=None):
    status, body, _ = (sim or SIM).json("POST", "/spotify-accounts/api/token",
                                        form={"grant_type": "refresh_token",
                                              "refresh_token": "sim-refresh-token"},
                                        headers={"Authorization": BASIC})
    assert status == 200, body
    return body["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def qs(**params):
    return urllib.parse.urlencode(params)


class SimTest(unittest.TestCase):
    """Each test starts from the default configuration (with generous rate
    limits) and zeroed counters."""
    config = NO_LIMITS

    def setUp(self):
        SIM.configure(self.config)
        SIM.call("POST", "/_sim/reset")

    def tearDown(self):
        SIM.configure(NO_LIMITS)

    def assertTypes(self, obj, spec, where=""):
        for name, kind in spec.items():
            self.assertIn(name, obj, "%s.%s missing" % (where, name))
            self.assertIsInstance(obj[name], kind, "%s.%s: %r" % (where, name, obj[name]))


class TestServer(SimTest):
    def test_keep_alive_and_content_length(self):
        conn = http.client.HTTPConnection("127.0.0.1", SIM.port, timeout=10)
        try:
            for _ in range(3):
                conn.request("GET", "/itunes/search?" + qs(term="jolene", media="music",
                                                           entity="song"))
                resp = conn.getresponse()
                body = resp.read()
                self.assertEqual(resp.status, 200)
                self.assertEqual(int(resp.getheader("Content-Length")), len(body))
                self.assertNotEqual((resp.getheader("Connection") or "").lower(), "close")
        finally:
            conn.close()

    def test_unknown_prefix_and_path(self):
        status, body, _ = SIM.json("GET", "/nope/x")
        self.assertEqual(status, 404)
        self.assertIn("/spotify", body["error"])
        status, body, _ = SIM.json("GET", "/musicbrainz/ws/2/artist/x")
        self.assertEqual((status, body["error"]), (404, "Not Found"))

    def test_config_validation_names_the_key(self):
        status, body, _ = SIM.json("POST", "/_sim/config",
                                   body={"providers": {"spotify": {"rate": 2}}})
        self.assertEqual(status, 400)
        self.assertIn("providers.spotify.rate", body["error"])
        status, body, _ = SIM.json("POST", "/_sim/config",
                                   body={"providers": {"itunes": {"kinds": {"empty": 1}}}})
        self.assertEqual(status, 400)
        self.assertIn("providers.itunes.kinds.empty", body["error"])
        status, body, _ = SIM.json("POST", "/_sim/config", body={"spotify": {"colour": 1}})
        self.assertEqual(status, 400)
        self.assertIn("spotify.colour", body["error"])

    def test_counters_and_reset(self):
        token = app_token()
        SIM.call("GET", "/spotify/v1/tracks/" + "0" * 22, headers=bearer(token))
        SIM.call("GET", "/spotify/v1/search?q=x&type=track&limit=11", headers=bearer(token))
        SIM.call("GET", "/spotify/v1/search?q=x&type=track&limit=2", headers=bearer(token))
        st = SIM.provider_stats("spotify")
        self.assertEqual(st["requests"], 3)
        self.assertEqual(st["endpoints"]["GET /v1/search"], {"400": 1, "200": 1})
        self.assertEqual(st["endpoints"]["GET /v1/tracks/{id}"], {"404": 1})
        self.assertEqual(SIM.provider_stats("spotify-accounts")["counters"]["tokens_issued"], 1)
        SIM.call("POST", "/_sim/reset")
        self.assertEqual(SIM.stats()["totals"], {"requests": 0, "faults": 0, "rate_limited": 0})


class TestSpotify(SimTest):
    TRACK = {"id": str, "name": str, "uri": str, "href": str, "type": str, "duration_ms": int,
             "explicit": bool, "disc_number": int, "track_number": int, "is_local": bool,
             "is_playable": bool, "artists": list, "album": dict, "external_ids": dict,
             "external_urls": dict, "popularity": int}
    ALBUM = {"id": str, "name": str, "album_type": str, "total_tracks": int, "release_date": str,
             "release_date_precision": str, "images": list, "artists": list,
             "external_urls": dict, "uri": str}
    ARTIST = {"id": str, "name": str, "uri": str, "href": str, "external_urls": dict, "type": str}

    def check_track(self, t):
        self.assertTypes(t, self.TRACK, "track")
        self.assertRegex(t["id"], r"^[0-9A-Za-z]{22}$")
        self.assertEqual((t["type"], t["uri"]), ("track", "spotify:track:" + t["id"]))
        self.assertTrue(0 <= t["popularity"] <= 100)
        self.assertRegex(t["external_ids"]["isrc"], r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
        self.assertEqual(t["external_urls"]["spotify"], "https://open.spotify.com/track/" + t["id"])
        self.assertIn(t["preview_url"].__class__, (str, type(None)))
        self.assertTypes(t["album"], self.ALBUM, "album")
        self.assertIn(t["album"]["album_type"], ("album", "single", "compilation"))
        self.assertIn(t["album"]["release_date_precision"], ("year", "month", "day"))
        for img in t["album"]["images"]:
            self.assertTypes(img, {"url": str, "height": int, "width": int}, "image")
        for a in t["artists"]:
            self.assertTypes(a, self.ARTIST, "artist")

    def test_client_credentials_token(self):
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token",
                                   form={"grant_type": "client_credentials"},
                                   headers={"Authorization": BASIC})
        self.assertEqual(status, 200)
        self.assertTypes(body, {"access_token": str, "token_type": str, "expires_in": int})
        self.assertEqual((body["token_type"], body["expires_in"]), ("bearer", 3600))
        self.assertNotIn("refresh_token", body)
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token",
                                   form={"grant_type": "client_credentials",
                                         "client_id": "sim-client-id",
                                         "client_secret": "sim-client-secret"})
        self.assertEqual(status, 200, "credentials in the form are accepted too")

    def test_token_errors(self):
        bad = "Basic " + base64.b64encode(b"sim-client-id:wrong").decode()
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token",
                                   form={"grant_type": "client_credentials"},
                                   headers={"Authorization": bad})
        self.assertEqual((status, body), (400, {"error": "invalid_client",
                                                "error_description": "Invalid client"}))
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token", form={},
                                   headers={"Authorization": BASIC})
        self.assertEqual((status, body["error"]), (400, "unsupported_grant_type"))
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token",
                                   form={"grant_type": "refresh_token", "refresh_token": "old"},
                                   headers={"Authorization": BASIC})
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))

    def test_refresh_token_grant(self):
        status, body, _ = SIM.json("POST", "/spotify-accounts/api/token",
                                   form={"grant_type": "refresh_token",
                                         "refresh_token": "sim-refresh-token"},
                                   headers={"Authorization": BASIC})
        self.assertEqual(status, 200)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertIn("playlist-modify-private", body["scope"].split())
        self.assertEqual(body["expires_in"], 3600)

    def test_bearer_required(self):
        status, body, _ = SIM.json("GET", "/spotify/v1/tracks/" + "0" * 22)
        self.assertEqual((status, body["error"]["status"]), (401, 401))
        status, body, _ = SIM.json("GET", "/spotify/v1/tracks/" + "0" * 22,
                                   headers=bearer("BQnotatoken"))
        self.assertEqual((status, body["error"]["message"]), (401, "Invalid access token"))

    def test_search_shape_and_paging(self):
        token = app_token()
        q = 'track:"Here Comes the Sun" artist:"Beatles"'
        status, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q=q, type="track",
                                                                      market="US", limit=1),
                                   headers=bearer(token))
        self.assertEqual(status, 200)
        page = body["tracks"]
        self.assertTypes(page, {"href": str, "limit": int, "offset": int, "total": int,
                                "items": list})
        self.assertEqual((page["limit"], page["offset"], page["previous"]), (1, 0, None))
        self.assertEqual(len(page["items"]), 1)
        first = page["items"][0]
        self.check_track(first)
        self.assertEqual((first["name"], first["artists"][0]["name"]),
                         ("Here Comes the Sun", "The Beatles"))
        self.assertGreater(page["total"], 1)
        nxt = urllib.parse.urlsplit(page["next"])
        self.assertEqual(nxt.port, SIM.port, "next links point back at the simulator")
        status, body2, _ = SIM.json("GET", nxt.path + "?" + nxt.query, headers=bearer(token))
        self.assertEqual((status, body2["tracks"]["offset"]), (200, 1))
        second = body2["tracks"]["items"][0]
        self.check_track(second)
        self.assertNotEqual(second["id"], first["id"])
        status, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q="jolene", type="track"),
                                   headers=bearer(token))
        self.assertEqual(body["tracks"]["limit"], 5, "default limit is 5")

    def test_search_limit_over_10_is_400(self):
        token = app_token()
        status, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q="love", type="track",
                                                                      limit=11),
                                   headers=bearer(token))
        self.assertEqual((status, body["error"]["status"]), (400, 400))
        status, _, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q="love", type="track",
                                                                   limit=10),
                                headers=bearer(token))
        self.assertEqual(status, 200)
        status, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q="love"),
                                   headers=bearer(token))
        self.assertEqual((status, body["error"]["message"]), (400, "Missing parameter type"))

    def test_search_folds_variants_to_canonical_spelling(self):
        token = app_token()
        status, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(
            q='track:"hoppipolla" artist:"Sigur Ros"', type="track"), headers=bearer(token))
        top = body["tracks"]["items"][0]
        self.assertEqual((top["name"], top["artists"][0]["name"]), ("Hoppípolla", "Sigur Rós"))

    def test_tracks_by_id_resolve_sample_export(self):
        token = app_token()
        served = {i for t in DUMP["tracks"] if t["providers"]["spotify"] for i in t["spotify_ids"]}
        every = {i for t in DUMP["tracks"] for i in t["spotify_ids"] + t["itunes_ids"]}
        songs = sample_songs()
        self.assertEqual([r["spotify_track_id"] for r in songs
                          if r["spotify_track_id"] and r["spotify_track_id"] not in every], [],
                         "every id of the bundled export is a release of the catalog")
        rows = [r for r in songs if re.match(r"^[0-9A-Za-z]{22}$", r["spotify_track_id"])]
        self.assertGreater(len(rows), 20)
        resolvable = [r for r in rows if r["spotify_track_id"] in served]
        self.assertGreater(len(resolvable), 0.8 * len(rows))
        for r in resolvable[:5]:
            status, t, _ = SIM.json("GET", "/spotify/v1/tracks/" + r["spotify_track_id"],
                                    headers=bearer(token))
            self.assertEqual(status, 200)
            self.check_track(t)
            self.assertEqual((t["name"], t["artists"][0]["name"], t["duration_ms"]),
                             (r["title"], r["artist"], int(r["duration_ms"])))
        ids = [r["spotify_track_id"] for r in resolvable[:3]] + ["0" * 22]
        status, body, _ = SIM.json("GET", "/spotify/v1/tracks?ids=" + ",".join(ids),
                                   headers=bearer(token))
        self.assertEqual(status, 200)
        self.assertEqual([t and t["id"] for t in body["tracks"]], ids[:3] + [None])
        status, _, _ = SIM.json("GET", "/spotify/v1/tracks?ids=" + ",".join(["0" * 22] * 51),
                                headers=bearer(token))
        self.assertEqual(status, 400)
        status, _, _ = SIM.json("GET", "/spotify/v1/tracks/bad-id", headers=bearer(token))
        self.assertEqual(status, 400)

    def test_audio_features_and_403_switch(self):
        token = app_token()
        t = tracks_of("all", real=True)[0]
        ids = t["spotify_ids"][:1] + ["0" * 22]
        status, body, _ = SIM.json("GET", "/spotify/v1/audio-features?ids=" + ",".join(ids),
                                   headers=bearer(token))
        self.assertEqual(status, 200)
        af, missing = body["audio_features"]
        self.assertIsNone(missing)
        for name in ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
                     "liveness", "valence"):
            self.assertTrue(0.0 <= af[name] <= 1.0, name)
        self.assertTrue(-60 <= af["loudness"] <= 0)
        self.assertIsInstance(af["tempo"], float)
        self.assertIn(af["key"], range(-1, 12))
        self.assertIn(af["mode"], (0, 1))
        self.assertIn(af["time_signature"], range(3, 8))
        self.assertEqual((af["type"], af["id"]), ("audio_features", ids[0]))
        self.assertEqual(af["energy"], t["features"]["energy"])
        status, one, _ = SIM.json("GET", "/spotify/v1/audio-features/" + ids[0],
                                  headers=bearer(token))
        self.assertEqual((status, one), (200, af))
        SIM.configure(dict(NO_LIMITS, spotify={"audio_features_403": True}))
        for path in ("/spotify/v1/audio-features?ids=" + ids[0],
                     "/spotify/v1/audio-features/" + ids[0]):
            status, _, raw = SIM.call("GET", path, headers=bearer(token))
            self.assertEqual((status, json.loads(raw)), (403, {"error": {"status": 403}}))
        SIM.configure(NO_LIMITS)
        status, _, _ = SIM.json("GET", "/spotify/v1/audio-features/" + ids[0],
                                headers=bearer(token))
        self.assertEqual(status, 200)

    def test_playlists(self):
        status, body, _ = SIM.json("POST", "/spotify/v1/me/playlists", body={"name": "x"},
                                   headers=bearer(app_token()))
        self.assertEqual(status, 401, "an app token cannot create playlists")
        auth = bearer(user_token())
        status, pl, _ = SIM.json("POST", "/spotify/v1/me/playlists",
                                 body={"name": "rainy day", "public": False,
                                       "description": "from apisim tests"}, headers=auth)
        self.assertEqual(status, 201)
        self.assertTypes(pl, {"id": str, "name": str, "public": bool, "snapshot_id": str,
                              "owner": dict, "uri": str, "items": dict})
        self.assertEqual((pl["name"], pl["public"], pl["items"]["total"]), ("rainy day", False, 0))
        status, body, _ = SIM.json("POST", "/spotify/v1/me/playlists", body={"public": True},
                                   headers=auth)
        self.assertEqual(status, 400)
        uris = ["spotify:track:" + t["spotify_ids"][0] for t in tracks_of("all", real=True)[:3]]
        path = "/spotify/v1/playlists/%s/items" % pl["id"]
        status, body, _ = SIM.json("POST", path, body={"uris": uris}, headers=auth)
        self.assertEqual(status, 201)
        self.assertIsInstance(body["snapshot_id"], str)
        self.assertNotEqual(body["snapshot_id"], pl["snapshot_id"])
        status, _, _ = SIM.json("POST", path, body={"uris": uris[:1] * 101}, headers=auth)
        self.assertEqual(status, 400)
        status, _, _ = SIM.json("POST", path, body={"uris": ["spotify:album:x"]}, headers=auth)
        self.assertEqual(status, 400)
        status, _, _ = SIM.json("POST", "/spotify/v1/playlists/%s/items" % ("0" * 22),
                                body={"uris": uris}, headers=auth)
        self.assertEqual(status, 404)
        status, _, _ = SIM.json("POST", "/spotify/v1/playlists/%s/tracks" % pl["id"],
                                body={"uris": uris}, headers=auth)
        self.assertEqual(status, 403, "the removed /tracks endpoint")
        _, everything, _ = SIM.json("GET", "/_sim/playlists")
        self.assertEqual(everything[pl["id"]]["uris"], uris)
        self.assertEqual(SIM.provider_stats("spotify")["counters"],
                         {"playlists_created": 1, "items_added": 3})


class TestSpotifyProcessSwitches(unittest.TestCase):
    """Command-line switches, on a second process (stopped with SIGINT)."""

    def test_audio_403_flag_token_expiry_and_sigint(self):
        sim = Simulator("--audio-features-403", "--token-lifetime", "1", "--seed", "7")
        try:
            token = app_token(sim)
            t = tracks_of("all", real=True)[0]["spotify_ids"][0]
            status, body, _ = sim.json("GET", "/spotify/v1/audio-features?ids=" + t,
                                       headers=bearer(token))
            self.assertEqual((status, body), (403, {"error": {"status": 403}}))
            self.assertEqual(sim.json("GET", "/_sim/config")[1]["seed"], 7)
            time.sleep(1.2)
            status, body, headers = sim.json("GET", "/spotify/v1/tracks/" + t,
                                             headers=bearer(token))
            self.assertEqual((status, body["error"]["message"]),
                             (401, "The access token expired"))
            self.assertIn("invalid_token", headers["www-authenticate"])
        finally:
            code, _, errors = sim.stop(signal.SIGINT)
        self.assertEqual((code, errors), (0, ""))


class TestMusicBrainz(SimTest):
    H = {"User-Agent": UA}

    def search(self, query, **extra):
        return SIM.json("GET", "/musicbrainz/ws/2/recording?" + qs(query=query, fmt="json",
                                                                    **extra), headers=self.H)

    def test_user_agent_required(self):
        status, body, _ = SIM.json("GET", "/musicbrainz/ws/2/recording?" + qs(query="x",
                                                                               fmt="json"))
        self.assertEqual(status, 403)
        self.assertIn("User-Agent", body["error"])
        status, _, _ = SIM.json("GET", "/musicbrainz/ws/2/recording?" + qs(query="x", fmt="json"),
                                headers={"User-Agent": "python-requests/2.31.0"})
        self.assertEqual(status, 403)

    def test_search_shape_and_scores(self):
        status, body, _ = self.search('recording:"Hoppipolla" AND artist:"Sigur Ros"', limit=5)
        self.assertEqual(status, 200)
        self.assertTypes(body, {"created": str, "count": int, "offset": int, "recordings": list})
        rec = body["recordings"][0]
        self.assertTypes(rec, {"id": str, "score": int, "title": str, "artist-credit": list,
                               "releases": list, "isrcs": list})
        self.assertEqual((rec["title"], rec["score"]), ("Hoppípolla", 100))
        credit = rec["artist-credit"][0]
        self.assertTypes(credit, {"name": str, "artist": dict})
        self.assertTypes(credit["artist"], {"id": str, "name": str, "sort-name": str})
        release = rec["releases"][0]
        self.assertTypes(release, {"id": str, "title": str, "status": str, "release-group": dict,
                                   "media": list, "track-count": int})
        self.assertIn(rec["length"].__class__, (int, type(None)))
        truth = next(t for t in DUMP["tracks"] if t["title"] == "Hoppípolla")
        self.assertEqual(rec["id"], truth["musicbrainz_id"])
        self.assertEqual(rec["isrcs"], [truth["isrc"]])

    def test_escaped_phrase_and_no_match(self):
        status, body, _ = self.search('recording:"\\"Heroes\\"" AND artist:"David Bowie"')
        self.assertEqual(body["recordings"][0]["title"], '"Heroes"')
        status, body, _ = self.search('recording:"zzqx nothing like it" AND artist:"nobody qq"')
        self.assertEqual((status, body["count"], body["recordings"]), (200, 0, []))
        status, body, _ = SIM.json("GET", "/musicbrainz/ws/2/recording?fmt=json", headers=self.H)
        self.assertEqual(status, 400)
        self.assertTypes(body, {"error": str, "help": str})

    def test_lookups(self):
        t = tracks_of("all", real=True)[3]
        status, rec, _ = SIM.json("GET", "/musicbrainz/ws/2/recording/%s?%s" % (
            t["musicbrainz_id"], qs(inc="artists+releases+isrcs", fmt="json")), headers=self.H)
        self.assertEqual((status, rec["title"], rec["isrcs"]), (200, t["title"], [t["isrc"]]))
        status, body, _ = SIM.json("GET", "/musicbrainz/ws/2/isrc/%s?fmt=json" % t["isrc"],
                                   headers=self.H)
        self.assertEqual((status, body["recordings"][0]["id"]), (200, t["musicbrainz_id"]))
        status, body, _ = SIM.json("GET", "/musicbrainz/ws/2/recording/%s?fmt=json"
                                   % "00000000-0000-4000-8000-000000000000", headers=self.H)
        self.assertEqual((status, body["error"]), (404, "Not Found"))


class TestMusicBrainzRate(SimTest):
    config = {}

    def test_503_when_hammered_none_when_paced(self):
        path = "/musicbrainz/ws/2/recording?" + qs(query='recording:"Jolene"', fmt="json")
        statuses, bodies = [], []
        for _ in range(6):
            status, _, raw = SIM.call("GET", path, headers={"User-Agent": UA})
            statuses.append(status)
            bodies.append(raw)
        self.assertEqual(statuses[0], 200)
        self.assertGreaterEqual(statuses.count(503), 4)
        rejected = json.loads(bodies[statuses.index(503)])
        self.assertIn("exceeding the allowable rate limit", rejected["error"])
        st = SIM.provider_stats("musicbrainz")
        self.assertEqual(st["rate_limited"], statuses.count(503))
        self.assertGreaterEqual(st["max_rate_1s"], 5)
        SIM.call("POST", "/_sim/reset")
        for i in range(3):
            if i:
                time.sleep(1.02)
            status, _, _ = SIM.call("GET", path, headers={"User-Agent": UA})
            self.assertEqual(status, 200, "paced request %d" % i)
        st = SIM.provider_stats("musicbrainz")
        self.assertEqual((st["rate_limited"], st["max_rate_1s"]), (0, 1))


class TestLastFm(SimTest):
    def lfm(self, **params):
        params.setdefault("api_key", LFM_KEY)
        params.setdefault("format", "json")
        return SIM.json("GET", "/lastfm/2.0/?" + qs(**params))

    def test_search_shape(self):
        status, body, _ = self.lfm(method="track.search", track="Jolene", limit=5)
        self.assertEqual(status, 200)
        res = body["results"]
        for k in ("opensearch:totalResults", "opensearch:startIndex", "opensearch:itemsPerPage"):
            self.assertIsInstance(res[k], str)
        self.assertEqual(res["opensearch:itemsPerPage"], "5")
        track = res["trackmatches"]["track"][0]
        self.assertTypes(track, {"name": str, "artist": str, "url": str, "streamable": str,
                                 "listeners": str, "image": list, "mbid": str})
        self.assertEqual((track["name"], track["artist"]), ("Jolene", "Dolly Parton"))
        self.assertTrue(track["listeners"].isdigit())
        status, body, _ = self.lfm(method="track.search", track="zzqxv nothing")
        self.assertEqual((status, body["results"]["trackmatches"]["track"]), (200, []))

    def test_get_info_shape(self):
        t = tracks_of("all", real=True)[5]
        status, body, _ = self.lfm(method="track.getInfo", artist=t["artist"], track=t["title"])
        self.assertEqual(status, 200)
        tr = body["track"]
        self.assertTypes(tr, {"name": str, "mbid": str, "url": str, "duration": str,
                              "listeners": str, "playcount": str, "artist": dict, "album": dict,
                              "toptags": dict, "streamable": dict})
        self.assertEqual(tr["mbid"], t["musicbrainz_id"])
        self.assertEqual([x["name"] for x in tr["toptags"]["tag"]], t["lastfm"]["tags"])
        self.assertEqual(tr["listeners"], str(t["lastfm"]["listeners"]))

    def test_errors_inside_200(self):
        status, body, _ = self.lfm(method="track.getInfo", artist="Nobody Zzq",
                                   track="Qqz Not A Song Either")
        stub = status == 200 and "track" in body
        if not stub:
            self.assertEqual((status, body["error"]), (200, 6))
        status, body, _ = self.lfm(method="track.getInfo", artist="Queen", track="x",
                                   api_key="wrong")
        self.assertEqual((status, body["error"]), (200, 10))
        self.assertIsInstance(body["message"], str)
        status, body, _ = self.lfm(method="track.nope")
        self.assertEqual((status, body["error"]), (200, 3))
        errors = 0
        for i in range(12):
            status, body, _ = self.lfm(method="track.getInfo", artist="Zz%d" % i,
                                       track="Nothing %d" % i)
            self.assertEqual(status, 200)
            errors += body.get("error") == 6
        self.assertGreater(errors, 0, "unknown tracks give error 6")

    def test_stub_for_song_lastfm_does_not_know(self):
        t = tracks_of("stores_only")[0]
        status, body, _ = self.lfm(method="track.getInfo", artist=t["artist"], track=t["title"])
        self.assertEqual(status, 200)
        tr = body["track"]
        self.assertNotIn("mbid", tr)
        self.assertEqual(tr["toptags"]["tag"], [])
        self.assertLess(int(tr["listeners"]), 100)

    def test_error_29_over_rate(self):
        SIM.configure({"limits": {"lastfm": {"requests": 2, "window_seconds": 5}}})
        codes = [self.lfm(method="track.search", track="Jolene")[:2] for _ in range(3)]
        self.assertEqual([c[0] for c in codes], [200, 200, 200])
        self.assertEqual(codes[2][1]["error"], 29)
        self.assertEqual(SIM.provider_stats("lastfm")["rate_limited"], 1)


class TestITunes(SimTest):
    def test_search_shape_and_content_type(self):
        status, headers, raw = SIM.call("GET", "/itunes/search?" + qs(
            term="bohemian rhapsody queen", media="music", entity="song", limit=5, country="US"))
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/javascript"))
        body = json.loads(raw)
        self.assertEqual(body["resultCount"], len(body["results"]))
        r = body["results"][0]
        self.assertTypes(r, {"trackId": int, "trackName": str, "artistName": str,
                             "collectionName": str, "artworkUrl100": str, "trackViewUrl": str,
                             "releaseDate": str, "trackTimeMillis": int, "kind": str})
        self.assertEqual((r["trackName"], r["artistName"]), ("Bohemian Rhapsody", "Queen"))
        self.assertIn("100x100bb", r["artworkUrl100"])

    def test_title_only_returns_other_artists(self):
        pair = next(p for p in DUMP["pairs"] if p["reason"] == "same_title_other_artist"
                    and by_key(p["of"])["providers"]["itunes"] and p["not_itunes_ids"])
        status, body, _ = SIM.json("GET", "/itunes/search?" + qs(
            term=pair["mention"]["title"], media="music", entity="song", limit=50))
        artists = {r["artistName"] for r in body["results"]}
        self.assertIn(pair["mention"]["artist"], artists)
        self.assertGreater(len(artists), 1, "near misses: the same title by others")

    def test_bad_country(self):
        status, body, _ = SIM.json("GET", "/itunes/search?" + qs(term="x", country="USA"))
        self.assertEqual(status, 400)
        self.assertIn("country", body["errorMessage"])


def analysis_messages(text_, emojis):
    line = ("Emoji tags selected by the user: [%s]." % ", ".join(emojis) if emojis
            else "No emoji tags provided by the user.")
    return [{"role": "system", "content": "You are a concise music mood analyser. Return only "
                                          "an analysis object as JSON."},
            {"role": "user", "content": 'Analyze the mood and constraints for this request: '
                                        '"%s"\n%s\nReturn only JSON of the form {"analysis": '
                                        '{"mood": "...", "matched_criteria": ["..."]}}.'
                                        % (text_, line)}]


def recommend_messages(text_, n, analysis):
    return [{"role": "system", "content": "You are a music expert. Use the provided analysis "
                                          "and return only a songs array as JSON."},
            {"role": "user", "content": 'User request: "%s"\nNo emoji tags provided by the user.'
                                        '\nPrior analysis JSON: %s\nSuggest exactly %d songs '
                                        'available on Spotify.\nReturn {"songs": [{"title", '
                                        '"artist", "why", "matched_criteria"}]}.'
                                        % (text_, json.dumps(analysis), n)}]


class TestLlm(SimTest):
    def chat(self, dialect, messages, headers=LLM_KEY, **extra):
        body = {"model": MODEL[dialect], "messages": messages}
        body.update(extra)
        return SIM.json("POST", CHAT[dialect], body=body, headers=headers)

    def test_auth_shapes(self):
        msgs = analysis_messages("chill", [])
        status, body, _ = self.chat("gemini", msgs, headers={"Authorization": "Bearer nope"})
        self.assertEqual(status, 401)
        self.assertEqual((body["error"]["code"], body["error"]["status"]), (401, "UNAUTHENTICATED"))
        status, body, _ = self.chat("openai", msgs, headers={})
        self.assertEqual(status, 401)
        self.assertEqual(set(body["error"]), {"message", "type", "param", "code"})
        status, body, _ = self.chat("llm", msgs, headers={})
        self.assertEqual((status, body["error"]["code"]), (401, 401))

    def test_analysis_answer(self):
        status, body, _ = self.chat("gemini", analysis_messages("songs to cry to", ["😢", "💔"]),
                                    response_format={"type": "json_object"}, temperature=0.4,
                                    max_tokens=512)
        self.assertEqual(status, 200)
        self.assertTypes(body, {"id": str, "object": str, "created": int, "model": str,
                                "choices": list, "usage": dict})
        self.assertEqual(body["model"], "gemini-2.5-flash")
        choice = body["choices"][0]
        self.assertEqual((choice["finish_reason"], choice["message"]["role"]), ("stop",
                                                                                 "assistant"))
        usage = body["usage"]
        self.assertTypes(usage, {"prompt_tokens": int, "completion_tokens": int,
                                 "total_tokens": int})
        self.assertGreaterEqual(usage["total_tokens"],
                                usage["prompt_tokens"] + usage["completion_tokens"])
        analysis = json.loads(choice["message"]["content"])["analysis"]
        self.assertIsInstance(analysis["mood"], str)
        self.assertTrue(all(isinstance(c, str) for c in analysis["matched_criteria"]))
        self.assertIn(analysis["mood"], {"sad", "down", "heavy-hearted", "gloomy", "heartbroken",
                                         "post-breakup", "sad and hurt", "healing heartbreak"})
        again = self.chat("gemini", analysis_messages("songs to cry to", ["😢", "💔"]),
                          response_format={"type": "json_object"}, temperature=0.4,
                          max_tokens=512)[1]
        self.assertEqual(again["choices"][0]["message"]["content"], choice["message"]["content"])

    def test_recommendations_resolve_in_catalog(self):
        names = {(m["artist"].lower(), m["title"].lower())
                 for t in DUMP["tracks"] for m in t["mentions"]}
        schema = {"type": "object", "properties": {"songs": {"type": "array"}}}
        status, body, _ = self.chat("openai", recommend_messages(
            "upbeat songs for a morning run", 12, {"mood": "energetic", "matched_criteria": []}),
            response_format={"type": "json_schema", "json_schema": {"name": "songs",
                                                                    "schema": schema}})
        self.assertEqual(status, 200)
        songs = json.loads(body["choices"][0]["message"]["content"])["songs"]
        self.assertEqual(len(songs), 12)
        for s in songs:
            self.assertTypes(s, {"title": str, "artist": str, "why": str,
                                 "matched_criteria": list})
        known = sum((s["artist"].lower(), s["title"].lower()) in names for s in songs)
        self.assertGreaterEqual(known, 9)

    def test_plain_text_mode_is_fenced_and_max_tokens_cuts(self):
        status, body, _ = self.chat("llm", analysis_messages("rainy day jazz", ["☔"]))
        content = body["choices"][0]["message"]["content"]
        self.assertTrue(content.startswith("```json\n") and content.endswith("\n```"))
        json.loads(content[8:-4])
        status, body, _ = self.chat("gemini", analysis_messages("rainy day jazz", []),
                                    response_format={"type": "json_object"}, max_tokens=10,
                                    reasoning_effort="none")
        self.assertEqual(body["choices"][0]["finish_reason"], "length")
        self.assertLessEqual(len(body["choices"][0]["message"]["content"]), 40)

    def content_with_fault(self, kind):
        SIM.call("POST", "/_sim/reset")
        SIM.configure(dict(NO_LIMITS, max_faults_per_request=None, providers={
            "gemini": {"rate": 1.0, "kinds": {kind: 1}}}))
        status, body, _ = self.chat("gemini", recommend_messages(
            "chill lofi for studying", 6, {"mood": "chill", "matched_criteria": []}),
            response_format={"type": "json_object"})
        self.assertEqual(status, 200)
        self.assertEqual(SIM.provider_stats("gemini")["faults"], {kind: 1})
        return body["choices"][0]

    def test_content_faults(self):
        c = self.content_with_fault("prose")
        text_ = c["message"]["content"]
        self.assertRaises(ValueError, json.loads, text_)
        inner = text_[text_.index("```json") + 7:text_.rindex("```")]
        self.assertEqual(len(json.loads(inner)["songs"]), 6)
        c = self.content_with_fault("fence")
        self.assertTrue(c["message"]["content"].startswith("```json"))
        c = self.content_with_fault("trailing_comma")
        text_ = c["message"]["content"]
        self.assertRaises(ValueError, json.loads, text_)
        self.assertEqual(len(json.loads(re.sub(r",(\s*[\]}])", r"\1", text_))["songs"]), 6)
        c = self.content_with_fault("truncated_json")
        self.assertEqual(c["finish_reason"], "length")
        self.assertRaises(ValueError, json.loads, c["message"]["content"])
        self.assertIn('"songs"', c["message"]["content"])
        c = self.content_with_fault("missing_fields")
        songs = json.loads(c["message"]["content"])["songs"]
        self.assertTrue(any("artist" not in s for s in songs))
        self.assertTrue(any("title" not in s for s in songs))
        c = self.content_with_fault("empty")
        self.assertEqual((c["message"]["content"], c["finish_reason"]), ("", "length"))

    def test_gemini_429_retry_delay_without_retry_after(self):
        SIM.configure(dict(NO_LIMITS, limits={"gemini": {"requests": 1, "window_seconds": 30}}))
        shapes = set()
        for i in range(8):
            status, body, headers = self.chat("gemini", analysis_messages("chill %d" % i, []))
            if i == 0:
                self.assertEqual(status, 200)
                continue
            self.assertEqual(status, 429)
            self.assertNotIn("retry-after", headers)
            shapes.add(type(body).__name__)
            err = (body[0] if isinstance(body, list) else body)["error"]
            self.assertEqual((err["code"], err["status"]), (429, "RESOURCE_EXHAUSTED"))
            delay = [d["retryDelay"] for d in err["details"]
                     if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"]
            self.assertRegex(delay[0], r"^\d+s$")
            self.assertLessEqual(int(delay[0][:-1]), 30)
        self.assertEqual(shapes, {"list", "dict"}, "sometimes wrapped in an array")
        self.assertEqual(SIM.provider_stats("gemini")["rate_limited"], 7)

    def test_daily_quota_and_openai_429(self):
        SIM.configure(dict(NO_LIMITS, providers={"gemini": {"rate": 1, "kinds": {"429_daily": 1}},
                                                 "openai": {"rate": 1, "kinds": {"429": 1}}}))
        status, body, _ = self.chat("gemini", analysis_messages("x", []))
        err = (body[0] if isinstance(body, list) else body)["error"]
        quota = [v["quotaId"] for d in err["details"] for v in d.get("violations", [])]
        self.assertEqual(status, 429)
        self.assertIn("PerDay", quota[0])
        status, body, headers = self.chat("openai", analysis_messages("x", []))
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limit_exceeded"))
        self.assertEqual(headers["retry-after"], "1")

    def test_embeddings(self):
        texts = ["sad rainy songs", "sad songs", "party bangers tonight"]
        status, body, _ = SIM.json("POST", "/gemini/v1beta/openai/embeddings", headers=LLM_KEY,
                                   body={"model": "gemini-embedding-001", "input": texts,
                                         "dimensions": 64})
        self.assertEqual(status, 200)
        self.assertEqual((body["object"], body["model"]), ("list", "gemini-embedding-001"))
        self.assertEqual([d["index"] for d in body["data"]], [0, 1, 2])
        vecs = [d["embedding"] for d in body["data"]]
        for v in vecs:
            self.assertEqual(len(v), 64)
            self.assertAlmostEqual(math.sqrt(sum(x * x for x in v)), 1.0, places=4)

        def cos(a, b):
            return sum(x * y for x, y in zip(a, b))
        self.assertGreater(cos(vecs[0], vecs[1]), cos(vecs[0], vecs[2]) + 0.2)
        self.assertIsInstance(body["usage"]["prompt_tokens"], int)
        status, one, _ = SIM.json("POST", "/openai/v1/embeddings", headers=LLM_KEY,
                                  body={"model": "text-embedding-3-small", "input": texts[1],
                                        "dimensions": 64, "encoding_format": "base64"})
        raw = base64.b64decode(one["data"][0]["embedding"])
        floats = [x for x in memoryview(raw).cast("f")]
        self.assertTrue(all(abs(a - b) < 1e-6 for a, b in zip(floats, vecs[1])))
        status, body, _ = SIM.json("POST", "/llm/v1/embeddings", headers=LLM_KEY,
                                   body={"model": "nomic-embed-text", "input": "hello"})
        self.assertEqual(len(body["data"][0]["embedding"]), 768, "default dimension")
        status, body, _ = SIM.json("POST", "/llm/v1/embeddings", headers=LLM_KEY,
                                   body={"model": "nomic-embed-text", "input": []})
        self.assertEqual(status, 400)


class TestFaults(SimTest):
    def sequence(self, n=30):
        out = []
        for i in range(n):
            status, _, _ = SIM.call("GET", "/itunes/search?" + qs(term="song %d" % i))
            out.append(status)
        return out

    def test_same_seed_same_faults(self):
        doc = dict(NO_LIMITS, seed=5, max_faults_per_request=None,
                   providers={"itunes": {"rate": 0.5, "kinds": {"500": 1, "503": 1, "429": 1}}})
        SIM.configure(doc)
        first = self.sequence()
        self.assertTrue(set(first) - {200}, first)
        self.assertIn(200, first)
        SIM.configure(doc)
        self.assertEqual(self.sequence(), first)
        faults = SIM.provider_stats("itunes")["faults"]
        self.assertEqual(sum(faults.values()), 2 * sum(s != 200 for s in first), faults)
        SIM.configure(dict(doc, seed=6))
        self.assertNotEqual(self.sequence(), first)

    def test_retried_request_eventually_succeeds(self):
        SIM.configure(dict(NO_LIMITS, max_faults_per_request=2,
                           providers={"spotify": {"rate": 1.0, "kinds": {"503": 1}}}))
        token = app_token()
        path = "/spotify/v1/tracks/" + tracks_of("all", real=True)[0]["spotify_ids"][0]
        statuses = [SIM.call("GET", path, headers=bearer(token))[0] for _ in range(3)]
        self.assertEqual(statuses, [503, 503, 200])
        self.assertEqual(SIM.provider_stats("spotify")["faults"], {"503": 2})

    def test_429_has_retry_after(self):
        SIM.configure(dict(NO_LIMITS, retry_after_seconds=2,
                           providers={"spotify": {"rate": 1.0, "kinds": {"429": 1}}}))
        status, body, headers = SIM.json("GET", "/spotify/v1/tracks/" + "0" * 22)
        self.assertEqual((status, headers["retry-after"], body["error"]["status"]),
                         (429, "2", 429))

    def test_truncated_malformed_slow_502(self):
        SIM.configure(dict(NO_LIMITS, max_faults_per_request=1, slow_seconds=0.6, providers={
            "itunes": {"rate": 1.0, "kinds": {"truncated": 1}},
            "lastfm": {"rate": 1.0, "kinds": {"malformed": 1}},
            "musicbrainz": {"rate": 1.0, "kinds": {"slow": 1}},
            "spotify": {"rate": 1.0, "kinds": {"502": 1}}}))
        with self.assertRaises(http.client.IncompleteRead):
            SIM.call("GET", "/itunes/search?term=jolene")
        status, _, _ = SIM.call("GET", "/itunes/search?term=jolene")
        self.assertEqual(status, 200, "the retry is not faulted")
        status, _, raw = SIM.call("GET", "/lastfm/2.0/?" + qs(method="track.search",
                                                              track="Jolene", api_key=LFM_KEY,
                                                              format="json"))
        self.assertEqual(status, 200)
        self.assertRaises(ValueError, json.loads, raw)
        mb = "/musicbrainz/ws/2/recording?" + qs(query="jolene", fmt="json")
        with self.assertRaises(socket.timeout):
            SIM.call("GET", mb, headers={"User-Agent": UA}, timeout=0.3)
        status, headers, raw = SIM.call("GET", "/spotify/v1/search?q=x&type=track")
        self.assertEqual(status, 502)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        faults = {p: SIM.provider_stats(p)["faults"] for p in ("itunes", "lastfm", "musicbrainz",
                                                               "spotify")}
        self.assertEqual(faults, {"itunes": {"truncated": 1}, "lastfm": {"malformed": 1},
                                  "musicbrainz": {"slow": 1}, "spotify": {"502": 1}})

    def test_spotify_and_itunes_rate_limits(self):
        token = app_token()
        path = "/spotify/v1/tracks/" + "0" * 22
        self.assertEqual([SIM.call("GET", path, headers=bearer(token))[0] for _ in range(4)],
                         [404] * 4, "off by default")
        SIM.configure(dict(NO_LIMITS, limits={"spotify": {"requests": 2, "window_seconds": 30},
                                              "itunes": {"requests": 1}}))
        statuses = [SIM.call("GET", path, headers=bearer(token)) for _ in range(3)]
        self.assertEqual([s[0] for s in statuses], [404, 404, 429])
        self.assertTrue(1 <= int(statuses[2][1]["retry-after"]) <= 31)
        statuses = [SIM.call("GET", "/itunes/search?term=jolene")[0] for _ in range(2)]
        self.assertEqual(statuses, [200, 403])
        self.assertEqual(SIM.stats()["totals"]["rate_limited"], 2)

    def test_lastfm_injected_error_codes(self):
        SIM.configure(dict(NO_LIMITS, providers={"lastfm": {"rate": 1.0, "kinds": {"29": 1}}}))
        status, body, _ = SIM.json("GET", "/lastfm/2.0/?" + qs(method="track.search", track="x",
                                                               api_key=LFM_KEY, format="json"))
        self.assertEqual((status, body["error"]), (200, 29))


class TestCatalog(SimTest):
    def test_coverage_classes(self):
        s = DUMP["summary"]
        n = s["tracks"]
        self.assertEqual(n, len(DUMP["tracks"]))
        self.assertGreater(n, 2000)
        share = {k: v / n for k, v in s["coverage"].items()}
        self.assertTrue(0.005 <= share["nowhere"] <= 0.03, share)
        for only in ("musicbrainz_only", "lastfm_only", "itunes_only"):
            self.assertTrue(0.01 <= share[only] <= 0.06, share)
        self.assertGreater(share["all"], 0.7)
        self.assertGreater(s["providers"]["spotify"] / n, 0.85)
        self.assertGreater(s["must_not_match"], 100)
        self.assertEqual(s["must_not_match"], len(DUMP["pairs"]))
        for t in DUMP["tracks"]:
            on = {p for p, v in t["providers"].items() if v}
            self.assertEqual(on, set(s["classes"][t["coverage"]]), t["key"])

    def test_providers_serve_what_the_dump_says(self):
        token = app_token()
        for cls in ("nowhere", "musicbrainz_only", "lastfm_only", "itunes_only", "no_itunes"):
            for t in tracks_of(cls)[:2]:
                status, _, _ = SIM.call("GET", "/spotify/v1/tracks/" + t["spotify_ids"][0],
                                        headers=bearer(token))
                self.assertEqual(status == 200, t["providers"]["spotify"], t["key"])
                _, found, _ = SIM.json("GET", "/itunes/search?" + qs(
                    term=t["title"] + " " + t["artist"], limit=200))
                ids = {str(r["trackId"]) for r in found["results"]}
                self.assertEqual(bool(ids & set(t["itunes_ids"])), t["providers"]["itunes"],
                                 t["key"])
                _, rec, _ = SIM.json("GET", "/musicbrainz/ws/2/recording/%s?fmt=json" % (
                    t["musicbrainz_id"] or "00000000-0000-4000-8000-000000000000"),
                    headers={"User-Agent": UA})
                self.assertEqual("id" in rec, t["providers"]["musicbrainz"], t["key"])
                _, info, _ = SIM.json("GET", "/lastfm/2.0/?" + qs(
                    method="track.getInfo", artist=t["artist"], track=t["title"],
                    api_key=LFM_KEY, format="json"))
                full = "track" in info and bool(info["track"]["toptags"]["tag"])
                self.assertEqual(full, t["providers"]["lastfm"], t["key"])

    def test_mention_variants_in_dump(self):
        kinds = {m["kind"] for t in DUMP["tracks"] for m in t["mentions"]}
        for k in ("canonical", "spotify_remaster", "spotify_live", "itunes_edit", "feat",
                  "diacritics", "and", "the", "case", "export_fallback"):
            self.assertIn(k, kinds)

    def test_search_returns_near_misses_for_missing_song(self):
        token = app_token()
        pair = next(p for p in DUMP["pairs"] if p["reason"] == "same_artist_other_title"
                    and not by_key(p["of"])["providers"]["spotify"] and p["not_spotify_ids"])
        q = '"%s" "%s"' % (pair["mention"]["title"], pair["mention"]["artist"])
        _, body, _ = SIM.json("GET", "/spotify/v1/search?" + qs(q=q, type="track", limit=10),
                              headers=bearer(token))
        items = body["tracks"]["items"]
        self.assertTrue(items)
        of = by_key(pair["of"])
        self.assertFalse({i["id"] for i in items} & set(of["spotify_ids"]))
        self.assertIn(pair["mention"]["artist"], {i["artists"][0]["name"] for i in items},
                      "the same artist's other songs come back")


if __name__ == "__main__":
    unittest.main(verbosity=2)
