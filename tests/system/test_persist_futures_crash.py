"""``--state DIR`` keeps futures through ``kill -9``: positions in both margin and position modes, resting
orders, position and order TP/SL, funding settled by a clock move, all under signed futures load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.config import DEMO_API_KEY, DEMO_SECRET, Config
from mockserver.state import MockState

from ..helpers import Signed
from ..serverproc import server_process_handle

pytestmark = pytest.mark.slow

F = "/api/v1/futures"
ADMIN = {"content-type": "application/json"}
HEDGE_KEY, HEDGE_SECRET = "hedge-key-000000000000000000000001", "hedge-secret-0000000000000000000001"


@contextmanager
def server(state_dir: Path, *flags: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with server_process_handle("--state", str(state_dir), *flags) as (banner, proc):
        OFFSET_MS[0] = httpx.get(banner["url"] + "/_mock/clock").json()["offset_ms"]  # the state keeps it
        yield proc, banner["url"]


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)
    assert proc.returncode == -signal.SIGKILL


class Refused(Exception):
    """A futures answer other than success."""


def ok(resp: httpx.Response) -> Any:
    """The ``data`` of a futures success (code 0, a JSON number); :class:`Refused` with the body otherwise."""
    doc = resp.json()
    if resp.status_code != 200 or doc["code"] != 0:
        raise Refused(doc)
    return doc["data"]


#: The mock clock's offset from real time, as the admin API last set it: requests are signed at the
#: mock's time (a timestamp far from it is refused), and the load threads read it on every request.
OFFSET_MS = [0]


def mock_now_ms() -> int:
    return int(time.time() * 1000) + OFFSET_MS[0]


class Trader:
    """Signed futures calls for one account, timestamped on the mock clock."""

    def __init__(self, client: httpx.Client, key: str, secret: str) -> None:
        self.signed = Signed(client, key=key, secret=secret, now_ms=mock_now_ms)

    def post(self, name: str, body: dict[str, Any]) -> Any:
        return ok(self.signed.post(f"{F}/{name}", body))

    def get(self, name: str, params: dict[str, str] | None = None) -> Any:
        return ok(self.signed.get(f"{F}/{name}", params or {}))


def settle_funding(url: str) -> None:
    """Move the mock clock past the next funding instant of every contract (through the admin API)."""
    with httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN) as admin:
        snap = admin.get("/snapshot").json()
        clock = admin.get("/clock").json()
        due = max(m["next_funding_ms"] for m in snap["futures"]["markets"])
        offset = clock["offset_ms"] + due - clock["now_ms"] + 60_000
        assert admin.post("/clock", json={"offset_ms": offset}).status_code == 200
        OFFSET_MS[0] = offset


def open_book(url: str) -> dict[str, str]:
    """Positions in both margin modes and both position modes, resting orders, TP/SL of both kinds, funding."""
    with httpx.Client(base_url=url, timeout=10) as client:
        admin = httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN)
        made = admin.post("/accounts", json={"api_key": HEDGE_KEY, "secret": HEDGE_SECRET})
        assert made.status_code == 200, made.text
        demo, hedge = Trader(client, DEMO_API_KEY, DEMO_SECRET), Trader(client, HEDGE_KEY, HEDGE_SECRET)
        # demo: one-way mode, isolated margin (the defaults), a long with a position TP/SL.
        demo.post("account/change_leverage", {"symbol": "BTCUSDT", "marginCoin": "USDT", "leverage": 10})
        demo.post("trade/place_order", {"symbol": "BTCUSDT", "side": "BUY", "qty": "0.05", "orderType": "MARKET"})
        (long_btc,) = demo.get("position/get_pending_positions", {"symbol": "BTCUSDT"})
        body = {"symbol": "BTCUSDT", "positionId": long_btc["positionId"], "tpPrice": "130000", "slPrice": "92000"}
        position_tpsl = demo.post("tpsl/position/place_order", body)["orderId"]
        # a resting buy with TP/SL attached to the order.
        rest = {"symbol": "BTCUSDT", "side": "BUY", "qty": "0.01", "price": "90000", "orderType": "LIMIT"}
        rest |= {"tpPrice": "120000", "tpStopType": "MARK_PRICE", "slPrice": "85000", "clientId": "rest-tpsl"}
        resting = demo.post("trade/place_order", rest)["orderId"]
        # hedge: hedge mode, cross margin, both sides of ETHUSDT, an order-level TP/SL on the short.
        hedge.post("account/change_position_mode", {"positionMode": "HEDGE"})
        hedge.post("account/change_margin_mode", {"symbol": "ETHUSDT", "marginCoin": "USDT", "marginMode": "CROSS"})
        for side, qty in (("BUY", "1"), ("SELL", "2")):
            order = {"symbol": "ETHUSDT", "side": side, "qty": qty, "orderType": "MARKET", "tradeSide": "OPEN"}
            hedge.post("trade/place_order", order)
        short_eth = next(p for p in hedge.get("position/get_pending_positions") if p["side"] == "SELL")
        body = {"symbol": "ETHUSDT", "positionId": short_eth["positionId"], "slPrice": "9000", "slQty": "1"}
        (placed,) = hedge.post("tpsl/place_order", body | {"slOrderType": "MARKET"})  # live shape: a list
        order_tpsl = placed["orderId"]
        settle_funding(url)
        positions = demo.get("position/get_pending_positions") + hedge.get("position/get_pending_positions")
        assert len(positions) == 3 and all(Decimal(p["funding"]) != 0 for p in positions), positions
        return {"position_tpsl": position_tpsl, "order_tpsl": order_tpsl, "resting": resting}


@dataclass
class Acked:
    """What one load thread was told succeeded (and what it sent last without an answer)."""

    resting: list[str] = field(default_factory=list)  # limit orders far from the market
    filled: list[str] = field(default_factory=list)  # market orders: filled at once
    cancelled: list[str] = field(default_factory=list)
    tpsl: list[str] = field(default_factory=list)
    tpsl_cancelled: list[str] = field(default_factory=list)
    in_flight_cancel: str | None = None
    in_flight_tpsl_cancel: str | None = None
    count: int = 0


def step_once(t: Trader, hedge: bool, step: int, acked: Acked) -> None:
    """One futures request (or two) of the load, recorded in ``acked`` once answered."""
    symbol = "ETHUSDT" if hedge else "BTCUSDT"
    low, qty = ("3000", "0.01") if hedge else ("85000", "0.001")
    kind = step % 6
    if kind in (0, 1):
        body: dict[str, Any] = {"symbol": symbol, "side": "BUY", "qty": qty, "price": low, "orderType": "LIMIT"}
        if hedge:
            body["tradeSide"] = "OPEN"
        acked.resting.append(t.post("trade/place_order", body)["orderId"])
    elif kind == 2:  # in and out of the market, a little: the long grows, then shrinks
        grow = step % 12 == 2
        body = {"symbol": symbol, "side": "BUY" if grow or hedge else "SELL", "qty": qty, "orderType": "MARKET"}
        if hedge and grow:
            body["tradeSide"] = "OPEN"
        elif hedge:  # BUY + CLOSE closes (part of) the long in hedge mode (spec 3.4)
            longs = [p for p in t.get("position/get_pending_positions", {"symbol": symbol}) if p["side"] == "BUY"]
            body |= {"tradeSide": "CLOSE", "positionId": longs[0]["positionId"]}
        acked.filled.append(t.post("trade/place_order", body)["orderId"])
    elif kind == 3 and len(acked.resting) > len(acked.cancelled) + 2:
        target = acked.resting[len(acked.cancelled)]
        acked.in_flight_cancel = target
        done = t.post("trade/cancel_orders", {"symbol": symbol, "orderList": [{"orderId": target}]})
        assert [s["orderId"] for s in done["successList"]] == [target], done
        acked.cancelled.append(target)
        acked.in_flight_cancel = None
    elif kind == 4:
        side = "SELL" if hedge else "BUY"
        pos = next(p for p in t.get("position/get_pending_positions", {"symbol": symbol}) if p["side"] == side)
        body = {"symbol": symbol, "positionId": pos["positionId"], "tpQty": qty}
        body["tpPrice"] = "1000" if hedge else "150000"
        acked.tpsl.append(t.post("tpsl/place_order", body)[0]["orderId"])
        if len(acked.tpsl) > len(acked.tpsl_cancelled) + 2:
            target = acked.tpsl[len(acked.tpsl_cancelled)]
            acked.in_flight_tpsl_cancel = target
            t.post("tpsl/cancel_order", {"symbol": symbol, "orderId": target})
            acked.tpsl_cancelled.append(target)
            acked.in_flight_tpsl_cancel = None
    elif kind == 5 and not hedge:  # isolated margin: add to the position's margin
        pos = t.get("position/get_pending_positions", {"symbol": symbol})[0]
        body = {"symbol": symbol, "marginCoin": "USDT", "amount": "1", "positionId": pos["positionId"]}
        t.post("account/adjust_position_margin", body)
    acked.count += 1


def load(url: str, key: str, secret: str, acked: Acked, stop: threading.Event) -> None:
    """Signed futures orders, cancels, TP/SL places and cancels and margin moves until stopped or killed."""
    step = 0
    with httpx.Client(base_url=url, timeout=10) as client:
        t = Trader(client, key, secret)
        while not stop.is_set():
            step += 1
            try:
                step_once(t, key == HEDGE_KEY, step, acked)
            except Refused as exc:  # signed before the clock moved, checked after it: never acknowledged
                assert exc.args[0]["code"] == 10007, exc.args[0]
            except (httpx.HTTPError, json.JSONDecodeError):
                return  # the server was killed: this request has no answer


def run_load(url: str) -> tuple[list[Acked], threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    acks = [Acked(), Acked()]
    keys = [(DEMO_API_KEY, DEMO_SECRET), (HEDGE_KEY, HEDGE_SECRET)]
    workers = [
        threading.Thread(target=load, args=(url, key, secret, acks[i], stop), daemon=True)
        for i, (key, secret) in enumerate(keys)
    ]
    for w in workers:
        w.start()
    return acks, stop, workers


def wait_for(acks: list[Acked], n: int, timeout: float = 60.0) -> None:
    """Until the load threads were told ``n`` successes (however slow a busy machine makes them)."""
    deadline = time.monotonic() + timeout
    while sum(a.count for a in acks) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sum(a.count for a in acks) >= n


def finish(stop: threading.Event, workers: list[threading.Thread]) -> None:
    stop.set()
    for w in workers:
        w.join(timeout=30)


def observe(url: str) -> dict[str, Any]:
    """What a client and the admin can read: the snapshot, accounts, and each account's futures views."""
    with httpx.Client(base_url=url, timeout=10) as client:
        views: dict[str, Any] = {}
        for key, secret in ((DEMO_API_KEY, DEMO_SECRET), (HEDGE_KEY, HEDGE_SECRET)):
            t = Trader(client, key, secret)
            views[key] = {
                "account": t.get("account", {"marginCoin": "USDT"}),
                "positions": t.get("position/get_pending_positions"),
                "orders": t.get("trade/get_pending_orders", {"limit": "100"}),
                "tpsl": t.get("tpsl/get_pending_orders", {"limit": "100"}),
            }
        admin = httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN)
        return {"snapshot": admin.get("/snapshot").json(), "accounts": admin.get("/accounts").json(), "views": views}


