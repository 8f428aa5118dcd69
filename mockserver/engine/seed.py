"""The data documents an exchange is built from (markets, coins, rates): what its decisions depend on."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from .markets import markets_text

__all__ = ["DATA_FILES", "data_texts", "seed_text"]

#: The documents by file name; the embedded ones live in ``mockserver/seed/``.
DATA_FILES = ("markets.json", "coins.json", "rates.json")


def seed_text(name: str) -> str:
    """An embedded data document's text."""
    return resources.files("mockserver.seed").joinpath(name).read_text("utf-8")


def data_texts(given: Mapping[str, str], markets_path: str | Path | None) -> dict[str, str]:
    """Each document's text: the one given (a state directory's), the ``--markets`` file, or the embedded one."""
    out: dict[str, str] = {}
    for name in DATA_FILES:
        if name in given:
            out[name] = given[name]
        elif name == "markets.json":
            out[name] = markets_text(markets_path)
        else:
            out[name] = seed_text(name)
    return out
