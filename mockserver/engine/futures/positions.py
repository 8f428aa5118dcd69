"""Positions: lookup, unrealized PnL, maintenance margin, liquidation price; opening and closing
(margin held and released, PnL settled with the clearing account); which position a close order
reduces.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from ...futures_errors import FPriceAboveLiq, FPriceBelowLiq
from ..money import ZERO, dec
from ..orders import Side
from .names import CLEARING_ACCOUNT, HOUSE_ACCOUNT
from .rows import (
    AccountRow,
    OrderRow,
    PositionRow,
    SymbolSetting,
)
from .venue import Venue, ceil_div, ratio

if TYPE_CHECKING:
    from .engine import Futures


def position(fx: Futures, account_id: str, symbol: str, side: str) -> PositionRow | None:
    pid = fx.position_index.get((account_id, symbol, side))
    return None if pid is None else fx.positions[pid]


def net_position(fx: Futures, account_id: str, symbol: str) -> PositionRow | None:
    return position(fx, account_id, symbol, "LONG") or position(fx, account_id, symbol, "SHORT")


def upnl(fx: Futures, v: Venue, p: PositionRow, mark: int | None = None) -> int:
    m = v.row.mark_ticks if mark is None else mark
    value = m * p.qty_lots
    amt = value - p.cost if p.side == "LONG" else p.cost - value
    return amt * v.amount_s


def maintenance(fx: Futures, v: Venue, p: PositionRow) -> int:
    value = v.row.mark_ticks * p.qty_lots * v.amount_s
    tier = v.c.tier_for(dec(value, fx.scale))
    num, den = ratio(tier.maintenance_margin_rate)
    return ceil_div(value * num, den)


def liq_price(fx: Futures, v: Venue, p: PositionRow, extra: int = 0) -> Decimal:
    """The mark at which margin (+ ``extra``, cross free balance) + uPnL meets maintenance; 0 when none."""
    q = p.qty_lots
    if not q:
        return ZERO
    c = v.c
    value = v.row.mark_ticks * q * v.amount_s
    mmr = v.c.tier_for(dec(value, fx.scale)).maintenance_margin_rate
    cushion = dec(p.margin + extra, fx.scale)
    qd = fx._dec_qty(v, q)
    entry_value = dec(p.cost, c.quote_precision + c.base_precision)
    # The first tick at which the position is liquidated (a long's rounds down, a short's up).
    if p.side == "LONG":
        denom = qd * (1 - mmr)
        price = (entry_value - cushion) / denom
        out = price.quantize(c.tick, rounding=ROUND_FLOOR)
    else:
        denom = qd * (1 + mmr)
        price = (entry_value + cushion) / denom
        out = price.quantize(c.tick, rounding=ROUND_CEILING)
    return out if out > 0 else ZERO


def bankruptcy_ticks(fx: Futures, v: Venue, p: PositionRow) -> int:
    """The price (ticks) at which closing ``p`` loses exactly its margin: a long's rounded up, a
    short's down, so the loss there never exceeds the margin (0 when no positive price does)."""
    unit = p.qty_lots * v.amount_s
    if p.side == "LONG":
        num = p.cost * v.amount_s - p.margin
        return ceil_div(num, unit) if num > 0 else 0
    return (p.cost * v.amount_s + p.margin) // unit


def new_position(
    fx: Futures, account_id: str, v: Venue, side: str, acct: AccountRow, setting: SymbolSetting
) -> PositionRow:
    now = fx._now()
    p = PositionRow(
        position_id=fx.ids.order_id(),
        account_id=account_id,
        symbol=v.c.symbol,
        side=side,
        qty_lots=0,
        cost=0,
        margin=0,
        margin_mode=setting.margin_mode,
        position_mode=acct.position_mode,
        leverage=setting.leverage,
        ctime=now,
        mtime=now,
    )
    fx.positions[p.position_id] = p
    fx.position_index[(account_id, v.c.symbol, side)] = p.position_id
    return p


def add(fx: Futures, account_id: str, v: Venue, side: str, lots: int, ticks: int) -> tuple[int, str]:
    """Add ``lots`` at ``ticks`` to the account's ``side`` position; returns (margin held, position id).

    The margin is held out of free balance, where the order's freeze for this fill has just gone
    back; the freeze covers it (:mod:`.margin`), so the ledger's overdraft refusal never fires.
    """
    acct = fx._account(account_id) if account_id != HOUSE_ACCOUNT else fx.accounts[HOUSE_ACCOUNT]
    setting = fx._setting(acct, v.c)
    p = position(fx, account_id, v.c.symbol, side) or new_position(fx, account_id, v, side, acct, setting)
    need = fx._margin_for(v, ticks, lots, p.leverage)
    held = need
    fx._lock(account_id, held)
    p.qty_lots += lots
    p.cost += ticks * lots
    p.margin += held
    p.max_lots = max(p.max_lots, p.qty_lots)
    p.mtime = fx._now()
    p.open_value += ticks * lots
    p.opened_lots += lots
    return held, p.position_id


