"""Seeded synthetic liquidity: a market maker that keeps a ladder on both sides.

It trades through the same engine path as any user (its orders lock its own
funds, which are minted once), so conservation holds with it in the book.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import BitunixError, PlaceRefusal
from .exchange import Exchange
from .markets import Market
from .money import ZERO, ceil_to_step, div_down, floor_to_step, mul
from .orders import OrderType, PlaceRequest, Side

__all__ = ["LIQUIDITY_ACCOUNT", "LiquidityProvider", "LiquidityState"]

LIQUIDITY_ACCOUNT = "liquidity"
_FUNDING = Decimal("1000000000000")


@dataclass(slots=True)
class LiquidityState:
    """What a snapshot keeps of the market maker: its shape and where its size generator stands."""

    levels: int
    spacing_bps: int
    rng: tuple[Any, ...]


class LiquidityProvider:
    """Keeps ``levels`` price levels per side on every open pair.

    Levels are spaced ``spacing_bps`` basis points apart around the pair's
    reference price; sizes are drawn from a seeded generator, so two exchanges
    with the same seed show the same books.
    """

    def __init__(self, exchange: Exchange, *, levels: int = 20, spacing_bps: int = 5, seed: int = 0) -> None:
        self.exchange = exchange
        self.levels = levels
        self.spacing_bps = spacing_bps
        self._rng = random.Random(f"liquidity:{seed}")
        self._busy = False
        if LIQUIDITY_ACCOUNT not in exchange.accounts:
            exchange.create_account(account_id=LIQUIDITY_ACCOUNT, api_key="", secret="", system=True, label="liquidity")
            for coin in exchange.markets.coins():
                exchange.fund(LIQUIDITY_ACCOUNT, coin, _FUNDING)

    def export_state(self) -> LiquidityState:
        return LiquidityState(self.levels, self.spacing_bps, self._rng.getstate())

    def load_state(self, state: LiquidityState) -> None:
        self.levels, self.spacing_bps = state.levels, state.spacing_bps
        self._rng.setstate(state.rng)

    def spacing(self, m: Market, around: Decimal) -> Decimal:
        raw = mul(around, Decimal(self.spacing_bps).scaleb(-4))
        return max(m.tick, floor_to_step(raw, m.tick))

    def size(self, m: Market, price: Decimal) -> Decimal:
        """A level's base quantity: a quote value between 20x and 2000x the pair's minimum."""
        value = mul(m.min_amount, Decimal(self._rng.randint(20, 2000)))
        qty = div_down(value, price, m.base_precision)
        return max(qty, m.min_volume, m.lot)

    def attach(self) -> None:
        """Become the market model of every pair: replenish after each trade there."""
        for venue in self.exchange.venues.values():
            venue.after_trade.append(self.replenish)
        self.exchange.market_models.append(self)

    def seed_all(self) -> None:
        for m in self.exchange.markets:
            self.replenish(self.exchange, m.symbol)

    def recentre(self, symbol: str) -> None:
        """Withdraw its orders on the pair and place them anew around the last price (after the admin moved it)."""
        with self.exchange.lock:
            self.exchange.cancel_resting(symbol, LIQUIDITY_ACCOUNT)
            self.replenish(self.exchange, symbol)

    def replenish(self, exchange: Exchange, symbol: str) -> None:
        """Top both sides up to ``levels`` levels, adding behind the worst level."""
        if self._busy:
            return
        m = exchange.markets.get(symbol)
        if m is None or not m.is_open:
            return
        self._busy = True
        try:
            venue = exchange.venue(m.symbol)
            book = venue.book
            mid = venue.last_price
            step = self.spacing(m, mid)
            for side in (Side.SELL, Side.BUY):
                while book.level_count(side) < self.levels:
                    worst = book.worst(side)
                    if worst is not None:
                        price = worst + step if side is Side.SELL else worst - step
                    else:
                        other = book.best(Side.BUY if side is Side.SELL else Side.SELL)
                        if side is Side.SELL:
                            price = ceil_to_step(mid + step, m.tick)
                            if other is not None and price <= other:
                                price = other + m.tick
                        else:
                            price = floor_to_step(mid - step, m.tick)
                            if other is not None and price >= other:
                                price = other - m.tick
                    if price <= ZERO:
                        break
                    req = PlaceRequest(m.symbol, side, OrderType.LIMIT, self.size(m, price), price)
                    try:
                        exchange.place(LIQUIDITY_ACCOUNT, req)
                    except (BitunixError, PlaceRefusal):
                        break
        finally:
            self._busy = False
