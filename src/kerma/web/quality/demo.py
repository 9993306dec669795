"""The demo unit's quality system: what its quality manager, RAN and physicist would have
entered over the year.

:func:`seed_quality_demo` is called by ``kerma demo`` after the import and the NRD and
follow-up preparation. Through the same models as the pages (every row audited under the demo
user who entered it) it writes:

- the register settings (review every 6 months) and the unit's analysis and declaration
  criteria, each citing the unit's own procedure (the declaration deadline is the demo unit's
  choice, to be checked against ASN guide no. 11, which its source names);
- five events: a CT acquired twice with a full systemic analysis (ALARM) whose three actions
  are in the programme, a wrong-patient bedside radiograph and a pregnancy discovered after a
  CT waiting for their analysis, a mammography compression fault, a long PCI;
- a risk map of eight risks before and after barriers, a clinical audit by peers with its
  findings and action, an inspection follow-up letter whose action is overdue;
- written protocols for the most frequent acts of each device (the rarest ones left missing,
  as in a real unit), the justification, persons-at-risk and optimisation procedures;
- each device's file (acceptance test, commissioning, contract), its controls and maintenance
  visits, one device with an overdue internal control, and non-conformities.

Periodicities: Kerma ships none it cannot cite. The demo unit's are its **own** choices, each
citing the demo unit's document (its maintenance contract, its internal QC plan), never an
ANSM decision, which a real unit enters with its reference.

Idempotent: nothing is written when the unit already has events.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max

from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device, Exam
from kerma.web.quality import models as m
from kerma.web.quality.audit import acting_as

QUALITY = "qualite"
RAN = "ran"
PHYSICIST = "physicien"
RADIOGRAPHER = "manip"

QC_PLAN = "Plan de CQ interne de l'unité de démonstration, PR-EQP-004 v3 (choix de l'unité)"
CONTRACT = "Contrat de maintenance {ref} (visites préventives prévues au contrat)"
REX_PROCEDURE = "Procédure REX de l'unité de démonstration, PR-QUA-012 v2"
# The reference for declaring significant events to the authority is ASN guide no. 11 (its
# criteria in § 4, its deadlines in § 5); the demo unit's deadline is its own procedure's
# choice, which a real unit checks against the guide: Kerma states no deadline of its own.
ASN_GUIDE_11 = (
    "guide de l'ASN n° 11, indice 2 (version du 07/10/2009, mise à jour juillet 2015), "
    "§ 4 critères et § 5 délais de déclaration"
)
DECLARATION_SOURCE = (
    f"{REX_PROCEDURE}, § 5 : critère et délai choisis par l'unité (donnée de démonstration), "
    f"à vérifier par l'unité au regard du {ASN_GUIDE_11}"
)
PROTOCOLS_PER_DEVICE_MISSING = 1


def _save(row: Any, actor: str) -> Any:
    with acting_as(actor):
        row.save()
    return row


def _device(model: str) -> Device | None:
    return Device.objects.filter(model=model).first()


def _biggest_exam(device: Device | None, field: str) -> Exam | None:
    if device is None:
        return None
    return Exam.objects.filter(device=device).exclude(**{f"{field}__isnull": True}).order_by(
        f"-{field}"
    ).first()


def _criteria(unit: Unit) -> None:
    _save(
        m.QualitySettings(unit=unit, review_months=6, review_source=REX_PROCEDURE), QUALITY
    )
    _save(
        m.EventCriterion(
            unit=unit,
            purpose="analysis",
            label="Gravité 3 ou plus, ou patient exposé à tort",
            min_severity=3,
            flags="patient_exposed",
            source=REX_PROCEDURE + ", § 4.2",
        ),
        QUALITY,
    )
    _save(
        m.EventCriterion(
            unit=unit,
            purpose="declaration",
            label="Exposition d'une femme enceinte ou gravité 4 ou plus",
            min_severity=4,
            flags="pregnant",
            deadline_days=2,
            working_days=True,
            source=DECLARATION_SOURCE,
        ),
        QUALITY,
    )


def _events(unit: Unit, today: date) -> dict[str, m.SafetyEvent]:
    ct = _device("SOMATOM go.Top")
    mobile = _device("DRX-Revolution")
    mammo = _device("Senographe Essential")
    cath = _device("Azurion 7 M12")
    specs = {
        "ct_twice": dict(
            detected_on=today - timedelta(days=140),
            description="Scanner thoracique acquis deux fois : la première acquisition a été "
            "lancée avec le protocole abdomino-pelvien sélectionné par défaut.",
            circumstances="Vacation chargée, changement de MERM en cours d'examen, protocole "
            "précédent resté sélectionné sur la console.",
            consequences="Dose doublée (deux PDL d'environ 350 mGy·cm) ; pas d'effet attendu.",
            person_informed="Information orale du patient par le radiologue le jour même, "
            "tracée dans le dossier.",
            category="human",
            severity=3,
            flags="patient_exposed",
            device=ct,
            people_involved="MERM (2), radiologue",
        ),
        "wrong_patient": dict(
            detected_on=today - timedelta(days=9),
            description="Radiographie thoracique au lit réalisée chez le voisin de chambre du "
            "patient prescrit.",
            circumstances="Chambre double, bracelet d'identification non vérifié, appel oral "
            "du nom.",
            consequences="Exposition injustifiée d'un patient (environ 0,02 mGy à l'entrée).",
            person_informed="Patient et médecin du service informés par le radiologue.",
            category="organisational",
            severity=3,
            flags="patient_exposed",
            device=mobile,
            people_involved="MERM de garde, IDE du service",
        ),
        "pregnancy": dict(
            detected_on=today - timedelta(days=4),
            description="Grossesse de 6 SA découverte après un scanner abdomino-pelvien.",
            circumstances="Questionnaire grossesse non rempli, patiente adressée par les "
            "urgences.",
            consequences="Dose à l'utérus estimée par le physicien médical : 18 mGy.",
            person_informed="Consultation avec le radiologue et le physicien, courrier remis.",
            category="organisational",
            severity=3,
            flags="patient_exposed, pregnant",
            device=ct,
            people_involved="MERM, radiologue, urgentiste",
        ),
        "compression": dict(
            detected_on=today - timedelta(days=75),
            description="Palette de compression restée en position haute : cliché refait.",
            circumstances="Défaut du capteur de compression signalé par la console.",
            consequences="Une incidence supplémentaire pour une patiente.",
            person_informed="Patiente informée par la MERM.",
            category="material",
            severity=1,
            device=mammo,
            people_involved="MERM",
        ),
        "long_pci": dict(
            detected_on=today - timedelta(days=40),
            description="Angioplastie longue (occlusion chronique) sans information préalable "
            "du patient sur le risque cutané.",
            circumstances="Procédure prolongée non anticipée ; pas de seuil d'alerte annoncé "
            "en salle.",
            consequences="Ka,r élevé, suivi cutané organisé par le physicien.",
            person_informed="Courrier de suivi au patient et au médecin traitant.",
            category="organisational",
            severity=2,
            device=cath,
            people_involved="Cardiologue, MERM",
        ),
    }
    events = {}
    for key, fields in specs.items():
        fields.setdefault("recorded_on", fields["detected_on"] + timedelta(days=1))
        event = _save(m.SafetyEvent(unit=unit, declared_by=RADIOGRAPHER, **fields), RADIOGRAPHER)
        events[key] = event
    pregnancy = events["pregnancy"]
    pregnancy.declared_to_authority_on = pregnancy.detected_on + timedelta(days=1)
    _save(pregnancy, RAN)
    for key, field in (("long_pci", "kar_total_mgy"), ("ct_twice", "dlp_total_mgycm")):
        exam = _biggest_exam(events[key].device, field)
        if exam is not None:
            events[key].exams.add(exam)
    return events


def _analysis(unit: Unit, event: m.SafetyEvent, today: date) -> None:
    analysis = m.SystemicAnalysis(
        event=event,
        analysed_on=event.detected_on + timedelta(days=20),
        participants="Responsable qualité\nRadiologue référent\nPhysicien médical\nCadre MERM\n"
        "MERM concernés",
        chronology="08:40 Fin de l'examen précédent (abdomen-pelvis), protocole laissé "
        "sélectionné.\n08:45 Relève de la MERM au poste de commande.\n08:50 Installation du "
        "patient suivant (thorax) ; sélection du patient dans la worklist sans changer le "
        "protocole.\n08:52 Acquisition abdomino-pelvienne.\n08:54 Le radiologue constate la "
        "couverture anatomique ; nouvelle acquisition thoracique.\n09:10 Information du "
        "patient ; déclaration dans le registre.",
        method="alarm",
        causes="immediate ; technical ; protocole précédent conservé par défaut par la console\n"
        "immediate ; human ; vérification du protocole non faite avant l'acquisition\n"
        "root ; organisational ; relève au poste sans transmission formalisée\n"
        "root ; organisational ; pas de liaison automatique worklist → protocole",
        failed_barriers="Vérification du protocole par la MERM avant acquisition\n"
        "Contrôle du topogramme par le radiologue",
        validated_by=RAN,
        validated_on=event.detected_on + timedelta(days=27),
    )
    _save(analysis, QUALITY)
    done = event.detected_on + timedelta(days=60)
    for title, owner, due, status, done_on, check in (
        (
            "Paramétrer la liaison worklist → protocole (code d'acte) sur le SOMATOM go.Top",
            PHYSICIST,
            event.detected_on + timedelta(days=60),
            "done",
            done,
            "Trois mois après : aucun protocole incohérent sur 1 200 examens (audit des RDSR).",
        ),
        (
            "Formaliser la relève au poste de commande (check-list de transmission)",
            QUALITY,
            today + timedelta(days=30),
            "in_progress",
            None,
            "",
        ),
        (
            "Présenter l'événement en CREX et rappeler la vérification du protocole",
            "ran",
            event.detected_on + timedelta(days=45),
            "done",
            event.detected_on + timedelta(days=38),
            "",
        ),
    ):
        _save(
            m.QualityAction(
                unit=unit,
                source="event",
                event=event,
                title=title,
                owner=owner,
                due_on=due,
                status=status,
                done_on=done_on,
                effectiveness_check=check,
                effectiveness_checked_on=(done_on + timedelta(days=90)) if check else None,
            ),
            QUALITY,
        )


RISKS = (
    ("Identification du patient", None, "Examen réalisé sur le mauvais patient", 3, 4, "Double "
     "identification (bracelet + question ouverte)", 2, 4),
    ("Prise en charge des femmes en âge de procréer", None, "Grossesse méconnue avant un "
     "examen pelvien", 2, 4, "Questionnaire grossesse signé, affichage en cabine", 1, 4),
    ("Scanographie", "SOMATOM go.Top", "Protocole inadapté (adulte chez l'enfant, mauvaise "
     "région)", 3, 3, "Liaison worklist → protocole, protocoles pédiatriques séparés", 2, 3),
    ("Radiologie interventionnelle", "Azurion 7 M12", "Effet déterministe cutané après une "
     "procédure longue", 2, 5, "Seuils d'alerte en salle, suivi des patients, cartographie "
     "de dose", 2, 3),
    ("Bloc opératoire", "Cios Alpha", "Utilisation de l'amplificateur par un opérateur non "
     "formé", 3, 3, "Habilitation au poste, formation radioprotection patients", 2, 2),
    ("Maintenance et CQ", None, "Dérive d'un équipement non détectée", 2, 3, "Plan de CQ "
     "interne, alertes d'échéance", 1, 3),
    ("Médecine nucléaire", "Symbia Intevo Bold", "Erreur d'activité administrée", 2, 3,
     "Activimètre contrôlé, double lecture de la prescription", 1, 3),
    ("Mammographie", "Senographe Essential", "Cliché refait pour défaut technique", 3, 1,
     "CQ interne, maintenance préventive", 2, 1),
)


def _risks(unit: Unit, today: date, events: dict[str, m.SafetyEvent]) -> None:
    for process, model, text, lk, sev, barriers, rlk, rsev in RISKS:
        risk = _save(
            m.Risk(
                unit=unit,
                process=process,
                device=_device(model) if model else None,
                description=text,
                likelihood=lk,
                severity=sev,
                barriers=barriers,
                residual_likelihood=rlk,
                residual_severity=rsev,
                reviewed_on=today - timedelta(days=120),
            ),
            QUALITY,
        )
        if process == "Identification du patient":
            risk.events.add(events["wrong_patient"])
            _save(
                m.QualityAction(
                    unit=unit,
                    source="risk",
                    risk=risk,
                    title="Déployer la question ouverte d'identité pour les examens au lit",
                    owner=QUALITY,
                    due_on=today + timedelta(days=45),
                    status="planned",
                ),
                QUALITY,
            )


def _audit_and_inspection(unit: Unit, today: date) -> None:
    audit = _save(
        m.ClinicalAudit(
            unit=unit,
            title="Audit clinique par les pairs : justification des scanners lombaires",
            scope="50 demandes de scanner du rachis lombaire (lombalgies communes), "
            "confrontées au guide du bon usage des examens d'imagerie.",
            auditors="Dr A. (radiologue, autre site), Dr B. (rhumatologue)",
            planned_on=today - timedelta(days=110),
            done_on=today - timedelta(days=95),
            findings="12 demandes sur 50 sans critère de gravité ni échec du traitement : IRM "
            "ou abstention auraient été indiquées. Demandes souvent incomplètes.",
        ),
        QUALITY,
    )
    _save(
        m.QualityAction(
            unit=unit,
            source="audit",
            audit=audit,
            title="Formulaire de demande de scanner lombaire avec critères de justification",
            owner=RAN,
            due_on=today + timedelta(days=20),
            status="in_progress",
        ),
        QUALITY,
    )
    _save(
        m.QualityAction(
            unit=unit,
            source="inspection",
            inspection_letter="Lettre de suite d'inspection (exemple de démonstration), "
            f"{(today - timedelta(days=80)).isoformat()}, demande A.3",
            title="Transmettre le plan d'organisation de la physique médicale mis à jour",
            owner=RAN,
            due_on=today - timedelta(days=15),
            status="in_progress",
        ),
        QUALITY,
    )


def _procedures(unit: Unit, today: date) -> dict[str, int]:
    written = missing = 0
    counts = (
        Exam.objects.filter(device__unit=unit, is_test=False)
        .exclude(procedure="")
        .values("device_id", "procedure")
        .annotate(n=Count("id"))
        .order_by("device_id", "-n")
    )
    per_device: dict[int, list[str]] = {}
    for row in counts:
        per_device.setdefault(row["device_id"], []).append(row["procedure"])
    devices = {d.pk: d for d in Device.objects.filter(pk__in=list(per_device))}
    for device_id, acts in per_device.items():
        keep = acts[: max(1, len(acts) - PROTOCOLS_PER_DEVICE_MISSING)] if len(acts) > 1 else acts
        missing += len(acts) - len(keep)
        for act in keep:
            procedure = _save(
                m.Procedure(
                    unit=unit,
                    kind="protocol",
                    title=f"Protocole {act} — {devices[device_id]}",
                    device=devices[device_id],
                    act=act,
                    review_on=today + timedelta(days=200),
                ),
                QUALITY,
            )
            _version(procedure, f"Protocole « {act} » sur {devices[device_id]} : indications, "
                     "installation, paramètres d'acquisition, optimisation (NRD/VGD), cas "
                     "pédiatriques et femmes enceintes.", today)
            written += 1
    for kind, title in (
        ("justification", "Justification des actes et validation des demandes"),
        ("persons_at_risk", "Prise en charge des femmes en âge de procréer, enceintes, des "
         "enfants et des patients à examens itératifs"),
        ("optimisation", "Évaluation des doses et niveaux de référence diagnostiques"),
    ):
        procedure = _save(
            m.Procedure(unit=unit, kind=kind, title=title, review_on=today + timedelta(days=300)),
            QUALITY,
        )
        _version(procedure, title + " : objet, responsabilités, déroulement, enregistrements.",
                 today)
    return {"written": written, "missing": missing}


def _version(procedure: m.Procedure, body: str, today: date) -> None:
    version = _save(
        m.ProcedureVersion(procedure=procedure, number=1, body=body, written_by=QUALITY),
        QUALITY,
    )
    version.validated_by = RAN
    version.validated_on = today - timedelta(days=180)
    with acting_as(RAN):
        version.save(audit_action="validate")


def _equipment(unit: Unit, today: date) -> int:
    devices = list(Device.objects.filter(unit=unit).order_by("id"))
    for category in {d.category for d in devices}:
        _save(
            m.Periodicity(
                unit=unit,
                device_type=category,
                kind="maintenance",
                months=6,
                source=CONTRACT.format(ref=f"MC-{category.upper()}-2024"),
            ),
            QUALITY,
        )
        _save(
            m.Periodicity(
                unit=unit, device_type=category, kind="internal_qc", months=3, source=QC_PLAN
            ),
            PHYSICIST,
        )
    overdue_model = "Senographe Essential"
    for index, device in enumerate(devices):
        commissioned = device.commissioned_on or today - timedelta(days=3 * 365 + 30 * index)
        accepted = commissioned - timedelta(days=5)
        _save(
            m.EquipmentRecord(
                device=device,
                acceptance_test_on=accepted,
                acceptance_test_by="Physicien médical et ingénieur d'application",
                commissioned_on=commissioned,
                in_clinical_use=True,
            ),
            PHYSICIST,
        )
        _save(
            m.MaintenanceContract(
                device=device,
                provider=device.manufacturer or "Constructeur",
                reference=f"MC-{device.category.upper()}-2024",
                starts_on=today - timedelta(days=400),
                ends_on=today + timedelta(days=330),
            ),
            QUALITY,
        )
        maintenance = today - timedelta(days=40 + 7 * index)
        _save(
            m.ControlRecord(
                device=device,
                kind="maintenance",
                done_on=maintenance,
                performed_by=device.manufacturer or "Constructeur",
            ),
            QUALITY,
        )
        late = device.model == overdue_model
        last_qc = today - timedelta(days=125 if late else 20 + 5 * index)
        control = _save(
            m.ControlRecord(
                device=device,
                kind="internal_qc",
                done_on=last_qc,
                performed_by="Physicien médical",
                conforming=not late,
                notes="Fantôme de CQ, constance des indicateurs de dose.",
            ),
            PHYSICIST,
        )
        if late:
            _save(
                m.NonConformity(
                    device=device,
                    control=control,
                    found_on=last_qc,
                    description="Écart de la dose glandulaire moyenne mesurée au-delà de la "
                    "tolérance du plan de CQ interne ; appel du constructeur.",
                ),
                PHYSICIST,
            )
    return len(devices)


def seed_quality_demo(today: date, unit: Unit | None = None) -> dict[str, Any]:
    """Give the demo unit its quality register (see the module docstring); return what it
    wrote. Does nothing when the unit already has events."""
    unit = unit or Unit.default()
    if m.SafetyEvent.objects.filter(unit=unit).exists():
        return {"skipped": True}
    _criteria(unit)
    events = _events(unit, today)
    _analysis(unit, events["ct_twice"], today)
    review = events["ct_twice"].recorded_on + timedelta(days=30)
    _save(
        m.RegisterReview(
            unit=unit,
            reviewed_on=review,
            participants="RAN, responsable qualité, physicien médical, cadre MERM",
            conclusions="Événements du semestre revus ; analyse ALARM validée ; actions suivies "
            "au programme.",
        ),
        QUALITY,
    )
    _risks(unit, today, events)
    _audit_and_inspection(unit, today)
    procedures = _procedures(unit, today)
    devices = _equipment(unit, today)
    last = m.SafetyEvent.objects.filter(unit=unit).aggregate(last=Max("detected_on"))["last"]
    return {"events": len(events), "devices": devices, "last_event": last, **procedures}
