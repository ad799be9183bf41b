"""Deterministic pseudo-randomness: every derived id, number and fault decision of the
simulator comes from a hash of named parts, so that the same inputs always give the
same outputs across runs, threads and request orders."""

import hashlib
import random
import uuid

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(*parts):
    """SHA-256 of the parts (joined by a separator that cannot occur in them)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def h64(*parts):
    return int.from_bytes(digest(*parts)[:8], "big")


def unit(*parts):
    """A float in [0, 1) fixed by the parts."""
    return h64(*parts) / 2.0 ** 64


def pick(seq, *parts):
    return seq[h64(*parts) % len(seq)]


def rng(*parts):
    """A random.Random seeded by the parts."""
    return random.Random(h64(*parts))


def b62(n, *parts):
    """n base-62 characters fixed by the parts (Spotify ids are 22 of them)."""
    value = int.from_bytes(digest(*parts), "big")
    out = []
    for _ in range(n):
        value, r = divmod(value, 62)
        out.append(B62[r])
    return "".join(out)


def mbid(*parts):
    """A version-4 UUID string fixed by the parts (MusicBrainz ids look like this)."""
    return str(uuid.UUID(bytes=digest(*parts)[:16], version=4))
