"""Wording of the staff-exposure findings (kerma.notices codes), in English and French."""

from __future__ import annotations

from kerma.notices import declare

OVER_LIMIT = declare(
    "staff.over_limit",
    en="{organ_en}: {dose_msv} mSv a year, above the limit of {limit_msv} mSv over 12 months",
    fr="{organ_fr} : {dose_msv} mSv par an, au-dessus de la limite de {limit_msv} mSv sur 12 mois",
)
FIXED_BY = declare(
    "staff.fixed_by",
    en="{organ_en}: {protection} ({attenuation_pct} % attenuation) brings it to {dose_msv} mSv,"
    " under its limit (at least {required_pct} % needed)",
    fr="{organ_fr} : {protection} ({attenuation_pct} % d'atténuation) la ramène à {dose_msv} mSv,"
    " sous sa limite (au moins {required_pct} % nécessaires)",
)
NO_FIX = declare(
    "staff.no_fix",
    en="{organ_en}: no listed protection alone brings it under its limit (at least {required_pct} %"
    " attenuation needed)",
    fr="{organ_fr} : aucune protection de la liste ne la ramène seule sous sa limite (au moins"
    " {required_pct} % d'atténuation nécessaires)",
)
CATEGORY = declare(
    "staff.category",
    en="classification: category {category} ({reason_en})",
    fr="classement : catégorie {category} ({reason_fr})",
)
NOT_CLASSIFIED = declare(
    "staff.not_classified",
    en="no classification: under every category threshold",
    fr="pas de classement : sous tous les seuils de catégorie",
)
MEASURED_OVER_LIMIT = declare(
    "staff.measured.over_limit",
    en="{organ_en}: {measured_msv} mSv measured over the 12 months to {until}, above the limit of"
    " {limit_msv} mSv",
    fr="{organ_fr} : {measured_msv} mSv mesurés sur les 12 mois jusqu'au {until}, au-dessus de la"
    " limite de {limit_msv} mSv",
)
MEASURED_NEAR_LIMIT = declare(
    "staff.measured.near_limit",
    en="{organ_en}: {measured_msv} mSv measured over the 12 months to {until}, {share_pct} % of the"
    " limit of {limit_msv} mSv",
    fr="{organ_fr} : {measured_msv} mSv mesurés sur les 12 mois jusqu'au {until},"
    " {share_pct} % de la limite de {limit_msv} mSv",
)
MEASURED_OVER_PREDICTION = declare(
    "staff.measured.over_prediction",
    en="{organ_en}: {measured_msv} mSv measured over the 12 months to {until}, above the predicted"
    " {predicted_msv} mSv",
    fr="{organ_fr} : {measured_msv} mSv mesurés sur les 12 mois jusqu'au {until}, au-dessus des"
    " {predicted_msv} mSv prévus",
)
