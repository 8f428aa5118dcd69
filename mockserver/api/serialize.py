"""Engine objects to the exchange's wire shapes (the field names and JSON types it uses)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import orjson

from ..engine.marketdata import Candle
from ..engine.money import ZERO, fmt, mul
from ..engine.orders import Fill, Order, OrderType, Side
from ..engine.wallet import WalletRecord
from ..errors import BitunixError, PlaceRefusal

__all__ = [
    "candle",
    "deposit_record",
    "fill",
    "fmt",
    "fmt_price",
    "iso",
    "number_text",
    "order",
    "placed",
    "refused",
    "withdraw_record",
]


def iso(ms: int) -> str:
    """ISO-8601 UTC with second precision, as order and fill reads show times."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_price(value: Decimal, places: int) -> str:
    """A price with exactly the pair's quote decimals ("64123.40")."""
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")


def number_text(text: str) -> orjson.Fragment:
    """Plain decimal text (``fmt`` or the engine's ``money.text``) emitted as an exact JSON number (never a float)."""
    return orjson.Fragment(text.encode("ascii"))


def _ratio(num: Decimal, den: Decimal, places: int) -> Decimal:
    if not den:
        return ZERO
    q = Decimal(1).scaleb(-places)
    return (num / den).quantize(q, rounding=ROUND_HALF_EVEN)


def order(o: Order, quote_precision: int) -> dict[str, Any]:
    market_buy = o.type is OrderType.MARKET and o.side is Side.BUY
    amount = o.quote_amount if o.quote_amount else o.deal_amount
    progress = (
        _ratio(mul(o.deal_amount, Decimal(100)), o.quote_amount, 2)
        if market_buy
        else _ratio(mul(o.deal_volume, Decimal(100)), o.volume, 2)
    )
    return {
        "orderId": o.order_id,
        "userId": str(o.uid),
        "clientId": o.client_id,
        "symbol": o.symbol,
        "base": o.base,
        "quote": o.quote,
        "side": str(int(o.side)),
        "type": str(int(o.type)),
        "orderType": str(int(o.type)),
        "price": fmt(o.price),
        "avgPrice": fmt(_ratio(o.deal_amount, o.deal_volume, quote_precision)),
        "volume": fmt(o.volume),
        "dealVolume": fmt(o.deal_volume),
        "leftVolume": fmt(o.left_volume),
        "amount": fmt(amount),
        "dealAmount": fmt(o.deal_amount),
        "leftAmount": fmt(mul(o.price, o.left_volume) if o.type is OrderType.LIMIT else ZERO),
        "status": str(int(o.status)),
        "progress": fmt(progress),
        "fee": fmt(o.fee),
        "feeCoin": o.fee_coin,
        "ctime": iso(o.ctime),
        "utime": iso(o.utime),
    }


def placed(o: Order, volume_text: str, price_text: str) -> dict[str, Any]:
    """An accepted placement echoes what was sent, as the exchange does."""
    return {
        "orderId": o.order_id,
        "side": int(o.side),
        "type": int(o.type),
        "volume": volume_text,
        "price": price_text,
        "symbol": o.symbol,
        "placeStatus": "1",
    }


def refused(r: PlaceRefusal) -> dict[str, Any]:
    return {"orderId": None, "placeStatus": 0, "placeCode": r.place_code, "placeMsg": r.place_msg}


def refused_item(err: BitunixError) -> dict[str, Any]:
    """A batch item the exchange would have refused as a request: its code in the item's placeCode (L)."""
    return {"orderId": None, "placeStatus": 0, "placeCode": err.code, "placeMsg": err.msg}


def fill(f: Fill) -> dict[str, Any]:
    return {
        "id": f.trade_id,
        "volume": fmt(f.volume),
        "price": fmt(f.price),
        "fee": fmt(f.fee),
        "feeCoin": f.fee_coin,
        "role": str(int(f.role)),
        "ctime": iso(f.time_ms),
    }


def candle(c: Candle, symbol: str) -> dict[str, Any]:
    return {
        "symbol": symbol,  # upper case in every row (seen live)
        "open": fmt(c.open),
        "high": fmt(c.high),
        "low": fmt(c.low),
        "close": fmt(c.close),
        "volume": fmt(c.volume),
        "ts": c.ts,
    }


def _fixed(value: Decimal, places: int) -> str:
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def withdraw_record(r: WalletRecord) -> dict[str, Any]:
    """As the docs' example: 20-decimal amounts; hash, fee and memo null until known; every to* key present."""
    withdrawal = r.type == "withdraw"
    settled = r.status == "success"
    return {
        "id": r.id,
        "outBizId": r.out_biz_id,
        "type": r.type,
        "coin": r.coin,
        # What arrives: the fee comes out of the amount (the docs' pending 20 USDT shows 19).
        "amount": _fixed(r.amount - r.fee if withdrawal else r.amount, 20),
        "status": r.status,
        "ctime": r.ctime,
        "network": r.network or None,
        "address": r.address or None,
        "transactionHash": r.tx_hash or None,
        "feeCoin": r.coin if withdrawal and settled else None,
        "fee": fmt(r.fee) if withdrawal and settled else None,
        "memo": r.memo or None,
        "toType": r.to_type,
        "toUid": r.to_uid,
        "toPhoneCountryCode": None,
        "toPhoneNumber": None,
        "toEmail": None,
        "remark": r.remark,
    }


def deposit_record(r: WalletRecord) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "transactionHash": r.tx_hash or None,  # null on internal transfers (the docs' example)
        "coin": r.coin,
        "network": r.network or None,
        "type": r.type,
        "fromAddress": r.from_address or None,
        "toAddress": r.address or None,
        "amount": _fixed(r.amount, 8),
        "status": r.status,
        "ctime": r.ctime,
    }
