"""``--state DIR`` against ``kill -9``: a real server under signed load, killed, restarted on the same directory."""

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
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.config import DEMO_API_KEY

from ..helpers import Signed
from ..serverproc import server_process_handle

pytestmark = pytest.mark.slow

P = "/api/spot/v1"
ADMIN = {"content-type": "application/json"}


@contextmanager
def server(state_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with server_process_handle("--state", str(state_dir)) as (banner, proc):
        yield proc, banner["url"]


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)
    assert proc.returncode == -signal.SIGKILL


@dataclass
class Acked:
    """What one load thread was told succeeded (and what it sent last without an answer)."""

    resting: list[str] = field(default_factory=list)  # limit buys far below the market
    crossing: list[str] = field(default_factory=list)  # limit sells through the bids: filled at once
    cancelled: list[str] = field(default_factory=list)
    transfers: list[str] = field(default_factory=list)  # wallet record ids
    in_flight_cancel: str | None = None
    last_request: tuple[str, dict[str, str], bytes] | None = None
    count: int = 0


def _post(client: httpx.Client, path: str, body: Any) -> tuple[Any, dict[str, str], bytes]:
    raw, headers = Signed(client).prepare(body)  # kept for a replay of the last request
    doc = client.post(path, content=raw, headers=headers).json()
    assert doc["code"] == "0", doc
    return doc["data"], headers, raw


def load(url: str, peer_uid: int, acked: Acked, stop: threading.Event, seed: int, tag: str) -> None:
    """Signed orders, cancels, batches and transfers until told to stop or the server dies."""
    step = seed
    with httpx.Client(base_url=url, timeout=10) as client:
        try:
            while not stop.is_set():
                step += 1
                kind = step % 6
                path = f"{P}/order/place_order"
                if kind in (0, 1):
                    body: Any = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.001", "price": "30000"}
                    data, h, raw = _post(client, path, body)
                    acked.resting.append(data["orderId"])
                elif kind == 2:
                    body = {"symbol": "BTCUSDT", "side": 1, "type": 1, "volume": "0.001", "price": "60000"}
                    data, h, raw = _post(client, path, body)
                    acked.crossing.append(data["orderId"])
                elif kind == 3 and len(acked.resting) > len(acked.cancelled) + 2:
                    path = f"{P}/order/cancel"
                    target = acked.resting[len(acked.cancelled)]
                    acked.in_flight_cancel = target
                    body = {"orderIdList": [{"orderId": target, "symbol": "BTCUSDT"}]}
                    data, h, raw = _post(client, path, body)
                    acked.cancelled.append(target)
                    acked.in_flight_cancel = None
                elif kind == 4:
                    body = {"outBizId": f"{tag}-{seed}-{step}", "coin": "USDT", "amount": "1.5"}
                    body.update(toType="uid", toUid=peer_uid)
                    path = f"{P}/inside_transfer"
                    data, h, raw = _post(client, path, body)
                    acked.transfers.append(str(data))
                else:
                    order = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.001", "price": "30100"}
                    path = f"{P}/order/place_order/batch"
                    data, h, raw = _post(client, path, {"orderList": [order, order]})
                    assert all(item["orderId"] for item in data), data
                    acked.resting.extend(item["orderId"] for item in data)
                acked.last_request = (path, h, raw)
                acked.count += 1
        except (httpx.HTTPError, json.JSONDecodeError):
            return  # the server was killed: this request has no answer


