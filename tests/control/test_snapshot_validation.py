"""Restore accepts only a snapshot that could have been dumped; anything else is a clean 400 that changes nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app
from mockserver.control.snapshot import SnapshotError, dump

from ..helpers import Signed, admin_call, err, examples, ok

SPOT = "/api/spot/v1"
BUY_LOW = {"side": 2, "type": 1, "volume": "0.001", "price": "50000", "symbol": "BTCUSDT"}


admin = admin_call


def _busy(client: TestClient, state: MockState) -> dict[str, Any]:
    """A snapshot with resting and filled orders, fills, a withdrawal, a second account and nonces."""
    state.clock.freeze(1_760_000_000_000)
    s = Signed(client, now_ms=state.clock.now_ms)
    ok(s.post(SPOT + "/order/place_order", BUY_LOW))
    ok(s.post(SPOT + "/order/place_order", {"side": 2, "type": 2, "volume": "100", "symbol": "BTCUSDT"}))
    address = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    ok(s.post(SPOT + "/withdraw", {"coin": "USDT", "network": "Tron (TRC-20)", "address": address, "amount": "10"}))
    admin(client, "POST", "/accounts", {"api_key": "other", "secret": "sec", "balances": {"ETH": "3"}})
    snap: dict[str, Any] = admin(client, "GET", "/snapshot")
    return snap


@pytest.fixture
def busy(make_client: Callable[..., tuple[TestClient, MockState]]) -> tuple[TestClient, MockState, dict[str, Any]]:
    client, state = make_client(liquidity=True, seed=3)
    return client, state, _busy(client, state)


def _refused(client: TestClient, doc: Any, error: str) -> None:
    before = admin(client, "GET", "/snapshot")
    assert admin(client, "POST", "/restore", doc, status=400) == {"error": error}
    assert admin(client, "GET", "/snapshot") == before


def _first(snap: dict[str, Any], pred: Callable[[dict[str, Any]], bool]) -> int:
    return next(i for i, o in enumerate(snap["orders"]) if pred(o))


@pytest.mark.slow  # ~40 restores of a full liquid snapshot: 8-20 s
def test_restore_refuses_what_the_engine_never_holds(busy: tuple[TestClient, MockState, dict[str, Any]]) -> None:
    client, _state, snap = busy
    mine = _first(snap, lambda o: o["account_id"] == "demo" and o["status"] == 1)
    # the last account reached by a key (its futures wallet, a system account, follows it in the list)
    user = next(i for i, a in enumerate(snap["accounts"]) if a["account_id"] == "acct-1")

    def mutated(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        doc = copy.deepcopy(snap)
        fn(doc)
        return doc

    cases: list[tuple[Callable[[dict[str, Any]], None], str]] = [
        (lambda d: d["balances"]["demo"].__setitem__("USDT", ["NaN", "0"]), "balances.demo.USDT: not a decimal: 'NaN'"),
        (
            lambda d: d["balances"]["demo"].__setitem__("USDT", ["Infinity", "0"]),
            "balances.demo.USDT: not a decimal: 'Infinity'",
        ),
        (lambda d: d["balances"]["demo"].__setitem__("BTC", ["-1", "0"]), "balances.demo.BTC: must not be negative"),
        (
            lambda d: d["balances"]["demo"].__setitem__("BTC", ["1" * 21, "0"]),
            "balances.demo.BTC: more than 20 integer digits",
        ),
        (
            lambda d: d["orders"].append(dict(d["orders"][mine])),
            f"orders.{len(snap['orders'])}.order_id: {snap['orders'][mine]['order_id']} given twice",
        ),
        (
            lambda d: d["ids"].__setitem__("order", int(snap["orders"][mine]["order_id"]) - 1),
            f"ids.order: behind the order id {snap['orders'][mine]['order_id']}",
        ),
        (
            lambda d: d["ids"].__setitem__("uid", 1),
            "ids.uid: behind the uid " + str(snap["accounts"][0]["uid"]) + " of account 'fees'",
        ),
        (
            lambda d: d["wallet"].__setitem__("seq", 0),
            "wallet.seq: behind the record id " + snap["wallet"]["records"][0]["id"],
        ),
        (
            lambda d: d["orders"][mine].__setitem__("locked", "1"),
            f"engine invariant broken: order {snap['orders'][mine]['order_id']}: open, but locks 1 where it needs 50",
        ),
        (
            lambda d: d["balances"]["demo"].__setitem__(
                "USDT",
                [str(Decimal(d["balances"]["demo"]["USDT"][0]) + Decimal(d["balances"]["demo"]["USDT"][1])), "0"],
            ),
            "engine invariant broken: demo USDT: locked 0 is not what its open orders lock",
        ),
        (
            lambda d: d["balances"]["demo"]["USDT"].__setitem__(0, "1"),
            "engine invariant broken: USDT: balances and net external flow differ by",
        ),
        (lambda d: d["liquidity"].__setitem__("levels", 10**9), "liquidity.levels: must be <= 200"),
        (lambda d: d["liquidity"].__setitem__("spacing_bps", 0), "liquidity.spacing_bps: must be >= 1"),
        (
            lambda d: d["orders"][mine].__setitem__("symbol", "FOOUSDT"),
            f"orders.{mine}.symbol: unknown market 'FOOUSDT'",
        ),
        (lambda d: d["orders"][mine].__setitem__("status", 5), f"orders.{mine}.status: must be one of 1, 2, 3, 4, 7"),
        (lambda d: d["orders"][mine].__setitem__("side", True), f"orders.{mine}.side: must be one of 1, 2"),
        (
            lambda d: d["orders"][mine].__setitem__("account_id", "ghost"),
            f"orders.{mine}.account_id: no account 'ghost'",
        ),
        (lambda d: d["balances"]["demo"].__setitem__("FOO", ["1", "0"]), "balances.demo: unknown coin 'FOO'"),
        (
            lambda d: d["accounts"].append(dict(d["accounts"][user])),
            f"accounts.{len(snap['accounts'])}.account_id: 'acct-1' given twice",
        ),
        (
            lambda d: d["accounts"][user].__setitem__("api_key", DEMO_API_KEY),
            f"accounts.{user}.api_key: given twice",
        ),
        (lambda d: d["clock"].__setitem__("now_ms", 10**16), "clock.now_ms: must be <= 4102444800000"),
        (lambda d: d.__setitem__("orders", {}), "orders: expected a list"),
        (lambda d: d.__setitem__("extra", 1), "extra: unknown field"),
        (lambda d: d.pop("nonces"), "nonces: required"),
        (
            lambda d: d["ids"].__setitem__("rng", [3, [0] * 10, None]),
            "ids.rng: expected [version, [625 integers], gauss]",
        ),
    ]
    w = next(i for i, r in enumerate(snap["wallet"]["records"]) if r["type"] == "withdraw")
    wid = snap["wallet"]["records"][w]["id"]
    cases += [
        # A restored withdrawal the withdrawals account does not hold would refund money nobody paid in.
        (
            lambda d: d["wallet"]["records"].append(dict(d["wallet"]["records"][w])),
            f"wallet record id {wid} appears twice",
        ),
        (
            lambda d: d["wallet"]["records"][w].__setitem__("amount", "5000"),
            "wallet: withdrawals not cancelled total 5000 USDT, but the withdrawals account holds 10 free and 0 locked",
        ),
        (
            lambda d: d["wallet"]["records"][w].__setitem__("status", "cancelled"),
            "wallet: withdrawals not cancelled total 0 USDT, but the withdrawals account holds 10 free and 0 locked",
        ),
    ]
    other = _first(snap, lambda o: o["order_id"] != snap["orders"][mine]["order_id"])
    demo_uid = next(a["uid"] for a in snap["accounts"] if a["account_id"] == "demo")
    cases += [
        # Time priority is by seq, and an order's uid is its account's: a restore must not break either.
        (
            lambda d: d["orders"][other].__setitem__("seq", snap["orders"][mine]["seq"]),
            f"engine invariant broken: order {snap['orders'][max(mine, other)]['order_id']}: "
            f"seq {snap['orders'][mine]['seq']} given twice",
        ),
        (
            lambda d: d["orders"][mine].__setitem__("uid", 1),
            f"engine invariant broken: order {snap['orders'][mine]['order_id']}: uid 1, but its account's is {demo_uid}",
        ),
    ]
    for fn, error in cases:
        doc = mutated(fn)
        before = admin(client, "GET", "/snapshot")
        got = admin(client, "POST", "/restore", doc, status=400)
        assert got["error"].startswith(error), (error, got)
        assert admin(client, "GET", "/snapshot") == before


def test_other_versions_are_refused_clearly(busy: tuple[TestClient, MockState, dict[str, Any]]) -> None:
    client, _, snap = busy
    _refused(client, dict(snap, version=1), "snapshot version 1; this mock reads version 3")
    _refused(client, dict(snap, version=True), "snapshot version True; this mock reads version 3")
    # Version 2 (before futures were kept) too: /restore takes what this mock dumps; only a state
    # directory's own older checkpoints are read as "no futures activity" (tests/control/test_snapshot_futures.py).
    old = {k: v for k, v in snap.items() if k not in ("futures", "futures_liquidity")}
    _refused(client, dict(old, version=2), "snapshot version 2; this mock reads version 3")
    _refused(client, [snap], "not a bitunix-mock-snapshot document")


def test_a_replay_after_restore_is_refused_like_before(make_client: Callable[..., Any]) -> None:
    client, state = make_client(liquidity=False)
    s = Signed(client, now_ms=state.clock.now_ms)
    headers = s.headers()
    assert ok(client.get(SPOT + "/user/account", headers=headers))
    before = err(client.get(SPOT + "/user/account", headers=headers))
    assert before == ("900001", "nonce already used")
    snap = admin(client, "GET", "/snapshot")
    fresh, _ = make_client(liquidity=False)
    admin(fresh, "POST", "/restore", snap)
    assert err(fresh.get(SPOT + "/user/account", headers=headers)) == before
    admin(client, "POST", "/restore", snap)
    assert err(client.get(SPOT + "/user/account", headers=headers)) == before


def test_reset_after_restore_gives_opening_balances_back(make_client: Callable[..., Any]) -> None:
    client, _state = make_client(liquidity=False, demo_balances={"USDT": Decimal("7")})
    made = admin(client, "POST", "/accounts", {"api_key": "bob", "secret": "s", "balances": {"ETH": "3"}})
    admin(client, "POST", "/accounts/bob/fund", {"coin": "ETH", "amount": "2"})
    snap = admin(client, "GET", "/snapshot")
    futures = {"USDT": "100000"}  # every account's futures wallet opens funded (Config.demo_futures_balances)
    assert snap["opening_balances"] == {
        "demo": {"USDT": "7"},
        "futures:demo": futures,
        made["account_id"]: {"ETH": "3"},
        "futures:" + made["account_id"]: futures,
    }
    fresh, _ = make_client(liquidity=False)  # a server whose own demo opens with other balances
    admin(fresh, "POST", "/restore", snap)
    assert admin(fresh, "POST", "/accounts/bob/reset")["balances"] == {"ETH": {"free": "3", "locked": "0"}}
    assert admin(fresh, "POST", f"/accounts/{DEMO_API_KEY}/reset")["balances"] == {"USDT": {"free": "7", "locked": "0"}}
    assert admin(fresh, "GET", "/audit")["conserved"] is True


# --------------------------------------------------------------- property


_APP = create_app(Config(liquidity=True, seed=11))
_APP.state.mock.wallet.whitelist("demo", ["TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"])  # as on the website
_CLIENT = TestClient(_APP, headers={"x-mock-admin": "1"})
_SNAP = _busy(_CLIENT, _APP.state.mock)
_NASTY: list[Any] = [
    "NaN",
    "Infinity",
    "-1",
    "1e999",
    -(10**30),
    10**30,
    1.5,
    None,
    True,
    "",
    "x" * 300,
    [],
    {},
    [1, 2],
    0,
    -1,
    "0",
]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list) and (not doc or not isinstance(doc[0], int) or len(doc) < 10):
        for i, v in enumerate(doc[:4]):
            out += _paths(v, (*prefix, i))
    return out


_ALL = [p for p in _paths(_SNAP) if p[:2] != ("ids", "rng") and p[:2] != ("liquidity", "rng")]


def _mutate(doc: Any, path: tuple[Any, ...], op: str, value: Any) -> None:
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if op == "delete":
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        parent[last] = value


@pytest.mark.slow  # a long property search: 30-90 s
@settings(max_examples=examples(120), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_ALL),
            st.sampled_from(["delete", "replace", "duplicate"]),
            st.sampled_from(_NASTY),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_snapshots_restore_cleanly_or_change_nothing(edits: list[tuple[Any, str, Any]]) -> None:
    doc = copy.deepcopy(_SNAP)
    for path, op, value in edits:
        try:
            _mutate(doc, path, op, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit removed the path
    before = _CLIENT.get("/_mock/snapshot").json()
    resp = _CLIENT.post("/_mock/restore", content=json.dumps(doc))
    assert resp.status_code in (200, 400), resp.text
    if resp.status_code == 400:
        assert set(resp.json()) == {"error"}
        assert _CLIENT.get("/_mock/snapshot").json() == before
    else:
        assert _CLIENT.get("/_mock/audit").json()["conserved"] is True
        # The restored exchange still trades and answers.
        state = _APP.state.mock
        s = Signed(_CLIENT, now_ms=state.clock.now_ms)
        reply = s.post(SPOT + "/order/place_order", BUY_LOW)
        assert reply.status_code == 200 and "code" in reply.json()
        assert _CLIENT.get(SPOT + "/market/depth", params={"symbol": "BTCUSDT"}).status_code == 200
        assert _CLIENT.get("/_mock/audit").json()["conserved"] is True
    _CLIENT.post("/_mock/restore", content=json.dumps(_SNAP)).raise_for_status()


# ---------------------------------------------------------------- the data documents the state keeps


def _kept_data(coin: str | None = None, pair: tuple[str, str] | None = None) -> dict[str, str]:
    """Data documents as a state directory keeps them: the embedded ones plus a coin and/or a market."""
    from mockserver.engine.seed import DATA_FILES, seed_text

    data = {name: seed_text(name) for name in DATA_FILES}
    if coin is not None:
        coins = json.loads(data["coins.json"])
        coins["coins"].append({**coins["coins"][0], "name": coin, "fullName": coin})
        data["coins.json"] = json.dumps(coins)
    if pair is not None:
        markets = json.loads(data["markets.json"])
        row = markets["markets"][0]
        markets["markets"].append({**row, "id": 99, "symbol": "".join(pair).lower(), "base": pair[0], "quote": pair[1]})
        data["markets.json"] = json.dumps(markets)
    return data


def test_a_restore_knows_the_coins_the_state_keeps_not_the_embedded_ones() -> None:
    """Reported: restore checked a document's coins against the embedded coins.json, so a balance in a
    coin of the state's own kept coins.json was refused as unknown."""
    state = MockState.build(Config(liquidity=False, data=_kept_data(coin="XYZ")))
    assert "XYZ" in [c["name"] for c in state.coins]
    state.exchange.fund("demo", "XYZ", Decimal("1.5"))
    restored = MockState.restore(state.config, dump(state))
    assert restored.exchange.balances("demo")["XYZ"].free == Decimal("1.5")
    # A coin neither the kept coins nor the markets know is still refused.
    doc = dump(state)
    doc["balances"]["demo"]["ABC"] = ["1", "0"]
    with pytest.raises(SnapshotError) as refused:
        MockState.restore(state.config, doc)
    assert str(refused.value) == "balances.demo: unknown coin 'ABC'"


def test_a_restore_knows_the_markets_the_state_keeps_not_the_markets_file() -> None:
    """Found beside the coins bug: the document's orders were checked against the ``--markets`` file's
    markets, while the state is built from the kept markets.json (a state directory's)."""
    state = MockState.build(Config(liquidity=False, data=_kept_data(pair=("XYZ", "USDT"))))
    state.exchange.fund("demo", "XYZ", Decimal(2))
    order = {"side": 1, "type": 1, "volume": "1", "price": "70000", "symbol": "XYZUSDT"}
    client = TestClient(create_app(state=state))
    ok(Signed(client, now_ms=state.clock.now_ms).post(f"{SPOT}/order/place_order", order))
    restored = MockState.restore(state.config, dump(state))
    assert [(o.symbol, o.volume) for o in restored.exchange.orders_of("demo")] == [("XYZUSDT", Decimal(1))]
