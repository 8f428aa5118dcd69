"""Snapshot an exchange to JSON and restore it, so a test can start from a saved state.

The snapshot holds everything the exchange paths can observe: accounts (with
their secrets - this is a mock), balances, every order (resting ones rebuild the
books in time priority), fills, trade tapes, wallet records, last prices, id
counters and generator states (so ids continue exactly as they would have), and
the clock, the nonce memory (with each nonce's expiry second, so a request
accepted before the snapshot is a replay after the restore) and every
account's opening balances (so a per-account reset after a restore gives them
back), and the futures engine's whole state beside the exchange's (contracts' prices and
funding, positions, orders, fills, TP/SL orders, funding history, closed positions, its
counters) with its market maker's. Not kept: the journal, faults, rate-limit counters and
counterparty scripts - those steer a run, they are not the exchange.

Money of the futures engine is counted in ledger units (10**-40 USDT), wider than a JSON number
a 64-bit reader keeps: those fields (:data:`Units` in the models) are written as digit strings.

:func:`load` accepts a document only when it could have been dumped: its
structure is checked by pydantic models (types, ranges, list sizes), then the
facts only the document shows (unique ids, counters ahead of ids, known coins,
markets and accounts, the system accounts, tape order, unique nonces) in plain
code; the engine's own invariants (locks equal to open orders, conservation,
seq and uid ties) are the engine's check, which restoring it runs
(``Exchange.problems``). The first rule broken refuses the whole snapshot with
:class:`SnapshotError`.
"""

from __future__ import annotations

import functools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from decimal import Decimal
from enum import IntEnum
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, Union, cast, get_args, get_origin, get_type_hints

from pydantic import Field, PlainValidator, ValidationError

from ..api import bounds
from ..config import Config
from ..engine import (
    FEE_ACCOUNT,
    LIQUIDITY_ACCOUNT,
    Account,
    ExchangeState,
    FillRecord,
    IdState,
    LiquidityState,
    Market,
    OrderRecord,
    OrderStatus,
    WalletRecord,
    WalletState,
    load_markets,
)
from ..engine.accounts import Balance
from ..engine.futures import FuturesState, load_contracts, wallet_of
from ..engine.futures.liquidity import FUTURES_LIQUIDITY_ACCOUNT, FuturesLiquidityState
from ..engine.futures.rows import (
    OPEN_STATUSES,
    AccountRow,
    FillRow,
    FundingRow,
    MarketRow,
    OrderRow,
    PositionRow,
    SymbolSetting,
    TpslRow,
)
from ..engine.instant import copy_engine
from ..engine.seed import data_texts
from ..engine.wallet import WALLET_ID_BASE, WITHDRAWALS_ACCOUNT
from .schema import Ip, Permission, ProfileName, Strict, describe

if TYPE_CHECKING:
    from ..state import MockState

__all__ = ["FORMAT", "Captured", "Restored", "SnapshotError", "capture", "dump", "encode", "load", "upgrade"]

FORMAT = "bitunix-mock-snapshot"
#: 3: the futures engine's state and its market maker (``futures``, ``futures_liquidity``); 2: spot only.
VERSION = 3


class SnapshotError(ValueError):
    """The document is not a snapshot this version can restore."""


#: Engine classes a snapshot writes as a list of their fields in order ([free, locked]), not an object.
_POSITIONAL: frozenset[type] = frozenset({Balance})


def _enc(value: Any) -> Any:
    """JSON for an engine value, field by field: a dataclass gains a key the moment it gains a field."""
    if is_dataclass(value) and not isinstance(value, type):
        if type(value) in _POSITIONAL:
            return [_enc(getattr(value, f.name)) for f in fields(value)]
        texts = _TEXT_INTS.get(type(value), frozenset())
        return {
            f.name: _text(getattr(value, f.name)) if f.name in texts else _enc(getattr(value, f.name))
            for f in fields(value)
        }
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # an engine named tuple (FillRecord)
        return {name: _enc(v) for name, v in zip(value._fields, value, strict=True)}
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    if isinstance(value, dict):
        return {k: _enc(v) for k, v in value.items()}
    return value


def _text(value: Any) -> Any:
    """A :data:`Units` field as the document writes it: digits (a dict's values too)."""
    if isinstance(value, dict):
        return {k: str(v) for k, v in value.items()}
    return str(value)


def _build(tp: Any, raw: Any) -> Any:
    """The engine value of type ``tp`` from validated document data: the inverse of :func:`_enc`."""
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        if raw is None:
            return None
        (inner,) = [a for a in get_args(tp) if a is not type(None)]
        return _build(inner, raw)
    if origin is list:
        (item,) = get_args(tp)
        return [_build(item, x) for x in raw]
    if origin is dict:
        key, val = get_args(tp)
        return {_build(key, k): _build(val, v) for k, v in raw.items()}
    if origin is frozenset:
        return frozenset(raw)
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(raw)
        return tuple(_build(a, x) for a, x in zip(args, raw, strict=True))
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        hints = _hints(tp)
        return tp(**{name: _build(hints[name], raw[name]) for name in tp._fields if name in raw})
    if isinstance(tp, type) and is_dataclass(tp):
        hints = _hints(tp)
        if isinstance(raw, (list, tuple)):
            return tp(*[_build(hints[f.name], x) for f, x in zip(fields(tp), raw, strict=True)])
        return tp(**{f.name: _build(hints[f.name], raw[f.name]) for f in fields(tp) if f.name in raw})
    if isinstance(tp, type) and issubclass(tp, IntEnum):
        return tp(raw)
    return raw


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


