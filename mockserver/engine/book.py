"""A price-time priority order book for one pair.

Levels are insertion-ordered dicts (order id -> order): FIFO within a price and
O(1) cancel. Inside this module bids are keyed by negated price so both sides
iterate best-first; nothing outside it ever sees that key.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sortedcontainers import SortedDict

from .money import ZERO, add, sub
from .orders import Order, Side

__all__ = ["OrderBook"]


class OrderBook:
    __slots__ = ("_ask_top", "_asks", "_bid_top", "_bids", "_size", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids: SortedDict = SortedDict()  # -price -> {order_id: Order}
        self._asks: SortedDict = SortedDict()  # price -> {order_id: Order}
        # The best key of each side, kept on every change: every placement asks for it first.
        self._bid_top: Decimal | None = None
        self._ask_top: Decimal | None = None
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, order: Order) -> None:
        if order.side is Side.BUY:
            k = -order.price
            level = self._bids.get(k)
            if level is None:
                level = self._bids[k] = {}
                top = self._bid_top
                if top is None or k < top:
                    self._bid_top = k
        else:
            k = order.price
            level = self._asks.get(k)
            if level is None:
                level = self._asks[k] = {}
                top = self._ask_top
                if top is None or k < top:
                    self._ask_top = k
        level[order.order_id] = order
        self._size += 1

    def remove(self, order: Order) -> bool:
        if order.side is Side.BUY:
            levels, k = self._bids, -order.price
        else:
            levels, k = self._asks, order.price
        level = levels.get(k)
        if level is None or level.pop(order.order_id, None) is None:
            return False
        if not level:
            del levels[k]
            top = levels.peekitem(0)[0] if levels else None
            if order.side is Side.BUY:
                self._bid_top = top
            else:
                self._ask_top = top
        self._size -= 1
        return True

    def clear(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self._bid_top = self._ask_top = None
        self._size = 0

    def level_count(self, side: Side) -> int:
        return len(self._bids if side is Side.BUY else self._asks)

    def best(self, side: Side) -> Decimal | None:
        if side is Side.BUY:
            k = self._bid_top
            return None if k is None else -k
        return self._ask_top

    def worst(self, side: Side) -> Decimal | None:
        levels = self._bids if side is Side.BUY else self._asks
        if not levels:
            return None
        k: Decimal = levels.peekitem(-1)[0]
        return -k if side is Side.BUY else k

    def queues(self, side: Side) -> Iterator[tuple[Decimal, dict[str, Order]]]:
        """(price, the level's live queue) best first, for matching: the caller must not change the book meanwhile."""
        levels = self._bids if side is Side.BUY else self._asks
        sign = -1 if side is Side.BUY else 1
        peek = levels.peekitem
        # By position: a sweep takes a level or two, and a full sorted iterator costs more to start than that.
        for i in range(len(levels)):
            k, level = peek(i)
            yield (-k if sign < 0 else k), level

    def _walk(self, side: Side) -> Iterator[tuple[Decimal, dict[str, Order]]]:
        if side is Side.BUY:
            for k, level in self._bids.items():
                yield -k, level
        else:
            yield from self._asks.items()

    def levels(self, side: Side) -> Iterator[tuple[Decimal, list[Order]]]:
        """(price, orders in time priority) best first."""
        for price, level in self._walk(side):
            yield price, list(level.values())

    def aggregated(self, side: Side) -> Iterator[tuple[Decimal, Decimal]]:
        """(price, total left volume) best first."""
        for price, level in self._walk(side):
            total = ZERO
            for o in level.values():
                total = add(total, sub(o.volume, o.deal_volume))
            yield price, total

    def orders(self) -> Iterator[Order]:
        for levels in (self._bids, self._asks):
            for level in levels.values():
                yield from level.values()

    def problems(self) -> Iterator[str]:
        """Every way the book disagrees with itself (none for a sound book)."""
        for side, levels, top in ((Side.BUY, self._bids, self._bid_top), (Side.SELL, self._asks, self._ask_top)):
            first = levels.peekitem(0)[0] if levels else None
            if top != first:
                yield f"book {self.symbol}: the cached best {side.name} key {top} is not {first}"
            for k, level in levels.items():
                if not level:
                    yield f"book {self.symbol}: an empty {side.name} level at {k}"
                for o in level.values():
                    if o.side is not side or (-o.price if side is Side.BUY else o.price) != k:
                        yield f"book {self.symbol}: order {o.order_id} filed at the wrong level"
        if self._size != sum(len(level) for levels in (self._bids, self._asks) for level in levels.values()):
            yield f"book {self.symbol}: size {self._size} is not the number of orders it holds"

    def is_crossed(self) -> bool:
        bid, ask = self.best(Side.BUY), self.best(Side.SELL)
        return bid is not None and ask is not None and bid >= ask
