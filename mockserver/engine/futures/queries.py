"""Reads: the account summary, positions, orders and trades as the facade returns them, and the
lookup of an order by orderId or clientId."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FOrderNotFound,
    FParameterError,
)
from ..money import ZERO, dec, div_down
from ..orders import Side
from . import positions as _positions
from .contracts import Contract
from .names import MARGIN_COIN, wallet_of
from .rows import (
    FillRow,
    OrderRow,
    PositionRow,
)
from .views import (
    AccountSummary,
    ClosedPosition,
    FuturesOrder,
    FuturesTrade,
    OrderQuery,
    Page,
    Position,
    PositionQuery,
    TradeQuery,
)

if TYPE_CHECKING:
    from .engine import Futures


def _avg(value: int, lots: int, c: Contract) -> Decimal:
    """value / lots as a price, rounded to 10 more decimals than the tick (0 when nothing)."""
    if not lots:
        return ZERO
    amount = dec(value, c.quote_precision + c.base_precision)
    return _plain(div_down(amount, dec(lots, c.base_precision), c.quote_precision + 10))


def _plain(d: Decimal) -> Decimal:
    """``d`` without trailing zeros and without an exponent ("98000", not "9.8E+4")."""
    n = d.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n


def transfer_units(free: int, cross_upnl: int) -> int:
    """What may leave the futures wallet: free balance less cross losses (cross gains stay) [L]."""
    return max(0, free + min(0, cross_upnl))


def transferable(fx: Futures, account_id: str) -> Decimal:
    """The account summary's ``transfer`` figure: what a futures->spot transfer may move."""
    with fx.lock:
        fx._tick()
        free = fx.ledger.free_units(wallet_of(account_id), MARGIN_COIN)
        cross = 0
        for p in fx.positions.values():
            if p.account_id == account_id and p.margin_mode == "CROSS":
                cross += _positions.upnl(fx, fx.venues[p.symbol], p)
        return fx._money(transfer_units(free, cross))


def account_summary(fx: Futures, account_id: str, margin_coin: str = MARGIN_COIN) -> AccountSummary:
    with fx.lock:
        fx._tick()
        if (margin_coin or "").upper() != MARGIN_COIN:
            raise FParameterError(f"marginCoin {margin_coin!r} is not USDT")
        acct = fx._account(account_id)
        wallet = wallet_of(account_id)
        free = fx.ledger.free_units(wallet, MARGIN_COIN)
        frozen = sum(o.frozen for o in fx._open_orders(account_id))
        margin = 0
        cross = iso = 0
        for p in fx.positions.values():
            if p.account_id != account_id:
                continue
            margin += p.margin
            u = _positions.upnl(fx, fx.venues[p.symbol], p)
            if p.margin_mode == "CROSS":
                cross += u
            else:
                iso += u
        available = free + cross if fx.wallet_identity == "include_cross_upnl" else free
        transfer = transfer_units(free, cross)
        return AccountSummary(
            margin_coin=MARGIN_COIN,
            available=fx._money(available),
            frozen=fx._money(frozen),
            margin=fx._money(margin),
            transfer=fx._money(transfer),
            position_mode=acct.position_mode,
            cross_unrealized_pnl=fx._money(cross),
            isolation_unrealized_pnl=fx._money(iso),
            bonus=ZERO,
        )


def position_view(fx: Futures, p: PositionRow) -> Position:
    v = fx.venues[p.symbol]
    c = v.c
    upnl = _positions.upnl(fx, v, p)
    maint = _positions.maintenance(fx, v, p)
    extra = 0
    if p.margin_mode == "CROSS":
        extra = fx._free(p.account_id)
    equity = p.margin + upnl
    # maintenance / (margin + uPnL), 4 decimals, rounded down [L]; 1 once the equity is gone
    rate = div_down(Decimal(maint), Decimal(equity), 4) if equity > 0 else Decimal(1)
    amount_places = c.quote_precision + c.base_precision
    return Position(
        position_id=p.position_id,
        symbol=p.symbol,
        margin_coin=MARGIN_COIN,
        qty=fx._dec_qty(v, p.qty_lots),
        entry_value=dec(p.cost, amount_places),
        side=p.side,
        margin_mode=p.margin_mode,
        position_mode=p.position_mode,
        leverage=p.leverage,
        fee=fx._money(p.fee),
        funding=fx._money(p.funding),
        realized_pnl=fx._money(p.realized),
        margin=fx._money(p.margin),
        unrealized_pnl=fx._money(upnl),
        liq_price=_positions.liq_price(fx, v, p, extra),
        margin_rate=rate,
        avg_open_price=_avg(p.cost, p.qty_lots, c),
        ctime=p.ctime,
        mtime=p.mtime,
    )


