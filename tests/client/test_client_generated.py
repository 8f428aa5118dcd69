"""client_ref/sync.py is generated from client_ref/aio.py (unasync + ruff format) and must not drift."""

from __future__ import annotations

import difflib

import pytest

from client_ref import _generate


@pytest.mark.slow  # runs the generator and ruff as processes
def test_sync_client_is_generated_from_the_async_one() -> None:
    expected = _generate.generate()
    committed = _generate.TARGET.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "client_ref/sync.py (committed)",
            "client_ref/sync.py (generated from client_ref/aio.py)",
        )
    )
    assert committed.encode() == expected.encode(), (
        f"client_ref/sync.py is generated from client_ref/aio.py and must not be edited by hand.\n"
        f"Edit client_ref/aio.py, then run `{_generate.COMMAND}` and commit both files.\n{diff}"
    )


def test_generated_file_says_so() -> None:
    committed = _generate.TARGET.read_text(encoding="utf-8")
    assert committed.startswith("# GENERATED FILE, DO NOT EDIT")
    assert _generate.COMMAND in committed.splitlines()[0]


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
