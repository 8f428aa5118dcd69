"""Futures orders: placement rules and refusals (exact codes and texts), effects, matching, fees."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import OrderQuery, TradeQuery
from mockserver.futures_errors import FuturesError

from .conftest import World


def refused(exc: pytest.ExceptionInfo[FuturesError]) -> tuple[str, str]:
    return exc.value.code, exc.value.msg


def test_a_limit_order_freezes_margin_and_the_taker_fee(w: World) -> None:
    o = w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000"), client_id="c1"))
    assert (o.status, o.side, o.qty, o.trade_qty, o.price, o.leverage, o.margin_mode) == (
        "NEW",
        "SELL",
        D("0.1"),
        D("0"),
        D("98000"),
        20,
        "ISOLATION",
    )
    s = w.f.account_summary(w.alice, "USDT")
    # 0.1 x 98000 / 20 = 490 margin, + 9800 x 0.0006 = 5.88 taker fee
    assert (s.available, s.frozen, s.margin, s.position_mode) == (D("9504.12"), D("495.88"), D("0"), "ONE_WAY")
    assert w.f.depth("BTCUSDT") == ([], [(D("98000"), D("0.1"))])
    assert w.ex.problems() == []


def test_a_market_order_takes_and_pays_the_taker_fee_the_maker_the_maker_fee(w: World) -> None:
    maker = w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    taker = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.05"), order_type="MARKET"))
    assert (taker.status, taker.avg_price, taker.fee, taker.price, taker.effect) == (
        "FILLED",
        D("98000"),
        D("2.94"),
        None,
        "IOC",
    )
    m = w.f.order_detail(w.alice, order_id=maker.order_id)
    assert (m.status, m.trade_qty, m.fee) == ("PART_FILLED", D("0.05"), D("0.98"))
    (long,) = w.f.pending_positions(w.bob)
    assert (long.side, long.qty, long.entry_value, long.margin, long.fee, long.avg_open_price) == (
        "LONG",
        D("0.05"),
        D("4900"),
        D("245"),
        D("2.94"),
        D("98000"),
    )
    trades = w.f.history_trades(w.bob, TradeQuery(symbol="BTCUSDT"))
    assert trades.total == 1
    assert (trades.items[0].role, trades.items[0].side, trades.items[0].fee) == ("TAKER", "BUY", D("2.94"))
    assert w.f.history_trades(w.alice, TradeQuery()).items[0].role == "MAKER"
    s = w.f.account_summary(w.bob)
    assert (s.available, s.margin, s.frozen) == (D("10000") - D("245") - D("2.94"), D("245"), D("0"))
    assert w.ex.problems() == []
    assert all(v == 0 for v in w.f.audit().values())


@pytest.mark.parametrize(
    ("req", "code", "msg"),
    [
        (R("NOPEUSDT", "BUY", D("1"), price=D("1")), "20015", "this Futures is not allowed to trade."),
        (
            R("BTCUSDT", "BUY", D("0.00005"), price=D("98000")),
            "10008",
            'Parameter 0.00005 does not match, alternative value ["0.0001"].',
        ),
        (R("BTCUSDT", "BUY", D("0"), price=D("98000")), "30016", "The qty should be larger than"),
        (
            R("ETHUSDT", "BUY", D("0.0009"), price=D("3500")),
            "10008",
            'Parameter 0.0009 does not match, alternative value ["0.001"].',
        ),
        (
            R("SOLUSDT", "BUY", D("0.001"), price=D("180")),
            "10008",
            'Parameter 0.001 does not match, alternative value ["0.01"].',
        ),
        (R("XRPUSDT", "BUY", D("0"), price=D("0.62")), "30016", "The qty should be larger than"),
        (R("BTCUSDT", "BUY", D("100001"), price=D("98000")), "30013", "Exceeded the maximum order quantity"),
        (
            R("BTCUSDT", "BUY", D("50001"), order_type="MARKET"),
            "30039",
            "The order qty can't be greater than the max order qty",
        ),
        (R("BTCUSDT", "BUY", D("0.01"), price=D("102900.1")), "30014", "Max Buy Order Price"),
        (R("BTCUSDT", "SELL", D("0.01"), price=D("93099.9")), "30015", "Mini Sell Order Price"),
        (
            R("BTCUSDT", "BUY", D("0.01"), price=D("98000.05")),
            "10008",
            'Parameter 98000.05 does not match, alternative value ["98000.0","98000.1"].',
        ),
        (R("BTCUSDT", "BUY", D("0.01")), "10002", "Parameter Error"),
        (R("BTCUSDT", "BUY", D("10"), price=D("98000")), "20003", "Insufficient balance"),
        (
            R("BTCUSDT", "BUY", D("0.01"), price=D("98000"), reduce_only=True),
            "30018",
            "Order failed. No position opened. Cancel [Reduce-only] settings and retry later",
        ),
        (
            R("BTCUSDT", "BUY", D("0.01"), price=D("98000"), trade_side="CLOSE"),
            "30018",
            "Order failed. No position opened. Cancel [Reduce-only] settings and retry later",
        ),
        (
            R("BTCUSDT", "BUY", D("0.01"), price=D("98000"), trade_side="CLOSE", position_id="42"),
            "30004",
            "Position not exist",
        ),
        (R("BTCUSDT", "BUY", D("0.01"), price=D("98000"), effect="GTD"), "10002", "Parameter Error"),
    ],
)
def test_each_refusal_has_its_code_and_text(w: World, req: R, code: str, msg: str) -> None:
    before = w.f.export_state()
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, req)
    assert refused(e) == (code, msg)
    assert w.f.export_state() == before
    assert w.f.account_summary(w.alice).available == D("10000")


def test_the_qty_limits_of_the_contract(w: World) -> None:
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("ETHUSDT", "BUY", D("0.0005"), price=D("3500")))
    assert refused(e)[0] == "10008"
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("XRPUSDT", "BUY", D("0.5"), price=D("0.62")))
    assert refused(e)[0] == "10008"


def test_a_position_above_the_tier_its_leverage_allows_is_refused(w: World) -> None:
    w.f.fund(w.alice, D("1000000"))
    # 20x is allowed up to the end of the 20x tier: 5 000 000 USDT of BTC value
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("BTCUSDT", "BUY", D("52"), price=D("98000")))
    assert refused(e) == (
        "20002",
        "The current positions amount has exceeded the maximum open limit, please adjust the risk limit",
    )


def test_client_ids_are_unique_per_account(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="same"))
    with pytest.raises(FuturesError) as e:
        w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="same"))
    assert refused(e) == ("30042", "Client ID duplicate")
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="same"))  # another account's
    assert w.f.order_detail(w.alice, client_id="same").price == D("97000")
    with pytest.raises(FuturesError) as e:
        w.f.order_detail(w.alice, client_id="other")
    assert refused(e) == ("20007", "Order not found, please try it later")
    with pytest.raises(FuturesError) as e:
        w.f.order_detail(w.alice, order_id="1")
    assert refused(e) == ("20007", "Order not found, please try it later")


def test_effects_post_only_fok_ioc(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    po = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("98000"), effect="POST_ONLY"))
    assert (po.status, po.trade_qty) == ("CANCELED", D("0"))
    fok = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.2"), price=D("98000"), effect="FOK"))
    assert (fok.status, fok.trade_qty) == ("CANCELED", D("0"))
    ioc = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.15"), price=D("98000"), effect="IOC"))
    assert (ioc.status, ioc.trade_qty) == ("PART_FILLED_CANCELED", D("0.1"))
    rest = w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), effect="POST_ONLY"))
    assert rest.status == "NEW"
    assert w.f.account_summary(w.bob).frozen == D("48.5") + D("0.582")
    assert w.ex.problems() == []


def test_self_trade_cancels_the_newer_order(w: World) -> None:
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    o = w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.1"), price=D("98000")))
    assert (o.status, o.trade_qty) == ("CANCELED", D("0"))
    assert w.ex.problems() == []


def test_cancel_orders_reports_successes_and_failures(w: World) -> None:
    a = w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="a"))
    ok, bad = w.f.cancel_orders(w.alice, "BTCUSDT", [(a.order_id, None), (None, "nope"), (a.order_id, None)])
    assert [o.status for o in ok] == ["CANCELED"]
    assert [(b.order_id, b.client_id, b.error_code, b.error_msg) for b in bad] == [
        ("", "nope", "20007", "Order not found, please try it later"),
        (a.order_id, "", "30011", "Abnormal order status"),
    ]
    assert w.f.account_summary(w.alice).frozen == D("0")
    hist = w.f.history_orders(w.alice, OrderQuery(symbol="BTCUSDT"))
    assert (hist.total, hist.items[0].status) == (1, "CANCELED")
    assert w.f.pending_orders(w.alice, OrderQuery()).total == 0


def test_lists_are_newest_first_with_skip_limit_and_total(w: World) -> None:
    ids = [w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D(97000 + i))).order_id for i in range(5)]
    page = w.f.pending_orders(w.alice, OrderQuery(skip=1, limit=2))
    assert (page.total, [o.order_id for o in page.items]) == (5, [ids[3], ids[2]])
    assert w.f.pending_orders(w.alice, OrderQuery(symbol="ETHUSDT")).total == 0


def test_cancel_all_and_batch(w: World) -> None:
    reqs: list[R | FuturesError] = [
        R("IGNORED", "BUY", D("0.01"), price=D("97000")),
        R("IGNORED", "BUY", D("0.00001"), price=D("97000")),
    ]
    out = w.f.place_batch(w.alice, "BTCUSDT", reqs)
    assert [getattr(x, "status", None) or x.code for x in out] == ["NEW", "10008"]  # type: ignore[union-attr]
    with pytest.raises(FuturesError) as e:
        w.f.place_batch(w.alice, "BTCUSDT", [R("BTCUSDT", "BUY", D("0.01"), price=D("97000"))] * 6)
    assert refused(e) == ("20016", "Batch order exceeded the max size")
    done, _ = w.f.cancel_all_orders(w.alice, None)
    assert [o.status for o in done] == ["CANCELED"]


def test_modify_order_moves_price_and_qty(w: World) -> None:
    o = w.f.place(w.alice, R("BTCUSDT", "BUY", D("0.01"), price=D("97000"), client_id="m"))
    m = w.f.modify_order(w.alice, client_id="m", qty=D("0.02"), price=D("96000"))
    assert (m.order_id, m.qty, m.price, m.status) == (o.order_id, D("0.02"), D("96000"), "NEW")
    assert w.f.account_summary(w.alice).frozen == D("96") + D("1.152")
    w.f.cancel_orders(w.alice, "BTCUSDT", [(o.order_id, None)])
    with pytest.raises(FuturesError) as e:
        w.f.modify_order(w.alice, order_id=o.order_id, qty=D("0.02"), price=D("96000"))
    assert refused(e) == ("30011", "Abnormal order status")
    assert w.ex.problems() == []
