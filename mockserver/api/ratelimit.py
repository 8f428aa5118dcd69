"""Rate limits as the exchange states them, switchable.

Each product's rows carry their limits (futures: the pages' per-IP and per-uid values).
The spot docs state 10 requests/s per IP for the wallet endpoints and nothing
for the others; live traffic shows ``110041`` when a client goes too fast. So
endpoints with a stated limit use it, the rest use an assumed default (10/s, per
key for signed endpoints, per IP for public ones) - both are in the endpoint
table and overridable. Counting uses the mock clock (a sliding 1 s window), so a
frozen clock makes limits exact and testable without sleeping. Off by default:
most test suites hammer the mock and do not want throttling unless they ask.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .endpoints import Endpoint, RateLimit
from .products import PRODUCTS

__all__ = ["DEFAULT_LIMIT", "RateLimiter"]

#: Assumed where the docs are silent: 40 last_price calls in 2.5 s (16/s) all passed live, so 20/s.
DEFAULT_LIMIT = 20
WINDOW_MS = 1000
#: Windows kept at most (one per operation and key or IP); the least recently used go first.
MAX_TRACKED = 100_000


@dataclass(frozen=True)
class Limit:
    per_second: int
    scope: str  # "ip" or "key"
    stated: bool


class RateLimiter:
    """Sliding one-second windows per (operation, key or IP)."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.overrides: dict[str, int] = {}
        self._hits: dict[tuple[str, str], deque[int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def stated(ep: Endpoint) -> Limit:
        rl: RateLimit | None = ep.rate_limit
        if rl is not None:
            return Limit(rl.per_second, rl.scope, rl.stated)
        return Limit(DEFAULT_LIMIT, "key" if ep.auth else "ip", False)

    def limit(self, ep: Endpoint) -> Limit:
        base = self.stated(ep)
        if ep.operation in self.overrides:
            return Limit(self.overrides[ep.operation], base.scope, False)
        return base

    def table(self) -> dict[str, dict[str, object]]:
        """Per operation of every product: the limit in force, what it counts by, whether the docs state it."""
        return {
            ep.operation: {"per_second": lim.per_second, "scope": lim.scope, "stated": lim.stated}
            for product in PRODUCTS
            for ep in product.endpoints
            for lim in (self.limit(ep),)
        }

    def allow(self, ep: Endpoint, api_key: str | None, client_ip: str | None, now_ms: int) -> bool:
        """Count one request; ``False`` when it is over the limit (and then it is not counted).

        ``api_key`` must be a verified key (the pipeline calls this after auth for signed
        endpoints). Memory stays bounded: at most :data:`MAX_TRACKED` windows are kept, the
        least recently used ones forgotten first, and a window that emptied is dropped.
        """
        if not self.enabled:
            return True
        lim = self.limit(ep)
        who = (api_key or "") if lim.scope == "key" else (client_ip or "")
        key = (ep.operation, who)
        with self._lock:
            hits = self._hits.pop(key, None)  # re-inserted below: dict order is recency
            if hits is None:
                hits = deque()
            while hits and hits[0] <= now_ms - WINDOW_MS:
                hits.popleft()
            allowed = len(hits) < lim.per_second
            if allowed:
                hits.append(now_ms)
            if hits:
                self._hits[key] = hits
                if len(self._hits) > MAX_TRACKED:
                    del self._hits[next(iter(self._hits))]
            return allowed

    def __len__(self) -> int:
        return len(self._hits)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
