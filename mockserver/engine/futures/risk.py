"""Risk: TP/SL triggers and liquidation when the mark puts a position under water (closing it at
the mark against the house account).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..orders import Side
from . import matching as _matching
from . import positions as _positions
from . import tpsl as _tpsl
from .names import HOUSE_ACCOUNT
from .rows import (
    AccountRow,
    FillRow,
    PositionRow,
)
from .venue import Venue

if TYPE_CHECKING:
    from .engine import Futures


def check_risk(fx: Futures, symbol: str) -> None:
    """Fire due TP/SL orders, then liquidate what the mark has put under water."""
    _tpsl.run_triggers(fx, symbol)
    liquidate_due(fx)


def liquidate_due(fx: Futures) -> None:
    doomed: list[PositionRow] = []
    cross_accounts: set[str] = set()
    for p in list(fx.positions.values()):
        if p.account_id == HOUSE_ACCOUNT:
            continue
        v = fx.venues[p.symbol]
        if p.margin_mode == "ISOLATION":
            if p.margin + _positions.upnl(fx, v, p) <= _positions.maintenance(fx, v, p):
                doomed.append(p)
        else:
            cross_accounts.add(p.account_id)
    for acct in sorted(cross_accounts):
        mine = [p for p in fx.positions.values() if p.account_id == acct and p.margin_mode == "CROSS"]
        equity = fx._free(acct)
        maint = 0
        for p in mine:
            v = fx.venues[p.symbol]
            equity += p.margin + _positions.upnl(fx, v, p)
            maint += _positions.maintenance(fx, v, p)
        if equity <= maint:
            doomed.extend(mine)
    for p in doomed:
        if p.position_id in fx.positions:
            liquidate(fx, p)


def liquidate(fx: Futures, p: PositionRow) -> None:
    """Close the whole position at the mark (an isolated one at worst at its bankruptcy price) against
    the house account (no fee) [L]."""
    close_with_house(fx, p, liquidation=True)


def close_with_house(fx: Futures, p: PositionRow, *, liquidation: bool) -> None:
    """Close the whole position at the mark against the house account, no fee: a liquidation, or
    an account's reset or deletion. PnL settles with the clearing account as for any close."""
    fx._ensure_system()
    v = fx.venues[p.symbol]
    ticks = v.row.mark_ticks
    if liquidation and p.margin_mode == "ISOLATION":
        # Isolation caps the loss at the position's margin: a mark past the bankruptcy price (a gap)
        # fills there, and the house (the insurance fund) takes the position at that price [L].
        b = _positions.bankruptcy_ticks(fx, v, p)
        ticks = max(ticks, b) if p.side == "LONG" else min(ticks, b)
    lots = p.qty_lots
    now = fx._now()
    tid = fx.ids.trade_id()
    with fx.ledger.atomic():
        side = Side.SELL if p.side == "LONG" else Side.BUY
        pid = p.position_id
        pnl = _positions.close(fx, p, v, lots, ticks, liquidation=liquidation)
        fx.fills.append(FillRow(tid, "", p.account_id, p.symbol, side, ticks, lots, 0, pnl, "TAKER", pid, now))
        house_side = Side.BUY if side is Side.SELL else Side.SELL
        _, hpnl, hpid = house_take(fx, v, house_side, lots, ticks)
        fx.fills.append(FillRow(tid, "", HOUSE_ACCOUNT, p.symbol, house_side, ticks, lots, 0, hpnl, "MAKER", hpid, now))
        _matching.fit_closers(fx, p.account_id, p.symbol)


def close_account(fx: Futures, account_id: str, *, forget: bool = False) -> None:
    """Leave the account with no futures order, position or TP/SL, its money conserved [L].

    Open orders are cancelled (their freeze goes back to free); every position is closed at the
    mark against the house account, no fee (its PnL paid or taken by the clearing account; its
    margin back to free; its TP/SL orders ``SYSTEM_CANCELED``); what TP/SL is left (none should
    be) is cancelled too. Its history (orders, fills, closed positions) stays: it is part of the
    engine's conservation record. Its settings go back to the contracts' defaults; with ``forget``
    (the account is being deleted) the engine forgets the account itself.
    """
    with fx.ledger.atomic():
        for o in sorted(fx._open_orders(account_id), key=lambda o: o.seq):
            _matching.cancel_row(fx, o, fx.venues[o.symbol])
        for p in [p for p in fx.positions.values() if p.account_id == account_id]:
            if p.position_id in fx.positions:
                close_with_house(fx, p, liquidation=False)
    for t in fx.tpsl.values():
        if t.account_id == account_id and t.status == "NEW":
            t.status = "SYSTEM_CANCELED"
            t.mtime = fx._now()
    if forget:
        fx.accounts.pop(account_id, None)
    elif account_id in fx.accounts:
        fx.accounts[account_id] = AccountRow(account_id)


def house_take(fx: Futures, v: Venue, side: Side, lots: int, ticks: int) -> tuple[int, int, str]:
    """The house takes the other side of a liquidation (one-way, netting against what it holds)."""
    pnl = 0
    pid = ""
    left = lots
    opposite = _positions.position(fx, HOUSE_ACCOUNT, v.c.symbol, "SHORT" if side is Side.BUY else "LONG")
    if opposite is not None:
        q = min(left, opposite.qty_lots)
        pid = opposite.position_id
        pnl += _positions.close(fx, opposite, v, q, ticks)
        left -= q
    if left:
        _, pid = _positions.add(fx, HOUSE_ACCOUNT, v, "LONG" if side is Side.BUY else "SHORT", left, ticks)
    return 0, pnl, pid
