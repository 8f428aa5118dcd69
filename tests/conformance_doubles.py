"""Deliberately broken clients: each carries one classic flaw, so the kit must fail the rule for it."""

from __future__ import annotations

import base64
import json
import os
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from bench.conformance_time import ascii_signed_body as bench_ascii_signed_body
from client_ref import Client
from client_ref import signing as ref_signing
from client_ref._core import Call
from client_ref.models import Order
from conformance import ClientError, ReferenceAdapter
from conformance.adapter import _order


class WrongSort(ReferenceAdapter):
    """Joins query parameters in the order given instead of sorting them by key."""

    def sign(
        self, nonce: str, timestamp: str, api_key: str, secret: str, query_params: list[list[str]], body: str
    ) -> str:
        query = "".join(k + v for k, v in query_params)
        return ref_signing.sign(nonce, timestamp, api_key, secret, query, body.encode("utf-8"))


class _Nothing(list[Any]):
    """An empty answer that looks like any result: what a swallowing client hands back."""

    total = 0
    accepted = False
    order_id = None
    place_code = None

    def __getattr__(self, name: str) -> Any:
        return _Nothing()


class Swallow(ReferenceAdapter):
    """Catches exchange errors and returns an empty result, as many hand-written bots do."""

    def _run(self, fn: Any) -> Any:
        try:
            return super()._run(fn)
        except ClientError as err:
            if err.code == "transport":
                raise
            return _Nothing()


class FloatMoney(ReferenceAdapter):
    """Keeps amounts as binary floats: short values survive, long ones are silently rounded."""

    def balances(self) -> dict[str, dict[str, str]]:
        exact = super().balances()
        return {c: {k: repr(float(v)) for k, v in b.items()} for c, b in exact.items()}

    def place_order(
        self, symbol: str, side: int, type: int, volume: str, price: str | None, client_id: str | None
    ) -> dict[str, Any]:
        p = None if price is None else repr(float(price))
        return super().place_order(symbol, side, type, repr(float(volume)), p, client_id)


def _client(base_url: str, api_key: str, secret: str, transport: Any, **kw: Any) -> Client:
    return Client(base_url, api_key, secret, transport=transport, **kw)


