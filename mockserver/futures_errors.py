"""Every error the futures API can answer with, in one typed hierarchy beside spot's.

The futures product numbers its errors differently from spot (spec §2.2): ``1``,
``404``, ``1000x``, ``2000x`` and ``3000x``. Codes are kept as strings like spot's so
one journal and one error type serve both products; the futures envelope writes them
as JSON numbers. A refused futures order is a non-zero ``code`` (spec §1.7), so there
is no futures counterpart of spot's ``PlaceRefusal``.

Messages are the exchange's exact texts, typos included ("Mini Sell Order Price",
"fo SL", "due tp"). ``confidence`` follows the spec's marks: H where the code was
seen live, M where the official table alone states it, L where the mock chose.
"""

from __future__ import annotations

from typing import ClassVar

from mockserver.errors import BitunixError, ErrorInfo

__all__ = [
    "FUTURES_ERROR_TABLE",
    "FAbnormalOrderStatus",
    "FAccountNotAllowed",
    "FApiKeyEmpty",
    "FApiKeyNoPermission",
    "FBatchTooLarge",
    "FBuyPriceTooHigh",
    "FClientIdDuplicate",
    "FInsufficientAmount",
    "FInsufficientBalance",
    "FInvalidLeverage",
    "FIpNotAllowed",
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
    "FSelectTpOrSl",
    "FSellPriceTooLow",
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
    "FTriggerNotPositive",
    "FTriggerTooClose",
    "FValueNotAllowed",
    "FWouldLiquidate",
    "FuturesError",
]


class FuturesError(BitunixError):
    """A futures request the exchange refuses; rendered ``{"code": <int>, "data": null, "msg": ...}``."""

    code: ClassVar[str] = "10001"
    default_msg: ClassVar[str] = "Network Error"
    confidence: ClassVar[str] = "M"


# -- transport, auth and parameters ------------------------------------------------------


class FNetworkError(FuturesError):
    code = "1"
    default_msg = "Network Error"
    confidence = "H"
    meaning = "not in the official table; the live answer to depth without symbol and to some transient failures"


class FNotFound(FuturesError):
    code = "404"
    default_msg = "Not Found"
    http_status = 200
    meaning = "unknown path under /api/v1/futures/, answered with HTTP 200 (seen live)"


class FApiKeyNoPermission(FuturesError):
    code = "403"
    default_msg = "This API key does not support this operation"
    meaning = "the key lacks the permission (newest table only)"


class FSystemError(FuturesError):
    code = "10001"
    default_msg = "Network Error"
    meaning = "transport or internal failure; retryable"


class FParameterError(FuturesError):
    code = "10002"
    default_msg = "Parameter Error"
    meaning = "a parameter is missing, malformed or of the wrong type"


class FApiKeyEmpty(FuturesError):
    code = "10003"
    default_msg = "api-key can't be empty"
    meaning = "the api-key header is missing"


class FIpNotAllowed(FuturesError):
    code = "10004"
    default_msg = "The current ip is not in the apikey ip whitelist"
    meaning = "the caller's IP is outside the key's whitelist"


class FTooManyRequests(FuturesError):
    code = "10005"
    default_msg = "Too many requests, please try again later"
    meaning = "rate limited (not tested live)"


class FTooFrequent(FuturesError):
    code = "10006"
    default_msg = "Request too frequently"
    meaning = "rate limited (not tested live)"


class FSignatureError(FuturesError):
    code = "10007"
    default_msg = "Sign signature error"
    meaning = "the sign header does not match the request"


class FValueNotAllowed(FuturesError):
    """The live text names the value and the allowed ones; pass it as ``msg``.

    Live: ``Parameter 20 does not match, alternative value ["1","5","15","50","max"].``
    :meth:`for_value` builds that text.
    """

    code = "10008"
    default_msg = "{value} does not comply with the rule, optional [correctValue]"
    confidence = "H"
    meaning = "a value outside its enumeration or grid (e.g. depth limit, too many decimals)"

    @classmethod
    def for_value(cls, value: str, allowed: list[str], detail: str = "") -> FValueNotAllowed:
        """The live wording: ``Parameter <v> does not match, alternative value ["a","b"].``"""
        alts = ",".join(f'"{a}"' for a in allowed)
        return cls(detail, msg=f"Parameter {value} does not match, alternative value [{alts}].")


# -- account and market (2000x) -----------------------------------------------------------


class FMarketNotExists(FuturesError):
    code = "20001"
    default_msg = "Market not exists"
    meaning = "unknown symbol (table text; live answers 20015 for unknown symbols on market reads)"


class FPositionLimit(FuturesError):
    code = "20002"
    default_msg = "The current positions amount has exceeded the maximum open limit, please adjust the risk limit"
    meaning = "position value would exceed the tier bracket the leverage allows"


class FInsufficientBalance(FuturesError):
    code = "20003"
    default_msg = "Insufficient balance"
    meaning = "available balance does not cover the margin and fee an order or transfer needs"


class FInvalidLeverage(FuturesError):
    code = "20005"
    default_msg = "Invalid leverage"
    meaning = "leverage outside minLeverage..maxLeverage or above the tier the position's value allows"


