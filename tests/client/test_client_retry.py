"""Retries: reads only, on 429/5xx/"too frequent"/lost connections, re-signed each time, Retry-After honoured.

The transport is respx (no server); each attempt's signature is checked by the mock's own verifier.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

from client_ref import AsyncClient, Client, OrderType, RetryPolicy, Side
from client_ref import errors as E
from mockserver import DEMO_API_KEY, DEMO_SECRET
from mockserver.api.auth import PROFILES, NonceStore, Verifier
from mockserver.engine.accounts import Account

BASE = "http://mock.test"
ACCOUNT_URL = BASE + "/api/spot/v1/user/account"
PLACE_URL = BASE + "/api/spot/v1/order/place_order"
OK = {"code": "0", "msg": "result.success", "data": [], "success": True}
NOW = 1_760_000_000_000


def _verify(request: httpx.Request, verifier: Verifier) -> None:
    account = Account("demo", 1, DEMO_API_KEY, DEMO_SECRET)
    auth = verifier.authenticate(
        dict(request.headers), request.url.query, request.content, now_ms=NOW, lookup={DEMO_API_KEY: account}
    )
    verifier.authorize(auth, now_ms=NOW, permission=None, client_ip=None)


def _client(sleeps: list[float], **kw: Any) -> Client:
    return Client(BASE, DEMO_API_KEY, DEMO_SECRET, sleep=sleeps.append, clock_ms=lambda: NOW, **kw)


def _answers(*replies: httpx.Response | Exception) -> list[Any]:
    return list(replies)


@respx.mock
def test_429_is_retried_after_retry_after_with_a_fresh_signature() -> None:
    route = respx.get(ACCOUNT_URL).mock(
        side_effect=_answers(
            httpx.Response(429, text="slow down", headers={"Retry-After": "2"}), httpx.Response(200, json=OK)
        )
    )
    sleeps: list[float] = []
    assert _client(sleeps).balances() == []
    assert sleeps == [2.0]
    first, second = (call.request for call in route.calls)
    assert first.headers["nonce"] != second.headers["nonce"]
    assert first.headers["sign"] != second.headers["sign"]
    verifier = Verifier(PROFILES["strict"], NonceStore())
    _verify(first, verifier)
    _verify(second, verifier)  # distinct nonces: the second attempt is not a replay


@respx.mock
def test_5xx_backs_off_exponentially_then_gives_up() -> None:
    route = respx.get(ACCOUNT_URL).mock(return_value=httpx.Response(503, text="maintenance"))
    sleeps: list[float] = []
    with pytest.raises(E.HttpStatusError) as info:
        _client(sleeps, retry=RetryPolicy(attempts=4, backoff=0.5)).balances()
    assert info.value.status == 503 and info.value.body == "maintenance"
    assert route.call_count == 4 and sleeps == [0.5, 1.0, 2.0]


@respx.mock
def test_retry_after_is_capped() -> None:
    respx.get(ACCOUNT_URL).mock(
        side_effect=_answers(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json=OK))
    )
    sleeps: list[float] = []
    _client(sleeps, retry=RetryPolicy(max_delay=5)).balances()
    assert sleeps == [5.0]


@respx.mock
def test_too_frequent_envelope_on_a_read_is_retried() -> None:
    busy = {"code": "110041", "msg": "Interface access times are too fast", "data": None, "success": False}
    route = respx.get(ACCOUNT_URL).mock(
        side_effect=_answers(httpx.Response(200, json=busy), httpx.Response(200, json=OK))
    )
    sleeps: list[float] = []
    assert _client(sleeps).balances() == []
    assert route.call_count == 2 and sleeps == [0.2]


@respx.mock
def test_writes_are_never_retried() -> None:
    route = respx.post(PLACE_URL).mock(return_value=httpx.Response(503))
    sleeps: list[float] = []
    with pytest.raises(E.HttpStatusError):
        _client(sleeps).place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "50000")
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_a_write_whose_connection_fails_is_not_retried() -> None:
    lost = respx.post(PLACE_URL).mock(side_effect=httpx.ConnectError("reset"))
    sleeps: list[float] = []
    with pytest.raises(E.ConnectionFailed):
        _client(sleeps).place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "50000")
    assert lost.call_count == 1 and sleeps == []


@respx.mock
def test_lost_connection_on_a_read_is_retried() -> None:
    route = respx.get(ACCOUNT_URL).mock(
        side_effect=_answers(httpx.ConnectError("refused"), httpx.Response(200, json=OK))
    )
    sleeps: list[float] = []
    assert _client(sleeps).balances() == []
    assert route.call_count == 2 and sleeps == [0.2]


@respx.mock
def test_exchange_errors_other_than_busy_are_not_retried() -> None:
    bad = {"code": "100005", "msg": "result.api.parameter.sign.illegal", "data": None, "success": False}
    route = respx.get(ACCOUNT_URL).mock(return_value=httpx.Response(200, json=bad))
    with pytest.raises(E.SignatureError):
        _client([]).balances()
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"<html>gateway</html>", E.UnexpectedResponse),
        (502, b"<html>bad gateway</html>", E.HttpStatusError),
        (200, b'{"code": "0", "msg": "ok", "data": "not an object", "success": true}', E.UnexpectedResponse),
        (200, b'{"code": "70003", "msg": "missing", "data": null}', E.MissingParameter),
        (200, b'{"code": "10016", "msg": "no user", "data": null}', E.UserNotFound),
        (200, b'{"code": "500", "msg": "System error", "data": null}', E.SystemError),
        (405, b'{"code": "405", "msg": "Method Not Allowed", "data": null}', E.MethodNotAllowed),
    ],
)
@respx.mock
def test_answers_that_are_not_results_raise_typed_errors(status: int, body: bytes, expected: type[Exception]) -> None:
    respx.get(BASE + "/api/spot/v1/user/info").mock(return_value=httpx.Response(status, content=body))
    with pytest.raises(expected):
        _client([], retry=RetryPolicy(attempts=1)).user_info()


@respx.mock
def test_async_client_retries_the_same_way() -> None:
    route = respx.get(ACCOUNT_URL).mock(
        side_effect=_answers(httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=OK))
    )
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def go() -> Any:
        async with AsyncClient(BASE, DEMO_API_KEY, DEMO_SECRET, sleep=fake_sleep, clock_ms=lambda: NOW) as c:
            return await c.balances()

    assert asyncio.run(go()) == []
    assert sleeps == [1.0] and route.call_count == 2
    assert route.calls[0].request.headers["nonce"] != route.calls[1].request.headers["nonce"]


def test_time_offset_is_applied_to_the_signed_timestamp() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=OK, headers={"date": "Tue, 14 Oct 2025 08:53:40 GMT"})

    c = Client(BASE, DEMO_API_KEY, DEMO_SECRET, transport=httpx.MockTransport(handler), clock_ms=lambda: NOW - 5_000)
    offset = c.sync_time()
    server_ms = 1_760_432_020_000 + 500  # the Date header, plus half of its 1 s resolution
    assert offset == server_ms - (NOW - 5_000)
    c.balances()
    assert seen[-1].headers["timestamp"] == str(server_ms)