def _comparable(seen: dict[str, Any]) -> dict[str, Any]:
    """All of it but the running clock's reading (real time moved on between the two looks)."""
    snap = dict(seen["snapshot"])
    snap["clock"] = {k: v for k, v in snap["clock"].items() if k != "now_ms"}
    views = {k: {n: v for n, v in view.items()} for k, view in seen["views"].items()}
    return {"snapshot": snap, "accounts": seen["accounts"], "views": views}


def check_sound(seen: dict[str, Any]) -> None:
    """The exchange the server holds passes the engine's invariants and the futures audit is zero."""
    state = MockState.restore(Config(), seen["snapshot"])  # runs Exchange.problems (futures included)
    assert state.exchange.problems() == []
    assert all(v == 0 for v in state.exchange.futures.audit().values()), state.exchange.futures.audit()
    assert all(v == 0 for v in state.exchange.audit().values())


def check_acknowledged(seen: dict[str, Any], acks: list[Acked]) -> None:
    """Every acknowledged futures request is reflected; an unanswered one is all there or not at all."""
    fut = seen["snapshot"]["futures"]
    orders = {o["order_id"]: o for o in fut["orders"]}
    tpsl = {t["tpsl_id"]: t for t in fut["tpsl"]}
    for acked in acks:
        for oid in acked.filled:
            assert orders[oid]["status"] == "FILLED", orders[oid]
        cancelled = set(acked.cancelled)
        for oid in acked.resting:
            status = orders[oid]["status"]
            if oid in cancelled:
                assert status == "CANCELED", orders[oid]
            elif oid == acked.in_flight_cancel:
                assert status in ("NEW", "CANCELED"), orders[oid]
            else:
                assert status == "NEW", orders[oid]
        gone = set(acked.tpsl_cancelled)
        for tid in acked.tpsl:
            want = (
                {"CANCELED"} if tid in gone else {"NEW", "CANCELED"} if tid == acked.in_flight_tpsl_cancel else {"NEW"}
            )
            assert tpsl[tid]["status"] in want, (tpsl[tid], want)


