"""The journal's verdict and limit filters refuse what can match nothing.

``GET /_mock/journal?verdict=nope`` and ``?limit=-1`` used to answer ``200 []``, so
``assert bitunix_mock.requests(verdict="rejectd") == []`` passed whatever the exchange did.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.api.verdicts import verdict_filters
from mockserver.control.client import MockAdmin
from pytest_bitunix import BitunixMock, MarkerOptions

#: Written out, not derived from the code: a verdict renamed or added shows up here.
VALID = (
    "valid verdicts: accepted, pending, PlaceRefused, fault, reset-in-flight, disconnected, rejected, "
    "ApiKeyNotFound, BodyTooLarge, FAbnormalOrderStatus, FAccountNotAllowed, FApiKeyEmpty, FApiKeyNoPermission, "
    "FBatchTooLarge, FBuyPriceTooHigh, FClientIdDuplicate, FInsufficientAmount, FInsufficientBalance, "
    "FInvalidLeverage, FIpNotAllowed, FMarketNotExists, FNetworkError, FNotFound, FOpenOrdersExist, "
    "FOrderNotFound, FOrderQtyAboveMax, FParameterError, FPositionExists, FPositionLimit, FPositionNotExist, "
    "FPriceAboveLiq, FPriceBelowLiq, FQtyAboveMax, FQtyBelowMin, FQtyTooSmall, FReduceOnlyNoPosition, "
    "FReduceOnlySameSide, FSelectTpOrSl, FSellPriceTooLow, FSignatureError, FSlAboveEntry, "
    "FSlAboveLastRequired, FSlAboveLiq, FSlAboveMarkRequired, FSlBelowEntry, FSlBelowLastRequired, FSlBelowLiq, "
    "FSlBelowMarkRequired, FSlNotAboveTrigger, FSlTriggerAboveMark, FSlTriggerBelowMark, FSymbolNotSupported, "
    "FSystemError, FTooFrequent, FTooManyRequests, FTpAboveEntry, FTpAboveLastRequired, FTpAboveMarkRequired, "
    "FTpBelowEntry, FTpBelowLastRequired, FTpBelowMarkRequired, FTpBelowMarkRequired2, FTpNotAboveTrigger, "
    "FTpNotAboveTrigger2, FTpTriggerAboveMark, FTpTriggerBelowMark, FTpslQtyAbovePosition, FTradingNotAllowed, "
    "FTradingProhibited, FTriggerNotPositive, FTriggerTooClose, FValueNotAllowed, FWouldLiquidate, "
    "IpNotAllowed, MethodNotAllowed, MissingParameter, NoAuthority, NonceInvalid, NonceReused, NotFound, "
    "ParameterError, PricePrecisionError, RequestExpired, SignatureError, SystemError, TooFrequent, "
    "UserNotFound, VolumePrecisionError, WalletInsufficientBalance, WithdrawAddressNotAllowed, WithdrawBelowFee"
)
ADMIN = {"x-mock-admin": "1"}
LAST_PRICE = "/api/spot/v1/market/last_price?symbol=BTCUSDT"


def test_the_admin_route_refuses_an_unknown_verdict(client: TestClient) -> None:
    raw = client.get("/_mock/journal", params={"verdict": "acepted"}, headers=ADMIN)
    assert (raw.status_code, raw.json()) == (400, {"error": f"verdict: unknown verdict 'acepted'; {VALID}"})
    assert client.get(LAST_PRICE).json()["code"] == "0"
    client.get("/api/spot/v1/market/last_price")  # refused: symbol missing
    for verdict, count in (("accepted", 1), ("rejected", 1), ("ParameterError", 1), ("SignatureError", 0)):
        listed = client.get("/_mock/journal", params={"verdict": verdict}, headers=ADMIN)
        assert (listed.status_code, len(listed.json())) == (200, count), verdict


@pytest.mark.parametrize(
    ("limit", "error"), [("-1", "limit: must be >= 1, got -1"), ("0", "limit: must be >= 1, got 0")]
)
def test_the_admin_route_refuses_a_limit_below_one(client: TestClient, limit: str, error: str) -> None:
    client.get(LAST_PRICE)
    client.get(LAST_PRICE)
    raw = client.get("/_mock/journal", params={"limit": limit}, headers=ADMIN)
    assert (raw.status_code, raw.json()) == (400, {"error": error})
    one = client.get("/_mock/journal", params={"limit": "1"}, headers=ADMIN)
    assert (one.status_code, len(one.json())) == (200, 1)


def test_the_admin_client_and_the_plugin_refuse_an_unknown_verdict(client: TestClient) -> None:
    admin = MockAdmin("http://testserver", transport=client._transport)
    plugin = BitunixMock("http://testserver", admin, None, MarkerOptions())
    client.get(LAST_PRICE)
    for requests in (admin.requests, plugin.requests):
        with pytest.raises(ValueError) as refused:
            requests(verdict="rejectd")
        assert str(refused.value) == f"requests(verdict=): unknown verdict 'rejectd'; {VALID}"
        assert [e["verdict"] for e in requests(verdict="accepted")] == ["accepted"]
        assert requests(verdict="rejected") == []
    with pytest.raises(ValueError) as refused:
        admin.requests(limit=0)
    assert str(refused.value) == "requests(limit=): must be >= 1, got 0"


def test_every_verdict_the_pipeline_writes_is_a_valid_filter() -> None:
    """A verdict name added to the pipeline without adding it to the filters would be refused as a filter."""
    api = Path(__file__).resolve().parents[2] / "mockserver" / "api"
    written = {name for path in api.glob("*.py") for name in re.findall(r'Verdict\(\s*"([^"]+)"', path.read_text())}
    assert {"accepted", "fault", "disconnected"} <= written <= set(verdict_filters())
