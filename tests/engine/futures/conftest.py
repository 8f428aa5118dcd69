"""Fixtures of the futures engine tests: an exchange on a frozen clock and two funded accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from mockserver.clock import Clock
from mockserver.engine import Exchange, load_markets
from mockserver.engine.futures import Futures

#: 2026-11-21 00:00:00 UTC: an hour mark, so the next funding instants are easy to name.
T0 = 1_795_305_600_000


@dataclass
class World:
    ex: Exchange
    f: Futures
    clock: Clock
    alice: str
    bob: str


def make_world(funds: Decimal = Decimal(10000)) -> World:
    clock = Clock(frozen_at_ms=T0)
    ex = Exchange(load_markets(), clock=clock)
    alice = ex.create_account(account_id="alice").account_id
    bob = ex.create_account(account_id="bob").account_id
    for a in (alice, bob):
        ex.futures.fund(a, funds)
    return World(ex, ex.futures, clock, alice, bob)


@pytest.fixture
def w() -> World:
    return make_world()
