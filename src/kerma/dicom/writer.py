"""Write standard-conformant DICOM dose objects: dose reports and image headers.

Every function writes a DICOM Part 10 file (preamble, file meta information, Explicit VR
Little Endian unless the ``implicit_vr`` quirk asks for Implicit VR Little Endian) that pydicom
and any other conformant reader can open:

- :func:`write_ct_rdsr` — X-Ray Radiation Dose SR, TID 10011 "CT Radiation Dose";
- :func:`write_projection_rdsr` — X-Ray Radiation Dose SR, TID 10001 "Projection X-Ray
  Radiation Dose" (radiography, mammography, fluoroscopy and interventional);
- :func:`write_radiopharmaceutical_rdsr` — Radiopharmaceutical Radiation Dose SR, TID 10021;
- :func:`write_dx_image`, :func:`write_mg_image`, :func:`write_ct_image`,
  :func:`write_nm_image`, :func:`write_pet_image` — small images (8 x 8 pixels) whose headers
  carry the dose attributes of units that send no dose report.

The SR content tree is encoded directly to bytes (items with explicit lengths) from cached
fragments, then handed to pydicom as the raw value of Content Sequence (0040,A730); the rest of
each object is an ordinary pydicom :class:`~pydicom.dataset.Dataset`. This keeps a report with
hundreds of irradiation events in the millisecond range, and pydicom reads it back like any
other file.

Units written (input dataclass fields carry their unit in their name):

- CT: CTDIvol and SSDE in mGy, DLP in mGy.cm, lengths and water equivalent diameter in mm,
  times in s, tube current in mA, kVp in kV;
- projection: DAP in Gy.m2 (the unit PS3.16 prescribes; the caller may choose dGy.cm2,
  cGy.cm2, mGy.cm2 or uGy.m2 instead, the value being converted so the physical quantity is
  unchanged), Dose (RP) in Gy, average glandular dose and entrance exposure in mGy, angles in
  deg, distances in mm, field area in m2, pulse width and exposure time in ms, irradiation
  duration and fluoroscopy time in s, pulse rate in {pulse}/s;
- radiopharmaceutical: administered, pre- and post-administration activities in MBq,
  half-life in s, volume in cm3;
- patient characteristics: age in a (years, or mo for infants), height in cm, weight in kg;
  the image headers keep their own definitions: Patient's Size (0010,1020) in m, Patient's
  Weight (0010,1030) in kg.

Coded concepts (PS3.16; "SRT" codes as real vendor reports carry them, the quirk
``sct_codes`` writes the SNOMED CT equivalents instead):

- TID 10011 / 10012 / 10013 / 10014 (CT): 113701 "X-Ray Radiation Dose Report",
  121058 "Procedure reported" = P5-08000 "Computed Tomography X-Ray" (SCT 77477000),
  G-C0E8 "Has Intent" = R-408C3 "Diagnostic Intent", 113705 "Scope of Accumulation" =
  113014 "Study" with 110180 "Study Instance UID", 113809/113810 start/end of irradiation,
  113811 "CT Accumulated Dose Data" (113812 "Total Number of Irradiation Events" {events},
  113813 "CT Dose Length Product Total" mGy.cm), 113819 "CT Acquisition" (125203, 123014,
  113820 with 113804/113805/113806/113807/P5-08001, G-C32C "Procedure Context",
  113769 "Irradiation Event UID", 111526 "DateTime Started"), 113822 "CT Acquisition
  Parameters" (113824, 113825, 113826, 113827, 113828, 113823), 113831 "CT X-Ray Source
  Parameters" (113832, 113733, 113833, 113734, 113834), 113829 "CT Dose" (113830 "Mean
  CTDIvol" mGy, 113835 "CTDIw Phantom Type" = 113690 head 16 cm / 113691 body 32 cm,
  113838 "DLP" mGy.cm, and from CP 1525 (TID 10013 "CT Dose"): 113930 "Size Specific Dose
  Estimation" mGy, modified by G-C036 "Measurement Method" = 113988 "Estimated from Water
  Equivalent Diameter" (CID 10023) and INFERRED FROM 113980 "Water Equivalent Diameter" mm,
  itself modified by G-C036 = 113984 "Water Equivalent Diameter From Localizer" (CID 10024)),
  113854 "Source of Dose Information" = 113856 "Automated Data Collection".
- TID 1002 / 1004 observer context: 121005 "Observer Type" = 121007 "Device", 121012 "Device
  Observer UID", 121013 name, 121014 manufacturer, 121015 model name, 121016 serial number,
  121017 "Device Observer Physical Location During Observation".
- TID 10001 / 10002 / 10003 / 10004 / 10005 / 10007 (projection): 113704 "Projection X-Ray"
  or P5-40010 "Mammography", 113702 "Accumulated X-Ray Dose Data" with 113764 "Acquisition
  Plane" (113622 single, 113620 A, 113621 B), 113722 "Dose Area Product Total", 113725 "Dose
  (RP) Total", 113726/113728 fluoro DAP / Dose (RP) totals, 113730 "Total Fluoro Time",
  113727/113729 acquisition DAP / Dose (RP) totals, 113855 "Total Acquisition Time", 113731
  "Total Number of Radiographic Frames", 113780 "Reference Point Definition" (113860,
  113941, 113865), 111637 "Accumulated Average Glandular Dose" modified by G-C171
  "Laterality" = T-04030 "Left breast" / T-04020 "Right breast"; 113706 "Irradiation Event
  X-Ray Data" with 113721 "Irradiation Event Type" (P5-06000 Fluoroscopy, 113611 stationary,
  113612 stepping, 113613 rotational), 122130 "Dose Area Product", 113738 "Dose (RP)",
  112011/112012 positioner angles, 113788/113789/113790 collimated field, 113771 "X-Ray
  Filters" (113772 type, 113757 material C-127F9 Cu, C-120F9 Al, C-150F9 Mo, C-167F9 Rh,
  C-137F9 Ag, 113758/113773 thickness), 113732 "Fluoro Mode", 113791 "Pulse Rate", 113768
  "Number of Pulses", 113733 "KVP", 113734 "X-Ray Tube Current", 113824 "Exposure Time" (ms),
  113793 "Pulse Width", 113736 "Exposure" (uA.s), 113742 "Irradiation Duration", 113750
  "Distance Source to Detector", 113748 "Distance Source to Isocenter", 113751/113752/113753
  table positions, 111631 "Average Glandular Dose", 111636 "Entrance Exposure at RP",
  111633 "Compression Thickness", 111632 "Anode Target Material", 111634 "Half Value Layer",
  111031 "Image View".
- Patient characteristics (TID 10024 in the radiopharmaceutical report; in the X-ray reports
  the same container is added under the templates' extensibility): 121118 "Patient
  Characteristics", 121033 "Subject Age" (a / mo, CID 7456), 121032 "Subject Sex" (M, F, U,
  121102 "Other sex", CID 7455), 8302-2 LN "Patient Height" (cm), 29463-7 LN "Patient
  Weight" (kg).
- TID 10021 / 10022 (Radiopharmaceutical Radiation Dose, PS3.16 2024 edition, SNOMED CT
  codes; the quirk ``srt_codes`` writes the SNOMED-RT codes of the 2014 edition given in
  brackets): root 113500 "Radiopharmaceutical Radiation Dose Report"; 363589002 "Associated
  Procedure" [G-C2D0] (CID 3108, e.g. 68796002 musculoskeletal, 108294005 cardiovascular,
  7562007 endocrine, 19086005 respiratory, 241443006 PET tumour) modified by 363703001 "Has
  Intent" [G-C0E8] = 261004008 "Diagnostic Intent" [R-408C3]; 113502 "Radiopharmaceutical
  Administration" containing 349358000 "Radiopharmaceutical agent" [F-61FDB] (CID 25 /
  4021, e.g. 96390006 Tc99m medronate, 53951001 Tc99m oxidronate, 35321007 FDG) with HAS
  PROPERTIES 89457008 "Radionuclide" [C-10072] (CID 18 / 4020, e.g. 72454006 Tc-99m,
  77004003 F-18) and 304283002 "Radionuclide Half Life" [R-42806] (s), 113503
  "Radiopharmaceutical Administration Event UID", 123003 / 123004 "Radiopharmaceutical
  Start / Stop DateTime", 113507 "Administered activity" (MBq), 123005
  "Radiopharmaceutical Volume" (cm3), 113508 / 113509 "Pre- / Post-Administration Measured
  Activity" (MBq), 410675002 "Route of administration" [G-C340] = 47625008 "Intravenous
  route" [G-D101] with HAS PROPERTIES 272737002 "Site of" [G-C581] = 261459001 "Via arm
  vein" [G-D0C6] modified by 272741003 "Laterality" [G-C171]; then TID 10024 "Patient
  Characteristics" as above.

Image headers: Image and Fluoroscopy Area Dose Product (0018,115E) in dGy.cm2, Entrance
Dose in mGy (0040,8302) in mGy, Organ Dose (0040,0316) in dGy, CTDIvol (0018,9345) in mGy,
Radionuclide Total Dose (0018,1074) in MBq for NM (PS3.3 C.8.4.10.1.7) but in Bq for PET
(PS3.3 C.8.9.2, PET Isotope Module: "measured in Becquerels (Bq)").
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

_V = TypeVar("_V")

__all__ = [
    "ANATOMY",
    "KNOWN_QUIRKS",
    "Administration",
    "Code",
    "CtAcquisition",
    "Device",
    "Patient",
    "ProjectionEvent",
    "Study",
    "write_ct_image",
    "write_ct_rdsr",
    "write_dx_image",
    "write_mg_image",
    "write_nm_image",
    "write_pet_image",
    "write_projection_rdsr",
    "write_radiopharmaceutical_rdsr",
]

# --------------------------------------------------------------------------------------------
# SOP classes
# --------------------------------------------------------------------------------------------
XRAY_RDSR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.67"
ENHANCED_SR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.22"
RADIOPHARMACEUTICAL_RDSR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.68"
DX_IMAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray, For Presentation
MG_IMAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.2"  # Digital Mammography, For Presentation
CT_IMAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.2"
NM_IMAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.20"
PET_IMAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.128"

# --------------------------------------------------------------------------------------------
# Quirks
# --------------------------------------------------------------------------------------------
KNOWN_QUIRKS = frozenset(
    {
        "non_ucum_units",  # Gym2 instead of Gy.m2, mGycm instead of mGy.cm
        "empty_numeric",  # one NUM item with an empty Measured Value Sequence
        "empty_numeric_value",  # one NUM item with an empty Numeric Value (non-conformant)
        "no_patient_size",  # no height / weight anywhere
        "weight_zero",  # Patient's Weight 0.0 (meaning unknown)
        "enhanced_sr_carrier",  # X-ray dose report in Enhanced SR Storage
        "unknown_unit",  # DAP written with the made-up unit code "furlong"
        "implicit_vr",  # Implicit VR Little Endian transfer syntax
        "sct_codes",  # SNOMED CT codes instead of SNOMED-RT ones in X-ray reports
        "srt_codes",  # SNOMED-RT codes (PS3.16 2014) in the radiopharmaceutical report
        "text_reference_point",  # Reference Point Definition as TEXT (Philips style)
        "legacy_exposure_time_code",  # 113735 "Exposure Time" instead of 113824 for events
    }
)
DAP_UNITS: dict[str, float] = {
    # factor from Gy.cm2 to the unit
    "Gy.m2": 1e-4,
    "dGy.cm2": 10.0,
    "cGy.cm2": 100.0,
    "mGy.cm2": 1000.0,
    "uGy.m2": 100.0,
}


def _check_quirks(quirks: Iterable[str]) -> frozenset[str]:
    """Return `quirks` as a frozenset, refusing names this module does not know."""
    quirks = frozenset(quirks)
    unknown = {q for q in quirks if q not in KNOWN_QUIRKS and not q.startswith("dap_unit=")}
    if unknown:
        raise ValueError(f"unknown quirk(s): {sorted(unknown)}; known: {sorted(KNOWN_QUIRKS)}")
    return quirks


# --------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------
class Code(NamedTuple):
    """A coded concept: Code Value, Coding Scheme Designator, Code Meaning."""

    value: str
    scheme: str
    meaning: str


def _dcm(value: str, meaning: str) -> Code:
    return Code(value, "DCM", meaning)


def _srt(value: str, meaning: str) -> Code:
    return Code(value, "SRT", meaning)


def _sct(value: str, meaning: str) -> Code:
    return Code(value, "SCT", meaning)


def _ucum(value: str, meaning: str | None = None) -> Code:
    return Code(value, "UCUM", meaning or value)


# Concept names (DCM unless stated)
C_XRAY_REPORT = _dcm("113701", "X-Ray Radiation Dose Report")
C_PROCEDURE_REPORTED = _dcm("121058", "Procedure reported")
C_HAS_INTENT = _srt("G-C0E8", "Has Intent")
C_OBSERVER_TYPE = _dcm("121005", "Observer Type")
C_DEVICE = _dcm("121007", "Device")
C_DEVICE_UID = _dcm("121012", "Device Observer UID")
C_DEVICE_NAME = _dcm("121013", "Device Observer Name")
C_DEVICE_MANUFACTURER = _dcm("121014", "Device Observer Manufacturer")
C_DEVICE_MODEL = _dcm("121015", "Device Observer Model Name")
C_DEVICE_SERIAL = _dcm("121016", "Device Observer Serial Number")
C_DEVICE_LOCATION = _dcm("121017", "Device Observer Physical Location During Observation")
C_START_IRRADIATION = _dcm("113809", "Start of X-Ray Irradiation")
C_END_IRRADIATION = _dcm("113810", "End of X-Ray Irradiation")
C_SCOPE = _dcm("113705", "Scope of Accumulation")
C_STUDY = _dcm("113014", "Study")
C_STUDY_UID = _dcm("110180", "Study Instance UID")
C_SOURCE_OF_DOSE = _dcm("113854", "Source of Dose Information")
C_AUTOMATED = _dcm("113856", "Automated Data Collection")
C_YES = _srt("R-0038D", "Yes")
C_DETECTOR_DATA = _dcm("113945", "X-Ray Detector Data Available")
C_SOURCE_DATA = _dcm("113943", "X-Ray Source Data Available")
C_MECHANICAL_DATA = _dcm("113944", "X-Ray Mechanical Data Available")
C_COMMENT = _dcm("121106", "Comment")
C_PATIENT_CHARACTERISTICS = _dcm("121118", "Patient Characteristics")
C_SUBJECT_AGE = _dcm("121033", "Subject Age")
C_SUBJECT_SEX = _dcm("121032", "Subject Sex")
C_PATIENT_HEIGHT = Code("8302-2", "LN", "Patient Height")
C_PATIENT_WEIGHT = Code("29463-7", "LN", "Patient Weight")
C_MEASUREMENT_METHOD = _srt("G-C036", "Measurement Method")
C_LATERALITY = _srt("G-C171", "Laterality")

# CT
C_CT_PROCEDURE = _srt("P5-08000", "Computed Tomography X-Ray")
C_CT_ACCUMULATED = _dcm("113811", "CT Accumulated Dose Data")
C_TOTAL_EVENTS = _dcm("113812", "Total Number of Irradiation Events")
C_DLP_TOTAL = _dcm("113813", "CT Dose Length Product Total")
C_CT_ACQUISITION = _dcm("113819", "CT Acquisition")
C_ACQUISITION_PROTOCOL = _dcm("125203", "Acquisition Protocol")
C_TARGET_REGION = _dcm("123014", "Target Region")
C_CT_ACQUISITION_TYPE = _dcm("113820", "CT Acquisition Type")
C_PROCEDURE_CONTEXT = _srt("G-C32C", "Procedure Context")
C_EVENT_UID = _dcm("113769", "Irradiation Event UID")
C_DATETIME_STARTED = _dcm("111526", "DateTime Started")
C_CT_PARAMETERS = _dcm("113822", "CT Acquisition Parameters")
C_CT_EXPOSURE_TIME = _dcm("113824", "Exposure Time")
C_SCANNING_LENGTH = _dcm("113825", "Scanning Length")
C_SINGLE_COLLIMATION = _dcm("113826", "Nominal Single Collimation Width")
C_TOTAL_COLLIMATION = _dcm("113827", "Nominal Total Collimation Width")
C_PITCH = _dcm("113828", "Pitch Factor")
C_NUMBER_OF_SOURCES = _dcm("113823", "Number of X-Ray Sources")
C_SOURCE_PARAMETERS = _dcm("113831", "CT X-Ray Source Parameters")
C_SOURCE_ID = _dcm("113832", "Identification of the X-Ray Source")
C_KVP = _dcm("113733", "KVP")
C_MAX_TUBE_CURRENT = _dcm("113833", "Maximum X-Ray Tube Current")
C_TUBE_CURRENT = _dcm("113734", "X-Ray Tube Current")
C_ROTATION_TIME = _dcm("113834", "Exposure Time per Rotation")
C_CT_DOSE = _dcm("113829", "CT Dose")
C_CTDIVOL = _dcm("113830", "Mean CTDIvol")
C_PHANTOM_TYPE = _dcm("113835", "CTDIw Phantom Type")
C_HEAD_PHANTOM = _dcm("113690", "IEC Head Dosimetry Phantom")
C_BODY_PHANTOM = _dcm("113691", "IEC Body Dosimetry Phantom")
C_DLP = _dcm("113838", "DLP")
C_SSDE = _dcm("113930", "Size Specific Dose Estimation")
C_SSDE_FROM_WED = _dcm("113988", "Estimated from Water Equivalent Diameter")
C_WED = _dcm("113980", "Water Equivalent Diameter")
C_WED_FROM_LOCALIZER = _dcm("113984", "Water Equivalent Diameter From Localizer")
C_WITHOUT_CONTRAST = _srt("P5-0808E", "CT without contrast")
C_WITH_CONTRAST = _srt("P5-00100", "Diagnostic radiography with contrast media")
CT_ACQUISITION_TYPES: dict[str, Code] = {
    "spiral": _srt("P5-08001", "Spiral Acquisition"),
    "sequenced": _dcm("113804", "Sequenced Acquisition"),
    "constant_angle": _dcm("113805", "Constant Angle Acquisition"),
    "stationary": _dcm("113806", "Stationary Acquisition"),
    "free": _dcm("113807", "Free Acquisition"),
}

# Projection
C_PROJECTION_PROCEDURE = _dcm("113704", "Projection X-Ray")
C_MAMMOGRAPHY_PROCEDURE = _srt("P5-40010", "Mammography")
C_ACCUMULATED_XRAY = _dcm("113702", "Accumulated X-Ray Dose Data")
C_ACQUISITION_PLANE = _dcm("113764", "Acquisition Plane")
C_DAP_TOTAL = _dcm("113722", "Dose Area Product Total")
C_RP_TOTAL = _dcm("113725", "Dose (RP) Total")
C_FLUORO_DAP_TOTAL = _dcm("113726", "Fluoro Dose Area Product Total")
C_FLUORO_RP_TOTAL = _dcm("113728", "Fluoro Dose (RP) Total")
C_FLUORO_TIME_TOTAL = _dcm("113730", "Total Fluoro Time")
C_ACQ_DAP_TOTAL = _dcm("113727", "Acquisition Dose Area Product Total")
C_ACQ_RP_TOTAL = _dcm("113729", "Acquisition Dose (RP) Total")
C_ACQ_TIME_TOTAL = _dcm("113855", "Total Acquisition Time")
C_FRAMES_TOTAL = _dcm("113731", "Total Number of Radiographic Frames")
C_REFERENCE_POINT = _dcm("113780", "Reference Point Definition")
C_ACCUMULATED_AGD = _dcm("111637", "Accumulated Average Glandular Dose")
C_EVENT_DATA = _dcm("113706", "Irradiation Event X-Ray Data")
C_EVENT_TYPE = _dcm("113721", "Irradiation Event Type")
C_IMAGE_VIEW = _dcm("111031", "Image View")
C_DAP = _dcm("122130", "Dose Area Product")
C_RP_DOSE = _dcm("113738", "Dose (RP)")
C_PRIMARY_ANGLE = _dcm("112011", "Positioner Primary Angle")
C_SECONDARY_ANGLE = _dcm("112012", "Positioner Secondary Angle")
C_FIELD_AREA = _dcm("113790", "Collimated Field Area")
C_FIELD_HEIGHT = _dcm("113788", "Collimated Field Height")
C_FIELD_WIDTH = _dcm("113789", "Collimated Field Width")
C_FILTERS = _dcm("113771", "X-Ray Filters")
C_FILTER_TYPE = _dcm("113772", "X-Ray Filter Type")
C_FLAT_FILTER = _dcm("113653", "Flat filter")
C_FILTER_MATERIAL = _dcm("113757", "X-Ray Filter Material")
C_FILTER_MIN = _dcm("113758", "X-Ray Filter Thickness Minimum")
C_FILTER_MAX = _dcm("113773", "X-Ray Filter Thickness Maximum")
C_FLUORO_MODE = _dcm("113732", "Fluoro Mode")
C_PULSED = _dcm("113631", "Pulsed")
C_CONTINUOUS = _dcm("113630", "Continuous")
C_PULSE_RATE = _dcm("113791", "Pulse Rate")
C_NUMBER_OF_PULSES = _dcm("113768", "Number of Pulses")
C_EVENT_EXPOSURE_TIME = _dcm("113824", "Exposure Time")
C_LEGACY_EXPOSURE_TIME = _dcm("113735", "Exposure Time")
C_PULSE_WIDTH = _dcm("113793", "Pulse Width")
C_EXPOSURE = _dcm("113736", "Exposure")
C_IRRADIATION_DURATION = _dcm("113742", "Irradiation Duration")
C_SOURCE_DETECTOR = _dcm("113750", "Distance Source to Detector")
C_SOURCE_ISOCENTER = _dcm("113748", "Distance Source to Isocenter")
C_TABLE_LONGITUDINAL = _dcm("113751", "Table Longitudinal Position")
C_TABLE_LATERAL = _dcm("113752", "Table Lateral Position")
C_TABLE_HEIGHT = _dcm("113753", "Table Height Position")
C_PATIENT_TABLE_RELATIONSHIP = _dcm("113745", "Patient Table Relationship")
C_PATIENT_ORIENTATION = _dcm("113743", "Patient Orientation")
C_PATIENT_ORIENTATION_MODIFIER = _dcm("113744", "Patient Orientation Modifier")
C_HEADFIRST = _srt("F-10470", "headfirst")
C_RECUMBENT = _srt("F-10450", "recumbent")
C_SUPINE = _srt("F-10340", "supine")
C_AGD = _dcm("111631", "Average Glandular Dose")
C_ENTRANCE_EXPOSURE = _dcm("111636", "Entrance Exposure at RP")
C_COMPRESSION = _dcm("111633", "Compression Thickness")
C_ANODE = _dcm("111632", "Anode Target Material")
C_HVL = _dcm("111634", "Half Value Layer")
PLANES: dict[str, Code] = {
    "single": _dcm("113622", "Single Plane"),
    "A": _dcm("113620", "Plane A"),
    "B": _dcm("113621", "Plane B"),
}
EVENT_TYPES: dict[str, Code] = {
    "fluoroscopy": _srt("P5-06000", "Fluoroscopy"),
    "stationary": _dcm("113611", "Stationary Acquisition"),
    "stepping": _dcm("113612", "Stepping Acquisition"),
    "rotational": _dcm("113613", "Rotational Acquisition"),
}
REFERENCE_POINTS: dict[str, Code] = {
    "isocenter_15cm": _dcm("113860", "15cm from Isocenter toward Source"),
    "detector_plane": _dcm("113941", "In Detector Plane"),
    "breast_4_2cm": _dcm("113865", "4.2cm above Breast Support Surface"),
    "front_of_receptor_30cm": _dcm("113861", "30cm in Front of Image Input Surface"),
}
FILTER_MATERIALS: dict[str, Code] = {
    "copper": _srt("C-127F9", "Copper or Copper compound"),
    "aluminium": _srt("C-120F9", "Aluminum or Aluminum compound"),
    "molybdenum": _srt("C-150F9", "Molybdenum or Molybdenum compound"),
    "rhodium": _srt("C-167F9", "Rhodium or Rhodium compound"),
    "silver": _srt("C-137F9", "Silver or Silver compound"),
    "tungsten": _srt("C-164F9", "Tungsten or Tungsten compound"),
}
ANODE_MATERIALS: dict[str, Code] = {
    k: FILTER_MATERIALS[k] for k in ("molybdenum", "rhodium", "tungsten")
}
INTENTS: dict[str, Code] = {
    "diagnostic": _srt("R-408C3", "Diagnostic Intent"),
    "therapeutic": _srt("R-41531", "Therapeutic Intent"),
    "combined": _srt("R-002E9", "Combined Diagnostic and Therapeutic Procedure"),
}
IMAGE_VIEWS: dict[str, tuple[Code, str]] = {
    # key: (SR code, View Position (0018,5101) for image headers)
    "AP": (_srt("R-10206", "antero-posterior"), "AP"),
    "PA": (_srt("R-10214", "postero-anterior"), "PA"),
    "LAT": (_srt("R-102CD", "lateral"), "LL"),
    "LL": (_srt("R-10236", "left lateral"), "LL"),
    "RL": (_srt("R-10232", "right lateral"), "RL"),
    "OBL": (_srt("R-102C1", "oblique"), "OBL"),
    "CC": (_srt("R-10242", "cranio-caudal"), "CC"),
    "MLO": (_srt("R-10226", "medio-lateral oblique"), "MLO"),
}
C_BREAST = _srt("T-04000", "Breast")
BREAST_SIDES: dict[str, tuple[Code, Code]] = {
    # laterality: (modifier of the event's target region, modifier of accumulated AGD)
    "L": (_srt("G-A101", "Left"), _srt("T-04030", "Left breast")),
    "R": (_srt("G-A100", "Right"), _srt("T-04020", "Right breast")),
}

#: Anatomy keys -> (Target Region code, Body Part Examined (0018,0015) for image headers).
ANATOMY: dict[str, tuple[Code, str]] = {
    "head": (_srt("T-D1100", "Head"), "HEAD"),
    "brain": (_srt("T-A0100", "Brain"), "BRAIN"),
    "skull": (_srt("T-11100", "Skull"), "SKULL"),
    "sinus": (_srt("T-22000", "Paranasal sinus"), "SINUS"),
    "neck": (_srt("T-D1600", "Neck"), "NECK"),
    "chest": (_srt("T-D3000", "Chest"), "CHEST"),
    "heart": (_srt("T-32000", "Heart"), "HEART"),
    "coronary": (_srt("T-43000", "Coronary artery"), "HEART"),
    "abdomen": (_srt("T-D4000", "Abdomen"), "ABDOMEN"),
    "pelvis": (_srt("T-D6000", "Pelvis"), "PELVIS"),
    "abdomen_pelvis": (_srt("R-FAB57", "Abdomen and Pelvis"), "ABDOMENPELVIS"),
    "chest_abdomen": (_srt("R-FAB55", "Chest and Abdomen"), "CHESTABDOMEN"),
    "chest_abdomen_pelvis": (_srt("R-FAB56", "Chest, Abdomen and Pelvis"), "CHESTABDPELVIS"),
    "cervical_spine": (_srt("T-11501", "Cervical spine"), "CSPINE"),
    "thoracic_spine": (_srt("T-11502", "Thoracic spine"), "TSPINE"),
    "lumbar_spine": (_srt("T-11503", "Lumbar spine"), "LSPINE"),
    "shoulder": (_srt("T-D2220", "Shoulder"), "SHOULDER"),
    "hip": (_srt("T-15710", "Hip joint"), "HIP"),
    "femur": (_srt("T-12710", "Femur"), "LEG"),
    "knee": (_srt("T-D9200", "Knee"), "KNEE"),
    "ankle": (_srt("T-15750", "Ankle joint"), "ANKLE"),
    "wrist": (_srt("T-15460", "Wrist joint"), "WRIST"),
    "hand": (_srt("T-D8700", "Hand"), "HAND"),
    "upper_limb": (_srt("T-D8000", "Upper limb"), "ARM"),
    "lower_limb": (_srt("T-D9000", "Lower limb"), "LEG"),
    "breast": (C_BREAST, "BREAST"),
    "entire_body": (_srt("T-D0010", "Entire body"), "WHOLEBODY"),
}

#: SNOMED-RT code value -> SNOMED CT equivalent (PS3.16 Annex O / current CIDs).
_SRT_TO_SCT: dict[str, Code] = {
    "G-C0E8": _sct("363703001", "Has Intent"),
    "G-C036": _sct("370129005", "Measurement Method"),
    "G-C171": _sct("272741003", "Laterality"),
    "G-C32C": _sct("408730004", "Procedure Context"),
    "R-0038D": _sct("373066001", "Yes"),
    "P5-08000": _sct("77477000", "Computed Tomography X-Ray"),
    "P5-40010": _sct("71651007", "Mammography"),
    "P5-08001": _sct("116152004", "Spiral Acquisition"),
    "P5-06000": _sct("44491008", "Fluoroscopy"),
    "P5-0808E": _sct("399331006", "CT without contrast"),
    "P5-00100": _sct("27483000", "Diagnostic radiography with contrast media"),
    "R-408C3": _sct("261004008", "Diagnostic Intent"),
    "R-41531": _sct("262202000", "Therapeutic Intent"),
    "R-002E9": _sct("1279505009", "Combined Diagnostic and Therapeutic Intent"),
    "F-10470": _sct("102540008", "headfirst"),
    "F-10450": _sct("102538003", "recumbent"),
    "F-10340": _sct("40199007", "supine"),
    "C-127F9": _sct("66925006", "Copper"),
    "C-120F9": _sct("12503006", "Aluminum"),
    "C-150F9": _sct("71128006", "Molybdenum"),
    "C-167F9": _sct("59801003", "Rhodium"),
    "C-137F9": _sct("41967008", "Silver"),
    "C-164F9": _sct("26194003", "Tungsten"),
    "R-10206": _sct("399348003", "antero-posterior"),
    "R-10214": _sct("272479007", "postero-anterior"),
    "R-102CD": _sct("399067008", "lateral"),
    "R-10236": _sct("399173006", "left lateral"),
    "R-10232": _sct("399198007", "right lateral"),
    "R-102C1": _sct("399182000", "oblique"),
    "R-10242": _sct("399162004", "cranio-caudal"),
    "R-10226": _sct("399368009", "medio-lateral oblique"),
    "T-04000": _sct("76752008", "Breast"),
    "T-04030": _sct("80248007", "Left breast"),
    "T-04020": _sct("73056007", "Right breast"),
    "G-A101": _sct("7771000", "Left"),
    "G-A100": _sct("24028007", "Right"),
    "T-D1100": _sct("69536005", "Head"),
    "T-A0100": _sct("12738006", "Brain"),
    "T-11100": _sct("89546000", "Skull"),
    "T-22000": _sct("2095001", "Paranasal sinus"),
    "T-D1600": _sct("45048000", "Neck"),
    "T-D3000": _sct("816094009", "Chest"),
    "T-32000": _sct("80891009", "Heart"),
    "T-43000": _sct("41801008", "Coronary artery"),
    "T-D4000": _sct("818981001", "Abdomen"),
    "T-D6000": _sct("816092008", "Pelvis"),
    "R-FAB57": _sct("818982008", "Abdomen and Pelvis"),
    "R-FAB55": _sct("416550000", "Chest and Abdomen"),
    "R-FAB56": _sct("416775004", "Chest, Abdomen and Pelvis"),
    "T-11501": _sct("122494005", "Cervical spine"),
    "T-11502": _sct("122495006", "Thoracic spine"),
    "T-11503": _sct("122496007", "Lumbar spine"),
    "T-D2220": _sct("16982005", "Shoulder"),
    "T-15710": _sct("24136001", "Hip joint"),
    "T-12710": _sct("71341001", "Femur"),
    "T-D9200": _sct("72696002", "Knee"),
    "T-15750": _sct("70258002", "Ankle joint"),
    "T-15460": _sct("74670003", "Wrist joint"),
    "T-D8700": _sct("85562004", "Hand"),
    "T-D8000": _sct("53120007", "Upper limb"),
    "T-D9000": _sct("61685007", "Lower limb"),
    "T-D0010": _sct("38266002", "Entire body"),
}

# Radiopharmaceutical report: (current SNOMED CT code, SNOMED-RT code of PS3.16 2014)
C_RADIOPHARM_REPORT = _dcm("113500", "Radiopharmaceutical Radiation Dose Report")
C_RADIOPHARM_ADMINISTRATION = _dcm("113502", "Radiopharmaceutical Administration")
C_ADMINISTRATION_UID = _dcm("113503", "Radiopharmaceutical Administration Event UID")
C_RADIOPHARM_START = _dcm("123003", "Radiopharmaceutical Start DateTime")
C_RADIOPHARM_STOP = _dcm("123004", "Radiopharmaceutical Stop DateTime")
C_ADMINISTERED_ACTIVITY = _dcm("113507", "Administered activity")
C_RADIOPHARM_VOLUME = _dcm("123005", "Radiopharmaceutical Volume")
C_PRE_ACTIVITY = _dcm("113508", "Pre-Administration Measured Activity")
C_POST_ACTIVITY = _dcm("113509", "Post-Administration Measured Activity")
_NM_PAIRS: dict[str, tuple[Code, Code]] = {
    "associated_procedure": (
        _sct("363589002", "Associated Procedure"),
        _srt("G-C2D0", "Associated Procedure"),
    ),
    "has_intent": (_sct("363703001", "Has Intent"), _srt("G-C0E8", "Has Intent")),
    "diagnostic_intent": (
        _sct("261004008", "Diagnostic Intent"),
        _srt("R-408C3", "Diagnostic Intent"),
    ),
    "agent": (
        _sct("349358000", "Radiopharmaceutical agent"),
        _srt("F-61FDB", "Radiopharmaceutical agent"),
    ),
    "radionuclide": (_sct("89457008", "Radionuclide"), _srt("C-10072", "Radionuclide")),
    "half_life": (
        _sct("304283002", "Radionuclide Half Life"),
        _srt("R-42806", "Radionuclide Half Life"),
    ),
    "route": (
        _sct("410675002", "Route of administration"),
        _srt("G-C340", "Route of administration"),
    ),
    "site_of": (_sct("272737002", "Site of"), _srt("G-C581", "Site of")),
    "arm_vein": (_sct("261459001", "Via arm vein"), _srt("G-D0C6", "Via arm vein")),
    "laterality": (_sct("272741003", "Laterality"), _srt("G-C171", "Laterality")),
    "left": (_sct("7771000", "Left"), _srt("G-A101", "Left")),
    "right": (_sct("24028007", "Right"), _srt("G-A100", "Right")),
}
ROUTES: dict[str, tuple[Code, Code, str]] = {
    # key: (SCT, SRT, Radiopharmaceutical Route (0018,1070) text)
    "intravenous": (
        _sct("47625008", "Intravenous route"),
        _srt("G-D101", "Intravenous route"),
        "IV",
    ),
    "oral": (_sct("26643006", "Oral route"), _srt("G-D140", "Oral route"), "ORAL"),
    "inhalation": (
        _sct("446406008", "By inhalation"),
        _srt("R-40B32", "By inhalation"),
        "INHALATION",
    ),
}


class _Nuclide(NamedTuple):
    sct: Code
    srt: Code
    half_life_s: float
    positron_fraction: float | None


RADIONUCLIDES: dict[str, _Nuclide] = {
    "Tc-99m": _Nuclide(
        _sct("72454006", "^99m^Technetium"), _srt("C-163A8", "^99m^Technetium"), 21624.12, None
    ),
    "F-18": _Nuclide(
        _sct("77004003", "^18^Fluorine"), _srt("C-111A1", "^18^Fluorine"), 6586.2, 0.9673
    ),
    "I-123": _Nuclide(
        _sct("21572004", "^123^Iodine"), _srt("C-114A4", "^123^Iodine"), 47604.0, None
    ),
    "I-131": _Nuclide(
        _sct("1368003", "^131^Iodine"), _srt("C-114B1", "^131^Iodine"), 692928.0, None
    ),
    "Tl-201": _Nuclide(
        _sct("60057003", "^201^Thallium"), _srt("C-138A9", "^201^Thallium"), 262483.0, None
    ),
    "Ga-68": _Nuclide(
        _sct("35337001", "^68^Gallium"), _srt("C-131A3", "^68^Gallium"), 4062.6, 0.8911
    ),
}


class _Agent(NamedTuple):
    sct: Code
    srt: Code
    nuclide: str
    procedure: str
    label: str  # Radiopharmaceutical (0018,0031) text in image headers


RADIOPHARMACEUTICALS: dict[str, _Agent] = {
    "Technetium Tc99m medronate": _Agent(
        _sct("96390006", "Technetium Tc^99m^ medronate"),
        _srt("C-B1218", "Technetium Tc^99m^ medronate"),
        "Tc-99m",
        "bone",
        "Tc99m MDP",
    ),
    "Technetium Tc99m oxidronate": _Agent(
        _sct("53951001", "Technetium Tc^99m^ oxidronate"),
        _srt("C-B1213", "Technetium Tc^99m^ oxidronate"),
        "Tc-99m",
        "bone",
        "Tc99m HDP",
    ),
    "Technetium Tc99m tetrofosmin": _Agent(
        _sct("424118002", "Technetium Tc^99m^ tetrofosmin"),
        _srt("C-163AD", "Technetium Tc^99m^ tetrofosmin"),
        "Tc-99m",
        "cardiac",
        "Tc99m MYOVIEW",
    ),
    "Technetium Tc99m sestamibi": _Agent(
        _sct("424299003", "Technetium Tc^99m^ sestamibi"),
        _srt("C-163AB", "Technetium Tc^99m^ sestamibi"),
        "Tc-99m",
        "cardiac",
        "Tc99m MIBI",
    ),
    "Sodium pertechnetate Tc99m": _Agent(
        _sct("19495007", "Sodium pertechnetate Tc^99m^"),
        _srt("C-B1206", "Sodium pertechnetate Tc^99m^"),
        "Tc-99m",
        "thyroid",
        "Tc99m PERTECH",
    ),
    "Technetium Tc99m macroaggregated albumin": _Agent(
        _sct("81761004", "Technetium Tc^99m^ microaggregated albumin"),
        _srt("C-B1203", "Technetium Tc^99m^ microaggregated albumin"),
        "Tc-99m",
        "lung",
        "Tc99m MAA",
    ),
    "Ioflupane I^123^": _Agent(
        _sct("429296007", "Ioflupane I^123^"),
        _srt("C-B07EC", "Ioflupane I^123^"),
        "I-123",
        "brain",
        "DATSCAN",
    ),
    "Sodium iodide I^123^": _Agent(
        _sct("67690002", "Sodium iodide I^123^"),
        _srt("C-B1081", "Sodium iodide I^123^"),
        "I-123",
        "thyroid",
        "I123 NaI",
    ),
    "Thallous chloride Tl^201^": _Agent(
        _sct("73685002", "Thallous chloride Tl^201^"),
        _srt("C-B1231", "Thallous chloride Tl^201^"),
        "Tl-201",
        "cardiac",
        "Tl201",
    ),
    "Fluorodeoxyglucose F^18^": _Agent(
        _sct("35321007", "Fluorodeoxyglucose F^18^"),
        _srt("C-B1031", "Fluorodeoxyglucose F^18^"),
        "F-18",
        "pet_tumour",
        "FDG -- fluorodeoxyglucose",
    ),
}
_AGENT_ALIASES: dict[str, str] = {
    "mdp": "Technetium Tc99m medronate",
    "hdp": "Technetium Tc99m oxidronate",
    "hmdp": "Technetium Tc99m oxidronate",
    "tetrofosmin": "Technetium Tc99m tetrofosmin",
    "myoview": "Technetium Tc99m tetrofosmin",
    "sestamibi": "Technetium Tc99m sestamibi",
    "mibi": "Technetium Tc99m sestamibi",
    "pertechnetate": "Sodium pertechnetate Tc99m",
    "maa": "Technetium Tc99m macroaggregated albumin",
    "datscan": "Ioflupane I^123^",
    "ioflupane": "Ioflupane I^123^",
    "nai123": "Sodium iodide I^123^",
    "thallium": "Thallous chloride Tl^201^",
    "fdg": "Fluorodeoxyglucose F^18^",
}
NM_PROCEDURES: dict[str, tuple[Code, Code]] = {
    "bone": (
        _sct("68796002", "Radioisotope study of musculoskeletal system"),
        _srt("P5-D1000", "Radioisotope study of musculoskeletal system"),
    ),
    "cardiac": (
        _sct("108294005", "Nuclear medicine cardiovascular study"),
        _srt("P5-D30F8", "Nuclear medicine cardiovascular study"),
    ),
    "thyroid": (
        _sct("7562007", "Radioisotope study of endocrine system"),
        _srt("P5-D6000", "Radioisotope study of endocrine system"),
    ),
    "lung": (
        _sct("19086005", "Radioisotope study of respiratory system"),
        _srt("P5-D2000", "Radioisotope study of respiratory system"),
    ),
    "renal": (
        _sct("76927004", "Radioisotope study of genitourinary system"),
        _srt("P5-D7000", "Radioisotope study of genitourinary system"),
    ),
    "brain": (
        _sct("45316007", "Radionuclide localization of tumor"),
        _srt("P5-D0061", "Radionuclide localization of tumor"),
    ),
    "pet_tumour": (
        _sct("241443006", "PET study for localization of tumor"),
        _srt("P5-0A00A", "PET study for localization of tumor"),
    ),
}

# Units
U_GY = _ucum("Gy")
U_MGY = _ucum("mGy")
U_MGYCM = _ucum("mGy.cm")
U_S = _ucum("s")
U_MS = _ucum("ms")
U_MM = _ucum("mm")
U_CM = _ucum("cm")
U_M2 = _ucum("m2")
U_KV = _ucum("kV")
U_MA = _ucum("mA")
U_UAS = _ucum("uA.s")
U_DEG = _ucum("deg")
U_KG = _ucum("kg")
U_YEAR = _ucum("a", "year")
U_MONTH = _ucum("mo", "month")
U_MBQ = _ucum("MBq")
U_CM3 = _ucum("cm3")
U_NO_UNITS = _ucum("1", "no units")
U_EVENTS = _ucum("{events}", "events")
U_SOURCES = _ucum("{X-Ray sources}", "X-Ray sources")
U_RATIO = _ucum("{ratio}", "ratio")
U_PULSE_RATE = _ucum("{pulse}/s", "pulse/s")
U_NON_UCUM_GYM2 = _ucum("Gym2")
U_NON_UCUM_MGYCM = _ucum("mGycm")
U_FURLONG = _ucum("furlong")
SEX_CODES: dict[str, Code] = {
    "M": _dcm("M", "Male"),
    "F": _dcm("F", "Female"),
    "O": _dcm("121102", "Other sex"),
    "U": _dcm("U", "Unknown sex"),
}


# --------------------------------------------------------------------------------------------
# Input dataclasses
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patient:
    """The patient (or phantom) of a report.

    ``name`` is a DICOM person name (``FAMILY^Given``), ``sex`` one of ``M``, ``F``, ``O``;
    ``age_years`` in years (a fraction for infants), ``weight_kg`` in kg, ``height_m`` in m.
    """

    patient_id: str
    name: str
    birth_date: date | None
    sex: str
    age_years: float | None
    weight_kg: float | None = None
    height_m: float | None = None
    quality_control: bool = False


@dataclass(frozen=True)
class Device:
    """The irradiating device, as the General Equipment module and the SR observer context
    describe it."""

    manufacturer: str
    model: str
    serial_number: str
    station_name: str
    device_observer_uid: str
    institution: str
    department: str = ""
    software_version: str = "1.0"


@dataclass(frozen=True)
class Study:
    """Study-level attributes shared by every object of an exam. ``start`` is local time."""

    study_instance_uid: str
    accession_number: str
    description: str
    start: datetime
    study_id: str = "1"
    referring_physician: str = ""


@dataclass(frozen=True)
class CtAcquisition:
    """One CT irradiation event (TID 10013).

    Doses: ``ctdivol_mgy`` and ``ssde_mgy`` in mGy, ``dlp_mgycm`` in mGy.cm; ``phantom`` the
    CTDI phantom diameter in cm (16 head, 32 body); ``kvp`` in kV, ``tube_current_ma`` and
    ``max_tube_current_ma`` in mA, ``exposure_time_s`` and ``rotation_time_s`` in s, lengths,
    collimations and ``water_equivalent_diameter_mm`` in mm.
    """

    protocol: str
    target_region: str
    acquisition_type: Literal["spiral", "sequenced", "constant_angle", "stationary", "free"]
    start: datetime
    ctdivol_mgy: float | None
    dlp_mgycm: float | None
    phantom: int = 32
    kvp: float | None = 120.0
    tube_current_ma: float | None = None
    max_tube_current_ma: float | None = None
    exposure_time_s: float | None = None
    rotation_time_s: float | None = None
    pitch: float | None = None
    scan_length_mm: float | None = None
    single_collimation_mm: float | None = None
    total_collimation_mm: float | None = None
    ssde_mgy: float | None = None
    water_equivalent_diameter_mm: float | None = None
    contrast: bool | None = None
    event_uid: str | None = None


@dataclass(frozen=True)
class ProjectionEvent:
    """One projection irradiation event (TID 10003 and its sub-templates).

    Doses: ``dap_gycm2`` in Gy.cm2 (written in Gy.m2 or the unit the caller chooses),
    ``kar_mgy`` (Dose (RP)) in mGy (written in Gy), ``agd_mgy`` and
    ``entrance_exposure_mgy`` in mGy. Angles in deg (primary: + toward the patient's left,
    LAO; secondary: + cranial), distances and table positions in mm, field width / height in
    mm at the image receptor, ``field_area_m2`` in m2, ``kvp`` in kV, ``tube_current_ma`` in
    mA, ``pulse_width_ms`` and ``exposure_time_ms`` in ms, ``pulse_rate_per_s`` in pulses per
    second, ``irradiation_duration_s`` in s, ``exposure_uas`` in uA.s, filter thickness and
    compression thickness and half value layer in mm.
    """

    event_type: Literal["fluoroscopy", "stationary", "rotational", "stepping"]
    start: datetime
    dap_gycm2: float
    kar_mgy: float | None = None
    protocol: str | None = None
    plane: Literal["single", "A", "B"] = "single"
    primary_angle_deg: float | None = None
    secondary_angle_deg: float | None = None
    source_isocenter_mm: float | None = None
    source_detector_mm: float | None = None
    table_longitudinal_mm: float | None = None
    table_lateral_mm: float | None = None
    table_height_mm: float | None = None
    field_width_mm: float | None = None
    field_height_mm: float | None = None
    field_area_m2: float | None = None
    kvp: float | None = None
    tube_current_ma: float | None = None
    pulse_width_ms: float | None = None
    pulse_rate_per_s: float | None = None
    number_of_pulses: int | None = None
    exposure_time_ms: float | None = None
    irradiation_duration_s: float | None = None
    exposure_uas: float | None = None
    filter_material: str | None = None
    filter_thickness_mm: float | None = None
    agd_mgy: float | None = None
    laterality: Literal["L", "R"] | None = None
    compression_thickness_mm: float | None = None
    entrance_exposure_mgy: float | None = None
    anode_target: str | None = None
    half_value_layer_mm: float | None = None
    image_view: str | None = None
    target_region: str | None = None
    comment: str | None = None
    event_uid: str | None = None


@dataclass(frozen=True)
class Administration:
    """One radiopharmaceutical administration (TID 10022).

    ``radionuclide`` a key of :data:`RADIONUCLIDES` (``Tc-99m``, ``F-18``...);
    ``radiopharmaceutical`` a key of :data:`RADIOPHARMACEUTICALS` or a code meaning
    (``Technetium Tc99m medronate``, ``Fluorodeoxyglucose F^18^``...); ``activity_mbq``,
    ``pre_activity_mbq`` and ``post_activity_mbq`` in MBq; ``volume_ml`` in mL (cm3).
    """

    radionuclide: str
    radiopharmaceutical: str
    activity_mbq: float
    start: datetime
    stop: datetime | None = None
    route: Literal["intravenous", "oral", "inhalation"] = "intravenous"
    pre_activity_mbq: float | None = None
    post_activity_mbq: float | None = None
    volume_ml: float | None = None
    site_laterality: Literal["L", "R"] | None = "L"
    event_uid: str | None = None


# --------------------------------------------------------------------------------------------
# Value formatting
# --------------------------------------------------------------------------------------------
def _ds(value: float) -> str:
    """Format `value` as a Decimal String of at most 16 characters."""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"cannot encode {value!r} as a DICOM decimal string")
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = repr(v)
    if len(text) <= 16:
        return text
    for precision in range(15, 0, -1):
        text = f"{v:.{precision}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"cannot encode {value!r} in 16 characters")  # pragma: no cover


def _round_trip(value: float) -> float:
    """Return the value a reader gets back from the decimal string written for `value`."""
    return float(_ds(value))


def _dt(moment: datetime) -> str:
    """Format a DICOM DT value (local time, no offset)."""
    text = moment.strftime("%Y%m%d%H%M%S")
    return f"{text}.{moment.microsecond:06d}" if moment.microsecond else text


def _da(day: date) -> str:
    return day.strftime("%Y%m%d")


def _tm(moment: datetime) -> str:
    return moment.strftime("%H%M%S")


def _age_string(age_years: float) -> str:
    """Patient's Age (0010,1010) in the nnnY / nnnM / nnnW / nnnD form."""
    if age_years >= 1:
        return f"{min(int(age_years), 999):03d}Y"
    months = int(age_years * 12)
    if months >= 1:
        return f"{months:03d}M"
    weeks = int(age_years * 52.18)
    if weeks >= 1:
        return f"{weeks:03d}W"
    return f"{max(int(age_years * 365.25), 0):03d}D"


