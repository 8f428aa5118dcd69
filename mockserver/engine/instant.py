"""One instant of the engine: the copies a snapshot is made of, with no engine call in between.

A snapshot holds the exchange's state, its opening balances, the wallet, the futures engine's state
and both market makers (spot's and futures'), and beside them stores the engine does not own (the
request side's nonces, the clock). All of them must be of one instant, or a restore would bring
back a nonce without the order its request placed.
:func:`copy_engine` takes the engine's copies under the exchange's lock and calls the caller's
``beside`` in the same hold, so no engine call (the only way the exchange changes) lands between
any two of the copies; the lock is re-entrant, and each engine object takes it too. Copies only:
encoding them (the costly part) is the caller's, after the lock is let go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from .exchange import Exchange
from .futures import FuturesState
from .futures.liquidity import FuturesLiquidity, FuturesLiquidityState
from .liquidity import LiquidityProvider, LiquidityState
from .state import ExchangeState
from .wallet import Wallet, WalletState

__all__ = ["EngineCopy", "copy_engine"]

T = TypeVar("T")


@dataclass(frozen=True)
class EngineCopy(Generic[T]):
    """The engine's parts at one instant, and what ``beside`` read in the same instant."""

    exchange: ExchangeState
    opening_balances: dict[str, dict[str, Decimal]]
    wallet: WalletState
    liquidity: LiquidityState | None
    futures: FuturesState
    futures_liquidity: FuturesLiquidityState | None
    beside: T


def copy_engine(
    ex: Exchange,
    wallet: Wallet,
    liquidity: LiquidityProvider | None,
    beside: Callable[[], T],
    futures_liquidity: FuturesLiquidity | None = None,
) -> EngineCopy[T]:
    """Copies of the engine's parts and ``beside()``, all of one instant (see the module docstring)."""
    with ex.lock:
        return EngineCopy(
            exchange=ex.export_state(),
            opening_balances=ex.opening_balances(),
            wallet=wallet.export_state(),
            liquidity=None if liquidity is None else liquidity.export_state(),
            futures=ex.futures.export_state(),
            futures_liquidity=None if futures_liquidity is None else futures_liquidity.export_state(),
            beside=beside(),
        )
