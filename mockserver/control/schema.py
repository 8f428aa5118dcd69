"""Schemas for every admin body: types and ranges, checked before anything changes.

Each admin call validates its JSON body against one of these pydantic models
(``extra="forbid"``, strict types: no bool where an int is wanted, no number
where a string is wanted). Amounts go through :mod:`mockserver.bounds`, so the
admin API shares the exchange's one numeric boundary. :func:`parse` turns the
first validation error into ``"<field>: <rule>"`` - the text of the admin 400.

The same field types serve the snapshot document (:mod:`mockserver.snapshot`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, WithJsonSchema, model_validator

from ..api import bounds
from ..api.auth import DEFAULT_PROFILE, PROFILES
from ..api.products import ERROR_CODES
from ..engine.accounts import ALL_PERMISSIONS

__all__ = [
    "MAX_OFFSET_MS",
    "AccountSpec",
    "BookSpec",
    "ClockSpec",
    "FaultSpec",
    "FundSpec",
    "FundingSpec",
    "IndexSpec",
    "LiquidateSpec",
    "MarkSpec",
    "OpenPositionSpec",
    "PriceSpec",
    "ProfileSpec",
    "RateLimitSpec",
    "ResetSpec",
    "SchemaError",
    "ScriptSpec",
    "SettleSpec",
    "TenantSpec",
    "parse",
]

#: Clock offsets and advances: at most 100 years either way.
MAX_OFFSET_MS = 100 * 366 * 86_400_000
#: Decimal places an admin funding amount may carry (the finest coin precision in use is 18).
FUNDING_DECIMALS = 18
MAX_BALANCE_COINS = 100
MAX_BOOK_LEVELS = 1000
MAX_FAULT_BODY_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


class SchemaError(ValueError):
    """An admin body or snapshot that fails its schema; the message is ``"<field>: <rule>"``."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _loc(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts if p != "[key]")


def describe(exc: ValidationError) -> str:
    """The first error as ``"<field>: <rule>"`` (a model-level rule names its field itself)."""
    e = exc.errors(include_url=False)[0]
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind == "value_error":
        rule = str(ctx.get("error", e["msg"]))
    elif kind == "missing":
        rule = "required"
    elif kind == "extra_forbidden":
        rule = "unknown field"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        rule = "expected an integer"
    elif kind == "bool_type":
        rule = "expected true or false"
    elif kind == "string_type":
        rule = "expected a string"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        rule = "expected an object"
    elif kind == "list_type":
        rule = "expected a list"
    elif kind == "greater_than_equal":
        rule = f"must be >= {ctx.get('ge')}"
    elif kind == "less_than_equal":
        rule = f"must be <= {ctx.get('le')}"
    elif kind == "too_long":
        rule = f"at most {ctx.get('max_length')} items"
    elif kind == "literal_error":
        rule = f"must be one of {ctx.get('expected')}"
    else:
        rule = e["msg"]
    loc = _loc(e["loc"])
    if kind == "missing" or kind == "extra_forbidden":
        return f"{loc}: {rule}"
    return f"{loc}: {rule}" if loc else rule


def parse(model: type[M], doc: Any) -> M:
    """``doc`` as ``model``, or :class:`SchemaError` naming the first field that breaks a rule."""
    if not isinstance(doc, dict):
        raise SchemaError("body: must be a JSON object")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise SchemaError(describe(exc)) from None


# ----------------------------------------------------------------- field types


def _schema(**kw: Any) -> WithJsonSchema:
    return WithJsonSchema(kw)


def _bound(raw: Any, *, allow_negative: bool = False, max_decimals: int = FUNDING_DECIMALS) -> Decimal:
    """A decimal through :func:`bounds.bounded_decimal`; the rule text without its ``what`` prefix."""
    if isinstance(raw, float):
        raise ValueError("expected a decimal string (a float is not exact)")
    try:
        value = bounds.bounded_decimal(raw, "value", allow_negative=True, max_decimals=max_decimals)
    except bounds.BoundError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from None
    if value < 0 and not allow_negative:
        raise ValueError("must not be negative")
    return value


def _amount(raw: Any) -> Decimal:
    return _bound(raw)


