"""The control plane under /_mock: every capability through HTTP, and in-process through Controller."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app
from mockserver.control.controller import AdminError, Controller

from ..helpers import Signed, err, ok

SPOT = "/api/spot/v1"
BUY_LOW = {"side": 2, "type": 1, "volume": "0.001", "price": "50000", "symbol": "BTCUSDT"}


def admin(client: TestClient, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    content = None if body is None else json.dumps(body)
    resp = client.request(method, "/_mock" + path, content=content, headers={"x-mock-admin": "1"})
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content and resp.headers.get("content-type", "").startswith("application/json") else resp


# ------------------------------------------------------------------ tenancy


def test_accounts_on_demand_each_with_its_own_balances(client: TestClient, state: MockState) -> None:
    made = admin(client, "POST", "/accounts", {"label": "bot", "balances": {"usdt": "250.5", "BTC": "1"}})
    assert len(made["api_key"]) == 32 and len(made["secret"]) == 64 and made["label"] == "bot"
    assert made["balances"]["USDT"] == {"free": "250.5", "locked": "0"}
    s = Signed(client, made["api_key"], made["secret"], now_ms=state.clock.now_ms)
    rows = {r["coin"]: r for r in ok(s.get(SPOT + "/user/account"))}
    assert str(rows["USDT"]["balance"]) == "250.5"
    assert made["api_key"] in [a["api_key"] for a in admin(client, "GET", "/accounts")]
    assert admin(client, "GET", "/accounts/" + made["api_key"])["uid"] == made["uid"]
    chosen = admin(client, "POST", "/accounts", {"api_key": "k" * 32, "secret": "s3cret"})
    assert (chosen["api_key"], chosen["secret"]) == ("k" * 32, "s3cret")
    dup = admin(client, "POST", "/accounts", {"api_key": "k" * 32}, status=409)
    assert dup == {"error": f"api-key {'k' * 32!r} already exists"}
    assert admin(client, "POST", "/accounts", {"balances": {"USDT": "-1"}}, status=400) == {
        "error": "balances.USDT: must not be negative"
    }
    assert admin(client, "POST", "/accounts", {"colour": "red"}, status=400) == {"error": "colour: unknown field"}
    assert admin(client, "GET", "/accounts/nope", status=404) == {"error": "no account with api-key 'nope'"}


def test_permission_and_whitelist_flags_trigger_their_errors(client: TestClient, state: MockState) -> None:
    reader = admin(client, "POST", "/accounts", {"permissions": ["read"], "balances": {"USDT": "100"}})
    s = Signed(client, reader["api_key"], reader["secret"], now_ms=state.clock.now_ms)
    assert ok(s.get(SPOT + "/user/account"))
    assert err(s.post(SPOT + "/order/place_order", BUY_LOW)) == ("110033", "OPEN_API_KEY_NO_AUTHORITY")
    fenced = admin(client, "POST", "/accounts", {"ip_whitelist": ["203.0.113.9"]})
    s = Signed(client, fenced["api_key"], fenced["secret"], now_ms=state.clock.now_ms)
    code, _ = err(s.get(SPOT + "/user/account"))
    assert code == "100011"
    bad = admin(client, "POST", "/accounts", {"permissions": ["fly"]}, status=400)
    assert bad == {"error": "permissions.0: unknown permission 'fly'; known: read, trade, transfer, withdraw"}


def test_one_account_resets_alone(client: TestClient, state: MockState, signed: Signed) -> None:
    other = admin(client, "POST", "/accounts", {"balances": {"USDT": "1000"}})
    o = Signed(client, other["api_key"], other["secret"], now_ms=state.clock.now_ms)
    assert ok(o.post(SPOT + "/order/place_order", BUY_LOW))["placeStatus"] == "1"
    assert ok(signed.post(SPOT + "/order/place_order", BUY_LOW))["placeStatus"] == "1"
    admin(client, "POST", f"/accounts/{other['api_key']}/fund", {"coin": "ETH", "amount": "3"})
    after = admin(client, "POST", f"/accounts/{other['api_key']}/reset")
    assert after["balances"] == {"USDT": {"free": "1000", "locked": "0"}, "ETH": {"free": "0", "locked": "0"}}
    assert ok(o.post(SPOT + "/order/pending/list", {"symbol": "BTCUSDT"})) is None  # empty answers null
    assert ok(o.post(SPOT + "/order/history/page", {"symbol": "BTCUSDT"}))["total"] == 0
    assert len(ok(signed.post(SPOT + "/order/pending/list", {"symbol": "BTCUSDT"}))) == 1  # demo untouched
    assert admin(client, "GET", "/audit")["conserved"] is True


def test_fund_and_withdraw(client: TestClient, state: MockState) -> None:
    acct = admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "sol", "amount": "5.25"})
    assert acct["balances"]["SOL"] == {"free": "205.25", "locked": "0"}
    acct = admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "SOL", "amount": "-205.25"})
    assert acct["balances"]["SOL"]["free"] == "0"
    refused = admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "SOL", "amount": "-1"}, status=409)
    assert refused == {"error": "free SOL is below 1"}
    # A JSON number is read exactly (bounds.loads), so 1.5 is the decimal 1.5; true is not a number.
    assert admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "SOL", "amount": 1.5})["balances"][
        "SOL"
    ] == {"free": "1.5", "locked": "0"}
    bad = admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "SOL", "amount": True}, status=400)
    assert bad == {"error": "amount: expected a decimal"}
    assert admin(client, "POST", f"/accounts/{DEMO_API_KEY}/fund", {"coin": "SOL", "amount": "NaN"}, status=400) == {
        "error": "amount: not a plain decimal: 'NaN'"
    }
    assert admin(client, "GET", "/audit")["conserved"] is True
    assert all(Decimal(v) == 0 for v in admin(client, "GET", "/audit")["imbalance"].values())


def test_whole_exchange_reset_with_a_seed(client: TestClient, state: MockState, signed: Signed) -> None:
    extra = admin(client, "POST", "/accounts", {})
    ok(signed.post(SPOT + "/order/place_order", BUY_LOW))
    admin(client, "POST", "/faults", {"action": "status", "status": 503, "path": "/nowhere"})
    status = admin(client, "POST", "/reset", {"seed": 42})
    assert status["seed"] == 42 and status["orders"] == 0 and status["faults"] == 0 and status["journal"] == 0
    assert admin(client, "GET", "/accounts/" + extra["api_key"], status=404)
    assert ok(signed.post(SPOT + "/order/pending/list", {"symbol": "BTCUSDT"})) is None  # empty answers null
    first = ok(signed.post(SPOT + "/order/place_order", BUY_LOW))["orderId"]
    admin(client, "POST", "/reset", {"seed": 42})
    assert ok(signed.post(SPOT + "/order/place_order", BUY_LOW))["orderId"] == first, "same seed, same ids"


def test_snapshot_and_restore_round_trip(make_client: Any) -> None:
    client, state = make_client(liquidity=True, seed=7)
    s = Signed(client, now_ms=state.clock.now_ms)
    ok(s.post(SPOT + "/order/place_order", BUY_LOW))
    ok(s.post(SPOT + "/order/place_order", {"side": 2, "type": 2, "volume": "100", "symbol": "BTCUSDT"}))
    ok(
        s.post(
            SPOT + "/withdraw",
            {
                "coin": "USDT",
                "network": "Tron (TRC-20)",
                "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                "amount": "10",
            },
        )
    )
    snap = admin(client, "GET", "/snapshot")
    assert snap["format"] == "bitunix-mock-snapshot" and snap["version"] == 3
    view = [ok(s.get(SPOT + "/user/account")), ok(s.post(SPOT + "/order/history/page", {"symbol": "BTCUSDT"}))]
    depth = ok(client.get(SPOT + "/market/depth", params={"symbol": "BTCUSDT", "precision": "0.01"}))
    del depth["ts"]
    # Change everything, then restore into a different server.
    ok(s.post(SPOT + "/order/place_order", BUY_LOW))
    fresh, fresh_state = make_client(liquidity=False, seed=0)
    admin(fresh, "POST", "/restore", snap)
    f = Signed(fresh, now_ms=fresh_state.clock.now_ms)
    assert [ok(f.get(SPOT + "/user/account")), ok(f.post(SPOT + "/order/history/page", {"symbol": "BTCUSDT"}))] == view
    again = ok(fresh.get(SPOT + "/market/depth", params={"symbol": "BTCUSDT", "precision": "0.01"}))
    assert {k: v for k, v in again.items() if k != "ts"} == depth
    resnap = admin(fresh, "GET", "/snapshot")
    # The clock moved, and the restored server remembers the nonces of the reads just made.
    assert {k: v for k, v in resnap.items() if k not in ("clock", "nonces")} == {
        k: v for k, v in snap.items() if k not in ("clock", "nonces")
    }
    remembered = {(key, n) for _, key, ns in resnap["nonces"] for n in ns}
    assert {(key, n) for _, key, ns in snap["nonces"] for n in ns} <= remembered
    # ids continue where the original would have gone.
    a = ok(s.post(SPOT + "/order/place_order", BUY_LOW))["orderId"]
    b = ok(f.post(SPOT + "/order/place_order", BUY_LOW))["orderId"]
    assert int(b) == int(a) - 1  # the original placed one more order after the snapshot
    assert admin(fresh, "GET", "/audit")["conserved"] is True
    assert admin(fresh, "POST", "/restore", {"format": "other"}, status=400) == {
        "error": "not a bitunix-mock-snapshot document"
    }
    broken = dict(snap, orders=[{"order_id": "x"}])
    assert admin(fresh, "POST", "/restore", broken, status=400) == {
        "error": "orders.0.order_id: expected a numeric id (1-20 digits)"
    }
    assert ok(f.get(SPOT + "/user/account")) == ok(f.get(SPOT + "/user/account")), "a refused restore changes nothing"


# ------------------------------------------------------------- market control


def test_set_price_seed_and_clear_book(client: TestClient, state: MockState, signed: Signed) -> None:
    assert admin(client, "POST", "/markets/BTCUSDT/price", {"price": "70000"}) == {
        "symbol": "BTCUSDT",
        "last_price": "70000",
    }
    assert ok(client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"})) == "70000.00"
    seeded = admin(client, "POST", "/markets/BTCUSDT/book", {"bids": [["69000", "0.5"]], "asks": [["71000", "0.2"]]})
    assert seeded["depth"] == {"bids": [["69000", "0.5"]], "asks": [["71000", "0.2"]]}
    bought = ok(
        signed.post(
            SPOT + "/order/place_order", {"side": 2, "type": 1, "volume": "0.1", "price": "71000", "symbol": "BTCUSDT"}
        )
    )
    detail = ok(signed.get(SPOT + "/order/detail", {"orderId": bought["orderId"]}))
    assert detail["status"] == "2"
    assert admin(client, "GET", "/markets/BTCUSDT/book")["asks"] == [["71000", "0.1"]]
    assert admin(client, "DELETE", "/markets/BTCUSDT/book") == {"symbol": "BTCUSDT", "cancelled": 2}
    assert admin(client, "GET", "/markets/BTCUSDT/book") == {"bids": [], "asks": []}
    bad = admin(client, "POST", "/markets/BTCUSDT/book", {"bids": [["69000.001", "1"]]}, status=400)
    assert bad["error"].startswith("BUY 1@69000.001: Price precision error")
    assert admin(client, "POST", "/markets/NOPE/price", {"price": "1"}, status=404) == {"error": "no market 'NOPE'"}
    assert admin(client, "GET", "/audit")["conserved"] is True


def test_synthetic_liquidity_recentres_on_a_new_price(make_client: Any) -> None:
    client, _ = make_client(liquidity=True)
    admin(client, "POST", "/markets/ETHUSDT/price", {"price": "5000"})
    book = admin(client, "GET", "/markets/ETHUSDT/book")
    best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
    assert best_bid < Decimal(5000) < best_ask and best_ask - best_bid < Decimal(50)


@pytest.mark.parametrize(("fraction", "status", "dealt"), [("1", "2", "0.001"), ("0.5", "3", "0.0005")])
def test_counterparty_fills_after_n_polls(
    client: TestClient, state: MockState, signed: Signed, fraction: str, status: str, dealt: str
) -> None:
    oid = ok(signed.post(SPOT + "/order/place_order", BUY_LOW))["orderId"]
    script = admin(client, "POST", "/counterparty", {"api_key": DEMO_API_KEY, "after_polls": 3, "fraction": fraction})
    assert script["done"] is False
    seen = [ok(signed.get(SPOT + "/order/detail", {"orderId": oid}))["status"] for _ in range(4)]
    assert seen == ["1", "1", status, status]
    detail = ok(signed.get(SPOT + "/order/detail", {"orderId": oid}))
    assert Decimal(str(detail["dealVolume"])) == Decimal(dealt)
    fills = ok(signed.post(SPOT + "/order/deal/list", {"orderId": oid, "symbol": "BTCUSDT"}))
    assert len(fills) == 1 and Decimal(str(fills[0]["price"])) == Decimal("50000")
    assert admin(client, "GET", "/counterparty")[0]["done"] is True
    assert admin(client, "GET", "/audit")["conserved"] is True


def test_counterparty_at_a_time_and_at_once(client: TestClient, state: MockState, signed: Signed) -> None:
    state.clock.freeze()
    oid = ok(signed.post(SPOT + "/order/place_order", BUY_LOW))["orderId"]
    at = state.clock.now_ms() + 30_000
    admin(client, "POST", "/counterparty", {"api_key": DEMO_API_KEY, "at_ms": at, "fraction": "0.4"})
    assert ok(signed.get(SPOT + "/order/detail", {"orderId": oid}))["status"] == "1"
    admin(client, "POST", "/clock", {"advance_ms": 30_000})
    assert ok(signed.get(SPOT + "/order/detail", {"orderId": oid}))["status"] == "3"
    now = admin(client, "POST", "/counterparty", {"api_key": DEMO_API_KEY, "order_id": oid})
    assert now["done"] is True and now["fills"][0]["filled"] == "0.0006"
    assert ok(signed.get(SPOT + "/order/detail", {"orderId": oid}))["status"] == "2"


# ------------------------------------------------------------------ clock


def test_clock_freeze_advance_offset(client: TestClient, state: MockState, signed: Signed) -> None:
    frozen = admin(client, "POST", "/clock", {"at_ms": 1_760_000_000_000})
    assert frozen == {"now_ms": 1_760_000_000_000, "frozen": True, "offset_ms": 0}
    assert admin(client, "GET", "/clock")["now_ms"] == 1_760_000_000_000
    ts = "1760000000000"
    assert ok(signed.get(SPOT + "/user/account", timestamp=ts))
    admin(client, "POST", "/clock", {"advance_ms": 60_001})
    assert err(signed.get(SPOT + "/user/account", timestamp=ts)) == ("100008", "result.request.time.expired")
    off = admin(client, "POST", "/clock", {"offset_ms": -3_600_000})
    assert off["frozen"] is False and off["offset_ms"] == -3_600_000
    assert admin(client, "POST", "/clock", {"advance_ms": "1"}, status=400) == {
        "error": "advance_ms: expected an integer"
    }


def test_kline_buckets_follow_the_mock_clock(client: TestClient, state: MockState, signed: Signed) -> None:
    admin(client, "POST", "/markets/BTCUSDT/book", {"asks": [["64000", "1"]]})
    bucket = 15 * 60_000
    start = (state.clock.now_ms() // bucket + 1) * bucket  # a bucket after the exchange opened: real trades only
    admin(client, "POST", "/clock", {"at_ms": start + 40_000})
    ok(
        signed.post(
            SPOT + "/order/place_order", {"side": 2, "type": 1, "volume": "0.01", "price": "64000", "symbol": "BTCUSDT"}
        )
    )
    admin(client, "POST", "/clock", {"advance_ms": 15 * 60_000})
    candles = ok(client.get(SPOT + "/market/kline", params={"symbol": "BTCUSDT", "interval": "15"}))
    newest, previous = candles[0], candles[1]
    assert Decimal(str(previous["close"])) == Decimal("64000"), "the trade landed in the bucket before the newest"
    assert newest["ts"] > previous["ts"]


# ------------------------------------------------------------------ faults


def test_error_fault_on_the_nth_call_only(client: TestClient, signed: Signed) -> None:
    rule = admin(client, "POST", "/faults", {"action": "error", "code": "500", "path": "/api/spot/v1/user/*", "nth": 2})
    assert rule["id"] == "fault-1"
    assert ok(signed.get(SPOT + "/user/account"))
    assert err(signed.get(SPOT + "/user/account")) == ("500", "System error")
    assert ok(signed.get(SPOT + "/user/account"))
    listed = admin(client, "GET", "/faults")[0]
    assert (listed["matched"], listed["fired"]) == (3, 1)


def test_status_fault_with_retry_after_and_times(client: TestClient, signed: Signed) -> None:
    admin(client, "POST", "/faults", {"action": "status", "status": 429, "retry_after": 2, "times": 1, "method": "GET"})
    first = signed.get(SPOT + "/user/account")
    assert first.status_code == 429 and first.headers["retry-after"] == "2" and first.content == b""
    assert ok(signed.get(SPOT + "/user/account"))
    admin(client, "POST", "/faults", {"action": "status", "status": 503, "body": "upstream down", "api_key": "other"})
    assert ok(signed.get(SPOT + "/user/account")), "a rule for another key does not touch this one"


def test_a_faulted_request_changes_nothing_and_is_journaled(
    client: TestClient, state: MockState, signed: Signed
) -> None:
    admin(client, "POST", "/faults", {"action": "error", "code": "110041", "path": SPOT + "/order/place_order"})
    before = state.exchange.balances("demo")
    assert err(signed.post(SPOT + "/order/place_order", BUY_LOW)) == ("110041", "Interface access times are too fast")
    assert state.exchange.balances("demo") == before and not state.exchange.orders
    entry = admin(client, "GET", "/journal?limit=1")[0]
    assert entry["verdict"] == "fault" and entry["faults"] == ["fault-1"] and entry["code"] == "110041"


def test_seeded_probability_and_latency_repeat_exactly() -> None:
    def run() -> tuple[list[str], list[int]]:
        app = create_app(Config(liquidity=False, seed=5))
        ctl = Controller(app.state.mock)
        ctl.add_fault({"action": "error", "code": "500", "probability": 0.5})
        ctl.add_fault({"action": "latency", "latency_ms": 1, "latency_max_ms": 40})
        codes, delays = [], []
        for _ in range(40):
            d = app.state.mock.faults.decide("GET", "/x", None)
            assert d is not None
            codes.append("500" if d.reply else "ok")
            delays.append(d.delay_ms)
        return codes, delays

    first, second = run(), run()
    assert first == second
    assert 5 < first[0].count("500") < 35 and len(set(first[1])) > 5


def test_latency_fault_delays_the_answer(client: TestClient, signed: Signed) -> None:
    admin(client, "POST", "/faults", {"action": "latency", "latency_ms": 30})
    assert ok(signed.get(SPOT + "/user/account"))
    assert admin(client, "GET", "/faults")[0]["fired"] == 1


def test_drop_fault_processes_then_cuts_the_connection() -> None:
    """Over a real socket: the order is placed, the client sees a broken connection."""
    from mockserver.testing import MockServer

    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url, timeout=5) as http:
        http.post("/_mock/faults", json={"action": "drop", "path": SPOT + "/order/place_order", "times": 1})
        s = Signed(http, mock.api_key, mock.secret)
        with pytest.raises(httpx.TransportError):
            s.post(SPOT + "/order/place_order", BUY_LOW)
        assert len(mock.state.exchange.orders) == 1, "the request was processed before the drop"
        assert len(ok(s.post(SPOT + "/order/pending/list", {"symbol": "BTCUSDT"}))) == 1
        entry = http.get("/_mock/journal", params={"operation": "place_order"}).json()[0]
        assert entry["dropped"] is True and entry["verdict"] == "accepted"


def test_bad_fault_rules_are_refused(client: TestClient) -> None:
    assert admin(client, "POST", "/faults", {"action": "explode"}, status=400) == {
        "error": "action: must be one of 'latency', 'error', 'status' or 'drop'"
    }
    assert admin(client, "POST", "/faults", {"action": "error"}, status=400) == {
        "error": "code: an error fault needs a code"
    }
    assert admin(client, "POST", "/faults", {"action": "status", "status": 99}, status=400) == {
        "error": "status: must be >= 200"
    }
    assert admin(client, "DELETE", "/faults/fault-9", status=404) == {"error": "no fault 'fault-9'"}
    admin(client, "POST", "/faults", {"action": "status", "status": 500})
    admin(client, "DELETE", "/faults", status=204)
    assert admin(client, "GET", "/faults") == []


# ------------------------------------------------------------- rate limits


def test_rate_limits_are_switchable_and_exact_on_a_frozen_clock(client: TestClient, state: MockState) -> None:
    table = admin(client, "GET", "/rate-limits")
    assert table["enabled"] is False
    assert table["limits"]["withdraw"] == {"per_second": 10, "scope": "ip", "stated": True}
    assert table["limits"]["last_price"] == {"per_second": 20, "scope": "ip", "stated": False}
    admin(client, "POST", "/clock", {"freeze": True})
    admin(client, "POST", "/rate-limits", {"enabled": True, "per_second": {"last_price": 3}})
    codes = [client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}).json()["code"] for _ in range(5)]
    assert codes == ["0", "0", "0", "110041", "110041"]
    admin(client, "POST", "/clock", {"advance_ms": 1000})
    assert client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}).json()["code"] == "0"
    admin(client, "POST", "/rate-limits", {"enabled": False})
    assert all(
        client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}).json()["code"] == "0" for _ in range(20)
    )
    refused = admin(client, "POST", "/rate-limits", {"per_second": {"fly": 1}}, status=400)
    assert refused["error"].startswith("per_second: unknown operation 'fly'; valid operations: account, cancel, ")


def test_rate_limited_requests_spend_no_nonce(client: TestClient, state: MockState, signed: Signed) -> None:
    Controller(state).rate_limits({"enabled": True, "per_second": {"account": 1}})
    state.clock.freeze()
    assert ok(signed.get(SPOT + "/user/account"))
    nonces = len(state.verifier.nonces)
    assert err(signed.get(SPOT + "/user/account")) == ("110041", "Interface access times are too fast")
    assert len(state.verifier.nonces) == nonces


# ------------------------------------------------------------------ journal


def test_journal_query_export_and_curl(client: TestClient, state: MockState, signed: Signed) -> None:
    state.clock.freeze(1_760_000_000_000)
    other = admin(client, "POST", "/accounts", {})
    ok(signed.get(SPOT + "/user/account"))
    err(signed.get(SPOT + "/user/account", sign="0" * 64))
    state.clock.advance(5_000)
    o = Signed(client, other["api_key"], other["secret"], now_ms=state.clock.now_ms)
    ok(o.get(SPOT + "/user/account"))
    mine = admin(client, "GET", f"/journal?api_key={DEMO_API_KEY}")
    assert [e["verdict"] for e in mine] == ["SignatureError", "accepted"]
    assert all(e["headers"]["sign"].endswith("(redacted)") for e in mine)
    assert admin(client, "GET", "/journal?verdict=rejected")[0]["code"] == "100005"
    assert [e["api_key"] for e in admin(client, "GET", "/journal?since_ms=1760000004000")] == [other["api_key"]]
    assert len(admin(client, "GET", "/journal?until_ms=1760000000000")) == 2
    assert len(admin(client, "GET", "/journal?operation=account&limit=1")) == 1
    exported = client.get("/_mock/journal/export")
    assert exported.headers["content-disposition"] == 'attachment; filename="mock-journal.json"'
    doc = exported.json()
    assert doc["count"] == 3 and [e["id"] for e in doc["entries"]] == sorted(e["id"] for e in doc["entries"])
    one = admin(client, "GET", f"/journal/{mine[0]['id']}")
    assert one["response"] == json.dumps(
        {"code": "100005", "msg": "result.api.parameter.sign.illegal", "data": None, "success": False},
        separators=(",", ":"),
    )
    curl = client.get(f"/_mock/journal/{mine[0]['id']}/curl").text
    assert curl.startswith("curl -sS -X GET http://testserver/api/spot/v1/user/account")
    assert '"sign: $SIGN"' in curl and '"nonce: $NONCE"' in curl and f"'api-key: {DEMO_API_KEY}'" in curl
    for entry in doc["entries"]:
        assert state.config.demo_secret not in json.dumps(entry)
    assert admin(client, "GET", "/journal/999999", status=404)["error"].startswith("no journal entry 999999")
    admin(client, "DELETE", "/journal", status=204)
    assert admin(client, "GET", "/journal") == []


def test_curl_line_resends_a_post_body_exactly(client: TestClient, signed: Signed) -> None:
    ok(signed.post(SPOT + "/order/pending/list", {"symbol": "BTCUSDT", "note": "it's"}))
    entry = admin(client, "GET", "/journal?limit=1")[0]
    curl = client.get(f"/_mock/journal/{entry['id']}/curl").text
    assert '--data-binary \'{"symbol":"BTCUSDT","note":"it\'"\'"\'s"}\'' in curl


# ------------------------------------------------------------ admin guard


def test_admin_token_guards_everything_but_health(make_client: Any) -> None:
    client, _ = make_client(admin_token="t0ken")
    assert client.get("/_mock/health").status_code == 200
    assert client.post("/_mock/reset").json() == {"error": "missing or wrong x-mock-admin-token header"}
    assert client.post("/_mock/reset", headers={"x-mock-admin-token": "t0ken"}).status_code == 200


def test_controller_in_process(state: MockState) -> None:
    ctl = Controller(state)
    acct = ctl.create_account({"balances": {"ETH": "2"}})
    assert ctl.fund(acct["api_key"], "ETH", "1")["balances"]["ETH"]["free"] == "3"
    with pytest.raises(AdminError) as info:
        ctl.fund("missing", "ETH", "1")
    assert (info.value.status, info.value.message) == (404, "no account with api-key 'missing'")
    snap = ctl.snapshot()
    ctl.reset(seed=3)
    assert ctl.status()["seed"] == 3
    ctl.restore(snap)
    assert ctl.account(acct["api_key"]).uid == acct["uid"]
    assert ctl.audit()["conserved"] is True


def test_every_admin_route_is_in_the_openapi(client: TestClient) -> None:
    from mockserver.control.routes import ADMIN_ROUTES

    doc = client.get("/_mock/openapi.json").json()
    for r in ADMIN_ROUTES:
        assert r.method.lower() in doc["paths"]["/_mock" + r.path], r.path


def _dump(state: MockState) -> str:
    from mockserver.control.snapshot import dump

    return json.dumps(dump(state), sort_keys=True, default=str)


@pytest.mark.parametrize("first_time", [True, False])
def test_a_refused_book_seed_changes_nothing_not_even_the_liquidity_stream(first_time: bool) -> None:
    """The seeder account, the uid counter and the synthetic liquidity's random stream all stay put."""
    state: MockState = create_app(Config(seed=5, frozen_at_ms=1_760_000_000_000)).state.mock
    ctl = Controller(state)
    if not first_time:
        ctl.seed_book("BTCUSDT", bids=[["20000", "0.001"]])
    before = _dump(state)
    # The first level sweeps synthetic asks (the provider replenishes); the second is below minVolume.
    with pytest.raises(AdminError) as refused:
        ctl.seed_book("BTCUSDT", bids=[["64200", "2"], ["60000", "0.00001"]])
    assert refused.value.status == 400
    assert refused.value.message.startswith("refused: 910001 volume below minVolume (volume 0.00001 < minVolume")
    assert _dump(state) == before
    assert state.exchange.problems() == []


