"""Test-side signing: a minimal signer written from the spec, independent of client_ref."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from mockserver import DEMO_API_KEY, DEMO_SECRET

_counter = itertools.count()

PLACE_ORDER = "/api/spot/v1/order/place_order"

#: Withdrawal addresses the suite registers for the demo account, as a user would on the website
#: (withdrawals go only to whitelisted addresses: 110008 otherwise).
WHITELISTED = ("TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "0x" + "ab" * 20, "T" + "a" * 33)


def fresh_nonce() -> str:
    return hashlib.md5(f"{time.time_ns()}-{next(_counter)}".encode()).hexdigest()


def sign_parts(nonce: str, ts: str, key: str, secret: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256((nonce + ts + key + query).encode() + body).hexdigest()
    return hashlib.sha256((digest + secret).encode()).hexdigest()


class Signed:
    """Sends correctly signed requests through any httpx-compatible client (TestClient included)."""

    def __init__(self, client: Any, key: str = DEMO_API_KEY, secret: str = DEMO_SECRET, now_ms: Any = None):
        self.client = client
        self.key = key
        self.secret = secret
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))

    def headers(self, query: str = "", body: bytes = b"", **override: str) -> dict[str, str]:
        nonce = override.pop("nonce", None) or fresh_nonce()
        ts = override.pop("timestamp", None) or str(self.now_ms())
        h = {
            "api-key": self.key,
            "nonce": nonce,
            "timestamp": ts,
            "sign": sign_parts(nonce, ts, self.key, self.secret, query, body),
            "content-type": "application/json",
        }
        h.update(override)
        return h

    def get(self, path: str, params: dict[str, str] | None = None, **override: str) -> httpx.Response:
        params = params or {}
        query = "".join(k + str(v) for k, v in sorted(params.items()))
        url = path + ("?" + urlencode(params) if params else "")
        return self.client.get(url, headers=self.headers(query=query, **override))

    def prepare(self, body: Any, **override: str) -> tuple[bytes, dict[str, str]]:
        """A POST's body as sent (compact JSON) and the headers that sign it now, with a fresh nonce:
        for a test that sends it itself (a replay keeps both)."""
        raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        return raw, self.headers(body=raw, **override)

    def post(self, path: str, body: Any, **override: str) -> httpx.Response:
        raw, headers = self.prepare(body, **override)
        return self.client.post(path, content=raw, headers=headers)

    async def post_async(self, path: str, body: Any, **override: str) -> httpx.Response:
        """:meth:`post` through an ``httpx.AsyncClient`` (requests raced with ``asyncio.gather``)."""
        raw, headers = self.prepare(body, **override)
        response: httpx.Response = await self.client.post(path, content=raw, headers=headers)
        return response


def auth_headers(key: str, secret: str, ts: str, nonce: str | None = None, query: str = "") -> dict[str, str]:
    """The four auth headers of a body-less request signed at ``ts`` (a fresh nonce unless given)."""
    nonce = nonce or fresh_nonce()
    return {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign_parts(nonce, ts, key, secret, query, b"")}


def admin_call(client: Any, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    """One admin call (JSON in, JSON out) that must answer ``status``."""
    content = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    resp = client.request(method, "/_mock" + path, content=content, headers={"x-mock-admin": "1"})
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content and resp.headers.get("content-type", "").startswith("application/json") else resp


def ok(resp: httpx.Response) -> Any:
    """The ``data`` of a successful envelope; fails the test with the body otherwise."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["code"] == "0" and doc["success"] is True, doc
    return doc["data"]


def err(resp: httpx.Response) -> tuple[str, str]:
    doc = resp.json()
    assert doc["success"] is False and doc["data"] is None, doc
    return doc["code"], doc["msg"]


#: The hypothesis profile this run uses (registered in conftest.py): "dev" unless HYPOTHESIS_PROFILE says "ci".
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")


def examples(thorough: int) -> int:
    """How many examples a property test draws: ``thorough`` under the ci profile, a fifth (at least 10) under dev.

    Each test keeps its own size (a state machine step costs more than a signature check); the
    profile scales them all, so a local run is quick and CI searches as deep as before.
    """
    return thorough if HYPOTHESIS_PROFILE == "ci" else max(10, thorough // 5)
