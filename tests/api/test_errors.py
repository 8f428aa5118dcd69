"""Every endpoint, every error code it documents: the real cause produces the exact code and msg.

Parametrized from the endpoint table, so a new endpoint or a new code is covered
(or fails for want of a cause) without editing this file's loops.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import ENDPOINTS, ERROR_TABLE, Endpoint, MockState

from ..helpers import Signed, auth_headers, sign_parts

# Codes no cause can produce, and why (none today: every documented code has a real cause).
NOT_YET_PRODUCIBLE: dict[str, str] = {}

TRON = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"

# A request each endpoint refuses with code 2, where the table's example cannot give one: the endpoints without a
# required parameter, and those whose refusal worth testing is a bad value rather than a missing one. Every other
# endpoint's is its example without its first required parameter (bad_params).
BAD_PARAMS: dict[str, dict[str, Any]] = {
    "depth": {"symbol": "BTCUSDT", "precision": "0"},
    "kline": {"symbol": "BTCUSDT", "interval": "2"},
    "kline_history": {"symbol": "NOPEUSDT"},
    "place_order": {"side": 3, "type": 1, "volume": "1", "price": "1", "symbol": "BTCUSDT"},
    "place_order_batch": {"orderList": []},
    "cancel": {"orderIdList": [{"orderId": "1"}]},
    "history_page": {"symbol": "BTCUSDT", "pageSize": 0},
    "withdraw_cancel": {"withdrawId": "404"},
    "inside_transfer": {"coin": "USDT", "amount": "1", "toType": "fax"},
    "withdraw_transfer_page": {"limit": 101},
    "funds_transfer": {"type": "spot_margin", "coin": "USDT", "amount": "1"},
    "deposit_page": {"type": "mined"},
    "deposit_address": {"coin": "USDT", "network": "LIGHTNING"},
}

#: What the examples' placeholders are filled with in these tests (no handler runs before the checks do).
IDS = {"order_id": "1", "resting_order_id": "1", "withdraw_id": "1", "transfer_id": "1", "uid": 1}


def bad_params(ep: Endpoint) -> dict[str, Any]:
    """A request ``ep`` refuses with code 2."""
    if ep.operation in BAD_PARAMS:
        return BAD_PARAMS[ep.operation]
    first = next(p.name for p in ep.params if p.required)
    return {k: v for k, v in ep.request(IDS).items() if k != first}


# Requests that pass validation but break a business rule the endpoint answers with an error code.
RULE_BREAKERS: dict[tuple[str, str], dict[str, Any]] = {
    ("place_order", "10058"): {"side": 2, "type": 1, "volume": "0.000001", "price": "60000", "symbol": "BTCUSDT"},
    ("place_order", "10059"): {"side": 2, "type": 1, "volume": "0.001", "price": "60000.001", "symbol": "BTCUSDT"},
    ("withdraw", "10034"): {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON, "amount": "100001"},
    ("withdraw", "110007"): {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON, "amount": "0.5"},
    ("withdraw", "110008"): {"coin": "USDT", "network": "Tron (TRC-20)", "address": "T" + "b" * 33, "amount": "20"},
    ("inside_transfer", "10034"): {"coin": "BTC", "amount": "3", "toType": "uid", "toUid": -1},
    ("funds_transfer", "10034"): {"type": "futures_spot", "coin": "USDT", "amount": "100001"},  # demo holds 100000
}


def _fingerprint(state: MockState) -> tuple[Any, ...]:
    ex = state.exchange
    balances = tuple(
        (acct, coin, b.free, b.locked)
        for acct in sorted(ex.accounts)
        for coin, b in sorted(ex._ledger.balances_of(acct).items())
    )
    return balances, len(ex.orders), len(state.wallet.export_state().records)


class Caller:
    """Sends an endpoint's request through a signer whose parts a cause can bend."""

    def __init__(self, client: TestClient, state: MockState) -> None:
        self.client = client
        self.state = state

    def send(
        self,
        ep: Endpoint,
        params: dict[str, Any],
        *,
        key: str | None = None,
        secret: str | None = None,
        bend: Callable[[dict[str, str]], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        demo = self.state.demo
        assert demo is not None
        signer = Signed(self.client, key or demo.api_key, secret or demo.secret, now_ms=self.state.clock.now_ms)
        if not ep.auth:
            return self.client.request(ep.method, ep.path, params=params)
        if headers is None:
            if ep.method == "GET":
                query = "".join(k + str(v) for k, v in sorted(params.items()))
                headers = signer.headers(query=query)
            else:
                import json

                body = json.dumps(params, separators=(",", ":")).encode()
                headers = signer.headers(body=body)
        if bend is not None:
            bend(headers)
        if ep.method == "GET":
            return self.client.get(ep.path, params=params, headers=headers)
        import json

        return self.client.post(ep.path, content=json.dumps(params, separators=(",", ":")).encode(), headers=headers)


def _valid(ep: Endpoint, state: MockState) -> dict[str, Any]:
    return ep.request(IDS)


CASES = [
    pytest.param(ep, code, id=f"{ep.operation}-{code}")
    for ep in ENDPOINTS
    for code in ep.all_errors
    if code not in NOT_YET_PRODUCIBLE
]


def test_every_table_code_is_known() -> None:
    for ep in ENDPOINTS:
        assert set(ep.all_errors) <= set(ERROR_TABLE), ep.operation


@pytest.mark.parametrize(("ep", "code"), CASES)
def test_cause_gives_exact_code_and_msg(ep: Endpoint, code: str, client: TestClient, state: MockState) -> None:
    caller = Caller(client, state)
    params = _valid(ep, state)
    kwargs: dict[str, Any] = {}
    if code == "100004":
        kwargs["bend"] = lambda h: h.pop("api-key")
    elif code == "900002":
        state.set_profile("strict")  # nonce length is a refusal only in the doc-pedantic profile
        kwargs["bend"] = lambda h: h.update(nonce=h["nonce"][:31])
    elif code == "100008":
        kwargs["bend"] = lambda h: h.update(timestamp=str(state.clock.now_ms() - 61_000))
    elif code == "100005":
        kwargs["bend"] = lambda h: h.update(sign=h["sign"][::-1])
    elif code == "900001":
        first = caller.send(ep, params)
        assert first.json()["code"] != "900001"
        nonce = first.request.headers["nonce"]
        query = "".join(k + str(v) for k, v in sorted(params.items())) if ep.method == "GET" else ""
        body = first.request.content
        demo = state.demo
        assert demo is not None
        ts = str(state.clock.now_ms())
        kwargs["headers"] = {
            "api-key": demo.api_key,
            "nonce": nonce,
            "timestamp": ts,
            "sign": sign_parts(nonce, ts, demo.api_key, demo.secret, query, body),
            "content-type": "application/json",
        }
    elif code == "100011":
        acct = state.exchange.create_account(ip_whitelist=["203.0.113.7"], balances={"USDT": Decimal(10)})
        kwargs.update(key=acct.api_key, secret=acct.secret)
    elif code == "110033":
        acct = state.exchange.create_account(permissions=set(), balances={"USDT": Decimal(10)})
        kwargs.update(key=acct.api_key, secret=acct.secret)
    elif code == "110041":
        state.rate_limiter.enabled = True
        state.rate_limiter.overrides[ep.operation] = 1
        state.clock.freeze()  # both requests in one window, however slow the machine
        assert caller.send(ep, params).json()["code"] != "110041"
    elif code == "2":
        params = bad_params(ep)
    else:
        params = dict(RULE_BREAKERS[(ep.operation, code)])
        if params.get("toUid") == -1:
            params["toUid"] = state.exchange.create_account().uid
    before = _fingerprint(state)
    nonces_before = len(state.verifier.nonces)
    resp = caller.send(ep, params, **kwargs)
    info = ERROR_TABLE[code]
    assert resp.status_code == info.http_status
    assert resp.json() == {"code": code, "msg": info.msg, "data": None, "success": False}
    assert _fingerprint(state) == before, "a rejected request changed the exchange"
    if code in ("100004", "900002", "100008", "100005", "900001"):
        assert len(state.verifier.nonces) == nonces_before, "a refused request used up a nonce"


def test_unknown_api_key_is_100004(client: TestClient, state: MockState) -> None:
    s = Signed(client, "no-such-key-000000000000000000000", "whatever", now_ms=state.clock.now_ms)
    assert s.get("/api/spot/v1/user/account").json() == {
        "code": "100004",
        "msg": "app-key not found",
        "data": None,
        "success": False,
    }


def test_window_edges_with_a_frozen_clock(client: TestClient, state: MockState) -> None:
    now = state.clock.freeze()
    demo = state.demo
    assert demo is not None
    # The default (live) profile: 60 s behind is the edge; ahead is open (a warning past 60 s).
    edges = [(-60_000, "0"), (-60_001, "100008"), (60_000, "0"), (60_001, "0"), (10**9, "0")]
    for profile, cases in [("live", edges), ("strict", [(60_000, "0"), (60_001, "100008")])]:
        state.set_profile(profile)
        for offset, expected in cases:
            headers = auth_headers(demo.api_key, demo.secret, str(now + offset))
            assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == expected, (profile, offset)


def test_placement_refusals_answer_success_with_place_code(client: TestClient, state: MockState) -> None:
    s = Signed(client, now_ms=state.clock.now_ms)
    before = _fingerprint(state)
    cases = [
        ({"side": 2, "type": 1, "volume": "2", "price": "64000", "symbol": "BTCUSDT"}, "10034", "余额不足"),
        (
            {"side": 2, "type": 1, "volume": "0.00001", "price": "64000", "symbol": "BTCUSDT"},
            "910001",
            "volume below minVolume",
        ),
        (
            {"side": 2, "type": 1, "volume": "0.00007", "price": "64000", "symbol": "BTCUSDT"},
            "910002",
            "amount below minPrice",
        ),
        (
            {"side": 2, "type": 1, "volume": "0.001", "price": "12000", "symbol": "BTCUSDT"},
            "910005",
            "price outside the allowed range",
        ),
        (
            {"side": 1, "type": 1, "volume": "0.001", "price": "3264001", "symbol": "BTCUSDT"},
            "910005",
            "price outside the allowed range",
        ),
        (
            {"side": 2, "type": 1, "volume": "20", "price": "64000", "symbol": "BTCUSDT"},
            "910003",
            "amount above maxAmount",
        ),
        ({"side": 2, "type": 2, "volume": "4", "symbol": "BTCUSDT"}, "910002", "amount below minPrice"),
        ({"side": 1, "type": 1, "volume": "100", "price": "0.2", "symbol": "TRXUSDT"}, "910004", "trading pair closed"),
    ]
    for body, place_code, place_msg in cases:
        doc = s.post("/api/spot/v1/order/place_order", body).json()
        assert doc == {
            "code": "0",
            "msg": "result.success",
            "data": {"orderId": None, "placeStatus": 0, "placeCode": place_code, "placeMsg": place_msg},
            "success": True,
        }, body
    assert _fingerprint(state) == before


def test_unknown_path_and_wrong_method(client: TestClient) -> None:
    missing = client.get("/api/spot/v1/market/ticker")
    assert missing.status_code == 404
    assert missing.json() == {"code": "404", "msg": "Not Found", "data": None, "success": False}
    wrong = client.post("/api/spot/v1/market/last_price", content=b"{}")
    assert wrong.status_code == 405
    assert wrong.json() == {"code": "405", "msg": "Method Not Allowed", "data": None, "success": False}


def test_diagnosis_header_is_opt_in(client: TestClient) -> None:
    plain = client.get("/api/spot/v1/market/depth", params={"symbol": "BTCUSDT", "precision": "0"})
    assert "x-mock-diagnosis" not in plain.headers
    asked = client.get(
        "/api/spot/v1/market/depth", params={"symbol": "BTCUSDT", "precision": "0"}, headers={"x-mock-diagnose": "1"}
    )
    assert asked.json()["code"] == "2"
    assert asked.headers["x-mock-diagnosis"] == "precision must be greater than 0"
