"""Every error the mock can answer with, in one typed hierarchy.

Two families exist because the real exchange has two ways of saying no:

* :class:`BitunixError` - the request is refused outright. The envelope carries the
  error ``code`` (a JSON *string* on spot) and ``msg``; HTTP status stays 200.
* :class:`PlaceRefusal` - ``place_order`` was understood but not executed. The
  exchange answers ``code "0"`` and puts the reason in ``data.placeCode`` /
  ``data.placeMsg`` (observed live for insufficient balance).

Codes marked ``mock_specific`` have no known counterpart at the real exchange; they
are documented in the error table of docs/errors.md and kept out of the exchange's own
numbering ranges where the real code is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ERROR_TABLE",
    "PLACE_REFUSAL_TABLE",
    "ApiKeyNotFound",
    "BitunixError",
    "BodyTooLarge",
    "ErrorInfo",
    "InsufficientBalance",
    "IpNotAllowed",
    "MarketClosed",
    "MaxAmountExceeded",
    "MethodNotAllowed",
    "MinAmountNotMet",
    "MinVolumeNotMet",
    "MissingParameter",
    "NoAuthority",
    "NonceInvalid",
    "NonceReused",
    "NotFound",
    "ParameterError",
    "PlaceRefusal",
    "PriceOutsideBand",
    "PricePrecisionError",
    "RequestExpired",
    "SignatureError",
    "SystemError",
    "TooFrequent",
    "UserNotFound",
    "VolumePrecisionError",
    "WalletInsufficientBalance",
    "WithdrawAddressNotAllowed",
    "WithdrawBelowFee",
]


class BitunixError(Exception):
    """A request the exchange refuses; rendered as ``{code, msg, data: null, success: false}``.

    ``detail`` is the mock's own explanation (which field, which rule). It never
    enters the exchange-faithful envelope; it goes to the journal and, when the
    client opts in, to the ``x-mock-diagnosis`` response header.
    """

    code: ClassVar[str] = "500"
    default_msg: ClassVar[str] = "System error"
    http_status: ClassVar[int] = 200
    mock_specific: ClassVar[bool] = False
    confidence: ClassVar[str] = "M"
    meaning: ClassVar[str] = ""

    def __init__(self, detail: str = "", *, msg: str | None = None) -> None:
        self.msg = msg if msg is not None else self.default_msg
        self.detail = detail
        super().__init__(f"{self.code} {self.msg}" + (f" ({detail})" if detail else ""))


class ParameterError(BitunixError):
    code = "2"
    default_msg = "Parameter error"
    confidence = "H"
    meaning = "a parameter is missing, of the wrong type or out of range; also an unknown symbol"

    def __init__(
        self, detail: str = "", *, msg: str | None = None, value: str | None = None, choices: tuple[str, ...] = ()
    ) -> None:
        super().__init__(detail, msg=msg)
        #: A value outside its enumeration: the value sent and the allowed ones (a product whose
        #: envelope names them, as futures' 10008 does, reads these; spot's text does not).
        self.value = value
        self.choices = choices


class SystemError(BitunixError):
    code = "500"
    default_msg = "System error"
    meaning = "an unexpected failure inside the server"


class UserNotFound(BitunixError):
    code = "10016"
    default_msg = "User does not exist"
    meaning = "the account behind a valid key is gone"


class VolumePrecisionError(BitunixError):
    code = "10058"
    default_msg = "Volume precision error"
    confidence = "H"
    meaning = "the quantity has more decimals than the pair's basePrecision"


class PricePrecisionError(BitunixError):
    code = "10059"
    default_msg = "Price precision error"
    confidence = "L"
    meaning = "the price has more decimals than the pair's quotePrecision (code guessed next to 10058)"


class MissingParameter(BitunixError):
    code = "70003"
    default_msg = "Missing parameters"
    meaning = "a required parameter is absent"


class ApiKeyNotFound(BitunixError):
    code = "100004"
    default_msg = "app-key not found"
    confidence = "H"
    meaning = "the api-key header is empty or names no key"


class SignatureError(BitunixError):
    code = "100005"
    default_msg = "result.api.parameter.sign.illegal"
    confidence = "H"
    meaning = "the sign header does not match the request"


class RequestExpired(BitunixError):
    code = "100008"
    default_msg = "result.request.time.expired"
    confidence = "H"
    meaning = "the timestamp header is outside the accepted window"


class IpNotAllowed(BitunixError):
    code = "100011"
    default_msg = "Trigger IP risk control rules"
    confidence = "L"
    meaning = "the caller's IP is not on the key's whitelist"


class NoAuthority(BitunixError):
    code = "110033"
    default_msg = "OPEN_API_KEY_NO_AUTHORITY"
    confidence = "M"
    meaning = "the key lacks the permission the endpoint needs"


class TooFrequent(BitunixError):
    code = "110041"
    default_msg = "Interface access times are too fast"
    confidence = "H"
    meaning = "rate limit exceeded"


class WalletInsufficientBalance(BitunixError):
    code = "10034"
    default_msg = "Insufficient balance"
    confidence = "L"
    meaning = (
        "a withdrawal or transfer exceeds the free balance (10034 is spot's own insufficient-balance "
        "number, seen live as a placeCode; as a top-level wallet code it is a guess)"
    )


class WithdrawBelowFee(BitunixError):
    code = "110007"
    default_msg = "Withdrawal amount cannot be less than the current fee"
    confidence = "M"
    meaning = "a withdrawal amount below the network's fee (the fee comes out of the amount); text guessed"


class WithdrawAddressNotAllowed(BitunixError):
    code = "110008"
    default_msg = "Only withdrawals to whitelisted addresses are allowed"
    confidence = "M"
    meaning = "a withdrawal to an address not registered for the account (whitelist it via /_mock); text guessed"


class NonceReused(BitunixError):
    code = "900001"
    default_msg = "nonce already used"
    mock_specific = True
    confidence = "L"
    meaning = "a nonce was seen before for this key inside the window (the real code is unknown)"


class NonceInvalid(BitunixError):
    code = "900002"
    default_msg = "nonce invalid"
    mock_specific = True
    confidence = "L"
    meaning = "the nonce header is missing or not of the profile's length (the real code is unknown)"


class NotFound(BitunixError):
    code = "404"
    default_msg = "Not Found"
    http_status = 404
    mock_specific = True
    meaning = "no endpoint at this path (the real exchange answers HTTP 404; its body is not recorded)"


class MethodNotAllowed(BitunixError):
    code = "405"
    default_msg = "Method Not Allowed"
    http_status = 405
    mock_specific = True
    meaning = "the path exists under another HTTP method"


class BodyTooLarge(BitunixError):
    code = "413"
    default_msg = "Request Entity Too Large"
    http_status = 413
    mock_specific = True
    meaning = "the request body is over the server's size limit"


@dataclass(frozen=True)
class ErrorInfo:
    """One row of the error table (docs/errors.md, OpenAPI and the client's exception map derive from it)."""

    code: str
    msg: str
    http_status: int
    mock_specific: bool
    confidence: str
    meaning: str
    name: str


def _rows(classes: list[type[BitunixError]]) -> dict[str, ErrorInfo]:
    return {
        c.code: ErrorInfo(c.code, c.default_msg, c.http_status, c.mock_specific, c.confidence, c.meaning, c.__name__)
        for c in classes
    }


ERROR_TABLE: dict[str, ErrorInfo] = _rows(
    [
        ParameterError,
        SystemError,
        UserNotFound,
        VolumePrecisionError,
        PricePrecisionError,
        MissingParameter,
        ApiKeyNotFound,
        SignatureError,
        RequestExpired,
        IpNotAllowed,
        NoAuthority,
        TooFrequent,
        WalletInsufficientBalance,
        WithdrawBelowFee,
        WithdrawAddressNotAllowed,
        NonceReused,
        NonceInvalid,
        NotFound,
        MethodNotAllowed,
        BodyTooLarge,
    ]
)


class PlaceRefusal(Exception):
    """An order the exchange accepted as a request but refused to place.

    Rendered inside a *successful* envelope as ``placeStatus 0`` with
    ``placeCode``/``placeMsg`` - the shape seen live.
    """

    place_code: ClassVar[str] = "0"
    place_msg: ClassVar[str] = ""
    mock_specific: ClassVar[bool] = True
    meaning: ClassVar[str] = ""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.place_code} {self.place_msg}" + (f" ({detail})" if detail else ""))


