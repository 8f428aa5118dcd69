"""The Bitunix request signature, as pure functions.

    digest = sha256_hex(nonce + timestamp + api_key + canonical_query + body)
    sign   = sha256_hex(digest + secret)

``canonical_query`` sorts parameters by key and joins each key directly to its raw
(not URL-encoded) value: ``{"uid": "200", "id": "1"}`` -> ``id1uid200``. ``body`` is
the exact request body bytes. Nothing here touches the network or the clock
except :func:`new_nonce`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import quote

__all__ = ["canonical_query", "digest", "digest_input", "encode_query", "new_nonce", "sign", "sorted_pairs"]


def new_nonce() -> str:
    """32 lowercase hex characters (a uuid4 without dashes), as the official demos use."""
    return uuid.uuid4().hex


def sorted_pairs(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Parameters sorted by key (code point order); repeated keys keep their order."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    return sorted(items, key=lambda kv: kv[0])


def canonical_query(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The query as it enters the digest: sorted, key then value, no separators, values raw."""
    return "".join(k + v for k, v in sorted_pairs(params))


def encode_query(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The query string sent on the wire, in the same sorted order (percent-encoded UTF-8)."""
    return "&".join(quote(k, safe="") + "=" + quote(v, safe="") for k, v in sorted_pairs(params))


def digest_input(nonce: str, timestamp: str, api_key: str, query: str = "", body: bytes = b"") -> bytes:
    """The exact bytes hashed first."""
    return (nonce + timestamp + api_key + query).encode("utf-8") + body


def digest(nonce: str, timestamp: str, api_key: str, query: str = "", body: bytes = b"") -> str:
    return hashlib.sha256(digest_input(nonce, timestamp, api_key, query, body)).hexdigest()


def sign(nonce: str, timestamp: str, api_key: str, secret: str, query: str = "", body: bytes = b"") -> str:
    """The ``sign`` header: lowercase hex of sha256(digest + secret)."""
    return hashlib.sha256((digest(nonce, timestamp, api_key, query, body) + secret).encode("utf-8")).hexdigest()
