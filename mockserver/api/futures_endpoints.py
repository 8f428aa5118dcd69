"""The one table of Bitunix USDT-M futures endpoints (36 rows, spec §3 of ``bitunix-futures-spec.md``).

The same :class:`~.endpoints.Endpoint` rows as spot's table: routing, parameter validation, the OpenAPI
document, the generated README tables and the endpoint tests all derive from :data:`FUTURES_ENDPOINTS`.
Operation names are ``"futures." + path after /api/v1/futures/ with "/" -> "_"`` (FUTURES-PLAN), unique
across products, so journal filters, ``expect=`` and rate-limit overrides share one namespace.

Confidence marks are the spec's: H = docs and live agree (or two live sources); M = docs alone or one live
client; L = inference or the mock's own choice. Every uncertainty the spec records is in the row's notes.
Error codes are the futures table's (``mockserver/futures_errors.py``), as strings like spot's.
"""

from __future__ import annotations

from typing import Any

from . import schema as s
from .endpoints import Endpoint, RateLimit
from .params import Kind, Param

__all__ = [
    "DEPTH_LIMITS",
    "FUTURES_ENDPOINTS",
    "FUTURES_EXAMPLE_IDS",
    "FUTURES_PREFIX",
    "KLINE_INTERVALS",
]

FUTURES_PREFIX = "/api/v1/futures"

#: Depth ``limit`` values the exchange accepts; anything else answers 10008 (live text, spec §2.2).
DEPTH_LIMITS = ("1", "5", "15", "50", "max")
#: REST kline intervals (DOC-C, OFF ``KlineInterval``; spec §4).
KLINE_INTERVALS = ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")

#: What the examples' placeholders stand for where no earlier request made the ids (the OpenAPI document).
FUTURES_EXAMPLE_IDS: dict[str, Any] = {
    "order_id": "1998877665544332211",
    "position_id": "1986543210987654321",
    "short_position_id": "1986543210987654322",
    "tpsl_id": "1998877665544332299",
}

# Rate limits of spec §5.16 (per second, as printed on the pages).
_RL_IP = RateLimit(10, "ip", stated=True)
_RL_UID = RateLimit(10, "key", stated=True)
_RL_UID5 = RateLimit(5, "key", stated=True)
_RL_UID1 = RateLimit(1, "key", stated=True)
_RL_UID20 = RateLimit(20, "key", stated=True)

# Codes every endpoint of a kind can answer from its own handler (the auth codes come from the product).
_E_PARAM = ("10002", "10008")
_E_SYMBOL = ("20015",)  # live answer for an unknown or delisted symbol (NEM)

# ----------------------------------------------------------------------- shapes

_DEC = s.string("decimal as text")
_PRICE = s.string("price as text, to the contract's quotePrecision")
_QTY = s.string("base quantity as text")
_MS_TEXT = s.one_of(s.string("ms as a string of digits (live)"), s.integer("ms (doc-literal profile)"))
_TOTAL = s.one_of(s.string("count as a string of digits (live)"), s.integer("count (doc-literal profile)"))
_STATUS = s.string("INIT, NEW, PART_FILLED, CANCELED, FILLED, PART_FILLED_CANCELED (NEW_ with the padding switch)")

TICKER = s.obj(
    {
        "symbol": s.string(),
        "markPrice": _PRICE,
        "lastPrice": _PRICE,
        "open": s.string("24 h rolling open"),
        "last": s.string("same as lastPrice"),
        "quoteVol": s.string("24 h base quantity (the live kline inversion, spec §7.4)"),
        "baseVol": s.string("24 h quote turnover"),
        "high": _PRICE,
        "low": _PRICE,
    }
)

_LEVEL = s.arr(s.one_of(s.string(), s.number()), doc="[price, qty]: strings live, numbers in the doc example")
DEPTH = s.obj({"asks": s.arr(_LEVEL, doc="ascending"), "bids": s.arr(_LEVEL, doc="descending")})

KLINE = s.obj(
    {
        "open": _PRICE,
        "high": _PRICE,
        "low": _PRICE,
        "close": _PRICE,
        "quoteVol": s.string("base quantity (live inversion, PB)"),
        "baseVol": s.string("quote notional (live inversion, PB)"),
        "time": s.integer("candle open time, ms"),
        "type": s.string("LAST_PRICE | MARK_PRICE"),
    }
)

FUNDING = s.obj(
    {
        "symbol": s.string(),
        "markPrice": _PRICE,
        "lastPrice": _PRICE,
        "indexPrice": s.nullable(_PRICE),
        "fundingRate": s.string("percent per interval"),
        "fundingInterval": s.integer("hours"),
        "nextFundingTime": s.string("ms as a string"),
        "maxFundingRate": s.string("percent"),
        "minFundingRate": s.string("percent"),
    }
)

FUNDING_HISTORY = s.obj(
    {"fundingRate": s.string("a fraction, not percent"), "fundingTime": s.string("ms as a string"), "markPrice": _PRICE}
)

CONTRACT = s.obj(
    {
        "symbol": s.string(),
        "base": s.string(),
        "quote": s.string(),
        "minTradeVolume": _QTY,
        "minBuyPriceOffset": _DEC,
        "maxSellPriceOffset": _DEC,
        "maxLimitOrderVolume": _QTY,
        "maxMarketOrderVolume": _QTY,
        "basePrecision": s.integer(),
        "quotePrecision": s.integer(),
        "minLeverage": s.integer(),
        "maxLeverage": s.integer(),
        "defaultLeverage": s.integer(),
        "defaultMarginMode": s.one_of(s.string("ISOLATION | CROSS"), s.integer("1 (doc example)")),
        "priceProtectScope": _DEC,
        "symbolStatus": s.string("OPEN | CANCEL_ONLY | STOP"),
        "isApiSupported": s.boolean(),
        "maxFundingRate": s.string("percent"),
        "minFundingRate": s.string("percent"),
    }
)

