"""One request path, several products: the seam of mockserver/api/products.py.

A toy product declared here (one public and one signed endpoint, its own envelope and errors) shows
what a product declares and that routing, envelopes, error translation, the journal and the signature
doctor follow it. A futures-shaped product (the real FUTURES declaration with endpoints declared here,
so these tests do not wait for the futures table) pins the futures envelope and the futures answers to
the shared refusals (spec §2.2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, MockState, create_app
from mockserver.api.endpoints import Endpoint, RateLimit
from mockserver.api.handlers import Call
from mockserver.api.params import Kind, Param
from mockserver.api.products import FUTURES, PRODUCTS, SPOT, Product, endpoint_at, futures_error, product_of_path
from mockserver.errors import BitunixError, ParameterError, SignatureError, TooFrequent

from ..helpers import Signed, fresh_nonce, sign_parts

ADMIN = {"x-mock-admin": "1"}
DIAGNOSE = {"x-mock-diagnose": "1"}

# ----------------------------------------------------------------------------- a toy product


class ToyError(BitunixError):
    code: ClassVar[str] = "900"
    default_msg: ClassVar[str] = "toy: broken"


class ToyBadSign(ToyError):
    code = "901"
    default_msg = "toy: bad signature"


class ToyBadInput(ToyError):
    code = "902"
    default_msg = "toy: bad input"


class ToyNoSuchPath(ToyError):
    code = "904"
    default_msg = "toy: no such path"
    http_status = 200


def toy_translate(err: BitunixError) -> BitunixError:
    if isinstance(err, ToyError):
        return err
    own = {SignatureError: ToyBadSign, ParameterError: ToyBadInput}.get(type(err))
    if own is None and type(err).__name__ == "NotFound":
        own = ToyNoSuchPath
    return (own or ToyError)(err.detail)


def toy_success(data: Any, msg: str) -> bytes:
    return orjson.dumps({"ok": True, "result": data, "note": msg})


def toy_error(code: str, msg: str) -> bytes:
    return orjson.dumps({"ok": False, "err": code, "why": msg})


TOY_ENDPOINTS = (
    Endpoint("toy.ping", "GET", "/api/toy/v1/ping", "public", "Ping", example={}),
    Endpoint(
        "toy.echo",
        "POST",
        "/api/toy/v1/echo",
        "private",
        "Echo a word",
        auth=True,
        permission="read",
        params=(Param("word", Kind.ENUM_STR, choices=("hello", "bye")),),
        example={"word": "hello"},
    ),
)


def toy_ping(call: Call) -> Any:
    return "pong"


def toy_echo(call: Call) -> Any:
    return {"word": call.args["word"], "account": call.account_id}


TOY = Product(
    name="toy",
    prefix="/api/toy/v1",
    title="toy",
    endpoints=TOY_ENDPOINTS,
    handlers={"toy.ping": toy_ping, "toy.echo": toy_echo},
    success_body=toy_success,
    error_body=toy_error,
    translate=toy_translate,
    errors={},
    auth_errors=("901",),
    limit_error="900",
    success_msg="toy ok",
)


@pytest.fixture
def toy_client() -> Iterator[TestClient]:
    with TestClient(create_app(Config(), products=(SPOT, TOY))) as c:
        yield c


def journal(client: TestClient, **params: str) -> list[dict[str, Any]]:
    rows = client.get("/_mock/journal", params=params, headers=ADMIN).json()
    assert isinstance(rows, list)
    return rows


def test_a_product_routes_its_paths_in_its_own_envelope(toy_client: TestClient) -> None:
    resp = toy_client.get("/api/toy/v1/ping")
    assert (resp.status_code, resp.content) == (200, b'{"ok":true,"result":"pong","note":"toy ok"}')
    signed = Signed(toy_client)
    resp = signed.post("/api/toy/v1/echo", {"word": "bye"})
    assert resp.json() == {"ok": True, "result": {"word": "bye", "account": "demo"}, "note": "toy ok"}
    # spot beside it, byte for byte as ever
    resp = toy_client.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})
    assert resp.content == b'{"code":"0","msg":"result.success","data":"64000.00","success":true}'


def test_a_product_translates_the_shared_refusals_into_its_own(toy_client: TestClient) -> None:
    signed = Signed(toy_client)
    resp = signed.post("/api/toy/v1/echo", {"word": "maybe"})
    assert (resp.status_code, resp.json()) == (200, {"ok": False, "err": "902", "why": "toy: bad input"})
    resp = signed.post("/api/toy/v1/echo", {"word": "hello"}, sign="0" * 64)
    assert resp.json() == {"ok": False, "err": "901", "why": "toy: bad signature"}
    # a path under the toy's prefix that no endpoint has: the toy's 404; anywhere else: spot's
    resp = toy_client.get("/api/toy/v1/nowhere")
    assert (resp.status_code, resp.json()) == (200, {"ok": False, "err": "904", "why": "toy: no such path"})
    resp = toy_client.get("/api/toy/v2/nowhere")
    assert (resp.status_code, resp.content) == (404, b'{"code":"404","msg":"Not Found","data":null,"success":false}')


def test_the_journal_records_each_request_s_product_and_the_product_s_verdict(toy_client: TestClient) -> None:
    signed = Signed(toy_client)
    signed.post("/api/toy/v1/echo", {"word": "hello"})
    signed.post("/api/toy/v1/echo", {"word": "hello"}, sign="0" * 64)
    toy_client.get("/api/toy/v1/nowhere")
    toy_client.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})
    rows = [(e["product"], e["operation"], e["verdict"], e["code"]) for e in journal(toy_client)]
    assert rows == [
        ("spot", "last_price", "accepted", "0"),
        ("toy", None, "ToyNoSuchPath", "904"),
        ("toy", "toy.echo", "ToyBadSign", "901"),
        ("toy", "toy.echo", "accepted", "0"),
    ]


def test_the_doctor_names_a_signing_mistake_on_any_product(toy_client: TestClient) -> None:
    body = b'{"word":"hello"}'
    nonce, ts = fresh_nonce(), str(toy_client.app.state.mock.clock.now_ms())  # type: ignore[attr-defined]
    digest = hashlib.sha256((nonce + ts + DEMO_API_KEY).encode() + body).hexdigest()
    wrong = hmac.new(DEMO_SECRET.encode(), digest.encode(), hashlib.sha256).hexdigest()
    headers = {"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts, "sign": wrong, **DIAGNOSE}
    resp = toy_client.post("/api/toy/v1/echo", content=body, headers=headers)
    assert resp.json() == {"ok": False, "err": "901", "why": "toy: bad signature"}
    assert resp.headers["x-mock-diagnosis"].startswith("hmac-instead-of-sha256: ")
    (entry,) = journal(toy_client, limit="1")
    assert entry["diagnosis"]["mistake"] == "hmac-instead-of-sha256"


def test_a_product_declaration_is_checked_against_its_handlers_and_prefix() -> None:
    with pytest.raises(RuntimeError, match=r"product toy: no handler for \['toy.echo'\], no endpoint for \[\]"):
        dataclasses.replace(TOY, handlers={"toy.ping": toy_ping})
    with pytest.raises(RuntimeError, match=r"no handler for \[\], no endpoint for \['toy.other'\]"):
        dataclasses.replace(TOY, handlers={**TOY.handlers, "toy.other": toy_ping})
    with pytest.raises(RuntimeError, match=r"product toy: paths outside /api/toy/v2: \['/api/toy/v1/ping'"):
        dataclasses.replace(TOY, prefix="/api/toy/v2")


def test_the_product_of_a_path_is_its_prefix_s() -> None:
    assert product_of_path("/api/v1/futures/market/tickers") is FUTURES
    assert product_of_path("/api/v1/futures") is FUTURES
    assert product_of_path("/api/v1/futuresX/market") is SPOT  # a prefix is a whole path segment
    assert product_of_path("/api/spot/v1/market/depth") is SPOT
    assert product_of_path("/nowhere") is SPOT
    assert endpoint_at("/api/spot/v1/market/depth")[1] is SPOT.by_path["/api/spot/v1/market/depth"]
    assert PRODUCTS == (SPOT, FUTURES)


# -------------------------------------------------------------------- the futures answers

FUT = "/api/v1/futures"
F_ENDPOINTS = (
    Endpoint(
        "futures.test_depth",
        "GET",
        FUT + "/test/depth",
        "market",
        "Depth (declared in the test)",
        params=(
            Param("symbol", Kind.SYMBOL),
            Param("limit", Kind.ENUM_STR, required=False, choices=("1", "5", "15", "50", "max")),
        ),
        rate_limit=RateLimit(1, "ip", stated=True),
        example={"symbol": "BTCUSDT"},
    ),
    Endpoint(
        "futures.test_orders",
        "GET",
        FUT + "/test/orders",
        "trade",
        "Signed read with a query (declared in the test)",
        auth=True,
        permission="read",
        params=(Param("symbol", Kind.SYMBOL), Param("limit", Kind.INT, required=False, min_value=1, max_value=100)),
        example={"symbol": "BTCUSDT", "limit": "10"},
    ),
    Endpoint(
        "futures.test_place",
        "POST",
        FUT + "/test/place",
        "trade",
        "Signed write with a body (declared in the test)",
        auth=True,
        permission="trade",
        params=(Param("symbol", Kind.SYMBOL), Param("qty", Kind.DECIMAL)),
        example={"symbol": "BTCUSDT", "qty": "0.01"},
    ),
)


def f_depth(call: Call) -> Any:
    return {"symbol": call.args["symbol"], "limit": call.args["limit"]}


def f_orders(call: Call) -> Any:
    if call.args["limit"] == 13:
        raise RuntimeError("an unexpected failure inside a handler")
    return {"orderList": [], "total": "0"}


def f_place(call: Call) -> Any:
    return {"orderId": "1", "clientId": None, "qty": str(call.args["qty"])}


#: The real FUTURES declaration (envelopes, translation, msg, switches) over endpoints declared here.
TEST_FUTURES = dataclasses.replace(
    FUTURES,
    endpoints=F_ENDPOINTS,
    handlers={"futures.test_depth": f_depth, "futures.test_orders": f_orders, "futures.test_place": f_place},
)


@pytest.fixture
def fstate() -> MockState:
    return MockState.build(Config(frozen_at_ms=1_724_285_700_000))


@pytest.fixture
def fclient(fstate: MockState) -> Iterator[TestClient]:
    with TestClient(create_app(state=fstate, products=(SPOT, TEST_FUTURES))) as c:
        yield c


@pytest.fixture
def fsigned(fclient: TestClient, fstate: MockState) -> Signed:
    return Signed(fclient, now_ms=fstate.clock.now_ms)


def test_futures_success_envelope_is_code_data_msg_with_a_numeric_code(fclient: TestClient, fsigned: Signed) -> None:
    resp = fclient.get(FUT + "/test/depth", params={"symbol": "btcusdt", "limit": "5"})
    assert (resp.status_code, resp.content) == (
        200,
        b'{"code":0,"data":{"symbol":"BTCUSDT","limit":"5"},"msg":"Success"}',
    )
    resp = fsigned.post(FUT + "/test/place", {"symbol": "BTCUSDT", "qty": "0.01"})
    assert resp.content == b'{"code":0,"data":{"orderId":"1","clientId":null,"qty":"0.01"},"msg":"Success"}'


def test_an_unknown_futures_path_answers_code_404_with_http_200(fclient: TestClient) -> None:
    resp = fclient.get(FUT + "/market/nothing_here")
    assert (resp.status_code, resp.content) == (200, b'{"code":404,"data":null,"msg":"Not Found"}')
    resp = fclient.post(FUT + "/test/depth", content=b"{}")  # the other method: answered like an unknown path
    assert (resp.status_code, resp.content) == (200, b'{"code":404,"data":null,"msg":"Not Found"}')
    assert "allow" not in resp.headers
    (last, unknown) = journal(fclient, limit="2")
    assert (last["product"], last["operation"], last["verdict"], last["code"]) == (
        "futures",
        "futures.test_depth",
        "FNotFound",
        "404",
    )
    assert (unknown["product"], unknown["operation"], unknown["verdict"]) == ("futures", None, "FNotFound")


def f_error(resp: Any) -> tuple[int, Any, str]:
    """(HTTP status, code, msg) of a futures refusal, checking its envelope's exact keys and their order."""
    doc = json.loads(resp.content)
    assert list(doc) == ["code", "data", "msg"] and doc["data"] is None, resp.content
    return resp.status_code, doc["code"], doc["msg"]


