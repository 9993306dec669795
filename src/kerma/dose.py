"""What Kerma knows of one dose object, as plain data: device, patient, events and totals.

The readers in :mod:`kerma.dicom` produce a :class:`DoseReport` per file; the ingest pipeline
stores it and :func:`kerma.exams.combine_reports` merges the reports of a study into one exam.
Every number is in the canonical unit its name ends with (see :mod:`kerma.units`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from kerma.notices import Notice, declare

MODALITIES = ("CT", "DX", "MG", "RF", "XA", "NM", "PT")

# The totals an exam carries, in the units their names end with; a key is present only where the
# quantity applies and is known. Summed totals add up over the reports of a study; the largest
# CTDIvol is a maximum; the names of radionuclides and radiopharmaceuticals are text.
SUMMED_TOTAL_KEYS = (
    "dlp_total_mgycm",
    "dap_total_gycm2",
    "dap_fluoro_gycm2",
    "dap_acquisition_gycm2",
    "kar_total_mgy",
    "fluoro_time_s",
    "acquisition_time_s",
    "agd_left_mgy",
    "agd_right_mgy",
    "activity_mbq",
)
NUMERIC_TOTAL_KEYS = ("ctdivol_max_mgy", *SUMMED_TOTAL_KEYS)
TEXT_TOTAL_KEYS = ("radionuclide", "radiopharmaceutical")
TOTAL_KEYS = (
    "dlp_total_mgycm",
    "ctdivol_max_mgy",
    *SUMMED_TOTAL_KEYS[1:],
    *TEXT_TOTAL_KEYS,
)


@dataclass(slots=True)
class DeviceIdentity:
    """The modality that produced a report, as the report names it."""

    observer_uid: str = ""
    manufacturer: str = ""
    model: str = ""
    serial_number: str = ""
    station_name: str = ""
    institution: str = ""
    department: str = ""
    location: str = ""

    def key(self) -> str:
        """Return the identity key: the device observer UID, else the four names joined."""
        if self.observer_uid:
            return f"uid:{self.observer_uid}"
        return (
            "names:"
            + "|".join(
                (self.manufacturer, self.model, self.serial_number, self.station_name)
            ).lower()
        )


@dataclass(slots=True)
class PatientInfo:
    """The patient as found in the object; identifiers in clear until the ingest hashes them."""

    patient_id: str = ""
    issuer: str = ""
    name: str = ""
    birth_date: date | None = None
    sex: str = ""
    age_years: float | None = None
    weight_kg: float | None = None
    height_m: float | None = None
    # DICOM Pregnancy Status (0010,21C0) as a word (kerma.patients.risk.PREGNANCY_STATUS);
    # "" when the object does not carry it.
    pregnancy_status: str = ""
    # True when the object is a copy Kerma pseudonymised: patient_id is already the keyed
    # pseudonym (see kerma.dicom.deidentify).
    pseudonymised: bool = False


@dataclass(slots=True)
class Event:
    """One irradiation event (CT acquisition, projection exposure or fluoroscopy run) or one
    radiopharmaceutical administration, with the canonical unit in each field's name."""

    kind: str  # "ct", "projection" or "nm"
    uid: str = ""
    started: datetime | None = None
    protocol: str = ""
    target_region: str = ""
    # CT
    acquisition_type: str = ""
    ctdivol_mgy: float | None = None
    dlp_mgycm: float | None = None
    phantom_cm: int | None = None
    ssde_mgy: float | None = None
    water_equivalent_diameter_mm: float | None = None
    pitch: float | None = None
    scan_length_mm: float | None = None
    collimation_mm: float | None = None
    rotation_time_s: float | None = None
    # projection
    event_type: str = ""  # fluoroscopy, stationary, stepping, rotational
    plane: str = ""
    laterality: str = ""
    image_view: str = ""
    dap_gycm2: float | None = None
    kar_mgy: float | None = None
    agd_mgy: float | None = None
    entrance_dose_mgy: float | None = None
    primary_angle_deg: float | None = None
    secondary_angle_deg: float | None = None
    # Rotational acquisitions: where the arc ends (TID 10003 Positioner Primary/Secondary End
    # Angle, 113739/113740 DCM); None for a static beam.
    primary_angle_end_deg: float | None = None
    secondary_angle_end_deg: float | None = None
    source_isocentre_mm: float | None = None
    source_detector_mm: float | None = None
    table_longitudinal_mm: float | None = None
    table_lateral_mm: float | None = None
    table_height_mm: float | None = None
    field_width_mm: float | None = None
    field_height_mm: float | None = None
    field_area_cm2: float | None = None
    filter_material: str = ""
    filter_thickness_mm: float | None = None
    # Every filter of the beam when it has several, as "Cu 0.4 mm + Al 1.0 mm" (see
    # beam_filters); filter_material/filter_thickness_mm are the thickest of them.
    filters: str = ""
    compression_thickness_mm: float | None = None
    pulse_width_ms: float | None = None
    pulse_rate_per_s: float | None = None
    frames: int | None = None
    irradiation_duration_s: float | None = None
    # technique (CT and projection)
    kvp_kv: float | None = None
    tube_current_ma: float | None = None
    exposure_mas: float | None = None
    exposure_time_s: float | None = None
    # nuclear medicine
    radionuclide: str = ""
    radiopharmaceutical: str = ""
    activity_mbq: float | None = None
    route: str = ""

    @property
    def is_fluoroscopy(self) -> bool:
        """True for a fluoroscopy run (as opposed to an acquisition)."""
        return self.event_type == "fluoroscopy"

    def as_dict(self) -> dict[str, Any]:
        """Return the event's known fields (None and empty values left out)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def beam_filters(event: Event) -> list[tuple[str, float]]:
    """Return every filter of an event's beam as (material symbol, thickness in mm)."""
    found: list[tuple[str, float]] = []
    for part in event.filters.split(" + "):
        material, _, rest = part.strip().removesuffix(" mm").rpartition(" ")
        try:
            found.append((material, float(rest)))
        except ValueError:
            continue
    if not found and event.filter_material and event.filter_thickness_mm is not None:
        found.append((event.filter_material, event.filter_thickness_mm))
    return found


