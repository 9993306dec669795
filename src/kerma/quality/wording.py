"""French and English wording of the quality system's notices (see :mod:`kerma.notices`)."""

from __future__ import annotations

from kerma.notices import declare

CONTROL_OVERDUE = declare(
    "quality.control_overdue",
    en="{kind} of {device} was due on {due} ({days} day(s) late)",
    fr="{kind} de {device} était dû le {due} ({days} jour(s) de retard)",
)
CONTROL_NEVER_DONE = declare(
    "quality.control_never_done",
    en="{kind} of {device} has never been recorded",
    fr="{kind} de {device} n'a jamais été enregistré",
)
NO_PERIODICITY = declare(
    "quality.no_periodicity",
    en="No periodicity entered for {kind} on {device_type}: enter it with its ANSM source",
    fr="Aucune périodicité saisie pour {kind} sur {device_type} : saisissez-la avec sa "
    "source ANSM",
)
NO_ACCEPTANCE_TEST = declare(
    "quality.no_acceptance_test",
    en="{device} cannot be put in clinical use: no acceptance test is recorded",
    fr="{device} ne peut pas être mis en utilisation clinique : aucun essai de réception "
    "n'est enregistré",
)
ACCEPTANCE_TEST_NOT_CONFORMING = declare(
    "quality.acceptance_test_not_conforming",
    en="{device} cannot be put in clinical use: its acceptance test of {on} is not conforming",
    fr="{device} ne peut pas être mis en utilisation clinique : son essai de réception du {on} "
    "n'est pas conforme",
)
ACCEPTANCE_TEST_IN_FUTURE = declare(
    "quality.acceptance_test_in_future",
    en="{device} cannot be put in clinical use on {use_on}: its acceptance test is dated {on}",
    fr="{device} ne peut pas être mis en utilisation clinique le {use_on} : son essai de "
    "réception est daté du {on}",
)
ANALYSIS_REQUIRED = declare(
    "quality.analysis_required",
    en="Systemic analysis required: {criterion} (source: {source})",
    fr="Analyse systémique requise : {criterion} (source : {source})",
)
ANALYSIS_WAITING = declare(
    "quality.analysis_waiting",
    en="Event #{event} waits for its systemic analysis since {since} ({days} day(s))",
    fr="L'événement n° {event} attend son analyse systémique depuis le {since} ({days} jour(s))",
)
DECLARATION_REQUIRED = declare(
    "quality.declaration_required",
    en="Declare to the authority by {deadline}: {criterion} (source: {source})",
    fr="À déclarer à l'autorité avant le {deadline} : {criterion} (source : {source})",
)
DECLARATION_LATE = declare(
    "quality.declaration_late",
    en="Declaration to the authority was due on {deadline} and is not recorded",
    fr="La déclaration à l'autorité était due le {deadline} et n'est pas enregistrée",
)
ACTION_OVERDUE = declare(
    "quality.action_overdue",
    en="Action “{title}” ({owner}) was due on {due} ({days} day(s) late)",
    fr="L'action « {title} » ({owner}) était due le {due} ({days} jour(s) de retard)",
)
EFFECTIVENESS_DUE = declare(
    "quality.effectiveness_due",
    en="Action “{title}” is done: its effectiveness check is awaited",
    fr="L'action « {title} » est réalisée : la vérification de son efficacité est attendue",
)
REVIEW_OVERDUE = declare(
    "quality.review_overdue",
    en="The event register review was due on {due} (every {months} month(s))",
    fr="La revue du registre des événements était due le {due} (tous les {months} mois)",
)
REVIEW_NEVER_DONE = declare(
    "quality.review_never_done",
    en="The event register has never been reviewed (review every {months} month(s))",
    fr="Le registre des événements n'a jamais été revu (revue tous les {months} mois)",
)
RISK_OUT_OF_SCALE = declare(
    "quality.risk_out_of_scale",
    en="{what} must be between 1 and {top}, not {value}",
    fr="{what} doit être entre 1 et {top}, pas {value}",
)
PROTOCOL_MISSING = declare(
    "quality.protocol_missing",
    en="No written protocol for “{act}” on {device} ({exams} exam(s))",
    fr="Pas de protocole écrit pour « {act} » sur {device} ({exams} examen(s))",
)
