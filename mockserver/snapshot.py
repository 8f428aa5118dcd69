"""Snapshot an exchange to JSON and restore it, so a test can start from a saved state.

The snapshot holds everything the exchange paths can observe: accounts (with
their secrets - this is a mock), balances, every order (resting ones rebuild the
books in time priority), fills, trade tapes, wallet records, last prices, id
counters and generator states (so ids continue exactly as they would have), and
the clock. Not kept: the nonce memory (a restored exchange accepts any fresh
request), the journal, faults, rate-limit counters and counterparty scripts -
those steer a run, they are not the exchange.
"""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

from .config import Config
from .engine import (
    Account,
    Exchange,
    Fill,
    LiquidityProvider,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Role,
    Side,
    WalletRecord,
)
from .engine.accounts import Balance, Ledger
from .state import MockState

__all__ = ["FORMAT", "SnapshotError", "dump", "load"]

FORMAT = "bitunix-mock-snapshot"
VERSION = 1

_ENUMS: dict[str, type[Any]] = {"Side": Side, "OrderType": OrderType, "OrderStatus": OrderStatus, "Role": Role}


class SnapshotError(ValueError):
    """The document is not a snapshot this version can restore."""


def _enc(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (Side, OrderType, OrderStatus, Role)):
        return int(value)
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _obj(o: Any) -> dict[str, Any]:
    return {f.name: _enc(getattr(o, f.name)) for f in fields(o)}


def _dec(cls: type[Any], doc: dict[str, Any]) -> Any:
    """Rebuild a dataclass from its JSON, converting by the declared field types."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in doc:
            continue
        v, t = doc[f.name], str(f.type)
        if v is None:
            kwargs[f.name] = None
        elif t.startswith("Decimal"):
            kwargs[f.name] = Decimal(v)
        elif t in _ENUMS:
            kwargs[f.name] = _ENUMS[t](v)
        elif t.startswith("frozenset"):
            kwargs[f.name] = frozenset(v)
        elif t.startswith("tuple"):
            kwargs[f.name] = tuple(v)
        else:
            kwargs[f.name] = v
    return cls(**kwargs)


def _rng_state(rng: Any) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _set_rng(rng: Any, doc: list[Any]) -> None:
    rng.setstate((doc[0], tuple(doc[1]), doc[2]))


def dump(state: MockState) -> dict[str, Any]:
    """The whole exchange as a JSON-able dict."""
    ex = state.exchange
    with ex.lock:
        ids = ex.ids
        ledger_doc = {
            acct: {coin: [str(b.free), str(b.locked)] for coin, b in coins.items()}
            for acct, coins in ex.ledger._balances.items()
        }
        liq = state.liquidity
        return {
            "format": FORMAT,
            "version": VERSION,
            "seed": ex.seed,
            "profile": state.verifier.profile.name,
            "clock": {"now_ms": state.clock.now_ms(), "frozen": state.clock.frozen, "offset_ms": state.clock.offset_ms},
            "started_ms": ex.started_ms,
            "ids": {"order": ids._order, "trade": ids._trade, "uid": ids._uid, "rng": _rng_state(ids.rng)},
            "seq": ex._seq,
            "account_seq": ex._account_seq,
            "accounts": [_obj(a) for a in ex.accounts.values()],
            "balances": ledger_doc,
            "net_external": {c: str(v) for c, v in ex.ledger._net_external.items()},
            "last_prices": {s: str(p) for s, p in ex.last_prices.items()},
            "orders": [_obj(o) for o in ex.orders.values()],
            "fills": {oid: [_obj(f) for f in fs] for oid, fs in ex.fills_by_order.items()},
            "tapes": {
                s: [[t, str(p), str(v)] for t, p, v in zip(tape.times, tape.prices, tape.volumes, strict=True)]
                for s, tape in ex.tapes.items()
            },
            "wallet": {"seq": state.wallet._seq, "records": [_obj(r) for r in state.wallet._records]},
            "liquidity": None
            if liq is None
            else {"levels": liq.levels, "spacing_bps": liq.spacing_bps, "rng": _rng_state(liq._rng)},
            "demo_account": None if state.demo is None else state.demo.account_id,
        }


def load(config: Config, doc: dict[str, Any]) -> MockState:
    """A new :class:`MockState` equal to the one ``doc`` was dumped from."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"not a {FORMAT} document")
    if doc.get("version") != VERSION:
        raise SnapshotError(f"snapshot version {doc.get('version')!r}; this mock reads version {VERSION}")
    try:
        return _load(config, doc)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, IndexError) as exc:
        raise SnapshotError(f"malformed snapshot: {exc!r}") from None


