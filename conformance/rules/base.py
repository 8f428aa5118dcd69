"""What every rule module shares: the registry the rules are declared in, and the helpers their checks call.

:data:`RULES` is the one :class:`conformance.registry.Registry`; ``rule`` is its decorator. ``call`` runs a
client operation (a non-``ClientError`` exception is a crash, reported with its operation and traceback);
``traffic`` runs one a rule only needs as traffic (errors and crashes are noted, never raised, so a crash
in one operation neither hides the property the rule judges nor blocks the rules that depend on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from ..adapter import ClientCrashed, ClientError, traceback_excerpt
from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped
from ..registry import Registry

__all__ = [
    "PHASES",
    "RULES",
    "SIGNED",
    "SIGNED_REJECTIONS",
    "call",
    "crash_hint",
    "flagged",
    "judge_nonces",
    "judge_timestamps",
    "property_settings",
    "rule",
    "run_property",
    "signed_entries",
    "traffic",
]

SIGNED_REJECTIONS = {"100004", "100005", "100008", "900001", "900002"}


#: Every rule, in declaration (= run) order: declare one with ``@rule(...)`` on its check.
RULES = Registry()
rule = RULES.rule
#: what every rule that needs a working signed call requires
SIGNED = ("nonce.unique", "timestamp.fresh", "signing.generated")


def call(adapter: Any, op: str, *args: Any) -> Any:
    """Run an operation; a non-ClientError exception is a crash, reported with its operation and traceback."""
    try:
        return getattr(adapter, op)(*args)
    except (ClientError, RuleSkipped):  # a driver without an optional operation skips the rule
        raise
    except ClientCrashed as crash:
        crash.operation = crash.operation or op
        raise
    except Exception as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            exc = exc.with_traceback(exc.__traceback__.tb_next)  # from the client's frame on, not the kit's
        raise ClientCrashed(
            f"{op} raised {type(exc).__name__}: {exc}", operation=op, excerpt=traceback_excerpt(exc)
        ) from exc


def traffic(ctx: Context, adapter: Any, op: str, *args: Any) -> Any:
    """An operation the rule only needs as traffic: errors and crashes are noted, never raised."""
    try:
        return call(adapter, op, *args)
    except ClientError:
        return None
    except ClientCrashed as crash:
        ctx.crashed(crash, op)
        return None


def crash_hint(ctx: Context) -> str:
    if not ctx.crashes:
        return ""
    c = ctx.crashes[0]
    return f" (the client crashed in {c['operation']}: {c['error']})"


#: The kit's hypothesis phases: all but ``explain``. Once a test fails, explain runs every later example
#: under a line tracer and then re-runs the shrunk example with each part varied, to comment which parts
#: did not matter: hundreds of extra client calls (24 of 26 s for a signer that breaks on non-ASCII).
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)


def property_settings(ctx: Context, **kw: Any) -> settings:
    """Settings for a property rule: no deadline (the client's latency is not judged), no example
    database (each run judges afresh), no health checks (a slow client is still judged), no explain;
    with ``ctx.derandomize``, the same examples on every run."""
    return settings(
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=PHASES,
        print_blob=False,
        derandomize=ctx.derandomize,
        **kw,
    )


def run_property(ctx: Context, test: Callable[[], None]) -> None:
    """Run a hypothesis test; on failure keep the shrunk example in the RuleFailed."""
    try:
        test()
    except RuleFailed as failure:
        notes = "\n".join(getattr(failure, "__notes__", []))
        failure.example = failure.example or notes
        raise
    except ClientCrashed as crash:
        notes = "\n".join(getattr(crash, "__notes__", []))
        raise RuleFailed(f"the client crashed: {crash}", example=notes, traceback=crash.excerpt) from None


def signed_entries(ctx: Context, api_key: str) -> list[dict[str, Any]]:
    """The client's signed requests as the exchange saw them, oldest first."""
    entries = [e for e in ctx.target.journal(api_key) if e["headers"].get("api-key")]
    if not entries:
        raise RuleFailed("no signed request from the client reached the exchange" + crash_hint(ctx))
    return entries


def flagged(entry: dict[str, Any], rule: str) -> bool:
    return any(w.get("rule") == rule for w in entry.get("warnings") or ())


def judge_nonces(ctx: Context, entries: list[dict[str, Any]], *, missing: str, reused: str) -> None:
    """Every signed request carries a nonce used once; a nonce not 32 characters long is a warning (live takes it).

    ``missing`` and ``reused`` are the product's failure texts, formatted with ``id``, ``op``, ``nonce``
    and ``first`` (the request that used the nonce first).
    """
    seen: dict[str, int] = {}
    for e in entries:
        nonce = e["headers"].get("nonce", "")
        if not nonce:
            raise RuleFailed(missing.format(id=e["id"], op=e["operation"]), **ctx.evidence(e))
        if nonce in seen:
            text = reused.format(nonce=nonce, first=seen[nonce], id=e["id"], op=e["operation"])
            raise RuleFailed(text, **ctx.evidence(e))
        seen[nonce] = e["id"]
        if len(nonce) != 32 and not flagged(e, "nonce-length"):
            ctx.warn("nonce-length", f"nonce is {len(nonce)} characters; the docs ask 32", e)


def judge_timestamps(ctx: Context, entries: list[dict[str, Any]], *, not_ms: str, behind: str) -> None:
    """Timestamps are 13-digit milliseconds at most 60 s behind the server clock at arrival; ahead of it by more
    than 60 s is a warning. ``not_ms`` (with ``ts``) and ``behind`` (with ``ts`` and ``behind``, in ms) are the
    product's failure texts."""
    for e in entries:
        ts = e["headers"].get("timestamp", "")
        if not ts.isdigit() or len(ts) != 13:
            raise RuleFailed(not_ms.format(ts=ts), **ctx.evidence(e))
        ahead = int(ts) - e["time_ms"]
        if ahead < -60_000:
            raise RuleFailed(behind.format(ts=ts, behind=-ahead), **ctx.evidence(e))
        if ahead > 60_000 and not flagged(e, "timestamp-ahead"):
            ctx.warn("timestamp-ahead", f"timestamp {ahead} ms ahead of server time; the docs allow 60000", e)
