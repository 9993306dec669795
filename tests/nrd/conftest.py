"""Factories for the NRD rule tests: plain exams, no database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest

from kerma.nrd import Acquisition, ExamRecord
from kerma.reference import ReferenceSet, load_reference_set


@pytest.fixture(scope="session")
def ref2019() -> ReferenceSet:
    return load_reference_set("fr-2019-DC-0667")


@pytest.fixture(scope="session")
def ref2011() -> ReferenceSet:
    return load_reference_set("fr-2011-arrete")


def ct_helix(uid: str, ctdivol: float, dlp: float, **kw: Any) -> Acquisition:
    """A CT spiral acquisition on the 32 cm phantom unless told otherwise."""
    values: dict[str, Any] = {
        "acquisition_type": "spiral",
        "protocol": "Thorax-Abdomen-Pelvis",
        "phantom_cm": 32,
    }
    values.update(kw)
    return Acquisition(uid, ctdivol_mgy=ctdivol, dlp_mgycm=dlp, **values)


@pytest.fixture
def helix() -> Callable[..., Acquisition]:
    """Return :func:`ct_helix` (a CT spiral acquisition factory)."""
    return ct_helix


@pytest.fixture
def make_exam() -> Callable[..., ExamRecord]:
    """Return a factory: ``make_exam(i, **fields)`` → an adult exam on day ``i`` of 2024."""

    def make(i: int = 0, **kw: Any) -> ExamRecord:
        values: dict[str, Any] = {
            "study_uid": f"1.2.3.{i}",
            "study_date": date(2024, 1, 1) + timedelta(days=i // 4),
            "study_time": time(8 + i % 4, 0),
            "device_id": "CT1",
            "act_code": "CT-TAP",
            "age_years": 60.0,
            "weight_kg": 70.0,
            "height_m": 1.75,
        }
        values.update(kw)
        return ExamRecord(**values)

    return make


@pytest.fixture
def ct_exam(make_exam: Callable[..., ExamRecord]) -> Callable[..., ExamRecord]:
    """Return a factory: a CT-TAP exam with a localizer and one helix of the given values."""

    def make(i: int = 0, ctdivol: float = 10.0, dlp: float = 700.0, **kw: Any) -> ExamRecord:
        acquisitions = (
            Acquisition(f"ev.{i}.0", "constant_angle", "Topogram", ctdivol_mgy=0.1, dlp_mgycm=5.0),
            ct_helix(f"ev.{i}.1", ctdivol, dlp),
        )
        kw.setdefault("acquisitions", acquisitions)
        return make_exam(i, **kw)

    return make
