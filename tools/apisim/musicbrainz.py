"""MusicBrainz WS/2 (JSON): recording search with a Lucene subset, lookups by MBID and ISRC.

Paths below /musicbrainz: GET /ws/2/recording?query=&fmt=json&limit=&offset=,
GET /ws/2/recording/{mbid}?inc=..., GET /ws/2/isrc/{isrc}. A meaningful
User-Agent is required (empty or library-default agents get 403), and more than
the configured rate per client address (default 1 request/s) gets 503 with
MusicBrainz's rate-limit body.

Query language: field:value and field:"phrase" clauses (recording, artist,
artistname, creditname, release, isrc, arid, dur with [a TO b], tag, date),
bare terms and phrases (matched against title, artist and release), AND, OR,
NOT, &&, ||, !, leading + and -, parentheses (flattened), backslash escapes.
Clauses joined by AND must match in part; OR is the default. Scores are
relative: the best hit gets 100, as MusicBrainz normalises them, so a near miss
scores 100 when the asked-for recording does not exist.
"""

import datetime
import re

from . import det, text, wire
from .faults import PROVIDER_KINDS

HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
RATE_BODY = ("Your requests are exceeding the allowable rate limit. Please see "
             "http://wiki.musicbrainz.org/XMLWebService for more information.")
GENERIC_UA = re.compile(r"^(python-requests|python-urllib|python-httpx|aiohttp|curl|wget|libcurl|"
                        r"go-http-client|java|okhttp|axios|node-fetch|undici|php|ruby|"
                        r"apache-httpclient|mozilla/5\.0$)", re.I)
MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OPERATOR = re.compile(r"(AND|OR|NOT|&&|\|\||!)(?=[\s(\"+-]|$)")
FIELDNAME = re.compile(r"([A-Za-z][\w-]*):")
FIELDS = {"recording": "title", "title": "title", "recordingaccent": "title",
          "artist": "artist", "artistname": "artist", "creditname": "artist",
          "release": "release", "isrc": "isrc", "arid": "arid", "dur": "dur", "tag": "tag",
          "date": "date", "firstreleasedate": "date"}
WEIGHT = {"title": 1.0, "artist": 0.8, "release": 0.4, "any": 0.6}
AREAS = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "SE": "Sweden",
         "FR": "France", "NL": "Netherlands", "CA": "Canada", "JP": "Japan",
         "KR": "South Korea", "BR": "Brazil", "ES": "Spain"}
OFFICIAL = "4e304316-386d-3409-af2e-78857eec5cfe"


class QueryError(ValueError):
    pass


def _quoted(q, i):
    """(text, index after the closing quote) of the phrase opening at q[i]."""
    j, buf = i + 1, []
    while j < len(q) and q[j] != '"':
        if q[j] == "\\" and j + 1 < len(q):
            j += 1
        buf.append(q[j])
        j += 1
    if j >= len(q):
        raise QueryError("unterminated phrase at column %d" % (i + 1))
    return "".join(buf), j + 1


