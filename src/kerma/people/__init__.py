"""The people of a unit: patient radiation-protection training (ASN decision 2017-DC-0585
modified by 2019-DC-0669) and workstation qualification (decision 2019-DC-0660), as pure rules.

Training validity, as the ASN's own slides in the seeds state it (``seeds/000_…``, "La durée de
validité de la formation"): **10 years**; **7 years** for external radiotherapy, brachytherapy,
nuclear medicine and interventional practices, *except radiologists performing interventional
practices (10 years)*; training again for the new situation on a change of activity. A person
working in several domains is held to the most restrictive (shortest) validity.

Dates: a certificate of day D valid N years is valid up to and including the same day N years
later (29 February → 28 February); it is *expired* the day after. It is *expiring* from
``warn_months`` months before that last day. No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kerma.notices import Notice, notice
from kerma.people import wording as words

GENERAL_VALIDITY_YEARS = 10
RESTRICTED_VALIDITY_YEARS = 7
DEFAULT_WARN_MONTHS = 6


class Profession(StrEnum):
    """Professions of the people register (codes fixed: the CLI and exports use them)."""

    RADIOLOGIST = "radiologist"
    CARDIOLOGIST = "cardiologist"
    SURGEON = "surgeon"
    NUCLEAR_PHYSICIAN = "nuclear_physician"
    RADIOTHERAPIST = "radiotherapist"
    DENTIST = "dentist"
    RADIOGRAPHER = "radiographer"
    NURSE = "nurse"
    PHYSICIST = "physicist"
    RADIOPHARMACIST = "radiopharmacist"
    TECHNICIAN = "technician"
    OTHER = "other"


class Domain(StrEnum):
    """Domains of activity (codes fixed: the CLI and exports use them)."""

    RADIOLOGY = "radiology"
    CT = "ct"
    INTERVENTIONAL = "interventional"
    NUCLEAR_MEDICINE = "nuclear_medicine"
    RADIOTHERAPY = "radiotherapy"
    BRACHYTHERAPY = "brachytherapy"
    DENTAL = "dental"


# The domains whose certificates last 7 years (2017-DC-0585 modified, as the seeds state).
RESTRICTED_DOMAINS = frozenset(
    {Domain.RADIOTHERAPY, Domain.BRACHYTHERAPY, Domain.NUCLEAR_MEDICINE, Domain.INTERVENTIONAL}
)


class Status(StrEnum):
    """A person's training status on a day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"


def domain_validity_years(profession: str, domain: str) -> int:
    """Return the validity in years of a certificate for ``profession`` working in ``domain``:
    7 for the restricted domains, except a radiologist in interventional practice (10)."""
    if domain == Domain.INTERVENTIONAL and profession == Profession.RADIOLOGIST:
        return GENERAL_VALIDITY_YEARS
    if domain in RESTRICTED_DOMAINS:
        return RESTRICTED_VALIDITY_YEARS
    return GENERAL_VALIDITY_YEARS


def validity_years(profession: str, domains: Iterable[str]) -> int:
    """Return the validity in years of a person's certificate: the most restrictive (shortest)
    of their domains; 10 years for a person without a domain."""
    years = [domain_validity_years(profession, d) for d in domains]
    return min(years, default=GENERAL_VALIDITY_YEARS)


def is_new_activity(before: Iterable[str], after: Iterable[str]) -> bool:
    """Return True when ``after`` adds a domain to ``before``: a change of activity, for which
    the training is renewed (stopping a domain is not a new activity)."""
    return bool(set(after) - set(before))


