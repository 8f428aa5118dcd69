"""A price-time priority order book for one pair.

Levels are insertion-ordered dicts (order id -> order): FIFO within a price and
O(1) cancel. Bids are keyed by negated price so both sides iterate best-first.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sortedcontainers import SortedDict

from .money import ZERO, add, sub
from .orders import Order, Side

__all__ = ["OrderBook"]


class OrderBook:
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: SortedDict = SortedDict()  # -price -> {order_id: Order}
        self.asks: SortedDict = SortedDict()  # price -> {order_id: Order}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def side(self, side: Side) -> SortedDict:
        return self.bids if side is Side.BUY else self.asks

    @staticmethod
    def key(side: Side, price: Decimal) -> Decimal:
        return -price if side is Side.BUY else price

    def add(self, order: Order) -> None:
        levels = self.side(order.side)
        k = self.key(order.side, order.price)
        level = levels.get(k)
        if level is None:
            level = levels[k] = {}
        level[order.order_id] = order
        self._size += 1

    def remove(self, order: Order) -> bool:
        levels = self.side(order.side)
        k = self.key(order.side, order.price)
        level = levels.get(k)
        if level is None or level.pop(order.order_id, None) is None:
            return False
        if not level:
            del levels[k]
        self._size -= 1
        return True

    def position(self, order: Order) -> int:
        """Index of the order in its price level's time queue (-1 when not resting)."""
        level = self.side(order.side).get(self.key(order.side, order.price))
        if level is None:
            return -1
        for i, oid in enumerate(level):
            if oid == order.order_id:
                return i
        return -1

    def restore_at(self, order: Order, position: int) -> None:
        """Put a removed order back at ``position`` of its level's queue (undo of a removal)."""
        if position < 0:
            return
        levels = self.side(order.side)
        k = self.key(order.side, order.price)
        level = levels.get(k) or {}
        items = list(level.items())
        items.insert(position, (order.order_id, order))
        levels[k] = dict(items)
        self._size += 1

    def restore_front(self, order: Order) -> None:
        self.restore_at(order, 0)

    def best(self, side: Side) -> Decimal | None:
        levels = self.side(side)
        if not levels:
            return None
        k: Decimal = levels.peekitem(0)[0]
        return -k if side is Side.BUY else k

    def levels(self, side: Side) -> Iterator[tuple[Decimal, list[Order]]]:
        """(price, orders in time priority) best first."""
        for k, level in self.side(side).items():
            yield (-k if side is Side.BUY else k), list(level.values())

    def aggregated(self, side: Side) -> Iterator[tuple[Decimal, Decimal]]:
        """(price, total left volume) best first."""
        for k, level in self.side(side).items():
            total = ZERO
            for o in level.values():
                total = add(total, sub(o.volume, o.deal_volume))
            yield (-k if side is Side.BUY else k), total

    def orders(self) -> Iterator[Order]:
        for levels in (self.bids, self.asks):
            for level in levels.values():
                yield from level.values()

    def is_crossed(self) -> bool:
        bid, ask = self.best(Side.BUY), self.best(Side.SELL)
        return bid is not None and ask is not None and bid >= ask
