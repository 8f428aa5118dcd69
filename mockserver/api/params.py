"""Parameter types and rules, and the validator the endpoint table drives.

A :class:`Param` says what a field is; :func:`validate` turns raw query strings
or decoded JSON into typed values, or raises :class:`ParameterError` naming the
field and the rule. Coercions follow what a Java/Jackson backend accepts by
default: a number where a string is declared and a numeric string where a
number is declared both pass; booleans, objects and arrays where a scalar
belongs do not.

Each :class:`Kind` has one :class:`Rule` (:data:`RULES`): how a value is read and how the OpenAPI
document describes what is read, side by side.

# Performance
Every signed call pays for its parameters, so a rule takes the value a client usually sends before
the full check: :class:`Integer` an int already in range, :class:`Amount` decimal text that surely
passes every bound (``_SURE_DECIMAL``), straight to ``Decimal`` (the full check of an amount costs
more than the rest of an order's parameters together). Anything else, and every refusal, takes the
full check, so messages never depend on the shortcut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..engine.money import MAX_DIGITS, parse_decimal
from ..errors import ParameterError
from .bounds import (
    INT64_MAX,
    INT64_MIN,
    MAX_TIME_MS,
    MIN_TIME_MS,
    BoundError,
    bounded_decimal,
    bounded_int,
    iso_to_ms,
)
from .docrules import Warning, warn

__all__ = [
    "ISO_PATTERN",
    "REFUSED",
    "RULES",
    "Kind",
    "Param",
    "Rule",
    "Validator",
    "coerce",
    "compile_params",
    "validate",
]

#: Key under which a per-item list holds a bad element's ParameterError instead of its values.
REFUSED = "_refused"


class Kind(StrEnum):
    STRING = "string"
    SYMBOL = "symbol"
    COIN = "coin"
    INT = "int"
    ENUM_INT = "enum_int"
    ENUM_STR = "enum_str"
    DECIMAL = "decimal"
    SIGNED_DECIMAL = "signed_decimal"
    BOOLEAN = "boolean"
    ISO_TIME = "iso_time"
    UNIX_SECONDS = "unix_seconds"
    OBJECT_LIST = "object_list"


@dataclass(frozen=True)
class Param:
    """One request parameter, as the endpoint table declares it."""

    name: str
    kind: Kind
    required: bool = True
    doc: str = ""
    choices: tuple[str, ...] = ()  # ENUM_*: allowed values, as text
    min_value: int | None = None
    max_value: int | None = None
    max_len: int | None = None
    items: tuple[Param, ...] = ()  # OBJECT_LIST: the fields of each element
    min_items: int = 1
    max_items: int | None = None
    per_item: bool = False  # OBJECT_LIST: a bad element becomes its ParameterError instead of failing the request
    default: Any = None
    confidence: str = "H"
    note: str = ""
    example: Any = None
    wire_type: str = field(default="")  # what the docs say is sent ("string", "number", ...)

    def json_type(self) -> str:
        if self.wire_type:
            return self.wire_type
        return {
            Kind.INT: "integer",
            Kind.ENUM_INT: "integer",
            Kind.OBJECT_LIST: "array",
            Kind.BOOLEAN: "boolean",
        }.get(self.kind, "string")


#: ISO-8601 times as the validator reads them (the OpenAPI document declares the same pattern).
ISO_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:?[0-9]{2})$"
_ISO = re.compile(ISO_PATTERN.replace("^", "\\A", 1).removesuffix("$") + "\\Z")


def _as_text(p: Param, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ParameterError(f"{p.name}: expected a string")
    if isinstance(value, str):
        out = value
    elif isinstance(value, int | Decimal):
        out = str(value)
    else:
        raise ParameterError(f"{p.name}: expected a string, got {type(value).__name__}")
    if p.max_len is not None and len(out) > p.max_len:
        raise ParameterError(f"{p.name}: longer than {p.max_len} characters")
    return out


def _as_decimal(p: Param, value: Any) -> Decimal:
    if isinstance(value, str) and (len(value) > MAX_DIGITS + 1 or parse_decimal(value.strip()) is None):
        # Decimal text as the exchange's examples send it: no sign, no exponent.
        raise ParameterError(f"{p.name}: not a plain non-negative decimal: {value[:40]!r}")
    try:
        return bounded_decimal(value, p.name)
    except BoundError as exc:
        raise ParameterError(str(exc)) from None


def _as_iso_ms(p: Param, value: Any) -> int:
    text = _as_text(p, value)
    if not _ISO.match(text):
        raise ParameterError(f"{p.name}: expected ISO-8601 time like 2024-08-22T00:00:00Z")
    ms = iso_to_ms(text)
    if ms is None:
        raise ParameterError(f"{p.name}: time outside 1970..2100")
    return ms


#: Turns raw values (query text or decoded JSON) into typed arguments; ``warnings`` as in :func:`validate`.
Validator = Callable[[Mapping[str, Any], "list[Warning] | None", str], dict[str, Any]]
#: One parameter's coercion, bound at compile time: (value, warnings) -> typed value.
Coerce = Callable[[Any, "list[Warning] | None"], Any]


def _one_of(canonical: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    """The canonical type first (what clients generated from the document send), then what is also accepted."""
    return {"oneOf": [canonical, *others]} if others else canonical


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


#: The schema of an object list's item parameter (the OpenAPI writer's, with description and example).
ItemSchema = Callable[["Param"], dict[str, Any]]


class Rule:
    """What one :class:`Kind` accepts: :meth:`bind` reads a value, :meth:`schema` documents the same set.

    The OpenAPI document is written from :meth:`schema`; ``tests/api/test_openapi.py`` holds the two to each other.
    In a JSON body the validator reads a JSON number where text is declared and numeric text where a number
    is declared, as live's Jackson backend does; in a query every value is text."""

    def bind(self, p: Param) -> Coerce:
        """The reader of ``p``'s values, with what depends only on ``p`` worked out once."""
        raise NotImplementedError

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        raise NotImplementedError


