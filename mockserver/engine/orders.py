"""Orders, fills and the exchange's numeric enums."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from .money import ZERO, dec, units

__all__ = [
    "Fill",
    "FillRecord",
    "Grid",
    "Order",
    "OrderRecord",
    "OrderStatus",
    "OrderStore",
    "OrderType",
    "PlaceRequest",
    "Role",
    "Side",
]


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


class Grid:
    """A pair's integer units: ticks of 10**-qp for prices, lots of 10**-bp for base, 10**-(qp+bp) for quote amounts.

    A quote amount is price x volume, so at 10**-(qp+bp) every trade's amount is an exact integer.
    """

    __slots__ = ("amount_s", "amount_scale", "bp", "lot_s", "qp", "scale")

    def __init__(self, quote_precision: int, base_precision: int, scale: int) -> None:
        self.qp = quote_precision
        self.bp = base_precision
        self.amount_scale = quote_precision + base_precision
        # The ledger's scale (10**-scale of a coin), and what turns lots and quote units into it.
        self.scale = scale
        self.lot_s: int = 10 ** (scale - base_precision)
        self.amount_s: int = 10 ** (scale - self.amount_scale)


@dataclass(slots=True)
class OrderRecord:
    """An order as plain Decimal data: what snapshots save and a restore installs (the live Order is in ints)."""

    order_id: str
    account_id: str
    uid: int
    symbol: str
    base: str
    quote: str
    side: Side
    type: OrderType
    price: Decimal
    volume: Decimal
    quote_amount: Decimal
    client_id: str | None
    ctime: int
    utime: int
    seq: int
    status: OrderStatus = OrderStatus.NEW
    deal_volume: Decimal = ZERO
    deal_amount: Decimal = ZERO
    fee: Decimal = ZERO
    fee_coin: str = ""
    locked: Decimal = ZERO
    cancel_blocked_until: int = 0


class Order:
    """A live order, its figures in the pair's integer units; the Decimal names read as before.

    ``price_ticks`` (0 for market orders), ``volume_lots``, ``deal_lots``: ticks and lots.
    ``quote_units`` (limit: price x volume; market buy: the budget), ``deal_units``: quote at 10**-(qp+bp).
    ``locked_units``: in the coin it spends - quote at 10**-(qp+bp) for a buy, base lots for a sell.
    ``fee_units``: at the ledger's scale (``grid.scale``), where an amount times a fee rate is whole.
    """

    __slots__ = (
        "account_id",
        "base",
        "cancel_blocked_until",
        "client_id",
        "ctime",
        "deal_lots",
        "deal_units",
        "fee_coin",
        "fee_units",
        "grid",
        "locked_units",
        "order_id",
        "price_ticks",
        "quote",
        "quote_units",
        "seq",
        "side",
        "status",
        "symbol",
        "type",
        "uid",
        "utime",
        "volume_lots",
    )

    def __init__(
        self,
        order_id: str,
        account_id: str,
        uid: int,
        symbol: str,
        base: str,
        quote: str,
        side: Side,
        type: OrderType,
        price_ticks: int,
        volume_lots: int,
        quote_units: int,
        client_id: str | None,
        ctime: int,
        utime: int,
        seq: int,
        status: OrderStatus,
        deal_lots: int,
        deal_units: int,
        fee_units: int,
        fee_coin: str,
        locked_units: int,
        cancel_blocked_until: int,
        grid: Grid,
    ) -> None:
        self.order_id = order_id
        self.account_id = account_id
        self.uid = uid
        self.symbol = symbol
        self.base = base
        self.quote = quote
        self.side = side
        self.type = type
        self.price_ticks = price_ticks
        self.volume_lots = volume_lots
        self.quote_units = quote_units
        self.client_id = client_id
        self.ctime = ctime
        self.utime = utime
        self.seq = seq
        self.status = status
        self.deal_lots = deal_lots
        self.deal_units = deal_units
        self.fee_units = fee_units
        self.fee_coin = fee_coin
        self.locked_units = locked_units
        self.cancel_blocked_until = cancel_blocked_until
        self.grid = grid

    def __repr__(self) -> str:
        return f"Order({self.order_id}, {self.account_id}, {self.symbol}, {self.side.name} {self.volume}@{self.price})"

    # Decimal views: the edge (handlers, serializers, control) reads these names, as before the ints.
    @property
    def price(self) -> Decimal:
        return dec(self.price_ticks, self.grid.qp)

    @property
    def volume(self) -> Decimal:
        return dec(self.volume_lots, self.grid.bp)

    @property
    def quote_amount(self) -> Decimal:
        return dec(self.quote_units, self.grid.amount_scale)

    @property
    def deal_volume(self) -> Decimal:
        return dec(self.deal_lots, self.grid.bp)

    @property
    def deal_amount(self) -> Decimal:
        return dec(self.deal_units, self.grid.amount_scale)

    @property
    def fee(self) -> Decimal:
        return dec(self.fee_units, self.grid.scale)

    @property
    def locked_ledger_units(self) -> int:
        """``locked_units`` at the ledger's scale."""
        g = self.grid
        return self.locked_units * (g.amount_s if self.side is Side.BUY else g.lot_s)

    @property
    def locked(self) -> Decimal:
        return dec(self.locked_units, self.lock_places)

    @property
    def lock_places(self) -> int:
        """The decimals of ``locked_units``: quote amounts for a buy, lots for a sell."""
        return self.grid.amount_scale if self.side is Side.BUY else self.grid.bp

    @property
    def left_lots(self) -> int:
        return self.volume_lots - self.deal_lots

    @property
    def left_volume(self) -> Decimal:
        if self.type is OrderType.MARKET and self.side is Side.BUY:
            return ZERO
        return dec(self.volume_lots - self.deal_lots, self.grid.bp)

    @property
    def left_amount(self) -> Decimal:
        return dec(max(0, self.quote_units - self.deal_units), self.grid.amount_scale)

    @property
    def lock_coin(self) -> str:
        return self.quote if self.side is Side.BUY else self.base

    def record(self) -> OrderRecord:
        """A Decimal copy (later changes to the order do not show in it)."""
        return OrderRecord(
            self.order_id,
            self.account_id,
            self.uid,
            self.symbol,
            self.base,
            self.quote,
            self.side,
            self.type,
            self.price,
            self.volume,
            self.quote_amount,
            self.client_id,
            self.ctime,
            self.utime,
            self.seq,
            self.status,
            self.deal_volume,
            self.deal_amount,
            self.fee,
            self.fee_coin,
            self.locked,
            self.cancel_blocked_until,
        )

    @classmethod
    def from_record(cls, r: OrderRecord, grid: Grid) -> Order:
        """The live order of a record; ``ValueError`` when a figure is off the pair's grid."""
        places = grid.amount_scale if r.side is Side.BUY else grid.bp
        ints = []
        for name, value, p in (
            ("price", r.price, grid.qp),
            ("volume", r.volume, grid.bp),
            ("quote_amount", r.quote_amount, grid.amount_scale),
            ("deal_volume", r.deal_volume, grid.bp),
            ("deal_amount", r.deal_amount, grid.amount_scale),
            ("locked", r.locked, places),
            ("fee", r.fee, grid.scale),
        ):
            n = units(value, p) if value.is_finite() else None
            if n is None:
                raise ValueError(f"order {r.order_id}: {name} {value} is off the grid of {r.symbol}")
            ints.append(n)
        price, volume, quote_units, deal_lots, deal_units, locked, fee = ints
        return cls(
            r.order_id,
            r.account_id,
            r.uid,
            r.symbol,
            r.base,
            r.quote,
            r.side,
            r.type,
            price,
            volume,
            quote_units,
            r.client_id,
            r.ctime,
            r.utime,
            r.seq,
            r.status,
            deal_lots,
            deal_units,
            fee,
            r.fee_coin,
            locked,
            r.cancel_blocked_until,
            grid,
        )


