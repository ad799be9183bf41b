"""End-to-end checks of tools/gen_sample.py, the generator of app exports.

The generator is driven through its command line. Its output is read back
with an independent parser of PostgreSQL's CSV (which keeps the difference
between NULL and the empty string) and checked against PostgreSQL's output
rules, and its bad rows against a reference validator of the app's rules.
Standard library only.
"""

import csv
import datetime
import filecmp
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "MM_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
GEN_SAMPLE = os.path.join(SOURCE_DIR, "tools", "gen_sample.py")

REQUEST_COLUMNS = ["id", "user_id", "text_description", "emojis", "num_songs_requested",
                   "gemini_analysis", "created_at"]
SONG_COLUMNS = ["id", "request_id", "user_id", "position", "spotify_track_id", "title", "artist",
                "album", "album_art", "preview_url", "spotify_url", "release_year", "duration_ms",
                "duration_formatted", "why_gemini_chose", "matched_criteria", "created_at"]
TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?\+00$")


def generate(out_dir, *args):
    proc = subprocess.run([sys.executable, GEN_SAMPLE, "--out", out_dir, "--quiet",
                           *map(str, args)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError("gen_sample failed (%d): %s" % (proc.returncode, proc.stderr))


def parse_pg_csv(text):
    """Records of a PostgreSQL CSV file as (start line, [value or None]); an
    unquoted empty field is NULL, a quoted one the empty string."""
    records, fields, i, line, n = [], [], 0, 1, len(text)
    start = 1
    while i < n:
        if text[i] == '"':
            j, parts = i + 1, []
            while True:
                q = text.index('"', j)
                parts.append(text[j:q])
                if q + 1 < n and text[q + 1] == '"':
                    parts.append('"')
                    j = q + 2
                    continue
                break
            value = "".join(parts)
            line += value.count("\n")
            i = q + 1
        else:
            j = i
            while j < n and text[j] not in ',\n':
                j += 1
            value = text[i:j] if j > i else None
            if value is not None and ('"' in value or "\r" in value):
                raise AssertionError("line %d: unquoted field with a quote or CR" % line)
            i = j
        fields.append(value)
        if i < n and text[i] == ",":
            i += 1
            if i == n or text[i] == "\n":
                fields.append(None)
        if i < n and text[i] == "\n":
            records.append((start, fields))
            fields = []
            line += 1
            start = line
            i += 1
    if fields:
        records.append((start, fields))
    return records


def pg_field(v):
    if v is None:
        return ""
    if v == "" or any(c in v for c in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def jsonb_text(v):
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jsonb_text(v[k])
                               for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(jsonb_text(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def valid_timestamp(text):
    m = TIMESTAMP.match(text or "")
    if not m:
        return False
    try:
        datetime.datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError:
        return False
    return True


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Validator:
    """The app's rules for one record, in the order an ingester would apply
    them; returns (column, reason, outcome) or None when the record is valid."""

    def __init__(self):
        self.requests = {}

    def request(self, rec, raw):
        if not is_int(rec.get("id")):
            return "id", "not_integer", "reject"
        if rec["id"] in self.requests:
            if self.requests[rec["id"]] == raw:
                return "id", "duplicate", "duplicate"
            return "id", "duplicate_conflict", "reject"
        if not valid_timestamp(rec["created_at"]):
            return "created_at", "bad_timestamp", "reject"
        emojis = rec["emojis"]
        if emojis is not None and not (isinstance(emojis, list) and
                                       all(isinstance(e, str) for e in emojis)):
            return "emojis", "not_array", "reject"
        if not is_int(rec["num_songs_requested"]):
            return "num_songs_requested", "not_integer", "reject"
        text = rec["text_description"]
        if text is not None and len(text.strip()) > 500:
            return "text_description", "too_long", "reject"
        if not (text or "").strip() and not emojis:
            return "text_description", "empty_request", "reject"
        self.requests[rec["id"]] = raw
        return None

    def song(self, rec):
        if rec["request_id"] not in self.requests:
            return "request_id", "unknown_request", "reject"
        if not rec["title"]:
            return "title", "empty", "reject"
        return None


def csv_int(v):
    return int(v) if v is not None and re.fullmatch(r"-?\d+", v) else v


class JsonError(Exception):
    def __init__(self, column):
        super().__init__(column)
        self.column = column


def csv_request(fields):
    rec = dict(zip(REQUEST_COLUMNS, fields))
    rec["id"] = csv_int(rec["id"])
    rec["num_songs_requested"] = csv_int(rec["num_songs_requested"])
    for col in ("emojis", "gemini_analysis"):
        if rec[col] is not None:
            try:
                rec[col] = json.loads(rec[col])
            except ValueError:
                raise JsonError(col)
    return rec


def csv_song(fields):
    rec = dict(zip(SONG_COLUMNS, fields))
    for col in ("id", "request_id", "position", "duration_ms"):
        rec[col] = csv_int(rec[col])
    if rec["matched_criteria"] is not None:
        try:
            rec["matched_criteria"] = json.loads(rec["matched_criteria"])
        except ValueError:
            raise JsonError("matched_criteria")
    return rec


def validate_csv(out_dir):
    """{(file, line): (column, reason, outcome)} of every invalid CSV record."""
    found, v = {}, Validator()
    for name, cols, to_rec in (("user_requests.csv", REQUEST_COLUMNS, csv_request),
                               ("recommended_songs.csv", SONG_COLUMNS, csv_song)):
        with open(os.path.join(out_dir, name), encoding="utf-8", newline="") as f:
            records = parse_pg_csv(f.read())
        for line, fields in records[1:]:
            if len(fields) != len(cols):
                found[(name, line)] = ("", "field_count", "reject")
                continue
            try:
                rec = to_rec(fields)
            except JsonError as e:
                found[(name, line)] = (e.column, "invalid_json", "reject")
                continue
            problem = v.request(rec, tuple(fields)) if cols is REQUEST_COLUMNS else v.song(rec)
            if problem:
                found[(name, line)] = problem
    return found


def validate_jsonl(out_dir, name="requests.jsonl"):
    found, v = {}, Validator()
    with open(os.path.join(out_dir, name), encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
            except ValueError:
                found[(name, line_no)] = ("", "invalid_json", "reject")
                continue
            problem = v.request(rec, line)
            if not problem:
                for song in rec["songs"]:
                    problem = problem or v.song(song)
            if problem:
                found[(name, line_no)] = problem
    return found


def expected_rejects(out_dir):
    with open(os.path.join(out_dir, "expected_rejects.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {(r["file"], int(r["line"])): (r["column"], r["reason"], r["outcome"]) for r in rows}


def read_csv_dicts(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class GenSampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mm-gen-")
        cls.clean = os.path.join(cls.tmp, "clean")
        generate(cls.clean, "--requests", 800, "--format", "both", "--seed", 7)
        cls.bad = os.path.join(cls.tmp, "bad")
        generate(cls.bad, "--requests", 600, "--format", "both", "--bad-rows", 40, "--seed", 42)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def records(self, name, out_dir=None):
        with open(os.path.join(out_dir or self.clean, name), encoding="utf-8", newline="") as f:
            return parse_pg_csv(f.read())

    def test_same_seed_is_byte_identical(self):
        again = os.path.join(self.tmp, "again")
        generate(again, "--requests", 600, "--format", "both", "--bad-rows", 40, "--seed", 42)
        names = sorted(os.listdir(self.bad))
        self.assertEqual(names, sorted(os.listdir(again)))
        match, mismatch, errors = filecmp.cmpfiles(self.bad, again, names, shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        other = os.path.join(self.tmp, "other")
        generate(other, "--requests", 600, "--format", "both", "--bad-rows", 40, "--seed", 43)
        self.assertFalse(filecmp.cmp(os.path.join(self.bad, "user_requests.csv"),
                                     os.path.join(other, "user_requests.csv"), shallow=False))

    def test_headers_row_counts_and_csv_module(self):
        for name, cols in (("user_requests.csv", REQUEST_COLUMNS),
                           ("recommended_songs.csv", SONG_COLUMNS)):
            rows = read_csv_dicts(os.path.join(self.clean, name))
            with open(os.path.join(self.clean, name), encoding="utf-8") as f:
                self.assertEqual(f.readline().rstrip("\n").split(","), cols)
            for row in rows:
                self.assertNotIn(None, row, name)
                self.assertEqual(list(row), cols)
            if name == "user_requests.csv":
                self.assertEqual(len(rows), 800)
            else:
                self.assertTrue(1200 <= len(rows) <= 2000, len(rows))

    def test_postgres_quoting_round_trips(self):
        for name in ("user_requests.csv", "recommended_songs.csv"):
            with open(os.path.join(self.bad, name), encoding="utf-8", newline="") as f:
                text = f.read()
            out = "".join(",".join(pg_field(v) for v in fields) + "\n"
                          for _, fields in parse_pg_csv(text))
            self.assertEqual(out, text, name)
        requests = [fields for _, fields in self.records("user_requests.csv")[1:]]
        self.assertIn(None, [r[1] for r in requests], "some user_id is NULL")
        self.assertIn("", [r[2] for r in requests], "some text is the empty string")
        self.assertIn(None, [r[3] for r in requests], "some emojis are NULL")
        self.assertTrue(any("\n" in (r[2] or "") for r in requests), "some text spans lines")

    def test_json_fields_parse_and_print_like_jsonb(self):
        shapes = {"app": 0, "null": 0, "other": 0}
        for _, f in self.records("user_requests.csv")[1:]:
            if f[3] is not None:
                emojis = json.loads(f[3])
                self.assertTrue(1 <= len(emojis) <= 5 and len(set(emojis)) == len(emojis))
                self.assertEqual(jsonb_text(emojis), f[3])
            self.assertIn(int(f[4]), (10, 15, 20, 25, 30, 50))
            if f[5] is None:
                shapes["null"] += 1
                continue
            analysis = json.loads(f[5])
            self.assertEqual(jsonb_text(analysis), f[5])
            app_shape = (set(analysis) == {"mood", "matched_criteria"} and
                         isinstance(analysis["matched_criteria"], list))
            shapes["app" if app_shape else "other"] += 1
            self.assertTrue(valid_timestamp(f[6]), f[6])
        self.assertGreater(shapes["app"], 700)
        self.assertGreater(shapes["null"], 0)
        for _, f in self.records("recommended_songs.csv")[1:]:
            if f[15] is not None:
                self.assertEqual(jsonb_text(json.loads(f[15])), f[15])
            self.assertTrue(valid_timestamp(f[16]), f[16])
            if f[12] is not None:
                ms = int(f[12])
                self.assertEqual(f[13], "%d:%02d" % (ms // 60000, ms // 1000 % 60))

    def test_multi_codepoint_emojis_present(self):
        emojis = set()
        for _, f in self.records("user_requests.csv")[1:]:
            emojis.update(json.loads(f[3]) if f[3] else [])
        self.assertTrue(any("\u200d" in e for e in emojis), "ZWJ sequence")
        self.assertTrue(any(e.endswith("\ufe0f") for e in emojis), "VS16")
        self.assertTrue(any(0x1F3FB <= ord(c) <= 0x1F3FF for e in emojis for c in e), "skin tone")
        self.assertTrue(any(0x1F1E6 <= ord(e[0]) <= 0x1F1FF for e in emojis), "flag")

    def test_ids_increase_and_positions_are_dense(self):
        requests = self.records("user_requests.csv")[1:]
        ids = [int(f[0]) for _, f in requests]
        self.assertEqual(ids, sorted(set(ids)))
        times = [f[6] for _, f in requests]
        self.assertEqual(times, sorted(times))
        known = set(ids)
        positions = {}
        last_id = last_request = 0
        for _, f in self.records("recommended_songs.csv")[1:]:
            song_id, request_id, position = int(f[0]), int(f[1]), int(f[3])
            self.assertGreater(song_id, last_id)
            self.assertGreaterEqual(request_id, last_request)
            self.assertIn(request_id, known)
            self.assertTrue(f[5])
            last_id, last_request = song_id, request_id
            positions.setdefault(request_id, []).append(position)
        for request_id, got in positions.items():
            self.assertEqual(got, list(range(1, len(got) + 1)), request_id)

    def test_jsonl_nests_the_same_rows(self):
        csv_requests = {int(r["id"]): r for r in
                        read_csv_dicts(os.path.join(self.clean, "user_requests.csv"))}
        csv_songs = read_csv_dicts(os.path.join(self.clean, "recommended_songs.csv"))
        n_songs = 0
        with open(os.path.join(self.clean, "requests.jsonl"), encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                row = csv_requests.pop(rec["id"])
                self.assertEqual(rec["text_description"], row["text_description"])
                self.assertEqual(rec["created_at"], row["created_at"])
                self.assertEqual(rec["emojis"], json.loads(row["emojis"]) if row["emojis"] else None)
                for pos, song in enumerate(rec["songs"], 1):
                    self.assertEqual(song["request_id"], rec["id"])
                    self.assertEqual(song["position"], pos)
                    self.assertEqual(set(song), set(SONG_COLUMNS))
                    self.assertEqual(song["title"], csv_songs[n_songs]["title"])
                    n_songs += 1
        self.assertEqual(csv_requests, {})
        self.assertEqual(n_songs, len(csv_songs))

    def test_every_bad_row_is_listed_and_nothing_else(self):
        expected = expected_rejects(self.bad)
        per_file = {}
        for name, _ in expected:
            per_file[name] = per_file.get(name, 0) + 1
        self.assertEqual(per_file.get("user_requests.csv", 0) +
                         per_file.get("recommended_songs.csv", 0), 40)
        self.assertEqual(per_file["requests.jsonl"], 40)
        found = validate_csv(self.bad)
        found.update(validate_jsonl(self.bad))
        self.assertEqual(found, expected)
        with open(os.path.join(self.bad, "expected_rejects.csv"), encoding="utf-8") as f:
            kinds = {(r["file"].endswith(".jsonl"), r["kind"]) for r in csv.DictReader(f)}
        self.assertEqual(len([k for k in kinds if not k[0]]), 17, "every CSV kind")
        self.assertEqual(len([k for k in kinds if k[0]]), 12, "every jsonl kind")

    def test_tricky_valid_row_is_present(self):
        texts = [f[2] for _, f in self.records("user_requests.csv", self.bad)[1:]]
        tricky = [t for t in texts if t and "\r\n" in t and '"' in t and "," in t]
        self.assertEqual(len(tricky), 1)

    def test_gzip_output_matches_plain(self):
        gz = os.path.join(self.tmp, "gz")
        generate(gz, "--requests", 800, "--format", "both", "--seed", 7, "--gzip")
        for name in ("user_requests.csv", "recommended_songs.csv", "requests.jsonl"):
            with gzip.open(os.path.join(gz, name + ".gz"), "rb") as f:
                packed = f.read()
            with open(os.path.join(self.clean, name), "rb") as f:
                self.assertEqual(packed, f.read(), name)

    def test_start_ids_and_time(self):
        out = os.path.join(self.tmp, "ids")
        generate(out, "--requests", 30, "--start-id", 100000, "--format", "jsonl",
                 "--start-time", "2025-06-01T12:00:00Z")
        with open(os.path.join(out, "requests.jsonl"), encoding="utf-8") as f:
            recs = [json.loads(line) for line in f]
        self.assertEqual(len(recs), 30)
        self.assertGreaterEqual(recs[0]["id"], 100000)
        self.assertTrue(recs[0]["created_at"].startswith("2025-06-01 12:"))
        songs = [s for r in recs for s in r["songs"]]
        self.assertTrue(songs and songs[0]["id"] >= 199999)
        self.assertFalse(os.path.exists(os.path.join(out, "expected_rejects.csv")))

    def test_bundled_sample_is_reproducible(self):
        """data/sample/ is exactly what its README's commands generate."""
        out = os.path.join(self.tmp, "sample")
        generate(out, "--requests", 300, "--bad-rows", 20, "--mean-gap", 3600, "--seed", 42)
        generate(out, "--requests", 20, "--format", "jsonl", "--start-id", 100000,
                 "--start-time", "2025-03-01T00:00:00Z", "--mean-gap", 3600, "--seed", 7)
        sample = os.path.join(SOURCE_DIR, "data", "sample")
        names = ["user_requests.csv", "recommended_songs.csv", "requests.jsonl",
                 "expected_rejects.csv"]
        match, mismatch, errors = filecmp.cmpfiles(sample, out, names, shallow=False)
        self.assertEqual((mismatch, errors), ([], []),
                         "regenerate data/sample with the commands of its README.md")
        with open(os.path.join(sample, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn("--requests 300 --bad-rows 20", readme)
        self.assertIn("--start-id 100000 --start-time 2025-03-01T00:00:00Z", readme)

    def test_rejects_bad_arguments(self):
        proc = subprocess.run([sys.executable, GEN_SAMPLE, "--out", self.tmp, "--requests", "0",
                               "--bad-rows", "3"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--bad-rows", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
