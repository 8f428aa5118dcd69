"""How the kit talks to a client under test: a small Python protocol, or JSON lines to any program.

Every operation takes and returns plain JSON values, so a Python adapter and a
driver in another language are judged identically:

* amounts and prices are decimal **strings** (``"0.001"``), never floats;
* ``place_order`` returns ``{"accepted": bool, "order_id": str | null, "place_code": str | null}``;
* orders are ``{"order_id", "symbol", "side", "type", "status", "price", "volume",
  "deal_volume", "client_id"}`` with ``side``/``type``/``status`` as the API's integers;
* ``balances`` returns ``{coin: {"free": str, "locked": str}}``;
* an exchange error is raised as :class:`ClientError` carrying the exchange ``code``
  (an adapter translates its client's exceptions into it). Anything else raised is a
  crash, and the kit reports it as one.

Two operations are optional (:data:`OPTIONAL_OPERATIONS`): ``sign`` (the client's signer on
given inputs) and ``signed_get`` (a signed GET of a path with given query parameters, through
the client's own request path). Spot's signed GETs take at most one parameter, so only
``signed_get`` lets the kit see how the client sorts several.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from .adapter_futures import FUTURES_OPERATIONS, PRODUCTS, DriverFutures, ReferenceFutures, products_of
from .outcomes import ClientCrashed, ClientError, RuleSkipped, traceback_excerpt

__all__ = [
    "FUTURES_OPERATIONS",
    "OPERATIONS",
    "OPTIONAL_OPERATIONS",
    "PRODUCTS",
    "Adapter",
    "AdapterFactory",
    "ClientCrashed",
    "ClientError",
    "DriverAdapter",
    "ReferenceAdapter",
    "driver_factory",
    "products_of",
    "reference_factory",
    "traceback_excerpt",
]

#: The operations every adapter implements, with their argument names.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "last_price": ("symbol",),
    "depth": ("symbol",),
    "balances": (),
    "place_order": ("symbol", "side", "type", "volume", "price", "client_id"),
    "place_orders": ("orders",),
    "cancel_orders": ("orders",),
    "pending_orders": ("symbol",),
    "order_history": ("symbol", "page", "page_size"),
    "order_detail": ("order_id",),
    "order_deals": ("order_id", "symbol"),
}


#: Operations a client may lack: a rule that needs one is reported skipped without it (``products``: what the
#: client implements, spot when absent; the futures operations are in :mod:`conformance.adapter_futures`).
OPTIONAL_OPERATIONS = frozenset({"sign", "signed_get", "products"})


@runtime_checkable
class Adapter(Protocol):
    """One method per operation; see the module docstring for the value shapes."""

    def last_price(self, symbol: str) -> str: ...
    def depth(self, symbol: str) -> dict[str, Any]: ...
    def balances(self) -> dict[str, dict[str, str]]: ...
    def place_order(
        self, symbol: str, side: int, type: int, volume: str, price: str | None, client_id: str | None
    ) -> dict[str, Any]: ...
    def place_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def cancel_orders(self, orders: list[dict[str, str]]) -> None: ...
    def pending_orders(self, symbol: str) -> list[dict[str, Any]]: ...
    def order_history(self, symbol: str, page: int, page_size: int) -> dict[str, Any]: ...
    def order_detail(self, order_id: str) -> dict[str, Any] | None: ...
    def order_deals(self, order_id: str, symbol: str) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


#: ``factory(base_url, api_key, secret, transport)`` -> Adapter. ``transport`` is an httpx
#: transport for in-process runs (None over HTTP); adapters that cannot use one ignore it.
AdapterFactory = Callable[[str, str, str, Any], Adapter]


def _d(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


def _order(o: Any) -> dict[str, Any]:
    return {
        "order_id": o.order_id,
        "symbol": o.symbol,
        "side": int(o.side),
        "type": int(o.type),
        "status": int(o.status),
        "price": _d(o.price),
        "volume": _d(o.volume),
        "deal_volume": _d(o.deal_volume),
        "client_id": o.client_id,
    }


class ReferenceAdapter(ReferenceFutures):
    """The reference clients behind the adapter protocol: ``client_ref.Client`` for spot and, when given,
    ``client_ref.futures.FuturesClient`` for futures (then it declares both products)."""

    def __init__(self, client: Any, futures: Any = None) -> None:
        self.client = client
        self.futures = futures
        self.products: tuple[str, ...] = PRODUCTS if futures is not None else ("spot",)

    def _run(self, fn: Callable[[], Any]) -> Any:
        from client_ref import ExchangeError, TransportError

        try:
            return fn()
        except ExchangeError as e:  # the futures client's errors are ExchangeErrors too, codes as strings
            raise ClientError(e.exchange_code, e.msg, type(e).__name__) from None
        except TransportError as e:
            raise ClientError("transport", str(e), type(e).__name__) from None

    def last_price(self, symbol: str) -> str:
        return str(_d(self._run(lambda: self.client.last_price(symbol))))

    def depth(self, symbol: str) -> dict[str, Any]:
        d = self._run(lambda: self.client.depth(symbol))
        return {
            "asks": [[_d(x.price), _d(x.volume)] for x in d.asks],
            "bids": [[_d(x.price), _d(x.volume)] for x in d.bids],
        }

    def balances(self) -> dict[str, dict[str, str]]:
        rows = self._run(self.client.balances)
        return {b.coin: {"free": format(b.free, "f"), "locked": format(b.locked, "f")} for b in rows}

    def place_order(
        self, symbol: str, side: int, type: int, volume: str, price: str | None, client_id: str | None
    ) -> dict[str, Any]:
        from client_ref import OrderType, Side

        r = self._run(lambda: self.client.place_order(symbol, Side(side), OrderType(type), volume, price, client_id))
        return {"accepted": r.accepted, "order_id": r.order_id, "place_code": r.place_code}

    def place_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from client_ref import OrderRequest, OrderType, Side

        reqs = [
            OrderRequest(
                o["symbol"],
                Side(o["side"]),
                OrderType(o["type"]),
                Decimal(o["volume"]),
                None if o.get("price") is None else Decimal(o["price"]),
                o.get("client_id"),
            )
            for o in orders
        ]
        results = self._run(lambda: self.client.place_orders(reqs))
        return [{"accepted": r.accepted, "order_id": r.order_id, "place_code": r.place_code} for r in results]

    def cancel_orders(self, orders: list[dict[str, str]]) -> None:
        self._run(lambda: self.client.cancel_orders([(o["order_id"], o["symbol"]) for o in orders]))

    def pending_orders(self, symbol: str) -> list[dict[str, Any]]:
        return [_order(o) for o in self._run(lambda: self.client.pending_orders(symbol))]

    def order_history(self, symbol: str, page: int, page_size: int) -> dict[str, Any]:
        p = self._run(lambda: self.client.order_history(symbol, page, page_size))
        return {"total": p.total, "orders": [_order(o) for o in p.orders]}

    def order_detail(self, order_id: str) -> dict[str, Any] | None:
        o = self._run(lambda: self.client.order_detail(order_id))
        return None if o is None else _order(o)

    def order_deals(self, order_id: str, symbol: str) -> list[dict[str, Any]]:
        fills = self._run(lambda: self.client.order_deals(order_id, symbol))
        return [{"price": _d(f.price), "volume": _d(f.volume), "fee": _d(f.fee), "maker": f.maker} for f in fills]

    def sign(
        self, nonce: str, timestamp: str, api_key: str, secret: str, query_params: list[list[str]], body: str
    ) -> str:
        """Optional operation: the client's signer on given inputs (judged against the vectors)."""
        from client_ref import signing

        query = signing.canonical_query([(k, v) for k, v in query_params])
        return signing.sign(nonce, timestamp, api_key, secret, query, body.encode("utf-8"))

    def signed_get(self, path: str, params: list[list[str]]) -> Any:
        """Optional operation: a signed GET of ``path`` with these query parameters; the answer's ``data``."""
        from client_ref._core import OPERATIONS as CLIENT_OPERATIONS
        from client_ref._core import Call

        name = next((n for n, op in CLIENT_OPERATIONS.items() if op.path == path and op.method == "GET"), None)
        if name is None:
            raise ClientError("transport", f"the reference client has no GET operation at {path}")
        return self._run(lambda: self.client.run(Call(name, dict((k, v) for k, v in params), lambda d: d)))

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.futures is not None:
                self.futures.close()


