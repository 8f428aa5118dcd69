"""The admin namespace: everything that steers the mock, under ``/_mock``.

Routes are declared in :data:`ADMIN_ROUTES` (method, path, summary, handler,
schemas) so the OpenAPI document and the README list them from one place.
When an admin token is configured, every admin call must carry it in the
``x-mock-admin-token`` header.
"""

from __future__ import annotations

import functools
import platform
import re
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio.to_thread
import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, compile_path

from ..api import bounds
from ..api.auth import PROFILES
from ..api.bodies import TOO_LARGE, Disconnected, TooLarge, declared_over, read_body, receive_body
from ..api.endpoints import ENDPOINTS
from ..api.products import PRODUCTS
from ..config import ADMIN_PREFIX
from ..version import __version__
from .access import ADMIN_TOKEN_HEADER, admin_refusal
from .controller import AdminError, Controller, entry_json, to_curl
from .schema import (
    AccountSpec,
    BookSpec,
    ClockSpec,
    FaultSpec,
    FundingSpec,
    FundSpec,
    IndexSpec,
    LiquidateSpec,
    MarkSpec,
    OpenPositionSpec,
    PriceSpec,
    ProfileSpec,
    RateLimitSpec,
    ResetSpec,
    SchemaError,
    ScriptSpec,
    SettleSpec,
    TenantSpec,
    parse,
    request_schema,
)
from .snapshot import capture, encode, snapshot_schema, yield_interpreter

if TYPE_CHECKING:
    from ..state import MockState

T = TypeVar("T")

__all__ = [
    "ADMIN_ROUTES",
    "AdminOp",
    "AdminRoute",
    "admin_openapi",
    "admin_routes",
    "read_admin_body",
    "run_admin_now",
]

Handler = Callable[["MockState", Request], Awaitable[Response]]


@dataclass(frozen=True)
class AdminRoute:
    method: str
    path: str  # below ADMIN_PREFIX
    summary: str
    handler: Handler
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = field(default_factory=lambda: {"type": "object"})  # None: 204, no body
    open: bool = False  # answers without the admin token (health, version)

    @property
    def logged(self) -> bool:
        """Whether a state directory logs this route's calls (the writes that change the mock)."""
        return isinstance(self.handler, AdminOp) and self.handler.logged and self.method not in ("GET", "HEAD")


def admin_error(status: int, message: str) -> JSONResponse:
    # A message that quotes input must still encode: a lone surrogate is shown as its escape, never a 500.
    return JSONResponse({"error": message.encode("utf-8", "backslashreplace").decode("utf-8")}, status_code=status)


async def health(state: MockState, request: Request) -> Response:
    return JSONResponse({"status": "ok", "now_ms": state.clock.now_ms()})


async def version(state: MockState, request: Request) -> Response:
    return JSONResponse(
        {
            "version": __version__,
            "api": "bitunix-spot",
            "profile": state.verifier.profile.name,
            "profiles": {name: p.description for name, p in PROFILES.items()},
            "endpoints": len(ENDPOINTS),
            # "api" above stays what clients detect a running mock by; the products served are listed here.
            "products": {p.name: len(p.endpoints) for p in PRODUCTS},
            "python": platform.python_version(),
        }
    )


async def openapi(state: MockState, request: Request) -> Response:
    from ..api.openapi import build_openapi

    return JSONResponse(build_openapi(admin_openapi()))


#: The largest admin body (every admin body but a snapshot is small).
MAX_ADMIN_BODY = 64 * 1024
#: The largest snapshot ``/restore`` reads.
MAX_RESTORE_BODY = 32 * 1024 * 1024


async def read_admin_body(request: Request, limit: int) -> bytes:
    """The body (:func:`~mockserver.api.bodies.read_body`), refused with 413 once it passes ``limit`` bytes."""
    read = (
        TOO_LARGE
        if declared_over(request.headers.get("content-length"), limit)
        else await read_body(request.receive, limit)
    )
    if isinstance(read, TooLarge):
        raise AdminError(413, f"body: over {limit} bytes")
    if isinstance(read, Disconnected):
        raise ClientDisconnect()
    return read


