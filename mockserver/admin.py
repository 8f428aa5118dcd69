"""The admin namespace: everything that steers the mock, under ``/_mock``.

Routes are declared in :data:`ADMIN_ROUTES` (method, path, summary, handler,
schemas) so the OpenAPI document and the README list them from one place.
When an admin token is configured, every admin call must carry it in the
``x-mock-admin-token`` header.
"""

from __future__ import annotations

import hmac
import platform
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import __version__
from .auth import PROFILES
from .config import ADMIN_PREFIX
from .endpoints import ENDPOINTS
from .state import MockState

__all__ = ["ADMIN_ROUTES", "AdminRoute", "admin_openapi", "admin_routes"]

ADMIN_TOKEN_HEADER = "x-mock-admin-token"

Handler = Callable[[MockState, Request], Awaitable[Response]]


@dataclass(frozen=True)
class AdminRoute:
    method: str
    path: str  # below ADMIN_PREFIX
    summary: str
    handler: Handler
    request: dict[str, Any] | None = None
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    open: bool = False  # answers without the admin token (health, version)


def admin_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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
            "python": platform.python_version(),
        }
    )


async def openapi(state: MockState, request: Request) -> Response:
    from .openapi import build_openapi

    return JSONResponse(build_openapi(admin_openapi()))


ADMIN_ROUTES: list[AdminRoute] = [
    AdminRoute("GET", "/health", "Liveness: answers as soon as the server serves", health, open=True),
    AdminRoute("GET", "/version", "Mock version, active verification profile, endpoint count", version, open=True),
    AdminRoute("GET", "/openapi.json", "This document", openapi, open=True),
]


def admin_openapi() -> list[dict[str, Any]]:
    out = []
    for r in ADMIN_ROUTES:
        op: dict[str, Any] = {
            "operationId": "admin_"
            + r.path.strip("/").replace("/", "_").replace(".", "_").replace("{", "").replace("}", ""),
            "summary": r.summary,
            "tags": ["admin (mock only)"],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": r.response}}}},
        }
        if r.request is not None:
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": r.request}}}
        if not r.open:
            op["parameters"] = [
                {
                    "name": ADMIN_TOKEN_HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "required when the server was started with an admin token",
                }
            ]
        out.append({"method": r.method, "path": ADMIN_PREFIX + r.path, "operation": op})
    return out


def _guarded(state: MockState, route: AdminRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        token = state.config.admin_token
        if token and not route.open:
            given = request.headers.get(ADMIN_TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return admin_error(401, f"missing or wrong {ADMIN_TOKEN_HEADER} header")
        return await route.handler(state, request)

    return endpoint


def admin_routes(state: MockState) -> list[Route]:
    return [Route(ADMIN_PREFIX + r.path, _guarded(state, r), methods=[r.method]) for r in ADMIN_ROUTES]
