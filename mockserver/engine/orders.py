"""Orders, fills, the order store and the exchange's numeric enums.

Performance: a trade writes two fills, and building a 13-field object costs about twenty times
the tuple display of its fields. So the store keeps each fill as :data:`FillRow`, the tuple of
:class:`Fill`'s fields in their order (a Fill is one too), and hands out Fills on read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from .money import MAX_INTEGER_DIGITS, ZERO, dec, units

__all__ = [
    "Fill",
    "FillRecord",
    "FillRow",
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
    """Statuses as spot order reads report them; 5 and 6 are never used by the exchange.

    ``is_open`` reads a module tuple of the open members (``in`` on a tuple matches by identity
    first; naming the members again would go through the enum class on every read).
    """

    NEW = 1  # resting, nothing filled
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 7  # partly filled, then cancelled

    @property
    def is_open(self) -> bool:
        return self in _OPEN


_OPEN = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class Role(IntEnum):
    MAKER = 1
    TAKER = 2


class PlaceRequest(NamedTuple):
    """A validated placement: types are right; the market's rules are checked by the engine.

    Immutable, like the request it stands for.
    """

    symbol: str
    side: Side
    type: OrderType
    volume: Decimal  # limit and market sell: base quantity; market buy: quote amount
    price: Decimal | None  # limit price; ignored for market orders
    client_id: str | None = None


class Grid:
    """A pair's names and integer units: ticks of 10**-qp for prices, lots of 10**-bp for base, 10**-(qp+bp) for quote.

    A quote amount is price x volume, so at 10**-(qp+bp) every trade's amount is an exact integer.
    One per pair, shared by its orders and fills (which read their pair's coins and places from it).
    """

    __slots__ = (
        "amount_s",
        "amount_scale",
        "base",
        "bp",
        "lot_s",
        "max_lots",
        "max_ticks",
        "qp",
        "quote",
        "scale",
        "symbol",
    )

    def __init__(
        self, quote_precision: int, base_precision: int, scale: int, symbol: str = "", base: str = "", quote: str = ""
    ) -> None:
        self.qp = quote_precision
        self.bp = base_precision
        self.amount_scale = quote_precision + base_precision
        # The ledger's scale (10**-scale of a coin), and what turns lots and quote units into it.
        self.scale = scale
        self.lot_s: int = 10 ** (scale - base_precision)
        self.amount_s: int = 10 ** (scale - self.amount_scale)
        self.symbol = symbol
        self.base = base
        self.quote = quote
        # Grid steps at which a figure has more than MAX_INTEGER_DIGITS integer digits (refused).
        self.max_ticks: int = 10 ** (MAX_INTEGER_DIGITS + quote_precision)
        self.max_lots: int = 10 ** (MAX_INTEGER_DIGITS + base_precision)

    def _ident(self) -> tuple[int, int, int, str, str, str]:
        return (self.qp, self.bp, self.scale, self.symbol, self.base, self.quote)

    # Grids with equal figures are interchangeable (nothing changes a grid): a fill of a restored
    # exchange equals the fill it was saved from.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and self._ident() == other._ident()

    def __hash__(self) -> int:
        return hash(self._ident())


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


@dataclass(slots=True, kw_only=True, eq=False, repr=False)
class Order:
    """A live order, its figures in the pair's integer units; the Decimal names read as before.

    ``price_ticks`` (0 for market orders), ``volume_lots``, ``deal_lots``: ticks and lots.
    ``quote_units`` (limit: price x volume; market buy: the budget), ``deal_units``: quote at 10**-(qp+bp).
    ``locked_units``: in the coin it spends - quote at 10**-(qp+bp) for a buy, base lots for a sell.
    ``fee_units``: at the ledger's scale (``grid.scale``), where an amount times a fee rate is whole.
    ``symbol``, ``base`` and ``quote`` are the pair's, read from its grid.
    """

    order_id: str
    account_id: str
    uid: int
    grid: Grid
    side: Side
    type: OrderType
    price_ticks: int
    volume_lots: int
    quote_units: int
    client_id: str | None
    ctime: int
    seq: int
    fee_coin: str
    locked_units: int
    symbol: str  # the grid's, kept on the order: every query filters by it
    utime: int
    status: OrderStatus = OrderStatus.NEW
    deal_lots: int = 0
    deal_units: int = 0
    fee_units: int = 0
    cancel_blocked_until: int = 0

    def __repr__(self) -> str:
        return f"Order({self.order_id}, {self.account_id}, {self.symbol}, {self.side.name} {self.volume}@{self.price})"

    @property
    def base(self) -> str:
        return self.grid.base

    @property
    def quote(self) -> str:
        return self.grid.quote

    # Decimal views: the edge (handlers, serializers, control) reads these names.
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
    def left_volume(self) -> Decimal:
        if self.type is OrderType.MARKET and self.side is Side.BUY:
            return ZERO
        return dec(self.volume_lots - self.deal_lots, self.grid.bp)

    @property
    def lock_coin(self) -> str:
        g = self.grid
        return g.quote if self.side is Side.BUY else g.base

    def record(self) -> OrderRecord:
        """A Decimal copy (later changes to the order do not show in it)."""
        return OrderRecord(
            order_id=self.order_id,
            account_id=self.account_id,
            uid=self.uid,
            symbol=self.symbol,
            base=self.base,
            quote=self.quote,
            side=self.side,
            type=self.type,
            price=self.price,
            volume=self.volume,
            quote_amount=self.quote_amount,
            client_id=self.client_id,
            ctime=self.ctime,
            utime=self.utime,
            seq=self.seq,
            status=self.status,
            deal_volume=self.deal_volume,
            deal_amount=self.deal_amount,
            fee=self.fee,
            fee_coin=self.fee_coin,
            locked=self.locked,
            cancel_blocked_until=self.cancel_blocked_until,
        )

    @classmethod
    def from_record(cls, r: OrderRecord, grid: Grid) -> Order:
        """The live order of a record; ``ValueError`` when it is not of the grid's pair or a figure is off its grid."""
        if (r.symbol, r.base, r.quote) != (grid.symbol, grid.base, grid.quote):
            raise ValueError(f"order {r.order_id}: {r.symbol} {r.base}/{r.quote} is not the pair {grid.symbol}")
        places = grid.amount_scale if r.side is Side.BUY else grid.bp
        n = _on_grid(
            f"order {r.order_id}",
            r.symbol,
            price=(r.price, grid.qp),
            volume=(r.volume, grid.bp),
            quote_amount=(r.quote_amount, grid.amount_scale),
            deal_volume=(r.deal_volume, grid.bp),
            deal_amount=(r.deal_amount, grid.amount_scale),
            locked=(r.locked, places),
            fee=(r.fee, grid.scale),
        )
        return cls(
            order_id=r.order_id,
            account_id=r.account_id,
            uid=r.uid,
            grid=grid,
            side=r.side,
            type=r.type,
            price_ticks=n["price"],
            volume_lots=n["volume"],
            quote_units=n["quote_amount"],
            client_id=r.client_id,
            ctime=r.ctime,
            seq=r.seq,
            fee_coin=r.fee_coin,
            locked_units=n["locked"],
            symbol=grid.symbol,
            utime=r.utime,
            status=r.status,
            deal_lots=n["deal_volume"],
            deal_units=n["deal_amount"],
            fee_units=n["fee"],
            cancel_blocked_until=r.cancel_blocked_until,
        )


def _on_grid(what: str, symbol: str, **figures: tuple[Decimal, int]) -> dict[str, int]:
    """Each (value, places) figure in units of 10**-places; ``ValueError`` naming the first that is off the grid."""
    out = {}
    for name, (value, places) in figures.items():
        n = units(value, places) if value.is_finite() else None
        if n is None:
            raise ValueError(f"{what}: {name} {value} is off the grid of {symbol}")
        out[name] = n
    return out


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

    Immutable history, two per trade; ``price``, ``volume``, ``amount`` and ``fee`` read as Decimal.
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
            trade_id=self.trade_id,
            order_id=self.order_id,
            account_id=self.account_id,
            symbol=self.symbol,
            side=self.side,
            price=self.price,
            volume=self.volume,
            amount=self.amount,
            fee=self.fee,
            fee_coin=self.fee_coin,
            role=self.role,
            time_ms=self.time_ms,
        )

    @classmethod
    def from_record(cls, r: FillRecord, grid: Grid) -> Fill:
        """The live fill of a record; ``ValueError`` when a figure is off the pair's grid."""
        n = _on_grid(
            f"fill {r.trade_id}",
            r.symbol,
            price=(r.price, grid.qp),
            volume=(r.volume, grid.bp),
            amount=(r.amount, grid.amount_scale),
            fee=(r.fee, grid.scale),
        )
        return cls(
            trade_id=r.trade_id,
            order_id=r.order_id,
            account_id=r.account_id,
            symbol=r.symbol,
            side=r.side,
            price_ticks=n["price"],
            lots=n["volume"],
            amount_units=n["amount"],
            fee_units=n["fee"],
            fee_coin=r.fee_coin,
            role=r.role,
            time_ms=r.time_ms,
            grid=grid,
        )


