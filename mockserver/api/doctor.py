"""The signature doctor: when a ``sign`` is wrong, find which usual mistake produces it.

The exchange only says ``100005 result.api.parameter.sign.illegal``. The doctor
recomputes the signature under each classic mistake (an unsorted or case-insensitively
sorted query, ``k=v`` or ``k=v&`` forms, URL-encoded values or a whole URL query string,
a re-serialized, sorted, pretty or space-stripped body, Python's str() of the body's
bytes or dict, a form-encoded body sent for the JSON signed, the body's fields signed as
a query - nested values stringified by the client's language too -, a GET's parameters
signed as a JSON body, seconds instead of milliseconds, a single hash, HMAC, upper-case
hex, a latin-1 or cp1252 digest input, the secret in the wrong place or with whitespace
around it, the api-key left out, another nonce...) and names the one whose result equals the ``sign`` received,
with the digest input the exchange expected. Cheap, specific checks come first; a
mistake is named only when its recomputed sign equals the one received. It runs
only after a signature failed, so valid traffic never pays for it. Pure: no HTTP.
The secret never appears in a diagnosis; the expected digest input holds no
secret (it is nonce + timestamp + api-key + query + body).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

from .auth import QueryForm, VerificationProfile, canonical_query, query_pairs

__all__ = [
    "BUDGET_EXCEEDED",
    "BUDGET_MESSAGE",
    "FORM_NOTE",
    "MISTAKES",
    "SECONDS_HEADER_MESSAGE",
    "UNKNOWN",
    "UNKNOWN_MESSAGE",
    "Diagnosis",
    "diagnose",
    "timestamp_hint",
]

#: Every mistake the doctor recognises: id -> what to tell the developer.
MISTAKES: dict[str, str] = {
    "uppercase-hex": "the sign is upper-case hex; send sha256 hex digests in lower case",
    "unsorted-query": "query parameters were signed in the order sent; sort them by key first",
    "case-insensitive-sort": "query keys were sorted ignoring case (or by a locale's collation); sort them by code "
    "point: upper case before lower case (B before _ before a)",
    "equals-in-query": "the query parameter was signed as k=v; join the key directly to its value (orderId123, "
    "not orderId=123)",
    "ampersand-separators": "the query was signed as k=v&k2=v2; join each key directly to its value (k1v1k2v2)",
    "equals-separators": "the query was signed as k=vk2=v2 (the spot doc page's example); join key and value directly",
    "url-encoded-values": "query values were signed URL-encoded; sign the raw (decoded) values, sorted by key",
    "url-encoded-query": "the query was signed as a URL query string (k=v&k2=v2, values percent-encoded); sign the "
    "raw (decoded) values sorted by key, each key joined directly to its value (k1v1k2v2)",
    "query-with-question-mark": "the query was signed with its leading '?'; sign the canonical query only",
    "reserialized-body": "the body signed is not the bytes sent (re-serialized JSON); sign exactly the bytes you send",
    "pretty-body": "a pretty-printed body was signed but a different one sent; sign exactly the bytes you send",
    "sorted-body": "the body was signed with its keys sorted but sent in another order; sign exactly the bytes "
    "you send",
    "body-as-sorted-fields": "the body's fields, sorted and joined as a query (k1v1k2v2, k1=v1k2=v2 or "
    "k1=v1&k2=v2), were signed instead of the JSON sent; sign exactly the bytes you send",
    "body-signed-as-query": "the body's fields were also signed as query parameters; the query part is only "
    "the URL's own parameters (empty for a plain POST), the body part the JSON bytes sent",
    "stringified-nested-value": "the body's fields were signed as key/value text and a nested value (a list or an "
    "object) was written by the language's own to-string (Python str(): [{'orderId': '1'}], JavaScript: [object "
    "Object]), not as the JSON sent; the exchange hashes the body bytes as sent: sign exactly the bytes you send",
    "spaces-stripped-in-strings": "every space was removed from the body before signing, inside string values "
    "too; sign exactly the bytes you send",
    "body-on-get": "a body ('{}' or 'null') was signed on a GET; GET requests sign an empty body",
    "braces-for-empty-body": "'{}' was signed but the body sent was empty; sign exactly the bytes you send",
    "seconds-timestamp": "the timestamp signed is in seconds; sign (and send) milliseconds",
    "single-hash": "only one SHA-256 round: sha256(nonce+timestamp+key+query+body+secret); hash the digest again "
    "with the secret: sha256(sha256(...) + secret)",
    "digest-without-secret": "the sign is the first digest alone; append the secret and hash again",
    "hmac-instead-of-sha256": "HMAC-SHA256 was used; the exchange uses plain SHA-256 twice, not HMAC",
    "secret-first": "the secret was put before the digest; the second round is sha256(digest + secret)",
    "secret-in-first-round": "the secret went into the first hash; it belongs only in the second round",
    "latin1-digest-input": "the digest input was encoded as latin-1 (ISO-8859-1), so its non-ASCII characters became "
    "other bytes; encode nonce + timestamp + api-key + query as UTF-8 and append the body bytes as sent",
    "secret-whitespace": "the secret was used with whitespace around it (a trailing newline or spaces, as read from "
    "a file or an environment variable); strip the secret before signing",
    "uppercase-digest": "the first digest was upper-cased before the second round; use lower-case hex",
    "api-key-omitted": "the api-key was left out of the digest input (nonce + timestamp + api-key + query + body)",
    "wrong-order": "the digest input parts are in the wrong order; it is nonce + timestamp + api-key + query + body",
    "other-nonce": "the sign was computed with a different nonce than the one sent in the header",
    "wrong-secret": "the digest input is right but the secret is not this api-key's secret",
}

UNKNOWN = "unknown"
UNKNOWN_MESSAGE = (
    "no usual mistake reproduces this sign: either the secret is not this api-key's or the digest input "
    "differs; compare your digest input with the expected one byte by byte"
)
#: Not a client mistake: the request was too large to try every usual mistake within the budget.
BUDGET_EXCEEDED = "budget-exceeded"
BUDGET_MESSAGE = (
    "the doctor gave up before trying every usual mistake (this request is too large to check within "
    "its budget); compare your digest input with the expected one byte by byte"
)

#: Body variants (re-serialized, pretty) are tried only on a JSON object this small and shallow.
MAX_VARIANT_BODY = 8 * 1024
MAX_VARIANT_DEPTH = 4  # {"orderList": [{"side": 2}]} is 3 deep
MAX_VARIANT_VALUES = 512
#: A form-encoded body's number-looking values are tried as JSON strings and numbers in every combination
#: up to this many such values (2**4 * 2 separators = 32 candidates); beyond, all strings or all numbers.
MAX_FORM_NUMBERS = 4
#: At most this many other nonces (the key's recent ones) are tried.
MAX_OTHER_NONCES = 32
#: At most this many other secrets (of keys the same client provably holds) are tried.
MAX_OTHER_SECRETS = 16
#: The doctor stops once its candidate hashes would pass this many input bytes in all ...
MAX_HASHED_BYTES = 2 << 20
#: ... or once this much wall-clock time has passed (checked between candidates).
DEADLINE_S = 0.020
#: The expected digest input is shown (header and journal) up to this many characters.
MAX_SHOWN_INPUT = 1024


@dataclass(frozen=True)
class Diagnosis:
    """What the doctor found: ``mistake`` is an id of :data:`MISTAKES`, ``unknown``, ``budget-exceeded``
    or ``none``; ``hashes`` and ``hashed_bytes`` are the work it did. The received ``sign`` is not kept."""

    mistake: str
    message: str
    expected_digest_input: str
    hashes: int = 0
    hashed_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def header(self) -> str:
        return f"{self.mistake}: {self.message}"


class _OverBudget(Exception):
    pass


class _Budget:
    """Counts the candidate hashes; raises :class:`_OverBudget` past the byte budget or the deadline."""

    def __init__(self, max_bytes: int, deadline_s: float, clock: Callable[[], float]) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self.deadline = clock() + deadline_s
        self.hashes = 0
        self.hashed_bytes = 0

    def spend(self, size: int) -> None:
        if self.hashed_bytes + size > self.max_bytes or self.clock() > self.deadline:
            raise _OverBudget
        self.hashes += 1
        self.hashed_bytes += size


def _h(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _sign(nonce: str, ts: str, key: str, query: str, body: bytes, secret: str) -> str:
    return _h(_h((nonce + ts + key + query).encode("utf-8") + body) + secret)


def _shallow(doc: Any) -> bool:
    """A JSON object at most MAX_VARIANT_DEPTH deep with at most MAX_VARIANT_VALUES values (no recursion)."""
    if not isinstance(doc, dict):
        return False
    stack: list[tuple[Any, int]] = [(doc, 1)]
    values = 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > MAX_VARIANT_VALUES or depth > MAX_VARIANT_DEPTH:
            return False
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return True


def _object(body: bytes) -> dict[str, Any] | None:
    """The body as a small, shallow JSON object, or ``None``: only those get the body variants."""
    if len(body) > MAX_VARIANT_BODY or not body.strip():
        return None
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return doc if _shallow(doc) else None


def _text(value: Any) -> str:
    """A JSON value as a client puts it in a query: strings as they are, the rest as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _joined(items: list[tuple[str, str]]) -> tuple[str, str, str]:
    """Pairs joined as a client joins a query: k1v1k2v2, k1=v1k2=v2, k1=v1&k2=v2."""
    return (
        "".join(k + v for k, v in items),
        "".join(f"{k}={v}" for k, v in items),
        "&".join(f"{k}={v}" for k, v in items),
    )


