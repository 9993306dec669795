import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.units import Dimension, UnitError, bmi, convert, known_units, to_canonical


@pytest.mark.parametrize(
    ("value", "unit", "expected_gycm2"),
    [
        (1.6e-5, "Gy.m2", 0.16),
        (11.013, "dGy.cm2", 1.1013),
        (58.1, "cGy.cm2", 0.581),
        (581.0, "mGy.cm2", 0.581),
        (58.1, "uGy.m2", 0.581),
        (2.5, "Gy.cm2", 2.5),
    ],
)
def test_dap_units_convert_to_gy_cm2(value, unit, expected_gycm2):
    assert to_canonical(value, unit, Dimension.DAP) == pytest.approx(expected_gycm2)


def test_each_dap_unit_differs_from_its_neighbour_by_its_own_factor():
    # 1 Gy·m² = 10^4 Gy·cm² = 10^5 dGy·cm² = 10^6 cGy·cm² = 10^7 mGy·cm² = 10^6 µGy·m²
    one = 1.0
    assert convert(one, "Gy.m2", "dGy.cm2", Dimension.DAP) == pytest.approx(1e5)
    assert convert(one, "dGy.cm2", "cGy.cm2", Dimension.DAP) == pytest.approx(10.0)
    assert convert(one, "cGy.cm2", "mGy.cm2", Dimension.DAP) == pytest.approx(10.0)
    assert convert(one, "Gy.m2", "uGy.m2", Dimension.DAP) == pytest.approx(1e6)
    assert convert(one, "uGy.m2", "mGy.cm2", Dimension.DAP) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("value", "unit", "dimension", "expected"),
    [
        (0.00252, "Gy", Dimension.DOSE, 2.52),
        (1.0, "dGy", Dimension.DOSE, 100.0),
        (0.01373, "dGy", Dimension.DOSE, 1.373),
        (2.0, "Gy.cm", Dimension.DLP, 2000.0),
        (514.0, "mm", Dimension.LENGTH, 514.0),
        (1.72, "m", Dimension.LENGTH, 1720.0),
        (100.8, "ms", Dimension.TIME, 0.1008),
        (2.0, "min", Dimension.TIME, 120.0),
        (20.0, "mCi", Dimension.ACTIVITY, 740.0),
        (370e6, "Bq", Dimension.ACTIVITY, 370.0),
        (9586.0, "uAs", Dimension.CHARGE, 9.586),
        (0.09, "m2", Dimension.AREA, 900.0),
    ],
)
def test_other_dimensions(value, unit, dimension, expected):
    assert to_canonical(value, unit, dimension) == pytest.approx(expected)


@pytest.mark.parametrize("unit", [None, "", "furlong", "mGy", "Gy.m"])
def test_missing_or_foreign_dap_unit_is_an_error_not_a_guess(unit):
    with pytest.raises(UnitError):
        to_canonical(1.0, unit, Dimension.DAP)


def test_error_names_the_unit_and_the_accepted_ones():
    with pytest.raises(UnitError, match=r"'mGy' is not a unit of dap.*Gy\.m2"):
        to_canonical(1.0, "mGy", Dimension.DAP)


@given(
    value=st.floats(min_value=1e-9, max_value=1e9, allow_nan=False),
    dimension=st.sampled_from(list(Dimension)),
    data=st.data(),
)
def test_conversion_round_trips(value, dimension, data):
    units = known_units(dimension)
    a = data.draw(st.sampled_from(units))
    b = data.draw(st.sampled_from(units))
    there = convert(value, a, b, dimension)
    back = convert(there, b, a, dimension)
    assert math.isclose(back, value, rel_tol=1e-9)


@pytest.mark.parametrize(
    ("weight", "height", "expected"),
    [(70.0, 1.75, 22.857), (0.0, 1.75, None), (70.0, None, None), (None, 1.7, None)],
)
def test_bmi(weight, height, expected):
    result = bmi(weight, height)
    assert result == (pytest.approx(expected, rel=1e-3) if expected else None)
