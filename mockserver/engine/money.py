"""Decimal arithmetic for money: exact by default, rounding only where a rule says so.

The engine's context traps ``Inexact``: any product or sum that would silently
round raises instead, so conservation can never leak through precision loss.
Every amount that enters is bounded (``mockserver.bounds``: at most 20 integer
digits and 30 decimals), so the product of any two, and any sum of such
products, fits the 120 digits of :data:`EXACT` with room to spare.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
)

__all__ = [
    "AUDIT",
    "EXACT",
    "MAX_DECIMALS",
    "MAX_INTEGER_DIGITS",
    "ZERO",
    "add",
    "ceil_to_step",
    "dec",
    "decimals_of",
    "div_down",
    "floor_to_step",
    "fmt",
    "mul",
    "parse_decimal",
    "quantize_down",
    "sub",
    "units",
]

ZERO = Decimal(0)
EXACT = Context(prec=120, traps=[Inexact, InvalidOperation, Overflow])
_ROUNDING = Context(prec=120, traps=[InvalidOperation, Overflow])
#: For audits over whatever the ledger holds: wide enough never to round what bounded inputs can build.
AUDIT = Context(prec=2000, Emax=10**6, Emin=-(10**6), traps=[InvalidOperation])

# Python's operators use the thread's default context (28 digits, rounding
# silently); the engine adds and multiplies money only through these.
add = EXACT.add
sub = EXACT.subtract
mul = EXACT.multiply

#: The widest figure the engine takes from a caller: far beyond any market's limits, small enough
#: that scaling it to the grid costs nothing (1E+100000 took half a second to turn into an int).
MAX_INTEGER_DIGITS = 40
MAX_DECIMALS = 60

# Plain decimal text as the exchange's examples send it: no sign, no exponent.
_PLAIN = re.compile(r"\A[0-9]+(?:\.[0-9]+)?\Z")
MAX_DIGITS = 40


def parse_decimal(text: str) -> Decimal | None:
    """Parse plain non-negative decimal text; ``None`` when it is not one."""
    if len(text) > MAX_DIGITS + 1 or not _PLAIN.match(text):
        return None
    return Decimal(text)


def decimals_of(value: Decimal) -> int:
    """Number of significant fractional digits (trailing zeros do not count)."""
    exp = value.normalize(_ROUNDING).as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def quantize_down(value: Decimal, places: int) -> Decimal:
    """Round toward zero to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN, context=_ROUNDING)


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``value``."""
    return (value / step).to_integral_value(rounding=ROUND_FLOOR, context=_ROUNDING) * step


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Smallest multiple of ``step`` not below ``value``."""
    return (value / step).to_integral_value(rounding=ROUND_CEILING, context=_ROUNDING) * step


def div_down(numerator: Decimal, denominator: Decimal, places: int) -> Decimal:
    """``numerator / denominator`` rounded toward zero to ``places`` decimals."""
    return quantize_down(_ROUNDING.divide(numerator, denominator), places)


def fmt(value: Decimal) -> str:
    """Plain text with no exponent and no trailing zeros ("60000", "0.001", "0")."""
    if not value:
        return "0"
    text = format(value.normalize(_ROUNDING), "f")
    return text


_POW10 = [10**k for k in range(400)]


def dec(n: int, places: int) -> Decimal:
    """The Decimal of ``n`` units of 10**-places, without trailing zeros past the point ("64000", not "64000.00").

    Trailing zeros dropped so snapshots and messages read as the figures people typed; exact (the
    context traps any rounding).
    """
    if not n:
        return ZERO
    if not places:
        return Decimal(n)
    q, r = divmod(n, _POW10[places] if places < 400 else 10**places)
    if not r:
        return Decimal(q)
    return EXACT.scaleb(Decimal(n), -places).normalize(EXACT)


def text(n: int, places: int) -> str:
    """``fmt(dec(n, places))`` without building the Decimal: plain digits, no trailing zeros ("0.001", "64000").

    Read paths format every balance of an account on each call; this is integer arithmetic only.
    """
    if not n:
        return "0"
    sign = "-" if n < 0 else ""
    q, r = divmod(-n if n < 0 else n, _POW10[places] if places < 400 else 10**places)
    if not r:
        return f"{sign}{q}"
    return f"{sign}{q}.{str(r).rjust(places, '0').rstrip('0')}"


def units(value: Decimal, places: int) -> int | None:
    """``value`` as a whole number of 10**-places, or ``None`` when it has more decimals than that."""
    scaled = EXACT.scaleb(value, places)
    n = int(scaled)
    return n if n == scaled else None
