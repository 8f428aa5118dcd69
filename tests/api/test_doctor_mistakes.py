"""The mistakes real clients make, made by real (wrong) signers, named exactly by the doctor.

Each signer below is written the way a third-party client writes one: a function of
(method, path, params, body) that builds the four auth headers - the wrong way. The
request goes through the whole HTTP pipeline (in-process app); the exchange-faithful
answer stays 100005 while ``x-mock-diagnosis`` and the journal name the mistake.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, MockState, create_app
from mockserver.api import doctor
from mockserver.api.auth import PROFILES
from mockserver.api.doctor import FORM_NOTE, MISTAKES, SECONDS_HEADER_MESSAGE, diagnose, timestamp_hint

from ..helpers import fresh_nonce

SPOT = "/api/spot/v1"
SIGN_ERROR = {"code": "100005", "msg": "result.api.parameter.sign.illegal", "data": None, "success": False}
ORDER = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.01", "price": "60000"}

#: The mistakes this module makes on purpose (test_doctor.py checks every mistake is covered somewhere).
COVERED = {
    "body-signed-as-query",
    "sorted-body",
    "body-as-sorted-fields",
    "spaces-stripped-in-strings",
    "equals-in-query",
    "url-encoded-values",
    "ampersand-separators",
    "wrong-secret",
    "stringified-nested-value",
    "url-encoded-query",
    "case-insensitive-sort",
    "latin1-digest-input",
    "secret-whitespace",
}

Params = dict[str, str]
Body = dict[str, Any] | None
#: A client's signer: (nonce, timestamp, method, path, params, body) -> (sign, body bytes it sends).
Signer = Callable[[str, str, str, str, Params, Body], tuple[str, bytes]]


def sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def finish(nonce: str, ts: str, key: str, query: str, payload: str | bytes, secret: str = DEMO_SECRET) -> str:
    raw = payload.encode() if isinstance(payload, str) else payload
    return sha(sha((nonce + ts + key + query).encode() + raw) + secret)


@pytest.fixture(autouse=True)
def no_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the byte budget: what the doctor finds must not depend on how busy the machine is."""
    monkeypatch.setattr(doctor, "DEADLINE_S", 3600.0)


@pytest.fixture
def app_state() -> Iterator[tuple[TestClient, MockState]]:
    made = create_app(Config(liquidity=False))
    with TestClient(made) as client:
        yield client, made.state.mock


def call(
    app_state: tuple[TestClient, MockState],
    signer: Signer,
    method: str,
    path: str,
    params: Params | None = None,
    body: Body = None,
    *,
    ts: str | None = None,
    content_type: str = "application/json",
) -> tuple[str, dict[str, Any]]:
    """Send the request as the client does; return (x-mock-diagnosis, the journal's diagnosis)."""
    client, state = app_state
    nonce, stamp = fresh_nonce(), ts or str(state.clock.now_ms())
    sign, payload = signer(nonce, stamp, method, SPOT + path, params or {}, body)
    headers = {"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": stamp, "sign": sign, "x-mock-diagnose": "1"}
    if payload:
        headers["content-type"] = content_type
    resp = client.request(method, SPOT + path, params=params, content=payload or None, headers=headers)
    assert resp.json() == SIGN_ERROR, "the exchange-faithful answer never changes"
    entry = list(state.journal)[-1]
    assert DEMO_SECRET not in resp.headers["x-mock-diagnosis"] and DEMO_SECRET not in json.dumps(entry.extra)
    found: dict[str, Any] = entry.extra["diagnosis"]
    assert resp.headers["x-mock-diagnosis"] == f"{found['mistake']}: {found['message']}"
    return resp.headers["x-mock-diagnosis"], found


def compact(body: Body) -> str:
    return json.dumps(body, separators=(",", ":")) if body is not None else ""


# ----------------------------------------------------------------- 1. body fields also signed as a query


