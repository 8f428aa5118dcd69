"""One market as the engine runs it: its rules, book, trade tape and last price, together."""

from __future__ import annotations

from decimal import Decimal

from .book import OrderBook
from .marketdata import TradeTape
from .markets import Market

__all__ = ["Venue"]


class Venue:
    """Everything per pair lives here, so adding per-pair state means adding a slot, not a parallel dict."""

    __slots__ = ("book", "last_price", "lot", "market", "symbol", "tape", "tick")

    def __init__(self, market: Market) -> None:
        self.market = market
        self.symbol = market.symbol
        self.book = OrderBook(market.symbol)
        self.tape = TradeTape()
        self.last_price: Decimal = market.reference_price
        self.tick = market.tick
        self.lot = market.lot
