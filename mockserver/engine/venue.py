"""One market as the engine runs it: its rules, book, trade tape and last price, together."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .book import OrderBook
from .marketdata import TradeTape
from .markets import Market
from .money import add, mul

__all__ = ["Venue"]

_ONE = Decimal(1)


class Venue:
    """Everything per pair lives here, so adding per-pair state means adding a slot, not a parallel dict."""

    __slots__ = ("_band", "after_trade", "book", "last_price", "lot", "market", "symbol", "tape", "tick")

    def __init__(self, market: Market) -> None:
        self.market = market
        self.symbol = market.symbol
        self.book = OrderBook(market.symbol)
        self.tape = TradeTape()
        self.last_price: Decimal = market.reference_price
        self.tick = market.tick
        self.lot = market.lot
        self._band: tuple[Decimal, Decimal, Decimal] | None = None  # (last price, buy floor, sell ceiling)
        # The pair's market model: called (exchange, symbol) after a placement on it traded, e.g. to
        # replenish synthetic liquidity. Wiring, not state: a snapshot does not hold it.
        self.after_trade: list[Callable[[Any, str], None]] = []

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
