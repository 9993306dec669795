"""``kerma patient ssde-from-images`` against a real Orthanc over loopback: a CT dose report
without SSDE or Dw, and axial images of water cylinders written by pydicom; Kerma retrieves a few
images, measures Dw (AAPM Report 220) and the SSDE follows TG-204's factor for that Dw instead
of the weight and height estimate. The exam page, the patient record and ``kerma patient show
--json`` say which method gave each SSDE. A PACS that is down changes nothing."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date, datetime, timedelta

import pydicom
import pytest
from django.urls import reverse
from pydicom.uid import RLELossless, generate_uid
from tests.conftest import free_port
from tests.orthanc import NOT_INSTALLED, orthanc_binary, start_orthanc
from tests.patients.test_water_equivalent import cylinder_hu, write_ct_image
from typer.testing import CliRunner

from kerma.cli.main import app
from kerma.dicom import write as w
from kerma.dicom.axial import AxialImage, AxialSeries, evenly_spaced, series_for_event
from kerma.web.dose.models import Exam
from kerma.web.patients.models import ImageDiameter

runner = CliRunner()
DEVICE = w.Device("SIEMENS", "SOMATOM go.Top", "SN-SSDE", "CTSSDE",
                  "1.2.826.0.1.3680043.10.6.77", "CH Test")
DAY = date.today() - timedelta(days=3)
START = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=10)
# 80 kg, 1.80 m: a water cylinder of that mass and height is 23.8 cm across (the estimate the
# images must replace).
PATIENT = w.Patient("SSDE1", "SSDE^IMAGES", date(1970, 1, 1), "M", 56.0, 80.0, 1.8)


def tg204_factor_32cm(dw_cm: float) -> float:
    """TG-204 (AAPM Report 204, 2011) fit for the 32 cm phantom, written out by hand."""
    return 3.704369 * math.exp(-0.03671937 * dw_cm)


def _image(folder, study_uid, series_uid, number, diameter_mm, **extra):
    return write_ct_image(
        folder / f"{series_uid[-6:]}-{number}.dcm", cylinder_hu(diameter_mm, 0.0, size=360),
        StudyInstanceUID=study_uid, SeriesInstanceUID=series_uid, InstanceNumber=number,
        PatientID=PATIENT.patient_id, PatientName=PATIENT.name,
        StudyDate=DAY.strftime("%Y%m%d"), **extra)


@pytest.fixture(scope="module")
def pacs(tmp_path_factory):
    """Orthanc holding two CT studies whose dose reports have no SSDE and no Dw.

    Study A: an axial series of 5 images of a 300 mm water cylinder, a 2-image series of a
    200 mm one, and 6 localizer images (more images, but not axial): the largest axial series
    is measured. Study B: its 3-image 220 mm series (RLE-compressed) carries the event's
    Irradiation Event UID, the larger 250 mm series does not: the event's own series is
    measured."""
    if orthanc_binary() is None:
        pytest.skip(NOT_INSTALLED)
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    folder = tmp_path_factory.mktemp("objects")
    studies = {}
    for name in ("A", "B"):
        study = w.Study(generate_uid(), f"SSDE{name}", "TDM ABDO", START)
        event = generate_uid()
        report = w.write_ct_rdsr(folder / f"{name}.dcm", PATIENT, DEVICE, study, [
            w.CtAcquisition("SCOUT", "abdomen", "constant_angle", START, 0.1, 1.0),
            w.CtAcquisition("ABDO", "abdomen", "spiral", START + timedelta(minutes=1), 10.0,
                            400.0, event_uid=event)])
        studies[name] = (study.study_instance_uid, event, report)
        server.upload(report)
    study_a = studies["A"][0]
    big, small, scout = generate_uid(), generate_uid(), generate_uid()
    for number in range(1, 6):
        server.upload(_image(folder, study_a, big, number, 300.0))
    for number in range(1, 3):
        server.upload(_image(folder, study_a, small, number, 200.0))
    for number in range(1, 7):
        server.upload(write_ct_image(
            folder / f"scout-{number}.dcm", cylinder_hu(300.0, 0.0, size=32),
            image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"), StudyInstanceUID=study_a,
            SeriesInstanceUID=scout, InstanceNumber=number, PatientID=PATIENT.patient_id))
    study_b, event_b, _ = studies["B"]
    own, larger = generate_uid(), generate_uid()
    for number in range(1, 4):  # stored RLE-compressed: the PACS sends what Kerma decodes
        path = _image(folder, study_b, own, number, 220.0, IrradiationEventUID=event_b)
        compressed = pydicom.dcmread(path)
        compressed.compress(RLELossless)
        compressed.save_as(path, enforce_file_format=True)
        server.upload(path)
    for number in range(1, 6):
        server.upload(_image(folder, study_b, larger, number, 250.0))
    server.studies = studies
    yield server
    server.stop()


def run(*args: str):
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _ssde_by_protocol(key: str, study_uid: str) -> dict[str, dict]:
    record = json.loads(run("patient", "show", key, "--json").stdout)
    exam = next(e for e in record["exams"] if e["study_uid"] == study_uid)
    return {s["protocol"]: s for s in exam["ssde"]}


@pytest.mark.django_db
def test_dw_from_axial_images_replaces_the_weight_height_estimate(pacs, client, units,
                                                                 settings):
    paths = [str(report) for _, _, report in pacs.studies.values()]
    assert run("import", *paths).exit_code == 0
    study_a, event_a, _ = pacs.studies["A"]
    study_b, event_b, _ = pacs.studies["B"]
    key = Exam.objects.get(study_uid=study_a).patient_key
    before = _ssde_by_protocol(key, study_a)["ABDO"]
    assert before["method"] == "dw_estimated_from_weight_height"
    assert before["dw_cm"] == pytest.approx(23.8, abs=0.05)

    # a PACS that is down: a clear message naming it, exit code 1, nothing stored
    down = f"NOBODY@127.0.0.1:{free_port()}"
    result = run("patient", "ssde-from-images", "--peer", down, "--json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["reached"] is False and answer["events_measured"] == 0
    assert any(down in failure for failure in answer["failures"])
    assert not ImageDiameter.objects.exists()
    assert _ssde_by_protocol(key, study_a)["ABDO"] == before

    peer = f"{pacs.aet}@127.0.0.1:{pacs.port}"
    result = run("patient", "ssde-from-images", "--peer", peer, "--from", DAY.isoformat(),
                 "--to", DAY.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    # the localizers (constant angle) are not measured: one event per study
    assert answer["studies_asked"] == 2 and answer["events_measured"] == 2
    measured = {m["event_uid"]: m for m in answer["measured"]}
    assert measured[event_a]["images"] == 3 and measured[event_a]["dw_cm"] == pytest.approx(
        30.0, abs=0.1)
    assert measured[event_a]["series_match"] == "largest_axial_series"
    assert measured[event_b]["images"] == 3 and measured[event_b]["dw_cm"] == pytest.approx(
        22.0, abs=0.1)
    assert measured[event_b]["series_match"] == "irradiation_event"
    assert measured[event_a]["method"] == "Dw from axial images (AAPM 220)"

    after = _ssde_by_protocol(key, study_a)["ABDO"]
    assert after["method"] == "tg220_dw_from_axial_images" and after["dw_images"] == 3
    # by hand: 10 mGy x 3.704369 exp(-0.03671937 x 30.0) = 12.31 mGy (TG-204 Table 1: 1.23)
    assert after["ssde_mgy"] == pytest.approx(10.0 * tg204_factor_32cm(30.0), abs=0.02)
    assert after["ssde_mgy"] == pytest.approx(12.31, abs=0.02)
    assert _ssde_by_protocol(key, study_b)["ABDO"]["ssde_mgy"] == pytest.approx(
        10.0 * tg204_factor_32cm(22.0), abs=0.02)
    # A localizer's CTDIvol gets no SSDE (TG-204 is for axial and helical scans) unless the
    # device reported one.
    assert "SCOUT" not in _ssde_by_protocol(key, study_a)

    # a second run measures nothing new
    again = json.loads(run("patient", "ssde-from-images", "--peer", peer, "--json").stdout)
    assert again["studies_asked"] == 0 and again["events_measured"] == 0

    # the exam page and the patient record say the method
    from kerma.web.accounts.roles import create_user

    exam = Exam.objects.get(study_uid=study_a)
    exam.device.unit = units["main"]
    exam.device.save()
    client.force_login(create_user("rad-ssde", "x-Pass-12345", "radiographer", [units["main"]]))
    settings.LANGUAGE_CODE = "en"
    page = client.get(reverse("exam_detail", args=[exam.pk])).content.decode()
    assert 'data-method="tg220_dw_from_axial_images"' in page
    assert "Dw from axial images (AAPM 220)" in page and "mean of 3 images" in page
    record = client.get(reverse("patients_record", args=[key])).content.decode()
    assert "Dw from axial images (AAPM 220)" in record and "12.31" in record


def _series(uid: str, count: int, event: str = "") -> AxialSeries:
    return AxialSeries(uid, "", [AxialImage(uid, f"{uid}.{n}", n, event)
                                 for n in range(1, count + 1)])


def test_images_are_evenly_spaced_and_one_is_the_middle():
    images = _series("s", 9).images
    assert [i.instance_number for i in evenly_spaced(images, 1)] == [5]
    assert [i.instance_number for i in evenly_spaced(images, 3)] == [2, 5, 8]
    assert len(evenly_spaced(images, 20)) == 9


def test_the_event_own_series_wins_over_the_largest():
    own, large = _series("own", 2, event="E1"), _series("large", 40)
    assert series_for_event([large, own], "E1") == (own, "irradiation_event")
    assert series_for_event([large, own], "E2") == (large, "largest_axial_series")
    assert series_for_event([], "E1") is None


def test_back_fill_with_ssde_images_measures_what_it_imported(pacs, tmp_path):
    """``kerma dicom retrieve --ssde-images`` (its own process and KERMA_HOME): the dose
    reports come in, then the Dw of their CT events from the axial images of the same PACS."""
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(tmp_path / "home")
    peer = f"{pacs.aet}@127.0.0.1:{pacs.port}"
    done = subprocess.run(
        [sys.executable, "-m", "kerma.cli", "dicom", "retrieve", "--from", peer, "--since",
         DAY.isoformat(), "--until", DAY.isoformat(), "--ssde-images", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["imported"] == 2 and summary["ssde_images"]["events_measured"] == 2
    by_dw = sorted(m["dw_cm"] for m in summary["ssde_images"]["measured"])
    assert by_dw == [pytest.approx(22.0, abs=0.1), pytest.approx(30.0, abs=0.1)]
    assert {m["ssde"]["method"] for m in summary["ssde_images"]["measured"]} == {
        "tg220_dw_from_axial_images"}
