"""In-flight isolation: a request that began before a reset (or a restore) never touches the new exchange.

A test that ends while one of its requests is still in flight - a latency fault, a
slow client thread - used to see that request land in the next test's "fresh"
exchange. :class:`~mockserver.state.MockState` now counts its generations (every
``replace_with`` bumps ``generation``); the HTTP layer notes the generation when a
request arrives and, when the request is dispatched, refuses it if the state has
been replaced meanwhile - before auth, before any handler, so nothing changes.

The refusal is the exchange's own ``{"code": "500", "msg": "System error"}``
envelope (HTTP 200, what a client must already handle), with the mock-specific
reason in ``x-mock-diagnosis`` (always sent) and in the journal: the request is
journaled in the *new* journal with the verdict ``reset-in-flight``, so the test
that did the reset sees it, and the entry opened in the old journal is closed
with the same verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..state import MockState
    from .endpoints import Endpoint
    from .journal import JournalEntry
    from .pipeline import Reply

__all__ = ["STALE_VERDICT", "refuse_stale"]

#: The journal verdict of a request refused because the exchange was reset while it was in flight.
STALE_VERDICT = "reset-in-flight"


def refuse_stale(state: MockState, entry: JournalEntry, began: int, endpoint: Endpoint | None) -> Reply:
    """The refusal of a request that began under generation ``began`` (``entry``: its journal entry)."""
    from ..errors import SystemError
    from .pipeline import _JSON_HEADERS, DIAGNOSIS_HEADER, Pipeline, Reply, error_body

    err = SystemError("refused")
    detail = (
        f"mock: this request began before the exchange was reset or restored (generation {began}, now "
        f"{state.generation}); it was refused unprocessed and changed nothing"
    )
    entry.operation = endpoint.operation if endpoint is not None else None
    entry.api_key = entry.headers.get("api-key") or None
    journal = state.journal
    if entry._journal is not journal:  # the old journal is gone: show the request in the new one
        fresh = journal.open(
            state.clock.now_ms(), entry.method, entry.path, entry.query, entry.headers, entry.body, entry.client
        )
        fresh.operation, fresh.api_key = entry.operation, entry.api_key
        old, entry = entry, fresh
        old.verdict, old.code, old.detail, old.status = STALE_VERDICT, err.code, detail, 200
        old.extra["generation"] = {"began": began, "now": state.generation}
        old.set_response(error_body(err.code, err.msg))
    entry.verdict, entry.code, entry.detail = STALE_VERDICT, err.code, detail
    entry.extra["generation"] = {"began": began, "now": state.generation}
    headers = [*_JSON_HEADERS, (DIAGNOSIS_HEADER, detail.encode("ascii"))]
    return Pipeline._finish(entry, Reply(200, error_body(err.code, err.msg), headers))
