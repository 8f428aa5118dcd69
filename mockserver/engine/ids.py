"""The exchange's id counters: order, trade and user ids, and the generator behind keys and secrets."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["IdGenerator", "IdState"]


@dataclass(slots=True)
class IdState:
    """The id counters (each the last id handed out) and the generator behind keys and secrets."""

    order: int
    trade: int
    uid: int
    rng: tuple[Any, ...]


class IdGenerator:
    """Deterministic ids for a given seed: 19-digit order ids, like the exchange's."""

    __slots__ = ("_order", "_trade", "_uid", "rng")

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._order = 1_900_000_000_000_000_000 + rng.randrange(10**15)
        self._trade = 880_000_000_000 + rng.randrange(10**9)
        self._uid = 600_000_000 + rng.randrange(10**7)
        self.rng = rng

    def order_id(self) -> str:
        self._order += 1
        return str(self._order)

    def trade_id(self) -> str:
        self._trade += 1
        return str(self._trade)

    def uid(self) -> int:
        self._uid += 1
        return self._uid

    def hex(self, chars: int) -> str:
        return f"{self.rng.getrandbits(chars * 4):0{chars}x}"

    def export_state(self) -> IdState:
        return IdState(self._order, self._trade, self._uid, self.rng.getstate())

    def load_state(self, state: IdState) -> None:
        self._order, self._trade, self._uid = state.order, state.trade, state.uid
        self.rng.setstate(state.rng)