def _python_str(value: Any) -> str:
    """A JSON value as Python's ``str()`` writes it: "[{'orderId': '1'}]", True, None."""
    return value if isinstance(value, str) else str(value)


def _js_string(value: Any) -> str:
    """A JSON value as JavaScript's ``String()`` (a template literal) writes it: [object Object], "a,b"."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):  # Array.prototype.join: null items are empty, nested arrays flattened
        return ",".join("" if v is None else _js_string(v) for v in value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _bodies(body: bytes, doc: dict[str, Any], pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str | None, bytes]]:
    """What a client may have signed instead of the body it sent: (mistake, query or None for the
    canonical one, body). The most specific first; every candidate is distinct from the bytes sent."""
    seen = {body}

    def fresh(raw: bytes) -> bool:
        if raw in seen:
            return False
        seen.add(raw)
        return True

    # "Remove all spaces" on the whole text: a re-serialization unless a string value lost spaces too.
    for stripped in (body.replace(b" ", b""), b"".join(body.split())):
        if fresh(stripped):
            try:
                same_doc = json.loads(stripped) == doc
            except (ValueError, RecursionError):
                same_doc = False
            yield ("reserialized-body" if same_doc else "spaces-stripped-in-strings"), None, stripped
    # The fields as query pairs: signed in the query slot as well as the body, or instead of the body;
    # nested values as JSON, then (only when there are any) as Python's str() and JavaScript's String() write them.
    nested = any(isinstance(v, dict | list) for v in doc.values())
    queries: set[str] = set()
    for texts, as_query, instead in (
        (_text, "body-signed-as-query", "body-as-sorted-fields"),
        *(((_python_str, "stringified-nested-value", "stringified-nested-value"),) if nested else ()),
        *(((_js_string, "stringified-nested-value", "stringified-nested-value"),) if nested else ()),
    ):
        fields = [(k, texts(v)) for k, v in doc.items()]
        if not fields:  # '{}' has none: signing it as a query would be the canonical form itself
            break
        by_key = sorted(fields, key=lambda kv: kv[0])
        for items in (sorted(pairs + fields, key=lambda kv: kv[0]), pairs + fields):
            for q in _joined(items):
                if q not in queries:
                    queries.add(q)
                    yield as_query, q, body
        for q in _joined(by_key):
            if fresh(q.encode()):
                yield instead, None, q.encode()
    # Re-serialized JSON: in the order sent first, so a body already sorted stays "reserialized".
    for sort in (False, True):
        for ascii_only in (False, True):
            for mistake, indent, separators in (
                ("sorted-body" if sort else "reserialized-body", None, (",", ":")),
                ("sorted-body" if sort else "reserialized-body", None, None),
                ("pretty-body", 2, None),
                ("pretty-body", 4, None),
            ):
                text = json.dumps(doc, indent=indent, separators=separators, ensure_ascii=ascii_only, sort_keys=sort)
                raw = text.encode("utf-8")
                if fresh(raw):
                    yield mistake, None, raw


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _form_fields(body: bytes) -> list[tuple[str, str]] | None:
    """The fields of a body sent form-encoded (k=v&k2=v2, what Python requests sends for ``data=dict``)."""
    try:
        fields = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    keys = {k for k, _ in fields}
    return fields if fields and len(keys) == len(fields) else None


def _form_as_json(fields: list[tuple[str, str]]) -> Iterator[bytes]:
    """The JSON a client signed for the dict it sent form-encoded. The form lost the values' types, so each
    number-looking value is tried as a string and as a number (every combination up to MAX_FORM_NUMBERS of
    them, else all strings and all numbers), with compact and ``json.dumps``' default separators."""
    numeric = [i for i, (_, v) in enumerate(fields) if _JSON_NUMBER.fullmatch(v)]
    if len(numeric) <= MAX_FORM_NUMBERS:
        choices = [set(c) for r in range(len(numeric) + 1) for c in itertools.combinations(numeric, r)]
    else:
        choices = [set(), set(numeric)]
    for as_numbers in choices:
        values = [(json.dumps(k), v if i in as_numbers else json.dumps(v)) for i, (k, v) in enumerate(fields)]
        for colon, comma in ((":", ","), (": ", ", ")):
            yield ("{" + comma.join(k + colon + v for k, v in values) + "}").encode("utf-8")


