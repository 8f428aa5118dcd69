"""A peer a user would pick for a stateful mock, measured against the mock in the same run.

Prism (``@stoplight/prism-cli mock``) serving the mock's own OpenAPI document: it validates each
request against the document and answers the documented example - no state, no signature check.
It is installed from npm into a cache directory outside the repository (the one
``tests/api/test_openapi.py`` uses); when node, npm or the package cannot be had, the figure is
skipped and the reason printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["PRISM_VERSION", "prism_command", "serve_prism", "unavailable"]

PRISM_VERSION = "5.14.2"


def prism_command() -> list[str]:
    """Prism from npm, installed once into a cache directory outside the repository."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bitunix-mock-tests" / "prism"
    binary = cache / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--loglevel=error",
             f"@stoplight/prism-cli@{PRISM_VERSION}"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return [str(binary)]


@contextmanager
def serve_prism(document: dict[str, Any], pin: list[str]) -> Iterator[tuple[str, int]]:
    """Prism's mock server for ``document`` on 127.0.0.1, port 0: its URL and pid."""
    with tempfile.TemporaryDirectory(prefix="bench-prism-") as tmp:
        spec, log = Path(tmp) / "openapi.json", Path(tmp) / "prism.log"
        spec.write_text(json.dumps(document), "utf-8")
        with log.open("w") as out:
            cmd = [*pin, *prism_command(), "mock", str(spec), "-h", "127.0.0.1", "-p", "0"]
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not (found := re.search(r"listening on (http://127\.0\.0\.1:[0-9]+)", log.read_text())):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"prism did not start: {log.read_text()[-500:]}")
                time.sleep(0.1)
            yield found.group(1), proc.pid
        finally:
            proc.terminate()
            proc.wait(10)


def unavailable() -> str | None:
    """Why Prism cannot run here (no node or npm, or the install failed), or ``None``: it is installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Prism needs node and npm, and this machine has no node or no npm on PATH"
    try:
        prism_command()
    except (subprocess.SubprocessError, OSError) as exc:
        return f"Prism {PRISM_VERSION} could not be installed from npm: {exc}"
    return None
