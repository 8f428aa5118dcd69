"""The import rules of ARCHITECTURE.md, held by import-linter contracts (``[tool.importlinter]``, pyproject.toml).

Every import that runs counts, module level or inside a function; ``if TYPE_CHECKING:`` blocks are
for the type checker only. The contracts are checked on the repository's import graph, and each one
is shown to break on a planted edge it forbids, so none of them holds vacuously.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.cli import lint_imports
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
TYPES: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}


@functools.cache
def _options() -> Any:
    configuration.configure()
    return use_cases.read_user_options(str(CONFIG))


@functools.cache
def _graph() -> grimp.ImportGraph:
    session = _options().session_options
    return grimp.build_graph(
        *session["root_packages"],
        include_external_packages=True,
        exclude_type_checking_imports=True,
        cache_dir=None,
    )


def _contract(contract_id: str) -> Contract:
    options = next(c for c in _options().contracts_options if c["id"] == contract_id)
    return TYPES[options["type"]](
        name=options["name"], session_options=_options().session_options, contract_options=options
    )


def test_the_imports_keep_every_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """``lint-imports`` as CI would run it (its report is in the captured output when this fails)."""
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True) == 0


@pytest.mark.parametrize(
    ("contract_id", "importer", "imported"),
    [
        ("mock-layers", "mockserver.engine.exchange", "mockserver.api.pipeline"),
        ("mock-layers", "mockserver.api.pipeline", "mockserver.control.persist"),
        ("mock-layers", "mockserver.control.snapshot", "mockserver.state"),
        ("mock-layers", "mockserver.clock", "mockserver.engine"),
        ("client-alone", "client_ref.signing", "mockserver.state"),
        ("kit", "conformance.rules", "mockserver.engine.exchange"),
        ("plugin", "pytest_bitunix", "mockserver.engine"),
        ("bench", "bench.hello", "pytest_bitunix"),
        ("pure-engine", "mockserver.engine.book", "starlette"),
        ("pure-engine", "mockserver.config", "pydantic"),
        ("api-libraries", "mockserver.api.pipeline", "httpx"),
        ("client-libraries", "client_ref.signing", "pydantic"),
        ("acyclic", "mockserver.api.inflight", "mockserver.api.pipeline"),
        ("acyclic", "conformance.adapter", "conformance.rules"),
        ("acyclic", "mockserver.control.routes", "mockserver.control.persist"),
    ],
)
def test_each_contract_breaks_on_an_edge_it_forbids(contract_id: str, importer: str, imported: str) -> None:
    contract = _contract(contract_id)
    assert contract.check(copy.deepcopy(_graph()), verbose=False).kept
    planted = copy.deepcopy(_graph())
    planted.add_import(importer=importer, imported=imported, line_number=1, line_contents="planted")
    assert not contract.check(planted, verbose=False).kept


def test_every_mockserver_module_has_a_layer() -> None:
    """A new top-level module of mockserver is placed in the layer table before it can import anything."""
    layers = next(c for c in _options().contracts_options if c["id"] == "mock-layers")["layers"]
    placed = {name.strip() for row in layers for name in row.split(":")}
    found = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / "mockserver").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }
    found.discard("seed")  # package data
    assert found == placed


def test_the_document_lists_the_same_contracts() -> None:
    """ARCHITECTURE.md's import rules name each contract by its id, and no other."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)
    assert sorted(documented) == sorted(c["id"] for c in _options().contracts_options)