def test_a_refused_counter_order_mints_nothing_and_opens_no_account() -> None:
    """A fill whose counter order the market refuses (here: outside the price band) is refused and leaves no trace."""
    from mockserver.engine import OrderType, PlaceRequest, Side

    state: MockState = create_app(Config(liquidity=False, frozen_at_ms=1_760_000_000_000)).state.mock
    ctl = Controller(state)
    assert state.demo is not None
    resting = state.exchange.place(
        state.demo.account_id, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.0001"), Decimal("3000000"))
    )
    ctl.set_price("BTCUSDT", "1000")  # the sell ceiling falls to 51000, below the resting buy
    before = _dump(state)
    with pytest.raises(AdminError) as refused:
        ctl.add_script({"api_key": state.demo.api_key})
    assert (refused.value.status, refused.value.message) == (
        409,
        f"order {resting.order_id}: the market refused the counter order: 910005 price outside the allowed range "
        "(sell price 3000000 above 51000 = last 1000 x (1 + maxSellPriceOffset 50)); nothing was traded",
    )
    assert _dump(state) == before and state.counterparty.scripts == []
    # Scheduled, the same refusal is the script's recorded outcome (its caller is not waiting for an answer).
    ctl.add_script({"api_key": state.demo.api_key, "after_polls": 1})
    state.counterparty.fire(state.exchange, state.counterparty.scripts[0])
    (hit,) = state.counterparty.scripts[0].result
    assert hit["skipped"].startswith(f"order {resting.order_id}: the market refused the counter order: 910005 ")
    assert hit["filled"] == "0" and state.exchange.order_by_id(resting.order_id).deal_volume == 0  # type: ignore[union-attr]


