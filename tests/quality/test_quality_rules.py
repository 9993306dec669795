"""Pure rules of the quality system, at their bounds."""

from datetime import date

import pytest

from kerma.quality import actions, equipment, events, procedures, risks
from kerma.quality.dates import add_months, days_late

SOURCE = "décision ANSM (saisie par l'unité)"


def _yearly(kind: str = equipment.EXTERNAL_QC) -> equipment.Periodicity:
    return equipment.Periodicity("ct", kind, months=12, source=SOURCE)


def test_add_months_keeps_the_end_of_month():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert add_months(date(2025, 3, 1), -3) == date(2024, 12, 1)


def test_a_periodicity_needs_its_source_and_a_length():
    with pytest.raises(ValueError, match="source"):
        equipment.Periodicity("ct", "external_qc", months=12, source=" ")
    with pytest.raises(ValueError):
        equipment.Periodicity("ct", "external_qc", source=SOURCE)
    assert equipment.Periodicity("ct", "internal_qc", days=90, source=SOURCE).after(
        date(2025, 1, 1)
    ) == date(2025, 4, 1)


def test_control_is_overdue_from_the_day_after_its_due_date():
    last = date(2025, 3, 10)
    on_due = equipment.due(_yearly(), last, date(2026, 3, 10), device="CT1")
    assert on_due.next_due == date(2026, 3, 10)
    assert not on_due.overdue and on_due.days_late == 0 and on_due.notices == ()
    late = equipment.due(_yearly(), last, date(2026, 3, 11), device="CT1")
    assert late.overdue and late.days_late == 1
    assert late.notices[0].code == "quality.control_overdue"
    assert "1 jour(s) de retard" in late.notices[0].text("fr")
    assert late.as_dict()["next_due"] == "2026-03-10"


def test_a_control_never_done_runs_from_the_start_date_or_is_reported():
    started = equipment.due(_yearly(), None, date(2026, 1, 1), start=date(2025, 1, 1))
    assert started.next_due == date(2026, 1, 1) and not started.overdue
    unknown = equipment.due(_yearly(), None, date(2026, 1, 1))
    assert unknown.next_due is None and not unknown.overdue
    assert unknown.notices[0].code == "quality.control_never_done"


def test_no_clinical_use_without_a_recorded_conforming_acceptance_test():
    assert equipment.clinical_use_problems("CT1", None)[0].code == "quality.no_acceptance_test"
    bad = equipment.clinical_use_problems("CT1", date(2025, 1, 1), conforming=False)
    assert bad[0].code == "quality.acceptance_test_not_conforming"
    early = equipment.clinical_use_problems("CT1", date(2025, 1, 2), use_on=date(2025, 1, 1))
    assert early[0].code == "quality.acceptance_test_in_future"
    assert equipment.clinical_use_problems("CT1", date(2025, 1, 1), use_on=date(2025, 1, 1)) == []


def _event(severity: int = 2, category: str = "human", flags=frozenset()) -> events.EventFacts:
    return events.EventFacts(category, severity, date(2025, 6, 5), frozenset(flags))  # Thursday


ANALYSE_SEVERE = events.Criterion("gravité ≥ 3", events.ANALYSIS, "procédure REX v2", 3)
DECLARE = events.Criterion(
    "exposition d'une femme enceinte",
    events.DECLARATION,
    "guide de l'autorité suivi par l'unité",
    flags=frozenset({"pregnant"}),
    deadline_days=2,
    working_days=True,
)


def test_analysis_criterion_at_its_severity_bound():
    assert events.matching(_event(2), [ANALYSE_SEVERE], events.ANALYSIS) == []
    assert events.matching(_event(3), [ANALYSE_SEVERE], events.ANALYSIS) == [ANALYSE_SEVERE]
    found = events.findings(
        _event(3), [ANALYSE_SEVERE], analysed=False, declared_on=None, today=date(2025, 6, 5)
    )
    assert [n.code for n in found] == ["quality.analysis_required"]
    assert "procédure REX v2" in found[0].text("fr")
    assert events.findings(
        _event(3), [ANALYSE_SEVERE], analysed=True, declared_on=None, today=date(2025, 6, 5)
    ) == []


def test_criteria_need_a_source_and_a_known_purpose():
    with pytest.raises(ValueError):
        events.Criterion("x", events.ANALYSIS, "")
    with pytest.raises(ValueError):
        events.Criterion("x", "other", "src")


