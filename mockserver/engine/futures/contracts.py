"""The futures contract catalogue: USDT-M linear perpetuals and their position tiers.

Loaded from ``mockserver/seed/futures_markets.json`` (rows shaped like the spec's
``trading_pairs`` reply, §3.1, plus ``tiers`` shaped like ``get_position_tiers`` and a
``mock`` object the API never serves). Contract size is 1 base coin (spec §5.1, M):
quantities are base coin, prices quote per base. Tick = 10**-quotePrecision and lot =
10**-basePrecision (spec §5.1, M).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Contract", "Tier", "contracts_text", "load_contracts", "parse_contracts"]

_STATUSES = ("OPEN", "CANCEL_ONLY", "STOP", "PREVIEW")


@dataclass(frozen=True, slots=True)
class Tier:
    """One position-value bracket: positions valued in [start, end) may use up to ``leverage``."""

    symbol: str
    level: int
    start_value: Decimal
    end_value: Decimal
    leverage: int
    maintenance_margin_rate: Decimal


@dataclass(frozen=True, slots=True)
class Contract:
    """One perpetual contract: the trading_pairs row and the mock's own figures."""

    symbol: str
    base: str
    quote: str
    min_trade_volume: Decimal
    min_buy_price_offset: Decimal
    max_sell_price_offset: Decimal
    max_limit_order_volume: Decimal
    max_market_order_volume: Decimal
    base_precision: int
    quote_precision: int
    min_leverage: int
    max_leverage: int
    default_leverage: int
    default_margin_mode: str
    price_protect_scope: Decimal
    symbol_status: str
    is_api_supported: bool
    max_funding_rate: Decimal  # percent, as served
    min_funding_rate: Decimal  # percent, as served
    launch_time: int | None
    tiers: tuple[Tier, ...]
    reference_price: Decimal
    maker_fee_rate: Decimal
    taker_fee_rate: Decimal
    funding_interval_hours: int
    funding_rate: Decimal  # the opening rate, percent per interval
    listing: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.quote_precision)

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.base_precision)

    def tier_for(self, value: Decimal) -> Tier:
        """The bracket a position value falls in (the last one beyond every bracket)."""
        for t in self.tiers:
            if value < t.end_value:
                return t
        return self.tiers[-1]


def _dec(row: dict[str, Any], key: str) -> Decimal:
    v = Decimal(str(row[key]))
    if not v.is_finite():
        raise ValueError(f"{row.get('symbol')}: {key} {v} is not finite")
    return v


def _contract_from_row(row: dict[str, Any]) -> Contract:
    mock = row.get("mock", {})
    listing = {k: v for k, v in row.items() if k not in ("mock", "tiers")}
    symbol = str(row["symbol"]).upper()
    if symbol != (str(row["base"]) + str(row["quote"])).upper():
        raise ValueError(f"{symbol}: symbol is not base + quote")
    tiers = tuple(
        Tier(
            symbol=symbol,
            level=int(t["level"]),
            start_value=_dec(t, "startValue"),
            end_value=_dec(t, "endValue"),
            leverage=int(t["leverage"]),
            maintenance_margin_rate=_dec(t, "maintenanceMarginRate"),
        )
        for t in row["tiers"]
    )
    c = Contract(
        symbol=symbol,
        base=str(row["base"]).upper(),
        quote=str(row["quote"]).upper(),
        min_trade_volume=_dec(row, "minTradeVolume"),
        min_buy_price_offset=_dec(row, "minBuyPriceOffset"),
        max_sell_price_offset=_dec(row, "maxSellPriceOffset"),
        max_limit_order_volume=_dec(row, "maxLimitOrderVolume"),
        max_market_order_volume=_dec(row, "maxMarketOrderVolume"),
        base_precision=int(row["basePrecision"]),
        quote_precision=int(row["quotePrecision"]),
        min_leverage=int(row["minLeverage"]),
        max_leverage=int(row["maxLeverage"]),
        default_leverage=int(row["defaultLeverage"]),
        default_margin_mode=str(row["defaultMarginMode"]),
        price_protect_scope=_dec(row, "priceProtectScope"),
        symbol_status=str(row["symbolStatus"]),
        is_api_supported=bool(row["isApiSupported"]),
        max_funding_rate=_dec(row, "maxFundingRate"),
        min_funding_rate=_dec(row, "minFundingRate"),
        launch_time=None if row.get("launchTime") is None else int(row["launchTime"]),
        tiers=tiers,
        reference_price=Decimal(str(mock.get("referencePrice", "1"))),
        maker_fee_rate=Decimal(str(mock.get("makerFeeRate", "0.0002"))),
        taker_fee_rate=Decimal(str(mock.get("takerFeeRate", "0.0006"))),
        funding_interval_hours=int(mock.get("fundingIntervalHours", 8)),
        funding_rate=Decimal(str(mock.get("fundingRate", "0.01"))),
        listing=listing,
    )
    _check(c)
    return c


