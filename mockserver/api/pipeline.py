"""The thin HTTP layer for the exchange paths: raw ASGI, one pipeline, one envelope.

Each exchange route is a small ASGI app (Starlette routes to it) that reads the
body, runs :meth:`Pipeline.handle` - synchronous, so on the event loop every
request is atomic - and writes the JSON reply. Starlette's Request/Response
objects are skipped on this path on purpose: they cost more than the auth,
validation and matching together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from starlette.types import Receive, Scope, Send

from ..clock import http_date
from ..engine.accounts import Account
from ..errors import (
    ERROR_TABLE,
    BitunixError,
    BodyTooLarge,
    MethodNotAllowed,
    NotFound,
    ParameterError,
    RequestExpired,
    SignatureError,
    SystemError,
    TooFrequent,
)
from . import bounds
from .auth import query_pairs
from .docrules import Warning, warn
from .doctor import SECONDS_HEADER_MESSAGE, Diagnosis, diagnose, timestamp_hint
from .endpoints import Endpoint
from .faults import Decision
from .handlers import HANDLERS, Call
from .inflight import refuse_stale
from .journal import JournalEntry
from .params import validate

if TYPE_CHECKING:
    from ..state import MockState

__all__ = ["PLACE_REFUSED", "ExchangeRoute", "Pipeline", "Reply", "RequestContext", "error_body", "success_body"]

log = logging.getLogger("mockserver")
#: One INFO record per exchange request, once its verdict is final (``extra={"entry": JournalEntry}``);
#: :mod:`mockserver.reqlog` formats them. Nothing is built when the logger is not enabled for INFO.
request_log = logging.getLogger("mockserver.requests")


def log_request(entry: JournalEntry) -> None:
    if request_log.isEnabledFor(logging.INFO):
        what = entry.operation or entry.path
        request_log.info("%s %s %s %s", entry.method, what, entry.verdict, entry.code, extra={"entry": entry})


SUCCESS_MSG = "result.success"
DIAGNOSE_HEADER = "x-mock-diagnose"
DIAGNOSIS_HEADER = b"x-mock-diagnosis"
EXPECTED_INPUT_HEADER = b"x-mock-expected-digest-input"  # percent-encoded UTF-8
JOURNAL_HEADER = b"x-mock-journal-id"
WARNINGS_HEADER = b"x-mock-warnings"
_JSON_HEADERS = [(b"content-type", b"application/json")]


def success_body(data: Any, msg: str = SUCCESS_MSG) -> bytes:
    return orjson.dumps({"code": "0", "msg": msg, "data": data, "success": True})


_WHITESPACE = frozenset(b" \t\r\n")
_STRING_OR_SPACE = re.compile(rb'"(?:[^"\\]|\\.)*"|[ \t\r\n]')


def body_warnings(body: bytes, headers: dict[str, str]) -> list[Warning]:
    """Documented body rules a signed POST broke (accepted, as live accepts them)."""
    out: list[Warning] = []
    if body and not _WHITESPACE.isdisjoint(body):
        for m in _STRING_OR_SPACE.finditer(body):
            if m.group() in (b" ", b"\t", b"\r", b"\n"):
                out.append(warn("body-not-compact", "whitespace outside JSON strings; the docs ask for compact JSON"))
                break
    ctype = headers.get("content-type", "")
    if not ctype.lower().startswith("application/json"):
        shown = repr(ctype[:40]) if ctype else "missing"
        out.append(warn("content-type", f"Content-Type {shown}; the docs ask application/json"))
    return out


def error_body(code: str, msg: str) -> bytes:
    return orjson.dumps({"code": code, "msg": msg, "data": None, "success": False})


@dataclass
class RequestContext:
    """One request on an exchange path, as the pipeline and its hooks see it."""

    endpoint: Endpoint | None
    method: str
    path: str
    raw_query: bytes
    headers: dict[str, str]
    body: bytes
    client_ip: str | None
    now_ms: int
    entry: JournalEntry


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def decode_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, numbers bounded and exact (Decimal); ParameterError otherwise."""
    if not body.strip():
        return {}
    try:
        doc = bounds.loads(body)
    except bounds.BoundError as exc:
        raise ParameterError(f"body: {exc}") from None
    if not isinstance(doc, dict):
        raise ParameterError("body must be a JSON object")
    return doc


def _header_safe(text: str) -> bytes:
    return text.encode("ascii", "backslashreplace")[:1024].replace(b"\r", b" ").replace(b"\n", b" ")


