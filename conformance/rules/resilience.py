"""The client when the exchange misbehaves: a skewed clock, documented error codes, faults on a write."""

from __future__ import annotations

from decimal import Decimal

from mockserver.errors import ERROR_TABLE

from ..adapter import ClientCrashed, ClientError
from ..context import FUNDS, Context
from ..outcomes import RuleFailed
from .base import SIGNED, call, rule, traffic

SKEW_RECIPE = (
    "with the server clock 120 s ahead the client raised 100008 (request expired) instead of recovering. "
    "Live clients recover: on 100008 read the server time from the reply's Date header, set "
    "offset = Date + 500 ms - the midpoint of the call's local send and receive times, sign with local time + "
    "offset and a fresh nonce, and repeat the call once (a call refused with 100008 was never applied, so this is "
    "safe for writes too; client_ref does it by default: resync_on_expired=True)"
)


@rule(
    "timestamp.skew",
    title="Clock skew is recovered from",
    statement="With the server clock moved 120 s ahead, the client's next signed call succeeds (re-synced from Date).",
    requires=("nonce.unique", "timestamp.fresh"),
    ops=("balances",),
    passes="with the server clock moved 120 s ahead, the next signed call succeeds (re-synced from the `Date` "
    "header of the 100008 reply, as live clients do)",
    fails="the client raises 100008 or returns a silent result",
)
def check_timestamp_skew(ctx: Context) -> None:
    """Server clock moved 120 s ahead mid-session: the client's next signed call must still succeed."""
    with ctx.client() as (adapter, acct):
        traffic(ctx, adapter, "balances")  # a client in use, in sync, before the clock moves
        before = max((e["id"] for e in ctx.target.journal(acct["api_key"])), default=0)
        ctx.target.call("POST", "/clock", {"offset_ms": 120_000})
        try:
            try:
                result = call(adapter, "balances")
            except ClientError as err:
                refused = [e for e in ctx.rejected(acct["api_key"], {"100008"}) if e["id"] > before]
                evidence = ctx.evidence(refused[-1]) if refused else {}
                if err.code == "100008":
                    raise RuleFailed(SKEW_RECIPE, **evidence) from None
                raise RuleFailed(
                    f"with the server clock 120 s ahead the client reported {err.code} ({err.msg}); the exchange "
                    "answered 100008, and the client must re-sync from that reply's Date header and repeat the call",
                    **evidence,
                ) from None
            after = [e for e in ctx.target.journal(acct["api_key"]) if e["id"] > before]
            if not any(e["verdict"] == "accepted" for e in after):
                raise RuleFailed(
                    f"the exchange refused every request (100008) but the client returned {result!r} as if it had "
                    "succeeded: re-sync from the reply's Date header and repeat the call"
                )
            free = (result.get("USDT") or {}).get("free") if isinstance(result, dict) else None
            if free is None or Decimal(str(free)) != Decimal(FUNDS["USDT"]):
                raise RuleFailed(
                    f"after re-syncing the client read USDT free {free!r}; the exchange holds {FUNDS['USDT']}"
                )
        finally:
            ctx.target.call("POST", "/clock", {"offset_ms": 0})


# ---------------------------------------------------------------- errors


@rule(
    "errors.surfaced",
    title="Every documented error reaches the caller",
    statement="Each documented error code (and repeated HTTP 502) is raised to the caller with its code.",
    requires=SIGNED,
    ops=("balances", "place_order"),
    passes="every documented error code, and repeated HTTP 502, reaches the caller with its code",
    fails="an error is swallowed or misreported",
)
def check_errors_surfaced(ctx: Context) -> None:
    codes = [c for c, info in ERROR_TABLE.items() if info.http_status == 200]
    with ctx.client() as (adapter, acct):
        for code in codes:
            for op, args in (("balances", ()), ("place_order", ("BTCUSDT", 2, 1, "0.001", "60000", None))):
                path = "/api/spot/v1/user/account" if op == "balances" else "/api/spot/v1/order/place_order"
                # No "times": a client may retry 500/110041 reads, and every attempt must fail the same way
                # (Retry-After 0, so a client that honours it does not sleep through the rule).
                fault = {"action": "error", "code": code, "path": path, "retry_after": 0}
                ctx.target.call("POST", "/faults", fault)
                try:
                    result = call(adapter, op, *args)
                except ClientError as err:
                    if err.code != code:
                        raise RuleFailed(
                            f"{op}: the exchange answered {code} but the client reported {err.code!r}"
                        ) from None
                    continue
                finally:
                    ctx.target.call("DELETE", "/faults")
                raise RuleFailed(
                    f"{op}: the exchange answered error {code} ({ERROR_TABLE[code].msg}) and the client returned "
                    f"{result!r} instead of raising it"
                )
        bad_gateway = {"action": "status", "status": 502, "body": "bad gateway", "times": 3, "retry_after": 0}
        ctx.target.call("POST", "/faults", bad_gateway)
        try:
            result = call(adapter, "balances")
        except ClientError:
            return
        finally:
            ctx.target.call("DELETE", "/faults")
        attempts = [e for e in ctx.target.journal(acct["api_key"]) if e.get("faults")]
        if len(attempts) >= 3:
            raise RuleFailed(f"three HTTP 502 answers in a row and the client returned {result!r}")


# ---------------------------------------------------------------- retries


@rule(
    "retry.no-double-place",
    title="Retries never place an order twice",
    statement="Under a dropped answer, 503 or 429 on place_order, at most one order is created per call.",
    requires=SIGNED,
    ops=("place_order",),
    passes="under a dropped answer, 503 or 429, one `place_order` creates at most one order",
    fails="two orders, or a crash instead of an error",
)
def check_no_double_place(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for fault in (
            {"action": "drop", "times": 1},
            {"action": "status", "status": 503, "times": 1},
            {"action": "status", "status": 429, "retry_after": 0, "times": 1},
        ):
            ctx.target.call("POST", "/faults", dict(fault, path="/api/spot/v1/order/place_order"))
            before = len(ctx.target.call("GET", f"/accounts/{acct['api_key']}/orders"))
            crashed: ClientCrashed | None = None
            try:
                call(adapter, "place_order", "BTCUSDT", 2, 1, "0.001", "60000", None)
            except ClientError:
                pass
            except ClientCrashed as crash:  # judge the orders first: a double placement is the worse bug
                crashed = crash
            finally:
                ctx.target.call("DELETE", "/faults")
            placed = len(ctx.target.call("GET", f"/accounts/{acct['api_key']}/orders")) - before
            if placed > 1:
                raise RuleFailed(
                    f"one place_order under a {fault['action']} fault created {placed} orders: a write must not be "
                    "retried blindly (look it up by clientId first)",
                    traceback=crashed.excerpt if crashed else "",
                )
            if crashed is not None:
                raise RuleFailed(
                    f"place_order under a {fault['action']} fault crashed ({crashed}) instead of raising an error "
                    "(a transport error or the exchange's code)",
                    traceback=crashed.excerpt,
                )
