"""The futures product as the client sees it: its 36 operations, its errors, its host.

Operation names follow the mock's: ``"futures." + path after /api/v1/futures/ with "/" -> "_"``.
Private reads are GETs with a query string (spot reads with POST bodies; futures does not).
"""

from __future__ import annotations

from .._core import Operation, Product
from .errors import futures_error_for

__all__ = ["FUTURES_OPERATIONS", "FUTURES_PRODUCT", "PREFIX"]

PREFIX = "/api/v1/futures/"


def _op(method: str, path: str, signed: bool = True) -> tuple[str, Operation]:
    # Reads may be retried; a write whose answer was lost may have happened, so it never is.
    return "futures." + path.replace("/", "_"), Operation(method, PREFIX + path, signed, idempotent=method == "GET")


#: Every futures operation (spec §3), by the mock's operation name.
FUTURES_OPERATIONS: dict[str, Operation] = dict(
    [
        # market (public)
        _op("GET", "market/tickers", signed=False),
        _op("GET", "market/depth", signed=False),
        _op("GET", "market/kline", signed=False),
        _op("GET", "market/funding_rate", signed=False),
        _op("GET", "market/funding_rate/batch", signed=False),
        _op("GET", "market/get_funding_rate_history", signed=False),
        _op("GET", "market/trading_pairs", signed=False),
        _op("GET", "position/get_position_tiers", signed=False),
        # account
        _op("GET", "account"),
        _op("GET", "account/get_leverage_margin_mode"),
        _op("POST", "account/change_leverage"),
        _op("POST", "account/change_margin_mode"),
        _op("POST", "account/change_position_mode"),
        _op("POST", "account/adjust_position_margin"),
        _op("GET", "account/position_mode"),
        _op("GET", "account/trading_settings"),
        # positions
        _op("GET", "position/get_pending_positions"),
        _op("GET", "position/get_history_positions"),
        # trade
        _op("POST", "trade/place_order"),
        _op("POST", "trade/batch_order"),
        _op("POST", "trade/modify_order"),
        _op("POST", "trade/cancel_orders"),
        _op("POST", "trade/cancel_all_orders"),
        _op("POST", "trade/close_all_position"),
        _op("POST", "trade/flash_close_position"),
        _op("GET", "trade/get_order_detail"),
        _op("GET", "trade/get_pending_orders"),
        _op("GET", "trade/get_history_orders"),
        _op("GET", "trade/get_history_trades"),
        # TP/SL
        _op("POST", "tpsl/place_order"),
        _op("POST", "tpsl/modify_order"),
        _op("POST", "tpsl/cancel_order"),
        _op("POST", "tpsl/position/place_order"),
        _op("POST", "tpsl/position/modify_order"),
        _op("GET", "tpsl/get_pending_orders"),
        _op("GET", "tpsl/get_history_orders"),
    ]
)

FUTURES_PRODUCT = Product(
    name="futures",
    operations=FUTURES_OPERATIONS,
    error_for=futures_error_for,
    default_base_url="https://fapi.bitunix.com",
    # The mock serves both products on one host, so BITUNIX_BASE_URL serves both; live, futures has its own.
    base_url_env=("BITUNIX_FUTURES_BASE_URL", "BITUNIX_BASE_URL"),
    clock_path=PREFIX + "market/tickers?symbols=BTCUSDT",
    # No source records which futures code refuses a stale timestamp (spec §1.4, §7.12), so the client
    # does not guess one: it re-syncs only on spot's 100008.
    expired=(),
)
