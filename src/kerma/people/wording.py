"""Wording of the people rules' findings (kerma.notices codes), in English and French."""

from __future__ import annotations

from kerma.notices import declare

TRAINING_MISSING = declare(
    "people.training.missing",
    en="{person}: no patient radiation-protection training certificate recorded",
    fr="{person} : aucune attestation de formation à la radioprotection des patients enregistrée",
)
TRAINING_ACTIVITY_CHANGED = declare(
    "people.training.activity_changed",
    en="{person}: activity changed on {changed_on}, after the last certificate ({certificate_on}):"
    " training for the new activity is due",
    fr="{person} : changement d'activité le {changed_on}, après la dernière attestation"
    " ({certificate_on}) : une formation correspondant à la nouvelle activité est due",
)
TRAINING_EXPIRING = declare(
    "people.training.expiring",
    en="{person}: training valid until {valid_until} ({years} years), renewal due",
    fr="{person} : formation valable jusqu'au {valid_until} ({years} ans),"
    " renouvellement à prévoir",
)
TRAINING_EXPIRED = declare(
    "people.training.expired",
    en="{person}: training expired on {valid_until} ({years} years)",
    fr="{person} : formation expirée depuis le {valid_until} ({years} ans)",
)
QUALIFICATION_NEWCOMER = declare(
    "people.qualification.newcomer",
    en="{person}: workstation qualification to do for {post} (arrived on {arrived_on})",
    fr="{person} : habilitation au poste {post} à réaliser (arrivée le {arrived_on})",
)
QUALIFICATION_DEVICE = declare(
    "people.qualification.device",
    en="{person}: qualification on {device} to do (works on it since {since})",
    fr="{person} : habilitation sur {device} à réaliser (y travaille depuis le {since})",
)
DEVICE_TRAINING_MISSING = declare(
    "people.device_training.missing",
    en="{person}: no recorded training on {device}",
    fr="{person} : aucune formation enregistrée sur {device}",
)
OPERATOR_UNQUALIFIED = declare(
    "people.operator.unqualified",
    en="{operator} performed {count} exam(s) on {device} without a recorded qualification",
    fr="{operator} a réalisé {count} examen(s) sur {device} sans habilitation enregistrée",
)
