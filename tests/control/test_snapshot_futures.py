"""The futures engine's state in snapshots: export -> restore -> export is the identity, a restore runs the
futures invariants, and a state directory's version-2 checkpoint reads as no futures activity."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import pytest

from mockserver.config import Config
from mockserver.control.snapshot import SnapshotError, dump, upgrade
from mockserver.engine.futures import FuturesPlaceRequest, TpslRequest
from mockserver.state import MockState

T0 = 1_760_000_000_000


def futures_busy() -> MockState:
    """Futures in every shape a snapshot must keep: one-way isolated and hedge cross positions, resting
    orders with attached TP/SL, a position TP/SL and an order TP/SL, a closed position, a funding
    settlement, steered mark and index prices, and the futures market maker."""
    state = MockState.build(Config(liquidity=True, liquidity_levels=3, frozen_at_ms=T0))
    f = state.exchange.futures
    # demo: one-way, isolated (the default), a long on BTCUSDT, a resting buy far below with its TP/SL.
    f.change_leverage("demo", "BTCUSDT", 10)
    f.place("demo", FuturesPlaceRequest("BTCUSDT", "BUY", Decimal("0.05"), order_type="MARKET"))
    f.place("demo", FuturesPlaceRequest("BTCUSDT", "SELL", Decimal("0.003"), order_type="MARKET"))  # a part closed
    (long_btc,) = f.pending_positions("demo", "BTCUSDT")
    f.place(
        "demo",
        FuturesPlaceRequest(
            "BTCUSDT", "BUY", Decimal("0.01"), price=Decimal("90000"), client_id="rest-1",
            tp_price=Decimal("120000"), tp_stop_type="MARK_PRICE", sl_price=Decimal("80000"),
        ),
    )  # fmt: skip
    f.position_tpsl_place(
        "demo", TpslRequest("BTCUSDT", long_btc.position_id, tp_price=Decimal("130000"), sl_price=Decimal("92000"))
    )
    # a second account: hedge mode, cross margin, both sides of ETHUSDT, an order-level TP/SL, one side closed.
    other = state.exchange.create_account(futures_balances={"USDT": Decimal(50_000)}).account_id
    f.change_position_mode(other, "HEDGE")
    f.change_margin_mode(other, "ETHUSDT", "CROSS")
    f.place(other, FuturesPlaceRequest("ETHUSDT", "BUY", Decimal("1"), order_type="MARKET", trade_side="OPEN"))
    f.place(other, FuturesPlaceRequest("ETHUSDT", "SELL", Decimal("2"), order_type="MARKET", trade_side="OPEN"))
    short_eth = next(p for p in f.pending_positions(other, "ETHUSDT") if p.side == "SHORT")
    f.tpsl_place(
        other,
        TpslRequest(
            "ETHUSDT", short_eth.position_id, sl_price=Decimal("9000"), sl_qty=Decimal("1"), sl_order_type="MARKET"
        ),
    )
    f.place(other, FuturesPlaceRequest("ETHUSDT", "SELL", Decimal("0.5"), price=Decimal("3600"), trade_side="OPEN"))
    long_eth = next(p for p in f.pending_positions(other, "ETHUSDT") if p.side == "LONG")
    f.flash_close(other, long_eth.position_id)
    # steering and a settlement: funding paid and received, history rows, next settlement moved on.
    f.set_funding_rate("BTCUSDT", Decimal("0.05"))
    f.set_index_price("ETHUSDT", Decimal("3001"))
    state.clock.freeze(T0 + 9 * 3_600_000)  # past the next 8-hour settlement instant
    f.advance()
    f.adjust_position_margin("demo", "BTCUSDT", Decimal("1"), position_id=long_btc.position_id)
    f.place("demo", FuturesPlaceRequest("BTCUSDT", "SELL", Decimal("0.001"), order_type="MARKET"))
    f.set_mark_price("SOLUSDT", Decimal("150"), follow_last=False)
    assert state.exchange.problems() == []
    return state


def _doc(state: MockState) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(dump(state)))
    return doc


def test_export_restore_export_is_identical_with_futures() -> None:
    state = futures_busy()
    doc = _doc(state)
    fut = doc["futures"]
    # The fixture reached what the snapshot must carry (else this test could pass on an idle engine).
    assert {(p["margin_mode"], p["position_mode"]) for p in fut["positions"]} >= {
        ("ISOLATION", "ONE_WAY"),
        ("CROSS", "HEDGE"),
    }
    assert {t["kind"] for t in fut["tpsl"]} == {"POSITION_TPSL", "TPSL"}
    assert fut["closed"] and any(p["funding"] != "0" for p in fut["positions"])
    assert any(r["rate"] == "0.0005" for r in fut["funding_history"]["BTCUSDT"])
    assert doc["futures_liquidity"] is not None
    # A part closed after margin was added releases margin pro rata: the wallet holds amounts finer
    # than any order's (the ledger's 40 places; the snapshot refused more than 30 before).
    assert max(len(v.partition(".")[2]) for v in doc["balances"]["futures:demo"]["USDT"]) > 30
    # Money in ledger units is written as digits (wider than a 64-bit JSON number).
    margin = fut["positions"][0]["margin"]
    assert isinstance(margin, str) and int(margin) > 2**63

    again = MockState.restore(state.config, copy.deepcopy(doc))
    assert _doc(again) == doc
    assert again.exchange.problems() == []
    f, g = state.exchange.futures, again.exchange.futures
    assert asdict(g.export_state()) == asdict(f.export_state())
    for acct in ("demo", "acct-1"):
        assert g.pending_positions(acct) == f.pending_positions(acct)
        assert g.tpsl_pending(acct) == f.tpsl_pending(acct)
        assert g.account_summary(acct) == f.account_summary(acct)
    assert g.funding_infos() == f.funding_infos() and g.tickers() == f.tickers()


def test_the_restored_futures_engine_carries_on_as_the_original() -> None:
    """Ids, the market maker's random stream and settlements continue exactly as they would have."""
    state = futures_busy()
    again = MockState.restore(state.config, _doc(state))
    for s in (state, again):
        s.exchange.futures.place("demo", FuturesPlaceRequest("XRPUSDT", "SELL", Decimal("100"), order_type="MARKET"))
        s.clock.freeze(T0 + 17 * 3_600_000)
        s.exchange.futures.advance()
    assert _doc(again) == _doc(state)


