"""Typed requests and results. Amounts are ``Decimal``, never float; times are aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

from .errors import PlaceRefused, UnexpectedResponse

__all__ = [
    "Balance",
    "Candle",
    "Coin",
    "DepositAddress",
    "DepositRecord",
    "Depth",
    "DepthLevel",
    "Fill",
    "HistoryPage",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PlaceResult",
    "Rate",
    "Side",
    "TradingPair",
    "UserInfo",
    "WithdrawRecord",
    "decimal_text",
]


class Side(IntEnum):
    SELL = 1
    BUY = 2


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2


class OrderStatus(IntEnum):
    NEW = 1
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 7


def decimal_text(value: Decimal | int | str) -> str:
    """Plain decimal text for the wire: no exponent ("0.00001", never "1E-5")."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return format(d, "f")


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
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise UnexpectedResponse(f"expected an integer, got {value!r:.60}")


def _iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise UnexpectedResponse(f"expected an ISO-8601 time, got {value!r:.60}")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _ms(value: Any) -> datetime:
    return datetime.fromtimestamp(_int(value) / 1000, UTC)


@dataclass(frozen=True)
class TradingPair:
    symbol: str  # upper case, as requests take it
    base: str
    quote: str
    base_precision: int
    quote_precision: int
    min_volume: Decimal
    min_amount: Decimal  # the wire's "minPrice": a minimum order value in quote
    max_amount: Decimal
    is_open: bool
    precisions: tuple[Decimal, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> TradingPair:
        return cls(
            symbol=(d["base"] + d["quote"]).upper(),
            base=d["base"],
            quote=d["quote"],
            base_precision=_int(d["basePrecision"]),
            quote_precision=_int(d["quotePrecision"]),
            min_volume=_dec(d["minVolume"]),
            min_amount=_dec(d["minPrice"]),
            max_amount=_dec(d["maxAmount"]),
            is_open=_int(d["isOpen"]) == 1,
            precisions=tuple(_dec(p) for p in d.get("precisions") or ()),
            raw=d,
        )


@dataclass(frozen=True)
class Rate:
    base: str
    quote: str
    rate: Decimal

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Rate:
        return cls(d["baseSymbol"], d["quoteSymbol"], _dec(d["rate"]))


@dataclass(frozen=True)
class Coin:
    name: str
    full_name: str
    networks: tuple[str, ...]
    deposit_open: bool
    withdraw_open: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Coin:
        return cls(
            name=d["name"],
            full_name=d.get("fullName", ""),
            networks=tuple(n["network"] for n in d.get("networks") or ()),
            deposit_open=_int(d.get("depositOpen", 0)) == 1,
            withdraw_open=_int(d.get("withdrawOpen", 0)) == 1,
            raw=d,
        )


@dataclass(frozen=True)
class DepthLevel:
    price: Decimal
    volume: Decimal


@dataclass(frozen=True)
class Depth:
    asks: tuple[DepthLevel, ...]
    bids: tuple[DepthLevel, ...]
    ts: datetime

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Depth:
        def side(rows: list[dict[str, Any]]) -> tuple[DepthLevel, ...]:
            return tuple(DepthLevel(_dec(r["price"]), _dec(r["volume"])) for r in rows or ())

        return cls(side(d["asks"]), side(d["bids"]), _ms(d["ts"]))


@dataclass(frozen=True)
class Candle:
    ts: datetime  # open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Candle:
        return cls(
            _iso(d["ts"]), _dec(d["open"]), _dec(d["high"]), _dec(d["low"]), _dec(d["close"]), _opt_dec(d.get("volume"))
        )


@dataclass(frozen=True)
class Balance:
    coin: str
    free: Decimal
    locked: Decimal

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Balance:
        return cls(d["coin"], _dec(d["balance"]), _dec(d["balanceLocked"]))


@dataclass(frozen=True)
class UserInfo:
    uid: int | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> UserInfo:
        return cls(None if d.get("uid") is None else _int(d["uid"]))


@dataclass(frozen=True)
class OrderRequest:
    """One order to place. ``volume``: base quantity, except a market buy: the quote amount to spend."""

    symbol: str
    side: Side
    type: OrderType
    volume: Decimal
    price: Decimal | None = None
    client_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"side": int(self.side), "type": int(self.type), "volume": decimal_text(self.volume)}
        if self.price is not None:
            out["price"] = decimal_text(self.price)
        elif self.type is OrderType.MARKET:
            out["price"] = "0"
        out["symbol"] = self.symbol.upper()
        if self.client_id is not None:
            out["clientId"] = self.client_id
        return out


