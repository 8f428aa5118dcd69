"""Schemathesis against the mock's own OpenAPI, in-process: zero 5xx, zero schema violations.

Signed operations are generated with real signatures: a test-only ASGI wrapper signs each request
over the exact bytes it receives (schemathesis serializes bodies itself, so the test cannot sign
them beforehand), which lets generated requests reach validation and the handlers.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, create_app

from ..helpers import examples

_mock = create_app(Config(liquidity=False))
_count = itertools.count()


async def signing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http" or not scope["path"].startswith("/api/"):
        await _mock(scope, receive, send)
        return
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    from mockserver.api.auth import canonical_query, query_pairs

    query = canonical_query(query_pairs(scope.get("query_string", b""))) if scope.get("query_string") else ""
    nonce = f"{next(_count):032x}"
    ts = str(_mock.state.mock.clock.now_ms())
    digest = hashlib.sha256((nonce + ts + DEMO_API_KEY + query).encode() + body).hexdigest()
    sign = hashlib.sha256((digest + DEMO_SECRET).encode()).hexdigest()
    added = [
        (b"api-key", DEMO_API_KEY.encode()),
        (b"nonce", nonce.encode()),
        (b"timestamp", ts.encode()),
        (b"sign", sign.encode()),
    ]
    headers = [(k, v) for k, v in scope["headers"] if k not in {b"api-key", b"nonce", b"timestamp", b"sign"}]
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    await _mock(dict(scope, headers=headers + added), replay, send)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
    allow_header_conformance,
]
schema = schemathesis.openapi.from_asgi("/_mock/openapi.json", signing_app)


@schema.include(path_regex="^/api/").parametrize()
@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
def test_exchange_paths_conform(case: Any) -> None:
    # The exchange answers HTTP 200 with an error code for bad input (code 2, 100005...), by design:
    # schemathesis's negative-data checks expect 4xx, so only these apply to a faithful mock.
    case.call_and_validate(checks=CHECKS)
