"""Steering for tests and the admin API: set mark, index and last prices; open a position directly."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FInsufficientBalance,
    FParameterError,
    FPositionExists,
)
from ..money import ZERO
from ..orders import Side
from . import positions as _positions
from . import queries as _queries
from . import risk as _risk
from . import settings as _settings
from .names import HOUSE_ACCOUNT
from .rows import (
    FillRow,
)
from .views import (
    Position,
)

if TYPE_CHECKING:
    from .engine import Futures


def set_mark_price(fx: Futures, symbol: str, price: Decimal, *, follow_last: bool = False) -> None:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        ticks = fx._ticks(v, price, "mark price")
        v.row.mark_ticks = ticks
        v.row.follow_last = follow_last
        v.mark_tape.record(fx._now(), fx._dec_price(v, ticks), ZERO)
        _risk.check_risk(fx, v.c.symbol)


def set_index_price(fx: Futures, symbol: str, price: Decimal | None) -> None:
    with fx.lock:
        v = fx._venue(symbol)
        v.row.index_ticks = 0 if price is None else fx._ticks(v, price, "index price")


def set_last_price(fx: Futures, symbol: str, price: Decimal) -> None:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        ticks = fx._ticks(v, price, "last price")
        v.row.last_ticks = ticks
        if v.row.follow_last:
            v.row.mark_ticks = ticks
            v.mark_tape.record(fx._now(), fx._dec_price(v, ticks), ZERO)
        _risk.check_risk(fx, v.c.symbol)


def open_position(
    fx: Futures,
    account_id: str,
    symbol: str,
    side: str,
    qty: Decimal,
    price: Decimal | None = None,
    *,
    leverage: int | None = None,
    margin_mode: str | None = None,
) -> Position:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        acct = fx._account(account_id)
        s = {"BUY": "LONG", "SELL": "SHORT"}.get(side.upper(), side.upper())
        if s not in ("LONG", "SHORT"):
            raise FParameterError(f"side {side!r} is not LONG or SHORT")
        setting = fx._setting(acct, v.c)
        if margin_mode is not None and margin_mode.upper() != setting.margin_mode:
            _settings.change_margin_mode(fx, account_id, symbol, margin_mode)
        if leverage is not None and leverage != setting.leverage:
            _settings.change_leverage(fx, account_id, symbol, leverage)
        setting = fx._setting(acct, v.c)  # read again: a change above stored a new setting
        lots = fx._lots(v, qty)
        ticks = v.row.mark_ticks if price is None else fx._ticks(v, price)
        if acct.position_mode == "ONE_WAY" and _positions.position(
            fx, account_id, v.c.symbol, "SHORT" if s == "LONG" else "LONG"
        ):
            raise FPositionExists("the account holds the opposite position in one-way mode")
        need = fx._margin_for(v, ticks, lots, setting.leverage)
        if fx._free(account_id) < need:
            raise FInsufficientBalance(f"available below the {fx._money(need)} margin needed")
        fx._ensure_system()
        now = fx._now()
        tid = fx.ids.trade_id()
        with fx.ledger.atomic():
            _, pid = _positions.add(fx, account_id, v, s, lots, ticks)
            side_e = Side.BUY if s == "LONG" else Side.SELL
            fx.fills.append(FillRow(tid, "", account_id, v.c.symbol, side_e, ticks, lots, 0, 0, "TAKER", pid, now))
            hs = Side.SELL if side_e is Side.BUY else Side.BUY
            _, hpnl, hpid = _risk.house_take(fx, v, hs, lots, ticks)
            fx.fills.append(FillRow(tid, "", HOUSE_ACCOUNT, v.c.symbol, hs, ticks, lots, 0, hpnl, "MAKER", hpid, now))
        _risk.check_risk(fx, v.c.symbol)
        return _queries.position_view(fx, fx.positions[pid])
