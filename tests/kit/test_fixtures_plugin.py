"""The pytest plugin (pytest_bitunix), its marker and the typed admin client; in-flight isolation.

The plugin is loaded in this very session (the package's pytest11 entry point), so most tests use
its fixtures directly; what must be seen from outside a test - teardown checks, the order of two
tests, an external server - runs a generated test file in a pytest subprocess.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.control.client import MockAdmin, MockAdminError
from mockserver.testing import MockServer
from pytest_bitunix import BitunixMock

from ..helpers import Signed, ok
from ..serverproc import server_process

ROOT = Path(__file__).resolve().parents[2]
PLACE = "/api/spot/v1/order/place_order"
ORDER = {"side": 2, "type": 1, "volume": "0.01", "price": "63000", "symbol": "BTCUSDT"}


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _in_background(fn: Callable[[], httpx.Response]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["reply"] = fn()
        except Exception as exc:  # the assertion reads it
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


# ------------------------------------------------------------------ in-flight isolation


@pytest.mark.parametrize("how", ["reset", "reset-keep-journal", "restore"])
def test_a_request_in_flight_across_a_reset_is_refused_and_changes_nothing(how: str) -> None:
    """The leak: a slow request that began before a reset used to land in the new exchange."""
    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url, timeout=10) as http:
        admin = mock.admin
        snapshot = admin.snapshot()
        opening = admin.balances(mock.api_key)  # the demo account: same key before and after the reset
        admin.add_latency(600, path=PLACE)
        thread, out = _in_background(lambda: Signed(http, mock.api_key, mock.secret).post(PLACE, ORDER))
        _until(lambda: any(e["verdict"] == "pending" for e in admin.requests(wait=0)))
        if how == "restore":
            admin.restore(snapshot)
        else:
            admin.reset(keep_journal=how == "reset-keep-journal")
        thread.join(10)

        reply = out["reply"]
        assert reply.status_code == 200
        assert reply.json() == {"code": "500", "msg": "System error", "data": None, "success": False}
        assert "began before the exchange was reset, restored or deleted" in reply.headers["x-mock-diagnosis"]
        entries = admin.requests()
        assert [(e["operation"], e["verdict"], e["code"]) for e in entries] == [
            ("place_order", "reset-in-flight", "500")
        ]  # journaled once, in the journal in force (new, or the kept one)
        assert reply.headers["x-mock-journal-id"] == str(entries[0]["id"])
        assert admin.orders(mock.api_key) == []
        assert admin.balances(mock.api_key) == opening
        assert mock.state.exchange.orders == {}
        # The next request is served normally.
        assert ok(Signed(http, mock.api_key, mock.secret).post(PLACE, ORDER))["orderId"]


def test_requests_wait_for_those_in_flight(bitunix_mock: BitunixMock) -> None:
    admin = bitunix_mock.admin
    admin.add_latency(300, path="/api/spot/v1/market/last_price")
    thread, out = _in_background(
        lambda: httpx.get(bitunix_mock.url + "/api/spot/v1/market/last_price?symbol=BTCUSDT", timeout=10)
    )
    _until(lambda: len(admin.requests(wait=0)) == 1)
    assert [e["verdict"] for e in bitunix_mock.requests()] == ["accepted"]  # waited for the answer
    thread.join(10)
    assert out["reply"].json()["code"] == "0"
    admin.add_latency(2000, path="/api/spot/v1/market/depth")
    thread, _ = _in_background(
        lambda: httpx.get(bitunix_mock.url + "/api/spot/v1/market/depth?symbol=BTCUSDT", timeout=10)
    )
    _until(lambda: len(admin.requests(wait=0)) == 2)
    with pytest.raises(TimeoutError, match=r"1 request.* still in flight .*/market/depth"):
        admin.requests(wait=0.2)
    thread.join(10)


# ------------------------------------------------------------------ the fixtures and the marker


def test_each_account_has_fresh_random_credentials(bitunix_mock: BitunixMock, bitunix_account: Any) -> None:
    assert bitunix_account is bitunix_mock.account
    other = bitunix_mock.new_account({"BTC": "1"})
    keys = {bitunix_account["api_key"], other["api_key"], bitunix_mock.server.api_key if bitunix_mock.server else ""}
    assert len(keys) == 3
    assert re.fullmatch("[0-9a-f]{32}", bitunix_account["api_key"]) and len(bitunix_account["secret"]) == 64
    assert bitunix_account["balances"]["USDT"] == {"free": "100000", "locked": "0"}
    assert bitunix_mock.admin.balances(other["api_key"]) == {"BTC": {"free": "1", "locked": "0"}}


@pytest.mark.bitunix(
    profile="strict", seed=5, liquidity=True, balances={"USDT": "123.5"}, switches={"empty_lists": "[]"}
)
def test_the_marker_sets_up_the_exchange(bitunix_mock: BitunixMock, bitunix_account: Any) -> None:
    status = bitunix_mock.admin.status()
    assert (status["profile"], status["seed"]) == ("strict", 5)
    assert bitunix_mock.admin.book("BTCUSDT")["bids"]  # synthetic liquidity
    assert bitunix_account["balances"] == {"USDT": {"free": "123.5", "locked": "0"}}
    assert bitunix_mock.admin.switches()["empty_lists"] == "[]"


def test_the_next_test_is_back_to_defaults(bitunix_mock: BitunixMock) -> None:
    status = bitunix_mock.admin.status()
    assert (status["profile"], status["seed"], status["resting"], status["journal"]) == ("live", 0, 0, 0)
    assert bitunix_mock.admin.switches()["empty_lists"] == "null"


@pytest.mark.bitunix(profile="observed", seed=9)
class TestMarkersMerge:
    @pytest.mark.bitunix(seed=11)
    def test_closest_wins(self, bitunix_mock: BitunixMock) -> None:
        status = bitunix_mock.admin.status()
        assert (status["profile"], status["seed"]) == ("observed", 11)


# ------------------------------------------------------------------ the admin helpers


@pytest.fixture
def signed(bitunix_mock: BitunixMock) -> Any:
    http = httpx.Client(base_url=bitunix_mock.url, timeout=10)
    yield Signed(http, bitunix_mock.api_key, bitunix_mock.secret)
    http.close()


def test_fund_price_book_and_fills(bitunix_mock: BitunixMock, signed: Signed) -> None:
    admin, key = bitunix_mock.admin, bitunix_mock.api_key
    assert admin.fund(key, "USDT", "50")["balances"]["USDT"]["free"] == "100050"
    assert admin.set_price("BTCUSDT", "60000") == {"symbol": "BTCUSDT", "last_price": "60000"}
    assert ok(signed.client.get("/api/spot/v1/market/last_price", params={"symbol": "BTCUSDT"})) == "60000.00"
    seeded = admin.seed_book("BTCUSDT", bids=[("59000", "0.5")], asks=[("61000", "0.25")])
    assert seeded["depth"] == {"bids": [["59000", "0.5"]], "asks": [["61000", "0.25"]]}
    assert admin.clear_book("BTCUSDT")["cancelled"] == 2

    def place(price: str) -> str:
        return str(ok(signed.post(PLACE, {**ORDER, "price": price}))["orderId"])

    first = place("59500")
    admin.fill(key, first)  # now
    second = place("59500")
    admin.fill(key, second, fraction="0.5")  # partially (half of it keeps resting)
    third = place("59600")  # the best bid: its counter order meets it alone
    admin.fill(key, third, after_polls=2)  # on the account's 2nd poll from now
    orders = {o["order_id"]: o for o in admin.orders(key)}
    assert orders[first]["deal_volume"] == "0.01" and orders[second]["deal_volume"] == "0.005"
    assert orders[third]["deal_volume"] == "0"
    for _ in range(2):
        signed.get("/api/spot/v1/order/detail", {"orderId": third})
    assert {o["order_id"]: o for o in admin.orders(key)}[third]["deal_volume"] == "0.01"
    assert [s["done"] for s in admin.fills()] == [True, True, True]
    assert admin.audit()["conserved"]


def test_faults(bitunix_mock: BitunixMock) -> None:
    admin, url = bitunix_mock.admin, bitunix_mock.url + "/api/spot/v1/market/last_price?symbol=BTCUSDT"
    fault = admin.fail_with_status(429, retry_after=3, path="/api/spot/v1/market/*", nth=2)
    assert httpx.get(url).status_code == 200
    limited = httpx.get(url)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert httpx.get(url).status_code == 200
    assert {(f["id"], f["fired"]) for f in admin.faults()} == {(fault["id"], 1)}
    admin.clear_faults()

    admin.fail_with_error("110041", times=1)
    assert httpx.get(url).json()["code"] == "110041"
    admin.remove_fault(admin.faults()[0]["id"])
    admin.add_latency(150, times=1)
    started = time.monotonic()
    assert httpx.get(url).json()["code"] == "0" and time.monotonic() - started >= 0.15
    admin.drop_responses(times=1)
    with pytest.raises(httpx.HTTPError):
        httpx.get(url)
    assert [e["verdict"] for e in bitunix_mock.requests()][-1] == "accepted"  # processed, answer cut
    assert bitunix_mock.requests()[-1]["dropped"] is True


def test_clock(bitunix_mock: BitunixMock) -> None:
    admin = bitunix_mock.admin
    assert admin.freeze(at_ms=1_800_000_000_000)["now_ms"] == 1_800_000_000_000
    assert admin.advance(1500) == {"now_ms": 1_800_000_001_500, "frozen": True, "offset_ms": 0}
    assert admin.now_ms() == 1_800_000_001_500
    assert admin.unfreeze()["frozen"] is False
    before = time.time() * 1000
    assert admin.set_offset(120_000)["offset_ms"] == 120_000
    assert admin.now_ms() >= before + 119_000


def test_switches_profile_whitelist_limits_and_errors(bitunix_mock: BitunixMock) -> None:
    admin, key = bitunix_mock.admin, bitunix_mock.api_key
    assert admin.set_switches(withdraw_whitelist="off", empty_lists="[]")["withdraw_whitelist"] == "off"
    assert admin.set_profile("strict")["profile"] == "strict"
    address = "T" + "b" * 33
    assert admin.whitelist(key, address) == [address] == admin.withdraw_addresses(key)
    assert admin.rate_limits(enabled=True)["enabled"] is True
    with pytest.raises(MockAdminError) as refused:
        admin.set_switches(empty_lists="maybe")
    assert refused.value.status == 400 and "empty_lists" in refused.value.message
    with pytest.raises(TypeError, match="not float"):
        admin.fund(key, "USDT", 1.5)


def test_admin_client_outside_pytest_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with MockServer(liquidity=False, admin_token="s3cret") as mock:
        monkeypatch.setenv("BITUNIX_MOCK_URL", mock.url)
        monkeypatch.delenv("BITUNIX_MOCK_ADMIN_TOKEN", raising=False)
        with MockAdmin.from_env() as anonymous, pytest.raises(MockAdminError) as refused:
            anonymous.status()
        assert refused.value.status in (401, 403)
        monkeypatch.setenv("BITUNIX_MOCK_ADMIN_TOKEN", "s3cret")
        with MockAdmin.from_env() as admin:
            assert admin.status()["accounts"] == 1
        assert mock.admin.health()["status"] == "ok"  # MockServer.admin carries the token
        assert mock.admin.status()["accounts"] == 1


# ------------------------------------------------------------------ seen from outside: subprocess runs

USER_TESTS = """
import hashlib, json, threading, time, uuid

