"""The demo unit's NRD plan: what a physicist and a RAN would have done, through the services.

:func:`prepare_demo_plan` is called by ``kerma demo`` after the import of the generated exams
(:mod:`kerma.demo`). It acts as two users — the medical physicist and the RAN (the head of the
unit, who signs off) — through the same services as the CLI and the web pages, so that every step
is in the audit trail under their names:

- the perimeter: every demo device is in it, in its imaging unit; the operating theatre's mobile
  C-arm is left outside (a surgeon's device the RAN has not taken in yet: ``not_required``);
- the mapping of the demo's study descriptions to the acts of the reference sets (rules for every
  device, exact names);
- the reference sets: radiography is compared with decision 2019-DC-0667; CT, mammography and
  nuclear medicine, whose 2019 values are not in the project's files, with the **abrogated**
  arrêté of 24 October 2011, whose label says so wherever a result shows it
  (``fr-2011-arrete (abrogated)``, and the plan's ``reference_not_in_force`` flags);
  interventional acts keep the 2019 set, whose missing values the plan lists (the 2011 arrêté
  had no interventional level);
- evaluations of last year and of this year (see :data:`PLAN`), each with the physicist's
  analysis written from its results; an evaluation whose median is above its NRD gets corrective
  actions (owner, due date; the first one done after the sign-off), so the RAN signs it off
  without a justification; every other one is signed off as it is. The go.Top's second CT act of
  this year is left due and missing.

Which evaluation is above its NRD depends on the generated data: against the 2011 levels the
go.Top's full samples sit below (its protocols are unoptimised against the 2019 levels, which
are not in the project's files); the demo mammography unit's small sample is above.

Idempotent: each step checks what is on record first, so a second call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from kerma.reference.vocabulary import Family, Population
from kerma.web.dose.models import Device
from kerma.web.nrd.models import Evaluation, ProtocolMapping, ReferenceChoice
from kerma.web.nrd.references import use_reference
from kerma.web.nrd.services import (
    add_action,
    add_mapping,
    run_evaluation,
    save_evaluation,
    set_device_settings,
    settings_of,
)

__all__ = ["PHYSICIST", "RAN", "prepare_demo_plan"]

PHYSICIST = "demo (physicien médical)"
RAN = "demo (RAN)"
SET_2019 = "fr-2019-DC-0667"
SET_2011 = "fr-2011-arrete"

# Which set each family of acts is compared with (the default choice stays the 2019 set).
REFERENCE_CHOICES: dict[Family, str] = {
    Family.RADIOGRAPHY: SET_2019,
    Family.CT: SET_2011,
    Family.MAMMOGRAPHY: SET_2011,
    Family.NUCLEAR_MEDICINE: SET_2011,
}

# The demo's study descriptions (see kerma.demo) → acts; rules for every device, exact names.
MAPPINGS: tuple[tuple[str, str], ...] = (
    ("TDM THORAX", "CT-THORAX"),
    ("ABDOMEN-PELVIS INJ", "CT-ABDOMEN-PELVIS"),
    ("TAP INJ", "CT-TAP"),
    ("CRANE SANS INJ", "CT-ENCEPHALE"),
    ("TDM RACHIS LOMBAIRE", "CT-RACHIS-LOMBAIRE"),
    ("THORAX FACE", "RX-THORAX-PA"),
    ("THORAX FACE + PROFIL", "RX-THORAX-PA"),
    ("HANCHE F+P", "RX-HANCHE"),
    ("ABDOMEN SANS PREPARATION", "RX-ASP"),
    ("BASSIN FACE", "RX-BASSIN-AP"),
    ("MAMMOGRAPHIE", "MG-NUMERIQUE"),
    ("MAMMOGRAPHIE BILATERALE", "MG-NUMERIQUE"),
    ("SCINTIGRAPHIE OSSEUSE", "NM-SQUELETTE-TC"),
    ("SCINTIGRAPHIE THYROIDIENNE", "NM-THYROIDE-TC"),
    ("SCINTIGRAPHIE PULMONAIRE DE PERFUSION", "NM-POUMON-PERFUSION-TC"),
    ("TEP-TDM FDG CORPS ENTIER", "NM-TEP-FDG"),
)
MAPPING_NOTE = "demo: study description of the demo unit"

# Demo devices by station name (kerma.demo.DEMO_DEVICES).
GE_CT, GOTOP_CT, RADIO, MAMMO, GAMMA, PET, CARM = (
    "SCANNER1",
    "SCANNER2",
    "RADIO1",
    "MAMMO1",
    "GAMMA1",
    "TEPTDM1",
    "BLOC_CARM1",
)
OUTSIDE_PERIMETER = frozenset({CARM})


@dataclass(frozen=True)
class Planned:
    """One evaluation of the demo plan: device (station name), act, and year (0: this year)."""

    station: str
    act: str
    years_ago: int


# Last year: the two CT scanners; this year: both scanners (the go.Top's second act left due and
# missing), the radiography room, the mammography unit and the gamma camera.
PLAN: tuple[Planned, ...] = (
    Planned(GE_CT, "CT-ENCEPHALE", 1),
    Planned(GE_CT, "CT-TAP", 1),
    Planned(GOTOP_CT, "CT-ENCEPHALE", 1),
    Planned(GE_CT, "CT-THORAX", 0),
    Planned(GE_CT, "CT-ABDOMEN-PELVIS", 0),
    Planned(GOTOP_CT, "CT-TAP", 0),
    Planned(RADIO, "RX-THORAX-PA", 0),
    Planned(MAMMO, "MG-NUMERIQUE", 0),
    Planned(GAMMA, "NM-SQUELETTE-TC", 0),
)

# Corrective actions of an exceedance, by family: description, owner, due date (days from the
# day of the plan), done.
EXCEEDANCE_ACTIONS: dict[str, tuple[tuple[str, str, int, bool], ...]] = {
    "ct": (
        (
            "Revoir le protocole avec l'ingénieur d'application du constructeur (modulation du "
            "courant, kV adaptatif, mAs de référence) et l'aligner sur celui du scanner GE",
            "physicien médical",
            -30,
            True,
        ),
        (
            "Former les manipulateurs au centrage et à la longueur d'exploration ; nouvelle "
            "évaluation sur 30 patients après la modification du protocole",
            "cadre de santé manipulateur",
            90,
            False,
        ),
    ),
    "": (
        (
            "Vérifier avec l'ingénieur biomédical et le constructeur le contrôle automatique de "
            "l'exposition (couple anode/filtre, densité) et le réglage de l'appareil",
            "physicien médical",
            -30,
            True,
        ),
        (
            "Rappeler aux manipulateurs la saisie du poids et de la taille et refaire "
            "l'évaluation sur 30 patientes après la vérification",
            "cadre de santé manipulateur",
            90,
            False,
        ),
    ),
}


def _analysis(evaluation: Evaluation) -> str:
    """Return the physicist's analysis of ``evaluation``, from its results."""
    # The demo physicist writes in French (the analysis is free text, not worded by Kerma).
    status = {"in_force": "en vigueur", "abrogated": "abrogé", "local": "local"}
    label = f"{evaluation.reference_set} ({status.get(evaluation.reference_status, '')})"
    if evaluation.reference_status == "abrogated":
        label += " : valeur 2019 absente des fichiers de Kerma, valeur de l'arrêté de 2011 abrogé"
    parts = []
    above = [r for r in evaluation.results if r.get("status") == "above_nrd"]
    if above:
        quantities = ", ".join(
            f"{r['quantity']} {r['median']:g} > {r['nrd']:g} {r['unit']}" for r in above
        )
        parts.append(
            f"Médiane au-dessus du NRD ({quantities} ; référence {label}). "
            "Actions correctives ci-dessous, avec un responsable et une échéance ; "
            "l'évaluation sera refaite après leur réalisation."
        )
    else:
        parts.append(f"Médianes sous le NRD (référence {label}). Pas d'action corrective.")
    if not evaluation.complete:
        parts.append(
            f"Échantillon incomplet ({evaluation.n_selected} patients sur "
            f"{evaluation.required_n}) : comparaison indicative, à compléter."
        )
    return " ".join(parts)