@dataclass(frozen=True)
class Captured:
    """The exchange at one instant, as copies the exchange no longer touches (:func:`capture`).

    Turning it into JSON (:func:`encode`, the costly part) needs no lock, so it can run off the
    request path while the exchange moves on.
    """

    engine: ExchangeState
    profile: str
    clock: dict[str, Any]
    wallet: WalletState
    liquidity: LiquidityState | None
    futures: FuturesState
    futures_liquidity: FuturesLiquidityState | None
    demo_account: str | None
    opening_balances: dict[str, dict[str, Decimal]]
    nonces: list[list[Any]]


def capture(state: MockState) -> Captured:
    """Copies of everything a snapshot holds, at one instant: the engine's parts and, in the same hold
    of the engine (:func:`mockserver.engine.instant.copy_engine`), the request-side stores - the
    profile, the clock and the nonces - so no engine call lands between any two of the copies (and on
    the event loop, where requests run one at a time, no request does)."""

    def beside() -> tuple[str, dict[str, Any], str | None, list[list[Any]]]:
        clock, demo = state.clock, state.demo
        now = {"now_ms": clock.now_ms(), "frozen": clock.frozen, "offset_ms": clock.offset_ms}
        return (
            state.verifier.profile.name,
            now,
            None if demo is None else demo.account_id,
            state.verifier.nonces.export_rows(),
        )

    copy = copy_engine(state.exchange, state.wallet, state.liquidity, beside, state.futures_liquidity)
    profile, clock, demo_account, nonces = copy.beside
    return Captured(
        engine=copy.exchange,
        profile=profile,
        clock=clock,
        wallet=copy.wallet,
        liquidity=copy.liquidity,
        futures=copy.futures,
        futures_liquidity=copy.futures_liquidity,
        demo_account=demo_account,
        opening_balances=copy.opening_balances,
        nonces=nonces,
    )


def yield_interpreter() -> None:
    """:func:`encode`'s ``pause`` off the event loop: lets another thread take the interpreter."""
    time.sleep(0)


#: Items encoded between two calls of :func:`encode`'s ``pause`` (a few milliseconds of work).
PAUSE_EVERY = 200


def encode(c: Captured, pause: Callable[[], None] | None = None) -> dict[str, Any]:
    """The snapshot document of a capture; ``pause`` is called every :data:`PAUSE_EVERY` orders
    (a background writer passes ``time.sleep(0)`` so request threads get the interpreter)."""
    engine = c.engine
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    for f in fields(engine):
        value = getattr(engine, f.name)
        if pause is not None and f.name in ("orders", "fills"):
            doc[f.name] = _enc_paced(value, pause)
        else:
            doc[f.name] = _enc(value)
    doc.update(
        {
            "profile": c.profile,
            "clock": dict(c.clock),
            "wallet": _enc(c.wallet),
            "liquidity": None if c.liquidity is None else _enc(c.liquidity),
            "futures": _enc_futures(c.futures, pause),
            "futures_liquidity": None if c.futures_liquidity is None else _enc(c.futures_liquidity),
            "demo_account": c.demo_account,
            "opening_balances": {
                acct: {coin: str(v) for coin, v in coins.items()} for acct, coins in c.opening_balances.items()
            },
            "nonces": c.nonces,
        }
    )
    return doc


#: The futures state's fields that grow with activity: encoded with pauses by a background writer.
_FUTURES_PACED = ("orders", "fills", "closed", "tpsl")


def _enc_futures(state: FuturesState, pause: Callable[[], None] | None) -> dict[str, Any]:
    """:func:`_enc` of the futures state, its long lists paced as :func:`encode` paces the exchange's."""
    if pause is None:
        return cast(dict[str, Any], _enc(state))
    texts = _TEXT_INTS[FuturesState]
    out: dict[str, Any] = {}
    for f in fields(state):
        value = getattr(state, f.name)
        if f.name in _FUTURES_PACED:
            out[f.name] = _enc_paced(value, pause)
        else:
            out[f.name] = _text(value) if f.name in texts else _enc(value)
    return out


def _enc_paced(value: Any, pause: Callable[[], None]) -> Any:
    """:func:`_enc` of a large list or dict, pausing every :data:`PAUSE_EVERY` items."""
    keyed = isinstance(value, dict)
    out: list[Any] = []
    for i, item in enumerate(value.items() if keyed else value):
        if i % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
        out.append((item[0], _enc(item[1])) if keyed else _enc(item))
    return dict(out) if keyed else out


def dump(state: MockState) -> dict[str, Any]:
    """The whole exchange as a JSON-able dict: the engine's state classes, field by field, and the rest of the run."""
    return encode(capture(state))


# ------------------------------------------------------------ document schema

_MAX_ORDERS = 1_000_000
_MAX_ACCOUNTS = 100_000
_MAX_RECORDS = 1_000_000
_MAX_TAPE = 500_000
_MAX_NONCES = 2_000_000
#: Sums over every account (net external flow) may be wider than one balance.
_TOTAL_DIGITS = 40
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,60}(\.[0-9]{1,60})?([eE][+-]?[0-9]{1,3})?")
#: Decimal places of a ledger amount (balances, net external flow, opening balances): the ledger keeps
#: 10**-scale, at least 40 places (engine.accounts.MIN_SCALE), and the futures engine uses them all (a
#: margin released pro rata, funding); whether an amount is on the ledger's grid is the ledger's check.
_LEDGER_DECIMALS = 60