def pending_positions(
    fx: Futures, account_id: str, symbol: str | None = None, position_id: str | None = None
) -> list[Position]:
    with fx.lock:
        fx._tick()
        sym = fx._venue(symbol).c.symbol if symbol else None
        rows = [
            p
            for p in fx.positions.values()
            if p.account_id == account_id
            and (sym is None or p.symbol == sym)
            and (position_id is None or p.position_id == position_id)
        ]
        rows.sort(key=lambda p: (p.ctime, int(p.position_id)), reverse=True)
        return [position_view(fx, p) for p in rows]


def history_positions(fx: Futures, account_id: str, query: PositionQuery) -> Page[ClosedPosition]:
    with fx.lock:
        fx._tick()
        sym = fx._venue(query.symbol).c.symbol if query.symbol else None
        rows = [
            p
            for p in reversed(fx.closed)
            if p.account_id == account_id
            and (sym is None or p.symbol == sym)
            and (query.position_id is None or p.position_id == query.position_id)
            and (query.start_ms is None or p.ctime >= query.start_ms)
            and (query.end_ms is None or p.ctime <= query.end_ms)
        ]
        page = rows[query.skip : query.skip + query.limit]
        return Page([closed_view(fx, r) for r in page], len(rows))


def closed_view(fx: Futures, p: PositionRow) -> ClosedPosition:
    v = fx.venues[p.symbol]
    c = v.c
    return ClosedPosition(
        position_id=p.position_id,
        symbol=p.symbol,
        margin_coin=MARGIN_COIN,
        max_qty=fx._dec_qty(v, p.max_lots),
        entry_price=_avg(p.open_value, p.opened_lots, c),
        close_price=_avg(p.close_value, p.closed_lots, c),
        liq_qty=fx._dec_qty(v, p.liq_lots),
        side=p.side,
        margin_mode=p.margin_mode,
        position_mode=p.position_mode,
        leverage=p.leverage,
        fee=fx._money(p.fee),
        funding=fx._money(p.funding),
        realized_pnl=fx._money(p.realized),
        liq_price=Decimal(p.last_liq_price),
        margin=fx._money(p.last_margin),
        ctime=p.ctime,
        mtime=p.mtime,
    )


def order_view(fx: Futures, o: OrderRow) -> FuturesOrder:
    v = fx.venues[o.symbol]
    c = v.c
    return FuturesOrder(
        order_id=o.order_id,
        client_id=o.client_id,
        symbol=o.symbol,
        qty=fx._dec_qty(v, o.qty_lots),
        trade_qty=fx._dec_qty(v, o.deal_lots),
        price=fx._dec_price(v, o.price_ticks) if o.order_type == "LIMIT" else None,
        avg_price=_avg(o.deal_value, o.deal_lots, c),
        side="BUY" if o.side is Side.BUY else "SELL",
        trade_side=o.trade_side,
        position_id=o.position_id,
        order_type=o.order_type,
        effect=o.effect,
        reduce_only=o.reduce_only,
        position_mode=o.position_mode,
        margin_mode=o.margin_mode,
        leverage=o.leverage,
        status=o.status,
        fee=fx._money(o.fee),
        realized_pnl=fx._money(o.realized),
        ctime=o.ctime,
        mtime=o.mtime,
        tp_price=o.tp_price,
        tp_stop_type=o.tp_stop_type,
        tp_order_type=o.tp_order_type,
        tp_order_price=o.tp_order_price,
        sl_price=o.sl_price,
        sl_stop_type=o.sl_stop_type,
        sl_order_type=o.sl_order_type,
        sl_order_price=o.sl_order_price,
    )


def order_detail(
    fx: Futures, account_id: str, order_id: str | None = None, client_id: str | None = None
) -> FuturesOrder:
    with fx.lock:
        fx._tick()
        return order_view(fx, find_order(fx, account_id, order_id, client_id))


