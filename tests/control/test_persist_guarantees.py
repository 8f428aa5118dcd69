"""What a state directory guarantees (issue 18.2-18.5, 18.7, 19.3), each case as it was reported.

Replay reproduces acknowledged decisions under the settings then in force; damage and
divergence refuse the start with the file, the record and the way out; one writer per database
file however it is reached; snapshot and restore do their costly part off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from mockserver.app import MockApp, create_app
from mockserver.config import Config
from mockserver.control import persist, routes, snapshot
from mockserver.control.controller import Controller
from mockserver.control.persist import DB_NAME, FROM_ENV, PersistError, state_doc

from ..helpers import Signed, ok
from ..serverproc import ROOT, server_process

P = "/api/spot/v1"
M = "/_mock"
ADMIN = {"x-mock-admin": "1"}
FAR_BELOW = {"symbol": "BTCUSDT", "side": 1, "type": 1, "volume": "0.5", "price": "100"}  # outside the band
RESTING = {"symbol": "BTCUSDT", "side": 1, "type": 1, "volume": "0.001", "price": "30000"}


def _app(state_dir: Path, **kw: Any) -> MockApp:
    return create_app(Config(liquidity=False, state_dir=state_dir, **kw))


def _close(app: MockApp) -> None:
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()


def _frozen(client: TestClient) -> None:
    assert client.post(f"{M}/clock", json={"freeze": True, "at_ms": 1_900_000_000_000}).status_code == 200


# ------------------------------------------------- 18.2: decisions replayed as made


def test_an_order_acknowledged_under_a_flag_survives_a_restart_without_it(tmp_path: Path) -> None:
    app = _app(tmp_path, switches={"price_band": "off"})
    client = TestClient(app)
    _frozen(client)
    oid = ok(Signed(client, now_ms=app.state.mock.clock.now_ms).post(f"{P}/order/place_order", FAR_BELOW))["orderId"]
    before = state_doc(app.state.mock)
    _close(app)

    again = _app(tmp_path)  # the flag is gone
    mock = again.state.mock
    assert state_doc(mock) == before
    assert mock.exchange.order("demo", oid) is not None
    # The stored setting stays in force, for the past and from now on; the start says so.
    assert mock.switch("price_band") == "off"
    durable = mock.durable
    assert durable is not None and durable.resumed is not None
    assert durable.resumed["differs"] == [
        "the start-up default price_band=placecode: the state keeps price_band=off in force "
        "(change it: POST /_mock/switches)"
    ]
    assert durable.resumed["switches"] == {"price_band": "off"}
    _close(again)


def test_rate_limits_switched_on_through_the_admin_api_stay_on(tmp_path: Path) -> None:
    app = _app(tmp_path)
    client = TestClient(app)
    assert client.post(f"{M}/rate-limits", json={"enabled": True, "per_second": {"place_order": 7}}).is_success
    ok(Signed(client).post(f"{P}/order/place_order", RESTING))  # a request after it, replayed too
    _close(app)
    again = _app(tmp_path)
    limiter = again.state.mock.rate_limiter
    assert limiter.enabled is True and limiter.overrides == {"place_order": 7}
    durable = again.state.mock.durable
    assert durable is not None and durable.resumed is not None
    assert durable.resumed["differs"] == [
        "rate limits off (the start-up default): the state keeps them on (change it: POST /_mock/rate-limits)"
    ]
    _close(again)


def test_a_profile_flag_that_differs_is_reported_and_the_stored_one_stays(tmp_path: Path) -> None:
    app = _app(tmp_path, profile="strict")
    _close(app)
    again = _app(tmp_path, profile="docs")
    assert again.state.mock.verifier.profile.name == "strict"
    durable = again.state.mock.durable
    assert durable is not None and durable.resumed is not None
    assert durable.resumed["profile"] == "strict"
    assert durable.resumed["differs"] == [
        "--profile docs: the state keeps profile strict in force (change it: POST /_mock/profile)"
    ]
    _close(again)


def _rewrite_head(db_path: Path, seq: int, **changes: Any) -> None:
    db = sqlite3.connect(db_path)
    head, body = db.execute("SELECT head, body FROM log WHERE seq = ?", (seq,)).fetchone()
    doc = {**orjson.loads(head), **changes}
    raw = orjson.dumps(doc)
    db.execute("UPDATE log SET head = ?, crc = ? WHERE seq = ?", (raw, zlib.crc32(raw + bytes(body)), seq))
    db.commit()
    db.close()


def test_a_replay_that_answers_differently_stops_the_start(tmp_path: Path) -> None:
    app = _app(tmp_path)
    client = TestClient(app)
    _frozen(client)
    ok(Signed(client, now_ms=app.state.mock.clock.now_ms).post(f"{P}/order/place_order", RESTING))
    _close(app)
    # As if the writer had decided otherwise (another version of the mock): code 2 recorded.
    _rewrite_head(tmp_path / DB_NAME, 2, code="2")
    with pytest.raises(PersistError) as refused:
        _app(tmp_path)
    message = str(refused.value)
    assert message.startswith(
        f"{tmp_path / DB_NAME}: log record 2 (POST /api/spot/v1/order/place_order at mock time 1900000000000) "
        "was acknowledged with code 2 (answer checksum "
    )
    assert "; replayed now it answers code 0: {" in message
    assert message.endswith(
        "Nothing was loaded: this mock does not reproduce what the directory's writer decided (another version "
        "of the mock, or a bug: the markets, coins and rates in force are the directory's own, kept with its "
        "checkpoints). Start the version that wrote the directory, or start a fresh directory and "
        "POST /_mock/restore an export (GET /_mock/snapshot)."
    )


# ------------------------------------------------------------ 18.3: damage refused


def _flip(path: Path, needle: bytes) -> None:
    raw = bytearray(path.read_bytes())
    at = raw.index(needle)
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_in_the_checkpoint_is_refused_and_the_previous_one_is_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path)
    client = TestClient(app)
    _frozen(client)
    made = client.post(f"{M}/accounts", json={"label": "label-to-damage", "balances": {"USDT": "9"}}).json()
    durable = app.state.mock.durable
    assert durable is not None
    durable.checkpoint()  # the account is in this checkpoint; the previous one predates it
    ok(Signed(client, now_ms=app.state.mock.clock.now_ms).post(f"{P}/order/place_order", RESTING))
    before = state_doc(app.state.mock)
    _close(app)
    newest, previous = sorted(tmp_path.glob("checkpoint-*.state"), reverse=True)
    _flip(newest, b"label-to-damage")

    with pytest.raises(PersistError) as refused:
        _app(tmp_path)
    assert str(refused.value) == (
        f"{newest}: fails its SHA-256 checksum. The file is damaged; nothing was loaded. The way out: start "
        f"once with {FROM_ENV}=previous to load the previous checkpoint {previous.name} and replay the log kept "
        "since it (nothing acknowledged is lost if the log is intact); or start a fresh directory and "
        "POST /_mock/restore an export (GET /_mock/snapshot)."
    )
    monkeypatch.setenv(FROM_ENV, "previous")
    again = _app(tmp_path)
    assert state_doc(again.state.mock) == before  # the account, its label and the order
    assert again.state.mock.exchange.account_by_key(made["api_key"]) is not None
    _close(again)
    # The damaged file is gone: the next checkpoint's "previous" is a verified one.
    assert newest not in set(tmp_path.glob("checkpoint-*.state")) and previous.exists()
    monkeypatch.delenv(FROM_ENV)
    _close(_app(tmp_path))


def test_the_previous_checkpoint_stays_until_the_new_one_is_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path)
    client = TestClient(app)
    durable = app.state.mock.durable
    assert durable is not None
    durable.checkpoint()
    signed = Signed(client)
    for _ in range(3):
        ok(signed.post(f"{P}/order/place_order", RESTING))
    kept = sorted(p.name for p in tmp_path.glob("checkpoint-*.state"))
    log_size = durable.store.log_size()

    def unreadable(cp: persist.Checkpoint) -> bytes:
        raise PersistError(f"{cp.path}: fails its SHA-256 checksum")

    monkeypatch.setattr(durable.store, "read_checkpoint", unreadable)  # the disk gave back other bytes
    with pytest.raises(PersistError, match="fails its SHA-256 checksum"):
        durable.checkpoint()
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*.state")) == kept
    assert not list(tmp_path.glob(".checkpoint-*"))
    assert durable.store.log_size() == log_size
    monkeypatch.undo()
    _close(app)


# ------------------------------------------------- 18.5: checkpoints off the request path


def test_a_checkpoint_is_written_while_requests_are_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request that crosses the compaction line hands a copy to the writer and is answered;
    the writer here waits until a later request has been answered, which a checkpoint written on
    the request path could never see."""
    monkeypatch.setattr(persist, "COMPACT_EVERY", 2)
    app = _app(tmp_path)
    client = TestClient(app)
    durable = app.state.mock.durable
    assert durable is not None
    answered = threading.Event()
    waited: list[bool] = []
    real = durable.store.write_checkpoint

    def held(seq: int, doc: bytes) -> int:
        waited.append(answered.wait(timeout=10))
        return real(seq, doc)

    monkeypatch.setattr(durable.store, "write_checkpoint", held)
    signed = Signed(client)
    ok(signed.post(f"{P}/order/place_order", RESTING))
    ok(signed.post(f"{P}/order/place_order", RESTING))  # crosses the line: the copy goes to the writer
    ok(signed.post(f"{P}/order/place_order", RESTING))  # answered while the writer is still held
    answered.set()
    durable.writer.wait()
    assert waited == [True]
    assert [c.seq for c in durable.store.checkpoints()] == [2, 0]
    _close(app)
    again = _app(tmp_path)  # the checkpoint after record 2, then record 3 replayed
    assert again.state.mock.durable is not None and again.state.mock.durable.replayed == 1
    assert len(again.state.mock.exchange.orders_of("demo")) == 3
    _close(again)