def test_a_fill_with_an_order_ahead_of_its_target_is_refused_and_trades_nothing() -> None:
    """Price-time priority is not bent: an order at a better price would take the counter order, so none is placed."""
    from mockserver.control.counterparty import COUNTERPARTY_ACCOUNT
    from mockserver.engine import OrderType, PlaceRequest, Side

    state: MockState = create_app(Config(liquidity=False, frozen_at_ms=1_760_000_000_000)).state.mock
    ctl = Controller(state)
    assert state.demo is not None
    ex = state.exchange
    other = ex.create_account(balances={"BTC": Decimal(1)}).account_id
    sell = PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.001"), Decimal("64000"))
    target = ex.place(state.demo.account_id, sell)
    ex.place(other, sell._replace(price=Decimal("63000"), volume=Decimal("0.0004")))  # better price: ahead
    ex.place(other, sell._replace(volume=Decimal("0.0002")))  # same price, later: behind the target
    before = _dump(state)
    with pytest.raises(AdminError) as refused:
        ctl.add_script({"api_key": state.demo.api_key, "order_id": target.order_id})
    assert (refused.value.status, refused.value.message) == (
        409,
        f"order {target.order_id}: 0.0004 BTC resting ahead of it at the same or a better price would fill first "
        "(orders of other accounts); clear the pair's book, or run without liquidity, to fill it; nothing was traded",
    )
    assert _dump(state) == before and COUNTERPARTY_ACCOUNT not in ex.accounts
    assert all(v == 0 for v in ex.audit().values()) and ex.problems() == []


