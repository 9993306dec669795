"""Image headers carrying the dose, read back with pydicom."""

from __future__ import annotations

import pydicom
import pytest
from tests.dicom.write.samples import (
    ADMINISTRATION,
    DEVICE,
    PATIENT,
    STUDY,
    T0,
    ct_acquisitions,
)

from kerma.dicom import write as writer
from kerma.dicom.write import (
    Administration,
    ProjectionEvent,
)


def test_dx_image_header(tmp_path):
    event = ProjectionEvent(
        "stationary",
        T0,
        0.123,
        kvp=100,
        tube_current_ma=250,
        exposure_time_ms=10,
        exposure_uas=2500,
        entrance_exposure_mgy=0.21,
        source_detector_mm=1100,
        image_view="AP",
        target_region="chest",
        protocol="THORAX AP LIT",
    )
    ds = pydicom.dcmread(writer.write_dx_image(tmp_path / "dx.dcm", PATIENT, DEVICE, STUDY, event))
    assert ds.SOPClassUID == writer.DX_IMAGE_SOP_CLASS and ds.Modality == "DX"
    assert float(ds.ImageAndFluoroscopyAreaDoseProduct) == pytest.approx(1.23)  # dGy.cm2
    assert float(ds.EntranceDoseInmGy) == 0.21
    assert float(ds.KVP) == 100 and ds.ExposureTime == 10 and ds.XRayTubeCurrent == 250
    assert ds.Exposure == 2 and ds.ExposureInuAs == 2500
    assert (ds.ViewPosition, ds.BodyPartExamined) == ("AP", "CHEST")
    assert ds.pixel_array.shape == (8, 8)


def test_mg_image_header(tmp_path):
    event = ProjectionEvent(
        "stationary",
        T0,
        0.0,
        agd_mgy=1.37,
        laterality="L",
        image_view="MLO",
        compression_thickness_mm=54,
        entrance_exposure_mgy=6.1,
        kvp=29,
        anode_target="rhodium",
        filter_material="rhodium",
    )
    ds = pydicom.dcmread(writer.write_mg_image(tmp_path / "mg.dcm", PATIENT, DEVICE, STUDY, event))
    assert ds.SOPClassUID == writer.MG_IMAGE_SOP_CLASS and ds.Modality == "MG"
    assert float(ds.OrganDose) == pytest.approx(0.0137)  # dGy
    assert ds.OrganExposed == "BREAST"
    assert float(ds.EntranceDoseInmGy) == 6.1
    assert (ds.ImageLaterality, ds.ViewPosition) == ("L", "MLO")
    assert ds.ViewCodeSequence[0].CodeValue == "R-10226"
    assert float(ds.BodyPartThickness) == 54
    assert (ds.AnodeTargetMaterial, ds.FilterMaterial) == ("RHODIUM", "RHODIUM")


def test_ct_image_header(tmp_path):
    acquisition = ct_acquisitions()[1]
    ds = pydicom.dcmread(
        writer.write_ct_image(tmp_path / "ct.dcm", PATIENT, DEVICE, STUDY, acquisition)
    )
    assert ds.SOPClassUID == writer.CT_IMAGE_SOP_CLASS and ds.Modality == "CT"
    assert ds.CTDIvol == pytest.approx(9.87)
    assert ds.CTDIPhantomTypeCodeSequence[0].CodeValue == "113691"
    assert float(ds.KVP) == 120 and ds.SpiralPitchFactor == 1.0
    assert ds.pixel_array.shape == (8, 8)


def test_nm_image_dose_in_mbq_and_pet_image_dose_in_bq(tmp_path):
    nm = pydicom.dcmread(
        writer.write_nm_image(tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION)
    )
    assert nm.SOPClassUID == writer.NM_IMAGE_SOP_CLASS and nm.Modality == "NM"
    info = nm.RadiopharmaceuticalInformationSequence[0]
    assert float(info.RadionuclideTotalDose) == 612.5  # MBq
    assert info.RadionuclideCodeSequence[0].CodeValue == "C-163A8"
    assert info.RadiopharmaceuticalStartDateTime == "20240304100000"
    assert info.RadiopharmaceuticalAdministrationEventUID == ADMINISTRATION.event_uid
    assert nm.pixel_array.shape == (8, 8)
    fdg = Administration("F-18", "Fluorodeoxyglucose F^18^", 245.0, T0)
    pet = pydicom.dcmread(writer.write_pet_image(tmp_path / "pet.dcm", PATIENT, DEVICE, STUDY, fdg))
    assert pet.SOPClassUID == writer.PET_IMAGE_SOP_CLASS and pet.Modality == "PT"
    info = pet.RadiopharmaceuticalInformationSequence[0]
    assert float(info.RadionuclideTotalDose) == 245.0e6  # Bq
    assert float(info.RadionuclideHalfLife) == pytest.approx(6586.2)
    assert info.RadionuclideCodeSequence[0].CodeValue == "C-111A1"
    assert pet.Units == "BQML"
