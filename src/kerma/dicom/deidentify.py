"""Pseudonymising a received dose object before it is archived (pure: pydicom, no Django).

The archived copy keeps everything Kerma reads (UIDs, device, dates, dose content, the
patient's age, sex, weight and size) and loses what names the person: the patient's name,
identifiers and birth date, in the header and in the SR's subject context (TID 1007). The
Patient ID becomes the installation's keyed pseudonym (:func:`kerma.privacy.pseudonymise`),
so that reading the archived copy again gives the same exam, and the object states that its
identity was removed by Kerma (Patient Identity Removed, De-identification Method), so that the
pseudonym is not hashed a second time.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydicom is imported when a copy is written, not by the readers
    from pydicom.dataset import Dataset

METHOD = "KERMA keyed pseudonym"
"""De-identification Method (0012,0063) written in the archived copies Kerma pseudonymised."""

# Header attributes that name or identify the person; PatientName is emptied (type 2),
# PatientID replaced, the others removed.
_REMOVED = (
    "IssuerOfPatientID",
    "IssuerOfPatientIDQualifiersSequence",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MedicalRecordLocator",
    "ReferencedPatientSequence",
)
# TID 1007 subject context items (DCM codes): Subject UID, Name and Birth Date are removed;
# Subject ID takes the pseudonym.
_SUBJECT_REMOVED = {"121028", "121029", "121031"}
_SUBJECT_ID = "121030"


def is_pseudonymised(ds: Dataset) -> bool:
    """True when ``ds`` is a copy Kerma pseudonymised (its Patient ID is already the key)."""
    return str(ds.get("DeidentificationMethod", "")) == METHOD


def _age_string(age_years: float) -> str:
    """Return ``age_years`` as a DICOM Age String in the finest unit that fits three digits
    (days up to 999, then weeks, months, years), rounded down."""
    days = age_years * 365.25
    for value, unit in ((days, "D"), (days / 7, "W"), (age_years * 12, "M"), (age_years, "Y")):
        if value < 999.5:
            return f"{int(value + 1e-6):03d}{unit}"
    return "999Y"


def _concept(item: Dataset) -> str:
    names = item.get("ConceptNameCodeSequence")
    if not names:
        return ""
    code = names[0]
    if str(code.get("CodingSchemeDesignator", "")) != "DCM":
        return ""
    return str(code.get("CodeValue", ""))


def _clean_content(items: Iterable[Dataset], pseudonym: str) -> list[Dataset]:
    """Return the content items without the subject's name, UID and birth date, the subject ID
    replaced by ``pseudonym`` (recursively)."""
    kept = []
    for item in items:
        concept = _concept(item)
        if concept in _SUBJECT_REMOVED:
            continue
        if concept == _SUBJECT_ID and "TextValue" in item:
            item.TextValue = pseudonym
        if "ContentSequence" in item:
            item.ContentSequence = _clean_content(item.ContentSequence, pseudonym)
        kept.append(item)
    return kept


def pseudonymise_object(data: bytes, pseudonym: str, age_years: float | None) -> bytes:
    """Return the Part 10 bytes of ``data`` with the patient's identity replaced by
    ``pseudonym`` (see the module docstring). ``age_years`` (the age Kerma read, in years) is
    written as Patient Age when the object states none, since the birth date goes. An object
    already pseudonymised by Kerma is returned unchanged. Raises what pydicom raises for bytes
    it cannot read or write."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    if is_pseudonymised(ds):
        return data
    if age_years is not None and not str(ds.get("PatientAge", "")).strip():
        ds.PatientAge = _age_string(age_years)
    ds.PatientName = ""
    ds.PatientID = pseudonym
    for keyword in _REMOVED:
        if keyword in ds:
            delattr(ds, keyword)
    if "ContentSequence" in ds:
        ds.ContentSequence = _clean_content(ds.ContentSequence, pseudonym)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()