def all_params_signer(form: str) -> Signer:
    """A client that merges body fields into the params it signs (one 'sign all parameters' helper)."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        merged = sorted({**params, **{k: str(v) for k, v in (body or {}).items()}}.items())
        query = "".join(k + v for k, v in merged) if form == "kv" else urlencode(merged)
        payload = compact(body)
        return finish(nonce, ts, DEMO_API_KEY, query, payload), payload.encode()

    return signer


@pytest.mark.parametrize(
    ("form", "signed"),
    [
        ("kv", "price60000side2symbolBTCUSDTtype1volume0.01"),
        ("k=v&", "price=60000&side=2&symbol=BTCUSDT&type=1&volume=0.01"),
    ],
)
def test_body_fields_also_signed_as_a_query(app_state: Any, form: str, signed: str) -> None:
    header, found = call(app_state, all_params_signer(form), "POST", "/order/place_order", body=ORDER)
    assert found["mistake"] == "body-signed-as-query"
    assert header == f"body-signed-as-query: {MISTAKES['body-signed-as-query']} (you signed the query as {signed!r})"


# ----------------------------------------------------------------- 2. the body replaced by its sorted fields


def sorted_json_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """Signs a canonical (sorted-key) JSON, sends the dict in insertion order."""
    signed = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return finish(nonce, ts, DEMO_API_KEY, "", signed), compact(body).encode()


def sorted_fields_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """Treats the body like a query: signs its sorted fields as key+value, sends the JSON."""
    signed = "".join(k + str(v) for k, v in sorted((body or {}).items()))
    return finish(nonce, ts, DEMO_API_KEY, "", signed), compact(body).encode()


def test_body_signed_with_sorted_keys_but_sent_unsorted(app_state: Any) -> None:
    header, found = call(app_state, sorted_json_signer, "POST", "/order/place_order", body=ORDER)
    signed = json.dumps(ORDER, separators=(",", ":"), sort_keys=True)
    assert found["mistake"] == "sorted-body"
    assert header == f"sorted-body: {MISTAKES['sorted-body']} (you signed the body as {signed!r})"


def test_a_sorted_body_reserialized_stays_reserialized(app_state: Any) -> None:
    """Sent already sorted, signed with other separators: re-serialized, not sorted."""
    ordered = dict(sorted(ORDER.items()))

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        return finish(nonce, ts, DEMO_API_KEY, "", json.dumps(body, sort_keys=True)), compact(body).encode()

    header, _ = call(app_state, signer, "POST", "/order/place_order", body=ordered)
    assert header == f"reserialized-body: {MISTAKES['reserialized-body']}"


def test_body_replaced_by_its_sorted_fields(app_state: Any) -> None:
    header, found = call(app_state, sorted_fields_signer, "POST", "/order/place_order", body=ORDER)
    signed = "price60000side2symbolBTCUSDTtype1volume0.01"
    assert found["mistake"] == "body-as-sorted-fields"
    assert header == f"body-as-sorted-fields: {MISTAKES['body-as-sorted-fields']} (you signed the body as {signed!r})"


# ----------------------------------------------------------------- 3. every space stripped, strings included


def futures_style_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """The futures SDK habit: json.dumps the body, then remove all spaces from it before hashing."""
    payload = json.dumps(body)
    return finish(nonce, ts, DEMO_API_KEY, "", payload.replace(" ", "")), payload.encode()


def test_spaces_stripped_inside_string_values(app_state: Any) -> None:
    body = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.01", "price": "60000", "clientId": "grid bot 7"}
    header, found = call(app_state, futures_style_signer, "POST", "/order/place_order", body=body)
    signed = json.dumps(body).replace(" ", "")
    assert found["mistake"] == "spaces-stripped-in-strings"
    assert header == (
        f"spaces-stripped-in-strings: {MISTAKES['spaces-stripped-in-strings']} (you signed the body as {signed!r})"
    )


def test_spaces_stripped_between_tokens_only_is_a_reserialization(app_state: Any) -> None:
    """No string value has a space: stripping them is just the compact JSON - not this mistake."""
    header, _ = call(app_state, futures_style_signer, "POST", "/order/place_order", body=ORDER)
    assert header == f"reserialized-body: {MISTAKES['reserialized-body']}"


# ----------------------------------------------------------------- 4. one k=v parameter; several with '&'


def urlencode_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """Signs the query as the URL shows it, sorted: orderId=123 (or a=1&b=2)."""
    return finish(nonce, ts, DEMO_API_KEY, urlencode(sorted(params.items())), ""), b""


def test_a_single_k_equals_v_parameter(app_state: Any) -> None:
    header, found = call(app_state, urlencode_signer, "GET", "/order/detail", {"orderId": "123"})
    assert found["mistake"] == "equals-in-query"
    assert header == (
        f"equals-in-query: {MISTAKES['equals-in-query']} (you signed the query as 'orderId=123'; expected 'orderId123')"
    )
    assert found["expected_digest_input"].endswith(DEMO_API_KEY + "orderId123")


def test_several_parameters_with_ampersands_stay_ampersand_separators(app_state: Any) -> None:
    header, _ = call(app_state, urlencode_signer, "GET", "/order/detail", {"orderId": "123", "clientId": "c1"})
    assert header == (
        f"ampersand-separators: {MISTAKES['ampersand-separators']} "
        "(you signed the query as 'clientId=c1&orderId=123'; expected 'clientIdc1orderId123')"
    )


# ----------------------------------------------------------------- 5. sorted, percent-encoded, sent unsorted


def encoding_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """Sorts and percent-encodes the values for the signature; the HTTP library sends the dict as given."""
    query = "".join(k + quote(v, safe="") for k, v in sorted(params.items()))
    return finish(nonce, ts, DEMO_API_KEY, query, ""), b""


def test_sorted_percent_encoded_query_sent_in_another_order(app_state: Any) -> None:
    params = {"orderId": "123", "clientId": "grid bot/7"}  # sent as orderId=123&clientId=grid+bot%2F7
    header, found = call(app_state, encoding_signer, "GET", "/order/detail", params)
    assert found["mistake"] == "url-encoded-values"
    assert header == (
        f"url-encoded-values: {MISTAKES['url-encoded-values']} (you signed the query as "
        "'clientIdgrid%20bot%2F7orderId123'; expected 'clientIdgrid bot/7orderId123')"
    )


# ----------------------------------------------------------------- 6. a timestamp in seconds


def test_a_seconds_timestamp_is_refused_before_the_signature(app_state: Any) -> None:
    """Signed and sent as 10 digits: 100008 comes first, so the doctor never runs on it."""
    client, state = app_state
    nonce, ts = fresh_nonce(), str(state.clock.now_ms() // 1000)
    sign = finish(nonce, ts, DEMO_API_KEY, "", "")
    headers = {"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts, "sign": sign, "x-mock-diagnose": "1"}
    resp = client.get(SPOT + "/user/account", headers=headers)
    assert resp.json()["code"] == "100008"
    entry = list(state.journal)[-1]
    # The pipeline names the mistake itself: the doctor's hint for a 10-digit header.
    assert entry.extra["diagnosis"] == {"mistake": "seconds-timestamp", "message": SECONDS_HEADER_MESSAGE}
    assert "behind server time" in entry.detail and entry.detail.endswith(
        f"; seconds-timestamp: {SECONDS_HEADER_MESSAGE}"
    )
    assert resp.headers["x-mock-diagnosis"] == entry.detail
    assert timestamp_hint(ts) == f"seconds-timestamp: {SECONDS_HEADER_MESSAGE}"
    assert timestamp_hint(str(state.clock.now_ms())) is None and timestamp_hint("12345678x0") is None


def test_signed_in_seconds_but_sent_in_milliseconds(app_state: Any) -> None:
    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        return finish(nonce, str(int(ts) // 1000), DEMO_API_KEY, "", ""), b""

    header, _ = call(app_state, signer, "GET", "/user/account")
    assert header == f"seconds-timestamp: {MISTAKES['seconds-timestamp']}"


# ----------------------------------------------------------------- 7. a two-key client mixes up its secrets


class TwoKeyClient:
    """A bot with a trading key and a read-only key, whose secrets table is keyed by the wrong name."""

    def __init__(self, client: TestClient, keys: dict[str, tuple[str, str]], now_ms: Callable[[], int]) -> None:
        self.client = client
        self.keys = keys
        self.now_ms = now_ms

    def get(self, role: str, path: str, *, secret_of: str | None = None) -> Any:
        key, secret = self.keys[role]
        secret = self.keys[secret_of][1] if secret_of else secret
        nonce, ts = fresh_nonce(), str(self.now_ms())
        sign = finish(nonce, ts, key, "", "", secret)
        headers = {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign, "x-mock-diagnose": "1"}
        return self.client.get(SPOT + path, headers=headers)


def test_a_two_key_client_that_mixes_up_its_secrets() -> None:
    made = create_app(Config(liquidity=False))
    state: MockState = made.state.mock
    reader = state.exchange.create_account()
    keys = {"trade": (DEMO_API_KEY, DEMO_SECRET), "read": (reader.api_key, reader.secret)}
    with (
        TestClient(made, client=("198.51.100.9", 5000)) as http,
        TestClient(made, client=("203.0.113.9", 5000)) as other,
    ):
        bot = TwoKeyClient(http, keys, state.clock.now_ms)
        # Before the read key was ever used from this address: nothing to say about whose secret it is.
        first = bot.get("trade", "/user/account", secret_of="read")
        assert first.json() == SIGN_ERROR and first.headers["x-mock-diagnosis"].startswith("unknown: ")
        assert bot.get("read", "/user/account").json()["code"] == "0"
        mixed = bot.get("trade", "/user/account", secret_of="read")
        assert mixed.json() == SIGN_ERROR
        assert mixed.headers["x-mock-diagnosis"] == (
            f"wrong-secret: {MISTAKES['wrong-secret']} (the sign matches one of the other api-keys you use: "
            "check which key you sign with)"
        )
        for secret in (reader.secret, DEMO_SECRET):
            assert secret not in mixed.headers["x-mock-diagnosis"]
        assert reader.api_key not in mixed.headers["x-mock-diagnosis"]
        assert reader.api_key not in json.dumps(list(state.journal)[-1].extra)
        # Another address, same mix-up: it never proved it holds the read key.
        stranger = TwoKeyClient(other, keys, state.clock.now_ms)
        assert (
            stranger.get("trade", "/user/account", secret_of="read").headers["x-mock-diagnosis"].startswith("unknown: ")
        )


# ----------------------------------------------------------------- 8. body fields as k=v pairs joined with nothing


def equals_fields_signer(slot: str) -> Signer:
    """Signs the params and body fields as sorted k=v pairs with no separator ("k=v" + "k2=v2"), in the
    query slot before the JSON body, or instead of the body."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        fields = "".join(f"{k}={v}" for k, v in sorted({**params, **(body or {})}.items()))
        payload = compact(body)
        if slot == "query":
            return finish(nonce, ts, DEMO_API_KEY, fields, payload), payload.encode()
        return finish(nonce, ts, DEMO_API_KEY, "", fields), payload.encode()

    return signer