def _devices() -> dict[str, Device]:
    """Return the demo devices by station name (the first one of each name)."""
    found: dict[str, Device] = {}
    for device in Device.objects.select_related("nrd_settings").order_by("id"):
        if device.station_name and device.station_name not in found:
            found[device.station_name] = device
    return found


def _perimeter(devices: dict[str, Device]) -> int:
    changed = 0
    for station, device in devices.items():
        inside = station not in OUTSIDE_PERIMETER
        settings = settings_of(device)
        if settings is not None and settings.in_perimeter == inside:
            continue
        set_device_settings(device, by=RAN, in_perimeter=inside)
        changed += 1
    return changed


def _references() -> int:
    changed = 0
    choices = {c.family: c for c in ReferenceChoice.objects.all()}
    for family, name in REFERENCE_CHOICES.items():
        choice = choices.get(family.value)
        if choice is not None and choice.set_name == name and not choice.supplements:
            continue
        use_reference(name, by=PHYSICIST, family=family)
        changed += 1
    return changed


def _mappings() -> int:
    existing = set(
        ProtocolMapping.objects.filter(device__isnull=True, kind="exact").values_list(
            "pattern", "act_code"
        )
    )
    added = 0
    for pattern, act in MAPPINGS:
        if (pattern, act) in existing:
            continue
        add_mapping(
            by=PHYSICIST,
            pattern=pattern,
            act_code=act,
            kind="exact",
            note=MAPPING_NOTE,
            refresh=False,
        )
        added += 1
    return added