def test_a_restore_runs_the_futures_invariants() -> None:
    doc = _doc(futures_busy())
    mine = next(p for p in doc["futures"]["positions"] if p["account_id"] == "demo")
    mine["margin"] = str(int(mine["margin"]) + 1)  # margin the demo's wallet does not hold locked
    with pytest.raises(SnapshotError, match=r"^engine invariant broken: futures wallet futures:demo: locked "):
        MockState.restore(Config(), doc)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda d: d["futures"]["positions"][0].__setitem__("margin", 5),
            "futures.positions.0.margin: expected a whole number of units as a string of digits",
        ),
        (
            lambda d: d["futures"]["positions"][0].__setitem__("cost", "-1"),
            "futures.positions.0.cost: must not be negative",
        ),
        (
            lambda d: d["futures"]["markets"][0].__setitem__("symbol", "NOPEUSDT"),
            "futures.markets.0.symbol: unknown futures contract 'NOPEUSDT'",
        ),
        (
            lambda d: d["futures"]["positions"][0].__setitem__("account_id", "ghost"),
            "futures.positions.0.account_id: no account 'ghost' and no futures wallet of it",
        ),
        (
            lambda d: d["futures"]["tpsl"].append(dict(d["futures"]["tpsl"][0])),
            "futures.tpsl.2.tpsl_id: {id} given twice",
        ),
        (
            lambda d: d["ids"].__setitem__("order", int(max(o["order_id"] for o in d["futures"]["orders"])) - 1),
            "ids.order: behind",
        ),
        (
            lambda d: d.__setitem__("futures", None),
            "futures_liquidity: a futures market maker needs the futures state",
        ),
    ],
)
def test_a_futures_document_the_engine_never_held_is_refused(change: Any, error: str) -> None:
    doc = _doc(futures_busy())
    change(doc)
    with pytest.raises(SnapshotError) as refused:
        MockState.restore(Config(), doc)
    assert str(refused.value).startswith(error.format(id=doc["futures"] and doc["futures"]["tpsl"][0]["tpsl_id"]))


def test_a_version_2_document_reads_as_no_futures_activity_only_through_upgrade() -> None:
    state = MockState.build(Config(liquidity=False, frozen_at_ms=T0))  # no futures activity, as before v3
    doc = _doc(state)
    v2 = {k: v for k, v in doc.items() if k not in ("futures", "futures_liquidity")} | {"version": 2}
    with pytest.raises(SnapshotError, match=r"^snapshot version 2; this mock reads version 3$"):
        MockState.restore(Config(), v2)
    again = MockState.restore(Config(), upgrade(v2))
    assert _doc(again) == doc and again.futures_liquidity is None
    assert upgrade(doc) is doc  # the current version passes through untouched
