"""Funding: rates, settlements at each instant the mock clock passes, and their history."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FValueNotAllowed,
)
from ..money import EXACT, units
from . import risk as _risk
from .names import CLEARING_ACCOUNT
from .rows import (
    FundingRow,
)
from .venue import Venue, off_grid, ratio
from .views import (
    FundingHistoryRow,
    FundingInfo,
)

if TYPE_CHECKING:
    from .engine import Futures


HOUR_MS = 3_600_000


def funding_info(fx: Futures, symbol: str) -> FundingInfo:
    with fx.lock:
        fx._tick()
        return funding_info_of(fx, fx._venue(symbol))


def funding_infos(fx: Futures) -> list[FundingInfo]:
    with fx.lock:
        fx._tick()
        return [funding_info_of(fx, v) for v in fx.venues.values()]


def funding_info_of(fx: Futures, v: Venue) -> FundingInfo:
    r = v.row
    return FundingInfo(
        symbol=v.c.symbol,
        mark_price=fx._dec_price(v, r.mark_ticks),
        last_price=fx._dec_price(v, r.last_ticks),
        index_price=fx._dec_price(v, r.index_ticks or r.mark_ticks),
        funding_rate=r.funding_rate,
        funding_interval=v.c.funding_interval_hours,
        next_funding_time=r.next_funding_ms,
        max_funding_rate=v.c.max_funding_rate,
        min_funding_rate=v.c.min_funding_rate,
    )


def funding_history(
    fx: Futures, symbol: str, start_ms: int | None = None, end_ms: int | None = None, limit: int = 100
) -> list[FundingHistoryRow]:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        rows = [
            r
            for r in reversed(fx.funding_rows[v.c.symbol])
            if (start_ms is None or r.time_ms >= start_ms) and (end_ms is None or r.time_ms <= end_ms)
        ]
        return [FundingHistoryRow(r.symbol, r.rate, r.time_ms, fx._dec_price(v, r.mark_ticks)) for r in rows[:limit]]


def set_funding_rate(fx: Futures, symbol: str, rate: Decimal) -> None:
    with fx.lock:
        v = fx._venue(symbol)
        if not rate.is_finite() or units(rate, 8) is None:
            raise off_grid(rate, 8, "a funding rate is a percent with at most 8 decimals", positive=False)
        if not (v.c.min_funding_rate <= rate <= v.c.max_funding_rate):
            bounds = [format(v.c.min_funding_rate, "f"), format(v.c.max_funding_rate, "f")]
            detail = f"funding rate {format(rate, 'f')} outside {bounds[0]}..{bounds[1]} percent"
            raise FValueNotAllowed.for_value(format(rate, "f"), bounds, detail)
        v.row.funding_rate = rate


def settle_funding(fx: Futures, symbol: str | None = None) -> None:
    with fx.lock:
        fx._tick()
        vs = [fx._venue(symbol)] if symbol else list(fx.venues.values())
        now = fx._now()
        for v in vs:
            settle(fx, v, now)


def advance_to(fx: Futures, now: int) -> None:
    """Settle funding at every settlement instant up to ``now``, in time order across contracts
    (ties in catalogue order), each at its own instant: what a settlement causes (a liquidation,
    a TP/SL firing) is stamped with that instant. Idempotent: an instant passed is settled once."""
    if fx._busy_advancing:
        return
    fx._busy_advancing = True
    try:
        while True:
            due = [v for v in fx.venues.values() if v.row.next_funding_ms <= now]
            if not due:
                break
            v = min(due, key=lambda d: d.row.next_funding_ms)
            at = v.row.next_funding_ms
            fx._at_ms = at
            settle(fx, v, at)
            v.row.next_funding_ms = at + v.c.funding_interval_hours * HOUR_MS
    finally:
        fx._at_ms = None
        fx._busy_advancing = False


def advance(fx: Futures, now: int) -> None:
    """:func:`advance_to`, then fire whatever TP/SL or liquidation is due at the current prices on
    every contract (normally nothing: each price step runs them; a state loaded from elsewhere may
    hold some). Idempotent."""
    advance_to(fx, now)
    for symbol in fx.venues:
        _risk.check_risk(fx, symbol)


#: Settled rates kept per contract (the newest; a long clock jump would otherwise grow it without bound) [L].
FUNDING_HISTORY_KEPT = 1000


def settle(fx: Futures, v: Venue, at_ms: int) -> None:
    """One funding settlement of ``v`` at ``at_ms``: longs pay shorts for a positive rate."""
    fraction = EXACT.scaleb(v.row.funding_rate, -2)
    history = fx.funding_rows[v.c.symbol]
    history.append(FundingRow(v.c.symbol, at_ms, fraction, v.row.mark_ticks))
    if len(history) > FUNDING_HISTORY_KEPT:
        del history[: len(history) - FUNDING_HISTORY_KEPT]
    held = [p for p in fx.positions.values() if p.symbol == v.c.symbol]
    if not fraction or not held:
        return
    fx._ensure_system()
    num, den = ratio(abs(fraction))
    with fx.ledger.atomic():
        for p in held:
            amount = v.row.mark_ticks * p.qty_lots * v.amount_s * num
            assert amount % den == 0, "funding off the ledger grid"
            amount //= den
            pays = (p.side == "LONG") == (fraction > 0)
            wallet = fx._wallet_id(p.account_id)
            if pays:
                from_free = min(amount, fx._free(p.account_id))
                from_margin = min(amount - from_free, p.margin)
                fx._unlock(p.account_id, from_margin)
                p.margin -= from_margin
                paid = from_free + from_margin
                fx._move(wallet, CLEARING_ACCOUNT, paid)
                fx.funding_shortfall += amount - paid
                signed = -paid
            else:
                fx._move(CLEARING_ACCOUNT, wallet, amount)
                signed = amount
            p.funding += signed
            p.mtime = at_ms
            fx.funding_cash[p.account_id] = fx.funding_cash.get(p.account_id, 0) + signed
    _risk.check_risk(fx, v.c.symbol)
