"""The control plane, without HTTP: everything a test does to steer one mock exchange.

The admin routes (``mockserver.admin``) are a thin JSON skin over
:class:`Controller`; in-process tests may call it directly
(``Controller(app.state.mock)``). Every method validates its input and raises
:class:`AdminError` (an HTTP status and a message) rather than half-applying.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ..api import bounds
from ..api.faults import FaultRule
from ..api.journal import JournalEntry, is_secret_header
from ..api.products import PRODUCTS, check_operations
from ..api.verdicts import check_verdict
from ..clock import Clock
from ..engine import Account, OrderType, PlaceRequest, Side
from ..engine.accounts import Balance, LedgerError, futures_wallet
from ..engine.futures import Futures, Position
from ..engine.money import mul
from ..errors import BitunixError, InsufficientBalance, PlaceRefusal
from ..futures_errors import FInvalidLeverage, FParameterError, FuturesError, FValueNotAllowed
from .counterparty import FillRefused, Script
from .schema import (
    AccountSpec,
    BookSpec,
    ClockSpec,
    FaultSpec,
    FundingSpec,
    FundSpec,
    IndexSpec,
    LiquidateSpec,
    MarkSpec,
    OpenPositionSpec,
    PriceSpec,
    ProfileSpec,
    RateLimitSpec,
    ResetSpec,
    SchemaError,
    ScriptSpec,
    SettleSpec,
    TenantSpec,
    parse,
)
from .snapshot import SnapshotError, dump

if TYPE_CHECKING:
    from ..state import MockState
    from ..tenants import Tenants

__all__ = ["BOOK_ACCOUNT", "AdminError", "Controller", "entry_json", "to_curl"]

#: The system account that owns orders seeded into a book by the admin.
BOOK_ACCOUNT = "book-seeder"


class AdminError(Exception):
    """A refused admin call: ``status`` is the HTTP status the admin route answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


S = TypeVar("S", bound=BaseModel)


def _spec(model: type[S], doc: Any) -> S:
    """``doc`` checked against ``model``; a 400 naming the field and the rule otherwise."""
    try:
        return parse(model, {} if doc is None else doc)
    except SchemaError as exc:
        raise AdminError(400, str(exc)) from None


def _given(**values: Any) -> dict[str, Any]:
    """Keyword arguments as a body, leaving out the ones not given (``None``)."""
    return {k: v for k, v in values.items() if v is not None}


def _amount(d: Decimal) -> str:
    """Plain decimal text without trailing zeros (admin JSON is for people; the wire format is not)."""
    return format(d.normalize(), "f") if d else "0"


def _text(d: Decimal | None) -> str | None:
    return None if d is None else _amount(d)


#: Futures refusals that mean the admin input is wrong (400); any other is a state that refuses it (409).
_BAD_INPUT = (FParameterError, FValueNotAllowed, FInvalidLeverage)


def _refused(err: FuturesError) -> AdminError:
    """A futures engine refusal as the admin error: the engine's explanation and the code the API would answer."""
    status = 400 if isinstance(err, _BAD_INPUT) else 409
    return AdminError(status, f"{err.detail or err.msg} (futures code {err.code})")


def position_json(p: Position) -> dict[str, Any]:
    """An open futures position as the admin API shows it (amounts as plain decimal text, sides LONG/SHORT)."""
    return {
        "position_id": p.position_id,
        "symbol": p.symbol,
        "side": p.side,
        "qty": _amount(p.qty),
        "avg_open_price": _amount(p.avg_open_price),
        "entry_value": _amount(p.entry_value),
        "leverage": p.leverage,
        "margin_mode": p.margin_mode,
        "position_mode": p.position_mode,
        "margin": _amount(p.margin),
        "unrealized_pnl": _amount(p.unrealized_pnl),
        "realized_pnl": _amount(p.realized_pnl),
        "fee": _amount(p.fee),
        "funding": _amount(p.funding),
        "liq_price": _amount(p.liq_price),
        "margin_rate": _amount(p.margin_rate),
        "ctime": p.ctime,
        "mtime": p.mtime,
    }


