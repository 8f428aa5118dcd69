"""The spot order lifecycle of one market: rule checks, then plan every trade, then apply them all.

One :class:`Matcher` per :class:`~mockserver.engine.venue.Venue`. A placement is all-or-nothing by
construction, not by undo: the pair's rules, the price band and the balance are checked first,
every trade (each leg's transfers and fees) is planned and checked against the current state by
:meth:`Matcher.plan`, and only then does :meth:`Matcher.apply` move money - money the plan proved
is there. What is left is settled by :meth:`Matcher.settle_remainder`: a limit order rests, a
market order ends.

# Performance

Every placement runs through this module, so three things are done once here rather than per call:

* The enum members the matcher reads (``Side.BUY``, ``OrderType.LIMIT``, the statuses and roles)
  are bound to module constants (``_BUY``, ``_LIMIT``, ...). Reading a member through its enum
  class goes through the enum metaclass (about 0.1 us each on Python 3.11, some ten per resting
  placement); a module global is a dictionary read. They are the same objects, so ``is`` holds.
* :func:`finite_and_bounded` returns the figure in grid units: a figure that converts exactly has
  no more decimals than the grid's places, so the costly decimals check (``as_tuple``) runs only
  for a figure that does not convert (or is zero), and :meth:`Matcher.to_grid` converts each
  Decimal once instead of checking it and converting it again.
* The trade tape and the last price are Decimal, and a pair trades at a few recurring prices and
  sizes, so :func:`_tape_decimal` (``dec`` behind a bounded cache) hands out one object per
  figure. Decimal is immutable, so sharing is safe, and the venue's price band, cached by the last
  price's identity, stays warm from one trade to the next instead of being recomputed. The fill
  loop in :meth:`Matcher._settle_trades` reads the ledger, the store, the grid's figures and the
  id generator's method into locals before the loop.

The matcher holds the market's logic, not the exchange's state: the ledger, the order store,
the id counters and the clock are the exchange's, reached through it. A second product (futures,
with positions and margin) adds a matcher of its own beside this one; the exchange routes each
order to the matcher of its market.
"""

from __future__ import annotations

import functools
from decimal import Decimal, Inexact
from typing import TYPE_CHECKING, NoReturn

from ..errors import (
    MarketClosed,
    MaxAmountExceeded,
    MinAmountNotMet,
    MinVolumeNotMet,
    ParameterError,
    PriceOutsideBand,
    PricePrecisionError,
    VolumePrecisionError,
)
from .accounts import Account, LedgerError
from .money import MAX_DECIMALS, MAX_INTEGER_DIGITS, dec, units
from .orders import Order, OrderStatus, OrderType, Role, Side
from .venue import Venue

if TYPE_CHECKING:
    from .exchange import Exchange

_tape_decimal = functools.lru_cache(maxsize=4096)(dec)
_BUY, _SELL = Side.BUY, Side.SELL
_LIMIT = OrderType.LIMIT
_NEW, _FILLED, _PARTLY = OrderStatus.NEW, OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED
_CANCELED, _PARTLY_CANCELED = OrderStatus.CANCELED, OrderStatus.PARTIALLY_CANCELED
_MAKER, _TAKER = Role.MAKER, Role.TAKER

__all__ = ["FEE_ACCOUNT", "Leg", "Matcher"]

#: The system account every trading fee is paid to.
FEE_ACCOUNT = "fees"


class Leg:
    """One planned trade of the taker against ``maker``: price ticks, lots, quote units, and each side's fee.

    The fees are at the ledger's scale; the taker pays the taker rate on what it receives, the maker the maker rate.
    """

    __slots__ = ("amount", "buyer_fee", "lots", "maker", "seller_fee", "ticks")

    def __init__(self, maker: Order, ticks: int, lots: int, amount: int, buyer_fee: int, seller_fee: int) -> None:
        self.maker = maker
        self.ticks = ticks
        self.lots = lots
        self.amount = amount
        self.buyer_fee = buyer_fee
        self.seller_fee = seller_fee


