"""The one numeric and structural boundary for everything that enters from outside.

Exchange bodies and queries, auth headers, admin bodies, snapshots and fault
rules all pass through here before any number is converted. Each check looks at
the *text* first (length, digits, exponent) so that no input can make a
conversion expensive: ``1e999999999`` is refused by a regular expression, never
handed to ``int()`` or to Decimal arithmetic.

The limits are generous next to anything the exchange uses (order ids are
19 digits, precisions at most 18 decimals) and small enough that every product
of two bounded amounts stays exact in the engine's 120-digit context.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DECIMALS",
    "MAX_EXPONENT",
    "MAX_INTEGER_DIGITS",
    "MAX_JSON_DEPTH",
    "MAX_JSON_VALUES",
    "MAX_NUMBER_CHARS",
    "MAX_TIME_MS",
    "MIN_TIME_MS",
    "BoundError",
    "bounded_decimal",
    "bounded_int",
    "check_decimal",
    "decimal_places",
    "loads",
    "loads_exact",
    "parse_ms_header",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: Digits before the decimal point of any amount or price (10^20 of anything is beyond every market).
MAX_INTEGER_DIGITS = 20
#: Digits after the decimal point that any amount may carry before the coin's own precision is applied.
MAX_DECIMALS = 30
#: A JSON number's exponent, as written, may not exceed this in magnitude.
MAX_EXPONENT = 40
#: A JSON number's text may not be longer than this.
MAX_NUMBER_CHARS = 64
#: Objects and arrays nested deeper than this are refused (the deepest exchange body nests 3).
MAX_JSON_DEPTH = 32
#: Values (elements, members, containers) a JSON document may hold; a 20-order batch holds about 130.
MAX_JSON_VALUES = 10_000
#: Times the mock accepts as input: 1970-01-01 .. 2100-01-01 (UTC), in ms.
MIN_TIME_MS = 0
MAX_TIME_MS = 4_102_444_800_000

_JSON_INT = re.compile(r"\A-?[0-9]{1,40}\Z")
_JSON_FLOAT = re.compile(r"\A-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,4}))?\Z")
_PLAIN_DECIMAL = re.compile(r"\A([0-9]+)(?:\.([0-9]+))?\Z")
_ASCII_DIGITS = re.compile(r"\A[0-9]{1,16}\Z")


class BoundError(ValueError):
    """Input outside the boundary; the message names the rule (callers turn it into their own error)."""


def _int_hook(text: str) -> int:
    if not _JSON_INT.match(text):
        raise BoundError(f"a JSON integer has more than 40 digits ({len(text)} characters)")
    return int(text)


def _float_hook(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise BoundError(f"a JSON number is longer than {MAX_NUMBER_CHARS} characters")
    m = _JSON_FLOAT.match(text)
    if m is None:
        raise BoundError(f"a JSON number has an exponent over {MAX_EXPONENT}")
    exponent = int(m.group(3) or 0)
    if abs(exponent) > MAX_EXPONENT:
        raise BoundError(f"a JSON number has an exponent over {MAX_EXPONENT} ({text[:24]})")
    return Decimal(text)


def _reject_constant(name: str) -> Any:
    raise BoundError(f"{name} is not valid JSON")


def loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, max_values: int = MAX_JSON_VALUES) -> Any:
    """JSON with every number bounded by its text, floats as exact Decimals, a nesting and a size limit.

    Raises :class:`BoundError` naming the rule; a syntax error is ``BoundError("not valid JSON")``.
    """
    if isinstance(data, bytes) and (
        (
            len(data) <= _FAST_MAX_CHARS
            and data.count(b"[") + data.count(b"{") <= max_depth
            and data.count(b",") <= max_values
        )
        # A document of n bytes holds at most n / 2 values: under a bound that large only the depth
        # is left to judge, and _exact refuses past MAX_JSON_DEPTH (a restore's snapshot comes this
        # way: orjson reads megabytes in milliseconds, the scan below holds the interpreter longer).
        or (2 * max_values >= len(data) and max_depth >= MAX_JSON_DEPTH)
    ):
        # Cannot be too deep or too big (as _check_structure's first test, on the bytes: UTF-8
        # never hides an ASCII bracket), so a document orjson reads exactly needs nothing else.
        # orjson is exact for what it accepts without floats (64-bit integers, strings); anything
        # else - a float, a bigger integer, NaN, a lone surrogate, a syntax error - takes the path
        # below, which bounds every number by its text and words the refusal.
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if _exact(doc):
                return doc
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BoundError("body is not UTF-8") from None
    else:
        text = data
    _check_structure(text, max_depth, max_values)
    return _parse_exact(text)


def loads_exact(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, max_values: int = MAX_JSON_VALUES) -> Any:
    """:func:`loads` without the orjson path: every document through the bounded number hooks."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    _check_structure(text, max_depth, max_values)
    return _parse_exact(text)


def _parse_exact(text: str) -> Any:
    try:
        return json.loads(text, parse_int=_int_hook, parse_float=_float_hook, parse_constant=_reject_constant)
    except BoundError:
        raise
    except (ValueError, RecursionError):
        raise BoundError("not valid JSON") from None


#: Documents up to this size may take the orjson path (a place-order body is about 80 characters).
_FAST_MAX_CHARS = 4096


