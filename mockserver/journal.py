"""The request journal: every request the exchange paths saw, what was decided, what was sent back.

A bounded ring, so a long-running server keeps the latest ``size`` entries.
Secret-derived header values (``sign``) are redacted on the way in; the secret
itself never reaches the journal.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REDACTED_HEADERS", "Journal", "JournalEntry"]

#: Header values derived from the secret: kept only as a short prefix so a reader can match them up.
REDACTED_HEADERS = frozenset({"sign"})
#: Bodies are kept up to this size, so a full ring stays bounded (10,000 x 64 KiB at most).
MAX_KEPT_BODY = 64 * 1024


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (v[:6] + "…(redacted)" if k in REDACTED_HEADERS and v else v) for k, v in headers.items()}


@dataclass
class JournalEntry:
    id: int
    time_ms: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client: str | None
    operation: str | None = None
    api_key: str | None = None
    verdict: str = "pending"  # "accepted", or the rule that rejected it
    code: str | None = None
    detail: str = ""
    status: int = 0
    response: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max(1, size))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.enabled = size > 0

    def open(
        self,
        time_ms: int,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        client: str | None,
    ) -> JournalEntry:
        kept = body if len(body) <= MAX_KEPT_BODY else body[:MAX_KEPT_BODY]
        entry = JournalEntry(next(self._ids), time_ms, method, path, query, redact_headers(headers), kept, client)
        if kept is not body:
            entry.extra["body_truncated_from"] = len(body)
        if self.enabled:
            with self._lock:
                self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
