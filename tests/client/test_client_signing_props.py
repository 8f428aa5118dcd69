"""Property: whatever the parameters and body, the client's request passes the mock's verifier,
and a one-byte change to any signed part is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_ref._core import Call, Credentials, Prepared, prepare
from mockserver import DEMO_API_KEY, DEMO_SECRET
from mockserver.api.auth import PROFILES, NonceStore, Verifier, canonical_query, query_pairs
from mockserver.engine.accounts import Account
from mockserver.errors import BitunixError

from ..helpers import examples

NOW = 1_760_000_000_000
CREDS = Credentials(DEMO_API_KEY, DEMO_SECRET)
ACCOUNT = Account("demo", 1, DEMO_API_KEY, DEMO_SECRET)
SETTINGS = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
scalars = st.one_of(
    text,
    st.integers(-(10**20), 10**20),
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(lambda d: format(d, "f")),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=12
)
query_params = st.dictionaries(
    keys,
    st.one_of(text, st.integers(0, 10**12), st.decimals(allow_nan=False, allow_infinity=False, places=4)),
    max_size=6,
)
bodies = st.dictionaries(keys, json_values, max_size=6)


def _prepared(method: str, params: dict[str, Any]) -> Prepared:
    operation = "order_detail" if method == "GET" else "pending_list"
    nonces = iter(["a1b2c3d4e5f60718293a4b5c6d7e8f90"])
    return prepare(Call(operation, params, lambda d: d), "http://mock.test", CREDS, lambda: NOW, lambda: next(nonces))


def _verify(headers: dict[str, str], query: bytes, body: bytes) -> str:
    """'ok' or the refusal's exchange code."""
    verifier = Verifier(PROFILES["strict"], NonceStore())
    try:
        auth = verifier.authenticate(headers, query, body, now_ms=NOW, lookup={DEMO_API_KEY: ACCOUNT})
        verifier.authorize(auth, now_ms=NOW, permission=None, client_ip=None)
    except BitunixError as e:
        return e.code
    return "ok"


def _query(p: Prepared) -> bytes:
    return urlsplit(p.url).query.encode("ascii")


def _flip(data: bytes, index: int, to: int) -> bytes:
    i = index % len(data)
    new = to % 256
    if new == data[i]:
        new = (new + 1) % 256
    return data[:i] + bytes([new]) + data[i + 1 :]


def _flip_char(s: str, index: int, alphabet: str) -> str:
    i = index % len(s)
    choices = [c for c in alphabet if c != s[i]]
    return s[:i] + choices[index % len(choices)] + s[i + 1 :]


@SETTINGS
@given(params=query_params)
def test_signed_gets_are_accepted(params: dict[str, Any]) -> None:
    p = _prepared("GET", params)
    assert p.body == b""
    assert _verify(p.headers, _query(p), p.body) == "ok"


@SETTINGS
@given(body=bodies)
def test_signed_posts_are_accepted(body: dict[str, Any]) -> None:
    p = _prepared("POST", body)
    assert _verify(p.headers, b"", p.body) == "ok"


@SETTINGS
@given(body=bodies, index=st.integers(0, 10**6), to=st.integers(0, 255))
def test_any_changed_body_byte_is_refused(body: dict[str, Any], index: int, to: int) -> None:
    p = _prepared("POST", body)
    assert _verify(p.headers, b"", _flip(p.body, index, to)) == "100005"


@SETTINGS
@given(params=query_params.filter(bool), index=st.integers(0, 10**6), to=st.integers(33, 126))
def test_a_changed_query_byte_is_refused_unless_it_means_the_same(params: dict[str, Any], index: int, to: int) -> None:
    p = _prepared("GET", params)
    raw = _query(p)
    bent = _flip(raw, index, to)
    try:
        same = canonical_query(query_pairs(bent)) == canonical_query(query_pairs(raw))
    except BitunixError:
        same = False
    verdict = _verify(p.headers, bent, b"")
    # Percent-escapes are case-insensitive ("%2f" == "%2F"): such a flip sends the same signed text.
    assert verdict == ("ok" if same else verdict)
    if not same:
        assert verdict in ("100005", "2"), verdict


@pytest.mark.parametrize("part", ["api-key", "nonce", "timestamp", "sign"])
@SETTINGS
@given(body=bodies, index=st.integers(0, 10**6))
def test_any_changed_header_character_is_refused(part: str, body: dict[str, Any], index: int) -> None:
    p = _prepared("POST", body)
    alphabet = "0123456789" if part == "timestamp" else "0123456789abcdef"
    bent = dict(p.headers, **{part: _flip_char(p.headers[part], index, alphabet)})
    expected = {"api-key": {"100004"}, "nonce": {"100005"}, "timestamp": {"100005", "100008"}, "sign": {"100005"}}
    assert _verify(bent, b"", p.body) in expected[part]


def test_decimal_parameters_are_signed_as_sent() -> None:
    p = _prepared("GET", {"price": Decimal("1E+3"), "volume": Decimal("0.00010")})
    assert _query(p) == b"price=1000&volume=0.00010"
    assert _verify(p.headers, _query(p), b"") == "ok"