# --------------------------------------------------------------------------------------------
# Low-level SR content encoder
# --------------------------------------------------------------------------------------------
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UR", "UT", "UN"})
_ITEM = struct.Struct("<HHI")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_T_CODE_VALUE = 0x00080100
_T_CODING_SCHEME = 0x00080102
_T_CODE_MEANING = 0x00080104
_T_UNITS = 0x004008EA
_T_RELATIONSHIP = 0x0040A010
_T_VALUE_TYPE = 0x0040A040
_T_CONCEPT_NAME = 0x0040A043
_T_CONTINUITY = 0x0040A050
_T_DATETIME = 0x0040A120
_T_PERSON_NAME = 0x0040A123
_T_UID = 0x0040A124
_T_TEXT = 0x0040A160
_T_CONCEPT_CODE = 0x0040A168
_T_MEASURED_VALUE = 0x0040A300
_T_NUMERIC_VALUE = 0x0040A30A
_T_CONTENT_SEQUENCE = 0x0040A730


_FRAGMENT_CACHES: dict[tuple[bool, int], dict[tuple, bytes]] = {}
_NO_CODE_MAP: dict[str, Code] = {}


class _Encoder:
    """Encode SR content items to Little Endian bytes, explicit or implicit VR.

    Every content item is returned as a complete Item (FFFE,E000) with an explicit length, so
    items can be built bottom-up and concatenated. Fragments that never change (concept
    names, units, relationship and value types) are cached.

    ``code_map`` rewrites codes (SNOMED-RT to SNOMED CT or back); ``empty_concept`` names the
    concept whose first NUM item is written empty (quirks ``empty_numeric`` and
    ``empty_numeric_value``).
    """

    def __init__(
        self,
        *,
        implicit: bool,
        code_map: dict[str, Code] | None = None,
        empty_concept: Code | None = None,
        empty_mode: Literal["sequence", "value"] = "sequence",
    ) -> None:
        self.implicit = implicit
        self.code_map = code_map if code_map is not None else _NO_CODE_MAP
        self.empty_concept = empty_concept
        self.empty_mode = empty_mode
        # Fragments depend only on the VR encoding and the code map: share them across reports.
        self._cache = _FRAGMENT_CACHES.setdefault((implicit, id(self.code_map)), {})

    # -- elements ------------------------------------------------------------------------
    def element(self, tag: int, vr: str, value: bytes) -> bytes:
        if len(value) % 2:
            value += b"\x00" if vr == "UI" else b" "
        group, elem = tag >> 16, tag & 0xFFFF
        if self.implicit:
            return struct.pack("<HHI", group, elem, len(value)) + value
        if vr in _LONG_VRS:
            return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
        if len(value) > 0xFFFF:
            raise ValueError(f"value of ({group:04X},{elem:04X}) too long for VR {vr}")
        return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value

    @staticmethod
    def item(body: bytes) -> bytes:
        return _ITEM.pack(0xFFFE, 0xE000, len(body)) + body

    def sequence(self, tag: int, items: Iterable[bytes]) -> bytes:
        return self.element(tag, "SQ", b"".join(items))

    def code_value(self, code: Code) -> Code:
        return self.code_map.get(code.value, code) if code.scheme == "SRT" else code

    def code_sequence(self, tag: int, code: Code) -> bytes:
        key = ("codeseq", tag, code)
        cached = self._cache.get(key)
        if cached is None:
            code = self.code_value(code)
            body = (
                self.element(_T_CODE_VALUE, "SH", code.value.encode())
                + self.element(_T_CODING_SCHEME, "SH", code.scheme.encode())
                + self.element(_T_CODE_MEANING, "LO", code.meaning.encode())
            )
            cached = self.sequence(tag, [self.item(body)])
            self._cache[key] = cached
        return cached

    def _head(self, relationship: str, value_type: str, concept: Code) -> bytes:
        key = ("head", relationship, value_type, concept)
        cached = self._cache.get(key)
        if cached is None:
            cached = (
                self.element(_T_RELATIONSHIP, "CS", relationship.encode())
                + self.element(_T_VALUE_TYPE, "CS", value_type.encode())
                + self.code_sequence(_T_CONCEPT_NAME, concept)
            )
            self._cache[key] = cached
        return cached

    def _children(self, children: Sequence[bytes]) -> bytes:
        return self.sequence(_T_CONTENT_SEQUENCE, children) if children else b""

    # -- content items -------------------------------------------------------------------
    def container(self, rel: str, concept: Code, children: Sequence[bytes]) -> bytes:
        body = (
            self._head(rel, "CONTAINER", concept)
            + self.element(_T_CONTINUITY, "CS", b"SEPARATE")
            + self._children(children)
        )
        return self.item(body)

    def code(self, rel: str, concept: Code, value: Code, children: Sequence[bytes] = ()) -> bytes:
        body = (
            self._head(rel, "CODE", concept)
            + self.code_sequence(_T_CONCEPT_CODE, value)
            + self._children(children)
        )
        return self.item(body)

    def text(self, rel: str, concept: Code, value: str) -> bytes:
        body = self._head(rel, "TEXT", concept) + self.element(_T_TEXT, "UT", value.encode())
        return self.item(body)

    def uidref(self, rel: str, concept: Code, uid: str) -> bytes:
        body = self._head(rel, "UIDREF", concept) + self.element(_T_UID, "UI", uid.encode())
        return self.item(body)

    def datetime(self, rel: str, concept: Code, moment: datetime) -> bytes:
        body = self._head(rel, "DATETIME", concept) + self.element(
            _T_DATETIME, "DT", _dt(moment).encode()
        )
        return self.item(body)

    def num(
        self,
        rel: str,
        concept: Code,
        value: float | None,
        unit: Code,
        children: Sequence[bytes] = (),
    ) -> bytes:
        """A NUM item; `value` None writes an empty Measured Value Sequence."""
        if self.empty_concept is not None and concept == self.empty_concept:
            self.empty_concept = None
            measured = b"" if self.empty_mode == "sequence" else self._measured(None, unit)
        elif value is None:
            measured = b""
        elif not children:
            return self._plain_num(rel, concept, _ds(value), unit)
        else:
            measured = self._measured(_ds(value), unit)
        body = (
            self._head(rel, "NUM", concept)
            + self.element(_T_MEASURED_VALUE, "SQ", measured)
            + self._children(children)
        )
        return self.item(body)

    def _plain_num(self, rel: str, concept: Code, text: str, unit: Code) -> bytes:
        """Fast path of :meth:`num` for the common case: a value and no children."""
        key = ("num", rel, concept, unit)
        parts = self._cache.get(key)
        if parts is None:
            # (item-body prefix up to the Measured Value Sequence tag, units sequence)
            head = self._head(rel, "NUM", concept)
            mvs_tag = self.element(_T_MEASURED_VALUE, "SQ", b"")[:-4]
            nv_tag = self.element(_T_NUMERIC_VALUE, "DS", b"")
            nv_tag = nv_tag[:-4] if self.implicit else nv_tag[:-2]
            parts = (head + mvs_tag, self.code_sequence(_T_UNITS, unit), nv_tag)
            self._cache[key] = parts  # type: ignore[assignment]
        prefix, units, nv_tag = parts
        value = text.encode()
        if len(value) % 2:
            value += b" "
        length = _U32.pack(len(value)) if self.implicit else _U16.pack(len(value))
        measured_body = units + nv_tag + length + value
        measured = _ITEM.pack(0xFFFE, 0xE000, len(measured_body)) + measured_body
        body = prefix + _U32.pack(len(measured)) + measured
        return _ITEM.pack(0xFFFE, 0xE000, len(body)) + body

    def _measured(self, text: str | None, unit: Code) -> bytes:
        value = b"" if text is None else text.encode()
        return self.item(
            self.code_sequence(_T_UNITS, unit) + self.element(_T_NUMERIC_VALUE, "DS", value)
        )


