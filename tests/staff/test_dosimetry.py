"""Measured dosimetry: rolling 12-month sums against the limits and the prediction."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.staff import Organ, Reading, check_measured, rolling_sums, twelve_months_before


def monthly(year: int, hp10: float, hp3: float | None = None) -> list[Reading]:
    readings = []
    for month in range(1, 13):
        end = date(year, month, 28)
        readings.append(Reading(date(year, month, 1), end, hp10, None, hp3))
    return readings


def test_twelve_months_window():
    assert twelve_months_before(date(2025, 6, 30)) == date(2024, 7, 1)


def test_rolling_sum_keeps_periods_ending_inside():
    readings = monthly(2024, 0.1, 1.0) + monthly(2025, 0.2)
    sums = rolling_sums(readings, date(2025, 3, 31))
    # Apr–Dec 2024 (9 × 0.1) + Jan–Mar 2025 (3 × 0.2)
    assert sums[Organ.WHOLE_BODY] == pytest.approx(1.5)
    assert sums[Organ.LENS] == pytest.approx(9.0)
    assert sums[Organ.EXTREMITIES] is None


def test_alerts_near_limit_over_limit_over_prediction():
    readings = monthly(2025, 0.1, 1.4)  # 16.8 mSv lens = 84 % of 20
    sums, found = check_measured(
        readings, date(2025, 12, 31), {Organ.LENS: 44.25, Organ.WHOLE_BODY: 1.0}
    )
    codes = sorted(n.code for n in found)
    assert codes == ["staff.measured.near_limit", "staff.measured.over_prediction"]
    over = [n for n in found if n.code == "staff.measured.over_prediction"][0]
    assert over.params["organ"] == "whole_body"  # 1.2 mSv measured > 1.0 predicted
    _, found = check_measured(monthly(2025, 0.1, 1.7), date(2025, 12, 31))
    assert [n.code for n in found] == ["staff.measured.over_limit"]
    assert "cristallin" in found[0].text("fr")