def test_body_fields_signed_as_equals_pairs_before_the_body(app_state: Any) -> None:
    header, _ = call(app_state, equals_fields_signer("query"), "POST", "/order/place_order", body=ORDER)
    assert header == (
        f"body-signed-as-query: {MISTAKES['body-signed-as-query']} "
        "(you signed the query as 'price=60000side=2symbol=BTCUSDTtype=1volume=0.01')"
    )


def test_body_fields_signed_as_equals_pairs_instead_of_the_body(app_state: Any) -> None:
    header, _ = call(app_state, equals_fields_signer("body"), "POST", "/order/place_order", body=ORDER)
    assert header == (
        f"body-as-sorted-fields: {MISTAKES['body-as-sorted-fields']} "
        "(you signed the body as 'price=60000side=2symbol=BTCUSDTtype=1volume=0.01')"
    )


# ----------------------------------------------------------------- 9. a nested value stringified by the language

CANCEL = {"orderIdList": [{"orderId": "1", "symbol": "BTCUSDT"}]}
BATCH = {"orderList": [ORDER, {**ORDER, "side": 1, "price": "70000"}]}


def python_params_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """A generic Python client: signs every parameter, body fields included, as sorted key + str(value)."""
    merged = {**params, **(body or {})}
    query = "".join(k + str(v) for k, v in sorted(merged.items()))
    payload = compact(body)
    return finish(nonce, ts, DEMO_API_KEY, query, payload), payload.encode()


