"""Matching, per contract: an order taking liquidity from its contract's book, each fill's two sides
(freeze released, positions changed, fee paid), the last/mark price after a trade, and ending
orders that will not fill further (freeze back, final status); resting close orders clipped to
what their position still holds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..money import ZERO
from ..orders import Side
from . import margin as _margin
from . import positions as _positions
from .names import FEES_ACCOUNT
from .rows import (
    FillRow,
    OrderRow,
)
from .venue import Venue

if TYPE_CHECKING:
    from .engine import Futures


def submit(fx: Futures, row: OrderRow) -> OrderRow:
    v = fx.venues[row.symbol]
    row.order_id = fx.ids.order_id()
    fx.seq += 1
    row.seq = fx.seq
    fx._lock(row.account_id, row.frozen)
    fx.orders[row.order_id] = row
    fx._index_order(row)
    if row.client_id:
        fx.client_ids[(row.account_id, row.client_id)] = row.order_id
    traded = False
    if (row.effect == "POST_ONLY" and crosses(fx, v, row)) or (
        row.effect == "FOK" and fillable(fx, v, row) < row.left_lots
    ):
        finish(fx, row, v)
    else:
        traded = take(fx, row, v)
    if traded:
        after_trades(fx, v)
    return row


def take(fx: Futures, o: OrderRow, v: Venue) -> bool:
    """Match ``o`` at its worst fill price (:mod:`.margin`), then rest or end its rest; True when it traded."""
    fx.taking[o.order_id] = _margin.taking_ticks(fx, v, o.side, o.order_type, o.price_ticks)
    try:
        traded = match(fx, o, v)
    finally:
        del fx.taking[o.order_id]
    if o.left_lots and o.is_open:
        if o.effect in ("GTC", "POST_ONLY") and o.order_type == "LIMIT":
            v.book.add(o)
            refit(fx, o.account_id, o.symbol)  # resting: its worst price is its own now
        else:
            finish(fx, o, v)
    return traded


def crosses(fx: Futures, v: Venue, o: OrderRow) -> bool:
    best = v.book.book.best_ask if o.side is Side.BUY else v.book.book.best_bid
    if best is None:
        return False
    return best <= o.price_ticks if o.side is Side.BUY else best >= o.price_ticks


def fillable(fx: Futures, v: Venue, o: OrderRow) -> int:
    total = 0
    opp = Side.SELL if o.side is Side.BUY else Side.BUY
    for ticks, level in v.book.walk(opp):
        if (ticks > o.price_ticks) if o.side is Side.BUY else (ticks < o.price_ticks):
            break
        for m in level:
            if m.account_id == o.account_id:
                return total
            total += m.left_lots
            if total >= o.left_lots:
                return total
    return total


def match(fx: Futures, o: OrderRow, v: Venue) -> bool:
    """Take liquidity at the best prices while ``o`` crosses; True when it traded."""
    opp = Side.SELL if o.side is Side.BUY else Side.BUY
    traded = False
    while o.left_lots > 0 and o.is_open:
        top = v.book.first(opp)
        if top is None:
            break
        ticks, maker = top
        if (ticks > o.price_ticks) if o.side is Side.BUY else (ticks < o.price_ticks):
            break
        if maker.account_id == o.account_id:
            finish(fx, o, v)  # fx-trade prevention: the taker's rest is cancelled
            break
        q = min(o.left_lots, maker.left_lots)
        mt = _positions.close_target(fx, maker)
        if _positions.closes(fx, maker):
            q = min(q, mt.qty_lots if mt is not None else 0)
            if q == 0:
                cancel_row(fx, maker, v)
                continue
        tt = _positions.close_target(fx, o)
        if _positions.closes(fx, o):
            q = min(q, tt.qty_lots if tt is not None else 0)
            if q == 0:
                break
        trade(fx, o, maker, q, ticks, v)
        traded = True
    return traded


def trade(fx: Futures, taker: OrderRow, maker: OrderRow, lots: int, ticks: int, v: Venue) -> None:
    now = fx._now()
    tid = fx.ids.trade_id()
    for o, role in ((maker, "MAKER"), (taker, "TAKER")):
        rate = v.c.maker_fee_rate if role == "MAKER" else v.c.taker_fee_rate
        fee, pnl, pid = fill_side(fx, o.account_id, v, o, lots, ticks, rate)
        if not o.deal_lots and (o.tp_price or o.sl_price):
            fx._attach_tpsl(o, pid)
        o.deal_lots += lots
        o.deal_value += ticks * lots
        o.fee += fee
        o.realized += pnl
        o.mtime = now
        if o.left_lots == 0:
            o.status = "FILLED"
            fx._unindex_open(o)
            if o is maker:
                v.book.remove(o)
        else:
            o.status = "PART_FILLED"
        f = FillRow(tid, o.order_id, o.account_id, o.symbol, o.side, ticks, lots, fee, pnl, role, pid, now)
        fx.fills.append(f)
        fx.fills_by_order.setdefault(o.order_id, []).append(f)
    traded_at(fx, v, ticks, lots, now)
    for acct in {maker.account_id, taker.account_id}:
        fit_closers(fx, acct, v.c.symbol)


def fill_side(
    fx: Futures, account_id: str, v: Venue, o: OrderRow | None, lots: int, ticks: int, rate: Decimal
) -> tuple[int, int, str]:
    """One side of a fill: freeze released, positions changed, fee paid; (fee, PnL, position id)."""
    # The order's whole freeze comes back; what this fill opens and its fee are paid from it (the
    # freeze covers them by construction, :mod:`.margin`), and the refit after the trade freezes
    # what the order's rest needs again.
    if o is not None and o.frozen:
        fx._unlock(account_id, o.frozen)
        o.frozen = 0
    action = o.side if o is not None else Side.BUY
    pnl = 0
    pid = ""
    mode = fx.accounts[account_id].position_mode
    left = lots
    if o is not None and _positions.closes(fx, o):
        target = _positions.close_target(fx, o)
        assert target is not None and target.qty_lots >= lots
        pid = target.position_id
        pnl += _positions.close(fx, target, v, lots, ticks)
        left = 0
    elif mode == "ONE_WAY":
        opposite = _positions.position(fx, account_id, v.c.symbol, "SHORT" if action is Side.BUY else "LONG")
        if opposite is not None:
            q = min(left, opposite.qty_lots)
            pid = opposite.position_id
            pnl += _positions.close(fx, opposite, v, q, ticks)
            left -= q
    if left:
        side = "LONG" if action is Side.BUY else "SHORT"
        if o is not None and o.position_side:
            side = o.position_side
        _, pid = _positions.add(fx, account_id, v, side, left, ticks)
    fee = fx._fee_for(v, ticks, lots, rate)
    # A fill that opened anything was frozen for (fee included): it pays in full (the ledger refuses
    # an overdraft). Only a pure close can find less than its fee (a close at a loss beyond the
    # wallet); it pays what is there, the rest counted with the PnL shortfall [L].
    paid = fee if left else min(fee, fx._free(account_id))
    fx._move(fx._wallet_id(account_id), FEES_ACCOUNT, paid)
    fx.fee_cash[account_id] = fx.fee_cash.get(account_id, 0) + paid
    p = fx.positions.get(pid)
    if p is not None:
        p.fee += paid
    else:
        for cp in reversed(fx.closed):
            if cp.position_id == pid:
                cp.fee += paid
                break
    return paid, pnl, pid


def traded_at(fx: Futures, v: Venue, ticks: int, lots: int, now: int) -> None:
    v.row.last_ticks = ticks
    v.tape.record(now, fx._dec_price(v, ticks), fx._dec_qty(v, lots))
    if v.row.follow_last and v.row.mark_ticks != ticks:
        v.row.mark_ticks = ticks
        v.mark_tape.record(now, fx._dec_price(v, ticks), ZERO)


def after_trades(fx: Futures, v: Venue) -> None:
    """After a placement traded: TP/SL triggers and liquidations at the new prices, then market models."""
    fx._check_risk(v.c.symbol)
    for listener in list(fx.after_trade):
        listener(fx, v.c.symbol)


def cancel_row(fx: Futures, o: OrderRow, v: Venue) -> None:
    if v.book.remove(o):
        pass
    finish(fx, o, v)


def finish(fx: Futures, o: OrderRow, v: Venue) -> None:
    """End an open order that will not fill further: freeze back, status final."""
    del v
    fx._unlock(o.account_id, o.frozen)
    o.frozen = 0
    fx._unindex_open(o)
    if o.left_lots == 0:
        o.status = "FILLED"
    else:
        o.status = "PART_FILLED_CANCELED" if o.deal_lots else "CANCELED"
    o.mtime = fx._now()


def fit_closers(fx: Futures, account_id: str, symbol: str) -> None:
    """Clip the account's resting close orders on ``symbol`` to what their position still holds, then
    refit its opening orders' freezes (:func:`refit`)."""
    v = fx.venues[symbol]
    for o in fx._open_orders(account_id, symbol):
        if not o.is_open:
            continue
        target = _positions.close_target(fx, o)
        if target is None and not _positions.closes(fx, o):
            continue
        size = target.qty_lots if target is not None else 0
        if o.left_lots > size:
            if size == 0:
                cancel_row(fx, o, v)
            else:
                o.qty_lots = o.deal_lots + size
                o.mtime = fx._now()
    refit(fx, account_id, symbol)


def refit(fx: Futures, account_id: str, symbol: str) -> None:
    """Hold each open order's freeze at what :func:`.margin.required` says it needs now: lower ones
    first (money back), then raises in time priority from free balance; an order whose raise the
    free balance cannot pay is cancelled rather than left to fill without its margin."""
    if account_id not in fx.accounts:
        return
    v = fx.venues[symbol]
    want = _margin.required(fx, account_id, symbol)
    rows = sorted((o for o in fx._open_orders(account_id, symbol) if o.order_id in want), key=lambda o: o.seq)
    for o in rows:
        if want[o.order_id] < o.frozen:
            fx._unlock(account_id, o.frozen - want[o.order_id])
            o.frozen = want[o.order_id]
    for o in rows:
        more = want[o.order_id] - o.frozen
        if more <= 0:
            continue
        if fx._free(account_id) >= more:
            fx._lock(account_id, more)
            o.frozen += more
        else:
            cancel_row(fx, o, v)
