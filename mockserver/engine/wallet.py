"""The wallet side of a spot account: withdrawals, internal transfers, spot/futures transfers, deposits.

None of these endpoints has been exercised live in any source (they come from the
official docs alone), so the model is the simplest one that keeps money conserved:

* a withdrawal moves the amount from the user's free balance to the system
  account ``withdrawals`` and stays ``pending`` for ``settle_ms`` of server time
  (cancellable, refunded), then reads as ``success``;
* an internal transfer moves free funds to the account with the given uid at once;
* a spot/futures transfer moves funds to or from the account's futures wallet,
  a system account the spot API cannot see;
* deposits are the admin's funding of the account (``Exchange.fund``), listed
  with type ``deposit``, plus internal transfers received (``inside_transfer_in``).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..errors import ParameterError, WalletInsufficientBalance, WithdrawAddressNotAllowed, WithdrawBelowFee
from .accounts import futures_wallet
from .exchange import Exchange
from .futures.names import MARGIN_COIN
from .money import ZERO, decimals_of

__all__ = ["WALLET_ID_BASE", "WITHDRAWALS_ACCOUNT", "Wallet", "WalletRecord", "WalletState"]

WITHDRAWALS_ACCOUNT = "withdrawals"
WALLET_ID_BASE = 1_780_000_000_000_000_000


@dataclass(frozen=True, slots=True)
class WalletRecord:
    id: str
    type: str  # withdraw | inside_transfer_out | inside_transfer_in | deposit | spot_futures | futures_spot
    account_id: str
    coin: str
    amount: Decimal
    status: str
    ctime: int
    network: str = ""
    address: str = ""
    memo: str = ""
    out_biz_id: str | None = None
    to_type: str | None = None
    to_uid: int | None = None
    remark: str | None = None
    tx_hash: str = ""
    from_address: str = ""
    fee: Decimal = ZERO


@dataclass(slots=True)
class WalletState:
    """Everything the wallet holds, as plain data (what a snapshot saves)."""

    seq: int  # the last record number handed out
    records: list[WalletRecord]
    whitelist: dict[str, list[str]] = field(default_factory=dict)  # account id -> sorted addresses


class Wallet:
    """Wallet operations over an :class:`Exchange`'s ledger."""

    def __init__(self, exchange: Exchange, coins: list[dict[str, Any]], *, settle_ms: int = 60_000) -> None:
        self.exchange = exchange
        self.coins = {c["name"].upper(): c for c in coins}
        self.settle_ms = settle_ms
        self._records: list[WalletRecord] = []
        self._by_biz: dict[tuple[str, str], WalletRecord] = {}
        self._seq = 0
        self._whitelist: dict[str, set[str]] = {}  # account id -> addresses registered for withdrawal
        # Switches (mockserver.fidelity), set by the state: display-name networks only; whitelist enforced.
        self.network_names = "display"
        self.whitelist_on = True
        if WITHDRAWALS_ACCOUNT not in exchange.accounts:
            exchange.create_account(account_id=WITHDRAWALS_ACCOUNT, api_key="", secret="", system=True)
        exchange.fund_listeners.append(self._on_fund)

    # ------------------------------------------------------------------- state

    def export_state(self) -> WalletState:
        with self.exchange.lock:
            return WalletState(
                seq=self._seq,
                records=list(self._records),
                whitelist={acct: sorted(addrs) for acct, addrs in sorted(self._whitelist.items())},
            )

    def load_state(self, state: WalletState) -> None:
        """Become ``state``; every record and whitelist must name an account of the exchange."""
        with self.exchange.lock:
            for rec in state.records:
                if rec.account_id not in self.exchange.accounts:
                    raise ValueError(f"wallet record {rec.id}: no account {rec.account_id!r}")
            for owner in state.whitelist:
                if owner not in self.exchange.accounts:
                    raise ValueError(f"wallet.whitelist.{owner}: no such account")
            problems = self._record_problems(state.records)
            if problems:
                raise ValueError(problems[0])
            self._install(state)

    def _install(self, state: WalletState) -> None:
        self._seq = state.seq
        self._records = list(state.records)
        self._by_biz = {(r.account_id, r.out_biz_id): r for r in self._records if r.out_biz_id is not None}
        self._whitelist = {acct: set(addrs) for acct, addrs in state.whitelist.items()}

    def _record_problems(self, records: list[WalletRecord]) -> list[str]:
        """What is wrong with ``records`` against the ledger (empty when they could have come from this wallet).

        A cancel refunds a withdrawal from the ``withdrawals`` account, so that account must hold,
        coin by coin, exactly the withdrawals not cancelled; ids and (account, outBizId) are unique.
        """
        out: list[str] = []
        ids: set[tuple[str, str]] = set()
        biz: set[tuple[str, str]] = set()
        owed: dict[str, Decimal] = {}
        for rec in records:
            # An internal transfer's two sides (out and in) share one id; nothing else does.
            if (rec.id, rec.type) in ids:
                out.append(f"wallet record id {rec.id} appears twice")
            ids.add((rec.id, rec.type))
            if rec.out_biz_id is not None and rec.type != "inside_transfer_in":
                key = (rec.account_id, rec.out_biz_id)
                if key in biz:
                    out.append(f"wallet record {rec.id}: outBizId {rec.out_biz_id!r} repeats for {rec.account_id}")
                biz.add(key)
            if rec.amount <= 0:
                out.append(f"wallet record {rec.id}: amount {rec.amount} is not positive")
            if rec.type == "withdraw" and rec.status != "cancelled":
                owed[rec.coin] = owed.get(rec.coin, ZERO) + rec.amount
        held = self.exchange._ledger.balances_of(WITHDRAWALS_ACCOUNT)
        for coin in sorted(set(owed) | {c for c, b in held.items() if b.free or b.locked}):
            bal = held.get(coin)
            free, locked = (bal.free, bal.locked) if bal is not None else (ZERO, ZERO)
            if free != owed.get(coin, ZERO) or locked:
                out.append(
                    f"wallet: withdrawals not cancelled total {owed.get(coin, ZERO)} {coin}, "
                    f"but the withdrawals account holds {free} free and {locked} locked"
                )
        return out

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """An exception inside forgets the records added and the numbers spent meanwhile."""
        with self.exchange.lock:
            saved = self.export_state()
            try:
                yield
            except BaseException:
                # What was saved was this wallet's own state: put it back as it was, unchecked,
                # since the ledger may not have been rolled back yet.
                self._install(saved)
                raise

    def forget_history(self, account_id: str) -> None:
        """Forget the account's records (the whitelist stays: see :meth:`forget_account`).

        The ``withdrawals`` account holds exactly the withdrawals not cancelled; a forgotten
        withdrawal can no longer be cancelled, so its money leaves the exchange now (burned:
        the net external flow falls by it), as it would once the chain took it.
        """
        with self.exchange.lock:
            ledger = self.exchange._ledger
            for r in self._records:
                if r.account_id == account_id and r.type == "withdraw" and r.status != "cancelled":
                    ledger.burn(WITHDRAWALS_ACCOUNT, r.coin, r.amount)
            self._records = [r for r in self._records if r.account_id != account_id]
            self._by_biz = {k: r for k, r in self._by_biz.items() if k[0] != account_id}

    # ----------------------------------------------------------------- helpers

    def _next_id(self) -> str:
        self._seq += 1
        return str(WALLET_ID_BASE + self._seq)  # 19 digits, as the docs' examples

    def _now(self) -> int:
        return self.exchange.clock.now_ms()

    def _status(self, r: WalletRecord) -> str:
        if r.type == "withdraw" and r.status == "pending" and self._now() >= r.ctime + self.settle_ms:
            return "success"
        return r.status

    def _coin(self, coin: str) -> dict[str, Any]:
        row = self.coins.get(coin.upper())
        if row is None:
            raise ParameterError(f"unknown coin {coin!r}")
        return row

    def _network(self, coin_row: dict[str, Any], network: str) -> dict[str, Any]:
        """The network by its documented display name ('Tron (TRC-20)'); short codes only when lenient."""
        for n in coin_row["networks"]:
            if n["network"] == network:
                return dict(n)
        if self.network_names == "lenient":
            for n in coin_row["networks"]:
                aliases = [a.upper() for a in n.get("mock", {}).get("aliases", ())]
                if network.upper() in aliases or n["network"].upper() == network.upper():
                    return dict(n)
        known = ", ".join(repr(n["network"]) for n in coin_row["networks"])
        raise ParameterError(f"network {network!r} not available for {coin_row['name']} (networks: {known})")

    @staticmethod
    def _check_amount(amount: Decimal, places: int, what: str = "amount") -> None:
        """Refuse zero, negative and dust: every wallet amount fits the coin's precision."""
        if amount <= 0:
            raise ParameterError(f"{what} must be greater than 0")
        if decimals_of(amount) > places:
            raise ParameterError(f"{what} has more than {places} decimals (the coin's precision)")

    @staticmethod
    def coin_precision(coin_row: dict[str, Any]) -> int:
        """Decimals a coin moves with inside the exchange: the finest of its networks."""
        nets = [int(n.get("contractPrecision", 8)) for n in coin_row.get("networks", [])]
        return max(nets) if nets else int(coin_row.get("quotePrecision", 8))

    def _require_free(self, account_id: str, coin: str, amount: Decimal) -> None:
        free = self.exchange._ledger.free(account_id, coin)
        if free < amount:
            raise WalletInsufficientBalance(f"{coin} free {free} < {amount}")

    def _debit(self, account_id: str, coin: str, amount: Decimal, dst: str) -> None:
        self._require_free(account_id, coin, amount)
        with self.exchange._ledger.atomic():
            self.exchange._ledger.transfer_free(account_id, dst, coin, amount)

    def _on_fund(self, account_id: str, coin: str, amount: Decimal) -> None:
        acct = self.exchange.accounts.get(account_id)
        if acct is None or acct.system or amount <= 0:
            return
        rid = self._next_id()
        self._records.append(
            WalletRecord(
                rid,
                "deposit",
                account_id,
                coin,
                amount,
                "success",
                self._now(),
                network=self._default_network(coin),
                tx_hash=hashlib.sha256(f"deposit:{rid}".encode()).hexdigest(),
                from_address="mock-funding",
                address=self.address(account_id, coin, self._default_network(coin)),
            )
        )

    def _default_network(self, coin: str) -> str:
        row = self.coins.get(coin)
        return row["networks"][0]["network"] if row and row["networks"] else ""

    # ----------------------------------------------------------- whitelist

    def whitelist(self, account_id: str, addresses: list[str]) -> list[str]:
        """Register withdrawal addresses for the account (on the website, live); returns them all."""
        with self.exchange.lock:
            known = self._whitelist.setdefault(account_id, set())
            known.update(addresses)
            return sorted(known)

    def whitelisted(self, account_id: str) -> list[str]:
        with self.exchange.lock:
            return sorted(self._whitelist.get(account_id, ()))

    def forget_account(self, account_id: str) -> None:
        self._whitelist.pop(account_id, None)

    # -------------------------------------------------------------- operations

    def address(self, account_id: str, coin: str, network: str) -> str:
        """A deterministic deposit address per (account, coin, network)."""
        return "mock" + hashlib.sha256(f"{self.exchange.seed}:{account_id}:{coin}:{network}".encode()).hexdigest()[:36]

    def deposit_address(self, account_id: str, coin: str, network: str) -> list[dict[str, Any]]:
        with self.exchange.lock:
            row = self._coin(coin)
            net = self._network(row, network)
            return [
                {
                    "coin": row["name"],
                    "network": net["network"],
                    "address": self.address(account_id, row["name"], net["network"]),
                    "memo": None,  # the docs' example: null where the network needs none
                }
            ]

    def withdraw(
        self, account_id: str, coin: str, network: str, address: str, amount: Decimal, memo: str | None
    ) -> WalletRecord:
        with self.exchange.lock:
            row = self._coin(coin)
            net = self._network(row, network)
            if not int(row.get("withdrawOpen", 1)) or not int(net.get("withdrawOpen", 1)):
                raise ParameterError(f"withdrawals of {row['name']} on {net['network']} are closed")
            pattern = net.get("addressRegular") or ""
            if pattern and not re.fullmatch(pattern, address):
                raise ParameterError(f"address does not match {pattern}")
            if int(net.get("requireMemo", 0)) == 2 and not memo:
                raise ParameterError(f"{net['network']} withdrawals need a memo")
            self._check_amount(amount, int(net.get("contractPrecision", 8)))
            if self.whitelist_on and address not in self._whitelist.get(account_id, ()):
                raise WithdrawAddressNotAllowed(f"{address} is not whitelisted for this account (POST /_mock)")
            fee = Decimal(str(net.get("mock", {}).get("withdrawFee", "0")))
            if amount < fee:
                raise WithdrawBelowFee(f"amount {amount} below the {net['network']} fee {fee}")
            minimum = Decimal(str(net.get("withdrawMin") or row.get("withdrawMin") or "0"))
            if amount < minimum:
                raise ParameterError(f"amount below withdrawMin {minimum}")
            maximum = net.get("withdrawMax") or row.get("withdrawMax")
            if maximum is not None and amount > Decimal(str(maximum)):
                raise ParameterError(f"amount above withdrawMax {maximum}")
            self._debit(account_id, row["name"], amount, WITHDRAWALS_ACCOUNT)
            rec = WalletRecord(
                self._next_id(),
                "withdraw",
                account_id,
                row["name"],
                amount,
                "pending",
                self._now(),
                network=net["network"],
                address=address,
                memo=memo or "",
                fee=fee,
            )
            self._records.append(rec)
            return rec

    def cancel_withdraw(self, account_id: str, withdraw_id: str) -> None:
        with self.exchange.lock:
            for i, r in enumerate(self._records):
                if r.id == withdraw_id and r.account_id == account_id and r.type == "withdraw":
                    if self._status(r) != "pending":
                        raise ParameterError(f"withdrawal {withdraw_id} is {self._status(r)}, not pending")
                    self.exchange._ledger.transfer_free(WITHDRAWALS_ACCOUNT, account_id, r.coin, r.amount)
                    self._records[i] = replace(r, status="cancelled")
                    return
            raise ParameterError(f"no withdrawal {withdraw_id!r}")

    def inside_transfer(
        self,
        account_id: str,
        coin: str,
        amount: Decimal,
        to_type: str,
        to_uid: int | None,
        out_biz_id: str | None,
        remark: str | None,
    ) -> WalletRecord:
        with self.exchange.lock:
            row = self._coin(coin)
            self._check_amount(amount, self.coin_precision(row))
            # Parameters first, then idempotency: a repeated outBizId answers the first transfer.
            if out_biz_id is not None and (account_id, out_biz_id) in self._by_biz:
                return self._by_biz[(account_id, out_biz_id)]
            if to_type != "uid":
                raise ParameterError("the mock resolves internal transfers by uid only (toType uid)")
            if to_uid is None:
                raise ParameterError("toUid: required when toType is uid")
            sender = self.exchange.accounts.get(account_id)
            if sender is not None and sender.uid == to_uid:
                raise ParameterError("cannot transfer to yourself")
            # Everything the sender can be refused for comes before the recipient is looked up: an
            # answer that depended on it would tell anyone, funded or not, which uids exist. Only a
            # transfer that moves the money learns it, and it pays for that.
            self._require_free(account_id, row["name"], amount)
            target = next((a for a in self.exchange.accounts.values() if a.uid == to_uid and not a.system), None)
            if target is None:
                raise ParameterError(f"no account with uid {to_uid}")
            self._debit(account_id, row["name"], amount, target.account_id)
            now = self._now()
            out = WalletRecord(
                self._next_id(),
                "inside_transfer_out",
                account_id,
                row["name"],
                amount,
                "success",
                now,
                out_biz_id=out_biz_id,
                to_type=to_type,
                to_uid=to_uid,
                remark=remark,
            )
            self._records.append(out)
            self._records.append(replace(out, type="inside_transfer_in", account_id=target.account_id))
            if out_biz_id is not None:
                self._by_biz[(account_id, out_biz_id)] = out
            return out

    def cancel_inside_transfer(self, account_id: str, transfer_id: str) -> None:
        with self.exchange.lock:
            for r in self._records:
                if r.id == transfer_id and r.account_id == account_id and r.type == "inside_transfer_out":
                    raise ParameterError(f"internal transfer {transfer_id} is {r.status}; it settles at once")
            raise ParameterError(f"no internal transfer {transfer_id!r}")

    def futures_account(self, account_id: str, *, create: bool = True) -> str:
        if create:
            return self.exchange.open_futures_wallet(account_id)
        return futures_wallet(account_id)

    def funds_transfer(self, account_id: str, kind: str, coin: str, amount: Decimal) -> WalletRecord:
        with self.exchange.lock:
            row = self._coin(coin)
            self._check_amount(amount, self.coin_precision(row))
            fid = self.futures_account(account_id, create=False)
            src, dst = (account_id, fid) if kind == "spot_futures" else (fid, account_id)
            self._require_free(src, row["name"], amount)
            if kind == "futures_spot" and row["name"] == MARGIN_COIN:
                # Margin and cross losses are not the owner's to take: the futures account's own figure.
                can = self.exchange.futures.transferable(account_id)
                if can < amount:
                    raise WalletInsufficientBalance(f"{row['name']} transferable {can} < {amount}")
            self.futures_account(account_id)
            self._debit(src, row["name"], amount, dst)
            rec = WalletRecord(self._next_id(), kind, account_id, row["name"], amount, "success", self._now())
            self._records.append(rec)
            return rec

    def records(
        self,
        account_id: str,
        types: tuple[str, ...],
        *,
        record_id: str | None = None,
        out_biz_id: str | None = None,
        coin: str | None = None,
        tx_hash: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        remark: str | None = None,
        limit: int = 100,
    ) -> list[WalletRecord]:
        """Records of ``types``, newest first, with their current status."""
        with self.exchange.lock:
            out = []
            for r in reversed(self._records):
                if r.account_id != account_id or r.type not in types:
                    continue
                if record_id is not None and r.id != record_id:
                    continue
                if out_biz_id is not None and r.out_biz_id != out_biz_id:
                    continue
                if coin is not None and r.coin != coin.upper():
                    continue
                if tx_hash is not None and r.tx_hash != tx_hash:
                    continue
                if start_ms is not None and r.ctime < start_ms:
                    continue
                if end_ms is not None and r.ctime > end_ms:
                    continue
                if remark is not None and r.remark != remark:
                    continue
                status = self._status(r)
                if status == "success" and r.type == "withdraw" and not r.tx_hash:
                    # Settled on chain (in the mock's story): a deterministic hash appears with the success.
                    r = replace(r, tx_hash=hashlib.sha256(f"withdraw:{r.id}".encode()).hexdigest())
                out.append(replace(r, status=status))
                if len(out) == limit:
                    break
            return out
