"""The state directory (``mockserver.persist``): round trips, compaction, torn and corrupt files, cost."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from mockserver import cli
from mockserver.app import MockApp, create_app
from mockserver.config import Config
from mockserver.control import persist
from mockserver.control.persist import DB_NAME, PersistError, Store

from ..helpers import Signed, err, ok
from ..serverproc import ROOT

P = "/api/spot/v1"
M = "/_mock"
RESTING = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.001", "price": "30000"}
CROSSING = {"symbol": "BTCUSDT", "side": 1, "type": 1, "volume": "0.001", "price": "60000"}


def _app(state_dir: Path, **kw: Any) -> MockApp:
    return create_app(Config(state_dir=state_dir, **kw))


def _close(app: MockApp) -> None:
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()


def _without_now(snap: dict[str, Any]) -> dict[str, Any]:
    return {**snap, "clock": {k: v for k, v in snap["clock"].items() if k != "now_ms"}}


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def running(state_dir: Path) -> Iterator[tuple[MockApp, TestClient]]:
    app = _app(state_dir)
    with TestClient(app) as client:
        yield app, client


def _reopen(app: MockApp, state_dir: Path) -> MockApp:
    _close(app)
    again = _app(state_dir)
    assert again.state.mock.durable is not None  # a replay that diverged would have raised
    return again


def test_round_trip_keeps_exchange_and_steering(state_dir: Path, running: tuple[MockApp, TestClient]) -> None:
    app, client = running
    signed = Signed(client, now_ms=app.state.mock.clock.now_ms)
    peer = client.post(f"{M}/accounts", json={"balances": {"USDT": "5"}}).json()
    assert client.post(f"{M}/clock", json={"freeze": True, "at_ms": 1_900_000_000_000}).status_code == 200
    assert client.post(f"{M}/switches", json={"price_band": "off"}).status_code == 200
    assert client.post(f"{M}/rate-limits", json={"per_second": {"place_order": 50}}).status_code == 200
    assert client.post(f"{M}/faults", json={"action": "latency", "latency_ms": 1, "path": "/nowhere"}).is_success
    assert client.post(f"{M}/profile", json={"name": "strict"}).status_code == 200
    resting = [ok(signed.post(f"{P}/order/place_order", RESTING))["orderId"] for _ in range(3)]
    script = {"api_key": signed.key, "order_id": resting[0], "after_polls": 2, "fraction": "0.5"}
    assert client.post(f"{M}/counterparty", json=script).is_success
    ok(signed.post(f"{P}/order/place_order", CROSSING))
    ok(signed.post(f"{P}/order/cancel", {"orderIdList": [{"orderId": resting[1], "symbol": "BTCUSDT"}]}))
    ok(signed.post(f"{P}/inside_transfer", {"coin": "USDT", "amount": "2", "toType": "uid", "toUid": peer["uid"]}))
    ok(signed.post(f"{P}/order/pending/list", {"symbol": "BTCUSDT"}))  # poll 1: the script waits for 2
    refused = signed.post(f"{P}/order/place_order", {**RESTING, "volume": "0.0000001"})  # spends its nonce
    assert err(refused)[0] != "0"
    before = client.get(f"{M}/snapshot").json()
    scripts = client.get(f"{M}/counterparty").json()
    durable = app.state.mock.durable
    assert durable is not None and durable.store.log_size() == 15  # 6 admin writes, 9 signed requests

    again = _reopen(app, state_dir)
    assert again.state.mock.durable is not None and again.state.mock.durable.replayed == 15
    for _ in range(2):  # replayed from the log, then from the checkpoint written at start
        with TestClient(again) as c2:
            assert c2.get(f"{M}/snapshot").json() == before  # the clock is frozen: equal to the millisecond
            assert c2.get(f"{M}/counterparty").json() == scripts
        again = _reopen(again, state_dir)
    with TestClient(again) as c2:
        assert c2.get(f"{M}/switches").json()["price_band"] == "off"
        limits = c2.get(f"{M}/rate-limits").json()
        assert limits["limits"]["place_order"]["per_second"] == 50
        assert [f["path"] for f in c2.get(f"{M}/faults").json()] == ["/nowhere"]
        assert c2.get(f"{M}/version").json()["profile"] == "strict"
        assert c2.get(f"{M}/counterparty").json() == scripts
        # The refused request's nonce is remembered too.
        resent = c2.post(refused.request.url.path, content=refused.request.content, headers=refused.request.headers)
        assert err(resent)[0] == "900001"
        # The script still counts polls: the second one fills half of the order.
        s2 = Signed(c2, now_ms=again.state.mock.clock.now_ms)
        ok(s2.post(f"{P}/order/pending/list", {"symbol": "BTCUSDT"}))
        assert c2.get(f"{M}/counterparty").json()[0]["done"] is True
    _close(again)


def test_what_is_logged_and_what_checkpoints(running: tuple[MockApp, TestClient]) -> None:
    app, client = running
    signed = Signed(client)
    durable = app.state.mock.durable
    assert durable is not None
    ok(signed.post(f"{P}/order/place_order", RESTING))
    ok(signed.get(f"{P}/user/account"))  # a read spends a nonce: logged
    client.get(f"{P}/market/last_price", params={"symbol": "BTCUSDT"})  # public, nothing waits: not logged
    signed.post(f"{P}/order/place_order", RESTING, sign="0" * 64)  # refused before the nonce: not logged
    assert durable.store.log_size() == 2
    assert client.post(f"{M}/accounts/{signed.key}/fund", json={"coin": "USDT", "amount": "1"}).is_success
    assert client.get(f"{M}/accounts/{signed.key}").is_success  # a read: not logged
    assert client.post(f"{M}/accounts/{signed.key}/fund", json={"coin": "NOPE", "amount": "1"}).status_code == 400
    assert durable.store.log_size() == 3  # a refused admin call changed nothing: not logged
    assert client.post(f"{M}/reset", json={}).is_success
    assert durable.store.log_size() == 4  # a whole reset is a record too, replayed at its recorded instant


def test_compaction_every_n_requests(
    state_dir: Path, running: tuple[MockApp, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persist, "COMPACT_EVERY", 5)
    app, client = running
    signed = Signed(client)
    durable = app.state.mock.durable
    assert durable is not None
    sizes, kept = [], []
    for _ in range(12):
        ok(signed.post(f"{P}/order/place_order", RESTING))
        durable.writer.wait()  # checkpoints are written by a thread: wait for it to compare
        sizes.append(durable.store.log_size())
        kept.append([c.seq for c in durable.store.checkpoints()])
    # A checkpoint after 5 and 10 records; the previous one and the log since it stay.
    assert sizes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 7]
    assert kept[3] == [0] and kept[4] == [5, 0] and kept[9] == [10, 5] and kept[11] == [10, 5]
    before = client.get(f"{M}/snapshot").json()
    again = _reopen(app, state_dir)
    assert again.state.mock.durable is not None and again.state.mock.durable.replayed == 2
    with TestClient(again) as c2:
        assert _without_now(c2.get(f"{M}/snapshot").json()) == _without_now(before)
    _close(again)


def test_compaction_when_the_log_outgrows_the_checkpoint(
    running: tuple[MockApp, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persist, "COMPACT_MIN_BYTES", 0)
    app, client = running
    durable = app.state.mock.durable
    assert durable is not None and durable.checkpoint_bytes > 100_000  # the start-up checkpoint
    durable.checkpoint_bytes = 1500  # as if the exchange were tiny: a few records outgrow it
    signed = Signed(client)
    for _ in range(8):
        ok(signed.post(f"{P}/order/place_order", RESTING))
        durable.writer.wait()
    # One checkpoint once the log passed 1,500 bytes; it measures the real size again, so no more.
    assert durable.writer.written == 1 and durable.checkpoint_bytes > 100_000
    newest, previous = durable.store.checkpoints()
    assert 1 <= newest.seq < 8 and previous.seq == 0


def test_reset_and_restore_are_kept(state_dir: Path, running: tuple[MockApp, TestClient]) -> None:
    app, client = running
    signed = Signed(client)
    saved = client.get(f"{M}/snapshot").json()
    ok(signed.post(f"{P}/order/place_order", RESTING))
    assert client.post(f"{M}/restore", json=saved).status_code == 200
    ok(signed.post(f"{P}/order/place_order", RESTING))
    mid = client.get(f"{M}/snapshot").json()
    again = _reopen(app, state_dir)
    with TestClient(again) as c2:
        assert _without_now(c2.get(f"{M}/snapshot").json()) == _without_now(mid)
        assert c2.post(f"{M}/reset", json={"seed": 9}).status_code == 200
    again2 = _reopen(again, state_dir)
    assert again2.state.mock.exchange.seed == 9 and not again2.state.mock.exchange.orders_of("demo")
    _close(again2)


def test_a_restore_document_is_written_off_the_event_loop_and_logged_by_name(
    state_dir: Path, running: tuple[MockApp, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = running
    durable = app.state.mock.durable
    assert durable is not None
    threads: dict[str, int] = {}
    write_doc, append = durable.store.write_doc, durable._append

    def watched_write_doc(body: bytes) -> str:
        threads["document"] = threading.get_ident()
        return write_doc(body)

    def watched_append(head: dict[str, Any], body: bytes) -> None:
        threads["log"] = threading.get_ident()
        append(head, body)

    monkeypatch.setattr(durable.store, "write_doc", watched_write_doc)
    monkeypatch.setattr(durable, "_append", watched_append)
    ok(Signed(client).post(f"{P}/order/place_order", RESTING))
    raw = client.get(f"{M}/snapshot").content
    sha = sha256(raw).hexdigest()
    assert client.post(f"{M}/restore", content=raw, headers={"content-type": "application/json"}).status_code == 200
    restored = client.get(f"{M}/snapshot").json()
    # The document went to its own file from a worker thread; the event loop logged a record naming it.
    assert threads["document"] != threads["log"]
    assert (state_dir / f"restore-{sha}.json").read_bytes() == raw
    db = sqlite3.connect(state_dir / DB_NAME)
    heads = [(orjson.loads(h), bytes(b)) for h, b in db.execute("SELECT head, body FROM log ORDER BY seq")]
    db.close()
    assert [(h.get("doc"), b) for h, b in heads if h["p"] == f"{M}/restore"] == [(sha, b"")]

    _close(app)
    # A damaged document is refused with its name, like a damaged record (on a copy: the restart
    # below writes a checkpoint after the restore, which the newest start then no longer replays).
    damaged = state_dir.parent / "damaged"
    shutil.copytree(state_dir, damaged)
    doc = damaged / f"restore-{sha}.json"
    doc.write_bytes(raw[:-1] + b" ")
    with pytest.raises(PersistError) as refused:
        _app(damaged)
    assert str(refused.value) == (
        f"{doc}: fails its SHA-256 checksum (log record {_restore_seq(state_dir)} restores it). Nothing was "
        "loaded. The way out: put the file back from a copy of the whole directory, or start a fresh directory "
        "and POST /_mock/restore an export (GET /_mock/snapshot)."
    )
    again = _app(state_dir)
    with TestClient(again) as c2:
        assert _without_now(c2.get(f"{M}/snapshot").json()) == _without_now(restored)
    _close(again)


def _restore_seq(state_dir: Path) -> int:
    db = sqlite3.connect(state_dir / DB_NAME)
    try:
        seqs = [n for n, h in db.execute("SELECT seq, head FROM log") if orjson.loads(h)["p"] == f"{M}/restore"]
    finally:
        db.close()
    assert len(seqs) == 1
    return int(seqs[0])


def test_a_restore_document_no_record_names_is_removed_by_the_next_checkpoint(
    state_dir: Path, running: tuple[MockApp, TestClient]
) -> None:
    app, client = running
    raw = client.get(f"{M}/snapshot").content
    assert client.post(f"{M}/restore", content=raw, headers={"content-type": "application/json"}).status_code == 200
    doc = state_dir / f"restore-{sha256(raw).hexdigest()}.json"
    durable = app.state.mock.durable
    assert durable is not None
    durable.checkpoint()  # the log since the previous checkpoint still names it
    assert doc.exists()
    ok(Signed(client).post(f"{P}/order/place_order", RESTING))
    durable.checkpoint()  # now the records before this checkpoint's predecessor are gone
    assert not doc.exists()


class _Exited(Exception):
    pass


def test_a_change_that_cannot_be_written_stops_the_process(
    running: tuple[MockApp, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = running
    durable = app.state.mock.durable
    assert durable is not None

    def full_disk(seq: int, head: bytes, body: bytes) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def exit_(status: int) -> None:
        raise _Exited(status)

    monkeypatch.setattr(durable.store, "append", full_disk)
    monkeypatch.setattr(persist.os, "_exit", exit_)
    with pytest.raises(_Exited) as stopped:
        Signed(client).post(f"{P}/order/place_order", RESTING)  # never answered
    assert stopped.value.args == (persist.EXIT_UNSAVED,)


def test_the_stop_line_of_a_full_disk_gives_the_os_error(
    running: tuple[MockApp, TestClient], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app, client = running
    durable = app.state.mock.durable
    assert durable is not None

    def full_disk(seq: int, head: bytes, body: bytes) -> None:
        raise sqlite3.OperationalError("database or disk is full")  # all SQLite says of ENOSPC

    def exit_(status: int) -> None:
        raise _Exited(status)

    monkeypatch.setattr(durable.store, "append", full_disk)
    monkeypatch.setattr(persist.os, "_exit", exit_)
    monkeypatch.setattr(persist.os, "statvfs", lambda path: SimpleNamespace(f_bavail=3, f_frsize=4096))
    with caplog.at_level(logging.CRITICAL, logger="mockserver.persist"), pytest.raises(_Exited):
        Signed(client).post(f"{P}/order/place_order", RESTING)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL] == [
        f"state: cannot write {durable.store.path} (database or disk is full: No space left on device, "
        f"12288 bytes free in {durable.store.home}); stopping so no unsaved change is acknowledged"
    ]


# ------------------------------------------------------------------ the file


def _fill(path: Path, n: int) -> Store:
    store = Store(path)
    for i in range(n):
        store.append(i + 1, b'{"i":%d}' % i, b"body-%d" % i)
    return store


def _crash_copy(path: Path, dest: Path) -> Path:
    """The files as a killed process leaves them: the database and its WAL, never checkpointed."""
    dest.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(str(path) + suffix, str(dest / DB_NAME) + suffix)
    return dest / DB_NAME


def test_torn_last_wal_record_is_dropped_cleanly(tmp_path: Path) -> None:
    # A commit whose WAL frame is half-written was never acknowledged: SQLite itself ignores it.
    live = _fill(tmp_path / DB_NAME, 3)
    copy = _crash_copy(tmp_path / DB_NAME, tmp_path / "crash")
    live.close()
    wal = Path(str(copy) + "-wal")
    with wal.open("r+b") as fh:  # the last commit's frame half-written
        fh.truncate(wal.stat().st_size - 100)
    records = _records(copy)
    assert [(r[1], r[2]) for r in records] == [({"i": 0}, b"body-0"), ({"i": 1}, b"body-1")]


def _records(path: Path) -> list[tuple[int, dict[str, Any], bytes]]:
    store = Store(path)
    try:
        return store.records_after(0)
    finally:
        store.close()


def _damage(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


def test_a_committed_record_that_fails_its_checksum_is_refused_never_dropped(tmp_path: Path) -> None:
    # Issue 18.3: the last record with a bad checksum was dropped as if torn by a crash, losing an
    # acknowledged order. An SQLite commit is atomic: a committed record that fails is damage.
    path = tmp_path / DB_NAME
    _fill(path, 3).close()
    _damage(path, "UPDATE log SET body = X'00' WHERE seq = 3")
    way_out = "Start a fresh directory and POST /_mock/restore an export you saved"
    with pytest.raises(PersistError) as refused:
        _records(path)
    assert str(refused.value).startswith(f"{path}: log record 3 fails its checksum. Nothing was loaded.")
    assert way_out in str(refused.value)
    store = Store(path)
    assert store.log_size() == 3  # nothing was dropped
    store.close()
    _damage(path, "UPDATE log SET crc = crc + 1 WHERE seq = 1")
    with pytest.raises(PersistError, match=f"^{path}: log record 1 fails its checksum"):
        _records(path)
    _damage(path, "DELETE FROM log WHERE seq = 1")
    with pytest.raises(PersistError, match=r"log records 1\.\.1 are missing"):
        _records(path)


def test_foreign_corrupt_and_newer_files_refuse_to_start(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / DB_NAME).write_bytes(b"hello, not a database" * 100)
    with pytest.raises(PersistError, match="not an SQLite database"):
        _app(garbage)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    db = sqlite3.connect(foreign / DB_NAME)
    db.execute("CREATE TABLE users (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(PersistError, match="not a bitunix-mock state file"):
        _app(foreign)

    newer = tmp_path / "newer"
    app = _app(newer)
    _close(app)
    db = sqlite3.connect(newer / DB_NAME)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()
    with pytest.raises(PersistError, match="version 99; this mock reads version 2"):
        _app(newer)

    broken = tmp_path / "broken"
    _close(_app(broken))
    raw = bytearray((broken / DB_NAME).read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree, header intact
    (broken / DB_NAME).write_bytes(bytes(raw))
    with pytest.raises(PersistError, match="corrupt"):
        _app(broken)

    bad_doc = tmp_path / "bad-doc"
    _close(_app(bad_doc))
    (cp,) = list(bad_doc.glob("checkpoint-*.state"))
    doc = b'{"format": "bitunix-mock-state", "version": 2, "snapshot": {}}'
    cp.write_bytes(
        b"bitunix-mock-checkpoint 2 sha256=%s bytes=%d\n" % (sha256(doc).hexdigest().encode(), len(doc)) + doc
    )
    with pytest.raises(PersistError, match=re.escape(f"{cp} cannot be restored: not a bitunix-mock-snapshot document")):
        _app(bad_doc)


def test_cli_names_the_problem_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / DB_NAME).write_bytes(b"\x00" * 4096)
    assert cli.main(["--port", "0", "--state", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert f"cannot use the state directory {tmp_path}" in message and "not an SQLite database" in message


def test_one_server_per_directory(state_dir: Path, running: tuple[MockApp, TestClient]) -> None:
    with pytest.raises(PersistError, match="in use by another bitunix-mock server"):
        _app(state_dir)


@pytest.mark.slow  # starts a Python process
def test_without_state_nothing_is_imported() -> None:
    code = (
        "import sys; from mockserver.app import create_app; from mockserver import cli; create_app(); "
        "assert 'sqlite3' not in sys.modules and 'mockserver.control.persist' not in sys.modules, 'imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)


# ------------------------------------------------------------------ the cost


def _round(app: MockApp, n: int) -> float:
    """Seconds per signed place + cancel pair (two state-changing requests), in-process over ASGI."""

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            signed = Signed(client)
            started = time.perf_counter()
            for _ in range(n):
                placed = (await signed.post(f"{P}/order/place_order", RESTING)).json()["data"]["orderId"]
                body = {"orderIdList": [{"orderId": placed, "symbol": "BTCUSDT"}]}
                assert (await signed.post(f"{P}/order/cancel", body)).json()["code"] == "0"
            return (time.perf_counter() - started) / (2 * n)

    return asyncio.run(run())


def test_fault_counters_carry_the_random_stream_across_a_restart() -> None:
    """What a state directory keeps of the faults besides the rules: the next draws are the same ones."""
    import json

    from mockserver.api.faults import FaultRule, Faults

    def rule() -> FaultRule:
        return FaultRule(action="latency", latency_ms=1, latency_max_ms=1000, probability=0.5)

    first = Faults(seed=7)
    first.add(rule())
    for _ in range(25):
        first.decide("GET", "/x", None)
    counters = json.loads(json.dumps(first.counters()))  # through JSON, as the checkpoint stores it
    expected = [first.decide("GET", "/x", None) for _ in range(40)]

    second = Faults(seed=0)
    second.add(rule())
    second.load_counters(counters)
    got = [second.decide("GET", "/x", None) for _ in range(40)]
    assert [d and d.delay_ms for d in got] == [d and d.delay_ms for d in expected]
    assert any(d is None for d in got) and any(d is not None for d in got)
    assert second.counters()["ids"] == first.counters()["ids"] and second.seed == 7


def test_a_version_1_directory_is_read_and_upgraded(tmp_path: Path) -> None:
    """The previous layout (one checkpoint row, no settings, unchecksummed) still opens, once rewritten."""
    source = create_app(Config(liquidity=False))
    client = TestClient(source)
    ok(Signed(client).post(f"{P}/order/place_order", RESTING))
    doc = persist.state_doc(source.state.mock)
    # A version-1 directory holds a version-2 snapshot (before futures were kept): no futures activity.
    v2_snapshot = {k: v for k, v in doc["snapshot"].items() if k not in ("futures", "futures_liquidity")}
    v1 = {k: v for k, v in doc.items() if k != "settings"} | {"version": 1, "snapshot": v2_snapshot | {"version": 2}}
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), doc BLOB NOT NULL)")
    db.execute(
        "CREATE TABLE log (seq INTEGER PRIMARY KEY, head BLOB NOT NULL, body BLOB NOT NULL, crc INTEGER NOT NULL)"
    )
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", "bitunix-mock-state"), ("version", "1")])
    db.execute("INSERT INTO checkpoint VALUES (1, ?)", (orjson.dumps(v1),))
    db.commit()
    db.close()
    app = _app(tmp_path, liquidity=False)
    upgraded = persist.state_doc(app.state.mock)["snapshot"]
    assert upgraded["orders"] == doc["snapshot"]["orders"]
    assert upgraded["version"] == 3 and upgraded["futures"] == doc["snapshot"]["futures"]  # a fresh futures engine
    _close(app)
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("2",)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'checkpoint'").fetchone() is None
    db.close()
    assert len(list(tmp_path.glob("checkpoint-*.state"))) == 1
