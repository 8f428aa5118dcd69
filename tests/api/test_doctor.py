"""The signature doctor: every usual mistake, made on purpose, is named - and the exchange's answer stays exact."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import unquote

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, DEMO_SECRET, MockState
from mockserver.api.auth import PROFILES
from mockserver.api.doctor import MISTAKES, diagnose

from ..helpers import fresh_nonce

SPOT = "/api/spot/v1"
SIGN_ERROR = {"code": "100005", "msg": "result.api.parameter.sign.illegal", "data": None, "success": False}


def h(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def right(nonce: str, ts: str, key: str, query: str, body: bytes, secret: str = DEMO_SECRET) -> str:
    return h(h((nonce + ts + key + query).encode() + body) + secret)


# (mistake, method, path+query, body sent, signer(nonce, ts) -> sign)
Case = tuple[str, str, str, bytes, Callable[[str, str], str]]
K = DEMO_API_KEY
BODY = json.dumps({"symbol": "BTCUSDT", "note": "é"}, separators=(",", ":"), ensure_ascii=False).encode()
Q = "orderId=1&b=2&a=3"
CANON = "a3b2orderId1"

CASES: list[Case] = [
    ("uppercase-hex", "GET", SPOT + "/user/account", b"", lambda n, t: right(n, t, K, "", b"").upper()),
    ("unsorted-query", "GET", SPOT + "/order/detail?" + Q, b"", lambda n, t: right(n, t, K, "orderId1b2a3", b"")),
    (
        "ampersand-separators",
        "GET",
        SPOT + "/order/detail?" + Q,
        b"",
        lambda n, t: right(n, t, K, "a=3&b=2&orderId=1", b""),
    ),
    ("equals-separators", "GET", SPOT + "/order/detail?" + Q, b"", lambda n, t: right(n, t, K, "a=3b=2orderId=1", b"")),
    (
        "url-encoded-values",
        "GET",
        SPOT + "/order/detail?orderId=x%20y",
        b"",
        lambda n, t: right(n, t, K, "orderIdx%20y", b""),
    ),
    (
        "query-with-question-mark",
        "GET",
        SPOT + "/order/detail?" + Q,
        b"",
        lambda n, t: right(n, t, K, "?" + CANON, b""),
    ),
    (
        "reserialized-body",
        "POST",
        SPOT + "/order/pending/list",
        BODY,
        lambda n, t: right(n, t, K, "", json.dumps(json.loads(BODY)).encode()),
    ),
    (
        "pretty-body",
        "POST",
        SPOT + "/order/pending/list",
        BODY,
        lambda n, t: right(n, t, K, "", json.dumps(json.loads(BODY), indent=2, ensure_ascii=False).encode()),
    ),
    ("body-on-get", "GET", SPOT + "/user/account", b"", lambda n, t: right(n, t, K, "", b"{}")),
    ("braces-for-empty-body", "POST", SPOT + "/order/pending/list", b"", lambda n, t: right(n, t, K, "", b"{}")),
    ("seconds-timestamp", "GET", SPOT + "/user/account", b"", lambda n, t: right(n, t[:-3], K, "", b"")),
    (
        "single-hash",
        "POST",
        SPOT + "/order/pending/list",
        BODY,
        lambda n, t: h((n + t + K).encode() + BODY + DEMO_SECRET.encode()),
    ),
    ("digest-without-secret", "GET", SPOT + "/user/account", b"", lambda n, t: h(n + t + K)),
    (
        "hmac-instead-of-sha256",
        "POST",
        SPOT + "/order/pending/list",
        BODY,
        lambda n, t: hmac.new(DEMO_SECRET.encode(), (n + t + K).encode() + BODY, hashlib.sha256).hexdigest(),
    ),
    ("secret-first", "GET", SPOT + "/user/account", b"", lambda n, t: h(DEMO_SECRET + h(n + t + K))),
    (
        "secret-in-first-round",
        "GET",
        SPOT + "/user/account",
        b"",
        lambda n, t: h(h(n + t + K + DEMO_SECRET) + DEMO_SECRET),
    ),
    ("uppercase-digest", "GET", SPOT + "/user/account", b"", lambda n, t: h(h(n + t + K).upper() + DEMO_SECRET)),
    ("api-key-omitted", "POST", SPOT + "/order/pending/list", BODY, lambda n, t: right(n, t, "", "", BODY)),
    ("wrong-order", "GET", SPOT + "/user/account", b"", lambda n, t: h(h(t + n + K) + DEMO_SECRET)),
]


def send(client: TestClient, method: str, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.request(method, url, content=body or None, headers={**headers, "x-mock-diagnose": "1"})


def test_every_mistake_has_a_case() -> None:
    from .test_doctor_mistakes import COVERED

    covered = {c[0] for c in CASES} | {"other-nonce", "wrong-secret"} | COVERED
    assert covered == set(MISTAKES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_named(case: Case, client: TestClient, state: MockState) -> None:
    mistake, method, url, body, signer = case
    nonce, ts = fresh_nonce(), str(state.clock.now_ms())
    headers = {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": signer(nonce, ts)}
    resp = send(client, method, url, body, headers)
    assert resp.json() == SIGN_ERROR, "the exchange-faithful answer does not change"
    assert resp.headers["x-mock-diagnosis"].startswith(mistake + ": ")
    entry = list(state.journal)[-1]
    assert entry.extra["diagnosis"]["mistake"] == mistake
    expected_input = unquote(resp.headers["x-mock-expected-digest-input"])
    assert expected_input == entry.extra["diagnosis"]["expected_digest_input"]
    assert expected_input.startswith(nonce + ts + K)
    assert DEMO_SECRET not in json.dumps(entry.extra) and DEMO_SECRET not in str(resp.headers)


def test_another_nonce_is_named(client: TestClient, state: MockState) -> None:
    first, ts = fresh_nonce(), str(state.clock.now_ms())
    ok_headers = {"api-key": K, "nonce": first, "timestamp": ts, "sign": right(first, ts, K, "", b"")}
    assert client.get(SPOT + "/user/account", headers=ok_headers).json()["code"] == "0"
    again = fresh_nonce()
    bad = {"api-key": K, "nonce": again, "timestamp": ts, "sign": right(first, ts, K, "", b"")}
    resp = send(client, "GET", SPOT + "/user/account", b"", bad)
    assert resp.json() == SIGN_ERROR
    assert (
        resp.headers["x-mock-diagnosis"] == f"other-nonce: {MISTAKES['other-nonce']} (the sign matches nonce {first!r})"
    )


def test_another_accounts_secret_is_named(client: TestClient, state: MockState) -> None:
    other = state.exchange.create_account()
    # Named only once this client has proved it holds that secret (an accepted signed request).
    first, ts = fresh_nonce(), str(state.clock.now_ms())
    mine = {"api-key": other.api_key, "nonce": first, "timestamp": ts}
    resp = client.get(
        SPOT + "/user/account", headers={**mine, "sign": right(first, ts, other.api_key, "", b"", other.secret)}
    )
    assert resp.json()["code"] == "0"
    nonce = fresh_nonce()
    bad = {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": right(nonce, ts, K, "", b"", other.secret)}
    resp = send(client, "GET", SPOT + "/user/account", b"", bad)
    assert resp.headers["x-mock-diagnosis"] == (
        f"wrong-secret: {MISTAKES['wrong-secret']} (the sign matches one of the other api-keys you use: "
        "check which key you sign with)"
    )
    assert (
        other.secret not in resp.headers["x-mock-diagnosis"] and other.api_key not in resp.headers["x-mock-diagnosis"]
    )


def test_an_unknown_mistake_still_shows_the_expected_input(client: TestClient, state: MockState) -> None:
    nonce, ts = fresh_nonce(), str(state.clock.now_ms())
    resp = send(
        client, "GET", SPOT + "/user/account", b"", {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": "ab" * 32}
    )
    assert resp.headers["x-mock-diagnosis"].startswith("unknown: no usual mistake reproduces this sign")
    assert unquote(resp.headers["x-mock-expected-digest-input"]) == nonce + ts + K


def test_diagnosis_is_opt_in_but_always_journaled(client: TestClient, state: MockState) -> None:
    nonce, ts = fresh_nonce(), str(state.clock.now_ms())
    headers = {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": right(nonce, ts, K, "", b"").upper()}
    resp = client.get(SPOT + "/user/account", headers=headers)
    assert resp.json() == SIGN_ERROR
    assert "x-mock-diagnosis" not in resp.headers and "x-mock-expected-digest-input" not in resp.headers
    entry = client.get("/_mock/journal?limit=1").json()[0]
    assert entry["diagnosis"]["mistake"] == "uppercase-hex"


def test_valid_requests_are_never_diagnosed(client: TestClient, state: MockState) -> None:
    nonce, ts = fresh_nonce(), str(state.clock.now_ms())
    headers = {
        "api-key": K,
        "nonce": nonce,
        "timestamp": ts,
        "sign": right(nonce, ts, K, "", b""),
        "x-mock-diagnose": "1",
    }
    resp = client.get(SPOT + "/user/account", headers=headers)
    assert resp.json()["code"] == "0" and "x-mock-diagnosis" not in resp.headers
    assert "diagnosis" not in list(state.journal)[-1].extra


def test_pure_doctor_on_the_official_style_inputs() -> None:
    d = diagnose(
        method="GET",
        raw_query=b"uid=200&id=1",
        body=b"",
        headers={
            "api-key": "k",
            "nonce": "n" * 32,
            "timestamp": "1724285700000",
            "sign": right("n" * 32, "1724285700000", "k", "id=1&uid=200", b"", "s"),
        },
        secret="s",
        profile=PROFILES["strict"],
    )
    assert (d.mistake, d.expected_digest_input) == ("ampersand-separators", "n" * 32 + "1724285700000" + "kid1uid200")
    assert d.message.startswith(MISTAKES["ampersand-separators"])


def test_doctor_over_a_real_socket() -> None:
    from mockserver.testing import MockServer

    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url) as http:
        nonce, ts = fresh_nonce(), str(mock.state.clock.now_ms())
        headers = {
            "api-key": K,
            "nonce": nonce,
            "timestamp": ts,
            "sign": h(nonce + ts + K),
            "x-mock-diagnose": "1",
        }
        resp = http.get(SPOT + "/user/account", headers=headers)
        assert resp.json() == SIGN_ERROR
        assert resp.headers["x-mock-diagnosis"].startswith("digest-without-secret: ")


def test_the_doctor_page_lists_every_mistake() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "docs" / "doctor.md").read_text("utf-8")
    for mistake, message in MISTAKES.items():
        assert f"| `{mistake}` | {message} |" in readme, mistake
