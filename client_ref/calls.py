"""One builder per operation: Pythonic arguments in, a :class:`~client_ref._core.Call` out.

The sync and async clients both run these, so each endpoint's parameters and
result type are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from ._core import Call
from .models import (
    Balance,
    Candle,
    Coin,
    DepositAddress,
    DepositRecord,
    Depth,
    Fill,
    HistoryPage,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PlaceResult,
    Rate,
    Side,
    TradingPair,
    UserInfo,
    WithdrawRecord,
    decimal_text,
)

__all__ = ["METHOD_FOR_OPERATION", "operation", "registrar"]

_Builder = TypeVar("_Builder", bound=Callable[..., Call[Any]])

#: The client method that runs each operation (the conformance kit and the tests use this map): each builder's
#: ``@operation`` fills it, and both clients name their method after the builder.
METHOD_FOR_OPERATION: dict[str, str] = {}


def registrar(table: dict[str, str]) -> Callable[[str], Callable[[_Builder], _Builder]]:
    """An ``@operation(name)`` decorator that records each builder in ``table`` (one per product)."""

    def operation(name: str) -> Callable[[_Builder], _Builder]:
        """Register the decorated builder as the one for operation ``name``."""

        def register(builder: _Builder) -> _Builder:
            if name in table:
                raise ValueError(f"two builders for {name!r}: {table[name]} and {builder.__name__}")
            table[name] = builder.__name__
            return builder

        return register

    return operation


operation = registrar(METHOD_FOR_OPERATION)


def _list(model: Any) -> Any:
    return lambda data: [model.from_wire(d) for d in data or ()]


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _text(v: Decimal | int | str) -> str:
    return decimal_text(v)


@operation("coin_pair_list")
def trading_pairs() -> Call[list[TradingPair]]:
    return Call("coin_pair_list", {}, _list(TradingPair))


@operation("rate_list")
def rates() -> Call[list[Rate]]:
    return Call("rate_list", {}, _list(Rate))


@operation("coin_network_list")
def coins() -> Call[list[Coin]]:
    return Call("coin_network_list", {}, _list(Coin))


@operation("last_price")
def last_price(symbol: str) -> Call[Decimal]:
    return Call("last_price", {"symbol": symbol.upper()}, lambda d: Decimal(str(d)))


@operation("depth")
def depth(symbol: str, precision: Decimal | str | None = None) -> Call[Depth]:
    params = {"symbol": symbol.upper(), "precision": None if precision is None else _text(precision)}
    return Call("depth", params, Depth.from_wire)


@operation("kline")
def klines(symbol: str, interval: str) -> Call[list[Candle]]:
    return Call("kline", {"symbol": symbol.upper(), "interval": interval}, _list(Candle))


@operation("kline_history")
def kline_history(
    symbol: str, interval: str | None = None, end_time: datetime | None = None, limit: int | None = None
) -> Call[list[Candle]]:
    params = {
        "symbol": symbol.upper(),
        "interval": interval,
        "endTime": None if end_time is None else int(end_time.timestamp()),
        "limit": limit,
    }
    return Call("kline_history", params, _list(Candle))


@operation("account")
def balances() -> Call[list[Balance]]:
    return Call("account", {}, _list(Balance))


@operation("user_info")
def user_info() -> Call[UserInfo]:
    return Call("user_info", {}, UserInfo.from_wire)


@operation("place_order")
def place_order(
    symbol: str,
    side: Side,
    type: OrderType,
    volume: Decimal | str,
    price: Decimal | str | None = None,
    client_id: str | None = None,
) -> Call[PlaceResult]:
    req = OrderRequest(
        symbol, Side(side), OrderType(type), Decimal(volume), None if price is None else Decimal(price), client_id
    )
    return Call("place_order", req.to_wire(), PlaceResult.from_wire)


@operation("place_order_batch")
def place_orders(orders: Sequence[OrderRequest]) -> Call[list[PlaceResult]]:
    return Call("place_order_batch", {"orderList": [o.to_wire() for o in orders]}, _list(PlaceResult))


@operation("cancel")
def cancel_orders(orders: Iterable[tuple[str, str]]) -> Call[None]:
    items = [{"orderId": oid, "symbol": sym.upper()} for oid, sym in orders]
    return Call("cancel", {"orderIdList": items}, lambda _: None)


@operation("pending_list")
def pending_orders(symbol: str) -> Call[list[Order]]:
    return Call("pending_list", {"symbol": symbol.upper()}, _list(Order))


@operation("history_page")
def order_history(
    symbol: str,
    page: int = 1,
    page_size: int = 10,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    status: OrderStatus | None = None,
    side: Side | None = None,
    type: OrderType | None = None,
) -> Call[HistoryPage]:
    params = {
        "symbol": symbol.upper(),
        "page": page,
        "pageSize": page_size,
        "startTime": _iso(start_time),
        "endTime": _iso(end_time),
        "status": None if status is None else str(int(status)),
        "side": None if side is None else str(int(side)),
        "type": None if type is None else str(int(type)),
    }
    return Call("history_page", params, HistoryPage.from_wire)


@operation("order_detail")
def order_detail(order_id: str) -> Call[Order | None]:
    return Call("order_detail", {"orderId": order_id}, lambda d: None if d is None else Order.from_wire(d))


@operation("deal_list")
def order_deals(order_id: str, symbol: str) -> Call[list[Fill]]:
    return Call("deal_list", {"orderId": order_id, "symbol": symbol.upper()}, _list(Fill))


@operation("withdraw")
def withdraw(coin: str, network: str, address: str, amount: Decimal | str, memo: str | None = None) -> Call[str]:
    params = {"coin": coin, "network": network, "address": address, "amount": _text(amount), "memo": memo}
    return Call("withdraw", params, str)


@operation("withdraw_cancel")
def cancel_withdraw(withdraw_id: str) -> Call[None]:
    return Call("withdraw_cancel", {"withdrawId": withdraw_id}, lambda _: None)


@operation("inside_transfer")
def inside_transfer(
    coin: str,
    amount: Decimal | str,
    to_uid: int,
    out_biz_id: str | None = None,
    remark: str | None = None,
) -> Call[str]:
    params = {
        "outBizId": out_biz_id,
        "coin": coin,
        "amount": _text(amount),
        "toType": "uid",
        "toUid": to_uid,
        "remark": remark,
    }
    return Call("inside_transfer", params, str)


@operation("inside_transfer_cancel")
def cancel_inside_transfer(transfer_id: str) -> Call[None]:
    return Call("inside_transfer_cancel", {"insideTransferId": transfer_id}, lambda _: None)


@operation("withdraw_transfer_page")
def withdrawals(
    coin: str | None = None,
    type: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: int | None = None,
    record_id: str | None = None,
    out_biz_id: str | None = None,
) -> Call[list[WithdrawRecord]]:
    params = {
        "id": record_id,
        "outBizId": out_biz_id,
        "coin": coin,
        "type": type,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "limit": limit,
    }
    return Call("withdraw_transfer_page", params, _list(WithdrawRecord))


@operation("funds_transfer")
def funds_transfer(direction: str, coin: str, amount: Decimal | str) -> Call[str]:
    """``direction``: ``spot_futures`` or ``futures_spot``."""
    return Call("funds_transfer", {"type": direction, "coin": coin, "amount": _text(amount)}, str)


@operation("deposit_page")
def deposits(
    coin: str | None = None,
    type: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: int | None = None,
) -> Call[list[DepositRecord]]:
    params = {"coin": coin, "type": type, "startTime": _ms(start_time), "endTime": _ms(end_time), "limit": limit}
    return Call("deposit_page", params, _list(DepositRecord))


@operation("deposit_address")
def deposit_address(coin: str, network: str) -> Call[list[DepositAddress]]:
    return Call("deposit_address", {"coin": coin, "network": network}, _list(DepositAddress))
