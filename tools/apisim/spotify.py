"""Spotify: the accounts service (/spotify-accounts) and the Web API (/spotify).

Accounts: POST /api/token with the client-credentials, refresh-token and
authorization-code grants (Basic client auth or client_id/client_secret in the
form), GET /authorize (redirects with the configured code). Web API, Bearer
tokens only: GET /v1/search (type=track; limit above search_max_limit is a 400),
GET /v1/tracks/{id}, GET /v1/tracks?ids= (50 at most; 403 with the
tracks_batch_403 switch), GET /v1/audio-features?ids= (100 at most) and
/v1/audio-features/{id} (403 {"error":{"status":403}} with the
audio_features_403 switch), GET /v1/me, POST /v1/me/playlists,
POST /v1/playlists/{id}/items, GET /v1/playlists/{id}; the removed
/v1/playlists/{id}/tracks and /v1/users/{id}/playlists answer 403. A rate
limit over a rolling window (off by default) answers 429 with Retry-After.
"""

import base64
import re
import threading
import time
import urllib.parse

from . import det, text, wire
from .faults import PROVIDER_KINDS

ID = re.compile(r"^[0-9A-Za-z]{22}$")
URI = re.compile(r"^spotify:track:([0-9A-Za-z]{22})$")
SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
FIELD = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')
FILTERS = ("track", "artist", "album", "year", "isrc", "genre", "tag", "upc")
LITERALS = frozenset(("search", "tracks", "audio-features", "me", "playlists", "items", "users"))
USER = "sim-user"
USER_SCOPE = "playlist-modify-private playlist-modify-public playlist-read-private"


def error(status, message=None, headers=None):
    body = {"status": status}
    if message is not None:
        body["message"] = message
    return wire.json_response(status, {"error": body}, headers)


def oauth_error(code, description):
    return wire.json_response(400, {"error": code, "error_description": description})


class Accounts(wire.Provider):
    """accounts.spotify.com: issues and checks tokens."""
    name = prefix = "spotify-accounts"
    kinds = PROVIDER_KINDS[name]

    def __init__(self, sim):
        self.sim = sim
        self.lock = threading.Lock()
        self.tokens = {}
        self.issued = 0

    def route(self, method, path):
        if path == "/api/token" and method == "POST":
            return "POST /api/token", self.token
        if path == "/authorize" and method == "GET":
            return "GET /authorize", self.authorize
        return None

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        if kind == "429":
            wait = str(self.sim.faults.config()["retry_after_seconds"])
            return wire.json_response(429, {"error": "rate_limit_exceeded",
                                            "error_description": "Too many requests"},
                                      [("Retry-After", wait)])
        return wire.json_response(int(kind), {"error": "server_error",
                                              "error_description": "Internal server error"})

    def issue(self, cfg, user):
        """A new access token: (token, lifetime seconds)."""
        lifetime = cfg["spotify"]["token_lifetime_seconds"]
        with self.lock:
            self.issued += 1
            token = "BQ" + det.b62(40, cfg["seed"], "token", self.issued, time.time()) \
                + det.b62(40, "token-tail", self.issued)
            self.tokens[token] = (time.monotonic() + lifetime, user)
        self.sim.stats.count(self.name, "tokens_issued")
        return token, int(lifetime)

    def check(self, token):
        """'ok', 'expired' or 'unknown', and whether the token acts for a user."""
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None:
            return "unknown", False
        return ("ok" if time.monotonic() < entry[0] else "expired"), entry[1]

    def client_ok(self, req, form, sp):
        auth = req.header("Authorization")
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except ValueError:
                return False
            cid, _, secret = pair.partition(":")
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return cid == sp["client_id"] and secret == sp["client_secret"]

    def token(self, req, ctx):
        sp = ctx.cfg["spotify"]
        form = req.form()
        if not self.client_ok(req, form, sp):
            return oauth_error("invalid_client", "Invalid client")
        grant = form.get("grant_type", "")
        if not grant:
            return oauth_error("unsupported_grant_type", "grant_type parameter is missing")
        if grant == "client_credentials":
            token, life = self.issue(ctx.cfg, False)
            return wire.json_response(200, {"access_token": token, "token_type": "bearer",
                                            "expires_in": life})
        if grant == "refresh_token":
            if form.get("refresh_token") != sp["refresh_token"]:
                return oauth_error("invalid_grant", "Invalid refresh token")
            token, life = self.issue(ctx.cfg, True)
            return wire.json_response(200, {"access_token": token, "token_type": "Bearer",
                                            "expires_in": life, "scope": USER_SCOPE})
        if grant == "authorization_code":
            if form.get("code") != sp["auth_code"]:
                return oauth_error("invalid_grant", "Invalid authorization code")
            if not form.get("redirect_uri"):
                return oauth_error("invalid_grant", "Invalid redirect URI")
            token, life = self.issue(ctx.cfg, True)
            return wire.json_response(200, {"access_token": token, "token_type": "Bearer",
                                            "expires_in": life, "scope": USER_SCOPE,
                                            "refresh_token": sp["refresh_token"]})
        return oauth_error("unsupported_grant_type",
                           "grant_type must be client_credentials, authorization_code or "
                           "refresh_token")

    def authorize(self, req, ctx):
        sp = ctx.cfg["spotify"]
        uri = req.params.get("redirect_uri", "")
        host = urllib.parse.urlsplit(uri).hostname or ""
        problem = None
        if req.params.get("client_id") != sp["client_id"]:
            problem = "INVALID_CLIENT: Invalid client"
        elif req.params.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif host == "localhost" or (not uri.startswith("https://")
                                     and host not in ("127.0.0.1", "::1")):
            problem = "INVALID_CLIENT: Insecure redirect URI"
        if problem:
            return wire.Response(400, problem.encode(), "text/html; charset=utf-8")
        q = {"code": sp["auth_code"]}
        if "state" in req.params:
            q["state"] = req.params["state"]
        sep = "&" if "?" in uri else "?"
        return wire.Response(302, b"", "text/html",
                             [("Location", uri + sep + urllib.parse.urlencode(q))])


