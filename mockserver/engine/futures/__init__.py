"""The futures product's engine: USDT-M linear perpetuals on the exchange's ledger, ids and clock.

:class:`Futures` (:mod:`.engine`) is the facade (``exchange.futures``); :mod:`.contracts` the
catalogue, :mod:`.venue` one contract's book and grid, :mod:`.placement`, :mod:`.matching`,
:mod:`.positions`, :mod:`.settings`, :mod:`.risk`, :mod:`.funding`, :mod:`.market`,
:mod:`.queries` and :mod:`.steering` the work, :mod:`.rows` the integer records, :mod:`.views`
what the facade takes and returns, :mod:`.state` the plain-data state and its invariants,
:mod:`.tpsl` TP/SL and :mod:`.liquidity` the synthetic market maker.
"""

from __future__ import annotations

from .contracts import Contract, Tier, contracts_text, load_contracts, parse_contracts
from .engine import Futures
from .names import CLEARING_ACCOUNT, FEES_ACCOUNT, HOUSE_ACCOUNT, MARGIN_COIN, wallet_of
from .state import FuturesState
from .views import (
    AccountSummary,
    CancelFailure,
    ClosedPosition,
    FundingHistoryRow,
    FundingInfo,
    FuturesOrder,
    FuturesPlaceRequest,
    FuturesTrade,
    KlineRow,
    LeverageMarginMode,
    OrderQuery,
    Page,
    Position,
    PositionQuery,
    Ticker,
    TpslOrder,
    TpslRequest,
    TradeQuery,
    TradingSetting,
)

__all__ = [
    "CLEARING_ACCOUNT",
    "FEES_ACCOUNT",
    "HOUSE_ACCOUNT",
    "MARGIN_COIN",
    "AccountSummary",
    "CancelFailure",
    "ClosedPosition",
    "Contract",
    "FundingHistoryRow",
    "FundingInfo",
    "Futures",
    "FuturesOrder",
    "FuturesPlaceRequest",
    "FuturesState",
    "FuturesTrade",
    "KlineRow",
    "LeverageMarginMode",
    "OrderQuery",
    "Page",
    "Position",
    "PositionQuery",
    "Ticker",
    "Tier",
    "TpslOrder",
    "TpslRequest",
    "TradeQuery",
    "TradingSetting",
    "contracts_text",
    "load_contracts",
    "parse_contracts",
    "wallet_of",
]
