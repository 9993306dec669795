"""No English sentence of the core on a French exam page: the reader's warnings on a report, the
exam's notes and the skin-dose map's warnings are notices, worded in the page's language; rows
stored before notices still show their English text."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from pathlib import Path
from string import Formatter

import pytest
from pydicom.uid import generate_uid
from tests.ingest.test_report_series import CARDIO, PATIENT, START
from tests.web.followup.conftest import PASSWORD

from kerma.dicom import wording as dicom_words
from kerma.dicom import write as w
from kerma.ingest.pipeline import import_paths
from kerma.notices import Notice, declared_codes, wording
from kerma.skindose import wording as skin_words
from kerma.web.accounts.roles import PHYSICIST
from kerma.web.dose.models import Exam, Report
from kerma.web.followup.models import RoomGeometry, SkinDoseMap
from kerma.web.followup.skin import compute_for_exam

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# A tube current written as this number, then spoiled in the file into text that is no number.
CURRENT, SPOILED = b"123.4567", b"12x.4567"
HEIGHT_MM = 150.5  # the table height the room assumes (a decimal comma in French)


def _event(i: int, **values: float) -> w.ProjectionEvent:
    """A fluoroscopy event with its geometry, without kVp nor table height (both assumed)."""
    return w.ProjectionEvent(
        "fluoroscopy",
        START + timedelta(minutes=i),
        5.0,
        kar_mgy=40.0,
        irradiation_duration_s=30.0,
        primary_angle_deg=0.0,
        secondary_angle_deg=0.0,
        source_isocenter_mm=765.0,
        source_detector_mm=1100.0,
        table_longitudinal_mm=0.0,
        table_lateral_mm=0.0,
        field_width_mm=200.0,
        field_height_mm=200.0,
        event_uid=f"2.25.{7000 + i}",
        **values,
    )


def _import_spoiled_report(folder: Path) -> Exam:
    """Import an RDSR one of whose numeric values is not a number; return its exam, whose
    room assumes the table height the report leaves out."""
    folder.mkdir()
    path = w.write_projection_rdsr(
        folder / "spoiled.dcm",
        PATIENT,
        CARDIO,
        w.Study(generate_uid(), "ACC9", "CORONAROGRAPHIE", START),
        [_event(0, tube_current_ma=float(CURRENT)), _event(1)],
    )
    data = Path(path).read_bytes()
    assert data.count(CURRENT) == 1
    Path(path).write_bytes(data.replace(CURRENT, SPOILED))
    assert import_paths([folder]).imported == 1
    exam = Exam.objects.get()
    RoomGeometry.objects.create(
        device=exam.device, settings={"assumed": {"table_height_mm": HEIGHT_MM}}
    )
    return exam


def _import_into_unit(folder: Path, unit) -> Exam:
    """Import the spoiled report and put its device in ``unit``; return the exam."""
    exam = _import_spoiled_report(folder)
    exam.device.unit = unit
    exam.device.save()
    return exam


def _page(client, exam: Exam, language: str) -> str:
    return unescape(
        client.get(f"/exams/{exam.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )


def test_the_exam_page_words_the_reports_and_the_maps_warnings_in_french(
    client, user, units, kerma_home, tmp_path
):
    exam = _import_into_unit(tmp_path / "in", units["main"])
    report = Report.objects.get(exam=exam)
    codes = [item["code"] for item in report.warning_notices]
    assert dicom_words.VALUE_NOT_A_NUMBER in codes
    # The English text stays where it was (scripts, exports, older readers).
    assert "is not a number; skipped" in report.warnings and exam.notices
    skin = compute_for_exam(exam, png=False)
    skin_codes = {item["code"] for item in skin.result_json["warning_notices"]}
    assert {skin_words.KVP_ASSUMED, skin_words.ASSUMED_VALUE} <= skin_codes
    assert skin.warnings == [item["text"] for item in skin.result_json["warning_notices"]]

    assert client.login(username=user(PHYSICIST).username, password=PASSWORD)
    french, english = _page(client, exam, "fr"), _page(client, exam, "en")
    stored = report.warning_notices + skin.result_json["warning_notices"]
    for item in stored:
        found = Notice.from_dict(item)
        assert found.text("fr") in french and found.text("en") not in french, found.code
        assert found.text("en") in english, found.code
    assert "n'est pas un nombre ; ignorée" in french
    assert "kV supposés" in french and "kV assumed" not in french
    assert "la valeur supposée de la salle, 150,5, a été utilisée" in french
    assert "is not a number" not in french and "missing in" not in french
    # The exam's notes repeat the report's warning: the page says it once.
    assert french.count("n'est pas un nombre ; ignorée") == 1


def test_rows_stored_before_notices_show_their_english_text(
    client, user, units, kerma_home, tmp_path
):
    exam = _import_into_unit(tmp_path / "in", units["main"])
    skin = compute_for_exam(exam, png=False)
    Report.objects.filter(exam=exam).update(warning_notices=[])
    Exam.objects.filter(pk=exam.pk).update(notices=[])
    SkinDoseMap.objects.filter(pk=skin.pk).update(result_json={})
    assert client.login(username=user(PHYSICIST).username, password=PASSWORD)
    french = _page(client, exam, "fr")
    for line in Report.objects.get(exam=exam).warnings.splitlines() + skin.warnings:
        assert line in french


def test_every_code_of_the_exam_page_has_french_words_with_the_same_parameters():
    prefixes = ("dicom.", "exams.", "plausibility.", "skindose.warn.", "dose.")
    codes = sorted(c for c in declared_codes() if c.startswith(prefixes))
    assert {dicom_words.VALUE_NOT_A_NUMBER, skin_words.KVP_ASSUMED} <= set(codes)
    for code in codes:
        en, fr = wording(code, "en"), wording(code, "fr")
        fields = [{name for _, name, _, _ in Formatter().parse(t) if name} for t in (en, fr)]
        assert fields[0] == fields[1], code


def test_the_maps_provenance_reads_in_french_not_as_a_data_dump(
    client, user, units, kerma_home, tmp_path
):
    exam = _import_into_unit(tmp_path / "in", units["main"])
    skin = compute_for_exam(exam, png=False)
    assert skin.provenance["room_source"] == "device settings"
    assert client.login(username=user(PHYSICIST).username, password=PASSWORD)
    french, english = _page(client, exam, "fr"), _page(client, exam, "en")
    assert "Fantôme" in french and "humain stylisé" in french
    assert "taille 1780 mm, poids 80 kg" in french
    assert "Loi de l'inverse du carré de la distance" in french and "appliquée" in french
    assert "les réglages propres à l'appareil — valeurs par défaut de la famille" in french
    assert "transmission 0,8 en incidence normale" in french and "2,5 mm Al" in french
    # Cited sources stay as cited; the raw keys of the stored data do not reach the page.
    assert "Benmakhlouf" in french
    for raw in ("inverse_square", "table_and_mattress", "'applied'", "device settings"):
        assert raw not in french, raw
    assert "stylised human" in english and "the device's own settings" in english
