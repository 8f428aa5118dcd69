"""What a rule gets to work with: the mock, the client under test and the reference client (:class:`Context`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mockserver.api.docrules import DOC_RULES

from .adapter import Adapter, AdapterFactory
from .outcomes import ClientCrashed
from .target import Target

__all__ = ["FUNDS", "Context"]

#: What a fresh account of a rule holds unless the rule asks for other balances.
FUNDS = {"USDT": "100000", "BTC": "2", "ETH": "20"}


@dataclass
class Context:
    """What a rule gets: the mock, the factory of the client under test, the reference factory."""

    target: Target
    factory: AdapterFactory
    reference: AdapterFactory
    examples: int = 25
    #: the same generated examples on every run (hypothesis ``derandomize``): reproducible verdicts
    derandomize: bool = False
    _open: list[Adapter] = field(default_factory=list)
    #: documented rules the client's requests broke during the current rule, by docrules id
    warnings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: crashes in operations the current rule uses only as traffic
    crashes: list[dict[str, str]] = field(default_factory=list)

    def begin(self) -> None:
        """Forget what the previous rule collected."""
        self.warnings = {}
        self.crashes = []

    @contextmanager
    def client(self, balances: dict[str, str] | None = None, factory: AdapterFactory | None = None) -> Iterator[Any]:
        """A fresh funded account and the client under test bound to it: (adapter, account).

        When the account is closed, the warnings the server journaled for the client
        under test's requests are collected (the reference client's are not)."""
        acct = self.target.account(FUNDS if balances is None else balances)
        make = factory or self.factory
        adapter = make(self.target.base_url, acct["api_key"], acct["secret"], self.target.transport)
        try:
            yield adapter, acct
        finally:
            try:
                adapter.close()
            finally:
                if make is self.factory:
                    self.collect_warnings(acct["api_key"])

    def collect_warnings(self, api_key: str) -> None:
        for entry in self.target.journal(api_key):
            for w in entry.get("warnings") or ():
                self._note(w, entry)

    def warn(self, rule: str, detail: str, entry: dict[str, Any]) -> None:
        """A documented rule the kit saw broken in a request the server did not flag (older or stricter mock)."""
        doc = DOC_RULES[rule]
        self._note({"rule": rule, "detail": detail, "docs": doc.rule, "live": doc.live}, entry)

    def tolerated(self, rule: str, detail: str, docs: str, live: str, entry: dict[str, Any]) -> None:
        """A documented oddity the client cannot read although live never (or rarely) sends it: a WARN, not a
        failure (futures spec §7: the docs' array ``account``, integer totals, ``LONG``/``SHORT``, ``NEW_``)."""
        self._note({"rule": rule, "detail": detail, "docs": docs, "live": live}, entry)

    def _note(self, w: dict[str, Any], entry: dict[str, Any]) -> None:
        slot = self.warnings.get(w["rule"])
        if slot is None:
            slot = self.warnings[w["rule"]] = {
                "rule": w["rule"],
                "detail": w.get("detail", ""),
                "docs": w.get("docs", ""),
                "live": w.get("live", ""),
                "requests": 0,
                "example": f"{entry.get('method', '')} {entry.get('path', '')} ({entry.get('operation', '')})",
            }
        slot["requests"] += 1

    def crashed(self, crash: ClientCrashed, op: str) -> None:
        text = str(crash)
        seen = any(c["operation"] == (crash.operation or op) and c["error"] == text for c in self.crashes)
        if not seen and len(self.crashes) < 5:
            self.crashes.append({"operation": crash.operation or op, "error": text, "traceback": crash.excerpt})

    def rejected(self, api_key: str, codes: set[str] | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.target.journal(api_key)
            if e["verdict"] != "accepted" and (codes is None or e["code"] in codes)
        ]

    def evidence(self, entry: dict[str, Any]) -> dict[str, str]:
        detail = entry.get("detail") or ""
        diagnosis = entry.get("diagnosis")
        if isinstance(diagnosis, dict):
            detail += f" | doctor: {diagnosis.get('message', '')}"
        elif diagnosis:
            detail += f" | doctor: {diagnosis}"
        return {"diagnosis": f"{entry['verdict']} ({entry['code']}): {detail}", "curl": self.target.curl(entry["id"])}