FORM_NOTE = (
    " (the body was sent form-encoded (k=v&k2=v2, as Python requests sends data=dict) while the JSON of the "
    "same fields was signed: send the JSON text you sign as the body, with content-type application/json)"
)


def _python_reprs(body: bytes, doc: dict[str, Any] | None) -> Iterator[tuple[bytes, str]]:
    """What Python's str() makes of the body: of its bytes (b'{...}') or of its dict ({'side': 2}), with a note."""
    as_bytes = repr(body)
    yield (
        as_bytes.encode("utf-8"),
        (
            f" (you signed Python's str() of the body bytes, {as_bytes[:200]}: sign the bytes themselves, "
            "not str(bytes))"
        ),
    )
    if doc is not None:
        as_dict = str(doc)
        yield (
            as_dict.encode("utf-8"),
            (
                f" (you signed Python's str() of the body's dict, {as_dict[:200]}: sign the JSON text you send "
                "(json.dumps), not str(dict))"
            ),
        )


def _queries(raw_query: bytes, profile: VerificationProfile) -> Iterator[tuple[str, str]]:
    """The query as a client may have signed it instead of the canonical form (each form once)."""
    text = raw_query.decode("latin-1")
    try:
        pairs = query_pairs(raw_query)
    except Exception:
        return
    ordered = sorted(pairs, key=lambda kv: kv[0])
    wire = sorted((tuple(p.split("=", 1)) if "=" in p else (p, "") for p in text.split("&") if p), key=lambda kv: kv[0])
    seen: set[str] = set()

    def once(mistake: str, q: str) -> Iterator[tuple[str, str]]:
        if q not in seen:
            seen.add(q)
            yield mistake, q

    joiner = "=" if profile.query_forms[0] == QueryForm.EQUALS else ""  # the profile's own form
    seen.add(canonical_query(pairs, QueryForm.EQUALS if joiner else QueryForm.CONCAT))  # the right one
    # Sorted, but not by code point: ignoring case (stable), or a collation's upper/lower tie-break.
    for fold in (
        lambda kv: kv[0].lower(),
        lambda kv: (kv[0].lower(), kv[0]),
        lambda kv: (kv[0].lower(), kv[0].swapcase()),
    ):
        yield from once("case-insensitive-sort", "".join(k + joiner + v for k, v in sorted(pairs, key=fold)))
    yield from once("unsorted-query", "".join(k + joiner + v for k, v in pairs))
    if len(pairs) == 1 and not joiner:  # orderId=123: not a separator mistake, the "=" itself
        k, v = pairs[0]
        yield from once("equals-in-query", f"{k}={v}")
        yield from once("equals-in-query", text)
    elif len(pairs) > 1:  # '&' between parameters: only a mistake when there are several
        yield from once("ampersand-separators", "&".join(f"{k}={v}" for k, v in ordered))
        yield from once("ampersand-separators", "&".join(f"{k}={v}" for k, v in pairs))
        if QueryForm.EQUALS not in profile.query_forms:
            yield from once("equals-separators", canonical_query(pairs, QueryForm.EQUALS))
    encoders: tuple[Callable[[str], str], ...] = (lambda v: quote(v, safe=""), quote, quote_plus)
    if len(pairs) > 1:
        # A whole URL query string (an HTTP library's encoder): as sent, or sorted and sent in another order.
        yield from once("url-encoded-query", text)
        for encode in encoders:
            yield from once("url-encoded-query", "&".join(f"{encode(k)}={encode(v)}" for k, v in ordered))
    # Sorted, values percent-encoded: as sent, or as the client's own encoder wrote them (sent unsorted).
    yield from once("url-encoded-values", "".join(k + joiner + v for k, v in wire))
    for encode in encoders:
        yield from once("url-encoded-values", "".join(k + joiner + encode(v) for k, v in ordered))
    yield from once("query-with-question-mark", "?" + text)
    yield from once("query-with-question-mark", "?" + canonical_query(pairs))