# --------------------------------------------------------------------------------------------
# Common SR fragments
# --------------------------------------------------------------------------------------------
def _observer_context(enc: _Encoder, device: Device) -> list[bytes]:
    """TID 1002 / TID 1004: the device as recording observer."""
    rel = "HAS OBS CONTEXT"
    items = [
        enc.code(rel, C_OBSERVER_TYPE, C_DEVICE),
        enc.uidref(rel, C_DEVICE_UID, device.device_observer_uid),
    ]
    for concept, text in (
        (C_DEVICE_NAME, device.station_name),
        (C_DEVICE_MANUFACTURER, device.manufacturer),
        (C_DEVICE_MODEL, device.model),
        (C_DEVICE_SERIAL, device.serial_number),
        (C_DEVICE_LOCATION, device.department or device.institution),
    ):
        if text:
            items.append(enc.text(rel, concept, text))
    return items


def _scope_of_accumulation(enc: _Encoder, study: Study) -> bytes:
    return enc.code(
        "HAS OBS CONTEXT",
        C_SCOPE,
        C_STUDY,
        [enc.uidref("HAS PROPERTIES", C_STUDY_UID, study.study_instance_uid)],
    )


def _patient_characteristics(enc: _Encoder, patient: Patient, quirks: frozenset[str]) -> bytes:
    """Container 121118 "Patient Characteristics" (TID 10024 rows; cf. TID 3602)."""
    rel = "CONTAINS"
    items: list[bytes] = []
    if patient.age_years is not None:
        if patient.age_years >= 1:
            items.append(enc.num(rel, C_SUBJECT_AGE, math.floor(patient.age_years), U_YEAR))
        else:
            items.append(enc.num(rel, C_SUBJECT_AGE, math.floor(patient.age_years * 12), U_MONTH))
    items.append(enc.code(rel, C_SUBJECT_SEX, SEX_CODES.get(patient.sex, SEX_CODES["U"])))
    height, weight = _patient_size(patient, quirks)
    if height is not None:
        items.append(enc.num(rel, C_PATIENT_HEIGHT, round(height * 100, 1), U_CM))
    if weight is not None:
        items.append(enc.num(rel, C_PATIENT_WEIGHT, weight, U_KG))
    return enc.container(rel, C_PATIENT_CHARACTERISTICS, items)


