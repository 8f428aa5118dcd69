"""One builder per futures operation: typed arguments in, a :class:`~client_ref._core.Call` out.

The sync and async futures clients both run these, so each endpoint's parameters and result type
are written once. ``None`` means "not sent": a GET leaves the parameter out of the query (and so out
of the signed string), a POST leaves the key out of the body. Bodies keep the key order of the
docs' examples; ``client_ref._core.prepare`` writes them as compact JSON and signs those bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from .._core import Call
from ..calls import registrar
from ..models import decimal_text
from .models import (
    Account,
    BatchResult,
    CancelResult,
    Contract,
    Depth,
    Effect,
    FundingRate,
    FundingRateRecord,
    HistoryPositionPage,
    Kline,
    KlineInterval,
    LeverageMarginMode,
    LeverageSetting,
    MarginMode,
    MarginModeSetting,
    Order,
    OrderPage,
    OrderRef,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    PositionMode,
    PositionSide,
    PositionTier,
    PriceType,
    Side,
    StopType,
    Ticker,
    Tpsl,
    TpslOrder,
    TpslPage,
    TradePage,
    TradeSide,
    TradingSetting,
    nothing,
    order_id_from_wire,
    order_refs_from_wire,
    position_id_from_wire,
    position_mode_from_wire,
    rows_of,
)

__all__ = ["METHOD_FOR_OPERATION", "operation"]

T = TypeVar("T")

#: The futures client method that runs each futures operation (both clients name their method after the builder).
METHOD_FOR_OPERATION: dict[str, str] = {}
operation = registrar(METHOD_FOR_OPERATION)


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _opt_text(v: Decimal | int | str | None) -> str | None:
    return None if v is None else decimal_text(v)


def _symbols(symbols: Iterable[str] | str | None) -> str | None:
    if symbols is None:
        return None
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    return ",".join(s.upper() for s in names)


def _list(read: Callable[[dict[str, Any]], T]) -> Callable[[Any], list[T]]:
    rows = rows_of(read)
    return lambda d: list(rows(d))


def _tpsl_fields(
    tp_price: Decimal | str | None,
    tp_stop_type: StopType | None,
    tp_order_type: OrderType | None,
    tp_order_price: Decimal | str | None,
    sl_price: Decimal | str | None,
    sl_stop_type: StopType | None,
    sl_order_type: OrderType | None,
    sl_order_price: Decimal | str | None,
    tp_qty: Decimal | str | None = None,
    sl_qty: Decimal | str | None = None,
) -> dict[str, Any]:
    """The TP/SL keys in the docs' order; ``None`` values are dropped by the request builder."""
    return {
        "tpPrice": _opt_text(tp_price),
        "tpStopType": None if tp_stop_type is None else StopType(tp_stop_type).value,
        "slPrice": _opt_text(sl_price),
        "slStopType": None if sl_stop_type is None else StopType(sl_stop_type).value,
        "tpOrderType": None if tp_order_type is None else OrderType(tp_order_type).value,
        "tpOrderPrice": _opt_text(tp_order_price),
        "slOrderType": None if sl_order_type is None else OrderType(sl_order_type).value,
        "slOrderPrice": _opt_text(sl_order_price),
        "tpQty": _opt_text(tp_qty),
        "slQty": _opt_text(sl_qty),
    }


# -- market (public) -----------------------------------------------------------------------------


@operation("futures.market_tickers")
def tickers(symbols: Iterable[str] | str | None = None) -> Call[list[Ticker]]:
    """Every contract's ticker, or those of ``symbols`` (sent comma-separated)."""
    return Call("futures.market_tickers", {"symbols": _symbols(symbols)}, _list(Ticker.from_wire))


@operation("futures.market_depth")
def depth(symbol: str, limit: int | str | None = None) -> Call[Depth]:
    """The book; ``limit`` one of 1, 5, 15, 50, ``"max"`` (``None``: the whole book)."""
    return Call("futures.market_depth", {"symbol": symbol.upper(), "limit": limit}, Depth.from_wire)


@operation("futures.market_kline")
def klines(
    symbol: str,
    interval: KlineInterval | str,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: int | None = None,
    price_type: PriceType | None = None,
) -> Call[list[Kline]]:
    """Candles. Live, the rows end at ``end_time`` whatever ``start_time`` says (PB; spec §7.5)."""
    params = {
        "symbol": symbol.upper(),
        "interval": KlineInterval(interval).value,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "limit": limit,
        "type": None if price_type is None else PriceType(price_type).value,
    }
    return Call("futures.market_kline", params, _list(Kline.from_wire))


