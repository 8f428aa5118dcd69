"""``python -m bench``: throughput and latency of the mock over loopback, and its engine in-process.

In ONE run: a bare Starlette hello-world (the anchor) and the mock, each served by
uvicorn with the same settings (httptools + uvloop, pinned to core 0 when
``taskset`` exists), loaded by ``wrk -t1`` (pinned to core 1) replaying a file of
pre-built requests - signed ones with a unique nonce and a fresh timestamp each,
so every answer is a success (the Lua script reports the first that is not).
Then the engine alone, nonce and order memory, and start-up time. Results go to
``bench/results/latest.json`` and ``latest.md``; figures are ratios within this run
because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.engine_bench import engine_benchmark

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "replay.lua"
SPOT = "/api/spot/v1"

# key: (what the issue asks, limit, ">=" or "<=" the median must be to PASS).
TARGETS: dict[str, tuple[str, float, str]] = {
    "engine_ops": ("engine >= 500k mixed ops/s in-process on a 10k-order book", 500_000, ">="),
    "place_ratio": ("signed place+cancel >= 0.60 of hello-world at 16 connections", 0.60, ">="),
    "place_ratio_64": ("signed place+cancel >= 0.50 of hello-world at 64 connections", 0.50, ">="),
    "place_p99_ms": ("p99 of a signed order <= 5 ms at 16 connections", 5.0, "<="),
    "conformance_fail_s": ("a failing conformance run (one broken rule) < 10 s", 10.0, "<"),
    "conformance_pass_s": ("a passing conformance run < 5 s", 5.0, "<"),
    "rss_per_nonce": ("server RSS growth <= 200 bytes per live nonce", 200, "<="),
    "startup_s": ("startup to first answer < 1 s", 1.0, "<"),
}


def _pin(core: int) -> list[str]:
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, timeout: float = 20.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def serve_hello() -> Iterator[tuple[str, int]]:
    port = _free_port()
    cmd = [*_pin(0), sys.executable, "-m", "uvicorn", "bench.hello:app", "--port", str(port)]
    cmd += ["--loop", "auto", "--http", "auto", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/hello")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def serve_mock() -> Iterator[tuple[dict[str, Any], float]]:
    """The mock as users start it; yields its banner and the seconds from spawn to first answer."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    cmd = [*_pin(0), sys.executable, "-m", "mockserver", "--port", "0", "--json", "--show-secrets", "--no-liquidity"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        banner = json.loads(proc.stdout.readline())
        _wait_ready(banner["url"] + "/_mock/health")
        startup = time.perf_counter() - t0
        banner["pid"] = proc.pid
        yield banner, startup
    finally:
        proc.terminate()
        proc.wait(10)


def _sign(nonce: str, ts: str, key: str, secret: str, query: str, body: str) -> str:
    import hashlib

    digest = hashlib.sha256((nonce + ts + key + query + body).encode()).hexdigest()
    return hashlib.sha256((digest + secret).encode()).hexdigest()


def _line(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    hdr = ";".join(f"{k}={v}" for k, v in headers.items())
    return f"{method}\t{path}\t{hdr}\t{body}\n"


def build_requests(kind: str, count: int, banner: dict[str, Any] | None, first_order_id: int = 0, lag: int = 0) -> str:
    """A request file for ``kind``: hello, last_price, account, place_cancel."""
    fd, path = tempfile.mkstemp(prefix=f"bench-{kind}-", suffix=".txt")
    key = secret = ""
    if banner is not None:
        key, secret = banner["api_key"], banner["secret"]
    with os.fdopen(fd, "w") as f:
        if kind == "hello":
            f.write(_line("GET", "/hello", {}) * count)
        elif kind == "last_price":
            f.write(_line("GET", SPOT + "/market/last_price?symbol=BTCUSDT", {}) * count)
        else:
            ts = str(time.time_ns() // 1_000_000)
            for i in range(count):
                nonce = f"{i:08x}{os.urandom(12).hex()}"
                if kind == "account":
                    sign = _sign(nonce, ts, key, secret, "", "")
                    f.write(
                        _line(
                            "GET",
                            SPOT + "/user/account",
                            {"api-key": key, "nonce": nonce, "timestamp": ts, "sign": sign},
                        )
                    )
                    continue
                if i % 2 == 0:
                    body = '{"side":2,"type":1,"volume":"0.001","price":"20000","symbol":"BTCUSDT"}'
                    target = SPOT + "/order/place_order"
                else:
                    # Cancel the order placed ``lag`` places earlier: with many connections in flight a
                    # cancel could overtake its own place; the first few cancels hit nothing (a no-op).
                    oid = first_order_id + i // 2 + 1 - lag
                    body = '{"orderIdList":[{"orderId":"' + str(oid) + '","symbol":"BTCUSDT"}]}'
                    target = SPOT + "/order/cancel"
                sign = _sign(nonce, ts, key, secret, "", body)
                headers = {
                    "api-key": key,
                    "nonce": nonce,
                    "timestamp": ts,
                    "sign": sign,
                    "Content-Type": "application/json",
                }
                f.write(_line("POST", target, headers, body))
    return path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(wrk: str, url: str, reqfile: str, connections: int, seconds: int) -> dict[str, Any]:
    cmd = [*_pin(1), wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), url]
    proc = subprocess.run(cmd, env={**os.environ, "REQFILE": reqfile}, capture_output=True, text=True, check=True)
    out = proc.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "bad_answer": proc.stderr.strip().splitlines()[0] if "BAD" in proc.stderr else None,
    }


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


