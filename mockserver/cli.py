"""``python -m mockserver`` / ``bitunix-mock``: serve one mock exchange with uvicorn."""

from __future__ import annotations

import argparse
import gc
import json
import os
import secrets
import socket
import sys
from pathlib import Path

from .access import is_loopback_host
from .app import create_app
from .auth import DEFAULT_PROFILE, PROFILES
from .config import ADMIN_PREFIX, Config
from .fidelity import parse_switches

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bitunix-mock", description="Offline twin of the Bitunix spot REST API.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    p.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="signature verification profile"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for ids, liquidity and synthetic history")
    p.add_argument("--markets", type=Path, default=None, help="markets JSON (default: the embedded set)")
    p.add_argument("--no-liquidity", action="store_true", help="start with empty order books")
    p.add_argument("--no-demo", action="store_true", help="do not create the demo account")
    p.add_argument(
        "--admin-token",
        default=None,
        help="require this token on admin calls (generated when binding beyond loopback; "
        "an empty token is refused there)",
    )
    p.add_argument(
        "--admin-allowed-hosts",
        default="",
        help="comma-separated Host names (name or name:port) accepted on admin calls without a token, "
        "besides loopback, localhost and dotless names",
    )
    p.add_argument(
        "--trusted-proxies",
        default="",
        help="comma-separated proxy addresses whose X-Forwarded-For is believed (default: none, "
        "forwarding headers are ignored)",
    )
    p.add_argument("--diagnose", action="store_true", help="always send x-mock-diagnosis on rejections")
    p.add_argument(
        "--max-body-bytes", type=int, default=Config.max_body_bytes, help="largest exchange request body (413 beyond)"
    )
    p.add_argument(
        "--switch",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a behaviour with thin evidence (repeatable); see the README's fidelity table",
    )
    p.add_argument(
        "--state",
        type=Path,
        default=os.environ.get("BITUNIX_MOCK_STATE") or None,
        metavar="DIR",
        help="keep the exchange in DIR across restarts and crashes (env BITUNIX_MOCK_STATE; default: memory only)",
    )
    p.add_argument("--journal-size", type=int, default=10_000, help="requests kept in the journal")
    p.add_argument("--rate-limits", action="store_true", help="enforce rate limits (110041) from the start")
    p.add_argument("--log-level", default="warning", help="uvicorn log level")
    p.add_argument("--access-log", action="store_true", help="log every request line")
    p.add_argument("--json", action="store_true", help="print the start-up banner as one JSON line")
    return p


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--switch wants NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


def _is_loopback(host: str) -> bool:
    return is_loopback_host(host.strip("[]").lower())


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import uvicorn

    token = args.admin_token
    if not _is_loopback(args.host):
        # Beyond loopback anyone could read every secret, reset or fund the exchange: require a token.
        if token is None:
            token = secrets.token_hex(16)
        elif not token.strip():
            print(
                f"bitunix-mock: refusing to serve {args.host} without an admin token: anyone who can reach "
                'it could read every account\'s secret and fund accounts. Drop --admin-token "" (a token is '
                "then generated and printed), pass --admin-token <token>, or bind --host 127.0.0.1.",
                file=sys.stderr,
            )
            return 2
    trusted = _csv(args.trusted_proxies)
    try:
        switches = parse_switches(dict(_pair(s) for s in args.switch))
    except ValueError as exc:
        print(f"bitunix-mock: {exc}", file=sys.stderr)
        return 2
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
        admin_allowed_hosts=_csv(args.admin_allowed_hosts),
        trusted_proxies=trusted,
        state_dir=Path(args.state) if args.state else None,
    )
    try:
        app = create_app(config)
    except Exception as exc:
        if config.state_dir is None:
            raise
        from .persist import PersistError

        if not isinstance(exc, PersistError):
            raise
        print(f"bitunix-mock: cannot use the state directory {config.state_dir}: {exc}", file=sys.stderr)
        return 2

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"bitunix-mock: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    url = f"http://{host}:{port}"
    banner = {
        "url": url,
        "port": port,
        "api_key": config.demo_api_key if config.demo_account else None,
        "secret": config.demo_secret if config.demo_account else None,
        "profile": config.profile,
        "admin": url + ADMIN_PREFIX,
        "admin_token": token,
    }
    if args.json:
        print(json.dumps(banner), flush=True)
    else:
        lines = [
            f"Bitunix spot mock listening on {url}",
            f"  profile  {config.profile}",
            f"  admin    {url}{ADMIN_PREFIX}",
        ]
        if config.demo_account:
            lines += [f"  api-key  {config.demo_api_key}", f"  secret   {config.demo_secret}"]
        if token:
            lines.append(f"  admin token  {token}")
        print("\n".join(lines), flush=True)

    # Long-lived objects built at start-up (markets, seeded books) never need collecting;
    # freezing them keeps full collections short under load.
    gc.collect()
    gc.freeze()
    # The state is many small long-lived objects (orders, journal entries, nonces) and almost no
    # cycles; collecting the young generation less often cut the p99 of signed orders under load.
    gc.set_threshold(20_000, 50, 50)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            loop="auto",
            http="auto",
            log_level=args.log_level,
            access_log=args.access_log,
            lifespan="off",
            date_header=False,  # the app sends Date from the mock clock (clients re-sync from it)
            # X-Forwarded-For is believed only from proxies the operator names: uvicorn's default
            # (on, trusting 127.0.0.1) let any local process pass the per-key IP whitelist.
            proxy_headers=bool(trusted),
            forwarded_allow_ips=list(trusted) or None,
        )
    )
    server.run(sockets=[sock])
    return 0
