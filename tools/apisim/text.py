"""Text normalisation and fuzzy matching shared by the simulated search endpoints.

Real search services fold case and diacritics, ignore punctuation and treat "&"
like "and"; they also rank partial matches instead of refusing them. The helpers
here give the simulated providers that behaviour: tokens() is the analyser, an
Index maps tokens to catalog entries, and the similarity functions score one
field of a candidate against the tokens of a query.
"""

import functools
import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus a mark.
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
                          "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i",
                          "þ": "th", "Þ": "Th", "ð": "d", "’": "'", "‘": "'"})
_WORD = re.compile(r"[^\W_]+")

# Words that decorate a release title rather than name the song; they count for
# less when a candidate's extra words are weighed.
NOISE = frozenset("""feat ft featuring with remaster remastered version live edit radio extended
mix mono stereo deluxe edition single original""".split())
# Words too common to select candidates on their own.
STOP = frozenset("the a an of and in on my me you i to it is for de la el".split())


@functools.lru_cache(maxsize=65536)
def fold(s):
    """s without diacritics (the base letters kept), case unchanged."""
    s = s.translate(_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=65536)
def tokens(s):
    """The words of s (a tuple) as a search analyser sees them: folded, lower-case,
    "&" read as "and", apostrophes dropped inside words, other punctuation a
    separator."""
    if not s:
        return ()
    s = fold(s).lower().replace("&", " and ").replace("'", "")
    return tuple(_WORD.findall(s))


def key(s):
    """A comparison key: the tokens of s joined by single spaces."""
    return " ".join(tokens(s))


def overlap(query, field):
    """How well the token tuple `field` answers the token tuple `query`, in 0..1.

    Mostly the share of query words found, a little the share of the field's
    own words that were asked for, and 1.0 for the same words in the same order.
    Common words and decorations such as "Remastered" weigh less."""
    if not query or not field:
        return 0.0
    if query == field:
        return 1.0
    qs, fs = set(query), set(field)
    both = qs & fs
    if not both or (all(_weight(t) < 1 for t in both) and any(_weight(t) == 1 for t in qs)):
        return 0.0  # nothing in common but "the", "feat" and the like
    hit = sum(_weight(t) for t in both)
    cover = hit / sum(_weight(t) for t in qs)
    precision = hit / (hit + sum(_weight(t) for t in fs - qs))
    return min(0.99, 0.75 * cover + 0.25 * precision)


def _weight(t):
    return 0.3 if t in STOP or t in NOISE else 1.0


def contains_phrase(query, field):
    """True when the query words occur in `field` consecutively and in order."""
    n = len(query)
    if not n:
        return False
    return any(field[i:i + n] == query for i in range(len(field) - n + 1))


def phrase(query, field):
    """A Lucene-like phrase score: 1.0 for the exact field, 0.9 for the phrase
    inside a longer field, otherwise a reduced overlap."""
    if query == field and query:
        return 1.0
    if contains_phrase(query, field):
        return 0.9 * (0.75 + 0.25 * len(query) / len(field))
    return 0.7 * overlap(query, field)


def prefix_match(query, field):
    """True when every query word is a prefix of some word of `field` (the way
    "substring-ish" services such as iTunes and Last.fm match a typed term)."""
    return all(any(f.startswith(q) for f in field) for q in query)


class Index:
    """An inverted index: token -> ids of the entries whose text holds it."""

    def __init__(self):
        self.postings = {}

    def add(self, entry_id, words):
        for t in set(words):
            self.postings.setdefault(t, []).append(entry_id)

    def candidates(self, words, prefix=False):
        """Ids of entries sharing a word with `words` (common words only when
        nothing else is asked); with prefix, a query word may also be the start
        of an indexed word."""
        chosen = [t for t in set(words) if t not in STOP] or list(set(words))
        found = set()
        for t in chosen:
            found.update(self.postings.get(t, ()))
            if prefix and len(t) >= 3:
                for word, ids in self.postings.items():
                    if word != t and word.startswith(t):
                        found.update(ids)
        return found
