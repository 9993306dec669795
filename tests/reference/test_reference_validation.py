"""A physicist's own reference file: validated on load, errors naming file, line and field."""

from __future__ import annotations

import pytest

from kerma.reference import (
    ReferenceSetError,
    load_reference_file,
    load_reference_set,
    parse_reference_csv,
    reference_for,
)

HEADER = "act_code,act_label,modality,population,category,quantity,unit,nrd,vgd,source,note\n"
GOOD = 'CT-TAP,Thorax-abdomen-pelvis,ct,adult,,ctdivol,mGy,12,9,"Décision 2019, annexe 3",\n'


def problems(text: str, **kw) -> list:
    with pytest.raises(ReferenceSetError) as caught:
        parse_reference_csv(text, name="local", origin="local.csv", **kw)
    return caught.value.problems


def test_a_good_file_loads():
    refs = parse_reference_csv(HEADER + GOOD, name="local", origin="local.csv")
    ref = reference_for(refs, "CT-TAP", "adult", "ctdivol")
    assert (ref.nrd, ref.vgd, ref.origin) == (12.0, 9.0, "local.csv:2")


def test_unknown_unit():
    bad = GOOD.replace(",mGy,", ",mGy.cm2,")
    (p,) = problems(HEADER + bad)
    assert (p.file, p.line, p.field) == ("local.csv", 2, "unit")
    assert "mGy.cm2" in p.message and "ctdivol" in p.message
    assert "local.csv, line 2, field 'unit'" in str(p)


def test_duplicate_row():
    (p,) = problems(HEADER + GOOD + GOOD.replace(",12,9,", ",13,9,"))
    assert (p.line, p.field) == (3, "act_code")
    assert "duplicate of line 2" in p.message


def test_nrd_below_vgd():
    (p,) = problems(HEADER + GOOD.replace(",12,9,", ",8,9,"))
    assert (p.line, p.field) == (2, "vgd")
    assert "NRD 8 is lower than VGD 9" in p.message


def test_missing_source():
    (p,) = problems(HEADER + GOOD.replace('"Décision 2019, annexe 3"', ""))
    assert (p.line, p.field) == (2, "source")


def test_a_row_without_value_must_say_why():
    (p,) = problems(HEADER + GOOD.replace(",12,9,", ",,,"))
    assert p.field == "note"
    refs = parse_reference_csv(
        HEADER + GOOD.replace(",12,9,", ",,,").rstrip("\n") + "MISSING: not typed yet\n",
        name="local",
    )
    assert reference_for(refs, "CT-TAP", "adult", "ctdivol").has_value is False


def test_every_problem_is_reported_at_once():
    text = HEADER + GOOD.replace(",ct,", ",scanner,") + GOOD.replace(",adult,", ",adults,")
    found = problems(text)
    assert [(p.line, p.field) for p in found] == [(2, "modality"), (3, "population")]


def test_unknown_column_and_missing_column():
    found = problems(HEADER.replace("vgd", "vdg") + GOOD)
    assert {(p.line, p.field) for p in found} == {(1, "vdg")}
    found = problems(HEADER.replace(",source", "") + GOOD)
    assert (1, "source") in {(p.line, p.field) for p in found}


def test_bad_numbers_and_phantom():
    text = (
        HEADER.replace(",note", ",phantom_cm,note")
        + GOOD.replace(",12,9,", ",douze,9,").rstrip("\n")
        + "24,\n"
    )
    found = problems(text)
    assert {(p.line, p.field) for p in found} == {(2, "nrd"), (2, "phantom_cm")}


def test_paediatric_rows_need_a_defined_category():
    row = 'CT-THORAX,Thorax,ct,paediatric,5kg,ctdivol,mGy,3,,"source",\n'
    (p,) = problems(HEADER + row)
    assert (p.field, p.line) == ("category", 2)
    inline = parse_reference_csv(HEADER + row.replace("5kg", "10-20kg"), name="local")
    category = inline.category("10-20kg")
    assert category.contains(10) and not category.contains(20)


def test_semicolons_and_decimal_commas_from_a_spreadsheet():
    text = (
        "act_code;act_label;modality;population;quantity;unit;nrd;vgd;source\n"
        'RX-X;Thorax;radiography;adulte;dap;cGy.cm2;"0,3";;"arrêté 2011"\n'
        "RX-Y;Bassin;radiography;adult;dap;mGy.cm2;1 050;;arrêté\n"
    )
    refs = parse_reference_csv(text, name="local")
    assert reference_for(refs, "RX-X", "adult", "dap").nrd == 0.3
    assert reference_for(refs, "RX-Y", "adult", "dap").nrd == 1050.0


def test_one_label_per_act():
    other = GOOD.replace("Thorax-abdomen-pelvis", "TAP").replace(",ctdivol,mGy,", ",dlp,mGy.cm,")
    (p,) = problems(HEADER + GOOD + other)
    assert (p.line, p.field) == (3, "act_label")


def test_metadata_sidecar_and_bad_category(tmp_path):
    (tmp_path / "local.csv").write_text(HEADER + GOOD, encoding="utf-8")
    (tmp_path / "local.toml").write_text(
        'title = "Local DRLs"\nstatus = "local"\n'
        '[categories."5-15kg"]\nweight_min_kg = 15\nweight_max_kg = 5\nsource = "local"\n',
        encoding="utf-8",
    )
    with pytest.raises(ReferenceSetError) as caught:
        load_reference_file(tmp_path / "local.csv")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"categories.5-15kg"}
    assert "local.toml" in str(caught.value)


def test_a_supplement_adds_the_missing_2019_values(tmp_path):
    supplement = tmp_path / "fr-2019-complement.csv"
    supplement.write_text(
        HEADER + "MG-NUMERIQUE,Mammographie numérique,mammography,adult,,agd,mGy,1.5,,"
        '"(value typed by the physicist, with its citation)",\n' + GOOD,
        encoding="utf-8",
    )
    refs = load_reference_set("fr-2019-DC-0667", supplements=[supplement])
    mammo = reference_for(refs, "MG-NUMERIQUE", "adult", "agd")
    assert mammo.nrd == 1.5 and mammo.origin == "fr-2019-complement.csv:2"
    assert reference_for(refs, "CT-TAP", "adult", "ctdivol").nrd == 12.0
    assert reference_for(refs, "RX-THORAX-PA", "adult", "dap").nrd == 200.0
    assert refs.name == "fr-2019-DC-0667+fr-2019-complement"
    assert refs.missing_values() == []
    # the shipped set itself is untouched
    assert (
        reference_for(load_reference_set("fr-2019-DC-0667"), "MG-NUMERIQUE", "adult", "agd").nrd
        is None
    )


def test_a_supplement_cannot_contradict_a_value(tmp_path):
    supplement = tmp_path / "wrong.csv"
    supplement.write_text(
        HEADER + "RX-THORAX-PA,Thorax de face (postéro-antérieur),radiography,adult,,dap,"
        "mGy.cm2,210,150,typo,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="conflicts with fr-2019-DC-0667.csv"):
        load_reference_set("fr-2019-DC-0667", supplements=[supplement])


def test_unknown_set_name():
    with pytest.raises(FileNotFoundError, match="fr-2019-DC-0667"):
        load_reference_set("fr-2020")