def _balances(b: dict[str, Balance]) -> dict[str, dict[str, str]]:
    return {coin: {"free": _amount(v.free), "locked": _amount(v.locked)} for coin, v in b.items()}


#: The products a journal filter may name.
PRODUCT_NAMES = tuple(p.name for p in PRODUCTS)


def entry_json(e: JournalEntry, *, bodies: bool = True) -> dict[str, Any]:
    """A journal entry as JSON: bodies as UTF-8 text (invalid bytes escaped)."""
    out: dict[str, Any] = {
        "id": e.id,
        "time_ms": e.time_ms,
        "method": e.method,
        "path": e.path,
        "query": e.query,
        "headers": e.headers,
        "client": e.client,
        "operation": e.operation,
        "product": e.product,
        "api_key": e.api_key,
        "verdict": e.verdict,
        "code": e.code,
        "detail": e.detail,
        "status": e.status,
        **e.extra,
    }
    if e.tenant is not None:
        out["tenant"] = e.tenant
    if bodies:
        out["body"] = e.body.decode("utf-8", "backslashreplace")
        out["response"] = e.response.decode("utf-8", "backslashreplace")
    return out


def to_curl(e: JournalEntry, base_url: str) -> str:
    """A curl command that sends this request again.

    The ``sign`` is redacted in the journal, and nonce and timestamp would be
    stale anyway, so the line carries shell placeholders for the three: re-sign
    with your client's signer (or the reference client) before sending. Other
    credential headers (an admin token sent to an exchange path, authorization,
    cookies) are left out of the line altogether.
    """
    url = base_url.rstrip("/") + e.path + ("?" + e.query if e.query else "")
    parts = ["curl", "-sS", "-X", e.method, shlex.quote(url)]
    for name, value in e.headers.items():
        if name in ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept"):
            continue
        if name == "sign":
            value = "$SIGN"
        elif is_secret_header(name):
            continue
        elif name in ("nonce", "timestamp"):
            value = "$" + name.upper()
        parts += ["-H", shlex.quote(f"{name}: {value}") if not value.startswith("$") else f'"{name}: {value}"']
    if e.body:
        parts += ["--data-binary", shlex.quote(e.body.decode("utf-8", "backslashreplace"))]
    return " ".join(parts)


