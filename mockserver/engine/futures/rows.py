"""The futures engine's own records, as plain mutable dataclasses (what a snapshot saves).

Integers inside: prices in ticks (10**-quotePrecision), quantities in lots
(10**-basePrecision), entry and exit values in amount units (ticks x lots, i.e.
10**-(quotePrecision + basePrecision) of the quote coin) and money in ledger units
(10**-scale of USDT, the exchange ledger's scale). Decimal only at the facade's edge.

:class:`OrderRow` satisfies what :class:`~mockserver.engine.book.OrderBook` reads of an
order (``order_id``, ``side``, ``price_ticks``, ``volume_lots``, ``deal_lots``), so the
spot book holds futures orders unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..orders import Side

__all__ = [
    "AccountRow",
    "FillRow",
    "FundingRow",
    "MarketRow",
    "OrderRow",
    "PositionRow",
    "SymbolSetting",
    "TpslRow",
]

OPEN_STATUSES = ("NEW", "PART_FILLED")


@dataclass(slots=True)
class SymbolSetting:
    leverage: int
    margin_mode: str  # ISOLATION | CROSS


@dataclass(slots=True)
class AccountRow:
    """An account's futures settings: the account-wide position mode and per-symbol leverage and margin mode."""

    account_id: str
    position_mode: str = "ONE_WAY"  # ONE_WAY | HEDGE
    settings: dict[str, SymbolSetting] = field(default_factory=dict)


@dataclass(slots=True)
class OrderRow:
    order_id: str
    account_id: str
    symbol: str
    client_id: str
    side: Side  # the actual action: BUY adds to a long / reduces a short
    trade_side: str  # OPEN | CLOSE as the order was placed ("" in one-way without it)
    position_side: str  # hedge: LONG | SHORT, the position it opens or closes; one-way: ""
    position_id: str  # the position a CLOSE names ("" otherwise)
    order_type: str  # LIMIT | MARKET
    effect: str  # GTC | IOC | FOK | POST_ONLY
    reduce_only: bool
    price_ticks: int  # limit price; a market order's band limit
    qty_lots: int
    deal_lots: int
    deal_value: int  # sum of ticks x lots filled (amount units)
    frozen: int  # margin and taker fee held for the unfilled opening part (ledger units)
    fee: int  # ledger units
    realized: int  # ledger units, signed
    leverage: int
    margin_mode: str
    position_mode: str
    status: str  # NEW | PART_FILLED | FILLED | CANCELED | PART_FILLED_CANCELED
    seq: int
    ctime: int
    mtime: int
    tp_price: str = ""
    tp_stop_type: str = ""
    tp_order_type: str = ""
    tp_order_price: str = ""
    sl_price: str = ""
    sl_stop_type: str = ""
    sl_order_type: str = ""
    sl_order_price: str = ""

    @property
    def volume_lots(self) -> int:  # the book's name for the ordered quantity
        return self.qty_lots

    @property
    def left_lots(self) -> int:
        return self.qty_lots - self.deal_lots

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(slots=True)
class FillRow:
    trade_id: str
    order_id: str
    account_id: str
    symbol: str
    side: Side
    price_ticks: int
    qty_lots: int
    fee: int
    realized: int
    role: str  # MAKER | TAKER
    position_id: str
    ctime: int


@dataclass(slots=True)
class PositionRow:
    position_id: str
    account_id: str
    symbol: str
    side: str  # LONG | SHORT
    qty_lots: int
    cost: int  # entry value of the open quantity (amount units)
    margin: int  # ledger units held for the position
    margin_mode: str
    position_mode: str
    leverage: int
    fee: int = 0
    funding: int = 0  # signed: received positive, paid negative
    realized: int = 0  # excluding fees and funding
    max_lots: int = 0
    liq_lots: int = 0
    close_value: int = 0  # sum of ticks x lots closed (amount units)
    closed_lots: int = 0
    open_value: int = 0  # sum of ticks x lots ever opened (amount units): the history's entry price
    opened_lots: int = 0
    ctime: int = 0
    mtime: int = 0
    # As it stood just before its last close (what the closed-position history shows).
    last_margin: int = 0  # ledger units
    last_liq_price: str = "0"


@dataclass(slots=True)
class FundingRow:
    symbol: str
    time_ms: int
    rate: Decimal  # fraction
    mark_ticks: int


@dataclass(slots=True)
class TpslRow:
    tpsl_id: str
    account_id: str
    symbol: str
    position_id: str
    kind: str  # POSITION_TPSL | TPSL
    tp_price_ticks: int  # 0: none
    tp_stop_type: str
    tp_order_type: str
    tp_order_price_ticks: int
    tp_lots: int  # 0: the whole position
    sl_price_ticks: int
    sl_stop_type: str
    sl_order_type: str
    sl_order_price_ticks: int
    sl_lots: int
    status: str  # NEW | FILLED | CANCELED | SYSTEM_CANCELED
    ctime: int
    mtime: int
    trigger_time: int = 0


@dataclass(slots=True)
class MarketRow:
    """A contract's prices and funding: last and mark move with trades; mark and index can be set."""

    symbol: str
    last_ticks: int
    mark_ticks: int
    index_ticks: int
    follow_last: bool
    funding_rate: Decimal  # percent per interval, as served
    next_funding_ms: int
