"""Pseudonymising a received dose object before it is archived (pure: pydicom, no Django).

The archived copy keeps everything Kerma reads (UIDs, device, dates, dose content, the
patient's age, sex, weight and size) and loses what names the person: the patient's name,
identifiers and birth date, in the header and in the SR's subject context (TID 1007). The
Patient ID becomes the installation's keyed pseudonym (:func:`kerma.privacy.pseudonymise`),
so that reading the archived copy again gives the same exam, and the object states that its
identity was removed by Kerma (Patient Identity Removed, De-identification Method), so that the
pseudonym is not hashed a second time.

The staff the object names are kept: Operators' Name (0008,1070), Performing Physician's Name
(0008,1050), Physicians of Record (0008,1048), Referring Physician's Name and the TID 1020
Person Participant and TID 1002 person-observer items. They identify professionals in their
work, not the patient; the people register matches them against workstation qualifications
(decision 2019-DC-0660, :mod:`kerma.dicom.participants`), and reprocessing an archived copy must
find them again. Only the subject context items (TID 1007) and the patient's attributes go.
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


# Transfer syntaxes whose top-level elements follow one another with no enclosing length, so
# that the patient's module can be rewritten and the rest of the file kept byte for byte.
_PLAIN_LITTLE_ENDIAN = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
# The TID 1007 subject-context codes, as they are written in a content tree.
_SUBJECT_CODES = tuple(code.encode() for code in (*_SUBJECT_REMOVED, _SUBJECT_ID))


def _identify(ds: Dataset, pseudonym: str, age_years: float | None) -> None:
    """Replace the patient's identity in ``ds``'s header (see the module docstring)."""
    if age_years is not None and not str(ds.get("PatientAge", "")).strip():
        ds.PatientAge = _age_string(age_years)
    ds.PatientName = ""
    ds.PatientID = pseudonym
    for keyword in _REMOVED:
        if keyword in ds:
            delattr(ds, keyword)
    for group_length in (0x00100000, 0x00120000):  # no longer right once values change
        if group_length in ds:
            del ds[group_length]
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD


def _header_only(data: bytes, pseudonym: str, age_years: float | None) -> bytes | None:
    """Return ``data`` pseudonymised by rewriting its header up to the patient's modules and
    keeping the rest byte for byte, or None when that is not enough: a deflated or big-endian
    file, or a content tree that may hold a subject context (then the whole object is read)."""
    import pydicom
    from pydicom.filereader import read_partial

    fp = io.BytesIO(data)
    ds = read_partial(fp, stop_when=lambda tag, _vr, _length: tag.group > 0x0012, force=True)
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ""))
    rest = fp.tell()
    if syntax not in _PLAIN_LITTLE_ENDIAN or any(code in data[rest:] for code in _SUBJECT_CODES):
        return None
    if is_pseudonymised(ds):
        return data
    _identify(ds, pseudonym, age_years)
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=False)
    return out.getvalue() + data[rest:]


def pseudonymise_object(data: bytes, pseudonym: str, age_years: float | None) -> bytes:
    """Return the Part 10 bytes of ``data`` with the patient's identity replaced by
    ``pseudonym`` (see the module docstring). ``age_years`` (the age Kerma read, in years) is
    written as Patient Age when the object states none, since the birth date goes. An object
    already pseudonymised by Kerma is returned unchanged. Raises what pydicom raises for bytes
    it cannot read or write.

    Most objects only need their header rewritten (:func:`_header_only`, a few milliseconds);
    the others are read and written whole."""
    import pydicom

    fast = _header_only(data, pseudonym, age_years)
    if fast is not None:
        return fast
    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    if is_pseudonymised(ds):
        return data
    _identify(ds, pseudonym, age_years)
    if "ContentSequence" in ds:
        ds.ContentSequence = _clean_content(ds.ContentSequence, pseudonym)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()
