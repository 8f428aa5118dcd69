"""``python -m bench``: the mock's speed targets (issue #20), each figure from ABBA rounds in one run.

Stages: the served figures against a Starlette hello-world and against Prism (``bench.served``,
``bench.peers``), the test-suite cost (``bench.suite_cost``), the engine alone
(``bench.engine_bench``), start-up, the conformance kit (``bench.conformance_time``), the cost of
``--state`` (``bench.persist_cost``) and the worst-case inputs (``bench.worst_case``). Verdicts and
the Markdown page come from ``bench.report``; ``bench/README.md`` says how it runs and why the targets.
Results go to ``bench/results/latest.json`` (every round) and ``latest.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import persist_cost, worst_case
from bench.conformance_time import conformance_times
from bench.engine_bench import engine_benchmark
from bench.report import markdown, verdicts
from bench.served import http_benchmarks, startup_time_rounds
from bench.stats import ROUNDS, summarize
from bench.suite_cost import fixture_cost, sync_transport_cost

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of the benchmark)")
    parser.add_argument("--no-http", action="store_true", help="in-process stages only (no servers, no wrk)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--worst-case", action="store_true", help="only the worst-input table: server CPU per hostile request"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.worst_case:
        rows = worst_case.measure()
        (args.out / "worst_case.json").write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
        print(worst_case.table(rows))
        return 0
    quick = args.quick
    res: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    if not args.no_http:
        res["startup"] = summarize(startup_time_rounds())
        res["http"] = http_benchmarks(quick)
    res["suite"] = {
        "fixture": fixture_cost(rounds=2 if quick else 8),
        "sync_transport": sync_transport_cost(rounds=2 if quick else 8, repeats=10 if quick else 60),
    }
    engine_runs = [engine_benchmark(ops=20_000 if quick else 100_000) for _ in range(ROUNDS)]
    res["engine"] = {**engine_runs[0], "ops_per_s_rounds": summarize([r["ops_per_s"] for r in engine_runs])}
    res["engine"]["ops_per_s"] = round(res["engine"]["ops_per_s_rounds"]["median"])
    conformance = conformance_times(3 if quick else ROUNDS)
    res["conformance"] = {key: summarize(values) for key, values in conformance.items()}
    res["worst_case"] = worst_case.measure()
    res["persist"] = persist_cost.measure(pairs=200 if quick else 1000)
    res["persist_stalls"] = persist_cost.stalls(pairs=500 if quick else 6_000, rounds=2 if quick else 4)
    res["persist_blocking"] = persist_cost.blocking(rounds=1 if quick else 5)
    res["verdicts"] = verdicts(res)
    (args.out / "latest.json").write_text(json.dumps(res, indent=2) + "\n", "utf-8")
    md = markdown(res)
    (args.out / "latest.md").write_text(md, "utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
