"""The thin HTTP layer for the exchange paths: raw ASGI, one pipeline, one envelope.

Each exchange route is a small ASGI app (Starlette routes to it) that reads the
body, opens the journal entry, applies a fault's latency and hands the request to
:meth:`Pipeline.admit` - synchronous, so on the event loop every request is
atomic - then writes the JSON reply. The pipeline is one ordered list of checks
(see :class:`Pipeline`) and :meth:`Pipeline.record` the one place a verdict
reaches the journal. Starlette's Request/Response objects are skipped on this
path on purpose: they cost more than the auth, validation and matching together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from ..clock import http_date
from ..engine.accounts import Account
from ..errors import (
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
from .auth import AuthResult, query_pairs
from .bodies import TOO_LARGE, Disconnected, TooLarge, declared_over, read_body
from .docrules import Warning, warn
from .doctor import SECONDS_HEADER_MESSAGE, Diagnosis, diagnose, timestamp_hint
from .endpoints import Endpoint
from .faults import Decision
from .handlers import Call, Handler
from .inflight import refuse_stale
from .journal import JournalEntry
from .params import Validator
from .products import PRODUCTS, SPOT, Product, endpoint_at
from .reply import (
    DIAGNOSIS_HEADER,
    EXPECTED_INPUT_HEADER,
    JSON_CONTENT,
    WARNINGS_HEADER,
    Reply,
    Verdict,
    error_body,
    record_entry,
    success_body,
)

if TYPE_CHECKING:
    from ..state import MockState

__all__ = [
    "PLACE_REFUSED",
    "Around",
    "ExchangeRoute",
    "Hook",
    "Pipeline",
    "Reply",
    "RequestContext",
    "Verdict",
    "error_body",
    "record_entry",
    "success_body",
]

log = logging.getLogger("mockserver")
#: One INFO record per exchange request, once its verdict is final (``extra={"entry": JournalEntry}``);
#: :mod:`mockserver.reqlog` formats them. Nothing is built when the logger is not enabled for INFO.
request_log = logging.getLogger("mockserver.requests")

#: Spot's operations with their handlers and compiled parameter validators (each product holds its own:
#: :mod:`mockserver.api.products`, where importing fails unless rows and handlers pair up).
HANDLERS_BY_OPERATION: Mapping[str, Handler] = SPOT.handlers
VALIDATORS: Mapping[str, Validator] = SPOT.validators


def log_request(entry: JournalEntry) -> None:
    if request_log.isEnabledFor(logging.INFO):
        what = entry.operation or entry.path
        request_log.info("%s %s %s %s", entry.method, what, entry.verdict, entry.code, extra={"entry": entry})


DIAGNOSE_HEADER = "x-mock-diagnose"


_ANY_WHITESPACE = re.compile(rb"[ \t\r\n]")
_STRING_OR_SPACE = re.compile(rb'"(?:[^"\\]|\\.)*"|[ \t\r\n]')


def body_warnings(body: bytes, headers: dict[str, str]) -> list[Warning]:
    """Documented body rules a signed POST broke (accepted, as live accepts them)."""
    out: list[Warning] = []
    if body and _ANY_WHITESPACE.search(body):
        for m in _STRING_OR_SPACE.finditer(body):
            if m.group() in (b" ", b"\t", b"\r", b"\n"):
                out.append(warn("body-not-compact", "whitespace outside JSON strings; the docs ask for compact JSON"))
                break
    ctype = headers.get("content-type", "")
    if not ctype.lower().startswith("application/json"):
        shown = repr(ctype[:40]) if ctype else "missing"
        out.append(warn("content-type", f"Content-Type {shown}; the docs ask application/json"))
    return out


@dataclass(slots=True)
class RequestContext:
    """One request on an exchange path, as the pipeline's checks see it and fill it in."""

    endpoint: Endpoint | None
    method: str
    path: str
    raw_query: bytes
    headers: dict[str, str]
    body: bytes
    client_ip: str | None
    now_ms: int
    entry: JournalEntry
    #: The product the request is for: its endpoint's, or (no endpoint) the one whose prefix the path is under.
    product: Product = SPOT
    # What the route saw on arrival (admission); a replay leaves them unset.
    generation: int | None = None  # the state's generation when the request arrived
    too_large: bool = False  # the body passed the size limit (and was not read)
    fault: Decision | None = None
    # Filled in by the checks as they pass.
    auth: AuthResult | None = None
    account: Account | None = None
    args: dict[str, Any] | None = None  # typed, once check_parameters has passed
    raw: dict[str, Any] | None = None  # as sent (for echoing)
    warnings: tuple[Warning, ...] = ()
    #: The class name of the shared error that refused the request, before the product translated it
    #: (the durable log skips refusals that changed nothing by this name, whatever the product calls them).
    refused_by: str | None = None

    @property
    def ep(self) -> Endpoint:
        """The endpoint, once ``check_found`` has passed."""
        ep = self.endpoint
        assert ep is not None
        return ep


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


