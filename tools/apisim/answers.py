"""What the simulated LLM says: prompt reading, mood analyses, song lists, embeddings.

Answers are deterministic functions of the prompt. The prompt kind is found from
the response_format schema or the wording: a recommendation prompt asks for
"songs", an analysis prompt for an "analysis". From the messages it reads the
user's request text (`request: "..."`), the emoji line, "exactly N songs", the
prior analysis JSON and the popularity hint ("around Spotify A-B"); it picks the
mood of gen_sample.py that best fits (emojis, mood words, activities, genres,
artists named), and proposes catalog songs of that mood the way an LLM does:
mostly famous ones, spelled with variants (feat./&, folded accents, lower case,
no leading "The"), now and then a title paired with the wrong artist.

render() turns the answer into message content, applying the content faults
(prose around the JSON, code fences, trailing commas, a cut-off array with
finish_reason "length", missing fields, empty content).
"""

import functools
import hashlib
import json
import math
import re
import struct
import unicodedata

from . import det, text

REQUEST = re.compile(r"request[^:\n]{0,40}:\s*", re.I)
STOPS = re.compile(r"\n\s*(Emoji tags|No emoji tags|Prior analysis|Use them|Suggest|Return|"
                   r"Aim for|Rules|Respond|Output)", re.I)
EMOJI_LINE = re.compile(r"Emoji tags selected by the user:\s*\[(.*?)\]", re.S)
COUNT = re.compile(r"exactly\s+(\d+)\s+songs|(\d+)\s+songs", re.I)
BAND = re.compile(r"around Spotify\s+(\d+)\s*-\s*(\d+)", re.I)
DECADE = re.compile(r"\b(\d0s|19\d0s|20\d0s)\b")
VS16 = "\ufe0f"


