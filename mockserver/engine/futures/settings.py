"""Per-account settings: leverage, margin mode, position mode, and isolated-margin adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FInsufficientAmount,
    FInsufficientBalance,
    FInvalidLeverage,
    FOpenOrdersExist,
    FParameterError,
    FPositionExists,
    FPositionNotExist,
)
from ..money import dec, units
from . import placement as _placement
from . import positions as _positions
from . import risk as _risk
from .names import MARGIN_COIN
from .venue import off_grid
from .views import (
    LeverageMarginMode,
    TradingSetting,
)

if TYPE_CHECKING:
    from .engine import Futures


def leverage_margin_mode(fx: Futures, account_id: str, symbol: str) -> LeverageMarginMode:
    with fx.lock:
        v = fx._venue(symbol)
        s = fx._setting(fx._account(account_id), v.c)
        return LeverageMarginMode(v.c.symbol, MARGIN_COIN, s.leverage, s.margin_mode)


def has_open_orders(fx: Futures, account_id: str, symbol: str | None) -> bool:
    return bool(fx._open_orders(account_id, symbol))


def change_leverage(fx: Futures, account_id: str, symbol: str, leverage: int) -> LeverageMarginMode:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        c = v.c
        acct = fx._account(account_id)
        if type(leverage) is not int or not (c.min_leverage <= leverage <= c.max_leverage):
            raise FInvalidLeverage(f"leverage {leverage} outside {c.min_leverage}..{c.max_leverage}")
        if has_open_orders(fx, account_id, c.symbol):
            raise FOpenOrdersExist(f"open orders on {c.symbol}")
        held = [p for p in fx.positions.values() if p.account_id == account_id and p.symbol == c.symbol]
        for p in held:
            value = dec(p.cost, c.quote_precision + c.base_precision)
            if value > _placement.value_cap(fx, c, leverage):
                raise FInvalidLeverage(f"position value {value} above what {leverage}x allows")
        # Positions keep their margin; a lower leverage needs more, held from free (all or nothing).
        extra = {p.position_id: max(0, fx._margin_for(v, 1, p.cost, leverage) - p.margin) for p in held}
        if sum(extra.values()) > fx._free(account_id):
            raise FInsufficientBalance("free balance does not cover the margin the lower leverage needs")
        with fx.ledger.atomic():
            for p in held:
                fx._lock(account_id, extra[p.position_id])
                p.margin += extra[p.position_id]
                p.leverage = leverage
        fx._own_setting(acct, c).leverage = leverage
        return LeverageMarginMode(c.symbol, MARGIN_COIN, leverage, fx._setting(acct, c).margin_mode)


def change_margin_mode(fx: Futures, account_id: str, symbol: str, mode: str) -> LeverageMarginMode:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        mode = (mode or "").upper()
        if mode not in ("ISOLATION", "CROSS"):
            raise FParameterError(f"marginMode {mode!r} is not ISOLATION or CROSS")
        acct = fx._account(account_id)
        if has_open_orders(fx, account_id, v.c.symbol) or any(
            p.account_id == account_id and p.symbol == v.c.symbol for p in fx.positions.values()
        ):
            raise FOpenOrdersExist(f"open orders or a position on {v.c.symbol}")
        s = fx._own_setting(acct, v.c)
        s.margin_mode = mode
        return LeverageMarginMode(v.c.symbol, MARGIN_COIN, s.leverage, mode)


def change_position_mode(fx: Futures, account_id: str, mode: str) -> str:
    with fx.lock:
        fx._tick()
        mode = (mode or "").upper()
        if mode not in ("ONE_WAY", "HEDGE"):
            raise FParameterError(f"positionMode {mode!r} is not ONE_WAY or HEDGE")
        acct = fx._account(account_id)
        if has_open_orders(fx, account_id, None) or any(p.account_id == account_id for p in fx.positions.values()):
            raise FPositionExists("positions or open orders exist")
        acct.position_mode = mode
        return mode


def position_mode(fx: Futures, account_id: str) -> str:
    with fx.lock:
        return fx._account(account_id).position_mode


def trading_settings(fx: Futures, account_id: str, symbols: Sequence[str] | None = None) -> list[TradingSetting]:
    with fx.lock:
        acct = fx._account(account_id)
        vs = [fx._venue(s) for s in symbols] if symbols else list(fx.venues.values())
        out = []
        for v in vs:
            s = fx._setting(acct, v.c)
            out.append(TradingSetting(v.c.symbol, MARGIN_COIN, s.margin_mode, s.leverage, s.leverage, s.leverage))
        return out


def adjust_position_margin(
    fx: Futures, account_id: str, symbol: str, amount: Decimal, side: str | None = None, position_id: str | None = None
) -> None:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        if position_id:
            p = fx.positions.get(position_id)
        elif side:
            s = side.upper()
            s = {"BUY": "LONG", "SELL": "SHORT"}.get(s, s)
            p = _positions.position(fx, account_id, v.c.symbol, s)
        else:
            raise FParameterError("side or positionId is required")
        if p is None or p.account_id != account_id or p.symbol != v.c.symbol:
            raise FPositionNotExist(f"no open position on {v.c.symbol}")
        if p.margin_mode != "ISOLATION":
            raise FParameterError("margin can be adjusted on isolated positions only")
        if not amount.is_finite() or amount == 0:
            raise FParameterError("amount must be a non-zero number")
        n = units(abs(amount), fx.scale)
        if n is None:
            raise off_grid(abs(amount), fx.scale, "amount has too many decimals")
        if amount > 0:
            if n > fx._free(account_id):
                raise FInsufficientBalance(f"available below {amount}")
            fx._lock(account_id, n)
            p.margin += n
        else:
            # What must stay: the initial margin at the position's leverage, less any unrealized profit.
            keep = fx._margin_for(v, 1, p.cost, p.leverage)
            if p.margin - n < keep:
                raise FInsufficientAmount(f"at most {fx._money(max(0, p.margin - keep))} can be removed")
            fx._unlock(account_id, n)
            p.margin -= n
        p.mtime = fx._now()
        _risk.check_risk(fx, v.c.symbol)
