"""The words of the NRD core's notices, in English and French (see :mod:`kerma.notices`).

The core returns :class:`~kerma.notices.Notice` objects (a code and its parameters) for what a
user reads — plan notes, the inspector's flags, evaluation messages, the reason an acquisition
was chosen — and the shell words them in the reader's language. The English wording is the text
the JSON outputs have always carried (``message``, ``note``, ``messages``), so scripts that read
it keep working. A parameter may itself be a notice (``scope``, ``population``, ``family``): it is
worded in the same language.

Imported by :mod:`kerma.nrd`, so the codes are declared whenever an NRD notice can exist.
"""

from __future__ import annotations

from typing import Any

from kerma.notices import Notice, declare, notice
from kerma.reference.tables import ReferenceSet
from kerma.reference.vocabulary import Family, Population

# ---- words used inside other notices -------------------------------------------------------------

# English: the value the JSON has always shown (``ct``, ``radiography``...).
_FAMILY_FR = {
    Family.CT: "scanographie",
    Family.RADIOGRAPHY: "radiographie",
    Family.DENTAL: "radiologie dentaire",
    Family.MAMMOGRAPHY: "mammographie",
    Family.INTERVENTIONAL: "radiologie interventionnelle",
    Family.NUCLEAR_MEDICINE: "médecine nucléaire",
}
for _family, _fr in _FAMILY_FR.items():
    declare(f"nrd.family.{_family.value}", en=_family.value, fr=_fr)
_GROUP_FR = {"radiology": "radiologie", **{f.value: fr for f, fr in _FAMILY_FR.items()}}
for _group, _fr in _GROUP_FR.items():
    declare(f"nrd.group.{_group}", en=_group, fr=_fr)
declare("nrd.population.adult", en="adult", fr="adulte")
declare("nrd.population.paediatric", en="paediatric", fr="pédiatrique")
declare("nrd.who.paediatric_category", en="paediatric {category}", fr="pédiatrique {category}")
declare("nrd.scope.device", en="device {device}", fr="appareil {device}")
declare("nrd.scope.unit", en="unit {unit} ({group})", fr="unité {unit} ({group})")
declare("nrd.scope.no_unit", en="unit (no unit) ({group})", fr="unité (sans nom) ({group})")
# A reference set's name and status; English as ``ReferenceSet.label`` writes it.
_STATUS_FR = {"in_force": "en vigueur", "abrogated": "abrogé", "local": "local"}
for _status, _fr in _STATUS_FR.items():
    declare(f"nrd.set_status.{_status}", en=_status, fr=_fr)
declare("nrd.set", en="{name} ({status})", fr="{name} ({status})")


def set_word(reference_set: ReferenceSet) -> dict[str, Any] | str:
    """Return a reference set's label as a notice (as data), to be a parameter of another one:
    ``fr-2011-arrete (abrogated)`` / ``fr-2011-arrete (abrogé)``; a status no code words is
    shown as written (plain text)."""
    status = reference_set.status
    if status not in _STATUS_FR:
        return reference_set.label
    word = notice(f"nrd.set_status.{status}").to_dict()
    return notice("nrd.set", name=reference_set.name, status=word).to_dict()