def test_declaration_deadline_in_working_days_and_late_the_day_after():
    pregnant = _event(1, flags={"pregnant"})
    # Thursday + 2 working days = Monday.
    assert events.declaration_deadline(pregnant, [DECLARE]) == date(2025, 6, 9)
    assert events.declaration_deadline(_event(1), [DECLARE]) is None
    calendar = events.Criterion("c", events.DECLARATION, "s", 1, deadline_days=2)
    assert events.declaration_deadline(pregnant, [DECLARE, calendar]) == date(2025, 6, 7)
    on_time = events.findings(
        pregnant, [DECLARE], analysed=True, declared_on=None, today=date(2025, 6, 9)
    )
    assert [n.code for n in on_time] == ["quality.declaration_required"]
    late = events.findings(
        pregnant, [DECLARE], analysed=True, declared_on=None, today=date(2025, 6, 10)
    )
    assert [n.code for n in late][-1] == "quality.declaration_late"
    done = events.findings(
        pregnant, [DECLARE], analysed=True, declared_on=date(2025, 6, 6), today=date(2025, 7, 1)
    )
    assert done == []


def test_register_review_frequency():
    assert events.next_review(date(2025, 1, 15), 6) == date(2025, 7, 15)
    assert events.review_findings(date(2025, 1, 15), 6, date(2025, 7, 15)) == []
    late = events.review_findings(date(2025, 1, 15), 6, date(2025, 7, 16))
    assert late[0].code == "quality.review_overdue"
    never = events.review_findings(None, 12, date(2026, 1, 2), start=date(2025, 1, 1))
    assert never[0].code == "quality.review_never_done"
    assert events.review_findings(None, 12, date(2025, 1, 2)) == []
    with pytest.raises(ValueError):
        events.next_review(None, 0)


def test_risk_score_before_and_after_barriers_at_the_scale_bounds():
    assert risks.score(1, 1) == 1 and risks.score(5, 5) == 25
    with pytest.raises(ValueError):
        risks.score(0, 3)
    with pytest.raises(ValueError):
        risks.score(3, 6)
    assert risks.scale_problems(6, 1)[0].code == "quality.risk_out_of_scale"
    a = risks.assess(4, 4, 2, 2)
    assert (a.before, a.after, a.reduction) == (16, 4, 12)
    assert (a.level_before, a.level_after) == ("high", "low")
    bands = risks.Bands()
    assert bands.level(4) == "low" and bands.level(5) == "medium"
    assert bands.level(9) == "medium" and bands.level(10) == "high"
    assert risks.assess(2, 3).after is None
    assert risks.matrix([(1, 5), (1, 5), (5, 1)])[4][0] == 2


def _action(status=actions.PLANNED, due_on=date(2025, 5, 1), **kw) -> actions.ActionItem:
    return actions.ActionItem("event", "1", "Former", "qualite", due_on, status, **kw)


def test_action_overdue_by_one_day_and_never_when_closed():
    assert not _action().overdue(date(2025, 5, 1))
    assert _action().overdue(date(2025, 5, 2))
    assert not _action(actions.DONE).overdue(date(2026, 1, 1))
    assert not _action(actions.CANCELLED).overdue(date(2026, 1, 1))
    assert not _action(due_on=None).overdue(date(2026, 1, 1))
    assert actions.findings(_action(), date(2025, 5, 3))[0].params["days"] == 2
    assert actions.findings(_action(actions.DONE), date(2025, 5, 3))[0].code == (
        "quality.effectiveness_due"
    )
    checked = _action(actions.DONE, effectiveness_checked=True)
    assert actions.findings(checked, date(2025, 5, 3)) == []
    assert actions.status_of(False, started=True) == actions.IN_PROGRESS
    assert actions.status_of(True) == actions.DONE


def test_programme_order_overdue_first():
    today = date(2025, 6, 1)
    late = _action(due_on=date(2025, 5, 1))
    soon = _action(due_on=date(2025, 7, 1))
    done = _action(actions.DONE, done_on=date(2025, 4, 1))
    assert actions.ordered([done, soon, late], today) == [late, soon, done]
    keys = set(late.as_dict(today))
    assert {"source", "title", "owner", "due_on", "status", "done_on"} <= keys


def test_missing_protocols():
    acts = {"CT1": {"Thorax": 40, "Crâne": 3}, "DX1": {"Thorax": 12}}
    covered = [("CT1", " thorax "), ("*", "crâne")]
    missing = procedures.missing_protocols(acts, covered)
    assert missing == [procedures.MissingProtocol("DX1", "Thorax", 12)]
    assert "DX1" in missing[0].as_notice().text("fr")
    assert procedures.missing_protocols(acts, covered, min_exams=20) == []


def test_days_late():
    assert days_late(None, date(2025, 1, 1)) == 0
    assert days_late(date(2025, 1, 1), date(2024, 12, 31)) == 0
