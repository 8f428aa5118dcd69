"""Take-profit and stop-loss: position TP/SL (one per position, closes it all at market) and order TP/SL.

Validation follows the message texts of spec §2.2 (30004-30041, M by message); what the mock
chose [L]: a trigger equal to the current reference price is 30005; for a long the TP must be
above and the SL below the reference (mark for MARK_PRICE, last for LAST_PRICE), mirrored for a
short; a long's SL must stay above its liquidation price (30025), a short's below (30024);
placing a position TP/SL where one exists replaces it; a fired TP/SL reads ``FILLED`` (its child
order was placed, spec §5.14); a child that cannot be placed reads ``FAILED``; when the position
goes flat its TP/SL orders read ``SYSTEM_CANCELED``; an order's attached TP/SL becomes the
position's TP/SL when the order first fills.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ...futures_errors import (
    FAbnormalOrderStatus,
    FOrderNotFound,
    FParameterError,
    FPositionNotExist,
    FSelectTpOrSl,
    FSlAboveEntry,
    FSlAboveLastRequired,
    FSlAboveLiq,
    FSlBelowEntry,
    FSlBelowLastRequired,
    FSlBelowLiq,
    FSlTriggerAboveMark,
    FSlTriggerBelowMark,
    FTpAboveEntry,
    FTpAboveLastRequired,
    FTpBelowEntry,
    FTpBelowLastRequired,
    FTpslQtyAbovePosition,
    FTpTriggerAboveMark,
    FTpTriggerBelowMark,
    FTriggerNotPositive,
    FTriggerTooClose,
    FuturesError,
)
from . import matching as _matching
from . import placement as _placement
from . import positions as _positions
from .rows import OrderRow, PositionRow, TpslRow
from .views import FuturesPlaceRequest, Page, TpslOrder, TpslRequest

if TYPE_CHECKING:
    from .engine import Futures
    from .venue import Venue

__all__ = [
    "attach_from_order",
    "run_triggers",
    "tpsl_cancel",
    "tpsl_history",
    "tpsl_modify",
    "tpsl_pending",
    "tpsl_place",
]

_STOPS = {"MARK_PRICE": "MARK_PRICE", "MARK": "MARK_PRICE", "LAST_PRICE": "LAST_PRICE", "LAST": "LAST_PRICE"}


def _stop(v: str | None) -> str:
    s = _STOPS.get((v or "LAST_PRICE").upper())
    if s is None:
        raise FParameterError(f"stop type {v!r} is not MARK_PRICE or LAST_PRICE")
    return s


def _otype(v: str | None) -> str:
    s = (v or "MARKET").upper()
    if s not in ("LIMIT", "MARKET"):
        raise FParameterError(f"order type {v!r} is not LIMIT or MARKET")
    return s


def _position(f: Futures, account_id: str, symbol: str, position_id: str) -> tuple[Venue, PositionRow]:
    v = f._venue(symbol)
    p = f.positions.get(position_id or "")
    if p is None or p.account_id != account_id or p.symbol != v.c.symbol:
        raise FPositionNotExist(f"no open position {position_id!r} on {v.c.symbol}")
    return v, p


def _check_leg(f: Futures, v: Venue, p: PositionRow, leg: str, ticks: int, stop: str) -> None:
    """A trigger on the right side of the reference price (and of the liquidation price for an SL)."""
    check_direction(v, p.side == "LONG", leg, ticks, stop)
    long = p.side == "LONG"
    if leg == "SL":
        liq = _positions.liq_price(f, v, p, f._free(p.account_id) if p.margin_mode == "CROSS" else 0)
        price = f._dec_price(v, ticks)
        if liq > 0 and long and price <= liq:
            raise FSlBelowLiq(f"liquidation price {liq}")
        if liq > 0 and not long and price >= liq:
            raise FSlAboveLiq(f"liquidation price {liq}")


def check_direction(v: Venue, long: bool, leg: str, ticks: int, stop: str) -> None:
    """A trigger on the right side of the reference price for a long or short position."""
    ref = v.row.mark_ticks if stop == "MARK_PRICE" else v.row.last_ticks
    if ticks == ref:
        raise FTriggerTooClose(f"{leg} trigger equals the current {stop}")
    above = ticks > ref
    mark = stop == "MARK_PRICE"
    if leg == "TP":
        if long and not above:
            raise FTpTriggerBelowMark() if mark else FTpAboveLastRequired()
        if not long and above:
            raise FTpTriggerAboveMark() if mark else FTpBelowLastRequired()
    else:
        if long and above:
            raise FSlTriggerAboveMark() if mark else FSlBelowLastRequired()
        if not long and not above:
            raise FSlTriggerBelowMark() if mark else FSlAboveLastRequired()


def check_attached(f: Futures, v: Venue, long: bool, req: FuturesPlaceRequest) -> None:
    """place_order's attached TP/SL, refused as the TP/SL endpoints refuse (the position it will guard
    does not exist yet, so its liquidation price is checked when it attaches).

    A LIMIT order's legs are judged against the order's own price, the entry it asks for (30007-30010,
    the "average entry price" codes), not the current mark: the official demo's example buys at 60000
    with a TP at 61000 whatever the market stands at [L: the codes by message, the rule no source].
    A MARKET order opens near the market, so its legs are judged as the TP/SL endpoints judge them.
    """
    entry = f._ticks(v, req.price) if req.order_type.upper() == "LIMIT" and req.price is not None else None
    for leg, price, stop, otype, oprice in (
        ("TP", req.tp_price, req.tp_stop_type, req.tp_order_type, req.tp_order_price),
        ("SL", req.sl_price, req.sl_stop_type, req.sl_order_type, req.sl_order_price),
    ):
        if price is None:
            continue
        if not price.is_finite() or price <= 0:
            raise FTriggerNotPositive(f"{leg} trigger {price}")
        ticks = f._ticks(v, price, f"{leg} trigger price")
        st = _stop(stop)
        if _otype(otype) == "LIMIT":
            if oprice is None:
                raise FParameterError(f"{leg} order price is required for a LIMIT {leg}")
            f._ticks(v, oprice, f"{leg} order price")
        if entry is None:
            check_direction(v, long, leg, ticks, st)
        else:
            _check_against_entry(long, leg, ticks, entry)


def _check_against_entry(long: bool, leg: str, ticks: int, entry: int) -> None:
    """A leg on the profitable (TP) or protective (SL) side of the entry price of the order it rides."""
    if leg == "TP":
        if long and ticks <= entry:
            raise FTpBelowEntry("a long's TP at or below the order price")
        if not long and ticks >= entry:
            raise FTpAboveEntry("a short's TP at or above the order price")
    else:
        if long and ticks >= entry:
            raise FSlAboveEntry("a long's SL at or above the order price")
        if not long and ticks <= entry:
            raise FSlBelowEntry("a short's SL at or below the order price")


def _build(
    f: Futures, account_id: str, req: TpslRequest, kind: str, row: TpslRow | None = None, *, keep_type: bool = False
) -> TpslRow:
    """The TP/SL row ``req`` asks for; a position TP/SL closes at market unless ``keep_type`` (an order's
    attached TP/SL keeps its LIMIT child and price)."""
    v, p = _position(f, account_id, req.symbol, req.position_id)
    if req.tp_price is None and req.sl_price is None:
        raise FSelectTpOrSl()
    legs: dict[str, tuple[int, str, str, int, int]] = {}
    for leg, price, stop, otype, oprice, qty in (
        ("TP", req.tp_price, req.tp_stop_type, req.tp_order_type, req.tp_order_price, req.tp_qty),
        ("SL", req.sl_price, req.sl_stop_type, req.sl_order_type, req.sl_order_price, req.sl_qty),
    ):
        if price is None:
            legs[leg] = (0, "", "", 0, 0)
            continue
        if not price.is_finite() or price <= 0:
            raise FTriggerNotPositive(f"{leg} trigger {price}")
        ticks = f._ticks(v, price, f"{leg} trigger price")
        st = _stop(stop)
        ot = _otype(otype) if kind == "TPSL" or keep_type else "MARKET"
        oticks = 0
        if ot == "LIMIT":
            if oprice is None:
                raise FParameterError(f"{leg} order price is required for a LIMIT {leg}")
            oticks = f._ticks(v, oprice, f"{leg} order price")
        lots = 0
        if kind == "TPSL":
            if qty is None:
                raise FParameterError(f"{leg.lower()}Qty is required")
            lots = f._lots(v, qty)
            if lots > p.qty_lots:
                raise FTpslQtyAbovePosition(f"{qty} above the position's {f._dec_qty(v, p.qty_lots)}")
        _check_leg(f, v, p, leg, ticks, st)
        if oticks:
            _positions.check_close_price(f, v, p, oticks)  # the child closes p: not beyond its liq price
        legs[leg] = (ticks, st, ot, oticks, lots)
    now = f._now()
    tp, sl = legs["TP"], legs["SL"]
    if row is None:
        row = TpslRow(
            tpsl_id=f.ids.order_id(),
            account_id=account_id,
            symbol=v.c.symbol,
            position_id=p.position_id,
            kind=kind,
            tp_price_ticks=0,
            tp_stop_type="",
            tp_order_type="",
            tp_order_price_ticks=0,
            tp_lots=0,
            sl_price_ticks=0,
            sl_stop_type="",
            sl_order_type="",
            sl_order_price_ticks=0,
            sl_lots=0,
            status="NEW",
            ctime=now,
            mtime=now,
        )
    row.tp_price_ticks, row.tp_stop_type, row.tp_order_type, row.tp_order_price_ticks, row.tp_lots = tp
    row.sl_price_ticks, row.sl_stop_type, row.sl_order_type, row.sl_order_price_ticks, row.sl_lots = sl
    row.mtime = now
    return row


def tpsl_place(f: Futures, account_id: str, req: TpslRequest, *, position_level: bool) -> TpslOrder:
    """Place an order TP/SL (``tpQty``/``slQty``) or the position's TP/SL (replacing the old one)."""
    with f.lock:
        f._tick()
        row = _build(f, account_id, req, "POSITION_TPSL" if position_level else "TPSL")
        if position_level:
            for t in f.tpsl.values():
                if t.position_id == row.position_id and t.kind == "POSITION_TPSL" and t.status == "NEW":
                    t.status = "CANCELED"
                    t.mtime = row.mtime
        f.tpsl[row.tpsl_id] = row
        return view(f, row)


