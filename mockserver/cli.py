"""``python -m mockserver`` / ``bitunix-mock``: serve one mock exchange with uvicorn.

Every option also reads an environment variable, ``BITUNIX_MOCK_`` + its name in upper
case (``--admin-token`` -> ``BITUNIX_MOCK_ADMIN_TOKEN``); a flag beats its variable and an
empty variable counts as unset. ``bitunix-mock wait [URL]`` waits for a server instead
(:mod:`mockserver.wait`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import logging
import os
import re
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, NoReturn, cast

from .api.auth import DEFAULT_PROFILE, PROFILES
from .config import ADMIN_PREFIX, Config
from .control.access import is_loopback_host
from .fidelity import parse_switches
from .gcpolicy import FREEZE_S, GcPolicy
from .version import __version__

if TYPE_CHECKING:
    import uvicorn  # imported when serving: --help and bitunix-mock wait stay light

__all__ = [
    "ENV_PREFIX",
    "GRACEFUL_SHUTDOWN_S",
    "STOP_BUDGET_S",
    "banner_url",
    "build_parser",
    "env_name",
    "main",
    "parse_args",
    "uvicorn_config",
]

ENV_PREFIX = "BITUNIX_MOCK_"
#: After SIGTERM or Ctrl-C, requests still in flight get this long (after uvicorn's own 0.1 s) before
#: they are cancelled. uvicorn first waits up to 0.1 s for its next tick to see the signal and 0.1 s
#: after it closed the idle connections, then this: the stop stays within the README's 0.5 s with
#: room for the process's exit (measured: 0.25 s here left 2 of 30 stops with a stuck request just
#: over 0.5 s on a loaded machine; 2 s held 4 of 28 stops in a trial). A request of the mock takes
#: well under 50 ms of CPU: what is still in flight after 0.2 s is a latency fault or a stalled client.
GRACEFUL_SHUTDOWN_S = 0.1
#: Where a stop's time goes at most: uvicorn's tick, its wait after closing idle connections, the grace.
STOP_BUDGET_S = 0.1 + 0.1 + GRACEFUL_SHUTDOWN_S
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_HOST_NAME = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?$")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")

EPILOG = f"""\
Environment: every option also reads the variable shown in brackets ({ENV_PREFIX} + its
name); a flag beats its variable; an empty variable counts as unset. Switches
(on/off options) take 1/0, true/false, yes/no or on/off. {ENV_PREFIX}SWITCH is a
comma-separated NAME=VALUE list; a --switch flag overrides it name by name.

Waiting for a server (CI, scripts, health checks):
  bitunix-mock wait [URL] [--timeout S]   exit 0 once URL/_mock/health answers, 1 on timeout
