"""The anchor: a bare Starlette JSON hello-world, served with the mock's own uvicorn settings."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"code": "0", "msg": "result.success", "data": "hello", "success": True})


app = Starlette(routes=[Route("/hello", hello)])
