"""Why a file is not read: the codes of :class:`kerma.dose.DoseObjectError`, in French and English.

The technical detail (a parser's own message, a tag) stays as the parser wrote it; the sentence
around it is worded in the reader's language.
"""

from kerma.notices import Notice, declare, notice

UNREADABLE_FILE = declare(
    "dicom.unreadable_file",
    en="unreadable file: {detail}",
    fr="fichier illisible : {detail}",
)
NOT_DICOM = declare(
    "dicom.not_dicom",
    en="{detail}",
    fr="pas un fichier DICOM : {detail}",
)
CORRUPTED_FILE = declare(
    "dicom.corrupted_file",
    en="corrupted DICOM file: {detail}",
    fr="fichier DICOM corrompu : {detail}",
)
NO_SOP_UID = declare(
    "dicom.no_sop_instance_uid",
    en="no SOP Instance UID (0008,0018)",
    fr="pas de SOP Instance UID (0008,0018)",
)
NO_STUDY_UID = declare(
    "dicom.no_study_instance_uid",
    en="no Study Instance UID (0020,000D)",
    fr="pas de Study Instance UID (0020,000D)",
)
CORRUPTED_TREE = declare(
    "dicom.corrupted_content_tree",
    en="corrupted content tree: {detail}",
    fr="arbre de contenu SR corrompu : {detail}",
)
CORRUPTED_CONTENT = declare(
    "dicom.corrupted_content",
    en="corrupted DICOM content: {detail}",
    fr="contenu DICOM corrompu : {detail}",
)
MODALITY_WITHOUT_DOSE = declare(
    "dicom.modality_without_dose",
    en="modality {modality!r} carries no dose Kerma reads",
    fr="la modalité {modality!r} ne porte aucune dose que Kerma lit",
)
HEADER_WITHOUT_DOSE = declare(
    "dicom.header_without_dose",
    en="{modality} image header carries no dose value",
    fr="l'en-tête de l'image {modality} ne porte aucune valeur de dose",
)
NOT_DOSE_REPORT = declare(
    "dicom.not_dose_report",
    en="structured report is not a dose report (title: {title})",
    fr="le rapport structuré n'est pas un rapport de dose (titre : {title})",
)
CONCEPT_MISSING_UNIT = declare(
    "dicom.concept_missing_unit",
    en="{concept}: missing unit (expected one of {expected})",
    fr="{concept} : unité absente (attendue : {expected})",
)
CONCEPT_WRONG_UNIT = declare(
    "dicom.concept_wrong_unit",
    en="{concept}: unit {unit!r} is not a unit of {dimension} (expected one of {expected})",
    fr="{concept} : l'unité {unit!r} n'est pas une unité de {dimension} (attendue : {expected})",
)

# What the reader skipped or could not place in a report it read (DoseReport.warnings).
VALUE_NOT_A_NUMBER = declare(
    "dicom.value_not_a_number",
    en="{concept}: value {value!r} is not a number; skipped",
    fr="{concept} : la valeur {value!r} n'est pas un nombre ; ignorée",
)
EMPTY_NUMERIC_VALUE = declare(
    "dicom.empty_numeric_value",
    en="{concept}: empty numeric value; skipped",
    fr="{concept} : valeur numérique vide ; ignorée",
)
RADSUM_TOTALS_ONLY = declare(
    "dicom.siemens_radsum_totals_only",
    en="Siemens radiation summary: {exposures} exposures, totals only "
    "(no irradiation event listed)",
    fr="résumé de dose Siemens : {exposures} expositions, totaux seuls "
    "(aucun événement d'irradiation listé)",
)
RADSUM_WITHOUT_TOTALS = declare(
    "dicom.siemens_radsum_without_totals",
    en="Siemens radiation summary (99SMS_RADSUM) holds neither cumulative dose area "
    "product (C-204) nor fluoroscopy time (C-202)",
    fr="le résumé de dose Siemens (99SMS_RADSUM) ne porte ni produit dose-surface cumulé "
    "(C-204) ni temps de scopie (C-202)",
)


def concept_unit_problem(concept: str, problem: Notice) -> Notice:
    """Return the reason a concept's value was refused, from the unit problem
    (``units.missing`` or ``units.wrong_dimension``) that :func:`kerma.units.to_canonical` gave."""
    code = CONCEPT_MISSING_UNIT if problem.code == "units.missing" else CONCEPT_WRONG_UNIT
    return notice(code, concept=concept, **problem.params)
