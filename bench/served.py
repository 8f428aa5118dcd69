"""The served figures: the mock, a bare Starlette hello-world and a peer, loaded by wrk over loopback.

Each server is a process of its own (uvicorn with httptools and uvloop for the mock and the
hello-world; node for Prism), pinned to core 0 when ``taskset`` exists, loaded by ``wrk -t1``
pinned to core 1 replaying a file of pre-built requests: signed ones each carry a unique nonce and
a fresh timestamp, so every answer is a success (``replay.lua`` reports the first that is not).
A round loads one server, then the other (ABBA), and reads for each: req/s, p50/p99, and the
server's CPU seconds per request (``/proc/<pid>/stat``, the process and its children) - the
figure that holds best on a shared machine, since a busy neighbour stretches wall time, not the
work a request costs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.peers import PRISM_VERSION, serve_prism, unavailable
from bench.stats import ROUNDS, abba, summarize

__all__ = ["against_prism", "http_benchmarks", "run_wrk", "serve_hello", "serve_mock", "startup_time_rounds"]

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "replay.lua"
SPOT = "/api/spot/v1"
PLACE_BODY = '{"side":2,"type":1,"volume":"0.001","price":"20000","symbol":"BTCUSDT"}'
_TICKS = os.sysconf("SC_CLK_TCK")


def pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def ensure_wrk() -> str:
    """wrk's path; installs Debian's wrk when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk) ...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is required and could not be installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 20.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live children (a wrapper's child does the work)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


@contextmanager
def serve_hello() -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [*pin(0), sys.executable, "-m", "uvicorn", "bench.hello:app", "--port", str(port)]
    cmd += ["--loop", "auto", "--http", "auto", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}/hello")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def serve_mock() -> Iterator[tuple[dict[str, Any], float]]:
    """The mock as users start it; yields its banner and the seconds from spawn to first answer."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    cmd = [*pin(0), sys.executable, "-m", "mockserver", "--port", "0", "--json", "--show-secrets", "--no-liquidity"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        banner = json.loads(proc.stdout.readline())
        wait_ready(banner["url"] + "/_mock/health")
        startup = time.perf_counter() - t0
        banner["pid"] = proc.pid
        yield banner, startup
    finally:
        proc.terminate()
        proc.wait(10)


def startup_time_rounds(repeats: int = ROUNDS) -> list[float]:
    times = []
    for _ in range(repeats):
        with serve_mock() as (_banner, startup):
            times.append(startup)
    return times


def sign(nonce: str, ts: str, key: str, secret: str, query: str, body: str) -> str:
    digest = hashlib.sha256((nonce + ts + key + query + body).encode()).hexdigest()
    return hashlib.sha256((digest + secret).encode()).hexdigest()


def _signed_headers(key: str, secret: str, body: str, nonce: str, ts: str) -> dict[str, str]:
    headers = {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign(nonce, ts, key, secret, "", body)}
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def _line(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    hdr = ";".join(f"{k}={v}" for k, v in headers.items())
    return f"{method}\t{path}\t{hdr}\t{body}\n"


def build_requests(kind: str, count: int, banner: dict[str, Any] | None, last_order_id: int = 0, lag: int = 0) -> str:
    """A request file for ``kind``: hello, account, place_cancel."""
    fd, path = tempfile.mkstemp(prefix=f"bench-{kind}-", suffix=".txt")
    key, secret = (banner["api_key"], banner["secret"]) if banner is not None else ("", "")
    with os.fdopen(fd, "w") as f:
        if kind == "hello":
            f.write(_line("GET", "/hello", {}) * count)
            return path
        ts = str(time.time_ns() // 1_000_000)
        for i in range(count):
            nonce = f"{i:08x}{os.urandom(12).hex()}"
            if kind == "account":
                f.write(_line("GET", SPOT + "/user/account", _signed_headers(key, secret, "", nonce, ts)))
            elif i % 2 == 0:
                headers = _signed_headers(key, secret, PLACE_BODY, nonce, ts)
                f.write(_line("POST", SPOT + "/order/place_order", headers, PLACE_BODY))
            else:
                # Cancel the order placed ``lag`` places earlier: with many connections in flight a cancel
                # could overtake its own place; the first few cancels hit nothing (a no-op, still a success).
                oid = last_order_id + i // 2 + 1 - lag
                body = '{"orderIdList":[{"orderId":"' + str(oid) + '","symbol":"BTCUSDT"}]}'
                f.write(_line("POST", SPOT + "/order/cancel", _signed_headers(key, secret, body, nonce, ts), body))
    return path


def last_order_id(banner: dict[str, Any]) -> int:
    """The id of an order placed (and cancelled) now: ids are consecutive, so the next place gets this + 1."""
    key, secret, url = banner["api_key"], banner["secret"], banner["url"]
    ts = str(time.time_ns() // 1_000_000)
    reply = httpx.post(
        url + SPOT + "/order/place_order",
        content=PLACE_BODY,
        headers=_signed_headers(key, secret, PLACE_BODY, os.urandom(16).hex(), ts),
    ).json()
    oid = int(reply["data"]["orderId"])
    body = '{"orderIdList":[{"orderId":"' + str(oid) + '","symbol":"BTCUSDT"}]}'
    httpx.post(
        url + SPOT + "/order/cancel", content=body, headers=_signed_headers(key, secret, body, os.urandom(16).hex(), ts)
    )
    return oid


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(wrk: str, url: str, reqfile: str, connections: int, seconds: int, pid: int | None = None) -> dict[str, Any]:
    """One wrk run; with ``pid``, also the server's CPU milliseconds per request."""
    cmd = [*pin(1), wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), url]
    cpu0 = cpu_seconds(pid) if pid is not None else 0.0
    proc = subprocess.run(cmd, env={**os.environ, "REQFILE": reqfile}, capture_output=True, text=True, check=True)
    cpu = cpu_seconds(pid) - cpu0 if pid is not None else 0.0
    out = proc.stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "requests": total,
        "cpu_ms_per_request": 1000 * cpu / max(1, total),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "bad_answer": proc.stderr.strip().splitlines()[0] if "BAD" in proc.stderr else None,
    }


