"""The conformance kit: judge any Bitunix spot client, rule by rule, against the mock.

from conformance import run, reference_factory
report = run(reference_factory)          # in-process mock, every rule
report.write(Path("report"))             # report.json, report.md, junit.xml
"""

from .adapter import (
    OPERATIONS,
    Adapter,
    AdapterFactory,
    ClientCrashed,
    ClientError,
    DriverAdapter,
    ReferenceAdapter,
    driver_factory,
    reference_factory,
)
from .rules import RULES, Context, Rule, RuleFailed, RuleSkipped
from .runner import Report, Verdict, run
from .target import Target

__all__ = [
    "OPERATIONS",
    "RULES",
    "Adapter",
    "AdapterFactory",
    "ClientCrashed",
    "ClientError",
    "Context",
    "DriverAdapter",
    "ReferenceAdapter",
    "Report",
    "Rule",
    "RuleFailed",
    "RuleSkipped",
    "Target",
    "Verdict",
    "driver_factory",
    "reference_factory",
    "run",
]