def test_kill9_keeps_futures_positions_funding_and_tpsl(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    # ---- run 1: the book opened through the API, funding settled by a clock move; quiesced; kill -9.
    with server(state_dir) as (proc, url):
        ids = open_book(url)
        acks, stop, workers = run_load(url)
        wait_for(acks, 40)
        finish(stop, workers)
        quiet = observe(url)
        kill9(proc)
    fut = quiet["snapshot"]["futures"]
    assert {t["tpsl_id"] for t in fut["tpsl"]} >= {ids["position_tpsl"], ids["order_tpsl"]}
    assert ids["resting"] in {o["order_id"] for o in fut["orders"] if o["status"] == "NEW"}
    assert {(p["margin_mode"], p["position_mode"]) for p in fut["positions"]} >= {
        ("ISOLATION", "ONE_WAY"),
        ("CROSS", "HEDGE"),
    }

    # ---- run 2 (another seed and no market maker asked for: the state's settings win): exactly what was
    # acknowledged before the kill; then load, a funding settlement while requests are in flight, kill -9.
    with server(state_dir, "--seed", "7", "--no-liquidity") as (proc, url):
        again = observe(url)
        assert _comparable(again) == _comparable(quiet)
        check_sound(again)
        check_acknowledged(again, acks)
        acks2, stop, workers = run_load(url)
        wait_for(acks2, 30)
        settle_funding(url)
        wait_for(acks2, 60)
        kill9(proc)  # mid-load: some futures requests are in flight and never answered
        finish(stop, workers)

    # ---- runs 3 and 4: every acknowledged request is there, nothing half-applied; a further kill keeps it as is.
    with server(state_dir) as (proc, url):
        seen = observe(url)
        check_sound(seen)
        check_acknowledged(seen, acks + acks2)
        funding = seen["snapshot"]["futures"]["funding_history"]["BTCUSDT"]
        assert len(funding) >= 2  # both settlements, the second one during the load
        kill9(proc)
    with server(state_dir, "--seed", "3") as (proc, url):
        assert _comparable(observe(url)) == _comparable(seen)


def test_kill9_cycles_with_frequent_checkpoints_keep_futures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kills land while checkpoints (now carrying the futures state) are written: restarts keep every
    acknowledged futures request, and a quiesced kill gives back exactly the exchange seen before it."""
    monkeypatch.setenv("BITUNIX_MOCK_STATE_COMPACT_BYTES", "15000")  # a checkpoint every ~30 requests
    state_dir = tmp_path / "state"
    with server(state_dir) as (proc, url):
        open_book(url)
        expected = observe(url)
        kill9(proc)
    every: list[Acked] = []
    for cycle in range(3):
        with server(state_dir) as (proc, url):
            seen = observe(url)
            check_sound(seen)
            check_acknowledged(seen, every)
            if cycle % 2 == 1 or cycle == 0:
                assert _comparable(seen) == _comparable(expected), cycle
            acks, stop, workers = run_load(url)
            every += acks
            wait_for(acks, 60)
            if cycle % 2 == 0:
                finish(stop, workers)
                expected = observe(url)
                kill9(proc)
            else:
                kill9(proc)
                finish(stop, workers)
    with server(state_dir) as (proc, url):
        seen = observe(url)
        check_sound(seen)
        check_acknowledged(seen, every)
    assert min(int(p.name[11:31]) for p in state_dir.glob("checkpoint-*.state")) > 50
