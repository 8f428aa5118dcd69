"""The futures engine's fixed names: the margin coin and the ledger accounts it keeps money in."""

from __future__ import annotations

from decimal import Decimal

from ..accounts import futures_wallet

__all__ = [
    "CLEARING_ACCOUNT",
    "FEES_ACCOUNT",
    "HOUSE_ACCOUNT",
    "MARGIN_COIN",
    "SYSTEM_FLOAT",
    "WALLET_PREFIX",
    "wallet_of",
]

MARGIN_COIN = "USDT"
# System accounts (no key reaches them). Not named ``futures:<id>``, so no user's wallet can collide.
CLEARING_ACCOUNT = "futures-clearing"
FEES_ACCOUNT = "futures-fees"
HOUSE_ACCOUNT = "futures-house"
#: What the clearing and house accounts are funded with once (minted, so the ledger audit holds).
SYSTEM_FLOAT = Decimal("1000000000000000")


#: The ledger account of an account's futures wallet: the exchange's one naming of it
#: (:func:`..accounts.futures_wallet`, which the spot wallet's spot/futures transfers use too).
wallet_of = futures_wallet
WALLET_PREFIX = futures_wallet("")
