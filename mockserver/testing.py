"""Run a mock exchange inside a test process: a real uvicorn server on a free loopback port.

    with MockServer() as mock:
        client = MyBitunixClient(base_url=mock.url, api_key=mock.api_key, secret=mock.secret)
        ...
        mock.state.exchange.audit()   # the server's state is right here, in-process
        mock.admin.set_price("BTCUSDT", "64000")   # or steer it over HTTP (mockserver.control.MockAdmin)

The pytest plugin (``pytest_bitunix``, auto-loaded) wraps this in fixtures: ``bitunix_mock``...
"""

from __future__ import annotations

import asyncio
import socket
import threading
import warnings
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from .app import MockApp, create_app
from .config import Config
from .control.client import MockAdmin
from .state import MockState

__all__ = ["MockServer", "sync_transport"]


def sync_transport(app: Any) -> httpx.BaseTransport:
    """A synchronous httpx transport that calls ``app`` in-process (no socket).

    ``httpx.ASGITransport`` serves async clients only; this runs the app on a
    private event loop (Starlette's test portal), so a sync client such as
    ``client_ref.Client(transport=sync_transport(app))`` needs no server either.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette suggests httpx2; the project stays on httpx
        from starlette.testclient import TestClient

    bridge = TestClient(app, raise_server_exceptions=True)
    transport: httpx.BaseTransport = bridge._transport
    return transport


def _loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] brings it; without it, plain asyncio still works
        return None
    return uvloop.new_event_loop


class MockServer:
    """A mock exchange served by uvicorn on ``127.0.0.1:<free port>`` in a background thread."""

    def __init__(self, config: Config | None = None, *, host: str = "127.0.0.1", port: int = 0, **overrides: Any):
        self.config = config or Config(**overrides)
        self.host = host
        self._requested_port = port
        self.app: MockApp = create_app(self.config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._admin: MockAdmin | None = None
        self.port = 0

    @property
    def state(self) -> MockState:
        """The live exchange state (shared with the server thread; engine calls take its lock)."""
        state: MockState = self.app.state.mock
        return state

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def admin(self) -> MockAdmin:
        """A typed client of this server's admin API (the token of its config, if any); closed by :meth:`stop`."""
        if self._admin is None:
            self._admin = MockAdmin(self.url, token=self.config.admin_token)
        return self._admin

    @property
    def api_key(self) -> str:
        return self.config.demo_api_key

    @property
    def secret(self) -> str:
        return self.config.demo_secret

    def start(self, timeout: float = 10.0) -> MockServer:
        """Bind, start serving, and return once the server accepts requests."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        trusted = list(self.config.trusted_proxies)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # X-Forwarded-For only from proxies the config names (uvicorn trusts 127.0.0.1 by default).
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
            date_header=False,  # the app sends Date from the mock clock (clients re-sync from it)
        )
        server = uvicorn.Server(config)
        # uvicorn installs signal handlers only on the main thread, so the test process keeps its own.
        self._server = server

        def serve() -> None:
            # uvloop, as the CLI serves: with the default asyncio loop in a thread each loopback
            # request took about 44 ms here (0.8 ms with uvloop), which made fixture-based suites crawl.
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=serve, name=f"bitunix-mock:{self.port}", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if server.started:
                return self
            if not self._thread.is_alive():
                break
            deadline.wait(0.01)
        self.stop()
        raise RuntimeError("mock server did not start")

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
