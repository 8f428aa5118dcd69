"""Positions: one-way and hedge semantics, positionId life cycle, PnL, leverage and mode changes."""

from __future__ import annotations

from decimal import Decimal as D
from functools import partial

import pytest

from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import PositionQuery
from mockserver.futures_errors import FuturesError

from .conftest import World


def trade(w: World, buyer: str, seller: str, qty: str, price: str, **buy: object) -> None:
    """``seller`` rests a limit sell, ``buyer`` takes it (buyer's request gets ``buy`` fields)."""
    sell = {k[5:]: v for k, v in buy.items() if k.startswith("sell_")}
    take = {k: v for k, v in buy.items() if not k.startswith("sell_")}
    w.f.place(seller, R("BTCUSDT", "SELL", D(qty), price=D(price), **sell))  # type: ignore[arg-type]
    w.f.place(buyer, R("BTCUSDT", "BUY", D(qty), price=D(price), **take))  # type: ignore[arg-type]


def test_one_way_open_partial_close_keeps_the_id_and_a_reopen_gets_a_new_one(w: World) -> None:
    trade(w, w.bob, w.alice, "0.1", "98000")
    (p,) = w.f.pending_positions(w.bob, "BTCUSDT")
    assert (p.side, p.qty, p.position_mode) == ("LONG", D("0.1"), "ONE_WAY")
    # bob sells 0.04 back at 99000: +40 realized (fees apart)
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.04"), price=D("99000")))
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.04"), price=D("99000"), reduce_only=True))
    (q,) = w.f.pending_positions(w.bob)
    assert (q.position_id, q.qty, q.realized_pnl, q.entry_value) == (p.position_id, D("0.06"), D("40"), D("5880"))
    # the rest at 97000: -60; flat, into the history
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.06"), price=D("97000")))
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.06"), price=D("97000"), reduce_only=True))
    assert w.f.pending_positions(w.bob) == []
    hist = w.f.history_positions(w.bob, PositionQuery(symbol="BTCUSDT"))
    (h,) = hist.items
    assert (hist.total, h.position_id, h.max_qty, h.entry_price, h.close_price, h.realized_pnl, h.liq_qty) == (
        1,
        p.position_id,
        D("0.1"),
        D("98000"),
        D("97800"),
        D("-20"),
        D("0"),
    )
    # taker fees at 0.0006 on 9800, 0.04 x 99000 and 0.06 x 97000
    assert h.fee == D("5.88") + D("2.376") + D("3.492")
    trade(w, w.bob, w.alice, "0.01", "97000")
    (r,) = w.f.pending_positions(w.bob)
    assert r.position_id != p.position_id
    assert w.ex.problems() == []
    assert all(v == 0 for v in w.f.audit().values())


def test_one_way_an_opposite_order_closes_then_opens_the_rest(w: World) -> None:
    trade(w, w.bob, w.alice, "0.1", "98000")
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.3"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.3"), order_type="MARKET"))
    (p,) = w.f.pending_positions(w.bob)
    assert (p.side, p.qty) == ("SHORT", D("0.2"))
    assert w.ex.problems() == []


def test_reduce_only_refusals_and_clipping(w: World) -> None:
    trade(w, w.bob, w.alice, "0.1", "98000")
    with pytest.raises(FuturesError) as e:
        w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), reduce_only=True))
    assert (e.value.code, e.value.msg) == (
        "30019",
        "Order failed. A [Reduce-only] order can not be in the same direction as the open position",
    )
    o = w.f.place(w.bob, R("BTCUSDT", "SELL", D("5"), price=D("99000"), reduce_only=True))
    assert (o.qty, o.reduce_only) == (D("0.1"), True)
    assert w.f.account_summary(w.bob).frozen == D("0")  # a close freezes nothing
    # the position shrinks elsewhere: the resting close shrinks with it
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.03"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.03"), order_type="MARKET", reduce_only=True))
    assert w.f.order_detail(w.bob, order_id=o.order_id).qty == D("0.07")
    assert w.ex.problems() == []


def test_hedge_mode_buy_close_closes_the_long_and_reads_as_a_sell(w: World) -> None:
    assert w.f.change_position_mode(w.bob, "HEDGE") == "HEDGE"
    assert w.f.position_mode(w.bob) == "HEDGE"
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.1"), price=D("98000"), trade_side="OPEN"))
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.05"), price=D("97900")))
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.05"), order_type="MARKET", trade_side="OPEN"))
    long, short = sorted(w.f.pending_positions(w.bob), key=lambda p: p.side)
    assert (long.side, long.qty, short.side, short.qty) == ("LONG", D("0.1"), "SHORT", D("0.05"))
    with pytest.raises(FuturesError) as e:
        w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.1"), order_type="MARKET"))
    assert (e.value.code, e.value.msg) == ("10002", "Parameter Error")
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.04"), price=D("98100")))
    c = w.f.place(
        w.bob,
        R("BTCUSDT", "BUY", D("0.04"), order_type="MARKET", trade_side="CLOSE", position_id=long.position_id),
    )
    assert (c.side, c.reduce_only, c.trade_side, c.status, c.position_id) == (
        "SELL",
        True,
        "CLOSE",
        "FILLED",
        long.position_id,
    )
    (still,) = [p for p in w.f.pending_positions(w.bob) if p.side == "LONG"]
    assert (still.position_id, still.qty, still.realized_pnl) == (long.position_id, D("0.06"), D("4"))
    with pytest.raises(FuturesError) as e:
        w.f.place(
            w.bob, R("BTCUSDT", "SELL", D("0.01"), price=D("98000"), trade_side="CLOSE", position_id=long.position_id)
        )
    assert (e.value.code, e.value.msg) == (
        "30019",
        "Order failed. A [Reduce-only] order can not be in the same direction as the open position",
    )
    with pytest.raises(FuturesError) as e:
        w.f.change_position_mode(w.bob, "ONE_WAY")
    assert (e.value.code, e.value.msg) == ("20009", "Position exists, so positions mode cannot be updated")
    assert w.ex.problems() == []


