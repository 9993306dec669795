"""French and English wording of the patients package's notices (see :mod:`kerma.notices`)."""

from __future__ import annotations

from kerma.notices import declare

RECURRENT_EXPOSURE = declare(
    "patients.recurrent_exposure",
    en="Cumulative estimated effective dose {dose_msv} mSv over {years} year(s) reaches the "
    "threshold of {threshold_msv} mSv ({source})",
    fr="Dose efficace estimée cumulée de {dose_msv} mSv sur {years} an(s) : le seuil de "
    "{threshold_msv} mSv est atteint ({source})",
)
PREGNANCY_UNCHECKED = declare(
    "patients.pregnancy_unchecked",
    en="Woman of {age} years (child-bearing age {low}-{high}): no pregnancy check recorded",
    fr="Femme de {age} ans (âge de procréer {low}-{high}) : aucune recherche de grossesse "
    "enregistrée",
)
NO_COEFFICIENT = declare(
    "patients.no_coefficient",
    en="No cited coefficient for {what}: effective dose not estimated",
    fr="Aucun coefficient cité pour {what} : dose efficace non estimée",
)
NO_QUANTITY = declare(
    "patients.no_quantity",
    en="No {quantity} recorded: effective dose not estimated",
    fr="Aucun(e) {quantity} enregistré(e) : dose efficace non estimée",
)
AT_RISK_FLAG = declare(
    "patients.at_risk_flag",
    en="At-risk patient: {flag} (entered by {by} on {on})",
    fr="Patient à risque : {flag} (saisi par {by} le {on})",
)
PAEDIATRIC_SHARE = declare(
    "patients.paediatric_share",
    en="Paediatric share of {device}: {share} % of {total} exams (above {threshold} %: a "
    "paediatric NRD evaluation is due)",
    fr="Part pédiatrique de {device} : {share} % de {total} examens (au-dessus de {threshold} % :"
    " une évaluation NRD pédiatrique est due)",
)
ESTIMATE = declare(
    "patients.estimate",
    en="Estimated effective dose {dose_msv} mSv ({method})",
    fr="Dose efficace estimée {dose_msv} mSv ({method})",
)
