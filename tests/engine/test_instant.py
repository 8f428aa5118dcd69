"""``engine.instant.copy_engine``: the engine's copies and the caller's ``beside`` are taken in one hold of the engine."""

from __future__ import annotations

import threading
from decimal import Decimal

from mockserver import MockState
from mockserver.engine.instant import copy_engine


def _held_elsewhere(state: MockState) -> bool:
    """Whether another thread finds the exchange's lock taken (it cannot have it at once)."""
    got: list[bool] = []

    def probe() -> None:
        free = state.exchange.lock.acquire(blocking=False)
        if free:
            state.exchange.lock.release()
        got.append(not free)

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return got[0]


def test_beside_runs_while_the_engine_is_held_and_the_copies_are_copies(state: MockState) -> None:
    demo = state.demo
    assert demo is not None
    copy = copy_engine(state.exchange, state.wallet, state.liquidity, lambda: _held_elsewhere(state))
    assert copy.beside is True and not _held_elsewhere(state)  # held for beside, let go after
    held = copy.exchange.balances[demo.account_id]["USDT"].free
    assert copy.exchange == state.exchange.export_state()
    assert copy.wallet == state.wallet.export_state()
    assert copy.opening_balances == state.exchange.opening_balances()
    state.exchange.fund(demo.account_id, "USDT", Decimal(5))
    assert state.exchange.balances(demo.account_id)["USDT"].free == held + 5
    assert copy.exchange.balances[demo.account_id]["USDT"].free == held  # the copy stays as it was
