"""What every Kerma writer shares: the quirks, the patient / device / study of a report, DICOM
value formatting, the SR content encoder, the SR fragments common to the templates (observer
context, scope of accumulation, patient characteristics) and the dataset skeleton and saving.

The SR content tree is encoded directly to bytes (items with explicit lengths) from cached
fragments, then handed to pydicom as the raw value of Content Sequence (0040,A730); the rest of
each object is an ordinary pydicom :class:`~pydicom.dataset.Dataset`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TypeVar

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

from kerma.dicom import codes as c
from kerma.dicom.codes import Code

_V = TypeVar("_V")

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


def check_quirks(quirks: Iterable[str]) -> frozenset[str]:
    """Return `quirks` as a frozenset, refusing names this module does not know."""
    quirks = frozenset(quirks)
    unknown = {q for q in quirks if q not in KNOWN_QUIRKS and not q.startswith("dap_unit=")}
    if unknown:
        raise ValueError(f"unknown quirk(s): {sorted(unknown)}; known: {sorted(KNOWN_QUIRKS)}")
    return quirks


def empty_target(quirks: frozenset[str], concept: Code) -> Code | None:
    """Return the concept whose first NUM item the empty-value quirks leave empty, or None."""
    return concept if {"empty_numeric", "empty_numeric_value"} & quirks else None


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
    # The staff (DICOM person names, Family^Given): Operators' Name (0008,1070) and Performing
    # Physician's Name (0008,1050) in every object's header; in the dose reports, TID 1020
    # Person Participants: ``administering`` (113851, Irradiation Administering) in each
    # irradiation event, ``authorizing`` (113850, Irradiation Authorizing) at report level.
    operators: tuple[str, ...] = ()
    performing_physician: str = ""
    administering: str = ""
    authorizing: str = ""


@dataclass(frozen=True)
class Document:
    """One object to write: its patient, device and study, its place in the study (SOP and
    Series Instance UIDs, generated when None; series and instance numbers) and the quirks it is
    written with (checked by :func:`check_quirks`)."""

    patient: Patient
    device: Device
    study: Study
    sop_instance_uid: str | None
    series_instance_uid: str | None
    series_number: int
    instance_number: int
    quirks: frozenset[str]


# --------------------------------------------------------------------------------------------
# Value formatting
# --------------------------------------------------------------------------------------------
def decimal_string(value: float) -> str:
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


def round_trip(value: float) -> float:
    """Return the value a reader gets back from the decimal string written for `value`."""
    return float(decimal_string(value))


def dicom_datetime(moment: datetime) -> str:
    """Format a DICOM DT value (local time, no offset)."""
    text = moment.strftime("%Y%m%d%H%M%S")
    return f"{text}.{moment.microsecond:06d}" if moment.microsecond else text


def dicom_date(day: date) -> str:
    """Format a DICOM DA value (YYYYMMDD)."""
    return day.strftime("%Y%m%d")


def dicom_time(moment: datetime) -> str:
    """Format a DICOM TM value (HHMMSS, local time)."""
    return moment.strftime("%H%M%S")


def age_string(age_years: float) -> str:
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


class Encoder:
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
        key = ("codeseq", tag, code, code.meaning)  # the meaning too: it is written
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
        key = ("head", relationship, value_type, concept, concept.meaning)
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
            _T_DATETIME, "DT", dicom_datetime(moment).encode()
        )
        return self.item(body)

    def pname(self, rel: str, concept: Code, name: str, children: Sequence[bytes] = ()) -> bytes:
        body = (
            self._head(rel, "PNAME", concept)
            + self.element(_T_PERSON_NAME, "PN", name.encode())
            + self._children(children)
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
            return self._plain_num(rel, concept, decimal_string(value), unit)
        else:
            measured = self._measured(decimal_string(value), unit)
        body = (
            self._head(rel, "NUM", concept)
            + self.element(_T_MEASURED_VALUE, "SQ", measured)
            + self._children(children)
        )
        return self.item(body)

    def _plain_num(self, rel: str, concept: Code, text: str, unit: Code) -> bytes:
        """Fast path of :meth:`num` for the common case: a value and no children."""
        key = ("num", rel, concept, concept.meaning, unit, unit.meaning)
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
def observer_context(enc: Encoder, device: Device) -> list[bytes]:
    """TID 1002 / TID 1004: the device as recording observer."""
    rel = "HAS OBS CONTEXT"
    items = [
        enc.code(rel, c.OBSERVER_TYPE, c.DEVICE),
        enc.uidref(rel, c.DEVICE_OBSERVER_UID, device.device_observer_uid),
    ]
    for concept, text in (
        (c.DEVICE_OBSERVER_NAME, device.station_name),
        (c.DEVICE_OBSERVER_MANUFACTURER, device.manufacturer),
        (c.DEVICE_OBSERVER_MODEL, device.model),
        (c.DEVICE_OBSERVER_SERIAL, device.serial_number),
        (c.DEVICE_OBSERVER_LOCATION, device.department or device.institution),
    ):
        if text:
            items.append(enc.text(rel, concept, text))
    return items


def person_participant(enc: Encoder, name: str, role: Code) -> bytes:
    """TID 1020 Person Participant: the person's name with their role in the procedure."""
    return enc.pname(
        "CONTAINS",
        c.PERSON_NAME,
        name,
        [enc.code("HAS PROPERTIES", c.PERSON_ROLE_IN_PROCEDURE, role)],
    )