class Text(Rule):
    """Ids and free text (a JSON number's text is read too, but no id is sent as one)."""

    def bind(self, p: Param) -> Coerce:
        return lambda value, warnings: _as_text(p, value)

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if p.max_len is not None:
            out["maxLength"] = p.max_len
        return out


class Name(Rule):
    """A symbol or a coin: non-empty text, read upper-case."""

    def bind(self, p: Param) -> Coerce:
        def read(value: Any, warnings: Any) -> Any:
            text = _as_text(p, value)
            if not text:
                raise ParameterError(f"{p.name}: empty")
            return text.upper()

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "minLength": 1}
        if p.max_len is not None:
            out["maxLength"] = p.max_len
        return out


class Integer(Rule):
    """An int64 (or the parameter's range); with ``choices``, one of them."""

    def bind(self, p: Param) -> Coerce:
        low = p.min_value if p.min_value is not None else INT64_MIN
        high = p.max_value if p.max_value is not None else INT64_MAX
        choices = p.choices

        def read(value: Any, warnings: Any) -> Any:
            if type(value) is int and low <= value <= high:  # see the module docstring: # Performance
                out = value
            else:
                try:  # int64 as the exchange's Java backend reads it, then the parameter's own range
                    out = bounded_int(value, p.name, low=low, high=high)
                except BoundError as exc:
                    raise ParameterError(str(exc)) from None
            if choices and str(out) not in choices:
                raise ParameterError(f"{p.name}: must be one of {', '.join(choices)}", value=str(out), choices=choices)
            return out

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        number = self.number(p)
        if in_query:
            return number
        if p.choices:
            return _one_of(number, {"type": "string", "enum": list(p.choices)})
        return _one_of(number, {"type": "string", "pattern": _int_text_pattern(p.min_value, p.max_value)})

    def number(self, p: Param) -> dict[str, Any]:
        number: dict[str, Any] = {"type": "integer"}
        if p.choices:
            number["enum"] = [int(c) for c in p.choices]
        if p.min_value is not None:
            number["minimum"] = p.min_value
        if p.max_value is not None:
            number["maximum"] = p.max_value
        return number


