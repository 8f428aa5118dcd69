"""What the container image runs, run here: no Docker engine is needed (nor available in CI).

The Dockerfile's ENV, ENTRYPOINT, CMD and HEALTHCHECK are parsed and those exact commands
run against a real server process with the environment the image sets (the port moved to a
free one, as ``-e BITUNIX_MOCK_PORT=...`` would). compose.yaml is checked against it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver import DEMO_API_KEY, DEMO_SECRET
from mockserver.cli import build_parser, env_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text("utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
TOKEN = "ci-token-0123456789"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    logical = ""
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        keyword, _, rest = logical.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        logical = ""
    return out


INSTRUCTIONS = instructions(DOCKERFILE)


def _one(keyword: str) -> str:
    found = [rest for kw, rest in INSTRUCTIONS if kw == keyword]
    assert found, f"the Dockerfile has no {keyword}"
    return found[-1]  # Docker uses the last one


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in INSTRUCTIONS:
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, sep, value = pair.partition("=")
                assert sep, f"ENV {pair!r}: use the NAME=value form"
                env[name] = value
    return env


def exec_form(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), text
    return value


def healthcheck() -> tuple[dict[str, str], list[str]]:
    rest = _one("HEALTHCHECK")
    options, _, command = rest.partition("CMD ")
    opts = dict(o.lstrip("-").split("=", 1) for o in options.split())
    return opts, exec_form(command)


def entry_command() -> list[str]:
    cmd = [rest for kw, rest in INSTRUCTIONS if kw == "CMD"]
    return exec_form(_one("ENTRYPOINT")) + (exec_form(cmd[-1]) if cmd else [])


def local(command: list[str]) -> list[str]:
    """The image's command with its programs found here: the console script and this Python."""
    program, *args = command
    if program == "python":
        return [sys.executable, *args]
    found = shutil.which(program, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{program} is not installed here: pip install -e . provides it")
    return [found, *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_env(**extra: str) -> dict[str, str]:
    """A clean environment (no BITUNIX_MOCK_* of the caller's) with the image's ENV on top."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    return {**base, "PYTHONPATH": str(ROOT), **image_env(), **extra}


# ---------------------------------------------------------------- the image definition


def test_the_image_is_slim_python_311_non_root_and_installs_without_extras() -> None:
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", _one("FROM")), _one("FROM")
    user = _one("USER")
    assert user not in ("root", "0") and not user.startswith("0:"), user
    runs = " ".join(rest for kw, rest in INSTRUCTIONS if kw == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs) and "[" not in runs.split("pip install", 1)[1].split()[0]
    copied = {part for kw, rest in INSTRUCTIONS if kw == "COPY" for part in rest.split()[:-1]}
    for needed in ("pyproject.toml", "README.md", "mockserver", "client_ref", "conformance"):
        assert needed in copied, f"pip install . needs {needed}"
        assert (ROOT / needed).exists()
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert not ignored & {"pyproject.toml", "README.md", "mockserver", "client_ref", "conformance"}


def declared_packages() -> dict[str, str]:
    """Every top-level package pyproject.toml installs or names: package -> where it is declared."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    setuptools = project["tool"]["setuptools"]
    found: dict[str, str] = {}
    for pattern in setuptools["packages"]["find"]["include"]:
        for init in sorted(ROOT.glob("*/__init__.py")):
            if fnmatch.fnmatchcase(init.parent.name, pattern):
                found.setdefault(init.parent.name, f"packages.find include {pattern!r}")
    for package in setuptools.get("package-data", {}):
        found.setdefault(package.split(".")[0], "package-data")
    groups = {"scripts": project["project"].get("scripts", {}), **project["project"].get("entry-points", {})}
    for group, points in groups.items():
        for name, target in points.items():
            found.setdefault(target.split(":")[0].split(".")[0], f"entry point {group}.{name}")
    return found


def test_the_image_copies_every_package_the_project_declares() -> None:
    """pip install . in the image installs the entry points pyproject.toml declares: a package they name
    but the image lacks breaks them there (the pytest11 plugin made every pytest in the image fail with
    ModuleNotFoundError: No module named 'pytest_bitunix')."""
    copied = {part.rstrip("/") for kw, rest in INSTRUCTIONS if kw == "COPY" for part in rest.split()[:-1]}
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    declared = declared_packages()
    assert {"mockserver", "client_ref", "conformance", "pytest_bitunix"} <= set(declared)
    for package, where in declared.items():
        assert (ROOT / package / "__init__.py").is_file(), f"{package} ({where}) is no package"
        assert package in copied, f"the Dockerfile does not COPY {package} ({where})"
        assert package not in ignored, f".dockerignore drops {package} ({where})"


def test_the_image_serves_beyond_loopback_and_requires_a_token() -> None:
    env = image_env()
    assert env["BITUNIX_MOCK_HOST"] == "0.0.0.0" and env["BITUNIX_MOCK_REQUIRE_ADMIN_TOKEN"] == "1"
    assert "BITUNIX_MOCK_ADMIN_TOKEN" not in env, "a token baked into the image would be public"
    assert _one("EXPOSE") == env["BITUNIX_MOCK_PORT"]
    opts, command = healthcheck()
    assert command[:3] == ["python", "-m", "mockserver.wait"] and "curl" not in DOCKERFILE.split("HEALTHCHECK")[1]
    assert float(command[command.index("--timeout") + 1]) < float(opts["timeout"].rstrip("s"))


def test_every_variable_named_in_the_image_and_compose_exists() -> None:
    known = {env_name(a) for a in build_parser().options} | {"BITUNIX_MOCK_URL"}
    for name, text in (("Dockerfile", DOCKERFILE), ("compose.yaml", (ROOT / "compose.yaml").read_text())):
        named = set(re.findall(r"BITUNIX_MOCK_[A-Z_]+", text))
        assert named and named <= known, f"{name}: unknown {named - known}"


def test_compose_checks_health_as_the_image_does() -> None:
    mock = COMPOSE["services"]["mock"]
    assert mock["healthcheck"]["test"] == ["CMD", *healthcheck()[1]]
    assert "BITUNIX_MOCK_ADMIN_TOKEN" in mock["environment"]
    waiter = COMPOSE["services"]["tests"]
    assert waiter["depends_on"]["mock"]["condition"] == "service_healthy"
    assert waiter["entrypoint"][:2] == ["bitunix-mock", "wait"]


# ---------------------------------------------------------------- the commands it runs


@pytest.mark.slow
def test_without_a_token_the_entrypoint_refuses_to_start() -> None:
    proc = subprocess.run(
        local(entry_command()),
        env=run_env(BITUNIX_MOCK_PORT=str(_free_port())),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert proc.returncode == 2, proc.stderr
    assert "an admin token is required" in proc.stderr and "BITUNIX_MOCK_ADMIN_TOKEN=<token>" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.slow
def test_the_entrypoint_serves_the_healthcheck_passes_and_docker_stop_is_clean() -> None:
    port = _free_port()
    env = run_env(BITUNIX_MOCK_PORT=str(port), BITUNIX_MOCK_ADMIN_TOKEN=TOKEN, BITUNIX_MOCK_NO_LIQUIDITY="1")
    proc = subprocess.Popen(
        local(entry_command()), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/"
    )
    try:
        # The CI step: wait for it (the URL from the same variables), then the image's own health check.
        waited = subprocess.run(
            local(["bitunix-mock", "wait", "--timeout", "30"]), env=env, capture_output=True, text=True, timeout=60
        )
        assert waited.returncode == 0, waited.stderr + (proc.stderr.read() if proc.poll() is not None else "")
        check = subprocess.run(local(healthcheck()[1]), env=env, capture_output=True, text=True, timeout=30)
        assert (check.returncode, check.stdout, check.stderr) == (0, "", "")
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/_mock/status").status_code == 401
            assert http.get("/_mock/status", headers={"x-mock-admin-token": TOKEN}).status_code == 200
            # What the banner says instead of the secret: the admin API answers it, behind the token.
            assert http.get(f"/_mock/accounts/{DEMO_API_KEY}").status_code == 401
            secret = http.get(f"/_mock/accounts/{DEMO_API_KEY}", headers={"x-mock-admin-token": TOKEN}).json()["secret"]
            refused = http.get("/api/spot/v1/market/last_price", params={"symbol": "NOPE"}).json()
            assert refused["code"] == "2"
        proc.send_signal(signal.SIGTERM)  # docker stop
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.stdout is not None and proc.stderr is not None
    banner, stderr = proc.stdout.read(), proc.stderr.read()
    assert code == 0 and "Traceback" not in stderr, stderr
    # The log is collected: the URL to click, never the token nor the demo secret (GET /_mock/accounts gives it).
    assert f"listening on http://127.0.0.1:{port} (bound to 0.0.0.0:{port}: every interface)" in banner, banner
    assert TOKEN not in banner + stderr and DEMO_SECRET not in banner + stderr, banner
    assert "admin token  required; not printed: the one set by BITUNIX_MOCK_ADMIN_TOKEN" in banner, banner
    assert f"GET http://127.0.0.1:{port}/_mock/accounts/{DEMO_API_KEY} with the admin token answers it" in banner
    assert secret == DEMO_SECRET
    assert "ParameterError 2" in stderr and "NOPE" in stderr, "the image logs each request as text"
    started = time.monotonic()
    after = subprocess.run(local(healthcheck()[1]), env=env, capture_output=True, text=True, timeout=30)
    assert after.returncode == 1 and "not ready after 2 s" in after.stderr, (after, time.monotonic() - started)
