"""The futures reference client, async (``AsyncFuturesClient``) and sync (``FuturesClient``).

``client_ref/futures/aio.py`` is the source; ``client_ref/futures/sync.py`` is generated from it by
unasync with ``python -m client_ref._generate``. Edit this file only, then run that command.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from ..aio import AsyncBaseClient
from . import calls
from ._core import FUTURES_PRODUCT
from .models import (
    Account,
    BatchResult,
    CancelResult,
    Contract,
    Depth,
    Effect,
    FundingRate,
    FundingRateRecord,
    HistoryPositionPage,
    Kline,
    KlineInterval,
    LeverageMarginMode,
    LeverageSetting,
    MarginMode,
    MarginModeSetting,
    Order,
    OrderPage,
    OrderRef,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    PositionMode,
    PositionSide,
    PositionTier,
    PriceType,
    Side,
    StopType,
    Ticker,
    Tpsl,
    TpslOrder,
    TpslPage,
    TradePage,
    TradeSide,
    TradingSetting,
)

__all__ = ["AsyncFuturesClient"]


class AsyncFuturesClient(AsyncBaseClient):
    """Bitunix USDT-M futures REST client on httpx: all 36 endpoints, typed results, exact signing.

    ``AsyncFuturesClient`` awaits each call; ``FuturesClient`` blocks. Same constructor as the spot
    client; the base URL falls back to BITUNIX_FUTURES_BASE_URL, then BITUNIX_BASE_URL (the mock serves
    both products on one host), then ``https://fapi.bitunix.com``.
    """

    product = FUTURES_PRODUCT

    async def tickers(self, symbols: Iterable[str] | str | None = None) -> list[Ticker]:
        """Every contract's ticker, or those of ``symbols`` (sent comma-separated)."""
        return await self.run(calls.tickers(symbols))

    async def depth(self, symbol: str, limit: int | str | None = None) -> Depth:
        """The book; ``limit`` one of 1, 5, 15, 50, ``"max"`` (``None``: the whole book)."""
        return await self.run(calls.depth(symbol, limit))

    async def klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        price_type: PriceType | None = None,
    ) -> list[Kline]:
        """Candles. Live, the rows end at ``end_time`` whatever ``start_time`` says (PB; spec §7.5)."""
        return await self.run(calls.klines(symbol, interval, start_time, end_time, limit, price_type))

    async def funding_rate(self, symbol: str) -> FundingRate:
        return await self.run(calls.funding_rate(symbol))

    async def funding_rates(self) -> list[FundingRate]:
        return await self.run(calls.funding_rates())

    async def funding_rate_history(
        self,
        symbol: str,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[FundingRateRecord]:
        """Settled fundings, newest first. The docs spell the lower bound ``starTime``; so does the request."""
        return await self.run(calls.funding_rate_history(symbol, start_time, end_time, limit))

    async def trading_pairs(self, symbols: Iterable[str] | str | None = None) -> list[Contract]:
        return await self.run(calls.trading_pairs(symbols))

    async def position_tiers(self, symbol: str) -> list[PositionTier]:
        return await self.run(calls.position_tiers(symbol))

    async def account(self, margin_coin: str = "USDT") -> Account:
        return await self.run(calls.account(margin_coin))

    async def leverage_margin_mode(self, symbol: str, margin_coin: str = "USDT") -> LeverageMarginMode:
        return await self.run(calls.leverage_margin_mode(symbol, margin_coin))

    async def change_leverage(self, symbol: str, leverage: int, margin_coin: str = "USDT") -> LeverageSetting:
        """``leverage`` goes out as a JSON integer, as the docs' example sends it."""
        return await self.run(calls.change_leverage(symbol, leverage, margin_coin))

    async def change_margin_mode(
        self, symbol: str, margin_mode: MarginMode, margin_coin: str = "USDT"
    ) -> MarginModeSetting:
        return await self.run(calls.change_margin_mode(symbol, margin_mode, margin_coin))

    async def change_position_mode(self, position_mode: PositionMode) -> PositionMode:
        """Applies to every symbol; refused (20009) while a position or an order exists."""
        return await self.run(calls.change_position_mode(position_mode))

    async def adjust_position_margin(
        self,
        symbol: str,
        amount: Decimal | str,
        side: PositionSide | None = None,
        position_id: str | None = None,
        margin_coin: str = "USDT",
    ) -> None:
        """Add (positive ``amount``) or remove (negative) isolated margin; name the position by side or id."""
        return await self.run(calls.adjust_position_margin(symbol, amount, side, position_id, margin_coin))

    async def position_mode(self) -> PositionMode:
        return await self.run(calls.position_mode())

    async def trading_settings(self, symbols: Iterable[str] | str | None = None) -> list[TradingSetting]:
        return await self.run(calls.trading_settings(symbols))

    async def pending_positions(self, symbol: str | None = None, position_id: str | None = None) -> list[Position]:
        return await self.run(calls.pending_positions(symbol, position_id))

    async def history_positions(
        self,
        symbol: str | None = None,
        position_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        skip: int | None = None,
        limit: int | None = None,
    ) -> HistoryPositionPage:
        return await self.run(calls.history_positions(symbol, position_id, start_time, end_time, skip, limit))

    async def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: OrderType,
        qty: Decimal | str,
        price: Decimal | str | None = None,
        trade_side: TradeSide | None = None,
        position_id: str | None = None,
        effect: Effect | None = None,
        reduce_only: bool | None = None,
        client_id: str | None = None,
        tp: Tpsl | None = None,
        sl: Tpsl | None = None,
    ) -> OrderRef:
        """Place one order (see :class:`OrderRequest` for ``side``/``trade_side`` in hedge mode)."""
        return await self.run(
            calls.place_order(
                symbol, side, order_type, qty, price, trade_side, position_id, effect, reduce_only, client_id, tp, sl
            )
        )

    async def place_orders(self, symbol: str, orders: Sequence[OrderRequest]) -> BatchResult:
        """Up to 5 orders of one symbol (20016 beyond); each lands in ``successes`` or ``failures``."""
        return await self.run(calls.place_orders(symbol, orders))

    async def modify_order(
        self,
        qty: Decimal | str,
        price: Decimal | str,
        order_id: str | None = None,
        client_id: str | None = None,
        tp: Tpsl | None = None,
        sl: Tpsl | None = None,
    ) -> OrderRef:
        """Change an open order's qty and price (``order_id`` wins over ``client_id``)."""
        return await self.run(calls.modify_order(qty, price, order_id, client_id, tp, sl))

    async def cancel_orders(
        self, symbol: str, order_ids: Iterable[str] = (), client_ids: Iterable[str] = ()
    ) -> CancelResult:
        """Cancel by id and/or client id; each lands in ``successes`` or ``failures``."""
        return await self.run(calls.cancel_orders(symbol, order_ids, client_ids))

    async def cancel_all_orders(self, symbol: str | None = None) -> CancelResult:
        return await self.run(calls.cancel_all_orders(symbol))

    async def close_all_positions(self, symbol: str | None = None) -> None:
        """Close every position (of ``symbol``) at market."""
        return await self.run(calls.close_all_positions(symbol))

    async def flash_close_position(self, position_id: str) -> str:
        """Close one position at market; returns its ``positionId``."""
        return await self.run(calls.flash_close_position(position_id))

    async def order_detail(self, order_id: str | None = None, client_id: str | None = None) -> Order:
        return await self.run(calls.order_detail(order_id, client_id))

    async def pending_orders(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        client_id: str | None = None,
        status: OrderStatus | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        skip: int | None = None,
        limit: int | None = None,
    ) -> OrderPage:
        """Open orders, newest first; page with ``skip``/``limit`` (≤ 100) up to ``total``."""
        return await self.run(
            calls.pending_orders(symbol, order_id, client_id, status, start_time, end_time, skip, limit)
        )

    async def history_orders(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        client_id: str | None = None,
        status: OrderStatus | None = None,
        order_type: OrderType | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        skip: int | None = None,
        limit: int | None = None,
        query_canceled: bool | None = None,
    ) -> OrderPage:
        """Finished orders, newest first; ``query_canceled=True``: cancelled ones only (newer docs)."""
        return await self.run(
            calls.history_orders(
                symbol, order_id, client_id, status, order_type, start_time, end_time, skip, limit, query_canceled
            )
        )

    async def history_trades(
        self,
        symbol: str | None = None,
        order_id: str | None = None,
        position_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        skip: int | None = None,
        limit: int | None = None,
    ) -> TradePage:
        """Fills, newest first. Live, ``position_id`` does not filter (TIQ)."""
        return await self.run(calls.history_trades(symbol, order_id, position_id, start_time, end_time, skip, limit))

    async def place_tpsl_order(
        self,
        symbol: str,
        position_id: str,
        tp_price: Decimal | str | None = None,
        tp_stop_type: StopType | None = None,
        sl_price: Decimal | str | None = None,
        sl_stop_type: StopType | None = None,
        tp_order_type: OrderType | None = None,
        tp_order_price: Decimal | str | None = None,
        sl_order_type: OrderType | None = None,
        sl_order_price: Decimal | str | None = None,
        tp_qty: Decimal | str | None = None,
        sl_qty: Decimal | str | None = None,
    ) -> list[OrderRef]:
        """An order TP/SL on part of a position (``tp_qty``/``sl_qty``); the reply is read as a list."""
        return await self.run(
            calls.place_tpsl_order(
                symbol,
                position_id,
                tp_price,
                tp_stop_type,
                sl_price,
                sl_stop_type,
                tp_order_type,
                tp_order_price,
                sl_order_type,
                sl_order_price,
                tp_qty,
                sl_qty,
            )
        )

    async def modify_tpsl_order(
        self,
        order_id: str,
        tp_price: Decimal | str | None = None,
        tp_stop_type: StopType | None = None,
        sl_price: Decimal | str | None = None,
        sl_stop_type: StopType | None = None,
        tp_order_type: OrderType | None = None,
        tp_order_price: Decimal | str | None = None,
        sl_order_type: OrderType | None = None,
        sl_order_price: Decimal | str | None = None,
        tp_qty: Decimal | str | None = None,
        sl_qty: Decimal | str | None = None,
    ) -> str:
        return await self.run(
            calls.modify_tpsl_order(
                order_id,
                tp_price,
                tp_stop_type,
                sl_price,
                sl_stop_type,
                tp_order_type,
                tp_order_price,
                sl_order_type,
                sl_order_price,
                tp_qty,
                sl_qty,
            )
        )

    async def cancel_tpsl_order(self, symbol: str, order_id: str) -> str:
        """``order_id`` is the ``id`` of a row of ``pending_tpsl_orders``."""
        return await self.run(calls.cancel_tpsl_order(symbol, order_id))

    async def place_position_tpsl(
        self,
        symbol: str,
        position_id: str,
        tp_price: Decimal | str | None = None,
        tp_stop_type: StopType | None = None,
        sl_price: Decimal | str | None = None,
        sl_stop_type: StopType | None = None,
    ) -> str:
        """The position's TP/SL (at most one per position; on trigger it closes the whole position at market)."""
        return await self.run(
            calls.place_position_tpsl(symbol, position_id, tp_price, tp_stop_type, sl_price, sl_stop_type)
        )

    async def modify_position_tpsl(
        self,
        symbol: str,
        position_id: str,
        tp_price: Decimal | str | None = None,
        tp_stop_type: StopType | None = None,
        sl_price: Decimal | str | None = None,
        sl_stop_type: StopType | None = None,
    ) -> str:
        """Replaces the pair: a price left out may delete that leg live (JRK)."""
        return await self.run(
            calls.modify_position_tpsl(symbol, position_id, tp_price, tp_stop_type, sl_price, sl_stop_type)
        )

    async def pending_tpsl_orders(
        self,
        symbol: str | None = None,
        position_id: str | None = None,
        side: int | None = None,
        position_mode: int | None = None,
        skip: int | None = None,
        limit: int | None = None,
    ) -> list[TpslOrder]:
        """``side`` and ``position_mode`` are integers here (their encoding is undocumented)."""
        return await self.run(calls.pending_tpsl_orders(symbol, position_id, side, position_mode, skip, limit))

    async def history_tpsl_orders(
        self,
        symbol: str | None = None,
        side: int | None = None,
        position_mode: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        skip: int | None = None,
        limit: int | None = None,
    ) -> TpslPage:
        return await self.run(calls.history_tpsl_orders(symbol, side, position_mode, start_time, end_time, skip, limit))