class _Plan:
    """A placement being planned: the taker's running figures (in its integer units) and the trades found so far."""

    __slots__ = ("buy", "buyer_fee", "deal", "legs", "locked", "seller_fee")

    def __init__(self, taker: Order, venue: Venue) -> None:
        self.buy = buy = taker.side is _BUY
        self.locked = taker.locked_units
        self.deal = 0
        self.legs: list[Leg] = []
        if buy:
            self.buyer_fee, self.seller_fee = venue.taker_base_fee, venue.maker_quote_fee
        else:
            self.buyer_fee, self.seller_fee = venue.maker_base_fee, venue.taker_quote_fee


def finite_and_bounded(value: Decimal, what: str, places: int) -> int | None:
    """Refuse what no market takes before any arithmetic: NaN, infinities, huge or finer-than-any-grid figures.

    Returns ``value`` in units of 10**-``places`` (``places`` at most ``MAX_DECIMALS``), or ``None``
    when it has more decimals than that.
    """
    if not value.is_finite():
        raise ParameterError(f"{what} must be a finite number, not {value}")
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ParameterError(f"{what} has more than {MAX_INTEGER_DIGITS} integer digits")
    try:
        n = units(value, places)
    except Inexact:  # more digits than the context holds: far finer than any grid
        n = None
    if n:
        return n  # on the grid, so no finer than MAX_DECIMALS (see Performance above)
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_DECIMALS:
        zeros = len(digits) - len(bytes(digits).rstrip(b"\x00"))  # trailing zeros are not decimals
        if exponent + zeros < -MAX_DECIMALS:
            raise ParameterError(f"{what} has more than {MAX_DECIMALS} decimals")
    return n


