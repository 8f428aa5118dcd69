"""pytest fixtures for testing a Bitunix client against the mock (installed as a pytest plugin).

    def test_my_bot(bitunix_account, bitunix_mock):
        bot = MyBot(bitunix_mock.url, bitunix_account["api_key"], bitunix_account["secret"])
        ...

``bitunix_mock`` is a fresh exchange per test (a real server on 127.0.0.1:0, shared by the
session and reset before each test); ``bitunix_account`` a funded account on it;
``bitunix_client`` the client under test from ``--bitunix-adapter pkg.mod:factory``
(default: the reference client).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.testing import MockServer

from .adapter import Adapter, reference_factory
from .cli import load_factory

DEFAULT_FUNDS = {"USDT": "100000", "BTC": "2", "ETH": "20"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bitunix", "Bitunix spot mock")
    group.addoption("--bitunix-adapter", default=None, help="package.module:factory of the client under test")


@pytest.fixture(scope="session")
def _bitunix_server() -> Iterator[MockServer]:
    with MockServer(liquidity=False) as server:
        yield server


@pytest.fixture
def bitunix_mock(_bitunix_server: MockServer) -> MockServer:
    """The mock, reset to a fresh exchange for this test (``.url``, ``.state``, ``.api_key``...)."""
    httpx.post(_bitunix_server.url + "/_mock/reset", json={"seed": 0}, timeout=10).raise_for_status()
    return _bitunix_server


@pytest.fixture
def bitunix_account(bitunix_mock: MockServer) -> dict[str, Any]:
    """A new account with USDT, BTC and ETH (``api_key``, ``secret``, ``uid``, ``balances``)."""
    resp = httpx.post(bitunix_mock.url + "/_mock/accounts", json={"balances": DEFAULT_FUNDS}, timeout=10)
    resp.raise_for_status()
    account: dict[str, Any] = resp.json()
    return account


@pytest.fixture
def bitunix_client(
    request: pytest.FixtureRequest, bitunix_mock: MockServer, bitunix_account: dict[str, Any]
) -> Iterator[Adapter]:
    """The client under test, bound to ``bitunix_account``, behind the adapter protocol."""
    spec = request.config.getoption("--bitunix-adapter")
    factory = load_factory(spec) if spec else reference_factory
    adapter = factory(bitunix_mock.url, bitunix_account["api_key"], bitunix_account["secret"], None)
    yield adapter
    adapter.close()