def _load(config: Config, doc: dict[str, Any]) -> MockState:
    clock_doc = doc["clock"]
    cfg = replace(
        config,
        seed=int(doc["seed"]),
        profile=str(doc["profile"]),
        liquidity=False,
        demo_account=False,
        frozen_at_ms=int(clock_doc["now_ms"]) if clock_doc["frozen"] else None,
        clock_offset_ms=int(clock_doc["offset_ms"]),
    )
    state = MockState.build(cfg)
    state.config = replace(cfg, liquidity=doc["liquidity"] is not None, demo_account=doc["demo_account"] is not None)
    ex: Exchange = state.exchange
    ex.started_ms = int(doc["started_ms"])
    ids = doc["ids"]
    ex.ids._order, ex.ids._trade, ex.ids._uid = int(ids["order"]), int(ids["trade"]), int(ids["uid"])
    _set_rng(ex.ids.rng, ids["rng"])
    ex._seq, ex._account_seq = int(doc["seq"]), int(doc["account_seq"])

    ex.accounts.clear()
    ex.accounts_by_key.clear()
    for a in doc["accounts"]:
        acct: Account = _dec(Account, a)
        ex.accounts[acct.account_id] = acct
        if not acct.system:
            ex.accounts_by_key[acct.api_key] = acct
    ledger = Ledger()
    for acct_id, coins in doc["balances"].items():
        for coin, (free, locked) in coins.items():
            ledger._balances.setdefault(acct_id, {})[coin] = Balance(Decimal(free), Decimal(locked))
    ledger._net_external = {c: Decimal(v) for c, v in doc["net_external"].items()}
    ex.ledger = ledger
    ex.last_prices = {s: Decimal(p) for s, p in doc["last_prices"].items()}

    ex.orders.clear()
    ex.orders_by_account.clear()
    ex.books = {m.symbol: OrderBook(m.symbol) for m in ex.markets}
    resting: list[Order] = []
    for o in doc["orders"]:
        order: Order = _dec(Order, o)
        ex.orders[order.order_id] = order
        ex.orders_by_account.setdefault(order.account_id, []).append(order)
        if order.status.is_open and order.type is OrderType.LIMIT:
            resting.append(order)
    for order in sorted(resting, key=lambda o: o.seq):
        ex.books[order.symbol].add(order)
    ex.fills_by_order = {oid: [_dec(Fill, f) for f in fs] for oid, fs in doc["fills"].items()}
    for symbol, rows in doc["tapes"].items():
        tape = ex.tapes[symbol]
        tape.clear()
        for t, p, v in rows:
            tape.times.append(int(t))
            tape.prices.append(Decimal(p))
            tape.volumes.append(Decimal(v))

    wallet = state.wallet
    wallet._seq = int(doc["wallet"]["seq"])
    wallet._records = [_dec(WalletRecord, r) for r in doc["wallet"]["records"]]
    wallet._by_biz = {(r.account_id, r.out_biz_id): r for r in wallet._records if r.out_biz_id is not None}

    # Synthetic candles are a pure function of (seed, symbol, start time, price): rebuild them.
    state.rebuild_paths()
    liq_doc = doc["liquidity"]
    if liq_doc is not None:
        liq = LiquidityProvider(ex, levels=int(liq_doc["levels"]), spacing_bps=int(liq_doc["spacing_bps"]))
        _set_rng(liq._rng, liq_doc["rng"])
        state.liquidity = liq
        ex.after_match.append(liq.replenish)
    demo_id = doc["demo_account"]
    state.demo = ex.accounts.get(demo_id) if demo_id else None
    return state
