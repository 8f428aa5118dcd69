"""The request journal: every request the exchange paths saw, what was decided, what was sent back.

A ring bounded twice: it keeps the latest ``size`` entries and at most
``max_bytes`` bytes of them (oldest evicted first). Each entry is bounded too:
header values to 1 KiB, 64 headers and 8 KiB of headers, the query to 4 KiB,
body and response to 16 KiB each (truncations are noted in ``extra``: e.g.
``body_truncated_from`` holds the size received). Credentials never reach the
journal: ``sign`` and every header whose name contains ``token``, ``secret``,
``authorization``, ``cookie`` or ``password`` are kept as ``(redacted)``.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_HEADERS",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_VALUE",
    "MAX_KEPT_BODY",
    "MAX_KEPT_QUERY",
    "MAX_KEPT_RESPONSE",
    "REDACTED",
    "REDACTED_HEADERS",
    "Journal",
    "JournalEntry",
    "bound_headers",
    "is_secret_header",
    "redact_headers",
]

#: Header values that are or derive from a credential: kept only as this marker.
REDACTED = "(redacted)"
REDACTED_HEADERS = frozenset({"sign"})
_SECRET_NAME_PARTS = ("token", "secret", "authorization", "cookie", "password")

MAX_HEADER_VALUE = 1024  # bytes (latin-1 characters) per header value
MAX_HEADERS = 64  # headers per entry
MAX_HEADER_BYTES = 8 * 1024  # names + values per entry
MAX_KEPT_QUERY = 4 * 1024
MAX_KEPT_BODY = 16 * 1024
MAX_KEPT_RESPONSE = 16 * 1024
#: The whole ring never holds more than this (plus one entry): 64 MiB.
DEFAULT_MAX_BYTES = 64 << 20
#: Accounted per entry besides its strings: the object, its dicts, ids and short fields.
ENTRY_OVERHEAD = 512
#: Kept first, so a flood of other headers cannot push out what a reader needs.
_FIRST = ("api-key", "nonce", "timestamp", "sign", "content-type", "content-length", "host")


@functools.lru_cache(maxsize=4096)
def is_secret_header(name: str) -> bool:
    name = name.lower()
    return name in REDACTED_HEADERS or any(part in name for part in _SECRET_NAME_PARTS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"…(truncated from {len(text)} bytes)"


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Credentials replaced by :data:`REDACTED` (nothing else changed)."""
    return {k: (REDACTED if v and is_secret_header(k) else v) for k, v in headers.items()}


def bound_headers(headers: dict[str, str]) -> tuple[dict[str, str], int, int]:
    """Redacted and bounded headers, how many were dropped for the count or size limits, and their bytes.

    Credentials are redacted, long names and values cut, and headers past the count or size
    limit dropped; :data:`_FIRST` are kept first so a flood of others cannot push them out."""
    names = [n for n in _FIRST if n in headers] + [n for n in headers if n not in _FIRST]
    kept: dict[str, str] = {}
    total = 0
    for name in names:
        value = headers[name]
        if value and is_secret_header(name):
            value = REDACTED
        elif len(value) > MAX_HEADER_VALUE:
            value = _cut(value, MAX_HEADER_VALUE)
        if len(name) > 128:
            name = _cut(name, 128)
        cost = len(name) + len(value)
        if len(kept) >= MAX_HEADERS or total + cost > MAX_HEADER_BYTES:
            continue
        kept[name] = value
        total += cost
    return kept, len(names) - len(kept), total


