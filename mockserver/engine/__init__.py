"""The matching engine and ledger: pure Python, no HTTP.

Ownership: :class:`Exchange` (``exchange.py``) owns the exchange: accounts, routing to
each market's :class:`Matcher` (``matching.py``: rules, plan, apply, settlement), cancels,
compound operations and queries. Each pair is one :class:`Venue` (rules, book, tape, last
price, synthetic past, market-model hooks) in ``Exchange.venues``; every order sits in one
:class:`OrderStore`, the only writer of the order indexes; the exchange's private
:class:`Ledger` alone writes balances. Ids are in ``ids.py``; the state as plain data, its
invariants (``problems``) and savepoints in ``state.py``. Code outside this package goes
through the exchange's methods - ``export_state``/``load_state``, ``savepoint``,
``place_batch``, ``cancel_batch``, ``candles``, ``reset_account``, ``adjust_balance``,
``delete_account``, ``set_last_price`` - and never takes its lock or touches a private
attribute (tests/engine/test_engine_boundary.py).

Integers inside, Decimal at the edges: per pair, prices are integer ticks
(10**-quotePrecision), base quantities lots (10**-basePrecision) and quote amounts
units of 10**-(qp+bp), so price x lots is exact; balances and fees are integers at
the ledger's one scale (``Ledger.scale``, at least 40 decimals, wider when a pair's
fee rate needs it). Decimal is parsed once on entry (``PlaceRequest``, admin
amounts) and read back through the objects' old names (``Order.price``,
``Fill.fee``, ``Balance``...); snapshots carry the Decimal records
(``OrderRecord``, ``FillRecord``, ``Balance``).
"""

from .accounts import ALL_PERMISSIONS, Account, Balance, Ledger
from .book import OrderBook
from .exchange import Exchange, HistoryQuery
from .ids import IdGenerator, IdState
from .liquidity import LIQUIDITY_ACCOUNT, LiquidityProvider, LiquidityState
from .marketdata import INTERVALS, Candle, SyntheticPath, TradeTape, candles
from .markets import Market, MarketRegistry, load_markets
from .matching import FEE_ACCOUNT, Matcher
from .orders import (
    Fill,
    FillRecord,
    Grid,
    Order,
    OrderRecord,
    OrderStatus,
    OrderStore,
    OrderType,
    PlaceRequest,
    Role,
    Side,
)
from .state import EngineStateError, ExchangeState
from .venue import Venue
from .wallet import WITHDRAWALS_ACCOUNT, Wallet, WalletRecord, WalletState

__all__ = [
    "ALL_PERMISSIONS",
    "FEE_ACCOUNT",
    "INTERVALS",
    "LIQUIDITY_ACCOUNT",
    "WITHDRAWALS_ACCOUNT",
    "Account",
    "Balance",
    "Candle",
    "EngineStateError",
    "Exchange",
    "ExchangeState",
    "Fill",
    "FillRecord",
    "Grid",
    "HistoryQuery",
    "IdGenerator",
    "IdState",
    "Ledger",
    "LiquidityProvider",
    "LiquidityState",
    "Market",
    "MarketRegistry",
    "Matcher",
    "Order",
    "OrderBook",
    "OrderRecord",
    "OrderStatus",
    "OrderStore",
    "OrderType",
    "PlaceRequest",
    "Role",
    "Side",
    "SyntheticPath",
    "TradeTape",
    "Venue",
    "Wallet",
    "WalletRecord",
    "WalletState",
    "candles",
    "load_markets",
]
