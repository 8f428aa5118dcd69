"""Trading-pair rules, loaded from the seed fixture (or a user's own file)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Market", "MarketRegistry", "load_markets", "markets_text", "parse_markets"]


@dataclass(frozen=True, slots=True)
class Market:
    """One spot pair and the rules an order on it must meet."""

    symbol: str  # canonical upper-case form, e.g. "BTCUSDT"
    base: str
    quote: str
    base_precision: int  # decimals allowed in a base quantity
    quote_precision: int  # decimals allowed in a price / quote amount
    min_volume: Decimal  # minimum base quantity
    min_amount: Decimal  # the fixture's "minPrice": a minimum order value in quote
    max_amount: Decimal
    precisions: tuple[Decimal, ...]  # depth aggregation steps, finest first
    is_open: bool
    reference_price: Decimal
    maker_fee_rate: Decimal
    taker_fee_rate: Decimal
    listing: dict[str, Any] = field(compare=False, hash=False, repr=False)
    """The coin_pair/list row exactly as the fixture gives it (minus the mock-only keys)."""
    min_buy_price_offset: Decimal = Decimal("-0.8")  # a buy may not be priced below last x (1 + this)
    max_sell_price_offset: Decimal = Decimal("50")  # a sell may not be priced above last x (1 + this)

    @property
    def tick(self) -> Decimal:
        """Smallest price step."""
        return Decimal(1).scaleb(-self.quote_precision)

    @property
    def lot(self) -> Decimal:
        """Smallest base-quantity step."""
        return Decimal(1).scaleb(-self.base_precision)


def _market_from_row(row: dict[str, Any]) -> Market:
    mock = row.get("mock", {})
    listing = {k: v for k, v in row.items() if k != "mock"}
    precisions = tuple(sorted(Decimal(p) for p in row["precisions"]))
    return Market(
        symbol=(row["base"] + row["quote"]).upper(),
        base=row["base"].upper(),
        quote=row["quote"].upper(),
        base_precision=int(row["basePrecision"]),
        quote_precision=int(row["quotePrecision"]),
        min_volume=Decimal(row["minVolume"]),
        min_amount=Decimal(row["minPrice"]),
        max_amount=Decimal(row["maxAmount"]),
        precisions=precisions,
        is_open=int(row["isOpen"]) == 1,
        reference_price=Decimal(mock.get("referencePrice", "1")),
        maker_fee_rate=Decimal(mock.get("makerFeeRate", "0.001")),
        taker_fee_rate=Decimal(mock.get("takerFeeRate", "0.001")),
        min_buy_price_offset=Decimal(str(row.get("minBuyPriceOffset", "-0.8"))),
        max_sell_price_offset=Decimal(str(row.get("maxSellPriceOffset", "50"))),
        listing=listing,
    )


def markets_text(path: str | Path | None = None) -> str:
    """The markets document of ``path``, or the embedded default one, as text."""
    if path is None:
        return resources.files("mockserver.seed").joinpath("markets.json").read_text("utf-8")
    return Path(path).read_text("utf-8")


def parse_markets(text: str) -> list[Market]:
    """The markets of a markets document (``{"markets": [...]}`` or a bare list)."""
    doc = json.loads(text)
    rows = doc["markets"] if isinstance(doc, dict) else doc
    return [_market_from_row(r) for r in rows]


def load_markets(path: str | Path | None = None, *, text: str | None = None) -> list[Market]:
    """Markets from a document's ``text``, or from ``path``, or the embedded default set."""
    return parse_markets(markets_text(path) if text is None else text)


class MarketRegistry:
    """Lookup by symbol, case-insensitively (the exchange lists lower case, accepts upper)."""

    def __init__(self, markets: list[Market]) -> None:
        self._by_symbol = {m.symbol: m for m in markets}

    def get(self, symbol: str) -> Market | None:
        return self._by_symbol.get(symbol.upper())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_symbol.values())

    def __len__(self) -> int:
        return len(self._by_symbol)

    def coins(self) -> list[str]:
        """Every coin traded on some pair, sorted."""
        return sorted({m.base for m in self} | {m.quote for m in self})