# ---------------------------------------------------------- 18.4: one writer per file


def test_deleting_the_lock_file_does_not_let_a_second_server_in(tmp_path: Path) -> None:
    app = _app(tmp_path)
    (tmp_path / "state.lock").unlink(missing_ok=True)  # where the lock used to live
    with pytest.raises(PersistError, match="is in use by another bitunix-mock server"):
        _app(tmp_path)
    _close(app)


def test_a_symlinked_database_is_the_same_database(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    app = _app(first)
    second.mkdir()
    (second / DB_NAME).symlink_to(first / DB_NAME)
    with pytest.raises(PersistError) as refused:
        _app(second)
    assert str(refused.value) == (
        f"{(first / DB_NAME).resolve()} is in use by another bitunix-mock server (it holds the lock on the file)"
    )
    _close(app)


# ------------------------------------------- 18.7: snapshot and restore off the loop


def test_snapshot_and_restore_serve_other_clients_while_they_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The costly half runs in a worker thread: a request sent meanwhile is answered before it ends."""
    app = create_app(Config(liquidity=False))
    snap = TestClient(app).get(M + "/snapshot", headers=ADMIN).json()  # the document the restore sends
    served = threading.Event()
    waited: list[bool] = []
    real_encode, real_prepare = snapshot.encode, Controller.prepare_restore

    def slow_encode(*args: Any) -> Any:
        waited.append(served.wait(timeout=10))  # on the event loop this could never see the request
        return real_encode(*args)

    def slow_prepare(self: Any, doc: Any) -> Any:
        waited.append(served.wait(timeout=10))
        return real_prepare(self, doc)

    monkeypatch.setattr(routes, "encode", slow_encode)
    monkeypatch.setattr(Controller, "prepare_restore", slow_prepare)

    async def scenario(method: str, path: str, body: Any = None) -> int:
        served.clear()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=ADMIN) as client:
            big = asyncio.create_task(client.request(method, M + path, json=body))
            while not big.done() and not served.is_set():
                await asyncio.sleep(0.01)
                health = await client.get(M + "/health")
                if health.status_code == 200:
                    served.set()
            return (await big).status_code

    assert asyncio.run(scenario("GET", "/snapshot")) == 200
    assert asyncio.run(scenario("POST", "/restore", snap)) == 200
    assert waited == [True, True]


# --------------------------------------------- 19.3: what a restart says, and why not


@pytest.mark.slow
def test_the_banner_says_what_was_resumed_and_the_profile_in_force(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with server_process("--state", str(state), "--no-liquidity") as banner:
        assert banner["resumed"] is None and banner["profile"] == "live"
        admin = httpx.Client(base_url=banner["url"] + M, headers=ADMIN, timeout=10)
        assert admin.post("/profile", json={"name": "strict"}).status_code == 200
        assert admin.post("/accounts", json={"balances": {"USDT": "1"}}).is_success
        assert admin.post("/clock", json={"freeze": True, "at_ms": 1_900_000_000_000}).status_code == 200
    with server_process("--state", str(state), "--no-liquidity") as banner:
        assert banner["profile"] == "strict"  # the state's, not the flag's
        resumed = banner["resumed"]
        assert resumed == {
            "directory": str(state),
            "accounts": 2,
            "orders": 0,
            "resting": 0,
            "clock": {"frozen": True, "offset_ms": 0, "now_ms": 1_900_000_000_000},
            "profile": "strict",
            "switches": {},
            "rate_limits": False,
            "replayed": 3,  # the three admin writes after the first start's checkpoint
            "differs": [
                "the start-up default profile live: the state keeps profile strict in force (change it: POST /_mock/profile)"
            ],
        }
    # The text banner says the same in lines.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--no-liquidity", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while not any(line.startswith("  differs") for line in lines) and len(lines) < 12:
            lines.append(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "  profile  strict (kept by the state directory)\n" in lines
    assert (
        f"  resumed  {state}: 2 accounts, 0 orders (0 resting), clock frozen at 1900000000000, "
        "profile strict, switches as default, rate limits off\n"
    ) in lines
    assert (
        "  differs  the start-up default profile live: the state keeps profile strict in force "
        "(change it: POST /_mock/profile)\n" in lines
    )


def _run_cli(argv: list[str], uid: int | None) -> tuple[int, str]:
    """``cli.main(argv)`` in a forked child (as ``uid`` when given): its exit status and stderr.

    Forked rather than started: the interpreter may live where another uid cannot read it, so the
    modules the start needs are imported first and only then are the privileges dropped.
    """
    import sqlite3  # noqa: F401 - loaded before the child drops privileges

    import uvicorn  # noqa: F401

    from mockserver import cli

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 99
        try:
            os.close(read)
            os.dup2(write, 2)
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 - the child's stderr until it exits
            if uid is not None:
                os.setgid(uid)
                os.setuid(uid)
            code = cli.main(argv)
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "r") as fh:
        err = fh.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.mark.slow
def test_an_unwritable_state_directory_names_the_fix() -> None:
    with tempfile.TemporaryDirectory(prefix="mock-unwritable-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)  # another uid may pass through, not write
        state = base / "state"
        state.mkdir()
        if os.getuid() == 0:  # root writes anywhere: run as another uid, as a container user would
            uid, owner = 65534, 0
        else:
            state.chmod(0o555)
            uid = owner = os.getuid()
        status, err = _run_cli(["--port", "0", "--state", str(state)], 65534 if os.getuid() == 0 else None)
    assert status == 2, err
    assert err.strip().splitlines()[-1] == (
        f"bitunix-mock: cannot use the state directory {state}: {state} is not writable (Permission denied): "
        f"this process runs as uid {uid} and the directory belongs to uid {owner}: run the server as the uid "
        f"that owns it (docker run --user {owner}), or give uid {uid} write access (chown {uid} {state}), "
        "or mount a writable volume there"
    )


@pytest.mark.slow
def test_a_state_file_owned_by_another_uid_names_the_file_and_its_owner() -> None:
    with tempfile.TemporaryDirectory(prefix="mock-foreign-file-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        state = base / "state"
        state.mkdir()
        state.chmod(0o777)  # anyone may write the directory; the log file is another uid's
        db = state / DB_NAME
        db.write_bytes(b"")
        if os.getuid() == 0:  # the file belongs to root, the server runs as a container user would
            db.chmod(0o644)
            uid, owner = 65534, 0
        else:
            db.chmod(0o444)
            uid = owner = os.getuid()
        status, err = _run_cli(["--port", "0", "--state", str(state)], 65534 if os.getuid() == 0 else None)
    assert status == 2, err
    assert err.strip().splitlines()[-1] == (
        f"bitunix-mock: cannot use the state directory {state}: {db} is not writable (Permission denied): "
        f"this process runs as uid {uid} and the file {db} belongs to uid {owner}: run the server as the uid "
        f"that owns it (docker run --user {owner}), or give uid {uid} write access (chown {uid} {db}), "
        "or mount a writable volume there"
    )