def compare(
    wrk: str,
    base: tuple[str, int, str],
    other: tuple[str, int, Callable[[], str]],
    connections: int,
    seconds: int,
    rounds: int,
) -> dict[str, Any]:
    """``rounds`` ABBA rounds of ``base`` (url, pid, request file) against ``other`` (url, pid, file maker)."""
    base_url, base_pid, base_file = base
    url, pid, make = other
    warm = make()
    run_wrk(wrk, url, warm, connections, 1)  # warm-up: also fills the journal ring
    run_wrk(wrk, base_url, base_file, connections, 1)
    os.unlink(warm)
    pairs: list[dict[str, Any]] = []
    for i in range(rounds):
        path = make()
        got: dict[str, dict[str, Any]] = {}
        for side in abba(i, "base", "other"):
            if side == "base":
                got[side] = run_wrk(wrk, base_url, base_file, connections, seconds, base_pid)
            else:
                got[side] = run_wrk(wrk, url, path, connections, seconds, pid)
        os.unlink(path)
        pairs.append(got)
    return {
        "rounds": pairs,
        "rps_ratio": summarize([p["other"]["rps"] / p["base"]["rps"] for p in pairs]),
        "cpu_ratio": summarize([p["other"]["cpu_ms_per_request"] / p["base"]["cpu_ms_per_request"] for p in pairs]),
        "rps": summarize([p["other"]["rps"] for p in pairs]),
        "base_rps": summarize([p["base"]["rps"] for p in pairs]),
        "cpu_ms_per_request": summarize([p["other"]["cpu_ms_per_request"] for p in pairs]),
        "base_cpu_ms_per_request": summarize([p["base"]["cpu_ms_per_request"] for p in pairs]),
        "p50_ms": summarize([p["other"]["p50_ms"] for p in pairs]),
        "p99_ms": summarize([p["other"]["p99_ms"] for p in pairs]),
        "non_2xx": sum(p["other"]["non_2xx"] for p in pairs),
        "bad_answer": next((p["other"]["bad_answer"] for p in pairs if p["other"]["bad_answer"]), None),
        "base_non_2xx": sum(p["base"]["non_2xx"] for p in pairs),
        "base_bad_answer": next((p["base"]["bad_answer"] for p in pairs if p["base"]["bad_answer"]), None),
    }


def http_benchmarks(quick: bool, rounds: int = ROUNDS) -> dict[str, Any]:
    """The mock against the hello-world (A), per endpoint and connection count; then the mock against a peer.

    Both servers stay up for the whole run and are loaded one at a time, alternating ABBA.
    """
    wrk = ensure_wrk()
    seconds = 1 if quick else 3
    budget = 40_000 * seconds  # requests per file: more than a server can answer in a round
    results: dict[str, Any] = {"seconds_per_round": seconds, "rounds": rounds, "figures": {}}
    with serve_hello() as (hello_url, hello_pid), serve_mock() as (banner, _startup):
        httpx.post(
            banner["url"] + f"/_mock/accounts/{banner['api_key']}/fund",
            json={"coin": "USDT", "amount": "1000000000"},
            headers={"x-mock-admin": "1"},
        ).raise_for_status()
        hello_file = build_requests("hello", budget, None)
        for kind, conns in (("account", 16), ("place_cancel", 16), ("place_cancel", 64)):

            def make(kind: str = kind, conns: int = conns) -> str:
                return build_requests(kind, budget, banner, last_order_id(banner), 2 * conns)

            results["figures"][f"{kind}@{conns}"] = compare(
                wrk, (hello_url, hello_pid, hello_file), (banner["url"], banner["pid"], make), conns, seconds, rounds
            )
        os.unlink(hello_file)
        results["resting_after_place_cancel"] = httpx.get(
            banner["url"] + "/_mock/status", headers={"x-mock-admin": "1"}
        ).json()["resting"]
        results["peer"] = against_prism(wrk, banner, seconds, rounds, budget)
    return results


def against_prism(wrk: str, banner: dict[str, Any], seconds: int, rounds: int, budget: int) -> dict[str, Any]:
    """Signed place+cancel at 16 connections: the mock (B) against Prism serving the mock's own OpenAPI
    document (A), ABBA; ratios are the mock's over Prism's. Skipped, the reason printed, without Prism."""
    reason = unavailable()
    if reason is not None:
        print(f"peer skipped: {reason}", file=sys.stderr)
        return {"skipped": reason}
    document = httpx.get(banner["url"] + "/_mock/openapi.json").json()
    with serve_prism(document, pin(0)) as (url, pid):
        prism_file = build_requests("place_cancel", budget, banner, 0, 32)  # Prism keeps no orders: any id

        def make() -> str:
            return build_requests("place_cancel", budget, banner, last_order_id(banner), 32)

        out = compare(wrk, (url, pid, prism_file), (banner["url"], banner["pid"], make), 16, seconds, rounds)
        os.unlink(prism_file)
    return {"peer": f"Prism {PRISM_VERSION} (mock mode, the mock's own OpenAPI document)", **out}
