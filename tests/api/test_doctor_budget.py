"""The signature doctor does bounded work and is no oracle for other accounts' secrets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, Config, MockState, create_app
from mockserver.api import doctor
from mockserver.api.auth import PROFILES
from mockserver.api.doctor import (
    BUDGET_EXCEEDED,
    BUDGET_MESSAGE,
    MAX_HASHED_BYTES,
    MAX_OTHER_NONCES,
    UNKNOWN_MESSAGE,
    diagnose,
)

from ..helpers import Signed, err, fresh_nonce, sign_parts

SPOT = "/api/spot/v1"
K = DEMO_API_KEY
NESTED = b"[" * 46_000 + b"]" * 46_000  # ~90 KiB of deeply nested JSON
HUGE = b'{"a":"' + b"x" * ((1 << 20) - 8) + b'"}'  # exactly 1 MiB, the body limit


@pytest.fixture
def client_state(make_client: Any) -> Any:
    """Like the suite's default, with a 2 MiB body limit: these bodies pass the default 64 KiB on purpose."""
    return make_client(liquidity=False, max_body_bytes=2 << 20)


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def no_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the byte budget then: the work done no longer depends on how busy the machine is."""
    monkeypatch.setattr(doctor, "DEADLINE_S", 3600.0)


def wrong_sign(signed: Signed, body: bytes) -> dict[str, str]:
    return signed.headers(body=body, sign="ab" * 32, **{"x-mock-diagnose": "1"})


def test_deeply_nested_json_costs_a_bounded_number_of_hashes(
    no_deadline: None, client: TestClient, signed: Signed, state: MockState
) -> None:
    assert len(NESTED) == 92_000
    resp = client.post(SPOT + "/order/place_order", content=NESTED, headers=wrong_sign(signed, NESTED))
    assert err(resp) == ("100005", "result.api.parameter.sign.illegal")
    assert resp.headers["x-mock-diagnosis"] == "unknown: " + UNKNOWN_MESSAGE
    found = state.journal.recent(1)[0].extra["diagnosis"]
    # no body variants and no str()/form forms (over 8 KiB): 2 seconds-timestamps, 19 formula checks (6 of
    # them the secret with whitespace around it), the upper-cased nonce
    assert found["hashes"] == 22
    assert found["hashed_bytes"] <= MAX_HASHED_BYTES
    assert len(found["expected_digest_input"]) < 1100
    assert found["expected_digest_input"].endswith(f"…(truncated: {32 + 13 + 32 + 92_000} bytes in all)")


def test_a_one_megabyte_body_exceeds_the_budget(
    no_deadline: None, client: TestClient, signed: Signed, state: MockState
) -> None:
    assert len(HUGE) == 1 << 20
    resp = client.post(SPOT + "/order/place_order", content=HUGE, headers=wrong_sign(signed, HUGE))
    assert err(resp) == ("100005", "result.api.parameter.sign.illegal")
    assert resp.headers["x-mock-diagnosis"] == f"{BUDGET_EXCEEDED}: {BUDGET_MESSAGE}"
    found = state.journal.recent(1)[0].extra["diagnosis"]
    assert found["mistake"] == "budget-exceeded" and found["hashes"] == 1
    assert found["hashed_bytes"] <= MAX_HASHED_BYTES


def test_the_deadline_is_checked_between_candidates() -> None:
    ticks: Iterator[float] = iter(i * 0.005 for i in range(1000))  # 5 ms per look at the clock
    found = diagnose(
        method="GET",
        raw_query=b"",
        body=b"",
        headers={"api-key": "k", "nonce": "n" * 32, "timestamp": "1724285700000", "sign": "ab" * 32},
        secret="s",
        profile=PROFILES["strict"],
        clock=lambda: next(ticks),
    )
    # start at 0 (deadline 20 ms); candidates at 5, 10, 15, 20 ms run; the fifth look (25 ms) stops
    assert (found.mistake, found.message, found.hashes) == (BUDGET_EXCEEDED, BUDGET_MESSAGE, 4)


def test_other_nonces_tried_are_bounded() -> None:
    nonce, ts = "n" * 32, "1724285700000"
    others = [f"{i:032d}" for i in range(1000)]
    late = others[MAX_OTHER_NONCES + 5]
    found = diagnose(
        method="GET",
        raw_query=b"",
        body=b"",
        headers={"api-key": "k", "nonce": nonce, "timestamp": ts, "sign": sign_parts(late, ts, "k", "s", "", b"")},
        secret="s",
        profile=PROFILES["strict"],
        other_nonces=others,
        deadline_s=3600.0,
    )
    # 4 = 2 bodies on a GET + 2 seconds-timestamps; 19 formulas (6 secrets with whitespace); no str() forms
    # (empty body); the upper-cased nonce is one of the MAX_OTHER_NONCES
    assert found.mistake == "unknown" and found.hashes == 4 + 19 + MAX_OTHER_NONCES
    early = others[3]
    found = diagnose(
        method="GET",
        raw_query=b"",
        body=b"",
        headers={"api-key": "k", "nonce": nonce, "timestamp": ts, "sign": sign_parts(early, ts, "k", "s", "", b"")},
        secret="s",
        profile=PROFILES["strict"],
        other_nonces=others,
        deadline_s=3600.0,
    )
    assert found.mistake == "other-nonce"


def test_small_flat_bodies_still_get_the_variant_checks(client: TestClient, signed: Signed) -> None:
    sent = b'{"symbol": "BTCUSDT"}'
    nonce, ts = fresh_nonce(), str(signed.now_ms())
    signed_as = sign_parts(nonce, ts, K, signed.secret, "", b'{"symbol":"BTCUSDT"}')
    headers = {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": signed_as, "x-mock-diagnose": "1"}
    resp = client.post(SPOT + "/order/pending/list", content=sent, headers=headers)
    assert resp.headers["x-mock-diagnosis"].startswith("reserialized-body: ")


def test_the_doctor_is_no_oracle_for_other_secrets() -> None:
    made = create_app(Config(liquidity=False))
    mock: MockState = made.state.mock
    victim = mock.exchange.create_account()
    attacker = TestClient(made, client=("203.0.113.66", 40000))
    owner = TestClient(made, client=("198.51.100.7", 40000))

    def guess(client: TestClient, secret: str) -> str:
        nonce, ts = fresh_nonce(), str(mock.clock.now_ms())
        sign = sign_parts(nonce, ts, K, secret, "", b"")
        headers = {"api-key": K, "nonce": nonce, "timestamp": ts, "sign": sign, "x-mock-diagnose": "1"}
        resp = client.get(SPOT + "/user/account", headers=headers)
        assert err(resp)[0] == "100005"
        return resp.headers["x-mock-diagnosis"]

    # The attacker guesses right, and wrong: the doctor answers the same.
    assert guess(attacker, victim.secret) == "unknown: " + UNKNOWN_MESSAGE
    assert guess(attacker, "not-the-secret") == "unknown: " + UNKNOWN_MESSAGE
    # The victim's own address, once it used its key successfully, is told it mixed up its keys.
    ok_resp = Signed(owner, victim.api_key, victim.secret, mock.clock.now_ms).get(SPOT + "/user/account")
    assert ok_resp.json()["code"] == "0"
    assert guess(owner, victim.secret).startswith("wrong-secret: ")
    assert victim.api_key not in guess(owner, victim.secret)
    # ... and the attacker's address still learns nothing.
    assert guess(attacker, victim.secret) == "unknown: " + UNKNOWN_MESSAGE
    for c in (attacker, owner):
        c.close()
    assert "received_sign" not in str([e.extra for e in mock.journal])
