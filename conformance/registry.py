"""The one registry of conformance rules: each rule is declared beside its check.

    @rule(
        "nonce.unique",
        title="Nonces are never reused",
        statement="Every signed request carries a nonce never sent before ...",
        ops=("balances", "order_detail", "pending_orders"),
        passes="every signed request has a nonce never sent before",
        warns="a nonce is not 32 characters",
        fails="a nonce is reused or missing",
        requires=(),
    )
    def check_nonce(ctx: Context) -> None: ...

Rules run in the order they are declared, so a rule may only require rules declared
before it; a duplicate id, an unknown requirement or an unknown operation is refused
when the module is imported. The runner, the CLI (``conformance rules``), the reports
and the rule tables of README.md and DRIVER.md (:mod:`conformance.docs`) all read
this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from .adapter import OPERATIONS, OPTIONAL_OPERATIONS
from .adapter_futures import FUTURES_OPERATIONS, PRODUCTS

if TYPE_CHECKING:
    from .context import Context

__all__ = ["DOC_WARN", "Registry", "Rule"]

#: What makes most rules WARN: a request that broke a documented rule the live exchange tolerates.
DOC_WARN = "a documented rule broken"

Check = Callable[["Context"], None]


@dataclass(frozen=True)
class Rule:
    """One rule: what it judges, what it needs, and the check that judges it."""

    id: str
    title: str
    #: one sentence: what the rule checks (the reports' "what it checks" column)
    statement: str
    check: Check
    #: rules that must pass (or warn, or be skipped) first; otherwise this one is reported blocked
    requires: tuple[str, ...] = ()
    #: the client operations the check calls (adapter or driver ops; ``sign`` and ``signed_get`` are optional)
    ops: tuple[str, ...] = ()
    #: README table: when the rule passes, when it warns (None: it cannot), when it fails
    passes: str = ""
    warns: str | None = DOC_WARN
    fails: str = ""
    #: the product whose client it judges: a client that does not declare it gets ``n/a`` for the rule
    product: str = "spot"


class Registry(Sequence[Rule]):
    """The rules in declaration (= run) order; ``registry.get(id)`` looks one up."""

    #: operations a rule may name: every adapter operation and the optional ones
    KNOWN_OPS = frozenset(OPERATIONS) | frozenset(FUTURES_OPERATIONS) | OPTIONAL_OPERATIONS

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, r: Rule) -> Rule:
        if r.id in self._rules:
            raise ValueError(f"conformance rule {r.id!r} is declared twice")
        unknown = [x for x in r.requires if x not in self._rules]
        if unknown:
            raise ValueError(
                f"conformance rule {r.id!r} requires {', '.join(unknown)}: not declared before it "
                "(rules run in declaration order)"
            )
        bad_ops = sorted(set(r.ops) - self.KNOWN_OPS)
        if bad_ops:
            raise ValueError(f"conformance rule {r.id!r} names unknown operations {bad_ops}")
        if r.product not in PRODUCTS:
            raise ValueError(f"conformance rule {r.id!r} judges an unknown product {r.product!r}")
        if (r.product == "futures") != r.id.startswith("futures."):
            raise ValueError(f"conformance rule {r.id!r}: futures rules, and only they, are named futures.<name>")
        if not (r.title and r.statement and r.passes and r.fails):
            raise ValueError(f"conformance rule {r.id!r} needs a title, a statement, passes and fails texts")
        self._rules[r.id] = r
        return r

    def rule(
        self,
        id: str,
        *,
        title: str,
        statement: str,
        passes: str,
        fails: str,
        warns: str | None = DOC_WARN,
        requires: tuple[str, ...] = (),
        ops: tuple[str, ...] = (),
    ) -> Callable[[Check], Check]:
        """Decorator: register the decorated function as the check of rule ``id``; returns it unchanged.

        A rule named ``futures.<name>`` judges the futures product; every other rule, spot."""
        product = "futures" if id.startswith("futures.") else "spot"

        def register(check: Check) -> Check:
            self.add(Rule(id, title, statement, check, requires, ops, passes, warns, fails, product))
            return check

        return register

    def get(self, id: str) -> Rule:
        try:
            return self._rules[id]
        except KeyError:
            raise KeyError(f"no conformance rule {id!r}; the rules: {', '.join(self._rules)}") from None

    def ids(self) -> list[str]:
        return list(self._rules)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._rules
        return item in self._rules.values()

    @overload
    def __getitem__(self, index: int) -> Rule: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Rule]: ...
    def __getitem__(self, index: int | slice) -> Rule | Sequence[Rule]:
        return list(self._rules.values())[index]

    def __iter__(self) -> Iterator[Rule]:
        return iter(list(self._rules.values()))

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"Registry({self.ids()})"