#: Verdicts of requests whose signature was verified (the doctor trusts their client with the key).
_SIGNED_OK = frozenset({"accepted", PLACE_REFUSED})


#: What runs the exchange's checks for an admitted request (it calls the pipeline's ``handle``).
Around = Callable[["RequestContext"], "Reply"]
#: Told of a request about to reach its handler (its parameters have passed).
Hook = Callable[["RequestContext"], None]

#: One step of the pipeline: ``None`` to pass the request on, or the verdict that ends it. A check
#: may also raise the exchange's error (BitunixError): :meth:`Pipeline.refused` turns it into a verdict.
Check = Callable[[RequestContext], "Verdict | None"]


class Pipeline:
    """The request pipeline of the exchange paths: one ordered list of checks, one journal write.

    ``admission`` runs when a request arrives (the route calls :meth:`admit`); ``checks`` are the
    exchange's own, in its order, and what a durable state directory replays (:meth:`handle`).
    Every verdict, accepted or refused, is written to the journal by :meth:`record` alone.
    """

    def __init__(
        self,
        state: MockState,
        *,
        around: Around | None = None,
        before_handler: tuple[Hook, ...] = (),
        products: tuple[Product, ...] = PRODUCTS,
    ) -> None:
        self.state = state
        #: The products this pipeline serves (the first answers paths under no product's prefix).
        self.products = products
        #: Runs the exchange's checks for a request that passed admission (``around(ctx, self.handle)``):
        #: with a state directory, the durable log (``app.py`` composes it).
        self.around = around
        #: Called once a request is about to reach its handler (the counterparty's turn, composed in ``app.py``).
        self.before_handler = before_handler
        self.admission: tuple[Check, ...] = (self.check_stale, self.check_size, self.check_fault)
        self.checks: tuple[Check, ...] = (
            self.check_found,
            self.check_method,
            self.check_ip_limit,  # public calls count per IP before anything else
            self.check_signature,
            self.check_key_limit,  # signed calls count per *verified* key: nobody spends another key's budget
            self.check_nonce_and_access,
            self.check_parameters,
            self.run_handler,
        )

    # ------------------------------------------------------------------ the two runs

    def admit(self, ctx: RequestContext) -> Reply:
        """A request that just arrived: admission, then the exchange's checks (through the durable hook)."""
        for check in self.admission:
            verdict = check(ctx)
            if verdict is not None:
                return self.record(ctx, verdict)
        around = self.around  # with a state directory: logged before the reply is sent
        return self.handle(ctx) if around is None else around(ctx)

    def handle(self, ctx: RequestContext) -> Reply:
        """The exchange's checks and the handler, in order; the first verdict ends the request."""
        verdict: Verdict | None = None
        try:
            for check in self.checks:
                verdict = check(ctx)
                if verdict is not None:
                    break
        except BitunixError as err:
            verdict = self.refused(ctx, err)
        except Exception:
            # Never a traceback to the client: log it here, answer the exchange's system error.
            log.exception("unexpected error on %s %s", ctx.method, ctx.path)
            verdict = self.verdict(ctx, SystemError("internal error; see the server log"))
        assert verdict is not None, "run_handler always ends the request"
        return self.record(ctx, verdict)

    # ------------------------------------------------------------------ admission

    def check_stale(self, ctx: RequestContext) -> Verdict | None:
        began = ctx.generation
        if began is None or began == self.state.generation:
            return None
        return refuse_stale(self.state, ctx, began)  # a reset/restore happened since it began

    def check_size(self, ctx: RequestContext) -> Verdict | None:
        if not ctx.too_large:
            return None
        return self.verdict(ctx, BodyTooLarge(f"body over {self.state.config.max_body_bytes} bytes"))

    def check_fault(self, ctx: RequestContext) -> Verdict | None:
        decision = ctx.fault
        if decision is None or decision.reply is None:
            return None
        reply = fault_reply(decision, ctx.product)
        code = decision.reply.code if decision.reply.action == "error" else str(reply.status)
        return Verdict("fault", code, f"injected by {decision.rules[-1]}", reply)

    # ------------------------------------------------------------------ the exchange's checks

    def check_found(self, ctx: RequestContext) -> Verdict | None:
        ep = ctx.endpoint
        if ep is None:
            raise NotFound(f"no endpoint at {ctx.path}")
        ctx.entry.operation = ep.operation
        return None

    def check_method(self, ctx: RequestContext) -> Verdict | None:
        ep = ctx.ep
        if ctx.method != ep.method:
            raise MethodNotAllowed(f"{ep.path} takes {ep.method}, not {ctx.method}")
        return None

    def check_ip_limit(self, ctx: RequestContext) -> Verdict | None:
        ep = ctx.ep
        if not ep.auth:
            self._count(ctx, None)
        return None

    def check_signature(self, ctx: RequestContext) -> Verdict | None:
        if ctx.ep.auth:
            ctx.entry.api_key = ctx.headers.get("api-key") or None  # journaled even if auth refuses it
            state = self.state
            auth = state.verifier.authenticate(
                ctx.headers, ctx.raw_query, ctx.body, now_ms=ctx.now_ms, lookup=state.exchange.accounts_by_key
            )
            ctx.auth = auth
            ctx.account = auth.account
            if auth.warnings:
                ctx.warnings += auth.warnings
        return None

    def check_key_limit(self, ctx: RequestContext) -> Verdict | None:
        if ctx.account is not None:
            self._count(ctx, ctx.account.api_key)
        return None

    def check_nonce_and_access(self, ctx: RequestContext) -> Verdict | None:
        auth = ctx.auth
        if auth is not None:
            switch = ctx.product.replay_switch  # a product may leave the replay check to a switch (futures)
            self.state.verifier.authorize(
                auth,
                now_ms=ctx.now_ms,
                permission=ctx.ep.permission,
                client_ip=ctx.client_ip,
                replay=switch is None or self.state.switch(switch) == "profile",
            )
        return None

    def check_parameters(self, ctx: RequestContext) -> Verdict | None:
        ep = ctx.ep
        validate = ctx.product.validators[ep.operation]
        if ep.in_query:
            ctx.raw = raw = dict(query_pairs(ctx.raw_query)) if ctx.raw_query else {}
            ctx.args = validate(raw, None, "")
            return None
        ctx.raw = raw = decode_json_object(ctx.body)
        found: list[Warning] = []  # kept only if the parameters pass
        ctx.args = validate(raw, found, "")
        if found:
            ctx.warnings += tuple(found)
        if ep.auth:
            broken = body_warnings(ctx.body, ctx.headers)
            if broken:
                ctx.warnings += tuple(broken)
        return None

    def run_handler(self, ctx: RequestContext) -> Verdict:
        state, ep, args, raw = self.state, ctx.ep, ctx.args, ctx.raw
        assert args is not None and raw is not None, "check_parameters has passed"
        for hook in self.before_handler:
            hook(ctx)
        product = ctx.product
        data = product.handlers[ep.operation](Call(state, ctx.account, args, raw, ctx.now_ms))
        reply = Reply(200, product.success_body(data, product.msg_of(ep)))
        if ctx.warnings and self._diagnosing(ctx):
            reply.headers.append((WARNINGS_HEADER, _header_safe("; ".join(w.text() for w in ctx.warnings))))
        return _accepted(ep.operation, data, reply)

    # ------------------------------------------------------------------ refusals and the journal

    def verdict(self, ctx: RequestContext, err: BitunixError) -> Verdict:
        """The verdict for ``err`` in the words of the request's product (its error, code and envelope)."""
        own, body = ctx.product.refusal(err)
        ctx.refused_by = type(err).__name__
        return Verdict(type(own).__name__, own.code, own.detail, Reply(own.http_status, body))

    def refused(self, ctx: RequestContext, err: BitunixError) -> Verdict:
        """The verdict for an exchange error; the explanations (doctor, hints) are made only here.

        The checks raise the shared errors; the product translates them (:meth:`verdict`), and the
        explanations key on the shared error, so the doctor serves every product alike."""
        verdict = self.verdict(ctx, err)
        headers = verdict.reply.headers
        diagnosing = self._diagnosing(ctx)
        if isinstance(err, MethodNotAllowed) and ctx.endpoint is not None and verdict.reply.status == 405:
            headers.append((b"allow", ctx.endpoint.method.encode()))  # RFC 9110 asks every 405 to say what is allowed
        explained = verdict.detail
        if isinstance(err, RequestExpired):
            # Refused before the signature is checked, so the doctor never runs: name seconds here.
            hint = timestamp_hint(ctx.headers.get("timestamp", ""))
            if hint is not None:
                verdict.detail = explained = f"{verdict.detail}; {hint}"
                verdict.note("diagnosis", {"mistake": "seconds-timestamp", "message": SECONDS_HEADER_MESSAGE})
        if isinstance(err, SignatureError):
            found = self._doctor(ctx)
            if found is not None:
                verdict.note("diagnosis", found.to_json())
                explained = found.header()
                if diagnosing:
                    headers.append((EXPECTED_INPUT_HEADER, quote(found.expected_digest_input).encode("ascii")))
        if diagnosing and explained:
            headers.append((DIAGNOSIS_HEADER, _header_safe(explained)))
        return verdict

    def record(self, ctx: RequestContext, verdict: Verdict) -> Reply:
        """The one place a request's verdict reaches the journal; the reply gets the entry's id."""
        entry = ctx.entry
        if ctx.warnings:  # journaled even when a later check refused the request
            entry.extra["warnings"] = [w.to_json() for w in ctx.warnings]
        return record_entry(entry, verdict)

    def _count(self, ctx: RequestContext, api_key: str | None) -> None:
        limiter, ep = self.state.rate_limiter, ctx.ep
        if limiter.enabled and not limiter.allow(ep, api_key, ctx.client_ip, ctx.now_ms):
            lim = limiter.limit(ep)
            raise TooFrequent(f"over {lim.per_second} requests/s per {lim.scope} on {ep.operation}")

    def _diagnosing(self, ctx: RequestContext) -> bool:
        return self.state.config.always_diagnose or ctx.headers.get(DIAGNOSE_HEADER, "") not in ("", "0")

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