#: The verdict of a placement the exchange refused in a successful envelope (placeStatus 0);
#: the entry's ``code`` is then the placeCode, its ``detail`` the placeMsg.
PLACE_REFUSED = "PlaceRefused"


def _place_verdict(entry: JournalEntry, operation: str, data: Any) -> None:
    """Refused placements are not "accepted": a single one, or a batch whose every item was refused.

    A batch with some items placed stays accepted; its refused items are listed in ``refused_items``.
    """
    if operation == "place_order" and isinstance(data, dict) and data.get("placeStatus") == 0:
        entry.verdict, entry.code = PLACE_REFUSED, str(data.get("placeCode"))
        entry.detail = f"placement refused: {data.get('placeCode')} {data.get('placeMsg')}"
    elif operation == "place_order_batch" and isinstance(data, list):
        refused = [
            {"index": i, "placeCode": str(item.get("placeCode")), "placeMsg": item.get("placeMsg")}
            for i, item in enumerate(data)
            if isinstance(item, dict) and item.get("placeStatus") == 0
        ]
        if not refused:
            return
        entry.extra["refused_items"] = refused
        shown = "; ".join(f"[{r['index']}] {r['placeCode']} {r['placeMsg']}" for r in refused[:5])
        entry.detail = f"{len(refused)} of {len(data)} orders refused: {shown}"
        if len(refused) == len(data):
            entry.verdict, entry.code = PLACE_REFUSED, str(refused[0]["placeCode"])


#: Verdicts of requests whose signature was verified (the doctor trusts their client with the key).
_SIGNED_OK = frozenset({"accepted", PLACE_REFUSED})


