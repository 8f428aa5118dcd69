"""The admin examples of docs/admin.md run as they stand in a shell, against a real server.

A newcomer copies them; each must be accepted (curl -f turns any HTTP error into a failure).
Only the addresses are set: M to the server's admin URL and KEY to its demo api-key.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..serverproc import server_process

ROOT = Path(__file__).resolve().parents[2]
MARKER = "Examples, runnable as they stand in a shell"


def _block() -> str:
    text = (ROOT / "docs" / "admin.md").read_text(encoding="utf-8")
    start = text.index(MARKER)
    found = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert found, "the admin examples block is gone from docs/admin.md"
    return found.group(1)


def test_the_block_sets_its_own_variables() -> None:
    block = _block()
    assert block.startswith("M=http://127.0.0.1:8080/_mock\nKEY=")
    assert "H='x-mock-admin: 1'" in block
    curls = [ln for ln in block.splitlines() if ln.startswith("curl ")]
    admin = [ln for ln in curls if "$M/" in ln]
    assert len(admin) >= 15 and all(ln.startswith('curl -s -H "$H" ') for ln in admin)


@pytest.mark.slow  # starts the server as a process
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_admin_examples_run_as_written(tmp_path: Path) -> None:
    with server_process() as banner:
        lines = _block().splitlines()
        # Point the documented addresses at this server and its demo key; nothing else changes.
        lines = [f"M={banner['admin']}" if ln.startswith("M=") else ln for ln in lines]
        lines = [f"KEY={banner['api_key']}" if ln.startswith("KEY=") else ln for ln in lines]
        # Every admin call must succeed; the exchange request meets the documented 429 fault, as written.
        wrapper = (
            'curl() { case "$*" in *"$M/"*) command curl --fail-with-body "$@";; *) command curl "$@";; esac; echo; }'
        )
        script = "set -e\n" + "\n".join(lines) + "\n"
        script = script.replace("\n\n", "\n" + wrapper + "\n", 1)
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / "saved.json").stat().st_size > 1000 and (tmp_path / "journal.json").stat().st_size > 2
