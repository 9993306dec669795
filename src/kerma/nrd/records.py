"""The plain data the NRD rules work on: exams, their acquisitions and administrations.

The Django shell (or a spreadsheet import, or a test) builds these from what it stores; the rules
in this package never see a database. Every number is in the unit its field name ends with:
CTDIvol in mGy, DLP in mGy·cm, DAP in Gy·cm² (as stored; converted to the decision's units by the
rules), fluoroscopy time in s, activity in MBq, weight in kg, height in m, age in years.

A unit without a dose archive types its rows: one :class:`ExamRecord` per patient, with a single
:class:`Acquisition` holding the typed CTDIvol/DLP (CT) or DAP (radiography), or the typed totals
(interventional) or activity (nuclear medicine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True, slots=True)
class Acquisition:
    """One irradiation event of an exam: a CT acquisition or a projection (or fluoroscopy run).

    ``acquisition_type`` is the CT acquisition type (``spiral``, ``sequenced``,
    ``constant_angle``, ``stationary``, ``free``, ``cone_beam``) or, for projection X-ray, the
    irradiation event type (``stationary``, ``fluoroscopy``, ``stepping``, ``rotational``), as
    :mod:`kerma.dicom.rdsr` names them. ``act_code`` is the act this acquisition's protocol maps
    to, when the mapping rules map acquisitions too (see :mod:`kerma.nrd.mapping`).
    """

    event_uid: str
    acquisition_type: str = ""
    protocol: str = ""
    started: datetime | None = None
    ctdivol_mgy: float | None = None
    dlp_mgycm: float | None = None
    phantom_cm: int | None = None
    dap_gycm2: float | None = None
    agd_mgy: float | None = None
    act_code: str | None = None


@dataclass(frozen=True, slots=True)
class Administration:
    """One radiopharmaceutical administration: its activity in MBq."""

    uid: str = ""
    activity_mbq: float | None = None
    radiopharmaceutical: str = ""
    started: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExamRecord:
    """One exam (study) on one device, as the NRD rules need it.

    ``act_code`` is the regulatory act the exam is mapped to (None: not mapped). ``procedure``
    is the protocol or procedure name that the mapping rules read. ``is_test`` marks phantom,
    quality-control and test exams. Per-procedure totals (interventional): ``dap_total_gycm2``
    (Gy·cm²) and ``fluoro_time_s`` (s). Nuclear medicine: ``administrations`` or, when only the
    total is known, ``activity_mbq`` (MBq).
    """

    study_uid: str
    study_date: date
    study_time: time | None = None
    device_id: str = ""
    act_code: str | None = None
    procedure: str = ""
    age_years: float | None = None
    weight_kg: float | None = None
    height_m: float | None = None
    is_test: bool = False
    acquisitions: tuple[Acquisition, ...] = ()
    dap_total_gycm2: float | None = None
    fluoro_time_s: float | None = None
    activity_mbq: float | None = None
    administrations: tuple[Administration, ...] = ()

    @property
    def sort_key(self) -> tuple[date, time, str]:
        """Chronological order: date, time (unknown time first in its day), then study UID."""
        return (self.study_date, self.study_time or time.min, self.study_uid)

    @property
    def study_datetime(self) -> datetime:
        """The study date and time (midnight when the time is unknown)."""
        return datetime.combine(self.study_date, self.study_time or time.min)