def parse(q):
    """Clauses [occur ('+', '-' or ''), field or None, kind, value] of a query."""
    clauses, i, n, join, negate = [], 0, len(q), None, False
    while i < n:
        if q[i].isspace() or q[i] in "()":
            i += 1
            continue
        m = OPERATOR.match(q, i)
        if m:
            word = m.group(1)
            negate = negate or word in ("NOT", "!")
            join = "AND" if word in ("AND", "&&") else "OR" if word in ("OR", "||") else join
            i = m.end()
            continue
        occur = ""
        if q[i] in "+-":
            occur, i = q[i], i + 1
        field = None
        m = FIELDNAME.match(q, i)
        if m:
            field, i = m.group(1).lower(), m.end()
        if i < n and q[i] == '"':
            value, i = _quoted(q, i)
            kind = "phrase"
        elif i < n and q[i] in "[{":
            end = q.find("]" if q[i] == "[" else "}", i)
            if end < 0:
                raise QueryError("unterminated range at column %d" % (i + 1))
            value, kind, i = q[i + 1:end], "range", end + 1
        else:
            buf = []
            while i < n and not q[i].isspace() and q[i] not in '()"':
                if q[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(q[i])
                i += 1
            value, kind = re.sub(r"[~^][\d.]*$", "", "".join(buf)), "term"
            if not value:
                raise QueryError("empty term at column %d" % (i + 1))
        if negate:
            occur, negate = "-", False
        if join == "AND" and clauses:
            clauses[-1][0] = clauses[-1][0] or "+"
            occur = occur or "+"
        join = None
        clauses.append([occur, field, kind, value])
    if not clauses:
        raise QueryError("empty query")
    return clauses


class MusicBrainz(wire.Provider):
    name = prefix = limit = "musicbrainz"
    kinds = PROVIDER_KINDS[name]

    def __init__(self, sim):
        self.sim = sim
        self.catalog = sim.catalog
        self.seed = sim.catalog.seed

    def route(self, method, path):
        if method != "GET":
            return None
        parts = path.strip("/").split("/")
        if parts[:3] == ["ws", "2", "recording"] and len(parts) == 3:
            return "GET /ws/2/recording", self.guard(self.search)
        if parts[:3] == ["ws", "2", "recording"] and len(parts) == 4:
            return "GET /ws/2/recording/{mbid}", self.guard(self.lookup)
        if parts[:3] == ["ws", "2", "isrc"] and len(parts) == 4:
            return "GET /ws/2/isrc/{isrc}", self.guard(self.isrc)
        return None

    def not_found(self, req):
        return wire.json_response(404, {"error": "Not Found", "help": HELP})

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        if kind == "503":
            return wire.json_response(503, {"error": RATE_BODY})
        if kind == "429":
            wait = str(self.sim.faults.config()["retry_after_seconds"])
            return wire.json_response(429, {"error": RATE_BODY}, [("Retry-After", wait)])
        return wire.json_response(500, {"error": "Internal server error", "help": HELP})

    def rate_limited(self, req, wait, tag):
        return wire.json_response(503, {"error": RATE_BODY})

    def guard(self, handler):
        """handler, behind the User-Agent and format checks."""
        def run(req, ctx):
            ua = req.header("User-Agent").strip()
            if not ua or GENERIC_UA.match(ua):
                return wire.json_response(403, {
                    "error": "Your requests are blocked: send a meaningful User-Agent, e.g. "
                             "AppName/1.0 ( contact@example.com )", "help": HELP})
            if req.params.get("fmt", "") != "json" and \
                    "application/json" not in req.header("Accept"):
                return wire.Response(400, b'<?xml version="1.0" encoding="UTF-8"?><error><text>'
                                     b"apisim speaks JSON only: add fmt=json</text></error>",
                                     "application/xml; charset=utf-8")
            return handler(req, ctx)
        return run

    # --- search ---

    def search(self, req, ctx):
        q = req.params.get("query", "")
        if not q.strip():
            return wire.json_response(400, {
                "error": "The given parameters do not match any available query type for the "
                         "recording resource.", "help": HELP})
        try:
            clauses = parse(q)
            limit = min(max(int(req.params.get("limit", "25")), 1), 100)
            offset = max(int(req.params.get("offset", "0")), 0)
        except ValueError as e:
            return wire.json_response(400, {"error": "Invalid query: %s" % e, "help": HELP})
        hits = self.find(clauses)
        top = hits[0][0] if hits else 1.0
        recs = []
        for raw, t, live in hits[offset:offset + limit]:
            rec = self.recording_json(t, live, ("artists", "releases", "isrcs", "tags"))
            rec = dict([("id", rec["id"]), ("score", int(round(100 * raw / top)))]
                       + [(k, v) for k, v in rec.items() if k != "id"])
            recs.append(rec)
        return wire.json_response(200, {"created": now(), "count": len(hits), "offset": offset,
                                        "recordings": recs})

    def find(self, clauses):
        cat = self.catalog
        words = ()
        for occur, field, kind, value in clauses:
            if occur != "-" and FIELDS.get(field, "any") in ("title", "artist", "release", "any"):
                words += text.tokens(value.rstrip("*"))
        if words:
            ids = cat.mb_index.candidates(words, prefix=any(c[3].endswith("*") for c in clauses))
        else:
            ids = range(len(cat.recordings))
        hits = []
        for i in ids:
            t, live = cat.recordings[i]
            raw = self.match(clauses, t, live)
            if raw > 0:
                hits.append((raw * (0.97 if live else 1.0), t, live))
        hits.sort(key=lambda h: (-h[0], h[1].live_mbid if h[2] else h[1].mbid))
        return hits

    def match(self, clauses, t, live):
        total = weights = 0.0
        for occur, field, kind, value in clauses:
            f = FIELDS.get(field, "any" if field is None else "unknown")
            s = self.clause(f, kind, value, t, live)
            if occur == "-":
                if s >= 0.5:
                    return 0.0
                continue
            if occur == "+" and s < 0.3:
                return 0.0
            w = WEIGHT.get(f, 0.5)
            total, weights = total + w * s, weights + w
        return total / weights if weights and total > 0 else 0.0

    def clause(self, f, kind, value, t, live):
        if f == "unknown":
            return 0.0
        if f in ("title", "artist", "release", "any"):
            q = text.tokens(value.rstrip("*"))
            fields = {"title": [t.t_title],
                      "artist": [t.t_artist, text.tokens(t.feat or ""),
                                 t.t_artist + text.tokens(t.feat or "")],
                      "release": [text.tokens(a) for a in self.albums(t, live)]}
            fields["any"] = fields["title"] + fields["artist"] + fields["release"]
            if kind == "phrase" or len(q) > 1:
                return max(text.phrase(q, words) for words in fields[f])
            if value.endswith("*"):
                return 1.0 if any(text.prefix_match(q, w) for w in fields[f]) else 0.0
            return 1.0 if any(set(q) <= set(w) for w in fields[f]) else 0.0
        if f == "isrc":
            return 1.0 if not live and value.upper() == t.isrc else 0.0
        if f == "arid":
            return 1.0 if value.lower() in [a.mbid for a in self.catalog.artists_of(t)] else 0.0
        if f == "tag":
            return 1.0 if value.lower() in t.tags else 0.0
        if f == "date":
            return 1.0 if value[:4] == str(t.year) else 0.0
        if f == "dur":
            return 1.0 if in_range(value, kind, t.duration_ms) else 0.0
        return 0.0

    def albums(self, t, live):
        if live:
            return [r.album for r in t.spotify if r.kind == "live"]
        return [r.album for r in t.spotify if r.kind != "live"]

    # --- lookups ---

    def lookup(self, req, ctx):
        mbid = req.path.strip("/").split("/")[3]
        if not MBID.match(mbid):
            return wire.json_response(400, {"error": "Invalid mbid.", "help": HELP})
        rec = self.catalog.by_mbid.get(mbid)
        if rec is None:
            return self.not_found(req)
        inc = set(req.params.get("inc", "").replace(" ", "+").split("+"))
        if "artist-credits" in inc:
            inc.add("artists")
        return wire.json_response(200, self.recording_json(rec[0], rec[1], inc))

    def isrc(self, req, ctx):
        code = req.path.strip("/").split("/")[3].upper()
        if not re.match(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$", code):
            return wire.json_response(400, {"error": "Invalid isrc.", "help": HELP})
        found = self.catalog.by_isrc.get(code)
        if not found:
            return self.not_found(req)
        return wire.json_response(200, {"isrc": code, "recordings": [
            self.recording_json(t, False, ("artists",)) for t in found]})

    # --- JSON shapes ---

    def credit(self, t):
        out = []
        names = [n for n in (t.artist, t.feat) if n]
        for k, n in enumerate(names):
            a = self.catalog.artists[n]
            entry = {"name": n, "artist": {"id": a.mbid, "name": n, "sort-name": a.sort_name}}
            if k + 1 < len(names):
                entry["joinphrase"] = " feat. "
            out.append(entry)
        return out

    def release_json(self, t, rel, credit):
        rid = det.mbid(self.seed, "release", rel.artist, rel.album)
        cc = t.isrc[:2]
        types = {"compilation": ["Compilation"], "live": ["Live"]}.get(rel.kind)
        group = {"id": det.mbid(self.seed, "release-group", rel.artist, rel.album),
                 "title": rel.album,
                 "primary-type": "Single" if rel.album_type == "single" else "Album"}
        if types:
            group["secondary-types"] = types
        return {"id": rid, "status-id": OFFICIAL, "count": 1, "title": rel.album,
                "status": "Official", "artist-credit": credit, "release-group": group,
                "date": rel.release_date, "country": cc,
                "release-events": [{"date": rel.release_date, "area": {
                    "id": det.mbid("area", cc), "name": AREAS.get(cc, cc),
                    "sort-name": AREAS.get(cc, cc), "iso-3166-1-codes": [cc]}}],
                "track-count": rel.total_tracks,
                "media": [{"position": 1, "format": "Digital Media" if rel.year >= 2005 else "CD",
                           "track": [{"id": det.mbid(self.seed, "track", rel.id),
                                      "number": str(rel.track_number), "title": t.title,
                                      "length": rel.duration_ms}],
                           "track-count": rel.total_tracks,
                           "track-offset": rel.track_number - 1}]}

    def recording_json(self, t, live, inc):
        rels = [r for r in t.spotify if (r.kind == "live") == live]
        first = min(rels, key=lambda r: r.release_date)
        length = None if det.unit(self.seed, "no-length", t.key) < 0.05 else (
            rels[0].duration_ms + det.h64(self.seed, "length", t.key) % 2001 - 1000)
        rec = {"id": t.live_mbid if live else t.mbid, "title": t.title, "length": length,
               "video": None, "first-release-date": first.release_date}
        if live:
            rec["disambiguation"] = "live, %d: %s" % (first.year, first.album.replace(
                "Live at ", ""))
        credit = self.credit(t)
        if "artists" in inc:
            rec["artist-credit"] = credit
        if "releases" in inc:
            rec["releases"] = [self.release_json(t, r, credit) for r in rels]
        if "isrcs" in inc:
            rec["isrcs"] = [rels[0].isrc]
        if "tags" in inc:
            rec["tags"] = [{"count": max(1, 9 - 2 * k), "name": name}
                           for k, name in enumerate(t.tags[:2])]
        return rec


def in_range(value, kind, length):
    try:
        if kind == "range":
            lo, _, hi = value.partition(" TO ")
            return (lo.strip() == "*" or int(lo) <= length) and \
                (hi.strip() == "*" or length <= int(hi))
        return abs(int(value) - length) <= 2000
    except ValueError:
        return False


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
