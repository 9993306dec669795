"""Analysis, exceedances, sign-off by the RAN, and the frozen snapshot: 5 years, then supersede."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone
from nrdweb_factories import PERIOD

from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.models import (
    CorrectiveAction,
    Evaluation,
    FrozenEvaluationError,
)
from kerma.web.nrd.services import add_action, rerun, run_evaluation, save_evaluation

pytestmark = pytest.mark.django_db

ABOVE = [100.0 + 10 * k for k in range(30)]  # median 245 mGy·cm² > NRD 200
BELOW = [50.0 + 2 * k for k in range(30)]  # median 79 < VGD 150


@pytest.fixture
def draft(rx_unit) -> Evaluation:
    unit = rx_unit(ABOVE)
    return save_evaluation(run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="phys")


@pytest.fixture
def signed(draft) -> Evaluation:
    draft.analysis = "Median above the NRD: the exposure chart of the room is too generous."
    draft.save(actor="phys")
    add_action(
        draft,
        by="phys",
        description="Revise the thorax chart",
        owner="M. Dupont",
        due_date=date(2025, 3, 31),
    )
    draft.sign("ran")
    return Evaluation.objects.get(pk=draft.pk)


def test_sign_off_needs_the_analysis_then_a_justification_or_actions(draft):
    assert draft.exceeds_nrd
    with pytest.raises(ValidationError) as missing:
        draft.sign("ran")
    assert "analysis is missing" in str(missing.value)
    assert "justification or corrective actions" in str(missing.value)
    draft.analysis = "Above the NRD."
    draft.save()
    with pytest.raises(ValidationError, match="justification or corrective actions"):
        draft.sign("ran")
    # bypassing sign(): the model refuses the save as well
    draft.signed_by, draft.signed_at = "ran", timezone.now()
    with pytest.raises(ValidationError):
        draft.save()
    draft = Evaluation.objects.get(pk=draft.pk)
    draft.justification = "Bariatric and trauma patients dominate this month: complex cases."
    draft.save()
    draft.sign("ran")
    assert Evaluation.objects.get(pk=draft.pk).signed_by == "ran"


def test_no_exceedance_needs_only_the_analysis(rx_unit):
    unit = rx_unit(BELOW)
    evaluation = save_evaluation(run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="p")
    assert not evaluation.exceeds_nrd
    evaluation.analysis = "Below the VGD: check image quality."
    evaluation.save()
    evaluation.sign("ran")
    assert evaluation.is_signed and evaluation.is_locked()


def test_a_signed_evaluation_is_neither_edited_nor_deleted(signed):
    assert signed.retained_until.year == signed.signed_at.year + 5
    signed.analysis = "changed afterwards"
    with pytest.raises(FrozenEvaluationError, match="cannot be changed"):
        signed.save()
    with pytest.raises(FrozenEvaluationError, match="cannot be deleted"):
        Evaluation.objects.get(pk=signed.pk).delete()
    with pytest.raises(FrozenEvaluationError):
        Evaluation.objects.filter(pk=signed.pk).update(analysis="bulk change")
    with pytest.raises(FrozenEvaluationError):
        Evaluation.objects.filter(pk=signed.pk).delete()
    # pretending in memory that it is not signed changes nothing: the stored row decides
    sneaky = Evaluation.objects.get(pk=signed.pk)
    sneaky.signed_at = None
    with pytest.raises(FrozenEvaluationError):
        sneaky.delete()
    with pytest.raises(FrozenEvaluationError):
        rerun(Evaluation.objects.get(pk=signed.pk), by="phys")
    stored = Evaluation.objects.get(pk=signed.pk)
    assert stored.analysis.startswith("Median above") and stored.signed_by == "ran"


def test_actions_keep_their_text_but_record_their_follow_up(signed):
    action = signed.actions.get()
    action.owner = "someone else"
    with pytest.raises(FrozenEvaluationError, match="only the follow-up"):
        action.save()
    with pytest.raises(FrozenEvaluationError):
        CorrectiveAction.objects.get(pk=action.pk).delete()
    with pytest.raises(FrozenEvaluationError, match="no action is added"):
        add_action(signed, by="x", description="late idea", owner="y", due_date=date(2026, 1, 1))
    action = CorrectiveAction.objects.get(pk=action.pk)
    action.mark_done("tech")
    stored = CorrectiveAction.objects.get(pk=action.pk)
    assert stored.done and stored.done_by == "tech" and stored.owner == "M. Dupont"


def test_deletion_is_possible_once_the_five_years_are_over(signed, monkeypatch):
    later = signed.signed_at + timedelta(days=5 * 366)
    assert not signed.is_locked(later)
    monkeypatch.setattr(timezone, "now", lambda: later)
    Evaluation.objects.get(pk=signed.pk).delete(actor="archivist")
    assert not Evaluation.objects.filter(pk=signed.pk).exists()
    entry = AuditEntry.objects.filter(object_type="evaluation", action="delete").get()
    assert entry.actor == "archivist" and entry.before["signed_by"] == "ran"


def test_drafts_may_be_deleted(draft):
    draft.delete()
    assert not Evaluation.objects.filter(pk=draft.pk).exists()


def test_supersede_makes_a_new_version_and_keeps_the_signed_one(signed, monkeypatch):
    with pytest.raises(ValidationError, match="only a signed"):
        Evaluation(pk=None, **{f: getattr(signed, f) for f in Evaluation.CONTENT_FIELDS}).supersede(
            "phys"
        )
    v2 = signed.supersede("phys", reason="acquisition of e10 was the profile view")
    assert (v2.version, v2.previous_id, v2.is_signed) == (2, signed.pk, False)
    assert v2.selected == signed.selected and v2.analysis == signed.analysis
    assert [a.description for a in v2.actions.all()] == ["Revise the thorax chart"]
    # the new version is a draft: re-run with the physicist's choice, analysed, signed
    rerun(v2, by="phys", overrides={"e10": "ev.10.lat"})
    v2 = Evaluation.objects.get(pk=v2.pk)
    e10 = next(s for s in v2.selected if s["study_uid"] == "e10")
    assert e10["event_uid"] == "ev.10.lat"
    v2.sign("ran")
    old = Evaluation.objects.get(pk=signed.pk)
    assert old.superseded_by.pk == v2.pk
    assert next(s for s in old.selected if s["study_uid"] == "e10")["event_uid"] == "ev.10"
    assert [e.pk for e in v2.history()] == [signed.pk, v2.pk]
    with pytest.raises(ValidationError, match="already superseded"):
        old.supersede("phys")
    # the history is kept: v1 cannot go while v2 points to it, even after its 5 years
    with pytest.raises(FrozenEvaluationError):
        old.delete()
    later = old.signed_at + timedelta(days=5 * 366)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(ProtectedError):
        Evaluation.objects.get(pk=old.pk).delete()
    superseded = AuditEntry.objects.get(object_id=str(signed.pk), action="superseded")
    assert superseded.after == {"next_version": v2.pk} and "profile view" in superseded.summary