class Pipeline:
    """method check -> hooks -> auth -> parameters -> handler -> envelope, journaled."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    def handle(self, ctx: RequestContext) -> Reply:
        state, ep, entry = self.state, ctx.endpoint, ctx.entry
        diagnose = state.config.always_diagnose or ctx.headers.get(DIAGNOSE_HEADER, "") not in ("", "0")
        try:
            if ep is None:
                raise NotFound(f"no endpoint at {ctx.path}")
            entry.operation = ep.operation
            if ctx.method != ep.method:
                raise MethodNotAllowed(f"{ep.path} takes {ep.method}, not {ctx.method}")
            limiter = state.rate_limiter
            # Public calls count against the caller's IP before anything else; signed calls count
            # against the *verified* key after auth, so nobody can spend another key's budget.
            if limiter.enabled and not ep.auth and not limiter.allow(ep, None, ctx.client_ip, ctx.now_ms):
                lim = limiter.limit(ep)
                raise TooFrequent(f"over {lim.per_second} requests/s per {lim.scope} on {ep.operation}")
            account = None
            result = None
            if ep.auth:
                entry.api_key = ctx.headers.get("api-key") or None

                def admit(verified: Account) -> None:
                    if limiter.enabled and not limiter.allow(ep, verified.api_key, ctx.client_ip, ctx.now_ms):
                        lim = limiter.limit(ep)
                        raise TooFrequent(f"over {lim.per_second} requests/s per {lim.scope} on {ep.operation}")

                result = state.verifier.verify(
                    ctx.headers,
                    ctx.raw_query,
                    ctx.body,
                    now_ms=ctx.now_ms,
                    lookup=state.exchange.accounts_by_key,
                    permission=ep.permission,
                    client_ip=ctx.client_ip,
                    admit=admit,
                )
                account = result.account
            warnings: list[Warning] = list(result.warnings) if result is not None else []
            if warnings:  # journaled even if the parameters are refused next
                entry.extra["warnings"] = [w.to_json() for w in warnings]
            if ep.in_query:
                raw: dict[str, Any] = dict(query_pairs(ctx.raw_query)) if ctx.raw_query else {}
                args = validate(ep.params, raw)
            else:
                raw = decode_json_object(ctx.body)
                args = validate(ep.params, raw, warnings)
                if ep.auth:
                    warnings.extend(body_warnings(ctx.body, ctx.headers))
            if warnings:
                entry.extra["warnings"] = [w.to_json() for w in warnings]
            symbol = args.get("symbol")
            # The only refusal left after validation for a poll is an unknown pair: such a request
            # must neither count as a poll nor fire a fill.
            if state.counterparty.scripts and (
                not isinstance(symbol, str) or state.exchange.markets.get(symbol) is not None
            ):
                state.counterparty.on_request(
                    state.exchange, account.account_id if account else None, ep.operation, ctx.now_ms
                )
            data = HANDLERS[ep.operation](Call(state, account, args, raw, ctx.now_ms))
            entry.verdict = "accepted"
            entry.code = "0"
            _place_verdict(entry, ep.operation, data)
            headers = list(_JSON_HEADERS)
            if warnings and diagnose:
                headers.append((WARNINGS_HEADER, _header_safe("; ".join(w.text() for w in warnings))))
            return self._finish(entry, Reply(200, success_body(data, ep.success_msg), headers))
        except BitunixError as err:
            entry.verdict = type(err).__name__
            entry.code = err.code
            entry.detail = err.detail
            headers = list(_JSON_HEADERS)
            if isinstance(err, MethodNotAllowed) and ep is not None:
                headers.append((b"allow", ep.method.encode()))  # RFC 9110 asks every 405 to say what is allowed
            explained = err.detail
            if err.code == RequestExpired.code:
                # Refused before the signature is checked, so the doctor never runs: name seconds here.
                hint = timestamp_hint(ctx.headers.get("timestamp", ""))
                if hint is not None:
                    entry.detail = explained = f"{err.detail}; {hint}"
                    entry.extra["diagnosis"] = {"mistake": "seconds-timestamp", "message": SECONDS_HEADER_MESSAGE}
            if err.code == SignatureError.code:
                found = self._doctor(ctx)
                if found is not None:
                    entry.extra["diagnosis"] = found.to_json()
                    explained = found.header()
                    if diagnose:
                        headers.append((EXPECTED_INPUT_HEADER, quote(found.expected_digest_input).encode("ascii")))
            if diagnose and explained:
                headers.append((DIAGNOSIS_HEADER, _header_safe(explained)))
            return self._finish(entry, Reply(err.http_status, error_body(err.code, err.msg), headers))
        except Exception:
            # Never a traceback to the client: log it here, answer the exchange's system error.
            log.exception("unexpected error on %s %s", ctx.method, ctx.path)
            failure = SystemError("internal error; see the server log")
            entry.verdict = "SystemError"
            entry.code = failure.code
            entry.detail = failure.detail
            return self._finish(entry, Reply(200, error_body(failure.code, failure.msg), list(_JSON_HEADERS)))

    def _doctor(self, ctx: RequestContext) -> Diagnosis | None:
        """Run the signature doctor on a refused sign (only then: valid traffic never pays for it).

        Other nonces: the key's recent ones (at most the doctor's own bound). Other secrets: only
        those of api-keys this same client address used in an accepted signed request - it provably
        holds them - so the doctor cannot confirm a guessed secret of someone else's account.
        """
        state = self.state
        accounts = state.exchange.accounts_by_key
        account = accounts.get(ctx.headers.get("api-key", ""))
        if account is None:
            return None
        key = account.api_key
        nonces: list[str] = []
        used: dict[str, None] = {}
        for e in state.journal.recent(1000):
            if e is ctx.entry:
                continue
            if e.api_key == key and len(nonces) < 200:
                nonces.append(e.headers.get("nonce", ""))
            elif e.api_key and e.verdict in _SIGNED_OK and e.client == ctx.client_ip and len(used) < 16:
                used[e.api_key] = None
        try:
            return diagnose(
                method=ctx.method,
                raw_query=ctx.raw_query,
                body=ctx.body,
                headers=ctx.headers,
                secret=account.secret,
                profile=state.verifier.profile,
                other_nonces=nonces,
                other_secrets=lambda: (a.secret for k in used if (a := accounts.get(k)) is not None),
            )
        except Exception:  # the doctor must never turn a clean 100005 into a 500
            log.exception("signature doctor failed")
            return None

    @staticmethod
    def _finish(entry: JournalEntry, reply: Reply) -> Reply:
        entry.status = reply.status
        entry.set_response(reply.body)
        reply.headers.append((JOURNAL_HEADER, str(entry.id).encode()))
        return reply


class _Disconnected:
    """The client went away before its body was complete."""


DISCONNECTED = _Disconnected()


async def _read_body(receive: Receive, limit: int) -> bytes | _Disconnected | None:
    """The whole body, ``None`` once it passes ``limit`` bytes, or DISCONNECTED when the client left mid-body."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return DISCONNECTED  # a truncated body is never processed
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_reply(send: Send, reply: Reply, *, drop: bool = False, date: bytes = b"") -> None:
    """Send ``reply``; with ``drop``, announce the full length but send only half and stop.

    A socket client then sees the connection close mid-answer (httpx: RemoteProtocolError);
    an in-process ASGI client gets a truncated body that is not JSON. Either way the request
    was processed and the caller cannot know the outcome - the point of the fault.
    """
    headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
    if date:
        headers.append((b"date", date))  # the mock clock's time: clients re-sync from it after 100008
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if not drop:
        await send({"type": "http.response.body", "body": reply.body})
        return
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": reply.body[: len(reply.body) // 2], "more_body": False})