@dataclass(frozen=True)
class PlaceResult:
    """The exchange's answer to one placement: accepted with an id, or refused with a reason."""

    accepted: bool
    order_id: str | None
    symbol: str | None = None
    side: Side | None = None
    type: OrderType | None = None
    volume: Decimal | None = None
    price: Decimal | None = None
    place_code: str | None = None
    place_msg: str | None = None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> PlaceResult:
        if str(d.get("placeStatus")) == "1" and d.get("orderId"):
            return cls(
                accepted=True,
                order_id=str(d["orderId"]),
                symbol=d.get("symbol"),
                side=Side(_int(d["side"])) if "side" in d else None,
                type=OrderType(_int(d["type"])) if "type" in d else None,
                volume=_opt_dec(d.get("volume")),
                price=_opt_dec(d.get("price")),
            )
        return cls(accepted=False, order_id=None, place_code=str(d.get("placeCode")), place_msg=d.get("placeMsg"))

    def raise_for_refusal(self) -> PlaceResult:
        """Return self when accepted; raise :class:`PlaceRefused` otherwise."""
        if not self.accepted:
            raise PlaceRefused(self.place_code or "", self.place_msg or "")
        return self


@dataclass(frozen=True)
class Order:
    order_id: str
    user_id: str
    client_id: str | None
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    price: Decimal
    avg_price: Decimal
    volume: Decimal
    deal_volume: Decimal
    left_volume: Decimal
    amount: Decimal
    deal_amount: Decimal
    left_amount: Decimal
    progress: Decimal
    fee: Decimal
    fee_coin: str
    ctime: datetime
    utime: datetime

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Order:
        return cls(
            order_id=str(d["orderId"]),
            user_id=str(d.get("userId", "")),
            client_id=d.get("clientId"),
            symbol=d["symbol"],
            side=Side(_int(d["side"])),
            type=OrderType(_int(d["type"])),
            status=OrderStatus(_int(d["status"])),
            price=_dec(d["price"]),
            avg_price=_dec(d["avgPrice"]),
            volume=_dec(d["volume"]),
            deal_volume=_dec(d["dealVolume"]),
            left_volume=_dec(d["leftVolume"]),
            amount=_dec(d["amount"]),
            deal_amount=_dec(d["dealAmount"]),
            left_amount=_dec(d["leftAmount"]),
            progress=_dec(d["progress"]),
            fee=_dec(d["fee"]),
            fee_coin=d["feeCoin"],
            ctime=_iso(d["ctime"]),
            utime=_iso(d["utime"]),
        )


@dataclass(frozen=True)
class Fill:
    trade_id: str
    price: Decimal
    volume: Decimal
    fee: Decimal
    fee_coin: str
    maker: bool
    ctime: datetime

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Fill:
        return cls(
            str(d["id"]),
            _dec(d["price"]),
            _dec(d["volume"]),
            _dec(d["fee"]),
            d["feeCoin"],
            str(d["role"]) == "1",
            _iso(d["ctime"]),
        )


@dataclass(frozen=True)
class HistoryPage:
    total: int
    page: int
    page_size: int
    orders: tuple[Order, ...]

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> HistoryPage:
        return cls(
            _int(d["total"]),
            _int(d["pageNum"]),
            _int(d["pageSize"]),
            tuple(Order.from_wire(o) for o in d["data"] or ()),
        )


@dataclass(frozen=True)
class WithdrawRecord:
    id: str
    type: str
    coin: str
    amount: Decimal
    status: str
    ctime: datetime
    network: str
    address: str
    tx_hash: str
    fee: Decimal
    fee_coin: str
    memo: str
    out_biz_id: str | None
    to_type: str | None
    to_uid: int | None
    remark: str | None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> WithdrawRecord:
        return cls(
            id=str(d["id"]),
            type=d["type"],
            coin=d["coin"],
            amount=_dec(d["amount"]),
            status=d["status"],
            ctime=_ms(d["ctime"]),
            network=d.get("network") or "",
            address=d.get("address") or d.get("toAddress") or "",
            tx_hash=d.get("transactionHash") or "",
            fee=_dec(d.get("fee") or "0"),
            fee_coin=d.get("feeCoin") or "",
            memo=d.get("memo") or "",
            out_biz_id=d.get("outBizId"),
            to_type=d.get("toType"),
            to_uid=None if d.get("toUid") is None else _int(d["toUid"]),
            remark=d.get("remark"),
        )


@dataclass(frozen=True)
class DepositRecord:
    id: str
    type: str
    coin: str
    amount: Decimal
    status: str
    ctime: datetime
    network: str
    tx_hash: str
    from_address: str
    to_address: str

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> DepositRecord:
        return cls(
            id=str(d["id"]),
            type=d["type"],
            coin=d["coin"],
            amount=_dec(d["amount"]),
            status=d["status"],
            ctime=_ms(d["ctime"]),
            network=d.get("network") or "",
            tx_hash=d.get("transactionHash") or "",
            from_address=d.get("fromAddress") or "",
            to_address=d.get("toAddress") or "",
        )


@dataclass(frozen=True)
class DepositAddress:
    coin: str
    network: str
    address: str
    memo: str

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> DepositAddress:
        return cls(d["coin"], d["network"], d["address"], d.get("memo") or "")
