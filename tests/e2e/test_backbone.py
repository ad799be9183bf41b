"""End to end: generate → run → serve → query; rerun; kill -9 and resume;
corrupted snapshot; lock; config errors. Runs the real binaries."""

import csv
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import time
import unittest

from mmtest import MOODMUSIC, Server, Workdir, generate, main


def pg_source(data_dir):
    return [{"kind": "pg_csv", "name": "app",
             "requests": os.path.join(data_dir, "user_requests.csv"),
             "songs": os.path.join(data_dir, "recommended_songs.csv")}]


def stage_counts(manifest, name):
    for stage in manifest["stages"]:
        if stage["name"] == name:
            return stage["counts"]
    raise AssertionError("no %s stage in %s" % (name, manifest))


def ingest_counts(manifest):
    return stage_counts(manifest, "ingest")


def dump_db(snapshot_dir, db):
    """The records of one snapshot db, as mdb_dump prints them."""
    out = subprocess.run(["mdb_dump", "-n", "-s", db, os.path.join(snapshot_dir, "data.mdb")],
                         capture_output=True, text=True, check=True)
    return out.stdout


def read_rejects(workdir, run_id):
    with open(workdir.path("reports", run_id, "rejects.csv"), newline="") as f:
        return list(csv.DictReader(f))


