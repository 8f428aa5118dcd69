"""The engine alone, in-process: a place/cancel/match mix on a deep book.

The workload (issue #13): on a book of ``resting`` orders of BTCUSDT, each op is,
at random, 50 % a resting limit order 1-3000 ticks off the mid, 30 % a cancel of
a random open order, 20 % a crossing limit of 0.001 at the best opposite price.
Every op goes through the engine's public placement path with all of its rules,
locks, fees and fills; nothing is skipped to look fast.
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
    from mockserver.engine import Exchange

__all__ = ["engine_benchmark"]


def _exchange(seed: int) -> tuple[random.Random, Exchange, str, str]:
    """A seeded exchange with a maker and a taker rich enough never to run out."""
    from mockserver.clock import Clock
    from mockserver.engine import Exchange, load_markets

    ex = Exchange(load_markets(None), clock=Clock(frozen_at_ms=1_760_000_000_000), seed=seed)
    maker = ex.create_account(balances={"USDT": Decimal(10**12), "BTC": Decimal(10**6)}).account_id
    taker = ex.create_account(balances={"USDT": Decimal(10**12), "BTC": Decimal(10**6)}).account_id
    return random.Random(seed), ex, maker, taker


def _drive(
    ex: Exchange,
    maker: str,
    rng: random.Random,
    place_resting: Callable[[], str],
    best_of: Callable[[Any], Any],
    place_crossing: Callable[[Any, Any], object],
    resting: int,
    ops: int,
) -> dict[str, Any]:
    """The workload through the given entry: rest ``resting`` orders, then time ``ops`` mixed ops."""
    from mockserver.engine import Side

    book = ex.venue("BTCUSDT").book
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    open_ids = [place_resting() for _ in range(resting)]
    per_order = (tracemalloc.get_traced_memory()[0] - before) / resting
    tracemalloc.stop()

    sides = (Side.BUY, Side.SELL)
    plan = [rng.random() for _ in range(ops)]
    counts = {"place": 0, "cancel": 0, "match": 0}
    t0 = time.process_time()
    for r in plan:
        if r < 0.5:
            open_ids.append(place_resting())
            counts["place"] += 1
        elif r < 0.8 and open_ids:
            i = rng.randrange(len(open_ids))
            open_ids[i], open_ids[-1] = open_ids[-1], open_ids[i]
            ex.cancel(maker, open_ids.pop())
            counts["cancel"] += 1
        else:
            side = rng.choice(sides)
            best = best_of(Side.SELL if side is Side.BUY else Side.BUY)
            if best is None:
                continue
            place_crossing(side, best)
            counts["match"] += 1
    elapsed = time.process_time() - t0
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
    mid = 64000

    def place_resting() -> str:
        side = rng.choice((Side.BUY, Side.SELL))
        ticks = rng.randint(1, 3000)
        price = mid - ticks if side is Side.BUY else mid + ticks
        volume = Decimal("0.001") * rng.randint(1, 20)
        return ex.place(maker, PlaceRequest("BTCUSDT", side, OrderType.LIMIT, volume, Decimal(price))).order_id

    def place_crossing(side: Side, best: Decimal) -> object:
        return ex.place(taker, PlaceRequest("BTCUSDT", side, OrderType.LIMIT, Decimal("0.001"), best))

    book = ex.venue("BTCUSDT").book
    return _drive(ex, maker, rng, place_resting, book.best, place_crossing, resting, ops)


def _run_ticks(resting: int, ops: int, seed: int) -> dict[str, Any]:
    """The same seeded workload through the integer entry: prices in ticks, volumes in lots."""
    from mockserver.engine import Side

    rng, ex, maker, taker = _exchange(seed)
    venue = ex.venue("BTCUSDT")
    m = venue.market
    tick, lot = 10**m.quote_precision, 10**m.base_precision  # grid steps per whole price / base unit
    mid = 64000 * tick
    milli = lot // 1000  # 0.001 BTC in lots
    place = ex.place_ticks
    sides = (Side.BUY, Side.SELL)

    def place_resting() -> str:
        side = rng.choice(sides)
        ticks = rng.randint(1, 3000) * tick  # whole-unit steps, as the Decimal run's prices
        price = mid - ticks if side is Side.BUY else mid + ticks
        return place(maker, "BTCUSDT", side, price, milli * rng.randint(1, 20)).order_id

    def place_crossing(side: Side, best: int) -> object:
        return place(taker, "BTCUSDT", side, best, milli)

    return _drive(ex, maker, rng, place_resting, venue.book.best_ticks, place_crossing, resting, ops)


def engine_benchmark(resting: int = 10_000, ops: int = 100_000, seed: int = 1) -> dict[str, Any]:
    """Ops/s for the mix on a book of ``resting`` orders, and memory per resting order.

    Ops/s is per second of CPU time (``time.process_time``), so the figure holds on a loaded machine.

    ``ops_per_s_decimal`` drives the Decimal edge API (``PlaceRequest``), ``ops_per_s`` the
    integer entry (``Exchange.place_ticks``) with the same seeded workload; every other
    figure is the integer run's, and both runs must conserve money and keep the book uncrossed.
    """
    dec = _run_decimal(resting, ops, seed)
    out = _run_ticks(resting, ops, seed)
    out["ops_per_s_decimal"] = dec["ops_per_s"]
    out["money_conserved"] = out["money_conserved"] and dec["money_conserved"]
    out["book_crossed"] = out["book_crossed"] or dec["book_crossed"]
    return out


if __name__ == "__main__":
    import json
    import statistics
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    runs = [engine_benchmark() for _ in range(n)]
    print(json.dumps(runs[0], indent=2))
    for key in ("ops_per_s", "ops_per_s_decimal"):
        print(key, [r[key] for r in runs], "median", statistics.median(r[key] for r in runs))
