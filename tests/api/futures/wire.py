"""Reading futures envelopes in tests: ``{"code":0,"data":...,"msg":"Success"}`` and its refusals."""

from __future__ import annotations

from typing import Any

import httpx

F = "/api/v1/futures"


def fok(resp: httpx.Response) -> Any:
    """The ``data`` of a futures success; fails the test with the body otherwise (exact keys, order and msg)."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert list(doc) == ["code", "data", "msg"], doc
    assert doc["code"] == 0 and doc["msg"] == "Success", doc
    return doc["data"]


def ferr(resp: httpx.Response) -> tuple[int, str]:
    """The (code, msg) of a futures refusal: HTTP 200, a numeric code, data null (spec §2.1)."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert list(doc) == ["code", "data", "msg"] and doc["data"] is None, doc
    assert isinstance(doc["code"], int) and doc["code"] != 0, doc
    return doc["code"], doc["msg"]