class Backbone(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = os.path.join(os.environ.get("TMPDIR", "/tmp"), "mm-e2e-data-%d" % os.getpid())
        generate(cls.data, 2000, "--bad-rows", 30, "--seed", 7)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, True)

    def test_run_then_serve(self):
        w = Workdir(self, pg_source(self.data))
        w.run("run")
        [run] = w.status()
        self.assertEqual(run["status"], "succeeded")
        counts = ingest_counts(run)
        self.assertEqual(counts["read"], counts["accepted"] + counts["rejected"]
                         + counts["duplicates"])
        self.assertGreater(counts["accepted"], 5000)

        # Every injected bad row is reported at its file and line.
        rejects = read_rejects(w, run["run_id"])
        self.assertEqual(len(rejects), counts["rejected"])
        reported = {(os.path.basename(r["file"]), int(r["line"])) for r in rejects}
        with open(os.path.join(self.data, "expected_rejects.csv"), newline="") as f:
            expected = [(os.path.basename(r["file"]), int(r["line"])) for r in csv.DictReader(f)
                        if r["outcome"] == "reject"]
        self.assertGreater(len(expected), 0)
        for where in expected:
            self.assertIn(where, reported)

        srv = Server(self, w)
        snap = w.current_snapshot()
        self.assertIn(snap, srv.banner)
        status, body = srv.get("/healthz")
        self.assertEqual((status, body["success"], body["snapshot_id"]), (200, True, snap))
        status, body = srv.get("/v1/snapshot")
        self.assertEqual(status, 200)
        self.assertEqual(body["snapshot"]["id"], snap)
        self.assertEqual(body["snapshot"]["counts"]["requests"],
                         stage_counts(w.status()[0], "publish")["requests"])

        # A request as exported comes back with its songs in position order.
        with open(os.path.join(self.data, "user_requests.csv"), newline="") as f:
            row = next(csv.DictReader(f))
        status, body = srv.get("/v1/requests/%s" % row["id"])
        self.assertEqual(status, 200, body)
        req = body["request"]
        self.assertEqual(req["request_id"], int(row["id"]))
        self.assertEqual(req["text_description"], row["text_description"].strip())
        if row["emojis"]:
            self.assertEqual(req["emojis"], json.loads(row["emojis"])[:12])
        positions = [s["position"] for s in req["songs"]]
        self.assertEqual(positions, sorted(positions))
        self.assertNotIn("v", req)

        for path, code, error_code in [("/v1/requests/999999999", 404, "NOT_FOUND"),
                                       ("/v1/requests/abc", 400, "BAD_PARAMETER"),
                                       ("/v1/requests/0", 400, "BAD_PARAMETER"),
                                       ("/nope", 404, "NOT_FOUND")]:
            status, body = srv.get(path)
            self.assertEqual((status, body["success"], body["error_code"]),
                             (code, False, error_code), path)
            self.assertTrue(body["error"])
        status, _, body = srv.request("DELETE", "/healthz")
        self.assertEqual((status, body["error_code"]), (405, "METHOD_NOT_ALLOWED"))
        status, hdrs, body = srv.request("HEAD", "/healthz")
        self.assertEqual((status, body), (200, None))
        self.assertGreater(int(hdrs["content-length"]), 0)

        # Keep-alive: many requests on one connection.
        conn = srv.connect()
        for _ in range(200):
            status, _, body = srv.request("GET", "/v1/requests/%s" % row["id"], conn=conn)
            self.assertEqual(status, 200)
        conn.close()
        self.assertEqual(srv.stop(), 0)

    def test_rerun_changes_nothing(self):
        w = Workdir(self, pg_source(self.data))
        w.run("run")
        first = w.current_snapshot()
        w.run("run")
        w.run("run", "--full")
        runs = w.status()
        self.assertEqual([r["status"] for r in runs], ["succeeded"] * 3)
        for run in runs[:2]:
            counts = ingest_counts(run)
            self.assertEqual(counts["accepted"], 0, counts)
            self.assertEqual(counts["read"], counts["rejected"] + counts["duplicates"])
        self.assertGreater(ingest_counts(runs[1])["below_watermark"], 0)
        self.assertEqual(ingest_counts(runs[0])["below_watermark"], 0)
        last = w.current_snapshot()
        self.assertNotEqual(first, last)
        self.assertEqual(dump_db(w.path("snapshots", first), "requests"),
                         dump_db(w.path("snapshots", last), "requests"))

    def test_incremental_export(self):
        w = Workdir(self, pg_source(self.data))
        w.run("run")
        with open(w.path("snapshots", w.current_snapshot(), "manifest.json")) as f:
            before = json.load(f)
        more = w.path("more")
        generate(more, 300, "--start-id", 5000000, "--seed", 8)
        w.run("--set", "ingest.sources.0.requests=" + os.path.join(more, "user_requests.csv"),
              "--set", "ingest.sources.0.songs=" + os.path.join(more, "recommended_songs.csv"),
              "run")
        after = ingest_counts(w.status()[0])
        self.assertEqual(after["read"], after["accepted"] + after["rejected"]
                         + after["duplicates"])
        self.assertGreater(after["accepted"], 300)
        srv = Server(self, w)
        status, body = srv.get("/v1/snapshot")
        self.assertGreaterEqual(body["snapshot"]["counts"]["requests"],
                                before["counts"]["requests"] + 250)
        with open(os.path.join(self.data, "user_requests.csv"), newline="") as f:
            old_id = next(csv.DictReader(f))["id"]
        for rid in ("5000000", old_id):
            status, _ = srv.get("/v1/requests/" + rid)
            self.assertEqual(status, 200, rid)

    def test_lock_held(self):
        w = Workdir(self, pg_source(self.data))
        os.makedirs(w.path("state"), exist_ok=True)
        with open(w.path("state", "run.lock"), "w") as f:
            f.write("pid 1, test holder\n")
            f.flush()
            fcntl.flock(f, fcntl.LOCK_EX)
            proc = w.run("run", check=False)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("test holder", proc.stderr)

    def test_config_errors(self):
        w = Workdir(self, pg_source(self.data))
        proc = w.run("--set", "serve.threads=\"8x\"", "--set", "serve.treads=2",
                     "config", "check", check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("serve.threads", proc.stderr)
        self.assertIn("serve.treads", proc.stderr)
        proc = w.run("run", "--only", "nosuchstage", check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("ingest", proc.stderr)
        proc = w.run("config", "check")
        self.assertIn("config ok", proc.stdout)

    def test_help_everywhere(self):
        for args in (["--help"], ["run", "--help"], ["status", "--help"],
                     ["config", "--help"], ["snapshot", "--help"]):
            proc = subprocess.run([MOODMUSIC, *args], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, args)
            self.assertIn("usage:", proc.stdout)

    def test_corrupt_snapshot_is_refused(self):
        w = Workdir(self, pg_source(self.data))
        w.run("run")
        good = w.current_snapshot()
        srv = Server(self, w)
        # A new snapshot that went bad on disk after it was verified and switched to.
        bad = good + "-bad"
        shutil.copytree(w.path("snapshots", good), w.path("snapshots", bad))
        with open(w.path("snapshots", bad, "manifest.json")) as f:
            manifest = json.load(f)
        manifest["id"] = bad
        with open(w.path("snapshots", bad, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        with open(w.path("snapshots", bad, "data.mdb"), "r+b") as f:
            f.seek(os.path.getsize(w.path("snapshots", bad, "data.mdb")) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        os.symlink(bad, w.path("snapshots", "current.tmp"))
        os.rename(w.path("snapshots", "current.tmp"), w.path("snapshots", "current"))

        proc = w.run("snapshot", "verify", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("data.mdb", proc.stdout + proc.stderr)
        time.sleep(1.0)  # ten poll intervals
        status, body = srv.get("/healthz")
        self.assertEqual(body["snapshot_id"], good)
        status, _ = srv.get("/v1/snapshot")
        self.assertEqual(status, 200)

        w.run("snapshot", "rollback", good)
        self.assertEqual(w.current_snapshot(), good)
        self.assertEqual(w.run("snapshot", "verify").returncode, 0)


class KillAndResume(unittest.TestCase):
    """kill -9 at random moments, rerun: the same state as an uninterrupted run."""

    def setUp(self):
        self.data = Workdir(self).path("data")
        generate(self.data, 60000, "--bad-rows", 40, "--seed", 11)

    def final_state(self, w):
        """The served snapshot's requests, and the counts and rejects of run r1
        (the interrupted run, finished by its resumption)."""
        snap = w.path("snapshots", w.current_snapshot())
        [first] = [r for r in w.status() if r["run_id"] == "r1"]
        self.assertEqual(first["status"], "succeeded")
        return dump_db(snap, "requests"), ingest_counts(first), read_rejects(w, "r1")

    def test_kill_9_then_resume_equals_uninterrupted(self):
        ref = Workdir(self, pg_source(self.data), ingest__batch_size=500)
        started = time.monotonic()
        ref.run("run")
        duration = time.monotonic() - started
        want = self.final_state(ref)

        rng = random.Random(int(os.environ.get("MM_E2E_SEED", "5")))
        kills = 0
        for attempt in range(4):
            w = Workdir(self, pg_source(self.data), ingest__batch_size=500)
            proc = subprocess.Popen([MOODMUSIC, "-c", w.config, "run"], env=w.env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 0.95) * duration)
            proc.send_signal(signal.SIGKILL)
            killed = proc.wait() == -signal.SIGKILL
            if killed:
                kills += 1
                w.run("run")
            got = self.final_state(w)
            self.assertEqual(got[0], want[0], "snapshot differs (attempt %d)" % attempt)
            for key in ("read", "accepted", "rejected", "duplicates"):
                self.assertEqual(got[1][key], want[1][key], (key, attempt, killed))
            self.assertEqual(got[2], want[2], "rejects differ (attempt %d)" % attempt)
        self.assertGreaterEqual(kills, 2, "the runs ended before they could be killed")


if __name__ == "__main__":
    main()
