"""The signature doctor: when a ``sign`` is wrong, find which usual mistake produces it.

The exchange only says ``100005 result.api.parameter.sign.illegal``. The doctor
recomputes the signature under each classic mistake (unsorted query, ``k=v&``
separators, URL-encoded values, a re-serialized or pretty body, seconds instead
of milliseconds, a single hash, HMAC, upper-case hex, the secret in the wrong
place, the api-key left out, another nonce...) and names the one whose result
equals the ``sign`` received, with the digest input the exchange expected. It runs
only after a signature failed, so valid traffic never pays for it. Pure: no HTTP.
The secret never appears in a diagnosis; the expected digest input holds no
secret (it is nonce + timestamp + api-key + query + body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl

from .auth import QueryForm, VerificationProfile, canonical_query, query_pairs

__all__ = ["MISTAKES", "Diagnosis", "diagnose"]

#: Every mistake the doctor recognises: id -> what to tell the developer.
MISTAKES: dict[str, str] = {
    "uppercase-hex": "the sign is upper-case hex; send sha256 hex digests in lower case",
    "unsorted-query": "query parameters were signed in the order sent; sort them by key first",
    "ampersand-separators": "the query was signed as k=v&k2=v2; join each key directly to its value (k1v1k2v2)",
    "equals-separators": "the query was signed as k=vk2=v2 (the spot doc page's example); join key and value directly",
    "url-encoded-values": "query values were signed URL-encoded; sign the raw (decoded) values",
    "query-with-question-mark": "the query was signed with its leading '?'; sign the canonical query only",
    "reserialized-body": "the body signed is not the bytes sent (re-serialized JSON); sign exactly the bytes you send",
    "pretty-body": "a pretty-printed body was signed but a different one sent; sign exactly the bytes you send",
    "body-on-get": "a body ('{}' or 'null') was signed on a GET; GET requests sign an empty body",
    "braces-for-empty-body": "'{}' was signed but the body sent was empty; sign exactly the bytes you send",
    "seconds-timestamp": "the timestamp signed is in seconds; sign (and send) milliseconds",
    "single-hash": "only one SHA-256 round: sha256(nonce+timestamp+key+query+body+secret); hash the digest again "
    "with the secret: sha256(sha256(...) + secret)",
    "digest-without-secret": "the sign is the first digest alone; append the secret and hash again",
    "hmac-instead-of-sha256": "HMAC-SHA256 was used; the exchange uses plain SHA-256 twice, not HMAC",
    "secret-first": "the secret was put before the digest; the second round is sha256(digest + secret)",
    "secret-in-first-round": "the secret went into the first hash; it belongs only in the second round",
    "uppercase-digest": "the first digest was upper-cased before the second round; use lower-case hex",
    "api-key-omitted": "the api-key was left out of the digest input (nonce + timestamp + api-key + query + body)",
    "wrong-order": "the digest input parts are in the wrong order; it is nonce + timestamp + api-key + query + body",
    "other-nonce": "the sign was computed with a different nonce than the one sent in the header",
    "wrong-secret": "the digest input is right but the secret is not this api-key's secret",
}

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Diagnosis:
    """What the doctor found. ``mistake`` is an id of :data:`MISTAKES` or ``unknown``."""

    mistake: str
    message: str
    expected_digest_input: str
    received_sign: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def header(self) -> str:
        return f"{self.mistake}: {self.message}"


def _h(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _sign(nonce: str, ts: str, key: str, query: str, body: bytes, secret: str) -> str:
    return _h(_h((nonce + ts + key + query).encode("utf-8") + body) + secret)


def _bodies(body: bytes) -> Iterator[tuple[str, bytes]]:
    """The body as a client may have signed it instead of the bytes it sent."""
    try:
        doc = json.loads(body) if body.strip() else None
    except ValueError:
        return
    if doc is None:
        return
    variants: list[tuple[str, str]] = []
    for ascii_only in (False, True):
        for sort in (False, True):
            variants.append(
                ("reserialized-body", json.dumps(doc, separators=(",", ":"), ensure_ascii=ascii_only, sort_keys=sort))
            )
            variants.append(("reserialized-body", json.dumps(doc, ensure_ascii=ascii_only, sort_keys=sort)))
            for indent in (2, 4):
                variants.append(
                    ("pretty-body", json.dumps(doc, indent=indent, ensure_ascii=ascii_only, sort_keys=sort))
                )
    for mistake, text in variants:
        raw = text.encode("utf-8")
        if raw != body:
            yield mistake, raw


def _queries(raw_query: bytes, profile: VerificationProfile) -> Iterator[tuple[str, str]]:
    text = raw_query.decode("latin-1")
    try:
        pairs = query_pairs(raw_query)
    except Exception:
        return
    raw_pairs = parse_qsl(text, keep_blank_values=True)
    encoded = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in text.split("&") if p]
    yield "unsorted-query", "".join(k + v for k, v in pairs)
    ordered = sorted(pairs, key=lambda kv: kv[0])
    yield "ampersand-separators", "&".join(f"{k}={v}" for k, v in ordered)
    yield "ampersand-separators", "&".join(f"{k}={v}" for k, v in pairs)
    yield "ampersand-separators", text
    if QueryForm.EQUALS not in profile.query_forms:
        yield "equals-separators", canonical_query(pairs, QueryForm.EQUALS)
    yield "url-encoded-values", "".join(k + v for k, v in sorted(encoded, key=lambda kv: kv[0]))
    yield "url-encoded-values", "".join(k + v for k, v in sorted(raw_pairs, key=lambda kv: kv[0]))
    yield "query-with-question-mark", "?" + text
    yield "query-with-question-mark", "?" + canonical_query(pairs)


def diagnose(
    *,
    method: str,
    raw_query: bytes,
    body: bytes,
    headers: dict[str, str],
    secret: str,
    profile: VerificationProfile,
    other_nonces: Iterable[str] = (),
    other_secrets: Callable[[], Iterable[str]] = lambda: (),
) -> Diagnosis:
    """Name the mistake behind a wrong ``sign`` (headers: api-key, nonce, timestamp, sign)."""
    key = headers.get("api-key", "")
    nonce = headers.get("nonce", "")
    ts = headers.get("timestamp", "")
    sent = headers.get("sign", "")
    query = canonical_query(query_pairs(raw_query), profile.query_forms[0]) if raw_query else ""
    expected_input = nonce + ts + key + query + body.decode("utf-8", "backslashreplace")
    digest = _h((nonce + ts + key + query).encode("utf-8") + body)
    right = _h(digest + secret)

    def found(mistake: str, extra: str = "") -> Diagnosis:
        return Diagnosis(mistake, MISTAKES[mistake] + extra, expected_input, sent)

    if sent == right:  # only case differs in nothing; the caller had another reason to refuse
        return Diagnosis("none", "the sign is correct", expected_input, sent)
    if sent == right.upper() or (sent.lower() == right and sent != right):
        return found("uppercase-hex")
    lowered = sent.lower()

    def same(candidate: str) -> bool:
        return hmac.compare_digest(candidate, lowered)

    for mistake, q in _queries(raw_query, profile) if raw_query else ():
        if q != query and same(_sign(nonce, ts, key, q, body, secret)):
            return found(mistake, f" (you signed the query as {q!r}; expected {query!r})")
    for mistake, b in _bodies(body):
        if same(_sign(nonce, ts, key, query, b, secret)):
            return found(mistake)
    if method == "GET":
        for b in (b"{}", b"null"):
            if same(_sign(nonce, ts, key, query, b, secret)):
                return found("body-on-get")
    elif not body.strip() and same(_sign(nonce, ts, key, query, b"{}", secret)):
        return found("braces-for-empty-body")
    if ts.isdigit() and len(ts) > 3:
        for t in (ts[:-3], str(int(ts) // 1000 * 1000)):
            if same(_sign(nonce, t, key, query, body, secret)):
                return found("seconds-timestamp")
    raw_input = (nonce + ts + key + query).encode("utf-8") + body
    checks: list[tuple[str, str]] = [
        ("single-hash", _h(raw_input + secret.encode("utf-8"))),
        ("digest-without-secret", digest),
        ("hmac-instead-of-sha256", hmac.new(secret.encode("utf-8"), raw_input, hashlib.sha256).hexdigest()),
        ("hmac-instead-of-sha256", hmac.new(secret.encode("utf-8"), digest.encode(), hashlib.sha256).hexdigest()),
        ("secret-first", _h(secret + digest)),
        ("secret-in-first-round", _h(_h(raw_input + secret.encode("utf-8")) + secret)),
        ("secret-in-first-round", _h(_h(raw_input + secret.encode("utf-8")))),
        ("uppercase-digest", _h(digest.upper() + secret)),
        ("api-key-omitted", _sign(nonce, ts, "", query, body, secret)),
    ]
    for first, second, third in ((nonce, key, ts), (ts, nonce, key), (key, nonce, ts), (ts, key, nonce)):
        checks.append(("wrong-order", _h(_h((first + second + third + query).encode("utf-8") + body) + secret)))
    for mistake, candidate in checks:
        if same(candidate):
            return found(mistake)
    for other in dict.fromkeys([*other_nonces, nonce.upper(), nonce.lower()]):
        if other != nonce and same(_sign(other, ts, key, query, body, secret)):
            return found("other-nonce", f" (the sign matches nonce {other!r})")
    for other_secret in other_secrets():
        if other_secret != secret and same(_h(digest + other_secret)):
            return found("wrong-secret", " (it matches another account's secret: check which key you sign with)")
    return Diagnosis(
        UNKNOWN,
        "no usual mistake reproduces this sign; compare your digest input with the expected one byte by byte",
        expected_input,
        sent,
    )
