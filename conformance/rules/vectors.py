"""The signer judged offline: the client's ``sign`` operation against the known-answer vectors."""

from __future__ import annotations

import json
from pathlib import Path

from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped
from .base import rule

VECTORS = Path(__file__).resolve().parent.parent / "data" / "signature_vectors.json"  # package data (conformance.data)


@rule(
    "signing.vectors",
    title="Signer matches the known-answer vectors",
    statement="Given the vectors' inputs, the client's signer produces every vector's sign (offline, optional op).",
    ops=("sign",),
    passes="the signer reproduces every known-answer vector (optional `sign` op; skipped without it)",
    warns=None,
    fails="a vector differs",
)
def check_signing_vectors(ctx: Context) -> None:
    with ctx.client({}) as (adapter, _):
        signer = getattr(adapter, "sign", None)
        if signer is None:
            raise RuleSkipped("the adapter has no sign(...) operation; add one to have the signer checked offline")
        for v in json.loads(VECTORS.read_text("utf-8"))["vectors"]:
            i = v["inputs"]
            got = signer(
                i["nonce"], i["timestamp"], i["api_key"], i["secret"], [list(p) for p in i["query_params"]], i["body"]
            )
            if got != v["sign"]:
                raise RuleFailed(
                    f"vector {v['name']!r}: sign {got!r}, expected {v['sign']!r}. The exchange hashes exactly "
                    f"{v['digest_input']!r} (canonical query {v['canonical_query']!r}: keys sorted by code point, "
                    "key+value, no separators, values not URL-encoded), then sha256_hex(digest + secret).",
                    example=json.dumps(i, ensure_ascii=False),
                )