def _shown(mistake: str, signed_query: str | None, body: bytes) -> str:
    """What the client signed, when it is short and says more than the message alone."""
    if signed_query is not None:
        return f" (you signed the query as {signed_query[:200]!r})"
    shows_body = ("body-as-sorted-fields", "stringified-nested-value", "spaces-stripped-in-strings", "sorted-body")
    if mistake in shows_body and len(body) <= 200:
        return f" (you signed the body as {body.decode('utf-8', 'backslashreplace')!r})"
    return ""


SECONDS_HEADER_MESSAGE = (
    "the timestamp header is in seconds (10 digits); send and sign milliseconds since the epoch (13 digits)"
)


def timestamp_hint(timestamp: str) -> str | None:
    """The mock-side explanation for a refused (100008) timestamp of 10 digits (seconds), else ``None``.

    Such a request never reaches the signature check (the timestamp is refused first), so the doctor
    proper never sees it; a pipeline can add this to the refusal's detail.
    """
    if len(timestamp) == 10 and timestamp.isascii() and timestamp.isdigit():
        return f"seconds-timestamp: {SECONDS_HEADER_MESSAGE}"
    return None


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
    max_hashed_bytes: int | None = None,
    deadline_s: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Diagnosis:
    """Name the mistake behind a wrong ``sign`` (headers: api-key, nonce, timestamp, sign).

    ``other_secrets`` must only yield secrets the caller provably holds (the server passes those of
    api-keys the same client used successfully), or the doctor would confirm guessed secrets. The
    work is bounded: at most ``max_hashed_bytes`` (default :data:`MAX_HASHED_BYTES`) hashed by the
    candidates and ``deadline_s`` (default :data:`DEADLINE_S`) of ``clock``; past either, the
    diagnosis is ``budget-exceeded``.
    """
    budget = _Budget(
        MAX_HASHED_BYTES if max_hashed_bytes is None else max_hashed_bytes,
        DEADLINE_S if deadline_s is None else deadline_s,
        clock,
    )
    key = headers.get("api-key", "")
    nonce = headers.get("nonce", "")
    ts = headers.get("timestamp", "")
    sent = headers.get("sign", "")
    query = canonical_query(query_pairs(raw_query), profile.query_forms[0]) if raw_query else ""
    prefix = nonce + ts + key + query
    shown_input = prefix + body[: MAX_SHOWN_INPUT * 4].decode("utf-8", "backslashreplace")
    if len(shown_input) > MAX_SHOWN_INPUT or len(body) > MAX_SHOWN_INPUT * 4:
        total = len(prefix.encode("utf-8")) + len(body)
        shown_input = shown_input[:MAX_SHOWN_INPUT] + f"…(truncated: {total} bytes in all)"
    raw_input = (nonce + ts + key + query).encode("utf-8") + body
    digest = _h(raw_input)
    right = _h(digest + secret)

    def result(mistake: str, message: str) -> Diagnosis:
        return Diagnosis(mistake, message, shown_input, budget.hashes, budget.hashed_bytes)

    if sent == right:  # the caller had another reason to refuse
        return result("none", "the sign is correct")
    if sent == right.upper() or (sent.lower() == right and sent != right):
        return result("uppercase-hex", MISTAKES["uppercase-hex"])
    lowered = sent.lower().encode("utf-8", "replace")
    size = len(raw_input)

    def same(cost: int, compute: Callable[[], str]) -> bool:
        budget.spend(cost)
        return hmac.compare_digest(compute().encode("ascii"), lowered)

    try:
        found = _search(
            method, raw_query, body, key, nonce, ts, query, secret, digest, raw_input, size,
            profile, other_nonces, other_secrets, same,
        )  # fmt: skip
    except _OverBudget:
        return result(BUDGET_EXCEEDED, BUDGET_MESSAGE)
    if found is None:
        return result(UNKNOWN, UNKNOWN_MESSAGE)
    mistake, extra = found
    return result(mistake, MISTAKES[mistake] + extra)


