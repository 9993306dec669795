"""The demo generator writes every kind of dose object, deterministically."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pydicom
import pytest
from tests.dicom.write.samples import (
    children,
    concept,
    numeric,
)

from kerma.demo import DEMO_DEVICES, generate_demo
from kerma.dicom import write as writer


def digest(files: list[Path], root: Path) -> dict[str, str]:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[Path], list[tuple[int, int]]]:
    """One small demo run (a week, 5 % of the activity), shared by the demo tests."""
    root = tmp_path_factory.mktemp("demo")
    calls: list[tuple[int, int]] = []
    files = generate_demo(
        root / "a",
        start=DEMO_START,
        days=7,
        seed=3,
        scale=0.05,
        progress=lambda done, total: calls.append((done, total)),
    )
    return root, files, calls


DEMO_START = date(2024, 1, 1)


def test_generate_demo_writes_every_kind(demo):
    root, files, calls = demo
    assert calls and calls[-1][0] == calls[-1][1] == len(calls)
    assert {f.parent.name for f in files} == {d.key for d in DEMO_DEVICES}
    sop_classes = set()
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        sop_classes.add(ds.SOPClassUID)
        assert ds.StudyInstanceUID and ds.PatientID
        day = datetime.strptime(ds.StudyDate, "%Y%m%d").date()
        assert DEMO_START <= day < DEMO_START + timedelta(days=7)
    assert sop_classes == {
        writer.XRAY_RDSR_SOP_CLASS,
        writer.RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
        writer.DX_IMAGE_SOP_CLASS,
        writer.MG_IMAGE_SOP_CLASS,
        writer.CT_IMAGE_SOP_CLASS,
        writer.PET_IMAGE_SOP_CLASS,
    }


def test_generate_demo_is_deterministic(demo):
    root, files, _ = demo
    again = generate_demo(root / "b", start=DEMO_START, days=7, seed=3, scale=0.05)
    assert digest(files, root / "a") == digest(again, root / "b")
    other = generate_demo(root / "c", start=DEMO_START, days=7, seed=4, scale=0.05)
    assert digest(files, root / "a") != digest(other, root / "c")


def test_generate_demo_cardiology_reports_are_complete(demo):
    _, files, _ = demo
    cath = [f for f in files if f.parent.name == "cath_lab"]
    ds = pydicom.dcmread(cath[0])
    events = [i for i in ds.ContentSequence if concept(i)[0] == "113706"]
    assert 100 <= len(events) <= 400
    accumulated = [i for i in ds.ContentSequence if concept(i)[0] == "113702"][0]
    total = numeric(children(accumulated, "113722")[0])[0]
    counts: Counter[str] = Counter()
    daps = []
    for event in events:
        for item in event.ContentSequence:
            code = concept(item)[0]
            counts[code] += 1
            if code == "122130":
                daps.append(numeric(item)[0])
    assert total == pytest.approx(math.fsum(daps), rel=1e-9)
    for code in (
        "112011",
        "112012",
        "113748",
        "113750",
        "113751",
        "113752",
        "113753",
        "113733",
        "113771",
        "113738",
        "113769",
    ):
        assert counts[code] == len(events), code
    assert 1 <= total * 1e4 <= 2000  # Gy.cm2


def test_demo_cath_lab_and_ge_scanner_name_their_staff(demo):
    from kerma.dicom.reader import read_dose_object

    root, files, _calls = demo
    named: dict[str, set[str]] = {}
    for path in files:
        report = read_dose_object(path)
        for participant in report.participants:
            named.setdefault(path.parent.name, set()).add(participant.name)
    assert set(named) == {"cath_lab", "ct_revolution"}
    assert named["cath_lab"] <= {"LEROY^Anne", "MERCIER^Paul", "MOREAU^Julie", "MARTIN^Sophie",
                                 "DURAND^Thomas"}
    assert {"LEROY^Anne", "MARTIN^Sophie"} <= named["cath_lab"]
    assert named["ct_revolution"] & {"PETIT^Julien", "GIRARD^Laura"}
    assert "MERCIER^Paul" in named["ct_revolution"]
