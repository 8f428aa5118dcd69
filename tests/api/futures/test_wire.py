"""The futures wire: GET-with-query signing, the 404 body, public endpoints with and without signatures."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, DEMO_SECRET, MockState

from ...helpers import Signed, auth_headers, fresh_nonce, sign_parts
from .conftest import place
from .wire import F, ferr, fok


def test_a_signed_get_hashes_the_sorted_query_as_key_value_pairs(client: TestClient, signed: Signed) -> None:
    place(signed, side="BUY", tradeSide="OPEN", qty="0.01", price="60000")
    params = {"symbol": "BTCUSDT", "limit": "100", "skip": "0"}
    ts = str(signed.now_ms())
    # Spec §1.6 case B: the hashed query is "limit100skip0symbolBTCUSDT".
    headers = auth_headers(DEMO_API_KEY, DEMO_SECRET, ts, query="limit100skip0symbolBTCUSDT")
    page = fok(client.get(f"{F}/trade/get_pending_orders?{urlencode(params)}", headers=headers))
    assert page["total"] == "1"


def test_a_get_signed_over_the_raw_query_string_is_refused(client: TestClient, signed: Signed) -> None:
    ts = str(signed.now_ms())
    headers = auth_headers(DEMO_API_KEY, DEMO_SECRET, ts, query="marginCoin=USDT")
    assert ferr(client.get(f"{F}/account?marginCoin=USDT", headers=headers)) == (10007, "Sign signature error")


def test_a_get_signed_without_its_query_is_refused(client: TestClient, signed: Signed) -> None:
    headers = auth_headers(DEMO_API_KEY, DEMO_SECRET, str(signed.now_ms()))
    assert ferr(client.get(f"{F}/account?marginCoin=USDT", headers=headers)) == (10007, "Sign signature error")


def test_a_post_hashes_the_raw_body_bytes_spaces_included(client: TestClient, signed: Signed) -> None:
    # The official Python demo signs json.dumps with its default separators and sends those bytes (spec §1.3).
    body = b'{"symbol": "BTCUSDT", "side": "BUY", "tradeSide": "OPEN", "orderType": "LIMIT", "qty": "0.01", "price": "60000"}'
    assert "orderId" in fok(client.post(f"{F}/trade/place_order", content=body, headers=signed.headers(body=body)))


def test_a_private_endpoint_without_api_key_answers_10003(client: TestClient) -> None:
    assert ferr(client.get(f"{F}/account", params={"marginCoin": "USDT"})) == (10003, "api-key can't be empty")


def test_an_unknown_path_answers_the_live_404_body_with_http_200(client: TestClient) -> None:
    for resp in (
        client.get(f"{F}/market/open_interest", params={"symbol": "BTCUSDT"}),
        client.post(f"{F}/trade/nope", content=b"{}"),
    ):
        assert resp.status_code == 200
        assert resp.content == b'{"code":404,"data":null,"msg":"Not Found"}'


def test_public_endpoints_answer_unsigned_and_signed_alike(client: TestClient, signed: Signed) -> None:
    for path, params in [
        ("/market/tickers", {"symbols": "BTCUSDT"}),
        ("/market/trading_pairs", {"symbols": "ETHUSDT"}),
        ("/market/funding_rate", {"symbol": "BTCUSDT"}),
        ("/position/get_position_tiers", {"symbol": "BTCUSDT"}),
    ]:
        plain = fok(client.get(F + path, params=params))
        assert fok(signed.get(F + path, params)) == plain


def test_a_public_endpoint_ignores_a_bad_signature(client: TestClient) -> None:
    nonce, ts = fresh_nonce(), "1"
    headers = {"api-key": "nobody", "nonce": nonce, "timestamp": ts, "sign": sign_parts(nonce, ts, "x", "y", "", b"")}
    assert fok(client.get(f"{F}/market/tickers", params={"symbols": "BTCUSDT"}, headers=headers))


def test_spot_and_futures_answer_side_by_side(client: TestClient, state: MockState) -> None:
    spot = client.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"}).json()
    assert spot["code"] == "0" and spot["success"] is True
    assert fok(client.get(f"{F}/market/funding_rate/batch"))
