"""Attributes every dose object shares: study, patient and equipment modules of the header."""

from __future__ import annotations

from datetime import date, datetime

from kerma.dicom import deidentify, quirks
from kerma.dicom.participants import header_participants
from kerma.dicom.rawfile import RawDataset
from kerma.dose import DeviceIdentity, DoseReport, PatientInfo
from kerma.patients.risk import pregnancy_status


def text(ds: RawDataset, keyword: str) -> str:
    """Return an attribute as stripped text ('' when absent or empty)."""
    value = ds.get(keyword)
    if value is None:
        return ""
    return str(value).strip()


def number(ds: RawDataset, keyword: str) -> float | None:
    """Return a numeric attribute as a float (the first of several values), None when absent,
    empty or not a number."""
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.split("\\", 1)[0].strip()
        if not value:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_date(value: str) -> date | None:
    """Return a DICOM DA string (YYYYMMDD) as a date, None when empty or invalid."""
    value = value.strip()
    if len(value) < 8:
        return None
    try:
        return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def parse_datetime(value: str) -> datetime | None:
    """Return a DICOM DT string (YYYYMMDDHHMMSS.ffffff&ZZXX) as a naive datetime, or None."""
    value = value.strip()
    for sign in "+-":
        if sign in value[8:]:
            value = value[: 8 + value[8:].index(sign)]
    if len(value) < 8:
        return None
    try:
        fraction = 0
        if "." in value:
            value, frac = value.split(".", 1)
            fraction = int((frac + "000000")[:6]) if frac.isdigit() else 0
        digits = value + "0" * (14 - len(value)) if len(value) < 14 else value[:14]
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]) or 1,
            int(digits[6:8]) or 1,
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            fraction,
        )
    except ValueError:
        return None


def parse_age(value: str) -> float | None:
    """Return a DICOM AS string ('045Y', '006M', '003W', '010D') as years, or None."""
    value = value.strip().upper()
    if len(value) < 2 or not value[:-1].isdigit():
        return None
    factor = {"Y": 1.0, "M": 1 / 12, "W": 7 / 365.25, "D": 1 / 365.25}.get(value[-1])
    return None if factor is None else int(value[:-1]) * factor


def age_between(birth: date, on: date) -> float:
    """Return the age in years (fractional) of someone born on ``birth`` at date ``on``."""
    return (on - birth).days / 365.25


def study_fields(ds: RawDataset, report: DoseReport) -> None:
    """Fill the study identity and date of ``report`` from the general study module."""
    report.study_uid = text(ds, "StudyInstanceUID")
    report.accession_number = text(ds, "AccessionNumber")
    report.study_date = (
        parse_date(text(ds, "StudyDate"))
        or parse_date(text(ds, "AcquisitionDate"))
        or parse_date(text(ds, "ContentDate"))
    )
    report.study_time = text(ds, "StudyTime")
    content = text(ds, "ContentDate")
    if content:
        report.content_datetime = parse_datetime(content + text(ds, "ContentTime"))


def procedure_from_header(ds: RawDataset) -> str:
    """Return the procedure as the modality described it: study, step or protocol description."""
    for keyword in (
        "StudyDescription",
        "PerformedProcedureStepDescription",
        "RequestedProcedureDescription",
        "ProtocolName",
    ):
        value = text(ds, keyword)
        if value:
            return value
    for keyword in ("ProcedureCodeSequence", "PerformedProtocolCodeSequence"):
        seq = ds.get(keyword)
        if seq and seq[0].get("CodeMeaning"):
            return str(seq[0].get("CodeMeaning"))
    return ""


def device_from_header(ds: RawDataset) -> DeviceIdentity:
    """Return the device identity named by the general equipment module."""
    return DeviceIdentity(
        manufacturer=text(ds, "Manufacturer"),
        model=text(ds, "ManufacturerModelName"),
        serial_number=text(ds, "DeviceSerialNumber"),
        station_name=text(ds, "StationName"),
        institution=text(ds, "InstitutionName"),
        department=text(ds, "InstitutionalDepartmentName"),
    )


def patient_from_header(ds: RawDataset, study_date: date | None) -> PatientInfo:
    """Return the patient module's identity, age, sex, weight (kg) and height (m)."""
    patient = PatientInfo(
        patient_id=text(ds, "PatientID"),
        issuer=text(ds, "IssuerOfPatientID"),
        name=text(ds, "PatientName"),
        birth_date=parse_date(text(ds, "PatientBirthDate")),
        sex=text(ds, "PatientSex").upper()[:1],
        pseudonymised=text(ds, "DeidentificationMethod") == deidentify.METHOD,
    )
    if patient.sex not in ("F", "M", "O"):
        patient.sex = ""
    patient.age_years = parse_age(text(ds, "PatientAge"))
    if patient.age_years is None and patient.birth_date and study_date:
        age = age_between(patient.birth_date, study_date)
        patient.age_years = age if age >= 0 else None
    if patient.age_years is not None and not 0 <= patient.age_years <= quirks.MAX_AGE_YEARS:
        patient.age_years = None
    weight = number(ds, "PatientWeight")
    if weight is not None and weight > 0:
        patient.weight_kg = weight
    elif weight == 0 and not quirks.ZERO_WEIGHT_IS_UNKNOWN:
        patient.weight_kg = 0.0
    size = number(ds, "PatientSize")  # defined in metres (PS3.3 C.7.2.2)
    if size is not None and size > 0:
        patient.height_m = size
    patient.pregnancy_status = pregnancy_status(text(ds, "PregnancyStatus"))
    return patient


def report_from_header(ds: RawDataset, source: str, modality: str) -> DoseReport:
    """Return a report holding what the header says of the object, study, device and patient;
    the readers add the events and totals."""
    report = DoseReport(
        sop_instance_uid=text(ds, "SOPInstanceUID"),
        sop_class_uid=text(ds, "SOPClassUID"),
        source=source,
        modality=modality,
        study_uid="",
    )
    study_fields(ds, report)
    report.device = device_from_header(ds)
    report.patient = patient_from_header(ds, report.study_date)
    report.procedure = procedure_from_header(ds)
    report.participants = header_participants(ds)
    return report
