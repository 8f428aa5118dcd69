"""``conformance run``: judge a client from the command line.

conformance run --adapter pkg.mod:factory          # a Python adapter factory, in-process by default
conformance run --driver "node driver.mjs"         # any language, JSON lines over stdin/stdout
conformance run --driver "..." --url http://127.0.0.1:8080   # against a mock already running
conformance run --adapter reference --product futures        # only the futures rules

A client declares the products it implements (spot, futures); the rules of the others are N/A.

Exit status 0 when every rule passes, warns or is skipped; 1 when one fails or is blocked.
WARN (documented rules broken that the live exchange tolerates) never fails the run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .adapter import AdapterFactory, driver_factory
from .rules import RULES
from .runner import run

__all__ = ["main"]


def load_factory(spec: str) -> AdapterFactory:
    """``package.module:callable`` -> the callable; ``reference`` names the reference client's adapter."""
    if spec == "reference":
        spec = "conformance.adapter:reference_factory"
    module, _, name = spec.partition(":")
    if not module or not name:
        raise SystemExit(f"--adapter wants package.module:factory, not {spec!r}")
    factory: AdapterFactory = getattr(importlib.import_module(module), name)
    return factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="conformance", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the rules against one client")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--adapter", help="package.module:factory returning an Adapter ('reference': the reference client)"
    )
    who.add_argument("--driver", help="command that speaks the JSON-lines driver protocol")
    p.add_argument("--url", help="judge against a mock already running at this URL (its state is reset per rule)")
    p.add_argument("--loopback", action="store_true", help="start the mock on 127.0.0.1:0 (drivers always do)")
    p.add_argument("--rule", action="append", help="run only this rule (repeatable)")
    p.add_argument(
        "--product", choices=("spot", "futures"), help="run only this product's rules (default: every product's)"
    )
    p.add_argument("--examples", type=int, default=25, help="hypothesis examples per property (default 25)")
    p.add_argument(
        "--derandomize",
        action="store_true",
        help="the same generated examples on every run (reproducible verdicts; default: fresh examples each run)",
    )
    p.add_argument("--out", type=Path, default=Path("conformance-report"), help="report directory")
    sub.add_parser("rules", help="list the rules")
    args = parser.parse_args(argv)
    if args.command == "rules":
        for r in RULES:
            needs = f" (needs {', '.join(r.requires)})" if r.requires else ""
            print(f"{r.id:<30} [{r.product}] {r.statement}{needs}")
        return 0
    if args.driver:
        factory, name = driver_factory(args.driver), args.driver
    else:
        factory, name = load_factory(args.adapter), args.adapter
    mode = "url" if args.url else ("loopback" if args.loopback or args.driver else "inprocess")
    unknown = sorted(set(args.rule or ()) - set(RULES.ids()))
    if unknown:
        parser.error(f"unknown --rule {', '.join(unknown)}; the rules: {', '.join(RULES.ids())}")
    report = run(
        factory,
        client_name=name,
        mode=mode,
        url=args.url,
        only=args.rule,
        product=args.product,
        examples=args.examples,
        derandomize=args.derandomize,
    )
    for path in report.write(args.out):
        print(f"wrote {path}", file=sys.stderr)
    for w in report.warnings():
        print(f"WARN {w['rule']}: {w['detail']} (docs: {w['docs']}; live: {w['live']})")
    print(report.summary())
    return 0 if report.passed else 1  # WARN never fails the run


if __name__ == "__main__":
    sys.exit(main())
