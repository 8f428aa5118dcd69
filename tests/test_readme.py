"""The README's generated tables and commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

from mockserver.docs import sync_readme

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_generated_tables_match_the_code() -> None:
    assert sync_readme(README) == README, "run: python -m mockserver.docs --write README.md"


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^    (python3 -m venv .*)$", README, re.M)
    assert len(commands) == 2, commands
    serve, test = commands
    assert serve.endswith("python -m mockserver")
    assert test in (ROOT / ".ci" / "run").read_text("utf-8")
