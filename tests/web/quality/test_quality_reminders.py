"""The DICOM node sends the due reminders by itself, at most once per interval, each message
once per item and address, through a real SMTP server on loopback: an overdue action to its
owner, an overdue control to the quality managers of the device's unit (not another unit's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.web.followup import conftest as followup_fixtures
from tests.web.quality.conftest import SOURCE

from kerma.dicom.node import NodeState
from kerma.ingest.inbox import Inbox
from kerma.ingest.reminders import ReminderClock
from kerma.ingest.worker import ImportWorker
from kerma.web.quality.models import ActionReminder, ControlRecord, Periodicity, QualityAction

pytestmark = pytest.mark.django_db
smtp = followup_fixtures.smtp  # a real SMTP server on loopback

DAY = 24 * 3600.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _overdue_action(unit, owner: str, title: str) -> QualityAction:
    row = QualityAction(
        unit=unit,
        source="inspection",
        inspection_letter="LDS 2025-07",
        title=title,
        owner=owner,
        due_on=timezone.localdate() - timedelta(days=1),  # late from today
    )
    row.save()
    return row


def _worker(tmp_path, clock: Clock) -> ImportWorker:
    reminders = ReminderClock(DAY, clock=clock)
    return ImportWorker(
        Inbox(tmp_path / "inbox"), NodeState(), aet="KERMA", host="", port=0,
        keep_status=False, reminders=reminders,
    )


def test_the_node_mails_overdue_actions_and_controls_once_a_day(
    smtp, user, units, device, tmp_path
):
    manager = user("quality_manager", email="qualite@example.org")
    user("quality_manager", unit="other", email="autre@example.org")
    today = timezone.localdate()
    ct = device("ct1")
    Periodicity(unit=units["main"], device_type="ct", kind="internal_qc", months=3,
                source=SOURCE).save()
    ControlRecord(device=ct, kind="internal_qc", done_on=today - timedelta(days=200)).save()
    _overdue_action(units["main"], manager.username, "Mettre à jour le POPM")
    clock = Clock()
    worker = _worker(tmp_path, clock)

    worker._step()  # the first step of the node sends what is due
    assert sorted(m["to"][0] for m in smtp.messages) == ["qualite@example.org"] * 2
    bodies = "\n".join(m["data"] for m in smtp.messages)
    assert "Mettre à jour le POPM" in bodies
    assert "CT1: contrôle qualité interne" in bodies
    assert "internal_qc" not in bodies  # the kind in words, not its code

    _overdue_action(units["main"], manager.username, "Afficher le protocole")
    clock.now += DAY - 1
    worker._step()  # within the day: no round at all
    assert len(smtp.messages) == 2
    clock.now += 1
    worker._step()  # a day later: only what was not sent yet
    assert len(smtp.messages) == 3
    assert "Afficher le protocole" in smtp.messages[-1]["data"]
    clock.now += DAY
    worker._step()
    assert len(smtp.messages) == 3
    assert ActionReminder.objects.filter(sent_at__isnull=False).count() == 3


def test_a_failed_message_is_tried_again_at_the_next_round(settings, user, units, tmp_path):
    settings.KERMA_SMTP_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", followup_fixtures.closed_port()
    manager = user("quality_manager", email="qualite@example.org")
    _overdue_action(units["main"], manager.username, "Former les MERM")
    clock = Clock()
    worker = _worker(tmp_path, clock)
    worker._step()
    note = ActionReminder.objects.get()
    assert note.sent_at is None and note.attempts == 1 and note.error
    clock.now += DAY
    worker._step()
    note.refresh_from_db()
    assert note.sent_at is None and note.attempts == 2


def test_reminders_off_or_not_the_node(monkeypatch, tmp_path):
    calls: list[int] = []
    off = ReminderClock(0, send=lambda: calls.append(1) or {})
    assert off.run_if_due() is None and calls == []
    monkeypatch.setenv("KERMA_REMINDERS_EVERY_HOURS", "12")
    assert ReminderClock().every == 12 * 3600
    retrieve = ImportWorker(Inbox(tmp_path / "inbox"), NodeState(), aet="K", host="", port=0,
                            keep_status=False)
    assert retrieve.reminders is None  # a retrieve's own importer sends nothing
