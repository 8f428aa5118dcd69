"""The futures client beside the reference futures client: same operations, same effect, same values read back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..adapter import AdapterFactory, ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed
from .base import call, crash_hint, rule
from .differential import _Crashed, _dec, _semantic
from .futures_base import SYMBOL, book, truth
from .futures_trading import FREAD

#: one-way mode throughout (the default): the scenario judges the common path, the life-cycle rules the modes
SCENARIO: list[tuple[str, tuple[Any, ...]]] = [
    ("futures_account", ("USDT",)),
    ("futures_leverage_margin_mode", (SYMBOL,)),
    ("futures_change_leverage", (SYMBOL, 12)),
    ("futures_place_order", (SYMBOL, "BUY", "LIMIT", "0.002", "60000", None, None, None, "fdiff-1")),
    ("futures_place_order", (SYMBOL, "BUY", "MARKET", "0.01", None, None, None, None, None)),
    ("futures_pending_orders", (SYMBOL, 0, 10)),
    ("futures_pending_positions", (SYMBOL,)),
    ("futures_place_order", (SYMBOL, "SELL", "MARKET", "0.004", None, None, None, True, None)),
    ("futures_history_trades", (SYMBOL, 0, 10)),
    ("futures_history_orders", (SYMBOL, 0, 10)),
]

#: ids and times differ between two runs by design; a clientId the client chose itself is its own business
VOLATILE = {"order_id", "position_id", "trade_id", "ctime", "mtime"}


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, dict) and isinstance(got, dict):
        for k in (set(want) | set(got)) - VOLATILE:
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


def _params(v: Any) -> Any:
    """What the exchange acts on, without the variants it accepts both ways (clientId present or not)."""
    if isinstance(v, dict):
        return {k: _params(x) for k, x in v.items() if k != "clientId" and x is not None}
    if isinstance(v, list):
        return [_params(x) for x in v]
    return v


@dataclass
class _Run:
    requests: list[tuple[str, Any]]
    results: list[Any]
    effect: dict[str, Any]


def _run(ctx: Context, factory: AdapterFactory) -> _Run:
    ctx.target.reset()
    book(ctx)
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
            (op, _params(p))
            for op, p in (_semantic(e) for e in ctx.target.journal(acct["api_key"]) if e.get("product") == "futures")
        ]
        with truth(ctx, acct) as ref:
            account = ref.futures_account("USDT")
            effect = {
                "account": {k: Decimal(account[k]) for k in ("available", "frozen", "margin")},
                "positions": sorted((p["side"], Decimal(p["qty"])) for p in ref.futures_pending_positions(SYMBOL)),
                "orders": sorted(
                    (o["side"], o["order_type"], Decimal(o["qty"]), Decimal(o["price"] or 0))
                    for o in ref.futures_pending_orders(SYMBOL, 0, 100)["orders"]
                ),
            }
    return _Run(requests, results, effect)


@rule(
    "futures.differential.reference",
    title="Same futures operations, effect and results as the reference client",
    statement="On one one-way futures scenario: the same operations and parameters, the same account, positions and "
    "orders on the exchange, the same values read back as the reference futures client.",
    requires=FREAD,
    ops=tuple(dict.fromkeys(op for op, _ in SCENARIO)),
    passes="the same requests (variants the exchange accepts both ways aside: key order, spacing, numbers vs "
    "strings, a clientId or none), the same effect and the same reads as the reference futures client",
    fails="a real difference or a crash",
)
def check_futures_differential(ctx: Context) -> None:
    ref = _run(ctx, ctx.reference)
    got = _run(ctx, ctx.factory)
    ref_ops, got_ops = [op for op, _ in ref.requests], [op for op, _ in got.requests]
    if ref_ops != got_ops:
        raise RuleFailed(
            f"the futures scenario made other calls than the reference client's{crash_hint(ctx)}:\n"
            f"  reference: {', '.join(ref_ops)}\n  yours:     {', '.join(got_ops)}"
        )
    for i, ((op, want), (_, mine)) in enumerate(zip(ref.requests, got.requests, strict=True)):
        if want != mine:
            raise RuleFailed(
                f"futures request {i + 1} ({op}) asks the exchange for something else than the reference client's:\n"
                f"  reference: {want}\n  yours:     {mine}"
            )
    for part in ("account", "positions", "orders"):
        if ref.effect[part] != got.effect[part]:
            raise RuleFailed(
                f"after the futures scenario the exchange holds another {part} for your client than for the reference "
                f"client's:\n  reference: {ref.effect[part]}\n  yours:     {got.effect[part]}"
            )
    for (op, _), want, mine in zip(SCENARIO, ref.results, got.results, strict=True):
        if isinstance(mine, _Crashed):
            ctx.crashes = [c for c in ctx.crashes if c["error"] != str(mine.crash)]
            raise RuleFailed(
                f"{op}: the reference client read {want!r}; yours crashed: {mine.crash}", traceback=mine.crash.excerpt
            )
        if not _same(want, mine):
            raise RuleFailed(f"{op}: reference read {want!r}, yours {mine!r}")