import httpx
import pytest

SEEN_KEYS = []
LEFT = {}
ORDER = {"side": 2, "type": 1, "volume": "0.01", "price": "63000", "symbol": "BTCUSDT"}


def signed_post(mock, path, body):
    raw = json.dumps(body, separators=(",", ":")).encode()
    nonce, ts = uuid.uuid4().hex, str(int(time.time() * 1000))
    digest = hashlib.sha256((nonce + ts + mock.api_key).encode() + raw).hexdigest()
    sign = hashlib.sha256((digest + mock.secret).encode()).hexdigest()
    headers = {"api-key": mock.api_key, "nonce": nonce, "timestamp": ts, "sign": sign, "content-type": "application/json"}
    return httpx.post(mock.url + path, content=raw, headers=headers, timeout=10)


def test_1_leaves_a_request_in_flight(bitunix_mock):
    SEEN_KEYS.append(bitunix_mock.api_key)
    bitunix_mock.admin.add_latency(700, path="/api/spot/v1/order/place_order")
    def send():
        LEFT["reply"] = signed_post(bitunix_mock, "/api/spot/v1/order/place_order", ORDER)
    LEFT["thread"] = threading.Thread(target=send, daemon=True)
    LEFT["thread"].start()
    deadline = time.monotonic() + 5
    while not bitunix_mock.admin.requests(wait=0):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_2_never_sees_it_applied(bitunix_mock):
    SEEN_KEYS.append(bitunix_mock.api_key)
    LEFT["thread"].join(10)
    assert LEFT["reply"].json()["code"] == "500"  # test 1's tenant was deleted while it was in flight
    assert "reset, restored or deleted" in LEFT["reply"].headers["x-mock-diagnosis"]
    assert bitunix_mock.requests() == []  # another test's request never shows in this test's journal
    assert bitunix_mock.admin.status()["orders"] == 0
    assert len(set(SEEN_KEYS)) == 2  # never the same key twice