class Spotify(wire.Provider):
    """api.spotify.com/v1."""
    name = prefix = limit = "spotify"
    kinds = PROVIDER_KINDS[name]

    def __init__(self, sim, accounts):
        self.sim = sim
        self.catalog = sim.catalog
        self.accounts = accounts
        self.lock = threading.Lock()
        self.playlists = {}
        self.table = {
            ("GET", "search"): ("GET /v1/search", self.search),
            ("GET", "tracks"): ("GET /v1/tracks", self.tracks),
            ("GET", "tracks", "*"): ("GET /v1/tracks/{id}", self.track),
            ("GET", "audio-features"): ("GET /v1/audio-features", self.features),
            ("GET", "audio-features", "*"): ("GET /v1/audio-features/{id}", self.feature),
            ("GET", "me"): ("GET /v1/me", self.me),
            ("POST", "me", "playlists"): ("POST /v1/me/playlists", self.create_playlist),
            ("GET", "playlists", "*"): ("GET /v1/playlists/{id}", self.get_playlist),
            ("POST", "playlists", "*", "items"): ("POST /v1/playlists/{id}/items", self.add_items),
            ("POST", "playlists", "*", "tracks"): ("POST /v1/playlists/{id}/tracks",
                                                   self.removed),
            ("POST", "users", "*", "playlists"): ("POST /v1/users/{id}/playlists", self.removed),
        }

    def route(self, method, path):
        parts = path.strip("/").split("/")
        if parts[0] != "v1":
            return None
        shape = tuple(s if s in LITERALS else "*" for s in parts[1:])
        found = self.table.get((method,) + shape)
        if found:
            return found[0], lambda req, ctx: self.authorized(req, ctx, found[1], parts)
        return None

    def not_found(self, req):
        return error(404, "Service not found")

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        if kind == "429":
            wait = str(self.sim.faults.config()["retry_after_seconds"])
            return error(429, "API rate limit exceeded", [("Retry-After", wait)])
        return error(int(kind), {"500": "Server error.", "503": "Service unavailable"}[kind])

    def rate_limited(self, req, wait, tag):
        return error(429, "API rate limit exceeded", [("Retry-After", str(int(wait) + 1))])

    def authorized(self, req, ctx, handler, parts):
        auth = req.header("Authorization")
        if not auth.startswith("Bearer "):
            return error(401, "No token provided")
        state, user = self.accounts.check(auth[7:].strip())
        if state == "expired":
            return error(401, "The access token expired", [(
                "WWW-Authenticate", 'Bearer realm="spotify", error="invalid_token", '
                'error_description="The access token expired"')])
        if state == "unknown":
            return error(401, "Invalid access token")
        return handler(req, ctx, parts, user)

    # --- JSON shapes ---

    def artist_json(self, a, base):
        return {"external_urls": {"spotify": "https://open.spotify.com/artist/" + a.spotify_id},
                "href": base + "/v1/artists/" + a.spotify_id, "id": a.spotify_id,
                "name": a.name, "type": "artist", "uri": "spotify:artist:" + a.spotify_id}

    def track_json(self, rel, base):
        t = rel.track
        artists = [self.artist_json(a, base) for a in self.catalog.artists_of(t)]
        images = []
        if rel.art:
            for code, size in (("b273", 640), ("1e02", 300), ("4851", 64)):
                images.append({"url": rel.art.replace("ab67616d0000b273", "ab67616d0000" + code),
                               "height": size, "width": size})
        album = {
            "album_type": rel.album_type, "total_tracks": rel.total_tracks,
            "external_urls": {"spotify": "https://open.spotify.com/album/" + rel.album_id},
            "href": base + "/v1/albums/" + rel.album_id, "id": rel.album_id, "images": images,
            "name": rel.album, "release_date": rel.release_date,
            "release_date_precision": rel.precision, "type": "album",
            "uri": "spotify:album:" + rel.album_id, "artists": artists[:1],
        }
        return {
            "album": album, "artists": artists, "disc_number": 1,
            "duration_ms": rel.duration_ms, "explicit": t.explicit,
            "external_ids": {"isrc": rel.isrc},
            "external_urls": {"spotify": "https://open.spotify.com/track/" + rel.id},
            "href": base + "/v1/tracks/" + rel.id, "id": rel.id, "is_local": False,
            "is_playable": True, "name": rel.title, "popularity": rel.popularity,
            "preview_url": rel.preview, "track_number": rel.track_number, "type": "track",
            "uri": "spotify:track:" + rel.id,
        }

    def features_json(self, rel, base):
        out = dict(rel.features)
        out.update({"id": rel.id, "uri": "spotify:track:" + rel.id,
                    "track_href": base + "/v1/tracks/" + rel.id,
                    "analysis_url": base + "/v1/audio-analysis/" + rel.id,
                    "type": "audio_features", "duration_ms": rel.duration_ms})
        return out

    # --- search ---

    def search(self, req, ctx, parts, user):
        p = req.params
        q = p.get("q", p.get("query", "")).strip()  # next/previous links say "query"
        if not q:
            return error(400, "No search query")
        types = [s for s in p.get("type", "").split(",") if s]
        if not types:
            return error(400, "Missing parameter type")
        if any(s not in SEARCH_TYPES for s in types):
            return error(400, "Bad search type field")
        cap = ctx.cfg["spotify"]["search_max_limit"]
        try:
            limit, offset = int(p.get("limit", "5")), int(p.get("offset", "0"))
        except ValueError:
            return error(400, "Invalid limit")
        if not 1 <= limit <= cap:
            return error(400, "Invalid limit")
        if not 0 <= offset <= 1000:
            return error(400, "Invalid offset")
        market = p.get("market")
        if market is not None and not re.match(r"^[A-Z]{2}$", market) and market != "from_token":
            return error(400, "Invalid market code")
        out = {}
        for s in types:
            hits = self.find(q) if s == "track" else []
            out[s + "s"] = self.page(req, q, s, hits[offset:offset + limit], len(hits), limit,
                                     offset)
        return wire.json_response(200, out)

    def page(self, req, q, kind, items, total, limit, offset):
        def link(o):
            return req.base + "/v1/search?" + urllib.parse.urlencode(
                {"query": q, "type": kind, "offset": o, "limit": limit})
        return {"href": link(offset), "limit": limit,
                "next": link(offset + limit) if offset + limit < total else None,
                "offset": offset,
                "previous": link(max(0, offset - limit)) if offset > 0 else None,
                "total": total, "items": [self.track_json(r, req.base) for r in items]}

    def find(self, q):
        """Releases matching a search query, best first: field filters must each
        match in part, free text is matched loosely (so near misses come back)."""
        filters, free = {}, []
        for m in FIELD.finditer(q):
            field = (m.group(1) or m.group(3) or "").lower()
            value = m.group(2) if m.group(1) else m.group(4)
            if field in FILTERS:
                filters[field] = value
            else:
                free.append(m.group(0).strip('"') if not m.group(5) else m.group(5))
        free_t = text.tokens(" ".join(free))
        ft = {k: text.tokens(filters[k]) for k in ("track", "artist", "album") if k in filters}
        cat = self.catalog
        if "isrc" in filters:
            ids = [i for i, r in enumerate(cat.spotify) if r.isrc == filters["isrc"].upper()]
        else:
            words = free_t + sum(ft.values(), ())
            ids = cat.spotify_index.candidates(words) if words else range(len(cat.spotify))
        years = None
        if "year" in filters:
            lo, _, hi = filters["year"].partition("-")
            try:
                years = (int(lo), int(hi or lo))
            except ValueError:
                return []
        hits = []
        for i in ids:
            rel = cat.spotify[i]
            score = self.score(rel, ft, free_t, years, filters.get("genre"))
            if score > 0:
                hits.append((-(score + 0.06 * rel.popularity / 100.0), rel.id, rel))
        hits.sort(key=lambda h: h[:2])
        return [h[2] for h in hits]

    def score(self, rel, ft, free_t, years, genre):
        if years and not years[0] <= rel.year <= years[1]:
            return 0.0
        if genre and not set(text.tokens(genre)) & set(
                text.tokens(" ".join(self.catalog.labels.get(rel.track.genre, [rel.track.genre])))):
            return 0.0
        parts = []
        for field, weight, words in (("track", 0.6, rel.t_title), ("artist", 0.3, rel.t_artist),
                                     ("album", 0.1, rel.t_album)):
            if field in ft:
                s = text.overlap(ft[field], words)
                if field == "track":
                    s = max(s, text.overlap(ft[field], rel.t_base))
                if field == "artist":
                    s = max([s] + [text.overlap(ft[field], text.tokens(a.name))
                                   for a in self.catalog.artists_of(rel.track)])
                if s == 0:
                    return 0.0
                parts.append((s, weight))
        if free_t:
            every = set(rel.t_title) | set(rel.t_artist) | set(rel.t_album)
            cover = len(set(free_t) & every) / len(set(free_t))
            if cover == 0:
                return 0.0
            title = max(text.overlap(rel.t_title, free_t), text.overlap(rel.t_base, free_t))
            parts.append((0.75 * cover + 0.25 * title, 0.6))
        if not parts:
            return 0.5
        return sum(s * w for s, w in parts) / sum(w for _, w in parts)

    # --- tracks and audio features ---

    def ids_param(self, req, cap):
        raw = req.params.get("ids")
        if not raw:
            return None, error(400, "Missing required parameter: ids")
        ids = raw.split(",")
        if len(ids) > cap:
            return None, error(400, "Too many ids requested")
        if any(not ID.match(i) for i in ids):
            return None, error(400, "Invalid base62 id")
        return ids, None

    def track(self, req, ctx, parts, user):
        tid = parts[2]
        if not ID.match(tid):
            return error(400, "Invalid base62 id")
        rel = self.catalog.spotify_by_id.get(tid)
        if rel is None:
            return error(404, "Resource not found")
        return wire.json_response(200, self.track_json(rel, req.base))

    def tracks(self, req, ctx, parts, user):
        if ctx.cfg["spotify"]["tracks_batch_403"]:
            return error(403, "This endpoint is not available for apps in development mode")
        ids, bad = self.ids_param(req, 50)
        if bad:
            return bad
        by_id = self.catalog.spotify_by_id
        return wire.json_response(200, {"tracks": [
            self.track_json(by_id[i], req.base) if i in by_id else None for i in ids]})

    def features(self, req, ctx, parts, user):
        if ctx.cfg["spotify"]["audio_features_403"]:
            return error(403)
        ids, bad = self.ids_param(req, 100)
        if bad:
            return bad
        by_id = self.catalog.spotify_by_id
        return wire.json_response(200, {"audio_features": [
            self.features_json(by_id[i], req.base) if i in by_id else None for i in ids]})

    def feature(self, req, ctx, parts, user):
        if ctx.cfg["spotify"]["audio_features_403"]:
            return error(403)
        if not ID.match(parts[2]):
            return error(400, "Invalid base62 id")
        rel = self.catalog.spotify_by_id.get(parts[2])
        if rel is None:
            return error(404, "Resource not found")
        return wire.json_response(200, self.features_json(rel, req.base))

    # --- user and playlists ---

    def user_json(self, base):
        return {"display_name": "Sim User", "external_urls": {
            "spotify": "https://open.spotify.com/user/" + USER}, "href": base + "/v1/users/" + USER,
            "id": USER, "type": "user", "uri": "spotify:user:" + USER}

    def me(self, req, ctx, parts, user):
        if not user:
            return error(401, "Valid user authentication required")
        return wire.json_response(200, self.user_json(req.base))

    def playlist_json(self, pid, pl, base, with_items=False):
        items = {"href": base + "/v1/playlists/%s/items" % pid, "total": len(pl["uris"])}
        if with_items:
            items["items"] = [{"added_by": {"id": USER, "type": "user"}, "is_local": False,
                               "item": self.track_json(self.catalog.spotify_by_id[u[14:]], base)}
                              for u in pl["uris"][:100]]
        return {"collaborative": pl["collaborative"], "description": pl["description"],
                "external_urls": {"spotify": "https://open.spotify.com/playlist/" + pid},
                "href": base + "/v1/playlists/" + pid, "id": pid, "images": [],
                "name": pl["name"], "owner": self.user_json(base), "public": pl["public"],
                "snapshot_id": pl["snapshot"], "items": items, "type": "playlist",
                "uri": "spotify:playlist:" + pid}

    def create_playlist(self, req, ctx, parts, user):
        if not user:
            return error(401, "Valid user authentication required")
        try:
            body = req.json()
        except ValueError:
            return error(400, "Error parsing JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
                or not body["name"].strip():
            return error(400, "Missing required field: name")
        public, collab = body.get("public", True), body.get("collaborative", False)
        if not isinstance(public, bool) or not isinstance(collab, bool):
            return error(400, "public and collaborative must be booleans")
        with self.lock:
            pid = det.b62(22, ctx.cfg["seed"], "playlist", len(self.playlists), time.time())
            pl = {"name": body["name"], "description": body.get("description") or None,
                  "public": public, "collaborative": collab, "uris": [], "version": 0}
            pl["snapshot"] = det.b62(32, pid, 0)
            self.playlists[pid] = pl
            doc = self.playlist_json(pid, pl, req.base)
        self.sim.stats.count(self.name, "playlists_created")
        return wire.json_response(201, doc)

    def get_playlist(self, req, ctx, parts, user):
        with self.lock:
            pl = self.playlists.get(parts[2])
            doc = pl and self.playlist_json(parts[2], pl, req.base, True)
        return wire.json_response(200, doc) if doc else error(404, "Not found.")

    def add_items(self, req, ctx, parts, user):
        if not user:
            return error(401, "Valid user authentication required")
        body = {}
        if req.body:
            try:
                body = req.json()
            except ValueError:
                return error(400, "Error parsing JSON.")
        uris = body.get("uris") if isinstance(body, dict) else None
        if uris is None and req.params.get("uris"):
            uris = req.params["uris"].split(",")
        if not isinstance(uris, list) or not uris:
            return error(400, "No uris provided")
        if len(uris) > 100:
            return error(400, "You can add a maximum of 100 tracks per request.")
        for u in uris:
            m = URI.match(u) if isinstance(u, str) else None
            if not m:
                return error(400, "Invalid track uri: %s" % u)
            if m.group(1) not in self.catalog.spotify_by_id:
                return error(400, "Payload contains a non-existing ID")
        with self.lock:
            pl = self.playlists.get(parts[2])
            if pl is None:
                return error(404, "Not found.")
            pos = body.get("position", len(pl["uris"])) if isinstance(body, dict) else None
            if not isinstance(pos, int) or isinstance(pos, bool) or not 0 <= pos <= len(pl["uris"]):
                return error(400, "Index out of bounds")
            pl["uris"][pos:pos] = uris
            pl["version"] += 1
            pl["snapshot"] = det.b62(32, parts[2], pl["version"])
            snap = pl["snapshot"]
        self.sim.stats.count(self.name, "items_added", len(uris))
        return wire.json_response(201, {"snapshot_id": snap})

    def removed(self, req, ctx, parts, user):
        return error(403, "Forbidden")

    def playlists_doc(self):
        """All playlists (for GET /_sim/playlists)."""
        with self.lock:
            return {pid: {"name": pl["name"], "public": pl["public"], "uris": list(pl["uris"]),
                          "snapshot_id": pl["snapshot"]} for pid, pl in self.playlists.items()}