#: A fill as the store keeps it: :class:`Fill`'s fields, in its order, in a plain tuple.
FillRow = tuple[str, str, str, str, Side, int, int, int, int, str, Role, int, Grid]


class OrderStore:
    """Every order the exchange ever accepted, its fills, and the indexes on them; the only writer of those.

    Plain dicts: orders by id (in order of arrival), by account and by (account, client id), and
    each order's fill rows (only orders that traded have an entry).
    """

    __slots__ = ("_by_account", "_by_client", "_by_id", "_fills")

    def __init__(self) -> None:
        self._by_id: dict[str, Order] = {}
        self._by_account: dict[str, list[Order]] = {}
        self._by_client: dict[tuple[str, str], list[Order]] = {}
        self._fills: dict[str, list[FillRow]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._by_id

    @property
    def by_id(self) -> Mapping[str, Order]:
        """Read-only: order id -> order, oldest first."""
        return MappingProxyType(self._by_id)

    def get(self, order_id: str) -> Order | None:
        return self._by_id.get(order_id)

    def add(self, order: Order, fills: Iterable[FillRow] = ()) -> None:
        """Index a new order, with the fills (Fills or rows) it already has, oldest first."""
        oid = order.order_id
        if oid in self._by_id:
            raise ValueError(f"order {oid} already exists")
        self._by_id[oid] = order
        self._by_account.setdefault(order.account_id, []).append(order)
        if order.client_id is not None:
            self._by_client.setdefault((order.account_id, order.client_id), []).append(order)
        mine = list(fills)
        if mine:
            self._fills[oid] = mine

    def add_fill(self, row: FillRow) -> None:
        """One more fill (a Fill or its row) of a stored order."""
        order_id = row[1]
        if order_id not in self._by_id:
            raise KeyError(order_id)
        self._fills.setdefault(order_id, []).append(row)

    def of_account(self, account_id: str) -> list[Order]:
        """The account's orders, oldest first (a copy)."""
        return list(self._by_account.get(account_id, ()))

    def newest_first(self, account_id: str) -> Iterator[Order]:
        return reversed(self._by_account.get(account_id, ()))

    def by_client(self, account_id: str, client_id: str) -> list[Order]:
        return list(self._by_client.get((account_id, client_id), ()))

    def fills(self, order_id: str) -> list[Fill]:
        """The order's fills, oldest first (new Fills; empty for an order that never traded)."""
        return [Fill._make(row) for row in self._fills.get(order_id, ())]

    def values(self) -> Iterator[Order]:
        """Every order, oldest first."""
        return iter(self._by_id.values())

    def forget_account(self, account_id: str) -> list[Order]:
        """Drop the account's orders and fills from every index; returns them (an admin step: O(orders))."""
        gone = self._by_account.pop(account_id, [])
        for order in gone:
            del self._by_id[order.order_id]
            self._fills.pop(order.order_id, None)
        for key in [k for k in self._by_client if k[0] == account_id]:
            del self._by_client[key]
        return gone

    def clear(self) -> None:
        for index in (self._by_id, self._by_account, self._by_client, self._fills):
            index.clear()

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
        if any(o.order_id != oid for oid, o in self._by_id.items()):
            yield "an order indexed under another id"
        if not set(self._fills) <= set(self._by_id):
            yield "fills are indexed for orders the store does not hold"
        for oid, rows in self._fills.items():
            for row in rows:
                if len(row) != len(Fill._fields) or row[1] != oid:
                    yield f"fill {row[0]} of order {row[1]} filed under {oid}"
        for (account_id, client_id), orders in self._by_client.items():
            for o in orders:
                if o.account_id != account_id or o.client_id != client_id or self._by_id.get(o.order_id) is not o:
                    yield f"client id index: order {o.order_id} under ({account_id!r}, {client_id!r})"