@pytest.mark.bitunix(profile="strict", seed=5, balances={"USDT": "123"}, switches={"empty_lists": "[]"})
def test_marker(bitunix_mock, bitunix_account):
    status = bitunix_mock.admin.status()
    assert (status["profile"], status["seed"]) == ("strict", 5)
    assert bitunix_account["balances"]["USDT"]["free"] == "123"
    assert bitunix_mock.admin.switches()["empty_lists"] == "[]"


def test_marker_does_not_leak(bitunix_mock):
    assert bitunix_mock.admin.status()["profile"] == "live"
    assert bitunix_mock.admin.switches()["empty_lists"] == "null"


def test_the_default_world(bitunix_mock):
    status = bitunix_mock.admin.status()
    assert (status["seed"], status["profile"], status["resting"], status["journal"]) == (0, "live", 0, 0)
    assert bitunix_mock.url.rsplit("/", 2)[-2:] == ["t", bitunix_mock.tenant]


@pytest.mark.bitunix(liquidity=True)
def test_the_market_maker_when_the_marker_asks(bitunix_mock):
    assert bitunix_mock.admin.status()["resting"] > 0


def test_where(bitunix_mock):
    if bitunix_mock.external:
        with pytest.raises(RuntimeError, match="in-process only"):
            bitunix_mock.state
    else:
        assert bitunix_mock.state.exchange.orders == {}


