"""The control plane, without HTTP: everything a test does to steer one mock exchange.

The admin routes (``mockserver.admin``) are a thin JSON skin over
:class:`Controller`; in-process tests may call it directly
(``Controller(app.state.mock)``). Every method validates its input and raises
:class:`AdminError` (an HTTP status and a message) rather than half-applying.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from .auth import PROFILES
from .counterparty import Script
from .engine import ALL_PERMISSIONS, Account, OrderType, PlaceRequest, Side
from .engine.accounts import Balance
from .engine.money import mul
from .errors import BitunixError, PlaceRefusal
from .faults import FaultRule
from .journal import JournalEntry, is_secret_header
from .snapshot import SnapshotError, dump, load
from .state import MockState

__all__ = ["BOOK_ACCOUNT", "AdminError", "Controller", "entry_json", "to_curl"]

#: The system account that owns orders seeded into a book by the admin.
BOOK_ACCOUNT = "book-seeder"


class AdminError(Exception):
    """A refused admin call: ``status`` is the HTTP status the admin route answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise AdminError(400, f"{what} must be a decimal string")
    try:
        d = Decimal(value)
    except (InvalidOperation, ValueError):
        raise AdminError(400, f"{what} must be a decimal string, not {value!r}") from None
    if not d.is_finite():
        raise AdminError(400, f"{what} must be finite")
    return d


