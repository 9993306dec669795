"""Fixtures of the people register's tests: units, users of each role, people of each unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from tests.web.followup import conftest as followup_fixtures

from kerma.web.accounts.roles import create_user
from kerma.web.people.audit import acting_as
from kerma.web.people.models import Certificate, Person

# The follow-up tests' fixtures: Django ready for the CLI, fast passwords, the two units,
# the SMTP sink.
PASSWORD = followup_fixtures.PASSWORD
_django_ready = followup_fixtures._django_ready
_fast_passwords = followup_fixtures._fast_passwords
units = followup_fixtures.units
smtp = followup_fixtures.smtp  # a real SMTP server on loopback


@pytest.fixture
def login(client, units) -> Callable[..., Any]:
    """``login(role, unit="main")`` → the test client signed in as a user of that role."""

    def make(role: str, unit: str = "main") -> Any:
        user = create_user(f"{role}-{unit}", PASSWORD, role, [units[unit]])
        client.force_login(user)
        return client

    return make


@pytest.fixture
def person(units) -> Callable[..., Person]:
    """``person(name, profession, domains, unit="main", certificate=None)`` → a stored person."""

    def make(
        name: str,
        profession: str = "radiographer",
        domains: tuple[str, ...] = ("ct",),
        unit: str = "main",
        certificate: date | None = None,
        **fields: Any,
    ) -> Person:
        with acting_as("fixture"):
            row = Person(name=name, profession=profession, domains=list(domains), **fields)
            row.save()
            row.set_units([units[unit]])
            if certificate:
                Certificate(person=row, obtained_on=certificate, organisation="Org").save()
        return row

    return make
