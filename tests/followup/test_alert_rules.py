"""The alert rules over plain procedures (no database): thresholds and the cumulation window."""

from datetime import date, time

from kerma.followup.alerts import (
    Procedure,
    cumulative_findings,
    in_window,
    procedure_findings,
    reaches,
)

LEVELS = {"kar": 5000.0, "dap": 500.0, "fluoro_time": 3600.0, "psd": None}.get


def proc(exam_id: int, day: date, kar: float | None, at: time | None = None) -> Procedure:
    return Procedure(exam_id, day, at, {"kar": kar, "dap": None, "fluoro_time": None, "psd": None})


def test_a_value_reaches_its_threshold_at_equality_not_below():
    assert reaches(5000.0, 5000.0)
    assert not reaches(4999.9, 5000.0)
    assert not reaches(None, 5000.0) and not reaches(6000.0, None)
    found = procedure_findings({"kar": 5000.0, "dap": 499.99, "psd": 9e9}, LEVELS)
    assert [(f.scope, f.quantity, f.value) for f in found] == [("procedure", "kar", 5000.0)]


def test_window_keeps_60_days_drops_61():
    anchor = proc(3, date(2026, 3, 2), 3000.0)
    day60 = proc(1, date(2026, 1, 1), 2000.0)  # 60 days before 2 March 2026
    day61 = proc(2, date(2025, 12, 31), 2000.0)
    kept = in_window(anchor, [day61, day60, anchor], 60)
    assert [p.exam_id for p in kept] == [1, 3]
    found = cumulative_findings(kept, LEVELS, 60)
    assert [(f.quantity, f.value, f.exam_ids, f.window_days) for f in found] == [
        ("kar", 5000.0, (1, 3), 60)
    ]
    assert cumulative_findings(in_window(anchor, [day61, anchor], 60), LEVELS, 60) == []


def test_same_day_procedures_count_up_to_the_anchor_only():
    day = date(2026, 5, 4)
    morning, noon, evening = (proc(i, day, 2600.0, time(h)) for i, h in ((7, 8), (5, 12), (6, 18)))
    assert [p.exam_id for p in in_window(noon, [evening, morning, noon], 60)] == [7, 5]
    assert len(cumulative_findings(in_window(noon, [evening, morning, noon], 60), LEVELS, 60)) == 1
    # alone, one procedure never makes a cumulated alert, whatever its dose
    assert cumulative_findings([proc(1, day, 9e6)], LEVELS, 60) == []