TIER = s.obj(
    {
        "symbol": s.string(),
        "level": s.integer(),
        "startValue": _DEC,
        "endValue": _DEC,
        "leverage": s.integer(),
        "maintenanceMarginRate": _DEC,
    }
)

ACCOUNT = s.obj(
    {
        "marginCoin": s.string(),
        "available": _DEC,
        "frozen": s.string("held by open orders"),
        "margin": s.string("held by positions"),
        "transfer": s.string("maximum transferable"),
        "positionMode": s.string("ONE_WAY | HEDGE"),
        "crossUnrealizedPNL": _DEC,
        "isolationUnrealizedPNL": _DEC,
        "bonus": _DEC,
    }
)

LEVERAGE_MODE = s.obj(
    {"symbol": s.string(), "marginCoin": s.string(), "leverage": s.integer(), "marginMode": s.string()}
)


def _object_or_doc_array(item: s.Schema) -> s.Schema:
    """An object live; a one-element array under the doc-literal profile (spec §7.1)."""
    return s.one_of(item, s.arr(item, doc="doc-literal profile"))


CHANGED_LEVERAGE = s.obj({"marginCoin": s.string(), "leverage": s.integer(), "symbol": s.string()})
CHANGED_MARGIN_MODE = s.obj({"marginMode": s.string(), "symbol": s.string(), "marginCoin": s.string()})
POSITION_MODE = s.obj({"positionMode": s.string("ONE_WAY | HEDGE")})

TRADING_SETTING = s.obj(
    {
        "symbol": s.string(),
        "marginCoin": s.string(),
        "marginMode": s.string(),
        "leverage": s.integer(),
        "longLeverage": s.integer(),
        "shortLeverage": s.integer(),
    }
)

POSITION = s.obj(
    {
        "positionId": s.string(),
        "symbol": s.string(),
        "marginCoin": s.nullable(s.string()),
        "qty": _QTY,
        "entryValue": s.string("entry notional (entryValue / qty = entry price)"),
        "side": s.string("BUY (long) | SELL (short) live; LONG | SHORT doc-literal"),
        "marginMode": s.string("ISOLATION | CROSS"),
        "positionMode": s.string("ONE_WAY | HEDGE"),
        "leverage": s.integer(),
        "fee": _DEC,
        "funding": _DEC,
        "realizedPNL": _DEC,
        "margin": _DEC,
        "unrealizedPNL": _DEC,
        "liqPrice": s.string("<= 0: no liquidation price"),
        "marginRate": _DEC,
        "avgOpenPrice": _PRICE,
        "ctime": _MS_TEXT,
        "mtime": _MS_TEXT,
    }
)

CLOSED_POSITION = s.obj(
    {
        "positionId": s.string(),
        "symbol": s.string(),
        "maxQty": _QTY,
        "entryPrice": _PRICE,
        "closePrice": _PRICE,
        "liqQty": _QTY,
        "side": s.string("BUY | SELL live; LONG | SHORT doc-literal"),
        "marginMode": s.string(),
        "positionMode": s.string(),
        "leverage": s.one_of(s.integer(), s.string()),
        "fee": _DEC,
        "funding": _DEC,
        "realizedPNL": _DEC,
        "liqPrice": _DEC,
        "ctime": _MS_TEXT,
        "mtime": _MS_TEXT,
    }
)

_TPSL_FIELDS: dict[str, s.Schema] = {
    k: s.nullable(s.string())
    for k in ("tpPrice", "tpStopType", "tpOrderType", "tpOrderPrice", "slPrice", "slStopType", "slOrderType")
}
_TPSL_FIELDS["slOrderPrice"] = s.nullable(s.string())

ORDER = s.obj(
    {
        "orderId": s.string(),
        "clientId": s.nullable(s.string()),
        "symbol": s.string(),
        "qty": _QTY,
        "tradeQty": s.string("filled base quantity"),
        "price": s.string('limit price; "market" for market orders (live, TIQ)'),
        "side": s.string("BUY | SELL: the actual action"),
        "orderType": s.string("LIMIT | MARKET"),
        "effect": s.string("GTC | IOC | FOK | POST_ONLY"),
        "reduceOnly": s.boolean(),
        "positionMode": s.string(),
        "marginMode": s.string(),
        "leverage": s.integer(),
        "status": _STATUS,
        "fee": _DEC,
        "realizedPNL": _DEC,
        **_TPSL_FIELDS,
        "ctime": _MS_TEXT,
        "mtime": _MS_TEXT,
    }
)

TRADE = s.obj(
    {
        "tradeId": s.string(),
        "orderId": s.string(),
        "symbol": s.string(),
        "qty": _QTY,
        "price": _PRICE,
        "side": s.string("BUY | SELL: the actual action"),
        "orderType": s.string(),
        "effect": s.string(),
        "clientId": s.nullable(s.string()),
        "reduceOnly": s.boolean(),
        "positionMode": s.string(),
        "marginMode": s.string(),
        "leverage": s.integer(),
        "fee": _DEC,
        "realizedPNL": _DEC,
        "ctime": _MS_TEXT,
        "roleType": s.string("TAKER | MAKER"),
    }
)

ORDER_IDS = s.obj({"orderId": s.string(), "clientId": s.nullable(s.string())})
BATCH_RESULT = s.obj(
    {
        "successList": s.arr(s.obj({"orderId": s.string(), "clientId": s.nullable(s.string())})),
        "failureList": s.arr(
            s.obj(
                {
                    "orderId": s.nullable(s.string()),
                    "clientId": s.nullable(s.string()),
                    "errorMsg": s.string(),
                    "errorCode": s.one_of(s.string(), s.integer()),
                },
                optional=("orderId",),
            )
        ),
    }
)

