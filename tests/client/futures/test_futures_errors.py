"""The futures envelope's refusals through the futures client: the right exception, the exact code and text.

The futures envelope carries ``code`` as a JSON number and answers business errors (and even an unknown
path) with HTTP 200 (spec §1.1, §2.1). Reads are retried on the busy codes, writes never.
"""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from client_ref import ExchangeError, HttpStatusError, RetryPolicy, UnexpectedResponse
from client_ref.futures import FUTURES_ERRORS, FuturesError, OrderType, Side, TradeSide
from client_ref.futures import errors as FE

from .wire import COLOURS, call, envelope, replying

ACCOUNT = {
    "marginCoin": "USDT",
    "available": "1000",
    "frozen": "0",
    "margin": "10",
    "transfer": "1000",
    "positionMode": "HEDGE",
    "crossUnrealizedPNL": "0",
    "isolationUnrealizedPNL": "0",
    "bonus": "0",
}
PLACE = ("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.01", "60000")

# The official table (BitunixOfficial/open-api Demo/Python/error_codes.py) plus the codes seen live,
# written out here rather than read from the client, so a changed class is caught.
SPEC_CODES = (
    {"1", "403", "404"}
    | {str(c) for c in range(10001, 10009)}
    | {str(c) for c in range(20001, 20017)}
    | {str(c) for c in range(30001, 30043)}
    | {str(c) for c in range(40001, 40009)}
)


def test_one_class_per_code_of_the_futures_table() -> None:
    assert set(FUTURES_ERRORS) == SPEC_CODES
    assert len({cls.__name__ for cls in FUTURES_ERRORS.values()}) == len(SPEC_CODES)
    for code, cls in FUTURES_ERRORS.items():
        assert issubclass(cls, FuturesError) and issubclass(cls, ExchangeError) and cls.code == code
        assert cls.message and cls.__doc__


# Spot checks of the texts, copied from the spec (§2.2) and the official error_codes.py, typos included.
TEXTS = {
    "1": "Network Error",
    "404": "Not Found",
    "10003": "api-key can't be empty",
    "10007": "Sign signature error",
    "10008": "{value} does not comply with the rule, optional [correctValue]",
    "20003": "Insufficient balance",
    "20007": "Order not found, please try it later",
    "20013": "Function disabled due tp pending account deletion request",
    "20015": "this Futures is not allowed to trade.",  # the live wording, not the table's
    "20016": "Batch order exceeded the max size",
    "30015": "Mini Sell Order Price",
    "30023": "Trigger price fo SL should be lower than mark price",
    "30034": "TP price must be less than mark price",
    "30042": "Client ID duplicate",
    "40007": "Share settlement is being processed,lease try again later",
}


def test_exact_texts_where_they_matter_or_are_odd() -> None:
    assert {code: FUTURES_ERRORS[code].message for code in TEXTS} == TEXTS
    names = {code: FUTURES_ERRORS[code].__name__ for code in ("10007", "20015", "30042", "404")}
    assert names == {
        "10007": "FSignatureError",
        "20015": "FSymbolNotSupported",
        "30042": "FClientIdDuplicate",
        "404": "FNotFound",
    }


@pytest.mark.parametrize("code", sorted(SPEC_CODES, key=int))
def test_every_code_raises_its_class_with_the_code_and_message_sent(code: str) -> None:
    msg = f"server text for {code}"
    with pytest.raises(FuturesError) as info:
        call("sync", "account", reply=replying(envelope(None, code=int(code), msg=msg)))
    err = info.value
    assert type(err) is FUTURES_ERRORS[code]
    assert (err.exchange_code, err.msg, err.http_status, str(err)) == (code, msg, 200, f"[{code}] {msg}")


@pytest.mark.parametrize("colour", COLOURS)
def test_unknown_path_answer_is_not_found_with_http_200(colour: str) -> None:
    """Live: HTTP 200 with ``{"code":404,"data":null,"msg":"Not Found"}`` (NEM)."""
    body = b'{"code":404,"data":null,"msg":"Not Found"}'
    for method, args in (("account", ()), ("place_order", PLACE)):
        with pytest.raises(FE.FNotFound) as info:
            call(colour, method, args, reply=replying(body))
        assert (info.value.exchange_code, info.value.msg, info.value.http_status) == ("404", "Not Found", 200)