def message_text(content):
    """The text of a message content: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


class Prompt:
    """What the simulated model read from the messages."""

    def __init__(self, messages, response_format):
        texts = [(m.get("role"), message_text(m.get("content"))) for m in messages]
        self.all = "\n".join(t for _, t in texts)
        user = "\n".join(t for r, t in texts if r == "user") or self.all
        self.kind = self._kind(response_format)
        self.request = self._request(user)
        m = EMOJI_LINE.search(user)
        if m:
            self.emojis = [e.strip() for e in m.group(1).split(",") if e.strip()]
        else:
            self.emojis = [c for c in self.request if unicodedata.category(c) == "So"]
        m = COUNT.search(user)
        self.count = min(max(int(m.group(1) or m.group(2)), 1), 100) if m else 10
        self.analysis = self._analysis(user)
        m = BAND.search(user)
        self.band = (int(m.group(1)), int(m.group(2))) if m else None
        self.digest = hashlib.sha256(self.all.encode("utf-8")).hexdigest()

    def _kind(self, response_format):
        if isinstance(response_format, dict):
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            props = schema.get("properties") if isinstance(schema, dict) else None
            if isinstance(props, dict) and "songs" in props:
                return "recommend"
            if isinstance(props, dict) and "analysis" in props:
                return "analysis"
        low = self.all.lower()
        if '"songs"' in low or re.search(r"\bsuggest\b.*\bsongs\b", low) or "songs array" in low:
            return "recommend"
        if "analysis" in low or "analyze" in low or "analyse" in low:
            return "analysis"
        return "other"

    @staticmethod
    def _request(user):
        m = REQUEST.search(user)
        if not m:
            return user.strip()
        rest = user[m.end():]
        stop = STOPS.search(rest)
        body = (rest[:stop.start()] if stop else rest).strip()
        if body.startswith('"'):
            body = body[1:]
            end = body.rfind('"')
            body = body[:end] if end >= 0 else body
        return body.strip()

    @staticmethod
    def _analysis(user):
        i = user.find("Prior analysis JSON:")
        j = user.find("{", i) if i >= 0 else -1
        if j < 0:
            return None
        try:
            value, _ = json.JSONDecoder().raw_decode(user[j:])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class Reader:
    """Mood vocabulary built once from the catalog's moods."""

    def __init__(self, catalog):
        self.catalog = catalog
        vocab = []
        for m in catalog.moods:
            v = {}
            slots = re.compile(r"\{\w+\}")
            for words, w in ((m.words, 2.0), (m.activities, 0.5), (m.queries, 1.0),
                             ([lab for g in m.genres for lab in m.labels[g]], 0.5)):
                for phrase in words:
                    for t in text.tokens(slots.sub(" ", phrase)):
                        if t not in text.STOP and len(t) > 2:
                            v[t] = max(v.get(t, 0.0), w)
            vocab.append(v)
        spread = {}
        for v in vocab:
            for t in v:
                spread[t] = spread.get(t, 0) + 1
        self.vocab = [{t: w / spread[t] for t, w in v.items()} for v in vocab]
        self.emojis = [{e.replace(VS16, "") for e in m.emojis} for m in catalog.moods]
        seen, self.artists = set(), []
        for t in catalog.tracks:
            if t.real and t.artist not in seen:
                seen.add(t.artist)
                self.artists.append((text.tokens(t.artist), t.artist, t.genre))

    def named_artist(self, words):
        for toks, name, genre in self.artists:
            if toks and text.contains_phrase(toks, words):
                return name, genre
        return None, None

    def mood(self, prompt):
        words = text.tokens(prompt.request)
        artist, genre = self.named_artist(words)
        said = text.tokens(str((prompt.analysis or {}).get("mood", "")))
        best, best_score = self.catalog.moods[0], 0.0
        for m, vocab, emojis in zip(self.catalog.moods, self.vocab, self.emojis):
            s = sum(3.0 for e in prompt.emojis if e.replace(VS16, "") in emojis)
            s += sum(vocab.get(t, 0.0) for t in set(words))
            s += 4.0 * len(set(said) & set(text.tokens(" ".join(m.words))))
            if genre in m.genres:
                s += 1.5
            if s > best_score:
                best, best_score = m, s
        return best, artist

    def analysis(self, prompt):
        m, artist = self.mood(prompt)
        words = text.tokens(prompt.request)
        mood = next((w for w in m.words if text.contains_phrase(text.tokens(w), words)),
                    det.pick(m.words, prompt.request, "mood"))
        labels = [lab for g in m.genres for lab in m.labels[g]]
        label = next((lab for lab in labels if text.contains_phrase(text.tokens(lab), words)),
                     det.pick(m.labels[m.genres[0]], prompt.request, "genre"))
        crit = ["genre: " + label]
        if artist:
            crit.append("artist: " + artist)
        activity = next((a for a in m.activities if text.contains_phrase(text.tokens(a), words)),
                        None)
        if activity or det.unit(prompt.request, "activity") < 0.4:
            crit.append("activity: " + (activity or det.pick(m.activities, prompt.request)))
        era = DECADE.search(prompt.request)
        if era:
            crit.append("era: " + era.group(1))
        return {"analysis": {"mood": mood, "matched_criteria": crit}}

    def songs(self, prompt):
        m, artist = self.mood(prompt)
        r = det.rng("songs", prompt.digest)
        pool = []
        for t, w in m.tracks:
            if prompt.band:
                lo, hi = prompt.band
                w *= 3.0 if lo <= t.popularity <= hi + 10 else 0.3
            if artist and t.artist == artist:
                w *= 8.0
            pool.append([t, w])
        out = []
        while pool and len(out) < prompt.count:
            x = r.random() * sum(w for _, w in pool)
            k = 0
            while k < len(pool) - 1 and x >= pool[k][1]:
                x -= pool[k][1]
                k += 1
            t = pool.pop(k)[0]
            out.append(self.song(t, m, r, pool))
        if len(out) >= 8 and r.random() < 0.15:
            again = dict(out[0])
            again["title"] = again.get("title", "").lower()
            out[-1] = again
        return {"songs": out}

    def song(self, t, m, r, pool):
        title, artist = spelled(t, r)
        if pool and r.random() < 0.04:
            other = pool[r.randrange(len(pool))][0]
            if other.artist != t.artist:
                title = other.title
        label = r.choice(m.labels[t.genre])
        why = r.choice(m.why).format(genre=label)
        return {"title": title, "artist": artist, "why": why,
                "matched_criteria": ["genre: " + label, "mood: " + r.choice(m.words)]}


