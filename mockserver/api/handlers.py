"""One function per endpoint operation: validated arguments in, the envelope's ``data`` out.

No HTTP here: a handler sees a :class:`Call` (the state, the authenticated
account, typed arguments, the raw values for echoing) and returns plain data.
A handler names its operation with ``@handles("operation")``; :func:`bind`
pairs the registry with the endpoint table and fails at import time unless
every operation has exactly one handler and every handler an operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..engine import HistoryQuery, Order, OrderStatus, OrderType, PlaceRequest, Side
from ..engine.accounts import Account
from ..engine.marketdata import bucket_start
from ..errors import BitunixError, ParameterError, PlaceRefusal
from . import serialize
from .endpoints import MAX_LIST_ITEMS
from .params import REFUSED

if TYPE_CHECKING:
    from ..state import MockState

__all__ = ["HANDLERS", "Call", "Handler", "bind", "handles"]


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


Handler = Callable[[Call], Any]

#: operation -> handler, filled by :func:`handles` as this module is imported.
HANDLERS: dict[str, Handler] = {}


def handles(operation: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``operation`` (a row of the endpoint table)."""

    def register(fn: Handler) -> Handler:
        if operation in HANDLERS:
            raise RuntimeError(f"two handlers for {operation!r}: {HANDLERS[operation].__name__} and {fn.__name__}")
        HANDLERS[operation] = fn
        return fn

    return register


def bind(operations: Iterable[str]) -> dict[str, Handler]:
    """The handler of each operation; raises unless table and registry match one to one."""
    wanted = list(operations)
    missing = [op for op in wanted if op not in HANDLERS]
    orphans = sorted(set(HANDLERS) - set(wanted))
    twice = sorted({op for op in wanted if wanted.count(op) > 1})
    if missing or orphans or twice:
        raise RuntimeError(
            f"endpoint table and handlers disagree: no handler for {missing}, no endpoint for {orphans}, "
            f"operations listed twice {twice}"
        )
    return {op: HANDLERS[op] for op in wanted}


@handles("coin_pair_list")
def coin_pair_list(call: Call) -> Any:
    return [m.listing for m in call.state.exchange.markets]


@handles("rate_list")
def rate_list(call: Call) -> Any:
    return call.state.rates


@handles("coin_network_list")
def coin_network_list(call: Call) -> Any:
    # The seed's "mock" objects (aliases, fees) are the mock's own: never served.
    return [
        {**c, "networks": [{k: v for k, v in n.items() if k != "mock"} for n in c["networks"]]}
        for c in call.state.coins
    ]


@handles("last_price")
def last_price(call: Call) -> Any:
    ex = call.state.exchange
    m = ex.market(call.args["symbol"])
    return serialize.fmt_price(ex.last_price(m.symbol), m.quote_precision)


@handles("depth")
def depth(call: Call) -> Any:
    ex = call.state.exchange
    m = ex.market(call.args["symbol"])
    step: Decimal | None = call.args["precision"]
    if step is None:
        step = m.precisions[0]
    elif step not in m.precisions:
        if call.state.switch("depth_precision") == "strict":
            raise ParameterError(f"precision must be one of {', '.join(serialize.fmt(p) for p in m.precisions)}")
        if step <= 0:
            raise ParameterError("precision must be greater than 0")
    asks, bids = ex.depth(m.symbol, step, limit=50)
    return {
        "asks": [{"price": serialize.fmt(p), "volume": serialize.fmt(v)} for p, v in asks],
        "bids": [{"price": serialize.fmt(p), "volume": serialize.fmt(v)} for p, v in bids],
        "ts": str(call.now_ms),
    }


_KLINE_COUNT = 201  # "about the latest 201 candles", forming one included (live capture)
_KLINE_HISTORY_MAX = 500


def _candles(call: Call, interval: str, end_ms: int, count: int) -> list[dict[str, Any]]:
    symbol = call.state.exchange.market(call.args["symbol"]).symbol
    return [serialize.candle(c, symbol) for c in call.state.exchange.candles(symbol, interval, end_ms, count)]


