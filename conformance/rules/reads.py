"""What the client reads and sends: exact decimal amounts, and empty lists answered as null or []."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ..adapter import ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped
from .base import SIGNED, call, crash_hint, rule, traffic


@rule(
    "decimal.exact",
    title="Amounts are exact decimals",
    statement="Balances read back exactly (18 significant digits) and amounts are sent exactly as given.",
    requires=SIGNED,
    ops=("balances", "place_order"),
    passes="balances read back exactly (18 significant digits); amounts go out exactly as given",
    fails="any rounding",
)
def check_decimal_exact(ctx: Context) -> None:
    odd = {"USDT": "12345.6789012345678", "BTC": "0.000000123456789", "ETH": "99999999.99999999"}
    with ctx.client(odd) as (adapter, acct):
        got = call(adapter, "balances")
        for coin, amount in odd.items():
            free = (got.get(coin) or {}).get("free")
            if free is None or Decimal(str(free)) != Decimal(amount):
                raise RuleFailed(f"balance of {coin} read as {free!r}; the exchange holds {amount} (parse as Decimal)")
        for symbol, volume, price in (("BTCUSDT", "0.00012345", "64000.01"), ("ETHUSDT", "1.2345", "3200.07")):
            traffic(ctx, adapter, "place_order", symbol, 2, 1, volume, price, None)
        placed = [e for e in ctx.target.journal(acct["api_key"]) if e["operation"] == "place_order"]
        if not placed:
            raise RuleFailed("place_order sent nothing to the exchange" + crash_hint(ctx))
        for e in placed:
            body = json.loads(e["body"], parse_float=Decimal)
            sent = (str(body.get("volume")), str(body.get("price")))
            if (Decimal(sent[0]), Decimal(sent[1])) not in {
                (Decimal("0.00012345"), Decimal("64000.01")),
                (Decimal("1.2345"), Decimal("3200.07")),
            }:
                raise RuleFailed(
                    f"place_order sent volume {sent[0]} and price {sent[1]}: amounts must go out exactly as given",
                    **ctx.evidence(e),
                )


def _read_empty(ctx: Context, adapter: Any, shown: str, op: str, *args: Any) -> Any:
    where = f"{op} on an empty list answered as data {shown} (switch empty_lists={shown})"
    try:
        return call(adapter, op, *args)
    except ClientCrashed as crash:
        raise RuleFailed(
            f"{where}: the client crashed ({crash}); read data null as an empty list - the exchange answers null "
            "for empty lists, as it does for an empty account",
            traceback=crash.excerpt,
        ) from None
    except ClientError as err:
        raise RuleFailed(
            f"{where}: the client raised {err.code} ({err.msg}); it is an empty list, not an error"
        ) from None


@rule(
    "lists.null-or-empty",
    title="Empty lists read as empty, null or []",
    statement="An empty open-order list and history page read as empty whether the exchange answers data null or [].",
    requires=SIGNED,
    ops=("pending_orders", "order_history"),
    passes="an empty open-order list and history page read as empty whether the exchange answers `data: null` or "
    "`[]` (switch `empty_lists`)",
    fails="a crash, an error or a non-empty read",
)
def check_empty_lists(ctx: Context) -> None:
    """An empty open-order list and an empty history page, answered as null and as [], both read as empty."""
    with ctx.client() as (adapter, _):
        for shown in ("null", "[]"):
            try:
                ctx.target.call("POST", "/switches", {"empty_lists": shown})
            except RuntimeError as exc:
                raise RuleSkipped(f"this mock cannot switch empty_lists: {exc}") from None
            pending = _read_empty(ctx, adapter, shown, "pending_orders", "BTCUSDT")
            if pending != []:
                raise RuleFailed(
                    f"pending_orders on an empty list answered as data {shown} read {pending!r}, not an empty list"
                )
            page = _read_empty(ctx, adapter, shown, "order_history", "BTCUSDT", 1, 10)
            orders = page.get("orders") if isinstance(page, dict) else None
            if orders != [] or str(page.get("total")) != "0":
                raise RuleFailed(
                    f"order_history on an empty page (inner data {shown}) read {page!r}, not "
                    "{'total': 0, 'orders': []}"
                )
