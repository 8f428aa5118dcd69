"""Wallet endpoints: withdrawals, internal transfers, spot/futures transfers, deposits."""

from __future__ import annotations

from decimal import Decimal

from mockserver import MockState

from .helpers import Signed, err, ok

P = "/api/spot/v1"
TRON_ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


def _free(state: MockState, account_id: str, coin: str) -> Decimal:
    return state.exchange.ledger.balance(account_id, coin).free


def test_demo_funding_is_listed_as_deposits(signed: Signed) -> None:
    rows = ok(signed.post(f"{P}/deposit/page", {"coin": "USDT"}))
    assert len(rows) == 1
    assert rows[0]["type"] == "deposit" and rows[0]["amount"] == "100000" and rows[0]["status"] == "success"
    assert isinstance(rows[0]["id"], int) and isinstance(rows[0]["ctime"], int)


def test_withdraw_pending_then_cancel_refunds(signed: Signed, state: MockState) -> None:
    before = _free(state, "demo", "USDT")
    wid = ok(
        signed.post(f"{P}/withdraw", {"coin": "USDT", "network": "TRC20", "address": TRON_ADDRESS, "amount": "25"})
    )
    assert isinstance(wid, str)
    assert _free(state, "demo", "USDT") == before - 25
    rows = ok(signed.post(f"{P}/withdraw_transfer/page", {}))
    assert [(r["id"], r["type"], r["status"], r["amount"]) for r in rows] == [(wid, "withdraw", "pending", "25")]
    assert ok(signed.post(f"{P}/withdraw/cancel", {"withdrawId": wid})) is None
    assert _free(state, "demo", "USDT") == before
    assert ok(signed.post(f"{P}/withdraw_transfer/page", {"id": wid}))[0]["status"] == "cancelled"
    assert all(v == 0 for v in state.exchange.audit().values())


def test_withdraw_settles_after_the_window_and_cannot_be_cancelled(signed: Signed, state: MockState) -> None:
    state.clock.freeze()
    wid = ok(
        signed.post(f"{P}/withdraw", {"coin": "USDT", "network": "ERC20", "address": "0x" + "ab" * 20, "amount": "5"})
    )
    state.clock.advance(60_000)
    assert ok(signed.post(f"{P}/withdraw_transfer/page", {"id": wid}))[0]["status"] == "success"
    resp = signed.post(f"{P}/withdraw/cancel", {"withdrawId": wid})
    assert err(resp) == ("2", "Parameter error")


def test_withdraw_rejections_change_nothing(signed: Signed, state: MockState) -> None:
    before = state.exchange.balances("demo")
    cases = [
        {"coin": "USDT", "network": "TRC20", "address": TRON_ADDRESS, "amount": "1000000"},  # more than free
        {"coin": "USDT", "network": "BEP20", "address": TRON_ADDRESS, "amount": "5"},  # unknown network
        {"coin": "USDT", "network": "TRC20", "address": "not an address!", "amount": "5"},
        {"coin": "XRP", "network": "XRP", "address": "r" + "a" * 30, "amount": "5"},  # memo required
        {"coin": "USDT", "network": "TRC20", "address": TRON_ADDRESS, "amount": "0.5"},  # below withdrawMin
        {"coin": "NOPE", "network": "TRC20", "address": TRON_ADDRESS, "amount": "5"},
    ]
    codes = [err(signed.post(f"{P}/withdraw", body)) for body in cases]
    assert codes == [("10034", "Insufficient balance")] + [("2", "Parameter error")] * 5
    assert state.exchange.balances("demo") == before


def test_inside_transfer_by_uid_is_idempotent_on_out_biz_id(signed: Signed, state: MockState) -> None:
    other = state.exchange.create_account()
    body = {"outBizId": "biz-1", "coin": "USDT", "amount": "10", "toType": "uid", "toUid": other.uid}
    first = ok(signed.post(f"{P}/inside_transfer", body))
    again = ok(signed.post(f"{P}/inside_transfer", body))
    assert first == again
    assert _free(state, other.account_id, "USDT") == Decimal(10)
    inbound = Signed(signed.client, other.api_key, other.secret, now_ms=state.clock.now_ms)
    rows = ok(inbound.post(f"{P}/deposit/page", {"type": "inside_transfer_in"}))
    assert [(r["type"], r["amount"]) for r in rows] == [("inside_transfer_in", "10")]
    assert err(signed.post(f"{P}/inside_transfer/cancel", {"insideTransferId": first})) == ("2", "Parameter error")


def test_funds_transfer_round_trip(signed: Signed, state: MockState) -> None:
    before = _free(state, "demo", "USDT")
    ok(signed.post(f"{P}/funds_transfer", {"type": "spot_futures", "coin": "USDT", "amount": "100"}))
    assert _free(state, "demo", "USDT") == before - 100
    assert err(signed.post(f"{P}/funds_transfer", {"type": "futures_spot", "coin": "USDT", "amount": "101"})) == (
        "10034",
        "Insufficient balance",
    )
    ok(signed.post(f"{P}/funds_transfer", {"type": "futures_spot", "coin": "USDT", "amount": "100"}))
    assert _free(state, "demo", "USDT") == before


def test_deposit_address_is_deterministic(signed: Signed) -> None:
    a = ok(signed.post(f"{P}/deposit/address", {"coin": "usdt", "network": "TRC20"}))
    b = ok(signed.post(f"{P}/deposit/address", {"coin": "USDT", "network": "trc20"}))
    assert a == b and a[0]["coin"] == "USDT" and a[0]["network"] == "TRC20" and a[0]["address"].startswith("mock")


def test_withdraw_needs_the_withdraw_permission(signed: Signed, state: MockState) -> None:
    reader = state.exchange.create_account(permissions={"read"}, balances={"USDT": Decimal(50)})
    s = Signed(signed.client, reader.api_key, reader.secret, now_ms=state.clock.now_ms)
    resp = s.post(f"{P}/withdraw", {"coin": "USDT", "network": "TRC20", "address": TRON_ADDRESS, "amount": "5"})
    assert err(resp) == ("110033", "OPEN_API_KEY_NO_AUTHORITY")
