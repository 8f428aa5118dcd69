"""The order store's indexes and the placement entries: what callers see of them.

The store keeps orders by id (in order of arrival), by account and by (account, client id), and
each order's fills; ``place`` takes Decimal figures and ``place_ticks`` grid steps into the one
placement path. These tests pin the orders callers get, in their orders, with the exact errors.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, Inexact

import pytest

from mockserver.clock import Clock
from mockserver.engine import (
    Exchange,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    PlaceRequest,
    Role,
    Side,
    load_markets,
)
from mockserver.errors import BitunixError, PlaceRefusal

MARKETS = load_markets()


def _exchange() -> tuple[Exchange, str, str]:
    ex = Exchange(MARKETS, clock=Clock(frozen_at_ms=1_760_000_000_000), seed=7)
    a = ex.create_account(balances={"USDT": Decimal(10**9), "BTC": Decimal(10**4)}).account_id
    b = ex.create_account(balances={"USDT": Decimal(10**9), "BTC": Decimal(10**4)}).account_id
    return ex, a, b


def _limit(side: Side, volume: str, price: str, client_id: str | None = None) -> PlaceRequest:
    return PlaceRequest("BTCUSDT", side, OrderType.LIMIT, Decimal(volume), Decimal(price), client_id)


def _busy() -> tuple[Exchange, str, str, list[Order]]:
    """Two accounts, interleaved resting orders, client ids, and trades (so fills of one and of several)."""
    ex, a, b = _exchange()
    placed = []
    for i in range(300):
        who = a if i % 3 else b
        side = Side.BUY if i % 2 else Side.SELL
        price = 64000 - 1 - i % 50 if side is Side.BUY else 64000 + 1 + i % 50
        placed.append(ex.place(who, _limit(side, "0.01", str(price), f"c{i % 7}" if i % 5 == 0 else None)))
    # b sweeps several of a's asks: one taker order with many fills, makers with one or two.
    placed.append(ex.place(b, _limit(Side.BUY, "0.05", "64003")))
    placed.append(ex.place(a, _limit(Side.SELL, "0.003", "63999")))
    placed.append(ex.place(a, _limit(Side.SELL, "0.004", "63999")))
    return ex, a, b, placed


def test_every_order_iterates_oldest_first_and_each_account_newest_first() -> None:
    ex, a, b, placed = _busy()
    assert list(ex.orders) == [o.order_id for o in placed]
    assert list(ex.orders.values()) == placed
    assert [k for k, _ in ex.orders.items()] == [o.order_id for o in placed]
    assert all(ex.orders[o.order_id] is o and o.order_id in ex.orders for o in placed)
    assert len(ex.orders) == len(placed) and "nope" not in ex.orders and ex.orders.get("nope") is None
    with pytest.raises(KeyError):
        ex.orders["nope"]
    assert ex.orders_of(a) == [o for o in placed if o.account_id == a]
    total, page = ex.history(a, _history())
    mine = [o for o in reversed(placed) if o.account_id == a]
    assert total == len(mine) and page == mine[:10]
    assert ex.open_orders(b, "BTCUSDT") == [o for o in reversed(placed) if o.account_id == b and o.status.is_open]
    assert dict(ex.orders) == {o.order_id: o for o in placed} and ex.orders != {}
    assert not ex.problems()


def _history() -> object:
    from mockserver.engine import HistoryQuery

    return HistoryQuery("BTCUSDT", page=1, page_size=10)


def test_fills_read_as_fills_oldest_first_and_snapshots_round_trip() -> None:
    ex, a, b, placed = _busy()
    sweep = placed[-3]
    fills = ex.fills(b, sweep.order_id)
    assert len(fills) > 1 and all(type(f) is Fill for f in fills)
    assert [f.price for f in fills] == sorted(f.price for f in fills)  # best (lowest ask) first
    assert {f.side for f in fills} == {Side.BUY} and {f.role for f in fills} == {Role.TAKER}
    assert all(f.grid is sweep.grid for f in fills)
    assert sum(f.volume for f in fills) == sweep.deal_volume and sum(f.fee for f in fills) == sweep.fee
    assert ex.fills(b, sweep.order_id) == fills and ex.fills(a, sweep.order_id) == []
    quiet = placed[1]
    assert ex.fills(quiet.account_id, quiet.order_id) == [] and ex.fills(b, "nope") == []
    # A fill list read twice is equal, not shared: nobody can change the store through it.
    assert ex.fills(b, sweep.order_id) == fills and ex.fills(b, sweep.order_id) is not fills
    state = ex.export_state()
    again = Exchange.from_state(MARKETS, state, clock=Clock(frozen_at_ms=1_760_000_000_000))
    assert again.export_state() == state
    assert list(again.orders) == list(ex.orders)
    assert again.orders_of(a) == [again.orders[o.order_id] for o in ex.orders_of(a)]
    assert again.fills(b, sweep.order_id) == fills
    assert not again.problems()


def test_forgetting_an_account_keeps_the_others_in_order() -> None:
    ex, a, b, placed = _busy()
    ex.forget_orders(a)
    kept = [o for o in placed if o.account_id == b]
    assert list(ex.orders.values()) == kept
    assert ex.orders_of(a) == [] and ex.orders_of(b) == kept
    assert all(o.order_id not in ex.orders and ex.fills(a, o.order_id) == [] for o in placed if o.account_id == a)
    assert not ex.problems()
    after = ex.place(a, _limit(Side.BUY, "0.01", "63000"))
    assert list(ex.orders.values()) == [*kept, after]


def test_a_cancel_by_client_id_stalls_exactly_that_clients_open_orders() -> None:
    ex, a, _, placed = _busy()
    stalled = ex.cancel_by_client_id(a, "c0")
    want = [o for o in placed if o.account_id == a and o.client_id == "c0" and o.status.is_open]
    assert stalled == len(want) > 0
    assert all(o.cancel_blocked_until for o in want)
    assert not ex.cancel(a, want[0].order_id)  # stuck, as live does


def test_the_store_refuses_a_second_order_with_one_id() -> None:
    ex, a, _ = _exchange()
    o = ex.place(a, _limit(Side.BUY, "0.01", "60000"))
    with pytest.raises(ValueError, match="already exists"):
        ex._store.add(o)


def _outcome(call: Callable[[], Order]) -> tuple[str, str]:
    try:
        o = call()
    except (BitunixError, PlaceRefusal, ArithmeticError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", f"{o.side.name} {o.volume}@{o.price} {o.status.name}"


@pytest.mark.parametrize(
    ("volume", "price", "outcome"),
    [
        ("0.01", "60000", ("ok", "BUY 0.01@60000 NEW")),
        ("0.010000", "60000.00", ("ok", "BUY 0.01@60000 NEW")),
        ("0.01", "60000.001", ("PricePrecisionError", "10059 Price precision error (price has more than 2 decimals)")),
        (
            "0.000000001",
            "60000",
            ("VolumePrecisionError", "10058 Volume precision error (volume has more than 5 decimals)"),
        ),
        ("0", "60000", ("ParameterError", "2 Parameter error (volume must be greater than 0)")),
        ("-0.01", "60000", ("ParameterError", "2 Parameter error (volume must be greater than 0)")),
        ("0.01", "0", ("ParameterError", "2 Parameter error (price must be greater than 0 for a limit order)")),
        ("0.01", "-1", ("ParameterError", "2 Parameter error (price must be greater than 0 for a limit order)")),
        ("NaN", "60000", ("ParameterError", "2 Parameter error (volume must be a finite number, not NaN)")),
        ("0.01", "Infinity", ("ParameterError", "2 Parameter error (price must be a finite number, not Infinity)")),
        ("1E+40", "60000", ("ParameterError", "2 Parameter error (volume has more than 40 integer digits)")),
        (
            "0.01",
            "1E+39",
            (
                "MaxAmountExceeded",
                "910003 amount above maxAmount "
                "(price*volume 10000000000000000000000000000000000000 > maxAmount 1000000.0000000000000000)",
            ),
        ),
        ("1E-61", "60000", ("ParameterError", "2 Parameter error (volume has more than 60 decimals)")),
        ("1." + "0" * 70, "60000", ("ok", "BUY 1@60000 NEW")),  # 70 decimals, all zeros: whole, and fine
        # Longer than the exact context's 120 digits.
        ("0." + "1" * 130, "60000", ("ParameterError", "2 Parameter error (volume has more than 60 decimals)")),
        (
            "0.00001",
            "60000",
            (
                "MinVolumeNotMet",
                "910001 volume below minVolume (volume 0.00001 < minVolume 0.0000500000000000)",
            ),
        ),
        (
            "5000",
            "60000",
            (
                "MaxAmountExceeded",
                "910003 amount above maxAmount (price*volume 300000000 > maxAmount 1000000.0000000000000000)",
            ),
        ),
        (
            "0.01",
            "10",
            ("MinAmountNotMet", "910002 amount below minPrice (price*volume 0.1 < minPrice 5.0000000000000000)"),
        ),
        (
            "1",
            "12000",
            (
                "PriceOutsideBand",
                "910005 price outside the allowed range "
                "(buy price 12000 below 12800.0 = last 64000 x (1 + minBuyPriceOffset -0.8))",
            ),
        ),
    ],
)
def test_a_decimal_limit_request_is_placed_or_refused_with_its_exact_error(
    volume: str, price: str, outcome: tuple[str, str]
) -> None:
    """Each check of ``place`` in the order the exchange reports them (pinned from the engine before issue #20)."""
    ex, a, _ = _exchange()
    before = ex.export_state()
    assert _outcome(lambda: ex.place(a, _limit(Side.BUY, volume, price))) == outcome
    if outcome[0] != "ok":
        assert ex.export_state() == before  # a refusal changes nothing, not even an id


@pytest.mark.parametrize(
    ("price", "lots", "error"),
    [
        (0, 1000, "price must be a positive whole number"),
        (-5, 1000, "price must be a positive whole number"),
        (6_000_000, 0, "volume must be a positive whole number"),
        (6_000_000.0, 1000, "price must be a positive whole number"),
        (6_000_000, True, "volume must be a positive whole number"),
        (10**42, 1000, "price has more than 40 integer digits"),
        (6_000_000, 10**48, "volume has more than 40 integer digits"),
        (10**42, 0, "price has more than 40 integer digits"),  # price first
    ],
)
def test_place_ticks_refuses_steps_price_first(price: object, lots: object, error: str) -> None:
    ex, a, _ = _exchange()
    with pytest.raises(BitunixError, match=error):
        ex.place_ticks(a, "BTCUSDT", Side.BUY, price, lots)  # type: ignore[arg-type]
    assert len(ex.orders) == 0


def test_the_book_keeps_its_best_prices_through_adds_trades_and_cancels() -> None:
    ex, a, b = _exchange()
    book = ex.venue("BTCUSDT").book
    assert book.best_bid is None and book.best_ask is None
    bids = [ex.place_ticks(a, "BTCUSDT", Side.BUY, t, 1000) for t in (6_390_000, 6_395_000, 6_380_000)]
    asks = [ex.place_ticks(a, "BTCUSDT", Side.SELL, t, 1000) for t in (6_410_000, 6_405_000)]
    assert (book.best_bid, book.best_ask) == (6_395_000, 6_405_000)
    assert book.best_ticks(Side.BUY) == 6_395_000 and book.best(Side.SELL) == Decimal("64050")
    assert ex.cancel(a, bids[0].order_id)  # not the best: the best stays
    assert book.best_bid == 6_395_000
    ex.place_ticks(b, "BTCUSDT", Side.SELL, 6_395_000, 1000)  # takes the best bid whole
    assert book.best_bid == 6_380_000 and bids[1].status is OrderStatus.FILLED
    assert ex.cancel(a, asks[1].order_id)
    assert book.best_ask == 6_410_000
    assert ex.cancel(a, asks[0].order_id) and ex.cancel(a, bids[2].order_id)
    assert book.best_bid is None and book.best_ask is None
    assert not ex.problems()


def test_a_market_sweep_and_a_self_trade_settle_exactly() -> None:
    ex, a, b = _exchange()
    for t in (6_400_000, 6_401_000, 6_402_000):
        ex.place_ticks(a, "BTCUSDT", Side.SELL, t, 500)
    ex.place(b, PlaceRequest("BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("50"), None))
    ex.place_ticks(a, "BTCUSDT", Side.BUY, 6_402_000, 200)  # a takes its own ask
    assert all(v == 0 for v in ex.audit().values())
    assert not ex.problems()
    with pytest.raises(Inexact):  # the exact context still traps: a sanity check of the helper itself
        from mockserver.engine.money import EXACT

        EXACT.scaleb(Decimal("0." + "1" * 130), 2)
