"""The bench's targets, its verdicts and its Markdown page (``bench/results/latest.md``).

A verdict is PASS, FALL SHORT, NOISY or NOT RUN. A figure whose rounds disagree by more than
:data:`bench.stats.NOISE` of its median is NOISY, never a PASS. A difference between two sides
measured in the same round (the fixture's extra, the transport's own cost) can sit near zero,
where a relative spread means nothing; it PASSes only when every round is within the target,
FALLs SHORT when every round misses it, and is NOISY when the rounds fall on both sides.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TARGETS", "markdown", "verdicts"]

#: key: (what issue #20 asks, limit, how the figure must compare with it, how rounds are judged).
TARGETS: dict[str, tuple[str, float, str, str]] = {
    "place_cpu_ratio": (
        "served signed place+cancel: server CPU per request <= 2.5x the hello-world's (16 connections)",
        2.5,
        "<=",
        "median",
    ),
    "place_rps_ratio": (
        "served signed place+cancel >= 0.35 of the hello-world's req/s at 16 connections",
        0.35,
        ">=",
        "median",
    ),
    "place_p99_ms": ("p99 of signed place+cancel <= 10 ms at 16 connections", 10.0, "<=", "median"),
    "engine_ops": ("engine >= 100k mixed ops/s in-process on a 10k-order book", 100_000, ">=", "median"),
    "fixture_extra_ms": (
        "a bitunix_mock test with 5 signed calls costs <= 2 ms (CPU) more than with respx stubs",
        2.0,
        "<=",
        "every round",
    ),
    "sync_transport_ms": ("the sync in-process transport costs < 0.5 ms (CPU) per call", 0.5, "<", "every round"),
    "peer_cpu_ratio": (
        "ahead of Prism: the mock's server CPU per signed place+cancel < Prism's (ratio < 1)",
        1.0,
        "<",
        "median",
    ),
    "conformance_fail_s": ("a failing conformance run (one broken rule) < 10 s", 10.0, "<", "median"),
    "conformance_pass_s": ("a passing conformance run < 5 s", 5.0, "<", "median"),
    "startup_s": ("startup to first answer < 1 s", 1.0, "<", "median"),
}


def _compare(value: float, direction: str, limit: float) -> bool:
    return value >= limit if direction == ">=" else value <= limit if direction == "<=" else value < limit


def _figures(res: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """Each target's summarized rounds (``bench.stats.summarize``), ``None`` when its stage did not run."""
    http = res.get("http") or {}
    place = (http.get("figures") or {}).get("place_cancel@16")
    peer = http.get("peer") or {}
    conf = res.get("conformance") or {}
    suite = res.get("suite") or {}
    return {
        "place_cpu_ratio": place["cpu_ratio"] if place else None,
        "place_rps_ratio": place["rps_ratio"] if place else None,
        "place_p99_ms": place["p99_ms"] if place else None,
        "engine_ops": (res.get("engine") or {}).get("ops_per_s_rounds"),
        "fixture_extra_ms": (suite.get("fixture") or {}).get("extra_cpu"),
        "sync_transport_ms": (suite.get("sync_transport") or {}).get("transport_cpu"),
        "peer_cpu_ratio": peer.get("cpu_ratio"),
        "conformance_fail_s": conf.get("failing_s"),
        "conformance_pass_s": conf.get("passing_s"),
        "startup_s": res.get("startup"),
    }