class FillRecord(NamedTuple):
    """One side of one trade as plain Decimal data: what snapshots save and a restore installs."""

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


class Fill(NamedTuple):
    """One side of one trade, as ``order/deal/list`` reports it; figures in the pair's integer units.

    Immutable history; a named tuple because two are built per trade and a frozen dataclass costs
    four times as much. ``price``, ``volume``, ``amount`` and ``fee`` read as Decimal.
    """

    trade_id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    price_ticks: int
    lots: int
    amount_units: int  # quote at 10**-(qp+bp)
    fee_units: int  # at the ledger's scale
    fee_coin: str
    role: Role
    time_ms: int
    grid: Grid

    @property
    def price(self) -> Decimal:
        return dec(self.price_ticks, self.grid.qp)

    @property
    def volume(self) -> Decimal:
        return dec(self.lots, self.grid.bp)

    @property
    def amount(self) -> Decimal:
        return dec(self.amount_units, self.grid.amount_scale)

    @property
    def fee(self) -> Decimal:
        return dec(self.fee_units, self.grid.scale)

    def record(self) -> FillRecord:
        return FillRecord(
            self.trade_id,
            self.order_id,
            self.account_id,
            self.symbol,
            self.side,
            self.price,
            self.volume,
            self.amount,
            self.fee,
            self.fee_coin,
            self.role,
            self.time_ms,
        )

    @classmethod
    def from_record(cls, r: FillRecord, grid: Grid) -> Fill:
        """The live fill of a record; ``ValueError`` when a figure is off the pair's grid."""
        ints = []
        for name, value, places in (
            ("price", r.price, grid.qp),
            ("volume", r.volume, grid.bp),
            ("amount", r.amount, grid.amount_scale),
            ("fee", r.fee, grid.scale),
        ):
            n = units(value, places) if value.is_finite() else None
            if n is None:
                raise ValueError(f"fill {r.trade_id}: {name} {value} is off the grid of {r.symbol}")
            ints.append(n)
        price, lots, amount, fee = ints
        return cls(
            r.trade_id,
            r.order_id,
            r.account_id,
            r.symbol,
            r.side,
            price,
            lots,
            amount,
            fee,
            r.fee_coin,
            r.role,
            r.time_ms,
            grid,
        )


