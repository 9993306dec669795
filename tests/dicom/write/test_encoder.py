"""What every writer shares: patient characteristics, the quirks, and the raw content
encoding, which pydicom itself would write byte for byte."""

from __future__ import annotations

from dataclasses import replace

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from tests.dicom.write.samples import (
    CHILD,
    DEVICE,
    PATIENT,
    STUDY,
    coded,
    concept,
    ct_acquisitions,
    find,
    fluoro_events,
    numeric,
    one,
    walk,
    write_ct,
    write_fluoro,
)

from kerma.dicom import codes
from kerma.dicom import write as writer
from kerma.dicom.write import ProjectionEvent
from kerma.dicom.write.encoder import Encoder, code_dataset


def test_patient_characteristics_container(tmp_path):
    ds = write_ct(tmp_path)
    characteristics = one(ds.ContentSequence, "121118")
    assert characteristics.ValueType == "CONTAINER"
    assert numeric(one(characteristics.ContentSequence, "121033")) == (63.0, "a")
    assert coded(one(characteristics.ContentSequence, "121032")) == ("F", "DCM")
    assert numeric(one(characteristics.ContentSequence, "8302-2", "LN")) == (163.0, "cm")
    assert numeric(one(characteristics.ContentSequence, "29463-7", "LN")) == (64.5, "kg")


def test_infant_age_in_months(tmp_path):
    path = writer.write_ct_rdsr(tmp_path / "child.dcm", CHILD, DEVICE, STUDY, ct_acquisitions()[3:])
    ds = pydicom.dcmread(path)
    assert ds.PatientAge == "006M"
    assert numeric(one(ds.ContentSequence, "121033")) == (6.0, "mo")


# --------------------------------------------------------------------------------------------
# Quirks
# --------------------------------------------------------------------------------------------
def test_non_ucum_units(tmp_path):
    ct = write_ct(tmp_path, quirks={"non_ucum_units"})
    assert numeric(one(ct.ContentSequence, "113813"))[1] == "mGycm"
    assert {numeric(i)[1] for i in find(ct.ContentSequence, "113838")} == {"mGycm"}
    rf = write_fluoro(tmp_path, quirks={"non_ucum_units"})
    units = {
        numeric(i)[1]
        for code in ("122130", "113722", "113726", "113727")
        for i in find(rf.ContentSequence, code)
    }
    assert units == {"Gym2"}


def test_unknown_unit(tmp_path):
    ds = write_fluoro(tmp_path, quirks={"unknown_unit"})
    assert {numeric(i)[1] for i in find(ds.ContentSequence, "122130")} == {"furlong"}
    assert numeric(find(ds.ContentSequence, "113722")[0])[1] == "furlong"


def test_empty_numeric(tmp_path):
    ds = write_ct(tmp_path, quirks={"empty_numeric"})
    ctdis = find(ds.ContentSequence, "113830")
    assert len(ctdis[0].MeasuredValueSequence) == 0
    assert all(len(i.MeasuredValueSequence) == 1 for i in ctdis[1:])
    rf = write_fluoro(tmp_path, quirks={"empty_numeric"})
    kvps = find(rf.ContentSequence, "113733")
    assert len(kvps[0].MeasuredValueSequence) == 0 and len(kvps) == 4


def test_empty_numeric_value(tmp_path):
    ds = write_ct(tmp_path, quirks={"empty_numeric_value"})
    measured = find(ds.ContentSequence, "113830")[0].MeasuredValueSequence
    assert len(measured) == 1 and measured[0].NumericValue in ("", None)
    assert measured[0].MeasurementUnitsCodeSequence[0].CodeValue == "mGy"


def test_no_patient_size(tmp_path):
    ds = write_ct(tmp_path, quirks={"no_patient_size"})
    assert "PatientWeight" not in ds and "PatientSize" not in ds
    assert find(ds.ContentSequence, "8302-2", "LN") == []
    assert find(ds.ContentSequence, "29463-7", "LN") == []


