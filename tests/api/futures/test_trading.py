"""Futures account, position and trade endpoints end to end: exact values and every refusal the engine reaches."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mockserver import MockState

from ...helpers import Signed
from .conftest import open_position, place, positions
from .wire import F, ferr, fok

BTC = "BTCUSDT"


def account(who: Signed) -> dict[str, Any]:
    data: dict[str, Any] = fok(who.get(f"{F}/account", {"marginCoin": "USDT"}))
    return data


def detail(who: Signed, **ids: str) -> dict[str, Any]:
    data: dict[str, Any] = fok(who.get(f"{F}/trade/get_order_detail", ids))
    return data


def test_account_is_one_object_with_string_figures(signed: Signed, state: MockState) -> None:
    assert account(signed) == {
        "marginCoin": "USDT",
        "available": "100000",
        "frozen": "0",
        "margin": "0",
        "transfer": "100000",
        "positionMode": "ONE_WAY",
        "crossUnrealizedPNL": "0",
        "isolationUnrealizedPNL": "0",
        "bonus": "0",
    }
    state.set_switches({"futures_shapes": "doc"})
    assert isinstance(fok(signed.get(f"{F}/account", {"marginCoin": "USDT"})), list)


def test_account_refuses_another_margin_coin(signed: Signed) -> None:
    code, msg = ferr(signed.get(f"{F}/account", {"marginCoin": "BTC"}))
    assert (code, msg) == (10008, 'Parameter BTC does not match, alternative value ["USDT"].')


def test_a_resting_order_freezes_its_margin_and_fee_and_reads_back(signed: Signed) -> None:
    oid = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000", clientId="c-1")
    # margin 0.01 x 60000 / 20 = 30, plus the taker fee on it 0.01 x 60000 x 0.0006 = 0.36
    acct = account(signed)
    assert (acct["frozen"], acct["available"]) == ("30.36", "99969.64")
    o = detail(signed, orderId=oid)
    assert {k: o[k] for k in ("orderId", "clientId", "symbol", "qty", "tradeQty", "price", "side", "orderType")} == {
        "orderId": oid,
        "clientId": "c-1",
        "symbol": BTC,
        "qty": "0.01",
        "tradeQty": "0",
        "price": "60000.0",
        "side": "BUY",
        "orderType": "LIMIT",
    }
    assert (o["effect"], o["reduceOnly"], o["status"], o["leverage"]) == ("GTC", False, "NEW", 20)
    assert (o["positionMode"], o["marginMode"], o["fee"], o["realizedPNL"]) == ("ONE_WAY", "ISOLATION", "0", "0")
    assert isinstance(o["ctime"], str) and o["ctime"] == o["mtime"]
    assert detail(signed, clientId="c-1") == o
    page = fok(signed.get(f"{F}/trade/get_pending_orders", {"symbol": BTC}))
    assert page == {"orderList": [o], "total": "1"}


def test_new_padding_switch_sends_new_underscore(signed: Signed, state: MockState) -> None:
    oid = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000")
    state.set_switches({"futures_status_padding": "on"})
    assert detail(signed, orderId=oid)["status"] == "NEW_"


def test_doc_profile_sends_integer_times_and_totals(signed: Signed, state: MockState) -> None:
    place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000")
    state.set_switches({"futures_shapes": "doc"})
    page = fok(signed.get(f"{F}/trade/get_pending_orders", {"symbol": BTC}))
    assert page["total"] == 1 and isinstance(page["orderList"][0]["ctime"], int)


def test_order_detail_refuses_an_unknown_id_and_no_id(signed: Signed) -> None:
    assert ferr(signed.get(f"{F}/trade/get_order_detail", {"orderId": "123"})) == (
        20007,
        "Order not found, please try it later",
    )
    assert ferr(signed.get(f"{F}/trade/get_order_detail")) == (10002, "Parameter Error")


def test_a_fill_opens_a_position_read_with_live_sides(signed: Signed, maker: Signed) -> None:
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    pos = open_position(signed, maker, "BUY")
    assert {k: pos[k] for k in ("symbol", "marginCoin", "qty", "entryValue", "side", "marginMode")} == {
        "symbol": BTC,
        "marginCoin": "USDT",
        "qty": "0.01",
        "entryValue": "980",
        "side": "BUY",
        "marginMode": "ISOLATION",
    }
    assert (pos["positionMode"], pos["leverage"], pos["avgOpenPrice"], pos["margin"]) == ("HEDGE", 20, "98000.0", "49")
    assert (pos["fee"], pos["realizedPNL"], pos["unrealizedPNL"], pos["funding"]) == ("0.588", "0", "0", "0")
    assert isinstance(pos["ctime"], str)
    trades = fok(signed.get(f"{F}/trade/get_history_trades", {"symbol": BTC}))
    assert trades["total"] == "1"
    (t,) = trades["tradeList"]
    assert (t["qty"], t["price"], t["side"], t["orderType"], t["roleType"], t["fee"]) == (
        "0.01",
        "98000.0",
        "BUY",
        "MARKET",
        "TAKER",
        "0.588",
    )
    (mt,) = fok(maker.get(f"{F}/trade/get_history_trades", {"symbol": BTC}))["tradeList"]
    assert (mt["roleType"], mt["side"], mt["fee"]) == ("MAKER", "SELL", "0.196")
    filled = fok(signed.get(f"{F}/trade/get_history_orders", {"symbol": BTC}))
    assert filled["total"] == "1" and filled["orderList"][0]["status"] == "FILLED"
    assert filled["orderList"][0]["price"] == "market"


def test_closing_by_position_id_and_history_positions(signed: Signed, maker: Signed) -> None:
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    pos = open_position(signed, maker, "BUY")
    place(maker, side="BUY", tradeSide="OPEN", qty="0.01", price="99000")
    # Hedge close: side names the position (BUY closes the long), with its positionId (spec §3.4).
    place(signed, side="BUY", tradeSide="CLOSE", positionId=pos["positionId"], orderType="MARKET", qty="0.01")
    assert positions(signed) == []
    hist = fok(signed.get(f"{F}/position/get_history_positions", {"symbol": BTC}))
    assert hist["total"] == "1"
    (closed,) = hist["positionList"]
    assert (closed["positionId"], closed["side"], closed["maxQty"]) == (pos["positionId"], "BUY", "0.01")
    assert (closed["entryPrice"], closed["closePrice"], closed["realizedPNL"]) == ("98000.0", "99000.0", "10")
    close_order = fok(signed.get(f"{F}/trade/get_history_orders", {"symbol": BTC}))["orderList"][0]
    assert (close_order["side"], close_order["reduceOnly"]) == ("SELL", True)  # the actual action (PB live)


def test_flash_close_and_close_all(signed: Signed, maker: Signed) -> None:
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    long = open_position(signed, maker, "BUY")
    place(maker, side="BUY", tradeSide="OPEN", qty="0.01", price="98000")
    assert fok(signed.post(f"{F}/trade/flash_close_position", {"positionId": long["positionId"]})) == {
        "positionId": long["positionId"]
    }
    assert positions(signed) == []
    assert ferr(signed.post(f"{F}/trade/flash_close_position", {"positionId": long["positionId"]})) == (
        30004,
        "Position not exist",
    )
    open_position(signed, maker, "BUY")
    place(maker, side="BUY", tradeSide="OPEN", qty="0.01", price="98000")
    assert fok(signed.post(f"{F}/trade/close_all_position", {"symbol": BTC})) == ""
    assert positions(signed) == []


def test_cancel_orders_by_id_and_client_id_with_failures(signed: Signed) -> None:
    a = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000", clientId="a")
    b = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="61000", clientId="b")
    out = fok(
        signed.post(
            f"{F}/trade/cancel_orders",
            {"symbol": BTC, "orderList": [{"orderId": a}, {"clientId": "b"}, {"orderId": "42"}]},
        )
    )
    assert out == {
        "successList": [{"orderId": a, "clientId": "a"}, {"orderId": b, "clientId": "b"}],
        "failureList": [
            {"orderId": "42", "clientId": "", "errorMsg": "Order not found, please try it later", "errorCode": "20007"}
        ],
    }
    assert detail(signed, orderId=a)["status"] == "CANCELED"
    again = fok(signed.post(f"{F}/trade/cancel_orders", {"symbol": BTC, "orderList": [{"orderId": a}]}))
    assert again["failureList"] == [
        {"orderId": a, "clientId": "", "errorMsg": "Abnormal order status", "errorCode": "30011"}
    ]
    assert account(signed)["frozen"] == "0"


def test_cancel_all_orders(signed: Signed) -> None:
    a = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000")
    out = fok(signed.post(f"{F}/trade/cancel_all_orders", {"symbol": BTC}))
    assert out == {"successList": [{"orderId": a, "clientId": ""}], "failureList": []}


def test_modify_order_changes_price_and_qty(signed: Signed) -> None:
    oid = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000", clientId="m")
    assert fok(signed.post(f"{F}/trade/modify_order", {"orderId": oid, "qty": "0.02", "price": "59000"})) == {
        "orderId": oid,
        "clientId": "m",
    }
    o = detail(signed, orderId=oid)
    assert (o["qty"], o["price"]) == ("0.02", "59000.0")


def test_modify_order_of_a_post_only_order_to_a_crossing_price_cancels_it(signed: Signed, maker: Signed) -> None:
    place(maker, side="SELL", tradeSide="OPEN", qty="0.01", price="98000")
    oid = place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="97000", effect="POST_ONLY")
    assert fok(signed.post(f"{F}/trade/modify_order", {"orderId": oid, "qty": "0.01", "price": "98500"})) == {
        "orderId": oid,
        "clientId": "",
    }
    o = detail(signed, orderId=oid)
    assert (o["status"], o["tradeQty"]) == ("CANCELED", "0")
    assert positions(signed) == []


def test_batch_order_reports_each_item(signed: Signed) -> None:
    items = [
        {"side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "0.01", "price": "59000", "clientId": "x1"},
        {"side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "0.01", "price": "59000", "clientId": "x1"},
        {"side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "abc", "clientId": "x3"},
    ]
    out = fok(signed.post(f"{F}/trade/batch_order", {"symbol": BTC, "orderList": items}))
    assert len(out["successList"]) == 1 and out["successList"][0]["clientId"] == "x1"
    assert out["failureList"] == [
        {"clientId": "x1", "errorMsg": "Client ID duplicate", "errorCode": "30042"},
        {"clientId": "", "errorMsg": "Parameter Error", "errorCode": "10002"},
    ]
    six = {"symbol": BTC, "orderList": [items[0]] * 6}
    assert ferr(signed.post(f"{F}/trade/batch_order", six)) == (20016, "Batch order exceeded the max size")


def test_leverage_and_margin_mode_reads_and_changes(signed: Signed) -> None:
    q = {"symbol": BTC, "marginCoin": "USDT"}
    assert fok(signed.get(f"{F}/account/get_leverage_margin_mode", q)) == {
        "symbol": BTC,
        "marginCoin": "USDT",
        "leverage": 20,
        "marginMode": "ISOLATION",
    }
    assert fok(signed.post(f"{F}/account/change_leverage", {**q, "leverage": 50})) == {
        "marginCoin": "USDT",
        "leverage": 50,
        "symbol": BTC,
    }
    assert fok(signed.post(f"{F}/account/change_margin_mode", {**q, "marginMode": "CROSS"})) == {
        "marginMode": "CROSS",
        "symbol": BTC,
        "marginCoin": "USDT",
    }
    assert fok(signed.get(f"{F}/account/get_leverage_margin_mode", q))["leverage"] == 50
    assert fok(signed.get(f"{F}/account/trading_settings", {"symbols": "BTCUSDT"})) == [
        {
            "symbol": BTC,
            "marginCoin": "USDT",
            "marginMode": "CROSS",
            "leverage": 50,
            "longLeverage": 50,
            "shortLeverage": 50,
        }
    ]


def test_leverage_and_mode_refusals(signed: Signed, maker: Signed) -> None:
    q = {"symbol": BTC, "marginCoin": "USDT"}
    assert ferr(signed.post(f"{F}/account/change_leverage", {**q, "leverage": 126})) == (20005, "Invalid leverage")
    # Out of range below as above: 20005 (spec §5.4), not the validator's 10002.
    for lev in (0, -1):
        assert ferr(signed.post(f"{F}/account/change_leverage", {**q, "leverage": lev})) == (20005, "Invalid leverage")
    place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000")
    blocked = (20006, "You can't change leverage or margin mode as there are open orders")
    assert ferr(signed.post(f"{F}/account/change_leverage", {**q, "leverage": 10})) == blocked
    assert ferr(signed.post(f"{F}/account/change_margin_mode", {**q, "marginMode": "CROSS"})) == blocked
    assert ferr(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"})) == (
        20009,
        "Position exists, so positions mode cannot be updated",
    )


def test_position_mode_reads_and_changes(new_trader: Callable[[], Signed]) -> None:
    who = new_trader()
    assert fok(who.get(f"{F}/account/position_mode")) == {"positionMode": "ONE_WAY"}
    assert fok(who.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"})) == {"positionMode": "HEDGE"}
    assert fok(who.get(f"{F}/account/position_mode")) == {"positionMode": "HEDGE"}
    assert account(who)["positionMode"] == "HEDGE"


def test_adjust_position_margin(signed: Signed, maker: Signed) -> None:
    pos = open_position(signed, maker, "BUY")
    body = {"symbol": BTC, "marginCoin": "USDT", "positionId": pos["positionId"]}
    assert fok(signed.post(f"{F}/account/adjust_position_margin", {**body, "amount": "10"})) == ""
    assert positions(signed)[0]["margin"] == "59"
    assert fok(signed.post(f"{F}/account/adjust_position_margin", {**body, "amount": "-5"})) == ""
    assert positions(signed)[0]["margin"] == "54"
    assert ferr(signed.post(f"{F}/account/adjust_position_margin", {**body, "amount": "-50"})) == (
        20008,
        "Insufficient amount",
    )
    gone = {**body, "positionId": "1", "amount": "1"}
    assert ferr(signed.post(f"{F}/account/adjust_position_margin", gone)) == (30004, "Position not exist")


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"side": "BUY", "qty": "30", "price": "98000"}, (20003, "Insufficient balance")),
        ({"side": "BUY", "qty": "0.01", "price": "103000"}, (30014, "Max Buy Order Price")),
        ({"side": "SELL", "qty": "0.01", "price": "93000"}, (30015, "Mini Sell Order Price")),
        ({"side": "BUY", "qty": "100001", "price": "60000"}, (30013, "Exceeded the maximum order quantity")),
        (
            {"side": "SELL", "qty": "0.01", "price": "98000", "reduceOnly": True},
            (30018, "Order failed. No position opened. Cancel [Reduce-only] settings and retry later"),
        ),
        ({"side": "BUY", "qty": "0.01", "orderType": "LIMIT"}, (10002, "Parameter Error")),
        (
            {"side": "LONG", "qty": "0.01", "price": "60000"},
            (10008, 'Parameter LONG does not match, alternative value ["BUY","SELL"].'),
        ),
    ],
    ids=["20003", "30014", "30015", "30013", "30018", "10002-no-price", "10008-side"],
)
def test_place_order_refusals(signed: Signed, fields: dict[str, Any], refusal: tuple[int, str]) -> None:
    body = {"symbol": BTC, "orderType": "LIMIT", "tradeSide": "OPEN", **fields}
    assert ferr(signed.post(f"{F}/trade/place_order", body)) == refusal


def test_place_order_refuses_a_reused_client_id(signed: Signed) -> None:
    place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000", clientId="dup")
    again = {"symbol": BTC, "side": "BUY", "orderType": "LIMIT", "qty": "0.01", "price": "60000", "clientId": "dup"}
    assert ferr(signed.post(f"{F}/trade/place_order", again)) == (30042, "Client ID duplicate")


def test_place_order_accepts_qty_as_a_json_number(signed: Signed) -> None:
    body = {"symbol": BTC, "side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": 0.01, "price": 60000}
    oid = fok(signed.post(f"{F}/trade/place_order", body))["orderId"]
    assert detail(signed, orderId=oid)["qty"] == "0.01"


def test_an_unknown_symbol_on_a_private_endpoint_answers_20015(signed: Signed) -> None:
    body = {"symbol": "NOPEUSDT", "side": "BUY", "orderType": "LIMIT", "qty": "1", "price": "1"}
    assert ferr(signed.post(f"{F}/trade/place_order", body)) == (20015, "this Futures is not allowed to trade.")


def test_more_place_refusals_the_engine_reaches(signed: Signed, maker: Signed) -> None:
    def refused(**fields: Any) -> tuple[int, str]:
        return ferr(signed.post(f"{F}/trade/place_order", {"symbol": BTC, "orderType": "LIMIT", **fields}))

    assert refused(side="BUY", qty="0", price="60000") == (30016, "The qty should be larger than")
    assert refused(side="BUY", qty="50001", orderType="MARKET") == (
        30039,
        "The order qty can't be greater than the max order qty",
    )
    code, msg = refused(side="BUY", qty="0.01", price="60000.05")
    assert (code, msg) == (10008, 'Parameter 60000.05 does not match, alternative value ["60000.0","60000.1"].')
    assert refused(side="SELL", tradeSide="CLOSE", positionId="1", qty="0.01", orderType="MARKET") == (
        30004,
        "Position not exist",
    )
    fok(signed.post(f"{F}/account/change_leverage", {"symbol": BTC, "marginCoin": "USDT", "leverage": 125}))
    # 125x allows positions up to the first tier's 50000 USDT (spec §5.4) [L].
    assert refused(side="BUY", qty="1", price="60000") == (
        20002,
        "The current positions amount has exceeded the maximum open limit, please adjust the risk limit",
    )
    fok(signed.post(f"{F}/account/change_leverage", {"symbol": BTC, "marginCoin": "USDT", "leverage": 20}))
    open_position(signed, maker, "BUY")  # one-way: a long
    assert refused(side="BUY", qty="0.01", price="97000", reduceOnly=True) == (
        30019,
        "Order failed. A [Reduce-only] order can not be in the same direction as the open position",
    )


def test_futures_spot_transfer_moves_at_most_the_transfer_figure(
    new_trader: Callable[[], Signed], maker: Signed, state: MockState
) -> None:
    me = new_trader()
    q = {"symbol": BTC, "marginCoin": "USDT"}
    fok(me.post(f"{F}/account/change_margin_mode", {**q, "marginMode": "CROSS"}))
    open_position(me, maker, "BUY", qty="0.1")
    state.exchange.futures.set_mark_price(BTC, Decimal("94000"))  # cross uPnL -400
    a = account(me)
    assert (a["available"], a["transfer"], a["crossUnrealizedPNL"]) == ("99504.12", "99104.12", "-400")
    spot = "/api/spot/v1/funds_transfer"
    too_much = {"type": "futures_spot", "coin": "USDT", "amount": a["available"]}
    refused = me.post(spot, too_much).json()
    assert (refused["code"], refused["msg"]) == ("10034", "Insufficient balance")
    assert account(me)["transfer"] == "99104.12"
    done = me.post(spot, {"type": "futures_spot", "coin": "USDT", "amount": a["transfer"]}).json()
    assert done["code"] == "0", done
    assert (account(me)["available"], account(me)["transfer"]) == ("400", "0")
    assert state.exchange.problems() == []
