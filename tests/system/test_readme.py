"""The README front page and the docs pages: generated tables, commands and links stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockserver.docs import PAGES, ROOT, stale_pages, sync_page

README = (ROOT / "README.md").read_text("utf-8")
#: Every page a reader reaches from the front page; links between them are checked here, and by
#: `mkdocs build --strict` for the site (.ci/run).
PAGES_READ = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "bench" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_tables_match_the_code(page: str) -> None:
    text = (ROOT / page).read_text("utf-8")
    assert sync_page(text, PAGES[page]) == text, "run: python -m mockserver.docs --write"


def test_a_stale_table_is_found(tmp_path: Path) -> None:
    for page in PAGES:
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text((ROOT / page).read_text("utf-8"), "utf-8")
    assert stale_pages(tmp_path) == []
    errors = tmp_path / "docs" / "errors.md"
    errors.write_text(errors.read_text("utf-8").replace("| `100005` |", "| `100006` |"), "utf-8")
    assert stale_pages(tmp_path) == ["docs/errors.md"]


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^    (python3 -m venv .*)$", README, re.M)
    assert len(commands) == 2, commands
    serve, test = commands
    assert serve.endswith("python -m mockserver")
    assert test in (ROOT / ".ci" / "run").read_text("utf-8")


def test_ci_builds_the_docs_in_strict_mode() -> None:
    assert "mkdocs build --strict" in (ROOT / ".ci" / "run").read_text("utf-8")
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    assert re.search(r"^strict: true$", config, re.M)
    listed = set(re.findall(r"^\s+- [^:]+: (\S+\.md)$", config, re.M))
    assert listed == {p.name for p in (ROOT / "docs").glob("*.md")}, "every docs page is in mkdocs.yml's nav"


def _anchors(text: str) -> set[str]:
    """GitHub's and mkdocs' heading ids: lower case, punctuation dropped, spaces as dashes."""
    out = set()
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := re.match(r"^#{1,6} (.*)$", line)):
            out.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return out


@pytest.mark.parametrize("page", PAGES_READ, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text("utf-8")
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: broken link {target}"
        if anchor:
            assert anchor in _anchors(dest.read_text("utf-8")), f"{page.name}: no heading for {target}"