def _own(f: Futures, account_id: str, order_id: str) -> TpslRow:
    t = f.tpsl.get(order_id or "")
    if t is None or t.account_id != account_id:
        raise FOrderNotFound(f"no TP/SL order {order_id!r}")
    if t.status != "NEW":
        raise FAbnormalOrderStatus(f"TP/SL order {order_id} is {t.status}")
    return t


def tpsl_modify(f: Futures, account_id: str, order_id: str, req: TpslRequest) -> TpslOrder:
    """Replace the legs of a pending TP/SL (an omitted price deletes that leg)."""
    with f.lock:
        f._tick()
        t = _own(f, account_id, order_id)
        scratch = TpslRow(**{k: getattr(t, k) for k in TpslRow.__dataclass_fields__})
        req2 = TpslRequest(
            **{
                **{k: getattr(req, k) for k in TpslRequest.__dataclass_fields__},
                "symbol": t.symbol,
                "position_id": t.position_id,
            }
        )
        _build(f, account_id, req2, t.kind, scratch)  # validate on a copy first: all or nothing
        f.tpsl[t.tpsl_id] = scratch
        return view(f, scratch)


def tpsl_cancel(f: Futures, account_id: str, symbol: str, order_id: str) -> str:
    with f.lock:
        f._tick()
        v = f._venue(symbol)
        t = _own(f, account_id, order_id)
        if t.symbol != v.c.symbol:
            raise FOrderNotFound(f"TP/SL order {order_id} is not on {v.c.symbol}")
        t.status = "CANCELED"
        t.mtime = f._now()
        return t.tpsl_id


