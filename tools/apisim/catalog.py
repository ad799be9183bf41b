"""The simulator's catalog: the track universe of tools/gen_sample.py, rendered per provider.

gen_sample.py is imported and its catalog is rebuilt exactly as its Generator
does (same seed, same calls), so every Spotify and iTunes id that appears in a
generated export belongs to a release here. On top of it the simulator derives,
deterministically from --catalog-seed: which providers know each song (the
coverage classes below), ISRCs, MusicBrainz ids, popularity, Last.fm counts and
tags, and audio features consistent with the song's moods.

Providers answer with the canonical spelling kept here; exports and LLM answers
use the variants gen_sample.py (and the simulated LLM) make.
"""

import importlib.util
import json
import os
import random
import re
import sys

from . import det, text, traits

PROVIDERS = ("spotify", "musicbrainz", "lastfm", "itunes")
# name, share of generated songs, providers that know the song. Famous (real)
# songs are always "all"; the rest of the generated songs are "all" too.
COVERAGE = (
    ("nowhere", 0.015, ()),
    ("musicbrainz_only", 0.03, ("musicbrainz",)),
    ("lastfm_only", 0.03, ("lastfm",)),
    ("itunes_only", 0.03, ("itunes",)),
    ("no_itunes", 0.05, ("spotify", "musicbrainz", "lastfm")),
    ("stores_only", 0.05, ("spotify", "itunes")),
)
ALL = ("all", None, PROVIDERS)
FEAT_IN_TITLE = re.compile(r"\s*[(\[](feat\.|ft\.|featuring|with) [^)\]]*[)\]]", re.I)
ISRC_COUNTRY = {"ja": "JP", "ko": "KR", "pt": "BR", "es": "ES"}
ISRC_DEFAULT = ("US", "GB", "US", "DE", "SE", "FR", "NL", "CA")
ITUNES_GENRE = {"hip hop": "Hip-Hop/Rap", "r&b": "R&B/Soul", "indie": "Alternative",
                "dance": "Dance", "techno": "Electronic", "lo-fi": "Hip-Hop/Rap",
                "ambient": "Electronic", "synthwave": "Electronic", "k-pop": "K-Pop",
                "city pop": "J-Pop", "folk": "Singer/Songwriter", "metal": "Metal",
                "punk": "Punk", "soul": "R&B/Soul", "bossa nova": "Brazilian"}


