"""A typed client for the mock's admin API (``/_mock``): steer a mock exchange from a test, in a few words.

    from mockserver.control import MockAdmin

    with MockAdmin("http://127.0.0.1:8080") as admin:        # or MockAdmin.from_env()
        admin.reset(seed=7)
        acct = admin.create_account({"USDT": "1000"})          # fresh random api-key and secret
        admin.set_price("BTCUSDT", "64000")
        admin.fail_with_status(429, retry_after=2, path="/api/spot/v1/order/*", nth=1)
        ...                                                    # run the code under test
        entries = admin.requests(api_key=acct["api_key"])     # waits for requests still in flight

It speaks plain HTTP (httpx) to any running mock - in-process (``MockServer``), a
``python -m mockserver`` subprocess, a container - and needs nothing else. Every
refusal of the admin API raises :class:`MockAdminError` with the server's message.
The pytest plugin hands one out as ``bitunix_mock.admin``.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, NotRequired, TypedDict, cast
from urllib.parse import quote

import httpx

__all__ = [
    "ADMIN_TOKEN_ENV",
    "AUTH_CODES",
    "FUTURES_AUTH_CODES",
    "URL_ENV",
    "AccountInfo",
    "BalanceInfo",
    "ClockInfo",
    "FaultInfo",
    "FillScript",
    "FuturesAccountInfo",
    "FuturesMarketInfo",
    "JournalEntry",
    "MockAdmin",
    "MockAdminError",
    "PositionInfo",
    "TenantInfo",
    "account_request",
    "new_api_key",
    "new_secret",
]

#: Environment variables naming an external mock (the pytest plugin reads them too).
URL_ENV = "BITUNIX_MOCK_URL"
ADMIN_TOKEN_ENV = "BITUNIX_MOCK_ADMIN_TOKEN"

#: Codes of a request refused by authentication or authorisation (api-key, nonce, timestamp, sign,
#: replay, IP whitelist, permission): a client that earns one has a signing or credential bug.
AUTH_CODES = frozenset({"100004", "100005", "100008", "100011", "110033", "900001", "900002"})
#: The futures API's codes for the same refusals (key missing or unknown, IP, signature, timestamp and
#: nonce, permission): mockserver.api.products maps the shared auth errors onto these.
FUTURES_AUTH_CODES = frozenset({"10003", "10004", "10007", "403"})
#: The journal verdict of a request refused because the exchange was reset while it was in flight.
STALE_VERDICT = "reset-in-flight"

_MARKER = {"x-mock-admin": "1"}


def new_api_key() -> str:
    """A fresh random api-key (32 hex characters, like the exchange's)."""
    return secrets.token_hex(16)


def new_secret() -> str:
    """A fresh random secret (64 hex characters)."""
    return secrets.token_hex(32)


class MockAdminError(RuntimeError):
    """The admin API refused a call: ``status`` is its HTTP status, ``message`` the server's reason."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"admin {method} {path}: HTTP {status}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.message = message


class TenantInfo(TypedDict):
    """A tenant (``POST /_mock/tenants``): ``url`` is its base URL, for clients and for another MockAdmin."""

    id: str
    url: str
    label: str
    seed: int
    liquidity: bool
    profile: str
    switches: dict[str, str]
    rate_limits: bool
    idle_ms: int
    requests: int


class BalanceInfo(TypedDict):
    free: str
    locked: str


class AccountInfo(TypedDict):
    account_id: str
    uid: int
    api_key: str
    secret: str
    label: str
    permissions: list[str]
    ip_whitelist: list[str]
    balances: dict[str, BalanceInfo]
    futures_balances: dict[str, BalanceInfo]  # the futures wallet (ledger account futures:<account_id>)


class ClockInfo(TypedDict):
    now_ms: int
    frozen: bool
    offset_ms: int


class FaultInfo(TypedDict):
    id: str
    action: str
    method: str | None
    path: str | None
    api_key: str | None
    latency_ms: int
    latency_max_ms: int | None
    code: str | None
    msg: str | None
    status: int | None
    retry_after: int | None
    body: str | None
    nth: int | None
    times: int | None
    probability: float
    matched: int
    fired: int


class FillScript(TypedDict):
    id: str
    account_id: str
    product: str  # "spot" or "futures": which of the account's orders it fills
    symbol: str | None
    order_id: str | None
    after_polls: int | None
    at_ms: int | None
    fraction: str
    polls: int
    done: bool
    fills: Any


class FuturesMarketInfo(TypedDict):
    """A futures contract's prices and funding (``GET /_mock/futures/markets/<symbol>``)."""

    symbol: str
    mark_price: str
    index_price: str
    last_price: str
    funding_rate: str  # percent per interval, as the REST API shows it
    funding_interval_hours: int
    next_funding_time: int


class PositionInfo(TypedDict):
    """An open futures position as the engine holds it (side LONG/SHORT; amounts as decimal text)."""

    position_id: str
    symbol: str
    side: str
    qty: str
    avg_open_price: str
    entry_value: str
    leverage: int
    margin_mode: str
    position_mode: str
    margin: str
    unrealized_pnl: str
    realized_pnl: str
    fee: str
    funding: str
    liq_price: str
    margin_rate: str
    ctime: int
    mtime: int


class FuturesAccountInfo(TypedDict):
    """An account's futures wallet: ledger ``balances``, the ``account`` endpoint's figures, open positions."""

    api_key: str
    balances: dict[str, BalanceInfo]
    available: str
    frozen: str
    margin: str
    cross_unrealized_pnl: str
    isolation_unrealized_pnl: str
    position_mode: str
    positions: list[PositionInfo]


class JournalEntry(TypedDict):
    """One request the exchange paths saw (``verdict``: ``accepted``, ``pending`` while in flight, or why
    it was refused - an error class name, ``fault``, ``disconnected``, ``reset-in-flight``)."""

    id: int
    time_ms: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    client: str | None
    operation: str | None
    product: str  # "spot", "futures": the product the request was for (its endpoint's, or its path prefix's)
    api_key: str | None
    verdict: str
    code: str | None
    detail: str
    status: int
    body: NotRequired[str]
    response: NotRequired[str]
    warnings: NotRequired[list[dict[str, Any]]]
    diagnosis: NotRequired[dict[str, Any]]
    faults: NotRequired[list[str]]
    dropped: NotRequired[bool]
    tenant: NotRequired[str]  # the tenant whose exchange saw it (mockserver.tenants)


def account_request(
    balances: Mapping[str, object] | None = None,
    *,
    api_key: str | None = None,
    secret: str | None = None,
    label: str = "",
    permissions: Sequence[str] | None = None,
    ip_whitelist: Sequence[str] | None = None,
    futures_balances: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /_mock/accounts`` (:meth:`MockAdmin.create_account`): fresh random credentials
    unless given, amounts as decimal strings. ``futures_balances``: the futures wallet it opens with (``None``:
    the server's default, 100000 USDT unless configured; ``{}``: none). The pytest plugin hands it to the
    controller in-process."""
    return _given(
        api_key=api_key or new_api_key(),
        secret=secret or new_secret(),
        label=label,
        balances={c: _decimal_text(a) for c, a in (balances or {}).items()},
        permissions=list(permissions) if permissions is not None else None,
        ip_whitelist=list(ip_whitelist) if ip_whitelist is not None else None,
        futures_balances=(
            None if futures_balances is None else {c: _decimal_text(a) for c, a in futures_balances.items()}
        ),
    )


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _seg(text: str) -> str:
    return quote(text, safe="")


def _decimal_text(value: object) -> str:
    """Amounts go as decimal strings (the admin API refuses floats: they are not exact)."""
    if isinstance(value, float):
        raise TypeError(f"pass amounts as str or Decimal, not float ({value!r} is not exact)")
    return str(value)


class MockAdmin:
    """The admin API of one mock exchange at ``url`` (its base URL, without ``/_mock``)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token, self._timeout, self._transport = token, timeout, transport  # for tenant_admin()
        headers = {"x-mock-admin-token": token} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    @classmethod
    def from_env(cls, **kwargs: Any) -> MockAdmin:
        """The mock named by ``BITUNIX_MOCK_URL`` (and ``BITUNIX_MOCK_ADMIN_TOKEN``)."""
        url = os.environ.get(URL_ENV)
        if not url:
            raise RuntimeError(f"{URL_ENV} is not set: start a mock (python -m mockserver) and export its URL")
        return cls(url, token=os.environ.get(ADMIN_TOKEN_ENV) or None, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MockAdmin:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MockAdmin({self.url!r})"

    # ------------------------------------------------------------ transport
    def call(self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """One admin call (``path`` below ``/_mock``); the decoded JSON answer, ``None`` for 204."""
        resp = self._http.request(
            method,
            "/_mock" + path,
            json=body,
            params=params,
            headers=_MARKER,
        )
        if resp.status_code >= 400:
            try:
                message = str(resp.json().get("error", resp.text))
            except ValueError:
                message = resp.text[:500]
            raise MockAdminError(method, path, resp.status_code, message)
        if not resp.content:
            return None
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.text

    # ------------------------------------------------------------ lifecycle
    def health(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("GET", "/health"))

    def status(self) -> dict[str, Any]:
        """Seed, profile, clock and counts of accounts, orders, resting orders, journal, faults."""
        return cast(dict[str, Any], self.call("GET", "/status"))

    def reset(self, seed: int | None = None, *, keep_journal: bool = False) -> dict[str, Any]:
        """A brand-new exchange (optionally with another seed); requests still in flight are refused."""
        return cast(dict[str, Any], self.call("POST", "/reset", _given(seed=seed, keep_journal=keep_journal or None)))

    def set_profile(self, name: str) -> dict[str, Any]:
        """Switch the verification profile (live, observed, strict, docs) until the next reset."""
        return cast(dict[str, Any], self.call("POST", "/profile", {"name": name}))

    def snapshot(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("GET", "/snapshot"))

    def restore(self, snapshot: Mapping[str, Any]) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("POST", "/restore", dict(snapshot)))

    def audit(self) -> dict[str, Any]:
        """Money conservation: ``{"conserved": bool, "imbalance": {coin: amount}}``."""
        return cast(dict[str, Any], self.call("GET", "/audit"))

    # -------------------------------------------------------------- tenants
    def create_tenant(
        self,
        *,
        seed: int | None = None,
        liquidity: bool | None = None,
        profile: str | None = None,
        switches: Mapping[str, str] | None = None,
        rate_limits: bool | None = None,
        label: str | None = None,
    ) -> TenantInfo:
        """A new independent mock on this server, at ``info["url"]`` (README: Tenants); what is not given
        is the default world: seed 0, no market maker, profile live, default switches, no rate limits."""
        body = _given(
            seed=seed,
            liquidity=liquidity,
            profile=profile,
            switches=dict(switches) if switches is not None else None,
            rate_limits=rate_limits,
            label=label,
        )
        return cast(TenantInfo, self.call("POST", "/tenants", body))

    def tenants(self) -> list[TenantInfo]:
        return cast(list[TenantInfo], self.call("GET", "/tenants")["tenants"])

    def tenant(self, tenant_id: str) -> TenantInfo:
        return cast(TenantInfo, self.call("GET", f"/tenants/{_seg(tenant_id)}"))

    def delete_tenant(self, tenant_id: str) -> None:
        """Delete the tenant: its requests still in flight are refused, later ones answer 404."""
        self.call("DELETE", f"/tenants/{_seg(tenant_id)}")

    def tenant_admin(self, tenant: TenantInfo | str) -> MockAdmin:
        """A MockAdmin of the tenant (its info or URL), with this one's token and timeout (close it when done)."""
        url = tenant if isinstance(tenant, str) else tenant["url"]
        return MockAdmin(url, token=self._token, timeout=self._timeout, transport=self._transport)

    # ------------------------------------------------------------- accounts
    def create_account(
        self,
        balances: Mapping[str, object] | None = None,
        *,
        api_key: str | None = None,
        secret: str | None = None,
        label: str = "",
        permissions: Sequence[str] | None = None,
        ip_whitelist: Sequence[str] | None = None,
        futures_balances: Mapping[str, object] | None = None,
    ) -> AccountInfo:
        """A new account with a fresh random api-key and secret (unless given) and these balances; its futures
        wallet opens with ``futures_balances`` (``None``: the server's default; ``{}``: none)."""
        body = account_request(
            balances,
            api_key=api_key,
            secret=secret,
            label=label,
            permissions=permissions,
            ip_whitelist=ip_whitelist,
            futures_balances=futures_balances,
        )
        return cast(AccountInfo, self.call("POST", "/accounts", body))

    def account(self, api_key: str) -> AccountInfo:
        return cast(AccountInfo, self.call("GET", f"/accounts/{_seg(api_key)}"))

    def accounts(self) -> list[AccountInfo]:
        return cast(list[AccountInfo], self.call("GET", "/accounts"))

    def balances(self, api_key: str) -> dict[str, BalanceInfo]:
        """``{coin: {"free": "...", "locked": "..."}}`` as the engine holds them."""
        return self.account(api_key)["balances"]

    def orders(self, api_key: str) -> list[dict[str, Any]]:
        """The engine's view of the account's orders, oldest first."""
        return cast(list[dict[str, Any]], self.call("GET", f"/accounts/{_seg(api_key)}/orders"))

    def fund(self, api_key: str, coin: str, amount: object) -> AccountInfo:
        """Add ``amount`` of ``coin`` to the free balance (a negative amount takes it away)."""
        body = {"coin": coin, "amount": _decimal_text(amount)}
        return cast(AccountInfo, self.call("POST", f"/accounts/{_seg(api_key)}/fund", body))

    def reset_account(self, api_key: str) -> AccountInfo:
        return cast(AccountInfo, self.call("POST", f"/accounts/{_seg(api_key)}/reset", {}))

    def delete_account(self, api_key: str) -> None:
        self.call("DELETE", f"/accounts/{_seg(api_key)}")

    def whitelist(self, api_key: str, *addresses: str) -> list[str]:
        """Allow withdrawals to ``addresses`` (registered on the website, live); the whole list back."""
        doc = self.call("POST", f"/accounts/{_seg(api_key)}/withdraw-addresses", {"addresses": list(addresses)})
        return list(doc["addresses"])

    def withdraw_addresses(self, api_key: str) -> list[str]:
        return list(self.call("GET", f"/accounts/{_seg(api_key)}/withdraw-addresses")["addresses"])

    # -------------------------------------------------------------- markets
    def set_price(self, symbol: str, price: object) -> dict[str, Any]:
        """Set the pair's last/reference price (synthetic liquidity re-centres on it)."""
        body = {"price": _decimal_text(price)}
        return cast(dict[str, Any], self.call("POST", f"/markets/{_seg(symbol)}/price", body))

    def book(self, symbol: str) -> dict[str, Any]:
        """``{"bids": [[price, volume], ...], "asks": [...]}``, aggregated."""
        return cast(dict[str, Any], self.call("GET", f"/markets/{_seg(symbol)}/book"))

    def seed_book(
        self,
        symbol: str,
        bids: Iterable[tuple[object, object]] = (),
        asks: Iterable[tuple[object, object]] = (),
    ) -> dict[str, Any]:
        """Rest orders from a system account: ``bids``/``asks`` are ``(price, volume)`` pairs."""
        body = {
            "bids": [[_decimal_text(p), _decimal_text(v)] for p, v in bids],
            "asks": [[_decimal_text(p), _decimal_text(v)] for p, v in asks],
        }
        return cast(dict[str, Any], self.call("POST", f"/markets/{_seg(symbol)}/book", body))

    def clear_book(self, symbol: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("DELETE", f"/markets/{_seg(symbol)}/book"))

    # -------------------------------------------------------------- futures
    def futures_market(self, symbol: str) -> FuturesMarketInfo:
        """The contract's mark, index and last price, funding rate and next settlement instant."""
        return cast(FuturesMarketInfo, self.call("GET", f"/futures/markets/{_seg(symbol)}"))

    def set_mark_price(self, symbol: str, price: object, *, follow_last: bool = False) -> FuturesMarketInfo:
        """Set the futures mark price; TP/SL orders and liquidations it triggers happen at once.

        ``follow_last``: from now on every trade (and :meth:`set_futures_last_price`) moves the mark too.
        """
        body = {"price": _decimal_text(price), "follow_last": follow_last}
        return cast(FuturesMarketInfo, self.call("POST", f"/futures/markets/{_seg(symbol)}/mark", body))

    def set_index_price(self, symbol: str, price: object | None) -> FuturesMarketInfo:
        """Set the futures index price (``None``: the index reads as the mark again)."""
        body = {"price": None if price is None else _decimal_text(price)}
        return cast(FuturesMarketInfo, self.call("POST", f"/futures/markets/{_seg(symbol)}/index", body))

    def set_futures_last_price(self, symbol: str, price: object) -> FuturesMarketInfo:
        """Set the futures last price (and the mark, when it follows the last)."""
        body = {"price": _decimal_text(price)}
        return cast(FuturesMarketInfo, self.call("POST", f"/futures/markets/{_seg(symbol)}/last", body))

    def set_funding_rate(self, symbol: str, rate: object, *, settle: bool = False) -> FuturesMarketInfo:
        """Set the funding rate in percent per interval (``"0.01"`` is 0.01 %); ``settle``: charge it now too."""
        body = {"rate": _decimal_text(rate), "settle": settle}
        return cast(FuturesMarketInfo, self.call("POST", f"/futures/markets/{_seg(symbol)}/funding", body))

    def settle_funding(self, symbol: str | None = None) -> list[str]:
        """Charge funding now at the current rate, as a settlement instant would; the contracts settled."""
        return list(self.call("POST", "/futures/funding/settle", _given(symbol=symbol))["settled"])

    def futures_account(self, api_key: str) -> FuturesAccountInfo:
        return cast(FuturesAccountInfo, self.call("GET", f"/futures/accounts/{_seg(api_key)}"))

    def futures_balances(self, api_key: str) -> dict[str, BalanceInfo]:
        """The futures wallet's ``{coin: {"free", "locked"}}`` (locked: margin and what open orders freeze)."""
        return self.futures_account(api_key)["balances"]

    def fund_futures(self, api_key: str, amount: object) -> FuturesAccountInfo:
        """Add ``amount`` USDT to the futures wallet's free balance (a negative amount takes it away)."""
        body = {"coin": "USDT", "amount": _decimal_text(amount)}
        return cast(FuturesAccountInfo, self.call("POST", f"/futures/accounts/{_seg(api_key)}/fund", body))

    def positions(self, api_key: str) -> list[PositionInfo]:
        """The account's open futures positions, oldest first."""
        return cast(list[PositionInfo], self.call("GET", f"/futures/accounts/{_seg(api_key)}/positions"))

    def open_position(
        self,
        api_key: str,
        symbol: str,
        side: str,
        qty: object,
        price: object | None = None,
        *,
        leverage: int | None = None,
        margin_mode: str | None = None,
    ) -> PositionInfo:
        """Open a position directly (``side`` LONG or SHORT) against the house at ``price`` (default: the mark),
        without an order or a fee; ``leverage``/``margin_mode`` change the symbol's setting first."""
        body = _given(
            symbol=symbol,
            side=side,
            qty=_decimal_text(qty),
            price=None if price is None else _decimal_text(price),
            leverage=leverage,
            margin_mode=margin_mode,
        )
        return cast(PositionInfo, self.call("POST", f"/futures/accounts/{_seg(api_key)}/positions", body))

    def liquidate(self, api_key: str, symbol: str, side: str | None = None) -> dict[str, Any]:
        """Force the liquidation of the account's position on ``symbol`` by moving the mark to its liquidation
        price (``side`` LONG/SHORT when it holds both in hedge mode); refused with nothing moved otherwise."""
        body = _given(symbol=symbol, side=side)
        return cast(dict[str, Any], self.call("POST", f"/futures/accounts/{_seg(api_key)}/liquidate", body))

    def futures_audit(self) -> dict[str, Any]:
        """Futures money conservation: ``{"conserved": bool, "imbalance": {identity: amount}, "problems": [...]}``."""
        return cast(dict[str, Any], self.call("GET", "/futures/audit"))

    # --------------------------------------------------------- counterparty
    def fill(
        self,
        api_key: str,
        order_id: str | None = None,
        *,
        product: str | None = None,
        symbol: str | None = None,
        after_polls: int | None = None,
        at_ms: int | None = None,
        fraction: object = None,
    ) -> FillScript:
        """Have a counterparty fill the account's resting orders (one ``order_id``, or all, or a ``symbol``'s).

        Now (neither trigger), after the account's ``after_polls``-th signed request, or once the mock
        clock reaches ``at_ms``; ``fraction`` (e.g. ``"0.5"``) fills that part of what remains. Each
        outcome in ``fills`` reports the target order only (``filled``, ``status``). Price-time priority
        holds: an order resting ahead of the target (the market maker's, with liquidity on) means no
        fill - a fill now raises MockAdminError (409) with the reason and trades nothing; a scheduled
        one records the reason as the outcome's ``skipped``. ``product="futures"`` fills the account's
        futures orders instead (by an immediate-or-cancel counter order from the counterparty's futures wallet).
        """
        body = _given(
            api_key=api_key,
            product=product,
            order_id=order_id,
            symbol=symbol,
            after_polls=after_polls,
            at_ms=at_ms,
            fraction=_decimal_text(fraction) if fraction is not None else None,
        )
        return cast(FillScript, self.call("POST", "/counterparty", body))

    def fills(self) -> list[FillScript]:
        return cast(list[FillScript], self.call("GET", "/counterparty"))

    def clear_fills(self) -> None:
        self.call("DELETE", "/counterparty")

    # --------------------------------------------------------------- faults
    def add_fault(self, spec: Mapping[str, Any]) -> FaultInfo:
        """Any fault rule, as ``POST /_mock/faults`` takes it."""
        return cast(FaultInfo, self.call("POST", "/faults", dict(spec)))

    def _fault(self, action: str, match: dict[str, Any], **fields: Any) -> FaultInfo:
        return self.add_fault({"action": action, **_given(**fields), **_given(**match)})

    def fail_with_status(
        self,
        status: int,
        *,
        retry_after: int | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
        nth: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        id: str | None = None,
    ) -> FaultInfo:
        """Answer matching requests with a bare HTTP ``status`` (e.g. 429 with ``Retry-After``, 503) unprocessed.

        ``path`` is a glob (``/api/spot/v1/order/*``); ``nth`` fires on the Nth match only, ``times`` at most
        that often.
        """
        match = dict(method=method, path=path, api_key=api_key, nth=nth, times=times, probability=probability, id=id)
        return self._fault("status", match, status=status, retry_after=retry_after, body=body)

    def fail_with_error(
        self,
        code: str,
        msg: str | None = None,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
        nth: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        id: str | None = None,
    ) -> FaultInfo:
        """Answer matching requests with the exchange error envelope ``code`` (msg from the error table)."""
        match = dict(method=method, path=path, api_key=api_key, nth=nth, times=times, probability=probability, id=id)
        return self._fault("error", match, code=code, msg=msg, status=status)

    def add_latency(
        self,
        ms: int,
        *,
        max_ms: int | None = None,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
        nth: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        id: str | None = None,
    ) -> FaultInfo:
        """Delay matching requests by ``ms`` (uniform in ``[ms, max_ms]`` with ``max_ms``), then answer them."""
        match = dict(method=method, path=path, api_key=api_key, nth=nth, times=times, probability=probability, id=id)
        return self._fault("latency", match, latency_ms=ms, latency_max_ms=max_ms)

    def drop_responses(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
        nth: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        id: str | None = None,
    ) -> FaultInfo:
        """Process matching requests, then cut the connection mid-answer (the client cannot know the outcome)."""
        match = dict(method=method, path=path, api_key=api_key, nth=nth, times=times, probability=probability, id=id)
        return self._fault("drop", match)

    def faults(self) -> list[FaultInfo]:
        return cast(list[FaultInfo], self.call("GET", "/faults"))

    def remove_fault(self, fault_id: str) -> None:
        self.call("DELETE", f"/faults/{_seg(fault_id)}")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    # ---------------------------------------------------------------- clock
    def clock(self) -> ClockInfo:
        return cast(ClockInfo, self.call("GET", "/clock"))

    def now_ms(self) -> int:
        """The mock's clock (what its ``timestamp`` checks compare against)."""
        return self.clock()["now_ms"]

    def freeze(self, at_ms: int | None = None) -> ClockInfo:
        """Stop the mock clock (at ``at_ms``, or now)."""
        return cast(ClockInfo, self.call("POST", "/clock", _given(freeze=True, at_ms=at_ms)))

    def advance(self, ms: int) -> ClockInfo:
        """Move the mock clock ``ms`` forward (negative: back), frozen or running."""
        return cast(ClockInfo, self.call("POST", "/clock", {"advance_ms": ms}))

    def set_offset(self, ms: int) -> ClockInfo:
        """Run the mock clock ``ms`` ahead of the machine's (negative: behind)."""
        return cast(ClockInfo, self.call("POST", "/clock", {"offset_ms": ms}))

    def unfreeze(self) -> ClockInfo:
        return cast(ClockInfo, self.call("POST", "/clock", {"unfreeze": True}))

    # ------------------------------------------------------ switches, limits
    def switches(self) -> dict[str, str]:
        """The fidelity switches in force (README: What is modelled, and what is guessed)."""
        return cast(dict[str, str], self.call("GET", "/switches"))

    def set_switches(self, values: Mapping[str, str] | None = None, **named: str) -> dict[str, str]:
        """Change switches until the next reset, e.g. ``set_switches(empty_lists="null")``."""
        return cast(dict[str, str], self.call("POST", "/switches", {**(values or {}), **named}))

    def rate_limits(self, enabled: bool | None = None, per_second: Mapping[str, int] | None = None) -> dict[str, Any]:
        """Read, or switch on/off and override, the rate limits (110041)."""
        body = _given(enabled=enabled, per_second=dict(per_second) if per_second is not None else None)
        if not body:
            return cast(dict[str, Any], self.call("GET", "/rate-limits"))
        return cast(dict[str, Any], self.call("POST", "/rate-limits", body))

    # -------------------------------------------------------------- journal
    def requests(
        self,
        *,
        api_key: str | None = None,
        operation: str | None = None,
        verdict: str | None = None,
        path: str | None = None,
        product: str | None = None,
        bodies: bool = True,
        wait: float = 5.0,
        limit: int = 100_000,
    ) -> list[JournalEntry]:
        """Journal entries, oldest first, filtered; waits up to ``wait`` s for requests still in flight.

        ``verdict``: ``accepted``, ``rejected`` (anything else) or one refusal (``SignatureError``...).
        ``product``: ``spot`` or ``futures`` (the product the request was for).
        Raises ValueError, before any request, on a ``verdict`` no entry can have (listing the valid ones:
        a misspelt one would filter to nothing) or a ``limit`` below 1, and TimeoutError naming the
        requests still pending after ``wait`` seconds (0: do not wait).
        """
        if verdict is not None:
            from ..api.verdicts import check_verdict

            check_verdict(verdict, "requests(verdict=)")
        if limit < 1:
            raise ValueError(f"requests(limit=): must be >= 1, got {limit}")
        params = _given(
            api_key=api_key,
            operation=operation,
            path=path,
            product=product,
            limit=limit,
            bodies=None if bodies else "0",
        )
        deadline = time.monotonic() + wait
        while True:
            entries = cast(list[JournalEntry], self.call("GET", "/journal", params=params))
            pending = [e for e in entries if e["verdict"] == "pending"]
            if not pending or wait <= 0:
                break
            if time.monotonic() >= deadline:
                shown = ", ".join(f"#{e['id']} {e['method']} {e['path']}" for e in pending[:5])
                raise TimeoutError(f"{len(pending)} request(s) still in flight after {wait} s: {shown}")
            time.sleep(0.02)
        entries.reverse()
        if verdict is not None:
            entries = [
                e for e in entries if e["verdict"] == verdict or (verdict == "rejected" and e["verdict"] != "accepted")
            ]
        return entries

    def clear_journal(self) -> None:
        self.call("DELETE", "/journal")

    def curl(self, entry_id: int) -> str:
        """A curl line that re-sends the journaled request (sign, nonce, timestamp left as placeholders)."""
        return str(self.call("GET", f"/journal/{entry_id}/curl")).strip()

    # ----------------------------------------------------------- assertions
    def auth_failures(self, *, wait: float = 5.0) -> list[JournalEntry]:
        """Requests refused by authentication or authorisation (codes :data:`AUTH_CODES`)."""
        return [
            e
            for e in self.requests(wait=wait)
            if e["code"] in (FUTURES_AUTH_CODES if e["product"] == "futures" else AUTH_CODES)
            and e["verdict"] != STALE_VERDICT
        ]

    def assert_no_auth_failures(self, *, wait: float = 5.0) -> None:
        """AssertionError listing every request refused by auth, with the server's diagnosis of each."""
        failed = self.auth_failures(wait=wait)
        if failed:
            raise AssertionError(_listing(f"{len(failed)} request(s) refused by auth", failed))

    def unexpected_requests(self, expected: Iterable[str] | None = None, *, wait: float = 5.0) -> list[JournalEntry]:
        """Requests to no endpoint (404/405), and - when ``expected`` operations are given - to any other."""
        allowed = set(expected) if expected is not None else None
        out = []
        for e in self.requests(wait=wait):
            if e["verdict"] == STALE_VERDICT:
                continue  # an earlier test's request, refused by the reset
            no_endpoint = e["operation"] is None or e["code"] in ("404", "405")
            if no_endpoint or (allowed is not None and e["operation"] not in allowed):
                out.append(e)
        return out

    def assert_no_unexpected_requests(self, expected: Iterable[str] | None = None, *, wait: float = 5.0) -> None:
        """AssertionError listing requests to no endpoint or, with ``expected``, to an operation not in it."""
        allowed = sorted(expected) if expected is not None else None
        found = self.unexpected_requests(allowed, wait=wait)
        if found:
            what = "every request should hit an endpoint"
            if allowed is not None:
                what = f"expected only {', '.join(allowed)}"
            raise AssertionError(_listing(f"{len(found)} unexpected request(s) ({what})", found))


def _listing(title: str, entries: Sequence[JournalEntry]) -> str:
    lines = [title + ":"]
    for e in entries[:20]:
        line = f"  #{e['id']} {e['method']} {e['path']}"
        if e["query"]:
            line += "?" + e["query"]
        line += f" -> {e['verdict']} (code {e['code']})"
        if e["detail"]:
            line += f": {e['detail']}"
        lines.append(line)
        diagnosis = e.get("diagnosis")
        if diagnosis:
            lines.append(f"      diagnosis: {diagnosis.get('mistake')}: {diagnosis.get('message')}")
    if len(entries) > 20:
        lines.append(f"  ... and {len(entries) - 20} more")
    return "\n".join(lines)
