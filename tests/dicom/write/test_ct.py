"""The CT Radiation Dose SR writer (TID 10011), read back with pydicom."""

from __future__ import annotations

import math

import pydicom
import pytest
from tests.dicom.write.samples import (
    DEVICE,
    STUDY,
    children,
    coded,
    concept,
    find,
    numeric,
    one,
    write_ct,
)

from kerma.dicom import write as writer


def test_ct_report_is_an_xray_radiation_dose_sr(tmp_path):
    ds = write_ct(tmp_path, sop_instance_uid="1.2.826.0.1.3680043.8.498.5001")
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.SOPClassUID == writer.XRAY_RDSR_SOP_CLASS == "1.2.840.10008.5.1.4.1.1.88.67"
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert ds.SOPInstanceUID == "1.2.826.0.1.3680043.8.498.5001"
    assert ds.Modality == "SR"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10011"
    assert ds.ContentTemplateSequence[0].MappingResource == "DCMR"
    assert ds.ConceptNameCodeSequence[0].CodeValue == "113701"
    assert (ds.CompletionFlag, ds.VerificationFlag) == ("COMPLETE", "UNVERIFIED")
    assert ds.ValueType == "CONTAINER"
    assert ds.ContentDate and ds.ContentTime
    procedure = one(ds.ContentSequence, "121058")
    assert procedure.RelationshipType == "HAS CONCEPT MOD"
    assert coded(procedure) == ("P5-08000", "SRT")
    assert coded(one(ds.ContentSequence, "G-C0E8", "SRT")) == ("R-408C3", "SRT")
    scope = one(ds.ContentSequence, "113705")
    assert coded(scope) == ("113014", "DCM")
    assert STUDY.study_instance_uid == one(scope.ContentSequence, "110180").UID


def test_ct_header_modules(tmp_path):
    ds = write_ct(tmp_path)
    assert (ds.PatientID, str(ds.PatientName), ds.PatientBirthDate, ds.PatientSex) == (
        "123456789",
        "DUPONT^Jeanne",
        "19600503",
        "F",
    )
    assert ds.PatientAge == "063Y"
    assert float(ds.PatientWeight) == 64.5 and float(ds.PatientSize) == 1.63
    assert ds.StudyInstanceUID == STUDY.study_instance_uid
    assert (ds.StudyDate, ds.StudyTime) == ("20240304", "100000")
    assert (ds.AccessionNumber, ds.StudyDescription) == ("240000042", "TAP INJ")
    assert (ds.Manufacturer, ds.ManufacturerModelName, ds.DeviceSerialNumber) == (
        "SIEMENS",
        "SOMATOM go.Top",
        "123456",
    )
    assert (ds.StationName, ds.InstitutionName) == ("SCANNER2", "CH DE VALMONT-SUR-LOIRE")
    assert ds.SoftwareVersions
    assert ds.SpecificCharacterSet == "ISO_IR 192"


def test_ct_observer_context_names_the_device(tmp_path):
    ds = write_ct(tmp_path)
    observer = {
        concept(i)[0]: i for i in ds.ContentSequence if i.RelationshipType == "HAS OBS CONTEXT"
    }
    assert coded(observer["121005"]) == ("121007", "DCM")
    assert DEVICE.device_observer_uid == observer["121012"].UID
    assert observer["121013"].TextValue == "SCANNER2"
    assert observer["121014"].TextValue == "SIEMENS"
    assert observer["121015"].TextValue == "SOMATOM go.Top"
    assert observer["121016"].TextValue == "123456"
    assert observer["121017"].TextValue == "IMAGERIE MEDICALE"
    assert observer["113809"].DateTime == "20240304100000"


def test_ct_accumulated_dose_equals_the_sum_of_events(tmp_path):
    ds = write_ct(tmp_path)
    accumulated = one(ds.ContentSequence, "113811")
    assert numeric(one(accumulated.ContentSequence, "113812")) == (4.0, "{events}")
    total, unit = numeric(one(accumulated.ContentSequence, "113813"))
    assert unit == "mGy.cm"
    dlps = [numeric(i) for i in find(ds.ContentSequence, "113838")]
    assert {u for _, u in dlps} == {"mGy.cm"}
    assert total == pytest.approx(math.fsum(v for v, _ in dlps), rel=1e-12)
    assert total == pytest.approx(9.2 + 345.6 + 789.01 + 672.0)


def test_ct_acquisition_content(tmp_path):
    ds = write_ct(tmp_path)
    acquisitions = find(ds.ContentSequence, "113819")
    assert len(acquisitions) == 4
    portal = acquisitions[2]
    assert one(portal.ContentSequence, "125203").TextValue == "TAP PORTAL"
    assert coded(one(portal.ContentSequence, "123014")) == ("R-FAB56", "SRT")
    assert coded(one(portal.ContentSequence, "113820")) == ("P5-08001", "SRT")
    assert coded(one(portal.ContentSequence, "G-C32C", "SRT")) == ("P5-00100", "SRT")
    assert one(portal.ContentSequence, "113769").UID == "1.2.826.0.1.3680043.8.498.3003"
    assert numeric(one(portal.ContentSequence, "113830")) == (11.23, "mGy")
    assert coded(one(portal.ContentSequence, "113835")) == ("113691", "DCM")
    assert numeric(one(portal.ContentSequence, "113733")) == (120.0, "kV")
    assert numeric(one(portal.ContentSequence, "113824")) == (6.2, "s")
    assert numeric(one(portal.ContentSequence, "113828")) == (1.0, "{ratio}")
    assert coded(one(acquisitions[0].ContentSequence, "113820")) == ("113805", "DCM")
    assert coded(one(acquisitions[3].ContentSequence, "113820")) == ("113804", "DCM")
    assert coded(one(acquisitions[3].ContentSequence, "113835")) == ("113690", "DCM")
    assert find(acquisitions[3].ContentSequence, "113828") == []  # no pitch when sequenced


def test_ct_ssde_and_water_equivalent_diameter(tmp_path):
    ds = write_ct(tmp_path)
    ssde = one(ds.ContentSequence, "113930")
    assert numeric(ssde) == (13.4, "mGy")
    method = children(ssde, "G-C036", "SRT")[0]
    assert method.RelationshipType == "HAS CONCEPT MOD"
    assert coded(method) == ("113988", "DCM")
    wed = children(ssde, "113980")[0]
    assert wed.RelationshipType == "INFERRED FROM"
    assert numeric(wed) == (281.5, "mm")
    assert coded(children(wed, "G-C036", "SRT")[0]) == ("113984", "DCM")
