"""The simulator's runtime configuration: injected faults, rate limits and switches.

A configuration is one JSON document (docs/apisim.md shows every key). It is
validated as a whole and replaces the previous one (`--faults FILE`, or
`POST /_sim/config` at run time); keys left out take their defaults.

Injected faults are deterministic: whether the n-th arrival of a request is
faulted, and how, is a hash of the seed, the provider, the method, the path,
the canonical query (sorted parameters; for a POST the canonical JSON body) and
n. So two runs with the same seed see the same faults, and a retried request is
faulted at most `max_faults_per_request` times before it goes through.
Rate limits, by contrast, depend on timing (as the real ones do).
"""

import collections
import copy
import hashlib
import json
import threading
import time
import urllib.parse

from . import det

# Kinds every provider can inject. Status kinds answer at once with that status;
# slow delays the answer by slow_seconds; truncated sends half the body and closes
# the connection; malformed sends a body that is not valid JSON.
COMMON_KINDS = ("429", "500", "502", "503", "slow", "truncated", "malformed")
STATUS_KINDS = frozenset(("429", "500", "502", "503", "429_daily", "8", "11", "16", "29"))
# Kinds that change what chat/completions says rather than how it is sent.
CONTENT_KINDS = ("prose", "fence", "trailing_comma", "truncated_json", "missing_fields", "empty")
LLM_PROVIDERS = ("llm", "gemini", "openai")
PROVIDER_KINDS = {
    "spotify": COMMON_KINDS,
    "spotify-accounts": COMMON_KINDS,
    "musicbrainz": COMMON_KINDS,
    "lastfm": COMMON_KINDS + ("8", "11", "16", "29"),
    "itunes": COMMON_KINDS,
}
for _p in LLM_PROVIDERS:
    PROVIDER_KINDS[_p] = COMMON_KINDS + ("429_daily",) + CONTENT_KINDS

DEFAULTS = {
    "seed": 42,
    "slow_seconds": 5.0,
    "retry_after_seconds": 1,
    "max_faults_per_request": 3,
    "providers": {},
    "limits": {
        "spotify": {"requests": 0, "window_seconds": 30.0, "grace_ms": 0},
        "musicbrainz": {"requests": 1, "window_seconds": 1.0, "grace_ms": 50},
        "itunes": {"requests": 0, "window_seconds": 60.0, "grace_ms": 0},
        "lastfm": {"requests": 5, "window_seconds": 1.0, "grace_ms": 0},
        "llm": {"requests": 0, "window_seconds": 60.0, "grace_ms": 0},
        "gemini": {"requests": 0, "window_seconds": 60.0, "grace_ms": 0},
        "openai": {"requests": 0, "window_seconds": 60.0, "grace_ms": 0},
    },
    "spotify": {
        "client_id": "sim-client-id",
        "client_secret": "sim-client-secret",
        "refresh_token": "sim-refresh-token",
        "auth_code": "sim-auth-code",
        "token_lifetime_seconds": 3600,
        "search_max_limit": 10,
        "audio_features_403": False,
        "tracks_batch_403": False,
    },
    "lastfm": {"api_key": "sim-lastfm-key"},
    "llm": {"api_key": "sim-gemini-key"},
}


class ConfigError(ValueError):
    """A configuration document that does not validate; the message names the key."""


def _check(cond, path, expected):
    if not cond:
        raise ConfigError("%s: expected %s" % (path, expected))


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _merge_section(defaults, given, path):
    """A copy of `defaults` with the keys of `given`, each of the default's type."""
    _check(isinstance(given, dict), path, "an object")
    out = copy.deepcopy(defaults)
    for k, v in given.items():
        sub = "%s.%s" % (path, k)
        _check(k in defaults, sub, "one of: " + ", ".join(sorted(defaults)))
        d = defaults[k]
        if isinstance(d, bool):
            _check(isinstance(v, bool), sub, "true or false")
        elif _number(d):
            _check(_number(v) and v >= 0, sub, "a number >= 0")
        elif isinstance(d, str):
            _check(isinstance(v, str), sub, "a string")
        out[k] = v
    return out


def _providers(given):
    _check(isinstance(given, dict), "providers", "an object")
    out = {}
    for name, spec in given.items():
        path = "providers." + name
        _check(name in PROVIDER_KINDS, path, "a provider: " + ", ".join(sorted(PROVIDER_KINDS)))
        _check(isinstance(spec, dict), path, "an object")
        for k in spec:
            _check(k in ("rate", "kinds"), "%s.%s" % (path, k), "rate or kinds")
        rate = spec.get("rate", 0.0)
        _check(_number(rate) and 0.0 <= rate <= 1.0, path + ".rate", "a number in 0..1")
        kinds = spec.get("kinds", {k: 1 for k in COMMON_KINDS})
        _check(isinstance(kinds, dict), path + ".kinds", "an object of kind: weight")
        for k, w in kinds.items():
            sub = "%s.kinds.%s" % (path, k)
            _check(k in PROVIDER_KINDS[name], sub, "a kind: " + ", ".join(PROVIDER_KINDS[name]))
            _check(_number(w) and w >= 0, sub, "a weight >= 0")
        out[name] = {"rate": float(rate), "kinds": dict(kinds)}
    return out