@operation("futures.market_funding_rate")
def funding_rate(symbol: str) -> Call[FundingRate]:
    return Call("futures.market_funding_rate", {"symbol": symbol.upper()}, FundingRate.from_wire)


@operation("futures.market_funding_rate_batch")
def funding_rates() -> Call[list[FundingRate]]:
    return Call("futures.market_funding_rate_batch", {}, _list(FundingRate.from_wire))


@operation("futures.market_get_funding_rate_history")
def funding_rate_history(
    symbol: str, start_time: datetime | None = None, end_time: datetime | None = None, limit: int | None = None
) -> Call[list[FundingRateRecord]]:
    """Settled fundings, newest first. The docs spell the lower bound ``starTime``; so does the request."""
    params = {"symbol": symbol.upper(), "starTime": _ms(start_time), "endTime": _ms(end_time), "limit": limit}
    return Call("futures.market_get_funding_rate_history", params, _list(FundingRateRecord.from_wire))


@operation("futures.market_trading_pairs")
def trading_pairs(symbols: Iterable[str] | str | None = None) -> Call[list[Contract]]:
    return Call("futures.market_trading_pairs", {"symbols": _symbols(symbols)}, _list(Contract.from_wire))


@operation("futures.position_get_position_tiers")
def position_tiers(symbol: str) -> Call[list[PositionTier]]:
    return Call("futures.position_get_position_tiers", {"symbol": symbol.upper()}, _list(PositionTier.from_wire))


# -- account -------------------------------------------------------------------------------------


@operation("futures.account")
def account(margin_coin: str = "USDT") -> Call[Account]:
    return Call("futures.account", {"marginCoin": margin_coin}, Account.from_wire)


@operation("futures.account_get_leverage_margin_mode")
def leverage_margin_mode(symbol: str, margin_coin: str = "USDT") -> Call[LeverageMarginMode]:
    params = {"symbol": symbol.upper(), "marginCoin": margin_coin}
    return Call("futures.account_get_leverage_margin_mode", params, LeverageMarginMode.from_wire)


@operation("futures.account_change_leverage")
def change_leverage(symbol: str, leverage: int, margin_coin: str = "USDT") -> Call[LeverageSetting]:
    """``leverage`` goes out as a JSON integer, as the docs' example sends it."""
    if isinstance(leverage, bool) or not isinstance(leverage, int):
        raise TypeError(f"leverage is an integer, not {leverage!r}")
    params = {"marginCoin": margin_coin, "symbol": symbol.upper(), "leverage": leverage}
    return Call("futures.account_change_leverage", params, LeverageSetting.from_wire)


@operation("futures.account_change_margin_mode")
def change_margin_mode(symbol: str, margin_mode: MarginMode, margin_coin: str = "USDT") -> Call[MarginModeSetting]:
    params = {"marginMode": MarginMode(margin_mode).value, "symbol": symbol.upper(), "marginCoin": margin_coin}
    return Call("futures.account_change_margin_mode", params, MarginModeSetting.from_wire)


@operation("futures.account_change_position_mode")
def change_position_mode(position_mode: PositionMode) -> Call[PositionMode]:
    """Applies to every symbol; refused (20009) while a position or an order exists."""
    params = {"positionMode": PositionMode(position_mode).value}
    return Call("futures.account_change_position_mode", params, position_mode_from_wire)


@operation("futures.account_adjust_position_margin")
def adjust_position_margin(
    symbol: str,
    amount: Decimal | str,
    side: PositionSide | None = None,
    position_id: str | None = None,
    margin_coin: str = "USDT",
) -> Call[None]:
    """Add (positive ``amount``) or remove (negative) isolated margin; name the position by side or id."""
    if side is None and position_id is None:
        raise ValueError("adjust_position_margin needs side or position_id")
    params = {
        "symbol": symbol.upper(),
        "marginCoin": margin_coin,
        "amount": decimal_text(amount),
        "side": None if side is None else PositionSide(side).value,
        "positionId": position_id,
    }
    return Call("futures.account_adjust_position_margin", params, nothing)


@operation("futures.account_position_mode")
def position_mode() -> Call[PositionMode]:
    return Call("futures.account_position_mode", {}, position_mode_from_wire)