def tpsl_pending(
    f: Futures,
    account_id: str,
    symbol: str | None = None,
    position_id: str | None = None,
    skip: int = 0,
    limit: int = 10,
) -> list[TpslOrder]:
    with f.lock:
        f._tick()
        sym = f._venue(symbol).c.symbol if symbol else None
        rows = [
            t
            for t in reversed(f.tpsl.values())
            if t.account_id == account_id
            and t.status == "NEW"
            and (sym is None or t.symbol == sym)
            and (position_id is None or t.position_id == position_id)
        ]
        return [view(f, t) for t in rows[skip : skip + limit]]


def tpsl_history(
    f: Futures,
    account_id: str,
    symbol: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    skip: int = 0,
    limit: int = 10,
) -> Page[TpslOrder]:
    with f.lock:
        f._tick()
        sym = f._venue(symbol).c.symbol if symbol else None
        rows = [
            t
            for t in reversed(f.tpsl.values())
            if t.account_id == account_id
            and t.status != "NEW"
            and (sym is None or t.symbol == sym)
            and (start_ms is None or t.ctime >= start_ms)
            and (end_ms is None or t.ctime <= end_ms)
        ]
        return Page([view(f, t) for t in rows[skip : skip + limit]], len(rows))


def view(f: Futures, t: TpslRow) -> TpslOrder:
    v = f.venues[t.symbol]

    def price(ticks: int) -> Decimal | None:
        return f._dec_price(v, ticks) if ticks else None

    def qty(lots: int, leg_set: bool) -> Decimal | None:
        if not leg_set or t.kind == "POSITION_TPSL":
            return None
        return f._dec_qty(v, lots)

    return TpslOrder(
        id=t.tpsl_id,
        position_id=t.position_id,
        symbol=t.symbol,
        base=v.c.base,
        quote=v.c.quote,
        kind=t.kind,
        tp_price=price(t.tp_price_ticks),
        tp_stop_type=t.tp_stop_type,
        tp_order_type=t.tp_order_type,
        tp_order_price=price(t.tp_order_price_ticks),
        tp_qty=qty(t.tp_lots, bool(t.tp_price_ticks)),
        sl_price=price(t.sl_price_ticks),
        sl_stop_type=t.sl_stop_type,
        sl_order_type=t.sl_order_type,
        sl_order_price=price(t.sl_order_price_ticks),
        sl_qty=qty(t.sl_lots, bool(t.sl_price_ticks)),
        status=t.status,
        ctime=t.ctime,
        mtime=t.mtime,
        trigger_time=t.trigger_time,
    )


