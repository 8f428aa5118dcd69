"""Tiny JSON-Schema builders for the endpoint table's response shapes."""

from __future__ import annotations

from typing import Any

__all__ = ["Schema", "arr", "boolean", "integer", "null", "nullable", "number", "obj", "one_of", "string"]

Schema = dict[str, Any]


def string(doc: str = "", **extra: Any) -> Schema:
    return {"type": "string", **({"description": doc} if doc else {}), **extra}


def number(doc: str = "") -> Schema:
    return {"type": "number", **({"description": doc} if doc else {})}


def integer(doc: str = "") -> Schema:
    return {"type": "integer", **({"description": doc} if doc else {})}


def boolean(doc: str = "") -> Schema:
    return {"type": "boolean", **({"description": doc} if doc else {})}


def null() -> Schema:
    return {"type": "null"}


def nullable(s: Schema) -> Schema:
    return {"anyOf": [s, {"type": "null"}]}


def one_of(*schemas: Schema) -> Schema:
    return {"anyOf": list(schemas)}


def arr(items: Schema, doc: str = "") -> Schema:
    return {"type": "array", "items": items, **({"description": doc} if doc else {})}


def obj(props: dict[str, Schema], *, optional: tuple[str, ...] = (), doc: str = "") -> Schema:
    """An object whose listed properties are all required except ``optional``; others allowed."""
    return {
        "type": "object",
        "properties": props,
        "required": [k for k in props if k not in optional],
        **({"description": doc} if doc else {}),
    }
