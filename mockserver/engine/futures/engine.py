"""The futures engine's facade: :class:`Futures`, the one entry point (``exchange.futures``).

Pure Python, no HTTP. One :class:`Futures` per exchange, sharing its lock, ledger, id generator
and clock. The facade holds the state and the small helpers every part uses (contract lookup,
wallet, unit conversions); the work is done by the modules named for what they hold:
:mod:`.placement` (refusals, submission, cancel, modify), :mod:`.matching` (an order against its
contract's book, fills, fees), :mod:`.positions` (open/close, PnL, liquidation price, close
orders), :mod:`.settings` (leverage, margin and position mode), :mod:`.risk` (TP/SL triggers,
liquidation), :mod:`.funding` (rates, settlements, the clock's due events), :mod:`.market` and
:mod:`.queries` (reads), :mod:`.steering` (admin/test controls), :mod:`.tpsl`, :mod:`.state`.
Every public method takes the lock and first runs the mock clock's due events
(:meth:`Futures.advance`: funding settlements, TP/SL triggers, liquidations), so time-driven
effects happen exactly at the instants the clock passed.

Money. The futures wallet of account ``A`` is ledger account ``futures:A`` (coin USDT): its
``locked`` column is what open orders freeze plus what positions hold as margin, its ``free``
column the rest. Realized PnL and funding move between the wallet and the system account
``futures:clearing`` (funded once with a float, like the spot liquidity account), fees go to
``futures:fees``, liquidated positions pass to ``futures:house``. Money only moves, so the
exchange's ledger audit keeps covering it; :meth:`Futures.audit` adds the futures identities.

Every mutation checks everything it can refuse before it changes anything (plan, check, apply,
as spot's matcher does); what follows (fills, fees, margin moves) cannot fail for a client
reason: an opening fill's margin and fee were frozen in full beforehand (:mod:`.margin` holds the
rule: worst fill price, one-way credit shared by all open orders), and an order whose freeze can
no longer be kept whole is cancelled, never filled short. Only a loss beyond what is there (a
close below bankruptcy) is capped and counted as shortfall.

Choices the spec marks "no source" (confidence L; each wants a fidelity row):

* initial margin = ceil(qty x price / leverage), held per position in both margin modes;
  an opening order freezes that for the lots it may open plus the taker fee on all its lots, at
  the worst price it may fill at (spec §5.5; the rule is :mod:`.margin`'s docstring);
* a market order is an IOC limit at the edge of the ``priceProtectScope`` band around the
  mark: a buy up to mark x (1 + scope), a sell down to mark x (1 - scope) (spec §5.9);
* limit prices outside that band are refused: a buy above with 30014, a sell below with 30015;
* IOC cancels the rest, FOK cancels unless fully fillable at once, POST_ONLY is cancelled (not
  refused) if it would take; such cancels read ``CANCELED`` (spec §5.11);
* an order that would trade against a resting order of its own account stops there and its
  rest is cancelled (self-trade prevention, "cancel newest");
* one-way mode: ``tradeSide`` may be omitted; ``CLOSE`` has the hedge meaning (BUY+CLOSE closes a
  long) in both modes; a non-reduce order opposite to the position closes it and opens the rest;
* reduce-only and close orders are clipped to the position size, at placement and whenever the
  position shrinks (spec §5.12); a close order whose position is gone is cancelled;
* closing at a loss pays from the whole free wallet; a loss beyond it is absorbed by the
  clearing account and counted as ``shortfall``; an isolated position is liquidated at the mark
  or, past it in a gap, at its bankruptcy price (it loses at most its margin; the house, the
  insurance fund, takes it at that price); a cross liquidation's loss beyond the whole wallet is
  paid to the clearing account by ``futures:house``; closed positions keep the margin and
  liquidation price they had just before their last close;
* marginRate = maintenance margin / (position margin + unrealized PnL); a position is
  liquidated when margin + uPnL <= maintenance (isolated), or for cross when the wallet's free
  balance + cross margins + cross uPnL <= the cross maintenance (all cross positions go);
  liquidation closes the whole position at the mark against ``futures:house``, no fee;
* funding is charged at each settlement instant on every open position at the mark, with the
  rate current at that instant; a payer pays from free balance, then from the position's margin;
* fees are reported as positive costs; uPnL and liquidation use the mark (spec §5.6);
* attached TP/SL on ``place_order`` becomes the position's TP/SL when the order fills;
  ``modify_order``'s TP/SL legs replace the order's (a leg not sent is kept);
* a LIMIT close priced beyond its position's liquidation price is refused: a long's below it
  30002, a short's above it 30003; 10008 for too many decimals names the nearest allowed values;
* an account reset or deletion first closes its positions at the mark against the house, no fee
  (:meth:`Futures.close_account`);
* ``advance`` settles each instant passed in time order and stamps what it causes with that instant;
* the account summary's ``available`` excludes unrealized PnL by default (``wallet_identity``
  ``"exclude_upnl"``); ``"include_cross_upnl"`` adds cross uPnL (the PB reading, spec §5.3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...futures_errors import (
    FParameterError,
    FQtyAboveMax,
    FQtyTooSmall,
    FSymbolNotSupported,
    FuturesError,
)
from ..money import ZERO, dec, units
from . import funding as _funding
from . import market as _market
from . import placement as _placement
from . import queries as _queries
from . import risk as _risk
from . import settings as _settings
from . import state as _state
from . import steering as _steering
from . import tpsl as _tpsl
from .contracts import Contract, Tier, load_contracts
from .names import CLEARING_ACCOUNT, FEES_ACCOUNT, HOUSE_ACCOUNT, MARGIN_COIN, SYSTEM_FLOAT, WALLET_PREFIX, wallet_of
from .rows import (
    AccountRow,
    FillRow,
    FundingRow,
    MarketRow,
    OrderRow,
    PositionRow,
    SymbolSetting,
    TpslRow,
)
from .state import FuturesState
from .venue import Venue, ceil_div, off_grid, ratio, units_down
from .views import (
    AccountSummary,
    CancelFailure,
    ClosedPosition,
    FundingHistoryRow,
    FundingInfo,
    FuturesOrder,
    FuturesPlaceRequest,
    FuturesTrade,
    KlineRow,
    LeverageMarginMode,
    OrderQuery,
    Page,
    Position,
    PositionQuery,
    Ticker,
    TpslOrder,
    TpslRequest,
    TradeQuery,
    TradingSetting,
)

if TYPE_CHECKING:
    from ..exchange import Exchange

__all__ = ["BATCH_MAX", "EFFECTS", "KLINE_INTERVALS", "Futures"]

BATCH_MAX = _placement.BATCH_MAX
EFFECTS = _placement.EFFECTS
KLINE_INTERVALS = _market.KLINE_INTERVALS


TradeListener = Callable[["Futures", str], None]


def _shown(value: Decimal) -> str:
    """A figure for a refusal's detail, bounded (a request may send thousands of digits)."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Futures:
    """The futures product of one exchange (see the module docstring for its rules)."""

    def __init__(self, exchange: Exchange, contracts: list[Contract] | None = None) -> None:
        self.exchange = exchange
        self.lock = exchange.lock
        self.ledger = exchange._ledger
        self.ids = exchange.ids
        self.clock = exchange.clock
        self.scale = self.ledger.scale
        cs = contracts if contracts is not None else load_contracts()
        self.catalogue: dict[str, Contract] = {c.symbol: c for c in cs}
        for c in cs:
            need = c.quote_precision + c.base_precision + 12
            if need > self.scale:
                raise ValueError(f"contract {c.symbol}: the ledger keeps {self.scale} decimals, {need} needed")
        # Behaviours with thin evidence (fidelity switches set these).
        self.wallet_identity = "exclude_upnl"  # exclude_upnl | include_cross_upnl
        self.after_trade: list[TradeListener] = []
        self.market_models: list[Any] = []
        self._busy_advancing = False
        self._at_ms: int | None = None
        self._reset(exchange.seed, exchange.started_ms)

    def _reset(self, seed: int, started_ms: int) -> None:
        self.seed = seed
        self.started_ms = started_ms
        self.venues: dict[str, Venue] = {}
        for c in self.catalogue.values():
            ref = units_down(c.reference_price, c.quote_precision)
            row = MarketRow(c.symbol, ref, ref, 0, True, c.funding_rate, self._next_funding(c, started_ms))
            self.venues[c.symbol] = Venue(c, self.scale, seed, started_ms, row)
        self.accounts: dict[str, AccountRow] = {}
        self.orders: dict[str, OrderRow] = {}
        # Indexes (derived; rebuilt on load): every order per account, open orders per account and symbol,
        # so fills and reads cost what the account holds, not what the exchange ever saw.
        self.account_orders: dict[str, dict[str, OrderRow]] = {}
        self.open_index: dict[str, dict[str, dict[str, OrderRow]]] = {}
        # Orders taking liquidity right now -> the worst price they may fill at (see :mod:`.margin`).
        self.taking: dict[str, int] = {}
        self.client_ids: dict[tuple[str, str], str] = {}
        self.fills: list[FillRow] = []
        self.fills_by_order: dict[str, list[FillRow]] = {}
        self.positions: dict[str, PositionRow] = {}
        self.position_index: dict[tuple[str, str, str], str] = {}
        self.closed: list[PositionRow] = []
        self.funding_rows: dict[str, list[FundingRow]] = {s: [] for s in self.catalogue}
        self.tpsl: dict[str, TpslRow] = {}
        self.seq = 0
        self.pnl_cash: dict[str, int] = {}
        self.funding_cash: dict[str, int] = {}
        self.fee_cash: dict[str, int] = {}
        self.pnl_shortfall = 0
        self.funding_shortfall = 0

    def reset(self) -> None:
        """Forget every futures order, position and setting (the exchange's ledger is not touched)."""
        with self.lock:
            self._reset(self.exchange.seed, self.exchange.started_ms)

    def close_account(self, account_id: str, *, forget: bool = False) -> None:
        """Cancel the account's futures orders and TP/SL, close its positions at the mark against the
        house (no fee; PnL settled, margin back), and put its settings back to the defaults: what an
        account reset or deletion does first (:func:`.risk.close_account`; ``forget``: the deletion's,
        the engine forgets the account too). Unknown accounts: nothing."""
        with self.lock:
            self._tick()
            _risk.close_account(self, account_id, forget=forget)

    def ledger_accounts(self) -> set[str]:
        """Every ledger account whose balances are the futures engine's (wallets and system accounts)."""
        out = {a for a in self.ledger.accounts() if a.startswith(WALLET_PREFIX)}
        return out | {CLEARING_ACCOUNT, FEES_ACCOUNT, HOUSE_ACCOUNT}

    def fund(self, account_id: str, amount: Decimal) -> Decimal:
        """Mint ``amount`` USDT into the account's futures wallet (admin funding; the wallet is created
        on first use, as the spot wallet's transfer does); returns the wallet's free balance."""
        with self.lock:
            self._account(account_id)
            fid = wallet_of(account_id)
            self.exchange.fund(fid, MARGIN_COIN, amount)
            return self.ledger.free(fid, MARGIN_COIN)

    def _next_funding(self, c: Contract, now_ms: int) -> int:
        span = c.funding_interval_hours * _funding.HOUR_MS
        return now_ms - now_ms % span + span

    def export_state(self) -> FuturesState:
        """A copy of everything the futures engine holds."""
        with self.lock:
            return _state.export(self)

    def load_state(self, state: FuturesState) -> None:
        """Become ``state`` (the exchange's ledger is installed by the exchange's own load)."""
        with self.lock:
            _state.install(self, state)

    def problems(self) -> list[str]:
        """Every broken futures invariant; empty when sound."""
        with self.lock:
            return _state.problems(self)

    def audit(self) -> dict[str, Decimal]:
        """The futures conservation identities; all zeros when money is conserved.

        * ``ledger:USDT``: every USDT balance minus net admin funding (the exchange's audit);
        * ``clearing``: the clearing account's balance minus (its float - PnL paid - funding paid);
        * ``fees``: the futures fee account's balance minus the fees charged;
        * ``pnl``: realized PnL of every position (open and closed, house included) minus what the
          open positions' entry values owe (PnL is zero-sum: see :func:`.state.pnl_gap`).
        """
        with self.lock:
            return _state.audit(self)

    def _venue(self, symbol: str | None) -> Venue:
        v = self.venues.get((symbol or "").upper())
        if v is None:
            raise FSymbolNotSupported(f"no contract {symbol!r}")
        return v

    def _account(self, account_id: str) -> AccountRow:
        row = self.accounts.get(account_id)
        if row is None:
            if account_id not in self.exchange.accounts:
                raise KeyError(account_id)
            row = self.accounts[account_id] = AccountRow(account_id)
            # The exchange's one way to open a futures wallet (a system account with the owner's uid).
            self.exchange.open_futures_wallet(account_id)
        return row

    def _ensure_system(self) -> None:
        """The clearing, fee and house accounts, funded once on the first futures trade."""
        for acct, float_ in ((CLEARING_ACCOUNT, SYSTEM_FLOAT), (FEES_ACCOUNT, ZERO), (HOUSE_ACCOUNT, SYSTEM_FLOAT)):
            if acct not in self.exchange.accounts:
                self.exchange.create_account(account_id=acct, api_key="", secret="", system=True, label=acct)
                if float_:
                    self.exchange.fund(acct, MARGIN_COIN, float_)
        if HOUSE_ACCOUNT not in self.accounts:
            self.accounts[HOUSE_ACCOUNT] = AccountRow(HOUSE_ACCOUNT, "ONE_WAY")

    def _house_wallet(self) -> str:
        return HOUSE_ACCOUNT

    def _wallet_id(self, account_id: str) -> str:
        return HOUSE_ACCOUNT if account_id == HOUSE_ACCOUNT else wallet_of(account_id)

    # Upward calls: a trade fires TP/SL and liquidations, a fill attaches an order's TP/SL. The
    # matcher reaches them through the facade, so the modules import one another without cycles.
    def _check_risk(self, symbol: str) -> None:
        """Fire due TP/SL orders, then liquidate what the mark has put under water."""
        _risk.check_risk(self, symbol)

    def _attach_tpsl(self, o: OrderRow, position_id: str) -> None:
        """An order's attached TP/SL becomes its position's TP/SL (on the order's first fill)."""
        _tpsl.attach_from_order(self, o, position_id)

    def _check_attached_tpsl(self, v: Venue, long: bool, req: FuturesPlaceRequest) -> None:
        """Refuse place_order's attached TP/SL as the TP/SL endpoints would (before anything changes)."""
        _tpsl.check_attached(self, v, long, req)

    def _setting(self, acct: AccountRow, c: Contract) -> SymbolSetting:
        """The symbol's leverage and margin mode (the contract's defaults until changed; reading stores nothing)."""
        s = acct.settings.get(c.symbol)
        return s if s is not None else SymbolSetting(c.default_leverage, c.default_margin_mode)

    def _own_setting(self, acct: AccountRow, c: Contract) -> SymbolSetting:
        """The stored setting, created from the defaults: for a change."""
        s = acct.settings.get(c.symbol)
        if s is None:
            s = acct.settings[c.symbol] = SymbolSetting(c.default_leverage, c.default_margin_mode)
        return s

    def _index_order(self, o: OrderRow) -> None:
        """Enter a new (or loaded) order into the per-account indexes."""
        self.account_orders.setdefault(o.account_id, {})[o.order_id] = o
        if o.is_open:
            self.open_index.setdefault(o.account_id, {}).setdefault(o.symbol, {})[o.order_id] = o

    def _unindex_open(self, o: OrderRow) -> None:
        """An order is no longer open."""
        by_symbol = self.open_index.get(o.account_id)
        if by_symbol is None:
            return
        rows = by_symbol.get(o.symbol)
        if rows is not None:
            rows.pop(o.order_id, None)
            if not rows:
                del by_symbol[o.symbol]
        if not by_symbol:
            del self.open_index[o.account_id]

    def _open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderRow]:
        """The account's open orders (on ``symbol`` when given), from the index."""
        by_symbol = self.open_index.get(account_id, {})
        if symbol is not None:
            return list(by_symbol.get(symbol, {}).values())
        return [o for rows in by_symbol.values() for o in rows.values()]

    def _reindex(self) -> None:
        self.account_orders = {}
        self.open_index = {}
        self.taking = {}
        for o in self.orders.values():
            self._index_order(o)

    def _free(self, account_id: str) -> int:
        return self.ledger.free_units(self._wallet_id(account_id), MARGIN_COIN)

    def _move(self, src: str, dst: str, n: int) -> None:
        """``n`` ledger units of free USDT from ``src`` to ``dst`` (ledger accounts)."""
        if n > 0:
            self.ledger.transfer_free(src, dst, MARGIN_COIN, self.ledger.dec(n))

    def _lock(self, account_id: str, n: int) -> None:
        if n > 0:
            self.ledger.lock_units(self._wallet_id(account_id), MARGIN_COIN, n)

    def _unlock(self, account_id: str, n: int) -> None:
        if n > 0:
            self.ledger.unlock_units(self._wallet_id(account_id), MARGIN_COIN, n)

    def _now(self) -> int:
        # While advance settles an instant the clock has passed, that instant is "now" for what it causes.
        return self._at_ms if self._at_ms is not None else self.clock.now_ms()

    def _dec_price(self, v: Venue, ticks: int) -> Decimal:
        return dec(ticks, v.c.quote_precision)

    def _dec_qty(self, v: Venue, lots: int) -> Decimal:
        return dec(lots, v.c.base_precision)

    def _money(self, n: int) -> Decimal:
        return self.ledger.dec(n)

    def _ticks(self, v: Venue, price: Decimal, what: str = "price") -> int:
        if not price.is_finite() or price <= 0:
            raise FParameterError(f"{what} must be greater than 0")
        n = units(price, v.c.quote_precision)
        if n is None:
            raise off_grid(
                price, v.c.quote_precision, f"{what} {_shown(price)} has more than {v.c.quote_precision} decimals"
            )
        if n >= 10 ** (40 + v.c.quote_precision):
            raise FParameterError(f"{what} is too large")
        return n

    def _lots(self, v: Venue, qty: Decimal) -> int:
        if not qty.is_finite() or qty <= 0:
            raise FQtyTooSmall("qty must be greater than 0")
        n = units(qty, v.c.base_precision)
        if n is None:
            raise off_grid(qty, v.c.base_precision, f"qty {_shown(qty)} has more than {v.c.base_precision} decimals")
        if n >= 10 ** (40 + v.c.base_precision):
            raise FQtyAboveMax("qty is too large")
        return n

    def _margin_for(self, v: Venue, ticks: int, lots: int, leverage: int) -> int:
        return ceil_div(ticks * lots * v.amount_s, leverage)

    def _fee_for(self, v: Venue, ticks: int, lots: int, rate: Decimal) -> int:
        num, den = ratio(rate)
        n = ticks * lots * v.amount_s * num
        if n % den:
            raise AssertionError("a fee off the ledger's grid")  # the scale check at construction prevents it
        return n // den

    def _mark(self, v: Venue) -> int:
        return v.row.mark_ticks

    def _band(self, v: Venue) -> tuple[int, int]:
        """(lowest sell, highest buy) price in ticks the priceProtectScope allows around the mark."""
        num, den = ratio(v.c.price_protect_scope)
        mark = v.row.mark_ticks
        high = mark * (den + num) // den
        low = ceil_div(mark * (den - num), den)
        return max(low, 1), high

    def place(self, account_id: str, req: FuturesPlaceRequest) -> FuturesOrder:
        """Check, freeze, match, and rest (or cancel) the rest; the order as it stands after matching."""
        return _placement.place(self, account_id, req)

    def place_batch(
        self, account_id: str, symbol: str, requests: Sequence[FuturesPlaceRequest | FuturesError]
    ) -> list[FuturesOrder | FuturesError]:
        """Each request in turn (its own result; a refusal does not stop the others); >5 -> 20016."""
        return _placement.place_batch(self, account_id, symbol, requests)

    def cancel_orders(
        self, account_id: str, symbol: str, targets: Iterable[tuple[str | None, str | None]]
    ) -> tuple[list[FuturesOrder], list[CancelFailure]]:
        """Cancel each (orderId, clientId) in turn (orderId wins): (cancelled, failures)."""
        return _placement.cancel_orders(self, account_id, symbol, targets)

    def cancel_all_orders(
        self, account_id: str, symbol: str | None = None
    ) -> tuple[list[FuturesOrder], list[CancelFailure]]:
        """Cancel every open order of the account (of ``symbol`` when given)."""
        return _placement.cancel_all_orders(self, account_id, symbol)

    def modify_order(
        self,
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
        """Replace an open limit order's price and quantity (a new time priority; same ids) [L].

        The attached TP/SL fields (as ``place`` takes them) replace the order's attached legs: a leg
        sent replaces that leg, a leg not sent keeps it [L]. An order that has already filled in
        part has handed its TP/SL to its position; new legs replace the position's TP/SL then.
        """
        return _placement.modify_order(
            self,
            account_id,
            order_id=order_id,
            client_id=client_id,
            qty=qty,
            price=price,
            tp_price=tp_price,
            tp_stop_type=tp_stop_type,
            tp_order_type=tp_order_type,
            tp_order_price=tp_order_price,
            sl_price=sl_price,
            sl_stop_type=sl_stop_type,
            sl_order_type=sl_order_type,
            sl_order_price=sl_order_price,
        )

    def flash_close(self, account_id: str, position_id: str) -> str:
        """Close the whole position at market; returns its id (30004 when it does not exist)."""
        return _placement.flash_close(self, account_id, position_id)

    def close_all_positions(self, account_id: str, symbol: str | None = None) -> list[str]:
        """Close every position of the account (of ``symbol``) at market; the ids it tried."""
        return _placement.close_all_positions(self, account_id, symbol)

    def leverage_margin_mode(self, account_id: str, symbol: str) -> LeverageMarginMode:
        return _settings.leverage_margin_mode(self, account_id, symbol)

    def change_leverage(self, account_id: str, symbol: str, leverage: int) -> LeverageMarginMode:
        """Set the symbol's leverage.

        20005 outside min..max or above what a position's value allows; 20006 with open orders.
        """
        return _settings.change_leverage(self, account_id, symbol, leverage)

    def change_margin_mode(self, account_id: str, symbol: str, mode: str) -> LeverageMarginMode:
        """ISOLATION | CROSS; refused (20006) with open orders or a position on the symbol."""
        return _settings.change_margin_mode(self, account_id, symbol, mode)

    def change_position_mode(self, account_id: str, mode: str) -> str:
        """ONE_WAY | HEDGE for every symbol; 20009 while any position or open order exists."""
        return _settings.change_position_mode(self, account_id, mode)

    def position_mode(self, account_id: str) -> str:
        return _settings.position_mode(self, account_id)

    def trading_settings(self, account_id: str, symbols: Sequence[str] | None = None) -> list[TradingSetting]:
        return _settings.trading_settings(self, account_id, symbols)

    def adjust_position_margin(
        self, account_id: str, symbol: str, amount: Decimal, side: str | None = None, position_id: str | None = None
    ) -> None:
        """Add (positive) or remove (negative) isolated margin; 30004 without the position, 20003/20008 short."""
        return _settings.adjust_position_margin(self, account_id, symbol, amount, side, position_id)

    def account_summary(self, account_id: str, margin_coin: str = MARGIN_COIN) -> AccountSummary:
        """The futures wallet as the ``account`` endpoint shows it (identity: ``wallet_identity``)."""
        return _queries.account_summary(self, account_id, margin_coin)

    def transferable(self, account_id: str) -> Decimal:
        """USDT a futures->spot transfer may move now (the account summary's ``transfer``)."""
        return _queries.transferable(self, account_id)

    def pending_positions(
        self, account_id: str, symbol: str | None = None, position_id: str | None = None
    ) -> list[Position]:
        return _queries.pending_positions(self, account_id, symbol, position_id)

    def history_positions(self, account_id: str, query: PositionQuery) -> Page[ClosedPosition]:
        return _queries.history_positions(self, account_id, query)

    def order_detail(self, account_id: str, order_id: str | None = None, client_id: str | None = None) -> FuturesOrder:
        return _queries.order_detail(self, account_id, order_id, client_id)

    def pending_orders(self, account_id: str, query: OrderQuery) -> Page[FuturesOrder]:
        return _queries.pending_orders(self, account_id, query)

    def history_orders(self, account_id: str, query: OrderQuery) -> Page[FuturesOrder]:
        return _queries.history_orders(self, account_id, query)

    def history_trades(self, account_id: str, query: TradeQuery) -> Page[FuturesTrade]:
        return _queries.history_trades(self, account_id, query)

    def contracts(self) -> list[Contract]:
        return _market.contracts(self)

    def contract(self, symbol: str) -> Contract:
        return _market.contract(self, symbol)

    def tiers(self, symbol: str) -> list[Tier]:
        return _market.tiers(self, symbol)

    def tickers(self, symbols: Sequence[str] | None = None) -> list[Ticker]:
        return _market.tickers(self, symbols)

    def depth(
        self, symbol: str, limit: int | None = None
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(bids best first, asks best first) as (price, qty); ``limit`` levels per side (None: all)."""
        return _market.depth(self, symbol, limit)

    def klines(
        self, symbol: str, interval: str, end_ms: int | None = None, limit: int = 100, price_type: str = "LAST_PRICE"
    ) -> list[KlineRow]:
        """Up to ``limit`` candles opening before ``end_ms``, oldest first (tail-anchored, spec §3.1)."""
        return _market.klines(self, symbol, interval, end_ms, limit, price_type)

    def funding_info(self, symbol: str) -> FundingInfo:
        return _funding.funding_info(self, symbol)

    def funding_infos(self) -> list[FundingInfo]:
        return _funding.funding_infos(self)

    def funding_history(
        self, symbol: str, start_ms: int | None = None, end_ms: int | None = None, limit: int = 100
    ) -> list[FundingHistoryRow]:
        """Settled rates (fractions), newest first."""
        return _funding.funding_history(self, symbol, start_ms, end_ms, limit)

    def set_mark_price(self, symbol: str, price: Decimal, *, follow_last: bool = False) -> None:
        """Set the mark (and whether it follows the last price from now on); liquidations and triggers run."""
        return _steering.set_mark_price(self, symbol, price, follow_last=follow_last)

    def set_index_price(self, symbol: str, price: Decimal | None) -> None:
        """Set the index price (None: the index reads as the mark again)."""
        return _steering.set_index_price(self, symbol, price)

    def set_last_price(self, symbol: str, price: Decimal) -> None:
        """Set the last price (and the mark when it follows the last)."""
        return _steering.set_last_price(self, symbol, price)

    def set_funding_rate(self, symbol: str, rate: Decimal) -> None:
        """Set the current funding rate, in percent per interval (as the REST API reports it)."""
        return _funding.set_funding_rate(self, symbol, rate)

    def settle_funding(self, symbol: str | None = None) -> None:
        """Charge funding now at the current rate (every contract, or ``symbol``), as a settlement instant would."""
        return _funding.settle_funding(self, symbol)

    def advance(self, now_ms: int | None = None) -> None:
        """Run what is due up to ``now_ms`` (default: the clock): funding at each settlement instant
        passed, in time order, each at its instant (several at once after a long jump; a liquidation
        a settlement causes happens at that instant), then the TP/SL triggers and liquidations due
        at the current prices. Idempotent: calling it again for the same time changes nothing."""
        with self.lock:
            _funding.advance(self, self._now() if now_ms is None else now_ms)

    def _tick(self) -> None:
        _funding.advance_to(self, self._now())

    def tpsl_place(self, account_id: str, req: TpslRequest) -> TpslOrder:
        """An order-level TP/SL (``tpQty``/``slQty``, LIMIT or MARKET child)."""
        return _tpsl.tpsl_place(self, account_id, req, position_level=False)

    def position_tpsl_place(self, account_id: str, req: TpslRequest) -> TpslOrder:
        """The position's TP/SL (one per position; replaces the old one; closes it all at market)."""
        return _tpsl.tpsl_place(self, account_id, req, position_level=True)

    def tpsl_modify(self, account_id: str, order_id: str, req: TpslRequest) -> TpslOrder:
        return _tpsl.tpsl_modify(self, account_id, order_id, req)

    def position_tpsl_modify(self, account_id: str, req: TpslRequest) -> TpslOrder:
        """Replace the position's TP/SL pair (30004 without the position; placed when it has none)."""
        with self.lock:
            for t in self.tpsl.values():
                if (
                    t.position_id == req.position_id
                    and t.account_id == account_id
                    and t.kind == "POSITION_TPSL"
                    and t.status == "NEW"
                ):
                    return _tpsl.tpsl_modify(self, account_id, t.tpsl_id, req)
            return self.position_tpsl_place(account_id, req)

    def tpsl_cancel(self, account_id: str, symbol: str, order_id: str) -> str:
        return _tpsl.tpsl_cancel(self, account_id, symbol, order_id)

    def tpsl_pending(
        self, account_id: str, symbol: str | None = None, position_id: str | None = None, skip: int = 0, limit: int = 10
    ) -> list[TpslOrder]:
        return _tpsl.tpsl_pending(self, account_id, symbol, position_id, skip, limit)

    def tpsl_history(
        self,
        account_id: str,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        skip: int = 0,
        limit: int = 10,
    ) -> Page[TpslOrder]:
        return _tpsl.tpsl_history(self, account_id, symbol, start_ms, end_ms, skip, limit)

    def open_position(
        self,
        account_id: str,
        symbol: str,
        side: str,
        qty: Decimal,
        price: Decimal | None = None,
        *,
        leverage: int | None = None,
        margin_mode: str | None = None,
    ) -> Position:
        """A test position opened directly against the house account at ``price`` (default: the mark), no fee.

        Goes through the same position and margin path as a fill; refused (20003) when the wallet
        cannot hold the margin. ``side`` is LONG/SHORT (BUY/SELL accepted).
        """
        return _steering.open_position(
            self, account_id, symbol, side, qty, price, leverage=leverage, margin_mode=margin_mode
        )
