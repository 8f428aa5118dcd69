"""Malformed requests get the exchange's error envelope and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockState

from ..helpers import Signed
from .test_errors import _fingerprint

PLACE = "/api/spot/v1/order/place_order"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"side":2,"type":1,',
        b"\xff\xfe\x00garbage",
        b"[1,2,3]",
        b'"a string"',
        b"null",
        b'{"side":true,"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":{"v":1},"price":"1","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":["1"],"price":"1","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":NaN,"price":"60000","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":Infinity,"price":"60000","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":"-1","price":"60000","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":"0","price":"60000","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":"1e-3","price":"60000","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":"0.001","price":"60000","symbol":"NOPEUSDT"}',
        b'{"side":2,"type":1,"volume":"0.001","price":"60000","symbol":""}',
        b'{"side":2,"type":1,"volume":"1234567890123456789012345678901234567890.5","price":"1","symbol":"BTCUSDT"}',
        b'{"side":2,"type":1,"volume":"0.001","price":"60000","symbol":"BTCUSDT","side":99}',
        b'{"side":' + b"9" * 5000 + b',"type":1,"volume":"1","price":"1","symbol":"BTCUSDT"}',
        b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        b'{"side":2,"type":1,"volume":"0.001","price":"60000"}',
        b"",
    ],
)
def test_bad_place_bodies_are_parameter_errors(body: bytes, client: TestClient, state: MockState) -> None:
    signed = Signed(client, now_ms=state.clock.now_ms)
    before = _fingerprint(state)
    resp = client.post(PLACE, content=body, headers=signed.headers(body=body))
    assert resp.status_code == 200
    assert resp.json() == {"code": "2", "msg": "Parameter error", "data": None, "success": False}
    assert _fingerprint(state) == before


def test_numbers_where_strings_are_declared_are_accepted(client: TestClient, state: MockState) -> None:
    signed = Signed(client, now_ms=state.clock.now_ms)
    doc = signed.post(PLACE, b'{"side":"2","type":"1","volume":0.001,"price":60000,"symbol":"BTCUSDT"}').json()
    assert doc["code"] == "0" and doc["data"]["placeStatus"] == "1" and doc["data"]["volume"] == "0.001"


def test_over_precise_volume_is_10058(client: TestClient, state: MockState) -> None:
    signed = Signed(client, now_ms=state.clock.now_ms)
    before = _fingerprint(state)
    doc = signed.post(
        PLACE, {"side": 2, "type": 1, "volume": "0.0000001", "price": "60000", "symbol": "BTCUSDT"}
    ).json()
    assert (doc["code"], doc["msg"]) == ("10058", "Volume precision error")
    assert _fingerprint(state) == before


@pytest.mark.parametrize(
    "query",
    [b"symbol=%FF%FE", b"symbol=" + b"A" * 100, b"symbol=BTCUSDT&precision=abc", b"symbol=BTCUSDT&precision=-1"],
)
def test_bad_queries(query: bytes, client: TestClient) -> None:
    resp = client.get("/api/spot/v1/market/depth?" + query.decode("latin-1"))
    assert resp.json() == {"code": "2", "msg": "Parameter error", "data": None, "success": False}


@pytest.mark.parametrize(
    "headers",
    [
        {"api-key": "", "nonce": "x" * 32, "timestamp": "1", "sign": "0"},
        {"api-key": "demo0000000000000000000000000001", "nonce": "", "timestamp": "1", "sign": "0"},
        {"api-key": "demo0000000000000000000000000001", "nonce": "x" * 32, "timestamp": "soon", "sign": "0"},
        {"api-key": "demo0000000000000000000000000001", "nonce": "x" * 32, "timestamp": "9" * 40, "sign": "0"},
        {"api-key": "demo0000000000000000000000000001", "nonce": "é" * 32, "timestamp": "1", "sign": "0"},
    ],
)
def test_bad_headers_never_crash(headers: dict[str, Any], client: TestClient, state: MockState) -> None:
    before = _fingerprint(state)
    resp = client.get("/api/spot/v1/user/account", headers={k: v.encode() for k, v in headers.items()})
    doc = resp.json()
    assert resp.status_code == 200 and doc["success"] is False and doc["data"] is None
    assert doc["code"] in {"100004", "900002", "100008"}
    assert _fingerprint(state) == before


def test_oversized_body_is_413(make_client) -> None:  # type: ignore[no-untyped-def]
    client, state = make_client(liquidity=False, max_body_bytes=1024)
    signed = Signed(client, now_ms=state.clock.now_ms)
    body = b'{"symbol":"' + b"A" * 2000 + b'"}'
    resp = client.post(PLACE, content=body, headers=signed.headers(body=body))
    assert resp.status_code == 413
    assert resp.json() == {"code": "413", "msg": "Request Entity Too Large", "data": None, "success": False}
