"""The pytest plugin serves futures: the futures reference client fixture, futures steering through
``bitunix_mock.admin``, the ``futures_balances`` marker option, futures auth failures, and isolation
of futures steering between xdist workers."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from client_ref.futures import FuturesClient
from client_ref.futures.errors import FSignatureError
from client_ref.futures.models import OrderType, Side, TradeSide
from mockserver.control.client import MockAdminError
from pytest_bitunix import BitunixMock

from .test_fixtures_plugin import _pytest


def test_a_futures_order_filled_then_a_mark_move_shows_the_pnl(
    bitunix_mock: BitunixMock, bitunix_account: Any, bitunix_futures_client: FuturesClient
) -> None:
    admin = bitunix_mock.admin
    admin.set_mark_price("BTCUSDT", "100000")
    account = bitunix_futures_client.account()
    assert account.available == Decimal(100000)  # the server's default futures wallet
    ref = bitunix_futures_client.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.1", "99000", TradeSide.OPEN)
    script = admin.fill(bitunix_account["api_key"], ref.order_id, product="futures")
    assert [(f["order_id"], f["filled"], f["status"]) for f in script["fills"]] == [(ref.order_id, "0.1", "FILLED")]
    admin.set_mark_price("BTCUSDT", "101000")
    [pos] = bitunix_futures_client.pending_positions("BTCUSDT")
    assert (pos.qty, pos.avg_open_price, pos.unrealized_pnl) == (Decimal("0.1"), Decimal(99000), Decimal(200))
    [seen] = admin.positions(bitunix_account["api_key"])
    assert (seen["position_id"], seen["unrealized_pnl"]) == (pos.position_id, "200")
    assert admin.futures_audit()["conserved"] is True
    ops = [e["operation"] for e in bitunix_mock.requests(product="futures")]
    assert ops == ["futures.account", "futures.trade_place_order", "futures.position_get_pending_positions"]


@pytest.mark.bitunix(futures_balances={"USDT": "2500"}, balances={"USDT": "1"})
def test_the_marker_sets_the_futures_wallet(bitunix_mock: BitunixMock, bitunix_futures_client: FuturesClient) -> None:
    assert bitunix_futures_client.account().available == Decimal(2500)
    assert bitunix_mock.admin.futures_balances(bitunix_mock.api_key) == {"USDT": {"free": "2500", "locked": "0"}}


def test_funding_liquidation_and_test_positions_through_the_admin(
    bitunix_mock: BitunixMock, bitunix_account: Any, bitunix_futures_client: FuturesClient
) -> None:
    admin, key = bitunix_mock.admin, bitunix_account["api_key"]
    admin.set_mark_price("ETHUSDT", "4000")
    admin.set_funding_rate("ETHUSDT", "0.05")
    pos = admin.open_position(key, "ETHUSDT", "SHORT", "2", leverage=10)
    assert (pos["side"], pos["margin"]) == ("SHORT", "800")
    assert admin.settle_funding("ETHUSDT") == ["ETHUSDT"]  # 0.05 % of 8000 USDT, received by the short
    [rest] = bitunix_futures_client.pending_positions("ETHUSDT")
    assert rest.funding == Decimal(4)
    done = admin.liquidate(key, "ETHUSDT")
    assert (done["position_id"], done["liquidated"]) == (pos["position_id"], True)
    assert bitunix_futures_client.pending_positions("ETHUSDT") == []
    with pytest.raises(MockAdminError) as refused:
        admin.liquidate(key, "ETHUSDT")
    assert (refused.value.status, refused.value.message) == (409, "the account holds no position on ETHUSDT")


def test_a_futures_signing_mistake_is_an_auth_failure(bitunix_mock: BitunixMock, bitunix_account: Any) -> None:
    bad = FuturesClient(bitunix_mock.url, bitunix_account["api_key"], "not-the-secret")
    with pytest.raises(FSignatureError):
        bad.account()
    bad.close()
    [failed] = bitunix_mock.admin.auth_failures()
    assert (failed["product"], failed["code"], failed["operation"]) == ("futures", "10007", "futures.account")
    with pytest.raises(AssertionError, match=r"1 request\(s\) refused by auth"):
        bitunix_mock.assert_no_auth_failures()
    bitunix_mock.admin.clear_journal()


PARALLEL_FUTURES_TESTS = """
import json, os, time
from decimal import Decimal

import httpx
import pytest


@pytest.mark.parametrize("n", range(6))
def test_futures_isolation(bitunix_mock, bitunix_account, bitunix_futures_client, n):
    admin = bitunix_mock.admin
    mark = str(90000 + 1000 * n)
    admin.set_mark_price("BTCUSDT", mark)
    admin.set_funding_rate("BTCUSDT", "0.01")
    pos = admin.open_position(bitunix_account["api_key"], "BTCUSDT", "LONG", "0.01")
    for _ in range(5):
        got = httpx.get(bitunix_mock.url + "/api/v1/futures/market/funding_rate?symbol=BTCUSDT").json()["data"]
        row = got[0] if isinstance(got, list) else got
        assert Decimal(row["markPrice"]) == Decimal(mark)  # no other test's mark reached this exchange
        [mine] = bitunix_futures_client.pending_positions("BTCUSDT")
        assert mine.position_id == pos["position_id"]
        time.sleep(0.01)  # let the other worker's test interleave
    admin.settle_funding()
    with open(os.path.join(os.environ["VIEWS"], f"t{n}.json"), "w") as f:
        json.dump({"tenant": bitunix_mock.tenant, "funding": str(bitunix_futures_client.pending_positions()[0].funding),
                   "ops": sorted({e["operation"] for e in bitunix_mock.requests()})}, f)
"""


@pytest.mark.slow  # runs pytest -n 2 as a process
def test_futures_steering_is_isolated_between_workers(tmp_path: Path) -> None:
    views = tmp_path / "views"
    views.mkdir()
    result = _pytest(tmp_path, PARALLEL_FUTURES_TESTS, "-n", "2", env={"VIEWS": str(views)})
    outcomes = re.findall(r"^PASSED test_user.py::test_futures_isolation\[(\d)\]", result["output"], re.M)
    assert sorted(outcomes) == [str(n) for n in range(6)], result["output"]
    found = {p.stem: json.loads(p.read_text("utf-8")) for p in views.glob("*.json")}
    assert sorted(found) == [f"t{n}" for n in range(6)]
    for n in range(6):
        # Each test's position paid funding once, on its own mark: 0.01 % of 0.01 BTC at 90000 + 1000 n.
        assert Decimal(found[f"t{n}"]["funding"]) == -Decimal(90000 + 1000 * n) / 1000000
        assert found[f"t{n}"]["ops"] == [
            "futures.market_funding_rate",
            "futures.position_get_pending_positions",
        ]
    assert len({v["tenant"] for v in found.values()}) == 6
