"""The rules a Bitunix spot client is judged by. Each has an id, a statement, and a check.

A check raises :class:`RuleFailed` with an actionable message (plus the shrunk
example, the server's verdict and a curl repro when there is one). Rules that
need a working signed call list ``requires``; when a requirement failed they are
reported ``blocked`` rather than failed, so one bug shows up as one red rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from mockserver.errors import ERROR_TABLE

from .adapter import Adapter, AdapterFactory, ClientCrashed, ClientError
from .target import Target

__all__ = ["RULES", "Context", "Rule", "RuleFailed", "RuleSkipped"]

SIGNED_REJECTIONS = {"100004", "100005", "100008", "900001", "900002"}
FUNDS = {"USDT": "100000", "BTC": "2", "ETH": "20"}
VECTORS = Path(__file__).resolve().parent / "data" / "signature_vectors.json"  # package data (conformance.data)


class RuleFailed(AssertionError):
    def __init__(self, message: str, *, example: str = "", diagnosis: str = "", curl: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        self.diagnosis = diagnosis
        self.curl = curl


class RuleSkipped(Exception):
    """The client does not offer what the rule needs (e.g. no ``sign`` operation)."""


@dataclass
class Context:
    """What a rule gets: the mock, the factory of the client under test, the reference factory."""

    target: Target
    factory: AdapterFactory
    reference: AdapterFactory
    examples: int = 25
    _open: list[Adapter] = field(default_factory=list)

    @contextmanager
    def client(self, balances: dict[str, str] | None = None, factory: AdapterFactory | None = None) -> Iterator[Any]:
        """A fresh funded account and the client under test bound to it: (adapter, account)."""
        acct = self.target.account(FUNDS if balances is None else balances)
        make = factory or self.factory
        adapter = make(self.target.base_url, acct["api_key"], acct["secret"], self.target.transport)
        try:
            yield adapter, acct
        finally:
            adapter.close()

    def rejected(self, api_key: str, codes: set[str] | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.target.journal(api_key)
            if e["verdict"] != "accepted" and (codes is None or e["code"] in codes)
        ]

    def evidence(self, entry: dict[str, Any]) -> dict[str, str]:
        detail = entry.get("detail") or ""
        diagnosis = entry.get("diagnosis")
        if isinstance(diagnosis, dict):
            detail += f" | doctor: {diagnosis.get('message', '')}"
        elif diagnosis:
            detail += f" | doctor: {diagnosis}"
        return {"diagnosis": f"{entry['verdict']} ({entry['code']}): {detail}", "curl": self.target.curl(entry["id"])}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    statement: str
    check: Callable[[Context], None]
    requires: tuple[str, ...] = ()


def _call(adapter: Any, op: str, *args: Any) -> Any:
    """Run an operation; a non-ClientError exception is a crash, reported as such."""
    try:
        return getattr(adapter, op)(*args)
    except ClientError:
        raise
    except Exception as exc:
        raise ClientCrashed(f"{op} raised {type(exc).__name__}: {exc}") from exc


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
        raise RuleFailed(f"the client crashed: {crash}", example=notes) from None


# ---------------------------------------------------------------- signing


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
                    f"{v['digest_input']!r} (canonical query {v['canonical_query']!r}: keys sorted, key+value, no "
                    "separators, values not URL-encoded), then sha256_hex(digest + secret).",
                    example=json.dumps(i, ensure_ascii=False),
                )


def check_signing_generated(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)

        @settings(max_examples=ctx.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(
            client_id=texts,
            order_id=texts,
            symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "btcusdt", "NOPEUSDT", "ÉTHUSDT"]),
            volume=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5), places=4),
        )
        def signed_requests_pass(client_id: str, order_id: str, symbol: str, volume: Decimal) -> None:
            before = {e["id"] for e in ctx.target.journal(acct["api_key"])}
            for op, args in (
                ("order_detail", (order_id,)),
                ("pending_orders", (symbol,)),
                ("place_order", ("BTCUSDT", 2, 1, format(volume, "f"), "1000", client_id)),
                ("order_deals", (order_id, symbol)),
            ):
                with suppress(ClientError):
                    _call(adapter, op, *args)
            for e in ctx.target.journal(acct["api_key"]):
                if e["id"] not in before and e["code"] in SIGNED_REJECTIONS:
                    raise RuleFailed(
                        f"{e['operation']} was refused by the exchange's auth ({e['code']} {e['verdict']})",
                        **ctx.evidence(e),
                    )

        _hypothesis(ctx, signed_requests_pass)


def check_nonce(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for op, args in [("balances", ())] * 20 + [("order_detail", ("1",)), ("pending_orders", ("BTCUSDT",))]:
            with suppress(ClientError):  # judged from the journal, whatever the exchange answered
                _call(adapter, op, *args)
        seen: dict[str, int] = {}
        for e in ctx.target.journal(acct["api_key"]):
            nonce = e["headers"].get("nonce", "")
            if len(nonce) != 32:
                raise RuleFailed(
                    f"nonce {nonce!r} has {len(nonce)} characters; the exchange wants exactly 32 "
                    "(e.g. uuid4().hex), fresh for every request",
                    **ctx.evidence(e),
                )
            if nonce in seen:
                raise RuleFailed(
                    f"nonce {nonce!r} sent twice (requests {seen[nonce]} and {e['id']}); every request, retries "
                    "included, needs a new one",
                    **ctx.evidence(e),
                )
            seen[nonce] = e["id"]


def check_timestamp_fresh(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for _ in range(3):
            with suppress(ClientError):
                _call(adapter, "balances")
        for e in ctx.target.journal(acct["api_key"]):
            ts = e["headers"].get("timestamp", "")
            if not ts.isdigit() or len(ts) != 13:
                raise RuleFailed(
                    f"timestamp {ts!r} is not milliseconds since the epoch (13 digits); seconds or floats are refused",
                    **ctx.evidence(e),
                )
            if abs(int(ts) - e["time_ms"]) > 5_000:
                raise RuleFailed(
                    f"timestamp {ts} is {int(ts) - e['time_ms']} ms off the server clock at arrival",
                    **ctx.evidence(e),
                )


def check_timestamp_skew(ctx: Context) -> None:
    """Server 120 s ahead: the client either corrects the skew or reports 100008 - never a silent result."""
    ctx.target.call("POST", "/clock", {"offset_ms": 120_000})
    try:
        with ctx.client() as (adapter, acct):
            try:
                result = _call(adapter, "balances")
            except ClientError as err:
                if err.code != "100008":
                    raise RuleFailed(
                        f"with the server clock 120 s ahead the client reported {err.code}, not 100008"
                    ) from None
                return
            accepted = [e for e in ctx.target.journal(acct["api_key"]) if e["verdict"] == "accepted"]
            if not accepted:
                raise RuleFailed(
                    f"the exchange refused every request (100008) but the client returned {result!r} as if it had "
                    "succeeded: surface RequestExpired, or sync the clock and re-sign"
                )
    finally:
        ctx.target.call("POST", "/clock", {"offset_ms": 0})


# ---------------------------------------------------------------- errors


def check_errors_surfaced(ctx: Context) -> None:
    codes = [c for c, info in ERROR_TABLE.items() if info.http_status == 200]
    with ctx.client() as (adapter, acct):
        for code in codes:
            for op, args in (("balances", ()), ("place_order", ("BTCUSDT", 2, 1, "0.001", "1000", None))):
                path = "/api/spot/v1/user/account" if op == "balances" else "/api/spot/v1/order/place_order"
                # No "times": a client may retry 500/110041 reads, and every attempt must fail the same way.
                ctx.target.call("POST", "/faults", {"action": "error", "code": code, "path": path})
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
        ctx.target.call("POST", "/faults", {"action": "status", "status": 502, "body": "bad gateway", "times": 3})
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


def check_no_double_place(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for fault in (
            {"action": "drop", "times": 1},
            {"action": "status", "status": 503, "times": 1},
            {"action": "status", "status": 429, "retry_after": 0, "times": 1},
        ):
            ctx.target.call("POST", "/faults", dict(fault, path="/api/spot/v1/order/place_order"))
            before = len(ctx.target.call("GET", f"/accounts/{acct['api_key']}/orders"))
            try:
                _call(adapter, "place_order", "BTCUSDT", 2, 1, "0.001", "1000", None)
            except ClientError:
                pass
            finally:
                ctx.target.call("DELETE", "/faults")
            placed = len(ctx.target.call("GET", f"/accounts/{acct['api_key']}/orders")) - before
            if placed > 1:
                raise RuleFailed(
                    f"one place_order under a {fault['action']} fault created {placed} orders: a write must not be "
                    "retried blindly (look it up by clientId first)"
                )


# ---------------------------------------------------------------- money


def check_decimal_exact(ctx: Context) -> None:
    odd = {"USDT": "12345.6789012345678", "BTC": "0.000000123456789", "ETH": "99999999.99999999"}
    with ctx.client(odd) as (adapter, acct):
        got = _call(adapter, "balances")
        for coin, amount in odd.items():
            free = (got.get(coin) or {}).get("free")
            if free is None or Decimal(str(free)) != Decimal(amount):
                raise RuleFailed(f"balance of {coin} read as {free!r}; the exchange holds {amount} (parse as Decimal)")
        for volume, price in (("0.00012345", "64000.01"), ("1.2345", "0.07")):
            with suppress(ClientError):
                _call(adapter, "place_order", "BTCUSDT" if price != "0.07" else "ETHUSDT", 2, 1, volume, price, None)
        for e in ctx.target.journal(acct["api_key"]):
            if e["operation"] != "place_order":
                continue
            body = json.loads(e["body"], parse_float=Decimal)
            sent = (str(body.get("volume")), str(body.get("price")))
            if (Decimal(sent[0]), Decimal(sent[1])) not in {
                (Decimal("0.00012345"), Decimal("64000.01")),
                (Decimal("1.2345"), Decimal("0.07")),
            }:
                raise RuleFailed(
                    f"place_order sent volume {sent[0]} and price {sent[1]}: amounts must go out exactly as given",
                    **ctx.evidence(e),
                )


class _LedgerMachine(RuleBasedStateMachine):
    """Random place/cancel/query steps; after each, the client's view must equal the engine's."""

    ctx: Context

    def __init__(self) -> None:
        super().__init__()
        self.ctx.target.reset()
        self.cm = self.ctx.client()
        self.adapter, self.acct = self.cm.__enter__()
        self.open: list[str] = []

    def teardown(self) -> None:
        self.cm.__exit__(None, None, None)

    @rule(
        side=st.sampled_from([1, 2]),
        offset=st.integers(-3, 3),
        volume=st.sampled_from(["0.001", "0.0015", "0.01", "0.2"]),
    )
    def place(self, side: int, offset: int, volume: str) -> None:
        price = str(64000 + offset * 100)
        r = _call(self.adapter, "place_order", "BTCUSDT", side, 1, volume, price, None)
        if r["accepted"]:
            self.open.append(r["order_id"])

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.open))
        _call(self.adapter, "cancel_orders", [{"order_id": oid, "symbol": "BTCUSDT"}])
        self.open.remove(oid)

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
        orders = {o["order_id"]: o for o in self.ctx.target.call("GET", f"/accounts/{self.acct['api_key']}/orders")}
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


def check_ledger(ctx: Context) -> None:
    machine = type("LedgerMachine", (_LedgerMachine,), {"ctx": ctx})
    steps = max(5, min(20, ctx.examples))
    _hypothesis(
        ctx,
        lambda: run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=max(3, ctx.examples // 5),
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
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


def _normal(entry: dict[str, Any]) -> tuple[str, str, Any, Any]:
    from urllib.parse import parse_qsl

    query = sorted(parse_qsl(entry["query"], keep_blank_values=True))
    body = json.loads(entry["body"], parse_float=Decimal) if entry["body"].strip() else None
    return entry["method"], entry["path"], query, _dec(body)


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


def _run_scenario(ctx: Context, factory: AdapterFactory) -> tuple[list[Any], list[Any]]:
    ctx.target.reset()
    ctx.target.call("POST", "/markets/BTCUSDT/book", {"bids": [["63500", "0.5"]], "asks": [["64500", "0.5"]]})
    results: list[Any] = []
    with ctx.client(factory=factory) as (adapter, acct):
        for op, args in SCENARIO:
            try:
                out = _call(adapter, op, *args)
            except ClientError as err:
                out = {"error": err.code}
            results.append(out)
        requests = [_normal(e) for e in ctx.target.journal(acct["api_key"]) if e["path"].startswith("/api/")]
    return requests, results


def _shape(v: Any) -> Any:
    """Results without ids and times (those differ between two runs by design)."""
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items() if k not in ("order_id", "ctime", "utime")}
    if isinstance(v, list):
        return [_shape(x) for x in v]
    return _dec(v)


def check_differential(ctx: Context) -> None:
    ref_requests, ref_results = _run_scenario(ctx, ctx.reference)
    got_requests, got_results = _run_scenario(ctx, ctx.factory)
    for i, (want, got) in enumerate(zip(ref_requests, got_requests, strict=False)):
        if want != got:
            raise RuleFailed(
                f"request {i + 1} differs from the reference client's:\n  reference: {want}\n  yours:     {got}"
            )
    if len(ref_requests) != len(got_requests):
        raise RuleFailed(
            f"the reference client sent {len(ref_requests)} requests for the scenario, yours {len(got_requests)}"
        )
    for (op, _), want, got in zip(SCENARIO, ref_results, got_results, strict=True):
        if _shape(want) != _shape(got):
            raise RuleFailed(f"{op}: reference read {want!r}, yours {got!r}")


RULES: list[Rule] = [
    Rule(
        "signing.vectors",
        "Signer matches the known-answer vectors",
        "Given the vectors' inputs, the client's signer produces every vector's sign (offline, optional op).",
        check_signing_vectors,
    ),
    Rule(
        "nonce.unique",
        "Nonces are 32 characters and never reused",
        "Every signed request carries a fresh 32-character nonce (read from the server journal).",
        check_nonce,
    ),
    Rule(
        "timestamp.fresh",
        "Timestamps are current milliseconds",
        "The timestamp header is a 13-digit ms epoch within 5 s of the server clock at arrival.",
        check_timestamp_fresh,
    ),
    Rule(
        "signing.generated",
        "Signatures hold over generated parameters",
        "Signed requests over generated unicode ids, symbols and decimals are never refused by auth.",
        check_signing_generated,
        requires=("nonce.unique", "timestamp.fresh"),
    ),
    Rule(
        "timestamp.skew",
        "Clock skew is corrected or reported",
        "With the server 120 s ahead, the client either succeeds (synced) or raises 100008 - never a silent result.",
        check_timestamp_skew,
        requires=("nonce.unique", "timestamp.fresh"),
    ),
    Rule(
        "errors.surfaced",
        "Every documented error reaches the caller",
        "Each documented error code (and repeated HTTP 502) is raised to the caller with its code.",
        check_errors_surfaced,
        requires=("nonce.unique", "timestamp.fresh", "signing.generated"),
    ),
    Rule(
        "retry.no-double-place",
        "Retries never place an order twice",
        "Under a dropped answer, 503 or 429 on place_order, at most one order is created per call.",
        check_no_double_place,
        requires=("nonce.unique", "timestamp.fresh", "signing.generated"),
    ),
    Rule(
        "decimal.exact",
        "Amounts are exact decimals",
        "Balances read back exactly (18 significant digits) and amounts are sent exactly as given.",
        check_decimal_exact,
        requires=("nonce.unique", "timestamp.fresh", "signing.generated"),
    ),
    Rule(
        "ledger.stateful",
        "The client's view matches the ledger",
        "Random place/cancel steps: after each, balances, open orders, statuses and fills equal the engine's.",
        check_ledger,
        requires=("nonce.unique", "timestamp.fresh", "signing.generated"),
    ),
    Rule(
        "differential.reference",
        "Same requests and results as the reference client",
        "On one scenario the client sends the reference client's requests and reads the same results.",
        check_differential,
        requires=("nonce.unique", "timestamp.fresh", "signing.generated"),
    ),
]
