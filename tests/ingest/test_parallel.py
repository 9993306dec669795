"""Large imports parse in worker processes: same result as a sequential import."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.demo import generate_demo
from kerma.ingest.pipeline import import_paths
from kerma.web.dose.models import Event, Exam

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-files")
    files = generate_demo(folder, start=date(2026, 1, 5), days=20, seed=7, scale=0.3)
    assert len(files) >= 40
    return folder


def _state():
    return (
        Exam.objects.count(),
        Event.objects.count(),
        sorted(Exam.objects.values_list("study_uid", "event_count", "dlp_total_mgycm",
                                        "dap_total_gycm2", "activity_mbq")),
    )


def test_parallel_import_stores_what_a_sequential_one_does(kerma_home, demo_files):
    sequential = import_paths([demo_files], workers=1)
    expected = _state()
    Exam.objects.all().delete()
    parallel = import_paths([demo_files], workers=2)
    assert parallel.as_dict() == sequential.as_dict()
    assert _state() == expected
    assert sequential.imported > 0 and not sequential.quarantined


def test_pet_ct_study_is_one_pt_exam_on_a_pet_device(kerma_home, demo_files):
    from kerma.web.dose.models import Device

    import_paths([demo_files / "pet_ct"], workers=1)
    assert set(Exam.objects.values_list("modality", flat=True)) == {"PT"}
    pet_ct = Device.objects.get()
    assert pet_ct.category == "pet"
    exam = Exam.objects.first()
    assert exam.activity_mbq is not None and exam.ctdivol_max_mgy is not None