class InsufficientBalance(PlaceRefusal):
    place_code = "10034"
    place_msg = "余额不足"  # the exchange's own text, seen live ("insufficient balance")
    mock_specific = False
    meaning = "free balance does not cover the amount the order must lock"


class MinVolumeNotMet(PlaceRefusal):
    place_code = "910001"
    place_msg = "volume below minVolume"
    meaning = "base quantity below the pair's minVolume"


class MinAmountNotMet(PlaceRefusal):
    place_code = "910002"
    place_msg = "amount below minPrice"
    meaning = "order value (quote) below the pair's minPrice (a minimum notional, despite the name)"


class MaxAmountExceeded(PlaceRefusal):
    place_code = "910003"
    place_msg = "amount above maxAmount"
    meaning = "order value (quote) above the pair's maxAmount"


class MarketClosed(PlaceRefusal):
    place_code = "910004"
    place_msg = "trading pair closed"
    meaning = "the pair's isOpen flag is 0"


class PriceOutsideBand(PlaceRefusal):
    place_code = "910005"
    place_msg = "price outside the allowed range"
    meaning = (
        "limit buy below last x (1 + minBuyPriceOffset) or sell above last x (1 + maxSellPriceOffset); "
        "the band is enforced live, its refusal shape is unknown (switch price_band)"
    )


PLACE_REFUSAL_TABLE: dict[str, type[PlaceRefusal]] = {
    c.place_code: c
    for c in (InsufficientBalance, MinVolumeNotMet, MinAmountNotMet, MaxAmountExceeded, MarketClosed, PriceOutsideBand)
}
