"""pytest fixtures for testing a Bitunix client against the mock (installed as the pytest plugin ``bitunix``).

    import pytest

    @pytest.mark.bitunix(seed=7, balances={"USDT": "1000"})
    def test_my_bot(bitunix_mock, bitunix_account):
        bitunix_mock.admin.set_price("BTCUSDT", "64000")
        bot = MyBot(bitunix_mock.url, bitunix_account["api_key"], bitunix_account["secret"])
        ...
        assert [e["operation"] for e in bitunix_mock.requests()] == ["place_order"]

``bitunix_mock`` is a freshly reset exchange per test (a real server on 127.0.0.1:0 shared by the
session, or the external mock named by ``--bitunix-url`` / ``BITUNIX_MOCK_URL``); ``bitunix_account``
a funded account with fresh random credentials; ``bitunix_client`` the client under test from
``--bitunix-adapter pkg.mod:factory`` (default: the reference client).

Loading this plugin is cheap: it imports pytest and the standard library only. The mock server,
its admin client and the conformance kit are imported when a test first asks for a fixture, so a
suite that never uses them pays nothing (and an environment without the test extras works).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.adapter import Adapter
    from mockserver.control.client import AccountInfo, JournalEntry, MockAdmin
    from mockserver.state import MockState
    from mockserver.testing import MockServer

__all__ = ["DEFAULT_FUNDS", "MARKER_OPTIONS", "BitunixMock", "MarkerOptions"]

#: What ``bitunix_account`` holds unless the marker says ``balances=...``.
DEFAULT_FUNDS: dict[str, str] = {"USDT": "100000", "BTC": "2", "ETH": "20"}

URL_ENV = "BITUNIX_MOCK_URL"  # mockserver.control.client.URL_ENV (not imported: this module stays light)
ADMIN_TOKEN_ENV = "BITUNIX_MOCK_ADMIN_TOKEN"

MARKER_OPTIONS = {
    "profile": "verification profile for this test: live, observed, strict or docs",
    "seed": "seed of the reset exchange (ids, synthetic liquidity and history)",
    "liquidity": "True: the synthetic market maker fills the books; False (the default in-process): empty books",
    "balances": "balances of bitunix_account, e.g. {'USDT': '1000'} (default: 100000 USDT, 2 BTC, 20 ETH)",
    "switches": "fidelity switches for this test, e.g. {'empty_lists': 'null'}",
    "assert_no_auth_failures": "True: fail the test at teardown if any request was refused by auth",
    "assert_no_unexpected_requests": "True: fail at teardown on a request to no endpoint (or, with expect, "
    "to an operation not listed)",
    "expect": "operations the test may call, e.g. ['place_order', 'order_detail'] (implies the check above)",
}


@dataclass
class MarkerOptions:
    """``@pytest.mark.bitunix(...)`` merged from module, class and function (the closest wins)."""

    profile: str | None = None
    seed: int | None = None
    liquidity: bool | None = None
    balances: dict[str, str] | None = None
    switches: dict[str, str] = field(default_factory=dict)
    assert_no_auth_failures: bool = False
    assert_no_unexpected_requests: bool = False
    expect: list[str] | None = None

    @classmethod
    def of(cls, node: pytest.Item) -> MarkerOptions:
        merged: dict[str, Any] = {}
        for mark in reversed(list(node.iter_markers("bitunix"))):  # farthest first, the closest last
            if mark.args:
                pytest.fail(f"@pytest.mark.bitunix takes keyword arguments only, not {mark.args!r}", pytrace=False)
            unknown = sorted(set(mark.kwargs) - set(MARKER_OPTIONS))
            if unknown:
                known = ", ".join(MARKER_OPTIONS)
                pytest.fail(f"@pytest.mark.bitunix: unknown option {unknown[0]!r}; known: {known}", pytrace=False)
            merged.update(mark.kwargs)
        opts = cls(**merged)
        if opts.balances is not None:
            opts.balances = {coin: str(amount) for coin, amount in dict(opts.balances).items()}
        opts.switches = {name: str(value) for name, value in dict(opts.switches or {}).items()}
        expect: Any = opts.expect  # a marker's kwargs are not type-checked: one name or a list
        if expect is not None:
            opts.expect = [expect] if isinstance(expect, str) else [str(op) for op in expect]
            from mockserver import check_operations  # here, not at import: the plugin stays light

            try:
                check_operations(opts.expect, "@pytest.mark.bitunix(expect=...)")
            except ValueError as unknown:
                pytest.fail(str(unknown), pytrace=False)
        return opts


class BitunixMock:
    """One test's exchange: ``url`` to point the client at, ``admin`` to steer it, ``account`` to trade with.

    In-process (the default) ``server`` is the :class:`~mockserver.testing.MockServer` and ``state``
    its live state; against an external mock (``--bitunix-url``) both are unavailable and everything
    goes through ``admin``, so a test written with ``admin`` runs unchanged in both modes.
    """

    def __init__(self, url: str, admin: MockAdmin, server: MockServer | None, options: MarkerOptions) -> None:
        self.url = url
        self.admin = admin
        self.server = server
        self.options = options
        self.expected: set[str] | None = set(options.expect) if options.expect is not None else None
        self._account: AccountInfo | None = None

    def __repr__(self) -> str:
        where = "in-process" if self.server is not None else "external"
        return f"<BitunixMock {where} {self.url}>"

    @property
    def external(self) -> bool:
        return self.server is None

    @property
    def state(self) -> MockState:
        """The server's live state (in-process only; the engine calls take its lock)."""
        if self.server is None:
            raise RuntimeError(
                f"bitunix_mock.state is in-process only; these tests run against the external mock {self.url}: "
                "use bitunix_mock.admin (or skip the test when bitunix_mock.external)"
            )
        return self.server.state

    # ------------------------------------------------------------ accounts
    @property
    def account(self) -> AccountInfo:
        """This test's account (created on first use, fresh random api-key and secret, marker balances)."""
        if self._account is None:
            funds = self.options.balances if self.options.balances is not None else DEFAULT_FUNDS
            self._account = self.admin.create_account(funds, label="pytest")
        return self._account

    @property
    def api_key(self) -> str:
        return self.account["api_key"]

    @property
    def secret(self) -> str:
        return self.account["secret"]

    def new_account(self, balances: Mapping[str, object] | None = None, **kwargs: Any) -> AccountInfo:
        """Another account with fresh random credentials (``MockAdmin.create_account`` keywords)."""
        return self.admin.create_account(balances, **kwargs)

    # ------------------------------------------------------------- journal
    def requests(self, **filters: Any) -> list[JournalEntry]:
        """This test's requests, oldest first, once those still in flight are answered (see MockAdmin.requests)."""
        return self.admin.requests(**filters)

    def expect(self, *operations: str) -> None:
        """Declare operations the test may call; any other fails the test at teardown (ValueError on a name no
        endpoint has)."""
        from mockserver import check_operations

        check_operations(operations, "bitunix_mock.expect()")
        self.expected = (self.expected or set()) | set(operations)

    def assert_no_auth_failures(self) -> None:
        """AssertionError listing every request refused by auth (sign, key, nonce, timestamp, IP, permission)."""
        self.admin.assert_no_auth_failures()

    def assert_no_unexpected_requests(self, expected: Iterable[str] | None = None) -> None:
        """AssertionError on a request to no endpoint, or to an operation outside ``expected`` / ``expect``."""
        allowed = set(expected) if expected is not None else self.expected
        self.admin.assert_no_unexpected_requests(allowed)


