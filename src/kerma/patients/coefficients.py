"""The coefficients behind every estimate, each with its source; configurable data.

- CT: E/DLP k-factors (mSv per mGy·cm) by body region, age and kVp, from ``data/ct_k_factors.csv``
  (transcribed from Med Phys 2012;39(4):2129-2146, doi:10.1118/1.3693052, Table XII; see
  ``data/ct_k_factors_README.md`` for what was and was not verified).
- Projection radiography and interventional: E/DAP coefficients (mSv per Gy·cm²) from
  ``data/dap_coefficients.csv``, one row per procedure with its citation, where in the
  publication the value was read and its address: only the few procedures whose coefficient
  could be read in a publication. For any other procedure (projection radiography among them:
  no table of E/DAP per region could be read) Kerma estimates nothing and says so; the
  installation loads its own cited rows (:func:`parse_dap_coefficients` checks them), tried
  before these.
- Nuclear medicine: effective dose per administered activity (mSv per MBq, adult) per
  radiopharmaceutical, as published by the ICRP (cited through the secondary source where the
  value was read).
- Breast-feeding interruption per radiopharmaceutical: the ICRP Publication 106 column of the
  comparison tables of J Nucl Med Technol 2023;51(3):239.

Nothing here was invented: a value not found is absent, never guessed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

DATA = Path(__file__).with_name("data")
K_FACTORS_CSV = DATA / "ct_k_factors.csv"
DAP_COEFFICIENTS_CSV = DATA / "dap_coefficients.csv"

# The k-factor set used unless the installation chooses another: complete over ages 0-adult
# at 80/100/120 kVp and with today's (ICRP 103) tissue weighting factors. The Shrimpton set
# (ICRP 60, 120 kVp only) has no 15-year value.
DEFAULT_K_SET = "NCI ED103"
CT_REGIONS = ("Head", "Chest", "Abdomen/pelvis", "Chest-abdomen-pelvis (CAP)", "Trunk")
ADULT_TABLE_AGE = 30  # the table's "30 (adult)" rows
# Age from which the adult row applies: the seeds' paediatric definition is "< 18 years".
ADULT_FROM_YEARS = 18.0
_Row = TypeVar("_Row")  # a row with ``radionuclide`` and ``words``


@dataclass(frozen=True, slots=True)
class KFactor:
    """One row of the k-factor table: ``k`` in mSv/(mGy·cm) for a region, table age, kVp."""

    coefficient_set: str
    region: str
    table_age: int
    kvp: int
    k: float
    tissue_weighting: str
    source: str


@cache
def k_factors(path: Path = K_FACTORS_CSV) -> tuple[KFactor, ...]:
    """Return the k-factor rows of ``path`` (rows marked MISSING are left out)."""
    rows: list[KFactor] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                k = float(row["k_mSv_per_mGy_cm"])
            except ValueError:  # "MISSING (not given)": no value, never a guess
                continue
            rows.append(
                KFactor(
                    coefficient_set=row["coefficient_set"],
                    region=row["body_region"],
                    table_age=int(row["age_years"].split()[0]),
                    kvp=int(row["kVp"]),
                    k=k,
                    tissue_weighting=row["tissue_weighting"],
                    source=row["source"],
                )
            )
    return tuple(rows)


def table_age(age_years: float | None) -> int:
    """Return the row age of the k-factor table for a patient of ``age_years``.

    The band is the table age at or below the patient's age (0, 1, 5, 10, 15), and the adult
    row from 18 years (and when the age is unknown: the adult row, the common case).
    """
    if age_years is None or age_years >= ADULT_FROM_YEARS:
        return ADULT_TABLE_AGE
    for bound in (15, 10, 5, 1):
        if age_years >= bound:
            return bound
    return 0


def find_k_factor(
    region: str, age_years: float | None, kvp: float | None = None, *, coefficient_set: str =
    DEFAULT_K_SET,
) -> KFactor | None:
    """Return the k-factor for ``region`` and the patient's age band, or ``None``.

    ``kvp`` picks the table's 80, 100 or 120 kVp row (the nearest); unknown kVp takes 120 kVp.
    ``coefficient_set`` is matched on the start of the table's set name (``"NCI ED103"``,
    ``"NCI ED60"``, ``"Shrimpton"``).
    """
    age = table_age(age_years)
    candidates = [
        r for r in k_factors()
        if r.coefficient_set.startswith(coefficient_set) and r.region == region
        and r.table_age == age
    ]
    if not candidates:
        return None
    wanted = 120.0 if kvp is None else kvp
    return min(candidates, key=lambda r: (abs(r.kvp - wanted), -r.kvp))


# Words that name a CT region in protocols, procedures and target-region code meanings
# (English and French); the first matching rule wins, the most specific first.
_REGION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Chest-abdomen-pelvis (CAP)", ("chest-abdomen-pelvis", "chest abdomen pelvis", "tap",
                                    "thorax-abdomen-pelvis", "thoraco-abdomino", "cap")),
    ("Abdomen/pelvis", ("abdomen", "pelvis", "abdo", "pelvi", "bassin", "ap ", "urinary",
                        "kidney", "rein", "liver", "foie")),
    ("Chest", ("chest", "thorax", "thora", "lung", "poumon", "pulmo", "embol")),
    ("Head", ("head", "brain", "skull", "crane", "crâne", "cerveau", "encephal", "encéphal",
              "tete", "tête", "sinus")),
)


def ct_region(*texts: str | None) -> str | None:
    """Return the k-factor region named by the first of ``texts`` that names one, or ``None``."""
    for text in texts:
        if not text:
            continue
        words = f" {text.lower().replace('_', ' ')} "
        for region, keys in _REGION_WORDS:
            if any(_has_word(words, key) for key in keys):
                return region
    return None


def _has_word(text: str, key: str) -> bool:
    """Return whether ``key`` occurs in ``text`` as a word start (``tap`` not in ``strap``)."""
    key = key.strip()
    index = text.find(key)
    while index != -1:
        if not text[index - 1].isalpha():
            return True
        index = text.find(key, index + 1)
    return False


@dataclass(frozen=True, slots=True)
class DapCoefficient:
    """E/DAP for a procedure: ``mSv`` per Gy·cm², matched on words of the procedure name."""

    name: str
    words: tuple[str, ...]
    msv_per_gycm2: float
    tissue_weighting: str
    source: str


# The columns of a table of E/DAP coefficients (Kerma's own and a unit's): ``words`` are the
# words of a procedure name that select the row, separated by ``|``.
DAP_COLUMNS = ("procedure", "words", "msv_per_gycm2", "tissue_weighting", "citation", "where",
               "url")
DAP_REQUIRED = ("procedure", "words", "msv_per_gycm2", "citation")
# Published E/DAP coefficients lie between about 0.01 and a few mSv/(Gy·cm²) (the highest for
# infants): a value outside (0, 10] is a unit error (µSv or mSv/mGy·cm²), not a coefficient.
DAP_MAX_MSV_PER_GYCM2 = 10.0


class CoefficientError(ValueError):
    """A table of coefficients that cannot be used; the message names the row and column."""


def parse_dap_coefficients(text: str, origin: str = "table") -> tuple[DapCoefficient, ...]:
    """Return the E/DAP coefficients of a CSV ``text`` with the :data:`DAP_COLUMNS`.

    Raise :class:`CoefficientError` naming ``origin``, the row and the column for a missing
    column or value, a value that is not a number, or one outside (0, 10] mSv/(Gy·cm²). Every
    row must say where its value comes from (``citation``): Kerma uses no uncited coefficient.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in DAP_REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise CoefficientError(f"{origin}: missing column(s) {', '.join(missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        where = f"{origin}, row {number}"
        for column in DAP_REQUIRED:
            if not (row.get(column) or "").strip():
                raise CoefficientError(f"{where}: {column} is empty")
        try:
            value = float(row["msv_per_gycm2"].replace(",", "."))
        except ValueError:
            raise CoefficientError(
                f"{where}: msv_per_gycm2 {row['msv_per_gycm2']!r} is not a number"
            ) from None
        if not 0.0 < value <= DAP_MAX_MSV_PER_GYCM2:
            raise CoefficientError(
                f"{where}: msv_per_gycm2 {value:g} is outside (0, {DAP_MAX_MSV_PER_GYCM2:g}] "
                "mSv/(Gy·cm²) (a unit error?)"
            )
        words = tuple(w.strip().lower() for w in row["words"].split("|") if w.strip())
        if not words:
            raise CoefficientError(f"{where}: words is empty")
        source = "; ".join(
            part for part in (row["citation"].strip(), (row.get("where") or "").strip()) if part
        )
        if (row.get("url") or "").strip():
            source += f" - {row['url'].strip()}"
        rows.append(DapCoefficient(
            name=row["procedure"].strip(),
            words=words,
            msv_per_gycm2=value,
            tissue_weighting=(row.get("tissue_weighting") or "").strip(),
            source=source,
        ))
    return tuple(rows)


@cache
def dap_coefficients(path: Path = DAP_COEFFICIENTS_CSV) -> tuple[DapCoefficient, ...]:
    """Return the E/DAP coefficients of ``path``, in file order (the first match wins, so the
    most specific procedures come first); each row's ``source`` joins its citation, where in
    the publication the value was read, and its address."""
    return parse_dap_coefficients(path.read_text(encoding="utf-8"), str(path.name))


DAP_COEFFICIENTS: tuple[DapCoefficient, ...] = dap_coefficients()


def find_dap_coefficient(
    procedure: str | None, coefficients: tuple[DapCoefficient, ...] = DAP_COEFFICIENTS
) -> DapCoefficient | None:
    """Return the first coefficient whose words occur in ``procedure``, or ``None``."""
    text = f" {(procedure or '').lower()} "
    for coefficient in coefficients:
        if any(_has_word(text, word) for word in coefficient.words):
            return coefficient
    return None


@dataclass(frozen=True, slots=True)
class NmCoefficient:
    """Adult effective dose per administered activity: ``msv_per_mbq`` for a radiopharmaceutical
    (matched on the radionuclide and words of its name)."""

    name: str
    radionuclide: str
    words: tuple[str, ...]
    msv_per_mbq: float
    source: str


_ANDERSSON = (
    "ICRP value (MIRD phantom, ICRP 60 weighting) as listed in Andersson M. et al., EJNMMI "
    "Phys 2014;1:9, doi:10.1186/2197-7364-1-9, Table 1 column (E/A0)1 - "
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC4545621/table/Tab1"
)
_SNMMI_BONE = (
    "Data from the ICRP as tabulated in the SNMMI bone scintigraphy guideline (J Nucl Med), "
    "radiation dosimetry table, adult - https://jnm.snmjournals.org/highwire/markup/66143/"
    "expansion"
)

NM_COEFFICIENTS: tuple[NmCoefficient, ...] = (
    NmCoefficient("18F-FDG", "F-18", ("fdg", "fluorodeoxyglucose", "fludeoxyglucose"), 0.019,
                  _ANDERSSON + " (ICRP Publication 106)"),
    NmCoefficient("18F-sodium fluoride", "F-18", ("fluoride", "naf", "fluorure"), 0.024,
                  _SNMMI_BONE),
    NmCoefficient("99mTc-MDP (phosphonates)", "Tc-99m",
                  ("mdp", "medronate", "hdp", "oxidronate", "phosphon", "hmdp"), 0.0057,
                  _SNMMI_BONE),
    NmCoefficient("99mTc-pertechnetate", "Tc-99m", ("pertechnet",), 0.013,
                  "ICRP Publication 53, p. 199 (no blocking agent), as quoted in J Nucl Med "
                  "Technol 2014;42(3):163 - https://tech.snmjournals.org/content/42/3/163/"
                  "tab-figures-data"),
    NmCoefficient("51Cr-EDTA", "Cr-51", ("edta",), 0.0020, _ANDERSSON),
    NmCoefficient("67Ga-citrate", "Ga-67", ("citrate",), 0.10, _ANDERSSON),
)

# Radionuclide spellings seen in reports ("Fluorine^18^", "^18^Fluorine", "F18", "18F",
# "Technetium-99m") brought to one form.
_NUCLIDES = {
    "F-18": ("fluorine", "f-18", "f18", "18f", "fluor"),
    "Tc-99m": ("technetium", "tc-99m", "tc99m", "99mtc", "99m"),
    "I-131": ("i-131", "i131", "131i", "iodine-131", "iode 131", "iodine^131"),
    "I-123": ("i-123", "i123", "123i", "iodine-123", "iode 123", "iodine^123"),
    "Tl-201": ("thallium", "tl-201", "201tl"),
    "Ga-67": ("ga-67", "67ga", "gallium^67", "gallium-67"),
    "Ga-68": ("ga-68", "68ga", "gallium^68", "gallium-68"),
    "In-111": ("indium", "in-111", "111in"),
    "Cr-51": ("chromium", "cr-51", "51cr"),
}


def radionuclide(*texts: str | None) -> str | None:
    """Return the radionuclide (``"F-18"``, ``"Tc-99m"``...) named in ``texts``, or ``None``.

    Iodine and gallium need their mass number (131 or 123; 67 or 68): they are told apart only
    by it.
    """
    joined = " ".join(t for t in texts if t).lower().replace("^", "")
    compact = joined.replace(" ", "").replace("-", "")
    for nuclide, spellings in _NUCLIDES.items():
        for spelling in spellings:
            if spelling in joined or spelling.replace("-", "") in compact:
                if nuclide.startswith(("I-", "Ga-")) and nuclide[-3:].strip("-") not in compact:
                    continue
                return nuclide
    if "iod" in joined and "131" in compact:
        return "I-131"
    if "iod" in joined and "123" in compact:
        return "I-123"
    return None


def find_nm_coefficient(
    radiopharmaceutical: str | None, nuclide_text: str | None = None,
    coefficients: tuple[NmCoefficient, ...] = NM_COEFFICIENTS,
) -> NmCoefficient | None:
    """Return the coefficient for the radiopharmaceutical (and radionuclide), or ``None``."""
    return _by_nuclide(coefficients, radiopharmaceutical, nuclide_text)


def _by_nuclide(
    rows: tuple[_Row, ...], radiopharmaceutical: str | None, nuclide_text: str | None
) -> _Row | None:
    """Return the first row of the same radionuclide (when known) whose words occur in the
    radiopharmaceutical's name or the radionuclide text, or ``None``."""
    nuclide = radionuclide(nuclide_text, radiopharmaceutical)
    text = f" {(radiopharmaceutical or '').lower()} {(nuclide_text or '').lower()} "
    return next((row for row in rows
                 if (nuclide is None or row.radionuclide == nuclide)
                 and any(word in text for word in row.words)), None)


@dataclass(frozen=True, slots=True)
class BreastFeeding:
    """How long to interrupt breast-feeding after a radiopharmaceutical.

    ``hours`` 0 means no interruption needed; ``None`` with ``cessation`` true means stop
    (">3 weeks" in ICRP 106's column: in practice, cessation for this child).
    """

    name: str
    radionuclide: str
    words: tuple[str, ...]
    hours: float | None
    cessation: bool
    source: str


_BF = (
    "ICRP Publication 106 column of 'Duration of Breastfeeding Interruption', J Nucl Med "
    "Technol 2023;51(3):239 - https://tech.snmjournals.org/content/51/3/239.full"
)

BREAST_FEEDING: tuple[BreastFeeding, ...] = (
    BreastFeeding("99mTc-pertechnetate", "Tc-99m", ("pertechnet",), 12, False, _BF),
    BreastFeeding("99mTc-MDP", "Tc-99m", ("mdp", "medronate", "phosphon", "hdp"), 0, False, _BF),
    BreastFeeding("99mTc-sestamibi", "Tc-99m", ("sestamibi", "mibi"), 0, False, _BF),
    BreastFeeding("99mTc-MAG3", "Tc-99m", ("mag3", "mag-3", "mertiatide"), 0, False, _BF),
    BreastFeeding("99mTc-DTPA", "Tc-99m", ("dtpa", "pentetate"), 0, False, _BF),
    BreastFeeding("99mTc-RBC in vivo", "Tc-99m", ("rbc", "red blood", "hématies"), 12, False,
                  _BF),
    BreastFeeding("99mTc-HMPAO WBC", "Tc-99m", ("hmpao", "exametazime"), 12, False, _BF),
    BreastFeeding("18F-FDG", "F-18", ("fdg", "fluorodeoxyglucose", "fludeoxyglucose"), 0, False,
                  _BF),
    BreastFeeding("201Tl-chloride", "Tl-201", ("thall", "chloride"), 48, False, _BF),
    BreastFeeding("111In-octreotide", "In-111", ("octreo",), 0, False, _BF),
    BreastFeeding("131I-sodium iodide", "I-131", ("iodide", "nai", "iodure", "iod"), None, True,
                  _BF),
    BreastFeeding("123I-sodium iodide", "I-123", ("iodide", "nai", "iodure", "iod"), None, True,
                  _BF),
    BreastFeeding("67Ga-citrate", "Ga-67", ("citrate", "gallium"), None, True, _BF),
)


def find_breast_feeding(
    radiopharmaceutical: str | None, nuclide_text: str | None = None
) -> BreastFeeding | None:
    """Return the breast-feeding advice for the radiopharmaceutical, or ``None`` if unknown."""
    return _by_nuclide(BREAST_FEEDING, radiopharmaceutical, nuclide_text)