TPSL_ORDER = s.obj(
    {
        "id": s.string("the TP/SL order id (key id, not orderId)"),
        "positionId": s.string(),
        "symbol": s.string(),
        "base": s.string(),
        "quote": s.string(),
        **_TPSL_FIELDS,
        "tpQty": s.nullable(_QTY),
        "slQty": s.nullable(_QTY),
    }
)
TPSL_HISTORY = s.obj(
    {
        **TPSL_ORDER["properties"],
        "status": s.string(),
        "ctime": _MS_TEXT,
        "triggerTime": s.nullable(_MS_TEXT),
    }
)

_EMPTY = s.string('the empty string "" (no result)')

# ------------------------------------------------------------------- params

_SYMBOL = Param("symbol", Kind.SYMBOL, doc="contract, e.g. BTCUSDT (case-insensitive)", max_len=32, example="BTCUSDT")
_SYMBOL_OPT = Param("symbol", Kind.SYMBOL, required=False, doc="contract filter", max_len=32, example="BTCUSDT")
_SYMBOLS = Param(
    "symbols",
    Kind.STRING,
    required=False,
    max_len=2000,
    doc="comma-separated contracts; omitted = all; an unknown one answers 20015 (live)",
    example="BTCUSDT,ETHUSDT",
)
_MARGIN_COIN = Param(
    "marginCoin",
    Kind.ENUM_STR,
    choices=("USDT",),
    doc="margin coin; the mock serves USDT-M only",
    example="USDT",
)
_POSITION_ID = Param("positionId", Kind.STRING, required=False, max_len=32, doc="position id")
_ORDER_ID_OPT = Param("orderId", Kind.STRING, required=False, max_len=32, doc="order id")
_CLIENT_ID_OPT = Param("clientId", Kind.STRING, required=False, max_len=64, doc="the client's order id")


def _time(name: str, doc: str = "Unix ms") -> Param:
    return Param(name, Kind.INT, required=False, min_value=0, doc=doc, wire_type="integer")


def _page(default: int = 10, cap: int = 100) -> tuple[Param, ...]:
    return (
        Param("skip", Kind.INT, required=False, min_value=0, default=0, doc="offset, default 0", wire_type="integer"),
        Param(
            "limit",
            Kind.INT,
            required=False,
            min_value=1,
            max_value=cap,
            default=default,
            doc=f"page size, default {default}, at most {cap}",
            wire_type="integer",
        ),
    )


_STOP_TYPES = ("LAST_PRICE", "MARK_PRICE", "LAST", "MARK")
_STOP_NOTE = "the docs' examples send MARK/LAST while the table says MARK_PRICE/LAST_PRICE; both are accepted (§3.4)"
_ORDER_TYPES = ("LIMIT", "MARKET")


def _tpsl_legs(*, qty: bool) -> tuple[Param, ...]:
    """The take-profit and stop-loss fields (trigger, trigger source, child order type and price, qty)."""
    out: list[Param] = []
    for leg, name in (("tp", "take-profit"), ("sl", "stop-loss")):
        out += [
            Param(f"{leg}Price", Kind.DECIMAL, required=False, doc=f"{name} trigger price"),
            Param(
                f"{leg}StopType",
                Kind.ENUM_STR,
                required=False,
                choices=_STOP_TYPES,
                doc="trigger source; default LAST_PRICE",
                confidence="M",
                note=_STOP_NOTE,
            ),
            Param(
                f"{leg}OrderType",
                Kind.ENUM_STR,
                required=False,
                choices=_ORDER_TYPES,
                doc="child order type; default MARKET",
            ),
            Param(f"{leg}OrderPrice", Kind.DECIMAL, required=False, doc="child limit price (LIMIT only)"),
        ]
        if qty:
            out.append(Param(f"{leg}Qty", Kind.DECIMAL, required=False, doc=f"{name} quantity (base coin)"))
    return tuple(out)


_ORDER_FIELDS: tuple[Param, ...] = (
    Param(
        "qty",
        Kind.DECIMAL,
        doc="base-coin quantity; a JSON number is accepted too (LB sends one)",
        confidence="M",
        note="the docs declare a string; one live-used client sends a number [L]",
        example="0.01",
    ),
    Param("price", Kind.DECIMAL, required=False, doc="limit price; required for LIMIT", example="60000"),
    Param("side", Kind.ENUM_STR, choices=("BUY", "SELL"), doc="on CLOSE in hedge mode: the position's direction"),
    Param(
        "tradeSide",
        Kind.ENUM_STR,
        required=False,
        choices=("OPEN", "CLOSE"),
        doc="OPEN or CLOSE; required in hedge mode",
        confidence="M",
        note="the table marks it required, the text 'only required in hedge-mode' (§7.16)",
    ),
    Param("positionId", Kind.STRING, required=False, max_len=32, doc="required with tradeSide CLOSE"),
    Param("orderType", Kind.ENUM_STR, choices=_ORDER_TYPES),
    Param(
        "effect",
        Kind.ENUM_STR,
        required=False,
        choices=("GTC", "IOC", "FOK", "POST_ONLY"),
        default="GTC",
        doc="time in force, default GTC",
        confidence="L",
        note="semantics beyond the names: no source (§5.11)",
    ),
    Param(
        "clientId",
        Kind.STRING,
        required=False,
        max_len=64,
        doc="unique per account (30042 when reused)",
        confidence="M",
        note="length limit undocumented; 64 per DOC-M's note",
    ),
    Param("reduceOnly", Kind.BOOLEAN, required=False, default=False, doc="default false"),
    *_tpsl_legs(qty=False),
)

