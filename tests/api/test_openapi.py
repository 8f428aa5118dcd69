"""The served OpenAPI document says what the mock accepts, checked by real consumers.

``openapi-spec-validator`` validates the document; ``jsonschema`` validates the README's example
bodies and every endpoint's example against the request schemas, and compares each parameter's
schema with the mock's own validator over a set of probe values; Prism (a mock server generated
from the document, as client developers use it) answers the README's example body.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from starlette.testclient import TestClient

from bench.peers import prism_command
from mockserver import DEMO_API_KEY, DEMO_SECRET, Config, create_app
from mockserver.api.endpoints import ENDPOINTS, Endpoint
from mockserver.api.openapi import example_request
from mockserver.api.params import REFUSED, Kind, Param, coerce, compile_params
from mockserver.errors import ParameterError
from mockserver.testing import MockServer

from ..helpers import sign_parts

ROOT = Path(__file__).resolve().parents[2]
#: The front page and the docs pages: every Python example a reader may copy.
README = "\n".join(p.read_text("utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
PLACE = "/api/spot/v1/order/place_order"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with TestClient(create_app(Config(liquidity=False))) as client:
        resp = client.get("/_mock/openapi.json")
    assert resp.status_code == 200
    doc: dict[str, Any] = resp.json()
    return doc


def body_schema(doc: dict[str, Any], ep: Endpoint) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][ep.path][ep.method.lower()]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    return schema


def query_schemas(doc: dict[str, Any], ep: Endpoint) -> dict[str, dict[str, Any]]:
    params = doc["paths"][ep.path][ep.method.lower()].get("parameters", [])
    return {p["name"]: p["schema"] for p in params if p["in"] == "query"}


def errors(schema: dict[str, Any], value: Any) -> list[str]:
    return sorted(e.message for e in Draft202012Validator(schema).iter_errors(value))


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate_openapi(document)  # raises OpenAPIValidationError, naming the path, on an invalid document
    assert document["openapi"] == "3.1.0"


def test_side_and_type_of_place_order_are_numbers_first(document: dict[str, Any]) -> None:
    """The exchange, the mock and the README send numbers; numeric text is accepted too (as live does)."""
    props = document["paths"][PLACE]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["side"] == {
        "oneOf": [{"type": "integer", "enum": [1, 2]}, {"type": "string", "enum": ["1", "2"]}],
        "description": "1 sell, 2 buy",
        "example": 2,
    }
    assert props["type"] == {
        "oneOf": [{"type": "integer", "enum": [1, 2]}, {"type": "string", "enum": ["1", "2"]}],
        "description": "1 limit, 2 market",
        "example": 1,
    }
    assert props["volume"]["oneOf"] == [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "maxLength": 41},
        {"type": "number", "minimum": 0},
    ]


def readme_bodies() -> list[dict[str, Any]]:
    """Every literal dict the README's Python examples pass to json.dumps."""
    found: list[dict[str, Any]] = []
    for block in re.findall(r"```python\n(.*?)```", README, re.S):
        for node in ast.walk(ast.parse(block)):
            call = isinstance(node, ast.Call) and ast.unparse(node.func) == "json.dumps" and node.args
            if call and isinstance(node.args[0], ast.Dict):  # type: ignore[attr-defined]
                found.append(ast.literal_eval(node.args[0]))  # type: ignore[attr-defined]
    return found


def test_the_readme_example_bodies_match_the_request_schemas(document: dict[str, Any]) -> None:
    bodies = readme_bodies()
    assert bodies == [{"side": 2, "type": 1, "volume": "0.01", "price": "60000", "symbol": "BTCUSDT"}]
    place = next(ep for ep in ENDPOINTS if ep.operation == "place_order")
    for body in bodies:
        assert errors(body_schema(document, place), body) == []
        compile_params(place.params)(body)  # and the mock's validator takes it


