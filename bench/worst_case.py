"""Server CPU per request for the worst inputs the adversarial suite sends (target: < 50 ms each).

Each input goes through the exchange pipeline in-process (``Pipeline.handle``: auth, the
signature doctor on a refused sign, parameter validation, the handler, the envelope) with a
real signature from the demo key; ``time.process_time()`` around the call is the server CPU
for that request. The median over ``rounds`` and the spread (max - min) are reported.
The mock's own error log is silenced while measuring (a failing doctor would print a
traceback per round); the work that produced it is still measured.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

#: The issue's target for every exchange request.
TARGET_MS = 50.0
SPOT = "/api/spot/v1"
FROZEN_MS = 1_760_000_000_000


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: bytes = b""
    query: bytes = b""
    auth: str = "sign"  # sign | wrong-sign | none | superscript-ts


def _place(**fields: str) -> bytes:
    doc = {"side": "2", "type": "1", "volume": '"0.001"', "price": '"10000"', "symbol": '"BTCUSDT"', **fields}
    return ("{" + ",".join(f'"{k}":{v}' for k, v in doc.items()) + "}").encode()


_NEST = 22_000
DEEP_90K = ('{"symbol":"BTCUSDT","pad":"' + "x" * 46_000 + '","x":' + "[" * _NEST + "]" * _NEST + "}").encode()
PLACE = SPOT + "/order/place_order"

CASES: tuple[Case, ...] = (
    Case("baseline: valid limit buy", "POST", PLACE, _place()),
    Case("baseline: last_price (public)", "GET", SPOT + "/market/last_price", query=b"symbol=BTCUSDT", auth="none"),
    Case('place "side": 1e999999999', "POST", PLACE, _place(side="1e999999999")),
    Case('place "side": 1e300000', "POST", PLACE, _place(side="1e300000")),
    Case('place "side": 2**64', "POST", PLACE, _place(side=str(2**64))),
    Case('place "side": 40 digits', "POST", PLACE, _place(side="9" * 40)),
    Case(
        'history "pageSize": 1e200000',
        "POST",
        SPOT + "/order/history/page",
        b'{"symbol":"BTCUSDT","pageSize":1e200000}',
    ),
    Case('place "volume": 1E-58 (number)', "POST", PLACE, _place(volume="1E-58")),
    Case('place "volume": "1E-58" (string)', "POST", PLACE, _place(volume='"1E-58"')),
    Case("place 40-digit x 40-digit", "POST", PLACE, _place(volume='"' + "9" * 40 + '"', price='"' + "9" * 40 + '"')),
    Case("place 20-digit x 20-digit", "POST", PLACE, _place(volume='"' + "9" * 20 + '"', price='"' + "9" * 20 + '"')),
    Case("place volume NaN", "POST", PLACE, _place(volume="NaN")),
    Case("place volume -1E-8", "POST", PLACE, _place(volume="-1E-8")),
    Case("90 KiB nested JSON, wrong sign (doctor)", "POST", PLACE, DEEP_90K, auth="wrong-sign"),
    Case("90 KiB nested JSON, right sign", "POST", PLACE, DEEP_90K),
    Case("100k '[' , wrong sign (doctor)", "POST", PLACE, b"[" * 100_000, auth="wrong-sign"),
    Case("100k '[' , right sign", "POST", PLACE, b"[" * 100_000),
    Case(
        "1 MiB string value, wrong sign (doctor)",
        "POST",
        PLACE,
        _place(clientId='"' + "x" * 1_000_000 + '"'),
        auth="wrong-sign",
    ),
    Case(
        "1 MiB flat array of 1s, wrong sign (doctor)", "POST", PLACE, b"[" + b"1," * 500_000 + b"1]", auth="wrong-sign"
    ),
    Case(
        "1 MiB object of short keys, wrong sign (doctor)",
        "POST",
        PLACE,
        b"{" + b",".join(b'"k%d":1' % i for i in range(110_000)) + b"}",
        auth="wrong-sign",
    ),
    Case("1 MiB flat array of 1s, right sign (over the limit)", "POST", PLACE, b"[" + b"1," * 500_000 + b"1]"),
    Case("64 KiB flat array of 1s, right sign", "POST", PLACE, b'{"a":[' + b"1," * 32_600 + b"1]}"),
    Case("64 KiB array of [], right sign", "POST", PLACE, b'{"a":[' + b"[]," * 21_800 + b"[]]}"),
    Case("64 KiB array of 1.5, right sign", "POST", PLACE, b'{"a":[' + b"1.5," * 16_300 + b"1.5]}"),
    Case(
        "64 KiB flat array of 1s, wrong sign (doctor)",
        "POST",
        PLACE,
        b'{"a":[' + b"1," * 32_600 + b"1]}",
        auth="wrong-sign",
    ),
    Case(
        "kline/history endTime=-1",
        "GET",
        SPOT + "/market/kline/history",
        query=b"symbol=BTCUSDT&endTime=-1",
        auth="none",
    ),
    Case(
        "kline/history limit=2**64",
        "GET",
        SPOT + "/market/kline/history",
        query=b"symbol=BTCUSDT&limit=18446744073709551616",
        auth="none",
    ),
    Case('user/account timestamp "1\u00b2"', "GET", SPOT + "/user/account", auth="superscript-ts"),
    Case(
        "history startTime year 0001",
        "POST",
        SPOT + "/order/history/page",
        b'{"symbol":"BTCUSDT","startTime":"0001-01-01T00:00:00Z","endTime":"9999-12-31T23:59:59Z"}',
    ),
    Case(
        "inside_transfer 1E-58",
        "POST",
        SPOT + "/inside_transfer",
        b'{"coin":"USDT","amount":1E-58,"toType":"uid","toUid":1}',
    ),
    Case(
        "withdraw 1E-55",
        "POST",
        SPOT + "/withdraw",
        b'{"coin":"USDT","network":"Tron (TRC-20)","address":"Taaaaaaaaaaaaaaaaaaaaaaaa","amount":1E-55}',
    ),
    Case(
        "funds_transfer 1E-30",
        "POST",
        SPOT + "/funds_transfer",
        b'{"type":"spot_futures","coin":"USDT","amount":1E-30}',
    ),
)


def _sign(nonce: str, ts: str, key: str, secret: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256((nonce + ts + key + query).encode() + body).hexdigest()
    return hashlib.sha256((digest + secret).encode()).hexdigest()


@contextmanager
def _quiet() -> Iterator[None]:
    log = logging.getLogger("mockserver")
    saved = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = saved


def _runner() -> tuple[Callable[[Case], tuple[str, float]], Any]:
    """A function that sends one case through the app's ASGI entry (body limit included) and returns (code, CPU ms).

    The app is the default configuration (64 KiB body limit): bodies past the limit are refused unread.
    """
    from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, create_app
    from mockserver.api.auth import query_pairs

    app = create_app(Config(seed=0, frozen_at_ms=FROZEN_MS))
    state = app.state.mock
    loop = asyncio.new_event_loop()

    def send(case: Case) -> tuple[str, float]:
        nonce, ts = uuid.uuid4().hex, str(state.clock.now_ms())
        query = "".join(k + v for k, v in sorted(query_pairs(case.query))) if case.query else ""
        headers = {"host": "mock", "content-type": "application/json"}
        if case.auth != "none":
            if case.auth == "superscript-ts":
                ts = "1\u00b2"
            headers.update({"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts})
            headers["sign"] = _sign(nonce, ts, DEMO_API_KEY, DEMO_SECRET, query, case.body)
            if case.auth == "wrong-sign":
                headers["sign"] = "0" * 64
        headers["content-length"] = str(len(case.body))
        scope = {
            "type": "http", "method": case.method, "path": case.path, "raw_path": case.path.encode(),
            "query_string": case.query, "root_path": "", "scheme": "http", "http_version": "1.1",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": case.body, "more_body": False}]
        out: list[bytes] = []

        async def receive() -> MutableMapping[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def reply(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                out.append(message.get("body", b""))

        t0 = time.process_time()
        loop.run_until_complete(app(scope, receive, reply))
        cpu = (time.process_time() - t0) * 1000
        code = str(orjson.loads(b"".join(out)).get("code"))
        return code, cpu

    return send, state


def measure(rounds: int = 7, cases: tuple[Case, ...] = CASES) -> list[dict[str, Any]]:
    """Per case: the answer's code, CPU ms median, spread (max - min) and the verdict against TARGET_MS."""
    send, _state = _runner()
    out = []
    with _quiet():
        for case in cases:
            send(case)  # warm-up (imports, caches)
            samples, codes = [], set()
            for _ in range(max(5, rounds)):
                code, ms = send(case)
                samples.append(ms)
                codes.add(code)
            median = statistics.median(samples)
            worst = max(samples)
            out.append(
                {
                    "input": case.name,
                    "code": "/".join(sorted(codes)),
                    "cpu_ms_median": round(median, 3),
                    "cpu_ms_spread": round(worst - min(samples), 3),
                    "cpu_ms_max": round(worst, 3),
                    "rounds": [round(x, 3) for x in samples],
                    # A bound, not a speed: every round must stay under the target, not just the median.
                    "verdict": "PASS" if worst < TARGET_MS else "FALL SHORT",
                }
            )
    return out


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"Worst-case inputs: server CPU per request through the app's ASGI entry, default config "
        f"(64 KiB body limit); PASS when every round is under {TARGET_MS:g} ms",
        "",
        "| input | code | CPU ms median | max | spread ms | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['input']} | {r['code']} | {r['cpu_ms_median']:.3f} | {r['cpu_ms_max']:.3f} "
            f"| {r['cpu_ms_spread']:.3f} | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(measure()))
