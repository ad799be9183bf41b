"""What the simulator served and injected, per provider, for GET /_sim/stats (thread-safe).

Per provider: requests in all, answers by endpoint and status, injected faults
by kind, rate-limit rejections, and the highest arrival rate over any one
second (from the Limiter). Endpoints are named by method and path template,
e.g. "GET /v1/tracks/{id}".
"""

import collections
import threading
import time


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self._clear()

    def _clear(self):
        self.started = time.time()
        self.requests = collections.Counter()
        self.by_endpoint = {}
        self.faults = {}
        self.limited = collections.Counter()
        self.extra = {}

    def reset(self):
        with self.lock:
            self._clear()

    def served(self, provider, endpoint, status):
        with self.lock:
            self.requests[provider] += 1
            ep = self.by_endpoint.setdefault(provider, {}).setdefault(endpoint,
                                                                      collections.Counter())
            ep[str(status)] += 1

    def fault(self, provider, kind):
        with self.lock:
            self.faults.setdefault(provider, collections.Counter())[kind] += 1

    def rate_limited(self, provider):
        with self.lock:
            self.limited[provider] += 1

    def count(self, provider, name, n=1):
        """A provider-specific counter (tokens issued, playlists created, ...)."""
        with self.lock:
            c = self.extra.setdefault(provider, collections.Counter())
            c[name] += n

    def snapshot(self, max_rates):
        """The counters as a JSON-ready dict."""
        with self.lock:
            names = (set(self.requests) | set(self.faults) | set(self.limited) | set(self.extra)
                     | set(max_rates))
            providers = {}
            for p in sorted(names):
                providers[p] = {
                    "requests": self.requests[p],
                    "endpoints": {e: dict(c) for e, c in sorted(self.by_endpoint.get(p, {})
                                                                .items())},
                    "faults": dict(self.faults.get(p, {})),
                    "rate_limited": self.limited[p],
                    "max_rate_1s": max_rates.get(p, 0),
                    "counters": dict(self.extra.get(p, {})),
                }
            return {
                "uptime_seconds": round(time.time() - self.started, 3),
                "providers": providers,
                "totals": {
                    "requests": sum(self.requests.values()),
                    "faults": sum(sum(c.values()) for c in self.faults.values()),
                    "rate_limited": sum(self.limited.values()),
                },
            }
