"""The conformance kit: judge any Bitunix spot or USDT-M futures client, rule by rule, against the mock.

from conformance import run, reference_factory
report = run(reference_factory)                      # in-process mock, every rule of both products
report = run(reference_factory, product="futures")   # the futures rules only
report.write(Path("report"))                         # report.json, report.md, junit.xml

A client declares the products it implements (``products``); the rules of the others are N/A.
"""

from .adapter import (
    FUTURES_OPERATIONS,
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
    "FUTURES_OPERATIONS",
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
