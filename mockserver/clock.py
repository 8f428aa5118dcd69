"""Server time, steerable: real, offset, frozen or advanced by hand.

Everything time-dependent (the signature window, nonce expiry, order and fill
times, kline buckets) reads this one clock, so a test can move time instead of
sleeping.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import ClassVar

__all__ = ["Clock", "http_date"]


class Clock:
    """Milliseconds since the epoch, UTC.

    ``offset_ms`` shifts real time; ``freeze`` pins it; ``advance`` moves a frozen
    clock (or the offset of a running one) forward.
    """

    #: While set, the wall time every running clock reads (offsets still apply). A state directory
    #: sets it around an admin write and its replay, so a ``/reset`` builds a new clock and exchange
    #: at the instant recorded in the log (mockserver.control.persist).
    wall_pin_ms: ClassVar[int | None] = None

    def __init__(self, *, offset_ms: int = 0, frozen_at_ms: int | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_ms = offset_ms
        self._frozen_at_ms = frozen_at_ms

    def now_ms(self) -> int:
        """The server's current time in ms."""
        frozen = self._frozen_at_ms
        if frozen is not None:
            return frozen
        wall = Clock.wall_pin_ms
        return (time.time_ns() // 1_000_000 if wall is None else wall) + self._offset_ms

    @property
    def frozen(self) -> bool:
        return self._frozen_at_ms is not None

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def freeze(self, at_ms: int | None = None) -> int:
        """Stop the clock at ``at_ms`` (default: now). Returns the frozen time."""
        with self._lock:
            self._frozen_at_ms = self.now_ms() if at_ms is None else at_ms
            return self._frozen_at_ms

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant (keeps continuity via the offset)."""
        with self._lock:
            if self._frozen_at_ms is not None:
                self._offset_ms = self._frozen_at_ms - time.time_ns() // 1_000_000
                self._frozen_at_ms = None

    def advance(self, ms: int) -> int:
        """Move time forward (or backward, if negative) by ``ms``. Returns the new now."""
        with self._lock:
            if self._frozen_at_ms is not None:
                self._frozen_at_ms += ms
            else:
                self._offset_ms += ms
            return self.now_ms()

    def set_offset(self, ms: int) -> None:
        """Run at real time plus ``ms`` (unfreezes)."""
        with self._lock:
            self._frozen_at_ms = None
            self._offset_ms = ms

    @contextlib.contextmanager
    def pinned(self, now_ms: int) -> Iterator[None]:
        """Every reading inside is ``now_ms``; afterwards the clock is as it was (frozen or running).

        A state directory handles each request and replays each record with its clock pinned.
        """
        saved = self._frozen_at_ms
        self._frozen_at_ms = now_ms
        try:
            yield
        finally:
            self._frozen_at_ms = saved

    def export_state(self) -> list[int | None]:
        """``[offset_ms, frozen_at_ms]``: what :meth:`load_state` takes back."""
        return [self._offset_ms, self._frozen_at_ms]

    def load_state(self, state: list[int | None]) -> None:
        offset, frozen = state
        with self._lock:
            self._offset_ms = int(offset or 0)
            self._frozen_at_ms = None if frozen is None else int(frozen)


_date_cache: tuple[int, bytes] = (-1, b"")


def http_date(ms: int) -> bytes:
    """The RFC 9110 ``Date`` header value for ``ms`` (cached per second: it is sent on every reply)."""
    global _date_cache
    second = ms // 1000
    cached = _date_cache
    if cached[0] == second:
        return cached[1]
    value = formatdate(second, usegmt=True).encode("ascii")
    _date_cache = (second, value)
    return value
