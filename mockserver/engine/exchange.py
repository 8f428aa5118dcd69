"""The exchange: accounts, venues, matching, settlement and the queries on them.

Pure Python, no HTTP. Every public method takes the exchange lock, so the
engine is safe to drive from several threads (the HTTP layer calls it from one
event loop, where each call is already atomic).

A placement is all-or-nothing by construction, not by undo: every leg (the
lock, each trade's transfers and fees, the remainder) is computed and checked
against the current state first, and only then applied. The apply phase moves
money that the plan proved is there.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

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
from .accounts import ALL_PERMISSIONS, MIN_SCALE, Account, Balance, Ledger, LedgerError
from .book import OrderBook
from .marketdata import TradeTape
from .markets import Market, MarketRegistry
from .money import MAX_DECIMALS, MAX_INTEGER_DIGITS, add, ceil_to_step, dec, floor_to_step, units
from .orders import (
    BUY,
    CANCELED,
    FILLED,
    LIMIT,
    NEW,
    OPEN,
    PARTIALLY_CANCELED,
    PARTIALLY_FILLED,
    SELL,
    Fill,
    FillRecord,
    FillRow,
    Order,
    OrderRecord,
    OrderStatus,
    OrderStore,
    OrderType,
    PlaceRequest,
    Role,
    Side,
)
from .venue import Venue, fee_places

__all__ = ["FEE_ACCOUNT", "EngineStateError", "Exchange", "ExchangeState", "HistoryQuery", "IdGenerator", "IdState"]

FEE_ACCOUNT = "fees"
_ONE = Decimal(1)


class EngineStateError(ValueError):
    """A state the engine cannot run from: it breaks one of the engine's invariants."""


@dataclass(slots=True)
class IdState:
    """The id counters (each the last id handed out) and the generator behind keys and secrets."""

    order: int
    trade: int
    uid: int
    rng: tuple[Any, ...]


class IdGenerator:
    """Deterministic ids for a given seed: 19-digit order ids, like the exchange's."""

    __slots__ = ("_order", "_trade", "_uid", "rng")

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

    def export_state(self) -> IdState:
        return IdState(self._order, self._trade, self._uid, self.rng.getstate())

    def load_state(self, state: IdState) -> None:
        self._order, self._trade, self._uid = state.order, state.trade, state.uid
        self.rng.setstate(state.rng)


@dataclass(slots=True)
class ExchangeState:
    """Everything the exchange holds, as plain data: what a snapshot saves and a restore installs.

    Every field here must round-trip through ``mockserver.control.snapshot`` (a test enforces it).
    """

    seed: int
    started_ms: int
    ids: IdState
    seq: int  # the last order sequence number handed out (time priority across the book)
    account_seq: int  # the last generated ``acct-N`` id
    accounts: list[Account]
    balances: dict[str, dict[str, Balance]]
    net_external: dict[str, Decimal]
    last_prices: dict[str, Decimal]
    orders: list[OrderRecord]
    fills: dict[str, list[FillRecord]]
    tapes: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)


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


# Called with (exchange, symbol) after a placement on that pair traded, e.g. to replenish synthetic liquidity.
TradeListener = Callable[["Exchange", str], None]


# Per trade, in matching order: (maker, price ticks, lots, quote units, buyer fee, seller fee), the fees at
# the ledger's scale.
_Legs = list[tuple[Order, int, int, int, int, int]]
_NO_LEGS: _Legs = []  # shared by every order that takes nothing: never appended to
_NOTHING: tuple[_Legs, bool] = (_NO_LEGS, False)  # the plan of an order that takes nothing (no tuple per order)

# A fill's side and role as plain ints (see Fill), and its constructor without the named tuple's Python-level __new__.
_BUY, _SELL = int(BUY), int(SELL)
_MAKER, _TAKER = int(Role.MAKER), int(Role.TAKER)
_new_fill = tuple.__new__

# The tape's Decimal price and size of a trade: a pair trades at a few recurring prices and sizes, and
# Decimal is immutable, so one object serves them all (and keeps the venue's band cache, keyed by the
# last price's identity, warm).
_dec = functools.lru_cache(maxsize=4096)(dec)


class _Plan:
    """A placement being planned: the taker's running figures (in its integer units) and the trades found so far."""

    __slots__ = ("amount_s", "buy", "buyer_fee", "deal", "legs", "locked", "lot_s", "seller_fee")

    def __init__(self, taker: Order, venue: Venue) -> None:
        self.buy = buy = taker.side is BUY
        self.lot_s = venue.grid.lot_s
        self.amount_s = venue.grid.amount_s
        self.locked = taker.locked_units
        self.deal = 0
        self.legs: _Legs = []
        # The taker pays the taker rate on what it receives, the maker the maker rate.
        if buy:
            self.buyer_fee, self.seller_fee = venue.taker_base_fee, venue.maker_quote_fee
        else:
            self.buyer_fee, self.seller_fee = venue.maker_base_fee, venue.taker_quote_fee


def ledger_scale(markets: Iterable[Market]) -> int:
    """Decimals the ledger keeps: enough that every fee (a trade amount x a pair's rate) and admin amount is whole."""
    scale = MIN_SCALE
    for m in markets:
        rate_places = max(fee_places(m.maker_fee_rate), fee_places(m.taker_fee_rate))
        scale = max(scale, m.quote_precision + m.base_precision + rate_places)
    return scale


