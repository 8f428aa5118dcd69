"""Admin bodies holding a lone surrogate (``{"\\ud800": 1}``) answer 400 with a clear message, never 500.

Python's ``json`` reads ``\\ud800`` into a string that cannot be encoded; echoing it (an
"unknown field" message) used to fail while answering. Every admin route is fuzzed with such
bodies: a route that reads a body refuses it with the exact message and changes nothing; a route
that reads none ignores it and still never answers 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, create_app
from mockserver.config import ADMIN_PREFIX
from mockserver.control.routes import ADMIN_ROUTES, AdminRoute

from ..helpers import WHITELISTED, admin_call

TAIL = ", which is not Unicode text (a character beyond U+FFFF is sent as a surrogate pair)"
PARAMS = {"api_key": DEMO_API_KEY, "symbol": "BTCUSDT", "fault_id": "f1", "entry_id": "1", "tenant_id": "t1"}
BODY_ROUTES = [r for r in ADMIN_ROUTES if r.request is not None]
OTHER_ROUTES = [r for r in ADMIN_ROUTES if r.request is None]


def _path(route: AdminRoute) -> str:
    return ADMIN_PREFIX + re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], route.path)


def _client() -> TestClient:
    app = create_app(Config(liquidity=False))
    app.state.mock.wallet.whitelist(app.state.mock.demo.account_id, list(WHITELISTED))
    return TestClient(app, raise_server_exceptions=False)


def _send(client: TestClient, route: AdminRoute, raw: bytes) -> Any:
    return client.request(route.method, _path(route), content=raw, headers={"content-type": "application/json"})


def _view(client: TestClient) -> Any:
    snap = admin_call(client, "GET", "/snapshot")
    del snap["clock"]
    return snap


def _id(route: AdminRoute) -> str:
    return f"{route.method} {route.path}"


def test_every_admin_route_is_fuzzed() -> None:
    assert len(BODY_ROUTES) >= 10 and len(OTHER_ROUTES) >= 20
    assert ("POST", "/accounts/{api_key}/withdraw-addresses") in {(r.method, r.path) for r in BODY_ROUTES}


EXACT = [
    (b'{"\\ud800": 1}', 'body: the key "\\ud800" holds a lone surrogate (\\ud800)' + TAIL),
    (b'{"a": "x\\udc00"}', "body: a holds a lone surrogate (\\udc00)" + TAIL),
    (b'{"addresses": ["T1", "\\udbff"]}', "body: addresses[1] holds a lone surrogate (\\udbff)" + TAIL),
    (
        b'{"balances": {"USDT": {"\\udfffk": 1}}}',
        'body: balances.USDT: the key "\\udfffk" holds a lone surrogate (\\udfff)' + TAIL,
    ),
    (b'"\\ud83d"', "body: the document holds a lone surrogate (\\ud83d)" + TAIL),
    (b'{"a": "\\ude00\\ud83d"}', "body: a holds a lone surrogate (\\ude00)" + TAIL),  # a pair the wrong way round
]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_id)
@pytest.mark.parametrize(("raw", "message"), EXACT, ids=[m.split(" holds")[0] for _, m in EXACT])
def test_a_lone_surrogate_in_any_admin_body_is_refused_with_a_clear_400(
    route: AdminRoute, raw: bytes, message: str
) -> None:
    client = _client()
    before = _view(client)
    resp = _send(client, route, raw)
    assert (resp.status_code, resp.json()) == (400, {"error": message})
    assert _view(client) == before


def test_a_proper_surrogate_pair_is_text_and_accepted() -> None:
    client = _client()
    made = admin_call(client, "POST", "/accounts", b'{"label": "bot \\ud83d\\ude00"}')
    assert made["label"] == "bot \U0001f600"


def _with_surrogate(doc: Any, lone: str, as_key: bool) -> Any:
    """``doc`` with ``lone`` planted at its deepest first position, as a key or inside a string value."""
    if isinstance(doc, dict) and doc:
        key = next(iter(doc))
        return {**doc, key: _with_surrogate(doc[key], lone, as_key)}
    if isinstance(doc, list) and doc:
        return [_with_surrogate(doc[0], lone, as_key), *doc[1:]]
    return {lone + "k": doc} if as_key else {"v": f"a{lone}b"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
LONE = st.integers(0xD800, 0xDFFF).map(chr)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=_id)
@settings(max_examples=15, deadline=None)
@given(doc=JSON, lone=LONE, as_key=st.booleans())
def test_fuzz_every_admin_route_with_lone_surrogates(route: AdminRoute, doc: Any, lone: str, as_key: bool) -> None:
    raw = json.dumps(_with_surrogate(doc, lone, as_key)).encode("ascii")  # ensure_ascii: the surrogate as \\uXXXX
    client = _client()
    resp = _send(client, route, raw)
    assert resp.status_code != 500, resp.text
    if route.request is not None:
        assert resp.status_code == 400, resp.text
        error = resp.json()["error"]
        assert error.startswith("body: ") and error.endswith(f"holds a lone surrogate (\\u{ord(lone):04x})" + TAIL)
