"""Money amounts given to the admin side are exact: a JSON number is read from its text, a Python float refused.

The admin API decodes bodies with ``bounds.loads``: a JSON number with a fraction becomes
``Decimal(text)``, never a binary float, so ``{"amount": 0.1}`` is exactly 0.1. A Python float
is inexact before it is sent (``0.1 + 0.2`` is 0.30000000000000004), so the plugin's marker
refuses one, as ``MockAdmin`` does, naming the fix.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from mockserver import DEMO_API_KEY
from mockserver.api import bounds
from mockserver.control.client import MockAdmin
from pytest_bitunix import MarkerOptions

ADMIN = {"x-mock-admin": "1"}


def test_a_json_number_amount_is_read_exactly_from_its_text(client: TestClient) -> None:
    assert bounds.loads(b'{"amount": 0.1}') == {"amount": Decimal("0.1")}
    opening = Decimal(client.get(f"/_mock/accounts/{DEMO_API_KEY}", headers=ADMIN).json()["balances"]["USDT"]["free"])
    for amount in (b"0.1", b"0.2", b"1.5"):
        body = b'{"coin": "USDT", "amount": ' + amount + b"}"
        resp = client.post(f"/_mock/accounts/{DEMO_API_KEY}/fund", content=body, headers=ADMIN)
        assert resp.status_code == 200, resp.text
    free = client.get(f"/_mock/accounts/{DEMO_API_KEY}", headers=ADMIN).json()["balances"]["USDT"]["free"]
    assert Decimal(free) - opening == Decimal("1.8")  # as floats: 1.8000000000000000444...


def test_a_json_number_amount_finer_than_the_funding_precision_is_refused(client: TestClient) -> None:
    body = b'{"coin": "USDT", "amount": 0.1000000000000000055511151231257827}'  # what the float 0.1 holds
    resp = client.post(f"/_mock/accounts/{DEMO_API_KEY}/fund", content=body, headers=ADMIN)
    assert resp.status_code == 400
    assert resp.json() == {"error": "amount: more than 18 decimal places"}


def test_the_admin_client_refuses_a_float_amount(client: TestClient) -> None:
    admin = MockAdmin("http://testserver", transport=client._transport)
    with pytest.raises(TypeError) as refused:
        admin.fund(DEMO_API_KEY, "USDT", 1.5)
    assert str(refused.value) == "pass amounts as str or Decimal, not float (1.5 is not exact)"


class _Item:
    """What MarkerOptions.of reads of a test item: its ``bitunix`` marker."""

    def __init__(self, **kwargs: Any) -> None:
        self.marks = [pytest.mark.bitunix(**kwargs).mark]

    def iter_markers(self, name: str) -> list[Any]:
        return self.marks if name == "bitunix" else []


def test_the_marker_refuses_a_float_balance() -> None:
    given = {"USDT": "1.5", "BTC": Decimal("0.25"), "ETH": 3}
    assert MarkerOptions.of(cast(pytest.Item, _Item(balances=given))).balances == {
        "USDT": "1.5",
        "BTC": "0.25",
        "ETH": "3",
    }
    with pytest.raises(pytest.fail.Exception) as failed:
        MarkerOptions.of(cast(pytest.Item, _Item(balances={"BTC": "2", "USDT": 0.1 + 0.2})))
    assert str(failed.value) == (
        "@pytest.mark.bitunix(balances=...): the USDT amount 0.30000000000000004 is a float, and a float is "
        "inexact; pass it as a string or a Decimal: balances={'USDT': '0.30000000000000004'}"
    )
