"""Deliberately broken futures clients: each carries one classic futures flaw, so the kit must fail the rule for it.

Each is the reference adapter (spot and futures) with the flaw put in its futures client: through an
httpx transport that rewrites what goes on the wire (and signs it as the flawed client would), or by
overriding the adapter operation the flawed client gets wrong.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx

from client_ref import Client
from client_ref import signing as ref_signing
from client_ref._core import Call
from client_ref.futures import FuturesClient
from conformance import ClientError, ReferenceAdapter

from ..conformance_doubles import _Nothing


def _adapter(
    cls: type[ReferenceAdapter],
    base_url: str,
    api_key: str,
    secret: str,
    transport: Any,
    wire: type[httpx.BaseTransport] | None = None,
    **kw: Any,
) -> ReferenceAdapter:
    """``cls`` over a spot client and a futures client (whose transport ``wire`` wraps, and built with ``kw``)."""
    inner = transport if transport is not None else httpx.HTTPTransport()
    futures_transport = inner if wire is None else wire(inner, api_key, secret)  # type: ignore[call-arg]
    return cls(
        Client(base_url, api_key, secret, transport=transport),
        FuturesClient(base_url, api_key, secret, transport=futures_transport, **kw),
    )


class _Resign(httpx.BaseTransport):
    """A transport that rewrites a signed request (:meth:`rewrite`) and signs it again as the flawed client does."""

    def __init__(self, inner: httpx.BaseTransport, api_key: str, secret: str) -> None:
        self.inner, self.api_key, self.secret = inner, api_key, secret

    def rewrite(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Request:
        raise NotImplementedError

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "nonce" in request.headers:
            request.read()
            request = self.rewrite(request, dict(request.headers))
        return self.inner.handle_request(request)

    def _sign(self, headers: dict[str, str], query: str, body: bytes) -> str:
        return ref_signing.sign(headers["nonce"], headers["timestamp"], self.api_key, self.secret, query, body)


class _QueryWithSeparators(_Resign):
    """Signs a GET's query as the URL has it, ``k=v&k=v`` (sorted), instead of ``kvkv``."""

    def rewrite(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Request:
        if request.method != "GET" or not request.url.query:
            return request
        pairs = sorted(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        headers["sign"] = self._sign(headers, "&".join(f"{k}={v}" for k, v in pairs) + "&", b"")
        return httpx.Request(request.method, request.url, headers=headers)


class _ReserializedBody(_Resign):
    """Signs the body it built (compact), then serializes it again for sending (spaced): other bytes than signed."""

    def rewrite(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Request:
        if request.method != "POST" or not request.content:
            return request
        doc = json.loads(request.content)
        compact = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers["sign"] = self._sign(headers, "", compact)
        sent = json.dumps(doc, ensure_ascii=False).encode("utf-8")  # ", " and ": ": the bytes differ
        headers.pop("content-length", None)
        return httpx.Request(request.method, request.url, headers=headers, content=sent)


class _SpacedBody(_Resign):
    """Sends spaced JSON and signs those bytes, as the official futures demo does: accepted (a WARN at most)."""

    def rewrite(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Request:
        if request.method != "POST" or not request.content:
            return request
        sent = json.dumps(json.loads(request.content), ensure_ascii=False).encode("utf-8")
        headers["sign"] = self._sign(headers, "", sent)
        headers.pop("content-length", None)
        return httpx.Request(request.method, request.url, headers=headers, content=sent)


def query_with_separators(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(ReferenceAdapter, base_url, api_key, secret, transport, _QueryWithSeparators)


def reserialized_body(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(ReferenceAdapter, base_url, api_key, secret, transport, _ReserializedBody)


def spaced_body(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(ReferenceAdapter, base_url, api_key, secret, transport, _SpacedBody)


def reused_futures_nonce(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    fixed = os.urandom(16).hex()
    return _adapter(ReferenceAdapter, base_url, api_key, secret, transport, nonce=lambda: fixed)


class _Recorder(httpx.BaseTransport):
    """Keeps the last answer's body, so the flawed envelope check below can look at the raw ``code``."""

    def __init__(self, inner: httpx.BaseTransport, api_key: str, secret: str) -> None:
        self.inner = inner
        self.last = b""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resp = self.inner.handle_request(request)
        self.last = resp.read()
        return httpx.Response(resp.status_code, headers=resp.headers, content=self.last)


class StringCode(ReferenceAdapter):
    """Checks the futures envelope as spot's: ``doc["code"] != "0"`` is an error, so a success (0) raises."""

    def _run(self, fn: Any) -> Any:
        result = super()._run(fn)
        wire = self.futures._http._transport
        if isinstance(wire, _Recorder) and wire.last:
            doc = json.loads(wire.last)
            wire.last = b""
            if doc["code"] != "0":
                raise ClientError(str(doc["code"]), str(doc.get("msg", "")), "ExchangeError")
        return result


def string_code(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(StringCode, base_url, api_key, secret, transport, _Recorder)


class SwallowFutures(ReferenceAdapter):
    """Catches exchange errors and returns an empty result (as bots that log and go on do)."""

    def _run(self, fn: Any) -> Any:
        try:
            return super()._run(fn)
        except ClientError as err:
            if err.code == "transport":
                raise
            return _Nothing()


def swallow_futures_errors(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(SwallowFutures, base_url, api_key, secret, transport)


class AccountListOnly(ReferenceAdapter):
    """Reads the account as the docs' example shows it, ``data[0]``: crashes on live's object."""

    def futures_account(self, margin_coin: str = "USDT") -> dict[str, Any]:
        data = self._run(lambda: self.futures.run(Call("futures.account", {"marginCoin": margin_coin}, lambda d: d)))
        row = data[0]
        return {k: row[w] for k, w in (("available", "available"), ("frozen", "frozen"), ("margin", "margin"))}


def account_list_only(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(AccountListOnly, base_url, api_key, secret, transport)


class PositionSideOrders(ReferenceAdapter):
    """Sends an opening order's side as the position's direction, LONG or SHORT (refused: 10008)."""

    def futures_place_order(self, symbol: str, side: str, order_type: str, qty: str, price: str | None,
                            trade_side: str | None, position_id: str | None, reduce_only: bool | None,
                            client_id: str | None) -> dict[str, Any]:  # fmt: skip
        if trade_side != "OPEN":
            return super().futures_place_order(
                symbol, side, order_type, qty, price, trade_side, position_id, reduce_only, client_id
            )
        body = {"symbol": symbol, "side": "LONG" if side == "BUY" else "SHORT", "tradeSide": "OPEN"}
        body.update({"orderType": order_type, "qty": qty})
        r = self._run(lambda: self.futures.run(Call("futures.trade_place_order", body, lambda d: d)))
        return {"order_id": r["orderId"], "client_id": r.get("clientId")}


def position_side_orders(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(PositionSideOrders, base_url, api_key, secret, transport)


class WireSidePositions(ReferenceAdapter):
    """Passes a position's wire ``side`` on as its direction: live's BUY for a long reads as "BUY"."""

    def futures_pending_positions(self, symbol: str) -> list[dict[str, Any]]:
        rows = self._run(
            lambda: self.futures.run(Call("futures.position_get_pending_positions", {"symbol": symbol}, lambda d: d))
        )
        return [
            {"position_id": r["positionId"], "symbol": r["symbol"], "side": r["side"], "qty": r["qty"]} for r in rows
        ]


def wire_side_positions(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(WireSidePositions, base_url, api_key, secret, transport)


class SkipAsPage(ReferenceAdapter):
    """Sends ``skip`` as a page number (skip 3 with limit 3 -> skip 9), as page-numbered APIs count."""

    def futures_pending_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return super().futures_pending_orders(symbol, skip * limit, limit)

    def futures_history_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return super().futures_history_orders(symbol, skip * limit, limit)


def skip_as_page(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(SkipAsPage, base_url, api_key, secret, transport)


class StrictShapes(ReferenceAdapter):
    """Reads only the live forms, strictly: the docs' array account, LONG/SHORT sides and integer totals, and live's
    NEW_ padding, are refused or passed on (a client that tolerates no documented oddity: WARNs, never a failure).

    Each read is the reference's, then judged on the raw answer (kept by :class:`_Recorder`), so the requests
    are the reference's own."""

    def _data(self) -> Any:
        wire = self.futures._http._transport
        assert isinstance(wire, _Recorder)
        return json.loads(wire.last)["data"]

    def futures_account(self, margin_coin: str = "USDT") -> dict[str, Any]:
        out = super().futures_account(margin_coin)
        if not isinstance(self._data(), dict):
            raise TypeError(f"the account is not an object: {self._data()!r:.80}")
        return out

    def futures_pending_positions(self, symbol: str) -> list[dict[str, Any]]:
        out = super().futures_pending_positions(symbol)
        sides = {"BUY": "LONG", "SELL": "SHORT"}
        return [{**p, "side": sides[r["side"]]} for p, r in zip(out, self._data(), strict=True)]

    def futures_pending_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        out = super().futures_pending_orders(symbol, skip, limit)
        if not isinstance(self._data()["total"], str):
            raise TypeError(f"total {self._data()['total']!r} is not a string")
        return out

    def futures_order_detail(self, order_id: str) -> dict[str, Any]:
        return {**super().futures_order_detail(order_id), "status": self._data()["status"]}  # NEW_ passed on


def strict_shapes(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(StrictShapes, base_url, api_key, secret, transport, _Recorder)


def seconds_futures_timestamp(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    """Signs futures requests with seconds since the epoch (10 digits), as a WS-login habit carried over."""
    return _adapter(ReferenceAdapter, base_url, api_key, secret, transport, clock_ms=lambda: int(time.time()))


class DropsReduceOnly(ReferenceAdapter):
    """Never sends ``reduceOnly``: in one-way mode a closing SELL still nets the long down, but a stray one opens a
    short instead of being refused."""

    def futures_place_order(self, symbol: str, side: str, order_type: str, qty: str, price: str | None,
                            trade_side: str | None, position_id: str | None, reduce_only: bool | None,
                            client_id: str | None) -> dict[str, Any]:  # fmt: skip
        return super().futures_place_order(
            symbol, side, order_type, qty, price, trade_side, position_id, None, client_id
        )


def drops_reduce_only(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    return _adapter(DropsReduceOnly, base_url, api_key, secret, transport)
