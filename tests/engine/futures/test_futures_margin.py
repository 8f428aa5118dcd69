"""What opening orders freeze (F1, F3 of the futures attack): every order an account has open on a
symbol and side is margined as if all could fill, a sell is frozen at the worst price it can fill
at, and a fill never opens more than was frozen (no silent cap, no waived fee)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import OrderQuery, PositionQuery
from mockserver.engine.futures.names import HOUSE_ACCOUNT
from mockserver.futures_errors import FuturesError

from .conftest import World


def _house(w: World) -> D:
    """The house account's USDT, free and locked (it holds what it took over as margin)."""
    return w.ex._ledger.dec(
        w.ex._ledger.free_units(HOUSE_ACCOUNT, "USDT") + w.ex._ledger.locked_units(HOUSE_ACCOUNT, "USDT")
    )


def _summary(w: World, who: str) -> tuple[D, D, D]:
    s = w.f.account_summary(who)
    return s.available, s.frozen, s.margin


def test_resting_one_way_orders_share_the_position_they_close(w: World) -> None:
    carol = w.ex.create_account(account_id="carol").account_id
    w.f.fund(carol, D("60"))
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.01"), price=D("98000")))
    w.f.place(carol, R("BTCUSDT", "BUY", D("0.01"), order_type="MARKET"))
    assert _summary(w, carol) == (D("10.412"), D("0"), D("49"))
    # The first sell closes the long: it freezes only its taker fee (0.01 x 98100 x 0.06%).
    w.f.place(carol, R("BTCUSDT", "SELL", D("0.01"), price=D("98100")))
    assert _summary(w, carol) == (D("9.8234"), D("0.5886"), D("49"))
    # The second would open a short of its own: 49.05 margin + 0.5886 fee, which carol lacks.
    with pytest.raises(FuturesError) as e:
        w.f.place(carol, R("BTCUSDT", "SELL", D("0.01"), price=D("98100")))
    assert (e.value.code, e.value.msg) == ("20003", "Insufficient balance")
    assert _summary(w, carol) == (D("9.8234"), D("0.5886"), D("49"))
    assert w.ex.problems() == []


def test_a_position_closed_under_a_resting_flip_raises_its_freeze_or_cancels_it(w: World) -> None:
    carol = w.ex.create_account(account_id="carol").account_id
    w.f.fund(carol, D("100"))
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.01"), price=D("98000")))
    w.f.place(carol, R("BTCUSDT", "BUY", D("0.01"), order_type="MARKET"))
    flip = w.f.place(carol, R("BTCUSDT", "SELL", D("0.02"), price=D("98100")))
    # 0.01 of it opens: 49.05 margin, and the fee on all 0.02: 1.1772.
    assert _summary(w, carol) == (D("0.1848"), D("50.2272"), D("49"))
    (p,) = w.f.pending_positions(carol)
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("98000")))
    w.f.flash_close(carol, p.position_id)
    # Now all 0.02 would open (98.1 + 1.1772) and carol's 98.8240 cannot pay it: cancelled, not capped.
    assert w.f.order_detail(carol, order_id=flip.order_id).status == "CANCELED"
    assert _summary(w, carol) == (D("98.824"), D("0"), D("0"))
    assert w.ex.problems() == []


def test_a_sell_is_frozen_at_the_best_bid_it_would_hit(w: World) -> None:
    carol = w.ex.create_account(account_id="carol").account_id
    # Enough for a 0.1 sell at its own 94000 (470 + 5.64), not at the 102000 bid it would take.
    w.f.fund(carol, D("475.64"))
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.1"), price=D("102000")))
    with pytest.raises(FuturesError) as e:
        w.f.place(carol, R("BTCUSDT", "SELL", D("0.1"), price=D("94000")))
    assert (e.value.code, e.value.msg) == ("20003", "Insufficient balance")
    # With 510 + 6.12 it fills at 102000 with the full margin held and the fee charged.
    w.f.fund(carol, D("40.48"))
    o = w.f.place(carol, R("BTCUSDT", "SELL", D("0.1"), price=D("94000")))
    assert (o.status, o.fee) == ("FILLED", D("6.12"))
    (p,) = w.f.pending_positions(carol)
    assert (p.side, p.margin) == ("SHORT", D("510"))
    assert _summary(w, carol) == (D("0"), D("0"), D("510"))
    assert w.ex.problems() == []


