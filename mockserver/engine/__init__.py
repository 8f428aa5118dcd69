"""The matching engine and ledger: pure Python, no HTTP."""

from .accounts import ALL_PERMISSIONS, Account, Balance, Ledger
from .book import OrderBook
from .exchange import FEE_ACCOUNT, Exchange, HistoryQuery, IdGenerator
from .liquidity import LIQUIDITY_ACCOUNT, LiquidityProvider
from .marketdata import INTERVALS, Candle, SyntheticPath, TradeTape, candles
from .markets import Market, MarketRegistry, load_markets
from .orders import Fill, Order, OrderStatus, OrderType, PlaceRequest, Role, Side
from .wallet import WITHDRAWALS_ACCOUNT, Wallet, WalletRecord

__all__ = [
    "ALL_PERMISSIONS",
    "FEE_ACCOUNT",
    "INTERVALS",
    "LIQUIDITY_ACCOUNT",
    "WITHDRAWALS_ACCOUNT",
    "Account",
    "Balance",
    "Candle",
    "Exchange",
    "Fill",
    "HistoryQuery",
    "IdGenerator",
    "Ledger",
    "LiquidityProvider",
    "Market",
    "MarketRegistry",
    "Order",
    "OrderBook",
    "OrderStatus",
    "OrderType",
    "PlaceRequest",
    "Role",
    "Side",
    "SyntheticPath",
    "TradeTape",
    "Wallet",
    "WalletRecord",
    "candles",
    "load_markets",
]
