"""Last.fm API 2.0: track.search and track.getInfo.

Path below /lastfm: /2.0/?method=...&api_key=...&format=json. As the real
service does, errors come inside HTTP 200 as {"error": code, "message": ...}:
10 for a missing or wrong api_key, 3 for an unknown method, 6 for missing
parameters or an unknown track, 29 above the configured rate per client address
(default 5/s). All numbers are strings. track.getInfo answers a *stub* (no
mbid, tiny counts, no tags) for a song Last.fm does not know but someone could
have scrobbled (a song of the catalog, or a deterministic share of unknown
names), as the real service does.
"""

import urllib.parse

from . import det, text, wire
from .faults import PROVIDER_KINDS

MESSAGES = {
    3: "Invalid Method - No method with that name in this package",
    5: "Invalid format - This service doesn't exist in that format",
    6: "Track not found",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    16: "There was a temporary error processing your request. Please try again",
    29: "Rate Limit Exceeded - Your IP has made too many requests in a short period",
}
SIZES = ("small", "medium", "large", "extralarge")


def error(code, message=None, status=200):
    return wire.json_response(status, {"error": code, "message": message or MESSAGES[code],
                                       "links": []})


def music_url(artist, title=None):
    out = "https://www.last.fm/music/" + urllib.parse.quote_plus(artist)
    return out + "/_/" + urllib.parse.quote_plus(title) if title is not None else out