class Matcher:
    """Places orders on one spot market: its rules, its price band, matching and settlement."""

    __slots__ = ("exchange", "venue")

    def __init__(self, venue: Venue, exchange: Exchange) -> None:
        self.venue = venue
        self.exchange = exchange

    # ------------------------------------------------------------ the request's figures

    def to_grid(self, side: Side, type_: OrderType, vol: Decimal, price: Decimal | None) -> tuple[int, int]:
        """The Decimal edge: (price ticks, quantity) for the integer rules, or the request's error.

        The quantity is lots, except for a market buy: its quote amount at 10**-(qp+bp).
        Checked in the order the exchange reports them: signs, then decimals.
        """
        m = self.venue.market
        limit = type_ is _LIMIT
        market_buy = not limit and side is _BUY
        # A market buy's volume is the quote amount to spend, on the tick grid.
        qty = finite_and_bounded(vol, "volume", m.quote_precision if market_buy else m.base_precision)
        if vol <= 0:
            raise ParameterError("volume must be greater than 0")
        if limit:
            ticks = None if price is None else finite_and_bounded(price, "price", m.quote_precision)
            if price is None or price <= 0:
                raise ParameterError("price must be greater than 0 for a limit order")
            if ticks is None:
                why = f"price has more than {m.quote_precision} decimals"
                if self.exchange.price_precision_code == "10059":
                    raise PricePrecisionError(why)
                raise ParameterError(why)
            if qty is None:
                raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
            return ticks, qty
        if market_buy:
            if qty is None:
                raise VolumePrecisionError(f"quote amount has more than {m.quote_precision} decimals")
            # On the tick grid, so on the finer amount grid.
            return 0, qty * 10 ** (self.venue.grid.amount_scale - m.quote_precision)
        if qty is None:
            raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
        return 0, qty

    def check_rules(self, side: Side, type_: OrderType, ticks: int, qty: int) -> tuple[int, int, int]:
        """Return (amount to lock in the order's lock units, base lots, quote amount at 10**-(qp+bp)) or raise.

        All in integers; Decimal is built only for a refusal's message.
        """
        venue, m = self.venue, self.venue.market
        amount_scale = venue.grid.amount_scale
        buy = side is _BUY
        if qty <= 0:
            raise ParameterError("volume must be greater than 0")
        if type_ is _LIMIT:
            if ticks <= 0:
                raise ParameterError("price must be greater than 0 for a limit order")
            if qty < venue.min_lots:
                raise MinVolumeNotMet(f"volume {dec(qty, m.base_precision)} < minVolume {m.min_volume}")
            amount = ticks * qty
            if amount < venue.min_units:
                raise MinAmountNotMet(f"price*volume {dec(amount, amount_scale)} < minPrice {m.min_amount}")
            if amount > venue.max_units:
                raise MaxAmountExceeded(f"price*volume {dec(amount, amount_scale)} > maxAmount {m.max_amount}")
            if self.exchange.price_band != "off":
                low, high = venue.band_ticks()
                if (ticks < low) if buy else (ticks > high):
                    self.refuse_band(buy, ticks)
            if buy:
                return amount, qty, amount
            return qty, qty, amount
        if buy:
            # A market buy's quantity is the quote amount to spend.
            if qty < venue.min_units:
                raise MinAmountNotMet(f"amount {dec(qty, amount_scale)} < minPrice {m.min_amount}")
            if qty > venue.max_units:
                raise MaxAmountExceeded(f"amount {dec(qty, amount_scale)} > maxAmount {m.max_amount}")
            return qty, 0, qty
        if qty < venue.min_lots:
            raise MinVolumeNotMet(f"volume {dec(qty, m.base_precision)} < minVolume {m.min_volume}")
        return qty, qty, 0

    def refuse_band(self, buy: bool, ticks: int) -> NoReturn:
        """Refuse a limit buy (``buy``) or sell price outside the pair's band around the last price.

        The refusal's shape is a switch (``price_band``: placecode or error).
        """
        venue = self.venue
        m = venue.market
        floor, ceiling = venue.band()
        price = dec(ticks, m.quote_precision)
        last = venue.last_price
        if buy:
            rule = f"buy price {price} below {floor} = last {last} x (1 + minBuyPriceOffset {m.min_buy_price_offset})"
        else:
            rule = (
                f"sell price {price} above {ceiling} = last {last} x (1 + maxSellPriceOffset {m.max_sell_price_offset})"
            )
        if self.exchange.price_band == "error":
            raise ParameterError(rule)
        raise PriceOutsideBand(rule)

    # ------------------------------------------------------------ placement

    def place(self, acct: Account, side: Side, type_: OrderType, ticks: int, qty: int, client_id: str | None) -> Order:
        """The one placement path: check the rules and the balance, plan every trade, then apply them all."""
        venue = self.venue
        ex = self.exchange
        lock_units, lots, quote_units = self.check_rules(side, type_, ticks, qty)
        if not venue.market.is_open:
            raise MarketClosed(venue.symbol)
        grid = venue.grid
        buy = side is _BUY
        # A buy locks quote (price x volume, or a market buy's budget), a sell its lots; the fee comes out of
        # what it receives.
        lock_coin, fee_coin = (grid.quote, grid.base) if buy else (grid.base, grid.quote)
        lock_amount = lock_units * (grid.amount_s if buy else grid.lot_s)  # at the ledger's scale
        now = ex.clock.now_ms()
        order = Order(
            order_id="",  # given when applied: a refused order spends no id
            account_id=acct.account_id,
            uid=acct.uid,
            grid=grid,
            side=side,
            type=type_,
            price_ticks=ticks,
            volume_lots=lots,
            quote_units=quote_units,
            client_id=client_id,
            ctime=now,
            seq=0,
            fee_coin=fee_coin,
            locked_units=lock_units,
            symbol=grid.symbol,
            utime=now,
        )
        legs, satisfied = self.plan(order)
        # Nothing has changed so far; the lock (apply's first step) is the balance check, and refuses
        # (InsufficientBalance) before it changes anything; every later move was proved possible by the plan.
        self.apply(order, legs, satisfied, lock_coin, lock_amount, now)
        if legs:
            # After the placement is applied: a listener's own placements are placements of their own.
            for listener in venue.after_trade:
                listener(ex, venue.symbol)
            for listener in ex.after_match:
                listener(ex, venue.symbol)
        return order

    def plan(self, taker: Order) -> tuple[list[Leg], bool]:
        """Find the trades ``taker`` makes against the opposite side, best price first, oldest first.

        Returns the trades' legs and whether the taker is satisfied - a market order that
        stops because the book ran dry is not. Every leg is checked here; nothing is applied.
        """
        buy = taker.side is _BUY
        limit = taker.type is _LIMIT
        limit_price = taker.price_ticks
        book = self.venue.book
        best = book.best_ask if buy else book.best_bid
        if best is None or (limit and (best > limit_price if buy else best < limit_price)):
            return [], False  # nothing to take: the common case of an order that rests
        opposite = _SELL if buy else _BUY
        plan = _Plan(taker, self.venue)
        market_buy = buy and not limit
        volume = taker.volume_lots
        satisfied = False
        for price, level in book.queues(opposite):
            if limit and (price > limit_price if buy else price < limit_price):
                break
            for maker in level.values():
                wanted = plan.locked // price if market_buy else volume - plan.deal
                if wanted <= 0:
                    satisfied = True
                    break
                maker_left = maker.volume_lots - maker.deal_lots
                if wanted < maker_left:
                    # The taker is spent at this price (nothing it could still want fills a lot).
                    self.trade(plan, maker, price, wanted)
                    satisfied = True
                    break
                self.trade(plan, maker, price, maker_left)
            if satisfied:
                break
        if (market_buy and plan.legs and not plan.locked) or (not market_buy and plan.deal == volume):
            satisfied = True
        return plan.legs, satisfied

    def trade(self, plan: _Plan, maker: Order, price: int, qty: int) -> None:
        """Plan one trade of ``qty`` lots at ``price`` ticks: compute and check its legs (nothing is applied here)."""
        grid = self.venue.grid
        amount = price * qty
        if plan.buy:
            buyer_locked, seller_locked = plan.locked, maker.locked_units
            plan.locked -= amount
        else:
            buyer_locked, seller_locked = maker.locked_units, plan.locked
            plan.locked -= qty
        if buyer_locked < amount or seller_locked < qty or qty <= 0:
            raise LedgerError(
                f"trade {qty} lots @ {price} ticks beyond the orders' locks ({buyer_locked}, {seller_locked})"
            )
        buyer_fee, seller_fee = qty * plan.buyer_fee, amount * plan.seller_fee
        if buyer_fee > qty * grid.lot_s or seller_fee > amount * grid.amount_s:
            raise LedgerError(f"trade {qty} lots @ {price} ticks: a fee above what its side receives")
        plan.deal += qty
        plan.legs.append(Leg(maker, price, qty, amount, buyer_fee, seller_fee))

    def apply(self, order: Order, legs: list[Leg], satisfied: bool, lock_coin: str, lock_amount: int, now: int) -> None:
        """Lock, number and store the order, settle each planned trade, then settle what is left."""
        ex = self.exchange
        ex._ledger.lock_units(order.account_id, lock_coin, lock_amount)
        ex._seq += 1  # time priority across the book
        order.seq = ex._seq
        order.order_id = ex.ids.order_id()
        ex._store.add(order)
        if legs:
            self._settle_trades(order, legs, now)
        self.settle_remainder(order, satisfied)

    def _settle_trades(self, order: Order, legs: list[Leg], now: int) -> None:
        """Each planned trade: the ledger's transfers and fees, both orders' figures, two fills, the tape."""
        ex, venue = self.exchange, self.venue
        settle, add_fill, next_trade_id = ex._ledger.settle_units, ex._store.add_fill, ex.ids.trade_id
        grid = venue.grid
        base, quote, symbol, lot_s, amount_s, qp, bp = (
            grid.base,
            grid.quote,
            grid.symbol,
            grid.lot_s,
            grid.amount_s,
            grid.qp,
            grid.bp,
        )
        book, traded_at, record = venue.book, venue.traded_at, venue.tape.record
        taker_buys = order.side is _BUY
        buyer_role, seller_role = (_TAKER, _MAKER) if taker_buys else (_MAKER, _TAKER)
        for leg in legs:
            maker = leg.maker
            buyer, seller = (order, maker) if taker_buys else (maker, order)
            settle(
                buyer.account_id,
                seller.account_id,
                base,
                quote,
                leg.lots * lot_s,
                leg.amount * amount_s,
                leg.buyer_fee,
                leg.seller_fee,
                FEE_ACCOUNT,
            )
            buyer.locked_units -= leg.amount
            seller.locked_units -= leg.lots
            trade_id = next_trade_id()
            for party, side, role, fee in (
                (buyer, _BUY, buyer_role, leg.buyer_fee),
                (seller, _SELL, seller_role, leg.seller_fee),
            ):
                party.deal_lots += leg.lots
                party.deal_units += leg.amount
                party.fee_units += fee
                party.utime = now
                # The fill's row: Fill's fields in their order (see the order store).
                add_fill(
                    (
                        trade_id,
                        party.order_id,
                        party.account_id,
                        symbol,
                        side,
                        leg.ticks,
                        leg.lots,
                        leg.amount,
                        fee,
                        party.fee_coin,
                        role,
                        now,
                        grid,
                    )
                )
            if maker.deal_lots == maker.volume_lots:
                maker.status = _FILLED
                self._release(maker)  # a resting buy locks exactly price * left; nothing should remain
                book.remove(maker)
            else:
                maker.status = _PARTLY
            price = _tape_decimal(leg.ticks, qp)
            traded_at(price, leg.ticks)
            record(now, price, _tape_decimal(leg.lots, bp))

    def settle_remainder(self, order: Order, satisfied: bool) -> None:
        """After matching: rest a limit order's remainder, end a market order."""
        if order.type is _LIMIT:
            left = order.volume_lots - order.deal_lots
            if left == 0:
                order.status = _FILLED
                self._release(order)  # a buy that filled below its limit price
                return
            if order.side is _BUY:
                # Price improvement on the taking part frees the excess now, so a
                # resting buy always locks exactly price * left.
                excess = order.locked_units - order.price_ticks * left
                if excess:
                    self.exchange._ledger.unlock_units(order.account_id, order.quote, excess * order.grid.amount_s)
                    order.locked_units -= excess
            order.status = _PARTLY if order.deal_lots else _NEW
            self.venue.book.add(order)
            return
        # Market orders never rest: what could not be filled is released.
        if order.side is _BUY:
            order.volume_lots = order.deal_lots
        self._release(order)
        if order.deal_lots and satisfied:
            order.status = _FILLED
        elif order.deal_lots:
            order.status = _PARTLY_CANCELED
        else:
            order.status = _CANCELED

    def cancel(self, order: Order, now: int) -> None:
        """Take an open order off the book and give back what it locks."""
        self._release(order)  # the unlock checks before it moves anything and is the only step that can fail
        self.venue.book.remove(order)
        order.status = _PARTLY_CANCELED if order.deal_lots else _CANCELED
        order.utime = now

    def _release(self, order: Order) -> None:
        """Unlock whatever the order still locks: quote for a buy, base for a sell."""
        locked = order.locked_units
        if locked:
            g = order.grid
            coin, n = (g.quote, locked * g.amount_s) if order.side is _BUY else (g.base, locked * g.lot_s)
            self.exchange._ledger.unlock_units(order.account_id, coin, n)
            order.locked_units = 0
