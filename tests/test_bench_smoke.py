"""The benchmark's in-process parts run and report sane structures (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.__main__ import engine_benchmark, markdown, nonce_memory, summarize, verdicts


def test_engine_and_memory_parts_report_structure() -> None:
    engine = engine_benchmark(resting=300, ops=2_000)
    assert engine["money_conserved"] is True and engine["book_crossed"] is False
    assert engine["ops"] == sum(engine["mix"].values()) and engine["ops"] > 1_000
    assert engine["bytes_per_resting_order"] > 0 and engine["ops_per_s"] > 0
    nonces = nonce_memory(2_000)
    assert nonces["nonces"] == 2_000 and nonces["bytes_per_nonce"] > 0
    engine["ops_per_s_rounds"] = summarize([engine["ops_per_s"]] * 5)
    conformance = {"passing_s": summarize([2.0, 2.05, 2.0, 1.98, 2.0]), "failing_s": summarize([12.0] * 5)}
    conformance |= {"passing_wall_s": summarize([2.1] * 5), "failing_wall_s": summarize([12.5] * 5)}
    res = {"when": "now", "machine": "test", "engine": engine, "nonces": nonces, "conformance": conformance}
    res["verdicts"] = verdicts(res)
    assert res["verdicts"]["place_ratio"]["verdict"] == "NOT RUN"
    assert res["verdicts"]["engine_ops"]["verdict"] in ("PASS", "FALL SHORT")
    assert res["verdicts"]["conformance_pass_s"]["verdict"] == "PASS"
    assert res["verdicts"]["conformance_fail_s"]["verdict"] == "FALL SHORT"  # 12 s is not under 10 s
    assert "| engine >= 500k mixed ops/s in-process on a 10k-order book |" in markdown(res)


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
                "place_cancel@16": {"ratio_to_hello": noisy, "p99_ms": summarize([4.0] * 5)},
                "place_cancel@64": {"ratio_to_hello": steady, "p99_ms": summarize([9.0] * 5)},
                "account@16": {"rss_growth_per_request": summarize([100.0] * 5)},
            }
        },
    }
    v = verdicts(res)
    assert v["place_ratio"]["verdict"] == "NOISY"  # a median above 0.60 is still not a PASS
    assert v["engine_ops"]["verdict"] == "NOISY"
    assert v["place_p99_ms"]["verdict"] == "PASS" and v["rss_per_nonce"]["verdict"] == "PASS"
    assert v["place_ratio_64"]["verdict"] == "PASS"  # 0.61 steady against a 0.50 target at 64 connections
    assert v["conformance_pass_s"]["verdict"] == "NOT RUN"


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
