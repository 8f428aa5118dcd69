"""The futures error hierarchy: one class per code of the futures error table (spec §2.2).

The futures envelope carries ``code`` as a JSON number (``{"code":10007,"data":null,"msg":"..."}``);
the client keeps it as the decimal string (``exchange_code == "10007"``) like spot's, so one
:class:`~client_ref.errors.ExchangeError` base serves both products. ``message`` is the exchange's
documented text, typos included (the official table of ``BitunixOfficial/open-api``
``Demo/Python/error_codes.py`` plus the codes seen live: ``1``, ``403``, ``404``, ``20016``, and the
live wording of ``20015``); the exception's ``msg`` is whatever the server actually sent.
An unknown code still raises :class:`FuturesError` with the code and text kept.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import ExchangeError

__all__ = [
    "FUTURES_ERRORS",
    "FAbnormalOrderStatus",
    "FAccountDeleted",
    "FAccountNotAllowed",
    "FAccountPendingDeletion",
    "FAlreadyFavorite",
    "FApiKeyEmpty",
    "FApiKeyNoPermission",
    "FBatchTooLarge",
    "FBuyPriceTooHigh",
    "FCancelLeadTradingFirst",
    "FClientIdDuplicate",
    "FCouponActivationFailed",
    "FInsufficientAmount",
    "FInsufficientBalance",
    "FInsufficientTrader",
    "FInvalidLeverage",
    "FIpNotAllowed",
    "FLeadAmountUnderLimit",
    "FLeadOrderAmountExceeded",
    "FMarketNotExists",
    "FNetworkError",
    "FNotFound",
    "FOpenOrdersExist",
    "FOrderNotFound",
    "FOrderQtyAboveMax",
    "FParameterError",
    "FPositionExists",
    "FPositionLimit",
    "FPositionNotExist",
    "FPriceAboveLiq",
    "FPriceBelowLiq",
    "FQtyAboveMax",
    "FQtyBelowMin",
    "FQtyTooSmall",
    "FReduceOnlyNoPosition",
    "FReduceOnlySameSide",
    "FRepeatedOperation",
    "FSelectTpOrSl",
    "FSellPriceTooLow",
    "FShareSettlementPending",
    "FSignatureError",
    "FSlAboveEntry",
    "FSlAboveLastRequired",
    "FSlAboveLiq",
    "FSlAboveMarkRequired",
    "FSlBelowEntry",
    "FSlBelowLastRequired",
    "FSlBelowLiq",
    "FSlBelowMarkRequired",
    "FSlNotAboveTrigger",
    "FSlTriggerAboveMark",
    "FSlTriggerBelowMark",
    "FSubAccountLimit",
    "FSymbolNotSupported",
    "FSystemError",
    "FTooFrequent",
    "FTooManyRequests",
    "FTpAboveEntry",
    "FTpAboveLastRequired",
    "FTpAboveMarkRequired",
    "FTpBelowEntry",
    "FTpBelowLastRequired",
    "FTpBelowMarkRequired",
    "FTpBelowMarkRequired2",
    "FTpNotAboveTrigger",
    "FTpNotAboveTrigger2",
    "FTpTriggerAboveMark",
    "FTpTriggerBelowMark",
    "FTpslQtyAbovePosition",
    "FTradingNotAllowed",
    "FTradingProhibited",
    "FTransferBelowOrderAmount",
    "FTriggerNotPositive",
    "FTriggerTooClose",
    "FUserTypeNotAllowed",
    "FValueNotAllowed",
    "FWouldLiquidate",
    "FuturesError",
    "futures_error_for",
]


class FuturesError(ExchangeError):
    """The futures API answered with an error envelope (a non-zero ``code``)."""

    #: The exchange's documented text for this code.
    message: ClassVar[str] = ""


class FNetworkError(FuturesError):
    """Not in the official table; the live answer to some transient failures (PB retries it)."""

    code = "1"
    message = "Network Error"
    busy = True


class FApiKeyNoPermission(FuturesError):
    """The key lacks the permission the endpoint needs."""

    code = "403"
    message = "This API key does not support this operation"


class FNotFound(FuturesError):
    """No endpoint at this path (answered with HTTP 200 live)."""

    code = "404"
    message = "Not Found"


class FSystemError(FuturesError):
    """Transport or internal failure on the exchange."""

    code = "10001"
    message = "Network Error"
    busy = True


class FParameterError(FuturesError):
    """A parameter is missing, malformed or of the wrong type."""

    code = "10002"
    message = "Parameter Error"


class FApiKeyEmpty(FuturesError):
    """The api-key header is missing."""

    code = "10003"
    message = "api-key can't be empty"


class FIpNotAllowed(FuturesError):
    """The caller's IP is outside the key's whitelist."""

    code = "10004"
    message = "The current ip is not in the apikey ip whitelist"


class FTooManyRequests(FuturesError):
    """Rate limited."""

    code = "10005"
    message = "Too many requests, please try again later"
    busy = True


class FTooFrequent(FuturesError):
    """Rate limited."""

    code = "10006"
    message = "Request too frequently"
    busy = True


class FSignatureError(FuturesError):
    """The sign header does not match the request."""

    code = "10007"
    message = "Sign signature error"


class FValueNotAllowed(FuturesError):
    """A value outside its enumeration (live text names the value and the allowed ones)."""

    code = "10008"
    message = "{value} does not comply with the rule, optional [correctValue]"


class FMarketNotExists(FuturesError):
    """Unknown symbol (table text)."""

    code = "20001"
    message = "Market not exists"


class FPositionLimit(FuturesError):
    """The position would exceed the tier the leverage allows."""

    code = "20002"
    message = "The current positions amount has exceeded the maximum open limit, please adjust the risk limit"


class FInsufficientBalance(FuturesError):
    """The available balance does not cover margin and fee."""

    code = "20003"
    message = "Insufficient balance"


class FInsufficientTrader(FuturesError):
    """Copy trading."""

    code = "20004"
    message = "Insufficient Trader"


class FInvalidLeverage(FuturesError):
    """Leverage outside the pair's or the tier's limits."""

    code = "20005"
    message = "Invalid leverage"


class FOpenOrdersExist(FuturesError):
    """Leverage or margin-mode change with open orders."""

    code = "20006"
    message = "You can't change leverage or margin mode as there are open orders"


class FOrderNotFound(FuturesError):
    """No such order."""

    code = "20007"
    message = "Order not found, please try it later"


class FInsufficientAmount(FuturesError):
    """Not enough margin to remove."""

    code = "20008"
    message = "Insufficient amount"


class FPositionExists(FuturesError):
    """Position-mode change with a position or order."""

    code = "20009"
    message = "Position exists, so positions mode cannot be updated"


class FCouponActivationFailed(FuturesError):
    """Coupon."""

    code = "20010"
    message = (
        "Activation failed, the available balance in the futures account does not meet the conditions for "
        "activation of the coupon"
    )


class FAccountNotAllowed(FuturesError):
    """The account may not trade futures."""

    code = "20011"
    message = "Account not allowed to trade"


class FTradingNotAllowed(FuturesError):
    """The contract does not allow this action now."""

    code = "20012"
    message = "This futures does not allow trading"


class FAccountPendingDeletion(FuturesError):
    """The account is being deleted."""

    code = "20013"
    message = "Function disabled due tp pending account deletion request"


class FAccountDeleted(FuturesError):
    """The account is deleted."""

    code = "20014"
    message = "Account deleted"


class FSymbolNotSupported(FuturesError):
    """Unknown or delisted symbol (live text; the table says 'This futures is not supported')."""

    code = "20015"
    message = "this Futures is not allowed to trade."


class FBatchTooLarge(FuturesError):
    """batch_order with too many orders."""

    code = "20016"
    message = "Batch order exceeded the max size"


class FWouldLiquidate(FuturesError):
    """The order would open a position beyond its liquidation price."""

    code = "30001"
    message = (
        "Failed to order. Please adjust the order price or the leverage as the order price dealt may "
        "immediately liquidate."
    )


class FPriceBelowLiq(FuturesError):
    """Price below liquidated price."""

    code = "30002"
    message = "Price below liquidated price"


class FPriceAboveLiq(FuturesError):
    """Price above liquidated price."""

    code = "30003"
    message = "Price above liquidated price"


class FPositionNotExist(FuturesError):
    """Close, flash-close, margin or TP/SL on a missing position."""

    code = "30004"
    message = "Position not exist"


class FTriggerTooClose(FuturesError):
    """The trigger price is closer to the current price and may be triggered immediately."""

    code = "30005"
    message = "The trigger price is closer to the current price and may be triggered immediately"


class FSelectTpOrSl(FuturesError):
    """Neither tpPrice nor slPrice."""

    code = "30006"
    message = "Please select TP or SL"


class FTpAboveEntry(FuturesError):
    """TP trigger price is greater than average entry price."""

    code = "30007"
    message = "TP trigger price is greater than average entry price"


class FTpBelowEntry(FuturesError):
    """TP trigger price is less than average entry price."""

    code = "30008"
    message = "TP trigger price is less than average entry price"


class FSlBelowEntry(FuturesError):
    """SL trigger price is less than average entry price."""

    code = "30009"
    message = "SL trigger price is less than average entry price"


class FSlAboveEntry(FuturesError):
    """SL trigger price is greater than average entry price."""

    code = "30010"
    message = "SL trigger price is greater than average entry price"


class FAbnormalOrderStatus(FuturesError):
    """Modify or cancel of an order that is no longer open."""

    code = "30011"
    message = "Abnormal order status"


class FAlreadyFavorite(FuturesError):
    """Already added to favorite."""

    code = "30012"
    message = "Already added to favorite"


class FQtyAboveMax(FuturesError):
    """Exceeded the maximum order quantity."""

    code = "30013"
    message = "Exceeded the maximum order quantity"


class FBuyPriceTooHigh(FuturesError):
    """Max Buy Order Price."""

    code = "30014"
    message = "Max Buy Order Price"


class FSellPriceTooLow(FuturesError):
    """Mini Sell Order Price."""

    code = "30015"
    message = "Mini Sell Order Price"


class FQtyTooSmall(FuturesError):
    """The qty should be larger than."""

    code = "30016"
    message = "The qty should be larger than"


class FQtyBelowMin(FuturesError):
    """The qty cannot be less than the minimum qty."""

    code = "30017"
    message = "The qty cannot be less than the minimum qty"


class FReduceOnlyNoPosition(FuturesError):
    """Order failed. No position opened. Cancel [Reduce-only] settings and retry later."""

    code = "30018"
    message = "Order failed. No position opened. Cancel [Reduce-only] settings and retry later"


class FReduceOnlySameSide(FuturesError):
    """Order failed. A [Reduce-only] order can not be in the same direction as the open position."""

    code = "30019"
    message = "Order failed. A [Reduce-only] order can not be in the same direction as the open position"


class FTpTriggerBelowMark(FuturesError):
    """Trigger price for TP should be higher than mark price."""

    code = "30020"
    message = "Trigger price for TP should be higher than mark price"


class FTpTriggerAboveMark(FuturesError):
    """Trigger price for TP should be lower than mark price."""

    code = "30021"
    message = "Trigger price for TP should be lower than mark price"


class FSlTriggerBelowMark(FuturesError):
    """Trigger price for SL should be higher than mark price."""

    code = "30022"
    message = "Trigger price for SL should be higher than mark price"


class FSlTriggerAboveMark(FuturesError):
    """Trigger price fo SL should be lower than mark price."""

    code = "30023"
    message = "Trigger price fo SL should be lower than mark price"


class FSlAboveLiq(FuturesError):
    """Trigger price for SL should be lower than liq price."""

    code = "30024"
    message = "Trigger price for SL should be lower than liq price"


class FSlBelowLiq(FuturesError):
    """Trigger price for SL should be higher than liq price."""

    code = "30025"
    message = "Trigger price for SL should be higher than liq price"


class FTpAboveLastRequired(FuturesError):
    """TP price must be greater than last price."""

    code = "30026"
    message = "TP price must be greater than last price"


class FTpAboveMarkRequired(FuturesError):
    """TP price must be greater than mark price."""

    code = "30027"
    message = "TP price must be greater than mark price"


class FSlBelowLastRequired(FuturesError):
    """SL price must be less than last price."""

    code = "30028"
    message = "SL price must be less than last price"


class FSlBelowMarkRequired(FuturesError):
    """SL price must be less than mark price."""

    code = "30029"
    message = "SL price must be less than mark price"


class FSlAboveLastRequired(FuturesError):
    """SL price must be greater than last price."""

    code = "30030"
    message = "SL price must be greater than last price"


class FSlAboveMarkRequired(FuturesError):
    """SL price must be greater than mark price."""

    code = "30031"
    message = "SL price must be greater than mark price"


class FTpBelowLastRequired(FuturesError):
    """TP price must be less than last price."""

    code = "30032"
    message = "TP price must be less than last price"


class FTpBelowMarkRequired(FuturesError):
    """TP price must be less than mark price."""

    code = "30033"
    message = "TP price must be less than mark price"


class FTpBelowMarkRequired2(FuturesError):
    """TP price must be less than mark price."""

    code = "30034"
    message = "TP price must be less than mark price"


class FSlNotAboveTrigger(FuturesError):
    """SL price must be greater than trigger price."""

    code = "30035"
    message = "SL price must be greater than trigger price"


class FTpNotAboveTrigger(FuturesError):
    """TP price must be greater than trigger price."""

    code = "30036"
    message = "TP price must be greater than trigger price"


class FTpNotAboveTrigger2(FuturesError):
    """TP price must be greater than trigger price."""

    code = "30037"
    message = "TP price must be greater than trigger price"


class FTpslQtyAbovePosition(FuturesError):
    """TP/SL amount must be less than the size of the position."""

    code = "30038"
    message = "TP/SL amount must be less than the size of the position"


class FOrderQtyAboveMax(FuturesError):
    """The order qty can't be greater than the max order qty."""

    code = "30039"
    message = "The order qty can't be greater than the max order qty"


