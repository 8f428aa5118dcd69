"""Futures TP/SL endpoints end to end: order and position TP/SL, their reads, and the refusals the engine reaches."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import MockState

from ...helpers import Signed
from .conftest import open_position
from .wire import F, ferr, fok

BTC = "BTCUSDT"


@pytest.fixture
def long_id(signed: Signed, maker: Signed) -> str:
    """A 0.01 BTCUSDT long of the demo account (one-way mode) at 98000; mark and last 98000."""
    return str(open_position(signed, maker, "BUY")["positionId"])


def pending(who: Signed) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = fok(who.get(f"{F}/tpsl/get_pending_orders", {"symbol": BTC}))
    return rows


def test_order_tpsl_place_read_modify_cancel(signed: Signed, long_id: str, state: MockState) -> None:
    body = {"symbol": BTC, "positionId": long_id, "tpPrice": "104000", "tpStopType": "MARK", "tpQty": "0.005"}
    placed = fok(signed.post(f"{F}/tpsl/place_order", body))
    assert isinstance(placed, list) and len(placed) == 1 and placed[0]["clientId"] == ""  # live: an array
    tid = placed[0]["orderId"]
    assert pending(signed) == [
        {
            "id": tid,
            "positionId": long_id,
            "symbol": BTC,
            "base": "BTC",
            "quote": "USDT",
            "tpPrice": "104000.0",
            "tpStopType": "MARK_PRICE",
            "tpOrderType": "MARKET",
            "tpOrderPrice": None,
            "slPrice": None,
            "slStopType": None,
            "slOrderType": None,
            "slOrderPrice": None,
            "tpQty": "0.005",
            "slQty": None,
        }
    ]
    change = {"orderId": tid, "tpPrice": "105000", "tpQty": "0.01", "slPrice": "96000", "slQty": "0.01"}
    assert fok(signed.post(f"{F}/tpsl/modify_order", change)) == {"orderId": tid}
    (row,) = pending(signed)
    assert (row["tpPrice"], row["tpQty"], row["tpStopType"], row["slPrice"], row["slStopType"]) == (
        "105000.0",
        "0.01",
        "LAST_PRICE",
        "96000.0",
        "LAST_PRICE",
    )
    assert fok(signed.post(f"{F}/tpsl/cancel_order", {"symbol": BTC, "orderId": tid})) == {"orderId": tid}
    assert pending(signed) == []
    hist = fok(signed.get(f"{F}/tpsl/get_history_orders", {"symbol": BTC}))
    assert hist["total"] == "1"
    (done,) = hist["orderList"]
    assert (done["id"], done["status"], done["triggerTime"]) == (tid, "CANCELED", None)
    assert isinstance(done["ctime"], str)
    assert ferr(signed.post(f"{F}/tpsl/cancel_order", {"symbol": BTC, "orderId": tid})) == (
        30011,
        "Abnormal order status",
    )
    state.set_switches({"futures_shapes": "doc"})
    again = fok(signed.post(f"{F}/tpsl/place_order", body))
    assert list(again) == ["orderId"]  # the docs' object


def test_position_tpsl_place_and_modify(signed: Signed, long_id: str) -> None:
    body = {"symbol": BTC, "positionId": long_id, "tpPrice": "107000", "slPrice": "95000", "slStopType": "MARK_PRICE"}
    tid = fok(signed.post(f"{F}/tpsl/position/place_order", body))["orderId"]
    (row,) = pending(signed)
    assert (row["id"], row["tpPrice"], row["slPrice"], row["slStopType"], row["tpQty"]) == (
        tid,
        "107000.0",
        "95000.0",
        "MARK_PRICE",
        None,
    )
    # Replaces the pair: an omitted slPrice deletes the stop-loss (JRK) [L].
    modify = {"symbol": BTC, "positionId": long_id, "tpPrice": "108000"}
    assert fok(signed.post(f"{F}/tpsl/position/modify_order", modify)) == {"orderId": tid}
    (row,) = pending(signed)
    assert (row["tpPrice"], row["slPrice"]) == ("108000.0", None)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"positionId": "1", "tpPrice": "104000", "tpQty": "0.01"}, (30004, "Position not exist")),
        ({"tpQty": "0.01"}, (30006, "Please select TP or SL")),
        ({"tpPrice": "0", "tpQty": "0.01"}, (30041, "Trigger price must be greater than 0")),
        (
            {"tpPrice": "104000", "tpQty": "0.02"},
            (30038, "TP/SL amount must be less than the size of the position"),
        ),
        (
            {"tpPrice": "98000", "tpQty": "0.01"},
            (30005, "The trigger price is closer to the current price and may be triggered immediately"),
        ),
        (
            {"tpPrice": "97000", "tpStopType": "MARK_PRICE", "tpQty": "0.01"},
            (30020, "Trigger price for TP should be higher than mark price"),
        ),
        ({"tpPrice": "97000", "tpQty": "0.01"}, (30026, "TP price must be greater than last price")),
        (
            {"slPrice": "99000", "slStopType": "MARK_PRICE", "slQty": "0.01"},
            (30023, "Trigger price fo SL should be lower than mark price"),
        ),
        ({"slPrice": "99000", "slQty": "0.01"}, (30028, "SL price must be less than last price")),
        ({"slPrice": "90000", "slQty": "0.01"}, (30025, "Trigger price for SL should be higher than liq price")),
    ],
    ids=["30004", "30006", "30041", "30038", "30005", "30020", "30026", "30023", "30028", "30025"],
)
def test_tpsl_refusals_on_a_long(
    signed: Signed, long_id: str, fields: dict[str, Any], refusal: tuple[int, str]
) -> None:
    body = {"symbol": BTC, "positionId": long_id, **fields}
    assert ferr(signed.post(f"{F}/tpsl/place_order", body)) == refusal


def test_short_tpsl_refusals_mirror_the_long_ones(signed: Signed, maker: Signed) -> None:
    short = open_position(signed, maker, "SELL")["positionId"]
    base = {"symbol": BTC, "positionId": short}
    cases = [
        (
            {"tpPrice": "99000", "tpStopType": "MARK_PRICE"},
            (30021, "Trigger price for TP should be lower than mark price"),
        ),
        ({"tpPrice": "99000"}, (30032, "TP price must be less than last price")),
        (
            {"slPrice": "97000", "slStopType": "MARK_PRICE"},
            (30022, "Trigger price for SL should be higher than mark price"),
        ),
        ({"slPrice": "97000"}, (30030, "SL price must be greater than last price")),
        ({"slPrice": "106000"}, (30024, "Trigger price for SL should be lower than liq price")),
    ]
    for fields, refusal in cases:
        assert ferr(signed.post(f"{F}/tpsl/position/place_order", {**base, **fields})) == refusal, fields


def test_tpsl_unknown_order_answers_20007(signed: Signed, long_id: str) -> None:
    refusal = (20007, "Order not found, please try it later")
    assert ferr(signed.post(f"{F}/tpsl/cancel_order", {"symbol": BTC, "orderId": "77"})) == refusal
    assert (
        ferr(signed.post(f"{F}/tpsl/modify_order", {"orderId": "77", "tpPrice": "104000", "tpQty": "0.01"})) == refusal
    )
