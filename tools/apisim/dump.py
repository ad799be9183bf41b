"""The catalog's ground truth as JSON lines, for coverage and matching tests.

Line 1, {"type": "summary"}: track count, counts per coverage class and per
provider, and the providers of each class. Then one {"type": "track"} line per
song: which providers know it, its ids (the Spotify and iTunes ids of all its
releases, as exports carry them even when the provider no longer serves them),
canonical names, other keys of the same song (same artist and title on another
album), and the mentions that should resolve to it (each with the kind of
variant). Last, {"type": "must_not_match"} lines: a mention of one song and a
different song a careless matcher would take for it (same title by another
artist, or another title by the same artist).
"""

import json
import re

from . import catalog as catalog_mod
from . import text


def mentions(t):
    """[{title, artist, kind}] that name song t, without repeats."""
    out, seen = [], set()

    def add(title, artist, kind):
        if title and artist and (title, artist) not in seen:
            seen.add((title, artist))
            out.append({"title": title, "artist": artist, "kind": kind})
    add(t.title, t.artist, "canonical")
    for rel in t.spotify:
        add(rel.title, rel.artist, "spotify_" + rel.kind)
    for rel in t.itunes:
        add(rel.title, rel.artist, "itunes_" + rel.kind)
    for title, artist in t.mentions:
        add(title, artist, "export_fallback")
    add(t.title.lower(), t.artist.lower(), "case")
    add(" ".join(re.sub(r"[^\w\s&]", " ", t.title.replace("'", "")).split()), t.artist,
        "punctuation")
    add(text.fold(t.title), text.fold(t.artist), "diacritics")
    add(text.fold(t.title), t.artist, "diacritics")
    add(t.title, text.fold(t.artist), "diacritics")
    if " & " in t.artist:
        add(t.title, t.artist.replace(" & ", " and "), "and")
    if " and " in t.artist:
        add(t.title, t.artist.replace(" and ", " & "), "and")
    if t.artist.startswith("The "):
        add(t.title, t.artist[4:], "the")
    if t.feat:
        add(t.title, "%s feat. %s" % (t.artist, t.feat), "feat")
        add(t.title, "%s ft. %s" % (t.artist, t.feat), "feat")
        add(t.title, "%s & %s" % (t.artist, t.feat), "feat")
        add("%s (feat. %s)" % (t.title, t.feat), t.artist, "feat")
    return out


def track_record(cat, t, same):
    on = {p: p in t.providers for p in catalog_mod.PROVIDERS}
    return {
        "type": "track", "key": t.key, "coverage": t.coverage, "providers": on,
        "real": t.real, "genre": t.genre, "artist": t.artist, "feat": t.feat, "title": t.title,
        "album": t.album, "year": t.year, "duration_ms": t.duration_ms, "isrc": t.isrc,
        "popularity": t.popularity, "explicit": t.explicit,
        "same_song": [k for k in same if k != t.key],
        "spotify_ids": [r.id for r in t.spotify],
        "spotify_releases": [{"id": r.id, "kind": r.kind, "title": r.title, "album": r.album,
                              "popularity": r.popularity} for r in t.spotify],
        "itunes_ids": [r.id for r in t.itunes],
        "musicbrainz_id": t.mbid if on["musicbrainz"] else None,
        "lastfm": {"listeners": t.listeners, "playcount": t.playcount, "tags": t.tags}
        if on["lastfm"] else None,
        "moods": [m.name for m in t.moods], "features": t.features, "mentions": mentions(t),
    }


def traps(cat):
    """must_not_match records, at most two of each reason per song."""
    by_title, by_artist = {}, {}
    for t in cat.tracks:
        by_title.setdefault(text.key(t.title), []).append(t)
        by_artist.setdefault(text.key(t.artist), []).append(t)
    out = []
    for t in cat.tracks:
        for reason, pool, differ in (
                ("same_title_other_artist", by_title[text.key(t.title)],
                 lambda u: text.key(u.artist) != text.key(t.artist)),
                ("same_artist_other_title", by_artist[text.key(t.artist)],
                 lambda u: text.key(u.title) != text.key(t.title))):
            picked = [u for u in pool if u.group != t.group and differ(u)][:2]
            for u in picked:
                out.append({"type": "must_not_match",
                            "mention": {"title": t.title, "artist": t.artist},
                            "of": t.key, "not": u.key, "reason": reason,
                            "not_spotify_ids": [r.id for r in u.spotify]
                            if "spotify" in u.providers else [],
                            "not_itunes_ids": [r.id for r in u.itunes]
                            if "itunes" in u.providers else []})
    return out


def write(cat, path):
    """Writes the ground truth to path; returns the summary record."""
    groups = {}
    for t in cat.tracks:
        groups.setdefault(t.group, []).append(t.key)
    classes = {name: list(p) for name, _, p in catalog_mod.COVERAGE + (catalog_mod.ALL,)}
    summary = {"type": "summary", "tracks": len(cat.tracks), "catalog_seed": cat.seed,
               "coverage": {name: 0 for name in classes},
               "providers": {p: 0 for p in catalog_mod.PROVIDERS}, "classes": classes}
    for t in cat.tracks:
        summary["coverage"][t.coverage] += 1
        for p in t.providers:
            summary["providers"][p] += 1
    pairs = traps(cat)
    summary["must_not_match"] = len(pairs)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(summary, ensure_ascii=False) + "\n")
        for t in cat.tracks:
            f.write(json.dumps(track_record(cat, t, groups[t.group]), ensure_ascii=False) + "\n")
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    return summary