def run_load(
    url: str, peer_uid: int, tag: str, threads: int = 3
) -> tuple[list[Acked], threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    acks = [Acked() for _ in range(threads)]
    workers = [
        threading.Thread(target=load, args=(url, peer_uid, acks[i], stop, i * 1000, tag), daemon=True)
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    return acks, stop, workers


def wait_for(acks: list[Acked], n: int, timeout: float = 30.0) -> None:
    """Until the load threads were told ``n`` successes (however slow a busy machine makes them)."""
    deadline = time.monotonic() + timeout
    while sum(a.count for a in acks) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sum(a.count for a in acks) >= n


def observe(url: str) -> dict[str, Any]:
    """Everything a client could check: accounts with balances, every order, audit, snapshot."""
    with httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN) as admin:
        accounts = admin.get("/accounts").json()
        snap = admin.get("/snapshot").json()
        return {
            "accounts": accounts,
            "orders": {a["api_key"]: admin.get(f"/accounts/{a['api_key']}/orders").json() for a in accounts},
            "audit": admin.get("/audit").json(),
            "snapshot": snap,
        }


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot without the running clock's reading (real time moved on)."""
    return {k: v for k, v in snapshot.items() if k != "clock"} | {
        "clock": {k: v for k, v in snapshot["clock"].items() if k != "now_ms"}
    }


def _check_consistent(seen: dict[str, Any]) -> None:
    """No half-applied request: money conserved, locks equal to open orders, transfers paired."""
    assert seen["audit"]["conserved"], seen["audit"]
    for acct in seen["accounts"]:
        locked: dict[str, float] = {}
        for o in seen["orders"][acct["api_key"]]:
            if o["status"] in (1, 3):
                coin = "USDT" if o["side"] == 2 else "BTC"
                locked[coin] = locked.get(coin, 0.0) + float(o["locked"])
            else:
                assert float(o["locked"]) == 0, o
        for coin, bal in acct["balances"].items():
            assert float(bal["locked"]) == pytest.approx(locked.get(coin, 0.0), abs=1e-9), (acct["api_key"], coin)
    records = seen["snapshot"]["wallet"]["records"]
    outs = [r for r in records if r["type"] == "inside_transfer_out"]
    ins = [r for r in records if r["type"] == "inside_transfer_in"]
    assert len(outs) == len(ins)


def test_kill9_mid_load_keeps_every_acknowledged_change(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    # ---- run 1: set up with admin writes, load, quiesce, kill -9.
    with server(state_dir) as (proc, url):
        admin = httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN)
        peer = admin.post("/accounts", json={"balances": {"USDT": "10"}}).json()
        for coin, amount in (("BTC", "50"), ("USDT", "1000000")):
            assert admin.post(f"/accounts/{DEMO_API_KEY}/fund", json={"coin": coin, "amount": amount}).is_success
        assert admin.post("/clock", json={"offset_ms": 1234}).status_code == 200
        acks, stop, workers = run_load(url, peer["uid"], "run1")
        wait_for(acks, 60)
        stop.set()
        for w in workers:
            w.join(timeout=20)
        quiet = observe(url)
        kill9(proc)

    # ---- run 2: exactly the state acknowledged before the kill; then load killed mid-flight.
    with server(state_dir) as (proc, url):
        again = observe(url)
        assert again["accounts"] == quiet["accounts"]
        assert again["orders"] == quiet["orders"]
        assert _comparable(again["snapshot"]) == _comparable(quiet["snapshot"])
        clock = httpx.get(url + "/_mock/clock").json()
        assert clock["offset_ms"] == 1234 and not clock["frozen"]
        acks2, stop, workers = run_load(url, peer["uid"], "run2")
        wait_for(acks2, 60)
        kill9(proc)  # mid-load: some requests are in flight and never answered
        stop.set()
        for w in workers:
            w.join(timeout=20)

    # ---- run 3: every acknowledged change is there; nothing half-applied; ids continue; nonces remembered.
    with server(state_dir) as (proc, url):
        seen = observe(url)
        _check_consistent(seen)
        orders = {o["order_id"]: o for o in seen["orders"][DEMO_API_KEY]}
        records = {r["id"] for r in seen["snapshot"]["wallet"]["records"]}
        for acked in acks + acks2:
            cancelled = set(acked.cancelled)
            for oid in acked.crossing:
                assert orders[oid]["status"] == 2, orders[oid]
            for oid in acked.resting:
                expected = {4} if oid in cancelled else {1, 4} if oid == acked.in_flight_cancel else {1}
                assert orders[oid]["status"] in expected, (oid, orders[oid], expected)
            assert set(acked.transfers) <= records
        # Balances: the demo account's BTC moves only through the acknowledged (or in-flight) fills.
        peer_now = next(a for a in seen["accounts"] if a["api_key"] == peer["api_key"])
        transfers = sum(len(a.transfers) for a in acks + acks2)
        received = float(peer_now["balances"]["USDT"]["free"]) - 10
        assert transfers * 1.5 <= received <= (transfers + 3) * 1.5

        # Ids continue after every id the exchange ever gave out.
        signed = Signed(httpx.Client(base_url=url, timeout=10))
        placed = signed.post(f"{P}/order/place_order", {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.0001"})
        assert placed.json()["code"] == "2"  # a limit order needs a price: a refusal spends only the nonce
        body = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.001", "price": "30000"}
        new_id = int(signed.post(f"{P}/order/place_order", body).json()["data"]["orderId"])
        assert new_id > max(int(oid) for oid in orders)

        # An acknowledged request sent again with its nonce is a replay.
        last = next(a.last_request for a in reversed(acks2) if a.last_request is not None)
        assert last is not None
        path, headers, raw = last
        replay = httpx.post(url + path, content=raw, headers=headers).json()
        assert replay["code"] == "900001", replay
        kill9(proc)

    # ---- run 4: the refused request's nonce and the order placed after the restart survived too.
    with server(state_dir) as (proc, url):
        mine = httpx.get(url + f"/_mock/accounts/{DEMO_API_KEY}/orders").json()
        assert str(new_id) in {o["order_id"] for o in mine}
        replay = httpx.post(url + path, content=raw, headers=headers).json()
        assert replay["code"] == "900001", replay
        resent = httpx.post(
            url + f"{P}/order/place_order", content=placed.request.content, headers=placed.request.headers
        )
        assert resent.json()["code"] == "900001"


def test_kill9_cycles_compare_the_full_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded SIGKILL cycles under load, the whole exchange compared across each restart.

    Checkpoints are made frequent (a small compaction threshold), so kills land while the
    writer thread encodes, writes, verifies or trims too. A kill after the load stopped must give
    back exactly the exchange observed before it; a kill mid-load gives back some exchange that
    holds every acknowledged change (the other test) and that a further kill and restart keeps
    exactly.
    """
    monkeypatch.setenv("BITUNIX_MOCK_STATE_COMPACT_BYTES", "15000")  # a checkpoint every ~30 requests
    state_dir = tmp_path / "state"
    with server(state_dir) as (proc, url):
        admin = httpx.Client(base_url=url + "/_mock", timeout=10, headers=ADMIN)
        peer = admin.post("/accounts", json={"balances": {"USDT": "10"}}).json()
        assert admin.post(f"/accounts/{DEMO_API_KEY}/fund", json={"coin": "BTC", "amount": "50"}).is_success
        assert admin.post(f"/accounts/{DEMO_API_KEY}/fund", json={"coin": "USDT", "amount": "1000000"}).is_success
        expected = observe(url)
        kill9(proc)
    for cycle in range(3):
        with server(state_dir) as (proc, url):
            seen = observe(url)
            assert _comparable(seen["snapshot"]) == _comparable(expected["snapshot"]), cycle
            assert seen["accounts"] == expected["accounts"] and seen["orders"] == expected["orders"]
            _check_consistent(seen)
            acks, stop, workers = run_load(url, peer["uid"], f"cycle{cycle}")
            wait_for(acks, 80)
            if cycle % 2 == 0:  # quiesced: every answer is in; the kill may still hit a checkpoint
                stop.set()
                for w in workers:
                    w.join(timeout=20)
                expected = observe(url)
                kill9(proc)
            else:  # mid-load: what survives is checked here, then must survive the next kill as is
                kill9(proc)
                stop.set()
                for w in workers:
                    w.join(timeout=20)
        if cycle % 2 == 1:
            with server(state_dir) as (proc, url):
                expected = observe(url)
                _check_consistent(expected)
                orders = {o["order_id"]: o for o in expected["orders"][DEMO_API_KEY]}
                for acked in acks:
                    assert set(acked.crossing) <= set(orders) and set(acked.resting) <= set(orders)
                kill9(proc)
    # The cycles went through many checkpoints (the newest two are kept).
    assert min(int(p.name[11:31]) for p in state_dir.glob("checkpoint-*.state")) > 100