def js_template_signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
    """A JavaScript client: `${k}${v}` over the sorted body fields, signed instead of the JSON it sends."""

    def js(v: Any) -> str:
        if isinstance(v, dict):
            return "[object Object]"
        if isinstance(v, list):
            return ",".join(js(x) for x in v)
        return str(v)

    signed = "".join(k + js(v) for k, v in sorted((body or {}).items()))
    return finish(nonce, ts, DEMO_API_KEY, "", signed), compact(body).encode()


def test_a_nested_value_stringified_by_python(app_state: Any) -> None:
    header, found = call(app_state, python_params_signer, "POST", "/order/cancel", body=CANCEL)
    assert found["mistake"] == "stringified-nested-value"
    assert header == (
        f"stringified-nested-value: {MISTAKES['stringified-nested-value']} "
        """(you signed the query as "orderIdList[{'orderId': '1', 'symbol': 'BTCUSDT'}]")"""
    )


def test_nested_values_stringified_by_javascript(app_state: Any) -> None:
    header, _ = call(app_state, js_template_signer, "POST", "/order/place_order/batch", body=BATCH)
    assert header == (
        f"stringified-nested-value: {MISTAKES['stringified-nested-value']} "
        "(you signed the body as 'orderList[object Object],[object Object]')"
    )


