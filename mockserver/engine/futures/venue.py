"""One contract's runtime pieces: its order book (the spot :class:`~..book.OrderBook` holding futures
order rows), its integer grid and limits, its trade and mark tapes; and the integer helpers every
futures module shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, cast

from ...futures_errors import FValueNotAllowed
from ..book import OrderBook
from ..marketdata import SyntheticPath, TradeTape
from ..money import div_down
from ..orders import Grid, Order, Side
from .contracts import Contract
from .rows import (
    MarketRow,
    OrderRow,
)

if TYPE_CHECKING:
    pass


def ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def ratio(value: Decimal) -> tuple[int, int]:
    """A non-negative decimal rate as (numerator, 10**places)."""
    _sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    num = int("".join(map(str, digits)) or "0")
    if exp >= 0:
        return num * 10**exp, 1
    return num, 10**-exp


class Book:
    """The spot OrderBook holding futures orders (it reads only the fields :class:`OrderRow` has)."""

    __slots__ = ("book",)

    def __init__(self, symbol: str, grid: Grid) -> None:
        self.book = OrderBook(symbol, grid)

    # OrderBook is typed for spot orders; OrderRow has every attribute it reads (order_id, side,
    # price_ticks, volume_lots, deal_lots), so the casts below only bridge the annotation.
    def add(self, o: OrderRow) -> None:
        self.book.add(cast(Order, o))

    def remove(self, o: OrderRow) -> bool:
        return self.book.remove(cast(Order, o))

    def first(self, side: Side) -> tuple[int, OrderRow] | None:
        """(ticks, the oldest order) at the best level of ``side``."""
        for ticks, level in self.book.queues(side):
            return ticks, cast(OrderRow, next(iter(level.values())))
        return None

    def walk(self, side: Side) -> Iterator[tuple[int, list[OrderRow]]]:
        for ticks, level in self.book.queues(side):
            yield ticks, [cast(OrderRow, o) for o in level.values()]

    def orders(self) -> Iterator[OrderRow]:
        for o in self.book.orders():
            yield cast(OrderRow, o)


class Venue:
    """One contract's runtime pieces: rules on the integer grid, book, tapes and synthetic past."""

    __slots__ = (
        "amount_s",
        "book",
        "c",
        "grid",
        "mark_tape",
        "max_limit_lots",
        "max_market_lots",
        "min_lots",
        "path",
        "row",
        "tape",
    )

    def __init__(self, c: Contract, scale: int, seed: int, started_ms: int, row: MarketRow) -> None:
        self.c = c
        self.grid = Grid(c.quote_precision, c.base_precision, scale, c.symbol, c.base, c.quote)
        self.amount_s: int = 10 ** (scale - c.quote_precision - c.base_precision)
        self.book = Book(c.symbol, self.grid)
        self.tape = TradeTape()
        self.mark_tape = TradeTape()
        self.row = row
        self.min_lots: int = units_up(c.min_trade_volume, c.base_precision)
        self.max_limit_lots: int = units_down(c.max_limit_order_volume, c.base_precision)
        self.max_market_lots: int = units_down(c.max_market_order_volume, c.base_precision)
        self.path = self.synthetic_path(seed, started_ms)

    def synthetic_path(self, seed: int, started_ms: int) -> SyntheticPath:
        c = self.c
        typical = div_down(Decimal(20000), c.reference_price, c.base_precision)
        return SyntheticPath(seed, "futures:" + c.symbol, started_ms, c.reference_price, typical)


def units_up(v: Decimal, places: int) -> int:
    return int(v.scaleb(places).to_integral_value(rounding=ROUND_CEILING))


def units_down(v: Decimal, places: int) -> int:
    return int(v.scaleb(places).to_integral_value(rounding=ROUND_FLOOR))


def off_grid(value: Decimal, places: int, detail: str, *, positive: bool = True) -> FValueNotAllowed:
    """10008 for ``value`` with more than ``places`` decimals, in the live wording (spec §2.2): the
    alternatives are the nearest allowed values below and above it (``positive``: those above 0) [L]."""
    step = Decimal(1).scaleb(-places)
    near = [value.quantize(step, rounding=r) for r in (ROUND_FLOOR, ROUND_CEILING)] if value.is_finite() else []
    alternatives = [format(n, "f") for n in near if n > 0 or not positive]
    return FValueNotAllowed.for_value(format(value, "f"), alternatives, detail)
