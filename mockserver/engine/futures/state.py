"""The futures engine's state as plain data, and the home of its invariants.

:class:`FuturesState` is everything a :class:`~.engine.Futures` holds beside the exchange's
ledger (the wallets' money is in the ledger, which the exchange's own state carries):
:func:`export` copies it out, :func:`install` puts one in, :func:`problems` lists every
broken invariant and :func:`audit` the conservation identities.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..orders import Side
from . import margin as _margin
from .names import CLEARING_ACCOUNT, FEES_ACCOUNT, HOUSE_ACCOUNT, MARGIN_COIN, SYSTEM_FLOAT, WALLET_PREFIX
from .rows import AccountRow, FillRow, FundingRow, MarketRow, OrderRow, PositionRow, TpslRow

if TYPE_CHECKING:
    from .engine import Futures

__all__ = ["FuturesState", "audit", "export", "install", "problems"]


@dataclass(slots=True)
class FuturesState:
    """Everything the futures engine holds beside the ledger."""

    seed: int
    started_ms: int
    seq: int
    wallet_identity: str
    markets: list[MarketRow]
    accounts: list[AccountRow]
    orders: list[OrderRow]
    fills: list[FillRow]
    positions: list[PositionRow]
    closed: list[PositionRow]
    funding_history: dict[str, list[FundingRow]]
    tpsl: list[TpslRow]
    pnl_cash: dict[str, int]
    funding_cash: dict[str, int]
    fee_cash: dict[str, int]
    pnl_shortfall: int = 0
    funding_shortfall: int = 0
    tapes: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)
    mark_tapes: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)


def export(f: Futures) -> FuturesState:
    """A deep copy of the futures engine's state."""
    return FuturesState(
        seed=f.seed,
        started_ms=f.started_ms,
        seq=f.seq,
        wallet_identity=f.wallet_identity,
        markets=[copy.copy(v.row) for v in f.venues.values()],
        accounts=copy.deepcopy(list(f.accounts.values())),
        orders=[copy.copy(o) for o in f.orders.values()],
        fills=[copy.copy(x) for x in f.fills],
        positions=[copy.copy(p) for p in f.positions.values()],
        closed=[copy.copy(p) for p in f.closed],
        funding_history={s: [copy.copy(r) for r in rows] for s, rows in f.funding_rows.items()},
        tpsl=[copy.copy(t) for t in f.tpsl.values()],
        pnl_cash=dict(f.pnl_cash),
        funding_cash=dict(f.funding_cash),
        fee_cash=dict(f.fee_cash),
        pnl_shortfall=f.pnl_shortfall,
        funding_shortfall=f.funding_shortfall,
        tapes={s: v.tape.rows() for s, v in f.venues.items()},
        mark_tapes={s: v.mark_tape.rows() for s, v in f.venues.items()},
    )


def install(f: Futures, state: FuturesState) -> None:
    """Become ``state`` (copies are taken; books rebuilt from the open orders in time priority)."""
    state = copy.deepcopy(state)
    f._reset(state.seed, state.started_ms)
    f.seq = state.seq
    f.wallet_identity = state.wallet_identity
    for row in state.markets:
        v = f.venues.get(row.symbol)
        if v is None:
            raise ValueError(f"futures state names an unknown contract {row.symbol!r}")
        v.row = row
    for s, rows in state.tapes.items():
        f.venues[s].tape.load(rows)
    for s, rows in state.mark_tapes.items():
        f.venues[s].mark_tape.load(rows)
    f.accounts = {a.account_id: a for a in state.accounts}
    f.orders = {o.order_id: o for o in state.orders}
    f.client_ids = {(o.account_id, o.client_id): o.order_id for o in state.orders if o.client_id}
    f._reindex()
    f.fills = list(state.fills)
    f.fills_by_order = {}
    for x in f.fills:
        if x.order_id:
            f.fills_by_order.setdefault(x.order_id, []).append(x)
    f.positions = {p.position_id: p for p in state.positions}
    f.position_index = {(p.account_id, p.symbol, p.side): p.position_id for p in state.positions}
    f.closed = list(state.closed)
    for sym, history in state.funding_history.items():
        f.funding_rows[sym] = list(history)
    f.tpsl = {t.tpsl_id: t for t in state.tpsl}
    f.pnl_cash = dict(state.pnl_cash)
    f.funding_cash = dict(state.funding_cash)
    f.fee_cash = dict(state.fee_cash)
    f.pnl_shortfall = state.pnl_shortfall
    f.funding_shortfall = state.funding_shortfall
    for o in sorted((o for o in f.orders.values() if o.is_open), key=lambda o: o.seq):
        f.venues[o.symbol].book.add(o)


