"""The words a request's answer is made of: the reply, the verdict, the envelopes and the mock's headers.

The pipeline, in-flight isolation and the durable log all speak them; this module imports
nothing of theirs, so each of them can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from .journal import JournalEntry

__all__ = [
    "DIAGNOSIS_HEADER",
    "EXPECTED_INPUT_HEADER",
    "JOURNAL_HEADER",
    "JSON_CONTENT",
    "SUCCESS_MSG",
    "WARNINGS_HEADER",
    "Reply",
    "Verdict",
    "error_body",
    "numeric_error_body",
    "numeric_success_body",
    "record_entry",
    "success_body",
]

SUCCESS_MSG = "result.success"
DIAGNOSIS_HEADER = b"x-mock-diagnosis"
EXPECTED_INPUT_HEADER = b"x-mock-expected-digest-input"  # percent-encoded UTF-8
JOURNAL_HEADER = b"x-mock-journal-id"
WARNINGS_HEADER = b"x-mock-warnings"
JSON_CONTENT = (b"content-type", b"application/json")


def success_body(data: Any, msg: str = SUCCESS_MSG) -> bytes:
    head = _SUCCESS_HEADS.get(msg)
    if head is None:
        head = _SUCCESS_HEADS[msg] = b'{"code":"0","msg":' + orjson.dumps(msg) + b',"data":'
    # The same bytes as orjson.dumps of the whole envelope, without building its dict every time.
    return head + orjson.dumps(data) + b',"success":true}'


_SUCCESS_HEADS: dict[str, bytes] = {}


def error_body(code: str, msg: str) -> bytes:
    return orjson.dumps({"code": code, "msg": msg, "data": None, "success": False})


def numeric_success_body(data: Any, msg: str) -> bytes:
    """The futures envelope: ``{"code":0,"data":...,"msg":...}`` (a JSON number, keys in the docs' order)."""
    return b'{"code":0,"data":' + orjson.dumps(data) + b',"msg":' + orjson.dumps(msg) + b"}"


def numeric_error_body(code: str, msg: str) -> bytes:
    """The futures error envelope: ``{"code":<number>,"data":null,"msg":...}`` (a code that is no number,
    as an injected fault may name, stays text rather than fail)."""
    number = code.isascii() and code.lstrip("-").isdigit() and len(code) < 19
    return orjson.dumps({"code": int(code) if number else code, "data": None, "msg": msg})


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: [JSON_CONTENT])


@dataclass(slots=True)
class Verdict:
    """What the pipeline decided: the journal's verdict name, code and detail, notes for its
    ``extra``, and the reply to send."""

    name: str  # "accepted", PLACE_REFUSED, the error's class name, "fault", ...
    code: str | None
    detail: str
    reply: Reply
    notes: dict[str, Any] | None = None  # for the entry's ``extra``

    def note(self, key: str, value: Any) -> None:
        if self.notes is None:
            self.notes = {}
        self.notes[key] = value


def record_entry(entry: JournalEntry, verdict: Verdict) -> Reply:
    """Write ``verdict`` into ``entry`` (verdict, code, detail, notes, status, response); the reply gets its id."""
    reply = verdict.reply
    entry.verdict = verdict.name
    entry.code = verdict.code
    entry.detail = verdict.detail
    if verdict.notes:
        entry.extra.update(verdict.notes)
    entry.status = reply.status
    entry.set_response(reply.body)
    reply.headers.append((JOURNAL_HEADER, str(entry.id).encode()))
    return reply