def test_futures_auth_refusals_answer_the_futures_codes(fclient: TestClient, fsigned: Signed) -> None:
    path, query = FUT + "/test/orders", {"symbol": "BTCUSDT"}
    assert f_error(fclient.get(path, params=query)) == (200, 10003, "api-key can't be empty")
    assert f_error(fsigned.get(path, query, **{"api-key": "nobody"})) == (200, 10003, "api-key can't be empty")
    assert f_error(fsigned.get(path, query, sign="0" * 64)) == (200, 10007, "Sign signature error")
    old = str(fsigned.now_ms() - 61_000)
    assert f_error(fsigned.get(path, query, timestamp=old)) == (200, 10007, "Sign signature error")
    no_nonce = {k: v for k, v in fsigned.headers(query="symbolBTCUSDT").items() if k != "nonce"}
    assert f_error(fclient.get(path, params=query, headers=no_nonce)) == (200, 10007, "Sign signature error")
    verdicts = [(e["verdict"], e["code"]) for e in journal(fclient, limit="5")]
    assert verdicts == [("FSignatureError", "10007")] * 3 + [("FApiKeyEmpty", "10003")] * 2


def test_futures_parameter_refusals_answer_10002_and_the_live_10008_text(fclient: TestClient, fsigned: Signed) -> None:
    resp = fclient.get(FUT + "/test/depth", params={"symbol": "BTCUSDT", "limit": "20"})
    assert f_error(resp) == (200, 10008, 'Parameter 20 does not match, alternative value ["1","5","15","50","max"].')
    assert f_error(fclient.get(FUT + "/test/depth")) == (200, 10002, "Parameter Error")
    resp = fsigned.post(FUT + "/test/place", {"symbol": "BTCUSDT", "qty": "-1"})
    assert f_error(resp) == (200, 10002, "Parameter Error")
    resp = fsigned.post(FUT + "/test/place", b"[1]")
    assert f_error(resp) == (200, 10002, "Parameter Error")
    (entry,) = journal(fclient, limit="1")
    assert (entry["verdict"], entry["code"], entry["detail"]) == (
        "FParameterError",
        "10002",
        "body must be a JSON object",
    )


def test_an_unexpected_failure_on_futures_answers_10001(fsigned: Signed) -> None:
    resp = fsigned.get(FUT + "/test/orders", {"symbol": "BTCUSDT", "limit": "13"})
    assert f_error(resp) == (200, 10001, "Network Error")


def test_a_body_over_the_limit_on_futures_answers_10002_with_http_200(fclient: TestClient) -> None:
    resp = fclient.post(FUT + "/test/place", content=b"x" * (64 * 1024 + 1))
    assert f_error(resp) == (200, 10002, "Parameter Error")
    spot = fclient.post("/api/spot/v1/order/place_order", content=b"x" * (64 * 1024 + 1))
    assert (spot.status_code, spot.json()["code"]) == (413, "413")


def test_futures_rate_limits_count_per_row_and_answer_10006(fclient: TestClient, fstate: MockState) -> None:
    fstate.rate_limiter.enabled = True
    first = fclient.get(FUT + "/test/depth", params={"symbol": "BTCUSDT"})
    assert json.loads(first.content)["code"] == 0
    again = fclient.get(FUT + "/test/depth", params={"symbol": "BTCUSDT"})
    assert f_error(again) == (200, 10006, "Request too frequently")
    (entry,) = journal(fclient, limit="1")
    assert entry["detail"] == "over 1 requests/s per ip on futures.test_depth"


