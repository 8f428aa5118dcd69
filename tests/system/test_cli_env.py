"""Every CLI option reads a BITUNIX_MOCK_* variable; a flag beats it; bad values exit 2 with a message.

The tables below are checked against the parser itself: an option added without a
variable, a good value and a bad value fails :func:`test_every_option_is_in_the_tables`.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.cli import build_parser, env_name, main, parse_args
from mockserver.wait import health_url

from ..serverproc import server_process

MARKETS = Path(__file__).resolve().parents[2] / "mockserver" / "seed"

#: dest -> (variable value, the parsed value it gives, a flag value that must beat it, what that gives)
GOOD: dict[str, tuple[str, Any, list[str], Any]] = {
    "host": ("0.0.0.0", "0.0.0.0", ["--host", "::1"], "::1"),
    "port": ("9001", 9001, ["--port", "0"], 0),
    "profile": ("docs", "docs", ["--profile", "strict"], "strict"),
    "seed": ("7", 7, ["--seed", "-3"], -3),
    "markets": ("@markets", "@markets", [], "@markets"),
    "no_liquidity": ("yes", True, ["--no-liquidity"], True),
    "no_demo": ("on", True, ["--no-demo"], True),
    "admin_token": ("s3cret-token", "s3cret-token", ["--admin-token", "other"], "other"),
    "require_admin_token": ("1", True, ["--require-admin-token"], True),
    "admin_allowed_hosts": ("mock.ci,mock.ci:8080", "mock.ci,mock.ci:8080", ["--admin-allowed-hosts", "a"], "a"),
    "trusted_proxies": ("10.0.0.1,172.16.0.0/12", "10.0.0.1,172.16.0.0/12", ["--trusted-proxies", "*"], "*"),
    "diagnose": ("true", True, ["--diagnose"], True),
    "max_body_bytes": ("1024", 1024, ["--max-body-bytes", "2048"], 2048),
    "switch": (
        "price_band=error, empty_lists=[]",
        [("price_band", "error"), ("empty_lists", "[]")],
        ["--switch", "price_band=off"],
        [("price_band", "error"), ("empty_lists", "[]"), ("price_band", "off")],
    ),
    "state": ("/tmp/no-such-mock-state", Path("/tmp/no-such-mock-state"), ["--state", "/tmp/x"], Path("/tmp/x")),
    "journal_size": ("0", 0, ["--journal-size", "5"], 5),
    "rate_limits": ("1", True, ["--rate-limits"], True),
    "max_tenants": ("3", 3, ["--max-tenants", "0"], 0),
    "log_format": ("json", "json", ["--log-format", "text"], "text"),
    "quiet": ("1", True, ["--quiet"], True),
    "log_level": ("info", "info", ["--log-level", "debug"], "debug"),
    "access_log": ("1", True, ["--access-log"], True),
    "json": ("1", True, ["--json"], True),
    "gc_freeze": ("1", True, ["--gc-freeze"], True),
    "show_secrets": ("yes", True, ["--show-secrets"], True),
    "ready_file": ("@ready", "@ready", [], "@ready"),
}

#: dest -> a value that must be refused (as the variable, and as the flag for options with a value).
BAD: dict[str, str] = {
    "host": "not a host",
    "port": "eighty",
    "profile": "lenient",
    "seed": "1.5",
    "markets": "/no/such/markets.json",
    "no_liquidity": "maybe",
    "no_demo": "2",
    "admin_token": "has space",
    "require_admin_token": "required",
    "admin_allowed_hosts": "ok,bad host/",
    "trusted_proxies": "10.0.0.1,proxy.example",
    "diagnose": "y",
    "max_body_bytes": "0",
    "switch": "price_band=sometimes",
    "state": "/etc/hostname",
    "journal_size": "-1",
    "rate_limits": "enabled",
    "max_tenants": "-1",
    "log_format": "xml",
    "quiet": "quiet",
    "log_level": "verbose",
    "access_log": "-",
    "json": "jsonl",
    "gc_freeze": "always",
    "show_secrets": "please",
    "ready_file": "/no/such/dir/ready.json",
}


def _resolve(value: Any, tmp_path: Path) -> Any:
    """``@markets`` and ``@ready`` stand for real paths (they must exist when parsed)."""
    if value == "@markets":
        return MARKETS / "markets.json"
    if value == "@ready":
        return tmp_path / "ready.json"
    return value


def test_every_option_is_in_the_tables() -> None:
    dests = {a.dest for a in build_parser().options}
    assert dests == set(GOOD), f"add every new option to GOOD (missing {dests - set(GOOD)}; stale {set(GOOD) - dests})"
    assert dests == set(BAD), f"add every new option to BAD (missing {dests - set(BAD)}; stale {set(BAD) - dests})"


def test_help_shows_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"], environ={}) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for action in build_parser().options:
        assert env_name(action) in shown, action.dest
    assert "bitunix-mock wait" in shown and "a flag beats its variable" in shown


def test_no_variables_means_todays_defaults() -> None:
    assert vars(parse_args([], {})) == {**vars(build_parser().parse_args([])), "from_env": {}}
    assert parse_args([], {"BITUNIX_MOCK_PORT": ""}).port == 8080, "an empty variable counts as unset"


def test_the_collector_policy_is_off_unless_asked_for() -> None:
    assert parse_args([], {}).gc_freeze is False
    assert parse_args(["--gc-freeze"], {}).gc_freeze is True
    assert parse_args([], {"BITUNIX_MOCK_GC_FREEZE": "1"}).gc_freeze is True


@pytest.mark.parametrize("dest", sorted(GOOD))
def test_the_variable_sets_the_option_and_a_flag_beats_it(dest: str, tmp_path: Path) -> None:
    action = next(a for a in build_parser().options if a.dest == dest)
    name = env_name(action)
    raw, parsed, flag, flagged = GOOD[dest]
    raw = str(_resolve(raw, tmp_path))
    args = parse_args([], {name: raw})
    expected = _resolve(parsed, tmp_path)
    assert getattr(args, dest) == (Path(expected) if isinstance(expected, Path) else expected)
    assert args.from_env == {dest: name}
    if flag:
        assert getattr(parse_args(flag, {name: raw}), dest) == flagged
    if isinstance(parsed, bool):
        assert getattr(parse_args([], {name: "0"}), dest) is False
        assert getattr(parse_args([], {name: "OFF"}), dest) is False


@pytest.mark.parametrize("dest", sorted(BAD))
def test_a_bad_value_exits_2_naming_its_source(dest: str, capsys: pytest.CaptureFixture[str]) -> None:
    action = next(a for a in build_parser().options if a.dest == dest)
    name = env_name(action)
    bad = BAD[dest]
    assert main([], environ={name: bad}) == 2
    message = capsys.readouterr().err
    assert f"bitunix-mock: error: {name}={bad!r}: " in message, message
    assert "Traceback" not in message
    if action.nargs != 0:  # options with a value: the flag is checked the same way
        assert main([action.option_strings[0], bad], environ={}) == 2
        message = capsys.readouterr().err
        assert f"argument {action.option_strings[0]}: " in message and "Traceback" not in message, message


def test_switches_from_the_variable_and_flags_merge_name_by_name() -> None:
    from mockserver.fidelity import parse_switches

    args = parse_args(["--switch", "price_band=off"], {"BITUNIX_MOCK_SWITCH": "price_band=error,empty_lists=[]"})
    assert parse_switches(dict(args.switch)) == {"price_band": "off", "empty_lists": "[]"}


def test_a_required_token_must_be_given(capsys: pytest.CaptureFixture[str]) -> None:
    for env in (
        {"BITUNIX_MOCK_REQUIRE_ADMIN_TOKEN": "1"},
        {"BITUNIX_MOCK_REQUIRE_ADMIN_TOKEN": "1", "BITUNIX_MOCK_ADMIN_TOKEN": " "},
    ):
        assert main(["--port", "0"], environ=env) == 2
        message = capsys.readouterr().err
        assert "an admin token is required" in message and "BITUNIX_MOCK_ADMIN_TOKEN=<token>" in message
    assert main(["--require-admin-token", "--port", "0"], environ={}) == 2
    assert "an admin token is required" in capsys.readouterr().err


def test_a_blank_token_from_the_variable_is_refused_beyond_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main([], environ={"BITUNIX_MOCK_HOST": "0.0.0.0", "BITUNIX_MOCK_ADMIN_TOKEN": "  ", "BITUNIX_MOCK_PORT": "0"})
        == 2
    )
    message = capsys.readouterr().err
    assert "refusing to serve 0.0.0.0 without an admin token" in message and "Unset BITUNIX_MOCK_ADMIN_TOKEN" in message


# ---------------------------------------------------------------- wait and the ready file


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_health_url_accepts_a_base_url_or_the_health_url() -> None:
    assert health_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/_mock/health"
    assert health_url("127.0.0.1:8080/") == "http://127.0.0.1:8080/_mock/health"
    assert health_url("http://mock:8080/_mock/health") == "http://mock:8080/_mock/health"


def test_wait_times_out_with_exit_1_and_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    assert main(["wait", url, "--timeout", "0.3"], environ={}) == 1
    message = capsys.readouterr().err
    assert message.startswith(f"bitunix-mock wait: {url}/_mock/health not ready after 0.3 s: "), message
    assert main(["wait", url, "--timeout", "soon"], environ={}) == 2
    assert main(["wait", "ftp://x", "--timeout", "1"], environ={}) == 2


@pytest.mark.slow
def test_wait_and_the_ready_file_against_a_real_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ready = tmp_path / "ready.json"
    ready.write_text("stale")
    with server_process("--no-liquidity", "--ready-file", str(ready)) as banner:
        assert main(["wait", banner["url"], "--timeout", "20"], environ={}) == 0
        assert "is ready" in capsys.readouterr().err
        port = str(banner["port"])
        assert main(["wait", "--quiet", "--timeout", "20"], environ={"BITUNIX_MOCK_PORT": port}) == 0
        assert capsys.readouterr().err == ""
        for _ in range(200):  # written as uvicorn starts serving
            if ready.exists() and ready.read_text() != "stale":
                break
            time.sleep(0.05)
        written = json.loads(ready.read_text())
        assert written == {k: v for k, v in banner.items() if k != "pid"}
        assert httpx.get(banner["url"] + "/_mock/health", timeout=10).json()["status"] == "ok"
    assert not ready.exists(), "the ready file goes away with the server"