async def _json_body(request: Request, limit: int = MAX_ADMIN_BODY) -> Any:
    """The body as JSON through the one numeric boundary (:func:`bounds.loads`); empty is ``{}``."""
    return _parse_json(await read_admin_body(request, limit), limit)


def _parse_json(raw: bytes, limit: int) -> Any:
    if not raw.strip():
        return {}
    try:
        # A snapshot legitimately holds many values: the size limit bounds them (a value takes >= 2 bytes).
        doc = bounds.loads(raw, max_values=max(bounds.MAX_JSON_VALUES, limit // 2))
    except bounds.BoundError as exc:
        raise AdminError(400, f"body: {exc}") from None
    if _SURROGATE_ESCAPE.search(raw):  # only an escape can carry one: raw surrogate bytes are not UTF-8
        where = _lone_surrogate(doc, "")
        if where is not None:
            place, char = where
            raise AdminError(
                400,
                f"body: {place or 'the document'} holds a lone surrogate (\\u{ord(char):04x}), which is not Unicode "
                "text (a character beyond U+FFFF is sent as a surrogate pair)",
            )
    return doc


#: A JSON escape of a UTF-16 surrogate (a pair is fine, one alone is not text).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _lone_surrogate(doc: Any, at: str) -> tuple[str, str] | None:
    """The first string of ``doc`` holding a lone surrogate: (where, the surrogate); None when there is none.

    ``json`` joins a proper pair into one character, so any surrogate left in a string stands alone.
    """
    if isinstance(doc, str):
        found = _SURROGATES.search(doc)
        return (at, found.group()) if found else None
    if isinstance(doc, dict):
        for key, value in doc.items():
            found = _SURROGATES.search(key)
            if found:
                shown = key[:40].encode("utf-8", "backslashreplace").decode("ascii", "replace")
                return (f'{at + ": " if at else ""}the key "{shown}"', found.group())
            inner = _lone_surrogate(value, f"{at}.{key}" if at else key)
            if inner is not None:
                return inner
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            inner = _lone_surrogate(value, f"{at}[{i}]")
            if inner is not None:
                return inner
    return None


async def _object(request: Request) -> dict[str, Any]:
    doc = await _json_body(request)
    if not isinstance(doc, dict):
        raise AdminError(400, "body: must be a JSON object")
    return doc


async def _checked(request: Request, model: type[Any]) -> dict[str, Any]:
    """The body, after it passed ``model`` (unknown fields, types and ranges refused with 400)."""
    doc = await _object(request)
    try:
        parse(model, doc)
    except SchemaError as exc:
        raise AdminError(400, str(exc)) from None
    return doc


def _q_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return bounds.bounded_int(value, name)
    except bounds.BoundError as exc:
        raise AdminError(400, str(exc)) from None


Op = Callable[[Controller, Request], Awaitable[Any]]


@dataclass(frozen=True)
class AdminOp:
    """An admin handler from a controller call: JSON in, JSON out, AdminError -> its status.

    ``logged``: with a state directory, a write through it is logged before it is answered
    (``app.py`` wraps it with the directory's hook); tenants say False, since they live in
    memory only and creating or deleting one is never replayed.
    """

    fn: Op
    logged: bool = True

    async def __call__(self, state: MockState, request: Request) -> Response:
        try:
            result = await self.fn(Controller(state), request)
        except AdminError as err:
            return admin_error(err.status, err.message)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        return JSONResponse(result)


_op = AdminOp


def _p(request: Request, name: str) -> str:
    return str(request.path_params[name])


def _plain(call: Callable[[Controller], Any]) -> Op:
    """An admin op that takes nothing from the request: ``call`` on the controller."""

    async def op(c: Controller, r: Request) -> Any:
        return call(c)

    return op


def _by(name: str, call: Callable[[Controller, str], Any]) -> Op:
    """An admin op of one path parameter: ``call`` on the controller with the parameter ``name``."""

    async def op(c: Controller, r: Request) -> Any:
        return call(c, _p(r, name))

    return op


# The admin ops that only hand a path parameter, or nothing, to the controller.
_status = _plain(Controller.status)
_audit = _plain(Controller.audit)
_get_switches = _plain(Controller.switches)
_accounts = _plain(Controller.accounts)
_get_clock = _plain(Controller.clock_json)
_faults = _plain(Controller.faults)
_get_limits = _plain(Controller.rate_limits)
_get_addresses = _by("api_key", Controller.withdraw_addresses)
_account_orders = _by("api_key", Controller.orders)
_reset_account = _by("api_key", Controller.reset_account)
_get_book = _by("symbol", Controller.book)
_clear_book = _by("symbol", Controller.clear_book)


_futures_market = _by("symbol", Controller.futures_market)
_futures_account = _by("api_key", Controller.futures_account)
_positions = _by("api_key", Controller.positions)
_futures_audit = _plain(Controller.futures_audit)


def _with_body(name: str, model: type[Any], call: Callable[[Controller, str, dict[str, Any]], Any]) -> Op:
    """An admin op of one path parameter and a body checked against ``model``."""

    async def op(c: Controller, r: Request) -> Any:
        return call(c, _p(r, name), await _checked(r, model))

    return op


_mark = _with_body("symbol", MarkSpec, Controller.set_mark_price)
_index = _with_body("symbol", IndexSpec, Controller.set_index_price)
_last = _with_body("symbol", PriceSpec, Controller.set_futures_last_price)
_funding = _with_body("symbol", FundingSpec, Controller.set_funding_rate)
_open_position = _with_body("api_key", OpenPositionSpec, Controller.open_position)
_fund_futures = _with_body("api_key", FundSpec, Controller.fund_futures)
_liquidate = _with_body("api_key", LiquidateSpec, Controller.liquidate)


async def _settle(c: Controller, r: Request) -> Any:
    return c.settle_funding(await _checked(r, SettleSpec))


def _base_url(request: Request) -> str:
    """This app's URL as the caller reached it: a tenant's includes its ``/t/<id>`` prefix (the root_path)."""
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


async def _reset(c: Controller, r: Request) -> Any:
    body = await _checked(r, ResetSpec)
    return c.reset(body.get("seed"), body.get("keep_journal", False))


#: Whether the costly half of a snapshot or restore runs in a worker thread (so the event loop
#: serves other clients meanwhile). A state directory's replay turns it off: a replayed admin
#: call must complete without waiting (mockserver.control.persist).
OFFLOAD: ContextVar[bool] = ContextVar("offload", default=True)


async def _offload(fn: Callable[[], T]) -> T:
    if not OFFLOAD.get():
        return fn()
    return await anyio.to_thread.run_sync(fn)


async def _snapshot(c: Controller, r: Request) -> Any:
    # Only the copies are taken with the exchange held (tens of ms for thousands of orders);
    # the document is built and serialized off the event loop.
    captured = capture(c.state)
    body = await _offload(lambda: orjson.dumps(encode(captured, yield_interpreter)))
    return Response(body, media_type="application/json")


async def _restore(c: Controller, r: Request) -> Any:
    raw = await read_admin_body(r, MAX_RESTORE_BODY)
    # Parsing and checking the document builds a new exchange beside the live one: off the loop.
    # Requests meanwhile go to the live exchange, which the restore then replaces at once.
    restored = await _offload(lambda: c.prepare_restore(_parse_json(raw, MAX_RESTORE_BODY)))
    return c.install(restored)


async def _profile(c: Controller, r: Request) -> Any:
    return c.set_profile((await _checked(r, ProfileSpec)).get("name"))


async def _add_addresses(c: Controller, r: Request) -> Any:
    body = await _object(r)
    if set(body) - {"addresses"}:
        raise AdminError(400, f"{sorted(set(body) - {'addresses'})[0]}: unknown field; known: addresses")
    return c.withdraw_addresses(_p(r, "api_key"), body.get("addresses"))


async def _set_switches(c: Controller, r: Request) -> Any:
    return c.switches(await _object(r))


async def _create_account(c: Controller, r: Request) -> Any:
    return c.create_account(await _object(r))


async def _get_account(c: Controller, r: Request) -> Any:
    return c.account_json(c.account(_p(r, "api_key")))


async def _delete_account(c: Controller, r: Request) -> Any:
    c.delete_account(_p(r, "api_key"))


async def _fund(c: Controller, r: Request) -> Any:
    c.account(_p(r, "api_key"))
    body = await _checked(r, FundSpec)
    return c.fund(_p(r, "api_key"), body.get("coin"), body.get("amount"))


async def _seed_book(c: Controller, r: Request) -> Any:
    body = await _checked(r, BookSpec)
    return c.seed_book(_p(r, "symbol"), body.get("bids", []), body.get("asks", []))


async def _price(c: Controller, r: Request) -> Any:
    return c.set_price(_p(r, "symbol"), (await _checked(r, PriceSpec)).get("price"))


async def _scripts(c: Controller, r: Request) -> Any:
    return [s.to_json() for s in c.state.counterparty.scripts]


async def _add_script(c: Controller, r: Request) -> Any:
    return c.add_script(await _object(r))


async def _clear_scripts(c: Controller, r: Request) -> Any:
    c.state.counterparty.clear()


async def _set_clock(c: Controller, r: Request) -> Any:
    return c.clock(await _object(r))


async def _add_fault(c: Controller, r: Request) -> Any:
    return c.add_fault(await _object(r))


async def _clear_faults(c: Controller, r: Request) -> Any:
    c.clear_faults(_q_int(r, "seed"))


async def _remove_fault(c: Controller, r: Request) -> Any:
    c.remove_fault(_p(r, "fault_id"))


async def _set_limits(c: Controller, r: Request) -> Any:
    return c.rate_limits(await _object(r))


async def _journal(c: Controller, r: Request) -> Any:
    q = r.query_params
    limit = _q_int(r, "limit")
    return c.journal(
        api_key=q.get("api_key"),
        since_ms=_q_int(r, "since_ms"),
        until_ms=_q_int(r, "until_ms"),
        verdict=q.get("verdict"),
        operation=q.get("operation"),
        path=q.get("path"),
        product=q.get("product"),
        limit=100 if limit is None else limit,
        bodies=q.get("bodies", "1") not in ("0", "false"),
    )


async def _journal_export(c: Controller, r: Request) -> Any:
    entries = [entry_json(e) for e in c.state.journal]
    return JSONResponse(
        {"entries": entries, "count": len(entries)},
        headers={"content-disposition": 'attachment; filename="mock-journal.json"'},
    )


async def _journal_entry(c: Controller, r: Request) -> Any:
    return entry_json(c.journal_entry(_entry_id(r)))


async def _journal_curl(c: Controller, r: Request) -> Any:
    return PlainTextResponse(to_curl(c.journal_entry(_entry_id(r)), _base_url(r)) + "\n")


async def _clear_journal(c: Controller, r: Request) -> Any:
    c.state.journal.clear()


async def _tenants(c: Controller, r: Request) -> Any:
    return c.tenants(_base_url(r))


async def _create_tenant(c: Controller, r: Request) -> Any:
    return c.create_tenant(await _object(r), _base_url(r))


async def _tenant(c: Controller, r: Request) -> Any:
    return c.tenant(_p(r, "tenant_id"), _base_url(r))


async def _delete_tenant(c: Controller, r: Request) -> Any:
    c.delete_tenant(_p(r, "tenant_id"))


def _entry_id(r: Request) -> int:
    try:
        return int(_p(r, "entry_id"))
    except ValueError:
        raise AdminError(400, "journal entry ids are integers") from None


def _list_of(*required: str) -> dict[str, Any]:
    """An array of objects that each hold at least ``required`` (what a client may rely on)."""
    return {"type": "array", "items": {"type": "object", "required": list(required)}}


_SNAPSHOT_SCHEMA: dict[str, Any] = snapshot_schema()

ADMIN_ROUTES: list[AdminRoute] = [
    AdminRoute("GET", "/health", "Liveness: answers as soon as the server serves", health, open=True),
    AdminRoute("GET", "/version", "Mock version, active verification profile, endpoint count", version, open=True),
    AdminRoute("GET", "/openapi.json", "This document", openapi, open=True),
    AdminRoute("GET", "/status", "Seed, profile, clock and counts of accounts, orders, journal, faults", _op(_status)),
    AdminRoute(
        "POST", "/reset", "Whole-exchange reset: {seed?, keep_journal?}", _op(_reset), request=request_schema(ResetSpec)
    ),
    AdminRoute("GET", "/snapshot", "The whole exchange as JSON (secrets, books, orders)", _op(_snapshot)),
    AdminRoute("POST", "/restore", "Replace the exchange with a snapshot", _op(_restore), request=_SNAPSHOT_SCHEMA),
    AdminRoute("GET", "/audit", "Money conservation: per coin, money created or lost (all zero)", _op(_audit)),
    AdminRoute(
        "POST",
        "/profile",
        "Switch the verification profile: {name}",
        _op(_profile),
        request=request_schema(ProfileSpec),
    ),
    AdminRoute(
        "GET", "/accounts/{api_key}/withdraw-addresses", "Addresses the account may withdraw to", _op(_get_addresses)
    ),
    AdminRoute(
        "POST",
        "/accounts/{api_key}/withdraw-addresses",
        "Whitelist withdrawal addresses (live: registered on the website): {addresses: [...]}",
        _op(_add_addresses),
        request={
            "type": "object",
            "properties": {"addresses": {"type": "array", "items": {"type": "string", "maxLength": 128}}},
            "required": ["addresses"],
            "additionalProperties": False,
        },
    ),
    AdminRoute("GET", "/switches", "Behaviours with thin evidence and their values in force", _op(_get_switches)),
    AdminRoute(
        "POST",
        "/switches",
        "Change switches until the next whole reset: {name: value}",
        _op(_set_switches),
        request={"type": "object", "additionalProperties": {"type": "string"}},
    ),
    AdminRoute(
        "GET",
        "/accounts",
        "Every api-key account with balances",
        _op(_accounts),
        response=_list_of("api_key", "uid", "balances"),
    ),
    AdminRoute(
        "POST",
        "/accounts",
        "Create an account: {api_key?, secret?, label?, balances?, permissions?, ip_whitelist?}",
        _op(_create_account),
        request=request_schema(AccountSpec),
    ),
    AdminRoute("GET", "/accounts/{api_key}", "One account", _op(_get_account)),
    AdminRoute(
        "GET",
        "/accounts/{api_key}/orders",
        "The engine's view of the account's orders",
        _op(_account_orders),
        response=_list_of(),
    ),
    AdminRoute(
        "DELETE", "/accounts/{api_key}", "Close an account (orders cancelled)", _op(_delete_account), response=None
    ),
    AdminRoute(
        "POST",
        "/accounts/{api_key}/reset",
        "Reset one account: orders cancelled and forgotten, opening balances back",
        _op(_reset_account),
    ),
    AdminRoute(
        "POST",
        "/accounts/{api_key}/fund",
        "Add (or, negative, withdraw) a balance: {coin, amount}",
        _op(_fund),
        request=request_schema(FundSpec),
    ),
    AdminRoute("GET", "/markets/{symbol}/book", "The pair's aggregated book", _op(_get_book)),
    AdminRoute(
        "POST",
        "/markets/{symbol}/book",
        "Rest orders from a system account: {bids: [[price, volume]], asks: [...]}",
        _op(_seed_book),
        request=request_schema(BookSpec),
    ),
    AdminRoute("DELETE", "/markets/{symbol}/book", "Cancel every resting order of the pair", _op(_clear_book)),
    AdminRoute(
        "POST",
        "/markets/{symbol}/price",
        "Set the last/reference price: {price}",
        _op(_price),
        request=request_schema(PriceSpec),
    ),
    AdminRoute(
        "GET",
        "/counterparty",
        "Counterparty scripts and what they filled",
        _op(_scripts),
        response=_list_of("id", "account_id", "done", "fills"),
    ),
    AdminRoute(
        "POST",
        "/counterparty",
        "Fill an account's resting orders: {api_key, product?, symbol?, order_id?, after_polls?, at_ms?, fraction?}",
        _op(_add_script),
        request=request_schema(ScriptSpec),
    ),
    AdminRoute("DELETE", "/counterparty", "Drop every counterparty script", _op(_clear_scripts), response=None),
    AdminRoute(
        "GET",
        "/futures/markets/{symbol}",
        "A futures contract's mark, index and last price, funding rate and next settlement instant",
        _op(_futures_market),
    ),
    AdminRoute(
        "POST",
        "/futures/markets/{symbol}/mark",
        "Set the futures mark price (TP/SL and liquidations run at once): {price, follow_last?}",
        _op(_mark),
        request=request_schema(MarkSpec),
    ),
    AdminRoute(
        "POST",
        "/futures/markets/{symbol}/index",
        "Set the futures index price (null: it reads as the mark): {price}",
        _op(_index),
        request=request_schema(IndexSpec),
    ),
    AdminRoute(
        "POST",
        "/futures/markets/{symbol}/last",
        "Set the futures last price (and the mark when it follows the last): {price}",
        _op(_last),
        request=request_schema(PriceSpec),
    ),
    AdminRoute(
        "POST",
        "/futures/markets/{symbol}/funding",
        "Set the funding rate, percent per interval (settle: charge it now): {rate, settle?}",
        _op(_funding),
        request=request_schema(FundingSpec),
    ),
    AdminRoute(
        "POST",
        "/futures/funding/settle",
        "Settle funding now at the current rates: {symbol?}",
        _op(_settle),
        request=request_schema(SettleSpec),
    ),
    AdminRoute(
        "GET",
        "/futures/accounts/{api_key}",
        "The account's futures wallet: balances, summary, open positions",
        _op(_futures_account),
    ),
    AdminRoute(
        "POST",
        "/futures/accounts/{api_key}/fund",
        "Add (or, negative, withdraw) futures wallet USDT: {coin, amount}",
        _op(_fund_futures),
        request=request_schema(FundSpec),
    ),
    AdminRoute(
        "GET",
        "/futures/accounts/{api_key}/positions",
        "The account's open futures positions",
        _op(_positions),
        response=_list_of("position_id", "symbol", "side", "qty"),
    ),
    AdminRoute(
        "POST",
        "/futures/accounts/{api_key}/positions",
        "Open a test position against the house, no order, no fee: {symbol, side, qty, price?, leverage?, "
        "margin_mode?}",
        _op(_open_position),
        request=request_schema(OpenPositionSpec),
    ),
    AdminRoute(
        "POST",
        "/futures/accounts/{api_key}/liquidate",
        "Force a liquidation: move the mark to the position's liquidation price: {symbol, side?}",
        _op(_liquidate),
        request=request_schema(LiquidateSpec),
    ),
    AdminRoute(
        "GET", "/futures/audit", "Futures money conservation: identities (all zero) and invariants", _op(_futures_audit)
    ),
    AdminRoute("GET", "/clock", "Server time: now_ms, frozen, offset_ms", _op(_get_clock)),
    AdminRoute(
        "POST",
        "/clock",
        "Steer time: {offset_ms?, freeze?, at_ms?, advance_ms?, unfreeze?}",
        _op(_set_clock),
        request=request_schema(ClockSpec),
    ),
    AdminRoute(
        "GET",
        "/faults",
        "Active fault rules with match and fire counts",
        _op(_faults),
        response=_list_of("id", "action", "matched", "fired"),
    ),
    AdminRoute(
        "POST",
        "/faults",
        "Add a fault: {action: latency|error|status|drop, method?, path?, api_key?, ...}",
        _op(_add_fault),
        request=request_schema(FaultSpec),
    ),
    AdminRoute("DELETE", "/faults", "Drop every fault (?seed= reseeds)", _op(_clear_faults), response=None),
    AdminRoute("DELETE", "/faults/{fault_id}", "Drop one fault", _op(_remove_fault), response=None),
    AdminRoute("GET", "/rate-limits", "Rate limits in force and whether they are enforced", _op(_get_limits)),
    AdminRoute(
        "POST",
        "/rate-limits",
        "Switch limits: {enabled?, per_second?: {operation: n}}",
        _op(_set_limits),
        request=request_schema(RateLimitSpec),
    ),
    AdminRoute(
        "GET",
        "/journal",
        "Requests, newest first: ?api_key, since_ms, until_ms, verdict (accepted|rejected|<rule>), operation, "
        "path, product (spot|futures), limit, bodies",
        _op(_journal),
        response=_list_of("id", "time_ms", "method", "path", "verdict", "code", "status"),
    ),
    AdminRoute("GET", "/journal/export", "The whole journal as a JSON download", _op(_journal_export)),
    AdminRoute("GET", "/journal/{entry_id}", "One journal entry", _op(_journal_entry)),
    AdminRoute(
        "GET",
        "/journal/{entry_id}/curl",
        "A curl line that re-sends the request",
        _op(_journal_curl),
        response={"type": "string"},
    ),
    AdminRoute("DELETE", "/journal", "Empty the journal", _op(_clear_journal), response=None),
    AdminRoute(
        "GET",
        "/tenants",
        "Live tenants (independent mocks under /t/<id>/): id, url, label, spec, idle_ms, requests; count, limit",
        _op(_tenants, logged=False),
    ),
    AdminRoute(
        "POST",
        "/tenants",
        "Create a tenant: {seed?, liquidity?, profile?, switches?, rate_limits?, label?}; its url serves "
        "/api/spot/v1/... and /_mock/...",
        _op(_create_tenant, logged=False),
        request=request_schema(TenantSpec),
    ),
    AdminRoute("GET", "/tenants/{tenant_id}", "One tenant", _op(_tenant, logged=False)),
    AdminRoute(
        "DELETE",
        "/tenants/{tenant_id}",
        "Delete a tenant (its requests in flight are refused)",
        _op(_delete_tenant, logged=False),
        response=None,
    ),
]


def _responses(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The declared answer: 204 without a body for ``None``, else 200 with ``schema`` (a string is the
    text/plain of a curl line, everything else JSON)."""
    if schema is None:
        return {"204": {"description": "No Content"}}
    media = "text/plain" if schema.get("type") == "string" else "application/json"
    return {"200": {"description": "OK", "content": {media: {"schema": schema}}}}


def admin_openapi() -> list[dict[str, Any]]:
    out = []
    paths_seen = [r.path for r in ADMIN_ROUTES]
    for r in ADMIN_ROUTES:
        name = r.path.strip("/").replace("/", "_").replace(".", "_").replace("{", "").replace("}", "")
        # Operation ids are unique in a document: a path served by several methods names the method.
        shared = paths_seen.count(r.path) > 1
        op: dict[str, Any] = {
            "operationId": "admin_" + (f"{r.method.lower()}_" if shared else "") + name,
            "summary": r.summary,
            "tags": ["admin (mock only)"],
            "responses": _responses(r.response),
        }
        schemas: dict[str, Any] = {}
        if r.request is not None:
            request = dict(r.request)
            schemas = request.pop("$defs", {})  # nested models: referenced as #/components/schemas/<name>
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": request}}}
        # Every {name} in the path is declared (OpenAPI requires it); an entry id is read as an integer.
        params: list[dict[str, Any]] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if name == "entry_id" else "string"},
            }
            for name in re.findall(r"\{(\w+)\}", r.path)
        ]
        if not r.open:
            params.append(
                {
                    "name": ADMIN_TOKEN_HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "required when the server was started with an admin token",
                }
            )
        if params:
            op["parameters"] = params
        out.append({"method": r.method, "path": ADMIN_PREFIX + r.path, "operation": op, "schemas": schemas})
    return out


def _guarded(route: AdminRoute, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind the access rules of :mod:`mockserver.access` (open routes answer anyone), run on
    the state of the app the request came through (``request.app.state.mock``: a tenant's app, its own)."""

    async def endpoint(request: Request) -> Response:
        state: MockState = request.app.state.mock
        if not route.open:
            config = state.config
            refusal = admin_refusal(
                method=request.method,
                headers=request.headers,
                token=config.admin_token,
                allowed_hosts=config.admin_allowed_hosts,
            )
            if refusal is not None:
                return admin_error(refusal.status, refusal.message)
        return await handler(state, request)

    return endpoint


def admin_routes(logged: Callable[[Handler], Handler] | None = None) -> list[Route]:
    """The admin routes, serving the state of the app that holds them; ``logged`` wraps each write a state
    directory keeps (``Durable.wrap_admin``).

    Without ``logged`` the table holds nothing of one app's, so it is compiled once per process and
    shared: every test's tenant builds an app, and compiling 44 routes was most of what that cost.
    """
    if logged is None:
        return list(_shared_admin_routes())
    return _admin_routes(logged)


def _admin_routes(logged: Callable[[Handler], Handler] | None) -> list[Route]:
    return [
        Route(
            ADMIN_PREFIX + r.path,
            _guarded(r, logged(r.handler) if logged is not None and r.logged else r.handler),
            methods=[r.method],
        )
        for r in ADMIN_ROUTES
    ]


@functools.cache
def _shared_admin_routes() -> tuple[Route, ...]:
    return tuple(_admin_routes(None))


_patterns: dict[str, re.Pattern[str]] = {}


def _admin_pattern(route_path: str) -> re.Pattern[str]:
    """``/accounts/{api_key}/fund`` as a regular expression over the full admin path."""
    pattern = _patterns.get(route_path)
    if pattern is None:
        pattern = _patterns[route_path] = compile_path(ADMIN_PREFIX + route_path)[0]
    return pattern


def run_admin_now(state: MockState, method: str, path: str, query: str, body: bytes) -> Response | None:
    """Run the admin call ``method path`` on ``state`` to its end, here and now (a state directory's replay).

    ``None`` when no admin route serves it. The access rules are not applied and nothing is logged.
    An admin call waits on nothing but its body, which is in memory, and a restore's work is not
    offloaded to a thread here, so the call completes in one step without an event loop.
    """
    for route in ADMIN_ROUTES:
        found = _admin_pattern(route.path).fullmatch(path) if route.method == method else None
        if found is not None:
            break
    else:
        return None
    scope = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "server": None,
        "root_path": "",
        "path": path,
        "query_string": query.encode("latin-1"),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "path_params": found.groupdict(),
    }
    token = OFFLOAD.set(False)
    call = cast(Coroutine[Any, Any, Response], route.handler(state, Request(scope, receive_body(body))))
    try:
        call.send(None)
    except StopIteration as done:
        return cast(Response, done.value)
    finally:
        OFFLOAD.reset(token)
    call.close()
    raise RuntimeError(f"admin call {method} {path} waited on something outside its body")
