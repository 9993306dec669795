"""Plausibility limits: a value a modality cannot have given is refused with the concept named;
the bounds themselves are accepted."""

import json
import math
from datetime import date, datetime

import pydicom
import pytest

from kerma.dicom import write as writer
from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError, DoseReport, Event, PatientInfo
from kerma.notices import Notice
from kerma.plausibility import EVENT_LIMITS, TOTAL_LIMITS, check_report


def report(**event_values) -> DoseReport:
    return DoseReport(
        "1.2.3.4",
        "1.2.840.10008.5.1.4.1.1.88.67",
        "rdsr",
        "RF",
        "1.2.3",
        events=[Event("projection", uid="9.8.7", **event_values)],
    )


@pytest.mark.parametrize("field", ["dap_gycm2", "kar_mgy", "ctdivol_mgy", "activity_mbq"])
def test_a_negative_dose_is_refused_zero_is_kept(field):
    assert check_report(report(**{field: 0.0})).events[0].as_dict()[field] == 0.0
    with pytest.raises(DoseObjectError, match=rf"event 1 \(9.8.7\): {field} = -0.001 is outside"):
        check_report(report(**{field: -0.001}))


def test_each_upper_bound_is_kept_and_just_above_is_refused():
    for field, limit in EVENT_LIMITS.items():
        value = int(limit.high) if field == "frames" else limit.high
        check_report(report(**{field: value}))
        with pytest.raises(DoseObjectError) as caught:
            check_report(report(**{field: limit.high * 1.001 + 1}))
        assert caught.value.notice.params["field"] == field
        assert "limites de plausibilité" in caught.value.notice.text("fr")


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_infinite_and_nan_are_refused_not_emptied(value):
    with pytest.raises(DoseObjectError, match="dap_gycm2 is not a finite number"):
        check_report(report(dap_gycm2=value))


def test_absurd_total_is_refused():
    bad = report(dap_gycm2=1.0)
    bad.totals["dap_total_gycm2"] = TOTAL_LIMITS["dap_total_gycm2"].high * 2
    with pytest.raises(DoseObjectError, match="dap_total_gycm2"):
        check_report(bad)


def test_absurd_patient_size_is_left_unknown_with_a_warning():
    r = report(dap_gycm2=1.0)
    r.patient = PatientInfo(weight_kg=900.0, height_m=1.7)
    check_report(r)
    assert r.patient.weight_kg is None and r.patient.height_m == 1.7
    assert any("weight_kg = 900" in w for w in r.warnings)


def test_the_patient_size_warning_is_a_notice_worded_in_french_too():
    r = report(dap_gycm2=1.0)
    r.patient = PatientInfo(weight_kg=900.0, height_m=0.05)
    check_report(r)
    assert [n.text("en") for n in r.warning_notices] == r.warnings == [
        "patient weight_kg = 900 is outside [0.2, 400] (a patient weighs between 200 g and "
        "400 kg): left unknown",
        "patient height_m = 0.05 is outside [0.2, 2.6] (a patient is between 20 cm and 2.6 m "
        "tall): left unknown",
    ]
    assert [n.text("fr") for n in r.warning_notices] == [
        "patient : poids (kg) = 900 hors de [0,2, 400] (un patient pèse entre 200 g et "
        "400 kg) : laissé inconnu",
        "patient : taille (m) = 0,05 hors de [0,2, 2,6] (un patient mesure entre 20 cm et "
        "2,6 m) : laissé inconnu",
    ]
    stored = [Notice.from_dict(json.loads(json.dumps(n.to_dict()))) for n in r.warning_notices]
    assert [n.text("fr") for n in stored] == [n.text("fr") for n in r.warning_notices]


def test_a_report_with_1e30_pulses_is_refused_when_read(tmp_path):
    """A real RDSR whose Number of Pulses overflows: refused by the reader, concept named."""
    event = writer.ProjectionEvent(
        "fluoroscopy", datetime(2026, 3, 2, 10), 1.5, 12.0, "Fluoro", number_of_pulses=180
    )
    path = writer.write_projection_rdsr(
        tmp_path / "rf.dcm",
        writer.Patient("1", "X^Y", date(1960, 1, 1), "F", 66.0),
        writer.Device("SIEMENS", "Artis", "1", "ANGIO", "1.2.826.0.1.3680043.8.498.9", "CH"),
        writer.Study("1.2.826.0.1.3680043.8.498.10", "1", "CORO", datetime(2026, 3, 2, 10)),
        [event],
        kind="fluoroscopy",
    )
    assert read_dose_object(path).events[0].frames == 180
    ds = pydicom.dcmread(path)

    def pulses(items):
        for item in items:
            names = item.get("ConceptNameCodeSequence", [])
            if names and names[0].CodeValue == "113768":
                yield item
            yield from pulses(item.get("ContentSequence", []))

    for item in pulses(ds.ContentSequence):
        item.MeasuredValueSequence[0].NumericValue = "1e30"
    ds.save_as(path)
    with pytest.raises(DoseObjectError, match="frames = 1e\\+30 is outside"):
        read_dose_object(path)