@handles("kline")
def kline(call: Call) -> Any:
    # The newest candle is the one in progress (seen live).
    return _candles(call, call.args["interval"], call.now_ms + 1, _KLINE_COUNT)


@handles("kline_history")
def kline_history(call: Call) -> Any:
    limit: int = call.args["limit"]
    if limit > _KLINE_HISTORY_MAX:
        return []  # seen live: no error, just nothing
    interval: str = call.args["interval"]
    closed_before = bucket_start(interval, call.now_ms)
    end_ms = call.args["endTime"]
    end = closed_before if end_ms is None else min(end_ms, closed_before)
    return _candles(call, interval, end, limit)


@handles("account")
def account(call: Call) -> Any:
    rows = [
        {"coin": coin, "balance": serialize.number_text(free), "balanceLocked": serialize.number_text(locked)}
        for coin, free, locked in call.state.exchange.balance_texts(call.account_id)
    ]
    return rows or None  # an empty account answers null (seen live)


@handles("user_info")
def user_info(call: Call) -> Any:
    assert call.account is not None
    return {"uid": call.account.uid}


def _place_request(item: dict[str, Any]) -> PlaceRequest:
    # The validator has already limited side and type to the enums' values.
    return PlaceRequest(
        symbol=item["symbol"],
        side=Side(item["side"]),
        type=OrderType(item["type"]),
        volume=item["volume"],
        price=item["price"],
        client_id=item["clientId"],
    )


def _echo(raw: dict[str, Any], key: str, default: str) -> str:
    """What was sent, as text; a JSON number is echoed in plain notation (never "6.4E+4")."""
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


_BATCH_CAP = 20


def _capped(call: Call, name: str, items: list[Any]) -> None:
    if call.state.switch("batch_cap") == "20" and len(items) > _BATCH_CAP:
        raise ParameterError(f"{name}: at most {_BATCH_CAP} elements (switch batch_cap)")