#: A figure whose rounds disagree by more than this (max - min, relative to the median) is NOISY, never a PASS.
NOISE = 0.10
ROUNDS = 5


def summarize(values: list[float]) -> dict[str, Any]:
    """Median, spread (max - min) and relative spread of a figure's rounds."""
    ordered = sorted(values)
    median = statistics.median(ordered)
    spread = ordered[-1] - ordered[0]
    return {
        "median": round(median, 4),
        "spread": round(spread, 4),
        "relative_spread": round(spread / median, 4) if median else None,
        "noisy": bool(median) and spread / median > NOISE,
        "rounds": [round(v, 4) for v in values],
    }


def http_benchmarks(quick: bool, rounds: int = ROUNDS) -> dict[str, Any]:
    """Each figure: ``rounds`` ABBA rounds of hello-world (A) and the mock (B), ratios taken pairwise.

    Both servers stay up for the whole run and are loaded one at a time, alternating
    A B B A A B ..., so a slow moment of the shared machine hits both sides of a ratio.
    """
    wrk = ensure_wrk()
    seconds = 1 if quick else 3
    budget = 40_000 * seconds  # requests per file: more than the server can answer in a round
    results: dict[str, Any] = {"seconds_per_round": seconds, "rounds": rounds, "runs": {}, "figures": {}}
    with serve_hello() as (hello_url, _pid), serve_mock() as (banner, _startup):
        httpx.post(
            banner["url"] + f"/_mock/accounts/{banner['api_key']}/fund",
            json={"coin": "USDT", "amount": "1000000000"},
            headers={"x-mock-admin": "1"},
        ).raise_for_status()
        hello_file = build_requests("hello", budget, None)
        for kind in ("last_price", "account", "place_cancel"):
            for conns in (16, 64):
                name = f"{kind}@{conns}"
                warm = build_requests(kind, 30_000, banner, _placed(banner["url"]), 2 * conns)
                run_wrk(wrk, banner["url"], warm, conns, 1)  # warm-up: also fills the journal ring
                run_wrk(wrk, hello_url, hello_file, conns, 1)
                os.unlink(warm)
                pairs: list[dict[str, Any]] = []
                for i in range(rounds):
                    path = build_requests(kind, budget, banner, _placed(banner["url"]), 2 * conns)
                    rss_before = _rss(banner["pid"])
                    order = ("hello", "mock") if i % 2 == 0 else ("mock", "hello")  # A B, B A, A B, ...
                    got: dict[str, dict[str, Any]] = {}
                    for side in order:
                        if side == "hello":
                            got[side] = run_wrk(wrk, hello_url, hello_file, conns, seconds)
                        else:
                            got[side] = run_wrk(wrk, banner["url"], path, conns, seconds)
                            got[side]["rss_growth_per_request"] = (_rss(banner["pid"]) - rss_before) / max(
                                1, got[side]["requests"]
                            )
                    os.unlink(path)
                    # Let this round's nonces expire so rounds do not pile memory on each other.
                    httpx.post(banner["url"] + "/_mock/clock", json={"offset_ms": 0}, headers={"x-mock-admin": "1"})
                    pairs.append({**got, "ratio": got["mock"]["rps"] / got["hello"]["rps"]})
                results["runs"][name] = pairs
                results["figures"][name] = {
                    "ratio_to_hello": summarize([p["ratio"] for p in pairs]),
                    "mock_rps": summarize([p["mock"]["rps"] for p in pairs]),
                    "hello_rps": summarize([p["hello"]["rps"] for p in pairs]),
                    "p50_ms": summarize([p["mock"]["p50_ms"] for p in pairs]),
                    "p99_ms": summarize([p["mock"]["p99_ms"] for p in pairs]),
                    "rss_growth_per_request": summarize([p["mock"]["rss_growth_per_request"] for p in pairs]),
                    "non_2xx": sum(p["mock"]["non_2xx"] for p in pairs),
                    "bad_answer": next((p["mock"]["bad_answer"] for p in pairs if p["mock"]["bad_answer"]), None),
                }
        os.unlink(hello_file)
        results["resting_after_place_cancel"] = httpx.get(
            banner["url"] + "/_mock/status", headers={"x-mock-admin": "1"}
        ).json()["resting"]
    return results


