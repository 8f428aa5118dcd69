"""Every futures endpoint answers its table example with the shape its row declares (spec §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from mockserver import MockState
from mockserver.api.endpoints import Endpoint
from mockserver.api.futures_endpoints import FUTURES_ENDPOINTS, FUTURES_PREFIX

from ...helpers import Signed
from .wire import fok

#: Operations whose example needs an account with no position and no order (position mode is account-wide).
FLAT = {"futures.account_change_position_mode", "futures.account_position_mode"}


def send(client: TestClient, who: Signed, ep: Endpoint, params: dict[str, Any]) -> Any:
    if ep.method == "GET":
        return who.get(ep.path, params) if ep.auth else client.get(ep.path, params=params)
    return who.post(ep.path, params)


def test_the_table_has_the_36_paths_of_the_spec() -> None:
    assert len(FUTURES_ENDPOINTS) == 36
    for ep in FUTURES_ENDPOINTS:
        assert ep.path.startswith(FUTURES_PREFIX + "/")
        assert ep.operation == "futures." + ep.path.removeprefix(FUTURES_PREFIX + "/").replace("/", "_")
        # Private reads are GET with a query (spec §1.1); market reads are public.
        assert ep.auth == (ep.group != "market" and ep.operation != "futures.position_get_position_tiers")
        assert ep.success_msg == "Success" and ep.rate_limit is not None


@pytest.mark.parametrize("shapes", ["live", "doc"])
@pytest.mark.parametrize("ep", FUTURES_ENDPOINTS, ids=lambda e: e.operation)
def test_example_answers_the_declared_shape(
    ep: Endpoint,
    shapes: str,
    client: TestClient,
    state: MockState,
    signed: Signed,
    busy: dict[str, Any],
    new_trader: Callable[[], Signed],
) -> None:
    state.set_switches({"futures_shapes": shapes, "futures_status_padding": "on" if shapes == "doc" else "off"})
    who = new_trader() if ep.operation in FLAT else signed
    data = fok(send(client, who, ep, ep.request(busy)))
    assert [e.message for e in jsonschema.Draft202012Validator(ep.response).iter_errors(data)] == []
