"""Futures requests on the wire: nonces, timestamps, signatures of queries and bodies, the numeric envelope, errors.

Judged from the journal of the client's own futures requests (what the exchange received), and from
what the client made of the answers. The futures API signs exactly like spot: sha256(nonce + timestamp
+ api-key + canonical query + raw body) then sha256(digest + secret); private reads are GETs with a
query, writes POSTs with a JSON body (spec §1).
"""

from __future__ import annotations

from typing import Any

from ..adapter import ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed
from .base import call, judge_nonces, judge_timestamps, rule, traffic
from .futures_base import (
    AUTH_REFUSALS,
    FSIGNED,
    PAGED,
    SYMBOL,
    canonical_query,
    endpoint,
    futures_entries,
    message,
    truth,
)

#: a resting order far under the market: accepted, never filled
FAR = ("BTCUSDT", "BUY", "LIMIT", "0.001", "50000", None, None, None)


def _doctor(e: dict[str, Any]) -> str:
    d = e.get("diagnosis")
    if isinstance(d, dict) and d.get("message"):
        return f" The signature doctor: {d.get('mistake', '')}: {d['message']}"
    return ""


@rule(
    "futures.nonce.unique",
    title="Futures nonces are never reused",
    statement="Every signed futures request carries a nonce never sent before (server journal; the futures API does "
    "not refuse a replay, so only the kit sees it); not 32 characters is a WARN.",
    ops=("futures_account", "futures_pending_orders", "futures_place_order"),
    passes="every signed futures request has a nonce never sent before (server journal)",
    warns="a nonce is not 32 characters",
    fails="a nonce is reused or missing (the futures API accepts a replay today: the kit fails it anyway)",
)
def check_futures_nonce(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for _ in range(10):
            traffic(ctx, adapter, "futures_account", "USDT")
        traffic(ctx, adapter, "futures_pending_orders", SYMBOL, 0, 10)
        traffic(ctx, adapter, "futures_place_order", *FAR, None)
        judge_nonces(
            ctx,
            futures_entries(ctx, acct["api_key"]),
            missing="futures request {id} ({op}) carries no nonce; every signed request needs a fresh one "
            "(e.g. uuid4().hex)",
            reused="nonce {nonce!r} sent twice on futures (requests {first} and {id}, {op}); the futures API lets a "
            "replay through today, but every request needs a new nonce",
        )


@rule(
    "futures.timestamp.fresh",
    title="Futures timestamps are current milliseconds",
    statement="Futures timestamps are 13-digit ms epochs at most 60 s behind the server clock; more than 60 s ahead "
    "is a WARN.",
    ops=("futures_account",),
    passes="timestamps are 13-digit ms, at most 60 s behind the server clock",
    warns="more than 60 s ahead",
    fails="seconds or floats, or more than 60 s behind (the mock answers 10007)",
)
def check_futures_timestamp(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for _ in range(3):
            traffic(ctx, adapter, "futures_account", "USDT")
        judge_timestamps(
            ctx,
            futures_entries(ctx, acct["api_key"]),
            not_ms="timestamp {ts!r} is not milliseconds since the epoch (13 digits); the futures API signs and "
            "checks milliseconds (the mock refuses it: 10007)",
            behind="timestamp {ts} is {behind} ms behind the server clock at arrival; sign with the current time "
            "(the mock refuses more than 60 s behind: 10007)",
        )


@rule(
    "futures.signing.query",
    title="Futures GETs sign their query as sent",
    statement="Private futures reads are GETs with a query string, signed over the keys sorted by code point, each "
    "key followed by its value with no '=' or '&': no such read is refused by auth.",
    requires=("futures.nonce.unique", "futures.timestamp.fresh"),
    ops=("futures_pending_orders", "futures_history_orders", "futures_history_trades", "futures_history_positions"),
    passes="paged reads with several query keys (symbol, skip, limit) go out as GETs with a query and are accepted",
    fails="a read refused by auth (10007/10003), or sent as a POST or with a body",
)
def check_futures_query(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        for op in ("futures_pending_orders", "futures_history_orders", "futures_history_trades"):
            traffic(ctx, adapter, op, SYMBOL, 0, 10)
        traffic(ctx, adapter, "futures_history_positions", SYMBOL, 5, 20)
        reads = [e for e in futures_entries(ctx, acct["api_key"]) if e["operation"] in PAGED]
        if not reads:
            raise RuleFailed("none of the paged futures reads reached the exchange as a futures endpoint")
        for e in reads:
            ep = endpoint(e["operation"])
            if e["method"] != ep.method or e["body"].strip():
                raise RuleFailed(
                    f"{e['operation']} went out as {e['method']} with body {e['body'][:80]!r}; futures reads are "
                    f"{ep.method} {ep.path} with the parameters in the query string (signed as the query, body empty)",
                    **ctx.evidence(e),
                )
            if e["code"] in AUTH_REFUSALS:
                raise RuleFailed(
                    f"{e['operation']} with query {e['query']!r} was refused by the exchange's auth ({e['code']} "
                    f"{message(e['code'])}): the futures API signs the query as the keys sorted by code point, each "
                    f"key followed by its value, no '=' or '&' ({canonical_query(e['query'])!r} here), not the query "
                    "string as sent." + _doctor(e),
                    **ctx.evidence(e),
                )


@rule(
    "futures.signing.body",
    title="Futures POSTs sign the bytes they send",
    statement="Futures writes hash the exact body bytes sent (compact or spaced JSON alike): no write is refused by "
    "auth; a spaced body is a WARN.",
    requires=("futures.nonce.unique", "futures.timestamp.fresh"),
    ops=("futures_place_order", "futures_change_leverage", "futures_cancel_orders"),
    passes="orders (with a unicode clientId), a leverage change and a cancel are accepted by auth",
    warns="a documented rule broken (e.g. a spaced body: live accepts it signed as sent)",
    fails="a write refused by auth (10007): the signature hashes other bytes than the body sent",
)
def check_futures_body(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        placed = traffic(ctx, adapter, "futures_place_order", *FAR, "kit-é-1")
        traffic(ctx, adapter, "futures_place_order", "ETHUSDT", "BUY", "LIMIT", "0.01", "1000", None, None, None, None)
        traffic(ctx, adapter, "futures_change_leverage", "SOLUSDT", 7)
        if isinstance(placed, dict) and placed.get("order_id"):
            traffic(ctx, adapter, "futures_cancel_orders", SYMBOL, [str(placed["order_id"])])
        writes = [e for e in futures_entries(ctx, acct["api_key"]) if e["method"] == "POST"]
        if not writes:
            raise RuleFailed("no futures write (POST) from the client reached the exchange")
        for e in writes:
            if e["code"] in AUTH_REFUSALS:
                raise RuleFailed(
                    f"{e['operation']} was refused by the exchange's auth ({e['code']} {message(e['code'])}): sign the "
                    "exact bytes of the body you send (serialize once, hash those bytes, send those bytes); a body "
                    f"re-serialized after signing differs (sent {e['body'][:120]!r})." + _doctor(e),
                    **ctx.evidence(e),
                )


@rule(
    "futures.envelope.code",
    title="The futures envelope's numeric code is read",
    statement="A futures success carries code 0 as a JSON number: the client reads it as success and returns the "
    "data (a symbol's leverage and margin mode, as the exchange holds them).",
    requires=FSIGNED,
    ops=("futures_leverage_margin_mode",),
    passes="the leverage and margin mode read back as the exchange holds them",
    warns=None,
    fails='a success raised as an error (code compared with the string "0"), another value or a crash',
)
def check_futures_envelope(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        try:
            mine = call(adapter, "futures_leverage_margin_mode", SYMBOL)
        except ClientError as err:
            raise RuleFailed(
                f"the exchange answered get_leverage_margin_mode with code 0 (a JSON number: success) and the client "
                f"raised [{err.code}] {err.msg}: futures envelopes carry `code` as a number, so compare it with 0 "
                '(or its text with "0"), not the raw value with the string "0"'
            ) from None
        with truth(ctx, acct) as ref:
            want = ref.futures_leverage_margin_mode(SYMBOL)
        if not isinstance(mine, dict) or (str(mine.get("leverage")), mine.get("margin_mode")) != (
            str(want["leverage"]),
            want["margin_mode"],
        ):
            raise RuleFailed(f"get_leverage_margin_mode read {mine!r}; the exchange holds {want!r}")


#: errors the kit makes the exchange answer on futures paths (spec §2.2): insufficient balance, duplicate
#: clientId, signature, a system error, an open-orders refusal
INJECTED = ("20003", "30042", "10007", "10001", "20006")


@rule(
    "futures.errors.surfaced",
    title="Futures errors reach the caller with their codes",
    statement="Real refusals (20003 insufficient balance, 30042 duplicate clientId) and injected futures errors on "
    "the account and order paths are raised to the caller with their numeric code.",
    requires=FSIGNED,
    ops=("futures_account", "futures_place_order"),
    passes='every futures error reaches the caller as its code ("20003", "30042", ...)',
    warns=None,
    fails="an error swallowed (a result returned) or reported under another code",
)
def check_futures_errors(ctx: Context) -> None:
    with ctx.client() as (adapter, _):
        real: list[tuple[str, tuple[Any, ...]]] = [
            ("20003", ("BTCUSDT", "BUY", "LIMIT", "50", "90000", None, None, None, None)),
            ("30042", (*FAR, "kit-dup")),
        ]
        traffic(ctx, adapter, "futures_place_order", *FAR, "kit-dup")  # the first of the duplicate pair
        for code, args in real:
            _expect(ctx, adapter, code, "futures_place_order", args, injected=False)
        for code in INJECTED:
            injected: tuple[tuple[str, tuple[Any, ...], Any], ...] = (
                ("futures_account", ("USDT",), endpoint("futures.account")),
                ("futures_place_order", (*FAR, None), endpoint("futures.trade_place_order")),
            )
            for op, args, ep in injected:
                ctx.target.call("POST", "/faults", {"action": "error", "code": code, "path": ep.path, "retry_after": 0})
                try:
                    _expect(ctx, adapter, code, op, args, injected=True)
                finally:
                    ctx.target.call("DELETE", "/faults")


def _expect(ctx: Context, adapter: Any, code: str, op: str, args: tuple[Any, ...], *, injected: bool) -> None:
    how = "answered (injected)" if injected else "answered"
    try:
        result = call(adapter, op, *args)
    except ClientError as err:
        if err.code != code:
            raise RuleFailed(
                f"{op}: the exchange {how} {code} ({message(code)}) and the client reported {err.code!r}: surface "
                "the envelope's code as is (a number on futures: str(code))"
            ) from None
        return
    except ClientCrashed as crash:
        raise RuleFailed(
            f"{op}: the exchange {how} {code} ({message(code)}) and the client crashed: {crash}",
            traceback=crash.excerpt,
        ) from None
    raise RuleFailed(
        f"{op}: the exchange {how} error {code} ({message(code)}) and the client returned {result!r} instead of "
        "raising it"
    )
