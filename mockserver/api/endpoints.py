"""The one table of Bitunix spot endpoints.

Routing, parameter validation, the OpenAPI document, the endpoint list of docs/endpoints.md
and the conformance kit's expectations all derive from :data:`ENDPOINTS`; each row's ``example`` request feeds
the endpoint tests, the recorded examples (fixtures/examples.py) and the OpenAPI examples.

Confidence marks follow ``shared/research/bitunix-spot-spec.md``: H = two or more
sources agree or seen live; M = one credible source (usually the official docs);
L = inferred. Each uncertainty is written into the row's ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .params import Kind, Param

__all__ = [
    "ENDPOINTS",
    "ENDPOINTS_BY_PATH",
    "EXAMPLE_IDS",
    "SPOT_PREFIX",
    "Endpoint",
    "RateLimit",
]

SPOT_PREFIX = "/api/spot/v1"
#: Hard bound on any list in a request or page (bounded work); the exchange-like caps are switches.
MAX_LIST_ITEMS = 1000

# Codes any signed endpoint can answer before its own handler runs, in checking order.
AUTH_ERRORS = ("100004", "900002", "100008", "100005", "900001", "100011", "110033", "110041")


@dataclass(frozen=True)
class RateLimit:
    """Requests per second the exchange states (or the mock assumes) and what they are counted by."""

    per_second: int
    scope: str  # "ip" or "key"
    stated: bool  # True when the official docs state it


@dataclass(frozen=True)
class Endpoint:
    operation: str
    method: str
    path: str
    group: str  # public | user | order | wallet
    summary: str
    auth: bool = False
    permission: str | None = None
    params: tuple[Param, ...] = ()
    response: s.Schema = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    confidence: str = "H"
    notes: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None
    success_msg: str = "result.success"  # the envelope's msg on success ("Success" where seen, §2.1)
    #: One valid request. A string ``"{order_id}"`` stands for an id an earlier request made; :meth:`request`
    #: fills it. The endpoint tests, the recorded examples and the OpenAPI document all send this request.
    example: Mapping[str, Any] = field(default_factory=dict)

    @property
    def in_query(self) -> bool:
        return self.method == "GET"

    @property
    def all_errors(self) -> tuple[str, ...]:
        """Every code this spot endpoint can answer with, auth codes first (any product's: ``Product.all_errors``)."""
        return (AUTH_ERRORS if self.auth else ("110041",)) + tuple(c for c in self.errors if c not in AUTH_ERRORS)

    def request(self, ids: Mapping[str, Any]) -> dict[str, Any]:
        """:attr:`example` with each ``"{name}"`` placeholder replaced by ``ids[name]`` (KeyError: a missing id)."""
        filled = _fill(self.example, ids)
        assert isinstance(filled, dict)
        return filled


#: What the examples' placeholders stand for where no earlier request made the ids (the OpenAPI document).
EXAMPLE_IDS: dict[str, Any] = {
    "order_id": "1909879608889339906",
    "resting_order_id": "1909879608889339905",
    "withdraw_id": "1909879608889339907",
    "transfer_id": "1909879608889339908",
    "uid": 10000001,
}


def _fill(value: Any, ids: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, Mapping):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, ids) for v in value]
    return value


# ----------------------------------------------------------------------- shapes

_DEC = s.string("decimal as text")
_ISO = s.string("ISO-8601 UTC time", format="date-time")

ORDER = s.obj(
    {
        "orderId": s.string(),
        "userId": s.string(),
        "clientId": s.nullable(s.string("undocumented; echoed live")),
        "symbol": s.string(),
        "base": s.string(),
        "quote": s.string(),
        "side": s.string("1 sell, 2 buy"),
        "type": s.string("1 limit, 2 market"),
        "orderType": s.string("same as type"),
        "price": _DEC,
        "avgPrice": _DEC,
        "volume": s.string("base quantity ordered"),
        "dealVolume": _DEC,
        "leftVolume": _DEC,
        "amount": s.string("order value in quote"),
        "dealAmount": _DEC,
        "leftAmount": _DEC,
        "status": s.string("1 open, 2 filled, 3 partially filled, 4 cancelled, 7 partially filled then cancelled"),
        "progress": s.string("filled percentage"),
        "fee": _DEC,
        "feeCoin": s.string(),
        "ctime": _ISO,
        "utime": _ISO,
    }
)

