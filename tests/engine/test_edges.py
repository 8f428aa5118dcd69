"""The edges: bounded numbers, all-or-nothing money, bounded memory, and requests that must not count."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Config, MockState, create_app
from mockserver.api.auth import NONCE_HORIZON_MS
from mockserver.api.ratelimit import DEFAULT_LIMIT, MAX_TRACKED
from mockserver.control.controller import Controller
from mockserver.control.snapshot import dump
from mockserver.engine import OrderType, PlaceRequest, Side
from mockserver.engine.accounts import Balance, LedgerError
from mockserver.engine.exchange import Exchange
from mockserver.engine.matching import Matcher
from mockserver.errors import ParameterError

from ..api.test_errors import _fingerprint
from ..helpers import Signed, err, ok

SPOT = "/api/spot/v1"
PLACE = SPOT + "/order/place_order"
PARAM = ("2", "Parameter error")


def _last_detail(state: MockState) -> str:
    return list(state.journal)[-1].detail


def _state_doc(state: MockState) -> dict[str, Any]:
    doc = dump(state)
    doc.pop("clock")
    doc.pop("nonces")  # a request refused after auth has spent its nonce, as live
    return doc


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"side":1e999999999,"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}', "exponent over 40"),
        (b'{"side":1e300000,"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}', "exponent over 40"),
        (b'{"side":2,"type":1,"volume":1E-58,"price":"60000","symbol":"BTCUSDT"}', "exponent over 40"),
        (b'{"side":' + b"1" * 41 + b',"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}', "more than 40 digits"),
        (b'{"side":18446744073709551616,"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}', "side: must be <="),
        (b'{"side":2,"type":1,"volume":"1E-58","price":"60000","symbol":"BTCUSDT"}', "not a plain non-negative"),
        (
            b'{"side":2,"type":1,"volume":"' + b"9" * 40 + b'","price":"' + b"9" * 40 + b'","symbol":"BTCUSDT"}',
            "more than 20 integer digits",
        ),
        (b'{"side":2,"type":1,"volume":0.' + b"0" * 35 + b'1,"price":"60000","symbol":"BTCUSDT"}', "decimal places"),
        (b'{"a":' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper than 32"),
    ],
)
def test_out_of_bound_numbers_are_refused_before_conversion(
    body: bytes, detail: str, client: TestClient, state: MockState
) -> None:
    signed = Signed(client, now_ms=state.clock.now_ms)
    before = _state_doc(state)
    assert err(client.post(PLACE, content=body, headers=signed.headers(body=body))) == PARAM
    assert detail in _last_detail(state)
    assert _state_doc(state) == before


def test_page_size_with_a_huge_exponent_is_refused(signed: Signed, state: MockState) -> None:
    body = b'{"symbol":"BTCUSDT","pageSize":1e200000}'
    assert err(signed.post(SPOT + "/order/history/page", body)) == PARAM
    assert "exponent over 40" in _last_detail(state)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"symbol": "BTCUSDT", "interval": "1", "endTime": "-1"}, "endTime: must be >= 0"),
        ({"symbol": "BTCUSDT", "interval": "1", "endTime": "99999999999999999999"}, "endTime: expected an integer"),
        ({"symbol": "BTCUSDT", "interval": "1", "endTime": "4102444801"}, "endTime: must be <= 4102444800"),
        (
            {"symbol": "BTCUSDT", "interval": "1", "limit": "9223372036854775808"},
            "limit: must be <= 9223372036854775807",
        ),
    ],
)
def test_public_kline_history_bounds(params: dict[str, str], detail: str, client: TestClient, state: MockState) -> None:
    assert err(client.get(SPOT + "/market/kline/history", params=params)) == PARAM
    assert detail in _last_detail(state)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z"])
def test_iso_times_outside_the_sane_range_are_refused(when: str, signed: Signed, state: MockState) -> None:
    assert err(signed.post(SPOT + "/order/history/page", {"symbol": "BTCUSDT", "startTime": when})) == PARAM
    assert _last_detail(state) == "startTime: time outside 1970..2100"


def test_a_unicode_digit_in_the_timestamp_header_is_request_expired(client: TestClient, state: MockState) -> None:
    signed = Signed(client, now_ms=state.clock.now_ms)
    headers = signed.headers()
    headers["timestamp"] = "1\u00b2"  # '²' is a digit to str.isdigit() but not to int()
    resp = client.get(SPOT + "/user/account", headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert err(resp) == ("100008", "result.request.time.expired")
    assert _last_detail(state) == "timestamp header missing or not integer milliseconds"


# ------------------------------------------------------------------- wallet


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        (
            "/inside_transfer",
            {"coin": "USDT", "amount": "0.0000001", "toType": "uid", "toUid": 1},
            "amount has more than 6 decimals",
        ),
        ("/funds_transfer", {"type": "spot_futures", "coin": "USDT", "amount": "0.0000001"}, "more than 6 decimals"),
        (
            "/withdraw",
            {"coin": "USDT", "network": "Tron (TRC-20)", "address": "T" + "a" * 33, "amount": "10.0000001"},
            "more than 6 decimals",
        ),
    ],
)
def test_wallet_dust_is_refused_and_changes_nothing(
    path: str, body: dict[str, Any], detail: str, signed: Signed, state: MockState
) -> None:
    before = _fingerprint(state)
    assert err(signed.post(SPOT + path, body)) == PARAM
    assert detail in _last_detail(state)
    assert _fingerprint(state) == before


def test_wallet_exponent_amounts_are_refused_at_the_boundary(signed: Signed, state: MockState) -> None:
    before = _fingerprint(state)
    raw = b'{"coin":"USDT","amount":1E-55,"toType":"uid","toUid":1}'
    assert err(signed.post(SPOT + "/inside_transfer", raw)) == PARAM
    assert "exponent over 40" in _last_detail(state)
    assert _fingerprint(state) == before
    assert all(v == 0 for v in state.exchange.audit().values())


# -------------------------------------------------------------- atomicity


def _seeded(exchange: Exchange) -> tuple[str, str]:
    maker = exchange.create_account(label="maker", balances={"BTC": Decimal(1)})
    taker = exchange.create_account(label="taker", balances={"USDT": Decimal(100000)})
    for price in ("64000", "64010", "64020"):
        exchange.place(
            maker.account_id, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"), Decimal(price))
        )
    return maker.account_id, taker.account_id


def test_a_failure_mid_match_puts_everything_back(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Config(liquidity=False))
    state: MockState = app.state.mock
    ex = state.exchange
    _, taker = _seeded(ex)
    before = _state_doc(state)
    real = Matcher.trade
    calls = {"n": 0}

    def flaky(self: Matcher, *args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # two trades done, the third blows up half-way through the sweep
            raise LedgerError("injected")
        real(self, *args)

    monkeypatch.setattr(Matcher, "trade", flaky)
    with pytest.raises(LedgerError):
        ex.place(taker, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.03"), Decimal("64020")))
    assert calls["n"] == 3
    assert _state_doc(state) == before
    monkeypatch.setattr(Matcher, "trade", real)
    # And the book still works in time priority: the same order now fills all three levels.
    order = ex.place(taker, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.03"), Decimal("64020")))
    assert [f.price for f in ex.fills(taker, order.order_id)] == [Decimal(64000), Decimal(64010), Decimal(64020)]
    assert all(v == 0 for v in ex.audit().values())


def test_a_failed_settlement_through_http_answers_500_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(Config(liquidity=False))
    state: MockState = app.state.mock
    _seeded(state.exchange)
    before = _state_doc(state)

    def broken(self: Matcher, *args: Any) -> None:
        raise LedgerError("injected")

    monkeypatch.setattr(Matcher, "trade", broken)
    with TestClient(app) as client:
        signed = Signed(client, now_ms=state.clock.now_ms)
        body = {"side": 2, "type": 1, "volume": "0.01", "price": "64000", "symbol": "BTCUSDT"}
        assert err(signed.post(PLACE, body)) == ("500", "System error")
    after = _state_doc(state)
    assert after == before


def test_ledger_moves_check_before_they_apply() -> None:
    ex = create_app(Config(liquidity=False)).state.mock.exchange
    acct = ex.create_account(balances={"USDT": Decimal(5)})
    ledger = ex._ledger
    with pytest.raises(LedgerError, match="beyond free"):
        ledger.transfer_free(acct.account_id, "fees", "USDT", Decimal(6))
    with pytest.raises(LedgerError, match="beyond locked"):
        ledger.unlock_units(acct.account_id, "USDT", ledger.to_units(Decimal(1), "unlock"))
    with pytest.raises(LedgerError, match="not a finite non-negative"):
        ledger.mint(acct.account_id, "USDT", Decimal(-1))
    assert ledger.free(acct.account_id, "USDT") == 5
    with pytest.raises(RuntimeError), ledger.atomic():
        ledger.transfer_free(acct.account_id, "fees", "USDT", Decimal(2))
        ledger.mint(acct.account_id, "NEWCOIN", Decimal(3))
        raise RuntimeError("later leg failed")
    assert ledger.free(acct.account_id, "USDT") == 5
    assert "NEWCOIN" not in ledger.balances_of(acct.account_id)
    assert all(v == 0 for v in ex.audit().values())


def test_the_audit_computes_whatever_the_ledger_holds() -> None:
    ex = create_app(Config(liquidity=False)).state.mock.exchange
    acct = ex.create_account()
    # The ledger holds integers of 10**-scale: its finest unit and sixty nines, beyond any bounded input.
    scale = ex._ledger.scale
    tiny = Decimal(1).scaleb(-scale)
    balances = ex._ledger.export_balances()
    balances[acct.account_id] = {"USDT": Balance(tiny, Decimal("9" * 60))}
    ex._ledger.load(balances, ex._ledger.net_external())
    audit = ex.audit()
    assert audit["USDT"] == Decimal("9" * 60 + "." + "0" * (scale - 1) + "1")  # exact, not rounded


# ------------------------------------------------------------ rate limiter


def test_a_forged_api_key_cannot_spend_the_victims_budget(make_client: Any) -> None:
    client, state = make_client(liquidity=False, rate_limits=True)
    state.clock.freeze()
    signed = Signed(client, now_ms=state.clock.now_ms)
    for _ in range(30):  # the victim's key, a wrong signature: never counted against the key
        assert err(signed.get(SPOT + "/user/account", sign="0" * 64))[0] == "100005"
    for _ in range(DEFAULT_LIMIT):
        ok(signed.get(SPOT + "/user/account"))
    assert err(signed.get(SPOT + "/user/account")) == ("110041", "Interface access times are too fast")


def test_the_rate_limiter_forgets_old_windows(make_client: Any) -> None:
    from mockserver.api.endpoints import ENDPOINTS_BY_PATH

    _, state = make_client(liquidity=False, rate_limits=True)
    limiter = state.rate_limiter
    ep = ENDPOINTS_BY_PATH[SPOT + "/market/last_price"]
    for i in range(MAX_TRACKED + 50):
        assert limiter.allow(ep, None, f"10.0.{i // 250}.{i % 250}", 1000)
    assert len(limiter) == MAX_TRACKED
    assert limiter.allow(ep, None, "10.9.9.9", 5000)
    # Every window older than a second is empty by then; emptied windows are dropped when touched.
    assert len(limiter) <= MAX_TRACKED


# ---------------------------------------------------------------- scripts


def test_a_refused_poll_does_not_count_toward_a_scripted_fill(signed: Signed, state: MockState) -> None:
    body = {"side": 2, "type": 1, "volume": "0.01", "price": "60000", "symbol": "BTCUSDT"}
    order_id = ok(signed.post(PLACE, body))["orderId"]
    script = Controller(state).add_script({"api_key": signed.key, "after_polls": 2})
    assert err(signed.post(SPOT + "/order/pending/list", {"symbol": "NOPEUSDT"})) == PARAM
    assert err(signed.post(SPOT + "/order/pending/list", {"symbol": "NOPEUSDT"})) == PARAM
    assert state.counterparty.scripts[0].polls == 0
    assert ok(signed.get(SPOT + "/order/detail", {"orderId": order_id}))["status"] == "1"
    assert ok(signed.get(SPOT + "/order/detail", {"orderId": order_id}))["status"] == "2"
    assert script["after_polls"] == 2


# ----------------------------------------------------------------- nonces


def test_far_future_nonces_are_kept_no_longer_than_the_horizon(make_client: Any) -> None:
    client, state = make_client(liquidity=False)  # the default profile: the future is open
    state.clock.freeze()
    now = state.clock.now_ms()
    signed = Signed(client, now_ms=lambda: now + 365 * 24 * 3600 * 1000)
    ok(signed.get(SPOT + "/user/account", nonce="f" * 32))
    assert len(state.verifier.nonces) == 1
    state.clock.advance(NONCE_HORIZON_MS + 60_000 + 1000)
    state.verifier.nonces.expire(state.clock.now_ms())
    assert len(state.verifier.nonces) == 0


# ------------------------------------------------------------ truncation


def test_a_body_cut_short_by_a_departed_client_is_not_processed() -> None:
    app = create_app(Config(liquidity=False))
    state: MockState = app.state.mock
    before = _state_doc(state)
    body = json.dumps({"side": 2, "type": 1, "volume": "0.01", "price": "60000", "symbol": "BTCUSDT"}).encode()
    signed = Signed(None, now_ms=state.clock.now_ms)
    headers = [(k.encode(), v.encode()) for k, v in signed.headers(body=body).items()]
    headers.append((b"content-length", str(len(body)).encode()))
    messages = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": PLACE,
        "raw_path": PLACE.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 8080),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))
    assert sent == []
    entry = list(state.journal)[-1]
    assert (entry.verdict, entry.operation) == ("disconnected", "place_order")
    assert _state_doc(state) == before


HOSTILE = ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999", "1e-999999999", "1E+100000", "1E-100000"]


@pytest.mark.parametrize("figure", HOSTILE)
@pytest.mark.parametrize("where", ["volume", "price"])
@pytest.mark.parametrize("order_type", [OrderType.LIMIT, OrderType.MARKET])
def test_the_engine_refuses_hostile_figures_as_the_exchange_would(
    figure: str, where: str, order_type: OrderType
) -> None:
    """Callers of the engine itself (embedders, the counterparty) get the exchange's error, never a decimal trap."""
    state = create_app(Config(liquidity=False, frozen_at_ms=1_760_000_000_000)).state.mock
    ex = state.exchange
    assert state.demo is not None
    before = dump(state)
    volume, price = (Decimal(figure), Decimal("64000")) if where == "volume" else (Decimal("0.001"), Decimal(figure))
    req = PlaceRequest("BTCUSDT", Side.BUY, order_type, volume, price)
    if order_type is OrderType.MARKET and where == "price":
        # A market order's price is not read at all (a market buy's volume is its quote amount).
        assert not ex.place(state.demo.account_id, req._replace(volume=Decimal(10))).status.is_open
        return
    with pytest.raises(Exception) as refused:
        ex.place(state.demo.account_id, req)
    assert isinstance(refused.value, ParameterError), repr(refused.value)
    assert refused.value.detail.startswith(f"{where} "), refused.value.detail
    assert dump(state) == before


@pytest.mark.parametrize(("ticks", "lots"), [(10**200 + 1, 100), (6_400_000, 10**200 + 1), (True, 100), (0, 100)])
def test_the_integer_entry_refuses_figures_off_any_grid(ticks: int, lots: int) -> None:
    state = create_app(Config(liquidity=False)).state.mock
    assert state.demo is not None
    with pytest.raises(ParameterError) as refused:
        state.exchange.place_ticks(state.demo.account_id, "BTCUSDT", Side.BUY, ticks, lots)
    assert refused.value.code == "2"
