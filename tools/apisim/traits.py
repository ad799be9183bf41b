"""Musical traits of catalog tracks: audio features, moods and tags.

A track's audio features come from a profile of its genre plus a per-track
deviation. The moods of gen_sample.py (which list the genres that suit them)
get a valence/energy target from their own words (a small lexicon below) and
from their genres; a track belongs to the moods of its genre whose target is
nearest to its features, and its Last.fm tags name those moods. So the tags,
the features and the songs the simulated LLM proposes for a mood agree.
"""

import math

from . import det, text

# genre: energy, valence, danceability, acousticness, instrumentalness,
#        speechiness, tempo (BPM), loudness (dB)
GENRE_PROFILE = {
    "lo-fi": (0.35, 0.45, 0.65, 0.55, 0.70, 0.08, 82, -12),
    "ambient": (0.15, 0.20, 0.20, 0.80, 0.90, 0.04, 70, -22),
    "classical": (0.15, 0.25, 0.20, 0.95, 0.90, 0.04, 80, -24),
    "jazz": (0.35, 0.50, 0.55, 0.80, 0.45, 0.05, 115, -13),
    "bossa nova": (0.35, 0.60, 0.65, 0.80, 0.20, 0.05, 125, -13),
    "r&b": (0.50, 0.50, 0.68, 0.25, 0.02, 0.10, 95, -7),
    "pop": (0.65, 0.60, 0.68, 0.15, 0.01, 0.06, 118, -6),
    "dance": (0.82, 0.65, 0.78, 0.05, 0.15, 0.06, 124, -5),
    "techno": (0.85, 0.35, 0.72, 0.02, 0.80, 0.06, 128, -7),
    "hip hop": (0.68, 0.50, 0.78, 0.10, 0.01, 0.28, 95, -6),
    "rock": (0.75, 0.50, 0.48, 0.12, 0.05, 0.05, 125, -6),
    "indie": (0.55, 0.42, 0.52, 0.30, 0.10, 0.04, 115, -8),
    "folk": (0.30, 0.42, 0.48, 0.80, 0.05, 0.04, 105, -11),
    "metal": (0.92, 0.30, 0.40, 0.01, 0.10, 0.08, 140, -5),
    "punk": (0.90, 0.55, 0.45, 0.02, 0.02, 0.07, 165, -4),
    "synthwave": (0.72, 0.45, 0.60, 0.03, 0.45, 0.04, 110, -7),
    "k-pop": (0.80, 0.70, 0.72, 0.08, 0.00, 0.08, 122, -4),
    "city pop": (0.62, 0.68, 0.70, 0.25, 0.05, 0.04, 112, -8),
    "latin": (0.75, 0.70, 0.78, 0.15, 0.00, 0.10, 98, -5),
    "country": (0.55, 0.55, 0.58, 0.40, 0.00, 0.04, 112, -7),
    "soul": (0.55, 0.68, 0.64, 0.35, 0.02, 0.05, 108, -8),
    "soundtrack": (0.40, 0.25, 0.25, 0.70, 0.85, 0.04, 95, -15),
    "blues": (0.50, 0.45, 0.50, 0.45, 0.10, 0.05, 100, -9),
    "reggae": (0.55, 0.72, 0.75, 0.20, 0.05, 0.10, 80, -8),
}
DEFAULT_PROFILE = (0.50, 0.50, 0.50, 0.30, 0.10, 0.05, 110, -8)

# Words that move a mood's valence or energy target up or down.
LEXICON = {
    "valence-": """sad cry crying down heavy gloomy grieving heartbroken hurt breakup
        melancholic melancholy somber wistful lonely isolated longing anxious dark
        brooding ominous gothic angry rage furious frustrated bittersweet sorrowful
        aching haunting menacing sinister eerie""",
    "valence+": """happy joyful cheerful bright feel-good smile sunny party festive euphoric
        ecstatic blissful playful silly fun bubbly hopeful optimistic uplifting summer
        tropical confident empowered love romantic sweet sunshine carefree""",
    "energy+": """energetic pumped intense workout gym rage furious hype hyped party dance
        euphoric festival drop fast driving loud aggressive adrenaline epic rebellious
        defiant angry punchy relentless turnt""",
    "energy-": """chill calm relaxed mellow cozy sleepy drowsy soft tranquil peaceful serene
        meditative zen quiet gentle slow lazy soothing dreamy floaty unhurried easy
        bedtime laid-back""",
}
_LEX = {k: frozenset(v.split()) for k, v in LEXICON.items()}
FEATURE_NAMES = ("danceability", "energy", "key", "loudness", "mode", "speechiness",
                 "acousticness", "instrumentalness", "liveness", "valence", "tempo",
                 "time_signature")


def clamp(x, lo=0.0, hi=1.0):
    return lo if x < lo else hi if x > hi else x


