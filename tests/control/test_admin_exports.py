"""What a refused admin call raises is importable where its client is: ``from mockserver.control import ...``."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

import mockserver.control


def test_mock_admin_error_is_exported_beside_mock_admin(client: TestClient) -> None:
    from mockserver.control import MockAdmin, MockAdminError

    assert {"MockAdmin", "MockAdminError"} <= set(mockserver.control.__all__)
    admin = MockAdmin("http://testserver", transport=client._transport)
    with pytest.raises(MockAdminError) as refused:
        admin.account("no-such-key")
    assert (refused.value.status, refused.value.message) == (404, "no account with api-key 'no-such-key'")
