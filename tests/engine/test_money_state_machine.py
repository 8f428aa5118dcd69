"""The money state machine: one in-process exchange driven by random operations with nasty amounts.

Every step is an engine, wallet or admin call (fast) or a signed request through the
HTTP pipeline (so parameter validation is exercised too). Any step may be refused -
that is the point of the nasty amounts - but after every step:

1. ``exchange.audit()`` computes and is all zeros (money is neither created nor lost);
2. per account and coin, ledger locked == sum of ``order.locked`` of its open orders in that coin;
3. no balance is negative;
4. every open limit order rests in its book and no closed order does;
5. a refused operation left the snapshot (clock ignored) exactly as before it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from mockserver import Config, create_app
from mockserver.api.bounds import bounded_decimal
from mockserver.control.controller import AdminError, Controller
from mockserver.engine import OrderStatus, OrderType, PlaceRequest, Side
from mockserver.engine.money import ZERO, add, decimals_of
from mockserver.errors import BitunixError, PlaceRefusal
from mockserver.state import MockState

from ..helpers import WHITELISTED, examples, fresh_nonce, sign_parts

NOW_MS = 1_760_000_000_000
SPOT = "/api/spot/v1"
SYMBOLS = ("BTCUSDT", "ETHUSDT")
COINS = ("USDT", "BTC", "ETH")
#: What a step may raise when it is refused; anything else is a bug.
REFUSALS = (BitunixError, PlaceRefusal, AdminError, ValueError)

# ----------------------------------------------------------------- amounts

#: Amounts from the nasty end, as text: dust, huge, exponent forms, zero and negatives.
NASTY = (
    "1E-8",
    "1E-18",
    "1E-30",
    "1E-55",
    "1E-58",
    "1E+19",
    "1e3",
    "12345678901234567890",
    "99999999999999999999",
    "1234567890123456789012345678901234567890",
    "0",
    "0E-40",
    "-0",
    "-1",
    "-1E-8",
    "0.000001",
    "0.0000001",
    "0.00001",
    "0.000001",
    "0.01",
    "0.001",
    "1.000000000000000000000000000001",
)


def _sane(places: int, low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: format(Decimal(n).scaleb(-places), "f"))


# An amount is (text, as_json_number): a JSON number literal or a JSON string.
amounts = st.tuples(
    st.one_of(st.sampled_from(NASTY), _sane(5, 1, 200_000), _sane(2, 1, 2_000_000), _sane(8, 1, 10**9)),
    st.booleans(),
)
# Order volumes: mostly ones a pair takes (base lots fit BTC's 5 and ETH's 4 decimals; quote
# amounts for market buys), often enough nasty.
volumes = st.one_of(
    st.tuples(_sane(4, 1, 5_000), st.booleans()),
    st.tuples(_sane(2, 500, 500_000), st.booleans()),
    amounts,
)
# Prices: near the pair's reference (to trade), exactly at and one beyond its precision, or nasty.
price_ticks = st.integers(-30, 30)


def _raw(amount: tuple[str, bool]) -> Any:
    """The value as the JSON decoder hands it over: a Decimal for a JSON number, else the string."""
    text, as_number = amount
    return Decimal(text) if as_number else text


def _json(amount: tuple[str, bool]) -> str:
    text, as_number = amount
    return text if as_number else json.dumps(text)


def _bounded(amount: tuple[str, bool]) -> Decimal:
    """The engine's contract: amounts enter through the numeric boundary (ValueError otherwise)."""
    return bounded_decimal(_raw(amount), "amount")


def _coin_places(state: MockState, coin: str) -> int:
    """Decimals a coin moves with inside the exchange: the finest of its networks' contractPrecision."""
    row = state.wallet.coins[coin]
    return max(int(n.get("contractPrecision", 8)) for n in row["networks"])


def _dust(state: MockState, coin: str, amount: tuple[str, bool]) -> bool:
    """``amount`` is a decimal the coin cannot carry (more places than its precision)."""
    try:
        value = Decimal(amount[0])
    except ArithmeticError:
        return False
    return value.is_finite() and value > 0 and decimals_of(value) > _coin_places(state, coin)


def _snap(state: MockState) -> dict[str, Any]:
    doc = Controller(state).snapshot()
    doc.pop("clock", None)
    doc.pop("nonces", None)  # a request refused after auth has spent its nonce, as live
    return doc


class MoneyMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")
    orders = Bundle("orders")
    withdrawals = Bundle("withdrawals")

    def __init__(self) -> None:
        super().__init__()
        self.app: Any = None
        self.loop = asyncio.new_event_loop()
        self.http: httpx.AsyncClient | None = None
        self.secrets: dict[str, str] = {}
        self.last_refused: str | None = None

    # ----------------------------------------------------------- helpers

    @property
    def state(self) -> MockState:
        state: MockState = self.app.state.mock
        return state

    def teardown(self) -> None:
        if self.http is not None:
            self.loop.run_until_complete(self.http.aclose())
        self.loop.close()

    def account_id(self, key: str) -> str:
        return Controller(self.state).account(key).account_id

    def attempt(self, what: str, op: Callable[[], Any], accepted: Callable[[Any], bool] = lambda _: True) -> Any:
        """Run ``op``; when it is refused (an allowed exception, or ``accepted`` says no) nothing may change."""
        before = _snap(self.state)
        try:
            result = op()
        except REFUSALS as exc:
            after = _snap(self.state)
            assert after == before, f"{what} raised {exc!r} but changed the exchange"
            return None
        if not accepted(result):
            assert _snap(self.state) == before, f"{what} was refused ({result!r}) but changed the exchange"
            return None
        return result

    def send(self, key: str, path: str, body: bytes) -> dict[str, Any]:
        """A correctly signed POST through the whole pipeline; the envelope must be well formed."""
        assert self.http is not None
        nonce, ts = fresh_nonce(), str(self.state.clock.now_ms())
        headers = {
            "api-key": key,
            "nonce": nonce,
            "timestamp": ts,
            "sign": sign_parts(nonce, ts, key, self.secrets[key], "", body),
            "content-type": "application/json",
        }
        resp = self.loop.run_until_complete(self.http.post(path, content=body, headers=headers))
        assert resp.status_code == 200, (path, body, resp.status_code, resp.text)
        doc: dict[str, Any] = resp.json()
        assert set(doc) == {"code", "msg", "data", "success"}, doc
        assert doc["code"] != "500", f"{path} {body!r} -> {doc}"
        return doc

    @staticmethod
    def envelope_ok(doc: dict[str, Any]) -> bool:
        data = doc["data"]
        return doc["code"] == "0" and not (isinstance(data, dict) and data.get("placeStatus") == 0)

    # ------------------------------------------------------------- setup

    @initialize(target=accounts, seed=st.integers(0, 2**16), liquidity=st.booleans(), n=st.integers(2, 3))
    def open_exchange(self, seed: int, liquidity: bool, n: int) -> Any:
        self.app = create_app(Config(liquidity=liquidity, liquidity_levels=3, seed=seed, frozen_at_ms=NOW_MS))
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://mock")
        ctl = Controller(self.state)
        keys = []
        for i in range(n):
            doc = ctl.create_account({"label": f"m{i}", "balances": {"USDT": "100000", "BTC": "2", "ETH": "20"}})
            self.secrets[doc["api_key"]] = doc["secret"]
            keys.append(doc["api_key"])
            ctl.withdraw_addresses(doc["api_key"], list(WHITELISTED))  # registered, as on the website
        return multiple(*keys)

    # --------------------------------------------------- engine and admin

    @rule(key=accounts, coin=st.sampled_from(COINS), amount=amounts)
    def fund(self, key: str, coin: str, amount: tuple[str, bool]) -> None:
        self.attempt(f"fund {coin} {amount}", lambda: Controller(self.state).fund(key, coin, amount[0]))

    @rule(
        target=orders,
        key=accounts,
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(Side),
        kind=st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET]),
        ticks=price_ticks,
        extra_price_places=st.sampled_from([0, 0, 0, 1]),
        volume=volumes,
        nasty_price=st.one_of(st.none(), st.none(), st.none(), amounts),
    )
    def place(
        self,
        key: str,
        symbol: str,
        side: Side,
        kind: OrderType,
        ticks: int,
        extra_price_places: int,
        volume: tuple[str, bool],
        nasty_price: tuple[str, bool] | None,
    ) -> Any:
        ex = self.state.exchange
        m = ex.market(symbol)
        if nasty_price is None:
            tick = Decimal(1).scaleb(-m.quote_precision)
            price = add(ex.last_price(m.symbol), ticks * tick * 10)
            if extra_price_places:
                price = add(price, tick / 10)  # one decimal beyond the pair's precision
            price_raw: tuple[str, bool] = (format(price, "f"), False)
        else:
            price_raw = nasty_price

        def op() -> str:
            req = PlaceRequest(symbol, side, kind, _bounded(volume), _bounded(price_raw))
            return ex.place(self.account_id(key), req).order_id

        return self.attempt(f"place {side.name} {kind.name} {volume} @ {price_raw}", op)

    @rule(key=accounts, order_id=orders)
    def cancel(self, key: str, order_id: str | None) -> None:
        if order_id is None:
            return
        ex = self.state.exchange
        self.attempt(f"cancel {order_id}", lambda: ex.cancel(self.account_id(key), order_id), bool)

    @rule(src=accounts, dst=accounts, coin=st.sampled_from(COINS), amount=amounts, biz=st.sampled_from([None, "b1"]))
    def inside_transfer(self, src: str, dst: str, coin: str, amount: tuple[str, bool], biz: str | None) -> None:
        ctl, wallet = Controller(self.state), self.state.wallet
        to_uid = ctl.account(dst).uid

        def op() -> Any:
            return wallet.inside_transfer(self.account_id(src), coin, _bounded(amount), "uid", to_uid, biz, None)

        done = self.attempt(f"inside_transfer {coin} {amount}", op)
        assert done is None or not _dust(self.state, coin, amount), f"inside_transfer of dust {amount} {coin} accepted"

    @rule(
        key=accounts,
        kind=st.sampled_from(["spot_futures", "futures_spot"]),
        coin=st.sampled_from(COINS),
        amount=amounts,
    )
    def funds_transfer(self, key: str, kind: str, coin: str, amount: tuple[str, bool]) -> None:
        wallet = self.state.wallet
        done = self.attempt(
            f"funds_transfer {kind} {coin} {amount}",
            lambda: wallet.funds_transfer(self.account_id(key), kind, coin, _bounded(amount)),
        )
        assert done is None or not _dust(self.state, coin, amount), f"funds_transfer of dust {amount} {coin} accepted"

    @rule(target=withdrawals, key=accounts, coin=st.sampled_from(COINS), amount=amounts)
    def withdraw(self, key: str, coin: str, amount: tuple[str, bool]) -> Any:
        wallet = self.state.wallet
        network = {"USDT": "Tron (TRC-20)", "BTC": "Bitcoin", "ETH": "Ethereum (ERC-20)"}[coin]

        def op() -> tuple[str, str]:
            rec = wallet.withdraw(self.account_id(key), coin, network, "T" + "a" * 33, _bounded(amount), None)
            return key, rec.id

        return self.attempt(f"withdraw {coin} {amount}", op)

    @rule(w=withdrawals)
    def cancel_withdraw(self, w: tuple[str, str] | None) -> None:
        if w is None:
            return
        key, wid = w
        wallet = self.state.wallet
        self.attempt(f"cancel_withdraw {wid}", lambda: wallet.cancel_withdraw(self.account_id(key), wid))

    @rule(ms=st.sampled_from([1, 30_000, 61_000]))
    def advance_clock(self, ms: int) -> None:
        self.state.clock.advance(ms)

    @rule()
    def snapshot_round_trip(self) -> None:
        ctl = Controller(self.state)
        before = _snap(self.state)
        ctl.restore(ctl.snapshot())
        assert _snap(self.state) == before, "restore(snapshot()) is not the same exchange"

    # ------------------------------------------------------------- HTTP

    @rule(
        key=accounts,
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(["1", "2", "0", "3", "1e999999999", "1E+0", "2.0", '"2"']),
        kind=st.sampled_from(["1", "2"]),
        volume=volumes,
        ticks=price_ticks,
        price=st.one_of(st.none(), amounts),
    )
    def http_place(self, key: str, symbol: str, side: str, kind: str, volume: Any, ticks: int, price: Any) -> None:
        if price is None:
            near = add(self.state.exchange.last_price(symbol), Decimal(ticks).scaleb(-1))
            price = (format(near, "f"), ticks % 2 == 0)
        body = (
            f'{{"side":{side},"type":{kind},"volume":{_json(volume)},"price":{_json(price)},"symbol":"{symbol}"}}'
        ).encode()
        self.attempt(
            f"http place {body!r}", lambda: self.send(key, SPOT + "/order/place_order", body), self.envelope_ok
        )

    @rule(key=accounts, order_id=orders, symbol=st.sampled_from(SYMBOLS))
    def http_cancel(self, key: str, order_id: str | None, symbol: str) -> None:
        body = json.dumps({"orderIdList": [{"orderId": order_id or "1", "symbol": symbol}]}).encode()
        # A cancel of an unknown or finished order answers success and changes nothing.
        self.attempt(f"http cancel {body!r}", lambda: self.send(key, SPOT + "/order/cancel", body), self.envelope_ok)

    @rule(src=accounts, dst=accounts, coin=st.sampled_from(COINS), amount=amounts)
    def http_inside_transfer(self, src: str, dst: str, coin: str, amount: Any) -> None:
        uid = Controller(self.state).account(dst).uid
        body = f'{{"coin":"{coin}","amount":{_json(amount)},"toType":"uid","toUid":{uid}}}'.encode()
        done = self.attempt(
            f"http inside_transfer {body!r}", lambda: self.send(src, SPOT + "/inside_transfer", body), self.envelope_ok
        )
        assert done is None or not _dust(self.state, coin, amount), f"accepted dust: {body!r}"

    @rule(
        key=accounts,
        kind=st.sampled_from(["spot_futures", "futures_spot"]),
        coin=st.sampled_from(COINS),
        amount=amounts,
    )
    def http_funds_transfer(self, key: str, kind: str, coin: str, amount: Any) -> None:
        body = f'{{"type":"{kind}","coin":"{coin}","amount":{_json(amount)}}}'.encode()
        done = self.attempt(
            f"http funds_transfer {body!r}", lambda: self.send(key, SPOT + "/funds_transfer", body), self.envelope_ok
        )
        assert done is None or not _dust(self.state, coin, amount), f"accepted dust: {body!r}"

    @rule(key=accounts, coin=st.sampled_from(COINS), amount=amounts)
    def http_withdraw(self, key: str, coin: str, amount: Any) -> None:
        network = {"USDT": "Tron (TRC-20)", "BTC": "Bitcoin", "ETH": "Ethereum (ERC-20)"}[coin]
        body = (
            f'{{"coin":"{coin}","network":"{network}","address":"{"T" + "a" * 33}","amount":{_json(amount)}}}'
        ).encode()
        self.attempt(f"http withdraw {body!r}", lambda: self.send(key, SPOT + "/withdraw", body), self.envelope_ok)

    # -------------------------------------------------------- invariants

    @invariant()
    def money_is_conserved(self) -> None:
        if self.app is None:
            return
        audit = self.state.exchange.audit()
        assert all(v == 0 for v in audit.values()), audit

    @invariant()
    def locks_match_open_orders(self) -> None:
        if self.app is None:
            return
        ex = self.state.exchange
        expected: dict[tuple[str, str], Decimal] = {}
        for o in ex.orders.values():
            if o.status.is_open:
                k = (o.account_id, o.lock_coin)
                expected[k] = add(expected.get(k, ZERO), o.locked)
        futures = ex.futures.ledger_accounts()  # their locks are futures margin (the futures engine's check)
        for acct in list(ex._ledger.accounts()):
            for coin, bal in ex._ledger.balances_of(acct).items():
                assert bal.free >= 0 and bal.locked >= 0, (acct, coin, bal)
                if acct not in futures:
                    assert bal.locked == expected.pop((acct, coin), ZERO), (acct, coin, bal.locked)
        assert ex.futures.problems() == []
        assert all(v == 0 for v in expected.values()), f"locks without a ledger row: {expected}"

    @invariant()
    def books_hold_exactly_the_open_limit_orders(self) -> None:
        if self.app is None:
            return
        ex = self.state.exchange
        in_books = {id(o) for book in (v.book for v in ex.venues.values()) for o in book.orders()}
        for o in ex.orders.values():
            should_rest = o.status.is_open and o.type is OrderType.LIMIT
            assert (id(o) in in_books) == should_rest, (o.order_id, o.status, o.type)
            if o.status.is_open:
                assert o.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)
        assert len(in_books) == sum(1 for o in ex.orders.values() if o.status.is_open), "a book holds a stray order"
        for book in (v.book for v in ex.venues.values()):
            assert not book.is_crossed()


MoneyMachine.TestCase.settings = settings(
    max_examples=examples(60),
    stateful_step_count=25,
    deadline=None,
    # No shrinking: a failing run must stay within the CI budget (shrinking a stateful run with a
    # snapshot per step took minutes); the report still lists every step up to the failing one.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_money_state_machine = MoneyMachine.TestCase
