"""Request signing as the exchange checks it, under named verification profiles.

The exchange's scheme (no HMAC, SHA-256 twice, hex text in between)::

    digest = sha256_hex(nonce + timestamp + api_key + canonical_query + body)
    sign   = sha256_hex(digest + secret)

``canonical_query`` sorts the query parameters by key and joins each key with
its (URL-decoded) value. The spot sign page's own example writes ``id=1uid=200``
instead of ``id1uid200``; live traffic refuses that form. Both readings exist as
profiles so an SDK author can see which one their client follows.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..engine.accounts import Account
from ..errors import (
    ApiKeyNotFound,
    IpNotAllowed,
    NoAuthority,
    NonceInvalid,
    NonceReused,
    ParameterError,
    RequestExpired,
    SignatureError,
)
from .bounds import parse_ms_header
from .docrules import Warning, warn

__all__ = [
    "DEFAULT_PROFILE",
    "NONCE_HORIZON_MS",
    "PROFILES",
    "AuthResult",
    "NonceStore",
    "QueryForm",
    "VerificationProfile",
    "Verifier",
    "canonical_query",
    "digest_input",
    "query_pairs",
    "sign",
]


#: Longest time a nonce is remembered past "now", whatever its timestamp says (bounded memory).
NONCE_HORIZON_MS = 10 * 60_000


class QueryForm:
    CONCAT = "concat"  # id1uid200 - what live traffic accepts
    EQUALS = "equals"  # id=1uid=200 - the spot sign page's example


@dataclass(frozen=True)
class VerificationProfile:
    """One reading of the exchange's signature rules.

    A ``None`` window or length means "not enforced"; the ``warn_*`` fields then say
    when a request still breaks the documented rule and earns a warning instead.
    """

    name: str
    description: str
    query_forms: tuple[str, ...] = (QueryForm.CONCAT,)
    nonce_length: int | None = 32
    reject_replay: bool = True
    past_window_ms: int = 60_000
    future_window_ms: int | None = 60_000
    documented_nonce_length: int = 32
    documented_future_ms: int = 60_000


DEFAULT_PROFILE = "live"

PROFILES: dict[str, VerificationProfile] = {
    p.name: p
    for p in (
        VerificationProfile(
            "live",
            "Default: what live traffic shows. Query joined as key+value (id1uid200); any non-empty "
            "nonce (44-character base64 nonces work live; not 32 characters earns a warning); "
            "timestamps more than 60 s old refused (100008), any amount ahead accepted (more than "
            "60 s ahead earns a warning). A nonce is single-use (900001): the project's rule, never "
            "observed live.",
            nonce_length=None,
            future_window_ms=None,
        ),
        VerificationProfile(
            "observed",
            "Only what has been observed live: as 'live', but a reused nonce is accepted (replay "
            "refusal has never been observed).",
            nonce_length=None,
            future_window_ms=None,
            reject_replay=False,
        ),
        VerificationProfile(
            "strict",
            "The docs read pedantically: key+value query, exactly 32-character nonce (900002), "
            "timestamp within +/-60 s, single-use nonces. Stricter than live: use it to find "
            "where a client departs from the docs.",
        ),
        VerificationProfile(
            "docs",
            "The spot sign page's literal example: query joined as key=value (id=1uid=200), with the "
            "strict nonce and timestamp rules. Live traffic refuses this query form; use it only "
            "to test a client written from that page.",
            query_forms=(QueryForm.EQUALS,),
        ),
    )
}


def query_pairs(raw_query: bytes | str) -> list[tuple[str, str]]:
    """Decoded (key, value) pairs in the order sent; raises ParameterError on bad UTF-8."""
    text = raw_query.decode("latin-1") if isinstance(raw_query, bytes) else raw_query
    if text.isascii() and "%" not in text and "+" not in text:
        # Nothing to unquote: what parse_qsl (keep_blank_values, '&' only) returns, without its machinery.
        return [(k, v) for k, _, v in (seg.partition("=") for seg in text.split("&") if seg)]
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ParameterError("query string is not valid UTF-8") from None


def canonical_query(pairs: list[tuple[str, str]], form: str = QueryForm.CONCAT, *, keep_empty: bool = True) -> str:
    """Keys sorted by code point (stable for repeated keys), each joined to its value."""
    joiner = "" if form == QueryForm.CONCAT else "="
    ordered = sorted(pairs, key=lambda kv: kv[0])
    return "".join(k + joiner + v for k, v in ordered if keep_empty or v != "")


def digest_input(nonce: str, timestamp: str, api_key: str, query: str, body: bytes) -> bytes:
    """The exact bytes the first SHA-256 runs over."""
    return (nonce + timestamp + api_key + query).encode("utf-8") + body


def sign(nonce: str, timestamp: str, api_key: str, secret: str, query: str = "", body: bytes = b"") -> str:
    """The ``sign`` header value for these inputs."""
    digest = hashlib.sha256(digest_input(nonce, timestamp, api_key, query, body)).hexdigest()
    return hashlib.sha256((digest + secret).encode("utf-8")).hexdigest()


class NonceStore:
    """Nonces seen per api-key, forgotten once the timestamp window has passed them.

    Each api-key has a dict nonce -> expiry second; one expiry structure (a heap of seconds,
    each with the nonces that expire then, per key) says what to forget next. Every call
    first forgets the seconds that have passed, so ``len`` and the replay check see only
    live nonces, and a second once forgotten stays forgotten even if the clock moves back.

    # Memory
    The expiry second kept with each nonce is its second's own int object (held in the
    expiry structure), so a live nonce costs a dict slot and a list slot, no int or tuple
    of its own: the nonces of a 60 s window at thousands of signed calls a second stay small.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, int]] = {}  # api-key -> nonce -> expiry second
        # Expiry second -> (that second, as the one int object the entries share; api-key -> nonces).
        self._due: dict[int, tuple[int, dict[str, list[str]]]] = {}
        self._heap: list[int] = []  # the seconds of _due
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, api_key: str, nonce: str, expires_ms: int, now_ms: int) -> bool:
        """Remember ``nonce``; ``False`` if it is already remembered (a replay)."""
        now_sec = now_ms // 1000
        with self._lock:
            if self._heap and self._heap[0] <= now_sec:
                self._forget(now_sec)
            return self._remember(api_key, nonce, expires_ms // 1000 + 1, now_sec)

    def _remember(self, api_key: str, nonce: str, sec: int, now_sec: int) -> bool:
        seen = self._seen.get(api_key)
        if seen is None:
            seen = self._seen[api_key] = {}
        old = seen.get(nonce)
        if old is not None and old > now_sec:
            return False
        due = self._due.get(sec)
        if due is None:
            due = self._due[sec] = (sec, {})
            heapq.heappush(self._heap, sec)
        shared, keys = due
        nonces = keys.get(api_key)
        if nonces is None:
            nonces = keys[api_key] = []
        nonces.append(nonce)
        seen[nonce] = shared
        if old is None:
            self._size += 1
        return True

    def _forget(self, now_sec: int) -> None:
        """Forget every nonce whose second has passed."""
        heap = self._heap
        while heap and heap[0] <= now_sec:
            sec = heapq.heappop(heap)
            for api_key, nonces in self._due.pop(sec)[1].items():
                seen = self._seen.get(api_key)
                if seen is None:
                    continue  # the key was cleared since
                for n in nonces:
                    if seen.get(n) == sec:  # not cleared and used again since
                        del seen[n]
                        self._size -= 1
                if not seen:
                    del self._seen[api_key]

    def expire(self, now_ms: int) -> None:
        """Forget every nonce the window has passed."""
        with self._lock:
            self._forget(now_ms // 1000)

    def clear(self, api_key: str | None = None) -> None:
        with self._lock:
            if api_key is None:
                self._seen.clear()
                self._due.clear()
                self._heap.clear()
                self._size = 0
            else:
                self._size -= len(self._seen.pop(api_key, {}))

    def export_rows(self) -> list[list[object]]:
        """The live nonces as ``[expiry second, api_key, [nonce, ...]]`` rows, soonest expiry first."""
        rows: list[list[object]] = []
        with self._lock:
            for sec in sorted(self._due):
                for api_key, nonces in self._due[sec][1].items():
                    seen = self._seen.get(api_key, {})
                    live = [n for n in dict.fromkeys(nonces) if seen.get(n) == sec]
                    if live:
                        rows.append([sec, api_key, live])
        return rows

    def load_rows(self, rows: list[tuple[int, str, list[str]]]) -> None:
        """Remember dumped rows (each nonce keeps its expiry second)."""
        with self._lock:
            for sec, api_key, nonces in rows:
                for n in nonces:
                    self._remember(api_key, n, sec, 0)


@dataclass(slots=True)  # not frozen: a frozen dataclass pays object.__setattr__ per field on every signed call
class AuthResult:
    account: Account
    canonical_query: str
    warnings: tuple[Warning, ...] = ()
    nonce: str = ""
    timestamp_ms: int = 0


class Verifier:
    """Checks the four auth headers against an account table, in the exchange's order.

    Two steps, so the request pipeline can count a signed call against its *verified*
    key in between: :meth:`authenticate` (key, nonce form, timestamp window, signature)
    and :meth:`authorize` (the nonce spent, IP whitelist, permission).
    """

    def __init__(self, profile: VerificationProfile, nonces: NonceStore | None = None) -> None:
        self.profile = profile
        self.nonces = nonces or NonceStore()

    def authenticate(
        self, headers: Mapping[str, str], raw_query: bytes, body: bytes, *, now_ms: int, lookup: dict[str, Account]
    ) -> AuthResult:
        """The account whose secret signed this request (nothing spent yet), or the exchange's error."""
        p = self.profile
        api_key = headers.get("api-key", "")
        if not api_key:
            raise ApiKeyNotFound("api-key header missing or empty")
        account = lookup.get(api_key)
        if account is None:
            raise ApiKeyNotFound("no such api-key")

        nonce = headers.get("nonce", "")
        if not nonce:
            raise NonceInvalid("nonce header missing or empty")
        if p.nonce_length is not None and len(nonce) != p.nonce_length:
            raise NonceInvalid(f"nonce is {len(nonce)} characters; profile {p.name!r} wants {p.nonce_length}")

        ts_text = headers.get("timestamp", "")
        ts_or_none = parse_ms_header(ts_text)  # ASCII digits only: "²" is a digit to str.isdigit()
        if ts_or_none is None:
            raise RequestExpired("timestamp header missing or not integer milliseconds")
        ts = ts_or_none
        if now_ms - ts > p.past_window_ms:
            raise RequestExpired(f"timestamp {now_ms - ts} ms behind server time (window {p.past_window_ms} ms)")
        if p.future_window_ms is not None and ts - now_ms > p.future_window_ms:
            raise RequestExpired(f"timestamp {ts - now_ms} ms ahead of server time (window {p.future_window_ms} ms)")

        provided = headers.get("sign", "").encode("latin-1", "replace")
        prefix_inputs = nonce + ts_text + api_key
        secret = account.secret
        matched = None
        if not raw_query:
            # Every form and variant of an empty query is "": one digest (the common signed POST).
            digest = hashlib.sha256(prefix_inputs.encode("utf-8") + body).hexdigest()
            expected = hashlib.sha256((digest + secret).encode("utf-8")).hexdigest()
            if hmac.compare_digest(expected.encode("ascii"), provided):
                matched = ""
        else:
            pairs = query_pairs(raw_query) if raw_query else []
            for form in p.query_forms:
                variants = [canonical_query(pairs, form)]
                if any(v == "" for _, v in pairs):
                    # One official demo drops empty values, the others keep them: accept either.
                    variants.append(canonical_query(pairs, form, keep_empty=False))
                for query in variants:
                    digest = hashlib.sha256((prefix_inputs + query).encode("utf-8") + body).hexdigest()
                    expected = hashlib.sha256((digest + secret).encode("utf-8")).hexdigest()
                    if hmac.compare_digest(expected.encode("ascii"), provided):
                        matched = query
                        break
                if matched is not None:
                    break
        if matched is None:
            raise SignatureError("sign does not match")

        warnings: tuple[Warning, ...] = ()
        if len(nonce) != p.documented_nonce_length or ts - now_ms > p.documented_future_ms:
            found: list[Warning] = []
            if len(nonce) != p.documented_nonce_length:
                found.append(
                    warn("nonce-length", f"nonce is {len(nonce)} characters; the docs ask {p.documented_nonce_length}")
                )
            if ts - now_ms > p.documented_future_ms:
                found.append(
                    warn("timestamp-ahead", f"timestamp {ts - now_ms} ms ahead of server time; the docs allow 60000")
                )
            warnings = tuple(found)
        return AuthResult(account, matched, warnings, nonce, ts)

    def authorize(
        self, auth: AuthResult, *, now_ms: int, permission: str | None, client_ip: str | None, replay: bool = True
    ) -> None:
        """Spend the nonce, then check the key's IP whitelist and permission (the exchange's order).

        ``replay=False``: the request's product does not check nonce reuse (futures by default), so the
        nonce is neither checked nor remembered."""
        p = self.profile
        account, ts = auth.account, auth.timestamp_ms
        # A nonce is remembered while its timestamp could still pass the window, but a far-future
        # timestamp (accepted where the future is open) buys at most NONCE_HORIZON_MS of memory.
        expires = min(max(ts, now_ms), now_ms + NONCE_HORIZON_MS) + p.past_window_ms
        if replay and p.reject_replay and not self.nonces.add(account.api_key, auth.nonce, expires, now_ms):
            raise NonceReused(f"nonce {auth.nonce!r} already used with this api-key inside the window")
        if account.ip_whitelist and client_ip not in account.ip_whitelist:
            raise IpNotAllowed(f"{client_ip} not in the key's whitelist")
        if permission is not None and permission not in account.permissions:
            raise NoAuthority(f"key lacks the {permission!r} permission")