"""


def env_name(action: argparse.Action) -> str:
    return ENV_PREFIX + action.dest.upper()


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0: any free port), not {value}")
    return value


def _integer(minimum: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _host(text: str) -> str:
    if not text.strip() or (not _HOST_NAME.match(text.strip()) and ":" not in text):
        raise argparse.ArgumentTypeError(f"not a host name or IP address: {text!r}")
    return text.strip()


def _markets(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such markets file: {text!r}")
    return path


def _ready_file(text: str) -> Path:
    path = Path(text)
    if not text.strip() or path.is_dir() or not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write a ready file at {text!r} (its directory must exist)")
    return path


def _state_dir(text: str) -> Path:
    path = Path(text)
    if not text.strip() or (path.exists() and not path.is_dir()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory (the state is kept in DIR/state.db)")
    return path


def _token(text: str) -> str:
    if text.strip() and not _TOKEN.match(text):
        raise argparse.ArgumentTypeError(
            "an admin token is printable ASCII without spaces (it travels in the x-mock-admin-token header)"
        )
    return text


def _hosts(text: str) -> str:
    for part in _csv(text):
        if not _HOST_NAME.match(part):
            raise argparse.ArgumentTypeError(f"not a host name (name or name:port): {part!r}")
    return text


def _proxies(text: str) -> str:
    for part in _csv(text):
        if part == "*":
            continue
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an IP address or network: {part!r}") from None
    return text


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a switch is NAME=VALUE, not {text!r}")
    pair = name.strip(), value.strip()
    try:
        parse_switches(dict([pair]))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return pair


class _Parser(argparse.ArgumentParser):
    """An argument parser that remembers how each option was declared: the variable mapping reads
    :attr:`options` (public ``add_argument`` results) instead of argparse's private action classes."""

    #: The ``action=`` each option takes a variable for; --help and --version print and exit instead.
    MAPPED = ("store", "store_true", "append")

    def __init__(self, **kwargs: Any) -> None:
        self.options: list[argparse.Action] = []
        self.how: dict[str, str] = {}  # dest -> "store", "store_true" or "append"
        super().__init__(**kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        how = kwargs.get("action", "store")
        if action.option_strings and how in self.MAPPED:
            self.options.append(action)
            self.how[action.dest] = how
        return action


def build_parser() -> _Parser:
    p = _Parser(
        prog="bitunix-mock",
        description="Offline twin of the Bitunix spot REST API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", type=_host, default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="signature verification profile"
    )
    p.add_argument("--seed", type=_integer(None), default=0, help="seed for ids, liquidity and synthetic history")
    p.add_argument("--markets", type=_markets, default=None, help="markets JSON (default: the embedded set)")
    p.add_argument("--no-liquidity", action="store_true", help="start with empty order books")
    p.add_argument("--no-demo", action="store_true", help="do not create the demo account")
    p.add_argument(
        "--admin-token",
        type=_token,
        default=None,
        help="require this token on admin calls (generated when binding beyond loopback; "
        "an empty token is refused there)",
    )
    p.add_argument(
        "--require-admin-token",
        action="store_true",
        help="refuse to start without a non-empty admin token (the container image sets this)",
    )
    p.add_argument(
        "--admin-allowed-hosts",
        type=_hosts,
        default="",
        help="comma-separated Host names (name or name:port) accepted on admin calls without a token, "
        "besides loopback, localhost and dotless names",
    )
    p.add_argument(
        "--trusted-proxies",
        type=_proxies,
        default="",
        help="comma-separated proxy addresses whose X-Forwarded-For is believed (default: none, "
        "forwarding headers are ignored)",
    )
    p.add_argument("--diagnose", action="store_true", help="always send x-mock-diagnosis on rejections")
    p.add_argument(
        "--max-body-bytes",
        type=_integer(1),
        default=Config.max_body_bytes,
        help="largest exchange request body (413 beyond)",
    )
    p.add_argument(
        "--switch",
        type=_pair,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a behaviour with thin evidence (repeatable); see the fidelity table in docs/fidelity.md",
    )
    p.add_argument(
        "--state",
        type=_state_dir,
        default=None,
        metavar="DIR",
        help="keep the exchange in DIR across restarts and crashes (default: memory only)",
    )
    p.add_argument("--journal-size", type=_integer(0), default=10_000, help="requests kept in the journal")
    p.add_argument("--rate-limits", action="store_true", help="enforce rate limits (110041) from the start")
    p.add_argument(
        "--max-tenants",
        type=_integer(0),
        default=Config.max_tenants,
        help="tenants (independent mocks under /t/<id>/, one per test: docs/admin.md, Tenants) live at once; "
        "0 switches them off",
    )
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="request log on stderr, one line per exchange request: text for people, json for machines "
        "(default: text when stderr is a terminal, else none)",
    )
    p.add_argument("--quiet", action="store_true", help="no request log (the start-up banner is still printed)")
    p.add_argument("--log-level", choices=LOG_LEVELS, default="warning", help="uvicorn log level (default warning)")
    p.add_argument("--access-log", action="store_true", help="uvicorn's access log too (HTTP status only)")
    p.add_argument("--json", action="store_true", help="print the start-up banner as one JSON line")
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="collect and freeze the heap every 0.1 s (mockserver.gcpolicy): steadier p99 under load, "
        "at the cost of a timer task; off by default",
    )
    p.add_argument(
        "--show-secrets",
        action="store_true",
        help="print the demo secret and the admin token in the banner even when stdout is not a terminal "
        "(default: only on a terminal; logs are collected)",
    )
    p.add_argument(
        "--ready-file",
        type=_ready_file,
        default=None,
        metavar="PATH",
        help="write the start-up banner JSON, secret and admin token included, to PATH (mode 0600) once the "
        "server accepts connections (removed at exit)",
    )
    for action in p.options:
        name = env_name(action)
        action.help = f"{action.help} [{name}{'=1' if _is_flag(p, action) else ''}]"
    p.add_argument("--version", action="version", version=f"bitunix-mock {__version__}")
    return p


def _is_flag(parser: _Parser, action: argparse.Action) -> bool:
    return parser.how[action.dest] == "store_true"