def close(fx: Futures, p: PositionRow, v: Venue, lots: int, ticks: int, *, liquidation: bool = False) -> int:
    """Close ``lots`` of ``p`` at ``ticks``: margin back, PnL settled with the clearing account; returns PnL."""
    q = p.qty_lots
    assert 0 < lots <= q
    removed = p.cost if lots == q else p.cost * lots // q
    exit_amt = ticks * lots
    pnl_amt = exit_amt - removed if p.side == "LONG" else removed - exit_amt
    pnl = pnl_amt * v.amount_s
    released = p.margin if lots == q else p.margin * lots // q
    if lots == q:
        cross_free = fx._free(p.account_id) if p.margin_mode == "CROSS" else 0
        p.last_liq_price = format(liq_price(fx, v, p, cross_free), "f")
        p.last_margin = p.margin
    fx._unlock(p.account_id, released)
    wallet = fx._wallet_id(p.account_id)
    if pnl > 0:
        fx._move(CLEARING_ACCOUNT, wallet, pnl)
        paid = pnl
    elif pnl < 0:
        # The free wallet pays (an isolated liquidation fills at its bankruptcy price, so its loss is at
        # most its own margin, now free: :func:`bankruptcy_ticks`).
        paid = -min(-pnl, fx._free(p.account_id))
        fx._move(wallet, CLEARING_ACCOUNT, -paid)
        short = -pnl + paid
        if liquidation and short:
            # The house (insurance) account makes the clearing account whole for a liquidation's gap.
            fx._move(HOUSE_ACCOUNT, CLEARING_ACCOUNT, short)
            fx.pnl_cash[HOUSE_ACCOUNT] = fx.pnl_cash.get(HOUSE_ACCOUNT, 0) - short
        else:
            fx.pnl_shortfall += short
    else:
        paid = 0
    fx.pnl_cash[p.account_id] = fx.pnl_cash.get(p.account_id, 0) + paid
    p.qty_lots -= lots
    p.cost -= removed
    p.margin -= released
    p.realized += pnl
    p.close_value += exit_amt
    p.closed_lots += lots
    if liquidation:
        p.liq_lots += lots
    p.mtime = fx._now()
    if p.qty_lots == 0:
        retire(fx, p)
    return pnl


def retire(fx: Futures, p: PositionRow) -> None:
    """A position gone flat: into the history; its TP/SL orders are cancelled."""
    del fx.positions[p.position_id]
    del fx.position_index[(p.account_id, p.symbol, p.side)]
    fx.closed.append(p)
    for t in fx.tpsl.values():
        if t.position_id == p.position_id and t.status == "NEW":
            t.status = "SYSTEM_CANCELED"
            t.mtime = fx._now()


def closes(fx: Futures, o: OrderRow) -> bool:
    return o.trade_side == "CLOSE" or o.reduce_only


def close_target(fx: Futures, o: OrderRow) -> PositionRow | None:
    """The position a close/reduce-only order reduces (None when gone, or for an opening order)."""
    if not closes(fx, o):
        return None
    if o.position_id:
        p = fx.positions.get(o.position_id)
        return p if p is not None and p.qty_lots > 0 else None
    side = "SHORT" if o.side is Side.BUY else "LONG"
    return position(fx, o.account_id, o.symbol, side)


def check_close_price(fx: Futures, v: Venue, p: PositionRow, ticks: int) -> None:
    """A price closing ``p`` must not lie beyond its liquidation price (spec §5.8, M by message; the
    rule's reach is the mock's [L]): a long's close sells, so below its liquidation price is 30002;
    a short's buys, so above it is 30003. The liquidation price is the one ``p`` shows now (a cross
    position's counts the free balance)."""
    liq = liq_price(fx, v, p, fx._free(p.account_id) if p.margin_mode == "CROSS" else 0)
    price = fx._dec_price(v, ticks)
    if liq <= 0:
        return
    if p.side == "LONG" and price < liq:
        raise FPriceBelowLiq(f"{price} is below the liquidation price {liq} of position {p.position_id}")
    if p.side == "SHORT" and price > liq:
        raise FPriceAboveLiq(f"{price} is above the liquidation price {liq} of position {p.position_id}")