def _decimal(
    raw: Any,
    *,
    allow_negative: bool = False,
    integer_digits: int = bounds.MAX_INTEGER_DIGITS,
    decimals: int = bounds.MAX_DECIMALS,
) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ValueError("expected a decimal string")
    if isinstance(raw, str):
        if not _DECIMAL_TEXT.fullmatch(raw):
            raise ValueError(f"not a decimal: {raw[:40]!r}")
        raw = Decimal(raw)
    elif isinstance(raw, int):
        if not bounds.INT64_MIN <= raw <= bounds.INT64_MAX:
            raise ValueError("out of range")
        raw = Decimal(raw)
    try:
        return bounds.check_decimal(
            raw, "value", allow_negative=allow_negative, max_integer_digits=integer_digits, max_decimals=decimals
        )
    except bounds.BoundError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from None


def _net(raw: Any) -> Decimal:
    return _decimal(raw, allow_negative=True, integer_digits=_TOTAL_DIGITS, decimals=_LEDGER_DECIMALS)


def _ledger_amount(raw: Any) -> Decimal:
    return _decimal(raw, decimals=_LEDGER_DECIMALS)


def _regex(pattern: str, what: str) -> Any:
    compiled = re.compile(pattern)

    def check(raw: Any) -> str:
        if not isinstance(raw, str) or not compiled.fullmatch(raw):
            raise ValueError(f"expected {what}")
        return raw

    return PlainValidator(check)


def _enum(*allowed: int) -> Any:
    def check(raw: Any) -> int:
        if isinstance(raw, bool) or raw not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}")
        return int(raw)

    return PlainValidator(check)


def _rng(raw: Any) -> tuple[Any, ...]:
    """A ``random.Random`` state; tried on a throwaway generator so a bad one is refused here."""
    if not isinstance(raw, list) or len(raw) != 3 or not isinstance(raw[1], list) or len(raw[1]) != 625:
        raise ValueError("expected [version, [625 integers], gauss]")
    if not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**32 for x in raw[1]):
        raise ValueError("generator words are integers in 0..2**32-1")
    gauss = raw[2]
    if gauss is not None:
        if isinstance(gauss, bool) or not isinstance(gauss, (int, float, Decimal)):
            raise ValueError("gauss is a number or null")
        if isinstance(gauss, Decimal) and (not gauss.is_finite() or abs(gauss) > 1000):
            raise ValueError("gauss out of range")
        gauss = float(gauss)
    if not isinstance(raw[0], int) or isinstance(raw[0], bool):
        raise ValueError("version is an integer")
    state = (raw[0], tuple(raw[1]), gauss)
    try:
        random.Random().setstate(state)
    except (ValueError, TypeError, OverflowError):
        raise ValueError("not a generator state") from None
    return state


def _pair(raw: Any) -> tuple[Decimal, Decimal]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise ValueError("expected [free, locked]")
    return _ledger_amount(raw[0]), _ledger_amount(raw[1])


def _tape_row(raw: Any) -> tuple[int, Decimal, Decimal]:
    if not isinstance(raw, list) or len(raw) != 3:
        raise ValueError("expected [time_ms, price, volume]")
    t = raw[0]
    if isinstance(t, bool) or not isinstance(t, int) or not bounds.time_ms_ok(t):
        raise ValueError("time_ms is an integer in 1970..2100")
    return t, _decimal(raw[1]), _decimal(raw[2])


def _nonce_row(raw: Any) -> tuple[int, str, list[str]]:
    if not isinstance(raw, list) or len(raw) != 3:
        raise ValueError("expected [expiry second, api_key, [nonce, ...]]")
    sec, key, nonces = raw
    if isinstance(sec, bool) or not isinstance(sec, int) or not 0 <= sec <= bounds.MAX_TIME_MS // 1000 + 86_400:
        raise ValueError("expiry second out of range")
    if not isinstance(key, str) or len(key) > 256:
        raise ValueError("api_key is a string of at most 256 characters")
    if not isinstance(nonces, list) or len(nonces) > _MAX_NONCES:
        raise ValueError("expected a list of nonces")
    if not all(isinstance(n, str) and len(n) <= 256 for n in nonces):
        raise ValueError("nonces are strings of at most 256 characters")
    return sec, key, list(nonces)


Dec = Annotated[Decimal, PlainValidator(_decimal)]
Net = Annotated[Decimal, PlainValidator(_net)]
LedgerDec = Annotated[Decimal, PlainValidator(_ledger_amount)]
Pair = Annotated[tuple[Decimal, Decimal], PlainValidator(_pair)]
RngState = Annotated[tuple[Any, ...], PlainValidator(_rng)]
TapeRow = Annotated[tuple[int, Decimal, Decimal], PlainValidator(_tape_row)]
NonceRow = Annotated[tuple[int, str, list[str]], PlainValidator(_nonce_row)]
AccountId = Annotated[str, _regex(r"[A-Za-z0-9:._@-]{1,80}", "an account id (1-80 of A-Z a-z 0-9 : . _ @ -)")]
Digits = Annotated[str, _regex(r"[0-9]{1,20}", "a numeric id (1-20 digits)")]
SnapCoin = Annotated[str, _regex(r"[A-Z0-9]{1,16}", "a coin (1-16 upper-case letters or digits)")]
Symbol = Annotated[str, _regex(r"[A-Z0-9]{1,32}", "a market symbol")]
DecimalText = Annotated[str, _regex(r"-?[0-9]{1,60}(\.[0-9]{1,60})?", "a decimal as text")]
KeyText = Annotated[str, _regex(r"[\x21-\x7e]{0,256}", "printable ASCII without whitespace (<= 256)")]
Text = Annotated[str, Field(max_length=256)]
TimeMs = Annotated[int, Field(ge=bounds.MIN_TIME_MS, le=bounds.MAX_TIME_MS)]
Counter = Annotated[int, Field(ge=0, le=bounds.INT64_MAX)]
Int64 = Annotated[int, Field(ge=bounds.INT64_MIN, le=bounds.INT64_MAX)]
OffsetMs = Annotated[int, Field(ge=-100 * 366 * 86_400_000, le=100 * 366 * 86_400_000)]


