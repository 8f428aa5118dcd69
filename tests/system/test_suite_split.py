"""The default run is the fast set, and it stays fast: what keeps the split honest."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_an_unmarked_test_cannot_start_a_process(request: pytest.FixtureRequest) -> None:
    with pytest.raises(RuntimeError) as refused:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert str(refused.value) == (
        f"{request.node.nodeid} starts a process ({sys.executable} -c pass) but is not marked slow: "
        "add @pytest.mark.slow (tests/README.md says which marker goes where)"
    )


@pytest.mark.slow
def test_a_slow_test_can() -> None:
    assert subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout == "42\n"


def test_the_default_run_and_ci_select_complementary_sets() -> None:
    """addopts leaves out exactly what .ci/run runs in its second stage, after the README's command."""
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow and not install'" in pytest_ini["addopts"]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    readme_command = ".venv/bin/pytest -n auto || rc=$?"
    slow_command = '.venv/bin/pytest -n auto -m "slow or install" || rc=$?'
    assert readme_command in ci and slow_command in ci
    assert ci.index(readme_command) < ci.index(slow_command)
    assert "HYPOTHESIS_PROFILE=ci" in ci
