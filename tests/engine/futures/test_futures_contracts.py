"""The contract catalogue, its loader's refusals, market reads and the wallet identity switch."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal as D

import pytest

from mockserver.clock import Clock
from mockserver.engine import Exchange, load_markets
from mockserver.engine.futures import FuturesPlaceRequest as R
from mockserver.engine.futures import contracts_text, load_contracts, parse_contracts
from mockserver.futures_errors import FuturesError

from .conftest import T0, World


def test_the_seed_catalogue() -> None:
    cs = load_contracts()
    assert [c.symbol for c in cs] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"]
    btc = cs[0]
    assert (btc.tick, btc.lot, btc.min_trade_volume, btc.max_leverage, btc.default_leverage) == (
        D("0.1"),
        D("0.0001"),
        D("0.0001"),
        125,
        20,
    )
    assert (btc.maker_fee_rate, btc.taker_fee_rate, btc.funding_interval_hours, btc.price_protect_scope) == (
        D("0.0002"),
        D("0.0006"),
        8,
        D("0.05"),
    )
    t1, t2 = btc.tiers[:2]
    assert (t1.start_value, t1.end_value, t1.leverage, t1.maintenance_margin_rate) == (
        D("0"),
        D("50000"),
        125,
        D("0.004"),
    )
    assert (t2.start_value, t2.end_value, t2.leverage, t2.maintenance_margin_rate) == (
        D("50000"),
        D("200000"),
        100,
        D("0.005"),
    )
    assert btc.tier_for(D("50000")) == t2
    assert btc.listing["symbolStatus"] == "OPEN"


def test_a_bad_row_is_refused_with_its_reasons() -> None:
    doc = json.loads(contracts_text())
    row = doc["contracts"][0]
    row["defaultLeverage"] = 200
    row["tiers"][1]["startValue"] = "40000"
    with pytest.raises(ValueError) as e:
        parse_contracts(json.dumps(doc))
    assert str(e.value) == (
        "contract BTCUSDT: leverages must satisfy min <= default <= max; tier 2 does not continue the brackets"
    )
    doc["contracts"] = [doc["contracts"][1], doc["contracts"][1]]
    with pytest.raises(ValueError) as e:
        parse_contracts(json.dumps(doc))
    assert str(e.value) == "a contract symbol is listed twice"


def test_market_reads(w: World) -> None:
    assert [c.symbol for c in w.f.contracts()] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"]
    assert w.f.contract("ethusdt").symbol == "ETHUSDT"
    assert len(w.f.tiers("BTCUSDT")) == 5
    assert [i.symbol for i in w.f.funding_infos()] == [c.symbol for c in w.f.contracts()]
    with pytest.raises(FuturesError) as e:
        w.f.tickers(["BTCUSDT", "NOPE"])
    assert (e.value.code, e.value.msg) == ("20015", "this Futures is not allowed to trade.")
    (t,) = w.f.tickers(["BTCUSDT"])
    assert (t.last_price, t.open, t.high, t.low, t.base_volume) == (D("98000"),) * 4 + (D("0"),)


def test_a_contract_not_open_refuses_placement_with_20012() -> None:
    cs = [replace(c, symbol_status="CANCEL_ONLY") if c.symbol == "SOLUSDT" else c for c in load_contracts()]
    ex = Exchange(load_markets(), clock=Clock(frozen_at_ms=T0), contracts=cs)
    a = ex.create_account().account_id
    ex.futures.fund(a, D(1000))
    with pytest.raises(FuturesError) as e:
        ex.futures.place(a, R("SOLUSDT", "BUY", D("1"), price=D("180")))
    assert (e.value.code, e.value.msg) == ("20012", "This futures does not allow trading")


def test_the_wallet_identity_is_a_switch(w: World) -> None:
    w.f.change_margin_mode(w.bob, "BTCUSDT", "CROSS")
    w.f.place(w.alice, R("BTCUSDT", "SELL", D("0.1"), price=D("98000")))
    w.f.place(w.bob, R("BTCUSDT", "BUY", D("0.1"), price=D("98000")))
    w.f.set_mark_price("BTCUSDT", D("99000"))
    s = w.f.account_summary(w.bob)
    assert (s.available, s.margin, s.cross_unrealized_pnl, s.transfer) == (
        D("9504.12"),
        D("490"),
        D("100"),
        D("9504.12"),
    )
    w.f.wallet_identity = "include_cross_upnl"
    assert w.f.account_summary(w.bob).available == D("9604.12")
    with pytest.raises(FuturesError) as e:
        w.f.account_summary(w.bob, "BTC")
    assert (e.value.code, e.value.msg) == ("10002", "Parameter Error")