class _Servers:
    """The session's mocks: in-process servers (one per liquidity setting, started on first use) or one URL."""

    def __init__(self, url: str | None, token: str | None) -> None:
        self.url = url.rstrip("/") if url else None
        self.token = token
        self._local: dict[bool, MockServer] = {}
        self._admins: dict[str, MockAdmin] = {}

    def get(self, liquidity: bool | None) -> tuple[str, MockServer | None]:
        if self.url is not None:
            return self.url, None
        want = bool(liquidity)
        server = self._local.get(want)
        if server is None:
            from mockserver.testing import MockServer

            server = self._local[want] = MockServer(liquidity=want).start()
        return server.url, server

    def admin(self, url: str) -> MockAdmin:
        admin = self._admins.get(url)
        if admin is None:
            from mockserver.control.client import MockAdmin

            admin = self._admins[url] = MockAdmin(url, token=self.token)
        return admin

    def close(self) -> None:
        for admin in self._admins.values():
            admin.close()
        for server in self._local.values():
            server.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bitunix", "Bitunix spot mock")
    try:
        group.addoption("--bitunix-adapter", default=None, help="package.module:factory of the client under test")
        group.addoption(
            "--bitunix-url",
            default=None,
            help=f"run against this running mock (reset before each test) instead of one in-process; env {URL_ENV}",
        )
        group.addoption(
            "--bitunix-admin-token", default=None, help=f"admin token of the --bitunix-url mock; env {ADMIN_TOKEN_ENV}"
        )
    except ValueError:  # loaded twice (the entry point and -p conformance.pytest_plugin): once is enough
        pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bitunix(profile=None, seed=None, liquidity=None, balances=None, switches=None, "
        "assert_no_auth_failures=False, assert_no_unexpected_requests=False, expect=None): "
        "set up this test's Bitunix mock exchange (pytest_bitunix)",
    )


