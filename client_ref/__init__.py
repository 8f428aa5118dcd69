"""The Bitunix reference clients, spot and futures: sync and async, on httpx, correct by construction.

from client_ref import Client, Side, OrderType
with Client("http://127.0.0.1:8080", api_key, secret) as c:
    c.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "60000")

The futures client (``FuturesClient``, ``AsyncFuturesClient``) and its models live in
:mod:`client_ref.futures`.
"""

from . import calls, futures, signing
from ._core import OPERATIONS, Call, Credentials, Prepared, RetryPolicy
from .aio import AsyncClient
from .errors import (
    EXCHANGE_ERRORS,
    BitunixError,
    ConnectionFailed,
    ExchangeError,
    HttpStatusError,
    PlaceRefused,
    TransportError,
    UnexpectedResponse,
    error_for,
)
from .futures import AsyncFuturesClient, FuturesClient
from .models import (
    Balance,
    Candle,
    Coin,
    DepositAddress,
    DepositRecord,
    Depth,
    DepthLevel,
    Fill,
    HistoryPage,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PlaceResult,
    Rate,
    Side,
    TradingPair,
    UserInfo,
    WithdrawRecord,
)
from .sync import Client

__all__ = [
    "EXCHANGE_ERRORS",
    "OPERATIONS",
    "AsyncClient",
    "AsyncFuturesClient",
    "Balance",
    "BitunixError",
    "Call",
    "Candle",
    "Client",
    "Coin",
    "ConnectionFailed",
    "Credentials",
    "DepositAddress",
    "DepositRecord",
    "Depth",
    "DepthLevel",
    "ExchangeError",
    "Fill",
    "FuturesClient",
    "HistoryPage",
    "HttpStatusError",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PlaceRefused",
    "PlaceResult",
    "Prepared",
    "Rate",
    "RetryPolicy",
    "Side",
    "TradingPair",
    "TransportError",
    "UnexpectedResponse",
    "UserInfo",
    "WithdrawRecord",
    "calls",
    "error_for",
    "futures",
    "signing",
]
