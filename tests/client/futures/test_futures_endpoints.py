"""Every futures endpoint through the futures client: the exact request it sends, and what it reads back.

Per endpoint (spec §3): the method, path, query string and body bytes on the wire, the signature
(recomputed here with the test-side signer of ``tests/helpers.py``, independent of ``client_ref``),
and that the live reply shape and the doc-literal one (spec §7: object vs one-element list, string
vs integer totals and times, ``NEW_`` padding, ``BUY``/``SELL`` vs ``LONG``/``SHORT`` position sides,
``MARK`` vs ``MARK_PRICE``, numbers vs strings) both read as the same typed value. Run with the
sync and the async client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any
from urllib.parse import parse_qsl

import pytest

from client_ref.futures import (
    FUTURES_OPERATIONS,
    Account,
    AsyncFuturesClient,
    DepthLevel,
    FuturesClient,
    HistoryPosition,
    LeverageMarginMode,
    LeverageSetting,
    MarginMode,
    Order,
    OrderRef,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    PositionMode,
    PositionSide,
    PositionTier,
    PriceType,
    RoleType,
    Side,
    StopType,
    TradeSide,
    TradingSetting,
)
from client_ref.futures.calls import METHOD_FOR_OPERATION
from client_ref.futures.models import Effect, KlineInterval, Tpsl

from ...helpers import sign_parts
from .wire import API_KEY, COLOURS, NONCE, NOW_MS, SECRET, call, envelope, replying

T0 = datetime(2024, 8, 22, tzinfo=UTC)  # 1724284800000 ms
T1 = datetime(2024, 8, 22, 1, tzinfo=UTC)  # 1724288400000 ms
MS0, MS1 = "1724284800000", "1724288400000"


def _ms(text: str) -> datetime:
    return datetime.fromtimestamp(int(text) / 1000, UTC)


@dataclass(frozen=True)
class Case:
    operation: str
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    query: bytes  # exactly as on the wire
    body: bytes  # exactly as on the wire
    live: Any  # ``data`` as the live exchange sends it
    doc: Any  # ``data`` as the docs print it
    read: Callable[[Any], Any]  # what of the result to compare
    expected: Any
    kw: dict[str, Any] = field(default_factory=dict)


ORDER_LIVE = {
    "orderId": "1998877665544332211",
    "clientId": "mock-1",
    "symbol": "BTCUSDT",
    "qty": "0.01",
    "tradeQty": "0",
    "price": "60000",
    "side": "BUY",
    "orderType": "LIMIT",
    "effect": "GTC",
    "reduceOnly": False,
    "positionMode": "HEDGE",
    "marginMode": "ISOLATION",
    "leverage": 20,
    "status": "NEW_",
    "fee": "0",
    "realizedPNL": "0",
    "tpPrice": "70000",
    "tpStopType": "MARK_PRICE",
    "tpOrderType": "MARKET",
    "ctime": "1724285700000",
    "mtime": "1724285700000",
}
# The doc-literal row: ``type`` instead of ``orderType``, integer times, number price, ``MARK``, no padding.
ORDER_DOC = {k: v for k, v in ORDER_LIVE.items() if k != "orderType"} | {
    "type": "LIMIT",
    "source": "api",
    "price": 60000,
    "status": "NEW",
    "tpStopType": "MARK",
    "ctime": 1724285700000,
    "mtime": 1724285700000,
}
ORDER = Order(
    order_id="1998877665544332211",
    client_id="mock-1",
    symbol="BTCUSDT",
    qty=D("0.01"),
    trade_qty=D("0"),
    price=D("60000"),
    side=Side.BUY,
    order_type=OrderType.LIMIT,
    effect=Effect.GTC,
    reduce_only=False,
    position_mode=PositionMode.HEDGE,
    margin_mode=MarginMode.ISOLATION,
    leverage=20,
    status=OrderStatus.NEW,
    fee=D("0"),
    realized_pnl=D("0"),
    tp_price=D("70000"),
    tp_stop_type=StopType.MARK_PRICE,
    tp_order_type=OrderType.MARKET,
    tp_order_price=None,
    sl_price=None,
    sl_stop_type=None,
    sl_order_type=None,
    sl_order_price=None,
    avg_price=None,
    ctime=_ms("1724285700000"),
    mtime=_ms("1724285700000"),
)
POSITION_LIVE = {
    "positionId": "1986543210987654321",
    "symbol": "BTCUSDT",
    "marginCoin": None,
    "qty": "0.5",
    "entryValue": "30000",
    "side": "BUY",
    "marginMode": "ISOLATION",
    "positionMode": "HEDGE",
    "leverage": 20,
    "fee": "18",
    "funding": "-0.2",
    "realizedPNL": "0",
    "margin": "1500",
    "unrealizedPNL": "1.5",
    "liqPrice": "57300.5",
    "marginRate": "0.01",
    "avgOpenPrice": "60000",
    "ctime": "1724285700000",
    "mtime": "1724285700000",
}
POSITION_DOC = POSITION_LIVE | {"side": "LONG", "ctime": 1724285700000, "mtime": 1724285700000}
POSITION = Position(
    position_id="1986543210987654321",
    symbol="BTCUSDT",
    margin_coin=None,
    qty=D("0.5"),
    entry_value=D("30000"),
    side=PositionSide.LONG,
    margin_mode=MarginMode.ISOLATION,
    position_mode=PositionMode.HEDGE,
    leverage=20,
    fee=D("18"),
    funding=D("-0.2"),
    realized_pnl=D("0"),
    margin=D("1500"),
    unrealized_pnl=D("1.5"),
    liq_price=D("57300.5"),
    margin_rate=D("0.01"),
    avg_open_price=D("60000"),
    ctime=_ms("1724285700000"),
    mtime=_ms("1724285700000"),
)
CLOSED_LIVE = {
    "positionId": "1986543210987654320",
    "symbol": "BTCUSDT",
    "maxQty": "0.5",
    "entryPrice": "60000",
    "closePrice": "61000",
    "liqQty": "0",
    "side": "SELL",
    "marginMode": "CROSS",
    "positionMode": "ONE_WAY",
    "leverage": "20",
    "fee": "36",
    "funding": "0",
    "realizedPNL": "-500",
    "liqPrice": "0",
    "ctime": MS0,
    "mtime": MS1,
}
CLOSED_DOC = CLOSED_LIVE | {"side": "SHORT", "leverage": 20, "ctime": int(MS0), "mtime": int(MS1)}
CLOSED = HistoryPosition(
    position_id="1986543210987654320",
    symbol="BTCUSDT",
    max_qty=D("0.5"),
    entry_price=D("60000"),
    close_price=D("61000"),
    liq_qty=D("0"),
    side=PositionSide.SHORT,
    margin_mode=MarginMode.CROSS,
    position_mode=PositionMode.ONE_WAY,
    leverage=20,
    fee=D("36"),
    funding=D("0"),
    realized_pnl=D("-500"),
    liq_price=D("0"),
    ctime=T0,
    mtime=T1,
)
TRADE_LIVE = {
    "tradeId": "1998877665544339999",
    "orderId": "1998877665544332211",
    "symbol": "BTCUSDT",
    "qty": "0.01",
    "price": "60000",
    "side": "BUY",
    "orderType": "LIMIT",
    "effect": "GTC",
    "clientId": "",
    "reduceOnly": False,
    "positionMode": "HEDGE",
    "marginMode": "ISOLATION",
    "leverage": 20,
    "fee": "0.12",
    "realizedPNL": "0",
    "ctime": "1724285701000",
    "roleType": "MAKER",
}
TRADE_DOC = TRADE_LIVE | {"ctime": 1724285701000, "price": 60000, "qty": 0.01}
TPSL_LIVE = {
    "id": "1998877665544332299",
    "positionId": "1986543210987654321",
    "symbol": "BTCUSDT",
    "base": "BTC",
    "quote": "USDT",
    "tpPrice": "70000",
    "tpStopType": "LAST_PRICE",
    "slPrice": None,
    "slStopType": None,
    "tpOrderType": "LIMIT",
    "tpOrderPrice": "69900",
    "slOrderType": None,
    "slOrderPrice": None,
    "tpQty": "0.01",
    "slQty": None,
}
TPSL_DOC = TPSL_LIVE | {"tpStopType": "LAST", "slPrice": "", "slQty": ""}
TPSL_HISTORY_LIVE = TPSL_LIVE | {"status": "FILLED", "ctime": MS0, "triggerTime": MS1}
TPSL_HISTORY_DOC = TPSL_DOC | {"status": "FILLED", "ctime": int(MS0), "triggerTime": int(MS1)}
CONTRACT_DOC = {
    "symbol": "BTCUSDT",
    "base": "BTC",
    "quote": "USDT",
    "minTradeVolume": "0.0001",
    "minBuyPriceOffset": "-0.95",
    "maxSellPriceOffset": "100",
    "maxLimitOrderVolume": "100000",
    "maxMarketOrderVolume": "50000",
    "basePrecision": 4,
    "quotePrecision": 1,
    "minLeverage": 1,
    "maxLeverage": 125,
    "defaultLeverage": 20,
    "defaultMarginMode": 1,
    "priceProtectScope": "0.05",
    "symbolStatus": "OPEN",
    "isApiSupported": True,
    "maxFundingRate": "0.3",
    "minFundingRate": "-0.3",
}
CONTRACT_LIVE = CONTRACT_DOC | {"defaultMarginMode": "ISOLATION", "launchTime": None}
FUNDING_LIVE = {
    "symbol": "BTCUSDT",
    "markPrice": "86688.3",
    "lastPrice": "86688.2",
    "indexPrice": "86720.6",
    "fundingRate": "0.003757",
    "fundingInterval": 8,
    "nextFundingTime": "1790150400000",
    "maxFundingRate": "0.3",
    "minFundingRate": "-0.3",
}
FUNDING_DOC = FUNDING_LIVE | {"nextFundingTime": 1790150400000, "markPrice": 86688.3}
ACCOUNT_LIVE = {
    "marginCoin": "USDT",
    "available": "1000",
    "frozen": "0",
    "margin": "10",
    "transfer": "1000",
    "positionMode": "HEDGE",
    "crossUnrealizedPNL": "2",
    "isolationUnrealizedPNL": "0",
    "bonus": "0",
}
TICKER_LIVE = {
    "symbol": "BTCUSDT",
    "markPrice": "64012.3",
    "lastPrice": "64011.9",
    "open": "63150.0",
    "last": "64011.9",
    "quoteVol": "28510.447",
    "baseVol": "1823374525.01",
    "high": "64420.0",
    "low": "62880.5",
}
SUCCESS_LIVE = {"successList": [{"orderId": "1234567890", "clientId": ""}], "failureList": []}
REF = {"orderId": "1998877665544332211", "clientId": "mock-1"}


# One endpoint per entry, laid out as request / replies / reading, so the table reads row by row.
# fmt: off
CASES: list[Case] = [
    # -- market (public)
    Case(
        "futures.market_tickers", "tickers", (["btcusdt", "ETHUSDT"],), {},
        b"symbols=BTCUSDT%2CETHUSDT", b"",
        [TICKER_LIVE], [TICKER_LIVE | {"markPrice": 64012.3, "open": 63150.0}],
        lambda r: [(t.symbol, t.mark_price, t.open, t.quote_vol, t.base_vol) for t in r],
        [("BTCUSDT", D("64012.3"), D("63150.0"), D("28510.447"), D("1823374525.01"))],
    ),
    Case(
        "futures.market_depth", "depth", ("BTCUSDT",), {"limit": 5},
        b"limit=5&symbol=BTCUSDT", b"",
        {"asks": [["64012.0", "0.512"], ["64012.5", "1.004"]], "bids": [["64011.9", "2.274"]]},
        {"asks": [[64012.0, 0.512], [64012.5, 1.004]], "bids": [[64011.9, 2.274]]},
        lambda r: (r.asks, r.bids),
        ((DepthLevel(D("64012.0"), D("0.512")), DepthLevel(D("64012.5"), D("1.004"))), (DepthLevel(D("64011.9"), D("2.274")),)),
    ),
    Case(
        "futures.market_kline", "klines", ("BTCUSDT", KlineInterval.H1), {"end_time": T1, "limit": 2, "price_type": PriceType.MARK_PRICE},
        b"endTime=1724288400000&interval=1h&limit=2&symbol=BTCUSDT&type=MARK_PRICE", b"",
        [{"open": "64000", "high": "64210.5", "low": "63950.2", "close": "64123.4", "quoteVol": "12.3456", "baseVol": "790512.33", "time": 1724284800000, "type": "MARK_PRICE"}],
        [{"open": 64000, "high": 64210.5, "low": 63950.2, "close": 64123.4, "quoteVol": "12.3456", "baseVol": "790512.33", "time": MS0, "type": "MARK_PRICE"}],
        lambda r: [(k.time, k.open, k.high, k.close, k.quote_vol, k.base_vol, k.type) for k in r],
        [(T0, D("64000"), D("64210.5"), D("64123.4"), D("12.3456"), D("790512.33"), PriceType.MARK_PRICE)],
    ),
    Case(
        "futures.market_funding_rate", "funding_rate", ("BTCUSDT",), {},
        b"symbol=BTCUSDT", b"",
        FUNDING_LIVE, [FUNDING_DOC],
        lambda r: (r.symbol, r.mark_price, r.funding_rate, r.funding_interval, r.next_funding_time, r.max_funding_rate),
        ("BTCUSDT", D("86688.3"), D("0.003757"), 8, _ms("1790150400000"), D("0.3")),
    ),
    Case(
        "futures.market_funding_rate_batch", "funding_rates", (), {},
        b"", b"",
        [FUNDING_LIVE | {"indexPrice": None}], [FUNDING_DOC],
        lambda r: [(f.symbol, f.funding_rate, f.next_funding_time) for f in r],
        [("BTCUSDT", D("0.003757"), _ms("1790150400000"))],
    ),
    Case(
        "futures.market_get_funding_rate_history", "funding_rate_history", ("BTCUSDT",), {"start_time": T0, "end_time": T1, "limit": 3},
        b"endTime=1724288400000&limit=3&starTime=1724284800000&symbol=BTCUSDT", b"",
        [{"fundingRate": "0.0001", "fundingTime": MS0, "markPrice": "64000"}],
        [{"fundingRate": 0.0001, "fundingTime": int(MS0), "markPrice": 64000}],
        lambda r: [(f.funding_rate, f.funding_time, f.mark_price) for f in r],
        [(D("0.0001"), T0, D("64000"))],
    ),
    Case(
        "futures.market_trading_pairs", "trading_pairs", (), {"symbols": "btcusdt"},
        b"symbols=BTCUSDT", b"",
        [CONTRACT_LIVE], [CONTRACT_DOC],
        lambda r: [(c.symbol, c.min_trade_volume, c.base_precision, c.quote_precision, c.max_leverage, c.price_protect_scope, c.tradable, c.launch_time) for c in r],
        [("BTCUSDT", D("0.0001"), 4, 1, 125, D("0.05"), True, None)],
    ),
    Case(
        "futures.position_get_position_tiers", "position_tiers", ("BTCUSDT",), {},
        b"symbol=BTCUSDT", b"",
        [{"symbol": "BTCUSDT", "level": 1, "startValue": "0", "endValue": "50000", "leverage": 125, "maintenanceMarginRate": "0.004"}],
        [{"symbol": "BTCUSDT", "level": "1", "startValue": 0, "endValue": 50000, "leverage": "125", "maintenanceMarginRate": 0.004}],
        list,
        [PositionTier("BTCUSDT", 1, D("0"), D("50000"), 125, D("0.004"))],
    ),
    # -- account
    Case(
        "futures.account", "account", (), {},
        b"marginCoin=USDT", b"",
        ACCOUNT_LIVE, [ACCOUNT_LIVE],
        lambda r: r,
        Account("USDT", D("1000"), D("0"), D("10"), D("1000"), PositionMode.HEDGE, D("2"), D("0"), D("0")),
    ),
    Case(
        "futures.account_get_leverage_margin_mode", "leverage_margin_mode", ("btcusdt",), {},
        b"marginCoin=USDT&symbol=BTCUSDT", b"",
        {"symbol": "BTCUSDT", "marginCoin": "USDT", "leverage": 20, "marginMode": "ISOLATION"},
        [{"symbol": "BTCUSDT", "marginCoin": "USDT", "leverage": "20", "marginMode": "ISOLATION"}],
        lambda r: r,
        LeverageMarginMode("BTCUSDT", "USDT", 20, MarginMode.ISOLATION),
    ),
    Case(
        "futures.account_change_leverage", "change_leverage", ("BTCUSDT", 12), {},
        b"", b'{"marginCoin":"USDT","symbol":"BTCUSDT","leverage":12}',
        {"symbol": "BTCUSDT", "marginCoin": "USDT", "leverage": 12},
        [{"marginCoin": "USDT", "leverage": 12, "symbol": "BTCUSDT"}],
        lambda r: r,
        LeverageSetting("BTCUSDT", "USDT", 12),
    ),
    Case(
        "futures.account_change_margin_mode", "change_margin_mode", ("BTCUSDT", MarginMode.CROSS), {},
        b"", b'{"marginMode":"CROSS","symbol":"BTCUSDT","marginCoin":"USDT"}',
        {"symbol": "BTCUSDT", "marginCoin": "USDT", "marginMode": "CROSS"},
        [{"positionMode": "CROSS"}],  # DOC-C's example puts the margin mode under the wrong key
        lambda r: r.margin_mode,
        MarginMode.CROSS,
    ),
    Case(
        "futures.account_change_position_mode", "change_position_mode", (PositionMode.HEDGE,), {},
        b"", b'{"positionMode":"HEDGE"}',
        {"positionMode": "HEDGE"}, [{"positionMode": "HEDGE"}],
        lambda r: r,
        PositionMode.HEDGE,
    ),
    Case(
        "futures.account_adjust_position_margin", "adjust_position_margin", ("BTCUSDT", D("-5.50")), {"position_id": "1986543210987654321"},
        b"", b'{"symbol":"BTCUSDT","marginCoin":"USDT","amount":"-5.50","positionId":"1986543210987654321"}',
        None, "",
        lambda r: r,
        None,
    ),
    Case(
        "futures.account_position_mode", "position_mode", (), {},
        b"", b"",
        {"positionMode": "ONE_WAY"}, [{"positionMode": "ONE_WAY"}],
        lambda r: r,
        PositionMode.ONE_WAY,
    ),
    Case(
        "futures.account_trading_settings", "trading_settings", (["BTCUSDT", "ethusdt"],), {},
        b"symbols=BTCUSDT%2CETHUSDT", b"",
        [{"symbol": "BTCUSDT", "marginCoin": "USDT", "marginMode": "CROSS", "leverage": 10, "longLeverage": 10, "shortLeverage": 10}],
        [{"symbol": "BTCUSDT", "marginCoin": "USDT", "marginMode": "CROSS", "leverage": "10", "longLeverage": "10", "shortLeverage": "10"}],
        list,
        [TradingSetting("BTCUSDT", "USDT", MarginMode.CROSS, 10, 10, 10)],
    ),
    # -- positions
    Case(
        "futures.position_get_pending_positions", "pending_positions", (), {"symbol": "BTCUSDT"},
        b"symbol=BTCUSDT", b"",
        [POSITION_LIVE], [POSITION_DOC],
        list,
        [POSITION],
    ),
    Case(
        "futures.position_get_history_positions", "history_positions", (), {"symbol": "BTCUSDT", "start_time": T0, "skip": 0, "limit": 10},
        b"limit=10&skip=0&startTime=1724284800000&symbol=BTCUSDT", b"",
        {"positionList": [CLOSED_LIVE], "total": "1"}, {"positionList": [CLOSED_DOC], "total": 1},
        lambda r: (r.positions, r.total),
        ((CLOSED,), 1),
    ),
    # -- trade
    Case(
        "futures.trade_place_order", "place_order", ("BTCUSDT", Side.SELL, OrderType.MARKET, "0.5"),
        {"trade_side": TradeSide.CLOSE, "position_id": "1986543210987654321", "client_id": "c-2",
         "sl": Tpsl(D("59000"), StopType.LAST_PRICE, OrderType.LIMIT, D("58900"))},
        b"",
        b'{"symbol":"BTCUSDT","side":"SELL","tradeSide":"CLOSE","positionId":"1986543210987654321","orderType":"MARKET",'
        b'"qty":"0.5","clientId":"c-2","slPrice":"59000","slStopType":"LAST_PRICE","slOrderType":"LIMIT","slOrderPrice":"58900"}',
        REF, [REF],
        lambda r: r,
        OrderRef("1998877665544332211", "mock-1"),
    ),
    Case(
        "futures.trade_batch_order", "place_orders",
        ("btcusdt", [
            OrderRequest(Side.BUY, OrderType.LIMIT, "0.01", "60000", trade_side=TradeSide.OPEN, effect=Effect.POST_ONLY, client_id="a"),
            OrderRequest(Side.BUY, OrderType.MARKET, D("0.02"), reduce_only=True),
        ]),
        {},
        b"",
        b'{"symbol":"BTCUSDT","orderList":[{"side":"BUY","tradeSide":"OPEN","orderType":"LIMIT","qty":"0.01","price":"60000",'
        b'"effect":"POST_ONLY","clientId":"a"},{"side":"BUY","orderType":"MARKET","qty":"0.02","reduceOnly":true}]}',
        {"successList": [{"orderId": "11", "clientId": "a"}], "failureList": [{"clientId": None, "errorMsg": "Insufficient balance", "errorCode": "10012"}]},
        {"successList": [{"id": "11", "clientId": "a"}], "failureList": [{"clientId": "", "errorMsg": "Insufficient balance", "errorCode": 10012}]},
        lambda r: ([(s.order_id, s.client_id) for s in r.successes], [(f.client_id, f.error_code, f.error_msg) for f in r.failures]),
        ([("11", "a")], [(None, "10012", "Insufficient balance")]),
    ),
    Case(
        "futures.trade_modify_order", "modify_order", ("0.02", "61000"), {"order_id": "1998877665544332211", "tp": Tpsl(D("70000"), StopType.MARK_PRICE)},
        b"", b'{"orderId":"1998877665544332211","qty":"0.02","price":"61000","tpPrice":"70000","tpStopType":"MARK_PRICE"}',
        REF, [REF],
        lambda r: r,
        OrderRef("1998877665544332211", "mock-1"),
    ),
    Case(
        "futures.trade_cancel_orders", "cancel_orders", ("BTCUSDT",), {"order_ids": ["1234567890"], "client_ids": ["mock-9"]},
        b"", b'{"symbol":"BTCUSDT","orderList":[{"orderId":"1234567890"},{"clientId":"mock-9"}]}',
        SUCCESS_LIVE | {"failureList": [{"orderId": "", "clientId": "mock-9", "errorMsg": "Order status error", "errorCode": "10013"}]},
        [SUCCESS_LIVE | {"failureList": [{"clientId": "mock-9", "errorMsg": "Order status error", "errorCode": 10013}]}],
        lambda r: ([(s.order_id, s.client_id) for s in r.successes], [(f.order_id, f.client_id, f.error_code, f.error_msg) for f in r.failures]),
        ([("1234567890", None)], [(None, "mock-9", "10013", "Order status error")]),
    ),
    Case(
        "futures.trade_cancel_all_orders", "cancel_all_orders", ("BTCUSDT",), {},
        b"", b'{"symbol":"BTCUSDT"}',
        SUCCESS_LIVE, [SUCCESS_LIVE],
        lambda r: ([s.order_id for s in r.successes], r.failures),
        (["1234567890"], ()),
    ),
    Case(
        "futures.trade_close_all_position", "close_all_positions", (), {},
        b"", b"{}",
        None, "",
        lambda r: r,
        None,
    ),
    Case(
        "futures.trade_flash_close_position", "flash_close_position", ("1986543210987654321",), {},
        b"", b'{"positionId":"1986543210987654321"}',
        {"positionId": "1986543210987654321"}, [{"positionId": "1986543210987654321"}],
        lambda r: r,
        "1986543210987654321",
    ),
    Case(
        "futures.trade_get_order_detail", "order_detail", (), {"order_id": "1998877665544332211"},
        b"orderId=1998877665544332211", b"",
        ORDER_LIVE, ORDER_DOC,
        lambda r: r,
        ORDER,
    ),
    Case(
        "futures.trade_get_pending_orders", "pending_orders", (), {"symbol": "BTCUSDT", "status": OrderStatus.NEW, "start_time": T0, "end_time": T1, "skip": 0, "limit": 100},
        b"endTime=1724288400000&limit=100&skip=0&startTime=1724284800000&status=NEW&symbol=BTCUSDT", b"",
        {"orderList": [ORDER_LIVE], "total": "1"}, {"orderList": [ORDER_DOC], "total": 1},
        lambda r: (r.orders, r.total),
        ((ORDER,), 1),
    ),
    Case(
        "futures.trade_get_history_orders", "history_orders", (), {"symbol": "BTCUSDT", "status": OrderStatus.FILLED, "order_type": OrderType.MARKET, "query_canceled": False},
        b"queryCanceled=false&status=FILLED&symbol=BTCUSDT&type=MARKET", b"",
        {"orderList": [ORDER_LIVE | {"price": "market", "orderType": "MARKET", "status": "FILLED", "tradeQty": "0.01"}], "total": "1"},
        {"orderList": [ORDER_DOC | {"price": None, "type": "MARKET", "status": "FILLED", "tradeQty": 0.01}], "total": 1},
        lambda r: ([(o.order_id, o.price, o.order_type, o.status, o.trade_qty, o.is_open) for o in r.orders], r.total),
        ([("1998877665544332211", None, OrderType.MARKET, OrderStatus.FILLED, D("0.01"), False)], 1),
    ),
    Case(
        "futures.trade_get_history_trades", "history_trades", (), {"symbol": "BTCUSDT", "order_id": "1998877665544332211", "limit": 50},
        b"limit=50&orderId=1998877665544332211&symbol=BTCUSDT", b"",
        {"tradeList": [TRADE_LIVE], "total": "1"}, {"tradeList": [TRADE_DOC], "total": 1},
        lambda r: ([(t.trade_id, t.qty, t.price, t.side, t.client_id, t.fee, t.role_type, t.ctime) for t in r.trades], r.total),
        ([("1998877665544339999", D("0.01"), D("60000"), Side.BUY, None, D("0.12"), RoleType.MAKER, _ms("1724285701000"))], 1),
    ),
    # -- TP/SL
    Case(
        "futures.tpsl_place_order", "place_tpsl_order", ("BTCUSDT", "1986543210987654321"),
        {"tp_price": "70000", "tp_stop_type": StopType.LAST_PRICE, "tp_order_type": OrderType.LIMIT, "tp_order_price": "69900", "tp_qty": "0.01"},
        b"",
        b'{"symbol":"BTCUSDT","positionId":"1986543210987654321","tpPrice":"70000","tpStopType":"LAST_PRICE",'
        b'"tpOrderType":"LIMIT","tpOrderPrice":"69900","tpQty":"0.01"}',
        [{"orderId": "1998877665544332299", "clientId": None}], {"orderId": "1998877665544332299"},
        lambda r: r,
        [OrderRef("1998877665544332299", None)],
    ),
    Case(
        "futures.tpsl_modify_order", "modify_tpsl_order", ("1998877665544332299",), {"sl_price": "50000", "sl_stop_type": StopType.MARK_PRICE, "sl_qty": "0.01"},
        b"", b'{"orderId":"1998877665544332299","slPrice":"50000","slStopType":"MARK_PRICE","slQty":"0.01"}',
        {"orderId": "1998877665544332299"}, [{"orderId": "1998877665544332299"}],
        lambda r: r,
        "1998877665544332299",
    ),
    Case(
        "futures.tpsl_cancel_order", "cancel_tpsl_order", ("BTCUSDT", "1998877665544332299"), {},
        b"", b'{"symbol":"BTCUSDT","orderId":"1998877665544332299"}',
        {"orderId": "1998877665544332299"}, [{"orderId": "1998877665544332299"}],
        lambda r: r,
        "1998877665544332299",
    ),
    Case(
        "futures.tpsl_position_place_order", "place_position_tpsl", ("BTCUSDT", "1986543210987654321"), {"tp_price": "70000", "sl_price": "50000", "sl_stop_type": StopType.MARK_PRICE},
        b"", b'{"symbol":"BTCUSDT","positionId":"1986543210987654321","tpPrice":"70000","slPrice":"50000","slStopType":"MARK_PRICE"}',
        {"orderId": "1998877665544332300"}, [{"orderId": "1998877665544332300"}],
        lambda r: r,
        "1998877665544332300",
    ),
    Case(
        "futures.tpsl_position_modify_order", "modify_position_tpsl", ("BTCUSDT", "1986543210987654321"), {"sl_price": "51000"},
        b"", b'{"symbol":"BTCUSDT","positionId":"1986543210987654321","slPrice":"51000"}',
        {"orderId": "1998877665544332300"}, [{"orderId": "1998877665544332300"}],
        lambda r: r,
        "1998877665544332300",
    ),
    Case(
        "futures.tpsl_get_pending_orders", "pending_tpsl_orders", (), {"symbol": "BTCUSDT", "position_id": "1986543210987654321", "limit": 10},
        b"limit=10&positionId=1986543210987654321&symbol=BTCUSDT", b"",
        [TPSL_LIVE], [TPSL_DOC],
        lambda r: [(o.id, o.position_id, o.tp_price, o.tp_stop_type, o.tp_order_type, o.tp_order_price, o.tp_qty, o.sl_price, o.sl_qty) for o in r],
        [("1998877665544332299", "1986543210987654321", D("70000"), StopType.LAST_PRICE, OrderType.LIMIT, D("69900"), D("0.01"), None, None)],
    ),
    Case(
        "futures.tpsl_get_history_orders", "history_tpsl_orders", (), {"symbol": "BTCUSDT", "start_time": T0, "end_time": T1, "skip": 20, "limit": 10},
        b"endTime=1724288400000&limit=10&skip=20&startTime=1724284800000&symbol=BTCUSDT", b"",
        {"orderList": [TPSL_HISTORY_LIVE], "total": "21"}, {"orderList": [TPSL_HISTORY_DOC], "total": 21},
        lambda r: ([(o.id, o.status, o.ctime, o.trigger_time, o.tp_stop_type) for o in r.orders], r.total),
        ([("1998877665544332299", "FILLED", T0, T1, StopType.LAST_PRICE)], 21),
    ),
]
# fmt: on

BY_OPERATION = {c.operation: c for c in CASES}


def test_every_operation_has_a_case() -> None:
    assert len(CASES) == len(BY_OPERATION) == len(FUTURES_OPERATIONS) == 36
    assert set(BY_OPERATION) == set(FUTURES_OPERATIONS)
    for case in CASES:
        assert METHOD_FOR_OPERATION[case.operation] == case.method


def _canonical(query: bytes) -> str:
    """The signed form of a query as the server rebuilds it: decoded pairs, sorted by key, key+value."""
    pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True)
    return "".join(k + v for k, v in sorted(pairs, key=lambda kv: kv[0]))


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_the_request_on_the_wire(case: Case, colour: str) -> None:
    _, sent = call(colour, case.method, case.args, case.kwargs, replying(envelope(case.live)))
    assert len(sent) == 1
    req = sent[0]
    op = FUTURES_OPERATIONS[case.operation]
    assert (req.method, req.url.path, req.url.query, req.content) == (op.method, op.path, case.query, case.body)
    assert req.headers["content-type"] == "application/json"
    if op.method == "GET":
        assert case.body == b""
    if op.signed:
        ts = str(NOW_MS)
        assert (req.headers["api-key"], req.headers["nonce"], req.headers["timestamp"]) == (API_KEY, NONCE, ts)
        assert req.headers["sign"] == sign_parts(NONCE, ts, API_KEY, SECRET, _canonical(req.url.query), req.content)
    else:
        assert not {"api-key", "nonce", "timestamp", "sign"} & set(req.headers)


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("shape", ["live", "doc"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_the_reply_in_both_shapes(case: Case, shape: str, colour: str) -> None:
    data = case.live if shape == "live" else case.doc
    result, _ = call(colour, case.method, case.args, case.kwargs, replying(envelope(data)))
    assert case.read(result) == case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_a_string_zero_code_is_success_too(case: Case) -> None:
    """PB and ccxt accept ``"code":"0"`` defensively; so does the reference client."""
    result, _ = call("sync", case.method, case.args, case.kwargs, replying(envelope(case.live, code="0")))
    assert case.read(result) == case.expected


def test_both_clients_have_the_same_methods() -> None:
    import inspect

    for method in METHOD_FOR_OPERATION.values():
        sync_m, async_m = getattr(FuturesClient, method), getattr(AsyncFuturesClient, method)
        assert not inspect.iscoroutinefunction(sync_m) and inspect.iscoroutinefunction(async_m), method
        assert inspect.signature(sync_m) == inspect.signature(async_m), method
