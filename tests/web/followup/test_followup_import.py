"""A real interventional RDSR imported through the ingest pipeline gets its skin-dose map at
import; a failing map never stops the import; the exports (JSON, DICOM SR) of that map."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import SHARED_RDSR, needs_shared
from tests.dicom.write.test_skin_dose_sr import check_dsrdump_reads, check_sr_file

from kerma.ingest.pipeline import import_paths
from kerma.web.dose.models import Exam
from kerma.web.followup.dicom_sr import sr_bytes
from kerma.web.followup.exports import exam_document
from kerma.web.followup.models import RoomGeometry, SkinDoseMap
from kerma.web.followup.skin import ensure_png

pytestmark = [pytest.mark.django_db, needs_shared]

AXIOM = "siemens_axiom_artis.dcm"


def _import(tmp_path: Path, name: str = AXIOM) -> Exam:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    shutil.copy(SHARED_RDSR / name, folder / name)
    summary = import_paths([folder / name])
    assert summary.imported == 1, summary.as_dict()
    return Exam.objects.get()


def test_map_is_computed_at_import(kerma_home, tmp_path):
    exam = _import(tmp_path)
    row = SkinDoseMap.objects.get(exam=exam)
    assert row.status == "ok", row.error
    assert row.method == "map"
    assert row.events_used > 0
    assert 0 < row.psd_mgy < 20_000
    # A map below 1 Gy gets its picture when first shown (drawing costs as much as the map).
    assert row.png is None
    assert ensure_png(row).startswith(b"\x89PNG\r\n\x1a\n")
    assert bytes(SkinDoseMap.objects.get(exam=exam).png).startswith(b"\x89PNG")
    assert row.provenance["kerma_version"]
    assert row.provenance["room_source"] == "vendor defaults"
    assert "corrections" in row.provenance and "phantom" in row.provenance


def test_the_3d_mesh_is_made_when_first_shown_then_kept(kerma_home, tmp_path):
    from kerma.web.followup.skin import load_mesh

    exam = _import(tmp_path)
    row = SkinDoseMap.objects.get(exam=exam)
    assert row.mesh_json is None  # not made at import: it would double the map's time
    mesh = load_mesh(row)
    assert len(mesh["x"]) == len(mesh["dose_mgy"]) > 1000
    assert max(mesh["dose_mgy"]) == pytest.approx(row.psd_mgy, rel=1e-3)
    assert SkinDoseMap.objects.get(exam=exam).mesh_json is not None


def test_failing_map_is_recorded_and_the_exam_stays(kerma_home, tmp_path, units):
    # The device exists before its report arrives, with settings the engine refuses.
    first = _import(tmp_path)
    device = first.device
    RoomGeometry(device=device, phantom="no-such-phantom").save()
    first.delete()
    summary = import_paths([tmp_path / "in" / AXIOM])
    assert summary.imported == 1 and not summary.quarantined
    exam = Exam.objects.get()
    row = SkinDoseMap.objects.get(exam=exam)
    assert row.status == "failed" and "no-such-phantom" in row.error
    assert exam.event_count > 0


def test_json_document_and_dicom_sr(kerma_home, tmp_path):
    exam = _import(tmp_path)
    row = SkinDoseMap.objects.get(exam=exam)
    document = json.loads(json.dumps(exam_document(exam)))
    assert document["format"] == "kerma.skin-dose/1"
    assert set(document) >= {"kerma_version", "generated_at", "exam", "skin_dose", "alerts"}
    assert set(document["exam"]) >= {"study_uid", "device", "patient", "totals"}
    assert "patient_id" not in document["exam"]["patient"]  # pseudonymised by default
    skin = document["skin_dose"]
    assert skin["psd_mgy"] == pytest.approx(row.psd_mgy)
    assert set(skin["area_above_mgy_cm2"]) == {"2000", "3000", "5000"}
    assert len(skin["dose_map_mgy"]) > 1
    assert max(max(line) for line in skin["dose_map_mgy"]) == pytest.approx(row.psd_mgy, abs=1e-3)

    path = tmp_path / "prdsr.dcm"
    path.write_bytes(sr_bytes(exam, row))
    # The pseudonym, not the identifier, as patient ID.
    check_sr_file(path, study_uid=exam.study_uid, patient_id=exam.patient_key, psd_mgy=row.psd_mgy)
    check_dsrdump_reads(path)


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_exam_page_shows_the_3d_view(kerma_home, tmp_path, admin_client):
    exam = _import(tmp_path)
    page = admin_client.get(f"/exams/{exam.pk}/").content.decode()
    assert "kerma/vendor/plotly.min.js" in page and 'id="skin-3d"' in page
    mesh = admin_client.get(f"/followup/exams/{exam.pk}/skin-dose-mesh.json").json()
    assert len(mesh["x"]) == len(mesh["dose_mgy"]) > 100
    assert max(mesh["dose_mgy"]) == pytest.approx(SkinDoseMap.objects.get().psd_mgy, rel=0.01)
    # The beams of the events contributing most, to be drawn one at a time, and the room
    # settings that placed them.
    assert 'id="skin-3d-beam"' in page
    assert "valeurs par défaut de la famille Siemens AXIOM-Artis" in page
    assert mesh["room"] == "Siemens AXIOM-Artis defaults"
    assert 1 <= len(mesh["beams"]) <= 5
    assert {"source", "corners", "index"} <= set(mesh["beams"][0])
    assert admin_client.get(f"/followup/exams/{exam.pk}/skin-dose.png").content[:4] == b"\x89PNG"


def test_philips_private_geometry_gives_a_map_at_import(kerma_home, tmp_path):
    exam = _import(tmp_path, "philips_allura_clarity_u601.dcm")
    row = SkinDoseMap.objects.get(exam=exam)
    assert row.status == "ok", row.error
    assert row.method == "map" and row.events_used == 29


def test_rotational_runs_and_filters_are_stored_and_spread(kerma_home, tmp_path):
    from tests.vendor_layouts import make_rotational, room_report

    from kerma.web.dose.models import Event

    path = room_report(tmp_path / "rot.dcm", "Siemens Artis zee/Q/icono", [(-60.0, 0.0)],
                       fluoroscopy_too=True)
    make_rotational(path, 60.0)
    summary = import_paths([path])
    assert summary.imported == 1, summary.as_dict()
    event = Event.objects.get(event_type="rotational")
    assert event.primary_angle_end_deg == pytest.approx(60.0)
    assert event.event_type == "rotational"
    row = SkinDoseMap.objects.get(exam=event.exam)
    assert row.status == "ok", row.error
    assert row.provenance["rotational"]["events"] == 1