def participants_of(enc: Encoder, study: Study) -> tuple[list[bytes], list[bytes]]:
    """Return the TID 1020 items of ``study``'s staff: (report level: the person authorising,
    per irradiation event: the person administering); empty lists for names not given."""
    report = (
        [person_participant(enc, study.authorizing, c.IRRADIATION_AUTHORIZING)]
        if study.authorizing
        else []
    )
    event = (
        [person_participant(enc, study.administering, c.IRRADIATION_ADMINISTERING)]
        if study.administering
        else []
    )
    return report, event


def scope_of_accumulation(enc: Encoder, study: Study) -> bytes:
    """TID 10001 / 10011 Scope of Accumulation: the study, by its Study Instance UID."""
    return enc.code(
        "HAS OBS CONTEXT",
        c.SCOPE_OF_ACCUMULATION,
        c.STUDY,
        [enc.uidref("HAS PROPERTIES", c.STUDY_INSTANCE_UID, study.study_instance_uid)],
    )


_SEX: dict[str, Code] = {"M": c.MALE, "F": c.FEMALE, "O": c.OTHER_SEX, "U": c.UNKNOWN_SEX}


def patient_characteristics(enc: Encoder, patient: Patient, quirks: frozenset[str]) -> bytes:
    """Container 121118 "Patient Characteristics" (TID 10024 rows; cf. TID 3602)."""
    rel = "CONTAINS"
    items: list[bytes] = []
    if patient.age_years is not None:
        if patient.age_years >= 1:
            items.append(enc.num(rel, c.SUBJECT_AGE, math.floor(patient.age_years), c.U_YEAR))
        else:
            items.append(enc.num(rel, c.SUBJECT_AGE, math.floor(patient.age_years * 12), c.U_MONTH))
    items.append(enc.code(rel, c.SUBJECT_SEX, _SEX.get(patient.sex, c.UNKNOWN_SEX)))
    height, weight = patient_size(patient, quirks)
    if height is not None:
        items.append(enc.num(rel, c.PATIENT_HEIGHT, round(height * 100, 1), c.U_CM))
    if weight is not None:
        items.append(enc.num(rel, c.PATIENT_WEIGHT, weight, c.U_KG))
    return enc.container(rel, c.PATIENT_CHARACTERISTICS, items)


def patient_size(patient: Patient, quirks: frozenset[str]) -> tuple[float | None, float | None]:
    """Height (m) and weight (kg) to write, after the size quirks."""
    if "no_patient_size" in quirks:
        return None, None
    weight = 0.0 if "weight_zero" in quirks else patient.weight_kg
    return patient.height_m, weight


def procedure_reported(enc: Encoder, procedure: Code, intent: Code) -> bytes:
    """Procedure reported, modified by its intent."""
    return enc.code(
        "HAS CONCEPT MOD",
        c.PROCEDURE_REPORTED,
        procedure,
        [enc.code("HAS CONCEPT MOD", c.HAS_INTENT, intent)],
    )


def lookup(table: dict[str, _V], key: str, what: str) -> _V:
    """``table[key]``, or a ValueError that names `what` and the accepted keys."""
    try:
        return table[key]
    except KeyError:
        raise ValueError(f"unknown {what} {key!r}; known: {sorted(table)}") from None


def anatomy(key: str) -> tuple[Code, str]:
    """Return the Target Region code and Body Part Examined of an anatomy key of
    :data:`~kerma.dicom.codes.ANATOMY`, or a ValueError naming the known keys."""
    try:
        return c.ANATOMY[key]
    except KeyError:
        raise ValueError(f"unknown anatomy {key!r}; known: {sorted(c.ANATOMY)}") from None


# --------------------------------------------------------------------------------------------
# Dataset construction and saving
# --------------------------------------------------------------------------------------------
def code_dataset(code: Code) -> Dataset:
    """Return ``code`` as a Code Sequence item (value, scheme, meaning)."""
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme
    item.CodeMeaning = code.meaning
    return item


