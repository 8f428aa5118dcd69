"""Admin bodies are checked against their schema before anything changes: exact 400s, state untouched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, MockState
from mockserver.control.controller import Controller

from ..helpers import Signed, admin_call, err, ok

SPOT = "/api/spot/v1"
BUY_LOW = {"side": 2, "type": 1, "volume": "0.001", "price": "50000", "symbol": "BTCUSDT"}


admin = admin_call


def view(client: TestClient) -> Any:
    """Everything a refused admin call must leave as it was."""
    snap = admin(client, "GET", "/snapshot")
    del snap["clock"]
    return [snap, admin(client, "GET", "/faults"), admin(client, "GET", "/clock")["offset_ms"]]


REFUSED = [
    # faults
    ("POST", "/faults", {"action": "status", "status": 503, "path": 5}, "path: expected a string"),
    ("POST", "/faults", {"action": "latency", "latency_ms": 1e9}, "latency_ms: expected an integer"),
    ("POST", "/faults", {"action": "latency", "latency_ms": 60_001}, "latency_ms: must be <= 60000"),
    ("POST", "/faults", {"action": "latency", "latency_ms": True}, "latency_ms: expected an integer"),
    ("POST", "/faults", {"action": "status", "status": 1000}, "status: must be <= 599"),
    ("POST", "/faults", {"action": "status", "status": 101}, "status: must be >= 200"),
    (
        "POST",
        "/faults",
        {"action": "status", "status": 429, "retry_after": "1\r\nx: y"},
        "retry_after: expected an integer",
    ),
    ("POST", "/faults", {"action": "status", "status": 429, "retry_after": 86_401}, "retry_after: must be <= 86400"),
    ("POST", "/faults", {"action": "status", "status": 503, "body": 5}, "body: expected a string"),
    (
        "POST",
        "/faults",
        {"action": "error", "code": "500", "msg": "a\r\nb"},
        "msg: no control characters (CR, LF, ...)",
    ),
    ("POST", "/faults", {"action": "error", "code": "5" * 17}, "code: at most 16 characters"),
    ("POST", "/faults", {"action": "error", "code": "777"}, "msg: code '777' is not in the error table: give its msg"),
    ("POST", "/faults", {"action": "drop", "probability": 1.5}, "probability: must be between 0 and 1"),
    ("POST", "/faults", {"action": "drop", "probability": "0.5"}, "probability: expected a number between 0 and 1"),
    ("POST", "/faults", {"action": "drop", "nth": 0}, "nth: must be >= 1"),
    ("POST", "/faults", {"action": "drop", "times": 1_000_001}, "times: must be <= 1000000"),
    ("POST", "/faults", {"action": "drop", "path": "x" * 257}, "path: at most 256 characters"),
    ("POST", "/faults", {"action": "drop", "method": "GET POST"}, "method: an HTTP method is 1-16 letters"),
    ("POST", "/faults", {"action": "drop", "matched": 3}, "matched: unknown field"),
    # accounts
    ("POST", "/accounts", {"balances": {"USDT": "1", "BTC": "-1"}}, "balances.BTC: must not be negative"),
    ("POST", "/accounts", {"balances": {"USDT": "1", "usdt": "2"}}, "balances: USDT given twice"),
    (
        "POST",
        "/accounts",
        {"balances": {"USDT": "1", "BTC": "1e999999"}},
        "balances.BTC: not a plain decimal: '1e999999'",
    ),
    (
        "POST",
        "/accounts",
        {"balances": {"USDT": "0.1234567890123456789"}},
        "balances.USDT: more than 18 decimal places",
    ),
    ("POST", "/accounts", {"balances": {"USDT": "1", "NOPE": "1"}}, "balances.NOPE: unknown coin 'NOPE'"),
    ("POST", "/accounts", {"balances": {f"C{i}": "1" for i in range(101)}}, "balances: at most 100 items"),
    ("POST", "/accounts", {"api_key": "has space"}, "api_key: printable ASCII without whitespace only"),
    ("POST", "/accounts", {"api_key": "k" * 257}, "api_key: at most 256 characters"),
    ("POST", "/accounts", {"secret": 12}, "secret: expected a string"),
    ("POST", "/accounts", {"label": "x" * 129}, "label: at most 128 characters"),
    ("POST", "/accounts", {"permissions": "read"}, "permissions: expected a list"),
    (
        "POST",
        "/accounts",
        {"permissions": [["read"]]},
        "permissions.0: unknown permission \"['read']\"; known: read, trade, transfer, withdraw",
    ),
    ("POST", "/accounts", {"ip_whitelist": ["10.0.0.300"]}, "ip_whitelist.0: not an IP address: '10.0.0.300'"),
    # funding, prices, books
    ("POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "USDT", "amount": "1", "x": 1}, "x: unknown field"),
    ("POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "USDT"}, "amount: required"),
    (
        "POST",
        f"/accounts/{DEMO_API_KEY}/fund",
        {"coin": "USDT", "amount": "1" * 21},
        "amount: more than 20 integer digits",
    ),
    (
        "POST",
        f"/accounts/{DEMO_API_KEY}/fund",
        {"coin": "US DT", "amount": "1"},
        "coin: a coin is 1-16 letters or digits",
    ),
    ("POST", "/markets/BTCUSDT/price", {"price": "0"}, "price: must be greater than 0"),
    ("POST", "/markets/BTCUSDT/price", {"price": "-5"}, "price: must not be negative"),
    ("POST", "/markets/BTCUSDT/book", {"bids": [["100", "1", "2"]]}, "bids.0: a level is [price, volume]"),
    ("POST", "/markets/BTCUSDT/book", {"asks": [["60000", "0.1"]] * 1001}, "asks: at most 1000 items"),
    # clock, counterparty, limits, profile, reset
    ("POST", "/clock", {"at_ms": -1}, "at_ms: must be >= 0"),
    ("POST", "/clock", {"at_ms": 4_102_444_800_001}, "at_ms: must be <= 4102444800000"),
    ("POST", "/clock", {"advance_ms": 10**13}, "advance_ms: must be <= 3162240000000"),
    ("POST", "/clock", {"offset_ms": 3_000_000_000_000}, "offset_ms: the clock would leave 1970..2100"),
    ("POST", "/clock", {"freeze": 1}, "freeze: expected true or false"),
    ("POST", "/counterparty", {"api_key": DEMO_API_KEY, "fraction": "1.5"}, "fraction: must be in (0, 1]"),
    ("POST", "/counterparty", {"api_key": DEMO_API_KEY, "after_polls": 0}, "after_polls: must be >= 1"),
    ("POST", "/counterparty", {"api_key": DEMO_API_KEY, "order_id": 5}, "order_id: expected a string"),
    ("POST", "/rate-limits", {"per_second": {"last_price": 0}}, "per_second.last_price: must be >= 1"),
    ("POST", "/rate-limits", {"enabled": "yes"}, "enabled: expected true or false"),
    ("POST", "/profile", {"name": "lax"}, "name: unknown profile 'lax'; known: live, observed, strict, docs"),
    ("POST", "/reset", {"seed": 2**64}, "seed: must be <= 9223372036854775807"),
    ("POST", "/reset", {"seed": 1, "keep": True}, "keep: unknown field"),
    # the body itself
    ("POST", "/faults", b"[1, 2]", "body: must be a JSON object"),
    ("POST", "/faults", b'{"action": NaN}', "body: NaN is not valid JSON"),
    ("POST", "/faults", b"{", "body: not valid JSON"),
    (
        "POST",
        "/faults",
        b'{"nth": 1' + b"0" * 50 + b"}",
        "body: a JSON integer has more than 40 digits (51 characters)",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "error"), REFUSED, ids=[r[3] for r in REFUSED])
def test_bad_admin_bodies_are_refused_naming_field_and_rule(
    client: TestClient, method: str, path: str, body: Any, error: str
) -> None:
    admin(client, "POST", "/clock", {"freeze": True})
    before = view(client)
    assert admin(client, method, path, body, status=400) == {"error": error}
    assert view(client) == before


def test_oversized_admin_bodies_get_413(client: TestClient) -> None:
    before = view(client)
    big = json.dumps({"action": "drop", "id": "x", "body": "y" * (70 * 1024)})
    assert admin(client, "POST", "/faults", big, status=413) == {"error": "body: over 65536 bytes"}
    assert admin(client, "POST", "/restore", b" " * (32 * 1024 * 1024 + 1), status=413) == {
        "error": "body: over 33554432 bytes"
    }
    assert view(client) == before


def test_a_non_string_fault_path_no_longer_breaks_exchange_requests(client: TestClient, signed: Signed) -> None:
    admin(client, "POST", "/faults", {"action": "status", "status": 503, "path": 5}, status=400)
    assert admin(client, "GET", "/faults") == []
    assert ok(signed.get(SPOT + "/user/account"))


def test_valid_faults_still_work_with_exact_numbers(client: TestClient, signed: Signed) -> None:
    rule = admin(client, "POST", "/faults", {"action": "error", "code": "500", "probability": 0.5, "times": 1})
    assert rule["probability"] == 0.5
    admin(client, "DELETE", "/faults", status=204)
    admin(client, "POST", "/faults", {"action": "status", "status": 429, "retry_after": 0, "body": "slow down"})
    resp = signed.get(SPOT + "/user/account")
    assert (resp.status_code, resp.headers["retry-after"], resp.text) == (429, "0", "slow down")


def test_account_creation_is_all_or_nothing(client: TestClient, state: MockState) -> None:
    before = view(client)
    accounts = admin(client, "GET", "/accounts")
    # The engine refuses half-way (after the first coin is funded): nothing of the account remains.
    ex = state.exchange
    real_fund = ex.fund
    calls = []

    def failing_fund(account_id: str, coin: str, amount: Any) -> Any:
        calls.append(coin)
        if len(calls) == 2:
            raise ValueError("engine refused the second coin")
        return real_fund(account_id, coin, amount)

    ex.fund = failing_fund  # type: ignore[method-assign]
    try:
        refused = admin(client, "POST", "/accounts", {"api_key": "half", "balances": {"USDT": "5", "BTC": "1"}}, 400)
    finally:
        ex.fund = real_fund  # type: ignore[method-assign]
    assert refused == {"error": "engine refused the second coin"}
    assert calls == ["USDT", "BTC"]
    assert admin(client, "GET", "/accounts") == accounts
    assert admin(client, "GET", "/accounts/half", status=404) == {"error": "no account with api-key 'half'"}
    assert view(client) == before
    assert admin(client, "GET", "/audit")["conserved"] is True
    made = admin(client, "POST", "/accounts", {"api_key": "half", "balances": {"USDT": "5"}})
    assert made["account_id"] == "acct-1", "no account id was spent by the refused call"


def test_deleted_account_is_freed_and_unknown_to_transfers(client: TestClient, state: MockState) -> None:
    gone = admin(client, "POST", "/accounts", {"balances": {"USDT": "1000"}})
    g = Signed(client, gone["api_key"], gone["secret"], now_ms=state.clock.now_ms)
    assert ok(g.post(SPOT + "/order/place_order", BUY_LOW))["placeStatus"] == "1"
    s = Signed(client, now_ms=state.clock.now_ms)

    def transfer(uid: int) -> Any:
        body = {"coin": "USDT", "amount": "1", "toType": "uid", "toUid": uid}
        return s.post(SPOT + "/inside_transfer", body)

    unknown = err(transfer(1))
    admin(client, "DELETE", f"/accounts/{gone['api_key']}", status=204)
    assert err(transfer(gone["uid"])) == unknown
    assert gone["account_id"] not in state.exchange.accounts
    assert not state.exchange.orders_of(gone["account_id"])
    assert all(o.account_id != gone["account_id"] for o in state.exchange.orders.values())
    assert gone["account_id"] not in list(state.exchange._ledger.accounts())
    assert admin(client, "GET", "/markets/BTCUSDT/book") == {"bids": [], "asks": []}
    assert admin(client, "GET", "/audit")["conserved"] is True
    assert admin(client, "GET", "/status")["orders"] == 0


def test_nonces_survive_a_per_key_reset(client: TestClient, state: MockState, signed: Signed) -> None:
    headers = signed.headers()
    assert ok(client.get(SPOT + "/user/account", headers=headers))
    admin(client, "POST", f"/accounts/{DEMO_API_KEY}/reset")
    assert err(client.get(SPOT + "/user/account", headers=headers)) == ("900001", "nonce already used")


def test_controller_validates_in_process_too(state: MockState) -> None:
    from mockserver.control.controller import AdminError

    ctl = Controller(state)
    with pytest.raises(AdminError) as info:
        ctl.add_fault({"action": "status", "status": 503, "path": 5})
    assert (info.value.status, info.value.message) == (400, "path: expected a string")
    with pytest.raises(AdminError) as info:
        ctl.fund(DEMO_API_KEY, "USDT", float("nan"))
    assert info.value.message == "amount: expected a decimal string (a float is not exact)"
    with pytest.raises(AdminError) as info:  # over HTTP such a body is already over the 64 KiB admin limit
        ctl.add_fault({"action": "status", "status": 503, "body": "é" * 40_000})
    assert info.value.message == "body: at most 65536 bytes"
    assert ctl.faults() == []


def test_admin_openapi_request_schemas_come_from_the_models(client: TestClient) -> None:
    doc = client.get("/_mock/openapi.json").json()
    faults = doc["paths"]["/_mock/faults"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert faults["additionalProperties"] is False
    assert faults["properties"]["latency_ms"] == {
        "default": 0,
        "maximum": 60000,
        "minimum": 0,
        "title": "Latency Ms",
        "type": "integer",
    }
    assert faults["required"] == ["action"]
    restore = doc["paths"]["/_mock/restore"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert restore["properties"]["version"] == {"const": 3, "title": "Version", "type": "integer"}
    assert "SnapOrder" in doc["components"]["schemas"]