def _period(today: date, years_ago: int) -> tuple[date, date]:
    year = today.year - years_ago
    return date(year, 1, 1), min(date(year, 12, 31), today)


def _evaluate(item: Planned, device: Device, today: date) -> tuple[Evaluation | None, bool]:
    """Return the evaluation of ``item`` on record, stored (and signed) when missing; None when
    the device has no exam of the act in the period (nothing is stored)."""
    period_from, period_to = _period(today, item.years_ago)
    current = Evaluation.objects.filter(
        device=device,
        act_code=item.act,
        population=Population.ADULT.value,
        period_from=period_from,
        next_version__isnull=True,
    ).first()
    if current is not None:
        return current, False
    run = run_evaluation(
        device,
        item.act,
        population=Population.ADULT,
        period_from=period_from,
        period_to=period_to,
    )
    if not run.evaluation.selected:
        return None, False
    evaluation = save_evaluation(run, by=PHYSICIST)
    evaluation.analysis = _analysis(evaluation)
    evaluation.save(actor=PHYSICIST)
    actions = EXCEEDANCE_ACTIONS.get(evaluation.family, EXCEEDANCE_ACTIONS[""])
    if evaluation.exceeds_nrd:
        for description, owner, due, _done in actions:
            add_action(
                evaluation,
                by=PHYSICIST,
                description=description,
                owner=owner,
                due_date=today + timedelta(days=due),
            )
    if not evaluation.sign_off_problems():
        evaluation.sign(by=RAN)
        done = [
            a
            for (a, spec) in zip(
                evaluation.actions.order_by("due_date", "id"), actions, strict=False
            )
            if spec[3]
        ]
        for action in done:
            action.mark_done(by=PHYSICIST)
    return evaluation, True


def prepare_demo_plan(today: date) -> dict[str, Any]:
    """Set up the demo unit's NRD plan as of ``today`` (idempotent) and return a summary.

    The summary: ``devices`` (demo devices found), ``perimeter_changes``, ``reference_changes``,
    ``mappings_added``, ``evaluations_added``, and ``evaluations``: one line per planned
    evaluation (device, act, year, id, n, complete, exceeds_nrd, signed, actions), skipped ones
    (device missing, no exam) left out.
    """
    with transaction.atomic():
        devices = _devices()
        summary: dict[str, Any] = {
            "devices": sorted(devices),
            "perimeter_changes": _perimeter(devices),
            "reference_changes": _references(),
            "mappings_added": _mappings(),
            "evaluations_added": 0,
            "evaluations": [],
        }
        for item in PLAN:
            device = devices.get(item.station)
            if device is None:
                continue
            evaluation, added = _evaluate(item, device, today)
            if evaluation is None:
                continue
            summary["evaluations_added"] += int(added)
            summary["evaluations"].append(
                {
                    "device": item.station,
                    "act": item.act,
                    "year": evaluation.period_from.year,
                    "id": evaluation.pk,
                    "n": evaluation.n_selected,
                    "complete": evaluation.complete,
                    "exceeds_nrd": evaluation.exceeds_nrd,
                    "signed": evaluation.is_signed,
                    "reference": f"{evaluation.reference_set} ({evaluation.reference_status})",
                    "actions": evaluation.actions.count(),
                }
            )
    return summary
