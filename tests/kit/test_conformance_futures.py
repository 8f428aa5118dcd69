"""The kit judges futures clients right: the reference futures client passes every futures rule, each broken futures
double fails exactly the rule(s) for its flaw with the exact verdict, documented oddities only WARN, and a client
that declares spot only gets the futures rules N/A."""

from __future__ import annotations

import re
import shlex
import sys

import pytest

from conformance import RULES, driver_factory, reference_factory, run
from conformance.adapter import ReferenceAdapter
from conformance.registry import Registry
from conformance.rules.futures_base import PAGED
from mockserver.api.futures_endpoints import FUTURES_ENDPOINTS

from .. import conformance_doubles as spot_doubles
from . import futures_doubles as doubles

FUTURES = [r.id for r in RULES if r.product == "futures"]
SPOT = [r.id for r in RULES if r.product == "spot"]

SIGN_ERROR = "10007 Sign signature error"


def _judge(double: str) -> dict[str, tuple[str, str]]:
    report = run(getattr(doubles, double), client_name=double, stream=None, examples=5, product="futures")
    assert [v.rule for v in report.verdicts] == FUTURES
    return {v.rule: (v.status, v.message) for v in report.verdicts}


def _failing(verdicts: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The failed rules and their messages; every other rule passed, or is blocked by a failed one it requires."""
    failed = {r: m for r, (s, m) in verdicts.items() if s == "fail"}
    for r, (s, _) in verdicts.items():
        if s == "blocked":
            assert set(RULES.get(r).requires) & set(failed), r
        elif s != "fail":
            assert s == "pass", (r, s)
    return failed


def test_the_reference_futures_client_passes_every_futures_rule() -> None:
    report = run(reference_factory, client_name="client_ref", stream=None, product="futures")
    assert report.products == ("spot", "futures")
    assert [(v.rule, v.status) for v in report.verdicts] == [(r, "pass") for r in FUTURES], report.markdown()
    assert report.summary() == f"PASS: {len(FUTURES)} passed, 0 warned, 0 failed, 0 blocked, 0 skipped"


def test_futures_rules_are_named_declared_and_placed_after_the_spot_rules() -> None:
    assert FUTURES == [
        "futures.nonce.unique",
        "futures.timestamp.fresh",
        "futures.signing.query",
        "futures.signing.body",
        "futures.envelope.code",
        "futures.errors.surfaced",
        "futures.account.read",
        "futures.hedge.lifecycle",
        "futures.oneway.lifecycle",
        "futures.positions.read",
        "futures.settings.change",
        "futures.pagination",
        "futures.differential.reference",
    ]
    assert RULES.ids() == SPOT + FUTURES
    with pytest.raises(ValueError, match=r"futures rules, and only they, are named futures.<name>"):
        Registry().add(
            RULES.get("nonce.unique").__class__(**{**RULES.get("nonce.unique").__dict__, "product": "futures"})
        )


def test_both_reference_adapters_implement_every_futures_operation() -> None:
    from conformance.adapter import DriverAdapter
    from conformance.adapter_futures import FUTURES_OPERATIONS, FuturesAdapter

    for cls in (ReferenceAdapter, DriverAdapter):
        assert all(callable(getattr(cls, op, None)) for op in FUTURES_OPERATIONS), cls
    assert set(FUTURES_OPERATIONS) == {n for n in dir(FuturesAdapter) if n.startswith("futures_")}


def test_the_paged_reads_come_from_the_futures_endpoint_table() -> None:
    paged = {ep.operation for ep in FUTURES_ENDPOINTS if ep.auth and {"skip", "limit"} <= {p.name for p in ep.params}}
    assert set(PAGED) == paged
    assert {"futures.trade_get_pending_orders", "futures.trade_get_history_orders"} <= paged


def test_a_spot_only_client_gets_the_futures_rules_not_applicable() -> None:
    report = run(spot_doubles.no_signed_get, client_name="spot-only", stream=None, product="futures")
    assert report.products == ("spot",)
    assert [(v.rule, v.status) for v in report.verdicts] == [(r, "n/a") for r in FUTURES]
    assert report.verdicts[0].message == ("not applicable: the rule judges futures and the client declares spot only")
    assert report.passed and report.verdict == "PASS"
    assert (
        report.summary() == f"PASS: 0 passed, 0 warned, 0 failed, 0 blocked, 0 skipped, {len(FUTURES)} not applicable"
    )
    assert "| `futures.pagination` | N/A |" in report.markdown()
    assert "Products: spot (the rules of another product are N/A)." in report.markdown()


def test_a_futures_only_adapter_gets_the_spot_rules_not_applicable() -> None:
    def futures_only(base_url: str, api_key: str, secret: str, transport: object = None) -> ReferenceAdapter:
        adapter = reference_factory(base_url, api_key, secret, transport)
        adapter.products = ("futures",)
        return adapter

    report = run(futures_only, client_name="futures-only", stream=None, only=["nonce.unique", "futures.nonce.unique"])
    assert [(v.rule, v.status) for v in report.verdicts] == [("nonce.unique", "n/a"), ("futures.nonce.unique", "pass")]


@pytest.mark.parametrize(
    ("double", "failing"),
    [
        (
            "query_with_separators",
            {
                "futures.signing.query": "futures.trade_get_pending_orders with query 'limit=10&skip=0&symbol=BTCUSDT' "
                f"was refused by the exchange's auth ({SIGN_ERROR}): the futures API signs the query as the keys "
                "sorted by code point, each key followed by its value, no '=' or '&' ('limit10skip0symbolBTCUSDT' "
                "here), not the query string as sent. The signature doctor: unknown: no usual mistake reproduces this "
                "sign: either the secret is not this api-key's or the digest input differs; compare your digest input "
                "with the expected one byte by byte"
            },
        ),
        (
            "reserialized_body",
            {
                "futures.signing.body": f"futures.trade_place_order was refused by the exchange's auth ({SIGN_ERROR}): "
                "sign the exact bytes of the body you send (serialize once, hash those bytes, send those bytes); a "
                'body re-serialized after signing differs (sent \'{"symbol": "BTCUSDT", "side": "BUY", '
                '"orderType": "LIMIT", "qty": "0.001", "price": "50000", "clientId": "kit-é-1"}\'). The signature '
                "doctor: reserialized-body: the body signed is not the bytes sent (re-serialized JSON); sign exactly "
                "the bytes you send"
            },
        ),
        (
            "seconds_futures_timestamp",
            {
                "futures.timestamp.fresh": "timestamp '{ts}' is not milliseconds since the epoch (13 digits); the "
                "futures API signs and checks milliseconds (the mock refuses it: 10007)"
            },
        ),
        (
            "string_code",
            {
                "futures.envelope.code": "the exchange answered get_leverage_margin_mode with code 0 (a JSON number: "
                "success) and the client raised [0] Success: futures envelopes carry `code` as a number, so compare it "
                'with 0 (or its text with "0"), not the raw value with the string "0"'
            },
        ),
        (
            "swallow_futures_errors",
            {
                "futures.errors.surfaced": "futures_place_order: the exchange answered error 20003 (Insufficient "
                "balance) and the client returned {'order_id': None, 'client_id': []} instead of raising it",
                "futures.oneway.lifecycle": "a reduce-only SELL without a position: the exchange refused it (30018 "
                "Order failed. No position opened. Cancel [Reduce-only] settings and retry later) and the client "
                "returned {'order_id': None, 'client_id': []} instead of raising it",
                "futures.settings.change": "futures_change_margin_mode with an open order: the exchange refused it "
                "(20006 You can't change leverage or margin mode as there are open orders) and the client returned "
                "None instead of raising it",
            },
        ),
        (
            "account_list_only",
            {
                "futures.account.read": "the futures account answered as live does (`data` an object) failed: "
                "ClientCrashed: futures_account raised KeyError: 0; the exchange holds available 100000, frozen 0, "
                "margin 0: read `data` as an object (and a one-element list as its element)",
                "futures.differential.reference": "futures_account: the reference client read {'margin_coin': 'USDT', "
                "'available': '100000', 'frozen': '0', 'margin': '0', 'cross_unrealized_pnl': '0', "
                "'isolation_unrealized_pnl': '0', 'position_mode': 'ONE_WAY'}; yours crashed: futures_account raised "
                "KeyError: 0",
            },
        ),
        (
            "position_side_orders",
            {
                "futures.hedge.lifecycle": "opening a long (side BUY, tradeSide OPEN): the exchange refused it (10008 "
                'Parameter LONG does not match, alternative value ["BUY","SELL"].): an order\'s side is BUY or SELL '
                "(LONG/SHORT are position directions, not order sides)"
            },
        ),
        (
            "wire_side_positions",
            {
                "futures.positions.read": "open positions answered as live does (side BUY for a long, SELL for a "
                "short; qty a string) read [('{id}', 'BUY', Decimal('0.03')), ('{id}', 'SELL', Decimal('0.01'))]; "
                "the exchange holds [('{id}', 'LONG', Decimal('0.03')), ('{id}', 'SHORT', Decimal('0.01'))]: a "
                "position's direction is LONG for wire side BUY, SHORT for SELL",
                "futures.differential.reference": "futures_pending_positions: reference read [{'position_id': '{id}', "
                "'symbol': 'BTCUSDT', 'side': 'LONG', 'qty': '0.01', 'leverage': 12, 'margin_mode': 'ISOLATION'}], "
                "yours [{'position_id': '{id}', 'symbol': 'BTCUSDT', 'side': 'BUY', 'qty': '0.01'}]",
            },
        ),
        (
            "skip_as_page",
            {
                "futures.pagination": "open orders paged 3 at a time (skip 0, 3, 6) read ids ['{id}', '{id}', '{id}'] "
                "and totals [7, 7, 7]; the exchange holds ['{id}', '{id}', '{id}', '{id}', '{id}', '{id}', '{id}'] "
                '(newest first), total "7" (a string live): skip counts rows, not pages'
            },
        ),
        (
            "drops_reduce_only",
            {
                "futures.oneway.lifecycle": "a reduce-only SELL without a position opened SHORT 0.01 instead of being "
                "refused (30018 Order failed. No position opened. Cancel [Reduce-only] settings and retry later): the "
                "order went out without reduceOnly true",
                "futures.differential.reference": "futures request 8 (futures.trade_place_order) asks the exchange for "
                "something else than the reference client's:\n  reference: {'symbol': 'BTCUSDT', 'side': 'SELL', "
                "'orderType': 'MARKET', 'qty': Decimal('0.004'), 'reduceOnly': True}\n  yours:     {'symbol': "
                "'BTCUSDT', 'side': 'SELL', 'orderType': 'MARKET', 'qty': Decimal('0.004')}",
            },
        ),
        (
            "reused_futures_nonce",
            {
                "futures.nonce.unique": "nonce '{nonce}' sent twice on futures (requests {n} and {n}, futures.account); "
                "the futures API lets a replay through today, but every request needs a new nonce"
            },
        ),
    ],
)
def test_a_broken_futures_client_fails_exactly_the_rules_for_its_flaw(double: str, failing: dict[str, str]) -> None:
    """Messages are exact; ``{id}``, ``{n}``, ``{nonce}`` and ``{ts}`` stand for the run's ids, numbers and values."""
    got = _failing(_judge(double))
    assert set(got) == set(failing)
    for rule_id, template in failing.items():
        pattern = re.escape(template)
        for hole, fill in (("id", r"\d+"), ("n", r"\d+"), ("nonce", r"[0-9a-f]{32}"), ("ts", r"\d{10}")):
            pattern = pattern.replace(re.escape("{" + hole + "}"), fill)
        assert re.fullmatch(pattern, got[rule_id]), (rule_id, got[rule_id])


def test_a_spaced_body_signed_as_sent_passes_with_a_warning() -> None:
    report = run(
        doubles.spaced_body, client_name="spaced", stream=None, product="futures", only=["futures.signing.body"]
    )
    (v,) = [v for v in report.verdicts if v.rule == "futures.signing.body"]
    assert v.status == "warn" and [w["rule"] for w in v.warnings] == ["body-not-compact"]
    assert report.verdict == "PASS with warnings"


def test_a_client_that_tolerates_no_documented_oddity_is_warned_not_failed() -> None:
    verdicts = _judge("strict_shapes")
    assert {r: s for r, (s, _) in verdicts.items() if s != "pass"} == {
        "futures.account.read": "warn",
        "futures.positions.read": "warn",
        "futures.pagination": "warn",
    }
    report = run(doubles.strict_shapes, client_name="strict", stream=None, only=["futures.pagination"])
    (v,) = report.verdicts
    assert [(w["rule"], w["detail"], w["live"]) for w in v.warnings] == [
        (
            "futures-integer-total",
            "pages answered with the docs' integer total failed: futures_pending_orders skip 0 limit 3: the client "
            "crashed: futures_pending_orders raised TypeError: total 7 is not a string",
            "`total` a string of digits (spec §7.7, TIQ)",
        ),
        (
            "futures-status-padding",
            "an order with status NEW_ read as 'NEW_'",
            "NEW_ seen live (spec §3.0, PB and TIQ normalise a trailing underscore)",
        ),
    ]
    assert report.passed


PRODUCTS_DRIVER = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "products":
        answer = {"id": request["id"], "ok": True, "result": ["spot"]}
    else:
        error = {"code": "unsupported", "msg": "no op " + request["op"], "type": "Unsupported"}
        answer = {"id": request["id"], "ok": False, "error": error}
    print(json.dumps(answer), flush=True)
"""


@pytest.mark.slow  # starts a driver process
def test_a_driver_declares_its_products_through_the_products_op() -> None:
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(PRODUCTS_DRIVER)}"
    report = run(driver_factory(command), client_name="spot-driver", stream=None, product="futures")
    assert report.products == ("spot",)
    assert {v.status for v in report.verdicts} == {"n/a"}
