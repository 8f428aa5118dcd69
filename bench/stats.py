"""How the bench turns rounds into a figure: the median, the spread, and whether the rounds disagree.

Every stage alternates its two sides in ABBA order (A B, B A, A B, ...) so a slow moment of the
shared machine hits both sides of a comparison; :func:`abba` gives a round's order.
"""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["NOISE", "ROUNDS", "abba", "summarize"]

#: A figure whose rounds disagree by more than this (max - min, relative to the median) is NOISY, never a PASS.
NOISE = 0.10
#: Rounds per figure unless a stage says otherwise.
ROUNDS = 5


def abba(i: int, a: str, b: str) -> tuple[str, str]:
    """Round ``i``'s order: A B, then B A, then A B ..."""
    return (a, b) if i % 2 == 0 else (b, a)


def summarize(values: list[float]) -> dict[str, Any]:
    """Median, spread (max - min) and relative spread of a figure's rounds, and whether they disagree."""
    ordered = sorted(values)
    median = statistics.median(ordered)
    spread = ordered[-1] - ordered[0]
    return {
        "median": round(median, 4),
        "spread": round(spread, 4),
        "relative_spread": round(spread / abs(median), 4) if median else None,
        "noisy": not median or spread / abs(median) > NOISE,
        "rounds": [round(v, 4) for v in values],
    }