def _accepted(operation: str, data: Any, reply: Reply) -> Verdict:
    """Refused placements are not "accepted": a single one, or a batch whose every item was refused.

    A batch with some items placed stays accepted; its refused items are listed in ``refused_items``.
    """
    if operation == "place_order" and isinstance(data, dict) and data.get("placeStatus") == 0:
        detail = f"placement refused: {data.get('placeCode')} {data.get('placeMsg')}"
        return Verdict(PLACE_REFUSED, str(data.get("placeCode")), detail, reply)
    verdict = Verdict("accepted", "0", "", reply)
    if operation == "place_order_batch" and isinstance(data, list):
        refused = [
            {"index": i, "placeCode": str(item.get("placeCode")), "placeMsg": item.get("placeMsg")}
            for i, item in enumerate(data)
            if isinstance(item, dict) and item.get("placeStatus") == 0
        ]
        if refused:
            verdict.note("refused_items", refused)
            shown = "; ".join(f"[{r['index']}] {r['placeCode']} {r['placeMsg']}" for r in refused[:5])
            verdict.detail = f"{len(refused)} of {len(data)} orders refused: {shown}"
            if len(refused) == len(data):
                verdict.name, verdict.code = PLACE_REFUSED, str(refused[0]["placeCode"])
    return verdict


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


