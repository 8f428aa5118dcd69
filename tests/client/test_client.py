"""The reference client, sync and async, against the mock in every mode: every endpoint, every error.

Modes: in-process (ASGI, no socket), uvicorn in a thread, and ``python -m mockserver``
as a subprocess (steered through the admin API only).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import client_ref
from client_ref import (
    AsyncClient,
    Client,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from client_ref import errors as E
from client_ref._core import OPERATIONS, Call
from client_ref.calls import METHOD_FOR_OPERATION
from mockserver import ENDPOINTS, ERROR_TABLE

from ..clientharness import MODE_PARAMS, Harness, harness

TRON = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


@pytest.fixture(params=MODE_PARAMS)
def h(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with harness(request.param) as hx:
        yield hx


# ------------------------------------------------------------------ coverage


def test_operations_match_the_endpoint_table() -> None:
    table = {ep.operation: ep for ep in ENDPOINTS}
    assert set(OPERATIONS) == set(table)
    for name, op in OPERATIONS.items():
        ep = table[name]
        assert (op.method, op.path, op.signed) == (ep.method, ep.path, ep.auth), name


def test_both_clients_have_a_method_per_operation() -> None:
    assert set(METHOD_FOR_OPERATION) == set(OPERATIONS)
    for method in METHOD_FOR_OPERATION.values():
        assert callable(getattr(Client, method)), method
        assert inspect.iscoroutinefunction(getattr(AsyncClient, method)), method
        sync_params = list(inspect.signature(getattr(Client, method)).parameters)
        async_params = list(inspect.signature(getattr(AsyncClient, method)).parameters)
        assert sync_params == async_params, method


def test_a_second_builder_for_an_operation_is_refused() -> None:
    from client_ref.calls import operation

    with pytest.raises(ValueError, match="two builders for 'depth': depth and other_depth"):

        @operation("depth")
        def other_depth() -> Call[None]:
            return Call("depth", {}, lambda _: None)

    assert METHOD_FOR_OPERATION["depth"] == "depth"


def test_error_classes_mirror_the_servers_error_table() -> None:
    assert set(E.EXCHANGE_ERRORS) == set(ERROR_TABLE)
    for code, cls in E.EXCHANGE_ERRORS.items():
        assert issubclass(cls, E.ExchangeError) and cls.code == code
        err = E.error_for(code, ERROR_TABLE[code].msg)
        assert type(err) is cls and err.exchange_code == code and err.msg == ERROR_TABLE[code].msg
    unknown = E.error_for("123456", "new")
    assert type(unknown) is E.ExchangeError and unknown.exchange_code == "123456"
    assert not issubclass(E.TransportError, E.ExchangeError)
    assert issubclass(E.PlaceRefused, client_ref.BitunixError)


# ------------------------------------------------------------- every endpoint


def test_public_market_data(h: Harness) -> None:
    c = h.client()
    pairs = {p.symbol: p for p in h.call(c, "trading_pairs")}
    btc = pairs["BTCUSDT"]
    assert (btc.base, btc.quote) == ("BTC", "USDT") and btc.is_open
    assert isinstance(btc.min_volume, Decimal) and btc.base_precision >= 4
    assert h.call(c, "last_price", "btcusdt") == Decimal("64000.00")
    rates = h.call(c, "rates")
    assert rates and all(isinstance(r.rate, Decimal) and r.rate > 0 for r in rates)
    coins = {coin.name.upper(): coin for coin in h.call(c, "coins")}
    assert "Tron (TRC-20)" in coins["USDT"].networks
    candles = h.call(c, "klines", "BTCUSDT", "15")
    assert candles and all(k.low <= min(k.open, k.close) <= max(k.open, k.close) <= k.high for k in candles)
    assert [k.ts for k in candles] == sorted((k.ts for k in candles), reverse=True)  # newest first, as live
    past = h.call(c, "kline_history", "BTCUSDT", "60", None, 5)
    assert len(past) == 5 and all(isinstance(k.close, Decimal) for k in past)
    empty = h.call(c, "depth", "BTCUSDT", "10")
    assert empty.asks == () and empty.bids == ()


def test_order_lifecycle_place_query_cancel(h: Harness) -> None:
    c = h.client()
    before = {b.coin: b for b in h.call(c, "balances")}
    assert before["USDT"].free == Decimal("100000") and before["USDT"].locked == 0
    placed = h.call(c, "place_order", "BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "50000", "mine-1")
    assert placed.accepted and placed.order_id and placed.price == Decimal("50000")
    locked = {b.coin: b for b in h.call(c, "balances")}["USDT"]
    assert (locked.free, locked.locked) == (Decimal("99950"), Decimal("50"))
    pending = h.call(c, "pending_orders", "BTCUSDT")
    assert [o.order_id for o in pending] == [placed.order_id]
    assert pending[0].status is OrderStatus.NEW and pending[0].client_id == "mine-1"
    book = h.call(c, "depth", "BTCUSDT", "0.01")
    assert [(lvl.price, lvl.volume) for lvl in book.bids] == [(Decimal("50000"), Decimal("0.001"))]
    detail = h.call(c, "order_detail", placed.order_id)
    assert detail.volume == Decimal("0.001") and detail.left_volume == Decimal("0.001")
    assert h.call(c, "cancel_orders", [(placed.order_id, "BTCUSDT")]) is None
    assert h.call(c, "order_detail", placed.order_id).status is OrderStatus.CANCELED
    assert h.call(c, "pending_orders", "BTCUSDT") == []
    page = h.call(c, "order_history", "BTCUSDT", 1, 10)
    assert page.total == 1 and page.orders[0].order_id == placed.order_id
    after = {b.coin: b for b in h.call(c, "balances")}
    assert (after["USDT"].free, after["USDT"].locked) == (Decimal("100000"), Decimal("0"))
    assert h.conserved()


def test_fills_between_two_accounts_and_fees(h: Harness) -> None:
    key, secret, _ = h.create_account(balances={"BTC": "1"})
    seller, buyer = h.client(key, secret), h.client()
    ask = h.call(seller, "place_order", "BTCUSDT", Side.SELL, OrderType.LIMIT, "0.01", "60000")
    bid = h.call(buyer, "place_order", "BTCUSDT", Side.BUY, OrderType.LIMIT, "0.004", "60000")
    assert ask.accepted and bid.accepted
    fills = h.call(buyer, "order_deals", bid.order_id, "BTCUSDT")
    assert len(fills) == 1
    f = fills[0]
    assert (f.price, f.volume, f.maker) == (Decimal("60000"), Decimal("0.004"), False)
    assert f.fee > 0 and f.fee_coin in ("BTC", "USDT")
    assert h.call(buyer, "order_detail", bid.order_id).status is OrderStatus.FILLED
    rest = h.call(seller, "order_detail", ask.order_id)
    assert rest.status is OrderStatus.PARTIALLY_FILLED and rest.deal_volume == Decimal("0.004")
    maker_fills = h.call(seller, "order_deals", ask.order_id, "BTCUSDT")
    assert [x.maker for x in maker_fills] == [True]
    assert h.call(buyer, "last_price", "BTCUSDT") == Decimal("60000")
    filtered = h.call(buyer, "order_history", "BTCUSDT", 1, 10, None, None, OrderStatus.FILLED, Side.BUY)
    assert [o.order_id for o in filtered.orders] == [bid.order_id]
    assert h.conserved()


def test_batch_placement_reports_each_order(h: Harness) -> None:
    c = h.client()
    results = h.call(
        c,
        "place_orders",
        [
            OrderRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal("50000")),
            OrderRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("3"), Decimal("70000")),
        ],
    )
    assert [r.accepted for r in results] == [True, False]
    assert results[1].place_code == "10034" and results[1].place_msg
    with pytest.raises(E.PlaceRefused) as refused:
        results[1].raise_for_refusal()
    assert refused.value.place_code == "10034"


def test_wallet_operations(h: Harness) -> None:
    c = h.client()
    _, _, other_uid = h.create_account()
    me = h.call(c, "user_info")
    assert isinstance(me.uid, int) and me.uid != other_uid
    wid = h.call(c, "withdraw", "USDT", "Tron (TRC-20)", TRON, "10")
    assert isinstance(wid, str) and wid
    listed = h.call(c, "withdrawals", "USDT", "withdraw")
    # The record shows what arrives: the 1 USDT network fee comes out of the amount (the docs' example).
    assert [(r.id, r.amount, r.address) for r in listed] == [(wid, Decimal("9"), TRON)]
    assert h.call(c, "cancel_withdraw", wid) is None
    tid = h.call(c, "inside_transfer", "USDT", "2.5", other_uid, "biz-1", "rent")
    assert isinstance(tid, str) and tid
    out = h.call(c, "withdrawals", None, None, None, None, None, None, "biz-1")
    assert [(r.id, r.amount, r.to_uid) for r in out] == [(tid, Decimal("2.5"), other_uid)]
    fid = h.call(c, "funds_transfer", "spot_futures", "USDT", "5")
    assert isinstance(fid, str) and fid
    deposits = h.call(c, "deposits", "USDT")
    assert deposits and all(d.coin == "USDT" and d.amount > 0 for d in deposits)
    addresses = h.call(c, "deposit_address", "BTC", "Bitcoin")
    assert addresses and all(a.address for a in addresses)
    usdt = {b.coin: b for b in h.call(c, "balances")}["USDT"]
    assert usdt.free + usdt.locked == Decimal("100000") - Decimal("2.5") - Decimal("5")
    assert h.conserved()


# ---------------------------------------------------------- every error code


def _exact(exc: BaseException, cls: type[E.ExchangeError]) -> None:
    assert type(exc) is cls, repr(exc)
    assert isinstance(exc, E.ExchangeError)
    assert (exc.exchange_code, exc.msg) == (cls.code, ERROR_TABLE[cls.code].msg)


def test_exchange_errors_raise_their_typed_exception(h: Harness) -> None:
    demo = h.client()
    _exact(h.raises(demo, "last_price", "NOPEUSDT"), E.ParameterError)
    _exact(h.raises(h.client("0" * 32, "nope"), "balances"), E.ApiKeyNotFound)
    _exact(h.raises(h.client(h.api_key, "wrong-secret"), "balances"), E.SignatureError)
    stale = h.client(clock_ms=lambda: int(datetime.now(UTC).timestamp() * 1000) - 120_000, resync_on_expired=False)
    _exact(h.raises(stale, "balances"), E.RequestExpired)
    h.set_profile("strict")  # nonce length is enforced only by the doc-pedantic profile
    _exact(h.raises(h.client(nonce=lambda: "short"), "balances"), E.NonceInvalid)
    h.set_profile("live")
    assert h.call(h.client(nonce=lambda: "short"), "balances")  # live: accepted (with a warning)
    fixed = h.client(nonce=lambda: "f" * 32)
    h.call(fixed, "balances")
    _exact(h.raises(fixed, "balances"), E.NonceReused)
    key, secret, _ = h.create_account(ip_whitelist=["203.0.113.7"], balances={"USDT": "1"})
    _exact(h.raises(h.client(key, secret), "balances"), E.IpNotAllowed)
    key, secret, _ = h.create_account(permissions=["read"], balances={"USDT": "1"})
    reader = h.client(key, secret)
    assert [b.coin for b in h.call(reader, "balances")] == ["USDT"]
    _exact(h.raises(reader, "place_order", "BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "60000"), E.NoAuthority)
    _exact(h.raises(demo, "withdraw", "USDT", "Tron (TRC-20)", TRON, "100001"), E.InsufficientBalance)
    _exact(
        h.raises(demo, "place_order", "BTCUSDT", Side.BUY, OrderType.LIMIT, "0.000001", "60000"),
        E.VolumePrecisionError,
    )
    _exact(
        h.raises(demo, "place_order", "BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "60000.001"),
        E.PricePrecisionError,
    )
    lost = h.client()
    lost.base_url = h.url + "/elsewhere"
    _exact(h.raises(lost, "balances"), E.NotFound)
    assert h.raises(lost, "balances").http_status == 404  # type: ignore[attr-defined]
    huge = h.raises(demo, "inside_transfer", "USDT", "1", 1, None, "x" * (1 << 20))
    _exact(huge, E.BodyTooLarge)
    assert h.conserved()


def test_signed_calls_need_credentials(h: Harness) -> None:
    anonymous = Client(h.url, transport=None) if not h.is_async else AsyncClient(h.url)
    anonymous.credentials = None
    with pytest.raises(ValueError, match="account is signed: pass api_key and secret"):
        h.call(anonymous, "balances")
    h.call(anonymous, "close" if not h.is_async else "aclose")
