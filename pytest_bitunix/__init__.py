"""pytest fixtures for testing a Bitunix client against the mock (installed as the pytest plugin ``bitunix``).

    import pytest

    @pytest.mark.bitunix(seed=7, balances={"USDT": "1000"})
    def test_my_bot(bitunix_mock, bitunix_account):
        bitunix_mock.admin.set_price("BTCUSDT", "64000")
        bot = MyBot(bitunix_mock.url, bitunix_account["api_key"], bitunix_account["secret"])
        ...
        assert [e["operation"] for e in bitunix_mock.requests()] == ["place_order"]

The mock serves both products, spot (``/api/spot/v1/...``) and USDT-M futures (``/api/v1/futures/...``),
at one ``url``; ``bitunix_futures_client`` is the futures reference client bound to the test's account, and
``bitunix_mock.admin`` steers futures too (mark, funding, positions, liquidations, fills).

``bitunix_mock`` is an exchange of the test's own: a tenant (mockserver.tenants) created for it and
deleted after it, on a real server on 127.0.0.1:0 shared by the session or on the external mock named
by ``--bitunix-url`` / ``BITUNIX_MOCK_URL`` - the same default world in both, and nothing another test
(another xdist worker included) does can reset, steer or read it. ``bitunix_account`` is a funded
account with fresh random credentials; ``bitunix_client`` the client under test from
``--bitunix-adapter pkg.mod:factory`` (default: the reference client).

Loading this plugin is cheap: it imports pytest and the standard library only. The mock server,
its admin client and the conformance kit are imported when a test first asks for a fixture, so a
suite that never uses them pays nothing (and an environment without the test extras works).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    from client_ref.futures import FuturesClient
    from conformance.adapter import Adapter
    from mockserver.control.client import AccountInfo, JournalEntry, MockAdmin, TenantInfo
    from mockserver.state import MockState
    from mockserver.testing import MockServer

__all__ = ["DEFAULT_FUNDS", "DEFAULT_WORLD", "MARKER_OPTIONS", "BitunixMock", "BitunixMockWarning", "MarkerOptions"]

#: What ``bitunix_account`` holds unless the marker says ``balances=...``.
DEFAULT_FUNDS: dict[str, str] = {"USDT": "100000", "BTC": "2", "ETH": "20"}

URL_ENV = "BITUNIX_MOCK_URL"  # mockserver.control.client.URL_ENV (not imported: this module stays light)
ADMIN_TOKEN_ENV = "BITUNIX_MOCK_ADMIN_TOKEN"
DEFAULT_PORT = 8080  # where `bitunix-mock` and the container listen unless told otherwise

#: The world a test gets unless its marker says otherwise - in-process and against a server alike, and
#: the defaults of POST /_mock/tenants (mockserver.control.schema.TenantSpec; a test keeps them equal).
#: No market maker: an order rests until the test fills it (admin.fill, a book it seeds), so a test
#: decides every trade it sees; a test that wants live-looking books says liquidity=True.
DEFAULT_SEED, DEFAULT_LIQUIDITY, DEFAULT_PROFILE = 0, False, "live"
DEFAULT_WORLD = {"seed": DEFAULT_SEED, "liquidity": DEFAULT_LIQUIDITY, "profile": DEFAULT_PROFILE}

MARKER_OPTIONS = {
    "profile": "verification profile for this test: live, observed, strict or docs",
    "seed": "seed of the test's exchange (ids, synthetic liquidity and history); default 0",
    "liquidity": "True: the synthetic market maker fills the books; False (the default, everywhere): empty books",
    "balances": "balances of bitunix_account, e.g. {'USDT': '1000'} (default: 100000 USDT, 2 BTC, 20 ETH)",
    "futures_balances": "the futures wallet of bitunix_account, e.g. {'USDT': '500'} (default: the server's, "
    "100000 USDT; {}: none)",
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
    futures_balances: dict[str, str] | None = None
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
        opts.balances = _amounts("balances", opts.balances)
        opts.futures_balances = _amounts("futures_balances", opts.futures_balances)
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


def _amounts(option: str, value: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A marker's balances as decimal strings; a float fails the test with the fix."""
    if value is None:
        return None
    given: dict[str, Any] = dict(value)  # a marker's kwargs are not type-checked
    for coin, amount in given.items():
        if isinstance(amount, float):  # str(0.1 + 0.2) is '0.30000000000000004': say so, never guess
            pytest.fail(
                f"@pytest.mark.bitunix({option}=...): the {coin} amount {amount!r} is a float, and a float "
                f"is inexact; pass it as a string or a Decimal: {option}={{{coin!r}: {str(amount)!r}}}",
                pytrace=False,
            )
    return {coin: str(amount) for coin, amount in given.items()}


