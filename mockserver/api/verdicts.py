"""The journal's verdict names, and the check that refuses a verdict filter naming none of them.

A misspelt filter (``verdict="acepted"``) would match no entry, so ``assert requests(verdict="rejectd") == []``
would pass whatever the exchange did: the admin route and the admin client refuse it instead, listing the
valid names.
"""

from __future__ import annotations

from .inflight import STALE_VERDICT
from .pipeline import PLACE_REFUSED
from .products import PRODUCTS

__all__ = ["REJECTED", "check_verdict", "verdict_filters"]

#: Not a verdict of its own: the filter that matches every entry but the accepted ones.
REJECTED = "rejected"
#: What the pipeline writes besides the refusals' class names: answered, in flight, an injected fault,
#: reset while in flight, the client gone before the answer.
_NAMED = ("accepted", "pending", PLACE_REFUSED, "fault", STALE_VERDICT, "disconnected")


def _refusals() -> list[str]:
    """The class name of every product's exchange errors (the pipeline's verdict for a request it refused
    with one, in the words of the request's product)."""
    return sorted({info.name for product in PRODUCTS for info in product.errors.values()})


def verdict_filters() -> list[str]:
    """Every value a ``verdict`` filter may take: the verdicts, ``rejected``, then the refusals by name."""
    return [*_NAMED, REJECTED, *_refusals()]


def check_verdict(verdict: str, where: str) -> None:
    """ValueError naming ``verdict`` and listing the valid ones when no journal entry can ever have it."""
    valid = verdict_filters()
    if verdict not in valid:
        raise ValueError(f"{where}: unknown verdict {verdict[:64]!r}; valid verdicts: {', '.join(valid)}")
