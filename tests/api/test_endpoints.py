"""Every endpoint answers a correct request with the shape its table row declares, and the right values."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from mockserver import ENDPOINTS, Endpoint, MockState
from mockserver.engine import OrderType, PlaceRequest, Side
from mockserver.engine.orders import Order

from ..helpers import Signed, ok

P = "/api/spot/v1"
TRON = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


def call(client: TestClient, signed: Signed, ep: Endpoint, params: dict[str, Any]) -> Any:
    if ep.method == "GET":
        if ep.auth:
            return signed.get(ep.path, params)
        return client.get(ep.path, params=params)
    return signed.post(ep.path, params)


@pytest.fixture
def busy(client: TestClient, state: MockState, signed: Signed) -> dict[str, Any]:
    """An exchange with a trade, a resting order, a withdrawal and a transfer on the demo account: the ids the
    examples' placeholders name (``Endpoint.request``)."""
    ex = state.exchange
    maker = ex.create_account(balances={"BTC": Decimal(1)})
    m = Signed(client, maker.api_key, maker.secret, now_ms=state.clock.now_ms)
    ok(m.post(f"{P}/order/place_order", {"side": 1, "type": 1, "volume": "0.1", "price": "64000", "symbol": "BTCUSDT"}))
    taker = ok(
        signed.post(
            f"{P}/order/place_order", {"side": 2, "type": 1, "volume": "0.01", "price": "64000", "symbol": "BTCUSDT"}
        )
    )
    resting = ok(
        signed.post(
            f"{P}/order/place_order", {"side": 2, "type": 1, "volume": "0.02", "price": "60000", "symbol": "BTCUSDT"}
        )
    )
    wid = ok(
        signed.post(f"{P}/withdraw", {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON, "amount": "20"})
    )
    tid = ok(signed.post(f"{P}/inside_transfer", {"coin": "USDT", "amount": "1", "toType": "uid", "toUid": maker.uid}))
    return {
        "order_id": taker["orderId"],
        "resting_order_id": resting["orderId"],
        "withdraw_id": wid,
        "transfer_id": tid,
        "uid": maker.uid,
    }


# Operations whose example the exchange refuses by design (it answers 2): an internal transfer settles at once,
# so there is never one left to cancel.
REFUSED_SAMPLES = {"inside_transfer_cancel"}


def samples(ids: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A valid request for every operation: the table's example, its placeholders filled from ``ids``."""
    return {ep.operation: ep.request(ids) for ep in ENDPOINTS}


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e.operation)
def test_answers_with_the_declared_shape(
    ep: Endpoint, client: TestClient, signed: Signed, busy: dict[str, Any]
) -> None:
    resp = call(client, signed, ep, samples(busy)[ep.operation])
    assert resp.status_code == 200
    doc = resp.json()
    assert list(doc) == ["code", "msg", "data", "success"]
    if ep.operation in REFUSED_SAMPLES:
        assert (doc["code"], doc["msg"], doc["success"]) == ("2", "Parameter error", False)
        return
    assert (doc["code"], doc["msg"], doc["success"]) == ("0", ep.success_msg, True), doc
    assert [e.message for e in jsonschema.Draft202012Validator(ep.response).iter_errors(doc["data"])] == []


def test_coin_pair_list_serves_the_fixture_rows(client: TestClient, state: MockState) -> None:
    pairs = ok(client.get(f"{P}/common/coin_pair/list"))
    assert [p["symbol"] for p in pairs] == [m.symbol.lower() for m in state.exchange.markets]
    btc = pairs[0]
    assert (btc["base"], btc["quote"], btc["basePrecision"], btc["quotePrecision"]) == ("BTC", "USDT", 5, 2)
    assert btc["minPrice"] == "5.0000000000000000" and btc["isOpen"] == 1 and btc["openTime"] is None
    assert "mock" not in btc


def test_last_price_follows_trades(client: TestClient, signed: Signed, state: MockState) -> None:
    assert ok(client.get(f"{P}/market/last_price", params={"symbol": "btcusdt"})) == "64000.00"
    maker = state.exchange.create_account(balances={"BTC": Decimal(1)})
    m = Signed(client, maker.api_key, maker.secret, now_ms=state.clock.now_ms)
    ok(
        m.post(
            f"{P}/order/place_order", {"side": 1, "type": 1, "volume": "0.01", "price": "65123.4", "symbol": "BTCUSDT"}
        )
    )
    ok(signed.post(f"{P}/order/place_order", {"side": 2, "type": 2, "volume": "1000", "symbol": "BTCUSDT"}))
    assert ok(client.get(f"{P}/market/last_price", params={"symbol": "BTCUSDT"})) == "65123.40"