def _int(value: Any, what: str, *, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(400, f"{what} must be an integer")
    return value


def _amount(d: Decimal) -> str:
    """Plain decimal text without trailing zeros (admin JSON is for people; the wire format is not)."""
    return format(d.normalize(), "f") if d else "0"


def _balances(b: dict[str, Balance]) -> dict[str, dict[str, str]]:
    return {coin: {"free": _amount(v.free), "locked": _amount(v.locked)} for coin, v in b.items()}


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
        "api_key": e.api_key,
        "verdict": e.verdict,
        "code": e.code,
        "detail": e.detail,
        "status": e.status,
        **e.extra,
    }
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
        }

    def accounts(self) -> list[dict[str, Any]]:
        return [self.account_json(a) for a in self.state.exchange.accounts_by_key.values()]

    def create_account(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Open an account: optional api_key, secret, label, balances, permissions, ip_whitelist."""
        known = {"api_key", "secret", "label", "balances", "permissions", "ip_whitelist"}
        unknown = set(spec) - known
        if unknown:
            raise AdminError(400, f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        balances_doc = spec.get("balances") or {}
        if not isinstance(balances_doc, dict):
            raise AdminError(400, "balances must be an object of coin -> amount")
        balances = {str(c).upper(): _decimal(v, f"balance of {c}") for c, v in balances_doc.items()}
        if any(v < 0 for v in balances.values()):
            raise AdminError(400, "balances must not be negative")
        perms = spec.get("permissions", sorted(ALL_PERMISSIONS))
        whitelist = spec.get("ip_whitelist", [])
        for name, value in (("permissions", perms), ("ip_whitelist", whitelist)):
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise AdminError(400, f"{name} must be a list of strings")
        for name in ("api_key", "secret", "label"):
            if name in spec and not isinstance(spec[name], str):
                raise AdminError(400, f"{name} must be a string")
        if "api_key" in spec and not spec["api_key"]:
            raise AdminError(400, "api_key must not be empty")
        ex = self.state.exchange
        with ex.lock:
            try:
                acct = ex.create_account(
                    api_key=spec.get("api_key"),
                    secret=spec.get("secret"),
                    label=spec.get("label", ""),
                    permissions=perms,
                    ip_whitelist=whitelist,
                    balances=balances,
                )
            except ValueError as exc:
                raise AdminError(409 if "already exists" in str(exc) else 400, str(exc)) from None
            self.state.extras.setdefault("initial_balances", {})[acct.account_id] = balances
            return self.account_json(acct)

    def orders(self, api_key: str) -> list[dict[str, Any]]:
        """The engine's view of the account's orders, oldest first (what a client should report)."""
        acct = self.account(api_key)
        with self.state.exchange.lock:
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
                for o in self.state.exchange.orders_by_account.get(acct.account_id, [])
            ]

    def reset_account(self, api_key: str) -> dict[str, Any]:
        """Cancel the account's orders, forget its history, restore its opening balances."""
        acct = self.account(api_key)
        ex, state = self.state.exchange, self.state
        with ex.lock:
            for order in list(ex.orders_by_account.get(acct.account_id, [])):
                if order.status.is_open:
                    ex.cancel(acct.account_id, order.order_id)
            for order in ex.orders_by_account.pop(acct.account_id, []):
                ex.orders.pop(order.order_id, None)
            for oid in [oid for oid, fs in ex.fills_by_order.items() if fs and fs[0].account_id == acct.account_id]:
                del ex.fills_by_order[oid]
            for coin, bal in ex.balances(acct.account_id).items():
                if bal.locked:
                    raise AdminError(500, f"{coin} still locked after cancelling every order")
                if bal.free:
                    ex.ledger.burn(acct.account_id, coin, bal.free)
            state.wallet._records = [r for r in state.wallet._records if r.account_id != acct.account_id]
            state.wallet._by_biz = {k: r for k, r in state.wallet._by_biz.items() if k[0] != acct.account_id}
            opening = state.extras.get("initial_balances", {}).get(acct.account_id)
            if opening is None and state.demo is not None and acct.account_id == state.demo.account_id:
                opening = state.config.demo_balances
            for coin, amount in (opening or {}).items():
                ex.fund(acct.account_id, coin, amount)
            state.verifier.nonces.clear(acct.api_key)
            return self.account_json(acct)

    def delete_account(self, api_key: str) -> None:
        """Close the account: its orders are cancelled and its money leaves the exchange."""
        acct = self.account(api_key)
        ex = self.state.exchange
        with ex.lock:
            for order in list(ex.orders_by_account.get(acct.account_id, [])):
                if order.status.is_open:
                    ex.cancel(acct.account_id, order.order_id)
            for coin, bal in ex.balances(acct.account_id).items():
                if bal.free:
                    ex.ledger.burn(acct.account_id, coin, bal.free)
            del ex.accounts_by_key[acct.api_key]
            self.state.verifier.nonces.clear(acct.api_key)

    def fund(self, api_key: str, coin: Any, amount: Any) -> dict[str, Any]:
        """Add to (or, negative, take from) the account's free balance."""
        acct = self.account(api_key)
        if not isinstance(coin, str) or not coin:
            raise AdminError(400, "coin must be a non-empty string")
        value = _decimal(amount, "amount")
        ex = self.state.exchange
        with ex.lock:
            if value < 0 and ex.ledger.free(acct.account_id, coin.upper()) < -value:
                raise AdminError(409, f"free {coin.upper()} is below {-value}")
            ex.fund(acct.account_id, coin, value)
            return self.account_json(acct)

    def reset(self, seed: Any = None, keep_journal: Any = False) -> dict[str, Any]:
        """A brand-new exchange (optionally with another seed)."""
        self.state.reset(seed=_int(seed, "seed"), keep_journal=bool(keep_journal))
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
            "resting": sum(len(b) for b in s.exchange.books.values()),
            "journal": len(s.journal),
            "faults": len(s.faults),
            "rate_limits": s.rate_limiter.enabled,
        }

    def snapshot(self) -> dict[str, Any]:
        return dump(self.state)

    def restore(self, doc: Any) -> dict[str, Any]:
        try:
            restored = load(self.state.config, doc)
        except SnapshotError as exc:
            raise AdminError(400, str(exc)) from None
        self.state.replace_with(restored, keep_journal=True)
        return self.status()

    def audit(self) -> dict[str, Any]:
        imbalance = self.state.exchange.audit()
        conserved = all(v == 0 for v in imbalance.values())
        return {"conserved": conserved, "imbalance": {c: _amount(v) for c, v in imbalance.items()}}

    def set_profile(self, name: Any) -> dict[str, Any]:
        if name not in PROFILES:
            raise AdminError(400, f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
        self.state.set_profile(name)
        return self.status()

    # -------------------------------------------------------------- market
    def _symbol(self, symbol: str) -> str:
        m = self.state.exchange.markets.get(symbol)
        if m is None:
            raise AdminError(404, f"no market {symbol!r}")
        return m.symbol

    def set_price(self, symbol: str, price: Any) -> dict[str, Any]:
        """Set the pair's last/reference price; synthetic liquidity re-centres around it."""
        sym = self._symbol(symbol)
        value = _decimal(price, "price")
        if value <= 0:
            raise AdminError(400, "price must be positive")
        ex, liq = self.state.exchange, self.state.liquidity
        with ex.lock:
            ex.last_prices[sym] = value
            if liq is not None:
                from .engine import LIQUIDITY_ACCOUNT

                for order in [o for o in ex.books[sym].orders() if o.account_id == LIQUIDITY_ACCOUNT]:
                    ex.cancel(LIQUIDITY_ACCOUNT, order.order_id)
                liq.replenish(ex, sym)
            return {"symbol": sym, "last_price": _amount(ex.last_prices[sym])}

    def seed_book(self, symbol: str, bids: Iterable[Any], asks: Iterable[Any]) -> dict[str, Any]:
        """Rest orders from a system account: ``bids``/``asks`` are [price, volume] pairs."""
        sym = self._symbol(symbol)
        ex = self.state.exchange
        orders: list[PlaceRequest] = []
        for side, rows in ((Side.BUY, bids), (Side.SELL, asks)):
            if not isinstance(rows, list):
                raise AdminError(400, "bids and asks must be lists of [price, volume]")
            for row in rows:
                if not isinstance(row, list) or len(row) != 2:
                    raise AdminError(400, f"each level is [price, volume], not {row!r}")
                price, volume = _decimal(row[0], "price"), _decimal(row[1], "volume")
                orders.append(PlaceRequest(sym, side, OrderType.LIMIT, volume, price))
        with ex.lock:
            for req in orders:
                try:
                    ex.precheck(req)
                except BitunixError as err:
                    what = f"{req.side.name} {req.volume}@{req.price}"
                    raise AdminError(400, f"{what}: {err.msg} ({err.detail})") from None
            if BOOK_ACCOUNT not in ex.accounts:
                ex.create_account(account_id=BOOK_ACCOUNT, api_key="", secret="", system=True, label="book seeder")
            m = ex.market(sym)
            placed = []
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
        ex = self.state.exchange
        with ex.lock:
            cancelled = [o.order_id for o in list(ex.books[sym].orders())]
            for oid in cancelled:
                ex.cancel(ex.orders[oid].account_id, oid)
            return {"symbol": sym, "cancelled": len(cancelled)}

    def book(self, symbol: str) -> dict[str, Any]:
        sym = self._symbol(symbol)
        book = self.state.exchange.books[sym]
        return {
            "bids": [[_amount(p), _amount(v)] for p, v in book.aggregated(Side.BUY)],
            "asks": [[_amount(p), _amount(v)] for p, v in book.aggregated(Side.SELL)],
        }

    def add_script(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A counterparty script for an api-key's orders (fires at once when neither trigger is given)."""
        known = {"api_key", "symbol", "order_id", "after_polls", "at_ms", "fraction"}
        unknown = set(spec) - known
        if unknown:
            raise AdminError(400, f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        acct = self.account(str(spec.get("api_key", "")))
        try:
            script = Script(
                account_id=acct.account_id,
                symbol=self._symbol(spec["symbol"]) if spec.get("symbol") else None,
                order_id=str(spec["order_id"]) if spec.get("order_id") else None,
                after_polls=_int(spec.get("after_polls"), "after_polls"),
                at_ms=_int(spec.get("at_ms"), "at_ms"),
                fraction=_decimal(spec.get("fraction", "1"), "fraction"),
            )
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        cp = self.state.counterparty
        cp.add(script)
        if script.after_polls is None and script.at_ms is None:
            cp.fire(self.state.exchange, script)
        return script.to_json()

    # --------------------------------------------------------------- clock
    def clock(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply, in order: offset_ms (runs), freeze (true: now, or at_ms), advance_ms, unfreeze."""
        known = {"offset_ms", "freeze", "at_ms", "advance_ms", "unfreeze"}
        unknown = set(spec) - known
        if unknown:
            raise AdminError(400, f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        clock = self.state.clock
        offset = _int(spec.get("offset_ms"), "offset_ms")
        at = _int(spec.get("at_ms"), "at_ms")
        advance = _int(spec.get("advance_ms"), "advance_ms")
        if offset is not None:
            clock.set_offset(offset)
        if spec.get("freeze") or at is not None:
            clock.freeze(at)
        if advance is not None:
            clock.advance(advance)
        if spec.get("unfreeze"):
            clock.unfreeze()
        return self.clock_json()

    def clock_json(self) -> dict[str, Any]:
        c = self.state.clock
        return {"now_ms": c.now_ms(), "frozen": c.frozen, "offset_ms": c.offset_ms}

    # -------------------------------------------------------------- faults
    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        names = {f.name for f in fields(FaultRule)} - {"matched", "fired"}
        unknown = set(spec) - names
        if unknown:
            raise AdminError(400, f"unknown fields {sorted(unknown)}; known: {sorted(names)}")
        try:
            rule = FaultRule(**spec)
            return self.state.faults.add(rule).to_json()
        except (TypeError, ValueError) as exc:
            raise AdminError(400, str(exc)) from None

    def faults(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.state.faults.rules()]

    def remove_fault(self, rule_id: str) -> None:
        if not self.state.faults.remove(rule_id):
            raise AdminError(404, f"no fault {rule_id!r}")

    def clear_faults(self, seed: Any = None) -> None:
        self.state.faults.clear(_int(seed, "seed"))

    def rate_limits(self, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """Read, or switch (``enabled``) and override (``per_second``: {operation: n}) the limits."""
        rl = self.state.rate_limiter
        if spec:
            unknown = set(spec) - {"enabled", "per_second"}
            if unknown:
                raise AdminError(400, f"unknown fields {sorted(unknown)}")
            overrides = spec.get("per_second", {})
            if not isinstance(overrides, dict):
                raise AdminError(400, "per_second must be an object of operation -> requests per second")
            ops = {op for op in rl.table()}
            for op, n in overrides.items():
                if op not in ops:
                    raise AdminError(400, f"unknown operation {op!r}")
                if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                    raise AdminError(400, f"per_second for {op} must be a positive integer")
            if "enabled" in spec:
                rl.enabled = bool(spec["enabled"])
            rl.overrides.update(overrides)
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
        limit: int = 100,
        bodies: bool = True,
    ) -> list[dict[str, Any]]:
        """Newest first, filtered."""
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