@operation("futures.account_trading_settings")
def trading_settings(symbols: Iterable[str] | str | None = None) -> Call[list[TradingSetting]]:
    return Call("futures.account_trading_settings", {"symbols": _symbols(symbols)}, _list(TradingSetting.from_wire))


# -- positions -----------------------------------------------------------------------------------


@operation("futures.position_get_pending_positions")
def pending_positions(symbol: str | None = None, position_id: str | None = None) -> Call[list[Position]]:
    params = {"symbol": None if symbol is None else symbol.upper(), "positionId": position_id}
    return Call("futures.position_get_pending_positions", params, _list(Position.from_wire))


@operation("futures.position_get_history_positions")
def history_positions(
    symbol: str | None = None,
    position_id: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    skip: int | None = None,
    limit: int | None = None,
) -> Call[HistoryPositionPage]:
    params = {
        "symbol": None if symbol is None else symbol.upper(),
        "positionId": position_id,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "skip": skip,
        "limit": limit,
    }
    return Call("futures.position_get_history_positions", params, HistoryPositionPage.from_wire)


# -- trade ---------------------------------------------------------------------------------------


@operation("futures.trade_place_order")
def place_order(
    symbol: str,
    side: Side,
    order_type: OrderType,
    qty: Decimal | str,
    price: Decimal | str | None = None,
    trade_side: TradeSide | None = None,
    position_id: str | None = None,
    effect: Effect | None = None,
    reduce_only: bool | None = None,
    client_id: str | None = None,
    tp: Tpsl | None = None,
    sl: Tpsl | None = None,
) -> Call[OrderRef]:
    """Place one order (see :class:`OrderRequest` for ``side``/``trade_side`` in hedge mode).

    A refusal is an exception (20003, 30017, 30042, ...), not a result with a status.
    """
    req = OrderRequest(
        Side(side),
        OrderType(order_type),
        qty,
        price,
        trade_side=trade_side,
        position_id=position_id,
        effect=effect,
        client_id=client_id,
        reduce_only=reduce_only,
        tp=tp,
        sl=sl,
    )
    return Call("futures.trade_place_order", req.to_wire(symbol), OrderRef.from_wire)


@operation("futures.trade_batch_order")
def place_orders(symbol: str, orders: Sequence[OrderRequest]) -> Call[BatchResult]:
    """Up to 5 orders of one symbol (20016 beyond); each lands in ``successes`` or ``failures``."""
    body = {"symbol": symbol.upper(), "orderList": [o.to_wire() for o in orders]}
    return Call("futures.trade_batch_order", body, BatchResult.from_wire)


@operation("futures.trade_modify_order")
def modify_order(
    qty: Decimal | str,
    price: Decimal | str,
    order_id: str | None = None,
    client_id: str | None = None,
    tp: Tpsl | None = None,
    sl: Tpsl | None = None,
) -> Call[OrderRef]:
    """Change an open order's qty and price (``order_id`` wins over ``client_id``)."""
    if order_id is None and client_id is None:
        raise ValueError("modify_order needs order_id or client_id")
    body: dict[str, Any] = {
        "orderId": order_id,
        "clientId": client_id,
        "qty": decimal_text(qty),
        "price": decimal_text(price),
    }
    if tp is not None:
        body.update(tp.to_wire("tp"))
    if sl is not None:
        body.update(sl.to_wire("sl"))
    return Call("futures.trade_modify_order", body, OrderRef.from_wire)


@operation("futures.trade_cancel_orders")
def cancel_orders(symbol: str, order_ids: Iterable[str] = (), client_ids: Iterable[str] = ()) -> Call[CancelResult]:
    """Cancel by id and/or client id; each lands in ``successes`` or ``failures``."""
    items = [{"orderId": oid} for oid in order_ids] + [{"clientId": cid} for cid in client_ids]
    if not items:
        raise ValueError("cancel_orders needs at least one order_id or client_id")
    return Call("futures.trade_cancel_orders", {"symbol": symbol.upper(), "orderList": items}, CancelResult.from_wire)


@operation("futures.trade_cancel_all_orders")
def cancel_all_orders(symbol: str | None = None) -> Call[CancelResult]:
    body = {"symbol": None if symbol is None else symbol.upper()}
    return Call("futures.trade_cancel_all_orders", body, CancelResult.from_wire)


@operation("futures.trade_close_all_position")
def close_all_positions(symbol: str | None = None) -> Call[None]:
    """Close every position (of ``symbol``) at market."""
    body = {"symbol": None if symbol is None else symbol.upper()}
    return Call("futures.trade_close_all_position", body, nothing)


