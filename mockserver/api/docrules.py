"""Documented rules the live exchange tolerates: broken, they are reported as warnings, never refused.

Each rule is what the official docs ask for but live traffic shows is not
enforced (or was never seen enforced). The default profile accepts a request
that breaks one, as live does, and records a warning: in the journal entry, in
the ``x-mock-warnings`` response header when diagnosis is on, and in the
conformance kit as WARN. The ``strict`` profile turns the nonce and timestamp
rules back into refusals for doc-pedantic checking.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DOC_RULES", "DocRule", "Warning", "warn"]


@dataclass(frozen=True)
class DocRule:
    id: str
    rule: str  # what the docs ask
    live: str  # what live traffic shows
    source: str
    confidence: str


DOC_RULES: dict[str, DocRule] = {
    r.id: r
    for r in (
        DocRule(
            "nonce-length",
            "the nonce is 32 characters (a uuid4 without dashes)",
            "44-character base64 nonces are accepted on every signed call; no length refusal was ever seen",
            "live futures client (TCJ), spot PyPI client source, WS doc examples",
            "M",
        ),
        DocRule(
            "timestamp-ahead",
            "the timestamp is within 60 s of server time",
            "61 s behind is refused (100008); 61 s ahead is accepted",
            "live probe (HB 2026-10)",
            "M",
        ),
        DocRule(
            "body-not-compact",
            "the JSON body is compact (no spaces outside strings)",
            "the raw bytes are hashed as sent; spaced bodies signed as sent are accepted",
            "official futures demo signs and sends spaced JSON; spot clients send compact",
            "M",
        ),
        DocRule(
            "content-type",
            "signed requests carry Content-Type: application/json",
            "no refusal for a missing content type is recorded",
            "spot docs (header table)",
            "L",
        ),
        DocRule(
            "number-for-string",
            "a field documented as a string is sent as a JSON string",
            "a Jackson backend accepts a JSON number there",
            "docs' field tables; JSON numbers accepted live for volume and price",
            "M",
        ),
        DocRule(
            "string-for-number",
            "a field documented as a number is sent as a JSON number",
            'a Jackson backend accepts numeric text there (side and type as "2")',
            "docs' field tables; clients send both",
            "M",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Warning:
    """One documented rule a request broke, with the specifics."""

    rule: str
    detail: str

    def text(self) -> str:
        return f"{self.rule}: {self.detail}"

    def to_json(self) -> dict[str, str]:
        doc = DOC_RULES[self.rule]
        return {"rule": self.rule, "detail": self.detail, "docs": doc.rule, "live": doc.live}


def warn(rule: str, detail: str) -> Warning:
    assert rule in DOC_RULES, rule
    return Warning(rule, detail)
