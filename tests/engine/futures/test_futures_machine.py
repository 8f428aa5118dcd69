"""The futures money state machine: random operations on both position and margin modes.

Accounts trade BTCUSDT and ETHUSDT against each other with limit and market orders of every
effect, reduce-only and hedge closes, change leverage, margin and position modes, adjust
margin, place TP/SL, while the mark moves, the clock passes funding instants and positions get
liquidated; a rule moves the mark or last price to a pending TP/SL's trigger, so TP/SL fire
(``test_the_machine_fires_tp_sl_and_liquidates`` counts that they do). Any step may be refused;
after every step:

1. the exchange's problems are empty: conservation of the ledger, futures wallets' locked
   balance == frozen + margin of their orders and positions, no negative balance, positions
   equal to the net of their fills, books hold exactly the open orders;
2. the futures audit is all zeros: clearing and fee accounts match what moved, realized PnL is
   zero-sum against the open entry values;
3. a refused operation changed nothing;
4. no pending TP/SL is left whose trigger the current mark or last price has reached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from mockserver.clock import Clock
from mockserver.engine import Exchange, load_markets
from mockserver.engine.futures import Futures, TpslRequest
from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.futures_errors import FuturesError

from ...helpers import examples
from .conftest import T0

ACCOUNTS = ("a", "b", "c")
SYMBOLS = {"BTCUSDT": (Decimal("98000"), Decimal("0.001")), "ETHUSDT": (Decimal("3500"), Decimal("0.01"))}
HOUR = 3_600_000

accounts = st.sampled_from(ACCOUNTS)
symbols = st.sampled_from(sorted(SYMBOLS))


class FuturesMachine(RuleBasedStateMachine):
    ex: Exchange
    f: Futures
    #: What the runs covered, over every example (read by the coverage probe test).
    seen: ClassVar[Counter[str]] = Counter()

    @initialize()
    def build(self) -> None:
        self.clock = Clock(frozen_at_ms=T0)
        self.ex = Exchange(load_markets(), clock=self.clock)
        self.f = self.ex.futures
        for a in ACCOUNTS:
            self.ex.create_account(account_id=a)
            self.f.fund(a, Decimal(20000))
        self.refusals = 0
        self.fired = 0
        self.liquidated = 0

    def saw(self, what: str, n: int = 1) -> None:
        event(what)
        FuturesMachine.seen[what] += n

    def attempt(self, op: Callable[[], Any]) -> None:
        """Run ``op``; a refusal must leave the futures state and the ledger exactly as they were."""
        before = (self.f.export_state(), self.ex._ledger.export_balances())
        try:
            op()
        except FuturesError as e:
            self.refusals += 1
            FuturesMachine.seen["refused " + e.code] += 1
            assert (self.f.export_state(), self.ex._ledger.export_balances()) == before

    def price(self, symbol: str, offset_bp: int) -> Decimal:
        v = self.f.venues[symbol]
        tick = v.c.tick
        mark = self.f.funding_info(symbol).mark_price
        return max(tick, (mark * (1 + Decimal(offset_bp) / 10000)).quantize(tick))

    @rule(
        acct=accounts,
        symbol=symbols,
        side=st.sampled_from(("BUY", "SELL")),
        market=st.booleans(),
        offset_bp=st.integers(-300, 300),
        lots=st.integers(1, 400),
        effect=st.sampled_from(("GTC", "GTC", "IOC", "FOK", "POST_ONLY")),
        reduce_only=st.booleans(),
        close=st.booleans(),
    )
    def place(
        self,
        acct: str,
        symbol: str,
        side: str,
        market: bool,
        offset_bp: int,
        lots: int,
        effect: str,
        reduce_only: bool,
        close: bool,
    ) -> None:
        lot = SYMBOLS[symbol][1]
        hedge = self.f.position_mode(acct) == "HEDGE"
        req = R(
            symbol,
            side,
            lot * lots,
            order_type="MARKET" if market else "LIMIT",
            price=None if market else self.price(symbol, offset_bp),
            trade_side=("CLOSE" if close else "OPEN") if hedge else None,
            effect=effect,
            reduce_only=reduce_only and not hedge,
        )
        self.attempt(lambda: self.f.place(acct, req))

    @rule(acct=accounts, pick=st.integers(0, 50))
    def cancel(self, acct: str, pick: int) -> None:
        open_ = [o for o in self.f.orders.values() if o.account_id == acct and o.is_open]
        if open_:
            o = open_[pick % len(open_)]
            self.attempt(lambda: self.f.cancel_orders(acct, o.symbol, [(o.order_id, None)]))

    @rule(acct=accounts, symbol=symbols, leverage=st.integers(1, 130))
    def leverage(self, acct: str, symbol: str, leverage: int) -> None:
        self.attempt(lambda: self.f.change_leverage(acct, symbol, leverage))

    @rule(acct=accounts, symbol=symbols, mode=st.sampled_from(("ISOLATION", "CROSS")))
    def margin_mode(self, acct: str, symbol: str, mode: str) -> None:
        self.attempt(lambda: self.f.change_margin_mode(acct, symbol, mode))

    @rule(acct=accounts, mode=st.sampled_from(("ONE_WAY", "HEDGE")))
    def position_mode(self, acct: str, mode: str) -> None:
        self.attempt(lambda: self.f.change_position_mode(acct, mode))

    @rule(acct=accounts)
    def cancel_all(self, acct: str) -> None:
        self.attempt(lambda: self.f.cancel_all_orders(acct))

    @rule(symbol=symbols, offset_bp=st.integers(-800, 800), follow=st.booleans())
    def mark(self, symbol: str, offset_bp: int, follow: bool) -> None:
        self.f.set_mark_price(symbol, self.price(symbol, offset_bp), follow_last=follow)

    @rule(hours=st.integers(1, 9))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours * HOUR)
        self.f.advance()

    @rule(symbol=symbols, rate=st.integers(-30, 30))
    def funding(self, symbol: str, rate: int) -> None:
        self.f.set_funding_rate(symbol, Decimal(rate) / 100)
        self.f.settle_funding(symbol)

    @rule(acct=accounts, pick=st.integers(0, 50), amount=st.integers(-200, 200))
    def adjust(self, acct: str, pick: int, amount: int) -> None:
        held = [p for p in self.f.positions.values() if p.account_id == acct]
        if held and amount:
            p = held[pick % len(held)]
            self.attempt(
                lambda: self.f.adjust_position_margin(acct, p.symbol, Decimal(amount), position_id=p.position_id)
            )

    @rule(
        acct=accounts,
        pick=st.integers(0, 50),
        tp_bp=st.integers(-50, 500),
        sl_bp=st.integers(-50, 500),
        legs=st.sampled_from(("tp", "sl", "both")),
        order_level=st.booleans(),
    )
    def tpsl(self, acct: str, pick: int, tp_bp: int, sl_bp: int, legs: str, order_level: bool) -> None:
        """Mostly valid TP/SL (on the profitable / losing side of the position), sometimes not."""
        held = [p for p in self.f.positions.values() if p.account_id == acct]
        if not held:
            return
        p = held[pick % len(held)]
        sign = 1 if p.side == "LONG" else -1
        qty = self.f._dec_qty(self.f.venues[p.symbol], max(1, p.qty_lots // 2))
        req = TpslRequest(
            p.symbol,
            p.position_id,
            tp_price=self.price(p.symbol, sign * tp_bp) if legs != "sl" else None,
            tp_stop_type="MARK_PRICE",
            tp_qty=qty if order_level and legs != "sl" else None,
            sl_price=self.price(p.symbol, -sign * sl_bp) if legs != "tp" else None,
            sl_stop_type="LAST_PRICE",
            sl_qty=qty if order_level and legs != "tp" else None,
        )
        place = self.f.tpsl_place if order_level else self.f.position_tpsl_place
        before = len(self.f.tpsl)
        self.attempt(lambda: place(acct, req))
        if len(self.f.tpsl) > before:
            self.saw("tp/sl placed")

    @rule(acct=accounts, pick=st.integers(0, 50))
    def flash_close(self, acct: str, pick: int) -> None:
        held = [p for p in self.f.positions.values() if p.account_id == acct]
        if held:
            p = held[pick % len(held)]
            self.attempt(lambda: self.f.flash_close(acct, p.position_id))

    @rule(acct=accounts, symbol=symbols, side=st.sampled_from(("LONG", "SHORT")), lots=st.integers(1, 200))
    def open_directly(self, acct: str, symbol: str, side: str, lots: int) -> None:
        self.attempt(lambda: self.f.open_position(acct, symbol, side, SYMBOLS[symbol][1] * lots))

    @rule(
        pick=st.integers(0, 50),
        leg=st.sampled_from(("tp", "sl")),
        beyond_bp=st.integers(0, 30),
        counter=st.sampled_from((None, *ACCOUNTS)),
    )
    def reach_trigger(self, pick: int, leg: str, beyond_bp: int, counter: str | None) -> None:
        """Move the price a pending TP/SL watches (mark or last) to its trigger or beyond; first,
        maybe, ``counter`` rests an order there for the TP/SL's closing order to trade with."""
        pending = [t for t in self.f.tpsl.values() if t.status == "NEW" and getattr(t, f"{leg}_price_ticks")]
        if not pending:
            # none to reach: give a position a TP 2 % away from the mark (valid by construction)
            owned = [p for p in self.f.positions.values() if p.account_id in ACCOUNTS]
            if not owned:
                return
            o = owned[pick % len(owned)]
            tp = self.price(o.symbol, 200 if o.side == "LONG" else -200)
            req = TpslRequest(o.symbol, o.position_id, tp_price=tp, tp_stop_type="MARK_PRICE")
            self.attempt(lambda: self.f.position_tpsl_place(o.account_id, req))
            leg = "tp"
            pending = [t for t in self.f.tpsl.values() if t.status == "NEW" and t.position_id == o.position_id]
            if not pending:
                return
        t = pending[pick % len(pending)]
        p = self.f.positions.get(t.position_id)
        if p is None:
            return
        v = self.f.venues[t.symbol]
        ticks = getattr(t, f"{leg}_price_ticks")
        up = (leg == "tp") == (p.side == "LONG")  # a long's TP and a short's SL fire at or above
        target = ticks * (10000 + beyond_bp) // 10000 if up else ticks * (10000 - beyond_bp) // 10000
        price = self.f._dec_price(v, max(1, target))
        held = p.qty_lots
        if counter is not None and counter != p.account_id:
            hedge = self.f.position_mode(counter) == "HEDGE"
            side = "BUY" if p.side == "LONG" else "SELL"
            qty = self.f._dec_qty(v, held)
            rest = R(t.symbol, side, qty, price=price, trade_side="OPEN" if hedge else None, effect="POST_ONLY")
            self.attempt(lambda: self.f.place(counter, rest))
            if any(o.is_open for o in self.f.orders.values() if o.account_id == counter and o.symbol == t.symbol):
                self.saw("counter order resting")
        if getattr(t, f"{leg}_stop_type") == "MARK_PRICE":
            self.f.set_mark_price(t.symbol, price, follow_last=False)
        else:
            self.f.set_last_price(t.symbol, price)
        assert t.status != "NEW", f"{t.tpsl_id}: {leg} trigger reached, yet it did not fire"
        self.saw(f"reached {t.kind} {leg} -> {t.status}")
        if t.status == "FILLED" and (p.position_id not in self.f.positions or p.qty_lots < held):
            self.saw(f"{t.kind} closed (part of) its position")

    @invariant()
    def sound(self) -> None:
        if hasattr(self, "ex"):
            assert self.ex.problems() == []
            assert all(v == 0 for v in self.f.audit().values()), self.f.audit()

    @invariant()
    def no_trigger_left_due(self) -> None:
        if not hasattr(self, "ex"):
            return
        for t in self.f.tpsl.values():
            p = self.f.positions.get(t.position_id)
            if t.status != "NEW" or p is None:
                continue
            v = self.f.venues[t.symbol]
            for leg, ticks, stop in (
                ("tp", t.tp_price_ticks, t.tp_stop_type),
                ("sl", t.sl_price_ticks, t.sl_stop_type),
            ):
                ref = v.row.mark_ticks if stop == "MARK_PRICE" else v.row.last_ticks
                up = (leg == "tp") == (p.side == "LONG")
                assert not ticks or (ref < ticks if up else ref > ticks), f"{t.tpsl_id}: {leg} due at {ref}"

    @invariant()
    def count(self) -> None:
        if not hasattr(self, "ex"):
            return
        fired = sum(1 for t in self.f.tpsl.values() if t.status in ("FILLED", "FAILED"))
        if fired > self.fired:
            self.saw("tp/sl fired", fired - self.fired)
            self.fired = fired
        liquidated = sum(1 for p in self.f.closed if p.liq_lots and p.account_id in ACCOUNTS)
        if liquidated > self.liquidated:
            self.saw("liquidation", liquidated - self.liquidated)
            self.liquidated = liquidated


FuturesMachine.TestCase.settings = settings(
    max_examples=examples(50),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFuturesMachine = FuturesMachine.TestCase


def test_the_machine_fires_tp_sl_and_liquidates() -> None:
    """A counted probe: a fixed (derandomized) run of the machine sees TP/SL fire, one of them close
    (part of) its position, and liquidations - the rules reach what the invariants are meant to judge."""
    FuturesMachine.seen.clear()
    run_state_machine_as_test(
        FuturesMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    seen = FuturesMachine.seen
    assert seen["tp/sl fired"] >= 5, seen
    assert seen["POSITION_TPSL closed (part of) its position"] + seen["TPSL closed (part of) its position"] >= 1, seen
    assert seen["liquidation"] >= 1, seen
