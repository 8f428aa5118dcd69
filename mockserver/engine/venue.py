"""One market as the engine runs it: its rules, book, trade tape, last price and synthetic past, together.

Performance: the pair's rules are kept as integers on its grid (minimums, maximum, fee factors,
the band's offsets as fractions), so a placement's checks are integer compares. The price band
around the last price is cached per last price (by identity: any new price, from a trade or the
admin, recomputes it), and a trade hands over the price's ticks, so the band in ticks needs no
Decimal conversion back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any

from .book import OrderBook
from .marketdata import Candle, SyntheticPath, TradeTape, candles
from .markets import Market
from .money import EXACT, add, decimals_of, div_down, mul, units
from .orders import Grid

__all__ = ["Venue"]

_ONE = Decimal(1)
_WIDE = Context(prec=400)


def _ceil_units(value: Decimal, places: int) -> int:
    """The fewest units of 10**-places not below ``value``: ``n >= value`` exactly when ``n >= this``."""
    return int(EXACT.scaleb(value, places).to_integral_value(rounding=ROUND_CEILING, context=_WIDE))


def _floor_units(value: Decimal, places: int) -> int:
    """The most units of 10**-places not above ``value``: ``n <= value`` exactly when ``n <= this``."""
    return int(EXACT.scaleb(value, places).to_integral_value(rounding=ROUND_FLOOR, context=_WIDE))


def fee_places(rate: Decimal) -> int:
    """Decimals a fee rate adds to the amount it multiplies."""
    return decimals_of(rate)


def _fee_factor(rate: Decimal, headroom: int) -> int:
    """``rate`` x 10**headroom as an integer (the exchange picks a ledger scale that leaves the headroom)."""
    places = fee_places(rate)
    n = units(rate, places)
    if n is None or headroom < places:
        raise ValueError(f"fee rate {rate} needs more decimals than the ledger keeps")
    factor: int = n * 10 ** (headroom - places)
    return factor


def _fraction(value: Decimal) -> tuple[int, int]:
    """``value`` as (numerator, 10**decimals), exactly."""
    places = decimals_of(value)
    n = units(value, places)
    assert n is not None
    return n, 10**places


class Venue:
    """Everything per pair lives here, so adding per-pair state means adding a slot, not a parallel dict."""

    __slots__ = (
        "_band",
        "_band_ticks",
        "_buy_factor",
        "_last",
        "_sell_factor",
        "after_trade",
        "book",
        "grid",
        "last_price",
        "lot",
        "maker_base_fee",
        "maker_quote_fee",
        "market",
        "max_units",
        "min_lots",
        "min_units",
        "path",
        "symbol",
        "taker_base_fee",
        "taker_quote_fee",
        "tape",
        "tick",
    )

    def __init__(self, market: Market, scale: int, seed: int = 0, started_ms: int = 0) -> None:
        self.market = market
        self.symbol = market.symbol
        self.grid = Grid(market.quote_precision, market.base_precision, scale, market.symbol, market.base, market.quote)
        self.book = OrderBook(market.symbol, self.grid)
        self.tape = TradeTape()
        self.last_price: Decimal = market.reference_price
        self.tick = market.tick
        self.lot = market.lot
        # The pair's minimums and maximum on its integer grid (lots; quote at 10**-(qp+bp)): one int compare each.
        amount_scale = self.grid.amount_scale
        self.min_lots = _ceil_units(market.min_volume, market.base_precision)
        self.min_units = _ceil_units(market.min_amount, amount_scale)
        self.max_units = _floor_units(market.max_amount, amount_scale)
        # A fee at the ledger's scale is one product: lots (base fee) or quote units (quote fee) x these.
        self.maker_base_fee = _fee_factor(market.maker_fee_rate, scale - market.base_precision)
        self.taker_base_fee = _fee_factor(market.taker_fee_rate, scale - market.base_precision)
        self.maker_quote_fee = _fee_factor(market.maker_fee_rate, scale - self.grid.amount_scale)
        self.taker_quote_fee = _fee_factor(market.taker_fee_rate, scale - self.grid.amount_scale)
        # (1 + offset) as (numerator, 10**decimals): the band in ticks is then integer arithmetic.
        self._buy_factor = _fraction(add(_ONE, market.min_buy_price_offset))
        self._sell_factor = _fraction(add(_ONE, market.max_sell_price_offset))
        self._band: tuple[Decimal, Decimal, Decimal] | None = None  # (last price, buy floor, sell ceiling)
        self._band_ticks: tuple[Decimal, int, int] | None = None  # (last price, lowest buy, highest sell ticks)
        self._last: tuple[Decimal, int] | None = None  # (last price, its ticks) as the last trade set them
        # The pair's market model: called (exchange, symbol) after a placement on it traded, e.g. to
        # replenish synthetic liquidity. Wiring, not state: a snapshot does not hold it.
        self.after_trade: list[Callable[[Any, str], None]] = []
        self.path = self._synthetic_path(seed, started_ms)

    def _synthetic_path(self, seed: int, started_ms: int) -> SyntheticPath:
        """The pair's synthetic past: a pure function of seed, pair, start time and reference price."""
        m = self.market
        typical = div_down(mul(m.min_amount, Decimal(40)), m.reference_price, m.base_precision)
        return SyntheticPath(seed, m.symbol, started_ms, m.reference_price, typical)

    def reset(self, seed: int, started_ms: int) -> None:
        """Empty book and tape, and the synthetic past of this seed and start (a restore's first step)."""
        self.book.clear()
        self.tape.clear()
        self.path = self._synthetic_path(seed, started_ms)

    def candles(self, interval: str, end_ms: int, count: int) -> Iterator[Candle]:
        """Up to ``count`` candles opening before ``end_ms``, newest first: synthetic past, then the tape."""
        m = self.market
        return candles(interval, end_ms, count, self.path, self.tape, m.quote_precision, m.base_precision)

    def band(self) -> tuple[Decimal, Decimal]:
        """(lowest buy price, highest sell price) the pair's offsets allow around the last price."""
        last = self.last_price
        band = self._band
        if band is None or band[0] is not last:  # recomputed only when a trade or the admin moved the price
            m = self.market
            floor = mul(last, add(_ONE, m.min_buy_price_offset))
            ceiling = mul(last, add(_ONE, m.max_sell_price_offset))
            band = self._band = (last, floor, ceiling)
        return band[1], band[2]

    def traded_at(self, price: Decimal, ticks: int) -> None:
        """A trade set the last price (``ticks`` of it known, so the band need not convert it back)."""
        self.last_price = price
        self._last = (price, ticks)

    def band_ticks(self) -> tuple[int, int]:
        """:meth:`band` in ticks: a price in ticks is inside exactly when ``low <= ticks <= high``."""
        last = self.last_price
        cached = self._band_ticks
        if cached is not None and cached[0] is last:
            return cached[1], cached[2]
        known = self._last
        qp = self.market.quote_precision
        ticks = known[1] if known is not None and known[0] is last else units(last, qp)
        if ticks is None:  # an admin price off the tick grid: the Decimal band, rounded inwards
            floor, ceiling = self.band()
            low, high = _ceil_units(floor, qp), _floor_units(ceiling, qp)
        else:  # ceil(ticks * f) and floor(ticks * g): the ticks t with floor <= t * tick <= ceiling
            (bn, bd), (sn, sd) = self._buy_factor, self._sell_factor
            low, high = -((-ticks * bn) // bd), (ticks * sn) // sd
        self._band_ticks = (last, low, high)
        return low, high
