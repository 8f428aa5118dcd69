"""fixtures/signature_vectors.json: the client, the server and the generator agree on every vector.

An SDK author uses the same file to unit-test a signer offline (README, "Signature vectors").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from client_ref import signing
from mockserver import ENDPOINTS, Config, create_app
from mockserver.api.auth import canonical_query, digest_input, query_pairs, sign

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "fixtures" / "signature_vectors.json").read_text("utf-8"))
VECTORS: list[dict[str, Any]] = DOC["vectors"]


def _ids() -> list[str]:
    return [v["name"] for v in VECTORS]


def test_the_file_covers_what_the_issue_lists() -> None:
    names = set(_ids())
    assert sum(v["wire"]["path"] in SERVED for v in VECTORS) >= len(VECTORS) - 1
    assert {"official-go-demo", "get-no-params", "get-sorted-params", "get-unicode-value"} <= names
    assert {"post-array-body", "post-nested-unicode-body", "post-numbers-as-numbers", "post-empty-object"} <= names
    assert len(names) == len(VECTORS), "vector names are unique"


def test_the_file_is_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_signature_vectors", ROOT / "fixtures" / "make_signature_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == DOC


@pytest.mark.parametrize("v", VECTORS, ids=_ids())
def test_client_signer_matches_vector(v: dict[str, Any]) -> None:
    i = v["inputs"]
    pairs = [tuple(p) for p in i["query_params"]]
    body = i["body"].encode("utf-8")
    assert signing.canonical_query(pairs) == v["canonical_query"]
    assert (
        signing.digest_input(i["nonce"], i["timestamp"], i["api_key"], v["canonical_query"], body).decode("utf-8")
        == v["digest_input"]
    )
    assert signing.digest(i["nonce"], i["timestamp"], i["api_key"], v["canonical_query"], body) == v["digest"]
    assert signing.sign(i["nonce"], i["timestamp"], i["api_key"], i["secret"], v["canonical_query"], body) == v["sign"]


@pytest.mark.parametrize("v", VECTORS, ids=_ids())
def test_server_verifier_matches_vector(v: dict[str, Any]) -> None:
    i, wire = v["inputs"], v["wire"]
    assert canonical_query(query_pairs(wire["query_string"])) == v["canonical_query"]
    body = wire["body"].encode("utf-8")
    assert (
        digest_input(i["nonce"], i["timestamp"], i["api_key"], v["canonical_query"], body).decode() == v["digest_input"]
    )
    assert sign(i["nonce"], i["timestamp"], i["api_key"], i["secret"], v["canonical_query"], body) == v["sign"]


SERVED = {ep.path for ep in ENDPOINTS}


@pytest.mark.parametrize("v", [v for v in VECTORS if v["wire"]["path"] in SERVED], ids=lambda v: v["name"])
def test_the_wire_request_passes_the_mock_at_the_vectors_time(v: dict[str, Any]) -> None:
    """Sent as recorded, with the mock's clock frozen at the vector's timestamp, the signature is accepted."""
    i, wire = v["inputs"], v["wire"]
    cfg = Config(liquidity=False, frozen_at_ms=int(i["timestamp"]), demo_api_key=i["api_key"], demo_secret=i["secret"])
    with TestClient(create_app(cfg)) as http:
        url = wire["path"] + ("?" + wire["query_string"] if wire["query_string"] else "")
        headers = {"api-key": i["api_key"], "nonce": i["nonce"], "timestamp": i["timestamp"], "sign": v["sign"]}
        resp = http.request(wire["method"], url, content=wire["body"].encode("utf-8"), headers=headers)
        doc = resp.json()
        assert doc["code"] not in {"100004", "100005", "100008", "900001", "900002"}, (v["name"], doc)
        bad = dict(headers, sign=v["digest"])  # the first hash alone is a classic mistake
        resp = http.request(wire["method"], url, content=wire["body"].encode("utf-8"), headers=bad)
        assert resp.json()["code"] == "100005"