def _place_one(call: Call, item: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Place one order: the placed echo, or the refusal in placeStatus 0 form."""
    try:
        order = call.state.exchange.place(call.account_id, _place_request(item))
    except PlaceRefusal as refusal:
        return serialize.refused(refusal)
    return serialize.placed(order, _echo(raw, "volume", ""), _echo(raw, "price", "0"))


@handles("place_order")
def place_order(call: Call) -> Any:
    # A single placement's request-level errors (2, 10058, 10059) are the envelope's code.
    return _place_one(call, call.args, call.raw)


@handles("place_order_batch")
def place_order_batch(call: Call) -> Any:
    """Each item gets its own result (DOC): a bad item is refused in its slot, the others are placed."""
    items: list[dict[str, Any]] = call.args["orderList"]
    _capped(call, "orderList", items)
    raws = call.raw.get("orderList")
    assert isinstance(raws, list)
    requests = [item[REFUSED] if REFUSED in item else _place_request(item) for item in items]
    out: list[dict[str, Any]] = []
    for result, raw in zip(call.state.exchange.place_batch(call.account_id, requests), raws, strict=True):
        if isinstance(result, PlaceRefusal):
            out.append(serialize.refused(result))
        elif isinstance(result, BitunixError):
            out.append(serialize.refused_item(result))
        else:
            assert isinstance(result, Order)
            out.append(serialize.placed(result, _echo(raw, "volume", ""), _echo(raw, "price", "0")))
    return out


@handles("cancel")
def cancel(call: Call) -> Any:
    items: list[dict[str, Any]] = call.args["orderIdList"]
    _capped(call, "orderIdList", items)
    ex = call.state.exchange
    by_client_id = call.state.switch("cancel_by_client_id")
    for i, item in enumerate(items):
        if item["orderId"] is None and item["clientId"] is None:
            raise ParameterError(f"orderIdList[{i}].orderId: required")
        if item["orderId"] is None and by_client_id == "refuse":
            raise ParameterError(f"orderIdList[{i}].orderId: required (switch cancel_by_client_id=refuse)")
    # Unknown ids: silent success. By client id (seen live): success, nothing cancelled, and the order
    # gets stuck for a while.
    ex.cancel_batch(call.account_id, [(item["orderId"], item["clientId"], item["symbol"]) for item in items])
    return None


def _market_precision(call: Call, symbol: str) -> int:
    return call.state.exchange.market(symbol).quote_precision


def _empty(call: Call, rows: list[Any]) -> list[Any] | None:
    """An empty order list as the switch says: null (the exchange's habit per a live client) or []."""
    if rows or call.state.switch("empty_lists") == "[]":
        return rows
    return None


#: pending/list answers at most this many open orders, the newest (live documents no cap and no paging):
#: 20,000 open orders cost 186 ms a call when all were answered; the mock's bound on any list keeps it ~1/20.
PENDING_LIST_CAP = MAX_LIST_ITEMS


@handles("pending_list")
def pending_list(call: Call) -> Any:
    sym = call.args["symbol"]
    qp = _market_precision(call, sym)
    rows = call.state.exchange.open_orders(call.account_id, sym, limit=PENDING_LIST_CAP)
    return _empty(call, [serialize.order(o, qp) for o in rows])


_PAGE_SIZE_CAP = 100


@handles("history_page")
def history_page(call: Call) -> Any:
    a = call.args
    qp = _market_precision(call, a["symbol"])
    page_size: int = a["pageSize"]
    if page_size > _PAGE_SIZE_CAP:
        cap = call.state.switch("page_size_cap")
        if cap == "refuse":
            raise ParameterError(f"pageSize: must be <= {_PAGE_SIZE_CAP} (switch page_size_cap)")
        if cap == "clamp":
            page_size = _PAGE_SIZE_CAP
    q = HistoryQuery(
        symbol=a["symbol"],
        page=a["page"],
        page_size=page_size,
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
        "data": _empty(call, [serialize.order(o, qp) for o in page]),
    }


@handles("order_detail")
def order_detail(call: Call) -> Any:
    ex = call.state.exchange
    o = ex.order(call.account_id, call.args["orderId"])
    if o is None:
        return None  # unknown ids answer code "0" with data null (seen live)
    return serialize.order(o, ex.market(o.symbol).quote_precision)


@handles("deal_list")
def deal_list(call: Call) -> Any:
    ex = call.state.exchange
    ex.market(call.args["symbol"])
    return [serialize.fill(f) for f in ex.fills(call.account_id, call.args["orderId"], call.args["symbol"])]


# ------------------------------------------------------------------ wallet


@handles("withdraw")
def withdraw(call: Call) -> Any:
    a = call.args
    rec = call.state.wallet.withdraw(call.account_id, a["coin"], a["network"], a["address"], a["amount"], a["memo"])
    return rec.id


@handles("withdraw_cancel")
def withdraw_cancel(call: Call) -> Any:
    call.state.wallet.cancel_withdraw(call.account_id, call.args["withdrawId"])
    return None


@handles("inside_transfer")
def inside_transfer(call: Call) -> Any:
    a = call.args
    rec = call.state.wallet.inside_transfer(
        call.account_id, a["coin"], a["amount"], a["toType"], a["toUid"], a["outBizId"], a["remark"]
    )
    return rec.id


@handles("inside_transfer_cancel")
def inside_transfer_cancel(call: Call) -> Any:
    call.state.wallet.cancel_inside_transfer(call.account_id, call.args["insideTransferId"])
    return None


@handles("funds_transfer")
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


@handles("withdraw_transfer_page")
def withdraw_transfer_page(call: Call) -> Any:
    return [serialize.withdraw_record(r) for r in _wallet_page(call, ("withdraw", "inside_transfer_out"))]


@handles("deposit_page")
def deposit_page(call: Call) -> Any:
    return [serialize.deposit_record(r) for r in _wallet_page(call, ("deposit", "inside_transfer_in"))]


@handles("deposit_address")
def deposit_address(call: Call) -> Any:
    return call.state.wallet.deposit_address(call.account_id, call.args["coin"], call.args["network"])
