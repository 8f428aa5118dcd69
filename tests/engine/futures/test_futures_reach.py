"""Refusals the engine now reaches (30001, 30002, 30003, 30017, 10008 in the live form) and
modify_order's attached TP/SL, each with its exact code and message."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D

import pytest

from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import TpslRequest
from mockserver.futures_errors import FuturesError

from .conftest import World


def refused(e: pytest.ExceptionInfo[FuturesError]) -> tuple[str, str]:
    return e.value.code, e.value.msg


def test_an_order_below_the_minimum_of_a_contract_whose_minimum_is_ten_lots_is_30017(w: World) -> None:
    assert w.f.contract("DOGEUSDT").min_trade_volume == D(10)
    before = w.f.export_state()
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("DOGEUSDT", "BUY", D(9), price=D("0.16")))
    assert refused(e) == ("30017", "The qty cannot be less than the minimum qty")
    assert w.f.export_state() == before
    assert w.f.place(w.alice, R("DOGEUSDT", "BUY", D(10), price=D("0.16"))).status == "NEW"


def test_an_order_that_would_be_liquidated_at_once_is_30001(w: World) -> None:
    # 125x holds 0.8 % margin; a buy 0.5 % above the mark of 98000 loses more than that less the
    # 0.4 % maintenance at once
    w.f.change_leverage(w.alice, "BTCUSDT", 125)
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D(98490)))
    assert refused(e) == (
        "30001",
        "Failed to order. Please adjust the order price or the leverage as the order price dealt may "
        "immediately liquidate.",
    )
    assert w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D(98000))).status == "NEW"


def _position_at_50x(w: World, side: str) -> tuple[str, D]:
    """bob holds 0.1 BTCUSDT ``side`` at 98000, 50x isolated (alice the other side); (id, liq price)."""
    w.f.change_leverage(w.bob, "BTCUSDT", 50)
    other = "SELL" if side == "BUY" else "BUY"
    w.f.place(w.alice, R("BTCUSDT", other, D("0.1"), price=D(98000)))
    w.f.place(w.bob, R("BTCUSDT", side, D("0.1"), price=D(98000)))
    (p,) = w.f.pending_positions(w.bob)
    return p.position_id, p.liq_price


def test_closing_a_long_below_its_liquidation_price_is_30002(w: World) -> None:
    pid, liq = _position_at_50x(w, "BUY")
    # (9800 - 196 margin) / (0.1 x (1 - 0.004)), rounded down to the tick
    assert liq == D("96425.7")
    tick = D("0.1")
    for req in (
        R("BTCUSDT", "BUY", D("0.1"), price=liq - tick, trade_side="CLOSE", position_id=pid),
        R("BTCUSDT", "SELL", D("0.1"), price=liq - tick, reduce_only=True),
    ):
        with pytest.raises(FuturesError) as e:
            w.f.place(w.bob, req)
        assert refused(e) == ("30002", "Price below liquidated price")
    tpsl = TpslRequest(
        "BTCUSDT", pid, sl_price=D(97000), sl_order_type="LIMIT", sl_order_price=liq - tick, sl_qty=D("0.1")
    )
    with pytest.raises(FuturesError) as e:
        w.f.tpsl_place(w.bob, tpsl)
    assert refused(e) == ("30002", "Price below liquidated price")
    assert w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.1"), price=liq, reduce_only=True)).status == "NEW"
    assert w.ex.problems() == []


def test_closing_a_short_above_its_liquidation_price_is_30003(w: World) -> None:
    pid, liq = _position_at_50x(w, "SELL")
    # (9800 + 196 margin) / (0.1 x (1 + 0.004)), rounded up to the tick
    assert liq == D("99561.8")
    with pytest.raises(FuturesError) as e:
        w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.1"), price=liq + D("0.1"), trade_side="CLOSE", position_id=pid))
    assert refused(e) == ("30003", "Price above liquidated price")
    order = w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.1"), price=liq, trade_side="CLOSE", position_id=pid))
    # modify goes through the same checks
    with pytest.raises(FuturesError) as e:
        w.f.modify_order(w.bob, order_id=order.order_id, qty=D("0.1"), price=D(99600))
    assert refused(e) == ("30003", "Price above liquidated price")


def _live(value: str, alternatives: str) -> str:
    return f"Parameter {value} does not match, alternative value [{alternatives}]."


@pytest.mark.parametrize(
    ("call", "msg"),
    [
        (
            lambda w: w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("98000.05"))),
            _live("98000.05", '"98000.0","98000.1"'),
        ),
        (lambda w: w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.00005"), price=D(98000))), _live("0.00005", '"0.0001"')),
        (
            lambda w: w.f.set_funding_rate("BTCUSDT", D("0.000000001")),
            _live("0.000000001", '"0.00000000","0.00000001"'),
        ),
        (lambda w: w.f.set_funding_rate("BTCUSDT", D("0.31")), _live("0.31", '"-0.3","0.3"')),
    ],
    ids=["price-decimals", "qty-below-a-lot", "rate-decimals", "rate-range"],
)
def test_10008_names_the_value_and_its_alternatives_as_live(
    w: World, call: Callable[[World], object], msg: str
) -> None:
    with pytest.raises(FuturesError) as e:
        call(w)
    assert refused(e) == ("10008", msg)


def test_modify_order_sets_the_attached_tp_sl_leg_by_leg_and_the_fill_hands_them_on(w: World) -> None:
    oid = w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.2"), price=D(97000))).order_id
    w.f.modify_order(w.alice, order_id=oid, qty=D("0.2"), price=D(97000), tp_price=D(100000), tp_stop_type="MARK_PRICE")
    o = w.f.order_detail(w.alice, order_id=oid)
    assert (o.tp_price, o.tp_stop_type, o.tp_order_type, o.sl_price) == ("100000", "MARK_PRICE", "MARKET", "")
    # a leg not sent keeps what the order had
    w.f.modify_order(w.alice, order_id=oid, qty=D("0.2"), price=D(97000), sl_price=D(95000))
    o = w.f.order_detail(w.alice, order_id=oid)
    assert (o.tp_price, o.tp_stop_type, o.sl_price, o.sl_stop_type) == ("100000", "MARK_PRICE", "95000", "LAST_PRICE")
    # the first fill hands them to the position
    w.f.place(w.bob, R("BTCUSDT", "SELL", D("0.1"), price=D(97000)))
    (t,) = w.f.tpsl_pending(w.alice)
    assert (t.kind, t.tp_price, t.tp_stop_type, t.sl_price) == ("POSITION_TPSL", D(100000), "MARK_PRICE", D(95000))
    # the order filled in part: new legs replace the position's TP/SL at once
    w.f.modify_order(w.alice, order_id=oid, qty=D("0.2"), price=D(97000), tp_price=D(101000))
    (t2,) = w.f.tpsl_pending(w.alice)
    assert (t2.tp_price, t2.tp_stop_type, t2.sl_price) == (D(101000), "LAST_PRICE", D(95000))
    assert [x.status for x in w.f.tpsl_history(w.alice).items] == ["CANCELED"]
    assert w.ex.problems() == []
