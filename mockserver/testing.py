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
import weakref
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from .app import MockApp, create_app
from .config import Config
from .control.client import MockAdmin
from .state import MockState

__all__ = ["HeldLoopTransport", "MockServer", "sync_transport"]


def sync_transport(app: Any) -> httpx.BaseTransport:
    """A synchronous httpx transport that calls ``app`` in-process (no socket).

    ``httpx.ASGITransport`` serves async clients only; this one runs the app on an event
    loop of its own, so a sync client such as ``client_ref.Client(transport=sync_transport(app))``
    needs no server either. Close it (or the client it was given to) when done.
    """
    return HeldLoopTransport(app)


class HeldLoopTransport(httpx.BaseTransport):
    """Calls an ASGI app from sync code on one event loop, in one thread, held for the transport's life.

    # Performance
    Starlette's test transport starts a thread and an event loop for every request (~2.8 ms a call);
    this one starts them at the first request and keeps them, so a call costs the app's own work
    plus two thread hand-offs. ``close()`` stops the loop and joins its thread; a request after
    ``close()`` starts a fresh loop (as an httpx transport may be used again after closing), and a
    transport dropped without ``close()`` stops its thread when it is collected.
    """

    #: the ASGI ``client`` of every request: the address Starlette's test transport gave (journals show it)
    CLIENT = ("testclient", 50000)

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=self.CLIENT)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: weakref.finalize[Any, Any] | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The loop's thread while it runs (``None`` before the first request and after ``close()``)."""
        return self._thread

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                factory = _loop_factory()
                loop = factory() if factory is not None else asyncio.new_event_loop()
                thread = threading.Thread(target=_serve_forever, args=(loop,), name="mock-sync-transport", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                # Holds the loop and the thread, never self: a dropped transport is collected and stops them.
                self._stop = weakref.finalize(self, _stop_loop, loop, thread)
            return self._loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a sync body becomes bytes, which the ASGI transport reads as an async stream
        loop = self._running_loop()
        return asyncio.run_coroutine_threadsafe(self._call(request), loop).result()

    async def _call(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            extensions=response.extensions,
        )

    def close(self) -> None:
        with self._lock:
            stop, self._stop = self._stop, None
            self._loop = self._thread = None
        if stop is not None:
            stop()


def _serve_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    """Stop the loop; wait for its thread unless this runs on it (a collection inside a request)."""
    loop.call_soon_threadsafe(loop.stop)
    if thread is not threading.current_thread():
        thread.join()


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