class FTradingProhibited(FuturesError):
    """Futures trading is prohibited, please contact customer service."""

    code = "30040"
    message = "Futures trading is prohibited, please contact customer service"


class FTriggerNotPositive(FuturesError):
    """Trigger price must be greater than 0."""

    code = "30041"
    message = "Trigger price must be greater than 0"


class FClientIdDuplicate(FuturesError):
    """Client ID duplicate."""

    code = "30042"
    message = "Client ID duplicate"


class FCancelLeadTradingFirst(FuturesError):
    """Copy trading."""

    code = "40001"
    message = "Please cancel open orders and close all positions before canceling lead trading"


class FLeadAmountUnderLimit(FuturesError):
    """Copy trading."""

    code = "40002"
    message = "Lead amount hast to be over the limits"


class FLeadOrderAmountExceeded(FuturesError):
    """Copy trading."""

    code = "40003"
    message = "Lead order amount exceeds the limits"


class FRepeatedOperation(FuturesError):
    """Copy trading."""

    code = "40004"
    message = "Please do not repeat the operation"


class FUserTypeNotAllowed(FuturesError):
    """Copy trading."""

    code = "40005"
    message = "Action is not available for the current user type"


class FSubAccountLimit(FuturesError):
    """Copy trading."""

    code = "40006"
    message = "Sub-account reaches the limit"


