"""The exchange's state as plain data, and the one home of its invariants.

:class:`ExchangeState` is everything an :class:`~mockserver.engine.exchange.Exchange` holds, as
dataclasses (what a snapshot saves and a restore installs). :func:`export` copies it out,
:func:`install` puts one in, :func:`problems` lists every broken invariant (a restore runs it, so
nothing else repeats these checks), and :func:`savepoint` puts the exchange back when an admin
block fails. The exchange's ``export_state``/``load_state``/``problems``/``savepoint`` are these,
under its lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from .accounts import Account, Balance, LedgerError
from .ids import IdState
from .money import dec
from .orders import Fill, FillRecord, Order, OrderRecord, OrderType, Side

if TYPE_CHECKING:
    from .exchange import Exchange

__all__ = ["EngineStateError", "ExchangeState", "export", "install", "problems", "savepoint"]


class EngineStateError(ValueError):
    """A state the engine cannot run from: it breaks one of the engine's invariants."""


@dataclass(slots=True)
class ExchangeState:
    """Everything the exchange holds, as plain data: what a snapshot saves and a restore installs.

    Every field here must round-trip through ``mockserver.control.snapshot`` (a test enforces it).
    """

    seed: int
    started_ms: int
    ids: IdState
    seq: int  # the last order sequence number handed out (time priority across the book)
    account_seq: int  # the last generated ``acct-N`` id
    accounts: list[Account]
    balances: dict[str, dict[str, Balance]]
    net_external: dict[str, Decimal]
    last_prices: dict[str, Decimal]
    orders: list[OrderRecord]
    fills: dict[str, list[FillRecord]]
    tapes: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)


def export(ex: Exchange) -> ExchangeState:
    """A copy of everything the exchange holds (later changes to the exchange do not show in it)."""
    store = ex._store
    return ExchangeState(
        seed=ex.seed,
        started_ms=ex.started_ms,
        ids=ex.ids.export_state(),
        seq=ex._seq,
        account_seq=ex._account_seq,
        accounts=[replace(a) for a in ex.accounts.values()],
        balances=ex._ledger.export_balances(),
        net_external=ex._ledger.net_external(),
        last_prices={s: v.last_price for s, v in ex.venues.items()},
        orders=[o.record() for o in store.values()],
        fills={o.order_id: [f.record() for f in store.fills(o.order_id)] for o in store.values()},
        tapes={s: v.tape.rows() for s, v in ex.venues.items()},
    )


def install(ex: Exchange, state: ExchangeState) -> None:
    """Become ``state`` (taking ownership of its objects); :class:`EngineStateError` for one that cannot be held.

    Only what cannot even be installed is refused here; :func:`problems` judges the result.
    """
    ex.seed = state.seed
    ex.started_ms = state.started_ms
    ex.ids.load_state(state.ids)
    ex._seq, ex._account_seq = state.seq, state.account_seq
    ex.accounts.clear()
    ex.accounts_by_key.clear()
    for a in state.accounts:
        if a.account_id in ex.accounts:
            raise EngineStateError(f"account {a.account_id!r} given twice")
        ex.accounts[a.account_id] = a
        if not a.system:
            if a.api_key in ex.accounts_by_key:
                raise EngineStateError(f"api-key of account {a.account_id!r} given twice")
            ex.accounts_by_key[a.api_key] = a
    try:
        ex._ledger.load(state.balances, state.net_external)
    except LedgerError as exc:
        raise EngineStateError(str(exc)) from None
    for v in ex.venues.values():
        v.reset(state.seed, state.started_ms)
    for symbol, price in state.last_prices.items():
        ex.venue(symbol).last_price = price
    store = ex._store
    store.clear()
    live: list[Order] = []
    for r in state.orders:
        home = ex.venues.get(r.symbol)
        if home is None:
            raise EngineStateError(f"order {r.order_id}: no market {r.symbol!r}")
        try:
            o = Order.from_record(r, home.grid)
            store.add(o, [Fill.from_record(f, home.grid) for f in state.fills.get(o.order_id, ())])
        except ValueError as exc:
            raise EngineStateError(str(exc)) from None
        live.append(o)
    for oid in state.fills:
        if oid not in store:
            raise EngineStateError(f"fills of order {oid}, which does not exist")
    for o in sorted((o for o in live if o.status.is_open), key=lambda o: o.seq):
        ex.venue(o.symbol).book.add(o)
    for symbol, rows in state.tapes.items():
        ex.venue(symbol).tape.load(rows)
    # The futures engine's state is carried beside this one (Futures.export_state): a spot state alone
    # means no futures activity.
    ex.futures.reset()