def fault_reply(decision: Decision) -> Reply:
    """The answer an error or status fault puts in place of the exchange's."""
    rule = decision.reply
    assert rule is not None
    headers = list(_JSON_HEADERS)
    if rule.retry_after is not None:
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    if rule.action == "error":
        assert rule.code is not None
        info = ERROR_TABLE.get(rule.code)
        msg = rule.msg if rule.msg is not None else (info.msg if info else "")
        status = rule.status or (info.http_status if info else 200)
        return Reply(status, error_body(rule.code, msg), headers)
    assert rule.status is not None
    if rule.body is not None:
        return Reply(rule.status, rule.body.encode("utf-8"), [(b"content-type", b"text/plain"), *headers[1:]])
    return Reply(rule.status, b"", headers[1:])


class ExchangeRoute:
    """ASGI app for one exchange path (or, with ``endpoint=None``, for every unknown path)."""

    def __init__(self, state: MockState, pipeline: Pipeline, endpoint: Endpoint | None) -> None:
        self.state = state
        self.pipeline = pipeline
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        generation = state.generation  # in-flight isolation: see mockserver.inflight
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        client = scope.get("client")
        client_ip = client[0] if client else None
        limit = state.config.max_body_bytes
        declared = headers.get("content-length", "")
        body: bytes | None = None
        # A declared length over the limit is refused unread (len check first: no int() of a huge text).
        if not (declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit)):
            read = await _read_body(receive, limit)
            if isinstance(read, _Disconnected):
                entry = state.journal.open(
                    state.clock.now_ms(), scope["method"], scope["path"],
                    scope.get("query_string", b"").decode("latin-1"), headers, b"", client_ip,
                )  # fmt: skip
                entry.operation = self.endpoint.operation if self.endpoint is not None else None
                entry.verdict = "disconnected"
                entry.detail = "the client closed the connection before its body was complete; not processed"
                log_request(entry)
                return
            body = read
        raw_query: bytes = scope.get("query_string", b"")
        now = state.clock.now_ms()
        entry = state.journal.open(
            now,
            scope["method"],
            scope["path"],
            raw_query.decode("latin-1"),
            headers,
            body if body is not None else b"",
            client_ip,
        )
        entry.operation = self.endpoint.operation if self.endpoint is not None else None  # faulted, pending too
        decision = state.faults.decide(scope["method"], scope["path"], headers.get("api-key")) if state.faults else None
        if decision is not None:
            entry.extra["faults"] = decision.rules
            if decision.delay_ms:
                await asyncio.sleep(decision.delay_ms / 1000)
        if state.generation != generation:  # a reset/restore happened since it began: never applied
            reply = refuse_stale(state, entry, generation, self.endpoint)
        elif body is None:
            err = BodyTooLarge(f"body over {limit} bytes")
            entry.verdict, entry.code, entry.detail = type(err).__name__, err.code, err.detail
            reply = Pipeline._finish(entry, Reply(err.http_status, error_body(err.code, err.msg), list(_JSON_HEADERS)))
        elif decision is not None and decision.reply is not None:
            entry.verdict = "fault"
            entry.detail = f"injected by {decision.rules[-1]}"
            reply = fault_reply(decision)
            assert decision.reply is not None
            entry.code = decision.reply.code if decision.reply.action == "error" else str(reply.status)
            reply = Pipeline._finish(entry, reply)
        else:
            ctx = RequestContext(
                self.endpoint, scope["method"], scope["path"], raw_query, headers, body, client_ip, now, entry
            )
            durable = state.durable  # with a state directory: logged before the reply is sent
            reply = self.pipeline.handle(ctx) if durable is None else durable.handle(ctx)
        drop = decision is not None and decision.drop
        if drop:
            entry.extra["dropped"] = True
        log_request(entry)
        await send_reply(send, reply, drop=drop, date=http_date(state.clock.now_ms()))