PLACED = s.one_of(
    s.obj(
        {
            "orderId": s.string(),
            "side": s.integer(),
            "type": s.integer(),
            "volume": s.string(),
            "price": s.string(),
            "symbol": s.string(),
            "placeStatus": s.string('"1" accepted'),
        },
        doc="accepted",
    ),
    s.obj(
        {
            "orderId": s.null(),
            "placeStatus": s.integer("0 refused"),
            "placeCode": s.string(),
            "placeMsg": s.string(),
        },
        doc='refused: code stays "0"; the reason is in placeCode/placeMsg (seen live)',
    ),
)

FILL = s.obj(
    {
        "id": s.string("trade id"),
        "volume": _DEC,
        "price": _DEC,
        "fee": _DEC,
        "feeCoin": s.string(),
        "role": s.string("1 maker, 2 taker"),
        "ctime": _ISO,
    }
)

CANDLE = s.obj(
    {
        "symbol": s.string("upper case, e.g. BTCUSDT"),
        "open": _DEC,
        "high": _DEC,
        "low": _DEC,
        "close": _DEC,
        "volume": _DEC,
        "ts": _ISO,
    }
)

PAIR = s.obj(
    {
        "id": s.integer(),
        "symbol": s.string("lower case, e.g. btcusdt"),
        "base": s.string(),
        "quote": s.string(),
        "basePrecision": s.integer(),
        "quotePrecision": s.integer(),
        "minPrice": s.string("minimum order value in quote, despite the name"),
        "minVolume": _DEC,
        "maxAmount": _DEC,
        "isOpen": s.integer(),
        "tradeArea": s.string(),
        "precisions": s.arr(s.string()),
    }
)

COIN = s.obj(
    {
        "name": s.string(),
        "fullName": s.string(),
        "isOpen": s.integer(),
        "depositOpen": s.integer(),
        "withdrawOpen": s.integer(),
        "networks": s.arr(s.obj({"network": s.string(), "chain": s.string(), "requireMemo": s.integer()})),
    }
)

# ------------------------------------------------------------------- params

_SYMBOL = Param("symbol", Kind.SYMBOL, doc="pair, e.g. BTCUSDT (case-insensitive)", max_len=32, example="BTCUSDT")
_INTERVALS = ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M")

_PLACE_FIELDS = (
    Param("side", Kind.ENUM_INT, choices=("1", "2"), doc="1 sell, 2 buy", wire_type="number", example=2),
    Param("type", Kind.ENUM_INT, choices=("1", "2"), doc="1 limit, 2 market", wire_type="number", example=1),
    Param(
        "volume",
        Kind.DECIMAL,
        doc="limit and market sell: base quantity; market buy: quote amount to spend",
        confidence="M",
        note="limit = base verified live; the docs disagree with themselves on market orders",
        example="0.001",
    ),
    Param(
        "price",
        Kind.DECIMAL,
        required=False,
        doc='limit price; ignored for market orders (clients send "0" or omit it)',
        example="60000",
    ),
    _SYMBOL,
    Param(
        "clientId",
        Kind.STRING,
        required=False,
        max_len=64,
        doc="undocumented; kept and echoed on order reads",
        confidence="M",
        note="seen live; not a lookup key",
    ),
)

_ERR_PLACE = ("2", "10058", "10059")

