"""The GitHub Actions recipes of docs/ci.md, read from that page and run here (they used to test nothing).

Both recipes passed green while the mock received zero requests: nothing set ``BITUNIX_MOCK_URL``,
so the tests ran in-process, and the service variant installed nothing. Here each recipe's steps
run as written, in a fresh venv: the background-server recipe for real, the service recipe with
the service's command (the Dockerfile's entrypoint, the image's environment, the service's env and
health check) run outside a container. The ``uses:`` steps are what the test stands in for: the
checkout is a workspace holding a small bot test suite, setup-python is this Python. The only
rewrites are the ones a container or a real GitHub would do: the port 8080 becomes a free loopback
port, the service binds 127.0.0.1 instead of 0.0.0.0, and the mock's git URL is this checkout.
The server's request log must then show every test's requests, each in its test's tenant.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .test_container_entry import _free_port, entry_command, image_env

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "docs" / "ci.md").read_text("utf-8")  # the page holding the recipes
SOURCES = ("pyproject.toml", "README.md", "mockserver", "client_ref", "conformance", "pytest_bitunix", "fixtures")
MOCK_GIT_URL = "git+https://github.com/<owner>/bitunix-spot-mock"
README_PORT = "8080"

pytestmark = [pytest.mark.install, pytest.mark.slow]

BOT_TESTS = """
import httpx
import pytest


def test_runs_against_the_server(bitunix_mock):
    assert bitunix_mock.external  # the recipe pointed the plugin at the server


@pytest.mark.bitunix(balances={"USDT": "1000"})
def test_places_an_order(bitunix_client, bitunix_mock):
    assert bitunix_client.place_order("BTCUSDT", 2, 1, "0.001", "30000", None)["accepted"]
    assert [e["operation"] for e in bitunix_mock.requests()] == ["place_order"]


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
def test_reads_a_price(bitunix_mock, symbol):
    reply = httpx.get(bitunix_mock.url + "/api/spot/v1/market/last_price", params={"symbol": symbol})
    assert reply.json()["code"] == "0"
    assert [e["query"] for e in bitunix_mock.requests()] == [f"symbol={symbol}"]
"""
#: The operations of each test's exchange requests, one tenant per test (the first test sends none).
EXPECTED = sorted([["place_order"], ["last_price"], ["last_price"], ["last_price"]])


def recipe(name: str) -> dict[str, Any]:
    """The README's ``<!-- ci-recipe: name -->`` block, parsed."""
    found = re.search(rf"<!-- ci-recipe: {name} -->\n```yaml\n(.*?)\n```", README, re.S)
    assert found, f"README: no ci-recipe {name!r}"
    doc: dict[str, Any] = yaml.safe_load(found.group(1))
    return doc


def job(name: str) -> dict[str, Any]:
    jobs = recipe(name)["jobs"]
    assert list(jobs) == ["test"]
    test: dict[str, Any] = jobs["test"]
    return test


def _moved(value: str, port: int) -> str:
    """A README value naming port 8080 (a URL or the port itself), moved to ``port``."""
    assert README_PORT in value, value
    return value.replace(README_PORT, str(port))


