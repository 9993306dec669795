"""What happens when an exam is stored: its skin-dose map, then its alerts, then the e-mails.

Connected in :class:`~kerma.web.followup.apps.FollowupConfig` to
:data:`kerma.web.dose.signals.exam_stored`, which the ingest sends after the exam's transaction
has committed. Nothing here may undo or stop an import: any failure is logged and, for the map,
recorded on the exam (``SkinDoseMap.status = "failed"``). Exams that are not projection exams
with a reference-point air kerma cost one query.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from kerma.web.dose.models import Exam
from kerma.web.followup.alerts import evaluate_exam
from kerma.web.followup.models import Alert
from kerma.web.followup.notify import notify
from kerma.web.followup.skin import compute_for_exam, wants_skin_dose

log = logging.getLogger(__name__)


def process_exam(exam: Exam, *, send: bool = True) -> list[Alert]:
    """Compute the exam's skin dose, evaluate its alerts and (``send``) e-mail the new ones;
    return the new alerts. A failing map still lets the Ka,r, DAP and time alerts through."""
    if not wants_skin_dose(exam):
        return []
    try:
        compute_for_exam(exam)
    except Exception:
        log.exception("skin-dose map of exam %s (%s) failed", exam.pk, exam.study_uid)
    new = evaluate_exam(exam)
    if send:
        for alert in new:
            notify(alert)
    return new


def on_exam_stored(sender: Any, exam_id: int, **kwargs: Any) -> None:
    """Signal receiver: follow up a freshly stored exam; never raises."""
    try:
        # A savepoint: a database error here leaves the caller's transaction usable.
        with transaction.atomic():
            exam = Exam.objects.select_related("device").filter(pk=exam_id).first()
            new = process_exam(exam, send=False) if exam is not None else []
    except Exception:
        log.exception("follow-up of exam %s failed; the exam stays stored", exam_id)
        return
    # E-mails after the alerts are committed, outside the database transaction.
    for alert in new:
        try:
            notify(alert)
        except Exception:
            log.exception("notification of alert %s failed", alert.pk)