def fault_reply(decision: Decision, product: Product = SPOT) -> Reply:
    """The answer an error or status fault puts in place of the exchange's (an error in ``product``'s envelope)."""
    rule = decision.reply
    assert rule is not None
    headers = [JSON_CONTENT]
    if rule.retry_after is not None:
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    if rule.action == "error":
        assert rule.code is not None
        info = product.errors.get(rule.code)
        msg = rule.msg if rule.msg is not None else (info.msg if info else "")
        status = rule.status or (info.http_status if info else 200)
        return Reply(status, product.error_body(rule.code, msg), headers)
    assert rule.status is not None
    if rule.body is not None:
        return Reply(rule.status, rule.body.encode("utf-8"), [(b"content-type", b"text/plain"), *headers[1:]])
    return Reply(rule.status, b"", headers[1:])


class ExchangeRoute:
    """ASGI app for one exchange path (or, with ``endpoint=None``, for every unknown path).

    It does what needs the event loop - reading the body, a fault's latency, sending - and
    leaves every decision to :meth:`Pipeline.admit`, which runs synchronously: on the event
    loop each request is atomic.
    """

    def __init__(
        self, state: MockState, pipeline: Pipeline, endpoint: Endpoint | None, product: Product | None = None
    ) -> None:
        self.state = state
        self.pipeline = pipeline
        self.endpoint = endpoint
        self.operation = endpoint.operation if endpoint is not None else None
        #: The endpoint's product; ``None`` (the 404 route): the product whose prefix the path is under.
        self.product = product

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        generation = state.generation  # in-flight isolation: see mockserver.inflight
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        client_ip = client[0] if client else None
        method: str = scope["method"]
        path: str = scope["path"]
        raw_query: bytes = scope.get("query_string", b"")
        limit = state.config.max_body_bytes
        read = TOO_LARGE if declared_over(headers.get("content-length"), limit) else await read_body(receive, limit)
        if isinstance(read, Disconnected):
            ctx = self._context(method, path, raw_query, headers, b"", client_ip, state.clock.now_ms())
            detail = "the client closed the connection before its body was complete; not processed"
            self.pipeline.record(ctx, Verdict("disconnected", None, detail, Reply(0, b"", [])))
            log_request(ctx.entry)
            return
        too_large = isinstance(read, TooLarge)
        body = b"" if isinstance(read, TooLarge) else read
        now = state.clock.now_ms()
        ctx = self._context(method, path, raw_query, headers, body, client_ip, now)
        ctx.generation, ctx.too_large = generation, too_large
        decision = state.faults.decide(method, path, headers.get("api-key")) if state.faults else None
        if decision is not None:
            ctx.fault = decision
            ctx.entry.extra["faults"] = decision.rules
            if decision.delay_ms:
                await asyncio.sleep(decision.delay_ms / 1000)
        reply = self.pipeline.admit(ctx)
        drop = decision is not None and decision.drop
        if drop:
            ctx.entry.extra["dropped"] = True
        log_request(ctx.entry)
        # The arrival time serves unless a fault held the request (a request never moves the clock).
        date = http_date(now if decision is None else state.clock.now_ms())
        await send_reply(send, reply, drop=drop, date=date)

    def _context(
        self, method: str, path: str, raw_query: bytes, headers: dict[str, str], body: bytes, ip: str | None, now: int
    ) -> RequestContext:
        """The request's context, with its journal entry opened (named by operation even if refused early)."""
        entry = self.state.journal.open(now, method, path, raw_query.decode("latin-1"), headers, body, ip)
        entry.operation = self.operation
        product = self.product or endpoint_at(path, self.pipeline.products)[0]
        entry.product = product.name
        return RequestContext(self.endpoint, method, path, raw_query, headers, body, ip, now, entry, product)
