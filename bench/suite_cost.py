"""What the mock costs a test suite: a test using the ``bitunix_mock`` fixture against the same test with
respx stubs, and the sync in-process transport per call.

**Fixture against respx.** One generated test file, run by pytest in a process of its own, holds
rounds of 40 tests of each kind in ABBA order (after one untimed warm-up round, which also starts
the session's in-process server). Both kinds make the same 5 signed calls with the reference
client (balances, place, pending orders, cancel, balances): the fixture test against its own
tenant with ``bitunix_account``'s fresh credentials, the respx test against stubs answering what
the mock answered. A test's cost is the CPU time of the pytest process over the test's setup, call
and teardown (the in-process server's thread included), its wall time kept beside it; a round's
figure is the median over its tests, and the extra is fixture minus respx. The target is judged
on CPU: on a shared machine a test's wall time is mostly how long it waited for a core. Both kinds
give their client one transport built at import: a client building its own pays for an SSL
context (tens of ms on a busy machine) in both kinds alike, which would bury a 2 ms difference in
its noise.

**Sync transport.** The same 5 calls, in-process, through ``mockserver.testing.sync_transport``
(B) against the async client awaiting ``httpx.ASGITransport`` on one loop (A: the app's and the
client's own work, no thread), ABBA; the transport's cost is B minus A, in CPU milliseconds per
call (the whole process: the transport's thread included), wall beside it.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.stats import abba, summarize

__all__ = ["fixture_cost", "sync_transport_cost"]

ROOT = Path(__file__).resolve().parent.parent
PER_ROUND = 40
KINDS = ("fixture", "respx")
_BODIES = {
    "fixture": "(bitunix_mock, bitunix_account):\n    with_fixture(bitunix_mock, bitunix_account)",
    "respx": "():\n    with_respx()",
}

_CONFTEST = """
import json, os, time
import pytest

COST = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    COST[item.name] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_DURATIONS"], "w") as f:
        json.dump(COST, f)
"""

_HEAD = """
import httpx
import respx

from client_ref import Client
from client_ref.models import OrderType, Side

STUBS = {stubs!r}
REAL = "https://openapi.bitunix.com"
TRANSPORT = httpx.HTTPTransport()


def five_calls(client):
    client.balances()
    placed = client.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "20000")
    client.pending_orders("BTCUSDT")
    client.cancel_orders([(placed.order_id, "BTCUSDT")])
    client.balances()


def with_fixture(mock, account):
    with Client(mock.url, account["api_key"], account["secret"], transport=TRANSPORT) as client:
        five_calls(client)


def with_respx():
    with respx.mock(base_url=REAL) as router:
        for method, path, body in STUBS:
            router.route(method=method, path=path).respond(
                200, content=body.encode(), headers={{"content-type": "application/json"}}
            )
        with Client(REAL, "k" * 32, "s" * 32, transport=TRANSPORT) as client:
            five_calls(client)
"""


def _five_calls(client: Any) -> None:
    from client_ref.models import OrderType, Side

    client.balances()
    placed = client.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "20000")
    client.pending_orders("BTCUSDT")
    client.cancel_orders([(placed.order_id, "BTCUSDT")])
    client.balances()


async def _five_calls_async(client: Any) -> None:
    from client_ref.models import OrderType, Side

    await client.balances()
    placed = await client.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "20000")
    await client.pending_orders("BTCUSDT")
    await client.cancel_orders([(placed.order_id, "BTCUSDT")])
    await client.balances()


def _recorded_answers() -> list[tuple[str, str, str]]:
    """(method, path, body) of what the mock answers the 5 calls: the respx test's stubs."""
    from client_ref import Client
    from mockserver import Config, create_app
    from mockserver.testing import sync_transport

    app = create_app(Config(liquidity=False))
    cfg = app.state.mock.config
    seen: dict[tuple[str, str], str] = {}

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.setdefault((response.request.method, response.request.url.path), response.text)

    with Client("http://mock.test", cfg.demo_api_key, cfg.demo_secret, transport=sync_transport(app)) as client:
        client._http.event_hooks["response"].append(keep)
        _five_calls(client)
    return [(method, path, body) for (method, path), body in seen.items()]


