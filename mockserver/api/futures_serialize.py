"""Futures engine objects to the exchange's wire shapes (spec §3 and §7).

Two profiles, chosen by the ``futures_shapes`` switch (:class:`Style`):

- ``live`` (default): what live clients decode - ``account`` and the ``change_*`` replies are
  objects, ``total``/``ctime``/``mtime`` strings of digits, position ``side`` ``BUY``/``SELL``,
  depth levels strings, ``funding_rate`` an object, ``tpsl/place_order`` an array;
- ``doc``: the official examples' literal shapes - one-element arrays, integer times and totals,
  ``LONG``/``SHORT``, depth levels as JSON numbers, ``tpsl/place_order`` a ``{"orderId"}`` object.

``futures_status_padding=on`` sends order status ``NEW`` as ``NEW_`` (seen live by PB and TIQ).
Figures are strings in both profiles; prices carry exactly the contract's ``quotePrecision``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..engine.futures.contracts import Contract, Tier
from ..engine.futures.views import (
    AccountSummary,
    CancelFailure,
    ClosedPosition,
    FundingHistoryRow,
    FundingInfo,
    FuturesOrder,
    FuturesTrade,
    KlineRow,
    LeverageMarginMode,
    Position,
    Ticker,
    TpslOrder,
    TradingSetting,
)
from ..engine.money import fmt
from .serialize import fmt_price, number_text

if TYPE_CHECKING:
    from ..state import MockState

__all__ = [
    "Style",
    "account",
    "cancel_result",
    "closed_position",
    "contract",
    "depth",
    "funding",
    "funding_history",
    "kline",
    "leverage_margin_mode",
    "order",
    "position",
    "ticker",
    "tier",
    "tpsl_history",
    "tpsl_order",
    "trade",
    "trading_setting",
]


@dataclass(frozen=True, slots=True)
class Style:
    """Which wire forms to write: the live ones, or the docs' literal ones."""

    doc: bool = False
    pad_new: bool = False

    @classmethod
    def of(cls, state: MockState) -> Style:
        return cls(doc=state.switch("futures_shapes") == "doc", pad_new=state.switch("futures_status_padding") == "on")

    def ms(self, value: int) -> Any:
        """A time (or a count): a string of digits live, an integer in the docs."""
        return value if self.doc else str(value)

    def one(self, item: Any) -> Any:
        """An object live; the docs' one-element array."""
        return [item] if self.doc else item


def _price(value: Decimal | None, places: int) -> str:
    return "0" if value is None else fmt_price(value, places)


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def ticker(t: Ticker, c: Contract) -> dict[str, Any]:
    p = c.quote_precision
    last = _price(t.last_price, p)
    return {
        "symbol": t.symbol,
        "markPrice": _price(t.mark_price, p),
        "lastPrice": last,
        "open": _price(t.open, p),
        "last": last,
        # The live inversion of the kline rows (PB), taken for the ticker too (spec §3.1) [L].
        "quoteVol": fmt(t.base_volume),
        "baseVol": fmt(t.quote_volume),
        "high": _price(t.high, p),
        "low": _price(t.low, p),
    }


def depth(
    bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]], c: Contract, style: Style
) -> dict[str, Any]:
    """Asks ascending, bids descending; strings live (NEM), JSON numbers as the doc example shows."""
    p = c.quote_precision

    def level(price: Decimal, qty: Decimal) -> list[Any]:
        if style.doc:
            return [number_text(fmt(price)), number_text(fmt(qty))]
        return [fmt_price(price, p), fmt(qty)]

    return {"asks": [level(*a) for a in asks], "bids": [level(*b) for b in bids]}


def kline(k: KlineRow, c: Contract) -> dict[str, Any]:
    p = c.quote_precision
    return {
        "open": _price(k.open, p),
        "high": _price(k.high, p),
        "low": _price(k.low, p),
        "close": _price(k.close, p),
        # Inverted names, as live (PB): quoteVol is the base quantity, baseVol the quote notional.
        "quoteVol": fmt(k.base_volume),
        "baseVol": fmt(k.quote_volume),
        "time": k.open_ms,
        "type": k.price_type,
    }


def funding(f: FundingInfo, c: Contract) -> dict[str, Any]:
    p = c.quote_precision
    return {
        "symbol": f.symbol,
        "markPrice": _price(f.mark_price, p),
        "lastPrice": _price(f.last_price, p),
        "indexPrice": _price(f.index_price, p),
        "fundingRate": fmt(f.funding_rate),
        "fundingInterval": f.funding_interval,
        "nextFundingTime": str(f.next_funding_time),
        "maxFundingRate": fmt(f.max_funding_rate),
        "minFundingRate": fmt(f.min_funding_rate),
    }


