"""The shipped reference tables: they load, match their files, trace every value to a source."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from kerma.reference import (
    Family,
    Population,
    Quantity,
    ReferenceSet,
    available_sets,
    convert_value,
    load_reference_set,
    reference_for,
)
from kerma.reference.loader import DATA_DIR

SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference"
needs_shared = pytest.mark.skipif(
    not (SHARED / "nrd_2011.csv").exists(), reason="../shared/reference is not present"
)


def raw_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_available_sets():
    assert available_sets() == ["fr-2011-arrete", "fr-2019-DC-0667"]


@pytest.mark.parametrize("name", ["fr-2011-arrete", "fr-2019-DC-0667"])
def test_loaded_table_matches_the_file(name):
    refs = load_reference_set(name)
    rows = raw_rows(name)
    assert len(refs.references) == len(rows)
    for ref, row in zip(refs.references, rows, strict=True):
        assert ref.act_code == row["act_code"]
        assert ref.act_label == row["act_label"]
        assert ref.family == row["modality"]
        assert ref.population == row["population"]
        assert (ref.category or "") == row["category"]
        assert ref.quantity == row["quantity"]
        assert ref.unit == row["unit"]
        assert ref.nrd == (float(row["nrd"]) if row["nrd"] else None)
        assert ref.vgd == (float(row["vgd"]) if row["vgd"] else None)
        assert ref.source == row["source"]


@pytest.mark.parametrize("name", ["fr-2011-arrete", "fr-2019-DC-0667"])
def test_every_row_has_a_source_and_every_absent_value_a_reason(name):
    refs = load_reference_set(name)
    for ref in refs.references:
        assert ref.source.strip(), ref.origin
        if ref.nrd is None:
            assert ref.note.startswith("MISSING"), ref.origin
        if ref.vgd is not None:
            assert ref.nrd is not None and ref.nrd >= ref.vgd


def test_2019_values_and_vgd(ref2019):
    thorax = reference_for(ref2019, "RX-THORAX-PA", "adult", "dap")
    assert (thorax.nrd, thorax.vgd, thorax.unit) == (200.0, 150.0, "mGy.cm2")
    assert "2019-DC-0667" in thorax.source and "2.1" in thorax.source
    opt = reference_for(ref2019, "DENT-OPT", Population.ADULT, Quantity.DAP)
    assert (opt.nrd, opt.vgd, opt.family) == (150.0, 100.0, Family.DENTAL)
    assert ref2019.status == "in_force"


def test_2019_lists_digital_mammography_without_a_value(ref2019):
    mammo = reference_for(ref2019, "MG-NUMERIQUE", "adult", "agd")
    assert mammo is not None and not mammo.has_value and mammo.nrd is None
    assert "MISSING" in mammo.note
    assert [r.act_code for r in ref2019.missing_values()] == ["MG-NUMERIQUE"]


def test_2019_says_which_tables_are_missing(ref2019):
    missing = {(g.modality, g.population) for g in ref2019.gaps}
    assert ("ct", "adult") in missing
    assert ("interventional", "adult") in missing
    assert ("nuclear_medicine", "paediatric") in missing
    assert reference_for(ref2019, "CT-TAP", "adult", "ctdivol") is None
    assert ref2019.categories == {}


def test_2011_dap_in_cgy_cm2_is_converted_for_comparison(ref2011):
    thorax = reference_for(ref2011, "RX-THORAX-PA", "adult", "dap")
    assert (thorax.nrd, thorax.unit, thorax.vgd) == (25.0, "cGy.cm2", None)
    assert thorax.nrd_in("mGy.cm2") == 250.0
    assert convert_value(700, "cGy.cm2", "Gy.cm2", Quantity.DAP) == 7.0
    assert convert_value(1, "uGy.m2", "cGy.cm2", Quantity.DAP) == 1.0  # arrêté 2011, tableau 2
    assert ref2011.status == "abrogated"


def test_2011_paediatric_categories_are_data(ref2011):
    ten = ref2011.category("10kg")
    assert (ten.nominal_weight_kg, ten.indicative_age) == (10.0, "1 an")
    assert ten.contains(6.75) and ten.contains(14.99) and not ten.contains(15)
    assert "convention" in ten.bounds_source
    head = reference_for(ref2011, "CT-ENCEPHALE", "paediatric", "ctdivol", "10kg")
    assert (head.nrd, head.phantom_cm) == (30.0, 16)
    assert reference_for(ref2011, "CT-ENCEPHALE", "paediatric", "ctdivol", "3.5kg") is None


def test_2011_one_day_myocardial_protocol_is_one_act_per_injection(ref2011):
    first = reference_for(ref2011, "NM-MYOCARDE-TC-1J-INJ1", "adult", "activity")
    second = reference_for(ref2011, "NM-MYOCARDE-TC-1J-INJ2", "adult", "activity")
    assert (first.nrd, first.per, second.nrd, second.per) == (
        300.0,
        "administration-1",
        800.0,
        "administration-2",
    )


# --- traceability to ../shared/reference (the files the values were transcribed from) --------

_QUANTITY = {"PDS": "dap", "De": "esd", "DMG": "agd", "IDSV": "ctdivol", "PDL": "dlp"}


def _shared_key(row: dict[str, str]) -> tuple[str, str, str, str, str]:
    label = row["act_code_or_label"].removesuffix(" (*)").strip()
    population = "adult" if row["population"] == "adulte" else "paediatric"
    weight = re.search(r"poids ([\d.]+) kg", row["patient_category"])
    category = f"{weight.group(1)}kg" if weight and population == "paediatric" else ""
    head = row["quantity"].split(" ")[0]
    quantity = _QUANTITY.get(head, "activity" if head == "activité" else head)
    renal = re.search(r"fonction rénale \w+", row["patient_category"])
    return (label, population, category, quantity, renal.group(0) if renal else "")


def _shared_values(text: str) -> list[float]:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?(/\d+(\.\d+)?)*", text):
        return sorted(float(v) for v in text.split("/"))
    return []


@needs_shared
@pytest.mark.parametrize(
    ("name", "shared_file"),
    [("fr-2011-arrete", "nrd_2011.csv"), ("fr-2019-DC-0667", "nrd_2019.csv")],
)
def test_values_match_the_shared_trace(name, shared_file):
    """Every value of the shared trace is in the set, and the set holds no other value."""
    refs: ReferenceSet = load_reference_set(name)
    Key = tuple[str, str, str, str, str]
    expected: dict[Key, list[float]] = {}
    vgds: dict[Key, list[float]] = {}
    with (SHARED / shared_file).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["act_code_or_label"].startswith(("ALL ", "some ", "Partie", "pediatric")):
                continue  # whole tables not retrieved: gaps in the metadata, no rows
            key = _shared_key(row)
            expected.setdefault(key, []).extend(_shared_values(row["nrd"]))
            vgds.setdefault(key, []).extend(_shared_values(row["vgd"]))
    got: dict[Key, list[float]] = {}
    got_vgd: dict[Key, list[float]] = {}
    for ref in refs.references:
        renal = ref.condition if ref.condition.startswith("fonction rénale") else ""
        key = (ref.act_label, ref.population.value, ref.category or "", ref.quantity.value, renal)
        got.setdefault(key, []).extend([ref.nrd] if ref.nrd is not None else [])
        got_vgd.setdefault(key, []).extend([ref.vgd] if ref.vgd is not None else [])
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert sorted(got[key]) == sorted(values), key
        assert sorted(got_vgd[key]) == sorted(vgds[key]), key
