"""The demo unit's follow-up: what the medical physicist would have done with the alerts.

:func:`prepare_demo_followup` is called by ``kerma demo`` after the import (whose skin-dose maps
and alerts were computed as each exam was stored). Acting as the demo physicist, through the same
models as the pages (so every step is audited under that name), it:

- enters the cath lab's measured table-and-mattress transmission (a room measurement) and
  recomputes the maps of the exams with alerts, whose provenance then names these settings;
- routes the interventional rooms' e-mails to the unit's physicists and the cardiology secretariat
  (no SMTP server in the demo: nothing is sent);
- decides the follow-up of the alerts older than four weeks: the oldest patients had their skin
  check (consultation and letter, outcome recorded, closed), the next ones a letter (acknowledged,
  outcome awaited); recent alerts stay open.

Idempotent: a second call changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kerma.web.audit.log import acting_as
from kerma.web.dose.models import Device, Exam
from kerma.web.followup.hooks import process_exam
from kerma.web.followup.models import Alert, NotificationRule, RoomGeometry
from kerma.web.followup.skin import default_room_settings
from kerma.web.followup.views import acknowledge
from kerma.web.nrd.demo_plan import PHYSICIST

CATH_MODEL = "Azurion 7 M12"
MEASURED_TRANSMISSION = 0.74
OUTCOMES = (
    "Consultation J21 : érythème léger de la région scapulaire gauche, régressif à J35. "
    "Courrier adressé au patient et au médecin traitant.",
    "Consultation J18 : pas de lésion cutanée. Courrier adressé au patient et au médecin traitant.",
)


def _cath_lab() -> Device | None:
    return Device.objects.filter(model=CATH_MODEL).first()


def prepare_demo_followup(today: date) -> dict[str, Any]:
    """Prepare the demo's follow-up (see the module docstring); return what it did."""
    done: dict[str, Any] = {"room": False, "rule": False, "acknowledged": 0, "closed": 0}
    cath = _cath_lab()
    with acting_as(PHYSICIST):
        if cath is not None and not RoomGeometry.objects.filter(device=cath).exists():
            settings = default_room_settings(cath)
            settings["table_transmission"] = MEASURED_TRANSMISSION
            settings["source"] = "mesure du physicien (chambre d'ionisation, 80 kV)"
            RoomGeometry(
                device=cath,
                settings=settings,
                measured_on=today - timedelta(days=200),
                measurement_notes="Transmission table + matelas mesurée sous faisceau vertical, "
                "80 kV, 0,1 mm Cu, chambre 6 cm³ sous la table puis sur le matelas.",
            ).save()
            flagged = Exam.objects.filter(followup_alerts__isnull=False, device=cath).distinct()
            for exam in flagged.select_related("device"):
                process_exam(exam, send=False)
            done["room"] = True
        if cath is not None and not NotificationRule.objects.filter(unit=cath.unit).exists():
            NotificationRule(
                unit=cath.unit,
                device=cath,
                role="physicist",
                extra_addresses="secretariat.cardiologie@ch-valmont.example",
            ).save()
            done["rule"] = True
        old = list(
            Alert.objects.filter(
                exam__study_date__lte=today - timedelta(days=28), state=Alert.State.OPEN
            ).select_related("exam")
        )
        patients = sorted({a.patient_key for a in old}, key=lambda k: _first_day(old, k))
        for rank, key in enumerate(patients):
            for alert in [a for a in old if a.patient_key == key]:
                if rank < 2:
                    data = {
                        "decision": Alert.Decision.BOTH,
                        "outcome": OUTCOMES[rank % len(OUTCOMES)],
                        "close": True,
                    }
                    done["closed"] += 1
                else:
                    data = {"decision": Alert.Decision.LETTER, "outcome": ""}
                acknowledge(alert, data, PHYSICIST)
                done["acknowledged"] += 1
    return done


def _first_day(alerts: Any, key: str) -> date:
    return min(a.exam.study_date or date.max for a in alerts if a.patient_key == key)
