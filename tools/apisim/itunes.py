"""iTunes Search API: GET /itunes/search?term=&media=music&entity=song&limit=&country=

No authentication. Every word of `term` must match the start of a word of the
song's title, artist or album (after folding case, diacritics, punctuation and
"&"/"and"), best title match first, then the more popular. Results use the real
field names (trackId, trackName, artistName, collectionName, artworkUrl100,
previewUrl, trackViewUrl, releaseDate, trackTimeMillis, ...); the body is sent
as text/javascript, as Apple does. limit defaults to 50 and is capped at 200.
Over the configured rate (off by default; Apple allows about 20 calls a minute)
the answer is a bare 403, as Apple's.
"""

from . import det, text, wire
from .faults import PROVIDER_KINDS

CONTENT_TYPE = "text/javascript; charset=utf-8"


class ITunes(wire.Provider):
    name = prefix = limit = "itunes"
    kinds = PROVIDER_KINDS[name]

    def __init__(self, sim):
        self.sim = sim
        self.catalog = sim.catalog
        self.seed = sim.catalog.seed

    def route(self, method, path):
        if method == "GET" and path.rstrip("/") == "/search":
            return "GET /search", self.search
        return None

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        headers = []
        if kind == "429":
            headers.append(("Retry-After", str(self.sim.faults.config()["retry_after_seconds"])))
        return wire.Response(int(kind), b"", "text/html; charset=utf-8", headers)

    def rate_limited(self, req, wait, tag):
        """Apple answers an over-eager client with 403 and no hint (about 20 calls a minute)."""
        return wire.Response(403, b"", "text/html; charset=utf-8")

    def search(self, req, ctx):
        p = req.params
        country = p.get("country", "US")
        if len(country) != 2 or not country.isalpha():
            return wire.json_response(400, {
                "errorMessage": "Invalid value(s) for key(s): [country]",
                "queryParameters": dict(req.query)}, content_type=CONTENT_TYPE)
        try:
            limit = min(max(int(p.get("limit", "50")), 1), 200)
        except ValueError:
            return wire.json_response(400, {
                "errorMessage": "Invalid value(s) for key(s): [limit]",
                "queryParameters": dict(req.query)}, content_type=CONTENT_TYPE)
        q = text.tokens(p.get("term", ""))
        songs = p.get("media", "all") in ("music", "all") and \
            p.get("entity", "song") in ("song", "musicTrack")
        hits = []
        if q and songs:
            cat = self.catalog
            for i in cat.itunes_index.candidates(q, prefix=True):
                rel = cat.itunes[i]
                if text.prefix_match(q, rel.t_title + rel.t_artist + rel.t_album):
                    s = text.overlap(q, rel.t_title) + 0.5 * text.overlap(q, rel.t_artist)
                    hits.append((-s, -rel.popularity, rel.id, rel))
            hits.sort(key=lambda h: h[:3])
        results = [self.result(h[3], country.upper()) for h in hits[:limit]]
        body = wire.json_response(200, {"resultCount": len(results), "results": results},
                                  content_type=CONTENT_TYPE)
        body.body = b"\n\n\n" + body.body + b"\n\n\n"
        return body

    def result(self, rel, country):
        t = rel.track
        artist_id = self.catalog.artists[rel.artist].itunes_id
        collection = int(rel.url.split("?")[0].rsplit("/", 1)[1])
        art = rel.art or ""
        price = 1.29 if rel.popularity > 60 else 0.99
        date = "%sT%s:00:00Z" % (rel.release_date if rel.precision == "day"
                                 else "%d-01-01" % rel.year, "07" if rel.year >= 1990 else "08")
        explicit = "explicit" if t.explicit else "notExplicit"
        out = {
            "wrapperType": "track", "kind": "song", "artistId": artist_id,
            "collectionId": collection, "trackId": int(rel.id), "artistName": rel.artist,
            "collectionName": rel.album, "trackName": rel.title,
            "collectionCensoredName": rel.album, "trackCensoredName": rel.title,
            "artistViewUrl": "https://music.apple.com/%s/artist/%d?uo=4" % (
                country.lower(), artist_id),
            "collectionViewUrl": rel.url.split("?")[0] + "?uo=4", "trackViewUrl": rel.url,
            "previewUrl": rel.preview,
            "artworkUrl30": art.replace("600x600bb", "30x30bb"),
            "artworkUrl60": art.replace("600x600bb", "60x60bb"),
            "artworkUrl100": art.replace("600x600bb", "100x100bb"),
            "collectionPrice": round(price * rel.total_tracks, 2), "trackPrice": price,
            "releaseDate": date, "collectionExplicitness": explicit,
            "trackExplicitness": explicit, "discCount": 1, "discNumber": 1,
            "trackCount": rel.total_tracks, "trackNumber": rel.track_number,
            "trackTimeMillis": rel.duration_ms, "country": "USA" if country == "US" else country,
            "currency": "USD", "primaryGenreName": self.catalog.itunes_genre(t.genre),
            "isStreamable": det.unit(self.seed, "streamable", rel.id) < 0.9,
        }
        if rel.preview is None:
            del out["previewUrl"]
        return out
