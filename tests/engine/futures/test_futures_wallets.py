"""The futures wallet's life: opened through the exchange's one path, reset and deleted with the account."""

from __future__ import annotations

from decimal import Decimal as D

from mockserver.clock import Clock
from mockserver.engine import Exchange, load_markets
from mockserver.engine.accounts import Balance, futures_wallet
from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import OrderQuery, PositionQuery, TpslRequest

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


def _busy_alice() -> tuple[Exchange, dict[str, Balance]]:
    """alice (spot 50 USDT, futures 10,000) long 0.1 BTCUSDT from bob at 98,000 with a position
    TP/SL, a resting buy and leverage 10, the mark moved to 97,500; bob's futures wallet as it stands."""
    ex = Exchange(load_markets(), clock=Clock(frozen_at_ms=T0))
    ex.create_account(account_id="alice", balances={"USDT": D(50)}, futures_balances={"USDT": D(10000)})
    ex.create_account(account_id="bob", futures_balances={"USDT": D(10000)})
    f = ex.futures
    f.change_leverage("alice", "BTCUSDT", 10)
    f.place("bob", R("BTCUSDT", "SELL", D("0.1"), price=D(98000)))
    f.place("alice", R("BTCUSDT", "BUY", D("0.1"), price=D(98000)))
    (p,) = f.pending_positions("alice")
    f.position_tpsl_place("alice", TpslRequest("BTCUSDT", p.position_id, tp_price=D(100000), sl_price=D(96000)))
    f.place("alice", R("BTCUSDT", "BUY", D("0.05"), price=D(97000)))
    f.set_mark_price("BTCUSDT", D(97500))
    wallet = ex.balances(futures_wallet("alice"))["USDT"]
    # margin 980 + the resting buy's freeze (485 margin + 2.91 taker fee); 5.88 taker fee paid
    assert wallet == Balance(D("10000") - D("5.88") - D("980") - D("487.91"), D("980") + D("487.91"))
    assert f.pending_positions("alice")[0].unrealized_pnl == D(-50)
    return ex, ex.balances(futures_wallet("bob"))


def test_a_reset_closes_futures_orders_and_positions_and_restores_both_wallets() -> None:
    ex, bob_before = _busy_alice()
    f = ex.futures
    pid = f.pending_positions("alice")[0].position_id
    ex.reset_account("alice")
    assert ex.balances("alice") == {"USDT": Balance(D(50), D(0))}
    assert ex.balances(futures_wallet("alice")) == {"USDT": Balance(D(10000), D(0))}
    assert f.pending_positions("alice") == []
    assert f.pending_orders("alice", OrderQuery()).total == 0
    assert f.tpsl_pending("alice") == []
    (tpsl,) = f.tpsl_history("alice").items
    assert tpsl.status == "SYSTEM_CANCELED"
    # closed at the mark against the house, no fee: the 50 loss went to the clearing account
    (closed,) = f.history_positions("alice", PositionQuery()).items
    assert (closed.position_id, closed.close_price, closed.realized_pnl, closed.liq_qty) == (pid, D(97500), D(-50), 0)
    assert f.leverage_margin_mode("alice", "BTCUSDT").leverage == 20  # settings back to the defaults
    assert ex.balances(futures_wallet("bob")) == bob_before
    assert [p.qty for p in f.pending_positions("bob")] == [D("0.1")]
    assert ex.problems() == []
    assert set(f.audit().values()) == {D(0)}


def test_deleting_an_account_closes_its_futures_and_drops_its_futures_wallet() -> None:
    ex, bob_before = _busy_alice()
    f = ex.futures
    ex.delete_account("alice")
    assert "alice" not in ex.accounts
    assert futures_wallet("alice") not in ex.accounts
    assert futures_wallet("alice") not in f.ledger_accounts()
    assert [(o.account_id, o.status) for o in f.orders.values() if o.is_open] == []
    assert [p.account_id for p in f.positions.values()] == ["bob", "futures-house"]
    assert ex.balances(futures_wallet("bob")) == bob_before
    assert ex.problems() == []
    assert set(f.audit().values()) == {D(0)}  # the dropped wallet's money counts as burned