def test_a_reused_nonce_is_accepted_on_futures_unless_switched(fclient: TestClient, fsigned: Signed) -> None:
    query = {"symbol": "BTCUSDT"}
    nonce = fresh_nonce()
    for _ in range(2):
        assert json.loads(fsigned.get(FUT + "/test/orders", query, nonce=nonce).content)["code"] == 0
    resp = fclient.post("/_mock/switches", json={"futures_nonce_replay": "profile"}, headers=ADMIN)
    assert resp.status_code == 200, resp.text
    nonce = fresh_nonce()
    assert json.loads(fsigned.get(FUT + "/test/orders", query, nonce=nonce).content)["code"] == 0
    assert f_error(fsigned.get(FUT + "/test/orders", query, nonce=nonce)) == (200, 10007, "Sign signature error")
    (entry,) = journal(fclient, limit="1")
    assert entry["verdict"] == "FSignatureError" and entry["detail"].startswith(f"nonce {nonce!r} already used")
    # spot keeps the profile's rule whatever the futures switch says
    spot_nonce = fresh_nonce()
    assert fsigned.get("/api/spot/v1/user/account", nonce=spot_nonce).json()["code"] == "0"
    assert fsigned.get("/api/spot/v1/user/account", nonce=spot_nonce).json()["code"] == "900001"


