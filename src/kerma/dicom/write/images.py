"""Small images (8 x 8 pixels) whose headers carry the dose attributes of units that send no
dose report: :func:`write_dx_image`, :func:`write_mg_image`, :func:`write_ct_image`,
:func:`write_nm_image`, :func:`write_pet_image`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import generate_uid

from kerma.dicom import codes as c
from kerma.dicom.write.ct import CtAcquisition
from kerma.dicom.write.encoder import (
    CT_IMAGE_SOP_CLASS,
    DX_IMAGE_SOP_CLASS,
    MG_IMAGE_SOP_CLASS,
    NM_IMAGE_SOP_CLASS,
    PET_IMAGE_SOP_CLASS,
    Device,
    Document,
    Patient,
    Study,
    anatomy,
    base_dataset,
    check_quirks,
    code_dataset,
    decimal_string,
    dicom_date,
    dicom_datetime,
    dicom_time,
    round_trip,
    save,
)
from kerma.dicom.write.projection import ProjectionEvent
from kerma.dicom.write.radiopharmaceutical import (
    ROUTES,
    Administration,
    find_agent,
    find_nuclide,
)


def _pixels(ds: Dataset, *, bits_stored: int = 12, size: int = 8) -> None:
    """Image Pixel module with a small synthetic ramp (unsigned 16-bit)."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = size
    ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ramp = (np.arange(size * size, dtype=np.uint32) * 37) % (1 << bits_stored)
    ds.add_new(0x7FE00010, "OW", ramp.astype("<u2").reshape(size, size).tobytes())


def _image_dataset(
    doc: Document, sop_class_uid: str, modality: str, acquired: datetime, series_description: str
) -> Dataset:
    """The modules every image shares, for ``doc`` acquired at ``acquired``."""
    ds = base_dataset(
        doc,
        sop_class_uid=sop_class_uid,
        modality=modality,
        series_description=series_description,
        content_datetime=acquired,
    )
    ds.AcquisitionDate = dicom_date(acquired)
    ds.AcquisitionTime = dicom_time(acquired)
    ds.AcquisitionDateTime = dicom_datetime(acquired)
    ds.PatientOrientation = ""
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def _projection_technique(ds: Dataset, ev: ProjectionEvent) -> None:
    """X-Ray Acquisition Dose / DX Positioning attributes shared by DX and MG images."""
    if ev.kvp is not None:
        ds.KVP = decimal_string(ev.kvp)
    if ev.source_detector_mm is not None:
        ds.DistanceSourceToDetector = decimal_string(ev.source_detector_mm)
    if ev.exposure_time_ms is not None:
        ds.ExposureTime = round(ev.exposure_time_ms)
    if ev.tube_current_ma is not None:
        ds.XRayTubeCurrent = round(ev.tube_current_ma)
    if ev.exposure_uas is not None:
        ds.Exposure = round(ev.exposure_uas / 1000)
        ds.ExposureInuAs = round(ev.exposure_uas)
    if ev.filter_material is not None:
        ds.FilterMaterial = ev.filter_material.upper().replace("ALUMINIUM", "ALUMINUM")
        if ev.filter_thickness_mm is not None:
            ds.FilterThicknessMinimum = decimal_string(ev.filter_thickness_mm)
            ds.FilterThicknessMaximum = decimal_string(ev.filter_thickness_mm)
    if ev.image_view:
        ds.ViewPosition = c.IMAGE_VIEWS[ev.image_view][1]
    region = anatomy(ev.target_region or ("breast" if ev.laterality else "chest"))
    ds.BodyPartExamined = region[1]
    ds.AnatomicRegionSequence = DicomSequence([code_dataset(region[0])])
    ds.PatientOrientation = ["A", "F"] if ev.image_view in ("LAT", "LL", "RL") else ["L", "F"]
    ds.AcquisitionContextSequence = DicomSequence()


