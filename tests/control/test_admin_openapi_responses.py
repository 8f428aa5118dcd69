"""Every admin route answers what the served OpenAPI document declares for it.

Each route of :data:`~mockserver.control.routes.ADMIN_ROUTES` is called in-process with a valid
request; its status must be one the document declares for that method and path, and its body
must validate (jsonschema) against the schema declared for that status and media type.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, create_app
from mockserver.config import ADMIN_PREFIX
from mockserver.control.routes import ADMIN_ROUTES

SYMBOL = "BTCUSDT"


def _calls(client: TestClient) -> list[tuple[str, str, str, Any]]:
    """(method, declared path, concrete path, JSON body or None) for every admin route, in an order that
    works: what a later call names (an account, a fault, an entry, a tenant) is created first."""
    admin = {"x-mock-admin": "1"}
    client.get("/api/spot/v1/market/last_price", params={"symbol": SYMBOL})  # a journal entry
    entry_id = client.get(ADMIN_PREFIX + "/journal", headers=admin).json()[0]["id"]
    other = client.post(ADMIN_PREFIX + "/accounts", json={}, headers=admin).json()["api_key"]
    fault_id = client.post(
        ADMIN_PREFIX + "/faults", json={"action": "latency", "latency_ms": 1, "path": "/nowhere"}, headers=admin
    )
    tenant_id = client.post(ADMIN_PREFIX + "/tenants", json={}, headers=admin).json()["id"]
    snapshot = client.get(ADMIN_PREFIX + "/snapshot", headers=admin).json()
    k, s = DEMO_API_KEY, SYMBOL
    return [
        ("GET", "/health", "/health", None),
        ("GET", "/version", "/version", None),
        ("GET", "/openapi.json", "/openapi.json", None),
        ("GET", "/status", "/status", None),
        ("GET", "/snapshot", "/snapshot", None),
        ("GET", "/audit", "/audit", None),
        ("POST", "/profile", "/profile", {"name": "strict"}),
        ("GET", "/accounts/{api_key}/withdraw-addresses", f"/accounts/{k}/withdraw-addresses", None),
        ("POST", "/accounts/{api_key}/withdraw-addresses", f"/accounts/{k}/withdraw-addresses", {"addresses": ["a1"]}),
        ("GET", "/switches", "/switches", None),
        ("POST", "/switches", "/switches", {}),
        ("GET", "/accounts", "/accounts", None),
        ("POST", "/accounts", "/accounts", {"balances": {"USDT": "10"}}),
        ("GET", "/accounts/{api_key}", f"/accounts/{k}", None),
        ("GET", "/accounts/{api_key}/orders", f"/accounts/{k}/orders", None),
        ("POST", "/accounts/{api_key}/reset", f"/accounts/{k}/reset", {}),
        ("POST", "/accounts/{api_key}/fund", f"/accounts/{k}/fund", {"coin": "USDT", "amount": "1"}),
        ("DELETE", "/accounts/{api_key}", f"/accounts/{other}", None),
        ("GET", "/markets/{symbol}/book", f"/markets/{s}/book", None),
        ("POST", "/markets/{symbol}/book", f"/markets/{s}/book", {"bids": [["50000", "0.1"]], "asks": []}),
        ("DELETE", "/markets/{symbol}/book", f"/markets/{s}/book", None),
        ("POST", "/markets/{symbol}/price", f"/markets/{s}/price", {"price": "60000"}),
        ("POST", "/counterparty", "/counterparty", {"api_key": k}),
        ("GET", "/counterparty", "/counterparty", None),
        ("DELETE", "/counterparty", "/counterparty", None),
        ("GET", "/futures/markets/{symbol}", f"/futures/markets/{s}", None),
        ("POST", "/futures/markets/{symbol}/mark", f"/futures/markets/{s}/mark", {"price": "100000"}),
        ("POST", "/futures/markets/{symbol}/index", f"/futures/markets/{s}/index", {"price": None}),
        ("POST", "/futures/markets/{symbol}/last", f"/futures/markets/{s}/last", {"price": "100000"}),
        ("POST", "/futures/markets/{symbol}/funding", f"/futures/markets/{s}/funding", {"rate": "0.01"}),
        ("POST", "/futures/funding/settle", "/futures/funding/settle", {}),
        ("GET", "/futures/accounts/{api_key}", f"/futures/accounts/{k}", None),
        ("POST", "/futures/accounts/{api_key}/fund", f"/futures/accounts/{k}/fund", {"coin": "USDT", "amount": "1"}),
        (
            "POST",
            "/futures/accounts/{api_key}/positions",
            f"/futures/accounts/{k}/positions",
            {"symbol": s, "side": "LONG", "qty": "0.1", "leverage": 20},
        ),
        ("GET", "/futures/accounts/{api_key}/positions", f"/futures/accounts/{k}/positions", None),
        ("POST", "/futures/accounts/{api_key}/liquidate", f"/futures/accounts/{k}/liquidate", {"symbol": s}),
        ("GET", "/futures/audit", "/futures/audit", None),
        ("GET", "/clock", "/clock", None),
        ("POST", "/clock", "/clock", {"offset_ms": 0}),
        ("GET", "/faults", "/faults", None),
        ("POST", "/faults", "/faults", {"action": "latency", "latency_ms": 1, "path": "/elsewhere"}),
        ("DELETE", "/faults/{fault_id}", f"/faults/{fault_id.json()['id']}", None),
        ("DELETE", "/faults", "/faults", None),
        ("GET", "/rate-limits", "/rate-limits", None),
        ("POST", "/rate-limits", "/rate-limits", {"enabled": False}),
        ("GET", "/journal", "/journal", None),
        ("GET", "/journal/export", "/journal/export", None),
        ("GET", "/journal/{entry_id}", f"/journal/{entry_id}", None),
        ("GET", "/journal/{entry_id}/curl", f"/journal/{entry_id}/curl", None),
        ("DELETE", "/journal", "/journal", None),
        ("GET", "/tenants", "/tenants", None),
        ("POST", "/tenants", "/tenants", {"label": "declared"}),
        ("GET", "/tenants/{tenant_id}", f"/tenants/{tenant_id}", None),
        ("DELETE", "/tenants/{tenant_id}", f"/tenants/{tenant_id}", None),
        ("POST", "/reset", "/reset", {"seed": 7}),
        ("POST", "/restore", "/restore", snapshot),
    ]


def _declared(document: dict[str, Any], method: str, path: str, status: int, media: str | None) -> dict[str, Any]:
    """The schema the document declares for this answer ({} when it declares no body); fails when it
    declares neither the status nor the media type."""
    responses = document["paths"][ADMIN_PREFIX + path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}; declared: {sorted(responses)}"
    content = responses[str(status)].get("content")
    if content is None:
        return {}
    assert media in content, f"{method} {path} answered {media}; declared: {sorted(content)}"
    schema: dict[str, Any] = content[media]["schema"]
    return schema


def test_every_admin_route_answers_as_its_openapi_declaration() -> None:
    with TestClient(create_app(Config(liquidity=False))) as client:
        document = client.get(ADMIN_PREFIX + "/openapi.json").json()
        calls = _calls(client)
        assert sorted((m, p) for m, p, _, _ in calls) == sorted((r.method, r.path) for r in ADMIN_ROUTES)
        for method, path, concrete, body in calls:
            resp = client.request(
                method, ADMIN_PREFIX + concrete, content=None if body is None else json.dumps(body),
                headers={"x-mock-admin": "1"},
            )  # fmt: skip
            assert resp.status_code < 300, f"{method} {concrete}: {resp.status_code} {resp.text[:200]}"
            media = resp.headers.get("content-type", "").split(";")[0] or None
            schema = _declared(document, method, path, resp.status_code, media)
            if resp.status_code == 204:
                assert (resp.content, schema) == (b"", {}), f"{method} {path}: a 204 has no body"
                continue
            value = resp.json() if media == "application/json" else resp.text
            found = [
                e.message
                for e in Draft202012Validator({**schema, "components": document.get("components", {})}).iter_errors(
                    value
                )
            ]
            assert found == [], f"{method} {path}: {found[:3]}"
            if schema.get("type") == "array":
                assert "items" in schema, f"{method} {path}: an array without items"


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[f"{r.method} {r.path}" for r in ADMIN_ROUTES])
def test_no_declared_array_lacks_its_items(route: Any) -> None:
    schema = route.response
    assert schema is None or schema.get("type") != "array" or "items" in schema