def test_the_doctor_names_a_futures_signing_mistake_on_a_get_with_a_query(fclient: TestClient, fsigned: Signed) -> None:
    nonce, ts = fresh_nonce(), str(fsigned.now_ms())
    # signed in the order sent (limit after symbol), not sorted by key
    wrong = sign_parts(nonce, ts, DEMO_API_KEY, DEMO_SECRET, "symbolBTCUSDTlimit10", b"")
    headers = {"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts, "sign": wrong, **DIAGNOSE}
    resp = fclient.get(FUT + "/test/orders?symbol=BTCUSDT&limit=10", headers=headers)
    assert f_error(resp) == (200, 10007, "Sign signature error")
    assert resp.headers["x-mock-diagnosis"].startswith("unsorted-query: ")
    (entry,) = journal(fclient, limit="1")
    assert (entry["product"], entry["verdict"], entry["diagnosis"]["mistake"]) == (
        "futures",
        "FSignatureError",
        "unsorted-query",
    )
    assert entry["diagnosis"]["expected_digest_input"] == nonce + ts + DEMO_API_KEY + "limit10symbolBTCUSDT"


def test_the_doctor_names_a_futures_signing_mistake_on_a_post_body(fclient: TestClient, fsigned: Signed) -> None:
    sent = b'{"symbol":"BTCUSDT","qty":"0.01"}'
    signed_body = json.dumps({"symbol": "BTCUSDT", "qty": "0.01"}).encode()  # Python's spaced default, not sent
    nonce, ts = fresh_nonce(), str(fsigned.now_ms())
    wrong = sign_parts(nonce, ts, DEMO_API_KEY, DEMO_SECRET, "", signed_body)
    headers = {"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts, "sign": wrong, **DIAGNOSE}
    resp = fclient.post(FUT + "/test/place", content=sent, headers=headers)
    assert f_error(resp) == (200, 10007, "Sign signature error")
    assert resp.headers["x-mock-diagnosis"].startswith("reserialized-body: ")
    (entry,) = journal(fclient, limit="1")
    assert entry["diagnosis"]["mistake"] == "reserialized-body"


def test_the_shared_errors_map_onto_the_futures_table() -> None:
    cases = {
        "ApiKeyNotFound": ("10003", "api-key can't be empty"),
        "NonceInvalid": ("10007", "Sign signature error"),
        "RequestExpired": ("10007", "Sign signature error"),
        "SignatureError": ("10007", "Sign signature error"),
        "NonceReused": ("10007", "Sign signature error"),
        "IpNotAllowed": ("10004", "The current ip is not in the apikey ip whitelist"),
        "NoAuthority": ("403", "This API key does not support this operation"),
        "TooFrequent": ("10006", "Request too frequently"),
        "ParameterError": ("10002", "Parameter Error"),
        "MissingParameter": ("10002", "Parameter Error"),
        "SystemError": ("10001", "Network Error"),
        "NotFound": ("404", "Not Found"),
        "MethodNotAllowed": ("404", "Not Found"),
        "BodyTooLarge": ("10002", "Parameter Error"),
    }
    import mockserver.errors as shared

    for name, (code, msg) in cases.items():
        own = futures_error(getattr(shared, name)("why"))
        assert (own.code, own.msg, own.detail, own.http_status) == (code, msg, "why", 200), name
    spot_only = futures_error(shared.WithdrawBelowFee("x"))
    assert (spot_only.code, spot_only.detail) == ("10001", "spot error WithdrawBelowFee 110007 on a futures request: x")
    assert futures_error(TooFrequent("t")).code == FUTURES.limit_error


def test_the_journal_filters_by_product(fclient: TestClient) -> None:
    fclient.get(FUT + "/test/depth", params={"symbol": "BTCUSDT"})
    fclient.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})
    fclient.get(FUT + "/nowhere")
    assert [e["path"] for e in journal(fclient, product="futures")] == [FUT + "/nowhere", FUT + "/test/depth"]
    assert [e["operation"] for e in journal(fclient, product="spot")] == ["last_price"]
    refused = fclient.get("/_mock/journal", params={"product": "options"}, headers=ADMIN)
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "product: unknown product 'options'; valid: spot, futures"},
    )


