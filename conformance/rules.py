"""The rules a Bitunix spot client is judged by: each one is declared by ``@rule(...)`` on its check.

The declaration (id, title, statement, prerequisites, operations called, the README's pass/warn/fail
texts) registers the check in :data:`RULES` (:class:`conformance.registry.Registry`); rules run in
declaration order, so a rule may only require rules declared above it.

A check raises :class:`RuleFailed` with an actionable message (plus the shrunk
example, the server's verdict and a curl repro when there is one). Rules that
need a working signed call list ``requires``; when a requirement failed they are
reported ``blocked`` rather than failed, so one bug shows up as one red rule.

A rule that passes may still **warn**: the mock journals every documented rule a
request broke that the live exchange tolerates (``warnings`` of a journal entry,
ids from ``mockserver.docrules``). The kit collects them from the journal of the
client's own requests, so any client in any language gets them, and reports the
rule WARN - never a failure.

Operations a rule only uses as traffic (to have requests to judge) go through
:func:`_traffic`: an exchange error or a client crash there is noted, not raised,
so a crash in one operation neither hides the property the rule judges nor blocks
the rules that depend on it. The crash is reported with its operation and traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    run_state_machine_as_test,
)
from hypothesis.stateful import rule as step

from mockserver.errors import ERROR_TABLE

from .adapter import AdapterFactory, ClientCrashed, ClientError, traceback_excerpt
from .context import FUNDS, Context
from .outcomes import RuleFailed, RuleSkipped
from .registry import Registry, Rule

__all__ = ["RULES", "Context", "Rule", "RuleFailed", "RuleSkipped", "rule"]

SIGNED_REJECTIONS = {"100004", "100005", "100008", "900001", "900002"}
VECTORS = Path(__file__).resolve().parent / "data" / "signature_vectors.json"  # package data (conformance.data)


#: Every rule, in declaration (= run) order: declare one with ``@rule(...)`` on its check.
RULES = Registry()
rule = RULES.rule
#: what every rule that needs a working signed call requires
SIGNED = ("nonce.unique", "timestamp.fresh", "signing.generated")


def _call(adapter: Any, op: str, *args: Any) -> Any:
    """Run an operation; a non-ClientError exception is a crash, reported with its operation and traceback."""
    try:
        return getattr(adapter, op)(*args)
    except (ClientError, RuleSkipped):  # a driver without an optional operation skips the rule
        raise
    except ClientCrashed as crash:
        crash.operation = crash.operation or op
        raise
    except Exception as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            exc = exc.with_traceback(exc.__traceback__.tb_next)  # from the client's frame on, not the kit's
        raise ClientCrashed(
            f"{op} raised {type(exc).__name__}: {exc}", operation=op, excerpt=traceback_excerpt(exc)
        ) from exc


def _traffic(ctx: Context, adapter: Any, op: str, *args: Any) -> Any:
    """An operation the rule only needs as traffic: errors and crashes are noted, never raised."""
    try:
        return _call(adapter, op, *args)
    except ClientError:
        return None
    except ClientCrashed as crash:
        ctx.crashed(crash, op)
        return None


def _crash_hint(ctx: Context) -> str:
    if not ctx.crashes:
        return ""
    c = ctx.crashes[0]
    return f" (the client crashed in {c['operation']}: {c['error']})"


#: The kit's hypothesis phases: all but ``explain``. Once a test fails, explain runs every later example
#: under a line tracer and then re-runs the shrunk example with each part varied, to comment which parts
#: did not matter: hundreds of extra client calls (24 of 26 s for a signer that breaks on non-ASCII).
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)


def _settings(ctx: Context, **kw: Any) -> settings:
    """Settings for a property rule: no deadline (the client's latency is not judged), no example
    database (each run judges afresh), no health checks (a slow client is still judged), no explain;
    with ``ctx.derandomize``, the same examples on every run."""
    return settings(
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=PHASES,
        print_blob=False,
        derandomize=ctx.derandomize,
        **kw,
    )


def _hypothesis(ctx: Context, test: Callable[[], None]) -> None:
    """Run a hypothesis test; on failure keep the shrunk example in the RuleFailed."""
    try:
        test()
    except RuleFailed as failure:
        notes = "\n".join(getattr(failure, "__notes__", []))
        failure.example = failure.example or notes
        raise
    except ClientCrashed as crash:
        notes = "\n".join(getattr(crash, "__notes__", []))
        raise RuleFailed(f"the client crashed: {crash}", example=notes, traceback=crash.excerpt) from None


# ---------------------------------------------------------------- signing


@rule(
    "signing.vectors",
    title="Signer matches the known-answer vectors",
    statement="Given the vectors' inputs, the client's signer produces every vector's sign (offline, optional op).",
    ops=("sign",),
    passes="the signer reproduces every known-answer vector (optional `sign` op; skipped without it)",
    warns=None,
    fails="a vector differs",
)
def check_signing_vectors(ctx: Context) -> None:
    with ctx.client({}) as (adapter, _):
        signer = getattr(adapter, "sign", None)
        if signer is None:
            raise RuleSkipped("the adapter has no sign(...) operation; add one to have the signer checked offline")
        for v in json.loads(VECTORS.read_text("utf-8"))["vectors"]:
            i = v["inputs"]
            got = signer(
                i["nonce"], i["timestamp"], i["api_key"], i["secret"], [list(p) for p in i["query_params"]], i["body"]
            )
            if got != v["sign"]:
                raise RuleFailed(
                    f"vector {v['name']!r}: sign {got!r}, expected {v['sign']!r}. The exchange hashes exactly "
                    f"{v['digest_input']!r} (canonical query {v['canonical_query']!r}: keys sorted by code point, "
                    "key+value, no separators, values not URL-encoded), then sha256_hex(digest + secret).",
                    example=json.dumps(i, ensure_ascii=False),
                )


def _signed(ctx: Context, api_key: str) -> list[dict[str, Any]]:
    """The client's signed requests as the exchange saw them, oldest first."""
    entries = [e for e in ctx.target.journal(api_key) if e["headers"].get("api-key")]
    if not entries:
        raise RuleFailed("no signed request from the client reached the exchange" + _crash_hint(ctx))
    return entries


def _flagged(entry: dict[str, Any], rule: str) -> bool:
    return any(w.get("rule") == rule for w in entry.get("warnings") or ())


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
            _traffic(ctx, adapter, op, *args)  # judged from the journal, whatever the client made of the answer
        seen: dict[str, int] = {}
        for e in _signed(ctx, acct["api_key"]):
            nonce = e["headers"].get("nonce", "")
            if not nonce:
                raise RuleFailed(
                    f"request {e['id']} ({e['operation']}) carries no nonce; every signed request needs a fresh one "
                    "(e.g. uuid4().hex)",
                    **ctx.evidence(e),
                )
            if nonce in seen:
                raise RuleFailed(
                    f"nonce {nonce!r} sent twice (requests {seen[nonce]} and {e['id']}); every request, retries "
                    "included, needs a new one",
                    **ctx.evidence(e),
                )
            seen[nonce] = e["id"]
            if len(nonce) != 32 and not _flagged(e, "nonce-length"):
                ctx.warn("nonce-length", f"nonce is {len(nonce)} characters; the docs ask 32", e)


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
            _traffic(ctx, adapter, "balances")
        for e in _signed(ctx, acct["api_key"]):
            ts = e["headers"].get("timestamp", "")
            if not ts.isdigit() or len(ts) != 13:
                raise RuleFailed(
                    f"timestamp {ts!r} is not milliseconds since the epoch (13 digits); seconds or floats are refused "
                    "(100008)",
                    **ctx.evidence(e),
                )
            ahead = int(ts) - e["time_ms"]
            if ahead < -60_000:
                raise RuleFailed(
                    f"timestamp {ts} is {-ahead} ms behind the server clock at arrival; the exchange refuses more "
                    "than 60 s behind (100008): sign with the current time, synced from the reply's Date header",
                    **ctx.evidence(e),
                )
            if ahead > 60_000 and not _flagged(e, "timestamp-ahead"):
                ctx.warn("timestamp-ahead", f"timestamp {ahead} ms ahead of server time; the docs allow 60000", e)


@rule(
    "signing.generated",
    title="Signatures hold over generated parameters",
    statement="Signed requests over generated unicode ids, symbols and decimals are never refused by auth.",
    requires=("nonce.unique", "timestamp.fresh"),
    ops=("order_detail", "pending_orders", "place_order", "order_deals"),
    passes="no signed request over generated unicode ids, symbols and decimals is refused by auth",
    fails="a refusal by auth",
)
def check_signing_generated(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        seen = [0]  # the newest journal entry id already judged
        texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)

        @_settings(ctx, max_examples=ctx.examples)
        @given(
            client_id=texts,
            order_id=texts,
            symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "btcusdt", "NOPEUSDT", "ÉTHUSDT"]),
            volume=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5), places=4),
        )
        def signed_requests_pass(client_id: str, order_id: str, symbol: str, volume: Decimal) -> None:
            for op, args in (
                ("order_detail", (order_id,)),
                ("pending_orders", (symbol,)),
                ("place_order", ("BTCUSDT", 2, 1, format(volume, "f"), "13000", client_id)),
                ("order_deals", (order_id, symbol)),
            ):
                _traffic(ctx, adapter, op, *args)  # judged by what auth said, not by what the client read
            new = ctx.target.journal_since(acct["api_key"], seen[0])  # this example's requests only
            seen[0] = max((e["id"] for e in new), default=seen[0])
            for e in new:
                if e["code"] in SIGNED_REJECTIONS:
                    raise RuleFailed(
                        f"{e['operation']} was refused by the exchange's auth ({e['code']} {e['verdict']})",
                        **ctx.evidence(e),
                    )

        _hypothesis(ctx, signed_requests_pass)