class Controller:
    """Steer one :class:`MockState`."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    # ------------------------------------------------------------- tenancy
    def account(self, api_key: str) -> Account:
        acct = self.state.exchange.account_by_key(api_key)
        if acct is None:
            raise AdminError(404, f"no account with api-key {api_key!r}")
        return acct

    def account_json(self, acct: Account) -> dict[str, Any]:
        return {
            "account_id": acct.account_id,
            "uid": acct.uid,
            "api_key": acct.api_key,
            "secret": acct.secret,
            "label": acct.label,
            "permissions": sorted(acct.permissions),
            "ip_whitelist": list(acct.ip_whitelist),
            "balances": _balances(self.state.exchange.balances(acct.account_id)),
            "futures_balances": _balances(self.state.exchange.balances(futures_wallet(acct.account_id))),
        }

    def accounts(self) -> list[dict[str, Any]]:
        return [self.account_json(a) for a in self.state.exchange.accounts_by_key.values()]

    def known_coins(self) -> set[str]:
        """Coins of the configured markets and of the coin list: the only ones a balance may hold."""
        return set(self.state.exchange.markets.coins()) | {str(c["name"]).upper() for c in self.state.coins}

    def _check_coin(self, coin: str, field: str) -> None:
        if coin not in self.known_coins():
            raise AdminError(400, f"{field}: unknown coin {coin!r}")

    def create_account(self, spec: Any) -> dict[str, Any]:
        """Open an account: optional api_key, secret, label, balances, futures_balances (absent: the server's
        default futures wallet; ``{}``: none), permissions, ip_whitelist.

        All or nothing: every field is checked first, and if the engine still refuses, no
        trace of the account remains (no key, no balance, no deposit record, no id spent).
        """
        body = _spec(AccountSpec, spec)
        for coin in body.balances:
            self._check_coin(coin, f"balances.{coin}")
        futures = self.state.config.demo_futures_balances if body.futures_balances is None else body.futures_balances
        for coin in body.futures_balances or {}:
            self._check_coin(coin, f"futures_balances.{coin}")
        ex, wallet = self.state.exchange, self.state.wallet
        if body.api_key is not None and ex.account_by_key(body.api_key) is not None:
            raise AdminError(409, f"api-key {body.api_key!r} already exists")
        try:
            with ex.savepoint(orders=False), wallet.savepoint():
                acct = ex.create_account(
                    api_key=body.api_key,
                    secret=body.secret,
                    label=body.label,
                    permissions=body.permissions,
                    ip_whitelist=body.ip_whitelist,
                    balances=body.balances,
                    futures_balances=futures,
                )
        except Exception as exc:
            if isinstance(exc, ValueError):
                raise AdminError(409 if "already exists" in str(exc) else 400, str(exc)) from None
            raise AdminError(500, f"account not created: {exc!r}") from None
        return self.account_json(acct)

    def orders(self, api_key: str) -> list[dict[str, Any]]:
        """The engine's view of the account's orders, oldest first (what a client should report)."""
        acct = self.account(api_key)
        return [
            {
                "order_id": o.order_id,
                "symbol": o.symbol,
                "side": int(o.side),
                "type": int(o.type),
                "status": int(o.status),
                "price": _amount(o.price),
                "volume": _amount(o.volume),
                "deal_volume": _amount(o.deal_volume),
                "locked": _amount(o.locked),
                "client_id": o.client_id,
            }
            for o in self.state.exchange.orders_of(acct.account_id)
        ]

    def reset_account(self, api_key: str) -> dict[str, Any]:
        """Cancel the account's orders, forget its history, restore its opening balances.

        The key's nonce memory is kept: a request accepted before the reset is still a replay after it.
        """
        acct = self.account(api_key)
        self._forget_history(acct)
        try:
            self.state.exchange.reset_account(acct.account_id)
        except LedgerError as exc:
            raise AdminError(500, str(exc)) from None
        return self.account_json(acct)

    def _forget_history(self, acct: Account) -> None:
        """Forget the account's wallet records and counterparty scripts (the engine forgets its orders and fills)."""
        state = self.state
        state.wallet.forget_history(acct.account_id)
        cp = state.counterparty
        cp.scripts = [sc for sc in cp.scripts if sc.account_id != acct.account_id]

    def delete_account(self, api_key: str) -> None:
        """Close the account for good: orders cancelled and forgotten, money gone, uid unknown.

        After this an internal transfer to its uid is refused as for a uid that never existed.
        Its nonce memory is kept until it expires (the key may be opened again).
        """
        acct = self.account(api_key)
        state = self.state
        self._forget_history(acct)
        try:
            state.exchange.delete_account(acct.account_id)
        except LedgerError as exc:
            raise AdminError(500, str(exc)) from None
        state.wallet.forget_account(acct.account_id)
        if state.demo is not None and state.demo.account_id == acct.account_id:
            state.demo = None

    def withdraw_addresses(self, api_key: str, addresses: Any = None) -> dict[str, Any]:
        """Read, or add to, the addresses the account may withdraw to (registered on the website, live)."""
        acct = self.account(api_key)
        wallet = self.state.wallet
        if addresses is not None:
            if (
                not isinstance(addresses, list)
                or not 1 <= len(addresses) <= 100
                or not all(isinstance(a, str) and 1 <= len(a) <= 128 and a.isprintable() for a in addresses)
            ):
                raise AdminError(400, "addresses: a list of 1-100 printable strings of at most 128 characters")
            if len(wallet.whitelisted(acct.account_id)) + len(addresses) > 1000:
                raise AdminError(400, "addresses: at most 1000 per account")
            wallet.whitelist(acct.account_id, addresses)
        return {"api_key": acct.api_key, "addresses": wallet.whitelisted(acct.account_id)}

    def fund(self, api_key: str, coin: Any, amount: Any) -> dict[str, Any]:
        """Add to (or, negative, take from) the account's free balance."""
        acct = self.account(api_key)
        body = _spec(FundSpec, _given(coin=coin, amount=amount))
        self._check_coin(body.coin, "coin")

        def bounded(free: Decimal) -> None:
            try:
                bounds.check_decimal(free, "amount", allow_negative=True)
            except bounds.BoundError:
                raise AdminError(400, f"amount: the {body.coin} balance would exceed 20 integer digits") from None

        try:
            self.state.exchange.adjust_balance(acct.account_id, body.coin, body.amount, bounded)
        except InsufficientBalance:
            raise AdminError(409, f"free {body.coin} is below {-body.amount}") from None
        return self.account_json(acct)

    def reset(self, seed: Any = None, keep_journal: Any = False) -> dict[str, Any]:
        """A brand-new exchange (optionally with another seed)."""
        body = _spec(ResetSpec, _given(seed=seed, keep_journal=keep_journal))
        self.state.reset(seed=body.seed, keep_journal=body.keep_journal)
        return self.status()

    def status(self) -> dict[str, Any]:
        s = self.state
        return {
            "seed": s.exchange.seed,
            "profile": s.verifier.profile.name,
            "now_ms": s.clock.now_ms(),
            "frozen": s.clock.frozen,
            "accounts": len(s.exchange.accounts_by_key),
            "orders": len(s.exchange.orders),
            "resting": sum(len(v.book) for v in s.exchange.venues.values()),
            "journal": len(s.journal),
            "faults": len(s.faults),
            "rate_limits": s.rate_limiter.enabled,
        }

    def snapshot(self) -> dict[str, Any]:
        return dump(self.state)

    def restore(self, doc: Any) -> dict[str, Any]:
        """Replace the exchange with a snapshot; a document that breaks any rule changes nothing."""
        return self.install(self.prepare_restore(doc))

    def prepare_restore(self, doc: Any) -> MockState:
        """The exchange ``doc`` describes, built beside the live one (which it does not touch)."""
        try:
            return type(self.state).restore(self.state.config, doc)
        except SnapshotError as exc:
            raise AdminError(400, str(exc)) from None

    def install(self, restored: MockState) -> dict[str, Any]:
        """Replace the live exchange with one :meth:`prepare_restore` built."""
        self.state.replace_with(restored, keep_journal=True)
        return self.status()

    def audit(self) -> dict[str, Any]:
        imbalance = self.state.exchange.audit()
        conserved = all(v == 0 for v in imbalance.values())
        return {"conserved": conserved, "imbalance": {c: _amount(v) for c, v in imbalance.items()}}

    def set_profile(self, name: Any) -> dict[str, Any]:
        body = _spec(ProfileSpec, _given(name=name))
        self.state.set_profile(body.name)
        return self.status()

    def switches(self, values: Any = None) -> dict[str, str]:
        """Read, or change at run time, the behaviours with thin evidence (the README's fidelity switches)."""
        if values:
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise AdminError(400, "body: an object of switch name -> value (strings)")
            try:
                return self.state.set_switches(values)
            except ValueError as exc:
                raise AdminError(400, str(exc)) from None
        return self.state.switches()

    # -------------------------------------------------------------- market
    def _symbol(self, symbol: str) -> str:
        m = self.state.exchange.markets.get(symbol)
        if m is None:
            raise AdminError(404, f"no market {symbol!r}")
        return m.symbol

    def set_price(self, symbol: str, price: Any) -> dict[str, Any]:
        """Set the pair's last/reference price; synthetic liquidity re-centres around it."""
        sym = self._symbol(symbol)
        value = _spec(PriceSpec, _given(price=price)).price
        ex, liq = self.state.exchange, self.state.liquidity
        ex.set_last_price(sym, value)
        if liq is not None:
            liq.recentre(sym)
        return {"symbol": sym, "last_price": _amount(ex.last_price(sym))}

    def seed_book(self, symbol: str, bids: Iterable[Any] = (), asks: Iterable[Any] = ()) -> dict[str, Any]:
        """Rest orders from a system account: ``bids``/``asks`` are [price, volume] pairs (<= 1000 a side)."""
        sym = self._symbol(symbol)
        body = _spec(
            BookSpec,
            {
                "bids": bids if isinstance(bids, list) else list(bids),
                "asks": asks if isinstance(asks, list) else list(asks),
            },
        )
        ex = self.state.exchange
        orders = [
            PlaceRequest(sym, side, OrderType.LIMIT, volume, price)
            for side, rows in ((Side.BUY, body.bids), (Side.SELL, body.asks))
            for price, volume in rows
        ]
        for req in orders:
            try:
                ex.precheck(req)
            except BitunixError as err:
                what = f"{req.side.name} {req.volume}@{req.price}"
                raise AdminError(400, f"{what}: {err.msg} ({err.detail})") from None
        m = ex.market(sym)
        placed = []
        with ex.savepoint():  # one refused level puts every level of the call back, and the seeder account
            if BOOK_ACCOUNT not in ex.accounts:
                ex.create_account(account_id=BOOK_ACCOUNT, api_key="", secret="", system=True, label="book seeder")
            for req in orders:
                assert req.price is not None
                coin, need = (m.quote, mul(req.volume, req.price)) if req.side is Side.BUY else (m.base, req.volume)
                ex.fund(BOOK_ACCOUNT, coin, need)
                try:
                    placed.append(ex.place(BOOK_ACCOUNT, req).order_id)
                except PlaceRefusal as refusal:
                    raise AdminError(400, f"refused: {refusal}") from None
        return {"symbol": sym, "order_ids": placed, "depth": self.book(sym)}

    def clear_book(self, symbol: str) -> dict[str, Any]:
        """Cancel every resting order of the pair, whoever owns it (locked funds go back)."""
        sym = self._symbol(symbol)
        return {"symbol": sym, "cancelled": self.state.exchange.cancel_resting(sym)}

    def book(self, symbol: str) -> dict[str, Any]:
        sym = self._symbol(symbol)
        book = self.state.exchange.venue(sym).book
        return {
            "bids": [[_amount(p), _amount(v)] for p, v in book.aggregated(Side.BUY)],
            "asks": [[_amount(p), _amount(v)] for p, v in book.aggregated(Side.SELL)],
        }

    def add_script(self, spec: Any) -> dict[str, Any]:
        """A counterparty script for an api-key's spot or futures orders (fires at once when neither trigger is
        given)."""
        body = _spec(ScriptSpec, spec)
        acct = self.account(body.api_key)
        if body.symbol is None:
            symbol = None
        else:
            symbol = self._contract(body.symbol) if body.product == "futures" else self._symbol(body.symbol)
        script = Script(
            account_id=acct.account_id,
            product=body.product,
            symbol=symbol,
            order_id=body.order_id,
            after_polls=body.after_polls,
            at_ms=body.at_ms,
            fraction=body.fraction,
        )
        cp = self.state.counterparty
        if script.after_polls is None and script.at_ms is None:
            # At once: the caller waits for the answer, so a fill that cannot happen is refused, not recorded.
            try:
                cp.fire(self.state.exchange, script, all_or_nothing=True)
            except FillRefused as refused:
                raise AdminError(409, str(refused)) from None
        cp.add(script)
        return script.to_json()

    # ------------------------------------------------------------- futures
    @property
    def futures(self) -> Futures:
        return self.state.exchange.futures

    def _contract(self, symbol: str) -> str:
        try:
            return self.futures.contract(symbol.upper()).symbol
        except FuturesError:
            raise AdminError(404, f"no futures contract {symbol!r}") from None

    def futures_market(self, symbol: str) -> dict[str, Any]:
        """The contract's prices and funding as the engine holds them (mark, index, last, rate, next instant)."""
        info = self.futures.funding_info(self._contract(symbol))
        return {
            "symbol": info.symbol,
            "mark_price": _amount(info.mark_price),
            "index_price": _amount(info.index_price),
            "last_price": _amount(info.last_price),
            "funding_rate": _amount(info.funding_rate),
            "funding_interval_hours": info.funding_interval,
            "next_funding_time": info.next_funding_time,
        }

    def _steer(self, symbol: str, step: Any) -> dict[str, Any]:
        sym = self._contract(symbol)
        try:
            step(sym)
        except FuturesError as err:
            raise _refused(err) from None
        return self.futures_market(sym)

    def set_mark_price(self, symbol: str, spec: Any) -> dict[str, Any]:
        """Set the mark (and whether it follows the last price); TP/SL triggers and liquidations run at once."""
        body = _spec(MarkSpec, spec)
        return self._steer(symbol, lambda s: self.futures.set_mark_price(s, body.price, follow_last=body.follow_last))

    def set_index_price(self, symbol: str, spec: Any) -> dict[str, Any]:
        body = _spec(IndexSpec, spec)
        return self._steer(symbol, lambda s: self.futures.set_index_price(s, body.price))

    def set_futures_last_price(self, symbol: str, spec: Any) -> dict[str, Any]:
        """Set the last price (and the mark, when it follows the last)."""
        body = _spec(PriceSpec, spec)
        return self._steer(symbol, lambda s: self.futures.set_last_price(s, body.price))

    def set_funding_rate(self, symbol: str, spec: Any) -> dict[str, Any]:
        """Set the current funding rate (percent per interval); ``settle``: charge it now as well."""
        body = _spec(FundingSpec, spec)

        def step(s: str) -> None:
            self.futures.set_funding_rate(s, body.rate)
            if body.settle:
                self.futures.settle_funding(s)

        with self.state.exchange.savepoint():  # a refused rate settles nothing
            return self._steer(symbol, step)

    def settle_funding(self, spec: Any = None) -> dict[str, Any]:
        """Charge funding now at the current rate, on one contract or all, as a settlement instant would."""
        body = _spec(SettleSpec, spec)
        sym = self._contract(body.symbol) if body.symbol else None
        self.futures.settle_funding(sym)
        return {"settled": [sym] if sym else [c.symbol for c in self.futures.contracts()]}

    def futures_account(self, api_key: str) -> dict[str, Any]:
        """The account's futures wallet (ledger balances and the ``account`` endpoint's summary) and positions."""
        acct = self.account(api_key)
        fut = self.futures
        summary = fut.account_summary(acct.account_id)
        return {
            "api_key": acct.api_key,
            "balances": _balances(self.state.exchange.balances(futures_wallet(acct.account_id))),
            "available": _amount(summary.available),
            "frozen": _amount(summary.frozen),
            "margin": _amount(summary.margin),
            "cross_unrealized_pnl": _amount(summary.cross_unrealized_pnl),
            "isolation_unrealized_pnl": _amount(summary.isolation_unrealized_pnl),
            "position_mode": summary.position_mode,
            "positions": self.positions(api_key),
        }

    def positions(self, api_key: str) -> list[dict[str, Any]]:
        """The account's open futures positions, oldest first."""
        acct = self.account(api_key)
        return [position_json(p) for p in reversed(self.futures.pending_positions(acct.account_id))]

    def open_position(self, api_key: str, spec: Any) -> dict[str, Any]:
        """A test position opened directly against the house account at ``price`` (default: the mark), no fee."""
        acct = self.account(api_key)
        body = _spec(OpenPositionSpec, spec)
        sym = self._contract(body.symbol)
        try:
            with self.state.exchange.savepoint():  # a refused leverage or margin mode change is put back too
                p = self.futures.open_position(
                    acct.account_id,
                    sym,
                    body.side,
                    body.qty,
                    body.price,
                    leverage=body.leverage,
                    margin_mode=body.margin_mode,
                )
        except FuturesError as err:
            raise _refused(err) from None
        return position_json(p)

    def fund_futures(self, api_key: str, spec: Any) -> dict[str, Any]:
        """Add to (or, negative, take from) the free USDT of the account's futures wallet."""
        acct = self.account(api_key)
        body = _spec(FundSpec, spec)
        if body.coin != "USDT":
            raise AdminError(400, f"coin: the futures wallet holds USDT only, not {body.coin!r}")
        free = self.state.exchange.balances(futures_wallet(acct.account_id)).get("USDT")
        have = free.free if free is not None else Decimal(0)
        if body.amount < 0 and have < -body.amount:
            raise AdminError(409, f"free futures USDT is {_amount(have)}, below {_amount(-body.amount)}")
        self.futures.fund(acct.account_id, body.amount)
        return self.futures_account(api_key)

    def liquidate(self, api_key: str, spec: Any) -> dict[str, Any]:
        """Force a liquidation by moving the mark: to the liquidation price of the account's position on the
        contract (``side`` picks one of two in hedge mode). Refused, with nothing moved, when the position has
        no liquidation price or the mark there does not liquidate it."""
        acct = self.account(api_key)
        body = _spec(LiquidateSpec, spec)
        sym = self._contract(body.symbol)
        held = [p for p in self.futures.pending_positions(acct.account_id, sym) if body.side in (None, p.side)]
        if not held:
            side = f" {body.side}" if body.side else ""
            raise AdminError(409, f"the account holds no{side} position on {sym}")
        if len(held) > 1:
            raise AdminError(400, "side: the account holds a LONG and a SHORT position: name the one (LONG or SHORT)")
        target = held[0]
        if target.liq_price <= 0:
            raise AdminError(
                409,
                f"position {target.position_id} has no liquidation price (its margin covers any mark); nothing moved",
            )
        with self.state.exchange.savepoint():
            before = self.futures_market(sym)["mark_price"]
            self.futures.set_mark_price(sym, target.liq_price, follow_last=False)
            if self.futures.pending_positions(acct.account_id, sym, target.position_id):
                raise AdminError(
                    409,
                    f"the mark at {_amount(target.liq_price)} did not liquidate position {target.position_id}; "
                    "nothing moved",
                )
        return {
            "position_id": target.position_id,
            "symbol": sym,
            "side": target.side,
            "mark_price_before": before,
            "mark_price": _amount(target.liq_price),
            "liquidated": True,
        }

    def futures_audit(self) -> dict[str, Any]:
        """The futures conservation identities (all zero when money is conserved) and the invariants broken."""
        gaps = self.futures.audit()
        problems = self.futures.problems()
        return {
            "conserved": all(v == 0 for v in gaps.values()) and not problems,
            "imbalance": {k: _amount(v) for k, v in gaps.items()},
            "problems": problems,
        }

    # --------------------------------------------------------------- clock
    def clock(self, spec: Any) -> dict[str, Any]:
        """Apply, in order: offset_ms (runs), freeze (true: now, or at_ms), advance_ms, unfreeze.

        The steps are tried on a copy first: a request that would put the clock outside
        1970..2100 is refused and the clock is left as it was.
        """
        body = _spec(ClockSpec, spec)
        clock = self.state.clock
        trial = Clock(offset_ms=clock.offset_ms, frozen_at_ms=clock.now_ms() if clock.frozen else None)
        for target in (trial, clock):
            if body.offset_ms is not None:
                target.set_offset(body.offset_ms)
            if body.freeze or body.at_ms is not None:
                target.freeze(body.at_ms)
            if body.advance_ms is not None:
                target.advance(body.advance_ms)
            if body.unfreeze:
                target.unfreeze()
            if target is trial and not bounds.time_ms_ok(trial.now_ms()):
                field = "advance_ms" if body.advance_ms is not None else "offset_ms"
                raise AdminError(400, f"{field}: the clock would leave 1970..2100")
        # Time moved: what falls due in the futures engine up to the new now happens now (funding at each
        # settlement instant passed, then the TP/SL and liquidations those payments bring), not at its next call.
        self.futures.advance(clock.now_ms())
        return self.clock_json()

    def clock_json(self) -> dict[str, Any]:
        c = self.state.clock
        return {"now_ms": c.now_ms(), "frozen": c.frozen, "offset_ms": c.offset_ms}

    # -------------------------------------------------------------- faults
    def add_fault(self, spec: Any) -> dict[str, Any]:
        body = _spec(FaultSpec, spec)
        given = body.model_dump(exclude_unset=True)
        if given.get("id") is None:
            given.pop("id", None)
        try:
            rule = FaultRule(**given)
            return self.state.faults.add(rule).to_json()
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None

    def faults(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.state.faults.rules()]

    def remove_fault(self, rule_id: str) -> None:
        if not self.state.faults.remove(rule_id):
            raise AdminError(404, f"no fault {rule_id!r}")

    def clear_faults(self, seed: Any = None) -> None:
        self.state.faults.clear(_spec(ResetSpec, _given(seed=seed)).seed)

    def rate_limits(self, spec: Any = None) -> dict[str, Any]:
        """Read, or switch (``enabled``) and override (``per_second``: {operation: n}) the limits."""
        rl = self.state.rate_limiter
        if spec:
            body = _spec(RateLimitSpec, spec)
            try:
                check_operations(body.per_second, "per_second")
            except ValueError as exc:
                raise AdminError(400, str(exc)) from None
            if body.enabled is not None:
                rl.enabled = body.enabled
            rl.overrides.update(body.per_second)
            rl.reset()
        return {"enabled": rl.enabled, "limits": rl.table()}

    # ------------------------------------------------------------- journal
    def journal(
        self,
        *,
        api_key: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        verdict: str | None = None,
        operation: str | None = None,
        path: str | None = None,
        product: str | None = None,
        limit: int = 100,
        bodies: bool = True,
    ) -> list[dict[str, Any]]:
        """Newest first, filtered; an ``operation`` no endpoint has, a ``verdict`` no entry can have, a
        ``product`` the server does not serve and a ``limit`` below 1 are refused (a typo would match
        nothing, and a test asserting on it pass)."""
        if product is not None and product not in PRODUCT_NAMES:
            raise AdminError(400, f"product: unknown product {product[:32]!r}; valid: {', '.join(PRODUCT_NAMES)}")
        try:
            if operation is not None:
                check_operations([operation], "operation")
            if verdict is not None:
                check_verdict(verdict, "verdict")
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if limit < 1:
            raise AdminError(400, f"limit: must be >= 1, got {limit}")
        out = []
        for e in reversed(list(self.state.journal)):
            if api_key is not None and e.headers.get("api-key") != api_key:
                continue
            if since_ms is not None and e.time_ms < since_ms:
                continue
            if until_ms is not None and e.time_ms > until_ms:
                continue
            if verdict is not None and e.verdict != verdict and not (verdict == "rejected" and e.verdict != "accepted"):
                continue
            if operation is not None and e.operation != operation:
                continue
            if path is not None and e.path != path:
                continue
            if product is not None and e.product != product:
                continue
            out.append(entry_json(e, bodies=bodies))
            if len(out) >= limit:
                break
        return out

    def journal_entry(self, entry_id: int) -> JournalEntry:
        for e in self.state.journal:
            if e.id == entry_id:
                return e
        kept = self.state.config.journal_size
        raise AdminError(404, f"no journal entry {entry_id} (the ring keeps the latest {kept})")

    # ------------------------------------------------------------------ tenants (mockserver.tenants)

    def _tenants(self) -> Tenants:
        tenants = self.state.tenants
        if tenants is None:
            raise AdminError(
                404,
                "a tenant has no tenants of its own: create them on the root server (POST <root url>/_mock/tenants)",
            )
        return tenants

    def create_tenant(self, spec: Any, base_url: str) -> dict[str, Any]:
        """A new tenant; ``base_url`` is the root's URL as the caller reached it (the tenant's URL extends it)."""
        tenants = self._tenants()
        return tenants.describe(tenants.create(_spec(TenantSpec, spec)), base_url)

    def tenants(self, base_url: str) -> dict[str, Any]:
        tenants = self._tenants()
        config = self.state.config
        return {
            "tenants": [tenants.describe(t, base_url) for t in tenants.all()],
            "count": len(tenants),
            "limit": config.max_tenants,
            "idle_s": config.tenant_idle_s,
        }

    def tenant(self, tenant_id: str, base_url: str) -> dict[str, Any]:
        tenants = self._tenants()
        tenant = tenants.get(tenant_id)
        if tenant is None:
            raise AdminError(404, f"no tenant {tenant_id[:40]!r} (GET /_mock/tenants lists the live ones)")
        return tenants.describe(tenant, base_url)

    def delete_tenant(self, tenant_id: str) -> None:
        if not self._tenants().delete(tenant_id):
            raise AdminError(404, f"no tenant {tenant_id[:40]!r} (GET /_mock/tenants lists the live ones)")