class SnapClock(Strict):
    now_ms: TimeMs
    frozen: bool
    offset_ms: OffsetMs


class SnapIds(Strict):
    order: Counter
    trade: Counter
    uid: Counter
    rng: RngState


class SnapAccount(Strict):
    account_id: AccountId
    uid: Counter
    api_key: KeyText
    secret: KeyText
    permissions: Annotated[list[Permission], Field(max_length=4)]
    ip_whitelist: Annotated[list[Ip], Field(max_length=100)]
    label: Annotated[str, Field(max_length=128)]
    system: bool


class SnapOrder(Strict):
    order_id: Digits
    account_id: AccountId
    uid: Counter
    symbol: Symbol
    base: SnapCoin
    quote: SnapCoin
    side: Annotated[int, _enum(1, 2)]
    type: Annotated[int, _enum(1, 2)]
    price: Dec
    volume: Dec
    quote_amount: Dec
    client_id: Text | None
    ctime: TimeMs
    utime: TimeMs
    seq: Counter
    status: Annotated[int, _enum(1, 2, 3, 4, 7)]
    deal_volume: Dec
    deal_amount: Dec
    fee: Dec
    fee_coin: SnapCoin
    locked: Dec
    cancel_blocked_until: TimeMs = 0


class SnapFill(Strict):
    trade_id: Digits
    order_id: Digits
    account_id: AccountId
    symbol: Symbol
    side: Annotated[int, _enum(1, 2)]
    price: Dec
    volume: Dec
    amount: Dec
    fee: Dec
    fee_coin: SnapCoin
    role: Annotated[int, _enum(1, 2)]
    time_ms: TimeMs


class SnapRecord(Strict):
    id: Digits
    type: Literal["withdraw", "inside_transfer_out", "inside_transfer_in", "deposit", "spot_futures", "futures_spot"]
    account_id: AccountId
    coin: SnapCoin
    amount: Dec
    status: Literal["pending", "success", "cancelled"]
    ctime: TimeMs
    network: Text
    address: Text
    memo: Text
    out_biz_id: Text | None
    to_type: Text | None
    to_uid: Counter | None
    remark: Text | None
    tx_hash: Text
    from_address: Text
    fee: Dec


class SnapWallet(Strict):
    seq: Counter
    records: Annotated[list[SnapRecord], Field(max_length=_MAX_RECORDS)]
    whitelist: Annotated[dict[AccountId, Annotated[list[Text], Field(max_length=1000)]], Field(max_length=100_000)] = (
        Field(default_factory=dict)
    )


class SnapLiquidity(Strict):
    levels: Annotated[int, Field(ge=1, le=200)]
    spacing_bps: Annotated[int, Field(ge=1, le=10_000)]
    rng: RngState


class _TextInt:
    """Marks a :data:`Units` field: an integer the document writes as a digit string (see the module docstring)."""


_TEXT_INT = _TextInt()
_UNITS_TEXT = re.compile(r"-?[0-9]{1,90}")


def _units_signed(raw: Any) -> int:
    if not isinstance(raw, str) or not _UNITS_TEXT.fullmatch(raw):
        raise ValueError("expected a whole number of units as a string of digits")
    return int(raw)


def _units(raw: Any) -> int:
    n = _units_signed(raw)
    if n < 0:
        raise ValueError("must not be negative")
    return n


def _signed_decimal(raw: Any) -> Decimal:
    return _decimal(raw, allow_negative=True)


#: Money of the futures engine in ledger units (10**-40 USDT): digit strings in the document.
Units = Annotated[int, PlainValidator(_units), _TEXT_INT]
SignedUnits = Annotated[int, PlainValidator(_units_signed), _TEXT_INT]
SignedDec = Annotated[Decimal, PlainValidator(_signed_decimal)]
#: A futures enumeration as the engine spells it (LONG, CROSS, PART_FILLED, ...; "" for none).
Word = Annotated[str, _regex(r"[A-Z_]{0,32}", "an upper-case word (A-Z and _, at most 32)")]
#: A futures order, position, trade or TP/SL id ("" where a row names none, e.g. a liquidation's fill).
RowId = Annotated[str, _regex(r"[0-9A-Za-z_-]{0,40}", "an id (0-40 of A-Z a-z 0-9 _ -)")]
#: A time on a futures row (0 where the engine has set none).
TimeOrZero = Annotated[int, Field(ge=0, le=bounds.MAX_TIME_MS)]
Leverage = Annotated[int, Field(ge=1, le=10_000)]


class SnapFuturesSetting(Strict):
    leverage: Leverage
    margin_mode: Word


class SnapFuturesAccount(Strict):
    account_id: AccountId
    position_mode: Word
    settings: Annotated[dict[Symbol, SnapFuturesSetting], Field(max_length=1000)]


class SnapFuturesMarket(Strict):
    symbol: Symbol
    last_ticks: Counter
    mark_ticks: Counter
    index_ticks: Counter
    follow_last: bool
    funding_rate: SignedDec
    next_funding_ms: TimeMs