_PLACE_ERRORS = (
    *_E_PARAM,
    "20001",
    "20002",
    "20003",
    "20005",
    "20007",
    "20011",
    "20012",
    "20015",
    "30001",
    "30004",
    "30013",
    "30014",
    "30015",
    "30017",
    "30018",
    "30019",
    "30039",
    "30042",
)
_TPSL_ERRORS = (
    *_E_PARAM,
    *_E_SYMBOL,
    "30004",
    "30005",
    "30006",
    "30007",
    "30008",
    "30009",
    "30010",
    "30011",
    "30020",
    "30021",
    "30022",
    "30023",
    "30024",
    "30025",
    "30026",
    "30027",
    "30028",
    "30029",
    "30030",
    "30031",
    "30032",
    "30033",
    "30038",
    "30041",
)

_ACK_NOTE = (
    "A success reply 'is not necessarily the success of the operation; use the WebSocket push' (DOC-C); "
    "the mock acts before it replies.",
)


def _ep(
    name: str,
    method: str,
    group: str,
    summary: str,
    **kw: object,
) -> Endpoint:
    """A futures row: operation name, path, success msg and signing derived from the plan's rules."""
    public = group == "market" or name == "position/get_position_tiers"
    auth = not public
    path = f"{FUTURES_PREFIX}/{name}"
    if public:
        kw.setdefault("rate_limit", _RL_IP)
    else:
        kw.setdefault("rate_limit", _RL_UID)
        kw.setdefault("permission", "read" if method == "GET" else "trade")
    return Endpoint(
        "futures." + name.replace("/", "_"),
        method,
        path,
        group,
        summary,
        auth=auth,
        success_msg="Success",
        **kw,  # type: ignore[arg-type]
    )


_MARKET: tuple[Endpoint, ...] = (
    _ep(
        "market/tickers",
        "GET",
        "market",
        "24 h tickers of every contract or the listed ones",
        params=(_SYMBOLS,),
        response=s.arr(TICKER),
        errors=_E_SYMBOL,
        confidence="H",
        notes=(
            "No best bid/ask in the REST ticker (PB).",
            "quoteVol = base quantity and baseVol = quote turnover, as the live kline inversion [L] (§7.4).",
        ),
        example={"symbols": "BTCUSDT,ETHUSDT"},
    ),
    _ep(
        "market/depth",
        "GET",
        "market",
        "Order book: asks ascending, bids descending, prices and sizes as strings",
        params=(
            Param(
                "symbol",
                Kind.SYMBOL,
                required=False,
                max_len=32,
                doc="contract; required (live answers code 1 'Network Error' when it is missing)",
                confidence="H",
                note="missing symbol -> {code 1, Network Error} live (NEM)",
                example="BTCUSDT",
            ),
            Param(
                "limit",
                Kind.ENUM_STR,
                required=False,
                choices=DEPTH_LIMITS,
                doc="1, 5, 15, 50 or max; omitted or max = the whole book; anything else answers 10008",
                confidence="H",
                note="10008 with the live text naming the value and the alternatives (NEM)",
                example="5",
            ),
        ),
        response=DEPTH,
        errors=("1", "10008", "20015"),
        confidence="H",
        notes=(
            'Live 10008 text for limit=20: Parameter 20 does not match, alternative value ["1","5","15","50","max"].',
            "The doc example shows numbers; live sends strings (NEM); the doc-literal profile sends numbers.",
            "No timestamp or update id in the reply (NEM).",
        ),
        example={"symbol": "BTCUSDT", "limit": "5"},
    ),
    _ep(
        "market/kline",
        "GET",
        "market",
        "Candles ending at endTime (tail-anchored), ascending by time",
        params=(
            _SYMBOL,
            Param("interval", Kind.ENUM_STR, choices=KLINE_INTERVALS, doc="candle width", example="1h"),
            _time("startTime", "Unix ms; ignored live (PB): the window is anchored at endTime"),
            _time("endTime", "Unix ms; default now"),
            Param(
                "limit",
                Kind.INT,
                required=False,
                min_value=1,
                max_value=200,
                default=100,
                doc="default 100, at most 200",
                wire_type="integer",
            ),
            Param(
                "type",
                Kind.ENUM_STR,
                required=False,
                choices=("LAST_PRICE", "MARK_PRICE"),
                default="LAST_PRICE",
                doc="price source, default LAST_PRICE",
            ),
        ),
        response=s.arr(KLINE),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=(
            "startTime does not anchor the window; rows end at endTime (PB live) [M].",
            "quoteVol carries the base quantity and baseVol the quote notional (PB live inversion) [M].",
            "Row order is not stated; the mock answers ascending by time [L].",
        ),
        example={"symbol": "BTCUSDT", "interval": "1h", "limit": 3, "type": "LAST_PRICE"},
    ),
    _ep(
        "market/funding_rate",
        "GET",
        "market",
        "Current funding rate, mark, index and last price of one contract",
        params=(_SYMBOL,),
        response=_object_or_doc_array(FUNDING),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=(
            "An object (CX and LB read one); the docs' one-element array under the doc-literal profile [L] (§7.1).",
            "fundingRate, maxFundingRate and minFundingRate are percent per interval (NEM live) [H].",
            "nextFundingTime is a string of ms; fundingInterval integer hours.",
        ),
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "market/funding_rate/batch",
        "GET",
        "market",
        "Funding rows of every contract",
        response=s.arr(FUNDING),
        confidence="H",
        notes=("Live also lists delisted contracts; the mock lists its own contracts.",),
        example={},
    ),
    _ep(
        "market/get_funding_rate_history",
        "GET",
        "market",
        "Settled funding rates, newest first",
        params=(
            _SYMBOL,
            _time("starTime", "Unix ms, settle-time filter; spelled starTime on the page (DOC-C, DOC-M)"),
            _time("endTime", "Unix ms"),
            Param(
                "limit",
                Kind.INT,
                required=False,
                min_value=1,
                max_value=200,
                default=100,
                doc="default 100, at most 200",
                wire_type="integer",
            ),
        ),
        response=s.arr(FUNDING_HISTORY),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=(
            "fundingRate here is a fraction, unlike the percent of the current-rate endpoints (NEM live) [M].",
            "The start filter is spelled starTime, as on the page; startTime is not read.",
        ),
        example={"symbol": "BTCUSDT", "limit": 10},
    ),
    _ep(
        "market/trading_pairs",
        "GET",
        "market",
        "Contract rules of every contract or the listed ones",
        params=(_SYMBOLS,),
        response=s.arr(CONTRACT),
        errors=_E_SYMBOL,
        confidence="H",
        notes=(
            "defaultMarginMode: the table says Isolation/Cross, the example 1; the mock sends ISOLATION [L] (§7.15).",
            "Live code 1 'Network Error' is occasionally answered here (PB: transient); the mock never does.",
        ),
        example={"symbols": "BTCUSDT"},
    ),
    _ep(
        "position/get_position_tiers",
        "GET",
        "position",
        "Position tiers: value brackets, maximum leverage and maintenance margin rate",
        params=(_SYMBOL,),
        response=s.arr(TIER),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=("Public (10/ip) although it sits under position/ (DOC-C, CX, Java SDK).",),
        example={"symbol": "BTCUSDT"},
    ),
)