@pytest.mark.parametrize("colour", COLOURS)
def test_live_error_bodies(colour: str) -> None:
    """Bodies captured live (spec §2.1), each as its own class with its exact text."""
    cases = [
        (b'{"code":20015,"data":null,"msg":"this Futures is not allowed to trade."}', FE.FSymbolNotSupported),
        (b'{"code":1,"data":null,"msg":"Network Error"}', FE.FNetworkError),
        (
            b'{"code":10008,"data":null,"msg":"Parameter 20 does not match, alternative value [\\"1\\",\\"5\\",\\"15\\",\\"50\\",\\"max\\"]."}',
            FE.FValueNotAllowed,
        ),
    ]
    for body, cls in cases:
        with pytest.raises(cls) as info:
            call(colour, "depth", ("BTCUSDT",), {"limit": 20}, reply=replying(body), retry=RetryPolicy(attempts=1))
        sent = json.loads(body)
        assert (info.value.exchange_code, info.value.msg) == (str(sent["code"]), sent["msg"])


def test_a_string_error_code_reads_like_a_number() -> None:
    with pytest.raises(FE.FSignatureError) as info:
        call("sync", "account", reply=replying(envelope(None, code="10007", msg="Sign signature error")))
    assert (info.value.exchange_code, info.value.msg) == ("10007", "Sign signature error")


def test_an_unknown_code_keeps_code_and_text() -> None:
    with pytest.raises(FuturesError) as info:
        call("sync", "account", reply=replying(envelope(None, code=77777, msg="new rule")))
    assert type(info.value) is FuturesError
    assert (info.value.exchange_code, info.value.msg) == ("77777", "new rule")


def test_a_refused_placement_is_an_exception_not_a_result() -> None:
    """Futures refuses an order with a non-zero code (spec §1.7), unlike spot's ``placeStatus 0``."""
    body = envelope(None, code=30042, msg="Client ID duplicate")
    with pytest.raises(FE.FClientIdDuplicate) as info:
        call("sync", "place_order", PLACE, {"trade_side": TradeSide.OPEN, "client_id": "c1"}, replying(body))
    assert (info.value.exchange_code, info.value.msg) == ("30042", "Client ID duplicate")


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("cls", [FE.FNetworkError, FE.FSystemError, FE.FTooManyRequests, FE.FTooFrequent])
def test_busy_codes_retry_reads(colour: str, cls: type[FuturesError]) -> None:
    sleeps: list[float] = []
    sent: list[httpx.Request] = []
    busy = envelope(None, code=int(cls.code), msg=cls.message)
    account, _ = call(colour, "account", reply=replying(busy, envelope(ACCOUNT)), sent=sent, sleeps=sleeps)
    assert account.available == Decimal("1000")
    assert len(sent) == 2 and sleeps == [0.2]
    assert sent[0].headers["sign"] == sent[1].headers["sign"]  # same nonce and clock injected: same bytes


@pytest.mark.parametrize("colour", COLOURS)
def test_writes_are_never_retried(colour: str) -> None:
    sent: list[httpx.Request] = []
    sleeps: list[float] = []
    busy = envelope(None, code=10006, msg="Request too frequently")
    with pytest.raises(FE.FTooFrequent):
        call(colour, "place_order", PLACE, reply=replying(busy, envelope({"orderId": "1"})), sent=sent, sleeps=sleeps)
    assert len(sent) == 1 and sleeps == []


def test_a_business_refusal_is_not_retried() -> None:
    sent: list[httpx.Request] = []
    with pytest.raises(FE.FParameterError):
        call("sync", "account", reply=replying(envelope(None, code=10002, msg="Parameter Error")), sent=sent)
    assert len(sent) == 1


