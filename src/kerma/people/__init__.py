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

import re
import unicodedata
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


# Words of a name that are titles, not names (compared without accents, in lower case).
_TITLES = frozenset(
    {"dr", "docteur", "doctor", "pr", "prof", "professeur", "professor", "m", "mr", "mme",
     "mrs", "ms", "mlle"}
)


def normalise_name(name: str) -> str:
    """Return a person's name as compared with DICOM person names (the match key).

    Case, accents, punctuation and word order are folded and titles dropped, so that
    ``LEROY^Anne`` (DICOM ``Family^Given``), ``Dr Anne Leroy`` and ``Léroy, anne`` give the same
    key; the ideographic and phonetic groups of a DICOM name (after ``=``) are ignored.
    """
    alphabetic = name.split("=", 1)[0]
    decomposed = unicodedata.normalize("NFKD", alphabetic)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[\^,.;'’\-_/]+", " ", plain).split()
    return " ".join(sorted(w for w in words if w not in _TITLES))


def name_keys(*names: str) -> set[str]:
    """Return the match keys of a person's names: their register name and the spellings they
    have in the dose reports (one or several, separated by ``;`` or new lines)."""
    keys = set()
    for text in names:
        for name in re.split(r"[;\n]", text or ""):
            key = normalise_name(name)
            if key:
                keys.add(key)
    return keys


def initials_match(key: str, person_key: str) -> bool:
    """Return whether the match key ``key`` of a name written with initials (``DUPONT^J``,
    ``J. Dupont``) fits ``person_key``: each of its whole words is one of the person's, and each
    single letter the initial of another of them."""
    words, theirs = key.split(), person_key.split()
    letters = [w for w in words if len(w) == 1]
    if not letters or len(words) > len(theirs):
        return False
    rest = list(theirs)
    for word in (w for w in words if len(w) > 1):
        if word not in rest:
            return False
        rest.remove(word)
    for letter in letters:
        found = next((w for w in rest if w.startswith(letter)), None)
        if found is None:
            return False
        rest.remove(found)
    return True


def by_initials(key: str, people: Sequence[RegisteredPerson]) -> RegisteredPerson | None:
    """Return the one person of the register whose names fit ``key`` written with initials
    (:func:`initials_match`); ``None`` when no one does, or when several do (``DUPONT^J`` with
    both a Jean and a Julie Dupont in the register is nobody's for sure)."""
    fits = {id(p): p for p in people if any(initials_match(key, k) for k in p.keys)}
    return next(iter(fits.values())) if len(fits) == 1 else None


# Roles that name a person who did not work on the device during the exam: not operators.
NOT_AT_THE_DEVICE = frozenset({"physician_of_record", "referring", "requesting"})


@dataclass(frozen=True, slots=True)
class Sighting:
    """A person named by an exam: ``exam`` (any key), ``device`` (a label), the study date,
    the name as written and the role (:class:`kerma.dose.Participant`)."""

    exam: object
    device: str
    on: date | None
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class RegisteredPerson:
    """A person of the register as the rule sees them: ``key`` (any id), their names' match
    keys (:func:`name_keys`), and per device label the dates of their qualifications and of
    their device trainings."""

    key: object
    name: str
    keys: frozenset[str]
    qualified: dict[str, tuple[date, ...]] = field(default_factory=dict)
    trained: dict[str, tuple[date, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnrecordedOperator:
    """An operator seen on a device whose register lacks something for that device.

    ``missing``: ``register`` (no person of that name), ``qualification`` (no workstation
    qualification on the device dated by the period's end), ``device_training`` (likewise, no
    training on the device); ``person``: the register's key when matched.
    """

    device: str
    operator: str
    spellings: tuple[str, ...]
    roles: tuple[str, ...]
    exams: int
    first_seen: date | None
    last_seen: date | None
    person: object | None
    person_name: str
    missing: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form (the command's keys)."""
        return {
            "device": self.device,
            "operator": self.operator,
            "spellings": list(self.spellings),
            "roles": list(self.roles),
            "exams": self.exams,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "person_id": self.person,
            "person": self.person_name or None,
            "missing": list(self.missing),
        }


def _covered(dates: Iterable[date], until: date) -> bool:
    return any(d <= until for d in dates)


def unrecorded_operators(
    sightings: Iterable[Sighting], people: Sequence[RegisteredPerson], until: date
) -> list[UnrecordedOperator]:
    """Return, per device and operator, the operators seen in the exams without a recorded
    workstation qualification or device training on that device dated on or before ``until``
    (the period's end), or not in the register at all (decision 2019-DC-0660).

    Operators are the persons the exams name in any role but :data:`NOT_AT_THE_DEVICE`; one
    operator is one match key (:func:`normalise_name`) per device, whatever the spellings; a
    name written with initials matches the one person it fits (:func:`by_initials`).
    ``exams`` counts distinct exams. Sorted by device, then most exams first.
    """
    by_key: dict[str, RegisteredPerson] = {}
    for person in people:
        for key in person.keys:
            by_key.setdefault(key, person)
    groups: dict[tuple[str, str], list[Sighting]] = {}
    for seen in sightings:
        key = normalise_name(seen.name)
        if key and seen.role not in NOT_AT_THE_DEVICE:
            groups.setdefault((seen.device, key), []).append(seen)
    found = []
    for (device, key), seen in groups.items():
        person = by_key.get(key) or by_initials(key, people)
        missing = []
        if person is None:
            missing = ["register", "qualification", "device_training"]
        else:
            if not _covered(person.qualified.get(device, ()), until):
                missing.append("qualification")
            if not _covered(person.trained.get(device, ()), until):
                missing.append("device_training")
        if not missing:
            continue
        dates = [s.on for s in seen if s.on is not None]
        spellings = tuple(dict.fromkeys(s.name.strip() for s in seen))
        found.append(
            UnrecordedOperator(
                device=device,
                operator=spellings[0],
                spellings=spellings,
                roles=tuple(sorted({s.role for s in seen})),
                exams=len({s.exam for s in seen}),
                first_seen=min(dates, default=None),
                last_seen=max(dates, default=None),
                person=person.key if person else None,
                person_name=person.name if person else "",
                missing=tuple(missing),
            )
        )
    return sorted(found, key=lambda r: (r.device, -r.exams, normalise_name(r.operator)))


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
