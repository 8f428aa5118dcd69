"""The one table of Bitunix USDT-M futures endpoints (filled by the futures API work; empty until then)."""

from __future__ import annotations

from typing import Any

from .endpoints import Endpoint

__all__ = ["FUTURES_ENDPOINTS", "FUTURES_EXAMPLE_IDS", "FUTURES_PREFIX"]

FUTURES_PREFIX = "/api/v1/futures"
#: What the examples' placeholders stand for where no earlier request made the ids (the OpenAPI document).
FUTURES_EXAMPLE_IDS: dict[str, Any] = {}
FUTURES_ENDPOINTS: tuple[Endpoint, ...] = ()