@pytest.fixture(scope="session")
def _bitunix_servers(pytestconfig: pytest.Config) -> Iterator[_Servers]:
    url = pytestconfig.getoption("--bitunix-url") or os.environ.get(URL_ENV) or None
    token = pytestconfig.getoption("--bitunix-admin-token") or os.environ.get(ADMIN_TOKEN_ENV) or None
    servers = _Servers(url, token)
    yield servers
    servers.close()


@pytest.fixture
def bitunix_mock(request: pytest.FixtureRequest, _bitunix_servers: _Servers) -> Iterator[BitunixMock]:
    """A freshly reset mock exchange for this test (``.url``, ``.admin``, ``.account``, ``.requests()``...).

    Set it up with ``@pytest.mark.bitunix(profile=..., seed=..., liquidity=..., balances=..., switches=...)``.
    A request still in flight from an earlier test is refused by the reset, never applied here.
    """
    options = MarkerOptions.of(request.node)
    url, server = _bitunix_servers.get(options.liquidity)
    admin = _bitunix_servers.admin(url)
    status = admin.reset(options.seed)
    if server is None and options.liquidity is not None and (status["resting"] > 0) != options.liquidity:
        pytest.fail(
            f"@pytest.mark.bitunix(liquidity={options.liquidity}) but the mock at {url} was started "
            f"{'with' if status['resting'] else 'without'} synthetic liquidity: start it "
            f"{'without' if options.liquidity else 'with'} --no-liquidity",
            pytrace=False,
        )
    if options.profile is not None:
        admin.set_profile(options.profile)
    if options.switches:
        admin.set_switches(options.switches)
    mock = BitunixMock(url, admin, server, options)
    yield mock
    problems = []
    checks = [mock.assert_no_auth_failures] if options.assert_no_auth_failures else []
    if options.assert_no_unexpected_requests or mock.expected is not None:
        checks.append(mock.assert_no_unexpected_requests)
    for check in checks:
        try:
            check()
        except AssertionError as failed:
            problems.append(str(failed))
    if problems:  # the listing says it all: no traceback into the plugin
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def bitunix_account(bitunix_mock: BitunixMock) -> AccountInfo:
    """A new funded account with fresh random credentials (``api_key``, ``secret``, ``uid``, ``balances``)."""
    return bitunix_mock.account


@pytest.fixture
def bitunix_client(
    request: pytest.FixtureRequest, bitunix_mock: BitunixMock, bitunix_account: AccountInfo
) -> Iterator[Adapter]:
    """The client under test, bound to ``bitunix_account``, behind the conformance adapter protocol."""
    from conformance.adapter import reference_factory
    from conformance.cli import load_factory

    spec = request.config.getoption("--bitunix-adapter")
    factory = load_factory(spec) if spec else reference_factory
    adapter = factory(bitunix_mock.url, bitunix_account["api_key"], bitunix_account["secret"], None)
    yield adapter
    adapter.close()