def test_http_error_without_envelope_and_a_body_that_is_not_one() -> None:
    with pytest.raises(HttpStatusError) as info:
        call("sync", "place_order", PLACE, reply=replying(b"<html>bad gateway</html>", status=502))
    assert info.value.status == 502
    with pytest.raises(UnexpectedResponse, match="not an exchange envelope"):
        call("sync", "account", reply=replying(b'{"data":{}}'))


@pytest.mark.parametrize(
    ("method", "data", "says"),
    [
        ("account", [{"marginCoin": "USDT"}, {"marginCoin": "USDC"}], "expected one object, got a list of 2"),
        ("pending_positions", [{"positionId": "1", "symbol": "BTCUSDT", "qty": "1", "side": "UP"}], "PositionSide"),
        ("position_mode", {"positionMode": "BOTH"}, "PositionMode"),
        ("close_all_positions", {"closed": 3}, "expected no data"),
        ("funding_rates", {"symbol": "BTCUSDT"}, "expected a list"),
    ],
)
def test_a_reply_of_the_wrong_shape_is_an_unexpected_response(method: str, data: object, says: str) -> None:
    with pytest.raises(UnexpectedResponse, match=says):
        call("sync", method, reply=replying(envelope(data)))


def test_builders_refuse_what_the_exchange_would() -> None:
    with pytest.raises(TypeError, match="leverage is an integer"):
        call("sync", "change_leverage", ("BTCUSDT", "12"))
    with pytest.raises(ValueError, match="cancel_orders needs at least one order_id or client_id"):
        call("sync", "cancel_orders", ("BTCUSDT",))
    with pytest.raises(ValueError, match="order_detail needs order_id or client_id"):
        call("sync", "order_detail")
    with pytest.raises(ValueError, match="adjust_position_margin needs side or position_id"):
        call("sync", "adjust_position_margin", ("BTCUSDT", "1"))
    with pytest.raises(ValueError, match="a position TP/SL needs tp_price or sl_price"):
        call("sync", "place_position_tpsl", ("BTCUSDT", "1"))
    with pytest.raises(ValueError, match="not a finite amount"):
        call("sync", "place_order", ("BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("NaN")))


def test_a_signed_call_without_credentials_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match=r"futures\.account is signed: pass api_key and secret"):
        call("sync", "account", api_key="", secret="")


@pytest.mark.parametrize("colour", COLOURS)
def test_sync_time_reads_the_date_of_a_futures_reply(colour: str) -> None:
    """No time endpoint: the offset comes from the Date header of a public futures read."""
    sent: list[httpx.Request] = []
    date = {"date": "Thu, 22 Aug 2024 00:15:05 GMT", "content-type": "application/json"}
    reply = replying(envelope([]), headers=date)
    offset, _ = call(colour, "sync_time", reply=reply, sent=sent, now_ms=1724285700000)
    assert [(r.method, r.url.path, r.url.query) for r in sent] == [
        ("GET", "/api/v1/futures/market/tickers", b"symbols=BTCUSDT")
    ]
    assert offset == 1724285705000 + 500 - 1724285700000


def _base_urls(futures_arg: str | None = None) -> tuple[str, str]:
    from client_ref import Client, FuturesClient

    with FuturesClient(futures_arg) as f, Client() as c:
        return f.base_url, c.base_url


def test_the_base_url_falls_back_to_the_futures_variable_then_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BITUNIX_FUTURES_BASE_URL", raising=False)
    monkeypatch.delenv("BITUNIX_BASE_URL", raising=False)
    assert _base_urls() == ("https://fapi.bitunix.com", "https://openapi.bitunix.com")
    monkeypatch.setenv("BITUNIX_BASE_URL", "http://127.0.0.1:8080/")
    assert _base_urls() == ("http://127.0.0.1:8080", "http://127.0.0.1:8080")
    monkeypatch.setenv("BITUNIX_FUTURES_BASE_URL", "http://127.0.0.1:9090")
    assert _base_urls() == ("http://127.0.0.1:9090", "http://127.0.0.1:8080")
    assert _base_urls("http://other.test") == ("http://other.test", "http://127.0.0.1:8080")
