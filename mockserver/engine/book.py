"""A price-time priority order book for one pair.

Levels are insertion-ordered dicts (order id -> order): FIFO within a price and
O(1) cancel. Keys are integer ticks; inside this module bids are keyed by negated
ticks so both sides iterate best-first; nothing outside it ever sees that key.
The ``*_ticks`` reads and :meth:`queues` speak ticks (the engine's); the others
answer Decimal (the edge's).

Performance: every placement first reads the best opposite price, so ``best_bid`` and
``best_ask`` are kept on every change (an attribute read; only emptying the best level
peeks the sorted dict again). :meth:`queues` yields the top level from that cached key and
deeper levels by position, since a sweep takes a level or two and a full sorted iterator
costs more to start than that. Placement, cancel and fill each add or remove an order, so
:meth:`add` and :meth:`remove` compare against the module constant ``_BUY`` rather than reading
``Side.BUY`` through the enum class on every call (same object; a global read is cheaper).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sortedcontainers import SortedDict

from .money import dec
from .orders import Grid, Order, Side

__all__ = ["OrderBook"]

_BUY = Side.BUY


class OrderBook:
    __slots__ = ("_asks", "_bids", "_size", "best_ask", "best_bid", "grid", "symbol")

    def __init__(self, symbol: str, grid: Grid) -> None:
        self.symbol = symbol
        self.grid = grid
        self._bids: SortedDict = SortedDict()  # -ticks -> {order_id: Order}
        self._asks: SortedDict = SortedDict()  # ticks -> {order_id: Order}
        # The best price of each side in ticks (see Performance above). Read-only outside this class.
        self.best_bid: int | None = None
        self.best_ask: int | None = None
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, order: Order) -> None:
        if order.side is _BUY:
            k = -order.price_ticks
            level = self._bids.get(k)
            if level is None:
                level = self._bids[k] = {}
                top = self.best_bid
                if top is None or order.price_ticks > top:
                    self.best_bid = order.price_ticks
        else:
            k = order.price_ticks
            level = self._asks.get(k)
            if level is None:
                level = self._asks[k] = {}
                top = self.best_ask
                if top is None or k < top:
                    self.best_ask = k
        level[order.order_id] = order
        self._size += 1

    def remove(self, order: Order) -> bool:
        if order.side is _BUY:
            levels, k = self._bids, -order.price_ticks
        else:
            levels, k = self._asks, order.price_ticks
        level = levels.get(k)
        if level is None or level.pop(order.order_id, None) is None:
            return False
        if not level:
            del levels[k]
            # Only the emptied best level moves the cached best.
            if order.side is _BUY:
                if -k == self.best_bid:
                    self.best_bid = -levels.peekitem(0)[0] if levels else None
            elif k == self.best_ask:
                self.best_ask = levels.peekitem(0)[0] if levels else None
        self._size -= 1
        return True

    def clear(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self.best_bid = self.best_ask = None
        self._size = 0

    def level_count(self, side: Side) -> int:
        return len(self._bids if side is Side.BUY else self._asks)

    def best_ticks(self, side: Side) -> int | None:
        return self.best_bid if side is Side.BUY else self.best_ask

    def best(self, side: Side) -> Decimal | None:
        t = self.best_ticks(side)
        return None if t is None else dec(t, self.grid.qp)

    def worst(self, side: Side) -> Decimal | None:
        levels = self._bids if side is Side.BUY else self._asks
        if not levels:
            return None
        k: int = levels.peekitem(-1)[0]
        return dec(-k if side is Side.BUY else k, self.grid.qp)

    def queues(self, side: Side) -> Iterator[tuple[int, dict[str, Order]]]:
        """(ticks, the level's live queue) best first, for matching: the caller must not change the book meanwhile."""
        buy = side is Side.BUY
        levels, best = (self._bids, self.best_bid) if buy else (self._asks, self.best_ask)
        if best is None:
            return
        top = -best if buy else best
        yield best, levels[top]
        peek = levels.peekitem
        for i in range(1, len(levels)):
            k, level = peek(i)
            yield (-k if buy else k), level

    def _walk(self, side: Side) -> Iterator[tuple[int, dict[str, Order]]]:
        if side is Side.BUY:
            for k, level in self._bids.items():
                yield -k, level
        else:
            yield from self._asks.items()

    def levels(self, side: Side) -> Iterator[tuple[Decimal, list[Order]]]:
        """(price, orders in time priority) best first."""
        qp = self.grid.qp
        for ticks, level in self._walk(side):
            yield dec(ticks, qp), list(level.values())

    def aggregated(self, side: Side) -> Iterator[tuple[Decimal, Decimal]]:
        """(price, total left volume) best first."""
        qp, bp = self.grid.qp, self.grid.bp
        for ticks, level in self._walk(side):
            yield dec(ticks, qp), dec(sum(o.volume_lots - o.deal_lots for o in level.values()), bp)

    def orders(self) -> Iterator[Order]:
        for levels in (self._bids, self._asks):
            for level in levels.values():
                yield from level.values()

    def problems(self) -> Iterator[str]:
        """Every way the book disagrees with itself (none for a sound book)."""
        bid_key = None if self.best_bid is None else -self.best_bid
        for side, levels, top in ((Side.BUY, self._bids, bid_key), (Side.SELL, self._asks, self.best_ask)):
            first = levels.peekitem(0)[0] if levels else None
            if top != first:
                yield f"book {self.symbol}: the cached best {side.name} key {top} is not {first}"
            for k, level in levels.items():
                if not level:
                    yield f"book {self.symbol}: an empty {side.name} level at {k}"
                for o in level.values():
                    if o.side is not side or (-o.price_ticks if side is Side.BUY else o.price_ticks) != k:
                        yield f"book {self.symbol}: order {o.order_id} filed at the wrong level"
        if self._size != sum(len(level) for levels in (self._bids, self._asks) for level in levels.values()):
            yield f"book {self.symbol}: size {self._size} is not the number of orders it holds"

    def is_crossed(self) -> bool:
        bid, ask = self.best_ticks(Side.BUY), self.best_ticks(Side.SELL)
        return bid is not None and ask is not None and bid >= ask
