"""How the served process keeps Python's cycle collector out of the request latency, when asked to.

Off by default: ``bitunix-mock --gc-freeze`` (``BITUNIX_MOCK_GC_FREEZE=1``) turns it on. Python's own
collector is correct and frees everything; this policy trades that simplicity for a steadier p99
under sustained load, and it is easy to get wrong (frozen garbage is never examined again: it
leaked until an outside review found it). A mock serving tests needs correctness first, so the
policy is an option for benchmarks and long load runs.

A request leaves long-lived objects behind - journal entries, orders, nonces - and the
collector walks every object it has not frozen: left alone, the young generation filled with
them and each collection walked thousands (4-8 ms pauses every few thousand requests, the
p99 of a signed order). So every :data:`FREEZE_S` the served process collects what the last
tick's traffic left (a walk of those objects only: ~1,000 requests' worth at 10k requests/s)
and then freezes the survivors (``gc.freeze``, O(1)). The young generation never grows big
enough for an automatic collection, and cyclic garbage is found before it is frozen - a
wrong signature makes some (the doctor's JSON re-encodings), and once frozen, garbage is
never examined again (it leaked ~22 KB per refused request before this collect).

A whole reset or restore replaces the exchange, and the replaced one is already frozen
(its objects refer to each other: ~1,700 cyclic objects at the default size). When the
state's ``generation`` has moved since the last tick, the tick collects everything instead
(unfreeze, collect, freeze): one full collection per tick at most, however many resets a
test suite makes in it (~120 ms after a reset that dropped 200k resting orders). Tenants
(:mod:`mockserver.tenants`) count too: deleting one, or resetting or restoring one, drops a
frozen exchange the same way, so the tick watches their churn as well as the root's generation.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import MockState

__all__ = ["FREEZE_S", "GcPolicy"]

#: Survivors are frozen this often. At 10k requests/s that is ~1,000 requests' objects, far
#: below the young generation's threshold: no collection starts between two ticks.
FREEZE_S = 0.1


class GcPolicy:
    """One served process's collector policy; :meth:`start` once, then :meth:`tick` every :data:`FREEZE_S`."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.generation = self._generation()
        self.full_collections = 0

    def _generation(self) -> int:
        """Moves whenever an exchange was dropped: the root's reset or restore, or a tenant's (or its deletion)."""
        tenants = self.state.tenants
        return self.state.generation + (tenants.churn() if tenants is not None else 0)

    def start(self) -> None:
        """Collect once and freeze what the start-up built (markets, seeded books: never garbage)."""
        gc.collect()
        gc.freeze()
        self.generation = self._generation()

    def tick(self) -> None:
        """Collect what is not frozen yet (everything, after a reset, restore or tenant deletion), then freeze."""
        generation = self._generation()
        if generation != self.generation:
            self.generation = generation
            gc.unfreeze()
            self.full_collections += 1
        gc.collect()
        gc.freeze()
