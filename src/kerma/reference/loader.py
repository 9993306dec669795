"""Reading and validating reference files (CSV values + optional TOML metadata sidecar).

:func:`load_reference_set` loads a set shipped with Kerma by name (see :func:`available_sets`) or a
user's file by path; :func:`load_reference_file` and :func:`parse_reference_csv` read a physicist's
own file (for example the 2019 values that Kerma could not trace, typed from the official text with
their citation). Every file is validated on load: a problem raises :class:`ReferenceSetError`, which
lists every problem found with its file, line and field. The format is described in ``README.md``
next to this module.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kerma.reference.tables import Act, Gap, Reference, ReferenceSet, WeightCategory
from kerma.reference.vocabulary import (
    DEFAULT_PER,
    POPULATION_ALIASES,
    Family,
    Population,
    Quantity,
    is_valid_per,
    units_for,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

REQUIRED_COLUMNS = (
    "act_code",
    "act_label",
    "modality",
    "population",
    "quantity",
    "unit",
    "nrd",
    "source",
)
OPTIONAL_COLUMNS = ("category", "condition", "vgd", "phantom_cm", "per", "note")
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)

_ACT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
# A paediatric category code that carries its own bounds: "10-20kg" means 10 ≤ weight < 20 kg.
_INLINE_CATEGORY = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)kg$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PHANTOMS = (16, 32)


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem: the file, the line (1 = header; 0 = whole file), the field."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        what = f", field '{self.field}'" if self.field else ""
        return f"{where}{what}: {self.message}"


class ReferenceSetError(ValueError):
    """A reference file that does not validate; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in reference data"
        super().__init__(head + ":\n  " + "\n  ".join(str(p) for p in problems))


