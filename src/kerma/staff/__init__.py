"""Predictive assessment of staff exposure and measured dosimetry, as pure rules.

A position of a procedure type gets a dose per procedure measured (or derived) at a reference
distance for each organ — whole body, extremities, lens of the eye — in µSv; Kerma moves it to
the working distance by the inverse square law, applies the protections in use (collective and
individual, each with an attenuation per organ: the fraction of the dose it stops), multiplies
by the yearly number of procedures and gives the yearly whole-body effective dose and the
extremity and lens equivalent doses in mSv, compared with the limits over 12 consecutive months
and the worker classification (Code du travail R.4451-6 and R.4451-57, as
``shared/reference/worker_limits.md`` quotes them):

=============  ==========  ================  ================
organ          limit       category A above  category B above
=============  ==========  ================  ================
whole body     20 mSv      6 mSv             1 mSv
extremities    500 mSv     150 mSv           50 mSv
lens           20 mSv      15 mSv            — (no lens criterion for B in the text read)
=============  ==========  ================  ================

The whole-body figure is the operator's dosimeter reading taken as the effective dose (the
usual conservative reading of Hp(10)), as in the seeds' TAVI assessment. Scatter coefficients
(dose at a distance per unit of DAP) are not in the project's reference data: a dose derived
from a DAP takes a coefficient the user enters with its source (:func:`dose_from_dap`).

Measured dosimetry: readings Hp(10) (whole body), Hp(0.07) (extremities, skin) and Hp(3) (lens)
per period, summed over the 12 months before a day (rolling), compared with the limits and the
prediction. No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from kerma.notices import Notice, notice
from kerma.people import add_months
from kerma.staff import wording as words


class Organ(StrEnum):
    """What a dose is for (codes fixed: the CLI's ``--dose-usv`` and JSON keys use them)."""

    WHOLE_BODY = "whole_body"
    EXTREMITIES = "extremities"
    LENS = "lens"


ORGANS: tuple[Organ, ...] = (Organ.WHOLE_BODY, Organ.EXTREMITIES, Organ.LENS)

# Limits over 12 consecutive months, mSv (Code du travail R.4451-6). The lens limit of 20 mSv
# applies since 1 July 2023; the transitional value before it (100 mSv over 1 July 2018 –
# 30 June 2023, at most 50 mSv in a year) is not applied: assessments are of today's practice.
LIMITS_MSV: Mapping[Organ, float] = {
    Organ.WHOLE_BODY: 20.0,
    Organ.EXTREMITIES: 500.0,
    Organ.LENS: 20.0,
}
# Classification thresholds, mSv over 12 months: strictly above (R.4451-57).
CATEGORY_A_ABOVE_MSV: Mapping[Organ, float] = {
    Organ.WHOLE_BODY: 6.0,
    Organ.EXTREMITIES: 150.0,
    Organ.LENS: 15.0,
}
CATEGORY_B_ABOVE_MSV: Mapping[Organ, float] = {
    Organ.WHOLE_BODY: 1.0,
    Organ.EXTREMITIES: 50.0,
}
# A measured dose at or above this share of its limit raises a "near the limit" notice. A
# house setting of Kerma (an early warning), not a regulatory value.
NEAR_LIMIT_SHARE = 0.8

ORGAN_WORDS = {
    Organ.WHOLE_BODY: ("whole body", "corps entier"),
    Organ.EXTREMITIES: ("extremities", "extrémités"),
    Organ.LENS: ("lens of the eye", "cristallin"),
}


class InputError(ValueError):
    """An assessment input out of its domain (negative dose, distance ≤ 0, attenuation ∉ [0,1))."""


@dataclass(frozen=True, slots=True)
class Protection:
    """A protection and the fraction of the dose it stops for each organ (0 ≤ a < 1; an organ
    not listed is not protected by it). ``kind``: ``collective`` or ``individual``."""

    name: str
    attenuation: Mapping[str, float]
    kind: str = "collective"

    def transmission(self, organ: str) -> float:
        """Return the fraction of the dose that goes through for ``organ`` (1 − attenuation)."""
        return 1.0 - float(self.attenuation.get(organ, 0.0))


@dataclass(frozen=True, slots=True)
class AssessmentInput:
    """What an assessment needs.

    ``dose_usv``: dose per procedure at ``reference_distance_cm`` without protection, µSv, per
    organ; ``working_distance_cm``: where the worker stands; ``volume``: procedures a year;
    ``protections``: those in use; ``candidates``: those that could be added (named when one
    alone would bring an organ under its limit).
    """

    dose_usv: Mapping[str, float]
    reference_distance_cm: float
    working_distance_cm: float
    volume: float
    protections: Sequence[Protection] = ()
    candidates: Sequence[Protection] = ()

    def check(self) -> None:
        """Raise :class:`InputError` naming the first value out of its domain."""
        if self.reference_distance_cm <= 0 or self.working_distance_cm <= 0:
            raise InputError("distances must be positive (cm)")
        if self.volume < 0:
            raise InputError("the yearly volume cannot be negative")
        for organ, value in self.dose_usv.items():
            if organ not in ORGANS:
                raise InputError(f"unknown organ {organ!r}; known: {', '.join(ORGANS)}")
            if value < 0:
                raise InputError(f"negative dose for {organ}")
        for protection in (*self.protections, *self.candidates):
            for organ, value in protection.attenuation.items():
                if organ not in ORGANS:
                    raise InputError(f"{protection.name}: unknown organ {organ!r}")
                if not 0 <= value < 1:
                    raise InputError(f"{protection.name}: attenuation of {organ} must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class Fix:
    """A candidate protection that alone brings ``organ`` under its limit, and the dose then."""

    organ: Organ
    protection: str
    attenuation: float
    dose_msv: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result: yearly doses per organ (mSv), the category, the organs over their limit,
    the attenuation each of them still needs, the candidate protections that fix them, and
    the findings as notices."""

    doses_msv: Mapping[Organ, float]
    category: str
    category_reasons: tuple[Organ, ...]
    over_limit: tuple[Organ, ...]
    required_attenuation: Mapping[Organ, float]
    fixes: tuple[Fix, ...]
    notices: tuple[Notice, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """Return the JSON form (the CLI contract: ``whole_body_msv``, ``extremities_msv``,
        ``lens_msv``, ``category``, ``over_limit``, and the details), doses rounded to µSv."""
        data = {f"{o.value}_msv": round(self.doses_msv.get(o, 0.0), 3) for o in ORGANS}
        data.update(
            category=self.category,
            over_limit=[o.value for o in self.over_limit],
            limits_msv={o.value: LIMITS_MSV[o] for o in ORGANS},
            required_attenuation={
                o.value: round(v, 4) for o, v in self.required_attenuation.items()
            },
            fixes=[
                {
                    "organ": f.organ.value,
                    "protection": f.protection,
                    "attenuation": f.attenuation,
                    "dose_msv": round(f.dose_msv, 3),
                }
                for f in self.fixes
            ],
            notices=[n.to_dict() for n in self.notices],
        )
        return data


def inverse_square(dose: float, reference_distance_cm: float, distance_cm: float) -> float:
    """Return ``dose`` (any unit) moved from the reference distance to ``distance_cm``."""
    return dose * (reference_distance_cm / distance_cm) ** 2


def dose_from_dap(dap_gycm2: float, coefficient_usv_per_gycm2: float) -> float:
    """Return the dose per procedure at the coefficient's reference distance, µSv: the DAP
    (Gy·cm²) times a scatter coefficient (µSv per Gy·cm²) that the user states with its source
    (none is shipped: the project's reference data hold no scatter coefficient)."""
    if dap_gycm2 < 0 or coefficient_usv_per_gycm2 < 0:
        raise InputError("DAP and scatter coefficient cannot be negative")
    return dap_gycm2 * coefficient_usv_per_gycm2


def transmission(protections: Iterable[Protection], organ: str) -> float:
    """Return the fraction of the dose to ``organ`` that all ``protections`` together let
    through (product of their transmissions)."""
    result = 1.0
    for protection in protections:
        result *= protection.transmission(organ)
    return result


def classify(doses_msv: Mapping[Organ, float]) -> tuple[str, tuple[Organ, ...]]:
    """Return the category (``A``, ``B`` or ``none``) of a worker likely to receive these
    yearly doses, and the organs whose threshold decided it (strictly above, R.4451-57)."""
    a = tuple(o for o in ORGANS if doses_msv.get(o, 0.0) > CATEGORY_A_ABOVE_MSV[o])
    if a:
        return "A", a
    b = tuple(o for o, above in CATEGORY_B_ABOVE_MSV.items() if doses_msv.get(o, 0.0) > above)
    if b:
        return "B", b
    return "none", ()


def organ_label(organ: str, language: str = "en") -> str:
    """Return the organ's name in ``language``."""
    en, fr = ORGAN_WORDS[Organ(organ)]
    return fr if language.lower().startswith("fr") else en


def _organ(organ: Organ) -> dict[str, str]:
    """Return a notice's organ parameters: the code and its words in each language."""
    en, fr = ORGAN_WORDS[organ]
    return {"organ": organ.value, "organ_en": en, "organ_fr": fr}


def assess(data: AssessmentInput) -> Assessment:
    """Return the yearly doses, classification, limits exceeded and fixes of ``data``.

    Yearly dose of an organ, mSv = dose per procedure at the reference distance (µSv)
    × (reference / working distance)² × transmission of the protections in use × volume / 1000.
    An organ over its limit needs the attenuation ``1 − limit / dose`` more; each candidate
    protection whose attenuation for that organ is at least that much is a fix.
    """
    data.check()
    doses: dict[Organ, float] = {}
    for organ in ORGANS:
        per_procedure = inverse_square(
            float(data.dose_usv.get(organ, 0.0)),
            data.reference_distance_cm,
            data.working_distance_cm,
        )
        doses[organ] = per_procedure * transmission(data.protections, organ) * data.volume / 1000
    category, reasons = classify(doses)
    over = tuple(o for o in ORGANS if doses[o] > LIMITS_MSV[o])
    required = {o: 1.0 - LIMITS_MSV[o] / doses[o] for o in over}
    fixes: list[Fix] = []
    found: list[Notice] = []
    for organ in over:
        found.append(
            notice(
                words.OVER_LIMIT,
                **_organ(organ),
                dose_msv=round(doses[organ], 3),
                limit_msv=LIMITS_MSV[organ],
            )
        )
        organ_fixes = [
            Fix(organ, c.name, float(c.attenuation.get(organ, 0.0)), after)
            for c in data.candidates
            if (after := doses[organ] * c.transmission(organ)) <= LIMITS_MSV[organ]
        ]
        fixes += organ_fixes
        for fix in organ_fixes:
            found.append(
                notice(
                    words.FIXED_BY,
                    **_organ(organ),
                    protection=fix.protection,
                    attenuation_pct=round(fix.attenuation * 100, 1),
                    dose_msv=round(fix.dose_msv, 3),
                    required_pct=round(required[organ] * 100, 1),
                )
            )
        if not organ_fixes:
            found.append(
                notice(words.NO_FIX, **_organ(organ), required_pct=round(required[organ] * 100, 1))
            )
    if category == "none":
        found.append(notice(words.NOT_CLASSIFIED))
    else:
        found.append(
            notice(
                words.CATEGORY,
                category=category,
                reason=[o.value for o in reasons],
                reason_en=[ORGAN_WORDS[o][0] for o in reasons],
                reason_fr=[ORGAN_WORDS[o][1] for o in reasons],
            )
        )
    return Assessment(doses, category, reasons, over, required, tuple(fixes), tuple(found))


# ---- measured dosimetry -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """A dosimeter reading of one period (first and last day), mSv; None when not measured.

    Hp(10) stands for the whole body, Hp(0.07) for the extremities and skin, Hp(3) for the lens.
    """

    period_start: date
    period_end: date
    hp10_msv: float | None = None
    hp007_msv: float | None = None
    hp3_msv: float | None = None

    def value(self, organ: Organ) -> float | None:
        """Return the reading standing for ``organ``, mSv."""
        return {
            Organ.WHOLE_BODY: self.hp10_msv,
            Organ.EXTREMITIES: self.hp007_msv,
            Organ.LENS: self.hp3_msv,
        }[organ]


def twelve_months_before(on: date) -> date:
    """Return the first day of the 12 consecutive months ending on ``on``."""
    return add_months(on, -12) + timedelta(days=1)


def rolling_sums(readings: Iterable[Reading], on: date) -> dict[Organ, float | None]:
    """Return, per organ, the sum (mSv) of the readings whose period ends within the 12 months
    ending on ``on`` (None when no reading of that organ falls in them)."""
    first = twelve_months_before(on)
    sums: dict[Organ, float | None] = {o: None for o in ORGANS}
    for reading in readings:
        if not first <= reading.period_end <= on:
            continue
        for organ in ORGANS:
            value = reading.value(organ)
            if value is not None:
                sums[organ] = (sums[organ] or 0.0) + value
    return sums


def check_measured(
    readings: Iterable[Reading],
    on: date,
    predicted_msv: Mapping[Organ, float] | None = None,
    *,
    near_share: float = NEAR_LIMIT_SHARE,
) -> tuple[dict[Organ, float | None], list[Notice]]:
    """Return the rolling 12-month sums to ``on`` and the notices: over a limit, near a limit
    (at least ``near_share`` of it), above the prediction."""
    sums = rolling_sums(readings, on)
    found: list[Notice] = []
    for organ in ORGANS:
        measured = sums[organ]
        if measured is None:
            continue
        limit = LIMITS_MSV[organ]
        common = {**_organ(organ), "measured_msv": round(measured, 3), "until": on.isoformat()}
        if measured > limit:
            found.append(notice(words.MEASURED_OVER_LIMIT, **common, limit_msv=limit))
        elif measured >= near_share * limit:
            found.append(
                notice(
                    words.MEASURED_NEAR_LIMIT,
                    **common,
                    limit_msv=limit,
                    share_pct=round(100 * measured / limit, 1),
                )
            )
        predicted = (predicted_msv or {}).get(organ)
        if predicted is not None and measured > predicted:
            found.append(
                notice(words.MEASURED_OVER_PREDICTION, **common, predicted_msv=round(predicted, 3))
            )
    return sums, found
