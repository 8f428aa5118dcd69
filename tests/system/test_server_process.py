"""The real server, started as a subprocess on port 0, over loopback."""

from __future__ import annotations

import httpx
import pytest

from mockserver import ENDPOINTS

from ..helpers import Signed, ok
from ..serverproc import server_process

pytestmark = pytest.mark.slow  # each test starts `python -m mockserver`


def test_subprocess_server_serves_public_and_signed_calls() -> None:
    with server_process("--no-liquidity", "--seed", "3") as banner:
        assert banner["port"] > 0 and banner["url"] == f"http://127.0.0.1:{banner['port']}"
        assert banner["admin_token"] is None  # loopback: no token needed
        with httpx.Client(base_url=banner["url"], timeout=10) as http:
            health = http.get("/_mock/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert ok(http.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})) == "64000.00"
            signed = Signed(http, banner["api_key"], banner["secret"])
            balances = ok(signed.get("/api/spot/v1/user/account"))
            assert {"coin": "USDT", "balance": 100000, "balanceLocked": 0} in balances
            placed = ok(
                signed.post(
                    "/api/spot/v1/order/place_order",
                    {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"},
                )
            )
            assert placed["placeStatus"] == "1"
            version = http.get("/_mock/version").json()
            assert version["profile"] == "live" and version["endpoints"] == len(ENDPOINTS)


def test_binding_beyond_loopback_requires_an_admin_token() -> None:
    with server_process("--host", "0.0.0.0", "--no-liquidity") as banner:
        assert isinstance(banner["admin_token"], str) and len(banner["admin_token"]) == 32
