"""Futures signature vectors, asserted through the futures client's own requests (spec §1.3, §1.6).

Each vector is sent by the client through an ``httpx.MockTransport``; the test checks the exact
headers, query string and body bytes on the wire and that the ``sign`` header is the vector's. The
expected digests and signs are the published ones (the official Go demo's test, passivbot's test,
the spec's worked examples A-E), not recomputed here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client_ref import signing
from client_ref.futures import OrderType, Side, TradeSide
from client_ref.futures.models import Effect

from .wire import API_KEY, COLOURS, NONCE, NOW_MS, SECRET, call, envelope, replying

ACCOUNT = envelope(
    {
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
)
ORDER_PAGE = envelope({"orderList": [], "total": "0"})
PLACED = envelope({"orderId": "1998877665544332211", "clientId": "mock-1"})
CANCELLED = envelope({"successList": [{"orderId": "1234567890", "clientId": ""}], "failureList": []})

BODY_C = (
    b'{"symbol":"BTCUSDT","side":"BUY","tradeSide":"OPEN","orderType":"LIMIT","qty":"0.01",'
    b'"price":"60000","effect":"GTC","reduceOnly":false,"clientId":"mock-1"}'
)
BODY_C_SPACED = (
    b'{"symbol": "BTCUSDT", "side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "0.01", '
    b'"price": "60000", "effect": "GTC", "reduceOnly": false, "clientId": "mock-1"}'
)
BODY_D = b'{"symbol":"BTCUSDT","orderList":[{"orderId":"1234567890"}]}'


def _one(
    colour: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], reply: bytes, **who: Any
) -> httpx.Request:
    _, sent = call(colour, method, args, kwargs, replying(reply), **who)
    assert len(sent) == 1
    return sent[0]


def _signed_headers(req: httpx.Request, key: str, nonce: str, ts: str) -> dict[str, str]:
    mine = {k: req.headers[k] for k in ("api-key", "nonce", "timestamp", "content-type")}
    assert mine == {"api-key": key, "nonce": nonce, "timestamp": ts, "content-type": "application/json"}
    return dict(req.headers)


@pytest.mark.parametrize("colour", COLOURS)
def test_official_go_vector(colour: str) -> None:
    """BitunixOfficial/open-api Demo/Golang/open_api_http_sign_test.go: GET account?marginCoin=USDT."""
    key, secret, nonce, ts = "11111111111111111", "22222222222222222", "33333333333333333", 1747104711262
    req = _one(colour, "account", (), {}, ACCOUNT, api_key=key, secret=secret, nonce=nonce, now_ms=ts)
    assert (req.method, req.url.path, req.url.query, req.content) == (
        "GET",
        "/api/v1/futures/account",
        b"marginCoin=USDT",
        b"",
    )
    _signed_headers(req, key, nonce, str(ts))
    assert signing.digest(nonce, str(ts), key, "marginCoinUSDT") == (
        "ea0f6d6bc37d102c41ccbd820f4cfbb10663f3675a75aea80a353e0e317fcdcc"
    )
    assert req.headers["sign"] == "40e87256554e263e39201a3979469b7fbb640d1c7c41759abf5c6a18f937f922"


@pytest.mark.parametrize("colour", COLOURS)
def test_passivbot_vector(colour: str) -> None:
    """enarjord/passivbot tests/exchanges/test_bitunix.py: params {symbol: BTCUSDT, limit: 10}."""
    req = _one(
        colour,
        "pending_orders",
        (),
        {"symbol": "BTCUSDT", "limit": 10},
        ORDER_PAGE,
        api_key="api",
        secret="secret",
        nonce="nonce",
        now_ms=1700000000000,
    )
    assert (req.method, req.url.path, req.url.query, req.content) == (
        "GET",
        "/api/v1/futures/trade/get_pending_orders",
        b"limit=10&symbol=BTCUSDT",
        b"",
    )
    _signed_headers(req, "api", "nonce", "1700000000000")
    assert signing.digest_input("nonce", "1700000000000", "api", "limit10symbolBTCUSDT") == (
        b"nonce1700000000000apilimit10symbolBTCUSDT"
    )
    assert req.headers["sign"] == "55608196549739b003441666dac4e46d888833121a23d517ae448b92713f0a75"


# The spec's worked examples (§1.6), all with the same made-up key, secret, nonce and instant.
WORKED: list[tuple[str, str, tuple[Any, ...], dict[str, Any], bytes, str, str, bytes, bytes, str]] = [
    (
        "A",
        "account",
        (),
        {},
        ACCOUNT,
        "GET",
        "/api/v1/futures/account",
        b"marginCoin=USDT",
        b"",
        "218a8f324e25dbf7c59ea33e91a7be7661f9753be93b8a78119e8b0329a6077a",
    ),
    (
        "B",
        "pending_orders",
        (),
        {"symbol": "BTCUSDT", "limit": 100, "skip": 0},
        ORDER_PAGE,
        "GET",
        "/api/v1/futures/trade/get_pending_orders",
        b"limit=100&skip=0&symbol=BTCUSDT",
        b"",
        "43915e7c3b2ba1475bc6826a0b40bf9f0c95fcd9a7a9ea1205e97285ef1c51ad",
    ),
    (
        "C",
        "place_order",
        ("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.01", "60000"),
        {"trade_side": TradeSide.OPEN, "effect": Effect.GTC, "reduce_only": False, "client_id": "mock-1"},
        PLACED,
        "POST",
        "/api/v1/futures/trade/place_order",
        b"",
        BODY_C,
        "364288cbe81a49749006d29c96f293cc91dff2b62b94e556c0eb5c159ef7d6bb",
    ),
    (
        "D",
        "cancel_orders",
        ("BTCUSDT",),
        {"order_ids": ["1234567890"]},
        CANCELLED,
        "POST",
        "/api/v1/futures/trade/cancel_orders",
        b"",
        BODY_D,
        "d16181fcbfd9a817dcff43de3145190a29556976432b054a2d170ca3901cac28",
    ),
]


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize(
    ("case", "method", "args", "kwargs", "reply", "verb", "path", "query", "body", "sign"),
    WORKED,
    ids=[w[0] for w in WORKED],
)
def test_worked_example(
    colour: str,
    case: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    reply: bytes,
    verb: str,
    path: str,
    query: bytes,
    body: bytes,
    sign: str,
) -> None:
    req = _one(colour, method, args, kwargs, reply)
    assert (req.method, req.url.path, req.url.query, req.content) == (verb, path, query, body)
    _signed_headers(req, API_KEY, NONCE, str(NOW_MS))
    assert req.headers["sign"] == sign


def test_worked_example_c_spaced_is_another_signature_and_not_what_the_client_sends() -> None:
    """C': the official Python demo's ``json.dumps`` spacing signs differently; the client sends compact JSON."""
    spaced = signing.sign(NONCE, str(NOW_MS), API_KEY, SECRET, "", BODY_C_SPACED)
    assert spaced == "445fb9fb99d48f5ad623a178a5f8c100b46b0fc974f102756b8f550bf47cb5f4"
    req = _one("sync", *WORKED[2][1:5])
    assert req.content == BODY_C != BODY_C_SPACED
    assert req.headers["sign"] != spaced


def test_worked_example_e_ws_login_signs_no_params() -> None:
    """E: the WebSocket login signs nonce + seconds + apiKey only: the REST signer with no query and no body."""
    assert signing.sign(NONCE, "1724285700", API_KEY, SECRET) == (
        "c23e948b8de08e5d80812b090052ba28c5c22c6892c48cbba80957bf58921a55"
    )


def test_public_market_reads_are_not_signed() -> None:
    req = _one("sync", "depth", ("btcusdt",), {"limit": 5}, envelope({"asks": [], "bids": []}))
    assert (req.url.path, req.url.query) == ("/api/v1/futures/market/depth", b"limit=5&symbol=BTCUSDT")
    assert not {"api-key", "nonce", "timestamp", "sign"} & set(req.headers)
