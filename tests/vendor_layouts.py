"""Dose objects written here in each vendor's layout, for tests (never copies of real files).

Built with kerma.dicom.write's public functions, then edited with pydicom where a vendor's
layout differs from what the writer produces (dental modalities, filter text, private codes).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from kerma.dicom import write as w

PATIENT = w.Patient("P1", "DOE^Jane", date(1960, 1, 1), "F", 65.0, 70.0, 1.65)
STUDY_START = datetime(2025, 3, 4, 9, 0)


def device(manufacturer: str, model: str) -> w.Device:
    """Return a device of ``manufacturer`` and ``model`` with fixed identifiers."""
    return w.Device(manufacturer, model, "SN1", "ROOM1", "1.2.826.0.1.3680043.2.1", "CHU")


def study() -> w.Study:
    """Return a new study starting at STUDY_START."""
    return w.Study(generate_uid(), "ACC1", "study", STUDY_START)


def dental_image(path: Path, modality: str, dap_gycm2: float) -> Path:
    """Write a dental image header (``PX`` panoramic, ``IO`` intra-oral, ``CT`` cone-beam
    without CTDIvol) carrying its DAP in (0018,115E), and return its path."""
    event = w.ProjectionEvent("stationary", STUDY_START, dap_gycm2, kvp=70.0)
    w.write_dx_image(path, PATIENT, device("PLANMECA", "ProMax"), study(), event)
    ds = pydicom.dcmread(path)
    ds.Modality = modality
    ds.save_as(path)
    return path


def radiography_with_filter_text(path: Path, filter_type: str) -> Path:
    """Write a DX header giving its filter as Filter Type text only (no material, no
    thickness) and return its path."""
    event = w.ProjectionEvent("stationary", STUDY_START, 0.1, kvp=81.0)
    w.write_dx_image(path, PATIENT, device("ACME", "DR"), study(), event)
    ds = pydicom.dcmread(path)
    for keyword in ("FilterMaterial", "FilterThicknessMinimum", "FilterThicknessMaximum"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.FilterType = filter_type
    ds.save_as(path)
    return path


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _num(code: str, meaning: str, value: float | None, unit: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "NUM"
    item.ConceptNameCodeSequence = Sequence([_code(code, "99SMS_RADSUM", meaning)])
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, "UCUM", unit)])
    if value is not None:
        measured.NumericValue = f"{value:g}"
    item.MeasuredValueSequence = Sequence([measured])
    return item


def _datetime(code: str, meaning: str, value: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "DATETIME"
    item.ConceptNameCodeSequence = Sequence([_code(code, "99SMS_RADSUM", meaning)])
    item.DateTime = value
    return item


def siemens_radsum(
    path: Path, *, dap_gycm2: float | None = 12.34, fluoro_s: float | None = 321.0,
    exposures: int = 17, start: str = "20250304090000", end: str = "",
) -> Path:
    """Write a Siemens Radiation Summary Report (Comprehensive SR, title (C-10, 99SMS_RADSUM))
    with its totals in the layout seen on older Siemens fluoroscopy tables; return its path."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = "SR", "SIEMENS", "AXIOM Iconos R200"
    ds.StudyDate, ds.StudyTime, ds.ContentDate, ds.ContentTime = (
        "20250304", "090000", "20250304", "093000")
    ds.PatientID, ds.PatientName, ds.PatientSex = "P1", "DOE^Jane", "F"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([_code("C-10", "99SMS_RADSUM",
                                                 "Radiation Summary Report")])
    ds.ContentSequence = Sequence([
        _num("C-200", "Total Number of Exposures", exposures, "1"),
        _num("C-202", "Cumulative Fluoro Time", fluoro_s, "s"),
        _num("C-204", "Cumulative Dose Area Product", dap_gycm2, "Gy.cm^2"),
        _datetime("C-206", "Start of Examination", start),
        _datetime("C-208", "End of Examination", end),
    ])
    ds.save_as(path, enforce_file_format=True)
    return path


# --- interventional rooms, each vendor family in its own layout ------------------------------

# Each family: the manufacturer and model its reports name, and how it reports a physical
# position: (primary deg, secondary deg, table top below the isocentre mm, isocentre from the
# head end of the table mm) → (primary, secondary, "longitudinal", "lateral", height) written.
def _dicom(p: float, s: float, below: float, along: float) -> tuple[float, ...]:
    # DICOM PS3.16: "longitudinal" = sideways (+ left), "lateral" = along (+ head), height
    # downward +; origins at zero.
    return (p, s, 0.0, along, below)


def _siemens(p: float, s: float, below: float, along: float) -> tuple[float, ...]:
    return (p, -s, 0.0, along, below)  # secondary angle of the opposite sense


def _philips_allura(p: float, s: float, below: float, along: float) -> tuple[float, ...]:
    return (p, s, 3.0, 1350.0 + along, 1055.0 - below)  # height up from the floor


ROOMS: dict[str, tuple[str, str, object]] = {
    "Philips Allura": ("Philips Medical Systems", "Allura Xper FD20", _philips_allura),
    "Philips Azurion": ("Philips Medical Systems", "Azurion 7 M20", _dicom),
    "Canon Alphenix/Infinix/Ultimaxi": ("CANON_MEC", "Alphenix Core+", _dicom),
    "GE Innova/IGS/OEC": ("GE Healthcare", "Innova IGS 530", _dicom),
    "Siemens Artis zee/Q/icono": ("Siemens Healthineers", "ARTIS icono floor", _siemens),
    "Siemens AXIOM-Artis": ("SIEMENS", "AXIOM-Artis", _siemens),
    "Siemens Cios": ("SIEMENS", "Cios Spin", _dicom),
}