#: Query keys whose code-point order ("B" < "_z" < "a" < "a1" < "b") differs from every case-insensitive or
#: locale order, sent in neither order; orderId makes it an order_detail the exchange answers.
QUERY_SORT_PARAMS = [["orderId", "1"], ["b", "2"], ["a1", "x"], ["B", "1"], ["_z", "0"], ["a", "y"]]
QUERY_SORT_PATH = "/api/spot/v1/order/detail"
CODE_POINT = (
    "the exchange signs query keys sorted by code point (upper case before '_' before lower case: "
    "B1_z0aya1xb2orderId1 here), not ignoring case, by locale or in the order sent"
)


@rule(
    "signing.query-sort",
    title="Query keys are signed sorted by code point",
    statement="A signed GET whose query keys differ in case is not refused: the keys are signed sorted by code "
    "point, not ignoring case or by locale (optional op).",
    requires=("nonce.unique", "timestamp.fresh"),
    ops=("signed_get",),
    passes="a signed GET with keys B, _z, a, a1, b, orderId is accepted (optional `signed_get` op; skipped without it)",
    fails="it is refused (100005): keys signed ignoring case, by locale or unsorted (the doctor's diagnosis)",
)
def check_query_sort(ctx: Context) -> None:
    """Spot's signed GETs take at most one parameter, so only a GET with several, through the client's own
    request path, shows its sort; the mock's journal and signature doctor say how it signed them."""
    with ctx.client() as (adapter, acct):
        if getattr(adapter, "signed_get", None) is None:
            raise RuleSkipped("the adapter has no signed_get(path, params) operation; add one to have the sort checked")
        try:
            _call(adapter, "signed_get", QUERY_SORT_PATH, [list(p) for p in QUERY_SORT_PARAMS])
        except ClientError:
            pass  # judged from the journal, whatever the client made of the answer
        except ClientCrashed as crash:
            raise RuleFailed(f"the client crashed: {crash}", traceback=crash.excerpt) from None
        for e in _signed(ctx, acct["api_key"]):
            if e["code"] not in SIGNED_REJECTIONS:
                continue
            diagnosis = e.get("diagnosis")
            mistake = diagnosis.get("mistake", "") if isinstance(diagnosis, dict) else ""
            said = f"{mistake}: {diagnosis.get('message', '')}" if isinstance(diagnosis, dict) else ""
            if mistake in ("case-insensitive-sort", "unsorted-query"):
                how = "ignoring case (or by locale)" if mistake == "case-insensitive-sort" else "in the order sent"
                raise RuleFailed(
                    f"a signed GET with query keys that differ in case was refused ({e['code']} {e['verdict']}): "
                    f"the client signed the keys {how}; {CODE_POINT}. The signature doctor: {said}",
                    **ctx.evidence(e),
                )
            raise RuleFailed(
                f"a signed GET with several query keys was refused by the exchange's auth ({e['code']} "
                f"{e['verdict']}); {CODE_POINT}" + (f". The signature doctor: {said}" if said else ""),
                **ctx.evidence(e),
            )


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
        _traffic(ctx, adapter, "balances")  # a client in use, in sync, before the clock moves
        before = max((e["id"] for e in ctx.target.journal(acct["api_key"])), default=0)
        ctx.target.call("POST", "/clock", {"offset_ms": 120_000})
        try:
            try:
                result = _call(adapter, "balances")
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
                    result = _call(adapter, op, *args)
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
            result = _call(adapter, "balances")
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
                _call(adapter, "place_order", "BTCUSDT", 2, 1, "0.001", "60000", None)
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