def validate(doc):
    """The full configuration for document `doc` (defaults filled in)."""
    _check(isinstance(doc, dict), "(top)", "a JSON object")
    cfg = copy.deepcopy(DEFAULTS)
    for k, v in doc.items():
        _check(k in DEFAULTS, k, "one of: " + ", ".join(sorted(DEFAULTS)))
        if k == "providers":
            cfg[k] = _providers(v)
        elif k == "limits":
            _check(isinstance(v, dict), k, "an object")
            for name, spec in v.items():
                _check(name in DEFAULTS["limits"], "limits." + name,
                       "one of: " + ", ".join(sorted(DEFAULTS["limits"])))
                cfg[k][name] = _merge_section(DEFAULTS["limits"][name], spec, "limits." + name)
        elif k in ("spotify", "lastfm", "llm"):
            cfg[k] = _merge_section(DEFAULTS[k], v, k)
        elif k == "max_faults_per_request":
            _check(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0), k,
                   "an integer >= 0 or null")
            cfg[k] = v
        elif k in ("seed", "retry_after_seconds"):
            _check(isinstance(v, int) and not isinstance(v, bool) and (k == "seed" or v >= 0), k,
                   "an integer" if k == "seed" else "an integer >= 0")
            cfg[k] = v
        else:
            _check(_number(v) and v >= 0, k, "a number >= 0")
            cfg[k] = v
    return cfg


def uniform(rate, providers=None):
    """The `providers` section that faults every provider at `rate` with all its kinds."""
    return {name: {"rate": rate, "kinds": {k: 1 for k in kinds}}
            for name, kinds in PROVIDER_KINDS.items() if providers is None or name in providers}


def canonical_request(method, path, query_pairs, body):
    """The request as the fault hash sees it: method, path, sorted query, body."""
    q = urllib.parse.urlencode(sorted(query_pairs))
    b = ""
    if body:
        try:
            b = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            b = body.decode("utf-8", "replace")
    return "%s %s?%s\n%s" % (method, path, q, b)


class Faults:
    """The active configuration and the deterministic fault decisions (thread-safe)."""

    def __init__(self, cfg):
        self.lock = threading.Lock()
        self.cfg = cfg
        self.seen = collections.Counter()

    def config(self):
        with self.lock:
            return self.cfg

    def replace(self, cfg):
        """Installs a new configuration; the fault sequence starts afresh."""
        with self.lock:
            self.cfg = cfg
            self.seen.clear()

    def reset(self):
        with self.lock:
            self.seen.clear()

    def decide(self, provider, kinds, canonical):
        """(kind or None, tag): the fault for this arrival of the canonical request,
        among `kinds` (those that make sense for the endpoint). `tag` is a hash of
        the request and its arrival number, for choices that must be repeatable."""
        canonical = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        with self.lock:
            cfg = self.cfg
            n = self.seen[canonical]
            self.seen[canonical] = n + 1
        tag = det.h64(cfg["seed"], provider, canonical, n)
        spec = cfg["providers"].get(provider)
        limit = cfg["max_faults_per_request"]
        if not spec or (limit is not None and n >= limit):
            return None, tag
        if det.unit(cfg["seed"], "rate", provider, canonical, n) >= spec["rate"]:
            return None, tag
        weighted = [(k, w) for k, w in sorted(spec["kinds"].items()) if k in kinds and w > 0]
        total = sum(w for _, w in weighted)
        if not total:
            return None, tag
        x = det.unit(cfg["seed"], "kind", provider, canonical, n) * total
        for k, w in weighted:
            if x < w:
                return k, tag
            x -= w
        return weighted[-1][0], tag


class Limiter:
    """Sliding-window rate limits per (provider, client address), and the highest
    arrival rate seen per provider over any one second (thread-safe)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.accepted = {}
        self.arrivals = {}
        self.max_rate = collections.Counter()

    def reset(self):
        with self.lock:
            self.accepted.clear()
            self.arrivals.clear()
            self.max_rate.clear()

    def arrive(self, provider):
        """Records one arrival for the max-rate statistic."""
        now = self.clock()
        with self.lock:
            q = self.arrivals.setdefault(provider, collections.deque())
            q.append(now)
            while q and q[0] <= now - 1.0:
                q.popleft()
            if len(q) > self.max_rate[provider]:
                self.max_rate[provider] = len(q)

    def admit(self, provider, client, spec):
        """(True, 0) when the request fits the limit `spec`, else (False, seconds
        until it would). Only admitted requests count against the window; a
        request arriving up to grace_ms early still fits (timer jitter)."""
        if not spec or spec["requests"] <= 0:
            return True, 0.0
        now = self.clock()
        window = spec["window_seconds"]
        slack = spec["grace_ms"] / 1000.0
        with self.lock:
            q = self.accepted.setdefault((provider, client), collections.deque())
            while q and q[0] <= now - window + slack:
                q.popleft()
            if len(q) < spec["requests"]:
                q.append(now)
                return True, 0.0
            return False, max(0.0, q[0] + window - slack - now)

    def max_rates(self):
        with self.lock:
            return dict(self.max_rate)
