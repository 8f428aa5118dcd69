"""Run the reference client (sync or async) against the mock, in-process or over loopback.

One ``Harness`` per test: it owns a fresh exchange, builds clients for any
credentials, and runs a client method whether the client is sync or async, so
each client test is written once and runs in every mode.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from client_ref import AsyncClient, Client
from mockserver import Config, MockState, create_app
from mockserver.testing import MockServer, sync_transport

from .helpers import WHITELISTED
from .serverproc import server_process

MODES = ["sync-asgi", "async-asgi", "sync-uvicorn", "async-uvicorn", "sync-subprocess", "async-subprocess"]
#: MODES as fixture params: a subprocess mode starts `python -m mockserver`, so it is in the slow set.
MODE_PARAMS = [pytest.param(m, marks=pytest.mark.slow) if m.endswith("subprocess") else m for m in MODES]


class Harness:
    """A fresh exchange and a way to run client calls against it in one mode."""

    def __init__(self, mode: str, url: str, api_key: str, secret: str, state: MockState | None, app: Any) -> None:
        self.mode = mode
        self.url = url
        self.api_key = api_key
        self.secret = secret
        self.state = state  # None over a subprocess: use the admin API instead
        self.app = app
        self.is_async = mode.startswith("async")
        self._runner = asyncio.Runner() if self.is_async else None
        self._admin = httpx.Client(base_url=url, timeout=10) if state is None else None
        self._clients: list[Any] = []

    def client(self, api_key: str | None = None, secret: str | None = None, **kw: Any) -> Any:
        """A client (sync or async per mode) bound to this exchange; default: the demo key."""
        key = self.api_key if api_key is None else api_key
        sec = self.secret if secret is None else secret
        if self.app is not None:
            if self.is_async:
                kw.setdefault("transport", httpx.ASGITransport(app=self.app))
            else:
                kw.setdefault("transport", sync_transport(self.app))
        cls = AsyncClient if self.is_async else Client
        c = cls(self.url, key, sec, **kw)
        self._clients.append(c)
        return c

    def call(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``client.method(*args)``, awaiting it when the client is async."""
        result = getattr(client, method)(*args, **kwargs)
        if inspect.isawaitable(result):
            assert self._runner is not None
            return self._runner.run(_awaited(result))
        return result

    def raises(self, client: Any, method: str, *args: Any, **kwargs: Any) -> BaseException:
        """The exception the call raises (the test fails if it returns)."""
        try:
            value = self.call(client, method, *args, **kwargs)
        except Exception as exc:
            return exc
        raise AssertionError(f"{method} returned {value!r} instead of raising")

    # ------------------------------------------------------- exchange steering
    def create_account(self, **spec: Any) -> tuple[str, str, int]:
        """A new account (api_key, secret, uid) with balances/permissions/ip_whitelist."""
        if self.state is not None:
            balances = {k: Decimal(str(v)) for k, v in spec.pop("balances", {}).items()}
            acct = self.state.exchange.create_account(balances=balances, **spec)
            return acct.api_key, acct.secret, acct.uid
        assert self._admin is not None
        body = {k: (sorted(v) if isinstance(v, set) else v) for k, v in spec.items()}
        body["balances"] = {k: str(v) for k, v in body.get("balances", {}).items()}
        resp = self._admin.post("/_mock/accounts", json=body)
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        return doc["api_key"], doc["secret"], doc["uid"]

    def audit(self) -> dict[str, str]:
        """Per coin, money created or lost (all zeros when conserved)."""
        if self.state is not None:
            return {c: str(v) for c, v in self.state.exchange.audit().items()}
        assert self._admin is not None
        resp = self._admin.get("/_mock/audit")
        assert resp.status_code == 200, resp.text
        return dict(resp.json()["imbalance"])

    def conserved(self) -> bool:
        """No coin created or lost across every account, fees included."""
        return all(Decimal(v) == 0 for v in self.audit().values())

    def whitelist(self, *addresses: str, api_key: str | None = None) -> None:
        """Register withdrawal addresses for an account (default: the demo key), as on the website."""
        key = api_key or self.api_key
        if self.state is not None:
            acct = self.state.exchange.account_by_key(key)
            assert acct is not None
            self.state.wallet.whitelist(acct.account_id, list(addresses))
            return
        assert self._admin is not None
        resp = self._admin.post(f"/_mock/accounts/{key}/withdraw-addresses", json={"addresses": list(addresses)})
        assert resp.status_code == 200, resp.text

    def set_profile(self, name: str) -> None:
        if self.state is not None:
            self.state.set_profile(name)
            return
        assert self._admin is not None
        resp = self._admin.post("/_mock/profile", json={"name": name})
        assert resp.status_code == 200, resp.text

    def advance_clock(self, ms: int) -> None:
        if self.state is not None:
            self.state.clock.freeze()
            self.state.clock.advance(ms)
            return
        assert self._admin is not None
        resp = self._admin.post("/_mock/clock", json={"freeze": True, "advance_ms": ms})
        assert resp.status_code == 200, resp.text

    def close(self) -> None:
        for c in self._clients:
            if isinstance(c, AsyncClient):
                assert self._runner is not None
                self._runner.run(c.aclose())
            else:
                c.close()
        if self._runner is not None:
            self._runner.close()
        if self._admin is not None:
            self._admin.close()


async def _awaited(aw: Any) -> Any:
    return await aw


@contextmanager
def harness(mode: str, **config: Any) -> Iterator[Harness]:
    """A fresh exchange served in ``mode`` (quiet market: no synthetic liquidity unless asked)."""
    config.setdefault("liquidity", False)
    cfg = Config(**config)
    if mode.endswith("asgi"):
        app = create_app(cfg)
        h = Harness(mode, "http://mock.test", cfg.demo_api_key, cfg.demo_secret, app.state.mock, app)
        h.whitelist(*WHITELISTED)
        try:
            yield h
        finally:
            h.close()
    elif mode.endswith("uvicorn"):
        with MockServer(cfg) as server:
            h = Harness(mode, server.url, server.api_key, server.secret, server.state, None)
            h.whitelist(*WHITELISTED)
            try:
                yield h
            finally:
                h.close()
    else:
        args = [] if cfg.liquidity else ["--no-liquidity"]
        with server_process(*args) as banner:
            h = Harness(mode, banner["url"], banner["api_key"], banner["secret"], None, None)
            h.whitelist(*WHITELISTED)
            try:
                yield h
            finally:
                h.close()


def modes_with(*, subprocess: bool = True) -> list[str]:
    return [m for m in MODES if subprocess or not m.endswith("subprocess")]


Make = Callable[..., Harness]