class LastFm(wire.Provider):
    name = prefix = limit = "lastfm"
    kinds = PROVIDER_KINDS[name]

    def __init__(self, sim):
        self.sim = sim
        self.catalog = sim.catalog
        self.seed = sim.catalog.seed

    def route(self, method, path):
        if method in ("GET", "POST") and path in ("/2.0", "/2.0/"):
            return "%s /2.0/" % method, self.dispatch
        return None

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        if kind == "429":
            wait = str(self.sim.faults.config()["retry_after_seconds"])
            resp = error(29, status=429)
            resp.headers.append(("Retry-After", wait))
            return resp
        if kind in ("500", "503"):
            return error(8 if kind == "500" else 11, status=int(kind))
        return error(int(kind))

    def rate_limited(self, req, wait, tag):
        return error(29)

    def dispatch(self, req, ctx):
        p = dict(req.params)
        if req.method == "POST":
            p.update(req.form())
        if p.get("format") != "json":
            return wire.Response(200, ('<?xml version="1.0" encoding="UTF-8"?>\n<lfm status='
                                       '"failed"><error code="5">%s (apisim speaks JSON only: add'
                                       ' format=json)</error></lfm>\n' % MESSAGES[5]).encode(),
                                 "text/xml; charset=utf-8")
        if p.get("api_key") != ctx.cfg["lastfm"]["api_key"]:
            return error(10)
        method = p.get("method", "").lower()
        if method == "track.search":
            return self.search(p, req)
        if method == "track.getinfo":
            return self.info(p)
        return error(3)

    def image(self, t):
        art = next((r.art for r in t.itunes if r.art), None) if t else None
        return [{"#text": art.replace("600x600bb", "%dx%dbb" % (px, px)) if art else "",
                 "size": s} for s, px in zip(SIZES, (34, 64, 174, 300))]

    def mbid_of(self, t):
        return t.mbid if "musicbrainz" in t.providers else ""

    # --- track.search ---

    def search(self, p, req):
        track = p.get("track", "").strip()
        if not track:
            return error(6, "Invalid parameters - Your request is missing a required parameter")
        try:
            limit = min(max(int(p.get("limit", "30")), 1), 1000)
            page = max(int(p.get("page", "1")), 1)
        except ValueError:
            return error(6, "Invalid parameters - limit and page must be integers")
        q, qa = text.tokens(track), text.tokens(p.get("artist", ""))
        cat = self.catalog
        hits = []
        for i in cat.lastfm_index.candidates(q, prefix=True):
            t = cat.lastfm[i]
            if not text.prefix_match(q, t.t_title):
                continue
            artist_hit = bool(qa) and text.overlap(qa, t.t_artist) >= 0.5
            hits.append((not artist_hit, -t.listeners, t.key, t))
        hits.sort(key=lambda h: h[:3])
        start = (page - 1) * limit
        items = [{"name": t.title, "artist": t.artist, "url": music_url(t.artist, t.title),
                  "streamable": "FIXME", "listeners": str(t.listeners), "image": self.image(t),
                  "mbid": self.mbid_of(t)} for *_, t in hits[start:start + limit]]
        return wire.json_response(200, {"results": {
            "opensearch:Query": {"#text": "", "role": "request", "searchTerms": track,
                                 "startPage": str(page)},
            "opensearch:totalResults": str(len(hits)),
            "opensearch:startIndex": str(start),
            "opensearch:itemsPerPage": str(limit),
            "trackmatches": {"track": items},
            "@attr": {"for": track}}})

    # --- track.getInfo ---

    def resolve(self, artist, title, autocorrect):
        """The Last.fm track for a name pair: exact after normalisation, or with
        autocorrect the closest one that is close enough."""
        cat = self.catalog
        t = cat.lastfm_by_name.get((text.key(artist), text.key(title)))
        if t or not autocorrect:
            return t
        qa, qt = text.tokens(artist), text.tokens(title)
        best, best_score = None, 0.0
        for i in cat.lastfm_index.candidates(qt + qa):
            c = cat.lastfm[i]
            s = min(text.overlap(qt, c.t_title), text.overlap(qa, c.t_artist))
            if s > best_score:
                best, best_score = c, s
        return best if best_score >= 0.8 else None

    def info(self, p):
        mbid = p.get("mbid", "").strip()
        artist, title = p.get("artist", "").strip(), p.get("track", "").strip()
        if mbid:
            rec = self.catalog.by_mbid.get(mbid)
            t = rec[0] if rec and not rec[1] and "lastfm" in rec[0].providers else None
            return self.info_json(t, p) if t else error(6)
        if not artist or not title:
            return error(6, "Invalid parameters - Your request is missing a required parameter")
        t = self.resolve(artist, title, p.get("autocorrect") == "1")
        if t:
            return self.info_json(t, p)
        known = self.catalog.by_name.get((text.key(artist), text.key(title)))
        if known or det.unit(self.seed, "stub", text.key(artist), text.key(title)) < 0.3:
            return self.stub_json(artist, title)
        return error(6)

    def info_json(self, t, p):
        dur = "0" if det.unit(self.seed, "lfm-no-duration", t.key) < 0.1 else str(t.duration_ms)
        album_rel = t.spotify[0]
        doc = {
            "name": t.title, "mbid": self.mbid_of(t), "url": music_url(t.artist, t.title),
            "duration": dur, "streamable": {"#text": "0", "fulltrack": "0"},
            "listeners": str(t.listeners), "playcount": str(t.playcount),
            "artist": {"name": t.artist, "mbid": self.catalog.artists[t.artist].mbid
                       if "musicbrainz" in t.providers else "",
                       "url": music_url(t.artist)},
            "album": {"artist": t.artist, "title": t.album,
                      "mbid": det.mbid(self.seed, "release", album_rel.artist, t.album)
                      if "musicbrainz" in t.providers else "",
                      "url": music_url(t.artist) + "/" + urllib.parse.quote_plus(t.album),
                      "image": self.image(t),
                      "@attr": {"position": str(album_rel.track_number)}},
            "toptags": {"tag": [{"name": tag, "url": "https://www.last.fm/tag/"
                                 + urllib.parse.quote_plus(tag)} for tag in t.tags]},
            "wiki": {"published": "01 Jan %d, 00:00" % max(t.year, 2006),
                     "summary": "\"%s\" is a song by %s." % (t.title, t.artist),
                     "content": "\"%s\" is a song by %s, released in %d." % (
                         t.title, t.artist, t.year)},
        }
        if p.get("username"):
            doc["userplaycount"], doc["userloved"] = "0", "0"
        return wire.json_response(200, {"track": doc})

    def stub_json(self, artist, title):
        n = 1 + det.h64(self.seed, "stub-listeners", artist, title) % 40
        return wire.json_response(200, {"track": {
            "name": title, "url": music_url(artist, title), "duration": "0",
            "streamable": {"#text": "0", "fulltrack": "0"}, "listeners": str(n),
            "playcount": str(n * 2), "artist": {"name": artist, "url": music_url(artist)},
            "toptags": {"tag": []}}})
