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
