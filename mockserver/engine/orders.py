"""Orders, fills and the exchange's numeric enums."""

from __future__ import annotations

import functools
from collections.abc import ItemsView, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
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

#: The order store's indexes are this many dicts each, chosen by the key's hash: a dict that grows
#: rehashes every entry at once (30 ms at 700k orders, on one request); a 64th of that stays under 1 ms.
SHARDS = 64
_MASK = SHARDS - 1


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


# The members as module constants for the engine's hot paths: ``Side.BUY`` goes through the enum
# metaclass (about 60 ns a read, a dozen reads a placement), a module global costs a sixth of that.
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
NEW, FILLED, PARTIALLY_FILLED = OrderStatus.NEW, OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED
CANCELED, PARTIALLY_CANCELED = OrderStatus.CANCELED, OrderStatus.PARTIALLY_CANCELED


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
    """A pair's names and integer units: ticks of 10**-qp for prices, lots of 10**-bp for base, 10**-(qp+bp) for quote.

    A quote amount is price x volume, so at 10**-(qp+bp) every trade's amount is an exact integer.
    One per pair, shared by its orders (which read their symbol's coins from it instead of holding
    two more references each) and named by ``key`` in its fills (an int keeps a fill free of
    references the garbage collector has to follow).
    """

    __slots__ = (
        "amount_s",
        "amount_scale",
        "base",
        "bp",
        "key",
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
        self.key = _grid_key(self)


# Every distinct grid once, so a fill can name its grid by an int. Grids with equal figures are
# interchangeable (nothing changes a grid), so the table grows with the kinds of pairs, not with exchanges.
_GRIDS: list[Grid] = []
_GRID_KEYS: dict[tuple[int, int, int, str, str, str], int] = {}


def _grid_key(grid: Grid) -> int:
    ident = (grid.qp, grid.bp, grid.scale, grid.symbol, grid.base, grid.quote)
    key = _GRID_KEYS.get(ident)
    if key is None:
        key = _GRID_KEYS[ident] = len(_GRIDS)
        _GRIDS.append(grid)
    return key


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


#: The open statuses, for ``status in OPEN`` (a tuple of members: ``in`` matches them by identity).
OPEN = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class Order:
    """A live order, its figures in the pair's integer units; the Decimal names read as before.

    ``price_ticks`` (0 for market orders), ``volume_lots``, ``deal_lots``: ticks and lots.
    ``quote_units`` (limit: price x volume; market buy: the budget), ``deal_units``: quote at 10**-(qp+bp).
    ``locked_units``: in the coin it spends - quote at 10**-(qp+bp) for a buy, base lots for a sell.
    ``fee_units``: at the ledger's scale (``grid.scale``), where an amount times a fee rate is whole.
    ``base`` and ``quote`` are the pair's, read from its grid (two references fewer per order).
    """

    __slots__ = (
        "account_id",
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

    # Positional, the per-placement figures first; what every new order starts with has defaults.
    def __init__(
        self,
        order_id: str,
        account_id: str,
        uid: int,
        side: Side,
        type: OrderType,
        price_ticks: int,
        volume_lots: int,
        quote_units: int,
        client_id: str | None,
        ctime: int,
        seq: int,
        fee_coin: str,
        locked_units: int,
        grid: Grid,
        utime: int | None = None,
        status: OrderStatus = OrderStatus.NEW,
        deal_lots: int = 0,
        deal_units: int = 0,
        fee_units: int = 0,
        cancel_blocked_until: int = 0,
    ) -> None:
        self.order_id = order_id
        self.account_id = account_id
        self.uid = uid
        self.symbol = grid.symbol
        self.side = side
        self.type = type
        self.price_ticks = price_ticks
        self.volume_lots = volume_lots
        self.quote_units = quote_units
        self.client_id = client_id
        self.ctime = ctime
        self.utime = ctime if utime is None else utime
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

    @property
    def base(self) -> str:
        return self.grid.base

    @property
    def quote(self) -> str:
        return self.grid.quote

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
        return self.locked_units * (g.amount_s if self.side is BUY else g.lot_s)

    @property
    def locked(self) -> Decimal:
        return dec(self.locked_units, self.lock_places)

    @property
    def lock_places(self) -> int:
        """The decimals of ``locked_units``: quote amounts for a buy, lots for a sell."""
        return self.grid.amount_scale if self.side is BUY else self.grid.bp

    @property
    def left_lots(self) -> int:
        return self.volume_lots - self.deal_lots

    @property
    def left_volume(self) -> Decimal:
        if self.type is MARKET and self.side is BUY:
            return ZERO
        return dec(self.volume_lots - self.deal_lots, self.grid.bp)

    @property
    def left_amount(self) -> Decimal:
        return dec(max(0, self.quote_units - self.deal_units), self.grid.amount_scale)

    @property
    def lock_coin(self) -> str:
        g = self.grid
        return g.quote if self.side is BUY else g.base

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
        """The live order of a record; ``ValueError`` when it is not of the grid's pair or a figure is off its grid."""
        if (r.symbol, r.base, r.quote) != (grid.symbol, grid.base, grid.quote):
            raise ValueError(f"order {r.order_id}: {r.symbol} {r.base}/{r.quote} is not the pair {grid.symbol}")
        places = grid.amount_scale if r.side is BUY else grid.bp
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
            r.side,
            r.type,
            price,
            volume,
            quote_units,
            r.client_id,
            r.ctime,
            r.seq,
            r.fee_coin,
            locked,
            grid,
            r.utime,
            r.status,
            deal_lots,
            deal_units,
            fee,
            r.cancel_blocked_until,
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

    Immutable history, two per trade. The store keeps each as a plain :data:`FillRow` (the same
    fields in a bare tuple) and hands out Fills built on read: a bare tuple of strs and ints is
    one the garbage collector stops tracking after its first look (a tuple subclass never is), so
    a long trade history costs later collections nothing. Side, role and grid are ints for the
    same reason; ``side``, ``role`` and ``grid`` read them back as before, and ``price``,
    ``volume``, ``amount`` and ``fee`` read as Decimal.
    """

    trade_id: str
    order_id: str
    account_id: str
    symbol: str
    side_code: int  # int(Side)
    price_ticks: int
    lots: int
    amount_units: int  # quote at 10**-(qp+bp)
    fee_units: int  # at the ledger's scale
    fee_coin: str
    role_code: int  # int(Role)
    time_ms: int
    grid_key: int  # Grid.key

    @property
    def side(self) -> Side:
        return _SIDES[self.side_code]

    @property
    def role(self) -> Role:
        return _ROLES[self.role_code]

    @property
    def grid(self) -> Grid:
        return _GRIDS[self.grid_key]

    @property
    def price(self) -> Decimal:
        return dec(self.price_ticks, _GRIDS[self.grid_key].qp)

    @property
    def volume(self) -> Decimal:
        return dec(self.lots, _GRIDS[self.grid_key].bp)

    @property
    def amount(self) -> Decimal:
        return dec(self.amount_units, _GRIDS[self.grid_key].amount_scale)

    @property
    def fee(self) -> Decimal:
        return dec(self.fee_units, _GRIDS[self.grid_key].scale)

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
            int(r.side),
            price,
            lots,
            amount,
            fee,
            r.fee_coin,
            int(r.role),
            r.time_ms,
            grid.key,
        )


_SIDES: dict[int, Side] = {int(s): s for s in Side}
_ROLES: dict[int, Role] = {int(r): r for r in Role}

#: A fill as the store keeps it: :class:`Fill`'s fields in a bare tuple.
FillRow = tuple[str, str, str, str, int, int, int, int, int, str, int, int, int]
#: An order's fills in the store: its one fill's row (most orders that trade take one fill), or a list of rows.
_Fills = FillRow | list[FillRow]
_fill = functools.partial(tuple.__new__, Fill)  # a row as a Fill, without the named tuple's Python-level __new__


def _bare(fill: FillRow) -> FillRow:
    """A Fill's fields as a bare tuple."""
    row: FillRow = tuple(fill)  # type: ignore[assignment]  # the same thirteen fields
    return row


def _rows(fills: _Fills | None) -> list[FillRow]:
    if fills is None:
        return []
    return fills if type(fills) is list else [fills]  # type: ignore[list-item]


class _OrderIndex:
    """Order id -> order in SHARDS dicts chosen by the id's hash, and every order in the order it came.

    The store's own: only the store writes it (``shards`` and ``log`` directly, on its hot path).
    """

    __slots__ = ("log", "shards")

    def __init__(self) -> None:
        self.shards: list[dict[str, Order]] = [{} for _ in range(SHARDS)]
        self.log: list[Order] = []  # insertion order: what iterating the orders has always answered

    def get(self, order_id: str) -> Order | None:
        return self.shards[hash(order_id) & _MASK].get(order_id)


class _IdsView(Mapping[str, Order]):
    """Read-only: order id -> order, iterated oldest first (as the single dict it replaces was)."""

    __slots__ = ("_index",)

    def __init__(self, index: _OrderIndex) -> None:
        self._index = index

    def __getitem__(self, order_id: str) -> Order:
        return self._index.shards[hash(order_id) & _MASK][order_id]

    def get(self, order_id: str, default: Order | None = None) -> Order | None:  # type: ignore[override]
        return self._index.shards[hash(order_id) & _MASK].get(order_id, default)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index.shards[hash(order_id) & _MASK]

    def __iter__(self) -> Iterator[str]:
        return (o.order_id for o in self._index.log)

    def __len__(self) -> int:
        return len(self._index.log)

    def values(self) -> ValuesView[Order]:
        return _OrderValues(self)

    def items(self) -> ItemsView[str, Order]:
        return _OrderItems(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} orders)"


class _OrderValues(ValuesView[Order]):
    """The orders oldest first, straight from the log (not a lookup per id)."""

    __slots__ = ("_log",)

    def __init__(self, view: _IdsView) -> None:
        super().__init__(view)
        self._log = view._index.log

    def __iter__(self) -> Iterator[Order]:
        return iter(self._log)


class _OrderItems(ItemsView[str, Order]):
    __slots__ = ("_log",)

    def __init__(self, view: _IdsView) -> None:
        super().__init__(view)
        self._log = view._index.log

    def __iter__(self) -> Iterator[tuple[str, Order]]:
        return ((o.order_id, o) for o in self._log)


class _FillsView(Mapping[str, list[Fill]]):
    """Read-only: every order id -> its fills (new Fills, oldest first); an empty list for an order without any."""

    __slots__ = ("_fills", "_index")

    def __init__(self, index: _OrderIndex, fills: list[dict[str, _Fills]]) -> None:
        self._index = index
        self._fills = fills

    def __getitem__(self, order_id: str) -> list[Fill]:
        h = hash(order_id) & _MASK
        if order_id not in self._index.shards[h]:
            raise KeyError(order_id)
        return [_fill(row) for row in _rows(self._fills[h].get(order_id))]

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index.shards[hash(order_id) & _MASK]

    def __iter__(self) -> Iterator[str]:
        return (o.order_id for o in self._index.log)

    def __len__(self) -> int:
        return len(self._index.log)


class OrderStore:
    """Every order the exchange ever accepted, and the indexes on them; the only writer of those indexes.

    Each index is SHARDS dicts chosen by the key's hash (orders and fills by order id, orders by account,
    by account and client id), so no single dict ever holds more than about a 64th of them: the largest
    rehash a placement can meet stays small however long the exchange runs. The order of arrival lives
    in a list (a list grows by reallocating, without rehashing) and in each account's list.
    """

    __slots__ = ("_by_account", "_by_client", "_by_id", "_fills", "_fills_view", "_view")

    def __init__(self) -> None:
        self._by_id = _OrderIndex()
        self._by_account: list[dict[str, list[Order]]] = [{} for _ in range(SHARDS)]
        self._by_client: list[dict[tuple[str, str], list[Order]]] = [{} for _ in range(SHARDS)]
        self._fills: list[dict[str, _Fills]] = [{} for _ in range(SHARDS)]
        self._view: Mapping[str, Order] = _IdsView(self._by_id)
        self._fills_view: Mapping[str, list[Fill]] = _FillsView(self._by_id, self._fills)

    def __len__(self) -> int:
        return len(self._by_id.log)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._by_id.shards[hash(order_id) & _MASK]

    @property
    def by_id(self) -> Mapping[str, Order]:
        """Read-only: order id -> order."""
        return self._view

    @property
    def fills_by_order(self) -> Mapping[str, list[Fill]]:
        """Read-only: order id -> its fills, oldest first (each read builds a new list of new Fills)."""
        return self._fills_view

    def get(self, order_id: str) -> Order | None:
        return self._by_id.shards[hash(order_id) & _MASK].get(order_id)

    def add(self, order: Order, fills: Sequence[FillRow] | None = None) -> None:
        """Index a new order, with the fills it already has (Fills or bare rows, oldest first)."""
        oid = order.order_id
        h = hash(oid) & _MASK
        index = self._by_id
        ids = index.shards[h]
        if oid in ids:
            raise ValueError(f"order {oid} already exists")
        ids[oid] = order
        index.log.append(order)
        account_id = order.account_id
        accounts = self._by_account[hash(account_id) & _MASK]
        mine = accounts.get(account_id)
        if mine is None:
            mine = accounts[account_id] = []
        mine.append(order)
        if order.client_id is not None:
            key = (account_id, order.client_id)
            self._by_client[hash(key) & _MASK].setdefault(key, []).append(order)
        if fills:  # most orders never trade: nothing stored for those
            rows: list[FillRow] = [row if type(row) is tuple else _bare(row) for row in fills]
            self._fills[h][oid] = rows[0] if len(rows) == 1 else rows

    def add_fill(self, fill: FillRow) -> None:
        """One more fill of a stored order (a Fill or a bare row)."""
        if type(fill) is not tuple:
            fill = _bare(fill)  # a Fill: kept as its bare row
        oid = fill[1]
        h = hash(oid) & _MASK
        fills = self._fills[h]
        mine = fills.get(oid)
        if mine is None:
            if oid not in self._by_id.shards[h]:
                raise KeyError(oid)
            fills[oid] = fill
        elif type(mine) is list:
            mine.append(fill)
        else:
            fills[oid] = [mine, fill]  # type: ignore[list-item]  # the second fill: a list from now on

    def of_account(self, account_id: str) -> list[Order]:
        """The account's orders, oldest first (a copy)."""
        return list(self._by_account[hash(account_id) & _MASK].get(account_id, ()))

    def newest_first(self, account_id: str) -> Iterator[Order]:
        return reversed(self._by_account[hash(account_id) & _MASK].get(account_id, ()))

    def by_client(self, account_id: str, client_id: str) -> list[Order]:
        key = (account_id, client_id)
        return list(self._by_client[hash(key) & _MASK].get(key, ()))

    def fills(self, order_id: str) -> list[Fill]:
        return [_fill(row) for row in _rows(self._fills[hash(order_id) & _MASK].get(order_id))]

    def values(self) -> Iterator[Order]:
        """Every order, oldest first."""
        return iter(self._by_id.log)

    def forget_account(self, account_id: str) -> list[Order]:
        """Drop the account's orders and fills from every index; returns them (an admin step: O(orders))."""
        gone = self._by_account[hash(account_id) & _MASK].pop(account_id, [])
        if not gone:
            return gone
        index = self._by_id
        for order in gone:
            h = hash(order.order_id) & _MASK
            del index.shards[h][order.order_id]
            self._fills[h].pop(order.order_id, None)
        index.log[:] = [o for o in index.log if o.account_id != account_id]
        for shard in self._by_client:
            for key in [k for k in shard if k[0] == account_id]:
                del shard[key]
        return gone

    def clear(self) -> None:
        self._by_id.log.clear()
        for shards in (self._by_id.shards, self._by_account, self._by_client, self._fills):
            for shard in shards:
                shard.clear()

    def problems(self) -> Iterator[str]:
        """Every way the indexes disagree with each other (none for a consistent store)."""
        index = self._by_id
        seen = 0
        for h, accounts in enumerate(self._by_account):
            for account_id, mine in accounts.items():
                if hash(account_id) & _MASK != h:
                    yield f"account {account_id!r} indexed in the wrong shard"
                for o in mine:
                    seen += 1
                    if o.account_id != account_id:
                        yield f"order {o.order_id} listed under account {account_id!r}"
                    if self.get(o.order_id) is not o:
                        yield f"order {o.order_id} of account {account_id!r} missing from the id index"
        by_id = sum(len(shard) for shard in index.shards)
        if seen != by_id:
            yield f"{by_id} orders by id, {seen} by account"
        if len(index.log) != by_id or any(self.get(o.order_id) is not o for o in index.log):
            yield f"{by_id} orders by id, {len(index.log)} in the order of arrival"
        for h, shard in enumerate(index.shards):
            if any(hash(oid) & _MASK != h for oid in shard):
                yield "an order indexed in the wrong shard"
        for h, fills_shard in enumerate(self._fills):
            if not set(fills_shard) <= set(index.shards[h]):
                yield "fills are indexed for orders the store does not hold (or the other way round)"
            for oid, fills in fills_shard.items():
                if type(fills) is list and len(fills) < 2:
                    yield f"order {oid}: fills kept as a list of {len(fills)}"
                for row in _rows(fills):
                    if type(row) is not tuple or len(row) != len(Fill._fields):
                        yield f"order {oid}: a fill that is not a fill row"
                    elif row[1] != oid:
                        yield f"fill {row[0]} of order {row[1]} filed under {oid}"
        for h, clients in enumerate(self._by_client):
            for (account_id, client_id), orders in clients.items():
                if hash((account_id, client_id)) & _MASK != h:
                    yield f"client id index: ({account_id!r}, {client_id!r}) in the wrong shard"
                for o in orders:
                    if o.account_id != account_id or o.client_id != client_id or self.get(o.order_id) is not o:
                        yield f"client id index: order {o.order_id} under ({account_id!r}, {client_id!r})"