def _base_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR") or k.startswith("PIP_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = "2"  # -n auto as written, two workers on this machine
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh venv on which the recipes' own pip step has run (both recipes install the same way)."""
    lines = {name: [s["run"] for s in job(name)["steps"] if "pip install" in s.get("run", "")] for name in RECIPES}
    assert lines["background"] == lines["service"] and len(lines["service"]) == 1, lines
    (line,) = lines["service"]
    assert f'"bitunix-spot-mock @ {MOCK_GIT_URL}"' in line and " pytest " in line + " " and "pytest-xdist" in line
    base = tmp_path_factory.mktemp("ci")
    src = base / "bitunix-spot-mock"
    src.mkdir()
    for name in SOURCES:  # what the git URL would fetch: this checkout
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    pip = subprocess.run(
        ["bash", "-e", "-c", line.replace(MOCK_GIT_URL, src.as_uri())],
        cwd=base,
        env=_base_env(bin_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    yield {"bin": bin_dir, "line": line}


RECIPES = ("background", "service")


def workspace(tmp_path: Path) -> Path:
    """What ``actions/checkout`` gives the job: the bot's repository with its tests."""
    ws = tmp_path / "workspace"
    (ws / "tests").mkdir(parents=True)
    (ws / "tests" / "test_bot.py").write_text(BOT_TESTS, "utf-8")
    return ws


def run_steps(steps: list[dict[str, Any]], ws: Path, env: dict[str, str], installed: dict[str, Any]) -> list[int]:
    """The job's steps in order: ``uses:`` stood in for, the pip step already run, every ``run:`` for real.

    Returns the process groups of the steps (a step may leave a server running in the background).
    """
    groups = []
    for step in steps:
        if "uses" in step:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python"), step
            if step["uses"].startswith("actions/setup-python"):
                assert step["with"]["python-version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
            continue
        if step["run"] == installed["line"]:
            continue  # the module fixture ran it, into this venv
        step_env = {**env, **{k: str(v) for k, v in step.get("env", {}).items()}}
        proc = subprocess.Popen(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=ws,
            env=step_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a background server in it is stopped by the test
        )
        groups.append(proc.pid)
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"step {step.get('name', step['run'])!r} failed:\n{out}"
    return groups


def _stop(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)


def per_tenant(requests: list[tuple[str | None, str]]) -> list[list[str]]:
    """(tenant, operation) log records -> each tenant's operations; every request must name a tenant."""
    assert requests, "the server logged no request at all"
    assert all(tenant for tenant, _ in requests), f"a request reached the root exchange: {requests}"
    grouped: dict[str, list[str]] = {}
    for tenant, operation in requests:
        assert tenant is not None
        grouped.setdefault(tenant, []).append(operation)
    return sorted(grouped.values())


def test_the_background_server_recipe(tmp_path: Path, installed: dict[str, Any]) -> None:
    spec = job("background")
    port = _free_port()
    assert spec["env"] == {"BITUNIX_MOCK_PORT": README_PORT, "BITUNIX_MOCK_URL": f"http://127.0.0.1:{README_PORT}"}
    env = {**_base_env(installed["bin"]), **{k: _moved(str(v), port) for k, v in spec["env"].items()}}
    ws = workspace(tmp_path)
    groups: list[int] = []
    try:
        groups = run_steps(spec["steps"], ws, env, installed)
    finally:
        for pgid in groups:
            _stop(pgid)
    assert any(s.get("if") == "always()" and "mock.log" in s["run"] for s in spec["steps"])
    records = []
    for line in (ws / "mock.log").read_text("utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the start-up banner
        records.append((record.get("tenant"), record["operation"]))
    assert per_tenant(records) == EXPECTED, records


def test_the_service_recipe_outside_a_container(tmp_path: Path, installed: dict[str, Any]) -> None:
    spec = job("service")
    service = spec["services"]["mock"]
    port = _free_port()
    assert service["ports"] == [f"{README_PORT}:{README_PORT}"] and image_env()["BITUNIX_MOCK_PORT"] == README_PORT
    assert spec["env"]["BITUNIX_MOCK_URL"] == f"http://localhost:{README_PORT}"
    assert spec["env"]["BITUNIX_MOCK_ADMIN_TOKEN"] == service["env"]["BITUNIX_MOCK_ADMIN_TOKEN"]
    base = _base_env(installed["bin"])
    server_env = {
        **base,
        **image_env(),
        **{k: str(v) for k, v in service["env"].items()},
        "BITUNIX_MOCK_PORT": str(port),  # -p 8080:8080, as a free port here
        "BITUNIX_MOCK_HOST": "127.0.0.1",  # inside the container 0.0.0.0; here, loopback only
    }
    options = shlex.split(service["options"])
    health = shlex.split(options[options.index("--health-cmd") + 1])
    retries = int(options[options.index("--health-retries") + 1])
    interval = float(options[options.index("--health-interval") + 1].rstrip("s"))
    log = tmp_path / "service.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            entry_command(), env=server_env, cwd="/", stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        for _ in range(retries):  # the runner starts the steps once the service is healthy
            if subprocess.run(health, env=server_env, capture_output=True, timeout=30).returncode == 0:
                break
            time.sleep(interval)
        else:
            pytest.fail("the service never became healthy:\n" + log.read_text("utf-8"))
        env = {
            **base,
            **{k: (_moved(str(v), port) if k == "BITUNIX_MOCK_URL" else str(v)) for k, v in spec["env"].items()},
        }
        run_steps(spec["steps"], workspace(tmp_path), env, installed)
    finally:
        _stop(server.pid)
    # The image logs each request as text: "<time> t/<tenant> GET  last_price ..." (mockserver.reqlog).
    lines = log.read_text("utf-8").splitlines()
    records = []
    for line in lines:
        found = re.match(r"^\d\d:\d\d:\d\d\.\d{3} (?:t/([0-9a-f]{12}) )?(GET|POST) +(\w+) ", line)
        if found:
            records.append((found.group(1), found.group(3)))
    assert per_tenant(records) == EXPECTED, "\n".join(lines)
