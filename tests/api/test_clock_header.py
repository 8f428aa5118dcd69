"""The Date header is the exchange's clock: sent from the mock clock on every reply, so clients re-sync."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest
from starlette.testclient import TestClient

from client_ref import errors as E
from mockserver import Config, create_app

from ..clientharness import MODE_PARAMS, Harness, harness
from ..helpers import Signed


def _date_ms(resp: httpx.Response) -> int:
    values = resp.headers.get_list("date")
    assert len(values) == 1, values  # exactly one Date: the mock's (uvicorn's own is switched off)
    return int(parsedate_to_datetime(values[0]).timestamp() * 1000)


@pytest.mark.parametrize(
    "path",
    ["/api/spot/v1/market/last_price?symbol=BTCUSDT", "/api/spot/v1/user/account", "/nope", "/_mock/health"],
)
def test_every_reply_in_process_carries_the_mock_clock(path: str) -> None:
    app = create_app(Config(liquidity=False))
    app.state.mock.clock.freeze(1_700_000_000_000)
    app.state.mock.clock.advance(120_000)
    with TestClient(app) as client:
        assert _date_ms(client.get(path)) == 1_700_000_120_000


def test_the_readme_recipe_recovers_from_a_moved_clock() -> None:
    """On 100008, read Date from that very reply, correct the offset, send once more."""
    app = create_app(Config(liquidity=False))
    app.state.mock.clock.advance(120_000)
    with TestClient(app) as client:
        signed = Signed(client)  # signs with local time: 120 s behind the mock
        first = client.get("/api/spot/v1/user/account", headers=signed.headers())
        assert first.json()["code"] == "100008"
        offset = _date_ms(first) + 500 - int(signed.now_ms())
        resynced = Signed(client, now_ms=lambda: int(signed.now_ms()) + offset)
        assert client.get("/api/spot/v1/user/account", headers=resynced.headers()).json()["code"] == "0"


@pytest.fixture(params=MODE_PARAMS)
def h(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with harness(request.param) as hx:
        yield hx


def test_client_ref_resyncs_from_date_after_100008(h: Harness) -> None:
    h.advance_clock(120_000)  # the mock is now two minutes ahead of every local clock
    strict = h.client(resync_on_expired=False)
    exc = h.raises(strict, "balances")
    assert type(exc) is E.RequestExpired and exc.exchange_code == "100008"
    client = h.client()
    assert [b.coin for b in h.call(client, "balances")][:1] == ["BTC"]  # re-synced and repeated once
    assert 118_000 <= client.time_offset_ms <= 122_000
    fresh = h.client()
    offset = h.call(fresh, "sync_time")
    assert 118_000 <= offset <= 122_000
    assert h.call(fresh, "balances")