def problems(ex: Exchange) -> list[str]:
    """Every broken invariant (conservation, locks, ids and counters, indexes); empty when sound."""
    store, ledger = ex._store, ex._ledger
    out = list(store.problems())
    out += [f"{coin}: balances and net external flow differ by {v}" for coin, v in ledger.audit().items() if v]
    locks: dict[tuple[str, str], int] = {}
    max_seq, max_oid, max_tid = 0, 0, 0
    resting = 0
    seqs: set[int] = set()
    trades: dict[str, int] = {}
    for o in store.values():
        max_seq, max_oid = max(max_seq, o.seq), max(max_oid, int(o.order_id))
        if o.seq in seqs:  # time priority is by seq: two orders with one would tie
            out.append(f"order {o.order_id}: seq {o.seq} given twice")
        seqs.add(o.seq)
        owner = ex.accounts.get(o.account_id)
        if owner is None:
            out.append(f"order {o.order_id}: no account {o.account_id!r}")
        elif owner.uid != o.uid:
            out.append(f"order {o.order_id}: uid {o.uid}, but its account's is {owner.uid}")
        if o.symbol not in ex.venues:
            out.append(f"order {o.order_id}: no market {o.symbol!r}")
            continue
        if o.status.is_open:
            resting += 1
            left = o.volume_lots - o.deal_lots
            want = o.price_ticks * left if o.side is Side.BUY else left
            if o.type is not OrderType.LIMIT or left <= 0 or o.locked_units != want:
                out.append(f"order {o.order_id}: open, but locks {o.locked} where it needs {dec(want, o.lock_places)}")
            key = (o.account_id, o.lock_coin)
            locks[key] = locks.get(key, 0) + o.locked_ledger_units
        elif o.locked_units:
            out.append(f"order {o.order_id}: closed, yet locks {o.locked}")
        for f in store.fills(o.order_id):
            max_tid = max(max_tid, int(f.trade_id))
            trades[f.trade_id] = trades.get(f.trade_id, 0) + 1
    # A trade is one taker fill and one maker fill.
    out += [f"trade {t}: on {n} fills, not 2" for t, n in trades.items() if n > 2]
    futures_wallets = ex.futures.ledger_accounts()  # their locks are futures margin: the futures check's
    for acct in list(ledger.accounts()):
        if acct in futures_wallets:
            continue
        for coin in ledger.balances_of(acct):
            held = ledger.locked_units(acct, coin)
            if held != locks.pop((acct, coin), 0):
                out.append(f"{acct} {coin}: locked {ledger.dec(held)} is not what its open orders lock")
    out += [f"{a} {c}: open orders lock {ledger.dec(v)}, the ledger nothing" for (a, c), v in locks.items() if v]
    if resting != sum(len(v.book) for v in ex.venues.values()):
        out.append("the books do not hold exactly the open orders")
    for v in ex.venues.values():
        out += v.book.problems()
        if v.book.is_crossed():
            out.append(f"book {v.symbol}: crossed")
        for o in v.book.orders():
            if store.get(o.order_id) is not o or not o.status.is_open or o.symbol != v.symbol:
                out.append(f"book {v.symbol}: holds order {o.order_id}, which is not open there")
    ids = ex.ids.export_state()
    if ids.order < max_oid or ids.trade < max_tid or ex._seq < max_seq:
        out.append("an id counter is behind an id already handed out")
    if any(a.uid > ids.uid for a in ex.accounts.values()):
        out.append("the uid counter is behind a uid already handed out")
    out += ex.futures.problems()
    return out


@contextlib.contextmanager
def savepoint(ex: Exchange, *, orders: bool = True) -> Iterator[None]:
    """All-or-nothing for an admin block of several operations: an exception puts the whole exchange back.

    With ``orders`` (the default) it copies the whole state up front - O(state), for the control
    plane, never the request path. ``orders=False`` is for blocks that only open accounts and
    move money (an account's creation): it keeps the ids, counters and accounts and runs the
    ledger in a transaction, in O(accounts); such a block must not place or cancel orders.
    Opening balances (not part of :class:`ExchangeState`) are put back either way.
    """
    opening = dict(ex._opening)
    if orders:
        saved = export(ex)
        saved_futures = ex.futures.export_state()
        models = [(model, model.export_state()) for model in ex.market_models]
        try:
            yield
        except BaseException:
            install(ex, saved)
            ex.futures.load_state(saved_futures)
            for model, model_state in models:
                model.load_state(model_state)
            ex._opening = opening
            raise
        return
    ids, seq, account_seq = ex.ids.export_state(), ex._seq, ex._account_seq
    futures_seq = ex.futures.seq
    accounts, by_key = dict(ex.accounts), dict(ex.accounts_by_key)
    started = ex._ledger.begin()
    try:
        yield
    except BaseException:
        if started:
            ex._ledger.abort()
        ex.ids.load_state(ids)
        ex._account_seq = account_seq
        ex.accounts.clear()
        ex.accounts.update(accounts)
        ex.accounts_by_key.clear()
        ex.accounts_by_key.update(by_key)
        ex._opening = opening
        raise
    finally:
        if ex._seq != seq or ex.futures.seq != futures_seq:  # an order moved: this savepoint cannot put it back
            raise RuntimeError("an order was placed inside a savepoint(orders=False)")
    if started:
        ex._ledger.commit()
