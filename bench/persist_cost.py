"""The cost of ``--state DIR`` per state-changing request: signed place + cancel pairs, in-process.

Rounds alternate (ABBA) between an in-memory exchange and one that makes every change durable
in SQLite before answering, so the figure is a difference measured in the same minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

__all__ = ["measure"]

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
    from bench.__main__ import summarize
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