class UnixSeconds(Integer):
    """Seconds since 1970 (1970..2100), read as milliseconds."""

    def bind(self, p: Param) -> Coerce:
        def read(value: Any, warnings: Any) -> Any:
            try:
                return bounded_int(value, p.name, low=MIN_TIME_MS // 1000, high=MAX_TIME_MS // 1000) * 1000
            except BoundError as exc:
                raise ParameterError(str(exc)) from None

        return read

    def number(self, p: Param) -> dict[str, Any]:
        return {**super().number(p), "minimum": MIN_TIME_MS // 1000, "maximum": MAX_TIME_MS // 1000}


class Choice(Rule):
    """Text that is one of ``choices`` (a JSON number is read as its text where every choice is a number)."""

    def bind(self, p: Param) -> Coerce:
        def read(value: Any, warnings: Any) -> Any:
            text = _as_text(p, value)
            if text not in p.choices:
                raise ParameterError(f"{p.name}: must be one of {', '.join(p.choices)}", value=text, choices=p.choices)
            return text

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        text = {"type": "string", "enum": list(p.choices)}
        numeric = [int(c) for c in p.choices if c.isascii() and c.isdigit() and str(int(c)) == c]
        if in_query or len(numeric) != len(p.choices):
            return text
        return _one_of(text, {"type": "integer", "enum": numeric})


class Amount(Rule):
    """A plain non-negative decimal (a JSON number for one is seen live too)."""

    def bind(self, p: Param) -> Coerce:
        def read(value: Any, warnings: Any) -> Any:
            if type(value) is str and len(value) <= MAX_DIGITS + 1 and _SURE_DECIMAL.match(value):
                return Decimal(value)  # see the module docstring: # Performance
            return _as_decimal(p, value)

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        text = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "maxLength": MAX_DIGITS + 1}
        return text if in_query else _one_of(text, {"type": "number", "minimum": 0})


class SignedAmount(Rule):
    """A plain decimal that may carry a leading minus (futures ``adjust_position_margin`` removes margin so)."""

    def bind(self, p: Param) -> Coerce:
        unsigned = Amount().bind(p)

        def read(value: Any, warnings: Any) -> Any:
            if type(value) is str and value.startswith("-"):
                return -unsigned(value[1:], warnings)
            if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
                return -unsigned(-value, warnings)
            return unsigned(value, warnings)

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        text = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "maxLength": MAX_DIGITS + 2}
        return text if in_query else _one_of(text, {"type": "number"})


class Flag(Rule):
    """A boolean: JSON true/false in a body, the text true/false in a query (futures ``reduceOnly``)."""

    def bind(self, p: Param) -> Coerce:
        def read(value: Any, warnings: Any) -> Any:
            if isinstance(value, bool):
                return value
            if value in ("true", "false"):
                return value == "true"
            raise ParameterError(f"{p.name}: expected true or false")

        return read

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        text = {"type": "string", "enum": ["true", "false"]}
        return text if in_query else _one_of({"type": "boolean"}, text)


class IsoTime(Rule):
    """An ISO-8601 time (1970..2100), read as milliseconds."""

    def bind(self, p: Param) -> Coerce:
        return lambda value, warnings: _as_iso_ms(p, value)

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "pattern": ISO_PATTERN}


class ObjectList(Rule):
    """An array of objects, each validated by ``items``; with ``per_item``, a bad element is kept as its refusal."""

    def bind(self, p: Param) -> Coerce:
        item_validator = compile_params(p.items)
        return lambda value, warnings: _coerce_list(p, value, warnings, item_validator)

    def schema(self, p: Param, in_query: bool, item: ItemSchema) -> dict[str, Any]:
        one = {
            "type": "object",
            "properties": {i.name: item(i) for i in p.items},
            "required": [i.name for i in p.items if i.required],
        }
        out: dict[str, Any] = {"type": "array", "items": one, "minItems": p.min_items}
        if p.max_items is not None:
            out["maxItems"] = p.max_items
        return out


