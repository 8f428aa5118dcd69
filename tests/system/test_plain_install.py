"""A plain install works: ``pip install`` (non-editable, no extras) plus pytest, in a fresh venv.

It used to break every pytest run in such an environment (exit 3: the auto-loaded plugin imported
hypothesis), the ``conformance`` command crashed, and ``signing.vectors`` could not find its
vectors. The package is built from a copy of the checkout (so the checkout gets no ``build/``)
and installed with pip's cache; about a minute, bounded by the subprocess timeouts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "mockserver", "client_ref", "conformance", "pytest_bitunix", "fixtures")
TEST_EXTRAS = ("xdist", "schemathesis", "respx", "ruff", "mypy", "unasync")
HEAVY = ("mockserver", "conformance", "hypothesis", "starlette", "uvicorn", "pydantic")

pytestmark = [pytest.mark.install, pytest.mark.slow]

USER_TESTS = f"""
import sys

import pytest

# What the plugins imported before any fixture ran (this module is imported at collection).
LOADED = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))


def test_loading_the_plugin_imports_nothing_heavy():
    assert LOADED == []


@pytest.mark.bitunix(balances={{"USDT": "500"}}, seed=3)
def test_fixture_and_admin(bitunix_mock, bitunix_account, bitunix_client):
    assert bitunix_client.balances()["USDT"]["free"] == "500"
    bitunix_mock.admin.set_price("BTCUSDT", "60000")
    placed = bitunix_client.place_order("BTCUSDT", 2, 1, "0.001", "59000", None)
    assert placed["accepted"]
    assert [e["operation"] for e in bitunix_mock.requests()][-1] == "place_order"
    assert bitunix_mock.admin.orders(bitunix_account["api_key"])[0]["price"] == "59000"


def test_package_data():
    from conformance.data import driver_spec, example_driver, signature_vectors

    assert len(signature_vectors()["vectors"]) > 5
    assert "JSON" in driver_spec()
    with example_driver() as path:
        assert "stdin" in path.read_text("utf-8")
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BITUNIX_MOCK_", "PYTHONPATH", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)


def test_plain_install_runs_pytest_and_the_kit(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():  # symlinks followed: the packaged vectors are a link into fixtures/
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    env_dir = tmp_path / "venv"
    try:
        venv.create(env_dir, with_pip=False)  # the suite's own pip installs into it (--python): no ensurepip
    except Exception as exc:  # pragma: no cover - a Python built without venv support
        pytest.skip(f"this Python cannot create a venv: {exc}")
    py = str(env_dir / "bin" / "python")
    pip = _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", str(src), "pytest"], tmp_path, 420)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    extras = _run(
        [py, "-c", f"import importlib.util as u; print([m for m in {TEST_EXTRAS!r} if u.find_spec(m)])"], tmp_path, 60
    )
    assert extras.stdout.strip() == "[]", "the plain install pulled in test extras: " + extras.stdout + extras.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    session = _run([py, "-m", "pytest", "-p", "no:cacheprovider"], empty, 120)
    assert session.returncode == 5, f"an empty session must exit 5 (no tests ran):\n{session.stdout}{session.stderr}"

    user = tmp_path / "user"
    user.mkdir()
    (user / "test_my_bot.py").write_text(USER_TESTS, "utf-8")
    tests = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider"], user, 180)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout, tests.stdout

    kit = _run(
        [str(env_dir / "bin" / "conformance"), "run", "--adapter", "reference",
         "--out", str(tmp_path / "report")],
        tmp_path,
        300,
    )  # fmt: skip
    assert kit.returncode == 0, kit.stdout + kit.stderr
    assert kit.stdout.startswith("PASS"), kit.stdout
    report = json.loads((tmp_path / "report" / "report.json").read_text("utf-8"))
    assert {r["rule"]: r["status"] for r in report["rules"]}["signing.vectors"] == "pass"
