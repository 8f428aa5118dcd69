"""The engine owns its state: nothing outside ``mockserver/engine`` reaches into an engine object's privates.

A private name of an engine class is any ``_name`` (not a dunder) the engine's own classes define,
assign on ``self`` or list in ``__slots__``. Outside the engine, ``x._name`` with such a name and ``x``
not ``self``/``cls`` fails this test - go through an engine method instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "mockserver"

#: Objects outside the engine whose own private names happen to match an engine class's
#: (file, receiver.attr) - each is a non-engine object accessed from its own package.
NOT_ENGINE = {
    ("control/persist.py", "faults._rng"),  # mockserver.api.faults.Faults
    ("control/persist.py", "state.faults._rng"),
    ("api/journal.py", "entry._size"),  # JournalEntry, in its own module
    ("api/journal.py", "old._size"),
}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def engine_private_names() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "engine").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(sub.name):
                    names.add(sub.name)
                elif (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id in ("self", "cls")
                    and _private(sub.attr)
                ):
                    names.add(sub.attr)
                elif isinstance(sub, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in sub.targets
                ):
                    for elt in ast.walk(sub.value):
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str) and _private(elt.value):
                            names.add(elt.value)
    return names


def outside_files() -> list[Path]:
    return sorted([*(ROOT / "control").glob("*.py"), *(ROOT / "api").glob("*.py"), ROOT / "state.py"])


def violations() -> list[str]:
    private = engine_private_names()
    found = []
    for path in outside_files():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Attribute) or not _private(node.attr) or node.attr not in private:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            text = ast.unparse(node)
            if (rel, text) in NOT_ENGINE:
                continue
            found.append(f"{rel}:{node.lineno}: {text}")
    return found


def test_the_scan_knows_the_engine_privates() -> None:
    names = engine_private_names()
    # A sample the engine certainly has: if these vanish the scan has gone blind, not clean.
    assert {"_store", "_balances", "_net_external", "_records", "_rng", "_order", "_seq"} <= names


def test_nothing_outside_the_engine_touches_engine_privates() -> None:
    assert violations() == []


def test_the_scan_catches_a_reach_in(tmp_path: Path) -> None:
    code = "def f(ex):\n    return ex.ledger._balances, ex._seq, self_like._store\n"
    tree = ast.parse(code)
    private = engine_private_names()
    hits = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr in private
        and not (isinstance(n.value, ast.Name) and n.value.id == "self")
    ]
    assert hits == ["ex.ledger._balances", "ex._seq", "self_like._store"]