class Mood:
    """One mood of gen_sample.py with what the simulator derives from it."""

    def __init__(self, index, gm, labels):
        self.index = index
        self.name = gm.moods[0]
        self.words = gm.moods
        self.emojis = gm.emojis
        self.genres = gm.genres
        self.activities = gm.activities
        self.why = gm.why
        self.queries = gm.queries
        self.labels = {g: labels.get(g, [g]) for g in gm.genres}
        self.target = self._target(gm)
        self.tracks = []  # (track, weight) candidates for recommendations

    def _target(self, gm):
        """(valence, energy): half the mean of its genres, half its own words."""
        profiles = [GENRE_PROFILE.get(g, DEFAULT_PROFILE) for g in gm.genres]
        v = sum(p[1] for p in profiles) / len(profiles)
        e = sum(p[0] for p in profiles) / len(profiles)
        words = set(text.tokens(" ".join(gm.moods + gm.why + gm.activities)))
        words |= {w for w in " ".join(gm.moods).lower().split()}

        def lean(up, down):
            u, d = len(words & _LEX[up]), len(words & _LEX[down])
            return 0.5 if u == d else clamp(0.5 + 0.35 * (u - d) / (u + d))
        return (0.5 * v + 0.5 * lean("valence+", "valence-"),
                0.5 * e + 0.5 * lean("energy+", "energy-"))

    def distance(self, valence, energy):
        return math.hypot(valence - self.target[0], energy - self.target[1])


def base_features(seed, key, genre):
    """The audio features of a track's original release."""
    p = GENRE_PROFILE.get(genre, DEFAULT_PROFILE)
    r = det.rng(seed, "features", key)
    energy = clamp(r.gauss(p[0], 0.12), 0.02, 0.99)
    valence = clamp(r.gauss(p[1], 0.15), 0.03, 0.98)
    major = r.random() < 0.35 + 0.5 * valence
    return {
        "danceability": round(clamp(r.gauss(p[2], 0.1), 0.05, 0.98), 3),
        "energy": round(energy, 3),
        "key": r.randrange(-1, 12) if r.random() < 0.03 else r.randrange(0, 12),
        "loudness": round(clamp(p[7] + 8 * (energy - p[0]) + r.gauss(0, 1.5), -45.0, -1.0), 3),
        "mode": 1 if major else 0,
        "speechiness": round(clamp(r.gauss(p[5], 0.03), 0.022, 0.9), 4),
        "acousticness": round(clamp(r.gauss(p[3], 0.12), 0.0001, 0.996), 4),
        "instrumentalness": round(clamp(r.gauss(p[4], 0.12)), 4),
        "liveness": round(clamp(r.gauss(0.14, 0.06), 0.03, 0.4), 4),
        "valence": round(valence, 3),
        "tempo": round(clamp(r.gauss(p[6], 9.0), 50.0, 210.0), 3),
        "time_signature": 3 if r.random() < (0.15 if genre in ("folk", "classical", "jazz")
                                             else 0.03) else 4,
    }


def release_features(base, kind, seed, release_id):
    """The features of one release: live recordings sound live, remasters louder,
    extended mixes more danceable."""
    f = dict(base)
    r = det.rng(seed, "release-features", release_id)
    if kind == "live":
        f["liveness"] = round(r.uniform(0.7, 0.97), 4)
        f["energy"] = round(clamp(f["energy"] + 0.05), 3)
        f["tempo"] = round(f["tempo"] * r.uniform(1.0, 1.04), 3)
    elif kind == "remaster":
        f["loudness"] = round(min(-1.0, f["loudness"] + 1.5), 3)
    elif kind == "extended":
        f["danceability"] = round(clamp(f["danceability"] + 0.05), 3)
    return f


def assign_moods(moods, moods_by_genre, track):
    """The moods of a track: the nearest mood of its genre (of any genre when no
    mood lists it), and a second one when nearly as close."""
    candidates = sorted(moods_by_genre.get(track.genre) or moods,
                        key=lambda m: (m.distance(track.features["valence"],
                                                  track.features["energy"]), m.index))
    chosen = [candidates[0]]
    if len(candidates) > 1:
        d0 = candidates[0].distance(track.features["valence"], track.features["energy"])
        d1 = candidates[1].distance(track.features["valence"], track.features["energy"])
        if d1 - d0 < 0.08:
            chosen.append(candidates[1])
    return chosen


def tags(track, labels):
    """Last.fm-style tags, most applied first: genre labels, mood words, decade."""
    out = [label.lower() for label in labels.get(track.genre, [track.genre])[:2]]
    out += [m.name for m in track.moods]
    out.append("%02ds" % (track.year % 100 - track.year % 10) if track.year < 2000
               else "%ds" % (track.year - track.year % 10))
    if track.popularity > 60 and track.genre in ("rock", "indie", "punk", "metal"):
        out.append("seen live")
    seen = []
    for t in out:
        if t not in seen:
            seen.append(t)
    return seen


def mood_weight(mood, track):
    """How likely an LLM is to propose `track` for `mood`: near the mood's target,
    famous songs first."""
    d = mood.distance(track.features["valence"], track.features["energy"])
    fame = 4.0 if track.real else 0.5 + track.popularity / 100.0
    return math.exp(-(d / 0.22) ** 2) * fame
