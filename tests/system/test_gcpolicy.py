"""The served process's collector policy (mockserver.gcpolicy): no young collections, no leaked resets."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mockserver import Config, create_app
from mockserver.gcpolicy import GcPolicy


@pytest.fixture
def frozen_gc() -> Iterator[None]:
    """Leave the collector as found: the policy freezes and unfreezes the whole process."""
    yield
    gc.unfreeze()
    gc.collect()


def test_a_reset_replaced_exchange_is_collected_on_the_next_tick(frozen_gc: None) -> None:
    state = create_app(Config(liquidity=False)).state.mock
    policy = GcPolicy(state)
    policy.start()
    old = weakref.ref(state.exchange)
    state.reset()
    policy.tick()  # a freeze alone would keep the old exchange's cycles forever
    assert old() is None
    assert policy.full_collections == 1
    policy.tick()  # no reset since: a plain freeze
    assert policy.full_collections == 1


def test_without_the_policy_a_frozen_reset_leaks(frozen_gc: None) -> None:
    """What the policy is for: the replaced exchange holds cycles, and frozen cycles are never collected."""
    state = create_app(Config(liquidity=False)).state.mock
    gc.collect()
    gc.freeze()
    old = weakref.ref(state.exchange)
    state.reset()
    gc.collect()
    gc.freeze()
    assert old() is not None


def test_a_tick_freezes_the_survivors(frozen_gc: None) -> None:
    state = create_app(Config(liquidity=False)).state.mock
    policy = GcPolicy(state)
    policy.start()
    kept = [[i] for i in range(1000)]  # young, tracked survivors (as a request's journal entry)

    def collectable() -> set[int]:  # what any collection could walk: generations 0-2, not the frozen one
        return {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}

    assert all(id(k) in collectable() for k in kept[:3])
    policy.tick()
    seen = collectable()
    assert not any(id(k) in seen for k in kept) and gc.get_freeze_count() >= len(kept)


def test_cyclic_garbage_from_requests_is_collected_before_it_is_frozen(frozen_gc: None) -> None:
    """A wrong signature on a JSON body makes cyclic garbage (the doctor's re-encodings): a tick
    must collect it, not freeze it (frozen garbage is never examined again: ~22 KB per request)."""
    import asyncio
    import json as _json

    from starlette.types import Message

    app = create_app(Config(liquidity=False))
    state = app.state.mock
    key = state.config.demo_api_key
    loop = asyncio.new_event_loop()
    body = _json.dumps({"symbol": "BTCUSDT", "side": 2, "type": 1, "volume": "0.001", "price": "20000"}).encode()

    async def bad_sign() -> bytes:
        now = str(state.clock.now_ms())
        headers = [(b"api-key", key.encode()), (b"nonce", b"n" * 32), (b"timestamp", now.encode())]
        headers += [(b"sign", b"0" * 64), (b"content-type", b"application/json")]
        scope = {"type": "http", "method": "POST", "path": "/api/spot/v1/order/place_order", "query_string": b""}
        scope |= {"headers": headers, "client": ("127.0.0.1", 1)}
        out: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            out.append(message)

        await app(scope, receive, send)
        return bytes(out[1]["body"])

    policy = GcPolicy(state)
    policy.start()
    try:
        for _ in range(5):
            assert b'"code":"100005"' in loop.run_until_complete(bad_sign())
        policy.tick()
        gc.unfreeze()  # everything frozen so far is examined again: none of it may be garbage
        assert gc.collect() == 0
    finally:
        loop.close()
