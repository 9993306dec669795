"""Alert thresholds straddled (a value at the threshold raises the alert, just below does not),
the cumulation window straddled (59 and 60 days add up, 61 do not), whatever the import order;
a recomputation updates, never duplicates, and keeps the follow-up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kerma.web.followup.alerts import evaluate_exam
from kerma.web.followup.models import Alert, AlertSettings, SkinDoseMap

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("quantity", "field", "threshold"),
    [("kar", "kar", 5000.0), ("dap", "dap", 500.0), ("fluoro_time", "fluoro", 3600.0)],
)
@pytest.mark.parametrize(("delta", "raised"), [(-0.1, False), (0.0, True), (0.1, True)])
def test_procedure_threshold_straddled(room, procedure, quantity, field, threshold, delta, raised):
    values = {"kar": 100.0, "dap": 10.0, "fluoro": 60.0, field: threshold + delta}
    exam = procedure(room(), DAY, **values)
    new = evaluate_exam(exam)
    found = Alert.objects.filter(exam=exam, scope="procedure", quantity=quantity)
    assert found.exists() is raised
    assert len(new) == (1 if raised else 0)
    if raised:
        alert = found.get()
        assert alert.value == pytest.approx(threshold + delta)
        assert alert.threshold == threshold and alert.state == "open"


@pytest.mark.parametrize(("psd", "raised"), [(2999.9, False), (3000.0, True), (3000.1, True)])
def test_peak_skin_dose_threshold_straddled(room, procedure, psd, raised):
    exam = procedure(room(), DAY, kar=2500.0)
    SkinDoseMap.objects.create(exam=exam, status="ok", method="map", psd_mgy=psd)
    evaluate_exam(exam)
    assert Alert.objects.filter(exam=exam, quantity="psd").exists() is raised


def test_thresholds_are_per_unit_and_can_be_switched_off(room, procedure, units):
    settings = AlertSettings.for_unit(units["other"])
    settings.kar_mgy = 8000.0
    settings.dap_gycm2 = None  # not checked
    settings.save()
    exam = procedure(room("other-room", unit="other"), DAY, kar=6000.0, dap=900.0)
    evaluate_exam(exam)
    assert not Alert.objects.filter(exam=exam).exists()
    main = procedure(room(), DAY, kar=6000.0, dap=900.0)  # default unit: 5 Gy, 500 Gy.cm2
    evaluate_exam(main)
    assert set(Alert.objects.filter(exam=main).values_list("quantity", flat=True)) == {
        "kar",
        "dap",
    }


@pytest.mark.parametrize(("days", "raised"), [(59, True), (60, True), (61, False)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_window_straddled(room, procedure, days, raised, reverse):
    device = room()
    first = procedure(device, DAY, kar=3000.0, dap=100.0)
    second = procedure(device, DAY + timedelta(days=days), kar=2500.0, dap=100.0)
    # Import order does not matter: the later procedure's cumulation is re-evaluated.
    for exam in (second, first) if reverse else (first, second):
        evaluate_exam(exam)
    alerts = Alert.objects.filter(scope="cumulative", quantity="kar")
    assert alerts.exists() is raised
    assert not Alert.objects.filter(scope="procedure").exists()  # each one below 5 Gy
    if raised:
        alert = alerts.get()
        assert alert.exam == second  # anchored on the procedure that made it reach
        assert alert.value == pytest.approx(5500.0)
        assert alert.window_days == 60
        assert sorted(alert.exam_ids) == sorted([first.pk, second.pk])


def test_other_patients_do_not_add_up(room, procedure):
    device = room()
    evaluate_exam(procedure(device, DAY, kar=3000.0, patient="a"))
    evaluate_exam(procedure(device, DAY + timedelta(days=5), kar=3000.0, patient="b"))
    assert not Alert.objects.exists()


def test_recompute_updates_without_duplicating_and_keeps_the_follow_up(room, procedure):
    exam = procedure(room(), DAY, kar=6000.0)
    assert len(evaluate_exam(exam)) == 1
    alert = Alert.objects.get()
    alert.state, alert.decision = "acknowledged", "letter"
    alert.save()
    exam.kar_total_mgy = 6200.0
    exam.save()
    assert evaluate_exam(exam) == []  # nothing new
    alert.refresh_from_db()
    assert Alert.objects.count() == 1
    assert alert.value == pytest.approx(6200.0)
    assert (alert.state, alert.decision) == ("acknowledged", "letter")