def _exact(doc: Any, depth: int = 0) -> bool:
    """True when ``doc`` (from orjson) holds no float: then it is what the exact path would build.

    orjson reads integers of at most 64 bits (well inside the 40-digit bound) exactly; a float is
    the one value only the exact path reads right (as a Decimal).
    """
    kind = type(doc)
    if kind is dict:
        values: Any = doc.values()
    elif kind is list:
        values = doc
    else:
        return kind is not float
    for value in values:
        kind = type(value)
        if kind is str or kind is int:
            continue
        if kind is float:
            return False
        if (kind is dict or kind is list) and (depth >= MAX_JSON_DEPTH or not _exact(value, depth + 1)):
            return False
    return True


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_STRUCTURAL = str.maketrans("", "", "".join(chr(c) for c in range(128) if chr(c) not in "[]{},"))
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1, ",": 0}


def _check_structure(text: str, max_depth: int, max_values: int) -> None:
    """Nesting and element count, from the brackets and commas outside strings, before anything is built.

    Every step runs in C (a regex substitution, ``str.translate``, ``accumulate``), so a 64 KiB
    body of 20,000 empty arrays is judged in about a millisecond instead of being parsed first.
    """
    if text.count("[") + text.count("{") <= max_depth and text.count(",") <= max_values:
        return  # cannot be too deep or too big: skip the scan (the common case)
    outside = _STRING.sub("", text)
    # Non-ASCII outside strings is invalid JSON anyway: drop it in C, then keep only brackets and commas.
    structure = outside.encode("ascii", "ignore").decode("ascii").translate(_STRUCTURAL)
    if structure.count(",") + structure.count("[") + structure.count("{") > max_values:
        raise BoundError(f"JSON has more than {max_values} values")
    if structure and max(itertools.accumulate(map(_STEP.__getitem__, structure))) > max_depth:
        raise BoundError(f"JSON nested deeper than {max_depth} levels")


def decimal_places(value: Decimal) -> int:
    """Fractional digits as written, ignoring trailing zeros; exponent-free arithmetic only."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        return 0
    # Trailing zeros of the coefficient do not count: "1.500" has one place.
    zeros = 0
    for d in reversed(digits):
        if d != 0 or zeros >= -exponent:
            break
        zeros += 1
    return max(0, -exponent - zeros)


def check_decimal(
    value: Decimal,
    what: str,
    *,
    max_integer_digits: int = MAX_INTEGER_DIGITS,
    max_decimals: int = MAX_DECIMALS,
    allow_negative: bool = False,
) -> Decimal:
    """``value`` when finite, of the right sign and within the digit bounds; BoundError otherwise.

    Only the tuple is read (no arithmetic), so any exponent is cheap to judge.
    """
    if not value.is_finite():
        raise BoundError(f"{what}: must be finite")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if sign and not allow_negative and any(digits):
        raise BoundError(f"{what}: must not be negative")
    if exponent < -(MAX_DECIMALS + MAX_NUMBER_CHARS) or exponent > max_integer_digits:
        raise BoundError(f"{what}: out of range")
    places = decimal_places(value)
    if places > max_decimals:
        raise BoundError(f"{what}: more than {max_decimals} decimal places")
    if any(digits) and value.adjusted() >= max_integer_digits:
        raise BoundError(f"{what}: more than {max_integer_digits} integer digits")
    return value


def bounded_decimal(raw: Any, what: str, *, allow_negative: bool = False, max_decimals: int = MAX_DECIMALS) -> Decimal:
    """A decimal from JSON or text: plain text (``"12.5"``), an int, or a bounded JSON number."""
    if isinstance(raw, bool) or raw is None:
        raise BoundError(f"{what}: expected a decimal")
    if isinstance(raw, str):
        text = raw.strip()
        negative = text.startswith("-") and allow_negative
        body = text[1:] if negative else text
        if len(body) > MAX_INTEGER_DIGITS + MAX_DECIMALS + 1 or not _PLAIN_DECIMAL.match(body):
            raise BoundError(f"{what}: not a plain decimal: {raw[:40]!r}")
        value = Decimal(text)
    elif isinstance(raw, int):
        if not INT64_MIN <= raw <= INT64_MAX:
            raise BoundError(f"{what}: out of range")
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    else:
        raise BoundError(f"{what}: expected a decimal, got {type(raw).__name__}")
    return check_decimal(value, what, allow_negative=allow_negative, max_decimals=max_decimals)


def bounded_int(raw: Any, what: str, *, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """An integer within [low, high] from a JSON int, integral Decimal or ASCII digit text."""
    if isinstance(raw, bool):
        raise BoundError(f"{what}: expected an integer, got a boolean")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,19}", raw):
        value = int(raw)
    elif isinstance(raw, Decimal) and raw.is_finite() and -MAX_EXPONENT <= raw.as_tuple().exponent <= MAX_EXPONENT:  # type: ignore[operator]
        if raw != raw.to_integral_value():
            raise BoundError(f"{what}: expected an integer, got {raw}")
        value = int(raw)
    else:
        raise BoundError(f"{what}: expected an integer, got {str(raw)[:40]!r}")
    if value < low:
        raise BoundError(f"{what}: must be >= {low}")
    if value > high:
        raise BoundError(f"{what}: must be <= {high}")
    return value


def parse_ms_header(text: str) -> int | None:
    """Integer milliseconds from a header: 1-16 ASCII digits only (no other Unicode digits), else ``None``."""
    return int(text) if _ASCII_DIGITS.match(text) else None


def time_ms_ok(ms: int) -> bool:
    return MIN_TIME_MS <= ms <= MAX_TIME_MS


def iso_to_ms(text: str) -> int | None:
    """Milliseconds for an ISO-8601 time inside the sane range, else ``None`` (never an overflow)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not 1970 <= moment.year <= 2100:
        return None
    try:
        ms = int(moment.astimezone(UTC).timestamp() * 1000)
    except (OverflowError, ValueError, OSError):
        return None
    return ms if time_ms_ok(ms) else None
