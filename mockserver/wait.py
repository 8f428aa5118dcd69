"""``bitunix-mock wait [URL] [--timeout S]``: block until a mock answers ``/_mock/health``.

Exit 0 once ``GET URL/_mock/health`` answers 200 with ``{"status": "ok"}``; exit 1 with a
message when ``--timeout`` seconds pass first. Standard library only (a slim container has
no curl), so it also serves as the image's HEALTHCHECK. Without URL it checks the local
server: ``$BITUNIX_MOCK_URL``, else ``http://127.0.0.1:$BITUNIX_MOCK_PORT`` (8080).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

__all__ = ["default_url", "health_url", "main", "probe", "wait"]

HEALTH_PATH = "/_mock/health"
#: No proxy from the environment: the mock is local (or a CI service), an HTTP proxy would only get in the way.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def default_url(environ: Mapping[str, str]) -> str:
    url = environ.get("BITUNIX_MOCK_URL", "").strip()
    if url:
        return url
    port = environ.get("BITUNIX_MOCK_PORT", "").strip() or "8080"
    return f"http://127.0.0.1:{port}"


def health_url(url: str) -> str:
    """``URL/_mock/health`` (``URL`` may be the server's base URL or already the health URL)."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/")
    return url if url.endswith(HEALTH_PATH) else url + HEALTH_PATH


def probe(url: str, timeout: float) -> str | None:
    """``None`` when ``url`` answers healthy, else what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read(4096)
            status = resp.status
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(exc).__name__
    if status != 200:
        return f"HTTP {status}"
    try:
        doc = json.loads(body)
    except ValueError:
        return "the answer is not JSON: is this a bitunix-mock?"
    if not isinstance(doc, dict) or doc.get("status") != "ok":
        return f"unexpected answer {body[:200]!r}"
    return None


def wait(url: str, timeout: float, interval: float = 0.1) -> str | None:
    """Poll ``url`` until healthy (``None``) or ``timeout`` seconds have passed (the last problem)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        problem = probe(url, max(0.05, min(2.0, left)))
        if problem is None:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            return problem
        time.sleep(min(interval, left))


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def build_parser(prog: str = "bitunix-mock wait") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Wait until a bitunix-mock server answers /_mock/health: exit 0 when ready, 1 on timeout.",
    )
    p.add_argument(
        "url",
        nargs="?",
        default=None,
        help="the server's base URL (default: $BITUNIX_MOCK_URL, else http://127.0.0.1:$BITUNIX_MOCK_PORT or :8080)",
    )
    p.add_argument("--timeout", type=_positive, default=30.0, help="give up after this many seconds (default 30)")
    p.add_argument("--interval", type=_positive, default=0.1, help="seconds between polls (default 0.1)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing when ready")
    return p


def main(
    argv: list[str] | None = None, *, prog: str = "bitunix-mock wait", environ: Mapping[str, str] | None = None
) -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    env = os.environ if environ is None else environ
    url = health_url(args.url if args.url is not None else default_url(env))
    if not url.startswith(("http://", "https://")):
        print(f"{prog}: only http:// and https:// URLs, not {url!r}", file=sys.stderr)
        return 2
    problem = wait(url, args.timeout, args.interval)
    if problem is not None:
        print(f"{prog}: {url} not ready after {args.timeout:g} s: {problem}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{prog}: {url} is ready", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python -m mockserver.wait"))
