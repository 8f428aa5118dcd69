"""The rule tables of docs/conformance.md and DRIVER.md, rendered from the rule registry.

Each document holds one generated region between ``<!-- BEGIN conformance-rules -->`` and
``<!-- END conformance-rules -->``; a test fails when a region differs from its rendering.

    python -m conformance.docs --write docs/conformance.md conformance/DRIVER.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .registry import Rule
from .rules import RULES

__all__ = ["REGION", "driver_table", "readme_table", "sync"]

REGION = "conformance-rules"


def readme_table(rules: Sequence[Rule] = RULES) -> str:
    """docs/conformance.md: when each rule passes, warns and fails (a WARN equal to the row above shows as ``"``)."""
    lines = ["| rule | PASS when | WARN when | FAIL when |", "|---|---|---|---|"]
    above: str | None = None
    for r in rules:
        warns = "-" if r.warns is None else ('"' if r.warns == above else r.warns)
        above = r.warns
        lines.append(f"| `{r.id}` | {r.passes} | {warns} | {r.fails} |")
    return "\n".join(lines)


def driver_table(rules: Sequence[Rule] = RULES) -> str:
    """DRIVER.md: the rules in the order they run, the operations each calls, and what it needs to pass first."""
    lines = [
        "| rule | what it checks | operations it calls | needs first |",
        "|---|---|---|---|",
    ]
    for r in rules:
        ops = ", ".join(f"`{op}`" for op in r.ops) or "-"
        needs = ", ".join(f"`{x}`" for x in r.requires) or "-"
        lines.append(f"| `{r.id}` | {r.statement} | {ops} | {needs} |")
    return "\n".join(lines)


#: which table goes into which document, by file name
TABLES: dict[str, Callable[[Sequence[Rule]], str]] = {"conformance.md": readme_table, "DRIVER.md": driver_table}


def sync(text: str, table: str) -> str:
    """``text`` with its conformance-rules region replaced by ``table``."""
    pattern = re.compile(rf"(<!-- BEGIN {REGION} -->\n).*?(<!-- END {REGION} -->)", re.S)
    new, n = pattern.subn(lambda m: m.group(1) + table + "\n" + m.group(2), text)
    if n != 1:
        raise ValueError(f"needs exactly one <!-- BEGIN {REGION} --> ... <!-- END {REGION} --> region, found {n}")
    return new


def render_for(path: Path, rules: Sequence[Rule] = RULES) -> str:
    """The table for ``path`` (conformance.md or DRIVER.md, by name)."""
    try:
        return TABLES[path.name](rules)
    except KeyError:
        raise ValueError(f"no rule table for {path.name}; one of {', '.join(TABLES)}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="docs/conformance.md and/or DRIVER.md")
    parser.add_argument("--write", action="store_true", help="rewrite the files' conformance-rules regions")
    args = parser.parse_args(argv)
    if not args.files:
        print(readme_table(), driver_table(), sep="\n\n")
        return 0
    stale = []
    for path in args.files:
        text = path.read_text("utf-8")
        new = sync(text, render_for(path))
        if new != text:
            if args.write:
                path.write_text(new, "utf-8")
            else:
                stale.append(str(path))
    if stale:
        print(f"out of date: {', '.join(stale)} (rerun with --write)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
