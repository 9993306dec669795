"""One radiopharmaceutical administration counted once, separate injections kept apart.

The rule (kerma.exams.same_administration) and its two tolerances are tested on both sides of
each bound, on reports built here as a dose SR and as PET image headers would give them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kerma.dose import DoseReport, Event
from kerma.exams import (
    SAME_ADMINISTRATION_ACTIVITY,
    SAME_ADMINISTRATION_WINDOW,
    combine_reports,
    same_administration,
)

INJECTED = datetime(2025, 3, 4, 9, 12)


def _administration(uid: str, mbq: float, when: datetime | None, **names: str) -> Event:
    return Event(
        kind="nm",
        uid=uid,
        activity_mbq=mbq,
        started=when,
        radionuclide=names.get("radionuclide", "F-18"),
        radiopharmaceutical=names.get("radiopharmaceutical", "Fluorodeoxyglucose"),
    )


def _report(sop: str, source: str, *events: Event) -> DoseReport:
    report = DoseReport(sop, "1.2", source, "PT" if source == "image" else "NM", "1.2.3.study")
    report.events.extend(events)
    report.totals["activity_mbq"] = sum(e.activity_mbq or 0.0 for e in events)
    report.totals["radionuclide"] = ", ".join(sorted({e.radionuclide for e in events}))
    return report


def _exam(*reports: DoseReport) -> tuple[list[Event], dict]:
    events, totals, _ = combine_reports(list(reports))
    return events, totals


@pytest.mark.parametrize("order", ["sr-first", "images-first"])
def test_sr_and_pet_header_carrying_one_injection_count_once(order):
    sr = _report("sr", "rrdsr", _administration("sr-adm", 394.0, INJECTED))
    # The header writes the activity in Bq (converted by the reader) and its own clock's time.
    header = _report(
        "img", "image", _administration("nm:img", 394.0, INJECTED + timedelta(minutes=4))
    )
    reports = (sr, header) if order == "sr-first" else (header, sr)
    events, totals = _exam(*reports)
    assert len(events) == 1
    assert events[0].uid == "sr-adm"  # the dose SR's administration is the one kept
    assert totals["activity_mbq"] == pytest.approx(394.0)


@pytest.mark.parametrize(
    ("minutes", "same"),
    [(SAME_ADMINISTRATION_WINDOW.total_seconds() / 60 - 0.5, True),
     (SAME_ADMINISTRATION_WINDOW.total_seconds() / 60 + 0.5, False)],
)
def test_time_window_on_both_sides_of_its_bound(minutes, same):
    a = _administration("a", 394.0, INJECTED)
    b = _administration("b", 394.0, INJECTED + timedelta(minutes=minutes))
    assert same_administration(a, b) is same
    _, totals = _exam(_report("sr", "rrdsr", a), _report("img", "image", b))
    assert totals["activity_mbq"] == pytest.approx(394.0 if same else 788.0)


@pytest.mark.parametrize(
    ("relative", "same"),
    [(SAME_ADMINISTRATION_ACTIVITY * 0.9, True), (SAME_ADMINISTRATION_ACTIVITY * 1.1, False)],
)
def test_activity_tolerance_on_both_sides_of_its_bound(relative, same):
    a = _administration("a", 400.0, INJECTED)
    b = _administration("b", 400.0 * (1 - relative), INJECTED + timedelta(minutes=2))
    assert same_administration(a, b) is same


def test_rest_and_stress_injections_stay_two():
    rest = _administration("rest", 300.0, INJECTED, radionuclide="Tc-99m",
                           radiopharmaceutical="Tetrofosmin")
    stress = _administration("stress", 300.0, INJECTED + timedelta(hours=1), radionuclide="Tc-99m",
                             radiopharmaceutical="Tetrofosmin")
    sr = _report("sr", "rrdsr", rest, stress)
    header = _report("img", "image", _administration(
        "nm:img", 300.0, INJECTED + timedelta(hours=1, minutes=3), radionuclide="Tc-99m",
        radiopharmaceutical="Tetrofosmin"))
    events, totals = _exam(sr, header)
    assert sorted(e.uid for e in events) == ["rest", "stress"]
    assert totals["activity_mbq"] == pytest.approx(600.0)


def test_two_day_protocol_stays_two():
    day1 = _report("d1", "rrdsr", _administration("d1", 400.0, INJECTED, radionuclide="Tc-99m"))
    day2 = _report("d2", "rrdsr", _administration(
        "d2", 400.0, INJECTED + timedelta(days=1), radionuclide="Tc-99m"))
    _, totals = _exam(day1, day2)
    assert totals["activity_mbq"] == pytest.approx(800.0)


def test_two_tracers_at_the_same_moment_stay_two():
    fdg = _administration("fdg", 200.0, INJECTED)
    psma = _administration("psma", 200.0, INJECTED + timedelta(minutes=2), radionuclide="Ga-68",
                           radiopharmaceutical="PSMA-11")
    choline = _administration("chol", 200.0, INJECTED + timedelta(minutes=2),
                              radiopharmaceutical="Fluorocholine")
    assert not same_administration(fdg, psma)
    assert not same_administration(fdg, choline)
    _, totals = _exam(_report("a", "rrdsr", fdg), _report("b", "image", psma, choline))
    assert totals["activity_mbq"] == pytest.approx(600.0)


def test_two_injections_of_one_report_are_never_merged():
    first = _administration("one", 394.0, INJECTED)
    second = _administration("two", 394.0, INJECTED + timedelta(minutes=1))
    events, totals = _exam(_report("sr", "rrdsr", first, second))
    assert len(events) == 2 and totals["activity_mbq"] == pytest.approx(788.0)


def test_without_an_injection_time_nothing_is_merged():
    a = _administration("a", 394.0, INJECTED)
    b = _administration("b", 394.0, None)
    assert not same_administration(a, b)
