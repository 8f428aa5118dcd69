"""Time drives the futures engine: ``advance`` settles funding at every settlement instant passed
(several at once after a long jump, each at its instant), fires TP/SL and liquidations, and is
idempotent."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from mockserver.engine.accounts import Balance, futures_wallet
from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import PositionQuery, TpslRequest, TradeQuery

from .conftest import T0, World, make_world

HOUR = 3_600_000


def test_a_long_jump_settles_every_instant_passed_and_a_second_advance_changes_nothing(w: World) -> None:
    # bob long 0.1 BTCUSDT (8 h funding) and 10 SOLUSDT (4 h funding), alice short both
    for symbol, qty, price in (("BTCUSDT", D("0.1"), D(98000)), ("SOLUSDT", D(10), D(180))):
        w.f.place(w.alice, R(symbol, "SELL", qty, price=price))
        w.f.place(w.bob, R(symbol, "BUY", qty, price=price))
    w.clock.advance(24 * HOUR + 1)
    w.f.advance()
    btc = w.f.funding_history("BTCUSDT")
    sol = w.f.funding_history("SOLUSDT")
    assert [r.funding_time for r in btc] == [T0 + h * HOUR for h in (24, 16, 8)]
    assert [r.funding_time for r in sol] == [T0 + h * HOUR for h in (24, 20, 16, 12, 8, 4)]
    # 0.1 x 98000 x 0.01 % = 0.98 three times; 10 x 180 x 0.01 % = 0.18 six times
    funding = {p.symbol: p.funding for p in w.f.pending_positions(w.bob)}
    assert funding == {"BTCUSDT": D("-2.94"), "SOLUSDT": D("-1.08")}
    assert (w.f.funding_info("BTCUSDT").next_funding_time, w.f.funding_info("SOLUSDT").next_funding_time) == (
        T0 + 32 * HOUR,
        T0 + 28 * HOUR,
    )
    settled = w.f.export_state()
    w.f.advance()
    w.f.advance(T0 + 24 * HOUR)  # an instant already passed
    w.f.advance(T0)  # the past
    assert w.f.export_state() == settled
    assert w.ex.problems() == []


def test_funding_drains_a_position_and_liquidates_it_at_the_instant_it_happens() -> None:
    w = make_world(D(100))
    w.f.open_position(w.bob, "BTCUSDT", "LONG", D("0.1"), leverage=125)  # margin 78.4, 21.6 free
    w.f.set_funding_rate("BTCUSDT", D("0.3"))  # 29.4 a settlement: free first, then margin
    w.clock.advance(40 * HOUR)
    w.f.advance()
    # T0+8h: 21.6 free + 7.8 margin (70.6 left); T0+16h: 29.4 (41.2 left, above the 39.2 maintenance);
    # T0+24h: 29.4 (11.8 left): liquidated there, at the mark, so T0+32h and T0+40h charge nothing
    assert w.f.pending_positions(w.bob) == []
    (closed,) = w.f.history_positions(w.bob, PositionQuery()).items
    assert (closed.liq_qty, closed.funding, closed.mtime, closed.close_price) == (
        D("0.1"),
        D("-88.2"),
        T0 + 24 * HOUR,
        D(98000),
    )
    liquidation, opening = w.f.history_trades(w.bob, TradeQuery()).items
    assert (liquidation.side, liquidation.ctime, opening.ctime) == ("SELL", T0 + 24 * HOUR, T0)
    assert w.ex.balances(futures_wallet(w.bob)) == {"USDT": Balance(D("11.8"), D(0))}
    assert len(w.f.funding_history("BTCUSDT")) == 5
    assert w.ex.problems() == []
    assert set(w.f.audit().values()) == {D(0)}


def test_advance_fires_the_tp_sl_and_liquidations_a_loaded_state_holds_due(w: World) -> None:
    # bob long 0.1 at 98000 with a position TP at 99000 (mark); alice short 0.1 at 98000, 20x
    # isolated; carol bids 0.1 at 99000 (what bob's TP sells to)
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D(98000)))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.1"), price=D(98000)))
    (bob,) = w.f.pending_positions(w.bob)
    tp = TpslRequest("BTCUSDT", bob.position_id, tp_price=D(99000), tp_stop_type="MARK_PRICE")
    w.f.position_tpsl_place(w.bob, tp)
    w.ex.create_account(account_id="carol")
    w.f.fund("carol", D(10000))
    w.f.place("carol", R("BTCUSDT", "BUY", D("0.1"), price=D(99000)))
    # A state from elsewhere (a restore) whose BTCUSDT mark already stands at 103000, past both
    # bob's TP and alice's liquidation price (about 102500): due, but not run.
    state = w.f.export_state()
    state.markets = [
        replace(m, mark_ticks=1_030_000, follow_last=False) if m.symbol == "BTCUSDT" else m for m in state.markets
    ]
    w.f.load_state(state)
    assert len(w.f.pending_positions(w.bob)) == len(w.f.pending_positions(w.alice)) == 1
    w.f.advance()
    assert w.f.pending_positions(w.bob) == []
    (t,) = w.f.tpsl_history(w.bob).items
    assert t.status == "FILLED"
    (closed,) = w.f.history_positions(w.bob, PositionQuery()).items
    assert (closed.close_price, closed.realized_pnl) == (D(99000), D(100))
    assert w.f.pending_positions(w.alice) == []
    (liquidated,) = w.f.history_positions(w.alice, PositionQuery()).items
    # isolated, the mark past its bankruptcy price 102900 (98000 + 490 margin / 0.1): it fills there
    assert (liquidated.liq_qty, liquidated.close_price, liquidated.realized_pnl) == (D("0.1"), D(102900), D(-490))
    after = w.f.export_state()
    w.f.advance()
    assert w.f.export_state() == after
    assert w.ex.problems() == []