# ---------------------------------------------------------------- money


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
        got = _call(adapter, "balances")
        for coin, amount in odd.items():
            free = (got.get(coin) or {}).get("free")
            if free is None or Decimal(str(free)) != Decimal(amount):
                raise RuleFailed(f"balance of {coin} read as {free!r}; the exchange holds {amount} (parse as Decimal)")
        for symbol, volume, price in (("BTCUSDT", "0.00012345", "64000.01"), ("ETHUSDT", "1.2345", "3200.07")):
            _traffic(ctx, adapter, "place_order", symbol, 2, 1, volume, price, None)
        placed = [e for e in ctx.target.journal(acct["api_key"]) if e["operation"] == "place_order"]
        if not placed:
            raise RuleFailed("place_order sent nothing to the exchange" + _crash_hint(ctx))
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


# ---------------------------------------------------------------- empty lists


def _read_empty(ctx: Context, adapter: Any, shown: str, op: str, *args: Any) -> Any:
    where = f"{op} on an empty list answered as data {shown} (switch empty_lists={shown})"
    try:
        return _call(adapter, op, *args)
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


# ---------------------------------------------------------------- ledger


def _order_view(o: dict[str, Any]) -> tuple[Any, ...]:
    """What an order read back must agree on with the engine: side, type, status, amounts (as Decimals)."""
    return (
        int(o["side"]),
        int(o["type"]),
        int(o["status"]),
        *(Decimal(str(o.get(k) or 0)) for k in ("price", "volume", "deal_volume")),
    )


