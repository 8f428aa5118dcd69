"""Shared fixtures, the hypothesis profiles, and the guard that keeps the default run fast.

The default run (``pytest -n auto``, what the README's quick start runs) excludes the ``slow`` and
``install`` markers (``addopts`` in pyproject.toml); ``.ci/run`` runs both sets. See tests/README.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from mockserver import Config, MockState, create_app

from .helpers import HYPOTHESIS_PROFILE, WHITELISTED, Signed

# Property tests size their searches with helpers.examples(n): n under "ci" (what .ci/run selects
# with HYPOTHESIS_PROFILE=ci), a fifth of it under "dev" (the default, for a quick local run).
# Neither profile has a deadline: timings on a shared 2-core machine are noise, not findings.
# The profiles' own max_examples is for the tests that give none.
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(HYPOTHESIS_PROFILE)

#: The test running now when it is marked neither slow nor install (None otherwise).
_unmarked: list[str | None] = [None]

#: Fast tests that start a process all the same, and why they stay in the default run.
MAY_START_A_PROCESS = {
    # The lint gate (ruff, mypy --strict): a failure found in the default run beats one found in CI;
    # with mypy's cache warm it costs about a second.
    "tests/system/test_lint.py",
}


def _no_subprocess_in_fast_tests(event: str, args: tuple[Any, ...]) -> None:
    """A process start costs 0.3-2 s on a loaded machine: a test that starts one belongs to the slow set."""
    if event == "subprocess.Popen" and _unmarked[0] is not None:
        command = args[1] if isinstance(args[1], (str, bytes)) else " ".join(str(a) for a in args[1])
        raise RuntimeError(
            f"{_unmarked[0]} starts a process ({command[:120]}) but is not marked slow: "
            "add @pytest.mark.slow (tests/README.md says which marker goes where)"
        )


sys.addaudithook(_no_subprocess_in_fast_tests)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Setup, call and teardown of an unmarked test may not start a process (a session fixture's included)."""
    marked = item.get_closest_marker("slow") or item.get_closest_marker("install")
    allowed = item.nodeid.split("::")[0] in MAY_START_A_PROCESS
    _unmarked[0] = None if marked or allowed else item.nodeid
    try:
        return (yield)
    finally:
        _unmarked[0] = None


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
