"""A validator for the JSON-Schema subset the endpoint table uses (type, properties, required, items, anyOf)."""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def problems(value: Any, schema: dict[str, Any], where: str = "data") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it conforms)."""
    if "anyOf" in schema:
        options = [problems(value, s, where) for s in schema["anyOf"]]
        if any(not p for p in options):
            return []
        return [f"{where}: matches no anyOf option: " + " | ".join("; ".join(p) for p in options)]
    out: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        expected = _TYPES[kind]
        bad_bool = isinstance(value, bool) and kind in ("integer", "number")
        if not isinstance(value, expected) or bad_bool:
            return [f"{where}: expected {kind}, got {type(value).__name__} {value!r:.60}"]
    if kind == "object":
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{where}: missing {key!r}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                out += problems(value[key], sub, f"{where}.{key}")
    if kind == "array":
        for i, item in enumerate(value):
            out += problems(item, schema["items"], f"{where}[{i}]")
    return out
