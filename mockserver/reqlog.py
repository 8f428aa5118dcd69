"""The request log: one line per exchange request, for a person (text) or a machine (JSON lines).

:mod:`mockserver.http` emits one INFO record on the ``mockserver.requests`` logger per
exchange request once its verdict is final, carrying the journal entry. This module
turns it into a line: time, method, operation (the path when there is none: a 404),
the api-key shortened, the verdict and code, and for a refusal why - the signature
doctor's diagnosis or the rule that failed - plus every documented-rule warning.
The exchange answers most refusals with HTTP 200, so the HTTP status is shown only
when it is not 200. No secret, ``sign`` or token is ever written: the journal never
holds them and the api-key is cut to its first and last four characters.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any, Literal, TextIO

from .api.journal import JournalEntry

__all__ = ["FORMATS", "LOGGER_NAME", "JsonFormatter", "TextFormatter", "configure", "record_fields", "short_key"]

LOGGER_NAME = "mockserver.requests"
FORMATS = ("text", "json")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def short_key(key: str | None) -> str | None:
    """An api-key as ``abcd...wxyz``: enough to tell keys apart, too little to use one."""
    if not key:
        return None
    key = _CONTROL.sub("?", key)
    return key if len(key) <= 8 else f"{key[:4]}...{key[-4:]}"


def _why(entry: JournalEntry) -> str:
    diagnosis = entry.extra.get("diagnosis")
    if isinstance(diagnosis, dict) and diagnosis.get("message"):
        return f"doctor: {diagnosis.get('mistake')}: {diagnosis.get('message')}"
    return entry.detail


def record_fields(entry: JournalEntry, created: float) -> dict[str, Any]:
    """What one log line says about ``entry`` (``created``: the wall-clock time, in seconds)."""
    out: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created * 1000) % 1000:03d}Z",
        "id": entry.id,
        "method": entry.method,
        "operation": entry.operation,
        "path": entry.path,
        "key": short_key(entry.api_key or entry.headers.get("api-key")),
        "verdict": entry.verdict,
        "code": entry.code,
        "status": entry.status,
        "mock_time_ms": entry.time_ms,
    }
    if entry.tenant is not None:
        out["tenant"] = entry.tenant
    if entry.detail:
        out["detail"] = entry.detail
    diagnosis = entry.extra.get("diagnosis")
    if isinstance(diagnosis, dict):
        out["diagnosis"] = {"mistake": diagnosis.get("mistake"), "message": diagnosis.get("message")}
    warnings = entry.extra.get("warnings")
    if warnings:
        out["warnings"] = [{"rule": w.get("rule"), "detail": w.get("detail")} for w in warnings]
    for name in ("refused_items", "faults", "dropped"):
        if name in entry.extra:
            out[name] = entry.extra[name]
    return out


class TextFormatter(logging.Formatter):
    """``10:31:02.114 POST place_order       demo...0001  PlaceRefused 910005  placement refused: ...``

    A tenant's request (mockserver.tenants) names it after the time: ``10:31:02.114 t/3f9c0a1b2c4d POST ...``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        if not isinstance(entry, JournalEntry):
            return super().format(record)
        f = record_fields(entry, record.created)
        clock = time.strftime("%H:%M:%S", time.localtime(record.created)) + f".{int(record.created * 1000) % 1000:03d}"
        what = f["operation"] or f["path"]
        if entry.tenant is not None:  # a tenant's request: whose exchange it was
            clock += f" t/{entry.tenant}"
        parts = [f"{clock} {f['method']:<4} {what:<22} {f['key'] or '-':<11} {f['verdict']} {f['code'] or '-'}"]
        if f["status"] not in (200, 0):
            parts.append(f"HTTP {f['status']}")
        why = _why(entry)
        if why:
            parts.append(why)
        for w in f.get("warnings", ()):
            parts.append(f"warning {w['rule']}: {w['detail']}")
        if f.get("dropped"):
            parts.append("response dropped (fault)")
        parts.append(f"#{f['id']}")
        return _CONTROL.sub(" ", "  ".join(parts))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (ASCII): the fields of :func:`record_fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        if not isinstance(entry, JournalEntry):
            return json.dumps({"time": record.created, "level": record.levelname, "message": record.getMessage()})
        return json.dumps(record_fields(entry, record.created), default=str)


def configure(fmt: Literal["text", "json"] | None, stream: TextIO | None = None) -> logging.Logger:
    """Send the request log to ``stream`` (stderr) as ``fmt``; ``None`` turns it off."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = False
    if fmt is None:
        logger.setLevel(logging.WARNING)  # the records are INFO: none is built
        return logger
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger
