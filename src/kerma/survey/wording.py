"""The words of the survey's findings, in English and French: why a record was left out of a
survey, and what the reading of a contribution found."""

from __future__ import annotations

from kerma.notices import declare

# Why a record is rejected, in the order the rules are tried (the first that applies is its
# reason): the codes are the keys of ``rejected`` in ``kerma survey run --json``.
REASONS: dict[str, tuple[str, str]] = {
    "missing_dap": ("no DAP", "PDS absent"),
    "missing_act": ("no act", "acte absent"),
    "missing_specialty": ("no specialty", "spécialité absente"),
    "missing_facility": ("no facility code", "code d'établissement absent"),
    "implausible_value": (
        "a value outside plausible limits (DAP, fluoroscopy time, Ka,r, images, weight, height)",
        "valeur hors des limites plausibles (PDS, temps de scopie, Ka,r, images, poids, taille)",
    ),
    "duplicate": (
        "the same procedure sent twice (same facility, act, month and values)",
        "même procédure envoyée deux fois (même établissement, acte, mois et valeurs)",
    ),
    "unit_error": (
        "DAP or fluoroscopy time far off its act's median (a unit error: ×100, ×60…)",
        "PDS ou temps de scopie très loin de la médiane de l'acte (erreur d'unité : ×100, ×60…)",
    ),
    "facility_below_minimum": (
        "facility with too few valid procedures",
        "établissement avec trop peu de procédures valides",
    ),
    "act_below_minimum": (
        "act with too few procedures or facilities",
        "acte avec trop peu de procédures ou d'établissements",
    ),
}

for _code, (_en, _fr) in REASONS.items():
    declare(f"survey.rejected.{_code}", en=_en, fr=_fr)

declare(
    "survey.input.missing_columns",
    en="{file}: the template's columns {columns} are missing",
    fr="{file} : les colonnes {columns} du modèle manquent",
)
declare(
    "survey.input.unknown_format",
    en="{file}: not a survey template nor an NRD evaluation export (CSV, XLSX or Parquet)",
    fr="{file} : ni un modèle d'enquête ni un export d'évaluation NRD (CSV, XLSX ou Parquet)",
)
declare(
    "survey.input.unknown_unit",
    en="{file}: the unit of column {column} is not known",
    fr="{file} : l'unité de la colonne {column} n'est pas connue",
)


class SurveyInputError(ValueError):
    """A contribution that cannot be read; ``notice`` says why (code and parameters)."""

    def __init__(self, code: str, **params: object) -> None:
        from kerma.notices import notice

        self.notice = notice(code, **params)
        super().__init__(self.notice.text("en"))

# The words of the report (HTML and workbook).
REPORT: dict[str, tuple[str, str]] = {
    "title": ("Reference-level survey", "Enquête niveaux de référence"),
    "counts": ("Before and after filtering", "Avant et après filtrage"),
    "before": ("before", "avant"),
    "after": ("after", "après"),
    "procedures": ("procedures", "procédures"),
    "facilities": ("facilities", "établissements"),
    "acts": ("acts", "actes"),
    "specialties": ("specialties", "spécialités"),
    "rejected": ("Rejected records", "Enregistrements rejetés"),
    "reason": ("reason", "motif"),
    "count": ("count", "nombre"),
    "dap_chart": (
        "75th percentile of the DAP distribution (Gy·cm²), by specialty",
        "75e centile de la distribution des PDS (Gy·cm²), par spécialité",
    ),
    "time_chart": (
        "75th percentile of the fluoroscopy times (min), by specialty",
        "75e centile de la distribution des temps de scopie (min), par spécialité",
    ),
    "distribution_chart": (
        "DAP per act (Gy·cm²): quartiles of the procedures, facility medians, P75 markers",
        "PDS par acte (Gy·cm²) : quartiles des procédures, médianes des établissements, P75",
    ),
    "per_procedure": ("P75 of the procedures", "P75 des procédures"),
    "quartiles": ("P25, P50, P75 of the procedures", "P25, P50, P75 des procédures"),
    "facility_level": (
        "P75 of the facility medians (ICRP 135), 95 % CI",
        "P75 des médianes des établissements (CIPR 135), IC 95 %",
    ),
    "facility_medians": ("facility medians", "médianes des établissements"),
    "rejected_sample": (
        "{shown} of the {total} rejected records: the first {each} of each reason, by file and "
        "row. All of them, with their reasons, are in rejected.csv beside this workbook.",
        "{shown} des {total} enregistrements rejetés : les {each} premiers de chaque motif, "
        "par fichier et ligne. Tous, avec leur motif, sont dans rejected.csv à côté de ce "
        "classeur.",
    ),
    "levels": ("Reference levels per act", "Niveaux de référence par acte"),
    "specialty_levels": ("Per specialty", "Par spécialité"),
    "method": (
        "Percentiles: linear interpolation between order statistics (type 7). Reference level: "
        "75th percentile of the facility medians (ICRP 135). 95 % intervals: percentile "
        "bootstrap. Engine: {engine}. Full list of rejected records: rejected.csv.",
        "Centiles : interpolation linéaire entre statistiques d'ordre (type 7). Niveau de "
        "référence : 75e centile des médianes des établissements (CIPR 135). Intervalles à "
        "95 % : bootstrap des centiles. Moteur : {engine}. Liste complète des rejets : "
        "rejected.csv.",
    ),
}
for _code, (_en, _fr) in REPORT.items():
    declare(f"survey.report.{_code}", en=_en, fr=_fr)
