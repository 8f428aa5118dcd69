"""Seconds for a whole conformance run, in-process: one that passes and one with exactly one broken rule.

The passing run judges the reference client. The failing run judges the reference client with one
signing flaw: it signs the JSON body as escaped ASCII but sends it as UTF-8, so every request
passes until a generated value is not ASCII. Only ``signing.generated`` (a hypothesis property)
fails; the rules that need it are blocked. That is the failing run issue #13 measured at 40-54 s:
every generated example re-read the account's growing journal, and once the property failed,
hypothesis's explain phase traced and re-ran hundreds of shrink candidates. Rounds alternate ABBA
so both figures are measured in the same minutes. Targets (2 cores): passing < 5 s, failing < 10 s.

A figure is the CPU seconds of this process (``time.process_time``: the kit, the client and the
in-process mock all run here) for a derandomized run (``run(..., derandomize=True)``: hypothesis
draws the same examples every round), so rounds repeat one workload and a busy neighbour on the
shared machine does not stretch them. Wall seconds are kept beside it.

    from bench.conformance_time import conformance_times
    conformance_times(rounds=5)   # {"passing_s": [...], "failing_s": [...]}
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

__all__ = ["BROKEN_RULE", "ascii_signed_body", "conformance_times"]

#: the one rule the failing run's client breaks (the rules that require it are reported blocked)
BROKEN_RULE = "signing.generated"


class _AsciiSigned(httpx.BaseTransport):
    """Signs the body as escaped-ASCII JSON, sends it as UTF-8: the same bytes until a value is not ASCII."""

    def __init__(self, inner: httpx.BaseTransport, api_key: str, secret: str) -> None:
        self.inner, self.api_key, self.secret = inner, api_key, secret

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from client_ref import signing

        body = request.read()
        if body and "nonce" in request.headers:
            signed = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=True).encode("ascii")
            headers = dict(request.headers)
            headers["sign"] = signing.sign(
                headers["nonce"], headers["timestamp"], self.api_key, self.secret, "", signed
            )
            request = httpx.Request(request.method, request.url, headers=headers, content=body)
        return self.inner.handle_request(request)


def ascii_signed_body(base_url: str, api_key: str, secret: str, transport: Any = None) -> Any:
    """The reference client behind a transport that signs other bytes than it sends (for non-ASCII values)."""
    from client_ref import Client
    from conformance import ReferenceAdapter

    inner = transport if transport is not None else httpx.HTTPTransport()
    return ReferenceAdapter(Client(base_url, api_key, secret, transport=_AsciiSigned(inner, api_key, secret)))


def _timed(factory: Any, *, fails: set[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one derandomized run that must fail exactly ``fails``."""
    from conformance import run

    cpu, wall = time.process_time(), time.perf_counter()
    report = run(factory, client_name="bench", stream=None, derandomize=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    failed = set(report.by_status("fail"))
    if failed != fails:  # a figure for a run that judged wrong would mean nothing
        raise RuntimeError(f"conformance bench: expected {sorted(fails) or 'no'} failing rules, got {sorted(failed)}")
    return cpu, wall


def conformance_times(rounds: int = 5) -> dict[str, list[float]]:
    """CPU seconds of ``rounds`` passing runs and ``rounds`` failing runs (one broken rule), ABBA order;
    ``*_wall_s``: the same runs' wall seconds."""
    from conformance import reference_factory

    out: dict[str, list[float]] = {"passing_s": [], "failing_s": [], "passing_wall_s": [], "failing_wall_s": []}
    # One untimed run of each first: imports, hypothesis's strategy caches and the first mock's
    # start-up belong to no round (the first timed round was ~10 % slower than the rest).
    _timed(reference_factory, fails=set())
    _timed(ascii_signed_body, fails={BROKEN_RULE})
    for i in range(rounds):
        order = ("passing_s", "failing_s") if i % 2 == 0 else ("failing_s", "passing_s")
        for key in order:
            if key == "passing_s":
                cpu, wall = _timed(reference_factory, fails=set())
            else:
                cpu, wall = _timed(ascii_signed_body, fails={BROKEN_RULE})
            out[key].append(round(cpu, 3))
            out[key.replace("_s", "_wall_s")].append(round(wall, 3))
    return out


if __name__ == "__main__":
    import sys

    print(json.dumps(conformance_times(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
