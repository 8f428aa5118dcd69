"""Futures fixtures: funded counterparties and a busy demo account whose ids fill the table's examples."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockState

from ...helpers import Signed
from .wire import F, fok

#: What a futures test account opens with (the demo account's default futures wallet, spec plan).
FUNDS = {"USDT": Decimal(100000)}


@pytest.fixture
def new_trader(client: TestClient, state: MockState) -> Callable[[], Signed]:
    """A fresh account with a funded futures wallet, as a signer."""

    def make() -> Signed:
        acct = state.exchange.create_account(futures_balances=FUNDS)
        return Signed(client, acct.api_key, acct.secret, now_ms=state.clock.now_ms)

    return make


@pytest.fixture
def maker(new_trader: Callable[[], Signed]) -> Signed:
    return new_trader()


def place(who: Signed, **fields: Any) -> str:
    """Place one futures order; its orderId."""
    body = {"symbol": "BTCUSDT", "orderType": "LIMIT", **fields}
    return str(fok(who.post(f"{F}/trade/place_order", body))["orderId"])


def positions(who: Signed, symbol: str = "BTCUSDT") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = fok(who.get(f"{F}/position/get_pending_positions", {"symbol": symbol}))
    return rows


def open_position(who: Signed, maker: Signed, side: str, qty: str = "0.01", price: str = "98000") -> dict[str, Any]:
    """``who`` opens a position by a market order against ``maker``'s resting limit order at ``price``."""
    maker_side = "SELL" if side == "BUY" else "BUY"
    place(maker, side=maker_side, tradeSide="OPEN", qty=qty, price=price)
    place(who, side=side, tradeSide="OPEN", orderType="MARKET", qty=qty)
    want = "BUY" if side == "BUY" else "SELL"
    return next(p for p in positions(who) if p["side"] == want)


@pytest.fixture
def busy(signed: Signed, maker: Signed) -> dict[str, Any]:
    """The demo account in hedge mode with a long and a short BTCUSDT position (0.01 at 98000 each), a resting
    buy at 90000, an order TP/SL on the long and a position TP/SL on the long: the ids the examples name."""
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    long = open_position(signed, maker, "BUY")
    short = open_position(signed, maker, "SELL")
    resting = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="90000", clientId="busy-resting")
    tpsl = fok(
        signed.post(
            f"{F}/tpsl/place_order",
            {"symbol": "BTCUSDT", "positionId": long["positionId"], "tpPrice": "104000", "tpQty": "0.005"},
        )
    )
    fok(
        signed.post(
            f"{F}/tpsl/position/place_order",
            {"symbol": "BTCUSDT", "positionId": long["positionId"], "tpPrice": "110000", "slPrice": "95000"},
        )
    )
    return {
        "order_id": resting,
        "position_id": long["positionId"],
        "short_position_id": short["positionId"],
        "tpsl_id": tpsl[0]["orderId"],
    }
