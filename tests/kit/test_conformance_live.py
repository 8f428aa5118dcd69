"""The kit judges by the live exchange: WARN for documented rules live tolerates, recovery from clock skew,
a differential that ignores variants the exchange accepts both ways, null or [] empty lists, and crashes
reported with their operation and traceback without blocking unrelated rules."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import RULES, reference_factory, run
from conformance.cli import main as cli_main
from conformance.rules.resilience import SKEW_RECIPE
from conformance.target import Target
from mockserver.api.docrules import DOC_RULES

from .. import conformance_doubles as doubles

NONCE_DOCS = DOC_RULES["nonce-length"].rule
NONCE_LIVE = DOC_RULES["nonce-length"].live


def statuses(report: Any) -> dict[str, str]:
    return {v.rule: v.status for v in report.verdicts}


def verdict(report: Any, rule: str) -> Any:
    return next(v for v in report.verdicts if v.rule == rule)


# ---------------------------------------------------------------- WARN


def test_a_base64_nonce_passes_with_warn_naming_the_docs_and_live_texts() -> None:
    report = run(doubles.base64_nonce, client_name="b64", stream=None, examples=5)
    assert report.passed and report.verdict == "PASS with warnings", report.markdown()
    assert not report.by_status("fail") and not report.by_status("blocked")
    # every rule whose requests reached auth warns; errors.surfaced only meets injected faults (no auth run)
    assert statuses(report) == {
        r.id: (
            "n/a" if r.product == "futures" else "pass" if r.id in ("signing.vectors", "errors.surfaced") else "warn"
        )
        for r in RULES
    }  # the spot doubles declare spot only
    (w,) = verdict(report, "nonce.unique").warnings
    assert w == {
        "rule": "nonce-length",
        "detail": "nonce is 44 characters; the docs ask 32",
        "docs": NONCE_DOCS,
        "live": NONCE_LIVE,
        "requests": 22,
        "example": "GET /api/spot/v1/user/account (account)",
    }
    assert verdict(report, "nonce.unique").message == ""
    (summary,) = report.warnings()
    assert summary["rule"] == "nonce-length" and summary["seen_in"] == report.by_status("warn")


def test_a_fast_clock_warns_past_60_s_ahead_and_fails_nothing() -> None:
    report = run(doubles.fast_clock, client_name="fast", stream=None, only=["timestamp.fresh", "timestamp.skew"])
    assert statuses(report) == {"timestamp.fresh": "warn", "timestamp.skew": "warn"}
    (w,) = verdict(report, "timestamp.fresh").warnings
    assert w["rule"] == "timestamp-ahead" and w["requests"] == 3
    assert re.fullmatch(r"timestamp (\d+) ms ahead of server time; the docs allow 60000", w["detail"])
    assert 89_000 <= int(w["detail"].split()[1]) <= 91_000
    assert (w["docs"], w["live"]) == (DOC_RULES["timestamp-ahead"].rule, DOC_RULES["timestamp-ahead"].live)


def test_a_slow_clock_more_than_60_s_behind_fails_timestamp_fresh() -> None:
    def slow(base_url: str, api_key: str, secret: str, transport: Any = None) -> Any:
        return doubles.ReferenceAdapter(doubles._client(base_url, api_key, secret, transport, time_offset_ms=-90_000))

    (v,) = run(slow, client_name="slow", stream=None, only=["timestamp.fresh"]).verdicts
    assert v.status == "fail"
    assert re.fullmatch(
        r"timestamp \d{13} is (\d+) ms behind the server clock at arrival; the exchange refuses more than 60 s "
        r"behind \(100008\): sign with the current time, synced from the reply's Date header",
        v.message,
    )
    assert v.diagnosis.startswith("RequestExpired (100008)")


class _Unflagged(Target):
    """A mock whose journal carries no warnings (an older mock): the kit flags what it can see itself."""

    def journal(self, api_key: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        return [{**e, "warnings": []} for e in super().journal(api_key, limit)]


def test_the_kit_flags_nonce_length_itself_when_the_journal_does_not() -> None:
    target = _Unflagged.start()
    try:
        report = run(doubles.base64_nonce, target=target, stream=None, only=["nonce.unique", "timestamp.fresh"])
    finally:
        target.close()
    assert statuses(report) == {"nonce.unique": "warn", "timestamp.fresh": "pass"}
    (w,) = verdict(report, "nonce.unique").warnings
    assert (w["rule"], w["detail"], w["docs"], w["live"], w["requests"]) == (
        "nonce-length",
        "nonce is 44 characters; the docs ask 32",
        NONCE_DOCS,
        NONCE_LIVE,
        22,
    )


def test_warn_shows_in_markdown_json_junit_progress_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    progress = io.StringIO()
    report = run(doubles.base64_nonce, client_name="b64", stream=progress, only=["signing.vectors", "nonce.unique"])
    assert "nonce.unique                   WARN  docs broken, tolerated live: nonce-length" in progress.getvalue()
    paths = {p.name: p for p in report.write(tmp_path)}

    md = paths["report.md"].read_text("utf-8")
    assert "Verdict: **PASS with warnings** (1 passed, 1 warned, 0 failed, 0 blocked, 0 skipped)" in md
    assert "| `nonce.unique` | WARN |" in md and "| `signing.vectors` | PASS |" in md
    assert f"| `nonce-length` | {NONCE_DOCS} | {NONCE_LIVE} | 22 |" in md
    assert "## `nonce.unique` - WARN" in md
    assert (
        "- WARN `nonce-length (22 requests, e.g. GET /api/spot/v1/user/account (account)): "
        "nonce is 44 characters; the docs ask 32`" in md
    )

    doc = json.loads(paths["report.json"].read_text("utf-8"))
    assert (doc["passed"], doc["verdict"]) == (True, "PASS with warnings")
    assert [r["status"] for r in doc["rules"]] == ["pass", "warn"]
    assert doc["rules"][1]["warnings"][0]["rule"] == "nonce-length"
    assert doc["warnings"][0]["seen_in"] == ["nonce.unique"]

    suite = ET.parse(paths["junit.xml"]).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "0", "0")
    case = next(c for c in suite.iter("testcase") if c.get("name") == "nonce.unique")
    assert case.find("failure") is None and case.find("skipped") is None
    prop = case.find("properties/property")
    assert prop is not None and prop.get("name") == "warning"
    assert prop.get("value", "").startswith("nonce-length (22 requests")
    out = case.findtext("system-out") or ""
    assert out.startswith("WARN nonce-length (22 requests") and f"| docs: {NONCE_DOCS} | live: {NONCE_LIVE}" in out

    code = cli_main(
        ["run", "--adapter", "tests.conformance_doubles:base64_nonce", "--rule", "nonce.unique", "--out", str(tmp_path)]
    )
    assert code == 0  # WARN never fails the run
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"WARN nonce-length: nonce is 44 characters; the docs ask 32 (docs: {NONCE_DOCS}; live: {NONCE_LIVE})",
        "PASS with warnings: 0 passed, 1 warned, 0 failed, 0 blocked, 0 skipped",
    ]


# ---------------------------------------------------------------- clock skew


def test_skew_passes_only_when_the_client_recovers_from_the_date_header() -> None:
    target = Target.start()
    try:
        (ok,) = run(reference_factory, target=target, stream=None, only=["timestamp.skew"]).verdicts
        # the reference client was refused once (100008), re-synced from Date and repeated the call
        journal = target.journal()
        (bad,) = run(doubles.no_resync, target=target, stream=None, only=["timestamp.skew"]).verdicts
    finally:
        target.close()
    assert ok.status == "pass"
    accounts = [e for e in journal if e["operation"] == "account"]
    assert [e["code"] for e in accounts] == ["0", "100008", "0"]
    assert bad.status == "fail" and bad.message == SKEW_RECIPE
    assert SKEW_RECIPE.startswith(
        "with the server clock 120 s ahead the client raised 100008 (request expired) instead of recovering. "
        "Live clients recover: on 100008 read the server time from the reply's Date header"
    )
    assert bad.diagnosis.startswith("RequestExpired (100008)") and bad.curl.startswith("curl -sS -X GET ")


# ---------------------------------------------------------------- differential


def test_variants_the_exchange_accepts_both_ways_are_not_differences() -> None:
    report = run(doubles.variants, client_name="variants", stream=None, only=["differential.reference"])
    (v,) = report.verdicts
    assert v.status == "warn", report.markdown()
    assert [w["rule"] for w in v.warnings] == ["body-not-compact", "nonce-length", "number-for-string"]


def test_the_variants_double_really_sends_the_variants() -> None:
    target = Target.start()
    try:
        acct = target.account({"USDT": "1000"})
        adapter = doubles.variants(target.base_url, acct["api_key"], acct["secret"], target.transport)
        adapter.place_order("BTCUSDT", 2, 2, "10", None, None)
        (entry,) = [e for e in target.journal(acct["api_key"]) if e["operation"] == "place_order"]
        adapter.close()
    finally:
        target.close()
    assert entry["body"] == '{"clientId": "auto-1", "symbol": "BTCUSDT", "volume": 10, "type": 2, "side": 2}'
    assert entry["verdict"] == "accepted" and len(entry["headers"]["nonce"]) == 44


def test_a_real_request_difference_still_fails_the_differential() -> None:
    report = run(doubles.zero_based_pages, client_name="zero", stream=None, examples=5)
    assert set(report.by_status("fail")) == {"lists.null-or-empty", "differential.reference"}
    assert verdict(report, "differential.reference").message == (
        "request 5 (history_page) asks the exchange for something else than the reference client's:\n"
        "  reference: {'symbol': 'BTCUSDT', 'page': Decimal('1'), 'pageSize': Decimal('10')}\n"
        "  yours:     {'symbol': 'BTCUSDT', 'page': Decimal('0'), 'pageSize': Decimal('10')}"
    )
    assert verdict(report, "lists.null-or-empty").message == (
        "order_history on an empty list answered as data null (switch empty_lists=null): the client raised 2 "
        "(Parameter error); it is an empty list, not an error"
    )


# ---------------------------------------------------------------- empty lists and crashes


def test_a_client_that_crashes_on_null_fails_exactly_the_empty_list_rule() -> None:
    report = run(doubles.null_crash, client_name="null", stream=None, examples=5)
    assert report.by_status("fail") == ["lists.null-or-empty"]
    assert report.by_status("blocked") == ["ledger.stateful"]  # it compares open-order lists, empty ones too
    spot = {r.id for r in RULES if r.product == "spot"}
    assert set(report.by_status("pass")) == spot - {"lists.null-or-empty", "ledger.stateful"}
    assert set(report.by_status("n/a")) == {r.id for r in RULES} - spot
    v = verdict(report, "lists.null-or-empty")
    assert v.message == (
        "pending_orders on an empty list answered as data null (switch empty_lists=null): the client crashed "
        "(pending_orders raised TypeError: 'NoneType' object is not iterable); read data null as an empty list - "
        "the exchange answers null for empty lists, as it does for an empty account"
    )
    assert v.traceback.startswith("Traceback (most recent call last):")
    assert "conformance_doubles.py" in v.traceback and "in pending_orders" in v.traceback
    assert v.traceback.endswith("TypeError: 'NoneType' object is not iterable")
    assert "conformance/rules/" not in v.traceback  # the client's frames, not the kit's


def test_a_crash_in_traffic_is_reported_but_does_not_fail_or_block_the_rule() -> None:
    report = run(doubles.null_crash, client_name="null", stream=None, only=["nonce.unique", "timestamp.skew"])
    assert statuses(report) == {"nonce.unique": "pass", "timestamp.skew": "pass"}
    (crash,) = verdict(report, "nonce.unique").crashes
    assert crash["operation"] == "pending_orders"
    assert crash["error"] == "pending_orders raised TypeError: 'NoneType' object is not iterable"
    assert crash["traceback"].endswith("TypeError: 'NoneType' object is not iterable")
    md = report.markdown()
    assert (
        "The client crashed in `pending_orders` (not what this rule judges): pending_orders raised TypeError: "
        "'NoneType' object is not iterable" in md
    )


def test_a_crash_does_not_hide_the_real_cause_of_a_failure() -> None:
    class ReusedAndNullCrash(doubles.NullCrash):
        pass

    def both(base_url: str, api_key: str, secret: str, transport: Any = None) -> Any:
        fixed = "f" * 32
        return ReusedAndNullCrash(doubles._client(base_url, api_key, secret, transport, nonce=lambda: fixed))

    (v,) = run(both, client_name="both", stream=None, only=["nonce.unique"]).verdicts
    assert v.status == "fail"
    assert v.message == (
        f"nonce {'f' * 32!r} sent twice (requests 1 and 2); every request, retries included, needs a new one"
    )
    assert v.diagnosis.startswith("NonceReused (900001)")


def test_a_crash_in_a_judged_operation_names_it_with_its_traceback() -> None:
    (v,) = run(doubles.depth_crash, client_name="depth", stream=None, only=["differential.reference"]).verdicts
    assert v.status == "fail"
    assert v.message.startswith("depth: the reference client read {'asks': [['64500', '0.5']")
    assert v.message.endswith("; yours crashed: depth raised KeyError: 'bid'")
    assert v.traceback.endswith("KeyError: 'bid'") and "in depth" in v.traceback
    assert v.crashes == []  # reported once, as the failure


def test_the_empty_list_rule_reads_both_null_and_brackets() -> None:
    target = Target.start()
    try:
        (v,) = run(reference_factory, target=target, stream=None, only=["lists.null-or-empty"]).verdicts
        reads = [
            json.loads(e["response"])["data"]
            for e in target.journal()
            if e["operation"] in ("pending_list", "history_page")
        ]
    finally:
        target.close()
    assert v.status == "pass"
    assert reads == [
        None,
        {"total": 0, "pageNum": 1, "pageSize": 10, "data": None},
        [],
        {
            "total": 0,
            "pageNum": 1,
            "pageSize": 10,
            "data": [],
        },
    ]


def test_a_crash_under_a_dropped_answer_is_named_after_the_orders_are_judged() -> None:
    class CrashOnTransport(doubles.ReferenceAdapter):
        def place_order(
            self, symbol: str, side: int, type: int, volume: str, price: str | None, client_id: str | None
        ) -> dict[str, Any]:
            try:
                return super().place_order(symbol, side, type, volume, price, client_id)
            except doubles.ClientError as err:
                if err.code == "transport":
                    raise RuntimeError("connection state lost") from None
                raise

    def crashy(base_url: str, api_key: str, secret: str, transport: Any = None) -> Any:
        return CrashOnTransport(doubles._client(base_url, api_key, secret, transport))

    (v,) = run(crashy, client_name="crashy", stream=None, only=["retry.no-double-place"]).verdicts
    assert v.status == "fail"
    assert v.message == (
        "place_order under a drop fault crashed (place_order raised RuntimeError: connection state lost) instead of "
        "raising an error (a transport error or the exchange's code)"
    )
    assert v.traceback.endswith("RuntimeError: connection state lost") and "in place_order" in v.traceback