def spelled(t, r):
    """(title, artist) of a track the way an LLM may write them."""
    u = r.random()
    if u < 0.55:
        return t.title, t.artist
    if u < 0.70:
        return (t.title + " (feat. %s)" % t.feat if t.feat else t.title), t.artist
    if u < 0.80:
        if t.feat:
            return t.title, r.choice(("%s feat. %s", "%s & %s", "%s ft. %s")) % (t.artist, t.feat)
        return t.title, text.fold(t.artist)
    if u < 0.88:
        return (t.title.lower() if r.random() < 0.5 else text.fold(t.title)), t.artist
    if u < 0.93 and t.artist.startswith("The "):
        return t.title, t.artist[4:]
    return r.choice(t.mentions) if t.mentions else (t.title, t.artist)


def other_answer(prompt, json_mode):
    words = len(prompt.all.split())
    reply = "apisim has no simulated answer for this prompt (%d words read)." % words
    return {"answer": reply} if json_mode else reply


def _trailing_commas(js):
    return re.sub(r'(["\d\]\}el])(\n\s*[\]\}])', r"\1,\2", js)


def _drop_fields(obj):
    if "analysis" in obj:
        return {"analysis": {k: v for k, v in obj["analysis"].items() if k != "matched_criteria"}}
    songs = []
    for i, s in enumerate(obj.get("songs", [])):
        gone = {0: "artist", 1: "why", 2: "title"}.get(i % 3)
        songs.append({k: v for k, v in s.items() if k != gone})
    return {"songs": songs}


def render(obj, json_mode, fault):
    """(content, finish_reason) for an answer object, with a content fault applied."""
    if isinstance(obj, str):
        return ("" if fault == "empty" else obj), ("length" if fault == "empty" else "stop")
    if fault == "missing_fields":
        obj = _drop_fields(obj)
    js = json.dumps(obj, ensure_ascii=False, indent=2)
    if fault == "trailing_comma":
        js = _trailing_commas(js)
    if fault == "truncated_json":
        return js[:max(1, len(js) * 3 // 5)], "length"
    if fault == "empty":
        return "", "length"
    if fault == "prose":
        what = "songs that fit" if "songs" in obj else "my analysis of"
        return ("Sure! Here are %s your request:\n\n```json\n%s\n```\n\nLet me know if you want "
                "more suggestions." % (what, js)), "stop"
    if fault == "fence" or not json_mode:
        return "```json\n%s\n```" % js, "stop"
    return js, "stop"


def count_tokens(s):
    """A rough token count (4 characters a token), at least 1 for non-empty text."""
    return int(math.ceil(len(s) / 4.0)) if s else 0


# --- embeddings ---

@functools.lru_cache(maxsize=32768)
def _direction(token, dims):
    raw = hashlib.shake_256(token.encode("utf-8")).digest(2 * dims)
    return tuple(v / 32767.5 - 1.0 for v in struct.unpack("<%dH" % dims, raw))


def embed(s, dims):
    """A unit vector for s: a sum of word and character-trigram directions (texts
    that share words point the same way) plus a little of the whole text's own."""
    acc = [0.0] * dims

    def add(token, weight):
        nonlocal acc
        d = _direction(token, dims)
        acc = [a + weight * b for a, b in zip(acc, d)]
    words = text.tokens(s)
    for w in words:
        add("w:" + w, 1.0)
        padded = " %s " % w
        for i in range(len(padded) - 2):
            add("c:" + padded[i:i + 3], 0.2)
    add("t:" + s, 0.35 if words else 1.0)
    norm = math.sqrt(sum(a * a for a in acc)) or 1.0
    return [round(a / norm, 7) for a in acc]
