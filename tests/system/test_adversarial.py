"""Adversarial inputs against a real server over loopback (``python -m mockserver`` in a subprocess).

Each case sends one hostile request with a real signature from the public demo key and checks:
the exact envelope (code and msg), the ledger unchanged for a refusal (the accounts' balances and
``/_mock/audit`` before and after), no ``Traceback`` in the server's stderr, and that the server
still answers. The server's CPU time per request is read from ``/proc/<pid>/stat`` and printed
(``pytest -s``); it is never asserted - tests assert no timings.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from mockserver import DEMO_API_KEY, DEMO_SECRET, ENDPOINTS
from mockserver.api.params import Kind, Param

from ..helpers import fresh_nonce, sign_parts

# Every case runs against one `python -m mockserver` process per worker (its log is read for tracebacks).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPOT = "/api/spot/v1"
PARAM = ("2", "Parameter error")
SIGN = ("100005", "result.api.parameter.sign.illegal")
EXPIRED = ("100008", "result.request.time.expired")
BIG = (str(2**64), "9" * 40, str(-(2**64)))
ADDRESS = "T" + "a" * 33
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# ----------------------------------------------------------------------------- the server


@dataclass
class Server:
    url: str
    pid: int
    log: Path
    http: httpx.Client
    cpu_ms: dict[str, float] = field(default_factory=dict)
    log_mark: int = 0

    def cpu(self) -> float:
        """User + system CPU of the server process so far, in ms (clock-tick resolution)."""
        fields_ = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields_[11]) + int(fields_[12])) * 1000 / _TICK

    def log_text(self) -> str:
        """What the server wrote to stderr since the current test started."""
        with open(self.log, "rb") as f:
            f.seek(self.log_mark)
            return f.read().decode("utf-8", "replace")

    def assert_no_traceback(self) -> None:
        log = self.log_text()
        self.log_mark = self.log.stat().st_size  # report each traceback once
        assert "Traceback" not in log, "server log:\n" + log[-3000:]

    # -------------------------------------------------------------- requests

    def headers(self, body: bytes = b"", query: str = "", key: str = DEMO_API_KEY, secret: str = DEMO_SECRET,
                **override: Any) -> dict[str, Any]:  # fmt: skip
        nonce = override.pop("nonce", None) or fresh_nonce()
        ts = override.pop("timestamp", None) or str(int(time.time() * 1000))
        h: dict[str, Any] = {
            "api-key": key,
            "nonce": nonce,
            "timestamp": ts,
            "sign": sign_parts(nonce, ts, key, secret, query, body),
            "content-type": "application/json",
        }
        h.update(override)
        return h

    def post(self, path: str, body: bytes, *, sign: bool = True, wrong_sign: bool = False, **kw: Any) -> httpx.Response:
        headers = self.headers(body, **kw) if sign else {"content-type": "application/json"}
        if wrong_sign:
            headers["sign"] = "0" * 64
        return self.timed(path, lambda: self.http.post(path, content=body, headers=headers))

    def get(self, path: str, params: dict[str, str], *, sign: bool = False, **kw: Any) -> httpx.Response:
        query = "".join(k + v for k, v in sorted(params.items()))
        url = path + ("?" + urlencode(params) if params else "")
        headers = self.headers(b"", query, **kw) if sign else {}
        return self.timed(path, lambda: self.http.get(url, headers=headers))

    def timed(self, label: str, send: Any) -> httpx.Response:
        before = self.cpu()
        resp: httpx.Response = send()
        self.cpu_ms[label] = max(self.cpu_ms.get(label, 0.0), self.cpu() - before)
        return resp

    # ----------------------------------------------------------------- state

    def ledger(self, *keys: str) -> Any:
        accounts = {k: self.http.get(f"/_mock/accounts/{k}").json()["balances"] for k in keys}
        return accounts, self.http.get("/_mock/audit").json()

    def create_account(self, balances: dict[str, str]) -> dict[str, Any]:
        resp = self.http.post("/_mock/accounts", json={"balances": balances})
        assert resp.status_code in (200, 201), resp.text
        doc: dict[str, Any] = resp.json()
        return doc


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.NamedTemporaryFile("w+b", prefix="mock-stderr-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with open(log_path, "wb") as err:
        proc = subprocess.Popen(
            # A 2 MiB body limit (the default is 64 KiB) lets the deepest and largest bodies reach
            # the parser and the signature doctor: the worst case, not the default one.
            [
                sys.executable,
                "-m",
                "mockserver",
                "--port",
                "0",
                "--json",
                "--log-level",
                "info",
                "--max-body-bytes",
                str(2 << 20),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=ROOT,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, "server exited: " + log_path.read_text()
        banner = json.loads(line)
        with httpx.Client(base_url=banner["url"], timeout=30) as http:
            srv = Server(banner["url"], proc.pid, log_path, http)
            registered = http.post(
                f"/_mock/accounts/{DEMO_API_KEY}/withdraw-addresses", json={"addresses": [ADDRESS]}
            )  # as on the website: withdrawals go only to whitelisted addresses
            assert registered.status_code == 200, registered.text
            yield srv
            if srv.cpu_ms:
                print("\nserver CPU per request (max over the cases of a path, ms, clock-tick resolution):")
                for label, ms in sorted(srv.cpu_ms.items(), key=lambda kv: -kv[1]):
                    print(f"  {ms:8.1f}  {label}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log_path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def still_healthy(server: Server) -> Iterator[None]:
    """After every case: no traceback in the server log, and the server still answers."""
    server.log_mark = server.log.stat().st_size
    yield
    server.assert_no_traceback()
    resp = server.http.get(SPOT + "/market/last_price", params={"symbol": "BTCUSDT"})
    assert resp.status_code == 200 and resp.json()["code"] == "0"


def envelope(resp: httpx.Response) -> tuple[str, str]:
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
    doc = resp.json()
    assert set(doc) == {"code", "msg", "data", "success"}, doc
    assert doc["success"] is (doc["code"] == "0")
    if doc["code"] != "0":
        assert doc["data"] is None
    return doc["code"], doc["msg"]


def refused(server: Server, send: Any, expected: tuple[str, str], *keys: str) -> None:
    """``send()`` answers ``expected`` exactly and changes no balance and no audit figure."""
    keys = keys or (DEMO_API_KEY,)
    before = server.ledger(*keys)
    resp = send()
    assert envelope(resp) == expected, resp.text[:400]
    assert server.ledger(*keys) == before
    server.assert_no_traceback()


def place_body(**fields_: str) -> bytes:
    """A place_order body with raw JSON value texts (so numbers stay exactly as written)."""
    doc = {"side": "2", "type": "1", "volume": '"0.001"', "price": '"60000"', "symbol": '"BTCUSDT"', **fields_}
    return ("{" + ",".join(f'"{k}":{v}' for k, v in doc.items()) + "}").encode()


# ------------------------------------------------------------------------- place_order

PLACE_CASES = [
    ("side 1e999999999", place_body(side="1e999999999"), PARAM),
    ("side 1e300000", place_body(side="1e300000"), PARAM),
    ("side 2**64", place_body(side=str(2**64)), PARAM),
    ("side 40 digits", place_body(side="9" * 40), PARAM),
    ("side 41 digits", place_body(side="9" * 41), PARAM),
    ("type -2**64", place_body(type=str(-(2**64))), PARAM),
    ("volume 1E-58 number", place_body(volume="1E-58"), PARAM),
    ("volume 1E-58 string", place_body(volume='"1E-58"'), PARAM),
    ("volume 1E-55 number", place_body(volume="1E-55"), PARAM),
    ("volume 1E-8 number", place_body(volume="1E-8"), ("10058", "Volume precision error")),
    ("volume one decimal beyond", place_body(volume='"0.000011"'), ("10058", "Volume precision error")),
    ("price one decimal beyond", place_body(price='"60000.001"'), ("10059", "Price precision error")),
    ("price 6.4E+4 number", place_body(price="6.4E+4", volume="1E-3"), None),
    ("40x40 digits", place_body(volume='"' + "9" * 40 + '"', price='"' + "9" * 40 + '"'), PARAM),
    ("40x40 digits numbers", place_body(volume="9" * 40, price="9" * 40), PARAM),
    ("volume -1", place_body(volume="-1"), PARAM),
    ("volume -1E-8", place_body(volume="-1E-8"), PARAM),
    ("price -60000 string", place_body(price='"-60000"'), PARAM),
    ("volume NaN", place_body(volume="NaN"), PARAM),
    ("price Infinity", place_body(price="Infinity"), PARAM),
    ("price -Infinity", place_body(price="-Infinity"), PARAM),
    ("volume 0", place_body(volume="0"), PARAM),
    ("volume 1e-999999999", place_body(volume="1e-999999999"), PARAM),
    ("volume 0E-999999", place_body(volume="0E-999999"), PARAM),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in PLACE_CASES], ids=[c[0] for c in PLACE_CASES])
def test_place_order_hostile_numbers(server: Server, body: bytes, expected: tuple[str, str] | None) -> None:
    if expected is None:  # accepted: a JSON number in exponent form is a number like any other
        resp = server.post(SPOT + "/order/place_order", body)
        assert envelope(resp) == ("0", "result.success")
        assert resp.json()["data"]["placeStatus"] == "1"
        return
    refused(server, lambda: server.post(SPOT + "/order/place_order", body), expected)


def test_place_order_20x20_digits_is_a_refused_placement(server: Server) -> None:
    body = place_body(volume='"' + "9" * 20 + '"', price='"' + "9" * 20 + '"')
    before = server.ledger(DEMO_API_KEY)
    resp = server.post(SPOT + "/order/place_order", body)
    assert envelope(resp) == ("0", "result.success")
    assert resp.json()["data"] == {
        "orderId": None,
        "placeStatus": 0,
        "placeCode": "910003",
        "placeMsg": "amount above maxAmount",
    }
    assert server.ledger(DEMO_API_KEY) == before


# ----------------------------------------------------------------- deep and large bodies

_NEST = 22_000  # 44 KiB of '[' and ']' plus padding: about 90 KiB in all
DEEP_90K = ('{"symbol":"BTCUSDT","pad":"' + "x" * 46_000 + '","x":' + "[" * _NEST + "]" * _NEST + "}").encode()
DEEP_VALUE = place_body(clientId="[" * 40_000 + "]" * 40_000)
BRACKETS_100K = b"[" * 100_000
OBJECTS_100K = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
FLAT_1MIB = b"[" + b"1," * 500_000 + b"1]"  # cheap to send, costly to parse and to re-serialize


@pytest.mark.parametrize(
    ("body", "wrong_sign", "expected"),
    [
        (DEEP_90K, True, SIGN),  # the signature doctor re-parses the body: it must stay bounded
        (DEEP_90K, False, PARAM),
        (DEEP_VALUE, True, SIGN),
        (DEEP_VALUE, False, PARAM),
        (BRACKETS_100K, True, SIGN),
        (BRACKETS_100K, False, PARAM),
        (OBJECTS_100K, True, SIGN),
        (OBJECTS_100K, False, PARAM),
        (FLAT_1MIB, True, SIGN),
        (FLAT_1MIB, False, PARAM),
    ],
    ids=["90k-nested-wrong-sign", "90k-nested", "nested-clientId-wrong-sign", "nested-clientId",
         "100k-brackets-wrong-sign", "100k-brackets", "100k-objects-wrong-sign", "100k-objects",
         "1mib-flat-array-wrong-sign", "1mib-flat-array"],
)  # fmt: skip
def test_deep_bodies(server: Server, body: bytes, wrong_sign: bool, expected: tuple[str, str]) -> None:
    refused(server, lambda: server.post(SPOT + "/order/place_order", body, wrong_sign=wrong_sign), expected)


# ------------------------------------------------------------------------- history / page


@pytest.mark.parametrize(
    "fields_",
    [
        '"pageSize":1e200000',
        f'"pageSize":{2**64}',
        '"pageSize":' + "9" * 40,
        '"page":' + "9" * 40,
        '"page":-' + "9" * 30,
        '"startTime":"0001-01-01T00:00:00Z"',
        '"endTime":"9999-12-31T23:59:59Z"',
        '"endTime":"9999-12-31T23:59:59-23:59"',
        '"startTime":"0001-01-01T00:00:00+23:59"',
        '"startTime":"1969-12-31T23:59:59Z"',
        '"endTime":"2100-01-01T00:00:01Z"',
        '"startTime":"２０２４-01-01T00:00:00Z"',
    ],
)
def test_history_page_hostile_fields(server: Server, fields_: str) -> None:
    body = ('{"symbol":"BTCUSDT",' + fields_ + "}").encode()
    refused(server, lambda: server.post(SPOT + "/order/history/page", body), PARAM)


def test_history_page_at_the_time_edges_is_accepted(server: Server) -> None:
    body = b'{"symbol":"BTCUSDT","startTime":"1970-01-01T00:00:00Z","endTime":"2100-01-01T00:00:00Z","pageSize":1E+1}'
    resp = server.post(SPOT + "/order/history/page", body)
    assert envelope(resp) == ("0", "result.success")
    assert resp.json()["data"]["pageSize"] == 10


# ----------------------------------------------------------------- public, no signature


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "BTCUSDT", "interval": "1", "endTime": "-1"},
        {"symbol": "BTCUSDT", "interval": "1", "endTime": "-" + "9" * 25},
        {"symbol": "BTCUSDT", "interval": "1", "endTime": str(2**64)},
        {"symbol": "BTCUSDT", "interval": "1", "endTime": "9" * 40},
        {"symbol": "BTCUSDT", "interval": "1", "endTime": "1e999999999"},
        {"symbol": "BTCUSDT", "interval": "1", "endTime": "1²"},
        {"symbol": "BTCUSDT", "interval": "1", "limit": str(2**64)},
        {"symbol": "BTCUSDT", "interval": "1", "limit": "9" * 40},
        {"symbol": "BTCUSDT", "interval": "1", "limit": "-" + "9" * 40},
        {"symbol": "BTCUSDT", "interval": "1", "limit": "0"},
    ],
    ids=lambda p: "&".join(f"{k}={v[:12]}" for k, v in p.items() if k not in ("symbol", "interval")),
)
def test_kline_history_hostile_query(server: Server, params: dict[str, str]) -> None:
    refused(server, lambda: server.get(SPOT + "/market/kline/history", params), PARAM)


@pytest.mark.parametrize("precision", ["1e999999999", "-0.01", "0." + "0" * 60 + "1", "9" * 40, "NaN"])
def test_depth_hostile_precision(server: Server, precision: str) -> None:
    params = {"symbol": "BTCUSDT", "precision": precision}
    refused(server, lambda: server.get(SPOT + "/market/depth", params), PARAM)


def test_superscript_timestamp_header(server: Server) -> None:
    # "1²" as raw latin-1 bytes: str.isdigit() says yes; the exchange wants ASCII milliseconds.
    ts = "1\u00b2"
    raw = [(b"timestamp", ts.encode("latin-1"))]
    resp = server.timed(
        "last_price+ts", lambda: server.http.get(SPOT + "/market/last_price?symbol=BTCUSDT", headers=raw)
    )
    assert envelope(resp) == ("0", "result.success")  # a public endpoint ignores auth headers
    nonce = fresh_nonce()
    signed = [
        (b"api-key", DEMO_API_KEY.encode()),
        (b"nonce", nonce.encode()),
        (b"timestamp", ts.encode("latin-1")),
        (b"sign", sign_parts(nonce, ts, DEMO_API_KEY, DEMO_SECRET, "", b"").encode()),
    ]
    refused(server, lambda: server.http.get(SPOT + "/user/account", headers=signed), EXPIRED)
    for bad in ("1" * 40, "-1", "1e13", "\u0661\u0662\u0663", "17" + "\u2070" * 11):
        nonce = fresh_nonce()
        hdrs = [
            (b"api-key", DEMO_API_KEY.encode()),
            (b"nonce", nonce.encode()),
            (b"timestamp", bad.encode("utf-8")),
            (b"sign", sign_parts(nonce, bad, DEMO_API_KEY, DEMO_SECRET, "", b"").encode()),
        ]
        refused(server, lambda h=hdrs: server.http.get(SPOT + "/user/account", headers=h), EXPIRED)  # type: ignore[misc]


# ----------------------------------------------------- every integer parameter, beyond 64 bits

#: A valid request per endpoint with integer parameters; ``{}`` marks where the hostile value goes.
INT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("place_order", "side"): ("body", '{"side":{},"type":1,"volume":"0.001","price":"60000","symbol":"BTCUSDT"}'),
    ("place_order", "type"): ("body", '{"side":2,"type":{},"volume":"0.001","price":"60000","symbol":"BTCUSDT"}'),
    ("place_order_batch", "side"): (
        "body",
        '{"orderList":[{"side":{},"type":1,"volume":"0.001","price":"60000","symbol":"BTCUSDT"}]}',
    ),
    ("place_order_batch", "type"): (
        "body",
        '{"orderList":[{"side":2,"type":{},"volume":"0.001","price":"60000","symbol":"BTCUSDT"}]}',
    ),
    ("history_page", "page"): ("body", '{"symbol":"BTCUSDT","page":{}}'),
    ("history_page", "pageSize"): ("body", '{"symbol":"BTCUSDT","pageSize":{}}'),
    ("inside_transfer", "toUid"): ("body", '{"coin":"USDT","amount":"1","toType":"uid","toUid":{}}'),
    ("withdraw_transfer_page", "startTime"): ("body", '{"startTime":{}}'),
    ("withdraw_transfer_page", "endTime"): ("body", '{"endTime":{}}'),
    ("withdraw_transfer_page", "limit"): ("body", '{"limit":{}}'),
    ("deposit_page", "startTime"): ("body", '{"startTime":{}}'),
    ("deposit_page", "endTime"): ("body", '{"endTime":{}}'),
    ("deposit_page", "limit"): ("body", '{"limit":{}}'),
    ("kline_history", "endTime"): ("query", "symbol=BTCUSDT&endTime={}"),
    ("kline_history", "limit"): ("query", "symbol=BTCUSDT&limit={}"),
}
_INT_KINDS = (Kind.INT, Kind.ENUM_INT, Kind.UNIX_SECONDS)


def _int_params(params: tuple[Param, ...]) -> Iterator[str]:
    for p in params:
        if p.kind in _INT_KINDS:
            yield p.name
        yield from _int_params(p.items)


def test_every_integer_parameter_is_covered() -> None:
    found = {(ep.operation, name) for ep in ENDPOINTS for name in _int_params(ep.params)}
    assert found == set(INT_TEMPLATES), found ^ set(INT_TEMPLATES)


@pytest.mark.parametrize(("operation", "name"), sorted(INT_TEMPLATES), ids=lambda v: str(v))
def test_integers_beyond_64_bits(server: Server, operation: str, name: str) -> None:
    ep = next(e for e in ENDPOINTS if e.operation == operation)
    where, template = INT_TEMPLATES[(operation, name)]
    for value in (*BIG, "1e999999999", "1E+19"):
        if where == "body":
            body = template.replace("{}", value).encode()
            if operation == "place_order_batch":
                # Each batch item has its own result: a number the JSON boundary lets through (it
                # refuses the whole body past 40 digits or a 40 exponent) is refused in the item's slot.
                before = server.ledger(DEMO_API_KEY)
                resp = server.post(ep.path, body)
                if envelope(resp) == ("0", "result.success"):
                    item = {"orderId": None, "placeStatus": 0, "placeCode": "2", "placeMsg": "Parameter error"}
                    assert resp.json()["data"] == [item], resp.text
                else:
                    assert envelope(resp) == PARAM, resp.text
                assert server.ledger(DEMO_API_KEY) == before
                continue
            refused(server, lambda b=body: server.post(ep.path, b), PARAM)  # type: ignore[misc]
        else:
            params = dict(pair.split("=", 1) for pair in template.replace("{}", value).split("&"))
            refused(server, lambda p=params: server.get(ep.path, p, sign=ep.auth), PARAM)  # type: ignore[misc]


# ----------------------------------------------------------------------------------- wallet

WALLET_DUST = [
    ("1E-55", PARAM),
    ("1E-58", PARAM),
    ('"1E-58"', PARAM),
    ("1E-30", PARAM),  # within the numeric boundary, far beyond USDT's precision
    ('"0.0000001"', PARAM),  # one decimal beyond USDT's 6
    ('"0.000000000000000000000000000001"', PARAM),
]


@pytest.fixture(scope="module")
def victim(server: Server) -> dict[str, Any]:
    return server.create_account({"BTC": "1", "USDT": "0"})


@pytest.mark.parametrize(("amount", "expected"), WALLET_DUST, ids=[a for a, _ in WALLET_DUST])
def test_inside_transfer_dust(server: Server, victim: dict[str, Any], amount: str, expected: tuple[str, str]) -> None:
    body = f'{{"coin":"USDT","amount":{amount},"toType":"uid","toUid":{victim["uid"]}}}'.encode()
    refused(server, lambda: server.post(SPOT + "/inside_transfer", body), expected, DEMO_API_KEY, victim["api_key"])


@pytest.mark.parametrize(("amount", "expected"), WALLET_DUST, ids=[a for a, _ in WALLET_DUST])
def test_funds_transfer_dust(server: Server, amount: str, expected: tuple[str, str]) -> None:
    body = f'{{"type":"spot_futures","coin":"USDT","amount":{amount}}}'.encode()
    refused(server, lambda: server.post(SPOT + "/funds_transfer", body), expected)


@pytest.mark.parametrize(("amount", "expected"), WALLET_DUST, ids=[a for a, _ in WALLET_DUST])
def test_withdraw_dust(server: Server, amount: str, expected: tuple[str, str]) -> None:
    body = f'{{"coin":"USDT","network":"Tron (TRC-20)","address":"{ADDRESS}","amount":{amount}}}'.encode()
    refused(server, lambda: server.post(SPOT + "/withdraw", body), expected)


@pytest.mark.parametrize("amount", ["0.000001", "1.000001", "1E+1"])
def test_wallet_amounts_at_the_coin_precision_are_accepted(server: Server, victim: dict[str, Any], amount: str) -> None:
    for path, body in (
        ("/inside_transfer", f'{{"coin":"USDT","amount":{amount},"toType":"uid","toUid":{victim["uid"]}}}'),
        ("/funds_transfer", f'{{"type":"spot_futures","coin":"USDT","amount":{amount}}}'),
        ("/funds_transfer", f'{{"type":"futures_spot","coin":"USDT","amount":{amount}}}'),
    ):
        assert envelope(server.post(SPOT + path, body.encode())) == ("0", "result.success"), (path, body)
    assert server.http.get("/_mock/audit").json()["conserved"] is True


def test_gifts_of_dust_are_refused(server: Server) -> None:
    target = server.create_account({"BTC": "0.01"})
    for amount in ("1E-58", '"1E-58"', "1E-55", "1E-30", '"0.0000001"'):
        body = f'{{"coin":"USDT","amount":{amount},"toType":"uid","toUid":{target["uid"]}}}'.encode()
        refused(
            server, lambda b=body: server.post(SPOT + "/inside_transfer", b), PARAM, DEMO_API_KEY, target["api_key"]
        )  # type: ignore[misc]
    assert server.http.get(f"/_mock/accounts/{target['api_key']}").json()["balances"].get("USDT") is None


def test_victim_gifted_dust_then_sells_into_the_bids(server: Server) -> None:
    """Whatever the gift's answer, the victim's crossing sell settles and money stays conserved."""
    target = server.create_account({"BTC": "0.01"})
    key, secret = target["api_key"], target["secret"]
    for amount in ("1E-58", "1E-30"):
        body = f'{{"coin":"USDT","amount":{amount},"toType":"uid","toUid":{target["uid"]}}}'.encode()
        envelope(server.post(SPOT + "/inside_transfer", body))
    sell = b'{"side":1,"type":1,"volume":"0.001","price":"5000","symbol":"BTCUSDT"}'
    resp = server.post(SPOT + "/order/place_order", sell, key=key, secret=secret)
    assert envelope(resp) == ("0", "result.success")
    assert resp.json()["data"]["placeStatus"] == "1"
    assert server.http.get("/_mock/audit").json()["conserved"] is True
    resp = server.get(SPOT + "/user/account", {}, sign=True, key=key, secret=secret)
    assert envelope(resp) == ("0", "result.success")
    usdt = next(row for row in resp.json()["data"] if row["coin"] == "USDT")
    assert usdt["balance"] > 0 and usdt["balanceLocked"] == 0
    orders = server.http.get(f"/_mock/accounts/{key}/orders").json()
    assert [o["status"] for o in orders] == [2]  # filled against the liquidity bids


# ------------------------------------------------------------------- truncated body


def test_truncated_body_of_a_client_that_went_away_is_not_processed(server: Server) -> None:
    """Content-Length 1000, 10 bytes, close: nothing runs - not even the nonce is spent."""
    path = SPOT + "/withdraw_transfer/page"  # every field optional: an empty body would be a valid call
    headers = server.headers(b"")  # signed over the empty body, as if the server read nothing
    nonce = headers["nonce"]
    host, port = server.url.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-length: 1000\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"limit":1')
        time.sleep(0.05)
    seen: list[dict[str, Any]] = []
    for _ in range(100):
        journal = server.http.get("/_mock/journal", params={"path": path, "limit": "20"}).json()
        seen = [e for e in journal if e["headers"].get("nonce") == nonce]
        if seen:
            break
        time.sleep(0.02)
    assert all(e["verdict"] != "accepted" for e in seen), [(e["verdict"], e["code"], e["response"]) for e in seen]
    # The nonce was not spent: the same request, now complete, is accepted.
    resp = server.http.post(path, content=b"", headers=headers)
    assert envelope(resp) == ("0", "result.success")


def test_worst_case_bench_reports_every_case() -> None:
    from bench.worst_case import CASES, measure, table

    rows = measure(rounds=5, cases=CASES[:4])
    assert [r["input"] for r in rows] == [c.name for c in CASES[:4]]
    assert rows[0]["code"] == "0" and rows[2]["code"] == "2"
    assert all(r["cpu_ms_median"] >= 0 and r["verdict"] in ("PASS", "FALL SHORT") for r in rows)
    assert "| input | code | CPU ms median | max | spread ms | verdict |" in table(rows)


# ------------------------------------------------------------------------ admin funding

ADMIN_AMOUNTS = ["1e999999999", "-1e999999999", "1E+400", "1" + "0" * 40, "1E-58", "NaN", "sNaN", "Infinity"]


@pytest.mark.parametrize("amount", ADMIN_AMOUNTS)
def test_admin_fund_out_of_bounds_is_refused(server: Server, amount: str) -> None:
    """The control plane takes the same numeric boundary: 400, nothing funded, the account still trades."""
    acct = server.create_account({"USDT": "1000"})
    key, secret = acct["api_key"], acct["secret"]
    before = server.ledger(key)
    resp = server.http.post(f"/_mock/accounts/{key}/fund", json={"coin": "USDT", "amount": amount})
    assert resp.status_code == 400, (resp.status_code, resp.text[:300])
    assert set(resp.json()) == {"error"}
    assert server.ledger(key) == before
    body = b'{"side":2,"type":1,"volume":"0.001","price":"10000","symbol":"BTCUSDT"}'
    assert envelope(server.post(SPOT + "/order/place_order", body, key=key, secret=secret))[0] == "0"
    server.assert_no_traceback()