def funding_history(r: FundingHistoryRow, c: Contract) -> dict[str, Any]:
    return {
        "fundingRate": fmt(r.funding_rate),
        "fundingTime": str(r.funding_time),
        "markPrice": _price(r.mark_price, c.quote_precision),
    }


def contract(c: Contract, style: Style) -> dict[str, Any]:
    return {
        "symbol": c.symbol,
        "base": c.base,
        "quote": c.quote,
        "minTradeVolume": fmt(c.min_trade_volume),
        "minBuyPriceOffset": fmt(c.min_buy_price_offset),
        "maxSellPriceOffset": fmt(c.max_sell_price_offset),
        "maxLimitOrderVolume": fmt(c.max_limit_order_volume),
        "maxMarketOrderVolume": fmt(c.max_market_order_volume),
        "basePrecision": c.base_precision,
        "quotePrecision": c.quote_precision,
        "minLeverage": c.min_leverage,
        "maxLeverage": c.max_leverage,
        "defaultLeverage": c.default_leverage,
        # The table says Isolation/Cross, the example the integer 1 (spec §7.15).
        "defaultMarginMode": (1 if c.default_margin_mode == "ISOLATION" else 2) if style.doc else c.default_margin_mode,
        "priceProtectScope": fmt(c.price_protect_scope),
        "symbolStatus": c.symbol_status,
        "isApiSupported": c.is_api_supported,
        "maxFundingRate": fmt(c.max_funding_rate),
        "minFundingRate": fmt(c.min_funding_rate),
    }


def tier(t: Tier) -> dict[str, Any]:
    return {
        "symbol": t.symbol,
        "level": t.level,
        "startValue": fmt(t.start_value),
        "endValue": fmt(t.end_value),
        "leverage": t.leverage,
        "maintenanceMarginRate": fmt(t.maintenance_margin_rate),
    }


def account(a: AccountSummary) -> dict[str, Any]:
    return {
        "marginCoin": a.margin_coin,
        "available": fmt(a.available),
        "frozen": fmt(a.frozen),
        "margin": fmt(a.margin),
        "transfer": fmt(a.transfer),
        "positionMode": a.position_mode,
        "crossUnrealizedPNL": fmt(a.cross_unrealized_pnl),
        "isolationUnrealizedPNL": fmt(a.isolation_unrealized_pnl),
        "bonus": fmt(a.bonus),
    }


def leverage_margin_mode(m: LeverageMarginMode) -> dict[str, Any]:
    return {"symbol": m.symbol, "marginCoin": m.margin_coin, "leverage": m.leverage, "marginMode": m.margin_mode}


def trading_setting(t: TradingSetting) -> dict[str, Any]:
    return {
        "symbol": t.symbol,
        "marginCoin": t.margin_coin,
        "marginMode": t.margin_mode,
        "leverage": t.leverage,
        "longLeverage": t.long_leverage,
        "shortLeverage": t.short_leverage,
    }


_LIVE_SIDE = {"LONG": "BUY", "SHORT": "SELL"}


def _position_side(side: str, style: Style) -> str:
    """Live REST sends BUY/SELL for a position's direction (four clients, spec §3.3); the docs LONG/SHORT."""
    return side if style.doc else _LIVE_SIDE.get(side, side)


def position(p: Position, c: Contract, style: Style) -> dict[str, Any]:
    return {
        "positionId": p.position_id,
        "symbol": p.symbol,
        "marginCoin": p.margin_coin,
        "qty": fmt(p.qty),
        "entryValue": fmt(p.entry_value),
        "side": _position_side(p.side, style),
        "marginMode": p.margin_mode,
        "positionMode": p.position_mode,
        "leverage": p.leverage,
        "fee": fmt(p.fee),
        "funding": fmt(p.funding),
        "realizedPNL": fmt(p.realized_pnl),
        "margin": fmt(p.margin),
        "unrealizedPNL": fmt(p.unrealized_pnl),
        "liqPrice": fmt(p.liq_price),
        "marginRate": fmt(p.margin_rate),
        "avgOpenPrice": _price(p.avg_open_price, c.quote_precision),
        "ctime": style.ms(p.ctime),
        "mtime": style.ms(p.mtime),
    }


