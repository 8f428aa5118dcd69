"""The order life cycle: a hypothesis state machine of place/cancel/query steps against the engine's ledger."""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    run_state_machine_as_test,
)
from hypothesis.stateful import rule as step

from ..context import Context
from ..outcomes import RuleFailed
from .base import SIGNED, call, property_settings, rule, run_property


def _order_view(o: dict[str, Any]) -> tuple[Any, ...]:
    """What an order read back must agree on with the engine: side, type, status, amounts (as Decimals)."""
    return (
        int(o["side"]),
        int(o["type"]),
        int(o["status"]),
        *(Decimal(str(o.get(k) or 0)) for k in ("price", "volume", "deal_volume")),
    )


class _LedgerMachine(RuleBasedStateMachine):
    """Random place/cancel/query steps on one fresh account; after each, the client's view must equal the engine's.

    The account is opened by an ``@initialize`` step. Every order the exchange accepted goes into two
    bundles: ``open_orders``, which a cancel consumes from, and ``placed``, which a query draws from
    (cancelled orders included)."""

    ctx: Context
    open_orders = Bundle("open_orders")
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.session: AbstractContextManager[Any] | None = None

    @initialize()
    def open_account(self) -> None:
        self.ctx.target.reset()
        self.session = self.ctx.client()
        self.adapter, self.acct = self.session.__enter__()

    def teardown(self) -> None:
        if self.session is not None:
            self.session.__exit__(None, None, None)

    def _engine_orders(self) -> dict[str, dict[str, Any]]:
        return {o["order_id"]: o for o in self.ctx.target.call("GET", f"/accounts/{self.acct['api_key']}/orders")}

    @step(
        targets=(open_orders, placed),
        side=st.sampled_from([1, 2]),
        offset=st.integers(-3, 3),
        volume=st.sampled_from(["0.001", "0.0015", "0.01", "0.2"]),
    )
    def place(self, side: int, offset: int, volume: str) -> str | MultipleResults[str]:
        price = str(64000 + offset * 100)
        r = call(self.adapter, "place_order", "BTCUSDT", side, 1, volume, price, None)
        return str(r["order_id"]) if r["accepted"] else multiple()

    @step(order_id=consumes(open_orders))
    def cancel(self, order_id: str) -> None:
        call(self.adapter, "cancel_orders", [{"order_id": order_id, "symbol": "BTCUSDT"}])

    @step(order_id=placed)
    def query(self, order_id: str) -> None:
        mine = call(self.adapter, "order_detail", order_id)
        engine = self._engine_orders()[order_id]
        if not isinstance(mine, dict) or _order_view(mine) != _order_view(engine):
            raise RuleFailed(f"order_detail {order_id}: client says {mine}, engine says {engine}")

    @invariant()
    def client_view_matches_engine(self) -> None:
        engine = self.ctx.target.call("GET", f"/accounts/{self.acct['api_key']}")["balances"]
        seen = call(self.adapter, "balances")
        for coin, bal in engine.items():
            mine = seen.get(coin) or {"free": "0", "locked": "0"}
            if (Decimal(str(mine["free"])), Decimal(str(mine["locked"]))) != (
                Decimal(bal["free"]),
                Decimal(bal["locked"]),
            ):
                raise RuleFailed(f"client balances {coin} {mine} but the ledger holds {bal}")
        orders = self._engine_orders()
        pending = {o["order_id"]: o for o in call(self.adapter, "pending_orders", "BTCUSDT")}
        want = {oid for oid, o in orders.items() if o["status"] in (1, 3)}
        if set(pending) != want:
            raise RuleFailed(f"pending orders {sorted(pending)} but the engine has {sorted(want)} open")
        for oid, o in pending.items():
            if int(o["status"]) != orders[oid]["status"] or Decimal(str(o["deal_volume"])) != Decimal(
                orders[oid]["deal_volume"]
            ):
                raise RuleFailed(f"order {oid}: client says {o}, engine says {orders[oid]}")
        audit = self.ctx.target.call("GET", "/audit")
        if not audit["conserved"]:
            raise RuleFailed(f"money not conserved: {audit['imbalance']}")


@rule(
    "ledger.stateful",
    title="The client's view matches the ledger",
    statement="Random place/cancel/query steps: after each, balances, open orders, statuses and fills equal the "
    "engine's.",
    requires=(*SIGNED, "lists.null-or-empty"),
    ops=("place_order", "cancel_orders", "order_detail", "balances", "pending_orders"),
    passes="random place/cancel/query steps: after each, balances, open orders, statuses and fills equal the "
    "engine's (an order queried by id too), and money is conserved",
    fails="any divergence",
)
def check_ledger(ctx: Context) -> None:
    machine = type("LedgerMachine", (_LedgerMachine,), {"ctx": ctx})
    steps = max(5, min(20, ctx.examples))
    run_property(
        ctx,
        lambda: run_state_machine_as_test(
            machine,
            settings=property_settings(ctx, max_examples=max(3, ctx.examples // 5), stateful_step_count=steps),
        ),
    )
