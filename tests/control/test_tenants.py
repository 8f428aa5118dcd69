"""Tenants (mockserver.tenants): independent mocks under /t/<id>/ on one server, created by the admin API.

Most tests drive one app in-process (Starlette's test client, host ``testserver``); the in-flight
refusal needs a real server (a latency fault holds a request while its tenant is deleted).
"""

from __future__ import annotations

import gc
import io
import json
import logging
import threading
import weakref
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from starlette.testclient import TestClient

import mockserver
from mockserver import Config, MockState, create_app, reqlog
from mockserver.control.client import MockAdmin, MockAdminError
from mockserver.control.schema import TenantSpec
from mockserver.gcpolicy import GcPolicy
from mockserver.tenants import Tenants
from mockserver.testing import MockServer, sync_transport
from pytest_bitunix import DEFAULT_WORLD

from ..helpers import Signed, ok

SPOT = "/api/spot/v1"
PLACE = SPOT + "/order/place_order"
ORDER = {"side": 2, "type": 1, "volume": "0.01", "price": "63000", "symbol": "BTCUSDT"}
ADMIN = {"x-mock-admin": "1"}


@pytest.fixture
def root() -> Iterator[tuple[TestClient, MockAdmin]]:
    app = create_app(Config(liquidity=False))
    with TestClient(app) as client, MockAdmin("http://testserver", transport=sync_transport(app)) as admin:
        yield client, admin


def _path(info: dict[str, Any]) -> str:
    """The tenant's URL without the test client's scheme and host."""
    return str(info["url"]).removeprefix("http://testserver")


def test_a_tenant_is_a_whole_exchange_of_its_own(root: tuple[TestClient, MockAdmin]) -> None:
    client, admin = root
    a, b = admin.create_tenant(seed=7, label="tests/a.py::test_a"), admin.create_tenant()
    assert a == {
        "id": a["id"],
        "url": f"http://testserver/t/{a['id']}",
        "label": "tests/a.py::test_a",
        "seed": 7,
        "liquidity": False,
        "profile": "live",
        "switches": {},
        "rate_limits": False,
        "idle_ms": 0,
        "requests": 0,
    }
    assert a["id"] != b["id"]
    # Signed with the tenant's own demo account at the tenant's URL: the path is never signed.
    placed = ok(Signed(client).post(_path(a) + PLACE, ORDER))
    assert placed["orderId"]
    with admin.tenant_admin(a) as in_a, admin.tenant_admin(b) as in_b:
        assert [o["order_id"] for o in in_a.orders("demo0000000000000000000000000001")] == [placed["orderId"]]
        assert in_b.orders("demo0000000000000000000000000001") == []
        assert admin.orders("demo0000000000000000000000000001") == []  # the root exchange: untouched
        assert [(e["operation"], e["path"], e["tenant"]) for e in in_a.requests()] == [("place_order", PLACE, a["id"])]
        assert in_b.requests() == [] and admin.requests() == []
        in_a.set_price("BTCUSDT", "50000")
        in_a.reset(seed=9)  # a tenant's reset: its own exchange, from its own spec (and the new seed)
        assert in_a.status()["seed"] == 9 and in_a.status()["orders"] == 0
        assert in_b.status()["seed"] == 0
        assert ok(client.get(_path(b) + SPOT + "/market/last_price", params={"symbol": "BTCUSDT"})) == "64000.00"
        admin.reset(seed=3)  # the root's reset leaves every tenant alone
        assert [t["id"] for t in admin.tenants()] == [a["id"], b["id"]]
        assert [e["operation"] for e in in_b.requests()] == ["last_price"]
    admin.delete_tenant(a["id"])
    assert [t["id"] for t in admin.tenants()] == [b["id"]]


def test_the_curl_line_of_a_tenant_request_names_the_tenant(root: tuple[TestClient, MockAdmin]) -> None:
    client, admin = root
    info = admin.create_tenant()
    client.get(_path(info) + SPOT + "/market/last_price", params={"symbol": "BTCUSDT"})
    with admin.tenant_admin(info) as tenant:
        entry = tenant.requests()[0]
        assert tenant.curl(entry["id"]) == (
            f"curl -sS -X GET 'http://testserver/t/{info['id']}/api/spot/v1/market/last_price?symbol=BTCUSDT'"
        )


