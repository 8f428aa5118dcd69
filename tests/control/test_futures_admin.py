"""Steering futures through /_mock: mark, index, last, funding, test positions, forced liquidations, the
futures counterparty, time driving the engine, and the durable log replaying all of it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app

from ..api.futures.wire import F, fok
from ..helpers import Signed

_8H = 8 * 3_600_000


def instant(state: MockState) -> int:
    """A settlement instant of every contract (8 h and 4 h intervals divide it) a little after now."""
    return (state.clock.now_ms() // _8H + 2) * _8H


def admin(client: TestClient, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    content = None if body is None else json.dumps(body)
    resp = client.request(method, "/_mock" + path, content=content, headers={"x-mock-admin": "1"})
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


def trader(client: TestClient, state: MockState, funds: str = "100000") -> tuple[dict[str, Any], Signed]:
    made = admin(client, "POST", "/accounts", {"futures_balances": {"USDT": funds}})
    return made, Signed(client, made["api_key"], made["secret"], now_ms=state.clock.now_ms)


def wallet(client: TestClient, api_key: str) -> dict[str, str]:
    """The futures wallet's ledger balance as the account read shows it (it does not run the futures engine)."""
    return dict(admin(client, "GET", f"/accounts/{api_key}")["futures_balances"]["USDT"])


# ------------------------------------------------------------------ prices and funding


def test_mark_index_last_and_funding_rate_are_steered_and_read_back(client: TestClient) -> None:
    got = admin(client, "POST", "/futures/markets/btcusdt/mark", {"price": "100000"})
    assert (got["symbol"], got["mark_price"], got["index_price"]) == ("BTCUSDT", "100000", "100000")
    got = admin(client, "POST", "/futures/markets/BTCUSDT/index", {"price": "99950.5"})
    assert (got["mark_price"], got["index_price"]) == ("100000", "99950.5")
    assert admin(client, "POST", "/futures/markets/BTCUSDT/index", {"price": None})["index_price"] == "100000"
    got = admin(client, "POST", "/futures/markets/BTCUSDT/funding", {"rate": "-0.0125"})
    assert got["funding_rate"] == "-0.0125"
    # A mark that follows the last moves with a last price set later.
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000", "follow_last": True})
    got = admin(client, "POST", "/futures/markets/BTCUSDT/last", {"price": "100500"})
    assert (got["last_price"], got["mark_price"]) == ("100500", "100500")
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000"})
    got = admin(client, "POST", "/futures/markets/BTCUSDT/last", {"price": "101000"})
    assert (got["last_price"], got["mark_price"]) == ("101000", "100000")
    assert admin(client, "GET", "/futures/markets/BTCUSDT") == got
    # The REST API shows what was set (rate in percent, as served).
    data = fok(client.get(f"{F}/market/funding_rate", params={"symbol": "BTCUSDT"}))
    row = data[0] if isinstance(data, list) else data
    assert (row["markPrice"], row["lastPrice"], row["fundingRate"]) == ("100000.0", "101000.0", "-0.0125")


def test_futures_steering_refusals_name_the_rule_and_change_nothing(client: TestClient) -> None:
    before = admin(client, "GET", "/futures/markets/BTCUSDT")
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/futures/markets/NOPE/mark", {"price": "1"}, 404, "no futures contract 'NOPE'"),
        ("/futures/markets/BTCUSDT/mark", {"price": "0"}, 400, "price: must be greater than 0"),
        ("/futures/markets/BTCUSDT/mark", {"price": "1", "colour": "red"}, 400, "colour: unknown field"),
        ("/futures/markets/BTCUSDT/mark", {}, 400, "price: required"),
        (
            "/futures/markets/BTCUSDT/mark",
            {"price": "100000.05"},
            400,
            "mark price 100000.05 has more than 1 decimals (futures code 10008)",
        ),
        (
            "/futures/markets/BTCUSDT/funding",
            {"rate": "0.5", "settle": True},
            400,
            "funding rate 0.5 outside -0.3..0.3 percent (futures code 10008)",
        ),
        ("/futures/markets/BTCUSDT/funding", {"rate": "0.000000001"}, 400, "rate: more than 8 decimal places"),
        ("/futures/funding/settle", {"symbol": "NOPE"}, 404, "no futures contract 'NOPE'"),
    ]
    for path, body, status, message in cases:
        assert admin(client, "POST", path, body, status=status) == {"error": message}, path
    assert admin(client, "GET", "/futures/markets/BTCUSDT") == before
    assert fok(client.get(f"{F}/market/get_funding_rate_history", params={"symbol": "BTCUSDT"})) == []


