"""What the futures rules share: expectations from the futures endpoint table, liquidity, switches, truth reads.

The kit's expectations come from the mock's own declarations where they can: the paths, methods and
parameters of :data:`mockserver.api.futures_endpoints.FUTURES_ENDPOINTS`, the auth codes of the
``FUTURES`` product, the messages of the futures error table. The truth a rule compares the client's
reads with is the reference futures client's read of the same account (every target mode serves it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from mockserver.api.futures_endpoints import FUTURES_ENDPOINTS
from mockserver.api.products import FUTURES
from mockserver.futures_errors import FUTURES_ERROR_TABLE

from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped

__all__ = [
    "AUTH_REFUSALS",
    "FSIGNED",
    "PAGED",
    "SYMBOL",
    "book",
    "by_operation",
    "canonical_query",
    "endpoint",
    "futures_entries",
    "message",
    "switched",
    "truth",
]

#: what every futures rule that needs a working signed futures call requires
FSIGNED = ("futures.nonce.unique", "futures.timestamp.fresh", "futures.signing.query", "futures.signing.body")
#: the codes a futures request is refused with by the auth (the product's own list, spec §2.2)
AUTH_REFUSALS = frozenset(FUTURES.auth_errors)
SYMBOL = "BTCUSDT"

_BY_OPERATION = {ep.operation: ep for ep in FUTURES_ENDPOINTS}
_BY_PATH = {ep.path: ep for ep in FUTURES_ENDPOINTS}
#: the futures lists a client pages through with skip/limit (rows with both parameters)
PAGED = tuple(ep.operation for ep in FUTURES_ENDPOINTS if {"skip", "limit"} <= {p.name for p in ep.params} and ep.auth)


def endpoint(operation: str) -> Any:
    """The futures endpoint row of ``operation`` (``futures.trade_place_order``)."""
    return _BY_OPERATION[operation]


def by_operation(path: str) -> str:
    ep = _BY_PATH.get(path)
    return "" if ep is None else str(ep.operation)


def message(code: str) -> str:
    """The futures error table's text for ``code``."""
    return FUTURES_ERROR_TABLE[code].msg


def canonical_query(query: str) -> str:
    """What the exchange signs of a query string: keys sorted by code point, key+value, no separators."""
    return "".join(k + v for k, v in sorted(parse_qsl(query, keep_blank_values=True)))


def futures_entries(ctx: Context, api_key: str) -> list[dict[str, Any]]:
    """The client's signed futures requests as the exchange saw them, oldest first."""
    entries = [e for e in ctx.target.journal(api_key) if e.get("product") == "futures" and e["headers"].get("api-key")]
    if not entries:
        from .base import crash_hint

        raise RuleFailed("no signed futures request from the client reached the exchange" + crash_hint(ctx))
    return entries


@contextmanager
def switched(ctx: Context, **values: str) -> Iterator[None]:
    """Fidelity switches set for the block, restored after (a mock that lacks them skips the rule)."""
    try:
        before = ctx.target.call("GET", "/switches")
        ctx.target.call("POST", "/switches", values)
    except RuntimeError as exc:
        raise RuleSkipped(f"this mock cannot set {', '.join(values)}: {exc}") from None
    try:
        yield
    finally:
        ctx.target.call("POST", "/switches", {k: before[k] for k in values})


@contextmanager
def truth(ctx: Context, acct: dict[str, Any]) -> Iterator[Any]:
    """The reference client on ``acct``: what the exchange holds for it, read by a known-correct client."""
    ref = ctx.reference(ctx.target.base_url, acct["api_key"], acct["secret"], ctx.target.transport)
    try:
        yield ref
    finally:
        ref.close()


def book(ctx: Context, qty: str = "5") -> Decimal:
    """Resting liquidity on both sides of BTCUSDT from two house accounts; returns the last price.

    Asks at the last price, bids 1 % under it (within the contract's price band), so a market order
    of the client fills at once whichever side it takes."""
    from client_ref.futures import FuturesClient, OrderType, Side

    makers = [ctx.target.account({}) for _ in range(2)]
    clients = [
        FuturesClient(ctx.target.base_url, m["api_key"], m["secret"], transport=ctx.target.transport) for m in makers
    ]
    try:
        last = clients[0].tickers([SYMBOL])[0].last_price
        assert last is not None
        bid = (last * Decimal("0.99")).quantize(Decimal("0.1"))
        clients[0].place_order(SYMBOL, Side.SELL, OrderType.LIMIT, qty, format(last, "f"))
        clients[1].place_order(SYMBOL, Side.BUY, OrderType.LIMIT, qty, format(bid, "f"))
        return Decimal(last)
    finally:
        for c in clients:
            c.close()
