"""The journal stays bounded and keeps no credential: per entry, per ring, and in curl lines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, MockState
from mockserver.api.journal import (
    MAX_HEADER_BYTES,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    MAX_KEPT_BODY,
    MAX_KEPT_QUERY,
    MAX_KEPT_RESPONSE,
    REDACTED,
    Journal,
)
from mockserver.control.controller import entry_json, to_curl
from mockserver.testing import MockServer

from ..helpers import Signed, err, ok

SPOT = "/api/spot/v1"
BUY = {"side": 2, "type": 1, "volume": "0.001", "price": "50000", "symbol": "BTCUSDT"}


@pytest.fixture
def client_state(make_client: Any) -> Any:
    """Like the suite's default, with a 2 MiB body limit: these bodies pass the default 64 KiB on purpose."""
    return make_client(liquidity=False, max_body_bytes=2 << 20)


def headers_bytes(h: dict[str, str]) -> int:
    return sum(len(k) + len(v) for k, v in h.items())


def test_a_one_megabyte_header_leaves_a_bounded_entry(signed: Signed, state: MockState) -> None:
    ok(signed.get(SPOT + "/user/account", **{"x-junk": "j" * (1 << 20)}))
    entry = list(state.journal)[-1]
    assert entry.headers["x-junk"] == "j" * MAX_HEADER_VALUE + f"…(truncated from {1 << 20} bytes)"
    assert headers_bytes(entry.headers) <= MAX_HEADER_BYTES
    assert entry.measure() < 16 * 1024
    assert state.journal.nbytes == entry.measure() + sum(e.measure() for e in list(state.journal)[:-1])


def test_header_count_and_total_are_bounded_keeping_the_signature_headers(signed: Signed, state: MockState) -> None:
    many = {f"x-h{i:03d}": "v" * 500 for i in range(200)}
    ok(signed.get(SPOT + "/user/account", **many))
    entry = list(state.journal)[-1]
    assert len(entry.headers) <= MAX_HEADERS and headers_bytes(entry.headers) <= MAX_HEADER_BYTES
    assert entry.headers["api-key"] == DEMO_API_KEY and "nonce" in entry.headers and "timestamp" in entry.headers
    kept_pads = [name for name in entry.headers if name.startswith("x-h")]
    assert kept_pads == [f"x-h{i:03d}" for i in range(len(kept_pads))]
    assert entry.extra["headers_dropped"] == 200 - len(kept_pads)


def test_query_body_and_response_are_bounded(client: TestClient, signed: Signed, state: MockState) -> None:
    query = "symbol=BTCUSDT&pad=" + "q" * 10_000
    client.get(SPOT + "/market/last_price?" + query)
    entry = list(state.journal)[-1]
    assert len(entry.query) == MAX_KEPT_QUERY and entry.extra["query_truncated_from"] == len(query)
    body = b'{"symbol":"BTCUSDT","pad":"' + b"b" * 100_000 + b'"}'
    signed.post(SPOT + "/order/pending/list", body)
    entry = list(state.journal)[-1]
    assert len(entry.body) == MAX_KEPT_BODY and entry.extra["body_truncated_from"] == len(body)
    journal = Journal(10)
    e = journal.open(0, "GET", "/x", "", {}, b"", None)
    e.set_response(b"r" * 100_000)
    assert len(e.response) == MAX_KEPT_RESPONSE and e.extra["response_truncated_from"] == 100_000
    assert journal.nbytes == e.measure() < 17 * 1024


def test_the_ring_is_bounded_in_bytes() -> None:
    journal = Journal(10_000, max_bytes=200_000)
    for i in range(100):
        entry = journal.open(i, "POST", "/x", "", {"x-pad": "p" * 1000}, b"b" * 10_000, "127.0.0.1")
        entry.set_response(b"r" * 10_000)
        assert journal.nbytes <= 200_000
    kept = list(journal)
    assert 5 < len(kept) < 20 and kept[-1].time_ms == 99 and kept[0].time_ms == 100 - len(kept)
    assert journal.nbytes == sum(e.measure() for e in kept)
    journal.clear()
    assert journal.nbytes == 0 and len(journal) == 0


def test_the_ring_keeps_its_entry_count_bound() -> None:
    journal = Journal(3)
    for i in range(10):
        journal.open(i, "GET", "/x", "", {}, b"", None).set_response(b"{}")
    assert [e.time_ms for e in journal] == [7, 8, 9]
    assert journal.nbytes == sum(e.measure() for e in journal)


def test_credentials_are_redacted_everywhere(client: TestClient, signed: Signed, state: MockState) -> None:
    leaks = {
        "x-mock-admin-token": "adm1n-t0ken",
        "authorization": "Bearer b3arer",
        "x-api-secret": "s3cret-value",
        "cookie": "session=c00kie",
    }
    resp = signed.post(SPOT + "/order/place_order", BUY, **leaks)
    ok(resp)
    entry_id = int(resp.headers["x-mock-journal-id"])
    entry = state.journal.recent(1)[0]
    assert entry.id == entry_id
    for name in [*leaks, "sign"]:
        assert entry.headers[name] == REDACTED, name
    dumped = str(entry_json(entry)) + to_curl(entry, "http://127.0.0.1:8080")
    for value in [*leaks.values(), signed.headers()["sign"][:6]]:
        assert value not in dumped
    served = client.get(f"/_mock/journal/{entry_id}").json()
    assert all(served["headers"][name] == REDACTED for name in [*leaks, "sign"])
    curl = client.get(f"/_mock/journal/{entry_id}/curl").text
    assert '"sign: $SIGN"' in curl
    for name in leaks:
        assert name not in curl
    for value in leaks.values():
        assert value not in curl


def test_a_wrong_sign_is_not_kept_anywhere(client: TestClient, signed: Signed, state: MockState) -> None:
    wrong = "0123456789abcdef" * 4
    resp = signed.get(SPOT + "/user/account", sign=wrong, **{"x-mock-diagnose": "1"})
    assert err(resp)[0] == "100005"
    entry = state.journal.recent(1)[0]
    assert entry.headers["sign"] == REDACTED
    assert entry.extra["diagnosis"]["mistake"] == "unknown" and "received_sign" not in entry.extra["diagnosis"]
    assert wrong[:6] not in str(entry_json(entry)) and wrong not in str(resp.headers)


def test_a_one_megabyte_header_over_a_real_socket() -> None:
    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url, timeout=30) as http:
        resp = http.get(SPOT + "/market/last_price?symbol=BTCUSDT", headers={"x-big": "h" * (1 << 20)})
        assert ok(resp) == "64000.00"
        entry = mock.state.journal.recent(1)[0]
        assert entry.headers["x-big"] == "h" * MAX_HEADER_VALUE + f"…(truncated from {1 << 20} bytes)"
        assert mock.state.journal.nbytes == entry.measure() < 4 * 1024
