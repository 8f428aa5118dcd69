"""The request pipeline: handlers derive from the endpoint table, one ordered list of checks, and the
fast paths (compiled validators, orjson decoding, header bounding) agree exactly with the exact ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY, ENDPOINTS, PRODUCTS, MockState
from mockserver.api import bounds, handlers, journal, pipeline
from mockserver.api.faults import FaultRule
from mockserver.api.pipeline import HANDLERS_BY_OPERATION, VALIDATORS, Pipeline

from ..helpers import Signed, examples

SPOT = "/api/spot/v1"

SETTINGS = settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))


def test_every_endpoint_has_exactly_one_handler_and_every_handler_an_endpoint() -> None:
    assert list(HANDLERS_BY_OPERATION) == [ep.operation for ep in ENDPOINTS]
    # One registry serves every product's rows (operation names are unique across products).
    assert set(handlers.HANDLERS) == {ep.operation for product in PRODUCTS for ep in product.endpoints}
    assert set(VALIDATORS) == {ep.operation for ep in ENDPOINTS}


def test_bind_names_what_is_missing_orphaned_or_doubled() -> None:
    ops = [ep.operation for product in PRODUCTS for ep in product.endpoints]
    with pytest.raises(RuntimeError, match=r"no handler for \['brand_new'\]"):
        handlers.bind([*ops, "brand_new"])
    with pytest.raises(RuntimeError, match=r"no endpoint for \['deal_list'\]"):
        handlers.bind([op for op in ops if op != "deal_list"])
    with pytest.raises(RuntimeError, match=r"listed twice \['depth'\]"):
        handlers.bind([*ops, "depth"])


def test_a_second_handler_for_an_operation_is_refused_at_import() -> None:
    with pytest.raises(RuntimeError, match="two handlers for 'depth'"):
        handlers.handles("depth")(lambda call: None)
    assert handlers.HANDLERS["depth"] is handlers.depth


def test_the_checks_run_in_the_documented_order(state: MockState) -> None:
    p = Pipeline(state)
    assert [c.__name__ for c in p.admission] == ["check_stale", "check_size", "check_fault"]
    assert [c.__name__ for c in p.checks] == [
        "check_found",
        "check_method",
        "check_ip_limit",
        "check_signature",
        "check_key_limit",
        "check_nonce_and_access",
        "check_parameters",
        "run_handler",
    ]


def test_every_verdict_reaches_the_journal_through_one_place(
    client: TestClient, signed: Signed, state: MockState, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[int] = []
    real = pipeline.record_entry

    def counting(entry: journal.JournalEntry, verdict: pipeline.Verdict) -> pipeline.Reply:
        recorded.append(entry.id)
        return real(entry, verdict)

    monkeypatch.setattr(pipeline, "record_entry", counting)
    state.faults.add(FaultRule(action="status", status=503, path=SPOT + "/market/depth"))
    buy = {"side": 2, "type": 1, "volume": "0.001", "price": "50000", "symbol": "BTCUSDT"}
    signed.post(SPOT + "/order/place_order", buy)  # accepted
    signed.post(SPOT + "/order/place_order", {**buy, "volume": "1000000"})  # PlaceRefused
    signed.post(SPOT + "/order/place_order", buy, sign="0" * 64)  # SignatureError
    signed.post(SPOT + "/order/place_order", {**buy, "side": 7})  # ParameterError
    client.get(SPOT + "/nowhere")  # NotFound
    client.get(SPOT + "/market/depth", params={"symbol": "BTCUSDT"})  # fault
    client.post(SPOT + "/order/place_order", content=b"x" * (state.config.max_body_bytes + 1))  # BodyTooLarge
    entries = list(state.journal)
    assert [e.verdict for e in entries] == [
        "accepted",
        "PlaceRefused",
        "SignatureError",
        "ParameterError",
        "NotFound",
        "fault",
        "BodyTooLarge",
    ]
    assert recorded == [e.id for e in entries]


def test_a_refused_method_journals_no_api_key_as_before_auth(client: TestClient, state: MockState) -> None:
    client.get(SPOT + "/order/place_order", headers={"api-key": DEMO_API_KEY})
    entry = list(state.journal)[-1]
    assert (entry.verdict, entry.operation, entry.api_key) == ("MethodNotAllowed", "place_order", None)


# ---------------------------------------------------------------- JSON decoding

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_docs = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
raw_texts = st.one_of(
    json_docs.map(json.dumps),
    json_docs.map(lambda d: json.dumps(d, indent=1)),
    st.sampled_from(['{"a":1,"a":2.5}', '"\\ud800"', "NaN", "[1,]", '{"a":1e999999999}', "-0", "1E400", "\ufeff{}"]),
    st.text(max_size=40),
)


def _decoded(text: str, fast: bool) -> Any:
    try:
        if fast:
            return ("ok", bounds.loads(text))
        return ("ok", bounds.loads_exact(text))
    except bounds.BoundError as exc:
        return ("refused", str(exc))


def _typed(doc: Any) -> Any:
    """``doc`` with each value's type beside it: 1 and Decimal("1") and True must not compare equal."""
    if isinstance(doc, dict):
        return {k: _typed(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_typed(v) for v in doc]
    return (type(doc).__name__, str(doc))


@SETTINGS
@given(text=raw_texts)
def test_json_decoding_takes_orjson_only_where_it_is_exact(text: str) -> None:
    fast, exact = _decoded(text, True), _decoded(text, False)
    assert fast[0] == exact[0]
    if fast[0] == "ok":
        assert _typed(fast[1]) == _typed(exact[1])
    else:
        assert fast == exact
