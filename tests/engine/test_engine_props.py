"""Properties of the matching engine under random order flow (pure engine, no HTTP)."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.engine import (
    Exchange,
    LiquidityProvider,
    Order,
    OrderStatus,
    OrderType,
    PlaceRequest,
    Side,
    load_markets,
)
from mockserver.engine.money import ZERO, add, dec, fmt, mul, text
from mockserver.errors import BitunixError, PlaceRefusal

from ..helpers import examples

MARKETS = load_markets()

# One step: (account index, action, side, type, price offset in ticks, size in lots, cancel pick)
step = st.tuples(
    st.integers(0, 2),
    st.sampled_from(["place", "place", "place", "cancel"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET]),
    st.integers(-40, 40),
    st.integers(1, 4000),
    st.integers(0, 10_000),
)


def _exchange(seed: int, liquidity: bool) -> tuple[Exchange, list[str]]:
    ex = Exchange(MARKETS, seed=seed)
    if liquidity:
        lp = LiquidityProvider(ex, levels=4, seed=seed)
        ex.after_match.append(lp.replenish)
        lp.seed_all()
    accounts = [
        ex.create_account(balances={"USDT": Decimal(20_000), "BTC": Decimal("0.5")}).account_id for _ in range(3)
    ]
    return ex, accounts


def _apply(ex: Exchange, accounts: list[str], s: tuple[int, str, Side, OrderType, int, int, int]) -> Order | None:
    who, action, side, kind, offset, lots, pick = s
    m = ex.markets.get("BTCUSDT")
    assert m is not None
    acct = accounts[who]
    if action == "cancel":
        opens = [o for o in ex.orders.values() if o.account_id == acct and o.status.is_open]
        if opens:
            assert ex.cancel(acct, opens[pick % len(opens)].order_id)
        return None
    price = Decimal(64000) + offset * Decimal(5)
    volume = lots * Decimal("0.00005")
    if kind is OrderType.MARKET and side is Side.BUY:
        volume = Decimal(lots)  # quote to spend
    try:
        return ex.place(acct, PlaceRequest("BTCUSDT", side, kind, volume, price))
    except (BitunixError, PlaceRefusal):
        return None


def _check_invariants(ex: Exchange) -> None:
    assert all(v == 0 for v in ex.audit().values()), ex.audit()
    assert ex.problems() == []
    for book in (v.book for v in ex.venues.values()):
        assert not book.is_crossed()
    for acct in ex.accounts:
        for coin, bal in ex._ledger.balances_of(acct).items():
            assert bal.free >= 0 and bal.locked >= 0
            locked = ZERO
            for o in ex.orders.values():
                if o.account_id == acct and o.status.is_open and o.lock_coin == coin:
                    locked = add(locked, o.locked)
            assert locked == bal.locked, (acct, coin)
    for o in ex.orders.values():
        market_buy = o.type is OrderType.MARKET and o.side is Side.BUY
        if not market_buy:
            assert add(o.deal_volume, o.left_volume) == o.volume
        fills = ex.fills(o.account_id, o.order_id)
        assert sum((f.volume for f in fills), ZERO) == o.deal_volume
        assert sum((f.amount for f in fills), ZERO) == o.deal_amount
        if o.status is OrderStatus.NEW:
            assert not fills
        if o.status is OrderStatus.PARTIALLY_FILLED:
            assert fills and o.left_volume > 0
        if o.status is OrderStatus.FILLED and not market_buy:
            assert o.left_volume == 0
        if o.status.is_open:
            assert o.type is OrderType.LIMIT and o.locked > 0
            expected = mul(o.price, o.left_volume) if o.side is Side.BUY else o.left_volume
            assert o.locked == expected


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), liquidity=st.booleans(), steps=st.lists(step, min_size=1, max_size=40))
def test_random_flow_keeps_every_invariant(seed: int, liquidity: bool, steps: list) -> None:  # type: ignore[type-arg]
    ex, accounts = _exchange(seed, liquidity)
    for s in steps:
        order = _apply(ex, accounts, s)
        _check_invariants(ex)
        if order is not None:
            book = ex.venue(order.symbol).book
            fills = ex.fills(order.account_id, order.order_id)
            taker_fills = [f for f in fills if f.role == 2]
            # A taker never trades at a price worse than what is left on the other side.
            best_left = book.best(Side.SELL if order.side is Side.BUY else Side.BUY)
            for f in taker_fills:
                if best_left is not None:
                    assert (f.price <= best_left) if order.side is Side.BUY else (f.price >= best_left)
                if order.type is OrderType.LIMIT:
                    assert (f.price <= order.price) if order.side is Side.BUY else (f.price >= order.price)


def test_price_time_priority() -> None:
    ex, (a, b, c) = _exchange(1, liquidity=False)
    first = ex.place(a, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"), Decimal(64010)))
    second = ex.place(b, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"), Decimal(64010)))
    better = ex.place(b, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"), Decimal(64005)))
    taker = ex.place(c, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.015"), Decimal(64020)))
    assert [(f.price, f.volume) for f in ex.fills(taker.account_id, taker.order_id)] == [
        (Decimal(64005), Decimal("0.01")),
        (Decimal(64010), Decimal("0.005")),
    ]
    assert better.status is OrderStatus.FILLED
    assert first.status is OrderStatus.PARTIALLY_FILLED and first.deal_volume == Decimal("0.005")
    assert second.status is OrderStatus.NEW and second.deal_volume == 0
    assert taker.status is OrderStatus.FILLED


def test_market_buy_spends_quote_and_releases_dust() -> None:
    ex, (a, b, _) = _exchange(2, liquidity=False)
    ex.place(a, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"), Decimal(60000)))
    order = ex.place(b, PlaceRequest("BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("300.01"), None))
    assert order.deal_volume == Decimal("0.005") and order.deal_amount == Decimal(300)
    assert order.status is OrderStatus.FILLED
    assert ex._ledger.balance(b, "USDT").locked == 0
    assert ex._ledger.balance(b, "USDT").free == Decimal(20_000) - Decimal(300)


def test_market_order_on_an_empty_side_is_cancelled() -> None:
    ex, (a, _, _) = _exchange(3, liquidity=False)
    order = ex.place(a, PlaceRequest("BTCUSDT", Side.SELL, OrderType.MARKET, Decimal("0.1"), None))
    assert order.status is OrderStatus.CANCELED and ex._ledger.balance(a, "BTC").free == Decimal("0.5")


def test_partial_market_fill_is_partially_cancelled() -> None:
    ex, (a, b, _) = _exchange(4, liquidity=False)
    ex.place(a, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal(60000)))
    order = ex.place(b, PlaceRequest("BTCUSDT", Side.SELL, OrderType.MARKET, Decimal("0.05"), None))
    assert order.status is OrderStatus.PARTIALLY_CANCELED and order.deal_volume == Decimal("0.01")
    assert ex._ledger.balance(b, "BTC").free == Decimal("0.49")


@settings(max_examples=examples(60), deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(-40, 40), st.integers(1, 30)),
        min_size=1,
        max_size=30,
    )
)
def test_the_integer_entry_places_exactly_like_the_decimal_one(steps: list[tuple[Side, int, int]]) -> None:
    """``place_ticks`` (ticks and lots) and ``place`` (Decimal) leave identical exchanges behind."""
    from dataclasses import asdict

    from mockserver.clock import Clock

    results = []
    for use_ticks in (False, True):
        ex = Exchange(MARKETS, seed=7, clock=Clock(frozen_at_ms=1_760_000_000_000))
        a, b = (ex.create_account(balances={"USDT": Decimal(20_000), "BTC": Decimal("0.5")}).account_id for _ in "ab")
        m = ex.market("BTCUSDT")
        outcomes = []
        for i, (side, off, lots) in enumerate(steps):
            who = a if i % 2 else b
            ticks = 6_400_000 + off * 100
            try:
                if use_ticks:
                    ex.place_ticks(who, "BTCUSDT", side, ticks, lots * 100)
                else:
                    price = Decimal(ticks).scaleb(-m.quote_precision)
                    volume = Decimal(lots * 100).scaleb(-m.base_precision)
                    ex.place(who, PlaceRequest("BTCUSDT", side, OrderType.LIMIT, volume, price))
                outcomes.append("placed")
            except (BitunixError, PlaceRefusal) as refusal:
                outcomes.append(type(refusal).__name__)
        _check_invariants(ex)
        state = asdict(ex.export_state())
        text = json.dumps(state, default=lambda d: str(d.normalize()) if isinstance(d, Decimal) else str(d))
        results.append((outcomes, text))
    assert results[0] == results[1]


@given(n=st.integers(min_value=-(10**60), max_value=10**60), places=st.integers(min_value=0, max_value=80))
def test_integer_text_is_the_decimal_formatting(n: int, places: int) -> None:
    """``text`` (the account read's formatter) writes what ``fmt(dec(...))`` writes, without a Decimal."""
    assert text(n, places) == fmt(dec(n, places))


def test_the_account_read_shows_each_balance_as_before() -> None:
    ex = Exchange(MARKETS, seed=1)
    acct = ex.create_account(balances={"USDT": Decimal("1000.5"), "BTC": Decimal("0.00000001"), "ETH": Decimal(0)})
    ex.place(acct.account_id, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal("20000.1")))
    shown = ex.balance_texts(acct.account_id)
    assert shown == [(c, fmt(b.free), fmt(b.locked)) for c, b in ex.balances(acct.account_id).items()]
    assert shown == [("BTC", "0.00000001", "0"), ("ETH", "0", "0"), ("USDT", "980.4999", "20.0001")]
