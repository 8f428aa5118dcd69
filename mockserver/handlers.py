"""One function per endpoint operation: validated arguments in, the envelope's ``data`` out.

No HTTP here: a handler sees a :class:`Call` (the state, the authenticated
account, typed arguments, the raw values for echoing) and returns plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import serialize
from .engine import HistoryQuery, OrderStatus, OrderType, PlaceRequest, Side, candles
from .engine.accounts import Account
from .engine.marketdata import bucket_start
from .errors import ParameterError, PlaceRefusal
from .state import MockState

__all__ = ["HANDLERS", "Call"]


@dataclass(slots=True)
class Call:
    state: MockState
    account: Account | None
    args: dict[str, Any]
    raw: dict[str, Any]
    now_ms: int

    @property
    def account_id(self) -> str:
        assert self.account is not None
        return self.account.account_id


def coin_pair_list(call: Call) -> Any:
    return [m.listing for m in call.state.exchange.markets]


def rate_list(call: Call) -> Any:
    return call.state.rates


def coin_network_list(call: Call) -> Any:
    return call.state.coins


def last_price(call: Call) -> Any:
    ex = call.state.exchange
    m = ex.market(call.args["symbol"])
    return serialize.fmt_price(ex.last_price(m.symbol), m.quote_precision)


def depth(call: Call) -> Any:
    ex = call.state.exchange
    m = ex.market(call.args["symbol"])
    step: Decimal | None = call.args["precision"]
    if step is None:
        step = m.precisions[0]
    elif step not in m.precisions:
        raise ParameterError(f"precision must be one of {', '.join(serialize.fmt(p) for p in m.precisions)}")
    asks, bids = ex.depth(m.symbol, step, limit=50)
    return {
        "asks": [{"price": serialize.fmt(p), "volume": serialize.fmt(v)} for p, v in asks],
        "bids": [{"price": serialize.fmt(p), "volume": serialize.fmt(v)} for p, v in bids],
        "ts": str(call.now_ms),
    }


_KLINE_COUNT = 200
_KLINE_HISTORY_MAX = 500


def _candles(call: Call, interval: str, end_ms: int, count: int) -> list[dict[str, Any]]:
    st = call.state
    m = st.exchange.market(call.args["symbol"])
    with st.exchange.lock:
        out = candles(
            interval,
            end_ms,
            count,
            st.paths[m.symbol],
            st.exchange.tapes[m.symbol],
            m.quote_precision,
            m.base_precision,
        )
        return [serialize.candle(c) for c in out]


def kline(call: Call) -> Any:
    # The newest candle is the one in progress (seen live).
    return _candles(call, call.args["interval"], call.now_ms + 1, _KLINE_COUNT)


def kline_history(call: Call) -> Any:
    limit: int = call.args["limit"]
    if limit > _KLINE_HISTORY_MAX:
        return []  # seen live: no error, just nothing
    interval: str = call.args["interval"]
    closed_before = bucket_start(interval, call.now_ms)
    end_ms = call.args["endTime"]
    end = closed_before if end_ms is None else min(end_ms, closed_before)
    return _candles(call, interval, end, limit)


def account(call: Call) -> Any:
    rows = [
        {"coin": coin, "balance": serialize.json_number(b.free), "balanceLocked": serialize.json_number(b.locked)}
        for coin, b in call.state.exchange.balances(call.account_id).items()
    ]
    return rows or None  # an empty account answers null (seen live)


def user_info(call: Call) -> Any:
    assert call.account is not None
    return {"uid": call.account.uid}


def _place_request(item: dict[str, Any]) -> PlaceRequest:
    return PlaceRequest(
        symbol=item["symbol"],
        side=Side(item["side"]),
        type=OrderType(item["type"]),
        volume=item["volume"],
        price=item["price"],
        client_id=item["clientId"],
    )


def _echo(raw: dict[str, Any], key: str, default: str) -> str:
    value = raw.get(key)
    return default if value is None else str(value)


def _place_many(call: Call, items: list[dict[str, Any]], raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ex = call.state.exchange
    requests = [_place_request(i) for i in items]
    with ex.lock:
        # Every item must pass the request-level rules before any is placed, so a
        # refused batch changes nothing (a single order is checked by place itself).
        if len(requests) > 1:
            for req in requests:
                ex.precheck(req)
        out: list[dict[str, Any]] = []
        for req, raw in zip(requests, raws, strict=True):
            try:
                order = ex.place(call.account_id, req)
            except PlaceRefusal as refusal:
                out.append(serialize.refused(refusal))
                continue
            out.append(serialize.placed(order, _echo(raw, "volume", ""), _echo(raw, "price", "0")))
        return out


def place_order(call: Call) -> Any:
    return _place_many(call, [call.args], [call.raw])[0]


def place_order_batch(call: Call) -> Any:
    raws = call.raw.get("orderList")
    assert isinstance(raws, list)
    return _place_many(call, call.args["orderList"], raws)


def cancel(call: Call) -> Any:
    ex = call.state.exchange
    with ex.lock:
        for item in call.args["orderIdList"]:
            ex.cancel(call.account_id, item["orderId"], item["symbol"])  # unknown ids: silent success
    return None


def _market_precision(call: Call, symbol: str) -> int:
    return call.state.exchange.market(symbol).quote_precision


def pending_list(call: Call) -> Any:
    sym = call.args["symbol"]
    qp = _market_precision(call, sym)
    return [serialize.order(o, qp) for o in call.state.exchange.open_orders(call.account_id, sym)]


def history_page(call: Call) -> Any:
    a = call.args
    qp = _market_precision(call, a["symbol"])
    q = HistoryQuery(
        symbol=a["symbol"],
        page=a["page"],
        page_size=a["pageSize"],
        start_ms=a["startTime"],
        end_ms=a["endTime"],
        status=OrderStatus(int(a["status"])) if a["status"] else None,
        side=Side(int(a["side"])) if a["side"] else None,
        type=OrderType(int(a["type"])) if a["type"] else None,
    )
    total, page = call.state.exchange.history(call.account_id, q)
    return {
        "total": total,
        "pageNum": q.page,
        "pageSize": q.page_size,
        "data": [serialize.order(o, qp) for o in page],
    }


def order_detail(call: Call) -> Any:
    ex = call.state.exchange
    o = ex.order(call.account_id, call.args["orderId"])
    if o is None:
        return None  # unknown ids answer code "0" with data null (seen live)
    return serialize.order(o, ex.market(o.symbol).quote_precision)


def deal_list(call: Call) -> Any:
    ex = call.state.exchange
    ex.market(call.args["symbol"])
    return [serialize.fill(f) for f in ex.fills(call.account_id, call.args["orderId"], call.args["symbol"])]


# ------------------------------------------------------------------ wallet


def withdraw(call: Call) -> Any:
    a = call.args
    rec = call.state.wallet.withdraw(call.account_id, a["coin"], a["network"], a["address"], a["amount"], a["memo"])
    return rec.id


def withdraw_cancel(call: Call) -> Any:
    call.state.wallet.cancel_withdraw(call.account_id, call.args["withdrawId"])
    return None


def inside_transfer(call: Call) -> Any:
    a = call.args
    rec = call.state.wallet.inside_transfer(
        call.account_id, a["coin"], a["amount"], a["toType"], a["toUid"], a["outBizId"], a["remark"]
    )
    return rec.id


def inside_transfer_cancel(call: Call) -> Any:
    call.state.wallet.cancel_inside_transfer(call.account_id, call.args["insideTransferId"])
    return None


def funds_transfer(call: Call) -> Any:
    a = call.args
    return call.state.wallet.funds_transfer(call.account_id, a["type"], a["coin"], a["amount"]).id


def _wallet_page(call: Call, types: tuple[str, ...]) -> list[Any]:
    a = call.args
    kind = a.get("type")
    return call.state.wallet.records(
        call.account_id,
        (kind,) if kind else types,
        record_id=a.get("id"),
        out_biz_id=a.get("outBizId"),
        coin=a.get("coin"),
        tx_hash=a.get("transactionHash"),
        start_ms=a.get("startTime"),
        end_ms=a.get("endTime"),
        remark=a.get("remark"),
        limit=a["limit"],
    )


def withdraw_transfer_page(call: Call) -> Any:
    return [serialize.withdraw_record(r) for r in _wallet_page(call, ("withdraw", "inside_transfer_out"))]


def deposit_page(call: Call) -> Any:
    return [serialize.deposit_record(r) for r in _wallet_page(call, ("deposit", "inside_transfer_in"))]


def deposit_address(call: Call) -> Any:
    return call.state.wallet.deposit_address(call.account_id, call.args["coin"], call.args["network"])


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "withdraw": withdraw,
    "withdraw_cancel": withdraw_cancel,
    "inside_transfer": inside_transfer,
    "inside_transfer_cancel": inside_transfer_cancel,
    "withdraw_transfer_page": withdraw_transfer_page,
    "funds_transfer": funds_transfer,
    "deposit_page": deposit_page,
    "deposit_address": deposit_address,
    "coin_pair_list": coin_pair_list,
    "rate_list": rate_list,
    "coin_network_list": coin_network_list,
    "last_price": last_price,
    "depth": depth,
    "kline": kline,
    "kline_history": kline_history,
    "account": account,
    "user_info": user_info,
    "place_order": place_order,
    "place_order_batch": place_order_batch,
    "cancel": cancel,
    "pending_list": pending_list,
    "history_page": history_page,
    "order_detail": order_detail,
    "deal_list": deal_list,
}