def _patient_size(patient: Patient, quirks: frozenset[str]) -> tuple[float | None, float | None]:
    """Height (m) and weight (kg) to write, after the size quirks."""
    if "no_patient_size" in quirks:
        return None, None
    weight = 0.0 if "weight_zero" in quirks else patient.weight_kg
    return patient.height_m, weight


def _procedure_reported(enc: _Encoder, procedure: Code, intent: Code) -> bytes:
    return enc.code(
        "HAS CONCEPT MOD",
        C_PROCEDURE_REPORTED,
        procedure,
        [enc.code("HAS CONCEPT MOD", C_HAS_INTENT, intent)],
    )


def _lookup(table: dict[str, _V], key: str, what: str) -> _V:
    """``table[key]``, or a ValueError that names `what` and the accepted keys."""
    try:
        return table[key]
    except KeyError:
        raise ValueError(f"unknown {what} {key!r}; known: {sorted(table)}") from None


def _anatomy(key: str) -> tuple[Code, str]:
    try:
        return ANATOMY[key]
    except KeyError:
        raise ValueError(f"unknown anatomy {key!r}; known: {sorted(ANATOMY)}") from None


# --------------------------------------------------------------------------------------------
# Dataset construction and saving
# --------------------------------------------------------------------------------------------
def _code_dataset(code: Code) -> Dataset:
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme
    item.CodeMeaning = code.meaning
    return item