class BitunixMock:
    """One test's exchange: ``url`` to point the client at, ``admin`` to steer it, ``account`` to trade with.

    ``url`` is the test's tenant (``http://host:port/t/<id>``; ``tenant`` is the id) and ``admin`` its
    admin API. In-process (the default) ``server`` is the session's
    :class:`~mockserver.testing.MockServer` and ``state`` the tenant's live state; against an external
    mock (``--bitunix-url``) both are unavailable and everything goes through ``admin``, so a test
    written with ``admin`` runs unchanged in both modes.
    """

    def __init__(
        self,
        url: str,
        admin: MockAdmin | Callable[[], MockAdmin],
        server: MockServer | None,
        options: MarkerOptions,
        *,
        tenant: str = "",
    ) -> None:
        self.url = url
        # The fixture passes a factory: a test that never steers its tenant builds no admin client.
        self._admin: MockAdmin | None = None if callable(admin) else admin
        self._make_admin = admin if callable(admin) else None
        self.server = server
        self.options = options
        self.tenant = tenant
        self.expected: set[str] | None = set(options.expect) if options.expect is not None else None
        self._account: AccountInfo | None = None

    @property
    def admin(self) -> MockAdmin:
        """This test's tenant's admin API (``MockAdmin``; built on first use)."""
        if self._admin is None:
            assert self._make_admin is not None
            self._admin = self._make_admin()
        return self._admin

    def close(self) -> None:
        """Close the admin client, if one was built."""
        if self._admin is not None:
            self._admin.close()

    def __repr__(self) -> str:
        where = "in-process" if self.server is not None else "external"
        return f"<BitunixMock {where} {self.url}>"

    @property
    def external(self) -> bool:
        return self.server is None

    @property
    def state(self) -> MockState:
        """This test's live state, its tenant's (in-process only; the engine calls take its lock)."""
        if self.server is None:
            raise RuntimeError(
                f"bitunix_mock.state is in-process only; these tests run against the external mock {self.url}: "
                "use bitunix_mock.admin (or skip the test when bitunix_mock.external)"
            )
        tenants = self.server.app.tenants
        tenant = tenants.get(self.tenant) if tenants is not None else None
        if tenant is None:
            raise RuntimeError(f"this test's tenant {self.tenant!r} is gone: it was deleted")
        return tenant.state

    # ------------------------------------------------------------ accounts
    @property
    def account(self) -> AccountInfo:
        """This test's account (created on first use, fresh random api-key and secret, marker balances)."""
        if self._account is None:
            funds = self.options.balances if self.options.balances is not None else DEFAULT_FUNDS
            self._account = self.new_account(funds, label="pytest", futures_balances=self.options.futures_balances)
        return self._account

    @property
    def api_key(self) -> str:
        return self.account["api_key"]

    @property
    def secret(self) -> str:
        return self.account["secret"]

    def new_account(self, balances: Mapping[str, object] | None = None, **kwargs: Any) -> AccountInfo:
        """Another account with fresh random credentials (``MockAdmin.create_account`` keywords).

        In-process, by the controller call ``POST /_mock/accounts`` makes (no loopback round trip, as for
        the tenant itself); against an external mock, that admin call."""
        if self.server is None:
            return self.admin.create_account(balances, **kwargs)
        from mockserver.control.client import account_request
        from mockserver.control.controller import Controller

        body = account_request(balances, **kwargs)
        state = self.state
        return cast("AccountInfo", _admin_call("POST", "/accounts", lambda: Controller(state).create_account(body)))

    def futures_client(self, account: AccountInfo | None = None, **kwargs: Any) -> FuturesClient:
        """The futures reference client (``client_ref.futures.FuturesClient``) on this test's exchange, signed
        for ``account`` (default: :attr:`account`); ``kwargs`` go to its constructor. Close it when done."""
        from client_ref.futures import FuturesClient

        who = account if account is not None else self.account
        return FuturesClient(self.url, who["api_key"], who["secret"], **kwargs)

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


