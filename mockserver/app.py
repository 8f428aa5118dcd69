"""The app factory: one call, one independent mock exchange."""

from __future__ import annotations

import functools

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from .api.pipeline import ExchangeRoute, Hook, Pipeline, RequestContext
from .api.products import PRODUCTS, Product
from .clock import http_date
from .config import Config
from .control.routes import admin_routes
from .state import MockState
from .tenants import TENANT_PREFIX, Tenants

__all__ = ["MockApp", "create_app"]


class MockApp(Starlette):
    """Starlette, with the exchange paths dispatched by one dict lookup.

    The exchange routes are also registered with the router (so OpenAPI tools and
    ``app.routes`` see them), but a request to one skips the router's linear
    scan and the middleware stack: the route answers every error itself.
    """

    exchange_routes: dict[str, ExchangeRoute]
    tenants: Tenants | None  # the root's tenants, served under /t/<id>/ (None in a tenant's own app)
    not_found: ExchangeRoute  # the exchange's 404, journaled, in the product of the path's prefix (the catch-all)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            route = self.exchange_routes.get(path)
            if route is not None:
                scope["app"] = self
                await route(scope, receive, send)  # sends Date from the mock clock itself
                return
            if path.startswith(TENANT_PREFIX):
                if self.tenants is not None:
                    await self.tenants.serve(scope, receive, send)  # the tenant's own app, prefix stripped
                    return
                # In a tenant's own app: no tenant holds tenants, and the router would strip the root_path
                # (/t/<id>) from /t/<id>/... once more, serving /t/<id>/t/<id>/_mock/... as /_mock/...
                scope["app"] = self
                await self.not_found(scope, receive, send)
                return
            await super().__call__(scope, receive, self._dated(send))
            return
        await super().__call__(scope, receive, send)

    def _dated(self, send: Send) -> Send:
        """``send`` with a ``Date`` header from the mock clock on the response start."""
        clock = self.state.mock.clock

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", http_date(clock.now_ms())))
                message = {**message, "headers": headers}
            await send(message)

        return dated


def _counterparty_turn(state: MockState) -> Hook:
    """The counterparty's scripts see each request about to be answered (they count polls and fire fills)."""

    def turn(ctx: RequestContext) -> None:
        counterparty = state.counterparty  # looked up each time: a reset or restore brings a new one
        if not counterparty.scripts:
            return
        # The only refusal left after validation for a poll is an unknown pair: such a request
        # must neither count as a poll nor fire a fill.
        symbol = ctx.args.get("symbol") if ctx.args is not None else None
        if isinstance(symbol, str) and not _listed(state, ctx.product.name, symbol):
            return
        account = ctx.account
        counterparty.on_request(state.exchange, account.account_id if account else None, ctx.ep.operation, ctx.now_ms)

    return turn


def _listed(state: MockState, product: str, symbol: str) -> bool:
    """Whether the request's product lists ``symbol`` (a spot pair, or a futures contract)."""
    if product == "futures":
        return any(c.symbol == symbol.upper() for c in state.exchange.futures.contracts())
    return state.exchange.markets.get(symbol) is not None


def _futures_time(state: MockState) -> Hook:
    """The futures engine catches up with the mock clock before any request is handled, spot or futures:
    funding settles at each settlement instant the clock has passed (and the TP/SL and liquidations that
    brings), at the request's own time - which a state directory's replay pins, so a replay settles alike."""

    def catch_up(ctx: RequestContext) -> None:
        state.exchange.futures.advance(ctx.now_ms)  # looked up each time: a reset or restore brings a new one

    return catch_up


class _ServedBy:
    """A router entry that hands the request to the serving app's own exchange route for ``path``
    (``None``: the app's 404), so the entry holds nothing of one app's and every app shares it."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app: MockApp = scope["app"]
        route = app.exchange_routes.get(self.path) if self.path is not None else None
        await (route or app.not_found)(scope, receive, send)


@functools.cache
def _exchange_table(products: tuple[Product, ...] = PRODUCTS) -> tuple[Route, ...]:
    """The router's exchange entries, compiled once per process (a test's tenant builds an app): every
    product's endpoint paths, then the catch-all that answers anything else with the 404 of the product
    whose prefix the path is under, journaled like every other request."""
    paths = (ep.path for product in products for ep in product.endpoints)
    return (*(Route(path, _ServedBy(path)) for path in paths), Route("/{path:path}", _ServedBy(None)))


def create_app(
    config: Config | None = None, *, state: MockState | None = None, products: tuple[Product, ...] = PRODUCTS
) -> MockApp:
    """Build the Starlette app for ``config`` (defaults everywhere).

    The exchange state is on ``app.state.mock`` (a :class:`MockState`), shared by
    every request to this app and by in-process callers - never global. The app also
    serves the root's tenants (:mod:`mockserver.tenants`) unless it is a tenant's own.
    ``products``: the APIs it serves (spot and futures; a test may declare its own).
    """
    state = state or MockState.build(config or Config())
    # Time first: a script that fires at this request trades at prices the clock has already settled.
    hooks = (_futures_time(state), _counterparty_turn(state))
    pipeline = Pipeline(state, before_handler=hooks, products=products)
    if state.config.state_dir is not None and state.durable is None:
        from .control.persist import attach  # only with a state directory: no SQLite import otherwise

        state.durable = attach(state, pipeline)  # loads the directory into ``state``; see mockserver.persist
    durable = state.durable  # the app owns it; the state only holds the reference (the CLI banner reads it)
    if durable is not None:
        pipeline.around = durable.handle  # every admitted request is logged before it is answered
    exchange_routes = {
        ep.path: ExchangeRoute(state, pipeline, ep, product) for product in products for ep in product.endpoints
    }
    table = _exchange_table(products)
    routes = [*table[:-1], *admin_routes(durable.wrap_admin if durable is not None else None)]
    routes.append(table[-1])  # the catch-all comes last
    app = MockApp(routes=routes)
    app.exchange_routes = exchange_routes
    app.not_found = ExchangeRoute(state, pipeline, None)
    app.tenants = None
    if state.config.tenant_id is None:  # the root: it holds the tenants (a tenant holds none)
        if state.tenants is None:
            state.tenants = Tenants(state.config, create_app)
        app.tenants = state.tenants
    app.state.mock = state
    app.state.pipeline = pipeline
    return app
