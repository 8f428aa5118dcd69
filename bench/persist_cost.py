"""The cost of ``--state DIR`` per state-changing request: signed place + cancel pairs, in-process.

Rounds alternate (ABBA) between an in-memory exchange and one that makes every change durable
in SQLite before answering, so the figure is a difference measured in the same minute.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.stats import summarize

__all__ = ["blocking", "measure", "stalls"]

SPOT = "/api/spot/v1"
RESTING = {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}


def _headers(key: str, secret: str, body: bytes, now_ms: int) -> dict[str, str]:
    nonce, ts = uuid.uuid4().hex, str(now_ms)
    digest = hashlib.sha256((nonce + ts + key).encode() + body).hexdigest()
    sign = hashlib.sha256((digest + secret).encode()).hexdigest()
    return {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign, "content-type": "application/json"}


def _round(app: Any, n: int) -> float:
    """Seconds per state-changing request over ``n`` place + cancel pairs."""
    state = app.state.mock
    key, secret = state.config.demo_api_key, state.config.demo_secret

    async def post(client: httpx.AsyncClient, path: str, doc: dict[str, Any]) -> Any:
        body = json.dumps(doc, separators=(",", ":")).encode()
        resp = await client.post(path, content=body, headers=_headers(key, secret, body, state.clock.now_ms()))
        return resp.json()

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            started = time.perf_counter()
            for _ in range(n):
                placed = (await post(client, SPOT + "/order/place_order", RESTING))["data"]["orderId"]
                cancel = {"orderIdList": [{"orderId": placed, "symbol": "BTCUSDT"}]}
                assert (await post(client, SPOT + "/order/cancel", cancel))["code"] == "0"
            return (time.perf_counter() - started) / (2 * n)

    return asyncio.run(run())


def measure(rounds: int = 5, pairs: int = 1000) -> dict[str, Any]:
    """Median microseconds per state-changing request without and with ``--state``, and the extra, with spreads."""
    from mockserver import Config, create_app

    with tempfile.TemporaryDirectory(prefix="mock-state-bench-") as tmp:
        memory = create_app(Config(liquidity=False))
        durable = create_app(Config(liquidity=False, state_dir=Path(tmp)))
        _round(memory, 20), _round(durable, 20)  # warm-up
        cost: dict[str, list[float]] = {"memory": [], "state": []}
        for i in range(max(5, rounds)):
            order = ("memory", "state") if i % 2 == 0 else ("state", "memory")
            for side in order:
                cost[side].append(_round(memory if side == "memory" else durable, pairs) * 1e6)
        assert durable.state.mock.durable is not None
        durable.state.mock.durable.close()
    extra = [s - m for m, s in zip(cost["memory"], cost["state"], strict=True)]
    return {
        "pairs_per_round": pairs,
        "memory_us": summarize(cost["memory"]),
        "state_us": summarize(cost["state"]),
        "extra_us": {**summarize(extra), "noisy": statistics.median(extra) <= 0 or summarize(extra)["noisy"]},
    }


# ------------------------------------------------------- a large exchange: stalls

#: Resting orders added to the default books (about 600 market-maker orders) for the stall figures.
BIG_EXTRA_ORDERS = 5_000


def _big_app(state_dir: Path | None) -> Any:
    """The default exchange plus 5,000 resting demo orders (5,600 in all), checkpointed if durable."""
    from decimal import Decimal

    from mockserver import Config, create_app
    from mockserver.engine.orders import OrderType, PlaceRequest, Side

    app = create_app(Config(state_dir=state_dir))
    mock = app.state.mock
    ex, demo = mock.exchange, mock.demo
    ex.fund(demo.account_id, "USDT", Decimal(10_000_000))
    for i in range(BIG_EXTRA_ORDERS):
        price = Decimal(50_000 + i % 5_000)
        ex.place(demo.account_id, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), price))
    if mock.durable is not None:
        mock.durable.checkpoint()  # in-process steering is kept from the next checkpoint
    return app


def _latencies(app: Any, pairs: int) -> list[float]:
    """Milliseconds per signed request (place + cancel pairs), each timed alone."""
    state = app.state.mock
    key, secret = state.config.demo_api_key, state.config.demo_secret
    out: list[float] = []

    async def post(client: httpx.AsyncClient, path: str, doc: dict[str, Any]) -> Any:
        body = json.dumps(doc, separators=(",", ":")).encode()
        started = time.perf_counter()
        resp = await client.post(path, content=body, headers=_headers(key, secret, body, state.clock.now_ms()))
        out.append((time.perf_counter() - started) * 1e3)
        return resp.json()

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for _ in range(pairs):
                placed = (await post(client, SPOT + "/order/place_order", RESTING))["data"]["orderId"]
                await post(client, SPOT + "/order/cancel", {"orderIdList": [{"orderId": placed, "symbol": "BTCUSDT"}]})

    asyncio.run(run())
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def stalls(pairs: int = 6_000, rounds: int = 4) -> dict[str, Any]:
    """Request latency on a 5,600-order exchange with and without ``--state``: p50, p99, max (ms).

    ``pairs`` place + cancel pairs log about 500 bytes each, so the state directory compacts
    (a whole-state checkpoint of ~2.3 MB) at least twice during the run.
    """
    res: dict[str, Any] = {"orders": 600 + BIG_EXTRA_ORDERS, "requests_per_round": 2 * pairs, "rounds": rounds}
    figures: dict[str, dict[str, list[float]]] = {
        side: {"p50_ms": [], "p99_ms": [], "max_ms": []} for side in ("memory", "state")
    }
    checkpoints = 0
    saved = gc.get_threshold()
    gc.set_threshold(5_000, 10, 10)  # the server's thresholds (mockserver.cli)
    for i in range(rounds):  # ABBA: a busy moment of the shared machine hits both sides
        for side in ("memory", "state") if i % 2 == 0 else ("state", "memory"):
            with tempfile.TemporaryDirectory(prefix="mock-state-stall-") as tmp:
                app = _big_app(Path(tmp) if side == "state" else None)
                # As the server runs (mockserver.gcpolicy): the built heap frozen, young collections
                # cheap, so the figures are the mock's work and not a full collection of the books.
                gc.collect()
                gc.freeze()
                lat = _latencies(app, pairs)
                for key, value in (("p50_ms", _pct(lat, 0.5)), ("p99_ms", _pct(lat, 0.99)), ("max_ms", max(lat))):
                    figures[side][key].append(round(value, 3))
                durable = app.state.mock.durable
                if durable is not None:
                    durable.close()
                    checkpoints += durable.writer.written
                gc.unfreeze()
                del app
    gc.set_threshold(*saved)
    for side, values in figures.items():
        res[side] = {key: statistics.median(v) for key, v in values.items()} | {"rounds": values}
    res["background_checkpoints"] = checkpoints
    return res


def blocking(rounds: int = 3) -> dict[str, Any]:
    """How long other clients wait while a 5,600-order exchange is snapshot or restored (ms).

    A cheap request (``GET /_mock/health``) is sent again and again while the big call runs; the
    longest one is how long the big call held everyone else up.
    """
    app = _big_app(None)

    async def longest_wait(method: str, path: str, body: bytes | None) -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app)
        headers = {"x-mock-admin": "1", "content-type": "application/json"}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as client:
            waits: list[float] = []

            async def probe() -> None:
                # A client that sends a request every 2 ms: each wait counts from when it meant to send,
                # so a loop held up by the big call shows as the probe's wait.
                due = time.perf_counter()
                while True:
                    due += 0.002
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    await client.get("/_mock/health")
                    waits.append((time.perf_counter() - due) * 1e3)

            prober = asyncio.create_task(probe())
            await asyncio.sleep(0.02)
            started = time.perf_counter()
            resp = await client.request(method, "/_mock" + path, content=body)
            total = (time.perf_counter() - started) * 1e3
            await asyncio.sleep(0.02)
            prober.cancel()
            assert resp.status_code == 200, resp.text[:200]
            return max(waits), total

    doc = asyncio.run(_get_snapshot(app))
    res: dict[str, Any] = {"orders": 600 + BIG_EXTRA_ORDERS, "snapshot_bytes": len(doc)}
    saved = gc.get_threshold()
    gc.set_threshold(5_000, 10, 10)  # as the server runs (see stalls)
    for name, method, path, body in (("snapshot", "GET", "/snapshot", None), ("restore", "POST", "/restore", doc)):
        waits, totals = [], []
        for _ in range(rounds):
            gc.collect()
            gc.freeze()
            w, total = asyncio.run(longest_wait(method, path, body))
            gc.unfreeze()
            waits.append(w)
            totals.append(total)
        res[name] = {
            "longest_wait_ms": round(statistics.median(waits), 1),
            "call_ms": round(statistics.median(totals), 1),
            "rounds": [round(w, 1) for w in waits],
        }
    gc.set_threshold(*saved)
    return res


async def _get_snapshot(app: Any) -> bytes:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return (await client.get("/_mock/snapshot", headers={"x-mock-admin": "1"})).content


if __name__ == "__main__":  # python -m bench.persist_cost: the stall figures alone
    print(json.dumps({"stalls": stalls(), "blocking": blocking()}, indent=2))
