"""Fuzzing: whatever arrives - huge, truncated, non-UTF-8, NaN, 40-digit decimals, duplicate keys,
arrays where objects belong, odd headers - the answer is a well-formed envelope and nothing changes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import ENDPOINTS, Config, MockState, create_app

from ..helpers import Signed, examples

SETTINGS = settings(max_examples=examples(120), deadline=None, suppress_health_check=list(HealthCheck))
POSTS = [ep for ep in ENDPOINTS if ep.method == "POST"]
GETS = [ep for ep in ENDPOINTS if ep.method == "GET"]

_app = create_app(Config(liquidity=False, max_body_bytes=64 * 1024))
_client = TestClient(_app)
_state: MockState = _app.state.mock
_signed = Signed(_client, now_ms=_state.clock.now_ms)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "0." + "1" * 40, "9" * 40, "-0", "1E-30"]),
)
json_docs = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)
raw_bodies = st.one_of(
    json_docs.map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=300),
    st.sampled_from(
        [
            b'{"symbol": "BTCUSDT", "symbol": ["x"]}',
            b'{"side": NaN, "type": 1, "volume": Infinity, "price": -Infinity, "symbol": "BTCUSDT"}',
            b'{"side": 2, "type": 1, "volume": 0.0000000000000000000000000000000000000001, "price": 1, "symbol": "BTCUSDT"}',
            b'{"side": 2, "type": 1, "volume": "1234567890123456789012345678901234567890", "price": "1", "symbol": "BTCUSDT"}',
            b'{"orderList": {"side": 2}}',
            b'{"orderIdList": "1"}',
            b'[{"symbol": "BTCUSDT"}]',
            b'{"symbol": "BTCUSDT"',
            b"\xff\xfe{}",
            b'{"symbol": "\\ud800"}',
            b"{" * 5000 + b"}" * 5000,
        ]
    ),
)
fields = st.sampled_from(
    ["side", "type", "volume", "price", "symbol", "orderIdList", "orderList", "coin", "amount", "orderId"]
)
object_bodies = st.dictionaries(fields, json_docs, max_size=6).map(lambda d: json.dumps(d).encode())
header_values = st.one_of(
    st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1", "replace")),
    st.sampled_from(["", "0" * 200, "-1", "1e13", "１２３"]),
)


def _snapshot() -> Any:
    ex = _state.exchange
    return (
        {a: {c: (b.free, b.locked) for c, b in ex._ledger.balances_of(a).items()} for a in ex.accounts},
        len(ex.orders),
        len(_state.wallet.export_state().records),
    )


def _well_formed(resp: Any) -> dict[str, Any]:
    assert resp.status_code in (200, 404, 405, 413), resp.status_code
    doc = resp.json()
    assert set(doc) == {"code", "msg", "data", "success"}, doc
    assert isinstance(doc["code"], str) and isinstance(doc["msg"], str) and isinstance(doc["success"], bool)
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    assert doc["code"] != "500", doc  # a 500 means the mock failed on this input
    return doc


@SETTINGS
@given(ep=st.sampled_from(POSTS), body=st.one_of(raw_bodies, object_bodies), sign_it=st.booleans())
def test_any_body_gets_an_envelope_and_refusals_change_nothing(ep: Any, body: bytes, sign_it: bool) -> None:
    before = _snapshot()
    resp = _signed.post(ep.path, body) if sign_it else _client.post(ep.path, content=body)
    doc = _well_formed(resp)
    accepted = doc["code"] == "0" and not (isinstance(doc["data"], dict) and doc["data"].get("placeStatus") == 0)
    if not accepted:
        assert _snapshot() == before, f"{ep.operation} refused {body[:80]!r} but changed state"
    assert all(v == 0 for v in _state.exchange.audit().values())


@SETTINGS
@given(
    ep=st.sampled_from(GETS),
    query=st.binary(max_size=200),
    headers=st.dictionaries(
        st.sampled_from(["api-key", "nonce", "timestamp", "sign", "content-type", "x-mock-diagnose"]),
        header_values,
        max_size=5,
    ),
)
def test_any_query_and_headers_get_an_envelope(ep: Any, query: bytes, headers: dict[str, str]) -> None:
    before = _snapshot()
    from urllib.parse import quote_from_bytes

    url = ep.path + "?" + quote_from_bytes(query, safe="=&")
    raw = {k: v.encode("latin-1", "replace").replace(b"\r", b" ").replace(b"\n", b" ") for k, v in headers.items()}
    _well_formed(_client.get(url, headers=raw))
    assert _snapshot() == before


def test_body_limit_edges(make_client: Any) -> None:
    client, state = make_client(liquidity=False, max_body_bytes=1000)
    s = Signed(client, now_ms=state.clock.now_ms)
    pad = {"symbol": "BTCUSDT", "pad": ""}
    base = len(json.dumps(pad, separators=(",", ":")))
    just_under = dict(pad, pad="x" * (1000 - base))
    assert len(json.dumps(just_under, separators=(",", ":"))) == 1000
    assert s.post("/api/spot/v1/order/pending/list", just_under).json()["code"] == "0"
    over = dict(pad, pad="x" * (1001 - base))
    resp = s.post("/api/spot/v1/order/pending/list", over)
    assert resp.status_code == 413 and resp.json()["code"] == "413"
