"""Tenants: many independent mock exchanges behind one server, one per test.

A tenant is a complete mock - its own :class:`~mockserver.state.MockState` (exchange,
accounts and keys, journal, nonces, faults, clock, switches, profile) served by its own
app - created through the root's admin API and served under a path prefix on the same port::

    POST http://host:port/_mock/tenants {"seed": 7}
        -> {"id": "3f9c0a1b2c4d", "url": "http://host:port/t/3f9c0a1b2c4d", ...}
    http://host:port/t/3f9c0a1b2c4d/api/spot/v1/...      its exchange
    http://host:port/t/3f9c0a1b2c4d/_mock/...            its admin API: MockAdmin(url) works unchanged

Bitunix signs the query and the body, never the path, so a client given the tenant URL as
its base URL signs exactly as it would against the real exchange. Parallel tests against one
server each get their own tenant (the pytest plugin does it), so no test can reset, steer or
read what another uses; deleting a tenant refuses its requests still in flight
(:mod:`mockserver.api.inflight`), and the ones after answer 404.

A tenant is built from its spec (:class:`~mockserver.control.schema.TenantSpec`: seed,
liquidity, profile, switches, rate limits) over the defaults - never from the root
exchange's own ``--seed``, ``--profile``, ``--switch``, ``--no-liquidity`` or
``--rate-limits`` - so a test sees the same world whichever server it runs against. It
shares the server-wide settings: the data documents (markets, coins, rates: the ones the
root keeps in force, from a state directory, else the ``--markets`` file and the embedded
ones), the admin guard (token, allowed hosts: :mod:`mockserver.control.access`), trusted
proxies, body limit, journal size, diagnosis. Tenants live in memory only (``--state`` keeps
the root exchange, never a tenant), and are bounded: at most ``Config.max_tenants`` at once;
when full, those nobody called for ``Config.tenant_idle_s`` are deleted to make room, and
otherwise a new one is refused (429) with the way out.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from .config import ADMIN_PREFIX, Config
from .control.controller import AdminError
from .control.schema import TenantSpec
from .fidelity import parse_switches

if TYPE_CHECKING:
    from .app import MockApp
    from .state import MockState

__all__ = ["TENANT_PREFIX", "Tenant", "Tenants"]

#: A tenant is served below this prefix plus its id: ``/t/<id>/api/spot/v1/...``, ``/t/<id>/_mock/...``.
TENANT_PREFIX = "/t/"


@dataclass
class Tenant:
    id: str
    app: MockApp
    spec: TenantSpec
    used: float  # the registry clock's reading at the last request (monotonic seconds)

    @property
    def state(self) -> MockState:
        state: MockState = self.app.state.mock
        return state


class Tenants:
    """The root server's tenants: create, find, list, delete, and route a request to its tenant."""

    def __init__(
        self, root: Config, build: Callable[[Config], MockApp], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.root = root
        self._build = build  # mockserver.app.create_app (injected: app.py imports this module)
        self._clock = clock
        self._live: dict[str, Tenant] = {}
        self._lock = threading.Lock()  # create/delete; a request's lookup is one dict read
        self.deleted = 0

    # ------------------------------------------------------------------ lifecycle

    def create(self, spec: TenantSpec) -> Tenant:
        """A new tenant from ``spec``; AdminError when tenants are off, a switch is bad or the server is full."""
        limit = self.root.max_tenants
        if limit <= 0:
            raise AdminError(403, "tenants are off on this server (started with --max-tenants 0)")
        try:
            switches = parse_switches(spec.switches)
        except ValueError as exc:
            raise AdminError(400, f"switches: {exc}") from None
        with self._lock:
            if len(self._live) >= limit:
                self._expire()
            if len(self._live) >= limit:
                raise AdminError(
                    429,
                    f"tenants: {len(self._live)} live, the server's limit (--max-tenants {limit}); delete finished "
                    f"ones (DELETE {ADMIN_PREFIX}/tenants/<id>; GET {ADMIN_PREFIX}/tenants lists them with their "
                    f"labels and idle time), wait until one has been idle {self.root.tenant_idle_s:g} s, or start "
                    "the server with a higher --max-tenants",
                )
            tenant_id = secrets.token_hex(6)
            while tenant_id in self._live:  # pragma: no cover - 48 random bits
                tenant_id = secrets.token_hex(6)
            root = self.root
            config = Config(
                host=root.host,
                port=root.port,
                markets_path=root.markets_path,
                data=dict(root.data),  # the documents the root keeps in force (a state directory's), if any
                admin_token=root.admin_token,
                admin_allowed_hosts=root.admin_allowed_hosts,
                trusted_proxies=root.trusted_proxies,
                max_body_bytes=root.max_body_bytes,
                journal_size=root.journal_size,
                always_diagnose=root.always_diagnose,
                seed=spec.seed,
                liquidity=spec.liquidity,
                profile=spec.profile,
                switches=switches,
                rate_limits=spec.rate_limits,
                tenant_id=tenant_id,
            )
            tenant = Tenant(tenant_id, self._build(config), spec, self._clock())
            self._live[tenant_id] = tenant
            return tenant

    def get(self, tenant_id: str) -> Tenant | None:
        return self._live.get(tenant_id)

    def delete(self, tenant_id: str) -> bool:
        """Forget the tenant; its requests still in flight are refused (its generation moves on)."""
        with self._lock:
            tenant = self._live.pop(tenant_id, None)
            if tenant is None:
                return False
            tenant.state.generation += 1  # mockserver.api.inflight: begun under the old generation -> refused
            self.deleted += 1
            return True

    def _expire(self) -> None:
        """Delete tenants nobody has called for ``tenant_idle_s`` (a test run killed before its teardown)."""
        cutoff = self._clock() - self.root.tenant_idle_s
        for tenant in [t for t in self._live.values() if t.used <= cutoff]:
            self._live.pop(tenant.id, None)
            tenant.state.generation += 1
            self.deleted += 1

    def __len__(self) -> int:
        return len(self._live)

    def all(self) -> list[Tenant]:
        return list(self._live.values())

    def churn(self) -> int:
        """Grows whenever a tenant's exchange is dropped (deleted, reset, restored): the collector
        policy (mockserver.gcpolicy) then collects everything, since the dropped one was frozen."""
        return self.deleted + sum(t.state.generation for t in list(self._live.values()))

    def describe(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        """A tenant as the admin API shows it; ``base_url`` is the root's URL as the caller reached it."""
        spec = tenant.spec
        return {
            "id": tenant.id,
            "url": f"{base_url}{TENANT_PREFIX}{tenant.id}",
            "label": spec.label,
            "seed": spec.seed,
            "liquidity": spec.liquidity,
            "profile": spec.profile,
            "switches": dict(spec.switches),
            "rate_limits": spec.rate_limits,
            "idle_ms": int((self._clock() - tenant.used) * 1000),
            "requests": len(tenant.state.journal),
        }

    # ------------------------------------------------------------------ serving

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand ``/t/<id>/rest`` to the tenant's app as ``/rest`` (root_path ``/t/<id>``), or answer 404."""
        path: str = scope["path"]
        tenant_id, _, rest = path[len(TENANT_PREFIX) :].partition("/")
        tenant = self._live.get(tenant_id)
        if tenant is None:
            await self._unknown(tenant_id, "/" + rest)(scope, receive, send)
            return
        tenant.used = self._clock()
        prefix = TENANT_PREFIX + tenant_id
        inner = dict(scope)
        inner["path"] = "/" + rest
        raw: bytes | None = scope.get("raw_path")
        if raw is not None:
            inner["raw_path"] = raw[len(prefix) :] or b"/"
        inner["root_path"] = scope.get("root_path", "") + prefix
        await tenant.app(inner, receive, send)

    def _unknown(self, tenant_id: str, rest: str) -> Response:
        shown = tenant_id if len(tenant_id) <= 40 else tenant_id[:40] + "..."
        message = (
            f"no tenant {shown!r} on this server: deleted, expired (idle over {self.root.tenant_idle_s:g} s "
            f"while the server was full) or never created; GET {ADMIN_PREFIX}/tenants lists the live ones"
        )
        if rest.startswith(ADMIN_PREFIX + "/") or rest == ADMIN_PREFIX:
            return JSONResponse({"error": message}, status_code=404)
        # An exchange path: the exchange's own 404 envelope, the reason where the mock puts its reasons.
        body = {"code": "404", "msg": "Not Found", "data": None, "success": False}
        return JSONResponse(
            body, status_code=404, headers={"x-mock-diagnosis": message.encode("ascii", "replace").decode()}
        )