def test_a_resting_sell_gives_back_what_its_taking_part_froze(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.05"), price=D("99000")))
    o = w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    # 0.05 filled at 99000 (247.5 margin); the resting 0.05 is frozen at its own 98000: 245 + 2.94.
    assert o.status == "PART_FILLED"
    assert _summary(w, w.bob)[1:] == (D("247.94"), D("247.5"))
    assert w.ex.problems() == []


def test_an_isolated_liquidation_loses_at_most_the_position_margin(w: World) -> None:
    w.f.change_margin_mode(w.bob, "BTCUSDT", "ISOLATION")
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.1"), order_type="MARKET"))
    # 490 margin held, 5.88 fee paid: 9504.12 free.
    assert _summary(w, w.bob) == (D("9504.12"), D("0"), D("490"))
    (p,) = w.f.pending_positions(w.bob)
    house_before = _house(w)
    # A gap far below the bankruptcy price (93100): the loss at 80000 is 1800, the margin 490.
    w.f.set_mark_price("BTCUSDT", D("80000"))
    assert w.f.pending_positions(w.bob) == []
    assert _summary(w, w.bob) == (D("9504.12"), D("0"), D("0"))
    # It filled at its bankruptcy price 93100 (a 490 loss); the house holds it from there, its own
    # 1310 loss at the 80000 mark unrealized.
    assert _house(w) == house_before
    (h,) = w.f.pending_positions(HOUSE_ACCOUNT)
    assert (h.side, h.qty, h.avg_open_price, h.unrealized_pnl) == ("LONG", D("0.1"), D("93100"), D("-1310"))
    (closed,) = w.f.history_positions(w.bob, PositionQuery()).items
    assert (closed.position_id, closed.margin, closed.liq_price) == (p.position_id, D("490"), p.liq_price)
    assert (closed.close_price, closed.realized_pnl) == (D("93100"), D("-490"))
    assert closed.liq_price == D("93473.8")
    assert w.ex.problems() == []


def test_modifying_a_post_only_order_to_a_crossing_price_cancels_it(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.01"), price=D("98000")))
    o = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), effect="POST_ONLY"))
    assert o.status == "NEW"
    m = w.f.modify_order(w.bob, order_id=o.order_id, qty=D("0.01"), price=D("98500"))
    assert m.status == "CANCELED"
    assert w.f.pending_positions(w.bob) == []
    assert _summary(w, w.bob) == (D("10000"), D("0"), D("0"))
    assert w.f.depth("BTCUSDT")[1] == [(D("98000"), D("0.01"))]
    assert w.ex.problems() == []


def test_klines_before_the_launch_are_empty(w: World) -> None:
    launch = w.f.contract("BTCUSDT").launch_time or 0
    assert w.f.klines("BTCUSDT", "1m", end_ms=launch, limit=5) == []
    assert w.f.klines("BTCUSDT", "1d", end_ms=-86_400_000 * 3, limit=5) == []
    first = w.f.klines("BTCUSDT", "1m", end_ms=launch + 120_000, limit=5)
    assert [k.open_ms for k in first] == [launch, launch + 60_000]


