"""Order placement: every refusal of ``place`` in the exchange's order (plan before any change),
submission, batches, cancels, ``modify_order``, and closing positions at market (flash close,
close all) through the same path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...futures_errors import (
    FAbnormalOrderStatus,
    FBatchTooLarge,
    FBuyPriceTooHigh,
    FClientIdDuplicate,
    FInsufficientBalance,
    FOrderNotFound,
    FOrderQtyAboveMax,
    FParameterError,
    FPositionLimit,
    FPositionNotExist,
    FQtyAboveMax,
    FQtyBelowMin,
    FQtyTooSmall,
    FReduceOnlyNoPosition,
    FReduceOnlySameSide,
    FSellPriceTooLow,
    FTradingNotAllowed,
    FuturesError,
    FWouldLiquidate,
)
from ..money import ZERO, dec
from ..orders import Side
from . import margin as _margin
from . import matching as _matching
from . import positions as _positions
from . import queries as _queries
from .contracts import Contract
from .rows import (
    OrderRow,
    PositionRow,
)
from .venue import ceil_div, ratio
from .views import (
    CancelFailure,
    FuturesOrder,
    FuturesPlaceRequest,
)

if TYPE_CHECKING:
    from .engine import Futures


EFFECTS = ("GTC", "IOC", "FOK", "POST_ONLY")


BATCH_MAX = 5


_STOP_TYPES = {"MARK_PRICE": "MARK_PRICE", "MARK": "MARK_PRICE", "LAST_PRICE": "LAST_PRICE", "LAST": "LAST_PRICE"}


def _txt(v: Decimal | None) -> str:
    return "" if v is None else format(v, "f")


def _stop(v: str | None) -> str:
    s = (v or "LAST_PRICE").upper()
    out = _STOP_TYPES.get(s)
    if out is None:
        raise FParameterError(f"stop type {v!r} is not MARK_PRICE or LAST_PRICE")
    return out


def validate(fx: Futures, account_id: str, req: FuturesPlaceRequest, exclude: str = "") -> OrderRow:
    """Every refusal of ``place``, in the exchange's order; the order row to place (nothing changed).

    ``exclude``: an open order the new one replaces (modify), left out of the shared one-way credit.
    """
    v = fx._venue(req.symbol)
    c = v.c
    if c.symbol_status != "OPEN" or not c.is_api_supported:
        raise FTradingNotAllowed(f"{c.symbol} is {c.symbol_status}")
    acct = fx._account(account_id)
    side_s = (req.side or "").upper()
    if side_s not in ("BUY", "SELL"):
        raise FParameterError(f"side {req.side!r} is not BUY or SELL")
    otype = (req.order_type or "").upper()
    if otype not in ("LIMIT", "MARKET"):
        raise FParameterError(f"orderType {req.order_type!r} is not LIMIT or MARKET")
    effect = (req.effect or "GTC").upper()
    if effect not in EFFECTS:
        raise FParameterError(f"effect {req.effect!r} is not one of {EFFECTS}")
    trade_side = (req.trade_side or "").upper()
    if trade_side not in ("", "OPEN", "CLOSE"):
        raise FParameterError(f"tradeSide {req.trade_side!r} is not OPEN or CLOSE")
    if acct.position_mode == "HEDGE" and not trade_side:
        raise FParameterError("tradeSide is required in hedge mode")
    lots = fx._lots(v, req.qty)
    if lots < v.min_lots:
        raise FQtyBelowMin(f"qty {req.qty} is below minTradeVolume {c.min_trade_volume}")
    if otype == "LIMIT" and lots > v.max_limit_lots:
        raise FQtyAboveMax(f"qty {req.qty} is above maxLimitOrderVolume {c.max_limit_order_volume}")
    if otype == "MARKET" and lots > v.max_market_lots:
        raise FOrderQtyAboveMax(f"qty {req.qty} is above maxMarketOrderVolume {c.max_market_order_volume}")
    # The actual action: BUY+CLOSE closes a long, so it sells (spec §3.4).
    buys = (side_s == "BUY") != (trade_side == "CLOSE")
    low, high = fx._band(v)
    if otype == "LIMIT":
        if req.price is None:
            raise FParameterError("price is required for a LIMIT order")
        ticks = fx._ticks(v, req.price)
        if buys and ticks > high:
            raise FBuyPriceTooHigh(f"a buy may not be priced above {fx._dec_price(v, high)}")
        if not buys and ticks < low:
            raise FSellPriceTooLow(f"a sell may not be priced below {fx._dec_price(v, low)}")
    else:
        ticks = high if buys else low
    client_id = req.client_id or ""
    if client_id and (account_id, client_id) in fx.client_ids:
        raise FClientIdDuplicate(f"clientId {client_id!r} is already used")
    setting = fx._setting(acct, c)
    # What the order does to positions: its actual action and the position it reduces, if any.
    if trade_side == "CLOSE":
        pos_side = "LONG" if side_s == "BUY" else "SHORT"  # BUY+CLOSE closes a long (spec §3.4)
        action = Side.SELL if pos_side == "LONG" else Side.BUY
        if req.position_id:
            p = fx.positions.get(req.position_id)
            if p is None or p.account_id != account_id or p.symbol != c.symbol:
                raise FPositionNotExist(f"no open position {req.position_id!r} on {c.symbol}")
            if p.side != pos_side:
                raise FReduceOnlySameSide(f"position {p.position_id} is {p.side}; {side_s}+CLOSE closes a {pos_side}")
        else:
            p = _positions.position(fx, account_id, c.symbol, pos_side)
            if p is None:
                raise FReduceOnlyNoPosition(f"no {pos_side} position on {c.symbol} to close")
        reduce = True
        lots = min(lots, p.qty_lots)
        position_id = p.position_id
        if otype == "LIMIT":
            _positions.check_close_price(fx, v, p, ticks)
    else:
        action = Side.BUY if side_s == "BUY" else Side.SELL
        pos_side = ("LONG" if action is Side.BUY else "SHORT") if acct.position_mode == "HEDGE" else ""
        position_id = ""
        reduce = req.reduce_only
        if reduce:
            reduces = "SHORT" if action is Side.BUY else "LONG"
            p = _positions.position(fx, account_id, c.symbol, reduces)
            if p is None:
                other = _positions.position(fx, account_id, c.symbol, "LONG" if reduces == "SHORT" else "SHORT")
                if other is not None:
                    raise FReduceOnlySameSide(f"{side_s} would add to the {other.side} position")
                raise FReduceOnlyNoPosition(f"no position on {c.symbol} to reduce")
            lots = min(lots, p.qty_lots)
            if otype == "LIMIT":
                _positions.check_close_price(fx, v, p, ticks)
            position_id = p.position_id if acct.position_mode == "HEDGE" else ""
            pos_side = reduces if acct.position_mode == "HEDGE" else ""
    if not reduce and (req.tp_price is not None or req.sl_price is not None):
        fx._check_attached_tpsl(v, (pos_side or ("LONG" if action is Side.BUY else "SHORT")) == "LONG", req)
    # The opening part (what needs margin) and its checks; the freeze rule is :mod:`.margin`'s.
    frozen = 0
    opening = 0
    if not reduce:
        opening = _margin.opening_lots(fx, account_id, c.symbol, action, lots, exclude)
        freeze_ticks = _margin.taking_ticks(fx, v, action, otype, ticks)
        frozen = _margin.need(fx, v, freeze_ticks, opening, lots, setting.leverage)
    if opening:
        own_side = "LONG" if action is Side.BUY else "SHORT"
        held = _positions.position(fx, account_id, c.symbol, own_side)
        new_value = dec((held.qty_lots if held else 0) + opening, c.base_precision) * dec(
            freeze_ticks, c.quote_precision
        )
        if new_value > value_cap(fx, c, setting.leverage):
            raise FPositionLimit(f"position value {new_value} above what {setting.leverage}x allows")
        # Would the new position be beyond its liquidation price at the mark at once?
        # (a market order is judged at the mark: it fills near it, not at the band's edge)
        at = ticks if otype == "LIMIT" else fx._mark(v)
        margin = fx._margin_for(v, at, opening, setting.leverage)
        mark = fx._mark(v)
        upnl = (mark - at) * opening if action is Side.BUY else (at - mark) * opening
        value = mark * opening * v.amount_s
        mmr = c.tier_for(dec(value, fx.scale)).maintenance_margin_rate
        num, den = ratio(mmr)
        if setting.margin_mode == "ISOLATION" and margin + upnl * v.amount_s <= ceil_div(value * num, den):
            raise FWouldLiquidate(f"at mark {fx._dec_price(v, mark)} the position would be liquidated at once")
    if frozen and fx._free(account_id) < frozen:
        raise FInsufficientBalance(
            f"available {fx._money(fx._free(account_id))} USDT below the {fx._money(frozen)} needed"
        )
    now = fx._now()
    return OrderRow(
        order_id="",
        account_id=account_id,
        symbol=c.symbol,
        client_id=client_id,
        side=action,
        trade_side=trade_side,
        position_side=pos_side,
        position_id=position_id,
        order_type=otype,
        effect=effect if otype == "LIMIT" else "IOC",
        reduce_only=reduce,
        price_ticks=ticks,
        qty_lots=lots,
        deal_lots=0,
        deal_value=0,
        frozen=frozen,
        fee=0,
        realized=0,
        leverage=setting.leverage,
        margin_mode=setting.margin_mode,
        position_mode=acct.position_mode,
        status="NEW",
        seq=0,
        ctime=now,
        mtime=now,
        tp_price=_txt(req.tp_price),
        tp_stop_type=_stop(req.tp_stop_type) if req.tp_price is not None else "",
        tp_order_type=(req.tp_order_type or "MARKET").upper() if req.tp_price is not None else "",
        tp_order_price=_txt(req.tp_order_price),
        sl_price=_txt(req.sl_price),
        sl_stop_type=_stop(req.sl_stop_type) if req.sl_price is not None else "",
        sl_order_type=(req.sl_order_type or "MARKET").upper() if req.sl_price is not None else "",
        sl_order_price=_txt(req.sl_order_price),
    )


def value_cap(fx: Futures, c: Contract, leverage: int) -> Decimal:
    """The largest position value ``leverage`` may hold: the end of the last tier allowing it."""
    cap = ZERO
    for t in c.tiers:
        if t.leverage >= leverage:
            cap = t.end_value
    return cap


def place(fx: Futures, account_id: str, req: FuturesPlaceRequest) -> FuturesOrder:
    with fx.lock:
        fx._tick()
        row = validate(fx, account_id, req)
        fx._ensure_system()
        with fx.ledger.atomic():
            o = _matching.submit(fx, row)
        return _queries.order_view(fx, o)


def place_batch(
    fx: Futures, account_id: str, symbol: str, requests: Sequence[FuturesPlaceRequest | FuturesError]
) -> list[FuturesOrder | FuturesError]:
    if len(requests) > BATCH_MAX:
        raise FBatchTooLarge(f"{len(requests)} orders, at most {BATCH_MAX}")
    out: list[FuturesOrder | FuturesError] = []
    with fx.lock:
        fx._venue(symbol)
        for req in requests:
            if isinstance(req, FuturesError):
                out.append(req)
                continue
            try:
                out.append(place(fx, account_id, replace(req, symbol=symbol)))
            except FuturesError as e:
                out.append(e)
    return out


def cancel_orders(
    fx: Futures, account_id: str, symbol: str, targets: Iterable[tuple[str | None, str | None]]
) -> tuple[list[FuturesOrder], list[CancelFailure]]:
    with fx.lock:
        fx._tick()
        v = fx._venue(symbol)
        ok: list[FuturesOrder] = []
        bad: list[CancelFailure] = []
        for order_id, client_id in targets:
            try:
                o = _queries.find_order(fx, account_id, order_id, client_id)
                if o.symbol != v.c.symbol:
                    raise FOrderNotFound(f"order {o.order_id} is not on {v.c.symbol}")
                if not o.is_open:
                    raise FAbnormalOrderStatus(f"order {o.order_id} is {o.status}")
            except FuturesError as e:
                bad.append(CancelFailure(order_id or "", client_id or "", e.code, e.msg))
                continue
            with fx.ledger.atomic():
                _matching.cancel_row(fx, o, v)
            ok.append(_queries.order_view(fx, o))
        return ok, bad


def cancel_all_orders(
    fx: Futures, account_id: str, symbol: str | None = None
) -> tuple[list[FuturesOrder], list[CancelFailure]]:
    with fx.lock:
        fx._tick()
        sym = fx._venue(symbol).c.symbol if symbol else None
        out: list[FuturesOrder] = []
        with fx.ledger.atomic():
            for o in sorted(fx._open_orders(account_id, sym), key=lambda o: o.seq):
                _matching.cancel_row(fx, o, fx.venues[o.symbol])
                out.append(_queries.order_view(fx, o))
        return out, []


def modify_order(
    fx: Futures,
    account_id: str,
    *,
    order_id: str | None = None,
    client_id: str | None = None,
    qty: Decimal,
    price: Decimal,
    tp_price: Decimal | None = None,
    tp_stop_type: str | None = None,
    tp_order_type: str | None = None,
    tp_order_price: Decimal | None = None,
    sl_price: Decimal | None = None,
    sl_stop_type: str | None = None,
    sl_order_type: str | None = None,
    sl_order_price: Decimal | None = None,
) -> FuturesOrder:
    with fx.lock:
        fx._tick()
        o = _queries.find_order(fx, account_id, order_id, client_id)
        if not o.is_open:
            raise FAbnormalOrderStatus(f"order {o.order_id} is {o.status}")
        v = fx.venues[o.symbol]
        if qty is not None and fx._lots(v, qty) <= o.deal_lots:
            raise FQtyTooSmall(f"qty {qty} is not above the {fx._dec_qty(v, o.deal_lots)} already filled")
        side = "BUY" if o.side is Side.BUY else "SELL"
        if o.trade_side == "CLOSE":
            side = "BUY" if o.position_side == "LONG" or (not o.position_side and o.side is Side.SELL) else "SELL"
        new_lots = fx._lots(v, qty) - o.deal_lots
        req = FuturesPlaceRequest(
            symbol=o.symbol,
            side=side,
            qty=fx._dec_qty(v, new_lots),
            order_type="LIMIT",
            price=price,
            trade_side=o.trade_side or None,
            position_id=o.position_id or None,
            effect=o.effect,
            reduce_only=o.reduce_only,
            # A leg sent replaces the order's attached leg; a leg not sent keeps it [L].
            **_legs(o, "tp", tp_price, tp_stop_type, tp_order_type, tp_order_price),
            **_legs(o, "sl", sl_price, sl_stop_type, sl_order_type, sl_order_price),
        )
        # Validate as if the old order's freeze were free again (plan before any change).
        fx._unlock(o.account_id, o.frozen)
        try:
            row = validate(fx, account_id, req, exclude=o.order_id)
        except FuturesError:
            fx._lock(o.account_id, o.frozen)
            raise
        with fx.ledger.atomic():
            v.book.remove(o)
            fx._lock(o.account_id, row.frozen)
            o.frozen = row.frozen
            o.price_ticks = row.price_ticks
            o.qty_lots = o.deal_lots + row.qty_lots
            legs_changed = _attached(o) != _attached(row)
            (o.tp_price, o.tp_stop_type, o.tp_order_type, o.tp_order_price) = _attached(row)[:4]
            (o.sl_price, o.sl_stop_type, o.sl_order_type, o.sl_order_price) = _attached(row)[4:]
            if legs_changed and o.deal_lots:
                # Its TP/SL went to its position at its first fill: the new legs replace it there.
                fx._attach_tpsl(o, fx.fills_by_order[o.order_id][-1].position_id)
            fx.seq += 1
            o.seq = fx.seq
            o.mtime = fx._now()
            # As at placement: a POST_ONLY that would take is cancelled, not matched.
            if o.effect == "POST_ONLY" and _matching.crosses(fx, v, o):
                _matching.finish(fx, o, v)
                traded = False
            else:
                traded = _matching.take(fx, o, v)
            if traded:
                _matching.after_trades(fx, v)
        return _queries.order_view(fx, o)


def flash_close(fx: Futures, account_id: str, position_id: str) -> str:
    with fx.lock:
        fx._tick()
        p = fx.positions.get(position_id)
        if p is None or p.account_id != account_id:
            raise FPositionNotExist(f"no open position {position_id!r}")
        market_close(fx, p)
        return position_id


def close_all_positions(fx: Futures, account_id: str, symbol: str | None = None) -> list[str]:
    with fx.lock:
        fx._tick()
        sym = fx._venue(symbol).c.symbol if symbol else None
        ids = [
            p.position_id
            for p in fx.positions.values()
            if p.account_id == account_id and (sym is None or p.symbol == sym)
        ]
        for pid in ids:
            p = fx.positions.get(pid)
            if p is not None:
                market_close(fx, p)
        return ids


def market_close(fx: Futures, p: PositionRow) -> OrderRow:
    """A market CLOSE order for the whole position, through the ordinary placement path."""
    v = fx.venues[p.symbol]
    req = FuturesPlaceRequest(
        symbol=p.symbol,
        side="BUY" if p.side == "LONG" else "SELL",
        qty=fx._dec_qty(v, p.qty_lots),
        order_type="MARKET",
        trade_side="CLOSE",
        position_id=p.position_id,
    )
    row = validate(fx, p.account_id, req)
    fx._ensure_system()
    with fx.ledger.atomic():
        return _matching.submit(fx, row)


def _legs(
    o: OrderRow, leg: str, price: Decimal | None, stop: str | None, otype: str | None, oprice: Decimal | None
) -> dict[str, Any]:
    """One attached TP/SL leg of a modify: what was sent, else what the order holds (as request fields)."""
    if price is None:
        held = getattr(o, f"{leg}_price")
        if not held:
            return {}
        price = Decimal(held)
        stop = getattr(o, f"{leg}_stop_type") or None
        otype = getattr(o, f"{leg}_order_type") or None
        text = getattr(o, f"{leg}_order_price")
        oprice = Decimal(text) if text else None
    return {f"{leg}_price": price, f"{leg}_stop_type": stop, f"{leg}_order_type": otype, f"{leg}_order_price": oprice}


def _attached(o: OrderRow) -> tuple[str, ...]:
    return (
        o.tp_price,
        o.tp_stop_type,
        o.tp_order_type,
        o.tp_order_price,
        o.sl_price,
        o.sl_stop_type,
        o.sl_order_type,
        o.sl_order_price,
    )