def _placed(url: str) -> int:
    """The id the mock's last placed order got (ids are deterministic for a seed: 0 here)."""
    from mockserver.engine import IdGenerator

    return int(IdGenerator(0).export_state().order) + int(httpx.get(url + "/_mock/status").json()["orders"])


def nonce_memory(count: int = 100_000) -> dict[str, Any]:
    """Bytes the nonce store holds per live nonce (tracemalloc)."""
    from mockserver.api.auth import NonceStore

    store = NonceStore()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    now = 1_760_000_000_000
    for i in range(count):
        store.add("k" * 32, f"{i:032x}", now + 60_000, now)
    per = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    return {"nonces": len(store), "bytes_per_nonce": round(per)}


def conformance_time(rounds: int = ROUNDS) -> dict[str, Any]:
    """CPU seconds for a passing kit run (reference client) and a failing one (one broken rule), in-process
    and derandomized (the same examples each round); wall seconds beside them."""
    from bench.conformance_time import conformance_times

    times = conformance_times(rounds)
    return {key: summarize(values) for key, values in times.items()}


def startup_time_rounds(repeats: int = ROUNDS) -> list[float]:
    times = []
    for _ in range(repeats):
        with serve_mock() as (_banner, startup):
            times.append(startup)
    return times


def verdicts(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """PASS / FALL SHORT per target; a figure whose rounds disagree by more than 10 % is NOISY, never PASS."""
    out: dict[str, dict[str, Any]] = {}
    http = res.get("http")
    figs = http["figures"] if http else {}
    conf = res.get("conformance") or {}
    stats: dict[str, dict[str, Any] | None] = {
        "engine_ops": res["engine"].get("ops_per_s_rounds"),
        "place_ratio": figs["place_cancel@16"]["ratio_to_hello"] if "place_cancel@16" in figs else None,
        "place_ratio_64": figs["place_cancel@64"]["ratio_to_hello"] if "place_cancel@64" in figs else None,
        "place_p99_ms": figs["place_cancel@16"]["p99_ms"] if "place_cancel@16" in figs else None,
        "conformance_fail_s": conf.get("failing_s"),
        "conformance_pass_s": conf.get("passing_s"),
        "rss_per_nonce": figs["account@16"]["rss_growth_per_request"] if "account@16" in figs else None,
        "startup_s": res.get("startup"),
    }
    compare = {">=": lambda v, lim: v >= lim, "<=": lambda v, lim: v <= lim, "<": lambda v, lim: v < lim}
    for key, (text, limit, direction) in TARGETS.items():
        st = stats[key]
        if st is None:
            out[key] = {"target": text, "value": None, "spread": None, "verdict": "NOT RUN"}
            continue
        v = st["median"]
        good = compare[direction](v, limit)
        # RSS growth per request is tiny and jittery by nature; its verdict stands on the median alone.
        verdict = "NOISY" if st["noisy"] and key != "rss_per_nonce" else ("PASS" if good else "FALL SHORT")
        out[key] = {"target": text, "value": v, "spread": st["relative_spread"], "verdict": verdict}
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"Measured {res['when']} on {res['machine']}: every figure is the median of its rounds, with its "
        "spread (max - min, relative to the median); ratios pair each mock round with a hello-world round "
        "run next to it (ABBA).",
        "",
    ]
    http = res.get("http")
    if http:
        lines += [
            "| endpoint | conns | req/s | ratio to hello (spread) | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for name, f in http["figures"].items():
            kind, conns = name.split("@")
            r = f["ratio_to_hello"]
            lines.append(
                f"| {kind} | {conns} | {f['mock_rps']['median']:.0f} | {r['median']:.2f} "
                f"(±{100 * (r['relative_spread'] or 0):.0f} %) | {f['p50_ms']['median']:.2f} "
                f"| {f['p99_ms']['median']:.2f} |"
            )
        lines.append("")
    e = res["engine"]
    lines += [
        f"Engine alone (CPU time): {e['ops_per_s']:,} ops/s through the integer entry (place_ticks), "
        f"{e['ops_per_s_decimal']:,} through the Decimal entry (PlaceRequest), on a "
        f"{e['resting_at_start']:,}-order book (mix {e['mix']}); {e['bytes_per_resting_order']} B per resting order; "
        f"{res['nonces']['bytes_per_nonce']} B per stored nonce (tracemalloc)"
        + (f"; start-up to first answer {res['startup']['median']:.2f} s." if res.get("startup") else "."),
        "",
        "Conformance kit, in-process, derandomized (the same examples every round), CPU seconds: a passing "
        f"run (reference client) {res['conformance']['passing_s']['median']:.2f} s, a failing run (one broken "
        f"rule) {res['conformance']['failing_s']['median']:.2f} s (wall "
        f"{res['conformance']['passing_wall_s']['median']:.2f} s and "
        f"{res['conformance']['failing_wall_s']['median']:.2f} s).",
        "",
        "| target | median | spread | verdict |",
        "|---|---|---|---|",
    ]
    for v in res["verdicts"].values():
        value = v["value"]
        shown = "-" if value is None else (f"{value:,.3f}" if isinstance(value, float) else f"{value:,}")
        spread = "-" if v.get("spread") is None else f"{100 * v['spread']:.0f} %"
        lines.append(f"| {v['target']} | {shown} | {spread} | {v['verdict']} |")
    if res.get("persist"):
        p = res["persist"]
        lines += [
            "",
            f"`--state DIR` (durable before every answer): {p['state_us']['median']:.0f} µs per state-changing "
            f"request against {p['memory_us']['median']:.0f} µs in memory, an extra "
            f"{p['extra_us']['median']:.0f} µs (±{100 * (p['extra_us']['relative_spread'] or 0):.0f} %) - "
            f"signed place + cancel in-process, {len(p['extra_us']['rounds'])} ABBA rounds.",
        ]
    if res.get("persist_stalls"):
        st, bl = res["persist_stalls"], res["persist_blocking"]
        lines += [
            "",
            f"On a {st['orders']:,}-order exchange, {st['requests_per_round']:,} signed requests a round, "
            f"{st['rounds']} ABBA rounds (median): p50 {st['memory']['p50_ms']:.2f} / {st['state']['p50_ms']:.2f} ms, "
            f"p99 {st['memory']['p99_ms']:.2f} / {st['state']['p99_ms']:.2f} ms, longest "
            f"{st['memory']['max_ms']:.0f} / {st['state']['max_ms']:.0f} ms in memory / with `--state` "
            f"({st['background_checkpoints']} checkpoints written off the request path). Other clients wait at "
            f"most {bl['snapshot']['longest_wait_ms']:.0f} ms during a snapshot ({bl['snapshot']['call_ms']:.0f} ms) "
            f"and {bl['restore']['longest_wait_ms']:.0f} ms during a restore ({bl['restore']['call_ms']:.0f} ms).",
        ]
    if res.get("worst_case"):
        from bench.worst_case import table

        lines += ["", table(res["worst_case"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of the benchmark)")
    parser.add_argument("--no-http", action="store_true", help="engine and memory only (no servers, no wrk)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--worst-case", action="store_true", help="only the worst-input table: server CPU per hostile request"
    )
    args = parser.parse_args(argv)
    from bench import worst_case

    if args.worst_case:
        rows = worst_case.measure()
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "worst_case.json").write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
        print(worst_case.table(rows))
        return 0
    res: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    engine_runs = [engine_benchmark(ops=20_000 if args.quick else 100_000) for _ in range(ROUNDS)]
    res["engine"] = {
        **engine_runs[0],
        "ops_per_s_rounds": summarize([r["ops_per_s"] for r in engine_runs]),
        "ops_per_s_decimal_rounds": summarize([r["ops_per_s_decimal"] for r in engine_runs]),
    }
    res["engine"]["ops_per_s"] = round(res["engine"]["ops_per_s_rounds"]["median"])
    res["engine"]["ops_per_s_decimal"] = round(res["engine"]["ops_per_s_decimal_rounds"]["median"])
    res["nonces"] = nonce_memory(20_000 if args.quick else 100_000)
    res["conformance"] = conformance_time(3 if args.quick else ROUNDS)
    if not args.no_http:
        res["startup"] = summarize(startup_time_rounds())
        res["http"] = http_benchmarks(args.quick)
    res["worst_case"] = worst_case.measure()
    from bench import persist_cost

    res["persist"] = persist_cost.measure(pairs=200 if args.quick else 1000)
    res["persist_stalls"] = persist_cost.stalls(pairs=500 if args.quick else 6_000, rounds=2 if args.quick else 4)
    res["persist_blocking"] = persist_cost.blocking(rounds=1 if args.quick else 5)
    res["verdicts"] = verdicts(res)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(res, indent=2) + "\n", "utf-8")
    md = markdown(res)
    (args.out / "latest.md").write_text(md, "utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