class _LedgerMachine(RuleBasedStateMachine):
    """Random place/cancel/query steps on one fresh account; after each, the client's view must equal the engine's.

    The account is opened by an ``@initialize`` step. Every order the exchange accepted goes into two
    bundles: ``open_orders``, which a cancel consumes from, and ``placed``, which a query draws from
    (cancelled orders included)."""

    ctx: Context
    open_orders = Bundle("open_orders")
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.session: AbstractContextManager[Any] | None = None

    @initialize()
    def open_account(self) -> None:
        self.ctx.target.reset()
        self.session = self.ctx.client()
        self.adapter, self.acct = self.session.__enter__()

    def teardown(self) -> None:
        if self.session is not None:
            self.session.__exit__(None, None, None)

    def _engine_orders(self) -> dict[str, dict[str, Any]]:
        return {o["order_id"]: o for o in self.ctx.target.call("GET", f"/accounts/{self.acct['api_key']}/orders")}

    @step(
        targets=(open_orders, placed),
        side=st.sampled_from([1, 2]),
        offset=st.integers(-3, 3),
        volume=st.sampled_from(["0.001", "0.0015", "0.01", "0.2"]),
    )
    def place(self, side: int, offset: int, volume: str) -> str | MultipleResults[str]:
        price = str(64000 + offset * 100)
        r = _call(self.adapter, "place_order", "BTCUSDT", side, 1, volume, price, None)
        return str(r["order_id"]) if r["accepted"] else multiple()

    @step(order_id=consumes(open_orders))
    def cancel(self, order_id: str) -> None:
        _call(self.adapter, "cancel_orders", [{"order_id": order_id, "symbol": "BTCUSDT"}])

    @step(order_id=placed)
    def query(self, order_id: str) -> None:
        mine = _call(self.adapter, "order_detail", order_id)
        engine = self._engine_orders()[order_id]
        if not isinstance(mine, dict) or _order_view(mine) != _order_view(engine):
            raise RuleFailed(f"order_detail {order_id}: client says {mine}, engine says {engine}")

    @invariant()
    def client_view_matches_engine(self) -> None:
        engine = self.ctx.target.call("GET", f"/accounts/{self.acct['api_key']}")["balances"]
        seen = _call(self.adapter, "balances")
        for coin, bal in engine.items():
            mine = seen.get(coin) or {"free": "0", "locked": "0"}
            if (Decimal(str(mine["free"])), Decimal(str(mine["locked"]))) != (
                Decimal(bal["free"]),
                Decimal(bal["locked"]),
            ):
                raise RuleFailed(f"client balances {coin} {mine} but the ledger holds {bal}")
        orders = self._engine_orders()
        pending = {o["order_id"]: o for o in _call(self.adapter, "pending_orders", "BTCUSDT")}
        want = {oid for oid, o in orders.items() if o["status"] in (1, 3)}
        if set(pending) != want:
            raise RuleFailed(f"pending orders {sorted(pending)} but the engine has {sorted(want)} open")
        for oid, o in pending.items():
            if int(o["status"]) != orders[oid]["status"] or Decimal(str(o["deal_volume"])) != Decimal(
                orders[oid]["deal_volume"]
            ):
                raise RuleFailed(f"order {oid}: client says {o}, engine says {orders[oid]}")
        audit = self.ctx.target.call("GET", "/audit")
        if not audit["conserved"]:
            raise RuleFailed(f"money not conserved: {audit['imbalance']}")


@rule(
    "ledger.stateful",
    title="The client's view matches the ledger",
    statement="Random place/cancel/query steps: after each, balances, open orders, statuses and fills equal the "
    "engine's.",
    requires=(*SIGNED, "lists.null-or-empty"),
    ops=("place_order", "cancel_orders", "order_detail", "balances", "pending_orders"),
    passes="random place/cancel/query steps: after each, balances, open orders, statuses and fills equal the "
    "engine's (an order queried by id too), and money is conserved",
    fails="any divergence",
)
def check_ledger(ctx: Context) -> None:
    machine = type("LedgerMachine", (_LedgerMachine,), {"ctx": ctx})
    steps = max(5, min(20, ctx.examples))
    _hypothesis(
        ctx,
        lambda: run_state_machine_as_test(
            machine,
            settings=_settings(ctx, max_examples=max(3, ctx.examples // 5), stateful_step_count=steps),
        ),
    )


# ---------------------------------------------------------------- differential


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
                out = _call(adapter, op, *args)
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
    hint = _crash_hint(ctx)
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