_ACCOUNT: tuple[Endpoint, ...] = (
    _ep(
        "account",
        "GET",
        "account",
        "The futures wallet of one margin coin",
        params=(_MARGIN_COIN,),
        response=_object_or_doc_array(ACCOUNT),
        errors=_E_PARAM,
        confidence="H",
        notes=(
            "A single object live (TIQ, NET, LB); the docs' one-element array under the doc-literal profile.",
            "The wallet identity is not settled (§5.3): the mock reports available = wallet - frozen - margin [L].",
        ),
        example={"marginCoin": "USDT"},
    ),
    _ep(
        "account/get_leverage_margin_mode",
        "GET",
        "account",
        "Leverage and margin mode of one contract",
        params=(_SYMBOL, _MARGIN_COIN),
        response=LEVERAGE_MODE,
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        example={"symbol": "BTCUSDT", "marginCoin": "USDT"},
    ),
    _ep(
        "account/change_leverage",
        "POST",
        "account",
        "Set the leverage of one contract",
        params=(
            _SYMBOL,
            _MARGIN_COIN,
            Param(
                "leverage",
                Kind.INT,
                # no min_value: a non-positive leverage is out of range like 126, so the engine's 20005 (§5.4)
                doc="within the contract's minLeverage..maxLeverage (20005 otherwise, 0 and negatives included)",
                wire_type="integer",
                example=12,
            ),
        ),
        response=_object_or_doc_array(CHANGED_LEVERAGE),
        errors=(*_E_PARAM, *_E_SYMBOL, "20005", "20006"),
        confidence="M",
        notes=(
            "An object live per NET; the docs' array under the doc-literal profile [M] (§7.1).",
            "One leverage per contract; whether hedge sides may differ is open (trading_settings has both).",
        ),
        example={"marginCoin": "USDT", "symbol": "ETHUSDT", "leverage": 12},
    ),
    _ep(
        "account/change_margin_mode",
        "POST",
        "account",
        "Set ISOLATION or CROSS margin for one contract",
        params=(
            Param("marginMode", Kind.ENUM_STR, choices=("ISOLATION", "CROSS"), example="CROSS"),
            _SYMBOL,
            _MARGIN_COIN,
        ),
        response=_object_or_doc_array(CHANGED_MARGIN_MODE),
        errors=(*_E_PARAM, *_E_SYMBOL, "20006"),
        confidence="M",
        notes=(
            "Refused (20006) while the contract has an open position or order (DOC-C).",
            "The doc example's key is positionMode (a doc error); DOC-M shows marginMode.",
        ),
        example={"marginMode": "CROSS", "symbol": "ETHUSDT", "marginCoin": "USDT"},
    ),
    _ep(
        "account/change_position_mode",
        "POST",
        "account",
        "Set ONE_WAY or HEDGE for the whole account",
        params=(Param("positionMode", Kind.ENUM_STR, choices=("ONE_WAY", "HEDGE"), example="HEDGE"),),
        response=_object_or_doc_array(POSITION_MODE),
        errors=(*_E_PARAM, "20009"),
        confidence="M",
        notes=("Refused (20009) while any position or open order exists.",),
        example={"positionMode": "HEDGE"},
    ),
    _ep(
        "account/adjust_position_margin",
        "POST",
        "account",
        "Add (positive) or remove (negative) margin of an isolated position",
        params=(
            _SYMBOL,
            _MARGIN_COIN,
            Param(
                "amount",
                Kind.SIGNED_DECIMAL,
                doc="signed decimal: positive adds, negative removes",
                example="10",
            ),
            Param("side", Kind.ENUM_STR, required=False, choices=("LONG", "SHORT"), doc="with hedge positions"),
            _POSITION_ID,
        ),
        response=_EMPTY,
        errors=(*_E_PARAM, *_E_SYMBOL, "20003", "30004"),
        confidence="M",
        notes=("Either side or positionId is required; isolated positions only.",),
        rate_limit=_RL_UID5,
        example={"symbol": "BTCUSDT", "marginCoin": "USDT", "amount": "10", "positionId": "{position_id}"},
    ),
    _ep(
        "account/position_mode",
        "GET",
        "account",
        "The account's position mode",
        response=POSITION_MODE,
        confidence="L",
        notes=("DOC-M only (2026-09); newer than every client.",),
        rate_limit=_RL_UID20,
        example={},
    ),
    _ep(
        "account/trading_settings",
        "GET",
        "account",
        "Margin mode and leverage per contract",
        params=(
            Param(
                "symbols",
                Kind.STRING,
                required=False,
                max_len=2000,
                doc="comma-separated, at most 50, case-insensitive; omitted = all",
                example="BTCUSDT",
            ),
        ),
        response=s.arr(TRADING_SETTING),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="L",
        notes=("DOC-M only (2026-09); only one client (JRK) uses it.",),
        rate_limit=_RL_UID20,
        example={"symbols": "BTCUSDT"},
    ),
)