def room_report(
    path: Path,
    family: str,
    beams: list[tuple[float, float]],
    *,
    below_iso_mm: float = 150.0,
    iso_from_head_mm: float = 450.0,
    private_philips: bool = False,
    fluoroscopy_too: bool = False,
) -> Path:
    """Write a projection RDSR of ``family`` (a key of ROOMS) whose beams are at (primary,
    secondary) angles in DICOM's sense, the table top ``below_iso_mm`` under the isocentre and
    the isocentre ``iso_from_head_mm`` from the head end of the table, every value written as
    the family reports it. With ``private_philips`` the table height, source-to-detector
    distance and field are written only under 99PHI-IXR-XPER, as Allura reports do; with
    ``fluoroscopy_too`` a PA fluoroscopy run follows the beams (an interventional exam)."""
    manufacturer, model, convert = ROOMS[family]
    events = []
    for index, (primary, secondary) in enumerate(beams):
        p, s, longitudinal, lateral, height = convert(  # type: ignore[operator]
            primary, secondary, below_iso_mm, iso_from_head_mm
        )
        events.append(w.ProjectionEvent(
            "stationary", STUDY_START.replace(minute=index), 2.5, kar_mgy=100.0,
            primary_angle_deg=p, secondary_angle_deg=s, source_isocenter_mm=810.0,
            source_detector_mm=1200.0, table_longitudinal_mm=longitudinal,
            table_lateral_mm=lateral, table_height_mm=height, field_width_mm=250.0,
            field_height_mm=250.0, kvp=80.0, filter_material="copper", filter_thickness_mm=0.3,
        ))
    if fluoroscopy_too:
        events.append(replace(events[-1], event_type="fluoroscopy", primary_angle_deg=0.0,
                              start=STUDY_START.replace(minute=59), irradiation_duration_s=10.0))
    w.write_projection_rdsr(path, PATIENT, device(manufacturer, model), study(), events)
    if private_philips:
        _philips_private_layout(path)
    return path


_EVENT = ("113706", "DCM")
_STANDARD_MOVED = {"113753", "113750", "113788", "113789", "113790"}  # height, SDD, field


def _philips_private_layout(path: Path) -> None:
    """Move table height, source-to-detector distance and field of every event from their
    standard items to the 99PHI-IXR-XPER private items (shutters at the isocentre plane)."""
    ds = pydicom.dcmread(path)
    for event in ds.ContentSequence:
        name = event.ConceptNameCodeSequence[0]
        if (name.CodeValue, name.CodingSchemeDesignator) != _EVENT:
            continue
        kept, height, sdd = Sequence(), None, None
        _collect(event.ContentSequence, kept)
        for item in event.ContentSequence:
            for inner in [item, *getattr(item, "ContentSequence", [])]:
                code = inner.ConceptNameCodeSequence[0].CodeValue
                if code == "113753":
                    height = float(inner.MeasuredValueSequence[0].NumericValue)
                elif code == "113750":
                    sdd = float(inner.MeasuredValueSequence[0].NumericValue)
        event.ContentSequence = kept
        # 250 mm at the detector (1200 mm) is 168.75 mm at the isocentre (810 mm): shutters of
        # 84.375 mm each side of the central ray, detector 300 × 300 mm.
        private = [("020", height), ("018", sdd), ("006", 84.375), ("007", 84.375),
                   ("008", 84.375), ("009", 84.375), ("024", 300.0), ("025", 300.0)]
        for code, value in private:
            item = _num(code, "Philips private", value, "mm")
            item.ConceptNameCodeSequence[0].CodingSchemeDesignator = "99PHI-IXR-XPER"
            event.ContentSequence.append(item)
    ds.save_as(path)


def _collect(items: Sequence, kept: Sequence) -> None:
    """Copy into ``kept`` the items whose concept is not moved to the private layout (the
    moved ones are dropped, also inside nested containers)."""
    for item in items:
        if item.ConceptNameCodeSequence[0].CodeValue in _STANDARD_MOVED:
            continue
        if "ContentSequence" in item:
            inner = Sequence()
            _collect(item.ContentSequence, inner)
            item.ContentSequence = inner
        kept.append(item)


def make_rotational(path: Path, primary_end_deg: float) -> Path:
    """Turn every event of a projection RDSR into a rotational run ending at
    ``primary_end_deg`` (TID 10003 Positioner Primary End Angle, 113739 DCM)."""
    ds = pydicom.dcmread(path)
    for event in ds.ContentSequence:
        name = event.ConceptNameCodeSequence[0]
        if (name.CodeValue, name.CodingSchemeDesignator) != _EVENT:
            continue
        kind = next(i for i in event.ContentSequence
                    if i.ConceptNameCodeSequence[0].CodeValue == "113721")  # event type
        if kind.ConceptCodeSequence[0].CodeValue == "P5-06000":  # fluoroscopy stays static
            continue
        kind.ConceptCodeSequence = Sequence([_code("113613", "DCM", "Rotational Acquisition")])
        item = _num("113739", "Positioner Primary End Angle", primary_end_deg, "deg")
        item.ConceptNameCodeSequence[0].CodingSchemeDesignator = "DCM"
        event.ContentSequence.append(item)
    ds.save_as(path)
    return path
