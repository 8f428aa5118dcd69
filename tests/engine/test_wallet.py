"""Wallet endpoints: withdrawals, internal transfers, spot/futures transfers, deposits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mockserver import MockState
from mockserver.engine.accounts import futures_wallet

from ..helpers import Signed, err, ok

P = "/api/spot/v1"
TRON_ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


def _free(state: MockState, account_id: str, coin: str) -> Decimal:
    return state.exchange._ledger.balance(account_id, coin).free


def test_demo_funding_is_listed_as_deposits(signed: Signed) -> None:
    rows = ok(signed.post(f"{P}/deposit/page", {"coin": "USDT"}))
    assert len(rows) == 1
    # The docs' example: deposit amounts with 8 decimals, the id a JSON number.
    assert rows[0]["type"] == "deposit" and rows[0]["amount"] == "100000.00000000" and rows[0]["status"] == "success"
    assert isinstance(rows[0]["id"], int) and isinstance(rows[0]["ctime"], int)


def test_withdraw_pending_then_cancel_refunds(signed: Signed, state: MockState) -> None:
    before = _free(state, "demo", "USDT")
    wid = ok(
        signed.post(
            f"{P}/withdraw", {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "25"}
        )
    )
    assert isinstance(wid, str)
    assert _free(state, "demo", "USDT") == before - 25
    rows = ok(signed.post(f"{P}/withdraw_transfer/page", {}))
    # What arrives (25 - the 1 USDT fee) with 20 decimals; hash, fee, feeCoin and memo null while pending;
    # every to* key present as null (the docs' example of a pending withdrawal).
    assert rows == [
        {
            "id": wid,
            "outBizId": None,
            "type": "withdraw",
            "coin": "USDT",
            "amount": "24.00000000000000000000",
            "status": "pending",
            "ctime": rows[0]["ctime"],
            "network": "Tron (TRC-20)",
            "address": TRON_ADDRESS,
            "transactionHash": None,
            "feeCoin": None,
            "fee": None,
            "memo": None,
            "toType": None,
            "toUid": None,
            "toPhoneCountryCode": None,
            "toPhoneNumber": None,
            "toEmail": None,
            "remark": None,
        }
    ]
    assert len(wid) == 19 and wid.isdigit()
    assert ok(signed.post(f"{P}/withdraw/cancel", {"withdrawId": wid})) is None
    assert _free(state, "demo", "USDT") == before
    assert ok(signed.post(f"{P}/withdraw_transfer/page", {"id": wid}))[0]["status"] == "cancelled"
    assert all(v == 0 for v in state.exchange.audit().values())


def test_withdraw_settles_after_the_window_and_cannot_be_cancelled(signed: Signed, state: MockState) -> None:
    state.clock.freeze()
    wid = ok(
        signed.post(
            f"{P}/withdraw",
            {"coin": "USDT", "network": "Ethereum (ERC-20)", "address": "0x" + "ab" * 20, "amount": "5"},
        )
    )
    state.clock.advance(60_000)
    settled = ok(signed.post(f"{P}/withdraw_transfer/page", {"id": wid}))[0]
    assert (settled["status"], settled["fee"], settled["feeCoin"]) == ("success", "5", "USDT")
    assert settled["amount"] == "0.00000000000000000000" and len(settled["transactionHash"]) == 64
    resp = signed.post(f"{P}/withdraw/cancel", {"withdrawId": wid})
    assert err(resp) == ("2", "Parameter error")


def test_withdraw_rejections_change_nothing(signed: Signed, state: MockState) -> None:
    before = state.exchange.balances("demo")
    cases = [
        {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "1000000"},  # more than free
        {"coin": "USDT", "network": "BEP20", "address": TRON_ADDRESS, "amount": "5"},  # unknown network
        {"coin": "USDT", "network": "TRC20", "address": TRON_ADDRESS, "amount": "5"},  # a short code: not the name
        {"coin": "USDT", "network": "Tron (TRC-20)", "address": "not an address!", "amount": "5"},
        {"coin": "XRP", "network": "Ripple", "address": "r" + "a" * 30, "amount": "5"},  # memo required
        {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "1.5"},  # below withdrawMin 2
        {"coin": "NOPE", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "5"},
        {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "0.5"},  # below the fee
        {"coin": "USDT", "network": "Tron (TRC-20)", "address": "T" + "b" * 33, "amount": "5"},  # not whitelisted
    ]
    codes = [err(signed.post(f"{P}/withdraw", body)) for body in cases]
    assert codes == [("10034", "Insufficient balance")] + [("2", "Parameter error")] * 6 + [
        ("110007", "Withdrawal amount cannot be less than the current fee"),
        ("110008", "Only withdrawals to whitelisted addresses are allowed"),
    ]
    assert state.exchange.balances("demo") == before


def test_the_whitelist_is_per_account_and_can_be_switched_off(make_client: Any) -> None:
    client, state = make_client(liquidity=False)
    signed = Signed(client, now_ms=state.clock.now_ms)
    fresh = "T" + "c" * 33
    body = {"coin": "USDT", "network": "Tron (TRC-20)", "address": fresh, "amount": "5"}
    assert err(signed.post(f"{P}/withdraw", body))[0] == "110008"
    listed = client.post(f"/_mock/accounts/{signed.key}/withdraw-addresses", json={"addresses": [fresh]}).json()[
        "addresses"
    ]
    assert fresh in listed
    assert ok(signed.post(f"{P}/withdraw", body))
    client.post("/_mock/switches", json={"withdraw_whitelist": "off"})
    assert ok(signed.post(f"{P}/withdraw", {**body, "address": "T" + "d" * 33}))


def test_short_network_codes_only_when_lenient(make_client: Any) -> None:
    client, state = make_client(liquidity=False, switches={"network_names": "lenient"})
    signed = Signed(client, now_ms=state.clock.now_ms)
    a = ok(signed.post(f"{P}/deposit/address", {"coin": "USDT", "network": "TRC20"}))
    assert a[0]["network"] == "Tron (TRC-20)" and a[0]["memo"] is None
    served = ok(client.get(f"{P}/common/coin/coin_network/list"))
    usdt = next(c for c in served if c["name"] == "USDT")
    assert [(n["network"], n["chain"]) for n in usdt["networks"]] == [
        ("Tron (TRC-20)", "TRON"),
        ("Ethereum (ERC-20)", "ETH"),
    ]
    assert all("mock" not in n for n in usdt["networks"])


def test_inside_transfer_by_uid_is_idempotent_on_out_biz_id(signed: Signed, state: MockState) -> None:
    other = state.exchange.create_account()
    body = {"outBizId": "biz-1", "coin": "USDT", "amount": "10", "toType": "uid", "toUid": other.uid}
    first = ok(signed.post(f"{P}/inside_transfer", body))
    again = ok(signed.post(f"{P}/inside_transfer", body))
    assert first == again
    assert _free(state, other.account_id, "USDT") == Decimal(10)
    inbound = Signed(signed.client, other.api_key, other.secret, now_ms=state.clock.now_ms)
    rows = ok(inbound.post(f"{P}/deposit/page", {"type": "inside_transfer_in"}))
    assert [(r["type"], r["amount"], r["network"], r["transactionHash"]) for r in rows] == [
        ("inside_transfer_in", "10.00000000", None, None)
    ]
    assert err(signed.post(f"{P}/inside_transfer/cancel", {"insideTransferId": first})) == ("2", "Parameter error")


def test_funds_transfer_round_trip(signed: Signed, state: MockState) -> None:
    before = _free(state, "demo", "USDT")
    ok(signed.post(f"{P}/funds_transfer", {"type": "spot_futures", "coin": "USDT", "amount": "100"}))
    assert _free(state, "demo", "USDT") == before - 100
    futures = _free(state, "futures:demo", "USDT")  # the demo's futures wallet opens funded (100000) plus the 100
    assert futures == 100_100
    assert err(signed.post(f"{P}/funds_transfer", {"type": "futures_spot", "coin": "USDT", "amount": "100101"})) == (
        "10034",
        "Insufficient balance",
    )
    ok(signed.post(f"{P}/funds_transfer", {"type": "futures_spot", "coin": "USDT", "amount": "100"}))
    assert _free(state, "demo", "USDT") == before


def test_deposit_address_is_deterministic(signed: Signed) -> None:
    a = ok(signed.post(f"{P}/deposit/address", {"coin": "usdt", "network": "Tron (TRC-20)"}))
    b = ok(signed.post(f"{P}/deposit/address", {"coin": "USDT", "network": "Tron (TRC-20)"}))
    assert err(signed.post(f"{P}/deposit/address", {"coin": "USDT", "network": "trc20"})) == ("2", "Parameter error")
    assert (
        a == b and a[0]["coin"] == "USDT" and a[0]["network"] == "Tron (TRC-20)" and a[0]["address"].startswith("mock")
    )


def test_withdraw_needs_the_withdraw_permission(signed: Signed, state: MockState) -> None:
    reader = state.exchange.create_account(permissions={"read"}, balances={"USDT": Decimal(50)})
    s = Signed(signed.client, reader.api_key, reader.secret, now_ms=state.clock.now_ms)
    resp = s.post(f"{P}/withdraw", {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "5"})
    assert err(resp) == ("110033", "OPEN_API_KEY_NO_AUTHORITY")


def _transfer(s: Signed, to_uid: int, amount: str = "10") -> tuple[tuple[str, str], str]:
    """The envelope's (code, msg) and the mock's own diagnosis of the refusal."""
    body = {"coin": "USDT", "amount": amount, "toType": "uid", "toUid": to_uid}
    resp = s.post(f"{P}/inside_transfer", body, **{"x-mock-diagnose": "1"})
    return err(resp), resp.headers.get("x-mock-diagnosis", "")


def test_a_transfer_answers_alike_whether_the_uid_exists_or_not(signed: Signed, state: MockState) -> None:
    existing = state.exchange.create_account()
    unknown = max(a.uid for a in state.exchange.accounts.values()) + 1_000
    poor = state.exchange.create_account(balances={"USDT": Decimal(5)})
    s = Signed(signed.client, poor.api_key, poor.secret, now_ms=state.clock.now_ms)
    # Short of money: the same code, message and diagnosis, so no one learns which uids exist.
    to_existing, to_unknown = _transfer(s, existing.uid), _transfer(s, unknown)
    assert to_existing == to_unknown
    assert to_existing[0] == ("10034", "Insufficient balance")
    assert "USDT free 5 < 10" in to_existing[1]
    assert _free(state, existing.account_id, "USDT") == 0 and _free(state, poor.account_id, "USDT") == 5
    # Funded: only a transfer that moves the money tells the uid exists.
    assert _transfer(s, unknown, "5")[0] == ("2", "Parameter error")
    assert ok(s.post(f"{P}/inside_transfer", {"coin": "USDT", "amount": "5", "toType": "uid", "toUid": existing.uid}))
    assert _free(state, existing.account_id, "USDT") == 5
    # The sender's own uid and a missing uid are the sender's mistakes, told apart from nothing else.
    assert _transfer(s, poor.uid)[0] == ("2", "Parameter error")
    no_uid = s.post(
        f"{P}/inside_transfer", {"coin": "USDT", "amount": "1", "toType": "uid"}, **{"x-mock-diagnose": "1"}
    )
    assert err(no_uid) == ("2", "Parameter error")
    assert "toUid: required when toType is uid" in no_uid.headers.get("x-mock-diagnosis", "")


def test_a_reset_or_deleted_account_with_a_withdrawal_still_snapshots_and_restores(make_client: Any) -> None:
    # Issue 18.1: the reset forgot the withdrawal record while the withdrawals account kept its
    # money, so the exchange's own snapshot was refused by its own restore.
    for action in ("reset", "delete"):
        client, state = make_client(liquidity=False)
        signed = Signed(client, now_ms=state.clock.now_ms)
        body = {"coin": "USDT", "network": "Tron (TRC-20)", "address": TRON_ADDRESS, "amount": "20"}
        ok(signed.post(f"{P}/withdraw", body))
        supply = state.exchange._ledger.net_external()["USDT"]
        owner = state.exchange.account_by_key(signed.key)
        assert owner is not None
        held = state.exchange.balances(futures_wallet(owner.account_id)).get("USDT")
        futures_usdt = held.free + held.locked if held is not None else 0
        if action == "reset":
            assert client.post(f"/_mock/accounts/{signed.key}/reset", json={}).status_code == 200
        else:
            assert client.delete(f"/_mock/accounts/{signed.key}", headers={"x-mock-admin": "1"}).status_code in (
                200,
                204,
            )
        # The forgotten withdrawal's money left the exchange: conserved and explained by the net flow.
        assert _free(state, "withdrawals", "USDT") == 0
        assert state.exchange.problems() == []
        snap = client.get("/_mock/snapshot").json()
        restored = client.post("/_mock/restore", json=snap)
        assert restored.status_code == 200, restored.text
        again = client.get("/_mock/snapshot").json()
        assert {**again, "clock": None} == {**snap, "clock": None}  # the clock runs on
        # Reset: the opening 100000 minted again after the 99980 left and the 20 withdrawn burned;
        # delete: all 100000 of the account gone, and its futures wallet with it.
        gone = 0 if action == "reset" else 100000 + futures_usdt
        assert state.exchange._ledger.net_external()["USDT"] == supply - gone
