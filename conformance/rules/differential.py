"""The client beside the reference client: same operations, same effect, same values read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..adapter import AdapterFactory, ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed
from .base import SIGNED, call, crash_hint, rule

SCENARIO: list[tuple[str, tuple[Any, ...]]] = [
    ("last_price", ("BTCUSDT",)),
    ("balances", ()),
    ("place_order", ("BTCUSDT", 2, 1, "0.001", "63000", "diff-1")),
    ("place_order", ("BTCUSDT", 1, 1, "0.002", "65000", None)),
    ("pending_orders", ("BTCUSDT",)),
    ("order_history", ("BTCUSDT", 1, 10)),
    ("place_order", ("BTCUSDT", 1, 2, "0.001", None, None)),
    ("place_orders", ([{"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.003", "price": "62000"}],)),
    ("depth", ("BTCUSDT",)),
]


#: JSON keys the exchange accepts absent or present with any value: not what a differential compares.
OPTIONAL = {"clientId"}


class _Crashed:
    """A scenario step in which the client crashed (compares unequal to any result)."""

    def __init__(self, crash: ClientCrashed) -> None:
        self.crash = crash

    def __repr__(self) -> str:
        return f"<crashed: {self.crash}>"


def _params(v: Any, key: str = "") -> Any:
    """What the exchange acts on: amounts as Decimals (number or text), symbols in upper case, no null
    fields, no optional clientId, a market order's price "0" the same as none; key order and spacing
    are gone with the parse."""
    if isinstance(v, dict):
        out = {k: _params(x, k) for k, x in v.items() if x is not None and k not in OPTIONAL}
        if out.get("type") == Decimal(2) and out.get("price") in (Decimal(0), ""):
            del out["price"]
        return out
    if isinstance(v, list):
        return [_params(x) for x in v]
    if key == "symbol" and isinstance(v, str):
        return v.upper()
    return _dec(v)


def _semantic(entry: dict[str, Any]) -> tuple[str, Any]:
    from urllib.parse import parse_qsl

    params: dict[str, Any] = dict(parse_qsl(entry["query"], keep_blank_values=True))
    if entry["body"].strip():
        try:
            body = json.loads(entry["body"], parse_float=Decimal)
        except ValueError:
            body = entry["body"]
        params = {**params, **body} if isinstance(body, dict) else {"(body)": body, **params}
    return entry["operation"], _params(params)


def _dec(v: Any) -> Any:
    """Numbers and numeric strings compare as Decimals: "0.001" and 0.001 are the same amount on the wire."""
    if isinstance(v, dict):
        return {k: _dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return Decimal(v)
    if isinstance(v, str):
        try:
            return Decimal(v)
        except ArithmeticError:
            return v
    return v


def _effect(ctx: Context, api_key: str) -> dict[str, Any]:
    """The exchange's state for the account: orders (without ids, times, clientIds) and balances."""
    orders = sorted(
        (
            str(o.get("symbol", "")).upper(),
            int(o["side"]),
            int(o["type"]),
            int(o["status"]),
            Decimal(str(o.get("price") or 0)),
            Decimal(str(o.get("volume") or 0)),
            Decimal(str(o.get("deal_volume") or 0)),
        )
        for o in ctx.target.call("GET", f"/accounts/{api_key}/orders")
    )
    balances = {
        coin: (Decimal(b["free"]), Decimal(b["locked"]))
        for coin, b in ctx.target.call("GET", f"/accounts/{api_key}")["balances"].items()
    }
    return {"orders": orders, "balances": balances}


@dataclass
class _Run:
    requests: list[tuple[str, Any]]
    results: list[Any]
    effect: dict[str, Any]