class _FillsView(Mapping[str, list[Fill]]):
    """Read-only: every order id -> its fills, an empty list for an order that never traded."""

    __slots__ = ("_by_id", "_fills")

    def __init__(self, by_id: dict[str, Order], fills: dict[str, list[Fill]]) -> None:
        self._by_id = by_id
        self._fills = fills

    def __getitem__(self, order_id: str) -> list[Fill]:
        if order_id not in self._by_id:
            raise KeyError(order_id)
        return self._fills.get(order_id) or []

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


class OrderStore:
    """Every order the exchange ever accepted, and the indexes on them; the only writer of those indexes."""

    __slots__ = ("_by_account", "_by_client", "_by_id", "_fills", "_fills_view", "_view")

    def __init__(self) -> None:
        self._by_id: dict[str, Order] = {}
        self._by_account: dict[str, list[Order]] = {}
        self._by_client: dict[tuple[str, str], list[Order]] = {}
        self._fills: dict[str, list[Fill]] = {}
        self._view: Mapping[str, Order] = MappingProxyType(self._by_id)
        self._fills_view: Mapping[str, list[Fill]] = _FillsView(self._by_id, self._fills)

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
        if fills:  # most orders never trade: no list (and no garbage-collector work) for those
            self._fills[oid] = fills

    def add_fill(self, fill: Fill) -> None:
        mine = self._fills.get(fill.order_id)
        if mine is None:
            if fill.order_id not in self._by_id:
                raise KeyError(fill.order_id)
            mine = self._fills[fill.order_id] = []
        mine.append(fill)

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
        if not set(self._fills) <= set(self._by_id):
            yield "fills are indexed for orders the store does not hold (or the other way round)"
        for oid, fills in self._fills.items():
            for f in fills:
                if f.order_id != oid:
                    yield f"fill {f.trade_id} of order {f.order_id} filed under {oid}"
        for (account_id, client_id), orders in self._by_client.items():
            for o in orders:
                if o.account_id != account_id or o.client_id != client_id or self._by_id.get(o.order_id) is not o:
                    yield f"client id index: order {o.order_id} under ({account_id!r}, {client_id!r})"
