"""Races resolve correctly: one nonce, one acceptance; one balance, no overspend."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import httpx
import pytest

from mockserver import Config, create_app
from mockserver.engine import Exchange, OrderType, PlaceRequest, Side, load_markets
from mockserver.errors import InsufficientBalance

from ..helpers import PLACE_ORDER, Signed, fresh_nonce, sign_parts
from ..serverproc import server_process


def _same_nonce_headers(key: str, secret: str, n: int, now_ms: int) -> list[dict[str, str]]:
    nonce = fresh_nonce()
    # Distinct timestamps, so each request is a different, validly signed request sharing one nonce.
    out = []
    for i in range(n):
        ts = str(now_ms - i)
        out.append(
            {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign_parts(nonce, ts, key, secret, "", b"")}
        )
    return out


@pytest.mark.slow  # starts `python -m mockserver`
def test_200_concurrent_requests_one_nonce_over_http() -> None:
    import time

    with server_process("--no-liquidity") as banner:

        async def run() -> list[str]:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=banner["url"], timeout=30, limits=limits) as http:
                headers = _same_nonce_headers(banner["api_key"], banner["secret"], 200, int(time.time() * 1000))
                resps = await asyncio.gather(*(http.get("/api/spot/v1/user/info", headers=h) for h in headers))
                return [r.json()["code"] for r in resps]

        codes = asyncio.run(run())
    assert codes.count("0") == 1
    assert codes.count("900001") == 199


def test_200_concurrent_requests_one_nonce_in_process() -> None:
    app = create_app(Config(liquidity=False))
    state = app.state.mock

    async def run() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            headers = _same_nonce_headers(state.demo.api_key, state.demo.secret, 200, state.clock.now_ms())
            resps = await asyncio.gather(*(http.get("/api/spot/v1/user/info", headers=h) for h in headers))
            return [r.json()["code"] for r in resps]

    codes = asyncio.run(run())
    assert codes.count("0") == 1 and codes.count("900001") == 199


def test_threads_racing_on_the_nonce_store() -> None:
    app = create_app(Config(liquidity=False))
    state = app.state.mock
    now = state.clock.now_ms()
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        results.append(state.verifier.nonces.add("k", "the-nonce", now + 60_000, now))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and results.count(False) == 15


def test_100_concurrent_orders_never_overspend_in_process() -> None:

    # The demo account is funded for exactly 37 orders of 100 USDT each.
    app = create_app(Config(liquidity=False, demo_balances={"USDT": Decimal(3700)}))
    state = app.state.mock
    order = {"side": 2, "type": 1, "volume": "0.002", "price": "50000", "symbol": "BTCUSDT"}

    async def run() -> list[dict[str, object]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as http:
            signed = Signed(http, state.demo.api_key, state.demo.secret)
            reqs = [signed.post_async(PLACE_ORDER, order) for _ in range(100)]
            return [r.json()["data"] for r in await asyncio.gather(*reqs)]

    datas = asyncio.run(run())
    accepted = [d for d in datas if d["placeStatus"] == "1"]
    refused = [d for d in datas if d["placeStatus"] == 0]
    assert len(accepted) == 37 and len(refused) == 63
    assert all(d["placeCode"] == "10034" for d in refused)
    usdt = state.exchange.balances("demo")["USDT"]
    assert usdt.free == 0 and usdt.locked == Decimal(3700)
    assert all(v == 0 for v in state.exchange.audit().values())


@pytest.mark.slow  # starts `python -m mockserver`
def test_100_concurrent_orders_over_a_real_server() -> None:

    with server_process("--no-liquidity") as banner:
        key, secret = banner["api_key"], banner["secret"]
        # The demo account holds 2 BTC: 100 racing sells of 0.03 BTC fit 66 times.
        order = {"side": 1, "type": 1, "volume": "0.03", "price": "90000", "symbol": "BTCUSDT"}

        async def run() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
            async with httpx.AsyncClient(
                base_url=banner["url"], timeout=30, limits=httpx.Limits(max_connections=100)
            ) as http:
                signed = Signed(http, key, secret)
                datas = [
                    r.json()["data"]
                    for r in await asyncio.gather(*(signed.post_async(PLACE_ORDER, order) for _ in range(100)))
                ]
                headers = signed.headers()
                balances = (await http.get("/api/spot/v1/user/account", headers=headers)).json()["data"]
                return datas, balances

        datas, balances = asyncio.run(run())
    assert sum(1 for d in datas if d["placeStatus"] == "1") == 66
    assert sum(1 for d in datas if d["placeStatus"] == 0 and d["placeCode"] == "10034") == 34
    btc = next(b for b in balances if b["coin"] == "BTC")
    assert Decimal(str(btc["balance"])) == Decimal("0.02") and Decimal(str(btc["balanceLocked"])) == Decimal("1.98")


def test_threads_hammering_one_balance() -> None:
    ex = Exchange(load_markets(), seed=5)
    acct = ex.create_account(balances={"USDT": Decimal(1000)}).account_id
    accepted: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(25):
            try:
                accepted.append(
                    ex.place(
                        acct, PlaceRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.0004"), Decimal(50000))
                    ).order_id
                )
            except InsufficientBalance:
                refused.append("x")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 50 and len(refused) == 150 and len(set(accepted)) == 50
    bal = ex.balances(acct)["USDT"]
    assert bal.free == 0 and bal.locked == Decimal(1000)