@operation("futures.trade_flash_close_position")
def flash_close_position(position_id: str) -> Call[str]:
    """Close one position at market; returns its ``positionId``."""
    return Call("futures.trade_flash_close_position", {"positionId": position_id}, position_id_from_wire)


@operation("futures.trade_get_order_detail")
def order_detail(order_id: str | None = None, client_id: str | None = None) -> Call[Order]:
    if order_id is None and client_id is None:
        raise ValueError("order_detail needs order_id or client_id")
    params = {"orderId": order_id, "clientId": client_id}
    return Call("futures.trade_get_order_detail", params, Order.from_wire)


def _order_query(
    symbol: str | None,
    order_id: str | None,
    client_id: str | None,
    status: OrderStatus | None,
    start_time: datetime | None,
    end_time: datetime | None,
    skip: int | None,
    limit: int | None,
) -> dict[str, Any]:
    return {
        "symbol": None if symbol is None else symbol.upper(),
        "orderId": order_id,
        "clientId": client_id,
        "status": None if status is None else OrderStatus(status).value,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "skip": skip,
        "limit": limit,
    }


@operation("futures.trade_get_pending_orders")
def pending_orders(
    symbol: str | None = None,
    order_id: str | None = None,
    client_id: str | None = None,
    status: OrderStatus | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    skip: int | None = None,
    limit: int | None = None,
) -> Call[OrderPage]:
    """Open orders, newest first; page with ``skip``/``limit`` (≤ 100) up to ``total``."""
    params = _order_query(symbol, order_id, client_id, status, start_time, end_time, skip, limit)
    return Call("futures.trade_get_pending_orders", params, OrderPage.from_wire)


@operation("futures.trade_get_history_orders")
def history_orders(
    symbol: str | None = None,
    order_id: str | None = None,
    client_id: str | None = None,
    status: OrderStatus | None = None,
    order_type: OrderType | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    skip: int | None = None,
    limit: int | None = None,
    query_canceled: bool | None = None,
) -> Call[OrderPage]:
    """Finished orders, newest first; ``query_canceled=True``: cancelled ones only (newer docs)."""
    params = _order_query(symbol, order_id, client_id, status, start_time, end_time, skip, limit)
    params["type"] = None if order_type is None else OrderType(order_type).value
    params["queryCanceled"] = query_canceled
    return Call("futures.trade_get_history_orders", params, OrderPage.from_wire)


@operation("futures.trade_get_history_trades")
def history_trades(
    symbol: str | None = None,
    order_id: str | None = None,
    position_id: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    skip: int | None = None,
    limit: int | None = None,
) -> Call[TradePage]:
    """Fills, newest first. Live, ``position_id`` does not filter (TIQ)."""
    params = {
        "symbol": None if symbol is None else symbol.upper(),
        "orderId": order_id,
        "positionId": position_id,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "skip": skip,
        "limit": limit,
    }
    return Call("futures.trade_get_history_trades", params, TradePage.from_wire)


# -- TP/SL ---------------------------------------------------------------------------------------


@operation("futures.tpsl_place_order")
def place_tpsl_order(
    symbol: str,
    position_id: str,
    tp_price: Decimal | str | None = None,
    tp_stop_type: StopType | None = None,
    sl_price: Decimal | str | None = None,
    sl_stop_type: StopType | None = None,
    tp_order_type: OrderType | None = None,
    tp_order_price: Decimal | str | None = None,
    sl_order_type: OrderType | None = None,
    sl_order_price: Decimal | str | None = None,
    tp_qty: Decimal | str | None = None,
    sl_qty: Decimal | str | None = None,
) -> Call[list[OrderRef]]:
    """An order TP/SL on part of a position (``tp_qty``/``sl_qty``); the reply is read as a list."""
    body: dict[str, Any] = {"symbol": symbol.upper(), "positionId": position_id}
    body |= _tpsl_fields(
        tp_price,
        tp_stop_type,
        tp_order_type,
        tp_order_price,
        sl_price,
        sl_stop_type,
        sl_order_type,
        sl_order_price,
        tp_qty,
        sl_qty,
    )
    return Call("futures.tpsl_place_order", body, lambda d: list(order_refs_from_wire(d)))


