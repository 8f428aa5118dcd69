"""The benchmark's in-process parts run and report sane structures (no timing is asserted)."""

from __future__ import annotations

from bench.__main__ import engine_benchmark, markdown, nonce_memory, summarize, verdicts


def test_engine_and_memory_parts_report_structure() -> None:
    engine = engine_benchmark(resting=300, ops=2_000)
    assert engine["money_conserved"] is True and engine["book_crossed"] is False
    assert engine["ops"] == sum(engine["mix"].values()) and engine["ops"] > 1_000
    assert engine["bytes_per_resting_order"] > 0 and engine["ops_per_s"] > 0
    nonces = nonce_memory(2_000)
    assert nonces["nonces"] == 2_000 and nonces["bytes_per_nonce"] > 0
    engine["ops_per_s_rounds"] = summarize([engine["ops_per_s"]] * 5)
    conformance = {"inprocess": {"seconds": 1.0, "passed": True}}
    res = {"when": "now", "machine": "test", "engine": engine, "nonces": nonces, "conformance": conformance}
    res["verdicts"] = verdicts(res)
    assert res["verdicts"]["place_ratio"]["verdict"] == "NOT RUN"
    assert res["verdicts"]["engine_ops"]["verdict"] in ("PASS", "FALL SHORT")
    assert "| engine >= 200k mixed ops/s in-process |" in markdown(res)


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
                "account@16": {"rss_growth_per_request": summarize([100.0] * 5)},
            }
        },
    }
    v = verdicts(res)
    assert v["place_ratio"]["verdict"] == "NOISY"  # a median above 0.60 is still not a PASS
    assert v["engine_ops"]["verdict"] == "NOISY"
    assert v["place_p99_ms"]["verdict"] == "PASS" and v["rss_per_nonce"]["verdict"] == "PASS"


def test_the_persist_cost_figure_reports_every_round() -> None:
    from bench.persist_cost import measure

    out = measure(rounds=5, pairs=5)
    assert out["pairs_per_round"] == 5
    assert len(out["memory_us"]["rounds"]) == len(out["state_us"]["rounds"]) == len(out["extra_us"]["rounds"]) == 5
    assert out["memory_us"]["median"] > 0 and out["state_us"]["median"] > 0
