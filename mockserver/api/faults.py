"""Injected faults: latency, error envelopes, HTTP statuses, failing the Nth call, dropped answers.

Rules are matched by method, path (a glob) and api-key. Every random choice
(latency in a range, a probability) comes from one generator seeded by the
rule set's seed, so a run with the same seed and the same request order fails
the same way. Pure Python: the HTTP layer asks :meth:`Faults.decide` and acts.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .products import ERROR_CODES

__all__ = ["ACTIONS", "Decision", "FaultRule", "Faults"]

ACTIONS = ("latency", "error", "status", "drop")


@dataclass
class FaultRule:
    """One fault. ``action``: latency (then answer normally), error (an exchange envelope),
    status (a bare HTTP status, e.g. 429 with Retry-After or 503), drop (process the request,
    then cut the connection before the answer is complete)."""

    action: str
    method: str | None = None
    path: str | None = None  # glob, e.g. "/api/spot/v1/order/*"
    api_key: str | None = None
    latency_ms: int = 0
    latency_max_ms: int | None = None  # with latency_ms: uniform in [latency_ms, latency_max_ms]
    code: str | None = None  # action=error: the exchange code (msg from the error table unless given)
    msg: str | None = None
    status: int | None = None  # action=status (or the HTTP status of an error envelope)
    retry_after: int | None = None
    body: str | None = None
    nth: int | None = None  # fire only on the Nth matching request (1-based)
    times: int | None = None  # fire at most this many times
    probability: float = 1.0
    id: str = ""
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        if self.action == "error":
            if self.code is None:
                raise ValueError("an error fault needs a code")
            if self.code not in ERROR_CODES and self.msg is None:
                raise ValueError(f"code {self.code!r} is not in the error table: give its msg")
        if self.action == "status" and (self.status is None or not 200 <= self.status <= 599):
            raise ValueError("status: a status fault needs an HTTP status between 200 and 599")
        if self.status is not None and not 200 <= self.status <= 599:
            raise ValueError("status: must be between 200 and 599")
        if self.retry_after is not None and not 0 <= self.retry_after <= 86_400:
            raise ValueError("retry_after: must be between 0 and 86400 seconds")
        if self.action == "latency" and self.latency_ms <= 0 and not self.latency_max_ms:
            raise ValueError("a latency fault needs latency_ms > 0")
        if self.latency_max_ms is not None and self.latency_max_ms < self.latency_ms:
            raise ValueError("latency_max_ms must be >= latency_ms")
        if self.latency_ms < 0 or (self.latency_max_ms or 0) > 60_000:
            raise ValueError("latency must be between 0 and 60000 ms")
        if self.nth is not None and self.nth < 1:
            raise ValueError("nth counts from 1")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.method is not None:
            self.method = self.method.upper()

    def matches(self, method: str, path: str, api_key: str | None) -> bool:
        # Rules come through adminschema.FaultSpec (path a string glob); matching never raises.
        if self.method is not None and self.method != method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.api_key is None or self.api_key == api_key

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    """What the HTTP layer does to one request."""

    delay_ms: int = 0
    reply: FaultRule | None = None  # error or status: answer with it instead of processing
    drop: bool = False
    rules: list[str] = field(default_factory=list)  # ids of the rules that fired


class Faults:
    """The active fault rules of one mock exchange."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rng = random.Random(f"faults:{seed}")
        self._rules: list[FaultRule] = []
        self._ids = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rules)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._ids += 1
            rule.id = rule.id or f"fault-{self._ids}"
            if any(r.id == rule.id for r in self._rules):
                raise ValueError(f"a fault {rule.id!r} already exists")
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self, seed: int | None = None) -> None:
        """Drop every rule; reseed (to ``seed``, or the current seed) so a rerun repeats."""
        with self._lock:
            self._rules.clear()
            if seed is not None:
                self.seed = seed
            self._rng = random.Random(f"faults:{self.seed}")

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def counters(self) -> dict[str, Any]:
        """What a restart must keep besides the rules: the seed, the id counter and the random stream (JSON)."""
        with self._lock:
            version, internal, gauss = self._rng.getstate()
            return {"seed": self.seed, "ids": self._ids, "rng": [version, list(internal), gauss]}

    def load_counters(self, counters: dict[str, Any]) -> None:
        """Continue from :meth:`counters` (after the rules are added): ids and random draws go on as before."""
        version, internal, gauss = counters["rng"]
        with self._lock:
            self.seed = int(counters["seed"])
            self._ids = int(counters["ids"])
            self._rng.setstate((version, tuple(internal), gauss))

    def decide(self, method: str, path: str, api_key: str | None) -> Decision | None:
        """Count the request against every matching rule; ``None`` when no rule fires."""
        if not self._rules:
            return None
        decision: Decision | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, api_key):
                    continue
                rule.matched += 1
                if rule.nth is not None and rule.matched != rule.nth:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.action != "latency" and decision is not None and (decision.reply or decision.drop):
                    continue  # the first answer-changing rule wins; later ones are not used up
                rule.fired += 1
                decision = decision or Decision()
                decision.rules.append(rule.id)
                if rule.action == "latency":
                    high = rule.latency_max_ms if rule.latency_max_ms is not None else rule.latency_ms
                    decision.delay_ms += self._rng.randint(rule.latency_ms, high)
                elif rule.action == "drop":
                    decision.drop = True
                else:
                    decision.reply = rule
        return decision
