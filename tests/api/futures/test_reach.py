"""Refusals the engine reaches through the API (30001, 30002, 30003, 30017) and modify_order's attached TP/SL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...helpers import Signed
from .conftest import open_position, place
from .wire import F, ferr, fok

BTC = "BTCUSDT"


def refused(who: Signed, path: str, body: dict[str, Any]) -> tuple[int, str]:
    return ferr(who.post(f"{F}/{path}", body))


def test_place_order_below_a_ten_lot_minimum_answers_30017(signed: Signed) -> None:
    body = {"symbol": "DOGEUSDT", "side": "BUY", "orderType": "LIMIT", "qty": "9", "price": "0.16"}
    assert refused(signed, "trade/place_order", body) == (30017, "The qty cannot be less than the minimum qty")
    assert fok(signed.post(f"{F}/trade/place_order", {**body, "qty": "10"}))["orderId"]


def test_place_order_that_would_liquidate_at_once_answers_30001(signed: Signed) -> None:
    fok(signed.post(f"{F}/account/change_leverage", {"symbol": BTC, "marginCoin": "USDT", "leverage": 125}))
    body = {"symbol": BTC, "side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "0.01", "price": "98490"}
    assert refused(signed, "trade/place_order", body) == (
        30001,
        "Failed to order. Please adjust the order price or the leverage as the order price dealt may "
        "immediately liquidate.",
    )


def test_closes_beyond_the_liquidation_price_answer_30002_and_30003(signed: Signed, maker: Signed) -> None:
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    fok(signed.post(f"{F}/account/change_leverage", {"symbol": BTC, "marginCoin": "USDT", "leverage": 50}))
    long = open_position(signed, maker, "BUY", qty="0.1")
    short = open_position(signed, maker, "SELL", qty="0.1")
    # 50x at 98000: (9800 -/+ 196) / (0.1 x (1 -/+ 0.004)), to the tick away from the entry
    assert (long["liqPrice"], short["liqPrice"]) == ("96425.7", "99561.8")
    close = {"symbol": BTC, "orderType": "LIMIT", "qty": "0.1", "tradeSide": "CLOSE"}
    body = {**close, "side": "BUY", "positionId": long["positionId"], "price": "96425.6"}
    assert refused(signed, "trade/place_order", body) == (30002, "Price below liquidated price")
    body = {**close, "side": "SELL", "positionId": short["positionId"], "price": "99561.9"}
    assert refused(signed, "trade/place_order", body) == (30003, "Price above liquidated price")
    tpsl = {
        "symbol": BTC,
        "positionId": long["positionId"],
        "slPrice": "97000",
        "slOrderType": "LIMIT",
        "slOrderPrice": "96000",
        "slQty": "0.1",
    }
    assert refused(signed, "tpsl/place_order", tpsl) == (30002, "Price below liquidated price")


def test_modify_order_honours_the_attached_tp_sl_fields(signed: Signed) -> None:
    oid = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="90000")
    body = {"orderId": oid, "qty": "0.01", "price": "90000", "tpPrice": "100000", "tpStopType": "MARK_PRICE"}
    fok(signed.post(f"{F}/trade/modify_order", body))
    o = fok(signed.get(f"{F}/trade/get_order_detail", {"orderId": oid}))
    assert (o["tpPrice"], o["tpStopType"], o["slPrice"]) == ("100000", "MARK_PRICE", None)
    fok(signed.post(f"{F}/trade/modify_order", {"orderId": oid, "qty": "0.01", "price": "90000", "slPrice": "85000"}))
    o = fok(signed.get(f"{F}/trade/get_order_detail", {"orderId": oid}))
    assert (o["tpPrice"], o["slPrice"], Decimal(o["price"])) == ("100000", "85000", Decimal(90000))