@pytest.mark.parametrize("ep", ENDPOINTS, ids=[ep.operation for ep in ENDPOINTS])
def test_every_endpoint_example_matches_its_schema_and_the_validator(document: dict[str, Any], ep: Endpoint) -> None:
    example = example_request(ep)
    assert {p.name for p in ep.params if p.required} <= set(example), "every required parameter has an example"
    if ep.in_query:
        schemas = query_schemas(document, ep)
        for name, value in example.items():
            assert errors(schemas[name], value) == [], name
            assert schemas[name]["example"] == value
        compile_params(ep.params)({k: str(v) for k, v in example.items()})  # a query carries text
    elif ep.params:
        media = document["paths"][ep.path][ep.method.lower()]["requestBody"]["content"]["application/json"]
        assert media["example"] == example
        assert errors(media["schema"], example) == []
        compile_params(ep.params)(example)


def test_a_wrong_body_is_refused_by_the_schema_with_its_reason(document: dict[str, Any]) -> None:
    place = next(ep for ep in ENDPOINTS if ep.operation == "place_order")
    wrong = {"side": 3, "type": "market", "volume": -1, "symbol": "BTCUSDT"}
    assert errors(body_schema(document, place), wrong) == [
        "'market' is not valid under any of the given schemas",
        "-1 is not valid under any of the given schemas",
        "3 is not valid under any of the given schemas",
    ]


#: Values a client may put in a JSON body, of every JSON type.
PROBES: list[Any] = [
    2, 1, 0, 3, -1, 100, 1000, 1001, 1724285700, Decimal("1.5"), Decimal("60000"),
    "2", "1", "0", "3", "-1", "100", "1000", "1001", "1.5", "0.001", "60000", "abc", "",
    "BTCUSDT", "uid", "spot_futures", "60", "D", "2024-08-22T00:00:00Z", "2024-08-22",
    True, False, [], {}, [{"orderId": "1", "symbol": "BTCUSDT"}],
]  # fmt: skip


def _params() -> Iterator[tuple[str, Param, bool]]:
    for ep in ENDPOINTS:
        for p in ep.params:
            yield f"{ep.operation}.{p.name}", p, ep.in_query


def mock_accepts(p: Param, value: Any) -> bool:
    try:
        out = coerce(p, value)
    except ParameterError:
        return False
    # A per-item list (a batch) answers a bad item with that item's own refusal: not accepted either.
    return not (isinstance(out, list) and any(REFUSED in item for item in out))


def as_json(value: Any) -> Any:
    """A probe as a JSON consumer sees it: Decimal is a JSON number."""
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize(("where", "p", "in_query"), list(_params()), ids=[w for w, _, _ in _params()])
def test_each_schema_accepts_what_the_validator_accepts(
    document: dict[str, Any], where: str, p: Param, in_query: bool
) -> None:
    """Whatever the schema lets through, the mock accepts (a generated client is never refused for a type),
    and whatever the mock accepts the schema lets through - but a JSON number for a field the table declares
    as text (an id, a name, a symbol, a coin): the validator reads its text, the document declares text only."""
    ep = next(e for e in ENDPOINTS if where.startswith(e.operation + ".") and p in e.params)
    schema = query_schemas(document, ep)[p.name] if in_query else body_schema(document, ep)["properties"][p.name]
    for value in PROBES:
        if in_query:
            if not isinstance(value, str):
                continue  # a query carries text; the schema names the type the text spells
            typed: Any = int(value) if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value) else value
        else:
            typed = as_json(value)
        by_schema = not errors(schema, typed)
        by_mock = mock_accepts(p, value)
        if by_schema:
            assert by_mock, f"{where}: the schema accepts {value!r}, the mock refuses it"
        elif by_mock:
            number_for_text = p.kind in (Kind.STRING, Kind.SYMBOL, Kind.COIN) and not isinstance(value, str)
            assert number_for_text, f"{where}: the mock accepts {value!r}, the schema refuses it"


# ------------------------------------------------------------------------------- Prism