# ------------------------------------------------------------------ positions and PnL


def test_open_position_then_a_mark_move_shows_pnl_in_admin_and_rest(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    key = made["api_key"]
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000"})
    pos = admin(
        client,
        "POST",
        f"/futures/accounts/{key}/positions",
        {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.1", "leverage": 10},
    )
    assert (pos["side"], pos["qty"], pos["avg_open_price"], pos["leverage"]) == ("LONG", "0.1", "100000", 10)
    assert (pos["margin"], pos["unrealized_pnl"], pos["fee"]) == ("1000", "0", "0")
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "101500"})
    [after] = admin(client, "GET", f"/futures/accounts/{key}/positions")
    assert (after["position_id"], after["unrealized_pnl"]) == (pos["position_id"], "150")
    account = admin(client, "GET", f"/futures/accounts/{key}")
    assert account["balances"]["USDT"] == {"free": "99000", "locked": "1000"}
    assert (account["available"], account["margin"], account["isolation_unrealized_pnl"]) == ("99000", "1000", "150")
    [rest] = fok(signed.get(f"{F}/position/get_pending_positions", {"symbol": "BTCUSDT"}))
    assert (rest["positionId"], rest["side"], rest["qty"], rest["unrealizedPNL"]) == (
        pos["position_id"],
        "BUY",
        "0.1",
        "150",
    )
    assert admin(client, "GET", "/futures/audit") == {
        "conserved": True,
        "imbalance": {"ledger:USDT": "0", "clearing": "0", "fees": "0", "pnl": "0"},
        "problems": [],
    }


