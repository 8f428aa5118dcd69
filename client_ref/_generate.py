"""Generate ``client_ref/sync.py`` from ``client_ref/aio.py`` with unasync, then ``ruff format`` it.

    python -m client_ref._generate          # rewrite client_ref/sync.py
    python -m client_ref._generate --check  # exit 1 if client_ref/sync.py is not what it would write

A development tool: it needs the ``[test]`` extra (unasync, ruff); the installed client never
imports it. ``tests/client/test_client_generated.py`` fails when the committed sync.py drifts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SOURCE = PACKAGE / "aio.py"
TARGET = PACKAGE / "sync.py"
COMMAND = "python -m client_ref._generate"

#: Token renames on top of unasync's own (``async``/``await`` dropped, ``__aenter__`` ->
#: ``__enter__``, ``__aexit__`` -> ``__exit__``, any other ``AsyncXxx`` -> ``SyncXxx``). Whole
#: NAME tokens only, so ``AsyncClient`` covers our class and ``httpx.AsyncClient`` alike.
REPLACEMENTS = {
    "AsyncClient": "Client",
    "AsyncBaseClient": "BaseClient",
    "AsyncFuturesClient": "FuturesClient",
    # client_ref/futures/aio.py builds on client_ref/aio.py; its twin on client_ref/sync.py.
    "aio": "sync",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncHTTPTransport": "HTTPTransport",
    "aclose": "close",
    # client_ref/_backends.py: each async helper and its sync twin.
    "AsyncSleep": "Sleep",
    "async_sleep": "sync_sleep",
    "async_pause": "sync_pause",
}

HEADER = f"""\
# GENERATED FILE, DO NOT EDIT: written from client_ref/aio.py by `{COMMAND}` (unasync).
# Edit client_ref/aio.py and run that command; tests/client/test_client_generated.py fails on drift.
"""


def _unasync(source: str) -> str:
    """``source`` with unasync's rules and :data:`REPLACEMENTS` applied (through its public file API)."""
    try:
        import unasync  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - a plain install has no dev tools
        raise SystemExit(f"{COMMAND} needs unasync: pip install -e '.[test]'") from exc
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "_async" / "aio.py"
        src.parent.mkdir()
        src.write_text(source, encoding="utf-8")
        unasync.unasync_files([str(src)], [unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)])
        return (Path(tmp) / "_sync" / "aio.py").read_text(encoding="utf-8")


def _ruff_format(source: str) -> str:
    """``source`` as ``ruff format`` leaves it under this project's settings."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ruff format failed on the generated client:\n{proc.stderr}")
    return proc.stdout


def generate(source: str | None = None) -> str:
    """The text ``client_ref/sync.py`` must have, from ``source`` (default: the current aio.py)."""
    if source is None:
        source = SOURCE.read_text(encoding="utf-8")
    return _ruff_format(HEADER + _unasync(source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report whether sync.py is up to date")
    args = parser.parse_args(argv)
    expected = generate()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        if current != expected:
            print(f"{TARGET} is out of date with {SOURCE.name}: run `{COMMAND}`", file=sys.stderr)
            return 1
        print(f"{TARGET} is up to date")
        return 0
    if current != expected:
        TARGET.write_text(expected, encoding="utf-8")
        print(f"wrote {TARGET}")
    else:
        print(f"{TARGET} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