def _label(nodeid: str) -> str:
    """The test's node id as a tenant label (printable, at most 128 characters: its tail names the test)."""
    text = "".join(ch if ch.isprintable() else "?" for ch in nodeid)
    return text if len(text) <= 128 else "..." + text[-125:]


def _stray_variables(environ: Mapping[str, str]) -> list[str]:
    """``BITUNIX_MOCK_*`` variables that configure a server, set while the tests run in-process."""
    return sorted(k for k, v in environ.items() if k.startswith("BITUNIX_MOCK_") and k != URL_ENV and v)


def _probe_ports(environ: Mapping[str, str]) -> list[int]:
    ports = [DEFAULT_PORT]
    port = environ.get("BITUNIX_MOCK_PORT", "")
    if port.isdigit() and 0 < int(port) < 65536 and int(port) not in ports:
        ports.append(int(port))
    return ports


def _serving_mocks(ports: Iterable[int]) -> list[str]:
    """URLs of Bitunix mocks answering on loopback at ``ports`` (a service container, a background server)."""
    import httpx

    found = []
    for port in ports:
        url = f"http://127.0.0.1:{port}"
        try:
            reply = httpx.get(url + "/_mock/version", timeout=0.5)
            if reply.status_code == 200 and reply.json().get("api") == "bitunix-spot":
                found.append(url)
        except (httpx.HTTPError, ValueError, AttributeError):
            continue  # nothing there, or not a mock
    return found


class BitunixMockWarning(pytest.PytestWarning):
    """The plugin's setup is probably not what was meant (e.g. a server configured, tests in-process)."""


def in_process_warning(stray: list[str], serving: list[str]) -> str | None:
    """What to say when the tests run in-process although a server seems meant (``None``: nothing)."""
    if not stray and not serving:
        return None
    seen = []
    if stray:
        seen.append(f"{', '.join(stray)} {'is' if len(stray) == 1 else 'are'} set")
    if serving:
        seen.append(f"a Bitunix mock is serving at {', '.join(serving)}")
    target = serving[0] if serving else "http://127.0.0.1:<port>"
    return (
        f"the tests use an IN-PROCESS Bitunix mock, but {' and '.join(seen)}: "
        f"the server meant receives none of their requests. To test against it, set {URL_ENV}={target} "
        f"(or pass --bitunix-url {target}); the admin token, if it needs one, goes in {ADMIN_TOKEN_ENV} "
        "(or --bitunix-admin-token)"
    )


