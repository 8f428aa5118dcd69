# GENERATED FILE, DO NOT EDIT: written from client_ref/aio.py by `python -m client_ref._generate` (unasync).
# Edit client_ref/aio.py and run that command; tests/client/test_client_generated.py fails on drift.
"""The reference client, async (``AsyncClient``) and sync (``Client``).

``client_ref/aio.py`` is the source; ``client_ref/sync.py`` is generated from it by unasync with
``python -m client_ref._generate``. Edit aio.py only, then run that command. ``AsyncBaseClient``
(sync: ``BaseClient``) is the transport every product's client shares: signing, sending, retries,
the clock; the futures client (``client_ref/futures/aio.py``) builds on it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self, TypeVar

import httpx

from . import calls
from ._backends import Sleep, sync_pause, sync_sleep
from ._core import (
    SPOT_PRODUCT,
    Call,
    Credentials,
    Prepared,
    Product,
    RetryPolicy,
    parse,
    prepare,
    resolve_base_url,
    server_offset_ms,
)
from .errors import BitunixError, ConnectionFailed
from .models import (
    Balance,
    Candle,
    Coin,
    DepositAddress,
    DepositRecord,
    Depth,
    Fill,
    HistoryPage,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PlaceResult,
    Rate,
    Side,
    TradingPair,
    UserInfo,
    WithdrawRecord,
)
from .signing import new_nonce

__all__ = ["BaseClient", "Client"]

T = TypeVar("T")


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class BaseClient:
    """What every product's client does the same way: build, sign, send, retry, keep the clock.

    A subclass names its :class:`~client_ref._core.Product` and adds one method per endpoint.
    """

    product: ClassVar[Product]

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        secret: str | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        time_offset_ms: int = 0,
        sleep: Sleep | None = None,
        clock_ms: Callable[[], int] | None = None,
        nonce: Callable[[], str] | None = None,
        resync_on_expired: bool = True,
    ) -> None:
        """Arguments fall back to the product's base-URL variable, BITUNIX_API_KEY and BITUNIX_SECRET.

        ``transport`` is any httpx transport of the client's colour (to run in-process:
        ``httpx.ASGITransport(app=create_app())`` for ``AsyncClient``,
        ``mockserver.testing.sync_transport(app)`` for ``Client``). ``sleep``, ``clock_ms`` and
        ``nonce`` exist so tests can control time and randomness; leave them unset in real use.
        """
        self.base_url = resolve_base_url(base_url, self.product)
        self.credentials = Credentials.resolve(api_key, secret)
        self.retry = retry or RetryPolicy()
        self.time_offset_ms = time_offset_ms
        self.resync_on_expired = resync_on_expired
        self._sleep = sleep or sync_sleep
        self._clock_ms = clock_ms or _wall_clock_ms
        self._nonce = nonce or new_nonce
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self.last_request: Prepared | None = None

    def now_ms(self) -> int:
        """The timestamp this client signs with: local time plus the server offset."""
        return self._clock_ms() + self.time_offset_ms

    def run(self, call: Call[T]) -> T:
        """Send ``call`` (re-signing every attempt) and read its result; retries reads per ``self.retry``."""
        attempt = 1
        resynced = False
        while True:
            prepared = prepare(call, self.base_url, self.credentials, self.now_ms, self._nonce, self.product)
            self.last_request = prepared
            sent = self._clock_ms()
            try:
                try:
                    resp = self._http.request(
                        prepared.method, prepared.url, headers=prepared.headers, content=prepared.body or None
                    )
                except httpx.TransportError as exc:
                    raise ConnectionFailed(f"{call.operation}: {exc!r}") from exc
                return parse(call, resp.status_code, resp.headers, resp.content, self.product)
            except self.product.expired:
                # There is no time endpoint: the reply's Date header is the exchange's clock. Live
                # clients re-sync from it on 100008 (spot) and repeat the call once; a call refused
                # for its timestamp was never applied, so repeating it is safe for writes too.
                date = resp.headers.get("date")
                if resynced or not self.resync_on_expired or not date:
                    raise
                self.time_offset_ms = server_offset_ms(date, sent, self._clock_ms())
                resynced = True
            except BitunixError as error:
                delay = self.retry.delay(call, attempt, error, self.product)
                if delay is None:
                    raise
                sync_pause(self._sleep, delay)
                attempt += 1

    def sync_time(self) -> int:
        """Set ``time_offset_ms`` from the server's ``Date`` header (there is no server-time endpoint)."""
        sent = self._clock_ms()
        resp = self._http.get(self.base_url + self.product.clock_path)
        self.time_offset_ms = server_offset_ms(resp.headers.get("date"), sent, self._clock_ms())
        return self.time_offset_ms

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Client(BaseClient):
    """Bitunix spot REST client on httpx: every endpoint, typed results, exact signing.

    ``AsyncClient`` (on ``httpx.AsyncClient``) awaits each call; ``Client`` (on ``httpx.Client``) blocks.
    """

    product = SPOT_PRODUCT

    def trading_pairs(self) -> list[TradingPair]:
        return self.run(calls.trading_pairs())

    def rates(self) -> list[Rate]:
        return self.run(calls.rates())

    def coins(self) -> list[Coin]:
        return self.run(calls.coins())

    def last_price(self, symbol: str) -> Decimal:
        return self.run(calls.last_price(symbol))

    def depth(self, symbol: str, precision: Decimal | str | None = None) -> Depth:
        return self.run(calls.depth(symbol, precision))

    def klines(self, symbol: str, interval: str) -> list[Candle]:
        return self.run(calls.klines(symbol, interval))

    def kline_history(
        self, symbol: str, interval: str | None = None, end_time: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        return self.run(calls.kline_history(symbol, interval, end_time, limit))

    def balances(self) -> list[Balance]:
        return self.run(calls.balances())

    def user_info(self) -> UserInfo:
        return self.run(calls.user_info())

    def place_order(
        self,
        symbol: str,
        side: Side,
        type: OrderType,
        volume: Decimal | str,
        price: Decimal | str | None = None,
        client_id: str | None = None,
    ) -> PlaceResult:
        return self.run(calls.place_order(symbol, side, type, volume, price, client_id))

    def place_orders(self, orders: Sequence[OrderRequest]) -> list[PlaceResult]:
        return self.run(calls.place_orders(orders))

    def cancel_orders(self, orders: Iterable[tuple[str, str]]) -> None:
        return self.run(calls.cancel_orders(orders))

    def pending_orders(self, symbol: str) -> list[Order]:
        return self.run(calls.pending_orders(symbol))

    def order_history(
        self,
        symbol: str,
        page: int = 1,
        page_size: int = 10,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        status: OrderStatus | None = None,
        side: Side | None = None,
        type: OrderType | None = None,
    ) -> HistoryPage:
        return self.run(calls.order_history(symbol, page, page_size, start_time, end_time, status, side, type))

    def order_detail(self, order_id: str) -> Order | None:
        return self.run(calls.order_detail(order_id))

    def order_deals(self, order_id: str, symbol: str) -> list[Fill]:
        return self.run(calls.order_deals(order_id, symbol))

    def withdraw(self, coin: str, network: str, address: str, amount: Decimal | str, memo: str | None = None) -> str:
        return self.run(calls.withdraw(coin, network, address, amount, memo))

    def cancel_withdraw(self, withdraw_id: str) -> None:
        return self.run(calls.cancel_withdraw(withdraw_id))

    def inside_transfer(
        self, coin: str, amount: Decimal | str, to_uid: int, out_biz_id: str | None = None, remark: str | None = None
    ) -> str:
        return self.run(calls.inside_transfer(coin, amount, to_uid, out_biz_id, remark))

    def cancel_inside_transfer(self, transfer_id: str) -> None:
        return self.run(calls.cancel_inside_transfer(transfer_id))

    def withdrawals(
        self,
        coin: str | None = None,
        type: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        record_id: str | None = None,
        out_biz_id: str | None = None,
    ) -> list[WithdrawRecord]:
        return self.run(calls.withdrawals(coin, type, start_time, end_time, limit, record_id, out_biz_id))

    def funds_transfer(self, direction: str, coin: str, amount: Decimal | str) -> str:
        """``direction``: ``spot_futures`` or ``futures_spot``."""
        return self.run(calls.funds_transfer(direction, coin, amount))

    def deposits(
        self,
        coin: str | None = None,
        type: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[DepositRecord]:
        return self.run(calls.deposits(coin, type, start_time, end_time, limit))

    def deposit_address(self, coin: str, network: str) -> list[DepositAddress]:
        return self.run(calls.deposit_address(coin, network))
