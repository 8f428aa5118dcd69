"""The official Python futures demo (``BitunixOfficial/open-api``, Demo/Python) against a real mock server.

The demo runs unmodified: its modules are imported from a checkout of that repository at the pinned
commit, its own ``config.yaml`` (written here, in a temp dir, with the mock's URL and the demo
credentials) is the only thing that differs from a user's run against the exchange. Both ``main()``
functions run as shipped, then each public method of the two REST classes, with the arguments of the
commented-out order example of ``open_api_http_future_private.main``. The checkout comes from the
environment (``BITUNIX_OPEN_API_DIR``); ``.ci/run`` clones it (docs/ci.md says how). A missing
checkout fails the test: a skip would hide that the demo never ran.

The demo's one known defect (spec §7 item 22): ``get_depth`` defaults to ``limit=100``, which the
live exchange refuses with 10008; the mock must refuse it the same way, and does.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mockserver.config import DEMO_API_KEY, DEMO_SECRET
from tests.serverproc import server_process

pytestmark = [pytest.mark.slow, pytest.mark.thirdparty]

#: The commit the futures spec (§0, tag OFF) read; the test runs exactly that code.
PINNED_COMMIT = "b1ac4ecde05a43519121434c4d6d4edcd656f203"
CHECKOUT_ENV = "BITUNIX_OPEN_API_DIR"
HOW_TO_PROVIDE = (
    f"set {CHECKOUT_ENV} to a git checkout of https://github.com/BitunixOfficial/open-api at {PINNED_COMMIT} "
    "(`.ci/run` clones one; BITUNIX_OPEN_API_GIT overrides where it clones from), and install the demo's "
    "requirements (requests, pyyaml, websockets) into this venv"
)
#: The demo's top-level module names (it puts its directory on sys.path and imports them bare).
DEMO_MODULES = (
    "config",
    "error_codes",
    "open_api_http_sign",
    "open_api_http_future_public",
    "open_api_http_future_private",
)
DEPTH_LIMITS = '["1","5","15","50","max"]'


def _checkout() -> Path:
    """The Demo/Python directory of the pinned checkout, or a failure that says how to provide it."""
    raw = os.environ.get(CHECKOUT_ENV, "")
    if not raw:
        pytest.fail(f"{CHECKOUT_ENV} is not set: {HOW_TO_PROVIDE}")
    root = Path(raw)
    demo = root / "Demo" / "Python"
    if not (demo / "open_api_http_future_private.py").is_file():
        pytest.fail(f"{CHECKOUT_ENV}={raw} holds no Demo/Python/open_api_http_future_private.py: {HOW_TO_PROVIDE}")
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0 or head.stdout.strip() != PINNED_COMMIT:
        pytest.fail(
            f"{CHECKOUT_ENV}={raw} is not a git checkout at {PINNED_COMMIT} ({head.stdout.strip()}): {HOW_TO_PROVIDE}"
        )
    return demo


@dataclass
class Demo:
    public_module: ModuleType
    private_module: ModuleType
    error_code: Any  # the demo's ErrorCode enum
    public: Any  # OpenApiHttpFuturePublic
    private: Any  # OpenApiHttpFuturePrivate
    responses: list[Any]  # every requests.Response the two sessions received, in order
    url: str


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with server_process() as banner:
        yield banner


@pytest.fixture
def demo(server: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    directory = _checkout()
    for needed in ("requests", "yaml"):
        try:
            importlib.import_module(needed)
        except ImportError:
            pytest.fail(f"the demo needs {needed}, missing in this venv: {HOW_TO_PROVIDE}")
    # The demo's own config file, as its README tells a user to fill it in: credentials and the REST prefix.
    (tmp_path / "config.yaml").write_text(
        "credentials:\n"
        f"  api_key: {DEMO_API_KEY}\n"
        f"  secret_key: {DEMO_SECRET}\n"
        "websocket:\n"
        "  public_uri: wss://fapi.bitunix.com/public/\n"
        "  private_uri: wss://fapi.bitunix.com/private/\n"
        "  reconnect_interval: 5\n"
        "http:\n"
        f"  uri_prefix: {server['url']}\n",
        "utf-8",
    )
    monkeypatch.chdir(tmp_path)  # Config() reads ./config.yaml, as when a user runs the demo
    saved = {name: sys.modules.pop(name) for name in DEMO_MODULES if name in sys.modules}
    monkeypatch.syspath_prepend(str(directory))
    try:
        public_module = importlib.import_module("open_api_http_future_public")
        private_module = importlib.import_module("open_api_http_future_private")
        config = importlib.import_module("config").Config()
        public = public_module.OpenApiHttpFuturePublic(config)
        private = private_module.OpenApiHttpFuturePrivate(config)
        responses: list[Any] = []
        # Every session (main() builds its own clients) records what the server answered; the demo is untouched.
        requests = importlib.import_module("requests")
        send = requests.Session.send

        def recording_send(self: Any, request: Any, **kwargs: Any) -> Any:
            response = send(self, request, **kwargs)
            responses.append(response)
            return response

        monkeypatch.setattr(requests.Session, "send", recording_send)
        yield Demo(
            public_module,
            private_module,
            importlib.import_module("error_codes").ErrorCode,
            public,
            private,
            responses,
            server["url"],
        )
    finally:
        for name in DEMO_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _logged(caplog: pytest.LogCaptureFixture, prefix: str) -> str:
    found = [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
    assert len(found) == 1, (prefix, [r.getMessage() for r in caplog.records])
    return found[0]


def _body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    parsed: dict[str, Any] = json.loads(response.content)
    return parsed


def test_public_main_runs_clean(demo: Demo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    asyncio.run(demo.public_module.main())
    assert _errors(caplog) == []  # main() logs, rather than raises, any failure
    assert [r.url.split("?")[0].removeprefix(demo.url) for r in demo.responses] == [
        "/api/v1/futures/market/tickers",
        "/api/v1/futures/market/depth",
        "/api/v1/futures/market/kline",
    ]
    tickers, depth, klines = (_body(r) for r in demo.responses)
    assert [row["symbol"] for row in tickers["data"]] == ["BTCUSDT", "ETHUSDT"]
    assert set(depth["data"]) == {"asks", "bids"}
    assert len(klines["data"]) == 5  # limit=5 within the last hour, tail-anchored at endTime
    assert _logged(caplog, "Tickers data: ").startswith("Tickers data: [{'symbol': 'BTCUSDT', 'markPrice': '")


def test_private_main_runs_clean(demo: Demo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    asyncio.run(demo.private_module.main())
    assert _errors(caplog) == []
    account, positions, orders = (_body(r) for r in demo.responses)
    assert account["code"] == 0 and account["data"]["marginCoin"] == "USDT"
    assert positions["data"]["positionList"] == [] and orders["data"]["orderList"] == []
    assert _logged(caplog, "Account info: ").startswith("Account info: {'marginCoin': 'USDT', 'available': '")


def test_public_methods(demo: Demo) -> None:
    every = demo.public.get_tickers()
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"} <= {row["symbol"] for row in every}
    two = demo.public.get_tickers("BTCUSDT,ETHUSDT")
    assert [sorted(row) for row in two] == [
        sorted(["symbol", "markPrice", "lastPrice", "open", "last", "quoteVol", "baseVol", "high", "low"])
    ] * 2
    for limit in (1, 5, 15, 50, "max"):
        book = demo.public.get_depth("BTCUSDT", limit)
        assert set(book) == {"asks", "bids"}
    klines = demo.public.get_kline("BTCUSDT", "1m")  # the defaults: limit=100, type=LAST_PRICE, no bounds
    assert len(klines) == 100 and {row["type"] for row in klines} == {"LAST_PRICE"}
    marks = demo.public.get_kline("ETHUSDT", "5m", limit=3, type="MARK_PRICE")
    assert len(marks) == 3 and {row["type"] for row in marks} == {"MARK_PRICE"}


def test_depth_default_limit_is_refused_as_live_refuses_it(demo: Demo) -> None:
    """The demo's default ``limit=100`` is a demo bug (spec §7 item 22): live answers 10008 with this text."""
    with pytest.raises(Exception) as refused:
        demo.public.get_depth("BTCUSDT")
    assert str(refused.value) == str(demo.error_code.VALUE_NOT_COMPLY)  # the demo prints its own table's text
    assert _body(demo.responses[-1]) == {
        "code": 10008,
        "data": None,
        "msg": f"Parameter 100 does not match, alternative value {DEPTH_LIMITS}.",
    }


