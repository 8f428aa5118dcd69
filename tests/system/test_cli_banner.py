"""The start-up banner, --version and how the server stops.

The banner goes where logs are collected (a container's stdout, ``nohup ... > mock.log``):
the demo secret and the admin token are printed only on a terminal or with
``--show-secrets``; otherwise the banner says where to read them (the admin API behind the
token, the ``--ready-file``, mode 0600). A wildcard bind prints a URL one can open.
Stops are judged by their mechanism (the grace uvicorn is given, idle keep-alive connections
closed at once), never by a wall-clock bound.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, create_app
from mockserver.cli import GRACEFUL_SHUTDOWN_S, STOP_BUDGET_S, banner_url, main, uvicorn_config
from mockserver.version import __version__

from ..serverproc import ROOT

TOKEN = "banner-token-0123456789"


def _spawn(*args: str, stdout: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("BITUNIX_MOCK_")}
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--no-liquidity", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise
    out = proc.stdout.read() if proc.stdout is not None else ""
    err = proc.stderr.read() if proc.stderr is not None else ""
    return out, err


def _first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        _, err = _stop(proc)
        raise AssertionError("server exited: " + err)
    return line


# ---------------------------------------------------------------- fast: parser, URL, refusals


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"], environ={}) == 0
    assert capsys.readouterr().out == f"bitunix-mock {__version__}\n"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("[::]", "http://[::1]:8080"),
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("::1", "http://[::1]:8080"),
        ("localhost", "http://localhost:8080"),
        ("10.1.2.3", "http://10.1.2.3:8080"),
    ],
)
def test_the_banner_url_is_one_to_open(host: str, url: str) -> None:
    assert banner_url(host, 8080) == url


def test_a_generated_token_nobody_would_see_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # capsys: stdout is not a terminal, as in a container or behind nohup.
    assert main(["--host", "0.0.0.0", "--port", "0"], environ={}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "bitunix-mock: serving 0.0.0.0 needs an admin token, and a generated one would be seen by no one: "
        "stdout is not a terminal, so the banner does not print secrets (logs are collected). Set "
        "BITUNIX_MOCK_ADMIN_TOKEN=<token> (or --admin-token <token>), pass --ready-file PATH (the generated token "
        "is written there, mode 0600), or --show-secrets to print it anyway.\n"
    )


def test_the_server_gives_in_flight_requests_a_grace_that_keeps_a_stop_within_half_a_second() -> None:
    cfg = uvicorn_config(create_app(Config(liquidity=False)), "warning", False, ())
    # uvicorn: up to one 0.1 s tick to see the signal, 0.1 s after closing idle connections, then the grace.
    assert cfg.timeout_graceful_shutdown == GRACEFUL_SHUTDOWN_S
    assert 0.1 + 0.1 + cfg.timeout_graceful_shutdown == STOP_BUDGET_S <= 0.5


# ---------------------------------------------------------------- real processes


@pytest.mark.slow
def test_a_banner_on_a_pipe_holds_no_secret_and_says_where_to_read_them(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    proc = _spawn("--host", "0.0.0.0", "--admin-token", TOKEN, "--ready-file", str(ready))
    try:
        first = _first_line(proc)
        port = int(first.split("http://127.0.0.1:", 1)[1].split()[0])
        url = f"http://127.0.0.1:{port}"
        assert (
            first == f"Bitunix mock (spot and futures) listening on {url} (bound to 0.0.0.0:{port}: every interface)\n"
        )
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(200):
                if ready.exists():
                    break
                time.sleep(0.05)
            # The documented ways: the admin API behind the token, and the ready file (this user only).
            assert http.get(f"/_mock/accounts/{DEMO_API_KEY}").status_code == 401
            got = http.get(f"/_mock/accounts/{DEMO_API_KEY}", headers={"x-mock-admin-token": TOKEN})
            assert got.json()["secret"] == DEMO_SECRET
        assert stat.S_IMODE(ready.stat().st_mode) == 0o600
        written = json.loads(ready.read_text())
        assert (written["secret"], written["admin_token"], written["url"]) == (DEMO_SECRET, TOKEN, url)
    finally:
        out, err = _stop(proc)
    text = first + out
    assert TOKEN not in text + err and DEMO_SECRET not in text + err, text
    assert text.splitlines()[1:] == [
        "  profile  live",
        f"  admin    {url}/_mock",
        f"  api-key  {DEMO_API_KEY}",
        f"  secret   not printed (stdout is not a terminal): GET {url}/_mock/accounts/{DEMO_API_KEY} with the "
        f"admin token answers it; also in {ready} (mode 0600)",
        "  admin token  required; not printed: the one set by --admin-token",
    ]


@pytest.mark.slow
def test_the_json_banner_on_a_pipe_withholds_secrets_unless_asked() -> None:
    proc = _spawn("--json", "--admin-token", TOKEN)
    try:
        withheld = json.loads(_first_line(proc))
    finally:
        _stop(proc)
    url = f"http://127.0.0.1:{withheld['port']}"
    assert withheld == {
        "url": url,
        "port": withheld["port"],
        "api_key": DEMO_API_KEY,
        "profile": "live",
        "admin": url + "/_mock",
        "admin_token_required": True,
        "resumed": None,  # no state directory: nothing resumed
        "withheld": ["secret", "admin_token"],
    }
    proc = _spawn("--json", "--admin-token", TOKEN, "--show-secrets")
    try:
        shown = json.loads(_first_line(proc))
    finally:
        _stop(proc)
    assert (shown["secret"], shown["admin_token"], "withheld" in shown) == (DEMO_SECRET, TOKEN, False)


@pytest.mark.slow
def test_a_banner_on_a_terminal_shows_the_secret_and_token() -> None:
    leader, follower = pty.openpty()
    proc = _spawn("--admin-token", TOKEN, stdout=follower)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"admin token" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    seen += os.read(leader, 4096)
                except OSError:  # the terminal closed: the server exited
                    break
    finally:
        _stop(proc)
        os.close(leader)
    text = seen.decode().replace("\r\n", "\n")
    assert f"  secret   {DEMO_SECRET}\n" in text and f"  admin token  {TOKEN}" in text, text


@pytest.mark.slow
def test_sigterm_closes_an_idle_keep_alive_connection_and_exits_cleanly() -> None:
    proc = _spawn("--json", "--show-secrets")
    try:
        port = json.loads(_first_line(proc))["port"]
        with socket.create_connection(("127.0.0.1", port), timeout=20) as idle:
            idle.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                answer += idle.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200") and b"connection: close" not in answer.lower()
            proc.send_signal(signal.SIGTERM)
            # The server closes the idle connection itself (EOF here), it does not wait for the client.
            assert idle.recv(4096) == b""
            assert proc.wait(timeout=30) == 0
    finally:
        _, err = _stop(proc)
    assert err == "", err