def _suite(rounds: int) -> str:
    lines = [_HEAD.format(stubs=_recorded_answers())]
    for r in range(rounds + 1):  # round 0: the warm-up
        for kind in abba(r, "fixture", "respx"):
            for i in range(PER_ROUND):
                name = f"test_r{r:02d}_{kind}_{i:02d}"
                lines.append(f"\ndef {name}{_BODIES[kind]}\n")
    return "".join(lines)


def fixture_cost(rounds: int = 8) -> dict[str, Any]:
    """Milliseconds per test, fixture and respx, and the fixture's extra, per ABBA round (median over its tests)."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        (Path(tmp) / "conftest.py").write_text(_CONFTEST, "utf-8")
        (Path(tmp) / "test_cost.py").write_text(_suite(rounds), "utf-8")
        out = Path(tmp) / "durations.json"
        env = {**os.environ, "BENCH_DURATIONS": str(out), "PYTHONPATH": str(ROOT)}
        env.pop("BITUNIX_MOCK_URL", None)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_cost.py"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the fixture-cost suite failed:\n{proc.stdout[-3000:]}")
        durations: dict[str, dict[str, float]] = json.loads(out.read_text())
    per: dict[str, list[float]] = {f"{kind}_{clock}": [] for kind in (*KINDS, "extra") for clock in ("cpu", "wall")}
    for r in range(1, rounds + 1):
        for clock in ("cpu", "wall"):
            ms = {
                kind: statistics.median(
                    durations[f"test_r{r:02d}_{kind}_{i:02d}"][clock] * 1e3 for i in range(PER_ROUND)
                )
                for kind in KINDS
            }
            per[f"fixture_{clock}"].append(ms["fixture"])
            per[f"respx_{clock}"].append(ms["respx"])
            per[f"extra_{clock}"].append(ms["fixture"] - ms["respx"])
    return {"tests_per_round": PER_ROUND, **{key: summarize(values) for key, values in per.items()}}


def sync_transport_cost(rounds: int = 8, repeats: int = 60) -> dict[str, Any]:
    """Milliseconds per call through the sync transport (B) and awaited on one loop (A), ABBA rounds."""
    from client_ref import AsyncClient, Client
    from mockserver import Config, create_app
    from mockserver.testing import sync_transport

    app = create_app(Config(liquidity=False))
    key, secret = app.state.mock.config.demo_api_key, app.state.mock.config.demo_secret
    calls = 5 * repeats

    def timed(run: Callable[[], None]) -> tuple[float, float]:
        """(CPU ms, wall ms) per call; CPU is the whole process's, the transport's thread included."""
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        return (time.process_time() - cpu) * 1e3 / calls, (time.perf_counter() - wall) * 1e3 / calls

    def sync_round() -> tuple[float, float]:
        with Client("http://mock.test", key, secret, transport=sync_transport(app)) as client:
            _five_calls(client)  # starts the transport's loop: not a per-call cost

            def run() -> None:
                for _ in range(repeats):
                    _five_calls(client)

            return timed(run)

    def async_round() -> tuple[float, float]:
        client = AsyncClient("http://mock.test", key, secret, transport=httpx.ASGITransport(app=app))

        async def run() -> None:
            for _ in range(repeats):
                await _five_calls_async(client)

        with asyncio.Runner() as runner:
            runner.run(_five_calls_async(client))
            out = timed(lambda: runner.run(run()))
            runner.run(client.aclose())
        return out

    sync_round(), async_round()  # warm-up
    per: dict[str, list[float]] = {f"{side}_{clock}": [] for side in ("sync", "async") for clock in ("cpu", "wall")}
    for i in range(rounds):
        for side in abba(i, "async", "sync"):
            cpu, wall = sync_round() if side == "sync" else async_round()
            per[f"{side}_cpu"].append(cpu)
            per[f"{side}_wall"].append(wall)
    for clock in ("cpu", "wall"):
        per[f"transport_{clock}"] = [s - a for s, a in zip(per[f"sync_{clock}"], per[f"async_{clock}"], strict=True)]
    return {"calls_per_round": calls, **{k: summarize(v) for k, v in per.items()}}


if __name__ == "__main__":
    print(json.dumps({"sync_transport": sync_transport_cost(), "fixture": fixture_cost()}, indent=2))