def test_an_injected_error_answers_in_the_envelope_of_the_path_s_product(fclient: TestClient) -> None:
    fault = {"action": "error", "code": "10006", "path": FUT + "/test/*"}
    resp = fclient.post("/_mock/faults", json=fault, headers=ADMIN)
    assert resp.status_code == 200, resp.text
    resp = fclient.get(FUT + "/test/depth", params={"symbol": "BTCUSDT"})
    assert (resp.status_code, resp.content) == (200, b'{"code":10006,"data":null,"msg":"Request too frequently"}')
    spot = {"action": "error", "code": "110041", "path": "/api/spot/v1/market/*"}
    assert fclient.post("/_mock/faults", json=spot, headers=ADMIN).status_code == 200
    resp = fclient.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})
    assert resp.content == b'{"code":"110041","msg":"Interface access times are too fast","data":null,"success":false}'


def test_a_futures_request_in_flight_across_a_reset_is_refused_in_the_futures_envelope(fstate: MockState) -> None:
    app = create_app(state=fstate, products=(SPOT, TEST_FUTURES))
    path = FUT + "/test/depth"
    ctx = app.exchange_routes[path]._context(
        "GET", path, b"symbol=BTCUSDT", {}, b"", "127.0.0.1", fstate.clock.now_ms()
    )
    ctx.generation = fstate.generation
    fstate.reset()  # while the request is in flight
    reply = app.state.pipeline.admit(ctx)
    assert (reply.status, reply.body) == (200, b'{"code":10001,"data":null,"msg":"Network Error"}')
    (entry,) = list(fstate.journal)
    assert (entry.product, entry.verdict, entry.code) == ("futures", "reset-in-flight", "10001")


@pytest.mark.slow  # a state directory: SQLite and a checkpoint on disk (about 1-2 s under load)
def test_the_durable_log_keeps_futures_requests_and_skips_their_no_effect_refusals(tmp_path: Any) -> None:
    config = Config(state_dir=tmp_path / "state", frozen_at_ms=1_724_285_700_000)
    app = create_app(config, products=(SPOT, TEST_FUTURES))
    durable = app.state.mock.durable
    assert durable is not None
    with TestClient(app) as client:
        signed = Signed(client, now_ms=app.state.mock.clock.now_ms)
        assert json.loads(signed.post(FUT + "/test/place", {"symbol": "BTCUSDT", "qty": "1"}).content)["code"] == 0
        bad = signed.post(FUT + "/test/place", {"symbol": "BTCUSDT", "qty": "1"}, sign="0" * 64)
        assert f_error(bad) == (200, 10007, "Sign signature error")  # FSignatureError: a SignatureError, no effect
        assert f_error(signed.post(FUT + "/test/place", {"symbol": "BTCUSDT"})) == (200, 10002, "Parameter Error")
        assert durable.store.log_size() == 2  # the accepted request and the refusal after the nonce was spent
    durable.close()
    again = create_app(config, products=(SPOT, TEST_FUTURES))  # replays both: a different answer would raise
    assert again.state.mock.durable is not None and again.state.mock.durable.replayed == 2
    again.state.mock.durable.close()
