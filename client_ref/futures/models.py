"""Typed futures requests and results. Amounts are ``Decimal``, never float; times are aware UTC datetimes.

Every reader accepts both the shapes the live exchange sends and the ones its docs print (spec §7),
so a client that works against live works against the mock's default and doc-literal profiles alike:

- ``data`` that is one object live and a one-element list in the docs (``account``, ``funding_rate``,
  the ``change_*`` replies) is read from either (:func:`one`);
- ``total``, ``ctime``, ``mtime``, ``leverage`` arrive as JSON strings live and numbers in the docs;
- enum values may carry a trailing ``_`` live (``"NEW_"``) and come in several spellings
  (``BUY``/``Buy``, ``MARK``/``MARK_PRICE``);
- a position's ``side`` is ``BUY``/``SELL`` live and ``LONG``/``SHORT`` in the docs: both read as
  :class:`PositionSide`;
- numbers (prices, quantities) are strings live and sometimes JSON numbers in doc examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from ..errors import UnexpectedResponse
from ..models import decimal_text

__all__ = [
    "Account",
    "BatchFailure",
    "BatchResult",
    "CancelFailure",
    "CancelResult",
    "Contract",
    "Depth",
    "DepthLevel",
    "Effect",
    "FundingRate",
    "FundingRateRecord",
    "HistoryPosition",
    "HistoryPositionPage",
    "Kline",
    "KlineInterval",
    "LeverageMarginMode",
    "LeverageSetting",
    "MarginMode",
    "MarginModeSetting",
    "Order",
    "OrderPage",
    "OrderRef",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Position",
    "PositionMode",
    "PositionSide",
    "PositionTier",
    "PriceType",
    "RoleType",
    "Side",
    "StopType",
    "Ticker",
    "Tpsl",
    "TpslOrder",
    "TpslPage",
    "Trade",
    "TradePage",
    "TradeSide",
    "TradingSetting",
    "one",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class Side(StrEnum):
    """The trade action of an order or fill (on a hedge-mode close, the position's direction: spec §3.4)."""

    BUY = "BUY"
    SELL = "SELL"


class TradeSide(StrEnum):
    OPEN = "OPEN"
    CLOSE = "CLOSE"


class PositionSide(StrEnum):
    """A position's direction; the wire says ``BUY``/``SELL`` live and ``LONG``/``SHORT`` in the docs."""

    LONG = "LONG"
    SHORT = "SHORT"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class Effect(StrEnum):
    """Time in force."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "POST_ONLY"


class PositionMode(StrEnum):
    ONE_WAY = "ONE_WAY"
    HEDGE = "HEDGE"


class MarginMode(StrEnum):
    ISOLATION = "ISOLATION"
    CROSS = "CROSS"


class StopType(StrEnum):
    """What a TP/SL trigger watches; ``MARK``/``LAST`` (doc examples, pushes) read as the long names."""

    MARK_PRICE = "MARK_PRICE"
    LAST_PRICE = "LAST_PRICE"


class PriceType(StrEnum):
    """The price series of a kline."""

    LAST_PRICE = "LAST_PRICE"
    MARK_PRICE = "MARK_PRICE"


class OrderStatus(StrEnum):
    INIT = "INIT"
    NEW = "NEW"
    PART_FILLED = "PART_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PART_FILLED_CANCELED = "PART_FILLED_CANCELED"
    EXPIRED = "EXPIRED"
    SYSTEM_CANCELED = "SYSTEM_CANCELED"


class RoleType(StrEnum):
    TAKER = "TAKER"
    MAKER = "MAKER"


class KlineInterval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    H12 = "12h"
    D1 = "1d"
    D3 = "3d"
    W1 = "1w"
    MO1 = "1M"


#: Spellings seen on the wire besides the enum values themselves.
_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    PositionSide: {"BUY": "LONG", "SELL": "SHORT"},
    StopType: {"MARK": "MARK_PRICE", "LAST": "LAST_PRICE"},
    MarginMode: {"ISOLATED": "ISOLATION", "CROSSED": "CROSS"},
}


def _enum(kind: type[E], value: Any) -> E:
    """``value`` as ``kind``: case-insensitive, a trailing ``_`` dropped (``NEW_``), known aliases mapped."""
    if isinstance(value, str):
        text = value.strip().rstrip("_").upper()
        text = _ALIASES.get(kind, {}).get(text, text)
        try:
            return kind(text)
        except ValueError:
            pass
    raise UnexpectedResponse(f"expected a {kind.__name__}, got {value!r:.60}")


def _opt_enum(kind: type[E], value: Any) -> E | None:
    return None if value is None or value == "" else _enum(kind, value)


def _dec(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    raise UnexpectedResponse(f"expected a decimal, got {value!r:.60}")


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else _dec(value)


def _int(value: Any) -> int:
    """An integer sent as a JSON number (docs) or a string of digits (live)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise UnexpectedResponse(f"expected an integer, got {value!r:.60}")


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else _int(value)


def _ms(value: Any) -> datetime:
    return datetime.fromtimestamp(_int(value) / 1000, UTC)


def _opt_ms(value: Any) -> datetime | None:
    return None if value is None or value == "" else _ms(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise UnexpectedResponse(f"expected a boolean, got {value!r:.60}")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnexpectedResponse(f"expected a string, got {value!r:.60}")


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else _str(value)


def one(data: Any) -> dict[str, Any]:
    """The object of a reply that is an object live and a one-element list in the docs."""
    if isinstance(data, list):
        if len(data) != 1:
            raise UnexpectedResponse(f"expected one object, got a list of {len(data)}")
        data = data[0]
    if not isinstance(data, dict):
        raise UnexpectedResponse(f"expected an object, got {data!r:.60}")
    return data


def _rows(data: Any, read: Callable[[Any], T]) -> tuple[T, ...]:
    if data is None or data == "":
        return ()
    if not isinstance(data, list):
        raise UnexpectedResponse(f"expected a list, got {data!r:.60}")
    return tuple(read(d) for d in data)


def _text(value: Decimal | int | str) -> str:
    return decimal_text(value)


# -- market --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticker:
    """``market/tickers`` row. Volumes keep the wire names: live ``quoteVol`` is the base quantity (spec §7.4)."""

    symbol: str
    mark_price: Decimal | None
    last_price: Decimal | None
    open: Decimal | None
    last: Decimal | None
    quote_vol: Decimal | None
    base_vol: Decimal | None
    high: Decimal | None
    low: Decimal | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Ticker:
        return cls(
            symbol=_str(d["symbol"]),
            mark_price=_opt_dec(d.get("markPrice")),
            last_price=_opt_dec(d.get("lastPrice")),
            open=_opt_dec(d.get("open")),
            last=_opt_dec(d.get("last")),
            quote_vol=_opt_dec(d.get("quoteVol")),
            base_vol=_opt_dec(d.get("baseVol")),
            high=_opt_dec(d.get("high")),
            low=_opt_dec(d.get("low")),
        )


@dataclass(frozen=True)
class DepthLevel:
    price: Decimal
    qty: Decimal


@dataclass(frozen=True)
class Depth:
    """Bids best (highest) first, asks best (lowest) first, as sent. Levels are strings live, numbers in the docs."""

    asks: tuple[DepthLevel, ...]
    bids: tuple[DepthLevel, ...]

    @classmethod
    def from_wire(cls, d: Any) -> Depth:
        d = one(d)

        def side(rows: Any) -> tuple[DepthLevel, ...]:
            return _rows(rows, lambda r: DepthLevel(_dec(r[0]), _dec(r[1])))

        return cls(side(d.get("asks")), side(d.get("bids")))


@dataclass(frozen=True)
class Kline:
    """A candle. Volumes keep the wire names: live ``quoteVol`` is the base quantity (PB, spec §7.4)."""

    time: datetime  # open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    quote_vol: Decimal | None
    base_vol: Decimal | None
    type: PriceType | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Kline:
        return cls(
            time=_ms(d["time"]),
            open=_dec(d["open"]),
            high=_dec(d["high"]),
            low=_dec(d["low"]),
            close=_dec(d["close"]),
            quote_vol=_opt_dec(d.get("quoteVol")),
            base_vol=_opt_dec(d.get("baseVol")),
            type=_opt_enum(PriceType, d.get("type")),
        )


@dataclass(frozen=True)
class FundingRate:
    """``fundingRate``, ``maxFundingRate``, ``minFundingRate`` are in percent per interval (``0.01`` = 0.0001)."""

    symbol: str
    mark_price: Decimal | None
    last_price: Decimal | None
    index_price: Decimal | None  # null on stale rows live
    funding_rate: Decimal
    funding_interval: int | None  # hours
    next_funding_time: datetime | None
    max_funding_rate: Decimal | None
    min_funding_rate: Decimal | None

    @classmethod
    def from_wire(cls, d: Any) -> FundingRate:
        d = one(d)
        return cls(
            symbol=_str(d["symbol"]),
            mark_price=_opt_dec(d.get("markPrice")),
            last_price=_opt_dec(d.get("lastPrice")),
            index_price=_opt_dec(d.get("indexPrice")),
            funding_rate=_dec(d["fundingRate"]),
            funding_interval=_opt_int(d.get("fundingInterval")),
            next_funding_time=_opt_ms(d.get("nextFundingTime")),
            max_funding_rate=_opt_dec(d.get("maxFundingRate")),
            min_funding_rate=_opt_dec(d.get("minFundingRate")),
        )


@dataclass(frozen=True)
class FundingRateRecord:
    """A settled funding: ``funding_rate`` is a fraction here, unlike the percent of :class:`FundingRate`."""

    funding_rate: Decimal
    funding_time: datetime
    mark_price: Decimal | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> FundingRateRecord:
        return cls(_dec(d["fundingRate"]), _ms(d["fundingTime"]), _opt_dec(d.get("markPrice")))


@dataclass(frozen=True)
class Contract:
    """``market/trading_pairs`` row. ``default_margin_mode`` stays as sent (table, example and live disagree)."""

    symbol: str
    base: str
    quote: str
    min_trade_volume: Decimal
    min_buy_price_offset: Decimal | None
    max_sell_price_offset: Decimal | None
    max_limit_order_volume: Decimal | None
    max_market_order_volume: Decimal | None
    base_precision: int
    quote_precision: int
    min_leverage: int
    max_leverage: int
    default_leverage: int | None
    default_margin_mode: str | None
    price_protect_scope: Decimal | None
    symbol_status: str
    is_api_supported: bool
    max_funding_rate: Decimal | None
    min_funding_rate: Decimal | None
    launch_time: datetime | None
    delist_time: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def tradable(self) -> bool:
        """What PB and ccxt check before trading a contract."""
        return self.symbol_status == "OPEN" and self.is_api_supported

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Contract:
        mode = d.get("defaultMarginMode")
        return cls(
            symbol=_str(d["symbol"]),
            base=_str(d["base"]),
            quote=_str(d["quote"]),
            min_trade_volume=_dec(d["minTradeVolume"]),
            min_buy_price_offset=_opt_dec(d.get("minBuyPriceOffset")),
            max_sell_price_offset=_opt_dec(d.get("maxSellPriceOffset")),
            max_limit_order_volume=_opt_dec(d.get("maxLimitOrderVolume")),
            max_market_order_volume=_opt_dec(d.get("maxMarketOrderVolume")),
            base_precision=_int(d["basePrecision"]),
            quote_precision=_int(d["quotePrecision"]),
            min_leverage=_int(d["minLeverage"]),
            max_leverage=_int(d["maxLeverage"]),
            default_leverage=_opt_int(d.get("defaultLeverage")),
            default_margin_mode=None if mode is None else _str(mode),
            price_protect_scope=_opt_dec(d.get("priceProtectScope")),
            symbol_status=_str(d["symbolStatus"]).rstrip("_"),
            is_api_supported=_bool(d.get("isApiSupported", True)),
            max_funding_rate=_opt_dec(d.get("maxFundingRate")),
            min_funding_rate=_opt_dec(d.get("minFundingRate")),
            launch_time=_opt_ms(d.get("launchTime")),
            delist_time=_opt_ms(d.get("delistTime")),
            raw=d,
        )


@dataclass(frozen=True)
class PositionTier:
    symbol: str
    level: int
    start_value: Decimal
    end_value: Decimal
    leverage: int
    maintenance_margin_rate: Decimal

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> PositionTier:
        return cls(
            _str(d["symbol"]),
            _int(d["level"]),
            _dec(d["startValue"]),
            _dec(d["endValue"]),
            _int(d["leverage"]),
            _dec(d["maintenanceMarginRate"]),
        )


# -- account -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """The futures wallet of one margin coin (an object live, a one-element list in the docs)."""

    margin_coin: str
    available: Decimal
    frozen: Decimal
    margin: Decimal
    transfer: Decimal
    position_mode: PositionMode | None
    cross_unrealized_pnl: Decimal
    isolation_unrealized_pnl: Decimal
    bonus: Decimal

    @classmethod
    def from_wire(cls, d: Any) -> Account:
        d = one(d)
        return cls(
            margin_coin=_str(d["marginCoin"]),
            available=_dec(d["available"]),
            frozen=_dec(d["frozen"]),
            margin=_dec(d["margin"]),
            transfer=_dec(d["transfer"]),
            position_mode=_opt_enum(PositionMode, d.get("positionMode")),
            cross_unrealized_pnl=_dec(d.get("crossUnrealizedPNL", "0")),
            isolation_unrealized_pnl=_dec(d.get("isolationUnrealizedPNL", "0")),
            bonus=_dec(d.get("bonus", "0")),
        )


@dataclass(frozen=True)
class LeverageMarginMode:
    symbol: str
    margin_coin: str | None
    leverage: int
    margin_mode: MarginMode
    long_leverage: int | None = None
    short_leverage: int | None = None

    @classmethod
    def from_wire(cls, d: Any) -> LeverageMarginMode:
        d = one(d)
        return cls(
            symbol=_str(d["symbol"]),
            margin_coin=_opt_str(d.get("marginCoin")),
            leverage=_int(d["leverage"]),
            margin_mode=_enum(MarginMode, d["marginMode"]),
            long_leverage=_opt_int(d.get("longLeverage")),
            short_leverage=_opt_int(d.get("shortLeverage")),
        )


@dataclass(frozen=True)
class LeverageSetting:
    """The ``change_leverage`` reply (an object live per NET, a one-element list in the docs)."""

    symbol: str | None
    margin_coin: str | None
    leverage: int

    @classmethod
    def from_wire(cls, d: Any) -> LeverageSetting:
        d = one(d)
        return cls(_opt_str(d.get("symbol")), _opt_str(d.get("marginCoin")), _int(d["leverage"]))


@dataclass(frozen=True)
class MarginModeSetting:
    """The ``change_margin_mode`` reply. DOC-C's example puts the mode under ``positionMode`` (a doc error)."""

    symbol: str | None
    margin_coin: str | None
    margin_mode: MarginMode

    @classmethod
    def from_wire(cls, d: Any) -> MarginModeSetting:
        d = one(d)
        mode = d["marginMode"] if "marginMode" in d else d["positionMode"]
        return cls(_opt_str(d.get("symbol")), _opt_str(d.get("marginCoin")), _enum(MarginMode, mode))


def position_mode_from_wire(d: Any) -> PositionMode:
    """``{"positionMode": "HEDGE"}`` (or the docs' one-element list of it)."""
    return _enum(PositionMode, one(d)["positionMode"])


@dataclass(frozen=True)
class TradingSetting:
    symbol: str
    margin_coin: str | None
    margin_mode: MarginMode
    leverage: int
    long_leverage: int | None
    short_leverage: int | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> TradingSetting:
        return cls(
            symbol=_str(d["symbol"]),
            margin_coin=_opt_str(d.get("marginCoin")),
            margin_mode=_enum(MarginMode, d["marginMode"]),
            leverage=_int(d["leverage"]),
            long_leverage=_opt_int(d.get("longLeverage")),
            short_leverage=_opt_int(d.get("shortLeverage")),
        )


# -- positions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """An open position. ``side`` reads ``BUY``/``SELL`` (live) and ``LONG``/``SHORT`` (docs) alike."""

    position_id: str
    symbol: str
    margin_coin: str | None  # null live (NET)
    qty: Decimal
    entry_value: Decimal | None
    side: PositionSide
    margin_mode: MarginMode | None
    position_mode: PositionMode | None
    leverage: int | None
    fee: Decimal | None
    funding: Decimal | None
    realized_pnl: Decimal | None
    margin: Decimal | None
    unrealized_pnl: Decimal | None
    liq_price: Decimal | None  # <= 0: no liquidation price
    margin_rate: Decimal | None
    avg_open_price: Decimal | None
    ctime: datetime | None
    mtime: datetime | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Position:
        return cls(
            position_id=_str(d["positionId"]),
            symbol=_str(d["symbol"]),
            margin_coin=_opt_str(d.get("marginCoin")),
            qty=_dec(d["qty"]),
            entry_value=_opt_dec(d.get("entryValue")),
            side=_enum(PositionSide, d["side"]),
            margin_mode=_opt_enum(MarginMode, d.get("marginMode")),
            position_mode=_opt_enum(PositionMode, d.get("positionMode")),
            leverage=_opt_int(d.get("leverage")),
            fee=_opt_dec(d.get("fee")),
            funding=_opt_dec(d.get("funding")),
            realized_pnl=_opt_dec(d.get("realizedPNL")),
            margin=_opt_dec(d.get("margin")),
            unrealized_pnl=_opt_dec(d.get("unrealizedPNL")),
            liq_price=_opt_dec(d.get("liqPrice")),
            margin_rate=_opt_dec(d.get("marginRate")),
            avg_open_price=_opt_dec(d.get("avgOpenPrice")),
            ctime=_opt_ms(d.get("ctime")),
            mtime=_opt_ms(d.get("mtime")),
        )


@dataclass(frozen=True)
class HistoryPosition:
    position_id: str
    symbol: str
    max_qty: Decimal | None
    entry_price: Decimal | None
    close_price: Decimal | None
    liq_qty: Decimal | None
    side: PositionSide
    margin_mode: MarginMode | None
    position_mode: PositionMode | None
    leverage: int | None  # a string live (TIQ)
    fee: Decimal | None
    funding: Decimal | None
    realized_pnl: Decimal | None
    liq_price: Decimal | None
    ctime: datetime | None
    mtime: datetime | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> HistoryPosition:
        return cls(
            position_id=_str(d["positionId"]),
            symbol=_str(d["symbol"]),
            max_qty=_opt_dec(d.get("maxQty")),
            entry_price=_opt_dec(d.get("entryPrice")),
            close_price=_opt_dec(d.get("closePrice")),
            liq_qty=_opt_dec(d.get("liqQty")),
            side=_enum(PositionSide, d["side"]),
            margin_mode=_opt_enum(MarginMode, d.get("marginMode")),
            position_mode=_opt_enum(PositionMode, d.get("positionMode")),
            leverage=_opt_int(d.get("leverage")),
            fee=_opt_dec(d.get("fee")),
            funding=_opt_dec(d.get("funding")),
            realized_pnl=_opt_dec(d.get("realizedPNL")),
            liq_price=_opt_dec(d.get("liqPrice")),
            ctime=_opt_ms(d.get("ctime")),
            mtime=_opt_ms(d.get("mtime")),
        )


@dataclass(frozen=True)
class HistoryPositionPage:
    positions: tuple[HistoryPosition, ...]
    total: int

    @classmethod
    def from_wire(cls, d: Any) -> HistoryPositionPage:
        d = one(d)
        return cls(_rows(d.get("positionList"), HistoryPosition.from_wire), _int(d.get("total", 0)))


# -- trade ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tpsl:
    """A take-profit or stop-loss attached to an order: trigger price and type, child order type and price."""

    price: Decimal
    stop_type: StopType | None = None
    order_type: OrderType | None = None
    order_price: Decimal | None = None

    def to_wire(self, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {prefix + "Price": _text(self.price)}
        if self.stop_type is not None:
            out[prefix + "StopType"] = StopType(self.stop_type).value
        if self.order_type is not None:
            out[prefix + "OrderType"] = OrderType(self.order_type).value
        if self.order_price is not None:
            out[prefix + "OrderPrice"] = _text(self.order_price)
        return out


@dataclass(frozen=True)
class OrderRequest:
    """One order: ``place_order``'s body, and one item of ``batch_order``'s ``orderList`` (without symbol).

    In hedge mode ``side`` + ``trade_side`` say what happens: ``BUY+OPEN`` opens a long, ``SELL+OPEN``
    a short, ``BUY+CLOSE`` closes the long and ``SELL+CLOSE`` the short (``side`` names the position's
    direction on a close), and a close carries ``position_id``. In one-way mode ``side`` is the action
    and a close is ``reduce_only``.
    """

    side: Side
    order_type: OrderType
    qty: Decimal | str
    price: Decimal | str | None = None
    trade_side: TradeSide | None = None
    position_id: str | None = None
    effect: Effect | None = None
    client_id: str | None = None
    reduce_only: bool | None = None
    tp: Tpsl | None = None
    sl: Tpsl | None = None

    def to_wire(self, symbol: str | None = None) -> dict[str, Any]:
        """The JSON object, keys in the order of the docs' example (spec §1.6 case C)."""
        out: dict[str, Any] = {}
        if symbol is not None:
            out["symbol"] = symbol.upper()
        out["side"] = Side(self.side).value
        if self.trade_side is not None:
            out["tradeSide"] = TradeSide(self.trade_side).value
        if self.position_id is not None:
            out["positionId"] = self.position_id
        out["orderType"] = OrderType(self.order_type).value
        out["qty"] = _text(self.qty)
        if self.price is not None:
            out["price"] = _text(self.price)
        if self.effect is not None:
            out["effect"] = Effect(self.effect).value
        if self.reduce_only is not None:
            out["reduceOnly"] = bool(self.reduce_only)
        if self.client_id is not None:
            out["clientId"] = self.client_id
        if self.tp is not None:
            out.update(self.tp.to_wire("tp"))
        if self.sl is not None:
            out.update(self.sl.to_wire("sl"))
        return out


@dataclass(frozen=True)
class OrderRef:
    """``{orderId, clientId}``: what placing, modifying and cancelling answer."""

    order_id: str
    client_id: str | None

    @classmethod
    def from_wire(cls, d: Any) -> OrderRef:
        d = one(d)
        # batch_order's table names the id ``id``; every other reply ``orderId`` (spec §7.13).
        oid = d["orderId"] if "orderId" in d else d["id"]
        return cls(_str(oid), _opt_str(d.get("clientId")))


@dataclass(frozen=True)
class BatchFailure:
    client_id: str | None
    error_code: str
    error_msg: str

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> BatchFailure:
        return cls(_opt_str(d.get("clientId")), _str(d.get("errorCode", "")), _str(d.get("errorMsg", "")))


@dataclass(frozen=True)
class BatchResult:
    successes: tuple[OrderRef, ...]
    failures: tuple[BatchFailure, ...]

    @classmethod
    def from_wire(cls, d: Any) -> BatchResult:
        d = one(d)
        return cls(_rows(d.get("successList"), OrderRef.from_wire), _rows(d.get("failureList"), BatchFailure.from_wire))


@dataclass(frozen=True)
class CancelFailure:
    order_id: str | None
    client_id: str | None
    error_code: str
    error_msg: str

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> CancelFailure:
        return cls(
            _opt_str(d.get("orderId", d.get("id"))),
            _opt_str(d.get("clientId")),
            _str(d.get("errorCode", "")),
            _str(d.get("errorMsg", "")),
        )


@dataclass(frozen=True)
class CancelResult:
    """A success here is not proof the order is cancelled (the docs point to the order push)."""

    successes: tuple[OrderRef, ...]
    failures: tuple[CancelFailure, ...]

    @classmethod
    def from_wire(cls, d: Any) -> CancelResult:
        d = one(d)
        return cls(
            _rows(d.get("successList"), OrderRef.from_wire), _rows(d.get("failureList"), CancelFailure.from_wire)
        )


@dataclass(frozen=True)
class Order:
    """An order. ``price`` is ``None`` for a market order (``"market"`` live in history, TIQ)."""

    order_id: str
    client_id: str | None
    symbol: str
    qty: Decimal
    trade_qty: Decimal
    price: Decimal | None
    side: Side
    order_type: OrderType
    effect: Effect | None
    reduce_only: bool
    position_mode: PositionMode | None
    margin_mode: MarginMode | None
    leverage: int | None
    status: OrderStatus
    fee: Decimal | None
    realized_pnl: Decimal | None
    tp_price: Decimal | None
    tp_stop_type: StopType | None
    tp_order_type: OrderType | None
    tp_order_price: Decimal | None
    sl_price: Decimal | None
    sl_stop_type: StopType | None
    sl_order_type: OrderType | None
    sl_order_price: Decimal | None
    avg_price: Decimal | None
    ctime: datetime | None
    mtime: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.INIT, OrderStatus.NEW, OrderStatus.PART_FILLED)

    @classmethod
    def from_wire(cls, d: Any) -> Order:
        d = one(d)
        price = d.get("price")
        avg = d.get("avgPrice", d.get("averagePrice"))
        return cls(
            order_id=_str(d["orderId"]),
            client_id=_opt_str(d.get("clientId")),
            symbol=_str(d["symbol"]),
            qty=_dec(d["qty"]),
            trade_qty=_dec(d.get("tradeQty", "0")),
            price=None if isinstance(price, str) and price.lower() == "market" else _opt_dec(price),
            side=_enum(Side, d["side"]),
            # The table says orderType, the examples type (spec §3.4).
            order_type=_enum(OrderType, d["orderType"] if "orderType" in d else d["type"]),
            effect=_opt_enum(Effect, d.get("effect")),
            reduce_only=_bool(d.get("reduceOnly", False)),
            position_mode=_opt_enum(PositionMode, d.get("positionMode")),
            margin_mode=_opt_enum(MarginMode, d.get("marginMode")),
            leverage=_opt_int(d.get("leverage")),
            status=_enum(OrderStatus, d["status"]),
            fee=_opt_dec(d.get("fee")),
            realized_pnl=_opt_dec(d.get("realizedPNL")),
            tp_price=_opt_dec(d.get("tpPrice")),
            tp_stop_type=_opt_enum(StopType, d.get("tpStopType")),
            tp_order_type=_opt_enum(OrderType, d.get("tpOrderType")),
            tp_order_price=_opt_dec(d.get("tpOrderPrice")),
            sl_price=_opt_dec(d.get("slPrice")),
            sl_stop_type=_opt_enum(StopType, d.get("slStopType")),
            sl_order_type=_opt_enum(OrderType, d.get("slOrderType")),
            sl_order_price=_opt_dec(d.get("slOrderPrice")),
            avg_price=_opt_dec(avg),
            ctime=_opt_ms(d.get("ctime")),
            mtime=_opt_ms(d.get("mtime")),
        )


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[Order, ...]
    total: int

    @classmethod
    def from_wire(cls, d: Any) -> OrderPage:
        d = one(d)
        return cls(_rows(d.get("orderList"), Order.from_wire), _int(d.get("total", 0)))


@dataclass(frozen=True)
class Trade:
    """A fill. ``side`` is the actual action; ``client_id`` can be empty live (PB)."""

    trade_id: str
    order_id: str
    symbol: str
    qty: Decimal
    price: Decimal
    side: Side
    order_type: OrderType | None
    effect: Effect | None
    client_id: str | None
    reduce_only: bool
    position_mode: PositionMode | None
    margin_mode: MarginMode | None
    leverage: int | None
    fee: Decimal | None
    realized_pnl: Decimal | None
    ctime: datetime | None
    role_type: RoleType | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Trade:
        return cls(
            trade_id=_str(d["tradeId"]),
            order_id=_str(d["orderId"]),
            symbol=_str(d["symbol"]),
            qty=_dec(d["qty"]),
            price=_dec(d["price"]),
            side=_enum(Side, d["side"]),
            order_type=_opt_enum(OrderType, d.get("orderType", d.get("type"))),
            effect=_opt_enum(Effect, d.get("effect")),
            client_id=_opt_str(d.get("clientId")),
            reduce_only=_bool(d.get("reduceOnly", False)),
            position_mode=_opt_enum(PositionMode, d.get("positionMode")),
            margin_mode=_opt_enum(MarginMode, d.get("marginMode")),
            leverage=_opt_int(d.get("leverage")),
            fee=_opt_dec(d.get("fee")),
            realized_pnl=_opt_dec(d.get("realizedPNL")),
            ctime=_opt_ms(d.get("ctime")),
            role_type=_opt_enum(RoleType, d.get("roleType")),
        )


@dataclass(frozen=True)
class TradePage:
    trades: tuple[Trade, ...]
    total: int

    @classmethod
    def from_wire(cls, d: Any) -> TradePage:
        d = one(d)
        return cls(_rows(d.get("tradeList"), Trade.from_wire), _int(d.get("total", 0)))


# -- TP/SL ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TpslOrder:
    """A TP/SL order as ``tpsl/get_pending_orders`` and ``get_history_orders`` list it (the key is ``id``)."""

    id: str
    position_id: str | None
    symbol: str
    base: str | None
    quote: str | None
    tp_price: Decimal | None
    tp_stop_type: StopType | None
    sl_price: Decimal | None
    sl_stop_type: StopType | None
    tp_order_type: OrderType | None
    tp_order_price: Decimal | None
    sl_order_type: OrderType | None
    sl_order_price: Decimal | None
    tp_qty: Decimal | None
    sl_qty: Decimal | None
    status: str | None = None  # history only
    ctime: datetime | None = None
    trigger_time: datetime | None = None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> TpslOrder:
        status = d.get("status")
        return cls(
            id=_str(d["id"] if "id" in d else d["orderId"]),
            position_id=_opt_str(d.get("positionId")),
            symbol=_str(d["symbol"]),
            base=_opt_str(d.get("base")),
            quote=_opt_str(d.get("quote")),
            tp_price=_opt_dec(d.get("tpPrice")),
            tp_stop_type=_opt_enum(StopType, d.get("tpStopType")),
            sl_price=_opt_dec(d.get("slPrice")),
            sl_stop_type=_opt_enum(StopType, d.get("slStopType")),
            tp_order_type=_opt_enum(OrderType, d.get("tpOrderType")),
            tp_order_price=_opt_dec(d.get("tpOrderPrice")),
            sl_order_type=_opt_enum(OrderType, d.get("slOrderType")),
            sl_order_price=_opt_dec(d.get("slOrderPrice")),
            tp_qty=_opt_dec(d.get("tpQty")),
            sl_qty=_opt_dec(d.get("slQty")),
            status=None if status is None else _str(status).rstrip("_"),
            ctime=_opt_ms(d.get("ctime")),
            trigger_time=_opt_ms(d.get("triggerTime")),
        )


@dataclass(frozen=True)
class TpslPage:
    orders: tuple[TpslOrder, ...]
    total: int

    @classmethod
    def from_wire(cls, d: Any) -> TpslPage:
        d = one(d)
        return cls(_rows(d.get("orderList"), TpslOrder.from_wire), _int(d.get("total", 0)))


def order_refs_from_wire(d: Any) -> tuple[OrderRef, ...]:
    """``tpsl/place_order``: an array of ``{orderId, clientId}`` (Java SDK, TIQ) or one object (DOC-C)."""
    if isinstance(d, dict):
        return (OrderRef.from_wire(d),)
    return _rows(d, OrderRef.from_wire)


def order_id_from_wire(d: Any) -> str:
    """``{"orderId": ...}`` (or a one-element list of it)."""
    return _str(one(d)["orderId"])


def position_id_from_wire(d: Any) -> str:
    """``{"positionId": ...}`` (or a one-element list of it)."""
    return _str(one(d)["positionId"])


def nothing(d: Any) -> None:
    """Actions whose ``data`` is ``""`` (docs) or null: there is nothing to read."""
    if d not in ("", None):
        raise UnexpectedResponse(f"expected no data, got {d!r:.60}")


def rows_of(read: Callable[[dict[str, Any]], T]) -> Callable[[Any], tuple[T, ...]]:
    """A reader of a list of objects (empty for ``null``)."""
    return lambda d: _rows(d, read)