def test_flash_close_and_close_all(w: World) -> None:
    trade(w, w.bob, w.alice, "0.1", "98000")
    (p,) = w.f.pending_positions(w.bob)
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("1"), price=D("97500")))
    assert w.f.flash_close(w.bob, p.position_id) == p.position_id
    assert w.f.pending_positions(w.bob) == []
    assert w.f.history_positions(w.bob, PositionQuery()).items[0].close_price == D("97500")
    with pytest.raises(FuturesError) as e:
        w.f.flash_close(w.bob, p.position_id)
    assert (e.value.code, e.value.msg) == ("30004", "Position not exist")
    assert w.f.pending_positions(w.alice) == []  # her bid bought her short back
    w.f.cancel_all_orders(w.alice, "BTCUSDT")
    trade(w, w.bob, w.alice, "0.1", "98000")
    (short,) = w.f.pending_positions(w.alice)
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("1"), price=D("98100")))
    assert w.f.close_all_positions(w.alice, "BTCUSDT") == [short.position_id]
    assert w.f.pending_positions(w.alice) == []
    assert w.f.pending_positions(w.bob) == []
    assert w.ex.problems() == []


def test_leverage_and_margin_mode(w: World) -> None:
    lm = w.f.leverage_margin_mode(w.alice, "BTCUSDT")
    assert (lm.leverage, lm.margin_mode, lm.margin_coin) == (20, "ISOLATION", "USDT")
    for bad in (0, 126):
        with pytest.raises(FuturesError) as e:
            w.f.change_leverage(w.alice, "BTCUSDT", bad)
        assert (e.value.code, e.value.msg) == ("20005", "Invalid leverage")
    assert w.f.change_leverage(w.alice, "BTCUSDT", 125).leverage == 125
    o = w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000")))
    for call in (
        partial(w.f.change_leverage, w.alice, "BTCUSDT", 10),
        partial(w.f.change_margin_mode, w.alice, "BTCUSDT", "CROSS"),
    ):
        with pytest.raises(FuturesError) as e:
            call()
        assert (e.value.code, e.value.msg) == (
            "20006",
            "You can't change leverage or margin mode as there are open orders",
        )
    w.f.cancel_orders(w.alice, "BTCUSDT", [(o.order_id, None)])
    assert w.f.change_margin_mode(w.alice, "BTCUSDT", "CROSS").margin_mode == "CROSS"
    (ts,) = w.f.trading_settings(w.alice, ["btcusdt"])
    assert (ts.symbol, ts.leverage, ts.margin_mode, ts.long_leverage, ts.short_leverage) == (
        "BTCUSDT",
        125,
        "CROSS",
        125,
        125,
    )
    # a position at 125x: 0.1 x 98000 = 9800 value; 200x is out of range, 100x would need more margin
    trade(w, w.alice, w.bob, "0.1", "98000")
    (p,) = w.f.pending_positions(w.alice)
    assert (p.margin, p.margin_mode) == (D("78.4"), "CROSS")
    w.f.change_leverage(w.alice, "BTCUSDT", 100)
    assert w.f.pending_positions(w.alice)[0].margin == D("98")
    with pytest.raises(FuturesError) as e:
        w.f.change_margin_mode(w.alice, "BTCUSDT", "ISOLATION")
    assert e.value.code == "20006"
    assert w.ex.problems() == []


def test_adjust_isolated_margin(w: World) -> None:
    trade(w, w.bob, w.alice, "0.1", "98000")
    (p,) = w.f.pending_positions(w.bob)
    w.f.adjust_position_margin(w.bob, "BTCUSDT", D("100"), side="LONG")
    assert w.f.pending_positions(w.bob)[0].margin == D("590")
    w.f.adjust_position_margin(w.bob, "BTCUSDT", D("-100"), position_id=p.position_id)
    assert w.f.pending_positions(w.bob)[0].margin == D("490")
    with pytest.raises(FuturesError) as e:
        w.f.adjust_position_margin(w.bob, "BTCUSDT", D("-1"), position_id=p.position_id)
    assert (e.value.code, e.value.msg) == ("20008", "Insufficient amount")
    with pytest.raises(FuturesError) as e:
        w.f.adjust_position_margin(w.bob, "BTCUSDT", D("1000000"), side="LONG")
    assert (e.value.code, e.value.msg) == ("20003", "Insufficient balance")
    with pytest.raises(FuturesError) as e:
        w.f.adjust_position_margin(w.bob, "BTCUSDT", D("1"), side="SHORT")
    assert (e.value.code, e.value.msg) == ("30004", "Position not exist")
    assert w.ex.problems() == []