ENDPOINTS: tuple[Endpoint, ...] = (
    # ------------------------------------------------------------ public
    Endpoint(
        "coin_pair_list",
        "GET",
        f"{SPOT_PREFIX}/common/coin_pair/list",
        "public",
        "All trading pairs and their rules",
        response=s.arr(PAIR),
        notes=(
            "Field types follow a recorded live reply (numbers for ids, precisions and flags), not the doc tables.",
        ),
    ),
    Endpoint(
        "rate_list",
        "GET",
        f"{SPOT_PREFIX}/common/rate/list",
        "public",
        "Fiat conversion rates",
        response=s.arr(s.obj({"baseSymbol": s.string(), "quoteSymbol": s.string(), "rate": _DEC})),
        confidence="M",
    ),
    Endpoint(
        "coin_network_list",
        "GET",
        f"{SPOT_PREFIX}/common/coin/coin_network/list",
        "public",
        "Coins and their deposit/withdraw networks",
        response=s.arr(COIN),
        confidence="M",
        success_msg="Success",
    ),
    Endpoint(
        "last_price",
        "GET",
        f"{SPOT_PREFIX}/market/last_price",
        "public",
        "Last traded price of one pair",
        params=(_SYMBOL,),
        response=s.string("price as a bare string"),
        errors=("2",),
        example={"symbol": "BTCUSDT"},
    ),
    Endpoint(
        "depth",
        "GET",
        f"{SPOT_PREFIX}/market/depth",
        "public",
        "Order book aggregated to a price step",
        params=(
            _SYMBOL,
            Param(
                "precision",
                Kind.DECIMAL,
                required=False,
                doc="aggregation step; one of the pair's precisions (default: the finest)",
                confidence="L",
                note="required per the docs, optional per one SDK; the mock defaults to the finest step",
                example="0.01",
            ),
        ),
        response=s.obj(
            {
                "asks": s.arr(s.obj({"price": _DEC, "volume": _DEC})),
                "bids": s.arr(s.obj({"price": _DEC, "volume": _DEC})),
                "ts": s.string("ms timestamp as text"),
            }
        ),
        errors=("2",),
        confidence="M",
        notes=("50 levels per side, as seen live.",),
        example={"symbol": "BTCUSDT", "precision": "1"},
    ),
    Endpoint(
        "kline",
        "GET",
        f"{SPOT_PREFIX}/market/kline",
        "public",
        "Latest candles, including the one in progress",
        params=(
            _SYMBOL,
            Param("interval", Kind.ENUM_STR, choices=_INTERVALS, doc="minutes, or D/W/M", example="60"),
        ),
        response=s.arr(CANDLE),
        errors=("2",),
        confidence="M",
        notes=(
            "The docs describe one object; a live note saw an array of about 201 candles.",
            "The mock follows the live note.",
            "Newest first (assumed, as kline/history).",
        ),
        success_msg="Success",
        example={"symbol": "BTCUSDT", "interval": "60"},
    ),
    Endpoint(
        "kline_history",
        "GET",
        f"{SPOT_PREFIX}/market/kline/history",
        "public",
        "Closed candles before endTime",
        params=(
            _SYMBOL,
            Param("interval", Kind.ENUM_STR, required=False, choices=_INTERVALS, default="1", example="60"),
            Param(
                "endTime",
                Kind.UNIX_SECONDS,
                required=False,
                doc="unix seconds, exclusive; default now",
                example="1724285700",
            ),
            Param(
                "limit",
                Kind.INT,
                required=False,
                min_value=1,
                default=200,
                doc="1-500, default 200; above 500 answers an empty list (seen live)",
                wire_type="string",
                example="100",
            ),
        ),
        response=s.arr(CANDLE),
        errors=("2",),
        confidence="M",
        notes=("Newest first; only closed candles.",),
        success_msg="Success",
        example={"symbol": "BTCUSDT", "interval": "D", "limit": 3},
    ),
    # -------------------------------------------------------------- user
    Endpoint(
        "account",
        "GET",
        f"{SPOT_PREFIX}/user/account",
        "user",
        "Balances: free (balance) and in open orders (balanceLocked)",
        auth=True,
        permission="read",
        response=s.nullable(s.arr(s.obj({"coin": s.string(), "balance": s.number(), "balanceLocked": s.number()}))),
        notes=(
            "balance and balanceLocked are JSON numbers (docs, two SDKs).",
            "An account with no balances answers data null (seen live).",
            "The mock reads balance as the free amount; the sources do not settle this.",
        ),
    ),
    Endpoint(
        "user_info",
        "GET",
        f"{SPOT_PREFIX}/user/info",
        "user",
        "The key's account uid",
        auth=True,
        permission="read",
        response=s.obj({"uid": s.nullable(s.integer())}),
        confidence="M",
    ),
    # ------------------------------------------------------------- order
    Endpoint(
        "place_order",
        "POST",
        f"{SPOT_PREFIX}/order/place_order",
        "order",
        "Place one limit or market order",
        auth=True,
        permission="trade",
        params=_PLACE_FIELDS,
        response=PLACED,
        errors=_ERR_PLACE,
        notes=(
            'A refused placement answers code "0" with placeStatus 0 and placeCode/placeMsg (seen live).',
            "Market buy volume is a quote amount (best reading of conflicting docs).",
        ),
        rate_limit=RateLimit(10, "key", stated=False),
        example={"side": 2, "type": 1, "volume": "0.01", "price": "64100", "symbol": "BTCUSDT"},
    ),
    Endpoint(
        "place_order_batch",
        "POST",
        f"{SPOT_PREFIX}/order/place_order/batch",
        "order",
        "Place several orders; each is accepted or refused on its own",
        auth=True,
        permission="trade",
        params=(
            Param(
                "orderList",
                Kind.OBJECT_LIST,
                items=_PLACE_FIELDS,
                max_items=MAX_LIST_ITEMS,
                per_item=True,
                confidence="L",
                note="the spot maximum is undocumented; futures allows 20 (switch batch_cap); each item gets its own "
                "result, a bad one does not sink the others",
            ),
        ),
        response=s.arr(PLACED),
        errors=("2",),  # an item's own refusal (2, 10058, 10059, placeCodes) is in its placeCode
        confidence="M",
        rate_limit=RateLimit(5, "key", stated=False),
        example={
            "orderList": [
                {"side": 2, "type": 1, "volume": "0.002", "price": "60000", "symbol": "BTCUSDT"},
                {"side": 1, "type": 2, "volume": "0.5", "price": "0", "symbol": "ETHUSDT"},
                {"side": 2, "type": 1, "volume": "10", "price": "60000", "symbol": "BTCUSDT"},
                {"side": 2, "type": 1, "volume": "0.001", "price": "59000", "symbol": "BTCUSDT"},
            ]
        },
    ),
    Endpoint(
        "cancel",
        "POST",
        f"{SPOT_PREFIX}/order/cancel",
        "order",
        "Cancel orders by id (one or many)",
        auth=True,
        permission="trade",
        params=(
            Param(
                "orderIdList",
                Kind.OBJECT_LIST,
                items=(
                    Param("orderId", Kind.STRING, required=False, max_len=32, example="1909879608889339906"),
                    Param(
                        "clientId",
                        Kind.STRING,
                        required=False,
                        max_len=64,
                        doc="live: success, cancels nothing, the order gets stuck (switch cancel_by_client_id)",
                        confidence="M",
                    ),
                    _SYMBOL,
                ),
                max_items=MAX_LIST_ITEMS,
                confidence="L",
                note="maximum undocumented; one SDK caps at 20 (switch batch_cap)",
            ),
        ),
        response=s.null(),
        errors=("2",),
        notes=("Unknown ids still answer success (seen live).",),
        rate_limit=RateLimit(5, "key", stated=False),
        example={"orderIdList": [{"orderId": "{resting_order_id}", "symbol": "BTCUSDT"}]},
    ),
    Endpoint(
        "pending_list",
        "POST",
        f"{SPOT_PREFIX}/order/pending/list",
        "order",
        "Open orders of one pair",
        auth=True,
        permission="read",
        params=(_SYMBOL,),
        response=s.nullable(s.arr(ORDER)),
        errors=("2",),
        notes=(f"Not paginated; the newest {MAX_LIST_ITEMS} open orders of the pair (a cap no source gives).",),
        example={"symbol": "BTCUSDT"},
    ),
    Endpoint(
        "history_page",
        "POST",
        f"{SPOT_PREFIX}/order/history/page",
        "order",
        "Orders of one pair, newest first, paged",
        auth=True,
        permission="read",
        params=(
            _SYMBOL,
            Param("page", Kind.INT, required=False, min_value=1, default=1, wire_type="number"),
            Param(
                "pageSize",
                Kind.INT,
                required=False,
                min_value=1,
                max_value=MAX_LIST_ITEMS,
                default=10,
                wire_type="number",
                confidence="L",
                note="maximum unknown; 100 used live (switch page_size_cap: clamp, refuse or off above 100)",
            ),
            Param("startTime", Kind.ISO_TIME, required=False, doc="ISO-8601, on creation time", confidence="M"),
            Param("endTime", Kind.ISO_TIME, required=False, doc="ISO-8601, on creation time", confidence="M"),
            Param("status", Kind.ENUM_STR, required=False, choices=("1", "2", "3", "4", "7")),
            Param("side", Kind.ENUM_STR, required=False, choices=("1", "2")),
            Param("type", Kind.ENUM_STR, required=False, choices=("1", "2")),
        ),
        response=s.obj(
            {"total": s.integer(), "pageNum": s.integer(), "pageSize": s.integer(), "data": s.nullable(s.arr(ORDER))}
        ),
        errors=("2",),
        confidence="M",
        example={"symbol": "BTCUSDT", "page": 1, "pageSize": 10},
    ),
    Endpoint(
        "order_detail",
        "GET",
        f"{SPOT_PREFIX}/order/detail",
        "order",
        "One order by id",
        auth=True,
        permission="read",
        params=(Param("orderId", Kind.STRING, max_len=32, example="1909879608889339906"),),
        response=s.nullable(ORDER),
        errors=("2",),
        notes=('An unknown id answers code "0" with data null (seen live).',),
        example={"orderId": "{order_id}"},
    ),
    Endpoint(
        "deal_list",
        "POST",
        f"{SPOT_PREFIX}/order/deal/list",
        "order",
        "Fills of one order",
        auth=True,
        permission="read",
        params=(Param("orderId", Kind.STRING, max_len=32, example="1909879608889339906"), _SYMBOL),
        response=s.arr(FILL),
        errors=("2",),
        confidence="M",
        notes=("The docs say an object; live it is an array, [] for an unknown order.",),
        example={"orderId": "{order_id}", "symbol": "BTCUSDT"},
    ),
)

