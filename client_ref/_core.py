"""What the sync and async clients share: the operation table, request building, answer parsing, retries.

No I/O happens here. A :class:`Call` says which operation to run with which
parameters and how to read its ``data``; :func:`prepare` turns it into the exact
bytes to send (signed over those very bytes); :func:`parse` turns the answer into
a result or an exception; :class:`RetryPolicy` decides whether to try again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

from .errors import (
    ConnectionFailed,
    ExchangeError,
    HttpStatusError,
    RequestExpired,
    UnexpectedResponse,
    error_for,
)
from .signing import canonical_query, encode_query, new_nonce, sign

__all__ = [
    "OPERATIONS",
    "SPOT_PRODUCT",
    "Call",
    "Credentials",
    "Operation",
    "Prepared",
    "Product",
    "RetryPolicy",
    "parse",
    "prepare",
    "server_offset_ms",
]

T = TypeVar("T")
DEFAULT_BASE_URL = "https://openapi.bitunix.com"
SPOT = "/api/spot/v1"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    signed: bool
    idempotent: bool  # safe to retry: reads only


def _op(method: str, path: str, signed: bool = True, idempotent: bool = True) -> Operation:
    return Operation(method, SPOT + path, signed, idempotent)


#: Every spot operation the client speaks, by the mock's operation name.
OPERATIONS: dict[str, Operation] = {
    "coin_pair_list": _op("GET", "/common/coin_pair/list", signed=False),
    "rate_list": _op("GET", "/common/rate/list", signed=False),
    "coin_network_list": _op("GET", "/common/coin/coin_network/list", signed=False),
    "last_price": _op("GET", "/market/last_price", signed=False),
    "depth": _op("GET", "/market/depth", signed=False),
    "kline": _op("GET", "/market/kline", signed=False),
    "kline_history": _op("GET", "/market/kline/history", signed=False),
    "account": _op("GET", "/user/account"),
    "user_info": _op("GET", "/user/info"),
    "place_order": _op("POST", "/order/place_order", idempotent=False),
    "place_order_batch": _op("POST", "/order/place_order/batch", idempotent=False),
    "cancel": _op("POST", "/order/cancel", idempotent=False),
    "pending_list": _op("POST", "/order/pending/list"),
    "history_page": _op("POST", "/order/history/page"),
    "order_detail": _op("GET", "/order/detail"),
    "deal_list": _op("POST", "/order/deal/list"),
    "withdraw": _op("POST", "/withdraw", idempotent=False),
    "withdraw_cancel": _op("POST", "/withdraw/cancel", idempotent=False),
    "inside_transfer": _op("POST", "/inside_transfer", idempotent=False),
    "inside_transfer_cancel": _op("POST", "/inside_transfer/cancel", idempotent=False),
    "withdraw_transfer_page": _op("POST", "/withdraw_transfer/page"),
    "funds_transfer": _op("POST", "/funds_transfer", idempotent=False),
    "deposit_page": _op("POST", "/deposit/page"),
    "deposit_address": _op("POST", "/deposit/address"),
}


@dataclass(frozen=True)
class Product:
    """What differs between the exchange's products (spot, futures) as the client sees them.

    The request building, signing, envelope reading and retry rules are shared; a product names its
    operations, how an error code becomes an exception, where it lives, and which refusals mean
    "your clock is off" (the client re-syncs from the reply's ``Date`` and repeats once).
    """

    name: str
    operations: Mapping[str, Operation]
    error_for: Callable[[str, str, int, float | None], ExchangeError]
    default_base_url: str
    #: Environment variables naming the base URL, first found wins.
    base_url_env: tuple[str, ...]
    #: A cheap public GET whose reply's ``Date`` header sets the clock offset (there is no time endpoint).
    clock_path: str
    expired: tuple[type[ExchangeError], ...]


SPOT_PRODUCT = Product(
    name="spot",
    operations=OPERATIONS,
    error_for=error_for,
    default_base_url=DEFAULT_BASE_URL,
    base_url_env=("BITUNIX_BASE_URL",),
    clock_path=SPOT + "/common/rate/list",
    expired=(RequestExpired,),
)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation with its parameters and the reader of its ``data``."""

    operation: str
    params: Mapping[str, Any]
    read: Callable[[Any], T]


@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret: str = field(repr=False)

    @classmethod
    def resolve(cls, api_key: str | None, secret: str | None) -> Credentials | None:
        key = api_key if api_key is not None else os.environ.get("BITUNIX_API_KEY")
        sec = secret if secret is not None else os.environ.get("BITUNIX_SECRET")
        return cls(key, sec) if key and sec else None


def resolve_base_url(base_url: str | None, product: Product = SPOT_PRODUCT) -> str:
    found = base_url or next((os.environ[v] for v in product.base_url_env if os.environ.get(v)), None)
    return (found or product.default_base_url).rstrip("/")


@dataclass(frozen=True)
class Prepared:
    """A request ready for the wire: the query and body here are the bytes that were signed."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    nonce: str | None


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _json_default(o: object) -> Any:
    if isinstance(o, Decimal):
        return format(o, "f")
    raise TypeError(f"cannot send {type(o).__name__}")


def prepare(
    call: Call[Any],
    base_url: str,
    credentials: Credentials | None,
    now_ms: Callable[[], int],
    nonce: Callable[[], str] = new_nonce,
    product: Product = SPOT_PRODUCT,
) -> Prepared:
    """Build (and sign, when the operation needs it) one attempt of ``call``. Every attempt gets a fresh nonce."""
    op = product.operations[call.operation]
    headers = {"content-type": "application/json"}
    body = b""
    query = ""
    if op.method == "GET":
        pairs = [(k, _query_value(v)) for k, v in call.params.items() if v is not None]
        query = canonical_query(pairs)
        url = base_url + op.path + ("?" + encode_query(pairs) if pairs else "")
    else:
        payload = {k: v for k, v in call.params.items() if v is not None}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")
        url = base_url + op.path
    used_nonce = None
    if op.signed:
        if credentials is None:
            raise ValueError(
                f"{call.operation} is signed: pass api_key and secret (or set BITUNIX_API_KEY/BITUNIX_SECRET)"
            )
        used_nonce = nonce()
        ts = str(now_ms())
        headers.update(
            {
                "api-key": credentials.api_key,
                "nonce": used_nonce,
                "timestamp": ts,
                "sign": sign(used_nonce, ts, credentials.api_key, credentials.secret, query, body),
            }
        )
    return Prepared(op.method, url, headers, body, used_nonce)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def parse(call: Call[T], status: int, headers: Mapping[str, str], body: bytes, product: Product = SPOT_PRODUCT) -> T:
    """The result of ``call`` from an HTTP answer, or the exception the answer means.

    ``code`` is ``"0"`` on success: a JSON string on spot, a JSON number on futures (``str(0) == "0"``,
    so one reading serves both, and a futures string ``"0"`` is accepted as some live clients do).
    """
    try:
        doc = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict) or "code" not in doc:
        if status >= 400:
            raise HttpStatusError(status, body.decode("utf-8", "replace"), _retry_after(headers))
        raise UnexpectedResponse(f"not an exchange envelope (HTTP {status}): {body[:200]!r}")
    code = str(doc["code"])
    if code != "0":
        raise product.error_for(code, str(doc.get("msg", "")), status, _retry_after(headers))
    if status >= 400:
        raise HttpStatusError(status, body.decode("utf-8", "replace"), _retry_after(headers))
    try:
        return call.read(doc.get("data"))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise UnexpectedResponse(f"{call.operation}: unexpected data shape: {exc!r}") from exc


@dataclass(frozen=True)
class RetryPolicy:
    """Retry reads only, on 429/5xx, "too frequent", a system error or a failed connection.

    Writes (placing, cancelling, moving money) are never retried: a lost answer
    does not say whether the order was placed, so the caller must look first.
    ``Retry-After`` wins over the exponential backoff, capped at ``max_delay``.
    """

    attempts: int = 3
    backoff: float = 0.2
    max_delay: float = 10.0

    def delay(self, call: Call[Any], attempt: int, error: Exception, product: Product = SPOT_PRODUCT) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up and raise."""
        if attempt >= self.attempts or not product.operations[call.operation].idempotent:
            return None
        if isinstance(error, (HttpStatusError, ExchangeError)):
            status = error.status if isinstance(error, HttpStatusError) else error.http_status
            busy = status == 429 or status >= 500 or (isinstance(error, ExchangeError) and error.busy)
            if not busy:
                return None
            if error.retry_after is not None:
                return float(min(error.retry_after, self.max_delay))
        elif not isinstance(error, ConnectionFailed):
            return None
        return float(min(self.backoff * 2.0 ** (attempt - 1), self.max_delay))


def server_offset_ms(date_header: str | None, sent_ms: int, received_ms: int) -> int:
    """Server minus local time from an HTTP ``Date`` header (1 s resolution), midpoint of the round trip."""
    if not date_header:
        return 0
    server_ms = int(parsedate_to_datetime(date_header).timestamp() * 1000) + 500
    return server_ms - (sent_ms + received_ms) // 2