class SnapFuturesOrder(Strict):
    order_id: RowId
    account_id: AccountId
    symbol: Symbol
    client_id: Text
    side: Annotated[int, _enum(1, 2)]
    trade_side: Word
    position_side: Word
    position_id: RowId
    order_type: Word
    effect: Word
    reduce_only: bool
    price_ticks: Counter
    qty_lots: Counter
    deal_lots: Counter
    deal_value: Units
    frozen: Units
    fee: SignedUnits
    realized: SignedUnits
    leverage: Leverage
    margin_mode: Word
    position_mode: Word
    status: Word
    seq: Counter
    ctime: TimeOrZero
    mtime: TimeOrZero
    tp_price: Text
    tp_stop_type: Word
    tp_order_type: Word
    tp_order_price: Text
    sl_price: Text
    sl_stop_type: Word
    sl_order_type: Word
    sl_order_price: Text


class SnapFuturesFill(Strict):
    trade_id: RowId
    order_id: RowId
    account_id: AccountId
    symbol: Symbol
    side: Annotated[int, _enum(1, 2)]
    price_ticks: Counter
    qty_lots: Counter
    fee: SignedUnits
    realized: SignedUnits
    role: Word
    position_id: RowId
    ctime: TimeOrZero


class SnapFuturesPosition(Strict):
    position_id: RowId
    account_id: AccountId
    symbol: Symbol
    side: Word
    qty_lots: Counter
    cost: Units
    margin: Units
    margin_mode: Word
    position_mode: Word
    leverage: Leverage
    fee: SignedUnits
    funding: SignedUnits
    realized: SignedUnits
    max_lots: Counter
    liq_lots: Counter
    close_value: Units
    closed_lots: Counter
    open_value: Units
    opened_lots: Counter
    ctime: TimeOrZero
    mtime: TimeOrZero
    last_margin: Units = 0
    last_liq_price: DecimalText = "0"


class SnapFuturesFunding(Strict):
    symbol: Symbol
    time_ms: TimeMs
    rate: SignedDec
    mark_ticks: Counter


class SnapFuturesTpsl(Strict):
    tpsl_id: RowId
    account_id: AccountId
    symbol: Symbol
    position_id: RowId
    kind: Word
    tp_price_ticks: Counter
    tp_stop_type: Word
    tp_order_type: Word
    tp_order_price_ticks: Counter
    tp_lots: Counter
    sl_price_ticks: Counter
    sl_stop_type: Word
    sl_order_type: Word
    sl_order_price_ticks: Counter
    sl_lots: Counter
    status: Word
    ctime: TimeOrZero
    mtime: TimeOrZero
    trigger_time: TimeOrZero


class SnapFutures(Strict):
    """The futures engine's state (:class:`~mockserver.engine.futures.FuturesState`)."""

    seed: Int64
    started_ms: TimeMs
    seq: Counter
    wallet_identity: Annotated[str, _regex(r"[a-z_]{1,40}", "a wallet identity (a-z and _)")]
    markets: Annotated[list[SnapFuturesMarket], Field(max_length=1000)]
    accounts: Annotated[list[SnapFuturesAccount], Field(max_length=_MAX_ACCOUNTS)]
    orders: Annotated[list[SnapFuturesOrder], Field(max_length=_MAX_ORDERS)]
    fills: Annotated[list[SnapFuturesFill], Field(max_length=_MAX_ORDERS)]
    positions: Annotated[list[SnapFuturesPosition], Field(max_length=_MAX_RECORDS)]
    closed: Annotated[list[SnapFuturesPosition], Field(max_length=_MAX_RECORDS)]
    funding_history: dict[Symbol, Annotated[list[SnapFuturesFunding], Field(max_length=_MAX_TAPE)]]
    tpsl: Annotated[list[SnapFuturesTpsl], Field(max_length=_MAX_RECORDS)]
    pnl_cash: Annotated[dict[AccountId, SignedUnits], Field(max_length=_MAX_ACCOUNTS)]
    funding_cash: Annotated[dict[AccountId, SignedUnits], Field(max_length=_MAX_ACCOUNTS)]
    fee_cash: Annotated[dict[AccountId, SignedUnits], Field(max_length=_MAX_ACCOUNTS)]
    pnl_shortfall: Units
    funding_shortfall: Units
    tapes: dict[Symbol, Annotated[list[TapeRow], Field(max_length=_MAX_TAPE)]]
    mark_tapes: dict[Symbol, Annotated[list[TapeRow], Field(max_length=_MAX_TAPE)]]


class SnapFuturesLiquidity(Strict):
    levels: Annotated[int, Field(ge=1, le=200)]
    spacing_bps: Annotated[int, Field(ge=1, le=10_000)]
    rng: RngState


class Snapshot(Strict):
    """A version-3 snapshot document."""

    format: Literal["bitunix-mock-snapshot"]
    version: Literal[3]
    seed: Int64
    profile: ProfileName
    clock: SnapClock
    started_ms: TimeMs
    ids: SnapIds
    seq: Counter
    account_seq: Counter
    accounts: Annotated[list[SnapAccount], Field(max_length=_MAX_ACCOUNTS)]
    balances: Annotated[dict[AccountId, dict[SnapCoin, Pair]], Field(max_length=_MAX_ACCOUNTS)]
    net_external: dict[SnapCoin, Net]
    last_prices: dict[Symbol, Dec]
    orders: Annotated[list[SnapOrder], Field(max_length=_MAX_ORDERS)]
    fills: Annotated[dict[Digits, list[SnapFill]], Field(max_length=_MAX_ORDERS)]
    tapes: dict[Symbol, Annotated[list[TapeRow], Field(max_length=_MAX_TAPE)]]
    wallet: SnapWallet
    liquidity: SnapLiquidity | None
    #: None: no futures activity (a version-2 document a state directory kept, read by :func:`upgrade`).
    futures: SnapFutures | None
    futures_liquidity: SnapFuturesLiquidity | None
    demo_account: AccountId | None
    opening_balances: Annotated[dict[AccountId, dict[SnapCoin, LedgerDec]], Field(max_length=_MAX_ACCOUNTS)]
    nonces: Annotated[list[NonceRow], Field(max_length=_MAX_NONCES)]