def available_sets() -> list[str]:
    """Return the names of the reference sets shipped with Kerma (e.g. ``fr-2019-DC-0667``)."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv"))


def load_reference_set(
    name_or_path: str | Path, *, supplements: Iterable[str | Path] = ()
) -> ReferenceSet:
    """Return the reference set ``name_or_path``, validated, completed by ``supplements``.

    ``name_or_path`` is the name of a shipped set (:func:`available_sets`) or the path of a CSV
    file. Each supplement (a name or a path) fills rows the set lacks or lists without a value
    (:meth:`ReferenceSet.with_supplement`). Raises :class:`ReferenceSetError` when a file does not
    validate, FileNotFoundError when the name is neither a shipped set nor an existing file.
    """
    result = _load_one(name_or_path)
    for supplement in supplements:
        result = result.with_supplement(_load_one(supplement))
    return result


def _load_one(name_or_path: str | Path) -> ReferenceSet:
    if isinstance(name_or_path, str) and name_or_path in available_sets():
        return _load_shipped(name_or_path)
    path = Path(name_or_path)
    if path.is_file():
        return load_reference_file(path)
    raise FileNotFoundError(
        f"no reference set named {str(name_or_path)!r} (shipped sets: "
        f"{', '.join(available_sets())}) and no such file"
    )


@lru_cache(maxsize=16)
def _load_shipped(name: str) -> ReferenceSet:
    return load_reference_file(DATA_DIR / f"{name}.csv")


def find_act(code: str, extra_sets: Iterable[ReferenceSet] = ()) -> Act | None:
    """Return the act ``code`` from ``extra_sets`` or, failing that, from the shipped sets.

    Shipped sets in force are searched before abrogated ones, so an act keeps the label of the
    text in force. Used to evaluate an act against a set that does not list it (the evaluation
    then says "no reference").
    """
    shipped = sorted(
        (_load_shipped(n) for n in available_sets()), key=lambda s: s.status != "in_force"
    )
    for candidate in (*extra_sets, *shipped):
        act = candidate.act(code)
        if act is not None:
            return act
    return None


def load_reference_file(
    path: str | Path, *, metadata_path: str | Path | None = None
) -> ReferenceSet:
    """Return the set read from the CSV file ``path`` and its metadata sidecar.

    The sidecar is ``metadata_path`` or, when omitted, the ``.toml`` file of the same name next to
    the CSV when it exists (a CSV alone is a valid set: its name is the file's stem). Raises
    :class:`ReferenceSetError` listing every problem, with file, line and field.
    """
    path = Path(path)
    metadata: dict[str, Any] | None = None
    meta_file = Path(metadata_path) if metadata_path else path.with_suffix(".toml")
    if metadata_path or meta_file.is_file():
        try:
            metadata = tomllib.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problem = Problem(meta_file.name, 0, "", f"cannot read: {exc}")
            raise ReferenceSetError([problem]) from exc
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceSetError([Problem(path.name, 0, "", f"cannot read: {exc}")]) from exc
    return parse_reference_csv(
        text,
        name=str(metadata.get("name", path.stem)) if metadata else path.stem,
        origin=path.name,
        metadata=metadata,
        metadata_origin=meta_file.name,
    )


def parse_reference_csv(
    text: str,
    *,
    name: str,
    origin: str = "",
    metadata: Mapping[str, Any] | None = None,
    metadata_origin: str = "",
) -> ReferenceSet:
    """Return the set whose CSV content is ``text`` (for a file uploaded on a page).

    ``name`` names the set; ``origin`` names the file in error messages and in each row's
    ``origin``; ``metadata`` is the parsed sidecar (title, status, categories, gaps), if any.
    The delimiter is a comma, or a semicolon when the header has no comma (spreadsheet exports
    in French locales); decimal commas (``"0,3"``) and spaces in numbers (``"1 050"``) are read.
    Lines whose first cell starts with ``#`` are comments.
    """
    origin = origin or f"{name}.csv"
    meta_origin = metadata_origin or f"{name}.toml"
    problems: list[Problem] = []
    meta = dict(metadata or {})
    categories = _categories(meta.get("categories", {}), meta_origin, problems)
    gaps = _gaps(meta.get("gap", []), meta_origin, problems)
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ReferenceSetError([Problem(origin, 0, "", "the file is empty")])
    header = [h.strip() for h in header]
    for col in REQUIRED_COLUMNS:
        if col not in header:
            problems.append(Problem(origin, 1, col, "required column is missing"))
    for col in header:
        if col not in COLUMNS:
            problems.append(
                Problem(origin, 1, col, f"unknown column (known: {', '.join(COLUMNS)})")
            )
    if len(set(header)) != len(header):
        problems.append(Problem(origin, 1, "", "a column appears twice"))
    if problems:
        raise ReferenceSetError(problems)

    references: list[Reference] = []
    seen: dict[tuple[str, Population, str | None, Quantity], int] = {}
    acts: dict[str, tuple[int, str, Family, str]] = {}
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(origin, line_no, "", f"{len(cells)} cells for {len(header)} columns")
            )
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        ref = _row(row, name, origin, line_no, categories, problems)
        if ref is None:
            continue
        previous = seen.get(ref.key)
        if previous is not None:
            problems.append(
                Problem(
                    origin,
                    line_no,
                    "act_code",
                    f"duplicate of line {previous}: same act {ref.act_code}, population "
                    f"{ref.population}{' ' + ref.category if ref.category else ''} and quantity "
                    f"{ref.quantity}",
                )
            )
            continue
        seen[ref.key] = line_no
        known = acts.get(ref.act_code)
        if known is None:
            acts[ref.act_code] = (line_no, ref.act_label, ref.family, ref.per)
        else:
            first, label, family, per = known
            for fld, mine, theirs in (
                ("act_label", ref.act_label, label),
                ("modality", ref.family, family),
                ("per", ref.per, per),
            ):
                if mine != theirs:
                    problems.append(
                        Problem(
                            origin,
                            line_no,
                            fld,
                            f"act {ref.act_code} has {fld} {mine!r} here but {theirs!r} on line "
                            f"{first}: one act, one {fld}",
                        )
                    )
        references.append(ref)
    if problems:
        raise ReferenceSetError(problems)
    return ReferenceSet(
        name=name,
        title=str(meta.pop("title", name)),
        status=str(meta.pop("status", "")),
        references=tuple(references),
        categories=categories,
        gaps=gaps,
        metadata={k: v for k, v in meta.items() if k not in ("categories", "gap", "name")},
        origins=tuple(o for o in (origin, meta_origin if metadata else "") if o),
    )


def _number(text: str, origin: str, line: int, fld: str, problems: list[Problem]) -> float | None:
    """Return the positive number in ``text`` (None when blank); record a problem when invalid."""
    cleaned = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    if not _NUMBER.match(cleaned) or float(cleaned) <= 0:
        problems.append(
            Problem(
                origin,
                line,
                fld,
                f"{text!r} is not a positive number (write e.g. 1050 or 0.3; leave the cell "
                "blank when the value is absent and say why in 'note')",
            )
        )
        return None
    return float(cleaned)


def _row(
    row: dict[str, str],
    set_name: str,
    origin: str,
    line: int,
    categories: dict[str, WeightCategory],
    problems: list[Problem],
) -> Reference | None:
    """Return the validated row, or None after recording its problems."""
    before = len(problems)

    def bad(fld: str, message: str) -> None:
        problems.append(Problem(origin, line, fld, message))

    code = row["act_code"]
    if not _ACT_CODE.match(code):
        bad("act_code", f"{code!r} is not an act code (letters, digits, '.', '_', '+', '-')")
    if not row["act_label"]:
        bad("act_label", "the act needs a label")
    family: Family | None = None
    try:
        family = Family(row["modality"])
    except ValueError:
        bad("modality", f"{row['modality']!r} is not one of {', '.join(f.value for f in Family)}")
    population = POPULATION_ALIASES.get(row["population"].lower())
    if population is None:
        bad("population", f"{row['population']!r} is not 'adult' or 'paediatric'")
    category = row.get("category", "") or None
    if population is Population.ADULT and category:
        bad("category", f"an adult row has no weight category (got {category!r})")
    if population is Population.PAEDIATRIC:
        if not category:
            bad("category", "a paediatric row needs a weight category")
        elif category not in categories:
            inline = _INLINE_CATEGORY.match(category)
            if inline and float(inline.group(1)) < float(inline.group(2)):
                categories[category] = WeightCategory(
                    code=category,
                    label=f"{inline.group(1)} ≤ poids < {inline.group(2)} kg",
                    weight_min_kg=float(inline.group(1)),
                    weight_max_kg=float(inline.group(2)),
                    source=f"category code in {origin}",
                    bounds_source=f"category code in {origin}",
                )
            else:
                bad(
                    "category",
                    f"weight category {category!r} is not defined in the metadata file "
                    "([categories] table) and is not of the form '10-20kg'",
                )
    quantity: Quantity | None = None
    try:
        quantity = Quantity(row["quantity"])
    except ValueError:
        bad("quantity", f"{row['quantity']!r} is not one of {', '.join(q.value for q in Quantity)}")
    unit = row["unit"]
    if quantity is not None and unit not in units_for(quantity):
        bad(
            "unit",
            f"unit {unit!r} is not a unit of {quantity.value} (expected one of "
            f"{', '.join(units_for(quantity))})",
        )
    nrd = _number(row["nrd"], origin, line, "nrd", problems)
    vgd = _number(row.get("vgd", ""), origin, line, "vgd", problems)
    if nrd is not None and vgd is not None and nrd < vgd:
        bad("vgd", f"NRD {nrd:g} is lower than VGD {vgd:g}: the NRD must be ≥ the VGD")
    if vgd is not None and nrd is None and row["nrd"] == "":
        bad("nrd", "a VGD without an NRD: give the NRD too")
    note = row.get("note", "")
    if nrd is None and row["nrd"] == "" and not note:
        bad("note", "a row without an NRD must say why in 'note' (e.g. 'MISSING: not retrieved')")
    if not row["source"]:
        bad("source", "every row needs its source (text, article, table)")
    phantom: int | None = None
    if row.get("phantom_cm", ""):
        try:
            phantom = int(row["phantom_cm"])
        except ValueError:
            phantom = None
        if phantom not in _PHANTOMS:
            bad("phantom_cm", f"{row['phantom_cm']!r} is not a CTDI phantom (16 or 32)")
    per = row.get("per", "") or (DEFAULT_PER[family] if family is not None else "")
    if per and not is_valid_per(per):
        bad("per", f"{per!r} is not 'acquisition', 'procedure', 'exam' or 'administration-N'")
    if len(problems) > before or family is None or population is None or quantity is None:
        return None
    return Reference(
        set_name=set_name,
        act_code=code,
        act_label=row["act_label"],
        family=family,
        population=population,
        category=category if population is Population.PAEDIATRIC else None,
        condition=row.get("condition", ""),
        quantity=quantity,
        unit=unit,
        nrd=nrd,
        vgd=vgd,
        phantom_cm=phantom,
        per=per,
        source=row["source"],
        note=note,
        origin=f"{origin}:{line}",
    )


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    raise TypeError


def _categories(table: Any, origin: str, problems: list[Problem]) -> dict[str, WeightCategory]:
    """Return the weight categories of a metadata ``[categories]`` table."""
    result: dict[str, WeightCategory] = {}
    if not isinstance(table, dict):
        problems.append(Problem(origin, 0, "categories", "must be a table of categories"))
        return result
    for code, spec in table.items():
        fld = f"categories.{code}"
        if not isinstance(spec, dict):
            problems.append(Problem(origin, 0, fld, "must be a table"))
            continue
        try:
            low = _float_or_none(spec.get("weight_min_kg"))
            high = _float_or_none(spec.get("weight_max_kg"))
            nominal = _float_or_none(spec.get("nominal_weight_kg"))
        except TypeError:
            problems.append(Problem(origin, 0, fld, "weights must be numbers (kg)"))
            continue
        if low is not None and high is not None and not 0 <= low < high:
            problems.append(
                Problem(origin, 0, fld, f"weight_min_kg {low:g} must be ≥ 0 and < {high:g}")
            )
        if not spec.get("source"):
            problems.append(Problem(origin, 0, fld, "every category needs its source"))
        if (low is not None or high is not None) and not spec.get("bounds_source"):
            problems.append(
                Problem(origin, 0, fld, "weight bounds need their source (bounds_source)")
            )
        result[code] = WeightCategory(
            code=code,
            label=str(spec.get("label", code)),
            weight_min_kg=low,
            weight_max_kg=high,
            nominal_weight_kg=nominal,
            indicative_age=str(spec.get("indicative_age", "")),
            source=str(spec.get("source", "")),
            bounds_source=str(spec.get("bounds_source", "")),
        )
    return result


def _gaps(items: Any, origin: str, problems: list[Problem]) -> tuple[Gap, ...]:
    """Return the ``[[gap]]`` entries of a metadata file."""
    result: list[Gap] = []
    if not isinstance(items, list):
        problems.append(Problem(origin, 0, "gap", "must be an array of tables ([[gap]])"))
        return ()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("what") or not item.get("source"):
            problems.append(Problem(origin, 0, f"gap[{i}]", "needs 'what' and 'source'"))
            continue
        result.append(
            Gap(
                modality=str(item.get("modality", "")),
                population=str(item.get("population", "")),
                quantities=tuple(item.get("quantities", ())),
                units=tuple(item.get("units", ())),
                what=str(item["what"]),
                source=str(item["source"]),
            )
        )
    return tuple(result)