def test_flat_fields_signed_by_python_stay_body_signed_as_query(app_state: Any) -> None:
    """No nested value: str() and JSON write the fields alike, so it is the plain mistake."""
    header, _ = call(app_state, python_params_signer, "POST", "/order/pending/list", body={"symbol": "BTCUSDT"})
    assert header == (
        f"body-signed-as-query: {MISTAKES['body-signed-as-query']} (you signed the query as 'symbolBTCUSDT')"
    )


# ----------------------------------------------------------------- 10. a URL query string, sorted, sent unsorted


@pytest.mark.parametrize(
    ("quote_via", "signed"),
    [("plus", "clientId=grid+bot%2F7&orderId=123"), ("percent", "clientId=grid%20bot%2F7&orderId=123")],
)
def test_sorted_url_query_string_sent_in_another_order(app_state: Any, quote_via: str, signed: str) -> None:
    """PyPI's client: urlencode(sorted(params)) signed; the HTTP library sends the dict in its own order."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        encoded = urlencode(sorted(params.items()), quote_via=quote if quote_via == "percent" else quote_plus)
        return finish(nonce, ts, DEMO_API_KEY, encoded, ""), b""

    params = {"orderId": "123", "clientId": "grid bot/7"}
    header, _ = call(app_state, signer, "GET", "/order/detail", params)
    assert header == (
        f"url-encoded-query: {MISTAKES['url-encoded-query']} "
        f"(you signed the query as {signed!r}; expected 'clientIdgrid bot/7orderId123')"
    )


# ----------------------------------------------------------------- 11. keys sorted ignoring case


def case_insensitive_signer(
    nonce: str, ts: str, method: str, path: str, params: Params, body: Body
) -> tuple[str, bytes]:
    """Sorts keys the way a human reads them (str.lower / localeCompare), then signs key+value."""
    query = "".join(k + v for k, v in sorted(params.items(), key=lambda kv: kv[0].lower()))
    return finish(nonce, ts, DEMO_API_KEY, query, ""), b""


def test_query_keys_sorted_ignoring_case(app_state: Any) -> None:
    params = {"orderId": "1", "b": "2", "B": "1", "a1": "x", "_z": "0"}
    header, _ = call(app_state, case_insensitive_signer, "GET", "/order/detail", params)
    assert header == (
        f"case-insensitive-sort: {MISTAKES['case-insensitive-sort']} "
        "(you signed the query as '_z0a1xb2B1orderId1'; expected 'B1_z0a1xb2orderId1')"
    )


# ----------------------------------------------------------------- 12. a latin-1 digest input


def latin1_signer(style: str) -> Signer:
    """Java's getBytes(ISO_8859_1) ('?' for what latin-1 lacks) or Node's Buffer.from(s, 'latin1')."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False) if body is not None else ""
        text = nonce + ts + DEMO_API_KEY + "".join(k + v for k, v in sorted(params.items())) + payload
        if style == "java":
            raw = text.encode("latin-1", "replace")
        else:
            raw = bytes(unit & 0xFF for unit in memoryview(text.encode("utf-16-le")).cast("H"))
        return sha(sha(raw) + DEMO_SECRET), payload.encode()

    return signer