@contextmanager
def prism(tmp_path: Path, document: dict[str, Any], *args: str) -> Iterator[tuple[str, Path]]:
    """Prism on 127.0.0.1, port 0, serving ``document`` (``mock`` or ``proxy UPSTREAM``): its URL and log."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Prism needs node and npm, and this machine has no node or no npm on PATH")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document), "utf-8")
    log = tmp_path / "prism.log"
    mode, *rest = args
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*prism_command(), mode, str(spec), *rest, "-h", "127.0.0.1", "-p", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"listening on (http://127\.0\.0\.1:[0-9]+)", log.read_text())):
            assert proc.poll() is None, f"prism exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"prism did not start: {log.read_text()[-2000:]}"
            time.sleep(0.1)
        yield found.group(1), log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


SIGNED = {"api-key": "k", "nonce": "n" * 32, "timestamp": "1724285700000", "sign": "s" * 64}


@pytest.mark.slow
@pytest.mark.install
def test_prism_mock_takes_the_readme_body_and_every_example(document: dict[str, Any], tmp_path: Path) -> None:
    """Prism's mock server, generated from the document as client developers use it, validates requests."""
    with prism(tmp_path, document, "mock") as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        for body in readme_bodies():
            resp = http.post(PLACE, json=body, headers=SIGNED)
            assert resp.status_code == 200, resp.text
        for ep in ENDPOINTS:
            example = example_request(ep)
            if ep.in_query:
                resp = http.get(ep.path, params=example, headers=SIGNED if ep.auth else {})
            else:
                resp = http.post(ep.path, json=example, headers=SIGNED if ep.auth else {})
            assert resp.status_code == 200, f"{ep.operation}: {resp.text}"
        wrong = http.post(PLACE, json={"side": 3, "type": 1, "volume": "0.01", "symbol": "BTCUSDT"}, headers=SIGNED)
    assert wrong.status_code == 422
    assert {(tuple(v["location"]), v["code"]) for v in wrong.json()["validation"]} == {
        (("body", "side"), "enum"),
        (("body", "side"), "type"),
        (("body", "side"), "oneOf"),
    }


def signed_example(ep: Endpoint, now_ms: int) -> tuple[str, dict[str, str], bytes]:
    """``ep``'s example as a client sends it, signed with the demo key: (path and query, headers, body)."""
    example = example_request(ep)
    pairs = [(k, str(v)) for k, v in example.items()] if ep.in_query else []
    body = b"" if ep.in_query else json.dumps(example, separators=(",", ":")).encode()
    headers = {"content-type": "application/json"}
    if ep.auth:
        nonce, ts = uuid.uuid4().hex, str(now_ms)
        sign = sign_parts(nonce, ts, DEMO_API_KEY, DEMO_SECRET, "".join(k + v for k, v in sorted(pairs)), body)
        headers.update({"api-key": DEMO_API_KEY, "nonce": nonce, "timestamp": ts, "sign": sign})
    return ep.path + ("?" + urlencode(pairs) if pairs else ""), headers, body


@pytest.mark.slow
@pytest.mark.install
@pytest.mark.parametrize("broken", [False, True], ids=["served", "orderId-declared-integer"])
def test_prism_proxy_validates_the_mocks_answers(document: dict[str, Any], tmp_path: Path, broken: bool) -> None:
    """Prism as a validating proxy in front of a running mock: every endpoint's example, signed, reaches the mock
    and its answer matches the document. A document that lies about a field (orderId an integer) is caught."""
    doc = copy.deepcopy(document)
    if broken:
        placed = doc["paths"][PLACE]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"][0]
        placed["properties"]["data"]["anyOf"][0]["properties"]["orderId"] = {"type": "integer"}
    answers: dict[str, tuple[int, Any]] = {}
    bodies: dict[str, Any] = {}
    with (
        MockServer(liquidity=False) as mock,
        prism(tmp_path, doc, "proxy", mock.url, "--errors") as (url, _),
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        for ep in ENDPOINTS:
            target, headers, body = signed_example(ep, mock.state.clock.now_ms())
            resp = http.request(ep.method, target, headers=headers, content=body or None)
            answers[ep.operation] = (resp.status_code, resp.json().get("code"))
            bodies[ep.operation] = resp.json()
    if broken:
        assert answers.pop("place_order")[0] == 500  # Prism's violation error, not the mock's answer
        violation = bodies["place_order"]
        assert violation["title"] == "Request/Response not valid"
        assert violation["validation"][0] == {
            "location": ["response", "body", "data", "orderId"],
            "severity": "Error",
            "code": "type",
            "message": "Response body property data.orderId must be integer",
        }
    # the mock's own codes: the wallet examples name records that do not exist, or a non-whitelisted address
    refused = {"withdraw": "110008", "withdraw_cancel": "2", "inside_transfer": "2", "inside_transfer_cancel": "2"}
    assert answers == {op: (200, refused.get(op, "0")) for op in (ep.operation for ep in ENDPOINTS) if op in answers}
