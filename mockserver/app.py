"""The app factory: one call, one independent mock exchange."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from .admin import admin_routes
from .config import Config
from .endpoints import ENDPOINTS
from .http import ExchangeRoute, Pipeline
from .state import MockState

__all__ = ["create_app"]


def create_app(config: Config | None = None, *, state: MockState | None = None) -> Starlette:
    """Build the Starlette app for ``config`` (defaults everywhere).

    The exchange state is on ``app.state.mock`` (a :class:`MockState`), shared by
    every request to this app and by in-process callers - never global.
    """
    state = state or MockState.build(config or Config())
    pipeline = Pipeline(state)
    routes = [Route(ep.path, ExchangeRoute(state, pipeline, ep)) for ep in ENDPOINTS]
    routes += admin_routes(state)
    # Anything else answers the exchange's 404, journaled like every other request.
    routes.append(Route("/{path:path}", ExchangeRoute(state, pipeline, None)))
    app = Starlette(routes=routes)
    app.state.mock = state
    app.state.pipeline = pipeline
    return app