def test_open_position_refusals(client: TestClient, state: MockState) -> None:
    made, _ = trader(client, state, funds="100")
    key = made["api_key"]
    base = f"/futures/accounts/{key}/positions"
    assert admin(client, "POST", base, {"symbol": "BTCUSDT", "side": "UP", "qty": "1"}, status=400) == {
        "error": "side: must be one of 'LONG', 'SHORT', 'BUY' or 'SELL'"
    }
    assert admin(client, "POST", base, {"symbol": "BTCUSDT", "side": "LONG", "qty": "1"}, status=409) == {
        "error": "available below the 4900 margin needed (futures code 20003)"
    }
    assert admin(
        client, "POST", base, {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.001", "leverage": 500}, status=400
    ) == {"error": "leverage 500 outside 1..125 (futures code 20005)"}
    assert admin(client, "POST", "/futures/accounts/nope/positions", {}, status=400) == {"error": "symbol: required"}
    body = {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.001"}
    assert admin(client, "POST", "/futures/accounts/nope/positions", body, status=404) == {
        "error": "no account with api-key 'nope'"
    }
    assert admin(client, "GET", f"/futures/accounts/{key}/positions") == []
    assert wallet(client, key) == {"free": "100", "locked": "0"}


def test_fund_futures_adds_and_takes_free_usdt(client: TestClient, state: MockState) -> None:
    made, _ = trader(client, state, funds="10")
    key = made["api_key"]
    got = admin(client, "POST", f"/futures/accounts/{key}/fund", {"coin": "USDT", "amount": "5.5"})
    assert got["balances"]["USDT"] == {"free": "15.5", "locked": "0"}
    assert admin(client, "POST", f"/futures/accounts/{key}/fund", {"coin": "USDT", "amount": "-20"}, status=409) == {
        "error": "free futures USDT is 15.5, below 20"
    }
    assert admin(client, "POST", f"/futures/accounts/{key}/fund", {"coin": "BTC", "amount": "1"}, status=400) == {
        "error": "coin: the futures wallet holds USDT only, not 'BTC'"
    }
    assert wallet(client, key) == {"free": "15.5", "locked": "0"}


# ------------------------------------------------------------------ liquidation


def test_liquidate_moves_the_mark_to_the_liquidation_price(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    key = made["api_key"]
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000"})
    body = {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.1", "leverage": 20}
    pos = admin(client, "POST", f"/futures/accounts/{key}/positions", body)
    assert Decimal(pos["liq_price"]) > Decimal(95000)
    done = admin(client, "POST", f"/futures/accounts/{key}/liquidate", {"symbol": "BTCUSDT"})
    assert done == {
        "position_id": pos["position_id"],
        "symbol": "BTCUSDT",
        "side": "LONG",
        "mark_price_before": "100000",
        "mark_price": pos["liq_price"],
        "liquidated": True,
    }
    assert admin(client, "GET", f"/futures/accounts/{key}/positions") == []
    assert admin(client, "GET", "/futures/markets/BTCUSDT")["mark_price"] == pos["liq_price"]
    history = fok(signed.get(f"{F}/position/get_history_positions", {"symbol": "BTCUSDT"}))
    assert [p["positionId"] for p in history["positionList"]] == [pos["position_id"]]
    # Closed at the liquidation price: the loss comes out of the margin, what is left of it goes back.
    loss = (Decimal(100000) - Decimal(pos["liq_price"])) * Decimal("0.1")
    assert loss < 500
    assert wallet(client, key) == {"free": format(Decimal(100000) - loss, "f"), "locked": "0"}
    assert admin(client, "GET", "/futures/audit")["conserved"] is True
    assert admin(client, "POST", f"/futures/accounts/{key}/liquidate", {"symbol": "BTCUSDT"}, status=409) == {
        "error": "the account holds no position on BTCUSDT"
    }


def test_liquidate_refuses_a_position_no_mark_can_liquidate(client: TestClient, state: MockState) -> None:
    made, _ = trader(client, state)
    key = made["api_key"]
    body = {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.01", "price": "100000", "margin_mode": "CROSS"}
    pos = admin(client, "POST", f"/futures/accounts/{key}/positions", body)
    assert admin(client, "POST", f"/futures/accounts/{key}/liquidate", {"symbol": "BTCUSDT"}, status=409) == {
        "error": f"position {pos['position_id']} has no liquidation price (its margin covers any mark); nothing moved"
    }
    assert [p["position_id"] for p in admin(client, "GET", f"/futures/accounts/{key}/positions")] == [
        pos["position_id"]
    ]


def test_liquidate_in_hedge_mode_wants_the_side(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    key = made["api_key"]
    fok(signed.post(f"{F}/account/change_position_mode", {"positionMode": "HEDGE"}))
    for side in ("LONG", "SHORT"):
        admin(client, "POST", f"/futures/accounts/{key}/positions", {"symbol": "BTCUSDT", "side": side, "qty": "0.1"})
    assert admin(client, "POST", f"/futures/accounts/{key}/liquidate", {"symbol": "BTCUSDT"}, status=400) == {
        "error": "side: the account holds a LONG and a SHORT position: name the one (LONG or SHORT)"
    }
    done = admin(client, "POST", f"/futures/accounts/{key}/liquidate", {"symbol": "BTCUSDT", "side": "SHORT"})
    assert done["side"] == "SHORT"
    assert [p["side"] for p in admin(client, "GET", f"/futures/accounts/{key}/positions")] == ["LONG"]


# ------------------------------------------------------------------ time drives the engine


def _long_and_short(client: TestClient, state: MockState) -> tuple[str, str]:
    """Two accounts, a 0.1 BTC long and a 0.1 BTC short at mark 100000, one second before a settlement instant."""
    admin(client, "POST", "/clock", {"freeze": True, "at_ms": instant(state) - 1000})
    admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000"})
    admin(client, "POST", "/futures/markets/BTCUSDT/funding", {"rate": "0.01"})  # 0.01 % of 10000 USDT: 1 USDT
    keys = []
    for side in ("LONG", "SHORT"):
        made, _ = trader(client, state)
        body = {"symbol": "BTCUSDT", "side": side, "qty": "0.1", "leverage": 10}
        admin(client, "POST", f"/futures/accounts/{made['api_key']}/positions", body)
        keys.append(made["api_key"])
    return keys[0], keys[1]


def test_an_admin_clock_jump_settles_the_funding_instant_it_passes_once(client: TestClient, state: MockState) -> None:
    long_key, short_key = _long_and_short(client, state)
    at = str(state.clock.now_ms() + 1000)  # the settlement instant one second ahead
    assert wallet(client, long_key) == {"free": "99000", "locked": "1000"}
    admin(client, "POST", "/clock", {"advance_ms": 2000})
    # Settled by the clock change itself: the ledger moved before anything read the futures engine.
    assert wallet(client, long_key) == {"free": "98999", "locked": "1000"}
    assert wallet(client, short_key) == {"free": "99001", "locked": "1000"}
    admin(client, "POST", "/clock", {"advance_ms": 1000})  # no instant passed: nothing more
    assert wallet(client, long_key) == {"free": "98999", "locked": "1000"}
    history = fok(client.get(f"{F}/market/get_funding_rate_history", params={"symbol": "BTCUSDT"}))
    assert [(h["fundingRate"], h["markPrice"]) for h in history if h["fundingTime"] == at] == [("0.0001", "100000.0")]
    assert history[0]["fundingTime"] == at  # the newest settlement
    signed = Signed(
        client, long_key, admin(client, "GET", f"/accounts/{long_key}")["secret"], now_ms=state.clock.now_ms
    )
    [row] = fok(signed.get(f"{F}/position/get_pending_positions", {"symbol": "BTCUSDT"}))
    assert row["funding"] == "-1"
    assert fok(signed.get(f"{F}/account", {"marginCoin": "USDT"}))["available"] == "98999"
    assert admin(client, "GET", "/futures/audit")["conserved"] is True


def test_a_request_after_time_passed_settles_before_its_handler(client: TestClient, state: MockState) -> None:
    long_key, _ = _long_and_short(client, state)
    state.clock.advance(2000)  # time passing, as a running clock does: no admin call
    assert wallet(client, long_key) == {"free": "99000", "locked": "1000"}  # nobody has looked yet
    assert client.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"}).status_code == 200
    assert wallet(client, long_key) == {"free": "98999", "locked": "1000"}


def test_settle_now_and_settle_with_the_rate(client: TestClient, state: MockState) -> None:
    long_key, short_key = _long_and_short(client, state)
    assert admin(client, "POST", "/futures/funding/settle", {"symbol": "btcusdt"}) == {"settled": ["BTCUSDT"]}
    assert wallet(client, long_key) == {"free": "98999", "locked": "1000"}
    got = admin(client, "POST", "/futures/markets/BTCUSDT/funding", {"rate": "-0.02", "settle": True})
    assert got["funding_rate"] == "-0.02"
    assert wallet(client, long_key) == {"free": "99001", "locked": "1000"}
    assert wallet(client, short_key) == {"free": "98999", "locked": "1000"}
    assert len(admin(client, "POST", "/futures/funding/settle", {})["settled"]) == 5


# ------------------------------------------------------------------ the futures counterparty


def _resting_buy(signed: Signed, price: str, qty: str = "0.01") -> str:
    body = {"symbol": "BTCUSDT", "side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": qty, "price": price}
    return str(fok(signed.post(f"{F}/trade/place_order", body))["orderId"])


def test_counterparty_fills_a_futures_order_now(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    key = made["api_key"]
    order_id = _resting_buy(signed, "97000")
    script = admin(client, "POST", "/counterparty", {"api_key": key, "product": "futures", "order_id": order_id})
    assert script["product"] == "futures" and script["done"] is True
    [outcome] = script["fills"]
    assert (outcome["order_id"], outcome["filled"], outcome["status"]) == (order_id, "0.01", "FILLED")
    detail = fok(signed.get(f"{F}/trade/get_order_detail", {"orderId": order_id}))
    assert (detail["status"], detail["tradeQty"]) == ("FILLED", "0.01")
    [pos] = admin(client, "GET", f"/futures/accounts/{key}/positions")
    assert (pos["side"], pos["qty"], pos["avg_open_price"]) == ("LONG", "0.01", "97000")
    # The counterparty kept nothing it was minted: its wallet holds its position's margin only.
    assert admin(client, "GET", "/futures/audit")["conserved"] is True
    again = admin(client, "POST", "/counterparty", {"api_key": key, "product": "futures", "order_id": order_id}, 409)
    assert again == {"error": f"order {order_id}: no open futures order with this id for this api-key"}


def test_counterparty_futures_fill_after_polls_and_in_part(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    order_id = _resting_buy(signed, "97000", qty="0.02")
    body = {"api_key": made["api_key"], "product": "futures", "after_polls": 2, "fraction": "0.5"}
    admin(client, "POST", "/counterparty", body)
    assert fok(signed.get(f"{F}/trade/get_order_detail", {"orderId": order_id}))["status"] == "NEW"
    fok(signed.get(f"{F}/account", {"marginCoin": "USDT"}))  # the second poll: the fill is seen by it
    detail = fok(signed.get(f"{F}/trade/get_order_detail", {"orderId": order_id}))
    assert (detail["status"], detail["tradeQty"]) == ("PART_FILLED", "0.01")


def test_counterparty_does_not_jump_the_queue(client: TestClient, state: MockState) -> None:
    made, signed = trader(client, state)
    _, other = trader(client, state)
    ahead = _resting_buy(other, "97500")
    order_id = _resting_buy(signed, "97000")
    body = {"api_key": made["api_key"], "product": "futures", "order_id": order_id}
    assert admin(client, "POST", "/counterparty", body, status=409) == {
        "error": f"order {order_id}: other orders rest ahead of it at the same or a better price and would fill "
        "first (the counter order met 0.01 BTC of them); cancel them, or run without liquidity, to fill it; "
        "nothing was traded"
    }
    for who, oid in ((signed, order_id), (other, ahead)):
        detail = fok(who.get(f"{F}/trade/get_order_detail", {"orderId": oid}))
        assert (detail["status"], detail["tradeQty"]) == ("NEW", "0")
    assert admin(client, "GET", f"/futures/accounts/{made['api_key']}/positions") == []


def test_counterparty_futures_symbol_is_a_contract(client: TestClient) -> None:
    body = {"api_key": DEMO_API_KEY, "product": "futures", "symbol": "NOPE"}
    assert admin(client, "POST", "/counterparty", body, status=404) == {"error": "no futures contract 'NOPE'"}
    body["product"] = "options"
    assert admin(client, "POST", "/counterparty", body, status=400) == {
        "error": "product: must be one of 'spot' or 'futures'"
    }


# ------------------------------------------------------------------ the durable log


def test_futures_admin_writes_replay_from_the_state_directory(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    app = create_app(Config(state_dir=state_dir))
    with TestClient(app) as client:
        made, _ = trader(client, app.state.mock)
        key = made["api_key"]
        admin(client, "POST", "/clock", {"freeze": True, "at_ms": instant(app.state.mock) - 1000})
        admin(client, "POST", "/futures/markets/BTCUSDT/mark", {"price": "100000"})
        body = {"symbol": "BTCUSDT", "side": "LONG", "qty": "0.1", "leverage": 10}
        admin(client, "POST", f"/futures/accounts/{key}/positions", body)
        admin(client, "POST", "/futures/markets/BTCUSDT/funding", {"rate": "0.01"})
        admin(client, "POST", "/clock", {"advance_ms": 2000})
        seen = admin(client, "GET", f"/futures/accounts/{key}")
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()
    again = create_app(Config(state_dir=state_dir))
    with TestClient(again) as client:
        assert admin(client, "GET", f"/futures/accounts/{key}") == seen
        assert wallet(client, key) == {"free": "98999", "locked": "1000"}
    durable = again.state.mock.durable
    assert durable is not None
    durable.close()