class FOpenOrdersExist(FuturesError):
    code = "20006"
    default_msg = "You can't change leverage or margin mode as there are open orders"
    meaning = "change_leverage/change_margin_mode with open orders (margin mode also with a position)"


class FOrderNotFound(FuturesError):
    code = "20007"
    default_msg = "Order not found, please try it later"
    meaning = "no order of this account with that orderId/clientId"


class FInsufficientAmount(FuturesError):
    code = "20008"
    default_msg = "Insufficient amount"
    meaning = "removing more isolated margin than the position can spare"


class FPositionExists(FuturesError):
    code = "20009"
    default_msg = "Position exists, so positions mode cannot be updated"
    meaning = "change_position_mode while a position or an order exists"


class FAccountNotAllowed(FuturesError):
    code = "20011"
    default_msg = "Account not allowed to trade"
    meaning = "the account is barred from futures trading"


class FTradingNotAllowed(FuturesError):
    code = "20012"
    default_msg = "This futures does not allow trading"
    confidence = "L"
    meaning = "the contract is not OPEN for this action (CANCEL_ONLY, STOP) or isApiSupported is false"


class FSymbolNotSupported(FuturesError):
    code = "20015"
    default_msg = "this Futures is not allowed to trade."
    confidence = "H"
    meaning = "unknown or delisted symbol (live text; the table says 'This futures is not supported.')"


class FBatchTooLarge(FuturesError):
    code = "20016"
    default_msg = "Batch order exceeded the max size"
    meaning = "batch_order with more than 5 orders"


# -- orders, positions, TP/SL (3000x) -----------------------------------------------------


class FWouldLiquidate(FuturesError):
    code = "30001"
    default_msg = (
        "Failed to order. Please adjust the order price or the leverage as the order price dealt may "
        "immediately liquidate."
    )
    meaning = "the order would open a position already beyond its liquidation price"


class FPriceBelowLiq(FuturesError):
    code = "30002"
    default_msg = "Price below liquidated price"
    meaning = "a sell/close price below the position's liquidation price"


class FPriceAboveLiq(FuturesError):
    code = "30003"
    default_msg = "Price above liquidated price"
    meaning = "a buy/close price above the position's liquidation price"


class FPositionNotExist(FuturesError):
    code = "30004"
    default_msg = "Position not exist"
    meaning = "close, flash-close, margin adjustment or TP/SL on a position that does not exist"


class FTriggerTooClose(FuturesError):
    code = "30005"
    default_msg = "The trigger price is closer to the current price and may be triggered immediately"
    meaning = "a TP/SL trigger equal to the current reference price"


class FSelectTpOrSl(FuturesError):
    code = "30006"
    default_msg = "Please select TP or SL"
    meaning = "neither tpPrice nor slPrice"


class FTpAboveEntry(FuturesError):
    code = "30007"
    default_msg = "TP trigger price is greater than average entry price"
    meaning = "a short's TP trigger above its entry price"


class FTpBelowEntry(FuturesError):
    code = "30008"
    default_msg = "TP trigger price is less than average entry price"
    meaning = "a long's TP trigger below its entry price"


class FSlBelowEntry(FuturesError):
    code = "30009"
    default_msg = "SL trigger price is less than average entry price"
    meaning = "a short's SL trigger below its entry price"


class FSlAboveEntry(FuturesError):
    code = "30010"
    default_msg = "SL trigger price is greater than average entry price"
    meaning = "a long's SL trigger above its entry price"


class FAbnormalOrderStatus(FuturesError):
    code = "30011"
    default_msg = "Abnormal order status"
    meaning = "modify or cancel of an order that is no longer open"


class FQtyAboveMax(FuturesError):
    code = "30013"
    default_msg = "Exceeded the maximum order quantity"
    meaning = "a limit order's qty above maxLimitOrderVolume"


class FBuyPriceTooHigh(FuturesError):
    code = "30014"
    default_msg = "Max Buy Order Price"
    confidence = "L"
    meaning = "a buy price above mark x (1 + priceProtectScope) (rule inferred from the message)"


class FSellPriceTooLow(FuturesError):
    code = "30015"
    default_msg = "Mini Sell Order Price"
    confidence = "L"
    meaning = "a sell price below mark x (1 - priceProtectScope) (rule inferred from the message)"


class FQtyTooSmall(FuturesError):
    code = "30016"
    default_msg = "The qty should be larger than"
    meaning = "qty zero or negative"


class FQtyBelowMin(FuturesError):
    code = "30017"
    default_msg = "The qty cannot be less than the minimum qty"
    meaning = "qty below minTradeVolume"


class FReduceOnlyNoPosition(FuturesError):
    code = "30018"
    default_msg = "Order failed. No position opened. Cancel [Reduce-only] settings and retry later"
    meaning = "a reduce-only or close order with no position to reduce"


class FReduceOnlySameSide(FuturesError):
    code = "30019"
    default_msg = "Order failed. A [Reduce-only] order can not be in the same direction as the open position"
    meaning = "a reduce-only order that would grow the position"


