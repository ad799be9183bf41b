#!/usr/bin/env python3
"""Enrich benchmark: coverage, time and request rates against the providers' rate limits.

Runs moodmusic's pipeline on a generated export against the bundled API simulator
(tools/apisim.py), with the configured default rate limits, and checks:
  1. a cold run: coverage >= 0.95, each bottleneck provider's achieved request rate within
     10% of its configured limit, MusicBrainz never rate-limited and never above 1 request/s;
  2. a warm rerun: no HTTP request from enrich or score, none seen by the simulator;
  3. a fresh state against a simulator injecting faults (--fault-rate 0.2 --seed 7): after a
     first run the mentions not left retryable resolve as in the fault-free run, and after a
     second run every mention does.
Resolutions are read through moodmusic-serve's /v1/tracks/lookup for every distinct
(title, artist) of the export.

Exit status: 0 every target met, 1 a target missed, 2 a set-up problem.
Standard library only. See tools/bench/README.md.
"""

import argparse
import csv
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
APISIM = os.path.join(TOP, "tools", "apisim.py")
GEN_SAMPLE = os.path.join(TOP, "tools", "gen_sample.py")
SECRETS = {"SPOTIPY_CLIENT_ID": "sim-client-id", "SPOTIPY_CLIENT_SECRET": "sim-client-secret",
           "LASTFM_API_KEY": "sim-lastfm-key"}
PROVIDERS = ("spotify", "musicbrainz", "lastfm", "itunes")
# Simulator path prefix -> provider name of its stats (longest prefix first).
PREFIXES = (("/spotify-accounts/", "spotify-accounts"), ("/spotify/", "spotify"),
            ("/musicbrainz/", "musicbrainz"), ("/lastfm/", "lastfm"), ("/itunes/", "itunes"))
RATE_TOLERANCE = 0.10
BOTTLENECK_SHARE = 0.9  # providers needing >= 90% of the slowest one's time at its limit

CHILDREN = []


class SetupError(Exception):
    pass


def kill_children():
    """Stops every child still running: SIGTERM, then SIGKILL after 10 s."""
    while CHILDREN:
        proc = CHILDREN.pop()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def spawn(argv, **kw):
    proc = subprocess.Popen(argv, **kw)
    CHILDREN.append(proc)
    return proc


def reap(proc):
    if proc in CHILDREN:
        CHILDREN.remove(proc)


