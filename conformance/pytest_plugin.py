"""The old import path of the pytest plugin, kept for ``-p conformance.pytest_plugin``.

The plugin is :mod:`pytest_bitunix`, auto-loaded through the ``pytest11`` entry point
``bitunix_conformance``; it lives outside this package so that loading it imports neither
the conformance kit (hypothesis) nor the mock server until a fixture is used.
"""

from __future__ import annotations

from pytest_bitunix import (
    DEFAULT_FUNDS,
    BitunixMock,
    _bitunix_servers,
    bitunix_account,
    bitunix_client,
    bitunix_mock,
    pytest_addoption,
    pytest_configure,
)

__all__ = [
    "DEFAULT_FUNDS",
    "BitunixMock",
    "_bitunix_servers",
    "bitunix_account",
    "bitunix_client",
    "bitunix_mock",
    "pytest_addoption",
    "pytest_configure",
]
