"""Files the kit ships with the package, read with :mod:`importlib.resources` (they work in any install).

- :func:`signature_vectors`: the known-answer vectors of the request signature (``fixtures/`` in a checkout);
- :func:`driver_spec`: ``DRIVER.md``, the JSON-lines protocol a driver in any language speaks;
- :func:`example_driver`: the Node example driver (``drivers/node/driver.mjs``, no dependencies).

    from conformance.data import example_driver
    with example_driver() as path:                 # a real file for as long as the block runs
        subprocess.run(["conformance", "run", "--driver", f"node {path}"])
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = ["driver_spec", "example_driver", "files", "signature_vectors"]


def files() -> Traversable:
    """The root of the conformance package's files."""
    return resources.files("conformance")


def signature_vectors() -> dict[str, Any]:
    """The known-answer vectors document: ``{"vectors": [{"name", "inputs", "digest_input", "sign", ...}]}``."""
    doc: dict[str, Any] = json.loads(files().joinpath("data", "signature_vectors.json").read_text("utf-8"))
    return doc


def driver_spec() -> str:
    """The driver protocol (Markdown)."""
    return files().joinpath("DRIVER.md").read_text("utf-8")


def example_driver() -> AbstractContextManager[Path]:
    """A context manager giving the Node example driver as a file path (``node <path>`` runs it)."""
    return resources.as_file(files().joinpath("drivers", "node", "driver.mjs"))
