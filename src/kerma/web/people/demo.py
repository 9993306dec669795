"""The demo unit's people: a team with its training certificates (some expiring, one expired,
one missing), device trainings, workstation qualifications (one newcomer's to do, one planned),
dosimeter readings of the interventional cardiologist, and the staff exposure assessments —
the seeds' TAVI example with its inputs stated, and the cath lab's coronary procedures with the
yearly volume taken from the dose database.

:func:`seed_people_demo` is called by ``kerma demo`` (``kerma.ingest.demo``). Dates are
relative to ``today`` so that the statuses stay the same whenever the demo runs. Names and
readings are fictitious. Idempotent: a second call changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kerma.people import add_months, add_years
from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device
from kerma.web.people.audit import acting_as
from kerma.web.people.models import (
    Certificate,
    DeviceTraining,
    DosimeterReading,
    Person,
    Qualification,
    StaffAssessment,
)

QUALITY_MANAGER = "demo (responsable qualité)"
PCR = "demo (physicien médical, PCR)"
CATH_MODEL = "Azurion 7 M12"
CT_MODEL = "Revolution CT"

# name, profession, domains, post, certificate (years, months before today; None: none),
# organisation, guide
TEAM: tuple[tuple[str, str, tuple[str, ...], str, tuple[int, int] | None, str, str], ...] = (
    ("Dr Anne Leroy", "cardiologist", ("interventional",), "salle de coronarographie",
     (6, 9), "Organisme de DPC cardiologie", "cardiologues interventionnels"),
    ("Dr Paul Mercier", "radiologist", ("interventional", "ct", "radiology"),
     "radiologie interventionnelle", (8, 0), "CERF", "radiologues (G4)"),
    ("Dr Claire Fabre", "nuclear_physician", ("nuclear_medicine",), "gamma-caméra",
     (6, 8), "SFMN", "médecins nucléaires"),
    ("Dr Hugo Lambert", "surgeon", ("interventional",), "bloc opératoire (arceau)",
     None, "", ""),
    ("Sophie Martin", "nurse", ("interventional",), "IBODE salle de coronarographie",
     (7, 2), "Organisme de formation IBODE", "IBODE et MERM en PIR"),
    ("Julien Petit", "radiographer", ("ct", "radiology"), "scanner",
     (3, 0), "AFPPE", "MERM en imagerie médicale"),
    ("Laura Girard", "radiographer", ("ct", "radiology"), "scanner",
     (1, 0), "AFPPE", "MERM en imagerie médicale"),
    ("Marc Bonnet", "physicist", ("radiology", "ct", "interventional", "nuclear_medicine"),
     "physique médicale", (2, 0), "SFPM", "physiciens médicaux en imagerie"),
    ("Nadia Rousseau", "radiographer", ("nuclear_medicine",), "médecine nucléaire",
     (4, 0), "AFPPE", "paramédicaux en médecine nucléaire"),
)
NEWCOMER = "Laura Girard"

# The seeds' TAVI assessment (CHU de Lille, 4es rencontres EDA-RSQR, 19 Nov 2019): 470 TAVI a
# year, operator at 40 cm, 97 % attenuation of the whole body by the protection; yearly 3.6 mSv
# whole body, 104.5 mSv extremities, 44.25 mSv lens. The doses per procedure below are what
# these yearly figures imply at 40 cm without protection (the seed gives no per-procedure
# value): 3.6 mSv / 0.03 / 470, 104.5 mSv / 470, 44.25 mSv / 470.
TAVI_VOLUME = 470
TAVI_DOSE_USV = {"whole_body": 3600 / 0.03 / 470, "extremities": 104500 / 470, "lens": 44250 / 470}
TAVI_SOURCE = (
    "Évaluation prévisionnelle de la PCR (CHU de Lille, TAVI sous hypno-sédation, 19/11/2019) : "
    "valeurs annuelles 3,6 / 104,5 / 44,25 mSv pour 470 TAVI par an à 40 cm, atténuation de 97 % "
    "du corps entier ; doses par procédure déduites de ces valeurs (non mesurées ici)."
)
# Lead glasses: no single published attenuation applies to a TAVI operator. A phantom study
# measured 27 % to 62 % less dose to the lens of the eye facing the scatter with two
# representative types of lead glasses, and no protection of the other eye (Fetterly K,
# Schueler B, Grams M et al., "Head and neck radiation dose and radiation safety for
# interventional physicians", JACC Cardiovasc Interv 2017, doi:10.1016/j.jcin.2016.11.026); a
# Monte Carlo study of clinical use found 22 % or less for the eye nearest the source with
# standard models (da Silva EH, Martin CJ, Vanhavere F et al., J Radiol Prot 2022;42:031501).
# The demo offers both ends of the measured range as candidates: the page then shows that only
# the upper one brings the lens under 20 mSv (55 % needed), and the unit must measure its own.
LEAD_GLASSES_SOURCE = "Fetterly et al., JACC Cardiovasc Interv 2017, doi:10.1016/j.jcin.2016.11.026"
LEAD_GLASSES = tuple(
    {"name": f"lunettes plombées — {pct} % ({bound}, {LEAD_GLASSES_SOURCE})",
     "kind": "individual", "attenuation": {"lens": pct / 100}}
    for pct, bound in ((27, "borne basse publiée"), (62, "borne haute publiée"))
)
TAVI_NOTES = (
    "Moyens de protection collective cités par la présentation (bas volet, extension verticale "
    "du bas volet, champ atténuateur, fenêtre plexi Pb, calot) : leur tableau d'atténuation est "
    "une image sans valeurs dans le texte ; à saisir depuis la mesure du service. Lunettes "
    "plombées : atténuation au cristallin de l'œil exposé au diffusé mesurée entre 27 % et 62 % "
    "sur fantôme (Fetterly et al., JACC Cardiovasc Interv 2017), 22 % ou moins pour des modèles "
    "standard en simulation d'usage clinique (da Silva et al., J Radiol Prot 2022;42:031501) ; "
    "il faut au moins 55 % pour ramener 44,25 mSv sous 20 mSv : seule la borne haute y suffit. "
    "À remplacer par l'atténuation mesurée par le service pour ses lunettes et sa position."
)


def _ago(today: date, years: int, months: int) -> date:
    return add_months(add_years(today, -years), -months)


def _device(model: str) -> Device | None:
    return Device.objects.filter(model=model).first()


def seed_people_demo(today: date) -> dict[str, Any]:
    """Prepare the demo's people register and assessments (see the module docstring); return
    what it did."""
    done: dict[str, Any] = {"people": 0, "assessments": 0}
    if Person.objects.filter(name=TEAM[0][0]).exists():
        return done
    unit = Unit.default()
    cath, ct = _device(CATH_MODEL), _device(CT_MODEL)
    people: dict[str, Person] = {}
    with acting_as(QUALITY_MANAGER):
        for name, profession, domains, post, ago, organisation, guide in TEAM:
            arrived = today - timedelta(days=20) if name == NEWCOMER else None
            person = Person(
                name=name, profession=profession, domains=list(domains), post=post,
                arrived_on=arrived,
            )
            person.save()
            person.set_units([unit])
            if ago is not None:
                Certificate(
                    person=person, obtained_on=_ago(today, *ago), organisation=organisation,
                    guide=guide,
                ).save()
            people[name] = person
            done["people"] += 1
        for name in ("Dr Anne Leroy", "Sophie Martin", "Dr Paul Mercier"):
            if cath is not None:
                DeviceTraining(
                    person=people[name], device=cath, trained_on=_ago(today, 2, 0),
                    trainer="ingénieur d'application Philips",
                ).save()
                Qualification(
                    person=people[name], post="salle de coronarographie", device=cath,
                    qualified_on=_ago(today, 2, 0) + timedelta(days=7),
                    qualified_by="Dr Anne Leroy",
                ).save()
        for name in ("Julien Petit", NEWCOMER):
            if ct is not None:
                DeviceTraining(
                    person=people[name], device=ct, trained_on=today - timedelta(days=10),
                    trainer="ingénieur d'application GE",
                ).save()
        if ct is not None:
            Qualification(
                person=people["Julien Petit"], post="scanner", device=ct,
                qualified_on=_ago(today, 3, 0), qualified_by="cadre MERM",
            ).save()
        Qualification(
            person=people["Dr Hugo Lambert"], post="bloc opératoire (arceau)",
            notes="Prévue avec la PCR après la formation à la radioprotection des patients.",
        ).save()
        # The interventional cardiologist's readings: fictitious, monthly, the lens near its
        # limit over 12 months.
        for month in range(12, 0, -1):
            start = add_months(today.replace(day=1), -month)
            end = add_months(start, 1) - timedelta(days=1)
            DosimeterReading(
                person=people["Dr Anne Leroy"], period_start=start, period_end=end,
                hp10_msv=0.25, hp007_msv=7.0, hp3_msv=1.45, source="demo (fictitious)",
            ).save()
    with acting_as(PCR):
        StaffAssessment(
            unit=unit, title="TAVI — opérateur principal", procedure="TAVI (hypno-sédation)",
            position="opérateur principal, 40 cm", person=people["Dr Anne Leroy"],
            dose_whole_body_usv=TAVI_DOSE_USV["whole_body"],
            dose_extremities_usv=TAVI_DOSE_USV["extremities"],
            dose_lens_usv=TAVI_DOSE_USV["lens"],
            reference_distance_cm=40, working_distance_cm=40, dose_source=TAVI_SOURCE,
            volume=TAVI_VOLUME,
            protections=[{"name": "protection (corps entier)", "kind": "individual",
                          "attenuation": {"whole_body": 0.97}}],
            candidates=[dict(c) for c in LEAD_GLASSES],
            notes=TAVI_NOTES,
        ).save()
        done["assessments"] += 1
        if cath is not None:
            from kerma.web.people.services import activity

            period = (today - timedelta(days=365), today)
            found = activity(cath.pk, "ANGIOPLASTIE CORONAIRE", *period)
            StaffAssessment(
                unit=unit, title="Angioplastie coronaire — IBODE", procedure="angioplastie",
                position="IBODE, 100 cm", person=people["Sophie Martin"],
                dose_whole_body_usv=20.0, dose_extremities_usv=60.0, dose_lens_usv=25.0,
                reference_distance_cm=50, working_distance_cm=100,
                dose_source="demo : mesure fictive au dosimètre opérationnel à 50 cm",
                volume=found.yearly_volume, volume_source=StaffAssessment.VolumeSource.DATABASE,
                device=cath, act="ANGIOPLASTIE CORONAIRE", period_from=period[0],
                period_to=period[1],
                protections=[{"name": "tablier plombé", "kind": "individual",
                              "attenuation": {"whole_body": 0.9}}],
            ).save()
            done["assessments"] += 1
    return done
