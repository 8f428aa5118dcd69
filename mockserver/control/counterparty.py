"""A scripted counterparty: fills an account's resting orders after N polls, at a time, or now.

It trades like anyone else: for each target order it places an opposite limit
order at the target's price from a system account (funded by minting, which the
ledger audit counts as outside money), so fees, fills, statuses and balances
come out of the real matching engine. Orders resting ahead of the target at the
same or a better price fill first - price-time priority is not bent - so a
counter order that would trade with any of them is not placed at all: the target
is filled as asked, or nothing trades and the outcome says why. Whatever the
counterparty leaves unfilled is cancelled at once, so it never rests.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from ..engine import Exchange, Order, OrderType, PlaceRequest, Side
from ..engine.accounts import futures_wallet
from ..engine.futures import FuturesOrder, FuturesPlaceRequest, OrderQuery
from ..engine.liquidity import LIQUIDITY_ACCOUNT
from ..engine.money import floor_to_step, mul
from ..errors import BitunixError, PlaceRefusal
from ..futures_errors import FuturesError

__all__ = [
    "COUNTERPARTY_ACCOUNT",
    "FUTURES_POLL_OPERATIONS",
    "POLL_OPERATIONS",
    "Counterparty",
    "FillRefused",
    "Script",
]

COUNTERPARTY_ACCOUNT = "counterparty"

#: Signed reads a client uses to watch its orders: each one is a poll.
POLL_OPERATIONS = frozenset({"pending_list", "history_page", "order_detail", "deal_list", "account"})
#: The futures reads a client watches its orders and positions with: each one is a poll of a futures script.
FUTURES_POLL_OPERATIONS = frozenset(
    {
        "futures.trade_get_pending_orders",
        "futures.trade_get_history_orders",
        "futures.trade_get_order_detail",
        "futures.trade_get_history_trades",
        "futures.position_get_pending_positions",
        "futures.account",
    }
)
#: Open futures orders of one account a script may target at once (a page of the engine's pending orders).
_MAX_TARGETS = 10_000


class _Refused(Exception):
    """The counter order cannot fill the target (carries the reason); the savepoint puts everything back."""


class FillRefused(Exception):
    """An immediate fill that cannot fill what it names; nothing was traded. The message says why."""


@dataclass
class Script:
    """Fill ``fraction`` of the remaining volume of the account's matching open orders, once, when due."""

    account_id: str
    symbol: str | None = None
    order_id: str | None = None
    product: str = "spot"  # "futures": the account's futures orders, filled through the futures engine
    after_polls: int | None = None  # the Nth poll by the account is the first to see the fill
    at_ms: int | None = None  # or: the first request at or after this server time
    fraction: Decimal = Decimal(1)
    id: str = ""
    polls: int = 0
    done: bool = False
    result: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not Decimal(0) < self.fraction <= Decimal(1):
            raise ValueError("fraction must be in (0, 1]")
        if self.after_polls is not None and self.after_polls < 1:
            raise ValueError("after_polls counts from 1")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "product": self.product,
            "symbol": self.symbol,
            "order_id": self.order_id,
            "after_polls": self.after_polls,
            "at_ms": self.at_ms,
            "fraction": str(self.fraction),
            "polls": self.polls,
            "done": self.done,
            "fills": self.result,
        }


