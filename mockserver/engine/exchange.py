"""The exchange: accounts, routing to each market's matcher, cancels, compound operations and queries.

Pure Python, no HTTP. Every public method takes the exchange lock, so the engine is safe to
drive from several threads (the HTTP layer calls it from one event loop, where each call is
already atomic). A compound operation (a batch of placements, an account reset, candles read
across tape and synthetic past) is one method here, so code outside the engine never holds the
lock or touches the ledger itself.

Where the rest lives: ids in :mod:`.ids`; the state as plain data, its invariants and savepoints
in :mod:`.state`; placement, matching and settlement per market in :mod:`.matching`; each
market's rules, book, tape, last price and synthetic past in :mod:`.venue`.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn, Protocol

from ..clock import Clock
from ..errors import BitunixError, InsufficientBalance, ParameterError, PlaceRefusal
from . import state as _state
from .accounts import ALL_PERMISSIONS, MIN_SCALE, Account, Balance, Ledger, LedgerError, futures_wallet
from .futures import Contract, Futures
from .ids import IdGenerator, IdState
from .marketdata import Candle
from .markets import Market, MarketRegistry
from .matching import FEE_ACCOUNT, Matcher
from .money import MAX_INTEGER_DIGITS, add, ceil_to_step, floor_to_step
from .orders import Fill, Grid, Order, OrderStatus, OrderStore, OrderType, PlaceRequest, Side
from .state import EngineStateError, ExchangeState
from .venue import Venue, fee_places

__all__ = [
    "FEE_ACCOUNT",
    "EngineStateError",
    "Exchange",
    "ExchangeState",
    "HistoryQuery",
    "IdGenerator",
    "IdState",
]


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

#: One cancel of a batch: (order id, client id, symbol); a target without an order id is named by client id.
CancelTarget = tuple[str | None, str | None, str | None]


def ledger_scale(markets: Iterable[Market]) -> int:
    """Decimals the ledger keeps: enough that every fee (a trade amount x a pair's rate) and admin amount is whole."""
    scale = MIN_SCALE
    for m in markets:
        rate_places = max(fee_places(m.maker_fee_rate), fee_places(m.taker_fee_rate))
        scale = max(scale, m.quote_precision + m.base_precision + rate_places)
    return scale


def _refuse_steps(grid: Grid, price_ticks: object, lots: object) -> NoReturn:
    """The error of grid steps :meth:`Exchange.place_ticks` does not take, price first."""
    for n, what, bound in ((price_ticks, "price", grid.max_ticks), (lots, "volume", grid.max_lots)):
        if type(n) is not int or n <= 0:
            raise ParameterError(f"{what} must be a positive whole number of grid steps, not {n!r}")
        if n >= bound:
            raise ParameterError(f"{what} has more than {MAX_INTEGER_DIGITS} integer digits")
    raise AssertionError("grid steps refused without a reason")  # pragma: no cover


class MarketModel(Protocol):
    """A participant attached to the exchange whose own state a savepoint must restore too."""

    def export_state(self) -> Any: ...

    def load_state(self, state: Any, /) -> None: ...


class Exchange:
    """All of the mock exchange's state and rules."""

    def __init__(
        self,
        markets: list[Market],
        *,
        clock: Clock | None = None,
        seed: int = 0,
        contracts: list[Contract] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.markets = MarketRegistry(markets)
        self.seed = seed
        self.ids = IdGenerator(seed)
        self.started_ms = self.clock.now_ms()
        scale = ledger_scale(self.markets)
        self._ledger = Ledger(scale)
        self.accounts: dict[str, Account] = {}
        self.accounts_by_key: dict[str, Account] = {}
        # Each account's opening balances, which an account reset restores (not exchange state: a snapshot
        # carries them beside it).
        self._opening: dict[str, dict[str, Decimal]] = {}
        self.venues: dict[str, Venue] = {m.symbol: Venue(m, scale, seed, self.started_ms) for m in self.markets}
        self._matchers: dict[str, Matcher] = {s: Matcher(v, self) for s, v in self.venues.items()}
        self._store = OrderStore()
        # Called after a placement on any pair traded (each venue has its own list too: Venue.after_trade).
        self.after_match: list[TradeListener] = []
        # Market models with state of their own (the liquidity provider's random stream): a
        # savepoint puts it back with the exchange, since a trade inside one makes them draw.
        self.market_models: list[MarketModel] = []
        # Called with (account_id, coin, amount) after every admin funding, e.g. to list deposits.
        self.fund_listeners: list[Callable[[str, str, Decimal], None]] = []
        self._seq = 0
        self._account_seq = 0
        # Behaviours with thin evidence (mockserver.fidelity switches): set by the state from its switches.
        self.price_band = "placecode"  # placecode | error | off
        self.price_precision_code = "10059"  # 10059 | 2: the code for too many price decimals (guessed)
        self.cancel_stall_ms = 60_000  # a cancel by clientId blocks cancels of that order this long (0: never)
        self.create_account(account_id=FEE_ACCOUNT, api_key="", secret="", system=True, label="fees")
        # The futures product on the same lock, ledger, ids and clock (its state: Futures.export_state).
        self.futures = Futures(self, contracts)

    # ------------------------------------------------------------ read views

    @property
    def orders(self) -> Mapping[str, Order]:
        """Read-only: every order by id, oldest first."""
        return self._store.by_id

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

    # ------------------------------------------------------------------ state

    @contextlib.contextmanager
    def savepoint(self, *, orders: bool = True) -> Iterator[None]:
        """All-or-nothing for an admin block of several operations (see :func:`.state.savepoint`)."""
        with self.lock, _state.savepoint(self, orders=orders):
            yield

    def export_state(self) -> ExchangeState:
        """A copy of everything the exchange holds (later changes to the exchange do not show in it)."""
        with self.lock:
            return _state.export(self)

    @classmethod
    def from_state(cls, markets: list[Market], state: ExchangeState, *, clock: Clock | None = None) -> Exchange:
        """A test seam (no product code builds an exchange this way): a new exchange that is ``state``."""
        ex = cls(markets, clock=clock, seed=state.seed)
        ex.load_state(state)
        return ex

    def load_state(self, state: ExchangeState) -> None:
        """Become ``state`` (taking ownership of its objects), or raise :class:`EngineStateError` unchanged."""
        with self.lock:
            saved = _state.export(self)
            saved_futures = self.futures.export_state()
            try:
                _state.install(self, state)
                problems = _state.problems(self)
                if problems:
                    raise EngineStateError(problems[0])
            except BaseException:
                _state.install(self, saved)
                self.futures.load_state(saved_futures)
                raise

    def problems(self) -> list[str]:
        """Every broken invariant (conservation, locks, ids and counters, indexes); empty when sound."""
        with self.lock:
            return _state.problems(self)

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
        futures_balances: Mapping[str, Decimal] | None = None,
    ) -> Account:
        """Open an account reached through ``api_key`` (generated when not given).

        ``balances`` are its opening balances: funded now, and what :meth:`reset_account` restores.
        ``futures_balances`` (if any) open its futures wallet (:func:`futures_wallet`) the same way.
        """
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
            if not system:
                self._opening[acct.account_id] = dict(balances or {})
            if futures_balances and not system:
                fid = self.open_futures_wallet(acct.account_id)
                for coin, amount in futures_balances.items():
                    self.fund(fid, coin, amount)
                self._opening[fid] = dict(futures_balances)  # a system account: its opening kept by hand
            return acct

    def open_futures_wallet(self, account_id: str) -> str:
        """The ledger account of ``account_id``'s futures wallet, opened if need be.

        A system account (no key) carrying its owner's uid: opening it spends no uid, so the uids
        later accounts get do not depend on whether (or when) a futures wallet was opened.
        """
        with self.lock:
            owner = self._require_account(account_id)
            fid = futures_wallet(account_id)
            if fid not in self.accounts:
                self.accounts[fid] = Account(account_id=fid, uid=owner.uid, api_key="", secret="", system=True)
            return fid

    def _next_account_id(self) -> str:
        while True:
            self._account_seq += 1
            candidate = f"acct-{self._account_seq}"
            if candidate not in self.accounts:
                return candidate

    def account_by_key(self, api_key: str) -> Account | None:
        return self.accounts_by_key.get(api_key)

    def opening_balances(self) -> dict[str, dict[str, Decimal]]:
        """Each open account's opening balances (a copy): what a snapshot carries beside the exchange state."""
        with self.lock:
            return {a: dict(coins) for a, coins in self._opening.items() if a in self.accounts}

    def set_opening_balances(self, opening: Mapping[str, Mapping[str, Decimal]]) -> None:
        """Replace every account's opening balances (a restore's step)."""
        with self.lock:
            self._opening = {a: dict(coins) for a, coins in opening.items()}

    def fund(self, account_id: str, coin: str, amount: Decimal) -> Balance:
        """Add ``amount`` of ``coin`` to the account's free balance (negative withdraws)."""
        with self.lock:
            self._require_account(account_id)
            coin = coin.upper()
            if amount >= 0:
                self._ledger.mint(account_id, coin, amount)
            else:
                self._ledger.burn(account_id, coin, -amount)
            for listener in self.fund_listeners:
                listener(account_id, coin, amount)
            return self._ledger.balance(account_id, coin)

    def adjust_balance(
        self, account_id: str, coin: str, delta: Decimal, check: Callable[[Decimal], None] | None = None
    ) -> Balance:
        """:meth:`fund` by ``delta``, refused (nothing changed) when it would take more than is free.

        ``check`` is called with the free balance the change would leave, before anything moves; it
        raises to refuse (the caller's bounds on a balance).
        """
        with self.lock:
            self._require_account(account_id)
            coin = coin.upper()
            free = self._ledger.free(account_id, coin)
            if delta < 0 and free < -delta:
                raise InsufficientBalance(f"free {coin} is below {-delta}")
            if check is not None:
                check(add(free, delta))
            return self.fund(account_id, coin, delta)

    def reset_account(self, account_id: str) -> None:
        """Cancel and forget the account's orders, then put its balances back to its opening balances
        (its futures wallet's too, when it opened with one). Its futures orders, positions and TP/SL
        go first (:meth:`Futures.close_account`: positions closed at the mark against the house)."""
        with self.lock:
            self.futures.close_account(account_id)
            self.forget_orders(account_id)
            fid = futures_wallet(account_id)
            for wallet in (account_id, fid) if fid in self._opening and fid in self.accounts else (account_id,):
                for coin, bal in self.balances(wallet).items():
                    if bal.locked:
                        raise LedgerError(f"{coin} still locked after cancelling every order")
                    if bal.free:
                        self._ledger.burn(wallet, coin, bal.free)
                for coin, amount in self._opening.get(wallet, {}).items():
                    self.fund(wallet, coin, amount)

    def balances(self, account_id: str) -> dict[str, Balance]:
        with self.lock:
            return {c: Balance(b.free, b.locked) for c, b in sorted(self._ledger.balances_of(account_id).items())}

    def balance_texts(self, account_id: str) -> list[tuple[str, str, str]]:
        """(coin, free, locked) as plain decimal text, by coin: :meth:`balances` formatted, without Decimals."""
        with self.lock:
            return self._ledger.balance_texts(account_id)

    def _require_account(self, account_id: str) -> Account:
        acct = self.accounts.get(account_id)
        if acct is None:
            raise KeyError(account_id)
        return acct

    def forget_orders(self, account_id: str) -> None:
        """Cancel the account's open orders (their locks go back), then forget all its orders and fills."""
        with self.lock:
            now = self.clock.now_ms()
            for order in self._store.of_account(account_id):
                if order.status.is_open:
                    self._matchers[order.symbol].cancel(order, now)
            self._store.forget_account(account_id)

    def delete_account(self, account_id: str) -> None:
        """Close the account: orders cancelled and forgotten, its money counted as burned, its key and uid gone.

        Its futures orders and positions go first (:meth:`Futures.close_account`), then its futures
        wallet goes with it (money counted as burned, as the spot wallet's)."""
        with self.lock:
            acct = self._require_account(account_id)
            self.futures.close_account(account_id, forget=True)
            self.forget_orders(account_id)
            fid = futures_wallet(account_id)
            wallets = (account_id, fid) if fid in self.accounts else (account_id,)
            if any(b.locked for w in wallets for b in self._ledger.balances_of(w).values()):
                raise LedgerError("funds still locked after cancelling every order")
            if fid in self.accounts:
                self._ledger.drop(fid)
                del self.accounts[fid]
                self._opening.pop(fid, None)
            self._ledger.drop(account_id)
            if self.accounts_by_key.get(acct.api_key) is acct:
                del self.accounts_by_key[acct.api_key]
            del self.accounts[account_id]
            self._opening.pop(account_id, None)

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
            matcher = self._matchers[self.venue(req.symbol).symbol]
            acct = self._require_account(account_id)
            ticks, qty = matcher.to_grid(req.side, req.type, req.volume, req.price)
            return matcher.place(acct, req.side, req.type, ticks, qty, req.client_id)

    def place_batch(self, account_id: str, requests: Sequence[PlaceRequest | BitunixError]) -> list[Order | Exception]:
        """Place each request in turn, as one step: per request its order, or why it was refused.

        A request given as an error (refused before it reached the engine) keeps its slot. The
        refusal is the :class:`~mockserver.errors.PlaceRefusal` or the request's
        :class:`~mockserver.errors.BitunixError`; one refusal does not stop the others.
        """
        out: list[Order | Exception] = []
        with self.lock:
            for req in requests:
                if isinstance(req, BitunixError):
                    out.append(req)
                    continue
                try:
                    out.append(self.place(account_id, req))
                except (BitunixError, PlaceRefusal) as refusal:
                    out.append(refusal)
        return out

    def place_ticks(
        self, account_id: str, symbol: str, side: Side, price_ticks: int, lots: int, client_id: str | None = None
    ) -> Order:
        """A limit order on the pair's grid: price in ticks (10**-quotePrecision), volume in lots (10**-basePrecision).

        The integer entry (for callers that already hold grid values, e.g. the engine benchmark):
        the same placement path as :meth:`place`, minus parsing the Decimal figures.
        """
        with self.lock:
            matcher = self._matchers[self.venue(symbol).symbol]
            acct = self._require_account(account_id)
            grid = matcher.venue.grid
            if not (
                type(price_ticks) is int
                and type(lots) is int
                and 0 < price_ticks < grid.max_ticks
                and 0 < lots < grid.max_lots
            ):
                _refuse_steps(grid, price_ticks, lots)
            return matcher.place(acct, side, OrderType.LIMIT, price_ticks, lots, client_id)

    def precheck(self, req: PlaceRequest) -> None:
        """Raise the request-level error ``place`` would raise, without changing anything.

        Placement refusals (balance, minimums) are not raised: they belong to the
        single order, not to the request.
        """
        with self.lock:
            matcher = self._matchers[self.venue(req.symbol).symbol]
            ticks, qty = matcher.to_grid(req.side, req.type, req.volume, req.price)
            with contextlib.suppress(PlaceRefusal):
                matcher.check_rules(req.side, req.type, ticks, qty)

    def cancel(self, account_id: str, order_id: str, symbol: str | None = None) -> bool:
        """Cancel an open order of this account. Unknown, foreign or finished orders: ``False``."""
        with self.lock:
            order = self._store.get(order_id)
            if order is None or order.account_id != account_id or not order.status.is_open:
                return False
            if symbol is not None and order.symbol != symbol.upper():
                return False
            now = self.clock.now_ms()
            if order.cancel_blocked_until and now < order.cancel_blocked_until:
                return False  # a cancel by clientId left the order stuck (seen live): this cancel does nothing
            self._matchers[order.symbol].cancel(order, now)
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
            for order in self._store.by_client(account_id, client_id):
                if order.status.is_open and (symbol is None or order.symbol == symbol.upper()):
                    order.cancel_blocked_until = until
                    stalled += 1
            return stalled

    def cancel_batch(self, account_id: str, targets: Iterable[CancelTarget]) -> None:
        """Each (order id, client id, symbol) in turn, as one step: by order id, else by client id.

        Unknown ids cancel nothing and raise nothing (as the exchange answers them).
        """
        with self.lock:
            for order_id, client_id, symbol in targets:
                if order_id is not None:
                    self.cancel(account_id, order_id, symbol)
                elif client_id is not None:
                    self.cancel_by_client_id(account_id, client_id, symbol)

    def cancel_resting(self, symbol: str, account_id: str | None = None) -> int:
        """Cancel every order resting on the pair's book (only ``account_id``'s when given), as its owner would.

        Returns how many orders were resting: one a cancel by clientId left stuck stays on the book.
        """
        with self.lock:
            doomed = [o for o in self.venue(symbol).book.orders() if account_id is None or o.account_id == account_id]
            for order in doomed:
                self.cancel(order.account_id, order.order_id)
            return len(doomed)

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
        """The order's fills, oldest first; empty for another account's order or another symbol."""
        with self.lock:
            order = self.order(account_id, order_id)
            if order is None or (symbol is not None and order.symbol != symbol.upper()):
                return []
            return self._store.fills(order_id)

    def last_price(self, symbol: str) -> Decimal:
        with self.lock:
            return self.venue(symbol).last_price

    def candles(self, symbol: str, interval: str, end_ms: int, count: int) -> list[Candle]:
        """Up to ``count`` of the pair's candles opening before ``end_ms``, newest first."""
        with self.lock:
            return list(self.venue(symbol).candles(interval, end_ms, count))

    def depth(self, symbol: str, step: Decimal, limit: int = 50) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        """(asks, bids) aggregated to multiples of ``step``; asks round up, bids down."""
        with self.lock:
            book = self.venue(symbol).book
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
            return self._ledger.audit()
