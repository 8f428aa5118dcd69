"""The few things the async and sync clients do differently, each in both colours.

``client_ref/sync.py`` is generated from ``client_ref/aio.py`` by unasync (``python -m
client_ref._generate``), which renames tokens: every async name here has a sync twin that
the rename table in :mod:`client_ref._generate` maps it to (``AsyncSleep`` -> ``Sleep``,
``async_sleep`` -> ``sync_sleep``, ``async_pause`` -> ``sync_pause``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeAlias

__all__ = ["AsyncSleep", "Sleep", "async_pause", "async_sleep", "sync_pause", "sync_sleep"]

#: ``AsyncClient(sleep=...)``: a coroutine function, or a plain function (its result is awaited if a coroutine).
AsyncSleep: TypeAlias = Callable[[float], Any]
#: ``Client(sleep=...)``: a plain function.
Sleep: TypeAlias = Callable[[float], None]


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def sync_sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_pause(sleep: AsyncSleep, seconds: float) -> None:
    """Wait ``seconds`` with an injected sleep, awaiting what it returned if that is a coroutine."""
    pause = sleep(seconds)
    if asyncio.iscoroutine(pause):
        await pause


def sync_pause(sleep: Sleep, seconds: float) -> None:
    """Wait ``seconds`` with an injected sleep."""
    sleep(seconds)