def _run_scenario(ctx: Context, factory: AdapterFactory) -> _Run:
    ctx.target.reset()
    ctx.target.call("POST", "/markets/BTCUSDT/book", {"bids": [["63500", "0.5"]], "asks": [["64500", "0.5"]]})
    results: list[Any] = []
    with ctx.client(factory=factory) as (adapter, acct):
        for op, args in SCENARIO:
            try:
                out = call(adapter, op, *args)
            except ClientError as err:
                out = {"error": err.code}
            except ClientCrashed as crash:
                if factory is ctx.factory:
                    ctx.crashed(crash, op)
                out = _Crashed(crash)
            results.append(out)
        requests = [
            _semantic(e)
            for e in ctx.target.journal(acct["api_key"])
            if e["path"].startswith("/api/") and e["code"] != "100008"  # a re-synced call counts once
        ]
        effect = _effect(ctx, acct["api_key"])
    return _Run(requests, results, effect)


def _same(want: Any, got: Any) -> bool:
    """Read-back values equal up to ids and times (they differ between runs by design), numbers as Decimals,
    and a client_id the client chose itself where the reference read none."""
    if isinstance(want, dict) and isinstance(got, dict):
        keys = (set(want) | set(got)) - {"order_id", "ctime", "utime"}
        for k in keys:
            if k == "client_id" and want.get(k) is None:
                continue
            if not _same(want.get(k), got.get(k)):
                return False
        return True
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_same(a, b) for a, b in zip(want, got, strict=True))
    if isinstance(want, _Crashed) or isinstance(got, _Crashed):
        return False
    return bool(_dec(want) == _dec(got))


@rule(
    "differential.reference",
    title="Same operations, effect and results as the reference client",
    statement="On one scenario: the same operations and parameters (variants the exchange accepts both ways aside), "
    "the same orders and balances, the same values read back.",
    requires=SIGNED,
    ops=tuple(dict.fromkeys(op for op, _ in SCENARIO)),
    passes="on one scenario: the same operations and parameters, the same resulting orders and balances, the same "
    "values read back as the reference client; variants the exchange accepts both ways don't count (key order and "
    'spacing, numbers vs strings, symbol case, market `price` `"0"` or omitted, a `clientId` or none, nonce length)',
    fails="a real difference or a crash",
)
def check_differential(ctx: Context) -> None:
    """Same operations, same effect on the exchange, same values read back as the reference client.

    Variants the exchange accepts both ways are not differences: key order and spacing of the
    body, numbers or numeric strings, symbol case, a market order's price "0" or none, a clientId
    or none, the nonce's length (headers are not compared)."""
    ref = _run_scenario(ctx, ctx.reference)
    got = _run_scenario(ctx, ctx.factory)
    hint = crash_hint(ctx)
    ref_ops, got_ops = [op for op, _ in ref.requests], [op for op, _ in got.requests]
    if ref_ops != got_ops:
        raise RuleFailed(
            f"the scenario made other calls than the reference client's{hint}:\n  reference: {', '.join(ref_ops)}\n"
            f"  yours:     {', '.join(got_ops)}"
        )
    for i, ((op, want), (_, mine)) in enumerate(zip(ref.requests, got.requests, strict=True)):
        if want != mine:
            raise RuleFailed(
                f"request {i + 1} ({op}) asks the exchange for something else than the reference client's:\n"
                f"  reference: {want}\n  yours:     {mine}"
            )
    for part in ("orders", "balances"):
        if ref.effect[part] != got.effect[part]:
            raise RuleFailed(
                f"after the scenario the exchange holds other {part} for your client than for the reference "
                f"client's:\n  reference: {ref.effect[part]}\n  yours:     {got.effect[part]}"
            )
    for (op, _), want, mine in zip(SCENARIO, ref.results, got.results, strict=True):
        if isinstance(mine, _Crashed):
            ctx.crashes = [c for c in ctx.crashes if c["error"] != str(mine.crash)]  # it is the message now
            raise RuleFailed(
                f"{op}: the reference client read {want!r}; yours crashed: {mine.crash}", traceback=mine.crash.excerpt
            )
        if not _same(want, mine):
            raise RuleFailed(f"{op}: reference read {want!r}, yours {mine!r}")