def _check(c: Contract) -> None:
    """Refuse a row the engine could not trade exactly (a bad seed fails at load, not mid-trade)."""
    problems = []
    if not (0 <= c.base_precision <= 12 and 0 <= c.quote_precision <= 12):
        problems.append("precisions must be 0..12")
    if not (1 <= c.min_leverage <= c.default_leverage <= c.max_leverage):
        problems.append("leverages must satisfy min <= default <= max")
    if c.default_margin_mode not in ("ISOLATION", "CROSS"):
        problems.append("defaultMarginMode must be ISOLATION or CROSS")
    if c.symbol_status not in _STATUSES:
        problems.append(f"symbolStatus must be one of {_STATUSES}")
    if c.funding_interval_hours not in (1, 2, 4, 8):
        problems.append("the funding interval must be 1, 2, 4 or 8 hours")
    if not c.tiers:
        problems.append("no tiers")
    if c.reference_price <= 0 or c.reference_price != c.reference_price.quantize(c.tick):
        problems.append("the reference price must be positive and on the tick")
    for what, v in (("makerFeeRate", c.maker_fee_rate), ("takerFeeRate", c.taker_fee_rate)):
        if v < 0 or v >= 1:
            problems.append(f"{what} must be in [0, 1)")
    start = Decimal(0)
    for i, t in enumerate(c.tiers):
        if t.level != i + 1 or t.start_value != start or t.end_value <= t.start_value:
            problems.append(f"tier {i + 1} does not continue the brackets")
        if not (t.leverage >= 1) or not (0 < t.maintenance_margin_rate < 1):
            problems.append(f"tier {i + 1}: leverage >= 1 and 0 < maintenance rate < 1")
        start = t.end_value
    if c.tiers and c.tiers[0].leverage < c.max_leverage:
        problems.append("the first tier must allow maxLeverage")
    if not (0 < c.price_protect_scope < 1):
        problems.append("priceProtectScope must be in (0, 1)")
    if c.min_trade_volume <= 0 or c.min_trade_volume != c.min_trade_volume.quantize(c.lot):
        problems.append("minTradeVolume must be positive and on the lot")
    if problems:
        raise ValueError(f"contract {c.symbol}: " + "; ".join(problems))


def contracts_text(path: str | Path | None = None) -> str:
    """The contracts document of ``path``, or the embedded default one, as text."""
    if path is None:
        return resources.files("mockserver.seed").joinpath("futures_markets.json").read_text("utf-8")
    return Path(path).read_text("utf-8")


def parse_contracts(text: str) -> list[Contract]:
    """The contracts of a document (``{"contracts": [...]}`` or a bare list); ValueError for a bad row."""
    doc = json.loads(text)
    rows = doc["contracts"] if isinstance(doc, dict) else doc
    out = [_contract_from_row(r) for r in rows]
    if len({c.symbol for c in out}) != len(out):
        raise ValueError("a contract symbol is listed twice")
    return out


def load_contracts(path: str | Path | None = None, *, text: str | None = None) -> list[Contract]:
    """Contracts from ``text``, ``path``, or the embedded default catalogue (parsed once: contracts are frozen)."""
    if path is None and text is None:
        return list(_default())
    return parse_contracts(contracts_text(path) if text is None else text)


@functools.cache
def _default() -> tuple[Contract, ...]:
    return tuple(parse_contracts(contracts_text()))
