"""Property: whatever text a futures read or write carries, the bytes sent are the bytes signed.

The query on the wire, decoded and put in canonical form the way a server does, and the body as
sent, hashed by the test-side signer (independent of ``client_ref``), give the ``sign`` header.
"""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_ref.futures import OrderType, Side, TradeSide

from ...helpers import examples, sign_parts
from .wire import API_KEY, NONCE, NOW_MS, SECRET, call, envelope, replying

SETTINGS = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=16)
PAGE = envelope({"orderList": [], "total": "0"})


def _signed_over_what_was_sent(query: bytes, body: bytes, sign: str) -> bool:
    pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=bool(query))
    canonical = "".join(k + v for k, v in sorted(pairs, key=lambda kv: kv[0]))
    return sign == sign_parts(NONCE, str(NOW_MS), API_KEY, SECRET, canonical, body)


@SETTINGS
@given(client_id=text, order_id=text, symbol=st.text("ABCDEFGHXYZ", min_size=1, max_size=8))
def test_a_get_query_is_sent_as_signed(client_id: str, order_id: str, symbol: str) -> None:
    _, sent = call(
        "sync", "pending_orders", (), {"symbol": symbol, "order_id": order_id, "client_id": client_id}, replying(PAGE)
    )
    req = sent[0]
    assert dict(parse_qsl(req.url.query.decode("ascii"))) == {
        "symbol": symbol,
        "orderId": order_id,
        "clientId": client_id,
    }
    assert _signed_over_what_was_sent(req.url.query, req.content, req.headers["sign"])


@SETTINGS
@given(client_id=text, qty=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=4))
def test_a_post_body_is_compact_json_and_signed_as_sent(client_id: str, qty: Decimal) -> None:
    args = ("BTCUSDT", Side.BUY, OrderType.MARKET, qty)
    _, sent = call(
        "sync",
        "place_order",
        args,
        {"trade_side": TradeSide.OPEN, "client_id": client_id},
        replying(envelope({"orderId": "1"})),
    )
    req = sent[0]
    doc = json.loads(req.content)
    assert doc == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "tradeSide": "OPEN",
        "orderType": "MARKET",
        "qty": format(qty, "f"),
        "clientId": client_id,
    }
    assert req.content == json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert req.url.query == b""
    assert _signed_over_what_was_sent(b"", req.content, req.headers["sign"])
