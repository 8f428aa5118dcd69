"""What the futures facade takes and returns: frozen dataclasses with Decimal figures.

The engine's rows (:mod:`.rows`) are integers; these are their readable edge. Names
follow the spec's fields (snake case); the API's serializers choose the wire spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

__all__ = [
    "AccountSummary",
    "CancelFailure",
    "ClosedPosition",
    "FundingHistoryRow",
    "FundingInfo",
    "FuturesOrder",
    "FuturesPlaceRequest",
    "FuturesTrade",
    "KlineRow",
    "LeverageMarginMode",
    "OrderQuery",
    "Page",
    "Position",
    "PositionQuery",
    "Ticker",
    "TpslOrder",
    "TpslRequest",
    "TradeQuery",
    "TradingSetting",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FuturesPlaceRequest:
    """One order as ``place_order`` takes it (types checked by the API; rules by the engine).

    ``side`` and ``trade_side`` carry the spec's hedge semantics (§3.4): ``BUY+CLOSE`` closes
    a long. ``price`` is required for LIMIT and ignored for MARKET.
    """

    symbol: str
    side: str  # BUY | SELL
    qty: Decimal
    order_type: str = "LIMIT"  # LIMIT | MARKET
    price: Decimal | None = None
    trade_side: str | None = None  # OPEN | CLOSE
    position_id: str | None = None
    effect: str | None = None  # GTC (default) | IOC | FOK | POST_ONLY
    client_id: str | None = None
    reduce_only: bool = False
    tp_price: Decimal | None = None
    tp_stop_type: str | None = None
    tp_order_type: str | None = None
    tp_order_price: Decimal | None = None
    sl_price: Decimal | None = None
    sl_stop_type: str | None = None
    sl_order_type: str | None = None
    sl_order_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FuturesOrder:
    order_id: str
    client_id: str
    symbol: str
    qty: Decimal
    trade_qty: Decimal
    price: Decimal | None  # None for a market order (the history shows "market")
    avg_price: Decimal
    side: str  # the actual action
    trade_side: str
    position_id: str
    order_type: str
    effect: str
    reduce_only: bool  # true for every order that closes (as order reads show a close)
    position_mode: str
    margin_mode: str
    leverage: int
    status: str
    fee: Decimal
    realized_pnl: Decimal
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


@dataclass(frozen=True, slots=True)
class FuturesTrade:
    trade_id: str
    order_id: str
    symbol: str
    qty: Decimal
    price: Decimal
    side: str
    order_type: str
    effect: str
    client_id: str
    reduce_only: bool
    position_mode: str
    margin_mode: str
    leverage: int
    fee: Decimal
    realized_pnl: Decimal
    ctime: int
    role: str  # MAKER | TAKER
    position_id: str


@dataclass(frozen=True, slots=True)
class Position:
    position_id: str
    symbol: str
    margin_coin: str
    qty: Decimal
    entry_value: Decimal
    side: str  # LONG | SHORT (the live wire says BUY | SELL; the serializer maps)
    margin_mode: str
    position_mode: str
    leverage: int
    fee: Decimal
    funding: Decimal
    realized_pnl: Decimal
    margin: Decimal
    unrealized_pnl: Decimal
    liq_price: Decimal
    margin_rate: Decimal
    avg_open_price: Decimal
    ctime: int
    mtime: int


@dataclass(frozen=True, slots=True)
class ClosedPosition:
    position_id: str
    symbol: str
    margin_coin: str
    max_qty: Decimal
    entry_price: Decimal
    close_price: Decimal
    liq_qty: Decimal
    side: str
    margin_mode: str
    position_mode: str
    leverage: int
    fee: Decimal
    funding: Decimal
    realized_pnl: Decimal
    liq_price: Decimal
    margin: Decimal
    ctime: int
    mtime: int


@dataclass(frozen=True, slots=True)
class AccountSummary:
    margin_coin: str
    available: Decimal
    frozen: Decimal
    margin: Decimal
    transfer: Decimal
    position_mode: str
    cross_unrealized_pnl: Decimal
    isolation_unrealized_pnl: Decimal
    bonus: Decimal


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    mark_price: Decimal
    last_price: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    base_volume: Decimal  # base quantity traded in 24 h
    quote_volume: Decimal  # quote turnover in 24 h


@dataclass(frozen=True, slots=True)
class FundingInfo:
    symbol: str
    mark_price: Decimal
    last_price: Decimal
    index_price: Decimal
    funding_rate: Decimal  # percent per interval
    funding_interval: int  # hours
    next_funding_time: int
    max_funding_rate: Decimal  # percent
    min_funding_rate: Decimal  # percent


@dataclass(frozen=True, slots=True)
class FundingHistoryRow:
    symbol: str
    funding_rate: Decimal  # fraction (unlike FundingInfo)
    funding_time: int
    mark_price: Decimal


@dataclass(frozen=True, slots=True)
class KlineRow:
    open_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    base_volume: Decimal
    quote_volume: Decimal
    price_type: str  # LAST_PRICE | MARK_PRICE


@dataclass(frozen=True, slots=True)
class LeverageMarginMode:
    symbol: str
    margin_coin: str
    leverage: int
    margin_mode: str


@dataclass(frozen=True, slots=True)
class TradingSetting:
    symbol: str
    margin_coin: str
    margin_mode: str
    leverage: int
    long_leverage: int
    short_leverage: int


@dataclass(frozen=True, slots=True)
class CancelFailure:
    order_id: str
    client_id: str
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class TpslRequest:
    """One TP/SL as ``tpsl/place_order`` (order level) or ``tpsl/position/place_order`` takes it."""

    symbol: str
    position_id: str
    tp_price: Decimal | None = None
    tp_stop_type: str | None = None  # MARK_PRICE | LAST_PRICE (MARK/LAST accepted)
    tp_order_type: str | None = None  # LIMIT | MARKET
    tp_order_price: Decimal | None = None
    tp_qty: Decimal | None = None
    sl_price: Decimal | None = None
    sl_stop_type: str | None = None
    sl_order_type: str | None = None
    sl_order_price: Decimal | None = None
    sl_qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TpslOrder:
    id: str
    position_id: str
    symbol: str
    base: str
    quote: str
    kind: str  # TPSL | POSITION_TPSL
    tp_price: Decimal | None
    tp_stop_type: str
    tp_order_type: str
    tp_order_price: Decimal | None
    tp_qty: Decimal | None
    sl_price: Decimal | None
    sl_stop_type: str
    sl_order_type: str
    sl_order_price: Decimal | None
    sl_qty: Decimal | None
    status: str
    ctime: int
    mtime: int
    trigger_time: int


@dataclass(frozen=True, slots=True)
class OrderQuery:
    symbol: str | None = None
    order_id: str | None = None
    client_id: str | None = None
    status: str | None = None
    order_type: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    skip: int = 0
    limit: int = 10
    query_canceled: bool | None = None  # history: True cancelled only, False excluding cancelled


@dataclass(frozen=True, slots=True)
class TradeQuery:
    symbol: str | None = None
    order_id: str | None = None
    position_id: str | None = None  # does not filter live (spec §3.4); the mock filters [L]
    start_ms: int | None = None
    end_ms: int | None = None
    skip: int = 0
    limit: int = 10


@dataclass(frozen=True, slots=True)
class PositionQuery:
    symbol: str | None = None
    position_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    skip: int = 0
    limit: int = 10


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