#: Every engine state class a snapshot holds, and the document model that checks it (``None``: written
#: positionally, as a list of its fields). tests/control/test_snapshot_fields.py holds the two to the same fields.
ENGINE_MODELS: dict[type, type[Strict] | None] = {
    ExchangeState: Snapshot,
    IdState: SnapIds,
    Account: SnapAccount,
    Balance: None,
    OrderRecord: SnapOrder,
    FillRecord: SnapFill,
    WalletState: SnapWallet,
    WalletRecord: SnapRecord,
    LiquidityState: SnapLiquidity,
    FuturesState: SnapFutures,
    SymbolSetting: SnapFuturesSetting,
    AccountRow: SnapFuturesAccount,
    MarketRow: SnapFuturesMarket,
    OrderRow: SnapFuturesOrder,
    FillRow: SnapFuturesFill,
    PositionRow: SnapFuturesPosition,
    FundingRow: SnapFuturesFunding,
    TpslRow: SnapFuturesTpsl,
    FuturesLiquidityState: SnapFuturesLiquidity,
}


def _text_ints(model: type[Strict]) -> frozenset[str]:
    """The fields of ``model`` that are :data:`Units` (or a dict of them): written as digit strings."""
    out = set()
    for name, info in model.model_fields.items():
        values = get_args(info.annotation)[1:] if get_origin(info.annotation) is dict else ()
        if _TEXT_INT in info.metadata or any(_TEXT_INT in getattr(v, "__metadata__", ()) for v in values):
            out.add(name)
    return frozenset(out)


#: Per engine class, the fields :func:`_enc` writes as digit strings (from the models: one source).
_TEXT_INTS: dict[type, frozenset[str]] = {
    cls: texts for cls, model in ENGINE_MODELS.items() if model is not None and (texts := _text_ints(model))
}


def snapshot_schema() -> dict[str, Any]:
    """The document's JSON schema (for the OpenAPI request body of ``/restore``)."""
    return Snapshot.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")


# --------------------------------------------------------------------- load


@dataclass(frozen=True)
class Restored:
    """A checked snapshot's parts; :meth:`mockserver.state.MockState.restore` builds a state of them."""

    config: Config  # to build the state with: the snapshot's seed, profile and clock, no liquidity, no demo
    settings: Config  # the config the restored state runs under
    engine: ExchangeState
    wallet: WalletState
    liquidity: LiquidityState | None
    liquidity_levels: int
    liquidity_spacing_bps: int
    futures: FuturesState | None  # None: no futures activity (a fresh futures engine)
    futures_liquidity: FuturesLiquidityState | None
    demo_account: str | None
    opening_balances: dict[str, dict[str, Decimal]]
    nonces: list[tuple[int, str, list[str]]]