def test_depth_aggregates_to_the_requested_step(client: TestClient, state: MockState) -> None:
    maker = state.exchange.create_account(balances={"BTC": Decimal(1), "USDT": Decimal(100000)})
    m = Signed(client, maker.api_key, maker.secret, now_ms=state.clock.now_ms)
    for side, price, vol in [(1, "64001.5", "0.01"), (1, "64009", "0.02"), (1, "64011", "0.04"), (2, "63995", "0.1")]:
        ok(
            m.post(
                f"{P}/order/place_order", {"side": side, "type": 1, "volume": vol, "price": price, "symbol": "BTCUSDT"}
            )
        )
    fine = ok(client.get(f"{P}/market/depth", params={"symbol": "BTCUSDT"}))
    assert fine["asks"] == [
        {"price": "64001.5", "volume": "0.01"},
        {"price": "64009", "volume": "0.02"},
        {"price": "64011", "volume": "0.04"},
    ]
    coarse = ok(client.get(f"{P}/market/depth", params={"symbol": "BTCUSDT", "precision": "10"}))
    assert coarse["asks"] == [{"price": "64010", "volume": "0.03"}, {"price": "64020", "volume": "0.04"}]
    assert coarse["bids"] == [{"price": "63990", "volume": "0.1"}]
    assert coarse["ts"] == str(int(coarse["ts"])) and int(coarse["ts"]) > 0


def test_kline_history_is_closed_newest_first_and_bounded(client: TestClient, state: MockState) -> None:
    state.clock.freeze(1_724_286_930_000)  # 2024-08-22T00:35:30Z
    rows = ok(client.get(f"{P}/market/kline/history", params={"symbol": "BTCUSDT", "interval": "15", "limit": "3"}))
    assert [r["ts"] for r in rows] == ["2024-08-22T00:15:00Z", "2024-08-22T00:00:00Z", "2024-08-21T23:45:00Z"]
    live = ok(client.get(f"{P}/market/kline", params={"symbol": "BTCUSDT", "interval": "15"}))
    assert live[0]["ts"] == "2024-08-22T00:30:00Z" and len(live) == 201
    for r in rows + live:
        assert Decimal(r["low"]) <= min(Decimal(r["open"]), Decimal(r["close"]))
        assert Decimal(r["high"]) >= max(Decimal(r["open"]), Decimal(r["close"]))
    over = client.get(f"{P}/market/kline/history", params={"symbol": "BTCUSDT", "interval": "1", "limit": "501"})
    assert ok(over) == []
    end = ok(
        client.get(
            f"{P}/market/kline/history",
            params={"symbol": "BTCUSDT", "interval": "60", "limit": "2", "endTime": "1724284800"},  # 00:00:00
        )
    )
    assert [r["ts"] for r in end] == ["2024-08-21T23:00:00Z", "2024-08-21T22:00:00Z"]


@pytest.mark.parametrize("interval", ["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"])
def test_every_interval_is_served(client: TestClient, interval: str) -> None:
    rows = ok(client.get(f"{P}/market/kline/history", params={"symbol": "ETHUSDT", "interval": interval, "limit": "4"}))
    assert (
        len(rows) == 4
        and len({r["ts"] for r in rows}) == 4
        and sorted(r["ts"] for r in rows)[::-1] == [r["ts"] for r in rows]
    )


def test_klines_include_real_trades(client: TestClient, signed: Signed, state: MockState) -> None:
    maker = state.exchange.create_account(balances={"BTC": Decimal(1)})
    m = Signed(client, maker.api_key, maker.secret, now_ms=state.clock.now_ms)
    ok(
        m.post(
            f"{P}/order/place_order", {"side": 1, "type": 1, "volume": "0.03", "price": "70000", "symbol": "BTCUSDT"}
        )
    )
    ok(
        signed.post(
            f"{P}/order/place_order", {"side": 2, "type": 1, "volume": "0.03", "price": "70000", "symbol": "BTCUSDT"}
        )
    )
    now = ok(client.get(f"{P}/market/kline", params={"symbol": "BTCUSDT", "interval": "1"}))[0]
    assert now["close"] == "70000" and now["high"] == "70000" and now["volume"] == "0.03"


def test_account_numbers_are_exact_json_numbers(client: TestClient, signed: Signed) -> None:
    ok(
        signed.post(
            f"{P}/order/place_order",
            {"side": 2, "type": 1, "volume": "0.00123", "price": "50000.01", "symbol": "BTCUSDT"},
        )
    )
    raw = signed.get(f"{P}/user/account").text
    assert '{"coin":"USDT","balance":99938.4999877,"balanceLocked":61.5000123}' in raw


def test_empty_account_answers_null(client: TestClient, state: MockState) -> None:
    empty = state.exchange.create_account()
    s = Signed(client, empty.api_key, empty.secret, now_ms=state.clock.now_ms)
    assert ok(s.get(f"{P}/user/account")) is None
    assert ok(s.get(f"{P}/user/info")) == {"uid": empty.uid}


