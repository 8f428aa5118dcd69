"""Answers as the live exchange gives them (shared/research/mock-vs-evidence.md), and warnings for doc rules."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from mockserver import MockState
from mockserver.api.endpoints import ENDPOINTS

from ..helpers import Signed, err, ok, sign_parts
from .test_endpoints import (
    REFUSED_SAMPLES,
    busy,  # noqa: F401  (the fixture, reused)
    samples,
)

P = "/api/spot/v1"
PARAM = ("2", "Parameter error")


class Base64NonceClient:
    """A client shaped like a widely used PyPI Bitunix client: 44-character base64 nonces, compact sorted JSON."""

    def __init__(self, client: TestClient, key: str, secret: str, now_ms: Any) -> None:
        self.client, self.key, self.secret, self.now_ms = client, key, secret, now_ms
        self.nonces: list[str] = []

    def _headers(self, query: str, body: bytes) -> dict[str, str]:
        nonce = base64.b64encode(os.urandom(32)).decode()
        assert len(nonce) == 44
        self.nonces.append(nonce)
        ts = str(self.now_ms())
        sign = sign_parts(nonce, ts, self.key, self.secret, query, body)
        return {"api-key": self.key, "nonce": nonce, "timestamp": ts, "sign": sign, "content-type": "application/json"}

    def send(self, method: str, path: str, params: dict[str, Any]) -> Any:
        if method == "GET":
            query = "".join(k + str(v) for k, v in sorted(params.items()))
            url = path + ("?" + urlencode(params) if params else "")
            return self.client.get(url, headers=self._headers(query, b""))
        body = json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
        return self.client.post(path, content=body, headers=self._headers("", body))


def test_a_base64_nonce_client_works_for_every_operation_with_warnings(
    client: TestClient,
    signed: Signed,
    state: MockState,
    busy: dict[str, Any],  # noqa: F811
) -> None:
    demo = state.demo
    assert demo is not None
    other = Base64NonceClient(client, demo.api_key, demo.secret, state.clock.now_ms)
    cases = samples(busy)
    for ep in ENDPOINTS:
        if not ep.auth:
            continue
        resp = other.send(ep.method, ep.path, cases[ep.operation])
        doc = resp.json()
        entry = list(state.journal)[-1]
        # A sample the exchange refuses on its parameters still proves the signature and nonce passed.
        expected = ("2", "ParameterError") if ep.operation in REFUSED_SAMPLES else ("0", "accepted")
        assert (doc["code"], entry.verdict) == expected, (ep.operation, doc, entry.detail)
        assert entry.operation == ep.operation
        rules = [w["rule"] for w in entry.extra["warnings"]]
        assert "nonce-length" in rules, (ep.operation, rules)
        nonce_warning = next(w for w in entry.extra["warnings"] if w["rule"] == "nonce-length")
        assert nonce_warning["detail"] == "nonce is 44 characters; the docs ask 32"


def test_strict_refuses_what_live_accepts(make_client: Any) -> None:
    client, state = make_client(liquidity=False, profile="strict")
    demo = state.demo
    other = Base64NonceClient(client, demo.api_key, demo.secret, state.clock.now_ms)
    assert err(other.send("GET", P + "/user/account", {})) == ("900002", "nonce invalid")


def test_warnings_reach_the_journal_and_the_opt_in_header(signed: Signed, state: MockState) -> None:
    state.clock.freeze()
    body = b'{"side": "2", "type": 1, "volume": 0.001, "price": "60000", "symbol": "BTCUSDT"}'
    ahead = str(state.clock.now_ms() + 90_000)
    headers = signed.headers(body=body, timestamp=ahead, **{"x-mock-diagnose": "1"})
    del headers["content-type"]
    resp = signed.client.post(P + "/order/place_order", content=body, headers=headers)
    assert ok(resp)["placeStatus"] == "1"  # accepted, as live accepts it
    rules = [w["rule"] for w in list(state.journal)[-1].extra["warnings"]]
    assert rules == ["timestamp-ahead", "string-for-number", "number-for-string", "body-not-compact", "content-type"]
    header = resp.headers["x-mock-warnings"]
    assert header.startswith("timestamp-ahead: timestamp 90000 ms ahead of server time; the docs allow 60000; ")
    assert "string-for-number: side sent as a JSON string; the docs declare a number" in header
    assert "number-for-string: volume sent as a JSON number; the docs declare a string" in header
    assert "content-type: Content-Type missing; the docs ask application/json" in header
    plain = signed.post(P + "/order/place_order", body)  # no opt-in: the reply carries no warning header
    assert "x-mock-warnings" not in plain.headers and ok(plain)["placeStatus"] == "1"


def test_a_clean_request_has_no_warnings(signed: Signed, state: MockState) -> None:
    ok(
        signed.post(
            P + "/order/place_order", {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}
        )
    )
    assert "warnings" not in list(state.journal)[-1].extra


# --------------------------------------------------------------- cancel by clientId


def _resting(signed: Signed, client_id: str = "HBOT-abc123") -> str:
    body = {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT", "clientId": client_id}
    order_id: str = ok(signed.post(P + "/order/place_order", body))["orderId"]
    return order_id


def _status(signed: Signed, order_id: str) -> str:
    status: str = ok(signed.get(P + "/order/detail", {"orderId": order_id}))["status"]
    return status


def test_cancel_by_client_id_succeeds_cancels_nothing_and_stalls_the_order(signed: Signed, state: MockState) -> None:
    state.clock.freeze()
    order_id = _resting(signed)
    by_client = {"orderIdList": [{"clientId": "HBOT-abc123", "symbol": "BTCUSDT"}]}
    assert ok(signed.post(P + "/order/cancel", by_client)) is None
    assert _status(signed, order_id) == "1"
    by_id = {"orderIdList": [{"orderId": order_id, "symbol": "BTCUSDT"}]}
    assert ok(signed.post(P + "/order/cancel", by_id)) is None  # success, but the order is stuck ...
    assert _status(signed, order_id) == "1"
    state.clock.advance(60_000)  # ... for about 60 s of mock time
    assert ok(signed.post(P + "/order/cancel", by_id)) is None
    assert _status(signed, order_id) == "4"


@pytest.mark.parametrize(("mode", "after"), [("noop", "4"), ("refuse", None)])
def test_cancel_by_client_id_switch(make_client: Any, mode: str, after: str | None) -> None:
    client, state = make_client(liquidity=False, switches={"cancel_by_client_id": mode})
    signed = Signed(client, now_ms=state.clock.now_ms)
    order_id = _resting(signed)
    by_client = {"orderIdList": [{"clientId": "HBOT-abc123", "symbol": "BTCUSDT"}]}
    if after is None:
        assert err(signed.post(P + "/order/cancel", by_client)) == PARAM
        return
    assert ok(signed.post(P + "/order/cancel", by_client)) is None
    ok(signed.post(P + "/order/cancel", {"orderIdList": [{"orderId": order_id, "symbol": "BTCUSDT"}]}))
    assert _status(signed, order_id) == after


def test_a_cancel_item_naming_neither_id_is_refused(signed: Signed) -> None:
    assert err(signed.post(P + "/order/cancel", {"orderIdList": [{"symbol": "BTCUSDT"}]})) == PARAM


# ---------------------------------------------------------------------- price band


def test_the_price_band_follows_the_last_price(client: TestClient, signed: Signed, state: MockState) -> None:
    refused = {"orderId": None, "placeStatus": 0, "placeCode": "910005", "placeMsg": "price outside the allowed range"}
    low = {"side": 2, "type": 1, "volume": "0.001", "price": "12799.99", "symbol": "BTCUSDT"}
    assert ok(signed.post(P + "/order/place_order", low)) == refused  # below 64000 x (1 - 0.8)
    assert ok(signed.post(P + "/order/place_order", {**low, "price": "12800"}))["placeStatus"] == "1"
    client.post("/_mock/markets/BTCUSDT/price", json={"price": "70000"})
    assert ok(signed.post(P + "/order/place_order", {**low, "price": "13999"})) == refused  # 70000 x 0.2 = 14000
    sell = {"side": 1, "type": 1, "volume": "0.001", "price": "3570001", "symbol": "BTCUSDT"}
    assert ok(signed.post(P + "/order/place_order", sell)) == refused  # above 70000 x 51


@pytest.mark.parametrize(("mode", "expected"), [("error", PARAM), ("off", None)])
def test_the_price_band_refusal_shape_is_a_switch(make_client: Any, mode: str, expected: Any) -> None:
    client, state = make_client(liquidity=False, switches={"price_band": mode})
    signed = Signed(client, now_ms=state.clock.now_ms)
    resp = signed.post(
        P + "/order/place_order", {"side": 2, "type": 1, "volume": "0.001", "price": "6400", "symbol": "BTCUSDT"}
    )
    if expected is None:
        assert ok(resp)["placeStatus"] == "1"
    else:
        assert err(resp) == expected


# ----------------------------------------------------------------------- batches


def test_batch_items_get_their_own_results(signed: Signed, state: MockState) -> None:
    good = {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}
    items = [
        good,
        {**good, "symbol": "NOPEUSDT"},
        {**good, "volume": "0.0000001"},
        {**good, "price": "60000.001"},
        {**good, "volume": "5"},
        {**good, "side": 7},
    ]
    out = ok(signed.post(P + "/order/place_order/batch", {"orderList": items}))
    assert out[0]["placeStatus"] == "1"
    assert out[1:] == [
        {"orderId": None, "placeStatus": 0, "placeCode": "2", "placeMsg": "Parameter error"},
        {"orderId": None, "placeStatus": 0, "placeCode": "10058", "placeMsg": "Volume precision error"},
        {"orderId": None, "placeStatus": 0, "placeCode": "10059", "placeMsg": "Price precision error"},
        {"orderId": None, "placeStatus": 0, "placeCode": "10034", "placeMsg": "余额不足"},
        {"orderId": None, "placeStatus": 0, "placeCode": "2", "placeMsg": "Parameter error"},
    ]
    assert len(state.exchange.open_orders("demo", "BTCUSDT")) == 1


def test_batch_cap_is_a_switch(make_client: Any) -> None:
    good = {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}
    client, state = make_client(liquidity=False)
    signed = Signed(client, now_ms=state.clock.now_ms)
    assert err(signed.post(P + "/order/place_order/batch", {"orderList": [good] * 21})) == PARAM
    assert list(state.journal)[-1].detail == "orderList: at most 20 elements (switch batch_cap)"
    assert len(ok(signed.post(P + "/order/place_order/batch", {"orderList": [good] * 20}))) == 20
    client.post("/_mock/switches", json={"batch_cap": "off"})
    assert len(ok(signed.post(P + "/order/place_order/batch", {"orderList": [good] * 21}))) == 21


# ------------------------------------------------------------------- order lists


@pytest.mark.parametrize(("mode", "expected_size"), [("clamp", 100), ("off", 500)])
def test_large_page_sizes_are_clamped_by_default(make_client: Any, mode: str, expected_size: int) -> None:
    client, state = make_client(liquidity=False, switches={"page_size_cap": mode})
    signed = Signed(client, now_ms=state.clock.now_ms)
    page = ok(signed.post(P + "/order/history/page", {"symbol": "BTCUSDT", "pageSize": 500}))
    assert page == {"total": 0, "pageNum": 1, "pageSize": expected_size, "data": None}


def test_large_page_sizes_can_be_refused(make_client: Any) -> None:
    client, state = make_client(liquidity=False, switches={"page_size_cap": "refuse"})
    signed = Signed(client, now_ms=state.clock.now_ms)
    assert err(signed.post(P + "/order/history/page", {"symbol": "BTCUSDT", "pageSize": 101})) == PARAM


def test_empty_lists_are_null_or_empty_arrays(make_client: Any) -> None:
    client, state = make_client(liquidity=False)
    signed = Signed(client, now_ms=state.clock.now_ms)
    assert ok(signed.post(P + "/order/pending/list", {"symbol": "BTCUSDT"})) is None
    client.post("/_mock/switches", json={"empty_lists": "[]"})
    assert ok(signed.post(P + "/order/pending/list", {"symbol": "BTCUSDT"})) == []
    assert ok(signed.post(P + "/order/history/page", {"symbol": "BTCUSDT"}))["data"] == []


# ------------------------------------------------------------------- market data


def test_depth_shows_50_levels_a_side_and_any_positive_step(make_client: Any) -> None:
    client, _ = make_client(liquidity=True)
    book = ok(client.get(P + "/market/depth", params={"symbol": "BTCUSDT"}))
    assert (len(book["asks"]), len(book["bids"])) == (50, 50)
    coarse = ok(client.get(P + "/market/depth", params={"symbol": "BTCUSDT", "precision": "5"}))
    assert all(Decimal(level["price"]) % 5 == 0 for level in coarse["asks"] + coarse["bids"])


def test_kline_rows_carry_the_symbol_and_msg_success(client: TestClient) -> None:
    for path, params in [
        (P + "/market/kline", {"symbol": "btcusdt", "interval": "60"}),
        (P + "/market/kline/history", {"symbol": "BTCUSDT", "interval": "60", "limit": "3"}),
    ]:
        doc = client.get(path, params=params).json()
        assert (doc["code"], doc["msg"]) == ("0", "Success")
        assert {row["symbol"] for row in doc["data"]} == {"BTCUSDT"}


def test_a_json_number_price_is_echoed_without_an_exponent(signed: Signed) -> None:
    raw = b'{"side":2,"type":1,"volume":"0.001","price":6.4E+4,"symbol":"BTCUSDT"}'
    assert ok(signed.post(P + "/order/place_order", raw))["price"] == "64000"


# ---------------------------------------------------------------------- switches


def test_switches_are_listed_and_validated(client: TestClient) -> None:
    listed = client.get("/_mock/switches").json()
    assert listed["price_band"] == "placecode" and listed["empty_lists"] == "null"
    bad = client.post("/_mock/switches", json={"price_band": "sometimes"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "switch price_band is one of placecode, error, off, not 'sometimes'"},
    )
    unknown = client.post("/_mock/switches", json={"nope": "1"})
    assert unknown.status_code == 400 and unknown.json()["error"].startswith("unknown switch 'nope'")
    assert client.get("/_mock/switches").json() == listed


def test_run_time_switches_end_with_a_whole_reset(client: TestClient) -> None:
    client.post("/_mock/switches", json={"empty_lists": "[]"})
    assert client.get("/_mock/switches").json()["empty_lists"] == "[]"
    client.post("/_mock/reset", json={})
    assert client.get("/_mock/switches").json()["empty_lists"] == "null"


def test_the_cli_refuses_an_unknown_switch() -> None:
    from mockserver.cli import main

    assert main(["--switch", "price_band=maybe", "--port", "0"]) == 2


def test_sign_parts_is_the_live_scheme() -> None:
    # The signer the fidelity tests use is the exchange's (guards the tests themselves).
    digest = hashlib.sha256(b"n" + b"1" + b"k" + b"q" + b"{}").hexdigest()
    assert sign_parts("n", "1", "k", "s", "q", b"{}") == hashlib.sha256((digest + "s").encode()).hexdigest()


def test_the_price_precision_code_is_a_switch(make_client: Any) -> None:
    body = {"side": 2, "type": 1, "volume": "0.001", "price": "60000.001", "symbol": "BTCUSDT"}
    client, state = make_client(liquidity=False)
    signed = Signed(client, now_ms=state.clock.now_ms)
    assert err(signed.post(P + "/order/place_order", body)) == ("10059", "Price precision error")
    client.post("/_mock/switches", json={"price_precision": "2"})
    assert err(signed.post(P + "/order/place_order", body)) == PARAM
    assert list(state.journal)[-1].detail == "price has more than 2 decimals"