@pytest.mark.bitunix(assert_no_auth_failures=True, expect=["last_price", "place_order"])
def test_clean(bitunix_mock, bitunix_client):
    assert httpx.get(bitunix_mock.url + "/api/spot/v1/market/last_price?symbol=BTCUSDT").json()["code"] == "0"
    assert bitunix_client.place_order("BTCUSDT", 2, 1, "0.01", "63000", None)["accepted"]
"""

TEARDOWN_TESTS = """
import httpx
import pytest


@pytest.mark.bitunix(assert_no_auth_failures=True)
def test_bad_sign(bitunix_mock):
    headers = {"api-key": bitunix_mock.api_key, "nonce": "n" * 32, "timestamp": str(bitunix_mock.admin.now_ms()),
               "sign": "0" * 64}
    assert httpx.get(bitunix_mock.url + "/api/spot/v1/user/account", headers=headers).json()["code"] == "100005"


@pytest.mark.bitunix(expect=["last_price"])
def test_unexpected_operation(bitunix_mock):
    httpx.get(bitunix_mock.url + "/api/spot/v1/market/depth?symbol=BTCUSDT")


def test_no_endpoint(bitunix_mock):
    bitunix_mock.expect("last_price")
    httpx.get(bitunix_mock.url + "/api/spot/v1/market/nope")


def test_checks_are_opt_in(bitunix_mock):
    httpx.get(bitunix_mock.url + "/api/spot/v1/market/nope")
    with pytest.raises(AssertionError, match="1 unexpected request"):
        bitunix_mock.assert_no_unexpected_requests()


@pytest.mark.bitunix(colour="red")
def test_unknown_option(bitunix_mock):
    pass