def load(config: Config, doc: Any) -> Restored:
    """The parts of the state ``doc`` was dumped from, or :class:`SnapshotError`.

    The document is checked against the markets and coins of the data documents ``config`` builds
    the state from (those it keeps, else its ``--markets`` file and the embedded ones). Nothing is
    touched, so a refused document changes nothing.
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"not a {FORMAT} document")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise SnapshotError(f"snapshot version {doc.get('version')!r}; this mock reads version {VERSION}")
    try:
        snap = Snapshot.model_validate(doc)
    except ValidationError as exc:
        raise SnapshotError(describe(exc)) from None
    try:
        return _parts(config, snap)
    except SnapshotError:
        raise
    except Exception as exc:  # the checks above should leave nothing to fail; never a 500 if they miss one
        raise SnapshotError(f"malformed snapshot: {exc!r}") from None


def upgrade(doc: Any) -> Any:
    """A version-2 document (no futures) as version 3, for a state directory written before futures were
    kept: it reads as no futures activity. ``/restore`` takes only the current version (:func:`load`);
    anything but a version-2 snapshot is returned unchanged."""
    old = isinstance(doc, dict) and doc.get("format") == FORMAT and doc.get("version") == 2
    if old and not isinstance(doc.get("version"), bool):
        return {**doc, "version": VERSION, "futures": None, "futures_liquidity": None}
    return doc


def _fail(message: str) -> NoReturn:
    raise SnapshotError(message)


def _check(snap: Snapshot, market_list: list[Market], known_coins: set[str]) -> None:
    """The engine's invariants over the document; the first one broken refuses the whole snapshot."""
    markets = {m.symbol: m for m in market_list}
    coins = {c for m in market_list for c in (m.base, m.quote)} | known_coins

    def coin_ok(coin: str, where: str) -> None:
        if coin not in coins:
            _fail(f"{where}: unknown coin {coin!r}")

    def symbol_ok(symbol: str, where: str) -> None:
        if symbol not in markets:
            _fail(f"{where}: unknown market {symbol!r}")

    # Accounts: unique ids, uids and keys; the system accounts the engine relies on. A uid names a user: a
    # system account may repeat one (a futures wallet carries its owner's, engine/exchange.open_futures_wallet).
    accounts: dict[str, SnapAccount] = {}
    uids: set[int] = set()
    keys: set[str] = set()
    for i, a in enumerate(snap.accounts):
        where = f"accounts.{i}"
        if a.account_id in accounts:
            _fail(f"{where}.account_id: {a.account_id!r} given twice")
        if a.uid in uids and not a.system:
            _fail(f"{where}.uid: {a.uid} given twice")
        if a.uid > snap.ids.uid:
            _fail(f"ids.uid: behind the uid {a.uid} of account {a.account_id!r}")
        if not a.system:
            if not a.api_key or not a.secret:
                _fail(f"{where}: an account reached by a key needs an api_key and a secret")
            if a.api_key in keys:
                _fail(f"{where}.api_key: given twice")
            keys.add(a.api_key)
        accounts[a.account_id] = a
        if not a.system:
            uids.add(a.uid)
    for required in (FEE_ACCOUNT, WITHDRAWALS_ACCOUNT) + ((LIQUIDITY_ACCOUNT,) if snap.liquidity else ()):
        if required not in accounts or not accounts[required].system:
            _fail(f"accounts: the system account {required!r} is missing")
    if snap.demo_account is not None and (snap.demo_account not in accounts or accounts[snap.demo_account].system):
        _fail(f"demo_account: no account {snap.demo_account!r} reached by a key")

    # Balances: of known accounts, in known coins (conservation is the engine's check).
    for acct_id, held in snap.balances.items():
        if acct_id not in accounts:
            _fail(f"balances.{acct_id}: no such account")
        for coin in held:
            coin_ok(coin, f"balances.{acct_id}")
    for coin in snap.net_external:
        coin_ok(coin, "net_external")
    for acct_id, opening in snap.opening_balances.items():
        if acct_id not in accounts:
            _fail(f"opening_balances.{acct_id}: no such account")
        for coin in opening:
            coin_ok(coin, f"opening_balances.{acct_id}")

    for symbol, price in snap.last_prices.items():
        symbol_ok(symbol, "last_prices")
        if price <= 0:
            _fail(f"last_prices.{symbol}: must be greater than 0")
    for symbol, rows in snap.tapes.items():
        symbol_ok(symbol, "tapes")
        if any(rows[k][0] > rows[k + 1][0] for k in range(len(rows) - 1)):
            _fail(f"tapes.{symbol}: trades out of time order")

    # Orders: unique ids behind the counter, known accounts and markets (what each open order locks,
    # and that the ledger's locks are theirs, is the engine's check).
    orders: dict[str, SnapOrder] = {}
    for i, o in enumerate(snap.orders):
        where = f"orders.{i}"
        if o.order_id in orders:
            _fail(f"{where}.order_id: {o.order_id} given twice")
        if int(o.order_id) > snap.ids.order:
            _fail(f"ids.order: behind the order id {o.order_id}")
        if o.seq > snap.seq:
            _fail(f"seq: behind the seq {o.seq} of order {o.order_id}")
        if o.account_id not in accounts:
            _fail(f"{where}.account_id: no account {o.account_id!r}")
        symbol_ok(o.symbol, f"{where}.symbol")
        m = markets[o.symbol]
        if (o.base, o.quote) != (m.base, m.quote):
            _fail(f"{where}: base/quote are not those of {o.symbol}")
        if o.fee_coin not in (o.base, o.quote):
            _fail(f"{where}.fee_coin: not a coin of {o.symbol}")
        if o.deal_volume > o.volume and not (o.type == 2 and o.side == 2):
            _fail(f"{where}.deal_volume: above the volume")
        if OrderStatus(o.status).is_open and o.price <= 0:
            _fail(f"{where}.price: an open limit order needs a price > 0")
        orders[o.order_id] = o

    # Fills: of known orders, one trade id once per order, behind the counter.
    for oid, fills in snap.fills.items():
        order = orders.get(oid)
        if order is None:
            _fail(f"fills.{oid}: no such order")
        trades: set[str] = set()
        for k, f in enumerate(fills):
            where = f"fills.{oid}.{k}"
            if f.order_id != oid or f.account_id != order.account_id or f.symbol != order.symbol:
                _fail(f"{where}: does not belong to order {oid}")
            if f.trade_id in trades:
                _fail(f"{where}.trade_id: {f.trade_id} given twice for one order")
            if int(f.trade_id) > snap.ids.trade:
                _fail(f"ids.trade: behind the trade id {f.trade_id}")
            coin_ok(f.fee_coin, f"{where}.fee_coin")
            trades.add(f.trade_id)

    # Wallet records: known accounts and coins, ids behind the counter.
    for i, r in enumerate(snap.wallet.records):
        where = f"wallet.records.{i}"
        if r.account_id not in accounts:
            _fail(f"{where}.account_id: no account {r.account_id!r}")
        coin_ok(r.coin, f"{where}.coin")
        if int(r.id) > WALLET_ID_BASE + snap.wallet.seq:
            _fail(f"wallet.seq: behind the record id {r.id}")

    if snap.futures is not None:
        _check_futures(snap, snap.futures, accounts)
    elif snap.futures_liquidity is not None:
        _fail("futures_liquidity: a futures market maker needs the futures state")

    seen: set[tuple[str, str]] = set()
    for i, (_, key, nonces) in enumerate(snap.nonces):
        for n in nonces:
            if (key, n) in seen:
                _fail(f"nonces.{i}: nonce {n[:40]!r} given twice for one key")
            seen.add((key, n))


