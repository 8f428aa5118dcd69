"""The futures operations of the adapter protocol: names, arguments, value shapes, and the two implementations.

A client may implement spot, futures or both; it says which through ``products`` (an attribute or
method of a Python adapter, an optional driver op answering e.g. ``["spot", "futures"]``; absent:
spot only). The kit runs the rules of the products a client declares and reports the others
``n/a``. Values are plain JSON, as for spot:

* amounts, prices and quantities are decimal **strings**; enumerations are the API's words
  (``side`` ``"BUY"``/``"SELL"``, ``order_type`` ``"LIMIT"``/``"MARKET"``, ``trade_side``
  ``"OPEN"``/``"CLOSE"`` or null, order ``status`` ``"NEW"``, ``"FILLED"``, ...);
* a position's ``side`` is its direction, ``"LONG"`` or ``"SHORT"``, whatever the wire says
  (live ``BUY``/``SELL``, the docs ``LONG``/``SHORT``);
* a page is ``{"total": int, <rows>: [...]}``; ``total`` is a number however the exchange wrote it;
* an exchange error is raised as :class:`ClientError` with the futures code as a string (``"20003"``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from .outcomes import ClientError

__all__ = ["FUTURES_OPERATIONS", "PRODUCTS", "DriverFutures", "FuturesAdapter", "ReferenceFutures", "products_of"]

#: The products a client may implement.
PRODUCTS = ("spot", "futures")

#: The futures operations, with their argument names (a driver's ``args`` keys).
FUTURES_OPERATIONS: dict[str, tuple[str, ...]] = {
    "futures_account": ("margin_coin",),
    "futures_leverage_margin_mode": ("symbol",),
    "futures_change_leverage": ("symbol", "leverage"),
    "futures_change_margin_mode": ("symbol", "margin_mode"),
    "futures_change_position_mode": ("position_mode",),
    "futures_place_order": (
        "symbol",
        "side",
        "order_type",
        "qty",
        "price",
        "trade_side",
        "position_id",
        "reduce_only",
        "client_id",
    ),
    "futures_cancel_orders": ("symbol", "order_ids"),
    "futures_order_detail": ("order_id",),
    "futures_pending_orders": ("symbol", "skip", "limit"),
    "futures_history_orders": ("symbol", "skip", "limit"),
    "futures_history_trades": ("symbol", "skip", "limit"),
    "futures_pending_positions": ("symbol",),
    "futures_history_positions": ("symbol", "skip", "limit"),
    "futures_flash_close": ("position_id",),
}


@runtime_checkable
class FuturesAdapter(Protocol):
    """The futures half of an adapter (a Python adapter of a futures client implements these and declares
    ``products`` including ``"futures"``); see the module docstring for the value shapes."""

    def futures_account(self, margin_coin: str = "USDT") -> dict[str, Any]: ...
    def futures_leverage_margin_mode(self, symbol: str) -> dict[str, Any]: ...
    def futures_change_leverage(self, symbol: str, leverage: int) -> None: ...
    def futures_change_margin_mode(self, symbol: str, margin_mode: str) -> None: ...
    def futures_change_position_mode(self, position_mode: str) -> None: ...
    def futures_place_order(
        self,
        symbol: str,
        side: str,
        order_type: str,
        qty: str,
        price: str | None,
        trade_side: str | None,
        position_id: str | None,
        reduce_only: bool | None,
        client_id: str | None,
    ) -> dict[str, Any]: ...
    def futures_cancel_orders(self, symbol: str, order_ids: list[str]) -> dict[str, Any]: ...
    def futures_order_detail(self, order_id: str) -> dict[str, Any]: ...
    def futures_pending_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]: ...
    def futures_history_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]: ...
    def futures_history_trades(self, symbol: str, skip: int, limit: int) -> dict[str, Any]: ...
    def futures_pending_positions(self, symbol: str) -> list[dict[str, Any]]: ...
    def futures_history_positions(self, symbol: str, skip: int, limit: int) -> dict[str, Any]: ...
    def futures_flash_close(self, position_id: str) -> None: ...


def products_of(adapter: Any) -> tuple[str, ...]:
    """What ``adapter`` declares it implements (``products``: attribute or method); spot when it says nothing."""
    declared = getattr(adapter, "products", None)
    if callable(declared):
        declared = declared()
    if not declared:
        return ("spot",)
    return tuple(p for p in PRODUCTS if p in declared)


def _d(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


def _e(v: Any) -> str | None:
    return None if v is None else str(v)


def _order(o: Any) -> dict[str, Any]:
    return {
        "order_id": o.order_id,
        "client_id": o.client_id,
        "symbol": o.symbol,
        "side": str(o.side),
        "order_type": str(o.order_type),
        "status": str(o.status),
        "qty": _d(o.qty),
        "trade_qty": _d(o.trade_qty),
        "price": _d(o.price),
        "reduce_only": bool(o.reduce_only),
        "position_mode": _e(o.position_mode),
    }


def _trade(t: Any) -> dict[str, Any]:
    return {
        "trade_id": t.trade_id,
        "order_id": t.order_id,
        "symbol": t.symbol,
        "side": str(t.side),
        "qty": _d(t.qty),
        "price": _d(t.price),
        "reduce_only": bool(t.reduce_only),
    }


def _position(p: Any) -> dict[str, Any]:
    return {
        "position_id": p.position_id,
        "symbol": p.symbol,
        "side": str(p.side),
        "qty": _d(p.qty),
        "leverage": p.leverage,
        "margin_mode": _e(p.margin_mode),
    }


def _closed(p: Any) -> dict[str, Any]:
    return {"position_id": p.position_id, "symbol": p.symbol, "side": str(p.side), "max_qty": _d(p.max_qty)}


class ReferenceFutures:
    """The futures operations through ``client_ref.futures.FuturesClient`` (``self.futures``)."""

    futures: Any
    _run: Callable[[Callable[[], Any]], Any]

    def futures_account(self, margin_coin: str = "USDT") -> dict[str, Any]:
        a = self._run(lambda: self.futures.account(margin_coin))
        return {
            "margin_coin": a.margin_coin,
            "available": _d(a.available),
            "frozen": _d(a.frozen),
            "margin": _d(a.margin),
            "cross_unrealized_pnl": _d(a.cross_unrealized_pnl),
            "isolation_unrealized_pnl": _d(a.isolation_unrealized_pnl),
            "position_mode": _e(a.position_mode),
        }

    def futures_leverage_margin_mode(self, symbol: str) -> dict[str, Any]:
        r = self._run(lambda: self.futures.leverage_margin_mode(symbol))
        return {"leverage": r.leverage, "margin_mode": str(r.margin_mode)}

    def futures_change_leverage(self, symbol: str, leverage: int) -> None:
        self._run(lambda: self.futures.change_leverage(symbol, leverage))

    def futures_change_margin_mode(self, symbol: str, margin_mode: str) -> None:
        from client_ref.futures import MarginMode

        self._run(lambda: self.futures.change_margin_mode(symbol, MarginMode(margin_mode)))

    def futures_change_position_mode(self, position_mode: str) -> None:
        from client_ref.futures import PositionMode

        self._run(lambda: self.futures.change_position_mode(PositionMode(position_mode)))

    def futures_place_order(
        self,
        symbol: str,
        side: str,
        order_type: str,
        qty: str,
        price: str | None,
        trade_side: str | None,
        position_id: str | None,
        reduce_only: bool | None,
        client_id: str | None,
    ) -> dict[str, Any]:
        from client_ref.futures import OrderType, Side, TradeSide

        r = self._run(
            lambda: self.futures.place_order(
                symbol,
                Side(side),
                OrderType(order_type),
                qty,
                price,
                trade_side=None if trade_side is None else TradeSide(trade_side),
                position_id=position_id,
                reduce_only=reduce_only,
                client_id=client_id,
            )
        )
        return {"order_id": r.order_id, "client_id": r.client_id}

    def futures_cancel_orders(self, symbol: str, order_ids: list[str]) -> dict[str, Any]:
        r = self._run(lambda: self.futures.cancel_orders(symbol, order_ids))
        return {
            "successes": [s.order_id for s in r.successes],
            "failures": [{"order_id": f.order_id, "code": f.error_code} for f in r.failures],
        }

    def futures_order_detail(self, order_id: str) -> dict[str, Any]:
        return _order(self._run(lambda: self.futures.order_detail(order_id)))

    def futures_pending_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        p = self._run(lambda: self.futures.pending_orders(symbol, skip=skip, limit=limit))
        return {"total": p.total, "orders": [_order(o) for o in p.orders]}

    def futures_history_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        p = self._run(lambda: self.futures.history_orders(symbol, skip=skip, limit=limit))
        return {"total": p.total, "orders": [_order(o) for o in p.orders]}

    def futures_history_trades(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        p = self._run(lambda: self.futures.history_trades(symbol, skip=skip, limit=limit))
        return {"total": p.total, "trades": [_trade(t) for t in p.trades]}

    def futures_pending_positions(self, symbol: str) -> list[dict[str, Any]]:
        return [_position(p) for p in self._run(lambda: self.futures.pending_positions(symbol))]

    def futures_history_positions(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        p = self._run(lambda: self.futures.history_positions(symbol, skip=skip, limit=limit))
        return {"total": p.total, "positions": [_closed(x) for x in p.positions]}

    def futures_flash_close(self, position_id: str) -> None:
        self._run(lambda: self.futures.flash_close_position(position_id))


class DriverFutures:
    """The futures operations as JSON lines (``self.request(op, args)``); ``products`` asks the driver."""

    request: Callable[[str, dict[str, Any]], Any]

    def products(self) -> tuple[str, ...]:
        try:
            answer = self.request("products", {})
        except ClientError as err:
            if err.code == "unsupported":
                return ("spot",)
            raise
        return tuple(p for p in PRODUCTS if p in (answer or ()))

    def _op(self, op: str, *values: Any) -> Any:
        return self.request(op, dict(zip(FUTURES_OPERATIONS[op], values, strict=True)))

    def futures_account(self, margin_coin: str = "USDT") -> dict[str, Any]:
        return dict(self._op("futures_account", margin_coin))

    def futures_leverage_margin_mode(self, symbol: str) -> dict[str, Any]:
        return dict(self._op("futures_leverage_margin_mode", symbol))

    def futures_change_leverage(self, symbol: str, leverage: int) -> None:
        self._op("futures_change_leverage", symbol, leverage)

    def futures_change_margin_mode(self, symbol: str, margin_mode: str) -> None:
        self._op("futures_change_margin_mode", symbol, margin_mode)

    def futures_change_position_mode(self, position_mode: str) -> None:
        self._op("futures_change_position_mode", position_mode)

    def futures_place_order(
        self,
        symbol: str,
        side: str,
        order_type: str,
        qty: str,
        price: str | None,
        trade_side: str | None,
        position_id: str | None,
        reduce_only: bool | None,
        client_id: str | None,
    ) -> dict[str, Any]:
        args = (symbol, side, order_type, qty, price, trade_side, position_id, reduce_only, client_id)
        return dict(self._op("futures_place_order", *args))

    def futures_cancel_orders(self, symbol: str, order_ids: list[str]) -> dict[str, Any]:
        return dict(self._op("futures_cancel_orders", symbol, order_ids))

    def futures_order_detail(self, order_id: str) -> dict[str, Any]:
        return dict(self._op("futures_order_detail", order_id))

    def futures_pending_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return dict(self._op("futures_pending_orders", symbol, skip, limit))

    def futures_history_orders(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return dict(self._op("futures_history_orders", symbol, skip, limit))

    def futures_history_trades(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return dict(self._op("futures_history_trades", symbol, skip, limit))

    def futures_pending_positions(self, symbol: str) -> list[dict[str, Any]]:
        return list(self._op("futures_pending_positions", symbol))

    def futures_history_positions(self, symbol: str, skip: int, limit: int) -> dict[str, Any]:
        return dict(self._op("futures_history_positions", symbol, skip, limit))

    def futures_flash_close(self, position_id: str) -> None:
        self._op("futures_flash_close", position_id)