@dataclass(slots=True)  # no per-entry __dict__: one object fewer per request for the collector to walk
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
    tenant: str | None = None  # the tenant whose exchange saw it (mockserver.tenants); None on the root
    product: str = "spot"  # the product the request was for (mockserver.api.products): its endpoint's or prefix's
    # The ring that holds the entry, told when the response (and so the entry's size) is set.
    _journal: Journal | None = field(default=None, repr=False, compare=False)
    _size: int = field(default=0, repr=False, compare=False)
    _header_bytes: int = field(default=0, repr=False, compare=False)

    def belongs_to(self, journal: Journal) -> bool:
        """Whether ``journal`` holds this entry (a replaced or evicted entry belongs to none)."""
        return self._journal is journal

    def set_response(self, body: bytes) -> None:
        """Keep the reply (bounded) and tell the ring the entry's new size.

        A method rather than a hook on attribute writes: the request path sets a dozen fields.
        """
        if len(body) > MAX_KEPT_RESPONSE:
            self.extra["response_truncated_from"] = len(body)
            body = body[:MAX_KEPT_RESPONSE]
        self.response = body
        journal = self._journal
        if journal is not None:
            journal._resize(self)

    def measure(self) -> int:
        """Bytes this entry holds, approximately (strings and bytes counted exactly)."""
        size = ENTRY_OVERHEAD + len(self.method) + len(self.path) + len(self.query) + len(self.detail)
        size += self._header_bytes
        size += len(self.body) + len(self.response) + len(self.client or "") + len(self.api_key or "")
        if self.extra:
            size += len(repr(self.extra))
        return size


class Journal:
    def __init__(self, size: int, max_bytes: int = DEFAULT_MAX_BYTES, *, tenant: str | None = None) -> None:
        self.tenant = tenant  # stamped on every entry: a tenant's requests say whose they are in logs
        self.size = max(1, size)
        self.max_bytes = max_bytes
        self._entries: deque[JournalEntry] = deque()
        self._bytes = 0
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
        kept_headers, dropped, header_bytes = bound_headers(headers)
        kept_query = query if len(query) <= MAX_KEPT_QUERY else query[:MAX_KEPT_QUERY]
        kept_body = body if len(body) <= MAX_KEPT_BODY else body[:MAX_KEPT_BODY]
        entry = JournalEntry(next(self._ids), time_ms, method, path, kept_query, kept_headers, kept_body, client)
        entry._header_bytes = header_bytes
        if self.tenant is not None:
            entry.tenant = self.tenant
        if dropped:
            entry.extra["headers_dropped"] = dropped
        if kept_query is not query:
            entry.extra["query_truncated_from"] = len(query)
        if kept_body is not body:
            entry.extra["body_truncated_from"] = len(body)
        if self.enabled:
            # What measure() counts, inline: the response, detail and key are still empty here.
            size = ENTRY_OVERHEAD + header_bytes + len(method) + len(path) + len(kept_query) + len(kept_body)
            size += len(client or "") + (len(repr(entry.extra)) if entry.extra else 0)
            entries = self._entries
            with self._lock:
                entry._size = size
                entry._journal = self
                entries.append(entry)
                self._bytes += size
                if len(entries) > self.size or self._bytes > self.max_bytes:
                    self._evict()
        return entry

    def _resize(self, entry: JournalEntry) -> None:
        size = entry.measure()
        with self._lock:
            if entry._journal is not self:  # evicted meanwhile
                return
            self._bytes += size - entry._size
            entry._size = size
            if self._bytes > self.max_bytes:
                self._evict()

    def _evict(self) -> None:
        entries = self._entries
        while len(entries) > self.size or (self._bytes > self.max_bytes and len(entries) > 1):
            old = entries.popleft()
            self._bytes -= old._size
            old._journal = None

    @property
    def nbytes(self) -> int:
        """Bytes the ring holds now (the sum of its entries' :meth:`JournalEntry.measure`)."""
        return self._bytes

    def recent(self, limit: int) -> list[JournalEntry]:
        """The newest ``limit`` entries, newest first (without copying the whole ring)."""
        with self._lock:
            out: list[JournalEntry] = []
            for entry in reversed(self._entries):
                if len(out) >= limit:
                    break
                out.append(entry)
            return out

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            for entry in self._entries:
                entry._journal = None
            self._entries.clear()
            self._bytes = 0