def _check_futures(snap: Snapshot, fut: SnapFutures, accounts: dict[str, SnapAccount]) -> None:
    """The document's futures facts: known contracts and accounts, unique ids behind the shared counters
    (margins, positions against fills and the futures audit are the engine's check)."""
    contracts = {c.symbol for c in load_contracts()}

    def contract_ok(symbol: str, where: str) -> None:
        if symbol not in contracts:
            _fail(f"{where}: unknown futures contract {symbol!r}")

    def account_ok(account_id: str, where: str) -> None:
        # What is live (settings, open orders, positions, pending TP/SL) needs its account or its futures
        # wallet; history (finished orders, fills, closed positions, cash counters) outlives a deleted account.
        if account_id not in accounts and wallet_of(account_id) not in accounts:
            _fail(f"{where}: no account {account_id!r} and no futures wallet of it")

    markets: set[str] = set()
    for i, m in enumerate(fut.markets):
        contract_ok(m.symbol, f"futures.markets.{i}.symbol")
        if m.symbol in markets:
            _fail(f"futures.markets.{i}.symbol: {m.symbol!r} given twice")
        markets.add(m.symbol)
    for name, table in (("funding_history", fut.funding_history), ("tapes", fut.tapes), ("mark_tapes", fut.mark_tapes)):
        for symbol in table:
            contract_ok(symbol, f"futures.{name}")
    for symbol, tape in (*fut.tapes.items(), *fut.mark_tapes.items()):
        if any(tape[k][0] > tape[k + 1][0] for k in range(len(tape) - 1)):
            _fail(f"futures tapes.{symbol}: trades out of time order")
    ids: set[str] = set()
    for i, a in enumerate(fut.accounts):
        account_ok(a.account_id, f"futures.accounts.{i}.account_id")
        if a.account_id in ids:
            _fail(f"futures.accounts.{i}.account_id: {a.account_id!r} given twice")
        ids.add(a.account_id)
        for symbol in a.settings:
            contract_ok(symbol, f"futures.accounts.{i}.settings")
    orders: set[str] = set()
    for i, o in enumerate(fut.orders):
        where = f"futures.orders.{i}"
        if o.status in OPEN_STATUSES:
            account_ok(o.account_id, f"{where}.account_id")
        contract_ok(o.symbol, f"{where}.symbol")
        if o.order_id in orders:
            _fail(f"{where}.order_id: {o.order_id} given twice")
        if not o.order_id.isdigit() or int(o.order_id) > snap.ids.order:
            _fail(f"ids.order: behind the futures order id {o.order_id!r}")
        if o.seq > fut.seq:
            _fail(f"futures.seq: behind the seq {o.seq} of order {o.order_id}")
        orders.add(o.order_id)
    for i, x in enumerate(fut.fills):
        where = f"futures.fills.{i}"
        contract_ok(x.symbol, f"{where}.symbol")
        if x.order_id and x.order_id not in orders:
            _fail(f"{where}.order_id: no futures order {x.order_id}")
        if not x.trade_id.isdigit() or int(x.trade_id) > snap.ids.trade:
            _fail(f"ids.trade: behind the futures trade id {x.trade_id!r}")
    positions: set[str] = set()
    for name, rows in (("positions", fut.positions), ("closed", fut.closed)):
        for i, p in enumerate(rows):
            where = f"futures.{name}.{i}"
            if name == "positions":
                account_ok(p.account_id, f"{where}.account_id")
            contract_ok(p.symbol, f"{where}.symbol")
            if name == "positions" and p.position_id in positions:
                _fail(f"{where}.position_id: {p.position_id} given twice")
            if not p.position_id.isdigit() or int(p.position_id) > snap.ids.order:
                _fail(f"ids.order: behind the position id {p.position_id!r}")
            if name == "positions":
                positions.add(p.position_id)
    tpsl: set[str] = set()
    for i, t in enumerate(fut.tpsl):
        where = f"futures.tpsl.{i}"
        if t.status == "NEW":
            account_ok(t.account_id, f"{where}.account_id")
        contract_ok(t.symbol, f"{where}.symbol")
        if t.tpsl_id in tpsl:
            _fail(f"{where}.tpsl_id: {t.tpsl_id} given twice")
        if not t.tpsl_id.isdigit() or int(t.tpsl_id) > snap.ids.order:
            _fail(f"ids.order: behind the TP/SL id {t.tpsl_id!r}")
        tpsl.add(t.tpsl_id)
    if snap.futures_liquidity is not None:
        owner = accounts.get(FUTURES_LIQUIDITY_ACCOUNT)
        if owner is None or not owner.system:
            _fail(f"accounts: the system account {FUTURES_LIQUIDITY_ACCOUNT!r} is missing")


def _parts(config: Config, snap: Snapshot) -> Restored:
    cfg = replace(
        config,
        seed=snap.seed,
        profile=snap.profile,
        liquidity=False,
        demo_account=False,
        frozen_at_ms=snap.clock.now_ms if snap.clock.frozen else None,
        clock_offset_ms=snap.clock.offset_ms,
    )
    data = data_texts(cfg.data, cfg.markets_path)
    coins = {str(c["name"]).upper() for c in json.loads(data["coins.json"])["coins"]}
    _check(snap, load_markets(text=data["markets.json"]), coins)
    data = snap.model_dump()
    try:
        wallet = _build(WalletState, data["wallet"])
    except ValueError as exc:
        _fail(str(exc))
    liquidity = snap.liquidity
    return Restored(
        config=cfg,
        settings=replace(cfg, liquidity=liquidity is not None, demo_account=snap.demo_account is not None),
        engine=_build(ExchangeState, {f.name: data[f.name] for f in fields(ExchangeState)}),
        wallet=wallet,
        liquidity=None if liquidity is None else _build(LiquidityState, data["liquidity"]),
        liquidity_levels=0 if liquidity is None else liquidity.levels,
        liquidity_spacing_bps=0 if liquidity is None else liquidity.spacing_bps,
        futures=None if snap.futures is None else _build(FuturesState, data["futures"]),
        futures_liquidity=(
            None if snap.futures_liquidity is None else _build(FuturesLiquidityState, data["futures_liquidity"])
        ),
        demo_account=snap.demo_account,
        opening_balances={acct: dict(held) for acct, held in snap.opening_balances.items()},
        nonces=list(snap.nonces),
    )