#: Whitespace a secret picks up when read from a file, a .env line or a terminal paste, and how to say it.
_PADDINGS = (
    ("", "\n", "a trailing newline ('\\n')"),
    ("", "\r\n", "a trailing CR LF ('\\r\\n')"),
    ("", " ", "a trailing space"),
    ("", "\t", "a trailing tab ('\\t')"),
    (" ", "", "a leading space"),
    (" ", " ", "a space on each side"),
)


def _padded_secrets(secret: str) -> Iterator[tuple[str, str]]:
    for before, after, where in _PADDINGS:
        yield before + secret + after, where


def _latin1(raw_input: bytes, secret: str, same: Callable[[int, Callable[[], str]], bool]) -> str | None:
    """The digest input as a latin-1 encoder writes the same text: unencodable characters as '?' (Java's
    getBytes(ISO_8859_1)), as the low byte of each UTF-16 unit (Node's 'latin1'/'binary'), or dropped;
    then as Windows-1252 (cp1252, a Windows default that differs from latin-1 in 0x80-0x9F: '€' is 0x80)."""
    try:
        text = raw_input.decode("utf-8")
    except UnicodeDecodeError:
        return None
    units = text.encode("utf-16-le")
    seen: set[bytes] = {raw_input}
    for encoded, named in (
        (text.encode("latin-1", "replace"), ""),
        (units[::2], ""),
        (text.encode("latin-1", "ignore"), ""),
        (text.encode("cp1252", "replace"), "as Windows-1252 (cp1252); "),
    ):
        if encoded in seen:
            continue
        seen.add(encoded)
        if same(len(encoded), lambda encoded=encoded: _h(_h(encoded) + secret)):  # type: ignore[misc]
            first = next(c for c in text if not c.isascii())
            return f" ({named}its first non-ASCII character is U+{ord(first):04X})"
    return None