def _signed_amount(raw: Any) -> Decimal:
    return _bound(raw, allow_negative=True)


def _positive(raw: Any) -> Decimal:
    value = _bound(raw)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _fraction(raw: Any) -> Decimal:
    value = _bound(raw, max_decimals=bounds.MAX_DECIMALS)
    if not Decimal(0) < value <= Decimal(1):
        raise ValueError("must be in (0, 1]")
    return value


def _probability(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ValueError("expected a number between 0 and 1")
    if isinstance(raw, Decimal) and not raw.is_finite():
        raise ValueError("must be between 0 and 1")
    if not 0 <= raw <= 1:  # NaN compares false: refused too
        raise ValueError("must be between 0 and 1")
    return float(raw)


_TOKEN = re.compile(r"[\x21-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _string(raw: Any, max_len: int) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a string")
    if len(raw) > max_len:
        raise ValueError(f"at most {max_len} characters")
    return raw


def _token(max_len: int) -> Callable[[Any], str]:
    def check(raw: Any) -> str:
        text = _string(raw, max_len)
        if not text:
            raise ValueError("must not be empty")
        if not _TOKEN.fullmatch(text):
            raise ValueError("printable ASCII without whitespace only")
        return text

    return check


def _text(max_len: int) -> Callable[[Any], str]:
    def check(raw: Any) -> str:
        text = _string(raw, max_len)
        if _CONTROL.search(text):
            raise ValueError("no control characters (CR, LF, ...)")
        return text

    return check


_COIN = re.compile(r"[A-Z0-9]{1,16}")


def _coin(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a string")
    coin = raw.upper()
    if not _COIN.fullmatch(coin):
        raise ValueError("a coin is 1-16 letters or digits")
    return coin


def _ip(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > 64:
        raise ValueError("expected an IP address")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise ValueError(f"not an IP address: {raw[:40]!r}") from None


def _permission(raw: Any) -> str:
    if not isinstance(raw, str) or raw not in ALL_PERMISSIONS:  # a list is unhashable: type first
        raise ValueError(f"unknown permission {str(raw)[:40]!r}; known: {', '.join(sorted(ALL_PERMISSIONS))}")
    return raw


def _profile(raw: Any) -> str:
    if not isinstance(raw, str) or raw not in PROFILES:
        raise ValueError(f"unknown profile {str(raw)[:40]!r}; known: {', '.join(PROFILES)}")
    return raw


def _method(raw: Any) -> str:
    text = _string(raw, 16)
    if not re.fullmatch(r"[A-Za-z]+", text):
        raise ValueError("an HTTP method is 1-16 letters")
    return text.upper()


def _body(raw: Any) -> str:
    text = _string(raw, MAX_FAULT_BODY_BYTES)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FAULT_BODY_BYTES:
        raise ValueError(f"at most {MAX_FAULT_BODY_BYTES} bytes")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid UTF-8 text (lone surrogate)") from None
    return text


_DEC_SCHEMA = {"type": "string", "pattern": r"^[0-9]{1,20}(\.[0-9]{1,18})?$"}

Amount = Annotated[Decimal, PlainValidator(_amount), _schema(**_DEC_SCHEMA)]
SignedAmount = Annotated[
    Decimal, PlainValidator(_signed_amount), _schema(type="string", pattern=r"^-?[0-9]{1,20}(\.[0-9]{1,18})?$")
]
Price = Annotated[Decimal, PlainValidator(_positive), _schema(**_DEC_SCHEMA)]
Fraction = Annotated[Decimal, PlainValidator(_fraction), _schema(**_DEC_SCHEMA)]
Probability = Annotated[float, PlainValidator(_probability), _schema(type="number", minimum=0, maximum=1)]
Coin = Annotated[str, PlainValidator(_coin), _schema(type="string", pattern="^[A-Za-z0-9]{1,16}$")]
Key = Annotated[
    str, PlainValidator(_token(256)), _schema(type="string", minLength=1, maxLength=256, pattern="^[!-~]+$")
]
Label = Annotated[str, PlainValidator(_text(128)), _schema(type="string", maxLength=128)]
Ip = Annotated[str, PlainValidator(_ip), _schema(type="string", format="ip")]
Permission = Annotated[str, PlainValidator(_permission), _schema(type="string", enum=sorted(ALL_PERMISSIONS))]
ProfileName = Annotated[str, PlainValidator(_profile), _schema(type="string", enum=list(PROFILES))]
Method = Annotated[str, PlainValidator(_method), _schema(type="string", pattern="^[A-Za-z]{1,16}$")]
PathGlob = Annotated[str, PlainValidator(_token(256)), _schema(type="string", minLength=1, maxLength=256)]
Code = Annotated[str, PlainValidator(_token(16)), _schema(type="string", minLength=1, maxLength=16)]
Msg = Annotated[str, PlainValidator(_text(256)), _schema(type="string", maxLength=256)]
Body = Annotated[str, PlainValidator(_body), _schema(type="string", maxLength=MAX_FAULT_BODY_BYTES)]
Name = Annotated[str, PlainValidator(_token(64)), _schema(type="string", minLength=1, maxLength=64)]
Int64 = Annotated[int, Field(ge=bounds.INT64_MIN, le=bounds.INT64_MAX)]
TimeMs = Annotated[int, Field(ge=bounds.MIN_TIME_MS, le=bounds.MAX_TIME_MS)]
OffsetMs = Annotated[int, Field(ge=-MAX_OFFSET_MS, le=MAX_OFFSET_MS)]
Count = Annotated[int, Field(ge=1, le=1_000_000)]


def _level(raw: Any) -> tuple[Decimal, Decimal]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise ValueError("a level is [price, volume]")
    try:
        price = _positive(raw[0])
    except ValueError as exc:
        raise ValueError(f"price {exc}") from None
    try:
        volume = _positive(raw[1])
    except ValueError as exc:
        raise ValueError(f"volume {exc}") from None
    return price, volume


Level = Annotated[
    tuple[Decimal, Decimal],
    PlainValidator(_level),
    _schema(type="array", items=_DEC_SCHEMA, minItems=2, maxItems=2),
]


def _balances(raw: Any) -> Any:
    """Coin names are upper-cased: the same coin twice in two spellings is refused, not merged."""
    if isinstance(raw, dict):
        seen: set[str] = set()
        for name in raw:
            upper = name.upper() if isinstance(name, str) else name
            if upper in seen:
                raise ValueError(f"{upper} given twice")
            seen.add(upper)
    return raw


# ---------------------------------------------------------------------- bodies


class ResetSpec(Strict):
    seed: Int64 | None = None
    keep_journal: bool = False


class ProfileSpec(Strict):
    name: ProfileName


class TenantSpec(Strict):
    """A new tenant (mockserver.tenants). Nothing is inherited from the root exchange's own start flags:
    the defaults are the pytest plugin's, so a test sees the same world whichever server it runs against."""

    seed: Int64 = 0
    liquidity: bool = False  # the synthetic market maker: off, as the fixture's default (README: Testing your bot)
    profile: ProfileName = DEFAULT_PROFILE
    switches: Annotated[dict[Name, Name], Field(max_length=64)] = Field(default_factory=dict)
    rate_limits: bool = False
    label: Label = ""  # who made it (the plugin: the test's node id), shown in the list


class AccountSpec(Strict):
    api_key: Key | None = None
    secret: Key | None = None
    label: Label = ""
    balances: Annotated[dict[Coin, Amount], Field(max_length=MAX_BALANCE_COINS)] = Field(default_factory=dict)
    #: The futures wallet it opens with; absent: the server's (``Config.demo_futures_balances``); ``{}``: none.
    futures_balances: Annotated[dict[Coin, Amount], Field(max_length=MAX_BALANCE_COINS)] | None = None
    permissions: Annotated[list[Permission], Field(max_length=16)] = Field(
        default_factory=lambda: sorted(ALL_PERMISSIONS)
    )
    ip_whitelist: Annotated[list[Ip], Field(max_length=100)] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _unique_coins(cls, data: Any) -> Any:
        for name in ("balances", "futures_balances"):
            if isinstance(data, dict) and isinstance(data.get(name), dict):
                try:
                    _balances(data[name])
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return data


class FundSpec(Strict):
    coin: Coin
    amount: SignedAmount


class PriceSpec(Strict):
    price: Price


class MarkSpec(Strict):
    """A futures contract's mark price; ``follow_last``: from now on the mark moves with every trade."""

    price: Price
    follow_last: bool = False


class IndexSpec(Strict):
    """A futures contract's index price; ``null``: the index reads as the mark again."""

    price: Price | None


def _rate(raw: Any) -> Decimal:
    """A funding rate in percent (signed), at most 8 decimals (the contract's bounds are the engine's rule)."""
    return _bound(raw, allow_negative=True, max_decimals=8)


Rate = Annotated[Decimal, PlainValidator(_rate), _schema(type="string", pattern=r"^-?[0-9]{1,20}(\.[0-9]{1,8})?$")]


class FundingSpec(Strict):
    """Set the funding rate (percent per interval, as the REST API shows it); ``settle``: charge it now too."""

    rate: Rate
    settle: bool = False


class OpenPositionSpec(Strict):
    """A test position opened directly against the house account (no order, no fee)."""

    symbol: Name
    side: Literal["LONG", "SHORT", "BUY", "SELL"]
    qty: Price
    price: Price | None = None  # default: the mark
    leverage: Annotated[int, Field(ge=1, le=1000)] | None = None
    margin_mode: Literal["ISOLATION", "CROSS"] | None = None


class SettleSpec(Strict):
    """Settle funding now: on ``symbol``, or on every contract."""

    symbol: Name | None = None


class LiquidateSpec(Strict):
    """Which position to liquidate: the account's on ``symbol`` (``side`` in hedge mode, where it may hold two)."""

    symbol: Name
    side: Literal["LONG", "SHORT"] | None = None


class BookSpec(Strict):
    bids: Annotated[list[Level], Field(max_length=MAX_BOOK_LEVELS)] = Field(default_factory=list)
    asks: Annotated[list[Level], Field(max_length=MAX_BOOK_LEVELS)] = Field(default_factory=list)


class ScriptSpec(Strict):
    api_key: Key
    #: Whose orders the script fills: the account's spot orders, or its futures orders (filled by the house).
    product: Literal["spot", "futures"] = "spot"
    symbol: Name | None = None
    order_id: Name | None = None
    after_polls: Count | None = None
    at_ms: TimeMs | None = None
    fraction: Fraction = Decimal(1)


class ClockSpec(Strict):
    offset_ms: OffsetMs | None = None
    freeze: bool = False
    at_ms: TimeMs | None = None
    advance_ms: OffsetMs | None = None
    unfreeze: bool = False


class RateLimitSpec(Strict):
    enabled: bool | None = None
    per_second: Annotated[dict[Name, Count], Field(max_length=200)] = Field(default_factory=dict)


class FaultSpec(Strict):
    """One fault rule; the cross-field rules (an error needs a code, ...) are checked after the types."""

    action: Literal["latency", "error", "status", "drop"]
    method: Method | None = None
    path: PathGlob | None = None
    api_key: Key | None = None
    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    latency_max_ms: Annotated[int, Field(ge=0, le=60_000)] | None = None
    code: Code | None = None
    msg: Msg | None = None
    status: Annotated[int, Field(ge=200, le=599)] | None = None
    retry_after: Annotated[int, Field(ge=0, le=86_400)] | None = None
    body: Body | None = None
    nth: Count | None = None
    times: Count | None = None
    probability: Probability = 1.0
    id: Name | None = None

    @model_validator(mode="after")
    def _rules(self) -> FaultSpec:
        if self.action == "error":
            if self.code is None:
                raise ValueError("code: an error fault needs a code")
            if self.code not in ERROR_CODES and self.msg is None:
                raise ValueError(f"msg: code {self.code!r} is not in the error table: give its msg")
        if self.action == "status" and self.status is None:
            raise ValueError("status: a status fault needs an HTTP status (200-599)")
        if self.action == "latency" and self.latency_ms <= 0 and not self.latency_max_ms:
            raise ValueError("latency_ms: a latency fault needs latency_ms > 0")
        if self.latency_max_ms is not None and self.latency_max_ms < self.latency_ms:
            raise ValueError("latency_max_ms: must be >= latency_ms")
        return self


def request_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema for the OpenAPI document (every field inline)."""
    return model.model_json_schema(mode="validation")
