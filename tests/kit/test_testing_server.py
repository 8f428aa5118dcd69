"""mockserver.testing.MockServer: a real uvicorn server on a free loopback port, state in-process."""

from __future__ import annotations

import httpx

from mockserver.testing import MockServer

from ..helpers import Signed, ok


def test_serves_over_loopback_and_shares_state_in_process() -> None:
    with MockServer(liquidity=False) as mock:
        assert mock.port > 0 and mock.url == f"http://127.0.0.1:{mock.port}"
        with httpx.Client(base_url=mock.url, timeout=10) as http:
            assert ok(http.get("/api/spot/v1/market/last_price", params={"symbol": "ETHUSDT"})) == "3200.00"
            signed = Signed(http, mock.api_key, mock.secret, now_ms=mock.state.clock.now_ms)
            placed = ok(
                signed.post(
                    "/api/spot/v1/order/place_order",
                    {"side": 1, "type": 1, "volume": "0.5", "price": "4000", "symbol": "ETHUSDT"},
                )
            )
        order = mock.state.exchange.orders[placed["orderId"]]
        assert order.account_id == "demo" and str(order.volume) == "0.5"


def test_two_servers_are_independent() -> None:
    with MockServer(liquidity=False) as a, MockServer(liquidity=False) as b:
        assert a.port != b.port
        a.state.exchange.fund("demo", "USDT", a.state.exchange.balances("demo")["USDT"].free)
        assert a.state.exchange.balances("demo")["USDT"].free == 2 * b.state.exchange.balances("demo")["USDT"].free
