"""The exchange: accounts, books, matching, settlement and the queries on them.

Pure Python, no HTTP. Every public method takes the exchange lock, so the
engine is safe to drive from several threads (the HTTP layer calls it from one
event loop, where each call is already atomic).
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..clock import Clock
from ..errors import (
    InsufficientBalance,
    MarketClosed,
    MaxAmountExceeded,
    MinAmountNotMet,
    MinVolumeNotMet,
    ParameterError,
    PlaceRefusal,
    PriceOutsideBand,
    PricePrecisionError,
    VolumePrecisionError,
)
from .accounts import ALL_PERMISSIONS, Account, Balance, Ledger, LedgerError
from .book import OrderBook
from .marketdata import TradeTape
from .markets import Market, MarketRegistry
from .money import ZERO, add, ceil_to_step, decimals_of, div_down, floor_to_step, mul, sub
from .orders import Fill, Order, OrderStatus, OrderType, PlaceRequest, Role, Side

__all__ = ["FEE_ACCOUNT", "Exchange", "HistoryQuery", "IdGenerator"]

FEE_ACCOUNT = "fees"


class IdGenerator:
    """Deterministic ids for a given seed: 19-digit order ids, like the exchange's."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._order = 1_900_000_000_000_000_000 + rng.randrange(10**15)
        self._trade = 880_000_000_000 + rng.randrange(10**9)
        self._uid = 600_000_000 + rng.randrange(10**7)
        self.rng = rng

    def order_id(self) -> str:
        self._order += 1
        return str(self._order)

    def trade_id(self) -> str:
        self._trade += 1
        return str(self._trade)

    def uid(self) -> int:
        self._uid += 1
        return self._uid

    def hex(self, chars: int) -> str:
        return f"{self.rng.getrandbits(chars * 4):0{chars}x}"


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    symbol: str
    page: int = 1
    page_size: int = 10
    start_ms: int | None = None
    end_ms: int | None = None
    status: OrderStatus | None = None
    side: Side | None = None
    type: OrderType | None = None


# Called after every trade with the taker and maker orders, e.g. to replenish synthetic liquidity.
TradeListener = Callable[["Exchange", str], None]