_POSITION: tuple[Endpoint, ...] = (
    _ep(
        "position/get_pending_positions",
        "GET",
        "position",
        "Open positions",
        params=(
            _SYMBOL_OPT,
            _POSITION_ID,
            Param("subAccountId", Kind.INT, required=False, doc="DOC-M only; ignored", wire_type="integer"),
            Param("includeSubAccounts", Kind.STRING, required=False, max_len=5, doc="DOC-M only; ignored"),
        ),
        response=s.arr(POSITION),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="H",
        notes=(
            "side is BUY/SELL live (four clients); LONG/SHORT under the doc-literal profile.",
            "ctime/mtime are strings live (TIQ); integers under the doc-literal profile.",
            "No markPrice in the row (clients read tickers).",
        ),
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "position/get_history_positions",
        "GET",
        "position",
        "Closed positions, newest first, paged",
        params=(
            _SYMBOL_OPT,
            _POSITION_ID,
            _time("startTime", "Unix ms, on creation time"),
            _time("endTime", "Unix ms, on creation time"),
            *_page(),
        ),
        response=s.obj({"positionList": s.arr(CLOSED_POSITION), "total": _TOTAL}),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=("total, ctime, mtime are strings live (TIQ) [M].",),
        example={"symbol": "BTCUSDT", "skip": 0, "limit": 10},
    ),
)

