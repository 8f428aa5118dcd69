from __future__ import annotations

from ..helpers import Signed, ok


def test_signed_place_then_detail(signed: Signed) -> None:
    placed = ok(
        signed.post(
            "/api/spot/v1/order/place_order",
            {"side": 2, "type": 1, "volume": "0.01", "price": "60000", "symbol": "BTCUSDT"},
        )
    )
    assert placed["placeStatus"] == "1"
    detail = ok(signed.get("/api/spot/v1/order/detail", {"orderId": placed["orderId"]}))
    assert detail["status"] == "1"
    assert detail["leftVolume"] == "0.01"