def set_filters(event: Event, found: list[tuple[str, float]]) -> None:
    """Record the filters of a beam on ``event`` (thickness in mm): all of them in ``filters``
    when there are several, the thickest in filter_material / filter_thickness_mm."""
    if not found:
        return
    material, thickness = max(found, key=lambda f: f[1])
    event.filter_material, event.filter_thickness_mm = material, thickness
    event.filters = " + ".join(f"{m} {t:g} mm" for m, t in found) if len(found) > 1 else ""


@dataclass(frozen=True, slots=True)
class Participant:
    """A person a dose object names as taking part in the exam (staff, never the patient).

    ``name``: as written (a DICOM person name, ``Family^Given`` or free text); ``role``: a key
    of :data:`kerma.dicom.codes.PERSON_ROLES` for the TID 1020 roles Kerma names, ``operator``
    (Operators' Name), ``performing_physician``, ``physician_of_record``, ``observer`` (TID 1002
    person observer), else the role's code meaning as written; ``source``: where it was read,
    ``TID 1020``, ``TID 1002`` or the header tag, e.g. ``(0008,1070)``; ``person_id`` and
    ``organization``: the optional TID 1020 Person ID and Organization Name.
    """

    name: str
    role: str
    source: str
    person_id: str = ""
    organization: str = ""


@dataclass(slots=True)
class DoseReport:
    """One dose object (RDSR, radiopharmaceutical RDSR, image header, dose screen) read."""

    sop_instance_uid: str
    sop_class_uid: str
    source: str  # "rdsr", "rrdsr", "image", "dose-screen"
    modality: str
    study_uid: str
    accession_number: str = ""
    study_date: date | None = None
    study_time: str = ""
    content_datetime: datetime | None = None
    procedure: str = ""
    device: DeviceIdentity = field(default_factory=DeviceIdentity)
    patient: PatientInfo = field(default_factory=PatientInfo)
    events: list[Event] = field(default_factory=list)
    totals: dict[str, float | str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # The same findings as ``warnings`` (which keeps their English text for scripts and old
    # readers), as notices the shell words in the reader's language.
    warning_notices: list[Notice] = field(default_factory=list)
    # The staff the object names (TID 1020 participants, Operators' Name...), each once.
    participants: list[Participant] = field(default_factory=list)

    def warn(self, found: Notice) -> None:
        """Add ``found`` to the report's warnings: its notice and its English text."""
        self.warning_notices.append(found)
        self.warnings.append(found.text("en"))


# A reason given as plain text (a reader that has no code of its own for it yet).
declare("dose.unreadable", en="{detail}", fr="{detail}")
# A warning stored as text before warnings were notices (shown as it was written).
STORED_TEXT = declare("dose.stored_text", en="{text}", fr="{text}")


def stored_notices(
    stored: Iterable[Notice | Mapping[str, Any]] | None, lines: Iterable[str]
) -> list[Notice]:
    """Return the notices ``stored`` (notices, or their :meth:`Notice.to_dict`); when there are
    none, each of ``lines`` (the same findings as English text, as stored before notices) as a
    notice that shows it as written."""
    if stored:
        return [item if isinstance(item, Notice) else Notice.from_dict(item) for item in stored]
    return [Notice(STORED_TEXT, {"text": line}) for line in lines if line]


def distinct_notices(notices: Iterable[Notice]) -> list[dict[str, Any]]:
    """Return each notice once (by its English text, first seen first) as :meth:`Notice.to_dict`,
    JSON-ready for storage."""
    distinct: dict[str, dict[str, Any]] = {}
    for found in notices:
        distinct.setdefault(found.text("en"), found.to_dict())
    return list(distinct.values())


class DoseObjectError(ValueError):
    """A file that is not a dose object Kerma can read: :attr:`notice` says why (a code with
    its parameters, worded in French or English); the message is the English wording."""

    def __init__(self, reason: str | Notice):
        if not isinstance(reason, Notice):
            reason = Notice("dose.unreadable", {"detail": reason})
        self.notice = reason
        super().__init__(self.notice.text("en"))
