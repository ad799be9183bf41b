#!/usr/bin/env python3
"""ingest_vs_pg.py — moodmusic ingest against PostgreSQL 15 COPY, same files, same run.

Generates one export with tools/gen_sample.py (default 1M requests, 2M songs),
then loads it twice, side by side:
  * PostgreSQL 15: a throw-away cluster (initdb in a temporary folder, default
    settings, fsync on) listening on 127.0.0.1 and a unix socket in that folder;
    the app's schema (app_schema.sql) is created, the users rows the export
    refers to are inserted (not timed), then `\\copy user_requests` and
    `\\copy recommended_songs` run in one psql session. Time: wall clock of that
    psql process; peak RSS: VmHWM of its backend, read from /proc before the
    session ends.
  * moodmusic: `$MM_BIN_DIR/moodmusic -c CFG run --only ingest` on a fresh state
    folder. Time: wall clock of the process; peak RSS: ru_maxrss from wait4().
    Its counts (the runner's "stage ingest" log line, else `moodmusic status
    --json`) must show every row read and accepted.
Runs alternate which system goes first (--repeat N). Prints a side-by-side
table and one verdict line per target (moodmusic >= 2x faster than COPY; peak
RSS < 256 MB). Exit status: 0 both targets met, 1 a target missed, 2 a set-up
problem or a failed check (a system did not load every row). The server is
stopped and the temporary folder removed on every exit (--keep leaves the
folder, with the server stopped).

Standard library only. See tools/bench/README.md.
"""

import argparse
import atexit
import importlib.util
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
GEN_SAMPLE = os.path.join(SOURCE_DIR, "tools", "gen_sample.py")
SCHEMA = os.path.join(HERE, "app_schema.sql")
PG_BIN = "/usr/lib/postgresql/15/bin"
SPEED_TARGET = 2.0
RSS_TARGET_MB = 256


