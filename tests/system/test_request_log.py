"""The request log (one line per exchange request) and the journal verdicts it shows.

Every journal entry names its operation (faulted and pending ones too; a 404 has none);
a refused placement (placeStatus 0) is ``PlaceRefused`` with the placeCode as ``code``.
Against a real subprocess: refusals are never logged as success, and SIGTERM / Ctrl-C
end the server with code 0 and no traceback.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, MockState, create_app, reqlog
from mockserver.api.faults import FaultRule
from mockserver.api.pipeline import PLACE_REFUSED
from mockserver.cli import GRACEFUL_SHUTDOWN_S

from ..helpers import Signed, err, ok
from ..serverproc import ROOT

SPOT = "/api/spot/v1"
TOO_BIG = {"side": 2, "type": 1, "volume": "1.9", "price": "60000", "symbol": "BTCUSDT"}  # 114,000 USDT: 10034
SMALL = {"side": 2, "type": 1, "volume": "0.001", "price": "60000", "symbol": "BTCUSDT"}


@pytest.fixture
def log_to() -> Iterator[Callable[[str], io.StringIO]]:
    """Route the request log to a StringIO in a format; restored afterwards (the logger is global)."""
    logger = logging.getLogger(reqlog.LOGGER_NAME)

    def start(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        reqlog.configure("json" if fmt == "json" else "text", stream)
        return stream

    yield start
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def _admin(client: TestClient, method: str, path: str, body: Any = None) -> Any:
    resp = client.request(method, "/_mock" + path, json=body, headers={"x-mock-admin": "1"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _last(client: TestClient) -> dict[str, Any]:
    entry: dict[str, Any] = _admin(client, "GET", "/journal?limit=1")[0]
    return entry


def test_a_refused_placement_is_journaled_place_refused_with_its_place_code(client: TestClient, signed: Signed) -> None:
    placed = ok(signed.post(SPOT + "/order/place_order", TOO_BIG))
    assert placed["placeStatus"] == 0 and placed["placeCode"] == "10034"
    entry = _last(client)
    assert (entry["verdict"], entry["code"], entry["operation"]) == (PLACE_REFUSED, "10034", "place_order")
    assert "10034" in entry["detail"]
    assert json.loads(entry["response"])["code"] == "0", "the envelope itself stays the exchange's"
    refused = _admin(client, "GET", "/journal?verdict=rejected&limit=5")
    assert [e["id"] for e in refused] == [entry["id"]], "a refused placement counts as rejected"
    ok(signed.post(SPOT + "/order/place_order", SMALL))
    assert _last(client)["verdict"] == "accepted"


def test_a_batch_is_place_refused_only_when_every_item_is(client: TestClient, signed: Signed) -> None:
    results = ok(signed.post(SPOT + "/order/place_order/batch", {"orderList": [SMALL, TOO_BIG]}))
    assert [r["placeStatus"] for r in results] == ["1", 0]
    entry = _last(client)
    assert entry["verdict"] == "accepted" and entry["code"] == "0"
    assert entry["refused_items"] == [{"index": 1, "placeCode": "10034", "placeMsg": results[1]["placeMsg"]}]
    assert entry["detail"].startswith("1 of 2 orders refused: [1] 10034")
    ok(signed.post(SPOT + "/order/place_order/batch", {"orderList": [TOO_BIG, TOO_BIG]}))
    entry = _last(client)
    assert (entry["verdict"], entry["code"]) == (PLACE_REFUSED, "10034")
    assert [r["index"] for r in entry["refused_items"]] == [0, 1]


def test_faulted_entries_name_their_operation_and_404s_none(client: TestClient, signed: Signed) -> None:
    _admin(client, "POST", "/faults", {"action": "error", "code": "110041", "path": SPOT + "/order/place_order"})
    assert err(signed.post(SPOT + "/order/place_order", SMALL))[0] == "110041"
    entry = _last(client)
    assert (entry["verdict"], entry["operation"]) == ("fault", "place_order")
    _admin(client, "POST", "/faults", {"action": "status", "status": 503, "path": SPOT + "/market/depth"})
    assert client.get(SPOT + "/market/depth", params={"symbol": "BTCUSDT"}).status_code == 503
    assert _last(client)["operation"] == "depth"
    big = b"{" + b" " * (70 * 1024) + b"}"
    client.post(SPOT + "/order/place_order", content=big, headers={"content-type": "application/json"})
    assert (_last(client)["verdict"], _last(client)["operation"]) == ("BodyTooLarge", "place_order")
    assert client.get("/api/spot/v1/no/such").status_code == 404
    assert _last(client)["operation"] is None


def test_a_pending_entry_names_its_operation() -> None:
    app = create_app(Config(liquidity=False))
    state: MockState = app.state.mock

    async def scenario() -> tuple[str, str | None]:
        state.faults.add(FaultRule(action="latency", latency_ms=300, path=SPOT + "/market/last_price"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            call = asyncio.create_task(http.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}))
            for _ in range(100):
                await asyncio.sleep(0.01)
                if len(state.journal):
                    break
            pending = state.journal.recent(1)[0]
            seen = (pending.verdict, pending.operation)
            await call
            return seen

    assert asyncio.run(scenario()) == ("pending", "last_price")
    assert state.journal.recent(1)[0].verdict == "accepted"


def test_the_text_log_says_what_was_decided_and_why(
    make_client: Callable[..., tuple[TestClient, MockState]], log_to: Callable[[str], io.StringIO]
) -> None:
    client, state = make_client(liquidity=False)
    stream = log_to("text")
    signed = Signed(client, now_ms=state.clock.now_ms)
    ok(client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}))
    client.get(SPOT + "/market/last_price", params={"symbol": "NOPE"})
    bad = Signed(client, secret="wrong-" + DEMO_SECRET, now_ms=state.clock.now_ms)
    bad.get(SPOT + "/user/account")
    signed.post(SPOT + "/order/place_order", TOO_BIG)
    pretty = json.dumps(SMALL, indent=1).encode()
    ok(signed.post(SPOT + "/order/place_order", pretty, **{"content-type": "text/plain"}))
    client.get("/nowhere")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 6, lines
    accepted, unknown, signature, refused, warned, missing = lines
    assert " GET  last_price " in accepted and " accepted 0 " in accepted and accepted.endswith("#1")
    assert "ParameterError 2" in unknown and "NOPE" in unknown
    assert "SignatureError 100005" in signature and "doctor: " in signature
    assert "demo...0001" in signature and DEMO_API_KEY not in signature
    assert f"{PLACE_REFUSED} 10034" in refused and "placement refused" in refused
    assert " accepted 0 " in warned and "warning body-not-compact:" in warned and "warning content-type:" in warned
    assert "/nowhere" in missing and "NotFound" in missing and "HTTP 404" in missing
    text = stream.getvalue()
    assert DEMO_SECRET not in text and "(redacted)" not in text


def test_the_json_log_is_one_object_per_request_without_secrets(
    make_client: Callable[..., tuple[TestClient, MockState]], log_to: Callable[[str], io.StringIO]
) -> None:
    client, state = make_client(liquidity=False)
    stream = log_to("json")
    signed = Signed(client, now_ms=state.clock.now_ms)
    ok(signed.get(SPOT + "/user/account"))
    Signed(client, secret="x", now_ms=state.clock.now_ms).get(SPOT + "/user/account")
    signed.post(SPOT + "/order/place_order", TOO_BIG)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["operation"], r["verdict"], r["code"]) for r in records] == [
        ("account", "accepted", "0"),
        ("account", "SignatureError", "100005"),
        ("place_order", PLACE_REFUSED, "10034"),
    ]
    assert {r["key"] for r in records} == {"demo...0001"}
    assert records[1]["diagnosis"]["mistake"] and records[1]["detail"]
    assert all(r["status"] == 200 and r["time"].endswith("Z") for r in records)
    text = stream.getvalue()
    assert DEMO_SECRET not in text and DEMO_API_KEY not in text


def test_nothing_is_built_when_the_log_is_off(
    client: TestClient, log_to: Callable[[str], io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    log_to("text")
    reqlog.configure(None)
    built: list[Any] = []
    monkeypatch.setattr(reqlog, "record_fields", lambda *a: built.append(a))
    ok(client.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}))
    assert built == [] and not logging.getLogger(reqlog.LOGGER_NAME).isEnabledFor(logging.INFO)


# ---------------------------------------------------------------- a real server process


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--json", "--no-liquidity", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise AssertionError("server exited: " + (proc.stderr.read() if proc.stderr else ""))
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, float]:
    """Send ``sig``; the exit code, stderr and the seconds it took (reported, never asserted)."""
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise
    took = time.monotonic() - started
    assert proc.stderr is not None
    return code, proc.stderr.read(), took


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_real_server_logs_refusals_as_refusals_and_stops_cleanly(sig: int) -> None:
    proc, banner = _start("--log-format", "text")
    try:
        with httpx.Client(base_url=banner["url"], timeout=10) as http:
            assert ok(http.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"}))
            assert err(http.get(SPOT + "/market/last_price", params={"symbol": "NOPE"}))[0] == "2"
            Signed(http, banner["api_key"], "wrong").get(SPOT + "/user/account")
            # a keep-alive connection stays open across the signal: it must not hold the shutdown
            code, stderr, took = _stop(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    print(f"{signal.Signals(sig).name}: exited {code} after {took:.3f} s")
    assert code == 0, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "200 OK" not in stderr, "uvicorn's access log is off: it calls every refusal a success"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 3, lines
    assert "accepted 0" in lines[0] and "ParameterError 2" in lines[1] and "SignatureError 100005" in lines[2]


@pytest.mark.slow
def test_the_request_log_is_off_when_stderr_is_not_a_terminal_and_quiet_wins() -> None:
    for args, env in (((), {}), (("--log-format", "json", "--quiet"), {}), ((), {"BITUNIX_MOCK_QUIET": "1"})):
        proc, banner = _start(*args, env=env)
        try:
            httpx.get(banner["url"] + SPOT + "/market/last_price", params={"symbol": "NOPE"}, timeout=10)
            code, stderr, _ = _stop(proc, signal.SIGTERM)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        assert code == 0 and stderr.strip() == "", (args, env, stderr)


@pytest.mark.slow
def test_a_request_stuck_in_flight_does_not_hold_sigterm_nor_print_a_traceback() -> None:
    import socket

    proc, banner = _start()
    try:
        with socket.create_connection(("127.0.0.1", banner["port"]), timeout=10) as stuck:
            # Half a body: the request is in flight until the graceful shutdown gives up on it.
            stuck.sendall(b"POST /api/spot/v1/order/place_order HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            assert httpx.get(banner["url"] + "/_mock/health", timeout=10).status_code == 200
            code, stderr, took = _stop(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    print(f"SIGTERM with a stuck request: exited {code} after {took:.3f} s")
    assert code == 0 and "Traceback" not in stderr, stderr
    # It was given the grace, then cancelled (GRACEFUL_SHUTDOWN_S keeps a stop within the README's 0.5 s).
    assert f"a request still in flight after {GRACEFUL_SHUTDOWN_S} s was cancelled at shutdown" in stderr, stderr