class _Session:
    """The session's mock - the external one (``--bitunix-url``) or an in-process server started on first
    use - and the tenants its tests get from it, one per test (mockserver.tenants)."""

    def __init__(self, url: str | None, url_source: str, token: str | None, token_source: str | None) -> None:
        self.url = url.rstrip("/") if url else None
        self.url_source = url_source
        self.token = token
        self.token_source = token_source
        self._server: MockServer | None = None
        self._root: MockAdmin | None = None
        self._refusal: str | None = None  # a refusal that would repeat for every test (no token, no tenants)
        self._http: Any = None  # _shared_transport(), made with the root admin

    def root(self) -> tuple[MockAdmin, MockServer | None]:
        if self._root is None:
            from mockserver.control.client import MockAdmin

            if self.url is None:
                message = in_process_warning(_stray_variables(os.environ), _serving_mocks(_probe_ports(os.environ)))
                if message is not None:
                    warnings.warn(BitunixMockWarning(message), stacklevel=1)
                from mockserver.testing import MockServer

                # The root exchange is never a test's: each gets a tenant. No market maker: nothing to build.
                self._server = MockServer(liquidity=False).start()
                url, token = self._server.url, self._server.config.admin_token
            else:
                url, token = self.url, self.token
            # Every test's admin client shares this one connection pool: a client of its own would build
            # an SSL context per test (tens of ms on a busy machine) for a plain-HTTP loopback URL.
            self._http = _shared_transport()
            self._root = MockAdmin(url, token=token, transport=self._http)
        return self._root, self._server

    def open(self, options: MarkerOptions, label: str) -> tuple[TenantInfo, Callable[[], MockAdmin], MockServer | None]:
        """A new tenant for one test, built from the marker over the default world; pytest.fail on a refusal."""
        if self._refusal is not None:
            pytest.fail(self._refusal, pytrace=False)
        root, server = self.root()
        spec: dict[str, Any] = {
            "seed": DEFAULT_SEED if options.seed is None else options.seed,
            "liquidity": DEFAULT_LIQUIDITY if options.liquidity is None else bool(options.liquidity),
            "profile": options.profile or DEFAULT_PROFILE,
            "switches": options.switches,
            "label": label,
        }
        try:
            tenant = root.create_tenant(**spec) if server is None else _in_process(server, "POST", spec)
        except Exception as exc:  # the refusal, explained: never a traceback into the plugin
            message, repeats = self._explain(exc)
            if repeats:
                self._refusal = message
            pytest.fail(message, pytrace=False)
        return tenant, lambda: root.tenant_admin(tenant), server

    def release(self, tenant_id: str) -> None:
        if self._server is not None:
            _in_process(self._server, "DELETE", tenant_id)
        elif self._root is not None:
            self._root.delete_tenant(tenant_id)

    def _explain(self, exc: Exception) -> tuple[str, bool]:
        """``exc`` from creating a tenant as a message naming the fix, and whether every test would meet it."""
        import httpx

        from mockserver.control.client import MockAdminError

        where = f"the mock at {self.url} ({self.url_source})" if self.url else "the in-process mock"
        if isinstance(exc, httpx.TransportError):
            return f"cannot reach {where}: {exc}; start it, or fix the URL", True
        if not isinstance(exc, MockAdminError):
            raise exc
        if exc.status == 401 and self.token is None:
            return (
                f"{where} requires an admin token and none was given: pass --bitunix-admin-token <token> or set "
                f"{ADMIN_TOKEN_ENV}=<token> (the token the server was started with: its --admin-token or "
                f"{ADMIN_TOKEN_ENV})",
                True,
            )
        if exc.status == 401:
            return (
                f"{where} refused the admin token given by {self.token_source}: {exc.message}; pass the token "
                "the server was started with",
                True,
            )
        if exc.status == 403:
            return f"{where} refused the plugin's admin call: {exc.message}", True
        if exc.status == 404:
            return (
                f"{where} serves no tenants, so the tests cannot get an exchange of their own (POST "
                f"/_mock/tenants answered 404: {exc.message}); point the plugin at the server's root URL, and at "
                "a server of the version installed with this plugin (an older one answers so too)",
                True,
            )
        if exc.status == 400:
            return f"@pytest.mark.bitunix: {exc.message}", False
        return f"{where} refused a tenant for this test: HTTP {exc.status}: {exc.message}", False

    def close(self) -> None:
        if self._root is not None:
            self._root.close()
        if self._http is not None:
            self._http.pool.close()
        if self._server is not None:
            self._server.stop()


def _in_process(server: MockServer, method: str, arg: Any) -> Any:
    """Create (``POST``, ``arg`` the spec) or delete (``DELETE``, ``arg`` the id) a tenant of the in-process
    server by the controller call its admin route makes (``POST``/``DELETE /_mock/tenants``): the same checks,
    answers and refusals, without a loopback round trip. A refusal is raised as the HTTP client would raise it."""
    from mockserver.control.controller import Controller

    controller = Controller(server.state)
    if method == "POST":
        return _admin_call(method, "/tenants", lambda: controller.create_tenant(arg, server.url))
    return _admin_call(method, f"/tenants/{arg}", lambda: controller.delete_tenant(arg))


