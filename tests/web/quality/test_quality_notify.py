"""Overdue actions are e-mailed to their owner once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kerma.web.quality.models import ActionReminder, QualityAction
from kerma.web.quality.notify import notify_overdue

pytestmark = pytest.mark.django_db


def test_overdue_action_mailed_once_to_its_owner(settings, user, units):
    settings.KERMA_SMTP_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = user("quality_manager", email="qualite@example.org")
    today = timezone.localdate()
    for title, due in (("En retard", today - timedelta(days=1)), ("À l'heure", today)):
        QualityAction(
            unit=units["main"],
            source="inspection",
            inspection_letter="LDS 2025-01",
            title=title,
            owner=owner.username,
            due_on=due,
        ).save()
    QualityAction(
        unit=units["main"], source="inspection", inspection_letter="LDS", title="Sans adresse",
        owner="inconnu", due_on=today - timedelta(days=9),
    ).save()
    assert notify_overdue(today) == 1
    assert mail.outbox[0].to == ["qualite@example.org"]
    assert "En retard" in mail.outbox[0].subject
    assert notify_overdue(today) == 0 and len(mail.outbox) == 1
    assert ActionReminder.objects.get().sent_at is not None


def test_nothing_sent_without_smtp(settings, user, units):
    settings.KERMA_SMTP_CONFIGURED = False
    assert notify_overdue() == 0