def test_a_latin1_digest_input_with_a_non_ascii_body(app_state: Any) -> None:
    body = {**ORDER, "clientId": "café ☕"}
    header, _ = call(app_state, latin1_signer("java"), "POST", "/order/place_order", body=body)
    assert header == (
        f"latin1-digest-input: {MISTAKES['latin1-digest-input']} (its first non-ASCII character is U+00E9)"
    )


def test_a_latin1_digest_input_with_a_non_ascii_query(app_state: Any) -> None:
    header, _ = call(app_state, latin1_signer("node"), "GET", "/order/detail", {"orderId": "比特币42"})
    assert header == (
        f"latin1-digest-input: {MISTAKES['latin1-digest-input']} (its first non-ASCII character is U+6BD4)"
    )


def test_a_cp1252_digest_input_with_a_euro_sign(app_state: Any) -> None:
    """Windows' default code page: '€' is 0x80 there (latin-1 has no '€' at all)."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return sha(sha((nonce + ts + DEMO_API_KEY + payload).encode("cp1252")) + DEMO_SECRET), payload.encode()

    header, _ = call(app_state, signer, "POST", "/order/place_order", body={**ORDER, "clientId": "5€ café"})
    assert header == (
        f"latin1-digest-input: {MISTAKES['latin1-digest-input']} "
        "(as Windows-1252 (cp1252); its first non-ASCII character is U+20AC)"
    )


# ----------------------------------------------------------------- 13. a secret with whitespace around it


@pytest.mark.parametrize(
    ("padded", "where"),
    [
        (DEMO_SECRET + "\n", "a trailing newline ('\\n')"),
        (DEMO_SECRET + "\r\n", "a trailing CR LF ('\\r\\n')"),
        (DEMO_SECRET + "\t", "a trailing tab ('\\t')"),
        (" " + DEMO_SECRET + " ", "a space on each side"),
    ],
)
def test_a_secret_read_with_whitespace(app_state: Any, padded: str, where: str) -> None:
    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        payload = compact(body)
        return finish(nonce, ts, DEMO_API_KEY, "", payload, secret=padded), payload.encode()

    header, found = call(app_state, signer, "POST", "/order/place_order", body=ORDER)
    assert found["mistake"] == "secret-whitespace"
    assert header == f"secret-whitespace: {MISTAKES['secret-whitespace']} (the sign matches the secret with {where})"


# ----------------------------------------------------------------- 14. a Python client's str() and form slips


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_a_form_encoded_body_sent_while_its_json_was_signed(app_state: Any, separators: tuple[str, str]) -> None:
    """requests.post(url, data=order) form-encodes the dict; the client signed json.dumps(order)."""

    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        signed = json.dumps(body, separators=separators)
        return finish(nonce, ts, DEMO_API_KEY, "", signed), urlencode(body or {}).encode()

    header, found = call(
        app_state, signer, "POST", "/order/place_order", body=ORDER, content_type="application/x-www-form-urlencoded"
    )
    assert FORM_NOTE == (
        " (the body was sent form-encoded (k=v&k2=v2, as Python requests sends data=dict) while the JSON of the "
        "same fields was signed: send the JSON text you sign as the body, with content-type application/json)"
    )
    assert header == f"reserialized-body: {MISTAKES['reserialized-body']}{FORM_NOTE}"
    # Bounded and only on refusal: 2 seconds-timestamps, 19 formulas, str() of the body bytes (no dict: the
    # body is no JSON), then the typings of ORDER's 4 number-looking values (side, type, volume, price) as
    # strings or numbers, fewest numbers first, each with 2 separators: {side, type} is the 6th of 2**4.
    assert found["hashes"] == 2 + 19 + 1 + 2 * 5 + (1 if separators == (",", ":") else 2)


def test_python_str_of_the_body_bytes_signed(app_state: Any) -> None:
    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        payload = compact(body).encode()
        return finish(nonce, ts, DEMO_API_KEY, "", str(payload)), payload

    header, _ = call(app_state, signer, "POST", "/order/place_order", body=ORDER)
    assert header == (
        f"reserialized-body: {MISTAKES['reserialized-body']} (you signed Python's str() of the body bytes, "
        'b\'{"symbol":"BTCUSDT","side":2,"type":1,"volume":"0.01","price":"60000"}\': sign the bytes '
        "themselves, not str(bytes))"
    )


def test_python_str_of_the_body_dict_signed(app_state: Any) -> None:
    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        return finish(nonce, ts, DEMO_API_KEY, "", str(body)), compact(body).encode()

    header, _ = call(app_state, signer, "POST", "/order/place_order", body=ORDER)
    assert header == (
        f"reserialized-body: {MISTAKES['reserialized-body']} (you signed Python's str() of the body's dict, "
        "{'symbol': 'BTCUSDT', 'side': 2, 'type': 1, 'volume': '0.01', 'price': '60000'}: sign the JSON text you "
        "send (json.dumps), not str(dict))"
    )


def test_get_parameters_signed_as_a_json_body(app_state: Any) -> None:
    def signer(nonce: str, ts: str, method: str, path: str, params: Params, body: Body) -> tuple[str, bytes]:
        return finish(nonce, ts, DEMO_API_KEY, "", json.dumps(params, separators=(",", ":"))), b""

    header, _ = call(app_state, signer, "GET", "/order/detail", {"orderId": "1"})
    assert header == (
        f"body-on-get: {MISTAKES['body-on-get']} (you signed the query parameters as the JSON body "
        '{"orderId":"1"} with an empty query: a GET signs its sorted parameters as the query part and an empty body)'
    )


# ----------------------------------------------------------------- the doctor stays exact and bounded


def test_no_candidate_is_reported_unless_it_reproduces_the_sign() -> None:
    """A sign that is none of the mistakes (a random one) on a body with every variant: unknown."""
    body = json.dumps({"b": "x y", "a": 1}).encode()
    found = diagnose(
        method="POST",
        raw_query=b"z=1&y=a%20b",
        body=body,
        headers={"api-key": "k", "nonce": "n" * 32, "timestamp": str(int(time.time() * 1000)), "sign": "cd" * 32},
        secret="s",
        profile=PROFILES["live"],
        deadline_s=3600.0,
    )
    # 11 query forms, 2 seconds, 19 formulas (6 of them the secret with whitespace), Python's str() of the body
    # bytes and of its dict (2; no form forms: the body is JSON), 17 body variants (1 stripped, 6 fields as
    # query, 3 fields as body, 7 re-serializations: the rest are duplicates or the bytes sent), the
    # upper-cased nonce; no latin-1 forms (the input is ASCII), no str() forms (nothing nested)
    assert (found.mistake, found.hashes) == ("unknown", 52)


@pytest.mark.parametrize(
    ("profile", "sent", "signed", "mistake"),
    [
        ("live", b"orderId=1", "orderId=1", "equals-in-query"),
        ("live", b"orderId=1&b=2", "b=2&orderId=1", "ampersand-separators"),
        ("strict", b"orderId=1&b=2", "b=2orderId=1", "equals-separators"),
        # The docs profile signs k=v itself: its own form unsorted is "unsorted", never "url-encoded".
        ("docs", b"orderId=1&b=2", "orderId=1b=2", "unsorted-query"),
        ("docs", b"orderId=a%20b", "orderId=a%20b", "url-encoded-values"),
        ("docs", b"orderId=1", "orderId1", "unknown"),
        ("docs", b"orderId=1&b=2", "b=2&orderId=1", "ampersand-separators"),
    ],
)
def test_query_forms_are_named_against_the_profiles_own_form(
    profile: str, sent: bytes, signed: str, mistake: str
) -> None:
    nonce, ts = "n" * 32, "1724285700000"
    found = diagnose(
        method="GET",
        raw_query=sent,
        body=b"",
        headers={"api-key": "k", "nonce": nonce, "timestamp": ts, "sign": finish(nonce, ts, "k", signed, "", "s")},
        secret="s",
        profile=PROFILES[profile],
    )
    assert found.mistake == mistake