def closed_position(p: ClosedPosition, c: Contract, style: Style) -> dict[str, Any]:
    q = c.quote_precision
    return {
        "positionId": p.position_id,
        "symbol": p.symbol,
        "maxQty": fmt(p.max_qty),
        "entryPrice": _price(p.entry_price, q),
        "closePrice": _price(p.close_price, q),
        "liqQty": fmt(p.liq_qty),
        "side": _position_side(p.side, style),
        "marginMode": p.margin_mode,
        "positionMode": p.position_mode,
        # TIQ decodes leverage as a string here [L]; the docs an integer.
        "leverage": p.leverage if style.doc else str(p.leverage),
        "fee": fmt(p.fee),
        "funding": fmt(p.funding),
        "realizedPNL": fmt(p.realized_pnl),
        "liqPrice": fmt(p.liq_price),
        "ctime": style.ms(p.ctime),
        "mtime": style.ms(p.mtime),
    }


def _status(status: str, style: Style) -> str:
    return "NEW_" if style.pad_new and status == "NEW" else status


def order(o: FuturesOrder, c: Contract, style: Style) -> dict[str, Any]:
    return {
        "orderId": o.order_id,
        "clientId": o.client_id,
        "symbol": o.symbol,
        "qty": fmt(o.qty),
        "tradeQty": fmt(o.trade_qty),
        # Market orders read "market" (TIQ #broken note).
        "price": "market" if o.price is None else fmt_price(o.price, c.quote_precision),
        "side": o.side,
        "orderType": o.order_type,
        "effect": o.effect,
        "reduceOnly": o.reduce_only,
        "positionMode": o.position_mode,
        "marginMode": o.margin_mode,
        "leverage": o.leverage,
        "status": _status(o.status, style),
        "fee": fmt(o.fee),
        "realizedPNL": fmt(o.realized_pnl),
        "tpPrice": o.tp_price or None,
        "tpStopType": o.tp_stop_type or None,
        "tpOrderType": o.tp_order_type or None,
        "tpOrderPrice": o.tp_order_price or None,
        "slPrice": o.sl_price or None,
        "slStopType": o.sl_stop_type or None,
        "slOrderType": o.sl_order_type or None,
        "slOrderPrice": o.sl_order_price or None,
        "ctime": style.ms(o.ctime),
        "mtime": style.ms(o.mtime),
    }


def trade(t: FuturesTrade, c: Contract, style: Style) -> dict[str, Any]:
    return {
        "tradeId": t.trade_id,
        "orderId": t.order_id,
        "symbol": t.symbol,
        "qty": fmt(t.qty),
        "price": fmt_price(t.price, c.quote_precision),
        "side": t.side,
        "orderType": t.order_type,
        "effect": t.effect,
        "clientId": t.client_id,
        "reduceOnly": t.reduce_only,
        "positionMode": t.position_mode,
        "marginMode": t.margin_mode,
        "leverage": t.leverage,
        "fee": fmt(t.fee),
        "realizedPNL": fmt(t.realized_pnl),
        "ctime": style.ms(t.ctime),
        "roleType": t.role,
    }


def cancel_result(successes: list[FuturesOrder], failures: list[CancelFailure]) -> dict[str, Any]:
    """``successList`` items keyed ``orderId`` (PB matches it live), failures with their code and message."""
    return {
        "successList": [{"orderId": o.order_id, "clientId": o.client_id} for o in successes],
        "failureList": [
            {"orderId": f.order_id, "clientId": f.client_id, "errorMsg": f.error_msg, "errorCode": f.error_code}
            for f in failures
        ],
    }


def tpsl_order(t: TpslOrder, c: Contract) -> dict[str, Any]:
    q = c.quote_precision

    def price(value: Decimal | None) -> str | None:
        return None if value is None else fmt_price(value, q)

    return {
        "id": t.id,
        "positionId": t.position_id,
        "symbol": t.symbol,
        "base": t.base,
        "quote": t.quote,
        "tpPrice": price(t.tp_price),
        "tpStopType": t.tp_stop_type or None,
        "tpOrderType": t.tp_order_type or None,
        "tpOrderPrice": price(t.tp_order_price),
        "slPrice": price(t.sl_price),
        "slStopType": t.sl_stop_type or None,
        "slOrderType": t.sl_order_type or None,
        "slOrderPrice": price(t.sl_order_price),
        "tpQty": _opt(t.tp_qty),
        "slQty": _opt(t.sl_qty),
    }


def tpsl_history(t: TpslOrder, c: Contract, style: Style) -> dict[str, Any]:
    return {
        **tpsl_order(t, c),
        "status": t.status,
        "ctime": style.ms(t.ctime),
        "triggerTime": style.ms(t.trigger_time) if t.trigger_time else None,
    }