def test_fill_fills_the_named_order_or_says_why_not_with_the_market_maker_on(make_client: Any) -> None:
    """The bug: with the market maker's bids above a resting buy, fill() answered done and filled 0.01 while the
    order stayed NEW (the counter order had traded with the market maker). Now it fills that order or refuses."""
    from mockserver.control.client import MockAdmin, MockAdminError

    client, state = make_client(liquidity=True)
    admin = MockAdmin("http://testserver", transport=client._transport)
    admin.set_price("BTCUSDT", "60000")
    made = admin.create_account({"USDT": "100000"})
    key = made["api_key"]
    signed = Signed(client, key, made["secret"], now_ms=state.clock.now_ms)

    def buy(price: str) -> str:
        order = {"side": 2, "type": 1, "volume": "0.01", "price": price, "symbol": "BTCUSDT"}
        return str(ok(signed.post(SPOT + "/order/place_order", order))["orderId"])

    def status(order_id: str) -> str:
        return str(ok(signed.get(SPOT + "/order/detail", {"orderId": order_id}))["status"])

    ahead = sum(Decimal(v) for p, v in admin.book("BTCUSDT")["bids"] if Decimal(p) >= 59500)  # the maker's
    deep = buy("59500")
    book = admin.book("BTCUSDT")
    with pytest.raises(MockAdminError) as refused:
        admin.fill(key, deep)
    assert (refused.value.status, refused.value.message) == (
        409,
        f"order {deep}: {format(ahead.normalize(), 'f')} BTC resting ahead of it at the same or a better price would "
        "fill first (orders of the synthetic market maker); clear the pair's book, or run without liquidity, to fill "
        "it; nothing was traded",
    )
    assert status(deep) == "1" and admin.book("BTCUSDT") == book and admin.fills() == []
    # Scheduled (the README's after_polls), the script reports the same reason and no fill; the order stays NEW.
    admin.fill(key, deep, after_polls=1)
    assert status(deep) == "1"
    (script,) = admin.fills()
    assert script["done"] is True and script["fills"] == [
        {
            "order_id": deep,
            "volume": "0.01",
            "filled": "0",
            "skipped": refused.value.message.removesuffix("; nothing was traded"),
        }
    ]
    # At the top of the book nothing is ahead: the named order fills, and the answer is what happened to it.
    top = buy("60000")
    (hit,) = admin.fill(key, top)["fills"]
    assert (hit["order_id"], hit["filled"], hit["status"]) == (top, "0.01", "FILLED")
    assert status(top) == "2" and status(deep) == "1"
    with pytest.raises(MockAdminError) as gone:  # filled already: nothing to fill, and it says so
        admin.fill(key, top)
    assert (gone.value.status, gone.value.message) == (409, f"order {top}: no open order with this id for this api-key")
