"""Accounts, their API keys, and the ledger of free and locked balances."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import InsufficientBalance
from .money import ZERO, add, sub

__all__ = ["ALL_PERMISSIONS", "Account", "Balance", "Ledger"]

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


class Ledger:
    """Free and locked balances per account per coin.

    Money enters only through :meth:`mint` and leaves only through :meth:`burn`
    (admin funding and withdrawal); every other method moves it. So for every
    coin, the sum of all balances equals minted minus burned - :meth:`audit`
    checks exactly that.
    """

    def __init__(self) -> None:
        self._balances: dict[str, dict[str, Balance]] = {}
        self._net_external: dict[str, Decimal] = {}

    def balance(self, account_id: str, coin: str) -> Balance:
        coins = self._balances.setdefault(account_id, {})
        bal = coins.get(coin)
        if bal is None:
            bal = coins[coin] = Balance()
        return bal

    def free(self, account_id: str, coin: str) -> Decimal:
        """Free balance, without creating an entry for a coin the account never held."""
        bal = self._balances.get(account_id, {}).get(coin)
        return bal.free if bal is not None else ZERO

    def balances_of(self, account_id: str) -> dict[str, Balance]:
        return self._balances.get(account_id, {})

    def mint(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Create ``amount`` of ``coin`` in the account (admin funding)."""
        bal = self.balance(account_id, coin)
        bal.free = add(bal.free, amount)
        self._net_external[coin] = add(self._net_external.get(coin, ZERO), amount)

    def burn(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Destroy ``amount`` of free ``coin`` (admin withdrawal); raises when it is not there."""
        if self.free(account_id, coin) < amount:
            raise InsufficientBalance(f"{coin} free {self.free(account_id, coin)} < {amount}")
        bal = self.balance(account_id, coin)
        bal.free = sub(bal.free, amount)
        self._net_external[coin] = sub(self._net_external.get(coin, ZERO), amount)

    def lock(self, account_id: str, coin: str, amount: Decimal) -> None:
        # Check before touching anything: a refused lock must not even add an empty row.
        if self.free(account_id, coin) < amount:
            raise InsufficientBalance(f"{coin} free {self.free(account_id, coin)} < needed {amount}")
        bal = self.balance(account_id, coin)
        bal.free = sub(bal.free, amount)
        bal.locked = add(bal.locked, amount)

    def unlock(self, account_id: str, coin: str, amount: Decimal) -> None:
        bal = self.balance(account_id, coin)
        assert bal.locked >= amount, "unlock beyond locked"
        bal.locked = sub(bal.locked, amount)
        bal.free = add(bal.free, amount)

    def transfer_locked(self, src: str, dst: str, coin: str, amount: Decimal) -> None:
        """Move locked funds of ``src`` into the free balance of ``dst`` (settlement)."""
        s = self.balance(src, coin)
        assert s.locked >= amount, "settling beyond locked"
        s.locked = sub(s.locked, amount)
        d = self.balance(dst, coin)
        d.free = add(d.free, amount)

    def transfer_free(self, src: str, dst: str, coin: str, amount: Decimal) -> None:
        s = self.balance(src, coin)
        assert s.free >= amount, "transfer beyond free"
        s.free = sub(s.free, amount)
        d = self.balance(dst, coin)
        d.free = add(d.free, amount)

    def totals(self) -> dict[str, Decimal]:
        """Sum of free + locked per coin over every account."""
        out: dict[str, Decimal] = {}
        for coins in self._balances.values():
            for coin, bal in coins.items():
                out[coin] = add(out.get(coin, ZERO), add(bal.free, bal.locked))
        return out

    def audit(self) -> dict[str, Decimal]:
        """Per coin, totals minus net external flow; all zero when money is conserved."""
        totals = self.totals()
        coins = set(totals) | set(self._net_external)
        return {c: sub(totals.get(c, ZERO), self._net_external.get(c, ZERO)) for c in sorted(coins)}

    def accounts(self) -> Iterator[str]:
        return iter(self._balances)

    def drop(self, account_id: str) -> dict[str, Balance]:
        """Forget an account's balances (its money counts as burned)."""
        coins = self._balances.pop(account_id, {})
        for coin, bal in coins.items():
            self._net_external[coin] = sub(self._net_external.get(coin, ZERO), add(bal.free, bal.locked))
        return coins
