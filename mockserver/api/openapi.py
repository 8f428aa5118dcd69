"""The OpenAPI 3.1 document, derived from every product's endpoint table and the admin route table.

Each product's operations carry its envelope (spot: ``code`` a string and ``success``; futures: ``code``
a number, no ``success``) and its error codes; the info block lists each product's error table.
"""

from __future__ import annotations

from typing import Any

from ..version import __version__
from .endpoints import Endpoint
from .params import RULES, Kind, Param
from .products import PRODUCTS, SPOT, Product

__all__ = ["build_openapi", "example_request", "example_value"]


def _param_schema(p: Param, *, in_query: bool = False) -> dict[str, Any]:
    """What the mock's validator accepts for ``p`` (its kind's :class:`~mockserver.api.params.Rule`),
    canonical type first, with its description and example."""
    out = RULES[p.kind].schema(p, in_query, _param_schema)
    if p.doc:
        out["description"] = p.doc + (f" [confidence {p.confidence}: {p.note}]" if p.note else "")
    example = example_value(p)
    if example is not None:
        out["example"] = example
    return out


def example_value(p: Param) -> Any:
    """``p``'s example in the canonical type of its schema (an object list: one item of its items' examples)."""
    if p.kind is Kind.OBJECT_LIST:
        if p.example is not None:
            return p.example
        item = {i.name: v for i in p.items if (v := example_value(i)) is not None}
        return [item] if item else None
    if p.example is None:
        return None
    if p.kind in (Kind.INT, Kind.UNIX_SECONDS, Kind.ENUM_INT):
        return int(p.example)
    return p.example


def example_request(ep: Endpoint, product: Product = SPOT) -> dict[str, Any]:
    """``ep``'s example request (:attr:`Endpoint.example`, the one the tests and the recorded examples send),
    its ids filled with its product's example ids (spot's :data:`~.endpoints.EXAMPLE_IDS`)."""
    return ep.request(product.example_ids)


def _envelope(data: dict[str, Any], product: Product = SPOT) -> dict[str, Any]:
    if product is SPOT:
        return {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "msg": {"type": "string"},
                "data": data,
                "success": {"type": "boolean"},
            },
            "required": ["code", "msg", "data", "success"],
        }
    return {  # the numeric envelope (futures): code a number, keys code, data, msg
        "type": "object",
        "properties": {"code": {"type": "integer"}, "data": data, "msg": {"type": "string"}},
        "required": ["code", "data", "msg"],
    }


_ERROR_ENVELOPE = _envelope({"type": "null"})

_AUTH_HEADERS = [
    {"name": "api-key", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "nonce", "in": "header", "required": True, "schema": {"type": "string", "minLength": 1}},
    {"name": "timestamp", "in": "header", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    {"name": "sign", "in": "header", "required": True, "schema": {"type": "string"}},
]


def _query_schema(p: Param, example: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema; its example is the endpoint example's value, where that has one."""
    out = _param_schema(p, in_query=True)
    if p.name in example:
        out["example"] = example[p.name]
    return out


def _operation(ep: Endpoint, product: Product = SPOT) -> dict[str, Any]:
    codes = ", ".join(f"`{c}`" for c in product.all_errors(ep))
    error_envelope = _envelope({"type": "null"}, product)
    op: dict[str, Any] = {
        "operationId": ep.operation,
        "summary": ep.summary,
        "tags": [ep.group if product is SPOT else f"{product.name} {ep.group}"],
        "description": "\n\n".join(
            [*ep.notes, f"Confidence: {ep.confidence}.", f"Error codes (always HTTP 200): {codes}."]
        ),
        "responses": {
            "200": {
                "description": 'The exchange envelope; `code` "0" on success, an error code otherwise.'
                if product is SPOT
                else "The futures envelope; `code` 0 (a number) on success, an error code otherwise.",
                "content": {
                    "application/json": {"schema": {"anyOf": [_envelope(ep.response, product), error_envelope]}}
                },
            }
        },
    }
    if not ep.in_query and product is SPOT:
        op["responses"]["413"] = {
            "description": "The body is over the server's limit (--max-body-bytes, 64 KiB by default): refused "
            "unread (mock-specific).",
            "content": {"application/json": {"schema": _ERROR_ENVELOPE}},
        }
    if ep.auth:
        op["security"] = [{"bitunixSign": []}]
        op["parameters"] = list(_AUTH_HEADERS)
    if ep.in_query:
        example = example_request(ep, product)
        op.setdefault("parameters", []).extend(
            {"name": p.name, "in": "query", "required": p.required, "schema": _query_schema(p, example)}
            for p in ep.params
        )
    elif ep.params:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {p.name: _param_schema(p) for p in ep.params},
                        "required": [p.name for p in ep.params if p.required],
                    },
                    "example": example_request(ep, product),
                }
            },
        }
    return op


def _error_codes(product: Product) -> str:
    """The product's error table in one sentence (spot's as it has always read)."""
    head = "Error codes: " if product is SPOT else f"{product.title} error codes (a JSON number, always HTTP 200): "
    return head + "; ".join(
        f"{e.code} {e.msg}" + (" (mock-specific)" if e.mock_specific else "") for e in product.errors.values()
    )


def build_openapi(admin_routes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The whole document: every product's exchange paths (:data:`~.products.PRODUCTS`), plus the admin
    routes given."""
    paths: dict[str, Any] = {}
    for product in PRODUCTS:
        for ep in product.endpoints:
            paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, product)
    schemas: dict[str, Any] = {}
    for route in admin_routes or []:
        paths.setdefault(route["path"], {})[route["method"].lower()] = route["operation"]
        schemas.update(route.get("schemas") or {})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bitunix spot API (offline mock)",
            "version": __version__,
            "description": "Every exchange path of the mock, derived from its endpoint tables. "
            + " ".join(_error_codes(product) for product in PRODUCTS),
        },
        "components": {
            "securitySchemes": {
                "bitunixSign": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "api-key",
                    "description": "Plus nonce, timestamp and sign headers: sign = sha256_hex(sha256_hex(nonce + "
                    "timestamp + api-key + canonical query + body) + secret).",
                }
            },
            **({"schemas": schemas} if schemas else {}),
        },
        "paths": paths,
    }