def _sum(d: dict[str, int]) -> int:
    return sum(d.values())


def pnl_gap(f: Futures) -> int:
    """Realized PnL of all positions minus what the open positions' entry values owe (0: PnL is zero-sum).

    Every fill moves ``qty x price`` from buyer to seller; an account's trade cash equals its
    realized PnL minus its signed entry value (long +, short -). So, per contract, the realized
    PnL of every position equals the long entry values minus the short entry values still open.
    """
    gap = 0
    for symbol, v in f.venues.items():
        realized = sum(p.realized for p in (*f.positions.values(), *f.closed) if p.symbol == symbol)
        owed = sum(p.cost if p.side == "LONG" else -p.cost for p in f.positions.values() if p.symbol == symbol)
        gap += realized - owed * v.amount_s
    return gap


def audit(f: Futures) -> dict[str, Decimal]:
    """The futures conservation identities (all zero when money is conserved); see ``Futures.audit``."""
    ledger = f.ledger
    out = {f"ledger:{MARGIN_COIN}": ledger.audit().get(MARGIN_COIN, Decimal(0))}
    if CLEARING_ACCOUNT in f.exchange.accounts:
        held = ledger.free_units(CLEARING_ACCOUNT, MARGIN_COIN) + ledger.locked_units(CLEARING_ACCOUNT, MARGIN_COIN)
        expect = ledger.to_units(SYSTEM_FLOAT, "float") - _sum(f.pnl_cash) - _sum(f.funding_cash)
        fees = ledger.free_units(FEES_ACCOUNT, MARGIN_COIN) + ledger.locked_units(FEES_ACCOUNT, MARGIN_COIN)
    else:
        held = expect = fees = 0
    out["clearing"] = ledger.dec(held - expect)
    out["fees"] = ledger.dec(fees - _sum(f.fee_cash))
    out["pnl"] = ledger.dec(pnl_gap(f))
    return out


