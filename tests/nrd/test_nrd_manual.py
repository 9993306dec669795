"""Manual entry rows → exam records (pure: no database; the acts come from the shipped sets)."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.nrd.manual import ManualEntryError, cell_of, parse_rows, read_upload, split_text
from kerma.reference.loader import find_act

PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}


def act(code: str):
    found = find_act(code)
    assert found is not None, code
    return found


def parse(text: str, code: str = "RX-THORAX-PA"):
    return parse_rows(split_text(text), act(code), **PERIOD)


# ---- parsing ------------------------------------------------------------------------------


def test_semicolons_decimal_comma_and_units_in_the_header():
    parsed = parse(
        "date;âge (ans);sexe;poids (kg);taille (m);PDS (Gy·cm²)\n"
        "15/03/2024;52,5;F;70,2;1,70;0,125\n"
    )
    (record,) = parsed.records
    assert record.study_date == date(2024, 3, 15)
    assert (record.age_years, record.weight_kg, record.height_m) == (52.5, 70.2, 1.70)
    assert record.acquisitions[0].dap_gycm2 == pytest.approx(0.125)  # Gy·cm² as typed
    assert parsed.raw[0]["row"] == 2


def test_commas_with_quoted_decimal_commas_and_default_units():
    parsed = parse('date,age,weight,height,DAP\n2024-03-15,40,"70,5",172,120\n')
    (record,) = parsed.records
    assert record.weight_kg == 70.5
    assert record.height_m == pytest.approx(1.72)  # every height ≥ 50: centimetres
    assert record.acquisitions[0].dap_gycm2 == pytest.approx(0.120)  # mGy·cm² by default


def test_ct_columns():
    ct = parse(
        "date;age;weight;height (m);CTDIvol (mGy);DLP (mGy.cm)\n2024-02-01;60;80;1,8;9,5;610",
        "CT-TAP",
    )
    acq = ct.records[0].acquisitions[0]
    assert (acq.ctdivol_mgy, acq.dlp_mgycm, acq.acquisition_type) == (9.5, 610.0, "spiral")


def test_interventional_and_nuclear_medicine_columns():
    from dataclasses import replace

    from kerma.reference.vocabulary import Family

    pir = replace(
        act("RX-THORAX-PA"), code="PIR-TEST", family=Family.INTERVENTIONAL, per="procedure"
    )
    text = (
        "date;age;weight;height (cm);DAP (Gy·cm²);temps de scopie (min)\n"
        "2024-02-01;60;80;180;45,5;12,5"
    )
    (record,) = parse_rows(split_text(text), pir, **PERIOD).records
    assert (record.dap_total_gycm2, record.fluoro_time_s) == (45.5, 750.0)
    default = "date;age;weight;height (cm);DAP;fluoro time (s)\n2024-02-01;60;80;180;45,5;90"
    (record,) = parse_rows(split_text(default), pir, **PERIOD).records
    assert (record.dap_total_gycm2, record.fluoro_time_s) == (45.5, 90.0)  # Gy·cm² by default
    nm = parse(
        "date;age;weight;height (cm);activité (MBq)\n2024-02-01;60;80;180;650", "NM-SQUELETTE-TC"
    )
    assert nm.records[0].activity_mbq == 650.0
    with pytest.raises(ManualEntryError, match="unknown unit 'mCi'"):
        parse(
            "date;age;weight;height (cm);activity (mCi)\n2024-02-01;60;80;180;17", "NM-SQUELETTE-TC"
        )


def test_errors_name_the_row_and_the_column():
    with pytest.raises(ManualEntryError) as caught:
        parse(
            "date;age;weight;height (cm);DAP (mGy·cm²)\n"
            "2024-03-01;52;abc;170;100\n2024-13-01;52;70;170;\n"
        )
    text = str(caught.value)
    assert "row 2, column 'weight': 'abc' is not a number" in text
    assert "row 3, column 'date'" in text
    assert "row 3, column 'DAP (mGy·cm²)': empty" in text


def test_an_unknown_unit_or_column_is_refused_never_guessed():
    with pytest.raises(ManualEntryError, match=r"row 1, column 'DAP \(R·m²\)': unknown unit"):
        parse("date;age;weight;height (cm);DAP (R·m²)\n2024-03-01;52;70;170;100\n")
    with pytest.raises(ManualEntryError, match="row 1, column 'colour': unknown column"):
        parse("date;age;weight;height (cm);DAP;colour\n2024-03-01;52;70;170;100;red\n")
    with pytest.raises(ManualEntryError, match="not a quantity of a radiography evaluation"):
        parse("date;age;weight;height (cm);DAP;DLP\n2024-03-01;52;70;170;100;5\n")


def test_height_without_unit_is_refused_when_ambiguous():
    with pytest.raises(ManualEntryError, match="height unit unclear"):
        parse("date;age;weight;height;DAP\n2024-03-01;52;70;1,7;100\n2024-03-02;52;70;170;100\n")


def test_missing_column_and_row_outside_the_period():
    with pytest.raises(ManualEntryError, match="column 'weight': missing column"):
        parse("date;age;height (cm);DAP\n2024-03-01;52;170;100\n")
    with pytest.raises(ManualEntryError, match="row 2, column 'date': 2023-12-31 is outside"):
        parse("date;age;weight;height (cm);DAP\n2023-12-31;52;70;170;100\n")


def test_split_text_picks_the_separator_of_the_header():
    tabs = split_text("\ufeffdate\tage\n2024-01-02\t40\n")
    assert tabs == [["date", "age"], ["2024-01-02", "40"]]
    commas = split_text('date,weight\n2024-01-02,"70,5"')
    assert commas == [["date", "weight"], ["2024-01-02", "70,5"]]


def test_read_upload_refuses_other_files_and_reads_latin1_csv():
    with pytest.raises(ManualEntryError, match="expected a .csv or .xlsx file"):
        read_upload("doses.pdf", b"%PDF")
    rows = read_upload("doses.csv", "date;âge\n2024-01-02;40\n".encode("latin-1"))
    assert rows == [["date", "âge"], ["2024-01-02", "40"]]


def test_records_carry_the_act_and_the_sex_stays_in_the_raw_row():
    parsed = parse("date;sexe;age;weight;height (cm);DAP\n2024-03-01;h;52;70;170;100\n")
    (record,) = parsed.records
    assert (record.study_uid, record.act_code, record.procedure) == (
        "manual-0001",
        "RX-THORAX-PA",
        "RX-THORAX-PA",
    )
    assert cell_of(parsed.raw[0], "sex") == "H"
    assert parsed.units == {"age": "years", "weight": "kg", "dap": "mgy.cm2", "height": "cm"}


def test_row_problems_carry_their_notice_for_a_french_page():
    with pytest.raises(ManualEntryError) as caught:
        parse("date;age;weight;height (cm);DAP\n2024-03-01;52;abc;170;100\n")
    (problem,) = caught.value.errors
    assert problem.message == "'abc' is not a number"
    assert problem.notice is not None
    assert problem.notice.text("fr") == "« abc » n'est pas un nombre"
