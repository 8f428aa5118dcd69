"""Everything one mock exchange instance holds, built from a :class:`Config`.

One instance per app: tests that create two apps get two independent exchanges.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from .api.auth import PROFILES, NonceStore, Verifier
from .api.faults import Faults
from .api.journal import Journal
from .api.ratelimit import RateLimiter
from .clock import Clock
from .config import Config
from .control.counterparty import Counterparty
from .control.snapshot import Restored, SnapshotError
from .control.snapshot import load as load_snapshot
from .engine import EngineStateError, Exchange, LiquidityProvider, Wallet, load_markets
from .engine.accounts import Account
from .engine.futures.liquidity import FuturesLiquidity
from .engine.markets import Market
from .fidelity import SWITCHES, parse_switches

if TYPE_CHECKING:
    from .control.persist import Durable
    from .tenants import Tenants

__all__ = ["MockState"]


# Built once per process, since every test's tenant builds a state: the embedded documents (package
# data, never changed while the process runs; a --markets file is read each time, as it may be edited)
# and the markets parsed from a document's text (Market is frozen, so exchanges can share them).
@functools.cache
def _embedded_data() -> dict[str, str]:
    from .engine.seed import data_texts

    return data_texts({}, None)


@functools.lru_cache(maxsize=8)
def _markets(text: str) -> tuple[Market, ...]:
    return tuple(load_markets(text=text))


@dataclass
class MockState:
    config: Config
    clock: Clock
    exchange: Exchange
    verifier: Verifier
    journal: Journal
    liquidity: LiquidityProvider | None
    coins: list[dict[str, Any]]
    rates: list[dict[str, Any]]
    demo: Account | None
    wallet: Wallet
    futures_liquidity: FuturesLiquidity | None = None  # the futures market maker (on wherever spot's is)
    faults: Faults = field(default_factory=Faults)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    counterparty: Counterparty = field(default_factory=Counterparty)
    extras: dict[str, Any] = field(default_factory=dict)
    durable: Durable | None = None  # the app's state directory hook (app.py owns it); kept across replace_with
    tenants: Tenants | None = None  # the root's (mockserver.tenants), None in a tenant; kept across replace_with
    # In-flight isolation: every reset/restore bumps it; a request begun under another one is refused.
    generation: int = 0
    # The data documents this exchange was built from (data_texts): a state directory keeps them.
    data: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, config: Config) -> MockState:
        """A fresh exchange from the config: markets, demo account, spot and futures liquidity, synthetic past."""
        if config.profile not in PROFILES:
            raise ValueError(f"unknown verification profile {config.profile!r}; known: {', '.join(PROFILES)}")
        parse_switches(config.switches)  # a bad switch fails at start, not at the first request
        clock = Clock(offset_ms=config.clock_offset_ms, frozen_at_ms=config.frozen_at_ms)
        from .engine.seed import data_texts

        if not config.data and config.markets_path is None:
            data = dict(_embedded_data())
        else:
            data = data_texts(config.data, config.markets_path)
        exchange = Exchange(list(_markets(data["markets.json"])), clock=clock, seed=config.seed)
        coins = json.loads(data["coins.json"])["coins"]
        state = cls(
            config=config,
            clock=clock,
            exchange=exchange,
            verifier=Verifier(PROFILES[config.profile], NonceStore()),
            journal=Journal(config.journal_size, tenant=config.tenant_id),
            liquidity=None,
            coins=coins,
            rates=json.loads(data["rates.json"])["rates"],
            demo=None,
            wallet=Wallet(exchange, coins),
            faults=Faults(config.seed),
            rate_limiter=RateLimiter(config.rate_limits),
        )
        state.data = data
        state.apply_switches()
        state.populate()
        return state

    @classmethod
    def restore(cls, config: Config, doc: Any) -> MockState:
        """A new state equal to the one the snapshot ``doc`` was dumped from, or :class:`SnapshotError`.

        :mod:`mockserver.control.snapshot` checks the document and hands over its parts; they are
        assembled here. Nothing outside the new state is touched, so a refused document changes nothing.
        """
        parts = load_snapshot(config, doc)
        try:
            return cls._assemble(parts)
        except SnapshotError:
            raise
        except Exception as exc:  # the checks should leave nothing to fail; never a 500 if they miss one
            raise SnapshotError(f"malformed snapshot: {exc!r}") from None

    @classmethod
    def _assemble(cls, parts: Restored) -> MockState:
        state = cls.build(parts.config)
        state.config = parts.settings
        ex = state.exchange
        try:
            ex.load_state(parts.engine, parts.futures)
        except EngineStateError as exc:
            raise SnapshotError(f"engine invariant broken: {exc}") from None
        try:
            state.wallet.load_state(parts.wallet)
        except ValueError as exc:
            raise SnapshotError(str(exc)) from None
        if parts.liquidity is not None:
            liq = LiquidityProvider(ex, levels=parts.liquidity_levels, spacing_bps=parts.liquidity_spacing_bps)
            liq.load_state(parts.liquidity)
            state.liquidity = liq
            liq.attach()
        if parts.futures_liquidity is not None:
            fliq = FuturesLiquidity(ex.futures, seed=parts.config.seed)  # its account is in the state loaded
            fliq.load_state(parts.futures_liquidity)
            state.futures_liquidity = fliq
            fliq.attach()
        state.demo = ex.accounts.get(parts.demo_account) if parts.demo_account else None
        ex.set_opening_balances(parts.opening_balances)
        state.verifier.nonces.load_rows(parts.nonces)
        return state

    def replace_with(self, other: MockState, *, keep_journal: bool = False) -> None:
        """Become ``other`` in place, so the app, its routes and in-process holders keep one object."""
        journal = self.journal
        generation = self.generation + 1  # in-flight isolation (mockserver.inflight)
        for f in fields(self):
            if f.name in ("durable", "tenants"):  # a reset or restore of the root leaves both alone
                continue
            setattr(self, f.name, getattr(other, f.name))
        self.generation = generation
        if keep_journal:
            self.journal = journal

    def reset(self, *, seed: int | None = None, keep_journal: bool = False) -> None:
        """A brand-new exchange from the config (optionally another seed): accounts, books, faults, clock."""
        if seed is not None:
            self.config = replace(self.config, seed=seed)
        self.replace_with(MockState.build(self.config), keep_journal=keep_journal)

    def populate(self) -> None:
        cfg, ex = self.config, self.exchange
        if cfg.liquidity:
            self.liquidity = LiquidityProvider(ex, levels=cfg.liquidity_levels, seed=cfg.seed)
            self.liquidity.attach()
            self.liquidity.seed_all()
        if cfg.demo_account:
            self.demo = ex.create_account(
                api_key=cfg.demo_api_key,
                secret=cfg.demo_secret,
                label="demo",
                balances=cfg.demo_balances,
                account_id="demo",
                futures_balances=cfg.demo_futures_balances,
            )
        if cfg.liquidity:  # after the demo account, so the demo's uid is the one it always had
            self.futures_liquidity = FuturesLiquidity(self.exchange.futures, levels=cfg.liquidity_levels, seed=cfg.seed)
            self.futures_liquidity.attach()
            self.futures_liquidity.seed_all()

    def switch(self, name: str) -> str:
        """The value in force of a :data:`~mockserver.fidelity.SWITCHES` behaviour (run-time, config, default)."""
        runtime: dict[str, str] = self.extras.get("switches", {})
        if name in runtime:
            return runtime[name]
        return self.config.switches.get(name) or SWITCHES[name].default

    def switches(self) -> dict[str, str]:
        return {name: self.switch(name) for name in SWITCHES}

    def set_switches(self, values: dict[str, str]) -> dict[str, str]:
        """Change switches at run time (until the next whole reset); ValueError names a bad one."""
        checked = parse_switches(values)
        self.extras.setdefault("switches", {}).update(checked)
        self.apply_switches()
        return self.switches()

    def apply_switches(self) -> None:
        """Hand the engine the switches it enforces itself (it never reads the state)."""
        self.exchange.price_band = self.switch("price_band")
        self.exchange.price_precision_code = self.switch("price_precision")
        self.wallet.network_names = self.switch("network_names")
        self.wallet.whitelist_on = self.switch("withdraw_whitelist") == "on"
        self.exchange.cancel_stall_ms = 60_000 if self.switch("cancel_by_client_id") == "stall" else 0

    def set_profile(self, name: str) -> None:
        """Switch the verification profile; the nonce memory carries over."""
        if name not in PROFILES:
            raise ValueError(f"unknown verification profile {name!r}")
        self.verifier = Verifier(PROFILES[name], self.verifier.nonces)
