"""The benchmark's in-process parts run and report sane structures (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.engine_bench import engine_benchmark
from bench.report import markdown, verdicts
from bench.stats import summarize


def test_the_bench_modules_never_import_its_entry_point() -> None:
    """``python -m bench`` runs ``bench/__main__.py`` as ``__main__``: a module importing ``bench.__main__``
    would run the file a second time, as another module with globals of its own."""
    import ast

    for path in sorted((Path(__file__).resolve().parents[2] / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert "bench.__main__" not in names, f"{path.name} imports bench.__main__"


def test_engine_part_and_verdicts_report_structure() -> None:
    engine = engine_benchmark(resting=300, ops=2_000)
    assert engine["money_conserved"] is True and engine["book_crossed"] is False
    assert engine["ops"] == sum(engine["mix"].values()) and engine["ops"] > 1_000
    assert engine["bytes_per_resting_order"] > 0 and engine["ops_per_s"] > 0
    engine["ops_per_s_rounds"] = summarize([engine["ops_per_s"]] * 5)
    conformance = {"passing_s": summarize([2.0, 2.05, 2.0, 1.98, 2.0]), "failing_s": summarize([12.0] * 5)}
    conformance |= {"passing_wall_s": summarize([2.1] * 5), "failing_wall_s": summarize([12.5] * 5)}
    res = {"when": "now", "machine": "test", "engine": engine, "conformance": conformance}
    res["verdicts"] = verdicts(res)
    assert res["verdicts"]["place_cpu_ratio"]["verdict"] == "NOT RUN"
    assert res["verdicts"]["fixture_extra_ms"]["verdict"] == "NOT RUN"
    assert res["verdicts"]["engine_ops"]["verdict"] in ("PASS", "FALL SHORT")
    assert res["verdicts"]["conformance_pass_s"]["verdict"] == "PASS"
    assert res["verdicts"]["conformance_fail_s"]["verdict"] == "FALL SHORT"  # 12 s is not under 10 s
    page = markdown(res)
    assert "| engine >= 100k mixed ops/s in-process on a 10k-order book |" in page
    assert "| a passing conformance run < 5 s | 2.000 | 1.980 - 2.050 | 4 % | PASS |" in page


def _served(cpu: list[float], rps: list[float], p99: list[float]) -> dict[str, object]:
    return {"cpu_ratio": summarize(cpu), "rps_ratio": summarize(rps), "p99_ms": summarize(p99)}


def test_a_figure_whose_rounds_disagree_is_noisy_never_pass() -> None:
    steady = summarize([0.61, 0.62, 0.60, 0.61, 0.63])
    assert steady["median"] == 0.61 and not steady["noisy"] and steady["rounds"] == [0.61, 0.62, 0.6, 0.61, 0.63]
    noisy = summarize([0.70, 0.41, 0.66, 0.65, 0.68])  # one slow hello-world round: 41 % spread
    assert noisy["noisy"] and noisy["median"] == 0.66
    engine = {"ops_per_s": 1, "ops_per_s_rounds": summarize([250_000, 200_000, 260_000, 255_000, 258_000])}
    res = {
        "engine": engine,
        "http": {
            "figures": {
                "place_cancel@16": _served([2.2, 2.3, 2.2, 2.25, 2.2], [0.70, 0.41, 0.66, 0.65, 0.68], [4.0] * 5)
            },
            "peer": {"cpu_ratio": summarize([0.1, 0.11, 0.1, 0.1, 0.105])},
        },
    }
    v = verdicts(res)
    assert v["place_rps_ratio"]["verdict"] == "NOISY"  # a median above 0.35 is still not a PASS
    assert v["engine_ops"]["verdict"] == "NOISY"
    assert v["place_cpu_ratio"]["verdict"] == "PASS" and v["place_p99_ms"]["verdict"] == "PASS"
    assert v["peer_cpu_ratio"]["verdict"] == "PASS"
    assert v["conformance_pass_s"]["verdict"] == "NOT RUN"


def test_a_difference_passes_only_when_every_round_is_within_the_target() -> None:
    def suite(extra: list[float], transport: list[float]) -> dict[str, object]:
        fixture, sync = {"extra_cpu": summarize(extra)}, {"transport_cpu": summarize(transport)}
        return {"suite": {"fixture": fixture, "sync_transport": sync}}

    v = verdicts(suite([1.2, 0.4, 1.9, 1.0], [0.1, 0.3, 0.05, 0.2]))  # spreads far over 10 %, every round within
    assert v["fixture_extra_ms"]["verdict"] == "PASS" and v["sync_transport_ms"]["verdict"] == "PASS"
    v = verdicts(suite([1.2, 2.4, 1.9, 1.0], [0.6, 0.7, 0.55, 0.9]))
    assert v["fixture_extra_ms"]["verdict"] == "NOISY"  # rounds on both sides of 2 ms
    assert v["sync_transport_ms"]["verdict"] == "FALL SHORT"  # every round at or over 0.5 ms
    assert v["fixture_extra_ms"]["range"] == [1.0, 2.4]


def test_the_served_request_files_are_answered_with_success_and_cancel_what_they_place() -> None:
    """Every line of a place+cancel file is a validly signed request the mock accepts, and each cancel hits
    the order placed before it (the bench's figures would otherwise time refusals)."""
    import httpx

    from bench.served import build_requests, last_order_id
    from mockserver.testing import MockServer

    with MockServer(liquidity=False) as mock, httpx.Client(base_url=mock.url) as http:
        banner = {"url": mock.url, "api_key": mock.api_key, "secret": mock.secret}
        for kind in ("account", "place_cancel"):
            path = Path(build_requests(kind, 6, banner, last_order_id(banner), 0))
            for line in path.read_text().splitlines():
                method, target, hdr, body = line.split("\t")
                headers = dict(kv.split("=", 1) for kv in hdr.split(";"))
                answer = http.request(method, target, headers=headers, content=body).json()
                assert (answer["code"], answer["msg"]) == ("0", "result.success"), line
            path.unlink()
        assert http.get("/_mock/status").json()["resting"] == 0


def test_the_persist_cost_figure_reports_every_round() -> None:
    from bench.persist_cost import measure

    out = measure(rounds=5, pairs=5)
    assert out["pairs_per_round"] == 5
    assert len(out["memory_us"]["rounds"]) == len(out["state_us"]["rounds"]) == len(out["extra_us"]["rounds"]) == 5
    assert out["memory_us"]["median"] > 0 and out["state_us"]["median"] > 0


@pytest.mark.slow
def test_the_stall_figures_cross_checkpoints_and_time_both_big_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import persist_cost
    from mockserver.control import persist

    monkeypatch.setattr(persist, "COMPACT_FIXED_BYTES", 10_000)  # a checkpoint every ~25 requests
    out = persist_cost.stalls(pairs=60, rounds=2)
    assert out["orders"] == 5_600 and out["requests_per_round"] == 120
    assert out["background_checkpoints"] >= 2  # the state side ran through checkpoints in each round
    assert len(out["state"]["rounds"]["p99_ms"]) == len(out["memory"]["rounds"]["p99_ms"]) == 2
    blocked = persist_cost.blocking(rounds=1)
    assert blocked["snapshot_bytes"] > 2_000_000
    for call in ("snapshot", "restore"):
        assert blocked[call]["longest_wait_ms"] > 0 and blocked[call]["call_ms"] > 0
