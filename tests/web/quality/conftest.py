"""Fixtures of the quality-system shell tests: two units, users of each role, devices, and
rows of the other apps that feed the action programme."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import create_user
from kerma.web.dose.models import Device

PASSWORD = "pw-123456"
SOURCE = "décision ANSM saisie par l'unité (test)"


@pytest.fixture(autouse=True)
def _django_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-django has set Django up and migrated the test database: the CLI need not."""
    import kerma.web.bootstrap as bootstrap

    monkeypatch.setattr(bootstrap, "_ready", True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db) -> dict[str, Unit]:
    """The default unit (``main``) and another one (``other``)."""
    return {
        "main": Unit.default(),
        "other": Unit.objects.create(code="other", name="Autre unité"),
    }


@pytest.fixture
def user(units) -> Callable[..., Any]:
    """``user(role, unit="main", email="")`` → a user of that role, member of that unit."""

    def make(role: str, unit: str = "main", email: str = "") -> Any:
        return create_user(f"{role}-{unit}", PASSWORD, role, [units[unit]], email=email)

    return make


@pytest.fixture
def login(client, user) -> Callable[..., Any]:
    """``login(role, unit="main")`` → the test client signed in as that user (French)."""

    def sign_in(role: str, unit: str = "main") -> Any:
        person = user(role, unit)
        client.force_login(person)
        return client

    return sign_in


@pytest.fixture
def device(units) -> Callable[..., Device]:
    """``device(key="ct1", unit="main", category="ct")`` → a device of that unit."""

    def make(key: str = "ct1", unit: str = "main", category: str = "ct", **fields: Any) -> Device:
        return Device.objects.create(
            identity_key=key,
            category=category,
            station_name=key,
            display_name=fields.pop("display_name", key.upper()),
            unit=units[unit],
            **fields,
        )

    return make


@pytest.fixture
def event(units) -> Callable[..., Any]:
    """``event(unit="main", **fields)`` → a saved safety event."""
    from kerma.web.quality.models import SafetyEvent

    def make(unit: str = "main", **fields: Any) -> SafetyEvent:
        values = {
            "unit": units[unit],
            "detected_on": date(2025, 3, 4),
            "recorded_on": date(2025, 3, 5),
            "description": f"Événement {unit}",
            "category": "human",
            "severity": 2,
        }
        values.update(fields)
        row = SafetyEvent(**values)
        row.save()
        return row

    return make
