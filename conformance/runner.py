"""Run the rules against one client and collect a verdict per rule; write the reports."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape

from .adapter import AdapterFactory, ClientCrashed, reference_factory
from .rules import RULES, Context, Rule, RuleFailed, RuleSkipped
from .target import Target

__all__ = ["Report", "Verdict", "run"]


@dataclass
class Verdict:
    rule: str
    title: str
    statement: str
    status: str  # pass | fail | blocked | skipped
    message: str = ""
    example: str = ""
    diagnosis: str = ""
    curl: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    client: str
    mode: str
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(v.status in ("pass", "skipped") for v in self.verdicts)

    def by_status(self, status: str) -> list[str]:
        return [v.rule for v in self.verdicts if v.status == status]

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "mode": self.mode,
            "passed": self.passed,
            "seconds": round(self.seconds, 2),
            "rules": [asdict(v) for v in self.verdicts],
        }

    def markdown(self) -> str:
        icon = {"pass": "PASS", "fail": "FAIL", "blocked": "BLOCKED", "skipped": "SKIPPED"}
        lines = [
            f"# Bitunix spot conformance: {self.client}",
            "",
            f"Mode: {self.mode}. Verdict: **{'PASS' if self.passed else 'FAIL'}** "
            f"({len(self.by_status('pass'))} passed, {len(self.by_status('fail'))} failed, "
            f"{len(self.by_status('blocked'))} blocked, {len(self.by_status('skipped'))} skipped) "
            f"in {self.seconds:.1f} s.",
            "",
            "| rule | result | what it checks |",
            "|---|---|---|",
        ]
        lines += [f"| `{v.rule}` | {icon[v.status]} | {v.statement} |" for v in self.verdicts]
        for v in self.verdicts:
            if v.status in ("fail", "blocked", "skipped"):
                lines += ["", f"## `{v.rule}` - {icon[v.status]}", "", v.message]
                for label, text in (
                    ("Shrunk example", v.example),
                    ("Server diagnosis", v.diagnosis),
                    ("Repro", v.curl),
                ):
                    if text:
                        lines += ["", f"{label}:", "", "```", text, "```"]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        failures = len(self.by_status("fail"))
        skipped = len(self.by_status("blocked")) + len(self.by_status("skipped"))
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<testsuite name="bitunix-conformance" tests="{len(self.verdicts)}" failures="{failures}" '
            f'skipped="{skipped}" time="{self.seconds:.2f}">',
        ]
        for v in self.verdicts:
            out.append(f'  <testcase classname="{escape(self.client)}" name="{escape(v.rule)}" time="{v.seconds:.2f}">')
            body = "\n".join(x for x in (v.message, v.example, v.diagnosis, v.curl) if x)
            if v.status == "fail":
                out.append(
                    f'    <failure message="{escape(v.message[:200], {chr(34): "&quot;"})}">{escape(body)}</failure>'
                )
            elif v.status in ("blocked", "skipped"):
                out.append(f'    <skipped message="{escape(v.message[:200], {chr(34): "&quot;"})}"/>')
            out.append("  </testcase>")
        out.append("</testsuite>")
        return "\n".join(out) + "\n"

    def write(self, directory: Path) -> list[Path]:
        """report.json, report.md and junit.xml in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        files = {
            "report.json": json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
            "report.md": self.markdown(),
            "junit.xml": self.junit(),
        }
        paths = []
        for name, text in files.items():
            path = directory / name
            path.write_text(text, "utf-8")
            paths.append(path)
        return paths


def _attr(text: str) -> str:
    return escape(text[:200], {'"': "&quot;", "\n": " "})


def _progress(stream: TextIO) -> Callable[[int, int, Verdict | None, str], None]:
    tty = stream.isatty()

    def show(done: int, total: int, verdict: Verdict | None, name: str) -> None:
        width = 24
        bar = "#" * (width * done // total) + "-" * (width - width * done // total)
        if verdict is None:
            line = f"[{bar}] {done}/{total} {name} ..."
            stream.write(("\r" + line.ljust(80)) if tty else "")
        else:
            line = f"[{bar}] {done}/{total} {verdict.rule:<24} {verdict.status.upper()}"
            if verdict.status == "fail":
                line += f"  {verdict.message.splitlines()[0][:100]}"
            stream.write(("\r" if tty else "") + line.ljust(80) + "\n")
        stream.flush()

    return show


def run(
    factory: AdapterFactory,
    *,
    client_name: str = "client",
    target: Target | None = None,
    mode: str = "inprocess",
    url: str | None = None,
    rules: Sequence[Rule] = RULES,
    only: Sequence[str] | None = None,
    examples: int = 25,
    stream: TextIO | None = sys.stderr,
) -> Report:
    """Judge the client built by ``factory`` rule by rule. Starts (and stops) a mock unless given ``target``."""
    own = target is None
    tgt = target or Target.start(mode, url)
    ctx = Context(tgt, factory, reference_factory, examples=examples)
    report = Report(client_name, tgt.mode)
    chosen = [r for r in rules if only is None or r.id in only]
    show = _progress(stream) if stream is not None else None
    statuses: dict[str, str] = {}
    started = time.perf_counter()
    try:
        for n, rule in enumerate(chosen):
            if show:
                show(n, len(chosen), None, rule.id)
            verdict = _judge(ctx, rule, statuses)
            statuses[rule.id] = verdict.status
            report.verdicts.append(verdict)
            if show:
                show(n + 1, len(chosen), verdict, rule.id)
    finally:
        report.seconds = time.perf_counter() - started
        if own:
            tgt.close()
    return report


def _judge(ctx: Context, rule: Rule, statuses: dict[str, str]) -> Verdict:
    v = Verdict(rule.id, rule.title, rule.statement, "pass")
    missing = [r for r in rule.requires if statuses.get(r, "pass") not in ("pass", "skipped")]
    if missing:
        v.status = "blocked"
        v.message = f"not judged: needs {', '.join(missing)} to pass first"
        return v
    t0 = time.perf_counter()
    try:
        ctx.target.reset()
        rule.check(ctx)
    except RuleFailed as failure:
        v.status, v.message = "fail", failure.message
        v.example, v.diagnosis, v.curl = failure.example, failure.diagnosis, failure.curl
    except RuleSkipped as skip:
        v.status, v.message = "skipped", str(skip)
    except ClientCrashed as crash:
        v.status, v.message = "fail", f"the client crashed: {crash}"
    except Exception as exc:  # a bug in a client surfaces here too: report it, keep judging
        v.status = "fail"
        v.message = f"unexpected {type(exc).__name__}: {exc}"
        v.example = "".join(traceback.format_exception(exc)[-6:])
    v.seconds = time.perf_counter() - t0
    return v
