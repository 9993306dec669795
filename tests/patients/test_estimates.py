"""Effective-dose estimates against hand calculations from the cited coefficients, at the age
and region bounds of the k-factor table; SSDE against TG-204/220's factors; risk rules."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.patients import coefficients as co
from kerma.patients import effective as e
from kerma.patients import risk
from kerma.patients.report import dose_section
from kerma.patients.ssde import FROM_IMAGE, FROM_REPORT, FROM_WEIGHT_HEIGHT, ssde


def ct(age, procedure, dlp=100.0, kvp=None):
    return e.ExamDose("1.2.3", "CT", age_years=age, procedure=procedure,
                      ct_events=(e.CtEvent(dlp, "", procedure, kvp),))


@pytest.mark.parametrize(
    ("age", "procedure", "k"),
    [
        (0.5, "CT chest", 0.0508),  # below 1 year: the newborn row (0)
        (0.99, "CT chest", 0.0508),
        (1.0, "CT chest", 0.0330),  # the 1-year bound
        (4.99, "CT chest", 0.0330),
        (5.0, "CT chest", 0.0240),
        (10.0, "CT chest", 0.0168),
        (15.0, "CT chest", 0.0121),
        (17.9, "CT chest", 0.0121),
        (18.0, "CT chest", 0.0210),  # adult from 18 years
        (None, "CT chest", 0.0210),  # unknown age: adult row
        (18.0, "TAP", 0.0180),  # chest-abdomen-pelvis
        (0.0, "Abdomen pelvis", 0.0475),
        (40.0, "Abdomen pelvis", 0.0179),
    ],
)
def test_ct_estimate_is_dlp_times_k_at_the_bounds(age, procedure, k):
    result = e.estimate(ct(age, procedure, dlp=250.0))
    assert result.method == e.CT
    assert result.effective_dose_msv == pytest.approx(250.0 * k)
    assert "Table XII" in result.coefficients[0]["source"]


def test_ct_head_rows_by_kvp_and_the_shrimpton_set():
    assert co.find_k_factor("Head", 40, 80).kvp == 80
    assert co.find_k_factor("Head", 40, 95).kvp == 100
    assert e.estimate(ct(30, "Brain", 200.0, kvp=120)).effective_dose_msv == pytest.approx(
        200.0 * co.find_k_factor("Head", 30, 120).k)
    shrimpton = co.find_k_factor("Head", 0, 120, coefficient_set="Shrimpton")
    assert shrimpton.k == 0.0110
    # Shrimpton has no 15-year value: nothing is guessed.
    assert co.find_k_factor("Chest", 16, 120, coefficient_set="Shrimpton") is None
    adult = e.estimate_ct(ct(50, "CT thorax", 100.0), k_set="Shrimpton")
    assert adult.effective_dose_msv == pytest.approx(1.4)


def test_ct_without_region_or_dlp_says_so():
    assert e.estimate(ct(40, "Knee", 100.0)).method == e.NONE
    none = e.estimate(e.ExamDose("1", "CT", age_years=40))
    assert none.effective_dose_msv is None and none.notices[0].code == "patients.no_quantity"


def test_ct_sums_events_of_different_regions():
    exam = e.ExamDose("1", "CT", age_years=40, procedure="", ct_events=(
        e.CtEvent(100.0, "Head", ""), e.CtEvent(300.0, "Chest", "")))
    expected = 100.0 * co.find_k_factor("Head", 40).k + 300.0 * 0.0210
    assert e.estimate(exam).effective_dose_msv == pytest.approx(expected)


def test_dap_estimate_only_with_a_cited_coefficient():
    coro = e.ExamDose("1", "XA", procedure="Coronarographie", dap_total_gycm2=20.0)
    assert e.estimate(coro).effective_dose_msv == pytest.approx(20.0 * 0.30)
    pci = e.ExamDose("1", "XA", procedure="PCI stent", dap_total_gycm2=50.0)
    assert e.estimate(pci).effective_dose_msv == pytest.approx(50.0 * 0.33)
    chest = e.estimate(e.ExamDose("1", "DX", procedure="Chest PA", dap_total_gycm2=0.1))
    assert chest.method == e.NONE and chest.notices[0].code == "patients.no_coefficient"


def test_nm_estimate_is_activity_times_icrp_coefficient():
    fdg = e.ExamDose("1", "PT", activity_mbq=250.0, radionuclide="^18^Fluorine",
                     radiopharmaceutical="Fluorodeoxyglucose F^18^")
    result = e.estimate(fdg)
    assert result.method == e.NM and result.effective_dose_msv == pytest.approx(250 * 0.019)
    assert "ICRP" in result.coefficients[0]["source"]
    mdp = e.ExamDose("1", "NM", activity_mbq=700.0, radionuclide="Technetium-99m",
                     radiopharmaceutical="Tc-99m MDP")
    assert e.estimate(mdp).effective_dose_msv == pytest.approx(700 * 0.0057)


def test_ssde_from_a_known_diameter_against_tg204_factors():
    # TG-204 Table 1 (32 cm phantom): f = 1.23 at 30 cm, 1.78 at 20 cm; Table 2 (16 cm):
    # f = 0.86 at 20 cm. TG-220: Dw replaces the effective diameter.
    at30 = ssde(10.0, dw_mm=300.0)
    assert at30.method == FROM_IMAGE and at30.factor == pytest.approx(1.23, abs=0.005)
    assert at30.ssde_mgy == pytest.approx(12.3, abs=0.05)
    assert ssde(10.0, dw_mm=200.0).factor == pytest.approx(1.78, abs=0.005)
    assert ssde(10.0, dw_mm=200.0, phantom_cm=16).factor == pytest.approx(0.86, abs=0.005)
    estimated = ssde(10.0, weight_kg=70.0, height_m=1.75)
    assert estimated.method == FROM_WEIGHT_HEIGHT and 22 < estimated.dw_cm < 23
    assert ssde(10.0, reported_mgy=13.0).method == FROM_REPORT
    assert ssde(10.0) is None


def test_cumulative_windows_and_recurrent_alert():
    today = date(2026, 12, 1)
    doses = [(date(2022, 1, 1), 40.0), (date(2024, 6, 1), 35.0), (date(2026, 11, 1), 30.0),
             (date(2020, 1, 1), 50.0), (None, 99.0), (date(2026, 1, 1), None)]
    assert risk.cumulative(doses, today, 1) == pytest.approx(30.0)
    assert risk.cumulative(doses, today, 5) == pytest.approx(105.0)
    alert = risk.recurrent_alert(doses, today)
    assert alert is not None and alert.params["threshold_msv"] == 100.0
    assert risk.recurrent_alert(doses[1:], today) is None
    low = risk.RiskSettings(recurrent_threshold_msv=20.0, recurrent_window_years=1)
    assert risk.recurrent_alert(doses, today, low) is not None


def test_pregnancy_check_for_women_of_child_bearing_age():
    assert risk.pregnancy_status("0001") == "not_pregnant"
    assert risk.pregnancy_status(4) == "unknown" and risk.pregnancy_status(None) == ""
    assert risk.pregnancy_unchecked("F", 15, "") is not None
    assert risk.pregnancy_unchecked("F", 49, "unknown") is not None
    assert risk.pregnancy_unchecked("F", 50, "") is None
    assert risk.pregnancy_unchecked("F", 30, "not_pregnant") is None
    assert risk.pregnancy_unchecked("M", 30, "") is None


def test_paediatric_categories_and_share():
    assert risk.age_group(0.1) == "0-<3 m" and risk.age_group(1.0) == "1-<6 y"
    assert risk.age_group(16) == "" and risk.weight_group(4.9) == "<5 kg"
    assert risk.weight_group(50) == "50-<80 kg"
    assert risk.paediatric_share([5, 17.9, 18, 40, None]) == (2, 5, 40.0)


def test_breast_feeding_advice_per_radiopharmaceutical():
    assert co.find_breast_feeding("Sodium pertechnetate", "Tc-99m").hours == 12
    assert co.find_breast_feeding("Fluorodeoxyglucose", "Fluorine^18^").hours == 0
    iodine = co.find_breast_feeding("Sodium iodide", "Iodine^131^")
    assert iodine.cessation and "ICRP Publication 106" in iodine.source
    assert co.find_breast_feeding("Unknown", "") is None


def test_dose_section_per_modality():
    device = {"manufacturer": "GE", "model": "Revolution", "serial_number": "42"}
    section = dose_section({"study_uid": "1", "modality": "CT", "dlp_total_mgycm": 512.34,
                            "ctdivol_max_mgy": 10.0}, device)
    assert [q.unit for q in section.quantities] == ["mGy", "mGy.cm"]
    assert "PDL (total) : 512,3 mGy.cm" in section.text("fr")
    assert "n° 42" in section.text("fr")
    nm = dose_section({"study_uid": "2", "modality": "NM", "activity_mbq": 700,
                       "radionuclide": "Tc-99m", "radiopharmaceutical": "MDP"}, device,
                      [{"route": "Intravenous route"}])
    keys = [q["key"] for q in nm.as_dict()["quantities"]]
    assert keys == ["radiopharmaceutical", "radionuclide", "activity_mbq", "route"]


@pytest.mark.parametrize(
    ("procedure", "dap", "coefficient"),
    [
        ("Coronarographie", 0.0, 0.30),  # the lower bound: no DAP, no dose
        ("Coronarographie", 23.2, 0.30),  # Brambilla's median KAP for CA
        ("CORONARY ANGIOGRAPHY + PCI", 56.8, 0.33),  # PCI wins over angiography (file order)
        ("ANGIOPLASTIE CORONAIRE", 500.0, 0.33),
        ("Artériographie des membres inférieurs", 40.0, 0.065),
    ],
)
def test_dap_estimate_is_dap_times_the_cited_coefficient(procedure, dap, coefficient):
    result = e.estimate(e.ExamDose("1", "XA", procedure=procedure, dap_total_gycm2=dap))
    assert result.method == e.DAP
    assert result.effective_dose_msv == pytest.approx(dap * coefficient)
    detail = result.coefficients[0]
    assert detail["msv_per_gycm2"] == coefficient and detail["tissue_weighting"] == "ICRP 103"
    assert "https://" in detail["source"]


def test_every_dap_row_carries_its_citation_and_projection_radiography_is_not_estimated():
    rows = co.dap_coefficients()
    assert rows == co.DAP_COEFFICIENTS and len(rows) == 3
    for row in rows:
        assert row.words and 0 < row.msv_per_gycm2 < 1
        assert "abstract" in row.source and " - https://" in row.source
    for modality, procedure in (("DX", "Thorax face"), ("CR", "Abdomen sans préparation"),
                                ("RF", "Transit oeso-gastro-duodénal"), ("XA", "Embolisation")):
        result = e.estimate(e.ExamDose("1", modality, procedure=procedure,
                                       dap_total_gycm2=1.0))
        assert result.effective_dose_msv is None and result.method == e.NONE
        assert result.notices[0].code == "patients.no_coefficient"


def test_effective_doses_are_rounded_on_the_way_out_only():
    from kerma.patients import rounding

    assert rounding.msv(4.451370000000001) == 4.45
    assert rounding.msv(0.0065) == 0.0065  # below 0.1 mSv: two significant figures
    assert rounding.msv(0.012345) == 0.012 and rounding.msv(None) is None
    assert rounding.msv_text(0.1) == "0.10" and rounding.msv_text(6.0, "fr") == "6,00"
    assert rounding.msv_text(0.0065, "fr") == "0,0065" and rounding.msv_text(None) == "—"
    pet = e.ExamDose("1", "PT", activity_mbq=234.3, radiopharmaceutical="FDG",
                     radionuclide="F-18")
    found = e.estimate(pet)
    assert found.effective_dose_msv == pytest.approx(234.3 * 0.019)  # kept whole
    assert found.as_dict()["effective_dose_msv"] == 4.45
    assert ssde(10.0, dw_mm=300.0).as_dict()["ssde_mgy"] == 12.31


UNIT_TABLE = (
    "procedure,words,msv_per_gycm2,tissue_weighting,citation,where,url\n"
    "Chest PA,thorax|chest,{value},ICRP 103,A cited publication,Table 4,https://example.org/t4\n"
)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("0", False), ("0.0001", True), ("10", True), ("10.01", False), ('"0,12"', True),
     ("abc", False)],
)
def test_a_units_coefficients_are_checked_at_the_plausibility_bounds(value, accepted):
    text = UNIT_TABLE.format(value=value)
    if not accepted:
        with pytest.raises(co.CoefficientError, match=r"unit\.csv, row 2: msv_per_gycm2"):
            co.parse_dap_coefficients(text, "unit.csv")
        return
    (row,) = co.parse_dap_coefficients(text, "unit.csv")
    assert row.msv_per_gycm2 == pytest.approx(float(value.strip('"').replace(",", ".")))
    assert row.source == "A cited publication; Table 4 - https://example.org/t4"


def test_a_units_coefficient_without_citation_or_words_is_refused():
    uncited = UNIT_TABLE.format(value="0.1").replace("A cited publication", "")
    with pytest.raises(co.CoefficientError, match="row 2: citation is empty"):
        co.parse_dap_coefficients(uncited, "unit.csv")
    with pytest.raises(co.CoefficientError, match="missing column"):
        co.parse_dap_coefficients("procedure,msv_per_gycm2\nChest,0.1\n", "unit.csv")
    wordless = UNIT_TABLE.format(value="0.1").replace("thorax|chest", " | ")
    with pytest.raises(co.CoefficientError, match="row 2: words is empty"):
        co.parse_dap_coefficients(wordless, "unit.csv")


def test_a_units_row_estimates_projection_radiography_and_wins_over_kermas():
    (chest,) = co.parse_dap_coefficients(UNIT_TABLE.format(value="0.12"), "unit.csv")
    radiograph = e.ExamDose("1", "DX", procedure="THORAX PA", dap_total_gycm2=0.15)
    assert e.estimate(radiograph).effective_dose_msv is None  # Kerma ships no such row
    found = e.estimate(radiograph, dap_coefficients=(chest, *co.DAP_COEFFICIENTS))
    assert found.method == e.DAP and found.effective_dose_msv == pytest.approx(0.15 * 0.12)
    assert found.coefficients[0]["source"].startswith("A cited publication")