_TRADE: tuple[Endpoint, ...] = (
    _ep(
        "trade/place_order",
        "POST",
        "trade",
        "Place one limit or market order (open or close)",
        params=(_SYMBOL, *_ORDER_FIELDS),
        response=ORDER_IDS,
        errors=_PLACE_ERRORS,
        confidence="H",
        notes=(
            "Hedge mode: BUY+OPEN opens long, SELL+OPEN short; BUY+CLOSE closes the long, SELL+CLOSE the short, "
            "with its positionId (side names the position) [H].",
            "One-way mode: side is the action; closes are reduceOnly [L].",
            "A refusal is a non-zero code (20003, 30017, 30042, ...), not a success with a status field.",
            "Attached TP/SL: which TP/SL object it becomes is not documented [L] (§7.17).",
            *_ACK_NOTE,
        ),
        example={
            "symbol": "BTCUSDT",
            "side": "BUY",
            "tradeSide": "OPEN",
            "orderType": "LIMIT",
            "qty": "0.01",
            "price": "60000",
            "effect": "GTC",
            "reduceOnly": False,
            "clientId": "example-place-1",
        },
    ),
    _ep(
        "trade/batch_order",
        "POST",
        "trade",
        "Place up to 5 orders of one contract; each is accepted or refused on its own",
        params=(
            _SYMBOL,
            Param(
                "orderList",
                Kind.OBJECT_LIST,
                items=_ORDER_FIELDS,
                max_items=1000,
                per_item=True,
                doc="at most 5 (20016 above)",
                confidence="M",
                note="5 per DOC-C (2026-05), 20 per DOC-O earlier",
            ),
        ),
        response=BATCH_RESULT,
        errors=(*_E_PARAM, *_E_SYMBOL, "20016"),
        confidence="M",
        notes=(
            "successList items carry orderId (the Java model) although the table says id [L] (§7.13).",
            "Rate limit 1/uid (DOC-C); 5/uid on the older page.",
            *_ACK_NOTE,
        ),
        rate_limit=_RL_UID1,
        example={
            "symbol": "BTCUSDT",
            "orderList": [
                {
                    "side": "BUY",
                    "tradeSide": "OPEN",
                    "orderType": "LIMIT",
                    "qty": "0.01",
                    "price": "59000",
                    "clientId": "example-batch-1",
                },
                {
                    "side": "BUY",
                    "tradeSide": "OPEN",
                    "orderType": "LIMIT",
                    "qty": "0.02",
                    "price": "58000",
                    "clientId": "example-batch-2",
                },
            ],
        },
    ),
    _ep(
        "trade/modify_order",
        "POST",
        "trade",
        "Change the quantity and price (and attached TP/SL) of an open order",
        params=(
            _ORDER_ID_OPT,
            _CLIENT_ID_OPT,
            Param("qty", Kind.DECIMAL, doc="new base quantity", example="0.02"),
            Param("price", Kind.DECIMAL, doc="new limit price", example="59000"),
            *_tpsl_legs(qty=False),
        ),
        response=ORDER_IDS,
        errors=(*_E_PARAM, "20007", "30011", "30013", "30014", "30015", "30017", "20003"),
        confidence="M",
        notes=("orderId or clientId; orderId wins.", *_ACK_NOTE),
        example={"orderId": "{order_id}", "qty": "0.02", "price": "59000"},
    ),
    _ep(
        "trade/cancel_orders",
        "POST",
        "trade",
        "Cancel orders of one contract by orderId or clientId",
        params=(
            _SYMBOL,
            Param(
                "orderList",
                Kind.OBJECT_LIST,
                items=(_ORDER_ID_OPT, _CLIENT_ID_OPT),
                max_items=1000,
                doc="items {orderId} or {clientId}; orderId wins",
            ),
        ),
        response=BATCH_RESULT,
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="H",
        notes=(
            "successList items carry orderId (PB matches it live) [H].",
            "An order that cannot be cancelled lands in failureList with its code and message.",
            *_ACK_NOTE,
        ),
        rate_limit=_RL_UID5,
        example={"symbol": "BTCUSDT", "orderList": [{"orderId": "{order_id}"}]},
    ),
    _ep(
        "trade/cancel_all_orders",
        "POST",
        "trade",
        "Cancel every open order (of one contract, or all)",
        params=(_SYMBOL_OPT,),
        response=BATCH_RESULT,
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=_ACK_NOTE,
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "trade/close_all_position",
        "POST",
        "trade",
        "Close every position (of one contract, or all) at market",
        params=(_SYMBOL_OPT,),
        response=_EMPTY,
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=("Whether open orders are cancelled too: no source [L].", *_ACK_NOTE),
        rate_limit=_RL_UID1,
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "trade/flash_close_position",
        "POST",
        "trade",
        "Close one position at market",
        params=(Param("positionId", Kind.STRING, max_len=32, example="1986543210987654321"),),
        response=s.obj({"positionId": s.string()}),
        errors=(*_E_PARAM, "30004"),
        confidence="M",
        notes=("Extra fields (marginCoin, side) are ignored [L].", *_ACK_NOTE),
        rate_limit=_RL_UID5,
        example={"positionId": "{position_id}"},
    ),
    _ep(
        "trade/get_order_detail",
        "GET",
        "trade",
        "One order by orderId or clientId",
        params=(_ORDER_ID_OPT, _CLIENT_ID_OPT),
        response=_object_or_doc_array(ORDER),
        errors=(*_E_PARAM, "20007"),
        confidence="H",
        notes=(
            "orderId or clientId; at least one (10002 otherwise).",
            "Unknown id -> 20007 (a client's test fixture, not a capture) [L].",
            "status NEW may carry the live NEW_ padding (switch futures_status_padding).",
        ),
        example={"orderId": "{order_id}"},
    ),
    _ep(
        "trade/get_pending_orders",
        "GET",
        "trade",
        "Open orders, newest first, paged",
        params=(
            _SYMBOL_OPT,
            _ORDER_ID_OPT,
            _CLIENT_ID_OPT,
            Param("status", Kind.ENUM_STR, required=False, choices=("NEW", "PART_FILLED")),
            _time("startTime"),
            _time("endTime"),
            *_page(),
        ),
        response=s.obj({"orderList": s.arr(ORDER), "total": _TOTAL}),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="H",
        example={"symbol": "BTCUSDT", "skip": 0, "limit": 10},
    ),
    _ep(
        "trade/get_history_orders",
        "GET",
        "trade",
        "Finished orders, newest first, paged",
        params=(
            _SYMBOL_OPT,
            _ORDER_ID_OPT,
            _CLIENT_ID_OPT,
            Param(
                "status",
                Kind.ENUM_STR,
                required=False,
                choices=("FILLED", "CANCELED", "PART_FILLED_CANCELED", "EXPIRED"),
            ),
            Param("type", Kind.ENUM_STR, required=False, choices=_ORDER_TYPES),
            Param(
                "queryCanceled",
                Kind.ENUM_STR,
                required=False,
                choices=("true", "false"),
                doc="true: cancelled orders only; false (default): excluding cancelled (DOC-T/DOC-M)",
                confidence="M",
            ),
            Param("subAccountId", Kind.INT, required=False, doc="DOC-T/DOC-M only; ignored", wire_type="integer"),
            _time("startTime"),
            _time("endTime"),
            *_page(),
        ),
        response=s.obj({"orderList": s.arr(ORDER), "total": _TOTAL}),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=('Market orders show price "market" (TIQ) [M].',),
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "trade/get_history_trades",
        "GET",
        "trade",
        "Fills, newest first, paged",
        params=(
            _SYMBOL_OPT,
            _ORDER_ID_OPT,
            Param(
                "positionId",
                Kind.STRING,
                required=False,
                max_len=32,
                doc="accepted but does not filter (live, TIQ)",
                confidence="M",
            ),
            _time("startTime"),
            _time("endTime"),
            *_page(),
        ),
        response=s.obj({"tradeList": s.arr(TRADE), "total": _TOTAL}),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="H",
        notes=("side is the actual action; the fee sign is not recorded live (cost positive here) [L].",),
        example={"symbol": "BTCUSDT"},
    ),
)

