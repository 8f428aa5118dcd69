"""Parameter types and rules, and the validator the endpoint table drives.

A :class:`Param` says what a field is; :func:`validate` turns raw query strings
or decoded JSON into typed values, or raises :class:`ParameterError` naming the
field and the rule. Coercions follow what a Java/Jackson backend accepts by
default: a number where a string is declared and a numeric string where a
number is declared both pass; booleans, objects and arrays where a scalar
belongs do not.
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

__all__ = ["ISO_PATTERN", "REFUSED", "Kind", "Param", "Validator", "compile_params", "validate"]

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
        }.get(self.kind, "string")


#: ISO-8601 times as the validator reads them (the OpenAPI document declares the same pattern).
ISO_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:?[0-9]{2})$"
_ISO = re.compile(ISO_PATTERN.replace("^", "\\A", 1).removesuffix("$") + "\\Z")


def _as_int(p: Param, value: Any) -> int:
    # int64 as the exchange's Java backend reads it, then the parameter's own range.
    low = p.min_value if p.min_value is not None else INT64_MIN
    high = p.max_value if p.max_value is not None else INT64_MAX
    try:
        return bounded_int(value, p.name, low=low, high=high)
    except BoundError as exc:
        raise ParameterError(str(exc)) from None


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


def _coerce(p: Param, value: Any, warnings: list[Warning] | None = None) -> Any:
    kind = p.kind
    if kind is Kind.STRING:
        return _as_text(p, value)
    if kind is Kind.SYMBOL or kind is Kind.COIN:
        text = _as_text(p, value)
        if not text:
            raise ParameterError(f"{p.name}: empty")
        return text.upper()
    if kind is Kind.INT:
        return _as_int(p, value)
    if kind is Kind.ENUM_INT:
        out = _as_int(p, value)
        if str(out) not in p.choices:
            raise ParameterError(f"{p.name}: must be one of {', '.join(p.choices)}")
        return out
    if kind is Kind.ENUM_STR:
        text = _as_text(p, value)
        if text not in p.choices:
            raise ParameterError(f"{p.name}: must be one of {', '.join(p.choices)}")
        return text
    if kind is Kind.DECIMAL:
        return _as_decimal(p, value)
    if kind is Kind.ISO_TIME:
        return _as_iso_ms(p, value)
    if kind is Kind.UNIX_SECONDS:
        try:
            return bounded_int(value, p.name, low=MIN_TIME_MS // 1000, high=MAX_TIME_MS // 1000) * 1000
        except BoundError as exc:
            raise ParameterError(str(exc)) from None
    if kind is Kind.OBJECT_LIST:
        return _coerce_list(p, value, warnings, compile_params(p.items))
    raise AssertionError(kind)


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
                raise ParameterError(f"{p.name}[{i}].{exc.detail}") from None
        except ParameterError as refusal:
            if not p.per_item:
                raise
            items.append({REFUSED: refusal})
    return items


def _type_warning(p: Param, value: Any, where: str) -> Warning | None:
    """A JSON value whose type differs from what the docs declare (accepted, as live accepts it)."""
    declared = p.json_type()
    if declared == "string" and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return warn("number-for-string", f"{where}{p.name} sent as a JSON number; the docs declare a string")
    if declared in ("integer", "number") and isinstance(value, str):
        return warn("string-for-number", f"{where}{p.name} sent as a JSON string; the docs declare a number")
    return None


#: Turns raw values (query text or decoded JSON) into typed arguments; ``warnings`` as in :func:`validate`.
Validator = Callable[[Mapping[str, Any], "list[Warning] | None", str], dict[str, Any]]
_Field = tuple[str, bool, Any, bool, "Callable[[Any, str], Warning | None] | None", Callable[[Any, Any], Any]]


def _warner(p: Param) -> Callable[[Any, str], Warning | None] | None:
    """The type-warning check of ``p`` (what :func:`_type_warning` does), or None when none can apply."""
    declared = p.json_type()
    if declared == "string":
        return lambda value, where: None if type(value) is str else _type_warning(p, value, where)
    if declared in ("integer", "number"):
        return lambda value, where: None if type(value) is int else _type_warning(p, value, where)
    return None


#: Decimal text that surely passes every bound (<= 20 integer digits, <= 30 decimals, <= MAX_DIGITS + 1 long).
_SURE_DECIMAL = re.compile(r"\A[0-9]{1,20}(?:\.[0-9]{1,30})?\Z")


def _coercer(p: Param) -> Callable[[Any, Any], Any]:
    """``_coerce`` for ``p``. The common valid values are taken inline; anything else (and every
    refusal, so its message stays the same) goes through ``_coerce``."""
    kind = p.kind
    slow: Callable[[Any, Any], Any] = lambda value, warnings: _coerce(p, value, warnings)  # noqa: E731
    limit = p.max_len
    low = p.min_value if p.min_value is not None else INT64_MIN
    high = p.max_value if p.max_value is not None else INT64_MAX
    if kind is Kind.OBJECT_LIST:
        item_validator = compile_params(p.items)
        return lambda value, warnings: _coerce_list(p, value, warnings, item_validator)
    if kind is Kind.STRING:

        def text(value: Any, warnings: Any) -> Any:
            if type(value) is str and (limit is None or len(value) <= limit):
                return value
            return _as_text(p, value)

        return text
    if kind is Kind.SYMBOL or kind is Kind.COIN:

        def name(value: Any, warnings: Any) -> Any:
            if type(value) is str and value and (limit is None or len(value) <= limit):
                return value.upper()
            return slow(value, warnings)

        return name
    if kind is Kind.INT:

        def integer(value: Any, warnings: Any) -> Any:
            if type(value) is int and low <= value <= high:
                return value
            return slow(value, warnings)

        return integer
    if kind is Kind.ENUM_INT:
        # Choices written canonically ("2", not "02") and inside the range: what _coerce returns for them.
        ints = {
            int(c): c for c in p.choices if c.isascii() and c.isdigit() and str(int(c)) == c and low <= int(c) <= high
        }
        texts = {c: i for i, c in ints.items()}

        def enum_int(value: Any, warnings: Any) -> Any:
            if type(value) is int and value in ints:
                return value
            if type(value) is str and value in texts:
                return texts[value]
            return slow(value, warnings)

        return enum_int
    if kind is Kind.ENUM_STR:
        allowed = frozenset(c for c in p.choices if limit is None or len(c) <= limit)

        def enum_str(value: Any, warnings: Any) -> Any:
            if type(value) is str and value in allowed:
                return value
            return slow(value, warnings)

        return enum_str
    if kind is Kind.DECIMAL:

        def decimal(value: Any, warnings: Any) -> Any:
            if type(value) is str and len(value) <= MAX_DIGITS + 1 and _SURE_DECIMAL.match(value):
                return Decimal(value)
            return slow(value, warnings)

        return decimal
    return slow


def compile_params(params: tuple[Param, ...]) -> Validator:
    """A validator for ``params``, built once (the endpoint table's rows are fixed at import).

    Same rules, order and messages as :func:`validate`; each parameter's kind is resolved here
    instead of on every request.
    """
    fields: tuple[_Field, ...] = tuple(
        (p.name, p.required, p.default, p.kind is not Kind.STRING, _warner(p), _coercer(p)) for p in params
    )

    def run(source: Mapping[str, Any], warnings: list[Warning] | None = None, where: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, required, default, empty_is_missing, warner, coerce in fields:
            value = source.get(name)
            if value is None or (empty_is_missing and value == ""):
                if required:
                    raise ParameterError(f"{name}: required")
                out[name] = default
                continue
            if warnings is not None and warner is not None:
                found = warner(value, where)
                if found is not None:
                    warnings.append(found)
            out[name] = coerce(value, warnings)
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