def add_years(day: date, years: int) -> date:
    """Return the same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later (negative: earlier), clipped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - 28 always exists


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """A person's training on a day.

    ``valid_until``: last day of validity of the certificate that counts (None when missing);
    ``certificate_on``: its date; ``years``: the validity applied; ``expiring_from``: first day
    of the alert; ``notices``: what to tell (empty when valid and not expiring).
    """

    status: Status
    valid_until: date | None
    certificate_on: date | None
    years: int
    expiring_from: date | None = None
    notices: tuple[Notice, ...] = field(default_factory=tuple)


def training_status(
    person: str,
    profession: str,
    domains: Sequence[str],
    certificates: Iterable[date],
    on: date,
    *,
    activity_changed_on: date | None = None,
    warn_months: int = DEFAULT_WARN_MONTHS,
) -> TrainingStatus:
    """Return the training status of ``person`` on ``on``.

    The latest certificate dated on or before ``on`` counts. A certificate older than the
    person's last change of activity (``activity_changed_on``) does not cover the new activity:
    the status is then ``missing`` (renewal due). ``warn_months`` before the last valid day,
    the status is ``expiring``.
    """
    years = validity_years(profession, domains)
    held = [d for d in certificates if d <= on]
    if not held:
        missing = notice(words.TRAINING_MISSING, person=person)
        return TrainingStatus(Status.MISSING, None, None, years, notices=(missing,))
    latest = max(held)
    if activity_changed_on is not None and latest < activity_changed_on <= on:
        found = notice(
            words.TRAINING_ACTIVITY_CHANGED,
            person=person,
            changed_on=activity_changed_on.isoformat(),
            certificate_on=latest.isoformat(),
        )
        return TrainingStatus(Status.MISSING, None, latest, years, notices=(found,))
    valid_until = add_years(latest, years)
    expiring_from = add_months(valid_until, -warn_months)
    params = {"person": person, "valid_until": valid_until.isoformat(), "years": years}
    if on > valid_until:
        status, found_ = Status.EXPIRED, (notice(words.TRAINING_EXPIRED, **params),)
    elif on >= expiring_from:
        status, found_ = Status.EXPIRING, (notice(words.TRAINING_EXPIRING, **params),)
    else:
        status, found_ = Status.VALID, ()
    return TrainingStatus(status, valid_until, latest, years, expiring_from, found_)


# ---- workstation qualification and device training (decision 2019-DC-0660) ----------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """A person works on ``device`` (a label) since ``since``."""

    device: str
    since: date


def qualifications_to_do(
    person: str,
    *,
    post: str,
    arrived_on: date | None,
    qualified_posts: Iterable[tuple[str, date]],
    assignments: Iterable[Assignment] = (),
    qualified_devices: Iterable[tuple[str, date]] = (),
) -> list[Notice]:
    """Return the workstation qualifications ``person`` lacks, as notices.

    A newcomer (``arrived_on`` given) needs a qualification for ``post`` dated on or after the
    arrival; each device the person works on needs a qualification on it dated on or after the
    assignment's start (a new device, a change of device). ``qualified_posts`` and
    ``qualified_devices`` are ``(post or device, date)`` pairs.
    """
    found: list[Notice] = []
    posts = list(qualified_posts)
    if arrived_on is not None and post and not any(
        p == post and d >= arrived_on for p, d in posts
    ):
        found.append(
            notice(
                words.QUALIFICATION_NEWCOMER,
                person=person,
                post=post,
                arrived_on=arrived_on.isoformat(),
            )
        )
    devices = list(qualified_devices)
    for assignment in assignments:
        if not any(dev == assignment.device and d >= assignment.since for dev, d in devices):
            found.append(
                notice(
                    words.QUALIFICATION_DEVICE,
                    person=person,
                    device=assignment.device,
                    since=assignment.since.isoformat(),
                )
            )
    return found


def normalise_name(name: str) -> str:
    """Return a person's name as compared with DICOM person names: ``FAMILY^Given`` and
    ``Family Given`` both become ``family given`` (case, carets and spaces folded)."""
    return " ".join(name.replace("^", " ").replace(",", " ").lower().split())


def unqualified_operators(
    sightings: Iterable[tuple[str, str]], qualified: Iterable[tuple[str, str]]
) -> list[Notice]:
    """Return, for each (operator, device) seen in the exams without a qualification of that
    name on that device, a notice with the number of exams.

    ``sightings``: one ``(operator name, device)`` pair per exam; ``qualified``: the
    ``(person name, device)`` pairs of recorded qualifications. Names are compared with
    :func:`normalise_name`.
    """
    known = {(normalise_name(n), d) for n, d in qualified}
    counts: dict[tuple[str, str], int] = {}
    spelling: dict[tuple[str, str], str] = {}  # the first spelling seen names the operator
    for name, device in sightings:
        key = (normalise_name(name), device)
        if key[0] and key not in known:
            counts[key] = counts.get(key, 0) + 1
            spelling.setdefault(key, name.strip())
    return [
        notice(words.OPERATOR_UNQUALIFIED, operator=spelling[key], device=key[1], count=count)
        for key, count in sorted(counts.items())
    ]
