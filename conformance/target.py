"""The mock exchange a conformance run judges against: in-process, started on loopback, or at a URL.

The kit reads the truth from the mock's admin API (journal, engine orders,
balances, audit), never from the client under test, in every mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from mockserver import Config, create_app
from mockserver.testing import MockServer, sync_transport

__all__ = ["Target"]


@dataclass
class Target:
    """One mock exchange plus an admin client for it."""

    mode: str  # inprocess | loopback | url
    base_url: str
    admin: httpx.Client
    transport: Any = None  # for in-process Python adapters
    _server: MockServer | None = field(default=None, repr=False)

    @classmethod
    def start(cls, mode: str = "inprocess", url: str | None = None, admin_token: str | None = None) -> Target:
        """``inprocess``: no socket; ``loopback``: uvicorn on 127.0.0.1:0; ``url``: an existing mock."""
        headers = {"x-mock-admin-token": admin_token} if admin_token else {}
        if mode == "inprocess":
            app = create_app(Config(liquidity=False))
            admin = httpx.Client(transport=sync_transport(app), base_url="http://mock.test", headers=headers)
            return cls(mode, "http://mock.test", admin, sync_transport(app))
        if mode == "loopback":
            server = MockServer(Config(liquidity=False)).start()
            return cls(mode, server.url, httpx.Client(base_url=server.url, timeout=30), None, server)
        if mode == "url":
            if not url:
                raise ValueError("mode 'url' needs the mock's base URL")
            base = url.rstrip("/")
            return cls(mode, base, httpx.Client(base_url=base, timeout=30, headers=headers))
        raise ValueError(f"unknown mode {mode!r}: inprocess, loopback or url")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.admin.request(method, "/_mock" + path, json=body, headers={"x-mock-admin": "1"})
        if resp.status_code >= 400:
            raise RuntimeError(f"admin {method} {path}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp.json() if resp.content else None

    def reset(self) -> None:
        self.call("POST", "/reset", {"seed": 0})

    def account(self, balances: dict[str, str] | None = None) -> dict[str, Any]:
        return dict(self.call("POST", "/accounts", {"balances": balances or {}, "label": "conformance"}))

    def journal(self, api_key: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        """Entries oldest first."""
        params = f"?limit={limit}" + (f"&api_key={api_key}" if api_key else "")
        return list(reversed(self.call("GET", "/journal" + params)))

    def journal_since(self, api_key: str, after_id: int) -> list[dict[str, Any]]:
        """The account's entries newer than ``after_id``, oldest first, reading only the newest of the journal.

        Asks for the newest 32 entries and widens (x4) until the page reaches ``after_id`` or the
        journal's start, so a long-lived account costs what its new requests cost, not its history."""
        limit = 32
        while True:
            entries = self.journal(api_key, limit)
            if len(entries) < limit or entries[0]["id"] <= after_id:
                return [e for e in entries if e["id"] > after_id]
            limit *= 4

    def curl(self, entry_id: int) -> str:
        return self.admin.get(f"/_mock/journal/{entry_id}/curl").text.strip()

    def close(self) -> None:
        self.admin.close()
        if self.transport is not None:  # in-process: the clients' transport holds a loop and its thread
            self.transport.close()
        if self._server is not None:
            self._server.stop()
