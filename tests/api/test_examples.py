"""The recorded example payloads in fixtures/examples are exactly what the mock answers today."""

from __future__ import annotations

import functools
import importlib.util
import json
import tempfile
from pathlib import Path

import pytest

from mockserver import ENDPOINTS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
STORED = sorted((FIXTURES / "examples").glob("*.json"))


@functools.cache
def _recorded_again() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("fixture_examples", FIXTURES / "examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        module.write(Path(tmp))
        return {p.name: p.read_text("utf-8") for p in Path(tmp).glob("*.json")}


def test_every_endpoint_has_a_recorded_example() -> None:
    assert {p.stem for p in STORED} == {e.operation for e in ENDPOINTS}


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_recording_again_gives_the_same_bytes(path: Path) -> None:
    stored = path.read_text("utf-8")
    assert _recorded_again()[path.name] == stored, "wire format changed; if intended: python fixtures/examples.py"
    assert json.loads(stored)["response"]["status"] == 200