#: What each kind accepts and how the document says so.
RULES: dict[Kind, Rule] = {
    Kind.STRING: Text(),
    Kind.SYMBOL: Name(),
    Kind.COIN: Name(),
    Kind.INT: Integer(),
    Kind.ENUM_INT: Integer(),
    Kind.ENUM_STR: Choice(),
    Kind.DECIMAL: Amount(),
    Kind.SIGNED_DECIMAL: SignedAmount(),
    Kind.BOOLEAN: Flag(),
    Kind.ISO_TIME: IsoTime(),
    Kind.UNIX_SECONDS: UnixSeconds(),
    Kind.OBJECT_LIST: ObjectList(),
}


def coerce(p: Param, value: Any, warnings: list[Warning] | None = None) -> Any:
    """``value`` read as ``p`` declares, or ParameterError naming the field and the rule."""
    return RULES[p.kind].bind(p)(value, warnings)


def _coerce_list(p: Param, value: Any, warnings: list[Warning] | None, item_validator: Validator) -> Any:
    if not isinstance(value, list):
        raise ParameterError(f"{p.name}: expected an array")
    if len(value) < p.min_items:
        raise ParameterError(f"{p.name}: needs at least {p.min_items} element(s)")
    if p.max_items is not None and len(value) > p.max_items:
        raise ParameterError(f"{p.name}: at most {p.max_items} elements")
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        try:
            if not isinstance(item, dict):
                raise ParameterError(f"{p.name}[{i}]: expected an object")
            try:
                items.append(item_validator(item, warnings, f"{p.name}[{i}]."))
            except ParameterError as exc:
                raise ParameterError(f"{p.name}[{i}].{exc.detail}", value=exc.value, choices=exc.choices) from None
        except ParameterError as refusal:
            if not p.per_item:
                raise
            items.append({REFUSED: refusal})
    return items


def _type_warning(declared: str, p: Param, value: Any, where: str) -> Warning | None:
    """A JSON value whose type differs from what the docs declare (accepted, as live accepts it)."""
    if declared == "string":
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return warn("number-for-string", f"{where}{p.name} sent as a JSON number; the docs declare a string")
    elif declared in ("integer", "number") and isinstance(value, str):
        return warn("string-for-number", f"{where}{p.name} sent as a JSON string; the docs declare a number")
    return None


#: The Python type a JSON value of each declared type decodes to (no type warning for it).
_WIRE_TYPES: dict[str, type] = {"string": str, "integer": int, "number": int, "boolean": bool}

#: Decimal text that surely passes every bound (<= 20 integer digits, <= 30 decimals, <= MAX_DIGITS + 1 long).
_SURE_DECIMAL = re.compile(r"\A[0-9]{1,20}(?:\.[0-9]{1,30})?\Z")


def compile_params(params: tuple[Param, ...]) -> Validator:
    """A validator for ``params``, built once (the endpoint table's rows are fixed at import).

    Same rules, order and messages as :func:`validate`; each parameter's rule is bound here
    instead of looked up on every request.
    """
    fields = tuple(
        (p, p.kind is not Kind.STRING, p.json_type(), _WIRE_TYPES.get(p.json_type()), RULES[p.kind].bind(p))
        for p in params
    )

    def run(source: Mapping[str, Any], warnings: list[Warning] | None = None, where: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p, empty_is_missing, declared, wire_type, read in fields:
            name = p.name
            value = source.get(name)
            if value is None or (empty_is_missing and value == ""):
                if p.required:
                    raise ParameterError(f"{name}: required")
                out[name] = p.default
                continue
            if warnings is not None and type(value) is not wire_type:
                found = _type_warning(declared, p, value, where)
                if found is not None:
                    warnings.append(found)
            out[name] = read(value, warnings)
        return out

    return run


def validate(
    params: tuple[Param, ...],
    source: Mapping[str, Any],
    warnings: list[Warning] | None = None,
    *,
    where: str = "",
) -> dict[str, Any]:
    """Typed values for ``params`` taken from ``source``; unknown keys are ignored.

    With ``warnings`` (a JSON body), a value of another JSON type than the docs declare
    is accepted and noted there. (The request pipeline uses :func:`compile_params` instead.)
    """
    return compile_params(params)(source, warnings, where)
