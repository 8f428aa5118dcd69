"""Run the rules against one client and collect a verdict per rule; write the reports.

Statuses: ``pass``; ``warn`` (passed, but the client's requests broke documented rules
the live exchange tolerates - never fails the run); ``fail``; ``blocked`` (a rule it
requires failed); ``skipped`` (the client lacks an optional operation); ``n/a`` (the rule
judges a product the client does not declare, e.g. a futures rule for a spot-only client).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from .adapter import AdapterFactory, ClientCrashed, ClientError, products_of, reference_factory, traceback_excerpt
from .rules import RULES, Context, Rule, RuleFailed, RuleSkipped
from .target import Target

__all__ = ["LABEL", "Report", "Verdict", "run"]


@dataclass
class Verdict:
    rule: str
    title: str
    statement: str
    status: str  # pass | warn | fail | blocked | skipped | n/a
    message: str = ""
    example: str = ""
    diagnosis: str = ""
    curl: str = ""
    seconds: float = 0.0
    traceback: str = ""
    #: documented rules the client's requests broke (from the server journal): rule, detail, docs, live, requests
    warnings: list[dict[str, Any]] = field(default_factory=list)
    #: crashes in operations the rule used only as traffic: operation, error, traceback
    crashes: list[dict[str, str]] = field(default_factory=list)


OK = ("pass", "warn", "skipped", "n/a")
LABEL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "blocked": "BLOCKED", "skipped": "SKIPPED", "n/a": "N/A"}


def _warning_line(w: dict[str, Any]) -> str:
    return f"{w['rule']} ({w['requests']} requests, e.g. {w['example']}): {w['detail']}"


#: How a report names where its examples came from (``Report.derandomize``).
DRAWS = {True: "derandomized (the same examples as any derandomized run)", False: "fresh examples"}


@dataclass
class Report:
    client: str
    mode: str
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0
    #: hypothesis examples per property rule, and whether they were the same as every other derandomized run's
    examples: int = 25
    derandomize: bool = False
    #: the products the client declares (the rules of the others are ``n/a``)
    products: tuple[str, ...] = ("spot",)

    @property
    def passed(self) -> bool:
        """WARN never fails a run: only fail and blocked do."""
        return all(v.status in OK for v in self.verdicts)

    @property
    def verdict(self) -> str:
        """``PASS``, ``PASS with warnings`` or ``FAIL``."""
        if not self.passed:
            return "FAIL"
        return "PASS with warnings" if self.by_status("warn") else "PASS"

    def by_status(self, status: str) -> list[str]:
        return [v.rule for v in self.verdicts if v.status == status]

    def summary(self) -> str:
        """``PASS: 9 passed, 2 warned, 0 failed, 0 blocked, 0 skipped`` (the CLI's last line), then
        ``, 13 not applicable`` when rules of a product the client does not declare were not judged."""
        words = [("pass", "passed"), ("warn", "warned"), ("fail", "failed"), ("blocked", "blocked")]
        words += [("skipped", "skipped")] + ([("n/a", "not applicable")] if self.by_status("n/a") else [])
        counts = ", ".join(f"{len(self.by_status(s))} {word}" for s, word in words)
        return f"{self.verdict}: {counts}"

    def warnings(self) -> list[dict[str, Any]]:
        """Each documented rule broken anywhere in the run, once: with the rules that saw it."""
        out: dict[str, dict[str, Any]] = {}
        for v in self.verdicts:
            for w in v.warnings:
                slot = out.setdefault(w["rule"], {**w, "requests": 0, "seen_in": []})
                slot["requests"] += w["requests"]
                slot["seen_in"].append(v.rule)
        return list(out.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "mode": self.mode,
            "passed": self.passed,
            "verdict": self.verdict,
            "seconds": round(self.seconds, 2),
            "examples": self.examples,
            "derandomize": self.derandomize,
            "products": list(self.products),
            "warnings": self.warnings(),
            "rules": [asdict(v) for v in self.verdicts],
        }

    def markdown(self) -> str:
        lines = [
            f"# Bitunix conformance: {self.client}",
            "",
            f"Products: {', '.join(self.products)} (the rules of another product are N/A). Mode: {self.mode}. "
            f"Verdict: **{self.verdict}** "
            f"({self.summary().partition(': ')[2]}) in {self.seconds:.1f} s; {self.examples} examples per "
            f"property rule, {DRAWS[self.derandomize]}.",
            "",
            "| rule | result | what it checks |",
            "|---|---|---|",
        ]
        lines += [f"| `{v.rule}` | {LABEL[v.status]} | {v.statement} |" for v in self.verdicts]
        broken = self.warnings()
        if broken:
            lines += [
                "",
                "## Warnings: documented rules broken, tolerated live",
                "",
                "WARN never fails the run: the exchange accepts these requests today, but they break what the docs "
                "ask, so a stricter exchange could refuse them.",
                "",
                "| documented rule | the docs ask | live shows | requests | first seen |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| `{w['rule']}` | {w['docs']} | {w['live']} | {w['requests']} | {w['detail']} ({w['example']}) |"
                for w in broken
            ]
        for v in self.verdicts:
            if v.status in ("fail", "blocked", "skipped", "warn") or v.crashes:
                lines += ["", f"## `{v.rule}` - {LABEL[v.status]}"]
                if v.message:
                    lines += ["", v.message]
                if v.warnings:
                    lines += [""] + [f"- WARN `{_warning_line(w)}`" for w in v.warnings]
                for label, text in (
                    ("Shrunk example", v.example),
                    ("Client traceback", v.traceback),
                    ("Server diagnosis", v.diagnosis),
                    ("Repro", v.curl),
                ):
                    if text:
                        lines += ["", f"{label}:", "", "```", text, "```"]
                for c in v.crashes:
                    lines += ["", f"The client crashed in `{c['operation']}` (not what this rule judges): {c['error']}"]
                    if c["traceback"]:
                        lines += ["", "```", c["traceback"], "```"]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        """The JUnit XML CI systems read; ElementTree escapes text and attributes."""
        failures = len(self.by_status("fail"))
        skipped = sum(len(self.by_status(s)) for s in ("blocked", "skipped", "n/a"))
        suite = ET.Element(
            "testsuite",
            name="bitunix-conformance",
            tests=str(len(self.verdicts)),
            failures=str(failures),
            skipped=str(skipped),
            time=f"{self.seconds:.2f}",
        )
        for v in self.verdicts:
            case = ET.SubElement(suite, "testcase", classname=self.client, name=v.rule, time=f"{v.seconds:.2f}")
            body = "\n".join(x for x in (v.message, v.example, v.traceback, v.diagnosis, v.curl) if x)
            if v.warnings:  # a passing test case that says WARN: a property per warning, and the text in system-out
                props = ET.SubElement(case, "properties")
                for w in v.warnings:
                    ET.SubElement(props, "property", name="warning", value=_attr(_warning_line(w), 500))
            if v.status == "fail":
                ET.SubElement(case, "failure", message=_attr(v.message)).text = body
            elif v.status in ("blocked", "skipped", "n/a"):
                ET.SubElement(case, "skipped", message=_attr(v.message))
            notes = [f"WARN {_warning_line(w)} | docs: {w['docs']} | live: {w['live']}" for w in v.warnings]
            notes += [f"crash in {c['operation']}: {c['error']}\n{c['traceback']}" for c in v.crashes]
            if notes:
                ET.SubElement(case, "system-out").text = "\n".join(notes)
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"

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


def _attr(text: str, limit: int = 200) -> str:
    """An attribute is one line: the first ``limit`` characters, newlines as spaces."""
    return text[:limit].replace("\n", " ")


def _progress(stream: TextIO) -> Callable[[int, int, Verdict | None, str], None]:
    tty = stream.isatty()

    def show(done: int, total: int, verdict: Verdict | None, name: str) -> None:
        width = 24
        bar = "#" * (width * done // total) + "-" * (width - width * done // total)
        if verdict is None:
            line = f"[{bar}] {done}/{total} {name} ..."
            stream.write(("\r" + line.ljust(80)) if tty else "")
        else:
            line = f"[{bar}] {done}/{total} {verdict.rule:<30} {LABEL[verdict.status]}"
            if verdict.status == "fail":
                line += f"  {verdict.message.splitlines()[0][:100]}"
            elif verdict.status == "warn":
                line += "  docs broken, tolerated live: " + ", ".join(w["rule"] for w in verdict.warnings)
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
    derandomize: bool = False,
    product: str | None = None,
    stream: TextIO | None = sys.stderr,
) -> Report:
    """Judge the client built by ``factory`` rule by rule. Starts (and stops) a mock unless given ``target``.

    ``product`` (``"spot"``/``"futures"``) runs only that product's rules."""
    unknown = sorted(set(only or ()) - {r.id for r in rules})
    if unknown:
        names = ", ".join(r.id for r in rules)
        raise ValueError(f"no conformance rule {', '.join(map(repr, unknown))}; the rules: {names}")
    own = target is None
    tgt = target or Target.start(mode, url)
    ctx = Context(tgt, factory, reference_factory, examples=examples, derandomize=derandomize)
    report = Report(client_name, tgt.mode, examples=examples, derandomize=derandomize)
    chosen = [r for r in rules if (only is None or r.id in only) and (product is None or r.product == product)]
    show = _progress(stream) if stream is not None else None
    statuses: dict[str, str] = {}
    started = time.perf_counter()
    try:
        report.products = _declared(ctx) if chosen else ("spot",)
        for n, rule in enumerate(chosen):
            if show:
                show(n, len(chosen), None, rule.id)
            if rule.product not in report.products:
                verdict = Verdict(rule.id, rule.title, rule.statement, "n/a")
                verdict.message = (
                    f"not applicable: the rule judges {rule.product} and the client declares "
                    f"{', '.join(report.products)} only"
                )
            else:
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


def _declared(ctx: Context) -> tuple[str, ...]:
    """The products the client under test declares: asked once, of a client on a fresh empty account."""
    try:
        with ctx.client({}) as (adapter, _):
            return products_of(adapter)
    except (ClientCrashed, ClientError, OSError) as exc:  # judged as spot: its rules will report the failure
        print(f"could not ask the client which products it implements ({exc}); judging it as spot", file=sys.stderr)
        return ("spot",)


def _judge(ctx: Context, rule: Rule, statuses: dict[str, str]) -> Verdict:
    v = Verdict(rule.id, rule.title, rule.statement, "pass")
    missing = [r for r in rule.requires if statuses.get(r, "pass") not in OK]
    if missing:
        v.status = "blocked"
        v.message = f"not judged: needs {', '.join(missing)} to pass first"
        return v
    t0 = time.perf_counter()
    ctx.begin()
    try:
        ctx.target.reset()
        rule.check(ctx)
    except RuleFailed as failure:
        v.status, v.message = "fail", failure.message
        v.example, v.diagnosis, v.curl = failure.example, failure.diagnosis, failure.curl
        v.traceback = failure.traceback
    except RuleSkipped as skip:
        v.status, v.message = "skipped", str(skip)
    except ClientCrashed as crash:
        v.status, v.message = "fail", f"the client crashed: {crash}"
        v.traceback = crash.excerpt
    except Exception as exc:  # a bug in a client surfaces here too: report it, keep judging
        v.status = "fail"
        v.message = f"unexpected {type(exc).__name__}: {exc}"
        v.traceback = traceback_excerpt(exc)
    v.warnings = sorted(ctx.warnings.values(), key=lambda w: str(w["rule"]))
    v.crashes = list(ctx.crashes)
    if v.status == "pass" and v.warnings:
        v.status = "warn"
    v.seconds = time.perf_counter() - t0
    return v
