"""The futures error table: exact codes and texts of spec §2.2 (typos included)."""

from __future__ import annotations

from mockserver.errors import BitunixError
from mockserver.futures_errors import (
    FUTURES_ERROR_TABLE,
    FClientIdDuplicate,
    FSellPriceTooLow,
    FSlTriggerAboveMark,
    FSymbolNotSupported,
    FuturesError,
    FValueNotAllowed,
)


def test_every_row_is_a_futures_error_with_a_unique_code() -> None:
    assert len(FUTURES_ERROR_TABLE) == 64
    assert issubclass(FuturesError, BitunixError)
    for code, row in FUTURES_ERROR_TABLE.items():
        assert row.code == code
        assert row.msg and row.meaning
        assert row.http_status == 200


def test_exact_texts_with_the_exchanges_typos() -> None:
    assert FUTURES_ERROR_TABLE["30015"].msg == "Mini Sell Order Price"
    assert FUTURES_ERROR_TABLE["30023"].msg == "Trigger price fo SL should be lower than mark price"
    assert FUTURES_ERROR_TABLE["20015"].msg == "this Futures is not allowed to trade."
    assert FUTURES_ERROR_TABLE["1"].msg == "Network Error"
    assert FUTURES_ERROR_TABLE["404"].msg == "Not Found"
    assert str(FClientIdDuplicate()) == "30042 Client ID duplicate"
    assert FSellPriceTooLow.code == "30015"
    assert FSlTriggerAboveMark.confidence == "M"
    assert FSymbolNotSupported.confidence == "H"


def test_value_not_allowed_uses_the_live_wording() -> None:
    e = FValueNotAllowed.for_value("20", ["1", "5", "15", "50", "max"])
    assert e.code == "10008"
    assert e.msg == 'Parameter 20 does not match, alternative value ["1","5","15","50","max"].'
