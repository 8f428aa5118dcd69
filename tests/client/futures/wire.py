"""The futures client on an ``httpx.MockTransport``: what it sends is recorded, what it reads is scripted.

Both colours run the same calls: :func:`call` takes the client method's name and arguments and
returns ``(result, requests)`` for the sync (``FuturesClient``) or async (``AsyncFuturesClient``) client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from client_ref import AsyncFuturesClient, FuturesClient, RetryPolicy

#: The made-up credentials and instant of the spec's worked examples (§1.6).
API_KEY = "b7c3e1a94f2d4c6e8a0b1d3f5e7a9c2e"
SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100"
NONCE = "0c1d2e3f405162738495a6b7c8d9eaf1"
NOW_MS = 1724285700000
BASE = "http://mock.test"

COLOURS = ("sync", "async")

Reply = Callable[[httpx.Request], httpx.Response]


def envelope(data: Any, code: Any = 0, msg: str = "Success") -> bytes:
    """The futures envelope, key order code/data/msg as the exchange writes it."""
    return json.dumps({"code": code, "data": data, "msg": msg}, separators=(",", ":")).encode()


def replying(*bodies: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A transport handler answering each request with the next body (the last one repeats)."""
    queue: Iterator[bytes] = iter(bodies)
    last = [bodies[-1]]

    def handle(request: httpx.Request) -> httpx.Response:
        body = next(queue, last[0])
        return httpx.Response(status, content=body, headers=headers or {"content-type": "application/json"})

    return handle


def call(
    colour: str,
    method: str,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    reply: Reply | None = None,
    *,
    sent: list[httpx.Request] | None = None,
    sleeps: list[float] | None = None,
    retry: RetryPolicy | None = None,
    api_key: str = API_KEY,
    secret: str = SECRET,
    nonce: str = NONCE,
    now_ms: int = NOW_MS,
) -> tuple[Any, list[httpx.Request]]:
    """Run ``client.method(*args, **kwargs)`` on a client of ``colour``; the result and the requests it sent.

    An exception from the call propagates; pass ``sent`` to keep the requests anyway.
    """
    seen: list[httpx.Request] = sent if sent is not None else []
    answer = reply or replying(envelope(None))

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    pauses = sleeps if sleeps is not None else []
    options: dict[str, Any] = {
        "clock_ms": lambda: now_ms,
        "nonce": lambda: nonce,
        "retry": retry,
        "sleep": pauses.append,
    }
    kw = kwargs or {}
    if colour == "sync":
        with FuturesClient(BASE, api_key, secret, transport=httpx.MockTransport(record), **options) as client:
            return getattr(client, method)(*args, **kw), seen

    async def run() -> Any:
        async with AsyncFuturesClient(BASE, api_key, secret, transport=httpx.MockTransport(record), **options) as c:
            return await getattr(c, method)(*args, **kw)

    return asyncio.run(run()), seen
