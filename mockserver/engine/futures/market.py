"""Market data: contracts, tickers, depth and klines of the futures contracts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FParameterError,
)
from ..marketdata import INTERVALS, candles
from ..money import EXACT, ZERO, mul
from ..orders import Side
from .contracts import Contract, Tier
from .venue import Venue
from .views import (
    KlineRow,
    Ticker,
)

if TYPE_CHECKING:
    from .engine import Futures


_DAY_MS = 86_400_000


#: Kline intervals of the futures REST API -> the spot candle code (same buckets).
KLINE_INTERVALS = {
    "1m": "1",
    "5m": "5",
    "15m": "15",
    "30m": "30",
    "1h": "60",
    "2h": "120",
    "4h": "240",
    "6h": "360",
    "8h": "480",
    "12h": "720",
    "1d": "D",
    "3d": "4320",
    "1w": "W",
    "1M": "M",
}


def contracts(fx: Futures) -> list[Contract]:
    return list(fx.catalogue.values())


def contract(fx: Futures, symbol: str) -> Contract:
    return fx._venue(symbol).c


def tiers(fx: Futures, symbol: str) -> list[Tier]:
    return list(fx._venue(symbol).c.tiers)


def tickers(fx: Futures, symbols: Sequence[str] | None = None) -> list[Ticker]:
    with fx.lock:
        fx._tick()
        vs = [fx._venue(s) for s in symbols] if symbols else list(fx.venues.values())
        now = fx._now()
        return [ticker(fx, v, now) for v in vs]


def ticker(fx: Futures, v: Venue, now: int) -> Ticker:
    last = fx._dec_price(v, v.row.last_ticks)
    lo, hi = v.tape.window(now - _DAY_MS, now + 1)
    prices = v.tape.prices[lo:hi]
    before = v.tape.price_before(now - _DAY_MS)
    open_ = prices[0] if prices else last
    if before is not None:
        open_ = before
    base = ZERO
    quote = ZERO
    for p, q in zip(prices, v.tape.volumes[lo:hi], strict=True):
        base = EXACT.add(base, q)
        quote = EXACT.add(quote, mul(p, q))
    return Ticker(
        symbol=v.c.symbol,
        mark_price=fx._dec_price(v, v.row.mark_ticks),
        last_price=last,
        open=open_,
        high=max(prices, default=last),
        low=min(prices, default=last),
        base_volume=base,
        quote_volume=quote,
    )


def depth(
    fx: Futures, symbol: str, limit: int | None = None
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        sides = []
        for side in (Side.BUY, Side.SELL):
            levels = v.book.book.aggregated(side)
            sides.append(list(levels if limit is None else itertools.islice(levels, limit)))
        return sides[0], sides[1]


def klines(
    fx: Futures, symbol: str, interval: str, end_ms: int | None = None, limit: int = 100, price_type: str = "LAST_PRICE"
) -> list[KlineRow]:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        code = KLINE_INTERVALS.get(interval)
        if code is None or code not in INTERVALS:
            raise FParameterError(f"interval {interval!r} is not supported")
        ptype = (price_type or "LAST_PRICE").upper()
        if ptype not in ("LAST_PRICE", "MARK_PRICE"):
            raise FParameterError(f"type {price_type!r} is not LAST_PRICE or MARK_PRICE")
        end = fx._now() + 1 if end_ms is None else end_ms
        tape = v.tape if ptype == "LAST_PRICE" else v.mark_tape
        c = v.c
        rows = []
        # Nothing before the contract's launch (or before the epoch, when it has none): no candles there.
        launch = max(c.launch_time or 0, 0)
        for k in candles(code, end, limit, v.path, tape, c.quote_precision, c.base_precision):
            if k.open_ms < launch:
                continue
            vol = k.volume if ptype == "LAST_PRICE" else ZERO
            rows.append(KlineRow(k.open_ms, k.open, k.high, k.low, k.close, vol, mul(vol, k.close), ptype))
        rows.reverse()
        return rows