def load_generator():
    """The tools/gen_sample.py module (imported once)."""
    if "gen_sample" in sys.modules:
        return sys.modules["gen_sample"]
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "gen_sample.py")
    spec = importlib.util.spec_from_file_location("gen_sample", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_sample"] = module
    spec.loader.exec_module(module)
    return module


class Artist:
    __slots__ = ("name", "spotify_id", "mbid", "itunes_id", "sort_name")

    def __init__(self, seed, name):
        self.name = name
        self.spotify_id = det.b62(22, seed, "artist", name)
        self.mbid = det.mbid(seed, "artist", name)
        self.itunes_id = 100000 + det.h64(seed, "itunes-artist", name) % 1600000000
        self.sort_name = name[4:] + ", The" if name.startswith("The ") else name


class Release:
    """One Spotify or iTunes rendering of a song: the original or a remaster,
    live recording, radio edit, extended mix or compilation appearance."""
    __slots__ = ("track", "kind", "id", "title", "artist", "album", "year", "duration_ms",
                 "art", "preview", "url", "popularity", "isrc", "album_id", "album_type",
                 "total_tracks", "track_number", "release_date", "precision", "features",
                 "t_title", "t_base", "t_artist", "t_album")


class Track:
    """One song of gen_sample.py's catalog with everything the providers say about it."""
    __slots__ = ("key", "index", "genre", "style", "artist", "feat", "title", "album", "year",
                 "duration_ms", "real", "group", "coverage", "providers", "popularity", "isrc",
                 "explicit", "mbid", "live_mbid", "listeners", "playcount", "features",
                 "moods", "tags", "spotify", "itunes", "mentions", "t_title", "t_artist",
                 "t_album")


def release_kind(spotify_title, n):
    if n == 0:
        return "original"
    for suffix, kind in ((" - Live", "live"), ("Remaster", "remaster"),
                         (" - Radio Edit", "edit"), (" - Extended Mix", "extended")):
        if suffix in spotify_title:
            return kind
    return "compilation"


def coverage_of(seed, group_key, real):
    if real:
        return ALL
    u = det.unit(seed, "coverage", group_key)
    for entry in COVERAGE:
        if u < entry[1]:
            return entry
        u -= entry[1]
    return ALL


def fragment_fields(fragment):
    """The fields of one gen_sample.py song fragment (its JSON half)."""
    return json.loads("{" + fragment[1] + "}")


class Catalog:
    """The whole catalog and its per-provider indexes (read-only once built)."""

    def __init__(self, seed):
        self.seed = seed
        gs = load_generator()
        self.generator = gs
        rng = random.Random(gs.CATALOG_SEED)
        made = gs.build_tracks(rng, gs.parse_genres(), gs.CATALOG_PER_GENRE)
        releases = gs.Releases(rng)
        frags = [gs.release_fragments(rng, releases, tr) for tr in made]
        styles = {g: v[0] for g, v in gs.parse_genres().items()}
        self.labels = gs.GENRE_LABELS
        self.moods = [traits.Mood(i, m, gs.GENRE_LABELS) for i, m in enumerate(gs.parse_moods())]
        moods_by_genre = {}
        for m in self.moods:
            for g in m.genres:
                moods_by_genre.setdefault(g, []).append(m)
        self.artists = {}
        self.tracks = []
        groups = {}
        for i, (gt, fr) in enumerate(zip(made, frags)):
            t = self._track(i, gt, fr, styles.get(gt.genre, "en"), groups)
            t.moods = traits.assign_moods(self.moods, moods_by_genre, t)
            t.tags = traits.tags(t, self.labels)
            self.tracks.append(t)
        for m in self.moods:
            m.tracks = [(t, traits.mood_weight(m, t)) for t in self.tracks if t.genre in m.genres]
        self._index()

    def artist(self, name):
        a = self.artists.get(name)
        if a is None:
            a = self.artists[name] = Artist(self.seed, name)
        return a

    def _track(self, i, gt, fr, style, groups):
        seed = self.seed
        t = Track()
        t.key, t.index, t.genre, t.style = "t%05d" % i, i, gt.genre, style
        t.artist, t.feat, t.title, t.album = gt.artist, gt.feat, gt.title, gt.album
        t.year, t.duration_ms, t.real = gt.year, gt.dur_ms, gt.real
        t.group = groups.setdefault((text.key(t.artist), text.key(t.title)), t.key)
        name, _, t.providers = coverage_of(seed, t.group, t.real)
        t.coverage = name
        r = det.rng(seed, "track", t.key)
        t.popularity = 55 + int(40 * r.random()) if t.real else int(82 * r.random() ** 1.7)
        country = ISRC_COUNTRY.get(style) or ISRC_DEFAULT[det.h64(seed, "cc", t.artist) % 8]
        registrant = det.b62(3, seed, "registrant", t.artist).upper()
        t.isrc = "%s%s%02d%05d" % (country, registrant, t.year % 100, r.randrange(100000))
        t.explicit = r.random() < (0.4 if t.genre == "hip hop" else 0.04)
        t.mbid = det.mbid(seed, "recording", t.key)
        t.live_mbid = det.mbid(seed, "live-recording", t.key)
        t.listeners = int(10 ** (2.0 + 4.5 * t.popularity / 100.0) * r.uniform(0.7, 1.4))
        t.playcount = int(t.listeners * r.uniform(3.0, 12.0))
        t.features = traits.base_features(seed, t.key, t.genre)
        t.t_title, t.t_artist, t.t_album = (text.tokens(t.title), text.tokens(t.artist),
                                            text.tokens(t.album))
        for name_ in (t.artist, t.feat):
            if name_:
                self.artist(name_)
        sp, it, mentions = fr
        t.spotify = [self._release(t, fragment_fields(f), n, "spotify", sp)
                     for n, f in enumerate(sp)]
        t.itunes = [self._release(t, fragment_fields(f), n, "itunes", sp)
                    for n, f in enumerate(it)]
        t.mentions = [(f["title"], f["artist"]) for f in map(fragment_fields, mentions)]
        return t

    def _release(self, t, f, n, provider, sp):
        seed = self.seed
        rel = Release()
        rel.track, rel.kind = t, release_kind(fragment_fields(sp[n])["title"], n)
        rel.id, rel.title, rel.artist, rel.album = (f["spotify_track_id"], f["title"],
                                                    f["artist"], f["album"])
        rel.year = int(f["release_year"])
        rel.duration_ms, rel.art, rel.preview, rel.url = (f["duration_ms"], f["album_art"],
                                                          f["preview_url"], f["spotify_url"])
        scale = {"original": 1.0, "remaster": 0.85, "live": 0.35, "edit": 0.8,
                 "extended": 0.4, "compilation": 0.5}[rel.kind]
        rel.popularity = int(t.popularity * scale)
        rel.isrc = t.isrc if rel.kind in ("original", "compilation") else (
            t.isrc[:5] + "%02d%05d" % (rel.year % 100, det.h64(seed, "isrc", rel.id) % 100000))
        rel.album_id = det.b62(22, seed, "album", rel.artist, rel.album)
        rel.album_type = ("compilation" if rel.kind == "compilation" else
                          "single" if rel.album == t.title else "album")
        r = det.rng(seed, "release", rel.id)
        rel.total_tracks = 1 if rel.album_type == "single" else r.randint(8, 18)
        rel.track_number = r.randint(1, rel.total_tracks)
        rel.precision = "year" if rel.year < 1970 and r.random() < 0.6 else "day"
        rel.release_date = (str(rel.year) if rel.precision == "year" else
                            "%d-%02d-%02d" % (rel.year, r.randint(1, 12), r.randint(1, 28)))
        rel.features = traits.release_features(t.features, rel.kind, seed, rel.id)
        rel.t_title, rel.t_album = text.tokens(rel.title), text.tokens(rel.album)
        rel.t_base = text.tokens(FEAT_IN_TITLE.sub("", rel.title))
        rel.t_artist = text.tokens(rel.artist + (" " + t.feat if t.feat else ""))
        if provider == "itunes":
            self.artist(rel.artist)
        return rel

    def _index(self):
        """Per-provider lists, id maps and token indexes."""
        self.spotify, self.itunes, self.recordings, self.lastfm = [], [], [], []
        self.spotify_by_id, self.itunes_by_id, self.by_mbid, self.by_isrc = {}, {}, {}, {}
        self.spotify_index, self.itunes_index = text.Index(), text.Index()
        self.mb_index, self.lastfm_index = text.Index(), text.Index()
        self.lastfm_by_name, self.by_name = {}, {}
        for t in self.tracks:
            self.by_name.setdefault((text.key(t.artist), text.key(t.title)), t)
            if "spotify" in t.providers:
                for rel in t.spotify:
                    self.spotify_by_id[rel.id] = rel
                    self.spotify_index.add(len(self.spotify), rel.t_title + rel.t_artist
                                           + rel.t_album)
                    self.spotify.append(rel)
            if "itunes" in t.providers:
                for rel in t.itunes:
                    self.itunes_by_id[rel.id] = rel
                    self.itunes_index.add(len(self.itunes), rel.t_title + rel.t_artist
                                          + rel.t_album)
                    self.itunes.append(rel)
            if "musicbrainz" in t.providers:
                live = any(rel.kind == "live" for rel in t.spotify)
                for is_live in (False, True) if live else (False,):
                    rec = (t, is_live)
                    self.by_mbid[t.live_mbid if is_live else t.mbid] = rec
                    self.mb_index.add(len(self.recordings), t.t_title + t.t_artist + t.t_album
                                      + text.tokens(t.feat or ""))
                    self.recordings.append(rec)
                    if not is_live:
                        self.by_isrc.setdefault(t.isrc, []).append(t)
            if "lastfm" in t.providers:
                self.lastfm_by_name.setdefault((text.key(t.artist), text.key(t.title)), t)
                self.lastfm_index.add(len(self.lastfm), t.t_title + t.t_artist)
                self.lastfm.append(t)

    def artists_of(self, t):
        """The Artist objects credited on a track, main artist first."""
        return [self.artists[n] for n in (t.artist, t.feat) if n]

    def itunes_genre(self, genre):
        return ITUNES_GENRE.get(genre, genre.title())
