"""What one exam contributes to an evaluation: its values, in the decision's units.

The unit of evaluation follows the act (:attr:`kerma.reference.tables.Act.per`):

- ``acquisition`` (CT, radiography, dental, mammography): the values of the one acquisition that
  :func:`kerma.nrd.acquisitions.choose_acquisition` picks — CTDIvol (mGy) and DLP (mGy·cm) of a
  helix, DAP of a projection converted from Gy·cm² to mGy·cm², AGD (mGy);
- ``procedure`` (interventional): the procedure totals — DAP in Gy·cm² and fluoroscopy time
  converted from s to min (time is indicative: an exam without it stays in the sample);
- ``exam`` (nuclear medicine): the total administered activity (MBq), the sum of the
  administrations when they are known;
- ``administration-n``: the activity of the n-th administration in time order (the 2011 one-day
  myocardial protocols give one level per injection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kerma.nrd.acquisitions import AcquisitionChoice, SeriesPatterns, choose_acquisition
from kerma.nrd.eligibility import Exclusion, Reason, exclusion
from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import EvaluatedQuantity
from kerma.reference.tables import Act
from kerma.reference.vocabulary import (
    PER_ACQUISITION,
    PER_EXAM,
    PER_PROCEDURE,
    Family,
    Quantity,
    administration_rank,
    convert_value,
)


@dataclass(frozen=True, slots=True)
class Measurement:
    """The values an exam contributes, keyed by quantity, in the evaluated units.

    ``event_uid`` is the chosen acquisition (per-acquisition acts) or administration, None for
    per-procedure and per-exam acts; ``choice`` records how the acquisition was chosen.
    """

    values: dict[Quantity, float]
    event_uid: str | None = None
    choice: AcquisitionChoice | None = None


def measure(
    exam: ExamRecord,
    act: Act,
    quantities: tuple[EvaluatedQuantity, ...],
    *,
    phantom_cm: int | None = None,
    override: str | None = None,
    patterns: SeriesPatterns | None = None,
) -> Measurement | Exclusion:
    """Return what ``exam`` contributes to an evaluation of ``act``, or why it cannot.

    ``quantities`` are the quantities (and units) the evaluation computes; a quantity that is not
    indicative must be present, else the exam is excluded (``missing_value``).
    """
    uid = exam.study_uid
    values: dict[Quantity, float] = {}
    rank = administration_rank(act.per)
    if act.per == PER_ACQUISITION:
        choice = choose_acquisition(
            exam, act, phantom_cm=phantom_cm, override=override, patterns=patterns
        )
        if choice.event_uid is None:
            if override is not None:
                return exclusion(uid, Reason.OVERRIDE_UNKNOWN_EVENT, detail=override)
            return exclusion(uid, Reason.NO_ACQUISITION, detail=choice.explanation)
        acq = next(a for a in exam.acquisitions if a.event_uid == choice.event_uid)
        raw: dict[Quantity, tuple[float | None, str]] = {
            Quantity.CTDIVOL: (acq.ctdivol_mgy, "mGy"),
            Quantity.DLP: (acq.dlp_mgycm, "mGy.cm"),
            Quantity.DAP: (acq.dap_gycm2, "Gy.cm2"),
            Quantity.AGD: (acq.agd_mgy, "mGy"),
        }
        event_uid: str | None = choice.event_uid
    elif act.per == PER_PROCEDURE:
        choice, event_uid = None, None
        raw = {
            Quantity.DAP: (exam.dap_total_gycm2, "Gy.cm2"),
            Quantity.FLUORO_TIME: (exam.fluoro_time_s, "s"),
        }
    elif act.per == PER_EXAM or rank is not None:
        choice, event_uid = None, None
        activity: float | None
        if rank is not None:
            ordered = sorted(
                exam.administrations, key=lambda a: a.started or datetime.min
            )  # stable: equal or unknown times keep their order
            if len(ordered) < rank:
                return exclusion(
                    uid, Reason.MISSING_VALUE, detail=f"administration {rank} (activity)"
                )
            activity = ordered[rank - 1].activity_mbq
            event_uid = ordered[rank - 1].uid or None
        elif exam.administrations:
            known = [a.activity_mbq for a in exam.administrations]
            activity = sum(v for v in known if v is not None) if None not in known else None
        else:
            activity = exam.activity_mbq
        raw = {Quantity.ACTIVITY: (activity, "MBq")}
    else:  # pragma: no cover - the loader validates ``per``
        raise ValueError(f"unknown unit of evaluation {act.per!r}")

    for wanted in quantities:
        value, unit = raw.get(wanted.quantity, (None, ""))
        if value is None:
            if wanted.indicative:
                continue
            return exclusion(uid, Reason.MISSING_VALUE, detail=_name(wanted.quantity, act.family))
        values[wanted.quantity] = float(convert_value(value, unit, wanted.unit, wanted.quantity))
    return Measurement(values, event_uid, choice)


def _name(quantity: Quantity, family: Family) -> str:
    names = {
        Quantity.CTDIVOL: "CTDIvol",
        Quantity.DLP: "DLP",
        Quantity.DAP: "DAP" if family is not Family.INTERVENTIONAL else "total DAP",
        Quantity.AGD: "AGD",
        Quantity.FLUORO_TIME: "fluoroscopy time",
        Quantity.ACTIVITY: "administered activity",
    }
    return names.get(quantity, quantity.value)