def _from_env(parser: _Parser, action: argparse.Action, name: str, raw: str) -> Any:
    def fail(message: str) -> NoReturn:
        parser.error(f"{name}={raw!r}: {message}")

    if _is_flag(parser, action):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            fail("a switch is one of 1/0, true/false, yes/no, on/off")
        return word in _TRUE
    convert: Callable[[str], Any] = action.type if callable(action.type) else str
    many = parser.how[action.dest] == "append"
    items = [part.strip() for part in raw.split(",") if part.strip()] if many else [raw]
    values: list[Any] = []
    for item in items:
        try:
            value = convert(item)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            fail(str(exc))
        if action.choices is not None and value not in action.choices:
            fail(f"one of {', '.join(map(str, action.choices))}")
        values.append(value)
    return values if many else values[0]


def parse_args(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    """Options from ``argv`` over ``BITUNIX_MOCK_*`` variables over defaults (SystemExit(2) on a bad value).

    ``namespace.from_env`` names the options whose value came from a variable (dest -> variable).
    """
    env = os.environ if environ is None else environ
    parser = build_parser()
    from_env: dict[str, str] = {}
    for action in parser.options:
        name = env_name(action)
        raw = env.get(name, "")
        if raw == "":
            continue
        action.default = _from_env(parser, action, name, raw)
        from_env[action.dest] = name
    args = parser.parse_args(argv)
    args.from_env = {dest: name for dest, name in from_env.items() if getattr(args, dest) == parser.get_default(dest)}
    return args


def _is_loopback(host: str) -> bool:
    return is_loopback_host(host.strip("[]").lower())


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def main(argv: list[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    env = os.environ if environ is None else environ
    if argv[:1] == ["wait"]:
        from .wait import main as wait_main

        return wait_main(argv[1:], environ=env)
    try:
        args = parse_args(argv, env)
    except SystemExit as exc:  # --help or --version (0) or a bad value (2, the message already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _serve(args)
    except KeyboardInterrupt:  # Ctrl-C before the server started
        return 130


async def _run_gc_policy(policy: GcPolicy) -> None:
    """Run the collector policy for the server's lifetime (see mockserver.gcpolicy)."""
    while True:
        await asyncio.sleep(FREEZE_S)
        policy.tick()


class _QuietCancel(logging.Filter):
    """A request still in flight when the graceful shutdown ends is cancelled: one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, asyncio.CancelledError):
            record.msg, record.args = (
                "a request still in flight after %s s was cancelled at shutdown",
                (GRACEFUL_SHUTDOWN_S,),
            )
            record.exc_info, record.exc_text = None, None
        return True


def banner_url(host: str, port: int) -> str:
    """A URL to click or connect to: a wildcard bind (0.0.0.0, ::) is served on loopback too, and is no address."""
    bare = host.strip("[]")
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(bare)
        if address.is_unspecified:
            bare = "127.0.0.1" if address.version == 4 else "::1"
    return f"http://[{bare}]:{port}" if ":" in bare else f"http://{bare}:{port}"


def _text_banner(
    args: argparse.Namespace, config: Config, banner: dict[str, Any], withheld: list[str], *, token_source: str
) -> str:
    url = banner["url"]
    bound = f"{args.host}:{banner['port']}" if ":" not in args.host else f"[{args.host.strip('[]')}]:{banner['port']}"
    lines = [f"Bitunix mock (spot and futures) listening on {url}"]
    if not url.startswith(f"http://{bound}"):
        lines[0] += f" (bound to {bound}: every interface)"
    kept = " (kept by the state directory)" if banner["profile"] != config.profile else ""
    lines += [f"  profile  {banner['profile']}{kept}", f"  admin    {url}{ADMIN_PREFIX}"]
    if banner["resumed"] is not None:
        lines += _resumed_lines(banner["resumed"])
    if config.demo_account:
        lines.append(f"  api-key  {config.demo_api_key}")
        if "secret" in withheld:
            guard = " with the admin token" if banner["admin_token"] else ""
            lines.append(
                f"  secret   not printed (stdout is not a terminal): GET {url}{ADMIN_PREFIX}/accounts/"
                f"{config.demo_api_key}{guard} answers it"
                + (f"; also in {args.ready_file} (mode 0600)" if args.ready_file else "")
            )
        else:
            lines.append(f"  secret   {config.demo_secret}")
    token = banner["admin_token"]
    if token and "admin_token" in withheld:
        if args.admin_token:
            lines.append(f"  admin token  required; not printed: the one set by {token_source}")
        else:
            lines.append(f"  admin token  generated; not printed: in {args.ready_file} (mode 0600)")
    elif token:
        lines.append(f"  admin token  {token}")
    return "\n".join(lines)


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` readable by this user only (it holds secrets), atomically: readers never see half a file."""
    partial = path.with_name(path.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()  # O_CREAT keeps an old file's mode: start from none
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(partial, path)


def _unblock(signals: tuple[signal.Signals, ...]) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


def uvicorn_config(app: Any, log_level: str, access_log: bool, trusted: tuple[str, ...]) -> uvicorn.Config:
    """The uvicorn configuration the CLI serves with."""
    import uvicorn

    return uvicorn.Config(
        app,
        loop="auto",
        http="auto",
        log_level=log_level,
        access_log=access_log,  # off by default: it shows "200 OK" for refusals (HTTP 200 + error code)
        lifespan="off",
        # uvicorn annotates an int but only hands it to asyncio.timeout(), which takes any seconds.
        timeout_graceful_shutdown=cast(int, GRACEFUL_SHUTDOWN_S),
        date_header=False,  # the app sends Date from the mock clock (clients re-sync from it after 100008)
        # X-Forwarded-For is believed only from proxies the operator names: uvicorn's default
        # (on, trusting 127.0.0.1) let any local process pass the per-key IP whitelist.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) or None,
    )


class _Stopped(Exception):
    """SIGINT or SIGTERM outside uvicorn's own handling (before it starts, or re-raised after it stops)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


def _resumed_lines(r: dict[str, Any]) -> list[str]:
    """What a ``--state`` start found and what is in force (mockserver.control.persist.Durable.resumed)."""
    clock = r["clock"]
    when = f"clock frozen at {clock['now_ms']}" if clock["frozen"] else f"clock running, offset {clock['offset_ms']} ms"
    switches = ", ".join(f"{k}={v}" for k, v in r["switches"].items()) or "as default"
    lines = [
        f"  resumed  {r['directory']}: {r['accounts']} accounts, {r['orders']} orders ({r['resting']} resting), "
        f"{when}, profile {r['profile']}, switches {switches}, rate limits {'on' if r['rate_limits'] else 'off'}"
    ]
    return lines + [f"  differs  {line}" for line in r["differs"]]


def _serve(args: argparse.Namespace) -> int:
    token = args.admin_token
    token_var = args.from_env.get("admin_token")
    if args.require_admin_token and not (token and token.strip()):
        print(
            "bitunix-mock: an admin token is required here (--require-admin-token, set by the container image): "
            f"set {ENV_PREFIX}ADMIN_TOKEN=<token> or pass --admin-token <token>; admin calls then send it in "
            "the x-mock-admin-token header. A fresh one: python -c 'import secrets; print(secrets.token_hex(16))'",
            file=sys.stderr,
        )
        return 2
    show_secrets = args.show_secrets or sys.stdout.isatty()
    if not _is_loopback(args.host):
        # Beyond loopback anyone could read every secret, reset or fund the exchange: require a token.
        if token is None:
            if not show_secrets and args.ready_file is None:
                print(
                    f"bitunix-mock: serving {args.host} needs an admin token, and a generated one would be seen by "
                    "no one: stdout is not a terminal, so the banner does not print secrets (logs are collected). "
                    f"Set {ENV_PREFIX}ADMIN_TOKEN=<token> (or --admin-token <token>), pass --ready-file PATH (the "
                    "generated token is written there, mode 0600), or --show-secrets to print it anyway.",
                    file=sys.stderr,
                )
                return 2
            token = secrets.token_hex(16)
        elif not token.strip():
            drop = f"Unset {token_var}" if token_var else 'Drop --admin-token ""'
            print(
                f"bitunix-mock: refusing to serve {args.host} without an admin token: anyone who can reach "
                f"it could read every account's secret and fund accounts. {drop} (a token is "
                "then generated), pass --admin-token <token>, or bind --host 127.0.0.1.",
                file=sys.stderr,
            )
            return 2
    trusted = _csv(args.trusted_proxies)
    try:
        switches = parse_switches(dict(args.switch))  # the variable's pairs first: a --switch flag wins
    except ValueError as exc:
        print(f"bitunix-mock: {exc}", file=sys.stderr)
        return 2
    if args.ready_file is not None:
        with contextlib.suppress(FileNotFoundError):
            args.ready_file.unlink()  # a stale file from an earlier run must not say "ready"

    import uvicorn

    from . import reqlog
    from .app import create_app

    config = Config(
        switches=switches,
        host=args.host,
        port=args.port,
        profile=args.profile,
        markets_path=args.markets,
        seed=args.seed,
        liquidity=not args.no_liquidity,
        demo_account=not args.no_demo,
        admin_token=token,
        always_diagnose=args.diagnose,
        journal_size=args.journal_size,
        max_body_bytes=args.max_body_bytes,
        rate_limits=args.rate_limits,
        max_tenants=args.max_tenants,
        admin_allowed_hosts=_csv(args.admin_allowed_hosts),
        trusted_proxies=trusted,
        state_dir=Path(args.state) if args.state else None,
    )
    try:
        app = create_app(config)
    except Exception as exc:
        from .control.persist import PersistError

        if isinstance(exc, PersistError):
            print(f"bitunix-mock: cannot use the state directory {config.state_dir}: {exc}", file=sys.stderr)
        elif isinstance(exc, (OSError, ValueError)):
            print(f"bitunix-mock: cannot start: {exc}", file=sys.stderr)
        else:
            raise
        return 2

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host.strip("[]"), args.port))
    except OSError as exc:
        sock.close()
        print(f"bitunix-mock: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    url = banner_url(args.host, port)
    mock = app.state.mock
    resumed = mock.durable.resumed if mock.durable is not None else None
    profile = mock.verifier.profile.name  # the profile in force: a state directory's, when it resumed one
    banner = {
        "url": url,
        "port": port,
        "api_key": config.demo_api_key if config.demo_account else None,
        "secret": config.demo_secret if config.demo_account else None,
        "profile": profile,
        "admin": url + ADMIN_PREFIX,
        "admin_token": token,
        "admin_token_required": token is not None,
        "resumed": resumed,
    }
    withheld = [] if show_secrets else [name for name in ("secret", "admin_token") if banner[name] is not None]
    if args.json:
        shown = {k: v for k, v in banner.items() if k not in withheld}
        if withheld:
            shown["withheld"] = withheld
        print(json.dumps(shown), flush=True)
    else:
        print(_text_banner(args, config, banner, withheld, token_source=token_var or "--admin-token"), flush=True)

    # Off by default: Python's own collector is correct and leaks nothing. With --gc-freeze, every FREEZE_S a
    # tick collects what the last one left and freezes the survivors, so no collection walks more than one
    # tick's objects (mockserver.gcpolicy says why and what it measured).
    policy: GcPolicy | None = None
    if args.gc_freeze:
        policy = GcPolicy(app.state.mock)
        policy.start()
        gc.set_threshold(5_000, 10, 10)
    ready_file: Path | None = args.ready_file
    handled = (signal.SIGINT, signal.SIGTERM)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            # uvicorn's own handlers are in place now: a stop signal held since before run() arrives here.
            _unblock(handled)
            await super().startup(sockets=sockets)
            self.freezer: asyncio.Task[None] | None = None
            if policy is not None:
                self.freezer = asyncio.get_running_loop().create_task(_run_gc_policy(policy))
            if self.started and ready_file is not None:
                _write_private(ready_file, json.dumps(banner) + "\n")

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if self.freezer is not None:
                self.freezer.cancel()
            await super().shutdown(sockets=sockets)

    server = Server(uvicorn_config(app, args.log_level, args.access_log, trusted))
    logging.getLogger("uvicorn.error").addFilter(_QuietCancel())
    log_format: Literal["text", "json"] | None = None
    if not args.quiet:
        log_format = args.log_format or ("text" if sys.stderr.isatty() else None)
    reqlog.configure(log_format)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler it found:
    # ours ends the process quietly with 0 (Python's own would print a KeyboardInterrupt traceback or
    # die by SIGTERM), and also covers a signal that arrives before uvicorn installed its handlers.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _stop) for sig in handled} if main_thread else {}
    try:
        # Between here and uvicorn's handlers a signal would interrupt asyncio's set-up (and leave a
        # "coroutine was never awaited" warning): it is held until Server.startup, then handled as a stop.
        if main_thread:
            signal.pthread_sigmask(signal.SIG_BLOCK, handled)
        server.run(sockets=[sock])
    except _Stopped:
        pass
    finally:
        _unblock(handled)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        if ready_file is not None:
            with contextlib.suppress(FileNotFoundError):
                ready_file.unlink()
    return 0
