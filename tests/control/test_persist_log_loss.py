"""A log that lost its newest records beside the checkpoints is refused, never started from silently.

Reported: with checkpoints in the directory, a deleted or emptied ``state.db``, or a deleted
``state.db-wal`` after a crash, started from the newest checkpoint and dropped every acknowledged
request logged after it without a word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.app import MockApp, create_app
from mockserver.config import Config
from mockserver.control import persist
from mockserver.control.persist import DB_NAME, FROM_ENV, PersistError

from ..helpers import Signed, ok

P = "/api/spot/v1"
M = "/_mock"


def _order(i: int) -> dict[str, object]:
    return {"symbol": "BTCUSDT", "side": 1, "type": 1, "volume": "0.001", "price": str(30000 + i)}


def _crash_image(source: Path, monkeypatch: pytest.MonkeyPatch, orders: int) -> tuple[Path, list[str]]:
    """A copy of a live directory with checkpoints written mid-run, as a ``kill -9`` leaves it (WAL and all)."""
    monkeypatch.setattr(persist, "COMPACT_FIXED_BYTES", 1500)  # a checkpoint every few requests
    app = create_app(Config(liquidity=False, state_dir=source))
    client = TestClient(app)
    assert client.post(f"{M}/clock", json={"freeze": True, "at_ms": 1_900_000_000_000}).status_code == 200
    signed = Signed(client, now_ms=app.state.mock.clock.now_ms)
    ids = [ok(signed.post(f"{P}/order/place_order", _order(i)))["orderId"] for i in range(orders)]
    durable = app.state.mock.durable
    assert durable is not None
    durable.writer.wait()
    image = source.parent / "image"
    shutil.copytree(source, image)  # while the log is open: the WAL holds the newest records
    durable.close()
    return image, ids


def _newest(directory: Path) -> str:
    return sorted(p.name for p in directory.glob("checkpoint-*.state"))[-1]


def _refusal(what: str, newest: str, seq: int) -> str:
    return (
        f"{what}, but {newest} beside it holds the exchange after log record {seq}: the requests acknowledged "
        f"after it are missing ({DB_NAME} or {DB_NAME}-wal deleted, emptied or replaced). Nothing was loaded. "
        "The way out: put the whole directory back from a copy (state.db together with state.db-wal), or start "
        f"once with {FROM_ENV}=checkpoint to start from {newest} and give up whatever the log held after it, or "
        "start a fresh directory and POST /_mock/restore an export (GET /_mock/snapshot)."
    )


def _start(directory: Path) -> MockApp:
    return create_app(Config(liquidity=False, state_dir=directory))


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_a_missing_or_empty_log_beside_checkpoints_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    image, _ = _crash_image(tmp_path / "state", monkeypatch, 12)
    for p in image.glob(f"{DB_NAME}*"):
        p.unlink()
    if damage == "emptied":
        (image / DB_NAME).write_bytes(b"")
    newest = _newest(image)
    seq = int(newest.split("-")[1].split(".")[0])
    with pytest.raises(PersistError) as refused:
        _start(image)
    assert str(refused.value) == _refusal(f"{image / DB_NAME} is missing or empty", newest, seq)
    assert (image / DB_NAME).exists() == (damage == "emptied")  # no new, empty log was put in its place


def test_a_deleted_wal_after_a_crash_is_refused_and_the_loss_can_be_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, ids = _crash_image(tmp_path / "state", monkeypatch, 12)
    (image / f"{DB_NAME}-wal").unlink()
    (image / f"{DB_NAME}-shm").unlink(missing_ok=True)
    newest = _newest(image)
    seq = int(newest.split("-")[1].split(".")[0])
    with pytest.raises(PersistError) as refused:
        _start(image)
    message = str(refused.value)
    assert message.startswith(f"{image / DB_NAME}: the log ends at record ")
    last = int(message.split("the log ends at record ")[1].split(",")[0])
    assert last < seq
    assert message == _refusal(f"{image / DB_NAME}: the log ends at record {last}", newest, seq)

    # The way out, chosen knowingly: the newest checkpoint, and the later starts accept that log.
    monkeypatch.setenv(FROM_ENV, "checkpoint")
    app = _start(image)
    kept = [o for o in ids if app.state.mock.exchange.order("demo", o) is not None]
    assert kept and kept == ids[: len(kept)]
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()
    monkeypatch.delenv(FROM_ENV)
    again = _start(image)
    assert [o for o in ids if again.state.mock.exchange.order("demo", o) is not None] == kept
    durable = again.state.mock.durable
    assert durable is not None
    durable.close()
