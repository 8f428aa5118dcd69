"""Candles: real trades since the exchange started, a seeded synthetic past before that.

The synthetic past is a deterministic function of (seed, symbol, time), so any
interval at any time answers the same candles on every run, and the last
synthetic close meets the pair's reference price at the moment the exchange
started - the real trades continue from there.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from .money import ZERO, add

__all__ = ["INTERVALS", "Candle", "SyntheticPath", "TradeTape", "bucket_start", "candles", "next_bucket"]

_MINUTE = 60_000
#: Every interval the kline endpoints accept, in minutes (D/W/M are calendar units).
INTERVALS: dict[str, int] = {
    "1": 1,
    "3": 3,
    "5": 5,
    "15": 15,
    "30": 30,
    "60": 60,
    "120": 120,
    "240": 240,
    "360": 360,
    "720": 720,
    "480": 480,  # 8h and 3d: futures kline intervals (spot's endpoints list their own choices)
    "4320": 4320,
    "D": 1440,
    "W": 10080,
    "M": 43200,
}
_WEEK_ORIGIN_MS = 4 * 86_400_000  # 1970-01-05, a Monday: weeks start on Monday 00:00 UTC


def _month_start(t_ms: int) -> datetime:
    d = datetime.fromtimestamp(t_ms / 1000, UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC)


def _ms(d: datetime) -> int:
    return int(d.timestamp()) * 1000


def bucket_start(interval: str, t_ms: int) -> int:
    """Open time of the candle that contains ``t_ms``."""
    if interval == "M":
        return _ms(_month_start(t_ms))
    if interval == "W":
        return t_ms - (t_ms - _WEEK_ORIGIN_MS) % (7 * 86_400_000)
    span = INTERVALS[interval] * _MINUTE
    return t_ms - t_ms % span


def next_bucket(interval: str, start_ms: int) -> int:
    if interval == "M":
        d = _month_start(start_ms)
        return _ms(datetime(d.year + d.month // 12, d.month % 12 + 1, 1, tzinfo=UTC))
    if interval == "W":
        return start_ms + 7 * 86_400_000
    return start_ms + INTERVALS[interval] * _MINUTE


def prev_bucket(interval: str, start_ms: int) -> int:
    return bucket_start(interval, start_ms - 1)


class TradeTape:
    """Trade prices and sizes of one pair, ordered by time (bounded)."""

    MAX = 500_000

    def __init__(self) -> None:
        self.times: list[int] = []
        self.prices: list[Decimal] = []
        self.volumes: list[Decimal] = []

    def record(self, t_ms: int, price: Decimal, volume: Decimal, amount: Decimal | None = None) -> int:
        """Add a trade in time order; returns its index, or -1 when the tape was trimmed past it."""
        del amount
        if not self.times or t_ms >= self.times[-1]:
            i = len(self.times)
            self.times.append(t_ms)
            self.prices.append(price)
            self.volumes.append(volume)
        else:  # the clock was moved back: keep time order
            i = bisect.bisect_right(self.times, t_ms)
            self.times.insert(i, t_ms)
            self.prices.insert(i, price)
            self.volumes.insert(i, volume)
        if len(self.times) > self.MAX:
            drop = self.MAX // 2
            del self.times[:drop], self.prices[:drop], self.volumes[:drop]
            i = i - drop if i >= drop else -1
        return i

    def price_before(self, t_ms: int) -> Decimal | None:
        i = bisect.bisect_left(self.times, t_ms)
        return self.prices[i - 1] if i else None

    def window(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        return bisect.bisect_left(self.times, start_ms), bisect.bisect_left(self.times, end_ms)

    def rows(self) -> list[tuple[int, Decimal, Decimal]]:
        """(time_ms, price, volume) per trade, oldest first."""
        return list(zip(self.times, self.prices, self.volumes, strict=True))

    def load(self, rows: list[tuple[int, Decimal, Decimal]]) -> None:
        """Replace the tape with ``rows`` (time order is the caller's promise)."""
        self.clear()
        for t, p, v in rows:
            self.times.append(t)
            self.prices.append(p)
            self.volumes.append(v)

    def clear(self) -> None:
        self.times.clear()
        self.prices.clear()
        self.volumes.clear()


class SyntheticPath:
    """A smooth, seeded price path that passes through ``anchor_price`` at ``anchor_ms``."""

    def __init__(self, seed: int, symbol: str, anchor_ms: int, anchor_price: Decimal, typical_volume: Decimal):
        digest = hashlib.sha256(f"{seed}:{symbol}".encode()).digest()
        self._key = digest
        # Periods from an hour to two years; amplitudes grow with the period, as real volatility does.
        self._terms = [
            (0.004 * math.sqrt(period_h), 2 * math.pi / (period_h * 3_600_000), digest[i] / 255 * 2 * math.pi)
            for i, period_h in enumerate((1, 5, 23, 97, 401, 1700, 8760, 17520))
        ]
        self.anchor_ms = anchor_ms
        self.anchor_price = float(anchor_price)
        self._w0 = self._w(anchor_ms)
        self.typical_volume = float(typical_volume)

    def _w(self, t_ms: int) -> float:
        return sum(a * math.sin(f * t_ms + ph) for a, f, ph in self._terms)

    def price(self, t_ms: int) -> float:
        return self.anchor_price * math.exp(self._w(t_ms) - self._w0)

    def noise(self, interval: str, start_ms: int) -> tuple[float, float, float]:
        h = hashlib.sha256(self._key + f"{interval}:{start_ms}".encode()).digest()
        return h[0] / 255, h[1] / 255, h[2] / 255


@dataclass(frozen=True, slots=True)
class Candle:
    open_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @property
    def ts(self) -> str:
        return datetime.fromtimestamp(self.open_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(x: float | Decimal, places: int) -> Decimal:
    return Decimal(repr(x) if isinstance(x, float) else x).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN
    )


def _candle(
    interval: str,
    start: int,
    end: int,
    path: SyntheticPath,
    tape: TradeTape,
    quote_precision: int,
    base_precision: int,
) -> Candle:
    qp, bp = quote_precision, base_precision
    if end <= path.anchor_ms:
        fo, fc = path.price(start), path.price(end)
        u1, u2, u3 = path.noise(interval, start)
        width = 0.0015 * math.sqrt(INTERVALS[interval])
        fhi, flo = max(fo, fc) * (1 + u1 * width), min(fo, fc) * (1 - u2 * width)
        fvol = path.typical_volume * math.sqrt(INTERVALS[interval]) * (0.5 + u3)
        return Candle(start, _q(fo, qp), _q(fhi, qp), _q(flo, qp), _q(fc, qp), _q(fvol, bp))
    lo_i, hi_i = tape.window(max(start, path.anchor_ms), end)
    prices: list[Decimal] = tape.prices[lo_i:hi_i]
    vol = ZERO
    for v in tape.volumes[lo_i:hi_i]:
        vol = add(vol, v)
    if start < path.anchor_ms:  # the candle the exchange started in: synthetic head, real tail
        head = [_q(path.price(start), qp), _q(path.anchor_price, qp)]
        o = head[0]
        prices = head + prices
    else:
        before = tape.price_before(start)
        o = prices[0] if prices else (before if before is not None else _q(path.anchor_price, qp))
        if not prices:
            prices = [o]
    return Candle(start, _q(o, qp), _q(max(prices), qp), _q(min(prices), qp), _q(prices[-1], qp), vol)


def candles(
    interval: str,
    end_ms: int,
    count: int,
    path: SyntheticPath,
    tape: TradeTape,
    quote_precision: int,
    base_precision: int,
) -> Iterator[Candle]:
    """Up to ``count`` candles opening before ``end_ms``, newest first."""
    start = bucket_start(interval, end_ms - 1)
    for _ in range(count):
        end = next_bucket(interval, start)
        yield _candle(interval, start, end, path, tape, quote_precision, base_precision)
        start = prev_bucket(interval, start)
