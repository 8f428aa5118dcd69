"""The conformance kit judges right: the reference client passes every rule, each broken double fails
exactly the rules for its flaw, the Node driver passes over loopback, and the reports are well formed."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import RULES, driver_factory, reference_factory, run
from conformance.cli import main as cli_main
from conformance.runner import Report, Verdict
from mockserver.api.doctor import MISTAKES

from .. import conformance_doubles as doubles

ROOT = Path(__file__).resolve().parents[2]
NODE_DRIVER = ROOT / "conformance" / "drivers" / "node" / "driver.mjs"
ALL = [r.id for r in RULES]
#: the spot rules, and the futures rules a spot-only client gets N/A for
SPOT = [r.id for r in RULES if r.product == "spot"]
FUTURES = [r.id for r in RULES if r.product == "futures"]


def test_the_reference_client_passes_every_rule() -> None:
    report = run(reference_factory, client_name="client_ref", stream=None, examples=15)
    assert [(v.rule, v.status) for v in report.verdicts] == [(r, "pass") for r in ALL], report.markdown()
    assert report.passed


@pytest.mark.slow  # a whole kit run per broken client: 11 runs, 15-30 s
@pytest.mark.parametrize(
    ("double", "failing", "message"),
    [
        ("wrong_sort", {"signing.vectors"}, "vector 'get-sorted-params'"),
        ("reused_nonce", {"nonce.unique"}, "sent twice"),
        ("seconds_timestamp", {"timestamp.fresh"}, "is not milliseconds since the epoch (13 digits)"),
        ("swallow_errors", {"errors.surfaced"}, "instead of raising it"),
        ("float_money", {"decimal.exact"}, "read as '12345.678901234567'; the exchange holds 12345.6789012345678"),
        ("no_resync", {"timestamp.skew"}, "the client raised 100008 (request expired) instead of recovering"),
        ("null_crash", {"lists.null-or-empty"}, "pending_orders on an empty list answered as data null"),
        ("depth_crash", {"differential.reference"}, "yours crashed: depth raised KeyError: 'bid'"),
        ("ascii_signed_body", {"signing.generated"}, "was refused by the exchange's auth (100005 SignatureError)"),
        ("free_includes_locked", {"ledger.stateful"}, "client balances BTC {'free': '2.000', 'locked': '0'}"),
        ("side_swapped_detail", {"ledger.stateful"}, "order_detail "),
    ],
)
def test_a_broken_client_fails_exactly_the_rule_for_its_flaw(double: str, failing: set[str], message: str) -> None:
    report = run(getattr(doubles, double), client_name=double, stream=None, examples=10)
    assert set(report.by_status("fail")) == failing, report.markdown()
    assert not report.passed
    assert any(message in v.message for v in report.verdicts if v.status == "fail"), report.markdown()
    for v in report.verdicts:
        if v.status == "blocked":
            assert set(next(r for r in RULES if r.id == v.rule).requires) & failing, v.rule
        elif v.rule in FUTURES:  # the spot doubles declare spot only
            assert v.status == "n/a", (v.rule, v.status)
        else:
            assert v.status in ("pass", "fail"), (v.rule, v.status)


def test_a_case_insensitive_sort_fails_even_without_the_sign_operation() -> None:
    """The client's signer is not exposed (signing.vectors is skipped); its signed GET with keys that differ in
    case is refused, and the mock's signature doctor says how it sorted them."""
    report = run(doubles.case_insensitive_sort, client_name="ci-sort", stream=None, examples=5)
    statuses = {v.rule: v.status for v in report.verdicts}
    assert statuses == {
        **{r: "pass" for r in SPOT},
        **{r: "n/a" for r in FUTURES},
        "signing.vectors": "skipped",
        "signing.query-sort": "fail",
    }
    (v,) = [v for v in report.verdicts if v.rule == "signing.query-sort"]
    assert v.message == (
        "a signed GET with query keys that differ in case was refused (100005 SignatureError): the client signed the "
        "keys ignoring case (or by locale); the exchange signs query keys sorted by code point (upper case before '_' "
        "before lower case: B1_z0aya1xb2orderId1 here), not ignoring case, by locale or in the order sent. The "
        f"signature doctor: case-insensitive-sort: {MISTAKES['case-insensitive-sort']} (you signed the query as "
        "'_z0aya1xB1b2orderId1'; expected 'B1_z0aya1xb2orderId1')"
    )
    assert v.diagnosis.startswith("SignatureError (100005): ") and v.curl.startswith("curl -sS -X GET ")


def test_a_client_without_signed_get_is_skipped_with_the_reason() -> None:
    report = run(doubles.no_signed_get, client_name="no-get", stream=None, only=["signing.query-sort"])
    (v,) = report.verdicts
    assert (v.status, v.message) == (
        "skipped",
        "the adapter has no signed_get(path, params) operation; add one to have the sort checked",
    )