def _base_dataset(
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    modality: str,
    patient: Patient,
    device: Device,
    study: Study,
    series_instance_uid: str,
    series_number: int,
    series_description: str,
    instance_number: int,
    content_datetime: datetime,
    quirks: frozenset[str],
) -> Dataset:
    """SOP Common, Patient, Patient Study, General Study, General Series and (Enhanced)
    General Equipment modules."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.InstanceCreationDate = _da(content_datetime)
    ds.InstanceCreationTime = _tm(content_datetime)
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate = _da(study.start)
    ds.SeriesDate = _da(content_datetime)
    ds.ContentDate = _da(content_datetime)
    ds.StudyTime = _tm(study.start)
    ds.SeriesTime = _tm(content_datetime)
    ds.ContentTime = _tm(content_datetime)
    ds.AccessionNumber = study.accession_number
    ds.Modality = modality
    ds.Manufacturer = device.manufacturer
    ds.InstitutionName = device.institution
    ds.ReferringPhysicianName = study.referring_physician
    ds.StationName = device.station_name
    ds.StudyDescription = study.description
    ds.SeriesDescription = series_description
    if device.department:
        ds.InstitutionalDepartmentName = device.department
    ds.ManufacturerModelName = device.model
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = _da(patient.birth_date) if patient.birth_date else ""
    ds.PatientSex = patient.sex if patient.sex in ("M", "F", "O") else ""
    if patient.quality_control:
        ds.QualityControlSubject = "YES"
    if patient.age_years is not None:
        ds.PatientAge = _age_string(patient.age_years)
    height, weight = _patient_size(patient, quirks)
    if height is not None:
        ds.PatientSize = _ds(round(height, 3))
    if weight is not None:
        ds.PatientWeight = _ds(round(weight, 1))
    ds.DeviceSerialNumber = device.serial_number
    ds.SoftwareVersions = device.software_version
    ds.StudyInstanceUID = study.study_instance_uid
    ds.SeriesInstanceUID = series_instance_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    return ds


def _save(ds: Dataset, path: Path, quirks: frozenset[str]) -> Path:
    """Write `ds` as a DICOM Part 10 file at `path` (parent folders are created)."""
    implicit = "implicit_vr" in quirks
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "KERMA_WRITER_1"
    ds.file_meta = meta
    if _T_CONTENT_SEQUENCE in ds:
        # The raw Content Sequence is already encoded for this transfer syntax and character
        # set: declaring it lets pydicom write it as is.
        ds.set_original_encoding(implicit, True, ds._character_set)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _sr_dataset(
    *,
    sop_class_uid: str,
    root_concept: Code,
    template_id: str,
    content: bytes,
    patient: Patient,
    device: Device,
    study: Study,
    sop_instance_uid: str | None,
    series_instance_uid: str | None,
    series_number: int,
    instance_number: int,
    report_datetime: datetime,
    quirks: frozenset[str],
) -> Dataset:
    """A complete SR document whose root container holds the raw `content` items."""
    ds = _base_dataset(
        sop_class_uid=sop_class_uid,
        sop_instance_uid=sop_instance_uid or generate_uid(),
        modality="SR",
        patient=patient,
        device=device,
        study=study,
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=series_number,
        series_description="Dose Report",
        instance_number=instance_number,
        content_datetime=report_datetime,
        quirks=quirks,
    )
    ds.ReferencedPerformedProcedureStepSequence = DicomSequence()
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = DicomSequence([_code_dataset(root_concept)])
    ds.ContinuityOfContent = "SEPARATE"
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = template_id
    ds.ContentTemplateSequence = DicomSequence([template])
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.PerformedProcedureCodeSequence = DicomSequence()
    implicit = "implicit_vr" in quirks
    ds[_T_CONTENT_SEQUENCE] = RawDataElement(
        Tag(_T_CONTENT_SEQUENCE), "SQ", len(content), content, 0, implicit, True
    )
    return ds


def _xray_sop_class(quirks: frozenset[str]) -> str:
    return ENHANCED_SR_SOP_CLASS if "enhanced_sr_carrier" in quirks else XRAY_RDSR_SOP_CLASS


# --------------------------------------------------------------------------------------------
# CT: TID 10011
# --------------------------------------------------------------------------------------------
def write_ct_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    acquisitions: Sequence[CtAcquisition],
    *,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 997,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a CT Radiation Dose report (TID 10011) and return its path.

    CT Accumulated Dose Data hold the number of `acquisitions` and the sum of their DLP in
    mGy.cm, so a report that holds only part of an exam's events (a continued or cumulative
    report) accumulates exactly what it contains. Event UIDs are generated unless given;
    `report_datetime` defaults to one minute after the last acquisition starts.
    """
    quirks = _check_quirks(quirks)
    if not acquisitions:
        raise ValueError("a CT dose report needs at least one acquisition")
    enc = _Encoder(
        implicit="implicit_vr" in quirks,
        code_map=_SRT_TO_SCT if "sct_codes" in quirks else None,
        empty_concept=_empty_target(quirks, C_CTDIVOL),
        empty_mode="value" if "empty_numeric_value" in quirks else "sequence",
    )
    dlp_unit = U_NON_UCUM_MGYCM if "non_ucum_units" in quirks else U_MGYCM
    first = min(a.start for a in acquisitions)
    last = max(a.start + timedelta(seconds=a.exposure_time_s or 0) for a in acquisitions)
    items = [
        _procedure_reported(enc, C_CT_PROCEDURE, INTENTS["diagnostic"]),
        *_observer_context(enc, device),
        enc.datetime("HAS OBS CONTEXT", C_START_IRRADIATION, first),
        enc.datetime("HAS OBS CONTEXT", C_END_IRRADIATION, last),
        _scope_of_accumulation(enc, study),
        _patient_characteristics(enc, patient, quirks),
    ]
    dlps = [_round_trip(a.dlp_mgycm) for a in acquisitions if a.dlp_mgycm is not None]
    items.append(
        enc.container(
            "CONTAINS",
            C_CT_ACCUMULATED,
            [
                enc.num("CONTAINS", C_TOTAL_EVENTS, len(acquisitions), U_EVENTS),
                enc.num("CONTAINS", C_DLP_TOTAL, math.fsum(dlps), dlp_unit),
            ],
        )
    )
    items.extend(_ct_acquisition(enc, a, dlp_unit) for a in acquisitions)
    items.append(enc.code("CONTAINS", C_SOURCE_OF_DOSE, C_AUTOMATED))
    ds = _sr_dataset(
        sop_class_uid=_xray_sop_class(quirks),
        root_concept=C_XRAY_REPORT,
        template_id="10011",
        content=b"".join(items),
        patient=patient,
        device=device,
        study=study,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        report_datetime=report_datetime or last + timedelta(minutes=1),
        quirks=quirks,
    )
    return _save(ds, Path(path), quirks)


