"""Who may call the admin API: the token, or proof that the caller is not a web page elsewhere.

A mock bound to loopback without an admin token is still reachable from any web
page the developer visits: a cross-site form can POST to ``127.0.0.1``, and a
page on a DNS name the attacker controls can re-point that name at 127.0.0.1
(DNS rebinding) and read the answers. Without a token, every admin call but the
open ones must therefore show that it comes from a local tool:

* the ``Host`` header names a local host (see :func:`local_host`) - a rebound
  page sends its own public DNS name, which always has a dot;
* an ``Origin`` header, when present, is of such a host too;
* a write (POST, PUT, PATCH, DELETE) carries ``content-type: application/json``
  or ``x-mock-admin: 1``: a cross-site page can set neither without a CORS
  preflight, which the mock never grants.

With a configured token, the right token is the proof and these checks are skipped.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

__all__ = [
    "ADMIN_MARKER_HEADER",
    "ADMIN_TOKEN_HEADER",
    "Refusal",
    "admin_refusal",
    "is_loopback_host",
    "local_host",
    "split_host",
]

ADMIN_TOKEN_HEADER = "x-mock-admin-token"
ADMIN_MARKER_HEADER = "x-mock-admin"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Special-use names (RFC 6761) no one can register in public DNS, so no page can rebind them.
_RESERVED_SUFFIXES = (".localhost", ".test", ".invalid")


class Refusal:
    """Why an admin call is refused: the HTTP status and the message (rule + fix)."""

    __slots__ = ("message", "status")

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def split_host(value: str) -> str:
    """The host name of a ``Host`` header value (port and IPv6 brackets dropped), lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address (127.0.0.0/8, ::1, ::ffff:127.x)."""
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def local_host(host_header: str, allowed: Iterable[str] = ()) -> bool:
    """Whether a ``Host`` value names this machine rather than a public DNS name.

    Loopback addresses, ``localhost`` and ``*.localhost`` (and the other special-use
    names ``*.test``, ``*.invalid``), a single label with no dot (``testserver``,
    ``mock``: rebinding needs a public DNS name, which always has a dot), or a host
    listed in ``allowed`` (``Config.admin_allowed_hosts``, with or without port).
    """
    full = host_header.strip().lower()
    host = split_host(full)
    if not host:
        return False
    allowed_set = {a.strip().lower() for a in allowed}
    if full in allowed_set or host in allowed_set:
        return True
    if is_loopback_host(host):
        return True
    if host.endswith(_RESERVED_SUFFIXES):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." not in host and ":" not in host
    return False  # an IP address that is not loopback (a LAN or public address)


def _json_content_type(value: str) -> bool:
    return value.split(";", 1)[0].strip().lower() == "application/json"


def admin_refusal(
    *,
    method: str,
    headers: Mapping[str, str],
    token: str | None,
    allowed_hosts: Iterable[str] = (),
) -> Refusal | None:
    """``None`` when this (non-open) admin call may run, else why not."""
    if token:
        given = headers.get(ADMIN_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8")):
            return Refusal(401, f"missing or wrong {ADMIN_TOKEN_HEADER} header")
        return None  # the token is the proof
    allowed = tuple(allowed_hosts)
    host = headers.get("host")
    if host is not None and not local_host(host, allowed):
        return Refusal(
            403,
            f"Host {host!r} is not a local name: admin calls without a token must be addressed to "
            "127.0.0.1, [::1], localhost or a name without a dot (a web page on another site may be "
            "rebinding its DNS name to this server); add the host to admin_allowed_hosts "
            "(--admin-allowed-hosts) or start the server with --admin-token",
        )
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not local_host(parts.netloc, allowed):
            return Refusal(
                403,
                f"Origin {origin!r} is not a local page: admin calls without a token are refused from "
                "other sites' pages; call the admin API from a local tool (no Origin header), add the host "
                "to admin_allowed_hosts (--admin-allowed-hosts) or start the server with --admin-token",
            )
    if (
        method.upper() in WRITE_METHODS
        and not _json_content_type(headers.get("content-type", ""))
        and headers.get(ADMIN_MARKER_HEADER, "").strip() != "1"
    ):
        return Refusal(
            403,
            f"admin {method.upper()} calls without a token need 'content-type: application/json' or "
            f"'{ADMIN_MARKER_HEADER}: 1' (a cross-site form can send neither); add one of the two headers",
        )
    return None