# --------------------------------------------------------------- wallet
# Documented by the official docs only; no source exercised them live. All POST,
# signed, "10 times/1 second (IP)" per the docs.

_WALLET_LIMIT = RateLimit(10, "ip", stated=True)
_COIN = Param("coin", Kind.COIN, doc="coin, e.g. USDT", max_len=16, example="USDT")
_AMOUNT = Param("amount", Kind.DECIMAL, doc="amount as decimal text", example="10")
_WALLET_NOTE = ("Documented only; never exercised live in any source. The mock's model is in docs/fidelity.md.",)
_ID_RESULT = s.string("record id")
_NS = s.nullable(s.string())
_WITHDRAW_RECORD = s.obj(
    {
        "id": s.string("19 digits"),
        "outBizId": _NS,
        "type": s.string("withdraw | inside_transfer_out"),
        "coin": s.string(),
        "amount": s.string("20 decimals; a withdrawal shows what arrives (amount minus fee)"),
        "status": s.string("verification | pending | cancelled | success | fail"),
        "ctime": s.integer("ms"),
        "network": _NS,
        "address": _NS,
        "transactionHash": s.nullable(s.string("null until settled")),
        "feeCoin": s.nullable(s.string("null until settled")),
        "fee": s.nullable(s.string("null until settled")),
        "memo": _NS,
        "toType": _NS,
        "toUid": s.nullable(s.integer()),
        "toPhoneCountryCode": _NS,
        "toPhoneNumber": _NS,
        "toEmail": _NS,
        "remark": _NS,
    }
)
_DEPOSIT_RECORD = s.obj(
    {
        "id": s.integer("a JSON number (19 digits here)"),
        "transactionHash": s.nullable(s.string("null on internal transfers")),
        "coin": s.string(),
        "network": s.nullable(s.string("null on internal transfers")),
        "type": s.string("deposit | inside_transfer_in"),
        "fromAddress": _NS,
        "toAddress": _NS,
        "amount": s.string("8 decimals"),
        "status": s.string("pending | cancelled | success | fail"),
        "ctime": s.integer("ms"),
    }
)
_RANGE = (
    Param("startTime", Kind.INT, required=False, doc="ms", wire_type="integer"),
    Param("endTime", Kind.INT, required=False, doc="ms", wire_type="integer"),
    Param("limit", Kind.INT, required=False, min_value=1, max_value=100, default=100, wire_type="integer"),
)