class Simulator:
    """apisim with --verbose; each request line of its stderr is time-stamped on arrival."""

    def __init__(self, workdir, *args):
        self.proc = spawn([sys.executable, APISIM, "--port", "0", "--verbose", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"apisim: listening on (http://127\.0\.0\.1:\d+)$", line.strip())
        if not m:
            raise SetupError("the simulator did not start: %r" % line)
        self.base = m.group(1)
        self.arrivals = []  # (monotonic seconds, provider)
        self.lock = threading.Lock()
        self.errlog = open(os.path.join(workdir, "apisim-%d.err" % self.proc.pid), "w")
        self.reader = threading.Thread(target=self.read_stderr, daemon=True)
        self.reader.start()

    def read_stderr(self):
        for line in self.proc.stderr:
            now = time.monotonic()
            m = re.search(r'"[A-Z]+ (\S+) HTTP/', line)
            if m:
                for prefix, name in PREFIXES:
                    if m.group(1).startswith(prefix):
                        with self.lock:
                            self.arrivals.append((now, name))
                        break
            else:
                self.errlog.write(line)

    def mark(self):
        with self.lock:
            return len(self.arrivals)

    def arrivals_since(self, mark):
        with self.lock:
            return list(self.arrivals[mark:])

    def stats(self):
        conn = http.client.HTTPConnection(self.base[len("http://"):], timeout=10)
        try:
            conn.request("GET", "/_sim/stats")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        reap(self.proc)
        self.reader.join(timeout=5)
        self.errlog.close()


class Workdir:
    """A fresh state, snapshots and reports folder with a config pointing at a simulator."""

    def __init__(self, root, name, data, sim, bin_dir):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.bin_dir = bin_dir
        self.config = os.path.join(self.dir, "moodmusic.json")
        doc = {
            "paths": {"state": "state", "snapshots": "snapshots", "reports": "reports"},
            "log": {"level": "info", "file": "moodmusic.log"},
            "ingest": {"sources": [{"kind": "pg_csv", "name": "app",
                                    "requests": os.path.join(data, "user_requests.csv"),
                                    "songs": os.path.join(data, "recommended_songs.csv")}]},
            "serve": {"listen": "127.0.0.1:0", "threads": 2, "reload_poll_ms": 100},
            "providers": {
                "spotify": {"base_url": sim.base + "/spotify",
                            "accounts_url": sim.base + "/spotify-accounts"},
                "musicbrainz": {"base_url": sim.base + "/musicbrainz"},
                "lastfm": {"base_url": sim.base + "/lastfm"},
                "itunes": {"base_url": sim.base + "/itunes"}},
        }
        with open(self.config, "w") as f:
            json.dump(doc, f, indent=2)

    def moodmusic(self, *args):
        env = dict(os.environ)
        env.update(SECRETS)
        proc = spawn([os.path.join(self.bin_dir, "moodmusic"), "-c", self.config, *args],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out, err = proc.communicate()
        reap(proc)
        if proc.returncode != 0:
            raise SetupError("moodmusic %s exited %d: %s" % (" ".join(args), proc.returncode,
                                                             err.strip()[-2000:]))
        return out

    def run(self):
        """Runs the pipeline; returns the newest run manifest."""
        self.moodmusic("run")
        out = self.moodmusic("status", "--json")
        runs = [json.loads(line) for line in out.splitlines() if line.strip()]
        if not runs:
            raise SetupError("moodmusic status --json listed no run")
        return runs[0]

    def retryable_listed(self, run):
        """The (mention key, title, artist) rows of the run's enrich_retryable.csv."""
        path = os.path.join(self.dir, "reports", run["run_id"], "enrich_retryable.csv")
        if not os.path.exists(path):
            raise SetupError("%s is missing" % path)
        with open(path, newline="") as f:
            return [(r["mention"], r["title"], r["artist"]) for r in csv.DictReader(f)]

    def resolutions(self, names):
        """(title, artist) -> (track key or None, mention key or None), via moodmusic-serve."""
        proc = spawn([os.path.join(self.bin_dir, "moodmusic-serve"), "-c", self.config],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            m = re.search(r"listening on http://(\S+):(\d+)", line)
            if not m:
                raise SetupError("moodmusic-serve did not start: %r" % line)
            conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=10)
            out = {}
            for title, artist in names:
                q = urllib.parse.urlencode({"artist": artist, "title": title})
                conn.request("GET", "/v1/tracks/lookup?" + q)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    doc = json.loads(body)
                    out[(title, artist)] = (doc["track"]["key"], doc["match"]["key"])
                elif resp.status == 404:
                    out[(title, artist)] = (None, None)
                else:
                    raise SetupError("lookup %r: HTTP %d %s" % (q, resp.status, body[:200]))
            conn.close()
            return out
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            reap(proc)


def stage(run, name):
    for st in run["stages"]:
        if st["name"] == name:
            return st
    raise SetupError("no %s stage in run %s" % (name, run.get("run_id")))


def provider_requests(stats):
    provs = stats["providers"]
    return {p: provs.get(p, {}).get("requests", 0) for p in PROVIDERS + ("spotify-accounts",)}


def stats_delta(after, before):
    return {p: after[p] - before[p] for p in after}


def rates(arrivals, requests, limits, enrich_s):
    """Per provider: requests, busy span (first to last arrival), achieved rates."""
    out = {}
    for p in PROVIDERS:
        times = sorted(t for t, name in arrivals if name == p)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        out[p] = {
            "requests": requests[p],
            "arrivals_seen": len(times),
            "limit_per_s": limits[p],
            "busy_s": round(span, 3),
            "min_gap_s": round(min(b - a for a, b in zip(times, times[1:])), 3)
            if len(times) > 1 else None,
            # intervals between arrivals over the time they cover
            "achieved_per_s": round((len(times) - 1) / span, 4) if span > 0 else None,
            "per_enrich_s": round(requests[p] / enrich_s, 4) if enrich_s > 0 else None,
            "needed_at_limit_s": round(requests[p] / limits[p], 3),
        }
    slowest = max(r["needed_at_limit_s"] for r in out.values())
    for r in out.values():
        r["bottleneck"] = slowest > 0 and r["needed_at_limit_s"] >= BOTTLENECK_SHARE * slowest
    return out


def configured_limits(wd):
    out, _ = json.JSONDecoder().raw_decode(wd.moodmusic("config", "check"))  # then "config ok"
    return {p: float(out["providers"][p]["rate_per_s"]) for p in PROVIDERS}


def export_names(data):
    with open(os.path.join(data, "recommended_songs.csv"), newline="") as f:
        return sorted({(r["title"], r["artist"]) for r in csv.DictReader(f)})


def differing(got, want, skip_keys=frozenset(), skip_names=frozenset()):
    """Names whose track differs, leaving out those of the skipped mentions."""
    out = []
    for name, (track, _) in sorted(got.items()):
        if name in skip_names or want[name][1] in skip_keys:
            continue
        if track != want[name][0]:
            out.append(name)
    return out


def counts_column(run, sim_delta):
    en = stage(run, "enrich")
    c = en["counts"]
    col = {k: c.get(k) for k in ("mentions_total", "resolved", "unresolved", "retryable",
                                 "pending", "http_requests")}
    col["coverage"] = round(c["resolved"] / c["mentions_total"], 4) if c["mentions_total"] else 0
    col["enrich_s"] = round(en["duration_ms"] / 1000.0, 2)
    col["score_http_requests"] = stage(run, "score")["counts"].get("http_requests")
    for p in PROVIDERS + ("spotify-accounts",):
        col["sim_" + p] = sim_delta[p]
    return col


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.4g" % v
    return str(v)


def print_table(columns):
    heads = list(columns)
    rows = list(next(iter(columns.values())))
    w0 = max(len(r) for r in rows)
    widths = [max(len(h), *(len(fmt(columns[h][r])) for r in rows)) for h in heads]
    print("%-*s  %s" % (w0, "", "  ".join(h.rjust(w) for h, w in zip(heads, widths))))
    for r in rows:
        print("%-*s  %s" % (w0, r, "  ".join(fmt(columns[h][r]).rjust(w)
                                            for h, w in zip(heads, widths))))


def bench(args, root):
    bin_dir = os.path.abspath(os.environ.get("MM_BIN_DIR", os.path.join(TOP, "build")))
    for b in ("moodmusic", "moodmusic-serve"):
        if not os.access(os.path.join(bin_dir, b), os.X_OK):
            raise SetupError("%s/%s is missing (set MM_BIN_DIR or build it)" % (bin_dir, b))
    data = os.path.join(root, "data")
    gen = subprocess.run([sys.executable, GEN_SAMPLE, "--out", data, "--requests",
                          str(args.requests), "--seed", "42"], capture_output=True, text=True)
    if gen.returncode != 0:
        raise SetupError("gen_sample.py failed: %s" % gen.stderr.strip()[-1000:])
    names = export_names(data)
    result = {"requests": args.requests, "distinct_names": len(names)}
    targets = []

    def target(label, ok, detail):
        targets.append({"target": label, "pass": bool(ok), "detail": detail})

    # 1. cold run, no faults
    sim = Simulator(root)
    cold = Workdir(root, "clean", data, sim, bin_dir)
    limits = configured_limits(cold)
    before, mark = provider_requests(sim.stats()), sim.mark()
    cold_run = cold.run()
    stats = sim.stats()
    cold_delta = stats_delta(provider_requests(stats), before)
    columns = {"cold": counts_column(cold_run, cold_delta)}
    enrich_s = columns["cold"]["enrich_s"]
    rate = rates(sim.arrivals_since(mark), cold_delta, limits, enrich_s)
    mb = stats["providers"].get("musicbrainz", {})
    want = cold.resolutions(names)

    # 2. warm rerun
    before = provider_requests(sim.stats())
    warm_run = cold.run()
    warm_delta = stats_delta(provider_requests(sim.stats()), before)
    columns["warm"] = counts_column(warm_run, warm_delta)
    sim.stop()

    # 3. faults: a fresh state, two runs
    fsim = Simulator(root, "--fault-rate", "0.2", "--seed", "7")
    faulty = Workdir(root, "faults", data, fsim, bin_dir)
    before = provider_requests(fsim.stats())
    f1 = faulty.run()
    f1_delta = stats_delta(provider_requests(fsim.stats()), before)
    columns["faults #1"] = counts_column(f1, f1_delta)
    listed = faulty.retryable_listed(f1)
    got1 = faulty.resolutions(names)
    before = provider_requests(fsim.stats())
    f2 = faulty.run()
    f2_stats = fsim.stats()
    columns["faults #2"] = counts_column(f2, stats_delta(provider_requests(f2_stats), before))
    got2 = faulty.resolutions(names)
    fsim.stop()

    skip_keys = {m.replace("|", "\x1f", 1) for m, _, _ in listed}
    skip_names = {(t, a) for _, t, a in listed}
    diff1 = differing(got1, want, skip_keys, skip_names)
    diff2 = differing(got2, want)

    print("moodmusic enrich vs rate limits: %d requests (seed 42), %d distinct (title, artist)"
          % (args.requests, len(names)))
    print("binaries: %s; work folder: %s" % (bin_dir, root))
    print()
    print_table(columns)
    print()
    print("cold run, per provider (limits as configured; achieved = (arrivals - 1) / busy span,"
          " busy span = first to last arrival at the simulator, time-stamped from its --verbose"
          " request log; per-enrich = requests / enrich duration):")
    print("%-12s %8s %8s %9s %10s %11s %10s %9s %s" % (
        "provider", "requests", "limit/s", "busy s", "achieved/s", "per-enrich", "at-limit s",
        "min gap s", "bottleneck"))
    for p in PROVIDERS:
        r = rate[p]
        print("%-12s %8d %8s %9.1f %10s %11s %10.1f %9s %s" % (
            p, r["requests"], fmt(r["limit_per_s"]), r["busy_s"], fmt(r["achieved_per_s"]),
            fmt(r["per_enrich_s"]), r["needed_at_limit_s"], fmt(r["min_gap_s"]),
            "yes" if r["bottleneck"] else ""))
    print("musicbrainz: rate_limited %d, max_rate_1s %d; faults #1 left %d mention(s) retryable%s"
          % (mb.get("rate_limited", 0), mb.get("max_rate_1s", 0), len(listed),
             (": " + "; ".join("%s — %s" % (t, a) for _, t, a in listed[:20])) if listed else ""))
    print("faults injected over both fault runs: %s" % json.dumps({p: v["faults"] for p, v in
                                              f2_stats["providers"].items() if v["faults"]}))
    print()

    cov = columns["cold"]["coverage"]
    target("cold: coverage >= 0.95", cov >= 0.95, "%.4f" % cov)
    for p in PROVIDERS:
        r = rate[p]
        if not r["bottleneck"]:
            continue
        a = r["achieved_per_s"]
        ok = a is not None and abs(a - r["limit_per_s"]) <= RATE_TOLERANCE * r["limit_per_s"]
        target("cold: %s (bottleneck) achieved rate within 10%% of %s/s" % (p, fmt(
            r["limit_per_s"])), ok, "%s/s over %.1f s" % (fmt(a), r["busy_s"]))
    target("cold: musicbrainz rate_limited == 0", mb.get("rate_limited", 0) == 0,
           str(mb.get("rate_limited", 0)))
    target("cold: musicbrainz max_rate_1s <= 1", mb.get("max_rate_1s", 0) <= 1,
           str(mb.get("max_rate_1s", 0)))
    warm = columns["warm"]
    warm_http = (warm["http_requests"] or 0) + (warm["score_http_requests"] or 0)
    target("warm: enrich+score HTTP requests == 0", warm_http == 0, str(warm_http))
    warm_sim = sum(warm_delta.values())
    target("warm: simulator request delta == 0", warm_sim == 0, str(warm_sim))
    target("faults #1: non-retryable mentions resolve as fault-free", not diff1,
           "%d differ%s" % (len(diff1), (": %r" % diff1[:5]) if diff1 else ""))
    target("faults #2: resolutions equal the fault-free ones", not diff2,
           "%d of %d names differ%s" % (len(diff2), len(names),
                                        (": %r" % diff2[:5]) if diff2 else ""))
    for t in targets:
        print("%s  %s (%s)" % ("PASS" if t["pass"] else "FAIL", t["target"], t["detail"]))

    result.update({"columns": columns, "rates": rate, "limits": limits,
                   "musicbrainz": {"rate_limited": mb.get("rate_limited", 0),
                                   "max_rate_1s": mb.get("max_rate_1s", 0)},
                   "retryable_listed": [{"mention": m, "title": t, "artist": a}
                                        for m, t, a in listed],
                   "differ_faults_1": diff1, "differ_faults_2": diff2, "targets": targets})
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=300, help="export size (default 300)")
    ap.add_argument("--keep", action="store_true", help="leave the temporary folder")
    ap.add_argument("--json", metavar="FILE", help="write the figures and verdicts as JSON")
    args = ap.parse_args()
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    root = tempfile.mkdtemp(prefix="mm-bench-enrich-")
    status = 2
    try:
        result = bench(args, root)
        status = 0 if all(t["pass"] for t in result["targets"]) else 1
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2, ensure_ascii=False)
    except (SetupError, OSError, subprocess.SubprocessError, KeyError, ValueError) as e:
        print("enrich_vs_limits: set-up error: %s" % e, file=sys.stderr)
        status = 2
    finally:
        kill_children()
        if args.keep:
            print("kept %s" % root)
        else:
            shutil.rmtree(root, True)
    return status


if __name__ == "__main__":
    sys.exit(main())
