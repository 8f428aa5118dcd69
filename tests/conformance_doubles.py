"""Deliberately broken clients: each carries one classic flaw, so the kit must fail the rule for it."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

from client_ref import Client
from client_ref import signing as ref_signing
from conformance import ClientError, ReferenceAdapter


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
