"""Soak: rounds of signed traffic over loopback while the mock clock moves past the window.
Nonce memory stays bounded by one window's traffic and process memory stays flat (bounded count and time)."""

from __future__ import annotations

import gc
import tracemalloc

import httpx
import pytest

from mockserver.testing import MockServer

from ..helpers import Signed

ROUNDS = 6
PER_ROUND = 800


@pytest.mark.slow  # a soak: 20-30 s
def test_memory_stays_flat_while_nonces_expire() -> None:
    with MockServer(liquidity=False, journal_size=500) as mock, httpx.Client(base_url=mock.url, timeout=10) as http:
        state = mock.state
        state.clock.freeze()
        s = Signed(http, mock.api_key, mock.secret, now_ms=state.clock.now_ms)
        sizes, memory = [], []
        tracemalloc.start()
        try:
            for _ in range(ROUNDS):
                for i in range(PER_ROUND):
                    resp = (
                        s.get("/api/spot/v1/user/account")
                        if i % 2
                        else s.post("/api/spot/v1/order/pending/list", {"symbol": "BTCUSDT"})
                    )
                    assert resp.json()["code"] == "0"
                sizes.append(len(state.verifier.nonces))
                state.clock.advance(61_000)  # every nonce of this round is now outside the window
                gc.collect()
                memory.append(tracemalloc.get_traced_memory()[0])
        finally:
            tracemalloc.stop()
        assert max(sizes) <= PER_ROUND + 1, sizes  # only one window's nonces are ever kept
        assert sizes[-1] == sizes[1], sizes
        # After the warm-up rounds (journal ring full, caches built), memory does not grow with traffic.
        growth = memory[-1] - memory[2]
        assert growth < 256 * 1024, (memory, growth)