class SetupError(Exception):
    """Something outside the measurement failed: exit status 2."""


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def load_gen_sample():
    spec = importlib.util.spec_from_file_location("gen_sample", GEN_SAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_timed(argv, stdout, stderr):
    """Runs argv; returns (exit status, wall seconds, peak RSS of that process in MB)."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    took = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, took, usage.ru_maxrss / 1024.0


def check_call(argv, what, user=None, **kw):
    if user:
        argv = ["runuser", "-u", user, "--"] + argv
    proc = subprocess.run(argv, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise SetupError("%s failed (exit %d): %s" % (what, proc.returncode,
                                                      (proc.stderr or proc.stdout)[-2000:]))
    return proc.stdout


class Postgres:
    """A temporary PostgreSQL 15 cluster owned by this process."""

    def __init__(self, root, pg_bin, user):
        self.dir = os.path.join(root, "pg")
        self.data = os.path.join(self.dir, "data")
        self.bin = pg_bin
        self.user = user  # run the server as this user (None: as ourselves)
        self.port = None
        self.running = False

    def _tool(self, name):
        return os.path.join(self.bin, name)

    def start(self):
        os.makedirs(self.dir)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        check_call([self._tool("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C"], "initdb", user=self.user)
        self.port = free_port()
        opts = "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s" % (
            self.port, self.dir)
        self.running = True
        check_call([self._tool("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                    "-w", "-t", "120", "-o", opts, "start"], "pg_ctl start", user=self.user)
        log("PostgreSQL %s on 127.0.0.1:%d (socket in %s)" % (self.version(), self.port, self.dir))

    def stop(self):
        if not self.running:
            return
        self.running = False
        argv = [self._tool("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"]
        if self.user:
            argv = ["runuser", "-u", self.user, "--"] + argv
        if subprocess.run(argv, capture_output=True).returncode == 0:
            return
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                os.kill(int(f.readline()), signal.SIGQUIT)
        except (OSError, ValueError):
            pass

    def psql_argv(self, *extra):
        return [self._tool("psql"), "-X", "-h", self.dir, "-p", str(self.port), "-U", "postgres",
                "-d", "postgres", "-v", "ON_ERROR_STOP=1", *extra]

    def sql(self, text, what):
        return check_call(self.psql_argv("-At", "-c", text), what)

    def version(self):
        return self.sql("SHOW server_version", "psql").strip()

    def reset_schema(self, n_users, user_fk):
        self.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;", "drop schema")
        check_call(self.psql_argv("-q", "-f", SCHEMA), "app_schema.sql")
        self.sql("INSERT INTO users (id, email, display_name) SELECT g, 'user' || g || "
                 "'@example.com', 'User ' || g FROM generate_series(1, %d) g" % n_users,
                 "insert users")
        if not user_fk:
            self.sql("ALTER TABLE user_requests DROP CONSTRAINT user_requests_user_id_fkey; "
                     "ALTER TABLE recommended_songs DROP CONSTRAINT "
                     "recommended_songs_user_id_fkey", "drop user_id foreign keys")
        self.sql("CHECKPOINT", "checkpoint")

    def load(self, requests_csv, songs_csv, out_path):
        """Both \\copy in one session; returns a result dict."""
        script = "\n".join([
            "SELECT pg_backend_pid() AS backend_pid \\gset",
            "\\setenv MM_BENCH_BACKEND :backend_pid",
            "\\timing on",
            "\\copy user_requests FROM '%s' WITH (FORMAT csv, HEADER)" % requests_csv,
            "\\copy recommended_songs FROM '%s' WITH (FORMAT csv, HEADER)" % songs_csv,
            "\\timing off",
            "\\! grep VmHWM /proc/$MM_BENCH_BACKEND/status",
            ""])
        with open(out_path + ".sql", "w") as f:
            f.write(script)
        with open(out_path, "w+") as out:
            status, took, client_rss = run_timed(self.psql_argv("-f", out_path + ".sql"), out,
                                                 subprocess.STDOUT)
            out.seek(0)
            text = out.read()
        if status != 0:
            raise SetupError("psql \\copy failed (exit %d):\n%s" % (status, text[-2000:]))
        rows = [int(n) for n in re.findall(r"^COPY (\d+)$", text, re.M)]
        copy_ms = [float(ms) for ms in re.findall(r"^Time: ([\d.]+) ms", text, re.M)]
        hwm = re.search(r"VmHWM:\s+(\d+) kB", text)
        if len(rows) != 2 or not hwm:
            raise SetupError("unexpected psql output:\n" + text[-2000:])
        return {"seconds": took, "rows": rows, "copy_seconds": sum(copy_ms[-2:]) / 1000.0,
                "rss_mb": int(hwm.group(1)) / 1024.0, "client_rss_mb": client_rss}


class Moodmusic:
    def __init__(self, root, bin_dir):
        self.root = os.path.join(root, "mm")
        self.bin = os.path.join(bin_dir, "moodmusic")
        os.makedirs(self.root)

    def check_binary(self):
        if not os.access(self.bin, os.X_OK):
            raise SetupError("%s not found or not executable: build it (cmake --build build) or "
                             "set MM_BIN_DIR" % self.bin)
        ldd = subprocess.run(["ldd", self.bin], capture_output=True, text=True).stdout
        if "libasan" in ldd or "libubsan" in ldd:
            log("warning: %s is a sanitizer build; times and RSS will not be representative"
                % self.bin)

    def load(self, requests_csv, songs_csv, tag):
        work = os.path.join(self.root, tag)
        os.makedirs(work)
        config = os.path.join(work, "moodmusic.json")
        doc = {
            "paths": {"state": "state", "snapshots": "snapshots", "reports": "reports"},
            "log": {"level": "info"},
            "ingest": {"sources": [{"kind": "pg_csv", "name": "bench", "requests": requests_csv,
                                    "songs": songs_csv}]},
        }
        with open(config, "w") as f:
            json.dump(doc, f, indent=2)
        stderr_path = os.path.join(work, "stderr.log")
        with open(stderr_path, "w") as err, open(os.path.join(work, "stdout.log"), "w") as out:
            status, took, rss = run_timed([self.bin, "-c", config, "run", "--only", "ingest"],
                                          out, err)
        if status != 0:
            with open(stderr_path) as f:
                tail = f.read()[-3000:]
            raise SetupError("moodmusic run --only ingest exited %d:\n%s" % (status, tail))
        counts = self.counts_from_log(stderr_path) or self.counts_from_status(config)
        return {"seconds": took, "rss_mb": rss, "counts": counts, "work": work}

    @staticmethod
    def counts_from_log(path):
        """The counts of the runner's "stage ingest succeeded|failed" log line, or None."""
        found = None
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if (isinstance(event, dict) and event.get("stage") == "ingest" and
                        isinstance(event.get("counts"), dict)):
                    status = "succeeded" if "succeeded" in str(event.get("msg")) else "failed"
                    found = dict(event["counts"], status=status)
        return found

    def counts_from_status(self, config):
        proc = subprocess.run([self.bin, "-c", config, "status", "--json", "--limit", "1"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SetupError("moodmusic status --json exited %d: %s" % (proc.returncode,
                                                                        proc.stderr[-2000:]))
        for line in proc.stdout.splitlines():
            try:
                run = json.loads(line)
            except ValueError:
                continue
            for stage in run.get("stages", []):
                if stage.get("name") == "ingest":
                    return dict(stage.get("counts") or {}, status=stage.get("status"))
        raise SetupError("no ingest counts in moodmusic's log nor in `status --json`:\n" +
                         proc.stdout[-2000:])


def check_counts(counts, n_requests, n_songs):
    """Problems with moodmusic's ingest counts (empty: every row accepted)."""
    problems = []
    if counts.get("status") != "succeeded":
        problems.append("ingest stage status %r" % counts.get("status"))
    expected = n_requests + n_songs
    for key, want in (("read", expected), ("accepted", expected), ("rejected", 0),
                      ("duplicates", 0), ("files_failed", 0)):
        if counts.get(key) != want:
            problems.append("%s = %r, expected %d" % (key, counts.get(key), want))
    return problems


def warm(paths):
    """Reads the files once so that both systems start from the page cache."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


def table(results, n_rows):
    lines = ["%-10s %4s %10s %12s %14s" % ("system", "run", "seconds", "rows/s", "peak RSS MB")]
    for name in ("postgres", "moodmusic"):
        for i, r in enumerate(results[name], 1):
            lines.append("%-10s %4d %10.2f %12.0f %14.1f" % (name, i, r["seconds"],
                                                             n_rows / r["seconds"], r["rss_mb"]))
        if len(results[name]) > 1:
            med = statistics.median(r["seconds"] for r in results[name])
            rss = max(r["rss_mb"] for r in results[name])
            lines.append("%-10s %4s %10.2f %12.0f %14.1f" % (name, "med", med, n_rows / med, rss))
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Ingest benchmark: moodmusic vs PostgreSQL 15 COPY "
                                            "on the same generated export.")
    p.add_argument("--requests", type=int, default=1000000, help="requests (default 1000000)")
    p.add_argument("--songs-per-request", type=float, default=2.0, help="default 2.0")
    p.add_argument("--repeat", type=int, default=1, help="runs per system, order alternating")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--only", choices=("postgres", "moodmusic"),
                   help="measure one system only (no verdict)")
    p.add_argument("--no-user-fk", action="store_true",
                   help="drop the user_id foreign keys before PostgreSQL loads")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--tmpdir", default=None, help="parent of the temporary folder")
    p.add_argument("--pg-bin", default=PG_BIN, help="PostgreSQL binaries (default %s)" % PG_BIN)
    p.add_argument("--pg-user", default=None,
                   help="user to run PostgreSQL as when run as root (default: postgres)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    opt = p.parse_args(argv)
    if opt.requests < 1 or opt.repeat < 1:
        p.error("--requests and --repeat must be >= 1")
    return opt


class Bench:
    def __init__(self, opt):
        self.opt = opt
        self.root = tempfile.mkdtemp(prefix="mm-bench-", dir=opt.tmpdir)
        os.chmod(self.root, 0o711)  # the server's user must reach its own subfolder
        self.pg = None
        self.cleaned = False

    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        if self.pg:
            self.pg.stop()
        if self.opt.keep:
            log("kept %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def generate(self):
        out = os.path.join(self.root, "export")
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, GEN_SAMPLE, "--out", out, "--requests",
                               str(self.opt.requests), "--songs-per-request",
                               str(self.opt.songs_per_request), "--seed", str(self.opt.seed)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SetupError("gen_sample.py failed: " + proc.stderr[-2000:])
        m = re.search(r"(\d+) requests, (\d+) songs", proc.stderr)
        self.n_requests, self.n_songs = int(m.group(1)), int(m.group(2))
        self.requests_csv = os.path.join(out, "user_requests.csv")
        self.songs_csv = os.path.join(out, "recommended_songs.csv")
        size = os.path.getsize(self.requests_csv) + os.path.getsize(self.songs_csv)
        log("generated %d requests + %d songs (%.0f MB) in %.1fs" % (
            self.n_requests, self.n_songs, size / 1e6, time.perf_counter() - began))

    def pg_user(self):
        if os.geteuid() != 0:
            return None
        user = self.opt.pg_user or "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise SetupError("running as root: PostgreSQL refuses root; create user %r or pass "
                             "--pg-user" % user)
        return user

    def run_postgres(self, i):
        self.pg.reset_schema(load_gen_sample().user_pool_size(self.opt.requests),
                             not self.opt.no_user_fk)
        r = self.pg.load(self.requests_csv, self.songs_csv,
                         os.path.join(self.pg.dir, "load-%d.out" % i))
        if r["rows"] != [self.n_requests, self.n_songs]:
            raise SetupError("PostgreSQL loaded %s rows, expected %d + %d" % (
                r["rows"], self.n_requests, self.n_songs))
        log("postgres  run %d: %.2fs (COPY %.2fs), backend peak RSS %.1f MB" % (
            i + 1, r["seconds"], r["copy_seconds"], r["rss_mb"]))
        return r

    def run_moodmusic(self, mm, i):
        r = mm.load(self.requests_csv, self.songs_csv, "run-%d" % (i + 1))
        problems = check_counts(r["counts"], self.n_requests, self.n_songs)
        log("moodmusic run %d: %.2fs, peak RSS %.1f MB, counts %s" % (
            i + 1, r["seconds"], r["rss_mb"],
            {k: v for k, v in r["counts"].items() if k != "files"}))
        if problems:
            raise SetupError("moodmusic did not accept every row: " + "; ".join(problems))
        if not self.opt.keep:
            shutil.rmtree(r["work"], ignore_errors=True)
        return r

    def run(self):
        opt = self.opt
        systems = ["postgres", "moodmusic"] if not opt.only else [opt.only]
        mm = None
        if "moodmusic" in systems:
            mm = Moodmusic(self.root, os.environ.get("MM_BIN_DIR",
                                                     os.path.join(SOURCE_DIR, "build")))
            mm.check_binary()
        if "postgres" in systems:
            if not os.access(os.path.join(opt.pg_bin, "initdb"), os.X_OK):
                raise SetupError("no PostgreSQL in %s (Debian: apt-get install postgresql-15)"
                                 % opt.pg_bin)
            self.pg = Postgres(self.root, opt.pg_bin, self.pg_user())
            self.pg.start()
        self.generate()
        warm([self.requests_csv, self.songs_csv])
        results = {"postgres": [], "moodmusic": []}
        for i in range(opt.repeat):
            order = systems if i % 2 == 0 else list(reversed(systems))
            for name in order:
                if name == "postgres":
                    results[name].append(self.run_postgres(i))
                else:
                    results[name].append(self.run_moodmusic(mm, i))
        return results

    def report(self, results):
        n_rows = self.n_requests + self.n_songs
        print("ingest of %d requests + %d songs (%d rows), PostgreSQL %s" % (
            self.n_requests, self.n_songs, n_rows,
            "COPY with the app's schema" + ("" if not self.opt.no_user_fk
                                            else " minus the user_id foreign keys")))
        print(table(results, n_rows))
        verdicts = []
        if results["postgres"] and results["moodmusic"]:
            pg = statistics.median(r["seconds"] for r in results["postgres"])
            mm = statistics.median(r["seconds"] for r in results["moodmusic"])
            ratio = pg / mm
            verdicts.append(("moodmusic ingest at least %.0fx faster than PostgreSQL COPY"
                             % SPEED_TARGET, ratio >= SPEED_TARGET,
                             "%.2fx (%.2fs vs %.2fs)" % (ratio, mm, pg)))
        if results["moodmusic"]:
            rss = max(r["rss_mb"] for r in results["moodmusic"])
            verdicts.append(("moodmusic peak RSS under %d MB" % RSS_TARGET_MB,
                             rss < RSS_TARGET_MB, "%.1f MB" % rss))
        for what, ok, detail in verdicts:
            print("%s: %s — %s" % ("PASS" if ok else "FAIL", what, detail))
        if self.opt.json:
            with open(self.opt.json, "w") as f:
                json.dump({"requests": self.n_requests, "songs": self.n_songs,
                           "results": {k: [{x: y for x, y in r.items() if x != "work"}
                                           for r in v] for k, v in results.items()},
                           "verdicts": [{"target": w, "pass": ok, "detail": d}
                                        for w, ok, d in verdicts]}, f, indent=2)
        return all(ok for _, ok, _ in verdicts)


def on_signal(signum, frame):
    log("interrupted by signal %d: stopping PostgreSQL, removing the temporary folder" % signum)
    sys.exit(128 + signum)


def main(argv=None):
    opt = parse_args(sys.argv[1:] if argv is None else argv)
    bench = Bench(opt)
    atexit.register(bench.cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        results = bench.run()
        ok = bench.report(results)
    except SetupError as e:
        log("error: %s" % e)
        return 2
    finally:
        bench.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
