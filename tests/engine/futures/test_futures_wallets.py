"""The futures wallet's life: opened through the exchange's one path, reset and deleted with the account."""

from __future__ import annotations

from mockserver.clock import Clock
from mockserver.engine import Exchange, load_markets
from mockserver.engine.accounts import futures_wallet

from .conftest import T0


def test_the_futures_engine_opens_a_wallet_without_spending_a_uid() -> None:
    # Two exchanges on the same seed: one opens alice's futures wallet through the futures engine
    # before bob exists; bob gets the same uid either way, and the wallet carries alice's uid.
    plain = Exchange(load_markets(), clock=Clock(frozen_at_ms=T0))
    plain.create_account(account_id="alice")
    bob_uid = plain.create_account(account_id="bob").uid

    ex = Exchange(load_markets(), clock=Clock(frozen_at_ms=T0))
    alice = ex.create_account(account_id="alice")
    assert ex.futures.position_mode("alice") == "ONE_WAY"  # the first futures call opens the wallet
    wallet = ex.accounts[futures_wallet("alice")]
    assert (wallet.uid, wallet.system, wallet.api_key) == (alice.uid, True, "")
    assert ex.create_account(account_id="bob").uid == bob_uid
    assert ex.problems() == []
