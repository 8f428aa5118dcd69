"""Signing rules: known-answer vectors, canonical query forms, verification profiles, nonce memory."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import Config, canonical_query, sign
from mockserver.api.auth import (
    DEFAULT_PROFILE,
    PROFILES,
    NonceStore,
    QueryForm,
    digest_input,
    query_pairs,
)

from ..helpers import auth_headers, examples, fresh_nonce, sign_parts

# Worked examples from shared/research/bitunix-spot-spec.md §1.7 (credentials made up there).
KEY = "b7c3e1a94f2d4c6e8a0b1d3f5e7a9c2e"
SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100"
NONCE = "0c1d2e3f405162738495a6b7c8d9eaf1"
TS = "1724285700000"


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ("orderId1909879608889339906", b"", "16ca20cd7ed67fa8341a4528b88be39f68fd476c0e8229f14935db74071ed6a3"),
        ("interval60limit200symbolBTCUSDT", b"", "292dbd8c6ca959538680beb797cacdab3e36a52d835ffdb59193296ddd9aaeab"),
        ("interval=60limit=200symbol=BTCUSDT", b"", "25dc250e9cdc19c51a04fcb2682e1e9b6cfa48de022cc8a0f8741b3368cbec4b"),
        ("", b"", "2dec91c2928edb9c8d56b04d1d33932cfdce5e92d5914606ad0600e52cb60698"),
        (
            "",
            b'{"side":2,"type":1,"volume":"0.001","price":"60000","symbol":"BTCUSDT"}',
            "0d6abd13eb54713c314a33f9c552cebbc23ef9cf20dd48bc59b154a36c233a37",
        ),
        (
            "",
            b'{"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}',
            "25515ff7510d8e629b856b48d511439164522bf35f6c9c569c99f307d0d3dd97",
        ),
        (
            "",
            b'{"orderIdList":[{"orderId":"1909879608889339906","symbol":"BTCUSDT"}]}',
            "c566e598cb69741d35dd064cfb5eb2abd7c3dacacc5ca5071f4aec311f277e2e",
        ),
    ],
)
def test_spec_worked_examples(query: str, body: bytes, expected: str) -> None:
    assert sign(NONCE, TS, KEY, SECRET, query, body) == expected


def test_official_demo_vector() -> None:
    # The exchange's own Go demo test: api-key 1..1, secret 2..2, nonce 3..3, query marginCoinUSDT.
    got = sign("33333333333333333", "1747104711262", "11111111111111111", "22222222222222222", "marginCoinUSDT")
    assert got == "40e87256554e263e39201a3979469b7fbb640d1c7c41759abf5c6a18f937f922"


def test_digest_input_is_the_plain_concatenation() -> None:
    assert digest_input("n", "1", "k", "a1b2", b'{"x":1}') == b'n1ka1b2{"x":1}'


def test_canonical_query_sorts_keys_and_decodes_values() -> None:
    pairs = query_pairs(b"uid=200&id=1&sym=%E6%AF%94%E7%89%B9&empty=")
    assert canonical_query(pairs) == "emptyid1sym比特uid200"
    assert canonical_query(pairs, QueryForm.EQUALS) == "empty=id=1sym=比特uid=200"
    assert canonical_query(pairs, keep_empty=False) == "id1sym比特uid200"


def _account_get(client: TestClient, query: str, canonical: str, *, nonce: str | None = None) -> str:
    nonce = nonce or fresh_nonce()
    state = client.app.state.mock  # type: ignore[attr-defined]
    ts = str(state.clock.now_ms())
    demo = state.demo
    headers = {
        "api-key": demo.api_key,
        "nonce": nonce,
        "timestamp": ts,
        "sign": sign_parts(nonce, ts, demo.api_key, demo.secret, canonical, b""),
    }
    code: str = client.get(f"/api/spot/v1/order/detail?{query}", headers=headers).json()["code"]
    return code


@pytest.mark.parametrize(
    ("profile", "concat", "equals"),
    [("live", "0", "100005"), ("strict", "0", "100005"), ("docs", "100005", "0"), ("observed", "0", "100005")],
)
def test_profiles_pick_the_query_form(make_client, profile: str, concat: str, equals: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = make_client(liquidity=False, profile=profile)
    assert _account_get(client, "orderId=42&symbol=BTCUSDT", "orderId42symbolBTCUSDT") == concat
    assert _account_get(client, "orderId=42&symbol=BTCUSDT", "orderId=42symbol=BTCUSDT") == equals


def test_empty_values_may_be_kept_or_dropped(client: TestClient) -> None:
    assert _account_get(client, "orderId=42&clientId=", "clientIdorderId42") == "0"
    assert _account_get(client, "orderId=42&clientId=", "orderId42") == "0"


@pytest.mark.parametrize("profile", ["live", "observed"])
def test_live_profiles_accept_long_nonces_and_future_timestamps(make_client, profile: str) -> None:  # type: ignore[no-untyped-def]
    client, state = make_client(liquidity=False, profile=profile)
    base64_nonce = "q9/3yR+5bW0aZkJXo2mN1w7PtVx4LcE8sHuGfDiA6Qk="
    assert len(base64_nonce) == 44
    assert _account_get(client, "orderId=1", "orderId1", nonce=base64_nonce) == "0"
    demo = state.demo
    ts = str(state.clock.now_ms() + 3_600_000)
    nonce = fresh_nonce()
    headers = {
        "api-key": demo.api_key,
        "nonce": nonce,
        "timestamp": ts,
        "sign": sign_parts(nonce, ts, demo.api_key, demo.secret, "", b""),
    }
    assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == "0"


def test_strict_rejects_long_nonces(make_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = make_client(liquidity=False, profile="strict")
    assert _account_get(client, "orderId=1", "orderId1", nonce="x" * 44) == "900002"


def test_only_observed_accepts_a_replay(make_client) -> None:  # type: ignore[no-untyped-def]
    for profile, second in [("live", "900001"), ("strict", "900001"), ("docs", "900001"), ("observed", "0")]:
        client, state = make_client(liquidity=False, profile=profile)
        demo = state.demo
        headers = auth_headers(demo.api_key, demo.secret, str(state.clock.now_ms()))
        assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == "0"
        assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == second, profile


def test_uppercase_hex_sign_is_refused(client: TestClient) -> None:
    state = client.app.state.mock  # type: ignore[attr-defined]
    demo = state.demo
    nonce, ts = fresh_nonce(), str(state.clock.now_ms())
    good = sign_parts(nonce, ts, demo.api_key, demo.secret, "", b"")
    headers = {"api-key": demo.api_key, "nonce": nonce, "timestamp": ts, "sign": good.upper()}
    assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == "100005"


def test_a_nonce_is_single_use_per_key_but_free_across_keys(client: TestClient) -> None:
    state = client.app.state.mock  # type: ignore[attr-defined]
    other = state.exchange.create_account(balances={"USDT": Decimal(1)})
    nonce = fresh_nonce()
    for key, secret, expected in [
        (state.demo.api_key, state.demo.secret, "0"),
        (state.demo.api_key, state.demo.secret, "900001"),
        (other.api_key, other.secret, "0"),
    ]:
        ts = str(state.clock.now_ms())
        headers = {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign_parts(nonce, ts, key, secret, "", b"")}
        assert client.get("/api/spot/v1/user/info", headers=headers).json()["code"] == expected


def test_nonce_memory_expires_with_the_window() -> None:
    store = NonceStore()
    t0 = 1_000_000_000_000
    for i in range(1000):
        assert store.add("k", f"n{i}", t0 + 60_000, t0)
    assert not store.add("k", "n5", t0 + 60_000, t0 + 30_000)
    assert len(store) == 1000
    assert store.add("k", "late", t0 + 200_000, t0 + 62_000)  # the first thousand are forgotten here
    assert len(store) == 1
    assert store.add("k", "n5", t0 + 200_000, t0 + 62_000)


def test_expired_nonces_are_forgotten_at_the_next_call() -> None:
    """A passed second is forgotten by the next call, whole; a key left with no live nonce keeps no dict."""
    store = NonceStore()
    t0 = 1_000_000_000_000
    assert store.add("k", "keep", t0 + 120_000, t0)
    for i in range(1000):
        assert store.add("k", f"n{i}", t0 + 60_000, t0)
    assert store.add("k", "late", t0 + 200_000, t0 + 62_000)
    assert len(store) == 2 and set(store._seen["k"]) == {"keep", "late"}
    assert store.add("k", "n999", t0 + 200_000, t0 + 62_000)  # forgotten: a new use, not a replay
    assert not store.add("k", "n999", t0 + 200_000, t0 + 62_000)  # but now it is live again
    store.expire(t0 + 300_000)
    assert len(store) == 0 and "k" not in store._seen


def test_many_keys_expiring_together_are_all_forgotten() -> None:
    store = NonceStore()
    t0 = 1_000_000_000_000
    for k in range(1000):
        store.add(f"key{k}", "n", t0 + 60_000, t0)
    store.add("late", "n", t0 + 200_000, t0 + 62_000)
    assert len(store) == 1 and set(store._seen) == {"late"}


def test_a_passed_second_stays_forgotten_when_the_clock_moves_back() -> None:
    """Forgotten is forgotten: a nonce of a passed second is new again when the clock moves back."""
    store = NonceStore()
    t0 = 1_000_000_000_000
    for i in range(100):
        store.add("k", f"n{i}", t0 + 60_000, t0)
    store.add("k", "late", t0 + 200_000, t0 + 62_000)  # forgets the hundred
    assert store.add("k", "n99", t0 + 60_000, t0 + 1_000)  # the clock moved back: still forgotten
    assert store.add("k", "n0", t0 + 60_000, t0 + 1_000)
    assert not store.add("k", "n0", t0 + 60_000, t0 + 1_000)  # and live again now


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "add", "expire", "clear_key", "len"]),
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 30),  # nonce
            st.integers(0, 3_000),  # ms the clock moves forward first
            st.integers(0, 90_000),  # how far ahead the nonce's expiry is
        ),
        max_size=200,
    )
)
@settings(max_examples=examples(150), deadline=None)
def test_the_nonce_store_answers_as_a_plain_model(steps: list[tuple[str, str, int, int, int]]) -> None:
    """Against a dict (key, nonce) -> expiry second, forgotten once the second has passed."""
    store = NonceStore()
    model: dict[tuple[str, str], int] = {}
    now = 1_000_000_000_000
    for op, key, n, dt, ahead in steps:
        now += dt
        now_sec = now // 1000
        if op in ("add", "expire"):  # the store forgets passed seconds when it is called
            model = {k: sec for k, sec in model.items() if sec > now_sec}
        if op == "add":
            fresh = (key, f"n{n}") not in model
            assert store.add(key, f"n{n}", now + ahead, now) is fresh
            if fresh:
                model[(key, f"n{n}")] = (now + ahead) // 1000 + 1
        elif op == "expire":
            store.expire(now)
        elif op == "clear_key":
            store.clear(key)
            model = {k: sec for k, sec in model.items() if k[0] != key}
        assert len(store) == len(model)
    store.expire(now + 10**7)
    assert len(store) == 0 and not store._seen and not store.export_rows()


def test_clearing_a_key_leaves_no_expiry_behind() -> None:
    store = NonceStore()
    t0 = 1_000_000_000_000
    store.add("k", "a", t0 + 60_000, t0)
    store.clear("k")
    assert store.add("k", "a", t0 + 60_000, t0)  # forgotten with the key, and counted once
    store.expire(t0 + 120_000)
    assert len(store) == 0 and store.export_rows() == []


def test_profile_table_is_documented() -> None:
    assert set(PROFILES) == {"live", "observed", "strict", "docs"}
    assert Config().profile == "live" == DEFAULT_PROFILE
    for p in PROFILES.values():
        assert p.description