def orders_page(fx: Futures, account_id: str, q: OrderQuery, *, open_: bool) -> Page[FuturesOrder]:
    sym = fx._venue(q.symbol).c.symbol if q.symbol else None
    rows = []
    mine = fx._open_orders(account_id, sym) if open_ else fx.account_orders.get(account_id, {}).values()
    for o in mine:
        if o.is_open != open_:
            continue
        if sym is not None and o.symbol != sym:
            continue
        if q.order_id and o.order_id != q.order_id:
            continue
        if q.client_id and o.client_id != q.client_id:
            continue
        if q.status and o.status != q.status.upper():
            continue
        if q.order_type and o.order_type != q.order_type.upper():
            continue
        if q.start_ms is not None and o.ctime < q.start_ms:
            continue
        if q.end_ms is not None and o.ctime > q.end_ms:
            continue
        cancelled = o.status in ("CANCELED", "PART_FILLED_CANCELED")
        if q.query_canceled is True and not cancelled:
            continue
        if q.query_canceled is False and cancelled:
            continue
        rows.append(o)
    rows.sort(key=lambda o: o.seq, reverse=True)
    return Page([order_view(fx, o) for o in rows[q.skip : q.skip + q.limit]], len(rows))


def pending_orders(fx: Futures, account_id: str, query: OrderQuery) -> Page[FuturesOrder]:
    with fx.lock:
        fx._tick()
        return orders_page(fx, account_id, query, open_=True)


def history_orders(fx: Futures, account_id: str, query: OrderQuery) -> Page[FuturesOrder]:
    with fx.lock:
        fx._tick()
        return orders_page(fx, account_id, query, open_=False)


def history_trades(fx: Futures, account_id: str, query: TradeQuery) -> Page[FuturesTrade]:
    with fx.lock:
        fx._tick()
        sym = fx._venue(query.symbol).c.symbol if query.symbol else None
        rows = [
            f
            for f in reversed(fx.fills)
            if f.account_id == account_id
            and (sym is None or f.symbol == sym)
            and (query.order_id is None or f.order_id == query.order_id)
            and (query.position_id is None or f.position_id == query.position_id)
            and (query.start_ms is None or f.ctime >= query.start_ms)
            and (query.end_ms is None or f.ctime <= query.end_ms)
        ]
        return Page([trade_view(fx, f) for f in rows[query.skip : query.skip + query.limit]], len(rows))


def trade_view(fx: Futures, f: FillRow) -> FuturesTrade:
    v = fx.venues[f.symbol]
    o = fx.orders.get(f.order_id)
    return FuturesTrade(
        trade_id=f.trade_id,
        order_id=f.order_id,
        symbol=f.symbol,
        qty=fx._dec_qty(v, f.qty_lots),
        price=fx._dec_price(v, f.price_ticks),
        side="BUY" if f.side is Side.BUY else "SELL",
        order_type=o.order_type if o else "MARKET",
        effect=o.effect if o else "IOC",
        client_id=o.client_id if o else "",
        reduce_only=o.reduce_only if o else True,
        position_mode=o.position_mode if o else _mode_of(fx, f.account_id),
        margin_mode=o.margin_mode if o else "",
        leverage=o.leverage if o else 0,
        fee=fx._money(f.fee),
        realized_pnl=fx._money(f.realized),
        ctime=f.ctime,
        role=f.role,
        position_id=f.position_id,
    )


def find_order(fx: Futures, account_id: str, order_id: str | None, client_id: str | None) -> OrderRow:
    o: OrderRow | None = None
    if order_id:
        o = fx.orders.get(order_id)
    elif client_id:
        oid = fx.client_ids.get((account_id, client_id))
        o = fx.orders.get(oid) if oid else None
    else:
        raise FParameterError("orderId or clientId is required")
    if o is None or o.account_id != account_id:
        raise FOrderNotFound(f"no order {order_id or client_id!r}")
    return o


def _mode_of(fx: Futures, account_id: str) -> str:
    """The account's position mode (a deleted account's fills read as one-way)."""
    row = fx.accounts.get(account_id)
    return row.position_mode if row is not None else "ONE_WAY"