WALLET_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "withdraw",
        "POST",
        f"{SPOT_PREFIX}/withdraw",
        "wallet",
        "Withdraw to an on-chain address",
        auth=True,
        permission="withdraw",
        params=(
            _COIN,
            Param(
                "network",
                Kind.STRING,
                max_len=32,
                doc="display name as coin_network/list serves it",
                example="Tron (TRC-20)",
            ),
            Param("address", Kind.STRING, max_len=128, example="TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"),
            _AMOUNT,
            Param("memo", Kind.STRING, required=False, max_len=128),
        ),
        response=_ID_RESULT,
        errors=("2", "10034", "110007", "110008"),
        confidence="M",
        notes=_WALLET_NOTE,
        rate_limit=_WALLET_LIMIT,
        example={
            "coin": "USDT",
            "network": "Tron (TRC-20)",
            "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
            "amount": "25",
        },
    ),
    Endpoint(
        "withdraw_cancel",
        "POST",
        f"{SPOT_PREFIX}/withdraw/cancel",
        "wallet",
        "Cancel a pending withdrawal",
        auth=True,
        permission="withdraw",
        params=(Param("withdrawId", Kind.STRING, max_len=32, example="1909879608889339907"),),
        response=s.null(),
        errors=("2",),
        confidence="M",
        notes=_WALLET_NOTE,
        rate_limit=_WALLET_LIMIT,
        example={"withdrawId": "{withdraw_id}"},
    ),
    Endpoint(
        "inside_transfer",
        "POST",
        f"{SPOT_PREFIX}/inside_transfer",
        "wallet",
        "Transfer to another Bitunix user",
        auth=True,
        permission="withdraw",
        params=(
            Param("outBizId", Kind.STRING, required=False, max_len=32, doc="idempotency key"),
            _COIN,
            _AMOUNT,
            Param("toType", Kind.ENUM_STR, choices=("uid", "phone", "email"), example="uid"),
            Param("toUid", Kind.INT, required=False, wire_type="integer", example=10000001),
            Param("toPhoneCountryCode", Kind.STRING, required=False, max_len=8),
            Param("toPhoneNumber", Kind.STRING, required=False, max_len=32),
            Param("toEmail", Kind.STRING, required=False, max_len=128),
            Param("remark", Kind.STRING, required=False, max_len=128),
        ),
        response=_ID_RESULT,
        errors=("2", "10034"),
        confidence="M",
        notes=(*_WALLET_NOTE, "The mock resolves recipients by uid only."),
        rate_limit=_WALLET_LIMIT,
        example={"coin": "USDT", "amount": "5", "toType": "uid", "toUid": "{uid}"},
    ),
    Endpoint(
        "inside_transfer_cancel",
        "POST",
        f"{SPOT_PREFIX}/inside_transfer/cancel",
        "wallet",
        "Cancel an internal transfer",
        auth=True,
        permission="withdraw",
        params=(Param("insideTransferId", Kind.STRING, max_len=32, example="1909879608889339908"),),
        response=s.null(),
        errors=("2",),
        confidence="M",
        notes=(*_WALLET_NOTE, "Internal transfers settle at once in the mock, so a cancel always answers 2."),
        rate_limit=_WALLET_LIMIT,
        example={"insideTransferId": "{transfer_id}"},
    ),
    Endpoint(
        "withdraw_transfer_page",
        "POST",
        f"{SPOT_PREFIX}/withdraw_transfer/page",
        "wallet",
        "Withdrawals and internal transfers out, newest first",
        auth=True,
        permission="read",
        params=(
            Param("id", Kind.STRING, required=False, max_len=32),
            Param("outBizId", Kind.STRING, required=False, max_len=32),
            Param("coin", Kind.COIN, required=False, max_len=16),
            Param("transactionHash", Kind.STRING, required=False, max_len=128),
            Param("type", Kind.ENUM_STR, required=False, choices=("withdraw", "inside_transfer_out")),
            *_RANGE,
            Param("remark", Kind.STRING, required=False, max_len=128),
        ),
        response=s.arr(_WITHDRAW_RECORD),
        errors=("2",),
        confidence="M",
        notes=_WALLET_NOTE,
        rate_limit=_WALLET_LIMIT,
        example={"coin": "USDT", "limit": 10},
    ),
    Endpoint(
        "funds_transfer",
        "POST",
        f"{SPOT_PREFIX}/funds_transfer",
        "wallet",
        "Move funds between the spot and futures wallets",
        auth=True,
        permission="transfer",
        params=(
            Param("type", Kind.ENUM_STR, choices=("spot_futures", "futures_spot"), example="spot_futures"),
            _COIN,
            _AMOUNT,
        ),
        response=_ID_RESULT,
        errors=("2", "10034"),
        confidence="M",
        notes=_WALLET_NOTE,
        rate_limit=_WALLET_LIMIT,
        example={"type": "spot_futures", "coin": "USDT", "amount": "10"},
    ),
    Endpoint(
        "deposit_page",
        "POST",
        f"{SPOT_PREFIX}/deposit/page",
        "wallet",
        "Deposits and internal transfers in, newest first",
        auth=True,
        permission="read",
        params=(
            Param("id", Kind.STRING, required=False, max_len=32),
            Param("coin", Kind.COIN, required=False, max_len=16),
            Param("type", Kind.ENUM_STR, required=False, choices=("deposit", "inside_transfer_in")),
            Param("transactionHash", Kind.STRING, required=False, max_len=128),
            *_RANGE,
        ),
        response=s.arr(_DEPOSIT_RECORD),
        errors=("2",),
        confidence="M",
        notes=(*_WALLET_NOTE, "Admin funding of an account is listed as a deposit."),
        rate_limit=_WALLET_LIMIT,
        success_msg="Success",
        example={"coin": "USDT", "limit": 10},
    ),
    Endpoint(
        "deposit_address",
        "POST",
        f"{SPOT_PREFIX}/deposit/address",
        "wallet",
        "Deposit address of a coin on a network",
        auth=True,
        permission="read",
        params=(_COIN, Param("network", Kind.STRING, max_len=32, example="Tron (TRC-20)")),
        response=s.arr(s.obj({"coin": s.string(), "network": s.string(), "address": s.string(), "memo": _NS})),
        errors=("2",),
        confidence="M",
        notes=(*_WALLET_NOTE, "Addresses are deterministic per account, coin and network."),
        rate_limit=_WALLET_LIMIT,
        example={"coin": "USDT", "network": "Tron (TRC-20)"},
    ),
)

ENDPOINTS = ENDPOINTS + WALLET_ENDPOINTS

ENDPOINTS_BY_PATH: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS}