class FTpTriggerBelowMark(FuturesError):
    code = "30020"
    default_msg = "Trigger price for TP should be higher than mark price"
    meaning = "a long's TP trigger (MARK_PRICE) at or below the mark"


class FTpTriggerAboveMark(FuturesError):
    code = "30021"
    default_msg = "Trigger price for TP should be lower than mark price"
    meaning = "a short's TP trigger (MARK_PRICE) at or above the mark"


class FSlTriggerBelowMark(FuturesError):
    code = "30022"
    default_msg = "Trigger price for SL should be higher than mark price"
    meaning = "a short's SL trigger (MARK_PRICE) at or below the mark"


class FSlTriggerAboveMark(FuturesError):
    code = "30023"
    default_msg = "Trigger price fo SL should be lower than mark price"
    meaning = "a long's SL trigger (MARK_PRICE) at or above the mark"


class FSlAboveLiq(FuturesError):
    code = "30024"
    default_msg = "Trigger price for SL should be lower than liq price"
    meaning = "a short's SL trigger beyond (above) its liquidation price"


class FSlBelowLiq(FuturesError):
    code = "30025"
    default_msg = "Trigger price for SL should be higher than liq price"
    meaning = "a long's SL trigger beyond (below) its liquidation price"


class FTpAboveLastRequired(FuturesError):
    code = "30026"
    default_msg = "TP price must be greater than last price"
    meaning = "a long's TP trigger (LAST_PRICE) at or below the last price"


class FTpAboveMarkRequired(FuturesError):
    code = "30027"
    default_msg = "TP price must be greater than mark price"
    meaning = "a long's TP trigger at or below the mark (modify path)"


class FSlBelowLastRequired(FuturesError):
    code = "30028"
    default_msg = "SL price must be less than last price"
    meaning = "a long's SL trigger (LAST_PRICE) at or above the last price"


class FSlBelowMarkRequired(FuturesError):
    code = "30029"
    default_msg = "SL price must be less than mark price"
    meaning = "a long's SL trigger at or above the mark (modify path)"


class FSlAboveLastRequired(FuturesError):
    code = "30030"
    default_msg = "SL price must be greater than last price"
    meaning = "a short's SL trigger (LAST_PRICE) at or below the last price"


class FSlAboveMarkRequired(FuturesError):
    code = "30031"
    default_msg = "SL price must be greater than mark price"
    meaning = "a short's SL trigger at or below the mark (modify path)"


class FTpBelowLastRequired(FuturesError):
    code = "30032"
    default_msg = "TP price must be less than last price"
    meaning = "a short's TP trigger (LAST_PRICE) at or above the last price"


class FTpBelowMarkRequired(FuturesError):
    code = "30033"
    default_msg = "TP price must be less than mark price"
    meaning = "a short's TP trigger at or above the mark (modify path)"


class FTpBelowMarkRequired2(FuturesError):
    code = "30034"
    default_msg = "TP price must be less than mark price"
    meaning = "duplicate text of 30033 in the official table; not raised by the mock"


class FSlNotAboveTrigger(FuturesError):
    code = "30035"
    default_msg = "SL price must be greater than trigger price"
    meaning = "a short's limit SL child price at or below its trigger"


class FTpNotAboveTrigger(FuturesError):
    code = "30036"
    default_msg = "TP price must be greater than trigger price"
    meaning = "a long's limit TP child price below its trigger"


class FTpNotAboveTrigger2(FuturesError):
    code = "30037"
    default_msg = "TP price must be greater than trigger price"
    meaning = "duplicate text of 30036 in the official table; not raised by the mock"


class FTpslQtyAbovePosition(FuturesError):
    code = "30038"
    default_msg = "TP/SL amount must be less than the size of the position"
    meaning = "tpQty/slQty above the position's size"


class FOrderQtyAboveMax(FuturesError):
    code = "30039"
    default_msg = "The order qty can't be greater than the max order qty"
    meaning = "a market order's qty above maxMarketOrderVolume"


class FTradingProhibited(FuturesError):
    code = "30040"
    default_msg = "Futures trading is prohibited, please contact customer service"
    meaning = "the account's futures trading is switched off"


class FTriggerNotPositive(FuturesError):
    code = "30041"
    default_msg = "Trigger price must be greater than 0"
    meaning = "a TP/SL trigger price of zero or below"


class FClientIdDuplicate(FuturesError):
    code = "30042"
    default_msg = "Client ID duplicate"
    meaning = "a clientId already used by another order of the account"


_CLASSES: list[type[FuturesError]] = [
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
    FInvalidLeverage,
    FOpenOrdersExist,
    FOrderNotFound,
    FInsufficientAmount,
    FPositionExists,
    FAccountNotAllowed,
    FTradingNotAllowed,
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
]

#: code -> row, in table order; the futures error table of the docs and OpenAPI derive from it.
FUTURES_ERROR_TABLE: dict[str, ErrorInfo] = {
    c.code: ErrorInfo(c.code, c.default_msg, c.http_status, c.mock_specific, c.confidence, c.meaning, c.__name__)
    for c in _CLASSES
}
