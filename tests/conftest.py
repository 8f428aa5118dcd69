from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Config, MockState, create_app

from .helpers import WHITELISTED, Signed


@pytest.fixture
def make_client() -> Iterator[Callable[..., tuple[TestClient, MockState]]]:
    """Build an isolated app from Config overrides; returns (client, state)."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> tuple[TestClient, MockState]:
        app = create_app(Config(**overrides))
        client = TestClient(app)
        clients.append(client)
        state: MockState = app.state.mock
        if state.demo is not None:
            state.wallet.whitelist(state.demo.account_id, list(WHITELISTED))
        return client, state

    yield build
    for c in clients:
        c.close()


@pytest.fixture
def client_state(make_client: Callable[..., tuple[TestClient, MockState]]) -> tuple[TestClient, MockState]:
    """A quiet exchange: no synthetic liquidity, the demo account funded."""
    return make_client(liquidity=False)


@pytest.fixture
def client(client_state: tuple[TestClient, MockState]) -> TestClient:
    return client_state[0]


@pytest.fixture
def state(client_state: tuple[TestClient, MockState]) -> MockState:
    return client_state[1]


@pytest.fixture
def signed(client: TestClient, state: MockState) -> Signed:
    return Signed(client, now_ms=state.clock.now_ms)