UNSUPPORTED_DRIVER = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    error = {"code": "unsupported", "msg": "no op " + request["op"], "type": "Unsupported"}
    print(json.dumps({"id": request["id"], "ok": False, "error": error}), flush=True)
"""


@pytest.mark.slow
def test_a_driver_without_signed_get_is_skipped_with_the_reason() -> None:
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(UNSUPPORTED_DRIVER)}"
    report = run(driver_factory(command), client_name="bare", stream=None, only=["signing.query-sort"])
    (v,) = report.verdicts
    assert (v.status, v.message) == ("skipped", "the driver does not implement the optional 'signed_get' operation")


def test_failures_carry_the_servers_verdict_and_a_repro() -> None:
    report = run(doubles.reused_nonce, client_name="reused", stream=None, only=["nonce.unique"])
    (v,) = report.verdicts
    assert v.diagnosis.startswith("NonceReused (900001)")
    assert v.curl.startswith("curl -sS -X GET ") and '"nonce: $NONCE"' in v.curl


def test_reports_are_written_as_markdown_json_and_junit(tmp_path: Path) -> None:
    report = run(doubles.float_money, client_name="float", stream=None, only=["decimal.exact", "nonce.unique"])
    paths = {p.name: p for p in report.write(tmp_path)}
    doc = json.loads(paths["report.json"].read_text("utf-8"))
    assert doc["passed"] is False and [r["status"] for r in doc["rules"]] == ["pass", "fail"]
    md = paths["report.md"].read_text("utf-8")
    assert "| `decimal.exact` | FAIL |" in md and "## `decimal.exact` - FAIL" in md
    suite = ET.parse(paths["junit.xml"]).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["decimal.exact"]


def test_junit_escapes_what_a_client_and_a_message_may_hold() -> None:
    message = 'expected "1" <got 2> & more\nsecond line'
    report = Report(
        client='my "client" <v2> & co',
        mode="test",
        verdicts=[
            Verdict("a.rule", "t", "s", "fail", message=message, curl="curl -H 'a: <b>' &"),
            Verdict("b.rule", "t", "s", "skipped", message="needs <cancel>"),
        ],
    )
    suite = ET.fromstring(report.junit())
    (fail, skip) = suite.iter("testcase")
    assert fail.get("classname") == 'my "client" <v2> & co'
    failure = fail.find("failure")
    assert failure is not None and failure.get("message") == 'expected "1" <got 2> & more second line'
    assert failure.text == message + "\ncurl -H 'a: <b>' &"
    skipped = skip.find("skipped")
    assert skipped is not None and skipped.get("message") == "needs <cancel>"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")


def test_cli_exit_status_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = cli_main(
        [
            "run",
            "--adapter",
            "conformance.adapter:reference_factory",
            "--rule",
            "nonce.unique",
            "--out",
            str(tmp_path / "a"),
        ]
    )
    assert ok == 0 and (tmp_path / "a" / "junit.xml").exists()
    assert "PASS: 1 passed, 0 warned, 0 failed, 0 blocked, 0 skipped" in capsys.readouterr().out
    bad = cli_main(["run", "--adapter", "tests.conformance_doubles:reused_nonce", "--out", str(tmp_path / "b")])
    assert bad == 1
    assert cli_main(["rules"]) == 0 and "ledger.stateful" in capsys.readouterr().out


@pytest.mark.slow  # runs the Node driver
def test_the_node_example_driver_passes_over_loopback() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Node example driver cannot run (CI installs it)")
    report = run(
        driver_factory(f"{node} {NODE_DRIVER}"),
        client_name="node",
        mode="loopback",
        stream=None,
        examples=10,
    )
    # The example driver implements spot only and says so (op "products"): the futures rules are not applicable.
    assert report.products == ("spot",)
    want = [(r, "pass" if r in SPOT else "n/a") for r in ALL]
    assert [(v.rule, v.status) for v in report.verdicts] == want, report.markdown()
    assert report.summary().endswith(f"0 skipped, {len(FUTURES)} not applicable")


@pytest.mark.slow  # runs pytest as a process
def test_pytest_plugin_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_bot.py").write_text(
        "from decimal import Decimal\n"
        "def test_bot(bitunix_client, bitunix_account, bitunix_mock):\n"
        "    assert bitunix_client.balances()['USDT']['free'] == '100000'\n"
        "    r = bitunix_client.place_order('BTCUSDT', 2, 1, '0.001', '50000', None)\n"
        "    assert r['accepted']\n"
        "    assert len(bitunix_mock.state.exchange.orders) == 1\n"
        "def test_fresh_exchange_each_test(bitunix_mock):\n"
        "    assert len(bitunix_mock.state.exchange.orders) == 0\n",
        "utf-8",
    )
    env_path = str(ROOT)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:bitunix_conformance",
            "-p",
            "pytest_bitunix",
            str(tmp_path / "test_bot.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": env_path},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
