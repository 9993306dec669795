"""The Radiopharmaceutical Radiation Dose SR writer (TID 10021), read back with pydicom."""

from __future__ import annotations

import pydicom
import pytest
from tests.dicom.write.samples import (
    ADMINISTRATION,
    DEVICE,
    PATIENT,
    STUDY,
    T0,
    children,
    coded,
    numeric,
    one,
)

from kerma.dicom import write as writer
from kerma.dicom.write import Administration


def test_radiopharmaceutical_report(tmp_path):
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION
    )
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.68"
    assert ds.Modality == "SR"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10021"
    assert ds.ConceptNameCodeSequence[0].CodeValue == "113500"
    procedure = one(ds.ContentSequence, "363589002", "SCT")
    assert coded(procedure) == ("68796002", "SCT")
    assert coded(children(procedure, "363703001", "SCT")[0]) == ("261004008", "SCT")
    administration = one(ds.ContentSequence, "113502")
    items = administration.ContentSequence
    agent = one(items, "349358000", "SCT")
    assert coded(agent) == ("96390006", "SCT")
    nuclide = children(agent, "89457008", "SCT")[0]
    assert nuclide.RelationshipType == "HAS PROPERTIES"
    assert coded(nuclide) == ("72454006", "SCT")
    assert numeric(children(agent, "304283002", "SCT")[0]) == (pytest.approx(21624.12), "s")
    assert one(items, "113503").UID == "1.2.826.0.1.3680043.8.498.6001"
    assert one(items, "123003").DateTime == "20240304100000"
    assert one(items, "123004").DateTime == "20240304100020"
    assert numeric(one(items, "113507")) == (612.5, "MBq")
    assert numeric(one(items, "113508")) == (640.0, "MBq")
    assert numeric(one(items, "113509")) == (27.5, "MBq")
    assert numeric(one(items, "123005")) == (1.2, "cm3")
    route = one(items, "410675002", "SCT")
    assert coded(route) == ("47625008", "SCT")
    site = children(route, "272737002", "SCT")[0]
    assert coded(children(site, "272741003", "SCT")[0]) == ("24028007", "SCT")
    characteristics = one(ds.ContentSequence, "121118")
    assert numeric(one(characteristics.ContentSequence, "29463-7", "LN")) == (64.5, "kg")


def test_radiopharmaceutical_report_with_legacy_srt_codes(tmp_path):
    adm = Administration("F-18", "FDG", 245.0, T0)
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "pet.dcm", PATIENT, DEVICE, STUDY, adm, quirks={"srt_codes"}
    )
    ds = pydicom.dcmread(path)
    agent = one(ds.ContentSequence, "F-61FDB", "SRT")
    assert coded(agent) == ("C-B1031", "SRT")
    assert coded(children(agent, "C-10072", "SRT")[0]) == ("C-111A1", "SRT")
    assert coded(one(ds.ContentSequence, "G-C2D0", "SRT"))[1] == "SRT"


def test_unknown_radiopharmaceutical_is_refused(tmp_path):
    adm = Administration("Tc-99m", "unobtainium", 100.0, T0)
    with pytest.raises(ValueError, match="unobtainium"):
        writer.write_radiopharmaceutical_rdsr(tmp_path / "x.dcm", PATIENT, DEVICE, STUDY, adm)


def test_radiopharmaceutical_empty_numeric(tmp_path):
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION, quirks={"empty_numeric"}
    )
    ds = pydicom.dcmread(path)
    assert len(one(ds.ContentSequence, "304283002", "SCT").MeasuredValueSequence) == 0
    assert numeric(one(ds.ContentSequence, "113507")) == (612.5, "MBq")
