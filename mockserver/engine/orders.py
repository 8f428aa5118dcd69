"""Orders, fills and the exchange's numeric enums."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from .money import ZERO, sub

__all__ = ["Fill", "Order", "OrderStatus", "OrderType", "PlaceRequest", "Role", "Side"]


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


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    """A validated placement: types are right; the market's rules are checked by the engine."""

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


@dataclass(frozen=True, slots=True)
class Fill:
    """One side of one trade, as ``order/deal/list`` reports it."""

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
