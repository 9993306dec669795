"""The staff a dose object names: who administered or authorised the irradiation, the operator,
the performing physician — read from the SR content tree and from the header.

Read (PS3.16, PS3.3):

- TID 1020 Person Participant, wherever the dose templates include it (the irradiation events
  of TID 10003, the CT acquisitions of TID 10011, the report level, the administrations of TID
  10022): a PNAME item (113870, DCM, "Person Name") with HAS PROPERTIES (113875, DCM, "Person
  Role in Procedure") from CID 7453 — (113850, DCM, "Irradiation Authorizing"), (113851, DCM,
  "Irradiation Administering")... — and the optional (113871) Person ID and (113873)
  Organization Name;
- TID 1002 Observer Context when the observer is a person: (121008, DCM, "Person Observer
  Name") (the Carestream DRX-Evolution writes its operator there);
- the header: Operators' Name (0008,1070), Performing Physician's Name (0008,1050) and
  Physicians of Record (0008,1048), each possibly multi-valued.

Only these concepts are read: the patient's name (TID 1007 Subject Name, Patient's Name) is
never taken for a participant. Names are kept as written (the people register matches them,
:func:`kerma.people.normalise_name`); a name that is a placeholder rather than a person
(:data:`kerma.dicom.quirks.NOT_A_PERSON`) and an empty one are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from kerma.dicom import codes as c
from kerma.dicom import quirks
from kerma.dicom.rawfile import RawDataset
from kerma.dicom.srtree import ContentItem
from kerma.dose import Participant

TID_1020 = "TID 1020"
TID_1002 = "TID 1002"
# Header attributes naming staff: keyword → (role key, tag as written in the DICOM standard).
HEADER_ROLES: dict[str, tuple[str, str]] = {
    "OperatorsName": ("operator", "(0008,1070)"),
    "PerformingPhysicianName": ("performing_physician", "(0008,1050)"),
    "PhysiciansOfRecord": ("physician_of_record", "(0008,1048)"),
}


def person_names(value: str) -> list[str]:
    """Return the names of a (possibly multi-valued) PN value: each value's alphabetic group
    (before the first ``=``), stripped; empty values and placeholders left out."""
    names = []
    for part in value.split("\\"):
        name = part.split("=", 1)[0].strip().strip("^").strip()
        if name and name.lower() not in quirks.NOT_A_PERSON:
            names.append(name)
    return names


def header_participants(ds: RawDataset) -> list[Participant]:
    """Return the staff named by the header's Operators' Name, Performing Physician's Name and
    Physicians of Record."""
    found = []
    for keyword, (role, tag) in HEADER_ROLES.items():
        value = ds.get(keyword)
        if value:
            found.extend(Participant(name, role, tag) for name in person_names(str(value)))
    return found


def _text(item: ContentItem | None) -> str:
    if item is None or item.value is None:
        return ""
    return str(item.value).strip()


def _role(item: ContentItem) -> str:
    """Return the role key of a TID 1020 Person Name item (its 113875 child)."""
    role = item.first(c.PERSON_ROLE_IN_PROCEDURE)
    if role is None or role.value_type != "CODE" or role.value is None:
        return "participant"
    known = c.PERSON_ROLES.get(role.value)
    return known or (role.value_meaning or role.value[0]).strip().lower().replace(" ", "_")


def sr_participants(names: Iterable[ContentItem]) -> list[Participant]:
    """Return the participants of the PNAME content items ``names`` (any PNAME item may be
    given: only Person Name and Person Observer Name are read)."""
    found = []
    for item in names:
        if item.concept == c.PERSON_NAME:
            for name in person_names(_text(item)):
                found.append(
                    Participant(
                        name,
                        _role(item),
                        TID_1020,
                        person_id=_text(item.first(c.PERSON_ID)),
                        organization=_text(item.first(c.ORGANIZATION_NAME)),
                    )
                )
        elif item.concept == c.PERSON_OBSERVER_NAME:
            found.extend(Participant(n, "observer", TID_1002) for n in person_names(_text(item)))
    return found


def distinct(participants: Iterable[Participant]) -> list[Participant]:
    """Return each participant once (the same person in the same role from the same source:
    TID 1020 repeats the administering person in every irradiation event), first seen first."""
    return list(dict.fromkeys(participants))
