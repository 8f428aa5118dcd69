"""Accounts, their API keys, and the ledger of free and locked balances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import InsufficientBalance
from .money import ZERO, dec, text, units

__all__ = ["ALL_PERMISSIONS", "MIN_SCALE", "Account", "Balance", "Ledger", "LedgerError", "futures_wallet"]

#: Permission flags a key can carry. Endpoints name the one they need.
ALL_PERMISSIONS: frozenset[str] = frozenset({"read", "trade", "withdraw", "transfer"})


def futures_wallet(account_id: str) -> str:
    """The ledger account holding ``account_id``'s futures wallet (a system account: no key of its own)."""
    return f"futures:{account_id}"


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
    """One coin of one account as Decimal: what reads and snapshots see (the ledger holds integers)."""

    free: Decimal = ZERO
    locked: Decimal = ZERO


#: The fewest decimals a ledger keeps: above the 30 an admin amount may carry, with room for a fee on it.
MIN_SCALE = 40


class LedgerError(RuntimeError):
    """A money move that would break an invariant (a bug, never the client's fault); nothing was applied."""


# A row is [free, locked] in units of 10**-scale: a two-item list is the cheapest mutable pair.
_Row = list[int]


class Ledger:
    """Free and locked balances per account per coin, as integers of 10**-``scale`` of the coin.

    ``scale`` is chosen (by the exchange) so every amount the engine forms is a whole number of
    units: trade amounts, fees (an amount times a rate), admin and wallet amounts. A Decimal that
    is not one is refused, never rounded. The ``*_units`` methods are the engine's integer path;
    the others take and give Decimal (the edge).

    Money enters only through :meth:`mint` and leaves only through :meth:`burn`
    (admin funding and withdrawal); every other method moves it. So for every
    coin, the sum of all balances equals minted minus burned - :meth:`audit`
    checks exactly that.

    Every method computes and checks all of its legs before it changes
    anything. Inside :meth:`atomic`, a composite operation (a transfer and its
    fee, an admin block) is all-or-nothing: an exception anywhere puts every
    balance back as it was.
    """

    def __init__(self, scale: int = MIN_SCALE) -> None:
        self.scale = scale
        self._balances: dict[str, dict[str, _Row]] = {}
        self._net_external: dict[str, int] = {}
        self._undo: list[tuple[Any, ...]] | None = None

    # ------------------------------------------------------------ units

    def to_units(self, amount: Decimal, what: str) -> int:
        """``amount`` in the ledger's units; :class:`LedgerError` when not finite and non-negative, or not exact."""
        if not amount.is_finite() or amount < 0:
            raise LedgerError(f"{what}: amount {amount} is not a finite non-negative decimal")
        n = units(amount, self.scale)
        if n is None:
            raise LedgerError(f"{what}: amount {amount} has more than {self.scale} decimals")
        return n

    def dec(self, n: int) -> Decimal:
        return dec(n, self.scale)

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

    # The same as three calls, for callers that cannot use a with-block.
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
                _, row, free, locked = entry
                row[0] = free
                row[1] = locked
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

    def _set(self, row: _Row, free: int, locked: int) -> None:
        if self._undo is not None:
            self._undo.append(("bal", row, row[0], row[1]))
        row[0] = free
        row[1] = locked

    def _add(self, row: _Row, free: int, locked: int) -> None:
        if self._undo is not None:
            self._undo.append(("bal", row, row[0], row[1]))
        row[0] += free
        row[1] += locked

    def _set_external(self, coin: str, value: int) -> None:
        if self._undo is not None:
            self._undo.append(("ext", coin, self._net_external.get(coin)))
        self._net_external[coin] = value

    def _row_or_new(self, account_id: str, coin: str) -> _Row:
        coins = self._balances.get(account_id)
        if coins is None:
            coins = self._balances[account_id] = {}
        row = coins.get(coin)
        if row is None:
            row = coins[coin] = [0, 0]
            if self._undo is not None:
                self._undo.append(("row", account_id, coin))
        return row

    def _row(self, account_id: str, coin: str) -> _Row | None:
        coins = self._balances.get(account_id)
        return coins.get(coin) if coins is not None else None

    # --------------------------------------------------------------- reads

    def balance(self, account_id: str, coin: str) -> Balance:
        """The row as Decimal (a copy; the row is created when the account never held the coin)."""
        row = self._row_or_new(account_id, coin)
        return Balance(dec(row[0], self.scale), dec(row[1], self.scale))

    def free_units(self, account_id: str, coin: str) -> int:
        row = self._row(account_id, coin)
        return row[0] if row is not None else 0

    def locked_units(self, account_id: str, coin: str) -> int:
        row = self._row(account_id, coin)
        return row[1] if row is not None else 0

    def free(self, account_id: str, coin: str) -> Decimal:
        """Free balance, without creating an entry for a coin the account never held."""
        return dec(self.free_units(account_id, coin), self.scale)

    def balances_of(self, account_id: str) -> dict[str, Balance]:
        """The account's rows as Decimal (copies)."""
        s = self.scale
        return {c: Balance(dec(r[0], s), dec(r[1], s)) for c, r in self._balances.get(account_id, {}).items()}

    def balance_texts(self, account_id: str) -> list[tuple[str, str, str]]:
        """The account's rows as (coin, free, locked) plain decimal text, by coin (what the account read shows)."""
        s = self.scale
        rows = self._balances.get(account_id, {})
        return [(c, text(r[0], s), text(r[1], s)) for c, r in sorted(rows.items())]

    # --------------------------------------------------------------- moves

    def mint(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Create ``amount`` of ``coin`` in the account (admin funding)."""
        n = self.to_units(amount, "mint")
        row = self._row_or_new(account_id, coin)
        self._set(row, row[0] + n, row[1])
        self._set_external(coin, self._net_external.get(coin, 0) + n)

    def burn(self, account_id: str, coin: str, amount: Decimal) -> None:
        """Destroy ``amount`` of free ``coin`` (admin withdrawal); raises when it is not there."""
        n = self.to_units(amount, "burn")
        free = self.free_units(account_id, coin)
        if free < n:
            raise InsufficientBalance(f"{coin} free {self.dec(free)} < {amount}")
        row = self._row_or_new(account_id, coin)
        self._set(row, free - n, row[1])
        self._set_external(coin, self._net_external.get(coin, 0) - n)

    def lock_units(self, account_id: str, coin: str, n: int) -> None:
        # Check before touching anything: a refused lock must not even add an empty row.
        if n < 0:
            raise LedgerError(f"lock: amount {self.dec(n)} is negative")
        row = self._row(account_id, coin)
        free = row[0] if row is not None else 0
        if free < n:
            raise InsufficientBalance(f"{coin} free {self.dec(free)} < needed {self.dec(n)}")
        self._add(row or self._row_or_new(account_id, coin), -n, n)

    def unlock_units(self, account_id: str, coin: str, n: int) -> None:
        if n < 0:
            raise LedgerError(f"unlock: amount {self.dec(n)} is negative")
        row = self._row(account_id, coin)
        locked = row[1] if row is not None else 0
        if locked < n:
            raise LedgerError(f"unlock {self.dec(n)} {coin} beyond locked {self.dec(locked)}")
        self._add(row or self._row_or_new(account_id, coin), n, -n)

    def settle_units(
        self,
        buyer: str,
        seller: str,
        base: str,
        quote: str,
        qty: int,
        amount: int,
        buyer_fee: int,
        seller_fee: int,
        fee_account: str,
    ) -> None:
        """One trade's legs at once: quote buyer -> seller, base seller -> buyer, each fee out of what its side gets.

        Checked before anything moves (the locks cover the amounts, each fee is at most what its side
        receives, every amount is non-negative), then applied.
        """
        if qty <= 0 or amount <= 0 or buyer_fee < 0 or seller_fee < 0:
            d = self.dec
            raise LedgerError(f"trade of {d(qty)} for {d(amount)} (fees {d(buyer_fee)}, {d(seller_fee)}): not positive")
        bq, sb = self._row(buyer, quote), self._row(seller, base)
        if bq is None or bq[1] < amount:
            raise LedgerError(f"settling {self.dec(amount)} {quote} beyond locked {self.dec(bq[1] if bq else 0)}")
        if sb is None or sb[1] < qty:
            raise LedgerError(f"settling {self.dec(qty)} {base} beyond locked {self.dec(sb[1] if sb else 0)}")
        if buyer_fee > qty or seller_fee > amount:
            raise LedgerError("a fee above what its side receives")
        # Moves add to rows, so they commute: rows shared by buyer, seller and fee account (a self-trade,
        # a fee account that trades) come out right whatever the order; a missing row is created once.
        row = self._row_or_new
        moves = [(bq, 0, -amount), (row(seller, quote), amount - seller_fee, 0), (sb, 0, -qty)]
        moves.append((row(buyer, base), qty - buyer_fee, 0))
        if buyer_fee:
            moves.append((row(fee_account, base), buyer_fee, 0))
        if seller_fee:
            moves.append((row(fee_account, quote), seller_fee, 0))
        undo = self._undo
        for r, free, locked in moves:
            if undo is not None:
                undo.append(("bal", r, r[0], r[1]))
            r[0] += free
            r[1] += locked

    def transfer_free(self, src: str, dst: str, coin: str, amount: Decimal) -> None:
        n = self.to_units(amount, "transfer")
        free = self.free_units(src, coin)
        if free < n:
            raise LedgerError(f"transfer {amount} {coin} beyond free {self.dec(free)}")
        if src == dst:
            return
        s = self._row_or_new(src, coin)
        self._set(s, free - n, s[1])
        d = self._row_or_new(dst, coin)
        self._set(d, d[0] + n, d[1])

    # --------------------------------------------------------------- audit

    def audit(self) -> dict[str, Decimal]:
        """Per coin, totals minus net external flow; all zero when money is conserved."""
        out: dict[str, int] = {}
        for coins in self._balances.values():
            for coin, row in coins.items():
                out[coin] = out.get(coin, 0) + row[0] + row[1]
        ext = self._net_external
        return {c: self.dec(out.get(c, 0) - ext.get(c, 0)) for c in sorted(set(out) | set(ext))}

    def export_balances(self) -> dict[str, dict[str, Balance]]:
        """A copy of every balance row, as Decimal."""
        s = self.scale
        return {
            a: {c: Balance(dec(r[0], s), dec(r[1], s)) for c, r in coins.items()} for a, coins in self._balances.items()
        }

    def net_external(self) -> dict[str, Decimal]:
        """A copy of the net money minted minus burned, per coin, as Decimal."""
        return {c: self.dec(v) for c, v in self._net_external.items()}

    def load(self, balances: dict[str, dict[str, Balance]], net_external: dict[str, Decimal]) -> None:
        """Replace every balance and the external flow; :class:`LedgerError` (nothing changed) for an inexact figure."""

        def exact(value: Decimal, where: str) -> int:
            n = units(value, self.scale) if value.is_finite() else None
            if n is None:
                raise LedgerError(f"{where}: {value} is not a whole number of 10**-{self.scale}")
            return n

        rows = {
            a: {c: [exact(b.free, f"{a} {c} free"), exact(b.locked, f"{a} {c} locked")] for c, b in coins.items()}
            for a, coins in balances.items()
        }
        ext = {c: exact(v, f"net external {c}") for c, v in net_external.items()}
        self._undo = None
        self._balances = rows
        self._net_external = ext

    def accounts(self) -> Iterator[str]:
        return iter(self._balances)

    def drop(self, account_id: str) -> dict[str, Balance]:
        """Forget an account's balances (its money counts as burned); returns them as Decimal."""
        coins = self._balances.get(account_id, {})
        new_ext = {coin: self._net_external.get(coin, 0) - row[0] - row[1] for coin, row in coins.items()}
        if self._undo is not None:
            self._undo.append(("acct", account_id, coins))
        self._balances.pop(account_id, None)
        for coin, value in new_ext.items():
            self._set_external(coin, value)
        s = self.scale
        return {c: Balance(dec(r[0], s), dec(r[1], s)) for c, r in coins.items()}
