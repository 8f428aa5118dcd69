"""In-flight isolation: a request that began before a reset (or a restore) never touches the new exchange.

A test that ends while one of its requests is still in flight - a latency fault, a
slow client thread - used to see that request land in the next test's "fresh"
exchange. :class:`~mockserver.state.MockState` now counts its generations (every
``replace_with`` bumps ``generation``, and so does deleting a tenant, see
:mod:`mockserver.tenants`); the HTTP layer notes the generation when a request
arrives and, when the request is dispatched, refuses it if the state has been
replaced (or deleted) meanwhile - before auth, before any handler, so nothing changes.

The refusal is the exchange's own system error in the envelope of the request's product
(spot's ``{"code": "500", "msg": "System error"}``, futures' 10001; HTTP 200, what a client must
already handle), with the mock-specific reason in ``x-mock-diagnosis`` (always sent) and in the journal: the request is
journaled in the *new* journal with the verdict ``reset-in-flight``, so the test
that did the reset sees it, and the entry opened in the old journal is closed
with the same verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SystemError
from .reply import DIAGNOSIS_HEADER, JSON_CONTENT, Reply, Verdict, record_entry

if TYPE_CHECKING:
    from ..state import MockState
    from .pipeline import RequestContext

__all__ = ["STALE_VERDICT", "refuse_stale"]

#: The journal verdict of a request refused because the exchange was reset while it was in flight.
STALE_VERDICT = "reset-in-flight"


def refuse_stale(state: MockState, ctx: RequestContext, began: int) -> Verdict:
    """The refusal of a request that began under generation ``began``.

    When the journal was replaced too, ``ctx.entry`` moves to a fresh entry in the new one (which
    the pipeline then records) and the entry in the old journal is closed here with the same verdict.
    """
    err, body = ctx.product.refusal(SystemError("refused"))
    detail = (
        f"mock: this request began before the exchange was reset, restored or deleted (generation {began}, now "
        f"{state.generation}); it was refused unprocessed and changed nothing"
    )
    entry = ctx.entry
    endpoint = ctx.endpoint
    entry.operation = endpoint.operation if endpoint is not None else None
    entry.api_key = entry.headers.get("api-key") or None
    generations = {"began": began, "now": state.generation}
    journal = state.journal
    if not entry.belongs_to(journal):  # the old journal is gone: show the request in the new one
        fresh = journal.open(
            state.clock.now_ms(), entry.method, entry.path, entry.query, entry.headers, entry.body, entry.client
        )
        fresh.operation, fresh.api_key, fresh.product = entry.operation, entry.api_key, entry.product
        closing = Verdict(STALE_VERDICT, err.code, detail, Reply(200, body))
        closing.note("generation", dict(generations))
        record_entry(entry, closing)
        ctx.entry = fresh
    headers = [JSON_CONTENT, (DIAGNOSIS_HEADER, detail.encode("ascii"))]
    verdict = Verdict(STALE_VERDICT, err.code, detail, Reply(200, body, headers))
    verdict.note("generation", generations)
    return verdict
