"""Each sync client is generated from its async source (unasync + ruff format) and must not drift.

The pairs: client_ref/aio.py -> client_ref/sync.py and client_ref/futures/aio.py -> client_ref/futures/sync.py.
"""

from __future__ import annotations

import difflib

import pytest

from client_ref import _generate


def test_the_generator_knows_both_products() -> None:
    names = [(p.name(p.source), p.name(p.target)) for p in _generate.PAIRS]
    assert names == [
        ("client_ref/aio.py", "client_ref/sync.py"),
        ("client_ref/futures/aio.py", "client_ref/futures/sync.py"),
    ]


@pytest.mark.slow  # runs the generator and ruff as processes
@pytest.mark.parametrize("pair", _generate.PAIRS, ids=lambda p: p.name(p.target))
def test_sync_client_is_generated_from_the_async_one(pair: _generate.Pair) -> None:
    expected = _generate.generate(pair=pair)
    committed = pair.target.read_text(encoding="utf-8")
    target, source = pair.name(pair.target), pair.name(pair.source)
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            f"{target} (committed)",
            f"{target} (generated from {source})",
        )
    )
    assert committed.encode() == expected.encode(), (
        f"{target} is generated from {source} and must not be edited by hand.\n"
        f"Edit {source}, then run `{_generate.COMMAND}` and commit both files.\n{diff}"
    )


@pytest.mark.parametrize("pair", _generate.PAIRS, ids=lambda p: p.name(p.target))
def test_generated_file_says_so(pair: _generate.Pair) -> None:
    committed = pair.target.read_text(encoding="utf-8")
    assert committed.startswith("# GENERATED FILE, DO NOT EDIT")
    first = committed.splitlines()[0]
    assert _generate.COMMAND in first and f"written from {pair.name(pair.source)} " in first


@pytest.mark.slow  # runs ruff as a process
def test_the_table_turns_async_spellings_into_sync_ones() -> None:
    source = (
        "import httpx\n\n\n"
        "class AsyncClient:\n"
        "    async def __aenter__(self) -> AsyncClient:\n"
        "        self._http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport())\n"
        "        await async_pause(async_sleep, 1)\n"
        "        return self\n\n"
        "    async def aclose(self) -> None:\n"
        "        async with self._http:\n"
        "            await self._http.aclose()\n"
    )
    out = _generate.generate(source)
    body = out.split("\n", 2)[2]  # past the two header lines
    assert body == (
        "import httpx\n\n\n"
        "class Client:\n"
        "    def __enter__(self) -> Client:\n"
        "        self._http = httpx.Client(transport=httpx.HTTPTransport())\n"
        "        sync_pause(sync_sleep, 1)\n"
        "        return self\n\n"
        "    def close(self) -> None:\n"
        "        with self._http:\n"
        "            self._http.close()\n"
    )