def _empty_target(quirks: frozenset[str], concept: Code) -> Code | None:
    return concept if {"empty_numeric", "empty_numeric_value"} & quirks else None


def _ct_acquisition(enc: _Encoder, acq: CtAcquisition, dlp_unit: Code) -> bytes:
    """TID 10013 CT Irradiation Event Data."""
    rel = "CONTAINS"
    try:
        acquisition_type = CT_ACQUISITION_TYPES[acq.acquisition_type]
    except KeyError:
        raise ValueError(f"unknown CT acquisition type {acq.acquisition_type!r}") from None
    items = [
        enc.text(rel, C_ACQUISITION_PROTOCOL, acq.protocol),
        enc.code(rel, C_TARGET_REGION, _anatomy(acq.target_region)[0]),
        enc.code(rel, C_CT_ACQUISITION_TYPE, acquisition_type),
    ]
    if acq.contrast is not None:
        items.append(
            enc.code(
                rel, C_PROCEDURE_CONTEXT, C_WITH_CONTRAST if acq.contrast else C_WITHOUT_CONTRAST
            )
        )
    items.append(enc.uidref(rel, C_EVENT_UID, acq.event_uid or generate_uid()))
    items.append(enc.datetime(rel, C_DATETIME_STARTED, acq.start))
    items.append(enc.container(rel, C_CT_PARAMETERS, _ct_parameters(enc, acq)))
    dose = _ct_dose(enc, acq, dlp_unit)
    if dose:
        items.append(enc.container(rel, C_CT_DOSE, dose))
    return enc.container(rel, C_CT_ACQUISITION, items)


def _ct_parameters(enc: _Encoder, acq: CtAcquisition) -> list[bytes]:
    rel = "CONTAINS"
    items: list[bytes] = []
    for concept, value, unit in (
        (C_CT_EXPOSURE_TIME, acq.exposure_time_s, U_S),
        (C_SCANNING_LENGTH, acq.scan_length_mm, U_MM),
        (C_SINGLE_COLLIMATION, acq.single_collimation_mm, U_MM),
        (C_TOTAL_COLLIMATION, acq.total_collimation_mm, U_MM),
        (C_PITCH, acq.pitch if acq.acquisition_type == "spiral" else None, U_RATIO),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    items.append(enc.num(rel, C_NUMBER_OF_SOURCES, 1, U_SOURCES))
    source = [enc.text(rel, C_SOURCE_ID, "A")]
    for concept, value, unit in (
        (C_KVP, acq.kvp, U_KV),
        (C_MAX_TUBE_CURRENT, acq.max_tube_current_ma, U_MA),
        (C_TUBE_CURRENT, acq.tube_current_ma, U_MA),
        (C_ROTATION_TIME, acq.rotation_time_s, U_S),
    ):
        if value is not None:
            source.append(enc.num(rel, concept, value, unit))
    items.append(enc.container(rel, C_SOURCE_PARAMETERS, source))
    return items


def _ct_dose(enc: _Encoder, acq: CtAcquisition, dlp_unit: Code) -> list[bytes]:
    """Items of the CT Dose container (TID 10013 rows 'CT Dose', with CP 1525 SSDE)."""
    rel = "CONTAINS"
    if acq.ctdivol_mgy is None and acq.dlp_mgycm is None:
        return []
    if acq.phantom not in (16, 32):
        raise ValueError(f"CTDI phantom must be 16 or 32 cm, not {acq.phantom!r}")
    items = []
    if acq.ctdivol_mgy is not None:
        items.append(enc.num(rel, C_CTDIVOL, acq.ctdivol_mgy, U_MGY))
    items.append(
        enc.code(rel, C_PHANTOM_TYPE, C_HEAD_PHANTOM if acq.phantom == 16 else C_BODY_PHANTOM)
    )
    if acq.dlp_mgycm is not None:
        items.append(enc.num(rel, C_DLP, acq.dlp_mgycm, dlp_unit))
    wed = None
    if acq.water_equivalent_diameter_mm is not None:
        wed = enc.num(
            "INFERRED FROM" if acq.ssde_mgy is not None else rel,
            C_WED,
            acq.water_equivalent_diameter_mm,
            U_MM,
            [enc.code("HAS CONCEPT MOD", C_MEASUREMENT_METHOD, C_WED_FROM_LOCALIZER)],
        )
    if acq.ssde_mgy is not None:
        children = [enc.code("HAS CONCEPT MOD", C_MEASUREMENT_METHOD, C_SSDE_FROM_WED)]
        if wed is not None:
            children.append(wed)
        items.append(enc.num(rel, C_SSDE, acq.ssde_mgy, U_MGY, children))
    elif wed is not None:
        items.append(wed)
    return items


# --------------------------------------------------------------------------------------------
# Projection: TID 10001
# --------------------------------------------------------------------------------------------
def write_projection_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    events: Sequence[ProjectionEvent],
    *,
    kind: Literal["radiography", "fluoroscopy", "mammography"] = "fluoroscopy",
    intent: Literal["diagnostic", "therapeutic", "combined"] = "diagnostic",
    dap_unit: str = "Gy.m2",
    reference_point: str | None = None,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 997,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Projection X-Ray Radiation Dose report (TID 10001) and return its path.

    `kind` selects the accumulated dose template: TID 10007 for radiography (DAP and Dose
    (RP) totals, frames), TID 10004 for fluoroscopy and interventional work (totals split
    into fluoroscopy and acquisition, times), TID 10005 for mammography (accumulated average
    glandular dose per breast). Totals are accumulated per plane over exactly the `events`
    given, from the values as written, so they equal the sums of the events.

    DAP is written in `dap_unit` (``Gy.m2`` by default as PS3.16 prescribes; ``dGy.cm2``,
    ``cGy.cm2``, ``mGy.cm2`` or ``uGy.m2`` with the value converted; a quirk
    ``dap_unit=<code>`` has the same effect). `reference_point` is a key of
    :data:`REFERENCE_POINTS`, by default 15 cm from the isocentre for fluoroscopy, the
    detector plane for radiography and 4.2 cm above the breast support for mammography.
    """
    quirks = _check_quirks(quirks)
    if not events:
        raise ValueError("a projection dose report needs at least one irradiation event")
    if kind not in ("radiography", "fluoroscopy", "mammography"):
        raise ValueError(f"unknown projection report kind {kind!r}")
    for quirk in quirks:
        if quirk.startswith("dap_unit="):
            dap_unit = quirk.split("=", 1)[1]
    if dap_unit not in DAP_UNITS:
        raise ValueError(f"unknown DAP unit {dap_unit!r}; known: {sorted(DAP_UNITS)}")
    enc = _Encoder(
        implicit="implicit_vr" in quirks,
        code_map=_SRT_TO_SCT if "sct_codes" in quirks else None,
        empty_concept=_empty_target(quirks, C_KVP),
        empty_mode="value" if "empty_numeric_value" in quirks else "sequence",
    )
    ctx = _ProjectionContext(
        enc=enc,
        kind=kind,
        dap_factor=DAP_UNITS[dap_unit],
        dap_unit=_dap_unit_code(dap_unit, quirks),
        reference_point=_lookup(
            REFERENCE_POINTS, reference_point or _DEFAULT_REFERENCE_POINT[kind], "reference point"
        ),
        text_reference_point="text_reference_point" in quirks,
        exposure_time_concept=C_LEGACY_EXPOSURE_TIME
        if "legacy_exposure_time_code" in quirks
        else C_EVENT_EXPOSURE_TIME,
        empty_kvp="empty_numeric" in quirks or "empty_numeric_value" in quirks,
    )
    procedure = C_MAMMOGRAPHY_PROCEDURE if kind == "mammography" else C_PROJECTION_PROCEDURE
    items = [
        _procedure_reported(enc, procedure, _lookup(INTENTS, intent, "intent")),
        *_observer_context(enc, device),
        _scope_of_accumulation(enc, study),
    ]
    if kind != "fluoroscopy":
        items.extend(
            enc.code("CONTAINS", concept, C_YES)
            for concept in (C_DETECTOR_DATA, C_SOURCE_DATA, C_MECHANICAL_DATA)
        )
    items.append(_patient_characteristics(enc, patient, quirks))
    planes = [p for p in ("single", "A", "B") if any(e.plane == p for e in events)]
    for plane in planes:
        items.append(_accumulated(ctx, plane, [e for e in events if e.plane == plane]))
    items.extend(_projection_event(ctx, e) for e in events)
    items.append(enc.code("CONTAINS", C_SOURCE_OF_DOSE, C_AUTOMATED))
    last = max(e.start + timedelta(seconds=_duration_s(e)) for e in events)
    ds = _sr_dataset(
        sop_class_uid=_xray_sop_class(quirks),
        root_concept=C_XRAY_REPORT,
        template_id="10001",
        content=b"".join(items),
        patient=patient,
        device=device,
        study=study,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        report_datetime=report_datetime or last + timedelta(minutes=1),
        quirks=quirks,
    )
    return _save(ds, Path(path), quirks)


_DEFAULT_REFERENCE_POINT = {
    "fluoroscopy": "isocenter_15cm",
    "radiography": "detector_plane",
    "mammography": "breast_4_2cm",
}


def _dap_unit_code(dap_unit: str, quirks: frozenset[str]) -> Code:
    if "unknown_unit" in quirks:
        return U_FURLONG
    if dap_unit == "Gy.m2" and "non_ucum_units" in quirks:
        return U_NON_UCUM_GYM2
    return _ucum(dap_unit)


@dataclass
class _ProjectionContext:
    enc: _Encoder
    kind: str
    dap_factor: float
    dap_unit: Code
    reference_point: Code
    text_reference_point: bool
    exposure_time_concept: Code
    empty_kvp: bool

    def dap(self, gycm2: float) -> float:
        """DAP as written (in the report's DAP unit), already round-tripped."""
        return _round_trip(gycm2 * self.dap_factor)

    def reference_point_item(self) -> bytes:
        if self.text_reference_point:
            return self.enc.text("CONTAINS", C_REFERENCE_POINT, self.reference_point.meaning)
        return self.enc.code("CONTAINS", C_REFERENCE_POINT, self.reference_point)


def _duration_s(event: ProjectionEvent) -> float:
    """Irradiation duration of an event in s (from the most direct value available)."""
    if event.irradiation_duration_s is not None:
        return event.irradiation_duration_s
    if event.exposure_time_ms is not None:
        return event.exposure_time_ms / 1000
    if event.number_of_pulses and event.pulse_rate_per_s:
        return event.number_of_pulses / event.pulse_rate_per_s
    return 0.0


def _accumulated(ctx: _ProjectionContext, plane: str, events: list[ProjectionEvent]) -> bytes:
    """TID 10002 Accumulated X-Ray Dose Data for one plane."""
    enc, rel = ctx.enc, "CONTAINS"
    items = [enc.code("HAS CONCEPT MOD", C_ACQUISITION_PLANE, PLANES[plane])]
    if ctx.kind == "mammography":
        items.extend(_accumulated_mammography(enc, events))
        return enc.container(rel, C_ACCUMULATED_XRAY, items)

    def total_dap(selected: list[ProjectionEvent]) -> float:
        return math.fsum(ctx.dap(e.dap_gycm2) for e in selected)

    def total_rp(selected: list[ProjectionEvent]) -> float | None:
        values = [_round_trip(e.kar_mgy / 1000) for e in selected if e.kar_mgy is not None]
        return math.fsum(values) if values else None

    def add(concept: Code, value: float | None, unit: Code) -> None:
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))

    has_rp = any(e.kar_mgy is not None for e in events)
    add(C_DAP_TOTAL, total_dap(events), ctx.dap_unit)
    add(C_RP_TOTAL, total_rp(events), U_GY)
    acquisitions = [e for e in events if e.event_type != "fluoroscopy"]
    frames = sum(e.number_of_pulses or 1 for e in acquisitions)
    if ctx.kind == "fluoroscopy":
        fluoro = [e for e in events if e.event_type == "fluoroscopy"]
        add(C_FLUORO_DAP_TOTAL, total_dap(fluoro), ctx.dap_unit)
        add(C_FLUORO_RP_TOTAL, (total_rp(fluoro) or 0.0) if has_rp else None, U_GY)
        add(C_FLUORO_TIME_TOTAL, math.fsum(_round_trip(_duration_s(e)) for e in fluoro), U_S)
        add(C_ACQ_DAP_TOTAL, total_dap(acquisitions), ctx.dap_unit)
        add(C_ACQ_RP_TOTAL, (total_rp(acquisitions) or 0.0) if has_rp else None, U_GY)
        add(C_ACQ_TIME_TOTAL, math.fsum(_round_trip(_duration_s(e)) for e in acquisitions), U_S)
    add(C_FRAMES_TOTAL, frames, U_NO_UNITS)
    items.append(ctx.reference_point_item())
    return enc.container(rel, C_ACCUMULATED_XRAY, items)