def attach_from_order(f: Futures, o: OrderRow, position_id: str) -> None:
    """An order's attached TP/SL becomes its position's TP/SL on the order's first fill [L]."""
    if not (o.tp_price or o.sl_price) or o.trade_side == "CLOSE" or o.reduce_only:
        return
    p = f.positions.get(position_id)
    if p is None:
        return
    req = TpslRequest(
        symbol=o.symbol,
        position_id=position_id,
        tp_price=Decimal(o.tp_price) if o.tp_price else None,
        tp_stop_type=o.tp_stop_type or None,
        sl_price=Decimal(o.sl_price) if o.sl_price else None,
        sl_stop_type=o.sl_stop_type or None,
        tp_order_type=o.tp_order_type or None,
        tp_order_price=Decimal(o.tp_order_price) if o.tp_order_price else None,
        sl_order_type=o.sl_order_type or None,
        sl_order_price=Decimal(o.sl_order_price) if o.sl_order_price else None,
    )
    try:
        row = _build(f, o.account_id, req, "POSITION_TPSL", keep_type=True)
    except FuturesError:
        return  # a TP/SL the new prices no longer allow is dropped, as its order has already traded
    for t in f.tpsl.values():
        if t.position_id == position_id and t.kind == "POSITION_TPSL" and t.status == "NEW":
            t.status = "CANCELED"
    f.tpsl[row.tpsl_id] = row


def _fires(v: Venue, p: PositionRow, ticks: int, stop: str, leg: str) -> bool:
    if not ticks:
        return False
    ref = v.row.mark_ticks if stop == "MARK_PRICE" else v.row.last_ticks
    up = (leg == "TP") == (p.side == "LONG")
    return ref >= ticks if up else ref <= ticks


def run_triggers(f: Futures, symbol: str) -> None:
    """Fire every pending TP/SL on ``symbol`` whose trigger the mark or last price has reached."""
    v = f.venues[symbol]
    for t in list(f.tpsl.values()):
        if t.symbol != symbol or t.status != "NEW":
            continue
        p = f.positions.get(t.position_id)
        if p is None:
            t.status = "SYSTEM_CANCELED"
            continue
        leg = ""
        if _fires(v, p, t.tp_price_ticks, t.tp_stop_type, "TP"):
            leg = "TP"
        elif _fires(v, p, t.sl_price_ticks, t.sl_stop_type, "SL"):
            leg = "SL"
        if not leg:
            continue
        t.status = "FILLED"
        t.trigger_time = t.mtime = f._now()
        lots = t.tp_lots if leg == "TP" else t.sl_lots
        otype = (t.tp_order_type if leg == "TP" else t.sl_order_type) or "MARKET"
        oticks = t.tp_order_price_ticks if leg == "TP" else t.sl_order_price_ticks
        lots = min(lots or p.qty_lots, p.qty_lots)
        req = FuturesPlaceRequest(
            symbol=symbol,
            side="BUY" if p.side == "LONG" else "SELL",
            qty=f._dec_qty(v, lots),
            order_type=otype,
            price=f._dec_price(v, oticks) if otype == "LIMIT" else None,
            trade_side="CLOSE",
            position_id=p.position_id,
        )
        try:
            row = _placement.validate(f, p.account_id, req)
            with f.ledger.atomic():
                _matching.submit(f, row)
        except FuturesError:
            t.status = "FAILED"
