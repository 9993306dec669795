"""Fixtures for the NRD shell tests: devices, exams and events in the real test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from nrdweb_factories import build_rx_unit

from kerma.web.dose.models import Device, Event, Exam


@pytest.fixture(autouse=True)
def _django_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-django has set Django up and migrated the test database: the CLI need not."""
    import kerma.web.bootstrap as bootstrap

    monkeypatch.setattr(bootstrap, "_ready", True)


@pytest.fixture
def make_device(db) -> Callable[..., Device]:
    """Return ``make_device(key, category, **fields)`` → a stored device."""

    def make(key: str = "rx-1", category: str = "radiography", **fields: Any) -> Device:
        values = {"manufacturer": "ACME", "model": key.upper(), "serial_number": key}
        values.update(fields)
        return Device.objects.create(identity_key=key, category=category, **values)

    return make


@pytest.fixture
def make_exam(db) -> Callable[..., Exam]:
    """Return ``make_exam(device, uid, day, time, events=[…], **fields)`` → a stored exam."""

    def make(
        device: Device,
        uid: str,
        day: date,
        time: str = "090000",
        *,
        events: list[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> Exam:
        values: dict[str, Any] = {
            "modality": "DX",
            "procedure": "THORAX FACE",
            "age_years": 52.0,
            "sex": "F",
            "weight_kg": 70.0,
            "height_m": 1.70,
        }
        values.update(fields)
        exam = Exam.objects.create(
            study_uid=uid, study_date=day, study_time=time, device=device, **values
        )
        rows = [Event(exam=exam, **e) for e in events or []]
        Event.objects.bulk_create(rows)
        exam.event_count = len(rows)
        exam.save(update_fields=["event_count"])
        return exam

    return make


@pytest.fixture
def rx_unit(make_device, make_exam) -> Callable[..., dict[str, Any]]:
    """Return a builder of the radiography scenario (see :func:`build_rx_unit`)."""

    def build(values: list[float], *, mapping: bool = True) -> dict[str, Any]:
        return build_rx_unit(make_device, make_exam, values, mapping=mapping)

    return build
