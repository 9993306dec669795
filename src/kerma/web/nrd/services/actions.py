"""Corrective actions of an evaluation."""

from __future__ import annotations

from datetime import date

from kerma.web.nrd.models import CorrectiveAction, Evaluation


def add_action(
    evaluation: Evaluation, *, by: str, description: str, owner: str, due_date: date
) -> CorrectiveAction:
    """Add a corrective action to a draft evaluation (audited)."""
    action = CorrectiveAction(
        evaluation=evaluation,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    action.save(actor=by)
    return action
