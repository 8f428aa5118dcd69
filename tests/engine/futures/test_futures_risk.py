"""Mark price, funding at the clock's settlement instants, liquidation, TP/SL, market data, state."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import PositionQuery, TpslRequest
from mockserver.futures_errors import FuturesError

from .conftest import T0, World

EIGHT_H = 8 * 3_600_000


def long_bob(w: World, qty: str = "0.1", price: str = "98000") -> str:
    w.f.place(w.alice, R("BTCUSDT", "SELL", D(qty), price=D(price)))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D(qty), price=D(price)))
    (p,) = w.f.pending_positions(w.bob)
    return p.position_id


def test_the_mark_follows_the_last_price_until_set(w: World) -> None:
    long_bob(w, price="98500")
    assert w.f.funding_info("BTCUSDT").mark_price == D("98500")
    w.f.set_mark_price("BTCUSDT", D("99000"))
    w.f.set_index_price("BTCUSDT", D("99010"))
    info = w.f.funding_info("BTCUSDT")
    assert (info.mark_price, info.last_price, info.index_price) == (D("99000"), D("98500"), D("99010"))
    (p,) = w.f.pending_positions(w.bob)
    # maintenance 9900 x 0.004 = 39.6 over margin 492.5 + uPnL 50
    assert (p.unrealized_pnl, p.margin_rate) == (D("50"), D("0.0729"))
    s = w.f.account_summary(w.bob)
    assert (s.isolation_unrealized_pnl, s.cross_unrealized_pnl) == (D("50"), D("0"))
    (t,) = w.f.tickers(["BTCUSDT"])
    assert (t.mark_price, t.last_price, t.base_volume, t.quote_volume) == (D("99000"), D("98500"), D("0.1"), D("9850"))


def test_funding_is_charged_at_the_settlement_instant_longs_pay_shorts(w: World) -> None:
    long_bob(w)
    assert w.f.funding_info("BTCUSDT").next_funding_time == T0 + EIGHT_H
    w.clock.advance(EIGHT_H - 1)
    assert w.f.pending_positions(w.bob)[0].funding == D("0")
    w.clock.advance(1)
    # 0.1 x 98000 x 0.01 % = 0.98
    assert w.f.pending_positions(w.bob)[0].funding == D("-0.98")
    assert w.f.pending_positions(w.alice)[0].funding == D("0.98")
    (h,) = w.f.funding_history("BTCUSDT")
    assert (h.funding_rate, h.funding_time, h.mark_price) == (D("0.0001"), T0 + EIGHT_H, D("98000"))
    assert w.f.funding_info("BTCUSDT").next_funding_time == T0 + 2 * EIGHT_H
    w.f.set_funding_rate("BTCUSDT", D("-0.05"))
    assert w.f.funding_info("BTCUSDT").funding_rate == D("-0.05")
    w.f.settle_funding("BTCUSDT")
    assert w.f.pending_positions(w.bob)[0].funding == D("-0.98") + D("4.9")
    with pytest.raises(FuturesError) as e:
        w.f.set_funding_rate("BTCUSDT", D("0.31"))
    assert e.value.code == "10008"
    assert w.ex.problems() == []
    assert all(v == 0 for v in w.f.audit().values())


def test_a_mark_below_maintenance_liquidates_against_the_house(w: World) -> None:
    pid = long_bob(w)
    (p,) = w.f.pending_positions(w.bob)
    assert p.liq_price == D("93473.8")
    w.f.set_mark_price("BTCUSDT", D("93473.9"))
    assert w.f.pending_positions(w.bob) != []
    w.f.set_mark_price("BTCUSDT", D("93473.8"))
    assert w.f.pending_positions(w.bob) == []
    (h,) = w.f.history_positions(w.bob, PositionQuery()).items
    assert (h.position_id, h.liq_qty, h.close_price, h.realized_pnl) == (pid, D("0.1"), D("93473.8"), D("-452.62"))
    assert w.f.account_summary(w.bob).available == D("10000") - D("5.88") - D("452.62")
    assert w.ex.problems() == []
    assert all(v == 0 for v in w.f.audit().values())


def test_cross_positions_draw_on_the_free_balance_before_liquidation(w: World) -> None:
    w.f.change_margin_mode(w.bob, "BTCUSDT", "CROSS")
    long_bob(w, qty="1")
    (p,) = w.f.pending_positions(w.bob)
    # free 10000 - 4900 - 58.8 and margin 4900 carry it down to 9941.2 - 98000 + P <= 0.005 P
    # (98 000 of value is the second tier: maintenance rate 0.5 %)
    assert p.liq_price == D("88501.3")
    w.f.set_mark_price("BTCUSDT", D("93473.8"))
    assert len(w.f.pending_positions(w.bob)) == 1  # isolated, it would be gone by now
    w.f.set_mark_price("BTCUSDT", D("88501.4"))
    assert len(w.f.pending_positions(w.bob)) == 1
    w.f.set_mark_price("BTCUSDT", D("88501.3"))
    assert w.f.pending_positions(w.bob) == []
    assert w.ex.problems() == []


def test_open_position_for_tests_goes_against_the_house(w: World) -> None:
    p = w.f.open_position(w.alice, "ETHUSDT", "SHORT", D("2"), D("3500"), leverage=10)
    assert (p.side, p.qty, p.margin, p.leverage, p.fee) == ("SHORT", D("2"), D("700"), 10, D("0"))
    assert w.ex.problems() == []


def test_position_tpsl_closes_the_whole_position_on_its_trigger(w: World) -> None:
    pid = long_bob(w)
    bad = [
        (TpslRequest("BTCUSDT", pid), "30006", "Please select TP or SL"),
        (TpslRequest("BTCUSDT", "1", tp_price=D("99000")), "30004", "Position not exist"),
        (TpslRequest("BTCUSDT", pid, tp_price=D("-1")), "30041", "Trigger price must be greater than 0"),
        (
            TpslRequest("BTCUSDT", pid, tp_price=D("98000"), tp_stop_type="MARK_PRICE"),
            "30005",
            "The trigger price is closer to the current price and may be triggered immediately",
        ),
        (
            TpslRequest("BTCUSDT", pid, tp_price=D("97000"), tp_stop_type="MARK_PRICE"),
            "30020",
            "Trigger price for TP should be higher than mark price",
        ),
        (
            TpslRequest("BTCUSDT", pid, tp_price=D("97000"), tp_stop_type="LAST"),
            "30026",
            "TP price must be greater than last price",
        ),
        (
            TpslRequest("BTCUSDT", pid, sl_price=D("99000"), sl_stop_type="MARK"),
            "30023",
            "Trigger price fo SL should be lower than mark price",
        ),
        (TpslRequest("BTCUSDT", pid, sl_price=D("99000")), "30028", "SL price must be less than last price"),
        (
            TpslRequest("BTCUSDT", pid, sl_price=D("90000")),
            "30025",
            "Trigger price for SL should be higher than liq price",
        ),
    ]
    for req, code, msg in bad:
        with pytest.raises(FuturesError) as e:
            w.f.position_tpsl_place(w.bob, req)
        assert (e.value.code, e.value.msg) == (code, msg)
    t = w.f.position_tpsl_place(w.bob, TpslRequest("BTCUSDT", pid, tp_price=D("99000"), tp_stop_type="MARK_PRICE"))
    assert (t.kind, t.tp_price, t.tp_stop_type, t.status, t.tp_qty) == (
        "POSITION_TPSL",
        D("99000"),
        "MARK_PRICE",
        "NEW",
        None,
    )
    assert [x.id for x in w.f.tpsl_pending(w.bob, "BTCUSDT")] == [t.id]
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("1"), price=D("98900")))
    w.f.set_mark_price("BTCUSDT", D("98999.9"))
    assert len(w.f.pending_positions(w.bob)) == 1
    w.f.set_mark_price("BTCUSDT", D("99000"))
    assert w.f.pending_positions(w.bob) == []
    hist = w.f.tpsl_history(w.bob)
    assert (hist.total, hist.items[0].status, hist.items[0].trigger_time) == (1, "FILLED", T0)
    assert w.f.history_positions(w.bob, PositionQuery()).items[0].close_price == D("98900")
    assert w.ex.problems() == []


def test_order_tpsl_closes_its_quantity_and_is_cancelled_with_the_position(w: World) -> None:
    pid = long_bob(w)
    with pytest.raises(FuturesError) as e:
        w.f.tpsl_place(w.bob, TpslRequest("BTCUSDT", pid, sl_price=D("97000"), sl_qty=D("0.2")))
    assert (e.value.code, e.value.msg) == ("30038", "TP/SL amount must be less than the size of the position")
    sl = w.f.tpsl_place(w.bob, TpslRequest("BTCUSDT", pid, sl_price=D("97000"), sl_qty=D("0.04")))
    tp = w.f.tpsl_place(
        w.bob,
        TpslRequest(
            "BTCUSDT", pid, tp_price=D("99500"), tp_qty=D("0.01"), tp_order_type="LIMIT", tp_order_price=D("99600")
        ),
    )
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("1"), price=D("96990")))
    w.f.set_last_price("BTCUSDT", D("97000"))
    (p,) = w.f.pending_positions(w.bob)
    assert p.qty == D("0.06")
    modified = w.f.tpsl_modify(w.bob, tp.id, TpslRequest("BTCUSDT", pid, tp_price=D("99400"), tp_qty=D("0.02")))
    assert (modified.tp_price, modified.tp_qty, modified.tp_order_type) == (D("99400"), D("0.02"), "MARKET")
    assert w.f.tpsl_cancel(w.bob, "BTCUSDT", tp.id) == tp.id
    with pytest.raises(FuturesError) as e:
        w.f.tpsl_cancel(w.bob, "BTCUSDT", tp.id)
    assert (e.value.code, e.value.msg) == ("30011", "Abnormal order status")
    assert [t.status for t in w.f.tpsl_history(w.bob).items] == ["CANCELED", "FILLED"]
    assert sl.kind == "TPSL"
    assert w.ex.problems() == []


def test_klines_of_last_and_mark_prices(w: World) -> None:
    long_bob(w, price="98500")
    w.f.set_mark_price("BTCUSDT", D("99000"))
    w.clock.advance(60_000)
    (last,) = w.f.klines("BTCUSDT", "1m", end_ms=T0 + 60_000, limit=1)
    assert (last.open_ms, last.close, last.base_volume, last.quote_volume, last.price_type) == (
        T0,
        D("98500"),
        D("0.1"),
        D("9850"),
        "LAST_PRICE",
    )
    (mark,) = w.f.klines("BTCUSDT", "1m", end_ms=T0 + 60_000, limit=1, price_type="MARK_PRICE")
    assert (mark.close, mark.base_volume) == (D("99000"), D("0"))
    rows = w.f.klines("BTCUSDT", "8h", limit=3)
    assert [r.open_ms for r in rows] == [T0 - 2 * EIGHT_H, T0 - EIGHT_H, T0]
    with pytest.raises(FuturesError) as e:
        w.f.klines("BTCUSDT", "7m")
    assert e.value.code == "10002"


def test_state_round_trips(w: World) -> None:
    pid = long_bob(w)
    w.f.position_tpsl_place(w.bob, TpslRequest("BTCUSDT", pid, sl_price=D("95000")))
    # reduce-only: it freezes nothing, so cancelling it leaves the ledger (which this futures-only
    # load does not restore) as the saved state has it
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="k", reduce_only=True))
    w.clock.advance(EIGHT_H)
    saved = w.f.export_state()
    w.f.cancel_all_orders(w.alice)
    w.f.load_state(saved)
    assert w.f.export_state() == saved
    assert w.f.order_detail(w.alice, client_id="k").status == "NEW"
    assert w.f.depth("BTCUSDT")[0] == [(D("97000"), D("0.01"))]
    assert w.ex.problems() == []


def test_a_failed_savepoint_puts_futures_back(w: World) -> None:
    long_bob(w)
    before = w.f.export_state()
    with pytest.raises(RuntimeError), w.ex.savepoint():
        w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000")))
        raise RuntimeError("admin block failed")
    assert w.f.export_state() == before
    assert w.ex.problems() == []


def test_synthetic_liquidity_keeps_ladders_around_the_mark(w: World) -> None:
    from mockserver.engine.futures.liquidity import FuturesLiquidity

    liq = FuturesLiquidity(w.f, levels=5, seed=1)
    liq.attach()
    liq.seed_all()
    bids, asks = w.f.depth("BTCUSDT")
    assert ([p for p, _ in bids], [p for p, _ in asks]) == (
        [D("97951"), D("97902"), D("97853"), D("97804"), D("97755")],
        [D("98049"), D("98098"), D("98147"), D("98196"), D("98245")],
    )
    o = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.5"), order_type="MARKET"))
    assert (o.status, o.avg_price) == ("FILLED", D("98049"))
    assert w.f.funding_info("BTCUSDT").mark_price == D("98049")
    bids, asks = w.f.depth("BTCUSDT")
    assert (bids[0][0], asks[0][0], len(bids), len(asks)) == (D("98000"), D("98098"), 5, 5)
    assert w.ex.problems() == []
    assert all(v == 0 for v in w.f.audit().values())