_TPSL: tuple[Endpoint, ...] = (
    _ep(
        "tpsl/place_order",
        "POST",
        "tpsl",
        "Place an order TP/SL on a position (partial, with its own quantities)",
        params=(
            _SYMBOL,
            Param("positionId", Kind.STRING, max_len=32, example="1986543210987654321"),
            *_tpsl_legs(qty=True),
        ),
        response=s.one_of(
            s.arr(ORDER_IDS, doc="live (OFF Java, TIQ)"), s.obj({"orderId": s.string()}, doc="doc-literal")
        ),
        errors=_TPSL_ERRORS,
        confidence="M",
        notes=(
            "An array of {orderId, clientId} as the Java SDK and TIQ decode it [M]; the docs' {orderId} object "
            "under the doc-literal profile (§7.2).",
            "At least one of tpPrice/slPrice and one of tpQty/slQty.",
        ),
        example={
            "symbol": "BTCUSDT",
            "positionId": "{position_id}",
            "tpPrice": "105000",
            "tpStopType": "LAST_PRICE",
            "tpOrderType": "MARKET",
            "tpQty": "0.005",
        },
    ),
    _ep(
        "tpsl/modify_order",
        "POST",
        "tpsl",
        "Change an order TP/SL",
        params=(Param("orderId", Kind.STRING, max_len=32, example="1998877665544332299"), *_tpsl_legs(qty=True)),
        response=s.obj({"orderId": s.string()}),
        errors=(*_TPSL_ERRORS, "20007"),
        confidence="M",
        example={
            "orderId": "{tpsl_id}",
            "tpPrice": "106000",
            "tpStopType": "LAST_PRICE",
            "tpOrderType": "MARKET",
            "tpQty": "0.005",
        },
    ),
    _ep(
        "tpsl/cancel_order",
        "POST",
        "tpsl",
        "Cancel a TP/SL order (the id from tpsl/get_pending_orders)",
        params=(_SYMBOL, Param("orderId", Kind.STRING, max_len=32, example="1998877665544332299")),
        response=s.obj({"orderId": s.string()}),
        errors=(*_E_PARAM, *_E_SYMBOL, "20007", "30011"),
        confidence="M",
        example={"symbol": "BTCUSDT", "orderId": "{tpsl_id}"},
    ),
    _ep(
        "tpsl/position/place_order",
        "POST",
        "tpsl",
        "Place the position TP/SL (closes the whole position at market on trigger)",
        params=(
            _SYMBOL,
            Param("positionId", Kind.STRING, max_len=32, example="1986543210987654322"),
            Param("tpPrice", Kind.DECIMAL, required=False, doc="take-profit trigger price"),
            Param("tpStopType", Kind.ENUM_STR, required=False, choices=_STOP_TYPES, note=_STOP_NOTE),
            Param("slPrice", Kind.DECIMAL, required=False, doc="stop-loss trigger price"),
            Param("slStopType", Kind.ENUM_STR, required=False, choices=_STOP_TYPES, note=_STOP_NOTE),
        ),
        response=s.obj({"orderId": s.string()}),
        errors=_TPSL_ERRORS,
        confidence="M",
        notes=(
            "At most one per position; one of tpPrice/slPrice required.",
            "JRK: adding tpOrderType is refused live [L]; the mock ignores unknown fields.",
        ),
        example={
            "symbol": "BTCUSDT",
            "positionId": "{short_position_id}",
            "tpPrice": "90000",
            "tpStopType": "MARK_PRICE",
            "slPrice": "101000",
            "slStopType": "MARK_PRICE",
        },
    ),
    _ep(
        "tpsl/position/modify_order",
        "POST",
        "tpsl",
        "Replace the position TP/SL",
        params=(
            _SYMBOL,
            Param("positionId", Kind.STRING, max_len=32, example="1986543210987654321"),
            Param("tpPrice", Kind.DECIMAL, required=False, doc="take-profit trigger; omitted deletes it [L]"),
            Param("tpStopType", Kind.ENUM_STR, required=False, choices=_STOP_TYPES, note=_STOP_NOTE),
            Param("slPrice", Kind.DECIMAL, required=False, doc="stop-loss trigger; omitted deletes it [L]"),
            Param("slStopType", Kind.ENUM_STR, required=False, choices=_STOP_TYPES, note=_STOP_NOTE),
        ),
        response=s.obj({"orderId": s.string()}),
        errors=(*_TPSL_ERRORS, "20007"),
        confidence="M",
        notes=("Replaces the pair: an omitted price deletes that leg (JRK) [L].",),
        example={
            "symbol": "BTCUSDT",
            "positionId": "{position_id}",
            "tpPrice": "107000",
            "tpStopType": "MARK_PRICE",
            "slPrice": "95000",
            "slStopType": "MARK_PRICE",
        },
    ),
    _ep(
        "tpsl/get_pending_orders",
        "GET",
        "tpsl",
        "Open TP/SL orders",
        params=(
            _SYMBOL_OPT,
            _POSITION_ID,
            Param(
                "side", Kind.INT, required=False, doc="int32; encoding undocumented [L]; ignored", wire_type="integer"
            ),
            Param(
                "positionMode",
                Kind.INT,
                required=False,
                doc="int32; encoding undocumented [L]; ignored",
                wire_type="integer",
            ),
            *_page(),
        ),
        response=s.arr(TPSL_ORDER),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=("An array; the id key is id, not orderId (DOC-C, Java model, JRK) [H].",),
        example={"symbol": "BTCUSDT"},
    ),
    _ep(
        "tpsl/get_history_orders",
        "GET",
        "tpsl",
        "Finished TP/SL orders, newest first, paged",
        params=(
            _SYMBOL_OPT,
            Param(
                "side", Kind.INT, required=False, doc="int32; encoding undocumented [L]; ignored", wire_type="integer"
            ),
            Param(
                "positionMode",
                Kind.INT,
                required=False,
                doc="int32; encoding undocumented [L]; ignored",
                wire_type="integer",
            ),
            _time("startTime"),
            _time("endTime"),
            *_page(),
        ),
        response=s.obj({"orderList": s.arr(TPSL_HISTORY), "total": _TOTAL}),
        errors=(*_E_PARAM, *_E_SYMBOL),
        confidence="M",
        notes=("The DOC-C example body is a copy of the positions example; the Java model has orderList/total.",),
        example={"symbol": "BTCUSDT"},
    ),
)

FUTURES_ENDPOINTS: tuple[Endpoint, ...] = _MARKET + _ACCOUNT + _POSITION + _TRADE + _TPSL
