"""Every account opens with a funded futures wallet (``Config.demo_futures_balances``), so futures trade at once.

The futures wallet of account ``A`` is the ledger account ``futures:A`` (coin USDT). The demo account,
admin-created accounts, the pytest plugin's and every tenant's open with 100000 USDT there unless told
otherwise; an account reset restores it, a whole reset and a snapshot keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app
from mockserver.engine.accounts import futures_wallet
from pytest_bitunix import BitunixMock

from ..helpers import Signed, admin_call, ok

FUNDED = {"USDT": {"free": "100000", "locked": "0"}}


def futures_free(state: MockState, account_id: str) -> Decimal:
    balance = state.exchange.balances(futures_wallet(account_id)).get("USDT")
    return balance.free if balance is not None else Decimal(0)


def test_the_demo_account_opens_with_a_funded_futures_wallet(client: TestClient, state: MockState) -> None:
    assert admin_call(client, "GET", f"/accounts/{DEMO_API_KEY}")["futures_balances"] == FUNDED
    wallet = state.exchange.accounts["futures:demo"]
    assert (wallet.system, wallet.uid) == (True, state.exchange.accounts["demo"].uid)  # its owner's uid: none spent
    assert admin_call(client, "GET", "/audit")["conserved"] is True


def test_the_futures_funding_is_configurable_and_can_be_zero(make_client: Callable[..., Any]) -> None:
    client, state = make_client(demo_futures_balances={"USDT": Decimal("250.5")})
    assert admin_call(client, "GET", f"/accounts/{DEMO_API_KEY}")["futures_balances"] == {
        "USDT": {"free": "250.5", "locked": "0"}
    }
    made = admin_call(client, "POST", "/accounts", {"balances": {"USDT": "1"}})
    assert made["futures_balances"] == {"USDT": {"free": "250.5", "locked": "0"}}  # the server's default
    client, state = make_client(demo_futures_balances={})
    assert "futures:demo" not in state.exchange.accounts
    assert admin_call(client, "GET", f"/accounts/{DEMO_API_KEY}")["futures_balances"] == {}


def test_admin_account_creation_sets_or_zeroes_the_futures_wallet(client: TestClient, state: MockState) -> None:
    default = admin_call(client, "POST", "/accounts", {"balances": {"BTC": "1"}})
    assert (default["balances"], default["futures_balances"]) == ({"BTC": {"free": "1", "locked": "0"}}, FUNDED)
    some = admin_call(client, "POST", "/accounts", {"futures_balances": {"usdt": "42"}})
    assert some["futures_balances"] == {"USDT": {"free": "42", "locked": "0"}}
    none = admin_call(client, "POST", "/accounts", {"futures_balances": {}})
    assert none["futures_balances"] == {} and futures_wallet(none["account_id"]) not in state.exchange.accounts
    refused = admin_call(client, "POST", "/accounts", {"futures_balances": {"NOPE": "1"}}, status=400)
    assert refused == {"error": "futures_balances.NOPE: unknown coin 'NOPE'"}
    twice = admin_call(client, "POST", "/accounts", {"futures_balances": {"USDT": "1", "usdt": "2"}}, status=400)
    assert "futures_balances: USDT given twice" in twice["error"]
    assert admin_call(client, "GET", "/audit")["conserved"] is True


def test_an_account_reset_restores_the_futures_wallet(signed: Signed, client: TestClient, state: MockState) -> None:
    ok(signed.post("/api/spot/v1/funds_transfer", {"type": "futures_spot", "coin": "USDT", "amount": "400"}))
    assert futures_free(state, "demo") == Decimal("99600")
    reset = admin_call(client, "POST", f"/accounts/{DEMO_API_KEY}/reset")
    assert reset["futures_balances"] == FUNDED
    assert admin_call(client, "GET", "/audit")["conserved"] is True


def test_a_whole_reset_and_a_snapshot_keep_the_futures_wallets(make_client: Callable[..., Any]) -> None:
    client, _ = make_client(liquidity=False)
    made = admin_call(client, "POST", "/accounts", {"api_key": "bob", "secret": "s", "futures_balances": {"USDT": "9"}})
    admin_call(client, "POST", "/accounts/bob/fund", {"coin": "USDT", "amount": "1"})  # spot only
    snap = admin_call(client, "GET", "/snapshot")
    fresh, fresh_state = make_client(liquidity=False, demo_futures_balances={})
    admin_call(fresh, "POST", "/restore", snap)
    assert admin_call(fresh, "GET", "/accounts/bob")["futures_balances"] == {"USDT": {"free": "9", "locked": "0"}}
    assert futures_free(fresh_state, made["account_id"]) == Decimal(9)
    # the opening balances came with the snapshot: a reset gives the snapshot's futures wallet back
    fresh_state.exchange.fund(futures_wallet(made["account_id"]), "USDT", Decimal(5))
    assert admin_call(fresh, "POST", "/accounts/bob/reset")["futures_balances"] == {
        "USDT": {"free": "9", "locked": "0"}
    }
    admin_call(client, "POST", "/reset", {})
    assert admin_call(client, "GET", f"/accounts/{DEMO_API_KEY}")["futures_balances"] == FUNDED


def test_tenants_and_the_pytest_plugin_open_funded_futures_wallets(bitunix_mock: BitunixMock) -> None:
    assert bitunix_mock.account["futures_balances"] == FUNDED
    other = bitunix_mock.new_account({"USDT": "5"})
    assert other["futures_balances"] == FUNDED
    bare = bitunix_mock.admin.create_account({"USDT": "5"}, futures_balances={})
    assert bare["futures_balances"] == {}


def test_a_tenant_s_demo_account_is_funded_too() -> None:
    with TestClient(create_app(Config())) as root:
        tenant = admin_call(root, "POST", "/tenants", {})
        prefix = "/t/" + tenant["id"]
        resp = root.get(prefix + f"/_mock/accounts/{DEMO_API_KEY}", headers={"x-mock-admin": "1"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["futures_balances"] == FUNDED