def base_dataset(
    doc: Document,
    *,
    sop_class_uid: str,
    modality: str,
    series_description: str,
    content_datetime: datetime,
) -> Dataset:
    """SOP Common, Patient, Patient Study, General Study, General Series and (Enhanced)
    General Equipment modules of ``doc``, created at ``content_datetime``."""
    sop_instance_uid = doc.sop_instance_uid or generate_uid()
    series_instance_uid = doc.series_instance_uid or generate_uid()
    patient, device, study, quirks = doc.patient, doc.device, doc.study, doc.quirks
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.InstanceCreationDate = dicom_date(content_datetime)
    ds.InstanceCreationTime = dicom_time(content_datetime)
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate = dicom_date(study.start)
    ds.SeriesDate = dicom_date(content_datetime)
    ds.ContentDate = dicom_date(content_datetime)
    ds.StudyTime = dicom_time(study.start)
    ds.SeriesTime = dicom_time(content_datetime)
    ds.ContentTime = dicom_time(content_datetime)
    ds.AccessionNumber = study.accession_number
    ds.Modality = modality
    ds.Manufacturer = device.manufacturer
    ds.InstitutionName = device.institution
    ds.ReferringPhysicianName = study.referring_physician
    if study.performing_physician:
        ds.PerformingPhysicianName = study.performing_physician
    if study.operators:
        ds.OperatorsName = list(study.operators)
    ds.StationName = device.station_name
    ds.StudyDescription = study.description
    ds.SeriesDescription = series_description
    if device.department:
        ds.InstitutionalDepartmentName = device.department
    ds.ManufacturerModelName = device.model
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = dicom_date(patient.birth_date) if patient.birth_date else ""
    ds.PatientSex = patient.sex if patient.sex in ("M", "F", "O") else ""
    if patient.quality_control:
        ds.QualityControlSubject = "YES"
    if patient.age_years is not None:
        ds.PatientAge = age_string(patient.age_years)
    height, weight = patient_size(patient, quirks)
    if height is not None:
        ds.PatientSize = decimal_string(round(height, 3))
    if weight is not None:
        ds.PatientWeight = decimal_string(round(weight, 1))
    ds.DeviceSerialNumber = device.serial_number
    ds.SoftwareVersions = device.software_version
    ds.StudyInstanceUID = study.study_instance_uid
    ds.SeriesInstanceUID = series_instance_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = doc.series_number
    ds.InstanceNumber = doc.instance_number
    return ds


def save(ds: Dataset, path: Path, quirks: frozenset[str]) -> Path:
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


def sr_dataset(
    doc: Document,
    *,
    sop_class_uid: str,
    root_concept: Code,
    template_id: str,
    content: bytes,
    report_datetime: datetime,
) -> Dataset:
    """A complete SR document whose root container holds the raw `content` items."""
    ds = base_dataset(
        doc,
        sop_class_uid=sop_class_uid,
        modality="SR",
        series_description="Dose Report",
        content_datetime=report_datetime,
    )
    ds.ReferencedPerformedProcedureStepSequence = DicomSequence()
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = DicomSequence([code_dataset(root_concept)])
    ds.ContinuityOfContent = "SEPARATE"
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = template_id
    ds.ContentTemplateSequence = DicomSequence([template])
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.PerformedProcedureCodeSequence = DicomSequence()
    implicit = "implicit_vr" in doc.quirks
    ds[_T_CONTENT_SEQUENCE] = RawDataElement(
        Tag(_T_CONTENT_SEQUENCE), "SQ", len(content), content, 0, implicit, True
    )
    return ds


def save_sr(
    path: Path | str,
    doc: Document,
    *,
    sop_class_uid: str,
    root_concept: Code,
    template_id: str,
    items: Sequence[bytes],
    report_datetime: datetime,
) -> Path:
    """Write the SR document ``doc`` whose root container holds ``items`` and return its path."""
    ds = sr_dataset(
        doc,
        sop_class_uid=sop_class_uid,
        root_concept=root_concept,
        template_id=template_id,
        content=b"".join(items),
        report_datetime=report_datetime,
    )
    return save(ds, Path(path), doc.quirks)


# --------------------------------------------------------------------------------------------
# The X-Ray Radiation Dose SR skeleton shared by CT (TID 10011) and projection (TID 10001)
# --------------------------------------------------------------------------------------------
def xray_encoder(quirks: frozenset[str], empty_concept: Code) -> Encoder:
    """Return the content encoder of an X-ray dose report written with ``quirks``;
    ``empty_concept`` is the concept the empty-value quirks leave empty."""
    return Encoder(
        implicit="implicit_vr" in quirks,
        code_map=c.SRT_TO_SCT if "sct_codes" in quirks else None,
        empty_concept=empty_target(quirks, empty_concept),
        empty_mode="value" if "empty_numeric_value" in quirks else "sequence",
    )


def save_xray_report(
    path: Path | str,
    doc: Document,
    enc: Encoder,
    items: list[bytes],
    *,
    template_id: str,
    report_datetime: datetime,
) -> Path:
    """Close the content ``items`` of an X-Ray Radiation Dose SR with its Source of Dose
    Information, write the document (in Enhanced SR with the quirk ``enhanced_sr_carrier``)
    and return its path."""
    items.append(enc.code("CONTAINS", c.SOURCE_OF_DOSE_INFORMATION, c.AUTOMATED_DATA_COLLECTION))
    carrier = "enhanced_sr_carrier" in doc.quirks
    return save_sr(
        path,
        doc,
        sop_class_uid=ENHANCED_SR_SOP_CLASS if carrier else XRAY_RDSR_SOP_CLASS,
        root_concept=c.XRAY_DOSE_REPORT,
        template_id=template_id,
        items=items,
        report_datetime=report_datetime,
    )