def _search(
    method: str,
    raw_query: bytes,
    body: bytes,
    key: str,
    nonce: str,
    ts: str,
    query: str,
    secret: str,
    digest: str,
    raw_input: bytes,
    size: int,
    profile: VerificationProfile,
    other_nonces: Iterable[str],
    other_secrets: Callable[[], Iterable[str]],
    same: Callable[[int, Callable[[], str]], bool],
) -> tuple[str, str] | None:
    """Try each usual mistake in turn; the first whose sign matches, with a note to add to its message."""
    secret_b = secret.encode("utf-8")
    # Cheapest and most specific first: the query forms (short), the empty-body and timestamp slips,
    # the fixed-cost formula mistakes, then the body variants (each hashes a whole body).
    for mistake, q in _queries(raw_query, profile) if raw_query else ():
        if q != query and same(size + len(q), lambda q=q: _sign(nonce, ts, key, q, body, secret)):  # type: ignore[misc]
            return mistake, f" (you signed the query as {q!r}; expected {query!r})"
    if method == "GET":
        for b in (b"{}", b"null"):
            if same(size + len(b), lambda b=b: _sign(nonce, ts, key, query, b, secret)):  # type: ignore[misc]
                return "body-on-get", ""
        if raw_query and not body:  # the parameters signed as a JSON body (and no query), as for a POST
            params = dict(query_pairs(raw_query))
            for separators in ((",", ":"), None):
                b = json.dumps(params, separators=separators, ensure_ascii=False).encode("utf-8")
                if same(size + len(b), lambda b=b: _sign(nonce, ts, key, "", b, secret)):  # type: ignore[misc]
                    shown = b[:200].decode("utf-8", "replace")
                    return "body-on-get", (
                        f" (you signed the query parameters as the JSON body {shown} with an empty query: a GET "
                        "signs its sorted parameters as the query part and an empty body)"
                    )
    elif not body.strip() and same(size + 2, lambda: _sign(nonce, ts, key, query, b"{}", secret)):
        return "braces-for-empty-body", ""
    if ts.isdigit() and len(ts) > 3:
        for t in (ts[:-3], str(int(ts) // 1000 * 1000)):
            if same(size, lambda t=t: _sign(nonce, t, key, query, body, secret)):  # type: ignore[misc]
                return "seconds-timestamp", ""
    checks: list[tuple[str, int, Callable[[], str]]] = [
        ("single-hash", size, lambda: _h(raw_input + secret_b)),
        ("digest-without-secret", 0, lambda: digest),
        ("hmac-instead-of-sha256", size, lambda: hmac.new(secret_b, raw_input, hashlib.sha256).hexdigest()),
        ("hmac-instead-of-sha256", 64, lambda: hmac.new(secret_b, digest.encode(), hashlib.sha256).hexdigest()),
        ("secret-first", 64, lambda: _h(secret + digest)),
        ("secret-in-first-round", size, lambda: _h(_h(raw_input + secret_b) + secret)),
        ("secret-in-first-round", size, lambda: _h(_h(raw_input + secret_b))),
        ("uppercase-digest", 64, lambda: _h(digest.upper() + secret)),
        ("api-key-omitted", size, lambda: _sign(nonce, ts, "", query, body, secret)),
    ]
    for first, second, third in ((nonce, key, ts), (ts, nonce, key), (key, nonce, ts), (ts, key, nonce)):
        parts = (first + second + third + query).encode("utf-8")
        checks.append(("wrong-order", size, lambda parts=parts: _h(_h(parts + body) + secret)))  # type: ignore[misc]
    for mistake, cost, compute in checks:
        if same(cost, compute):
            return mistake, ""
    for padded, where in _padded_secrets(secret):
        if same(64 + len(padded), lambda padded=padded: _h(digest + padded)):  # type: ignore[misc]
            return "secret-whitespace", f" (the sign matches the secret with {where})"
    if len(body) <= MAX_VARIANT_BODY and not raw_input.isascii():  # re-encoding is bounded like the body variants
        found = _latin1(raw_input, secret, same)
        if found is not None:
            return "latin1-digest-input", found
    doc = _object(body)
    if body.strip() and len(body) <= MAX_VARIANT_BODY:  # a Python client's str() slips: one hash each
        for b, note in _python_reprs(body, doc):
            if same(size + len(b), lambda b=b: _sign(nonce, ts, key, query, b, secret)):  # type: ignore[misc]
                return "reserialized-body", note
        fields = _form_fields(body) if doc is None else None
        for b in _form_as_json(fields) if fields is not None else ():
            if same(size + len(b), lambda b=b: _sign(nonce, ts, key, query, b, secret)):  # type: ignore[misc]
                return "reserialized-body", FORM_NOTE
    if doc is not None:
        pairs = query_pairs(raw_query) if raw_query else []
        for mistake, signed_query, b in _bodies(body, doc, pairs):
            q = query if signed_query is None else signed_query
            if same(size + len(q) + len(b), lambda q=q, b=b: _sign(nonce, ts, key, q, b, secret)):  # type: ignore[misc]
                return mistake, _shown(mistake, signed_query, b)
    tried = 0
    for other in dict.fromkeys([nonce.upper(), nonce.lower(), *other_nonces]):
        if other == nonce:
            continue
        if tried >= MAX_OTHER_NONCES:
            break
        tried += 1
        if same(size, lambda other=other: _sign(other, ts, key, query, body, secret)):  # type: ignore[misc]
            return "other-nonce", f" (the sign matches nonce {other!r})"
    tried = 0
    for other_secret in other_secrets():
        if other_secret == secret:
            continue
        if tried >= MAX_OTHER_SECRETS:
            break
        tried += 1
        if same(64 + len(other_secret), lambda s=other_secret: _h(digest + s)):  # type: ignore[misc]
            return (
                "wrong-secret",
                " (the sign matches one of the other api-keys you use: check which key you sign with)",
            )
    return None
