"""Who can reach the admin API: token beyond loopback, no cross-site calls, no forged client address."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app
from mockserver.cli import main
from mockserver.control.access import local_host
from mockserver.control.controller import Controller
from mockserver.testing import MockServer

from ..helpers import Signed, err, ok
from ..serverproc import server_process

SPOT = "/api/spot/v1"
EVIL = "evil.example:8080"

HOST_REFUSAL = (
    "Host 'evil.example:8080' is not a local name: admin calls without a token must be addressed to "
    "127.0.0.1, [::1], localhost or a name without a dot (a web page on another site may be "
    "rebinding its DNS name to this server); add the host to admin_allowed_hosts "
    "(--admin-allowed-hosts) or start the server with --admin-token"
)
ORIGIN_REFUSAL = (
    "Origin 'http://evil.example' is not a local page: admin calls without a token are refused from "
    "other sites' pages; call the admin API from a local tool (no Origin header), add the host "
    "to admin_allowed_hosts (--admin-allowed-hosts) or start the server with --admin-token"
)


def usdt(state: MockState) -> object:
    c = Controller(state)
    return c.account_json(c.account(DEMO_API_KEY))["balances"]["USDT"]


def write_refusal(method: str) -> str:
    return (
        f"admin {method} calls without a token need 'content-type: application/json' or "
        "'x-mock-admin: 1' (a cross-site form can send neither); add one of the two headers"
    )


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:8080", "127.3.4.5:1", "[::1]:8080", "::1", "localhost:8080", "LOCALHOST",
     "app.localhost", "mock.test", "testserver", "mock", "mock:9000", "[::ffff:127.0.0.1]:80"],
)  # fmt: skip
def test_local_hosts(host: str) -> None:
    assert local_host(host)


@pytest.mark.parametrize(
    "host",
    ["evil.example:8080", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "10.0.0.5:8080",
     "192.168.1.2", "[2001:db8::1]:80", "0.0.0.0", "", "mock."],
)  # fmt: skip
def test_public_hosts(host: str) -> None:
    assert not local_host(host)


def test_allowed_hosts_extend_the_local_names() -> None:
    assert local_host("mock.internal:8080", ["mock.internal"])
    assert local_host("mock.internal:8080", ["MOCK.internal:8080"])
    assert not local_host("mock.internal:9090", ["mock.internal:8080"])


def test_a_forged_host_is_refused_on_every_guarded_route(client: TestClient) -> None:
    resp = client.get("/_mock/snapshot", headers={"host": EVIL})
    assert resp.status_code == 403 and resp.json() == {"error": HOST_REFUSAL}
    resp = client.post("/_mock/accounts", json={}, headers={"host": EVIL, "x-mock-admin": "1"})
    assert resp.status_code == 403 and resp.json() == {"error": HOST_REFUSAL}
    for path in ("/_mock/health", "/_mock/version", "/_mock/openapi.json"):  # open routes stay open
        assert client.get(path, headers={"host": EVIL}).status_code == 200, path


def test_a_foreign_origin_is_refused(client: TestClient, state: MockState) -> None:
    before = len(state.exchange.accounts_by_key)
    resp = client.post("/_mock/accounts", json={}, headers={"origin": "http://evil.example"})
    assert resp.status_code == 403 and resp.json() == {"error": ORIGIN_REFUSAL}
    assert len(state.exchange.accounts_by_key) == before
    resp = client.get("/_mock/accounts", headers={"origin": "null"})
    assert resp.status_code == 403 and resp.json()["error"].startswith("Origin 'null' is not a local page")
    assert client.get("/_mock/accounts", headers={"origin": "http://localhost:3000"}).status_code == 200


def test_writes_need_json_or_the_admin_header(client: TestClient, state: MockState) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    fund = f"/_mock/accounts/{DEMO_API_KEY}/fund"
    resp = client.post(fund, content=b"coin=USDT&amount=1000", headers=form)
    assert resp.status_code == 403 and resp.json() == {"error": write_refusal("POST")}
    resp = client.post("/_mock/reset")
    assert resp.status_code == 403 and resp.json() == {"error": write_refusal("POST")}
    resp = client.delete("/_mock/journal")
    assert resp.status_code == 403 and resp.json() == {"error": write_refusal("DELETE")}
    assert usdt(state) == {"free": "100000", "locked": "0"}
    assert client.post(fund, json={"coin": "USDT", "amount": "1"}).status_code == 200
    resp = client.post(fund, content=b'{"coin":"USDT","amount":"1"}', headers={"x-mock-admin": "1"})
    assert resp.status_code == 200
    resp = client.post(fund, json={"coin": "USDT", "amount": "1"}, headers={"content-type": "application/json; x=1"})
    assert resp.status_code == 200
    assert client.post("/_mock/reset", headers={"x-mock-admin": "1"}).status_code == 200
    assert client.delete("/_mock/journal", headers={"x-mock-admin": "1"}).status_code == 204


def test_allowed_hosts_from_the_config(make_client: Callable[..., tuple[TestClient, MockState]]) -> None:
    client, _ = make_client(liquidity=False, admin_allowed_hosts=("mock.internal",))
    assert client.get("/_mock/status", headers={"host": "mock.internal:8080"}).status_code == 200
    assert client.get("/_mock/status", headers={"host": EVIL}).status_code == 403


def test_the_right_token_is_proof_enough() -> None:
    client = TestClient(create_app(Config(liquidity=False, admin_token="t0ken")))
    resp = client.post("/_mock/reset", headers={"host": EVIL})
    assert resp.status_code == 401 and resp.json() == {"error": "missing or wrong x-mock-admin-token header"}
    resp = client.post("/_mock/reset", headers={"host": EVIL, "x-mock-admin-token": "wrong"})
    assert resp.status_code == 401
    assert client.post("/_mock/reset", headers={"host": EVIL, "x-mock-admin-token": "t0ken"}).status_code == 200


def test_dns_rebinding_over_a_real_socket() -> None:
    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url, timeout=10) as http:
        resp = http.get("/_mock/snapshot", headers={"host": EVIL})
        assert resp.status_code == 403 and resp.json() == {"error": HOST_REFUSAL}
        resp = http.post(
            f"/_mock/accounts/{DEMO_API_KEY}/fund",
            content=b"coin=USDT&amount=1000000",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert resp.status_code == 403 and resp.json() == {"error": write_refusal("POST")}
        assert usdt(mock.state) == {"free": "100000", "locked": "0"}
        assert http.get("/_mock/snapshot").status_code == 200  # Host: 127.0.0.1:<port>
        assert http.get("/_mock/health", headers={"host": EVIL}).status_code == 200


@pytest.mark.slow  # starts `python -m mockserver`
def test_dns_rebinding_against_the_cli_server() -> None:
    with server_process("--no-liquidity") as banner, httpx.Client(base_url=banner["url"], timeout=10) as http:
        assert banner["admin_token"] is None
        resp = http.get("/_mock/accounts", headers={"host": EVIL})
        assert resp.status_code == 403 and resp.json() == {"error": HOST_REFUSAL}
        resp = http.get("/_mock/accounts", headers={"origin": "http://evil.example"})
        assert resp.status_code == 403 and resp.json() == {"error": ORIGIN_REFUSAL}
        assert http.get("/_mock/accounts").status_code == 200


def test_cli_refuses_an_empty_token_beyond_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--admin-token", "", "--port", "0"]) == 2
    message = capsys.readouterr().err
    assert message == (
        "bitunix-mock: refusing to serve 0.0.0.0 without an admin token: anyone who can reach it could read "
        'every account\'s secret and fund accounts. Drop --admin-token "" (a token is then generated), pass '
        "--admin-token <token>, or bind --host 127.0.0.1.\n"
    )
    assert main(["--host", "::", "--admin-token", " ", "--port", "0"]) == 2


def _whitelisted(mock: MockServer) -> Signed:
    acct = mock.state.exchange.create_account(ip_whitelist=["203.0.113.7"], balances={"USDT": Decimal(10)})
    return Signed(httpx.Client(base_url=mock.url, timeout=10), acct.api_key, acct.secret, mock.state.clock.now_ms)


def test_x_forwarded_for_does_not_pass_the_ip_whitelist() -> None:
    with MockServer(liquidity=False) as mock:
        s = _whitelisted(mock)
        resp = s.get(SPOT + "/user/account", **{"x-forwarded-for": "203.0.113.7"})
        assert err(resp) == ("100011", "Trigger IP risk control rules")
        assert list(mock.state.journal)[-1].client == "127.0.0.1"
        s.client.close()


def test_x_forwarded_for_from_a_named_trusted_proxy_is_believed() -> None:
    with MockServer(liquidity=False, trusted_proxies=("127.0.0.1",)) as mock:
        s = _whitelisted(mock)
        ok(s.get(SPOT + "/user/account", **{"x-forwarded-for": "203.0.113.7"}))
        assert err(s.get(SPOT + "/user/account")) == ("100011", "Trigger IP risk control rules")
        s.client.close()


@pytest.mark.slow  # starts `python -m mockserver`
def test_cli_ignores_x_forwarded_for() -> None:
    with server_process("--no-liquidity") as banner:
        admin = httpx.post(banner["url"] + "/_mock/accounts", json={"ip_whitelist": ["203.0.113.7"]}, timeout=10).json()
        with httpx.Client(base_url=banner["url"], timeout=10) as http:
            s = Signed(http, admin["api_key"], admin["secret"])
            resp = s.get(SPOT + "/user/account", **{"x-forwarded-for": "203.0.113.7"})
            assert err(resp) == ("100011", "Trigger IP risk control rules")