class Counterparty:
    """The scripts waiting to fire on one exchange."""

    def __init__(self) -> None:
        self.scripts: list[Script] = []
        self._ids = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return any(not s.done for s in self.scripts)

    def add(self, script: Script) -> Script:
        with self._lock:
            self._ids += 1
            script.id = f"script-{self._ids}"
            self.scripts.append(script)
            return script

    def clear(self) -> None:
        with self._lock:
            self.scripts.clear()

    def export_state(self) -> dict[str, Any]:
        """The scripts and the id counter as JSON (what a state directory keeps); :meth:`load_state` takes it back."""
        with self._lock:
            return {"ids": self._ids, "scripts": [{**asdict(s), "fraction": str(s.fraction)} for s in self.scripts]}

    def load_state(self, doc: dict[str, Any]) -> None:
        """Add the scripts of :meth:`export_state`'s document (each keeps its id) and take its id counter."""
        scripts = [Script(**{**s, "fraction": Decimal(s["fraction"])}) for s in doc["scripts"]]
        ids = int(doc["ids"])
        with self._lock:
            self.scripts.extend(scripts)
            self._ids = ids

    def on_request(self, exchange: Exchange, account_id: str | None, operation: str, now_ms: int) -> None:
        """Called before an accepted signed request is answered: count polls, fire what is due."""
        for s in self.scripts:
            if s.done:
                continue
            if s.after_polls is not None:
                polls = FUTURES_POLL_OPERATIONS if s.product == "futures" else POLL_OPERATIONS
                if account_id == s.account_id and operation in polls:
                    s.polls += 1
                if s.polls < s.after_polls:
                    continue
            if s.at_ms is not None and now_ms < s.at_ms:
                continue
            self.fire(exchange, s)

    def fire(self, exchange: Exchange, script: Script, *, all_or_nothing: bool = False) -> list[dict[str, Any]]:
        """Trade against the script's target orders now.

        A scheduled script records each target's outcome (a refused one with its reason). With
        ``all_or_nothing`` (an admin call that fills at once, whose caller waits for the answer) a
        target that cannot be filled, or a named order that is not open, raises FillRefused and
        leaves the exchange and the script as they were.
        """
        if script.product == "futures":
            query = OrderQuery(symbol=script.symbol, order_id=script.order_id, limit=_MAX_TARGETS)
            page = exchange.futures.pending_orders(script.account_id, query)
            ids = [o.order_id for o in reversed(page.items)]  # oldest first, as spot's

            def hit(order_id: str) -> dict[str, Any]:
                return _hit_futures(exchange, script.account_id, order_id, script.fraction)
        else:
            ids = [
                o.order_id
                for o in exchange.orders_of(script.account_id)
                if o.status.is_open
                and (script.symbol is None or o.symbol == script.symbol)
                and (script.order_id is None or o.order_id == script.order_id)
            ]

            def hit(order_id: str) -> dict[str, Any]:
                return self._hit(exchange, order_id, script.fraction)

        if not all_or_nothing:
            script.done = True
            script.result.extend(hit(t) for t in ids)
            return script.result
        if script.order_id is not None and not ids:
            where = f" on {script.symbol}" if script.symbol else ""
            what = "futures order" if script.product == "futures" else "order"
            raise FillRefused(f"order {script.order_id}: no open {what} with this id{where} for this api-key")
        with exchange.savepoint():
            outcomes = [hit(t) for t in ids]
            refused = [o["skipped"] for o in outcomes if "skipped" in o]
            if refused:
                raise FillRefused("; ".join(refused) + "; nothing was traded")
        script.done = True
        script.result.extend(outcomes)
        return script.result

    @staticmethod
    def _hit(exchange: Exchange, order_id: str, fraction: Decimal) -> dict[str, Any]:
        """Fill ``fraction`` of what the target has left, or nothing: the outcome reports the target only."""
        target = exchange.order_by_id(order_id)
        assert target is not None
        m = exchange.market(target.symbol)
        qty = floor_to_step(mul(target.left_volume, fraction), m.lot)
        outcome: dict[str, Any] = {"order_id": order_id, "volume": str(qty), "filled": "0"}
        if qty <= 0 or not target.status.is_open:
            outcome["skipped"] = f"order {order_id}: nothing left to fill at fraction {fraction}"
            return outcome
        ahead = _ahead_of(exchange, target)
        if ahead:
            outcome["skipped"] = _why_not(exchange, target.account_id, order_id, m.base, ahead)
            return outcome
        before = target.deal_volume
        side = Side.SELL if target.side is Side.BUY else Side.BUY
        spend_coin, spend = (m.base, qty) if side is Side.SELL else (m.quote, mul(qty, target.price))
        req = PlaceRequest(m.symbol, side, OrderType.LIMIT, qty, target.price)
        try:
            # A refused counter order must leave nothing behind: not the account, not the minted coins.
            with exchange.savepoint():
                if COUNTERPARTY_ACCOUNT not in exchange.accounts:
                    exchange.create_account(
                        account_id=COUNTERPARTY_ACCOUNT, api_key="", secret="", system=True, label="counterparty"
                    )
                exchange.fund(COUNTERPARTY_ACCOUNT, spend_coin, spend)
                try:
                    mine = exchange.place(COUNTERPARTY_ACCOUNT, req)
                except (BitunixError, PlaceRefusal) as refusal:
                    raise _Refused(f"order {order_id}: the market refused the counter order: {refusal}") from None
        except _Refused as refused:
            outcome["skipped"] = refused.args[0]
            return outcome
        if mine.status.is_open:
            exchange.cancel(COUNTERPARTY_ACCOUNT, mine.order_id)
        # What the counter order did not spend was minted for it alone: take it back out of the market.
        unspent = exchange.balances(COUNTERPARTY_ACCOUNT)[spend_coin].free
        if unspent > 0:
            exchange.fund(COUNTERPARTY_ACCOUNT, spend_coin, -unspent)
        after = exchange.order_by_id(order_id)
        assert after is not None
        outcome["counter_order_id"] = mine.order_id
        outcome["filled"] = str(after.deal_volume - before)
        outcome["status"] = after.status.name
        return outcome


