"""Seeded synthetic liquidity for futures: a system market maker keeping ladders around the mark.

Like spot's :mod:`mockserver.engine.liquidity`, it trades through the ordinary placement path
(its orders freeze its own margin, funded once by a mint), so every invariant and the
conservation audit hold with it in the book. It trades in cross margin at the contract's
default leverage, so its large wallet carries what it accumulates [L]. After each trade on a
contract it withdraws its ladder there and places a fresh one around the new mark.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...futures_errors import FuturesError
from ..money import div_down
from .engine import Futures
from .views import FuturesPlaceRequest

__all__ = ["FUTURES_LIQUIDITY_ACCOUNT", "FuturesLiquidity", "FuturesLiquidityState"]

FUTURES_LIQUIDITY_ACCOUNT = "futures-liquidity"
_FUNDING = Decimal("1000000000000")


@dataclass(slots=True)
class FuturesLiquidityState:
    levels: int
    spacing_bps: int
    rng: tuple[Any, ...]


class FuturesLiquidity:
    """Keeps ``levels`` levels per side on every OPEN contract, ``spacing_bps`` apart around the mark."""

    def __init__(self, futures: Futures, *, levels: int = 20, spacing_bps: int = 5, seed: int = 0) -> None:
        self.futures = futures
        self.levels = levels
        self.spacing_bps = spacing_bps
        self._rng = random.Random(f"futures-liquidity:{seed}")
        self._busy = False
        ex = futures.exchange
        if FUTURES_LIQUIDITY_ACCOUNT not in ex.accounts:
            ex.create_account(
                account_id=FUTURES_LIQUIDITY_ACCOUNT, api_key="", secret="", system=True, label="futures liquidity"
            )
            futures.fund(FUTURES_LIQUIDITY_ACCOUNT, _FUNDING)
            for c in futures.contracts():
                futures.change_margin_mode(FUTURES_LIQUIDITY_ACCOUNT, c.symbol, "CROSS")

    def export_state(self) -> FuturesLiquidityState:
        return FuturesLiquidityState(self.levels, self.spacing_bps, self._rng.getstate())

    def load_state(self, state: FuturesLiquidityState) -> None:
        self.levels, self.spacing_bps = state.levels, state.spacing_bps
        self._rng.setstate(state.rng)

    def attach(self) -> None:
        """Replenish after every trade; a savepoint puts its random stream back with the exchange."""
        self.futures.after_trade.append(self.replenish)
        self.futures.exchange.market_models.append(self)

    def seed_all(self) -> None:
        for c in self.futures.contracts():
            self.replenish(self.futures, c.symbol)

    def replenish(self, futures: Futures, symbol: str) -> None:
        """Withdraw the ladder on ``symbol`` and lay a fresh one around the mark."""
        if self._busy:
            return
        f = futures
        v = f.venues.get(symbol)
        if v is None or v.c.symbol_status != "OPEN" or not v.c.is_api_supported:
            return
        self._busy = True
        try:
            f.cancel_all_orders(FUTURES_LIQUIDITY_ACCOUNT, symbol)
            c = v.c
            mark = v.row.mark_ticks
            step = max(1, mark * self.spacing_bps // 10_000)
            bid = v.book.book.best_bid
            ask = v.book.book.best_ask
            for i in range(1, self.levels + 1):
                for side in ("SELL", "BUY"):
                    ticks = mark + i * step if side == "SELL" else mark - i * step
                    if ticks <= 0 or (side == "SELL" and bid is not None and ticks <= bid):
                        continue
                    if side == "BUY" and ask is not None and ticks >= ask:
                        continue
                    # a level's value: 2 000 to 200 000 USDT, in lots
                    value = Decimal(self._rng.randint(2_000, 200_000))
                    price = f._dec_price(v, ticks)
                    lots = max(v.min_lots, int(div_down(value, price, c.base_precision).scaleb(c.base_precision)))
                    req = FuturesPlaceRequest(symbol, side, f._dec_qty(v, lots), price=price, effect="POST_ONLY")
                    try:
                        f.place(FUTURES_LIQUIDITY_ACCOUNT, req)
                    except FuturesError:
                        continue
        finally:
            self._busy = False