def test_a_tenant_is_built_from_its_spec_never_from_the_root_flags() -> None:
    """One default world: the root's seed, profile, market maker, switches and rate limits stay the root's."""
    app = create_app(Config(seed=3, profile="strict", liquidity=True, switches={"empty_lists": "[]"}, rate_limits=True))
    with MockAdmin("http://testserver", transport=sync_transport(app)) as admin:
        info = admin.create_tenant()
        assert {k: info[k] for k in DEFAULT_WORLD} == DEFAULT_WORLD  # the plugin's default world, server-side
        with admin.tenant_admin(info) as tenant:
            status = tenant.status()
            assert (status["seed"], status["profile"], status["resting"], status["rate_limits"]) == (
                0,
                "live",
                0,
                False,
            )
            assert tenant.switches()["empty_lists"] == "null"
        asked = admin.create_tenant(seed=5, liquidity=True, profile="docs", switches={"empty_lists": "[]"})
        with admin.tenant_admin(asked) as tenant:
            status = tenant.status()
            assert (status["seed"], status["profile"]) == (5, "docs") and status["resting"] > 0
            assert tenant.switches()["empty_lists"] == "[]"


def test_a_tenant_gets_the_roots_kept_data_documents_not_its_markets_file(tmp_path: Path) -> None:
    """Reported: tenants were built from the root's ``--markets`` path; a root resumed from a state
    directory keeps the data documents its requests were acknowledged under, and its tenants get those."""
    seed = json.loads((Path(mockserver.__file__).parent / "seed" / "markets.json").read_text("utf-8"))

    def with_taker_fee(rate: str) -> str:
        for row in seed["markets"]:
            if row["base"].upper() == "BTC":
                row["mock"]["takerFeeRate"] = rate
        return json.dumps(seed)

    markets, state_dir = tmp_path / "markets.json", tmp_path / "state"
    markets.write_text(with_taker_fee("0.001"))
    first = create_app(Config(liquidity=False, state_dir=state_dir, markets_path=markets))
    assert first.state.mock.durable is not None
    first.state.mock.durable.close()
    markets.write_text(with_taker_fee("0.5"))  # the file changes; the directory keeps 0.001
    app = create_app(Config(liquidity=False, state_dir=state_dir, markets_path=markets))
    root = app.state.mock
    try:
        assert root.exchange.market("BTCUSDT").taker_fee_rate == Decimal("0.001")
        assert app.tenants is not None
        tenant = app.tenants.create(TenantSpec()).app.state.mock
        assert tenant.exchange.market("BTCUSDT").taker_fee_rate == Decimal("0.001")
        assert tenant.data == root.data
    finally:
        assert root.durable is not None
        root.durable.close()


def test_the_plugin_default_world_is_the_servers() -> None:
    spec = TenantSpec()
    assert {"seed": spec.seed, "liquidity": spec.liquidity, "profile": spec.profile} == DEFAULT_WORLD


def test_tenants_obey_the_root_admin_guard() -> None:
    app = create_app(Config(liquidity=False, admin_token="tok-1"))
    with TestClient(app) as client:
        refused = client.post("/_mock/tenants", json={})
        assert (refused.status_code, refused.json()) == (401, {"error": "missing or wrong x-mock-admin-token header"})
        info = client.post("/_mock/tenants", json={}, headers={"x-mock-admin-token": "tok-1"}).json()
        inside = client.get(_path(info) + "/_mock/status")
        assert (inside.status_code, inside.json()) == (401, {"error": "missing or wrong x-mock-admin-token header"})
        assert client.get(_path(info) + "/_mock/status", headers={"x-mock-admin-token": "tok-1"}).status_code == 200
        # The exchange paths of a tenant are as open as the root's.
        assert ok(client.get(_path(info) + SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}))
    app = create_app(Config(liquidity=False))  # no token: the loopback rules (Host, Origin, write headers)
    with TestClient(app) as client:
        info = client.post("/_mock/tenants", json={}).json()
        refused = client.delete(_path(info) + "/_mock/journal")  # a write without the JSON type or x-mock-admin
        assert refused.status_code == 403 and refused.json()["error"].startswith("admin DELETE calls without a token")
        evil = client.get(_path(info) + "/_mock/status", headers={"host": "evil.example"})
        assert evil.status_code == 403 and evil.json()["error"].startswith("Host 'evil.example' is not a local name")


