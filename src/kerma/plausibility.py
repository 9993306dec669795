"""Plausibility limits of every stored quantity, declared once with the reason for each bound.

A value outside its limits is not a dose a modality can have given: a negative dose, a NaN or
infinite number, a count or a length that overflows what any device reports (a Number of Pulses
of 1e30, a filter of 1e30 mm). Such a report is refused (quarantined) with the concept, the value
and the limit named: it is never stored silently, nor stored with the value dropped. The bounds
are deliberately wide (ten to a hundred times the highest clinical values, which stay accepted):
they catch encoding and unit errors, not high doses, which are the follow-up's business.

Patient size is different: a patient of 900 kg is a typing error in the modality, not a reason to
lose the exam's dose, so it is left unknown and the report carries a warning saying so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from kerma.dose import DoseObjectError, DoseReport, Event
from kerma.notices import Notice, declare, notice


@dataclass(frozen=True, slots=True)
class Limit:
    """The values a quantity may take, in the unit its name ends with, and why."""

    low: float
    high: float
    reason: str


_DOSE = "a dose or dose product is never negative"

# Per event (and per administration), in the canonical unit each name ends with.
EVENT_LIMITS: dict[str, Limit] = {
    "ctdivol_mgy": Limit(0.0, 10_000.0, f"{_DOSE}; CT perfusion stays below 2 000 mGy"),
    "dlp_mgycm": Limit(0.0, 200_000.0, f"{_DOSE}; a CT acquisition stays below 20 000 mGy·cm"),
    "ssde_mgy": Limit(0.0, 20_000.0, f"{_DOSE}; SSDE is at most about twice the CTDIvol"),
    "water_equivalent_diameter_mm": Limit(0.0, 1_000.0, "a body is less than 1 m across"),
    "dap_gycm2": Limit(0.0, 10_000.0, f"{_DOSE}; a whole procedure rarely reaches 1 000 Gy·cm²"),
    "kar_mgy": Limit(0.0, 100_000.0, f"{_DOSE}; a whole procedure rarely reaches 20 000 mGy"),
    "agd_mgy": Limit(0.0, 100.0, f"{_DOSE}; a mammography view is a few mGy"),
    "entrance_dose_mgy": Limit(0.0, 100_000.0, _DOSE),
    "activity_mbq": Limit(0.0, 100_000.0, "activity is positive; therapies stay below 10 GBq"),
    "pitch": Limit(0.0, 10.0, "a CT pitch is between 0 and about 3.5"),
    "scan_length_mm": Limit(0.0, 5_000.0, "a scan is shorter than 5 m"),
    "collimation_mm": Limit(0.0, 1_000.0, "a CT beam is narrower than 1 m"),
    "rotation_time_s": Limit(0.0, 100.0, "a CT rotation takes less than a few seconds"),
    "primary_angle_deg": Limit(-360.0, 360.0, "an angle is within one turn"),
    "secondary_angle_deg": Limit(-360.0, 360.0, "an angle is within one turn"),
    "primary_angle_end_deg": Limit(-360.0, 360.0, "an angle is within one turn"),
    "secondary_angle_end_deg": Limit(-360.0, 360.0, "an angle is within one turn"),
    "source_isocentre_mm": Limit(0.0, 10_000.0, "a C-arm is smaller than 10 m"),
    "source_detector_mm": Limit(0.0, 10_000.0, "a C-arm is smaller than 10 m"),
    "table_longitudinal_mm": Limit(-10_000.0, 10_000.0, "a table travels less than 10 m"),
    "table_lateral_mm": Limit(-10_000.0, 10_000.0, "a table travels less than 10 m"),
    "table_height_mm": Limit(-10_000.0, 10_000.0, "a table travels less than 10 m"),
    "field_width_mm": Limit(0.0, 2_000.0, "a field is smaller than 2 m"),
    "field_height_mm": Limit(0.0, 2_000.0, "a field is smaller than 2 m"),
    "field_area_cm2": Limit(0.0, 40_000.0, "a field is smaller than 2 m × 2 m"),
    "filter_thickness_mm": Limit(0.0, 100.0, "an added filter is a few mm thick"),
    "compression_thickness_mm": Limit(0.0, 500.0, "a compressed breast is thinner than 50 cm"),
    "pulse_width_ms": Limit(0.0, 100_000.0, "a pulse is shorter than 100 s"),
    "pulse_rate_per_s": Limit(0.0, 10_000.0, "fluoroscopy pulses at most a few dozen per second"),
    "frames": Limit(0.0, 10_000_000.0, "a run has fewer than ten million pulses"),
    "irradiation_duration_s": Limit(0.0, 86_400.0, "an irradiation lasts less than a day"),
    "kvp_kv": Limit(0.0, 1_000.0, "diagnostic tubes run below 150 kV"),
    "tube_current_ma": Limit(0.0, 100_000.0, "tubes run below 2 000 mA"),
    "exposure_mas": Limit(0.0, 1_000_000.0, "a product current × time far above any exposure"),
    "exposure_time_s": Limit(0.0, 86_400.0, "an exposure lasts less than a day"),
}

# Report totals (accumulated over a procedure or a study).
TOTAL_LIMITS: dict[str, Limit] = {
    "dlp_total_mgycm": Limit(0.0, 500_000.0, _DOSE),
    "ctdivol_max_mgy": EVENT_LIMITS["ctdivol_mgy"],
    "dap_total_gycm2": Limit(0.0, 100_000.0, _DOSE),
    "dap_fluoro_gycm2": Limit(0.0, 100_000.0, _DOSE),
    "dap_acquisition_gycm2": Limit(0.0, 100_000.0, _DOSE),
    "kar_total_mgy": Limit(0.0, 1_000_000.0, _DOSE),
    "fluoro_time_s": Limit(0.0, 86_400.0, "a procedure's fluoroscopy lasts less than a day"),
    "acquisition_time_s": Limit(0.0, 86_400.0, "a procedure's acquisitions last less than a day"),
    "agd_left_mgy": Limit(0.0, 1_000.0, _DOSE),
    "agd_right_mgy": Limit(0.0, 1_000.0, _DOSE),
    "activity_mbq": EVENT_LIMITS["activity_mbq"],
}

# Patient size outside these is left unknown, with a warning (a typing error at the modality).
PATIENT_LIMITS: dict[str, Limit] = {
    "weight_kg": Limit(0.2, 400.0, "a patient weighs between 200 g and 400 kg"),
    "height_m": Limit(0.2, 2.6, "a patient is between 20 cm and 2.6 m tall"),
}

OUT_OF_LIMITS = declare(
    "plausibility.out_of_limits",
    en="{where}{field} = {value} is outside its plausibility limits [{low}, {high}] ({reason})",
    fr="{where}{field} = {value} est hors de ses limites de plausibilité [{low}, {high}] "
    "({reason})",
)
NOT_A_NUMBER = declare(
    "plausibility.not_a_number",
    en="{where}{field} is not a finite number ({value})",
    fr="{where}{field} n'est pas un nombre fini ({value})",
)
PATIENT_IGNORED = declare(
    "plausibility.patient_ignored",
    en="patient {field} = {value} is outside [{low}, {high}] ({reason}): left unknown",
    fr="patient : {field} = {value} hors de [{low}, {high}] ({reason}) : laissé inconnu",
)


def _patient_words(field: str, name_fr: str, reason_fr: str) -> tuple[str, str]:
    """Declare the words of a patient field and of its limit's reason (English: as the limits
    state them); return their two codes."""
    return (
        declare(f"plausibility.patient.{field}", en=field, fr=name_fr),
        declare(f"plausibility.reason.{field}", en=PATIENT_LIMITS[field].reason, fr=reason_fr),
    )


# The field and the reason of PATIENT_IGNORED, worded too.
PATIENT_WORDS: dict[str, tuple[str, str]] = {
    "weight_kg": _patient_words("weight_kg", "poids (kg)", "un patient pèse entre 200 g et 400 kg"),
    "height_m": _patient_words("height_m", "taille (m)", "un patient mesure entre 20 cm et 2,6 m"),
}


def value_problem(field: str, value: float, limit: Limit, where: str = "") -> Notice | None:
    """Return why ``value`` of ``field`` is implausible, or None when it is within ``limit``."""
    if isinstance(value, float) and not math.isfinite(value):
        return notice(NOT_A_NUMBER, where=where, field=field, value=str(value))
    if not limit.low <= value <= limit.high:
        return notice(
            OUT_OF_LIMITS,
            where=where,
            field=field,
            value=f"{value:g}",
            low=f"{limit.low:g}",
            high=f"{limit.high:g}",
            reason=limit.reason,
        )
    return None


def _event_problems(events: Iterable[Event]) -> Iterable[Notice]:
    for index, event in enumerate(events, start=1):
        where = f"event {index}{f' ({event.uid})' if event.uid else ''}: "
        for field, limit in EVENT_LIMITS.items():
            value = getattr(event, field, None)
            if value is not None and (problem := value_problem(field, value, limit, where)):
                yield problem


def check_report(report: DoseReport) -> DoseReport:
    """Return ``report`` once every value is within its limits.

    Raises :class:`DoseObjectError` naming the first value outside them (the report is then
    quarantined whole). An implausible patient weight or height is set to unknown and a warning
    added to the report.
    """
    for problem in _event_problems(report.events):
        raise DoseObjectError(problem)
    for field, limit in TOTAL_LIMITS.items():
        value = report.totals.get(field)
        if isinstance(value, (int, float)) and (problem := value_problem(field, value, limit)):
            raise DoseObjectError(problem)
    for field, limit in PATIENT_LIMITS.items():
        value = getattr(report.patient, field)
        if value is not None and value_problem(field, value, limit) is not None:
            setattr(report.patient, field, None)
            # Field and reason as stored notices (JSON), worded with the sentence around them.
            field_code, reason_code = PATIENT_WORDS[field]
            report.warn(
                notice(
                    PATIENT_IGNORED,
                    field={"code": field_code, "params": {}},
                    # Numbers, not text: a French page writes them with a decimal comma.
                    value=float(value),
                    low=float(limit.low),
                    high=float(limit.high),
                    reason={"code": reason_code, "params": {}},
                )
            )
    return report
