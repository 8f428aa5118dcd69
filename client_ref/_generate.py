"""Generate each sync client from its async source with unasync, then ``ruff format`` it.

    python -m client_ref._generate          # rewrite every generated file (PAIRS)
    python -m client_ref._generate --check  # exit 1 if any generated file is not what it would write

The pairs: ``client_ref/aio.py`` -> ``client_ref/sync.py`` (spot, and the transport every product
shares) and ``client_ref/futures/aio.py`` -> ``client_ref/futures/sync.py``. A development tool: it
needs the ``[test]`` extra (unasync, ruff); the installed client never imports it.
``tests/client/test_client_generated.py`` fails when a committed file drifts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
COMMAND = "python -m client_ref._generate"


@dataclass(frozen=True)
class Pair:
    """A hand-written async source and the sync file generated from it."""

    source: Path
    target: Path

    def name(self, path: Path) -> str:
        return path.relative_to(PACKAGE.parent).as_posix()


SPOT = Pair(PACKAGE / "aio.py", PACKAGE / "sync.py")
FUTURES = Pair(PACKAGE / "futures" / "aio.py", PACKAGE / "futures" / "sync.py")
PAIRS = (SPOT, FUTURES)
# The spot pair under its old names.
SOURCE = SPOT.source
TARGET = SPOT.target

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


def header(pair: Pair) -> str:
    src = pair.name(pair.source)
    return (
        f"# GENERATED FILE, DO NOT EDIT: written from {src} by `{COMMAND}` (unasync).\n"
        f"# Edit {src} and run that command; tests/client/test_client_generated.py fails on drift.\n"
    )


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


def _ruff_format(source: str, target: Path) -> str:
    """``source`` as ``ruff format`` leaves it under this project's settings."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(target), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ruff format failed on the generated client:\n{proc.stderr}")
    return proc.stdout


def generate(source: str | None = None, pair: Pair = SPOT) -> str:
    """The text ``pair.target`` must have, from ``source`` (default: the current ``pair.source``)."""
    if source is None:
        source = pair.source.read_text(encoding="utf-8")
    return _ruff_format(header(pair) + _unasync(source), pair.target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report whether the generated files are up to date")
    args = parser.parse_args(argv)
    stale = 0
    for pair in PAIRS:
        expected = generate(pair=pair)
        current = pair.target.read_text(encoding="utf-8") if pair.target.exists() else ""
        if current == expected:
            print(f"{pair.target} {'is' if args.check else 'already'} up to date")
        elif args.check:
            print(f"{pair.target} is out of date with {pair.name(pair.source)}: run `{COMMAND}`", file=sys.stderr)
            stale += 1
        else:
            pair.target.write_text(expected, encoding="utf-8")
            print(f"wrote {pair.target}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