def test_a_bad_spec_is_refused_and_creates_nothing(root: tuple[TestClient, MockAdmin]) -> None:
    client, admin = root
    cases = [
        ({"colour": "red"}, "colour: unknown field"),
        ({"seed": "7"}, "seed: expected an integer"),
        ({"profile": "loose"}, "profile: unknown profile 'loose'; known: live, observed, strict, docs"),
        ({"switches": {"empty_lists": "maybe"}}, "switches: switch empty_lists is one of null, [], not 'maybe'"),
        ({"label": "a\nb"}, "label: no control characters (CR, LF, ...)"),
    ]
    for body, message in cases:
        refused = client.post("/_mock/tenants", json=body)
        assert (refused.status_code, refused.json()) == (400, {"error": message}), body
    assert admin.tenants() == []


def test_unknown_tenants_answer_404_with_the_reason(root: tuple[TestClient, MockAdmin]) -> None:
    client, admin = root
    reason = (
        "no tenant 'nope' on this server: deleted, expired (idle over 900 s while the server was full) or never "
        "created; GET /_mock/tenants lists the live ones"
    )
    exchange = client.get("/t/nope/api/spot/v1/market/last_price?symbol=BTCUSDT")
    assert exchange.status_code == 404
    assert exchange.json() == {"code": "404", "msg": "Not Found", "data": None, "success": False}
    assert exchange.headers["x-mock-diagnosis"] == reason
    admin_call = client.get("/t/nope/_mock/status")
    assert (admin_call.status_code, admin_call.json()) == (404, {"error": reason})
    with pytest.raises(MockAdminError) as gone:
        admin.delete_tenant("nope")
    assert (gone.value.status, gone.value.message) == (404, "no tenant 'nope' (GET /_mock/tenants lists the live ones)")
    with pytest.raises(MockAdminError) as gone:
        admin.tenant("nope")
    assert (gone.value.status, gone.value.message) == (404, "no tenant 'nope' (GET /_mock/tenants lists the live ones)")
    assert admin.requests() == []  # none of it reached the root's journal
    info = admin.create_tenant()
    nested = client.post(_path(info) + "/_mock/tenants", json={})
    assert (nested.status_code, nested.json()) == (
        404,
        {"error": "a tenant has no tenants of its own: create them on the root server (POST <root url>/_mock/tenants)"},
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_number_of_tenants_is_capped_and_idle_ones_make_room() -> None:
    config = Config(liquidity=False, max_tenants=2, tenant_idle_s=60)
    clock = FakeClock()
    state = MockState.build(config)
    state.tenants = Tenants(config, create_app, clock=clock)
    app = create_app(state=state)
    with TestClient(app) as client, MockAdmin("http://testserver", transport=sync_transport(app)) as admin:
        first = admin.create_tenant(label="first")
        clock.now += 30
        second = admin.create_tenant(label="second")
        with pytest.raises(MockAdminError) as full:
            admin.create_tenant()
        assert (full.value.status, full.value.message) == (
            429,
            "tenants: 2 live, the server's limit (--max-tenants 2); delete finished ones (DELETE "
            "/_mock/tenants/<id>; GET /_mock/tenants lists them with their labels and idle time), wait until one "
            "has been idle 60 s, or start the server with a higher --max-tenants",
        )
        clock.now += 31  # the first idle 61 s, the second 31 s
        assert [(t["label"], t["idle_ms"]) for t in admin.tenants()] == [("first", 61_000), ("second", 31_000)]
        client.get(_path(second) + SPOT + "/market/last_price?symbol=BTCUSDT")  # a request keeps it alive
        third = admin.create_tenant(label="third")
        assert [t["label"] for t in admin.tenants()] == ["second", "third"]
        assert client.get(_path(first) + "/_mock/health").status_code == 404
        assert admin.call("GET", "/tenants")["count"] == 2 and third["id"] != first["id"]


def test_tenants_can_be_switched_off() -> None:
    app = create_app(Config(liquidity=False, max_tenants=0))
    with MockAdmin("http://testserver", transport=sync_transport(app)) as admin, pytest.raises(MockAdminError) as off:
        admin.create_tenant()
    assert (off.value.status, off.value.message) == (
        403,
        "tenants are off on this server (started with --max-tenants 0)",
    )


def test_a_tenants_requests_carry_its_id_in_the_log(root: tuple[TestClient, MockAdmin]) -> None:
    client, admin = root
    logger = logging.getLogger(reqlog.LOGGER_NAME)
    info = admin.create_tenant()
    try:
        formats: tuple[Literal["text"], Literal["json"]] = ("text", "json")
        for fmt in formats:
            stream = io.StringIO()
            reqlog.configure(fmt, stream)
            client.get(_path(info) + SPOT + "/market/last_price?symbol=BTCUSDT")
            client.get(SPOT + "/market/last_price?symbol=BTCUSDT")  # the root's: no tenant
            tenant_line, root_line = stream.getvalue().splitlines()
            if fmt == "json":
                assert json.loads(tenant_line)["tenant"] == info["id"] and "tenant" not in json.loads(root_line)
            else:
                assert tenant_line.split()[1:3] == [f"t/{info['id']}", "GET"]
                assert root_line.split()[1] == "GET"
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def test_deleting_a_tenant_refuses_its_requests_in_flight() -> None:
    with MockServer(liquidity=False) as server, httpx.Client(timeout=10) as http:
        info = server.admin.create_tenant()
        with server.admin.tenant_admin(info) as tenant:
            tenant.add_latency(600, path=PLACE)
            out: dict[str, httpx.Response] = {}

            def send() -> None:
                out["reply"] = Signed(http).post(info["url"] + PLACE, ORDER)

            thread = threading.Thread(target=send, daemon=True)
            thread.start()
            deadline = threading.Event()
            while not tenant.requests(wait=0):
                deadline.wait(0.01)
            assert server.app.tenants is not None
            held = server.app.tenants.get(info["id"])
            assert held is not None
            state = held.state
            server.admin.delete_tenant(info["id"])
            thread.join(10)
        reply = out["reply"]
        assert reply.json() == {"code": "500", "msg": "System error", "data": None, "success": False}
        assert reply.headers["x-mock-diagnosis"] == (
            "mock: this request began before the exchange was reset, restored or deleted (generation 0, now 1); "
            "it was refused unprocessed and changed nothing"
        )
        assert state.exchange.orders == {}
        after = http.get(info["url"] + SPOT + "/market/last_price?symbol=BTCUSDT")
        assert after.status_code == 404


def test_tenants_are_not_kept_by_the_state_directory(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    app = create_app(Config(liquidity=False, state_dir=directory))
    with MockAdmin("http://testserver", transport=sync_transport(app)) as admin:
        info = admin.create_tenant(seed=4)
        with admin.tenant_admin(info) as tenant:
            tenant.create_account({"USDT": "5"})
        admin.create_account({"USDT": "7"})  # the root's: kept
    durable = app.state.mock.durable
    assert durable is not None
    durable.close()
    again = create_app(Config(liquidity=False, state_dir=directory))
    try:
        with MockAdmin("http://testserver", transport=sync_transport(again)) as admin:
            assert admin.tenants() == []
            assert sorted(a["balances"].get("USDT", {}).get("free", "") for a in admin.accounts()) == ["100000", "7"]
    finally:
        assert again.state.mock.durable is not None
        again.state.mock.durable.close()


def test_a_deleted_tenant_is_collected_on_the_next_tick() -> None:
    app = create_app(Config(liquidity=False))
    tenants = app.tenants
    assert tenants is not None
    policy = GcPolicy(app.state.mock)
    try:
        policy.start()
        tenant = tenants.create(TenantSpec())
        policy.tick()  # the new tenant is frozen with the rest
        gone = weakref.ref(tenant.state.exchange)
        tenants.delete(tenant.id)
        del tenant
        policy.tick()  # a plain freeze would keep the deleted exchange's cycles forever
        assert gone() is None
        assert policy.full_collections == 1
    finally:
        gc.unfreeze()
        gc.collect()


def test_a_tenant_prefix_inside_a_tenant_is_that_tenants_404(root: tuple[TestClient, MockAdmin]) -> None:
    """/t/<id>/t/<id>/... used to be served again as /t/<id>/... (Starlette strips the root_path once more)."""
    client, admin = root
    info = admin.create_tenant()
    base, other = _path(info), _path(admin.create_tenant())
    not_found = {"code": "404", "msg": "Not Found", "data": None, "success": False}
    for nested in (
        base + base + "/_mock/status",
        base + base + SPOT + "/market/last_price?symbol=BTCUSDT",
        base + other + "/_mock/status",
        base + "/t/",
    ):
        resp = client.get(nested, headers=ADMIN)
        assert (resp.status_code, resp.json()) == (404, not_found), nested
    assert client.get(base + "/_mock/status", headers=ADMIN).status_code == 200  # the tenant itself still serves
    seen = [(e["path"], e["code"], e["status"]) for e in MockAdmin(info["url"], transport=client._transport).requests()]
    assert seen == [
        (base + "/_mock/status", "404", 404),
        (base + SPOT + "/market/last_price", "404", 404),
        (other + "/_mock/status", "404", 404),
        ("/t/", "404", 404),
    ]
    assert admin.requests() == []  # none of it reached the root's journal
