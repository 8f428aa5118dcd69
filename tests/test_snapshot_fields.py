"""Snapshots derive from the engine's data model: a field added to an engine state class round-trips or fails here."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from decimal import Decimal
from typing import Any

import pytest

from mockserver.config import Config
from mockserver.control.snapshot import ENGINE_MODELS, Snapshot, SnapshotError, dump, load
from mockserver.engine import (
    Account,
    EngineStateError,
    Exchange,
    ExchangeState,
    Fill,
    IdState,
    LiquidityState,
    Order,
    OrderType,
    PlaceRequest,
    Side,
    WalletRecord,
    WalletState,
)
from mockserver.engine.accounts import Balance
from mockserver.state import MockState

#: Every class whose instances make up engine state. A new one must be listed in ENGINE_MODELS too.
STATE_CLASSES = {ExchangeState, IdState, Account, Balance, Order, Fill, WalletState, WalletRecord, LiquidityState}

#: Keys of the document that are not the engine's (the run around it).
NOT_ENGINE_KEYS = {
    "format",
    "version",
    "profile",
    "clock",
    "wallet",
    "liquidity",
    "demo_account",
    "opening_balances",
    "nonces",
}


def _field_names(cls: type) -> list[str]:
    """A state class's fields, in order: a dataclass's, or a named tuple's."""
    if is_dataclass(cls):
        return [f.name for f in fields(cls)]
    return list(cls._fields)  # type: ignore[attr-defined]


def _is_state_class(t: object) -> bool:
    return isinstance(t, type) and (is_dataclass(t) or (issubclass(t, tuple) and hasattr(t, "_fields")))


def _nested_state_classes(cls: type, seen: set[type]) -> set[type]:
    """State classes reachable from ``cls`` through its field types."""
    import typing

    if cls in seen:
        return seen
    seen.add(cls)
    for hint in typing.get_type_hints(cls).values():
        stack = [hint]
        while stack:
            t = stack.pop()
            stack.extend(typing.get_args(t))
            if _is_state_class(t):
                assert isinstance(t, type)
                _nested_state_classes(t, seen)
    return seen


def test_every_state_class_has_a_document_model() -> None:
    reachable: set[type] = set()
    for root in (ExchangeState, WalletState, LiquidityState):
        _nested_state_classes(root, reachable)
    assert reachable == STATE_CLASSES
    assert set(ENGINE_MODELS) == STATE_CLASSES


@pytest.mark.parametrize("cls", sorted(STATE_CLASSES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_field_of_every_state_class_is_in_the_snapshot(cls: type) -> None:
    names = _field_names(cls)
    model = ENGINE_MODELS[cls]
    if model is None:  # written positionally: the document's pair is exactly the fields, in order
        assert names == ["free", "locked"]
        return
    documented = set(model.model_fields)
    if model is Snapshot:
        documented -= NOT_ENGINE_KEYS
    assert set(names) == documented, f"{cls.__name__}: fields {sorted(set(names) ^ documented)} not in both"


def _busy_state() -> MockState:
    state = MockState.build(Config(liquidity=True, liquidity_levels=3, frozen_at_ms=1_760_000_000_000))
    ex = state.exchange
    a = ex.create_account(balances={"USDT": Decimal(100_000), "BTC": Decimal(2)}).account_id
    ex.place(a, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal("60000"), "cid-1"))
    best = ex.venue("BTCUSDT").book.best(Side.BUY)
    assert best is not None
    ex.place(a, PlaceRequest("BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.002"), best))
    ex.place(a, PlaceRequest("BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("50"), None))
    state.wallet.whitelist(a, ["addr-1"])
    return state


def test_dump_load_dump_is_the_identity() -> None:
    state = _busy_state()
    doc = json.loads(json.dumps(dump(state)))
    again = load(state.config, doc)
    assert json.loads(json.dumps(dump(again))) == doc
    assert again.exchange.problems() == []


def test_every_engine_field_reaches_the_document() -> None:
    doc = dump(_busy_state())
    engine = {f.name for f in fields(ExchangeState)}
    assert engine <= set(doc)
    assert set(doc["orders"][0]) == {f.name for f in fields(Order)}
    assert set(doc["wallet"]) == {f.name for f in fields(WalletState)}
    assert set(doc["liquidity"]) == {f.name for f in fields(LiquidityState)}
    assert set(doc["ids"]) == {f.name for f in fields(IdState)}


def _doc_with(change: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(dump(_busy_state())))
    change(doc)
    return doc


def test_a_document_the_engine_cannot_run_from_is_refused() -> None:
    def duplicate_fill(doc: dict[str, Any]) -> None:
        oid = next(o["order_id"] for o in doc["orders"] if doc["fills"].get(o["order_id"]))
        doc["fills"][oid].append(dict(doc["fills"][oid][0]))

    with pytest.raises(SnapshotError, match="given twice"):
        load(Config(), _doc_with(duplicate_fill))


def test_load_state_checks_the_invariants_and_changes_nothing_when_refused() -> None:
    ex = _busy_state().exchange
    before = ex.export_state()
    broken = ex.export_state()
    broken.balances[broken.orders[-1].account_id]["USDT"].free += 1  # money from nowhere
    with pytest.raises(EngineStateError):
        ex.load_state(broken)
    assert asdict(ex.export_state()) == asdict(before)
    fresh = Exchange.from_state(list(ex.markets), ex.export_state(), clock=ex.clock)
    assert asdict(fresh.export_state()) == asdict(before) and fresh.problems() == []


def test_a_savepoint_puts_everything_back() -> None:
    ex = _busy_state().exchange
    before = ex.export_state()
    with pytest.raises(RuntimeError), ex.savepoint():
        acct = ex.create_account(balances={"USDT": Decimal(1000)})
        ex.place(acct.account_id, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal("50000")))
        raise RuntimeError("a later step failed")
    assert asdict(ex.export_state()) == asdict(before)


def test_a_light_savepoint_puts_accounts_money_and_ids_back() -> None:
    ex = _busy_state().exchange
    before = ex.export_state()
    with pytest.raises(RuntimeError, match="later"), ex.savepoint(orders=False):
        ex.create_account(balances={"USDT": Decimal(1000), "BTC": Decimal(1)})
        ex.create_account(api_key="k" * 32, secret="s" * 32)
        raise RuntimeError("a later step failed")
    assert asdict(ex.export_state()) == asdict(before)
    again = ex.create_account()
    assert again.uid == before.ids.uid + 1  # no uid was spent by the rolled-back block


def test_a_light_savepoint_refuses_order_activity() -> None:
    ex = _busy_state().exchange
    acct = ex.create_account(balances={"USDT": Decimal(1000)}).account_id
    with pytest.raises(RuntimeError, match="orders=False"), ex.savepoint(orders=False):
        ex.place(acct, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal("50000")))
