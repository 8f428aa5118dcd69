"""Futures market endpoints (public): exact values, the live shapes, and their refusals (spec §3.1)."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.testclient import TestClient

from mockserver import MockState

from ...helpers import Signed
from .conftest import place
from .wire import F, ferr, fok

UNKNOWN = (20015, "this Futures is not allowed to trade.")


def test_trading_pairs_serves_the_contract_rows(client: TestClient) -> None:
    rows = fok(client.get(f"{F}/market/trading_pairs"))
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"} <= {r["symbol"] for r in rows}
    btc = fok(client.get(f"{F}/market/trading_pairs", params={"symbols": "btcusdt"}))
    assert btc == [
        {
            "symbol": "BTCUSDT",
            "base": "BTC",
            "quote": "USDT",
            "minTradeVolume": "0.0001",
            "minBuyPriceOffset": "-0.95",
            "maxSellPriceOffset": "100",
            "maxLimitOrderVolume": "100000",
            "maxMarketOrderVolume": "50000",
            "basePrecision": 4,
            "quotePrecision": 1,
            "minLeverage": 1,
            "maxLeverage": 125,
            "defaultLeverage": 20,
            "defaultMarginMode": "ISOLATION",
            "priceProtectScope": "0.05",
            "symbolStatus": "OPEN",
            "isApiSupported": True,
            "maxFundingRate": "0.3",
            "minFundingRate": "-0.3",
        }
    ]


def test_an_unknown_symbol_answers_20015_with_the_live_text(client: TestClient) -> None:
    assert ferr(client.get(f"{F}/market/trading_pairs", params={"symbols": "BTCUSDT,NOPEUSDT"})) == UNKNOWN
    assert ferr(client.get(f"{F}/market/tickers", params={"symbols": "NOPEUSDT"})) == UNKNOWN
    assert ferr(client.get(f"{F}/market/depth", params={"symbol": "NOPEUSDT"})) == UNKNOWN
    assert ferr(client.get(f"{F}/market/funding_rate", params={"symbol": "NOPEUSDT"})) == UNKNOWN


def test_tickers_quote_mark_and_last_to_the_contract_precision(client: TestClient) -> None:
    (btc,) = fok(client.get(f"{F}/market/tickers", params={"symbols": "BTCUSDT"}))
    assert btc["symbol"] == "BTCUSDT"
    assert btc["markPrice"] == "98000.0" and btc["lastPrice"] == "98000.0" and btc["last"] == btc["lastPrice"]
    assert set(btc) == {"symbol", "markPrice", "lastPrice", "open", "last", "quoteVol", "baseVol", "high", "low"}
    every = fok(client.get(f"{F}/market/tickers"))
    assert [t["symbol"] for t in every] == [r["symbol"] for r in fok(client.get(f"{F}/market/trading_pairs"))]


def test_depth_levels_are_strings_best_first(client: TestClient, maker: Signed) -> None:
    for side, price, qty in [("SELL", "98010", "0.02"), ("SELL", "98005.5", "0.01"), ("BUY", "97990", "0.03")]:
        place(maker, side=side, tradeSide="OPEN", qty=qty, price=price)
    place(maker, side="BUY", tradeSide="OPEN", qty="0.01", price="97990")
    book = fok(client.get(f"{F}/market/depth", params={"symbol": "BTCUSDT", "limit": "5"}))
    assert book == {"asks": [["98005.5", "0.01"], ["98010.0", "0.02"]], "bids": [["97990.0", "0.04"]]}
    top = fok(client.get(f"{F}/market/depth", params={"symbol": "btcusdt", "limit": "1"}))
    assert top == {"asks": [["98005.5", "0.01"]], "bids": [["97990.0", "0.04"]]}
    assert fok(client.get(f"{F}/market/depth", params={"symbol": "BTCUSDT"})) == book  # omitted: the whole book


def test_depth_limit_outside_the_enumeration_answers_the_live_10008(client: TestClient) -> None:
    code, msg = ferr(client.get(f"{F}/market/depth", params={"symbol": "BTCUSDT", "limit": "20"}))
    assert (code, msg) == (10008, 'Parameter 20 does not match, alternative value ["1","5","15","50","max"].')


def test_depth_without_symbol_answers_network_error_as_live(client: TestClient) -> None:
    assert ferr(client.get(f"{F}/market/depth")) == (1, "Network Error")


def test_depth_doc_profile_sends_numbers(client: TestClient, state: MockState, maker: Signed) -> None:
    place(maker, side="SELL", tradeSide="OPEN", qty="0.5", price="98010")
    state.set_switches({"futures_shapes": "doc"})
    resp = client.get(f"{F}/market/depth", params={"symbol": "BTCUSDT", "limit": "1"})
    assert resp.content == b'{"code":0,"data":{"asks":[[98010,0.5]],"bids":[]},"msg":"Success"}'


def test_kline_rows_are_ascending_with_the_interval_spacing(client: TestClient) -> None:
    rows = fok(client.get(f"{F}/market/kline", params={"symbol": "BTCUSDT", "interval": "1h", "limit": "3"}))
    assert len(rows) == 3
    times = [r["time"] for r in rows]
    assert times == sorted(times) and {b - a for a, b in itertools.pairwise(times)} == {3_600_000}
    assert {r["type"] for r in rows} == {"LAST_PRICE"}
    assert all(isinstance(r[k], str) for r in rows for k in ("open", "high", "low", "close", "quoteVol", "baseVol"))
    marks = fok(client.get(f"{F}/market/kline", params={"symbol": "BTCUSDT", "interval": "1m", "type": "MARK_PRICE"}))
    assert len(marks) == 100 and {r["type"] for r in marks} == {"MARK_PRICE"}  # limit default 100


def test_kline_refuses_an_unknown_interval_and_a_limit_above_200(client: TestClient) -> None:
    code, msg = ferr(client.get(f"{F}/market/kline", params={"symbol": "BTCUSDT", "interval": "3m"}))
    assert code == 10008 and msg.startswith('Parameter 3m does not match, alternative value ["1m","5m",')
    assert ferr(client.get(f"{F}/market/kline", params={"symbol": "BTCUSDT", "interval": "1h", "limit": "201"})) == (
        10002,
        "Parameter Error",
    )


def test_funding_rate_is_one_object_in_percent(client: TestClient, state: MockState) -> None:
    row = fok(client.get(f"{F}/market/funding_rate", params={"symbol": "BTCUSDT"}))
    assert row["symbol"] == "BTCUSDT" and row["fundingRate"] == "0.01" and row["fundingInterval"] == 8
    assert row["markPrice"] == "98000.0" and row["maxFundingRate"] == "0.3" and row["minFundingRate"] == "-0.3"
    assert isinstance(row["nextFundingTime"], str) and int(row["nextFundingTime"]) % (8 * 3_600_000) == 0
    state.set_switches({"futures_shapes": "doc"})
    assert fok(client.get(f"{F}/market/funding_rate", params={"symbol": "BTCUSDT"})) == [row]


def test_funding_rate_batch_lists_every_contract(client: TestClient) -> None:
    rows = fok(client.get(f"{F}/market/funding_rate/batch"))
    pairs = fok(client.get(f"{F}/market/trading_pairs"))
    assert [r["symbol"] for r in rows] == [p["symbol"] for p in pairs]


def test_funding_history_is_empty_before_the_first_settlement(client: TestClient) -> None:
    assert fok(client.get(f"{F}/market/get_funding_rate_history", params={"symbol": "BTCUSDT"})) == []


def test_position_tiers_are_public_and_ascending(client: TestClient) -> None:
    tiers: list[dict[str, Any]] = fok(client.get(f"{F}/position/get_position_tiers", params={"symbol": "BTCUSDT"}))
    assert tiers[:2] == [
        {
            "symbol": "BTCUSDT",
            "level": 1,
            "startValue": "0",
            "endValue": "50000",
            "leverage": 125,
            "maintenanceMarginRate": "0.004",
        },
        {
            "symbol": "BTCUSDT",
            "level": 2,
            "startValue": "50000",
            "endValue": "200000",
            "leverage": 100,
            "maintenanceMarginRate": "0.005",
        },
    ]
