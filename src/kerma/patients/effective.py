"""Estimated effective dose of one exam, with the method and coefficient it came from.

An effective dose is a population-risk quantity computed for a reference person; for one
patient it is an order of magnitude, never a measurement. Every :class:`Estimate` therefore
carries its ``method`` (``ct_dlp_k``, ``dap_coefficient``, ``nm_activity``, or ``none``), the
coefficient used and its source, and a notice when nothing could be estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kerma.notices import Notice, notice
from kerma.patients import coefficients as co
from kerma.patients import rounding
from kerma.patients import wording as w

CT = "ct_dlp_k"
DAP = "dap_coefficient"
NM = "nm_activity"
NONE = "none"
METHODS = (CT, DAP, NM, NONE)
PROJECTION_MODALITIES = ("DX", "CR", "RF", "XA", "MG", "DR", "PX", "IO")
NM_MODALITIES = ("NM", "PT")


@dataclass(frozen=True, slots=True)
class CtEvent:
    """One CT irradiation event: ``dlp_mgycm`` (mGy·cm), its target region or protocol, kVp."""

    dlp_mgycm: float | None
    region_text: str = ""
    protocol: str = ""
    kvp: float | None = None


@dataclass(frozen=True, slots=True)
class ExamDose:
    """What an estimate needs of an exam (units in the names)."""

    study_uid: str
    modality: str
    study_date: date | None = None
    age_years: float | None = None
    sex: str = ""
    procedure: str = ""
    dlp_total_mgycm: float | None = None
    dap_total_gycm2: float | None = None
    activity_mbq: float | None = None
    radionuclide: str = ""
    radiopharmaceutical: str = ""
    ct_events: Sequence[CtEvent] = ()


@dataclass(frozen=True, slots=True)
class Estimate:
    """``effective_dose_msv`` (mSv, ``None`` if not estimated) and how it was obtained."""

    effective_dose_msv: float | None
    method: str
    coefficients: tuple[dict[str, Any], ...] = ()
    notices: tuple[Notice, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Return the estimate as JSON-ready values (``method`` codes as in :data:`METHODS`;
        the dose rounded as shown, :func:`kerma.patients.rounding.msv`)."""
        return {
            "effective_dose_msv": rounding.msv(self.effective_dose_msv),
            "method": self.method,
            "is_estimate": True,
            "coefficients": list(self.coefficients),
            "notices": [n.to_dict() for n in self.notices],
        }


def estimate(exam: ExamDose, *, k_set: str = co.DEFAULT_K_SET,
             dap_coefficients: tuple[co.DapCoefficient, ...] = co.DAP_COEFFICIENTS,
             nm_coefficients: tuple[co.NmCoefficient, ...] = co.NM_COEFFICIENTS) -> Estimate:
    """Return the estimated effective dose of ``exam`` (mSv) with its method."""
    modality = exam.modality.upper()
    if modality == "CT":
        return estimate_ct(exam, k_set=k_set)
    if modality in NM_MODALITIES:
        return estimate_nm(exam, nm_coefficients)
    if modality in PROJECTION_MODALITIES:
        return estimate_dap(exam, dap_coefficients)
    return Estimate(None, NONE, notices=(notice(w.NO_COEFFICIENT, what=modality),))


def estimate_ct(exam: ExamDose, *, k_set: str = co.DEFAULT_K_SET) -> Estimate:
    """Return E = Σ DLP × k (mSv) over the CT events (k by region, age band and kVp).

    Events without a region fall back on the exam's procedure name; when no event carries a
    DLP, the exam's total DLP with the procedure's region is used.
    """
    events = [e for e in exam.ct_events if e.dlp_mgycm is not None]
    if not events:
        if exam.dlp_total_mgycm is None:
            return Estimate(None, NONE, notices=(notice(w.NO_QUANTITY, quantity="DLP"),))
        events = [CtEvent(exam.dlp_total_mgycm, "", exam.procedure)]
    total = 0.0
    used: dict[tuple[str, int, int], dict[str, Any]] = {}
    for event in events:
        region = co.ct_region(event.region_text, event.protocol, exam.procedure)
        factor = co.find_k_factor(region, exam.age_years, event.kvp, coefficient_set=k_set) \
            if region else None
        if factor is None:
            what = f"CT {region or event.region_text or event.protocol or exam.procedure or '?'}"
            return Estimate(None, NONE, notices=(notice(w.NO_COEFFICIENT, what=what),))
        total += float(event.dlp_mgycm or 0.0) * factor.k
        used[(factor.region, factor.table_age, factor.kvp)] = {
            "region": factor.region,
            "table_age_years": factor.table_age,
            "kvp": factor.kvp,
            "k_msv_per_mgycm": factor.k,
            "set": factor.coefficient_set,
            "tissue_weighting": factor.tissue_weighting,
            "source": factor.source,
        }
    return Estimate(total, CT, tuple(used.values()))


def estimate_dap(
    exam: ExamDose, coefficients: tuple[co.DapCoefficient, ...] = co.DAP_COEFFICIENTS
) -> Estimate:
    """Return E = DAP × coefficient (mSv, DAP in Gy·cm²) for a procedure with a cited one."""
    if exam.dap_total_gycm2 is None:
        return Estimate(None, NONE, notices=(notice(w.NO_QUANTITY, quantity="DAP"),))
    found = co.find_dap_coefficient(exam.procedure, coefficients)
    if found is None:
        what = f"{exam.modality} {exam.procedure or ''}".strip()
        return Estimate(None, NONE, notices=(notice(w.NO_COEFFICIENT, what=what),))
    detail = {
        "procedure": found.name,
        "msv_per_gycm2": found.msv_per_gycm2,
        "tissue_weighting": found.tissue_weighting,
        "source": found.source,
    }
    return Estimate(exam.dap_total_gycm2 * found.msv_per_gycm2, DAP, (detail,))


def estimate_nm(
    exam: ExamDose, coefficients: tuple[co.NmCoefficient, ...] = co.NM_COEFFICIENTS
) -> Estimate:
    """Return E = activity × coefficient (mSv, activity in MBq; adult coefficients)."""
    if exam.activity_mbq is None:
        return Estimate(None, NONE, notices=(notice(w.NO_QUANTITY, quantity="activity"),))
    found = co.find_nm_coefficient(exam.radiopharmaceutical or exam.procedure,
                                   exam.radionuclide, coefficients)
    if found is None:
        what = exam.radiopharmaceutical or exam.radionuclide or exam.procedure or "NM"
        return Estimate(None, NONE, notices=(notice(w.NO_COEFFICIENT, what=what),))
    detail = {
        "radiopharmaceutical": found.name,
        "radionuclide": found.radionuclide,
        "msv_per_mbq": found.msv_per_mbq,
        "source": found.source,
        "population": "adult",
    }
    return Estimate(exam.activity_mbq * found.msv_per_mbq, NM, (detail,))