def problems(f: Futures) -> list[str]:
    """Every broken futures invariant; empty when sound."""
    out: list[str] = [f"futures audit {k}: off by {v}" for k, v in audit(f).items() if v]
    ledger = f.ledger
    held: dict[str, int] = {}
    seqs: set[int] = set()
    resting = 0
    for o in f.orders.values():
        if o.seq in seqs:
            out.append(f"futures order {o.order_id}: seq {o.seq} given twice")
        seqs.add(o.seq)
        if not (0 <= o.deal_lots <= o.qty_lots) or o.frozen < 0:
            out.append(f"futures order {o.order_id}: filled {o.deal_lots} of {o.qty_lots}, frozen {o.frozen}")
        if o.is_open:
            resting += 1
            held[o.account_id] = held.get(o.account_id, 0) + o.frozen
            if o.deal_lots == o.qty_lots:
                out.append(f"futures order {o.order_id}: open yet fully filled")
        elif o.frozen:
            out.append(f"futures order {o.order_id}: {o.status}, yet freezes {o.frozen}")
        filled = sum(x.qty_lots for x in f.fills_by_order.get(o.order_id, ()))
        if filled != o.deal_lots:
            out.append(f"futures order {o.order_id}: fills sum to {filled} lots, the order says {o.deal_lots}")
    indexed = {o.order_id for rows in f.open_index.values() for by in rows.values() for o in by.values()}
    if indexed != {o.order_id for o in f.orders.values() if o.is_open}:
        out.append("futures open-order index and open orders differ")
    # Every open order freezes what it could need if it filled (margin of what it may open + fee).
    for acct, by_symbol in f.open_index.items():
        for sym in by_symbol:
            for oid, need in _margin.required(f, acct, sym).items():
                if f.orders[oid].frozen < need:
                    got = ledger.dec(f.orders[oid].frozen)
                    out.append(f"futures order {oid}: freezes {got}, could need {ledger.dec(need)}")
    booked = 0
    for v in f.venues.values():
        out += list(v.book.book.problems())
        if v.book.book.is_crossed():
            out.append(f"futures book {v.c.symbol}: crossed")
        for o in v.book.orders():
            booked += 1
            if f.orders.get(o.order_id) is not o or not o.is_open or o.symbol != v.c.symbol:
                out.append(f"futures book {v.c.symbol}: holds order {o.order_id}, which is not open there")
    if booked != resting:
        out.append(f"futures books hold {booked} orders, {resting} are open")
    net: dict[tuple[str, str], int] = {}
    for p in f.positions.values():
        held[p.account_id] = held.get(p.account_id, 0) + p.margin
        if p.qty_lots <= 0 or p.cost <= 0 or p.margin < 0:
            out.append(f"futures position {p.position_id}: qty {p.qty_lots}, cost {p.cost}, margin {p.margin}")
        if f.position_index.get((p.account_id, p.symbol, p.side)) != p.position_id:
            out.append(f"futures position {p.position_id}: not indexed")
        key = (p.account_id, p.symbol)
        net[key] = net.get(key, 0) + (p.qty_lots if p.side == "LONG" else -p.qty_lots)
        mode = f.accounts[p.account_id].position_mode if p.account_id in f.accounts else "?"
        other = "SHORT" if p.side == "LONG" else "LONG"
        if mode == "ONE_WAY" and (p.account_id, p.symbol, other) in f.position_index:
            out.append(f"futures account {p.account_id}: both sides of {p.symbol} held in one-way mode")
    if len(f.position_index) != len(f.positions):
        out.append("futures position index and positions differ")
    traded: dict[tuple[str, str], int] = {}
    for x in f.fills:
        key = (x.account_id, x.symbol)
        traded[key] = traded.get(key, 0) + (x.qty_lots if x.side is Side.BUY else -x.qty_lots)
    for key in set(net) | set(traded):
        if net.get(key, 0) != traded.get(key, 0):
            out.append(f"futures {key[0]} {key[1]}: positions net {net.get(key, 0)} lots, fills {traded.get(key, 0)}")
    for wallet in sorted(f.ledger_accounts()):
        if wallet in (CLEARING_ACCOUNT, FEES_ACCOUNT):
            acct = ""
        else:
            acct = wallet if wallet == HOUSE_ACCOUNT else wallet[len(WALLET_PREFIX) :]
        locked = ledger.locked_units(wallet, MARGIN_COIN)
        free = ledger.free_units(wallet, MARGIN_COIN)
        if free < 0 or locked < 0:
            out.append(f"futures wallet {wallet}: negative balance (free {free}, locked {locked})")
        if locked != held.get(acct, 0):
            want = ledger.dec(held.get(acct, 0))
            out.append(f"futures wallet {wallet}: locked {ledger.dec(locked)} is not frozen + margin {want}")
    every = (*f.positions.values(), *f.closed)
    if sum(p.fee for p in every) != _sum(f.fee_cash):
        out.append("futures: position fees do not sum to the fees charged")
    if sum(p.funding for p in every) != _sum(f.funding_cash):
        out.append("futures: position funding does not sum to the funding moved")
    if sum(p.realized for p in every) != _sum(f.pnl_cash) - f.pnl_shortfall:
        out.append("futures: realized PnL is not what the clearing account paid and took (plus the shortfall)")
    return out
