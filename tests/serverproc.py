"""Start ``python -m mockserver`` as a subprocess on a free port and read its JSON banner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server_process(*args: str, timeout: float = 20.0) -> Iterator[dict[str, Any]]:
    """Yield the banner (url, port, api_key, secret, ...); the process is always killed on exit.

    ``--show-secrets``: the banner reaches this process over a private pipe, so it may hold them.
    """
    with server_process_handle(*args, timeout=timeout) as (banner, _proc):
        yield banner


@contextmanager
def server_process_handle(*args: str, timeout: float = 20.0) -> Iterator[tuple[dict[str, Any], subprocess.Popen[str]]]:
    """As :func:`server_process`, with the process too (for tests that signal it themselves)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--json", "--show-secrets", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server exited: " + (proc.stderr.read() if proc.stderr else ""))
        banner = json.loads(line)
        banner["pid"] = proc.pid
        yield banner, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
