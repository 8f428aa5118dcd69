"""One function per futures endpoint operation: validated arguments in, the envelope's ``data`` out.

Thin by design: read the arguments the table validated, call one method of the engine's futures
facade (``state.exchange.futures``), write its answer with :mod:`.futures_serialize`. The facade
raises :class:`~mockserver.futures_errors.FuturesError`; the futures product writes those.
Registered in the one handler registry (:func:`.handlers.handles`); operation names start
``futures.``, so they never collide with spot's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.futures.views import FuturesPlaceRequest, OrderQuery, PositionQuery, TpslRequest, TradeQuery
from ..errors import ParameterError
from ..futures_errors import FNetworkError, FParameterError, FuturesError
from . import futures_serialize as fs
from .futures_serialize import Style
from .handlers import Call, handles
from .params import REFUSED

if TYPE_CHECKING:
    from ..engine.futures.engine import Futures

__all__: list[str] = []


def _fut(call: Call) -> Futures:
    return call.state.exchange.futures


def _symbols(text: str | None) -> list[str] | None:
    """A comma list of contracts (None: all), upper-cased (spec §1.1: matched case-insensitively)."""
    if text is None or not text.strip():
        return None
    return [part.strip().upper() for part in text.split(",") if part.strip()]


# ------------------------------------------------------------------------- market


@handles("futures.market_tickers")
def market_tickers(call: Call) -> Any:
    fut = _fut(call)
    return [fs.ticker(t, fut.contract(t.symbol)) for t in fut.tickers(_symbols(call.args["symbols"]))]


@handles("futures.market_depth")
def market_depth(call: Call) -> Any:
    symbol = call.args["symbol"]
    if symbol is None:
        # Live answers a depth call without symbol with code 1 (NEM capture), not a parameter error.
        raise FNetworkError("symbol is missing")
    limit: str | None = call.args["limit"]
    fut = _fut(call)
    bids, asks = fut.depth(symbol, None if limit in (None, "max") else int(limit))
    return fs.depth(bids, asks, fut.contract(symbol), Style.of(call.state))


@handles("futures.market_kline")
def market_kline(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    # startTime is read but does not anchor the window: live answers the rows before endTime (PB).
    rows = fut.klines(a["symbol"], a["interval"], a["endTime"], a["limit"], a["type"])
    c = fut.contract(a["symbol"])
    return [fs.kline(k, c) for k in rows]


@handles("futures.market_funding_rate")
def market_funding_rate(call: Call) -> Any:
    fut = _fut(call)
    symbol = call.args["symbol"]
    info = fut.funding_info(symbol)
    return Style.of(call.state).one(fs.funding(info, fut.contract(symbol)))


@handles("futures.market_funding_rate_batch")
def market_funding_rate_batch(call: Call) -> Any:
    fut = _fut(call)
    return [fs.funding(f, fut.contract(f.symbol)) for f in fut.funding_infos()]


@handles("futures.market_get_funding_rate_history")
def market_get_funding_rate_history(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    c = fut.contract(a["symbol"])
    return [fs.funding_history(r, c) for r in fut.funding_history(a["symbol"], a["starTime"], a["endTime"], a["limit"])]


@handles("futures.market_trading_pairs")
def market_trading_pairs(call: Call) -> Any:
    fut = _fut(call)
    symbols = _symbols(call.args["symbols"])
    contracts = fut.contracts() if symbols is None else [fut.contract(s) for s in symbols]
    style = Style.of(call.state)
    return [fs.contract(c, style) for c in contracts]


@handles("futures.position_get_position_tiers")
def position_get_position_tiers(call: Call) -> Any:
    return [fs.tier(t) for t in _fut(call).tiers(call.args["symbol"])]


# ------------------------------------------------------------------------ account


@handles("futures.account")
def account(call: Call) -> Any:
    summary = _fut(call).account_summary(call.account_id, call.args["marginCoin"])
    return Style.of(call.state).one(fs.account(summary))


@handles("futures.account_get_leverage_margin_mode")
def account_get_leverage_margin_mode(call: Call) -> Any:
    return fs.leverage_margin_mode(_fut(call).leverage_margin_mode(call.account_id, call.args["symbol"]))


@handles("futures.account_change_leverage")
def account_change_leverage(call: Call) -> Any:
    a = call.args
    m = _fut(call).change_leverage(call.account_id, a["symbol"], a["leverage"])
    return Style.of(call.state).one({"marginCoin": m.margin_coin, "leverage": m.leverage, "symbol": m.symbol})


@handles("futures.account_change_margin_mode")
def account_change_margin_mode(call: Call) -> Any:
    a = call.args
    m = _fut(call).change_margin_mode(call.account_id, a["symbol"], a["marginMode"])
    return Style.of(call.state).one({"marginMode": m.margin_mode, "symbol": m.symbol, "marginCoin": m.margin_coin})


@handles("futures.account_change_position_mode")
def account_change_position_mode(call: Call) -> Any:
    mode = _fut(call).change_position_mode(call.account_id, call.args["positionMode"])
    return Style.of(call.state).one({"positionMode": mode})


@handles("futures.account_adjust_position_margin")
def account_adjust_position_margin(call: Call) -> Any:
    a = call.args
    _fut(call).adjust_position_margin(call.account_id, a["symbol"], a["amount"], a["side"], a["positionId"])
    return ""


@handles("futures.account_position_mode")
def account_position_mode(call: Call) -> Any:
    return {"positionMode": _fut(call).position_mode(call.account_id)}


@handles("futures.account_trading_settings")
def account_trading_settings(call: Call) -> Any:
    symbols = _symbols(call.args["symbols"])
    if symbols is not None and len(symbols) > 50:
        raise FParameterError(f"symbols: at most 50, got {len(symbols)}")
    return [fs.trading_setting(t) for t in _fut(call).trading_settings(call.account_id, symbols)]


# ---------------------------------------------------------------------- positions


@handles("futures.position_get_pending_positions")
def position_get_pending_positions(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    style = Style.of(call.state)
    rows = fut.pending_positions(call.account_id, a["symbol"], a["positionId"])
    return [fs.position(p, fut.contract(p.symbol), style) for p in rows]


@handles("futures.position_get_history_positions")
def position_get_history_positions(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    style = Style.of(call.state)
    query = PositionQuery(a["symbol"], a["positionId"], a["startTime"], a["endTime"], a["skip"], a["limit"])
    page = fut.history_positions(call.account_id, query)
    rows = [fs.closed_position(p, fut.contract(p.symbol), style) for p in page.items]
    return {"positionList": rows, "total": style.ms(page.total)}


# -------------------------------------------------------------------------- trade


def _place_request(symbol: str, item: dict[str, Any]) -> FuturesPlaceRequest:
    return FuturesPlaceRequest(
        symbol=symbol,
        side=item["side"],
        qty=item["qty"],
        order_type=item["orderType"],
        price=item["price"],
        trade_side=item["tradeSide"],
        position_id=item["positionId"],
        effect=item["effect"],
        client_id=item["clientId"],
        reduce_only=item["reduceOnly"],
        tp_price=item["tpPrice"],
        tp_stop_type=item["tpStopType"],
        tp_order_type=item["tpOrderType"],
        tp_order_price=item["tpOrderPrice"],
        sl_price=item["slPrice"],
        sl_stop_type=item["slStopType"],
        sl_order_type=item["slOrderType"],
        sl_order_price=item["slOrderPrice"],
    )


def _ids(order_id: str, client_id: str) -> dict[str, Any]:
    # An order placed without clientId echoes "" (as fills show an empty clientId, spec §3.4).
    return {"orderId": order_id, "clientId": client_id}


@handles("futures.trade_place_order")
def trade_place_order(call: Call) -> Any:
    order = _fut(call).place(call.account_id, _place_request(call.args["symbol"], call.args))
    return _ids(order.order_id, order.client_id)


def _item_refusal(refusal: ParameterError) -> FuturesError:
    # A bad list element is that element's own failure, in the futures words (10002).
    return FParameterError(refusal.detail)


@handles("futures.trade_batch_order")
def trade_batch_order(call: Call) -> Any:
    symbol = call.args["symbol"]
    requests: list[FuturesPlaceRequest | FuturesError] = [
        _item_refusal(item[REFUSED]) if REFUSED in item else _place_request(symbol, item)
        for item in call.args["orderList"]
    ]
    results = _fut(call).place_batch(call.account_id, symbol, requests)
    success: list[dict[str, Any]] = []
    failure: list[dict[str, Any]] = []
    for sent, result in zip(call.args["orderList"], results, strict=True):
        if isinstance(result, FuturesError):
            client_id = "" if REFUSED in sent else sent["clientId"] or ""
            failure.append({"clientId": client_id, "errorMsg": result.msg, "errorCode": result.code})
        else:
            success.append(_ids(result.order_id, result.client_id))
    return {"successList": success, "failureList": failure}


@handles("futures.trade_modify_order")
def trade_modify_order(call: Call) -> Any:
    a = call.args
    order = _fut(call).modify_order(
        call.account_id,
        order_id=a["orderId"],
        client_id=a["clientId"],
        qty=a["qty"],
        price=a["price"],
        tp_price=a["tpPrice"],
        tp_stop_type=a["tpStopType"],
        tp_order_type=a["tpOrderType"],
        tp_order_price=a["tpOrderPrice"],
        sl_price=a["slPrice"],
        sl_stop_type=a["slStopType"],
        sl_order_type=a["slOrderType"],
        sl_order_price=a["slOrderPrice"],
    )
    return _ids(order.order_id, order.client_id)


@handles("futures.trade_cancel_orders")
def trade_cancel_orders(call: Call) -> Any:
    targets = [(item["orderId"], item["clientId"]) for item in call.args["orderList"]]
    done, failed = _fut(call).cancel_orders(call.account_id, call.args["symbol"], targets)
    return fs.cancel_result(done, failed)


@handles("futures.trade_cancel_all_orders")
def trade_cancel_all_orders(call: Call) -> Any:
    done, failed = _fut(call).cancel_all_orders(call.account_id, call.args["symbol"])
    return fs.cancel_result(done, failed)


@handles("futures.trade_close_all_position")
def trade_close_all_position(call: Call) -> Any:
    _fut(call).close_all_positions(call.account_id, call.args["symbol"])
    return ""


@handles("futures.trade_flash_close_position")
def trade_flash_close_position(call: Call) -> Any:
    return {"positionId": _fut(call).flash_close(call.account_id, call.args["positionId"])}


@handles("futures.trade_get_order_detail")
def trade_get_order_detail(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    o = fut.order_detail(call.account_id, a["orderId"], a["clientId"])
    style = Style.of(call.state)
    return style.one(fs.order(o, fut.contract(o.symbol), style))


def _order_query(a: dict[str, Any], **extra: Any) -> OrderQuery:
    return OrderQuery(
        symbol=a["symbol"],
        order_id=a["orderId"],
        client_id=a["clientId"],
        status=a["status"],
        start_ms=a["startTime"],
        end_ms=a["endTime"],
        skip=a["skip"],
        limit=a["limit"],
        **extra,
    )


def _order_page(call: Call, query: OrderQuery, history: bool) -> Any:
    fut = _fut(call)
    page = (fut.history_orders if history else fut.pending_orders)(call.account_id, query)
    style = Style.of(call.state)
    rows = [fs.order(o, fut.contract(o.symbol), style) for o in page.items]
    return {"orderList": rows, "total": style.ms(page.total)}


@handles("futures.trade_get_pending_orders")
def trade_get_pending_orders(call: Call) -> Any:
    return _order_page(call, _order_query(call.args), history=False)


@handles("futures.trade_get_history_orders")
def trade_get_history_orders(call: Call) -> Any:
    a = call.args
    canceled = None if a["queryCanceled"] is None else a["queryCanceled"] == "true"
    return _order_page(call, _order_query(a, order_type=a["type"], query_canceled=canceled), history=True)


@handles("futures.trade_get_history_trades")
def trade_get_history_trades(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    style = Style.of(call.state)
    query = TradeQuery(a["symbol"], a["orderId"], a["positionId"], a["startTime"], a["endTime"], a["skip"], a["limit"])
    page = fut.history_trades(call.account_id, query)
    rows = [fs.trade(t, fut.contract(t.symbol), style) for t in page.items]
    return {"tradeList": rows, "total": style.ms(page.total)}


# --------------------------------------------------------------------------- tpsl


def _tpsl_request(symbol: str, position_id: str, a: dict[str, Any]) -> TpslRequest:
    return TpslRequest(
        symbol=symbol,
        position_id=position_id,
        tp_price=a["tpPrice"],
        tp_stop_type=a["tpStopType"],
        tp_order_type=a.get("tpOrderType"),
        tp_order_price=a.get("tpOrderPrice"),
        tp_qty=a.get("tpQty"),
        sl_price=a["slPrice"],
        sl_stop_type=a["slStopType"],
        sl_order_type=a.get("slOrderType"),
        sl_order_price=a.get("slOrderPrice"),
        sl_qty=a.get("slQty"),
    )


@handles("futures.tpsl_place_order")
def tpsl_place_order(call: Call) -> Any:
    a = call.args
    t = _fut(call).tpsl_place(call.account_id, _tpsl_request(a["symbol"], a["positionId"], a))
    if Style.of(call.state).doc:
        return {"orderId": t.id}
    # Live: an array of {orderId, clientId} (OFF Java SDK and TIQ decode one; spec §7.2).
    return [{"orderId": t.id, "clientId": ""}]


@handles("futures.tpsl_modify_order")
def tpsl_modify_order(call: Call) -> Any:
    t = _fut(call).tpsl_modify(call.account_id, call.args["orderId"], _tpsl_request("", "", call.args))
    return {"orderId": t.id}


@handles("futures.tpsl_cancel_order")
def tpsl_cancel_order(call: Call) -> Any:
    return {"orderId": _fut(call).tpsl_cancel(call.account_id, call.args["symbol"], call.args["orderId"])}


@handles("futures.tpsl_position_place_order")
def tpsl_position_place_order(call: Call) -> Any:
    a = call.args
    t = _fut(call).position_tpsl_place(call.account_id, _tpsl_request(a["symbol"], a["positionId"], a))
    return {"orderId": t.id}


@handles("futures.tpsl_position_modify_order")
def tpsl_position_modify_order(call: Call) -> Any:
    a = call.args
    t = _fut(call).position_tpsl_modify(call.account_id, _tpsl_request(a["symbol"], a["positionId"], a))
    return {"orderId": t.id}


@handles("futures.tpsl_get_pending_orders")
def tpsl_get_pending_orders(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    page = fut.tpsl_pending(call.account_id, a["symbol"], a["positionId"], a["skip"], a["limit"])
    return [fs.tpsl_order(t, fut.contract(t.symbol)) for t in page]


@handles("futures.tpsl_get_history_orders")
def tpsl_get_history_orders(call: Call) -> Any:
    a = call.args
    fut = _fut(call)
    style = Style.of(call.state)
    page = fut.tpsl_history(call.account_id, a["symbol"], a["startTime"], a["endTime"], a["skip"], a["limit"])
    rows = [fs.tpsl_history(t, fut.contract(t.symbol), style) for t in page.items]
    return {"orderList": rows, "total": style.ms(page.total)}