class FShareSettlementPending(FuturesError):
    """Copy trading."""

    code = "40007"
    message = "Share settlement is being processed,lease try again later"


class FTransferBelowOrderAmount(FuturesError):
    """Copy trading."""

    code = "40008"
    message = "After the transfer, the account balance will be less than the order amount, please enter again"


#: code -> exception class, for every code of the futures error table.
FUTURES_ERRORS: dict[str, type[FuturesError]] = {
    c.code: c
    for c in (
        FNetworkError,
        FApiKeyNoPermission,
        FNotFound,
        FSystemError,
        FParameterError,
        FApiKeyEmpty,
        FIpNotAllowed,
        FTooManyRequests,
        FTooFrequent,
        FSignatureError,
        FValueNotAllowed,
        FMarketNotExists,
        FPositionLimit,
        FInsufficientBalance,
        FInsufficientTrader,
        FInvalidLeverage,
        FOpenOrdersExist,
        FOrderNotFound,
        FInsufficientAmount,
        FPositionExists,
        FCouponActivationFailed,
        FAccountNotAllowed,
        FTradingNotAllowed,
        FAccountPendingDeletion,
        FAccountDeleted,
        FSymbolNotSupported,
        FBatchTooLarge,
        FWouldLiquidate,
        FPriceBelowLiq,
        FPriceAboveLiq,
        FPositionNotExist,
        FTriggerTooClose,
        FSelectTpOrSl,
        FTpAboveEntry,
        FTpBelowEntry,
        FSlBelowEntry,
        FSlAboveEntry,
        FAbnormalOrderStatus,
        FAlreadyFavorite,
        FQtyAboveMax,
        FBuyPriceTooHigh,
        FSellPriceTooLow,
        FQtyTooSmall,
        FQtyBelowMin,
        FReduceOnlyNoPosition,
        FReduceOnlySameSide,
        FTpTriggerBelowMark,
        FTpTriggerAboveMark,
        FSlTriggerBelowMark,
        FSlTriggerAboveMark,
        FSlAboveLiq,
        FSlBelowLiq,
        FTpAboveLastRequired,
        FTpAboveMarkRequired,
        FSlBelowLastRequired,
        FSlBelowMarkRequired,
        FSlAboveLastRequired,
        FSlAboveMarkRequired,
        FTpBelowLastRequired,
        FTpBelowMarkRequired,
        FTpBelowMarkRequired2,
        FSlNotAboveTrigger,
        FTpNotAboveTrigger,
        FTpNotAboveTrigger2,
        FTpslQtyAbovePosition,
        FOrderQtyAboveMax,
        FTradingProhibited,
        FTriggerNotPositive,
        FClientIdDuplicate,
        FCancelLeadTradingFirst,
        FLeadAmountUnderLimit,
        FLeadOrderAmountExceeded,
        FRepeatedOperation,
        FUserTypeNotAllowed,
        FSubAccountLimit,
        FShareSettlementPending,
        FTransferBelowOrderAmount,
    )
}


def futures_error_for(code: str, msg: str, http_status: int = 200, retry_after: float | None = None) -> ExchangeError:
    """The exception for a futures error envelope; an unknown code still raises :class:`FuturesError`."""
    return FUTURES_ERRORS.get(code, FuturesError)(code, msg, http_status, retry_after)