def _admin_call(method: str, path: str, call: Callable[[], Any]) -> Any:
    """``call`` (a controller call an admin route makes), its refusal raised as the HTTP client would raise it."""
    from mockserver.control.client import MockAdminError
    from mockserver.control.controller import AdminError

    try:
        return call()
    except AdminError as exc:
        raise MockAdminError(method, path, exc.status, exc.message) from None


def _shared_transport() -> Any:
    """One connection pool for the session's admin clients (``pool.close()`` at the session's end)."""
    import httpx

    class SessionTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self.pool = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return self.pool.handle_request(request)

        def close(self) -> None:
            """A test's admin client closing: the pool stays open for the next test."""

    return SessionTransport()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bitunix", "Bitunix mock (spot and futures)")
    try:
        group.addoption("--bitunix-adapter", default=None, help="package.module:factory of the client under test")
        group.addoption(
            "--bitunix-url",
            default=None,
            help=f"run against this running mock (each test in a tenant of its own) instead of one in-process; "
            f"env {URL_ENV}",
        )
        group.addoption(
            "--bitunix-admin-token", default=None, help=f"admin token of the --bitunix-url mock; env {ADMIN_TOKEN_ENV}"
        )
    except ValueError:  # loaded twice (the entry point and -p conformance.pytest_plugin): once is enough
        pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bitunix(profile=None, seed=None, liquidity=None, balances=None, futures_balances=None, switches=None, "
        "assert_no_auth_failures=False, assert_no_unexpected_requests=False, expect=None): "
        "set up this test's Bitunix mock exchange (pytest_bitunix)",
    )


def _where(config: pytest.Config) -> tuple[str | None, str]:
    """The external mock's URL and where it came from, or ``(None, "")``: in-process."""
    option = config.getoption("--bitunix-url", default=None)
    if option:
        return str(option), "--bitunix-url"
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV], URL_ENV
    return None, ""


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One line when a server is in play: which one the tests use, or LOUDLY that they do not use it."""
    url, source = _where(config)
    if url is not None:
        return [f"bitunix: tests run against the mock at {url} ({source}), each in a tenant of its own"]
    stray = _stray_variables(os.environ)
    message = in_process_warning(stray, [])
    return [f"bitunix: WARNING: {message}"] if message is not None else []


@pytest.fixture(scope="session")
def _bitunix_servers(pytestconfig: pytest.Config) -> Iterator[_Session]:
    url, url_source = _where(pytestconfig)
    token = pytestconfig.getoption("--bitunix-admin-token") or None
    token_source: str | None = "--bitunix-admin-token"
    if token is None:
        token, token_source = os.environ.get(ADMIN_TOKEN_ENV) or None, ADMIN_TOKEN_ENV
    session = _Session(url, url_source, token, token_source if token else None)
    yield session
    session.close()


@pytest.fixture
def bitunix_mock(request: pytest.FixtureRequest, _bitunix_servers: _Session) -> Iterator[BitunixMock]:
    """This test's own mock exchange - a tenant, deleted at teardown (``.url``, ``.admin``, ``.account``...).

    Set it up with ``@pytest.mark.bitunix(profile=..., seed=..., liquidity=..., balances=..., switches=...)``;
    what the marker does not say is the default world (seed 0, no market maker, profile live), in-process
    and against an external server alike. Nothing another test does can reach it.
    """
    options = MarkerOptions.of(request.node)
    tenant, admin, server = _bitunix_servers.open(options, _label(request.node.nodeid))
    mock = BitunixMock(tenant["url"], admin, server, options, tenant=tenant["id"])
    try:
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
    finally:
        mock.close()
        _bitunix_servers.release(tenant["id"])
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


@pytest.fixture
def bitunix_futures_client(bitunix_mock: BitunixMock, bitunix_account: AccountInfo) -> Iterator[FuturesClient]:
    """The futures reference client (``client_ref.futures.FuturesClient``, sync) bound to ``bitunix_account``
    on this test's exchange: its futures wallet opens with the marker's ``futures_balances`` (default: the
    server's, 100000 USDT)."""
    client = bitunix_mock.futures_client(bitunix_account)
    yield client
    client.close()
