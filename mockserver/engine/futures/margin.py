"""What an order that may open a position must freeze: the one rule, used at placement, after every
fill and by the invariant check (so a fill can never open more than is frozen).

* Worst fill price: a buy fills at or below its price, so its price (a market buy: the band's upper
  edge). A resting sell is a maker and fills at its own price; a sell while it takes liquidity fills
  at the bids it hits, at most the best bid at placement: ``max(price, best bid)`` (a market sell:
  ``max(band's lower edge, mark, best bid)``). Margin and fee are taken at that price.
* What it freezes: the initial margin of the lots it may open plus the taker fee on all its
  unfilled lots (a closing lot pays a fee too, and nothing else reserves it).
* The lots it may open: in hedge mode all of them (an OPEN order only opens). In one-way mode the
  opposite position is a credit shared by the account's open non-reduce orders on that symbol and
  side in time priority (oldest first): an order's lots beyond its share open. So several resting
  orders opposite one position cannot each count the whole position as theirs.
* Close and reduce-only orders open nothing and freeze nothing.

Whenever positions or orders change (after each fill, liquidation, cancel), the account's orders on
the symbol are refitted to this rule (:func:`.matching.refit`): a freeze above its need goes back,
one below is raised from free balance, and an order whose raise the free balance cannot pay is
cancelled (newest first). Each fill releases its order's whole freeze, pays the margin of what it
opens and its fee from it, and the refit freezes the rest again: by construction the freeze covers
the fill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..orders import Side
from . import positions as _positions
from .rows import OrderRow
from .venue import Venue

if TYPE_CHECKING:
    from .engine import Futures


def worst_ticks(fx: Futures, o: OrderRow) -> int:
    """The highest price the order may still fill at (its own price once it rests)."""
    return fx.taking.get(o.order_id, o.price_ticks)


def taking_ticks(fx: Futures, v: Venue, side: Side, order_type: str, ticks: int) -> int:
    """The worst fill price of an order about to take liquidity (see the module docstring)."""
    if side is Side.BUY:
        return ticks
    best = v.book.book.best_bid
    worst = ticks if order_type == "LIMIT" else max(ticks, fx._mark(v))
    return max(worst, best) if best is not None else worst


def need(fx: Futures, v: Venue, ticks: int, opening: int, lots: int, leverage: int) -> int:
    """Margin for ``opening`` lots plus the taker fee on ``lots``, both at ``ticks``."""
    margin = fx._margin_for(v, ticks, opening, leverage) if opening else 0
    return margin + fx._fee_for(v, ticks, lots, v.c.taker_fee_rate)


def openers(fx: Futures, account_id: str, symbol: str, side: Side, exclude: str = "") -> list[OrderRow]:
    """The account's open orders on ``symbol`` that may open a position with action ``side``, oldest first."""
    rows = [
        o
        for o in fx._open_orders(account_id, symbol)
        if o.side is side and not _positions.closes(fx, o) and o.order_id != exclude
    ]
    rows.sort(key=lambda o: o.seq)
    return rows


def credit(fx: Futures, account_id: str, symbol: str, side: Side) -> int:
    """Lots an order with action ``side`` closes before it opens: the opposite position in one-way mode."""
    if fx.accounts[account_id].position_mode != "ONE_WAY":
        return 0
    opposite = _positions.position(fx, account_id, symbol, "SHORT" if side is Side.BUY else "LONG")
    return opposite.qty_lots if opposite is not None else 0


def opening_lots(fx: Futures, account_id: str, symbol: str, side: Side, lots: int, exclude: str = "") -> int:
    """The lots a new order (the newest) may open: beyond what older open orders leave of the credit."""
    taken = sum(o.left_lots for o in openers(fx, account_id, symbol, side, exclude))
    left = credit(fx, account_id, symbol, side) - taken
    return max(0, lots - max(0, left))


def required(fx: Futures, account_id: str, symbol: str) -> dict[str, int]:
    """What each open order of the account on ``symbol`` must freeze now (order id -> ledger units)."""
    v = fx.venues[symbol]
    out: dict[str, int] = {}
    for side in (Side.BUY, Side.SELL):
        left = credit(fx, account_id, symbol, side)
        for o in openers(fx, account_id, symbol, side):
            share = min(left, o.left_lots)
            left -= share
            out[o.order_id] = need(fx, v, worst_ticks(fx, o), o.left_lots - share, o.left_lots, o.leverage)
    return out
