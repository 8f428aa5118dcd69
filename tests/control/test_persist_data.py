"""A state directory keeps the data documents (markets, coins, rates) its requests were acknowledged under.

Reported: a fill acknowledged under one taker fee rate changed its balances on a restart after the
``--markets`` file (or a new package's embedded ``markets.json``) changed the rate, with nothing in
``differs``. The stored documents stay in force (the state directory's settings win) and the start
says what changed.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

import mockserver
from mockserver.app import MockApp, create_app
from mockserver.config import Config
from mockserver.control.persist import state_doc
from mockserver.engine import markets as markets_module

from ..helpers import Signed, ok

P = "/api/spot/v1"
M = "/_mock"
BUY = {"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.1", "price": "60000"}
KEPT = "the state keeps the data its requests were acknowledged under (new data: a fresh directory)"


def _seed_markets() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(mockserver.__file__).parent / "seed" / "markets.json").read_text())
    return doc


def _with_taker_fee(doc: dict[str, Any], rate: str) -> str:
    for row in doc["markets"]:
        if row["base"].upper() + row["quote"].upper() == "BTCUSDT":
            row["mock"]["takerFeeRate"] = rate
    return json.dumps(doc)


def _fill(app: MockApp) -> str:
    """A taker fill against a set book; the demo's BTC balance it was acknowledged with."""
    client = TestClient(app)
    assert client.post(f"{M}/clock", json={"freeze": True, "at_ms": 1_900_000_000_000}).status_code == 200
    book = client.post(f"{M}/markets/BTCUSDT/book", json={"asks": [["60000", "1"]]})
    assert book.status_code == 200, book.text
    ok(Signed(client, now_ms=app.state.mock.clock.now_ms).post(f"{P}/order/place_order", BUY))
    return str(app.state.mock.exchange.balances("demo")["BTC"].free)


def _close(app: MockApp) -> None:
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()


def test_a_changed_markets_file_does_not_change_acknowledged_fills(tmp_path: Path) -> None:
    markets = tmp_path / "markets.json"
    markets.write_text(_with_taker_fee(_seed_markets(), "0.001"))
    state_dir = tmp_path / "state"
    app = create_app(Config(liquidity=False, state_dir=state_dir, markets_path=markets))
    acknowledged = _fill(app)
    before = state_doc(app.state.mock)
    _close(app)

    markets.write_text(_with_taker_fee(_seed_markets(), "0.5"))
    again = create_app(Config(liquidity=False, state_dir=state_dir, markets_path=markets))
    mock = again.state.mock
    assert str(mock.exchange.balances("demo")["BTC"].free) == acknowledged
    assert state_doc(mock) == before
    market = mock.exchange.markets.get("BTCUSDT")
    assert market is not None and market.taker_fee_rate == Decimal("0.001")  # in force from now on too
    assert mock.durable is not None and mock.durable.resumed is not None
    assert mock.durable.resumed["differs"] == [
        f"--markets {markets}: its markets differ from the ones the state keeps in force "
        f"(BTCUSDT taker_fee_rate 0.5 here, 0.001 kept): {KEPT}"
    ]
    # A reset rebuilds from the kept markets, not from the file.
    assert TestClient(again).post(f"{M}/reset", json={}).status_code == 200
    market = mock.exchange.markets.get("BTCUSDT")
    assert market is not None and market.taker_fee_rate == Decimal("0.001")
    _close(again)


def test_a_new_embedded_default_does_not_change_acknowledged_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "state"
    app = create_app(Config(liquidity=False, state_dir=state_dir))
    acknowledged = _fill(app)
    before = state_doc(app.state.mock)
    _close(app)

    # Another version of the package: its embedded markets.json charges another taker fee.
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "markets.json").write_text(_with_taker_fee(_seed_markets(), "0.5"))
    monkeypatch.setattr(markets_module, "resources", SimpleNamespace(files=lambda package: seed))
    again = create_app(Config(liquidity=False, state_dir=state_dir))
    mock = again.state.mock
    assert str(mock.exchange.balances("demo")["BTC"].free) == acknowledged
    assert state_doc(mock) == before
    assert mock.durable is not None and mock.durable.resumed is not None
    assert mock.durable.resumed["differs"] == [
        "the embedded markets.json of this mock (mockserver/seed/markets.json) differs from the ones the state "
        f"keeps in force (BTCUSDT taker_fee_rate 0.5 here, 0.001 kept): {KEPT}"
    ]
    _close(again)