def wrong_sort(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return WrongSort(_client(base_url, api_key, secret, transport))


def base64_nonce(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return ReferenceAdapter(
        _client(base_url, api_key, secret, transport, nonce=lambda: base64.b64encode(os.urandom(32)).decode())
    )


def reused_nonce(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    fixed = os.urandom(16).hex()
    return ReferenceAdapter(_client(base_url, api_key, secret, transport, nonce=lambda: fixed))


def seconds_timestamp(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return ReferenceAdapter(_client(base_url, api_key, secret, transport, clock_ms=lambda: int(time.time())))


def swallow_errors(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return Swallow(_client(base_url, api_key, secret, transport))


def float_money(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return FloatMoney(_client(base_url, api_key, secret, transport))


def no_resync(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    """Raises 100008 when its clock is behind the server's, without re-syncing from the Date header."""
    return ReferenceAdapter(_client(base_url, api_key, secret, transport, resync_on_expired=False))


def fast_clock(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    """Signs with a clock 90 s fast: live accepts it (the docs ask for +/-60 s)."""
    return ReferenceAdapter(_client(base_url, api_key, secret, transport, time_offset_ms=90_000))


class NullCrash(ReferenceAdapter):
    """Loops over the open-order list and the history page's rows without expecting ``data: null``."""

    def pending_orders(self, symbol: str) -> list[dict[str, Any]]:
        rows = self.client.run(Call("pending_list", {"symbol": symbol.upper()}, lambda d: d))
        return [_order(Order.from_wire(row)) for row in rows]

    def order_history(self, symbol: str, page: int, page_size: int) -> dict[str, Any]:
        params = {"symbol": symbol.upper(), "page": page, "pageSize": page_size}
        d = self.client.run(Call("history_page", params, lambda d: d))
        return {"total": int(d["total"]), "orders": [_order(Order.from_wire(row)) for row in d["data"]]}


def null_crash(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return NullCrash(_client(base_url, api_key, secret, transport))


class _Variants(httpx.BaseTransport):
    """Rewrites every JSON body the way other live clients write theirs, and signs the new bytes.

    Keys in reverse order with spaces after separators, amounts as JSON numbers, a market
    order's price "0" dropped, a generated clientId on orders without one; nonces are
    44-character base64. The exchange accepts all of it."""

    def __init__(self, inner: httpx.BaseTransport, api_key: str, secret: str) -> None:
        self.inner, self.api_key, self.secret = inner, api_key, secret
        self.ids = 0

    def _order(self, o: dict[str, Any]) -> dict[str, Any]:
        o = dict(o)
        if str(o.get("type")) == "2" and o.get("price") == "0":
            del o["price"]
        for k in ("volume", "price"):
            if k in o:
                o[k] = Decimal(o[k])
        if "clientId" not in o:
            self.ids += 1
            o["clientId"] = f"auto-{self.ids}"
        return dict(reversed(list(o.items())))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if body and "nonce" in request.headers:
            doc = json.loads(body)
            if request.url.path.endswith("/place_order"):
                doc = self._order(doc)  # keys reversed there
            elif request.url.path.endswith("/place_order/batch"):
                doc = {"orderList": [self._order(o) for o in doc["orderList"]]}
            else:
                doc = dict(reversed(list(doc.items())))
            body = _dump(doc).encode("utf-8")
            headers = dict(request.headers)
            headers.pop("content-length", None)
            headers["sign"] = ref_signing.sign(
                headers["nonce"], headers["timestamp"], self.api_key, self.secret, "", body
            )
            request = httpx.Request(request.method, request.url, headers=headers, content=body)
        return self.inner.handle_request(request)


def _dump(v: Any) -> str:
    """Spaced JSON with Decimals as bare numbers, digit for digit."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dump(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_dump(x) for x in v) + "]"
    if isinstance(v, Decimal):
        return format(v, "f")
    return json.dumps(v, ensure_ascii=False)


def variants(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    inner = transport if transport is not None else httpx.HTTPTransport()
    return ReferenceAdapter(
        _client(
            base_url,
            api_key,
            secret,
            _Variants(inner, api_key, secret),
            nonce=lambda: base64.b64encode(os.urandom(32)).decode(),
        )
    )


class ZeroBasedPages(ReferenceAdapter):
    """Counts history pages from 0, as many list APIs do; Bitunix counts from 1."""

    def order_history(self, symbol: str, page: int, page_size: int) -> dict[str, Any]:
        return super().order_history(symbol, page - 1, page_size)


def zero_based_pages(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return ZeroBasedPages(_client(base_url, api_key, secret, transport))


class DepthCrash(ReferenceAdapter):
    """Reads the book under a misspelt key: crashes after a request the exchange answered."""

    def depth(self, symbol: str) -> dict[str, Any]:
        book = super().depth(symbol)
        return {"asks": book["asks"], "bids": book["bid"]}


def depth_crash(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return DepthCrash(_client(base_url, api_key, secret, transport))


# The bench's failing run uses this double too; it lives there (the bench cannot import tests/).
ascii_signed_body = bench_ascii_signed_body


class FreeIncludesLocked(ReferenceAdapter):
    """Reads a coin's locked amount as free too (a free+locked "available"): right until an order rests."""

    def balances(self) -> dict[str, dict[str, str]]:
        out = {}
        for coin, b in super().balances().items():
            out[coin] = {"free": format(Decimal(b["free"]) + Decimal(b["locked"]), "f"), "locked": "0"}
        return out


def free_includes_locked(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return FreeIncludesLocked(_client(base_url, api_key, secret, transport))


class SideSwappedDetail(ReferenceAdapter):
    """Reads an order's side the other exchanges' way (1 buy, 2 sell) when looking one order up by id."""

    def order_detail(self, order_id: str) -> dict[str, Any] | None:
        order = super().order_detail(order_id)
        return None if order is None else {**order, "side": 3 - int(order["side"])}


def side_swapped_detail(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return SideSwappedDetail(_client(base_url, api_key, secret, transport))


class _CaseInsensitiveQuery(httpx.BaseTransport):
    """Sorts query keys the way people read them (str.lower, as localeCompare nearly does), sends them in
    that order and signs them so: right for every spot call (one key at most), wrong once keys differ in case."""

    def __init__(self, inner: httpx.BaseTransport, api_key: str, secret: str) -> None:
        self.inner, self.api_key, self.secret = inner, api_key, secret

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.query and "nonce" in request.headers:
            pairs = sorted(parse_qsl(request.url.query.decode(), keep_blank_values=True), key=lambda kv: kv[0].lower())
            headers = dict(request.headers)
            query = "".join(k + v for k, v in pairs)
            headers["sign"] = ref_signing.sign(headers["nonce"], headers["timestamp"], self.api_key, self.secret, query)
            url = request.url.copy_with(query=urlencode(pairs).encode())
            request = httpx.Request(request.method, url, headers=headers)
        return self.inner.handle_request(request)


class NoSigner(ReferenceAdapter):
    """A client whose signer is not exposed on its own: the kit cannot call ``sign``."""

    sign = None  # type: ignore[assignment]


def case_insensitive_sort(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    inner = transport if transport is not None else httpx.HTTPTransport()
    return NoSigner(_client(base_url, api_key, secret, _CaseInsensitiveQuery(inner, api_key, secret)))


class NoSignedGet(ReferenceAdapter):
    """A client without a generic signed GET: the sort rule cannot be judged."""

    signed_get = None  # type: ignore[assignment]


def no_signed_get(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return NoSignedGet(_client(base_url, api_key, secret, transport))