@operation("futures.tpsl_modify_order")
def modify_tpsl_order(
    order_id: str,
    tp_price: Decimal | str | None = None,
    tp_stop_type: StopType | None = None,
    sl_price: Decimal | str | None = None,
    sl_stop_type: StopType | None = None,
    tp_order_type: OrderType | None = None,
    tp_order_price: Decimal | str | None = None,
    sl_order_type: OrderType | None = None,
    sl_order_price: Decimal | str | None = None,
    tp_qty: Decimal | str | None = None,
    sl_qty: Decimal | str | None = None,
) -> Call[str]:
    body: dict[str, Any] = {"orderId": order_id}
    body |= _tpsl_fields(
        tp_price,
        tp_stop_type,
        tp_order_type,
        tp_order_price,
        sl_price,
        sl_stop_type,
        sl_order_type,
        sl_order_price,
        tp_qty,
        sl_qty,
    )
    return Call("futures.tpsl_modify_order", body, order_id_from_wire)


@operation("futures.tpsl_cancel_order")
def cancel_tpsl_order(symbol: str, order_id: str) -> Call[str]:
    """``order_id`` is the ``id`` of a row of ``pending_tpsl_orders``."""
    return Call("futures.tpsl_cancel_order", {"symbol": symbol.upper(), "orderId": order_id}, order_id_from_wire)


def _position_tpsl(
    symbol: str,
    position_id: str,
    tp_price: Decimal | str | None,
    tp_stop_type: StopType | None,
    sl_price: Decimal | str | None,
    sl_stop_type: StopType | None,
) -> dict[str, Any]:
    if tp_price is None and sl_price is None:
        raise ValueError("a position TP/SL needs tp_price or sl_price")
    return {
        "symbol": symbol.upper(),
        "positionId": position_id,
        "tpPrice": _opt_text(tp_price),
        "tpStopType": None if tp_stop_type is None else StopType(tp_stop_type).value,
        "slPrice": _opt_text(sl_price),
        "slStopType": None if sl_stop_type is None else StopType(sl_stop_type).value,
    }


@operation("futures.tpsl_position_place_order")
def place_position_tpsl(
    symbol: str,
    position_id: str,
    tp_price: Decimal | str | None = None,
    tp_stop_type: StopType | None = None,
    sl_price: Decimal | str | None = None,
    sl_stop_type: StopType | None = None,
) -> Call[str]:
    """The position's TP/SL (at most one per position; on trigger it closes the whole position at market)."""
    body = _position_tpsl(symbol, position_id, tp_price, tp_stop_type, sl_price, sl_stop_type)
    return Call("futures.tpsl_position_place_order", body, order_id_from_wire)


@operation("futures.tpsl_position_modify_order")
def modify_position_tpsl(
    symbol: str,
    position_id: str,
    tp_price: Decimal | str | None = None,
    tp_stop_type: StopType | None = None,
    sl_price: Decimal | str | None = None,
    sl_stop_type: StopType | None = None,
) -> Call[str]:
    """Replaces the pair: a price left out may delete that leg live (JRK)."""
    body = _position_tpsl(symbol, position_id, tp_price, tp_stop_type, sl_price, sl_stop_type)
    return Call("futures.tpsl_position_modify_order", body, order_id_from_wire)


@operation("futures.tpsl_get_pending_orders")
def pending_tpsl_orders(
    symbol: str | None = None,
    position_id: str | None = None,
    side: int | None = None,
    position_mode: int | None = None,
    skip: int | None = None,
    limit: int | None = None,
) -> Call[list[TpslOrder]]:
    """``side`` and ``position_mode`` are integers here (their encoding is undocumented)."""
    params = {
        "symbol": None if symbol is None else symbol.upper(),
        "positionId": position_id,
        "side": side,
        "positionMode": position_mode,
        "skip": skip,
        "limit": limit,
    }
    return Call("futures.tpsl_get_pending_orders", params, _list(TpslOrder.from_wire))


@operation("futures.tpsl_get_history_orders")
def history_tpsl_orders(
    symbol: str | None = None,
    side: int | None = None,
    position_mode: int | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    skip: int | None = None,
    limit: int | None = None,
) -> Call[TpslPage]:
    params = {
        "symbol": None if symbol is None else symbol.upper(),
        "side": side,
        "positionMode": position_mode,
        "startTime": _ms(start_time),
        "endTime": _ms(end_time),
        "skip": skip,
        "limit": limit,
    }
    return Call("futures.tpsl_get_history_orders", params, TpslPage.from_wire)