def _finite_and_bounded(value: Decimal, what: str) -> None:
    """Refuse what no market takes before any arithmetic: NaN, infinities, huge or finer-than-any-grid figures."""
    if not value.is_finite():
        raise ParameterError(f"{what} must be a finite number, not {value}")
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ParameterError(f"{what} has more than {MAX_INTEGER_DIGITS} integer digits")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_DECIMALS:
        zeros = len(digits) - len(bytes(digits).rstrip(b"\x00"))  # trailing zeros are not decimals
        if exponent + zeros < -MAX_DECIMALS:
            raise ParameterError(f"{what} has more than {MAX_DECIMALS} decimals")


class MarketModel(Protocol):
    """A participant attached to the exchange whose own state a savepoint must restore too."""

    def export_state(self) -> Any: ...

    def load_state(self, state: Any, /) -> None: ...


class Exchange:
    """All of the mock exchange's state and rules."""

    def __init__(self, markets: list[Market], *, clock: Clock | None = None, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.markets = MarketRegistry(markets)
        self.seed = seed
        self.ids = IdGenerator(seed)
        scale = ledger_scale(self.markets)
        self.ledger = Ledger(scale)
        self.accounts: dict[str, Account] = {}
        self.accounts_by_key: dict[str, Account] = {}
        self.venues: dict[str, Venue] = {m.symbol: Venue(m, scale) for m in self.markets}
        self._store = OrderStore()
        # Called after a placement on any pair traded (each venue has its own list too: Venue.after_trade).
        self.after_match: list[TradeListener] = []
        # Market models with state of their own (the liquidity provider's random stream): a
        # savepoint puts it back with the exchange, since a trade inside one makes them draw.
        self.market_models: list[MarketModel] = []
        # Called with (account_id, coin, amount) after every admin funding, e.g. to list deposits.
        self.fund_listeners: list[Callable[[str, str, Decimal], None]] = []
        self.started_ms = self.clock.now_ms()
        self._seq = 0
        self._account_seq = 0
        # Behaviours with thin evidence (mockserver.fidelity switches): set by the state from its switches.
        self.price_band = "placecode"  # placecode | error | off
        self.price_precision_code = "10059"  # 10059 | 2: the code for too many price decimals (guessed)
        self.cancel_stall_ms = 60_000  # a cancel by clientId blocks cancels of that order this long (0: never)
        self.create_account(account_id=FEE_ACCOUNT, api_key="", secret="", system=True, label="fees")

    # ------------------------------------------------------------ read views

    @property
    def orders(self) -> Mapping[str, Order]:
        """Read-only: every order by id."""
        return self._store.by_id

    @property
    def fills_by_order(self) -> Mapping[str, list[Fill]]:
        """Read-only: order id -> fills."""
        return self._store.fills_by_order

    @property
    def books(self) -> dict[str, OrderBook]:
        return {s: v.book for s, v in self.venues.items()}

    @property
    def tapes(self) -> dict[str, TradeTape]:
        return {s: v.tape for s, v in self.venues.items()}

    @property
    def last_prices(self) -> dict[str, Decimal]:
        """A copy: set a price with :meth:`set_last_price`."""
        return {s: v.last_price for s, v in self.venues.items()}

    def venue(self, symbol: str) -> Venue:
        v = self.venues.get(symbol.upper())
        if v is None:
            raise ParameterError(f"unknown symbol {symbol!r}")
        return v

    def set_last_price(self, symbol: str, price: Decimal) -> None:
        if not price.is_finite() or price <= 0:
            raise ValueError("a last price is a finite decimal greater than 0")
        with self.lock:
            self.venue(symbol).last_price = price

    def orders_of(self, account_id: str) -> list[Order]:
        """The account's orders, oldest first."""
        with self.lock:
            return self._store.of_account(account_id)

    def order_by_id(self, order_id: str) -> Order | None:
        """Any account's order (the admin's view)."""
        with self.lock:
            return self._store.get(order_id)

    # -------------------------------------------------------------- savepoints

    @contextlib.contextmanager
    def savepoint(self, *, orders: bool = True) -> Iterator[None]:
        """All-or-nothing for an admin block of several operations: an exception puts the whole exchange back.

        With ``orders`` (the default) it copies the whole state up front - O(state), for the control
        plane, never the request path. ``orders=False`` is for blocks that only open accounts and
        move money (an account's creation): it keeps the ids, counters and accounts and runs the
        ledger in a transaction, in O(accounts); such a block must not place or cancel orders.
        """
        with self.lock:
            if orders:
                saved = self.export_state()
                models = [(model, model.export_state()) for model in self.market_models]
                try:
                    yield
                except BaseException:
                    self._install(saved)
                    for model, state in models:
                        model.load_state(state)
                    raise
                return
            ids, seq, account_seq = self.ids.export_state(), self._seq, self._account_seq
            accounts, by_key = dict(self.accounts), dict(self.accounts_by_key)
            started = self.ledger.begin()
            try:
                yield
            except BaseException:
                if started:
                    self.ledger.abort()
                self.ids.load_state(ids)
                self._account_seq = account_seq
                self.accounts.clear()
                self.accounts.update(accounts)
                self.accounts_by_key.clear()
                self.accounts_by_key.update(by_key)
                raise
            finally:
                if self._seq != seq:  # an order moved: this savepoint could not have put it back
                    raise RuntimeError("an order was placed inside a savepoint(orders=False)")
            if started:
                self.ledger.commit()

    # ------------------------------------------------------------------ state

    def export_state(self) -> ExchangeState:
        """A copy of everything the exchange holds (later changes to the exchange do not show in it)."""
        with self.lock:
            store = self._store
            return ExchangeState(
                seed=self.seed,
                started_ms=self.started_ms,
                ids=self.ids.export_state(),
                seq=self._seq,
                account_seq=self._account_seq,
                accounts=[replace(a) for a in self.accounts.values()],
                balances=self.ledger.export_balances(),
                net_external=self.ledger.net_external(),
                last_prices=self.last_prices,
                orders=[o.record() for o in store.values()],
                fills={oid: [f.record() for f in fs] for oid, fs in store.fills_by_order.items()},
                tapes={s: v.tape.rows() for s, v in self.venues.items()},
            )

    @classmethod
    def from_state(cls, markets: list[Market], state: ExchangeState, *, clock: Clock | None = None) -> Exchange:
        ex = cls(markets, clock=clock, seed=state.seed)
        ex.load_state(state)
        return ex

    def load_state(self, state: ExchangeState) -> None:
        """Become ``state`` (taking ownership of its objects), or raise :class:`EngineStateError` unchanged."""
        with self.lock:
            saved = self.export_state()
            try:
                self._install(state)
                problems = self.problems()
                if problems:
                    raise EngineStateError(problems[0])
            except BaseException:
                self._install(saved)
                raise

    def _install(self, state: ExchangeState) -> None:
        self.seed = state.seed
        self.started_ms = state.started_ms
        self.ids.load_state(state.ids)
        self._seq, self._account_seq = state.seq, state.account_seq
        self.accounts.clear()
        self.accounts_by_key.clear()
        for a in state.accounts:
            if a.account_id in self.accounts:
                raise EngineStateError(f"account {a.account_id!r} given twice")
            self.accounts[a.account_id] = a
            if not a.system:
                if a.api_key in self.accounts_by_key:
                    raise EngineStateError(f"api-key of account {a.account_id!r} given twice")
                self.accounts_by_key[a.api_key] = a
        try:
            self.ledger.load(state.balances, state.net_external)
        except LedgerError as exc:
            raise EngineStateError(str(exc)) from None
        for symbol, price in state.last_prices.items():
            self.venue(symbol).last_price = price
        store = self._store
        store.clear()
        for v in self.venues.values():
            v.book.clear()
            v.tape.clear()
        live: list[Order] = []
        for r in state.orders:
            home = self.venues.get(r.symbol)
            if home is None:
                raise EngineStateError(f"order {r.order_id}: no market {r.symbol!r}")
            try:
                o = Order.from_record(r, home.grid)
                store.add(o, [Fill.from_record(f, home.grid) for f in state.fills.get(o.order_id, ())])
            except ValueError as exc:
                raise EngineStateError(str(exc)) from None
            live.append(o)
        for oid in state.fills:
            if oid not in store:
                raise EngineStateError(f"fills of order {oid}, which does not exist")
        for o in sorted((o for o in live if o.status.is_open), key=lambda o: o.seq):
            self.venue(o.symbol).book.add(o)
        for symbol, rows in state.tapes.items():
            self.venue(symbol).tape.load(rows)

    def problems(self) -> list[str]:
        """Every broken invariant (conservation, locks, ids and counters, indexes); empty when sound."""
        with self.lock:
            out = list(self._store.problems())
            out += [f"{coin}: balances and net external flow differ by {v}" for coin, v in self.audit().items() if v]
            locks: dict[tuple[str, str], int] = {}
            max_seq, max_oid, max_tid = 0, 0, 0
            resting = 0
            seqs: set[int] = set()
            trades: dict[str, int] = {}
            for o in self._store.values():
                max_seq, max_oid = max(max_seq, o.seq), max(max_oid, int(o.order_id))
                if o.seq in seqs:  # time priority is by seq: two orders with one would tie
                    out.append(f"order {o.order_id}: seq {o.seq} given twice")
                seqs.add(o.seq)
                owner = self.accounts.get(o.account_id)
                if owner is None:
                    out.append(f"order {o.order_id}: no account {o.account_id!r}")
                elif owner.uid != o.uid:
                    out.append(f"order {o.order_id}: uid {o.uid}, but its account's is {owner.uid}")
                v = self.venues.get(o.symbol)
                if v is None:
                    out.append(f"order {o.order_id}: no market {o.symbol!r}")
                    continue
                if o.status.is_open:
                    resting += 1
                    left = o.volume_lots - o.deal_lots
                    want = o.price_ticks * left if o.side is BUY else left
                    if o.type is not LIMIT or left <= 0 or o.locked_units != want:
                        out.append(
                            f"order {o.order_id}: open, but locks {o.locked} where it needs {dec(want, o.lock_places)}"
                        )
                    key = (o.account_id, o.lock_coin)
                    locks[key] = locks.get(key, 0) + o.locked_ledger_units
                elif o.locked_units:
                    out.append(f"order {o.order_id}: closed, yet locks {o.locked}")
                for f in self._store.fills_by_order.get(o.order_id, ()):
                    max_tid = max(max_tid, int(f.trade_id))
                    trades[f.trade_id] = trades.get(f.trade_id, 0) + 1
            # A trade is one taker fill and one maker fill.
            out += [f"trade {t}: on {n} fills, not 2" for t, n in trades.items() if n > 2]
            ledger = self.ledger
            for acct in list(ledger.accounts()):
                for coin in ledger.balances_of(acct):
                    held = ledger.locked_units(acct, coin)
                    if held != locks.pop((acct, coin), 0):
                        out.append(f"{acct} {coin}: locked {ledger.dec(held)} is not what its open orders lock")
            out += [
                f"{a} {c}: open orders lock {ledger.dec(v)}, the ledger nothing" for (a, c), v in locks.items() if v
            ]
            if resting != sum(len(v.book) for v in self.venues.values()):
                out.append("the books do not hold exactly the open orders")
            for v in self.venues.values():
                out += v.book.problems()
                if v.book.is_crossed():
                    out.append(f"book {v.symbol}: crossed")
                for o in v.book.orders():
                    if self._store.get(o.order_id) is not o or not o.status.is_open or o.symbol != v.symbol:
                        out.append(f"book {v.symbol}: holds order {o.order_id}, which is not open there")
            ids = self.ids.export_state()
            if ids.order < max_oid or ids.trade < max_tid or self._seq < max_seq:
                out.append("an id counter is behind an id already handed out")
            if any(a.uid > ids.uid for a in self.accounts.values()):
                out.append("the uid counter is behind a uid already handed out")
            return out

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

    def balance_texts(self, account_id: str) -> list[tuple[str, str, str]]:
        """(coin, free, locked) as plain decimal text, by coin: :meth:`balances` formatted, without Decimals."""
        with self.lock:
            return self.ledger.balance_texts(account_id)

    def _require_account(self, account_id: str) -> Account:
        acct = self.accounts.get(account_id)
        if acct is None:
            raise KeyError(account_id)
        return acct

    def forget_orders(self, account_id: str) -> None:
        """Cancel the account's open orders (their locks go back), then forget all its orders and fills."""
        with self.lock:
            for order in self._store.of_account(account_id):
                if order.status.is_open:
                    self._cancel(order)
            self._store.forget_account(account_id)

    def delete_account(self, account_id: str) -> None:
        """Close the account: orders cancelled and forgotten, its money counted as burned, its key and uid gone."""
        with self.lock:
            acct = self._require_account(account_id)
            self.forget_orders(account_id)
            if any(b.locked for b in self.ledger.balances_of(account_id).values()):
                raise LedgerError("funds still locked after cancelling every order")
            self.ledger.drop(account_id)
            if self.accounts_by_key.get(acct.api_key) is acct:
                del self.accounts_by_key[acct.api_key]
            del self.accounts[account_id]

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
            venue = self.venues.get(req.symbol) or self.venue(req.symbol)
            side, type_ = req.side, req.type
            acct = self.accounts.get(account_id) or self._require_account(account_id)
            price = req.price
            if type_ is LIMIT and price is not None:
                # The usual request in one pass: a finite, positive figure short of MAX_INTEGER_DIGITS that
                # is whole on the grid (whose places are at most MAX_DECIMALS) passes every check of
                # _to_grid. Anything else goes through _to_grid, whose order of refusals answers it.
                vol, grid = req.volume, venue.grid
                try:
                    ticks = units(price, grid.qp) if price.is_finite() and price.adjusted() < MAX_INTEGER_DIGITS else 0
                    lots = units(vol, grid.bp) if vol.is_finite() and vol.adjusted() < MAX_INTEGER_DIGITS else 0
                except ArithmeticError:  # a coefficient too long for the exact context: _to_grid refuses it
                    ticks = lots = 0
                if ticks and lots and ticks > 0 and lots > 0 and grid.qp <= MAX_DECIMALS and grid.bp <= MAX_DECIMALS:
                    return self._place_limit(acct, venue, side, ticks, lots, req.client_id)
            ticks, qty = self._to_grid(venue, side, type_, req.volume, price)
            if type_ is LIMIT:
                return self._place_limit(acct, venue, side, ticks, qty, req.client_id)
            return self._place(acct, venue, side, type_, ticks, qty, req.client_id)

    def place_ticks(
        self, account_id: str, symbol: str, side: Side, price_ticks: int, lots: int, client_id: str | None = None
    ) -> Order:
        """A limit order on the pair's grid: price in ticks (10**-quotePrecision), volume in lots (10**-basePrecision).

        The integer entry (for callers that already hold grid values, e.g. the engine benchmark):
        the same rules, locks, matching and results as :meth:`place`, minus parsing and the
        decimals checks, which integers on the grid pass by construction.
        """
        with self.lock:
            venue = self.venues.get(symbol) or self.venue(symbol)
            acct = self.accounts.get(account_id) or self._require_account(account_id)
            grid = venue.grid
            if not (
                type(price_ticks) is int
                and type(lots) is int
                and 0 < price_ticks < grid.max_ticks
                and 0 < lots < grid.max_lots
            ):
                self._refuse_steps(venue, price_ticks, lots)
            return self._place_limit(acct, venue, side, price_ticks, lots, client_id)

    @staticmethod
    def _refuse_steps(venue: Venue, price_ticks: object, lots: object) -> None:
        """The error of grid steps ``place_ticks`` does not take, price first."""
        m = venue.market
        for n, what, places in ((price_ticks, "price", m.quote_precision), (lots, "volume", m.base_precision)):
            if type(n) is not int or n <= 0:
                raise ParameterError(f"{what} must be a positive whole number of grid steps, not {n!r}")
            if n >= 10 ** (MAX_INTEGER_DIGITS + places):
                raise ParameterError(f"{what} has more than {MAX_INTEGER_DIGITS} integer digits")
        raise AssertionError("grid steps refused without a reason")  # pragma: no cover

    def _to_grid(
        self, venue: Venue, side: Side, type_: OrderType, vol: Decimal, price: Decimal | None
    ) -> tuple[int, int]:
        """The Decimal edge: (price ticks, quantity) for the integer rules, or the request's error.

        The quantity is lots, except for a market buy: its quote amount at 10**-(qp+bp).
        Checked in the order the exchange reports them: signs, then decimals.
        """
        m = venue.market
        _finite_and_bounded(vol, "volume")
        if vol <= 0:
            raise ParameterError("volume must be greater than 0")
        if type_ is LIMIT:
            if price is not None:
                _finite_and_bounded(price, "price")
            if price is None or price <= 0:
                raise ParameterError("price must be greater than 0 for a limit order")
            ticks = units(price, m.quote_precision)
            if ticks is None:
                why = f"price has more than {m.quote_precision} decimals"
                raise PricePrecisionError(why) if self.price_precision_code == "10059" else ParameterError(why)
            lots = units(vol, m.base_precision)
            if lots is None:
                raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
            return ticks, lots
        if side is BUY:
            # A market buy's volume is the quote amount to spend.
            if units(vol, m.quote_precision) is None:
                raise VolumePrecisionError(f"quote amount has more than {m.quote_precision} decimals")
            budget = units(vol, venue.grid.amount_scale)
            assert budget is not None  # on the tick grid, so on the finer amount grid
            return 0, budget
        lots = units(vol, m.base_precision)
        if lots is None:
            raise VolumePrecisionError(f"volume has more than {m.base_precision} decimals")
        return 0, lots

    def _place_limit(
        self, acct: Account, venue: Venue, side: Side, ticks: int, lots: int, client_id: str | None
    ) -> Order:
        """A limit order whose ticks and lots are positive grid steps: the pair's rules, then rest or match.

        Most placements rest without taking anything, so that case is written out here in full; the
        rules are the integer compares of :meth:`_check_rules`, which is called (and raises the
        refusal, in its order) only when one of them fails.
        """
        amount = ticks * lots
        if lots < venue.min_lots or amount < venue.min_units or amount > venue.max_units:
            self._check_rules(venue, side, LIMIT, ticks, lots)
        buy = side is BUY
        if self.price_band != "off":
            low, high = venue.band_ticks()
            if (ticks < low) if buy else (ticks > high):
                self._refuse_band(venue, side, ticks)
        if not venue.market.is_open:
            raise MarketClosed(venue.symbol)
        grid = venue.grid
        book = venue.book
        # A buy locks price x volume in quote units, a sell its lots; the fee comes out of what it receives.
        if buy:
            lock_units, lock_coin, fee_coin = amount, grid.quote, grid.base
            lock_amount = amount * grid.amount_s  # at the ledger's scale
            best = book.best_ask
            takes = best is not None and best <= ticks
        else:
            lock_units, lock_coin, fee_coin = lots, grid.base, grid.quote
            lock_amount = lots * grid.lot_s
            best = book.best_bid
            takes = best is not None and best >= ticks
        account_id = acct.account_id
        now = self.clock.now_ms()
        if not takes:
            # Nothing to take: it rests whole, NEW, locking exactly price * volume (or volume). The lock is
            # the balance check: it refuses (InsufficientBalance, as _take would) before it changes anything.
            self.ledger.lock_units(account_id, lock_coin, lock_amount)
            seq = self._seq = self._seq + 1
            # Positional, in the constructor's order (a keyword call costs a fifth more, once per placement).
            order = Order(
                self.ids.order_id(),
                account_id,
                acct.uid,
                side,
                LIMIT,
                ticks,
                lots,
                amount,
                client_id,
                now,
                seq,
                fee_coin,
                lock_units,
                grid,
            )
            self._store.add(order)
            book.add(order)
            return order
        order = Order(
            "", account_id, acct.uid, side, LIMIT, ticks, lots, amount, client_id, now, 0, fee_coin,
            lock_units, grid,
        )  # fmt: skip
        return self._take(order, venue, lock_coin, lock_amount, now)

    def _place(
        self, acct: Account, venue: Venue, side: Side, type_: OrderType, ticks: int, qty: int, client_id: str | None
    ) -> Order:
        """Any order on the grid (market orders come here; limit orders take :meth:`_place_limit`)."""
        if type_ is LIMIT:
            return self._place_limit(acct, venue, side, ticks, qty, client_id)
        m = venue.market
        grid = venue.grid
        lock_units, order_lots, quote_units = self._check_rules(venue, side, type_, ticks, qty)
        buy = side is BUY
        if not m.is_open:
            raise MarketClosed(m.symbol)
        lock_amount = lock_units * (grid.amount_s if buy else grid.lot_s)  # at the ledger's scale
        now = self.clock.now_ms()
        order = Order(
            "",
            acct.account_id,
            acct.uid,
            side,
            type_,
            ticks,
            order_lots,
            quote_units,
            client_id,
            now,
            0,
            grid.base if buy else grid.quote,
            lock_units,
            grid,
        )
        return self._take(order, venue, grid.quote if buy else grid.base, lock_amount, now)

    def _take(self, order: Order, venue: Venue, lock_coin: str, lock_amount: int, now: int) -> Order:
        """Plan the order's trades against the book, check every leg, then apply them all."""
        free = self.ledger.free_units(order.account_id, lock_coin)
        if free < lock_amount:
            needed = dec(order.locked_units, order.lock_places)
            raise InsufficientBalance(f"{lock_coin} free {self.ledger.dec(free)} < needed {needed}")
        legs, satisfied = self._plan(order, venue)
        # Nothing has changed so far; from here on every move was proved possible above.
        self._apply(order, venue, legs, satisfied, lock_coin, lock_amount, now)
        if legs:
            # After the placement is applied: a listener's own placements are placements of their own.
            symbol = venue.symbol
            for listener in venue.after_trade:
                listener(self, symbol)
            for listener in self.after_match:
                listener(self, symbol)
        return order

    def _plan(self, taker: Order, venue: Venue) -> tuple[_Legs, bool]:
        """Find the trades ``taker`` makes against the opposite side, best price first, oldest first.

        Returns the trades' legs and whether the taker is satisfied - a market order that
        stops because the book ran dry is not. Every leg is checked here; nothing is applied.
        """
        buy = taker.side is BUY
        limit = taker.type is LIMIT
        limit_price = taker.price_ticks
        opposite = SELL if buy else BUY
        book = venue.book
        best = book.best_ticks(opposite)
        if best is None or (limit and (best > limit_price if buy else best < limit_price)):
            return _NOTHING  # nothing to take: the common case of an order that rests
        plan = _Plan(taker, venue)
        market_buy = buy and not limit
        volume = taker.volume_lots
        satisfied = False
        trade = self._trade
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
                    trade(plan, maker, price, wanted)
                    satisfied = True
                    break
                trade(plan, maker, price, maker_left)
            if satisfied:
                break
        if (market_buy and plan.legs and not plan.locked) or (not market_buy and plan.deal == volume):
            satisfied = True
        return plan.legs, satisfied

    def _trade(self, plan: _Plan, maker: Order, price: int, qty: int) -> None:
        """Plan one trade of ``qty`` lots at ``price`` ticks: compute and check its legs (nothing is applied here)."""
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
        if buyer_fee > qty * plan.lot_s or seller_fee > amount * plan.amount_s:
            raise LedgerError(f"trade {qty} lots @ {price} ticks: a fee above what its side receives")
        plan.deal += qty
        plan.legs.append((maker, price, qty, amount, buyer_fee, seller_fee))

    def _apply(
        self,
        order: Order,
        venue: Venue,
        legs: _Legs,
        satisfied: bool,
        lock_coin: str,
        lock_amount: int,
        now: int,
    ) -> None:
        ledger = self.ledger
        account_id = order.account_id
        ledger.lock_units(account_id, lock_coin, lock_amount)
        seq = self._seq = self._seq + 1
        order.seq = seq
        order.order_id = self.ids.order_id()
        store = self._store
        book = venue.book
        if not legs:
            store.add(order)
            if order.type is LIMIT:
                # Nothing traded: it rests whole, already NEW and locking exactly price * volume (or volume).
                book.add(order)
            else:
                self._settle_remainder(order, book, satisfied)
            return
        grid = venue.grid
        base, quote, symbol, grid_key = grid.base, grid.quote, grid.symbol, grid.key
        qp, bp = grid.qp, grid.bp
        lot_s, amount_s = grid.lot_s, grid.amount_s
        record = venue.tape.record
        taker_buys = order.side is BUY
        buyer_role, seller_role = (_TAKER, _MAKER) if taker_buys else (_MAKER, _TAKER)
        settle = ledger.settle_units
        add_fill = store.add_fill
        next_trade_id = self.ids.trade_id
        # The taker's fills go into the store with the taker, after the loop: one list, no lookup per trade.
        taker_fills: list[FillRow] = []
        for maker, ticks, qty, amount, buyer_fee, seller_fee in legs:
            buyer, seller = (order, maker) if taker_buys else (maker, order)
            settle(
                buyer.account_id,
                seller.account_id,
                base,
                quote,
                qty * lot_s,
                amount * amount_s,
                buyer_fee,
                seller_fee,
                FEE_ACCOUNT,
            )
            buyer.locked_units -= amount
            seller.locked_units -= qty
            trade_id = next_trade_id()
            # Buyer's fill first, then the seller's; written out twice rather than looped (no tuples per trade).
            # Bare rows (see Fill): a tuple display, no constructor call.
            buyer.deal_lots += qty
            buyer.deal_units += amount
            buyer.fee_units += buyer_fee
            buyer.utime = now
            buyer_fill: FillRow = (
                trade_id,
                buyer.order_id,
                buyer.account_id,
                symbol,
                _BUY,
                ticks,
                qty,
                amount,
                buyer_fee,
                buyer.fee_coin,
                buyer_role,
                now,
                grid_key,
            )
            seller.deal_lots += qty
            seller.deal_units += amount
            seller.fee_units += seller_fee
            seller.utime = now
            seller_fill: FillRow = (
                trade_id,
                seller.order_id,
                seller.account_id,
                symbol,
                _SELL,
                ticks,
                qty,
                amount,
                seller_fee,
                seller.fee_coin,
                seller_role,
                now,
                grid_key,
            )
            if taker_buys:
                taker_fills.append(buyer_fill)
                add_fill(seller_fill)
            else:
                add_fill(buyer_fill)
                taker_fills.append(seller_fill)
            if maker.deal_lots == maker.volume_lots:
                maker.status = FILLED
                if maker.locked_units:  # a resting buy locks exactly price * left; nothing should remain
                    ledger.unlock_units(maker.account_id, maker.lock_coin, maker.locked_ledger_units)
                    maker.locked_units = 0
                book.remove(maker)
            else:
                maker.status = PARTIALLY_FILLED
            # The tape keeps Decimal (candles and the trade feed read it); the same few prices and sizes recur.
            price = _dec(ticks, qp)
            venue.traded_at(price, ticks)
            record(now, price, _dec(qty, bp))
        store.add(order, taker_fills)
        self._settle_remainder(order, book, satisfied)

    def _settle_remainder(self, order: Order, book: OrderBook, satisfied: bool) -> None:
        """After matching: rest a limit order's remainder, end a market order."""
        ledger = self.ledger
        if order.type is LIMIT:
            left = order.volume_lots - order.deal_lots
            if left == 0:
                order.status = FILLED
                if order.locked_units:  # a buy that filled below its limit price
                    ledger.unlock_units(order.account_id, order.lock_coin, order.locked_ledger_units)
                    order.locked_units = 0
                return
            if order.side is BUY:
                # Price improvement on the taking part frees the excess now, so a
                # resting buy always locks exactly price * left.
                excess = order.locked_units - order.price_ticks * left
                if excess:
                    ledger.unlock_units(order.account_id, order.quote, excess * order.grid.amount_s)
                    order.locked_units -= excess
            order.status = PARTIALLY_FILLED if order.deal_lots else NEW
            book.add(order)
            return
        # Market orders never rest: what could not be filled is released.
        if order.side is BUY:
            order.volume_lots = order.deal_lots
        if order.locked_units:
            ledger.unlock_units(order.account_id, order.lock_coin, order.locked_ledger_units)
            order.locked_units = 0
        if order.deal_lots and satisfied:
            order.status = FILLED
        elif order.deal_lots:
            order.status = PARTIALLY_CANCELED
        else:
            order.status = CANCELED

    def precheck(self, req: PlaceRequest) -> None:
        """Raise the request-level error ``place`` would raise, without changing anything.

        Placement refusals (balance, minimums) are not raised: they belong to the
        single order, not to the request.
        """
        with self.lock:
            venue = self.venue(req.symbol)
            ticks, qty = self._to_grid(venue, req.side, req.type, req.volume, req.price)
            with contextlib.suppress(PlaceRefusal):
                self._check_rules(venue, req.side, req.type, ticks, qty)

    def _check_rules(self, venue: Venue, side: Side, type_: OrderType, ticks: int, qty: int) -> tuple[int, int, int]:
        """Return (amount to lock in the order's lock units, base lots, quote amount at 10**-(qp+bp)) or raise.

        All in integers; Decimal is built only for a refusal's message.
        """
        if qty <= 0:
            raise ParameterError("volume must be greater than 0")
        if type_ is LIMIT:
            if ticks <= 0:
                raise ParameterError("price must be greater than 0 for a limit order")
            if qty < venue.min_lots:
                m = venue.market
                raise MinVolumeNotMet(f"volume {dec(qty, m.base_precision)} < minVolume {m.min_volume}")
            amount = ticks * qty
            if amount < venue.min_units:
                m = venue.market
                raise MinAmountNotMet(f"price*volume {dec(amount, venue.grid.amount_scale)} < minPrice {m.min_amount}")
            if amount > venue.max_units:
                m = venue.market
                raise MaxAmountExceeded(
                    f"price*volume {dec(amount, venue.grid.amount_scale)} > maxAmount {m.max_amount}"
                )
            if self.price_band != "off":
                low, high = venue.band_ticks()
                if (ticks < low) if side is BUY else (ticks > high):
                    self._refuse_band(venue, side, ticks)
            if side is BUY:
                return amount, qty, amount
            return qty, qty, amount
        if side is BUY:
            # A market buy's quantity is the quote amount to spend.
            if qty < venue.min_units:
                m = venue.market
                raise MinAmountNotMet(f"amount {dec(qty, venue.grid.amount_scale)} < minPrice {m.min_amount}")
            if qty > venue.max_units:
                m = venue.market
                raise MaxAmountExceeded(f"amount {dec(qty, venue.grid.amount_scale)} > maxAmount {m.max_amount}")
            return qty, 0, qty
        if qty < venue.min_lots:
            m = venue.market
            raise MinVolumeNotMet(f"volume {dec(qty, m.base_precision)} < minVolume {m.min_volume}")
        return qty, qty, 0

    def _refuse_band(self, venue: Venue, side: Side, ticks: int) -> None:
        """A limit price outside the pair's band around the last price is refused (shape: a switch)."""
        m = venue.market
        floor, ceiling = venue.band()
        price = dec(ticks, m.quote_precision)
        last = venue.last_price
        if side is BUY:
            rule = f"buy price {price} below {floor} = last {last} x (1 + minBuyPriceOffset {m.min_buy_price_offset})"
        else:
            rule = (
                f"sell price {price} above {ceiling} = last {last} x (1 + maxSellPriceOffset {m.max_sell_price_offset})"
            )
        if self.price_band == "error":
            raise ParameterError(rule)
        raise PriceOutsideBand(rule)

    def cancel(self, account_id: str, order_id: str, symbol: str | None = None) -> bool:
        """Cancel an open order of this account. Unknown, foreign or finished orders: ``False``."""
        with self.lock:
            order = self._store.get(order_id)
            if order is None or order.account_id != account_id or order.status not in OPEN:
                return False
            if symbol is not None and order.symbol != symbol.upper():
                return False
            if order.cancel_blocked_until and self.clock.now_ms() < order.cancel_blocked_until:
                return False  # a cancel by clientId left the order stuck (seen live): this cancel does nothing
            # _cancel, written out (one call fewer on a third of the benchmark's ops).
            locked = order.locked_units
            if locked:  # the unlock checks before it moves anything and is the only step that can fail
                g = order.grid
                if order.side is BUY:
                    self.ledger.unlock_units(account_id, g.quote, locked * g.amount_s)
                else:
                    self.ledger.unlock_units(account_id, g.base, locked * g.lot_s)
                order.locked_units = 0
            self.venues[order.symbol].book.remove(order)
            order.status = PARTIALLY_CANCELED if order.deal_lots else CANCELED
            order.utime = self.clock.now_ms()
            return True

    def _cancel(self, order: Order) -> None:
        # The unlock checks before it moves anything and is the only step that can fail.
        locked = order.locked_units
        if locked:
            g = order.grid
            if order.side is BUY:
                self.ledger.unlock_units(order.account_id, g.quote, locked * g.amount_s)
            else:
                self.ledger.unlock_units(order.account_id, g.base, locked * g.lot_s)
            order.locked_units = 0
        self.venues[order.symbol].book.remove(order)
        order.status = PARTIALLY_CANCELED if order.deal_lots else CANCELED
        order.utime = self.clock.now_ms()

    def cancel_by_client_id(self, account_id: str, client_id: str, symbol: str | None = None) -> int:
        """What live does with a cancel that names ``clientId``: nothing, but the order gets stuck.

        Returns how many open orders were stalled (cancels by orderId ignored for ``cancel_stall_ms``).
        """
        with self.lock:
            if not self.cancel_stall_ms:
                return 0
            until = self.clock.now_ms() + self.cancel_stall_ms
            stalled = 0
            for order in self._store.by_client(account_id, client_id):
                if order.status.is_open and (symbol is None or order.symbol == symbol.upper()):
                    order.cancel_blocked_until = until
                    stalled += 1
            return stalled

    # ----------------------------------------------------------------- queries

    def order(self, account_id: str, order_id: str) -> Order | None:
        with self.lock:
            order = self._store.get(order_id)
            return order if order is not None and order.account_id == account_id else None

    def open_orders(self, account_id: str, symbol: str, limit: int | None = None) -> list[Order]:
        """Open orders on ``symbol``, newest first; at most ``limit`` (the walk stops there)."""
        with self.lock:
            sym = symbol.upper()
            matching = (o for o in self._store.newest_first(account_id) if o.symbol == sym and o.status.is_open)
            return list(matching if limit is None else itertools.islice(matching, limit))

    def history(self, account_id: str, q: HistoryQuery) -> tuple[int, list[Order]]:
        """(total matching, the requested page), newest first."""
        with self.lock:
            sym = q.symbol.upper()
            matching = [
                o
                for o in self._store.newest_first(account_id)
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
            return self._store.fills(order_id)

    def last_price(self, symbol: str) -> Decimal:
        with self.lock:
            return self.venue(symbol).last_price

    def depth(self, symbol: str, step: Decimal, limit: int = 50) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        """(asks, bids) aggregated to multiples of ``step``; asks round up, bids down."""
        with self.lock:
            book = self.venue(symbol).book
            out: list[list[tuple[Decimal, Decimal]]] = []
            for side, rounder in ((SELL, ceil_to_step), (BUY, floor_to_step)):
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
