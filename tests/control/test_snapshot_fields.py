"""Snapshots derive from the engine's data model: a field added to an engine state class round-trips or fails here."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, fields, is_dataclass
from decimal import Decimal
from typing import Any

import pytest

from mockserver.config import Config
from mockserver.control.snapshot import ENGINE_MODELS, Snapshot, SnapshotError, dump
from mockserver.engine import (
    Account,
    EngineStateError,
    Exchange,
    ExchangeState,
    FillRecord,
    IdState,
    LiquidityState,
    OrderRecord,
    OrderType,
    PlaceRequest,
    Side,
    WalletRecord,
    WalletState,
)
from mockserver.engine.accounts import Balance
from mockserver.engine.futures import FuturesState
from mockserver.engine.futures.liquidity import FuturesLiquidityState
from mockserver.engine.futures.rows import (
    AccountRow,
    FillRow,
    FundingRow,
    MarketRow,
    OrderRow,
    PositionRow,
    SymbolSetting,
    TpslRow,
)
from mockserver.state import MockState

#: Every class whose instances make up engine state. A new one must be listed in ENGINE_MODELS too.
STATE_CLASSES = {
    ExchangeState,
    IdState,
    Account,
    Balance,
    OrderRecord,
    FillRecord,
    WalletState,
    WalletRecord,
    LiquidityState,
    FuturesState,
    SymbolSetting,
    AccountRow,
    MarketRow,
    OrderRow,
    FillRow,
    PositionRow,
    FundingRow,
    TpslRow,
    FuturesLiquidityState,
}

#: Keys of the document that are not the engine's (the run around it).
NOT_ENGINE_KEYS = {
    "format",
    "version",
    "profile",
    "clock",
    "wallet",
    "liquidity",
    "futures",
    "futures_liquidity",
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
    for root in (ExchangeState, WalletState, LiquidityState, FuturesState, FuturesLiquidityState):
        _nested_state_classes(root, reachable)
    assert reachable == STATE_CLASSES
    assert set(ENGINE_MODELS) == STATE_CLASSES


@pytest.mark.parametrize(
    "cls", sorted(STATE_CLASSES, key=lambda c: getattr(c, "__name__", "")), ids=lambda c: getattr(c, "__name__", "")
)
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
    again = MockState.restore(state.config, doc)
    assert json.loads(json.dumps(dump(again))) == doc
    assert again.exchange.problems() == []


def test_every_engine_field_reaches_the_document() -> None:
    doc = dump(_busy_state())
    engine = {f.name for f in fields(ExchangeState)}
    assert engine <= set(doc)
    assert set(doc["orders"][0]) == {f.name for f in fields(OrderRecord)}
    assert set(doc["wallet"]) == {f.name for f in fields(WalletState)}
    assert set(doc["liquidity"]) == {f.name for f in fields(LiquidityState)}
    assert set(doc["ids"]) == {f.name for f in fields(IdState)}
    assert set(doc["futures"]) == {f.name for f in fields(FuturesState)}
    assert set(doc["futures_liquidity"]) == {f.name for f in fields(FuturesLiquidityState)}


def _doc_with(change: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(dump(_busy_state())))
    change(doc)
    return doc


def test_a_document_the_engine_cannot_run_from_is_refused() -> None:
    def duplicate_fill(doc: dict[str, Any]) -> None:
        oid = next(o["order_id"] for o in doc["orders"] if doc["fills"].get(o["order_id"]))
        doc["fills"][oid].append(dict(doc["fills"][oid][0]))

    with pytest.raises(SnapshotError, match="given twice"):
        MockState.restore(Config(), _doc_with(duplicate_fill))


def test_load_state_checks_the_invariants_and_changes_nothing_when_refused() -> None:
    ex = _busy_state().exchange
    before = ex.export_state()
    broken = ex.export_state()
    broken.balances[broken.orders[-1].account_id]["USDT"].free += 1  # money from nowhere
    with pytest.raises(EngineStateError):
        ex.load_state(broken)
    assert asdict(ex.export_state()) == asdict(before)
    fresh = Exchange(list(ex.markets), clock=ex.clock, seed=before.seed)
    fresh.load_state(ex.export_state(), ex.futures.export_state())  # the futures wallets' margins need both
    assert asdict(fresh.export_state()) == asdict(before) and fresh.problems() == []
    assert asdict(fresh.futures.export_state()) == asdict(ex.futures.export_state())
    with pytest.raises(EngineStateError, match="futures wallet futures:futures-liquidity: locked"):
        Exchange(list(ex.markets), clock=ex.clock).load_state(ex.export_state())  # its futures state left out


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


def _attrs(obj: object) -> set[str]:
    names = set(getattr(obj, "__dict__", {}))
    for klass in type(obj).__mro__:
        names |= set(getattr(klass, "__slots__", ()))
    return names


#: Every attribute of the engine's live objects, split into the state a snapshot carries (and the
#: state field that carries it) and wiring or configuration it does not. A new attribute fails
#: test_every_attribute_of_the_live_engine_is_state_or_wiring until it is placed in one or the other.
LIVE_ATTRIBUTES: dict[str, dict[str, str]] = {
    "Exchange": {
        "seed": "ExchangeState.seed",
        "started_ms": "ExchangeState.started_ms",
        "ids": "ExchangeState.ids",
        "_seq": "ExchangeState.seq",
        "_account_seq": "ExchangeState.account_seq",
        "accounts": "ExchangeState.accounts",
        "accounts_by_key": "ExchangeState.accounts (derived: the keys of accounts reached by a key)",
        "_ledger": "ExchangeState.balances, net_external",
        "_opening": "the snapshot's opening_balances (beside the exchange state)",
        "_matchers": "wiring (one per venue)",
        "venues": "ExchangeState.last_prices, tapes; books derived from open orders",
        "_store": "ExchangeState.orders, fills",
        "lock": "wiring",
        "clock": "wiring (the snapshot's clock section)",
        "markets": "configuration (the markets file)",
        "after_match": "wiring",
        "fund_listeners": "wiring",
        "market_models": "wiring",
        "price_band": "configuration (fidelity switch)",
        "price_precision_code": "configuration (fidelity switch)",
        "cancel_stall_ms": "configuration (fidelity switch)",
        "futures": "the futures engine: its own state (Futures.export_state), carried beside this one",
    },
    "Venue": {
        "market": "configuration",
        "symbol": "configuration",
        "tick": "configuration (derived from the market)",
        "lot": "configuration (derived from the market)",
        "grid": "configuration (derived from the market)",
        "min_lots": "configuration (derived from the market)",
        "min_units": "configuration (derived from the market)",
        "max_units": "configuration (derived from the market)",
        "maker_base_fee": "configuration (derived from the market)",
        "maker_quote_fee": "configuration (derived from the market)",
        "taker_base_fee": "configuration (derived from the market)",
        "taker_quote_fee": "configuration (derived from the market)",
        "book": "derived from open orders",
        "tape": "ExchangeState.tapes",
        "last_price": "ExchangeState.last_prices",
        "_band": "cache (derived from last_price)",
        "_band_ticks": "cache (derived from last_price)",
        "_last": "cache (last_price in ticks, as the last trade set it)",
        "_buy_factor": "configuration (derived from the market)",
        "_sell_factor": "configuration (derived from the market)",
        "after_trade": "wiring",
        "path": "derived (a pure function of ExchangeState.seed, started_ms and the market)",
    },
    "Ledger": {
        "_balances": "ExchangeState.balances",
        "_net_external": "ExchangeState.net_external",
        "_undo": "transient (an open transaction)",
        "scale": "configuration (derived from the markets)",
    },
    "OrderStore": {
        "_by_id": "ExchangeState.orders",
        "_by_account": "derived from orders",
        "_by_client": "derived from orders",
        "_fills": "ExchangeState.fills",
    },
    "IdGenerator": {
        "_order": "IdState.order",
        "_trade": "IdState.trade",
        "_uid": "IdState.uid",
        "rng": "IdState.rng",
    },
    "Wallet": {
        "exchange": "wiring",
        "coins": "configuration (the coin list)",
        "settle_ms": "configuration",
        "_records": "WalletState.records",
        "_by_biz": "derived from records",
        "_seq": "WalletState.seq",
        "_whitelist": "WalletState.whitelist",
        "network_names": "configuration (fidelity switch)",
        "whitelist_on": "configuration (fidelity switch)",
    },
    "LiquidityProvider": {
        "exchange": "wiring",
        "levels": "LiquidityState.levels",
        "spacing_bps": "LiquidityState.spacing_bps",
        "_rng": "LiquidityState.rng",
        "_busy": "transient (re-entry guard)",
    },
    "TradeTape": {"times": "ExchangeState.tapes", "prices": "ExchangeState.tapes", "volumes": "ExchangeState.tapes"},
    "Futures": {
        "exchange": "wiring",
        "lock": "wiring (the exchange's)",
        "ledger": "wiring (the exchange's: ExchangeState.balances)",
        "ids": "wiring (the exchange's: ExchangeState.ids)",
        "clock": "wiring",
        "scale": "configuration (the ledger's)",
        "catalogue": "configuration (the contracts file)",
        "wallet_identity": "FuturesState.wallet_identity",
        "after_trade": "wiring",
        "market_models": "wiring",
        "_busy_advancing": "transient (re-entry guard)",
        "_at_ms": "transient (the instant a settlement stamps, inside advance)",
        "account_orders": "derived from orders",
        "open_index": "derived from orders",
        "taking": "transient (orders taking liquidity inside one placement)",
        "seed": "FuturesState.seed",
        "started_ms": "FuturesState.started_ms",
        "venues": "FuturesState.markets, tapes, mark_tapes; books derived from open orders",
        "accounts": "FuturesState.accounts",
        "orders": "FuturesState.orders",
        "client_ids": "derived from orders",
        "fills": "FuturesState.fills",
        "fills_by_order": "derived from fills",
        "positions": "FuturesState.positions",
        "position_index": "derived from positions",
        "closed": "FuturesState.closed",
        "funding_rows": "FuturesState.funding_history",
        "tpsl": "FuturesState.tpsl",
        "seq": "FuturesState.seq",
        "pnl_cash": "FuturesState.pnl_cash",
        "funding_cash": "FuturesState.funding_cash",
        "fee_cash": "FuturesState.fee_cash",
        "pnl_shortfall": "FuturesState.pnl_shortfall",
        "funding_shortfall": "FuturesState.funding_shortfall",
    },
    "FuturesVenue": {
        "c": "configuration (the contract)",
        "grid": "configuration (derived from the contract)",
        "amount_s": "configuration (derived from the contract)",
        "min_lots": "configuration (derived from the contract)",
        "max_limit_lots": "configuration (derived from the contract)",
        "max_market_lots": "configuration (derived from the contract)",
        "book": "derived from open orders",
        "tape": "FuturesState.tapes",
        "mark_tape": "FuturesState.mark_tapes",
        "row": "FuturesState.markets",
        "path": "derived (a pure function of FuturesState.seed, started_ms and the contract)",
    },
    "FuturesLiquidity": {
        "futures": "wiring",
        "levels": "FuturesLiquidityState.levels",
        "spacing_bps": "FuturesLiquidityState.spacing_bps",
        "_rng": "FuturesLiquidityState.rng",
        "_busy": "transient (re-entry guard)",
    },
}


def test_every_attribute_of_the_live_engine_is_state_or_wiring() -> None:
    state = _busy_state()
    ex = state.exchange
    venue = ex.venue("BTCUSDT")
    assert state.liquidity is not None and state.futures_liquidity is not None
    live = {
        "Exchange": ex,
        "Venue": venue,
        "Ledger": ex._ledger,
        "OrderStore": ex._store,
        "IdGenerator": ex.ids,
        "Wallet": state.wallet,
        "LiquidityProvider": state.liquidity,
        "TradeTape": venue.tape,
        "Futures": ex.futures,
        "FuturesVenue": ex.futures.venues["BTCUSDT"],
        "FuturesLiquidity": state.futures_liquidity,
    }
    for name, obj in live.items():
        assert _attrs(obj) == set(LIVE_ATTRIBUTES[name]), f"{name}: place every attribute as state or wiring"
    carried = {f"ExchangeState.{f.name}" for f in fields(ExchangeState)}
    carried |= {f"WalletState.{f.name}" for f in fields(WalletState)}
    carried |= {f"LiquidityState.{f.name}" for f in fields(LiquidityState)}
    carried |= {f"IdState.{f.name}" for f in fields(IdState)}
    carried |= {f"FuturesState.{f.name}" for f in fields(FuturesState)}
    carried |= {f"FuturesLiquidityState.{f.name}" for f in fields(FuturesLiquidityState)}
    mentioned = " ".join(v for attrs in LIVE_ATTRIBUTES.values() for v in attrs.values())
    for field_name in carried:  # and every state field is carried by some live attribute
        cls, _, attr = field_name.partition(".")
        assert re.search(rf"{cls}\.[\w, ]*\b{attr}\b", mentioned), f"{field_name}: no live attribute carries it"


def test_a_paced_encoding_is_the_same_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checkpoint writer encodes with pauses (orders and fills in chunks); the document is the same."""
    from mockserver.control import snapshot

    state = MockState.build(Config(liquidity=True, liquidity_levels=5))
    for symbol in ("BTCUSDT", "ETHUSDT"):  # a market buy through every level: fills of many orders
        state.exchange.place("demo", PlaceRequest(symbol, Side.BUY, OrderType.MARKET, Decimal(5000), None))
    captured = snapshot.capture(state)
    monkeypatch.setattr(snapshot, "PAUSE_EVERY", 3)
    pauses: list[None] = []
    paced = snapshot.encode(captured, lambda: pauses.append(None))
    assert paced == snapshot.encode(captured) and len(captured.engine.orders) >= 6
    assert len(captured.engine.fills) >= 6 and len(pauses) >= len(captured.engine.orders) // 3