def test_order_reads_agree(client: TestClient, signed: Signed, state: MockState) -> None:
    placed = ok(
        signed.post(
            f"{P}/order/place_order",
            {"side": 2, "type": 1, "volume": "0.002", "price": "60000", "symbol": "btcusdt", "clientId": "c-1"},
        )
    )
    assert placed == {
        "orderId": placed["orderId"],
        "side": 2,
        "type": 1,
        "volume": "0.002",
        "price": "60000",
        "symbol": "BTCUSDT",
        "placeStatus": "1",
    }
    pending = ok(signed.post(f"{P}/order/pending/list", {"symbol": "BTCUSDT"}))
    detail = ok(signed.get(f"{P}/order/detail", {"orderId": placed["orderId"]}))
    history = ok(signed.post(f"{P}/order/history/page", {"symbol": "BTCUSDT"}))
    assert pending == [detail] and history["data"] == [detail] and history["total"] == 1
    assert detail["clientId"] == "c-1" and detail["userId"] == str(state.demo.uid if state.demo else "")
    assert (detail["status"], detail["side"], detail["type"], detail["orderType"]) == ("1", "2", "1", "1")
    assert (detail["volume"], detail["leftVolume"], detail["dealVolume"], detail["amount"]) == (
        "0.002",
        "0.002",
        "0",
        "120",
    )
    ok(signed.post(f"{P}/order/cancel", {"orderIdList": [{"orderId": placed["orderId"], "symbol": "BTCUSDT"}]}))
    assert ok(signed.post(f"{P}/order/pending/list", {"symbol": "BTCUSDT"})) is None  # empty: null (switch)
    assert ok(signed.get(f"{P}/order/detail", {"orderId": placed["orderId"]}))["status"] == "4"


def test_fills_and_fees(client: TestClient, signed: Signed, state: MockState) -> None:
    maker = state.exchange.create_account(balances={"BTC": Decimal(1)})
    m = Signed(client, maker.api_key, maker.secret, now_ms=state.clock.now_ms)
    sell = ok(
        m.post(
            f"{P}/order/place_order", {"side": 1, "type": 1, "volume": "0.05", "price": "64000", "symbol": "BTCUSDT"}
        )
    )
    buy = ok(
        signed.post(
            f"{P}/order/place_order", {"side": 2, "type": 1, "volume": "0.02", "price": "64500", "symbol": "BTCUSDT"}
        )
    )
    fills = ok(signed.post(f"{P}/order/deal/list", {"orderId": buy["orderId"], "symbol": "BTCUSDT"}))
    assert [(f["price"], f["volume"], f["fee"], f["feeCoin"], f["role"]) for f in fills] == [
        ("64000", "0.02", "0.00002", "BTC", "2")
    ]
    maker_fills = ok(m.post(f"{P}/order/deal/list", {"orderId": sell["orderId"], "symbol": "BTCUSDT"}))
    assert [(f["id"], f["fee"], f["feeCoin"], f["role"]) for f in maker_fills] == [
        (fills[0]["id"], "1.28", "USDT", "1")
    ]
    detail = ok(m.get(f"{P}/order/detail", {"orderId": sell["orderId"]}))
    assert (detail["status"], detail["dealVolume"], detail["leftVolume"], detail["progress"]) == (
        "3",
        "0.02",
        "0.03",
        "40",
    )
    assert state.exchange.balances("fees")["USDT"].free == Decimal("1.28")
    assert ok(signed.post(f"{P}/order/deal/list", {"orderId": "123", "symbol": "BTCUSDT"})) == []
    assert ok(signed.get(f"{P}/order/detail", {"orderId": sell["orderId"]})) is None  # not the demo's order


def test_pending_list_answers_the_newest_open_orders_up_to_its_cap_and_walks_no_further(
    signed: Signed, state: MockState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockserver.api.handlers import PENDING_LIST_CAP
    from mockserver.engine.orders import OrderStore

    ex, demo = state.exchange, "demo"
    ex.fund(demo, "USDT", Decimal(10_000_000))
    extra = 5
    placed = [
        ex.place(demo, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal(50_000 + i)))
        for i in range(PENDING_LIST_CAP + extra)
    ]
    ex.place(demo, PlaceRequest("ETHUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal(2_000)))  # other pair
    walked = 0
    newest_first = OrderStore.newest_first

    def counting(self: OrderStore, account_id: str) -> Iterator[Order]:
        nonlocal walked
        for order in newest_first(self, account_id):
            walked += 1
            yield order

    monkeypatch.setattr(OrderStore, "newest_first", counting)
    rows = ok(signed.post(f"{P}/order/pending/list", {"symbol": "BTCUSDT"}))
    assert len(rows) == PENDING_LIST_CAP == 1000
    assert [r["orderId"] for r in rows] == [o.order_id for o in reversed(placed)][:PENDING_LIST_CAP]
    assert walked == PENDING_LIST_CAP + 1, "the walk stops at the cap (+1: the other pair's newer order)"
    assert ex.open_orders(demo, "BTCUSDT") == list(reversed(placed)), "without a limit the engine lists them all"
