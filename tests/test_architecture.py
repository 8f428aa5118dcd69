"""The import rules of ARCHITECTURE.md, checked against the code.

Every import that runs (module level or inside a function; ``if TYPE_CHECKING:`` blocks are
for the type checker only and do not count) is resolved to a module of this repository and
its layer; an edge the table below does not allow fails, naming the file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mockserver", "client_ref", "conformance", "pytest_bitunix", "bench")

# Layer of a module: the first pattern that matches its dotted name wins.
LAYERS: list[tuple[str, str]] = [
    (r"mockserver\.engine(\..*)?$", "engine"),
    (r"mockserver\.api(\..*)?$", "api"),
    (r"mockserver\.control(\..*)?$", "control"),
    (r"mockserver\.(clock|config|errors|fidelity|version)$", "core"),
    (r"mockserver(\..*)?$", "wiring"),
    (r"client_ref(\..*)?$", "client"),
    (r"conformance(\..*)?$", "kit"),
    (r"pytest_bitunix(\..*)?$", "plugin"),
    (r"bench(\..*)?$", "bench"),
]

# Which layers each layer may import (itself always). Mirrors the table in ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "engine": {"core"},
    "api": {"core", "engine"},
    "control": {"core", "engine", "api"},
    "wiring": {"core", "engine", "api", "control"},
    "client": set(),
    "kit": {"client", "core", "api", "wiring"},
    "plugin": {"wiring", "control", "kit"},
    "bench": {"core", "engine", "api", "control", "wiring", "client", "kit"},
}

# Outside libraries a layer must not import: the engine is pure Python, no HTTP and no schemas.
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "core": {"starlette", "uvicorn", "httpx", "pydantic", "hypothesis"},
    "engine": {"starlette", "uvicorn", "httpx", "pydantic", "hypothesis"},
    "api": {"httpx", "hypothesis"},
    "client": {"starlette", "uvicorn", "pydantic", "hypothesis"},
}

# Edges the table does not allow but the design needs, each with its reason. Keep this short.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # Loading a snapshot builds a fresh MockState; the state composes control's counterparty,
    # so a module-level import would be a cycle. The import sits inside the loader.
    ("mockserver.control.snapshot", "mockserver.state"): "snapshot restore builds a new state",
}


def layer_of(module: str) -> str | None:
    for pattern, layer in LAYERS:
        if re.match(pattern, module):
            return layer
    return None


def module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts.pop()
    return ".".join(parts), is_pkg


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for child in node.body:
                    lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import that runs, relative ones resolved."""
    module, is_pkg = module_name(path)
    tree = ast.parse(path.read_text("utf-8"))
    skip = _type_checking_lines(tree)
    here = module.split(".") if is_pkg else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None:
                # `from . import x`: each name may be a submodule.
                found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, target))
    return found


def source_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts)


def violations() -> list[str]:
    bad: list[str] = []
    for path in source_files():
        module, _ = module_name(path)
        layer = layer_of(module)
        assert layer is not None, f"{module} has no layer in tests/test_architecture.py"
        for line, target in runtime_imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            top = target.split(".")[0]
            if top in FORBIDDEN_LIBRARIES.get(layer, set()):
                bad.append(f"{where}: {layer} layer imports {top}")
                continue
            target_layer = layer_of(target)
            if target_layer is None or target_layer == layer:
                continue
            if target_layer in ALLOWED[layer]:
                continue
            if any(module == a and (target == b or target.startswith(b + ".")) for a, b in EXCEPTIONS):
                continue
            bad.append(f"{where}: {layer} ({module}) imports {target_layer} ({target})")
    return bad


def test_imports_follow_the_architecture() -> None:
    assert violations() == []


def test_every_module_has_a_layer() -> None:
    assert all(layer_of(module_name(p)[0]) for p in source_files())


def test_the_document_lists_the_same_rules() -> None:
    """ARCHITECTURE.md's table says what ALLOWED says, row by row."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]*) \|$", text, re.MULTILINE))
    documented = {layer: {x.strip(" `") for x in may.split(",") if x.strip(" `-")} for layer, may in rows.items()}
    assert documented == ALLOWED


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("mockserver/engine/x.py", "from ..api import pipeline", ["engine (mockserver.engine.x) imports api"]),
        ("mockserver/api/x.py", "from ..control import controller", ["api (mockserver.api.x) imports control"]),
        ("mockserver/engine/x.py", "import starlette", ["engine layer imports starlette"]),
        ("mockserver/api/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..state import S", []),
        ("client_ref/x.py", "def f():\n    import mockserver", ["client (client_ref.x) imports wiring"]),
    ],
)
def test_the_checker_catches_a_wrong_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, target: str, expected: list[str]
) -> None:
    """The check is not vacuous: a planted wrong import is reported, a type-only one is not."""
    planted = tmp_path / source
    planted.parent.mkdir(parents=True)
    planted.write_text(target + "\n", "utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGES", (source.split("/")[0],))
    found = violations()
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert want in got