def verdicts(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """PASS / FALL SHORT / NOISY / NOT RUN per target, with the median and the spread it stands on."""
    out: dict[str, dict[str, Any]] = {}
    figures = _figures(res)
    for key, (text, limit, direction, rule) in TARGETS.items():
        st = figures[key]
        if st is None:
            out[key] = {"target": text, "value": None, "spread": None, "verdict": "NOT RUN"}
            continue
        if rule == "every round":
            passed = [_compare(v, direction, limit) for v in st["rounds"]]
            verdict = "PASS" if all(passed) else ("FALL SHORT" if not any(passed) else "NOISY")
        else:
            verdict = "NOISY" if st["noisy"] else ("PASS" if _compare(st["median"], direction, limit) else "FALL SHORT")
        out[key] = {
            "target": text,
            "value": st["median"],
            "spread": st["relative_spread"],
            "range": [min(st["rounds"]), max(st["rounds"])],
            "rule": rule,
            "verdict": verdict,
        }
    return out


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3f}"


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"Measured {res['when']} on {res['machine']}"
        + (f" (load average {res['load']} at the start)" if res.get("load") else "")
        + ": every figure is the median of its ABBA rounds with its spread (max - min, relative to the "
        "median); a ratio pairs a round of one server with a round of the other run next to it.",
        "",
        "| target | median | rounds (min - max) | spread | verdict |",
        "|---|---|---|---|---|",
    ]
    for v in res["verdicts"].values():
        if v["value"] is None:
            lines.append(f"| {v['target']} | - | - | - | {v['verdict']} |")
            continue
        low, high = v["range"]
        spread = "-" if v["spread"] is None else f"{100 * v['spread']:.0f} %"
        lines.append(f"| {v['target']} | {_num(v['value'])} | {_num(low)} - {_num(high)} | {spread} | {v['verdict']} |")
    http = res.get("http")
    if http:
        lines += [
            "",
            f"Served ({http['rounds']} ABBA rounds of {http['seconds_per_round']} s; CPU is the server process's):",
            "",
            "| endpoint | conns | req/s | req/s to hello | CPU ms/request | CPU to hello | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        rows = dict(http["figures"])
        peer = http.get("peer") or {}
        for name, f in rows.items():
            kind, conns = name.split("@")
            lines.append(_served_row(kind, conns, f))
        if peer.get("skipped"):
            lines += ["", f"Peer skipped: {peer['skipped']}."]
        elif peer:
            lines += [
                "",
                f"Against {peer['peer']}, signed place+cancel at 16 connections: Prism "
                f"{peer['base_rps']['median']:.0f} req/s at {peer['base_cpu_ms_per_request']['median']:.3f} CPU ms per "
                f"request, the mock {peer['rps']['median']:.0f} req/s at {peer['cpu_ms_per_request']['median']:.3f}: "
                f"the mock's CPU per request is {peer['cpu_ratio']['median']:.2f}x Prism's "
                f"(±{100 * (peer['cpu_ratio']['relative_spread'] or 0):.0f} %), its req/s "
                f"{peer['rps_ratio']['median']:.2f}x.",
            ]
    suite = res.get("suite")
    if suite:
        fx, st = suite["fixture"], suite["sync_transport"]
        lines += [
            "",
            f"Test-suite cost (pytest in its own process, {fx['tests_per_round']} tests of each kind a round, CPU ms "
            f"/ wall ms): a `bitunix_mock` test with 5 signed calls {_pair(fx, 'fixture')}, the same test with respx "
            f"stubs {_pair(fx, 'respx')}, extra {_pair(fx, 'extra')} (CPU rounds {_range(fx['extra_cpu'])}). "
            f"Sync transport, per call: {_pair(st, 'sync')} against {_pair(st, 'async')} awaited on one loop, so "
            f"the transport costs {_pair(st, 'transport')} (CPU rounds {_range(st['transport_cpu'])}).",
        ]
    e = res.get("engine")
    if e:
        lines += [
            "",
            f"Engine alone (CPU time, `Exchange.place` with a `PlaceRequest` and `Exchange.cancel`): "
            f"{e['ops_per_s']:,} ops/s on a {e['resting_at_start']:,}-order book (mix {e['mix']}); "
            f"{e['bytes_per_resting_order']} B per resting order"
            + (f"; start-up to first answer {res['startup']['median']:.2f} s." if res.get("startup") else "."),
        ]
    conf = res.get("conformance")
    if conf:
        lines += [
            "",
            "Conformance kit, in-process, derandomized (the same examples every round), CPU seconds: a passing "
            f"run (reference client) {conf['passing_s']['median']:.2f} s, a failing run (one broken rule) "
            f"{conf['failing_s']['median']:.2f} s (wall {conf['passing_wall_s']['median']:.2f} s and "
            f"{conf['failing_wall_s']['median']:.2f} s).",
        ]
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


def _pair(fig: dict[str, Any], name: str) -> str:
    return f"{fig[name + '_cpu']['median']:.2f} / {fig[name + '_wall']['median']:.2f} ms"


def _range(st: dict[str, Any]) -> str:
    return f"{min(st['rounds']):.2f} to {max(st['rounds']):.2f}"


def _served_row(kind: str, conns: str, f: dict[str, Any]) -> str:
    return (
        f"| {kind} | {conns} | {f['rps']['median']:.0f} | {f['rps_ratio']['median']:.2f} "
        f"(±{100 * (f['rps_ratio']['relative_spread'] or 0):.0f} %) | {f['cpu_ms_per_request']['median']:.3f} | "
        f"{f['cpu_ratio']['median']:.2f} (±{100 * (f['cpu_ratio']['relative_spread'] or 0):.0f} %) | "
        f"{f['p50_ms']['median']:.2f} | {f['p99_ms']['median']:.2f} |"
    )