def test_funding_history_keeps_the_newest_thousand_rows(w: World) -> None:
    from mockserver.engine.futures.funding import FUNDING_HISTORY_KEPT

    assert FUNDING_HISTORY_KEPT == 1000
    for _ in range(1003):
        w.f.settle_funding("BTCUSDT")
    rows = w.f.export_state().funding_history["BTCUSDT"]
    assert len(rows) == 1000
    assert len(w.f.funding_history("BTCUSDT", limit=100)) == 100


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"tp_price": D("0")}, ("30041", "Trigger price must be greater than 0")),
        ({"tp_price": D("90000")}, None),
        ({"sl_price": D("99000")}, None),
        ({"tp_price": D("100000.05")}, None),
    ],
)
def test_a_market_orders_attached_tpsl_is_refused_as_the_tpsl_endpoints_refuse(
    w: World, fields: dict[str, D], refusal: tuple[str, str] | None
) -> None:
    from mockserver.engine.futures import TpslRequest

    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.01"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("98000")))
    (p,) = w.f.pending_positions(w.bob)
    # What the TP/SL endpoint answers for the same legs on the same (long) position.
    with pytest.raises(FuturesError) as want:
        w.f.position_tpsl_place(w.bob, TpslRequest("BTCUSDT", p.position_id, **fields))
    if refusal is not None:
        assert (want.value.code, want.value.msg) == refusal
    with pytest.raises(FuturesError) as got:
        w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), order_type="MARKET", **fields))
    assert (got.value.code, got.value.msg) == (want.value.code, want.value.msg)
    assert [o.order_id for o in w.f.pending_orders(w.bob, OrderQuery()).items] == []


@pytest.mark.parametrize(
    ("side", "fields", "refusal"),
    [
        ("BUY", {"tp_price": D("0")}, ("30041", "Trigger price must be greater than 0")),
        ("BUY", {"tp_price": D("97000")}, ("30008", "TP trigger price is less than average entry price")),
        ("BUY", {"sl_price": D("97000.1")}, ("30010", "SL trigger price is greater than average entry price")),
        ("SELL", {"tp_price": D("99000")}, ("30007", "TP trigger price is greater than average entry price")),
        ("SELL", {"sl_price": D("98999.9")}, ("30009", "SL trigger price is less than average entry price")),
        (
            "BUY",
            {"tp_price": D("100000.05")},
            ("10008", 'Parameter 100000.05 does not match, alternative value ["100000.0","100000.1"].'),
        ),
    ],
)
def test_a_limit_orders_attached_tpsl_is_judged_against_the_orders_price(
    w: World, side: str, fields: dict[str, D], refusal: tuple[str, str]
) -> None:
    price = D("97000") if side == "BUY" else D("99000")
    with pytest.raises(FuturesError) as got:
        w.f.place(w.bob, R("BTCUSDT", side, D("0.01"), price=price, **fields))
    assert (got.value.code, got.value.msg) == refusal
    assert [o.order_id for o in w.f.pending_orders(w.bob, OrderQuery()).items] == []


def test_the_official_demos_order_example_is_accepted_wherever_the_market_stands(w: World) -> None:
    # BUY 0.5 LIMIT 60000 with a TP at 61000 (MARK, LIMIT child at 61000.1), the mark near 98000.
    order = w.f.place(
        w.bob,
        R(
            "BTCUSDT",
            "BUY",
            D("0.5"),
            price=D("60000"),
            trade_side="OPEN",
            tp_price=D("61000"),
            tp_stop_type="MARK",
            tp_order_type="LIMIT",
            tp_order_price=D("61000.1"),
        ),
    )
    assert (order.status, order.tp_price, order.tp_order_price) == ("NEW", "61000", "61000.1")


def test_an_attached_limit_tp_keeps_its_type_and_price(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.01"), price=D("98000")))
    w.f.place(
        w.bob,
        R(
            "BTCUSDT",
            "BUY",
            D("0.01"),
            price=D("98000"),
            tp_price=D("105000"),
            tp_order_type="LIMIT",
            tp_order_price=D("106000"),
        ),
    )
    (t,) = w.f.tpsl_pending(w.bob)
    assert (t.tp_price, t.tp_order_type, t.tp_order_price) == (D("105000"), "LIMIT", D("106000"))