def test_private_methods_with_the_commented_order_example(demo: Demo) -> None:
    """The order example in ``main()`` (commented out in the demo), with its exact arguments, then its cancel."""
    client_id = time.strftime("%Y%m%d%H%M%S", time.localtime())
    order = demo.private.place_order(
        symbol="BTCUSDT",
        side="BUY",
        order_type="LIMIT",
        qty="0.5",
        price="60000",
        trade_side="OPEN",
        effect="GTC",
        reduce_only=False,
        client_id=client_id,
        tp_price="61000",
        tp_stop_type="MARK",
        tp_order_type="LIMIT",
        tp_order_price="61000.1",
    )
    assert sorted(order) == ["clientId", "orderId"] and order["clientId"] == client_id
    assert order["orderId"].isdigit()
    # The demo signs json.dumps(data) (", " and ": " separators) and requests sends the same bytes.
    sent = demo.responses[-1].request.body
    assert sent == json.dumps(json.loads(sent)).encode()
    assert b", " in sent and b": " in sent
    resting = demo.private.get_account()
    assert resting["frozen"] != "0"  # the open order holds margin

    cancelled = demo.private.cancel_orders("BTCUSDT", [{"orderId": order["orderId"]}, {"clientId": order["clientId"]}])
    assert cancelled["successList"] == [{"orderId": order["orderId"], "clientId": client_id}]
    # Both entries name the same order: the second finds it cancelled already.
    assert [(f["clientId"], f["errorCode"]) for f in cancelled["failureList"]] == [(client_id, "30011")]

    history = demo.private.get_history_orders("BTCUSDT")
    row = next(o for o in history["orderList"] if o["orderId"] == order["orderId"])
    assert (row["status"], row["qty"], row["side"], row["orderType"]) == ("CANCELED", "0.5", "BUY", "LIMIT")
    assert demo.private.get_history_orders()["orderList"][0]["orderId"] == order["orderId"]
    assert demo.private.get_history_positions()["positionList"] == []
    assert demo.private.get_account()["frozen"] == "0"


def test_the_demo_signer_is_what_the_mock_checks(demo: Demo) -> None:
    """Its requests are accepted above; the same signer with a wrong secret is refused, so acceptance means something."""
    demo.private.secret_key = "not-the-secret"
    with pytest.raises(Exception) as refused:
        demo.private.get_account()
    assert str(refused.value) == str(demo.error_code.SIGN_SIGNATURE_ERROR)
    assert _body(demo.responses[-1]) == {"code": 10007, "data": None, "msg": "Sign signature error"}
    with pytest.raises(Exception) as refused_post:  # a signed body too (the demo raises a bare Exception)
        demo.private.cancel_orders("BTCUSDT", [{"orderId": "1"}])
    assert str(refused_post.value) == str(demo.error_code.SIGN_SIGNATURE_ERROR)
    assert _body(demo.responses[-1]) == {"code": 10007, "data": None, "msg": "Sign signature error"}
