"""Operation names are checked where a user types them: ``expect=``, journal filters, rate-limit overrides.

A misspelt name used to filter to nothing (``requests(operation="plac_order") == []`` passes any
assertion of absence) or to allow nothing; now it is refused with the list of valid names.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from mockserver import ENDPOINTS, OPERATIONS
from mockserver.control.client import MockAdmin, MockAdminError
from mockserver.docs import render_endpoints
from pytest_bitunix import BitunixMock, MarkerOptions

#: The names a refusal lists: every operation of every product's table, sorted (a new endpoint needs no edit here;
#: a renamed one still shows up in the recorded examples and the client's operation map).
VALID = "valid operations: " + ", ".join(OPERATIONS)


def test_the_journal_filter_refuses_an_unknown_operation(client: TestClient) -> None:
    admin = MockAdmin("http://testserver", transport=client._transport)
    assert admin.requests(operation="place_order") == []  # a real name that matched nothing yet: fine
    with pytest.raises(MockAdminError) as refused:
        admin.requests(operation="plac_order")
    assert (refused.value.status, refused.value.message) == (400, f"operation: unknown operation 'plac_order'; {VALID}")
    raw = client.get("/_mock/journal", params={"operation": "orders"}, headers={"x-mock-admin": "1"})
    assert (raw.status_code, raw.json()) == (400, {"error": f"operation: unknown operation 'orders'; {VALID}"})


def test_rate_limit_overrides_refuse_an_unknown_operation(client: TestClient) -> None:
    admin = MockAdmin("http://testserver", transport=client._transport)
    with pytest.raises(MockAdminError) as refused:
        admin.rate_limits(enabled=True, per_second={"last_price": 3, "lastprice": 3})
    assert (refused.value.status, refused.value.message) == (400, f"per_second: unknown operation 'lastprice'; {VALID}")
    assert admin.rate_limits()["enabled"] is False  # refused whole: nothing switched


class _Item:
    """What MarkerOptions.of reads of a test item: its ``bitunix`` markers, closest last."""

    def __init__(self, **kwargs: Any) -> None:
        self.marks = [pytest.mark.bitunix(**kwargs).mark]

    def iter_markers(self, name: str) -> list[Any]:
        return list(reversed(self.marks)) if name == "bitunix" else []


def test_the_marker_refuses_an_unknown_expected_operation() -> None:
    assert MarkerOptions.of(cast(pytest.Item, _Item(expect=["last_price", "place_order"]))).expect == [
        "last_price",
        "place_order",
    ]
    with pytest.raises(pytest.fail.Exception) as failed:
        MarkerOptions.of(cast(pytest.Item, _Item(expect=["last_price", "place-order"])))
    assert str(failed.value) == f"@pytest.mark.bitunix(expect=...): unknown operation 'place-order'; {VALID}"
    with pytest.raises(pytest.fail.Exception) as failed:
        MarkerOptions.of(cast(pytest.Item, _Item(expect="PlaceOrder")))  # one name, as a string
    assert str(failed.value) == f"@pytest.mark.bitunix(expect=...): unknown operation 'PlaceOrder'; {VALID}"


def test_expect_at_run_time_refuses_an_unknown_operation() -> None:
    # The check comes before the fixture's state is touched, so no exchange is needed to reach it.
    with pytest.raises(ValueError) as refused:
        BitunixMock.expect(cast(BitunixMock, None), "order_detail", "order_details")
    assert str(refused.value) == f"bitunix_mock.expect(): unknown operation 'order_details'; {VALID}"


def test_the_endpoint_table_names_each_operation() -> None:
    rows = render_endpoints().splitlines()
    assert rows[0] == "| group | operation | method | path | auth (permission) | parameters | conf. |"
    assert "| order | `place_order` | POST | `/api/spot/v1/order/place_order` |" in rows[11]
    named = sorted(row.split(" | ")[1].strip("`") for row in rows[2:])
    assert named == sorted(ep.operation for ep in ENDPOINTS)