def _accumulated_mammography(enc: _Encoder, events: list[ProjectionEvent]) -> list[bytes]:
    """TID 10005: Accumulated Average Glandular Dose per breast (mGy)."""
    items = []
    for side in ("L", "R"):
        values = [
            _round_trip(e.agd_mgy) for e in events if e.laterality == side and e.agd_mgy is not None
        ]
        if values:
            items.append(
                enc.num(
                    "CONTAINS",
                    C_ACCUMULATED_AGD,
                    math.fsum(values),
                    U_MGY,
                    [enc.code("HAS CONCEPT MOD", C_LATERALITY, BREAST_SIDES[side][1])],
                )
            )
    return items


def _projection_event(ctx: _ProjectionContext, ev: ProjectionEvent) -> bytes:
    """TID 10003 Irradiation Event X-Ray Data (with TID 10003A/B/C content inline)."""
    enc, rel = ctx.enc, "CONTAINS"
    try:
        event_type = EVENT_TYPES[ev.event_type]
    except KeyError:
        raise ValueError(f"unknown irradiation event type {ev.event_type!r}") from None
    items = [
        enc.code("HAS CONCEPT MOD", C_ACQUISITION_PLANE, _lookup(PLANES, ev.plane, "plane")),
        enc.datetime(rel, C_DATETIME_STARTED, ev.start),
        enc.code(rel, C_EVENT_TYPE, event_type),
    ]
    if ev.protocol:
        items.append(enc.text(rel, C_ACQUISITION_PROTOCOL, ev.protocol))
    items.extend(_event_anatomy(enc, ev, ctx.kind))
    items.append(enc.uidref(rel, C_EVENT_UID, ev.event_uid or generate_uid()))
    items.append(enc.num(rel, C_DAP, ctx.dap(ev.dap_gycm2), ctx.dap_unit))
    if ev.half_value_layer_mm is not None:
        items.append(enc.num(rel, C_HVL, ev.half_value_layer_mm, U_MM))
    if ev.kar_mgy is not None:
        items.append(enc.num(rel, C_RP_DOSE, ev.kar_mgy / 1000, U_GY))
    if ev.entrance_exposure_mgy is not None:
        items.append(enc.num(rel, C_ENTRANCE_EXPOSURE, ev.entrance_exposure_mgy, U_MGY))
    if ev.kar_mgy is not None or ev.entrance_exposure_mgy is not None:
        items.append(ctx.reference_point_item())
    if ev.agd_mgy is not None:
        items.append(enc.num(rel, C_AGD, ev.agd_mgy, U_MGY))
    items.extend(_event_geometry(enc, ev))
    items.extend(_event_source(ctx, ev))
    items.extend(_event_positions(enc, ev, ctx.kind))
    if ev.comment:
        items.append(enc.text(rel, C_COMMENT, ev.comment))
    return enc.container(rel, C_EVENT_DATA, items)


def _event_anatomy(enc: _Encoder, ev: ProjectionEvent, kind: str) -> list[bytes]:
    rel = "CONTAINS"
    items = []
    if kind == "mammography" or ev.laterality is not None:
        modifiers = []
        if ev.laterality is not None:
            modifiers.append(
                enc.code("HAS CONCEPT MOD", C_LATERALITY, BREAST_SIDES[ev.laterality][0])
            )
        region = _anatomy(ev.target_region)[0] if ev.target_region else C_BREAST
        items.append(enc.code(rel, C_TARGET_REGION, region, modifiers))
    elif ev.target_region:
        items.append(enc.code(rel, C_TARGET_REGION, _anatomy(ev.target_region)[0]))
    if ev.image_view:
        try:
            view = IMAGE_VIEWS[ev.image_view][0]
        except KeyError:
            raise ValueError(f"unknown image view {ev.image_view!r}") from None
        items.append(enc.code(rel, C_IMAGE_VIEW, view))
    return items