class NoticeError(ValueError):
    """A request the NRD rules refuse, with its reason as a notice (``str`` is the English
    text, so callers that print or match the message see what they always saw)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.notice: Notice = notice(code, **params)
        super().__init__(self.notice.text("en"))


def family_word(family: Family | str) -> dict:
    """Return the notice (as data) of a family of acts, to be a parameter of another notice."""
    return notice(f"nrd.family.{Family(family).value}").to_dict()


def group_word(group: str) -> dict:
    """Return the notice (as data) of an obligation group (``radiology``, ``ct``…)."""
    return notice(f"nrd.group.{group}").to_dict()


def population_word(population: Population | str) -> dict:
    """Return the notice (as data) of a population (``adult``, ``paediatric``)."""
    return notice(f"nrd.population.{Population(population).value}").to_dict()


def who_word(population: Population, category: str | None) -> dict:
    """Return the notice (as data) of a population and its weight category."""
    if category:
        return notice("nrd.who.paediatric_category", category=category).to_dict()
    return population_word(population)


# ---- the yearly plan: notes of the items --------------------------------------------------------

declare(
    "nrd.plan.outside_perimeter",
    en="outside the perimeter defined by the RAN",
    fr="hors du périmètre défini par le RAN",
)
declare(
    "nrd.plan.no_listed_act",
    en="performed none of the listed acts in {year}: no obligation",
    fr="aucun des actes listés réalisé en {year} : pas d'obligation",
)
declare("nrd.plan.evaluated_on", en="evaluated on {date}", fr="évalué le {date}")
declare(
    "nrd.plan.evaluated_on_category",
    en="evaluated on {date}, category {category}",
    fr="évalué le {date}, catégorie {category}",
)
declare(
    "nrd.plan.acts_to_evaluate",
    en="{missing} of {needed} {population} act(s) still to evaluate in {year}",
    fr="{missing} acte(s) {population} sur {needed} encore à évaluer en {year}",
)
declare(
    "nrd.plan.acts_to_evaluate_repeated",
    en="{missing} of {needed} {population} act(s) still to evaluate in {year} "
    "(only acts evaluated in N-1 remain)",
    fr="{missing} acte(s) {population} sur {needed} encore à évaluer en {year} "
    "(il ne reste que des actes évalués en N-1)",
)
declare(
    "nrd.plan.paediatric_below",
    en="paediatric activity ≤ {threshold} ({shares})",
    fr="activité pédiatrique ≤ {threshold} ({shares})",
)
declare(
    "nrd.plan.paediatric_no_listed_act",
    en="paediatric activity above {threshold} ({shares}) but no listed act performed in children",
    fr="activité pédiatrique au-dessus de {threshold} ({shares}) mais aucun acte listé réalisé "
    "chez l'enfant",
)
declare(
    "nrd.plan.paediatric_due",
    en="paediatric activity above {threshold} ({shares}): 1 act, 1 weight category, "
    "10 consecutive children",
    fr="activité pédiatrique au-dessus de {threshold} ({shares}) : 1 acte, 1 catégorie de poids, "
    "10 enfants consécutifs",
)
declare("nrd.plan.history.last", en="last evaluated in {year}", fr="dernière évaluation en {year}")
declare(
    "nrd.plan.history.never",
    en="never evaluated, in the perimeter since {year}",
    fr="jamais évalué, dans le périmètre depuis {year}",
)
declare("nrd.plan.history.none", en="no evaluation on record", fr="aucune évaluation enregistrée")
declare(
    "nrd.plan.five_year_next",
    en="{history}: next evaluation due by {deadline}",
    fr="{history} : prochaine évaluation au plus tard en {deadline}",
)
declare(
    "nrd.plan.five_year_due",
    en="{history}: every device is evaluated at least once in {years} years (due by {deadline})",
    fr="{history} : chaque appareil est évalué au moins une fois en {years} ans "
    "(au plus tard en {deadline})",
)

# ---- the yearly plan: what an inspector would flag -----------------------------------------------

declare(
    "nrd.flag.unknown_device",
    en="evaluation {evaluation} is on device {device}, which is not in the device list",
    fr="l'évaluation {evaluation} porte sur l'appareil {device}, absent de la liste des appareils",
)
declare(
    "nrd.flag.outside_perimeter_listed_acts",
    en="device {device} is outside the perimeter but performed listed acts in {year} ({acts})",
    fr="l'appareil {device} est hors du périmètre mais a réalisé des actes listés en {year} "
    "({acts})",
)
declare(
    "nrd.flag.incomplete_sample",
    en="{scope}: evaluation {evaluation} of {act} has fewer patients than required",
    fr="{scope} : l'évaluation {evaluation} de {act} compte moins de patients que requis",
)
declare(
    "nrd.flag.incomplete_sample_paediatric",
    en="{scope}: paediatric evaluation {evaluation} of {act} has fewer patients than required",
    fr="{scope} : l'évaluation pédiatrique {evaluation} de {act} compte moins de patients "
    "que requis",
)
declare(
    "nrd.flag.same_act_as_previous_year",
    en="{scope}: {act} was already evaluated in {year}; the acts must differ between N and N-1",
    fr="{scope} : {act} a déjà été évalué en {year} ; les actes doivent différer entre N et N-1",
)
declare(
    "nrd.flag.same_act_as_previous_year_paediatric",
    en="{scope}: paediatric act {act} was already evaluated in {year}",
    fr="{scope} : l'acte pédiatrique {act} a déjà été évalué en {year}",
)
declare(
    "nrd.flag.late",
    en="{scope}: {missing} of {needed} {population} act(s) not evaluated in {year}",
    fr="{scope} : {missing} acte(s) {population} sur {needed} non évalué(s) en {year}",
)
declare(
    "nrd.flag.late_paediatric",
    en="{scope}: paediatric activity above {threshold} but no paediatric evaluation in {year}",
    fr="{scope} : activité pédiatrique au-dessus de {threshold} mais aucune évaluation "
    "pédiatrique en {year}",
)
declare(
    "nrd.flag.five_year",
    en="device {device}: {history}, not evaluated within {years} years",
    fr="appareil {device} : {history}, non évalué depuis {years} ans",
)
# Flags only the database can raise (added by the shell to the core's).
declare(
    "nrd.flag.unknown_family",
    en="device {device} ({category}) has exams in {year} but no family of acts: set its category "
    "or its NRD settings",
    fr="l'appareil {device} ({category}) a des examens en {year} mais aucune famille d'actes : "
    "renseignez sa catégorie ou ses paramètres NRD",
)
declare(
    "nrd.flag.not_signed",
    en="evaluation #{evaluation} of {act} on {device} is not signed off",
    fr="l'évaluation n° {evaluation} de {act} sur {device} n'est pas validée",
)
declare(
    "nrd.flag.not_signed_because",
    en="evaluation #{evaluation} of {act} on {device} is not signed off: {problems}",
    fr="l'évaluation n° {evaluation} de {act} sur {device} n'est pas validée : {problems}",
)
declare(
    "nrd.flag.action_overdue",
    en="evaluation #{evaluation} ({act}): corrective action {description!r} owned by {owner} was "
    "due on {due}",
    fr="évaluation n° {evaluation} ({act}) : l'action corrective « {description} » confiée à "
    "{owner} était due le {due}",
)
declare(
    "nrd.flag.reference_gap",
    en="device {device}: the reference set {set} lists no {family} act: load the values from the "
    "official text or choose another set",
    fr="appareil {device} : le jeu de référence {set} ne liste aucun acte de {family} : chargez "
    "les valeurs du texte officiel ou choisissez un autre jeu",
)
declare(
    "nrd.flag.reference_gap_missing",
    en="device {device}: the reference set {set} lists no {family} act (missing: {missing}): load "
    "the values from the official text or choose another set",
    fr="appareil {device} : le jeu de référence {set} ne liste aucun acte de {family} "
    "(manquant : {missing}) : chargez les valeurs du texte officiel ou choisissez un autre jeu",
)
declare(
    "nrd.flag.reference_not_in_force",
    en="device {device}: {group} acts are compared with {set}, not the regulation in force",
    fr="appareil {device} : les actes de {group} sont comparés à {set}, qui n'est pas la "
    "réglementation en vigueur",
)
declare(
    "nrd.problem.analysis_missing",
    en="the physicist's analysis is missing",
    fr="l'analyse du physicien médical manque",
)
declare(
    "nrd.problem.exceeds_without_answer",
    en="the median is above the NRD ({quantities}): give a justification or corrective actions "
    "with an owner and a due date",
    fr="la médiane dépasse le NRD ({quantities}) : donnez une justification ou des actions "
    "correctives avec un responsable et une échéance",
)

declare("nrd.problem.both", en="{first}; {second}", fr="{first} ; {second}")

# ---- an evaluation -------------------------------------------------------------------------------

declare(
    "nrd.evaluation.sample_incomplete",
    en="sample incomplete: {n} of {required} required eligible consecutive exams between {start} "
    "and {end}; the comparison is only indicative",
    fr="échantillon incomplet : {n} des {required} examens consécutifs éligibles requis entre "
    "{start} et {end} ; la comparaison n'est qu'indicative",
)
declare(
    "nrd.evaluation.reference_not_in_force",
    en="reference values from {set}: not the regulation in force",
    fr="valeurs de référence de {set} : pas la réglementation en vigueur",
)
declare(
    "nrd.evaluation.no_reference",
    en="{set} does not list {act} for {who} ({quantity}): no reference to compare with",
    fr="{set} ne liste pas {act} pour {who} ({quantity}) : pas de référence à laquelle comparer",
)
declare(
    "nrd.evaluation.no_value",
    en="{set} lists {act} for {who} ({quantity}) without a value: {note} ({origin})",
    fr="{set} liste {act} pour {who} ({quantity}) sans valeur : {note} ({origin})",
)
declare(
    "nrd.evaluation.reference_values",
    en="{set}, {origin}: {values}",
    fr="{set}, {origin} : {values}",
)
declare(
    "nrd.evaluation.indicator_only",
    en="{quantity} is an indicator of practice only",
    fr="{quantity} n'est qu'un indicateur de pratique",
)
declare(
    "nrd.evaluation.ambiguous_choices",
    en="{n} acquisition choice(s) made among several candidates: review them ({uids}{more})",
    fr="{n} choix d'acquisition fait(s) entre plusieurs candidates : vérifiez-les ({uids}{more})",
)
declare(
    "nrd.evaluation.unmapped",
    en="{n} exam(s) of this device in the period are mapped to no act: map them, one may belong "
    "to this act",
    fr="{n} examen(s) de cet appareil sur la période ne sont associés à aucun acte : associez-les, "
    "l'un d'eux peut relever de cet acte",
)
declare(
    "nrd.evaluation.administration",
    en="values are the activity of administration {rank} of each exam",
    fr="les valeurs sont l'activité de l'administration {rank} de chaque examen",
)
declare(
    "nrd.evaluation.family_mismatch",
    en="device {device} performs {family} acts; {act} is a {act_family} act: check the device and "
    "the act",
    fr="l'appareil {device} réalise des actes de {family} ; {act} est un acte de {act_family} : "
    "vérifiez l'appareil et l'acte",
)
declare(
    "nrd.evaluation.manual_source",
    en="Source: manual entry ({n} rows typed or imported)",
    fr="Source : saisie manuelle ({n} lignes saisies ou importées)",
)

# ---- which acquisition stands for the act -----------------------------------------------------

declare("nrd.choice.override", en="chosen by the physicist", fr="choisie par le physicien")
declare(
    "nrd.choice.not_in_exam",
    en="the chosen acquisition {event} is not in this exam",
    fr="l'acquisition choisie {event} n'est pas dans cet examen",
)
declare("nrd.choice.only_candidate", en="the only candidate", fr="la seule candidate")
declare(
    "nrd.choice.mapped_protocol",
    en="the only acquisition whose protocol is mapped to {act}",
    fr="la seule acquisition dont le protocole est associé à {act}",
)
declare(
    "nrd.choice.closest_protocol",
    en="protocol {protocol!r} is the closest to {label!r}",
    fr="le protocole « {protocol} » est le plus proche de « {label} »",
)
declare(
    "nrd.choice.largest",
    en="largest {quantity} of {n} candidates: review",
    fr="{quantity} la plus grande des {n} candidates : à vérifier",
)


# ---- rows typed by hand (kerma.nrd.manual) ------------------------------------------------------

declare(
    "nrd.manual.not_a_date",
    en="{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    fr="« {text} » n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)",
)
declare(
    "nrd.manual.not_a_time",
    en="{text!r} is not a time (HH:MM)",
    fr="« {text} » n'est pas une heure (HH:MM)",
)
declare(
    "nrd.manual.unreadable_xlsx",
    en="not a readable XLSX file ({error})",
    fr="fichier XLSX illisible ({error})",
)
declare(
    "nrd.manual.not_csv_or_xlsx",
    en="{name}: expected a .csv or .xlsx file",
    fr="{name} : un fichier .csv ou .xlsx est attendu",
)
declare(
    "nrd.manual.no_rows",
    en="no rows: paste a header and one row a patient",
    fr="aucune ligne : collez un en-tête puis une ligne par patient",
)
declare("nrd.manual.unknown_column", en="unknown column", fr="colonne inconnue")
declare("nrd.manual.column_twice", en="column given twice", fr="colonne donnée deux fois")
declare(
    "nrd.manual.not_a_quantity",
    en="not a quantity of a {family} evaluation",
    fr="pas une grandeur d'une évaluation de {family}",
)
declare(
    "nrd.manual.missing_column",
    en="missing column (expected: {expected})",
    fr="colonne manquante (attendu : {expected})",
)
declare(
    "nrd.manual.unknown_unit",
    en="unknown unit {unit!r} ({known})",
    fr="unité inconnue « {unit} » ({known})",
)
declare("nrd.manual.header_no_rows", en="a header but no rows", fr="un en-tête mais aucune ligne")
declare("nrd.manual.empty", en="empty", fr="vide")
declare(
    "nrd.manual.not_a_sex",
    en="{text!r} is not a sex (M, F, O)",
    fr="« {text} » n'est pas un sexe (M, F, O)",
)
declare("nrd.manual.negative", en="{text!r} is negative", fr="« {text} » est négatif")
declare(
    "nrd.manual.not_a_number",
    en="{text!r} is not a number",
    fr="« {text} » n'est pas un nombre",
)
declare(
    "nrd.manual.outside_period",
    en="{day} is outside the period",
    fr="{day} est hors de la période",
)
declare(
    "nrd.manual.height_unclear",
    en="height unit unclear: write 'height (cm)' or 'height (m)'",
    fr="unité de taille ambiguë : écrivez « taille (cm) » ou « taille (m) »",
)

# ---- requests refused (NoticeError) -------------------------------------------------------------

declare(
    "nrd.error.act_not_found",
    en="act {act!r} is in no reference set (neither {set} nor the shipped sets): pass an Act",
    fr="l'acte « {act} » n'est dans aucun jeu de référence (ni {set} ni les jeux fournis)",
)
declare(
    "nrd.error.unknown_act",
    en="act {act!r} is in no reference set: check the code",
    fr="l'acte « {act} » n'est dans aucun jeu de référence : vérifiez le code",
)
declare(
    "nrd.error.unknown_category",
    en="weight category {category!r} is not in reference set {set} (its categories: {known})",
    fr="la classe de poids « {category} » n'est pas dans le jeu de référence {set} "
    "(ses classes : {known})",
)
declare(
    "nrd.error.unknown_category_none",
    en="weight category {category!r} is not in reference set {set} (its categories: none)",
    fr="la classe de poids « {category} » n'est pas dans le jeu de référence {set} "
    "(il n'en a aucune)",
)
declare(
    "nrd.error.paediatric_bounds",
    en="a paediatric evaluation needs one weight category with weight bounds (got {got})",
    fr="une évaluation pédiatrique demande une classe de poids avec des bornes de poids "
    "(reçu : {got})",
)
declare(
    "nrd.error.period_reversed",
    en="the period ends ({end}) before it starts ({start})",
    fr="la période se termine ({end}) avant de commencer ({start})",
)
declare(
    "nrd.error.not_by_hand",
    en="{family} acts cannot be entered by hand",
    fr="les actes de {family} ne peuvent pas être saisis à la main",
)
