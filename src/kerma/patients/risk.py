"""Persons at risk: cumulative dose over windows and the recurrent-exposure alert, women of
child-bearing age without a pregnancy check, paediatric categories and a device's paediatric
share. Thresholds are data (:class:`RiskSettings`), each with its source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from kerma.notices import Notice, notice
from kerma.patients import wording as w


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """The configurable thresholds, each with where it comes from."""

    recurrent_threshold_msv: float = 100.0
    recurrent_window_years: int = 5
    # A citation only (shown after the threshold in either language): the criterion of Dalah
    # et al. (abstract read), who follow Rehani et al. 2020 on recurrent CT (not re-read here).
    recurrent_source: str = (
        "Dalah E.Z. et al., Clin Pract 2024;14(4):1550-1561, doi:10.3390/clinpract14040125; "
        "Rehani M.M. et al., Eur Radiol 2020"
    )
    child_bearing_low_years: float = 15.0
    child_bearing_high_years: float = 49.0
    child_bearing_source: str = "WHO indicator definition: women of reproductive age (15-49 years)"
    paediatric_below_years: float = 18.0
    paediatric_below_kg: float = 50.0
    paediatric_share_threshold_pct: float = 5.0
    paediatric_source: str = (
        "ASN decision 2019-DC-0667 as presented in the seeds (ASN slides, Lille, 19 Nov 2019): "
        "paediatrics < 18 years and < 50 kg; paediatric evaluation when activity > 5 %"
    )


DEFAULTS = RiskSettings()
DEFAULT_WINDOWS_YEARS = (1, 5)


def window_start(today: date, years: int) -> date:
    """Return the first day of a window of ``years`` years ending ``today`` (inclusive)."""
    try:
        start = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - years, day=28)
    return start + timedelta(days=1)


def cumulative(
    doses: Iterable[tuple[date | None, float | None]], today: date, years: int
) -> float:
    """Return the sum (mSv) of the estimated doses dated within ``years`` years up to ``today``.

    Undated exams and exams without an estimate count for nothing (said by the caller).
    """
    start = window_start(today, years)
    return sum(d for day, d in doses if day is not None and d is not None and start <= day <= today)


def recurrent_alert(
    doses: Iterable[tuple[date | None, float | None]], today: date,
    settings: RiskSettings = DEFAULTS,
) -> Notice | None:
    """Return the recurrent-exposure notice when the cumulative dose over the settings' window
    reaches the threshold, else ``None``."""
    total = cumulative(doses, today, settings.recurrent_window_years)
    if total < settings.recurrent_threshold_msv:
        return None
    return notice(w.RECURRENT_EXPOSURE, dose_msv=round(total, 1),
                  years=settings.recurrent_window_years,
                  threshold_msv=settings.recurrent_threshold_msv,
                  source=settings.recurrent_source)


# DICOM Pregnancy Status (0010,21C0): 0001 not pregnant, 0002 possibly pregnant,
# 0003 definitely pregnant, 0004 unknown.
PREGNANCY_STATUS = {1: "not_pregnant", 2: "possibly_pregnant", 3: "pregnant", 4: "unknown"}


def pregnancy_status(value: object) -> str:
    """Return ``not_pregnant``, ``possibly_pregnant``, ``pregnant``, ``unknown`` or ``""``
    (absent) for a DICOM Pregnancy Status value."""
    try:
        return PREGNANCY_STATUS.get(int(str(value).strip()), "")
    except (TypeError, ValueError):
        return ""


def pregnancy_checked(status: str) -> bool:
    """Return whether a status records a check (anything but unknown or absent)."""
    return status in ("not_pregnant", "possibly_pregnant", "pregnant")


def of_child_bearing_age(sex: str, age_years: float | None,
                         settings: RiskSettings = DEFAULTS) -> bool:
    """Return whether a patient is a woman within the child-bearing age range (bounds kept)."""
    return (
        (sex or "").upper() == "F" and age_years is not None
        and settings.child_bearing_low_years <= age_years <= settings.child_bearing_high_years
    )


def pregnancy_unchecked(sex: str, age_years: float | None, status: str,
                        settings: RiskSettings = DEFAULTS) -> Notice | None:
    """Return the notice for a woman of child-bearing age without a check, else ``None``."""
    if not of_child_bearing_age(sex, age_years, settings) or pregnancy_checked(status):
        return None
    return notice(w.PREGNANCY_UNCHECKED, age=int(age_years or 0),
                  low=int(settings.child_bearing_low_years),
                  high=int(settings.child_bearing_high_years))


def is_paediatric(age_years: float | None, settings: RiskSettings = DEFAULTS) -> bool:
    """Return whether the patient is a child (age below the settings' bound; unknown: no)."""
    return age_years is not None and age_years < settings.paediatric_below_years


# Paediatric categories of the European guidelines on DRLs for paediatric imaging (European
# Commission, Radiation Protection No 185, 2018): age groups for head examinations, weight
# groups for body examinations (upper bounds exclusive).
RP185_SOURCE = "European Commission, Radiation Protection No 185 (2018), paediatric DRL groups"
AGE_GROUPS = ((0.25, "0-<3 m"), (1.0, "3 m-<1 y"), (6.0, "1-<6 y"), (16.0, "6-<16 y"))
WEIGHT_GROUPS = ((5.0, "<5 kg"), (15.0, "5-<15 kg"), (30.0, "15-<30 kg"), (50.0, "30-<50 kg"),
                 (80.0, "50-<80 kg"))


def age_group(age_years: float | None) -> str:
    """Return the RP 185 age group of a child, or ``""`` (unknown age or 16 years and over)."""
    if age_years is None:
        return ""
    return next((label for bound, label in AGE_GROUPS if age_years < bound), "")


def weight_group(weight_kg: float | None) -> str:
    """Return the RP 185 weight group, or ``""`` (unknown weight or 80 kg and over)."""
    if weight_kg is None:
        return ""
    return next((label for bound, label in WEIGHT_GROUPS if weight_kg < bound), "")


def paediatric_share(ages: Iterable[float | None], settings: RiskSettings = DEFAULTS
                     ) -> tuple[int, int, float]:
    """Return (paediatric exams, exams, share in %) of a device's exams (unknown ages count as
    adults: a share is then a lower bound)."""
    values = list(ages)
    children = sum(1 for a in values if is_paediatric(a, settings))
    total = len(values)
    return children, total, (100.0 * children / total if total else 0.0)
