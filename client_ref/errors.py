"""One exception hierarchy for everything the client can raise.

:class:`ExchangeError` and its subclasses mirror the exchange's error codes (one
class per code; the code and msg the server sent are kept). :class:`TransportError`
covers what is not an exchange answer: no connection, an HTTP status without an
envelope, a body that is not the exchange's JSON. Nothing here depends on httpx.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EXCHANGE_ERRORS",
    "ApiKeyNotFound",
    "BitunixError",
    "BodyTooLarge",
    "ConnectionFailed",
    "ExchangeError",
    "HttpStatusError",
    "InsufficientBalance",
    "IpNotAllowed",
    "MethodNotAllowed",
    "MissingParameter",
    "NoAuthority",
    "NonceInvalid",
    "NonceReused",
    "NotFound",
    "ParameterError",
    "PlaceRefused",
    "PricePrecisionError",
    "RequestExpired",
    "SignatureError",
    "SystemError",
    "TooFrequent",
    "TransportError",
    "UnexpectedResponse",
    "UserNotFound",
    "VolumePrecisionError",
    "WithdrawAddressNotAllowed",
    "WithdrawBelowFee",
    "error_for",
]


class BitunixError(Exception):
    """Base of every error this client raises."""


class ExchangeError(BitunixError):
    """The exchange answered with an error envelope."""

    code: ClassVar[str] = ""
    #: The exchange is busy (rate limit, internal failure): a read may be retried after a pause.
    busy: ClassVar[bool] = False

    def __init__(self, code: str, msg: str, http_status: int = 200, retry_after: float | None = None) -> None:
        super().__init__(f"[{code}] {msg}")
        self.exchange_code = code
        self.msg = msg
        self.http_status = http_status
        self.retry_after = retry_after


class ParameterError(ExchangeError):
    """A parameter is missing, mistyped or out of range (also: unknown symbol)."""

    code = "2"


class SystemError(ExchangeError):
    """The exchange failed internally."""

    code = "500"
    busy = True


class UserNotFound(ExchangeError):
    """The account behind the key does not exist."""

    code = "10016"


class InsufficientBalance(ExchangeError):
    """A withdrawal or transfer exceeds the free balance."""

    code = "10034"


class VolumePrecisionError(ExchangeError):
    """Too many decimals in the quantity."""

    code = "10058"


class PricePrecisionError(ExchangeError):
    """Too many decimals in the price."""

    code = "10059"


class MissingParameter(ExchangeError):
    """A required parameter is missing."""

    code = "70003"


class ApiKeyNotFound(ExchangeError):
    """The api-key is empty or unknown."""

    code = "100004"


class SignatureError(ExchangeError):
    """The sign header does not match the request."""

    code = "100005"


class RequestExpired(ExchangeError):
    """The timestamp is outside the accepted window."""

    code = "100008"


class IpNotAllowed(ExchangeError):
    """The caller's IP is not allowed for this key."""

    code = "100011"


class NoAuthority(ExchangeError):
    """The key lacks the permission the endpoint needs."""

    code = "110033"


class TooFrequent(ExchangeError):
    """Rate limited."""

    code = "110041"
    busy = True


class WithdrawBelowFee(ExchangeError):
    """A withdrawal amount below the network's fee."""

    code = "110007"


class WithdrawAddressNotAllowed(ExchangeError):
    """A withdrawal to an address not whitelisted for the account."""

    code = "110008"


class NonceReused(ExchangeError):
    """The nonce was already used (mock-specific code)."""

    code = "900001"


class NonceInvalid(ExchangeError):
    """The nonce is missing or of the wrong length (mock-specific code)."""

    code = "900002"


class NotFound(ExchangeError):
    """No endpoint at this path."""

    code = "404"


class MethodNotAllowed(ExchangeError):
    """Wrong HTTP method for this path."""

    code = "405"


class BodyTooLarge(ExchangeError):
    """The request body is too large."""

    code = "413"


EXCHANGE_ERRORS: dict[str, type[ExchangeError]] = {
    c.code: c
    for c in (
        ParameterError,
        SystemError,
        UserNotFound,
        InsufficientBalance,
        VolumePrecisionError,
        PricePrecisionError,
        MissingParameter,
        ApiKeyNotFound,
        SignatureError,
        RequestExpired,
        IpNotAllowed,
        NoAuthority,
        TooFrequent,
        WithdrawBelowFee,
        WithdrawAddressNotAllowed,
        NonceReused,
        NonceInvalid,
        NotFound,
        MethodNotAllowed,
        BodyTooLarge,
    )
}


def error_for(code: str, msg: str, http_status: int = 200, retry_after: float | None = None) -> ExchangeError:
    """The exception for an error envelope; an unknown code still raises :class:`ExchangeError`."""
    return EXCHANGE_ERRORS.get(code, ExchangeError)(code, msg, http_status, retry_after)


class PlaceRefused(BitunixError):
    """A placement the exchange declined (``placeStatus 0``), raised only on request."""

    def __init__(self, place_code: str, place_msg: str) -> None:
        super().__init__(f"order refused [{place_code}] {place_msg}")
        self.place_code = place_code
        self.place_msg = place_msg


class TransportError(BitunixError):
    """The request did not produce an exchange answer."""


class HttpStatusError(TransportError):
    """An HTTP error status with no exchange envelope (e.g. 429 or 5xx from a proxy)."""

    def __init__(self, status: int, body: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


class ConnectionFailed(TransportError):
    """No answer: connect failure, reset, or timeout (the request may or may not have arrived)."""


class UnexpectedResponse(TransportError):
    """The body is not the exchange's JSON envelope."""
