"""Accounts, their API keys, and the ledger of free and locked balances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import InsufficientBalance
from .money import AUDIT, ZERO, add, sub

__all__ = ["ALL_PERMISSIONS", "Account", "Balance", "Ledger", "LedgerError"]

#: Permission flags a key can carry. Endpoints name the one they need.
ALL_PERMISSIONS: frozenset[str] = frozenset({"read", "trade", "withdraw", "transfer"})


@dataclass(slots=True)
class Account:
    """A trading account reached through one api-key."""

    account_id: str
    uid: int
    api_key: str
    secret: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS
    ip_whitelist: tuple[str, ...] = ()
    label: str = ""
    system: bool = False  # fee and liquidity accounts: no key can reach them


@dataclass(slots=True)
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO


class LedgerError(RuntimeError):
    """A money move that would break an invariant (a bug, never the client's fault); nothing was applied."""


class Ledger:
    """Free and locked balances per account per coin.

    Money enters only through :meth:`mint` and leaves only through :meth:`burn`
    (admin funding and withdrawal); every other method moves it. So for every
    coin, the sum of all balances equals minted minus burned - :meth:`audit`
    checks exactly that.

    Every method computes and checks all of its legs before it changes
    anything. Inside :meth:`atomic`, a composite operation (a trade's four legs,
    a transfer and its fee, an order's whole matching run) is all-or-nothing: an
    exception anywhere puts every balance back as it was.
    """

    def __init__(self) -> None:
        self._balances: dict[str, dict[str, Balance]] = {}
        self._net_external: dict[str, Decimal] = {}
        self._undo: list[tuple[Any, ...]] | None = None

    # ------------------------------------------------------------ atomicity

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All-or-nothing for the block (nested blocks join the outermost one)."""
        started = self.begin()
        try:
            yield
        except BaseException:
            if started:
                self.abort()
            raise
        if started:
            self.commit()

    # The same as three calls, for the engine's hot path (a generator context costs more than a trade).
    def begin(self) -> bool:
        """Start recording undo steps; ``False`` when a transaction is already open (this one joins it)."""
        if self._undo is not None:
            return False
        self._undo = []
        return True

    def commit(self) -> None:
        self._undo = None

    def abort(self) -> None:
        undo, self._undo = self._undo, None
        if undo is not None:
            self._rollback(undo)

    def _rollback(self, undo: list[tuple[Any, ...]]) -> None:
        for entry in reversed(undo):
            kind = entry[0]
            if kind == "bal":
                _, bal, free, locked = entry
                bal.free, bal.locked = free, locked
            elif kind == "row":
                _, account_id, coin = entry
                coins = self._balances.get(account_id)
                if coins is not None:
                    coins.pop(coin, None)
                    if not coins:
                        del self._balances[account_id]
            elif kind == "ext":
                _, coin, old = entry
                if old is None:
                    self._net_external.pop(coin, None)
                else:
                    self._net_external[coin] = old
            elif kind == "acct":
                _, account_id, coins_before = entry
                self._balances[account_id] = coins_before

    def _set(self, bal: Balance, free: Decimal, locked: Decimal) -> None:
        if self._undo is not None:
            self._undo.append(("bal", bal, bal.free, bal.locked))
        bal.free = free
        bal.locked = locked

    def _set_external(self, coin: str, value: Decimal) -> None:
        if self._undo is not None:
            self._undo.append(("ext", coin, self._net_external.get(coin)))
        self._net_external[coin] = value

    # --------------------------------------------------------------- reads

    def balance(self, account_id: str, coin: str) -> Balance:
        coins = self._balances.get(account_id)
        if coins is None:
            coins = self._balances[account_id] = {}
        bal = coins.get(coin)
        if bal is None:
            bal = coins[coin] = Balance()
            if self._undo is not None:
                self._undo.append(("row", account_id, coin))
        return bal

    def free(self, account_id: str, coin: str) -> Decimal:
        """Free balance, without creating an entry for a coin the account never held."""
        bal = self._balances.get(account_id, {}).get(coin)
        return bal.free if bal is not None else ZERO

    def locked(self, account_id: str, coin: str) -> Decimal:
        bal = self._balances.get(account_id, {}).get(coin)
        return bal.locked if bal is not None else ZERO

    def balances_of(self, account_id: str) -> dict[str, Balance]:
        return self._balances.get(account_id, {})

    # --------------------------------------------------------------- moves

    @staticmethod
    def _positive(amount: Decimal, what: str) -> None:
        if not amount.is_finite() or amount < 0:
            raise LedgerError(f"{what}: amount {amount} is not a finite non-negative decimal")

    def mint(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Create ``amount`` of ``coin`` in the account (admin funding)."""
        self._positive(amount, "mint")
        new_free = add(self.free(account_id, coin), amount)
        new_ext = add(self._net_external.get(coin, ZERO), amount)
        bal = self.balance(account_id, coin)
        self._set(bal, new_free, bal.locked)
        self._set_external(coin, new_ext)

    def burn(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Destroy ``amount`` of free ``coin`` (admin withdrawal); raises when it is not there."""
        self._positive(amount, "burn")
        free = self.free(account_id, coin)
        if free < amount:
            raise InsufficientBalance(f"{coin} free {free} < {amount}")
        new_free = sub(free, amount)
        new_ext = sub(self._net_external.get(coin, ZERO), amount)
        bal = self.balance(account_id, coin)
        self._set(bal, new_free, bal.locked)
        self._set_external(coin, new_ext)

    def _row(self, account_id: str, coin: str) -> Balance | None:
        coins = self._balances.get(account_id)
        return coins.get(coin) if coins is not None else None

    def lock(self, account_id: str, coin: str, amount: Decimal) -> None:
        # Check before touching anything: a refused lock must not even add an empty row.
        self._positive(amount, "lock")
        bal = self._row(account_id, coin)
        free = bal.free if bal is not None else ZERO
        if free < amount:
            raise InsufficientBalance(f"{coin} free {free} < needed {amount}")
        if bal is None:
            bal = self.balance(account_id, coin)
        self._set(bal, sub(free, amount), add(bal.locked, amount))

    def unlock(self, account_id: str, coin: str, amount: Decimal) -> None:
        self._positive(amount, "unlock")
        bal = self._row(account_id, coin)
        locked = bal.locked if bal is not None else ZERO
        if locked < amount:
            raise LedgerError(f"unlock {amount} {coin} beyond locked {locked}")
        if bal is None:
            bal = self.balance(account_id, coin)
        self._set(bal, add(bal.free, amount), sub(locked, amount))

    def settle_trade(
        self,
        buyer: str,
        seller: str,
        base: str,
        quote: str,
        qty: Decimal,
        amount: Decimal,
        buyer_fee: Decimal,
        seller_fee: Decimal,
        fee_account: str,
    ) -> None:
        """One trade's legs at once: quote buyer -> seller, base seller -> buyer, each fee out of what its side gets.

        Checked before anything moves (the locks cover the amounts, each fee is at most what its side
        receives, every amount is finite and non-negative), then applied.
        """
        # The engine's own products of finite amounts: finite; only the sign needs a look.
        if qty <= 0 or amount <= 0 or buyer_fee < 0 or seller_fee < 0:
            raise LedgerError(f"trade of {qty} for {amount} (fees {buyer_fee}, {seller_fee}): not positive")
        bq, sb = self._row(buyer, quote), self._row(seller, base)
        if bq is None or bq.locked < amount:
            raise LedgerError(f"settling {amount} {quote} beyond locked {bq.locked if bq else ZERO}")
        if sb is None or sb.locked < qty:
            raise LedgerError(f"settling {qty} {base} beyond locked {sb.locked if sb else ZERO}")
        if buyer_fee > qty or seller_fee > amount:
            raise LedgerError("a fee above what its side receives")
        if self._undo is not None:  # inside a transaction: the recorded moves
            self.transfer_locked(buyer, seller, quote, amount)
            self.transfer_locked(seller, buyer, base, qty)
            if buyer_fee:
                self.transfer_free(buyer, fee_account, base, buyer_fee)
            if seller_fee:
                self.transfer_free(seller, fee_account, quote, seller_fee)
            return
        # Rows are fetched one move at a time: buyer, seller and fee account may share rows.
        bq.locked = sub(bq.locked, amount)
        sq = self.balance(seller, quote)
        sq.free = add(sq.free, amount)
        sb.locked = sub(sb.locked, qty)
        bb = self.balance(buyer, base)
        bb.free = add(bb.free, qty)
        if buyer_fee:
            bb.free = sub(bb.free, buyer_fee)
            fb = self.balance(fee_account, base)
            fb.free = add(fb.free, buyer_fee)
        if seller_fee:
            sq.free = sub(sq.free, seller_fee)
            fq = self.balance(fee_account, quote)
            fq.free = add(fq.free, seller_fee)

    def transfer_locked(self, src: str, dst: str, coin: str, amount: Decimal) -> None:
        """Move locked funds of ``src`` into the free balance of ``dst`` (settlement)."""
        self._positive(amount, "settle")
        locked = self.locked(src, coin)
        if locked < amount:
            raise LedgerError(f"settling {amount} {coin} beyond locked {locked}")
        if src == dst:
            self.unlock(src, coin, amount)
            return
        new_src_locked = sub(locked, amount)
        new_dst_free = add(self.free(dst, coin), amount)
        s = self.balance(src, coin)
        d = self.balance(dst, coin)
        self._set(s, s.free, new_src_locked)
        self._set(d, new_dst_free, d.locked)

    def transfer_free(self, src: str, dst: str, coin: str, amount: Decimal) -> None:
        self._positive(amount, "transfer")
        free = self.free(src, coin)
        if free < amount:
            raise LedgerError(f"transfer {amount} {coin} beyond free {free}")
        if src == dst:
            return
        new_src_free = sub(free, amount)
        new_dst_free = add(self.free(dst, coin), amount)
        s = self.balance(src, coin)
        d = self.balance(dst, coin)
        self._set(s, new_src_free, s.locked)
        self._set(d, new_dst_free, d.locked)

    # --------------------------------------------------------------- audit

    def totals(self) -> dict[str, Decimal]:
        """Sum of free + locked per coin over every account (in a context wide enough never to fail)."""
        out: dict[str, Decimal] = {}
        for coins in self._balances.values():
            for coin, bal in coins.items():
                out[coin] = AUDIT.add(out.get(coin, ZERO), AUDIT.add(bal.free, bal.locked))
        return out

    def audit(self) -> dict[str, Decimal]:
        """Per coin, totals minus net external flow; all zero when money is conserved."""
        totals = self.totals()
        coins = set(totals) | set(self._net_external)
        return {c: AUDIT.subtract(totals.get(c, ZERO), self._net_external.get(c, ZERO)) for c in sorted(coins)}

    def export_balances(self) -> dict[str, dict[str, Balance]]:
        """A copy of every balance row."""
        return {a: {c: Balance(b.free, b.locked) for c, b in coins.items()} for a, coins in self._balances.items()}

    def net_external(self) -> dict[str, Decimal]:
        """A copy of the net money minted minus burned, per coin."""
        return dict(self._net_external)

    def load(self, balances: dict[str, dict[str, Balance]], net_external: dict[str, Decimal]) -> None:
        """Replace every balance and the external flow (taking ownership of the rows)."""
        self._undo = None
        self._balances = {a: dict(coins) for a, coins in balances.items()}
        self._net_external = dict(net_external)

    def accounts(self) -> Iterator[str]:
        return iter(self._balances)

    def drop(self, account_id: str) -> dict[str, Balance]:
        """Forget an account's balances (its money counts as burned)."""
        coins = self._balances.get(account_id, {})
        new_ext = {
            coin: sub(self._net_external.get(coin, ZERO), add(bal.free, bal.locked)) for coin, bal in coins.items()
        }
        if self._undo is not None:
            self._undo.append(("acct", account_id, coins))
        self._balances.pop(account_id, None)
        for coin, value in new_ext.items():
            self._set_external(coin, value)
        return coins
