"""Server configuration: every knob has a default, so the server starts with none."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

__all__ = ["ADMIN_PREFIX", "DEMO_API_KEY", "DEMO_BALANCES", "DEMO_FUTURES_BALANCES", "DEMO_SECRET", "Config"]

#: Everything that steers the mock lives under this prefix, outside the exchange's /api/ paths.
ADMIN_PREFIX = "/_mock"

#: The demo credentials printed at start-up. Public on purpose: this is an offline mock.
DEMO_API_KEY = "demo0000000000000000000000000001"
DEMO_SECRET = "demo-secret-0000000000000000000000000000000000000000000000000001"
DEMO_BALANCES: dict[str, Decimal] = {
    "USDT": Decimal("100000"),
    "BTC": Decimal("2"),
    "ETH": Decimal("20"),
    "SOL": Decimal("200"),
    "XRP": Decimal("10000"),
    "DOGE": Decimal("100000"),
}
#: The futures wallet (ledger account ``futures:<account_id>``) every account opens with unless told otherwise:
#: the demo account, admin-created ones, the pytest plugin's and every tenant's, so futures trade at once.
DEMO_FUTURES_BALANCES: dict[str, Decimal] = {"USDT": Decimal("100000")}


@dataclass
class Config:
    """How one mock exchange instance behaves."""

    host: str = "127.0.0.1"
    port: int = 8080
    profile: str = "live"  # auth.DEFAULT_PROFILE: what live traffic shows
    markets_path: Path | None = None  # None: the embedded default markets
    seed: int = 0
    liquidity: bool = True  # seed a market maker so a fresh server has live-looking books
    liquidity_levels: int = 50  # the seeded market maker keeps 50 levels a side (live depth shows 50)
    demo_account: bool = True
    demo_api_key: str = DEMO_API_KEY
    demo_secret: str = DEMO_SECRET
    demo_balances: dict[str, Decimal] = field(default_factory=lambda: dict(DEMO_BALANCES))
    # The futures wallet of the demo account and, unless an account's creation says otherwise, of every account.
    demo_futures_balances: dict[str, Decimal] = field(default_factory=lambda: dict(DEMO_FUTURES_BALANCES))
    max_body_bytes: int = 64 * 1024  # exchange bodies are a few KiB (a 20-order batch ~3 KiB); bounds parse work
    journal_size: int = 10_000
    always_diagnose: bool = False  # send x-mock-diagnosis on every rejected request, not only on opt-in
    admin_token: str | None = None  # required on admin calls when set (and whenever bound beyond loopback)
    # Without a token, admin calls must address a local Host (loopback, localhost, a dotless name); these
    # hosts ("name" or "name:port") are accepted too, e.g. a docker-compose service name with a dot.
    admin_allowed_hosts: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn forwarded_allow_ips). Empty:
    # forwarding headers are ignored, so the per-key IP whitelist sees the socket peer.
    trusted_proxies: tuple[str, ...] = ()
    clock_offset_ms: int = 0
    frozen_at_ms: int | None = None
    rate_limits: bool = False  # enforce the endpoint table's rate limits (110041); off so test suites run flat out
    switches: dict[str, str] = field(default_factory=dict)  # mockserver.fidelity.SWITCHES overrides
    state_dir: Path | None = None  # keep state here across restarts and crashes (mockserver.persist)
    # The exchange's data documents by file name (markets.json, coins.json, rates.json) as text. One given here
    # wins over markets_path and the embedded file: a state directory keeps the ones it acknowledged under.
    data: dict[str, str] = field(default_factory=dict)
    # Tenants (mockserver.tenants): independent mocks under /t/<id>/ on the same port, one per test.
    max_tenants: int = 100  # live at once; one more is refused (429) until one is deleted or expires
    tenant_idle_s: float = 900.0  # a tenant nobody called for this long is deleted to make room for a new one
    tenant_id: str | None = None  # set on a tenant's own config: its journal entries and log lines carry it