def _ahead_of(exchange: Exchange, target: Order) -> list[Order]:
    """The orders a counter order at the target's price would meet first: better prices, then earlier at its own."""
    ahead: list[Order] = []
    for price, queue in exchange.venue(target.symbol).book.levels(target.side):
        if price != target.price and (price < target.price) == (target.side is Side.BUY):
            break  # past the target's price: worse than it
        for order in queue:
            if order.order_id == target.order_id:
                return ahead
            ahead.append(order)
    return ahead


def _why_not(exchange: Exchange, owner: str, order_id: str, base: str, ahead: list[Order]) -> str:
    """Why the target cannot be filled alone: whose orders rest ahead of it, and how much."""
    volume = sum((o.left_volume for o in ahead), Decimal(0))
    who: list[str] = []
    for account_id in dict.fromkeys(o.account_id for o in ahead):
        account = exchange.accounts.get(account_id)
        if account_id == LIQUIDITY_ACCOUNT:
            name = "the synthetic market maker"
        elif account_id == owner:
            name = "this api-key"
        elif account is not None and account.system:
            name = f"the {account.label or account_id} account"
        else:
            name = "other accounts"
        if name not in who:
            who.append(name)
    return (
        f"order {order_id}: {format(volume.normalize(), 'f')} {base} resting ahead of it at the same or a better "
        f"price would fill first (orders of {', '.join(who)}); clear the pair's book, or run without liquidity, "
        "to fill it"
    )


def _hit_futures(exchange: Exchange, account_id: str, order_id: str, fraction: Decimal) -> dict[str, Any]:
    """Fill ``fraction`` of what the futures order has left, or nothing: the outcome reports the target only.

    The counter order is immediate-or-cancel at the target's price, so it never rests; it is placed
    inside a savepoint, and when it traded with anything but the target (an order resting ahead at the
    same or a better price) the whole placement is put back and the outcome says why.
    """
    fut = exchange.futures
    target = fut.order_detail(account_id, order_id=order_id)
    c = fut.contract(target.symbol)
    qty = floor_to_step(mul(target.qty - target.trade_qty, fraction), c.lot)
    outcome: dict[str, Any] = {"order_id": order_id, "volume": _plain(qty), "filled": "0"}
    if qty <= 0 or target.price is None:
        outcome["skipped"] = f"order {order_id}: nothing left to fill at fraction {fraction}"
        return outcome
    side = "SELL" if target.side == "BUY" else "BUY"
    try:
        with exchange.savepoint():
            counter = FuturesPlaceRequest(c.symbol, side, qty, price=target.price, effect="IOC")
            mine = _counter_order(exchange, order_id, counter)
            after = fut.order_detail(account_id, order_id=order_id)
            moved = after.trade_qty - target.trade_qty
            if mine.trade_qty != moved:
                met = _plain(mine.trade_qty - moved)
                raise _Refused(
                    f"order {order_id}: other orders rest ahead of it at the same or a better price and would fill "
                    f"first (the counter order met {met} {c.base} of them); cancel them, or run without liquidity, "
                    "to fill it"
                )
    except _Refused as refused:
        outcome["skipped"] = refused.args[0]
        return outcome
    outcome["counter_order_id"] = mine.order_id
    outcome["filled"] = _plain(moved)
    outcome["status"] = after.status
    return outcome


def _counter_order(exchange: Exchange, order_id: str, req: FuturesPlaceRequest) -> FuturesOrder:
    """The counterparty's futures order ``req``, placed from a wallet minted for it and emptied after.

    It trades at the contract's lowest leverage, so the margin it holds is the whole position value and a
    mark move a test makes liquidates the test's position long before the counterparty's.
    """
    fut = exchange.futures
    c = fut.contract(req.symbol)
    if COUNTERPARTY_ACCOUNT not in exchange.accounts:
        exchange.create_account(
            account_id=COUNTERPARTY_ACCOUNT, api_key="", secret="", system=True, label="counterparty"
        )
    assert req.price is not None
    notional = mul(req.qty, req.price)
    # The margin at the lowest leverage plus the taker fee, with room to spare; what is not spent goes back.
    fut.fund(COUNTERPARTY_ACCOUNT, notional * 2 + 1)
    try:
        if fut.leverage_margin_mode(COUNTERPARTY_ACCOUNT, c.symbol).leverage != c.min_leverage:
            fut.change_leverage(COUNTERPARTY_ACCOUNT, c.symbol, c.min_leverage)
        mine = fut.place(COUNTERPARTY_ACCOUNT, req)
    except FuturesError as refusal:
        raise _Refused(f"order {order_id}: the market refused the counter order: {refusal}") from None
    unspent = exchange.balances(futures_wallet(COUNTERPARTY_ACCOUNT))["USDT"].free
    if unspent > 0:
        fut.fund(COUNTERPARTY_ACCOUNT, -unspent)
    return mine


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d else "0"
