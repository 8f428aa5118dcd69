"""The engine owns its state: nothing outside ``mockserver/engine`` reaches into an engine object's privates.

A private name of an engine class is any ``_name`` (not a dunder) the engine's own classes define,
assign on ``self`` or list in ``__slots__``. Outside the engine, ``x._name`` with such a name and ``x``
not ``self``/``cls`` fails this test - go through an engine method instead.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "mockserver"

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


def engine_private_names(root: Path = ROOT) -> set[str]:
    names: set[str] = set()
    for path in sorted((root / "engine").glob("*.py")):
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


def outside_files(root: Path = ROOT) -> list[Path]:
    """The modules that drive the engine from outside: the request side, the control plane, the wiring
    that holds an exchange (state, cli, testing) and the benchmarks (``bench/``, beside the package)."""
    wiring = [root / name for name in ("state.py", "cli.py", "testing.py") if (root / name).exists()]
    bench = sorted((root.parent / "bench").glob("*.py"))
    return [*sorted([*(root / "control").glob("*.py"), *(root / "api").glob("*.py"), *wiring]), *bench]


def violations(root: Path = ROOT) -> list[str]:
    """Every ``x._name`` outside ``root/engine`` where ``_name`` is an engine private, as ``file:line: text``.

    ``root`` is the package to scan (``mockserver``); the self-test passes a planted copy of its layout.
    """
    private = engine_private_names(root)
    found = []
    for path in outside_files(root):
        rel = path.relative_to(root if path.is_relative_to(root) else root.parent).as_posix()
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
    assert {"_store", "_ledger", "_balances", "_net_external", "_records", "_rng", "_order", "_seq"} <= names


def test_nothing_outside_the_engine_touches_engine_privates() -> None:
    assert violations() == []


def lock_holders(root: Path = ROOT) -> list[str]:
    """Every ``x.lock`` outside the engine, as ``file:line: text``: the exchange's lock is the engine's own."""
    found = []
    for path in outside_files(root):
        rel = path.relative_to(root if path.is_relative_to(root) else root.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "lock":
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_outside_the_engine_takes_the_exchange_lock() -> None:
    """Compound reads are engine methods too: a snapshot's capture goes through ``engine.instant.copy_engine``."""
    assert lock_holders() == []


def test_the_lock_scan_sees_a_lock_taken_outside(tmp_path: Path) -> None:
    root = tmp_path / "mockserver"
    (root / "control").mkdir(parents=True)
    (root / "api").mkdir()
    (root / "control" / "grab.py").write_text("def f(ex):\n    with ex.lock:\n        return ex.lockless\n", "utf-8")
    assert lock_holders(root) == ["control/grab.py:2: ex.lock"]


def test_the_scan_catches_a_reach_in(tmp_path: Path) -> None:
    """A planted package: the real engine's modules, plus outside modules that reach in (and some that do not)."""
    root = tmp_path / "mockserver"
    shutil.copytree(ROOT / "engine", root / "engine")
    (root / "control").mkdir()
    (root / "api").mkdir()
    (tmp_path / "bench").mkdir()
    (root / "control" / "reach_in.py").write_text(
        "def f(ex, self_like):\n"
        "    return ex._ledger, ex._seq, self_like._store\n"
        "\n"
        "\n"
        "class Fine:\n"
        "    def g(self):\n"
        "        return self._store, self._not_an_engine_name, self.public\n",
        "utf-8",
    )
    (root / "api" / "clean.py").write_text("def h(ex):\n    return ex.place, ex.__dict__\n", "utf-8")
    (root / "state.py").write_text("def k(state):\n    return state.exchange._store\n", "utf-8")
    (root / "cli.py").write_text("def c(ex):\n    return ex._opening\n", "utf-8")
    (root / "testing.py").write_text("def t(mock):\n    return mock.state.exchange._matchers\n", "utf-8")
    (tmp_path / "bench" / "b.py").write_text("def b(ids):\n    return ids._order\n", "utf-8")
    assert violations(root) == [
        "cli.py:2: ex._opening",
        "control/reach_in.py:2: ex._ledger",
        "control/reach_in.py:2: ex._seq",
        "control/reach_in.py:2: self_like._store",
        "state.py:2: state.exchange._store",
        "testing.py:2: mock.state.exchange._matchers",
        "bench/b.py:2: ids._order",
    ]
