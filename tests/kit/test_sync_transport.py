"""mockserver.testing.sync_transport: one event loop in one thread for the transport's life, stopped cleanly."""

from __future__ import annotations

import gc
import threading
from typing import Any

import httpx
import pytest

from client_ref import Client
from client_ref.models import OrderType, Side
from mockserver import Config, create_app
from mockserver.testing import HeldLoopTransport, sync_transport


def _recording(app: Any, threads: list[threading.Thread]) -> Any:
    """``app``, noting the thread each request runs on."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        threads.append(threading.current_thread())
        await app(scope, receive, send)

    return wrapped


def _ours() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mock-sync-transport"]


def test_every_request_runs_on_the_one_thread_the_transport_holds() -> None:
    app = create_app(Config(liquidity=False))
    cfg = app.state.mock.config
    threads: list[threading.Thread] = []
    before = set(_ours())
    transport = sync_transport(_recording(app, threads))
    assert isinstance(transport, HeldLoopTransport) and transport.thread is None  # nothing started until used
    with Client("http://mock.test", cfg.demo_api_key, cfg.demo_secret, transport=transport) as client:
        assert str(client.last_price("BTCUSDT")) == "64000.00"
        assert {b.coin for b in client.balances()} >= {"USDT", "BTC"}
        placed = client.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "20000")
        assert placed.accepted and placed.order_id is not None
        client.cancel_orders([(placed.order_id, "BTCUSDT")])
        held = transport.thread
        assert held is not None and held.is_alive()
        assert threads == [held] * 4  # four requests, one thread
        assert set(_ours()) - before == {held}
    # Closing the client closed the transport: its loop stopped and its thread was joined.
    assert not held.is_alive() and transport.thread is None
    assert set(_ours()) == before


def test_a_closed_transport_serves_again_on_a_fresh_thread_and_closes_again() -> None:
    app = create_app(Config(liquidity=False))
    transport = sync_transport(app)
    with httpx.Client(transport=transport, base_url="http://mock.test") as http:
        assert http.get("/_mock/health").status_code == 200
        first = transport.thread
    assert first is not None and not first.is_alive()
    with httpx.Client(transport=transport, base_url="http://mock.test") as http:
        assert http.get("/_mock/health").status_code == 200
        second = transport.thread
        assert second is not None and second is not first and second.is_alive()
    assert not second.is_alive()


def test_a_transport_dropped_without_close_stops_its_thread_when_collected() -> None:
    app = create_app(Config(liquidity=False))
    transport = sync_transport(app)
    http = httpx.Client(transport=transport, base_url="http://mock.test")
    assert http.get("/_mock/health").status_code == 200
    held = transport.thread
    assert held is not None and held.is_alive()
    del http, transport
    gc.collect()
    assert not held.is_alive()


def test_an_exception_in_the_app_reaches_the_caller() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("the app broke")

    with httpx.Client(transport=sync_transport(broken), base_url="http://mock.test") as http:
        with pytest.raises(ValueError, match=r"^the app broke$"):
            http.get("/anything")
        transport = http._transport
        assert isinstance(transport, HeldLoopTransport)
        held = transport.thread
        assert held is not None and held.is_alive()  # the loop survives an app's exception
    assert not held.is_alive()