class Exchange:
    """All of the mock exchange's state and rules."""

    def __init__(self, markets: list[Market], *, clock: Clock | None = None, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.markets = MarketRegistry(markets)
        self.seed = seed
        self.ids = IdGenerator(seed)
        self.ledger = Ledger()
        self.accounts: dict[str, Account] = {}
        self.accounts_by_key: dict[str, Account] = {}
        self.books: dict[str, OrderBook] = {m.symbol: OrderBook(m.symbol) for m in self.markets}
        self.tapes: dict[str, TradeTape] = {m.symbol: TradeTape() for m in self.markets}
        self.last_prices: dict[str, Decimal] = {m.symbol: m.reference_price for m in self.markets}
        self.orders: dict[str, Order] = {}
        self.orders_by_account: dict[str, list[Order]] = {}
        self.fills_by_order: dict[str, list[Fill]] = {}
        self.after_match: list[TradeListener] = []
        # Called with (account_id, coin, amount) after every admin funding, e.g. to list deposits.
        self.fund_listeners: list[Callable[[str, str, Decimal], None]] = []
        self.started_ms = self.clock.now_ms()
        self._seq = 0
        self._account_seq = 0
        self._undo: list[Callable[[], object]] | None = None
        # Behaviours with thin evidence (mockserver.fidelity switches): set by the state from its switches.
        self.price_band = "placecode"  # placecode | error | off
        self.price_precision_code = "10059"  # 10059 | 2: the code for too many price decimals (guessed)
        self.cancel_stall_ms = 60_000  # a cancel by clientId blocks cancels of that order this long (0: never)
        self.create_account(account_id=FEE_ACCOUNT, api_key="", secret="", system=True, label="fees")

    # -------------------------------------------------------------- atomicity

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """All-or-nothing: an exception inside puts orders, books, fills, tapes, prices, ids and balances back.

        Nested blocks (liquidity replenishing inside a placement) join the outermost one.
        """
        with self.lock:
            token = self._begin()
            # Blocks opened here may create accounts (new keys draw from the id generator's random
            # stream): put that stream back too. Placements never draw from it, so _begin skips it.
            rng_state = self.ids.rng.getstate() if token is not None else None
            try:
                yield
            except BaseException:
                if token is not None and rng_state is not None:
                    self._abort(token)
                    self.ids.rng.setstate(rng_state)
                raise
            if token is not None:
                self._commit(token)

    def _begin(self) -> tuple[Any, ...] | None:
        """Open a transaction (``None`` when one is open: the caller joins it)."""
        if self._undo is not None:
            return None
        self._undo = []
        ids = self.ids
        return (self._undo, self.ledger.begin(), ids._order, ids._trade, ids._uid, self._seq)

    def _commit(self, token: tuple[Any, ...]) -> None:
        self._undo = None
        if token[1]:
            self.ledger.commit()

    def _abort(self, token: tuple[Any, ...]) -> None:
        undo, ledger_started, order_id, trade_id, uid, seq = token
        self._undo = None
        if ledger_started:
            self.ledger.abort()
        for step in reversed(undo):
            step()
        self.ids._order, self.ids._trade, self.ids._uid, self._seq = order_id, trade_id, uid, seq

    def _remember(self, step: Callable[[], object]) -> None:
        if self._undo is not None:
            self._undo.append(step)

    def _save_order(self, order: Order) -> None:
        """Remember an order's mutable fields so a failed operation can put them back."""
        if self._undo is None:
            return
        saved = (order.status, order.deal_volume, order.deal_amount, order.fee, order.utime, order.locked, order.volume)

        def restore() -> None:
            (order.status, order.deal_volume, order.deal_amount, order.fee, order.utime, order.locked, order.volume) = (
                saved
            )

        self._undo.append(restore)

    # ----------------------------------------------------------------- accounts

    def create_account(
        self,
        *,
        api_key: str | None = None,
        secret: str | None = None,
        permissions: Iterable[str] = ALL_PERMISSIONS,
        ip_whitelist: Iterable[str] = (),
        label: str = "",
        balances: dict[str, Decimal] | None = None,
        system: bool = False,
        account_id: str | None = None,
    ) -> Account:
        """Open an account reached through ``api_key`` (generated when not given)."""
        with self.lock:
            key = api_key if api_key is not None else self.ids.hex(32)
            if key in self.accounts_by_key:
                raise ValueError(f"api-key {key!r} already exists")
            perms = frozenset(permissions)
            unknown = perms - ALL_PERMISSIONS
            if unknown:
                raise ValueError(f"unknown permissions {sorted(unknown)}")
            acct = Account(
                account_id=account_id or self._next_account_id(),
                uid=self.ids.uid(),
                api_key=key,
                secret=secret if secret is not None else self.ids.hex(64),
                permissions=perms,
                ip_whitelist=tuple(ip_whitelist),
                label=label,
                system=system,
            )
            if acct.account_id in self.accounts:
                raise ValueError(f"account {acct.account_id!r} already exists")
            self.accounts[acct.account_id] = acct
            if not system:
                self.accounts_by_key[key] = acct
            for coin, amount in (balances or {}).items():
                self.fund(acct.account_id, coin, amount)
            return acct

    def _next_account_id(self) -> str:
        while True:
            self._account_seq += 1
            candidate = f"acct-{self._account_seq}"
            if candidate not in self.accounts:
                return candidate

    def account_by_key(self, api_key: str) -> Account | None:
        return self.accounts_by_key.get(api_key)

    def fund(self, account_id: str, coin: str, amount: Decimal) -> Balance:
        """Add ``amount`` of ``coin`` to the account's free balance (negative withdraws)."""
        with self.lock:
            self._require_account(account_id)
            coin = coin.upper()
            if amount >= 0:
                self.ledger.mint(account_id, coin, amount)
            else:
                self.ledger.burn(account_id, coin, -amount)
            for listener in self.fund_listeners:
                listener(account_id, coin, amount)
            return self.ledger.balance(account_id, coin)

    def balances(self, account_id: str) -> dict[str, Balance]:
        with self.lock:
            return {c: Balance(b.free, b.locked) for c, b in sorted(self.ledger.balances_of(account_id).items())}

    def _require_account(self, account_id: str) -> Account:
        acct = self.accounts.get(account_id)
        if acct is None:
            raise KeyError(account_id)
        return acct

    # ------------------------------------------------------------------ orders

    def market(self, symbol: str) -> Market:
        m = self.markets.get(symbol)
        if m is None:
            raise ParameterError(f"unknown symbol {symbol!r}")
        return m

    def place(self, account_id: str, req: PlaceRequest) -> Order:
        """Check the pair's rules, lock funds, match, and rest what is left of a limit order.

        Raises :class:`~mockserver.errors.BitunixError` for a request the exchange
        refuses and :class:`~mockserver.errors.PlaceRefusal` for one it declines
        to place; in both cases nothing has changed.
        """
        with self.lock:
            acct = self._require_account(account_id)
            m = self.market(req.symbol)
            lock_coin, lock_amount, order_volume, quote_amount = self._check_rules(m, req)
            if not m.is_open:
                raise MarketClosed(m.symbol)
            free = self.ledger.free(account_id, lock_coin)
            if free < lock_amount:
                raise InsufficientBalance(f"{lock_coin} free {free} < needed {lock_amount}")
            token = self._begin()
            try:
                order = self._place(acct, m, req, lock_coin, lock_amount, order_volume, quote_amount)
            except BaseException:
                if token is not None:
                    self._abort(token)
                raise
            if token is not None:
                self._commit(token)
            return order

    def _place(
        self,
        acct: Account,
        m: Market,
        req: PlaceRequest,
        lock_coin: str,
        lock_amount: Decimal,
        order_volume: Decimal,
        quote_amount: Decimal,
    ) -> Order:
        account_id = acct.account_id
        self.ledger.lock(account_id, lock_coin, lock_amount)
        now = self.clock.now_ms()
        self._seq += 1
        order = Order(
            order_id=self.ids.order_id(),
            account_id=account_id,
            uid=acct.uid,
            symbol=m.symbol,
            base=m.base,
            quote=m.quote,
            side=req.side,
            type=req.type,
            price=req.price if req.type is OrderType.LIMIT and req.price is not None else ZERO,
            volume=order_volume,
            quote_amount=quote_amount,
            client_id=req.client_id,
            ctime=now,
            utime=now,
            seq=self._seq,
            fee_coin=m.base if req.side is Side.BUY else m.quote,
            locked=lock_amount,
        )
        self._register(order)
        traded, satisfied = self._match(order, m)
        self._settle_remainder(order, m, satisfied)
        if traded:
            for listener in self.after_match:
                listener(self, m.symbol)
        return order

    def _register(self, order: Order) -> None:
        self.orders[order.order_id] = order
        mine = self.orders_by_account.setdefault(order.account_id, [])
        mine.append(order)
        self.fills_by_order[order.order_id] = []

        def unregister() -> None:
            self.orders.pop(order.order_id, None)
            self.fills_by_order.pop(order.order_id, None)
            if mine and mine[-1] is order:
                mine.pop()
            if not mine and self.orders_by_account.get(order.account_id) is mine:
                del self.orders_by_account[order.account_id]

        self._remember(unregister)

    def precheck(self, req: PlaceRequest) -> None:
        """Raise the request-level error ``place`` would raise, without changing anything.

        Placement refusals (balance, minimums) are not raised: they belong to the
        single order, not to the request.
        """
        with self.lock:
            m = self.market(req.symbol)
            with contextlib.suppress(PlaceRefusal):
                self._check_rules(m, req)

    def _check_rules(self, m: Market, req: PlaceRequest) -> tuple[str, Decimal, Decimal, Decimal]:
        """Return (coin to lock, amount to lock, base volume, quote amount) or raise."""
        vol = req.volume
        if vol <= 0:
            raise ParameterError("volume must be greater than 0")
        if req.type is OrderType.LIMIT:
            price = req.price
            if price is None or price <= 0:
                raise ParameterError("price must be greater than 0 for a limit order")
            if decimals_of(price) > m.quote_precision:
                why = f"price has more than {m.quote_precision} decimals"
                raise PricePrecisionError(why) if self.price_precision_code == "10059" else ParameterError(why)
            if decimals_of(vol) > m.base_precision:
                raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
            if vol < m.min_volume:
                raise MinVolumeNotMet(f"volume {vol} < minVolume {m.min_volume}")
            amount = mul(price, vol)
            if amount < m.min_amount:
                raise MinAmountNotMet(f"price*volume {amount} < minPrice {m.min_amount}")
            if amount > m.max_amount:
                raise MaxAmountExceeded(f"price*volume {amount} > maxAmount {m.max_amount}")
            self._check_band(m, req.side, price)
            if req.side is Side.BUY:
                return m.quote, amount, vol, amount
            return m.base, vol, vol, amount
        if req.side is Side.BUY:
            # A market buy's volume is the quote amount to spend.
            if decimals_of(vol) > m.quote_precision:
                raise VolumePrecisionError(f"quote amount has more than {m.quote_precision} decimals")
            if vol < m.min_amount:
                raise MinAmountNotMet(f"amount {vol} < minPrice {m.min_amount}")
            if vol > m.max_amount:
                raise MaxAmountExceeded(f"amount {vol} > maxAmount {m.max_amount}")
            return m.quote, vol, ZERO, vol
        if decimals_of(vol) > m.base_precision:
            raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
        if vol < m.min_volume:
            raise MinVolumeNotMet(f"volume {vol} < minVolume {m.min_volume}")
        return m.base, vol, vol, ZERO

    def _check_band(self, m: Market, side: Side, price: Decimal) -> None:
        """A limit price outside the pair's band around the last price is refused (shape: a switch)."""
        if self.price_band == "off":
            return
        last = self.last_prices[m.symbol]
        if side is Side.BUY:
            floor = mul(last, add(Decimal(1), m.min_buy_price_offset))
            outside = price < floor
            rule = f"buy price {price} below {floor} = last {last} x (1 + minBuyPriceOffset {m.min_buy_price_offset})"
        else:
            ceiling = mul(last, add(Decimal(1), m.max_sell_price_offset))
            outside = price > ceiling
            rule = (
                f"sell price {price} above {ceiling} = last {last} x (1 + maxSellPriceOffset {m.max_sell_price_offset})"
            )
        if not outside:
            return
        if self.price_band == "error":
            raise ParameterError(rule)
        raise PriceOutsideBand(rule)

    def _match(self, taker: Order, m: Market) -> tuple[bool, bool]:
        """Trade ``taker`` against the opposite side, best price first, oldest first.

        Returns (traded at all, taker satisfied) - a market order that stops
        because the book ran dry is not satisfied.
        """
        book = self.books[m.symbol]
        opposite = book.asks if taker.side is Side.BUY else book.bids
        market_buy = taker.type is OrderType.MARKET and taker.side is Side.BUY
        traded = satisfied = False
        while opposite and not satisfied:
            key, level = opposite.peekitem(0)
            price: Decimal = key if taker.side is Side.BUY else -key
            if taker.type is OrderType.LIMIT and (
                (taker.side is Side.BUY and price > taker.price) or (taker.side is Side.SELL and price < taker.price)
            ):
                break
            for maker in list(level.values()):
                maker_left = sub(maker.volume, maker.deal_volume)
                if market_buy:
                    wanted = div_down(taker.locked, price, m.base_precision)
                else:
                    wanted = sub(taker.volume, taker.deal_volume)
                if wanted <= 0:
                    satisfied = True
                    break
                qty = min(maker_left, wanted)
                self._trade(taker, maker, price, qty, m)
                traded = True
                if maker.deal_volume == maker.volume:
                    book.remove(maker)
                    # Matching only ever takes the head of the best level: undo puts it back in front.
                    self._remember(functools.partial(book.restore_front, maker))
        if (market_buy and traded and not taker.locked) or (not market_buy and taker.deal_volume == taker.volume):
            satisfied = True
        return traded, satisfied

    def _trade(self, taker: Order, maker: Order, price: Decimal, qty: Decimal, m: Market) -> None:
        # Every leg is computed and checked first; the ledger moves come after (inside the
        # placement's atomic block, so even a bug half-way leaves nothing applied).
        amount = mul(price, qty)
        buyer, seller = (taker, maker) if taker.side is Side.BUY else (maker, taker)
        buyer_rate = m.taker_fee_rate if buyer is taker else m.maker_fee_rate
        seller_rate = m.taker_fee_rate if seller is taker else m.maker_fee_rate
        buyer_fee = mul(qty, buyer_rate)
        seller_fee = mul(amount, seller_rate)
        if buyer.locked < amount or seller.locked < qty:
            raise LedgerError(f"trade {qty} @ {price} beyond the orders' locks ({buyer.locked}, {seller.locked})")
        buyer_locked_after = sub(buyer.locked, amount)
        seller_locked_after = sub(seller.locked, qty)
        ledger = self.ledger
        self._save_order(buyer)
        self._save_order(seller)
        # Quote moves buyer -> seller, base moves seller -> buyer; each side's fee
        # comes out of what it receives and goes to the fee account.
        ledger.transfer_locked(buyer.account_id, seller.account_id, m.quote, amount)
        buyer.locked = buyer_locked_after
        ledger.transfer_locked(seller.account_id, buyer.account_id, m.base, qty)
        seller.locked = seller_locked_after
        if buyer_fee:
            ledger.transfer_free(buyer.account_id, FEE_ACCOUNT, m.base, buyer_fee)
        if seller_fee:
            ledger.transfer_free(seller.account_id, FEE_ACCOUNT, m.quote, seller_fee)

        now = self.clock.now_ms()
        trade_id = self.ids.trade_id()
        for order, fee in ((buyer, buyer_fee), (seller, seller_fee)):
            order.deal_volume = add(order.deal_volume, qty)
            order.deal_amount = add(order.deal_amount, amount)
            order.fee = add(order.fee, fee)
            order.utime = now
            fills = self.fills_by_order[order.order_id]
            fills.append(
                Fill(
                    trade_id=trade_id,
                    order_id=order.order_id,
                    account_id=order.account_id,
                    symbol=m.symbol,
                    side=order.side,
                    price=price,
                    volume=qty,
                    amount=amount,
                    fee=fee,
                    fee_coin=order.fee_coin,
                    role=Role.TAKER if order is taker else Role.MAKER,
                    time_ms=now,
                )
            )
            self._remember(fills.pop)
        if maker.deal_volume == maker.volume:
            maker.status = OrderStatus.FILLED
            if maker.locked:  # a resting buy locks exactly price * left; nothing should remain
                ledger.unlock(maker.account_id, maker.lock_coin, maker.locked)
                maker.locked = ZERO
        else:
            maker.status = OrderStatus.PARTIALLY_FILLED
        previous = self.last_prices[m.symbol]
        self.last_prices[m.symbol] = price
        tape = self.tapes[m.symbol]
        at = tape.record(now, price, qty, amount)

        def untrade() -> None:
            self.last_prices[m.symbol] = previous
            tape.drop_at(at)

        self._remember(untrade)

    def _settle_remainder(self, order: Order, m: Market, satisfied: bool) -> None:
        """After matching: rest a limit order's remainder, end a market order."""
        ledger = self.ledger
        self._save_order(order)
        if order.type is OrderType.LIMIT:
            left = sub(order.volume, order.deal_volume)
            if left == 0:
                order.status = OrderStatus.FILLED
                if order.locked:  # a buy that filled below its limit price
                    ledger.unlock(order.account_id, order.lock_coin, order.locked)
                    order.locked = ZERO
                return
            if order.side is Side.BUY:
                # Price improvement on the taking part frees the excess now, so a
                # resting buy always locks exactly price * left.
                excess = sub(order.locked, mul(order.price, left))
                if excess:
                    ledger.unlock(order.account_id, order.quote, excess)
                    order.locked = sub(order.locked, excess)
            order.status = OrderStatus.PARTIALLY_FILLED if order.deal_volume else OrderStatus.NEW
            book = self.books[m.symbol]
            book.add(order)
            self._remember(lambda: book.remove(order))
            return
        # Market orders never rest: what could not be filled is released.
        if order.side is Side.BUY:
            order.volume = order.deal_volume
        if order.locked:
            ledger.unlock(order.account_id, order.lock_coin, order.locked)
            order.locked = ZERO
        if order.deal_volume and satisfied:
            order.status = OrderStatus.FILLED
        elif order.deal_volume:
            order.status = OrderStatus.PARTIALLY_CANCELED
        else:
            order.status = OrderStatus.CANCELED

    def cancel(self, account_id: str, order_id: str, symbol: str | None = None) -> bool:
        """Cancel an open order of this account. Unknown, foreign or finished orders: ``False``."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order.account_id != account_id or not order.status.is_open:
                return False
            if symbol is not None and order.symbol != symbol.upper():
                return False
            if order.cancel_blocked_until and self.clock.now_ms() < order.cancel_blocked_until:
                return False  # a cancel by clientId left the order stuck (seen live): this cancel does nothing
            # The unlock checks before it moves anything and is the only step that can fail, so a
            # cancel needs no transaction of its own; inside someone else's it records its undo.
            book = self.books[order.symbol]
            if self._undo is not None:
                self._save_order(order)
                position = book.position(order)  # O(level): paid only where a rollback may need it
                self._remember(lambda: book.restore_at(order, position))
            if order.locked:
                self.ledger.unlock(account_id, order.lock_coin, order.locked)
                order.locked = ZERO
            book.remove(order)
            order.status = OrderStatus.PARTIALLY_CANCELED if order.deal_volume else OrderStatus.CANCELED
            order.utime = self.clock.now_ms()
            return True

    def cancel_by_client_id(self, account_id: str, client_id: str, symbol: str | None = None) -> int:
        """What live does with a cancel that names ``clientId``: nothing, but the order gets stuck.

        Returns how many open orders were stalled (cancels by orderId ignored for ``cancel_stall_ms``).
        """
        with self.lock:
            if not self.cancel_stall_ms:
                return 0
            until = self.clock.now_ms() + self.cancel_stall_ms
            stalled = 0
            for order in self.orders_by_account.get(account_id, []):
                same_symbol = symbol is None or order.symbol == symbol.upper()
                if order.client_id == client_id and order.status.is_open and same_symbol:
                    order.cancel_blocked_until = until
                    stalled += 1
            return stalled

    # ----------------------------------------------------------------- queries

    def order(self, account_id: str, order_id: str) -> Order | None:
        with self.lock:
            order = self.orders.get(order_id)
            return order if order is not None and order.account_id == account_id else None

    def open_orders(self, account_id: str, symbol: str) -> list[Order]:
        """Open orders on ``symbol``, newest first."""
        with self.lock:
            sym = symbol.upper()
            return [
                o for o in reversed(self.orders_by_account.get(account_id, [])) if o.symbol == sym and o.status.is_open
            ]

    def history(self, account_id: str, q: HistoryQuery) -> tuple[int, list[Order]]:
        """(total matching, the requested page), newest first."""
        with self.lock:
            sym = q.symbol.upper()
            matching = [
                o
                for o in reversed(self.orders_by_account.get(account_id, []))
                if o.symbol == sym
                and (q.status is None or o.status is q.status)
                and (q.side is None or o.side is q.side)
                and (q.type is None or o.type is q.type)
                and (q.start_ms is None or o.ctime >= q.start_ms)
                and (q.end_ms is None or o.ctime <= q.end_ms)
            ]
            start = (q.page - 1) * q.page_size
            return len(matching), matching[start : start + q.page_size]

    def fills(self, account_id: str, order_id: str, symbol: str | None = None) -> list[Fill]:
        with self.lock:
            order = self.order(account_id, order_id)
            if order is None or (symbol is not None and order.symbol != symbol.upper()):
                return []
            return list(self.fills_by_order.get(order_id, []))

    def last_price(self, symbol: str) -> Decimal:
        with self.lock:
            return self.last_prices[self.market(symbol).symbol]

    def depth(self, symbol: str, step: Decimal, limit: int = 50) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        """(asks, bids) aggregated to multiples of ``step``; asks round up, bids down."""
        with self.lock:
            book = self.books[self.market(symbol).symbol]
            out: list[list[tuple[Decimal, Decimal]]] = []
            for side, rounder in ((Side.SELL, ceil_to_step), (Side.BUY, floor_to_step)):
                levels: list[tuple[Decimal, Decimal]] = []
                for price, vol in book.aggregated(side):
                    p = rounder(price, step)
                    if levels and levels[-1][0] == p:
                        levels[-1] = (p, add(levels[-1][1], vol))
                    else:
                        if len(levels) == limit:
                            break
                        levels.append((p, vol))
                out.append(levels)
            return out[0], out[1]

    def audit(self) -> dict[str, Decimal]:
        """Per coin: sum of all balances minus net admin funding. All zeros = conserved."""
        with self.lock:
            return self.ledger.audit()
