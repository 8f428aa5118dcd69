"""The OpenAPI 3.1 document, derived from the endpoint table and the admin route table."""

from __future__ import annotations

from typing import Any

from ..engine.money import MAX_DIGITS
from ..errors import ERROR_TABLE
from ..version import __version__
from .bounds import MAX_TIME_MS, MIN_TIME_MS
from .endpoints import ENDPOINTS, EXAMPLE_IDS, Endpoint
from .params import ISO_PATTERN, Kind, Param

__all__ = ["build_openapi", "example_request", "example_value"]


def _int_text_pattern(low: int | None, high: int | None) -> str:
    """A regex for the decimal text of an integer in [low, high], as the validator reads numeric text.

    Only the ranges the endpoint table uses: unbounded (int64), from 1, or from 1 to a power of ten; a new
    kind of range fails here, at import, rather than be documented wrongly."""
    if low is None and high is None:
        return r"^-?[0-9]{1,19}$"
    if low == 1 and high is None:
        return r"^[1-9][0-9]{0,18}$"
    if low == 1 and high is not None and high >= 10 and str(high) == "1" + "0" * (len(str(high)) - 1):
        return rf"^([1-9][0-9]{{0,{len(str(high)) - 2}}}|{high})$"
    raise ValueError(f"no text pattern for the integer range [{low}, {high}]")


def _one_of(canonical: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    """The canonical type first (what clients generated from the document send), then what is also accepted."""
    return {"oneOf": [canonical, *others]} if others else canonical


def _param_schema(p: Param, *, in_query: bool = False) -> dict[str, Any]:
    """What the mock's validator accepts for ``p`` (``mockserver.api.params``), canonical type first.

    In a JSON body the validator reads a JSON number where text is declared and numeric text where a
    number is declared, as live's Jackson backend does: numbers, enums and decimals (a JSON number for a
    decimal is seen live) are a ``oneOf`` of both. Ids, names, symbols and coins are text only: the
    validator would read a number's text, but no client has a reason to send one. In a query every value
    is text: the schema names the type the text must spell."""
    kind = p.kind
    out: dict[str, Any]
    if kind is Kind.OBJECT_LIST:
        item = {
            "type": "object",
            "properties": {i.name: _param_schema(i) for i in p.items},
            "required": [i.name for i in p.items if i.required],
        }
        out = {"type": "array", "items": item, "minItems": p.min_items}
        if p.max_items is not None:
            out["maxItems"] = p.max_items
    elif kind in (Kind.INT, Kind.UNIX_SECONDS, Kind.ENUM_INT):
        number: dict[str, Any] = {"type": "integer"}
        if p.choices:
            number["enum"] = [int(c) for c in p.choices]
        if p.min_value is not None:
            number["minimum"] = p.min_value
        if p.max_value is not None:
            number["maximum"] = p.max_value
        if kind is Kind.UNIX_SECONDS:  # the times the validator takes (1970..2100)
            number.update(minimum=MIN_TIME_MS // 1000, maximum=MAX_TIME_MS // 1000)
        if in_query:
            out = number
        elif p.choices:
            out = _one_of(number, {"type": "string", "enum": list(p.choices)})
        else:
            out = _one_of(number, {"type": "string", "pattern": _int_text_pattern(p.min_value, p.max_value)})
    elif kind is Kind.DECIMAL:
        text = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "maxLength": MAX_DIGITS + 1}
        out = text if in_query else _one_of(text, {"type": "number", "minimum": 0})
    elif kind is Kind.ENUM_STR:
        text = {"type": "string", "enum": list(p.choices)}
        numeric = [int(c) for c in p.choices if c.isascii() and c.isdigit() and str(int(c)) == c]
        out = (
            text if in_query or len(numeric) != len(p.choices) else _one_of(text, {"type": "integer", "enum": numeric})
        )
    elif kind is Kind.ISO_TIME:
        out = {"type": "string", "format": "date-time", "pattern": ISO_PATTERN}
    elif kind in (Kind.SYMBOL, Kind.COIN):
        out = {"type": "string", "minLength": 1}
        if p.max_len is not None:
            out["maxLength"] = p.max_len
    else:  # Kind.STRING: text (the validator reads a JSON number's text too, but no id is sent as one)
        out = {"type": "string"}
        if p.max_len is not None:
            out["maxLength"] = p.max_len
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


def example_request(ep: Endpoint) -> dict[str, Any]:
    """``ep``'s example request (:attr:`Endpoint.example`, the one the tests and the recorded examples send),
    its ids filled with :data:`EXAMPLE_IDS`."""
    return ep.request(EXAMPLE_IDS)


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
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


def _operation(ep: Endpoint) -> dict[str, Any]:
    codes = ", ".join(f"`{c}`" for c in ep.all_errors)
    op: dict[str, Any] = {
        "operationId": ep.operation,
        "summary": ep.summary,
        "tags": [ep.group],
        "description": "\n\n".join(
            [*ep.notes, f"Confidence: {ep.confidence}.", f"Error codes (always HTTP 200): {codes}."]
        ),
        "responses": {
            "200": {
                "description": 'The exchange envelope; `code` "0" on success, an error code otherwise.',
                "content": {"application/json": {"schema": {"anyOf": [_envelope(ep.response), _ERROR_ENVELOPE]}}},
            }
        },
    }
    if not ep.in_query:
        op["responses"]["413"] = {
            "description": "The body is over the server's limit (--max-body-bytes, 64 KiB by default): refused "
            "unread (mock-specific).",
            "content": {"application/json": {"schema": _ERROR_ENVELOPE}},
        }
    if ep.auth:
        op["security"] = [{"bitunixSign": []}]
        op["parameters"] = list(_AUTH_HEADERS)
    if ep.in_query:
        example = example_request(ep)
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
                    "example": example_request(ep),
                }
            },
        }
    return op


def build_openapi(admin_routes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The whole document: exchange paths from :data:`ENDPOINTS`, plus the admin routes given."""
    paths: dict[str, Any] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    schemas: dict[str, Any] = {}
    for route in admin_routes or []:
        paths.setdefault(route["path"], {})[route["method"].lower()] = route["operation"]
        schemas.update(route.get("schemas") or {})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bitunix spot API (offline mock)",
            "version": __version__,
            "description": "Every exchange path of the mock, derived from its endpoint table. "
            "Error codes: "
            + "; ".join(
                f"{e.code} {e.msg}" + (" (mock-specific)" if e.mock_specific else "") for e in ERROR_TABLE.values()
            ),
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
