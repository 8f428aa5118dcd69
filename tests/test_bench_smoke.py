"""The benchmark's in-process parts run and report sane structures (no timing is asserted)."""

from __future__ import annotations

from bench.__main__ import engine_benchmark, markdown, nonce_memory, verdicts


def test_engine_and_memory_parts_report_structure() -> None:
    engine = engine_benchmark(resting=300, ops=2_000)
    assert engine["money_conserved"] is True and engine["book_crossed"] is False
    assert engine["ops"] == sum(engine["mix"].values()) and engine["ops"] > 1_000
    assert engine["bytes_per_resting_order"] > 0 and engine["ops_per_s"] > 0
    nonces = nonce_memory(2_000)
    assert nonces["nonces"] == 2_000 and nonces["bytes_per_nonce"] > 0
    conformance = {"inprocess": {"seconds": 1.0, "passed": True}}
    res = {"when": "now", "machine": "test", "engine": engine, "nonces": nonces, "conformance": conformance}
    res["verdicts"] = verdicts(res)
    assert res["verdicts"]["place_ratio"]["verdict"] == "NOT RUN"
    assert res["verdicts"]["engine_ops"]["verdict"] in ("PASS", "FALL SHORT")
    assert "| engine >= 200k mixed ops/s in-process |" in markdown(res)