def write_dx_image(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    event: ProjectionEvent,
    *,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 1,
    instance_number: int = 1,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Digital X-Ray image (For Presentation) whose header carries the dose.

    Image and Fluoroscopy Area Dose Product (0018,115E) in dGy.cm2 (= 10 x ``dap_gycm2``),
    Entrance Dose in mGy (0040,8302) from ``entrance_exposure_mgy`` or else ``kar_mgy``,
    KVP (kV), Exposure Time (ms), X-Ray Tube Current (mA), Exposure (mAs) and Exposure in
    uAs, Distance Source to Detector (mm).
    """
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    ds = _image_dataset(doc, DX_IMAGE_SOP_CLASS, "DX", event.start, event.protocol or "")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ProtocolName = event.protocol or ""
    ds.ImageLaterality = "U"
    ds.PositionerType = "COLUMN"
    _projection_technique(ds, event)
    ds.ImageAndFluoroscopyAreaDoseProduct = decimal_string(round_trip(event.dap_gycm2 * 10))
    entrance = (
        event.entrance_exposure_mgy if event.entrance_exposure_mgy is not None else (event.kar_mgy)
    )
    if entrance is not None:
        ds.EntranceDoseInmGy = decimal_string(entrance)
    _detector_image(ds, pixel_spacing_mm="0.139", detector_type="SCINTILLATOR")
    return save(ds, Path(path), quirks)


def _detector_image(ds: Dataset, *, pixel_spacing_mm: str, detector_type: str) -> None:
    """Add the detector and presentation attributes (and small pixels) of a DX or MG image."""
    ds.ImagerPixelSpacing = [pixel_spacing_mm, pixel_spacing_mm]
    ds.DetectorType = detector_type
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "IDENTITY"
    ds.WindowCenter = "2048"
    ds.WindowWidth = "4096"
    _pixels(ds)


def write_mg_image(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    event: ProjectionEvent,
    *,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 1,
    instance_number: int = 1,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Digital Mammography image (For Presentation) whose header carries the dose.

    Organ Dose (0040,0316) in dGy (= ``agd_mgy`` / 100), Organ Exposed BREAST, Entrance Dose
    in mGy (0040,8302) from ``entrance_exposure_mgy``, Image Laterality (L / R), View
    Position and View Code Sequence, Body Part Thickness (0018,11A0) in mm from
    ``compression_thickness_mm``, Anode Target Material, Filter Material, KVP (kV).
    """
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    if event.laterality not in ("L", "R"):
        raise ValueError("a mammography image needs laterality 'L' or 'R'")
    ds = _image_dataset(doc, MG_IMAGE_SOP_CLASS, "MG", event.start, event.protocol or "")
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ProtocolName = event.protocol or ""
    ds.ImageLaterality = event.laterality
    ds.BreastImplantPresent = "NO"
    ds.PartialView = "NO"
    _projection_technique(ds, event)
    ds.BodyPartExamined = "BREAST"  # after the technique, which may set a region key
    view = event.image_view or "CC"
    ds.ViewPosition = c.IMAGE_VIEWS[view][1]
    view_code = code_dataset(c.IMAGE_VIEWS[view][0])
    view_code.ViewModifierCodeSequence = DicomSequence()
    ds.ViewCodeSequence = DicomSequence([view_code])
    ds.PositionerType = "MAMMOGRAPHIC"
    if event.compression_thickness_mm is not None:
        ds.BodyPartThickness = decimal_string(event.compression_thickness_mm)
    if event.anode_target is not None:
        ds.AnodeTargetMaterial = event.anode_target.upper()
    if event.agd_mgy is not None:
        ds.OrganDose = decimal_string(round_trip(event.agd_mgy / 100))
        ds.OrganExposed = "BREAST"
    if event.entrance_exposure_mgy is not None:
        ds.EntranceDoseInmGy = decimal_string(event.entrance_exposure_mgy)
    if event.half_value_layer_mm is not None:
        ds.HalfValueLayer = decimal_string(event.half_value_layer_mm)
    if event.primary_angle_deg is not None:
        ds.PositionerPrimaryAngle = decimal_string(event.primary_angle_deg)
    _detector_image(ds, pixel_spacing_mm="0.1", detector_type="DIRECT")
    return save(ds, Path(path), quirks)


def write_ct_image(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    acquisition: CtAcquisition,
    *,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
    series_number: int = 2,
    instance_number: int = 1,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a CT image whose header carries CTDIvol (0018,9345) in mGy, the CTDI phantom
    (0018,9346), KVP (kV), X-Ray Tube Current (mA), Exposure Time (ms), Spiral Pitch Factor
    and collimation widths (mm)."""
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    acq = acquisition
    ds = _image_dataset(doc, CT_IMAGE_SOP_CLASS, "CT", acq.start, acq.protocol)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientPosition = "HFS"
    ds.ProtocolName = acq.protocol
    ds.BodyPartExamined = anatomy(acq.target_region)[1]
    ds.FrameOfReferenceUID = frame_of_reference_uid or generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.SliceThickness = "2.5"
    ds.PixelSpacing = ["0.976562", "0.976562"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = ["-250", "-250", "-100"]
    ds.SliceLocation = "-100"
    if acq.kvp is not None:
        ds.KVP = decimal_string(acq.kvp)
    ds.AcquisitionNumber = 1
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = "500"
    if acq.tube_current_ma is not None:
        ds.XRayTubeCurrent = round(acq.tube_current_ma)
    if acq.exposure_time_s is not None:
        ds.ExposureTime = round(acq.exposure_time_s * 1000)
    if acq.single_collimation_mm is not None:
        ds.SingleCollimationWidth = float(acq.single_collimation_mm)
    if acq.total_collimation_mm is not None:
        ds.TotalCollimationWidth = float(acq.total_collimation_mm)
    if acq.pitch is not None and acq.acquisition_type == "spiral":
        ds.SpiralPitchFactor = float(acq.pitch)
    if acq.ctdivol_mgy is not None:
        ds.CTDIvol = float(acq.ctdivol_mgy)
        ds.CTDIPhantomTypeCodeSequence = DicomSequence(
            [code_dataset(c.HEAD_PHANTOM if acq.phantom == 16 else c.BODY_PHANTOM)]
        )
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    _pixels(ds)
    return save(ds, Path(path), quirks)


def _radiopharmaceutical_item(adm: Administration, total_dose: float, *, pet: bool) -> Dataset:
    agent, nuclide = find_agent(adm.radiopharmaceutical), find_nuclide(adm.radionuclide)
    route = ROUTES[adm.route]
    item = Dataset()
    item.Radiopharmaceutical = agent.label
    item.RadiopharmaceuticalRoute = route[2]
    if adm.volume_ml is not None:
        item.RadiopharmaceuticalVolume = decimal_string(adm.volume_ml)
    item.RadiopharmaceuticalStartTime = dicom_time(adm.start)
    if adm.stop is not None:
        item.RadiopharmaceuticalStopTime = dicom_time(adm.stop)
    item.RadionuclideTotalDose = decimal_string(total_dose)
    item.RadionuclideHalfLife = decimal_string(nuclide.half_life_s)
    if pet and nuclide.positron_fraction is not None:
        item.RadionuclidePositronFraction = decimal_string(nuclide.positron_fraction)
    item.RadiopharmaceuticalStartDateTime = dicom_datetime(adm.start)
    if adm.stop is not None:
        item.RadiopharmaceuticalStopDateTime = dicom_datetime(adm.stop)
    if adm.event_uid:
        item.RadiopharmaceuticalAdministrationEventUID = adm.event_uid
    item.RadionuclideCodeSequence = DicomSequence([code_dataset(nuclide.srt)])
    item.AdministrationRouteCodeSequence = DicomSequence([code_dataset(route[1])])
    item.RadiopharmaceuticalCodeSequence = DicomSequence([code_dataset(agent.srt)])
    return item


def _nuclear_common(ds: Dataset) -> None:
    ds.Laterality = ""
    ds.PatientOrientationCodeSequence = DicomSequence([code_dataset(c.RECUMBENT)])
    ds.PatientGantryRelationshipCodeSequence = DicomSequence([code_dataset(c.HEADFIRST)])
    ds.ActualFrameDuration = 600000
    ds.PixelSpacing = ["4.8", "4.8"]


def write_nm_image(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    administration: Administration,
    *,
    acquired: datetime | None = None,
    image_kind: Literal["STATIC", "WHOLE BODY"] = "STATIC",
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 1,
    instance_number: int = 1,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write an NM image whose Radiopharmaceutical Information Sequence carries Radionuclide
    Total Dose (0018,1074) in MBq (PS3.3 C.8.4.10.1.7), the radionuclide and agent codes,
    the route, the start date-time and the half-life in s. `acquired` defaults to the
    administration time plus 3 h (bone scan delay)."""
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    adm = administration
    acquired = acquired or adm.start + timedelta(hours=3)
    ds = _image_dataset(doc, NM_IMAGE_SOP_CLASS, "NM", acquired, study.description)
    ds.ImageType = ["ORIGINAL", "PRIMARY", image_kind, "EMISSION"]
    ds.NumberOfFrames = 1
    ds.FrameIncrementPointer = Tag(0x00540010)
    ds.EnergyWindowVector = [1]
    ds.NumberOfEnergyWindows = 1
    window = Dataset()
    window_range = Dataset()
    window_range.EnergyWindowLowerLimit = "126"
    window_range.EnergyWindowUpperLimit = "154"
    window.EnergyWindowRangeSequence = DicomSequence([window_range])
    window.EnergyWindowName = "TC99M"
    ds.EnergyWindowInformationSequence = DicomSequence([window])
    ds.RadiopharmaceuticalInformationSequence = DicomSequence(
        [_radiopharmaceutical_item(adm, adm.activity_mbq, pet=False)]
    )
    ds.NumberOfDetectors = 1
    ds.CountsAccumulated = 250000
    detector = Dataset()
    detector.CollimatorGridName = "LEHR"
    detector.CollimatorType = "PARA"
    detector.ImagePositionPatient = ["-300", "-300", "0"]
    detector.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.DetectorInformationSequence = DicomSequence([detector])
    _nuclear_common(ds)
    _pixels(ds, bits_stored=16)
    return save(ds, Path(path), quirks)


def write_pet_image(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    administration: Administration,
    *,
    acquired: datetime | None = None,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
    series_number: int = 3,
    instance_number: int = 1,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a PET image whose Radiopharmaceutical Information Sequence carries Radionuclide
    Total Dose (0018,1074) in Bq — the PET Isotope Module (PS3.3 C.8.9.2) defines it in
    Becquerels, unlike the NM Isotope Module (MBq) — with the half-life in s and the
    positron fraction. `acquired` defaults to the administration time plus 1 h."""
    quirks = check_quirks(quirks)
    doc = Document(
        patient, device, study, sop_instance_uid, series_instance_uid, series_number,
        instance_number, quirks,
    )
    adm = administration
    acquired = acquired or adm.start + timedelta(hours=1)
    ds = _image_dataset(doc, PET_IMAGE_SOP_CLASS, "PT", acquired, study.description)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SeriesType = ["WHOLE BODY", "IMAGE"]
    ds.Units = "BQML"
    ds.CountsSource = "EMISSION"
    ds.NumberOfSlices = 1
    ds.CorrectedImage = ["DECY", "ATTN", "SCAT", "DTIM", "NORM"]
    ds.DecayCorrection = "START"
    ds.RandomsCorrectionMethod = "DLYD"
    ds.AttenuationCorrectionMethod = "CTAC"
    ds.ReconstructionMethod = "OSEM"
    ds.CollimatorType = "NONE"
    ds.RadiopharmaceuticalInformationSequence = DicomSequence(
        [_radiopharmaceutical_item(adm, round(adm.activity_mbq * 1e6), pet=True)]
    )
    ds.FrameOfReferenceUID = frame_of_reference_uid or generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.SliceThickness = "3.27"
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = ["-300", "-300", "-100"]
    ds.ImageIndex = 1
    ds.FrameReferenceTime = "0"
    ds.DecayFactor = "1"
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    _nuclear_common(ds)
    _pixels(ds, bits_stored=16)
    return save(ds, Path(path), quirks)
