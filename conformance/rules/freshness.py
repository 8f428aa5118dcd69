"""Nonces and timestamps, judged from the server journal of the client's own signed requests."""

from __future__ import annotations

from ..context import Context
from .base import judge_nonces, judge_timestamps, rule, signed_entries, traffic


@rule(
    "nonce.unique",
    title="Nonces are never reused",
    statement="Every signed request carries a nonce never sent before (server journal); not 32 characters is a WARN.",
    ops=("balances", "order_detail", "pending_orders"),
    passes="every signed request has a nonce never sent before (server journal)",
    warns="a nonce is not 32 characters",
    fails="a nonce is reused or missing",
)
def check_nonce(ctx: Context) -> None:
    """Fails only on reuse (or no nonce); a nonce that is not 32 characters is a warning, as live tolerates it."""
    with ctx.client() as (adapter, acct):
        for op, args in [("balances", ())] * 20 + [("order_detail", ("1",)), ("pending_orders", ("BTCUSDT",))]:
            traffic(ctx, adapter, op, *args)  # judged from the journal, whatever the client made of the answer
        judge_nonces(
            ctx,
            signed_entries(ctx, acct["api_key"]),
            missing="request {id} ({op}) carries no nonce; every signed request needs a fresh one (e.g. uuid4().hex)",
            reused="nonce {nonce!r} sent twice (requests {first} and {id}); every request, retries included, needs "
            "a new one",
        )


@rule(
    "timestamp.fresh",
    title="Timestamps are current milliseconds",
    statement="The timestamp is a 13-digit ms epoch at most 60 s behind the server clock; more than 60 s ahead is a "
    "WARN.",
    ops=("balances",),
    passes="timestamps are 13-digit ms, at most 60 s behind the server clock",
    warns="more than 60 s ahead",
    fails="seconds or floats, or more than 60 s behind (live answers 100008)",
)
def check_timestamp_fresh(ctx: Context) -> None:
    """The live window: more than 60 s behind fails (100008); ahead is accepted, a warning past 60 s."""
    with ctx.client() as (adapter, acct):
        for _ in range(3):
            traffic(ctx, adapter, "balances")
        judge_timestamps(
            ctx,
            signed_entries(ctx, acct["api_key"]),
            not_ms="timestamp {ts!r} is not milliseconds since the epoch (13 digits); seconds or floats are refused "
            "(100008)",
            behind="timestamp {ts} is {behind} ms behind the server clock at arrival; the exchange refuses more "
            "than 60 s behind (100008): sign with the current time, synced from the reply's Date header",
        )