def test_weight_zero(tmp_path):
    ds = write_ct(tmp_path, quirks={"weight_zero"})
    assert float(ds.PatientWeight) == 0.0
    assert numeric(one(ds.ContentSequence, "29463-7", "LN"))[0] == 0.0


def test_enhanced_sr_carrier(tmp_path):
    ds = write_ct(tmp_path, quirks={"enhanced_sr_carrier"})
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22"
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert find(ds.ContentSequence, "113811")


def test_implicit_vr(tmp_path):
    explicit = write_ct(tmp_path / "e")
    implicit = write_ct(tmp_path / "i", quirks={"implicit_vr"})
    assert implicit.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert [numeric(i) for i in find(implicit.ContentSequence, "113838")] == [
        numeric(i) for i in find(explicit.ContentSequence, "113838")
    ]
    rf = write_fluoro(tmp_path, quirks={"implicit_vr"})
    assert len(find(rf.ContentSequence, "113706")) == 4
    image = pydicom.dcmread(
        writer.write_dx_image(
            tmp_path / "dx.dcm", PATIENT, DEVICE, STUDY, fluoro_events()[1], quirks={"implicit_vr"}
        )
    )
    assert image.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert image.pixel_array.shape == (8, 8)


def test_sct_codes(tmp_path):
    ds = write_ct(tmp_path, quirks={"sct_codes"})
    assert coded(one(ds.ContentSequence, "121058")) == ("77477000", "SCT")
    assert coded(one(ds.ContentSequence, "363703001", "SCT")) == ("261004008", "SCT")
    assert not [i for i in walk(ds.ContentSequence) if concept(i)[1] == "SRT"]


def test_text_reference_point_and_legacy_exposure_time(tmp_path):
    ds = write_fluoro(
        tmp_path,
        events=[replace_exposure(e) for e in fluoro_events()],
        quirks={"text_reference_point", "legacy_exposure_time_code"},
    )
    point = find(ds.ContentSequence, "113780")[0]
    assert point.ValueType == "TEXT" and "Isocenter" in point.TextValue
    assert numeric(find(ds.ContentSequence, "113735")[0]) == (50.0, "ms")
    assert find(ds.ContentSequence, "113824") == []


def replace_exposure(event: ProjectionEvent) -> ProjectionEvent:
    return replace(event, exposure_time_ms=50.0)


def test_unknown_quirk_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown quirk"):
        write_ct(tmp_path, quirks={"frobnicate"})


# --------------------------------------------------------------------------------------------
# Encoder: the raw content bytes are what pydicom itself would write
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("implicit", [False, True])
def test_raw_encoding_matches_pydicom(implicit):
    enc = Encoder(implicit=implicit)
    ours = enc.num(
        "CONTAINS",
        codes.MEAN_CTDIVOL,
        12.5,
        codes.U_MGY,
        [enc.code("HAS CONCEPT MOD", codes.MEASUREMENT_METHOD, codes.SSDE_FROM_WED)],
    )
    modifier = Dataset()
    modifier.RelationshipType = "HAS CONCEPT MOD"
    modifier.ValueType = "CODE"
    modifier.ConceptNameCodeSequence = [code_dataset(codes.MEASUREMENT_METHOD)]
    modifier.ConceptCodeSequence = [code_dataset(codes.SSDE_FROM_WED)]
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = [code_dataset(codes.U_MGY)]
    measured.NumericValue = "12.5"
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = "NUM"
    item.ConceptNameCodeSequence = [code_dataset(codes.MEAN_CTDIVOL)]
    item.MeasuredValueSequence = [measured]
    item.ContentSequence = [modifier]
    for sequence in ("ConceptNameCodeSequence", "MeasuredValueSequence", "ContentSequence"):
        item[sequence].is_undefined_length = False
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, implicit
    write_dataset(fp, item)
    assert ours[8:] == fp.getvalue()  # after the item tag and length