"""


def _pytest(tmp_path: Path, source: str, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Run ``source`` as a test file in a pytest subprocess; ``{test name: outcome}`` (and ``"output"``)."""
    (tmp_path / "test_user.py").write_text(source, "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "BITUNIX_MOCK_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly", "test_user.py", *args],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes = {m[2]: m[1] for m in re.finditer(r"^(PASSED|FAILED|ERROR) test_user.py::(\w+)", proc.stdout, re.M)}
    return {**outcomes, "output": proc.stdout + proc.stderr}


@pytest.mark.slow  # runs pytest as a process
def test_a_suite_in_process(tmp_path: Path) -> None:
    result = _pytest(tmp_path, USER_TESTS)
    names = re.findall(r"^def (test_\w+)", USER_TESTS, re.M)
    assert {n: result.get(n) for n in names} == dict.fromkeys(names, "PASSED"), result["output"]


@pytest.mark.slow  # runs pytest as a process
def test_the_same_suite_against_an_external_server(tmp_path: Path) -> None:
    """One default world: this server runs its market maker (the CLI's default), seed 3 and profile strict,
    yet each test sees what it sees in-process - its tenant is built from its marker over the default world."""
    with server_process("--seed", "3", "--profile", "strict", "--admin-token", "tok-123") as banner:
        url = banner["url"]
        result = _pytest(tmp_path, USER_TESTS, env={"BITUNIX_MOCK_URL": url, "BITUNIX_MOCK_ADMIN_TOKEN": "tok-123"})
        names = re.findall(r"^def (test_\w+)", USER_TESTS, re.M)
        assert {n: result.get(n) for n in names} == dict.fromkeys(names, "PASSED"), result["output"]
        assert (
            f"bitunix: tests run against the mock at {url} (BITUNIX_MOCK_URL), each in a tenant of its own"
            in (result["output"])
        )
        with MockAdmin(url, token="tok-123") as root:
            assert root.tenants() == []  # every test's tenant deleted at its teardown
            assert root.status()["journal"] == 0  # and the root exchange never touched

        # Without the token: the option and the variable named, no traceback (it was a MockAdminError trace).
        result = _pytest(tmp_path, USER_TESTS, "--bitunix-url", url)
        assert {n: result.get(n) for n in names} == dict.fromkeys(names, "ERROR"), result["output"]
        missing = (
            f"the mock at {url} (--bitunix-url) requires an admin token and none was given: pass "
            "--bitunix-admin-token <token> or set BITUNIX_MOCK_ADMIN_TOKEN=<token> (the token the server was "
            "started with: its --admin-token or BITUNIX_MOCK_ADMIN_TOKEN)"
        )
        assert result["output"].splitlines().count(missing) == len(names), result["output"]  # the whole line
        assert "Traceback" not in result["output"] and "MockAdminError" not in result["output"]
        result = _pytest(tmp_path, USER_TESTS, "--bitunix-url", url, "--bitunix-admin-token", "wrong")
        wrong = (
            f"the mock at {url} (--bitunix-url) refused the admin token given by --bitunix-admin-token: "
            "missing or wrong x-mock-admin-token header; pass the token the server was started with"
        )
        assert result["output"].splitlines().count(wrong) == len(names), result["output"]
        # Pointed at a tenant instead of the server: a tenant has no tenants, and the message says where to point.
        with MockAdmin(url, token="tok-123") as root:
            tenant_url = root.create_tenant()["url"]
        result = _pytest(tmp_path, ONE_TEST, "--bitunix-url", tenant_url, "--bitunix-admin-token", "tok-123")
        assert result.get("test_uses_the_mock") == "ERROR", result["output"]
        assert (
            f"the mock at {tenant_url} (--bitunix-url) serves no tenants, so the tests cannot get an exchange of "
            "their own (POST /_mock/tenants answered 404: a tenant has no tenants of its own: create them on the "
            "root server (POST <root url>/_mock/tenants)); point the plugin at the server's root URL, and at a "
            "server of the version installed with this plugin (an older one answers so too)"
        ) in result["output"].splitlines(), result["output"]


@pytest.mark.slow  # runs pytest as a process
def test_teardown_checks(tmp_path: Path) -> None:
    result = _pytest(tmp_path, TEARDOWN_TESTS)
    out = result["output"]
    assert result.get("test_bad_sign") == "ERROR", out  # passed, then failed at teardown
    assert re.search(r"1 request\(s\) refused by auth:\n  #1 GET /api/spot/v1/user/account -> SignatureError", out)
    assert "diagnosis: " in out  # the signature doctor's reading of the refused request
    assert result.get("test_unexpected_operation") == "ERROR", out
    assert "(expected only last_price)" in out and "GET /api/spot/v1/market/depth?symbol=BTCUSDT -> accepted" in out
    assert result.get("test_no_endpoint") == "ERROR", out
    assert "GET /api/spot/v1/market/nope -> NotFound (code 404)" in out
    assert result.get("test_checks_are_opt_in") == "PASSED", out
    assert result.get("test_unknown_option") == "ERROR", out
    assert "@pytest.mark.bitunix: unknown option 'colour'" in out


@pytest.mark.slow  # starts a Python process
def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import json, sys, pytest_bitunix\n"
        "heavy = {m.split('.')[0] for m in sys.modules} & {'mockserver', 'conformance', 'hypothesis', "
        "'starlette', 'uvicorn', 'httpx', 'pydantic'}\n"
        "print(json.dumps(sorted(heavy)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout) == []


def test_the_kit_files_are_package_data() -> None:
    from conformance.data import driver_spec, example_driver, signature_vectors

    assert signature_vectors() == json.loads((ROOT / "fixtures" / "signature_vectors.json").read_text("utf-8"))
    assert driver_spec() == (ROOT / "conformance" / "DRIVER.md").read_text("utf-8")
    with example_driver() as path:
        assert path.read_bytes() == (ROOT / "conformance" / "drivers" / "node" / "driver.mjs").read_bytes()


# ------------------------------------------------------------------ parallel workers, one server

PARALLEL_TESTS = """
import json, os, time

import httpx
import pytest

ROUNDS = 8


def run(bitunix_mock, name, price):
    from conformance.adapter import reference_factory

    admin = bitunix_mock.admin
    admin.reset()  # what a test may do to its own exchange: it reaches no other test's
    admin.set_price("BTCUSDT", price)
    bitunix_client = reference_factory(bitunix_mock.url, bitunix_mock.api_key, bitunix_mock.secret, None)
    for i in range(ROUNDS):
        placed = bitunix_client.place_order("BTCUSDT", 2, 1, "0.001", "30000", f"{name}-{i}")
        assert placed["accepted"], placed
        got = httpx.get(bitunix_mock.url + "/api/spot/v1/market/last_price?symbol=BTCUSDT").json()["data"]
        assert got == price  # nobody else's set_price or reset reached this exchange
        time.sleep(0.01)  # let the other worker's test interleave
    bitunix_client.close()
    seen = bitunix_mock.requests()
    view = [(e["operation"], json.loads(e["body"]).get("clientId") if e["body"] else None) for e in seen]
    out = os.path.join(os.environ["JOURNAL_VIEWS"], name + ".json")
    with open(out, "w") as f:
        json.dump({"tenant": bitunix_mock.tenant, "key": bitunix_mock.api_key, "view": view,
                   "keys": sorted({e["api_key"] for e in seen if e["api_key"]})}, f)


@pytest.mark.parametrize("n", range(6))
def test_worker_isolation(bitunix_mock, n):
    run(bitunix_mock, f"t{n}", f"{60000 + n}.00")
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["external", "in-process"])
def test_parallel_workers_never_touch_each_other(tmp_path: Path, where: str) -> None:
    """`pytest -n 2` with the plugin: against one external server (it used to fail 19 of 24 tests, each
    reset under the other worker) and in-process, every test passes and its journal held only its requests."""
    views = tmp_path / "views"
    views.mkdir()
    env = {"JOURNAL_VIEWS": str(views)}
    if where == "in-process":
        result = _pytest(tmp_path, PARALLEL_TESTS, "-n", "2", env=env)
        server_tenants: list[Any] = []
    else:
        with server_process() as banner:  # the CLI's defaults: its own root exchange runs the market maker
            result = _pytest(tmp_path, PARALLEL_TESTS, "-n", "2", "--bitunix-url", banner["url"], env=env)
            with MockAdmin(banner["url"]) as root:
                server_tenants = root.tenants()
                assert root.status()["journal"] == 0  # the root exchange saw none of it
    outcomes = re.findall(r"^PASSED test_user.py::test_worker_isolation\[(\d)\]", result["output"], re.M)
    assert sorted(outcomes) == [str(n) for n in range(6)], result["output"]
    assert "2 workers" in result["output"] or "created: 2/2 workers" in result["output"], result["output"]
    assert server_tenants == []  # each test's tenant deleted at its teardown
    found = {p.stem: json.loads(p.read_text("utf-8")) for p in views.glob("*.json")}
    assert sorted(found) == [f"t{n}" for n in range(6)]
    for name, seen in found.items():
        # The journal view held this test's requests only: its orders (its clientIds) and price reads, in order.
        mine = [step for i in range(8) for step in (["place_order", f"{name}-{i}"], ["last_price", None])]
        assert seen["view"] == mine, (name, seen["view"])
        assert seen["keys"] == [seen["key"]]
    assert len({seen["tenant"] for seen in found.values()}) == 6


# ------------------------------------------------------------------ a server configured, tests in-process

ONE_TEST = """
def test_uses_the_mock(bitunix_mock):
    assert bitunix_mock.admin.status()["accounts"] == 1
"""


@pytest.mark.slow
def test_a_configured_server_unused_by_in_process_tests_is_said_loudly(tmp_path: Path) -> None:
    """The README's CI recipes used to set the server up and run every test in-process, silently."""
    from pytest_bitunix import _serving_mocks, in_process_warning

    with server_process("--no-liquidity") as banner:
        port = str(banner["port"])
        result = _pytest(tmp_path, ONE_TEST, env={"BITUNIX_MOCK_PORT": port, "BITUNIX_MOCK_SEED": "7"})
        out = result["output"]
        assert result.get("test_uses_the_mock") == "PASSED", out
        url = f"http://127.0.0.1:{port}"
        said = (
            "the tests use an IN-PROCESS Bitunix mock, but BITUNIX_MOCK_PORT, "
            f"BITUNIX_MOCK_SEED are set and a Bitunix mock is serving at {url}: the server meant receives none of "
            f"their requests. To test against it, set BITUNIX_MOCK_URL={url} (or pass --bitunix-url {url}); the "
            "admin token, if it needs one, goes in BITUNIX_MOCK_ADMIN_TOKEN (or --bitunix-admin-token)"
        )
        assert f"BitunixMockWarning: {said}" in " ".join(out.split()), out  # the warnings summary
        header = (  # the session header, before any test runs: the variables only (no probe at start-up)
            "bitunix: WARNING: the tests use an IN-PROCESS Bitunix mock, but "
            "BITUNIX_MOCK_PORT, BITUNIX_MOCK_SEED are set: the server meant receives none of their requests. To test "
            "against it, set BITUNIX_MOCK_URL=http://127.0.0.1:<port> (or pass --bitunix-url "
            "http://127.0.0.1:<port>); the admin token, if it needs one, goes in BITUNIX_MOCK_ADMIN_TOKEN (or "
            "--bitunix-admin-token)"
        )
        assert header in out.splitlines(), out
        with MockAdmin(url) as admin:
            assert admin.requests() == []  # what the warning says: the server saw nothing

        # Pointed at it: no warning, a header naming it, and the requests reach it (in a tenant).
        result = _pytest(tmp_path, ONE_TEST, env={"BITUNIX_MOCK_PORT": port, "BITUNIX_MOCK_URL": url})
        assert result.get("test_uses_the_mock") == "PASSED", result["output"]
        assert "BitunixMockWarning" not in result["output"] and "IN-PROCESS" not in result["output"]

    # Nothing configured: nothing said (unless a mock really serves on the default port 8080).
    result = _pytest(tmp_path, ONE_TEST)
    assert result.get("test_uses_the_mock") == "PASSED", result["output"]
    assert not any(line.startswith("bitunix:") for line in result["output"].splitlines())
    expected = in_process_warning([], _serving_mocks([8080]))
    assert ("BitunixMockWarning" in result["output"]) == (expected is not None), result["output"]


# ------------------------------------------------------------------ the in-process tenant path


def test_in_process_the_session_makes_and_drops_tenants_by_the_admin_routes_own_call() -> None:
    """In-process, a test's tenant is created and deleted by the controller call the admin route makes (no
    loopback round trip): the same description as POST /_mock/tenants, the same refusals, raised alike."""
    from pytest_bitunix import MarkerOptions, _Session

    session = _Session(None, "", None, None)
    try:
        options = MarkerOptions(seed=7, switches={"empty_lists": "[]"})
        info, make_admin, server = session.open(options, "tests/x.py::test_a")
        assert server is not None and server.app.tenants is not None
        with make_admin() as admin:
            assert admin.switches()["empty_lists"] == "[]"  # the tenant serves over the server's port
        root, _ = session.root()
        over_http = root.create_tenant(
            seed=7, liquidity=False, profile="live", switches={"empty_lists": "[]"}, label="tests/x.py::test_a"
        )
        volatile = ("id", "url", "idle_ms")
        assert {k: v for k, v in info.items() if k not in volatile} == {
            k: v for k, v in over_http.items() if k not in volatile
        }
        assert info["url"] == f"{server.url}/t/{info['id']}"
        assert set(info) == set(over_http)
        session.release(info["id"])
        root.delete_tenant(over_http["id"])
        assert len(server.app.tenants) == 0
        with pytest.raises(MockAdminError) as gone:
            session.release(info["id"])
        assert (gone.value.status, gone.value.message) == (
            404,
            f"no tenant {info['id']!r} (GET /_mock/tenants lists the live ones)",
        )
        with pytest.raises(pytest.fail.Exception) as refused:
            session.open(MarkerOptions(switches={"no_such_switch": "x"}), "tests/x.py::test_b")
        assert str(refused.value) == (
            "@pytest.mark.bitunix: switches: unknown switch 'no_such_switch'; known: empty_lists, price_band, "
            "cancel_by_client_id, batch_cap, page_size_cap, depth_precision, price_precision, network_names, "
            "withdraw_whitelist, futures_nonce_replay, futures_shapes, futures_status_padding"
        )
        assert len(server.app.tenants) == 0
    finally:
        session.close()


def test_in_process_an_account_is_made_by_the_admin_routes_own_call() -> None:
    """In-process, ``bitunix_mock.account`` / ``new_account`` call the controller as POST /_mock/accounts does
    (no loopback round trip): the same account description, the same refusals, raised as the HTTP client raises."""
    from pytest_bitunix import BitunixMock, MarkerOptions, _Session

    session = _Session(None, "", None, None)
    try:
        options = MarkerOptions(balances={"USDT": "250"})
        info, make_admin, server = session.open(options, "tests/x.py::test_a")
        mock = BitunixMock(info["url"], make_admin, server, options, tenant=info["id"])
        account = mock.account
        assert mock.account is account  # one per test
        assert account["label"] == "pytest" and len(account["api_key"]) == 32 and len(account["secret"]) == 64
        assert account["balances"]["USDT"] == {"free": "250", "locked": "0"}
        over_http = mock.admin.create_account({"USDT": "250"}, label="pytest")
        volatile = ("account_id", "uid", "api_key", "secret")
        assert {k: v for k, v in account.items() if k not in volatile} == {
            k: v for k, v in over_http.items() if k not in volatile
        }
        assert mock.admin.account(account["api_key"]) == account  # it lives in this test's tenant
        with pytest.raises(MockAdminError) as refused:
            mock.new_account({"NOPE": "1"})
        assert (refused.value.method, refused.value.path, refused.value.status, refused.value.message) == (
            "POST",
            "/accounts",
            400,
            "balances.NOPE: unknown coin 'NOPE'",
        )
        with pytest.raises(MockAdminError) as over_http_refused:
            mock.admin.create_account({"NOPE": "1"})
        assert str(over_http_refused.value) == str(refused.value)
        mock.close()
        session.release(info["id"])
    finally:
        session.close()
