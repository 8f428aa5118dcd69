"""Orders, fills and the exchange's numeric enums."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from .money import ZERO, sub

__all__ = ["Fill", "Order", "OrderStatus", "OrderStore", "OrderType", "PlaceRequest", "Role", "Side"]


class Side(IntEnum):
    SELL = 1
    BUY = 2


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2


class OrderStatus(IntEnum):
    """Statuses as spot order reads report them; 5 and 6 are never used by the exchange."""

    NEW = 1  # resting, nothing filled
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 7  # partly filled, then cancelled

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class Role(IntEnum):
    MAKER = 1
    TAKER = 2


class PlaceRequest(NamedTuple):
    """A validated placement: types are right; the market's rules are checked by the engine.

    Immutable like a frozen dataclass, at a quarter of the cost to build (one per placement).
    """

    symbol: str
    side: Side
    type: OrderType
    volume: Decimal  # limit and market sell: base quantity; market buy: quote amount
    price: Decimal | None  # limit price; ignored for market orders
    client_id: str | None = None


@dataclass(slots=True, eq=False)
class Order:
    order_id: str
    account_id: str
    uid: int
    symbol: str
    base: str
    quote: str
    side: Side
    type: OrderType
    price: Decimal  # limit price; 0 for market orders
    volume: Decimal  # base quantity ordered; for a market buy, the base quantity it ended up buying
    quote_amount: Decimal  # market buy: the quote budget; limit: price * volume
    client_id: str | None
    ctime: int
    utime: int
    seq: int
    status: OrderStatus = OrderStatus.NEW
    deal_volume: Decimal = ZERO
    deal_amount: Decimal = ZERO
    fee: Decimal = ZERO
    fee_coin: str = ""
    locked: Decimal = ZERO  # still locked for this order, in the coin it spends
    cancel_blocked_until: int = 0  # ms: a cancel by clientId made cancels of this order no-ops until then

    @property
    def left_volume(self) -> Decimal:
        if self.type is OrderType.MARKET and self.side is Side.BUY:
            return ZERO
        return sub(self.volume, self.deal_volume)

    @property
    def left_amount(self) -> Decimal:
        return max(ZERO, sub(self.quote_amount, self.deal_amount))

    @property
    def lock_coin(self) -> str:
        return self.quote if self.side is Side.BUY else self.base


class Fill(NamedTuple):
    """One side of one trade, as ``order/deal/list`` reports it.

    Immutable history; a named tuple because two are built per trade and a frozen dataclass costs four times as much.
    """

    trade_id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    price: Decimal
    volume: Decimal
    amount: Decimal
    fee: Decimal
    fee_coin: str
    role: Role
    time_ms: int


class OrderStore:
    """Every order the exchange ever accepted, and the indexes on them; the only writer of those indexes."""

    __slots__ = ("_by_account", "_by_client", "_by_id", "_fills", "_fills_view", "_view")

    def __init__(self) -> None:
        self._by_id: dict[str, Order] = {}
        self._by_account: dict[str, list[Order]] = {}
        self._by_client: dict[tuple[str, str], list[Order]] = {}
        self._fills: dict[str, list[Fill]] = {}
        self._view: Mapping[str, Order] = MappingProxyType(self._by_id)
        self._fills_view: Mapping[str, list[Fill]] = MappingProxyType(self._fills)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._by_id

    @property
    def by_id(self) -> Mapping[str, Order]:
        """Read-only: order id -> order."""
        return self._view

    @property
    def fills_by_order(self) -> Mapping[str, list[Fill]]:
        """Read-only: order id -> its fills, oldest first (the lists are the store's: do not change them)."""
        return self._fills_view

    def get(self, order_id: str) -> Order | None:
        return self._by_id.get(order_id)

    def add(self, order: Order, fills: list[Fill] | None = None) -> None:
        oid = order.order_id
        if oid in self._by_id:
            raise ValueError(f"order {oid} already exists")
        self._by_id[oid] = order
        mine = self._by_account.get(order.account_id)
        if mine is None:
            mine = self._by_account[order.account_id] = []
        mine.append(order)
        if order.client_id is not None:
            self._by_client.setdefault((order.account_id, order.client_id), []).append(order)
        self._fills[oid] = fills if fills is not None else []

    def add_fill(self, fill: Fill) -> None:
        self._fills[fill.order_id].append(fill)

    def of_account(self, account_id: str) -> list[Order]:
        """The account's orders, oldest first (a copy)."""
        return list(self._by_account.get(account_id, ()))

    def newest_first(self, account_id: str) -> Iterator[Order]:
        return reversed(self._by_account.get(account_id, ()))

    def by_client(self, account_id: str, client_id: str) -> list[Order]:
        return list(self._by_client.get((account_id, client_id), ()))

    def fills(self, order_id: str) -> list[Fill]:
        return list(self._fills.get(order_id, ()))

    def values(self) -> Iterator[Order]:
        return iter(self._by_id.values())

    def forget_account(self, account_id: str) -> list[Order]:
        """Drop the account's orders and fills from every index; returns them."""
        gone = self._by_account.pop(account_id, [])
        for order in gone:
            del self._by_id[order.order_id]
            self._fills.pop(order.order_id, None)
        for key in [k for k in self._by_client if k[0] == account_id]:
            del self._by_client[key]
        return gone

    def clear(self) -> None:
        self._by_id.clear()
        self._by_account.clear()
        self._by_client.clear()
        self._fills.clear()

    def problems(self) -> Iterator[str]:
        """Every way the indexes disagree with each other (none for a consistent store)."""
        seen = 0
        for account_id, mine in self._by_account.items():
            for o in mine:
                seen += 1
                if o.account_id != account_id:
                    yield f"order {o.order_id} listed under account {account_id!r}"
                if self._by_id.get(o.order_id) is not o:
                    yield f"order {o.order_id} of account {account_id!r} missing from the id index"
        if seen != len(self._by_id):
            yield f"{len(self._by_id)} orders by id, {seen} by account"
        if set(self._fills) != set(self._by_id):
            yield "fills are indexed for orders the store does not hold (or the other way round)"
        for oid, fills in self._fills.items():
            for f in fills:
                if f.order_id != oid:
                    yield f"fill {f.trade_id} of order {f.order_id} filed under {oid}"
        for (account_id, client_id), orders in self._by_client.items():
            for o in orders:
                if o.account_id != account_id or o.client_id != client_id or self._by_id.get(o.order_id) is not o:
                    yield f"client id index: order {o.order_id} under ({account_id!r}, {client_id!r})"