def _event_geometry(enc: _Encoder, ev: ProjectionEvent) -> list[bytes]:
    rel = "CONTAINS"
    items = []
    for concept, value, unit in (
        (C_PRIMARY_ANGLE, ev.primary_angle_deg, U_DEG),
        (C_SECONDARY_ANGLE, ev.secondary_angle_deg, U_DEG),
        (C_FIELD_AREA, ev.field_area_m2, U_M2),
        (C_FIELD_HEIGHT, ev.field_height_mm, U_MM),
        (C_FIELD_WIDTH, ev.field_width_mm, U_MM),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.filter_material is not None:
        try:
            material = FILTER_MATERIALS[ev.filter_material]
        except KeyError:
            raise ValueError(f"unknown filter material {ev.filter_material!r}") from None
        thickness = ev.filter_thickness_mm
        filters = [
            enc.code(rel, C_FILTER_TYPE, C_FLAT_FILTER),
            enc.code(rel, C_FILTER_MATERIAL, material),
        ]
        if thickness is not None:
            filters.append(enc.num(rel, C_FILTER_MIN, thickness, U_MM))
            filters.append(enc.num(rel, C_FILTER_MAX, thickness, U_MM))
        items.append(enc.container(rel, C_FILTERS, filters))
    return items


def _event_source(ctx: _ProjectionContext, ev: ProjectionEvent) -> list[bytes]:
    """TID 10003B X-ray source data: fluoro mode, pulses, kVp, mA, times, exposure."""
    enc, rel = ctx.enc, "CONTAINS"
    items = []
    if ev.event_type == "fluoroscopy":
        mode = C_PULSED if ev.pulse_rate_per_s or ev.pulse_width_ms else C_CONTINUOUS
        items.append(enc.code(rel, C_FLUORO_MODE, mode))
    for concept, value, unit in (
        (C_PULSE_RATE, ev.pulse_rate_per_s, U_PULSE_RATE),
        (C_NUMBER_OF_PULSES, ev.number_of_pulses, U_NO_UNITS),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.kvp is not None or ctx.empty_kvp:
        ctx.empty_kvp = False
        items.append(enc.num(rel, C_KVP, ev.kvp, U_KV))
    for concept, value, unit in (
        (C_TUBE_CURRENT, ev.tube_current_ma, U_MA),
        (ctx.exposure_time_concept, ev.exposure_time_ms, U_MS),
        (C_PULSE_WIDTH, ev.pulse_width_ms, U_MS),
        (C_EXPOSURE, ev.exposure_uas, U_UAS),
        (C_IRRADIATION_DURATION, ev.irradiation_duration_s, U_S),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    if ev.anode_target is not None:
        try:
            anode = ANODE_MATERIALS[ev.anode_target]
        except KeyError:
            raise ValueError(f"unknown anode target material {ev.anode_target!r}") from None
        items.append(enc.code(rel, C_ANODE, anode))
    if ev.compression_thickness_mm is not None:
        items.append(enc.num(rel, C_COMPRESSION, ev.compression_thickness_mm, U_MM))
    return items


def _event_positions(enc: _Encoder, ev: ProjectionEvent, kind: str) -> list[bytes]:
    """TID 10003A position data: distances, table positions, patient orientation."""
    rel = "CONTAINS"
    items = []
    for concept, value in (
        (C_SOURCE_DETECTOR, ev.source_detector_mm),
        (C_SOURCE_ISOCENTER, ev.source_isocenter_mm),
        (C_TABLE_LONGITUDINAL, ev.table_longitudinal_mm),
        (C_TABLE_LATERAL, ev.table_lateral_mm),
        (C_TABLE_HEIGHT, ev.table_height_mm),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, U_MM))
    if kind == "fluoroscopy":
        items.append(enc.code(rel, C_PATIENT_TABLE_RELATIONSHIP, C_HEADFIRST))
        items.append(
            enc.code(
                rel,
                C_PATIENT_ORIENTATION,
                C_RECUMBENT,
                [enc.code("HAS CONCEPT MOD", C_PATIENT_ORIENTATION_MODIFIER, C_SUPINE)],
            )
        )
    return items


# --------------------------------------------------------------------------------------------
# Radiopharmaceutical: TID 10021 / 10022
# --------------------------------------------------------------------------------------------
def _agent(name: str) -> _Agent:
    """Look a radiopharmaceutical up by key or code meaning (case and ^ insensitive)."""

    def norm(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    wanted = norm(name)
    if wanted in _AGENT_ALIASES:
        return RADIOPHARMACEUTICALS[_AGENT_ALIASES[wanted]]
    for key, agent in RADIOPHARMACEUTICALS.items():
        if wanted in (norm(key), norm(agent.sct.meaning), norm(agent.label)):
            return agent
    raise ValueError(f"unknown radiopharmaceutical {name!r}; known: {sorted(RADIOPHARMACEUTICALS)}")


def _nuclide(name: str) -> _Nuclide:
    try:
        return RADIONUCLIDES[name]
    except KeyError:
        raise ValueError(f"unknown radionuclide {name!r}; known: {sorted(RADIONUCLIDES)}") from None


def write_radiopharmaceutical_rdsr(
    path: Path | str,
    patient: Patient,
    device: Device,
    study: Study,
    administration: Administration,
    *,
    procedure: str | None = None,
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    series_number: int = 998,
    instance_number: int = 1,
    report_datetime: datetime | None = None,
    quirks: Iterable[str] = frozenset(),
) -> Path:
    """Write a Radiopharmaceutical Radiation Dose report (TID 10021) and return its path.

    The report holds one administration (TID 10022: agent, radionuclide and half-life in s,
    event UID, start / stop date-times, administered activity in MBq, volume in cm3,
    pre- and post-administration measured activities in MBq, route and site), the
    associated procedure (a key of :data:`NM_PROCEDURES`, by default the agent's usual one)
    and the patient characteristics (TID 10024: age, sex, height in cm, weight in kg). A
    1-day stress/rest protocol is two reports in the same study.
    """
    quirks = _check_quirks(quirks)
    legacy = "srt_codes" in quirks
    pick = 1 if legacy else 0
    agent = _agent(administration.radiopharmaceutical)
    nuclide = _nuclide(administration.radionuclide)
    procedure = procedure or agent.procedure
    if procedure not in NM_PROCEDURES:
        raise ValueError(f"unknown NM procedure {procedure!r}; known: {sorted(NM_PROCEDURES)}")
    c = {key: pair[pick] for key, pair in _NM_PAIRS.items()}
    enc = _Encoder(
        implicit="implicit_vr" in quirks,
        empty_concept=_empty_target(quirks, c["half_life"]),
        empty_mode="value" if "empty_numeric_value" in quirks else "sequence",
    )
    rel = "CONTAINS"
    items = [
        enc.code(
            "HAS CONCEPT MOD",
            c["associated_procedure"],
            NM_PROCEDURES[procedure][pick],
            [enc.code("HAS CONCEPT MOD", c["has_intent"], c["diagnostic_intent"])],
        ),
        enc.container(
            rel,
            C_RADIOPHARM_ADMINISTRATION,
            _administration_items(enc, administration, agent, nuclide, c, pick),
        ),
        _patient_characteristics(enc, patient, quirks),
    ]
    end = administration.stop or administration.start
    ds = _sr_dataset(
        sop_class_uid=RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
        root_concept=C_RADIOPHARM_REPORT,
        template_id="10021",
        content=b"".join(items),
        patient=patient,
        device=device,
        study=study,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        report_datetime=report_datetime or end + timedelta(minutes=2),
        quirks=quirks,
    )
    return _save(ds, Path(path), quirks)


def _administration_items(
    enc: _Encoder,
    adm: Administration,
    agent: _Agent,
    nuclide: _Nuclide,
    c: dict[str, Code],
    pick: int,
) -> list[bytes]:
    """Content of TID 10022 Radiopharmaceutical Administration Event Data."""
    rel = "CONTAINS"
    items = [
        enc.code(
            rel,
            c["agent"],
            (agent.sct, agent.srt)[pick],
            [
                enc.code("HAS PROPERTIES", c["radionuclide"], (nuclide.sct, nuclide.srt)[pick]),
                enc.num("HAS PROPERTIES", c["half_life"], nuclide.half_life_s, U_S),
            ],
        ),
        enc.uidref(rel, C_ADMINISTRATION_UID, adm.event_uid or generate_uid()),
        enc.datetime(rel, C_RADIOPHARM_START, adm.start),
    ]
    if adm.stop is not None:
        items.append(enc.datetime(rel, C_RADIOPHARM_STOP, adm.stop))
    items.append(enc.num(rel, C_ADMINISTERED_ACTIVITY, adm.activity_mbq, U_MBQ))
    for concept, value, unit in (
        (C_RADIOPHARM_VOLUME, adm.volume_ml, U_CM3),
        (C_PRE_ACTIVITY, adm.pre_activity_mbq, U_MBQ),
        (C_POST_ACTIVITY, adm.post_activity_mbq, U_MBQ),
    ):
        if value is not None:
            items.append(enc.num(rel, concept, value, unit))
    try:
        route = ROUTES[adm.route]
    except KeyError:
        raise ValueError(f"unknown administration route {adm.route!r}") from None
    site: list[bytes] = []
    if adm.route == "intravenous":
        side = []
        if adm.site_laterality is not None:
            side_code = c["left"] if adm.site_laterality == "L" else c["right"]
            side.append(enc.code("HAS CONCEPT MOD", c["laterality"], side_code))
        site.append(enc.code("HAS PROPERTIES", c["site_of"], c["arm_vein"], side))
    items.append(enc.code(rel, c["route"], route[pick], site))
    return items


# --------------------------------------------------------------------------------------------
# Image headers
# --------------------------------------------------------------------------------------------
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
    sop_class_uid: str,
    modality: str,
    patient: Patient,
    device: Device,
    study: Study,
    acquired: datetime,
    *,
    sop_instance_uid: str | None,
    series_instance_uid: str | None,
    series_number: int,
    instance_number: int,
    series_description: str,
    quirks: frozenset[str],
) -> Dataset:
    ds = _base_dataset(
        sop_class_uid=sop_class_uid,
        sop_instance_uid=sop_instance_uid or generate_uid(),
        modality=modality,
        patient=patient,
        device=device,
        study=study,
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=series_number,
        series_description=series_description,
        instance_number=instance_number,
        content_datetime=acquired,
        quirks=quirks,
    )
    ds.AcquisitionDate = _da(acquired)
    ds.AcquisitionTime = _tm(acquired)
    ds.AcquisitionDateTime = _dt(acquired)
    ds.PatientOrientation = ""
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def _projection_technique(ds: Dataset, ev: ProjectionEvent) -> None:
    """X-Ray Acquisition Dose / DX Positioning attributes shared by DX and MG images."""
    if ev.kvp is not None:
        ds.KVP = _ds(ev.kvp)
    if ev.source_detector_mm is not None:
        ds.DistanceSourceToDetector = _ds(ev.source_detector_mm)
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
            ds.FilterThicknessMinimum = _ds(ev.filter_thickness_mm)
            ds.FilterThicknessMaximum = _ds(ev.filter_thickness_mm)
    if ev.image_view:
        ds.ViewPosition = IMAGE_VIEWS[ev.image_view][1]
    region = _anatomy(ev.target_region or ("breast" if ev.laterality else "chest"))
    ds.BodyPartExamined = region[1]
    ds.AnatomicRegionSequence = DicomSequence([_code_dataset(region[0])])
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
    quirks = _check_quirks(quirks)
    ds = _image_dataset(
        DX_IMAGE_SOP_CLASS,
        "DX",
        patient,
        device,
        study,
        event.start,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        series_description=event.protocol or "",
        quirks=quirks,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ProtocolName = event.protocol or ""
    ds.ImageLaterality = "U"
    ds.PositionerType = "COLUMN"
    _projection_technique(ds, event)
    ds.ImageAndFluoroscopyAreaDoseProduct = _ds(_round_trip(event.dap_gycm2 * 10))
    entrance = (
        event.entrance_exposure_mgy if event.entrance_exposure_mgy is not None else (event.kar_mgy)
    )
    if entrance is not None:
        ds.EntranceDoseInmGy = _ds(entrance)
    _detector_image(ds, pixel_spacing_mm="0.139", detector_type="SCINTILLATOR")
    return _save(ds, Path(path), quirks)


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
    quirks = _check_quirks(quirks)
    if event.laterality not in ("L", "R"):
        raise ValueError("a mammography image needs laterality 'L' or 'R'")
    ds = _image_dataset(
        MG_IMAGE_SOP_CLASS,
        "MG",
        patient,
        device,
        study,
        event.start,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        series_description=event.protocol or "",
        quirks=quirks,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ProtocolName = event.protocol or ""
    ds.ImageLaterality = event.laterality
    ds.BreastImplantPresent = "NO"
    ds.PartialView = "NO"
    _projection_technique(ds, event)
    ds.BodyPartExamined = "BREAST"  # after the technique, which may set a region key
    view = event.image_view or "CC"
    ds.ViewPosition = IMAGE_VIEWS[view][1]
    view_code = _code_dataset(IMAGE_VIEWS[view][0])
    view_code.ViewModifierCodeSequence = DicomSequence()
    ds.ViewCodeSequence = DicomSequence([view_code])
    ds.PositionerType = "MAMMOGRAPHIC"
    if event.compression_thickness_mm is not None:
        ds.BodyPartThickness = _ds(event.compression_thickness_mm)
    if event.anode_target is not None:
        ds.AnodeTargetMaterial = event.anode_target.upper()
    if event.agd_mgy is not None:
        ds.OrganDose = _ds(_round_trip(event.agd_mgy / 100))
        ds.OrganExposed = "BREAST"
    if event.entrance_exposure_mgy is not None:
        ds.EntranceDoseInmGy = _ds(event.entrance_exposure_mgy)
    if event.half_value_layer_mm is not None:
        ds.HalfValueLayer = _ds(event.half_value_layer_mm)
    if event.primary_angle_deg is not None:
        ds.PositionerPrimaryAngle = _ds(event.primary_angle_deg)
    _detector_image(ds, pixel_spacing_mm="0.1", detector_type="DIRECT")
    return _save(ds, Path(path), quirks)


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
    quirks = _check_quirks(quirks)
    acq = acquisition
    ds = _image_dataset(
        CT_IMAGE_SOP_CLASS,
        "CT",
        patient,
        device,
        study,
        acq.start,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        series_description=acq.protocol,
        quirks=quirks,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientPosition = "HFS"
    ds.ProtocolName = acq.protocol
    ds.BodyPartExamined = _anatomy(acq.target_region)[1]
    ds.FrameOfReferenceUID = frame_of_reference_uid or generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.SliceThickness = "2.5"
    ds.PixelSpacing = ["0.976562", "0.976562"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = ["-250", "-250", "-100"]
    ds.SliceLocation = "-100"
    if acq.kvp is not None:
        ds.KVP = _ds(acq.kvp)
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
            [_code_dataset(C_HEAD_PHANTOM if acq.phantom == 16 else C_BODY_PHANTOM)]
        )
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    _pixels(ds)
    return _save(ds, Path(path), quirks)


def _radiopharmaceutical_item(adm: Administration, total_dose: float, *, pet: bool) -> Dataset:
    agent, nuclide = _agent(adm.radiopharmaceutical), _nuclide(adm.radionuclide)
    route = ROUTES[adm.route]
    item = Dataset()
    item.Radiopharmaceutical = agent.label
    item.RadiopharmaceuticalRoute = route[2]
    if adm.volume_ml is not None:
        item.RadiopharmaceuticalVolume = _ds(adm.volume_ml)
    item.RadiopharmaceuticalStartTime = _tm(adm.start)
    if adm.stop is not None:
        item.RadiopharmaceuticalStopTime = _tm(adm.stop)
    item.RadionuclideTotalDose = _ds(total_dose)
    item.RadionuclideHalfLife = _ds(nuclide.half_life_s)
    if pet and nuclide.positron_fraction is not None:
        item.RadionuclidePositronFraction = _ds(nuclide.positron_fraction)
    item.RadiopharmaceuticalStartDateTime = _dt(adm.start)
    if adm.stop is not None:
        item.RadiopharmaceuticalStopDateTime = _dt(adm.stop)
    if adm.event_uid:
        item.RadiopharmaceuticalAdministrationEventUID = adm.event_uid
    item.RadionuclideCodeSequence = DicomSequence([_code_dataset(nuclide.srt)])
    item.AdministrationRouteCodeSequence = DicomSequence([_code_dataset(route[1])])
    item.RadiopharmaceuticalCodeSequence = DicomSequence([_code_dataset(agent.srt)])
    return item


def _nuclear_common(ds: Dataset) -> None:
    ds.Laterality = ""
    ds.PatientOrientationCodeSequence = DicomSequence([_code_dataset(C_RECUMBENT)])
    ds.PatientGantryRelationshipCodeSequence = DicomSequence([_code_dataset(C_HEADFIRST)])
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
    quirks = _check_quirks(quirks)
    adm = administration
    acquired = acquired or adm.start + timedelta(hours=3)
    ds = _image_dataset(
        NM_IMAGE_SOP_CLASS,
        "NM",
        patient,
        device,
        study,
        acquired,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        series_description=study.description,
        quirks=quirks,
    )
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
    return _save(ds, Path(path), quirks)


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
    quirks = _check_quirks(quirks)
    adm = administration
    acquired = acquired or adm.start + timedelta(hours=1)
    ds = _image_dataset(
        PET_IMAGE_SOP_CLASS,
        "PT",
        patient,
        device,
        study,
        acquired,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        instance_number=instance_number,
        series_description=study.description,
        quirks=quirks,
    )
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
    return _save(ds, Path(path), quirks)
