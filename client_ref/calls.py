"""One builder per operation: Pythonic arguments in, a :class:`~client_ref._core.Call` out.

The sync and async clients both run these, so each endpoint's parameters and
result type are written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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

__all__ = ["METHOD_FOR_OPERATION"]


def _list(model: Any) -> Any:
    return lambda data: [model.from_wire(d) for d in data or ()]


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _text(v: Decimal | int | str) -> str:
    return decimal_text(v)


def trading_pairs() -> Call[list[TradingPair]]:
    return Call("coin_pair_list", {}, _list(TradingPair))


def rates() -> Call[list[Rate]]:
    return Call("rate_list", {}, _list(Rate))


def coins() -> Call[list[Coin]]:
    return Call("coin_network_list", {}, _list(Coin))


def last_price(symbol: str) -> Call[Decimal]:
    return Call("last_price", {"symbol": symbol.upper()}, lambda d: Decimal(str(d)))


def depth(symbol: str, precision: Decimal | str | None = None) -> Call[Depth]:
    params = {"symbol": symbol.upper(), "precision": None if precision is None else _text(precision)}
    return Call("depth", params, Depth.from_wire)


def klines(symbol: str, interval: str) -> Call[list[Candle]]:
    return Call("kline", {"symbol": symbol.upper(), "interval": interval}, _list(Candle))


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


def balances() -> Call[list[Balance]]:
    return Call("account", {}, _list(Balance))


def user_info() -> Call[UserInfo]:
    return Call("user_info", {}, UserInfo.from_wire)


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


def place_orders(orders: Sequence[OrderRequest]) -> Call[list[PlaceResult]]:
    return Call("place_order_batch", {"orderList": [o.to_wire() for o in orders]}, _list(PlaceResult))


def cancel_orders(orders: Iterable[tuple[str, str]]) -> Call[None]:
    items = [{"orderId": oid, "symbol": sym.upper()} for oid, sym in orders]
    return Call("cancel", {"orderIdList": items}, lambda _: None)


def pending_orders(symbol: str) -> Call[list[Order]]:
    return Call("pending_list", {"symbol": symbol.upper()}, _list(Order))


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


def order_detail(order_id: str) -> Call[Order | None]:
    return Call("order_detail", {"orderId": order_id}, lambda d: None if d is None else Order.from_wire(d))


def order_deals(order_id: str, symbol: str) -> Call[list[Fill]]:
    return Call("deal_list", {"orderId": order_id, "symbol": symbol.upper()}, _list(Fill))


def withdraw(coin: str, network: str, address: str, amount: Decimal | str, memo: str | None = None) -> Call[str]:
    params = {"coin": coin, "network": network, "address": address, "amount": _text(amount), "memo": memo}
    return Call("withdraw", params, str)


def cancel_withdraw(withdraw_id: str) -> Call[None]:
    return Call("withdraw_cancel", {"withdrawId": withdraw_id}, lambda _: None)


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


def cancel_inside_transfer(transfer_id: str) -> Call[None]:
    return Call("inside_transfer_cancel", {"insideTransferId": transfer_id}, lambda _: None)


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


def funds_transfer(direction: str, coin: str, amount: Decimal | str) -> Call[str]:
    """``direction``: ``spot_futures`` or ``futures_spot``."""
    return Call("funds_transfer", {"type": direction, "coin": coin, "amount": _text(amount)}, str)


def deposits(
    coin: str | None = None,
    type: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: int | None = None,
) -> Call[list[DepositRecord]]:
    params = {"coin": coin, "type": type, "startTime": _ms(start_time), "endTime": _ms(end_time), "limit": limit}
    return Call("deposit_page", params, _list(DepositRecord))


def deposit_address(coin: str, network: str) -> Call[list[DepositAddress]]:
    return Call("deposit_address", {"coin": coin, "network": network}, _list(DepositAddress))


#: The client method that runs each operation (the conformance kit and the tests use this map).
METHOD_FOR_OPERATION: dict[str, str] = {
    "coin_pair_list": "trading_pairs",
    "rate_list": "rates",
    "coin_network_list": "coins",
    "last_price": "last_price",
    "depth": "depth",
    "kline": "klines",
    "kline_history": "kline_history",
    "account": "balances",
    "user_info": "user_info",
    "place_order": "place_order",
    "place_order_batch": "place_orders",
    "cancel": "cancel_orders",
    "pending_list": "pending_orders",
    "history_page": "order_history",
    "order_detail": "order_detail",
    "deal_list": "order_deals",
    "withdraw": "withdraw",
    "withdraw_cancel": "cancel_withdraw",
    "inside_transfer": "inside_transfer",
    "inside_transfer_cancel": "cancel_inside_transfer",
    "withdraw_transfer_page": "withdrawals",
    "funds_transfer": "funds_transfer",
    "deposit_page": "deposits",
    "deposit_address": "deposit_address",
}