def reference_factory(base_url: str, api_key: str, secret: str, transport: Any = None) -> ReferenceAdapter:
    """The shipped adapter (spot and futures): ``--adapter conformance.adapter:reference_factory``."""
    from client_ref import Client
    from client_ref.futures import FuturesClient

    return ReferenceAdapter(
        Client(base_url, api_key, secret, transport=transport),
        FuturesClient(base_url, api_key, secret, transport=transport),
    )


class DriverAdapter(DriverFutures):
    """A client in any language, spawned as ``command`` and spoken to in JSON lines.

    Environment given to the driver: ``BITUNIX_BASE_URL``, ``BITUNIX_API_KEY``,
    ``BITUNIX_SECRET``. Each request is one line ``{"id": n, "op": ..., "args": {...}}``;
    the driver answers one line ``{"id": n, "ok": true, "result": ...}`` or
    ``{"id": n, "ok": false, "error": {"code": "...", "msg": "...", "type": "..."}}``.
    """

    def __init__(self, command: str, base_url: str, api_key: str, secret: str, timeout: float = 30.0) -> None:
        env = {**os.environ, "BITUNIX_BASE_URL": base_url, "BITUNIX_API_KEY": api_key, "BITUNIX_SECRET": secret}
        self.command = command
        self.timeout = timeout
        self._proc = subprocess.Popen(
            shlex.split(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self._ids = 0
        self._stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)
            del self._stderr[:-50]

    def request(self, op: str, args: dict[str, Any]) -> Any:
        """Send one operation and wait for its answer line."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._ids += 1
        line = json.dumps({"id": self._ids, "op": op, "args": args}, ensure_ascii=False)
        try:
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ClientCrashed(f"driver exited: {''.join(self._stderr)[-500:]}") from None
        answer = self._read_line()
        try:
            doc = json.loads(answer)
        except ValueError:
            raise ClientCrashed(f"driver answered a line that is not JSON: {answer[:200]!r}") from None
        if not isinstance(doc, dict) or "ok" not in doc:
            raise ClientCrashed(f"driver answer lacks 'ok': {answer[:200]!r}")
        if doc.get("id", self._ids) != self._ids:
            raise ClientCrashed(f"driver answered id {doc.get('id')!r} to request {self._ids}")
        if doc["ok"]:
            return doc.get("result")
        error = doc.get("error") or {}
        if error.get("code") == "crash":
            text = str(error.get("msg", ""))
            first = text.strip().splitlines()[0] if text.strip() else "(no message)"
            raise ClientCrashed(f"the driver reported a crash: {first[:300]}", operation=op, excerpt=text[-2000:])
        raise ClientError(str(error.get("code", "")), str(error.get("msg", "")), str(error.get("type", "")))

    def _read_line(self) -> str:
        assert self._proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.timeout)
        if reader.is_alive():
            raise ClientCrashed(f"driver gave no answer within {self.timeout} s")
        if not result or not result[0]:
            raise ClientCrashed(f"driver exited: {''.join(self._stderr)[-500:]}")
        return result[0]

    def last_price(self, symbol: str) -> str:
        return str(self.request("last_price", {"symbol": symbol}))

    def depth(self, symbol: str) -> dict[str, Any]:
        return dict(self.request("depth", {"symbol": symbol}))

    def balances(self) -> dict[str, dict[str, str]]:
        return dict(self.request("balances", {}))

    def place_order(
        self, symbol: str, side: int, type: int, volume: str, price: str | None, client_id: str | None
    ) -> dict[str, Any]:
        args = {"symbol": symbol, "side": side, "type": type, "volume": volume, "price": price, "client_id": client_id}
        return dict(self.request("place_order", args))

    def place_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.request("place_orders", {"orders": orders}))

    def cancel_orders(self, orders: list[dict[str, str]]) -> None:
        self.request("cancel_orders", {"orders": orders})

    def pending_orders(self, symbol: str) -> list[dict[str, Any]]:
        return list(self.request("pending_orders", {"symbol": symbol}))

    def order_history(self, symbol: str, page: int, page_size: int) -> dict[str, Any]:
        return dict(self.request("order_history", {"symbol": symbol, "page": page, "page_size": page_size}))

    def order_detail(self, order_id: str) -> dict[str, Any] | None:
        r = self.request("order_detail", {"order_id": order_id})
        return None if r is None else dict(r)

    def order_deals(self, order_id: str, symbol: str) -> list[dict[str, Any]]:
        return list(self.request("order_deals", {"order_id": order_id, "symbol": symbol}))

    def sign(
        self, nonce: str, timestamp: str, api_key: str, secret: str, query_params: list[list[str]], body: str
    ) -> str:
        args = {"nonce": nonce, "timestamp": timestamp, "api_key": api_key, "secret": secret}
        args.update({"query_params": query_params, "body": body})  # type: ignore[dict-item]
        try:
            return str(self.request("sign", args))
        except ClientError as err:
            if err.code == "unsupported":
                raise RuleSkipped("the driver does not implement the optional 'sign' operation") from None
            raise

    def signed_get(self, path: str, params: list[list[str]]) -> Any:
        try:
            return self.request("signed_get", {"path": path, "params": params})
        except ClientError as err:
            if err.code == "unsupported":
                raise RuleSkipped("the driver does not implement the optional 'signed_get' operation") from None
            raise

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()


def driver_factory(command: str) -> AdapterFactory:
    """An adapter factory that spawns ``command`` once per client."""

    def make(base_url: str, api_key: str, secret: str, transport: Any = None) -> Adapter:
        del transport  # a driver always talks HTTP
        return DriverAdapter(command, base_url, api_key, secret)

    return make
