"""An integer query parameter too large for the database, negative or not a number is ignored
or refused (400/404), never a server error."""

from __future__ import annotations

import pytest
from tests.users import role_user

from kerma.web.accounts.roles import ADMINISTRATOR, PHYSICIST
from kerma.web.params import as_int

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
URLS = [
    "/followup/?device={v}",
    "/followup/?unit={v}",
    "/followup/?page={v}",
    "/people/?unit={v}",
    "/quality/events/?unit={v}",
    "/quality/events/?page={v}",
    "/charts/?device={v}",
    "/charts/data/dap/?device={v}",
    "/nrd/?year={v}",
    "/?device={v}",
    "/history/?page={v}",
]


@pytest.mark.parametrize("role", [ADMINISTRATOR, PHYSICIST])
@pytest.mark.parametrize("value", [HUGE, "-1", "１２", "1e3", "9223372036854775808"])
def test_integer_parameters_never_give_a_server_error(client, role, value):
    user = role_user(f"u-{role}", role)
    client.force_login(user)
    for url in URLS:
        response = client.get(url.format(v=value))
        assert response.status_code < 500, url.format(v=value)


def test_as_int_bounds():
    assert as_int("42") == 42
    assert as_int(HUGE) is None
    assert as_int("9223372036854775807") == 2**63 - 1
    assert as_int("9223372036854775808") is None
    assert as_int("-3") is None and as_int("٣") is None and as_int("") is None
    assert as_int("2100", low=2000, high=2030) is None
