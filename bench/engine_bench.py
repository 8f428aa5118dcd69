"""The engine alone, in-process: a place/cancel/match mix on a deep book.

The workload (issue #13): on a book of ``resting`` orders of BTCUSDT, each op is,
at random, 50 % a resting limit order 1-3000 whole-unit price steps off the mid
with 1-20 x 0.001 BTC, 30 % a cancel of a random open order, 20 % a crossing
limit of 0.001 at the best opposite price.

What is timed and what is not:

* Not timed: every random draw. The seeded stream is drawn up front by
  :func:`_workload`, in exactly the order the ops consume it (the resting
  orders' draws, then one ``random()`` per op choosing its kind, then each op's
  own draws), so it is the same workload draw for draw as when the draws sat
  inside the loop. A cancel's index is ``randrange(n)`` of the open-id list's
  length at that op, known up front because that length depends only on the
  op kinds (a placement appends, a cancel pops; fills do not touch it).
  Building the resting book and the final ``audit()``/``problems()`` checks
  are not timed either.
* Timed (CPU time, ``time.process_time``): each op's call into the engine's
  public entries - ``Exchange.place`` with a ``PlaceRequest`` built in the loop
  (its Decimal volume and price too), as the HTTP handlers call it, and
  ``Exchange.cancel`` - with all of its rules,
  locks, fees and fills; the best-price read before each crossing order; and
  the loop's own bookkeeping (the open-id list's swap and pop). Nothing is
  skipped to look fast.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.engine import Exchange, Order, Side

__all__ = ["engine_benchmark"]

#: Op kinds of a workload step.
PLACE, CANCEL, MATCH = 0, 1, 2
#: A resting order's draws: (side, whole-unit price steps off the mid, volume in 0.001 BTC).
Resting = tuple["Side", int, int]
#: One op: (kind, side, steps, volume) for PLACE, (kind, None, index, 0) for CANCEL, (kind, side, 0, 0) for MATCH.
Step = tuple[int, "Side | None", int, int]


def _exchange(seed: int) -> tuple[random.Random, Exchange, str, str]:
    """A seeded exchange with a maker and a taker rich enough never to run out."""
    from mockserver.clock import Clock
    from mockserver.engine import Exchange, load_markets

    ex = Exchange(load_markets(None), clock=Clock(frozen_at_ms=1_760_000_000_000), seed=seed)
    maker = ex.create_account(balances={"USDT": Decimal(10**12), "BTC": Decimal(10**6)}).account_id
    taker = ex.create_account(balances={"USDT": Decimal(10**12), "BTC": Decimal(10**6)}).account_id
    return random.Random(seed), ex, maker, taker


def _workload(rng: random.Random, resting: int, ops: int) -> tuple[list[Resting], list[Step]]:
    """Every draw of the seeded workload, in the order the ops would have drawn them inside the loop."""
    from mockserver.engine import Side

    sides = (Side.BUY, Side.SELL)
    book = [(rng.choice(sides), rng.randint(1, 3000), rng.randint(1, 20)) for _ in range(resting)]
    plan = [rng.random() for _ in range(ops)]
    steps: list[Step] = []
    open_count = resting  # the loop's open-id list: +1 per placement, -1 per cancel
    for r in plan:
        if r < 0.5:
            steps.append((PLACE, rng.choice(sides), rng.randint(1, 3000), rng.randint(1, 20)))
            open_count += 1
        elif r < 0.8 and open_count:
            steps.append((CANCEL, None, rng.randrange(open_count), 0))
            open_count -= 1
        else:
            steps.append((MATCH, rng.choice(sides), 0, 0))
    return book, steps


def _drive(
    ex: Exchange,
    maker: str,
    book_draws: list[Resting],
    steps: list[Step],
    place_resting: Callable[[Any, int, int], Any],
    best_of: Callable[[Any], Any],
    place_crossing: Callable[[Any, Any], object],
) -> dict[str, Any]:
    """The workload through the given entry: rest the book's orders, then time the mixed ops."""
    from mockserver.engine import Side

    book = ex.venue("BTCUSDT").book
    resting = len(book_draws)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    open_ids = [place_resting(side, a, b).order_id for side, a, b in book_draws]
    per_order = (tracemalloc.get_traced_memory()[0] - before) / resting
    tracemalloc.stop()

    buy, sell = Side.BUY, Side.SELL
    cancel = ex.cancel
    counts = {"place": 0, "cancel": 0, "match": 0}
    placed = cancelled = matched = 0
    t0 = time.process_time()
    for kind, side, a, b in steps:
        if kind == PLACE:
            open_ids.append(place_resting(side, a, b).order_id)
            placed += 1
        elif kind == CANCEL:
            open_ids[a], open_ids[-1] = open_ids[-1], open_ids[a]
            cancel(maker, open_ids.pop())
            cancelled += 1
        else:
            best = best_of(sell if side is buy else buy)
            if best is None:
                continue
            place_crossing(side, best)
            matched += 1
    elapsed = time.process_time() - t0
    counts.update(place=placed, cancel=cancelled, match=matched)
    audit = ex.audit()
    return {
        "resting_at_start": resting,
        "ops": sum(counts.values()),
        "mix": counts,
        "ops_per_s": round(sum(counts.values()) / elapsed),
        "bytes_per_resting_order": round(per_order),
        "money_conserved": all(v == 0 for v in audit.values()) and not ex.problems(),
        "book_crossed": book.is_crossed(),
    }


def _run_decimal(resting: int, ops: int, seed: int) -> dict[str, Any]:
    """Through the Decimal edge API: ``PlaceRequest`` in, ``Order`` out, as the HTTP handlers call it."""
    from mockserver.engine import OrderType, PlaceRequest, Side

    rng, ex, maker, taker = _exchange(seed)
    book_draws, steps = _workload(rng, resting, ops)
    mid = 64000
    milli = Decimal("0.001")
    limit = OrderType.LIMIT
    place = ex.place

    def place_resting(side: Side, steps_off: int, size: int) -> Order:
        price = mid - steps_off if side is Side.BUY else mid + steps_off
        return place(maker, PlaceRequest("BTCUSDT", side, limit, milli * size, Decimal(price)))

    def place_crossing(side: Side, best: Decimal) -> object:
        return place(taker, PlaceRequest("BTCUSDT", side, limit, milli, best))

    book = ex.venue("BTCUSDT").book
    return _drive(ex, maker, book_draws, steps, place_resting, book.best, place_crossing)


def engine_benchmark(resting: int = 10_000, ops: int = 100_000, seed: int = 1) -> dict[str, Any]:
    """Ops/s for the mix on a book of ``resting`` orders through ``Exchange.place`` (a ``PlaceRequest``,
    as the HTTP handlers call it) and ``Exchange.cancel``, and memory per resting order.

    Ops/s is per second of CPU time (``time.process_time``), so the figure holds on a loaded machine;
    the run must conserve money and keep the book uncrossed.
    """
    return _run_decimal(resting, ops, seed)


if __name__ == "__main__":
    import json
    import statistics
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    runs = [engine_benchmark() for _ in range(n)]
    print(json.dumps(runs[0], indent=2))
    print("ops_per_s", [r["ops_per_s"] for r in runs], "median", statistics.median(r["ops_per_s"] for r in runs))
